//! Which `eventName`s a rule can possibly match, derived from its condition, so a rule set can
//! skip rules (and often whole events) without evaluating anything.
//!
//! The derivation is conservative: `None` ("any event") whenever the condition does not prove
//! a restriction. A selection restricts when every one of its alternatives requires a plain
//! `eventName` equality; `and` needs one restricted side, `or` needs all sides restricted, and
//! `not` or keywords restrict nothing.

use std::collections::BTreeSet;

use super::condition::Expr;
use super::detection::{FieldMatcher, FieldTest, Selection};

type Names = BTreeSet<String>;

pub(super) fn event_names(condition: &Expr, selections: &[Selection]) -> Option<Vec<String>> {
    names_of(condition, selections).map(|set| set.into_iter().collect())
}

fn names_of(expr: &Expr, selections: &[Selection]) -> Option<Names> {
    match expr {
        Expr::Selection(i) => selection_names(&selections[*i]),
        Expr::Not(_) => None,
        Expr::And(items) => intersect_known(items.iter().map(|e| names_of(e, selections))),
        Expr::Or(items) => union_all(items.iter().map(|e| names_of(e, selections))),
        // Whatever `min` is, a match needs at least one of the selections to match.
        Expr::AtLeast(min, sels) if *min == sels.len() => {
            intersect_known(sels.iter().map(|&i| selection_names(&selections[i])))
        }
        Expr::AtLeast(_, sels) => union_all(sels.iter().map(|&i| selection_names(&selections[i]))),
    }
}

fn selection_names(selection: &Selection) -> Option<Names> {
    union_all(
        selection
            .alternatives()?
            .iter()
            .map(|fields| fields_names(fields)),
    )
}

/// The names one map of fields requires: every `eventName` equality in it must hold at once.
fn fields_names(fields: &[FieldMatcher]) -> Option<Names> {
    intersect_known(fields.iter().map(field_names))
}

fn field_names(field: &FieldMatcher) -> Option<Names> {
    if field.path.name() != "eventName" {
        return None;
    }
    match &field.test {
        FieldTest::Values {
            patterns,
            all: false,
            or_null: false,
        } => patterns
            .iter()
            .map(|p| p.exact_lowercase().filter(|name| name.is_ascii()))
            .collect(),
        _ => None,
    }
}

/// The intersection of the known sets, or `None` when none is known.
fn intersect_known(sets: impl Iterator<Item = Option<Names>>) -> Option<Names> {
    sets.flatten()
        .reduce(|a, b| a.intersection(&b).cloned().collect())
}

/// The union of all sets, or `None` as soon as one is unknown.
fn union_all(sets: impl Iterator<Item = Option<Names>>) -> Option<Names> {
    let mut all = Names::new();
    for set in sets {
        all.extend(set?);
    }
    Some(all)
}
