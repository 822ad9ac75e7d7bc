//! The demo scenario as data: who exists, what they do and when. The world (`world.rs`)
//! plays it back, deciding each call's outcome from its own state at that moment, so a
//! responder's containment changes what happens next.

use crate::model::Finding;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The credential a scripted call is made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Caller {
    /// An IAM user signing with a long-term access key (`AKIA…`).
    User { user: String, access_key_id: String },
    /// A role session (`ASIA…` key) — CI pipelines, Lambda functions, SSO users.
    Role {
        role: String,
        session: String,
        access_key_id: String,
        /// When the session's credentials were issued (for revoke-sessions).
        issued_at: DateTime<Utc>,
    },
    /// An AWS service acting on the account's behalf (`invokedBy`).
    Service { service: String },
    /// The root user (console or keys).
    Root,
}

/// How a successful call changes the demo world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum WorldChange {
    CreateUser {
        user: String,
    },
    CreateAccessKey {
        user: String,
        access_key_id: String,
    },
    AttachAdmin {
        user: String,
    },
    /// Instances launched: each runs up a bill at `hourly_usd` from launch on.
    Launch {
        instance_type: String,
        count: u32,
        hourly_usd: f64,
    },
    /// The caller's key was last used now (every successful key-signed call does this
    /// implicitly; listed here only for completeness of the model).
    None,
}

/// One CloudTrail-visible API call, at a time relative to the scenario start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedCall {
    /// From the scenario start; negative for history that predates the incident.
    #[serde(with = "millis")]
    pub offset: Duration,
    pub caller: Caller,
    /// e.g. `ec2.amazonaws.com`.
    pub event_source: String,
    pub event_name: String,
    pub region: String,
    pub source_ip: String,
    pub user_agent: String,
    pub request_parameters: Value,
    /// `Value::Null` when the call returns nothing CloudTrail records.
    pub response_elements: Value,
    pub read_only: bool,
    /// An error the call meets whatever the world's state (capacity, limits, …):
    /// `(errorCode, errorMessage)`.
    pub error: Option<(String, String)>,
    pub effect: WorldChange,
    /// Whether this call is part of the attack (for the scenario's own tests only; the
    /// console must find the attack without being told).
    pub attacker: bool,
}

/// A user that exists when the scenario starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub name: String,
    pub created: DateTime<Utc>,
    pub admin: bool,
}

/// An access key that exists when the scenario starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySeed {
    pub user: String,
    pub access_key_id: String,
    pub created: DateTime<Utc>,
    pub active: bool,
}

/// Everything the demo world needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub title: String,
    pub account_id: String,
    /// The first attacker call; offsets are relative to this instant.
    pub start: DateTime<Utc>,
    pub users: Vec<UserSeed>,
    pub keys: Vec<KeySeed>,
    /// Roles that exist (for revoke-sessions and the role list).
    pub roles: Vec<String>,
    /// Sorted by offset.
    pub calls: Vec<ScriptedCall>,
    pub findings: Vec<Finding>,
    /// Config rules with a remediation configuration: `(rule, SSM document)`.
    pub remediations: Vec<(String, String)>,
}

/// Offsets as whole milliseconds in the scenario's data file.
mod millis {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_milliseconds())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::milliseconds)
    }
}

impl Scenario {
    pub fn at(&self, offset: Duration) -> DateTime<Utc> {
        self.start + offset
    }

    /// The last scripted instant.
    pub fn end(&self) -> DateTime<Utc> {
        self.calls
            .last()
            .map_or(self.start, |c| self.start + c.offset)
    }
}
