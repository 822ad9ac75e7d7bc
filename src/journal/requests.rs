//! Requests for action as the journal holds them, and the guard that lets exactly one
//! decision (a confirmation, a cancellation, an expiry) be written for each.
//!
//! The guard runs inside the same `IMMEDIATE` transaction that writes the decision: SQLite
//! lets one writer at a time into the file, whichever process it is in, so two clicks —
//! from one bridge, two bridges or the console — can never both find a request open.

use crate::model::{Action, ApiCall, Origin, RecordBody, Step};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

/// One request, read from its journal records.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestView {
    pub action_id: String,
    pub action: Action,
    pub origin: Origin,
    pub calls: Vec<ApiCall>,
    /// The actor of the `requested` record.
    pub requested_by: String,
    /// On the incident's clock.
    pub requested_at: DateTime<Utc>,
    /// On the wall clock.
    pub expires_at: Option<DateTime<Utc>>,
    /// The first step that decided it, if any has.
    pub settled: Option<Settled>,
}

impl RequestView {
    /// Why a decision for the action `fingerprint` names may not be written on this
    /// request: it is for another action, or it is decided already.
    pub fn conflict(&self, fingerprint: &str) -> Option<Conflict> {
        let journaled = self.action.fingerprint();
        if journaled != fingerprint {
            return Some(Conflict::Mismatch {
                asked: fingerprint.to_string(),
                journaled,
            });
        }
        self.settled.clone().map(Conflict::Settled)
    }
}

/// Who decided a request, how, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The step's name: `confirmed`, `cancelled`, `refused`, …
    pub step: &'static str,
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl std::fmt::Display for Settled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "already {} by {} at {}",
            self.step,
            self.actor,
            self.at.format("%Y-%m-%d %H:%M:%SZ")
        )
    }
}

/// Why a decision was not written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Conflict {
    #[error("no such request in the journal")]
    Unknown,
    #[error(
        "this confirmation is for \"{asked}\" but the request is for \"{journaled}\": nothing was done"
    )]
    Mismatch { asked: String, journaled: String },
    #[error("{0}")]
    Settled(Settled),
}

/// Reads request `action_id` from its records (found through the `records_action` index).
pub(super) fn read(conn: &Connection, action_id: &str) -> rusqlite::Result<Option<RequestView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, data FROM records
         WHERE kind = 'action' AND json_extract(data, '$.action_id') = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![action_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut view: Option<RequestView> = None;
    for row in rows {
        let (at, actor, data) = row?;
        let Ok(RecordBody::Action(step)) = RecordBody::parse("action", &data) else {
            continue;
        };
        let at = super::parse_time(&at).unwrap_or_default();
        match (step.step, view.as_mut()) {
            (
                Step::Requested {
                    action,
                    origin,
                    calls,
                    expires_at,
                    ..
                },
                None,
            ) => {
                view = Some(RequestView {
                    action_id: action_id.to_string(),
                    action,
                    origin,
                    calls,
                    requested_by: actor,
                    requested_at: at,
                    expires_at,
                    settled: None,
                })
            }
            (step, Some(v)) if v.settled.is_none() && step.settles() => {
                v.settled = Some(Settled {
                    step: step.name(),
                    actor,
                    at,
                })
            }
            _ => {}
        }
    }
    Ok(view)
}

/// Whether a decision on `action_id` for the action `fingerprint` names may be written now.
pub(super) fn check(
    conn: &Connection,
    action_id: &str,
    fingerprint: &str,
) -> rusqlite::Result<Result<(), Conflict>> {
    let Some(view) = read(conn, action_id)? else {
        return Ok(Err(Conflict::Unknown));
    };
    Ok(match view.conflict(fingerprint) {
        Some(c) => Err(c),
        None => Ok(()),
    })
}
