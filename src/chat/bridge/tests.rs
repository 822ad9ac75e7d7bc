//! The bridge's decisions, with the demo account as the AWS behind it.

use super::*;
use crate::clock::FixedClock;
use crate::journal::{Journal, JournalTask};
use crate::model::KeyStatus;
use crate::source::demo::scenario::{LEAKED_KEY, founding_scenario};
use crate::source::demo::world::DemoWorld;
use chrono::{DateTime, Utc};

const ALICE: &str = "U0ALICE";
const BOB: &str = "U0BOB";
const MALLORY: &str = "U0MALLORY";

struct Setup {
    bridge: Arc<Bridge>,
    world: Arc<DemoWorld>,
    task: Option<JournalTask>,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(two_person: bool, now: DateTime<Utc>) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let world = Arc::new(DemoWorld::new(founding_scenario()));
        let start = world.scenario().start;
        let mut journal = Journal::open(&path).unwrap();
        let stored = journal.append(&world.opening_records("t", start)).unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let task = JournalTask::spawn(journal, i64::MAX, tx, Duration::from_millis(20));
        let config = BridgeConfig {
            permissions: Permissions {
                contain: vec![ALICE.into(), BOB.into()],
                remediate: vec![ALICE.into()],
                annotate: vec![ALICE.into()],
            },
            two_person,
            confirm_for: chrono::Duration::minutes(10),
            read_only: false,
            dry_run: false,
        };
        let bridge = Arc::new(Bridge::new(
            config,
            Verifier::new(&crate::chat::secret::Secret::new("s")),
            task.writer(),
            world.clone(),
            None,
            Arc::new(FixedClock(now)),
        ));
        bridge.observe(&stored);
        Setup {
            bridge,
            world,
            task: Some(task),
            path,
            _dir: dir,
        }
    }

    /// Everything journaled so far, after the bridge's writes are flushed.
    fn records(&mut self) -> Vec<Record> {
        if let Some(t) = self.task.take() {
            t.shutdown();
        }
        Journal::open_existing(&self.path)
            .unwrap()
            .read_all()
            .unwrap()
    }

    /// Folds what was journaled back into the bridge, as its tail would.
    fn sync(&mut self) {
        let records = self.records();
        self.bridge.observe(&records);
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let last = records.last().map_or(0, |r| r.seq);
        self.task = Some(JournalTask::spawn(
            Journal::open(&self.path).unwrap(),
            last,
            tx,
            Duration::from_millis(20),
        ));
        let state = self.bridge.state().clone();
        self.bridge = Arc::new(Bridge {
            writer: self.task.as_ref().unwrap().writer(),
            config: self.bridge.config.clone(),
            verifier: Verifier::new(&crate::chat::secret::Secret::new("s")),
            state: RwLock::new(state),
            api: self.world.clone(),
            slack: None,
            clock: self.bridge.clock.clone(),
            groups: Mutex::new(HashMap::new()),
        });
    }
}

fn now() -> DateTime<Utc> {
    founding_scenario().start + chrono::Duration::minutes(5)
}

fn steps(records: &[Record]) -> Vec<(&str, &'static str)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) => Some((r.actor.as_str(), s.step.name())),
            _ => None,
        })
        .collect()
}

fn inbound(records: &[Record]) -> Vec<(bool, String)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Inbound(i) => Some((i.accepted, i.detail.clone())),
            _ => None,
        })
        .collect()
}

fn leaked_key_status(world: &DemoWorld) -> KeyStatus {
    world.key_status(LEAKED_KEY).unwrap()
}

