use super::*;
use crate::model::Severity;
use foldhash::HashSet;
use serde_json::Value;
use std::collections::BTreeSet;

fn stratus(technique: &str) -> Vec<CloudTrailEvent> {
    let path = format!(
        "{}/tests/data/stratus-detonation-logs/{technique}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let values: Vec<Value> = serde_json::from_str(&text).unwrap();
    values
        .iter()
        .map(|v| CloudTrailEvent::from_value(v).unwrap())
        .collect()
}

fn rules_raised(events: &[CloudTrailEvent]) -> BTreeSet<String> {
    let mut d = Detector::new();
    events
        .iter()
        .flat_map(|e| d.observe(e))
        .map(|a| a.rule)
        .collect()
}

fn event(n: u32, ip: &str, extra: &str) -> CloudTrailEvent {
    CloudTrailEvent::from_json(&format!(
        r#"{{"eventID":"e{n}","eventTime":"2026-11-22T07:{:02}:00Z","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"aws-cli/2","userIdentity":{{"type":"IAMUser","userName":"admin-ops","accessKeyId":"AKIAADMIN"}}{extra}}}"#,
        n % 60
    ))
    .unwrap()
}

#[test]
fn real_trail_tampering_is_caught() {
    for t in [
        "aws.defense-evasion.cloudtrail-stop",
        "aws.defense-evasion.cloudtrail-delete",
        "aws.defense-evasion.cloudtrail-event-selectors",
    ] {
        assert!(rules_raised(&stratus(t)).contains("trail-tampering"), "{t}");
    }
}

#[test]
fn real_backdoor_users_and_keys_are_caught() {
    for t in [
        "aws.persistence.iam-backdoor-user",
        "aws.persistence.iam-create-admin-user",
        "aws.persistence.iam-create-user-login-profile",
    ] {
        assert!(rules_raised(&stratus(t)).contains("persistence"), "{t}");
    }
}

#[test]
fn routine_work_raises_nothing() {
    let quiet: Vec<_> = (0..20).map(|n| event(n, "198.51.100.10", "")).collect();
    assert!(rules_raised(&quiet).is_empty());
}

#[test]
fn a_key_used_from_a_new_ip_after_its_baseline_is_flagged_and_grouped() {
    let mut d = Detector::new();
    for n in 0..baseline::ESTABLISHED_AFTER {
        assert!(d.observe(&event(n, "198.51.100.10", "")).is_empty());
    }
    let first = d.observe(&event(10, "203.0.113.77", ""));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].rule, "key-new-source");
    assert_eq!(first[0].access_key_id.as_deref(), Some("AKIAADMIN"));
    let again = d.observe(&event(11, "203.0.113.77", ""));
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].count, 2);
    assert_eq!(again[0].event_ids, ["e10", "e11"]);
}

#[test]
fn a_neighbour_in_the_same_network_is_not_new() {
    let mut d = Detector::new();
    for n in 0..baseline::ESTABLISHED_AFTER {
        d.observe(&event(n, "192.0.2.11", ""));
    }
    assert!(d.observe(&event(6, "192.0.2.12", "")).is_empty());
    assert!(d.observe(&event(7, "AWS Internal", "")).is_empty());
    assert_eq!(
        network_of("2001:db8:1:2::5")
            .map(|n| n.to_string())
            .as_deref(),
        Some("2001:db8:1::/48")
    );
    assert_eq!(network_of("211.9.016.253"), network_of("211.9.16.1"));
    assert_eq!(network_of("1.2.3"), None);
    assert_eq!(network_of("ec2.amazonaws.com"), None);
}

#[test]
fn a_key_without_a_baseline_is_not_flagged() {
    let mut d = Detector::new();
    assert!(d.observe(&event(0, "203.0.113.77", "")).is_empty());
    assert!(d.observe(&event(1, "198.51.100.10", "")).is_empty());
}

