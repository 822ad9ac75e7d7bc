//! From an action to the exact API calls that carry it out: what `--dry-run` prints and
//! what the executor makes, so the two can never differ.

use crate::model::{Action, ApiCall, InstanceState, KeyStatus, PrincipalRef, ResourceKey};
use crate::state::IncidentState;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The inline policy name used for deny-all, so it can be found and removed later.
pub const DENY_ALL_POLICY: &str = "warroom-deny-all";
/// The inline policy name the AWS console uses for "Revoke active sessions".
pub const REVOKE_SESSIONS_POLICY: &str = "AWSRevokeOlderSessions";
/// StartRemediationExecution accepts at most this many resource keys per call.
pub const REMEDIATION_BATCH: usize = 100;

/// An explicit deny of everything: wins over any allow the principal has.
pub fn deny_all_document() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "WarroomDenyAll",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*"
        }]
    })
}

/// Denies everything to credentials issued before `before`: sessions already handed out
/// (stolen ones included) stop working, new ones are unaffected.
pub fn revoke_sessions_document(before: DateTime<Utc>) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": ["*"],
            "Resource": ["*"],
            "Condition": {
                "DateLessThan": {
                    "aws:TokenIssueTime": before.to_rfc3339_opts(SecondsFormat::Secs, true)
                }
            }
        }]
    })
}

/// The security group an isolated instance is moved into, one per VPC, made on first use.
pub const QUARANTINE_GROUP: &str = "warroom-quarantine";
/// The tag every forensic snapshot carries, with the incident's ID as its value.
pub const INCIDENT_TAG: &str = "warroom:incident";

fn iam(operation: &str, params: Value) -> ApiCall {
    ApiCall::new("iam", operation, None, params)
}

fn ec2(region: &str, operation: &str, params: Value) -> ApiCall {
    ApiCall::new("ec2", operation, Some(region), params)
}

/// The calls of a plan's steps, one list per step (an action that is not a plan is one step).
pub fn parts(action: &Action) -> Vec<Vec<ApiCall>> {
    action.steps().iter().map(plan_one).collect()
}

/// The calls that carry out `action`, in order (a plan's steps one after another).
pub fn plan(action: &Action) -> Vec<ApiCall> {
    parts(action).into_iter().flatten().collect()
}

/// [`parts`], every call made in `account` (None: the only account watched).
pub fn parts_in(action: &Action, account: Option<&str>) -> Vec<Vec<ApiCall>> {
    let mut parts = parts(action);
    for call in parts.iter_mut().flatten() {
        call.account = account.map(str::to_string);
    }
    parts
}

/// The account of the calls that were planned (they all share it).
pub fn account_of_calls(calls: &[ApiCall]) -> Option<&str> {
    calls.first().and_then(|c| c.account.as_deref())
}

/// The account `action` acts in, when the incident spans several: the account of the key,
/// of the only user of that name, of the instance's launch, of the findings remediated.
/// None when the incident knows one account (there is nothing to choose), or when it cannot
/// tell (the call then names no account, and the responder refuses it rather than guess).
pub fn account_of(action: &Action, state: &IncidentState) -> Option<String> {
    if state.accounts.len() < 2 {
        return None;
    }
    let of_user = |name: &str| {
        let mut accounts = state
            .users_named(name)
            .filter_map(|u| crate::model::arn_account(&u.arn));
        match (accounts.next(), accounts.next()) {
            (Some(one), None) => Some(one.to_string()),
            _ => None,
        }
    };
    let of_instance = |id: &str| {
        let launch = &state.instances.get(id)?.launch_event;
        let account = &state.event(launch)?.identity.account_id;
        (!account.is_empty()).then(|| account.to_string())
    };
    match action {
        Action::DeactivateKey { access_key_id, .. } | Action::DeleteKey { access_key_id, .. } => {
            state.key(access_key_id).and_then(|k| k.account.clone())
        }
        Action::DenyAll { user }
        | Action::DeleteUser { user }
        | Action::DeleteLoginProfile { user }
        | Action::DetachPolicy { user, .. } => of_user(user),
        Action::RevokeSessions { principal, .. } => match principal {
            PrincipalRef::User(name) => of_user(name),
            PrincipalRef::Role(_) => None,
        },
        Action::Remediate { rule, resources } => {
            let mut accounts = state
                .findings
                .iter()
                .filter(|f| {
                    &f.rule == rule && resources.iter().any(|r| r.resource_id == f.resource_id)
                })
                .filter_map(|f| f.account.clone());
            let first = accounts.next()?;
            accounts.all(|a| a == first).then_some(first)
        }
        Action::IsolateInstance { instance_id, .. }
        | Action::SnapshotInstance { instance_id, .. } => of_instance(instance_id),
        Action::StopInstances { instance_ids, .. }
        | Action::TerminateInstances { instance_ids, .. } => {
            let first = of_instance(instance_ids.first()?)?;
            instance_ids[1..]
                .iter()
                .all(|i| of_instance(i).as_ref() == Some(&first))
                .then_some(first)
        }
        Action::RevokeIngress { .. } | Action::DeleteKeyPair { .. } => None,
        Action::Contain { steps, .. } => {
            let first = account_of(steps.first()?, state)?;
            steps[1..]
                .iter()
                .all(|s| account_of(s, state).as_ref() == Some(&first))
                .then_some(first)
        }
    }
}

