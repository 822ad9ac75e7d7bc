//! What a launch call started: instance types and how many, from the request or the
//! response (a refused call has only the request).

use super::prices;
use crate::model::CloudTrailEvent;
use crate::model::launch_request as launched;
use serde_json::Value;
use std::collections::BTreeSet;

/// The instance types and count of a launch call (`RunInstances`, `RequestSpotInstances`);
/// `None` for any other event.
pub fn launch_of(e: &CloudTrailEvent) -> Option<(Vec<String>, u32)> {
    matches!(
        e.event_name.as_str(),
        "RunInstances" | "RequestSpotInstances"
    )
    .then(|| launched(e.params().unwrap_or(&Value::Null)))
}

#[derive(Default)]
/// What a group of launches started: counts, spend, where and what.
pub struct LaunchTally {
    pub instances: u32,
    pub refused: u32,
    pub hourly: f64,
    unpriced: BTreeSet<String>,
    regions: BTreeSet<String>,
    types: BTreeSet<String>,
}

impl LaunchTally {
    pub fn add(&mut self, e: &CloudTrailEvent, types: &[String], count: u32) {
        self.regions.insert(e.aws_region.to_string());
        self.types.extend(types.iter().cloned());
        if e.failed() {
            self.refused += count;
            return;
        }
        self.instances += count;
        match types
            .first()
            .and_then(|t| prices::hourly_usd(t, &e.aws_region))
        {
            Some(p) => self.hourly += f64::from(count) * p,
            None => self.unpriced.extend(types.first().cloned()),
        }
    }

    /// "launched 12 instances (p3.16xlarge) in 2 regions (…): about $294/hour".
    pub fn describe(&self) -> String {
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        let mut out = format!(
            "launched {} instance{} ({}) in {} region{} ({})",
            self.instances,
            if self.instances == 1 { "" } else { "s" },
            list(&self.types),
            self.regions.len(),
            if self.regions.len() == 1 { "" } else { "s" },
            list(&self.regions),
        );
        if self.refused > 0 {
            out.push_str(&format!(
                "; {} more refused by AWS, and they may retry",
                self.refused
            ));
        }
        out.push_str(&format!(": about ${:.0}/hour", self.hourly));
        if !self.unpriced.is_empty() {
            out.push_str(&format!(" plus {} (no price known)", list(&self.unpriced)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_come_from_the_response_then_the_request() {
        let answered = json!({"requestParameters":{"instanceType":"p3.2xlarge"},
            "responseElements":{"instancesSet":{"items":[{"instanceType":"p3.2xlarge"},{"instanceType":"p3.2xlarge"}]}}});
        assert_eq!(launched(&answered), (vec!["p3.2xlarge".into(); 2], 2));
        let refused = json!({"requestParameters":{"instanceType":"p2.xlarge",
            "instancesSet":{"items":[{"imageId":"ami-1","maxCount":10,"minCount":1}]}}});
        assert_eq!(launched(&refused), (vec!["p2.xlarge".into()], 10));
        let spot = json!({"requestParameters":{"instanceCount":"4",
            "launchSpecification":{"instanceType":"g5.xlarge"}}});
        assert_eq!(launched(&spot), (vec!["g5.xlarge".into()], 4));
        assert_eq!(launched(&Value::Null), (vec![], 1));
    }
}
