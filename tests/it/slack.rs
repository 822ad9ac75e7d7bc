//! Slack end to end: the bridge (`warroom serve`, the real binary) fed requests signed by
//! Slack's own Python SDK, and the mirror posting to a stand-in of the Web API.

use crate::support::moto::Moto;
use crate::support::slack_api::{Answer, FakeSlack};
use crate::support::slack_sign::{command_body, interaction_body, post_signed};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use warroom::chat::blocks::MirrorOptions;
use warroom::chat::outbox::{self, MirrorConfig};
use warroom::chat::slack::SlackApi;
use warroom::clock::SystemClock;
use warroom::config::secret::Secret;
use warroom::journal::Journal;
use warroom::model::{KeyStatus, NewRecord, Note, Record, RecordBody, Step};
use warroom::respond::lifecycle::confirmation_value;
use warroom::source::demo::scenario::{LEAKED_KEY, founding_scenario};
use warroom::source::demo::world::DemoWorld;
use warroom::source::ingest::Ingest;

pub(crate) const SECRET: &str = "e3b0c44298fc1c149afbf4c8996fb924";
pub(crate) const BOT_TOKEN: &str = "xoxb-0000-warroom-test-token";
pub(crate) const ALICE: &str = "U0ALICE";
pub(crate) const BOB: &str = "U0BOB";
pub(crate) const MALLORY: &str = "U0MALLORY";
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A journal holding the whole demo incident, as `warroom demo --instant` writes it.
pub(crate) fn demo_journal(dir: &Path) -> PathBuf {
    let path = dir.join("incident.sqlite");
    let world = DemoWorld::new(founding_scenario());
    let end = world.scenario().end();
    let mut records = world.opening_records("demo-test", end);
    records.extend(Ingest::new().process(end, world.advance(end)));
    Journal::open(&path).unwrap().append(&records).unwrap();
    path
}

pub(crate) fn config(dir: &Path, two_person: bool) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[slack]\nchannel = \"C0INCIDENT\"\ntwo_person_rule = {two_person}\nconfirm_minutes = 10\n\
             [slack.permissions]\ncontain = [\"{ALICE}\", \"{BOB}\"]\nannotate = [\"{ALICE}\"]\n"
        ),
    )
    .unwrap();
    path
}

/// A demo journal in a scratch directory, the Slack stand-in, and `warroom serve --demo` on
/// them.
pub(crate) async fn demo_bridge(
    two_person: bool,
) -> (tempfile::TempDir, PathBuf, FakeSlack, Served) {
    let dir = tempfile::tempdir().unwrap();
    let journal = demo_journal(dir.path());
    let slack = FakeSlack::start().await;
    let served = Served::start(
        &journal,
        &config(dir.path(), two_person),
        &slack,
        &["--demo"],
        &[],
    );
    (dir, journal, slack, served)
}

