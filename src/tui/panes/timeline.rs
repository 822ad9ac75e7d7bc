//! Timeline: responders' steps, alerts, findings and notes, with the events behind alerts
//! (or every event, when asked), in time order, newest at the bottom.

use super::{Edge, PaneSpec, PaneView};
use crate::model::CloudTrailEvent;
use crate::state::{ChatState, EntryKind, IncidentState};
use crate::tui::keymap::KeyAction as K;
use crate::tui::views::{Column, Item, Lens, Tone, full_time};
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct Timeline;

const COLUMNS: &[Column] = &[
    Column::fixed("TIME (UTC)", 19),
    Column::fixed("BY", 16),
    Column::fill("WHAT", 1),
    Column::fixed("SLACK", 8),
];

const SPEC: PaneSpec = PaneSpec {
    title: "Timeline",
    columns: COLUMNS,
    empty: "Nothing has happened yet",
    sources: &[],
    hints: &[(K::ToggleEvents, "all events"), (K::Detail, "detail")],
    follows: Some(Edge::Bottom),
    charted: true,
    toned_cell: None,
};

impl PaneView for Timeline {
    fn spec(&self) -> &'static PaneSpec {
        &SPEC
    }

    /// The story: the records and the notable events (or all), merged in time order.
    fn items(&self, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
        let entries = state
            .timeline
            .iter()
            .enumerate()
            .filter(|(_, e)| lens.in_time(e.at))
            .filter(|(_, e)| lens.pivot.is_none_or(|p| p.matches_entry(e, state)))
            .map(|(i, e)| (e.at, Item::Entry(i)));
        let events: Box<dyn Iterator<Item = &Arc<CloudTrailEvent>>> = if lens.show_all_events {
            Box::new(lens.events(state).iter())
        } else {
            // A set has no order: put them in time order (then by ID, for calls in the same
            // second) before they meet the records.
            let mut notable: Vec<_> = state
                .notable_events()
                .filter(|e| lens.in_time(e.event_time))
                .collect();
            notable.sort_by(|a, b| (a.event_time, a.event_id()).cmp(&(b.event_time, b.event_id())));
            Box::new(notable.into_iter())
        };
        let events = events
            .filter(|e| lens.pivot.is_none_or(|p| p.matches_event(e)))
            .map(|e| (e.event_time, Item::Event(e.clone())));
        let mut all: Vec<(DateTime<Utc>, Item)> = entries.chain(events).collect();
        // Stable: an event and a record of the same instant keep their own orders.
        all.sort_by_key(|(at, _)| *at);
        all.into_iter().map(|(_, item)| item).collect()
    }

    fn cells(
        &self,
        item: &Item,
        state: &IncidentState,
        _now: DateTime<Utc>,
    ) -> (Vec<String>, Tone) {
        match item {
            Item::Event(e) => {
                let tone = if e.failed() || e.malformed().is_some() {
                    Tone::Error
                } else {
                    Tone::Muted
                };
                (
                    vec![
                        full_time(e.event_time),
                        "cloudtrail".into(),
                        e.summary(),
                        String::new(),
                    ],
                    tone,
                )
            }
            Item::Entry(i) => {
                let e = &state.timeline[*i];
                let tone = match &e.kind {
                    EntryKind::Alert { severity, .. } => Tone::Severity(*severity),
                    EntryKind::Action { failed: true, .. } => Tone::Error,
                    EntryKind::Action { .. } => Tone::Ok,
                    EntryKind::Note | EntryKind::Incident => Tone::Accent,
                    EntryKind::Key => Tone::Warning,
                    EntryKind::Source { ok: false } | EntryKind::Chat { accepted: false } => {
                        Tone::Error
                    }
                    _ => Tone::Normal,
                };
                (
                    vec![
                        full_time(e.at),
                        e.actor.clone(),
                        e.summary.clone(),
                        slack_state(state, e.seq),
                    ],
                    tone,
                )
            }
            _ => (Vec::new(), Tone::Normal),
        }
    }

    fn event_text(&self, e: &CloudTrailEvent, buf: &mut String) {
        use std::fmt::Write;
        let _ = write!(
            buf,
            "{} cloudtrail {} ",
            full_time(e.event_time),
            e.summary()
        );
    }
}

/// How the Slack mirror of a record is doing, in a word.
fn slack_state(state: &IncidentState, seq: i64) -> String {
    match state.chat_for(seq).map(|c| &c.state) {
        None => String::new(),
        Some(ChatState::Queued) => "queued".into(),
        Some(ChatState::Retrying { attempt, .. }) => format!("retry {attempt}"),
        Some(ChatState::Sent { .. }) => "sent".into(),
        Some(ChatState::Dropped { .. }) => "dropped".into(),
    }
}
