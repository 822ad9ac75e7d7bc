//! `root-use`: the root user at work, which it should never be day to day.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::model::{CloudTrailEvent, Severity};

pub struct RootUse;

impl Detection for RootUse {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        if e.identity.kind != "Root" || e.identity.invoked_by.is_some() {
            return;
        }
        let explain = format!(
            "root called {} from {}: root should never be used day to day",
            e.event_name, e.source_ip
        );
        cx.raise(
            AlertSeed {
                // Per account: an organization's trail holds many roots.
                group: format!("root-use:{}", e.identity.account_id),
                rule: "root-use".into(),
                severity: Severity::High,
                title: "The root user is being used".into(),
            },
            explain,
            e,
        );
    }
}
