//! Trail health: a trail that stopped logging is an attacker covering their tracks, or an
//! accident that blinds the responders. Either way it is a critical alert.

use super::errors::{self, AwsFailure};
use crate::model::{Alert, AlertStatus, AlertStatusChange, RecordBody, Severity};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailHealth {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub logging: bool,
    pub delivery_error: Option<String>,
}

/// Every trail the account has (multi-region ones once), with whether it is logging.
pub async fn trail_health(
    client: &aws_sdk_cloudtrail::Client,
) -> Result<Vec<TrailHealth>, AwsFailure> {
    let trails = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| errors::describe("cloudtrail:DescribeTrails", &e))?;
    let mut out: Vec<TrailHealth> = Vec::new();
    for t in trails.trail_list() {
        let arn = t.trail_arn().or(t.name()).unwrap_or_default().to_string();
        if arn.is_empty() || out.iter().any(|h| h.arn == arn) {
            continue;
        }
        let status = client
            .get_trail_status()
            .name(&arn)
            .send()
            .await
            .map_err(|e| errors::describe("cloudtrail:GetTrailStatus", &e))?;
        out.push(TrailHealth {
            name: t.name().unwrap_or(&arn).to_string(),
            arn,
            home_region: t.home_region().unwrap_or_default().to_string(),
            logging: status.is_logging().unwrap_or(false),
            delivery_error: status.latest_delivery_error().map(str::to_string),
        });
    }
    Ok(out)
}

/// The alert for a trail that is not logging.
pub fn not_logging_alert(t: &TrailHealth, now: DateTime<Utc>) -> Alert {
    Alert {
        id: format!("trail-not-logging:{}", t.arn),
        rule: "trail-not-logging".into(),
        severity: Severity::Critical,
        title: format!("CloudTrail trail {} is not logging", t.name),
        explanation: format!(
            "Trail {} ({}) is not recording API activity: whatever happens now leaves no trail. Restart it: aws cloudtrail start-logging --name {}",
            t.name, t.home_region, t.arn
        ),
        principal: None,
        access_key_id: None,
        source_ip: None,
        first_seen: now,
        last_seen: now,
        count: 1,
        event_ids: vec![],
        spend_per_hour: None,
        grown: false,
    }
}

/// Remembers which trails were logging and turns changes into records: an alert when a
/// trail stops, its resolution when it starts again.
#[derive(Default)]
pub struct TrailTracker {
    logging: HashMap<String, bool>,
}

impl TrailTracker {
    pub fn changes(&mut self, trails: &[TrailHealth], now: DateTime<Utc>) -> Vec<RecordBody> {
        let mut out = Vec::new();
        for t in trails {
            let before = self.logging.insert(t.arn.clone(), t.logging);
            match (before, t.logging) {
                (Some(false), true) => out.push(RecordBody::AlertStatus(AlertStatusChange {
                    alert_id: not_logging_alert(t, now).id,
                    status: AlertStatus::Resolved,
                })),
                (Some(true) | None, false) => {
                    out.push(RecordBody::Alert(not_logging_alert(t, now)))
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput;
    use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
    use aws_sdk_cloudtrail::types::Trail;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    fn health(logging: bool) -> TrailHealth {
        TrailHealth {
            name: "org-trail".into(),
            arn: "arn:aws:cloudtrail:us-east-1:1:trail/org-trail".into(),
            home_region: "us-east-1".into(),
            logging,
            delivery_error: None,
        }
    }

    #[tokio::test]
    async fn shadow_copies_of_a_multi_region_trail_count_once() {
        let trail = |region: &str| {
            Trail::builder()
                .name("org-trail")
                .trail_arn("arn:aws:cloudtrail:us-east-1:1:trail/org-trail")
                .home_region(region)
                .build()
        };
        let describe = mock!(aws_sdk_cloudtrail::Client::describe_trails)
            .match_requests(|r| r.include_shadow_trails() == Some(true))
            .then_output(move || {
                DescribeTrailsOutput::builder()
                    .trail_list(trail("us-east-1"))
                    .trail_list(trail("us-east-1"))
                    .build()
            });
        let status = mock!(aws_sdk_cloudtrail::Client::get_trail_status)
            .match_requests(|r| r.name() == Some("arn:aws:cloudtrail:us-east-1:1:trail/org-trail"))
            .then_output(|| GetTrailStatusOutput::builder().is_logging(false).build());
        let client = mock_client!(
            aws_sdk_cloudtrail,
            RuleMode::MatchAny,
            &[&describe, &status]
        );
        let trails = trail_health(&client).await.unwrap();
        assert_eq!(trails, [health(false)]);
        assert_eq!(status.num_calls(), 1);
    }

    #[test]
    fn stopping_raises_a_critical_alert_and_restarting_resolves_it() {
        let now = Utc::now();
        let mut tracker = TrailTracker::default();
        assert!(tracker.changes(&[health(true)], now).is_empty());
        let stopped = tracker.changes(&[health(false)], now);
        let RecordBody::Alert(a) = &stopped[0] else {
            panic!("{stopped:?}")
        };
        assert_eq!(a.severity, Severity::Critical);
        assert!(a.explanation.contains("start-logging"));
        assert!(
            tracker.changes(&[health(false)], now).is_empty(),
            "said once"
        );
        let restarted = tracker.changes(&[health(true)], now);
        assert!(matches!(
            &restarted[0],
            RecordBody::AlertStatus(AlertStatusChange {
                status: AlertStatus::Resolved,
                ..
            })
        ));
    }
}
