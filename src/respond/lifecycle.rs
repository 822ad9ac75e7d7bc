//! The one life of a response, whoever starts it — the console, the Slack bridge, or
//! anything later: decide (read-only, no-op) → journal the request → confirm once →
//! dry-run or execute → journal each step. The presentations only show it.
//!
//! Exactly-once does not rest on timing or on any process's memory: a request's ID is
//! random, a confirmation names the request *and* what it will do, and the journal writes
//! a decision only while the request is undecided, inside the transaction that writes it.

use super::{ResponseApi, execute, plan};
use crate::clock::SharedClock;
use crate::journal::{Conflict, JournalWriter, RequestView, Unavailable};
use crate::model::{Action, ActionStep, ApiCall, NewRecord, Origin, RecordBody, Step, actor};
use crate::state::IncidentState;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A new request's ID: a UUIDv7, time-ordered for reading but with 74 random bits, so two
/// requests in the same millisecond, from any process, never share one.
pub fn new_request_id() -> String {
    format!("act-{}", uuid::Uuid::now_v7().simple())
}

/// What the process that presents a request lets it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Who refuses under `--read-only`: "console", "bridge".
    pub presenter: &'static str,
    pub read_only: bool,
    pub dry_run: bool,
}

/// Who may confirm, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConfirmRules {
    /// The one who confirms must not be the one who asked.
    pub two_person: bool,
    /// How long a request waits on the incident's clock (the wall clock is in the request).
    pub confirm_for: Option<chrono::Duration>,
}

/// What a request became.
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// Refused before anything was done (read-only).
    Refused { reason: String },
    /// The world is already as the action would make it.
    Noop { reason: String },
    /// Waiting for its confirmation.
    Awaiting,
}

/// A request as it is opened: its ID, its planned calls, and the records that say so.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    pub id: String,
    pub action: Action,
    pub calls: Vec<ApiCall>,
    pub outcome: Opened,
    pub bodies: Vec<RecordBody>,
}

fn step(id: &str, step: Step) -> RecordBody {
    RecordBody::Action(ActionStep {
        action_id: id.to_string(),
        step,
    })
}

impl Opening {
    /// Marks an unattended request: it runs at `at` unless someone vetoes it first.
    pub fn runs_at(mut self, at: DateTime<Utc>) -> Opening {
        if let Some(RecordBody::Action(ActionStep {
            step: Step::Requested { runs_at, .. },
            ..
        })) = self.bodies.first_mut()
        {
            *runs_at = Some(at);
        }
        self
    }
}

/// The first step, the same everywhere: what `action` becomes under `policy` and what the
/// incident knows. Pure: the caller journals `bodies`.
pub fn open(
    action: Action,
    origin: Origin,
    policy: &Policy,
    state: &IncidentState,
    expires_at: Option<DateTime<Utc>>,
) -> Opening {
    let id = new_request_id();
    let account = plan::account_of(&action, state);
    let calls: Vec<ApiCall> = plan::parts_in(&action, account.as_deref())
        .into_iter()
        .flatten()
        .collect();
    let mut bodies = vec![step(
        &id,
        Step::Requested {
            action: action.clone(),
            origin,
            calls: calls.clone(),
            expires_at,
            runs_at: None,
        },
    )];
    let outcome = if policy.read_only {
        let reason = format!("the {} is read-only (--read-only)", policy.presenter);
        bodies.push(step(
            &id,
            Step::Refused {
                reason: reason.clone(),
            },
        ));
        Opened::Refused { reason }
    } else if let Some(reason) = plan::already_done(&action, state) {
        bodies.push(step(
            &id,
            Step::Noop {
                reason: reason.clone(),
            },
        ));
        Opened::Noop { reason }
    } else {
        Opened::Awaiting
    };
    Opening {
        id,
        action,
        calls,
        outcome,
        bodies,
    }
}

/// What a confirmation or a cancellation can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    Cancel,
}

