//! The rows each pane shows: what the state holds, narrowed by the pivot and the fuzzy
//! filter, as text cells ready to draw. Computed in `update`, never while drawing.

use super::pivot::Pivot;
use crate::model::{AlertStatus, CloudTrailEvent, KeyStatus, Severity};
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

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub item: Item,
    /// Stable across rebuilds, so the selection stays on the same thing.
    pub id: String,
    pub cells: Vec<String>,
    /// A full-width heading row (a rule above its resources).
    pub banner: bool,
    pub tone: Tone,
    /// Fuzzy-matched character positions, per cell.
    pub matches: Vec<Vec<usize>>,
}

/// One pane's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaneRows {
    pub rows: Vec<Row>,
    /// Rows before the filter (after the pivot), for "12 of 340".
    pub unfiltered: usize,
}

/// What narrows a pane.
pub struct Lens<'a> {
    pub pivot: Option<&'a Pivot>,
    pub filter: &'a str,
    pub show_all_events: bool,
    pub now: DateTime<Utc>,
}

pub fn build(pane: Pane, state: &IncidentState, lens: &Lens<'_>) -> PaneRows {
    let rows = match pane {
        Pane::Alerts => alerts(state, lens),
        Pane::Findings => findings(state, lens),
        Pane::Activity => activity(state, lens),
        Pane::Keys => keys(state, lens),
        Pane::Timeline => timeline(state, lens),
    };
    let unfiltered = rows.iter().filter(|r| !r.banner).count();
    PaneRows {
        rows: apply_filter(rows, lens.filter),
        unfiltered,
    }
}

