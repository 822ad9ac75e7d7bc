//! The postmortem: what happened, what was done about it and what is left to do, gathered
//! once from the incident state and rendered as Markdown, JSON or CSV.
//!
//! Every time is UTC. The JSON has a stable structure (fields may be added, none renamed):
//!
//! - `summary`: `incident_id`, `title`, `severity`, `status`, `source`, `opened_at`,
//!   `started_at` (the first event behind an alert, else the opening), `first_event` (that
//!   event: `id`, `at`, `what`, or null), `contained_at`, `resolved_at`,
//!   `time_to_contain_seconds`, `duration_seconds` (start to resolution, or to the last
//!   record while still open), `ongoing`, `blast_radius` (`principals`, `access_keys`,
//!   `source_ips`, `regions`, `resources`: each `{name, created, calls}`), `spend_per_hour`
//!   (what the open compute alerts' instances cost now, USD) and `peak_spend_per_hour` (what
//!   they cost with all of them running; each launch counted once).
//! - `timeline`: `{at, actor, kind, what, seq, event_id}` in time order; `seq` is the
//!   journal record, `event_id` the CloudTrail event, whichever the line comes from.
//! - `actions`: `{id, what, calls: [{service, operation, region, params}], origin,
//!   requested_by, requested_at, confirmed_by, confirmed_at, steps: [{at, actor, step,
//!   detail}], outcome, detail}`.
//! - `alerts`: `{id, rule, title, severity, status, explanation, principal, access_key_id,
//!   source_ip, count, first_seen, last_seen, spend_per_hour}`.
//! - `findings`: non-compliant resources by rule: `{rule, description, resources:
//!   [{resource_type, resource_id, region, annotation, evaluated_at}], fix: {kind, summary,
//!   remediation, language, code}}`, `kind` one of `remediation`, `code`, `manual`.
//! - `follow_ups`: `{kind, subject, what}`.
//! - `journal`: `{status: "verified", records, head}`, `{status: "tampered", finding}` or
//!   `{status: "not-checked"}`.

use crate::model::{
    AlertStatus, CloudTrailEvent, Finding, IncidentStatus, KeyStatus, Origin, Severity, Step,
};
use crate::state::{ActionView, ChatState, EntryKind, IncidentState, TimelineEntry};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod markdown;

pub use markdown::markdown;

/// Everything the postmortem says, gathered once for every format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Postmortem {
    pub summary: Summary,
    pub timeline: Vec<Line>,
    pub actions: Vec<ActionReport>,
    pub alerts: Vec<AlertReport>,
    pub findings: Vec<RuleReport>,
    pub follow_ups: Vec<FollowUp>,
    pub journal: JournalCheck,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub incident_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub source: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub first_event: Option<EventRef>,
    pub contained_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub time_to_contain_seconds: Option<i64>,
    pub duration_seconds: Option<i64>,
    pub ongoing: bool,
    pub blast_radius: BlastRadius,
    pub spend_per_hour: f64,
    pub peak_spend_per_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRef {
    pub id: String,
    pub at: DateTime<Utc>,
    pub what: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BlastRadius {
    pub principals: Vec<String>,
    pub access_keys: Vec<String>,
    pub source_ips: Vec<String>,
    pub regions: Vec<String>,
    pub resources: Vec<Resource>,
}

/// A resource the suspicious calls created or changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub name: String,
    pub created: bool,
    /// `service:Operation` of each call that touched it.
    pub calls: Vec<String>,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub what: String,
    pub seq: Option<i64>,
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionReport {
    pub id: String,
    pub what: String,
    pub calls: Vec<CallReport>,
    /// `console`, `slack` or `command line`.
    pub origin: Option<String>,
    pub requested_by: Option<String>,
    pub requested_at: Option<DateTime<Utc>>,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepReport>,
    /// The last step's name (`succeeded`, `failed`, `refused`, `no-op`, `dry-run`,
    /// `cancelled`), or `unconfirmed` / `in-progress` for an action left open.
    pub outcome: String,
    pub detail: String,
}

/// One AWS API call exactly as it was (or would have been) made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallReport {
    pub service: String,
    pub operation: String,
    pub region: Option<String>,
    pub params: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertReport {
    pub id: String,
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub status: AlertStatus,
    pub explanation: String,
    pub principal: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub count: u32,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub spend_per_hour: Option<f64>,
}

/// The resources still non-compliant with one rule, and how to fix them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleReport {
    pub rule: String,
    pub description: String,
    pub resources: Vec<FindingRef>,
    pub fix: Fix,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRef {
    pub resource_type: String,
    pub resource_id: String,
    pub region: String,
    pub annotation: Option<String>,
    pub evaluated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// `remediation` (an SSM document AWS Config runs), `code` or `manual`.
    pub kind: String,
    pub summary: String,
    pub remediation: Option<String>,
    pub language: Option<String>,
    pub code: Option<String>,
}

/// Something still to do once the incident is over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    /// A stable tag: `journal-tampered`, `key-active`, `backdoor-user`, `backdoor-key`,
    /// `alert-open`, `alert-acknowledged`, `action-failed`, `action-unconfirmed`,
    /// `action-unfinished`, `finding-manual`, `finding-remediable`, `slack-undelivered`.
    pub kind: String,
    pub subject: String,
    pub what: String,
}

