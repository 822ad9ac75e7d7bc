//! `compromise`: signs of a breach that need no baseline — AWS itself quarantining a leaked
//! key (its `AWSCompromisedKeyQuarantine*` / `AWSExposedCredentialPolicy` policies), the root
//! user's keys, password or MFA changed (even through the console, `invokedBy` set), and the
//! user agents of attack tools.

use super::signal::{Theme, raise, request, text};
use crate::detect::detection::{Context, Detection};
use crate::model::{CloudTrailEvent, Severity, Sym};

#[derive(Default)]
pub struct Compromise {
    /// The attack tool each user agent names, if any: a million events share a few
    /// hundred user agents, so each is searched once.
    agents: foldhash::HashMap<Sym, Option<&'static str>>,
}

/// User agents remembered at most, so a stream of ever-new ones cannot grow the memory.
const AGENTS_REMEMBERED: usize = 4096;

const QUARANTINE: Theme = Theme {
    rule: "key-quarantined-by-aws",
    severity: Severity::Critical,
    title: "AWS says a key of {} leaked",
};

const ROOT_CREDENTIALS: Theme = Theme {
    rule: "root-credentials-changed",
    severity: Severity::Critical,
    title: "Root user credentials changed ({})",
};

const ATTACK_TOOL: Theme = Theme {
    rule: "attack-tool",
    severity: Severity::High,
    title: "Attack tooling used by {}",
};

/// The managed policies AWS attaches to a key it found exposed.
const AWS_QUARANTINE_POLICIES: &[&str] =
    &["AWSCompromisedKeyQuarantine", "AWSExposedCredentialPolicy"];

/// User-agent marks of offensive distributions and tools. Simulations a red team announces
/// (Stratus Red Team) are left out: their exercises are known, and their detonations test
/// the other detections here.
const ATTACK_AGENTS: &[&str] = &[
    "kali",
    "parrot",
    "pentoo",
    "blackarch",
    "pacu",
    "cloudgoat",
    "cloudfox",
    "trufflehog",
    "endgame",
    "weirdaal",
];

/// One pass over each user agent for every mark, whatever its case: it runs on every event.
fn attack_agents() -> &'static aho_corasick::AhoCorasick {
    static AGENTS: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(ATTACK_AGENTS)
                .expect("fixed patterns")
        });
    &AGENTS
}

/// Root's calls that change what lets one sign in as root.
const ROOT_CREDENTIAL_CALLS: &[&str] = &[
    "CreateAccessKey",
    "UpdateAccessKey",
    "ChangePassword",
    "PasswordUpdated",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "CreateVirtualMFADevice",
    "EnableMFADevice",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "ResyncMFADevice",
];

impl Detection for Compromise {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let name = e.event_name.as_str();
        if matches!(
            name,
            "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy"
        ) {
            let r = request(e);
            let policy = text(r, "policyArn");
            if AWS_QUARANTINE_POLICIES.iter().any(|p| policy.contains(p)) {
                let target = ["userName", "roleName", "groupName"]
                    .iter()
                    .map(|k| text(r, k))
                    .find(|t| !t.is_empty())
                    .unwrap_or("?");
                raise(
                    cx,
                    e,
                    &QUARANTINE,
                    format!(
                        "attach {} to {target}: AWS found this principal's key exposed and quarantined it — the key is leaked",
                        policy.rsplit('/').next().unwrap_or(policy)
                    ),
                );
            }
        }
        // Root, whether it called itself or the console called for it (`invokedBy`).
        if e.identity.kind == "Root" && ROOT_CREDENTIAL_CALLS.contains(&name) {
            raise(
                cx,
                e,
                &ROOT_CREDENTIALS,
                format!("change the root user's sign-in credentials ({name})"),
            );
        }
        let tool = match self.agents.get(&e.user_agent) {
            Some(known) => *known,
            None => {
                let found = attack_agents()
                    .find(&*e.user_agent)
                    .map(|m| ATTACK_AGENTS[m.pattern().as_usize()]);
                if self.agents.len() >= AGENTS_REMEMBERED {
                    self.agents.clear();
                }
                self.agents.insert(e.user_agent, found);
                found
            }
        };
        if let Some(tool) = tool {
            raise(
                cx,
                e,
                &ATTACK_TOOL,
                format!("use {tool} (in its user agent) to call {name}"),
            );
        }
    }
}
