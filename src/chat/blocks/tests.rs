use super::*;
use crate::model::{ChatQueued, Inbound, IncidentStatus, PrincipalRef, SourceStatus, UserSnapshot};
use crate::source::demo::scenario::{LEAKED_KEY, LEAKED_USER, founding_scenario};
use crate::source::demo::world::DemoWorld;
use crate::source::ingest::Ingest;
use chrono::{Duration, SecondsFormat, TimeZone};
use slack_morphism::prelude::SlackBlock;
use std::sync::Arc;

const KEY: &str = "AKIATESTLEAKEDKEY001";

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 0).unwrap() + Duration::minutes(min)
}

/// Asserts that a message is Block Kit the sending crate understands, within Slack's
/// limits, with a one-line fallback.
fn assert_valid(m: &ChatMessage) {
    let blocks: Vec<SlackBlock> = serde_json::from_value(m.blocks.clone())
        .unwrap_or_else(|e| panic!("not Block Kit ({e}): {}", m.blocks));
    for b in &blocks {
        // The crate keeps a block it cannot read as `Unknown` instead of failing.
        assert!(
            !matches!(b, SlackBlock::Unknown(_)),
            "not understood: {b:?}"
        );
    }
    // The crate ignores fields it does not know: a lossless round trip shows that
    // every field was read as what it was meant to be.
    assert_eq!(
        serde_json::to_value(&blocks).unwrap(),
        m.blocks,
        "blocks changed in a round trip through the crate"
    );
    assert!(
        !blocks.is_empty() && blocks.len() <= MAX_BLOCKS,
        "{}",
        blocks.len()
    );
    for block in m.blocks.as_array().unwrap() {
        check_block_limits(block);
    }
    assert!(!m.text.is_empty() && !m.text.contains('\n'), "{:?}", m.text);
    assert!(m.text.chars().count() <= MAX_FALLBACK);
    assert!(!m.summary.is_empty() && !m.summary.contains('\n'));
}

fn text_of(v: &Value) -> &str {
    v["text"].as_str().expect("a text object")
}

fn check_text(v: &Value, max: usize) {
    let n = text_of(v).chars().count();
    assert!(
        n > 0 && n <= max,
        "text of {n} characters (limit {max}): {v}"
    );
}

fn check_block_limits(block: &Value) {
    match block["type"].as_str().unwrap() {
        "header" => check_text(&block["text"], MAX_HEADER_TEXT),
        "section" => check_text(&block["text"], MAX_SECTION_TEXT),
        "context" => {
            let elements = block["elements"].as_array().unwrap();
            assert!(!elements.is_empty() && elements.len() <= 10);
            elements
                .iter()
                .for_each(|e| check_text(e, MAX_SECTION_TEXT));
        }
        "actions" => {
            for e in block["elements"].as_array().unwrap() {
                check_text(&e["text"], MAX_BUTTON_TEXT);
                let value = e["value"].as_str().unwrap();
                assert!(value.chars().count() <= MAX_BUTTON_VALUE);
                if let Some(c) = e.get("confirm") {
                    check_text(&c["title"], MAX_CONFIRM_TITLE);
                    check_text(&c["text"], MAX_CONFIRM_TEXT);
                    check_text(&c["confirm"], MAX_CONFIRM_BUTTON);
                    check_text(&c["deny"], MAX_CONFIRM_BUTTON);
                }
            }
        }
        "divider" => {}
        other => panic!("unexpected block type {other}"),
    }
}

/// All the text a reader sees, fallback and blocks, to search in.
fn all_text(m: &ChatMessage) -> String {
    let mut out = vec![m.text.clone()];
    collect_text(&m.blocks, &mut out);
    out.join("\n")
}

fn collect_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| collect_text(x, out)),
        Value::Object(fields) => {
            for (k, x) in fields {
                match (k.as_str(), x.as_str()) {
                    ("text", Some(s)) => out.push(s.to_string()),
                    _ => collect_text(x, out),
                }
            }
        }
        _ => {}
    }
}

