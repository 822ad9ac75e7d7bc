//! Detections: turn the stream of CloudTrail events into alerts a tired human understands.
//!
//! The detector is incremental and deterministic: it sees each event once, in arrival order,
//! and returns the alerts that event created or grew. Alert IDs derive from the rule and
//! the principal, so re-reading a journal rebuilds exactly the same alerts.

pub mod prices;

use crate::model::{Alert, CloudTrailEvent, Severity};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Events a key must have made before a new source for it means anything.
const BASELINE_MIN_EVENTS: u32 = 3;
/// At most this many event IDs are kept per alert (the count keeps going).
const MAX_EVENT_IDS: usize = 500;

#[derive(Default)]
struct KeyBaseline {
    /// Networks (/24 for IPv4, /48 for IPv6) the key has been used from.
    networks: HashSet<String>,
    events: u32,
}

/// The network an address belongs to, coarse enough that a CI fleet or an office's DHCP
/// pool is one network. `None` for what is not an address (`AWS Internal`, service names).
fn network_of(ip: &str) -> Option<String> {
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

#[derive(Default)]
struct LaunchTally {
    instances: u32,
    hourly: f64,
    regions: BTreeSet<String>,
    types: BTreeSet<String>,
}

/// What identifies an alert and how it is first announced.
struct AlertSeed {
    id: String,
    rule: String,
    severity: Severity,
    title: String,
}

/// The running detector.
#[derive(Default)]
pub struct Detector {
    baselines: HashMap<String, KeyBaseline>,
    /// `(access key, source IP)` pairs already alerted on: later use keeps counting (and never
    /// becomes part of the baseline).
    flagged_sources: HashSet<(String, String)>,
    launches: HashMap<String, LaunchTally>,
    persistence: HashMap<String, BTreeSet<String>>,
    alerts: HashMap<String, Alert>,
}

impl Detector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one event; returns every alert it raised or updated, in full.
    pub fn observe(&mut self, e: &CloudTrailEvent) -> Vec<Alert> {
        let mut out = Vec::new();
        self.new_source_for_key(e, &mut out);
        self.expensive_launch(e, &mut out);
        self.persistence(e, &mut out);
        self.trail_tampering(e, &mut out);
        self.root_use(e, &mut out);
        out
    }

    /// Adds `e` to the alert the seed names, creating it the first time with the event's
    /// principal, key and source.
    fn bump(&mut self, seed: AlertSeed, e: &CloudTrailEvent) -> &mut Alert {
        let alert = self.alerts.entry(seed.id.clone()).or_insert_with(|| Alert {
            id: seed.id,
            rule: seed.rule,
            severity: seed.severity,
            title: seed.title,
            explanation: String::new(),
            principal: Some(e.identity.display()),
            access_key_id: e.identity.access_key_id.as_ref().map(|k| k.to_string()),
            source_ip: Some(e.source_ip.to_string()).filter(|ip| !ip.is_empty()),
            first_seen: e.event_time,
            last_seen: e.event_time,
            count: 0,
            event_ids: Vec::new(),
            spend_per_hour: None,
        });
        alert.count += 1;
        alert.first_seen = alert.first_seen.min(e.event_time);
        alert.last_seen = alert.last_seen.max(e.event_time);
        if alert.event_ids.len() < MAX_EVENT_IDS {
            alert.event_ids.push(e.event_id.to_string());
        }
        alert
    }

    fn new_source_for_key(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        let Some(key) = e.identity.access_key_id.as_ref().map(|k| k.to_string()) else {
            return;
        };
        // Session keys (ASIA…) live for hours: a new IP for one says little.
        let Some(network) = network_of(&e.source_ip).filter(|_| key.starts_with("AKIA")) else {
            return;
        };
        let source = (key.clone(), e.source_ip.to_string());
        let baseline = self.baselines.entry(key.clone()).or_default();
        let known = baseline.networks.contains(&network);
        let established = baseline.events >= BASELINE_MIN_EVENTS;
        if !self.flagged_sources.contains(&source) && (known || !established) {
            baseline.networks.insert(network);
            baseline.events += 1;
            return;
        }
        self.flagged_sources.insert(source);
        let principal = e.identity.display();
        let id = format!("key-new-source:{key}:{}", e.source_ip);
        let alert = self.bump(
            AlertSeed {
                id,
                rule: "key-new-source".into(),
                severity: Severity::High,
                title: format!("Access key of {principal} used from a new IP"),
            },
            e,
        );
        if alert.explanation.is_empty() {
            alert.explanation = format!(
                "{key} ({principal}) is being used from {} with agent \"{}\", a network never seen for this key: it may be stolen",
                e.source_ip,
                truncate(&e.user_agent, 60)
            );
        }
        out.push(alert.clone());
    }

    fn expensive_launch(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if e.failed()
            || !matches!(
                e.event_name.as_str(),
                "RunInstances" | "RequestSpotInstances"
            )
        {
            return;
        }
        let (types, count) = launched(e.params.as_deref().unwrap_or(&Value::Null));
        let expensive: Vec<&String> = types.iter().filter(|t| prices::is_expensive(t)).collect();
        if expensive.is_empty() {
            return;
        }
        let principal = e.identity.display();
        let tally = self.launches.entry(principal.clone()).or_default();
        tally.instances += count;
        tally.hourly += f64::from(count) * prices::hourly_usd(expensive[0]).unwrap_or(0.0);
        tally.regions.insert(e.aws_region.to_string());
        tally.types.extend(expensive.iter().map(|t| t.to_string()));
        let explanation = format!(
            "{principal} launched {} GPU/large instances ({}) in {} region{} ({}): about ${:.0}/hour — the bill before the bill",
            tally.instances,
            tally.types.iter().cloned().collect::<Vec<_>>().join(", "),
            tally.regions.len(),
            if tally.regions.len() == 1 { "" } else { "s" },
            tally.regions.iter().cloned().collect::<Vec<_>>().join(", "),
            tally.hourly
        );
        let hourly = tally.hourly;
        let id = format!("expensive-launch:{principal}");
        let alert = self.bump(
            AlertSeed {
                id,
                rule: "expensive-launch".into(),
                severity: Severity::Critical,
                title: format!("GPU instances launched by {principal}"),
            },
            e,
        );
        alert.explanation = explanation;
        alert.spend_per_hour = Some(hourly);
        out.push(alert.clone());
    }

    fn persistence(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if e.failed() {
            return;
        }
        let params = e
            .params
            .as_deref()
            .unwrap_or(&Value::Null)
            .get("requestParameters")
            .cloned()
            .unwrap_or(Value::Null);
        let target = params
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let caller = e.identity.user_name.clone().unwrap_or_default();
        let what = match e.event_name.as_str() {
            "CreateAccessKey" if !target.is_empty() && target != caller => {
                format!("an access key for {target}")
            }
            "CreateUser" => format!("user {target}"),
            "CreateLoginProfile" => format!("a console password for {target}"),
            "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy"
                if params
                    .get("policyArn")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.ends_with("/AdministratorAccess")) =>
            {
                format!("AdministratorAccess for {}", subject_of(&params))
            }
            "PutUserPolicy" | "PutRolePolicy"
                if params
                    .get("policyDocument")
                    .and_then(Value::as_str)
                    .is_some_and(grants_everything) =>
            {
                format!("an allow-everything policy for {}", subject_of(&params))
            }
            _ => return,
        };
        let principal = e.identity.display();
        let items = self.persistence.entry(principal.clone()).or_default();
        items.insert(what);
        let explanation = format!(
            "{principal} created {} — ways back in after the key is gone",
            items.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        let id = format!("persistence:{principal}");
        let alert = self.bump(
            AlertSeed {
                id,
                rule: "persistence".into(),
                severity: Severity::High,
                title: format!("{principal} is creating ways back in"),
            },
            e,
        );
        alert.explanation = explanation;
        out.push(alert.clone());
    }

    fn trail_tampering(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if e.event_source != "cloudtrail.amazonaws.com"
            || !matches!(
                e.event_name.as_str(),
                "StopLogging" | "DeleteTrail" | "UpdateTrail" | "PutEventSelectors"
            )
        {
            return;
        }
        let principal = e.identity.display();
        let id = format!("trail-tampering:{principal}");
        let attempt = if e.failed() { " (attempted)" } else { "" };
        let alert = self.bump(
            AlertSeed {
                id,
                rule: "trail-tampering".into(),
                severity: Severity::Critical,
                title: format!("CloudTrail tampering by {principal}"),
            },
            e,
        );
        alert.explanation = format!(
            "{principal} called {}{attempt}: someone is trying to stop the record of what they do",
            e.event_name
        );
        out.push(alert.clone());
    }

    fn root_use(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if e.identity.kind != "Root" || e.identity.invoked_by.is_some() {
            return;
        }
        let id = "root-use:root".to_string();
        let alert = self.bump(
            AlertSeed {
                id,
                rule: "root-use".into(),
                severity: Severity::High,
                title: "The root user is being used".into(),
            },
            e,
        );
        alert.explanation = format!(
            "root called {} from {}: root should never be used day to day",
            e.event_name, e.source_ip
        );
        out.push(alert.clone());
    }
}

