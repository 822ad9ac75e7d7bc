//! `recon-access-denied`: a burst of refusals across many services — someone probing what
//! the credentials can do.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::model::{CloudTrailEvent, Severity, Sym};
use chrono::{DateTime, Duration, Utc};
use foldhash::HashMap;
use std::collections::{BTreeSet, VecDeque};

/// A burst of refusals: this many within [`WINDOW`]…
const DENIALS: usize = 5;
/// …across at least this many services.
const SERVICES: usize = 3;
const WINDOW: Duration = Duration::minutes(10);

#[derive(Default)]
pub struct AccessDeniedBurst {
    denials: HashMap<String, VecDeque<(DateTime<Utc>, Sym)>>,
}

impl Detection for AccessDeniedBurst {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let Some(code) = &e.error_code else {
            return;
        };
        if !(code.contains("AccessDenied")
            || code.contains("Unauthorized")
            || code.as_str() == "Forbidden")
        {
            return;
        }
        let principal = e.identity.display();
        let recent = self.denials.entry(principal.clone()).or_default();
        recent.push_back((e.event_time, e.event_source));
        while recent
            .front()
            .is_some_and(|(t, _)| *t < e.event_time - WINDOW)
        {
            recent.pop_front();
        }
        let services: BTreeSet<&str> = recent.iter().map(|(_, s)| s.as_str()).collect();
        if recent.len() < DENIALS || services.len() < SERVICES {
            return;
        }
        let explain = format!(
            "{principal} was refused {} times across {} services in 10 minutes ({}): someone probing what the credentials can do",
            recent.len(),
            services.len(),
            services
                .iter()
                .map(|s| s.trim_end_matches(".amazonaws.com"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        cx.raise(
            AlertSeed {
                group: format!("recon-access-denied:{principal}"),
                rule: "recon-access-denied".into(),
                severity: Severity::Medium,
                title: format!("{principal} is being refused across many services"),
            },
            explain,
            e,
        );
    }
}