fn event(id: &str, min: i64, service: &str, name: &str, user: &str, params: Value) -> RecordBody {
    let raw = json!({
        "eventID": id,
        "eventTime": t(min).to_rfc3339_opts(SecondsFormat::Secs, true),
        "eventName": name,
        "eventSource": format!("{service}.amazonaws.com"),
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.77",
        "userIdentity": {"type": "IAMUser", "userName": user, "accessKeyId": KEY},
        "requestParameters": params,
    });
    RecordBody::Event(Arc::new(CloudTrailEvent::from_value(&raw).unwrap()))
}

fn alert(id: &str, severity: Severity, count: usize) -> Alert {
    Alert {
        id: id.into(),
        rule: "expensive-launch".into(),
        severity,
        title: "GPU instances launched by admin-ops".into(),
        explanation: "admin-ops launched 8 GPU instances: about $512/hour".into(),
        principal: Some("admin-ops".into()),
        access_key_id: Some(KEY.into()),
        source_ip: Some("203.0.113.77".into()),
        first_seen: t(1),
        last_seen: t(1 + count as i64),
        count: count as u32,
        event_ids: (0..count).map(|i| format!("ev-{i}")).collect(),
        spend_per_hour: Some(512.0),
        grown: false,
    }
}

fn key(status: KeyStatus) -> RecordBody {
    RecordBody::Key(KeySnapshot {
        user: "admin-ops".into(),
        access_key_id: KEY.into(),
        status,
        created: t(-200 * 24 * 60),
        last_used: Some(t(3)),
        last_used_service: Some("ec2".into()),
        last_used_region: Some("us-east-1".into()),
        account: None,
    })
}

fn table_finding(compliance: &str, remediation: Option<&str>, rule: &str) -> RecordBody {
    RecordBody::Finding(Finding {
        rule: rule.into(),
        rule_description: "Checks the tables".into(),
        resource_type: "AWS::DynamoDB::Table".into(),
        resource_id: "orders".into(),
        region: "us-east-1".into(),
        compliance: compliance.into(),
        annotation: None,
        remediation: remediation.map(str::to_string),
        guidance: None,
        evaluated_at: Some(t(0)),
        stack: None,
        account: None,
    })
}

fn step(id: &str, step: Step) -> RecordBody {
    RecordBody::Action(ActionStep {
        action_id: id.into(),
        step,
    })
}

fn deactivate_call() -> ApiCall {
    ApiCall::new(
        "iam",
        "UpdateAccessKey",
        None,
        json!({"UserName": "admin-ops", "AccessKeyId": KEY, "Status": "Inactive"}),
    )
}

fn deactivate() -> Action {
    Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: KEY.into(),
    }
}

/// A journal being written: each record is offered to `message_for` with the state
/// before it, then folded in.
struct Journal {
    state: IncidentState,
    seq: i64,
    opts: MirrorOptions,
}

impl Journal {
    fn new(opts: MirrorOptions) -> Self {
        Journal {
            state: IncidentState::default(),
            seq: 0,
            opts,
        }
    }

    fn push(&mut self, min: i64, actor: &str, body: RecordBody) -> Option<ChatMessage> {
        self.seq += 1;
        let rec = Record {
            seq: self.seq,
            at: t(min),
            actor: actor.into(),
            body,
        };
        let m = message_for(&rec, &self.state, &self.opts);
        if let Some(m) = &m {
            assert_valid(m);
        }
        self.state.apply(&rec);
        m
    }

    fn says(&mut self, what: &str, min: i64, actor: &str, body: RecordBody) -> String {
        let m = self
            .push(min, actor, body)
            .unwrap_or_else(|| panic!("{what}: no message"));
        all_text(&m)
    }

    fn silent(&mut self, what: &str, min: i64, actor: &str, body: RecordBody) {
        if let Some(m) = self.push(min, actor, body) {
            panic!("{what}: unexpected message {}", m.blocks);
        }
    }
}

fn opened(title: &str) -> RecordBody {
    RecordBody::IncidentOpened(IncidentOpened {
        id: "inc-1".into(),
        title: title.into(),
        severity: Severity::High,
        source: "demo".into(),
    })
}

fn assert_in_order(text: &str, parts: &[&str]) {
    let mut from = 0;
    for p in parts {
        let at = text[from..]
            .find(p)
            .unwrap_or_else(|| panic!("{p:?} missing or out of order in {text}"));
        from += at + p.len();
    }
}

