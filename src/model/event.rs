//! CloudTrail events in the compact form the panes need, with the original JSON kept verbatim.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

/// Who made a call, as CloudTrail's `userIdentity` block describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `IAMUser`, `AssumedRole`, `Root`, `AWSService`, `FederatedUser`, …
    pub kind: String,
    pub principal_id: String,
    pub arn: String,
    pub account_id: String,
    pub access_key_id: Option<String>,
    /// The IAM user name, or for an assumed role the role's name.
    pub user_name: Option<String>,
    /// For assumed roles, the session name after the role name in the ARN.
    pub session_name: Option<String>,
    pub invoked_by: Option<String>,
}

impl Identity {
    /// A short, human name for the principal: `alice`, `Deployer/gh-actions`, `root`,
    /// `config.amazonaws.com`.
    pub fn display(&self) -> String {
        match self.kind.as_str() {
            "Root" => "root".to_string(),
            "AWSService" => self
                .invoked_by
                .clone()
                .unwrap_or_else(|| self.principal_id.clone()),
            "AssumedRole" => match (&self.user_name, &self.session_name) {
                (Some(role), Some(session)) => format!("{role}/{session}"),
                (Some(role), None) => role.clone(),
                _ => self.arn.rsplit(':').next().unwrap_or_default().to_string(),
            },
            _ => self
                .user_name
                .clone()
                .or_else(|| self.invoked_by.clone())
                .unwrap_or_else(|| {
                    if self.principal_id.is_empty() {
                        self.arn.clone()
                    } else {
                        self.principal_id.clone()
                    }
                }),
        }
    }

    /// The name a pivot on "principal" matches: the user or role name.
    pub fn principal_name(&self) -> String {
        match self.kind.as_str() {
            "Root" => "root".to_string(),
            "AssumedRole" => self.user_name.clone().unwrap_or_else(|| self.display()),
            _ => self.display(),
        }
    }
}

/// One CloudTrail record. Only the fields the console reads are lifted out; `raw` keeps the
/// event exactly as it arrived so nothing is lost and the detail view shows the real thing.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudTrailEvent {
    pub event_id: String,
    pub event_time: DateTime<Utc>,
    pub event_name: String,
    pub event_source: String,
    pub aws_region: String,
    pub source_ip: String,
    pub user_agent: String,
    pub identity: Identity,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub read_only: Option<bool>,
    /// Set when the source's JSON for this event could not be read: why. The event is then
    /// built from what the source said around it, and the original text is kept in `raw`.
    pub malformed: Option<String>,
    pub raw: Arc<str>,
}

/// The field of a stand-in event that carries why and what could not be parsed.
pub const UNPARSED_FIELD: &str = "warroomUnparsed";

