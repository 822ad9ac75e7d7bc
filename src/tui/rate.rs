//! The event-rate chart over the Activity and Timeline panes: how many CloudTrail events
//! fell in each slice of time. A burst (the founding scenario's RunInstances in three
//! regions) stands out as a tower; selecting a bar and narrowing to it zooms the panes, and
//! the chart, into that slice.

use crate::model::CloudTrailEvent;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// A time range, start included, end excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// Bar widths, in seconds, that read as times people say.
const NICE_SECONDS: [i64; 22] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
    172_800, 604_800, 1_209_600, 2_592_000,
];

/// `t` rounded down to a multiple of `seconds` since the epoch.
fn floor_to(t: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    let secs = t.timestamp().div_euclid(seconds) * seconds;
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

/// Counts of events per equal slice of a time range.
#[derive(Debug, Clone, PartialEq)]
pub struct RateChart {
    pub from: DateTime<Utc>,
    /// The width of one bar.
    pub bucket: Duration,
    pub counts: Vec<u64>,
}

impl RateChart {
    /// Counts `events` (sorted by time) in `range`, over `bars` bars. `keep` narrows which
    /// events count (a pivot); without it each bar is two binary searches, so a million
    /// events cost nothing to chart.
    pub fn compute(
        events: &[Arc<CloudTrailEvent>],
        range: Window,
        bars: usize,
        keep: Option<&dyn Fn(&CloudTrailEvent) -> bool>,
    ) -> Option<RateChart> {
        if bars == 0 || range.to <= range.from {
            return None;
        }
        // A width people say (a minute, five, an hour), bars starting on its multiples, and
        // the smallest such width whose bars cover the range.
        let (from, bucket, used) = NICE_SECONDS
            .iter()
            .map(|&s| {
                let bucket = Duration::seconds(s);
                let from = floor_to(range.from, s);
                let span = (range.to - from).num_milliseconds();
                let n = ((span + s * 1000 - 1) / (s * 1000)).max(1) as usize;
                (from, bucket, n)
            })
            .find(|&(_, _, n)| n <= bars)
            .unwrap_or_else(|| {
                let s = (range.to - range.from).num_seconds() / bars as i64 + 1;
                (range.from, Duration::seconds(s), bars)
            });
        let range = Window { from, to: range.to };
        let mut counts = vec![0u64; used];
        let first = events.partition_point(|e| e.event_time < range.from);
        let last = events.partition_point(|e| e.event_time < range.to);
        let slice = &events[first..last];
        match keep {
            None => {
                let mut start = 0;
                for (i, count) in counts.iter_mut().enumerate() {
                    let edge = range.from + bucket * (i as i32 + 1);
                    let end = start + slice[start..].partition_point(|e| e.event_time < edge);
                    *count = (end - start) as u64;
                    start = end;
                }
            }
            Some(keep) => {
                for e in slice.iter().filter(|e| keep(e)) {
                    let i = ((e.event_time - range.from).num_milliseconds()
                        / bucket.num_milliseconds()) as usize;
                    if let Some(c) = counts.get_mut(i) {
                        *c += 1;
                    }
                }
            }
        }
        Some(RateChart {
            from,
            bucket,
            counts,
        })
    }

    /// The time range of bar `i`.
    pub fn bar(&self, i: usize) -> Window {
        let from = self.from + self.bucket * i as i32;
        Window {
            from,
            to: from + self.bucket,
        }
    }

    /// The tallest bar (the first of equals).
    pub fn peak(&self) -> Option<usize> {
        let max = *self.counts.iter().max()?;
        (max > 0).then(|| self.counts.iter().position(|&c| c == max))?
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The range a chart covers: the window when one is set, else from the first event to
/// just past the last (or to `until`, a replay's clock, when that is earlier).
pub fn range_of(
    events: &[Arc<CloudTrailEvent>],
    window: Option<Window>,
    until: Option<DateTime<Utc>>,
) -> Option<Window> {
    if let Some(w) = window {
        return Some(w);
    }
    let first = events.first()?.event_time;
    let mut last = events.last()?.event_time + Duration::seconds(1);
    if let Some(u) = until {
        last = last.min(u + Duration::seconds(1));
    }
    (last > first).then_some(Window {
        from: first,
        to: last,
    })
}

/// A bar's width in words: `30s`, `5m`, `2h`.
pub fn describe(bucket: Duration) -> String {
    let s = bucket.num_seconds();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: usize, t: DateTime<Utc>, name: &str) -> Arc<CloudTrailEvent> {
        let json = format!(
            r#"{{"eventID":"e{id}","eventTime":"{}","eventName":"{name}","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{{"type":"IAMUser","userName":"ci"}}}}"#,
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        Arc::new(CloudTrailEvent::from_json(&json).unwrap())
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// A quiet hour with a burst of forty launches between 07:40 and 07:42.
    fn burst() -> Vec<Arc<CloudTrailEvent>> {
        let mut events: Vec<_> = (0..60)
            .map(|m| {
                event(
                    m,
                    t("2026-11-22T07:00:00Z") + Duration::minutes(m as i64),
                    "ListUsers",
                )
            })
            .collect();
        events.extend((0..40).map(|i| {
            event(
                100 + i,
                t("2026-11-22T07:40:00Z") + Duration::seconds(3 * i as i64),
                "RunInstances",
            )
        }));
        events.sort_by_key(|e| e.event_time);
        events
    }

    #[test]
    fn a_burst_is_the_tallest_bar_and_every_event_is_counted_once() {
        let events = burst();
        let range = range_of(&events, None, None).unwrap();
        let chart = RateChart::compute(&events, range, 60, None).unwrap();
        assert_eq!(chart.total(), 100);
        assert_eq!(chart.from, t("2026-11-22T07:00:00Z"));
        assert_eq!(chart.bucket, Duration::minutes(1));
        let peak = chart.peak().unwrap();
        assert_eq!(chart.bar(peak).from, t("2026-11-22T07:40:00Z"));
        assert_eq!(
            chart.counts[peak], 21,
            "20 launches and the minute's ListUsers"
        );
    }

    #[test]
    fn a_pivot_counts_only_its_events_and_agrees_with_the_fast_path() {
        let events = burst();
        let range = range_of(&events, None, None).unwrap();
        let all: &dyn Fn(&CloudTrailEvent) -> bool = &|_| true;
        let slow = RateChart::compute(&events, range, 37, Some(all)).unwrap();
        assert_eq!(
            slow.bucket,
            Duration::minutes(2),
            "37 bars: two minutes each"
        );
        let fast = RateChart::compute(&events, range, 37, None).unwrap();
        assert_eq!(slow, fast);
        let launches: &dyn Fn(&CloudTrailEvent) -> bool = &|e| &*e.event_name == "RunInstances";
        let only = RateChart::compute(&events, range, 37, Some(launches)).unwrap();
        assert_eq!(only.total(), 40);
    }

    #[test]
    fn a_window_zooms_and_the_replay_clock_cuts_the_range() {
        let events = burst();
        let window = Window {
            from: t("2026-11-22T07:40:00Z"),
            to: t("2026-11-22T07:42:00Z"),
        };
        let chart = RateChart::compute(
            &events,
            range_of(&events, Some(window), None).unwrap(),
            120,
            None,
        )
        .unwrap();
        assert_eq!(chart.bucket, Duration::seconds(1));
        assert_eq!(chart.total(), 40 + 2);
        let cut = range_of(&events, None, Some(t("2026-11-22T07:10:00Z"))).unwrap();
        assert_eq!(cut.to, t("2026-11-22T07:10:01Z"));
        assert_eq!(describe(Duration::minutes(5)), "5m");
        assert_eq!(describe(Duration::seconds(90)), "90s");
    }

    #[test]
    fn nothing_to_chart_is_no_chart() {
        assert!(range_of(&[], None, None).is_none());
        let events = burst();
        let range = range_of(&events, None, None).unwrap();
        assert!(RateChart::compute(&events, range, 0, None).is_none());
    }
}