#[test]
fn the_thread_gets_a_message_for_each_record_that_matters() {
    let mut j = Journal::new(MirrorOptions {
        min_alert_severity: Severity::Medium,
        mentions: BTreeMap::from([("dana".to_string(), "UDANA42".to_string())]),
        ..MirrorOptions::default()
    });
    let m = j.says("opened", 0, "demo", opened("Leaked key in a public repo"));
    assert!(
        m.contains("Leaked key in a public repo") && m.contains("HIGH"),
        "{m}"
    );
    assert!(
        m.contains("investigating") && m.contains("simulated AWS account"),
        "{m}"
    );

    j.silent(
        "user",
        0,
        "iam",
        RecordBody::User(UserSnapshot {
            name: "admin-ops".into(),
            arn: "arn:aws:iam::1:user/admin-ops".into(),
            created: t(-1000),
            inline_policies: vec![],
            attached_policies: vec![],
        }),
    );
    j.silent("first key snapshot", 0, "iam", key(KeyStatus::Active));
    j.silent(
        "source",
        0,
        "demo",
        RecordBody::SourceStatus(SourceStatus {
            source: "demo".into(),
            ok: true,
            message: "connected".into(),
        }),
    );
    j.silent(
        "table created",
        -5000,
        "cloudtrail",
        event(
            "ct-1",
            -5000,
            "dynamodb",
            "CreateTable",
            "dana",
            json!({"tableName": "orders"}),
        ),
    );
    for i in 0..3 {
        j.silent(
            "event",
            1 + i,
            "cloudtrail",
            event(
                &format!("ev-{i}"),
                1 + i,
                "ec2",
                "RunInstances",
                "admin-ops",
                json!({}),
            ),
        );
    }

    let m = j.says(
        "alert raised",
        3,
        "detector",
        RecordBody::Alert(alert("gpu", Severity::High, 2)),
    );
    assert!(
        m.contains("GPU instances launched by admin-ops") && m.contains("HIGH"),
        "{m}"
    );
    assert!(
        m.contains(KEY) && m.contains("203.0.113.77") && m.contains("$512/hour"),
        "{m}"
    );
    assert!(m.contains("RunInstances"), "the calls behind it: {m}");
    assert_in_order(
        &m,
        &[
            &format!("/warroom deactivate {KEY}"),
            "/warroom deny-all admin-ops",
            "/warroom revoke-sessions admin-ops",
            &format!("/warroom pivot {KEY}"),
        ],
    );
    j.silent(
        "count update",
        4,
        "detector",
        RecordBody::Alert(alert("gpu", Severity::High, 3)),
    );
    let m = j.says(
        "escalated",
        5,
        "detector",
        RecordBody::Alert(alert("gpu", Severity::Critical, 3)),
    );
    assert!(m.contains("Escalated HIGH → CRITICAL"), "{m}");
    j.silent(
        "below the threshold",
        5,
        "detector",
        RecordBody::Alert(alert("minor", Severity::Low, 1)),
    );

    let m = j.says(
        "finding with guidance",
        6,
        "aws-config",
        table_finding("NON_COMPLIANT", None, "dynamodb-table-encryption-enabled"),
    );
    assert!(
        m.contains("orders") && m.contains("dynamodb-table-encryption-enabled"),
        "{m}"
    );
    assert!(m.contains("```") && m.contains("SSESpecification:"), "{m}");
    assert!(
        m.contains("*Created by* dana <@UDANA42>") && m.contains("CreateTable"),
        "{m}"
    );
    j.silent(
        "finding with a remediation",
        6,
        "aws-config",
        table_finding("NON_COMPLIANT", Some("AWS-Doc"), "some-remediable-rule"),
    );
    j.silent(
        "finding without guidance",
        6,
        "aws-config",
        table_finding("NON_COMPLIANT", None, "rule-nobody-wrote-guidance-for"),
    );

    let m = j.says(
        "note",
        7,
        "alice@tui",
        RecordBody::Note(Note {
            text: "key found in a public gist".into(),
        }),
    );
    assert!(
        m.contains("alice@tui") && m.contains("key found in a public gist"),
        "{m}"
    );

    let m = j.says(
        "requested",
        8,
        "alice@tui",
        step(
            "a1",
            Step::Requested {
                action: deactivate(),
                origin: Origin::Tui,
                calls: vec![deactivate_call()],
                expires_at: None,
                runs_at: None,
            },
        ),
    );
    assert!(
        m.contains("Requested") && m.contains(&format!("Deactivate access key {KEY}")),
        "{m}"
    );
    assert!(m.contains("alice@tui") && m.contains("the console"), "{m}");
    assert!(m.contains(&escape(&deactivate_call().to_string())), "{m}");
    let m = j.says("confirmed", 9, "bob@slack", step("a1", Step::Confirmed));
    assert!(m.contains("Confirmed") && m.contains(KEY), "{m}");
    assert!(
        m.contains("bob@slack") && m.contains("requested by alice@tui"),
        "{m}"
    );
    let m = j.says(
        "succeeded",
        9,
        "alice@tui",
        step(
            "a1",
            Step::Succeeded {
                detail: "key is Inactive".into(),
            },
        ),
    );
    assert!(
        m.contains("Done") && m.contains(KEY) && m.contains("key is Inactive"),
        "{m}"
    );
    let m = j.says("key now inactive", 10, "iam", key(KeyStatus::Inactive));
    assert!(
        m.contains(KEY) && m.contains("*Inactive*") && m.contains("was Active"),
        "{m}"
    );
    j.silent("same key status", 11, "iam", key(KeyStatus::Inactive));

    let deny = Action::DenyAll {
        user: "admin-ops".into(),
    };
    let request = |origin| Step::Requested {
        action: deny.clone(),
        origin,
        calls: vec![],
        expires_at: None,
        runs_at: None,
    };
    let m = j.says(
        "requested in Slack",
        12,
        "carol@slack",
        step("a2", request(Origin::Slack)),
    );
    assert!(m.contains("from Slack") && m.contains("carol@slack"), "{m}");
    let m = j.says(
        "refused",
        12,
        "bridge",
        step(
            "a2",
            Step::Refused {
                reason: "read-only mode".into(),
            },
        ),
    );
    assert!(
        m.contains("Refused") && m.contains("deny-all") && m.contains("read-only mode"),
        "{m}"
    );
    j.says(
        "requested",
        13,
        "alice@tui",
        step("a3", request(Origin::Tui)),
    );
    let m = j.says(
        "dry run",
        13,
        "alice@tui",
        step(
            "a3",
            Step::DryRun {
                calls: vec![deactivate_call()],
            },
        ),
    );
    assert!(
        m.contains("Dry run") && m.contains("iam:UpdateAccessKey"),
        "{m}"
    );
    j.says(
        "requested",
        14,
        "alice@tui",
        step("a4", request(Origin::Cli)),
    );
    let m = j.says(
        "no-op",
        14,
        "alice@tui",
        step(
            "a4",
            Step::Noop {
                reason: "already denied".into(),
            },
        ),
    );
    assert!(
        m.contains("Nothing to do") && m.contains("already denied"),
        "{m}"
    );
    j.says(
        "requested",
        15,
        "alice@tui",
        step("a5", request(Origin::Tui)),
    );
    let m = j.says("cancelled", 15, "alice@tui", step("a5", Step::Cancelled));
    assert!(m.contains("Cancelled") && m.contains("deny-all"), "{m}");
    j.says(
        "requested",
        16,
        "alice@tui",
        step("a6", request(Origin::Tui)),
    );
    let m = j.says(
        "progress",
        16,
        "aws",
        step(
            "a6",
            Step::Progress {
                detail: "IN_PROGRESS".into(),
                done_step: None,
                made: None,
            },
        ),
    );
    assert!(
        m.contains("In progress") && m.contains("IN_PROGRESS"),
        "{m}"
    );
    let m = j.says(
        "failed",
        17,
        "aws",
        step(
            "a6",
            Step::Failed {
                error: "AccessDenied: no".into(),
            },
        ),
    );
    assert!(
        m.contains("Failed") && m.contains("AccessDenied: no") && m.contains("deny-all"),
        "{m}"
    );

    let ack = |status| {
        RecordBody::AlertStatus(AlertStatusChange {
            alert_id: "gpu".into(),
            status,
        })
    };
    let m = j.says("ack", 18, "carol@slack", ack(AlertStatus::Acknowledged));
    assert!(
        m.contains("Acknowledged") && m.contains("carol@slack") && m.contains("GPU"),
        "{m}"
    );
    j.silent(
        "ack again",
        18,
        "carol@slack",
        ack(AlertStatus::Acknowledged),
    );
    let m = j.says("resolve", 19, "carol@slack", ack(AlertStatus::Resolved));
    assert!(m.contains("Resolved"), "{m}");

    let m = j.says(
        "compliant again",
        20,
        "aws-config",
        table_finding("COMPLIANT", None, "dynamodb-table-encryption-enabled"),
    );
    assert!(m.contains("orders") && m.contains("now complies"), "{m}");
    let m = j.says(
        "status",
        21,
        "alice@tui",
        RecordBody::IncidentChanged(IncidentChange::Status(IncidentStatus::Contained)),
    );
    assert!(
        m.contains("contained") && m.contains("was investigating") && m.contains("alice@tui"),
        "{m}"
    );

    j.silent(
        "outbox",
        22,
        "bridge",
        RecordBody::ChatQueued(ChatQueued {
            message_id: "m1".into(),
            source_seq: 1,
            summary: "x".into(),
            text: "x".into(),
            blocks: json!([]),
            root: true,
            to: None,
        }),
    );
    j.silent(
        "inbound",
        22,
        "bridge",
        RecordBody::Inbound(Inbound {
            kind: "command".into(),
            user: Some("U1".into()),
            text: "status".into(),
            accepted: true,
            detail: "answered".into(),
            count: 1,
        }),
    );
}

