//! Containment against moto: a plan built from the breach's CloudTrail runs through the
//! real SDK clients, stops where an (injected) AccessDenied stops it, resumes, and leaves
//! moto contained — and the bystander untouched.

use crate::support::breach::{self, BACKDOOR, BYSTANDER, Breach, LEAKED_USER};
use crate::support::moto::Moto;
use async_trait::async_trait;
use chrono::Utc;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use warroom::clock::FixedClock;
use warroom::journal::{Journal, JournalTask};
use warroom::model::{
    Action, ApiCall, CloudTrailEvent, KeySnapshot, KeyStatus, NewRecord, Origin, Record,
    RecordBody, Step, UserSnapshot,
};
use warroom::respond::blast::Subject;
use warroom::respond::lifecycle::{ConfirmRules, Lifecycle, Policy};
use warroom::respond::{ApiError, ResponseApi, contain};
use warroom::source::aws::responder::AwsResponder;
use warroom::state::IncidentState;

/// The real responder, except that one kind of call in one region is refused as IAM would
/// refuse it: a stand-in for a permission the responder's role lacks, injected because moto
/// enforces no IAM policy here.
struct Refusing {
    real: AwsResponder,
    operation: &'static str,
    region: &'static str,
    made: Mutex<Vec<String>>,
}

#[async_trait]
impl ResponseApi for Refusing {
    async fn call(&self, call: &ApiCall) -> Result<Value, ApiError> {
        if call.operation == self.operation && call.region.as_deref() == Some(self.region) {
            return Err(ApiError::new(
                "UnauthorizedOperation",
                format!("You are not authorized to perform: ec2:{}", self.operation),
            ));
        }
        self.made.lock().unwrap().push(call.name());
        self.real.call(call).await
    }
}

fn opening_records(b: &Breach) -> Vec<NewRecord> {
    let now = Utc::now();
    let mut out = Vec::new();
    for (user, key) in [
        (LEAKED_USER, &b.leaked_key),
        (BACKDOOR, &b.backdoor_key),
        (BYSTANDER, &b.bystander_key),
    ] {
        out.push(NewRecord::new(
            now,
            "iam",
            RecordBody::User(UserSnapshot {
                name: user.into(),
                arn: format!("arn:aws:iam::{}:user/{user}", breach::ACCOUNT),
                created: now,
                inline_policies: vec![],
                attached_policies: vec![],
            }),
        ));
        out.push(NewRecord::new(
            now,
            "iam",
            RecordBody::Key(KeySnapshot {
                user: user.into(),
                access_key_id: key.clone(),
                status: KeyStatus::Active,
                created: now,
                last_used: None,
                last_used_service: None,
                last_used_region: None,
                account: None,
            }),
        ));
    }
    for e in &b.trail {
        let e = CloudTrailEvent::from_json(&e.to_string()).unwrap();
        out.push(NewRecord::new(
            e.event_time,
            "cloudtrail",
            RecordBody::Event(Arc::new(e)),
        ));
    }
    out
}

struct Bench {
    dir: tempfile::TempDir,
}

impl Bench {
    /// A journal holding the breach's IAM snapshots and trail, and the default plan for its
    /// leaked key built from it.
    fn for_breach(b: &Breach) -> (Bench, Action) {
        let bench = Bench {
            dir: tempfile::tempdir().unwrap(),
        };
        Journal::open(&bench.path())
            .unwrap()
            .append(&opening_records(b))
            .unwrap();
        let state = IncidentState::from_records(&bench.records());
        let plan =
            contain::default_plan(&Subject::Key(b.leaked_key.clone()), &state, Utc::now()).unwrap();
        (bench, plan)
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("incident.sqlite")
    }

    fn records(&self) -> Vec<Record> {
        Journal::open(&self.path()).unwrap().read_all().unwrap()
    }

    /// Requests, confirms and runs `action` as `who`, on its own journal connection.
    async fn run(&self, api: Arc<dyn ResponseApi>, action: Action) -> Result<String, String> {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let task = JournalTask::spawn(
            Journal::open(&self.path()).unwrap(),
            i64::MAX,
            tx,
            std::time::Duration::from_millis(20),
        );
        let policy = Policy {
            presenter: "console",
            read_only: false,
            dry_run: false,
        };
        let lifecycle = Lifecycle::new(
            task.writer(),
            Some(api),
            Arc::new(FixedClock(Utc::now())),
            policy,
        );
        let state = IncidentState::from_records(&self.records());
        let opened = lifecycle
            .request(action.clone(), Origin::Cli, "tester", &state, None)
            .await
            .unwrap();
        let view = lifecycle
            .confirm(
                &opened.id,
                &action.fingerprint(),
                "tester",
                &ConfirmRules::default(),
            )
            .await
            .unwrap();
        let outcome = lifecycle.execute(&view, "tester").await;
        assert_eq!(task.shutdown(), 0, "every step journaled");
        outcome
    }
}

