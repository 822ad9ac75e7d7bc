//! warroom: a terminal console for AWS incident response.

pub mod journal;
pub mod model;
pub mod source;
