//! What is normal, learned from the data itself: the networks and tools a key or principal
//! is used from, and the regions an account works in.

use foldhash::{HashMap, HashSet};

/// Uses a key or principal must have made before something new about it means anything:
/// enough that a person's usual networks have most likely all shown up.
pub const ESTABLISHED_AFTER: u32 = 10;
/// A key already seen from this many networks roams (a laptop on the move): one more is not
/// news, though a new tool still is.
pub const ROAMING_NETWORKS: usize = 5;
/// Events an account must have made before a region it never used means anything.
pub const REGIONS_ESTABLISHED_AFTER: u32 = 20;

/// Where and with what one key (or principal) has been used.
#[derive(Default)]
pub struct SourceBaseline {
    /// Networks (/24 for IPv4, /48 for IPv6).
    networks: HashSet<Network>,
    /// Tool families (`aws-cli`, `boto3`, `console`…), never versions: an upgrade is not
    /// new. Kept as hashes of their lower-cased names: a million uses allocate nothing.
    agents: HashSet<u64>,
    uses: u32,
}

/// What a use showed that the baseline had not seen.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Novelty<'a> {
    pub network: Option<Network>,
    pub agent: Option<&'a str>,
}

impl Novelty<'_> {
    pub fn any(&self) -> bool {
        self.network.is_some() || self.agent.is_some()
    }
}

impl SourceBaseline {
    pub fn established(&self) -> bool {
        self.uses >= ESTABLISHED_AFTER
    }

    pub fn roams(&self) -> bool {
        self.networks.len() >= ROAMING_NETWORKS
    }

    /// What about this use is new, without learning it.
    pub fn novelty<'a>(&self, network: Option<Network>, agent: Option<&'a str>) -> Novelty<'a> {
        Novelty {
            network: network.filter(|n| !self.networks.contains(n)),
            agent: agent.filter(|a| !self.agents.contains(&family_hash(a))),
        }
    }

    /// Learns a use as normal.
    pub fn learn(&mut self, network: Option<Network>, agent: Option<&str>) {
        if let Some(n) = network {
            self.networks.insert(n);
        }
        if let Some(a) = agent {
            self.agents.insert(family_hash(a));
        }
        self.uses = self.uses.saturating_add(1);
    }
}

fn family_hash(family: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for b in family.bytes() {
        b.to_ascii_lowercase().hash(&mut h);
    }
    h.finish()
}

/// The network an address belongs to: its /24 (IPv4) or /48 (IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    V4([u16; 3]),
    V6([u16; 3]),
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Network::V4([a, b, c]) => write!(f, "{a}.{b}.{c}.0/24"),
            Network::V6([a, b, c]) => write!(f, "{a:x}:{b:x}:{c:x}::/48"),
        }
    }
}

/// The regions each account has worked in. Accounts and regions are numbered as they are
/// first seen, so a pass that numbered them itself can use the same rules
/// ([`unusual_regions`]).
#[derive(Default)]
pub struct RegionBaseline {
    ids: HashMap<String, u32>,
    events: HashMap<u32, u32>,
    seen: HashSet<(u32, u32)>,
}

impl RegionBaseline {
    /// Whether `region` is one `account` has never used although it has a history: asked
    /// before [`RegionBaseline::learn`] is told about the same event.
    pub fn is_unusual(&self, account: &str, region: &str) -> bool {
        !region.is_empty()
            && self
                .ids
                .get(account)
                .is_some_and(|&a| self.unusual(a, self.ids.get(region).copied()))
    }

    pub fn learn(&mut self, account: &str, region: &str) {
        if region.is_empty() {
            return;
        }
        let (a, r) = (self.number(account), self.number(region));
        self.learn_numbered(a, r);
    }

    fn unusual(&self, account: u32, region: Option<u32>) -> bool {
        self.events.get(&account).copied().unwrap_or(0) >= REGIONS_ESTABLISHED_AFTER
            && !region.is_some_and(|r| self.seen.contains(&(account, r)))
    }

