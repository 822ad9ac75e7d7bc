//! `query --athena` makes SQL; here that SQL runs on DuckDB (from the tests' virtualenv, the
//! dialects bridged in `support/athena_duckdb.py`) over the same CloudTrail files laid out as
//! an organization trail delivers them, and must return exactly the events `warroom query`
//! finds in those files, for every kind of filter.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::support::moto::Moto;

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

/// A scratch directory holding the organization trail (kept while the first is alive).
fn trail_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("trail");
    organization_trail(&root);
    (dir, root)
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

/// The rows DuckDB returns for `sql` over the files under `root`, each row its columns.
fn duckdb_rows(root: &Path, sql: &str) -> Vec<Vec<String>> {
    let file = root.join("query.sql");
    std::fs::write(&file, sql).unwrap();
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
    String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn ids_of_sql(root: &Path, filters: &[&str]) -> (BTreeSet<String>, String) {
    let (rows, sql) = rows_of_sql(root, filters);
    (rows.into_iter().map(|r| r[0].clone()).collect(), sql)
}

/// The rows DuckDB returns for the SQL warroom makes of `filters`, and that SQL.
fn rows_of_sql(root: &Path, filters: &[&str]) -> (Vec<Vec<String>>, String) {
    let sql = warroom(&["query", "--athena", "cloudtrail", "--print-sql"], filters);
    (duckdb_rows(root, &sql), sql)
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

const TRAIL_BUCKET: &str = "org-trail";
const RESULTS: &str = "s3://athena-results/warroom/";

/// moto holding the organization trail's files in its bucket, keyed as CloudTrail keys them.
fn trail_in_moto(root: &Path) -> (Moto, tokio::runtime::Runtime) {
    let moto = Moto::start();
    moto.create_bucket(TRAIL_BUCKET);
    moto.create_bucket("athena-results");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sdk = moto.sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        for f in walkdir::WalkDir::new(root) {
            let f = f.unwrap();
            if !f.file_type().is_file() {
                continue;
            }
            let key = f.path().strip_prefix(root).unwrap().to_str().unwrap();
            s3.put_object()
                .bucket(TRAIL_BUCKET)
                .key(key)
                .body(std::fs::read(f.path()).unwrap().into())
                .send()
                .await
                .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
        }
    });
    (moto, rt)
}

/// The queries moto's Athena was asked to run, oldest first.
fn queries_run(moto: &Moto, rt: &tokio::runtime::Runtime) -> Vec<String> {
    rt.block_on(async {
        let athena = aws_sdk_athena::Client::new(&moto.sdk_config().await);
        let ids = athena.list_query_executions().send().await.unwrap();
        let mut out = Vec::new();
        for id in ids.query_execution_ids() {
            let q = athena
                .get_query_execution()
                .query_execution_id(id)
                .send()
                .await
                .unwrap();
            let q = q.query_execution().unwrap();
            let started = q.status().and_then(|s| s.submission_date_time()).cloned();
            out.push((started, q.query().unwrap_or_default().to_string()));
        }
        out.sort_by_key(|q| q.0);
        out.into_iter().map(|(_, q)| q).collect()
    })
}

fn warroom_on(moto: &Moto, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .envs(moto.env())
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap()
}

/// `query --athena` against moto's Athena and S3: the query warroom starts is the SQL it
/// prints; the rows (which moto cannot compute) are the rows DuckDB computes for that SQL over
/// the same files, named by their S3 keys; and what warroom prints from them is byte for byte
/// what `warroom query` prints over the files themselves.
#[test]
fn query_athena_runs_the_sql_and_prints_what_a_local_query_prints() {
    let (_trail, root) = trail_dir();
    let (moto, rt) = trail_in_moto(&root);
    let cases: &[&[&str]] = &[
        &["eventName~CreateA"],
        // Not in the SQL (through an array): Athena's rows are more than the answer, and the
        // files read decide.
        &["eventSource=sts.amazonaws.com", "resources.type~role"],
    ];
    let mut sqls = Vec::new();
    for filters in cases {
        let sql = warroom(&["query", "--athena", "cloudtrail", "--print-sql"], filters);
        let rows = queue_rows_of(&moto, &root, &sql);
        let mut args = vec![
            "query",
            "--athena",
            "cloudtrail",
            "--endpoint-url",
            &moto.endpoint,
            "--output-location",
            RESULTS,
        ];
        args.extend_from_slice(filters);
        let out = warroom_on(&moto, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{filters:?}: {stderr}");
        let expected = warroom(&["query", root.to_str().unwrap()], filters);
        assert!(!expected.is_empty(), "{filters:?} finds nothing locally");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "{filters:?}"
        );
        assert!(
            stderr.contains(&format!(
                "warroom: Athena scanned 0 bytes in 0.0 s (≈ $0.0001 at $5/TB, 10 MB minimum): {rows} events\n"
            )),
            "{stderr}"
        );
        sqls.push(sql.trim_end().trim_end_matches(';').to_string());
    }
    assert_eq!(queries_run(&moto, &rt), sqls);
}

