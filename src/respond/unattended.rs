//! Unattended responses: a configured policy names detections, severities and a response;
//! when a matching alert comes in, the response is requested as `policy:NAME`, announced
//! with the time it will run, and run then — unless someone vetoes (cancels) it first,
//! from the console or Slack.
//!
//! It never runs twice for one alert's key or principal: the request it made is in the
//! journal (so a restart or another process sees it), and the first process to claim an
//! alert does so in the journal's own table of handled requests.

use super::ResponseApi;
use super::blast::Subject;
use super::contain;
use super::lifecycle::{ConfirmRules, Lifecycle, NotDone, Opened, Policy, open};
use crate::clock::SharedClock;
use crate::journal::{Journal, JournalTask, TailEvent};
use crate::model::{
    Action, AlertStatus, Origin, PolicyResponse, PrincipalRef, ResponsePolicy, Step,
};
use crate::state::{ActionView, IncidentState};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The actor a policy acts as.
pub fn actor(policy: &str) -> String {
    format!("policy:{policy}")
}

/// A response a policy would start now.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub policy: String,
    pub delay: Duration,
    pub alert_id: String,
    /// The alert's key, else its principal: what the response is about.
    pub subject: String,
    pub action: Action,
}

impl Proposal {
    /// What claims this alert's subject for this policy, once.
    pub fn claim(&self) -> String {
        format!("policy:{}:{}", self.policy, self.subject)
    }
}

fn matches(p: &ResponsePolicy, rule: &str, severity: crate::model::Severity) -> bool {
    (p.detections.is_empty() || p.detections.iter().any(|d| d == rule))
        && (p.severities.is_empty() || p.severities.contains(&severity))
}

/// Whether the policy already asked for something about `subject`.
fn answered(state: &IncidentState, who: &str, subject: &str) -> bool {
    state.actions.iter().any(|a| {
        a.requested_by() == Some(who) && a.action.as_ref().is_some_and(|x| x.subject() == subject)
    })
}

/// The response `p` would run for an alert about `subject`, if there is anything to do.
fn response(
    p: &ResponsePolicy,
    subject: &str,
    alert: &crate::model::Alert,
    state: &IncidentState,
    now: DateTime<Utc>,
) -> Option<Action> {
    let principal = alert
        .principal
        .as_deref()
        .and_then(|n| super::resolve::principal_named(n, state));
    match p.respond {
        PolicyResponse::Contain => contain::default_plan(&Subject::parse(subject), state, now).ok(),
        PolicyResponse::Deactivate => {
            let key = alert.access_key_id.clone()?;
            if state.key_is_inactive(&key) {
                return None;
            }
            Some(Action::DeactivateKey {
                user: super::blast::owner_of_key(&key, state)?,
                access_key_id: key,
            })
        }
        PolicyResponse::DenyAll => match principal? {
            PrincipalRef::User(user) => Some(Action::DenyAll { user }),
            PrincipalRef::Role(_) => None,
        },
        PolicyResponse::RevokeSessions => Some(Action::RevokeSessions {
            principal: principal?,
            issued_before: now,
        }),
    }
}

/// What the policies would start now: one proposal per open alert that a policy answers and
/// whose subject it has not answered before.
pub fn proposals(
    policies: &[ResponsePolicy],
    state: &IncidentState,
    now: DateTime<Utc>,
) -> Vec<Proposal> {
    let mut out: Vec<Proposal> = Vec::new();
    for a in state
        .alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Open)
    {
        let Some(subject) = a
            .alert
            .access_key_id
            .clone()
            .or_else(|| a.alert.principal.clone())
        else {
            continue;
        };
        for p in policies
            .iter()
            .filter(|p| matches(p, &a.alert.rule, a.alert.severity))
        {
            let seen = |o: &Proposal| o.policy == p.name && o.subject == subject;
            if answered(state, &actor(&p.name), &subject) || out.iter().any(seen) {
                continue;
            }
            if let Some(action) = response(p, &subject, &a.alert, state, now) {
                out.push(Proposal {
                    policy: p.name.clone(),
                    delay: p.delay,
                    alert_id: a.alert.id.clone(),
                    subject: subject.clone(),
                    action,
                });
            }
        }
    }
    out
}

/// Requests waiting for their time: unattended, undecided.
pub fn pending(state: &IncidentState) -> impl Iterator<Item = (&ActionView, DateTime<Utc>)> {
    state.actions.iter().filter_map(|a| {
        let runs_at = match a.steps.first().map(|s| &s.step) {
            Some(Step::Requested {
                runs_at: Some(t), ..
            }) => *t,
            _ => return None,
        };
        (a.steps.len() == 1).then_some((a, runs_at))
    })
}

