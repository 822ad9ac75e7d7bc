//! A live account's sources: a poller per service and region, each a [`Source`] reporting
//! its health, all feeding the one ingest path into the journal. Nothing here ever blocks
//! the screen. A new AWS source is a poller here and a line in [`sources`].

use super::accounts::{Member, Unreachable};
use super::cloudtrail::{Poller, REQUESTS_PER_SECOND, RegionTrail};
use super::config::ConfigSource;
use super::connect::{Account, in_region};
use super::errors::AwsFailure;
use super::iam::{IamSource, IamTracker};
use super::pace::Pacer;
use super::responder::{AccountResponders, AwsResponder};
use super::securityhub;
use super::stacks::StackIndex;
use super::trails::{TrailTracker, trail_health};
use crate::model::{Alert, Finding, NewRecord, RecordBody, Severity, SourceStatus};
use crate::source::{Outlet, Source, SourceReport};
use crate::state::IncidentState;
use crate::state::pivot::Pivot;
use aws_sdk_cloudtrail::types::LookupAttributeKey;
use futures::future::BoxFuture;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// How often each source looks again, and how far back the first look reaches.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub cloudtrail_every: Duration,
    pub others_every: Duration,
    pub lookback: chrono::Duration,
    pub securityhub_min: Severity,
    /// Pages one CloudTrail poll or pivot may read per region.
    pub max_pages: usize,
    /// Whether findings are told which CloudFormation stack made their resource (read
    /// when infrastructure repositories are configured: the way from a finding to code).
    pub stacks: bool,
    /// Which regional services each account is polled for itself.
    pub per_account: PerAccount,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            cloudtrail_every: Duration::from_secs(30),
            others_every: Duration::from_secs(120),
            lookback: chrono::Duration::hours(6),
            securityhub_min: Severity::High,
            max_pages: 400,
            stacks: false,
            per_account: PerAccount::default(),
        }
    }
}

/// A source's health: every refresh goes to the screen, a change (working ↔ failing, or a
/// different failure) also to the journal.
pub struct Health {
    name: String,
    last: Option<(bool, String)>,
    ch: Outlet,
}

impl Health {
    pub fn new(name: impl Into<String>, ch: &Outlet) -> Self {
        Health {
            name: name.into(),
            last: None,
            ch: ch.clone(),
        }
    }

    pub fn say(&mut self, ok: bool, message: String) {
        let now = self.ch.clock.now();
        let _ = self.ch.reports.send(SourceReport {
            source: self.name.clone(),
            ok,
            message: message.clone(),
            at: now,
        });
        let changed = match &self.last {
            None => true,
            Some((was_ok, was)) => *was_ok != ok || (!ok && *was != message),
        };
        if changed {
            let summary = if ok {
                "working".to_string()
            } else {
                message.clone()
            };
            let _ = self.ch.records.send(vec![NewRecord::new(
                now,
                "aws",
                RecordBody::SourceStatus(SourceStatus {
                    source: self.name.clone(),
                    ok,
                    message: summary,
                }),
            )]);
        }
        self.last = Some((ok, message));
    }

    pub fn ok(&mut self, message: impl Into<String>) {
        self.say(true, message.into());
    }

    pub fn failed(&mut self, f: &AwsFailure) {
        self.say(false, f.message.clone());
    }

    pub fn send(&self, actor: &str, bodies: Vec<RecordBody>) {
        self.ch.send(actor, bodies);
    }
}

/// A live account's sources, and what the console asks of the account besides.
pub struct Live {
    pub sources: Vec<Box<dyn Source>>,
    /// Pivots to ask CloudTrail about (90 days, server side).
    pub lookups: UnboundedSender<Pivot>,
    pub responder: Arc<dyn crate::respond::ResponseApi>,
}

/// A source made of an async function of its outlet.
struct Task<F>(F);

impl<F, Fut> Source for Task<F>
where
    F: FnOnce(Outlet) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    fn run(self: Box<Self>, outlet: Outlet) -> BoxFuture<'static, ()> {
        Box::pin((self.0)(outlet))
    }
}

fn source<F, Fut>(f: F) -> Box<dyn Source>
where
    F: FnOnce(Outlet) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    Box::new(Task(f))
}