/// Why a decision did nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotDone {
    /// Unknown, for another action, or decided already (by whom, when).
    #[error("{0}")]
    Conflict(Conflict),
    /// Refused by a rule; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// The request waited too long; its expiry is journaled.
    #[error("the confirmation expired; ask again")]
    Expired,
    /// The journal could not store the decision, so nothing was done.
    #[error("not recorded, so not done: {0}")]
    Journal(Unavailable),
}

/// The steps after the request, with the journal and AWS behind them.
#[derive(Clone)]
pub struct Lifecycle {
    writer: JournalWriter,
    api: Option<Arc<dyn ResponseApi>>,
    clock: SharedClock,
    policy: Policy,
}

impl Lifecycle {
    pub fn new(
        writer: JournalWriter,
        api: Option<Arc<dyn ResponseApi>>,
        clock: SharedClock,
        policy: Policy,
    ) -> Lifecycle {
        Lifecycle {
            writer,
            api,
            clock,
            policy,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn records(&self, who: &str, bodies: Vec<RecordBody>) -> Vec<NewRecord> {
        NewRecord::batch(self.clock.now(), who, bodies)
    }

    /// Opens a request and answers once it is journaled: nothing is offered for
    /// confirmation that the journal does not hold.
    pub async fn request(
        &self,
        action: Action,
        origin: Origin,
        who: &str,
        state: &IncidentState,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Opening, Unavailable> {
        let opening = open(action, origin, &self.policy, state, expires_at);
        self.journal(who, opening).await
    }

    /// Journals a request [`open`]ed by the caller (who may hold a lock on the state while
    /// opening, and must not across the write).
    pub async fn journal(&self, who: &str, mut opening: Opening) -> Result<Opening, Unavailable> {
        let bodies = std::mem::take(&mut opening.bodies);
        self.writer.commit(self.records(who, bodies)).await?;
        Ok(opening)
    }

    /// The request `id` as the journal holds it, if it is still open and is for the action
    /// `fingerprint` names.
    pub async fn open_request(&self, id: &str, fingerprint: &str) -> Result<RequestView, NotDone> {
        let view = self
            .writer
            .request(id)
            .await
            .map_err(NotDone::Journal)?
            .ok_or(NotDone::Conflict(Conflict::Unknown))?;
        match view.conflict(fingerprint) {
            Some(c) => Err(NotDone::Conflict(c)),
            None => Ok(view),
        }
    }

    /// Writes `bodies` as the decision on `view`, under the journal's guard.
    async fn settle(
        &self,
        view: &RequestView,
        fingerprint: &str,
        who: &str,
        bodies: Vec<RecordBody>,
    ) -> Result<(), NotDone> {
        self.writer
            .decide(&view.action_id, fingerprint, self.records(who, bodies))
            .await
            .map_err(NotDone::Journal)?
            .map_err(NotDone::Conflict)?;
        Ok(())
    }

    /// Confirms request `id` for `who`. On success the request is journaled as confirmed
    /// (and, under `--dry-run`, as the calls it would have made) and nobody else can
    /// confirm or cancel it; the caller runs it with [`Lifecycle::execute`].
    pub async fn confirm(
        &self,
        id: &str,
        fingerprint: &str,
        who: &str,
        rules: &ConfirmRules,
    ) -> Result<RequestView, NotDone> {
        let view = self.open_request(id, fingerprint).await?;
        let wall_expired = view.expires_at.is_some_and(|t| Utc::now() > t);
        let clock_expired = rules
            .confirm_for
            .is_some_and(|d| self.clock.now() > view.requested_at + d);
        if wall_expired || clock_expired {
            let reason = "the confirmation expired".to_string();
            self.settle(
                &view,
                fingerprint,
                who,
                vec![step(id, Step::Refused { reason })],
            )
            .await?;
            return Err(NotDone::Expired);
        }
        if rules.two_person && actor::same_person(&view.requested_by, who) {
            return Err(NotDone::Refused(
                "two-person rule: someone other than the requester must confirm".into(),
            ));
        }
        let mut bodies = vec![step(id, Step::Confirmed)];
        if self.policy.dry_run {
            bodies.push(step(
                id,
                Step::DryRun {
                    calls: view.calls.clone(),
                },
            ));
        }
        self.settle(&view, fingerprint, who, bodies).await?;
        Ok(view)
    }

    /// Cancels request `id` for `who`, unless someone decided it first.
    pub async fn cancel(
        &self,
        id: &str,
        fingerprint: &str,
        who: &str,
    ) -> Result<RequestView, NotDone> {
        let view = self.open_request(id, fingerprint).await?;
        self.settle(&view, fingerprint, who, vec![step(id, Step::Cancelled)])
            .await?;
        Ok(view)
    }

    /// Makes a confirmed request's calls (nothing under `--dry-run`), journaling each state
    /// change and the result. Returns the result in one line.
    pub async fn execute(&self, view: &RequestView, who: &str) -> Result<String, String> {
        if self.policy.dry_run {
            return Ok("dry run: nothing was called".into());
        }
        let id = view.action_id.clone();
        let Some(api) = &self.api else {
            let reason = "nothing to act on in this mode".to_string();
            self.writer.append(self.records(
                who,
                vec![step(
                    &id,
                    Step::Refused {
                        reason: reason.clone(),
                    },
                )],
            ));
            return Err(reason);
        };
        let report = |detail: String, done_step: Option<usize>, made: Option<ApiCall>| {
            self.writer.append(self.records(
                who,
                vec![step(
                    &id,
                    Step::Progress {
                        detail,
                        done_step,
                        made,
                    },
                )],
            ))
        };
        let progress = |detail: String| report(detail, None, None);
        // A one-call action's call is its request's; anything more is journaled call by call.
        let each_call = view.calls.len() > 1 || matches!(view.action, Action::Contain { .. });
        let made = |call: &ApiCall, detail: String| {
            if each_call {
                report(detail, None, Some(call.clone()))
            }
        };
        let parts = plan::parts_in(&view.action, plan::account_of_calls(&view.calls));
        let outcome = if parts.concat() != view.calls {
            // The plan is rebuilt step by step to run it; it must be the one confirmed.
            Err("the plan no longer matches its request: ask again".to_string())
        } else if let [only] = parts.as_slice() {
            execute(api.as_ref(), only, &progress, &made).await
        } else {
            let steps = view.action.steps();
            let n = steps.len();
            let mut result = Ok(format!("all {n} steps done"));
            for (k, (calls, what)) in parts.iter().zip(steps).enumerate() {
                match execute(api.as_ref(), calls, &progress, &made).await {
                    Ok(detail) => report(
                        format!("step {}/{n} done: {} — {detail}", k + 1, what.describe()),
                        Some(k),
                        None,
                    ),
                    Err(e) => {
                        result = Err(format!(
                            "step {}/{n} failed: {} — {e}; {k} step(s) before it are done and the plan stopped here (resume it to run the rest)",
                            k + 1,
                            what.describe()
                        ));
                        break;
                    }
                }
            }
            result
        };
        let last = match &outcome {
            Ok(detail) => Step::Succeeded {
                detail: detail.clone(),
            },
            Err(error) => Step::Failed {
                error: error.clone(),
            },
        };
        tracing::info!(action_id = id, step = last.name(), "action finished");
        // Queued rather than committed: a result must never be dropped because the disk was
        // full for a moment; the writer retries it until it is in.
        self.writer.append(self.records(who, vec![step(&id, last)]));
        outcome
    }
}

/// What a Slack button (or any other remote confirmation) carries: the request and what it
/// will do, so the journal can refuse a click meant for something else.
pub fn confirmation_value(id: &str, action: &Action) -> String {
    format!("{id} {}", action.fingerprint())
}

/// The request ID and the fingerprint in a value written by [`confirmation_value`].
pub fn parse_confirmation_value(value: &str) -> Option<(&str, &str)> {
    value
        .split_once(' ')
        .filter(|(id, fp)| !id.is_empty() && !fp.is_empty())
}

#[cfg(test)]
mod tests;
