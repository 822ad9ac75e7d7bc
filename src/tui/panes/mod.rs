//! The console's panes, one module each. A pane says what it lists (its items, narrowed by
//! the lens), how a row reads (its cells and tone), what its columns are, where new rows
//! arrive, which sources feed it, and which keys its status bar suggests. The rest of the
//! console — filtering, the cursor, drawing — asks the pane through [`PaneView`].
//!
//! A new pane is a module here implementing [`PaneView`], a variant of [`Pane`] and its
//! line in [`Pane::view`].

mod activity;
mod alerts;
mod findings;
mod keys;
mod timeline;

use super::keymap::KeyAction;
use super::views::{Column, Item, Lens, Tone};
use crate::model::CloudTrailEvent;
use crate::state::IncidentState;
use chrono::{DateTime, Utc};

/// Which pane: the tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Alerts,
    Findings,
    Activity,
    Keys,
    Timeline,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Alerts,
        Pane::Findings,
        Pane::Activity,
        Pane::Keys,
        Pane::Timeline,
    ];

    /// The pane's behaviour.
    pub fn view(self) -> &'static dyn PaneView {
        match self {
            Pane::Alerts => &alerts::Alerts,
            Pane::Findings => &findings::Findings,
            Pane::Activity => &activity::Activity,
            Pane::Keys => &keys::Keys,
            Pane::Timeline => &timeline::Timeline,
        }
    }

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn title(self) -> &'static str {
        self.view().title()
    }

    pub fn columns(self) -> &'static [Column] {
        self.view().columns()
    }
}

/// Where a pane's new rows arrive; a cursor at that edge moves with them, like `tail -f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Top,
    Bottom,
}

/// What makes a pane itself.
pub trait PaneView: Sync {
    fn title(&self) -> &'static str;
    fn columns(&self) -> &'static [Column];
    /// The pane's items in display order, narrowed by the lens, before any filter.
    fn items(&self, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item>;
    /// The cells and tone of one of its rows.
    fn cells(&self, item: &Item, state: &IncidentState, now: DateTime<Utc>) -> (Vec<String>, Tone);
    /// An event row's searchable text, made without the state (filters run on other
    /// threads). The same words as its cells.
    fn event_text(&self, e: &CloudTrailEvent, buf: &mut String) {
        activity::write_event_cells(e, buf);
    }
    /// The cell the row's tone colours, if one does.
    fn toned_cell(&self) -> Option<usize> {
        None
    }
    /// The source families whose health the pane shows (`cloudtrail`, `iam`, …).
    fn sources(&self) -> &'static [&'static str] {
        &[]
    }
    fn empty_message(&self) -> &'static str;
    /// The keys the status bar suggests here, besides the ones every pane has.
    fn hints(&self) -> &'static [(KeyAction, &'static str)];
    fn follows(&self) -> Option<Edge> {
        None
    }
    /// Whether the event-rate chart sits above it.
    fn charted(&self) -> bool {
        false
    }
}