#[test]
fn responses_skip_an_inactive_key_and_fit_roles() {
    let mut j = Journal::new(MirrorOptions::default());
    j.push(0, "iam", key(KeyStatus::Inactive));
    let m = j.says(
        "alert",
        1,
        "detector",
        RecordBody::Alert(alert("gpu", Severity::High, 1)),
    );
    assert!(
        !m.contains("/warroom deactivate"),
        "the key is already off: {m}"
    );
    assert!(m.contains("/warroom deny-all admin-ops"), "{m}");

    let mut role = alert("role", Severity::High, 1);
    role.principal = Some("Deployer/gh-123".into());
    role.access_key_id = None;
    let m = j.says("role alert", 2, "detector", RecordBody::Alert(role));
    assert!(m.contains("/warroom revoke-sessions role/Deployer"), "{m}");
    assert!(!m.contains("deny-all"), "deny-all is for users: {m}");
    assert!(m.contains("/warroom pivot Deployer/gh-123"), "{m}");
}

#[test]
fn user_text_cannot_ping_or_link() {
    let mut j = Journal::new(MirrorOptions::default());
    let m = j
        .push(
            0,
            "mallory@tui",
            RecordBody::Note(Note {
                text: "<!channel> & <@U1> <https://evil.example|click>".into(),
            }),
        )
        .unwrap();
    let shown = all_text(&m);
    for raw in ["<!channel>", "<@U1>", "<https://"] {
        assert!(!shown.contains(raw), "{raw} left as markup: {shown}");
    }
    assert!(
        shown.contains("&lt;!channel&gt; &amp; &lt;@U1&gt;"),
        "{shown}"
    );
    assert!(
        m.text.contains("&lt;!channel&gt;"),
        "the notification too: {}",
        m.text
    );
    assert_eq!(
        m.summary,
        "mallory@tui: <!channel> & <@U1> <https://evil.example|click>"
    );
    let section = &m.blocks[0]["text"];
    assert_eq!(section["verbatim"], true, "Slack must not auto-link names");
}

