use super::*;
use crate::model::Action;
use crate::respond::plan::plan;
use crate::source::demo::script::{KeySeed, UserSeed};
use chrono::TimeZone;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 12).unwrap()
}

fn call(min: i64, caller: Caller, source: &str, name: &str, effect: WorldChange) -> ScriptedCall {
    ScriptedCall {
        offset: Duration::minutes(min),
        caller,
        event_source: format!("{source}.amazonaws.com"),
        event_name: name.into(),
        region: "us-east-1".into(),
        source_ip: "203.0.113.77".into(),
        user_agent: "Boto3/1.34".into(),
        request_parameters: json!({}),
        response_elements: json!({"ok": true}),
        read_only: false,
        error: None,
        effect,
        attacker: true,
    }
}

fn admin() -> Caller {
    Caller::User {
        user: "admin-ops".into(),
        access_key_id: "AKIALEAKED0000000001".into(),
    }
}

fn deployer(issued_min: i64) -> Caller {
    Caller::Role {
        role: "Deploy".into(),
        session: "gh".into(),
        access_key_id: "ASIA0000000000000001".into(),
        issued_at: start() + Duration::minutes(issued_min),
    }
}

fn tiny() -> Scenario {
    let launch = WorldChange::Launch {
        instance_type: "p3.16xlarge".into(),
        count: 2,
        hourly_usd: 24.48,
    };
    Scenario {
        title: "test".into(),
        account_id: "111122223333".into(),
        start: start(),
        users: vec![UserSeed {
            name: "admin-ops".into(),
            created: start() - Duration::days(400),
            admin: true,
        }],
        keys: vec![KeySeed {
            user: "admin-ops".into(),
            access_key_id: "AKIALEAKED0000000001".into(),
            created: start() - Duration::days(200),
            active: true,
        }],
        roles: vec!["Deploy".into()],
        calls: vec![
            call(
                -60,
                deployer(-61),
                "cloudformation",
                "DescribeStacks",
                WorldChange::None,
            ),
            call(0, admin(), "sts", "GetCallerIdentity", WorldChange::None),
            call(5, admin(), "ec2", "RunInstances", launch.clone()),
            call(10, admin(), "ec2", "RunInstances", launch),
            call(
                12,
                deployer(-61),
                "cloudformation",
                "DescribeStacks",
                WorldChange::None,
            ),
            call(
                12,
                deployer(11),
                "cloudformation",
                "DescribeStacks",
                WorldChange::None,
            ),
            call(
                15,
                admin(),
                "iam",
                "CreateUser",
                WorldChange::CreateUser {
                    user: "svc-backup".into(),
                },
            ),
        ],
        findings: vec![Finding {
            rule: "s3-bucket-public-read-prohibited".into(),
            rule_description: "d".into(),
            resource_type: "AWS::S3::Bucket".into(),
            resource_id: "marketing".into(),
            region: "us-east-1".into(),
            compliance: "NON_COMPLIANT".into(),
            annotation: None,
            remediation: Some("AWS-DisableS3BucketPublicReadWrite".into()),
            guidance: None,
            evaluated_at: None,
            stack: None,
            account: None,
        }],
        remediations: vec![(
            "s3-bucket-public-read-prohibited".into(),
            "AWS-DisableS3BucketPublicReadWrite".into(),
        )],
    }
}

fn events(records: &[NewRecord]) -> Vec<Arc<CloudTrailEvent>> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn keys(records: &[NewRecord]) -> Vec<KeySnapshot> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Key(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

fn run(world: &DemoWorld, action: Action) -> Result<String, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(crate::respond::execute(
        world,
        &plan(&action),
        &|_| {},
        &|_, _| {},
    ))
}

fn deactivate() -> Action {
    Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: "AKIALEAKED0000000001".into(),
    }
}

#[test]
fn plays_calls_as_they_fall_due_and_not_before() {
    let w = DemoWorld::new(tiny());
    let first = events(&w.advance(start()));
    assert_eq!(first.len(), 2, "history and the first call");
    assert_eq!(first[1].event_name, "GetCallerIdentity");
    assert_eq!(
        first[1].identity.access_key_id.as_deref(),
        Some("AKIALEAKED0000000001")
    );
    assert_eq!(first[1].event_time, start());
    assert!(events(&w.advance(start() + Duration::minutes(4))).is_empty());
    assert_eq!(events(&w.advance(start() + Duration::minutes(5))).len(), 1);
    assert!(!w.finished());
}

#[test]
fn a_deactivated_key_stops_the_attacker_and_shows_in_iam() {
    let w = DemoWorld::new(tiny());
    let before = events(&w.advance(start() + Duration::minutes(5)));
    assert!(
        before.last().unwrap().error_code.is_none(),
        "first launch succeeds"
    );
    assert_eq!(run(&w, deactivate()), Ok("iam:UpdateAccessKey ok".into()));
    let after = w.advance(start() + Duration::minutes(15));
    let statuses: Vec<_> = keys(&after).iter().map(|k| k.status).collect();
    assert_eq!(statuses.first(), Some(&KeyStatus::Inactive));
    let evs = events(&after);
    // The responder's own call is in CloudTrail too.
    assert_eq!(evs[0].event_name, "UpdateAccessKey");
    assert!(evs[0].principal().to_string().contains(RESPONDER_ROLE));
    assert!(
        evs[0].raw_text().contains(RESPONDER_ROLE),
        "the ARN is in the raw JSON"
    );
    let attacker: Vec<_> = evs
        .iter()
        .filter(|e| e.identity.access_key_id.as_deref() == Some("AKIALEAKED0000000001"))
        .collect();
    assert_eq!(attacker.len(), 2);
    assert_eq!(
        attacker[0].error_code.as_deref(),
        Some("Client.AuthFailure")
    );
    assert_eq!(
        attacker[1].error_code.as_deref(),
        Some("InvalidClientTokenId")
    );
    // The failed launch ran up no bill, the one before it did.
    let spend = w.spend_so_far(start() + Duration::minutes(65));
    assert!((spend - 2.0 * 24.48).abs() < 0.01, "{spend}");
}