/// The calls each journaled step says were made, in order.
fn made_calls(records: &[Record], action_id: &str) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) if s.action_id == action_id => match &s.step {
                Step::Progress { made: Some(c), .. } => Some(c.name()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn a_plan_stops_at_a_refusal_resumes_and_contains_the_breach_and_nothing_else() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sdk = moto.sdk_config().await;
        let b = breach::make(&sdk, &["us-east-1", "eu-west-1"], 2).await;
        let (bench, plan) = Bench::for_breach(&b);
        let verbs: Vec<&str> = plan.steps().iter().map(Action::verb).collect();
        // The leaked key and the back door's key first, then the principal.
        assert_eq!(verbs[..4], ["deactivate", "deactivate", "revoke-sessions", "deny-all"]);
        assert_eq!(verbs.iter().filter(|v| **v == "isolate").count(), 4);
        assert!(verbs.contains(&"delete-user") && !verbs.contains(&"terminate"), "{verbs:?}");

        // First run: stopping in us-east-1 (after eu-west-1, regions in order) is refused.
        let real = || AwsResponder::new(&sdk, BTreeMap::new(), Arc::new(Notify::new()));
        let refusing = Arc::new(Refusing {
            real: real(),
            operation: "StopInstances",
            region: "us-east-1",
            made: Mutex::new(Vec::new()),
        });
        let error = bench.run(refusing.clone(), plan.clone()).await.unwrap_err();
        let stop_us = plan
            .steps()
            .iter()
            .position(|s| matches!(s, Action::StopInstances { region, .. } if region == "us-east-1"))
            .unwrap();
        assert!(
            error.starts_with(&format!("step {}/{}", stop_us + 1, plan.steps().len()))
                && error.contains("UnauthorizedOperation"),
            "{error}"
        );
        let records = bench.records();
        let state = IncidentState::from_records(&records);
        let first = contain::last_failed_plan(&state).expect("the failed plan");
        // The journal says exactly what ran: every call made, in order, and nothing after.
        let journaled = made_calls(&records, &first.id);
        let sent = refusing.made.lock().unwrap().clone();
        assert_eq!(journaled[..sent.len()], sent[..], "journaled vs made");
        assert!(!journaled.iter().any(|c| c == "iam:DeleteUser"), "stopped before the back door");
        for (region, id) in b.attacker_instances() {
            let (now, _) = breach::instance(&sdk, region, id).await;
            let want = if region == "us-east-1" { "running" } else { "stopped" };
            assert_eq!(now, want, "{region} {id}");
        }

        // Resumed: only the steps not done run, and finish.
        let rest = contain::rest_of(first).unwrap();
        assert_eq!(rest.steps().len(), plan.steps().len() - stop_us);
        assert!(matches!(&rest.steps()[0], Action::StopInstances { region, .. } if region == "us-east-1"));
        bench.run(Arc::new(real()), rest).await.unwrap();

        // Moto, read back with our own clients.
        let iam = aws_sdk_iam::Client::new(&sdk);
        let keys = iam.list_access_keys().user_name(LEAKED_USER).send().await.unwrap();
        assert_eq!(keys.access_key_metadata()[0].status().unwrap().as_str(), "Inactive");
        let deny = iam
            .get_user_policy()
            .user_name(LEAKED_USER)
            .policy_name("warroom-deny-all")
            .send()
            .await;
        assert!(deny.is_ok(), "deny-all attached");
        let gone = iam.get_user().user_name(BACKDOOR).send().await.unwrap_err();
        assert!(format!("{:?}", gone).contains("NoSuchEntity"), "{gone:?}");
        for (region, id) in b.attacker_instances() {
            let (now, groups) = breach::instance(&sdk, region, id).await;
            assert_eq!(now, "stopped", "{region} {id}");
            let ec2 = breach::ec2_in(&sdk, region);
            let group = ec2
                .describe_security_groups()
                .group_ids(&groups[0])
                .send()
                .await
                .unwrap();
            let g = &group.security_groups()[0];
            assert_eq!((groups.len(), g.group_name()), (1, Some("warroom-quarantine")));
            assert!(g.ip_permissions().is_empty() && g.ip_permissions_egress().is_empty(), "{g:?}");
        }
        for (region, ids) in &b.instances {
            let ec2 = breach::ec2_in(&sdk, region);
            let snaps = ec2
                .describe_snapshots()
                .owner_ids("self")
                .send()
                .await
                .unwrap();
            let tagged: Vec<_> = snaps
                .snapshots()
                .iter()
                .filter(|s| s.tags().iter().any(|t| t.key() == Some("warroom:incident")))
                .collect();
            assert!(tagged.len() >= ids.len(), "{region}: a snapshot per instance, {tagged:?}");
            let pairs = ec2.describe_key_pairs().send().await.unwrap();
            assert!(pairs.key_pairs().is_empty(), "{region}: the attacker's key pair is gone");
        }
        for (region, group, rule) in &b.ingress {
            let rules = breach::ec2_in(&sdk, region)
                .describe_security_group_rules()
                .security_group_rule_ids(rule)
                .send()
                .await;
            let left = rules.map(|r| r.security_group_rules().len()).unwrap_or(0);
            assert_eq!(left, 0, "{region} {group} {rule} revoked");
        }
        // The bystander: key, password, instance and its groups as they were.
        let theirs = iam.list_access_keys().user_name(BYSTANDER).send().await.unwrap();
        assert_eq!(theirs.access_key_metadata()[0].status().unwrap().as_str(), "Active");
        assert!(iam.get_login_profile().user_name(BYSTANDER).send().await.is_ok());
        let (region, id) = &b.bystander_instance;
        let (now, groups) = breach::instance(&sdk, region, id).await;
        assert_eq!(now, "running");
        assert!(!groups.is_empty());
        let names = breach::ec2_in(&sdk, region)
            .describe_security_groups()
            .group_ids(&groups[0])
            .send()
            .await
            .unwrap();
        assert_ne!(names.security_groups()[0].group_name(), Some("warroom-quarantine"));
        // Only detached: the policy itself and the group stay for the postmortem.
        assert_eq!(
            iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies().len(),
            1
        );
        assert!(iam.get_group().group_name("operators").send().await.is_ok());
    });
}