#[test]
fn gpu_launches_estimate_the_spend_rate() {
    let launch = |n, region: &str, ty: &str, count: usize, error: &str| {
        let items: Vec<String> = (0..count)
            .map(|i| format!(r#"{{"instanceId":"i-{n}{i}","instanceType":"{ty}"}}"#))
            .collect();
        CloudTrailEvent::from_json(&format!(
            r#"{{"eventID":"l{n}","eventTime":"2026-11-22T07:40:00Z","eventName":"RunInstances","eventSource":"ec2.amazonaws.com","awsRegion":"{region}","sourceIPAddress":"203.0.113.77","userIdentity":{{"type":"IAMUser","userName":"admin-ops","accessKeyId":"AKIAADMIN"}},"requestParameters":{{"instanceType":"{ty}"}},"responseElements":{{"instancesSet":{{"items":[{}]}}}}{error}}}"#,
            items.join(",")
        ))
        .unwrap()
    };
    let mut d = Detector::new();
    assert!(
        d.observe(&launch(1, "us-east-1", "t3.micro", 2, ""))
            .is_empty()
    );
    d.observe(&launch(2, "us-east-1", "p3.16xlarge", 2, ""));
    let failed = launch(
        3,
        "eu-west-1",
        "p3.16xlarge",
        0,
        r#","errorCode":"Client.VcpuLimitExceeded""#,
    );
    // A refused launch is part of the story (they will retry) but costs nothing yet.
    let refused = d.observe(&failed);
    assert_eq!(refused[0].count, 2);
    assert!(
        refused[0].explanation.contains("more refused"),
        "{}",
        refused[0].explanation
    );
    let alerts = d.observe(&launch(4, "us-west-2", "g4dn.12xlarge", 1, ""));
    let a = &alerts[0];
    assert_eq!(a.rule, "expensive-launch");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.count, 3);
    let expected = 2.0 * 24.48 + 3.912;
    assert!((a.spend_per_hour.unwrap() - expected).abs() < 1e-9);
    assert!(a.explanation.contains("3 regions"), "{}", a.explanation);
}

/// Every detection, built-in and starter Sigma, as the console runs them.
fn detections() -> Detections {
    let loaded = rules::load(&rules::RuleSources {
        starter: true,
        paths: vec![],
    });
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    Detections {
        settings: Settings::default(),
        rules: loaded.rules,
    }
}

fn alerts_of(technique: &str) -> Vec<Alert> {
    let events: Vec<Arc<CloudTrailEvent>> = stratus(technique).into_iter().map(Arc::new).collect();
    detections().run_over(&events, &Verdicts::default())
}

/// Each technique recorded by Stratus Red Team, and exactly the alerts it must raise (and a
/// fact its explanation must state): an alert too many fails as surely as one missing.
const TECHNIQUES: &[(&str, &[&str], &str)] = &[
    (
        "aws.credential-access.ec2-get-password-data",
        &["sigma:cloudtrail-ec2-get-password-data"],
        "GetPasswordData",
    ),
    (
        "aws.credential-access.ec2-steal-instance-credentials",
        &[
            "sigma:cloudtrail-ec2-instance-credentials-whoami",
            "sigma:cloudtrail-ssm-send-command-shell",
        ],
        "GetCallerIdentity",
    ),
    (
        "aws.credential-access.secretsmanager-batch-retrieve-secrets",
        &["sigma:cloudtrail-secretsmanager-batch-get-secret-value"],
        "BatchGetSecretValue",
    ),
    (
        "aws.credential-access.secretsmanager-retrieve-secrets",
        &["sigma:cloudtrail-secretsmanager-get-secret-value-by-iam-user"],
        "GetSecretValue",
    ),
    (
        "aws.credential-access.ssm-retrieve-securestring-parameters",
        &["sigma:cloudtrail-ssm-securestring-read-by-iam-user"],
        "GetParameters",
    ),
    (
        "aws.defense-evasion.cloudtrail-delete",
        &["trail-tampering"],
        "DeleteTrail",
    ),
    (
        "aws.defense-evasion.cloudtrail-event-selectors",
        &["trail-tampering"],
        "PutEventSelectors",
    ),
    (
        "aws.defense-evasion.cloudtrail-stop",
        &["trail-tampering"],
        "StopLogging",
    ),
    (
        "aws.defense-evasion.dns-delete-logs",
        &["sigma:cloudtrail-route53resolver-query-logging-removed"],
        "Resolver",
    ),
    (
        "aws.defense-evasion.organizations-leave",
        &["sigma:cloudtrail-organizations-leave"],
        "LeaveOrganization",
    ),
    (
        "aws.defense-evasion.vpc-remove-flow-logs",
        &["sigma:cloudtrail-vpc-flow-logs-deleted"],
        "DeleteFlowLogs",
    ),
    (
        "aws.discovery.ec2-download-user-data",
        &["sigma:cloudtrail-ec2-user-data-read"],
        "DescribeInstanceAttribute",
    ),
    (
        "aws.execution.ec2-launch-unusual-instances",
        &["expensive-launch", "launch-burst"],
        "p2.xlarge",
    ),
    (
        "aws.execution.ec2-user-data",
        &["sigma:cloudtrail-ec2-user-data-modified"],
        "ModifyInstanceAttribute",
    ),
    (
        "aws.execution.ssm-send-command",
        &["sigma:cloudtrail-ssm-send-command-shell"],
        "SendCommand",
    ),
    (
        "aws.execution.ssm-start-session",
        &["sigma:cloudtrail-ssm-start-session"],
        "StartSession",
    ),
    (
        "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        &["network-exposure"],
        "port 22 of security group",
    ),
    (
        "aws.exfiltration.ec2-share-ami",
        &["resource-exposed"],
        "shared image",
    ),
    (
        "aws.exfiltration.ec2-share-ebs-snapshot",
        &["resource-exposed"],
        "shared EBS snapshot",
    ),
    (
        "aws.exfiltration.rds-share-snapshot",
        &["resource-exposed"],
        "shared database snapshot",
    ),
    (
        "aws.impact.bedrock-invoke-model",
        &[
            "sigma:cloudtrail-bedrock-invoke-model",
            "sigma:cloudtrail-bedrock-model-access-enabled",
        ],
        "InvokeModel",
    ),
    (
        "aws.initial-access.console-login-without-mfa",
        &["console-login-no-mfa"],
        "password alone",
    ),
    (
        "aws.lateral-movement.ec2-instance-connect",
        &["sigma:cloudtrail-ec2-instance-connect-ssh-key"],
        "SendSSHPublicKey",
    ),
    (
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        &["sigma:cloudtrail-ec2-serial-console-access"],
        "SerialConsole",
    ),
    (
        "aws.persistence.iam-backdoor-role",
        &["persistence"],
        "a trust on role",
    ),
    (
        "aws.persistence.iam-backdoor-user",
        &["persistence"],
        "an access key for",
    ),
    (
        "aws.persistence.iam-create-admin-user",
        &["persistence"],
        "AdministratorAccess for",
    ),
    (
        "aws.persistence.iam-create-backdoor-role",
        &["persistence"],
        "a trust on role",
    ),
    (
        "aws.persistence.iam-create-user-login-profile",
        &["persistence"],
        "a console password for",
    ),
    (
        "aws.persistence.lambda-backdoor-function",
        &["resource-exposed"],
        "opened function",
    ),
    (
        "aws.persistence.lambda-layer-extension",
        &["sigma:cloudtrail-lambda-layer-attached"],
        "UpdateFunctionConfiguration",
    ),
    (
        "aws.persistence.lambda-overwrite-code",
        &["sigma:cloudtrail-lambda-code-updated-by-iam-user"],
        "UpdateFunctionCode",
    ),
    (
        "aws.persistence.rolesanywhere-create-trust-anchor",
        &["sigma:cloudtrail-rolesanywhere-trust-anchor-changed"],
        "TrustAnchor",
    ),
    (
        "aws.persistence.sts-federation-token",
        &["sigma:cloudtrail-sts-get-federation-token"],
        "GetFederationToken",
    ),
    (
        "aws.privilege-escalation.iam-update-user-login-profile",
        &["persistence", "sigma:cloudtrail-iam-update-login-profile"],
        "a new console password for",
    ),
];

#[test]
fn every_recorded_attack_technique_raises_the_alerts_it_should() {
    let mut failures = Vec::new();
    for (technique, expected, fact) in TECHNIQUES {
        let alerts = alerts_of(technique);
        let rules: BTreeSet<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
        let expected: BTreeSet<&str> = expected.iter().copied().collect();
        if rules != expected {
            failures.push(format!(
                "{technique}: raised {rules:?}, expected {expected:?}"
            ));
        }
        if !alerts.iter().any(|a| a.explanation.contains(fact)) {
            failures.push(format!(
                "{technique}: no explanation says {fact:?}: {:?}",
                alerts.iter().map(|a| &a.explanation).collect::<Vec<_>>()
            ));
        }
        for a in &alerts {
            assert!(!a.event_ids.is_empty() && a.count as usize >= a.event_ids.len());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_technique_of_the_four_families_is_in_the_table() {
    let dir = format!(
        "{}/tests/data/stratus-detonation-logs",
        env!("CARGO_MANIFEST_DIR")
    );
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(technique) = name.strip_suffix(".json") else {
            continue;
        };
        let family = technique.split('.').nth(1).unwrap_or_default();
        if [
            "defense-evasion",
            "persistence",
            "privilege-escalation",
            "credential-access",
        ]
        .contains(&family)
        {
            assert!(
                TECHNIQUES
                    .iter()
                    .any(|(t, expected, _)| *t == technique && !expected.is_empty()),
                "{technique} has no expected alert"
            );
        }
    }
}

#[test]
fn a_quiet_stretch_of_ordinary_work_raises_nothing() {
    // Three days of developers, CI, monitoring and AWS services from the demo account,
    // without the attacker's calls: every detection, built-in and Sigma, stays quiet.
    let sc = crate::source::demo::scenario::founding_scenario();
    let end = sc.end() + chrono::Duration::hours(1);
    let attacker: HashSet<String> = sc
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.attacker)
        .map(|(i, _)| crate::source::demo::world::event_id(i))
        .collect();
    let world = crate::source::demo::world::DemoWorld::new(sc);
    let benign: Vec<Arc<CloudTrailEvent>> = world
        .advance(end)
        .into_iter()
        .filter_map(|r| match r.body {
            crate::model::RecordBody::Event(e) => Some(e),
            _ => None,
        })
        .filter(|e| !attacker.contains(e.event_id().as_str()))
        .collect();
    assert!(benign.len() > 400, "{}", benign.len());
    let alerts = detections().run_over(&benign, &Verdicts::default());
    assert!(
        alerts.is_empty(),
        "{:?}",
        alerts.iter().map(|a| &a.title).collect::<Vec<_>>()
    );
}

/// An event by admin-ops's key `minutes` after 07:00, from `ip` with `agent`.
fn call(minutes: i64, name: &str, ip: &str, agent: &str, extra: &str) -> CloudTrailEvent {
    let at = "2026-11-22T07:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes);
    CloudTrailEvent::from_json(&format!(
        r#"{{"eventID":"m{minutes}-{name}","eventTime":"{}","eventName":"{name}","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"{agent}","userIdentity":{{"type":"IAMUser","userName":"admin-ops","accountId":"111122223333","accessKeyId":"AKIAADMIN"}}{extra}}}"#,
        at.format("%Y-%m-%dT%H:%M:%SZ")
    ))
    .unwrap()
}

fn established(d: &mut Detector) {
    for n in 0..i64::from(baseline::ESTABLISHED_AFTER) {
        assert!(
            d.observe(&call(
                n,
                "DescribeInstances",
                "198.51.100.10",
                "aws-cli/2.15",
                ""
            ))
            .is_empty()
        );
    }
}

#[test]
fn a_new_tool_on_a_known_network_is_flagged_but_a_new_version_is_not() {
    let mut d = Detector::new();
    established(&mut d);
    assert!(
        d.observe(&call(
            20,
            "DescribeInstances",
            "198.51.100.10",
            "aws-cli/2.31",
            ""
        ))
        .is_empty()
    );
    let alerts = d.observe(&call(
        21,
        "DescribeInstances",
        "198.51.100.10",
        "Boto3/1.34",
        "",
    ));
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].explanation.contains("boto3, a tool never seen"),
        "{}",
        alerts[0].explanation
    );
    // Still in use two quiet hours later: the key's own tool now, not an alert an hour.
    let boto = |m| call(m, "DescribeInstances", "198.51.100.10", "Boto3/1.35", "");
    assert!(d.observe(&boto(200)).is_empty());
    assert!(d.observe(&boto(400)).is_empty());
}

