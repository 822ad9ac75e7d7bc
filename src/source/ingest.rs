//! The path every fact takes into the journal: each source's records pass through the
//! detections, and the alerts they raise are journaled right after them.

use super::{Outlet, Source, SourceReport};
use crate::clock::SharedClock;
use crate::detect::Detector;
use crate::journal::JournalWriter;
use crate::model::{NewRecord, Record, RecordBody};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::task::JoinSet;

/// The actor on alert records.
pub const DETECTOR: &str = "detector";

#[derive(Default)]
pub struct Ingest {
    detector: Detector,
    /// The events already journaled, by ID: the same event from two sources (a poll and a
    /// pivot, LookupEvents and Athena) is journaled and judged once.
    /// The IDs of the events seen: UUIDs as their bytes, any other as text.
    seen_uuids: foldhash::HashSet<[u8; 16]>,
    seen_texts: foldhash::HashSet<String>,
    /// How many of each alert's event IDs the journal holds: the next record of the alert
    /// carries only the ones after.
    journaled: foldhash::HashMap<String, usize>,
}

impl Ingest {
    /// The built-in detections only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events pass through `detector`.
    pub fn with(detector: Detector) -> Self {
        Ingest {
            detector,
            seen_uuids: Default::default(),
            seen_texts: Default::default(),
            journaled: Default::default(),
        }
    }

    /// Teaches the detector what a reopened journal already holds, without raising again
    /// the alerts that are already in it.
    pub fn prime(&mut self, records: &[Record]) {
        for r in records {
            match &r.body {
                RecordBody::Event(e) if self.first_time(e) => {
                    self.detector.observe(e);
                }
                RecordBody::Alert(a) => {
                    let n = self.journaled.entry(a.id.clone()).or_default();
                    *n = if a.grown { *n } else { 0 } + a.event_ids.len();
                }
                _ => {}
            }
        }
    }

    /// The record of `a` as it stands now: whole the first time, after that only the event
    /// IDs it gained (and its counters, whole).
    fn as_journaled(&mut self, mut a: crate::model::Alert) -> crate::model::Alert {
        let now = a.event_ids.len();
        match self.journaled.insert(a.id.clone(), now) {
            Some(before) if before <= now => {
                a.event_ids.drain(..before);
                a.grown = true;
            }
            _ => {}
        }
        a
    }

    /// Whether `e` is new (an event without an ID always is: nothing says it is the same).
    fn first_time(&mut self, e: &crate::model::CloudTrailEvent) -> bool {
        match e.id_key() {
            _ if !e.has_id() => true,
            crate::model::IdKey::Uuid(bytes) => self.seen_uuids.insert(bytes),
            crate::model::IdKey::Text(t) => self.seen_texts.insert(t.to_string()),
        }
    }

    /// Returns `records` with the alerts each event raises inserted after it (an event
    /// already journaled is left out).
    pub fn process(&mut self, now: DateTime<Utc>, records: Vec<NewRecord>) -> Vec<NewRecord> {
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let alerts = match &r.body {
                RecordBody::Event(e) if !self.first_time(e) => continue,
                RecordBody::Event(e) => self.detector.observe(e),
                _ => Vec::new(),
            };
            out.push(r);
            for a in alerts {
                let a = self.as_journaled(a);
                out.push(NewRecord::new(now, DETECTOR, RecordBody::Alert(a)));
            }
        }
        out
    }
}

