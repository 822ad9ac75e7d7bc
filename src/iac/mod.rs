//! Infrastructure as code: CloudFormation templates checked before they are deployed, by
//! rules named as AWS Config names the same checks after deployment.

pub mod custom;
pub mod history;
pub mod locate;
pub mod rules;
pub mod sarif;
pub mod template;

use rules::{Level, Rule, RuleBook};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;
use template::{Template, TemplateError};

/// One resource that breaks one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub rule: &'static str,
    pub config_rule: Option<&'static str>,
    pub cfn_nag: &'static [&'static str],
    pub level: Level,
    pub title: &'static str,
    pub file: String,
    pub line: usize,
    pub logical_id: String,
    pub resource_type: String,
    pub reason: String,
    /// The fix, as the template's YAML.
    pub fix: &'static str,
}

/// Which rules run: all but the skipped, or only the named.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    fn runs(&self, r: &Rule) -> bool {
        (self.only.is_empty() || self.only.iter().any(|n| r.answers_to(n)))
            && !self.skip.iter().any(|n| r.answers_to(n))
    }

    /// Names no rule in `book` answers to, for a clear error.
    pub fn unknown(&self, book: &RuleBook) -> Vec<&str> {
        self.only
            .iter()
            .chain(&self.skip)
            .filter(|n| book.find(n).is_none())
            .map(String::as_str)
            .collect()
    }
}

/// Whether the resource's metadata suppresses `rule`: cfn_nag's
/// `cfn_nag.rules_to_suppress: [{id, reason}]` (also spelt `cfn-nag`), the same under
/// `warroom`, or Guard's `guard.SuppressedRules`, whose items are names or `{NAME: reason}`.
pub fn suppressed(metadata: &Value, rule: &Rule) -> bool {
    let listed = |key: &str| {
        metadata
            .pointer(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|s| match s {
                Value::String(name) => rule.answers_to(name),
                Value::Object(m) => match m.get("id").and_then(Value::as_str) {
                    Some(id) => rule.answers_to(id),
                    None => m.keys().any(|k| rule.answers_to(k)),
                },
                _ => false,
            })
    };
    [
        "/cfn_nag/rules_to_suppress",
        "/cfn-nag/rules_to_suppress",
        "/warroom/rules_to_suppress",
        "/guard/SuppressedRules",
    ]
    .iter()
    .any(|k| listed(k))
}

/// How one rule judged one template, as Guard's tests put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No resource it applies to (or all of them suppressed).
    Skip,
    Pass,
    Fail,
}

/// One rule over one template.
pub fn judge(rule: &Rule, t: &Template) -> (Outcome, Vec<Violation>) {
    let mut applied = false;
    let mut found = Vec::new();
    for r in t
        .resources
        .iter()
        .filter(|r| rule.types.contains(&r.resource_type.as_str()) && rule.is_about(&r.properties))
    {
        if suppressed(&r.metadata, rule) {
            continue;
        }
        applied = true;
        if let Some(reason) = rule.judge(&r.properties) {
            found.push(Violation {
                rule: rule.id,
                config_rule: rule.config_rule,
                cfn_nag: rule.cfn_nag,
                level: rule.level,
                title: rule.title,
                file: t.path.display().to_string(),
                line: r.line,
                logical_id: r.logical_id.clone(),
                resource_type: r.resource_type.clone(),
                reason,
                fix: rule.fix,
            });
        }
    }
    let outcome = match (applied, found.is_empty()) {
        (false, _) => Outcome::Skip,
        (true, true) => Outcome::Pass,
        (true, false) => Outcome::Fail,
    };
    (outcome, found)
}

/// What a check found: violations, and the files that could not be read.
#[derive(Debug, Default)]
pub struct Report {
    pub templates: usize,
    pub violations: Vec<Violation>,
    pub problems: Vec<TemplateError>,
}

impl Report {
    /// The worst level found.
    pub fn worst(&self) -> Option<Level> {
        self.violations.iter().map(|v| v.level).max()
    }
}

/// Every template under `paths` (files as given, directories walked for `.yaml`, `.yml`,
/// `.json`, `.template`), judged by the rules of `book` that `selection` picks. A file that
/// cannot be read or parsed is reported with its line and reason; the others are still
/// checked.
pub fn check(paths: &[PathBuf], book: &RuleBook, selection: &Selection) -> Report {
    let mut report = Report::default();
    for f in template_files(paths) {
        match std::fs::read_to_string(&f) {
            Err(e) => report.problems.push(TemplateError {
                path: f.display().to_string(),
                line: 0,
                reason: e.to_string(),
            }),
            Ok(text) => match template::parse(&f, &text) {
                Err(e) => report.problems.push(e),
                Ok(None) => {}
                Ok(Some(t)) => {
                    report.templates += 1;
                    for rule in book.iter().filter(|r| selection.runs(r)) {
                        report.violations.extend(judge(rule, &t).1);
                    }
                }
            },
        }
    }
    report
}

/// The files under `paths` that may be templates: files as given, directories walked for
/// `.yaml`, `.yml`, `.json`, `.template` (`.git` left out), in order.
pub fn template_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && template::looks_like_template(e.path()))
                .filter(|e| !e.path().components().any(|c| c.as_os_str() == ".git"))
                .map(|e| e.into_path())
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    files
}

/// One line per violation, for a terminal.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    for v in &report.violations {
        let nag = if v.cfn_nag.is_empty() {
            String::new()
        } else {
            format!(" (cfn_nag {})", v.cfn_nag.join(", "))
        };
        out.push_str(&format!(
            "{}:{}: {} {}{nag}: {} {} — {}\n",
            v.file,
            v.line,
            match v.level {
                Level::Failure => "FAILURE",
                Level::Warning => "WARNING",
            },
            v.rule,
            v.resource_type,
            v.logical_id,
            v.reason
        ));
        for l in v.fix.lines() {
            out.push_str(&format!("    {l}\n"));
        }
    }
    out.push_str(&format!(
        "{} template{} checked, {} violation{}\n",
        report.templates,
        if report.templates == 1 { "" } else { "s" },
        report.violations.len(),
        if report.violations.len() == 1 {
            ""
        } else {
            "s"
        }
    ));
    out
}

#[cfg(test)]
mod tests;
