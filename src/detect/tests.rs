use super::*;

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
    for n in 0..5 {
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
    for n in 0..5 {
        d.observe(&event(n, "192.0.2.11", ""));
    }
    assert!(d.observe(&event(6, "192.0.2.12", "")).is_empty());
    assert!(d.observe(&event(7, "AWS Internal", "")).is_empty());
    assert_eq!(
        network_of("2001:db8:1:2::5").as_deref(),
        Some("2001:db8:1::/48")
    );
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
    assert!(d.observe(&failed).is_empty());
    let alerts = d.observe(&launch(4, "us-west-2", "g4dn.12xlarge", 1, ""));
    let a = &alerts[0];
    assert_eq!(a.rule, "expensive-launch");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.count, 2);
    let expected = 2.0 * 24.48 + 3.912;
    assert!((a.spend_per_hour.unwrap() - expected).abs() < 1e-9);
    assert!(a.explanation.contains("2 regions"), "{}", a.explanation);
}
