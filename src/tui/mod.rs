//! The terminal console.

pub mod app;
pub mod blast;
pub mod confirm;
pub mod detail;
#[cfg(test)]
pub(crate) mod fixture;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod loader;
pub mod panes;
pub mod rate;
pub mod render;
pub mod run;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod views;
