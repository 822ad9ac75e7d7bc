//! The console's state and its one `update`: every key, click, tick and journal record
//! goes through here, and what must happen outside (journal appends, AWS calls) comes
//! back out as effects. Nothing in here does I/O, so all of it is testable as is.

use super::confirm::{Button, Confirm, ConfirmOutcome};
use super::input::{Input, InputKind, InputOutcome};
use super::keymap::{KeyAction, Keymap};
use super::layout;
use super::panes::Edge;
use super::theme::Theme;
use super::views::{self, Item, Lens, Pane, PaneMap, PaneRows, Row};
use crate::model::{
    Action, AlertStatus, NewRecord, Origin, PrincipalRef, Record, RecordBody, Step,
};
use crate::respond::lifecycle::{self, Decision, Opened, Policy};
use crate::respond::resolve;
use crate::source::SourceReport;
use crate::state::pivot::{self, Pivot};
use crate::state::{EntryKind, IncidentState};
use crate::vocabulary::{self, Arg, Command};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use std::collections::BTreeMap;

mod commands;
mod entry;
mod mouse;
mod pivots;
mod responses;
mod time;
use time::ReplayCommand;
pub use time::{LoadStatus, Replay, Script, describe_window, human_bytes};

/// How the console was started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModeKind {
    Demo { speed: f64 },
    Live,
    Replay,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mode {
    pub kind: ModeKind,
    pub read_only: bool,
    pub dry_run: bool,
}

/// Everything that can happen to the console.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Time passes (on the incident's clock).
    Tick(DateTime<Utc>),
    /// New journal records, in order.
    Records(Vec<Record>),
    /// A background task's trouble, in words.
    Problem(String),
    /// A data source's health: refreshed, or failing and why.
    Source(SourceReport),
    /// A background filter's rows: the first screenful, then all of them.
    Filtered {
        pane: Pane,
        generation: u64,
        items: Vec<Item>,
        complete: bool,
    },
    /// CloudTrail events read from an archive, in any order.
    Loaded(Vec<std::sync::Arc<crate::model::CloudTrailEvent>>),
    /// How far the archive's reading has come (and, `done`, how it ended).
    Load(LoadStatus),
    /// A theme file asked for with `:theme PATH`, read (or not) by the runner.
    Theme(Result<Theme, String>),
}

/// A filter over a long pane, to run in the background. Its rows are the pane's as they
/// were when asked; a newer job for the same pane supersedes it (by `generation`).
#[derive(Debug, Clone, PartialEq)]
pub struct FilterJob {
    pub pane: Pane,
    pub generation: u64,
    pub query: String,
    pub items: std::sync::Arc<Vec<Item>>,
    /// Text of the rows that are not events, made beforehand (the job has no state).
    pub texts: std::collections::HashMap<usize, String>,
    /// How many matches make the first screen.
    pub screenful: usize,
}

/// What the console asks the outside world to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Append(Vec<NewRecord>),
    /// Confirm or cancel a request through the response lifecycle: written only if nobody
    /// (in Slack, say) decided it first; a confirmation then runs.
    Decide {
        action_id: String,
        fingerprint: String,
        decision: Decision,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Ask the source for everything it keeps about a pivot (CloudTrail: 90 days).
    Lookup(Pivot),
    /// Filter a long pane away from the screen's thread.
    Filter(FilterJob),
    /// Stop reading the archive (what was read stays).
    CancelLoad,
    /// Read a theme file (`:theme PATH`); the answer comes back as [`Msg::Theme`].
    LoadTheme(String),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// A message in the status bar that fades after a while.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub level: Level,
    ticks_left: u16,
}

