//! Rules indexed by `eventName`, so each event is only tested against the rules that can
//! possibly match it.

// A fast seeded hash: looked up for each of a million events.
use foldhash::HashMap;

use serde_json::Value;

use super::SigmaRule;

/// A set of rules indexed by `eventName` for fast evaluation.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<SigmaRule>,
    /// Lower-cased event name -> indices of the rules restricted to it, ascending.
    by_name: HashMap<String, Vec<usize>>,
    /// Rules the condition does not restrict to some event names: tried on every event.
    unindexed: Vec<usize>,
}

/// Event names longer than this are lower-cased on the heap; CloudTrail's are far shorter.
const NAME_BUF: usize = 96;

impl RuleSet {
    pub fn new(rules: Vec<SigmaRule>) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::default();
        let mut unindexed = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.event_names() {
                Some(names) => {
                    for name in names {
                        by_name.entry(name.clone()).or_default().push(i);
                    }
                }
                None => unindexed.push(i),
            }
        }
        RuleSet {
            rules,
            by_name,
            unindexed,
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[SigmaRule] {
        &self.rules
    }

    /// The rules correlation `c` refers to (by `name`, else `id`), in its order; a name no
    /// rule has is left out (the loader refuses such correlations).
    pub fn correlated(&self, c: &super::correlation::Correlation) -> Vec<usize> {
        c.rules
            .iter()
            .filter_map(|wanted| {
                self.rules
                    .iter()
                    .position(|r| r.name.as_deref() == Some(wanted.as_str()))
                    .or_else(|| self.rules.iter().position(|r| &r.id == wanted))
            })
            .collect()
    }

    pub fn has_correlations(&self) -> bool {
        self.rules.iter().any(|r| r.correlation.is_some())
    }

    /// Whether rule `i` raises no alerts of its own: a correlation rule, or one only
    /// correlated (by a correlation whose `generate` is false).
    pub fn silent(&self, i: usize) -> bool {
        self.rules.get(i).is_some_and(|r| r.correlation.is_some())
            || self.rules.iter().any(|r| {
                r.correlation
                    .as_ref()
                    .is_some_and(|c| !c.generate && self.correlated(c).contains(&i))
            })
    }

    /// Whether any rule could match an event with this `eventName`: when false, the caller
    /// need not even parse the event.
    pub fn may_match(&self, event_name: &str) -> bool {
        !self.unindexed.is_empty() || !self.indexed(event_name).is_empty()
    }

    /// Indices (into [`RuleSet::rules`]) of the rules that match the event, ascending.
    /// `event_name` must be the event's `eventName`: it selects the candidate rules.
    pub fn matching(&self, event_name: &str, event: &Value) -> Vec<usize> {
        let mut hits = Vec::new();
        self.matching_into(event_name, event, &mut hits);
        hits
    }

    /// Like [`RuleSet::matching`], appending to a caller's vector so a scan over many events
    /// can reuse one allocation.
    pub fn matching_into(&self, event_name: &str, event: &Value, hits: &mut Vec<usize>) {
        hits.extend(
            self.candidates(event_name)
                .filter(|&i| self.rules[i].matches(event)),
        );
    }

    /// Like [`RuleSet::matching_into`], settling each candidate from what is `known` of the
    /// event when that is enough, and asking `json` for the whole event (once) only when a
    /// candidate needs it: most events never have their JSON read again.
    pub fn matching_lazily(
        &self,
        event_name: &str,
        known: &dyn super::Known,
        json: &mut dyn FnMut() -> Value,
        hits: &mut Vec<usize>,
    ) {
        let mut full: Option<Value> = None;
        for i in self.candidates(event_name) {
            let rule = &self.rules[i];
            let hit = match rule.verdict_on(known) {
                Some(verdict) => verdict,
                None => rule.matches(full.get_or_insert_with(&mut *json)),
            };
            if hit {
                hits.push(i);
            }
        }
    }

    /// The rules that may match an event with this name, in rule order: the ones indexed
    /// under it merged with the unindexed ones, without allocating.
    fn candidates(&self, event_name: &str) -> impl Iterator<Item = usize> + '_ {
        let (mut a, mut b) = (
            self.indexed(event_name).iter().peekable(),
            self.unindexed.iter().peekable(),
        );
        std::iter::from_fn(move || {
            let next = match (a.peek(), b.peek()) {
                (Some(&&x), Some(&&y)) if x <= y => a.next(),
                (Some(_), Some(_)) | (None, Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, None) => None,
            };
            next.copied()
        })
    }

    /// The rules indexed under this event name (compared case-insensitively).
    fn indexed(&self, event_name: &str) -> &[usize] {
        if self.by_name.is_empty() {
            return &[];
        }
        let found = if event_name.len() <= NAME_BUF {
            let mut buf = [0u8; NAME_BUF];
            let lower = &mut buf[..event_name.len()];
            lower.copy_from_slice(event_name.as_bytes());
            lower.make_ascii_lowercase();
            // ASCII lower-casing keeps UTF-8 valid, so this never fails.
            std::str::from_utf8(lower)
                .ok()
                .and_then(|name| self.by_name.get(name))
        } else {
            self.by_name.get(&event_name.to_ascii_lowercase())
        };
        found.map_or(&[], Vec::as_slice)
    }
}
