//! The incident as the console sees it: a pure fold over journal records.
//!
//! Live mode, the Slack bridge and replay all build their view the same way: start from
//! `IncidentState::default()` and `apply` every record in journal order.

mod instances;
pub mod pivot;

pub use instances::InstanceView;

use crate::model::IdKey;
use crate::model::{
    Action, ActionStep, Alert, AlertStatus, ApiCall, CloudTrailEvent, Delivery, Finding,
    IncidentChange, IncidentStatus, KeySnapshot, KeyStatus, Origin, Record, RecordBody, Severity,
    SourceStatus, Step, UserSnapshot,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The incident's own facts.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub source: String,
    pub opened_at: Option<DateTime<Utc>>,
}

impl Default for IncidentMeta {
    fn default() -> Self {
        IncidentMeta {
            id: String::new(),
            title: "untitled incident".into(),
            severity: Severity::High,
            status: IncidentStatus::Investigating,
            source: String::new(),
            opened_at: None,
        }
    }
}

/// Events found by their ID: one pointer a slot, where a map from ID to event would take
/// three (a million events make the difference worth having). Keyed by [`IdKey`], so a
/// UUID is found from its text without the event holding that text.
#[derive(Clone, Default)]
struct EventIndex {
    table: hashbrown::HashTable<Arc<CloudTrailEvent>>,
    hasher: foldhash::fast::RandomState,
}

impl std::fmt::Debug for EventIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventIndex({} events)", self.table.len())
    }
}

impl EventIndex {
    /// Adds `e`; false when an event of its ID is already there.
    fn insert(&mut self, e: &Arc<CloudTrailEvent>) -> bool {
        use std::hash::BuildHasher;
        let Self { table, hasher } = self;
        let key = e.id_key();
        let entry = table.entry(
            hasher.hash_one(key),
            |x| x.id_key() == key,
            |x| hasher.hash_one(x.id_key()),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(e.clone());
                true
            }
        }
    }

    fn get(&self, id: &str) -> Option<&Arc<CloudTrailEvent>> {
        use std::hash::BuildHasher;
        let key = IdKey::of(id);
        self.table
            .find(self.hasher.hash_one(key), |x| x.id_key() == key)
    }
}

/// A change of the incident's status: when, by whom, to what (the postmortem's milestones).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub status: IncidentStatus,
}

/// An alert and where a responder has taken it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    pub alert: Alert,
    pub status: AlertStatus,
}

/// Everything known about one action: what was asked and each step since.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionView {
    pub id: String,
    pub action: Option<Action>,
    pub origin: Option<Origin>,
    pub calls: Vec<ApiCall>,
    pub steps: Vec<StepView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepView {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: Step,
}

impl ActionView {
    pub fn last(&self) -> Option<&Step> {
        self.steps.last().map(|s| &s.step)
    }

    pub fn requested_by(&self) -> Option<&str> {
        self.steps.first().map(|s| s.actor.as_str())
    }

    pub fn confirmed_by(&self) -> Option<&str> {
        self.steps
            .iter()
            .find(|s| matches!(s.step, Step::Confirmed))
            .map(|s| s.actor.as_str())
    }

    /// Neither finished nor abandoned yet.
    pub fn is_open(&self) -> bool {
        self.last().is_some_and(|s| !s.is_final())
    }
}

/// How a message to the incident's Slack thread is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatState {
    Queued,
    Retrying {
        attempt: u32,
        error: String,
    },
    Sent {
        ts: String,
    },
    /// Given up on, for good (a direct message to someone Slack does not know).
    Dropped {
        error: String,
    },
}

/// One message of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatView {
    pub message: crate::model::ChatQueued,
    pub state: ChatState,
}

/// What a timeline line is about (for colour and for pivots).
#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    Incident,
    Note,
    Event {
        event_id: String,
    },
    Alert {
        alert_id: String,
        severity: Severity,
    },
    Finding,
    Key,
    User,
    Action {
        action_id: String,
        failed: bool,
    },
    /// A request over the Slack bridge.
    Chat {
        accepted: bool,
    },
    Source {
        ok: bool,
    },
    Other,
}

/// One line of the Timeline pane.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub seq: i64,
    pub actor: String,
    pub kind: EntryKind,
    pub summary: String,
}

