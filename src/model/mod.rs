//! Domain types: what the console knows about an incident.

mod action;
pub mod actor;
mod call;
mod chat;
mod event;
mod event_id;
mod fuzzy;
pub mod instance;
mod policy;
pub mod prices;
mod record;
mod sym;
pub mod tabular;
mod text;
pub mod time;

pub use action::{Action, ActionStep, ApiCall, Origin, PrincipalRef, ResourceKey, Step};
pub use call::{Bindings, Guard, select, strings};
pub use chat::{ChatDelivery, ChatQueued, Delivery, Inbound};
pub use event::{
    CloudTrailEvent, EventParseError, Identity, RawSource, SharedSource, UNPARSED_FIELD,
    parse_event_time,
};
pub use event_id::{EventId, IdKey};
pub use fuzzy::Query;
pub use instance::{InstanceState, Launched, launch_request};
pub use policy::{PolicyResponse, ResponsePolicy};
pub use record::{NewRecord, Record, RecordBody};
pub use sym::Sym;
pub use text::{Text, printable, scalar_text};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Severity of an alert or of the incident as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Investigating,
    Contained,
    Resolved,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 3] = [
        IncidentStatus::Investigating,
        IncidentStatus::Contained,
        IncidentStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Contained => "contained",
            IncidentStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The opening facts of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentOpened {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// `demo`, `live`, … — where the facts come from.
    pub source: String,
}

/// A change to the incident made by a responder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "lowercase")]
pub enum IncidentChange {
    Title(String),
    Severity(Severity),
    Status(IncidentStatus),
}

/// A free-text note from a responder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

/// A resource AWS Config evaluates as non-compliant with a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub rule_description: String,
    pub resource_type: String,
    pub resource_id: String,
    pub region: String,
    /// `NON_COMPLIANT`, `COMPLIANT`, …
    pub compliance: String,
    #[serde(default)]
    pub annotation: Option<String>,
    /// The SSM document of the rule's remediation configuration, when it has one.
    #[serde(default)]
    pub remediation: Option<String>,
    /// The fix as code, for findings that cannot be remediated automatically.
    #[serde(default)]
    pub guidance: Option<String>,
    #[serde(default)]
    pub evaluated_at: Option<DateTime<Utc>>,
    /// The CloudFormation stack that made the resource, where known: the way to its
    /// template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackResource>,
    /// The account the resource is in, when the console watches more than one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Where CloudFormation says a resource comes from: its stack, and its logical ID there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StackResource {
    pub stack: String,
    pub logical_id: String,
}

impl Finding {
    /// What identifies the finding: its rule and resource (in its account, when known).
    pub fn key(&self) -> (String, String) {
        match &self.account {
            Some(a) => (self.rule.clone(), format!("{a}/{}", self.resource_id)),
            None => (self.rule.clone(), self.resource_id.clone()),
        }
    }

    pub fn is_non_compliant(&self) -> bool {
        self.compliance == "NON_COMPLIANT"
    }
}

/// The name of the source that says whether one account (of several watched) was reached.
pub fn account_source(account_id: &str) -> String {
    format!("{account_id} account")
}

/// The account a source of [`account_source`]'s name is about.
pub fn account_of_source(name: &str) -> Option<&str> {
    name.strip_suffix(" account")
        .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The account in an ARN (`arn:aws:iam::123456789012:user/x`), when it names one.
pub fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// The state of an access key as IAM reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
    Deleted,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
            KeyStatus::Deleted => "Deleted",
        }
    }
}

/// One access key and what IAM says about its last use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeySnapshot {
    pub user: String,
    pub access_key_id: String,
    pub status: KeyStatus,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub last_used: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_used_service: Option<String>,
    #[serde(default)]
    pub last_used_region: Option<String>,
    /// The account the key's user is in (from the user's ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// One IAM user and the inline policies that matter to a responder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSnapshot {
    pub name: String,
    pub arn: String,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub inline_policies: Vec<String>,
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acked",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// A detection's verdict: the same rule and principal grouped into one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    /// One line a tired human understands.
    pub explanation: String,
    #[serde(default)]
    pub principal: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub source_ip: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u32,
    pub event_ids: Vec<String>,
    /// Estimated spend rate in USD per hour, for alerts about compute launches.
    #[serde(default)]
    pub spend_per_hour: Option<f64>,
    /// This record is the alert grown: `event_ids` holds only the IDs added since its last
    /// record, everything else is whole. So the journal grows with the events an alert
    /// gathers, not with their square. See [`Alert::grown_onto`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub grown: bool,
}

impl Alert {
    /// The alert as this record makes it, over `before` (its last state): a whole record is
    /// itself; a grown one adds its event IDs to those `before` had.
    pub fn grown_onto(&self, before: &Alert) -> Alert {
        if !self.grown {
            return self.clone();
        }
        let mut event_ids = before.event_ids.clone();
        event_ids.extend(self.event_ids.iter().cloned());
        Alert {
            event_ids,
            grown: false,
            ..self.clone()
        }
    }
}

/// A responder acknowledging or resolving an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertStatusChange {
    pub alert_id: String,
    pub status: AlertStatus,
}

/// A source reporting its health: last refresh, or an error in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub source: String,
    pub ok: bool,
    pub message: String,
}
