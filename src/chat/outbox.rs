//! The mirror: every record worth telling the incident channel about is queued in the
//! journal's outbox, then delivered in order into the incident's thread — at most one
//! message a second, waiting out outages and rate limits (honouring `Retry-After`), and
//! picking up where it stopped after a restart. Several processes may run it on one
//! journal (the console and the bridge): a lease in the journal lets one deliver.

use super::blocks::{self, MirrorOptions};
use super::slack::{SlackApi, SlackFailure};
use crate::clock::SharedClock;
use crate::journal::{Journal, JournalTask, JournalWriter, TailEvent};
use crate::model::{ChatDelivery, ChatQueued, Delivery, NewRecord, Record, RecordBody};
use crate::source::aws::pace::Pacer;
use crate::state::{ChatView, IncidentState};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

/// The actor on outbox records.
pub const ACTOR: &str = "slack-mirror";

/// How the mirror delivers.
#[derive(Debug, Clone)]
pub struct MirrorConfig {
    pub channel: String,
    pub options: MirrorOptions,
    /// Slack allows about one message per second per channel.
    pub per_second: f64,
    /// How long the delivery lease lasts without renewal (a crashed process's lease runs out).
    pub lease: Duration,
    /// The longest wait between two attempts at a message.
    pub max_backoff: Duration,
}

