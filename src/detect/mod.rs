//! Detections: turn the stream of CloudTrail events into alerts a tired human understands.
//!
//! The detector is incremental and deterministic: it sees each event once, in arrival order,
//! and returns the alerts that event created or grew. Alert IDs derive from the rule, the
//! principal and the time a group opened, so re-reading a journal rebuilds exactly the same
//! alerts.

pub mod allow;
pub mod baseline;
mod builtin;
pub mod detection;
mod judge;
pub mod launch;
pub mod policy;
pub use crate::model::prices;
pub mod rules;
pub mod sigma;

use crate::model::{Alert, CloudTrailEvent, Sym};
use baseline::{RegionBaseline, network_of};
use chrono::{DateTime, Duration, Utc};
use detection::{Context, Detection, Grouping};
pub use judge::judge;
use sigma::RuleSet;
// A fast seeded hash: the detector does several lookups for each of a million events.
use foldhash::HashMap;
use std::sync::Arc;

/// At most this many event IDs are kept per alert (the count keeps going).
pub(crate) const MAX_EVENT_IDS: usize = 500;

/// How alerts are grouped, and whom each rule lets be.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The same rule and principal within this long of the last event is one alert; after a
    /// longer quiet, a new alert opens.
    pub group_window: Duration,
    /// `[detect.allow]`: routine administration no alert is raised for.
    pub allow: allow::AllowList,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            group_window: Duration::hours(1),
            allow: Default::default(),
        }
    }
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
        Detector::with(self.settings.clone(), Some(self.rules.clone()))
    }

    /// Runs every detection over `events` in time order, each event once however often it
    /// was read (a copy of a file, a repeated record); each alert as it stood at the end,
    /// oldest first.
    pub fn run_over(&self, events: &[Arc<CloudTrailEvent>], verdicts: &Verdicts) -> Vec<Alert> {
        let events = &*once_each(events);
        // Every alert group belongs to one principal, so the principals can be split among
        // threads, each with a detector of its own, and the alerts put together after. The
        // one account-wide fact, the regions in use, is worked out for all before.
        // A correlation may group by anything (an address, a bucket): it sees every event,
        // on one thread.
        let shards = if events.len() < 10_000 || self.rules.has_correlations() {
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
        // a million pointers would wander all over memory) and each event's shard.
        let mut order: Vec<(DateTime<Utc>, u32)> = Vec::with_capacity(events.len());
        let mut shard_of_event: Vec<u8> = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            order.push((e.event_time, i as u32));
            shard_of_event.push(shard_of(e, shards) as u8);
        }
        order.sort_unstable();
        // The account-wide fact, told once in time order, so that no thread has to read
        // every event for it. Accounts and regions become numbers as they are met, not in
        // a table of their own: this pass follows a load, at the console's peak of memory.
        let mut ids: HashMap<&str, u32> = HashMap::default();
        let unusual = baseline::unusual_regions(order.iter().map(|&(_, i)| {
            let e = &events[i as usize];
            (
                number(&mut ids, e.identity.account_id.as_str()),
                number(&mut ids, e.aws_region.as_str()),
                !e.aws_region.is_empty(),
            )
        }));
        // Which account is the first is the whole run's, not each thread's.
        let first_account = order
            .iter()
            .map(|&(_, i)| &events[i as usize].identity.account_id)
            .find(|a| !a.is_empty());
        let run = |mine: usize| {
            let mut detector = self.detector();
            // Only the end matters: no copy of an alert each time it grows.
            detector.grouping.report_each = false;
            if let Some(a) = first_account {
                detector.grouping.note_account(a);
            }
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
            detector
                .grouping
                .alerts
                .into_values()
                .collect::<Vec<Alert>>()
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

/// The running detector: every detection, fed each event once, in order.
pub struct Detector {
    grouping: Grouping,
    detections: Vec<Box<dyn Detection>>,
    rules: Option<Arc<RuleSet>>,
    regions: RegionBaseline,
    /// Set by a pass that worked out the regions beforehand: whether the next event's region
    /// is unusual (and nothing is learned from it here).
    region_told: Option<bool>,
}

impl Default for Detector {
    fn default() -> Self {
        Detector::with(Settings::default(), None)
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
        Detector {
            grouping: Grouping::new(settings),
            detections: builtin::all(rules.clone()),
            rules,
            regions: RegionBaseline::default(),
            region_told: None,
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
        self.grouping.note_account(&e.identity.account_id);
        let mut out = Vec::new();
        let region_told = self.region_told.take();
        let mut cx = Context {
            grouping: &mut self.grouping,
            out: &mut out,
            network: network_of(&e.source_ip),
            matched,
            regions: &self.regions,
            region_told,
        };
        for d in &mut self.detections {
            d.observe(e, &mut cx);
        }
        if region_told.is_none() {
            self.regions.learn(&e.identity.account_id, &e.aws_region);
        }
        out
    }
}

/// `events` without the repeats of an `eventID` (the first kept); borrowed when there are
/// none, as there almost never are.
fn once_each(events: &[Arc<CloudTrailEvent>]) -> std::borrow::Cow<'_, [Arc<CloudTrailEvent>]> {
    use std::hash::BuildHasher;
    let hasher = foldhash::fast::FixedState::default();
    let hash = |e: &CloudTrailEvent| hasher.hash_one(e.id_key());
    // Indices into `events`, not keys: 4 bytes an event where the keys would take 24, on
    // the pass that follows a million events loaded.
    let mut seen: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(events.len());
    let mut repeats = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if !e.has_id() {
            continue;
        }
        let key = e.id_key();
        let entry = seen.entry(
            hash(e),
            |&j| events[j as usize].id_key() == key,
            |&j| hash(&events[j as usize]),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(_) => repeats.push(i),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(i as u32);
            }
        }
    }
    if repeats.is_empty() {
        return std::borrow::Cow::Borrowed(events);
    }
    let mut skip = repeats.into_iter().peekable();
    std::borrow::Cow::Owned(
        events
            .iter()
            .enumerate()
            .filter(|(i, _)| skip.next_if_eq(i).is_none())
            .map(|(_, e)| e.clone())
            .collect(),
    )
}

/// The user or role an event's baseline belongs to: sessions of one role share it.
/// (Borrowed: a million events from several threads must not all touch the shared counts
/// of the same interned names.)
pub(crate) fn principal_key(e: &CloudTrailEvent) -> Option<&Sym> {
    match &*e.identity.kind {
        "Root" => Some(&e.identity.account_id),
        "IAMUser" | "AssumedRole" => e.identity.user_name.as_ref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