#[test]
fn mentions_from_config_are_checked_for_shape() {
    let opts = MirrorOptions {
        min_alert_severity: Severity::Info,
        mentions: BTreeMap::from([
            ("dana".to_string(), "U1><!channel".to_string()),
            ("erin".to_string(), "UERIN".to_string()),
        ]),
        ..MirrorOptions::default()
    };
    assert_eq!(mention(&opts, &["dana".into()]), None);
    assert_eq!(
        mention(&opts, &["dana".into(), "erin".into()]).as_deref(),
        Some("<@UERIN>")
    );
}

#[test]
fn long_notes_and_big_alerts_stay_within_slack_limits() {
    let mut j = Journal::new(MirrorOptions::default());
    j.push(0, "demo", opened(&"very long title ".repeat(30)))
        .map(|m| assert!(text_of(&m.blocks[0]["text"]).ends_with('…')))
        .unwrap();
    let long = "a&b<c> words ".repeat(800);
    assert!(long.chars().count() >= 10_000);
    let m = j
        .push(1, "alice@tui", RecordBody::Note(Note { text: long }))
        .unwrap();
    assert!(m.blocks.to_string().contains('…'), "cut, and says so");

    for i in 0..500 {
        j.push(
            2,
            "cloudtrail",
            event(
                &format!("ev-{i}"),
                2,
                "ec2",
                "RunInstances",
                "admin-ops",
                json!({}),
            ),
        );
        j.push(
            2,
            "alice@tui",
            RecordBody::Note(Note {
                text: format!("checking instance {i}"),
            }),
        );
    }
    let m = j
        .push(
            3,
            "detector",
            RecordBody::Alert(alert("gpu", Severity::Critical, 500)),
        )
        .unwrap();
    let shown = all_text(&m);
    assert!(
        shown.contains("500 times") && shown.contains("and 497 more"),
        "{shown}"
    );

    // A 500-entry timeline asked for in full is capped, packed and budgeted.
    let m = timeline(&j.state, 1000);
    assert_valid(&m);
    assert!(all_text(&m).contains("Last 100 of"), "{}", m.blocks);
}

