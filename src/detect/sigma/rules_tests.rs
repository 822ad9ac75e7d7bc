//! The shipped starter rules: they load, follow the house conventions, fire on the recorded
//! Stratus Red Team detonations they are meant for, and stay quiet on routine activity.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;

/// The starter rules, as the repository holds them.
fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules")
}

/// CloudTrail records of Stratus Red Team detonations, one JSON array per technique.
fn stratus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/stratus-detonation-logs")
}

fn starter_rules() -> RuleSet {
    let (rules, errors) = load_dir(&rules_dir());
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "starter rules must all load: {errors:#?}"
    );
    RuleSet::new(rules)
}

/// Rule ids, named after their files.
const GET_PASSWORD_DATA: &str = "1647e45b-6ae3-4bdc-bdca-d3b0a994bc6b";
const INSTANCE_CREDENTIALS_WHOAMI: &str = "0f9ff0ae-3a38-436f-a1b1-55faa917c832";
const SECRETS_BATCH_GET: &str = "1c1dab2c-35f0-44de-a8a8-ef88fa119976";
const SECRET_GET_BY_IAM_USER: &str = "0d52edc9-9660-43f3-bbfc-df2068d181ab";
const SECURESTRING_BY_IAM_USER: &str = "51fb103a-6c4c-44c0-978c-b26b8c355c25";
const DNS_QUERY_LOGGING_REMOVED: &str = "eb4c72ca-4f47-4a14-a0ab-69673c671c7a";
const ORGANIZATIONS_LEAVE: &str = "d928d157-f3f8-4671-8a25-7456567806eb";
const FLOW_LOGS_DELETED: &str = "05005fc1-50a6-4a94-b4ad-e65dfe8c5ea6";
const USER_DATA_READ: &str = "fdb12841-fcb2-4693-92af-b52ea01006c2";
const USER_DATA_MODIFIED: &str = "0dbd58ac-b1c5-4d10-9580-afcbd047df6a";
const SSM_SEND_COMMAND_SHELL: &str = "14b8d7d1-b5ed-45c0-9192-22314aa2b36e";
const SSM_START_SESSION: &str = "353423b6-cf02-42bb-882d-b1f4a1ca538f";
const BEDROCK_INVOKE: &str = "4df85139-932a-4cc8-9f0f-e205c87a8a93";
const BEDROCK_ACCESS_ENABLED: &str = "edd6dcaa-3992-4e5c-ad31-d09937c678d9";
const INSTANCE_CONNECT_KEY: &str = "12c737d5-1fd9-44dd-b9f4-f4e15e0a9046";
const SERIAL_CONSOLE: &str = "02b1553f-2d5d-47c6-935f-fa517b1ba72a";
const LAMBDA_LAYER_ATTACHED: &str = "1776498b-a45e-416d-bb9a-eecd5f58c696";
const LAMBDA_CODE_BY_IAM_USER: &str = "a1d7263c-c468-44fd-9a03-c318d990fc11";
const ROLES_ANYWHERE_TRUST_ANCHOR: &str = "1879f9af-995f-4039-a107-b2cf99205e9a";
const FEDERATION_TOKEN: &str = "4b2e81dd-c88a-4713-885f-3d2158563156";
const UPDATE_LOGIN_PROFILE: &str = "4c64d489-5c94-47ea-8e0c-8286d43bf886";