/// Why a CloudTrail record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventParseError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("not a JSON object")]
    NotObject,
    #[error("missing eventTime")]
    MissingTime,
    #[error("eventTime {0:?} is not an RFC 3339 timestamp")]
    BadTime(String),
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl CloudTrailEvent {
    /// Parses one event from its JSON text, keeping the text as `raw`.
    pub fn from_json(raw: &str) -> Result<Self, EventParseError> {
        let value: Value =
            serde_json::from_str(raw).map_err(|e| EventParseError::Json(e.to_string()))?;
        Self::from_value_with_raw(&value, Arc::from(raw))
    }

    /// Parses one event from an already-parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, EventParseError> {
        Self::from_value_with_raw(value, Arc::from(value.to_string()))
    }

    fn from_value_with_raw(v: &Value, raw: Arc<str>) -> Result<Self, EventParseError> {
        if !v.is_object() {
            return Err(EventParseError::NotObject);
        }
        let time_text = text(v, "eventTime").ok_or(EventParseError::MissingTime)?;
        let event_time = DateTime::parse_from_rfc3339(&time_text)
            .map_err(|_| EventParseError::BadTime(time_text.clone()))?
            .with_timezone(&Utc);
        let ui = v.get("userIdentity").cloned().unwrap_or(Value::Null);
        let issuer = ui.pointer("/sessionContext/sessionIssuer");
        let kind = text(&ui, "type").unwrap_or_default();
        let arn = text(&ui, "arn").unwrap_or_default();
        let (user_name, session_name) = if kind == "AssumedRole" {
            let role = issuer.and_then(|i| text(i, "userName")).or_else(|| {
                arn.split('/').nth(1).map(str::to_string) // assumed-role/<role>/<session>
            });
            let session = arn.split('/').nth(2).map(str::to_string);
            (role, session)
        } else {
            (text(&ui, "userName"), None)
        };
        let identity = Identity {
            kind,
            principal_id: text(&ui, "principalId").unwrap_or_default(),
            arn,
            account_id: text(&ui, "accountId").unwrap_or_default(),
            access_key_id: text(&ui, "accessKeyId").filter(|k| !k.is_empty()),
            user_name,
            session_name,
            invoked_by: text(&ui, "invokedBy"),
        };
        let event_id = text(v, "eventID").unwrap_or_else(|| synthetic_id(&raw));
        Ok(CloudTrailEvent {
            event_id,
            event_time,
            event_name: text(v, "eventName").unwrap_or_default(),
            event_source: text(v, "eventSource").unwrap_or_default(),
            aws_region: text(v, "awsRegion").unwrap_or_default(),
            source_ip: text(v, "sourceIPAddress").unwrap_or_default(),
            user_agent: text(v, "userAgent").unwrap_or_default(),
            identity,
            error_code: text(v, "errorCode"),
            error_message: text(v, "errorMessage"),
            read_only: v.get("readOnly").and_then(|r| match r {
                Value::Bool(b) => Some(*b),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }),
            malformed: v
                .pointer(&format!("/{UNPARSED_FIELD}/error"))
                .and_then(Value::as_str)
                .map(str::to_string),
            raw,
        })
    }

    /// The short service name: `ec2` for `ec2.amazonaws.com`.
    pub fn service(&self) -> &str {
        self.event_source
            .strip_suffix(".amazonaws.com")
            .unwrap_or(&self.event_source)
    }

    /// The full parsed JSON (parsed on demand: only the detail view and rules need it).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.raw).unwrap_or(Value::Null)
    }

    /// The raw event pretty-printed for the detail view.
    pub fn pretty(&self) -> String {
        serde_json::to_string_pretty(&self.json()).unwrap_or_else(|_| self.raw.to_string())
    }

    pub fn failed(&self) -> bool {
        self.error_code.is_some()
    }
}

/// A stable identifier for an event that has none, so that de-duplication still works.
fn synthetic_id(raw: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(raw.as_bytes());
    format!("synthetic-{}", &hex::encode(digest)[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRATUS: &str = include_str!(
        "../../tests/data/stratus-detonation-logs/aws.persistence.iam-backdoor-user.json"
    );

    #[test]
    fn parses_real_stratus_event_without_validating_anonymised_values() {
        let events: Vec<Value> = serde_json::from_str(STRATUS).unwrap();
        let e = CloudTrailEvent::from_value(&events[0]).unwrap();
        assert_eq!(e.event_name, "CreateAccessKey");
        assert_eq!(e.aws_region, "ap-central-2r");
        assert_eq!(e.source_ip, "211.9.016.253");
        assert_eq!(
            e.identity.access_key_id.as_deref(),
            Some("AKIA30BEZSJBVKOFKZW0")
        );
        assert_eq!(e.identity.display(), "christophe");
        assert_eq!(e.service(), "iam");
        assert!(e.error_code.is_none());
    }

    #[test]
    fn assumed_role_names_role_and_session() {
        let raw = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"X","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Deployer/gh-123","sessionContext":{"sessionIssuer":{"userName":"Deployer"}}}}"#;
        let e = CloudTrailEvent::from_json(raw).unwrap();
        assert_eq!(e.identity.display(), "Deployer/gh-123");
        assert_eq!(e.identity.principal_name(), "Deployer");
        assert!(e.event_id.starts_with("synthetic-"));
    }

    #[test]
    fn rejects_events_without_time_and_says_why() {
        assert_eq!(
            CloudTrailEvent::from_json(r#"{"eventName":"X"}"#),
            Err(EventParseError::MissingTime)
        );
        assert!(matches!(
            CloudTrailEvent::from_json(r#"{"eventTime":"yesterday"}"#),
            Err(EventParseError::BadTime(_))
        ));
        assert!(matches!(
            CloudTrailEvent::from_json("{"),
            Err(EventParseError::Json(_))
        ));
    }
}