/// The live console on moto, with the breach's trail read from its archive; `config` is
/// the console's config file.
fn live_console(
    moto: &Moto,
    home: &std::path::Path,
    trail: &std::path::Path,
    config: &str,
) -> (crate::support::terminal::Console, std::path::PathBuf) {
    let dir = home.join("config/warroom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let journal = home.join("live.sqlite");
    let c = crate::support::terminal::Console::start_with_env(
        home,
        &[
            "live",
            "--region",
            "us-east-1",
            "--poll-seconds",
            "2",
            "--cloudtrail",
            trail.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ],
        &moto.env(),
    );
    (c, journal)
}

fn key_status(rt: &tokio::runtime::Runtime, sdk: &aws_config::SdkConfig, user: &str) -> String {
    rt.block_on(key_status_async(sdk, user))
}

#[test]
fn the_console_contains_a_leaked_key_from_its_alert_in_one_confirmation() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sdk = rt.block_on(moto.sdk_config());
    let b = rt.block_on(breach::make(&sdk, &["us-east-1", "eu-west-1"], 2));
    let home = tempfile::tempdir().unwrap();
    let trail = b.write_trail(home.path());
    let (mut c, journal) = live_console(&moto, home.path(), &trail, "");
    c.wait_for("LIVE");
    c.keys("1");
    c.wait_for("GPU instances launched by build-bot");
    c.keys("b");
    c.wait_for("Blast radius of");
    c.wait_for("svc-backup");
    c.keys("c");
    c.wait_for("Contain ");
    // Deleting the back-door user cannot be undone: the plan asks for the key's last four.
    let code = &b.leaked_key[b.leaked_key.len() - 4..];
    c.keys(code);
    c.keys("y");
    c.wait_for("Done: Contain");
    c.keys("q");
    assert!(c.wait_exit().success(), "{}", c.contents());
    assert_eq!(key_status(&rt, &sdk, LEAKED_USER), "Inactive");
    rt.block_on(async {
        for (region, id) in b.attacker_instances() {
            assert_eq!(
                breach::instance(&sdk, region, id).await.0,
                "stopped",
                "{id}"
            );
        }
        let (region, id) = &b.bystander_instance;
        assert_eq!(breach::instance(&sdk, region, id).await.0, "running");
        let iam = aws_sdk_iam::Client::new(&sdk);
        assert!(iam.get_user().user_name(BACKDOOR).send().await.is_err());
    });
    let records = Journal::open_existing(&journal)
        .unwrap()
        .read_all()
        .unwrap();
    let plan_steps: Vec<&str> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) if !matches!(s.step, Step::Progress { .. }) => {
                Some(s.step.name())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        plan_steps,
        ["requested", "confirmed", "succeeded"],
        "one plan, confirmed once"
    );
}

