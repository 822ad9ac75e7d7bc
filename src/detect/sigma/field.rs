//! Dotted field names resolved inside a JSON event.
//!
//! `userIdentity.sessionContext.sessionIssuer.userName` walks nested objects. Where the walk meets
//! an array, every element is tried, so `responseElements.instancesSet.items.instanceType` sees
//! the type of each launched instance. A key that itself contains dots (`a.b` in `{"a.b": 1}`) is
//! preferred over the nested reading when present, so both spellings of a field work.

use serde_json::Value;

#[derive(Debug, Clone)]
pub(super) struct FieldPath {
    /// The field name as the rule wrote it.
    name: String,
    /// `keys[i]` lists the keys to try when `i` segments have been consumed, longest first, as
    /// (key, segments consumed after using it); built once so a lookup only probes maps.
    keys: Vec<Vec<(String, usize)>>,
}

impl FieldPath {
    pub(super) fn new(name: &str) -> FieldPath {
        let segments: Vec<&str> = name.split('.').collect();
        let n = segments.len();
        let keys = (0..n)
            .map(|i| {
                (i + 1..=n)
                    .rev()
                    .map(|j| (segments[i..j].join("."), j))
                    .collect()
            })
            .collect();
        FieldPath {
            name: name.to_owned(),
            keys,
        }
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Calls `f` on each value the path reaches (array values are expanded element by element)
    /// until `f` returns true; returns whether it did.
    pub(super) fn any<F: FnMut(&Value) -> bool>(&self, event: &Value, mut f: F) -> bool {
        self.walk(event, 0, &mut f)
    }

    /// Whether the path reaches any value other than JSON null.
    pub(super) fn present(&self, event: &Value) -> bool {
        self.any(event, |v| !v.is_null())
    }

    fn walk<F: FnMut(&Value) -> bool>(&self, value: &Value, depth: usize, f: &mut F) -> bool {
        let Some(candidates) = self.keys.get(depth) else {
            return leaves(value, f);
        };
        match value {
            Value::Object(map) => candidates
                .iter()
                .find_map(|(key, next)| map.get(key.as_str()).map(|child| (child, *next)))
                .is_some_and(|(child, next)| self.walk(child, next, f)),
            Value::Array(items) => items.iter().any(|item| self.walk(item, depth, f)),
            _ => false,
        }
    }
}

/// A field whose value is a list matches when any element does; nested lists are flattened.
fn leaves<F: FnMut(&Value) -> bool>(value: &Value, f: &mut F) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| leaves(item, f)),
        _ => f(value),
    }
}

/// Calls `f` on every string anywhere in the event until it returns true (keyword search).
pub(super) fn any_string<F: FnMut(&str) -> bool>(value: &Value, f: &mut F) -> bool {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().any(|item| any_string(item, f)),
        Value::Object(map) => map.values().any(|item| any_string(item, f)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
