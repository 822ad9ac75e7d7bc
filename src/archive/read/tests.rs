use super::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

fn event(id: &str, time: &str) -> String {
    format!(
        r#"{{"eventID":"{id}","eventTime":"{time}","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{{"type":"IAMUser","userName":"dana","accessKeyId":"AKIADANA"}}}}"#
    )
}

fn gz(text: &str) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn put(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// An archive with every shape and every kind of trouble.
fn archive(root: &Path) {
    let day = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/22";
    // Records out of time order inside the file, and one older than the file's day.
    put(
        root,
        &format!("{day}/111122223333_CloudTrail_us-east-1_20261122T0740Z_a.json.gz"),
        &gz(&format!(
            r#"{{"Records":[{},{},{}]}}"#,
            event("b", "2026-11-22T07:39:00Z"),
            event("a", "2026-11-22T07:38:00Z"),
            event("old", "2026-11-21T23:59:00Z"),
        )),
    );
    // An organization trail, with its o-… level.
    put(
        root,
        "AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2026/11/22/org.json.gz",
        &gz(&format!(
            r#"{{"Records":[{}]}}"#,
            event("org", "2026-11-22T08:00:00Z")
        )),
    );
    put(
        root,
        "exports/array.json",
        format!(
            "[{},\n{}]",
            event("arr1", "2026-11-22T09:00:00Z"),
            event("arr2", "2026-11-22T09:01:00Z")
        )
        .as_bytes(),
    );
    put(
        root,
        "exports/lines.jsonl",
        format!(
            "{}\n{}\n",
            event("l1", "2026-11-22T10:00:00Z"),
            event("l2", "2026-11-22T10:01:00Z")
        )
        .as_bytes(),
    );
    // A gzip cut in half: what decompresses is kept.
    let whole = gz(&format!(
        r#"{{"Records":[{}]}}"#,
        (0..400)
            .map(|i| event(&format!("t{i}"), "2026-11-22T11:00:00Z"))
            .collect::<Vec<_>>()
            .join(",")
    ));
    put(
        root,
        &format!("{day}/truncated.json.gz"),
        &whole[..whole.len() / 2],
    );
    put(root, "exports/notes.json", b"this is not json");
    put(
        root,
        "exports/no-time.json",
        format!(
            r#"[{},{{"eventID":"x","eventName":"Oops"}}]"#,
            event("fine", "2026-11-22T12:00:00Z")
        )
        .as_bytes(),
    );
    put(
        root,
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/22/digest.json.gz",
        &gz(r#"{"awsAccountId":"111122223333"}"#),
    );
    put(root, "README.txt", b"not a CloudTrail file");
}

fn read_all(root: &Path, opts: &ReadOptions) -> (Summary, Vec<Arc<CloudTrailEvent>>) {
    let events = Mutex::new(Vec::new());
    let summary = read_local(root, opts, &ReadProgress::default(), &|batch: FileBatch| {
        events.lock().unwrap().extend(batch.events)
    });
    let mut events = events.into_inner().unwrap();
    events.sort_by_key(|e| e.event_time);
    (summary, events)
}

#[test]
fn every_good_record_is_kept_and_every_problem_named() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let (summary, events) = read_all(dir.path(), &ReadOptions::default());
    let ids: Vec<String> = events.iter().map(|e| e.event_id().to_string()).collect();
    for id in [
        "old", "a", "b", "org", "arr1", "arr2", "l1", "l2", "fine", "t0",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
    }
    assert_eq!(
        &ids[..3],
        ["old", "a", "b"],
        "ordered by eventTime, not by file"
    );
    assert_eq!(summary.files, 7, "the digest and the README are not read");
    let problem = |path: &str| {
        summary
            .problems
            .iter()
            .filter(|p| p.path.ends_with(path))
            .map(|p| p.reason.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    assert!(
        problem("truncated.json.gz").contains("gzip stream broken"),
        "{:#?}",
        summary.problems
    );
    assert!(
        problem("notes.json").contains("not valid JSON"),
        "{:#?}",
        summary.problems
    );
    assert!(
        problem("no-time.json").contains("1 records skipped (record 1: missing eventTime)"),
        "{:#?}",
        summary.problems
    );
    assert_eq!(summary.events, events.len());
    let report = summary.report();
    assert!(report.contains("truncated.json.gz"), "{report}");
}

#[test]
fn raw_json_is_read_back_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let (_, events) = read_all(dir.path(), &ReadOptions::default());
    let b = events.iter().find(|e| e.event_id() == "b").unwrap();
    assert!(!b.raw_is_inline());
    assert_eq!(&*b.raw_text(), event("b", "2026-11-22T07:39:00Z"));
    let arr2 = events.iter().find(|e| e.event_id() == "arr2").unwrap();
    assert_eq!(arr2.json()["eventTime"], "2026-11-22T09:01:00Z");
}

#[test]
fn a_time_range_narrows_by_path_and_by_record() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let opts = ReadOptions {
        since: Some("2026-11-22T07:38:30Z".parse().unwrap()),
        until: Some("2026-11-22T08:30:00Z".parse().unwrap()),
        threads: 1,
        rules: None,
    };
    let (_, events) = read_all(dir.path(), &opts);
    let ids: Vec<String> = events.iter().map(|e| e.event_id().to_string()).collect();
    assert_eq!(ids, ["b", "org"]);
    let far = ReadOptions {
        since: Some("2026-12-25T00:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    assert!(!may_hold(
        day_of(Path::new("x/CloudTrail/us-east-1/2026/11/22/f.json.gz")),
        &far
    ));
    assert!(
        may_hold(day_of(Path::new("exports/array.json")), &far),
        "no day: read it"
    );
}

#[test]
fn the_day_comes_from_the_delivery_layout() {
    assert_eq!(
        day_of(Path::new(
            "AWSLogs/o-1/1/CloudTrail/us-east-1/2026/01/31/f.json.gz"
        )),
        NaiveDate::from_ymd_opt(2026, 1, 31)
    );
    assert_eq!(day_of(Path::new("logs/2026-01-31.json")), None);
}

#[test]
fn a_missing_path_is_one_problem() {
    let (summary, events) = read_all(Path::new("/nonexistent/trail"), &ReadOptions::default());
    assert!(events.is_empty());
    assert_eq!(summary.problems[0].path, "/nonexistent/trail");
}

#[test]
fn cancelling_stops_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let progress = ReadProgress::default();
    progress.cancel.store(true, Ordering::Relaxed);
    let summary = read_local(dir.path(), &ReadOptions::default(), &progress, &|_| {});
    assert!(summary.cancelled);
    assert_eq!(summary.files, 0);
}

