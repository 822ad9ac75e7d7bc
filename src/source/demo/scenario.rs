//! The founding scenario. Early on Sunday 2026-11-22 someone finds the access key of
//! `admin-ops`, an administrator, in a public Git repository and starts mining
//! cryptocurrency with it: within half an hour GPU instances run in five regions and the
//! attacker has made itself two ways back in. Around the attack, three days of the
//! account's ordinary life give the console a baseline to tell the attack apart from.
//!
//! Addresses come from the documentation ranges: 198.51.100.0/24 is the office and its
//! VPN, 192.0.2.0/24 the company's own servers and CI runners (and stands in for the AWS
//! addresses its Lambda function calls from), 203.0.113.0/24 the attacker.
//!
//! The scenario itself is data: every call, seed and finding in `founding.json`, built into
//! the binary. Its background was generated once from a seeded random stream and is kept
//! as it came out; the tests beside this file check the story it tells.

use super::script::Scenario;
use std::sync::LazyLock;

pub const ACCOUNT_ID: &str = "491783620375";
pub const LEAKED_USER: &str = "admin-ops";
/// Like every key of the account, its characters 5 to 12 encode the account ID.
pub const LEAKED_KEY: &str = "AKIAHFAEWQ4LXTCBEH6G";
pub const ATTACKER_IP: &str = "203.0.113.77";
/// A name that passes for a service account at a glance.
pub const BACKDOOR_USER: &str = "svc-backup";

static FOUNDING: LazyLock<Scenario> = LazyLock::new(|| {
    serde_json::from_str(include_str!("founding.json"))
        .unwrap_or_else(|e| panic!("the built-in scenario founding.json does not parse: {e}"))
});

/// The founding incident, as `warroom demo` plays it.
pub fn founding_scenario() -> Scenario {
    FOUNDING.clone()
}

#[cfg(test)]
mod tests;

/// The demo account's infrastructure code (`examples/demo-infra`), carried in the binary so
/// a finding leads to its template offline.
pub const INFRA: &[(&str, &str)] = &[
    (
        "stacks/orders-api.yaml",
        include_str!("../../../examples/demo-infra/stacks/orders-api.yaml"),
    ),
    (
        "stacks/marketing-site.yaml",
        include_str!("../../../examples/demo-infra/stacks/marketing-site.yaml"),
    ),
];