/// What the journal's hash chain check said.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum JournalCheck {
    NotChecked,
    Verified { records: i64, head: String },
    Tampered { finding: String },
}

/// Gathers the postmortem from the incident state. The journal is marked not checked:
/// the caller that has the journal adds its verdict with [`Postmortem::with_journal`].
pub fn postmortem(state: &IncidentState) -> Postmortem {
    let suspicious = suspicious_events(state);
    Postmortem {
        summary: summary(state, &suspicious),
        timeline: timeline(state),
        actions: state.actions.iter().map(action_report).collect(),
        alerts: alert_reports(state),
        findings: finding_reports(state),
        follow_ups: follow_ups(state, &suspicious),
        journal: JournalCheck::NotChecked,
    }
}

impl Postmortem {
    /// Records the chain check; a failed one is the first follow-up, since every other
    /// line of the postmortem rests on the journal.
    pub fn with_journal(mut self, check: JournalCheck) -> Self {
        self.follow_ups.retain(|f| f.kind != "journal-tampered");
        if let JournalCheck::Tampered { finding } = &check {
            self.follow_ups.insert(
                0,
                FollowUp {
                    kind: "journal-tampered".into(),
                    subject: "journal".into(),
                    what: format!(
                        "The journal's hash chain check failed: {finding}. Find out who changed \
                         it and why before trusting this postmortem."
                    ),
                },
            );
        }
        self.journal = check;
        self
    }
}

// ---------------------------------------------------------------------------------------
// Gathering.

/// The events behind alerts, oldest first: the incident's story on CloudTrail.
fn suspicious_events(state: &IncidentState) -> Vec<&Arc<CloudTrailEvent>> {
    state
        .events
        .iter()
        .filter(|e| state.is_notable(&e.event_id()))
        .collect()
}