#[test]
fn clipping_never_leaves_half_an_entity_or_mention() {
    assert_eq!(clip_mrkdwn("ab&amp;cd", 5), "ab…");
    assert_eq!(clip_mrkdwn("hi <@U12345> there", 8), "hi …");
    assert_eq!(clip_mrkdwn("short", 5), "short");
    assert_eq!(clip_plain("abcdef", 4), "abc…");
    let block = code_block(&"x".repeat(5000), MAX_SECTION_TEXT);
    assert!(block.starts_with("```\n") && block.ends_with("…\n```"));
    assert!(block.chars().count() <= MAX_SECTION_TEXT);
    assert!(
        !code_block("a ``` b", 100).contains("a ``` b"),
        "a fence inside is broken up"
    );
}

#[test]
fn the_block_budget_is_kept_with_a_note() {
    let mut b = Blocks::default();
    for i in 0..80 {
        b.section(format!("item {i}"));
    }
    let m = ChatMessage::new("many", b);
    assert_valid(&m);
    let blocks = m.blocks.as_array().unwrap();
    assert_eq!(blocks.len(), MAX_BLOCKS);
    assert!(blocks[49].to_string().contains("31 more blocks not shown"));
}

#[test]
fn the_confirm_prompt_has_two_buttons_and_a_dialog() {
    let call = deactivate_call();
    let m = confirm_prompt(
        "act-42",
        &deactivate(),
        std::slice::from_ref(&call),
        "carol@slack",
        t(20),
    );
    assert_valid(&m);
    let shown = all_text(&m);
    assert!(
        shown.contains(&format!("Deactivate access key {KEY} of admin-ops")),
        "{shown}"
    );
    assert!(
        shown.contains("carol@slack") && shown.contains("07:57 UTC"),
        "{shown}"
    );
    let code = m
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["text"]["text"].as_str())
        .find(|t| t.starts_with("```"))
        .expect("a code block");
    assert_eq!(code, format!("```\n{call}\n```"), "the exact call");
    let actions = m
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .expect("an actions block");
    let buttons = actions["elements"].as_array().unwrap();
    assert_eq!(buttons.len(), 2);
    let (confirm, cancel) = (&buttons[0], &buttons[1]);
    assert_eq!(confirm["action_id"], CONFIRM_ACTION_ID);
    let value = format!("act-42 {}", deactivate().fingerprint());
    assert_eq!(
        confirm["value"],
        value.as_str(),
        "the request and what it does"
    );
    assert_eq!(confirm["style"], "danger");
    for field in ["title", "text", "confirm", "deny"] {
        assert_eq!(confirm["confirm"][field]["type"], "plain_text", "{field}");
    }
    assert!(text_of(&confirm["confirm"]["text"]).contains(KEY));
    assert_eq!(cancel["action_id"], CANCEL_ACTION_ID);
    assert_eq!(cancel["value"], value.as_str());
    assert!(
        cancel.get("confirm").is_none(),
        "cancelling needs no second thought"
    );

    let delete = Action::DeleteKey {
        user: "admin-ops".into(),
        access_key_id: KEY.into(),
    };
    let huge_id = "x".repeat(3000);
    let m = confirm_prompt(&huge_id, &delete, &[call], "carol@slack", t(20));
    assert_valid(&m);
    assert!(all_text(&m).contains("cannot be undone"));
}