/// Every source of the account: per region CloudTrail, AWS Config and Security Hub; then
/// the trails, IAM and the answers to pivots. `known` is what the journal already holds, so
/// a reopened incident does not record again what has not changed.
pub fn sources(account: &Account, opts: LiveOptions, known: &IncidentState) -> Live {
    let watched = watch(account, &account.sdk, None, &opts, known);
    let (lookups, lookup_rx) = unbounded_channel();
    let mut sources = watched.sources;
    let (trails, max_pages) = (watched.trails, opts.max_pages);
    sources.push(source(move |out| {
        answer_lookups(trails, lookup_rx, max_pages, out)
    }));
    Live {
        sources,
        lookups,
        responder: Arc::new(watched.responder),
    }
}

/// Where the organization's findings come from besides each account's own Config and
/// Security Hub: the aggregators of the account the console runs in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregation {
    /// A Config aggregator (name, and the region it is in): every account's findings from
    /// it, instead of each account's Config.
    pub config: Option<(String, String)>,
    /// Security Hub's aggregation region: every account's and region's findings from there.
    pub securityhub_region: Option<String>,
}

/// The sources of every account reached, told apart by account: each source's name starts
/// with its account, every finding names its account, a pivot asks every account, and a
/// response is made in the account its calls name, with that account's response role. An
/// account that could not be reached is reported as a failing source.
pub fn organization(
    home: &Account,
    members: &[Member],
    unreachable: &[Unreachable],
    aggregation: &Aggregation,
    mut opts: LiveOptions,
    known: &IncidentState,
) -> Live {
    let mut sources = Vec::new();
    let mut trails = Vec::new();
    let mut responders = BTreeMap::new();
    let per_account_hub = aggregation.securityhub_region.is_none();
    let per_account_config = aggregation.config.is_none();
    for m in members {
        let id = &m.account.account_id;
        let label = format!("{id} ");
        opts.per_account = PerAccount {
            config: per_account_config,
            securityhub: per_account_hub,
        };
        let watched = watch(&m.account, &m.respond, Some(&label), &opts, known);
        sources.extend(watched.sources);
        trails.extend(watched.trails);
        responders.insert(id.clone(), watched.responder);
    }
    if let Some((name, region)) = &aggregation.config {
        let sdk = in_region(&home.sdk, region);
        let config = ConfigSource::new(aws_sdk_config::Client::new(&sdk), region.clone())
            .aggregated(name.clone());
        let (every, findings) = (opts.others_every, known.findings.clone());
        sources.push(source(move |out| {
            poll_config(config, None, every, out, findings, None)
        }));
    }
    if let Some(region) = &aggregation.securityhub_region {
        let hub = aws_sdk_securityhub::Client::new(&in_region(&home.sdk, region));
        let last = known_hub_findings(known);
        let (region, min, every) = (region.clone(), opts.securityhub_min, opts.others_every);
        sources.push(source(move |out| {
            poll_securityhub(hub, format!("aggregated {region}"), min, every, out, last)
        }));
    }
    // Which accounts were reached, as whom, and which not: journaled, so the incident
    // knows it spans several (and responses name theirs).
    for m in members {
        let name = crate::model::account_source(&m.account.account_id);
        let said = format!("watching as {}", m.account.arn);
        sources.push(source(move |out| async move {
            Health::new(name, &out).ok(said);
        }));
    }
    for u in unreachable {
        let (name, failure) = (
            crate::model::account_source(&u.account_id),
            u.failure.clone(),
        );
        sources.push(source(move |out| async move {
            Health::new(name, &out).failed(&failure);
        }));
    }
    let (lookups, lookup_rx) = unbounded_channel();
    let max_pages = opts.max_pages;
    sources.push(source(move |out| {
        answer_lookups(trails, lookup_rx, max_pages, out)
    }));
    Live {
        sources,
        lookups,
        responder: Arc::new(AccountResponders::new(responders)),
    }
}

/// Which of an account's regional services it is polled for itself (not when an
/// aggregator answers for every account).
#[derive(Debug, Clone, Copy)]
pub struct PerAccount {
    pub config: bool,
    pub securityhub: bool,
}

impl Default for PerAccount {
    fn default() -> Self {
        PerAccount {
            config: true,
            securityhub: true,
        }
    }
}

/// One account's sources, its trails (for pivots) and its responder.
struct Watched {
    sources: Vec<Box<dyn Source>>,
    trails: Vec<RegionTrail>,
    responder: AwsResponder,
}

fn known_hub_findings(known: &IncidentState) -> HashMap<String, Alert> {
    known
        .alerts
        .iter()
        .filter(|a| a.alert.id.starts_with("securityhub:"))
        .map(|a| (a.alert.id.clone(), a.alert.clone()))
        .collect()
}

