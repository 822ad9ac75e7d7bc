//! The bridge as a hostile user meets it: `warroom serve`, the real binary, fed requests
//! signed by Slack's own Python SDK — racing clicks, two bridges on one journal, a full
//! disk, floods of forgeries and idle sockets, replays across a restart.

use crate::slack::{
    ALICE, BOB, PATIENCE, SECRET, Served, config, demo_bridge, demo_journal, last_requested,
    leaked_key_status, moto_journal, now, records, refusals, steps, wait_for,
};
use crate::support::moto::Moto;
use crate::support::slack_api::FakeSlack;
use crate::support::slack_sign::{command_body, interaction_body, post, post_signed, sign_all};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use warroom::journal::Journal;
use warroom::model::{KeyStatus, Record, RecordBody, Step};
use warroom::respond::lifecycle::confirmation_value;

/// Every request's Confirm value in the journal, oldest first, with its action's verb.
fn requested(all: &[Record]) -> Vec<(String, &'static str)> {
    all.iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) => match &s.step {
                Step::Requested { action, .. } => {
                    Some((confirmation_value(&s.action_id, action), action.verb()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn count_steps(all: &[Record], name: &str) -> usize {
    steps(all).iter().filter(|(_, s)| *s == name).count()
}

/// The headers Slack signs a request with.
fn signed(signature: String, timestamp: i64) -> [(&'static str, String); 3] {
    [
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("X-Slack-Signature", signature),
        ("X-Slack-Request-Timestamp", timestamp.to_string()),
    ]
}

/// Signs many requests at once (one Python start) and posts them concurrently.
async fn post_all(url: &str, bodies: &[String], timestamp: i64) -> Vec<(u16, String)> {
    let requests: Vec<(i64, String)> = bodies.iter().map(|b| (timestamp, b.clone())).collect();
    let signatures = sign_all(SECRET, &requests);
    let mut posts = tokio::task::JoinSet::new();
    for (i, (body, signature)) in bodies.iter().zip(signatures).enumerate() {
        let (url, body) = (url.to_string(), body.clone());
        posts.spawn(async move {
            let headers = signed(signature, timestamp);
            (i, post(&url, &headers, &body).await)
        });
    }
    let mut out = vec![(0, String::new()); bodies.len()];
    while let Some(done) = posts.join_next().await {
        let (i, answer) = done.unwrap();
        out[i] = answer;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_in_one_instant_get_their_own_ids_and_a_click_runs_its_own() {
    let (_dir, journal, _slack, served) = demo_bridge(true).await;
    let commands = format!("{}/slack/commands", served.url);
    let bodies = [
        command_body(
            &format!("deactivate {}", warroom::source::demo::scenario::LEAKED_KEY),
            ALICE,
            "alice",
            "",
        ),
        command_body("deny-all ci-deploy", ALICE, "alice", ""),
    ];
    // Same user, same second, at the same moment.
    let answers = post_all(&commands, &bodies, now()).await;
    assert!(
        answers
            .iter()
            .all(|(s, t)| *s == 200 && t.contains("warroom-confirm")),
        "{answers:?}"
    );
    let all = wait_for(&journal, "both requests", |all| requested(all).len() == 2);
    let asked = requested(&all);
    let verbs: Vec<&str> = asked.iter().map(|(_, v)| *v).collect();
    assert!(verbs.contains(&"deactivate") && verbs.contains(&"deny-all"));
    assert_ne!(asked[0].0, asked[1].0, "different IDs");
    let (deactivate, _) = asked.iter().find(|(_, v)| *v == "deactivate").unwrap();
    let (status, _) = served.click(BOB, "warroom-confirm", deactivate, "").await;
    assert_eq!(status, 200);
    wait_for(&journal, "the key turning inactive", |all| {
        leaked_key_status(all) == KeyStatus::Inactive
    });
    let all = wait_for(&journal, "success", |all| {
        count_steps(all, "succeeded") == 1
    });
    let _ = all;
    let all = records(&journal);
    assert!(
        !all.iter()
            .any(|r| matches!(&r.body, RecordBody::Event(e) if e.event_name == "PutUserPolicy")),
        "the deny-all was not run"
    );
    assert_eq!(count_steps(&all, "confirmed"), 1);
}

async fn key_status(iam: &aws_sdk_iam::Client) -> aws_sdk_iam::types::StatusType {
    iam.list_access_keys()
        .user_name("ci-deploy")
        .send()
        .await
        .unwrap()
        .access_key_metadata()[0]
        .status()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_clicks_at_once_on_two_bridges_deactivate_the_real_key_once() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (journal, iam, key) = moto_journal(&moto, dir.path()).await;
    let slack = FakeSlack::start().await;
    let cfg = config(dir.path(), true);
    // Two bridges on one journal, as two replicas behind a load balancer would be.
    let first = Served::start(
        &journal,
        &cfg,
        &slack,
        &["--region", "us-east-1"],
        &moto.env(),
    );
    let second = Served::start(
        &journal,
        &cfg,
        &slack,
        &["--region", "us-east-1"],
        &moto.env(),
    );
    let (status, text) = first.command(ALICE, &format!("deactivate {key}"), "").await;
    assert_eq!(status, 200, "{text}");
    let all = wait_for(&journal, "the request", |all| steps(all).len() == 1);
    let value = last_requested(&all);
    // Eight signed clicks by Bob, half to each bridge, all at once.
    let clicks: Vec<String> = (0..8)
        .map(|i| {
            interaction_body(
                "warroom-confirm",
                &value,
                BOB,
                &format!("{}{i}", slack.response_url("c")),
            )
        })
        .collect();
    let ts = now();
    let signatures = sign_all(
        SECRET,
        &clicks.iter().map(|b| (ts, b.clone())).collect::<Vec<_>>(),
    );
    let mut racing = tokio::task::JoinSet::new();
    for (i, (body, signature)) in clicks.into_iter().zip(signatures).enumerate() {
        let url = format!(
            "{}/slack/interactions",
            if i % 2 == 0 { &first.url } else { &second.url }
        );
        racing.spawn(async move {
            let headers = signed(signature, ts);
            post(&url, &headers, &body).await.0
        });
    }
    while let Some(status) = racing.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let all = wait_for(&journal, "the outcome and every refusal", |all| {
        count_steps(all, "succeeded") + count_steps(all, "failed") == 1
            && refusals(all)
                .iter()
                .filter(|w| w.starts_with("already confirmed by"))
                .count()
                == 7
    });
    assert_eq!(count_steps(&all, "confirmed"), 1, "{:?}", steps(&all));
    assert_eq!(count_steps(&all, "succeeded"), 1, "{:?}", steps(&all));
    assert_eq!(
        key_status(&iam).await,
        aws_sdk_iam::types::StatusType::Inactive
    );
    // The second answer says who confirmed, and when.
    let why = refusals(&all);
    assert!(
        why.iter()
            .any(|w| w.starts_with("already confirmed by u0bob@slack:U0BOB at ")),
        "{why:?}"
    );
    drop((first, second));
}

/// A tmpfs of `size` bytes at `dir`, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, size: u64) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it, and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk {
            dir: dir.to_path_buf(),
        }
    }

    /// Writes a file until the disk has no room left.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).and_then(|_| f.sync_data()).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_never_yields_recorded_and_the_loss_is_named_on_exit() {
    let dir = tempfile::tempdir().unwrap();
    let source = demo_journal(dir.path());
    let size = std::fs::metadata(&source).unwrap().len();
    let disk = SmallDisk::mount(&dir.path().join("disk"), size + 2 * 1024 * 1024);
    let journal = disk.dir.join("incident.sqlite");
    std::fs::copy(&source, &journal).unwrap();
    let slack = FakeSlack::start().await;
    let cfg = config(dir.path(), false);
    let served = Served::start(&journal, &cfg, &slack, &["--demo"], &[]);
    // Wait until the bridge has settled in (the mirror queues its messages first).
    let (status, _) = served
        .command(ALICE, "note before the disk fills", "")
        .await;
    assert_eq!(status, 200);
    wait_for(&journal, "the first note", |all| {
        all.iter().any(|r| matches!(&r.body, RecordBody::Note(_)))
    });
    let filler = disk.fill();
    let notes: Vec<String> = (0..400)
        .map(|i| command_body(&format!("note lost {i}"), ALICE, "alice", ""))
        .collect();
    let answers = post_all(&format!("{}/slack/commands", served.url), &notes, now()).await;
    let recorded = answers
        .iter()
        .filter(|(_, t)| t.contains("Recorded"))
        .count();
    assert_eq!(recorded, 0, "nothing acknowledged that was not stored");
    assert!(
        answers.iter().all(|(_, t)| t.contains("Not recorded")),
        "every answer says so: {:?}",
        &answers[..2]
    );
    let (status, text) = served
        .command(
            BOB,
            &format!("deactivate {}", warroom::source::demo::scenario::LEAKED_KEY),
            "",
        )
        .await;
    assert!(status == 200 || status == 503, "{status}");
    assert!(
        !text.contains("warroom-confirm"),
        "no buttons for an unjournaled request: {text}"
    );
    // Stopping while records wait: a non-zero exit, and how many on stderr.
    let (exit, stderr) = served.stop();
    assert!(!exit.success(), "records were lost: {stderr}");
    assert!(stderr.contains("records could not be written"), "{stderr}");
    eprintln!("stopped on a full disk: {exit}, stderr: {}", stderr.trim());
    // Room again: a new bridge records, and the journal holds no note it refused.
    std::fs::remove_file(filler).unwrap();
    let served = Served::start(&journal, &cfg, &slack, &["--demo"], &[]);
    let (_, text) = served.command(ALICE, "note room again", "").await;
    assert!(text.contains("Recorded"), "{text}");
    let all = records(&journal);
    let notes: Vec<&str> = all
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Note(n) => Some(n.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["before the disk fills", "room again"]);
    assert!(
        Journal::open_existing(&journal)
            .unwrap()
            .verify()
            .unwrap()
            .is_ok()
    );
    drop(served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgeries_by_the_thousand_add_a_handful_of_records() {
    let (_dir, journal, _slack, served) = demo_bridge(false).await;
    let before = records(&journal).len();
    let url = format!("{}/slack/commands", served.url);
    let mut flood = tokio::task::JoinSet::new();
    for worker in 0..20 {
        let url = url.clone();
        flood.spawn(async move {
            for i in 0..250 {
                let body = command_body(
                    &format!("note forged \u{1b}[31m{worker}-{i}"),
                    "U0EVIL",
                    "evil",
                    "",
                );
                let headers = signed(format!("v0={:064x}", worker * 1000 + i), now());
                let (status, _) = post(&url, &headers, &body).await;
                assert_eq!(status, 401);
            }
        });
    }
    while let Some(done) = flood.join_next().await {
        done.unwrap();
    }
    // Still answering a real request after the flood.
    let (status, text) = served.command(ALICE, "status", "").await;
    assert_eq!(status, 200, "{text}");
    let (exit, stderr) = served.stop();
    assert!(exit.success(), "{stderr}");
    let all = records(&journal);
    let added = &all[before..];
    let counted: u64 = added
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Inbound(i) if !i.accepted => Some(i.count),
            _ => None,
        })
        .sum();
    assert_eq!(counted, 5_000, "every forgery is counted");
    // Besides the mirror's own messages (which do not depend on the flood): a handful.
    let bridge_records = added
        .iter()
        .filter(|r| {
            !matches!(
                r.body,
                RecordBody::ChatQueued(_) | RecordBody::ChatDelivery(_)
            )
        })
        .count();
    eprintln!("5,000 forgeries: {bridge_records} records added by the bridge");
    assert!(
        bridge_records <= 6,
        "{bridge_records} records for 5,000 forgeries"
    );
    let text: String = added.iter().map(|r| r.body.data()).collect();
    assert!(!text.contains("forged"), "no unverified text is journaled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_by_the_thousand_do_not_keep_a_signed_request_waiting() {
    let (_dir, _journal, _slack, served) = demo_bridge(false).await;
    let authority = served.url.trim_start_matches("http://").to_string();
    // More than the bridge keeps open at once: the oldest idle ones make room.
    let mut idle = Vec::new();
    for i in 0..1_500 {
        let mut s = tokio::net::TcpStream::connect(&authority).await.unwrap();
        if i % 2 == 0 {
            // Half-open requests: a start line and nothing more.
            let _ = s.write_all(b"POST /slack/commands HTTP/1.1\r\n").await;
        }
        idle.push(s);
    }
    let (health, _) = get(&format!("{}/healthz", served.url)).await;
    assert_eq!(health, 200);
    let body = command_body("status", ALICE, "alice", "");
    let started = Instant::now();
    let (status, text) = post_signed(
        &format!("{}/slack/commands", served.url),
        SECRET,
        now(),
        &body,
    )
    .await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{text}");
    eprintln!(
        "signed request answered in {took:?} beside {} idle sockets",
        idle.len()
    );
    // Generous for a slow machine: before, it hung for over 20 seconds.
    assert!(took < Duration::from_secs(3), "answered in {took:?}");
    drop(idle);
}

async fn get(url: &str) -> (u16, String) {
    use tokio::io::AsyncReadExt;
    let rest = url.trim_start_matches("http://");
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(authority).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(PATIENCE, s.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_replayed_after_a_restart_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let journal = demo_journal(dir.path());
    let slack = FakeSlack::start().await;
    let cfg = config(dir.path(), false);
    let served = Served::start(&journal, &cfg, &slack, &["--demo"], &[]);
    let body = command_body("note once only", ALICE, "alice", "");
    let ts = now();
    let signature = sign_all(SECRET, &[(ts, body.clone())]).pop().unwrap();
    let headers = signed(signature, ts);
    let (status, text) = post(&format!("{}/slack/commands", served.url), &headers, &body).await;
    assert_eq!(status, 200);
    assert!(text.contains("Recorded"), "{text}");
    let (exit, stderr) = served.stop();
    assert!(exit.success(), "{stderr}");
    // The same captured request, inside its five minutes, to a restarted bridge.
    let served = Served::start(&journal, &cfg, &slack, &["--demo"], &[]);
    let (status, text) = post(&format!("{}/slack/commands", served.url), &headers, &body).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("replay"), "{text}");
    let (exit, _) = served.stop();
    assert!(exit.success());
    let all = records(&journal);
    let notes = all
        .iter()
        .filter(|r| matches!(&r.body, RecordBody::Note(n) if n.text == "once only"))
        .count();
    assert_eq!(notes, 1);
    assert!(
        refusals(&all)
            .iter()
            .any(|w| w.contains("already handled (replay)"))
    );
}
