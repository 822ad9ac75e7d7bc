//! CloudTrail read straight from S3, against moto's S3: objects where trails deliver them
//! (several regions and days, an organization trail, a digest) and every kind of trouble (a
//! truncated gzip, a file that is not JSON, an object IAM refuses, no endpoint at all). Every
//! request the reader makes is recorded, so the tests can say what was listed and fetched.

use crate::support::moto::Moto;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Credentials, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use url::Url;
use warroom::archive::s3::read_s3;
use warroom::archive::{FileBatch, ReadOptions, ReadProgress, Summary};
use warroom::model::CloudTrailEvent;

const BUCKET: &str = "trail-archive";
const ACCOUNT: &str = "111122223333";
const ORG: &str = "o-abc123def4";

fn event(id: &str, time: &str) -> String {
    format!(
        r#"{{"eventID":"{id}","eventTime":"{time}","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{{"type":"IAMUser","userName":"dana","accessKeyId":"AKIADANA"}}}}"#
    )
}

fn records(events: &[String]) -> String {
    format!(r#"{{"Records":[{}]}}"#, events.join(","))
}

fn gz(text: &str) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// Where a trail delivers a file: `day` is `YYYY/MM/DD`.
fn delivered(region: &str, day: &str, name: &str) -> String {
    format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/{region}/{day}/{ACCOUNT}_CloudTrail_{region}_{name}.json.gz"
    )
}

fn key_a() -> String {
    delivered("us-east-1", "2026/11/22", "20261122T0740Z_a")
}
fn key_truncated() -> String {
    delivered("us-east-1", "2026/11/22", "20261122T1105Z_truncated")
}
fn key_notes() -> String {
    format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/22/notes.json")
}
fn key_eu() -> String {
    delivered("eu-west-1", "2026/11/22", "20261122T1205Z_eu")
}
fn key_org() -> String {
    format!("AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/us-east-1/2026/11/22/org.json.gz")
}
fn key_digest() -> String {
    format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/22/digest.json.gz")
}

/// The bucket's objects: ten days of October history, then a busy week in November.
fn archive() -> Vec<(String, Vec<u8>)> {
    let mut objects = vec![
        // Out of time order inside the file, and one record from before the file's day.
        (
            key_a(),
            gz(&records(&[
                event("b", "2026-11-22T07:39:00Z"),
                event("a", "2026-11-22T07:38:00Z"),
                event("old", "2026-11-21T23:59:00Z"),
            ])),
        ),
        (
            delivered("us-east-1", "2026/11/20", "20261120T1005Z_early"),
            gz(&records(&[
                event("e20b", "2026-11-20T10:00:00Z"),
                event("e20a", "2026-11-20T09:00:00Z"),
            ])),
        ),
        (
            key_eu(),
            gz(&records(&[event("eu", "2026-11-22T12:00:00Z")])),
        ),
        (
            delivered("eu-west-1", "2026/11/25", "20261125T0105Z_late"),
            gz(&records(&[event("late", "2026-11-25T01:00:00Z")])),
        ),
        (
            key_org(),
            gz(&records(&[event("org", "2026-11-22T08:00:00Z")])),
        ),
        (key_digest(), gz(r#"{"awsAccountId":"111122223333"}"#)),
        (key_notes(), b"this is not json".to_vec()),
    ];
    // A gzip cut in half: what decompresses is kept.
    let many: Vec<String> = (0..400)
        .map(|i| event(&format!("t{i}"), "2026-11-22T11:00:00Z"))
        .collect();
    let whole = gz(&records(&many));
    objects.push((key_truncated(), whole[..whole.len() / 2].to_vec()));
    for d in 1..=10 {
        objects.push((
            delivered("us-east-1", &format!("2026/10/{d:02}"), &format!("hist{d}")),
            gz(&records(&[event(
                &format!("hist{d}"),
                &format!("2026-10-{d:02}T12:00:00Z"),
            )])),
        ));
    }
    objects
}

/// Every request a client sends: its operation and URL.
#[derive(Debug, Clone, Default)]
struct Requests(Arc<Mutex<Vec<(String, Url)>>>);

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "Requests"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_default();
        let url = Url::parse(context.request().uri())?;
        self.0.lock().unwrap().push((operation, url));
        Ok(())
    }
}

