//! One AWS API call as a response plans it, and the values calls hand to later ones.
//!
//! Some calls need what an earlier one answered: the quarantine group that a
//! `CreateSecurityGroup` made, or the access keys a `ListAccessKeys` found before
//! `DeleteUser`. A planned call names those values (`"$quarantine"`, or `"$keys[]"` for
//! one call per value) and says which of its answer's fields it provides to the calls after
//! it, so the plan a responder confirms shows every call, and the journal shows each one as
//! it is made with the values filled in.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Values bound by earlier calls of the same step, by name (without the `$`).
pub type Bindings = BTreeMap<String, Value>;

/// When a planned call is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Guard {
    /// Only once an earlier call bound this name (to something not empty).
    If(String),
    /// Only while nothing has bound this name.
    Unless(String),
}

/// One AWS API call exactly as it will be made: what `--dry-run` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiCall {
    /// `iam`, `config`, `ec2`, …
    pub service: String,
    /// The API operation name, e.g. `UpdateAccessKey`.
    pub operation: String,
    /// The region of a regional service; `None` for global ones (IAM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The account the call is made in, when the console watches more than one; `None`:
    /// the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub params: Value,
    /// Names this call's answer gives values to: name → path into the answer, `*` for
    /// every element of a list (`/AccessKeyMetadata/*/AccessKeyId`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub binds: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<Guard>,
    /// Error codes that mean the thing is not there: nothing to do rather than a failure
    /// (a user without a login profile, an instance already terminated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent_on: Vec<String>,
}

impl ApiCall {
    pub fn new(service: &str, operation: &str, region: Option<&str>, params: Value) -> Self {
        ApiCall {
            service: service.into(),
            operation: operation.into(),
            region: region.map(str::to_string),
            account: None,
            params,
            binds: BTreeMap::new(),
            only: None,
            absent_on: Vec::new(),
        }
    }

    /// `name` takes the value at `path` of this call's answer.
    pub fn bind(mut self, name: &str, path: &str) -> Self {
        self.binds.insert(name.into(), path.into());
        self
    }

    pub fn only_if(mut self, name: &str) -> Self {
        self.only = Some(Guard::If(name.into()));
        self
    }

    pub fn unless(mut self, name: &str) -> Self {
        self.only = Some(Guard::Unless(name.into()));
        self
    }

    pub fn absent_on(mut self, codes: &[&str]) -> Self {
        self.absent_on = codes.iter().map(|c| c.to_string()).collect();
        self
    }

    /// `service:Operation`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }

    /// The calls this planned call becomes with `bound`: none when its guard says so or a
    /// `$name[]` list is empty, one per element of such a list, otherwise one. An error
    /// names a value it needs that no earlier call provided.
    pub fn instantiate(&self, bound: &Bindings) -> Result<Vec<ApiCall>, String> {
        let set = |name: &str| bound.get(name).is_some_and(|v| !is_empty(v));
        match &self.only {
            Some(Guard::If(name)) if !set(name) => return Ok(Vec::new()),
            Some(Guard::Unless(name)) if set(name) => return Ok(Vec::new()),
            _ => {}
        }
        let each = each_name(&self.params);
        let values: Vec<Option<Value>> = match &each {
            None => vec![None],
            Some(name) => match bound.get(name) {
                Some(Value::Array(items)) => items.iter().cloned().map(Some).collect(),
                Some(Value::Null) | None => Vec::new(),
                Some(one) => vec![Some(one.clone())],
            },
        };
        values
            .into_iter()
            .map(|item| {
                let params = substitute(&self.params, bound, item.as_ref())?;
                Ok(ApiCall {
                    params,
                    only: None,
                    ..self.clone()
                })
            })
            .collect()
    }

