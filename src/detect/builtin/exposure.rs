//! `resource-exposed`: data made public or shared with another account — a resource policy
//! opened to `*` or an outsider, a public ACL, a public-access block removed, a database or
//! snapshot made public, a snapshot exported, a build project made public.

use super::signal::{Theme, at, is_false, is_true, raise, request, text};
use crate::detect::detection::{Context, Detection};
use crate::detect::policy::opened_to;
use crate::model::{CloudTrailEvent, Severity};
use serde_json::Value;

pub struct Exposure;

pub(super) const THEME: Theme = Theme {
    rule: "resource-exposed",
    severity: Severity::High,
    title: "Resources made public or shared by {}",
};

/// S3's groups that mean everyone, or every AWS account.
const PUBLIC_GRANTEES: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

const PUBLIC_CANNED_ACLS: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

fn opened(e: &CloudTrailEvent, doc: Option<&Value>) -> Option<String> {
    let who = opened_to(doc?, &e.identity.account_id);
    (!who.is_empty()).then(|| {
        if who.iter().any(|w| w == "*") {
            "everyone (*)".to_string()
        } else {
            who.join(", ")
        }
    })
}

/// Who an S3 ACL grants to that is not the owner: everyone, or any AWS account.
fn public_acl(r: &Value) -> bool {
    let canned = |v: Option<&Value>| match v {
        Some(Value::String(s)) => PUBLIC_CANNED_ACLS.contains(&s.as_str()),
        Some(Value::Array(a)) => a
            .iter()
            .any(|s| s.as_str().is_some_and(|s| PUBLIC_CANNED_ACLS.contains(&s))),
        _ => false,
    };
    let grants = at(r, "AccessControlPolicy.AccessControlList.Grant");
    let granted = match grants {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(g) => vec![g],
        None => Vec::new(),
    };
    canned(r.get("x-amz-acl"))
        || granted
            .iter()
            .any(|g| PUBLIC_GRANTEES.contains(&text(g, "Grantee.URI")))
        || [
            "x-amz-grant-read",
            "x-amz-grant-write",
            "x-amz-grant-full-control",
        ]
        .iter()
        .any(|h| {
            r.get(*h)
                .map(|v| v.to_string())
                .is_some_and(|v| v.contains("acs.amazonaws.com/groups/global/All"))
        })
}

/// What a `valuesToAdd`/`add` list grants: `all` is everyone.
fn granted_accounts(v: Option<&Value>) -> Vec<String> {
    let items: Vec<&Value> = match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => match o.get("items") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|i| match i {
            Value::String(s) => Some(s.clone()),
            other => other
                .get("userId")
                .or_else(|| other.get("group"))
                .and_then(Value::as_str)
                .map(str::to_string),
        })
        .collect()
}

fn shared_with(accounts: &[String]) -> String {
    if accounts.iter().any(|a| a == "all") {
        "everyone".into()
    } else {
        format!("account {}", accounts.join(", "))
    }
}