/// The sources of one account, watched with `account`'s credentials; responses with
/// `respond`'s. `label` (the account and a space) starts every source's name when the
/// console watches several, and then every finding names its account.
fn watch(
    account: &Account,
    respond: &aws_config::SdkConfig,
    label: Option<&str>,
    opts: &LiveOptions,
    known: &IncidentState,
) -> Watched {
    let mut sources = Vec::new();
    let iam_changed = Arc::new(Notify::new());
    let mut trails = Vec::new();
    let known_findings = known_hub_findings(known);
    let known_events: Vec<String> = known
        .events
        .iter()
        .map(|e| e.event_id().to_string())
        .collect();
    let prefix = label.unwrap_or_default().to_string();
    let stamp = label.map(|_| account.account_id.clone());
    for region in &account.regions {
        let sdk = in_region(&account.sdk, region);
        let pacer = Arc::new(Pacer::new(REQUESTS_PER_SECOND));
        let trail = RegionTrail::new(aws_sdk_cloudtrail::Client::new(&sdk), region, pacer);
        trails.push(trail.clone());
        let poller = Poller::new(trail, opts.lookback, opts.max_pages);
        let (every, already) = (opts.cloudtrail_every, known_events.clone());
        let name = format!("{prefix}cloudtrail:{region}");
        sources.push(source(move |out| {
            poll_cloudtrail(poller, name, every, out, already)
        }));
        let every = opts.others_every;
        if opts.per_account.config {
            let config = ConfigSource::new(aws_sdk_config::Client::new(&sdk), region.clone())
                .named(format!("{prefix}config:{region}"));
            let findings = known.findings.clone();
            let stacks = opts
                .stacks
                .then(|| StackIndex::new(aws_sdk_cloudformation::Client::new(&sdk), every));
            let stamp = stamp.clone();
            sources.push(source(move |out| {
                poll_config(config, stacks, every, out, findings, stamp)
            }));
        }
        if opts.per_account.securityhub {
            let hub = aws_sdk_securityhub::Client::new(&sdk);
            let (name, min, last) = (
                format!("{prefix}{region}"),
                opts.securityhub_min,
                known_findings.clone(),
            );
            sources.push(source(move |out| {
                poll_securityhub(hub, name, min, every, out, last)
            }));
        }
    }
    let home = aws_sdk_cloudtrail::Client::new(&in_region(&account.sdk, &account.regions[0]));
    let every = opts.others_every;
    let name = format!("{prefix}trails");
    sources.push(source(move |out| poll_trails(home, name, every, out)));
    let iam = aws_sdk_iam::Client::new(&account.sdk);
    let (iam_source, poked) = (IamSource::new(iam.clone()), iam_changed.clone());
    let tracker = IamTracker::knowing(&known.users, &known.keys);
    let name = format!("{prefix}iam");
    sources.push(source(move |out| {
        poll_iam(iam_source, name, every, poked, out, tracker)
    }));
    Watched {
        sources,
        trails,
        responder: responder(&account.regions, respond, iam_changed),
    }
}

/// The responder of one account, with `respond`'s credentials; remediations run in the
/// account's own Config of each region, aggregator or not.
pub fn responder(
    regions: &[String],
    respond: &aws_config::SdkConfig,
    iam_changed: Arc<Notify>,
) -> AwsResponder {
    let config = regions
        .iter()
        .map(|r| {
            let client = aws_sdk_config::Client::new(&in_region(respond, r));
            (r.clone(), ConfigSource::new(client, r.clone()))
        })
        .collect();
    AwsResponder::new(respond, config, iam_changed)
}

/// The responders of every account reached, each with its response role.
pub fn responders(members: &[Member]) -> AccountResponders {
    AccountResponders::new(
        members
            .iter()
            .map(|m| {
                let notify = Arc::new(Notify::new());
                let r = responder(&m.account.regions, &m.respond, notify);
                (m.account.account_id.clone(), r)
            })
            .collect(),
    )
}

async fn poll_cloudtrail(
    mut poller: Poller,
    name: String,
    every: Duration,
    ch: Outlet,
    already: Vec<String>,
) {
    // Events already journaled (a reopened incident) are not journaled again.
    let mut health = Health::new(name, &ch);
    let mut skip: std::collections::HashSet<String> = already.into_iter().collect();
    loop {
        let fetched = poller.poll(ch.clock.now()).await;
        let new: Vec<RecordBody> = fetched
            .events
            .into_iter()
            .filter(|e| !skip.remove(&*e.event_id()))
            .map(RecordBody::Event)
            .collect();
        let count = new.len();
        health.send("cloudtrail", new);
        match &fetched.failure {
            Some(f) => health.failed(f),
            None => health.ok(format!("{count} new events")),
        }
        tokio::time::sleep(every).await;
    }
}

