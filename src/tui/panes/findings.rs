//! Findings: each rule with its non-compliant resources under it.

use super::{PaneSpec, PaneView};
use crate::model::Finding;
use crate::state::IncidentState;
use crate::tui::keymap::KeyAction as K;
use crate::tui::views::{Column, Item, Lens, Tone};
use chrono::{DateTime, Utc};

pub struct Findings;

const COLUMNS: &[Column] = &[
    Column::fill("RULE / RESOURCE", 2),
    Column::fixed("TYPE", 22),
    Column::fixed("REGION", 14),
    Column::fill("FIX", 1),
];

const SPEC: PaneSpec = PaneSpec {
    title: "Findings",
    columns: COLUMNS,
    empty: "No non-compliant resources",
    sources: &["config"],
    hints: &[(K::Detail, "fix"), (K::Remediate, "remediate")],
    follows: None,
    charted: false,
    toned_cell: None,
};

impl PaneView for Findings {
    fn spec(&self) -> &'static PaneSpec {
        &SPEC
    }

    fn items(&self, state: &IncidentState, lens: &Lens<'_>) -> Vec<Item> {
        let mut out = Vec::new();
        for (rule, list) in state.findings_by_rule() {
            let list: Vec<_> = list
                .into_iter()
                .filter(|f| lens.pivot.is_none_or(|p| p.matches_finding(f)))
                .collect();
            if list.is_empty() {
                continue;
            }
            out.push(Item::Rule(crate::model::Sym::new(rule)));
            for f in list {
                let i = state
                    .findings
                    .iter()
                    .position(|x| x.key() == f.key())
                    .unwrap_or(0);
                out.push(Item::Finding(i));
            }
        }
        out
    }

    fn cells(
        &self,
        item: &Item,
        state: &IncidentState,
        _now: DateTime<Utc>,
    ) -> (Vec<String>, Tone) {
        match item {
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
                // With several accounts, which one the resource is in.
                let resource = match &f.account {
                    Some(a) if state.accounts.len() > 1 => format!("  {} (in {a})", f.resource_id),
                    _ => format!("  {}", f.resource_id),
                };
                (
                    vec![resource, f.resource_type.clone(), f.region.clone(), fix],
                    Tone::Normal,
                )
            }
            _ => (Vec::new(), Tone::Normal),
        }
    }
}
