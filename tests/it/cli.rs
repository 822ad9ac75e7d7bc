//! The command line as a script or a person meets it: exit codes and messages.

use std::path::Path;
use std::process::{Command, Output};
use warroom::journal::Journal;
use warroom::model::{NewRecord, Note, RecordBody};

fn warroom(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run warroom")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn journal_with_notes(path: &Path, n: usize) {
    let mut j = Journal::open(path).unwrap();
    let records: Vec<_> = (0..n)
        .map(|i| {
            NewRecord::new(
                chrono::Utc::now(),
                "tester",
                RecordBody::Note(Note {
                    text: format!("note {i}"),
                }),
            )
        })
        .collect();
    j.append(&records).unwrap();
}

#[test]
fn verify_passes_an_intact_journal_and_names_a_tampered_record() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("j.sqlite");
    journal_with_notes(&path, 5);
    let ok = warroom(home.path(), &["verify", path.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("intact — 5 records"));

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER records_no_update;
         UPDATE records SET actor = 'someone else' WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);
    let bad = warroom(home.path(), &["verify", path.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(err.contains("TAMPERED — record 3 (note at"), "{err}");
    assert!(err.contains("was edited"), "{err}");
}

#[test]
fn verify_explains_a_missing_file() {
    let home = tempfile::tempdir().unwrap();
    let out = warroom(home.path(), &["verify", "/nonexistent/j.sqlite"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent/j.sqlite does not exist"));
}

#[test]
fn a_bad_keymap_fails_before_the_screen_is_taken_with_file_line_and_reason() {
    let home = tempfile::tempdir().unwrap();
    let keymap = home.path().join("mine.toml");
    std::fs::write(&keymap, "[keys]\n\"q\" = \"quit\"\n\"x\" = \"explode\"\n").unwrap();
    let out = warroom(home.path(), &["demo", "--keymap", keymap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("mine.toml:3"), "{err}");
    assert!(err.contains("unknown action \"explode\""), "{err}");
    assert!(
        err.contains("deactivate-key"),
        "lists the valid actions: {err}"
    );
    assert!(!err.contains("\x1b["), "the terminal was never taken over");
}

#[test]
fn a_bad_theme_fails_with_file_line_and_reason() {
    let home = tempfile::tempdir().unwrap();
    let theme = home.path().join("ops.toml");
    std::fs::write(&theme, "accent = \"#12345\"\n").unwrap();
    let out = warroom(home.path(), &["demo", "--theme", theme.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("ops.toml:1"), "{err}");
}

#[test]
fn a_bad_config_file_is_named() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[ui]\nthem = \"dark\"\n").unwrap();
    let out = warroom(home.path(), &["--config", config.to_str().unwrap(), "demo"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("config.toml:2: unknown field `them`"), "{err}");
}

#[test]
fn every_subcommand_has_help() {
    let home = tempfile::tempdir().unwrap();
    for sub in [
        "demo", "live", "replay", "serve", "query", "detect", "export", "verify",
    ] {
        let out = warroom(home.path(), &[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help");
        assert!(text(&out.stdout).contains("Usage: warroom"), "{sub}");
    }
}

#[test]
fn live_explains_an_unreachable_endpoint_before_taking_the_screen() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "live",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
        ])
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot connect to AWS"), "{err}");
    assert!(
        err.contains("sts:GetCallerIdentity: cannot reach the endpoint (Connection refused"),
        "the cause in its own words: {err}"
    );
    assert!(
        !err.contains("retrying") && !err.contains("Unknown"),
        "{err}"
    );
    assert!(err.contains("--endpoint-url"), "says what to check: {err}");
}

#[test]
fn detect_fails_a_pipeline_on_alerts_at_or_above_a_severity() {
    let home = tempfile::tempdir().unwrap();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs"
    );
    let gate = |source: &str, at: &str| {
        warroom(home.path(), &["detect", source, "--fail-on", at])
            .status
            .code()
    };
    // Stopping the trail is critical; downloading user data is not.
    assert_eq!(gate(data, "critical"), Some(3));
    let quiet = format!("{data}/aws.discovery.ec2-download-user-data.json");
    assert_eq!(gate(&quiet, "critical"), Some(0));
    let bad = warroom(home.path(), &["detect", data, "--fail-on", "severe"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("use critical, high, medium, low or info"));
}

#[test]
fn detect_prints_the_alerts_of_real_attack_logs_for_a_pipeline_and_for_people() {
    let home = tempfile::tempdir().unwrap();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs"
    );
    let out = warroom(home.path(), &["detect", data, "--format", "jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let alerts: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON alert per line"))
        .collect();
    let stop = alerts
        .iter()
        .find(|a| {
            a["rule"] == "trail-tampering"
                && a["explanation"].as_str().unwrap().contains("StopLogging")
        })
        .expect("StopLogging raises trail tampering");
    assert_eq!(stop["severity"], "critical");
    for field in ["principal", "firstSeen", "lastSeen", "count"] {
        assert!(!stop[field].is_null(), "{field} in {stop}");
    }
    // The IDs name real events: a query for each finds it.
    let id = stop["eventIDs"][0].as_str().unwrap();
    let found = warroom(
        home.path(),
        &["query", data, &format!("eventID={id}"), "--count"],
    );
    assert_eq!(text(&found.stdout).trim(), "1");
    let table = warroom(home.path(), &["detect", data]);
    let lines: Vec<String> = text(&table.stdout).lines().map(str::to_string).collect();
    assert!(lines[0].starts_with("SEVERITY  RULE"), "{}", lines[0]);
    assert_eq!(
        lines.len(),
        alerts.len() + 1,
        "a header and a row per alert"
    );
    assert!(text(&table.stderr).contains(&format!("{} alerts from", alerts.len())));
}

#[test]
fn detect_judges_the_events_of_a_journal_afresh() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("j.sqlite");
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs/aws.persistence.iam-backdoor-role.json"
    ))
    .unwrap();
    let values: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    let records: Vec<NewRecord> = values
        .iter()
        .map(|v| {
            NewRecord::new(
                chrono::Utc::now(),
                "cloudtrail",
                RecordBody::Event(std::sync::Arc::new(
                    warroom::model::CloudTrailEvent::from_value(v).unwrap(),
                )),
            )
        })
        .collect();
    Journal::open(&path).unwrap().append(&records).unwrap();
    let out = warroom(
        home.path(),
        &["detect", path.to_str().unwrap(), "--format", "jsonl"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let alert: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one alert");
    assert_eq!(alert["rule"], "persistence");
    assert!(
        alert["explanation"]
            .as_str()
            .unwrap()
            .contains("a trust on role"),
        "{alert}"
    );
}

#[test]
fn detect_reads_exported_timestamps_and_fails_only_when_it_read_nothing() {
    let home = tempfile::tempdir().unwrap();
    // As a SIEM exports them: a space for the `T`, fractions, an offset; and one record
    // that is not an event at all.
    let event = |id: &str, time: &str| {
        format!(
            r#"{{"eventID":"{id}","eventTime":"{time}","eventName":"DeleteDetector","eventSource":"guardduty.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2","userIdentity":{{"type":"IAMUser","userName":"mallory","accessKeyId":"AKIAX"}},"requestParameters":{{"detectorId":"d1"}}}}"#
        )
    };
    let file = home.path().join("export.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"Records":[{},{},"not an event"]}}"#,
            event("e1", "2026-11-30 12:00:00"),
            event("e2", "2026-11-30 13:00:00.250+01:00"),
        ),
    )
    .unwrap();
    let out = warroom(
        home.path(),
        &["detect", file.to_str().unwrap(), "--format", "jsonl"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let alert: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(alert["rule"], "defense-evasion");
    assert_eq!(alert["count"], 2, "both times read: {alert}");
    assert!(
        text(&out.stderr).contains("export.json"),
        "the skipped record is named"
    );
    // Nothing readable at all: exit 1, saying so.
    std::fs::write(&file, r#"{"Records":["not an event", 7]}"#).unwrap();
    let out = warroom(home.path(), &["detect", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nothing could be read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn detect_names_a_rule_it_cannot_use_and_runs_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let rules = home.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("count.yml"),
        "title: Too many\nlogsource: {product: aws, service: cloudtrail}\n\
         detection:\n  sel: {eventName: ListUsers}\n  condition: sel | count() > 5\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("list-users.yml"),
        "title: Users listed\nid: list-users\nlevel: low\n\
         logsource: {product: aws, service: cloudtrail}\n\
         detection:\n  sel: {eventName: ListUsers}\n  condition: sel\n",
    )
    .unwrap();
    let trail = home.path().join("trail.json");
    std::fs::write(
        &trail,
        r#"{"Records":[{"eventID":"e1","eventTime":"2026-11-22T07:37:00Z","eventName":"ListUsers","eventSource":"iam.amazonaws.com","userIdentity":{"type":"IAMUser","userName":"alice"}}]}"#,
    )
    .unwrap();
    let out = warroom(
        home.path(),
        &[
            "detect",
            trail.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--only-given-rules",
            "--format",
            "jsonl",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("count.yml") && err.contains("count"), "{err}");
    let stdout = text(&out.stdout);
    let alert: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(alert["rule"], "sigma:list-users");
    assert_eq!(alert["severity"], "low");
    assert_eq!(alert["eventIDs"][0], "e1");
    let missing = warroom(home.path(), &["detect", "/no/such/dir"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("/no/such/dir"));
}

#[test]
fn serve_says_what_it_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let out = warroom(home.path(), &["serve", "--demo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("warroom serve --journal PATH"),
        "{}",
        text(&out.stderr)
    );
    let journal = home.path().join("j.sqlite");
    journal_with_notes(&journal, 1);
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["serve", "--demo", "--journal", journal.to_str().unwrap()])
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env_remove("SLACK_SIGNING_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no signing secret"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn query_selects_from_real_attack_logs_in_every_format() {
    let home = tempfile::tempdir().unwrap();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs"
    );
    let count = warroom(
        home.path(),
        &["query", data, "eventName=CreateAccessKey", "--count"],
    );
    assert!(count.status.success(), "{}", text(&count.stderr));
    // Counted independently: two CreateAccessKey calls among the 35 detonations.
    assert_eq!(text(&count.stdout).trim(), "2");
    let jsonl = warroom(
        home.path(),
        &[
            "query",
            data,
            "userIdentity.accessKeyId=AKIA30BEZSJBVKOFKZW0",
        ],
    );
    let lines: Vec<String> = text(&jsonl.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1);
    let event: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(
        event["eventName"], "CreateAccessKey",
        "one line of JSON per event"
    );
    let csv = warroom(
        home.path(),
        &["query", data, "eventName~createacc", "--format", "csv"],
    );
    let rows: Vec<String> = text(&csv.stdout).lines().map(str::to_string).collect();
    assert!(rows[0].starts_with("eventTime,eventName,"));
    assert_eq!(rows.len(), 3);
    assert!(rows[1] < rows[2], "ordered by eventTime");
    let bad = warroom(home.path(), &["query", data, "accessKeyId"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("field=value"));
}

#[test]
fn query_newest_first_prints_the_same_events_the_other_way_round() {
    let home = tempfile::tempdir().unwrap();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs"
    );
    let lines = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["query", data, "eventSource=iam.amazonaws.com"];
        args.extend_from_slice(extra);
        let out = warroom(home.path(), &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).lines().map(str::to_string).collect()
    };
    let oldest_first = lines(&[]);
    // Standard error is a pipe here: no progress line, even when asked for at once.
    let piped = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["query", data, "eventSource=iam.amazonaws.com", "--count"])
        .env("HOME", home.path())
        .env("WARROOM_PROGRESS_AFTER", "0s")
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(
        !text(&piped.stderr).contains("reading"),
        "{}",
        text(&piped.stderr)
    );
    let mut newest_first = lines(&["--newest-first"]);
    assert!(oldest_first.len() > 5, "{}", oldest_first.len());
    assert_ne!(oldest_first, newest_first);
    newest_first.reverse();
    assert_eq!(oldest_first, newest_first);
    // CSV streams too, with its header first; a table is sorted after the read.
    let csv = lines(&["--newest-first", "--format", "csv"]);
    assert!(csv[0].starts_with("eventTime,eventName,"));
    assert!(csv[1] >= csv[csv.len() - 1], "newest first");
    let table = lines(&["--newest-first", "--format", "table"]);
    assert!(table[1] >= table[table.len() - 1], "newest first");
    assert_eq!(table.len(), csv.len());
}

#[test]
fn query_reports_unreadable_files_and_keeps_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("trail");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("good.json"),
        r#"{"Records":[{"eventTime":"2026-11-22T07:37:00Z","eventName":"ListUsers"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.join("bad.json"), "{ not json").unwrap();
    let out = warroom(home.path(), &["query", dir.to_str().unwrap(), "--count"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), "1");
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("not valid JSON"),
        "{err}"
    );
}

#[test]
fn export_writes_the_postmortem_in_every_format_and_says_when_the_journal_was_tampered() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("j.sqlite");
    journal_with_notes(&path, 3);
    let journal = path.to_str().unwrap();

    let md = warroom(home.path(), &["export", journal]);
    assert!(md.status.success(), "{}", text(&md.stderr));
    let md = text(&md.stdout);
    assert!(md.starts_with("# Postmortem: "), "{md}");
    assert!(md.contains("| tester | note | Note: note 2 |"), "{md}");
    assert!(md.contains("verified"), "{md}");

    let json = warroom(home.path(), &["export", journal, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(json["timeline"].as_array().unwrap().len(), 3, "{json}");
    assert_eq!(json["journal"]["status"], "verified");

    let out = home.path().join("pm.csv");
    let csv = warroom(
        home.path(),
        &[
            "export",
            journal,
            "--format",
            "csv",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 4, "a header and three rows: {csv}");

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TRIGGER records_no_delete; DELETE FROM records WHERE seq = 2;")
        .unwrap();
    drop(conn);
    let tampered = warroom(home.path(), &["export", journal, "--format", "json"]);
    assert!(
        tampered.status.success(),
        "the record that is left is still worth having"
    );
    assert!(
        text(&tampered.stderr).contains("TAMPERED"),
        "{}",
        text(&tampered.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&tampered.stdout).unwrap();
    assert_eq!(json["journal"]["status"], "tampered", "{json}");

    let missing = warroom(home.path(), &["export", "/nonexistent/j.sqlite"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("/nonexistent/j.sqlite does not exist"));
}

const ORDERS: &str = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub '${AWS::StackName}-orders'
      BillingMode: PAY_PER_REQUEST
  Sessions:
    Type: AWS::DynamoDB::Table
    Metadata:
      cfn_nag:
        rules_to_suppress:
          - id: W74
            reason: holds nothing but opaque session IDs
    Properties:
      TableName: sessions
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
";

#[test]
fn iac_check_finds_violations_with_their_line_honours_suppressions_and_sets_the_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("infra");
    std::fs::create_dir_all(repo.join("stacks")).unwrap();
    std::fs::write(repo.join("stacks/orders.yaml"), ORDERS).unwrap();
    // A broken file is named with its line; the good one is still checked.
    std::fs::write(
        repo.join("stacks/broken.yaml"),
        "Resources:\n  A:\n    Type: [oops\n",
    )
    .unwrap();
    std::fs::write(repo.join("README.md"), "# not a template\n").unwrap();
    let repo_arg = repo.to_str().unwrap();

    let out = warroom(home.path(), &["iac", "check", repo_arg]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("orders.yaml:3: FAILURE DYNAMODB_TABLE_ENCRYPTION_ENABLED (cfn_nag W74): AWS::DynamoDB::Table Orders"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SSEEnabled: true"),
        "the fix as code: {stdout}"
    );
    assert!(!stdout.contains("Sessions"), "suppressed: {stdout}");
    assert!(
        stdout.contains("orders.yaml:17: WARNING EC2_SECURITY_GROUP_INGRESS_OPEN_TO_WORLD_RULE"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("broken.yaml:4:") && stderr.contains("flow sequence at line 3"),
        "{stderr}"
    );

    // Warnings alone pass unless asked to fail.
    let only_warnings = warroom(home.path(), &["iac", "check", repo_arg, "--skip", "W74"]);
    assert_eq!(
        only_warnings.status.code(),
        Some(2),
        "the unreadable file still counts"
    );
    std::fs::remove_file(repo.join("stacks/broken.yaml")).unwrap();
    let only_warnings = warroom(
        home.path(),
        &[
            "iac",
            "check",
            repo_arg,
            "--skip",
            "dynamodb-table-encryption-enabled",
        ],
    );
    assert_eq!(
        only_warnings.status.code(),
        Some(0),
        "{}",
        text(&only_warnings.stdout)
    );
    let strict = warroom(
        home.path(),
        &[
            "iac",
            "check",
            repo_arg,
            "--skip",
            "W74",
            "--fail-on",
            "warning",
        ],
    );
    assert_eq!(strict.status.code(), Some(1));

    // SARIF for code hosts: the result on its file and line, the rule with its fix.
    let sarif = warroom(
        home.path(),
        &["iac", "check", repo_arg, "--format", "sarif"],
    );
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    let orders = results
        .iter()
        .find(|r| r["ruleId"] == "DYNAMODB_TABLE_ENCRYPTION_ENABLED")
        .unwrap();
    assert_eq!(
        orders["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert!(
        orders["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("stacks/orders.yaml")
    );
    let rule =
        &v["runs"][0]["tool"]["driver"]["rules"][orders["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "DYNAMODB_TABLE_ENCRYPTION_ENABLED");
    // Valid against the standard's own schema, checked by the Python `jsonschema` package.
    let file = home.path().join("out.sarif");
    std::fs::write(&file, &sarif.stdout).unwrap();
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif/sarif-schema-2.1.0.json"
    );
    let check = Command::new(crate::support::python::venv().join("bin/python"))
        .args([
            "-c",
            "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))",
            file.to_str().unwrap(),
            schema,
        ])
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));

    let unknown = warroom(
        home.path(),
        &["iac", "check", repo_arg, "--only", "NO_SUCH_RULE"],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no rule is called NO_SUCH_RULE"),
        "{}",
        text(&unknown.stderr)
    );

    // A team's own rule, written as data, judges beside warroom's, and its suppressions
    // work; a broken rules file is named and the check still runs, with exit 2.
    let team = home.path().join("team-rules");
    std::fs::create_dir_all(&team).unwrap();
    std::fs::write(team.join("tables.yaml"), TEAM_RULES).unwrap();
    let with_team = warroom(
        home.path(),
        &[
            "iac",
            "check",
            repo_arg,
            "--rules",
            team.to_str().unwrap(),
            "--only",
            "TEAM_DYNAMODB_PITR",
            "--format",
            "json",
        ],
    );
    let found: Vec<serde_json::Value> = serde_json::from_slice(&with_team.stdout).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["rule"], "TEAM_DYNAMODB_PITR");
    assert_eq!(found[0]["logical_id"], "Orders");
    assert_eq!(found[0]["line"], 3);
    assert_eq!(
        with_team.status.code(),
        Some(0),
        "a warning does not fail by default"
    );
    std::fs::write(
        team.join("broken.yaml"),
        "rules:\n  - id: B\n    title: t\n",
    )
    .unwrap();
    let broken = warroom(
        home.path(),
        &["iac", "check", repo_arg, "--rules", team.to_str().unwrap()],
    );
    assert_eq!(broken.status.code(), Some(1), "the violations still count");
    let stderr = text(&broken.stderr);
    assert!(
        stderr.contains("broken.yaml") && stderr.contains("missing field `types`"),
        "{stderr}"
    );
    assert!(
        text(&broken.stdout).contains("WARNING TEAM_DYNAMODB_PITR"),
        "the good rules file still runs"
    );
}

/// A team rule: on-demand tables keep point-in-time recovery (Orders is one; Sessions,
/// provisioned, is not what the rule is about).
const TEAM_RULES: &str = "rules:
  - id: TEAM_DYNAMODB_PITR
    title: Tables can be restored to a point in time
    level: warning
    types: [AWS::DynamoDB::Table]
    when:
      - { path: BillingMode, equals: PAY_PER_REQUEST }
    require:
      - path: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
        equals: true
    fix: |
      PointInTimeRecoverySpecification:
        PointInTimeRecoveryEnabled: true
";

#[test]
fn completions_and_the_manual_come_from_the_command_line_itself() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = warroom(home.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["live", "query", "athena", "since"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let man = warroom(home.path(), &["man"]);
    assert!(man.status.success());
    let page = text(&man.stdout);
    assert!(page.contains(".TH warroom 1"), "{page}");
    assert!(page.contains("A terminal console for AWS incident response"));
    let bad = warroom(home.path(), &["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2), "clap names the shells it knows");
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    use std::io::Read;
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs"
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["query", data])
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed here, as `| head -c 16` closes it.
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

/// `warroom prices import` reads AWS's Price List (here a region's offer file in AWS's
/// shape) and from then on a launch in that region is priced at that region's rate, while
/// the regions it did not cover keep theirs.
#[test]
fn imported_rates_price_the_launches_of_their_region() {
    let home = tempfile::tempdir().unwrap();
    let product = |sku: &str, os: &str| {
        serde_json::json!({"sku": sku, "productFamily": "Compute Instance", "attributes": {
            "instanceType": "p5.48xlarge", "regionCode": "eu-west-1", "operatingSystem": os,
            "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
            "licenseModel": "No License required"}})
    };
    let term = |sku: &str, usd: &str| {
        serde_json::json!({format!("{sku}.JRTCKXETXF"): {"priceDimensions": {"d": {
            "unit": "Hrs", "pricePerUnit": {"USD": usd}}}}})
    };
    let offer = serde_json::json!({"offerCode": "AmazonEC2", "publicationDate": "2026-11-01T00:00:00Z",
        "products": {"L": product("L", "Linux"), "W": product("W", "Windows")},
        "terms": {"OnDemand": {"L": term("L", "60.5500000000"), "W": term("W", "90.0")}}});
    let file = home.path().join("eu-west-1.json");
    std::fs::write(&file, offer.to_string()).unwrap();

    let before = warroom(home.path(), &["prices", "--type", "p5.48xlarge"]);
    let listed = text(&before.stdout);
    assert!(listed.contains("As of 2025-08"), "{listed}");
    assert!(!listed.contains("eu-west-1"), "{listed}");

    let import = warroom(home.path(), &["prices", "import", file.to_str().unwrap()]);
    assert!(import.status.success(), "{}", text(&import.stderr));
    assert!(
        text(&import.stdout).contains("eu-west-1: 1 rates, published 2026-11-01"),
        "{}",
        text(&import.stdout)
    );
    let after = text(&warroom(home.path(), &["prices", "--type", "p5.48xlarge"]).stdout);
    assert!(after.contains("eu-west-1        p5.48xlarge"), "{after}");
    assert!(after.contains("60.5500"), "{after}");
    assert!(after.contains("us-east-1        p5.48xlarge"), "{after}");

    let launch = |region: &str, id: &str| {
        serde_json::json!({"eventVersion": "1.08", "eventTime": "2026-11-22T07:50:00Z",
            "eventID": id, "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
            "awsRegion": region, "sourceIPAddress": "203.0.113.77",
            "userIdentity": {"type": "IAMUser", "userName": "admin-ops",
                "arn": "arn:aws:iam::111122223333:user/admin-ops", "accountId": "111122223333"},
            "requestParameters": {"instanceType": "p5.48xlarge",
                "instancesSet": {"items": [{"minCount": 2, "maxCount": 2}]}}})
    };
    for (region, hourly) in [("eu-west-1", 2.0 * 60.55), ("ap-south-1", 2.0 * 55.04)] {
        let trail = home.path().join(format!("{region}.json"));
        let records = serde_json::json!({"Records": [launch(region, region)]});
        std::fs::write(&trail, records.to_string()).unwrap();
        let detect = warroom(
            home.path(),
            &["detect", trail.to_str().unwrap(), "--format", "jsonl"],
        );
        let out = text(&detect.stdout);
        let alert: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        let spend = alert["spendPerHour"].as_f64().unwrap();
        assert!((spend - hourly).abs() < 1e-6, "{region}: {out}");
    }

    // A file that is not a price list leaves the imported rates as they were.
    let bad = warroom(
        home.path(),
        &[
            "prices",
            "import",
            file.with_extension("x").to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    std::fs::write(home.path().join("trail.json"), "{\"Records\":[]}").unwrap();
    let bad = warroom(
        home.path(),
        &[
            "prices",
            "import",
            home.path().join("trail.json").to_str().unwrap(),
        ],
    );
    assert!(
        text(&bad.stderr).contains("no on-demand Linux instance rates"),
        "{}",
        text(&bad.stderr)
    );
    let still = text(&warroom(home.path(), &["prices", "--type", "p5.48xlarge"]).stdout);
    assert!(still.contains("60.5500"), "{still}");
}
