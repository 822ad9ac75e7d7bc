//! The bridge's decisions, with the demo account as the AWS behind it.

use super::*;
use crate::clock::FixedClock;
use crate::journal::{Journal, JournalTask};
use crate::model::{ActionStep as ActionStepRef, KeyStatus, Step};
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
    two_person: bool,
    _dir: tempfile::TempDir,
}

fn config(two_person: bool) -> BridgeConfig {
    BridgeConfig {
        permissions: Permissions {
            contain: vec![ALICE.into(), BOB.into()],
            remediate: vec![ALICE.into()],
            annotate: vec![ALICE.into()],
        },
        two_person,
        confirm_for: chrono::Duration::minutes(10),
        read_only: false,
        dry_run: false,
    }
}

impl Setup {
    fn new(two_person: bool, now: DateTime<Utc>) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let world = Arc::new(DemoWorld::new(founding_scenario()));
        let start = world.scenario().start;
        let mut journal = Journal::open(&path).unwrap();
        let stored = journal.append(&world.opening_records("t", start)).unwrap();
        let mut s = Setup {
            bridge: Arc::new(Bridge::new(
                config(two_person),
                Verifier::new(&crate::config::secret::Secret::new("s")),
                spawn(journal).writer(),
                world.clone(),
                None,
                Arc::new(FixedClock(now)),
            )),
            world,
            task: None,
            path,
            two_person,
            _dir: dir,
        };
        s.restart(now, |_| {});
        s.bridge.observe(&stored);
        s
    }

    /// A new bridge process on the same journal, keeping what the old one had folded.
    fn restart(&mut self, now: DateTime<Utc>, prepare: impl FnOnce(&Journal)) {
        if let Some(t) = self.task.take() {
            t.shutdown();
        }
        let journal = Journal::open(&self.path).unwrap();
        prepare(&journal);
        let task = spawn(journal);
        let state = self.bridge.state().clone();
        let bridge = Bridge::new(
            config(self.two_person),
            Verifier::new(&crate::config::secret::Secret::new("s")),
            task.writer(),
            self.world.clone(),
            None,
            Arc::new(FixedClock(now)),
        );
        *bridge.state.write().unwrap() = state;
        self.bridge = Arc::new(bridge);
        self.task = Some(task);
    }

    /// Everything journaled so far, after the bridge's writes are flushed.
    fn records(&mut self) -> Vec<Record> {
        self.restart(self.bridge.clock.now(), |_| {});
        Journal::open_existing(&self.path)
            .unwrap()
            .read_all()
            .unwrap()
    }

    async fn ask(&self, who: &str, text: &str) -> Reply {
        self.bridge.command(who, &name(who), text).await
    }

    async fn press(&self, who: &str, button: &str, value: &str) -> Reply {
        let reply = self
            .bridge
            .click(who, &name(who), button, value, None)
            .await;
        if let Some(later) = reply.later {
            later.await;
        }
        Reply {
            later: None,
            ..reply
        }
    }
}

/// U0ALICE → alice.
fn name(who: &str) -> String {
    who.trim_start_matches("U0").to_lowercase()
}

fn spawn(journal: Journal) -> JournalTask {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    JournalTask::spawn(journal, i64::MAX, tx, Duration::from_millis(20))
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

/// The value the Confirm button of a prompt carries.
fn confirm_value(reply: &Reply) -> String {
    let blocks = &reply.message.as_ref().expect("a prompt").blocks;
    blocks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["elements"].as_array())
        .flatten()
        .find(|e| e["action_id"] == CONFIRM_ACTION_ID)
        .and_then(|e| e["value"].as_str())
        .expect("a confirm button")
        .to_string()
}

