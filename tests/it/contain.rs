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
        let bench = Bench {
            dir: tempfile::tempdir().unwrap(),
        };
        Journal::open(&bench.path())
            .unwrap()
            .append(&opening_records(&b))
            .unwrap();
        let state = IncidentState::from_records(&bench.records());
        let plan = contain::default_plan(&Subject::Key(b.leaked_key.clone()), &state, Utc::now())
            .unwrap();
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
