//! Sigma correlation rules: `event_count`, `value_count`, `temporal` and `temporal_ordered`
//! over the matches of other rules, per `group-by` value, within a `timespan`.
//!
//! ```yaml
//! title: Many different IAM reads by one key
//! correlation:
//!   type: value_count
//!   rules: [iam_read]          # other rules' `name` or `id`
//!   group-by: [userIdentity.accessKeyId]
//!   timespan: 10m
//!   condition: {field: eventName, gte: 20}
//! ```
//!
//! An alert is raised when the condition first holds, and grows while it keeps holding; so
//! only thresholds reached from below (`gt`, `gte`, `eq`) can be told as events arrive.

use super::detection::describe;
use super::field::FieldPath;
use serde_json::Value;
use serde_norway::{Mapping, Value as Yaml};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

#[derive(Debug, Clone)]
pub struct Correlation {
    pub kind: Kind,
    /// The rules correlated, by their `name` or `id`, in the order written.
    pub rules: Vec<String>,
    group_by: Vec<FieldPath>,
    pub timespan: chrono::Duration,
    /// The threshold: `gte` n (`gt` n is `gte` n + 1, `eq` n is `gte` n).
    pub at_least: usize,
    /// For `value_count`: the field whose distinct values are counted.
    field: Option<FieldPath>,
    /// Whether the correlated rules also raise their own alerts (`generate`, default no).
    pub generate: bool,
}

impl Correlation {
    /// The group an event belongs to: its `group-by` values, joined.
    pub fn group_of(&self, event: &Value) -> String {
        self.group_by
            .iter()
            .map(|f| {
                let mut found = String::new();
                f.any(event, |v| {
                    found = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    true
                });
                found
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// For `value_count`: the event's value of the counted field.
    pub fn value_of(&self, event: &Value) -> Option<String> {
        let mut found = None;
        self.field.as_ref()?.any(event, |v| {
            found = match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            };
            found.is_some()
        });
        found
    }

    /// The field counted, for explanations.
    pub fn field_name(&self) -> Option<&str> {
        self.field.as_ref().map(FieldPath::name)
    }
}

fn strings(v: Option<&Yaml>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::String(s)) => Ok(vec![s.clone()]),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{what}` must list names, found {}", describe(i)))
            })
            .collect(),
        Some(other) => Err(format!(
            "`{what}` must be a list, found {}",
            describe(other)
        )),
    }
}

/// Compiles a `correlation:` mapping.
pub fn compile(map: &Mapping) -> Result<Correlation, String> {
    let kind = match map.get("type").and_then(Yaml::as_str) {
        Some("event_count") => Kind::EventCount,
        Some("value_count") => Kind::ValueCount,
        Some("temporal") => Kind::Temporal,
        Some("temporal_ordered") => Kind::TemporalOrdered,
        Some(other) => {
            return Err(format!(
                "unknown correlation type `{other}`: use event_count, value_count, temporal or temporal_ordered"
            ));
        }
        None => return Err("the correlation has no `type`".into()),
    };
    let rules = strings(map.get("rules"), "rules")?;
    if rules.is_empty() {
        return Err("the correlation names no `rules`".into());
    }
    let group_by = strings(map.get("group-by"), "group-by")?
        .iter()
        .map(|f| FieldPath::new(f))
        .collect();
    let timespan = match map.get("timespan") {
        Some(Yaml::String(t)) => humantime::parse_duration(t)
            .ok()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .filter(|d| *d > chrono::Duration::zero())
            .ok_or_else(|| format!("`timespan` {t:?} is not a duration (10m, 1h, 2d)"))?,
        Some(other) => {
            return Err(format!(
                "`timespan` must be text, found {}",
                describe(other)
            ));
        }
        None => return Err("the correlation has no `timespan`".into()),
    };
    let (at_least, field) = match (kind, map.get("condition")) {
        (Kind::Temporal | Kind::TemporalOrdered, None) => (rules.len(), None),
        (_, Some(Yaml::Mapping(c))) => {
            let field = c.get("field").and_then(Yaml::as_str).map(FieldPath::new);
            if kind == Kind::ValueCount && field.is_none() {
                return Err("a value_count condition needs the `field` whose values count".into());
            }
            let number = |k: &str| c.get(k).and_then(Yaml::as_u64).map(|n| n as usize);
            let at_least = if let Some(n) = number("gte") {
                n
            } else if let Some(n) = number("gt") {
                n + 1
            } else if let Some(n) = number("eq") {
                n
            } else if c.contains_key("lt") || c.contains_key("lte") {
                return Err(
                    "`lt`/`lte` conditions are not supported: an alert is raised as events arrive, when a threshold is reached"
                        .into(),
                );
            } else {
                return Err("the condition needs `gte`, `gt` or `eq` with a number".into());
            };
            (at_least.max(1), field)
        }
        (_, Some(other)) => {
            return Err(format!(
                "`condition` must be a mapping, found {}",
                describe(other)
            ));
        }
        (_, None) => return Err("the correlation has no `condition`".into()),
    };
    let generate = match map.get("generate") {
        None | Some(Yaml::Null) => false,
        Some(Yaml::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "`generate` must be true or false, found {}",
                describe(other)
            ));
        }
    };
    Ok(Correlation {
        kind,
        rules,
        group_by,
        timespan,
        at_least,
        field,
        generate,
    })
}