fn text(reply: &Reply) -> String {
    reply
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn questions_are_answered_and_journaled() {
    let mut s = Setup::new(false, now());
    let reply = s.ask(MALLORY, "keys admin-ops").await;
    let text = reply.message.unwrap().blocks.to_string();
    assert!(text.contains(LEAKED_KEY), "{text}");
    assert!(!reply.in_channel);
    let reply = s.ask(MALLORY, "launch-missiles").await;
    assert!(reply.message.unwrap().text.contains("unknown command"));
    assert_eq!(
        inbound(&s.records()),
        [(true, "answered".to_string()), (false, "unknown command `launch-missiles`; commands: deactivate, delete-key, deny-all, revoke-sessions, remediate, contain, resume, veto, blast, isolate, snapshot, stop, terminate, revoke-ingress, delete-user, delete-login-profile, detach-policy, delete-key-pair, pivot, note, status, severity, title, ack, resolve, alerts, findings, keys, timeline, help, theme, filter, jump, speed, play, pause, window, quit".to_string())]
    );
}

#[tokio::test]
async fn a_destructive_command_only_asks_and_the_signed_click_acts() {
    let mut s = Setup::new(false, now());
    let reply = s.ask(ALICE, &format!("deactivate {LEAKED_KEY}")).await;
    assert!(reply.in_channel, "the buttons are for the channel");
    let blocks = reply.message.as_ref().unwrap().blocks.to_string();
    assert!(blocks.contains(CONFIRM_ACTION_ID) && blocks.contains(CANCEL_ACTION_ID));
    assert_eq!(
        leaked_key_status(&s.world),
        KeyStatus::Active,
        "nothing done yet"
    );
    // The bridge reads the request from the journal, not from its fold: no wait needed.
    s.press(BOB, CONFIRM_ACTION_ID, &confirm_value(&reply))
        .await;
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
async fn a_click_runs_the_request_it_was_offered_for() {
    let mut s = Setup::new(false, now());
    let first = s.ask(ALICE, &format!("deactivate {LEAKED_KEY}")).await;
    let second = s.ask(ALICE, "deny-all admin-ops").await;
    let (a, b) = (confirm_value(&first), confirm_value(&second));
    assert_ne!(a, b);
    // A forged value: the first request's ID with the second's action.
    let (id_a, _) = parse_confirmation_value(&a).unwrap();
    let (_, fp_b) = parse_confirmation_value(&b).unwrap();
    s.press(BOB, CONFIRM_ACTION_ID, &format!("{id_a} {fp_b}"))
        .await;
    s.press(BOB, CONFIRM_ACTION_ID, &a).await;
    let records = s.records();
    assert!(
        inbound(&records)
            .iter()
            .any(|(ok, why)| !ok && why.contains("this confirmation is for")),
        "{:?}",
        inbound(&records)
    );
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Inactive);
    let ran: Vec<&str> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(ActionStepRef {
                step: Step::Succeeded { detail },
                ..
            }) => Some(detail.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ran, ["iam:UpdateAccessKey ok"], "the deny-all never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_clicks_at_once_run_the_action_once() {
    let mut s = Setup::new(false, now());
    let value = confirm_value(&s.ask(ALICE, &format!("deactivate {LEAKED_KEY}")).await);
    let mut clicks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (bridge, value) = (s.bridge.clone(), value.clone());
        clicks.spawn(async move {
            let reply = bridge
                .click(BOB, "bob", CONFIRM_ACTION_ID, &value, None)
                .await;
            if let Some(later) = reply.later {
                later.await;
            }
        });
    }
    while clicks.join_next().await.is_some() {}
    let records = s.records();
    let names: Vec<&str> = steps(&records).iter().map(|(_, s)| *s).collect();
    assert_eq!(names, ["requested", "confirmed", "succeeded"]);
    let refusals: Vec<String> = inbound(&records)
        .into_iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, why)| why)
        .collect();
    assert_eq!(refusals.len(), 7, "{refusals:?}");
    assert!(
        refusals
            .iter()
            .all(|w| w.starts_with("already confirmed by bob@slack:U0BOB at ")),
        "{refusals:?}"
    );
    let calls = records
        .iter()
        .filter(|r| matches!(&r.body, RecordBody::Event(e) if e.event_name == "UpdateAccessKey"))
        .count();
    assert!(calls <= 1);
}

#[tokio::test]
async fn an_unauthorized_user_is_refused_and_nothing_runs() {
    let mut s = Setup::new(false, now());
    let reply = s.ask(MALLORY, &format!("deactivate {LEAKED_KEY}")).await;
    assert!(text(&reply).contains("may not deactivate"));
    let records = s.records();
    assert!(steps(&records).is_empty(), "not even requested");
    assert!(!inbound(&records)[0].0);
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Active);
}

