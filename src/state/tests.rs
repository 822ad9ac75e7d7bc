use super::*;
use crate::model::{AlertStatusChange, IncidentOpened, Note, PrincipalRef};
use chrono::{Duration, TimeZone};

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 0).unwrap() + Duration::minutes(min)
}

struct Feed {
    seq: i64,
    records: Vec<Record>,
}

impl Feed {
    fn new() -> Self {
        Feed {
            seq: 0,
            records: Vec::new(),
        }
    }
    fn add(&mut self, at: DateTime<Utc>, actor: &str, body: RecordBody) -> &mut Self {
        self.seq += 1;
        self.records.push(Record {
            seq: self.seq,
            at,
            actor: actor.into(),
            body,
        });
        self
    }
    fn state(&self) -> IncidentState {
        IncidentState::from_records(&self.records)
    }
}

fn event(id: &str, min: i64, name: &str, extra: &str) -> RecordBody {
    let raw = format!(
        r#"{{"eventID":"{id}","eventTime":"{}","eventName":"{name}","eventSource":"iam.amazonaws.com","userIdentity":{{"type":"IAMUser","userName":"dana","accessKeyId":"AKIA1"}}{extra}}}"#,
        t(min).format("%Y-%m-%dT%H:%M:%SZ")
    );
    RecordBody::Event(Arc::new(CloudTrailEvent::from_json(&raw).unwrap()))
}

fn key(status: KeyStatus) -> RecordBody {
    RecordBody::Key(KeySnapshot {
        user: "admin-ops".into(),
        access_key_id: "AKIALEAK".into(),
        status,
        created: t(-10_000),
        last_used: None,
        last_used_service: None,
        last_used_region: None,
        account: None,
    })
}

fn step(id: &str, step: Step) -> RecordBody {
    RecordBody::Action(ActionStep {
        action_id: id.into(),
        step,
    })
}

#[test]
fn incident_facts_and_changes_fold_in_order() {
    let mut f = Feed::new();
    f.add(
        t(0),
        "demo",
        RecordBody::IncidentOpened(IncidentOpened {
            id: "inc-1".into(),
            title: "Leaked key".into(),
            severity: Severity::High,
            source: "demo".into(),
        }),
    )
    .add(
        t(5),
        "alice",
        RecordBody::IncidentChanged(IncidentChange::Status(IncidentStatus::Contained)),
    )
    .add(
        t(6),
        "alice",
        RecordBody::IncidentChanged(IncidentChange::Severity(Severity::Critical)),
    )
    .add(
        t(7),
        "alice",
        RecordBody::Note(Note {
            text: "key deactivated".into(),
        }),
    );
    let s = f.state();
    assert_eq!(s.meta.title, "Leaked key");
    assert_eq!(s.meta.status, IncidentStatus::Contained);
    assert_eq!(s.meta.severity, Severity::Critical);
    assert_eq!(s.notes.len(), 1);
    let summaries: Vec<_> = s.timeline.iter().map(|e| e.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Incident opened: Leaked key (high)",
            "Status set to contained",
            "Severity set to critical",
            "Note: key deactivated"
        ]
    );
}

#[test]
fn events_are_deduplicated_and_kept_in_time_order() {
    let mut f = Feed::new();
    f.add(t(0), "ct", event("b", 5, "ListUsers", ""))
        .add(t(0), "ct", event("a", 1, "GetUser", ""))
        .add(t(0), "ct", event("b", 5, "ListUsers", ""));
    let s = f.state();
    let ids: Vec<_> = s.events.iter().map(|e| e.event_id().to_string()).collect();
    assert_eq!(ids, ["a", "b"]);
    // Events are not timeline entries: the Timeline pane merges them in by their time.
    assert!(s.timeline.is_empty());
}

#[test]
fn applying_the_same_records_twice_changes_nothing() {
    let mut f = Feed::new();
    f.add(t(0), "ct", event("a", 1, "GetUser", "")).add(
        t(1),
        "alice",
        RecordBody::Note(Note { text: "x".into() }),
    );
    let mut s = f.state();
    let before = (s.events.len(), s.timeline.len(), s.version);
    for r in &f.records {
        s.apply(r);
    }
    assert_eq!((s.events.len(), s.timeline.len(), s.version), before);
}

#[test]
fn key_status_changes_reach_the_timeline_but_first_sightings_do_not() {
    let mut f = Feed::new();
    f.add(t(0), "iam", key(KeyStatus::Active))
        .add(t(9), "iam", key(KeyStatus::Active))
        .add(t(10), "iam", key(KeyStatus::Inactive));
    let s = f.state();
    assert_eq!(s.keys.len(), 1);
    assert!(s.key_is_inactive("AKIALEAK"));
    assert_eq!(s.timeline.len(), 1);
    assert_eq!(
        s.timeline[0].summary,
        "Access key AKIALEAK of admin-ops is now Inactive"
    );
}