/// One ListObjectsV2 call, by what it asked for.
#[derive(Debug, PartialEq, Eq)]
struct Listed {
    prefix: String,
    delimiter: Option<String>,
    start_after: Option<String>,
}

impl Requests {
    fn of(&self, operation: &str) -> Vec<Url> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|(op, _)| op == operation)
            .map(|(_, url)| url.clone())
            .collect()
    }

    /// The keys fetched with GetObject, sorted.
    fn fetched(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .of("GetObject")
            .iter()
            .map(|url| {
                let path = urlencoding::decode(url.path()).unwrap().into_owned();
                path.trim_start_matches(&format!("/{BUCKET}/")).to_string()
            })
            .collect();
        keys.sort();
        keys
    }

    fn listed(&self) -> Vec<Listed> {
        self.of("ListObjectsV2")
            .iter()
            .map(|url| {
                let param = |name: &str| {
                    url.query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                };
                Listed {
                    prefix: param("prefix").unwrap_or_default(),
                    delimiter: param("delimiter"),
                    start_after: param("start-after"),
                }
            })
            .collect()
    }
}

/// A client for moto's S3 that records its requests. Path-style: moto has no per-bucket hosts.
async fn client(moto: &Moto, requests: &Requests) -> Client {
    let sdk = moto.sdk_config().await;
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(true)
        .interceptor(requests.clone())
        .build();
    Client::from_conf(config)
}

