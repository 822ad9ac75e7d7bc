//! SARIF 2.1.0, the format code hosts read to show a check's results on the lines they are
//! about.

use super::Report;
use super::rules::{Level, RuleBook};
use serde_json::{Value, json};

/// The report as one SARIF run; `book`'s rules are the tool's rules.
pub fn sarif(report: &Report, book: &RuleBook) -> Value {
    let rules: Vec<Value> = book
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.title},
                "help": {"text": format!("Fix:\n{}", r.fix)},
                "defaultConfiguration": {"level": level(r.level)},
                "properties": {
                    "configRule": r.config_rule,
                    "cfnNag": r.cfn_nag,
                    "aliases": r.also,
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .violations
        .iter()
        .map(|v| {
            json!({
                "ruleId": v.rule,
                "ruleIndex": book.iter().position(|r| r.id == v.rule).unwrap_or(0),
                "level": level(v.level),
                "message": {"text": format!("{} {}: {} — {}", v.resource_type, v.logical_id, v.title, v.reason)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": v.file.replace('\\', "/")},
                        "region": {"startLine": v.line.max(1)},
                    },
                    "logicalLocations": [{"name": v.logical_id, "kind": "resource"}],
                }],
            })
        })
        .collect();
    let notes: Vec<Value> = report
        .problems
        .iter()
        .map(|p| {
            json!({
                "level": "error",
                "message": {"text": p.reason},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": p.path.replace('\\', "/")},
                    "region": {"startLine": p.line.max(1)},
                }}],
                "descriptor": {"id": "template-unreadable"},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "warroom",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }],
        }],
    })
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Failure => "error",
        Level::Warning => "warning",
    }
}