    fn learn_numbered(&mut self, account: u32, region: u32) {
        let n = self.events.entry(account).or_default();
        *n = n.saturating_add(1);
        self.seen.insert((account, region));
    }

    fn number(&mut self, text: &str) -> u32 {
        if let Some(&n) = self.ids.get(text) {
            return n;
        }
        let n = self.ids.len() as u32;
        self.ids.insert(text.to_string(), n);
        n
    }
}

/// For events in time order, whether each is in a region its account never used before it,
/// once the account has a history: what [`RegionBaseline::is_unusual`] would say of each, in
/// one pass, for a pass split among threads that each see only some of the events. Each
/// item is `(account, region, whether the event names a region)`, numbered by the caller.
pub fn unusual_regions(places: impl Iterator<Item = (u32, u32, bool)>) -> Vec<bool> {
    let mut baseline = RegionBaseline::default();
    places
        .map(|(account, region, has_region)| {
            if !has_region {
                return false;
            }
            let unusual = baseline.unusual(account, Some(region));
            baseline.learn_numbered(account, region);
            unusual
        })
        .collect()
}

/// The network an address belongs to, coarse enough that a CI fleet or an office's DHCP
/// pool is one network. `None` for what is not an address (`AWS Internal`, service names).
pub fn network_of(ip: &str) -> Option<Network> {
    if ip.as_bytes().contains(&b':') {
        return match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(v6)) => {
                let s = v6.segments();
                Some(Network::V6([s[0], s[1], s[2]]))
            }
            _ => None,
        };
    }
    // Dotted digits, leniently: anonymised logs carry addresses such as 211.9.016.253.
    let mut parts = ip.split('.');
    let mut octets = [0u16; 3];
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    let last = parts.next()?;
    let valid_last =
        !last.is_empty() && last.len() <= 3 && last.bytes().all(|c| c.is_ascii_digit());
    (valid_last && parts.next().is_none()).then_some(Network::V4(octets))
}

/// The tool behind a user agent, without its version: `aws-cli/2.15.0 Python/3.11 …` →
/// `aws-cli`, `Boto3/1.34.2 …` → `Boto3`, `[S3Console/0.4]` → `S3Console` (compared without
/// case). `None` for an empty agent and for AWS's own (`AWS Internal`, `*.amazonaws.com`),
/// which say nothing about who holds the key.
pub fn agent_family(agent: &str) -> Option<&str> {
    let agent = agent.trim().trim_start_matches('[');
    if agent.is_empty() || agent.starts_with("AWS Internal") || agent.ends_with(".amazonaws.com") {
        return None;
    }
    let end = agent.find(['/', ' ', ']', ',']).unwrap_or(agent.len());
    Some(&agent[..end]).filter(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_named_without_their_versions() {
        for (agent, family) in [
            ("aws-cli/2.15.0 Python/3.11.6 Linux/6.1", Some("aws-cli")),
            ("Boto3/1.34.2 md/Botocore#1.34.2", Some("Boto3")),
            ("[S3Console/0.4, aws-internal/3]", Some("S3Console")),
            ("Mozilla/5.0 (X11; Linux x86_64)", Some("Mozilla")),
            ("AWS Internal", None),
            ("cloudformation.amazonaws.com", None),
            ("", None),
        ] {
            assert_eq!(agent_family(agent), family, "{agent}");
        }
    }

    #[test]
    fn a_baseline_reports_only_what_it_has_not_seen() {
        let mut b = SourceBaseline::default();
        let office = network_of("192.0.2.10");
        b.learn(office, Some("aws-cli"));
        assert!(!b.novelty(network_of("192.0.2.200"), Some("AWS-CLI")).any());
        let n = b.novelty(office, Some("python-requests"));
        assert_eq!(n.agent, Some("python-requests"));
        assert_eq!(n.network, None);
        let far = b.novelty(network_of("203.0.113.7"), Some("aws-cli"));
        assert_eq!(
            far.network.map(|n| n.to_string()).as_deref(),
            Some("203.0.113.0/24")
        );
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