/// moto with the bucket filled.
async fn filled() -> (Moto, Client, Requests) {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let requests = Requests::default();
    let s3 = client(&moto, &requests).await;
    for (key, bytes) in archive() {
        s3.put_object()
            .bucket(BUCKET)
            .key(&key)
            .body(bytes.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    }
    requests.0.lock().unwrap().clear();
    (moto, s3, requests)
}

type Events = Vec<Arc<CloudTrailEvent>>;

/// Reads the bucket under `prefix`, and the events sorted by time.
async fn read(client: &Client, prefix: &str, opts: &ReadOptions) -> (Summary, Events) {
    read_with(client, prefix, opts, 4, &ReadProgress::default()).await
}

async fn read_with(
    client: &Client,
    prefix: &str,
    opts: &ReadOptions,
    parallel: usize,
    progress: &ReadProgress,
) -> (Summary, Events) {
    let events = Mutex::new(Vec::new());
    let sink = |batch: FileBatch| events.lock().unwrap().extend(batch.events);
    let summary = read_s3(client, BUCKET, prefix, opts, parallel, progress, &sink).await;
    let mut events = events.into_inner().unwrap();
    events.sort_by_key(|e| e.event_time);
    (summary, events)
}

fn ids(events: &Events) -> Vec<String> {
    events.iter().map(|e| e.event_id().to_string()).collect()
}

fn url(key: &str) -> String {
    format!("s3://{BUCKET}/{key}")
}

fn day(since: &str, until: &str) -> ReadOptions {
    ReadOptions {
        since: Some(since.parse().unwrap()),
        until: Some(until.parse().unwrap()),
        threads: 0,
        rules: None,
    }
}

#[tokio::test]
async fn every_good_record_arrives_and_every_problem_is_named() {
    let (_moto, s3, requests) = filled().await;
    let (summary, events) = read(&s3, "", &ReadOptions::default()).await;

    let untruncated: Vec<String> = ids(&events)
        .into_iter()
        .filter(|id| !id.starts_with('t'))
        .collect();
    let mut expected: Vec<String> = (1..=10).map(|d| format!("hist{d}")).collect();
    expected.extend(["e20a", "e20b", "old", "a", "b", "org", "eu", "late"].map(String::from));
    assert_eq!(untruncated, expected, "ordered by eventTime, not by file");
    let salvaged = ids(&events).iter().filter(|id| id.starts_with('t')).count();
    assert!(
        (1..400).contains(&salvaged),
        "{salvaged} records of the truncated gzip"
    );

    let everything: Vec<(String, Vec<u8>)> = archive();
    let fetched = requests.fetched();
    assert!(
        !fetched.contains(&key_digest()),
        "the digest is not fetched"
    );
    assert_eq!(fetched.len(), everything.len() - 1);
    assert_eq!(summary.files, fetched.len());
    assert_eq!(summary.events, events.len());
    let downloaded: usize = everything
        .iter()
        .filter(|(k, _)| *k != key_digest())
        .map(|(_, b)| b.len())
        .sum();
    assert_eq!(summary.bytes, downloaded as u64);

    let reasons = |key: String| {
        summary
            .problems
            .iter()
            .filter(|p| p.path == url(&key))
            .map(|p| p.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    assert!(
        reasons(key_truncated()).contains("gzip stream broken"),
        "{:#?}",
        summary.problems
    );
    assert!(
        reasons(key_notes()).contains("not valid JSON"),
        "{:#?}",
        summary.problems
    );
    let named = [url(&key_truncated()), url(&key_notes())];
    assert!(
        summary.problems.iter().all(|p| named.contains(&p.path)),
        "{:#?}",
        summary.problems
    );
    assert!(summary.report().contains(&url(&key_notes())));
}

/// At the account level the walk names the trail folder and the regions with a delimiter
/// (never listing the digests), then lists each region from the day before the range: the
/// October history and the days after are neither listed page by page nor fetched.
#[tokio::test]
async fn a_time_range_lists_and_fetches_only_its_days() {
    let (_moto, s3, requests) = filled().await;
    let opts = day("2026-11-22T00:00:00Z", "2026-11-22T23:59:59Z");
    let (summary, events) = read(&s3, &format!("AWSLogs/{ACCOUNT}/"), &opts).await;

    let region = |r: &str| format!("AWSLogs/{ACCOUNT}/CloudTrail/{r}/");
    let walk = |prefix: String| Listed {
        prefix,
        delimiter: Some("/".into()),
        start_after: None,
    };
    let from_the_21st = |r: &str| Listed {
        prefix: region(r),
        delimiter: None,
        start_after: Some(format!("{}2026/11/21", region(r))),
    };
    assert_eq!(
        requests.listed(),
        [
            walk(format!("AWSLogs/{ACCOUNT}/")),
            walk(format!("AWSLogs/{ACCOUNT}/CloudTrail/")),
            from_the_21st("eu-west-1"),
            from_the_21st("us-east-1"),
        ]
    );
    let mut wanted = vec![key_a(), key_truncated(), key_notes(), key_eu()];
    wanted.sort();
    assert_eq!(requests.fetched(), wanted);
    assert_eq!(summary.files, 4, "of the 17 a read of everything fetches");

    let untruncated: Vec<String> = ids(&events)
        .into_iter()
        .filter(|id| !id.starts_with('t'))
        .collect();
    assert_eq!(
        untruncated,
        ["a", "b", "eu"],
        "`old` is in the file, not the range"
    );
}

#[tokio::test]
async fn a_region_or_an_organization_is_narrowed_too() {
    let (_moto, s3, requests) = filled().await;
    // A region named without its final slash, and only a start.
    let since = ReadOptions {
        since: Some("2026-11-22T00:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    let prefix = format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1");
    let (_, events) = read(&s3, &prefix, &since).await;
    assert_eq!(
        requests.listed(),
        [Listed {
            prefix: format!("{prefix}/"),
            delimiter: None,
            start_after: Some(format!("{prefix}/2026/11/21")),
        }]
    );
    let mut wanted = vec![key_a(), key_truncated(), key_notes()];
    wanted.sort();
    assert_eq!(requests.fetched(), wanted);
    assert!(ids(&events).iter().any(|i| i == "b"));

    requests.0.lock().unwrap().clear();
    let opts = day("2026-11-22T00:00:00Z", "2026-11-22T23:59:59Z");
    let (summary, events) = read(&s3, &format!("AWSLogs/{ORG}/"), &opts).await;
    assert_eq!(ids(&events), ["org"]);
    assert_eq!(requests.fetched(), [key_org()]);
    assert_eq!(
        requests.listed().len(),
        4,
        "organization, account, trail, region"
    );
    assert!(summary.problems.is_empty(), "{:#?}", summary.problems);
}

/// The events keep the compressed object: their JSON is read back without S3.
#[tokio::test]
async fn an_events_json_is_read_back_from_the_downloaded_object() {
    let (moto, s3, requests) = filled().await;
    let opts = day("2026-11-22T07:00:00Z", "2026-11-22T08:00:00Z");
    let (_, events) = read(&s3, &format!("AWSLogs/{ACCOUNT}/"), &opts).await;
    drop(moto);
    let before = requests.0.lock().unwrap().len();
    let b = events.iter().find(|e| e.event_id() == "b").unwrap();
    assert!(!b.raw_is_inline());
    assert_eq!(&*b.raw_text(), event("b", "2026-11-22T07:39:00Z"));
    let a = events.iter().find(|e| e.event_id() == "a").unwrap();
    assert_eq!(a.json()["eventTime"], "2026-11-22T07:38:00Z");
    assert_eq!(
        requests.0.lock().unwrap().len(),
        before,
        "nothing downloaded again"
    );
}

/// With moto checking IAM, a policy that denies one object: that object is one problem
/// naming it and the refusal, and the rest of the region is read.
#[tokio::test]
async fn access_denied_on_one_object_does_not_stop_the_others() {
    let (moto, _, _) = filled().await;
    let sdk = moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    iam.create_user().user_name("reader").send().await.unwrap();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObject"],
                "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")]
            },
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{BUCKET}/{}", key_a())
            }
        ]
    });
    iam.put_user_policy()
        .user_name("reader")
        .policy_name("read-trail")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("reader")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    moto.enforce_iam();

    let requests = Requests::default();
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            key.access_key_id(),
            key.secret_access_key(),
            None,
            None,
            "iam-user",
        ))
        .interceptor(requests.clone())
        .build();
    let reader = Client::from_conf(config);
    let prefix = format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/");
    let (summary, events) = read(&reader, &prefix, &ReadOptions::default()).await;

    let denied: Vec<_> = summary
        .problems
        .iter()
        .filter(|p| p.path == url(&key_a()))
        .collect();
    assert_eq!(denied.len(), 1, "{:#?}", summary.problems);
    assert!(
        denied[0].reason.starts_with("AccessDenied"),
        "{}",
        denied[0].reason
    );
    let ids = ids(&events);
    assert!(!ids.iter().any(|i| i == "b"));
    for id in ["hist1", "hist10", "e20a", "e20b", "t0"] {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
    }
    assert_eq!(
        summary.files,
        requests.fetched().len(),
        "the denied one counts as done"
    );
    assert_eq!(summary.files, 14);
}

