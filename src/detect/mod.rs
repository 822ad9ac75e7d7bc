//! Detections: turn the stream of CloudTrail events into alerts a tired human understands.
//!
//! The detector is incremental and deterministic: it sees each event once, in arrival order,
//! and returns the alerts that event created or grew. Alert IDs derive from the rule, the
//! principal and the time a group opened, so re-reading a journal rebuilds exactly the same
//! alerts.

pub mod baseline;
mod judge;
pub mod launch;
pub mod policy;
pub mod prices;
pub mod rules;
pub mod sigma;

use crate::model::{Alert, CloudTrailEvent, Severity, Text};
use baseline::{Network, RegionBaseline, SourceBaseline, agent_family, network_of};
use chrono::{DateTime, Duration, Utc};
pub use judge::judge;
use serde_json::Value;
use sigma::RuleSet;
// A fast seeded hash: the detector does several lookups for each of a million events.
use foldhash::{HashMap, HashSet};
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

/// At most this many event IDs are kept per alert (the count keeps going).
const MAX_EVENT_IDS: usize = 500;
/// Instances one principal may start within a group's window before it is a burst.
const LAUNCH_BURST: u32 = 10;
/// A burst of refusals: this many within [`DENIAL_WINDOW`]…
const DENIALS: usize = 5;
/// …across at least this many services.
const DENIED_SERVICES: usize = 3;
const DENIAL_WINDOW: Duration = Duration::minutes(10);

/// How alerts are grouped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The same rule and principal within this long of the last event is one alert; after a
    /// longer quiet, a new alert opens.
    pub group_window: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            group_window: Duration::hours(1),
        }
    }
}

#[derive(Default)]
struct LaunchTally {
    instances: u32,
    refused: u32,
    hourly: f64,
    unpriced: BTreeSet<String>,
    regions: BTreeSet<String>,
    types: BTreeSet<String>,
}

impl LaunchTally {
    fn add(&mut self, e: &CloudTrailEvent, types: &[String], count: u32) {
        self.regions.insert(e.aws_region.to_string());
        self.types.extend(types.iter().cloned());
        if e.failed() {
            self.refused += count;
            return;
        }
        self.instances += count;
        match types.first().and_then(|t| prices::hourly_usd(t)) {
            Some(p) => self.hourly += f64::from(count) * p,
            None => self.unpriced.extend(types.first().cloned()),
        }
    }

    /// "launched 12 instances (p3.16xlarge) in 2 regions (…): about $294/hour".
    fn describe(&self) -> String {
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        let mut out = format!(
            "launched {} instance{} ({}) in {} region{} ({})",
            self.instances,
            if self.instances == 1 { "" } else { "s" },
            list(&self.types),
            self.regions.len(),
            if self.regions.len() == 1 { "" } else { "s" },
            list(&self.regions),
        );
        if self.refused > 0 {
            out.push_str(&format!(
                "; {} more refused by AWS, and they may retry",
                self.refused
            ));
        }
        out.push_str(&format!(": about ${:.0}/hour", self.hourly));
        if !self.unpriced.is_empty() {
            out.push_str(&format!(" plus {} (no price known)", list(&self.unpriced)));
        }
        out
    }
}

/// What identifies an alert group and how it is first announced.
struct AlertSeed {
    /// Rule and principal (and what else makes it one story): the group's key.
    group: String,
    rule: String,
    severity: Severity,
    title: String,
}

/// Sigma verdicts reached while events' JSON was at hand, by event (its `Arc`'s address):
/// indexes into the rule set. An archive's events let their JSON go once read.
pub type Verdicts = HashMap<usize, Vec<usize>>;

/// The key an event's verdicts are filed under in [`Verdicts`].
pub fn verdict_key(e: &Arc<CloudTrailEvent>) -> usize {
    Arc::as_ptr(e) as usize
}

/// What every detector of a run shares: the grouping and the Sigma rules.
#[derive(Clone, Default)]
pub struct Detections {
    pub settings: Settings,
    pub rules: Arc<RuleSet>,
}