#[test]
fn an_action_collects_its_steps_and_who_took_them() {
    let action = Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: "AKIALEAK".into(),
    };
    let mut f = Feed::new();
    f.add(
        t(1),
        "alice@tui",
        step(
            "act-1",
            Step::Requested {
                action: action.clone(),
                origin: Origin::Tui,
                calls: vec![],
                expires_at: None,
                runs_at: None,
            },
        ),
    )
    .add(t(2), "bob@slack", step("act-1", Step::Confirmed))
    .add(
        t(3),
        "executor",
        step(
            "act-1",
            Step::Succeeded {
                detail: "ok".into(),
            },
        ),
    );
    let s = f.state();
    let a = s.action("act-1").unwrap();
    assert_eq!(a.action.as_ref(), Some(&action));
    assert_eq!(a.requested_by(), Some("alice@tui"));
    assert_eq!(a.confirmed_by(), Some("bob@slack"));
    assert!(!a.is_open());
    assert_eq!(
        s.timeline.last().unwrap().summary,
        "deactivate AKIALEAK succeeded: ok"
    );
}

#[test]
fn alerts_upsert_and_escalations_are_noted() {
    let alert = |sev, count| {
        RecordBody::Alert(Alert {
            id: "al-1".into(),
            rule: "r".into(),
            severity: sev,
            title: "GPU launch".into(),
            explanation: "x".into(),
            principal: None,
            access_key_id: None,
            source_ip: None,
            first_seen: t(0),
            last_seen: t(count),
            count: count as u32,
            event_ids: vec![format!("e{count}")],
            spend_per_hour: Some(100.0),
            grown: false,
        })
    };
    let mut f = Feed::new();
    f.add(t(0), "detect", alert(Severity::High, 1))
        .add(t(1), "detect", alert(Severity::High, 2))
        .add(t(2), "detect", alert(Severity::Critical, 3))
        .add(
            t(3),
            "alice",
            RecordBody::AlertStatus(AlertStatusChange {
                alert_id: "al-1".into(),
                status: AlertStatus::Acknowledged,
            }),
        );
    let s = f.state();
    assert_eq!(s.alerts.len(), 1);
    assert_eq!(s.alerts[0].alert.count, 3);
    assert_eq!(s.alerts[0].status, AlertStatus::Acknowledged);
    assert!(s.is_notable("e1") && s.is_notable("e3"));
    assert_eq!(s.timeline.len(), 3, "{:#?}", s.timeline);
    assert_eq!(s.spend_per_hour(), 100.0);
}

#[test]
fn findings_group_by_rule_and_resolution_is_noted() {
    let finding = |rule: &str, res: &str, compliance: &str| {
        RecordBody::Finding(Finding {
            rule: rule.into(),
            rule_description: String::new(),
            resource_type: "AWS::DynamoDB::Table".into(),
            resource_id: res.into(),
            region: "us-east-1".into(),
            compliance: compliance.into(),
            annotation: None,
            remediation: None,
            guidance: None,
            evaluated_at: None,
            stack: None,
            account: None,
        })
    };
    let mut f = Feed::new();
    f.add(t(0), "config", finding("ddb", "orders", "NON_COMPLIANT"))
        .add(t(0), "config", finding("s3", "bucket", "NON_COMPLIANT"))
        .add(t(0), "config", finding("ddb", "customers", "NON_COMPLIANT"))
        .add(t(5), "config", finding("s3", "bucket", "COMPLIANT"));
    let s = f.state();
    let groups: Vec<_> = s
        .findings_by_rule()
        .into_iter()
        .map(|(r, fs)| (r, fs.len()))
        .collect();
    assert_eq!(groups, [("ddb", 2)]);
    assert_eq!(
        s.timeline.last().unwrap().summary,
        "s3 on bucket is now COMPLIANT"
    );
}

#[test]
fn creators_are_found_from_create_calls() {
    let mut f = Feed::new();
    f.add(
        t(0),
        "ct",
        event(
            "c1",
            -60,
            "CreateTable",
            r#","requestParameters":{"tableName":"orders"}"#,
        ),
    );
    let s = f.state();
    assert_eq!(s.creator_of("orders").unwrap().identity.display(), "dana");
    assert!(s.creator_of("customers").is_none());
}

