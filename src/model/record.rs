//! Journal records: every fact the console learns and every step a responder takes.

use super::{
    ActionStep, Alert, AlertStatusChange, ChatDelivery, ChatQueued, CloudTrailEvent, Finding,
    Inbound, IncidentChange, IncidentOpened, KeySnapshot, Note, SourceStatus, UserSnapshot,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// What a record says. Stored as a `kind` plus the JSON `data` for that kind.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody {
    IncidentOpened(IncidentOpened),
    IncidentChanged(IncidentChange),
    Note(Note),
    Event(Arc<CloudTrailEvent>),
    Finding(Finding),
    Key(KeySnapshot),
    User(UserSnapshot),
    Alert(Alert),
    AlertStatus(AlertStatusChange),
    Action(ActionStep),
    SourceStatus(SourceStatus),
    ChatQueued(ChatQueued),
    ChatDelivery(ChatDelivery),
    Inbound(Inbound),
    /// A kind this version does not know (written by a newer one): kept, shown, never lost.
    Unknown {
        kind: String,
        data: String,
    },
}

/// Why a stored record could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("record of kind {kind:?} does not parse: {reason}")]
pub struct BodyError {
    pub kind: String,
    pub reason: String,
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serialising these plain data types cannot fail: they hold no maps with non-string keys.
    serde_json::to_string(value).expect("record data serialises")
}

fn from_json<T: DeserializeOwned>(kind: &str, data: &str) -> Result<T, BodyError> {
    serde_json::from_str(data).map_err(|e| BodyError {
        kind: kind.to_string(),
        reason: e.to_string(),
    })
}

impl RecordBody {
    pub fn kind(&self) -> &str {
        match self {
            RecordBody::IncidentOpened(_) => "incident-opened",
            RecordBody::IncidentChanged(_) => "incident-changed",
            RecordBody::Note(_) => "note",
            RecordBody::Event(_) => "cloudtrail-event",
            RecordBody::Finding(_) => "finding",
            RecordBody::Key(_) => "access-key",
            RecordBody::User(_) => "iam-user",
            RecordBody::Alert(_) => "alert",
            RecordBody::AlertStatus(_) => "alert-status",
            RecordBody::Action(_) => "action",
            RecordBody::SourceStatus(_) => "source-status",
            RecordBody::ChatQueued(_) => "chat-queued",
            RecordBody::ChatDelivery(_) => "chat-delivery",
            RecordBody::Inbound(_) => "chat-inbound",
            RecordBody::Unknown { kind, .. } => kind,
        }
    }

    /// The JSON text stored for this body. CloudTrail events are stored byte for byte as
    /// they arrived.
    pub fn data(&self) -> String {
        match self {
            RecordBody::IncidentOpened(v) => to_json(v),
            RecordBody::IncidentChanged(v) => to_json(v),
            RecordBody::Note(v) => to_json(v),
            RecordBody::Event(e) => e.raw_text().to_string(),
            RecordBody::Finding(v) => to_json(v),
            RecordBody::Key(v) => to_json(v),
            RecordBody::User(v) => to_json(v),
            RecordBody::Alert(v) => to_json(v),
            RecordBody::AlertStatus(v) => to_json(v),
            RecordBody::Action(v) => to_json(v),
            RecordBody::SourceStatus(v) => to_json(v),
            RecordBody::ChatQueued(v) => to_json(v),
            RecordBody::ChatDelivery(v) => to_json(v),
            RecordBody::Inbound(v) => to_json(v),
            RecordBody::Unknown { data, .. } => data.clone(),
        }
    }

    /// Reads a stored body back. An unknown kind is kept as [`RecordBody::Unknown`].
    pub fn parse(kind: &str, data: &str) -> Result<RecordBody, BodyError> {
        Ok(match kind {
            "incident-opened" => RecordBody::IncidentOpened(from_json(kind, data)?),
            "incident-changed" => RecordBody::IncidentChanged(from_json(kind, data)?),
            "note" => RecordBody::Note(from_json(kind, data)?),
            "cloudtrail-event" => {
                RecordBody::Event(Arc::new(CloudTrailEvent::from_json(data).map_err(|e| {
                    BodyError {
                        kind: kind.to_string(),
                        reason: e.to_string(),
                    }
                })?))
            }
            "finding" => RecordBody::Finding(from_json(kind, data)?),
            "access-key" => RecordBody::Key(from_json(kind, data)?),
            "iam-user" => RecordBody::User(from_json(kind, data)?),
            "alert" => RecordBody::Alert(from_json(kind, data)?),
            "alert-status" => RecordBody::AlertStatus(from_json(kind, data)?),
            "action" => RecordBody::Action(from_json(kind, data)?),
            "source-status" => RecordBody::SourceStatus(from_json(kind, data)?),
            "chat-queued" => RecordBody::ChatQueued(from_json(kind, data)?),
            "chat-delivery" => RecordBody::ChatDelivery(from_json(kind, data)?),
            "chat-inbound" => RecordBody::Inbound(from_json(kind, data)?),
            other => RecordBody::Unknown {
                kind: other.to_string(),
                data: data.to_string(),
            },
        })
    }
}

/// A record not yet in the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    /// When it happened, on the incident's clock (virtual in the demo).
    pub at: DateTime<Utc>,
    /// Who or what produced it: a responder (`alice@tui`), a source (`cloudtrail`), …
    pub actor: String,
    pub body: RecordBody,
}

impl NewRecord {
    pub fn new(at: DateTime<Utc>, actor: impl Into<String>, body: RecordBody) -> Self {
        NewRecord {
            at,
            actor: actor.into(),
            body,
        }
    }

    /// Records of one moment by one actor.
    pub fn batch(at: DateTime<Utc>, actor: &str, bodies: Vec<RecordBody>) -> Vec<NewRecord> {
        bodies
            .into_iter()
            .map(|b| NewRecord::new(at, actor, b))
            .collect()
    }
}

/// A record as stored: numbered, and chained to the one before it by hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub body: RecordBody,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionStep, Step};

    #[test]
    fn bodies_round_trip_through_kind_and_data() {
        let bodies = vec![
            RecordBody::Note(super::Note {
                text: "hello".into(),
            }),
            RecordBody::Action(ActionStep {
                action_id: "a1".into(),
                step: Step::Failed {
                    error: "boom".into(),
                },
            }),
            RecordBody::Event(Arc::new(
                CloudTrailEvent::from_json(
                    r#"{"eventTime":"2026-01-01T00:00:00Z","eventID":"e1","eventName":"X"}"#,
                )
                .unwrap(),
            )),
        ];
        for body in bodies {
            let back = RecordBody::parse(body.kind(), &body.data()).unwrap();
            assert_eq!(back, body);
        }
    }

    #[test]
    fn unknown_kinds_are_kept() {
        let body = RecordBody::parse("from-the-future", r#"{"x":1}"#).unwrap();
        assert_eq!(body.kind(), "from-the-future");
        assert_eq!(body.data(), r#"{"x":1}"#);
    }

    #[test]
    fn events_are_stored_byte_for_byte() {
        let raw = r#"{ "eventTime" : "2026-01-01T00:00:00Z",  "eventID":"e1" }"#;
        let body = RecordBody::Event(Arc::new(CloudTrailEvent::from_json(raw).unwrap()));
        assert_eq!(body.data(), raw);
    }
}
