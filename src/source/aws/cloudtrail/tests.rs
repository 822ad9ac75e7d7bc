//! LookupEvents against aws-smithy-mocks: moto does not implement it.

use super::*;
use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsInput, LookupEventsOutput};
use aws_sdk_cloudtrail::types::Event;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use chrono::TimeZone;
use std::sync::Mutex;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap() + Duration::minutes(min)
}

fn event(id: &str, min: i64) -> Event {
    let json = format!(
        r#"{{"eventID":"{id}","eventTime":"{}","eventName":"RunInstances","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userIdentity":{{"type":"IAMUser","userName":"admin-ops","accessKeyId":"AKIA1"}}}}"#,
        t(min).format("%Y-%m-%dT%H:%M:%SZ")
    );
    Event::builder()
        .event_id(id)
        .event_name("RunInstances")
        .event_time(to_smithy(t(min)))
        .cloud_trail_event(json)
        .build()
}

fn page(events: Vec<Event>, next: Option<&str>) -> LookupEventsOutput {
    LookupEventsOutput::builder()
        .set_events(Some(events))
        .set_next_token(next.map(str::to_string))
        .build()
}

fn throttled() -> HttpResponse {
    // What CloudTrail sends: HTTP 400 (not 429) with the error type in the JSON body.
    let mut r = HttpResponse::new(
        StatusCode::try_from(400).unwrap(),
        SdkBody::from(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#),
    );
    r.headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    r
}

/// Requests as the mock saw them.
type Seen = Arc<Mutex<Vec<LookupEventsInput>>>;

fn recorder() -> (
    Seen,
    impl Fn(&LookupEventsInput) -> bool + Send + Sync + 'static,
) {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    (seen, move |req: &LookupEventsInput| {
        sink.lock().unwrap().push(req.clone());
        true
    })
}

fn trail(client: aws_sdk_cloudtrail::Client) -> RegionTrail {
    RegionTrail::new(
        client,
        "us-east-1",
        Arc::new(Pacer::new(REQUESTS_PER_SECOND)),
    )
}

macro_rules! client {
    ($($rule:expr),+ $(,)?) => {
        // SDK retries off: the poller's own back-off is what is under test.
        mock_client!(aws_sdk_cloudtrail, RuleMode::Sequential, &[$(&$rule),+], |c| c
            .retry_config(RetryConfig::disabled()))
    };
}

#[tokio::test(start_paused = true)]
async fn every_page_is_read_in_order_with_the_token_passed_on() {
    let (seen, record) = recorder();
    let first = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(record)
        .then_output(|| page(vec![event("e3", 3), event("e2", 2)], Some("page-2")));
    let (seen2, record2) = recorder();
    let second = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(record2)
        .then_output(|| page(vec![event("e1", 1)], None));
    let fetched = trail(client!(first, second))
        .fetch(t(0), t(10), None, 100)
        .await;
    assert!(fetched.failure.is_none(), "{:?}", fetched.failure);
    let ids: Vec<_> = fetched
        .events
        .iter()
        .map(|e| e.event_id().to_string())
        .collect();
    assert_eq!(
        ids,
        ["e3", "e2", "e1"],
        "newest first, as CloudTrail returns them"
    );
    assert_eq!(fetched.pages, 2);
    let first_req = &seen.lock().unwrap()[0];
    assert_eq!(first_req.max_results(), Some(PAGE_SIZE));
    assert_eq!(first_req.start_time().map(from_smithy), Some(Some(t(0))));
    assert_eq!(first_req.end_time().map(from_smithy), Some(Some(t(10))));
    assert_eq!(first_req.next_token(), None);
    assert_eq!(seen2.lock().unwrap()[0].next_token(), Some("page-2"));
}

#[tokio::test(start_paused = true)]
async fn requests_are_paced_at_two_per_second() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .sequence()
        .output(|| page(vec![event("e", 1)], Some("more")))
        .times(4)
        .output(|| page(vec![], None))
        .build();
    let start = tokio::time::Instant::now();
    let fetched = trail(client!(rule)).fetch(t(0), t(10), None, 100).await;
    assert_eq!(fetched.pages, 5);
    // Five requests at two a second: the last one leaves two seconds after the first.
    assert_eq!(start.elapsed(), std::time::Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn throttling_backs_off_and_resumes_the_same_page() {
    let (seen, record) = recorder();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(record)
        .sequence()
        .output(|| page(vec![event("e2", 2)], Some("page-2")))
        .http_response(throttled)
        .times(2)
        .output(|| page(vec![event("e1", 1)], None))
        .build();
    let start = tokio::time::Instant::now();
    let fetched = trail(client!(rule)).fetch(t(0), t(10), None, 100).await;
    assert!(fetched.failure.is_none(), "{:?}", fetched.failure);
    assert_eq!(fetched.events.len(), 2);
    let tokens: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.next_token().map(str::to_string))
        .collect();
    assert_eq!(
        tokens,
        [
            None,
            Some("page-2".into()),
            Some("page-2".into()),
            Some("page-2".into())
        ]
    );
    // Backed off 1 s, then 2 s, on top of the pacing.
    assert!(
        start.elapsed() >= std::time::Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_that_does_not_stop_gives_up_but_keeps_what_was_read() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .sequence()
        .output(|| page(vec![event("e2", 2)], Some("page-2")))
        .http_response(throttled)
        .repeatedly()
        .build();
    let fetched = trail(client!(rule)).fetch(t(0), t(10), None, 100).await;
    let failure = fetched.failure.expect("gave up");
    assert_eq!(failure.kind, FailureKind::Throttled);
    assert_eq!(failure.code.as_deref(), Some("ThrottlingException"));
    assert_eq!(fetched.events.len(), 1, "the first page is kept");
}

#[tokio::test(start_paused = true)]
async fn access_denied_names_the_missing_permission() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_http_response(|| {
        let mut r = HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(
                r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::1:user/ro is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action"}"#,
            ),
        );
        r.headers_mut()
            .insert("content-type", "application/x-amz-json-1.1");
        r
    });
    let fetched = trail(client!(rule)).fetch(t(0), t(10), None, 100).await;
    let failure = fetched.failure.unwrap();
    assert_eq!(failure.kind, FailureKind::AccessDenied);
    assert_eq!(
        failure.message,
        "AccessDeniedException — missing permission cloudtrail:LookupEvents"
    );
}

