//! `sigma:<file>` for correlation rules: the matches of other Sigma rules counted per
//! `group-by` value within a sliding `timespan` (see `detect::sigma::correlation`).

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::detect::rules;
use crate::detect::sigma::RuleSet;
use crate::detect::sigma::correlation::Kind;
use crate::model::CloudTrailEvent;
use chrono::{DateTime, Utc};
use foldhash::HashMap;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

/// One correlation rule, its correlated rules found in the set.
struct Tracked {
    index: usize,
    name: String,
    /// The indexes of the rules it correlates, in its order.
    bases: Vec<usize>,
}

/// What one group has matched within the timespan: when, which of the rules, the value.
type Window = VecDeque<(DateTime<Utc>, usize, Option<String>)>;

pub struct Correlations {
    rules: Arc<RuleSet>,
    tracked: Vec<Tracked>,
    windows: HashMap<(usize, String), Window>,
}

impl Correlations {
    /// The correlation rules of `rules`, when it has any.
    pub fn new(rules: Arc<RuleSet>) -> Option<Correlations> {
        let tracked: Vec<Tracked> = rules
            .rules()
            .iter()
            .enumerate()
            .filter_map(|(index, r)| {
                let c = r.correlation.as_ref()?;
                Some(Tracked {
                    index,
                    name: rules::sigma_rule_name(r),
                    bases: rules.correlated(c),
                })
            })
            .collect();
        (!tracked.is_empty()).then_some(Correlations {
            rules,
            tracked,
            windows: HashMap::default(),
        })
    }
}

impl Detection for Correlations {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        if cx.matched.is_empty() {
            return;
        }
        let mut json = None;
        for t in &self.tracked {
            let Some(position) = t.bases.iter().position(|b| cx.matched.contains(b)) else {
                continue;
            };
            let rule = &self.rules.rules()[t.index];
            let Some(c) = rule.correlation.as_ref() else {
                continue;
            };
            // The event's JSON, read once for all correlations, and only for a match.
            let event = json.get_or_insert_with(|| e.json());
            let group = c.group_of(event);
            let value = c.value_of(event);
            let window = self.windows.entry((t.index, group.clone())).or_default();
            window.push_back((e.event_time, position, value));
            while window
                .front()
                .is_some_and(|(at, _, _)| *at < e.event_time - c.timespan)
            {
                window.pop_front();
            }
            let (holds, what) = match c.kind {
                Kind::EventCount => (
                    window.len() >= c.at_least,
                    format!("{} matching events", window.len()),
                ),
                Kind::ValueCount => {
                    let distinct: BTreeSet<&str> =
                        window.iter().filter_map(|(_, _, v)| v.as_deref()).collect();
                    (
                        distinct.len() >= c.at_least,
                        format!(
                            "{} different values of {}",
                            distinct.len(),
                            c.field_name().unwrap_or("the field")
                        ),
                    )
                }
                Kind::Temporal => {
                    let seen: BTreeSet<usize> = window.iter().map(|(_, p, _)| *p).collect();
                    (
                        seen.len() == t.bases.len(),
                        format!("all {} correlated rules", t.bases.len()),
                    )
                }
                Kind::TemporalOrdered => {
                    let mut next = 0;
                    for (_, p, _) in window.iter() {
                        if *p == next {
                            next += 1;
                        }
                    }
                    (
                        next == t.bases.len(),
                        format!("the {} correlated rules in order", t.bases.len()),
                    )
                }
            };
            if !holds {
                continue;
            }
            let shown = if group.is_empty() {
                "all"
            } else {
                group.as_str()
            };
            cx.raise(
                AlertSeed {
                    group: format!("{}:{shown}", t.name),
                    rule: t.name.clone(),
                    severity: rules::severity_of(rule),
                    title: format!("{} ({shown})", rule.title),
                },
                format!(
                    "{} — {what} within {} for {shown}",
                    rule.description.as_deref().unwrap_or(&rule.title).trim(),
                    humantime::format_duration(c.timespan.to_std().unwrap_or_default())
                ),
                e,
            );
        }
    }
}
