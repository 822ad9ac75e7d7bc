//! The `detection:` section: named selections compiled into matchers, plus the condition.

use regex::RegexBuilder;
use serde_json::Value;
use serde_norway::{Mapping, Value as Yaml};

use super::Known;
use super::condition::{self, Expr};
use super::field::{self, FieldPath};
use super::pattern::{Anchor, Compare, Pattern};
use super::prefilter;

/// A compiled `detection:` section.
#[derive(Debug, Clone)]
pub(super) struct Detection {
    pub(super) selections: Vec<Selection>,
    pub(super) condition: Expr,
    pub(super) event_names: Option<Vec<String>>,
}

impl Detection {
    /// What a correlation rule is on its own: it matches no event (and the index never
    /// offers it one).
    pub(super) fn never() -> Detection {
        Detection {
            selections: Vec::new(),
            condition: Expr::Or(Vec::new()),
            event_names: Some(Vec::new()),
        }
    }

    pub(super) fn matches(&self, event: &Value) -> bool {
        self.condition
            .eval(&mut |i| self.selections[i].matches(event))
    }

    /// The verdict from the fields known without the event's JSON, when they settle it.
    pub(super) fn verdict_on(&self, known: &dyn Known) -> Option<bool> {
        self.condition
            .eval_partial(&mut |i| self.selections[i].verdict_on(known))
    }
}

/// One named selection.
#[derive(Debug, Clone)]
pub(super) enum Selection {
    /// A map (all fields must match) or a list of maps (any map may match): the alternatives
    /// are OR-ed, the fields inside one alternative AND-ed.
    Fields(Vec<Vec<FieldMatcher>>),
    /// A plain list of values, searched for in every string of the event.
    Keywords(Vec<Pattern>),
}

impl Selection {
    fn matches(&self, event: &Value) -> bool {
        match self {
            Selection::Fields(alternatives) => alternatives
                .iter()
                .any(|fields| fields.iter().all(|m| m.matches(event))),
            Selection::Keywords(words) => words
                .iter()
                .any(|w| field::any_string(event, &mut |s| w.matches_str(s))),
        }
    }

    fn verdict_on(&self, known: &dyn Known) -> Option<bool> {
        let Selection::Fields(alternatives) = self else {
            // A keyword may be anywhere in the event.
            return None;
        };
        let mut unknown = false;
        for fields in alternatives {
            let mut all = Some(true);
            for m in fields {
                match m.verdict_on(known) {
                    Some(false) => {
                        all = Some(false);
                        break;
                    }
                    None => all = None,
                    Some(true) => {}
                }
            }
            match all {
                Some(true) => return Some(true),
                None => unknown = true,
                Some(false) => {}
            }
        }
        (!unknown).then_some(false)
    }

    /// The alternatives, for the `eventName` prefilter; keywords have none.
    pub(super) fn alternatives(&self) -> Option<&[Vec<FieldMatcher>]> {
        match self {
            Selection::Fields(alternatives) => Some(alternatives),
            Selection::Keywords(_) => None,
        }
    }
}

/// One `field|modifiers: value(s)` entry.
#[derive(Debug, Clone)]
pub(super) struct FieldMatcher {
    pub(super) path: FieldPath,
    pub(super) test: FieldTest,
}

#[derive(Debug, Clone)]
pub(super) enum FieldTest {
    /// `exists: true/false`: whether the field holds anything but null.
    Exists(bool),
    /// Values, any of which (or all of which, with `all`) must match; `or_null` adds `null`
    /// to the list: the field may also be absent or null.
    Values {
        patterns: Vec<Pattern>,
        all: bool,
        or_null: bool,
    },
    /// `fieldref`: the field's value compared with another field's of the same event,
    /// whole or as `contains`/`startswith`/`endswith` says (case-insensitively unless
    /// `cased`).
    FieldRef {
        other: FieldPath,
        anchor: Option<Anchor>,
        cased: bool,
    },
}

use crate::model::scalar_text as scalar_of;