/// Technique file -> every (rule id, eventName) that fires on it. Exact: a rule firing on any
/// other event of these recordings fails the test. Techniques that warroom's built-in
/// detections cover (CloudTrail tampering, IAM user/key/policy changes, console logins,
/// instance launches) deliberately have no starter rule.
const EXPECTED: &[(&str, &[(&str, &str)])] = &[
    (
        "aws.credential-access.ec2-get-password-data",
        &[(GET_PASSWORD_DATA, "GetPasswordData")],
    ),
    (
        "aws.credential-access.ec2-steal-instance-credentials",
        &[
            (SSM_SEND_COMMAND_SHELL, "SendCommand"),
            (INSTANCE_CREDENTIALS_WHOAMI, "GetCallerIdentity"),
        ],
    ),
    (
        "aws.credential-access.secretsmanager-batch-retrieve-secrets",
        &[(SECRETS_BATCH_GET, "BatchGetSecretValue")],
    ),
    (
        "aws.credential-access.secretsmanager-retrieve-secrets",
        &[(SECRET_GET_BY_IAM_USER, "GetSecretValue")],
    ),
    (
        "aws.credential-access.ssm-retrieve-securestring-parameters",
        &[(SECURESTRING_BY_IAM_USER, "GetParameters")],
    ),
    ("aws.defense-evasion.cloudtrail-delete", &[]),
    ("aws.defense-evasion.cloudtrail-event-selectors", &[]),
    ("aws.defense-evasion.cloudtrail-stop", &[]),
    (
        "aws.defense-evasion.dns-delete-logs",
        &[(DNS_QUERY_LOGGING_REMOVED, "DeleteResolverQueryLogConfig")],
    ),
    (
        "aws.defense-evasion.organizations-leave",
        &[(ORGANIZATIONS_LEAVE, "LeaveOrganization")],
    ),
    (
        "aws.defense-evasion.vpc-remove-flow-logs",
        &[(FLOW_LOGS_DELETED, "DeleteFlowLogs")],
    ),
    (
        "aws.discovery.ec2-download-user-data",
        &[(USER_DATA_READ, "DescribeInstanceAttribute")],
    ),
    ("aws.execution.ec2-launch-unusual-instances", &[]),
    (
        "aws.execution.ec2-user-data",
        &[(USER_DATA_MODIFIED, "ModifyInstanceAttribute")],
    ),
    (
        "aws.execution.ssm-send-command",
        &[(SSM_SEND_COMMAND_SHELL, "SendCommand")],
    ),
    (
        "aws.execution.ssm-start-session",
        &[(SSM_START_SESSION, "StartSession")],
    ),
    (
        // The built-in detections judge these now (`network-exposure`,
        // `resource-exposed`): see `detect::tests`.
        "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        &[],
    ),
    ("aws.exfiltration.ec2-share-ami", &[]),
    ("aws.exfiltration.ec2-share-ebs-snapshot", &[]),
    ("aws.exfiltration.rds-share-snapshot", &[]),
    (
        "aws.impact.bedrock-invoke-model",
        &[
            (BEDROCK_INVOKE, "InvokeModel"),
            (BEDROCK_ACCESS_ENABLED, "PutFoundationModelEntitlement"),
            (BEDROCK_ACCESS_ENABLED, "PutUseCaseForModelAccess"),
            (BEDROCK_ACCESS_ENABLED, "CreateFoundationModelAgreement"),
        ],
    ),
    ("aws.initial-access.console-login-without-mfa", &[]),
    (
        "aws.lateral-movement.ec2-instance-connect",
        &[(INSTANCE_CONNECT_KEY, "SendSSHPublicKey")],
    ),
    (
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        &[
            (SERIAL_CONSOLE, "EnableSerialConsoleAccess"),
            (SERIAL_CONSOLE, "SendSerialConsoleSSHPublicKey"),
        ],
    ),
    ("aws.persistence.iam-backdoor-role", &[]),
    ("aws.persistence.iam-backdoor-user", &[]),
    ("aws.persistence.iam-create-admin-user", &[]),
    ("aws.persistence.iam-create-backdoor-role", &[]),
    ("aws.persistence.iam-create-user-login-profile", &[]),
    ("aws.persistence.lambda-backdoor-function", &[]),
    (
        "aws.persistence.lambda-layer-extension",
        &[(
            LAMBDA_LAYER_ATTACHED,
            "UpdateFunctionConfiguration20150331v2",
        )],
    ),
    (
        "aws.persistence.lambda-overwrite-code",
        &[(LAMBDA_CODE_BY_IAM_USER, "UpdateFunctionCode20150331v2")],
    ),
    (
        "aws.persistence.rolesanywhere-create-trust-anchor",
        &[(ROLES_ANYWHERE_TRUST_ANCHOR, "CreateTrustAnchor")],
    ),
    (
        "aws.persistence.sts-federation-token",
        &[(FEDERATION_TOKEN, "GetFederationToken")],
    ),
    (
        "aws.privilege-escalation.iam-update-user-login-profile",
        &[(UPDATE_LOGIN_PROFILE, "UpdateLoginProfile")],
    ),
];

