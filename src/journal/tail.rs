//! The journal's own thread: appends what the console and the bridge ask for and tails what
//! anyone (this process or another, such as the Slack bridge) has written, in journal order.
//!
//! Two ways to write. [`JournalWriter::append`] queues records and returns at once (facts
//! from sources, the console's steps): a failed write keeps them and retries them one by one,
//! so one record too many for the space that was freed never holds back the others.
//! [`JournalWriter::commit`] and [`JournalWriter::decide`] answer once the records are
//! stored, or why they are not: what the bridge acknowledges, it has written.

use super::{Conflict, Journal, RequestView};
use crate::model::{NewRecord, Record};
use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

/// What the journal thread reports back.
#[derive(Debug)]
pub enum TailEvent {
    /// New records, in journal order, starting right after the last ones reported.
    Records(Vec<Record>),
    /// A write or read failed; queued records are kept and retried.
    Error(String),
}

/// The journal could not store or read what was asked, in words naming the file and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

type Reply<T> = oneshot::Sender<Result<T, Unavailable>>;

enum Command {
    Append(Vec<NewRecord>),
    Commit(Vec<NewRecord>, Reply<Vec<Record>>),
    Decide {
        action_id: String,
        fingerprint: String,
        records: Vec<NewRecord>,
        reply: Reply<Result<Vec<Record>, Conflict>>,
    },
    Request(String, Reply<Option<RequestView>>),
    Remember {
        signature: String,
        at: i64,
        forget_before: i64,
        reply: Reply<bool>,
    },
    Stop,
}

/// A cheap handle for writing from any task.
#[derive(Clone)]
pub struct JournalWriter {
    tx: mpsc::Sender<Command>,
}

fn closed() -> Unavailable {
    Unavailable("the journal is closed".into())
}

impl JournalWriter {
    /// Queues records for appending. Order between calls from one task is kept.
    pub fn append(&self, records: Vec<NewRecord>) {
        if !records.is_empty() {
            // The thread only stops when asked; a send error means we are shutting down.
            let _ = self.tx.send(Command::Append(records));
        }
    }

    async fn ask<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, Unavailable> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(command(reply)).map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Appends records and answers once they are stored (or why they are not). Nothing
    /// that fails here is kept for later: the caller was told.
    pub async fn commit(&self, records: Vec<NewRecord>) -> Result<Vec<Record>, Unavailable> {
        self.ask(|reply| Command::Commit(records, reply)).await
    }

    /// Appends a decision on a request under the journal's exactly-once guard (see
    /// [`Journal::append_decision`]).
    pub async fn decide(
        &self,
        action_id: &str,
        fingerprint: &str,
        records: Vec<NewRecord>,
    ) -> Result<Result<Vec<Record>, Conflict>, Unavailable> {
        self.ask(|reply| Command::Decide {
            action_id: action_id.to_string(),
            fingerprint: fingerprint.to_string(),
            records,
            reply,
        })
        .await
    }

    /// What the journal holds of a request, read from the file (not from any fold of it).
    pub async fn request(&self, action_id: &str) -> Result<Option<RequestView>, Unavailable> {
        self.ask(|reply| Command::Request(action_id.to_string(), reply))
            .await
    }

    /// See [`Journal::remember_request`].
    pub async fn remember_request(
        &self,
        signature: &str,
        at: i64,
        forget_before: i64,
    ) -> Result<bool, Unavailable> {
        self.ask(|reply| Command::Remember {
            signature: signature.to_string(),
            at,
            forget_before,
            reply,
        })
        .await
    }
}

/// The running journal thread.
pub struct JournalTask {
    writer: JournalWriter,
    thread: Option<JoinHandle<usize>>,
}

/// Records read per batch, so a huge journal arrives in screen-sized sips.
const BATCH: usize = 5_000;

/// Records queued by `append` that are not yet in the file.
struct Backlog {
    records: VecDeque<NewRecord>,
    /// The last failure, as reported (so it is reported once, not on every retry).
    reported: Option<String>,
}