/// The action ID the bridge put in its confirmation buttons.
fn requested_id(records: &[Record]) -> String {
    records
        .iter()
        .rev()
        .find_map(|r| match &r.body {
            RecordBody::Action(s) if matches!(s.step, Step::Requested { .. }) => {
                Some(s.action_id.clone())
            }
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn questions_are_answered_and_journaled() {
    let mut s = Setup::new(false, now());
    let reply = s.bridge.command(MALLORY, "mallory", "keys admin-ops").await;
    let text = reply.message.unwrap().blocks.to_string();
    assert!(text.contains(LEAKED_KEY), "{text}");
    assert!(!reply.in_channel);
    let reply = s
        .bridge
        .command(MALLORY, "mallory", "launch-missiles")
        .await;
    assert!(reply.message.unwrap().text.contains("unknown command"));
    assert_eq!(
        inbound(&s.records()),
        [(true, "answered".to_string()), (false, "unknown command `launch-missiles`; commands: deactivate, delete-key, deny-all, revoke-sessions, remediate, pivot, note, status, severity, title, ack, resolve, alerts, findings, keys, timeline, help, theme, filter, jump, speed, play, pause, window, quit".to_string())]
    );
}

#[tokio::test]
async fn a_destructive_command_only_asks_and_the_signed_click_acts() {
    let mut s = Setup::new(false, now());
    let reply = s
        .bridge
        .command(ALICE, "alice", &format!("deactivate {LEAKED_KEY}"))
        .await;
    assert!(reply.in_channel, "the buttons are for the channel");
    let blocks = reply.message.unwrap().blocks.to_string();
    assert!(blocks.contains(CONFIRM_ACTION_ID) && blocks.contains(CANCEL_ACTION_ID));
    assert_eq!(
        leaked_key_status(&s.world),
        KeyStatus::Active,
        "nothing done yet"
    );
    s.sync();
    let id = requested_id(&s.records());
    s.sync();
    let reply = s
        .bridge
        .click(BOB, "bob", CONFIRM_ACTION_ID, &id, None)
        .await;
    reply.later.expect("runs after the answer").await;
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Inactive);
    let records = s.records();
    assert_eq!(
        steps(&records),
        [
            ("alice@slack:U0ALICE", "requested"),
            ("bob@slack:U0BOB", "confirmed"),
            ("bob@slack:U0BOB", "succeeded")
        ]
    );
}

#[tokio::test]
async fn an_unauthorized_user_is_refused_and_nothing_runs() {
    let mut s = Setup::new(false, now());
    let reply = s
        .bridge
        .command(MALLORY, "mallory", &format!("deactivate {LEAKED_KEY}"))
        .await;
    assert!(reply.message.unwrap().text.contains("may not deactivate"));
    let records = s.records();
    assert!(steps(&records).is_empty(), "not even requested");
    assert!(!inbound(&records)[0].0);
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Active);
}

#[tokio::test]
async fn the_two_person_rule_needs_a_second_person() {
    let mut s = Setup::new(true, now());
    s.bridge
        .command(ALICE, "alice", &format!("deactivate {LEAKED_KEY}"))
        .await;
    s.sync();
    let id = requested_id(&s.records());
    s.sync();
    let reply = s
        .bridge
        .click(ALICE, "alice", CONFIRM_ACTION_ID, &id, None)
        .await;
    reply.later.unwrap().await;
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Active);
    s.sync();
    let reply = s
        .bridge
        .click(BOB, "bob", CONFIRM_ACTION_ID, &id, None)
        .await;
    reply.later.unwrap().await;
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Inactive);
    let records = s.records();
    assert!(
        inbound(&records)
            .iter()
            .any(|(ok, why)| !ok && why.starts_with("two-person rule"))
    );
}

#[tokio::test]
async fn an_expired_confirmation_does_nothing() {
    let mut s = Setup::new(false, now());
    s.bridge
        .command(ALICE, "alice", &format!("deactivate {LEAKED_KEY}"))
        .await;
    s.sync();
    let id = requested_id(&s.records());
    s.sync();
    // Eleven minutes later.
    let late = Arc::new(Bridge {
        clock: Arc::new(FixedClock(now() + chrono::Duration::minutes(11))),
        writer: s.task.as_ref().unwrap().writer(),
        config: s.bridge.config.clone(),
        verifier: Verifier::new(&crate::chat::secret::Secret::new("s")),
        state: RwLock::new(s.bridge.state().clone()),
        api: s.world.clone(),
        slack: None,
        groups: Mutex::new(HashMap::new()),
    });
    late.click(BOB, "bob", CONFIRM_ACTION_ID, &id, None)
        .await
        .later
        .unwrap()
        .await;
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Active);
    let records = s.records();
    assert_eq!(
        steps(&records).last(),
        Some(&("bob@slack:U0BOB", "refused"))
    );
}

#[tokio::test]
async fn cancel_closes_the_request() {
    let mut s = Setup::new(false, now());
    s.bridge
        .command(ALICE, "alice", &format!("deactivate {LEAKED_KEY}"))
        .await;
    s.sync();
    let id = requested_id(&s.records());
    s.sync();
    s.bridge
        .click(ALICE, "alice", CANCEL_ACTION_ID, &id, None)
        .await
        .later
        .unwrap()
        .await;
    s.sync();
    // A late confirm of a cancelled request is refused.
    s.bridge
        .click(BOB, "bob", CONFIRM_ACTION_ID, &id, None)
        .await
        .later
        .unwrap()
        .await;
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Active);
    let records = s.records();
    assert_eq!(
        steps(&records).last(),
        Some(&("alice@slack:U0ALICE", "cancelled"))
    );
}

#[test]
fn actors_carry_the_slack_id() {
    assert_eq!(actor("U1", "alice"), "alice@slack:U1");
    assert_eq!(slack_user_of("alice@slack:U1"), Some("U1"));
    assert_eq!(slack_user_of("alice@tui"), None);
}