#[test]
fn principal_refs_display_their_kind() {
    assert_eq!(
        PrincipalRef::Role("Deploy".into()).to_string(),
        "role Deploy"
    );
}

#[test]
fn a_resolved_alert_that_fires_again_is_reopened() {
    let alert = |min: i64| {
        RecordBody::Alert(Alert {
            id: "trail-not-logging:x".into(),
            rule: "trail-not-logging".into(),
            severity: Severity::Critical,
            title: "Trail x is not logging".into(),
            explanation: String::new(),
            principal: None,
            access_key_id: None,
            source_ip: None,
            first_seen: t(0),
            last_seen: t(min),
            count: 1,
            event_ids: vec![],
            spend_per_hour: None,
            grown: false,
        })
    };
    let mut f = Feed::new();
    f.add(t(0), "trails", alert(0))
        .add(
            t(1),
            "trails",
            RecordBody::AlertStatus(AlertStatusChange {
                alert_id: "trail-not-logging:x".into(),
                status: AlertStatus::Resolved,
            }),
        )
        .add(t(5), "trails", alert(5));
    let s = f.state();
    assert_eq!(s.alerts[0].status, AlertStatus::Open);
    assert_eq!(
        s.timeline.last().unwrap().summary,
        "Alert reopened: Trail x is not logging"
    );
}

#[test]
fn the_outbox_tracks_each_message_to_its_delivery_and_finds_the_thread() {
    use crate::model::{ChatDelivery, ChatQueued, Delivery, Inbound};
    let queued = |id: &str, source: i64, root: bool| {
        RecordBody::ChatQueued(ChatQueued {
            message_id: id.into(),
            source_seq: source,
            summary: "s".into(),
            text: "t".into(),
            blocks: serde_json::json!([]),
            root,
            to: None,
        })
    };
    let delivery = |id: &str, d: Delivery| {
        RecordBody::ChatDelivery(ChatDelivery {
            message_id: id.into(),
            delivery: d,
        })
    };
    let mut f = Feed::new();
    f.add(t(0), "mirror", queued("msg-1", 1, true))
        .add(t(0), "mirror", queued("msg-2", 2, false))
        .add(t(0), "mirror", queued("msg-2", 2, false))
        .add(
            t(1),
            "mirror",
            delivery(
                "msg-1",
                Delivery::Retrying {
                    attempt: 1,
                    error: "HTTP 500".into(),
                    retry_in_secs: 1,
                },
            ),
        )
        .add(
            t(2),
            "mirror",
            delivery(
                "msg-1",
                Delivery::Sent {
                    channel: "C1".into(),
                    ts: "1.1".into(),
                },
            ),
        )
        .add(
            t(3),
            "bridge",
            RecordBody::Inbound(Inbound {
                kind: "command".into(),
                user: None,
                text: "/warroom deactivate AKIA1".into(),
                accepted: false,
                detail: "bad signature".into(),
                count: 1,
            }),
        );
    let s = f.state();
    assert_eq!(s.chat.len(), 2, "queued once, however often it is said");
    assert_eq!(s.thread, Some(("C1".into(), "1.1".into())));
    assert_eq!(
        s.chat_for(1).unwrap().state,
        ChatState::Sent { ts: "1.1".into() }
    );
    assert_eq!(s.undelivered().count(), 1);
    assert_eq!(
        s.timeline.last().unwrap().summary,
        "Slack command from unknown user: /warroom deactivate AKIA1 — refused: bad signature"
    );
}

/// A UUID is held as its bytes and any other ID as text; either is found by its text, and
/// a repeat of either is one event.
#[test]
fn events_are_found_by_their_id_whatever_its_form() {
    let uuid = "3f1c2a9e-0b7d-4e55-9a61-2c8d4f0e7b13";
    let upper = "3F1C2A9E-0B7D-4E55-9A61-2C8D4F0E7B13";
    let make = |id: &str| {
        Arc::new(
            CloudTrailEvent::from_json(&format!(
                r#"{{"eventTime":"2026-11-22T07:37:00Z","eventID":"{id}","eventName":"X"}}"#
            ))
            .unwrap(),
        )
    };
    let mut s = IncidentState::default();
    s.add_events(vec![
        make(uuid),
        make(upper),
        make("hand-made-1"),
        make(uuid),
    ]);
    assert_eq!(s.events.len(), 3);
    for id in [uuid, upper, "hand-made-1"] {
        assert_eq!(
            s.event(id).map(|e| e.event_id().to_string()),
            Some(id.to_string())
        );
    }
    assert!(s.event("3f1c2a9e-0b7d-4e55-9a61-2c8d4f0e7b14").is_none());
    assert!(s.event("hand-made-2").is_none());
}