impl Backlog {
    /// Writes what is queued: all at once when that works, else one record at a time up to
    /// the first that fails, so whatever fits goes in and the order is kept.
    fn flush(&mut self, journal: &mut Journal, out: &UnboundedSender<TailEvent>) {
        if self.records.is_empty() {
            return;
        }
        let all: Vec<NewRecord> = self.records.iter().cloned().collect();
        let mut failure = match journal.append(&all) {
            Ok(_) => {
                self.records.clear();
                None
            }
            Err(e) => Some(e),
        };
        if failure.is_some() {
            failure = None;
            while let Some(first) = self.records.front() {
                match journal.append(std::slice::from_ref(first)) {
                    Ok(_) => {
                        self.records.pop_front();
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        match failure {
            None => {
                if self.reported.take().is_some() {
                    tracing::info!("the journal takes records again");
                }
            }
            Some(e) => {
                let text = format!("{e} ({} records waiting to be written)", self.records.len());
                if self.reported.as_deref() != Some(text.as_str()) {
                    tracing::error!("{text}");
                    let _ = out.send(TailEvent::Error(text.clone()));
                    self.reported = Some(text);
                }
            }
        }
    }

    /// Refuses to write out of order: while older records wait, nothing newer goes in.
    fn blocks(&self) -> Option<Unavailable> {
        (!self.records.is_empty()).then(|| {
            Unavailable(format!(
                "{} — {} earlier records are still waiting to be written",
                self.reported
                    .as_deref()
                    .unwrap_or("the journal is not taking records"),
                self.records.len()
            ))
        })
    }
}

fn answer<T>(
    backlog: &Backlog,
    reply: Reply<T>,
    work: impl FnOnce() -> Result<T, super::JournalError>,
) {
    let result = match backlog.blocks() {
        Some(blocked) => Err(blocked),
        None => work().map_err(|e| {
            tracing::error!("{e}");
            Unavailable(e.to_string())
        }),
    };
    // The asker may have given up waiting; what was written stays written.
    let _ = reply.send(result);
}

impl JournalTask {
    /// Starts the thread. Records after `cursor` are reported as they appear, checking for
    /// other writers every `poll`.
    pub fn spawn(
        mut journal: Journal,
        mut cursor: i64,
        out: UnboundedSender<TailEvent>,
        poll: Duration,
    ) -> JournalTask {
        let (tx, rx) = mpsc::channel::<Command>();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let mut backlog = Backlog {
                    records: VecDeque::new(),
                    reported: None,
                };
                let mut stopping = false;
                let mut next: Option<Command> = None;
                loop {
                    let command = match next.take() {
                        Some(c) => Ok(c),
                        None => rx.recv_timeout(poll),
                    };
                    match command {
                        Ok(Command::Append(recs)) => {
                            backlog.records.extend(recs);
                            // Take whatever else is queued so bursts become one transaction,
                            // up to the first command that must wait its turn.
                            while let Ok(cmd) = rx.try_recv() {
                                match cmd {
                                    Command::Append(more) => backlog.records.extend(more),
                                    other => {
                                        next = Some(other);
                                        break;
                                    }
                                }
                            }
                            backlog.flush(&mut journal, &out);
                        }
                        Ok(Command::Commit(records, reply)) => {
                            backlog.flush(&mut journal, &out);
                            answer(&backlog, reply, || journal.append(&records));
                        }
                        Ok(Command::Decide {
                            action_id,
                            fingerprint,
                            records,
                            reply,
                        }) => {
                            backlog.flush(&mut journal, &out);
                            answer(&backlog, reply, || {
                                journal.append_decision(&action_id, &fingerprint, &records)
                            });
                        }
                        Ok(Command::Request(action_id, reply)) => {
                            let _ = reply.send(
                                journal
                                    .request(&action_id)
                                    .map_err(|e| Unavailable(e.to_string())),
                            );
                        }
                        Ok(Command::Remember {
                            signature,
                            at,
                            forget_before,
                            reply,
                        }) => {
                            backlog.flush(&mut journal, &out);
                            answer(&backlog, reply, || {
                                journal.remember_request(&signature, at, forget_before)
                            });
                        }
                        Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => {
                            stopping = true;
                            backlog.flush(&mut journal, &out);
                        }
                        Err(RecvTimeoutError::Timeout) => backlog.flush(&mut journal, &out),
                    }
                    loop {
                        match journal.read_after(cursor, BATCH) {
                            Ok(records) if records.is_empty() => break,
                            Ok(records) => {
                                cursor = records.last().map_or(cursor, |r| r.seq);
                                let full = records.len() == BATCH;
                                // Nobody listening any more is no reason to stop
                                // writing: appends must still reach the file.
                                let _ = out.send(TailEvent::Records(records));
                                if !full {
                                    break;
                                }
                            }
                            Err(e) => {
                                let _ = out.send(TailEvent::Error(e.to_string()));
                                break;
                            }
                        }
                    }
                    if stopping {
                        return backlog.records.len();
                    }
                }
            })
            .expect("spawn journal thread");
        JournalTask {
            writer: JournalWriter { tx },
            thread: Some(thread),
        }
    }

    pub fn writer(&self) -> JournalWriter {
        self.writer.clone()
    }

    /// Writes everything queued so far, then stops the thread. Returns how many queued
    /// records could not be written: the caller says so and exits non-zero.
    pub fn shutdown(mut self) -> usize {
        let _ = self.writer.tx.send(Command::Stop);
        self.thread
            .take()
            .map_or(0, |t| t.join().unwrap_or_default())
    }
}