impl FieldMatcher {
    /// [`FieldMatcher::matches`] on a field known without the JSON; `None` when it is not.
    fn verdict_on(&self, known: &dyn Known) -> Option<bool> {
        if matches!(self.test, FieldTest::FieldRef { .. }) {
            return None;
        }
        let value = known.field(self.path.name())?;
        Some(match &self.test {
            FieldTest::Exists(want) => value.is_some() == *want,
            FieldTest::Values {
                patterns,
                all: true,
                ..
            } => value.is_some_and(|v| patterns.iter().all(|p| p.matches_str(v))),
            FieldTest::Values {
                patterns, or_null, ..
            } => match value {
                None => *or_null,
                Some(v) => patterns.iter().any(|p| p.matches_str(v)),
            },
            FieldTest::FieldRef { .. } => return None,
        })
    }

    fn matches(&self, event: &Value) -> bool {
        match &self.test {
            FieldTest::FieldRef {
                other,
                anchor,
                cased,
            } => self.path.any(event, |v| {
                let Some(mine) = scalar_of(v) else {
                    return false;
                };
                other.any(event, |w| {
                    let Some(theirs) = scalar_of(w) else {
                        return false;
                    };
                    let (a, b) = if *cased {
                        (mine.to_string(), theirs.to_string())
                    } else {
                        (mine.to_lowercase(), theirs.to_lowercase())
                    };
                    match anchor {
                        None | Some(Anchor::Whole) => a == b,
                        Some(Anchor::Contains) => a.contains(&b),
                        Some(Anchor::StartsWith) => a.starts_with(&b),
                        Some(Anchor::EndsWith) => a.ends_with(&b),
                    }
                })
            }),
            FieldTest::Exists(want) => self.path.present(event) == *want,
            FieldTest::Values {
                patterns,
                all: true,
                ..
            } => patterns
                .iter()
                .all(|p| self.path.any(event, |v| p.matches(v))),
            FieldTest::Values {
                patterns, or_null, ..
            } => {
                (*or_null && !self.path.present(event))
                    || (!patterns.is_empty()
                        && self
                            .path
                            .any(event, |v| patterns.iter().any(|p| p.matches(v))))
            }
        }
    }
}

/// Compiles a `detection:` mapping.
pub(super) fn compile(detection: &Yaml) -> Result<Detection, String> {
    let Yaml::Mapping(map) = detection else {
        return Err("`detection` must be a mapping of selections and a condition".into());
    };
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut conditions = None;
    for (key, value) in map {
        let Some(key) = key.as_str() else {
            return Err(format!(
                "detection keys must be names, found {}",
                describe(key)
            ));
        };
        match key {
            "condition" => conditions = Some(condition_texts(value)?),
            "timeframe" => {
                return Err(
                    "`timeframe` is not supported: rules are evaluated one event at a time".into(),
                );
            }
            _ => {
                let selection =
                    compile_selection(value).map_err(|e| format!("selection `{key}`: {e}"))?;
                names.push(key.to_owned());
                selections.push(selection);
            }
        }
    }
    let conditions = conditions.ok_or("`detection` has no `condition`")?;
    let mut alternatives = Vec::new();
    for text in &conditions {
        alternatives.push(condition::parse(text, &names)?);
    }
    let condition = if alternatives.len() == 1 {
        alternatives.remove(0)
    } else {
        Expr::Or(alternatives)
    };
    let event_names = prefilter::event_names(&condition, &selections);
    Ok(Detection {
        selections,
        condition,
        event_names,
    })
}

/// `condition:` is one expression or a list of them (any may hold).
fn condition_texts(value: &Yaml) -> Result<Vec<String>, String> {
    let texts = match value {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(items) if !items.is_empty() => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or("each `condition` in a list must be text")
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("`condition` must be text or a non-empty list of text".into()),
    };
    Ok(texts)
}

