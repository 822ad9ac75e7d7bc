//! What the screen shows: a read-only view of the console, taken after each update. The
//! renderer, the layout and the detail panel see only this — never the app itself — so
//! drawing can neither change the state nor wait on anything.

use super::app::{App, Cursor, Flash, LoadStatus, Mode, Overlay, PivotFrame, Replay};
use super::input::Input;
use super::keymap::Keymap;
use super::rate::{RateChart, Window};
use super::theme::Theme;
use super::views::{Item, Pane, PaneMap, PaneRows, Row};
use crate::replay::ReplayClock;
use crate::source::SourceReport;
use crate::state::IncidentState;
use crate::state::pivot::Pivot;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

pub struct View<'a> {
    pub state: &'a IncidentState,
    pub mode: &'a Mode,
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    pub pane: Pane,
    pub rows: &'a PaneMap<PaneRows>,
    pub filters: &'a PaneMap<String>,
    /// The current pane's rows on screen, ready to draw.
    pub visible: &'a [Row],
    pub cursor: Cursor,
    pub pivots: &'a [PivotFrame],
    pub input: Option<&'a Input>,
    pub overlay: Option<&'a Overlay>,
    pub flash: Option<&'a Flash>,
    pub show_all_events: bool,
    pub size: (u16, u16),
    pub sources: &'a BTreeMap<String, SourceReport>,
    pub identity: Option<&'a str>,
    pub slack: Option<&'a str>,
    pub replay: Option<&'a Replay>,
    pub chart: Option<&'a RateChart>,
    pub chart_bar: Option<usize>,
    pub load: Option<&'a LoadStatus>,
    pub code: &'a crate::iac::locate::Code,
    window: Option<Window>,
}

impl App {
    /// What the screen shows now.
    pub fn view(&self) -> View<'_> {
        View::of(self)
    }
}

impl<'a> View<'a> {
    pub fn of(app: &'a App) -> View<'a> {
        View {
            state: &app.state,
            mode: &app.mode,
            keymap: &app.keymap,
            theme: &app.theme,
            now: app.now,
            pane: app.pane,
            rows: &app.rows,
            filters: &app.filters,
            visible: &app.visible,
            cursor: app.cursor(),
            pivots: &app.pivots,
            input: app.input.as_ref(),
            overlay: app.overlay.as_ref(),
            flash: app.flash.as_ref(),
            show_all_events: app.show_all_events,
            size: app.size,
            sources: &app.sources,
            identity: app.identity.as_deref(),
            slack: app.slack.as_deref(),
            replay: app.replay.as_ref(),
            chart: app.chart.as_ref(),
            chart_bar: app.chart_bar,
            load: app.load.as_ref(),
            code: &app.code,
            window: app.window(),
        }
    }

    pub fn current_rows(&self) -> &'a PaneRows {
        &self.rows[self.pane]
    }

    pub fn selected_item(&self) -> Option<&'a Item> {
        self.current_rows().items.get(self.cursor.selected)
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn pivot(&self) -> Option<&'a Pivot> {
        self.pivots.last().map(PivotFrame::pivot)
    }

    pub fn window(&self) -> Option<Window> {
        self.window
    }

    pub fn replay_clock(&self) -> Option<&'a ReplayClock> {
        self.replay.map(|r| &r.clock)
    }
}
