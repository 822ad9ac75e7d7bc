//! IAM users and access keys: who exists, which keys are active, when each was last used.

use super::errors::{self, AwsFailure};
use super::time::from_smithy;
use crate::model::{KeySnapshot, KeyStatus, RecordBody, UserSnapshot};
use aws_sdk_iam::types::{StatusType, User};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use std::collections::HashMap;

/// Users looked at at once: IAM's read APIs are generous, but not unlimited.
const CONCURRENCY: usize = 8;

/// Users and keys as IAM reports them right now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IamSnapshot {
    pub users: Vec<UserSnapshot>,
    pub keys: Vec<KeySnapshot>,
}

#[derive(Clone)]
pub struct IamSource {
    client: aws_sdk_iam::Client,
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> DateTime<Utc> {
    t.and_then(from_smithy)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl IamSource {
    pub fn new(client: aws_sdk_iam::Client) -> Self {
        IamSource { client }
    }

    pub fn client(&self) -> &aws_sdk_iam::Client {
        &self.client
    }

    /// Every user with its policies, every key with its last use.
    pub async fn snapshot(&self) -> Result<IamSnapshot, AwsFailure> {
        let users: Vec<User> = self
            .client
            .list_users()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::describe("iam:ListUsers", &e))?;
        // Owned futures: a borrowing closure here makes the whole poller future non-Send.
        let per_user: Vec<Result<(UserSnapshot, Vec<KeySnapshot>), AwsFailure>> =
            futures::stream::iter(users.into_iter().map(|u| {
                let this = self.clone();
                async move { this.user(&u).await }
            }))
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let mut snap = IamSnapshot::default();
        for r in per_user {
            let (user, keys) = r?;
            snap.users.push(user);
            snap.keys.extend(keys);
        }
        Ok(snap)
    }

    async fn user(&self, u: &User) -> Result<(UserSnapshot, Vec<KeySnapshot>), AwsFailure> {
        let name = u.user_name();
        let inline = self
            .client
            .list_user_policies()
            .user_name(name)
            .send()
            .await
            .map_err(|e| errors::describe("iam:ListUserPolicies", &e))?;
        let attached = self
            .client
            .list_attached_user_policies()
            .user_name(name)
            .send()
            .await
            .map_err(|e| errors::describe("iam:ListAttachedUserPolicies", &e))?;
        let listed = self
            .client
            .list_access_keys()
            .user_name(name)
            .send()
            .await
            .map_err(|e| errors::describe("iam:ListAccessKeys", &e))?;
        let mut keys = Vec::new();
        for k in listed.access_key_metadata() {
            let Some(id) = k.access_key_id() else {
                continue;
            };
            let used = self
                .client
                .get_access_key_last_used()
                .access_key_id(id)
                .send()
                .await
                .map_err(|e| errors::describe("iam:GetAccessKeyLastUsed", &e))?;
            let last = used.access_key_last_used();
            // IAM says "N/A" for a key never used.
            let known = |s: &str| (!s.is_empty() && s != "N/A").then(|| s.to_string());
            keys.push(KeySnapshot {
                user: name.to_string(),
                access_key_id: id.to_string(),
                status: match k.status() {
                    Some(StatusType::Active) => KeyStatus::Active,
                    _ => KeyStatus::Inactive,
                },
                created: time(k.create_date()),
                last_used: last.and_then(|l| l.last_used_date()).and_then(from_smithy),
                last_used_service: last.and_then(|l| known(l.service_name())),
                last_used_region: last.and_then(|l| known(l.region())),
                account: crate::model::arn_account(u.arn()).map(str::to_string),
            });
        }
        let user = UserSnapshot {
            name: name.to_string(),
            arn: u.arn().to_string(),
            created: time(Some(u.create_date())),
            inline_policies: inline.policy_names().to_vec(),
            attached_policies: attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
        };
        Ok((user, keys))
    }
}

/// Remembers the last snapshot and says what changed since, so that the journal holds one
/// record per change rather than one per refresh.
#[derive(Default)]
pub struct IamTracker {
    users: HashMap<String, UserSnapshot>,
    keys: HashMap<String, KeySnapshot>,
}

impl IamTracker {
    /// Starts from what a reopened journal already knows.
    pub fn knowing(users: &[UserSnapshot], keys: &[KeySnapshot]) -> Self {
        IamTracker {
            users: users.iter().map(|u| (u.name.clone(), u.clone())).collect(),
            keys: keys
                .iter()
                .map(|k| (k.access_key_id.clone(), k.clone()))
                .collect(),
        }
    }

