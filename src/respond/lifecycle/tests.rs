//! The lifecycle against real journals: one file, several connections (as several
//! processes would have), many deciders at once.

use super::*;
use crate::clock::FixedClock;
use crate::journal::{Journal, JournalTask};
use crate::model::{Record, Step};
use crate::respond::ApiError;
use async_trait::async_trait;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A stand-in AWS that only counts the calls it is asked to make.
#[derive(Default)]
struct CountingApi {
    calls: AtomicUsize,
}

#[async_trait]
impl ResponseApi for CountingApi {
    async fn call(&self, _call: &ApiCall) -> Result<Value, ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Value::Null)
    }
}

fn deactivate() -> Action {
    Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: "AKIAEXAMPLE000000001".into(),
    }
}

fn deny_all() -> Action {
    Action::DenyAll {
        user: "ci-deploy".into(),
    }
}

const POLICY: Policy = Policy {
    presenter: "bridge",
    read_only: false,
    dry_run: false,
};

struct Bench {
    dir: tempfile::TempDir,
    tasks: Vec<JournalTask>,
    api: Arc<CountingApi>,
}

impl Bench {
    fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        Journal::open(&dir.path().join("j.sqlite")).unwrap();
        Bench {
            dir,
            tasks: Vec::new(),
            api: Arc::new(CountingApi::default()),
        }
    }

    /// A lifecycle on its own connection to the journal, as another process would have.
    fn lifecycle(&mut self, policy: Policy) -> Lifecycle {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let journal = Journal::open(&self.dir.path().join("j.sqlite")).unwrap();
        let task = JournalTask::spawn(journal, i64::MAX, tx, std::time::Duration::from_millis(20));
        let writer = task.writer();
        self.tasks.push(task);
        Lifecycle::new(
            writer,
            Some(self.api.clone()),
            Arc::new(FixedClock(Utc::now())),
            policy,
        )
    }

    fn records(&mut self) -> Vec<Record> {
        for t in self.tasks.drain(..) {
            assert_eq!(t.shutdown(), 0, "nothing left unwritten");
        }
        Journal::open_existing(&self.dir.path().join("j.sqlite"))
            .unwrap()
            .read_all()
            .unwrap()
    }
}

fn step_names(records: &[Record], id: &str) -> Vec<&'static str> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) if s.action_id == id => Some(s.step.name()),
            _ => None,
        })
        .collect()
}

#[test]
fn request_ids_never_repeat_even_in_one_instant() {
    let ids: std::collections::HashSet<String> = (0..20_000).map(|_| new_request_id()).collect();
    assert_eq!(ids.len(), 20_000);
    assert!(ids.iter().all(|id| id.starts_with("act-")));
}

