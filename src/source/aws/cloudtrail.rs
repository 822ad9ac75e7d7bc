//! CloudTrail's LookupEvents, region by region: every page, newest first, paced to the 2
//! requests per second the service allows, polled incrementally, backing off when throttled.

use super::errors::{self, AwsFailure, FailureKind};
use super::pace::Pacer;
use super::time::{from_smithy, to_smithy};
use crate::model::{CloudTrailEvent, UNPARSED_FIELD};
use aws_sdk_cloudtrail::types::{Event, LookupAttribute, LookupAttributeKey};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// LookupEvents returns at most 50 events a page.
pub const PAGE_SIZE: i32 = 50;
/// The service's limit: 2 requests per second per account per region.
pub const REQUESTS_PER_SECOND: f64 = 2.0;
/// Events reach LookupEvents minutes after they happen, and not in order: each poll asks
/// again for this much before the last one's end.
pub const OVERLAP_MINUTES: i64 = 15;
/// How far back a server-side pivot reaches: all LookupEvents keeps.
pub const LOOKUP_DAYS: i64 = 90;
/// Throttled requests are retried this many times, waiting twice as long each time.
const THROTTLE_RETRIES: u32 = 6;
const FIRST_BACKOFF: std::time::Duration = std::time::Duration::from_secs(1);

/// What one lookup brought back: every event fetched, even when a failure stopped it.
#[derive(Debug, Default)]
pub struct Fetched {
    pub events: Vec<Arc<CloudTrailEvent>>,
    pub pages: usize,
    pub failure: Option<AwsFailure>,
}

/// LookupEvents in one region, through that region's pacer.
#[derive(Clone)]
pub struct RegionTrail {
    client: aws_sdk_cloudtrail::Client,
    region: String,
    pacer: Arc<Pacer>,
}

impl RegionTrail {
    pub fn new(
        client: aws_sdk_cloudtrail::Client,
        region: impl Into<String>,
        pacer: Arc<Pacer>,
    ) -> Self {
        RegionTrail {
            client,
            region: region.into(),
            pacer,
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Every page of events between `start` and `end` (optionally only those matching
    /// `attribute`), at most `max_pages` pages.
    pub async fn fetch(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        attribute: Option<LookupAttribute>,
        max_pages: usize,
    ) -> Fetched {
        let mut out = Fetched::default();
        let mut token: Option<String> = None;
        let mut throttled = 0;
        while out.pages < max_pages {
            self.pacer.wait().await;
            let mut req = self
                .client
                .lookup_events()
                .start_time(to_smithy(start))
                .end_time(to_smithy(end))
                .max_results(PAGE_SIZE)
                .set_next_token(token.clone());
            if let Some(a) = &attribute {
                req = req.lookup_attributes(a.clone());
            }
            match req.send().await {
                Ok(page) => {
                    throttled = 0;
                    out.pages += 1;
                    out.events.extend(
                        page.events()
                            .iter()
                            .map(|e| Arc::new(event_from_lookup(e, &self.region))),
                    );
                    token = page.next_token().map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
                Err(err) => {
                    let failure = errors::describe("cloudtrail:LookupEvents", &err);
                    if failure.kind == FailureKind::Throttled && throttled < THROTTLE_RETRIES {
                        // The same page again, after a pause that doubles each time.
                        self.pacer
                            .hold_off(FIRST_BACKOFF * 2u32.pow(throttled))
                            .await;
                        throttled += 1;
                        continue;
                    }
                    out.failure = Some(failure);
                    break;
                }
            }
        }
        out
    }

    /// Everything CloudTrail still has (90 days) for one attribute: a pivot that reaches
    /// past what is loaded.
    pub async fn lookup(
        &self,
        key: LookupAttributeKey,
        value: &str,
        now: DateTime<Utc>,
        max_pages: usize,
    ) -> Fetched {
        let attribute = LookupAttribute::builder()
            .attribute_key(key)
            .attribute_value(value)
            .build()
            .expect("key and value are set");
        self.fetch(
            now - Duration::days(LOOKUP_DAYS),
            now,
            Some(attribute),
            max_pages,
        )
        .await
    }
}

/// An event as LookupEvents returns it, in the shape every other source uses. When its
/// `CloudTrailEvent` JSON does not parse, the event is rebuilt from the fields around it,
/// flagged, and the original text kept.
pub fn event_from_lookup(e: &Event, region: &str) -> CloudTrailEvent {
    let raw = e.cloud_trail_event().unwrap_or_default();
    let reason = match CloudTrailEvent::from_json(raw) {
        Ok(event) => return event,
        Err(_) if raw.is_empty() => "LookupEvents returned no CloudTrailEvent".to_string(),
        Err(why) => why.to_string(),
    };
    let time = e
        .event_time()
        .and_then(from_smithy)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let stand_in = json!({
        "eventID": e.event_id().unwrap_or_default(),
        "eventTime": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "eventName": e.event_name().unwrap_or_default(),
        "eventSource": e.event_source().unwrap_or_default(),
        "awsRegion": region,
        "readOnly": e.read_only(),
        "userIdentity": {
            "userName": e.username(),
            "accessKeyId": e.access_key_id(),
        },
        UNPARSED_FIELD: { "error": reason, "raw": raw },
    });
    CloudTrailEvent::from_value(&stand_in).expect("the stand-in has an RFC 3339 eventTime")
}

/// Polls one region incrementally: each poll starts a little before where the last one
/// ended, and events already seen are dropped by ID.
pub struct Poller {
    trail: RegionTrail,
    /// Where the last complete poll ended.
    covered_until: Option<DateTime<Utc>>,
    lookback: Duration,
    seen: HashMap<String, DateTime<Utc>>,
    /// Pages a single poll may read (a first poll over a busy day is long).
    max_pages: usize,
}

impl Poller {
    pub fn new(trail: RegionTrail, lookback: Duration, max_pages: usize) -> Self {
        Poller {
            trail,
            covered_until: None,
            lookback,
            seen: HashMap::new(),
            max_pages,
        }
    }

    pub fn region(&self) -> &str {
        self.trail.region()
    }

    /// The events new since the last poll.
    pub async fn poll(&mut self, now: DateTime<Utc>) -> Fetched {
        let start = match self.covered_until {
            Some(t) => t - Duration::minutes(OVERLAP_MINUTES),
            None => now - self.lookback,
        };
        let mut fetched = self.trail.fetch(start, now, None, self.max_pages).await;
        if fetched.failure.is_none() {
            self.covered_until = Some(now);
        }
        fetched.events.retain(|e| self.remember(e));
        self.forget_before(start - Duration::minutes(OVERLAP_MINUTES));
        fetched
    }

    /// Marks an event as seen; false if it already was.
    pub fn remember(&mut self, e: &CloudTrailEvent) -> bool {
        self.seen
            .insert(e.event_id().to_string(), e.event_time)
            .is_none()
    }

    /// IDs of events older than any future poll can return need not be kept.
    fn forget_before(&mut self, t: DateTime<Utc>) {
        self.seen.retain(|_, at| *at >= t);
    }
}

#[cfg(test)]
mod tests;