#[test]
fn a_flagged_source_still_in_use_after_its_window_joins_the_baseline() {
    let mut d = Detector::new();
    established(&mut d);
    assert_eq!(
        d.observe(&call(30, "ListBuckets", "203.0.113.77", "aws-cli/2.15", ""))
            .len(),
        1
    );
    assert_eq!(
        d.observe(&call(40, "ListBuckets", "203.0.113.77", "aws-cli/2.15", ""))[0].count,
        2
    );
    // Two quiet hours later the same source is the key's own: no alert, now or after.
    assert!(
        d.observe(&call(
            200,
            "ListBuckets",
            "203.0.113.77",
            "aws-cli/2.15",
            ""
        ))
        .is_empty()
    );
    assert!(
        d.observe(&call(
            201,
            "ListBuckets",
            "203.0.113.77",
            "aws-cli/2.15",
            ""
        ))
        .is_empty()
    );
}

#[test]
fn a_roaming_key_is_not_flagged_for_one_more_network() {
    let mut d = Detector::new();
    for n in 0..20i64 {
        let ip = format!("198.51.{}.10", n % 6);
        d.observe(&call(n, "DescribeInstances", &ip, "aws-cli/2.15", ""));
    }
    assert!(
        d.observe(&call(
            30,
            "DescribeInstances",
            "203.0.113.77",
            "aws-cli/2.15",
            ""
        ))
        .is_empty()
    );
}