fn summary(state: &IncidentState, suspicious: &[&Arc<CloudTrailEvent>]) -> Summary {
    let meta = &state.meta;
    let first_event = suspicious.first().map(|e| EventRef {
        id: e.event_id().to_string(),
        at: e.event_time,
        what: event_line(e),
    });
    // Without the events themselves, the alerts still say when they began.
    let started_at = first_event
        .as_ref()
        .map(|e| e.at)
        .or_else(|| state.alerts.iter().map(|a| a.alert.first_seen).min())
        .or(meta.opened_at);
    let contained_at = state
        .status_changes
        .iter()
        .find(|c| c.status == IncidentStatus::Contained)
        .map(|c| c.at);
    // Reopened after being resolved: it is not resolved.
    let resolved_at = state
        .status_changes
        .iter()
        .rev()
        .find(|c| c.status == IncidentStatus::Resolved)
        .filter(|_| meta.status == IncidentStatus::Resolved)
        .map(|c| c.at);
    let ongoing = resolved_at.is_none();
    let last_record = state.timeline.last().map(|e| e.at);
    let end = resolved_at.or(last_record);
    let seconds = |to: Option<DateTime<Utc>>| {
        started_at
            .zip(to)
            .map(|(from, to)| (to - from).num_seconds().max(0))
    };
    Summary {
        incident_id: meta.id.clone(),
        title: meta.title.clone(),
        severity: meta.severity,
        status: meta.status,
        source: meta.source.clone(),
        opened_at: meta.opened_at,
        started_at,
        first_event,
        contained_at,
        resolved_at,
        time_to_contain_seconds: seconds(contained_at),
        duration_seconds: seconds(end),
        ongoing,
        blast_radius: blast_radius(state, suspicious),
        spend_per_hour: state.spend_per_hour(),
        peak_spend_per_hour: state.peak_spend_per_hour(),
    }
}

fn blast_radius(state: &IncidentState, suspicious: &[&Arc<CloudTrailEvent>]) -> BlastRadius {
    let mut principals = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut ips = BTreeSet::new();
    let mut regions = BTreeSet::new();
    // The alerts name their principal even when their events are not in the journal.
    for a in &state.alerts {
        principals.extend(a.alert.principal.clone());
        keys.extend(a.alert.access_key_id.clone());
        ips.extend(a.alert.source_ip.clone());
    }
    for e in suspicious {
        principals.insert(e.principal().to_string());
        keys.extend(e.identity.access_key_id.as_ref().map(|k| k.to_string()));
        ips.insert(e.source_ip.to_string());
        regions.insert(e.aws_region.to_string());
    }
    let clean = |set: BTreeSet<String>| set.into_iter().filter(|s| !s.is_empty()).collect();
    BlastRadius {
        principals: clean(principals),
        access_keys: clean(keys),
        source_ips: clean(ips),
        regions: clean(regions),
        resources: touched_resources(suspicious),
    }
}

/// `Create*` calls that add a credential to an existing user rather than create what
/// their `userName` names.
const CREDENTIAL_CALLS: &[&str] = &[
    "CreateAccessKey",
    "CreateLoginProfile",
    "CreateServiceSpecificCredential",
];

/// Request parameters that name the resource a call acts on.
const NAME_PARAMETERS: &[&str] = &[
    "userName",
    "roleName",
    "groupName",
    "bucketName",
    "tableName",
    "functionName",
    "stackName",
    "policyArn",
    "policyName",
    "trailName",
    "name",
];

/// What the suspicious calls created or changed (failed and read-only calls touch
/// nothing), by name.
fn touched_resources(suspicious: &[&Arc<CloudTrailEvent>]) -> Vec<Resource> {
    let mut found: BTreeMap<String, (bool, BTreeSet<String>)> = BTreeMap::new();
    let mut touch = |name: &str, created: bool, call: &str| {
        let entry = found.entry(name.to_string()).or_default();
        entry.0 |= created;
        entry.1.insert(call.to_string());
    };
    for e in suspicious
        .iter()
        .filter(|e| e.error_code.is_none() && e.read_only != Some(true))
    {
        let call = format!("{}:{}", e.service(), e.event_name);
        if let Some(name) = e.created() {
            touch(name, !CREDENTIAL_CALLS.contains(&&*e.event_name), &call);
        }
        let Some(params) = e.params() else { continue };
        if let Some(request) = params.get("requestParameters").and_then(Value::as_object) {
            for key in NAME_PARAMETERS {
                if let Some(name) = request.get(*key).and_then(Value::as_str) {
                    touch(name, false, &call);
                }
            }
        }
        for name in created_by_response(params) {
            touch(&name, true, &call);
        }
    }
    found
        .into_iter()
        .map(|(name, (created, calls))| Resource {
            name,
            created,
            calls: calls.into_iter().collect(),
        })
        .collect()
}