/// Cancelled from the sink after the first object: with one download at a time, no other
/// object is fetched.
#[tokio::test]
async fn cancel_stops_early() {
    let (_moto, s3, requests) = filled().await;
    let progress = ReadProgress::default();
    let batches = Mutex::new(0);
    let sink = |_: FileBatch| {
        *batches.lock().unwrap() += 1;
        progress.cancel.store(true, Ordering::Relaxed);
    };
    let summary = read_s3(
        &s3,
        BUCKET,
        "",
        &ReadOptions::default(),
        1,
        &progress,
        &sink,
    )
    .await;
    assert!(summary.cancelled);
    assert_eq!(summary.files, 1);
    assert_eq!(*batches.lock().unwrap(), 1);
    assert_eq!(requests.fetched().len(), 1);
    assert!(progress.files_total.load(Ordering::Relaxed) > 1);
}

/// Nothing listening where S3 should be: one problem that says so, after the SDK's own
/// retries, and no panic.
#[tokio::test]
async fn an_unreachable_endpoint_is_one_clear_problem() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(warroom::source::aws::connect::https_client())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await;
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(true)
        .build();
    let s3 = Client::from_conf(config);
    let (summary, events) = read(&s3, "AWSLogs/", &ReadOptions::default()).await;
    assert!(events.is_empty());
    assert_eq!(summary.files, 0);
    assert_eq!(summary.problems.len(), 1, "{:#?}", summary.problems);
    let problem = &summary.problems[0];
    assert_eq!(problem.path, url("AWSLogs/"));
    assert!(
        problem.reason.contains("cannot reach the endpoint"),
        "{}",
        problem.reason
    );
    assert!(!problem.reason.contains("retrying"), "{}", problem.reason);
}