impl MirrorConfig {
    pub fn new(channel: impl Into<String>, options: MirrorOptions) -> Self {
        MirrorConfig {
            channel: channel.into(),
            options,
            per_second: 1.0,
            lease: Duration::from_secs(30),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// Decides what to queue. Pure: folds records and says which message each deserves.
pub struct Outbox {
    state: IncidentState,
    options: MirrorOptions,
    /// Whether anything was queued (here or before), so there is exactly one root.
    queued_any: bool,
}

impl Outbox {
    pub fn new(options: MirrorOptions) -> Self {
        Outbox {
            state: IncidentState::default(),
            options,
            queued_any: false,
        }
    }

    pub fn state(&self) -> &IncidentState {
        &self.state
    }

    /// Folds one record; returns the messages to queue for it (its thread message and the
    /// direct messages beside it), if it deserves some not queued yet. Records already
    /// folded are ignored.
    pub fn observe(&mut self, rec: &Record, at: chrono::DateTime<chrono::Utc>) -> Vec<NewRecord> {
        if rec.seq <= self.state.last_seq {
            return Vec::new();
        }
        let messages = deserved(rec, &self.state, &self.options);
        self.state.apply(rec);
        if matches!(rec.body, RecordBody::ChatQueued(_)) {
            self.queued_any = true;
        }
        if self.state.chat_for(rec.seq).is_some() {
            return Vec::new();
        }
        queue(messages, rec.seq, &mut self.queued_any, at)
    }

    /// Rebuilds from the whole journal and queues what deserves a message and has none:
    /// run when this process starts delivering, since another may have queued some.
    pub fn resync(&mut self, all: &[Record], at: chrono::DateTime<chrono::Utc>) -> Vec<NewRecord> {
        let queued: HashSet<&str> = all
            .iter()
            .filter_map(|r| match &r.body {
                RecordBody::ChatQueued(q) => Some(q.message_id.as_str()),
                _ => None,
            })
            .collect();
        let mut any_queued = !queued.is_empty();
        self.state = IncidentState::default();
        let mut out = Vec::new();
        for rec in all {
            let mut messages = deserved(rec, &self.state, &self.options);
            self.state.apply(rec);
            messages.retain(|m| !queued.contains(m.id.as_str()));
            out.extend(queue(messages, rec.seq, &mut any_queued, at));
        }
        self.queued_any = any_queued;
        out
    }

    /// The oldest message not yet delivered (skipping those this process just sent and
    /// whose delivery record has not come back yet).
    pub fn next_undelivered(&self, sent_here: &HashSet<String>) -> Option<&ChatView> {
        self.state
            .undelivered()
            .find(|c| !sent_here.contains(&c.message.message_id))
    }
}

/// One message a record deserves: where it goes and what it says.
struct Deserved {
    id: String,
    message: blocks::ChatMessage,
    to: Option<String>,
}

/// The messages record `rec` deserves: its reply in the thread, and any direct messages.
/// Their IDs derive from the record, so two processes queue each once.
fn deserved(rec: &Record, before: &IncidentState, options: &MirrorOptions) -> Vec<Deserved> {
    let Some(message) = blocks::message_for(rec, before, options) else {
        return Vec::new();
    };
    let direct = blocks::direct_recipients(rec, before, options);
    let mut out = vec![Deserved {
        id: format!("msg-{}", rec.seq),
        message: message.clone(),
        to: None,
    }];
    out.extend(direct.into_iter().enumerate().map(|(i, to)| Deserved {
        id: format!("dm-{}-{i}", rec.seq),
        message: message.clone(),
        to: Some(to),
    }));
    out
}

/// The outbox records for `messages`; the first thread message of all is the root.
fn queue(
    messages: Vec<Deserved>,
    source_seq: i64,
    queued_any: &mut bool,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<NewRecord> {
    messages
        .into_iter()
        .map(|m| {
            let root = m.to.is_none() && !*queued_any;
            if m.to.is_none() {
                *queued_any = true;
            }
            NewRecord::new(
                at,
                ACTOR,
                RecordBody::ChatQueued(ChatQueued {
                    message_id: m.id,
                    source_seq,
                    summary: m.message.summary,
                    text: m.message.text,
                    blocks: m.message.blocks,
                    root,
                    to: m.to,
                }),
            )
        })
        .collect()
}

/// How long to wait before trying a message again.
pub fn backoff(failure: &SlackFailure, attempt: u32, max: Duration) -> Duration {
    let exponential = Duration::from_secs(1u64 << attempt.saturating_sub(1).min(16)).min(max);
    match failure {
        SlackFailure::RateLimited {
            retry_after: Some(d),
        } => (*d).max(Duration::from_secs(1)),
        SlackFailure::RateLimited { retry_after: None } => Duration::from_secs(30).min(max),
        SlackFailure::Temporary(_) => exponential,
        // A refusal needs a person to fix the configuration: ask again now and then.
        SlackFailure::Refused(_) => max,
        // Never retried: the message is dropped.
        SlackFailure::NoRecipient(_) => max,
    }
}

/// Runs the mirror for the journal at `path` until the task is dropped.
pub async fn run(
    path: PathBuf,
    api: SlackApi,
    config: MirrorConfig,
    clock: SharedClock,
    owner: String,
) {
    // A finding's message names who wrote its template: the history is read first.
    let code = config.options.code.clone();
    if tokio::task::spawn_blocking(move || code.wait_for_history())
        .await
        .is_err()
    {
        tracing::warn!("slack mirror: the templates' history was not read");
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (journal, tail) = match (Journal::open(&path), Journal::open(&path)) {
        (Ok(j), Ok(t)) => (j, t),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!("slack mirror: {e}");
            return;
        }
    };
    let task = JournalTask::spawn(tail, 0, tx, Duration::from_millis(300));
    let mut mirror = Mirror {
        journal,
        writer: task.writer(),
        api,
        config,
        clock,
        owner,
        outbox: Outbox::new(Default::default()),
        holding: false,
        sent_here: HashSet::new(),
        attempts: HashMap::new(),
        not_before: HashMap::new(),
        thread: None,
        pacer: Pacer::new(1.0),
        users: HashMap::new(),
    };
    mirror.outbox = Outbox::new(mirror.config.options.clone());
    mirror.pacer = Pacer::new(mirror.config.per_second);
    let mut lease_tick = tokio::time::interval(mirror.config.lease / 3);
    loop {
        let due = mirror.next_attempt();
        tokio::select! {
            event = rx.recv() => match event {
                Some(TailEvent::Records(records)) => mirror.observe(&records),
                Some(TailEvent::Error(e)) => tracing::warn!("slack mirror: {e}"),
                None => break,
            },
            _ = lease_tick.tick() => mirror.renew_lease(),
            _ = sleep_until(due), if due.is_some() => mirror.deliver_next().await,
        }
    }
    task.shutdown();
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Mirror {
    journal: Journal,
    writer: JournalWriter,
    api: SlackApi,
    config: MirrorConfig,
    clock: SharedClock,
    owner: String,
    outbox: Outbox,
    holding: bool,
    /// Delivered by this process, delivery record not folded yet.
    sent_here: HashSet<String>,
    attempts: HashMap<String, u32>,
    not_before: HashMap<String, Instant>,
    /// The thread's root, as this process learnt it when delivering it.
    thread: Option<String>,
    pacer: Pacer,
    /// Slack user IDs by e-mail, as looked up for direct messages.
    users: HashMap<String, String>,
}

impl Mirror {
    fn observe(&mut self, records: &[Record]) {
        let now = self.clock.now();
        let mut queue = Vec::new();
        for r in records {
            let deserved = self.outbox.observe(r, now);
            if self.holding {
                queue.extend(deserved);
            }
        }
        self.writer.append(queue);
    }

    fn renew_lease(&mut self) {
        let now = chrono::Utc::now().timestamp();
        let ttl = self.config.lease.as_secs().max(1) as i64;
        let holding = match self
            .journal
            .try_lease("slack-mirror", &self.owner, now, ttl)
        {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!("slack mirror lease: {e}");
                false
            }
        };
        if holding && !self.holding {
            // Taking over: queue what nobody queued while no one was delivering.
            match self.journal.read_all() {
                Ok(all) => {
                    let missing = self.outbox.resync(&all, self.clock.now());
                    self.writer.append(missing);
                }
                Err(e) => tracing::warn!("slack mirror: {e}"),
            }
        }
        self.holding = holding;
    }

    /// When the next delivery attempt may happen, if there is one to make.
    fn next_attempt(&self) -> Option<Instant> {
        if !self.holding {
            return None;
        }
        let next = self.outbox.next_undelivered(&self.sent_here)?;
        Some(
            self.not_before
                .get(&next.message.message_id)
                .copied()
                .unwrap_or_else(Instant::now),
        )
    }

    async fn deliver_next(&mut self) {
        let Some(view) = self.outbox.next_undelivered(&self.sent_here).cloned() else {
            return;
        };
        let message = &view.message;
        self.pacer.wait().await;
        let outcome = match &message.to {
            // A direct message: to the user, looked up by e-mail when that is all we have.
            Some(to) => match self.recipient(to).await {
                Ok(user) => {
                    self.api
                        .post(&user, None, &message.text, &message.blocks)
                        .await
                }
                Err(f) => Err(f),
            },
            None => {
                let Some(thread) = self.thread_for(message) else {
                    return;
                };
                self.api
                    .post(
                        &self.config.channel,
                        thread.as_deref(),
                        &message.text,
                        &message.blocks,
                    )
                    .await
            }
        };
        let delivery = match outcome {
            Ok(ts) => {
                self.sent_here.insert(message.message_id.clone());
                if message.root {
                    self.thread = Some(ts.clone());
                }
                Delivery::Sent {
                    channel: message
                        .to
                        .clone()
                        .unwrap_or_else(|| self.config.channel.clone()),
                    ts,
                }
            }
            Err(SlackFailure::NoRecipient(error)) => {
                // Nobody to write to: said once in the journal, and the queue moves on.
                tracing::warn!(message = %message.message_id, "slack message dropped: {error}");
                self.sent_here.insert(message.message_id.clone());
                Delivery::Dropped { error }
            }
            Err(failure) => {
                let attempt = self.attempts.entry(message.message_id.clone()).or_insert(0);
                *attempt += 1;
                let wait = backoff(&failure, *attempt, self.config.max_backoff);
                tracing::warn!(message = %message.message_id, attempt = *attempt, "slack delivery failed: {failure}");
                self.not_before
                    .insert(message.message_id.clone(), Instant::now() + wait);
                Delivery::Retrying {
                    attempt: *attempt,
                    error: failure.to_string(),
                    retry_in_secs: wait.as_secs(),
                }
            }
        };
        self.writer.append(vec![NewRecord::new(
            self.clock.now(),
            ACTOR,
            RecordBody::ChatDelivery(ChatDelivery {
                message_id: message.message_id.clone(),
                delivery,
            }),
        )]);
    }

    /// The thread a reply goes into (`Some(None)` for the root itself); `None` while the
    /// root is not delivered, since nothing goes before it.
    fn thread_for(&self, message: &ChatQueued) -> Option<Option<String>> {
        if message.root {
            return Some(None);
        }
        match self
            .outbox
            .state()
            .thread
            .as_ref()
            .map(|(_, ts)| ts.clone())
            .or(self.thread.clone())
        {
            Some(ts) => Some(Some(ts)),
            None if self.outbox.state().chat.iter().any(|c| c.message.root) => None,
            None => Some(None),
        }
    }

    /// The Slack user a direct message goes to: `to` itself when it is a user ID, else the
    /// user with that e-mail (asked once per process).
    async fn recipient(&mut self, to: &str) -> Result<String, SlackFailure> {
        if !to.contains('@') {
            return Ok(to.to_string());
        }
        if let Some(id) = self.users.get(to) {
            return Ok(id.clone());
        }
        let id = self.api.user_by_email(to).await?;
        self.users.insert(to.to_string(), id.clone());
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_to_a_ceiling_and_honours_retry_after() {
        let max = Duration::from_secs(60);
        let temp = SlackFailure::Temporary("HTTP 500".into());
        let waits: Vec<u64> = (1..=8).map(|a| backoff(&temp, a, max).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        let limited = SlackFailure::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(backoff(&limited, 5, max), Duration::from_secs(7));
        assert_eq!(
            backoff(&SlackFailure::Refused("invalid_auth".into()), 1, max),
            max
        );
    }
}