#[tokio::test(start_paused = true)]
async fn a_malformed_event_is_kept_and_flagged() {
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_output(|| {
        let broken = Event::builder()
            .event_id("broken-1")
            .event_name("CreateUser")
            .event_source("iam.amazonaws.com")
            .username("admin-ops")
            .access_key_id("AKIA1")
            .event_time(to_smithy(t(4)))
            .cloud_trail_event(r#"{"eventVersion":"1.09","userIdentity":{"#)
            .build();
        page(vec![broken, event("fine", 3)], None)
    });
    let fetched = trail(client!(rule)).fetch(t(0), t(10), None, 100).await;
    assert_eq!(fetched.events.len(), 2, "nothing dropped");
    let e = &fetched.events[0];
    assert_eq!(e.event_id(), "broken-1");
    assert_eq!(e.event_name, "CreateUser");
    assert_eq!(e.event_time, t(4));
    assert_eq!(e.identity.access_key_id.as_deref(), Some("AKIA1"));
    assert!(
        e.malformed().unwrap().contains("not valid JSON"),
        "{:?}",
        e.malformed()
    );
    let kept: serde_json::Value = serde_json::from_str(&e.raw_text()).unwrap();
    assert_eq!(
        kept[UNPARSED_FIELD]["raw"],
        r#"{"eventVersion":"1.09","userIdentity":{"#
    );
    assert!(fetched.events[1].malformed().is_none());
}

#[tokio::test(start_paused = true)]
async fn polls_overlap_and_drop_what_was_already_seen() {
    let (seen, record) = recorder();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(record)
        .sequence()
        .output(|| page(vec![event("e2", -5), event("e1", -30)], None))
        .output(|| page(vec![event("e3", 8), event("e2", -5)], None))
        .build();
    let mut poller = Poller::new(trail(client!(rule)), Duration::hours(1), 100);
    let first = poller.poll(t(0)).await;
    assert_eq!(first.events.len(), 2);
    let second = poller.poll(t(10)).await;
    let ids: Vec<_> = second
        .events
        .iter()
        .map(|e| e.event_id().to_string())
        .collect();
    assert_eq!(ids, ["e3"], "e2 came again in the overlap and was dropped");
    let starts: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.start_time().and_then(from_smithy).unwrap())
        .collect();
    assert_eq!(starts, [t(-60), t(0) - Duration::minutes(OVERLAP_MINUTES)]);
}

#[tokio::test(start_paused = true)]
async fn a_pivot_asks_for_ninety_days_of_one_attribute() {
    let (seen, record) = recorder();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(record)
        .then_output(|| page(vec![event("old", -60 * 24 * 30)], None));
    let fetched = trail(client!(rule))
        .lookup(LookupAttributeKey::AccessKeyId, "AKIA1", t(0), 20)
        .await;
    assert_eq!(fetched.events.len(), 1);
    let req = &seen.lock().unwrap()[0];
    let attr = &req.lookup_attributes()[0];
    assert_eq!(attr.attribute_key(), &LookupAttributeKey::AccessKeyId);
    assert_eq!(attr.attribute_value(), "AKIA1");
    assert_eq!(
        req.start_time().and_then(from_smithy),
        Some(t(0) - Duration::days(LOOKUP_DAYS))
    );
}
