//! Where facts come from: the embedded demo world (and, later, AWS and CloudTrail files).

pub mod aws;
pub mod demo;
pub mod ingest;

use chrono::{DateTime, Utc};

/// How a data source is doing, for the pane that shows its data.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    /// `cloudtrail:us-east-1`, `config:eu-west-1`, `iam`, `securityhub:us-east-1`, `trails`.
    pub source: String,
    pub ok: bool,
    /// When ok, what was refreshed ("412 events"); otherwise the error in words.
    pub message: String,
    pub at: DateTime<Utc>,
}
