//! `trail-tampering`: someone trying to stop the record of what they do.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::model::{CloudTrailEvent, Severity};

pub struct TrailTampering;

impl Detection for TrailTampering {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        if e.event_source != "cloudtrail.amazonaws.com"
            || !matches!(
                e.event_name.as_str(),
                "StopLogging" | "DeleteTrail" | "UpdateTrail" | "PutEventSelectors"
            )
        {
            return;
        }
        let principal = e.identity.display();
        let attempt = if e.failed() { " (attempted)" } else { "" };
        let explain = format!(
            "{principal} called {}{attempt}: someone is trying to stop the record of what they do",
            e.event_name
        );
        cx.raise(
            AlertSeed {
                group: format!("trail-tampering:{principal}"),
                rule: "trail-tampering".into(),
                severity: Severity::Critical,
                title: format!("CloudTrail tampering by {principal}"),
            },
            explain,
            e,
        );
    }
}