/// Starts `sources` in `tasks`, with one ingest task taking everything they send through
/// `ingest` into `writer`. Returns the sources' health reports, for the screen.
pub fn run(
    sources: Vec<Box<dyn Source>>,
    mut ingest: Ingest,
    writer: JournalWriter,
    clock: SharedClock,
    tasks: &mut JoinSet<()>,
) -> UnboundedReceiver<SourceReport> {
    let (records, mut batches) = unbounded_channel::<Vec<NewRecord>>();
    let (reports, health) = unbounded_channel();
    let outlet = Outlet {
        records,
        reports,
        clock: clock.clone(),
    };
    for source in sources {
        tasks.spawn(source.run(outlet.clone()));
    }
    tasks.spawn(async move {
        while let Some(batch) = batches.recv().await {
            writer.append(ingest.process(clock.now(), batch));
        }
    });
    health
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::journal::{Journal, JournalTask};
    use crate::source::demo::play::DemoSource;
    use crate::source::demo::{scenario::founding_scenario, world::DemoWorld};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sources_events_reach_the_journal_with_the_alerts_they_raise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let task = JournalTask::spawn(
            Journal::open(&path).unwrap(),
            0,
            tx,
            Duration::from_millis(20),
        );
        let world = Arc::new(DemoWorld::new(founding_scenario()));
        let clock = Arc::new(FixedClock(world.scenario().end()));
        let mut tasks = JoinSet::new();
        let sources: Vec<Box<dyn Source>> = vec![Box::new(DemoSource::playing(
            world.clone(),
            Duration::from_millis(10),
        ))];
        run(sources, Ingest::new(), task.writer(), clock, &mut tasks);
        let start = std::time::Instant::now();
        let records = loop {
            let all = Journal::open_existing(&path).unwrap().read_all().unwrap();
            if all.iter().any(|r| matches!(r.body, RecordBody::Alert(_))) {
                break all;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no alert journaled"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        tasks.abort_all();
        assert_eq!(task.shutdown(), 0);
        let first_alert = records
            .iter()
            .position(|r| matches!(r.body, RecordBody::Alert(_)))
            .unwrap();
        assert_eq!(records[first_alert].actor, DETECTOR);
        assert!(
            records[..first_alert]
                .iter()
                .any(|r| matches!(r.body, RecordBody::Event(_))),
            "an alert follows the event that raised it"
        );
    }

    #[test]
    fn an_event_from_two_sources_is_journaled_and_judged_once() {
        let event = |id: &str| {
            let raw = format!(
                r#"{{"eventID":"{id}","eventTime":"2026-11-22T07:00:00Z","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userIdentity":{{"type":"IAMUser","userName":"deploy"}}}}"#
            );
            let e = Arc::new(crate::model::CloudTrailEvent::from_json(&raw).unwrap());
            NewRecord::new(chrono::Utc::now(), "aws", RecordBody::Event(e))
        };
        let mut ingest = Ingest::new();
        let first = ingest.process(chrono::Utc::now(), vec![event("e1")]);
        assert!(first.iter().any(|r| matches!(r.body, RecordBody::Alert(_))));
        // The same event again (a pivot's answer), and one without an ID twice.
        let again = ingest.process(chrono::Utc::now(), vec![event("e1"), event(""), event("")]);
        let events = again
            .iter()
            .filter(|r| matches!(r.body, RecordBody::Event(_)))
            .count();
        assert_eq!(events, 2);
    }

    /// An alert's later records carry only the event IDs it gained, so a noisy group costs
    /// the journal a little per event, not its whole list again; and the state folds them
    /// back into the alert exactly as it stood.
    #[test]
    fn alerts_grow_in_the_journal_by_what_they_gain() {
        let world = DemoWorld::new(founding_scenario());
        let end = world.scenario().end();
        let records = Ingest::new().process(end, world.advance(end));
        let bytes = |alerts: bool| -> usize {
            records
                .iter()
                .filter(|r| matches!(r.body, RecordBody::Alert(_)) == alerts)
                .filter(|r| alerts || matches!(r.body, RecordBody::Event(_)))
                .map(|r| r.body.data().len())
                .sum()
        };
        let (alert_bytes, event_bytes) = (bytes(true), bytes(false));
        assert!(
            alert_bytes * 4 < event_bytes,
            "alerts {alert_bytes} bytes beside events {event_bytes}"
        );
        assert!(
            records
                .iter()
                .any(|r| matches!(&r.body, RecordBody::Alert(a) if a.grown))
        );
        // Folded, each alert is what the detector last said of it, in full.
        let mut whole = std::collections::BTreeMap::new();
        let mut d = crate::detect::Detector::new();
        for r in &records {
            if let RecordBody::Event(e) = &r.body {
                for a in d.observe(e) {
                    whole.insert(a.id.clone(), a);
                }
            }
        }
        let stored: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, r)| Record {
                seq: i as i64 + 1,
                at: r.at,
                actor: r.actor.clone(),
                body: r.body.clone(),
            })
            .collect();
        let state = crate::state::IncidentState::from_records(&stored);
        assert_eq!(state.alerts.len(), whole.len());
        for view in &state.alerts {
            assert_eq!(&view.alert, &whole[&view.alert.id]);
        }
    }
}