impl Detections {
    pub fn detector(&self) -> Detector {
        Detector::with(self.settings, Some(self.rules.clone()))
    }

    /// Runs every detection over `events` in time order; each alert as it stood at the end,
    /// oldest first.
    pub fn run_over(&self, events: &[Arc<CloudTrailEvent>], verdicts: &Verdicts) -> Vec<Alert> {
        // Every alert group belongs to one principal, so the principals can be split among
        // threads, each with a detector of its own, and the alerts put together after. The
        // one account-wide fact, the regions in use, is worked out for all before.
        let shards = if events.len() < 10_000 {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4)
        };
        self.run_sharded(events, verdicts, shards)
    }

    /// [`Detections::run_over`] with the principals split `shards` ways.
    fn run_sharded(
        &self,
        events: &[Arc<CloudTrailEvent>],
        verdicts: &Verdicts,
        shards: usize,
    ) -> Vec<Alert> {
        // One pass over the events as they lie: the sort key copied out (comparing through
        // a million pointers would wander all over memory), each event's shard, and its
        // account and region as numbers.
        let mut ids: HashMap<&str, u32> = HashMap::default();
        let mut order: Vec<(DateTime<Utc>, u32)> = Vec::with_capacity(events.len());
        let mut shard_of_event: Vec<u8> = Vec::with_capacity(events.len());
        let mut place: Vec<(u32, u32, bool)> = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            order.push((e.event_time, i as u32));
            shard_of_event.push(shard_of(e, shards) as u8);
            place.push((
                number(&mut ids, &e.identity.account_id),
                number(&mut ids, &e.aws_region),
                !e.aws_region.is_empty(),
            ));
        }
        order.sort_unstable();
        // The account-wide fact, told once in time order, so that no thread has to read
        // every event for it.
        let unusual = baseline::unusual_regions(order.iter().map(|&(_, i)| place[i as usize]));
        let run = |mine: usize| {
            let mut detector = self.detector();
            // Only the end matters: no copy of an alert each time it grows.
            detector.report_each = false;
            for (at, &(_, i)) in order.iter().enumerate() {
                if usize::from(shard_of_event[i as usize]) != mine {
                    continue;
                }
                let e = &events[i as usize];
                detector.region_told = Some(unusual[at]);
                match verdicts.get(&verdict_key(e)) {
                    Some(matched) => detector.observe_judged(e, matched),
                    None if detector.judges_late(e) => detector.observe(e),
                    None => detector.observe_judged(e, &[]),
                };
            }
            detector.alerts.into_values().collect::<Vec<Alert>>()
        };
        let mut alerts = run_all(&run, shards);
        alerts.sort_by(|a, b| a.first_seen.cmp(&b.first_seen).then(a.id.cmp(&b.id)));
        alerts
    }
}

/// A small number for a text, the same each time it is asked.
fn number<'a>(ids: &mut HashMap<&'a str, u32>, text: &'a str) -> u32 {
    let next = ids.len() as u32;
    *ids.entry(text).or_insert(next)
}

