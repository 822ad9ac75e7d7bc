//! `launch-unusual-region`: instances launched in a region the account never works in —
//! miners hide where nobody looks.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::detect::launch::{self, LaunchTally};
use crate::model::{CloudTrailEvent, Severity};
use foldhash::HashMap;

#[derive(Default)]
pub struct LaunchInUnusualRegion {
    /// What each alert has counted so far.
    tallies: HashMap<String, LaunchTally>,
}

impl Detection for LaunchInUnusualRegion {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let Some((types, count)) = launch::launch_of(e) else {
            return;
        };
        if !cx.unusual_region(e) {
            return;
        }
        let principal = e.identity.display();
        let account = e.identity.account_id.to_string();
        let id = cx.bump(
            AlertSeed {
                group: format!("launch-unusual-region:{principal}"),
                rule: "launch-unusual-region".into(),
                severity: Severity::High,
                title: format!(
                    "{principal} launched instances in a region this account never uses"
                ),
            },
            e,
        );
        let tally = self.tallies.entry(id.clone()).or_default();
        tally.add(e, &types, count);
        let explain = format!(
            "{principal} {}, where account {account} had never worked: miners hide where nobody looks",
            tally.describe()
        );
        let hourly = tally.hourly;
        if let Some(a) = cx.alert_mut(&id) {
            a.spend_per_hour = Some(hourly);
        }
        cx.report(&id, Some(explain));
    }
}
