use super::*;
use crate::source::demo::script::{Caller, ScriptedCall, WorldChange};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// The DynamoDB tables AWS Config finds unencrypted.
const TABLES: [&str; 3] = ["orders", "customers", "sessions-v2"];
/// The attacker's script: nothing in the account has ever called with boto3.
const BOTO3: &str = "Boto3/1.40.61 md/Botocore#1.40.61 ua/2.1 os/linux#6.8.0-87-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython m/Z,b cfg/retry-mode#legacy Botocore/1.40.61";

/// `m` minutes and `s` seconds into the attack.
fn live(m: i64, s: i64) -> Duration {
    Duration::seconds(m * 60 + s)
}

/// What the instances launched so far have cost by `at`.
fn spend_at(s: &Scenario, at: DateTime<Utc>) -> f64 {
    s.calls
        .iter()
        .filter(|c| c.error.is_none())
        .filter_map(|c| match &c.effect {
            WorldChange::Launch {
                count, hourly_usd, ..
            } => {
                let hours = (at - s.at(c.offset)).num_seconds().max(0) as f64 / 3600.0;
                Some(f64::from(*count) * hourly_usd * hours)
            }
            _ => None,
        })
        .sum()
}

fn decode_account(key: &str) -> u64 {
    let mut bits: u128 = 0;
    for ch in key[4..].bytes() {
        let v = match ch {
            b'A'..=b'Z' => ch - b'A',
            b'2'..=b'7' => ch - b'2' + 26,
            _ => panic!("{key} is not base32"),
        };
        bits = (bits << 5) | u128::from(v);
    }
    // 16 characters are 80 bits; the account sits in bits 7..47 of the first 48.
    ((bits >> 32) as u64 & 0x7fff_ffff_ff80) >> 7
}

fn key_of(caller: &Caller) -> Option<&str> {
    match caller {
        Caller::User { access_key_id, .. } | Caller::Role { access_key_id, .. } => {
            Some(access_key_id)
        }
        _ => None,
    }
}

#[test]
fn constants_have_aws_shapes() {
    assert_eq!(ACCOUNT_ID.len(), 12);
    assert!(ACCOUNT_ID.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(LEAKED_KEY.len(), 20);
    assert!(LEAKED_KEY.starts_with("AKIA"));
    assert!(!LEAKED_KEY.contains("EXAMPLE"));
    assert!(ATTACKER_IP.starts_with("203.0.113."));
}

#[test]
fn has_at_least_300_calls_with_history() {
    let s = founding_scenario();
    assert!(s.calls.len() >= 300, "only {} calls", s.calls.len());
    let history = s
        .calls
        .iter()
        .filter(|c| c.offset < Duration::zero())
        .count();
    assert!(history >= 200, "only {history} history calls");
    // The baseline reaches back about three days.
    let three_days = -Duration::days(3);
    assert!(s.calls.iter().any(|c| {
        c.offset > three_days - Duration::hours(1) && c.offset < three_days + Duration::hours(1)
    }));
    assert!(s.end() >= s.start + Duration::minutes(35));
}

#[test]
fn calls_are_sorted_by_offset() {
    let s = founding_scenario();
    assert!(s.calls.windows(2).all(|w| w[0].offset <= w[1].offset));
}

#[test]
fn attacker_uses_the_leaked_key_from_its_address_and_never_dynamodb() {
    let s = founding_scenario();
    let attack: Vec<_> = s.calls.iter().filter(|c| c.attacker).collect();
    assert!(attack.len() >= 50);
    assert_eq!(attack[0].offset, Duration::zero());
    for c in &attack {
        assert_eq!(c.source_ip, ATTACKER_IP, "{}", c.event_name);
        assert_eq!(key_of(&c.caller), Some(LEAKED_KEY));
        assert_ne!(c.event_source, "dynamodb.amazonaws.com");
        assert!(c.offset >= Duration::zero() && c.offset <= live(36, 0));
    }
    // Nobody else ever calls from there; the key's agent there is new.
    assert!(
        s.calls
            .iter()
            .filter(|c| !c.attacker)
            .all(|c| c.source_ip != ATTACKER_IP && c.user_agent != BOTO3)
    );
    // Launch attempts continue after the half hour, for containment to stop.
    assert!(
        attack
            .iter()
            .any(|c| c.event_name == "RunInstances" && c.offset > live(30, 0))
    );
}

#[test]
fn instances_run_in_at_least_three_regions() {
    let s = founding_scenario();
    let regions: BTreeSet<&str> = s
        .calls
        .iter()
        .filter(|c| c.attacker && c.event_name == "RunInstances" && c.error.is_none())
        .map(|c| c.region.as_str())
        .collect();
    assert!(regions.len() >= 3, "{regions:?}");
    for region in ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"] {
        assert!(regions.contains(region), "{region}");
    }
    let failures: BTreeSet<&str> = s
        .calls
        .iter()
        .filter(|c| c.attacker)
        .filter_map(|c| c.error.as_ref().map(|(code, _)| code.as_str()))
        .collect();
    assert!(failures.contains("Server.InsufficientInstanceCapacity"));
    assert!(failures.contains("Client.VcpuLimitExceeded"));
}

