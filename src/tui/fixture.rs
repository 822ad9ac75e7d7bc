//! A small, fixed incident for the console's tests: a leaked key used from a new IP, two
//! other keys, three findings.

use super::app::*;
use super::keymap::Keymap;
use super::theme::Theme;
use crate::model::{
    Alert, CloudTrailEvent, Finding, IncidentOpened, KeySnapshot, KeyStatus, Severity, UserSnapshot,
};
use crate::model::{Record, RecordBody};
use crate::state::IncidentState;
use chrono::{DateTime, Utc};
use chrono::{Duration, TimeZone};
use crossterm::event::KeyEvent;
use crossterm::event::{KeyCode, KeyModifiers};
use std::sync::Arc;

pub const LEAKED: &str = "AKIATESTLEAKED000001";
pub const DANA_KEY: &str = "AKIATESTDANA00000002";
pub const OLD_KEY: &str = "AKIATESTOLD000000003";
pub const ATTACKER: &str = "203.0.113.77";

pub fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 0).unwrap() + Duration::minutes(min)
}

pub fn event(n: usize, min: i64, user: &str, key: &str, ip: &str, name: &str) -> RecordBody {
    let raw = format!(
        r#"{{"eventID":"ev-{n:03}","eventTime":"{}","eventName":"{name}","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"ua","userIdentity":{{"type":"IAMUser","userName":"{user}","accessKeyId":"{key}"}}}}"#,
        t(min).format("%Y-%m-%dT%H:%M:%SZ")
    );
    RecordBody::Event(Arc::new(CloudTrailEvent::from_json(&raw).unwrap()))
}

fn key(user: &str, id: &str, status: KeyStatus) -> RecordBody {
    RecordBody::Key(KeySnapshot {
        user: user.into(),
        access_key_id: id.into(),
        status,
        created: t(-200 * 24 * 60),
        last_used: None,
        last_used_service: None,
        last_used_region: None,
        account: None,
    })
}

fn user(name: &str) -> RecordBody {
    RecordBody::User(UserSnapshot {
        name: name.into(),
        arn: format!("arn:aws:iam::111122223333:user/{name}"),
        created: t(-400 * 24 * 60),
        inline_policies: vec![],
        attached_policies: vec![],
    })
}

fn finding(rule: &str, id: &str, remediation: Option<&str>) -> RecordBody {
    RecordBody::Finding(Finding {
        rule: rule.into(),
        rule_description: "desc".into(),
        resource_type: if rule.starts_with("dynamodb") {
            "AWS::DynamoDB::Table".into()
        } else {
            "AWS::S3::Bucket".into()
        },
        resource_id: id.into(),
        region: "us-east-1".into(),
        compliance: "NON_COMPLIANT".into(),
        annotation: None,
        remediation: remediation.map(str::to_string),
        guidance: None,
        evaluated_at: None,
        stack: None,
        account: None,
    })
}

/// A small incident: a leaked key used from a new IP, two other keys, three findings.
pub fn fixture_records() -> Vec<Record> {
    let mut bodies = vec![
        RecordBody::IncidentOpened(IncidentOpened {
            id: "inc-test".into(),
            title: "Leaked key".into(),
            severity: Severity::High,
            source: "test".into(),
        }),
        user("admin-ops"),
        user("dana"),
        key("admin-ops", LEAKED, KeyStatus::Active),
        key("dana", DANA_KEY, KeyStatus::Active),
        key("dana", OLD_KEY, KeyStatus::Inactive),
        finding("dynamodb-table-encryption-enabled", "orders", None),
        finding("dynamodb-table-encryption-enabled", "customers", None),
        finding(
            "s3-bucket-public-read-prohibited",
            "marketing",
            Some("AWS-DisableS3BucketPublicReadWrite"),
        ),
    ];
    for n in 0..4 {
        bodies.push(event(
            n,
            n as i64 - 60,
            "admin-ops",
            LEAKED,
            "198.51.100.10",
            "DescribeInstances",
        ));
    }
    bodies.push(event(
        10,
        0,
        "admin-ops",
        LEAKED,
        ATTACKER,
        "GetCallerIdentity",
    ));
    bodies.push(event(11, 2, "admin-ops", LEAKED, ATTACKER, "RunInstances"));
    bodies.push(event(
        12,
        3,
        "dana",
        DANA_KEY,
        "198.51.100.20",
        "DescribeVolumes",
    ));
    bodies.push(RecordBody::Alert(Alert {
        id: "key-new-source:test".into(),
        rule: "key-new-source".into(),
        severity: Severity::High,
        title: "Access key of admin-ops used from a new IP".into(),
        explanation: "x".into(),
        principal: Some("admin-ops".into()),
        access_key_id: Some(LEAKED.into()),
        source_ip: Some(ATTACKER.into()),
        first_seen: t(0),
        last_seen: t(2),
        count: 2,
        event_ids: vec!["ev-010".into(), "ev-011".into()],
        spend_per_hour: None,
        grown: false,
    }));
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| Record {
            seq: i as i64 + 1,
            at: t(5),
            actor: "test".into(),
            body,
        })
        .collect()
}

pub fn app_with(mode: Mode) -> App {
    let state = IncidentState::from_records(&fixture_records());
    let mut app = App::new(
        state,
        mode,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        "alice@tui".into(),
        t(10),
    );
    app.update(Msg::Resize(140, 40));
    app
}

pub fn app() -> App {
    app_with(Mode {
        kind: ModeKind::Demo { speed: 15.0 },
        read_only: false,
        dry_run: false,
    })
}

pub fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn typ(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}
