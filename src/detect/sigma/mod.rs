//! Sigma rules over AWS CloudTrail events.
//!
//! Rules are loaded from YAML (`logsource: product: aws, service: cloudtrail`), compiled once,
//! and evaluated directly over the `serde_json::Value` of a CloudTrail record: no copy of the
//! event is made. Anything a rule asks for that this engine cannot evaluate faithfully is a
//! [`LoadError`] naming the file and the reason, so a rule is never half-applied.
//!
//! The supported subset: field equality with value lists, `*`/`?` wildcards, the modifiers
//! `contains`, `startswith`, `endswith`, `all`, `exists`, `cased`, `re` (with `i`, `m`, `s`),
//! `gt`, `gte`, `lt`, `lte`, `cidr`, keyword lists, `null`, dotted paths into nested JSON, and
//! conditions with `and`, `or`, `not`, parentheses and `N of`/`all of` over names or `them`.

mod condition;
pub mod correlation;
mod detection;
mod field;
mod load;
mod pattern;
pub mod predicate;
mod prefilter;
mod ruleset;

#[cfg(test)]
mod rules_tests;
#[cfg(test)]
mod tests;

use std::fmt;

pub use load::{load_dir, parse_rules};
pub use ruleset::RuleSet;

/// How urgent a rule's hits are, from the rule's `level:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    Informational,
    Low,
    /// Sigma leaves `level` optional; a rule without one is treated as an ordinary finding.
    #[default]
    Medium,
    High,
    Critical,
}

impl Level {
    /// The level named by a rule's `level:` value; Sigma spells them in lower case, but a
    /// capitalised one is unambiguous, so case is ignored.
    pub fn parse(text: &str) -> Option<Level> {
        const LEVELS: [(&str, Level); 5] = [
            ("informational", Level::Informational),
            ("low", Level::Low),
            ("medium", Level::Medium),
            ("high", Level::High),
            ("critical", Level::Critical),
        ];
        LEVELS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|&(_, level)| level)
    }

    /// The name Sigma uses for this level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One loaded Sigma rule, ready to be evaluated.
#[derive(Debug, Clone)]
pub struct SigmaRule {
    /// The rule's `id:`, or the file stem (plus `#n` for the n-th document of a file) without one.
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub level: Level,
    pub tags: Vec<String>,
    pub falsepositives: Vec<String>,
    /// Where the rule came from: the file path, with `#n` for the n-th document of a file.
    pub origin: String,
    /// The rule's `name:`, by which correlations refer to it.
    pub name: Option<String>,
    /// For a correlation rule: what it correlates (it matches no event on its own).
    pub correlation: Option<correlation::Correlation>,
    detection: detection::Detection,
}

impl SigmaRule {
    /// Whether the event satisfies the rule's condition.
    pub fn matches(&self, event: &serde_json::Value) -> bool {
        self.detection.matches(event)
    }

    /// The verdict from what is known of an event without its JSON, when that settles it
    /// (`None`: the JSON is needed).
    pub fn verdict_on(&self, known: &dyn Known) -> Option<bool> {
        self.detection.verdict_on(known)
    }

    /// What the rule tests, for an engine that runs no more than plain field tests (Athena);
    /// None when it needs more (see [`predicate`]), or for a correlation.
    pub fn predicate(&self) -> Option<predicate::Predicate> {
        if self.correlation.is_some() {
            return None;
        }
        self.detection.predicate()
    }

    /// The lower-cased `eventName` values this rule can possibly match, when the condition
    /// proves that it only matches those; `None` when any event might match.
    pub fn event_names(&self) -> Option<&[String]> {
        self.detection.event_names.as_deref()
    }
}

/// What is known of an event before its JSON is read (the fields a caller already holds):
/// rules that test only those are settled without parsing the event again.
pub trait Known {
    /// The text of the field at a dotted `path`: `None` when not known without the JSON,
    /// `Some(None)` when the field is absent or null.
    fn field(&self, path: &str) -> Option<Option<&str>>;
}

/// A rule that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {reason}")]
pub struct LoadError {
    /// The file (with `#n` for the n-th document of a file) or directory concerned.
    pub origin: String,
    pub reason: String,
}
