//! `expensive-launch`: GPU and other expensive instances launched — the bill before the
//! bill.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::detect::launch::{self, LaunchTally};
use crate::detect::prices;
use crate::model::{CloudTrailEvent, Severity};
use foldhash::HashMap;

#[derive(Default)]
pub struct ExpensiveLaunch {
    /// What each alert has counted so far.
    tallies: HashMap<String, LaunchTally>,
}

impl Detection for ExpensiveLaunch {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let Some((types, count)) = launch::launch_of(e) else {
            return;
        };
        let expensive: Vec<String> = types
            .iter()
            .filter(|t| prices::is_expensive(t))
            .cloned()
            .collect();
        if expensive.is_empty() {
            return;
        }
        let principal = e.identity.display();
        let id = cx.bump(
            AlertSeed {
                group: format!("expensive-launch:{principal}"),
                rule: "expensive-launch".into(),
                severity: Severity::Critical,
                title: format!("GPU instances launched by {principal}"),
            },
            e,
        );
        let tally = self.tallies.entry(id.clone()).or_default();
        tally.add(e, &expensive, count);
        let explain = format!(
            "{principal} {} — the bill before the bill",
            tally.describe()
        );
        let hourly = tally.hourly;
        if let Some(a) = cx.alert_mut(&id) {
            a.spend_per_hour = Some(hourly);
        }
        cx.report(&id, Some(explain));
    }
}
