use super::*;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::Object;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use chrono::{DateTime, Utc};

const REGION: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn range(since: &str, until: &str) -> ReadOptions {
    ReadOptions {
        since: Some(at(since)),
        until: Some(at(until)),
        threads: 0,
        rules: None,
    }
}

#[test]
fn prefixes_are_placed_in_the_delivery_layout() {
    let dated = |base: &str| Level::Dated {
        base: base.to_string(),
    };
    for above in [
        "AWSLogs/",
        "AWSLogs/111122223333/",
        "AWSLogs/111122223333/CloudTrail/",
        "AWSLogs/o-abc123def4/",
        "AWSLogs/o-abc123def4/111122223333/",
        "trails/prod/AWSLogs/o-abc123def4/111122223333/CloudTrail-Insight/",
    ] {
        assert_eq!(classify(above), Level::Above, "{above}");
    }
    assert_eq!(classify(REGION), dated(REGION));
    assert_eq!(classify(&format!("{REGION}2026/11/")), dated(REGION));
    let org = "AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/";
    assert_eq!(classify(org), dated(org));
    for elsewhere in [
        "",
        "exports/",
        "AWSLogs/111122223333/CloudTrail-Digest/",
        "AWSLogs/111122223333/elasticloadbalancing/",
        "AWSLogs/111122223333/CloudTrail/us-east-1",
    ] {
        assert_eq!(classify(elsewhere), Level::Elsewhere, "{elsewhere:?}");
    }
}

#[test]
fn a_whole_level_without_its_slash_is_listed_as_that_level() {
    assert_eq!(
        normalize("AWSLogs/111122223333/CloudTrail/us-east-1"),
        REGION
    );
    assert_eq!(normalize("AWSLogs/111122223333"), "AWSLogs/111122223333/");
    // Part of a name stays a name: `2026/1` also matches `2026/10/…`.
    assert_eq!(
        normalize(&format!("{REGION}2026/1")),
        format!("{REGION}2026/1")
    );
    assert_eq!(normalize("exports/cloudtrail"), "exports/cloudtrail");
    assert_eq!(normalize(""), "");
}

#[test]
fn a_region_is_listed_from_the_day_before_the_range_to_the_day_after() {
    let listing = plan(
        REGION,
        &range("2026-11-22T06:00:00Z", "2026-11-23T06:00:00Z"),
    );
    assert_eq!(
        listing.start_after.as_deref(),
        Some("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21")
    );
    assert_eq!(listing.last_day, NaiveDate::from_ymd_opt(2026, 11, 24));
    assert!(!listing.delimited);
    // The first key of the first day sorts after StartAfter; the last of the day before, not.
    let start = listing.start_after.clone().unwrap();
    assert!(format!("{REGION}2026/11/21/a.json.gz").as_str() > start.as_str());
    assert!(format!("{REGION}2026/11/20/z.json.gz").as_str() < start.as_str());
    assert!(listing.past_range(&format!("{REGION}2026/11/25/a.json.gz")));
    assert!(!listing.past_range(&format!("{REGION}2026/11/24/z.json.gz")));

    let open = plan(REGION, &ReadOptions::default());
    assert_eq!((open.start_after, open.last_day), (None, None));
    let above = plan(
        "AWSLogs/111122223333/",
        &range("2026-11-22T06:00:00Z", "2026-11-23T06:00:00Z"),
    );
    assert!(above.delimited);
    assert_eq!(above.start_after, None);
}

fn object(key: &str) -> Object {
    Object::builder().key(key).size(10).build()
}

fn page(keys: &[&str], next: Option<&str>) -> ListObjectsV2Output {
    let mut out = ListObjectsV2Output::builder()
        .set_contents(Some(keys.iter().map(|k| object(k)).collect()))
        .is_truncated(next.is_some());
    if let Some(token) = next {
        out = out.next_continuation_token(token);
    }
    out.build()
}