/// The incident state: the fold of every record applied so far.
#[derive(Debug, Clone, Default)]
pub struct IncidentState {
    pub meta: IncidentMeta,
    /// Every status change, in journal order.
    pub status_changes: Vec<StatusChange>,
    /// CloudTrail events in time order (oldest first).
    pub events: Vec<Arc<CloudTrailEvent>>,
    events_by_id: EventIndex,
    pub alerts: Vec<AlertView>,
    alert_index: HashMap<String, usize>,
    /// Event IDs behind any alert: the events that tell the incident's story.
    notable: HashSet<String>,
    pub findings: Vec<Finding>,
    finding_index: HashMap<(String, String), usize>,
    pub keys: Vec<KeySnapshot>,
    key_index: HashMap<String, usize>,
    pub users: Vec<UserSnapshot>,
    /// By ARN: one name can be a user in several accounts.
    user_index: HashMap<String, usize>,
    /// The accounts the keys and findings are in (more than one: the console watches an
    /// organization, and every response names its account).
    pub accounts: std::collections::BTreeSet<String>,
    pub actions: Vec<ActionView>,
    action_index: HashMap<String, usize>,
    /// Every response (or plan step) that succeeded, in journal order.
    pub responded: Vec<Action>,
    /// EC2 instances by ID, from the launches CloudTrail recorded.
    pub instances: BTreeMap<String, InstanceView>,
    /// The instances each launch event started.
    launches: HashMap<String, Vec<String>>,
    /// Who created a named resource, from the CloudTrail `Create*` call that made it.
    creators: HashMap<String, String>,
    pub notes: Vec<TimelineEntry>,
    pub timeline: Vec<TimelineEntry>,
    pub sources: BTreeMap<String, (DateTime<Utc>, SourceStatus)>,
    /// The Slack outbox, in queue order.
    pub chat: Vec<ChatView>,
    chat_index: HashMap<String, usize>,
    /// Outbox message by the record it mirrors.
    chat_by_source: HashMap<i64, usize>,
    /// Where the incident's thread is: the channel and `ts` of its first message.
    pub thread: Option<(String, String)>,
    pub last_seq: i64,
    /// Bumped on every change, so views know when to recompute.
    pub version: u64,
}