#[test]
fn help_and_error_speak_plainly() {
    let m = help();
    assert_valid(&m);
    let shown = all_text(&m);
    assert!(
        shown.contains("/warroom deactivate &lt;key-id&gt;"),
        "{shown}"
    );
    assert!(shown.contains("/warroom timeline [n]"), "{shown}");
    assert!(
        !shown.contains("theme") && !shown.contains("quit"),
        "console only: {shown}"
    );

    let m = error("unknown command `explode` <now>");
    assert_valid(&m);
    assert!(all_text(&m).contains("unknown command `explode` &lt;now&gt;"));
}

/// The founding scenario's journal, as the console writes it.
fn demo_records() -> Vec<Record> {
    let world = DemoWorld::new(founding_scenario());
    let (start, end) = (world.scenario().start, world.scenario().end());
    let mut records = world.opening_records("inc-demo", start);
    records.extend(world.advance(end));
    Ingest::new()
        .process(end, records)
        .into_iter()
        .zip(1..)
        .map(|(r, seq)| Record {
            seq,
            at: r.at,
            actor: r.actor,
            body: r.body,
        })
        .collect()
}

#[test]
fn the_demo_scenario_reads_well_in_a_thread() {
    let records = demo_records();
    let opts = MirrorOptions::default();
    let mut state = IncidentState::default();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        if let Some(m) = message_for(r, &state, &opts) {
            assert_valid(&m);
            *by_kind.entry(r.body.kind().to_string()).or_default() += 1;
        }
        state.apply(r);
    }
    let with_guidance = founding_scenario()
        .findings
        .iter()
        .filter(|f| f.remediation.is_none() && guidance::for_rule(&f.rule).is_some())
        .count();
    let alert_ids: std::collections::BTreeSet<&str> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Alert(a) => Some(a.id.as_str()),
            _ => None,
        })
        .collect();
    let alert_records = records
        .iter()
        .filter(|r| matches!(r.body, RecordBody::Alert(_)))
        .count();
    assert_eq!(by_kind.remove("incident-opened"), Some(1));
    assert_eq!(by_kind.remove("finding"), Some(with_guidance));
    let alert_messages = by_kind.remove("alert").unwrap_or(0);
    assert!(
        alert_messages >= alert_ids.len()
            && alert_messages <= 2 * alert_ids.len()
            && alert_messages < alert_records,
        "{alert_messages} alert messages for {} alerts in {alert_records} records",
        alert_ids.len()
    );
    assert!(by_kind.is_empty(), "nothing else speaks: {by_kind:?}");

    for m in [
        status(&state),
        alerts(&state),
        findings(&state),
        keys(&state, None),
        keys(&state, Some(LEAKED_USER)),
        keys(&state, Some("nobody")),
        timeline(&state, 20),
        pivot(&state, &Pivot::Key(LEAKED_KEY.into())),
        pivot(&state, &Pivot::Principal(LEAKED_USER.into())),
        pivot(&state, &Pivot::Ip("198.51.100.1".into())),
    ] {
        assert_valid(&m);
    }
    assert!(all_text(&keys(&state, Some(LEAKED_USER))).contains(LEAKED_KEY));
    let shown = all_text(&status(&state));
    assert!(
        shown.contains(&state.meta.title) && shown.contains("$"),
        "{shown}"
    );
    let shown = all_text(&pivot(&state, &Pivot::Key(LEAKED_KEY.into())));
    assert!(shown.contains("RunInstances"), "{shown}");
}

