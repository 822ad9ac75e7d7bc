//! Alerts: open first, worst first, newest first.

use super::{PaneSpec, PaneView};
use crate::model::AlertStatus;
use crate::state::IncidentState;
use crate::tui::keymap::KeyAction as K;
use crate::tui::views::{Column, Item, Lens, Tone, clock};
use chrono::{DateTime, Utc};

pub struct Alerts;

const COLUMNS: &[Column] = &[
    Column::fixed("SEV", 8),
    Column::fixed("STATUS", 8),
    Column::fill("ALERT", 3),
    Column::fixed("PRINCIPAL", 16),
    Column::fixed("COUNT", 6),
    Column::fixed("LAST SEEN", 9),
];

const SPEC: PaneSpec = PaneSpec {
    title: "Alerts",
    columns: COLUMNS,
    empty: "No alerts yet — detections run on every event as it arrives",
    sources: &["securityhub", "trails"],
    hints: &[
        (K::Pivot, "pivot"),
        (K::DeactivateKey, "deactivate key"),
        (K::Acknowledge, "ack"),
    ],
    follows: None,
    charted: false,
    toned_cell: Some(0),
};

impl PaneView for Alerts {
    fn spec(&self) -> &'static PaneSpec {
        &SPEC
    }

    fn items(&self, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
        let mut idx: Vec<usize> = (0..state.alerts.len())
            // A replay shows the alerts raised by its clock.
            .filter(|&i| {
                lens.until
                    .is_none_or(|u| state.alerts[i].alert.first_seen <= u)
            })
            .filter(|&i| {
                lens.pivot
                    .is_none_or(|p| p.matches_alert(&state.alerts[i].alert, state))
            })
            .collect();
        // Open first, then worst first, then most recent first.
        idx.sort_by(|&a, &b| {
            let (a, b) = (&state.alerts[a], &state.alerts[b]);
            (a.status == AlertStatus::Resolved)
                .cmp(&(b.status == AlertStatus::Resolved))
                .then(b.alert.severity.cmp(&a.alert.severity))
                .then(b.alert.last_seen.cmp(&a.alert.last_seen))
        });
        idx.into_iter().map(Item::Alert).collect()
    }

    fn cells(
        &self,
        item: &Item,
        state: &IncidentState,
        _now: DateTime<Utc>,
    ) -> (Vec<String>, Tone) {
        let Item::Alert(i) = item else {
            return (Vec::new(), Tone::Normal);
        };
        let v = &state.alerts[*i];
        let a = &v.alert;
        let tone = if v.status == AlertStatus::Resolved {
            Tone::Muted
        } else {
            Tone::Severity(a.severity)
        };
        (
            vec![
                a.severity.as_str().to_uppercase(),
                v.status.as_str().into(),
                a.title.clone(),
                a.principal.clone().unwrap_or_default(),
                a.count.to_string(),
                clock(a.last_seen),
            ],
            tone,
        )
    }
}