    /// Records for every user and key that is new or changed; a key that is gone is
    /// recorded as deleted.
    pub fn changes(&mut self, snap: IamSnapshot) -> Vec<RecordBody> {
        let mut out = Vec::new();
        for u in snap.users {
            if self.users.get(&u.name) != Some(&u) {
                self.users.insert(u.name.clone(), u.clone());
                out.push(RecordBody::User(u));
            }
        }
        let present: std::collections::HashSet<String> =
            snap.keys.iter().map(|k| k.access_key_id.clone()).collect();
        for k in snap.keys {
            if self.keys.get(&k.access_key_id) != Some(&k) {
                self.keys.insert(k.access_key_id.clone(), k.clone());
                out.push(RecordBody::Key(k));
            }
        }
        for (id, k) in self.keys.iter_mut() {
            if !present.contains(id) && k.status != KeyStatus::Deleted {
                k.status = KeyStatus::Deleted;
                out.push(RecordBody::Key(k.clone()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::operation::get_access_key_last_used::GetAccessKeyLastUsedOutput;
    use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
    use aws_sdk_iam::operation::list_attached_user_policies::ListAttachedUserPoliciesOutput;
    use aws_sdk_iam::operation::list_user_policies::ListUserPoliciesOutput;
    use aws_sdk_iam::operation::list_users::ListUsersOutput;
    use aws_sdk_iam::types::{AccessKeyLastUsed, AccessKeyMetadata, AttachedPolicy};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::DateTime as SmithyTime;

    fn user(name: &str) -> User {
        User::builder()
            .user_name(name)
            .user_id(format!("AIDA{name}"))
            .arn(format!("arn:aws:iam::111122223333:user/{name}"))
            .path("/")
            .create_date(SmithyTime::from_secs(1_700_000_000))
            .build()
            .unwrap()
    }

    fn client() -> aws_sdk_iam::Client {
        let users_page_1 = mock!(aws_sdk_iam::Client::list_users)
            .match_requests(|r| r.marker().is_none())
            .then_output(|| {
                ListUsersOutput::builder()
                    .users(user("admin-ops"))
                    .is_truncated(true)
                    .marker("m2")
                    .build()
                    .unwrap()
            });
        let users_page_2 = mock!(aws_sdk_iam::Client::list_users)
            .match_requests(|r| r.marker() == Some("m2"))
            .then_output(|| {
                ListUsersOutput::builder()
                    .users(user("dana"))
                    .is_truncated(false)
                    .build()
                    .unwrap()
            });
        let inline = mock!(aws_sdk_iam::Client::list_user_policies).then_compute_output(|r| {
            let names = if r.user_name() == Some("admin-ops") {
                vec!["warroom-deny-all".to_string()]
            } else {
                vec![]
            };
            ListUserPoliciesOutput::builder()
                .set_policy_names(Some(names))
                .build()
                .unwrap()
        });
        let attached = mock!(aws_sdk_iam::Client::list_attached_user_policies).then_output(|| {
            ListAttachedUserPoliciesOutput::builder()
                .attached_policies(
                    AttachedPolicy::builder()
                        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
                        .build(),
                )
                .build()
        });
        let keys = mock!(aws_sdk_iam::Client::list_access_keys).then_compute_output(|r| {
            let user = r.user_name().unwrap().to_string();
            let (id, status) = if user == "admin-ops" {
                ("AKIAADMIN", StatusType::Active)
            } else {
                ("AKIADANA", StatusType::Inactive)
            };
            ListAccessKeysOutput::builder()
                .access_key_metadata(
                    AccessKeyMetadata::builder()
                        .user_name(user)
                        .access_key_id(id)
                        .status(status)
                        .create_date(SmithyTime::from_secs(1_600_000_000))
                        .build(),
                )
                .build()
                .unwrap()
        });
        let last_used =
            mock!(aws_sdk_iam::Client::get_access_key_last_used).then_compute_output(|r| {
                let used = if r.access_key_id() == Some("AKIAADMIN") {
                    AccessKeyLastUsed::builder()
                        .last_used_date(SmithyTime::from_secs(1_763_797_032))
                        .service_name("ec2")
                        .region("us-east-1")
                        .build()
                        .unwrap()
                } else {
                    AccessKeyLastUsed::builder()
                        .service_name("N/A")
                        .region("N/A")
                        .build()
                        .unwrap()
                };
                GetAccessKeyLastUsedOutput::builder()
                    .access_key_last_used(used)
                    .build()
            });
        mock_client!(
            aws_sdk_iam,
            RuleMode::MatchAny,
            &[
                &users_page_1,
                &users_page_2,
                &inline,
                &attached,
                &keys,
                &last_used
            ]
        )
    }

    #[tokio::test]
    async fn a_snapshot_reads_every_user_page_and_each_key_last_use() {
        let snap = IamSource::new(client()).snapshot().await.unwrap();
        let users: Vec<_> = snap.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(users, ["admin-ops", "dana"]);
        assert_eq!(snap.users[0].inline_policies, ["warroom-deny-all"]);
        let admin = &snap.keys[0];
        assert_eq!(admin.access_key_id, "AKIAADMIN");
        assert_eq!(admin.status, KeyStatus::Active);
        assert_eq!(admin.last_used_service.as_deref(), Some("ec2"));
        assert!(admin.last_used.is_some());
        let dana = &snap.keys[1];
        assert_eq!(dana.status, KeyStatus::Inactive);
        assert_eq!(dana.last_used, None);
        assert_eq!(dana.last_used_service, None, "N/A is not a service");
    }

    #[tokio::test]
    async fn the_tracker_reports_only_changes_and_vanished_keys() {
        let snap = IamSource::new(client()).snapshot().await.unwrap();
        let mut tracker = IamTracker::default();
        assert_eq!(
            tracker.changes(snap.clone()).len(),
            4,
            "two users, two keys"
        );
        assert!(tracker.changes(snap.clone()).is_empty(), "nothing changed");
        let mut later = snap.clone();
        later.keys[0].status = KeyStatus::Inactive;
        later.keys.pop();
        let changes = tracker.changes(later);
        let statuses: Vec<_> = changes
            .iter()
            .map(|c| match c {
                RecordBody::Key(k) => (k.access_key_id.as_str(), k.status),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            statuses,
            [
                ("AKIAADMIN", KeyStatus::Inactive),
                ("AKIADANA", KeyStatus::Deleted)
            ]
        );
    }
}