#[test]
fn spend_after_half_an_hour_is_about_500_dollars() {
    let s = founding_scenario();
    let spend = spend_at(&s, s.start + Duration::minutes(30));
    assert!((450.0..=550.0).contains(&spend), "spend {spend:.2}");
    // Only the attack launches anything that bills.
    assert!(
        s.calls
            .iter()
            .filter(|c| matches!(c.effect, WorldChange::Launch { .. }))
            .all(|c| c.attacker && c.error.is_none())
    );
}

#[test]
fn attacker_persists_through_other_users() {
    let s = founding_scenario();
    let effects: Vec<&WorldChange> = s
        .calls
        .iter()
        .filter(|c| c.attacker)
        .map(|c| &c.effect)
        .collect();
    assert!(effects.contains(&&WorldChange::CreateUser {
        user: BACKDOOR_USER.to_string()
    }));
    assert!(effects.contains(&&WorldChange::AttachAdmin {
        user: BACKDOOR_USER.to_string()
    }));
    let keyed: BTreeSet<&str> = effects
        .iter()
        .filter_map(|e| match e {
            WorldChange::CreateAccessKey { user, .. } => Some(user.as_str()),
            _ => None,
        })
        .collect();
    assert!(keyed.contains(BACKDOOR_USER));
    assert!(keyed.contains("ci-deploy"));
    assert!(!keyed.contains(LEAKED_USER));
}