/// The unattended request a veto is about: the one named, else the next one due.
pub fn to_veto<'a>(state: &'a IncidentState, id: Option<&str>) -> Result<&'a ActionView, String> {
    let mut waiting: Vec<(&ActionView, DateTime<Utc>)> = pending(state).collect();
    waiting.sort_by_key(|(_, t)| *t);
    match id {
        Some(id) => waiting
            .into_iter()
            .map(|(v, _)| v)
            .find(|v| v.id == id)
            .ok_or_else(|| format!("No unattended response {id} is waiting to run")),
        None => waiting
            .first()
            .map(|(v, _)| *v)
            .ok_or_else(|| "No unattended response is waiting to run".to_string()),
    }
}

/// "Deactivate access key AKIA… of admin-ops in 1:42 unless vetoed".
pub fn announcement(action: &Action, runs_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "{} in {} unless vetoed",
        action.describe(),
        time_left(runs_at, now)
    )
}

/// "1:42": minutes and seconds until `runs_at`.
pub fn time_left(runs_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = (runs_at - now).num_seconds().max(0);
    format!("{}:{:02}", left / 60, left % 60)
}

/// Follows the journal at `path` and runs the policies until the journal's tail ends.
pub async fn run(
    path: PathBuf,
    policies: Vec<ResponsePolicy>,
    api: Option<Arc<dyn ResponseApi>>,
    clock: SharedClock,
    policy: Policy,
) {
    if policies.is_empty() {
        return;
    }
    let tail = match Journal::open(&path) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!("unattended responses are off: {e}");
            return;
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = JournalTask::spawn(tail, 0, tx, Duration::from_millis(250));
    let writer = task.writer();
    let lifecycle = Lifecycle::new(writer.clone(), api, clock.clone(), policy);
    let mut state = IncidentState::default();
    let mut claimed: HashSet<String> = HashSet::new();
    let mut scheduled: HashSet<String> = HashSet::new();
    while let Some(event) = rx.recv().await {
        match event {
            TailEvent::Records(records) => {
                for r in &records {
                    state.apply(r);
                }
            }
            TailEvent::Error(e) => {
                tracing::warn!("unattended responses: {e}");
                continue;
            }
        }
        // Requests waiting for their time, including ones made before a restart.
        for (view, runs_at) in pending(&state) {
            let Some(who) = view.requested_by().filter(|w| w.starts_with("policy:")) else {
                continue;
            };
            if scheduled.insert(view.id.clone()) {
                let Some(action) = &view.action else { continue };
                tokio::spawn(run_when_due(
                    lifecycle.clone(),
                    view.id.clone(),
                    action.fingerprint(),
                    who.to_string(),
                    runs_at,
                ));
            }
        }
        for p in proposals(&policies, &state, clock.now()) {
            if !claimed.insert(p.claim()) {
                continue;
            }
            let now = Utc::now();
            match writer
                .remember_request(&p.claim(), now.timestamp(), 0)
                .await
            {
                Ok(true) => {}
                // Another process claimed it first; it runs it.
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!("policy {}: {e}", p.policy);
                    claimed.remove(&p.claim());
                    continue;
                }
            }
            let who = actor(&p.policy);
            let runs_at = now + chrono::Duration::from_std(p.delay).unwrap_or_default();
            let opening = open(
                p.action.clone(),
                Origin::Policy,
                lifecycle.policy(),
                &state,
                None,
            )
            .runs_at(runs_at);
            match lifecycle.journal(&who, opening).await {
                Ok(o) if o.outcome == Opened::Awaiting => tracing::info!(
                    policy = p.policy,
                    alert = p.alert_id,
                    "{}",
                    announcement(&o.action, runs_at, now)
                ),
                Ok(_) => {}
                Err(e) => tracing::error!("policy {}: not recorded, so not done: {e}", p.policy),
            }
        }
    }
    let unwritten = task.shutdown();
    if unwritten > 0 {
        tracing::error!("unattended responses: {unwritten} records could not be written");
    }
}

/// Waits for a request's time, then confirms it as its policy and runs it — unless it was
/// decided meanwhile (vetoed), which the journal's guard tells.
async fn run_when_due(
    lifecycle: Lifecycle,
    id: String,
    fingerprint: String,
    who: String,
    runs_at: DateTime<Utc>,
) {
    let wait = (runs_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    match lifecycle
        .confirm(&id, &fingerprint, &who, &ConfirmRules::default())
        .await
    {
        Ok(view) => {
            let outcome = lifecycle.execute(&view, &who).await;
            tracing::info!(action_id = id, ?outcome, "unattended response ran");
        }
        Err(NotDone::Conflict(c)) => tracing::info!(action_id = id, "not run: {c}"),
        Err(e) => tracing::warn!(action_id = id, "not run: {e}"),
    }
}

#[cfg(test)]
mod tests;
