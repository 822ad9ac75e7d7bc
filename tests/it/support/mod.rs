//! What the integration tests share: a Python virtualenv and moto servers started from it,
//! a fake Slack Web API, and Slack's requests signed by Slack's own SDK.

pub mod breach;
pub mod moto;
pub mod python;
pub mod refuse;
pub mod slack_api;
pub mod slack_sign;
pub mod terminal;

/// The last `lines` lines of a log or a command's output: where the error usually is.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