/// `warroom serve`, running until dropped.
pub(crate) struct Served {
    pub(crate) url: String,
    child: Child,
    /// Every line the bridge printed on standard output after its address, read as it
    /// comes so that the bridge never writes into a closed pipe.
    stdout: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    pub(crate) fn start(
        journal: &Path,
        config: &Path,
        slack: &FakeSlack,
        extra: &[&str],
        env: &[(String, String)],
    ) -> Served {
        let home = journal.parent().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.arg("serve")
            .args(["--journal", journal.to_str().unwrap()])
            .args(["--config", config.to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("HOME", home)
            .env("XDG_STATE_HOME", home.join("state"))
            .env("SLACK_SIGNING_SECRET", SECRET)
            .env("SLACK_BOT_TOKEN", BOT_TOKEN)
            .env("SLACK_API_URL", &slack.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("warroom serve: http://") => {
                    let addr = line["warroom serve: http://".len()..]
                        .split('/')
                        .next()
                        .unwrap()
                        .to_string();
                    break format!("http://{addr}");
                }
                Some(Ok(_)) => continue,
                _ => {
                    let out = child.wait_with_output().unwrap();
                    panic!(
                        "warroom serve did not start: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        };
        let stdout = Arc::new(std::sync::Mutex::new(Vec::new()));
        let collected = stdout.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                collected.lock().unwrap().push(line);
            }
        });
        Served { url, child, stdout }
    }

    /// `/warroom deactivate KEY` from Alice, and her click on its confirmation (one
    /// person suffices); returns once the click is answered.
    pub(crate) async fn deactivate_confirmed(&self, journal: &Path, key: &str) {
        self.command(ALICE, &format!("deactivate {key}"), "").await;
        let all = wait_for(journal, "the request", |all| steps(all).len() == 1);
        self.click(ALICE, "warroom-confirm", &last_requested(&all), "")
            .await;
    }

    /// What the bridge has printed on standard output since its address.
    pub(crate) fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    pub(crate) async fn command(&self, user: &str, text: &str, response: &str) -> (u16, String) {
        let body = command_body(text, user, &user.to_lowercase(), response);
        post_signed(
            &format!("{}/slack/commands", self.url),
            SECRET,
            now(),
            &body,
        )
        .await
    }

    pub(crate) async fn click(
        &self,
        user: &str,
        button: &str,
        action_id: &str,
        response: &str,
    ) -> (u16, String) {
        let body = interaction_body(button, action_id, user, response);
        post_signed(
            &format!("{}/slack/interactions", self.url),
            SECRET,
            now(),
            &body,
        )
        .await
    }
}

impl Served {
    /// Stops the bridge as a supervisor would (SIGTERM) and waits for it; its exit status
    /// and what it said on stderr.
    pub(crate) fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success(), "kill -TERM {pid}");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < PATIENCE, "warroom serve ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        (status, stderr)
    }
}

impl Drop for Served {
    /// SIGTERM first, so that the bridge removes what it made (the demo's repository in
    /// the temporary directory); SIGKILL only if it has not gone within seconds.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn records(journal: &Path) -> Vec<Record> {
    Journal::open_existing(journal).unwrap().read_all().unwrap()
}

