//! Responses a responder can take, and the steps each one goes through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use super::call::ApiCall;

/// A user or a role, for responses that apply to either.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "lowercase")]
pub enum PrincipalRef {
    User(String),
    Role(String),
}

impl PrincipalRef {
    pub fn name(&self) -> &str {
        match self {
            PrincipalRef::User(n) | PrincipalRef::Role(n) => n,
        }
    }
}

impl fmt::Display for PrincipalRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrincipalRef::User(n) => write!(f, "user {n}"),
            PrincipalRef::Role(n) => write!(f, "role {n}"),
        }
    }
}

/// The resource a Config remediation applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceKey {
    pub resource_type: String,
    pub resource_id: String,
    /// Config is regional: the remediation runs where the resource was evaluated.
    #[serde(default)]
    pub region: Option<String>,
}

/// A containment or remediation step, as a responder asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Action {
    DeactivateKey {
        user: String,
        access_key_id: String,
    },
    DeleteKey {
        user: String,
        access_key_id: String,
    },
    DenyAll {
        user: String,
    },
    RevokeSessions {
        principal: PrincipalRef,
        issued_before: DateTime<Utc>,
    },
    Remediate {
        rule: String,
        resources: Vec<ResourceKey>,
    },
    /// Swap an instance's security groups for the VPC's quarantine group (no rules); the
    /// groups it had are journaled, so the swap can be undone.
    IsolateInstance {
        instance_id: String,
        region: String,
    },
    /// Snapshot every EBS volume of an instance for forensics, tagged with the incident.
    SnapshotInstance {
        instance_id: String,
        region: String,
        incident: String,
    },
    StopInstances {
        region: String,
        instance_ids: Vec<String>,
    },
    /// Cannot be undone: asks for part of the (first) instance ID to be typed.
    TerminateInstances {
        region: String,
        instance_ids: Vec<String>,
    },
    /// Remove an ingress rule (the attacker's SSH from anywhere).
    RevokeIngress {
        region: String,
        group_id: String,
        rule_id: String,
    },
    /// Delete a user and everything AWS requires gone first: keys, login profile,
    /// policies, group memberships, MFA devices, signing certificates, SSH keys.
    DeleteUser {
        user: String,
    },
    DeleteLoginProfile {
        user: String,
    },
    DetachPolicy {
        user: String,
        policy_arn: String,
    },
    DeleteKeyPair {
        region: String,
        key_name: String,
    },
    /// The playbook for a compromised credential, as one plan: its steps run in order and
    /// the first failure stops it.
    Contain {
        /// The principal or access key the plan contains.
        target: String,
        steps: Vec<Action>,
    },
}

