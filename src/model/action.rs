//! Responses a responder can take, and the steps each one goes through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

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

    /// Deleting a key cannot be undone: its confirmation asks for part of the key ID.
    pub fn confirmation_code(&self) -> Option<String> {
        match self {
            Action::DeleteKey { access_key_id, .. } => {
                let n = access_key_id.len();
                Some(access_key_id[n.saturating_sub(4)..].to_string())
            }
            _ => None,
        }
    }
}

/// One AWS API call exactly as it will be made: what `--dry-run` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiCall {
    /// `iam`, `config`, …
    pub service: String,
    /// The API operation name, e.g. `UpdateAccessKey`.
    pub operation: String,
    /// The region of a regional service; `None` for global ones (IAM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub params: Value,
}

impl fmt::Display for ApiCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.operation)?;
        if let Some(r) = &self.region {
            write!(f, " ({r})")?;
        }
        write!(f, " {}", self.params)
    }
}

/// Where an action was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Tui,
    Slack,
    Cli,
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
    },
    Confirmed,
    /// A state change while the calls run (e.g. a remediation going from QUEUED to
    /// IN_PROGRESS).
    Progress {
        detail: String,
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