impl Detection for Exposure {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        // A refused call exposed or destroyed nothing; the refusals themselves are
        // `access-denied`'s.
        if e.failed() || super::signal::by_a_service(e) {
            return;
        }
        let r = request(e);
        let name = e.event_name.as_str();
        let what = match name {
            "PutBucketPolicy" => opened(e, r.get("bucketPolicy"))
                .map(|w| format!("open bucket {} to {w} by its policy", text(r, "bucketName"))),
            "PutBucketAcl" | "PutObjectAcl" if public_acl(r) => Some(format!(
                "make {} {} public by its ACL",
                if name == "PutBucketAcl" {
                    "bucket"
                } else {
                    "an object of bucket"
                },
                text(r, "bucketName")
            )),
            "DeleteBucketPublicAccessBlock"
            | "DeletePublicAccessBlock"
            | "DeleteAccountPublicAccessBlock" => Some(format!(
                "remove the public-access block of {}",
                match text(r, "bucketName") {
                    "" => "the account".to_string(),
                    b => format!("bucket {b}"),
                }
            )),
            "PutBucketPublicAccessBlock"
            | "PutPublicAccessBlock"
            | "PutAccountPublicAccessBlock" => {
                let config = r
                    .get("PublicAccessBlockConfiguration")
                    .or_else(|| r.get("publicAccessBlockConfiguration"))
                    .unwrap_or(&Value::Null);
                let off: Vec<&str> = [
                    "BlockPublicAcls",
                    "IgnorePublicAcls",
                    "BlockPublicPolicy",
                    "RestrictPublicBuckets",
                ]
                .into_iter()
                .filter(|k| is_false(config.get(*k)))
                .collect();
                (!off.is_empty()).then(|| {
                    format!(
                        "turn off {} of the public-access block of {}",
                        off.join(", "),
                        match text(r, "bucketName") {
                            "" => "the account".to_string(),
                            b => format!("bucket {b}"),
                        }
                    )
                })
            }
            "PutKeyPolicy" => opened(e, r.get("policy"))
                .map(|w| format!("open KMS key {} to {w}", text(r, "keyId"))),
            "SetQueueAttributes" | "CreateQueue" => {
                opened(e, at(r, "attributes.Policy")).map(|w| {
                    let queue = match text(r, "queueUrl") {
                        "" => text(r, "queueName"),
                        q => q,
                    };
                    format!("open queue {queue} to {w}")
                })
            }
            "CreateTopic" => opened(e, at(r, "attributes.Policy"))
                .map(|w| format!("open topic {} to {w}", text(r, "name"))),
            "SetTopicAttributes" if text(r, "attributeName") == "Policy" => {
                opened(e, r.get("attributeValue"))
                    .map(|w| format!("open topic {} to {w}", text(r, "topicArn")))
            }
            "SetRepositoryPolicy" => opened(e, r.get("policyText"))
                .map(|w| format!("open image repository {} to {w}", text(r, "repositoryName"))),
            "PutResourcePolicy" if e.event_source == "secretsmanager.amazonaws.com" => {
                opened(e, r.get("resourcePolicy"))
                    .map(|w| format!("open secret {} to {w}", text(r, "secretId")))
            }
            "AddPermission"
            | "AddPermission20150331"
            | "AddPermission20150331v2"
            | "AddLayerVersionPermission"
            | "AddLayerVersionPermission20181031"
                if e.event_source == "lambda.amazonaws.com" =>
            {
                let principal = text(r, "principal");
                let outside = principal == "*"
                    || (principal.chars().all(|c| c.is_ascii_digit())
                        && !principal.is_empty()
                        && principal != &*e.identity.account_id);
                (outside && r.get("sourceArn").is_none() && r.get("sourceAccount").is_none()).then(
                    || {
                        format!(
                            "open function {} to {}",
                            match text(r, "functionName") {
                                "" => text(r, "layerName"),
                                f => f,
                            },
                            if principal == "*" {
                                "everyone (*)"
                            } else {
                                principal
                            }
                        )
                    },
                )
            }
            "ModifyDBInstance"
            | "CreateDBInstance"
            | "ModifyDBCluster"
            | "RestoreDBInstanceFromDBSnapshot"
                if is_true(r.get("publiclyAccessible")) =>
            {
                Some(format!(
                    "make database {} reachable from the internet",
                    match text(r, "dBInstanceIdentifier") {
                        "" => text(r, "dBClusterIdentifier"),
                        d => d,
                    }
                ))
            }
            "ModifyDBSnapshotAttribute" | "ModifyDBClusterSnapshotAttribute"
                if text(r, "attributeName") == "restore" =>
            {
                let added = granted_accounts(r.get("valuesToAdd"));
                (!added.is_empty()).then(|| {
                    format!(
                        "share database snapshot {} with {}",
                        match text(r, "dBSnapshotIdentifier") {
                            "" => text(r, "dBClusterSnapshotIdentifier"),
                            s => s,
                        },
                        shared_with(&added)
                    )
                })
            }
            "ModifySnapshotAttribute" | "ModifyImageAttribute" => {
                let (permission, what, id) = match name {
                    "ModifySnapshotAttribute" => {
                        ("createVolumePermission.add", "EBS snapshot", "snapshotId")
                    }
                    _ => ("launchPermission.add", "image", "imageId"),
                };
                let added = granted_accounts(at(r, permission));
                (!added.is_empty())
                    .then(|| format!("share {what} {} with {}", text(r, id), shared_with(&added)))
            }
            "StartExportTask" if e.event_source == "rds.amazonaws.com" => Some(format!(
                "export snapshot {} to bucket {}",
                text(r, "sourceArn"),
                text(r, "s3BucketName")
            )),
            "UpdateProjectVisibility" if text(r, "projectVisibility") == "PUBLIC_READ" => Some(
                format!("make build project {} public", text(r, "projectArn")),
            ),
            _ => None,
        };
        if let Some(what) = what {
            raise(cx, e, &THEME, what);
        }
    }
}
