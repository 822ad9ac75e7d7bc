//! From a finding to the people who wrote its template: a real git repository made here,
//! read by `Code::load`, and the incident thread's message naming them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use warroom::chat::blocks::{MirrorOptions, message_for};
use warroom::iac::locate::Code;
use warroom::model::{Finding, Record, RecordBody};
use warroom::state::IncidentState;

fn git(dir: &Path, who: (&str, &str), when: &str, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", when)
        .env("GIT_COMMITTER_DATE", when)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_finding_names_who_wrote_its_template_latest_first_and_mentions_them() {
    let (_repo, code) = orders_repo();
    let finding = orders_finding();
    let found = code.finding(&finding, None).expect("the table in the code");
    assert_eq!((found.path.as_str(), found.line), ("stacks/orders.yaml", 2));
    let names: Vec<&str> = found.authors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Li Wei", "Dana Kim"], "Sam only touched the bucket");

    // The thread's message: the file and line, the patch, and the authors, mentioned when
    // their Slack user is known (by e-mail here).
    let opts = MirrorOptions {
        mentions: BTreeMap::from([("li@example.com".to_string(), "U0LIWEI".to_string())]),
        code: Arc::new(code),
        ..MirrorOptions::default()
    };
    let rec = Record {
        seq: 1,
        at: chrono::Utc::now(),
        actor: "aws-config".into(),
        body: RecordBody::Finding(finding),
    };
    let m = message_for(&rec, &IncidentState::default(), &opts).expect("a message");
    let text = serde_json::to_string(&m.blocks).unwrap();
    assert!(text.contains("stacks/orders.yaml:2"), "{text}");
    assert!(text.contains("+      SSESpecification:"), "{text}");
    assert!(
        text.contains("*Written by* Li Wei <@U0LIWEI>, Dana Kim"),
        "{text}"
    );
}

/// The DynamoDB encryption finding on the `orders` table.
fn orders_finding() -> Finding {
    Finding {
        rule: "dynamodb-table-encryption-enabled".into(),
        rule_description: "Checks that DynamoDB tables are encrypted".into(),
        resource_type: "AWS::DynamoDB::Table".into(),
        resource_id: "orders".into(),
        region: "us-east-1".into(),
        compliance: "NON_COMPLIANT".into(),
        annotation: None,
        remediation: None,
        guidance: None,
        evaluated_at: None,
        stack: None,
        account: None,
    }
}

/// A repository made here: Dana wrote the orders table, Li changed its billing later, Sam
/// touched only the bucket beside it.
fn orders_repo() -> (tempfile::TempDir, Code) {
    let repo = tempfile::tempdir().unwrap();
    let d = repo.path();
    let dana = ("Dana Kim", "dana@example.com");
    let li = ("Li Wei", "li@example.com");
    let sam = ("Sam Ortiz", "sam@example.com");
    std::fs::create_dir_all(d.join("stacks")).unwrap();
    git(d, dana, "2026-10-01T10:00:00Z", &["init", "-q"]);
    let v1 = "Resources:\n  OrdersTable:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: orders\n  Site:\n    Type: AWS::S3::Bucket\n";
    std::fs::write(d.join("stacks/orders.yaml"), v1).unwrap();
    git(d, dana, "2026-10-01T10:00:00Z", &["add", "."]);
    git(
        d,
        dana,
        "2026-10-01T10:00:00Z",
        &["commit", "-qm", "the orders table"],
    );
    let v2 = v1.replace(
        "TableName: orders",
        "TableName: orders\n      BillingMode: PAY_PER_REQUEST",
    );
    std::fs::write(d.join("stacks/orders.yaml"), &v2).unwrap();
    git(
        d,
        li,
        "2026-11-20T09:00:00Z",
        &["commit", "-qam", "on-demand billing"],
    );
    let v3 = v2.replace(
        "AWS::S3::Bucket",
        "AWS::S3::Bucket\n    DeletionPolicy: Retain",
    );
    std::fs::write(d.join("stacks/orders.yaml"), v3).unwrap();
    git(
        d,
        sam,
        "2026-11-25T09:00:00Z",
        &["commit", "-qam", "keep the site"],
    );

    let (code, problems) = Code::load(&[d.to_path_buf()], Default::default());
    assert!(problems.is_empty(), "{problems:?}");
    (repo, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committers_get_the_finding_by_direct_message() {
    use crate::support::slack_api::FakeSlack;
    use warroom::chat::outbox::{self, MirrorConfig};
    use warroom::chat::slack::SlackApi;
    use warroom::config::secret::Secret;
    use warroom::journal::Journal;
    use warroom::model::{Delivery, NewRecord};

    let (_repo, code) = orders_repo();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("incident.sqlite");
    Journal::open(&journal)
        .unwrap()
        .append(&[NewRecord::new(
            chrono::Utc::now(),
            "aws-config",
            RecordBody::Finding(orders_finding()),
        )])
        .unwrap();
    // Li is found by e-mail; nobody in the workspace has Dana's.
    let slack = FakeSlack::start().await;
    slack.add_user("li@example.com", "U0LIWEI");
    let options = MirrorOptions {
        code: Arc::new(code),
        notify_committers: true,
        ..MirrorOptions::default()
    };
    let mut config = MirrorConfig::new("C0INCIDENT", options);
    config.per_second = 20.0;
    let api = SlackApi::new(&slack.url, &Secret::new("xoxb-test-token")).unwrap();
    let task = tokio::spawn(outbox::run(
        journal.clone(),
        api,
        config,
        Arc::new(warroom::clock::SystemClock),
        "test".into(),
    ));
    let deliveries = || -> Vec<(String, Delivery)> {
        Journal::open(&journal)
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.body {
                RecordBody::ChatDelivery(d) => Some((d.message_id, d.delivery)),
                _ => None,
            })
            .collect()
    };
    let start = std::time::Instant::now();
    while deliveries().len() < 3 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{:?}",
            deliveries()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    task.abort();

    let posts = slack.delivered();
    let channels: Vec<&str> = posts.iter().map(|p| p.channel.as_str()).collect();
    assert_eq!(channels, ["C0INCIDENT", "U0LIWEI"], "the thread, then Li");
    assert_eq!(posts[1].thread_ts, None, "a direct message is no reply");
    let dm = serde_json::to_string(&posts[1].blocks).unwrap();
    assert!(dm.contains("+      SSESpecification:"), "the patch: {dm}");
    assert!(dm.contains("stacks/orders.yaml:2"), "{dm}");
    assert_eq!(slack.lookups(), ["li@example.com", "dana@example.com"]);
    let dana = deliveries()
        .into_iter()
        .find(|(id, _)| id == "dm-1-1")
        .expect("Dana's message, answered");
    assert_eq!(
        dana.1,
        Delivery::Dropped {
            error: "no Slack user has the e-mail dana@example.com".into()
        },
        "said once, never retried"
    );
}

/// Two stacks deployed from one template file each, both with an unnamed table
/// `Table`: CloudFormation names them, so only the stack says which template made which.
const STACK_TABLE: &str = "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${AWS::StackName}-data'\n      BillingMode: PAY_PER_REQUEST\n      AttributeDefinitions:\n        - AttributeName: id\n          AttributeType: S\n      KeySchema:\n        - AttributeName: id\n          KeyType: HASH\n  Web:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n";

#[tokio::test]
async fn a_deployed_stack_leads_a_finding_to_its_template() {
    use warroom::source::aws::stacks::StackIndex;
    let moto = crate::support::moto::Moto::start();
    let cfn = aws_sdk_cloudformation::Client::new(&moto.sdk_config().await);
    for stack in ["billing", "orders"] {
        cfn.create_stack()
            .stack_name(stack)
            .template_body(STACK_TABLE)
            .send()
            .await
            .unwrap();
    }
    let listed = cfn
        .list_stack_resources()
        .stack_name("orders")
        .send()
        .await
        .unwrap();
    let physical = |logical: &str| {
        listed
            .stack_resource_summaries()
            .iter()
            .find(|r| r.logical_resource_id() == Some(logical))
            .and_then(|r| r.physical_resource_id())
            .unwrap()
            .to_string()
    };
    let (table, group) = (physical("Table"), physical("Web"));
    assert!(group.starts_with("sg-"), "{group}");

    let mut index = StackIndex::new(cfn.clone(), std::time::Duration::from_secs(60));
    let found = index.stack_of(&group).await.unwrap().unwrap();
    assert_eq!(
        (found.stack.as_str(), found.logical_id.as_str()),
        ("orders", "Web")
    );
    assert_eq!(index.stack_of("sg-not-deployed").await.unwrap(), None);

    // The finding on the orders table, told its stack, is found in orders.yaml, not in
    // billing.yaml, though both hold a `Table`.
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("stacks")).unwrap();
    for f in ["billing", "orders"] {
        std::fs::write(repo.path().join(format!("stacks/{f}.yaml")), STACK_TABLE).unwrap();
    }
    let (code, problems) = Code::load(&[repo.path().to_path_buf()], Default::default());
    assert_eq!(problems.len(), 0, "{problems:?}");
    let finding = Finding {
        rule: "dynamodb-table-encryption-enabled".into(),
        rule_description: String::new(),
        resource_type: "AWS::DynamoDB::Table".into(),
        resource_id: table.clone(),
        region: crate::support::moto::REGION.into(),
        compliance: "NON_COMPLIANT".into(),
        annotation: None,
        remediation: None,
        guidance: None,
        evaluated_at: None,
        stack: index.stack_of(&table).await.unwrap(),
        account: None,
    };
    let at = code.finding(&finding, None).expect("found by its stack");
    assert_eq!(
        (at.path.as_str(), at.logical_id.as_str()),
        ("stacks/orders.yaml", "Table")
    );
    assert!(at.patch.unwrap().contains("+      SSESpecification:"));
}
