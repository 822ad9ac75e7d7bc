//! warroom's AWS code against moto's server, with the real Rust SDK: IAM responses, the IAM,
//! trail and Security Hub sources, and the live console driven end to end.

use crate::support::moto::Moto;
use crate::support::terminal::Console;
use aws_sdk_iam::types::StatusType;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Notify;
use warroom::journal::Journal;
use warroom::model::{Action, KeyStatus, PrincipalRef, RecordBody, Severity, Step};
use warroom::respond::{ResponseApi, execute, plan::plan};
use warroom::source::aws::iam::IamSource;
use warroom::source::aws::responder::AwsResponder;
use warroom::source::aws::trails::{TrailTracker, trail_health};
use warroom::source::aws::{securityhub, trails};

async fn seeded(iam: &aws_sdk_iam::Client, user: &str) -> String {
    iam.create_user().user_name(user).send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .unwrap();
    key.access_key().unwrap().access_key_id().to_string()
}

async fn status_of(iam: &aws_sdk_iam::Client, user: &str, key: &str) -> Option<StatusType> {
    let keys = iam.list_access_keys().user_name(user).send().await.unwrap();
    keys.access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(key))
        .and_then(|k| k.status().cloned())
}

fn responder(sdk: &aws_config::SdkConfig) -> AwsResponder {
    AwsResponder::new(sdk, BTreeMap::new(), Arc::new(Notify::new()))
}

async fn run(api: &dyn ResponseApi, action: Action) -> Result<String, String> {
    execute(api, &plan(&action), &|_| {}, &|_, _| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_change_iam_as_planned() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let key = seeded(&iam, "admin-ops").await;
    let api = responder(&sdk);

    let deactivate = Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: key.clone(),
    };
    run(&api, deactivate).await.unwrap();
    assert_eq!(
        status_of(&iam, "admin-ops", &key).await,
        Some(StatusType::Inactive)
    );

    run(
        &api,
        Action::DenyAll {
            user: "admin-ops".into(),
        },
    )
    .await
    .unwrap();
    let doc = iam
        .get_user_policy()
        .user_name("admin-ops")
        .policy_name("warroom-deny-all")
        .send()
        .await
        .unwrap();
    // IAM hands policy documents back URL-encoded.
    let doc: serde_json::Value =
        serde_json::from_str(&urlencoding::decode(doc.policy_document()).unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Effect"], "Deny");

    iam.create_role()
        .role_name("Deployer")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .unwrap();
    let revoke = Action::RevokeSessions {
        principal: PrincipalRef::Role("Deployer".into()),
        issued_before: chrono::Utc::now(),
    };
    run(&api, revoke).await.unwrap();
    let policies = iam
        .list_role_policies()
        .role_name("Deployer")
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names(), ["AWSRevokeOlderSessions"]);

    let delete = Action::DeleteKey {
        user: "admin-ops".into(),
        access_key_id: key.clone(),
    };
    run(&api, delete).await.unwrap();
    assert_eq!(status_of(&iam, "admin-ops", &key).await, None, "gone");

    // AWS's own error, in words: the key is gone now.
    let again = Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: key,
    };
    let err = run(&api, again).await.unwrap_err();
    assert!(
        err.starts_with("iam:UpdateAccessKey failed — NoSuchEntity"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_iam_source_lists_users_keys_and_last_use() {
    let moto = Moto::start();
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
    let key = seeded(&iam, "dana").await;
    iam.update_access_key()
        .user_name("dana")
        .access_key_id(&key)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let snap = IamSource::new(iam).snapshot().await.unwrap();
    assert_eq!(snap.users.len(), 1);
    assert_eq!(snap.users[0].name, "dana");
    assert_eq!(snap.keys.len(), 1);
    assert_eq!(snap.keys[0].access_key_id, key);
    assert_eq!(snap.keys[0].status, KeyStatus::Inactive);
    assert_eq!(snap.keys[0].last_used_service, None, "never used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_trail_raises_a_critical_alert() {
    let moto = Moto::start();
    moto.create_bucket("trail-logs");
    let client = aws_sdk_cloudtrail::Client::new(&moto.sdk_config().await);
    client
        .create_trail()
        .name("main-trail")
        .s3_bucket_name("trail-logs")
        .send()
        .await
        .unwrap();
    client
        .start_logging()
        .name("main-trail")
        .send()
        .await
        .unwrap();
    let mut tracker = TrailTracker::default();
    let now = chrono::Utc::now();
    let healthy = trail_health(&client).await.unwrap();
    assert_eq!(healthy.len(), 1);
    assert!(healthy[0].logging);
    assert!(tracker.changes(&healthy, now).is_empty());

    client
        .stop_logging()
        .name("main-trail")
        .send()
        .await
        .unwrap();
    let stopped = trail_health(&client).await.unwrap();
    assert!(!stopped[0].logging);
    let changes = tracker.changes(&stopped, now);
    let RecordBody::Alert(alert) = &changes[0] else {
        panic!("{changes:?}")
    };
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.id, trails::not_logging_alert(&stopped[0], now).id);
}

#[test]
fn security_hub_findings_imported_come_back_as_alerts() {
    // Findings are large shapes: their (de)serialisation wants the stack the console's own
    // runtime gives its workers.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(warroom::subcommands::WORKER_STACK)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { rt.spawn(security_hub_round_trip()).await.unwrap() });
}

async fn security_hub_round_trip() {
    let moto = Moto::start();
    let hub = aws_sdk_securityhub::Client::new(&moto.sdk_config().await);
    hub.enable_security_hub().send().await.unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/securityhub-asff/");
    let mut findings = Vec::new();
    for file in [
        "afsbp-iam.8.json",
        "afsbp-cloudfront.1.json",
        "afsbp-config.1.json",
    ] {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}{file}")).unwrap())
                .unwrap();
        findings.extend(securityhub::findings_from_asff(&json).unwrap());
    }
    securityhub::import(&hub, findings).await.unwrap();
    let all = securityhub::active_findings(&hub, Severity::Info)
        .await
        .unwrap();
    assert_eq!(all.len(), 3, "{all:#?}");
    let high = securityhub::active_findings(&hub, Severity::High)
        .await
        .unwrap();
    assert!(
        high.iter().all(|a| a.severity >= Severity::High),
        "{high:#?}"
    );
    assert!(high.len() < all.len());
}

#[test]
fn live_console_deactivates_a_key_in_the_account_through_the_dialog() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let iam = rt.block_on(async { aws_sdk_iam::Client::new(&moto.sdk_config().await) });
    let key = rt.block_on(seeded(&iam, "ci-deploy"));
    rt.block_on(
        iam.create_account_alias()
            .account_alias("tideline-prod")
            .send(),
    )
    .unwrap();

    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("live.sqlite");
    let mut c = Console::start_with_env(
        home.path(),
        &[
            "live",
            "--region",
            "us-east-1",
            "--poll-seconds",
            "2",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &moto.env(),
    );
    c.wait_for("LIVE");
    c.wait_for("as arn:aws:sts::123456789012:user/moto");
    c.keys("4");
    c.wait_for(&key);
    // moto has no LookupEvents: the Activity pane says so, and the console carries on.
    c.keys("3");
    c.wait_for("cloudtrail:us-east-1: cloudtrail:LookupEvents: the endpoint answered HTTP 500");
    c.keys("4/ci-deploy\r");
    c.keys("d");
    c.wait_for(&format!("Deactivate access key {key} of ci-deploy"));
    // The dialog names the account it acts in, by ID and alias, and as whom.
    c.wait_for("In account 123456789012 (tideline-prod)");
    c.wait_for("as arn:aws:sts::123456789012:user/moto");
    c.keys("y");
    c.wait_for("Done: Deactivate access key");
    c.wait_for("Inactive");
    c.keys("q");
    assert!(c.wait_exit().success(), "{}", c.contents());

    // Read back from moto with a client of our own.
    assert_eq!(
        rt.block_on(status_of(&iam, "ci-deploy", &key)),
        Some(StatusType::Inactive)
    );
    let records = Journal::open_existing(&journal)
        .unwrap()
        .read_all()
        .unwrap();
    let steps: Vec<&str> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) => Some(s.step.name()),
            _ => None,
        })
        .collect();
    assert_eq!(steps, ["requested", "confirmed", "succeeded"]);
    assert!(records.iter().any(|r| matches!(&r.body,
        RecordBody::Action(s) if matches!(&s.step, Step::Requested { action: Action::DeactivateKey { access_key_id, .. }, .. } if *access_key_id == key))));
}