/// Waits for the journal to say something.
pub(crate) fn wait_for(
    journal: &Path,
    what: &str,
    found: impl Fn(&[Record]) -> bool,
) -> Vec<Record> {
    let start = Instant::now();
    loop {
        let all = records(journal);
        if found(&all) {
            return all;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the journal never showed {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn steps(all: &[Record]) -> Vec<(String, &'static str)> {
    all.iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) => Some((r.actor.clone(), s.step.name())),
            _ => None,
        })
        .collect()
}

pub(crate) fn refusals(all: &[Record]) -> Vec<String> {
    all.iter()
        .filter_map(|r| match &r.body {
            RecordBody::Inbound(i) if !i.accepted => Some(i.detail.clone()),
            _ => None,
        })
        .collect()
}

/// What the Confirm button of the newest request carries: its ID and what it does.
pub(crate) fn last_requested(all: &[Record]) -> String {
    all.iter()
        .rev()
        .find_map(|r| match &r.body {
            RecordBody::Action(s) => match &s.step {
                Step::Requested { action, .. } => Some(confirmation_value(&s.action_id, action)),
                _ => None,
            },
            _ => None,
        })
        .expect("a requested action")
}

pub(crate) fn leaked_key_status(all: &[Record]) -> KeyStatus {
    all.iter()
        .rev()
        .find_map(|r| match &r.body {
            RecordBody::Key(k) if k.access_key_id == LEAKED_KEY => Some(k.status),
            _ => None,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_refuses_every_bad_request_and_changes_nothing() {
    let (_dir, journal, slack, served) = demo_bridge(true).await;
    let commands = format!("{}/slack/commands", served.url);
    let body = command_body(
        &format!("deactivate {LEAKED_KEY}"),
        ALICE,
        "alice",
        &slack.response_url("r1"),
    );

    // A bad signature, a stale timestamp, a replay, an oversize and a malformed body.
    let (status, _) = post_signed(&commands, "not-the-secret", now(), &body).await;
    assert_eq!(status, 401);
    let (status, _) = post_signed(&commands, SECRET, now() - 600, &body).await;
    assert_eq!(status, 401);
    let status_ok = post_signed(
        &commands,
        SECRET,
        now(),
        &command_body("status", MALLORY, "m", ""),
    )
    .await
    .0;
    assert_eq!(status_ok, 200);
    let ts = now();
    let replay = command_body("alerts", MALLORY, "m", "");
    assert_eq!(post_signed(&commands, SECRET, ts, &replay).await.0, 200);
    assert_eq!(post_signed(&commands, SECRET, ts, &replay).await.0, 401);
    let huge = format!("text={}", "a".repeat(70 * 1024));
    assert_eq!(post_signed(&commands, SECRET, now(), &huge).await.0, 413);
    assert_eq!(post_signed(&commands, SECRET, now(), "%%%").await.0, 400);

    // An unknown subcommand, and an unauthorized user asking for a destructive action.
    let (status, text) = served.command(MALLORY, "launch-missiles", "").await;
    assert_eq!(status, 200);
    assert!(text.contains("unknown command"), "{text}");
    let (_, text) = served
        .command(MALLORY, &format!("deactivate {LEAKED_KEY}"), "")
        .await;
    assert!(text.contains("may not deactivate"), "{text}");

    // Under the two-person rule the requester cannot confirm their own request.
    let (_, text) = served
        .command(ALICE, &format!("deactivate {LEAKED_KEY}"), "")
        .await;
    assert!(text.contains("warroom-confirm"), "buttons: {text}");
    let all = wait_for(&journal, "the request", |all| steps(all).len() == 1);
    let id = last_requested(&all);
    assert_eq!(served.click(ALICE, "warroom-confirm", &id, "").await.0, 200);

    // Time passes in the incident: eleven minutes later the confirmation has expired.
    let later = all.last().unwrap().at + chrono::Duration::minutes(11);
    Journal::open(&journal)
        .unwrap()
        .append(&[NewRecord::new(
            later,
            "alice@tui",
            RecordBody::Note(Note {
                text: "still here".into(),
            }),
        )])
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(served.click(BOB, "warroom-confirm", &id, "").await.0, 200);

    wait_for(&journal, "the expiry", |all| {
        steps(all).last().is_some_and(|(_, s)| *s == "refused")
    });
    // Unverified requests are counted, and the counts journaled by the time it stops.
    let (status, stderr) = served.stop();
    assert!(status.success(), "a clean stop: {stderr}");
    let all = records(&journal);
    let why = refusals(&all);
    for expected in [
        "signature does not match",
        "seconds off (more than 5 minutes)",
        "already handled (replay)",
        "body larger than",
        "malformed body",
        "unknown command `launch-missiles`",
        "you may not deactivate",
        "two-person rule",
        "the confirmation expired",
    ] {
        assert!(
            why.iter().any(|w| w.contains(expected)),
            "no refusal for {expected:?} in {why:#?}"
        );
    }
    let names: Vec<&str> = steps(&all).iter().map(|(_, s)| *s).collect();
    assert_eq!(
        names,
        ["requested", "refused"],
        "nothing was confirmed or run"
    );
    assert_eq!(leaked_key_status(&all), KeyStatus::Active);
    // Nothing secret ever reaches the journal.
    let text: String = all.iter().map(|r| r.body.data()).collect();
    assert!(!text.contains(SECRET) && !text.contains(BOT_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_command_and_a_signed_click_deactivate_the_key_and_the_mirror_posts_it() {
    let (_dir, journal, slack, served) = demo_bridge(true).await;
    let (status, text) = served
        .command(
            ALICE,
            &format!("deactivate {LEAKED_KEY}"),
            &slack.response_url("ask"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(text.contains("\"response_type\":\"in_channel\""), "{text}");
    let all = wait_for(&journal, "the request", |all| steps(all).len() == 1);
    let id = last_requested(&all);
    let (status, _) = served
        .click(BOB, "warroom-confirm", &id, &slack.response_url("click"))
        .await;
    assert_eq!(status, 200);

    let all = wait_for(&journal, "success", |all| {
        steps(all).iter().any(|(_, s)| *s == "succeeded")
    });
    assert_eq!(
        steps(&all),
        [
            ("u0alice@slack:U0ALICE".to_string(), "requested"),
            ("u0bob@slack:U0BOB".to_string(), "confirmed"),
            ("u0bob@slack:U0BOB".to_string(), "succeeded")
        ]
    );
    let all = wait_for(&journal, "the key turning inactive", |all| {
        leaked_key_status(all) == KeyStatus::Inactive
    });
    assert!(
        all.iter()
            .any(|r| matches!(&r.body, RecordBody::Event(e) if e.event_name == "UpdateAccessKey"))
    );

    // The click was answered through its response_url: running, then done.
    let start = Instant::now();
    while slack.responses_to("click").len() < 2 {
        assert!(start.elapsed() < PATIENCE, "no answer through response_url");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        slack.responses_to("click")[1]
            .to_string()
            .contains("Done: Deactivate access key")
    );

    // The mirror posted the incident, then the action's steps, in the incident's thread.
    let start = Instant::now();
    loop {
        let texts: Vec<String> = slack
            .delivered()
            .iter()
            .map(|p| format!("{} {}", p.text, p.blocks))
            .collect();
        if texts
            .iter()
            .any(|t| t.starts_with("Done: Deactivate access key"))
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the mirror never posted the success: {texts:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let posts = slack.delivered();
    let root = posts[0].ts.clone().unwrap();
    assert!(
        posts[0].thread_ts.is_none(),
        "the first message opens the thread"
    );
    assert!(
        posts[1..]
            .iter()
            .all(|p| p.thread_ts.as_deref() == Some(root.as_str()))
    );
    assert!(
        posts
            .iter()
            .all(|p| p.authorization == format!("Bearer {BOT_TOKEN}"))
    );
    assert!(posts.iter().all(|p| p.channel == "C0INCIDENT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_moto_the_click_deactivates_the_real_key() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (journal, iam, key) = moto_journal(&moto, dir.path()).await;
    let slack = FakeSlack::start().await;
    // Logging everything, with a session token in the credentials: none of it may reach
    // the log.
    let session_token = format!("FwoGZXIvYXdzEJr{}", "Q".repeat(300));
    let mut env = moto.env();
    env.push(("AWS_SESSION_TOKEN".into(), session_token.clone()));
    env.push(("WARROOM_LOG".into(), "trace".into()));
    let served = Served::start(
        &journal,
        &config(dir.path(), false),
        &slack,
        &["--region", "us-east-1"],
        &env,
    );
    served.deactivate_confirmed(&journal, &key).await;
    wait_for(&journal, "success", |all| {
        steps(all).iter().any(|(_, s)| *s == "succeeded")
    });
    let keys = iam
        .list_access_keys()
        .user_name("ci-deploy")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys.access_key_metadata()[0].status(),
        Some(&aws_sdk_iam::types::StatusType::Inactive)
    );
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
    let log: String = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "warroom.log")
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        log.contains("UpdateAccessKey"),
        "the trace log was written: {} bytes",
        log.len()
    );
    for secret in [
        session_token.as_str(),
        &session_token[..40],
        SECRET,
        BOT_TOKEN,
    ] {
        assert!(
            !log.contains(secret),
            "a secret reached the log at trace level: {secret:.12}…"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_stdout_logs_to_standard_output_redacted_and_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let journal = demo_journal(dir.path());
    let slack = FakeSlack::start().await;
    let trace = [("WARROOM_LOG".to_string(), "trace".to_string())];
    let served = Served::start(
        &journal,
        &config(dir.path(), false),
        &slack,
        &["--demo", "--log-stdout"],
        &trace,
    );
    served.deactivate_confirmed(&journal, LEAKED_KEY).await;
    wait_for(&journal, "success", |all| {
        steps(all).iter().any(|(_, s)| *s == "succeeded")
    });
    // The mirror's posts carry the bot token: wait for one, so that its request was logged.
    let start = Instant::now();
    while slack.delivered().is_empty() {
        assert!(start.elapsed() < PATIENCE, "the mirror never posted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = served.stdout();
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
    let traced = lines.iter().filter(|l| l.contains("TRACE")).count();
    assert!(
        traced > 10,
        "trace lines on stdout: {traced} of {}",
        lines.len()
    );
    assert!(
        lines.iter().any(|l| l.contains("slack.com")
            || l.contains("chat.postMessage")
            || l.contains(&slack.url)),
        "the Slack calls were logged"
    );
    let stdout = lines.join("\n");
    for secret in [SECRET, BOT_TOKEN] {
        assert!(
            !stdout.contains(secret),
            "a secret reached standard output: {secret:.12}…"
        );
    }
    let files: Vec<_> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("warroom.log"))
        .collect();
    assert!(files.is_empty(), "no log file with --log-stdout: {files:?}");
}

/// A journal that knows one key of a user made in moto.
pub(crate) async fn moto_journal(
    moto: &Moto,
    dir: &Path,
) -> (PathBuf, aws_sdk_iam::Client, String) {
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
    iam.create_user()
        .user_name("ci-deploy")
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("ci-deploy")
        .send()
        .await
        .unwrap()
        .access_key()
        .unwrap()
        .access_key_id()
        .to_string();
    let journal = dir.join("live.sqlite");
    let snap = warroom::source::aws::iam::IamSource::new(iam.clone())
        .snapshot()
        .await
        .unwrap();
    let records: Vec<NewRecord> = warroom::source::aws::iam::IamTracker::default()
        .changes(snap)
        .into_iter()
        .map(|b| NewRecord::new(chrono::Utc::now(), "iam", b))
        .collect();
    Journal::open(&journal).unwrap().append(&records).unwrap();
    (journal, iam, key)
}

/// The mirror of a journal, run in this process against the stand-in.
fn mirror(
    journal: &Path,
    slack: &FakeSlack,
    owner: &str,
    lease: Duration,
) -> tokio::task::JoinHandle<()> {
    let api = SlackApi::new(&slack.url, &Secret::new(BOT_TOKEN)).unwrap();
    let mut config = MirrorConfig::new("C0INCIDENT", MirrorOptions::default());
    config.lease = lease;
    config.per_second = 20.0;
    config.max_backoff = Duration::from_secs(2);
    tokio::spawn(outbox::run(
        journal.to_path_buf(),
        api,
        config,
        Arc::new(SystemClock),
        owner.into(),
    ))
}

fn queued(all: &[Record]) -> Vec<String> {
    all.iter()
        .filter_map(|r| match &r.body {
            RecordBody::ChatQueued(q) => Some(q.message_id.clone()),
            _ => None,
        })
        .collect()
}

async fn wait_delivered(slack: &FakeSlack, n: usize) {
    let start = Instant::now();
    while slack.delivered().len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{} of {n} delivered; posts: {:#?}",
            slack.delivered().len(),
            slack
                .posts()
                .iter()
                .map(|p| (&p.text, &p.ts))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_delays_the_mirror_but_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let journal = demo_journal(dir.path());
    let slack = FakeSlack::start().await;
    slack.script(vec![
        Answer::Http(500),
        Answer::Http(500),
        Answer::RateLimited {
            retry_after_secs: 1,
        },
    ]);
    let task = mirror(&journal, &slack, "one", Duration::from_secs(3));
    let all = wait_for(&journal, "the outbox", |all| !queued(all).is_empty());
    let expected = queued(&all).len();
    wait_delivered(&slack, expected).await;
    task.abort();
    let delivered = slack.delivered();
    assert_eq!(delivered.len(), expected, "nothing duplicated");
    // In queue order: the delivered texts follow the queued messages one for one.
    let all = records(&journal);
    let queued_texts: Vec<String> = all
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::ChatQueued(q) => Some(q.text.clone()),
            _ => None,
        })
        .collect();
    let delivered_texts: Vec<String> = delivered.iter().map(|p| p.text.clone()).collect();
    assert_eq!(delivered_texts, queued_texts);
    assert_eq!(
        slack.posts().len(),
        expected + 3,
        "three failed attempts, each retried"
    );
    // The waits honoured Retry-After: the retry after the 429 came a second or more later.
    let posts = slack.posts();
    assert!(posts[3].at.duration_since(posts[2].at) >= Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_an_outage_picks_up_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let journal = demo_journal(dir.path());
    let slack = FakeSlack::start().await;
    slack.script(vec![Answer::Http(503); 4]);
    let first = mirror(&journal, &slack, "first", Duration::from_secs(2));
    let start = Instant::now();
    while slack.posts().len() < 2 {
        assert!(start.elapsed() < PATIENCE, "the first mirror never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The process dies mid-outage; another takes over when its lease runs out.
    first.abort();
    let second = mirror(&journal, &slack, "second", Duration::from_secs(2));
    let all = wait_for(&journal, "the outbox", |all| !queued(all).is_empty());
    let expected = queued(&all).len();
    wait_delivered(&slack, expected).await;
    second.abort();
    let delivered = slack.delivered();
    assert_eq!(delivered.len(), expected, "each message delivered once");
    let mut ts: Vec<_> = delivered.iter().map(|p| p.text.clone()).collect();
    ts.dedup();
    assert_eq!(ts.len(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_the_same_journal_shows_what_slack_did_live() {
    use crate::support::terminal::Console;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("incident.sqlite");
    let mut console = Console::start(
        dir.path(),
        &["demo", "--instant", "--journal", journal.to_str().unwrap()],
    );
    console.wait_for("GPU instances launched by admin-ops");
    let slack = FakeSlack::start().await;
    let served = Served::start(
        &journal,
        &config(dir.path(), false),
        &slack,
        &["--demo"],
        &[],
    );
    served.deactivate_confirmed(&journal, LEAKED_KEY).await;
    // The console, which did nothing, shows it: the flash and the key's new status.
    console.wait_for("Done: Deactivate access key");
    console.keys("4");
    console.wait_for("Inactive");
    console.keys("q");
    assert!(console.wait_exit().success());
}

/// The whole playbook from the incident channel: `/warroom contain` plans for the worst open
/// alert's key and posts the numbered steps; one signed click runs them all in the demo
/// account, each step journaled, and the thread hears of the steps, not of every call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_proposed_and_confirmed_from_slack_contains_the_demo_account() {
    let (_dir, journal, slack, served) = demo_bridge(false).await;
    let (status, text) = served.command(ALICE, "contain", "").await;
    assert_eq!(status, 200);
    assert!(
        text.contains(&format!("Contain {LEAKED_KEY}")) && text.contains("steps in order"),
        "{text}"
    );
    let all = wait_for(&journal, "the plan's request", |all| steps(all).len() == 1);
    let value = last_requested(&all);
    served.click(ALICE, "warroom-confirm", &value, "").await;
    let all = wait_for(&journal, "the plan's end", |all| {
        steps(all)
            .iter()
            .any(|(_, s)| *s == "succeeded" || *s == "failed")
    });
    let last = steps(&all).last().unwrap().1;
    assert_eq!(last, "succeeded", "{:#?}", steps(&all));
    let state = warroom::state::IncidentState::from_records(&all);
    let running = state
        .instances
        .values()
        .filter(|i| i.launched_by == "admin-ops" && i.state.is_running())
        .count();
    assert_eq!(running, 0, "every attacker instance stopped");
    // The thread is counted once the mirror has posted the plan's end.
    let start = Instant::now();
    let posts = loop {
        let posts = slack.delivered();
        if posts.iter().any(|p| p.text.starts_with("Done: Contain")) {
            break posts;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the mirror never posted the plan's end"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let progress = posts
        .iter()
        .filter(|p| p.text.starts_with("In progress"))
        .count();
    let calls = all
        .iter()
        .filter(|r| matches!(&r.body, RecordBody::Action(s) if matches!(s.step, Step::Progress { made: Some(_), .. })))
        .count();
    assert!(calls > 300, "{calls} calls journaled one by one");
    assert!(
        progress < calls / 2,
        "{progress} thread messages for {calls} calls: steps, not calls"
    );
}
