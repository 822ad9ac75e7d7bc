//! The rows each pane shows: what the state holds, narrowed by the pivot and the fuzzy
//! filter, as text cells ready to draw. Computed in `update`, never while drawing.

pub use super::panes::Pane;
use crate::model::{CloudTrailEvent, Query, Severity};
use crate::state::IncidentState;
use crate::state::pivot::Pivot;
use chrono::{DateTime, Utc};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::sync::Arc;

/// One value per pane, indexed by the pane: what the console keeps for each (cursor,
/// filter, rows…), without parallel arrays indexed by number.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PaneMap<T>([T; Pane::ALL.len()]);

impl<T> PaneMap<T> {
    pub fn from_fn(mut f: impl FnMut(Pane) -> T) -> Self {
        PaneMap(std::array::from_fn(|i| f(Pane::ALL[i])))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.iter_mut()
    }
}

impl<T> std::ops::Index<Pane> for PaneMap<T> {
    type Output = T;
    fn index(&self, pane: Pane) -> &T {
        &self.0[pane.index()]
    }
}

impl<T> std::ops::IndexMut<Pane> for PaneMap<T> {
    fn index_mut(&mut self, pane: Pane) -> &mut T {
        &mut self.0[pane.index()]
    }
}

/// A column: a title and either a fixed width or a share of what is left.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub fixed: u16,
    pub fill: u16,
}

impl Column {
    pub const fn fixed(title: &'static str, width: u16) -> Column {
        Column {
            title,
            fixed: width,
            fill: 0,
        }
    }
    pub const fn fill(title: &'static str, share: u16) -> Column {
        Column {
            title,
            fixed: 0,
            fill: share,
        }
    }
}

/// What a row stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Alert(usize),
    /// A rule, as a handle: every row is 16 bytes, and the Activity pane holds one per event.
    Rule(crate::model::Sym),
    Finding(usize),
    Event(Arc<CloudTrailEvent>),
    Key(usize),
    Entry(usize),
}

impl Item {
    /// A full-width heading row (a rule above its resources).
    pub fn is_banner(&self) -> bool {
        matches!(self, Item::Rule(_))
    }
}

/// Whether two rows, from two builds of a pane, stand for the same thing: the cursor stays
/// on it when rows come and go around it.
pub fn same_row(a: &Item, b: &Item, state: &IncidentState) -> bool {
    match (a, b) {
        (Item::Event(x), Item::Event(y)) => x.id_key() == y.id_key(),
        (Item::Entry(x), Item::Entry(y)) => {
            state.timeline.get(*x).map(|e| e.seq) == state.timeline.get(*y).map(|e| e.seq)
        }
        (x, y) => x == y,
    }
}

/// How a row should look, in theme terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Muted,
    Severity(Severity),
    Ok,
    Warning,
    Error,
    Accent,
}

/// A row ready to draw: only the rows on screen are made.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub item: Item,
    pub cells: Vec<String>,
    pub banner: bool,
    pub tone: Tone,
    /// Fuzzy-matched character positions, per cell.
    pub matches: Vec<Vec<usize>>,
}

/// One pane's rows: what they stand for, in display order. Cheap even for a million events;
/// their text is made for the rows on screen only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaneRows {
    /// Shared: a million rows are handed to a background filter, or kept while it runs,
    /// without being copied.
    pub items: Arc<Vec<Item>>,
    /// Rows (not headings) before the filter, after the pivot: for "12 of 340".
    pub unfiltered: usize,
    /// Rows (not headings) shown.
    pub count: usize,
    /// A filter is still running over these rows in the background.
    pub filtering: bool,
}

impl PaneRows {
    pub fn new(items: Vec<Item>, unfiltered: usize) -> Self {
        Self::shared(Arc::new(items), unfiltered)
    }