/// Ticks a flash message stays (a tick is a quarter second).
const FLASH_TICKS: u16 = 24;

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    Detail {
        item: Item,
        scroll: u16,
    },
    Confirm(Box<Confirm>),
    /// What a key or principal created or changed, worked out when opened and again
    /// whenever the state changes (`version`).
    Blast {
        subject: crate::respond::blast::Subject,
        items: Vec<crate::respond::blast::Touched>,
        version: u64,
        scroll: u16,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

/// One level of pivot: what it follows, the other things it could follow, and where to
/// go back to.
#[derive(Debug, Clone, PartialEq)]
pub struct PivotFrame {
    pub candidates: Vec<Pivot>,
    pub index: usize,
    return_pane: Pane,
    saved: PaneMap<SavedCursor>,
}

/// Where a pane's cursor was, remembered by row identity so it survives new rows.
#[derive(Debug, Clone, PartialEq)]
struct SavedCursor {
    cursor: Cursor,
    row: Option<Item>,
    following: bool,
}

/// Whether a cursor sits at the edge where new rows arrive (the top of Activity, the bottom
/// of the Timeline), and so should move with them, like `tail -f`.
fn is_following(pane: Pane, cursor: Cursor, rows: usize) -> bool {
    match pane.spec().follows {
        Some(Edge::Top) => cursor.selected == 0,
        Some(Edge::Bottom) => cursor.selected + 1 >= rows,
        None => false,
    }
}

/// The edge a following cursor sticks to.
fn following_edge(pane: Pane, rows: usize) -> usize {
    match pane.spec().follows {
        Some(Edge::Bottom) => rows.saturating_sub(1),
        _ => 0,
    }
}

impl PivotFrame {
    pub fn pivot(&self) -> &Pivot {
        &self.candidates[self.index]
    }
}

pub struct App {
    pub state: IncidentState,
    pub mode: Mode,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Who is at the keyboard, as journaled: `alice@tui`.
    pub actor: String,
    pub now: DateTime<Utc>,
    pub pane: Pane,
    pub cursors: PaneMap<Cursor>,
    pub filters: PaneMap<String>,
    pub pivots: Vec<PivotFrame>,
    pub input: Option<Input>,
    pub overlay: Option<Overlay>,
    pub flash: Option<Flash>,
    pub show_all_events: bool,
    pub size: (u16, u16),
    pub rows: PaneMap<PaneRows>,
    /// The current pane's rows on screen, made ready to draw.
    pub visible: Vec<Row>,
    /// Background filters asked for by this update, handed out as effects.
    filter_jobs: Vec<FilterJob>,
    filter_generation: PaneMap<u64>,
    pub history: Vec<String>,
    pub quit: bool,
    /// The health of each data source, by name (`cloudtrail:us-east-1`, `iam`, …).
    pub sources: BTreeMap<String, SourceReport>,
    /// Who the console acts as (live mode): shown in the status bar.
    pub identity: Option<String>,
    /// The account the console acts in and as whom, for every confirmation (live mode).
    pub acting: Option<String>,
    /// With several accounts: what each confirmation names, by the account its calls go to.
    pub acting_in: BTreeMap<String, String>,
    /// The access key the console itself is signed with: acting on it asks twice.
    pub own_key: Option<String>,
    /// The infrastructure code findings lead to (`--iac-repo`, the demo's own).
    pub code: std::sync::Arc<crate::iac::locate::Code>,
    /// The Slack channel the incident is mirrored to, when it is.
    pub slack: Option<String>,
    rows_version: u64,
    /// Replaying a recording: the clock, and what it reveals.
    pub replay: Option<Replay>,
    /// Time windows narrowed into, the innermost last.
    windows: Vec<crate::tui::rate::Window>,
    /// The event-rate chart of the pane on screen, and its selected bar.
    pub chart: Option<crate::tui::rate::RateChart>,
    pub chart_bar: Option<usize>,
    /// An archive being read into the console.
    pub load: Option<LoadStatus>,
    narrowed_cache: PaneMap<Option<(NarrowKey, std::sync::Arc<Vec<Item>>)>>,
}

/// Everything a pane's rows depend on besides the filter.
#[derive(Debug, Clone, PartialEq)]
struct NarrowKey {
    version: u64,
    pivot: Option<Pivot>,
    window: Option<crate::tui::rate::Window>,
    until: Option<DateTime<Utc>>,
    show_all_events: bool,
    now: DateTime<Utc>,
}

impl App {
    pub fn new(
        state: IncidentState,
        mode: Mode,
        keymap: Keymap,
        theme: Theme,
        actor: String,
        now: DateTime<Utc>,
    ) -> Self {
        let mut app = App {
            state,
            mode,
            keymap,
            theme,
            actor,
            now,
            pane: Pane::Alerts,
            cursors: PaneMap::default(),
            filters: Default::default(),
            pivots: Vec::new(),
            input: None,
            overlay: None,
            flash: None,
            show_all_events: false,
            size: (120, 40),
            rows: Default::default(),
            visible: Vec::new(),
            filter_jobs: Vec::new(),
            filter_generation: PaneMap::default(),
            history: Vec::new(),
            quit: false,
            sources: BTreeMap::new(),
            identity: None,
            acting: None,
            acting_in: BTreeMap::new(),
            code: Default::default(),
            own_key: None,
            slack: None,
            rows_version: u64::MAX,
            replay: None,
            windows: Vec::new(),
            chart: None,
            chart_bar: None,
            load: None,
            narrowed_cache: Default::default(),
        };
        app.refresh_rows(true);
        let last = app.rows[Pane::Timeline].len().saturating_sub(1);
        app.cursors[Pane::Timeline].selected = last;
        app.clamp_all();
        app.materialize();
        app
    }

    pub fn pivot(&self) -> Option<&Pivot> {
        self.pivots.last().map(PivotFrame::pivot)
    }

    pub fn current_rows(&self) -> &PaneRows {
        &self.rows[self.pane]
    }

    pub fn cursor(&self) -> Cursor {
        self.cursors[self.pane]
    }

    pub fn selected_item(&self) -> Option<&Item> {
        self.current_rows().items.get(self.cursor().selected)
    }

    /// A warning in the status line, for what the console was started with.
    pub fn warn(&mut self, text: impl Into<String>) {
        self.flash(Level::Warning, text);
    }

    fn flash(&mut self, level: Level, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            level,
            ticks_left: FLASH_TICKS,
        });
    }

    fn screen(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// Rows of the list that fit on screen.
    pub fn page(&self) -> usize {
        (layout::compute(self.screen(), &self.view()).rows.height as usize).max(1)
    }

    /// The one entry point: applies `msg`, returns what must be done outside.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let effects = match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => vec![],
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Msg::Tick(now) => {
                // A replay's clock is its own; the wall clock only paces it.
                if self.replay.is_some() {
                    self.replay_tick(now);
                } else {
                    self.now = now;
                }
                if let Some(f) = &mut self.flash {
                    f.ticks_left = f.ticks_left.saturating_sub(1);
                    if f.ticks_left == 0 {
                        self.flash = None;
                    }
                }
                // Ages and "last used" read the clock.
                self.rebuild_pane(Pane::Keys);
                vec![]
            }
            Msg::Records(records) => {
                for r in &records {
                    self.state.apply(r);
                }
                self.after_records(&records);
                vec![]
            }
            Msg::Problem(text) => {
                self.flash(Level::Error, text);
                vec![]
            }
            Msg::Source(report) => {
                self.sources.insert(report.source.clone(), report);
                vec![]
            }
            Msg::Filtered {
                pane,
                generation,
                items,
                complete,
            } => {
                self.filtered(pane, generation, items, complete);
                vec![]
            }
            Msg::Loaded(events) => {
                self.loaded(events);
                vec![]
            }
            Msg::Load(status) => {
                self.load_progress(status);
                vec![]
            }
            Msg::Theme(Ok(theme)) => {
                self.flash(Level::Info, format!("Theme: {}", theme.name));
                self.theme = theme;
                vec![]
            }
            Msg::Theme(Err(why)) => {
                self.flash(Level::Error, why);
                vec![]
            }
        };
        self.refresh_rows(false);
        self.refresh_blast();
        self.clamp_all();
        self.refresh_chart();
        self.materialize();
        let mut effects = effects;
        effects.extend(self.filter_jobs.drain(..).map(Effect::Filter));
        effects
    }

    /// A background filter's result, if it is still the one wanted.
    fn filtered(&mut self, pane: Pane, generation: u64, items: Vec<Item>, complete: bool) {
        if generation != self.filter_generation[pane] {
            return;
        }
        let unfiltered = self.rows[pane].unfiltered;
        let mut rows = PaneRows::new(items, unfiltered);
        rows.filtering = !complete;
        // The cursor starts on the first match; it stays where it is as the rest arrive.
        if self.rows[pane].filtering && self.rows[pane].count == self.rows[pane].unfiltered {
            self.cursors[pane] = Cursor::default();
        }
        self.rows[pane] = rows;
    }

    /// Makes the current pane's rows on screen ready to draw.
    fn materialize(&mut self) {
        let c = self.cursors[self.pane];
        let page = self.page();
        let filter = self.filters[self.pane].clone();
        self.visible = self.rows[self.pane]
            .items
            .iter()
            .skip(c.offset)
            .take(page)
            .map(|item| views::materialize(self.pane, item, &self.state, self.now, &filter))
            .collect();
    }

    /// Surfaces what other actors did: a Slack-confirmed action, a failed call.
    fn after_records(&mut self, records: &[Record]) {
        for r in records {
            if let RecordBody::Action(step) = &r.body {
                let what = self
                    .state
                    .action(&step.action_id)
                    .and_then(|a| a.action.as_ref())
                    .map(|a| a.describe())
                    .unwrap_or_else(|| step.action_id.clone());
                match &step.step {
                    Step::Succeeded { .. } => self.flash(Level::Info, format!("Done: {what}")),
                    Step::Failed { error } => {
                        self.flash(Level::Error, format!("Failed: {what} — {error}"))
                    }
                    _ => {}
                }
            }
        }
    }

    // ---- rows -------------------------------------------------------------------------

    fn lens(&self, pane: Pane) -> Lens<'_> {
        Lens {
            pivot: self.pivot(),
            filter: &self.filters[pane],
            show_all_events: self.show_all_events,
            now: self.now,
            window: self.window(),
            until: self.horizon(),
        }
    }

    fn rebuild_pane(&mut self, pane: Pane) {
        let narrowed = self.narrowed(pane);
        let old = &self.rows[pane];
        let cursor = self.cursors[pane];
        let selected = old.items.get(cursor.selected).cloned();
        let following = is_following(pane, cursor, old.len());
        let (mut new, background) =
            views::build_from(pane, narrowed, &self.state, &self.lens(pane));
        if background {
            // Keep showing what the previous filter found until the new one answers.
            self.filter_generation[pane] += 1;
            let texts = new
                .items
                .iter()
                .enumerate()
                .filter(|(_, item)| !matches!(item, Item::Event(_)))
                .map(|(n, item)| {
                    let mut buf = String::new();
                    views::write_search_text(pane, item, &self.state, self.now, &mut buf);
                    (n, buf)
                })
                .collect();
            self.filter_jobs.retain(|j| j.pane != pane);
            self.filter_jobs.push(FilterJob {
                pane,
                generation: self.filter_generation[pane],
                query: self.filters[pane].clone(),
                items: new.items.clone(),
                texts,
                screenful: self.page(),
            });
            if old.filtering || old.count < old.unfiltered {
                let unfiltered = new.unfiltered;
                new = old.clone();
                new.unfiltered = unfiltered;
            }
            new.filtering = true;
        }
        let selected = if following {
            following_edge(pane, new.len())
        } else {
            selected
                .and_then(|item| {
                    new.items
                        .iter()
                        .position(|x| views::same_row(x, &item, &self.state))
                })
                .unwrap_or(cursor.selected)
        };
        self.rows[pane] = new;
        self.cursors[pane].selected = selected;
    }

    /// A pane's rows before the filter, made again only when what narrows them changed:
    /// typing a filter over a million events reuses them.
    fn narrowed(&mut self, pane: Pane) -> std::sync::Arc<Vec<Item>> {
        let key = NarrowKey {
            version: self.state.version,
            pivot: self.pivot().cloned(),
            window: self.window(),
            until: self.horizon(),
            show_all_events: self.show_all_events,
            // Only the Keys pane orders by age.
            now: if pane == Pane::Keys {
                self.now
            } else {
                DateTime::<Utc>::MIN_UTC
            },
        };
        if let Some((k, items)) = &self.narrowed_cache[pane]
            && *k == key
        {
            return items.clone();
        }
        let items = std::sync::Arc::new(views::narrowed(pane, &self.state, &self.lens(pane)));
        self.narrowed_cache[pane] = Some((key, items.clone()));
        items
    }

    fn refresh_rows(&mut self, force: bool) {
        if force || self.rows_version != self.state.version {
            for pane in Pane::ALL {
                self.rebuild_pane(pane);
            }
            self.rows_version = self.state.version;
        }
    }

    fn rebuild_all(&mut self) {
        self.refresh_rows(true);
    }

    /// Keeps every cursor on a row, skipping headings, and its row on screen.
    fn clamp_all(&mut self) {
        let page = self.page();
        for pane in Pane::ALL {
            let rows = &self.rows[pane].items;
            let c = &mut self.cursors[pane];
            if rows.is_empty() {
                *c = Cursor::default();
                continue;
            }
            c.selected = c.selected.min(rows.len() - 1);
            if rows[c.selected].is_banner() {
                // Headings are not selectable on their own unless nothing else is near.
                if c.selected + 1 < rows.len() {
                    c.selected += 1;
                }
            }
            if c.selected < c.offset {
                c.offset = c.selected;
            } else if c.selected >= c.offset + page {
                c.offset = c.selected + 1 - page;
            }
            c.offset = c.offset.min(rows.len().saturating_sub(1));
        }
    }

    fn move_by(&mut self, delta: isize) {
        let len = self.rows[self.pane].len();
        if len == 0 {
            return;
        }
        let mut pos = self.cursors[self.pane].selected as isize + delta;
        pos = pos.clamp(0, len as isize - 1);
        // Step over headings in the direction of travel.
        let rows = &self.rows[self.pane].items;
        while rows[pos as usize].is_banner() {
            let next = pos + delta.signum().max(if delta == 0 { 1 } else { -1 });
            if next < 0 || next >= len as isize {
                break;
            }
            pos = next;
        }
        self.cursors[self.pane].selected = pos as usize;
    }

    fn go_to(&mut self, pane: Pane) {
        self.pane = pane;
    }

    // ---- keys -------------------------------------------------------------------------

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(Overlay::Confirm(confirm)) = &mut self.overlay {
            let outcome = confirm.handle(&key);
            return self.on_confirm_outcome(outcome);
        }
        if self.input.is_some() {
            return self.on_input_key(key);
        }
        let Some(action) = self.keymap.lookup(&key) else {
            return vec![];
        };
        match &mut self.overlay {
            Some(Overlay::Blast { .. }) if action == KeyAction::Contain => {
                let Some(Overlay::Blast { subject, .. }) = self.overlay.take() else {
                    unreachable!("matched above")
                };
                self.propose_plan(subject)
            }
            Some(Overlay::Help { scroll })
            | Some(Overlay::Detail { scroll, .. })
            | Some(Overlay::Blast { scroll, .. }) => {
                match action {
                    KeyAction::Down => *scroll = scroll.saturating_add(1),
                    KeyAction::Up => *scroll = scroll.saturating_sub(1),
                    KeyAction::PageDown => *scroll = scroll.saturating_add(10),
                    KeyAction::PageUp => *scroll = scroll.saturating_sub(10),
                    KeyAction::Top => *scroll = 0,
                    KeyAction::Bottom => *scroll = u16::MAX / 2,
                    KeyAction::Back | KeyAction::Quit | KeyAction::Detail | KeyAction::Help => {
                        self.overlay = None
                    }
                    other => {
                        // Anything else acts on the item being looked at.
                        self.overlay = None;
                        return self.on_action(other);
                    }
                }
                vec![]
            }
            _ => self.on_action(action),
        }
    }

    fn on_action(&mut self, action: KeyAction) -> Vec<Effect> {
        match action {
            KeyAction::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            KeyAction::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            KeyAction::Filter => {
                let current = self.filters[self.pane].clone();
                self.input = Some(Input::new(InputKind::Filter, &current));
            }
            KeyAction::Command => self.input = Some(Input::new(InputKind::Command, "")),
            KeyAction::NextPane => self.go_to(Pane::ALL[(self.pane.index() + 1) % Pane::ALL.len()]),
            KeyAction::PrevPane => {
                self.go_to(Pane::ALL[(self.pane.index() + Pane::ALL.len() - 1) % Pane::ALL.len()])
            }
            KeyAction::Pane(n) => {
                if let Some(&p) = Pane::ALL.get(usize::from(n).saturating_sub(1)) {
                    self.go_to(p);
                }
            }
            KeyAction::Down => self.move_by(1),
            KeyAction::Up => self.move_by(-1),
            KeyAction::PageDown => self.move_by(self.page() as isize),
            KeyAction::PageUp => self.move_by(-(self.page() as isize)),
            KeyAction::Top => {
                self.cursors[self.pane].selected = 0;
                self.move_by(0);
            }
            KeyAction::Bottom => {
                let len = self.current_rows().len();
                self.cursors[self.pane].selected = len.saturating_sub(1);
            }
            KeyAction::Detail => {
                if let Some(item) = self.selected_item().cloned() {
                    self.overlay = Some(Overlay::Detail { item, scroll: 0 });
                }
            }
            KeyAction::Back => return self.back(),
            KeyAction::Pivot => return self.pivot_on_selection(),
            KeyAction::DeactivateKey => return self.respond_on_selection(KeyAction::DeactivateKey),
            KeyAction::DeleteKey => return self.respond_on_selection(KeyAction::DeleteKey),
            KeyAction::DenyAll => return self.respond_on_selection(KeyAction::DenyAll),
            KeyAction::BlastRadius => {
                if let Some(subject) = self.subject_for(None) {
                    self.open_blast(subject);
                }
            }
            KeyAction::Contain => {
                if let Some(subject) = self.subject_for(None) {
                    return self.propose_plan(subject);
                }
            }
            KeyAction::RevokeSessions => {
                return self.respond_on_selection(KeyAction::RevokeSessions);
            }
            KeyAction::Remediate => return self.respond_on_selection(KeyAction::Remediate),
            KeyAction::Acknowledge => {
                return self.annotate(Command::Ack(None));
            }
            KeyAction::ResolveAlert => return self.annotate(Command::Resolve(None)),
            KeyAction::ToggleEvents => {
                self.show_all_events = !self.show_all_events;
                self.rebuild_all();
                self.flash(
                    Level::Info,
                    if self.show_all_events {
                        "Timeline: every CloudTrail event"
                    } else {
                        "Timeline: only the events behind alerts"
                    },
                );
            }
            KeyAction::Yank => return self.yank(),
            KeyAction::ChartLeft => self.chart_move(-1),
            KeyAction::ChartRight => self.chart_move(1),
            KeyAction::Window => self.zoom_in(),
            KeyAction::PlayPause => return self.replay_command(ReplayCommand::Toggle),
            KeyAction::Faster => return self.replay_command(ReplayCommand::Faster),
            KeyAction::Slower => return self.replay_command(ReplayCommand::Slower),
            KeyAction::StepForward => return self.replay_command(ReplayCommand::Step(true)),
            KeyAction::StepBack => return self.replay_command(ReplayCommand::Step(false)),
        }
        vec![]
    }

    /// Goes back one step: the filter, then the pivot, then the time window; with none of
    /// those, stops an archive that is still loading.
    fn back(&mut self) -> Vec<Effect> {
        if !self.filters[self.pane].is_empty() {
            self.filters[self.pane].clear();
            self.rebuild_pane(self.pane);
        } else if let Some(frame) = self.pivots.pop() {
            self.pane = frame.return_pane;
            self.rebuild_all();
            self.restore_cursors(&frame.saved);
        } else if !self.zoom_out() && self.loading() {
            self.flash(Level::Info, "Stopping the load: what was read stays");
            return vec![Effect::CancelLoad];
        }
        vec![]
    }

    fn save_cursors(&self) -> PaneMap<SavedCursor> {
        PaneMap::from_fn(|pane| {
            let cursor = self.cursors[pane];
            let rows = &self.rows[pane];
            SavedCursor {
                cursor,
                row: rows.items.get(cursor.selected).cloned(),
                following: is_following(pane, cursor, rows.len()),
            }
        })
    }

    fn restore_cursors(&mut self, saved: &PaneMap<SavedCursor>) {
        for pane in Pane::ALL {
            let s = &saved[pane];
            let rows = &self.rows[pane].items;
            let selected = if s.following {
                following_edge(pane, rows.len())
            } else {
                s.row
                    .as_ref()
                    .and_then(|item| {
                        rows.iter()
                            .position(|r| views::same_row(r, item, &self.state))
                    })
                    .unwrap_or(s.cursor.selected)
            };
            self.cursors[pane] = Cursor {
                selected,
                offset: s.cursor.offset,
            };
        }
    }
}

#[cfg(test)]
mod tests;