#[test]
fn read_only_refuses_and_done_things_are_no_ops() {
    let read_only = Policy {
        read_only: true,
        ..POLICY
    };
    let o = open(
        deactivate(),
        Origin::Slack,
        &read_only,
        &IncidentState::default(),
        None,
    );
    assert_eq!(
        o.outcome,
        Opened::Refused {
            reason: "the bridge is read-only (--read-only)".into()
        }
    );
    assert_eq!(o.bodies.len(), 2);
    let o = open(
        deny_all(),
        Origin::Tui,
        &POLICY,
        &IncidentState::default(),
        None,
    );
    assert_eq!(o.outcome, Opened::Awaiting);
    assert_eq!(o.calls[0].operation, "PutUserPolicy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_runs_the_request_it_names_and_no_other() {
    let mut bench = Bench::new();
    let lc = bench.lifecycle(POLICY);
    let state = IncidentState::default();
    let a = lc
        .request(deactivate(), Origin::Slack, "alice@slack:U1", &state, None)
        .await
        .unwrap();
    let b = lc
        .request(deny_all(), Origin::Slack, "alice@slack:U1", &state, None)
        .await
        .unwrap();
    assert_ne!(a.id, b.id);
    // A click carrying the first request's ID but the second's action is refused.
    let wrong = lc
        .confirm(
            &a.id,
            &b.action.fingerprint(),
            "bob@slack:U2",
            &ConfirmRules::default(),
        )
        .await;
    assert!(
        matches!(wrong, Err(NotDone::Conflict(Conflict::Mismatch { .. }))),
        "{wrong:?}"
    );
    let view = lc
        .confirm(
            &a.id,
            &a.action.fingerprint(),
            "bob@slack:U2",
            &ConfirmRules::default(),
        )
        .await
        .unwrap();
    assert_eq!(view.action, deactivate());
    lc.execute(&view, "bob@slack:U2").await.unwrap();
    let records = bench.records();
    assert_eq!(
        step_names(&records, &a.id),
        ["requested", "confirmed", "succeeded"]
    );
    assert_eq!(step_names(&records, &b.id), ["requested"]);
    assert_eq!(bench.api.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_confirmations_in_several_processes_run_once() {
    let mut bench = Bench::new();
    let lifecycles: Vec<Lifecycle> = (0..4).map(|_| bench.lifecycle(POLICY)).collect();
    let opened = lifecycles[0]
        .request(
            deactivate(),
            Origin::Slack,
            "alice@slack:U1",
            &IncidentState::default(),
            None,
        )
        .await
        .unwrap();
    let fingerprint = opened.action.fingerprint();
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..16 {
        let lc = lifecycles[i % lifecycles.len()].clone();
        let (id, fp) = (opened.id.clone(), fingerprint.clone());
        racers.spawn(async move {
            let who = format!("r{i}@slack:U{i}");
            match lc.confirm(&id, &fp, &who, &ConfirmRules::default()).await {
                Ok(view) => {
                    lc.execute(&view, &who).await.unwrap();
                    Ok(who)
                }
                Err(e) => Err(e),
            }
        });
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    while let Some(r) = racers.join_next().await {
        match r.unwrap() {
            Ok(w) => winners.push(w),
            Err(e) => losers.push(e),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one confirmation: {losers:?}");
    assert!(losers.iter().all(|e| matches!(
        e,
        NotDone::Conflict(Conflict::Settled(s)) if s.step == "confirmed" && s.actor == winners[0]
    )));
    assert!(losers[0].to_string().starts_with("already confirmed by "));
    let records = bench.records();
    assert_eq!(
        step_names(&records, &opened.id),
        ["requested", "confirmed", "succeeded"]
    );
    assert_eq!(bench.api.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_request_cannot_be_confirmed_and_the_rules_hold() {
    let mut bench = Bench::new();
    let lc = bench.lifecycle(POLICY);
    let state = IncidentState::default();
    let two_person = ConfirmRules {
        two_person: true,
        confirm_for: None,
    };
    let a = lc
        .request(deactivate(), Origin::Slack, "alice@slack:U1", &state, None)
        .await
        .unwrap();
    let fp = a.action.fingerprint();
    let own = lc.confirm(&a.id, &fp, "alice2@slack:U1", &two_person).await;
    assert!(matches!(own, Err(NotDone::Refused(ref why)) if why.contains("two-person")));
    lc.cancel(&a.id, &fp, "alice@slack:U1").await.unwrap();
    let late = lc.confirm(&a.id, &fp, "bob@slack:U2", &two_person).await;
    assert!(
        matches!(late, Err(NotDone::Conflict(Conflict::Settled(ref s))) if s.step == "cancelled"),
        "{late:?}"
    );
    // Expired on the wall clock, whatever the incident's clock says.
    let past = Utc::now() - chrono::Duration::seconds(1);
    let b = lc
        .request(
            deny_all(),
            Origin::Slack,
            "alice@slack:U1",
            &state,
            Some(past),
        )
        .await
        .unwrap();
    let expired = lc
        .confirm(&b.id, &b.action.fingerprint(), "bob@slack:U2", &two_person)
        .await;
    assert_eq!(expired, Err(NotDone::Expired));
    let unknown = lc
        .confirm("act-nope", &fp, "bob@slack:U2", &two_person)
        .await;
    assert_eq!(unknown, Err(NotDone::Conflict(Conflict::Unknown)));
    let records = bench.records();
    assert_eq!(step_names(&records, &a.id), ["requested", "cancelled"]);
    assert_eq!(step_names(&records, &b.id), ["requested", "refused"]);
    assert_eq!(bench.api.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_journals_the_calls_and_makes_none() {
    let mut bench = Bench::new();
    let lc = bench.lifecycle(Policy {
        dry_run: true,
        ..POLICY
    });
    let a = lc
        .request(
            deactivate(),
            Origin::Tui,
            "alice@tui",
            &IncidentState::default(),
            None,
        )
        .await
        .unwrap();
    let view = lc
        .confirm(
            &a.id,
            &a.action.fingerprint(),
            "alice@tui",
            &ConfirmRules::default(),
        )
        .await
        .unwrap();
    lc.execute(&view, "alice@tui").await.unwrap();
    let records = bench.records();
    assert_eq!(
        step_names(&records, &a.id),
        ["requested", "confirmed", "dry-run"]
    );
    assert!(records.iter().any(|r| matches!(
        &r.body,
        RecordBody::Action(s) if matches!(&s.step, Step::DryRun { calls } if calls[0].operation == "UpdateAccessKey")
    )));
    assert_eq!(bench.api.calls.load(Ordering::SeqCst), 0);
}

#[test]
fn confirmation_values_carry_the_request_and_what_it_does() {
    let v = confirmation_value("act-1", &deactivate());
    let (id, fp) = parse_confirmation_value(&v).unwrap();
    assert_eq!(id, "act-1");
    assert_eq!(fp, deactivate().fingerprint());
    assert!(fp.starts_with("deactivate:AKIAEXAMPLE000000001:"));
    assert_ne!(deactivate().fingerprint(), deny_all().fingerprint());
    assert_eq!(parse_confirmation_value("act-1"), None);
}