/// Detonations whose malicious calls were all refused in the recording: the rule must fire on
/// the attempt. Everywhere else it must fire on a call that succeeded.
const DENIED_ONLY: &[&str] = &[
    "aws.credential-access.ec2-get-password-data",
    "aws.defense-evasion.organizations-leave",
    "aws.discovery.ec2-download-user-data",
];

fn read_records(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Array(records)) => records,
        other => panic!(
            "{} is not a JSON array of records: {other:?}",
            path.display()
        ),
    }
}

#[test]
fn stratus_detonations_fire_the_expected_rules() {
    let set = starter_rules();
    let dir = stratus_dir();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        files, listed,
        "every recorded technique needs a row in EXPECTED"
    );

    for (technique, expected) in EXPECTED {
        let records = read_records(&dir.join(format!("{technique}.json")));
        let mut fired = BTreeSet::new();
        let mut fired_on_success = BTreeSet::new();
        for record in &records {
            let name = record["eventName"].as_str().unwrap_or_default();
            for i in set.matching(name, record) {
                let hit = (set.rules()[i].id.as_str(), name);
                fired.insert(hit);
                if record.get("errorCode").is_none_or(Value::is_null) {
                    fired_on_success.insert(hit);
                }
            }
        }
        let expected: BTreeSet<(&str, &str)> = expected.iter().copied().collect();
        assert_eq!(fired, expected, "rules fired on {technique}");
        if !DENIED_ONLY.contains(technique) {
            assert_eq!(
                fired_on_success, expected,
                "{technique}: each rule must fire on a call that succeeded"
            );
        }
    }
}