/// Runs shard `0..n` of a detection pass (on threads when there are several) and puts the
/// alerts together.
fn run_all(run: &(dyn Fn(usize) -> Vec<Alert> + Sync), n: usize) -> Vec<Alert> {
    if n == 1 {
        return run(0);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n).map(|i| scope.spawn(move || run(i))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Which of `n` shards an event's principal falls in: the same for all its events.
fn shard_of(e: &CloudTrailEvent, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    use std::hash::BuildHasher;
    // Fixed seed: the same principal lands in the same shard on every run.
    let hasher = foldhash::fast::FixedState::with_seed(0x5eed);
    let who = principal_key(e).unwrap_or(&e.identity.account_id);
    (hasher.hash_one(who.as_str()) % n as u64) as usize
}

/// The running detector.
pub struct Detector {
    settings: Settings,
    /// Whether each call returns the alerts it raised or grew (a run over a whole archive
    /// only wants the end).
    report_each: bool,
    rules: Option<Arc<RuleSet>>,
    /// The alert name of each Sigma rule, made once.
    sigma_names: Vec<String>,
    /// Long-term access keys (AKIA…): networks and tools each is used from.
    keys: HashMap<Text, SourceBaseline>,
    /// Users and roles: the networks each works from.
    principals: HashMap<Text, SourceBaseline>,
    regions: RegionBaseline,
    /// Set by a pass that worked out the regions beforehand: whether the next event's region
    /// is unusual (and nothing is learned from it here).
    region_told: Option<bool>,
    /// `(access key, IP or tool)` already alerted on: later use keeps counting (and never
    /// becomes part of the baseline).
    flagged: HashSet<(Text, Text)>,
    /// Group key → the alert it is currently growing.
    groups: HashMap<String, String>,
    launches: HashMap<String, LaunchTally>,
    /// Per principal: when it last launched, and what it launched since its window opened.
    bursts: HashMap<String, (DateTime<Utc>, LaunchTally)>,
    created: HashMap<String, BTreeSet<String>>,
    denials: HashMap<String, VecDeque<(DateTime<Utc>, Text)>>,
    alerts: HashMap<String, Alert>,
}

impl Default for Detector {
    fn default() -> Self {
        Detector {
            settings: Settings::default(),
            report_each: true,
            rules: None,
            sigma_names: Vec::new(),
            keys: HashMap::default(),
            principals: HashMap::default(),
            regions: RegionBaseline::default(),
            region_told: None,
            flagged: HashSet::default(),
            groups: HashMap::default(),
            launches: HashMap::default(),
            bursts: HashMap::default(),
            created: HashMap::default(),
            denials: HashMap::default(),
            alerts: HashMap::default(),
        }
    }
}

impl Detector {
    /// The built-in detections, grouped by the default window.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in detections plus `rules`, grouped by `settings`.
    pub fn with(settings: Settings, rules: Option<Arc<RuleSet>>) -> Self {
        let rules = rules.filter(|r| !r.is_empty());
        let sigma_names = rules
            .iter()
            .flat_map(|r| r.rules().iter().map(rules::sigma_rule_name))
            .collect();
        Detector {
            settings,
            rules,
            sigma_names,
            ..Self::default()
        }
    }

    /// Feeds one event; returns every alert it raised or updated, in full. Sigma rules are
    /// judged on the event's JSON, read when a rule may care.
    pub fn observe(&mut self, e: &CloudTrailEvent) -> Vec<Alert> {
        let matched = match &self.rules {
            // The raw text only when a rule may care: an archive's is read from its file.
            Some(rules) if rules.may_match(&e.event_name) => {
                let raw = e.raw_text();
                judge(rules, e, &raw, &mut || e.json())
            }
            _ => Vec::new(),
        };
        self.observe_judged(e, &matched)
    }

    /// Whether a Sigma rule may care about `e` while its JSON is still inline (an event read
    /// from an archive with its verdicts already reached has let its JSON go).
    fn judges_late(&self, e: &CloudTrailEvent) -> bool {
        e.raw_is_inline()
            && self
                .rules
                .as_ref()
                .is_some_and(|r| r.may_match(&e.event_name))
    }

    /// Feeds one event whose Sigma verdicts were reached while its JSON was at hand
    /// (`matched`: indexes into the rule set), as an archive reader does.
    pub fn observe_judged(&mut self, e: &CloudTrailEvent, matched: &[usize]) -> Vec<Alert> {
        let mut out = Vec::new();
        let network = network_of(&e.source_ip);
        self.new_source_for_key(e, network, &mut out);
        self.caller_identity_from_new_source(e, network, &mut out);
        self.access_denied_burst(e, &mut out);
        self.launches(e, &mut out);
        self.persistence(e, &mut out);
        self.trail_tampering(e, &mut out);
        self.root_use(e, &mut out);
        self.console_login_without_mfa(e, &mut out);
        self.sigma(e, matched, &mut out);
        if self.region_told.take().is_none() {
            self.regions.learn(&e.identity.account_id, &e.aws_region);
        }
        out
    }

    /// Adds `e` to the alert the seed's group is growing, opening a new alert when the group
    /// has been quiet longer than the window. Returns the alert's ID.
    fn bump(&mut self, seed: AlertSeed, e: &CloudTrailEvent) -> String {
        let window = self.settings.group_window;
        let current = self
            .groups
            .get(&seed.group)
            .filter(|id| {
                self.alerts
                    .get(*id)
                    .is_some_and(|a| e.event_time <= a.last_seen + window)
            })
            .cloned();
        let id = match current {
            Some(id) => id,
            None => {
                // The first group keeps the plain key, so IDs stay short and stable.
                let id = if self.groups.contains_key(&seed.group) {
                    format!(
                        "{}@{}",
                        seed.group,
                        e.event_time.format("%Y-%m-%dT%H:%M:%SZ")
                    )
                } else {
                    seed.group.clone()
                };
                self.groups.insert(seed.group, id.clone());
                id
            }
        };
        let alert = self.alerts.entry(id.clone()).or_insert_with(|| Alert {
            id: id.clone(),
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
        id
    }

    /// Whether the alert `group` is growing has been quiet for longer than the window by the
    /// time of `e`.
    fn group_went_quiet(&self, group: &str, e: &CloudTrailEvent) -> bool {
        self.groups
            .get(group)
            .and_then(|id| self.alerts.get(id))
            .is_some_and(|a| e.event_time > a.last_seen + self.settings.group_window)
    }

    /// [`Detector::bump`], then [`Detector::report`] with `explain` as the explanation.
    fn raise(
        &mut self,
        seed: AlertSeed,
        explain: String,
        e: &CloudTrailEvent,
        out: &mut Vec<Alert>,
    ) {
        let id = self.bump(seed, e);
        self.report(&id, Some(explain), out);
    }

    /// Sets the explanation (when `explain` gives one) and reports the alert.
    fn report(&mut self, id: &str, explain: Option<String>, out: &mut Vec<Alert>) {
        if let Some(alert) = self.alerts.get_mut(id) {
            if let Some(text) = explain {
                alert.explanation = text;
            }
            if self.report_each {
                out.push(alert.clone());
            }
        }
    }

    fn new_source_for_key(
        &mut self,
        e: &CloudTrailEvent,
        network: Option<Network>,
        out: &mut Vec<Alert>,
    ) {
        // Session keys (ASIA…) live for hours: a new IP for one says little.
        let Some(key) = e
            .identity
            .access_key_id
            .as_ref()
            .filter(|k| k.starts_with("AKIA"))
        else {
            return;
        };
        let agent = agent_family(&e.user_agent);
        if network.is_none() && agent.is_none() {
            return;
        }
        let source = (key.clone(), e.source_ip.clone());
        let mut ip_flagged = self.flagged.contains(&source);
        if ip_flagged && self.group_went_quiet(&format!("key-new-source:{key}:{}", e.source_ip), e)
        {
            // Its alert has had its window: a source still in use after that is one the key
            // has, and it joins the baseline rather than alerting again every hour.
            self.flagged.remove(&source);
            ip_flagged = false;
            if let Some(baseline) = self.keys.get_mut(key) {
                baseline.learn(network, None);
            }
        }
        let baseline = self.keys.entry(key.clone()).or_default();
        let mut novelty = baseline.novelty(network, agent);
        if baseline.roams() {
            novelty.network = None;
        }
        if !ip_flagged && (!novelty.any() || !baseline.established()) {
            baseline.learn(network, agent);
            return;
        }
        let principal = e.identity.display();
        let (group, what) = if ip_flagged || novelty.network.is_some() {
            self.flagged.insert(source);
            (
                format!("key-new-source:{key}:{}", e.source_ip),
                format!("from {}, a network never seen for this key", e.source_ip),
            )
        } else {
            let tool = novelty.agent.unwrap_or_default().to_ascii_lowercase();
            let group = format!("key-new-source:{key}:agent:{tool}");
            if self.group_went_quiet(&group, e) {
                // As for a network: a tool still in use after its alert's window is the
                // key's own.
                if let Some(baseline) = self.keys.get_mut(key) {
                    baseline.learn(None, agent);
                }
                return;
            }
            (
                group,
                format!("with {tool}, a tool never seen for this key"),
            )
        };
        let id = self.bump(
            AlertSeed {
                group,
                rule: "key-new-source".into(),
                severity: Severity::High,
                title: format!("Access key of {principal} used from a new source"),
            },
            e,
        );
        let explain = self.alerts[&id].explanation.is_empty().then(|| {
            format!(
                "{key} ({principal}) is being used {what} (agent \"{}\"): it may be stolen",
                truncate(&e.user_agent, 60)
            )
        });
        self.report(&id, explain, out);
    }

    /// `GetCallerIdentity` is the first thing someone runs with credentials they just found.
    fn caller_identity_from_new_source(
        &mut self,
        e: &CloudTrailEvent,
        network: Option<Network>,
        out: &mut Vec<Alert>,
    ) {
        let Some(name) = principal_key(e) else {
            return;
        };
        let baseline = match self.principals.get_mut(name.as_str()) {
            Some(b) => b,
            None => self.principals.entry(name.clone()).or_default(),
        };
        let novelty = baseline.novelty(network, None);
        let suspicious = e.event_name == "GetCallerIdentity"
            && baseline.established()
            && novelty.network.is_some();
        baseline.learn(network, None);
        if !suspicious {
            return;
        }
        let principal = e.identity.display();
        let explain = format!(
            "GetCallerIdentity as {principal} from {}, a network it never worked from: someone checking what the credentials they found can do",
            e.source_ip
        );
        self.raise(
            AlertSeed {
                group: format!("recon-caller-identity:{principal}"),
                rule: "recon-caller-identity".into(),
                severity: Severity::Medium,
                title: format!("{principal} asked \"who am I\" from a new network"),
            },
            explain,
            e,
            out,
        );
    }

    fn access_denied_burst(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        let Some(code) = &e.error_code else {
            return;
        };
        if !(code.contains("AccessDenied")
            || code.contains("Unauthorized")
            || code.as_str() == "Forbidden")
        {
            return;
        }
        let principal = e.identity.display();
        let recent = self.denials.entry(principal.clone()).or_default();
        recent.push_back((e.event_time, e.event_source.clone()));
        while recent
            .front()
            .is_some_and(|(t, _)| *t < e.event_time - DENIAL_WINDOW)
        {
            recent.pop_front();
        }
        let services: BTreeSet<&str> = recent.iter().map(|(_, s)| s.as_str()).collect();
        if recent.len() < DENIALS || services.len() < DENIED_SERVICES {
            return;
        }
        let explain = format!(
            "{principal} was refused {} times across {} services in 10 minutes ({}): someone probing what the credentials can do",
            recent.len(),
            services.len(),
            services
                .iter()
                .map(|s| s.trim_end_matches(".amazonaws.com"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.raise(
            AlertSeed {
                group: format!("recon-access-denied:{principal}"),
                rule: "recon-access-denied".into(),
                severity: Severity::Medium,
                title: format!("{principal} is being refused across many services"),
            },
            explain,
            e,
            out,
        );
    }

    fn launches(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if !matches!(
            e.event_name.as_str(),
            "RunInstances" | "RequestSpotInstances"
        ) {
            return;
        }
        let (types, count) = launch::launched(e.params.as_deref().unwrap_or(&Value::Null));
        let principal = e.identity.display();
        let expensive: Vec<String> = types
            .iter()
            .filter(|t| prices::is_expensive(t))
            .cloned()
            .collect();
        if !expensive.is_empty() {
            let id = self.bump(
                AlertSeed {
                    group: format!("expensive-launch:{principal}"),
                    rule: "expensive-launch".into(),
                    severity: Severity::Critical,
                    title: format!("GPU instances launched by {principal}"),
                },
                e,
            );
            let tally = self.launches.entry(id.clone()).or_default();
            tally.add(e, &expensive, count);
            let explain = format!(
                "{principal} {} — the bill before the bill",
                tally.describe()
            );
            let hourly = tally.hourly;
            if let Some(a) = self.alerts.get_mut(&id) {
                a.spend_per_hour = Some(hourly);
            }
            self.report(&id, Some(explain), out);
        }
        let account = e.identity.account_id.to_string();
        let unusual = match self.region_told {
            Some(told) => told,
            None => self.regions.is_unusual(&account, &e.aws_region),
        };
        if unusual {
            let id = self.bump(
                AlertSeed {
                    group: format!("launch-unusual-region:{principal}"),
                    rule: "launch-unusual-region".into(),
                    severity: Severity::High,
                    title: format!(
                        "{principal} launched instances in a region this account never uses"
                    ),
                },
                e,
            );
            let tally = self.launches.entry(id.clone()).or_default();
            tally.add(e, &types, count);
            let explain = format!(
                "{principal} {}, where account {account} had never worked: miners hide where nobody looks",
                tally.describe()
            );
            let hourly = tally.hourly;
            if let Some(a) = self.alerts.get_mut(&id) {
                a.spend_per_hour = Some(hourly);
            }
            self.report(&id, Some(explain), out);
        }
        // A burst counts every launch by the principal inside the window, expensive or not.
        let window = self.settings.group_window;
        let (last, tally) = self
            .bursts
            .entry(principal.clone())
            .or_insert_with(|| (e.event_time, LaunchTally::default()));
        if e.event_time > *last + window {
            *tally = LaunchTally::default();
        }
        *last = e.event_time;
        tally.add(e, &types, count);
        if tally.instances + tally.refused < LAUNCH_BURST {
            return;
        }
        let explain = format!(
            "{principal} {} within {} — more than people start by hand",
            tally.describe(),
            humantime::format_duration(window.to_std().unwrap_or_default())
        );
        let hourly = tally.hourly;
        let id = self.bump(
            AlertSeed {
                group: format!("launch-burst:{principal}"),
                rule: "launch-burst".into(),
                severity: Severity::High,
                title: format!("A burst of instance launches by {principal}"),
            },
            e,
        );
        if let Some(a) = self.alerts.get_mut(&id) {
            a.spend_per_hour = Some(hourly);
        }
        self.report(&id, Some(explain), out);
    }

    fn persistence(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if e.failed() {
            return;
        }
        let params = e
            .params
            .as_deref()
            .and_then(|p| p.get("requestParameters"))
            .unwrap_or(&Value::Null);
        let text = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default();
        let target = text("userName");
        let caller = e.identity.user_name.as_deref().unwrap_or_default();
        let what = match e.event_name.as_str() {
            "CreateAccessKey" if !target.is_empty() && target != caller => {
                format!("an access key for {target}")
            }
            "CreateUser" => format!("user {target}"),
            "CreateLoginProfile" => format!("a console password for {target}"),
            "UpdateLoginProfile" if !target.is_empty() && target != caller => {
                format!("a new console password for {target}")
            }
            "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy"
                if text("policyArn").ends_with("/AdministratorAccess") =>
            {
                format!("AdministratorAccess for {}", subject_of(params))
            }
            "PutUserPolicy" | "PutRolePolicy" | "PutGroupPolicy"
                if policy::grants_everything(text("policyDocument")) =>
            {
                format!("an allow-everything policy for {}", subject_of(params))
            }
            "CreateRole" | "UpdateAssumeRolePolicy" => {
                let doc = match e.event_name.as_str() {
                    "CreateRole" => text("assumeRolePolicyDocument"),
                    _ => text("policyDocument"),
                };
                let outsiders = policy::outside_trust(doc, &e.identity.account_id);
                if outsiders.is_empty() {
                    return;
                }
                format!(
                    "a trust on role {} for {}",
                    text("roleName"),
                    outsiders.join(", ")
                )
            }
            _ => return,
        };
        let principal = e.identity.display();
        let id = self.bump(
            AlertSeed {
                group: format!("persistence:{principal}"),
                rule: "persistence".into(),
                severity: Severity::High,
                title: format!("{principal} is creating ways back in"),
            },
            e,
        );
        let items = self.created.entry(id.clone()).or_default();
        items.insert(what);
        let explain = format!(
            "{principal} created {} — ways back in after the key is gone",
            items.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        self.report(&id, Some(explain), out);
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
        let attempt = if e.failed() { " (attempted)" } else { "" };
        let explain = format!(
            "{principal} called {}{attempt}: someone is trying to stop the record of what they do",
            e.event_name
        );
        self.raise(
            AlertSeed {
                group: format!("trail-tampering:{principal}"),
                rule: "trail-tampering".into(),
                severity: Severity::Critical,
                title: format!("CloudTrail tampering by {principal}"),
            },
            explain,
            e,
            out,
        );
    }

    fn root_use(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if e.identity.kind != "Root" || e.identity.invoked_by.is_some() {
            return;
        }
        let explain = format!(
            "root called {} from {}: root should never be used day to day",
            e.event_name, e.source_ip
        );
        self.raise(
            AlertSeed {
                // Per account: an organization's trail holds many roots.
                group: format!("root-use:{}", e.identity.account_id),
                rule: "root-use".into(),
                severity: Severity::High,
                title: "The root user is being used".into(),
            },
            explain,
            e,
            out,
        );
    }

    fn console_login_without_mfa(&mut self, e: &CloudTrailEvent, out: &mut Vec<Alert>) {
        if e.event_name != "ConsoleLogin" {
            return;
        }
        let p = e.params.as_deref().unwrap_or(&Value::Null);
        let succeeded = p
            .pointer("/responseElements/ConsoleLogin")
            .and_then(Value::as_str)
            == Some("Success");
        let mfa = p
            .pointer("/additionalEventData/MFAUsed")
            .and_then(Value::as_str);
        // Federated sign-ins (SAML/SSO) leave MFA to the identity provider.
        let federated = matches!(&*e.identity.kind, "AssumedRole" | "FederatedUser");
        if !succeeded || mfa != Some("No") || federated {
            return;
        }
        let principal = e.identity.display();
        let explain = format!(
            "{principal} signed in to the console from {} with a password alone: a stolen password is all it takes",
            e.source_ip
        );
        self.raise(
            AlertSeed {
                group: format!("console-login-no-mfa:{principal}"),
                rule: "console-login-no-mfa".into(),
                severity: Severity::Medium,
                title: format!("{principal} signed in to the console without MFA"),
            },
            explain,
            e,
            out,
        );
    }

    fn sigma(&mut self, e: &CloudTrailEvent, matched: &[usize], out: &mut Vec<Alert>) {
        // Nothing to do for almost every event; the rule set is shared by several threads,
        // so not even its count is touched then.
        if matched.is_empty() {
            return;
        }
        let Some(rules) = self.rules.clone() else {
            return;
        };
        for &i in matched {
            let Some(rule) = rules.rules().get(i) else {
                continue;
            };
            let name = self.sigma_names[i].clone();
            let principal = e.identity.display();
            let id = self.bump(
                AlertSeed {
                    group: format!("{name}:{principal}"),
                    rule: name,
                    severity: rules::severity_of(rule),
                    title: format!("{} ({principal})", rule.title),
                },
                e,
            );
            let explain = self.alerts[&id].explanation.is_empty().then(|| {
                let what = rule.description.as_deref().unwrap_or(&rule.title).trim();
                format!(
                    "{what} — {principal} called {} from {}",
                    e.event_name, e.source_ip
                )
            });
            self.report(&id, explain, out);
        }
    }
}

/// The user or role an event's baseline belongs to: sessions of one role share it.
/// (Borrowed: a million events from several threads must not all touch the shared counts
/// of the same interned names.)
fn principal_key(e: &CloudTrailEvent) -> Option<&Text> {
    match &*e.identity.kind {
        "Root" => Some(&e.identity.account_id),
        "IAMUser" | "AssumedRole" => e.identity.user_name.as_ref(),
        _ => None,
    }
}

fn subject_of(params: &Value) -> String {
    ["userName", "roleName", "groupName"]
        .iter()
        .find_map(|k| params.get(*k).and_then(Value::as_str))
        .unwrap_or("?")
        .to_string()
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