/// What a response says was made: launched instances, new access keys.
fn created_by_response(params: &Value) -> Vec<String> {
    let response = &params["responseElements"];
    let instances = response["instancesSet"]["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["instanceId"].as_str());
    let key = response["accessKey"]["accessKeyId"].as_str();
    instances.chain(key).map(str::to_string).collect()
}

/// One line for an event: what the Timeline pane says, and where.
fn event_line(e: &CloudTrailEvent) -> String {
    let what = e.summary();
    if e.aws_region.is_empty() {
        what
    } else {
        format!("{what} in {}", e.aws_region)
    }
}

/// The journal's timeline merged with the events behind alerts, as the Timeline pane
/// shows it.
fn timeline(state: &IncidentState) -> Vec<Line> {
    let entries = state.timeline.iter().map(entry_line);
    let events = state
        .events
        .iter()
        .filter(|e| state.is_notable(&e.event_id()))
        .map(|e| Line {
            at: e.event_time,
            actor: e.principal().to_string(),
            kind: "event".into(),
            what: event_line(e),
            seq: None,
            event_id: Some(e.event_id().to_string()),
        });
    let mut all: Vec<Line> = entries.chain(events).collect();
    // Stable: lines of the same instant keep their own orders.
    all.sort_by_key(|l| l.at);
    all
}

fn entry_line(e: &TimelineEntry) -> Line {
    Line {
        at: e.at,
        actor: e.actor.clone(),
        kind: entry_kind(&e.kind).into(),
        what: e.summary.clone(),
        seq: Some(e.seq),
        event_id: match &e.kind {
            EntryKind::Event { event_id } => Some(event_id.clone()),
            _ => None,
        },
    }
}

fn entry_kind(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::Incident => "incident",
        EntryKind::Note => "note",
        EntryKind::Event { .. } => "event",
        EntryKind::Alert { .. } => "alert",
        EntryKind::Finding => "finding",
        EntryKind::Key => "key",
        EntryKind::User => "user",
        EntryKind::Action { .. } => "action",
        EntryKind::Chat { .. } => "slack",
        EntryKind::Source { .. } => "source",
        EntryKind::Other => "other",
    }
}

fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::Tui => "console",
        Origin::Slack => "slack",
        Origin::Cli => "command line",
        Origin::Policy => "policy",
    }
}

fn action_report(view: &ActionView) -> ActionReport {
    let confirmed = view
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::Confirmed));
    let (outcome, detail) = match view.last() {
        Some(Step::Requested { .. }) => ("unconfirmed".to_string(), String::new()),
        Some(Step::Confirmed | Step::Progress { .. }) => ("in-progress".to_string(), String::new()),
        Some(step) => (step.name().to_string(), step_detail(step)),
        None => ("unknown".to_string(), String::new()),
    };
    ActionReport {
        id: view.id.clone(),
        what: view
            .action
            .as_ref()
            .map(|a| a.describe())
            .unwrap_or_else(|| format!("action {}", view.id)),
        calls: view.calls.iter().map(call_report).collect(),
        origin: view.origin.map(|o| origin_name(o).to_string()),
        requested_by: view.requested_by().map(str::to_string),
        requested_at: view.steps.first().map(|s| s.at),
        confirmed_by: view.confirmed_by().map(str::to_string),
        confirmed_at: confirmed.map(|s| s.at),
        steps: view
            .steps
            .iter()
            .map(|s| StepReport {
                at: s.at,
                actor: s.actor.clone(),
                step: s.step.name().into(),
                detail: step_detail(&s.step),
            })
            .collect(),
        outcome,
        detail,
    }
}

