//! `destruction`: what ransomware and sabotage do first — versions, replication, encryption
//! and lifecycle taken from buckets, ransom notes written, keys disabled or scheduled for
//! deletion, databases deleted without a final snapshot or left unprotected, backups and
//! snapshots deleted, EBS default encryption turned off.

use super::signal::{Theme, at, is_false, is_true, raise, request, text};
use crate::detect::detection::{Context, Detection};
use crate::model::{CloudTrailEvent, Severity};
use serde_json::Value;

pub struct Destruction;

const THEME: Theme = Theme {
    rule: "destruction",
    severity: Severity::Critical,
    title: "Data being destroyed or held to ransom by {}",
};

/// Object names ransom notes are given.
fn ransom_note(key: &str) -> bool {
    let k = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    [
        "ransom",
        "decrypt",
        "recover",
        "restore-files",
        "how_to",
        "how-to",
        "readme_",
        "your_files",
        "pay",
    ]
    .iter()
    .any(|w| k.contains(w))
        && (k.ends_with(".txt") || k.ends_with(".html") || k.ends_with(".md") || !k.contains('.'))
}

/// Whether a lifecycle configuration expires current objects within a day (or at once).
fn expires_everything(r: &Value) -> bool {
    let rules = at(r, "LifecycleConfiguration.Rule");
    let rules: Vec<&Value> = match rules {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    rules.iter().any(|rule| {
        let days = at(rule, "Expiration.Days")
            .and_then(|d| d.as_i64().or_else(|| d.as_str()?.parse().ok()));
        text(rule, "Status").eq_ignore_ascii_case("Enabled") && days.is_some_and(|d| d <= 1)
    })
}

impl Detection for Destruction {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        // A refused call exposed or destroyed nothing; the refusals themselves are
        // `access-denied`'s.
        if e.failed() || super::signal::by_a_service(e) {
            return;
        }
        let r = request(e);
        let bucket = || text(r, "bucketName");
        let db = || match text(r, "dBInstanceIdentifier") {
            "" => text(r, "dBClusterIdentifier"),
            d => d,
        };
        let what = match e.event_name.as_str() {
            "PutBucketVersioning" => {
                let v = r.get("VersioningConfiguration").unwrap_or(&Value::Null);
                if text(v, "Status") == "Suspended" {
                    Some(format!("suspend versioning of bucket {}", bucket()))
                } else if text(v, "MfaDelete") == "Disabled" {
                    Some(format!("turn off MFA delete on bucket {}", bucket()))
                } else {
                    None
                }
            }
            "DeleteBucketReplication" => {
                Some(format!("remove the replication of bucket {}", bucket()))
            }
            "DeleteBucketEncryption" => Some(format!(
                "remove the default encryption of bucket {}",
                bucket()
            )),
            "PutBucketEncryption" => {
                // Encrypting with a key of another account is how buckets are held to
                // ransom: the owner can no longer read them once that key goes.
                let key = at(
                    r,
                    "ServerSideEncryptionConfiguration.Rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID",
                )
                .and_then(Value::as_str)
                .unwrap_or_default();
                let account = key.split(':').nth(4).unwrap_or_default();
                (!account.is_empty() && account != &*e.identity.account_id).then(|| {
                    format!(
                        "encrypt bucket {} with a key of account {account}",
                        bucket()
                    )
                })
            }
            "DeleteBackupVaultLockConfiguration" => Some(format!(
                "remove the lock of backup vault {}",
                text(r, "backupVaultName")
            )),
            "DeleteBucketLifecycle" => Some(format!("remove the lifecycle of bucket {}", bucket())),
            "PutBucketLifecycle" | "PutBucketLifecycleConfiguration" if expires_everything(r) => {
                Some(format!(
                    "set bucket {} to expire its objects within a day",
                    bucket()
                ))
            }
            "PutObject" if ransom_note(text(r, "key")) => Some(format!(
                "write {} to bucket {}, named like a ransom note",
                text(r, "key"),
                bucket()
            )),
            "DisableKey" => Some(format!("disable KMS key {}", text(r, "keyId"))),
            "ScheduleKeyDeletion" => Some(format!(
                "schedule KMS key {} for deletion{}",
                text(r, "keyId"),
                r.get("pendingWindowInDays")
                    .map(|d| format!(" in {d} days"))
                    .unwrap_or_default()
            )),
            "DeleteDBInstance" | "DeleteDBCluster" if is_true(r.get("skipFinalSnapshot")) => {
                Some(format!("delete database {} without a final snapshot", db()))
            }
            "DeleteDBInstance" | "DeleteDBCluster" if is_true(r.get("deleteAutomatedBackups")) => {
                Some(format!(
                    "delete database {} and its automated backups",
                    db()
                ))
            }
            "ModifyDBInstance" | "ModifyDBCluster" if is_false(r.get("deletionProtection")) => {
                Some(format!("turn off deletion protection of database {}", db()))
            }
            "ModifyDBInstance" | "ModifyDBCluster"
                if r.get("backupRetentionPeriod")
                    .is_some_and(|d| d == 0 || d == "0") =>
            {
                Some(format!("turn off the backups of database {}", db()))
            }
            "DeleteDBSnapshot" | "DeleteDBClusterSnapshot" => Some(format!(
                "delete database snapshot {}",
                match text(r, "dBSnapshotIdentifier") {
                    "" => text(r, "dBClusterSnapshotIdentifier"),
                    s => s,
                }
            )),
            "DeleteDBInstanceAutomatedBackup" => {
                Some("delete a database's automated backup".into())
            }
            "DeleteSnapshot" if e.event_source == "ec2.amazonaws.com" => {
                Some(format!("delete EBS snapshot {}", text(r, "snapshotId")))
            }
            "DeleteRecoveryPoint" => Some(format!(
                "delete recovery point {} of backup vault {}",
                text(r, "recoveryPointArn"),
                text(r, "backupVaultName")
            )),
            "DeleteBackupVault" => Some(format!(
                "delete backup vault {}",
                text(r, "backupVaultName")
            )),
            "DeleteBackupPlan" => Some(format!("delete backup plan {}", text(r, "backupPlanId"))),
            "DisableEbsEncryptionByDefault" => Some(format!(
                "turn off EBS encryption by default in {}",
                e.aws_region
            )),
            _ => None,
        };
        if let Some(what) = what {
            raise(cx, e, &THEME, what);
        }
    }
}