fn compile_selection(value: &Yaml) -> Result<Selection, String> {
    match value {
        Yaml::Mapping(map) => Ok(Selection::Fields(vec![compile_map(map)?])),
        Yaml::Sequence(items) if items.is_empty() => Err("an empty list never matches".into()),
        Yaml::Sequence(items) if items.iter().all(|i| matches!(i, Yaml::Mapping(_))) => {
            let maps = items
                .iter()
                .filter_map(Yaml::as_mapping)
                .map(compile_map)
                .collect::<Result<_, _>>()?;
            Ok(Selection::Fields(maps))
        }
        Yaml::Sequence(items) => {
            let words = items
                .iter()
                .map(|item| match scalar_text(item) {
                    Some(text) => Ok(Pattern::text(&text, Anchor::Contains, false)),
                    None => Err(format!(
                        "a list must hold only maps or only keywords, found {}",
                        describe(item)
                    )),
                })
                .collect::<Result<_, _>>()?;
            Ok(Selection::Keywords(words))
        }
        other => Err(format!(
            "a selection must be a map of fields, a list of maps or a list of keywords, found {}",
            describe(other)
        )),
    }
}

fn compile_map(map: &Mapping) -> Result<Vec<FieldMatcher>, String> {
    if map.is_empty() {
        return Err("an empty map has no field to match".into());
    }
    map.iter()
        .map(|(key, value)| {
            let key = key
                .as_str()
                .ok_or_else(|| format!("field names must be text, found {}", describe(key)))?;
            compile_field(key, value).map_err(|e| format!("field `{key}`: {e}"))
        })
        .collect()
}

/// The modifiers a field name carries after its `|`s.
#[derive(Default)]
struct Modifiers {
    anchor: Option<Anchor>,
    all: bool,
    exists: bool,
    cased: bool,
    regex: bool,
    regex_flags: (bool, bool, bool),
    compare: Option<Compare>,
    cidr: bool,
    fieldref: bool,
}

fn parse_modifiers(names: &[&str]) -> Result<Modifiers, String> {
    let mut m = Modifiers::default();
    for &name in names {
        let mut set_anchor = |anchor| -> Result<(), String> {
            if m.anchor.replace(anchor).is_some() {
                return Err("only one of `contains`, `startswith`, `endswith` may be used".into());
            }
            Ok(())
        };
        match name {
            "contains" => set_anchor(Anchor::Contains)?,
            "startswith" => set_anchor(Anchor::StartsWith)?,
            "endswith" => set_anchor(Anchor::EndsWith)?,
            "all" => m.all = true,
            "exists" => m.exists = true,
            "cased" => m.cased = true,
            "re" => m.regex = true,
            "i" | "m" | "s" if m.regex => match name {
                "i" => m.regex_flags.0 = true,
                "m" => m.regex_flags.1 = true,
                _ => m.regex_flags.2 = true,
            },
            "i" | "m" | "s" => return Err(format!("modifier `{name}` is only valid after `re`")),
            "gt" | "gte" | "lt" | "lte" => {
                let op = match name {
                    "gt" => Compare::Gt,
                    "gte" => Compare::Gte,
                    "lt" => Compare::Lt,
                    _ => Compare::Lte,
                };
                if m.compare.replace(op).is_some() {
                    return Err("only one of `gt`, `gte`, `lt`, `lte` may be used".into());
                }
            }
            "cidr" => m.cidr = true,
            "fieldref" => m.fieldref = true,
            "expand" | "base64" | "base64offset" | "windash" | "utf16le" | "utf16be" | "utf16"
            | "wide" | "minute" | "hour" | "day" | "week" | "month" | "year" => {
                return Err(format!("modifier `{name}` is not supported"));
            }
            "" => return Err("empty modifier (`||`)".into()),
            _ => return Err(format!("unknown modifier `{name}`")),
        }
    }
    let kinds = [
        m.exists,
        m.regex,
        m.compare.is_some(),
        m.cidr,
        m.anchor.is_some(),
    ];
    if kinds.iter().filter(|&&k| k).count() > 1 {
        return Err(
            "modifiers `exists`, `re`, `cidr`, `gt`/`gte`/`lt`/`lte` and `contains`/`startswith`/`endswith` cannot be combined"
                .into(),
        );
    }
    if m.cased && (m.exists || m.compare.is_some() || m.cidr || m.regex) {
        return Err(
            "`cased` applies only to text values (use `re|i` for regular expressions)".into(),
        );
    }
    if m.exists && m.all {
        return Err("`exists` cannot be combined with `all`".into());
    }
    if m.fieldref && (m.exists || m.regex || m.compare.is_some() || m.cidr || m.all) {
        return Err(
            "`fieldref` combines only with `contains`, `startswith`, `endswith` and `cased`".into(),
        );
    }
    Ok(m)
}

