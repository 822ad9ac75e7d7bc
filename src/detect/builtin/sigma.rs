//! `sigma:<file>`: the team's Sigma rules, each match grouped like any other alert.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::detect::rules;
use crate::detect::sigma::RuleSet;
use crate::model::CloudTrailEvent;
use std::sync::Arc;

pub struct SigmaAlerts {
    rules: Arc<RuleSet>,
    /// The alert name of each rule, made once.
    names: Vec<String>,
    /// Rules that raise nothing themselves: only correlated (`generate: false`).
    silent: Vec<bool>,
}

impl SigmaAlerts {
    pub fn new(rules: Arc<RuleSet>) -> SigmaAlerts {
        let names = rules.rules().iter().map(rules::sigma_rule_name).collect();
        let silent = (0..rules.len()).map(|i| rules.silent(i)).collect();
        SigmaAlerts {
            rules,
            names,
            silent,
        }
    }
}

impl Detection for SigmaAlerts {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        // Nothing to do for almost every event; the rule set is shared by several threads,
        // so not even its count is touched then.
        if cx.matched.is_empty() {
            return;
        }
        let matched = cx.matched;
        for &i in matched {
            let Some(rule) = self.rules.rules().get(i) else {
                continue;
            };
            if self.silent[i] {
                continue;
            }
            let name = self.names[i].clone();
            let principal = e.identity.display();
            let id = cx.bump(
                AlertSeed {
                    group: format!("{name}:{principal}"),
                    rule: name,
                    severity: rules::severity_of(rule),
                    title: format!("{} ({principal})", rule.title),
                },
                e,
            );
            let explain = cx
                .alert(&id)
                .is_some_and(|a| a.explanation.is_empty())
                .then(|| {
                    let what = rule.description.as_deref().unwrap_or(&rule.title).trim();
                    match &e.error_code {
                        // A refused call did nothing: said first, whatever the rule says.
                        Some(code) => format!(
                            "Attempted, and refused by AWS ({code}): {what} — {principal} called {} from {}",
                            e.event_name, e.source_ip
                        ),
                        None => format!(
                            "{what} — {principal} called {} from {}",
                            e.event_name, e.source_ip
                        ),
                    }
                });
            cx.report(&id, explain);
        }
    }
}
