//! `launch-burst`: more instance launches by one principal within the window than people
//! start by hand, expensive or not.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::detect::launch::{self, LaunchTally};
use crate::model::{CloudTrailEvent, Severity};
use chrono::{DateTime, Utc};
use foldhash::HashMap;

/// Instances one principal may start within a group's window before it is a burst.
const BURST: u32 = 10;

#[derive(Default)]
pub struct LaunchBurst {
    /// Per principal: when it last launched, and what it launched since its window opened.
    bursts: HashMap<String, (DateTime<Utc>, LaunchTally)>,
}

impl Detection for LaunchBurst {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let Some((types, count)) = launch::launch_of(e) else {
            return;
        };
        let principal = e.identity.display();
        let window = cx.window();
        let (last, tally) = self
            .bursts
            .entry(principal.clone())
            .or_insert_with(|| (e.event_time, LaunchTally::default()));
        if e.event_time > *last + window {
            *tally = LaunchTally::default();
        }
        *last = e.event_time;
        tally.add(e, &types, count);
        if tally.instances + tally.refused < BURST {
            return;
        }
        let explain = format!(
            "{principal} {} within {} — more than people start by hand",
            tally.describe(),
            humantime::format_duration(window.to_std().unwrap_or_default())
        );
        let hourly = tally.hourly;
        let id = cx.bump(
            AlertSeed {
                group: format!("launch-burst:{principal}"),
                rule: "launch-burst".into(),
                severity: Severity::High,
                title: format!("A burst of instance launches by {principal}"),
            },
            e,
        );
        if let Some(a) = cx.alert_mut(&id) {
            a.spend_per_hour = Some(hourly);
        }
        cx.report(&id, Some(explain));
    }
}