#[test]
fn the_alert_list_is_worst_first_and_capped() {
    let mut j = Journal::new(MirrorOptions::default());
    for i in 0..14 {
        let mut a = alert(&format!("a{i}"), Severity::Medium, 1);
        a.title = format!("medium {i}");
        j.push(1, "detector", RecordBody::Alert(a));
    }
    let mut worst = alert("worst", Severity::Critical, 1);
    worst.title = "the worst one".into();
    j.push(2, "detector", RecordBody::Alert(worst));
    let m = alerts(&j.state);
    assert_valid(&m);
    let shown = all_text(&m);
    assert!(
        shown.contains("15 open alerts") && shown.contains("and 5 more"),
        "{shown}"
    );
    assert_in_order(&shown, &["the worst one", "medium"]);
}

#[test]
fn status_counts_alerts_findings_and_keys() {
    let mut j = Journal::new(MirrorOptions::default());
    j.push(0, "demo", opened("Leaked key"));
    j.push(0, "iam", key(KeyStatus::Active));
    j.push(
        1,
        "detector",
        RecordBody::Alert(alert("gpu", Severity::Critical, 1)),
    );
    j.push(
        1,
        "aws-config",
        table_finding("NON_COMPLIANT", None, "dynamodb-table-encryption-enabled"),
    );
    j.push(
        2,
        "alice@tui",
        step(
            "a1",
            Step::Requested {
                action: Action::RevokeSessions {
                    principal: PrincipalRef::User("admin-ops".into()),
                    issued_before: t(2),
                },
                origin: Origin::Tui,
                calls: vec![],
                expires_at: None,
                runs_at: None,
            },
        ),
    );
    let m = status(&j.state);
    assert_valid(&m);
    let shown = all_text(&m);
    for fact in [
        "Leaked key",
        "1 critical",
        "1 non-compliant",
        "1 active, 0 inactive",
        "$512/hour",
        "Revoke sessions of user admin-ops",
    ] {
        assert!(shown.contains(fact), "{fact} missing: {shown}");
    }
    let m = findings(&j.state);
    assert_valid(&m);
    assert!(all_text(&m).contains("fix as code is in the thread"));
}

#[test]
fn the_validity_check_rejects_what_slack_would() {
    let bad = [
        json!([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]),
        json!([{"type": "section", "txt": {"type": "mrkdwn", "text": "x"}}]),
        json!([{"type": "actions", "elements": [{"type": "button", "action_id": "a"}]}]),
        json!([{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}]),
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]),
        json!([]),
    ];
    for blocks in bad {
        let m = ChatMessage {
            text: "t".into(),
            summary: "s".into(),
            blocks: blocks.clone(),
        };
        let caught = std::panic::catch_unwind(|| assert_valid(&m));
        assert!(caught.is_err(), "accepted: {blocks}");
    }
}

#[test]
fn times_carry_dates_only_across_days() {
    assert_eq!(span(t(0), t(35)), "07:37–08:12 UTC");
    assert_eq!(span(t(0), t(0)), "07:37 UTC");
    assert_eq!(span(t(-24 * 60), t(0)), "11-21 07:37 – 11-22 07:37 UTC");
    assert!(!spans_days([t(0), t(35)].iter()));
    assert!(spans_days([t(-24 * 60), t(0)].iter()));
}

#[test]
fn a_finding_whose_template_is_known_carries_its_file_line_and_patch() {
    let code = crate::iac::locate::Code::from_texts(&[(
        "stacks/app.yaml",
        "Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: orders\n",
    )]);
    let mut j = Journal::new(MirrorOptions {
        code: std::sync::Arc::new(code),
        ..MirrorOptions::default()
    });
    let m = j.says(
        "finding in the code",
        6,
        "aws-config",
        table_finding("NON_COMPLIANT", None, "dynamodb-table-encryption-enabled"),
    );
    assert!(m.contains("`stacks/app.yaml:2` (Orders)"), "{m}");
    assert!(
        m.contains("checked before deploy as `DYNAMODB_TABLE_ENCRYPTION_ENABLED`"),
        "{m}"
    );
    assert!(
        m.contains("+++ b/stacks/app.yaml") && m.contains("+      SSESpecification:"),
        "{m}"
    );
}
