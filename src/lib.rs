//! warroom: a terminal console for AWS incident response.

pub mod archive;
pub mod athena;
pub mod chat;
pub mod cli;
pub mod clock;
pub mod config;
pub mod detect;
pub mod export;
pub mod iac;
pub mod journal;
pub mod layers;
pub mod logging;
pub mod model;
pub mod paths;
pub mod query;
pub mod replay;
pub mod respond;
pub mod source;
pub mod state;
pub mod subcommands;
pub mod tui;
pub mod vocabulary;