    /// Adds to `bound` what this call's `answer` provides; a field the answer lacks leaves
    /// its name unbound.
    pub fn bind_answer(&self, answer: &Value, bound: &mut Bindings) {
        for (name, path) in &self.binds {
            match select(answer, path) {
                Some(v) => bound.insert(name.clone(), v),
                None => bound.remove(name),
            };
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The `name` of the first `"$name[]"` in the parameters: the call is made once per value.
fn each_name(params: &Value) -> Option<String> {
    match params {
        Value::String(s) => s
            .strip_prefix('$')
            .and_then(|n| n.strip_suffix("[]"))
            .map(str::to_string),
        Value::Array(items) => items.iter().find_map(each_name),
        Value::Object(map) => map.values().find_map(each_name),
        _ => None,
    }
}

fn substitute(params: &Value, bound: &Bindings, item: Option<&Value>) -> Result<Value, String> {
    Ok(match params {
        Value::String(s) => match s.strip_prefix('$') {
            Some(n) if n.ends_with("[]") => item.cloned().unwrap_or(Value::Null),
            Some(n) => bound
                .get(n)
                .cloned()
                .ok_or_else(|| format!("needs ${n}, which no earlier call provided"))?,
            None => params.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, bound, item))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, bound, item)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// The strings of a JSON list (`InstanceIds`, `Groups`, …); anything else is no strings.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// The value at `path` (`/A/*/B`): a list where the path has a `*`; `None` when absent.
pub fn select(answer: &Value, path: &str) -> Option<Value> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    fn walk(v: &Value, segs: &[&str], out: &mut Vec<Value>) {
        match segs.split_first() {
            None => {
                if !v.is_null() {
                    out.push(v.clone())
                }
            }
            Some((&"*", rest)) => {
                for item in v.as_array().into_iter().flatten() {
                    walk(item, rest, out);
                }
            }
            Some((seg, rest)) => {
                let next = match v {
                    Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                    Value::Object(m) => m.get(*seg),
                    _ => None,
                };
                if let Some(n) = next {
                    walk(n, rest, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(answer, &segments, &mut out);
    if segments.contains(&"*") {
        Some(Value::Array(out))
    } else {
        out.pop()
    }
}

impl fmt::Display for ApiCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.operation)?;
        if let Some(r) = &self.region {
            write!(f, " ({r})")?;
        }
        write!(f, " {}", self.params)?;
        match &self.only {
            Some(Guard::If(n)) => write!(f, " if ${n}")?,
            Some(Guard::Unless(n)) => write!(f, " unless ${n}")?,
            None => {}
        }
        for name in self.binds.keys() {
            write!(f, " → ${name}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_answer_becomes_one_call_per_value() {
        let list = ApiCall::new("iam", "ListAccessKeys", None, json!({"UserName": "u"}))
            .bind("keys", "/AccessKeyMetadata/*/AccessKeyId");
        let delete = ApiCall::new(
            "iam",
            "DeleteAccessKey",
            None,
            json!({"UserName": "u", "AccessKeyId": "$keys[]"}),
        );
        let mut bound = Bindings::new();
        list.bind_answer(
            &json!({"AccessKeyMetadata": [{"AccessKeyId": "A1"}, {"AccessKeyId": "A2"}]}),
            &mut bound,
        );
        let calls = delete.instantiate(&bound).unwrap();
        let ids: Vec<_> = calls
            .iter()
            .map(|c| c.params["AccessKeyId"].clone())
            .collect();
        assert_eq!(ids, [json!("A1"), json!("A2")]);
        // No keys: no calls, not a failure.
        list.bind_answer(&json!({"AccessKeyMetadata": []}), &mut bound);
        assert!(delete.instantiate(&bound).unwrap().is_empty());
    }

    #[test]
    fn guards_and_missing_values() {
        let create = ApiCall::new(
            "ec2",
            "CreateSecurityGroup",
            Some("r"),
            json!({"VpcId": "$vpc"}),
        )
        .unless("group");
        let mut bound = Bindings::new();
        assert_eq!(
            create.instantiate(&bound).unwrap_err(),
            "needs $vpc, which no earlier call provided"
        );
        bound.insert("vpc".into(), json!("vpc-1"));
        assert_eq!(
            create.instantiate(&bound).unwrap()[0].params["VpcId"],
            "vpc-1"
        );
        bound.insert("group".into(), json!("sg-1"));
        assert!(create.instantiate(&bound).unwrap().is_empty());
        assert_eq!(
            select(&json!({"R": [{"I": [{"V": "x"}]}]}), "/R/0/I/0/V"),
            Some(json!("x"))
        );
        assert_eq!(select(&json!({}), "/R/0/V"), None);
    }

    #[test]
    fn old_journals_without_the_new_fields_still_read() {
        let c: ApiCall = serde_json::from_value(
            json!({"service": "iam", "operation": "UpdateAccessKey", "params": {}}),
        )
        .unwrap();
        assert!(c.binds.is_empty() && c.only.is_none() && c.absent_on.is_empty());
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"service": "iam", "operation": "UpdateAccessKey", "params": {}})
        );
    }
}