/// `live --org`: every account of the organization watched through its role, a key of a
/// member account shown with its account, and its deactivation made there, with the
/// response role, after a dialog that names that account.
#[test]
fn live_org_deactivates_a_member_accounts_key_in_that_account() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (member, member_sdk) = rt.block_on(async {
        let sdk = moto.sdk_config().await;
        let orgs = aws_sdk_organizations::Client::new(&sdk);
        orgs.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
        let made = orgs
            .create_account()
            .account_name("payments")
            .email("payments@example.com")
            .send()
            .await
            .unwrap();
        let member = made
            .create_account_status()
            .unwrap()
            .account_id()
            .unwrap()
            .to_string();
        // moto answers assumed credentials in the role's account.
        let provider = aws_config::sts::AssumeRoleProvider::builder(format!(
            "arn:aws:iam::{member}:role/setup"
        ))
        .session_name("setup")
        .configure(&sdk)
        .build()
        .await;
        let member_sdk = sdk
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
        (member, member_sdk)
    });
    let member_iam = aws_sdk_iam::Client::new(&member_sdk);
    let key = rt.block_on(seeded(&member_iam, "ci-deploy"));

    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("live.sqlite");
    let mut c = Console::start_with_env(
        home.path(),
        &[
            "live",
            "--org",
            "--region",
            "us-east-1",
            "--poll-seconds",
            "2",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &moto.env(),
    );
    c.wait_for("LIVE");
    c.keys("4");
    c.wait_for(&key);
    c.wait_for(&format!("in {member}"));
    c.keys("/ci-deploy\r");
    c.keys("d");
    c.wait_for(&format!("Deactivate access key {key} of ci-deploy"));
    c.wait_for(&format!("In account {member}"));
    c.wait_for(&format!(
        "as arn:aws:iam::{member}:role/WarroomIncidentResponse"
    ));
    c.wait_for("in session warroom-");
    c.keys("y");
    c.wait_for("Done: Deactivate access key");
    c.keys("q");
    assert!(c.wait_exit().success(), "{}", c.contents());
    assert_eq!(
        rt.block_on(status_of(&member_iam, "ci-deploy", &key)),
        Some(StatusType::Inactive)
    );
    let records = Journal::open_existing(&journal)
        .unwrap()
        .read_all()
        .unwrap();
    assert!(records.iter().any(|r| matches!(&r.body,
        RecordBody::Action(s) if matches!(&s.step, Step::Requested { calls, .. } if calls[0].account.as_deref() == Some(member.as_str())))));
}