impl Action {
    /// The verb of the shared command vocabulary.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::DeactivateKey { .. } => "deactivate",
            Action::DeleteKey { .. } => "delete-key",
            Action::DenyAll { .. } => "deny-all",
            Action::RevokeSessions { .. } => "revoke-sessions",
            Action::Remediate { .. } => "remediate",
            Action::IsolateInstance { .. } => "isolate",
            Action::SnapshotInstance { .. } => "snapshot",
            Action::StopInstances { .. } => "stop",
            Action::TerminateInstances { .. } => "terminate",
            Action::RevokeIngress { .. } => "revoke-ingress",
            Action::DeleteUser { .. } => "delete-user",
            Action::DeleteLoginProfile { .. } => "delete-login-profile",
            Action::DetachPolicy { .. } => "detach-policy",
            Action::DeleteKeyPair { .. } => "delete-key-pair",
            Action::Contain { .. } => "contain",
        }
    }

    /// The steps of a plan; an action that is not a plan is its own one step.
    pub fn steps(&self) -> &[Action] {
        match self {
            Action::Contain { steps, .. } => steps,
            one => std::slice::from_ref(one),
        }
    }

    /// Whether the action destroys something that cannot be brought back.
    pub fn is_irreversible(&self) -> bool {
        match self {
            Action::DeleteKey { .. }
            | Action::TerminateInstances { .. }
            | Action::DeleteUser { .. }
            | Action::DeleteLoginProfile { .. }
            | Action::DeleteKeyPair { .. } => true,
            Action::Contain { steps, .. } => steps.iter().any(Action::is_irreversible),
            _ => false,
        }
    }

    /// One line saying what the action does, for dialogs, the timeline and chat.
    pub fn describe(&self) -> String {
        match self {
            Action::DeactivateKey {
                user,
                access_key_id,
            } => format!("Deactivate access key {access_key_id} of {user}"),
            Action::DeleteKey {
                user,
                access_key_id,
            } => format!("Delete access key {access_key_id} of {user} (cannot be undone)"),
            Action::DenyAll { user } => {
                format!("Attach an explicit deny-all inline policy to user {user}")
            }
            Action::RevokeSessions {
                principal,
                issued_before,
            } => format!(
                "Revoke sessions of {principal} issued before {}",
                issued_before.format("%Y-%m-%d %H:%M:%SZ")
            ),
            Action::Remediate { rule, resources } => {
                let which = match resources.as_slice() {
                    [one] => one.resource_id.clone(),
                    many => format!("{} resources", many.len()),
                };
                format!("Run the Config remediation of {rule} on {which}")
            }
            Action::IsolateInstance {
                instance_id,
                region,
            } => {
                format!("Isolate instance {instance_id} ({region}) in a quarantine security group")
            }
            Action::SnapshotInstance {
                instance_id,
                region,
                incident,
            } => format!(
                "Snapshot the EBS volumes of {instance_id} ({region}), tagged with {incident}"
            ),
            Action::StopInstances {
                region,
                instance_ids,
            } => format!("Stop {} ({region})", instances(instance_ids)),
            Action::TerminateInstances {
                region,
                instance_ids,
            } => format!(
                "Terminate {} ({region}) (cannot be undone)",
                instances(instance_ids)
            ),
            Action::RevokeIngress {
                region,
                group_id,
                rule_id,
            } => format!("Remove ingress rule {rule_id} from {group_id} ({region})"),
            Action::DeleteUser { user } => format!(
                "Delete user {user} with its keys, login profile, policies, groups, MFA devices, certificates and SSH keys (cannot be undone)"
            ),
            Action::DeleteLoginProfile { user } => {
                format!("Delete the console password of {user}")
            }
            Action::DetachPolicy { user, policy_arn } => {
                format!("Detach {policy_arn} from user {user}")
            }
            Action::DeleteKeyPair { region, key_name } => {
                format!("Delete key pair {key_name} ({region})")
            }
            Action::Contain { target, steps } => {
                format!("Contain {target}: a plan of {} steps", steps.len())
            }
        }
    }

    /// The access key, user or role the action is about (for pivots and the timeline).
    pub fn subject(&self) -> String {
        match self {
            Action::DeactivateKey { access_key_id, .. }
            | Action::DeleteKey { access_key_id, .. } => access_key_id.clone(),
            Action::DenyAll { user } => user.clone(),
            Action::RevokeSessions { principal, .. } => principal.name().to_string(),
            Action::Remediate { rule, .. } => rule.clone(),
            Action::IsolateInstance { instance_id, .. }
            | Action::SnapshotInstance { instance_id, .. } => instance_id.clone(),
            Action::StopInstances { instance_ids, .. }
            | Action::TerminateInstances { instance_ids, .. } => match instance_ids.as_slice() {
                [one] => one.clone(),
                many => format!("{} instances", many.len()),
            },
            Action::RevokeIngress { rule_id, .. } => rule_id.clone(),
            Action::DeleteUser { user }
            | Action::DeleteLoginProfile { user }
            | Action::DetachPolicy { user, .. } => user.clone(),
            Action::DeleteKeyPair { key_name, .. } => key_name.clone(),
            Action::Contain { target, .. } => target.clone(),
        }
    }

    /// What the action will do, in a form a confirmation carries and the journal checks: the
    /// verb, the subject and a digest of every parameter, so a click meant for one request
    /// can never run another.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_string(self).expect("actions serialise");
        let digest = hex::encode(&Sha256::digest(json.as_bytes())[..6]);
        format!("{}:{}:{digest}", self.verb(), self.subject())
    }

    /// What must be typed to confirm an action that cannot be undone: the last four
    /// characters of what it destroys (a plan: of its subject).
    pub fn confirmation_code(&self) -> Option<String> {
        let tail = |s: &str| {
            let chars: Vec<char> = s.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        match self {
            Action::DeleteKey { access_key_id, .. } => Some(tail(access_key_id)),
            Action::TerminateInstances { instance_ids, .. } => {
                instance_ids.first().map(|i| tail(i))
            }
            Action::DeleteUser { user } | Action::DeleteLoginProfile { user } => Some(tail(user)),
            Action::DeleteKeyPair { key_name, .. } => Some(tail(key_name)),
            Action::Contain { target, .. } if self.is_irreversible() => Some(tail(target)),
            _ => None,
        }
    }

    /// The region a regional action runs in (EC2); `None` for IAM and plans.
    pub fn region(&self) -> Option<&str> {
        match self {
            Action::IsolateInstance { region, .. }
            | Action::SnapshotInstance { region, .. }
            | Action::StopInstances { region, .. }
            | Action::TerminateInstances { region, .. }
            | Action::RevokeIngress { region, .. }
            | Action::DeleteKeyPair { region, .. } => Some(region),
            _ => None,
        }
    }
}

