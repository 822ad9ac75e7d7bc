//! warroom: a terminal console for AWS incident response.

pub mod journal;
pub mod model;
pub mod source;
pub mod clock;
pub mod command;
pub mod detect;
pub mod respond;
pub mod state;
