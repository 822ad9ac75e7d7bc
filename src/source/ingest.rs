//! The path every fact takes into the journal: events pass through the detector, and the
//! alerts they raise are journaled right after them.

use crate::detect::Detector;
use crate::model::{NewRecord, Record, RecordBody};
use chrono::{DateTime, Utc};

/// The actor on alert records.
pub const DETECTOR: &str = "detector";

#[derive(Default)]
pub struct Ingest {
    detector: Detector,
}

impl Ingest {
    /// The built-in detections only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events pass through `detector`.
    pub fn with(detector: Detector) -> Self {
        Ingest { detector }
    }

    /// Teaches the detector what a reopened journal already holds, without raising again
    /// the alerts that are already in it.
    pub fn prime(&mut self, records: &[Record]) {
        for r in records {
            if let RecordBody::Event(e) = &r.body {
                self.detector.observe(e);
            }
        }
    }

    /// Returns `records` with the alerts each event raises inserted after it.
    pub fn process(&mut self, now: DateTime<Utc>, records: Vec<NewRecord>) -> Vec<NewRecord> {
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let alerts = match &r.body {
                RecordBody::Event(e) => self.detector.observe(e),
                _ => Vec::new(),
            };
            out.push(r);
            out.extend(
                alerts
                    .into_iter()
                    .map(|a| NewRecord::new(now, DETECTOR, RecordBody::Alert(a))),
            );
        }
        out
    }
}