fn compile_field(key: &str, value: &Yaml) -> Result<FieldMatcher, String> {
    let mut parts = key.split('|');
    let name = parts.next().unwrap_or_default();
    if name.is_empty() {
        return Err("a field name is required before `|`".into());
    }
    let modifiers = parse_modifiers(&parts.collect::<Vec<_>>())?;
    let path = FieldPath::new(name);
    if modifiers.fieldref {
        return match value {
            Yaml::String(other) if !other.is_empty() => Ok(FieldMatcher {
                path,
                test: FieldTest::FieldRef {
                    other: FieldPath::new(other),
                    anchor: modifiers.anchor,
                    cased: modifiers.cased,
                },
            }),
            other => Err(format!(
                "`fieldref` needs the name of another field, found {}",
                describe(other)
            )),
        };
    }
    if modifiers.exists {
        return match value {
            Yaml::Bool(want) => Ok(FieldMatcher {
                path,
                test: FieldTest::Exists(*want),
            }),
            other => Err(format!(
                "`exists` needs true or false, found {}",
                describe(other)
            )),
        };
    }
    let values: Vec<&Yaml> = match value {
        Yaml::Sequence(items) if items.is_empty() => {
            return Err("an empty list of values never matches".into());
        }
        Yaml::Sequence(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut patterns = Vec::new();
    let mut or_null = false;
    for v in values {
        if v.is_null() {
            or_null = true;
            continue;
        }
        patterns.push(compile_value(v, &modifiers)?);
    }
    if or_null && modifiers.all {
        return Err("`null` cannot be one of the values of an `all` list".into());
    }
    Ok(FieldMatcher {
        path,
        test: FieldTest::Values {
            patterns,
            all: modifiers.all,
            or_null,
        },
    })
}

fn compile_value(value: &Yaml, m: &Modifiers) -> Result<Pattern, String> {
    let text = scalar_text(value).ok_or_else(|| {
        format!(
            "values must be text, numbers, booleans or null, found {}",
            describe(value)
        )
    })?;
    if m.regex {
        let (i, multi, dot) = m.regex_flags;
        let re = RegexBuilder::new(&text)
            .case_insensitive(i)
            .multi_line(multi)
            .dot_matches_new_line(dot)
            .build()
            .map_err(|e| format!("invalid regular expression `{text}`: {e}"))?;
        return Ok(Pattern::regex(re));
    }
    if let Some(op) = m.compare {
        let bound = match value {
            Yaml::Number(n) => n.as_f64(),
            _ => text.trim().parse().ok(),
        }
        .ok_or_else(|| format!("`{text}` is not a number"))?;
        return Ok(Pattern::compare(op, bound));
    }
    if m.cidr {
        return Pattern::cidr(&text);
    }
    Ok(Pattern::text(
        &text,
        m.anchor.unwrap_or(Anchor::Whole),
        m.cased,
    ))
}

/// Text of a scalar: Sigma compares numbers and booleans by their text.
fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A short description of a YAML value for error messages.
pub(super) fn describe(value: &Yaml) -> String {
    match value {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        Yaml::String(s) => format!("\"{s}\""),
        Yaml::Sequence(_) => "a list".into(),
        Yaml::Mapping(_) => "a map".into(),
        Yaml::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}
