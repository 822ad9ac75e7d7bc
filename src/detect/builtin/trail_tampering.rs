//! `trail-tampering`: someone trying to stop the record of what they do.

use super::signal::{at, is_false, request, text};
use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::model::{CloudTrailEvent, Severity};
use serde_json::Value;

/// What a `PutEventSelectors` call leaves out of the record, if anything: selectors that
/// log everything (all reads and writes, management events included, nothing excluded)
/// are the opposite of tampering.
fn selectors_blind(r: &Value) -> Option<String> {
    let basic: Vec<&Value> = r
        .get("eventSelectors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let advanced: Vec<&Value> = r
        .get("advancedEventSelectors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if basic.is_empty() && advanced.is_empty() {
        return Some("removes every event selector".into());
    }
    for s in &basic {
        if is_false(s.get("includeManagementEvents")) {
            return Some("stops recording management events".into());
        }
        // Writes are what an attacker hides; a trail of writes only is a common saving.
        if text(s, "readWriteType") == "ReadOnly" {
            return Some("records reads only, no writes".into());
        }
        if at(s, "excludeManagementEventSources")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            return Some("excludes management event sources".into());
        }
    }
    for s in &advanced {
        let excludes = s
            .get("fieldSelectors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|f| {
                text(f, "field") == "eventCategory"
                    && f.get("notEquals")
                        .and_then(Value::as_array)
                        .is_some_and(|v| v.iter().any(|c| c == "Management"))
                    || text(f, "field") == "eventSource" && f.get("notEquals").is_some()
            });
        if excludes {
            return Some("excludes management events or sources".into());
        }
    }
    None
}

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
        let how = match e.event_name.as_str() {
            "PutEventSelectors" => match selectors_blind(request(e)) {
                Some(how) => format!(" ({how})"),
                // Logging everything is not tampering.
                None => return,
            },
            _ => String::new(),
        };
        let principal = e.identity.display();
        let attempt = match &e.error_code {
            Some(code) => format!(" (attempted; AWS refused it: {code})"),
            None => String::new(),
        };
        let explain = format!(
            "{principal} called {}{how}{attempt}: someone is trying to stop the record of what they do",
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
