//! CloudFormation templates as written: JSON or YAML (short tags such as `!Ref`, `!Sub` and
//! `!GetAtt` included, SAM's `Transform` left as it is), read into one JSON model with the
//! intrinsic functions in their long form, and the line each resource starts on.

use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// One resource of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub logical_id: String,
    pub resource_type: String,
    pub properties: Value,
    pub metadata: Value,
    /// 1-based, where its logical ID is written.
    pub line: usize,
}

/// A template read from `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub path: PathBuf,
    pub resources: Vec<Resource>,
    /// The whole template, intrinsic functions in their long form.
    pub body: Value,
}

/// Why a file is not a template, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {reason}")]
pub struct TemplateError {
    pub path: String,
    pub line: usize,
    pub reason: String,
}

/// Whether a file's name says it may be a template.
pub fn looks_like_template(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json" | "template" | "cfn")
    )
}

/// Reads a template from its text. A file that is JSON or YAML but has no `Resources` is
/// not a template: `Ok(None)`.
pub fn parse(path: &Path, text: &str) -> Result<Option<Template>, TemplateError> {
    let err = |line: usize, reason: String| TemplateError {
        path: path.display().to_string(),
        line,
        reason,
    };
    let trimmed = text.trim_start();
    let body = if trimmed.starts_with('{') {
        serde_json::from_str::<Value>(text).map_err(|e| err(e.line(), e.to_string()))?
    } else {
        let yaml: serde_norway::Value = serde_norway::from_str(text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            err(line, e.to_string())
        })?;
        long_form(yaml)
    };
    let Some(resources) = body.get("Resources").and_then(Value::as_object) else {
        return Ok(None);
    };
    let lines = resource_lines(text);
    let resources = resources
        .iter()
        .map(|(id, r)| Resource {
            logical_id: id.clone(),
            resource_type: r
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            properties: r.get("Properties").cloned().unwrap_or(Value::Null),
            metadata: r.get("Metadata").cloned().unwrap_or(Value::Null),
            line: lines
                .iter()
                .find(|(name, _)| name == id)
                .map_or(1, |(_, l)| *l),
        })
        .collect();
    Ok(Some(Template {
        path: path.to_path_buf(),
        resources,
        body,
    }))
}

/// YAML into the JSON model: `!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes
/// `{"Fn::GetAtt": ["A", "B"]}`, any other `!Name v` becomes `{"Fn::Name": v}`.
fn long_form(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(long_form).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    other => serde_norway::to_string(&other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                out.insert(key, long_form(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let name = t.tag.to_string();
            let name = name.trim_start_matches('!');
            let inner = long_form(t.value);
            match name {
                "Ref" | "Condition" => json!({ name: inner }),
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let (a, b) = s.split_once('.').unwrap_or((&s, ""));
                        json!({"Fn::GetAtt": [a, b]})
                    }
                    other => json!({"Fn::GetAtt": other}),
                },
                other => json!({ format!("Fn::{other}"): inner }),
            }
        }
    }
}

/// The line each resource's logical ID is written on: the keys one level under
/// `Resources`, in YAML by indentation, in JSON by the first `"ID":` after `"Resources"`.
fn resource_lines(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| {
        let t = l.trim_start();
        t.starts_with("Resources:") || t.starts_with("\"Resources\"")
    }) else {
        return out;
    };
    let json = lines[start].trim_start().starts_with('"');
    let mut indent: Option<usize> = None;
    let base = lines[start].len() - lines[start].trim_start().len();
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let here = line.len() - t.len();
        if !json && here <= base {
            break;
        }
        let key = if json {
            t.strip_prefix('"')
                .and_then(|r| r.split_once('"'))
                .filter(|(_, rest)| rest.trim_start().starts_with(':'))
                .map(|(k, _)| k)
        } else {
            t.split_once(':').map(|(k, _)| k.trim_matches(['"', '\'']))
        };
        let Some(key) = key else { continue };
        let level = *indent.get_or_insert(here);
        if here == level && !out.iter().any(|(k, _): &(String, usize)| k == key) {
            out.push((key.to_string(), i + 1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_form_and_lines_are_known() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  # the table\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${AWS::StackName}-orders'\n      KmsKey: !GetAtt Key.Arn\n      Role: !Ref Role\n  Role:\n    Type: AWS::IAM::Role\n";
        let t = parse(Path::new("t.yaml"), text).unwrap().unwrap();
        let orders = &t.resources[0];
        assert_eq!((orders.logical_id.as_str(), orders.line), ("Orders", 5));
        assert_eq!(
            orders.properties["TableName"],
            json!({"Fn::Sub": "${AWS::StackName}-orders"})
        );
        assert_eq!(
            orders.properties["KmsKey"],
            json!({"Fn::GetAtt": ["Key", "Arn"]})
        );
        assert_eq!(orders.properties["Role"], json!({"Ref": "Role"}));
        assert_eq!(t.resources[1].line, 11);
    }

    #[test]
    fn json_templates_and_errors_name_their_line() {
        let text =
            "{\n  \"Resources\": {\n    \"Bucket\": {\"Type\": \"AWS::S3::Bucket\"}\n  }\n}\n";
        let t = parse(Path::new("t.json"), text).unwrap().unwrap();
        assert_eq!(t.resources[0].line, 3);
        let bad = parse(
            Path::new("bad.yaml"),
            "Resources:\n  A:\n    Type: [unclosed\n",
        )
        .unwrap_err();
        assert!(bad.to_string().starts_with("bad.yaml:"), "{bad}");
        assert_eq!(parse(Path::new("x.yaml"), "a: 1\n").unwrap(), None);
    }
}
