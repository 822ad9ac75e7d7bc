//! Where everything goes on screen. Drawing and mouse hit-testing both use this, so a click
//! always lands on what was drawn there.

use super::view::View;
use super::views::Pane;
use ratatui::layout::{Constraint, Layout, Rect};

/// The screen's regions for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppLayout {
    pub header: Rect,
    pub tabs: Rect,
    pub pivot: Option<Rect>,
    /// The event-rate chart (Activity and Timeline, on a screen tall enough): bars, then
    /// one line of legend.
    pub chart: Option<Rect>,
    /// The replay clock and loading progress, above the status bar.
    pub replay: Option<Rect>,
    /// The bordered pane.
    pub pane: Rect,
    /// Inside the border: one line of column titles, then rows.
    pub rows: Rect,
    pub preview: Option<Rect>,
    pub status: Rect,
}

/// Rows of preview under the list, when the screen is tall enough for both.
const PREVIEW_HEIGHT: u16 = 9;
const PREVIEW_MIN_SCREEN: u16 = 28;
/// The chart's bars and legend, and the screen height it needs to leave the list room.
pub const CHART_HEIGHT: u16 = 4;
const CHART_MIN_SCREEN: u16 = 22;

pub fn compute(area: Rect, view: &View<'_>) -> AppLayout {
    let pivot_height = u16::from(view.pivot().is_some());
    let charted = view.pane.spec().charted
        && area.height >= CHART_MIN_SCREEN
        && !view.state.events.is_empty();
    let chart_height = if charted { CHART_HEIGHT } else { 0 };
    let replay_height = u16::from(view.replay.is_some() || view.load.is_some());
    let [header, tabs, pivot, chart, body, replay, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(pivot_height),
        Constraint::Length(chart_height),
        Constraint::Min(3),
        Constraint::Length(replay_height),
        Constraint::Length(1),
    ])
    .areas(area);
    let (pane, preview) = if area.height >= PREVIEW_MIN_SCREEN {
        let [pane, preview] =
            Layout::vertical([Constraint::Min(5), Constraint::Length(PREVIEW_HEIGHT)]).areas(body);
        (pane, Some(preview))
    } else {
        (body, None)
    };
    let inner = Rect {
        x: pane.x.saturating_add(1),
        y: pane.y.saturating_add(1),
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(2),
    };
    let rows = Rect {
        y: inner.y.saturating_add(1),
        height: inner.height.saturating_sub(1),
        ..inner
    };
    AppLayout {
        header,
        tabs,
        pivot: (pivot_height > 0).then_some(pivot),
        chart: charted.then_some(chart),
        replay: (replay_height > 0).then_some(replay),
        pane,
        rows,
        preview,
        status,
    }
}

/// The label of each tab, as drawn.
pub fn tab_labels(view: &View<'_>) -> Vec<(Pane, String)> {
    Pane::ALL
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let rows = &view.rows[p];
            let count = rows.count;
            (p, format!(" {} {} ({count}) ", i + 1, p.title()))
        })
        .collect()
}

/// The pane whose tab is at column `x` of the tab line.
pub fn tab_at(view: &View<'_>, x: u16) -> Option<Pane> {
    let mut left = 0u16;
    for (pane, label) in tab_labels(view) {
        let width = label.chars().count() as u16;
        if x >= left && x < left + width {
            return Some(pane);
        }
        left += width + 1;
    }
    None
}

/// A centred box of at most `w`×`h`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The confirmation dialog and its two buttons.
pub struct DialogLayout {
    pub area: Rect,
    pub cancel: Rect,
    pub confirm: Rect,
}

pub const CANCEL_LABEL: &str = "  Cancel  ";

pub fn dialog(screen: Rect, body_lines: u16, confirm_label: &str) -> DialogLayout {
    let area = centered(screen, 84, body_lines + 4);
    let y = area.y + area.height.saturating_sub(2);
    let confirm_w = confirm_label.chars().count() as u16;
    let cancel_w = CANCEL_LABEL.len() as u16;
    let total = cancel_w + 3 + confirm_w;
    let x = area.x + area.width.saturating_sub(total) / 2;
    DialogLayout {
        area,
        cancel: Rect::new(x, y, cancel_w, 1),
        confirm: Rect::new(x + cancel_w + 3, y, confirm_w, 1),
    }
}