const POLICY: &str = r#"
[[policy]]
name = "cut-leaked-keys"
detections = ["expensive-launch", "persistence", "launch-burst"]
respond = "deactivate"
delay = "DELAY"
"#;

fn policy_requests(journal: &std::path::Path) -> Vec<(String, &'static str)> {
    crate::slack::steps(&crate::slack::records(journal))
}

#[test]
fn a_policy_deactivates_the_key_after_its_delay_and_only_once() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sdk = rt.block_on(moto.sdk_config());
    let b = rt.block_on(breach::make(&sdk, &["us-east-1"], 2));
    let home = tempfile::tempdir().unwrap();
    let trail = b.write_trail(home.path());
    let (mut c, journal) = live_console(&moto, home.path(), &trail, &POLICY.replace("DELAY", "3s"));
    c.wait_for("LIVE");
    c.wait_for("unless vetoed");
    c.wait_for("Deactivate access key");
    let start = std::time::Instant::now();
    while key_status(&rt, &sdk, LEAKED_USER) != "Inactive" {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{}",
            c.contents()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    c.keys("q");
    assert!(c.wait_exit().success(), "{}", c.contents());
    // Several alerts name the key (launches, persistence): one response.
    let steps = policy_requests(&journal);
    let who = "policy:cut-leaked-keys".to_string();
    assert_eq!(
        steps,
        [
            (who.clone(), "requested"),
            (who.clone(), "confirmed"),
            (who, "succeeded")
        ]
    );
}

#[test]
fn a_veto_from_the_console_stops_the_policy() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sdk = rt.block_on(moto.sdk_config());
    let b = rt.block_on(breach::make(&sdk, &["us-east-1"], 1));
    let home = tempfile::tempdir().unwrap();
    let trail = b.write_trail(home.path());
    let (mut c, journal) =
        live_console(&moto, home.path(), &trail, &POLICY.replace("DELAY", "20s"));
    c.wait_for("unless vetoed");
    c.keys(":veto\r");
    c.wait_for("Vetoed: Deactivate access key");
    // Past its time, nothing ran.
    std::thread::sleep(std::time::Duration::from_secs(21));
    c.keys("q");
    assert!(c.wait_exit().success(), "{}", c.contents());
    assert_eq!(key_status(&rt, &sdk, LEAKED_USER), "Active");
    let steps = policy_requests(&journal);
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(
        steps[0],
        ("policy:cut-leaked-keys".to_string(), "requested")
    );
    assert_eq!(steps[1].1, "cancelled");
    assert!(steps[1].0.ends_with("@tui"), "{steps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_veto_click_on_the_announcement_stops_the_policy_in_serve() {
    use crate::slack::{ALICE, Served, records, steps, wait_for};
    use crate::support::slack_api::FakeSlack;
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let b = breach::make(&sdk, &["us-east-1"], 1).await;
    let dir = tempfile::tempdir().unwrap();
    let trail = b.write_trail(dir.path());
    let journal = dir.path().join("live.sqlite");
    Journal::open(&journal).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[slack]\nchannel = \"C0INCIDENT\"\n[slack.permissions]\ncontain = [\"{ALICE}\"]\n{}",
            POLICY.replace("DELAY", "20s")
        ),
    )
    .unwrap();
    let slack = FakeSlack::start().await;
    let served = Served::start(
        &journal,
        &config,
        &slack,
        &[
            "--region",
            "us-east-1",
            "--cloudtrail",
            trail.to_str().unwrap(),
        ],
        &moto.env(),
    );
    let all = wait_for(&journal, "the policy's request", |all| {
        !steps(all).is_empty()
    });
    let (actor, step) = &steps(&all)[0];
    assert_eq!(
        (actor.as_str(), *step),
        ("policy:cut-leaked-keys", "requested")
    );
    // The thread hears of it, with a Veto button naming the request and what it does.
    let value = crate::slack::last_requested(&all);
    let start = std::time::Instant::now();
    let announced = loop {
        let found = slack
            .delivered()
            .into_iter()
            .find(|p| p.blocks.to_string().contains("unless vetoed"));
        if let Some(p) = found {
            break p;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "never announced"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let blocks = announced.blocks.to_string();
    assert!(
        blocks.contains("Veto") && blocks.contains(&value),
        "{blocks}"
    );
    served.click(ALICE, "warroom-cancel", &value, "").await;
    wait_for(&journal, "the veto", |all| {
        steps(all).iter().any(|(_, s)| *s == "cancelled")
    });
    tokio::time::sleep(std::time::Duration::from_secs(21)).await;
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        key_status_async(&sdk, LEAKED_USER).await,
        "Active",
        "vetoed: not run"
    );
    let steps = steps(&records(&journal));
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[1].1, "cancelled");
    assert!(steps[1].0.contains(ALICE), "{steps:?}");
}