fn plan_one(action: &Action) -> Vec<ApiCall> {
    match action {
        Action::DeactivateKey {
            user,
            access_key_id,
        } => vec![iam(
            "UpdateAccessKey",
            json!({"UserName": user, "AccessKeyId": access_key_id, "Status": "Inactive"}),
        )],
        Action::DeleteKey {
            user,
            access_key_id,
        } => vec![iam(
            "DeleteAccessKey",
            json!({"UserName": user, "AccessKeyId": access_key_id}),
        )],
        Action::DenyAll { user } => vec![iam(
            "PutUserPolicy",
            json!({
                "UserName": user,
                "PolicyName": DENY_ALL_POLICY,
                "PolicyDocument": deny_all_document().to_string(),
            }),
        )],
        Action::RevokeSessions {
            principal,
            issued_before,
        } => {
            let document = revoke_sessions_document(*issued_before).to_string();
            vec![match principal {
                PrincipalRef::User(name) => iam(
                    "PutUserPolicy",
                    json!({"UserName": name, "PolicyName": REVOKE_SESSIONS_POLICY, "PolicyDocument": document}),
                ),
                PrincipalRef::Role(name) => iam(
                    "PutRolePolicy",
                    json!({"RoleName": name, "PolicyName": REVOKE_SESSIONS_POLICY, "PolicyDocument": document}),
                ),
            }]
        }
        Action::Remediate { rule, resources } => {
            // One call per region, at most REMEDIATION_BATCH resources each.
            let mut regions: Vec<Option<String>> = Vec::new();
            for r in resources {
                if !regions.contains(&r.region) {
                    regions.push(r.region.clone());
                }
            }
            regions
                .into_iter()
                .flat_map(|region| {
                    let here: Vec<&ResourceKey> =
                        resources.iter().filter(|r| r.region == region).collect();
                    here.chunks(REMEDIATION_BATCH)
                        .map(|batch| {
                            ApiCall::new(
                                "config",
                                "StartRemediationExecution",
                                region.as_deref(),
                                json!({
                                    "ConfigRuleName": rule,
                                    "ResourceKeys": batch
                                        .iter()
                                        .map(|r| json!({"resourceType": r.resource_type, "resourceId": r.resource_id}))
                                        .collect::<Vec<_>>(),
                                }),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect()
        }
        Action::IsolateInstance {
            instance_id,
            region,
        } => isolate(region, instance_id),
        Action::SnapshotInstance {
            instance_id,
            region,
            incident,
        } => vec![
            ec2(
                region,
                "DescribeInstances",
                json!({"InstanceIds": [instance_id]}),
            )
            .bind(
                "volumes",
                "/Reservations/0/Instances/0/BlockDeviceMappings/*/Ebs/VolumeId",
            ),
            ec2(
                region,
                "CreateSnapshot",
                json!({
                    "VolumeId": "$volumes[]",
                    "Description": format!("Forensic copy of {instance_id} for incident {incident}"),
                    "TagSpecifications": [{
                        "ResourceType": "snapshot",
                        "Tags": [
                            {"Key": INCIDENT_TAG, "Value": incident},
                            {"Key": "warroom:instance", "Value": instance_id},
                        ],
                    }],
                }),
            ),
        ],
        // One call per instance: a batch fails whole when one instance in it is already
        // gone, and which one failed must be clear.
        Action::StopInstances {
            region,
            instance_ids,
        } => instance_ids
            .iter()
            .map(|id| {
                ec2(region, "StopInstances", json!({"InstanceIds": [id]}))
                    .absent_on(&["InvalidInstanceID.NotFound", "IncorrectInstanceState"])
            })
            .collect(),
        Action::TerminateInstances {
            region,
            instance_ids,
        } => instance_ids
            .iter()
            .map(|id| {
                ec2(region, "TerminateInstances", json!({"InstanceIds": [id]}))
                    .absent_on(&["InvalidInstanceID.NotFound"])
            })
            .collect(),
        Action::RevokeIngress {
            region,
            group_id,
            rule_id,
        } => vec![
            ec2(
                region,
                "RevokeSecurityGroupIngress",
                json!({"GroupId": group_id, "SecurityGroupRuleIds": [rule_id]}),
            )
            .absent_on(&[
                "InvalidPermission.NotFound",
                "InvalidSecurityGroupRuleId.NotFound",
                "InvalidGroup.NotFound",
            ]),
        ],
        Action::DeleteUser { user } => delete_user(user),
        Action::DeleteLoginProfile { user } => {
            vec![iam("DeleteLoginProfile", json!({"UserName": user})).absent_on(&["NoSuchEntity"])]
        }
        Action::DetachPolicy { user, policy_arn } => vec![
            iam(
                "DetachUserPolicy",
                json!({"UserName": user, "PolicyArn": policy_arn}),
            )
            .absent_on(&["NoSuchEntity"]),
        ],
        Action::DeleteKeyPair { region, key_name } => {
            vec![ec2(region, "DeleteKeyPair", json!({"KeyName": key_name}))]
        }
        Action::Contain { steps, .. } => steps.iter().flat_map(plan_one).collect(),
    }
}

/// Move an instance into its VPC's quarantine group: found, or made with no rules at all
/// (a new group allows all egress until that rule is revoked). The instance's groups
/// before the swap are bound to `$original`, which the journal keeps.
fn isolate(region: &str, instance_id: &str) -> Vec<ApiCall> {
    vec![
        ec2(
            region,
            "DescribeInstances",
            json!({"InstanceIds": [instance_id]}),
        )
        .bind("vpc", "/Reservations/0/Instances/0/VpcId")
        .bind(
            "original",
            "/Reservations/0/Instances/0/SecurityGroups/*/GroupId",
        ),
        ec2(
            region,
            "DescribeSecurityGroups",
            json!({"Filters": [
                {"Name": "vpc-id", "Values": ["$vpc"]},
                {"Name": "group-name", "Values": [QUARANTINE_GROUP]},
            ]}),
        )
        .bind("quarantine", "/SecurityGroups/0/GroupId"),
        ec2(
            region,
            "CreateSecurityGroup",
            json!({
                "GroupName": QUARANTINE_GROUP,
                "Description": "Quarantine: no traffic in or out",
                "VpcId": "$vpc",
            }),
        )
        .unless("quarantine")
        .bind("quarantine", "/GroupId")
        .bind("created", "/GroupId"),
        ec2(
            region,
            "RevokeSecurityGroupEgress",
            json!({
                "GroupId": "$created",
                "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            }),
        )
        .only_if("created"),
        ec2(
            region,
            "ModifyInstanceAttribute",
            json!({"InstanceId": instance_id, "Groups": ["$quarantine"]}),
        ),
    ]
}

/// IAM refuses to delete a user that still has anything attached: each kind is listed and
/// removed first, one call per item, then the user.
fn delete_user(user: &str) -> Vec<ApiCall> {
    let u = || json!({"UserName": user});
    let with = |k: &str, v: &str| json!({"UserName": user, k: v});
    vec![
        iam("ListAccessKeys", u()).bind("keys", "/AccessKeyMetadata/*/AccessKeyId"),
        iam("DeleteAccessKey", with("AccessKeyId", "$keys[]")),
        iam("DeleteLoginProfile", u()).absent_on(&["NoSuchEntity"]),
        iam("ListUserPolicies", u()).bind("inline", "/PolicyNames/*"),
        iam("DeleteUserPolicy", with("PolicyName", "$inline[]")),
        iam("ListAttachedUserPolicies", u()).bind("attached", "/AttachedPolicies/*/PolicyArn"),
        iam("DetachUserPolicy", with("PolicyArn", "$attached[]")),
        iam("ListGroupsForUser", u()).bind("groups", "/Groups/*/GroupName"),
        iam("RemoveUserFromGroup", with("GroupName", "$groups[]")),
        iam("ListMFADevices", u()).bind("mfa", "/MFADevices/*/SerialNumber"),
        iam("DeactivateMFADevice", with("SerialNumber", "$mfa[]")),
        iam("DeleteVirtualMFADevice", json!({"SerialNumber": "$mfa[]"}))
            .absent_on(&["NoSuchEntity"]),
        iam("ListSigningCertificates", u()).bind("certificates", "/Certificates/*/CertificateId"),
        iam(
            "DeleteSigningCertificate",
            with("CertificateId", "$certificates[]"),
        ),
        iam("ListSSHPublicKeys", u()).bind("ssh", "/SSHPublicKeys/*/SSHPublicKeyId"),
        iam("DeleteSSHPublicKey", with("SSHPublicKeyId", "$ssh[]")),
        iam("DeleteUser", u()),
    ]
}

/// Why an action needs no calls, judged from what the console knows: acting on an
/// already-inactive key is recorded as a no-op rather than failing.
pub fn already_done(action: &Action, state: &IncidentState) -> Option<String> {
    match action {
        Action::DeactivateKey { access_key_id, .. } => {
            state.key(access_key_id).and_then(|k| match k.status {
                KeyStatus::Active => None,
                KeyStatus::Inactive => Some(format!("{access_key_id} is already inactive")),
                KeyStatus::Deleted => Some(format!("{access_key_id} is already deleted")),
            })
        }
        Action::DeleteKey { access_key_id, .. } => state
            .key(access_key_id)
            .filter(|k| k.status == KeyStatus::Deleted)
            .map(|_| format!("{access_key_id} is already deleted")),
        Action::DenyAll { user } => state
            .user(user)
            .filter(|u| u.inline_policies.iter().any(|p| p == DENY_ALL_POLICY))
            .map(|_| format!("{user} already has the {DENY_ALL_POLICY} policy")),
        Action::StopInstances { instance_ids, .. } => {
            let gone = |id: &String| state.instance(id).is_some_and(|i| !i.state.is_running());
            instance_ids
                .iter()
                .all(gone)
                .then(|| format!("{} already stopped or terminated", action.subject()))
        }
        Action::TerminateInstances { instance_ids, .. } => instance_ids
            .iter()
            .all(|id| {
                state
                    .instance(id)
                    .is_some_and(|i| i.state == InstanceState::Terminated)
            })
            .then(|| format!("{} already terminated", action.subject())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResourceKey;
    use chrono::TimeZone;

    #[test]
    fn deactivation_is_one_update_access_key_call() {
        let calls = plan(&Action::DeactivateKey {
            user: "admin-ops".into(),
            access_key_id: "AKIA1".into(),
        });
        assert_eq!(calls.len(), 1);
        assert_eq!(
            calls[0].to_string(),
            r#"iam:UpdateAccessKey {"UserName":"admin-ops","AccessKeyId":"AKIA1","Status":"Inactive"}"#
        );
    }

    #[test]
    fn revoking_a_role_denies_tokens_issued_before_the_cutoff() {
        let before = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
        let calls = plan(&Action::RevokeSessions {
            principal: PrincipalRef::Role("Deploy".into()),
            issued_before: before,
        });
        assert_eq!(calls[0].operation, "PutRolePolicy");
        assert_eq!(calls[0].params["RoleName"], "Deploy");
        let doc: Value =
            serde_json::from_str(calls[0].params["PolicyDocument"].as_str().unwrap()).unwrap();
        assert_eq!(
            doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
            "2026-11-22T08:00:00Z"
        );
        assert_eq!(doc["Statement"][0]["Effect"], "Deny");
    }

    #[test]
    fn remediation_is_batched_by_one_hundred_per_region() {
        let resources: Vec<_> = (0..250)
            .map(|i| ResourceKey {
                resource_type: "AWS::S3::Bucket".into(),
                resource_id: format!("b{i}"),
                region: Some(if i < 230 { "us-east-1" } else { "eu-west-1" }.into()),
            })
            .collect();
        let calls = plan(&Action::Remediate {
            rule: "s3-bucket-public-read-prohibited".into(),
            resources,
        });
        let sizes: Vec<_> = calls
            .iter()
            .map(|c| c.params["ResourceKeys"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [100, 100, 30, 20]);
        let regions: Vec<_> = calls.iter().map(|c| c.region.as_deref().unwrap()).collect();
        assert_eq!(
            regions,
            ["us-east-1", "us-east-1", "us-east-1", "eu-west-1"]
        );
    }

    /// An AWS that answers lists from a script and keeps the calls it was asked to make.
    struct Scripted {
        answers: Vec<(&'static str, Value)>,
        made: std::sync::Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl crate::respond::ResponseApi for Scripted {
        async fn call(&self, call: &ApiCall) -> Result<Value, crate::respond::ApiError> {
            self.made
                .lock()
                .unwrap()
                .push(format!("{} {}", call.operation, call.params));
            if call.operation == "DeleteLoginProfile" {
                return Err(crate::respond::ApiError::new("NoSuchEntity", "no password"));
            }
            Ok(self
                .answers
                .iter()
                .find(|(op, _)| *op == call.operation)
                .map(|(_, v)| v.clone())
                .unwrap_or(json!({})))
        }
    }

    fn run(api: &Scripted, action: &Action) -> Result<String, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(crate::respond::execute(
            api,
            &plan(action),
            &|_| {},
            &|_, _| {},
        ))
    }

    #[test]
    fn deleting_a_user_removes_each_dependant_first_then_the_user() {
        let api = Scripted {
            answers: vec![
                (
                    "ListAccessKeys",
                    json!({"AccessKeyMetadata": [{"AccessKeyId": "AKIA1"}, {"AccessKeyId": "AKIA2"}]}),
                ),
                (
                    "ListAttachedUserPolicies",
                    json!({"AttachedPolicies": [{"PolicyArn": "arn:p"}]}),
                ),
                (
                    "ListMFADevices",
                    json!({"MFADevices": [{"SerialNumber": "arn:mfa"}]}),
                ),
            ],
            made: Default::default(),
        };
        let done = run(&api, &Action::DeleteUser { user: "svc".into() }).unwrap();
        let made = api.made.lock().unwrap().clone();
        let ops: Vec<&str> = made.iter().map(|m| m.split(' ').next().unwrap()).collect();
        assert_eq!(
            ops,
            [
                "ListAccessKeys",
                "DeleteAccessKey",
                "DeleteAccessKey",
                "DeleteLoginProfile",
                "ListUserPolicies",
                "ListAttachedUserPolicies",
                "DetachUserPolicy",
                "ListGroupsForUser",
                "ListMFADevices",
                "DeactivateMFADevice",
                "DeleteVirtualMFADevice",
                "ListSigningCertificates",
                "ListSSHPublicKeys",
                "DeleteUser",
            ]
        );
        assert!(made[2].contains("AKIA2"), "{made:?}");
        assert!(
            done.contains("iam:DeleteAccessKey ×2") && done.contains("nothing to do"),
            "{done}"
        );
    }

    #[test]
    fn isolating_makes_the_quarantine_group_only_when_the_vpc_has_none() {
        let instance = json!({"Reservations": [{"Instances": [{"VpcId": "vpc-1", "SecurityGroups": [{"GroupId": "sg-web"}]}]}]});
        let action = Action::IsolateInstance {
            instance_id: "i-1".into(),
            region: "eu-west-1".into(),
        };
        let fresh = Scripted {
            answers: vec![
                ("DescribeInstances", instance.clone()),
                ("DescribeSecurityGroups", json!({"SecurityGroups": []})),
                ("CreateSecurityGroup", json!({"GroupId": "sg-q"})),
            ],
            made: Default::default(),
        };
        run(&fresh, &action).unwrap();
        let made = fresh.made.lock().unwrap().clone();
        assert_eq!(made.len(), 5, "{made:?}");
        assert!(made[2].starts_with("CreateSecurityGroup") && made[2].contains("vpc-1"));
        assert!(made[3].starts_with("RevokeSecurityGroupEgress") && made[3].contains("sg-q"));
        assert!(made[4].contains(r#""Groups":["sg-q"]"#), "{made:?}");
        let existing = Scripted {
            answers: vec![
                ("DescribeInstances", instance),
                (
                    "DescribeSecurityGroups",
                    json!({"SecurityGroups": [{"GroupId": "sg-old"}]}),
                ),
            ],
            made: Default::default(),
        };
        run(&existing, &action).unwrap();
        let made = existing.made.lock().unwrap().clone();
        assert_eq!(made.len(), 3, "{made:?}");
        assert!(made[2].contains(r#""Groups":["sg-old"]"#), "{made:?}");
    }

    #[test]
    fn deny_all_is_an_explicit_deny_of_everything() {
        let calls = plan(&Action::DenyAll { user: "u".into() });
        let doc: Value =
            serde_json::from_str(calls[0].params["PolicyDocument"].as_str().unwrap()).unwrap();
        assert_eq!(doc["Statement"][0]["Effect"], "Deny");
        assert_eq!(doc["Statement"][0]["Action"], "*");
        assert_eq!(calls[0].params["PolicyName"], DENY_ALL_POLICY);
    }
}