impl IncidentState {
    /// Folds many records.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut state = IncidentState::default();
        for r in records {
            state.apply(r);
        }
        state
    }

    /// Folds one record into the state. Records must come in journal order; a record that
    /// was already applied (same or lower `seq`) is ignored, so re-reading is harmless.
    pub fn apply(&mut self, rec: &Record) {
        if rec.seq <= self.last_seq {
            return;
        }
        self.last_seq = rec.seq.max(self.last_seq);
        self.version += 1;
        match &rec.body {
            RecordBody::IncidentOpened(o) => {
                self.meta.id = o.id.clone();
                self.meta.title = o.title.clone();
                self.meta.severity = o.severity;
                self.meta.source = o.source.clone();
                self.meta.opened_at = Some(rec.at);
                self.push(
                    rec,
                    EntryKind::Incident,
                    format!("Incident opened: {} ({})", o.title, o.severity),
                );
            }
            RecordBody::IncidentChanged(change) => {
                let summary = match change {
                    IncidentChange::Title(t) => {
                        self.meta.title = t.clone();
                        format!("Title set to \"{t}\"")
                    }
                    IncidentChange::Severity(s) => {
                        self.meta.severity = *s;
                        format!("Severity set to {s}")
                    }
                    IncidentChange::Status(s) => {
                        self.meta.status = *s;
                        self.status_changes.push(StatusChange {
                            at: rec.at,
                            actor: rec.actor.clone(),
                            status: *s,
                        });
                        format!("Status set to {s}")
                    }
                };
                self.push(rec, EntryKind::Incident, summary);
            }
            RecordBody::Note(n) => {
                let entry = self.entry(rec, EntryKind::Note, format!("Note: {}", n.text));
                self.notes.push(entry.clone());
                self.insert_timeline(entry);
            }
            RecordBody::Event(e) => self.apply_event(rec, e),
            RecordBody::Finding(f) => self.apply_finding(rec, f),
            RecordBody::Key(k) => self.apply_key(rec, k),
            RecordBody::User(u) => self.apply_user(rec, u),
            RecordBody::Alert(a) => self.apply_alert(rec, a),
            RecordBody::AlertStatus(change) => {
                if let Some(&i) = self.alert_index.get(&change.alert_id) {
                    self.alerts[i].status = change.status;
                    let title = self.alerts[i].alert.title.clone();
                    let severity = self.alerts[i].alert.severity;
                    self.push(
                        rec,
                        EntryKind::Alert {
                            alert_id: change.alert_id.clone(),
                            severity,
                        },
                        format!("Alert {}: {title}", change.status.as_str()),
                    );
                }
            }
            RecordBody::Action(step) => self.apply_action(rec, step),
            RecordBody::SourceStatus(s) => {
                if let Some(a) = crate::model::account_of_source(&s.source).filter(|_| s.ok) {
                    self.accounts.insert(a.to_string());
                }
                let changed = self
                    .sources
                    .get(&s.source)
                    .is_none_or(|(_, old)| old.ok != s.ok || (!s.ok && old.message != s.message));
                self.sources.insert(s.source.clone(), (rec.at, s.clone()));
                if changed {
                    self.push(
                        rec,
                        EntryKind::Source { ok: s.ok },
                        format!("{}: {}", s.source, s.message),
                    );
                }
            }
            RecordBody::ChatQueued(q) => {
                if !self.chat_index.contains_key(&q.message_id) {
                    self.chat_index
                        .insert(q.message_id.clone(), self.chat.len());
                    // The thread's message stands for its record; direct messages beside it.
                    if q.to.is_none() {
                        self.chat_by_source.insert(q.source_seq, self.chat.len());
                    }
                    self.chat.push(ChatView {
                        message: q.clone(),
                        state: ChatState::Queued,
                    });
                }
            }
            RecordBody::ChatDelivery(d) => {
                if let Some(&i) = self.chat_index.get(&d.message_id) {
                    let view = &mut self.chat[i];
                    // A message once sent stays sent, whatever a late report says.
                    if !matches!(view.state, ChatState::Sent { .. }) {
                        view.state = match &d.delivery {
                            Delivery::Sent { channel, ts } => {
                                if view.message.root {
                                    self.thread = Some((channel.clone(), ts.clone()));
                                }
                                ChatState::Sent { ts: ts.clone() }
                            }
                            Delivery::Retrying { attempt, error, .. } => ChatState::Retrying {
                                attempt: *attempt,
                                error: error.clone(),
                            },
                            Delivery::Dropped { error } => ChatState::Dropped {
                                error: error.clone(),
                            },
                        };
                    }
                }
            }
            RecordBody::Inbound(i) => {
                let who = i.user.as_deref().unwrap_or("unknown user");
                let verdict = if i.accepted { "" } else { "refused: " };
                let times = if i.count == 1 {
                    String::new()
                } else {
                    format!("{} × ", i.count)
                };
                self.push(
                    rec,
                    EntryKind::Chat {
                        accepted: i.accepted,
                    },
                    format!(
                        "{times}Slack {} from {who}: {} — {verdict}{}",
                        i.kind, i.text, i.detail
                    ),
                );
            }
            RecordBody::Unknown { kind, .. } => self.push(
                rec,
                EntryKind::Other,
                format!("{kind} (record of an unknown kind)"),
            ),
        }
    }

    fn entry(&self, rec: &Record, kind: EntryKind, summary: String) -> TimelineEntry {
        TimelineEntry {
            at: rec.at,
            seq: rec.seq,
            actor: rec.actor.clone(),
            kind,
            summary,
        }
    }

    fn push(&mut self, rec: &Record, kind: EntryKind, summary: String) {
        let entry = self.entry(rec, kind, summary);
        self.insert_timeline(entry);
    }

    /// Keeps the timeline in time order; equal times stay in journal order.
    fn insert_timeline(&mut self, entry: TimelineEntry) {
        let pos = self.timeline.partition_point(|e| e.at <= entry.at);
        self.timeline.insert(pos, entry);
    }

    fn apply_event(&mut self, _rec: &Record, e: &Arc<CloudTrailEvent>) {
        if self.remember(e) {
            self.track_instances(e);
            let pos = self
                .events
                .partition_point(|x| x.event_time <= e.event_time);
            self.events.insert(pos, e.clone());
        }
    }

    /// Indexes an event; false if it is already known.
    fn remember(&mut self, e: &Arc<CloudTrailEvent>) -> bool {
        if !self.events_by_id.insert(e) {
            return false;
        }
        if let Some(name) = e.created() {
            self.creators
                .entry(name.to_string())
                .or_insert_with(|| e.event_id().to_string());
        }
        true
    }

    /// Adds many events at once (an archive being read): the new ones are sorted and merged
    /// in, so a million arrive in linear time rather than one shifting insert each.
    pub fn add_events(&mut self, batch: Vec<Arc<CloudTrailEvent>>) {
        let mut fresh: Vec<Arc<CloudTrailEvent>> =
            batch.into_iter().filter(|e| self.remember(e)).collect();
        if fresh.is_empty() {
            return;
        }
        self.version += 1;
        fresh.sort_by_key(|e| e.event_time);
        for e in &fresh {
            self.track_instances(e);
        }
        let old = std::mem::take(&mut self.events);
        let mut merged = Vec::with_capacity(old.len() + fresh.len());
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        loop {
            let take_old = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.event_time <= y.event_time,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_old { a.next() } else { b.next() });
        }
        self.events = merged;
    }

    fn apply_finding(&mut self, rec: &Record, f: &Finding) {
        if let Some(a) = &f.account {
            self.accounts.insert(a.clone());
        }
        let key = f.key();
        let summary = match self.finding_index.get(&key) {
            Some(&i) => {
                let old = std::mem::replace(&mut self.findings[i], f.clone());
                (old.compliance != f.compliance)
                    .then(|| format!("{} on {} is now {}", f.rule, f.resource_id, f.compliance))
            }
            None => {
                self.finding_index.insert(key, self.findings.len());
                self.findings.push(f.clone());
                Some(format!("{} {} on {}", f.rule, f.compliance, f.resource_id))
            }
        };
        if let Some(s) = summary {
            self.push(rec, EntryKind::Finding, s);
        }
    }

    fn apply_key(&mut self, rec: &Record, k: &KeySnapshot) {
        if let Some(a) = &k.account {
            self.accounts.insert(a.clone());
        }
        match self.key_index.get(&k.access_key_id) {
            Some(&i) => {
                let old_status = self.keys[i].status;
                self.keys[i] = k.clone();
                if old_status != k.status {
                    self.push(
                        rec,
                        EntryKind::Key,
                        format!(
                            "Access key {} of {} is now {}",
                            k.access_key_id,
                            k.user,
                            k.status.as_str()
                        ),
                    );
                }
            }
            None => {
                self.key_index
                    .insert(k.access_key_id.clone(), self.keys.len());
                self.keys.push(k.clone());
            }
        }
    }

    fn apply_user(&mut self, rec: &Record, u: &UserSnapshot) {
        let id = if u.arn.is_empty() { &u.name } else { &u.arn };
        match self.user_index.get(id) {
            Some(&i) => {
                let old = std::mem::replace(&mut self.users[i], u.clone());
                let added: Vec<_> = u
                    .inline_policies
                    .iter()
                    .chain(&u.attached_policies)
                    .filter(|p| {
                        !old.inline_policies.contains(p) && !old.attached_policies.contains(p)
                    })
                    .cloned()
                    .collect();
                if !added.is_empty() {
                    self.push(
                        rec,
                        EntryKind::User,
                        format!("User {} now has policy {}", u.name, added.join(", ")),
                    );
                }
            }
            None => {
                self.user_index.insert(id.clone(), self.users.len());
                self.users.push(u.clone());
            }
        }
    }

    fn apply_alert(&mut self, rec: &Record, a: &Alert) {
        self.notable.extend(a.event_ids.iter().cloned());
        let kind = EntryKind::Alert {
            alert_id: a.id.clone(),
            severity: a.severity,
        };
        match self.alert_index.get(&a.id) {
            Some(&i) => {
                let grown = a.grown_onto(&self.alerts[i].alert);
                let a = &grown;
                let old = std::mem::replace(&mut self.alerts[i].alert, a.clone());
                if self.alerts[i].status == AlertStatus::Resolved && a.last_seen > old.last_seen {
                    // It happened again after being resolved: open it again.
                    self.alerts[i].status = AlertStatus::Open;
                    self.push(rec, kind, format!("Alert reopened: {}", a.title));
                } else if a.severity > old.severity {
                    self.push(
                        rec,
                        kind,
                        format!("Alert escalated to {}: {}", a.severity, a.title),
                    );
                }
            }
            None => {
                self.alert_index.insert(a.id.clone(), self.alerts.len());
                self.alerts.push(AlertView {
                    alert: Alert {
                        grown: false,
                        ..a.clone()
                    },
                    status: AlertStatus::Open,
                });
                self.push(rec, kind, format!("Alert [{}] {}", a.severity, a.title));
            }
        }
    }

    fn apply_action(&mut self, rec: &Record, s: &ActionStep) {
        let i = *self
            .action_index
            .entry(s.action_id.clone())
            .or_insert_with(|| {
                self.actions.push(ActionView {
                    id: s.action_id.clone(),
                    action: None,
                    origin: None,
                    calls: Vec::new(),
                    steps: Vec::new(),
                });
                self.actions.len() - 1
            });
        let view = &mut self.actions[i];
        if let Step::Requested {
            action,
            origin,
            calls,
            ..
        } = &s.step
        {
            view.action = Some(action.clone());
            view.origin = Some(*origin);
            view.calls = calls.clone();
        }
        view.steps.push(StepView {
            at: rec.at,
            actor: rec.actor.clone(),
            step: s.step.clone(),
        });
        let done = match (&s.step, &view.action) {
            (Step::Succeeded { .. }, Some(a)) if !matches!(a, Action::Contain { .. }) => {
                Some(a.clone())
            }
            (
                Step::Progress {
                    done_step: Some(k), ..
                },
                Some(a),
            ) => a.steps().get(*k).cloned(),
            _ => None,
        };
        let what = view
            .action
            .as_ref()
            .map(|a| format!("{} {}", a.verb(), a.subject()))
            .unwrap_or_else(|| s.action_id.clone());
        let detail = match &s.step {
            Step::Refused { reason } | Step::Noop { reason } => format!(": {reason}"),
            Step::Failed { error } => format!(": {error}"),
            Step::Succeeded { detail } if !detail.is_empty() => format!(": {detail}"),
            Step::DryRun { calls } => format!(
                ": would call {}",
                calls
                    .iter()
                    .map(|c| format!("{}:{}", c.service, c.operation))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => String::new(),
        };
        let summary = format!("{what} {}{detail}", s.step.name());
        let failed = matches!(s.step, Step::Failed { .. });
        if let Some(done) = done {
            self.track_response(&done);
        }
        self.push(
            rec,
            EntryKind::Action {
                action_id: s.action_id.clone(),
                failed,
            },
            summary,
        );
    }

    pub fn event(&self, id: &str) -> Option<&Arc<CloudTrailEvent>> {
        self.events_by_id.get(id)
    }

    pub fn alert(&self, id: &str) -> Option<&AlertView> {
        self.alert_index.get(id).map(|&i| &self.alerts[i])
    }

    pub fn key(&self, access_key_id: &str) -> Option<&KeySnapshot> {
        self.key_index.get(access_key_id).map(|&i| &self.keys[i])
    }

    /// The user of that name (in any account; see [`IncidentState::users_named`]).
    pub fn user(&self, name: &str) -> Option<&UserSnapshot> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Every user of that name, one per account that has one.
    pub fn users_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a UserSnapshot> {
        self.users.iter().filter(move |u| u.name == name)
    }

    pub fn action(&self, id: &str) -> Option<&ActionView> {
        self.action_index.get(id).map(|&i| &self.actions[i])
    }

    /// Whether the event is behind an alert.
    pub fn is_notable(&self, event_id: &str) -> bool {
        self.notable.contains(event_id)
    }

    /// The loaded events behind alerts, in no particular order: a handful, found without
    /// looking through the million that are not.
    pub fn notable_events(&self) -> impl Iterator<Item = &Arc<CloudTrailEvent>> {
        self.notable.iter().filter_map(|id| self.event(id))
    }

    /// The CloudTrail call that created a named resource, when it is loaded.
    pub fn creator_of(&self, resource_name: &str) -> Option<&Arc<CloudTrailEvent>> {
        self.creators
            .get(resource_name)
            .and_then(|id| self.events_by_id.get(id))
    }

    /// The stack CloudFormation tagged a resource with, read from the call that created
    /// it.
    pub fn tagged_stack(&self, resource_name: &str) -> Option<crate::model::StackResource> {
        self.creator_of(resource_name)?.cloudformation_stack()
    }

    /// The outbox message that mirrors record `seq`, if any.
    pub fn chat_for(&self, seq: i64) -> Option<&ChatView> {
        self.chat_by_source.get(&seq).map(|&i| &self.chat[i])
    }

    /// Messages not yet delivered, oldest first.
    pub fn undelivered(&self) -> impl Iterator<Item = &ChatView> {
        self.chat
            .iter()
            .filter(|c| !matches!(c.state, ChatState::Sent { .. } | ChatState::Dropped { .. }))
    }

    /// Whether an access key is known to be unusable.
    pub fn key_is_inactive(&self, access_key_id: &str) -> bool {
        self.key(access_key_id)
            .is_some_and(|k| k.status != KeyStatus::Active)
    }

    /// Non-compliant findings grouped by rule, rules in first-seen order.
    pub fn findings_by_rule(&self) -> Vec<(&str, Vec<&Finding>)> {
        let mut order: Vec<&str> = Vec::new();
        let mut groups: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for f in self.findings.iter().filter(|f| f.is_non_compliant()) {
            groups
                .entry(f.rule.as_str())
                .or_insert_with(|| {
                    order.push(f.rule.as_str());
                    Vec::new()
                })
                .push(f);
        }
        order
            .into_iter()
            .map(|r| (r, groups.remove(r).unwrap_or_default()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