/// `warroom query` on a bucket: credentials from the standard chain (only the environment
/// here: no profile files to find instead), the endpoint from the command line, the time
/// range narrowing what is fetched, and the filter applied to what arrives.
#[test]
fn query_reads_a_bucket_with_the_standard_credentials() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (moto, _, _) = rt.block_on(filled());
    let none = tempfile::tempdir().unwrap();
    let query = |extra: &[&str]| {
        let source = format!("s3://{BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/");
        let mut args = vec![
            "query",
            &source,
            "--since",
            "2026-11-22T07:00:00Z",
            "--until",
            "2026-11-22T08:00:00Z",
        ];
        args.extend_from_slice(extra);
        query_with_environment_keys(&moto, none.path(), &args)
    };
    let out = query(&["--format", "csv"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let ids: Vec<&str> = stdout
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"], "{stdout}\n{stderr}");

    let out = query(&["eventID=b", "--count"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
}

/// `warroom ARGS --endpoint-url moto` with moto's keys in the environment and nothing else
/// to find: no profile, no config files, no instance metadata.
fn query_with_environment_keys(
    moto: &Moto,
    home: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .args(["--endpoint-url", &moto.endpoint])
        .envs(moto.env())
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home)
        .output()
        .unwrap()
}

/// `--newest-first` on a bucket: every object listed, then read latest delivery first and
/// printed as it becomes final. The same events as oldest first, the other way round, and
/// the same problems named.
#[test]
fn query_newest_first_reads_a_bucket_in_delivery_order() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (moto, _, _) = rt.block_on(filled());
    let none = tempfile::tempdir().unwrap();
    let source = format!("s3://{BUCKET}/AWSLogs/");
    let ids = |extra: &[&str]| -> (Vec<String>, String) {
        let mut args = vec![
            "query",
            source.as_str(),
            "userIdentity.accessKeyId=AKIADANA",
        ];
        args.extend_from_slice(extra);
        let out = query_with_environment_keys(&moto, none.path(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let ids = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["eventID"].to_string())
            .collect();
        (ids, stderr)
    };
    let (oldest_first, problems) = ids(&[]);
    let (mut newest_first, also) = ids(&["--newest-first"]);
    assert!(oldest_first.len() > 100, "{}", oldest_first.len());
    assert_eq!(newest_first[0], "\"late\"");
    newest_first.reverse();
    assert_eq!(oldest_first, newest_first);
    assert!(
        problems.contains("notes.json") && problems.contains("truncated"),
        "{problems}"
    );
    assert_eq!(problems, also);
}

/// `--profile` wins over keys exported in the environment (as aws-vault and granted export
/// them): with moto checking every signature and policy, the exported keys are a user who
/// may read nothing, the profile's a reader. `query` and `detect` read the bucket with the
/// profile's; without `--profile`, the exported keys are refused.
#[test]
fn an_explicit_profile_wins_over_exported_keys() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (moto, _, _) = rt.block_on(filled());
    let keys = rt.block_on(async {
        let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
        let mut keys = Vec::new();
        for user in ["nobody", "reader"] {
            iam.create_user().user_name(user).send().await.unwrap();
            let key = iam
                .create_access_key()
                .user_name(user)
                .send()
                .await
                .unwrap();
            let key = key.access_key().unwrap();
            keys.push((
                key.access_key_id().to_string(),
                key.secret_access_key().to_string(),
            ));
        }
        let read = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"],
            "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")]}]});
        iam.put_user_policy()
            .user_name("reader")
            .policy_name("read-trail")
            .policy_document(read.to_string())
            .send()
            .await
            .unwrap();
        keys
    });
    moto.enforce_iam();
    let home = tempfile::tempdir().unwrap();
    let credentials = home.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[incident]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            keys[1].0, keys[1].1
        ),
    )
    .unwrap();
    let source = format!("s3://{BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(args)
            .args(["--endpoint-url", &moto.endpoint, "--region", "us-east-1"])
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env("AWS_ACCESS_KEY_ID", &keys[0].0)
            .env("AWS_SECRET_ACCESS_KEY", &keys[0].1)
            .env("AWS_CONFIG_FILE", home.path().join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", home.path())
            .output()
            .unwrap()
    };
    let exported = run(&["query", &source, "--count"]);
    let stderr = String::from_utf8_lossy(&exported.stderr);
    assert!(
        stderr.contains("AccessDenied"),
        "the exported keys may read nothing: {stderr}"
    );
    let profile = run(&["query", &source, "--count", "--profile", "incident"]);
    let stderr = String::from_utf8_lossy(&profile.stderr);
    assert!(profile.status.success(), "{stderr}");
    assert!(!stderr.contains("AccessDenied"), "{stderr}");
    let count: usize = String::from_utf8_lossy(&profile.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(count > 0, "the reader reads the trail");
    let detect = run(&[
        "detect",
        &source,
        "--profile",
        "incident",
        "--format",
        "jsonl",
    ]);
    assert!(
        detect.status.success(),
        "{}",
        String::from_utf8_lossy(&detect.stderr)
    );
}