async fn poll_iam(
    source: IamSource,
    name: String,
    every: Duration,
    poked: Arc<Notify>,
    ch: Outlet,
    mut tracker: IamTracker,
) {
    let mut health = Health::new(name, &ch);
    loop {
        match source.snapshot().await {
            Ok(snap) => {
                let (users, keys) = (snap.users.len(), snap.keys.len());
                health.send("iam", tracker.changes(snap));
                health.ok(format!("{users} users, {keys} keys"));
            }
            Err(f) => health.failed(&f),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = poked.notified() => {}
        }
    }
}

/// Non-compliant findings by `(rule, resource)`: what the journal last said.
type FindingMap = HashMap<(String, String), Finding>;

/// Polls one Config (an account's region, or an aggregator); `account`, when the console
/// watches several, is written on each finding an account's own Config gives.
async fn poll_config(
    source: ConfigSource,
    mut stacks: Option<StackIndex>,
    every: Duration,
    ch: Outlet,
    known: Vec<Finding>,
    account: Option<String>,
) {
    let mut health = Health::new(source.name(), &ch);
    let mut last: FindingMap = known
        .into_iter()
        .filter(|f| source.answers_for(f, account.as_deref()) && f.is_non_compliant())
        .map(|f| (f.key(), f))
        .collect();
    loop {
        match source.non_compliant().await {
            Ok(mut findings) => {
                if let Some(a) = &account {
                    for f in &mut findings {
                        f.account = Some(a.clone());
                    }
                }
                let count = findings.len();
                // The stacks are a way to the code, not the findings: without them the
                // findings still go in, and the status line says why they are missing.
                let stacks_note = match &mut stacks {
                    Some(index) => match with_stacks(index, &mut findings).await {
                        Ok(()) => String::new(),
                        Err(f) => format!("; stacks unknown: {f}"),
                    },
                    None => String::new(),
                };
                health.send("aws-config", finding_changes(&mut last, findings));
                health.ok(format!("{count} non-compliant resources{stacks_note}"));
            }
            Err(f) => health.failed(&f),
        }
        tokio::time::sleep(every).await;
    }
}

/// Each non-compliant finding told the stack its resource was deployed by, if any.
async fn with_stacks(index: &mut StackIndex, findings: &mut [Finding]) -> Result<(), AwsFailure> {
    for f in findings.iter_mut().filter(|f| f.is_non_compliant()) {
        f.stack = index.stack_of(&f.resource_id).await?;
    }
    Ok(())
}

/// New or changed findings, and resources no longer non-compliant (recorded COMPLIANT).
fn finding_changes(last: &mut FindingMap, now: Vec<Finding>) -> Vec<RecordBody> {
    let mut out = Vec::new();
    let current: FindingMap = now.into_iter().map(|f| (f.key(), f)).collect();
    for (key, f) in &current {
        let same = last
            .get(key)
            .is_some_and(|old| old.annotation == f.annotation && old.remediation == f.remediation);
        if !same {
            out.push(RecordBody::Finding(f.clone()));
        }
    }
    for (key, f) in last.iter() {
        if !current.contains_key(key) {
            let mut fixed = f.clone();
            fixed.compliance = "COMPLIANT".into();
            out.push(RecordBody::Finding(fixed));
        }
    }
    *last = current;
    out
}

/// Polls one Security Hub; `name` after `securityhub:` says which (an account's region, or
/// the aggregation region).
async fn poll_securityhub(
    client: aws_sdk_securityhub::Client,
    name: String,
    min: Severity,
    every: Duration,
    ch: Outlet,
    mut last: HashMap<String, Alert>,
) {
    let mut health = Health::new(format!("securityhub:{name}"), &ch);
    loop {
        match securityhub::active_findings(&client, min).await {
            Ok(alerts) => {
                let count = alerts.len();
                let mut changed = Vec::new();
                for a in alerts {
                    if last.get(&a.id) != Some(&a) {
                        last.insert(a.id.clone(), a.clone());
                        changed.push(RecordBody::Alert(a));
                    }
                }
                health.send("securityhub", changed);
                health.ok(format!("{count} active findings at {min} or above"));
            }
            Err(f) => health.failed(&f),
        }
        tokio::time::sleep(every).await;
    }
}