#[test]
fn a_file_reached_by_two_paths_is_read_once_and_a_copy_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let text = format!(
        r#"{{"Records":[{},{}]}}"#,
        event("a", "2026-11-22T07:00:00Z"),
        event("b", "2026-11-22T07:01:00Z")
    );
    put(root, "trail/one.json", text.as_bytes());
    // A symlink to the folder, and one back up the tree.
    std::os::unix::fs::symlink(root.join("trail"), root.join("again")).unwrap();
    std::os::unix::fs::symlink(root, root.join("trail/up")).unwrap();
    let files = list_files(root, &ReadOptions::default()).unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    // A copy is another file: its events are the same events, and `query` counts them once.
    put(root, "copy/one.json", text.as_bytes());
    let matcher = crate::query::Matcher::new(Vec::new(), None, None);
    let (_, n, _) = crate::query::search_local(
        root,
        &matcher,
        &ReadOptions::default(),
        true,
        &ReadProgress::default(),
    )
    .unwrap();
    assert_eq!(n, 2);
    let (hits, n, _) = crate::query::search_local(
        root,
        &matcher,
        &ReadOptions::default(),
        false,
        &ReadProgress::default(),
    )
    .unwrap();
    assert_eq!((hits.len(), n), (2, 2));
}

#[test]
fn a_file_is_bounded_by_its_delivery_stamp_or_its_day() {
    let stamped = Path::new(
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/22/111122223333_CloudTrail_us-east-1_20261122T0740Z_Ab12.json.gz",
    );
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    assert_eq!(delivered_at(stamped), Some(at("2026-11-22T07:40:00Z")));
    assert_eq!(latest_possible(stamped), Some(at("2026-11-22T08:40:00Z")));
    let day_only = Path::new("x/CloudTrail/us-east-1/2026/11/22/merged.json");
    assert_eq!(delivered_at(day_only), None);
    assert_eq!(latest_possible(day_only), Some(at("2026-11-23T01:00:00Z")));
    assert_eq!(latest_possible(Path::new("exports/array.json")), None);
    // A stamp-like part that is not a time bounds nothing.
    assert_eq!(delivered_at(Path::new("a_20261399T0740Z_b.json")), None);
}
