//! Keys: every access key, by user, with its status, age and last use.

use super::{PaneSpec, PaneView};
use crate::model::KeyStatus;
use crate::state::IncidentState;
use crate::tui::keymap::KeyAction as K;
use crate::tui::views::{Column, Item, Lens, Tone, ago};
use chrono::{DateTime, Utc};

pub struct Keys;

const COLUMNS: &[Column] = &[
    Column::fixed("USER", 12),
    Column::fixed("ACCESS KEY ID", 20),
    Column::fixed("STATUS", 8),
    Column::fixed("AGE", 5),
    Column::fill("LAST USED", 2),
    Column::fill("NOTES", 1),
];

const SPEC: PaneSpec = PaneSpec {
    title: "Keys",
    columns: COLUMNS,
    empty: "No access keys known",
    sources: &["iam"],
    hints: &[
        (K::Pivot, "pivot"),
        (K::DeactivateKey, "deactivate"),
        (K::DeleteKey, "delete"),
        (K::DenyAll, "deny-all"),
    ],
    follows: None,
    charted: false,
    toned_cell: Some(2),
};

impl PaneView for Keys {
    fn spec(&self) -> &'static PaneSpec {
        &SPEC
    }

    fn items(&self, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
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

    fn cells(&self, item: &Item, state: &IncidentState, now: DateTime<Utc>) -> (Vec<String>, Tone) {
        match item {
            Item::Key(i) => key_cells(state, *i, now),
            _ => (Vec::new(), Tone::Normal),
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
    // With several accounts, which one the key is in (and so whose user it belongs to).
    if let Some(a) = k.account.as_ref().filter(|_| state.accounts.len() > 1) {
        notes.push(format!("in {a}"));
    }
    let user = state
        .users
        .iter()
        .find(|u| u.name == k.user && crate::model::arn_account(&u.arn) == k.account.as_deref())
        .or_else(|| state.user(&k.user));
    if let Some(u) = user {
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
