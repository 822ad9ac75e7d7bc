//! Unattended responses as configured: what a policy answers and what it runs.

use super::Severity;
use serde::Deserialize;

/// An unattended response: when an open alert of these detections and severities comes
/// in, warroom announces `respond` and runs it after `delay` unless someone vetoes it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResponsePolicy {
    /// Journaled as the actor `policy:NAME`.
    pub name: String,
    /// Detection (rule) names it answers; empty for any.
    #[serde(default)]
    pub detections: Vec<String>,
    /// Alert severities it answers; empty for any.
    #[serde(default)]
    pub severities: Vec<Severity>,
    /// What it runs on the alert's key or principal.
    pub respond: PolicyResponse,
    /// How long anyone may veto it, from the console or Slack (default 2m).
    #[serde(default = "default_veto_delay", deserialize_with = "duration")]
    pub delay: std::time::Duration,
}

/// What a policy runs.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyResponse {
    /// The whole containment plan (`:contain`), as proposed.
    Contain,
    /// Deactivate the alert's access key.
    Deactivate,
    /// Deny the alert's user everything.
    DenyAll,
    /// Revoke the sessions of the alert's principal.
    RevokeSessions,
}

fn default_veto_delay() -> std::time::Duration {
    std::time::Duration::from_secs(120)
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<std::time::Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!("delay {text:?}: {e} (e.g. \"2m\", \"90s\")"))
    })
}
