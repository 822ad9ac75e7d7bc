//! `query --athena` makes SQL; here that SQL runs on DuckDB (from the tests' virtualenv, the
//! dialects bridged in `support/athena_duckdb.py`) over the same CloudTrail files laid out as
//! an organization trail delivers them, and must return exactly the events `warroom query`
//! finds in those files, for every kind of filter.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The Stratus Red Team recordings, one file per account, region and day, in the S3 layout
/// of an organization trail.
fn organization_trail(root: &Path) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stratus-detonation-logs");
    let mut files: BTreeMap<(String, String, String), Vec<serde_json::Value>> = BTreeMap::new();
    for f in std::fs::read_dir(dir).unwrap() {
        let path = f.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        for e in events {
            let account = e["recipientAccountId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let region = e["awsRegion"].as_str().unwrap_or_default().to_string();
            let day = e["eventTime"]
                .as_str()
                .unwrap_or_default()
                .get(..10)
                .unwrap_or_default()
                .replace('-', "/");
            files.entry((account, region, day)).or_default().push(e);
        }
    }
    let mut n = 0;
    for ((account, region, day), records) in &files {
        let dir = root.join(format!(
            "AWSLogs/o-abc123def4/{account}/CloudTrail/{region}/{day}"
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!(
            "{account}_CloudTrail_{region}_{}_x.json",
            day.replace('/', "")
        );
        std::fs::write(
            dir.join(name),
            serde_json::json!({ "Records": records }).to_string(),
        )
        .unwrap();
        n += records.len();
    }
    n
}

/// warroom's standard output for `args` then `filters`; it must succeed.
fn warroom(args: &[&str], filters: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .args(filters)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn ids_of_query(root: &Path, filters: &[&str]) -> BTreeSet<String> {
    warroom(&["query", root.to_str().unwrap()], filters)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["eventID"].as_str().unwrap().to_string()
        })
        .collect()
}

fn ids_of_sql(root: &Path, filters: &[&str]) -> (BTreeSet<String>, String) {
    let sql = warroom(&["query", "--athena", "cloudtrail", "--print-sql"], filters);
    let file = root.join("query.sql");
    std::fs::write(&file, &sql).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/athena_duckdb.py"
    );
    let run = Command::new(crate::support::python::venv().join("bin/python"))
        .args([
            script,
            root.to_str().unwrap(),
            "cloudtrail",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{sql}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let ids = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    (ids, sql)
}

#[test]
fn the_athena_sql_finds_what_query_finds_for_every_kind_of_filter() {
    let trail = tempfile::tempdir().unwrap();
    let root = trail.path().join("trail");
    let events = organization_trail(&root);
    let cases: &[&[&str]] = &[
        &["eventName=CreateAccessKey"],
        &["userIdentity.accessKeyId=AKIA30BEZSJBVKOFKZW0"],
        &[
            "userIdentity.type=AssumedRole",
            "eventSource=ec2.amazonaws.com",
        ],
        &["userIdentity.sessionContext.sessionIssuer.userName~stratus"],
        &["requestParameters.userName~stratus"],
        &["eventName~CreateA"],
        &["eventName~createa"],
        &["awsRegion=eu-west-2r"],
        &["recipientAccountId=165109126369"],
        &[
            "eventName~runi",
            "--since",
            "2024-07-31T00:00:00Z",
            "--until",
            "2024-08-01T00:00:00Z",
        ],
    ];
    for filters in cases {
        let local = ids_of_query(&root, filters);
        let (athena, sql) = ids_of_sql(&root, filters);
        assert_eq!(athena, local, "{filters:?}\n{sql}");
        assert!(
            !local.is_empty() && local.len() < events,
            "{filters:?} should select some events, not all: {}",
            local.len()
        );
    }
}
