//! The embedded demo: the founding scenario played by a small simulated AWS.

pub mod scenario;
pub mod script;
pub mod world;