/// An application role going about its day: reads, lists, and writes that look like the
/// dangerous ones but are not.
fn routine_events() -> Vec<Value> {
    let role = json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLEID:app-session",
        "arn": "arn:aws:sts::111122223333:assumed-role/orders-service/app-session",
        "accountId": "111122223333",
        "accessKeyId": "ASIAEXAMPLEKEY",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID",
                "arn": "arn:aws:iam::111122223333:role/orders-service",
                "accountId": "111122223333",
                "userName": "orders-service"
            },
            "attributes": {"creationDate": "2024-05-01T10:00:00Z", "mfaAuthenticated": "false"}
        }
    });
    let call = |source: &str, name: &str, request: Value, response: Value| {
        json!({
            "eventVersion": "1.09",
            "userIdentity": role,
            "eventTime": "2024-05-01T10:05:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "eu-west-1",
            "sourceIPAddress": "10.20.30.40",
            "userAgent": "aws-sdk-java/2.25.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/21",
            "requestParameters": request,
            "responseElements": response,
            "readOnly": name.starts_with("Describe") || name.starts_with("List") || name.starts_with("Get"),
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": "111122223333"
        })
    };
    let ec2 = "ec2.amazonaws.com";
    vec![
        call(
            ec2,
            "DescribeInstances",
            json!({"instancesSet": {}, "filterSet": {}}),
            Value::Null,
        ),
        call(
            ec2,
            "DescribeSecurityGroups",
            json!({"securityGroupIdSet": {}}),
            Value::Null,
        ),
        call(
            ec2,
            "DescribeImages",
            json!({"ownersSet": {"items": [{"owner": "self"}]}}),
            Value::Null,
        ),
        call(
            ec2,
            "DescribeSnapshots",
            json!({"ownersSet": {}}),
            Value::Null,
        ),
        call(ec2, "DescribeFlowLogs", json!({}), Value::Null),
        call(
            ec2,
            "DescribeInstanceAttribute",
            json!({"instanceId": "i-0abc", "attribute": "instanceType"}),
            Value::Null,
        ),
        call(
            ec2,
            "ModifyInstanceAttribute",
            json!({"instanceId": "i-0abc", "instanceType": {"value": "m5.large"}}),
            json!({"_return": true}),
        ),
        call(
            ec2,
            "ModifyImageAttribute",
            json!({"imageId": "ami-0abc", "attributeType": "launchPermission", "launchPermission": {"remove": {"items": [{"userId": "444455556666"}]}}}),
            json!({"_return": true}),
        ),
        call(
            ec2,
            "ModifySnapshotAttribute",
            json!({"snapshotId": "snap-0abc", "attributeType": "CREATE_VOLUME_PERMISSION", "createVolumePermission": {"remove": {"items": [{"userId": "444455556666"}]}}}),
            json!({"_return": true}),
        ),
        call(
            ec2,
            "AuthorizeSecurityGroupIngress",
            json!({"groupId": "sg-0abc", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}),
            json!({"_return": true}),
        ),
        call(
            ec2,
            "AuthorizeSecurityGroupIngress",
            json!({"groupId": "sg-0abc", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}}),
            json!({"_return": true}),
        ),
        call(
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            json!({"secretId": "orders/db"}),
            Value::Null,
        ),
        call(
            "secretsmanager.amazonaws.com",
            "ListSecrets",
            json!({"maxResults": 100}),
            Value::Null,
        ),
        call(
            "secretsmanager.amazonaws.com",
            "DescribeSecret",
            json!({"secretId": "orders/db"}),
            Value::Null,
        ),
        call(
            "ssm.amazonaws.com",
            "GetParameter",
            json!({"name": "/orders/db-password", "withDecryption": true}),
            Value::Null,
        ),
        call(
            "ssm.amazonaws.com",
            "GetParametersByPath",
            json!({"path": "/orders/", "withDecryption": true, "recursive": true}),
            Value::Null,
        ),
        call(
            "ssm.amazonaws.com",
            "DescribeInstanceInformation",
            json!({"maxResults": 50}),
            Value::Null,
        ),
        call(
            "ssm.amazonaws.com",
            "GetCommandInvocation",
            json!({"commandId": "c-1", "instanceId": "i-0abc"}),
            Value::Null,
        ),
        call(
            "ssm.amazonaws.com",
            "SendCommand",
            json!({"documentName": "AWS-RunPatchBaseline", "instanceIds": ["i-0abc"]}),
            json!({}),
        ),
        call(
            "sts.amazonaws.com",
            "GetCallerIdentity",
            Value::Null,
            Value::Null,
        ),
        call(
            "sts.amazonaws.com",
            "AssumeRole",
            json!({"roleArn": "arn:aws:iam::111122223333:role/reader", "roleSessionName": "s"}),
            Value::Null,
        ),
        call(
            "lambda.amazonaws.com",
            "ListFunctions20150331",
            json!({}),
            Value::Null,
        ),
        call(
            "lambda.amazonaws.com",
            "GetFunction20150331v2",
            json!({"functionName": "orders"}),
            Value::Null,
        ),
        call(
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            json!({"functionName": "orders", "timeout": 30}),
            json!({}),
        ),
        call(
            "lambda.amazonaws.com",
            "UpdateFunctionCode20150331v2",
            json!({"functionName": "orders", "publish": true}),
            json!({}),
        ),
        call(
            "lambda.amazonaws.com",
            "AddPermission20150331v2",
            json!({"functionName": "orders", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com", "statementId": "s3-invoke"}),
            json!({}),
        ),
        call(
            "rds.amazonaws.com",
            "DescribeDBSnapshots",
            json!({}),
            Value::Null,
        ),
        call(
            "rds.amazonaws.com",
            "ModifyDBSnapshotAttribute",
            json!({"attributeName": "restore", "dBSnapshotIdentifier": "orders", "valuesToRemove": ["444455556666"]}),
            json!({}),
        ),
        call("s3.amazonaws.com", "ListBuckets", Value::Null, Value::Null),
        call(
            "s3.amazonaws.com",
            "GetBucketPolicy",
            json!({"bucketName": "orders-data"}),
            Value::Null,
        ),
        call(
            "cloudtrail.amazonaws.com",
            "DescribeTrails",
            json!({}),
            Value::Null,
        ),
        call(
            "route53resolver.amazonaws.com",
            "ListResolverQueryLogConfigs",
            json!({}),
            Value::Null,
        ),
        call(
            "guardduty.amazonaws.com",
            "ListDetectors",
            json!({}),
            Value::Null,
        ),
        call(
            "guardduty.amazonaws.com",
            "UpdateDetector",
            json!({"detectorId": "d-1", "enable": true, "findingPublishingFrequency": "FIFTEEN_MINUTES"}),
            json!({}),
        ),
        call(
            "config.amazonaws.com",
            "DescribeConfigurationRecorders",
            json!({}),
            Value::Null,
        ),
        call(
            "bedrock.amazonaws.com",
            "ListFoundationModels",
            json!({}),
            Value::Null,
        ),
        call("iam.amazonaws.com", "ListRoles", json!({}), Value::Null),
        call(
            "iam.amazonaws.com",
            "GetRole",
            json!({"roleName": "orders-service"}),
            Value::Null,
        ),
        call(
            "organizations.amazonaws.com",
            "DescribeOrganization",
            Value::Null,
            Value::Null,
        ),
        call(
            "kms.amazonaws.com",
            "Decrypt",
            json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
            Value::Null,
        ),
    ]
}