#[test]
fn the_same_rule_and_principal_after_a_long_quiet_is_a_new_alert() {
    let mut d = Detector::with(
        Settings {
            group_window: Duration::minutes(30),
            ..Settings::default()
        },
        None,
    );
    let stop = |m| {
        let mut e = call(m, "StopLogging", "198.51.100.10", "aws-cli/2.15", "");
        e.event_source = "cloudtrail.amazonaws.com".into();
        e
    };
    let first = d.observe(&stop(0));
    let grown = d.observe(&stop(20));
    assert_eq!(grown[0].id, first[0].id);
    assert_eq!(
        (grown[0].count, grown[0].first_seen),
        (2, first[0].first_seen)
    );
    let later = d.observe(&stop(80));
    assert_ne!(later[0].id, first[0].id);
    assert_eq!(later[0].count, 1);
    assert!(
        later[0]
            .id
            .starts_with("trail-tampering:admin-ops@2026-11-22T08:20:00Z"),
        "{}",
        later[0].id
    );
}

#[test]
fn refusals_across_many_services_are_a_probe_but_a_few_are_not() {
    let denied = |m, source: &str| {
        let mut e = call(
            m,
            "ListThings",
            "203.0.113.77",
            "Boto3/1.34",
            r#","errorCode":"AccessDenied""#,
        );
        e.event_source = source.into();
        e
    };
    let mut d = Detector::new();
    // Five refusals from one service, then spread over ten minutes: nothing yet.
    for m in 0..5 {
        assert!(d.observe(&denied(m, "s3.amazonaws.com")).is_empty());
    }
    assert!(d.observe(&denied(6, "iam.amazonaws.com")).is_empty());
    let alerts = d.observe(&denied(7, "lambda.amazonaws.com"));
    assert_eq!(alerts[0].rule, "recon-access-denied");
    assert!(
        alerts[0].explanation.contains("3 services"),
        "{}",
        alerts[0].explanation
    );
    // The same pattern spread over hours raises nothing.
    let mut slow = Detector::new();
    for (i, s) in ["s3", "iam", "lambda", "ec2", "sts", "kms"]
        .iter()
        .enumerate()
    {
        assert!(
            slow.observe(&denied(i as i64 * 30, &format!("{s}.amazonaws.com")))
                .is_empty()
        );
    }
}

