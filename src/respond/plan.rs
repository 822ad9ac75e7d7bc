//! From an action to the exact API calls that carry it out: what `--dry-run` prints and
//! what the executor makes, so the two can never differ.

use crate::model::{Action, ApiCall, KeyStatus, PrincipalRef, ResourceKey};
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

/// The calls that carry out `action`, in order.
pub fn plan(action: &Action) -> Vec<ApiCall> {
    let iam = |operation: &str, params: Value| ApiCall {
        service: "iam".into(),
        operation: operation.into(),
        region: None,
        params,
    };
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
                        .map(|batch| ApiCall {
                            service: "config".into(),
                            operation: "StartRemediationExecution".into(),
                            region: region.clone(),
                            params: json!({
                                "ConfigRuleName": rule,
                                "ResourceKeys": batch
                                    .iter()
                                    .map(|r| json!({"resourceType": r.resource_type, "resourceId": r.resource_id}))
                                    .collect::<Vec<_>>(),
                            }),
                        })
                        .collect::<Vec<_>>()
                })
                .collect()
        }
    }
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
        Action::RevokeSessions { .. } | Action::Remediate { .. } => None,
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