async fn poll_trails(
    client: aws_sdk_cloudtrail::Client,
    name: String,
    every: Duration,
    ch: Outlet,
) {
    let mut health = Health::new(name, &ch);
    let mut tracker = TrailTracker::default();
    loop {
        match trail_health(&client).await {
            Ok(trails) => {
                let stopped = trails.iter().filter(|t| !t.logging).count();
                health.send("trails", tracker.changes(&trails, ch.clock.now()));
                health.ok(format!("{} trails, {stopped} not logging", trails.len()));
            }
            Err(f) => health.failed(&f),
        }
        tokio::time::sleep(every).await;
    }
}

/// The LookupEvents attribute a pivot asks about; CloudTrail cannot look up by IP.
fn attribute_of(p: &Pivot) -> Option<(LookupAttributeKey, String)> {
    match p {
        Pivot::Key(k) => Some((LookupAttributeKey::AccessKeyId, k.clone())),
        Pivot::Principal(p) => Some((LookupAttributeKey::Username, p.clone())),
        Pivot::EventName(n) => Some((LookupAttributeKey::EventName, n.clone())),
        Pivot::Resource(r) => Some((LookupAttributeKey::ResourceName, r.clone())),
        Pivot::Ip(_) | Pivot::Account(_) | Pivot::AlertEvents { .. } => None,
    }
}

async fn answer_lookups(
    trails: Vec<RegionTrail>,
    mut rx: UnboundedReceiver<Pivot>,
    max_pages: usize,
    ch: Outlet,
) {
    let mut health = Health::new("cloudtrail:lookup", &ch);
    while let Some(pivot) = rx.recv().await {
        let Some((key, value)) = attribute_of(&pivot) else {
            health.ok(format!(
                "CloudTrail cannot look up by IP or account: {pivot} shows loaded events only"
            ));
            continue;
        };
        let now = ch.clock.now();
        let results = futures::future::join_all(
            trails
                .iter()
                .map(|t| t.lookup(key.clone(), &value, now, max_pages)),
        )
        .await;
        let mut found = 0;
        let mut failure = None;
        for fetched in results {
            found += fetched.events.len();
            health.send(
                "cloudtrail",
                fetched.events.into_iter().map(RecordBody::Event).collect(),
            );
            failure = failure.or(fetched.failure);
        }
        match failure {
            Some(f) => health.failed(&f),
            None => health.ok(format!("{found} events in 90 days for {pivot}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, annotation: Option<&str>) -> Finding {
        Finding {
            rule: "s3-bucket-public-read-prohibited".into(),
            rule_description: String::new(),
            resource_type: "AWS::S3::Bucket".into(),
            resource_id: id.into(),
            region: "us-east-1".into(),
            compliance: "NON_COMPLIANT".into(),
            annotation: annotation.map(str::to_string),
            remediation: None,
            guidance: None,
            evaluated_at: None,
            stack: None,
            account: None,
        }
    }

    #[test]
    fn findings_are_journaled_when_new_changed_or_gone() {
        let mut last = FindingMap::new();
        assert_eq!(
            finding_changes(&mut last, vec![finding("a", None), finding("b", None)]).len(),
            2
        );
        assert!(
            finding_changes(&mut last, vec![finding("a", None), finding("b", None)]).is_empty()
        );
        let changes = finding_changes(&mut last, vec![finding("a", Some("now public"))]);
        let summary: Vec<(String, String)> = changes
            .iter()
            .map(|c| match c {
                RecordBody::Finding(f) => (f.resource_id.clone(), f.compliance.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("a".to_string(), "NON_COMPLIANT".to_string()),
                ("b".to_string(), "COMPLIANT".to_string())
            ]
        );
    }

    #[test]
    fn pivots_map_to_lookup_attributes() {
        assert_eq!(
            attribute_of(&Pivot::Key("AKIA1".into())),
            Some((LookupAttributeKey::AccessKeyId, "AKIA1".into()))
        );
        assert_eq!(
            attribute_of(&Pivot::Principal("alice".into())),
            Some((LookupAttributeKey::Username, "alice".into()))
        );
        assert_eq!(
            attribute_of(&Pivot::parse("event:RunInstances")),
            Some((LookupAttributeKey::EventName, "RunInstances".into()))
        );
        assert_eq!(
            attribute_of(&Pivot::parse("resource:orders")),
            Some((LookupAttributeKey::ResourceName, "orders".into()))
        );
        assert_eq!(attribute_of(&Pivot::Ip("203.0.113.77".into())), None);
    }
}