#[tokio::test]
async fn the_two_person_rule_needs_a_second_person() {
    let mut s = Setup::new(true, now());
    let value = confirm_value(&s.ask(ALICE, &format!("deactivate {LEAKED_KEY}")).await);
    s.press(ALICE, CONFIRM_ACTION_ID, &value).await;
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Active);
    s.press(BOB, CONFIRM_ACTION_ID, &value).await;
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
    let value = confirm_value(&s.ask(ALICE, &format!("deactivate {LEAKED_KEY}")).await);
    // Eleven minutes later on the incident's clock.
    s.restart(now() + chrono::Duration::minutes(11), |_| {});
    s.press(BOB, CONFIRM_ACTION_ID, &value).await;
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
    let value = confirm_value(&s.ask(ALICE, &format!("deactivate {LEAKED_KEY}")).await);
    s.press(ALICE, CANCEL_ACTION_ID, &value).await;
    // A late confirm of a cancelled request is refused, naming who cancelled.
    s.press(BOB, CONFIRM_ACTION_ID, &value).await;
    assert_eq!(leaked_key_status(&s.world), KeyStatus::Active);
    let records = s.records();
    assert_eq!(
        steps(&records).last(),
        Some(&("alice@slack:U0ALICE", "cancelled"))
    );
    assert!(
        inbound(&records)
            .iter()
            .any(|(ok, why)| !ok && why.starts_with("already cancelled by alice@slack:U0ALICE"))
    );
}

#[tokio::test]
async fn nothing_is_acknowledged_that_the_journal_did_not_take() {
    let mut s = Setup::new(false, now());
    s.restart(now(), |j| j.fail_writes_as_if_full());
    let reply = s.ask(ALICE, "note the disk is full").await;
    assert!(text(&reply).starts_with("Not recorded"), "{}", text(&reply));
    let reply = s.ask(ALICE, &format!("deactivate {LEAKED_KEY}")).await;
    assert!(
        text(&reply).starts_with("Not recorded"),
        "no buttons: {}",
        text(&reply)
    );
    assert!(!reply.in_channel);
    // Room again: the next note is recorded, and was never answered before it was.
    s.restart(now(), |_| {});
    let reply = s.ask(ALICE, "note room again").await;
    assert_eq!(text(&reply), "Recorded: /warroom note room again");
    let notes: Vec<String> = s
        .records()
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Note(n) => Some(n.text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["room again"]);
}

#[tokio::test]
async fn unverified_requests_are_counted_not_recorded_one_by_one() {
    let mut s = Setup::new(false, now());
    for _ in 0..500 {
        s.bridge.reject("command", &Rejection::BadSignature);
    }
    s.bridge.reject("interaction", &Rejection::Unsigned);
    s.bridge.flush_refusals(true);
    let records = s.records();
    let counted: Vec<(String, u64)> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Inbound(i) => Some((i.detail.clone(), i.count)),
            _ => None,
        })
        .collect();
    assert_eq!(
        counted,
        [
            ("signature does not match".to_string(), 500),
            ("no Slack signature or timestamp header".to_string(), 1)
        ]
    );
}

#[tokio::test]
async fn signed_text_is_journaled_without_control_characters() {
    let mut s = Setup::new(false, now());
    s.ask(ALICE, "note \u{1b}[2Jwiped\u{0}").await;
    s.ask(MALLORY, "\u{1b}]52;c;bad\u{7}").await;
    let records = s.records();
    let data: String = records.iter().map(|r| r.body.data()).collect();
    assert!(
        !data.contains('\u{1b}') && !data.contains("\\u001b"),
        "{data}"
    );
    assert!(!data.contains("\\u0000") && !data.contains("\\u0007"));
    assert!(data.contains("\u{241b}[2Jwiped\u{2400}"), "{data}");
}

#[test]
fn refusal_counts_wait_for_their_minute_to_end() {
    let tally = RefusalTally::default();
    let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    tally.count("command", "bad", t);
    tally.count("command", "bad", t + chrono::Duration::seconds(1));
    assert!(
        tally
            .take(t + chrono::Duration::seconds(2), false)
            .is_empty()
    );
    let later = t + chrono::Duration::minutes(1);
    tally.count("command", "bad", later);
    let taken = tally.take(later, false);
    assert_eq!(taken.len(), 1);
    assert!(matches!(&taken[0], RecordBody::Inbound(i) if i.count == 2));
    let rest = tally.take(later, true);
    assert!(matches!(&rest[..], [RecordBody::Inbound(i)] if i.count == 1));
}

#[test]
fn actors_carry_the_slack_id() {
    assert_eq!(actor::slack("U1", "alice"), "alice@slack:U1");
    assert_eq!(actor::slack_user_of("alice@slack:U1"), Some("U1"));
}