/// The instance types and the number of instances a launch call started.
fn launched(json: &Value) -> (Vec<String>, u32) {
    let params = json
        .get("requestParameters")
        .cloned()
        .unwrap_or(Value::Null);
    let ty = params
        .get("instanceType")
        .or_else(|| params.pointer("/launchSpecification/instanceType"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let items = json
        .pointer("/responseElements/instancesSet/items")
        .and_then(Value::as_array);
    let mut types: Vec<String> = items
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("instanceType").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if types.is_empty() {
        types.extend(ty);
    }
    let count = items.map(|i| i.len() as u32).unwrap_or_else(|| {
        ["instanceCount", "maxCount"]
            .iter()
            .find_map(|k| params.get(*k).and_then(as_u32))
            .unwrap_or(1)
    });
    (types, count)
}

fn as_u32(v: &Value) -> Option<u32> {
    v.as_u64()
        .map(|n| n as u32)
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn subject_of(params: &Value) -> String {
    ["userName", "roleName", "groupName"]
        .iter()
        .find_map(|k| params.get(*k).and_then(Value::as_str))
        .unwrap_or("?")
        .to_string()
}

/// Whether a policy document (as CloudTrail records it, a JSON string) allows `*` on `*`.
fn grants_everything(doc: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(doc) else {
        return false;
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s) => vec![s.clone()],
        None => vec![],
    };
    let has_star = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s == "*",
        Some(Value::Array(a)) => a.iter().any(|x| x == "*"),
        _ => false,
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && has_star(s.get("Action"))
            && has_star(s.get("Resource"))
    })
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

#[cfg(test)]
mod tests;
