//! Where facts come from: the demo world, a live AWS account (one source per service and
//! region), CloudTrail archives. Every source sends what it learns through an [`Outlet`];
//! [`ingest::run`] takes it from there, through the detections, into the journal.

pub mod aws;
pub mod demo;
pub mod ingest;

use crate::clock::SharedClock;
use crate::model::{NewRecord, RecordBody};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::mpsc::UnboundedSender;

/// How a data source is doing, for the pane that shows its data.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    /// `cloudtrail:us-east-1`, `config:eu-west-1`, `iam`, `securityhub:us-east-1`, `trails`.
    pub source: String,
    pub ok: bool,
    /// When ok, what was refreshed ("412 events"); otherwise the error in words.
    pub message: String,
    pub at: DateTime<Utc>,
}

/// A source of facts. A new source is a type implementing this, in a file of its own, and
/// one line where its subcommand lists its sources.
pub trait Source: Send {
    /// Runs until the process stops (or the source has nothing more to say), sending what
    /// it learns and how it is doing to `outlet`. It never waits on the screen.
    fn run(self: Box<Self>, outlet: Outlet) -> BoxFuture<'static, ()>;
}

/// Where a source sends what it learns.
#[derive(Clone)]
pub struct Outlet {
    /// To the ingest path (detections, then the journal).
    pub records: UnboundedSender<Vec<NewRecord>>,
    /// To the screen: every refresh, not journaled.
    pub reports: UnboundedSender<SourceReport>,
    pub clock: SharedClock,
}

impl Outlet {
    /// Sends records of this moment by `actor` (nothing when there are none).
    pub fn send(&self, actor: &str, bodies: Vec<RecordBody>) {
        if !bodies.is_empty() {
            let _ = self
                .records
                .send(NewRecord::batch(self.clock.now(), actor, bodies));
        }
    }

    /// Sends records that carry their own times.
    pub fn send_records(&self, records: Vec<NewRecord>) {
        if !records.is_empty() {
            let _ = self.records.send(records);
        }
    }
}