    pub fn shared(items: Arc<Vec<Item>>, unfiltered: usize) -> Self {
        let count = items.iter().filter(|i| !i.is_banner()).count();
        PaneRows {
            items,
            unfiltered,
            count,
            filtering: false,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What narrows a pane.
pub struct Lens<'a> {
    pub pivot: Option<&'a Pivot>,
    pub filter: &'a str,
    pub show_all_events: bool,
    pub now: DateTime<Utc>,
    /// Only what happened in this time range (Activity and Timeline).
    pub window: Option<crate::tui::rate::Window>,
    /// Nothing after this moment: a replay's clock.
    pub until: Option<DateTime<Utc>>,
}

impl Lens<'_> {
    /// Whether a moment is inside the window and not after the replay's clock.
    pub(crate) fn in_time(&self, t: DateTime<Utc>) -> bool {
        self.window.is_none_or(|w| w.contains(t)) && self.until.is_none_or(|u| t <= u)
    }

    /// The events in time: a slice of the sorted list, found by binary search.
    pub(crate) fn events<'s>(&self, state: &'s IncidentState) -> &'s [Arc<CloudTrailEvent>] {
        let events = &state.events[..];
        let lo = self
            .window
            .map_or(0, |w| events.partition_point(|e| e.event_time < w.from));
        let mut hi = self.window.map_or(events.len(), |w| {
            events.partition_point(|e| e.event_time < w.to)
        });
        if let Some(u) = self.until {
            hi = hi.min(events.partition_point(|e| e.event_time <= u));
        }
        &events[lo..hi.max(lo)]
    }
}

/// Panes longer than this are filtered in the background, so typing never waits.
pub const SYNC_FILTER_LIMIT: usize = 20_000;

/// The rows of a pane: narrowed by the pivot, then by the filter when that is quick. A long
/// pane comes back unfiltered and `needs_background` says the filter must run elsewhere.
pub fn build(pane: Pane, state: &IncidentState, lens: &Lens<'_>) -> (PaneRows, bool) {
    build_from(pane, Arc::new(narrowed(pane, state, lens)), state, lens)
}

/// As `build`, from the pane's items already narrowed (see [`narrowed`]).
pub fn build_from(
    pane: Pane,
    items: Arc<Vec<Item>>,
    state: &IncidentState,
    lens: &Lens<'_>,
) -> (PaneRows, bool) {
    let unfiltered = items.iter().filter(|i| !i.is_banner()).count();
    let query = lens.filter.trim();
    if query.is_empty() {
        return (PaneRows::shared(items, unfiltered), false);
    }
    if items.len() > SYNC_FILTER_LIMIT {
        let mut rows = PaneRows::shared(items, unfiltered);
        rows.filtering = true;
        return (rows, true);
    }
    let items = Arc::try_unwrap(items).unwrap_or_else(|shared| shared.to_vec());
    let kept = filter_items(pane, items, state, lens.now, &Query::new(query), None);
    (PaneRows::new(kept, unfiltered), false)
}

/// The items of a pane in display order, narrowed by the pivot, before any filter.
pub fn narrowed(pane: Pane, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
    pane.view().items(state, lens)
}

/// Writes a row's searchable text (its cells, space-joined) into `buf`.
pub fn write_search_text(
    pane: Pane,
    item: &Item,
    state: &IncidentState,
    now: DateTime<Utc>,
    buf: &mut String,
) {
    buf.clear();
    match item {
        Item::Event(e) => pane.view().event_text(e, buf),
        _ => {
            let cells = cells(pane, item, state, now).0;
            buf.push_str(&cells.join(" "));
        }
    }
}

/// Keeps the items that match the query, in their order (a rule heading stays when one of
/// its resources does). `cancel` is checked now and then: a newer filter supersedes this one.
pub fn filter_items(
    pane: Pane,
    items: Vec<Item>,
    state: &IncidentState,
    now: DateTime<Utc>,
    query: &Query,
    cancel: Option<&dyn Fn() -> bool>,
) -> Vec<Item> {
    let mut out = Vec::new();
    let mut pending_banner: Option<Item> = None;
    let mut buf = String::with_capacity(256);
    for (n, item) in items.into_iter().enumerate() {
        if n % 4096 == 0 && cancel.is_some_and(|c| c()) {
            return out;
        }
        write_search_text(pane, &item, state, now, &mut buf);
        let hit = query.matches(&buf);
        if item.is_banner() {
            if hit {
                out.push(item);
                pending_banner = None;
            } else {
                pending_banner = Some(item);
            }
            continue;
        }
        if hit {
            if let Some(b) = pending_banner.take() {
                out.push(b);
            }
            out.push(item);
        }
    }
    out
}

