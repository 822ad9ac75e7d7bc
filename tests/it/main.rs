//! Integration tests: the real binary, end to end. One test crate with modules, so it links
//! once.

mod accounts;
mod athena;
mod bridge_safety;
mod cli;
mod contain;
mod iac;
mod live;
mod moto_smoke;
mod pty;
mod s3;
mod slack;
mod slack_support;
mod support;
