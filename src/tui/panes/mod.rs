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

    pub fn spec(self) -> &'static PaneSpec {
        self.view().spec()
    }

    pub fn title(self) -> &'static str {
        self.spec().title
    }

    pub fn columns(self) -> &'static [Column] {
        self.spec().columns
    }
}

/// Where a pane's new rows arrive; a cursor at that edge moves with them, like `tail -f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Top,
    Bottom,
}

/// What a pane is, as data: its tab title, its columns, what it says when empty, which
/// source families' health it shows, the keys its status bar suggests, where new rows
/// arrive, whether the event-rate chart sits above it, and which cell its rows' tone colours.
pub struct PaneSpec {
    pub title: &'static str,
    pub columns: &'static [Column],
    pub empty: &'static str,
    pub sources: &'static [&'static str],
    pub hints: &'static [(KeyAction, &'static str)],
    pub follows: Option<Edge>,
    pub charted: bool,
    pub toned_cell: Option<usize>,
}

/// What makes a pane itself: its description, and its rows.
pub trait PaneView: Sync {
    fn spec(&self) -> &'static PaneSpec;
    /// The pane's items in display order, narrowed by the lens, before any filter.
    fn items(&self, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item>;
    /// The cells and tone of one of its rows.
    fn cells(&self, item: &Item, state: &IncidentState, now: DateTime<Utc>) -> (Vec<String>, Tone);
    /// An event row's searchable text, made without the state (filters run on other
    /// threads). The same words as its cells.
    fn event_text(&self, e: &CloudTrailEvent, buf: &mut String) {
        activity::write_event_cells(e, buf);
    }
}