/// Filters events away from the state (in a background thread): only event rows and rows
/// whose text was made beforehand.
pub fn filter_detached(
    pane: Pane,
    items: &[Item],
    texts: &std::collections::HashMap<usize, String>,
    query: &Query,
    cancel: &dyn Fn() -> bool,
    mut partial: impl FnMut(&[Item]),
    screenful: usize,
) -> Option<Vec<Item>> {
    let mut out = Vec::new();
    let mut buf = String::with_capacity(256);
    let mut told = false;
    for (n, item) in items.iter().enumerate() {
        if n % 4096 == 0 && cancel() {
            return None;
        }
        let hit = match (item, texts.get(&n)) {
            (_, Some(t)) => query.matches(t),
            (Item::Event(e), None) => {
                buf.clear();
                pane.view().event_text(e, &mut buf);
                query.matches(&buf)
            }
            _ => false,
        };
        if hit {
            out.push(item.clone());
            // The first screen goes out as soon as it is found.
            if !told && out.len() >= screenful {
                partial(&out);
                told = true;
            }
        }
    }
    Some(out)
}

/// Makes the row for an item: its cells, look, and (with a filter) the matched characters.
pub fn materialize(
    pane: Pane,
    item: &Item,
    state: &IncidentState,
    now: DateTime<Utc>,
    filter: &str,
) -> Row {
    let (cells, tone) = cells(pane, item, state, now);
    let matches = highlight(&cells, filter);
    Row {
        item: item.clone(),
        banner: item.is_banner(),
        cells,
        tone,
        matches,
    }
}

fn highlight(cells: &[String], filter: &str) -> Vec<Vec<usize>> {
    let filter = filter.trim();
    if filter.is_empty() {
        return vec![Vec::new(); cells.len()];
    }
    let matcher = SkimMatcherV2::default().smart_case();
    match matcher.fuzzy_indices(&cells.join(" "), filter) {
        Some((_, idx)) => split_indices(cells, &idx),
        None => vec![Vec::new(); cells.len()],
    }
}

/// Maps character positions in the space-joined cells back to each cell.
fn split_indices(cells: &[String], indices: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); cells.len()];
    let mut start = 0;
    for (i, cell) in cells.iter().enumerate() {
        let len = cell.chars().count();
        out[i] = indices
            .iter()
            .filter(|&&p| p >= start && p < start + len)
            .map(|p| p - start)
            .collect();
        start += len + 1;
    }
    out
}

pub fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

pub fn short_time(t: DateTime<Utc>) -> String {
    t.format("%m-%d %H:%M:%S").to_string()
}

pub fn full_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// "3m ago", "5h ago", "12d ago".
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds();
    match secs {
        s if s < 0 => "just now".into(),
        s if s < 60 => format!("{s}s ago"),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}

/// The cells and look of one row.
pub fn cells(
    pane: Pane,
    item: &Item,
    state: &IncidentState,
    now: DateTime<Utc>,
) -> (Vec<String>, Tone) {
    pane.view().cells(item, state, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_are_split_per_cell() {
        let cells = vec!["07:37".to_string(), "RunInstances".to_string()];
        let m = highlight(&cells, "runi");
        assert_eq!(m[0], Vec::<usize>::new());
        assert_eq!(m[1], vec![0, 1, 2, 3]);
    }

    #[test]
    fn ages_read_naturally() {
        let now = Utc::now();
        assert_eq!(ago(now - chrono::Duration::seconds(30), now), "30s ago");
        assert_eq!(ago(now - chrono::Duration::minutes(3), now), "3m ago");
        assert_eq!(ago(now - chrono::Duration::days(200), now), "200d ago");
    }
}