/// Keeps the rows that fuzzy-match `filter`, in their order, marking matched characters.
/// A rule heading stays when any of its resources does.
fn apply_filter(rows: Vec<Row>, filter: &str) -> Vec<Row> {
    let filter = filter.trim();
    if filter.is_empty() {
        return rows;
    }
    let matcher = SkimMatcherV2::default().smart_case();
    let mut out: Vec<Row> = Vec::with_capacity(rows.len());
    let mut pending_banner: Option<Row> = None;
    for mut row in rows {
        let joined = row.cells.join(" ");
        let hit = matcher.fuzzy_indices(&joined, filter);
        if row.banner {
            pending_banner = Some(row.clone());
            if let Some((_, idx)) = hit {
                row.matches = split_indices(&row.cells, &idx);
                out.push(row);
                pending_banner = None;
            }
            continue;
        }
        if let Some((_, idx)) = hit {
            if let Some(b) = pending_banner.take() {
                out.push(b);
            }
            row.matches = split_indices(&row.cells, &idx);
            out.push(row);
        }
    }
    out
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

fn row(item: Item, id: String, cells: Vec<String>, tone: Tone) -> Row {
    let n = cells.len();
    Row {
        item,
        id,
        cells,
        banner: false,
        tone,
        matches: vec![Vec::new(); n],
    }
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

fn alerts(state: &IncidentState, lens: &Lens<'_>) -> Vec<Row> {
    let mut idx: Vec<usize> = (0..state.alerts.len())
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
    idx.into_iter()
        .map(|i| {
            let v = &state.alerts[i];
            let a = &v.alert;
            let tone = if v.status == AlertStatus::Resolved {
                Tone::Muted
            } else {
                Tone::Severity(a.severity)
            };
            row(
                Item::Alert(i),
                a.id.clone(),
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
        })
        .collect()
}

fn findings(state: &IncidentState, lens: &Lens<'_>) -> Vec<Row> {
    let mut out = Vec::new();
    for (rule, list) in state.findings_by_rule() {
        let list: Vec<_> = list
            .into_iter()
            .filter(|f| {
                lens.pivot
                    .is_none_or(|p| matches!(p, Pivot::Principal(name) | Pivot::Resource(name) if *name == f.resource_id))
            })
            .collect();
        if list.is_empty() {
            continue;
        }
        let fix = if list[0].remediation.is_some() {
            "auto-remediation available"
        } else {
            "manual fix (see detail)"
        };
        let mut banner = row(
            Item::Rule(rule.to_string()),
            format!("rule:{rule}"),
            vec![
                format!(
                    "{rule} ({} non-compliant) — {}",
                    list.len(),
                    list[0].rule_description
                ),
                String::new(),
                String::new(),
                fix.into(),
            ],
            Tone::Accent,
        );
        banner.banner = true;
        out.push(banner);
        for f in list {
            let i = state
                .findings
                .iter()
                .position(|x| x.rule == f.rule && x.resource_id == f.resource_id)
                .unwrap_or(0);
            let fix = match &f.remediation {
                Some(doc) => format!("remediation: {doc}"),
                None if f.guidance.is_some() => "fix as code".into(),
                None => "manual".into(),
            };
            out.push(row(
                Item::Finding(i),
                format!("finding:{}:{}", f.rule, f.resource_id),
                vec![
                    format!("  {}", f.resource_id),
                    f.resource_type.clone(),
                    f.region.clone(),
                    fix,
                ],
                Tone::Normal,
            ));
        }
    }
    out
}

fn event_row(e: &Arc<CloudTrailEvent>) -> Row {
    let tone = if e.failed() || e.malformed.is_some() {
        Tone::Error
    } else {
        Tone::Normal
    };
    let error = match (&e.error_code, &e.malformed) {
        (Some(code), _) => code.clone(),
        (None, Some(_)) => "unreadable event JSON".into(),
        (None, None) => String::new(),
    };
    row(
        Item::Event(e.clone()),
        e.event_id.clone(),
        vec![
            short_time(e.event_time),
            e.aws_region.clone(),
            e.identity.display(),
            e.source_ip.clone(),
            format!("{}:{}", e.service(), e.event_name),
            error,
        ],
        tone,
    )
}

fn activity(state: &IncidentState, lens: &Lens<'_>) -> Vec<Row> {
    state
        .events
        .iter()
        .rev()
        .filter(|e| lens.pivot.is_none_or(|p| p.matches_event(e)))
        .map(event_row)
        .collect()
}

fn keys(state: &IncidentState, lens: &Lens<'_>) -> Vec<Row> {
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
    idx.into_iter()
        .map(|i| {
            let k = &state.keys[i];
            let last = match (&k.last_used, &k.last_used_service) {
                (Some(t), Some(s)) => format!(
                    "{} ({s}, {})",
                    ago(*t, lens.now),
                    k.last_used_region.clone().unwrap_or_default()
                ),
                (Some(t), None) => ago(*t, lens.now),
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
            row(
                Item::Key(i),
                k.access_key_id.clone(),
                vec![
                    k.user.clone(),
                    k.access_key_id.clone(),
                    k.status.as_str().into(),
                    format!("{}d", (lens.now - k.created).num_days().max(0)),
                    last,
                    notes.join(", "),
                ],
                tone,
            )
        })
        .collect()
}

fn timeline(state: &IncidentState, lens: &Lens<'_>) -> Vec<Row> {
    state
        .timeline
        .iter()
        .enumerate()
        .filter(|(_, e)| match &e.kind {
            // The timeline tells the story: the events behind alerts, unless asked for all.
            EntryKind::Event { event_id } => lens.show_all_events || state.is_notable(event_id),
            _ => true,
        })
        .filter(|(_, e)| lens.pivot.is_none_or(|p| p.matches_entry(e, state)))
        .map(|(i, e)| {
            let tone = match &e.kind {
                EntryKind::Alert { severity, .. } => Tone::Severity(*severity),
                EntryKind::Action { failed: true, .. } => Tone::Error,
                EntryKind::Action { .. } => Tone::Ok,
                EntryKind::Note | EntryKind::Incident => Tone::Accent,
                EntryKind::Key => Tone::Warning,
                EntryKind::Source { ok: false } => Tone::Error,
                EntryKind::Event { .. } => Tone::Muted,
                _ => Tone::Normal,
            };
            row(
                Item::Entry(i),
                format!("entry:{}:{}", e.seq, e.at.timestamp_millis()),
                vec![
                    full_time(e.at),
                    e.actor.clone(),
                    e.summary.clone(),
                    slack_state(state, e.seq),
                ],
                tone,
            )
        })
        .collect()
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

    fn plain(cells: &[&str]) -> Row {
        row(
            Item::Entry(0),
            cells.join("|"),
            cells.iter().map(|s| s.to_string()).collect(),
            Tone::Normal,
        )
    }

    #[test]
    fn fuzzy_filter_keeps_order_and_marks_characters_per_cell() {
        let rows = vec![
            plain(&["07:37", "RunInstances"]),
            plain(&["07:38", "ListUsers"]),
            plain(&["07:39", "RunInstances"]),
        ];
        let out = apply_filter(rows, "runi");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].cells[0], "07:37");
        assert_eq!(out[0].matches[0], Vec::<usize>::new());
        assert_eq!(out[0].matches[1], vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_heading_survives_when_one_of_its_rows_matches() {
        let mut banner = plain(&["dynamodb-table-encryption-enabled"]);
        banner.banner = true;
        let rows = vec![banner, plain(&["orders"]), plain(&["customers"])];
        let out = apply_filter(rows, "cust");
        assert_eq!(out.len(), 2);
        assert!(out[0].banner);
        assert_eq!(out[1].cells[0], "customers");
    }

    #[test]
    fn ages_read_naturally() {
        let now = Utc::now();
        assert_eq!(ago(now - chrono::Duration::seconds(30), now), "30s ago");
        assert_eq!(ago(now - chrono::Duration::minutes(3), now), "3m ago");
        assert_eq!(ago(now - chrono::Duration::days(200), now), "200d ago");
    }
}
