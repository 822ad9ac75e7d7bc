//! The rows each pane shows: what the state holds, narrowed by the pivot and the fuzzy
//! filter, as text cells ready to draw. Computed in `update`, never while drawing.

use crate::model::Finding;
use crate::model::{AlertStatus, CloudTrailEvent, KeyStatus, Query, Severity};
use crate::state::pivot::Pivot;
use crate::state::{ChatState, EntryKind, IncidentState};
use chrono::{DateTime, Utc};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::sync::Arc;

/// The console's panes, in tab order.
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

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Alerts => "Alerts",
            Pane::Findings => "Findings",
            Pane::Activity => "Activity",
            Pane::Keys => "Keys",
            Pane::Timeline => "Timeline",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Pane::Alerts => ALERT_COLUMNS,
            Pane::Findings => FINDING_COLUMNS,
            Pane::Activity => ACTIVITY_COLUMNS,
            Pane::Keys => KEY_COLUMNS,
            Pane::Timeline => TIMELINE_COLUMNS,
        }
    }
}

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

const ALERT_COLUMNS: &[Column] = &[
    Column::fixed("SEV", 8),
    Column::fixed("STATUS", 8),
    Column::fill("ALERT", 3),
    Column::fixed("PRINCIPAL", 16),
    Column::fixed("COUNT", 6),
    Column::fixed("LAST SEEN", 9),
];

const FINDING_COLUMNS: &[Column] = &[
    Column::fill("RULE / RESOURCE", 2),
    Column::fixed("TYPE", 22),
    Column::fixed("REGION", 14),
    Column::fill("FIX", 1),
];

const ACTIVITY_COLUMNS: &[Column] = &[
    Column::fixed("TIME (UTC)", 14),
    Column::fixed("REGION", 14),
    Column::fixed("PRINCIPAL", 22),
    Column::fixed("SOURCE IP", 15),
    Column::fill("EVENT", 1),
    Column::fill("ERROR", 1),
];

const KEY_COLUMNS: &[Column] = &[
    Column::fixed("USER", 12),
    Column::fixed("ACCESS KEY ID", 20),
    Column::fixed("STATUS", 8),
    Column::fixed("AGE", 5),
    Column::fill("LAST USED", 2),
    Column::fill("NOTES", 1),
];

const TIMELINE_COLUMNS: &[Column] = &[
    Column::fixed("TIME (UTC)", 19),
    Column::fixed("BY", 16),
    Column::fill("WHAT", 1),
    Column::fixed("SLACK", 8),
];

/// A column: a title and either a fixed width or a share of what is left.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub fixed: u16,
    pub fill: u16,
}

impl Column {
    const fn fixed(title: &'static str, width: u16) -> Column {
        Column {
            title,
            fixed: width,
            fill: 0,
        }
    }
    const fn fill(title: &'static str, share: u16) -> Column {
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
    Rule(String),
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
        (Item::Event(x), Item::Event(y)) => x.event_id == y.event_id,
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
    fn in_time(&self, t: DateTime<Utc>) -> bool {
        self.window.is_none_or(|w| w.contains(t)) && self.until.is_none_or(|u| t <= u)
    }

    /// The events in time: a slice of the sorted list, found by binary search.
    fn events<'s>(&self, state: &'s IncidentState) -> &'s [Arc<CloudTrailEvent>] {
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
    match pane {
        Pane::Alerts => alerts(state, lens),
        Pane::Findings => findings(state, lens),
        Pane::Activity => lens
            .events(state)
            .iter()
            .rev()
            .filter(|e| lens.pivot.is_none_or(|p| p.matches_event(e)))
            .map(|e| Item::Event(e.clone()))
            .collect(),
        Pane::Keys => keys(state, lens),
        Pane::Timeline => timeline(state, lens),
    }
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
    match (pane, item) {
        (Pane::Activity, Item::Event(e)) => write_event_cells(e, buf),
        (Pane::Timeline, Item::Event(e)) => write_timeline_event(e, buf),
        _ => {
            let cells = cells(pane, item, state, now).0;
            buf.push_str(&cells.join(" "));
        }
    }
}