async fn key_status_async(sdk: &aws_config::SdkConfig, user: &str) -> String {
    let iam = aws_sdk_iam::Client::new(sdk);
    let keys = iam.list_access_keys().user_name(user).send().await.unwrap();
    keys.access_key_metadata()[0]
        .status()
        .unwrap()
        .as_str()
        .to_string()
}

/// The containment benchmark (`benches/README.md`), not a test: `cargo test --test it
/// contain::bench -- --ignored --nocapture`. Times warroom's plan over 50 instances in three
/// regions against moto — planned, confirmed, every call journaled — and, on a second moto
/// with the same breach, the same playbook written by hand with boto3
/// (`benches/contain_peer.py`); prints both and their ratio.
#[test]
#[ignore = "a benchmark: run it on purpose"]
fn bench_a_plan_over_fifty_instances_in_three_regions() {
    let regions = ["us-east-1", "eu-west-1", "ap-southeast-1"];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rounds = 3;
    let (mut ours, mut peers) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let moto = Moto::start();
        let sdk = rt.block_on(moto.sdk_config());
        let b = rt.block_on(async {
            let mut b = breach::make(&sdk, &regions[..1], 17).await;
            // Two more regions, 17 and 16: the breach helper makes one user, so the
            // instances elsewhere are launched alike and added to its trail.
            for (region, n) in [(regions[1], 17), (regions[2], 16)] {
                let more = breach::more_instances(&sdk, region, n, &b.leaked_key).await;
                b.trail.extend(more.1);
                b.instances.push((region.to_string(), more.0));
            }
            b
        });
        assert_eq!(b.attacker_instances().count(), 50);
        let (bench, plan) = Bench::for_breach(&b);
        let api = Arc::new(AwsResponder::new(
            &sdk,
            BTreeMap::new(),
            Arc::new(Notify::new()),
        ));
        let start = std::time::Instant::now();
        rt.block_on(bench.run(api, plan)).unwrap();
        ours.push(start.elapsed().as_secs_f64());
        rt.block_on(async {
            for (region, id) in b.attacker_instances() {
                assert_eq!(breach::instance(&sdk, region, id).await.0, "stopped");
            }
        });

        let peer_moto = Moto::start();
        let peer_sdk = rt.block_on(peer_moto.sdk_config());
        let p = rt.block_on(async {
            let mut p = breach::make(&peer_sdk, &regions[..1], 17).await;
            for (region, n) in [(regions[1], 17), (regions[2], 16)] {
                let more = breach::more_instances(&peer_sdk, region, n, &p.leaked_key).await;
                p.instances.push((region.to_string(), more.0));
                p.ingress.extend(more.2);
            }
            p
        });
        let spec = serde_json::json!({
            "user": LEAKED_USER, "key": p.leaked_key, "backdoor": BACKDOOR,
            "instances": p.instances.iter().cloned().collect::<BTreeMap<_, _>>(),
            "ingress": p.ingress,
        });
        let file = bench.dir.path().join("breach.json");
        std::fs::write(&file, spec.to_string()).unwrap();
        let out = std::process::Command::new(crate::support::python::venv().join("bin/python"))
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/benches/contain_peer.py"
            ))
            .arg(&peer_moto.endpoint)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        peers.push(
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .unwrap(),
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (w, p) = (median(&mut ours), median(&mut peers));
    println!(
        "containment of 50 instances in 3 regions against moto, median of {rounds}: warroom {w:.2} s (runs {ours:?}), boto3 by hand {p:.2} s (runs {peers:?}); warroom/boto3 = {:.2}",
        w / p
    );
}
