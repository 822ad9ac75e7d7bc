//! The CloudTrail poller against an instant mock (aws-smithy-mocks, no network): how many
//! requests per second it makes in each region (CloudTrail allows 2) and how long 10,000
//! events across 4 regions take to load.
//!
//! Run: cargo bench --bench poller

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::types::Event;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use chrono::{Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use warroom::source::aws::cloudtrail::{PAGE_SIZE, Poller, REQUESTS_PER_SECOND, RegionTrail};
use warroom::source::aws::pace::Pacer;

const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"];
const EVENTS_PER_REGION: usize = 2_500;

fn page(region: &'static str, n: usize) -> LookupEventsOutput {
    let now = Utc::now();
    let events = (0..PAGE_SIZE as usize)
        .map(|i| {
            let id = format!("{region}-{n}-{i}");
            let json = format!(
                r#"{{"eventID":"{id}","eventTime":"{}","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","awsRegion":"{region}","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2","userIdentity":{{"type":"IAMUser","userName":"bench","accessKeyId":"AKIABENCH"}}}}"#,
                (now - Duration::seconds((n * 50 + i) as i64)).format("%Y-%m-%dT%H:%M:%SZ")
            );
            Event::builder().event_id(id).cloud_trail_event(json).build()
        })
        .collect::<Vec<_>>();
    let pages = EVENTS_PER_REGION / PAGE_SIZE as usize;
    LookupEventsOutput::builder()
        .set_events(Some(events))
        .set_next_token((n + 1 < pages).then(|| format!("{}", n + 1)))
        .build()
}

fn client(region: &'static str, calls: Arc<AtomicUsize>) -> aws_sdk_cloudtrail::Client {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_compute_output(move |req| {
        calls.fetch_add(1, Ordering::Relaxed);
        let n = req.next_token().map_or(0, |t| t.parse().unwrap());
        page(region, n)
    });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, &[&rule])
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let start = Instant::now();
    let mut handles = Vec::new();
    for region in REGIONS {
        let calls = Arc::new(AtomicUsize::new(0));
        let trail = RegionTrail::new(
            client(region, calls.clone()),
            region,
            Arc::new(Pacer::new(REQUESTS_PER_SECOND)),
        );
        handles.push(tokio::spawn(async move {
            let began = Instant::now();
            let mut poller = Poller::new(trail, Duration::hours(24), 1_000);
            let fetched = poller.poll(Utc::now()).await;
            assert!(fetched.failure.is_none(), "{:?}", fetched.failure);
            (
                region,
                fetched.events.len(),
                calls.load(Ordering::Relaxed),
                began.elapsed(),
            )
        }));
    }
    let mut total = 0;
    for h in handles {
        let (region, events, requests, took) = h.await.unwrap();
        total += events;
        // n requests paced at 2/s span (n - 1) half-seconds: that is the rate to compare.
        let rate = (requests as f64 - 1.0) / took.as_secs_f64();
        println!(
            "{region:<15} {events:>6} events  {requests:>4} requests in {:>6.2} s  = {rate:.3} requests/s",
            took.as_secs_f64()
        );
    }
    println!(
        "total: {total} events across {} regions in {:.2} s",
        REGIONS.len(),
        start.elapsed().as_secs_f64()
    );
}
