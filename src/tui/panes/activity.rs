//! Activity: CloudTrail events, newest first.

use super::{Edge, PaneSpec, PaneView};
use crate::model::CloudTrailEvent;
use crate::state::IncidentState;
use crate::tui::keymap::KeyAction as K;
use crate::tui::views::{Column, Item, Lens, Tone, short_time};
use chrono::{DateTime, Utc};

pub struct Activity;

const COLUMNS: &[Column] = &[
    Column::fixed("TIME (UTC)", 14),
    Column::fixed("REGION", 14),
    Column::fixed("PRINCIPAL", 22),
    Column::fixed("SOURCE IP", 15),
    Column::fill("EVENT", 1),
    Column::fill("ERROR", 1),
];

/// What an event's error cell says.
pub(crate) fn event_error(e: &CloudTrailEvent) -> &str {
    match (&e.error_code, e.malformed()) {
        (Some(code), _) => code,
        (None, Some(_)) => "unreadable event JSON",
        (None, None) => "",
    }
}

pub(super) fn event_cells(e: &CloudTrailEvent) -> (Vec<String>, Tone) {
    let tone = if e.failed() || e.malformed().is_some() {
        Tone::Error
    } else {
        Tone::Normal
    };
    (
        vec![
            short_time(e.event_time),
            e.aws_region.to_string(),
            e.principal().to_string(),
            e.source_ip.to_string(),
            format!("{}:{}", e.service(), e.event_name),
            event_error(e).to_string(),
        ],
        tone,
    )
}

/// The row's searchable text: its cells, space-joined, written without allocating each.
pub(super) fn write_event_cells(e: &CloudTrailEvent, buf: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        buf,
        "{} {} {} {} {}:{} {}",
        short_time(e.event_time),
        e.aws_region,
        e.principal(),
        e.source_ip,
        e.service(),
        e.event_name,
        event_error(e)
    );
}

const SPEC: PaneSpec = PaneSpec {
    title: "Activity",
    columns: COLUMNS,
    empty: "No CloudTrail events yet",
    sources: &["cloudtrail", "athena"],
    hints: &[
        (K::Detail, "JSON"),
        (K::Pivot, "pivot"),
        (K::DeactivateKey, "deactivate key"),
    ],
    follows: Some(Edge::Top),
    charted: true,
    toned_cell: None,
};

impl PaneView for Activity {
    fn spec(&self) -> &'static PaneSpec {
        &SPEC
    }

    fn items(&self, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
        lens.events(state)
            .iter()
            .rev()
            .filter(|e| lens.pivot.is_none_or(|p| p.matches_event(e)))
            .map(|e| Item::Event(e.clone()))
            .collect()
    }

    fn cells(
        &self,
        item: &Item,
        _state: &IncidentState,
        _now: DateTime<Utc>,
    ) -> (Vec<String>, Tone) {
        match item {
            Item::Event(e) => event_cells(e),
            _ => (Vec::new(), Tone::Normal),
        }
    }
}
