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
    let found = code
        .finding(
            "dynamodb-table-encryption-enabled",
            "AWS::DynamoDB::Table",
            "orders",
        )
        .expect("the table in the code");
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
    let finding = RecordBody::Finding(Finding {
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
    });
    let rec = Record {
        seq: 1,
        at: chrono::Utc::now(),
        actor: "aws-config".into(),
        body: finding,
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