fn write_event_cells(e: &CloudTrailEvent, buf: &mut String) {
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

fn write_timeline_event(e: &CloudTrailEvent, buf: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        buf,
        "{} cloudtrail {} ",
        full_time(e.event_time),
        e.summary()
    );
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
                match pane {
                    Pane::Timeline => write_timeline_event(e, &mut buf),
                    _ => write_event_cells(e, &mut buf),
                }
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

fn event_error(e: &CloudTrailEvent) -> &str {
    match (&e.error_code, &e.malformed) {
        (Some(code), _) => code,
        (None, Some(_)) => "unreadable event JSON",
        (None, None) => "",
    }
}

fn alerts(state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
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

fn findings(state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
    let mut out = Vec::new();
    for (rule, list) in state.findings_by_rule() {
        let list: Vec<_> = list
            .into_iter()
            .filter(|f| {
                lens.pivot.is_none_or(
                    |p| matches!(p, Pivot::Principal(name) | Pivot::Resource(name) if *name == f.resource_id),
                )
            })
            .collect();
        if list.is_empty() {
            continue;
        }
        out.push(Item::Rule(rule.to_string()));
        for f in list {
            let i = state
                .findings
                .iter()
                .position(|x| x.rule == f.rule && x.resource_id == f.resource_id)
                .unwrap_or(0);
            out.push(Item::Finding(i));
        }
    }
    out
}

fn keys(state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
    let mut idx: Vec<usize> = (0..state.keys.len())
        .filter(|&i| {
            lens.pivot
                .is_none_or(|p| p.matches_key(&state.keys[i], state))
        })
        .collect();
    idx.sort_by(|&a, &b| {
        let (a, b) = (&state.keys[a], &state.keys[b]);
        a.user.cmp(&b.user).then(a.created.cmp(&b.created))
    });
    idx.into_iter().map(Item::Key).collect()
}

/// The story: responders' steps, alerts, findings and notes, with the events behind alerts
/// (or every event, when asked), merged in time order.
fn timeline(state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
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
        notable.sort_by(|a, b| (a.event_time, &a.event_id).cmp(&(b.event_time, &b.event_id)));
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

/// The cells and look of one row.
pub fn cells(
    pane: Pane,
    item: &Item,
    state: &IncidentState,
    now: DateTime<Utc>,
) -> (Vec<String>, Tone) {
    match item {
        Item::Alert(i) => {
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
        Item::Rule(rule) => {
            let list: Vec<&Finding> = state
                .findings
                .iter()
                .filter(|f| f.rule == *rule && f.is_non_compliant())
                .collect();
            let fix = if list.first().is_some_and(|f| f.remediation.is_some()) {
                "auto-remediation available"
            } else {
                "manual fix (see detail)"
            };
            (
                vec![
                    format!(
                        "{rule} ({} non-compliant) — {}",
                        list.len(),
                        list.first()
                            .map(|f| f.rule_description.as_str())
                            .unwrap_or_default()
                    ),
                    String::new(),
                    String::new(),
                    fix.into(),
                ],
                Tone::Accent,
            )
        }
        Item::Finding(i) => {
            let f = &state.findings[*i];
            let fix = match &f.remediation {
                Some(doc) => format!("remediation: {doc}"),
                None if f.guidance.is_some() => "fix as code".into(),
                None => "manual".into(),
            };
            (
                vec![
                    format!("  {}", f.resource_id),
                    f.resource_type.clone(),
                    f.region.clone(),
                    fix,
                ],
                Tone::Normal,
            )
        }
        Item::Event(e) => {
            let tone = if e.failed() || e.malformed.is_some() {
                Tone::Error
            } else if pane == Pane::Timeline {
                Tone::Muted
            } else {
                Tone::Normal
            };
            let cells = if pane == Pane::Timeline {
                vec![
                    full_time(e.event_time),
                    "cloudtrail".into(),
                    e.summary(),
                    String::new(),
                ]
            } else {
                vec![
                    short_time(e.event_time),
                    e.aws_region.to_string(),
                    e.principal().to_string(),
                    e.source_ip.to_string(),
                    format!("{}:{}", e.service(), e.event_name),
                    event_error(e).to_string(),
                ]
            };
            (cells, tone)
        }
        Item::Key(i) => key_cells(state, *i, now),
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
    }
}

fn key_cells(state: &IncidentState, i: usize, now: DateTime<Utc>) -> (Vec<String>, Tone) {
    let k = &state.keys[i];
    let last = match (&k.last_used, &k.last_used_service) {
        (Some(t), Some(s)) => format!(
            "{} ({s}, {})",
            ago(*t, now),
            k.last_used_region.clone().unwrap_or_default()
        ),
        (Some(t), None) => ago(*t, now),
        _ => "never".into(),
    };
    let mut notes = Vec::new();
    if let Some(u) = state.user(&k.user) {
        if u.attached_policies
            .iter()
            .any(|p| p.ends_with("/AdministratorAccess"))
        {
            notes.push("admin".to_string());
        }
        notes.extend(u.inline_policies.iter().map(|p| format!("policy {p}")));
    }
    if state
        .meta
        .opened_at
        .is_some_and(|o| k.created > o - chrono::Duration::hours(1))
    {
        notes.push("new".into());
    }
    let tone = match k.status {
        KeyStatus::Active => Tone::Normal,
        KeyStatus::Inactive => Tone::Warning,
        KeyStatus::Deleted => Tone::Muted,
    };
    (
        vec![
            k.user.clone(),
            k.access_key_id.clone(),
            k.status.as_str().into(),
            format!("{}d", (now - k.created).num_days().max(0)),
            last,
            notes.join(", "),
        ],
        tone,
    )
}

/// How the Slack mirror of a record is doing, in a word.
fn slack_state(state: &IncidentState, seq: i64) -> String {
    match state.chat_for(seq).map(|c| &c.state) {
        None => String::new(),
        Some(ChatState::Queued) => "queued".into(),
        Some(ChatState::Retrying { attempt, .. }) => format!("retry {attempt}"),
        Some(ChatState::Sent { .. }) => "sent".into(),
    }
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