#[test]
fn who_am_i_from_a_new_network_is_reconnaissance() {
    let mut d = Detector::new();
    established(&mut d);
    assert!(
        d.observe(&call(
            20,
            "GetCallerIdentity",
            "198.51.100.10",
            "aws-cli/2.15",
            ""
        ))
        .is_empty()
    );
    let rules: BTreeSet<String> = d
        .observe(&call(
            21,
            "GetCallerIdentity",
            "203.0.113.77",
            "aws-cli/2.15",
            "",
        ))
        .into_iter()
        .map(|a| a.rule)
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            "key-new-source".to_string(),
            "recon-caller-identity".to_string()
        ])
    );
}

#[test]
fn launches_in_a_burst_or_a_new_region_are_flagged_with_their_cost() {
    let launch = |m, region: &str, ty: &str, n: usize| {
        let items: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"instanceId":"i-{m}{i}","instanceType":"{ty}"}}"#))
            .collect();
        let mut e = call(
            m,
            "RunInstances",
            "198.51.100.10",
            "aws-cli/2.15",
            &format!(
                r#","requestParameters":{{"instanceType":"{ty}"}},"responseElements":{{"instancesSet":{{"items":[{}]}}}}"#,
                items.join(",")
            ),
        );
        e.aws_region = region.into();
        e
    };
    let mut d = Detector::new();
    for n in 0..i64::from(baseline::REGIONS_ESTABLISHED_AFTER) {
        d.observe(&call(
            n,
            "DescribeInstances",
            "198.51.100.10",
            "aws-cli/2.15",
            "",
        ));
    }
    assert!(
        d.observe(&launch(30, "us-east-1", "t3.micro", 4))
            .is_empty()
    );
    let burst = d.observe(&launch(31, "us-east-1", "c5.large", 6));
    assert_eq!(burst.len(), 1);
    assert_eq!(burst[0].rule, "launch-burst");
    let expected = 4.0 * prices::hourly_usd("t3.micro", "us-east-1").unwrap()
        + 6.0 * prices::hourly_usd("c5.large", "us-east-1").unwrap();
    assert!(
        (burst[0].spend_per_hour.unwrap() - expected).abs() < 1e-9,
        "{:?}",
        burst[0].spend_per_hour
    );
    let far: BTreeSet<String> = d
        .observe(&launch(32, "ap-southeast-3", "t3.micro", 1))
        .into_iter()
        .map(|a| a.rule)
        .collect();
    assert!(far.contains("launch-unusual-region"), "{far:?}");
}