/// "i-1" or "3 instances (i-1, i-2, i-3)".
fn instances(ids: &[String]) -> String {
    match ids {
        [one] => format!("instance {one}"),
        many => format!("{} instances ({})", many.len(), many.join(", ")),
    }
}

/// Where an action was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Tui,
    Slack,
    Cli,
    /// An unattended response of a configured policy.
    Policy,
}

/// A step in the life of an action. Every step is its own journal record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    Requested {
        action: Action,
        origin: Origin,
        calls: Vec<ApiCall>,
        /// Wall-clock time after which the request can no longer be confirmed (the
        /// incident's clock may stand still, as in a demo, or be replayed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<DateTime<Utc>>,
        /// An unattended request runs at this wall-clock time unless someone vetoes
        /// (cancels) it first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runs_at: Option<DateTime<Utc>>,
    },
    Confirmed,
    /// A state change while the calls run (e.g. a remediation going from QUEUED to
    /// IN_PROGRESS).
    Progress {
        detail: String,
        /// Set when the step of a plan with this index is done: a resumed plan skips it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done_step: Option<usize>,
        /// Set when this reports one call of a step that makes several, as it was made
        /// (values from earlier calls filled in): the journal's account of what ran.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        made: Option<ApiCall>,
    },
    Cancelled,
    /// Refused before anything was done (read-only mode, not permitted, …).
    Refused {
        reason: String,
    },
    /// Nothing to do: the world is already as the action would make it.
    Noop {
        reason: String,
    },
    /// Confirmed under `--dry-run`: these calls would have been made.
    DryRun {
        calls: Vec<ApiCall>,
    },
    Succeeded {
        #[serde(default)]
        detail: String,
    },
    Failed {
        error: String,
    },
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Requested { .. } => "requested",
            Step::Confirmed => "confirmed",
            Step::Progress { .. } => "progress",
            Step::Cancelled => "cancelled",
            Step::Refused { .. } => "refused",
            Step::Noop { .. } => "no-op",
            Step::DryRun { .. } => "dry-run",
            Step::Succeeded { .. } => "succeeded",
            Step::Failed { .. } => "failed",
        }
    }

    /// Whether this step decides the request: after it, nobody may confirm or cancel it.
    /// A confirmation is the first such step, so at most one can ever be written.
    pub fn settles(&self) -> bool {
        !matches!(self, Step::Requested { .. } | Step::Progress { .. })
    }

    /// Whether the action is over after this step.
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            Step::Requested { .. } | Step::Confirmed | Step::Progress { .. }
        )
    }
}

/// A step of one action, identified across processes by `action_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionStep {
    pub action_id: String,
    #[serde(flatten)]
    pub step: Step,
}