#[test]
fn routine_activity_fires_no_rule() {
    let set = starter_rules();
    for event in routine_events() {
        let name = event["eventName"].as_str().unwrap_or_default();
        let hits: Vec<&str> = set
            .matching(name, &event)
            .into_iter()
            .map(|i| set.rules()[i].title.as_str())
            .collect();
        assert!(hits.is_empty(), "{name} fired {hits:?}");
        // The same holds without the index.
        assert!(set.rules().iter().all(|r| !r.matches(&event)), "{name}");
    }
}

#[test]
fn starter_rules_follow_the_conventions() {
    let set = starter_rules();
    assert!(
        (20..=40).contains(&set.len()),
        "expected a starter set of about 30 rules, found {}",
        set.len()
    );
    let mut ids = BTreeSet::new();
    for rule in set.rules() {
        let path = std::path::Path::new(&rule.origin);
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        assert!(
            file.starts_with("cloudtrail-") && file.ends_with(".yml") && !rule.origin.contains('#'),
            "{}: one rule per cloudtrail-<what>.yml file",
            rule.origin
        );
        assert!(is_uuid(&rule.id), "{}: id must be a UUID", rule.origin);
        assert!(ids.insert(rule.id.clone()), "{}: duplicate id", rule.origin);
        let description = rule.description.as_deref().unwrap_or_default();
        assert!(
            !description.is_empty() && !description.contains('\n'),
            "{}: needs a one-line description",
            rule.origin
        );
        assert!(
            !rule.falsepositives.is_empty(),
            "{}: falsepositives",
            rule.origin
        );
        assert!(
            !rule.tags.is_empty() && rule.tags.iter().all(|t| t.starts_with("attack.")),
            "{}: tags must be attack.*",
            rule.origin
        );
        // Every starter rule names its events, so the index keeps it off unrelated events.
        assert!(rule.event_names().is_some(), "{}: not indexed", rule.origin);
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for line in ["author: warroom", "status: experimental", "level: "] {
            assert!(
                text.lines().any(|l| l.starts_with(line)),
                "{}: missing `{line}`",
                rule.origin
            );
        }
    }
}

/// Built-in detections already cover these calls; a starter rule on them would double-report.
#[test]
fn starter_rules_leave_built_in_detections_alone() {
    const BUILT_IN: &[&str] = &[
        "StopLogging",
        "DeleteTrail",
        "UpdateTrail",
        "PutEventSelectors",
        "CreateAccessKey",
        "CreateUser",
        "CreateLoginProfile",
        "AttachUserPolicy",
        "AttachRolePolicy",
        "AttachGroupPolicy",
        "PutUserPolicy",
        "PutRolePolicy",
        "PutGroupPolicy",
        "UpdateAssumeRolePolicy",
        "ConsoleLogin",
        "RunInstances",
    ];
    let set = starter_rules();
    for name in BUILT_IN {
        assert!(!set.may_match(name), "a starter rule targets {name}");
    }
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
