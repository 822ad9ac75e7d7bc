//! `key-new-source`: a long-term access key used from a network or with a tool it never
//! used — the first sign of a stolen key.

use super::truncate;
use crate::detect::baseline::{SourceBaseline, agent_family};
use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::model::{CloudTrailEvent, Severity, Sym};
use foldhash::{HashMap, HashSet};

#[derive(Default)]
pub struct KeyNewSource {
    /// Long-term access keys (AKIA…): networks and tools each is used from.
    keys: HashMap<Sym, SourceBaseline>,
    /// `(access key, IP)` already alerted on: later use keeps counting (and never becomes
    /// part of the baseline).
    flagged: HashSet<(Sym, Sym)>,
}

impl Detection for KeyNewSource {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let network = cx.network;
        // Session keys (ASIA…) live for hours: a new IP for one says little.
        let Some(key) = e
            .identity
            .access_key_id
            .as_ref()
            .filter(|k| k.starts_with("AKIA"))
        else {
            return;
        };
        let agent = agent_family(&e.user_agent);
        if network.is_none() && agent.is_none() {
            return;
        }
        let source = (*key, e.source_ip);
        let mut ip_flagged = self.flagged.contains(&source);
        if ip_flagged && cx.went_quiet(&format!("key-new-source:{key}:{}", e.source_ip), e) {
            // Its alert has had its window: a source still in use after that is one the key
            // has, and it joins the baseline rather than alerting again every hour.
            self.flagged.remove(&source);
            ip_flagged = false;
            if let Some(baseline) = self.keys.get_mut(key) {
                baseline.learn(network, None);
            }
        }
        let baseline = self.keys.entry(*key).or_default();
        let mut novelty = baseline.novelty(network, agent);
        if baseline.roams() {
            novelty.network = None;
        }
        if !ip_flagged && (!novelty.any() || !baseline.established()) {
            baseline.learn(network, agent);
            return;
        }
        let principal = e.identity.display();
        let (group, what) = if ip_flagged || novelty.network.is_some() {
            self.flagged.insert(source);
            (
                format!("key-new-source:{key}:{}", e.source_ip),
                format!("from {}, a network never seen for this key", e.source_ip),
            )
        } else {
            let tool = novelty.agent.unwrap_or_default().to_ascii_lowercase();
            let group = format!("key-new-source:{key}:agent:{tool}");
            if cx.went_quiet(&group, e) {
                // As for a network: a tool still in use after its alert's window is the
                // key's own.
                if let Some(baseline) = self.keys.get_mut(key) {
                    baseline.learn(None, agent);
                }
                return;
            }
            (
                group,
                format!("with {tool}, a tool never seen for this key"),
            )
        };
        let id = cx.bump(
            AlertSeed {
                group,
                rule: "key-new-source".into(),
                severity: Severity::High,
                title: format!("Access key of {principal} used from a new source"),
            },
            e,
        );
        let explain = cx
            .alert(&id)
            .is_some_and(|a| a.explanation.is_empty())
            .then(|| {
                format!(
                    "{key} ({principal}) is being used {what} (agent \"{}\"): it may be stolen",
                    truncate(&e.user_agent, 60)
                )
            });
        cx.report(&id, explain);
    }
}
