//! The journal's own thread: appends what the console asks for and tails what anyone
//! (this process or another, such as the Slack bridge) has written, in journal order.

use super::Journal;
use crate::model::{NewRecord, Record};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// What the journal thread reports back.
#[derive(Debug)]
pub enum TailEvent {
    /// New records, in journal order, starting right after the last ones reported.
    Records(Vec<Record>),
    /// A write or read failed; the records are kept and retried.
    Error(String),
}

enum Command {
    Append(Vec<NewRecord>),
    Stop,
}

/// A cheap handle for appending from any task.
#[derive(Clone)]
pub struct JournalWriter {
    tx: mpsc::Sender<Command>,
}

impl JournalWriter {
    /// Queues records for appending. Order between calls from one task is kept.
    pub fn append(&self, records: Vec<NewRecord>) {
        if !records.is_empty() {
            // The thread only stops when asked; a send error means we are shutting down.
            let _ = self.tx.send(Command::Append(records));
        }
    }
}

/// The running journal thread.
pub struct JournalTask {
    writer: JournalWriter,
    thread: Option<JoinHandle<()>>,
}

/// Records read per batch, so a huge journal arrives in screen-sized sips.
const BATCH: usize = 5_000;

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
                let mut pending: Vec<NewRecord> = Vec::new();
                let mut stopping = false;
                loop {
                    match rx.recv_timeout(poll) {
                        Ok(Command::Append(mut recs)) => {
                            pending.append(&mut recs);
                            // Take whatever else is queued so bursts become one transaction.
                            while let Ok(cmd) = rx.try_recv() {
                                match cmd {
                                    Command::Append(mut more) => pending.append(&mut more),
                                    Command::Stop => stopping = true,
                                }
                            }
                        }
                        Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => stopping = true,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                    if !pending.is_empty() {
                        match journal.append(&pending) {
                            Ok(_) => pending.clear(),
                            Err(e) => {
                                tracing::error!("{e}");
                                let _ = out.send(TailEvent::Error(format!(
                                    "{e} ({} records waiting to be written)",
                                    pending.len()
                                )));
                            }
                        }
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
                        if !pending.is_empty() {
                            tracing::error!(
                                "{} records could not be written to {}",
                                pending.len(),
                                journal.path().display()
                            );
                        }
                        return;
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

    /// Writes everything queued so far, then stops the thread.
    pub fn shutdown(mut self) {
        let _ = self.writer.tx.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
