//! What is normal, learned from the data itself: the networks and tools a key or principal
//! is used from, and the regions an account works in.

use std::collections::{HashMap, HashSet};

/// Uses a key or principal must have made before something new about it means anything.
pub const ESTABLISHED_AFTER: u32 = 3;
/// Events an account must have made before a region it never used means anything.
pub const REGIONS_ESTABLISHED_AFTER: u32 = 20;

/// Where and with what one key (or principal) has been used.
#[derive(Default)]
pub struct SourceBaseline {
    /// Networks (/24 for IPv4, /48 for IPv6).
    networks: HashSet<String>,
    /// Tool families (`aws-cli`, `boto3`, `console`…), never versions: an upgrade is not new.
    agents: HashSet<String>,
    uses: u32,
}

/// What a use showed that the baseline had not seen.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Novelty {
    pub network: Option<String>,
    pub agent: Option<String>,
}

impl Novelty {
    pub fn any(&self) -> bool {
        self.network.is_some() || self.agent.is_some()
    }
}

impl SourceBaseline {
    pub fn established(&self) -> bool {
        self.uses >= ESTABLISHED_AFTER
    }

    /// What about this use is new, without learning it.
    pub fn novelty(&self, network: Option<&str>, agent: Option<&str>) -> Novelty {
        Novelty {
            network: network
                .filter(|n| !self.networks.contains(*n))
                .map(str::to_string),
            agent: agent
                .filter(|a| !self.agents.contains(*a))
                .map(str::to_string),
        }
    }

    /// Learns a use as normal.
    pub fn learn(&mut self, network: Option<&str>, agent: Option<&str>) {
        if let Some(n) = network
            && !self.networks.contains(n)
        {
            self.networks.insert(n.to_string());
        }
        if let Some(a) = agent
            && !self.agents.contains(a)
        {
            self.agents.insert(a.to_string());
        }
        self.uses = self.uses.saturating_add(1);
    }
}

/// The regions one account has worked in.
#[derive(Default)]
pub struct RegionBaseline {
    seen: HashMap<String, HashSet<String>>,
    events: HashMap<String, u32>,
}

impl RegionBaseline {
    /// Whether `region` is one `account` has never used although it has a history: asked
    /// before [`RegionBaseline::learn`] is told about the same event.
    pub fn is_unusual(&self, account: &str, region: &str) -> bool {
        self.events.get(account).copied().unwrap_or(0) >= REGIONS_ESTABLISHED_AFTER
            && !self
                .seen
                .get(account)
                .is_some_and(|regions| regions.contains(region))
    }

    pub fn learn(&mut self, account: &str, region: &str) {
        if region.is_empty() {
            return;
        }
        let regions = match self.seen.get_mut(account) {
            Some(r) => r,
            None => self.seen.entry(account.to_string()).or_default(),
        };
        if !regions.contains(region) {
            regions.insert(region.to_string());
        }
        match self.events.get_mut(account) {
            Some(n) => *n = n.saturating_add(1),
            None => {
                self.events.insert(account.to_string(), 1);
            }
        }
    }
}

/// The network an address belongs to, coarse enough that a CI fleet or an office's DHCP
/// pool is one network. `None` for what is not an address (`AWS Internal`, service names).
pub fn network_of(ip: &str) -> Option<String> {
    if let Ok(std::net::IpAddr::V6(v6)) = ip.parse::<std::net::IpAddr>() {
        let s = v6.segments();
        return Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]));
    }
    // Dotted digits, leniently: anonymised logs carry addresses such as 211.9.016.253.
    let parts: Vec<&str> = ip.split('.').collect();
    (parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
    .then(|| format!("{}.{}.{}.0/24", parts[0], parts[1], parts[2]))
}

/// The tool behind a user agent, without its version: `aws-cli/2.15.0 Python/3.11 …` →
/// `aws-cli`, `Boto3/1.34.2 …` → `boto3`, `[S3Console/0.4]` → `s3console`. `None` for an
/// empty agent and for AWS's own (`AWS Internal`, `*.amazonaws.com`), which say nothing
/// about who holds the key.
pub fn agent_family(agent: &str) -> Option<String> {
    let agent = agent.trim().trim_start_matches('[');
    if agent.is_empty() || agent.starts_with("AWS Internal") || agent.ends_with(".amazonaws.com") {
        return None;
    }
    let end = agent
        .find(['/', ' ', ']', ','])
        .unwrap_or(agent.len());
    Some(agent[..end].to_ascii_lowercase()).filter(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_named_without_their_versions() {
        for (agent, family) in [
            ("aws-cli/2.15.0 Python/3.11.6 Linux/6.1", Some("aws-cli")),
            ("Boto3/1.34.2 md/Botocore#1.34.2", Some("boto3")),
            ("[S3Console/0.4, aws-internal/3]", Some("s3console")),
            ("Mozilla/5.0 (X11; Linux x86_64)", Some("mozilla")),
            ("AWS Internal", None),
            ("cloudformation.amazonaws.com", None),
            ("", None),
        ] {
            assert_eq!(agent_family(agent).as_deref(), family, "{agent}");
        }
    }

    #[test]
    fn a_baseline_reports_only_what_it_has_not_seen() {
        let mut b = SourceBaseline::default();
        b.learn(Some("192.0.2.0/24"), Some("aws-cli"));
        assert!(!b.novelty(Some("192.0.2.0/24"), Some("aws-cli")).any());
        let n = b.novelty(Some("192.0.2.0/24"), Some("python-requests"));
        assert_eq!(n.agent.as_deref(), Some("python-requests"));
        assert_eq!(n.network, None);
        assert!(!b.established());
    }

    #[test]
    fn a_region_is_unusual_only_for_an_account_with_a_history() {
        let mut r = RegionBaseline::default();
        assert!(!r.is_unusual("1111", "ap-south-1"));
        for _ in 0..REGIONS_ESTABLISHED_AFTER {
            r.learn("1111", "us-east-1");
        }
        assert!(r.is_unusual("1111", "ap-south-1"));
        assert!(!r.is_unusual("1111", "us-east-1"));
        assert!(!r.is_unusual("2222", "ap-south-1"));
    }
}