fn record_file(key: &str) -> ByteStream {
    let id = key.rsplit('/').next().unwrap();
    let day: Vec<&str> = key.split('/').skip(4).take(3).collect();
    ByteStream::from(
        format!(
            r#"{{"Records":[{{"eventID":"{id}","eventTime":"{}-{}-{}T12:00:00Z","eventName":"ListUsers","eventSource":"iam.amazonaws.com"}}]}}"#,
            day[0], day[1], day[2]
        )
        .into_bytes(),
    )
}

/// The listing stops at the first key past the range: the pages after it are never asked for.
#[tokio::test]
async fn listing_stops_at_the_first_key_past_the_range() {
    let key = |day: &str| format!("{REGION}2026/11/{day}/f{day}.json");
    let (k21, k22, k23, k25) = (key("21"), key("22"), key("23"), key("25"));
    let first_requests = Arc::new(Mutex::new(Vec::new()));
    let seen = first_requests.clone();
    let list = mock!(aws_sdk_s3::Client::list_objects_v2)
        .match_requests(move |r| {
            seen.lock().unwrap().push((
                r.prefix().map(str::to_string),
                r.start_after().map(str::to_string),
            ));
            true
        })
        .sequence()
        .output({
            let (a, b) = (k21.clone(), k22.clone());
            move || page(&[&a, &b], Some("t1"))
        })
        .output({
            let (a, b) = (k23.clone(), k25.clone());
            move || page(&[&a, &b], Some("t2"))
        })
        .output(|| page(&["never/asked/for.json"], None))
        .build();
    let get = mock!(aws_sdk_s3::Client::get_object).then_compute_output(|r| {
        GetObjectOutput::builder()
            .body(record_file(r.key().unwrap()))
            .build()
    });
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[&list, &get]);
    let ids = Mutex::new(Vec::new());
    let summary = read_s3(
        &client,
        "trail",
        REGION,
        &range("2026-11-22T00:00:00Z", "2026-11-22T23:59:59Z"),
        4,
        &ReadProgress::default(),
        &|batch: FileBatch| {
            let mut ids = ids.lock().unwrap();
            ids.extend(batch.events.iter().map(|e| e.event_id().to_string()));
        },
    )
    .await;
    assert_eq!(list.num_calls(), 2, "a third page was listed");
    // The objects of the 21st and 23rd are fetched (a day of slack) but hold no record in range.
    assert_eq!(get.num_calls(), 3);
    assert_eq!(ids.into_inner().unwrap(), ["f22.json"]);
    assert_eq!(summary.files, 3);
    assert!(summary.problems.is_empty(), "{:?}", summary.problems);
    let requests = first_requests.lock().unwrap();
    assert_eq!(
        requests[0],
        (
            Some(REGION.to_string()),
            Some(format!("{REGION}2026/11/21"))
        )
    );
}

/// AccessDenied on one object is that object's problem; the others are read.
#[tokio::test]
async fn a_denied_object_does_not_stop_the_others() {
    let keys = [
        format!("{REGION}2026/11/22/a.json"),
        format!("{REGION}2026/11/22/secret.json"),
        format!("{REGION}2026/11/22/c.json"),
    ];
    let listed = keys.clone();
    let list = mock!(aws_sdk_s3::Client::list_objects_v2)
        .then_output(move || page(&listed.iter().map(String::as_str).collect::<Vec<_>>(), None));
    let denied = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|r| r.key().is_some_and(|k| k.ends_with("secret.json")))
        .then_http_response(|| {
            aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                403.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                ),
            )
        });
    let get = mock!(aws_sdk_s3::Client::get_object).then_compute_output(|r| {
        GetObjectOutput::builder()
            .body(record_file(r.key().unwrap()))
            .build()
    });
    let client = mock_client!(
        aws_sdk_s3,
        RuleMode::MatchAny,
        &[&list, &denied, &get],
        |c| c.retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
    );
    let summary = read_s3(
        &client,
        "trail",
        "",
        &ReadOptions::default(),
        1,
        &ReadProgress::default(),
        &|_| {},
    )
    .await;
    assert_eq!((summary.files, summary.events), (3, 2));
    assert_eq!(
        summary.problems,
        [Problem {
            path: format!("s3://trail/{}", keys[1]),
            reason: "AccessDenied — missing permission s3:GetObject".to_string(),
        }]
    );
}