/// `athena setup --org` lists the organization's accounts and creates the database and the
/// table projected over them; `--print` shows the same statements and runs nothing.
#[test]
fn athena_setup_projects_the_organizations_accounts() {
    let moto = Moto::start();
    moto.create_bucket("athena-results");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (org, mut accounts) = rt.block_on(async {
        let orgs = aws_sdk_organizations::Client::new(&moto.sdk_config().await);
        let org = orgs
            .create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        let org_id = org.organization().unwrap().id().unwrap().to_string();
        for name in ["payments", "data"] {
            orgs.create_account()
                .account_name(name)
                .email(format!("{name}@example.com"))
                .send()
                .await
                .unwrap();
        }
        let listed = orgs.list_accounts().send().await.unwrap();
        let ids: Vec<String> = listed
            .accounts()
            .iter()
            .map(|a| a.id().unwrap().to_string())
            .collect();
        (org_id, ids)
    });
    accounts.sort();
    assert_eq!(accounts.len(), 3, "{accounts:?}");
    let setup = |extra: &[&str]| {
        let mut args = vec![
            "athena",
            "setup",
            "--bucket",
            TRAIL_BUCKET,
            "--org",
            &org,
            "--regions",
            "us-east-1,eu-west-1",
            "--output-location",
            RESULTS,
        ];
        args.extend_from_slice(extra);
        let out = warroom_on(&moto, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let printed = setup(&["--print"]);
    assert!(queries_run(&moto, &rt).is_empty(), "--print runs nothing");
    setup(&[]);
    let run = queries_run(&moto, &rt);
    assert_eq!(run.len(), 2, "{run:?}");
    assert_eq!(run[0], "CREATE DATABASE IF NOT EXISTS warroom");
    for part in [
        "CREATE EXTERNAL TABLE IF NOT EXISTS warroom.cloudtrail (".to_string(),
        format!("'projection.account.values'='{}'", accounts.join(",")),
        format!("LOCATION 's3://{TRAIL_BUCKET}/AWSLogs/{org}/'"),
        "'projection.region.values'='us-east-1,eu-west-1'".to_string(),
    ] {
        assert!(run[1].contains(&part), "{part} in {}", run[1]);
    }
    assert_eq!(printed, format!("{};\n\n{};\n\n", run[0], run[1]));
}

/// The titles of the Sigma rules `detect --athena` says it ran on Athena.
fn ran_on_athena(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.contains("Sigma rules in"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect()
}

/// `detect --athena` runs each Sigma rule made of plain field tests as SQL: here each rule's
/// query (one per query) runs on DuckDB over the organization trail's files and must find
/// exactly the events the rule's alerts hold when `warroom detect` reads those files — for
/// the starter rules and the benchmark's rules (wildcards, lists, `exists`, negations).
#[test]
fn each_sigma_rule_as_sql_finds_what_the_rule_finds() {
    let (_trail, root) = trail_dir();
    let bench_rules = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/sigma-rules");
    for rules in [&[][..], &["--only-given-rules", "--rules", bench_rules][..]] {
        let mut args = vec![
            "detect",
            "--athena",
            "cloudtrail",
            "--print-sql",
            "--rules-per-query",
            "1",
        ];
        args.extend_from_slice(rules);
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(&args)
            .env("XDG_CONFIG_HOME", "/nonexistent")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{stderr}");
        let titles = ran_on_athena(&stderr);
        let queries: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split(";\n\n")
            .filter(|q| !q.trim().is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(titles.len(), queries.len(), "{stderr}");
        assert!(titles.len() >= 10, "few rules compiled: {stderr}");

        // What each rule's alerts hold, read here.
        let mut local_args = vec!["detect", root.to_str().unwrap(), "--format", "jsonl"];
        local_args.extend_from_slice(rules);
        let alerts = warroom(&local_args, &[]);
        let mut by_title: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in alerts.lines() {
            let a: serde_json::Value = serde_json::from_str(line).unwrap();
            let title = a["title"].as_str().unwrap();
            if let Some(t) = titles.iter().find(|t| title.starts_with(&format!("{t} ("))) {
                let ids = by_title.entry(t.clone()).or_default();
                ids.extend(
                    a["eventIDs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i.as_str().unwrap().to_string()),
                );
            }
        }
        let mut found_some = 0;
        for (title, sql) in titles.iter().zip(&queries) {
            let on_duckdb: BTreeSet<String> = duckdb_rows(&root, sql)
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
            let here = by_title.get(title).cloned().unwrap_or_default();
            assert_eq!(on_duckdb, here, "{title}\n{sql}");
            found_some += usize::from(!here.is_empty());
        }
        // The starter rules are written for attacks like the recordings' (17 of them match
        // some); the benchmark's are mostly not, and prove their SQL finds nothing either.
        assert!(
            found_some >= 2,
            "too few rules match the recordings to prove much"
        );
    }
}

/// The rows of `sql` as DuckDB computes them over the files under `root`, queued as moto's
/// Athena's next result, their files named by their keys in the trail bucket.
fn queue_rows_of(moto: &Moto, root: &Path, sql: &str) -> usize {
    let rows = duckdb_rows(root, sql);
    let local_root = format!("{}/", root.display());
    let mut data = vec![serde_json::json!({"Data": [
        {"VarCharValue": "eventid"}, {"VarCharValue": "eventtime"}, {"VarCharValue": "$path"}
    ]})];
    for r in &rows {
        let path = r[2].replacen(&local_root, &format!("s3://{TRAIL_BUCKET}/"), 1);
        data.push(serde_json::json!({"Data": [
            {"VarCharValue": r[0]}, {"VarCharValue": r[1]}, {"VarCharValue": path}
        ]}));
    }
    moto.queue_athena_results(&serde_json::json!([{
        "rows": data,
        "column_info": [
            {"Name": "eventid", "Type": "varchar"},
            {"Name": "eventtime", "Type": "varchar"},
            {"Name": "$path", "Type": "varchar"}
        ]
    }]));
    data.len() - 1
}

/// `detect --athena` against moto: the queries it starts are the ones it prints, the files
/// their rows name are read from S3, and every alert of a rule that ran on Athena is the
/// alert `warroom detect` raises over all the files.
#[test]
fn detect_athena_raises_the_sigma_alerts_a_full_read_raises() {
    let (_trail, root) = trail_dir();
    let (moto, rt) = trail_in_moto(&root);
    let printed = warroom(&["detect", "--athena", "cloudtrail", "--print-sql"], &[]);
    let queries: Vec<&str> = printed
        .split(";\n\n")
        .filter(|q| !q.trim().is_empty())
        .collect();
    assert_eq!(queries.len(), 1, "the starter rules fit one query");
    let rows = queue_rows_of(&moto, &root, queries[0]);
    let out = warroom_on(
        &moto,
        &[
            "detect",
            "--athena",
            "cloudtrail",
            "--endpoint-url",
            &moto.endpoint,
            "--output-location",
            RESULTS,
            "--format",
            "jsonl",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("10 MB minimum): {rows} events")),
        "{stderr}"
    );
    assert_eq!(queries_run(&moto, &rt), [queries[0].trim_end()]);
    let on_athena: Vec<String> = ran_on_athena(&stderr)
        .into_iter()
        .map(|t| format!("{t} ("))
        .collect();
    let sigma_alerts = |jsonl: &str| -> BTreeSet<String> {
        jsonl
            .lines()
            .filter(|l| {
                let a: serde_json::Value = serde_json::from_str(l).unwrap();
                let title = a["title"].as_str().unwrap();
                on_athena.iter().any(|t| title.starts_with(t))
            })
            .map(str::to_string)
            .collect()
    };
    let narrowed = sigma_alerts(&String::from_utf8_lossy(&out.stdout));
    let full = sigma_alerts(&warroom(
        &["detect", root.to_str().unwrap(), "--format", "jsonl"],
        &[],
    ));
    assert!(full.len() >= 5, "{full:?}");
    assert_eq!(narrowed, full);
}

/// With `[athena] table`, a pivot in `live` also asks the table, past LookupEvents' 90 days
/// (moto has no LookupEvents at all): the events its rows name are read from S3 and join the
/// incident, and the `athena` source says what it found and scanned.
#[test]
fn a_console_pivot_reaches_the_athena_table() {
    let (_trail, root) = trail_dir();
    let (moto, _rt) = trail_in_moto(&root);
    let key = "AKIA30BEZSJBVKOFKZW0";
    let sql = warroom(
        &["query", "--athena", "cloudtrail", "--print-sql"],
        &[&format!("userIdentity.accessKeyId={key}")],
    );
    let rows = queue_rows_of(&moto, &root, &sql);
    assert!(rows > 0);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/warroom");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[athena]\ntable = \"warroom.cloudtrail\"\noutput = \"{RESULTS}\"\npivot_days = 3000\n"
        ),
    )
    .unwrap();
    let journal = home.path().join("live.sqlite");
    let mut c = crate::support::terminal::Console::start_with_env(
        home.path(),
        &[
            "live",
            "--region",
            "us-east-1",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &moto.env(),
    );
    c.wait_for("LIVE");
    c.keys(&format!(":pivot {key}\r"));
    // moto has no LookupEvents: every event shown came from the table.
    c.wait_for(&format!("PIVOT  access key {key} · {rows} events"));
    c.wait_for(&format!(
        "athena: {rows} events in 3000 days · scanned 0 bytes, ≈ $0.0001"
    ));
    c.wait_for(&format!("Activity ({rows})"));
    c.keys("q");
    assert!(c.wait_exit().success(), "{}", c.contents());
    let journaled = warroom::journal::Journal::open_existing(&journal)
        .unwrap()
        .read_all()
        .unwrap()
        .iter()
        .filter(|r| matches!(&r.body, warroom::model::RecordBody::Event(e) if e.identity.access_key_id.as_deref() == Some(key)))
        .count();
    assert_eq!(journaled, rows);
}