#[test]
fn dana_created_the_three_tables_without_encryption_settings() {
    let s = founding_scenario();
    let created: Vec<&ScriptedCall> = s
        .calls
        .iter()
        .filter(|c| c.event_name == "CreateTable")
        .collect();
    let names: BTreeSet<&str> = created
        .iter()
        .map(|c| {
            c.request_parameters["tableName"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(names, TABLES.into_iter().collect());
    for c in created {
        assert!(matches!(&c.caller, Caller::User { user, .. } if user == "dana.kim"));
        assert!(c.request_parameters.get("sSESpecification").is_none());
        assert!(c.offset < -Duration::days(39));
    }
}

#[test]
fn admin_ops_history_comes_from_the_office() {
    let s = founding_scenario();
    let history: Vec<&ScriptedCall> = s
        .calls
        .iter()
        .filter(|c| c.offset < Duration::zero() && key_of(&c.caller) == Some(LEAKED_KEY))
        .collect();
    assert!(history.len() >= 10);
    assert!(history.iter().all(|c| c.source_ip != ATTACKER_IP));
    assert!(history.iter().all(|c| c.user_agent.starts_with("aws-cli/")));
}

#[test]
fn is_deterministic() {
    let (a, b) = (founding_scenario(), founding_scenario());
    assert_eq!(a.calls, b.calls);
    assert_eq!(a.users, b.users);
    assert_eq!(a.keys, b.keys);
    assert_eq!(a.findings, b.findings);
    assert_eq!(a.remediations, b.remediations);
    assert_eq!((a.title, a.start, a.roles), (b.title, b.start, b.roles));
}

#[test]
fn access_key_ids_are_well_formed() {
    let s = founding_scenario();
    let mut ids: Vec<(String, &str)> = Vec::new();
    for c in &s.calls {
        match &c.caller {
            Caller::User { access_key_id, .. } => ids.push((access_key_id.clone(), "AKIA")),
            Caller::Role { access_key_id, .. } => ids.push((access_key_id.clone(), "ASIA")),
            _ => {}
        }
        if let WorldChange::CreateAccessKey { access_key_id, .. } = &c.effect {
            ids.push((access_key_id.clone(), "AKIA"));
            assert_eq!(
                c.response_elements["accessKey"]["accessKeyId"].as_str(),
                Some(access_key_id.as_str())
            );
        }
    }
    ids.extend(s.keys.iter().map(|k| (k.access_key_id.clone(), "AKIA")));
    for (id, prefix) in ids {
        assert_eq!(id.len(), 20, "{id}");
        assert!(id.starts_with(prefix), "{id} should start with {prefix}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "{id}"
        );
        assert!(!id.contains("EXAMPLE"), "{id}");
        assert_eq!(
            decode_account(&id),
            ACCOUNT_ID.parse::<u64>().unwrap(),
            "{id}"
        );
    }
}

#[test]
fn seeds_and_findings_fit_the_story() {
    let s = founding_scenario();
    let admins: Vec<&str> = s
        .users
        .iter()
        .filter(|u| u.admin)
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(admins, [LEAKED_USER]);
    let ci = s.keys.iter().find(|k| k.user == "ci-deploy").unwrap();
    assert!(s.start - ci.created > Duration::days(90));
    assert!(s.keys.iter().any(|k| !k.active));
    let by_rule: BTreeMap<&str, usize> = s.findings.iter().fold(BTreeMap::new(), |mut m, f| {
        *m.entry(f.rule.as_str()).or_default() += 1;
        m
    });
    assert_eq!(by_rule["dynamodb-table-encryption-enabled"], 3);
    assert_eq!(by_rule["iam-user-mfa-enabled"], 2);
    for f in &s.findings {
        assert!(f.is_non_compliant() && f.guidance.is_none());
        assert!(f.evaluated_at.is_some_and(|t| t < s.start));
        let listed = s.remediations.iter().find(|(rule, _)| *rule == f.rule);
        assert_eq!(listed.map(|(_, doc)| doc), f.remediation.as_ref());
    }
    assert_eq!(s.remediations.len(), 2);
}

#[test]
fn benign_mix_spans_the_services() {
    let s = founding_scenario();
    let benign: Vec<&ScriptedCall> = s.calls.iter().filter(|c| !c.attacker).collect();
    let services: BTreeSet<&str> = benign.iter().map(|c| c.event_source.as_str()).collect();
    for svc in [
        "iam",
        "sts",
        "ec2",
        "s3",
        "lambda",
        "cloudformation",
        "logs",
        "kms",
        "ssm",
        "dynamodb",
        "config",
    ] {
        assert!(
            services.contains(format!("{svc}.amazonaws.com").as_str()),
            "{svc}"
        );
    }
    let writes = benign.iter().filter(|c| !c.read_only).count();
    assert!(writes >= 30 && writes * 3 < benign.len(), "{writes} writes");
    assert!(benign.iter().any(|c| {
        c.error
            .as_ref()
            .is_some_and(|(code, _)| code.starts_with("AccessDenied"))
    }));
    // Benign activity goes on during the attack.
    assert!(
        benign
            .iter()
            .filter(|c| c.offset >= Duration::zero())
            .count()
            >= 15
    );
}
