use super::*;
use crate::clock::FixedClock;
use crate::model::{
    ActionStep, Alert, ApiCall, KeySnapshot, KeyStatus, NewRecord, Record, RecordBody, Severity,
};
use crate::respond::ApiError;
use crate::respond::lifecycle::confirmation_value;
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Mutex;

const KEY: &str = "AKIAEXAMPLE000000001";

fn policy(delay_ms: u64) -> ResponsePolicy {
    ResponsePolicy {
        name: "cut-keys".into(),
        detections: vec!["key-new-source".into()],
        severities: vec![Severity::High, Severity::Critical],
        respond: PolicyResponse::Deactivate,
        delay: Duration::from_millis(delay_ms),
    }
}

fn alert(id: &str, rule: &str, severity: Severity) -> RecordBody {
    let now = Utc::now();
    RecordBody::Alert(Alert {
        id: id.into(),
        rule: rule.into(),
        severity,
        title: "t".into(),
        explanation: "e".into(),
        principal: Some("admin-ops".into()),
        access_key_id: Some(KEY.into()),
        source_ip: None,
        first_seen: now,
        last_seen: now,
        count: 1,
        event_ids: vec![],
        spend_per_hour: None,
        grown: false,
    })
}

fn key() -> RecordBody {
    RecordBody::Key(KeySnapshot {
        user: "admin-ops".into(),
        access_key_id: KEY.into(),
        status: KeyStatus::Active,
        created: Utc::now(),
        last_used: None,
        last_used_service: None,
        last_used_region: None,
        account: None,
    })
}

fn state_of(bodies: Vec<(&str, RecordBody)>) -> IncidentState {
    let mut s = IncidentState::default();
    for (i, (actor, body)) in bodies.into_iter().enumerate() {
        s.apply(&Record {
            seq: i as i64 + 1,
            at: Utc::now(),
            actor: actor.into(),
            body,
        });
    }
    s
}

#[test]
fn a_matching_alert_is_answered_once_per_key() {
    let p = [policy(0)];
    let s = state_of(vec![
        ("iam", key()),
        ("detector", alert("a1", "key-new-source", Severity::High)),
        ("detector", alert("a2", "key-new-source", Severity::Low)),
        ("detector", alert("a3", "persistence", Severity::High)),
    ]);
    let found = proposals(&p, &s, Utc::now());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].alert_id, "a1");
    assert!(
        matches!(&found[0].action, Action::DeactivateKey { access_key_id, .. } if access_key_id == KEY)
    );

    // Once the policy asked about the key, a second alert about it is not answered again.
    let asked = RecordBody::Action(ActionStep {
        action_id: "act-1".into(),
        step: Step::Requested {
            action: found[0].action.clone(),
            origin: Origin::Policy,
            calls: vec![],
            expires_at: None,
            runs_at: Some(Utc::now()),
        },
    });
    let s = state_of(vec![
        ("iam", key()),
        ("detector", alert("a1", "key-new-source", Severity::High)),
        ("policy:cut-keys", asked),
        (
            "detector",
            alert("a4", "key-new-source", Severity::Critical),
        ),
    ]);
    assert!(proposals(&p, &s, Utc::now()).is_empty());
    assert_eq!(pending(&s).count(), 1);
}

#[test]
fn policies_are_off_unless_configured_and_announce_their_time() {
    let s = state_of(vec![
        ("iam", key()),
        ("detector", alert("a1", "key-new-source", Severity::High)),
    ]);
    assert!(proposals(&[], &s, Utc::now()).is_empty());
    let now = Utc::now();
    let a = Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: KEY.into(),
    };
    assert_eq!(
        announcement(&a, now + chrono::Duration::seconds(120), now),
        format!("Deactivate access key {KEY} of admin-ops in 2:00 unless vetoed")
    );
}

/// A stand-in AWS that keeps the calls it is asked to make.
#[derive(Default)]
struct Recording(Mutex<Vec<String>>);

#[async_trait]
impl ResponseApi for Recording {
    async fn call(&self, call: &ApiCall) -> Result<Value, ApiError> {
        self.0.lock().unwrap().push(call.name());
        Ok(Value::Null)
    }
}

/// Waits (a few seconds at most) for the journal to hold what `done` looks for.
async fn until(path: &std::path::Path, done: impl Fn(&[Record]) -> bool) -> Vec<Record> {
    for _ in 0..200 {
        let records = Journal::open(path).unwrap().read_all().unwrap();
        if done(&records) {
            return records;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the journal never got there")
}

fn steps(records: &[Record]) -> Vec<(String, &'static str)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) => Some((r.actor.clone(), s.step.name())),
            _ => None,
        })
        .collect()
}

async fn policy_run(veto: bool) -> (Vec<Record>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    let now = Utc::now();
    journal
        .append(&[
            NewRecord::new(now, "iam", key()),
            NewRecord::new(
                now,
                "detector",
                alert("a1", "key-new-source", Severity::High),
            ),
        ])
        .unwrap();
    let api = Arc::new(Recording::default());
    let clock: SharedClock = Arc::new(FixedClock(now));
    let rules = Policy {
        presenter: "policy",
        read_only: false,
        dry_run: false,
    };
    let runner = tokio::spawn(run(
        path.clone(),
        vec![policy(if veto { 3000 } else { 200 })],
        Some(api.clone()),
        clock.clone(),
        rules,
    ));
    let records = until(&path, |r| steps(r).iter().any(|(_, s)| *s == "requested")).await;
    if veto {
        // A responder cancels it, as the console's or Slack's veto does.
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let task = JournalTask::spawn(
            Journal::open(&path).unwrap(),
            i64::MAX,
            tx,
            Duration::from_millis(20),
        );
        let me = Lifecycle::new(task.writer(), None, clock, rules);
        let state = IncidentState::from_records(&records);
        let (view, _) = pending(&state).next().expect("announced");
        let value = confirmation_value(&view.id, view.action.as_ref().unwrap());
        let (id, fp) = crate::respond::lifecycle::parse_confirmation_value(&value).unwrap();
        me.cancel(id, fp, "alice@tui").await.unwrap();
        assert_eq!(task.shutdown(), 0);
        tokio::time::sleep(Duration::from_millis(3500)).await;
    }
    let records = if veto {
        Journal::open(&path).unwrap().read_all().unwrap()
    } else {
        until(&path, |r| steps(r).iter().any(|(_, s)| *s == "succeeded")).await
    };
    runner.abort();
    let calls = api.0.lock().unwrap().clone();
    (records, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_its_delay_the_policy_runs_the_response_as_itself() {
    let (records, calls) = policy_run(false).await;
    assert_eq!(
        steps(&records),
        [
            ("policy:cut-keys".to_string(), "requested"),
            ("policy:cut-keys".to_string(), "confirmed"),
            ("policy:cut-keys".to_string(), "succeeded"),
        ]
    );
    assert_eq!(calls, ["iam:UpdateAccessKey"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_veto_before_its_time_stops_it() {
    let (records, calls) = policy_run(true).await;
    assert_eq!(
        steps(&records),
        [
            ("policy:cut-keys".to_string(), "requested"),
            ("alice@tui".to_string(), "cancelled"),
        ]
    );
    assert!(calls.is_empty(), "{calls:?}");
}