#[test]
fn console_sign_in_needs_a_password_alone_and_success_to_alert() {
    let login = |mfa: &str, result: &str| {
        call(
            0,
            "ConsoleLogin",
            "198.51.100.10",
            "Mozilla/5.0",
            &format!(
                r#","additionalEventData":{{"MFAUsed":"{mfa}"}},"responseElements":{{"ConsoleLogin":"{result}"}}"#
            ),
        )
    };
    assert_eq!(
        Detector::new().observe(&login("No", "Success"))[0].rule,
        "console-login-no-mfa"
    );
    assert!(Detector::new().observe(&login("Yes", "Success")).is_empty());
    assert!(Detector::new().observe(&login("No", "Failure")).is_empty());
}

#[test]
fn splitting_the_principals_among_threads_changes_no_alert() {
    // The demo incident and every recorded technique, shifted onto one account's timeline.
    let sc = crate::source::demo::scenario::founding_scenario();
    let end = sc.end() + chrono::Duration::hours(1);
    let mut events: Vec<Arc<CloudTrailEvent>> = crate::source::demo::world::DemoWorld::new(sc)
        .advance(end)
        .into_iter()
        .filter_map(|r| match r.body {
            crate::model::RecordBody::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    for (technique, _, _) in TECHNIQUES {
        events.extend(stratus(technique).into_iter().map(Arc::new));
    }
    // An account with a history, then a launch where it never worked.
    for n in 0..30 {
        events.push(Arc::new(call(
            n,
            "DescribeInstances",
            "198.51.100.10",
            "aws-cli/2.15",
            "",
        )));
    }
    let mut far = call(40, "RunInstances", "198.51.100.10", "aws-cli/2.15", "");
    far.aws_region = "ap-south-2".into();
    events.push(Arc::new(far));
    let d = detections();
    let serial = d.run_sharded(&events, &Verdicts::default(), 1);
    assert!(serial.len() > 30, "{}", serial.len());
    assert!(serial.iter().any(|a| a.rule == "launch-unusual-region"));
    // And the same as one detector fed event by event, learning the regions itself.
    let mut sorted = events.clone();
    sorted.sort_by_key(|e| e.event_time);
    let mut one = d.detector();
    let mut by_id = std::collections::BTreeMap::new();
    for e in &sorted {
        for a in one.observe(e) {
            by_id.insert(a.id.clone(), a);
        }
    }
    let mut fed: Vec<Alert> = by_id.into_values().collect();
    fed.sort_by(|a, b| a.first_seen.cmp(&b.first_seen).then(a.id.cmp(&b.id)));
    assert_eq!(fed, serial);
    for shards in [2, 3, 4] {
        assert_eq!(
            d.run_sharded(&events, &Verdicts::default(), shards),
            serial,
            "{shards} shards"
        );
    }
}

/// The labelled corpus (`tests/data/detection-corpus`): single events, each marked malicious
/// or benign. Every malicious one must raise an alert, and no benign one may; the figures
/// (`--nocapture`) are the recall and false alarms by theme.
#[test]
fn the_labelled_corpus_is_caught_and_its_near_misses_are_not() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/detection-corpus/cases.json"
    );
    let corpus: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let detections = detections();
    let mut failures = Vec::new();
    let mut by_theme: std::collections::BTreeMap<&str, [usize; 4]> = Default::default();
    for case in corpus["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let theme = case["theme"].as_str().unwrap();
        let malicious = case["malicious"].as_bool().unwrap();
        let e = Arc::new(CloudTrailEvent::from_value(&case["event"]).unwrap());
        let alerts = detections.run_over(&[e], &Verdicts::default());
        let counts = by_theme.entry(theme).or_default();
        let (total, hit) = if malicious { (0, 1) } else { (2, 3) };
        counts[total] += 1;
        if !alerts.is_empty() {
            counts[hit] += 1;
        }
        match (malicious, alerts.first()) {
            (true, None) => failures.push(format!("missed: {name}")),
            (false, Some(a)) => failures.push(format!(
                "false alarm on {name}: {} — {}",
                a.rule, a.explanation
            )),
            (true, Some(a)) if a.explanation.is_empty() => {
                failures.push(format!("{name}: {} explains nothing", a.rule))
            }
            _ => {}
        }
    }
    let [mut m, mut caught, mut b, mut alarmed] = [0; 4];
    for (theme, [mal, hit, ben, alarm]) in &by_theme {
        println!("{theme:<12} caught {hit}/{mal}, alerted on {alarm}/{ben} benign");
        (m, caught, b, alarmed) = (m + mal, caught + hit, b + ben, alarmed + alarm);
    }
    println!("all          caught {caught}/{m}, alerted on {alarmed}/{b} benign");
    assert!(
        m >= 60 && b >= 30,
        "the corpus is too small to say anything"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_allowed_principal_raises_no_alert_for_that_rule_only() {
    let policy = |user: &str| {
        CloudTrailEvent::from_json(&format!(
            r#"{{"eventID":"p-{user}","eventTime":"2026-11-22T07:00:00Z","eventName":"PutBucketPolicy","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2","userIdentity":{{"type":"IAMUser","userName":"{user}","arn":"arn:aws:iam::1:user/{user}","accessKeyId":"AKIAX"}},"requestParameters":{{"bucketName":"site","bucketPolicy":{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}]}}}}}}"#
        ))
        .unwrap()
    };
    let allow = |rule: &str| {
        allow::AllowList::new(&std::collections::BTreeMap::from([(
            rule.to_string(),
            vec!["web-*".to_string()],
        )]))
        .unwrap()
    };
    let raised = |allow: allow::AllowList, user: &str| {
        let mut d = Detector::with(
            Settings {
                allow,
                ..Settings::default()
            },
            None,
        );
        d.observe(&policy(user)).len()
    };
    assert_eq!(raised(allow("resource-exposed"), "web-deployer"), 0);
    assert_eq!(raised(allow("resource-exposed"), "mallory"), 1);
    assert_eq!(raised(allow("destruction"), "web-deployer"), 1);
}

/// Sigma correlations over the matches of other rules: counted per group, within the
/// timespan, and the correlated rules quiet unless asked to speak.
#[test]
fn correlation_rules_count_matches_per_group_within_the_timespan() {
    let text = "title: IAM read\nname: iam_read\nlogsource: {product: aws, service: cloudtrail}\n\
        detection:\n  sel:\n    eventSource: iam.amazonaws.com\n    eventName|startswith: List\n  condition: sel\n\
        ---\ntitle: Many different IAM reads\nid: many-iam-reads\ncorrelation:\n  type: value_count\n  rules: [iam_read]\n  group-by: [userIdentity.accessKeyId]\n  timespan: 10m\n  condition: {field: eventName, gte: 3}\nlevel: high\n\
        ---\ntitle: A read then a key\ncorrelation:\n  type: temporal_ordered\n  rules: [iam_read, new_key]\n  group-by: [userIdentity.accessKeyId]\n  timespan: 1h\n  generate: true\n\
        ---\ntitle: New key\nname: new_key\nlogsource: {product: aws, service: cloudtrail}\n\
        detection:\n  sel: {eventName: CreateAccessKey}\n  condition: sel\n";
    let rules: Vec<_> = sigma::parse_rules(text, "rules/recon.yml")
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(rules[1].correlation.is_some());
    let set = Arc::new(RuleSet::new(rules));
    let call = |n: u32, minute: u32, key: &str, name: &str| {
        CloudTrailEvent::from_json(&format!(
            r#"{{"eventID":"c{n}","eventTime":"2026-11-22T07:{minute:02}:00Z","eventName":"{name}","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"ua","userIdentity":{{"type":"IAMUser","userName":"u-{key}","accessKeyId":"{key}"}}}}"#
        ))
        .unwrap()
    };
    let run = |events: Vec<CloudTrailEvent>| {
        let events: Vec<Arc<CloudTrailEvent>> = events.into_iter().map(Arc::new).collect();
        Detections {
            settings: Settings::default(),
            rules: set.clone(),
        }
        .run_over(&events, &Verdicts::default())
    };
    let recon = run(vec![
        call(1, 0, "AKIA1", "ListUsers"),
        call(2, 1, "AKIA2", "ListRoles"),
        call(3, 2, "AKIA1", "ListRoles"),
        call(4, 3, "AKIA1", "ListUsers"),
        call(5, 4, "AKIA1", "ListPolicies"),
    ]);
    let rules: Vec<&str> = recon.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["sigma:recon"],
        "one correlation alert; the read rule is silent"
    );
    assert!(recon[0].title.contains("AKIA1"), "{}", recon[0].title);
    assert!(
        recon[0]
            .explanation
            .contains("3 different values of eventName"),
        "{}",
        recon[0].explanation
    );
    // Too slow for the timespan: nothing.
    let slow = run(vec![
        call(1, 0, "AKIA1", "ListUsers"),
        call(2, 11, "AKIA1", "ListRoles"),
        call(3, 22, "AKIA1", "ListPolicies"),
    ]);
    assert!(slow.is_empty(), "{slow:?}");
    // In order: a read then a new key; the other way round is not the story.
    let mut key = call(9, 5, "AKIA3", "CreateAccessKey");
    let ordered = run(vec![call(8, 1, "AKIA3", "ListUsers"), key.clone()]);
    assert!(
        ordered
            .iter()
            .any(|a| a.title.starts_with("A read then a key")),
        "{ordered:?}"
    );
    assert!(
        ordered.iter().any(|a| a.title.starts_with("New key")),
        "generate: true"
    );
    key.event_time -= chrono::Duration::minutes(10);
    let reversed = run(vec![key, call(8, 1, "AKIA3", "ListUsers")]);
    assert!(
        !reversed
            .iter()
            .any(|a| a.title.starts_with("A read then a key")),
        "{reversed:?}"
    );
}

#[test]
fn a_correlation_of_rules_not_loaded_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yml");
    std::fs::write(
        &file,
        "title: Lonely\ncorrelation:\n  type: event_count\n  rules: [nowhere]\n  timespan: 5m\n  condition: {gte: 2}\n",
    )
    .unwrap();
    let loaded = rules::load(&rules::RuleSources {
        starter: false,
        paths: vec![file],
    });
    assert!(loaded.rules.is_empty());
    assert_eq!(loaded.problems.len(), 1);
    assert!(
        loaded.problems[0]
            .to_string()
            .contains("no rule is named nowhere"),
        "{}",
        loaded.problems[0]
    );
}