fn call_report(c: &crate::model::ApiCall) -> CallReport {
    CallReport {
        service: c.service.clone(),
        operation: c.operation.clone(),
        region: c.region.clone(),
        params: c.params.clone(),
    }
}

fn step_detail(step: &Step) -> String {
    match step {
        Step::Requested { .. } | Step::Confirmed | Step::Cancelled => String::new(),
        Step::Progress { detail, .. } | Step::Succeeded { detail } => detail.clone(),
        Step::Refused { reason } | Step::Noop { reason } => reason.clone(),
        Step::Failed { error } => error.clone(),
        Step::DryRun { calls } => format!(
            "would call {}",
            calls
                .iter()
                .map(|c| format!("{}:{}", c.service, c.operation))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Alerts worst first, then in the order they began.
fn alert_reports(state: &IncidentState) -> Vec<AlertReport> {
    let mut out: Vec<AlertReport> = state
        .alerts
        .iter()
        .map(|v| {
            let a = &v.alert;
            AlertReport {
                id: a.id.clone(),
                rule: a.rule.clone(),
                title: a.title.clone(),
                severity: a.severity,
                status: v.status,
                explanation: a.explanation.clone(),
                principal: a.principal.clone(),
                access_key_id: a.access_key_id.clone(),
                source_ip: a.source_ip.clone(),
                count: a.count,
                first_seen: a.first_seen,
                last_seen: a.last_seen,
                spend_per_hour: a.spend_per_hour,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_seen.cmp(&b.first_seen))
    });
    out
}

fn finding_reports(state: &IncidentState) -> Vec<RuleReport> {
    state
        .findings_by_rule()
        .into_iter()
        .map(|(rule, list)| RuleReport {
            rule: rule.to_string(),
            description: list
                .first()
                .map(|f| f.rule_description.clone())
                .unwrap_or_default(),
            resources: list
                .iter()
                .map(|f| FindingRef {
                    resource_type: f.resource_type.clone(),
                    resource_id: f.resource_id.clone(),
                    region: f.region.clone(),
                    annotation: f.annotation.clone(),
                    evaluated_at: f.evaluated_at,
                })
                .collect(),
            fix: fix_for(rule, &list),
        })
        .collect()
}

/// The rule's remediation when the account has one; else the fix as code the finding or
/// the built-in guidance gives; else a hand fix.
fn fix_for(rule: &str, findings: &[&Finding]) -> Fix {
    if let Some(doc) = findings.iter().find_map(|f| f.remediation.clone()) {
        return Fix {
            kind: "remediation".into(),
            summary: format!(
                "Run the rule's Config remediation ({doc}): `remediate {rule}` in the console \
                 or from Slack."
            ),
            remediation: Some(doc),
            language: None,
            code: None,
        };
    }
    // The rule's known fix says what language it is in; guidance carried by a finding from
    // elsewhere is shown as it came.
    let known = crate::respond::guidance::for_rule(rule);
    let carried = findings.iter().find_map(|f| f.guidance.clone());
    match (known, carried) {
        (Some(g), _) => Fix {
            kind: "code".into(),
            summary: g.summary.to_string(),
            remediation: None,
            language: Some(g.language.to_string()),
            code: Some(g.code.to_string()),
        },
        (None, Some(code)) => Fix {
            kind: "code".into(),
            summary: "No automatic remediation: fix it as code.".into(),
            remediation: None,
            language: None,
            code: Some(code),
        },
        (None, None) => Fix {
            kind: "manual".into(),
            summary: "No automatic remediation and no known fix as code: fix it by hand, then \
                      have Config evaluate the rule again."
                .into(),
            remediation: None,
            language: None,
            code: None,
        },
    }
}

// ---------------------------------------------------------------------------------------
// Follow-ups.

fn follow_ups(state: &IncidentState, suspicious: &[&Arc<CloudTrailEvent>]) -> Vec<FollowUp> {
    let mut out = Vec::new();
    active_alert_keys(state, &mut out);
    backdoors(state, suspicious, &mut out);
    unresolved_alerts(state, &mut out);
    unfinished_actions(state, &mut out);
    unfixed_findings(state, &mut out);
    undelivered_messages(state, &mut out);
    out
}

fn follow_up(out: &mut Vec<FollowUp>, kind: &str, subject: &str, what: String) {
    // One item per thing: a key both alerted on and created as a backdoor is listed once,
    // under the first (most urgent) reason.
    if out.iter().any(|f| f.subject == subject) {
        return;
    }
    out.push(FollowUp {
        kind: kind.into(),
        subject: subject.into(),
        what,
    });
}

fn active_alert_keys(state: &IncidentState, out: &mut Vec<FollowUp>) {
    for v in &state.alerts {
        let Some(key) = v.alert.access_key_id.as_deref() else {
            continue;
        };
        if let Some(k) = state.key(key).filter(|k| k.status == KeyStatus::Active) {
            follow_up(
                out,
                "key-active",
                key,
                format!(
                    "Access key {key} of {} is still Active although alert \"{}\" involves it: \
                     deactivate it, then delete it.",
                    k.user, v.alert.title
                ),
            );
        }
    }
}

/// A user or access key the suspicious calls created.
struct Backdoor {
    user: String,
    key: Option<String>,
    by: String,
    at: DateTime<Utc>,
}

fn backdoor_list(suspicious: &[&Arc<CloudTrailEvent>]) -> Vec<Backdoor> {
    let mut out = Vec::new();
    for e in suspicious.iter().filter(|e| e.error_code.is_none()) {
        let made = |user: &str, key: Option<&str>| Backdoor {
            user: user.to_string(),
            key: key.map(str::to_string),
            by: e.principal().to_string(),
            at: e.event_time,
        };
        match &*e.event_name {
            "CreateUser" => out.extend(e.created().map(|u| made(u, None))),
            "CreateAccessKey" => {
                let params = e.params().unwrap_or(&Value::Null);
                let key = &params["responseElements"]["accessKey"];
                let user = key["userName"]
                    .as_str()
                    .or(params["requestParameters"]["userName"].as_str())
                    .or(e.identity.user_name.as_deref())
                    .unwrap_or_default();
                out.extend(key["accessKeyId"].as_str().map(|k| made(user, Some(k))));
            }
            _ => {}
        }
    }
    out
}

fn backdoors(state: &IncidentState, suspicious: &[&Arc<CloudTrailEvent>], out: &mut Vec<FollowUp>) {
    for b in backdoor_list(suspicious) {
        let when = md_time(b.at);
        match &b.key {
            None if !user_deleted(state, &b.user) => follow_up(
                out,
                "backdoor-user",
                &b.user,
                format!(
                    "User {} was created by {} at {when} and still exists: delete it (its keys, \
                     login profile and policies first).",
                    b.user, b.by
                ),
            ),
            None => {}
            Some(key) => {
                let status = state.key(key).map(|k| k.status);
                let state_says = match status {
                    Some(KeyStatus::Deleted) => continue,
                    Some(KeyStatus::Active) => "is still Active: deactivate it, then delete it",
                    Some(KeyStatus::Inactive) => "is Inactive but not deleted: delete it",
                    None => "was never seen in IAM since: check that it is gone",
                };
                follow_up(
                    out,
                    "backdoor-key",
                    key,
                    format!(
                        "Access key {key} of {} was created by {} at {when} and {state_says}.",
                        b.user, b.by
                    ),
                );
            }
        }
    }
}

/// Whether CloudTrail shows the user deleted since. Only `DeleteUser` calls are read in
/// full, and there are few of them.
fn user_deleted(state: &IncidentState, user: &str) -> bool {
    state
        .events
        .iter()
        .filter(|e| e.event_name == "DeleteUser" && e.error_code.is_none())
        .any(|e| e.json()["requestParameters"]["userName"].as_str() == Some(user))
}

fn unresolved_alerts(state: &IncidentState, out: &mut Vec<FollowUp>) {
    for v in alert_reports(state)
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved)
    {
        let (kind, status) = match v.status {
            AlertStatus::Acknowledged => ("alert-acknowledged", "acknowledged, not resolved"),
            _ => ("alert-open", "still open"),
        };
        follow_up(
            out,
            kind,
            &v.id,
            format!(
                "Alert \"{}\" ({}) is {status}: resolve it, or say why it stays.",
                v.title, v.severity
            ),
        );
    }
}

fn unfinished_actions(state: &IncidentState, out: &mut Vec<FollowUp>) {
    for a in state.actions.iter().map(action_report) {
        let (kind, what) = match a.outcome.as_str() {
            "failed" => (
                "action-failed",
                format!(
                    "{} failed: {}. Do it again or by hand.",
                    a.what,
                    a.detail.trim_end_matches('.')
                ),
            ),
            "unconfirmed" => (
                "action-unconfirmed",
                format!(
                    "{} was requested by {} and never confirmed: do it or drop it.",
                    a.what,
                    a.requested_by.as_deref().unwrap_or("someone")
                ),
            ),
            "in-progress" => (
                "action-unfinished",
                format!(
                    "{} was confirmed but no result was recorded: check what AWS did.",
                    a.what
                ),
            ),
            _ => continue,
        };
        follow_up(out, kind, &a.id, what);
    }
}

fn unfixed_findings(state: &IncidentState, out: &mut Vec<FollowUp>) {
    for r in finding_reports(state) {
        let names = r
            .resources
            .iter()
            .map(|f| f.resource_id.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let (kind, what) = match r.fix.kind.as_str() {
            "remediation" => (
                "finding-remediable",
                format!(
                    "{} still flags {names}: run its remediation ({}).",
                    r.rule,
                    r.fix.remediation.as_deref().unwrap_or_default()
                ),
            ),
            _ => (
                "finding-manual",
                format!(
                    "{} still flags {names} and has no automatic remediation: fix it as code \
                     (see Findings).",
                    r.rule
                ),
            ),
        };
        follow_up(out, kind, &r.rule, what);
    }
}

fn undelivered_messages(state: &IncidentState, out: &mut Vec<FollowUp>) {
    for c in state.undelivered() {
        let why = match &c.state {
            ChatState::Retrying { attempt, error } => {
                format!("after {attempt} attempts, last error: {error}")
            }
            _ => "never tried".to_string(),
        };
        follow_up(
            out,
            "slack-undelivered",
            &c.message.message_id,
            format!(
                "Slack message never delivered ({why}): \"{}\". Post it by hand if the \
                 channel needs it.",
                c.message.summary
            ),
        );
    }
}

/// A time as prose shows it: to the second, UTC said out loud.
fn md_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

// ---------------------------------------------------------------------------------------
// JSON and CSV.

/// The postmortem as JSON (the structure is described at the top of this module).
pub fn json(p: &Postmortem) -> Value {
    // Plain data with string keys only: serialising it cannot fail.
    serde_json::to_value(p).expect("the postmortem serialises")
}

/// The timeline as CSV (RFC 4180: CRLF line ends, fields quoted when they need it, none
/// read as a formula).
pub fn csv(p: &Postmortem) -> String {
    let rows: Vec<Vec<String>> = p
        .timeline
        .iter()
        .map(|l| {
            vec![
                crate::journal::format_time(l.at),
                l.actor.clone(),
                l.kind.clone(),
                l.what.clone(),
            ]
        })
        .collect();
    crate::model::tabular::csv(&["time_utc", "actor", "kind", "what"], &rows)
}

#[cfg(test)]
mod tests;