#[test]
fn deny_all_refuses_every_later_call_of_the_user() {
    let w = DemoWorld::new(tiny());
    w.advance(start());
    run(
        &w,
        Action::DenyAll {
            user: "admin-ops".into(),
        },
    )
    .unwrap();
    let evs = events(&w.advance(start() + Duration::minutes(15)));
    let codes: Vec<_> = evs
        .iter()
        .filter(|e| e.identity.user_name.as_deref() == Some("admin-ops"))
        .map(|e| e.error_code.unwrap_or_default())
        .collect();
    assert_eq!(
        codes,
        [
            "Client.UnauthorizedOperation",
            "Client.UnauthorizedOperation",
            "AccessDenied"
        ]
    );
}

#[test]
fn revoking_sessions_stops_old_sessions_only() {
    let w = DemoWorld::new(tiny());
    w.advance(start());
    run(
        &w,
        Action::RevokeSessions {
            principal: crate::model::PrincipalRef::Role("Deploy".into()),
            issued_before: start(),
        },
    )
    .unwrap();
    let evs = events(&w.advance(start() + Duration::minutes(12)));
    let stacks: Vec<_> = evs
        .iter()
        .filter(|e| e.event_name == "DescribeStacks")
        .map(|e| e.error_code)
        .collect();
    assert_eq!(stacks, [Some("AccessDenied".into()), None]);
}

#[test]
fn remediation_makes_the_finding_compliant_after_it_runs() {
    let w = DemoWorld::new(tiny());
    w.advance(start());
    let action = Action::Remediate {
        rule: "s3-bucket-public-read-prohibited".into(),
        resources: vec![crate::model::ResourceKey {
            resource_type: "AWS::S3::Bucket".into(),
            resource_id: "marketing".into(),
            region: None,
        }],
    };
    run(&w, action).unwrap();
    let soon = w.advance(start() + Duration::seconds(5));
    assert!(
        !soon
            .iter()
            .any(|r| matches!(r.body, RecordBody::Finding(_)))
    );
    let later = w.advance(start() + Duration::seconds(30));
    let f = later
        .iter()
        .find_map(|r| match &r.body {
            RecordBody::Finding(f) => Some(f.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(f.compliance, "COMPLIANT");
}

#[test]
fn aws_errors_are_the_ones_aws_gives() {
    let w = DemoWorld::new(tiny());
    let err = run(
        &w,
        Action::DeactivateKey {
            user: "admin-ops".into(),
            access_key_id: "AKIANOSUCHKEY0000000".into(),
        },
    )
    .unwrap_err();
    assert!(
        err.starts_with("iam:UpdateAccessKey failed — NoSuchEntity"),
        "{err}"
    );
    let err = run(
        &w,
        Action::Remediate {
            rule: "iam-user-mfa-enabled".into(),
            resources: vec![crate::model::ResourceKey {
                resource_type: "AWS::IAM::User".into(),
                resource_id: "admin-ops".into(),
                region: None,
            }],
        },
    )
    .unwrap_err();
    assert!(
        err.contains("NoSuchRemediationConfigurationException"),
        "{err}"
    );
}

#[test]
fn restoring_from_a_journal_resumes_where_it_stopped() {
    let w = DemoWorld::new(tiny());
    let mut records = w.opening_records("inc", start());
    records.extend(w.advance(start() + Duration::minutes(5)));
    run(&w, deactivate()).unwrap();
    records.extend(w.advance(start() + Duration::minutes(5)));
    let stored: Vec<_> = records
        .into_iter()
        .enumerate()
        .map(|(i, r)| crate::model::Record {
            seq: i as i64 + 1,
            at: r.at,
            actor: r.actor,
            body: r.body,
        })
        .collect();
    let state = IncidentState::from_records(&stored);

    let resumed = DemoWorld::new(tiny());
    resumed.restore(&state);
    let next = events(&resumed.advance(start() + Duration::minutes(10)));
    assert_eq!(next.len(), 1, "only the call not yet played");
    assert_eq!(next[0].error_code.as_deref(), Some("Client.AuthFailure"));
}

#[test]
fn a_second_world_learns_what_the_first_did_from_the_journal() {
    let first = DemoWorld::new(tiny());
    run(&first, deactivate()).unwrap();
    let second = DemoWorld::new(tiny());
    for (i, r) in first.drain().into_iter().enumerate() {
        second.observe(&crate::model::Record {
            seq: i as i64 + 1,
            at: r.at,
            actor: r.actor,
            body: r.body,
        });
    }
    assert_eq!(
        second.key_status("AKIALEAKED0000000001"),
        Some(KeyStatus::Inactive)
    );
    let later = events(&second.advance(start() + Duration::minutes(5)));
    assert_eq!(
        later.last().unwrap().error_code.as_deref(),
        Some("Client.AuthFailure")
    );
}