#[test]
fn the_same_user_name_in_two_accounts_is_two_alerts() {
    let stop = |n: u32, account: &str| {
        CloudTrailEvent::from_json(&format!(
            r#"{{"eventID":"s{n}","eventTime":"2026-11-22T07:0{n}:00Z","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.10","userAgent":"aws-cli/2","requestParameters":{{"name":"org-trail"}},"userIdentity":{{"type":"IAMUser","userName":"deploy","accountId":"{account}","accessKeyId":"AKIADEPLOY{n}"}}}}"#
        ))
        .unwrap()
    };
    let mut d = Detector::new();
    let mut ids: Vec<String> = [
        stop(1, "111111111111"),
        stop(2, "222222222222"),
        stop(3, "111111111111"),
    ]
    .iter()
    .flat_map(|e| d.observe(e))
    .filter(|a| a.rule == "trail-tampering")
    .map(|a| a.id)
    .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids,
        [
            "trail-tampering:deploy",
            "trail-tampering:deploy/222222222222"
        ]
    );
}

/// The same event reached twice (a copied file, a file reached by two paths) is judged
/// once: by its `eventID`, or without one by the ID its text makes. An empty `eventID`
/// says nothing, so those events are all kept.
#[test]
fn an_event_reached_twice_is_judged_once() {
    let make = |id: Option<&str>, name: &str| {
        let id = id
            .map(|i| format!(r#""eventID":"{i}","#))
            .unwrap_or_default();
        Arc::new(
            CloudTrailEvent::from_json(&format!(
                r#"{{{id}"eventTime":"2026-11-22T07:37:00Z","eventName":"{name}"}}"#
            ))
            .unwrap(),
        )
    };
    let uuid = "3f1c2a9e-0b7d-4e55-9a61-2c8d4f0e7b13";
    let events = vec![
        make(Some(uuid), "A"),
        make(Some("hand-made"), "B"),
        make(None, "C"),
        make(Some(uuid), "A"),
        make(None, "C"),
        make(Some("hand-made"), "B"),
        make(Some(""), "D"),
        make(Some(""), "D"),
    ];
    let once = once_each(&events);
    let names: Vec<String> = once.iter().map(|e| e.event_name.to_string()).collect();
    assert_eq!(names, ["A", "B", "C", "D", "D"]);
    assert!(matches!(
        once_each(&events[..3]),
        std::borrow::Cow::Borrowed(_)
    ));
}
