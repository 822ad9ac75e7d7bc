//! A team's own template rules, written as data: YAML files in a directory (`--rules DIR`,
//! `[iac] rules`), judged by the same engine, suppressed, reported and patched like
//! warroom's own.
//!
//! ```yaml
//! rules:
//!   - id: TEAM_DYNAMODB_PITR
//!     title: DynamoDB tables can be restored to a point in time
//!     level: warning                     # or failure (the default)
//!     types: [AWS::DynamoDB::Table]
//!     config_rule: dynamodb-pitr-enabled # the AWS Config rule whose findings it answers
//!     when:                              # which resources it is about (default: all)
//!       - { path: BillingMode, equals: PAY_PER_REQUEST }
//!     require:
//!       - { path: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, equals: true }
//!     fix: |
//!       PointInTimeRecoverySpecification:
//!         PointInTimeRecoveryEnabled: true
//! ```
//!
//! A path is dotted property names; `*` stands for every item of a list (or value of a
//! map). Each test has one of `equals`, `not_equals`, `one_of`, `none_of`, `matches`,
//! `not_matches` (regular expressions) or `exists: true|false`. Values compare as
//! CloudFormation reads them: `true` and `"true"`, `5` and `"5"` are the same.

use super::rules::{Check, Level, Rule, always};
use super::template::TemplateError;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A data rule's conditions: which resources it is about, and what they must hold.
#[derive(Debug)]
pub struct Tests {
    when: Vec<Test>,
    require: Vec<Test>,
}

impl Tests {
    pub fn is_about(&self, props: &Value) -> bool {
        self.when.iter().all(|t| t.fails(props).is_none())
    }

    /// The first requirement the resource breaks, in words.
    pub fn judge(&self, props: &Value) -> Option<String> {
        self.require.iter().find_map(|t| t.fails(props))
    }
}

#[derive(Debug)]
struct Test {
    path: String,
    op: Op,
}

#[derive(Debug)]
enum Op {
    Equals(Value),
    NotEquals(Value),
    OneOf(Vec<Value>),
    NoneOf(Vec<Value>),
    Matches(regex::Regex),
    NotMatches(regex::Regex),
    Exists(bool),
}

// A scalar as CloudFormation reads it (`true`, `"true"` and `True` are one value, below).
use crate::model::scalar_text as scalar;

fn same(a: &Value, b: &Value) -> bool {
    match (scalar(a), scalar(b)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y) && (x == y || is_bool(&x)),
        _ => a == b,
    }
}

fn is_bool(s: &str) -> bool {
    s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
}

/// The values at `path`, `*` fanning out over lists and maps.
fn values<'a>(v: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut at = vec![v];
    for key in path.split('.') {
        at = at
            .into_iter()
            .flat_map(|v| -> Vec<&Value> {
                match (key, v) {
                    ("*", Value::Array(a)) => a.iter().collect(),
                    ("*", Value::Object(m)) => m.values().collect(),
                    (k, Value::Object(m)) => m.get(k).into_iter().collect(),
                    _ => Vec::new(),
                }
            })
            .filter(|v| !v.is_null())
            .collect();
    }
    at
}

fn shown(v: &Value) -> String {
    scalar(v).unwrap_or_else(|| v.to_string())
}

impl Test {
    /// Why `props` fails this test, if it does. A value a test asks for must be there; a
    /// value it forbids may be missing.
    fn fails(&self, props: &Value) -> Option<String> {
        let found = values(props, &self.path);
        let path = &self.path;
        let missing = || format!("{path} is not set");
        let each = |ok: &dyn Fn(&Value) -> bool, what: &str| -> Option<String> {
            if found.is_empty() {
                return Some(missing());
            }
            found
                .iter()
                .find(|v| !ok(v))
                .map(|v| format!("{path} is {}, not {what}", shown(v)))
        };
        let none = |bad: &dyn Fn(&Value) -> bool| -> Option<String> {
            found
                .iter()
                .find(|v| bad(v))
                .map(|v| format!("{path} is {}", shown(v)))
        };
        match &self.op {
            Op::Equals(want) => each(&|v| same(v, want), &shown(want)),
            Op::OneOf(want) => each(
                &|v| want.iter().any(|w| same(v, w)),
                &format!(
                    "one of {}",
                    want.iter().map(shown).collect::<Vec<_>>().join(", ")
                ),
            ),
            Op::Matches(re) => each(
                &|v| scalar(v).is_some_and(|s| re.is_match(&s)),
                &format!("matching {}", re.as_str()),
            ),
            Op::NotEquals(bad) => none(&|v| same(v, bad)),
            Op::NoneOf(bad) => none(&|v| bad.iter().any(|b| same(v, b))),
            Op::NotMatches(re) => none(&|v| scalar(v).is_some_and(|s| re.is_match(&s))),
            Op::Exists(true) => found.is_empty().then(missing),
            Op::Exists(false) => (!found.is_empty()).then(|| format!("{path} is set")),
        }
    }
}

/// A rules file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rules: Vec<Written>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    id: String,
    title: String,
    #[serde(default)]
    level: Option<Level>,
    types: Vec<String>,
    #[serde(default)]
    config_rule: Option<String>,
    #[serde(default)]
    cfn_nag: Vec<String>,
    #[serde(default)]
    when: Vec<WrittenTest>,
    require: Vec<WrittenTest>,
    #[serde(default)]
    fix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenTest {
    path: String,
    equals: Option<Value>,
    not_equals: Option<Value>,
    one_of: Option<Vec<Value>>,
    none_of: Option<Vec<Value>>,
    matches: Option<String>,
    not_matches: Option<String>,
    exists: Option<bool>,
}

impl WrittenTest {
    fn compile(self) -> Result<Test, String> {
        let regex = |r: &str| regex::Regex::new(r).map_err(|e| format!("{}: {e}", self.path));
        let mut ops = Vec::new();
        if let Some(v) = self.equals.clone() {
            ops.push(Op::Equals(v));
        }
        if let Some(v) = self.not_equals.clone() {
            ops.push(Op::NotEquals(v));
        }
        if let Some(v) = self.one_of.clone() {
            ops.push(Op::OneOf(v));
        }
        if let Some(v) = self.none_of.clone() {
            ops.push(Op::NoneOf(v));
        }
        if let Some(r) = &self.matches {
            ops.push(Op::Matches(regex(r)?));
        }
        if let Some(r) = &self.not_matches {
            ops.push(Op::NotMatches(regex(r)?));
        }
        if let Some(e) = self.exists {
            ops.push(Op::Exists(e));
        }
        if self.path.trim().is_empty() || self.path.split('.').any(str::is_empty) {
            return Err(format!("the path {:?} has an empty step", self.path));
        }
        match (ops.pop(), ops.is_empty()) {
            (Some(op), true) => Ok(Test {
                path: self.path,
                op,
            }),
            (None, _) => Err(format!(
                "{}: a test needs one of equals, not_equals, one_of, none_of, matches, not_matches, exists",
                self.path
            )),
            (Some(_), false) => Err(format!("{}: one test, one comparison", self.path)),
        }
    }
}

/// A rule lives as long as the process: violations borrow their rule's names, whether the
/// rule is warroom's (static) or a team's (read once, at start).
fn keep(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Written {
    fn compile(self) -> Result<Rule, String> {
        let id = self.id.trim().to_string();
        let named = |e: String| format!("rule {id}: {e}");
        if id.is_empty() {
            return Err("a rule has an empty id".into());
        }
        if self.types.is_empty() {
            return Err(named("`types` names no resource type".into()));
        }
        if self.require.is_empty() {
            return Err(named("`require` has no test".into()));
        }
        let compile = |tests: Vec<WrittenTest>| {
            tests
                .into_iter()
                .map(WrittenTest::compile)
                .collect::<Result<Vec<_>, _>>()
        };
        let tests = Tests {
            when: compile(self.when).map_err(named)?,
            require: compile(self.require).map_err(named)?,
        };
        let fix = if self.fix.ends_with('\n') || self.fix.is_empty() {
            self.fix
        } else {
            format!("{}\n", self.fix)
        };
        Ok(Rule {
            id: keep(id),
            config_rule: self.config_rule.map(keep),
            cfn_nag: Box::leak(self.cfn_nag.into_iter().map(keep).collect()),
            also: &[],
            level: self.level.unwrap_or(Level::Failure),
            types: Box::leak(self.types.into_iter().map(keep).collect()),
            applies: always,
            title: keep(self.title),
            check: Check::Data(tests),
            fix: keep(fix),
        })
    }
}

/// The rules of one file; what is wrong is named with the file and, where YAML says, line.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Rule>, TemplateError> {
    let error = |line: usize, reason: String| TemplateError {
        path: path.display().to_string(),
        line,
        reason,
    };
    let file: File = serde_norway::from_str(text).map_err(|e| {
        error(
            e.location().map_or(0, |l| l.line()),
            e.to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    })?;
    file.rules
        .into_iter()
        .map(|w| w.compile().map_err(|e| error(0, e)))
        .collect()
}

/// Every rules file (`.yaml`, `.yml`) in `dirs` (a file may be named directly), in order.
pub fn load(dirs: &[PathBuf]) -> (Vec<Rule>, Vec<TemplateError>) {
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for d in dirs {
        if !d.exists() {
            problems.push(TemplateError {
                path: d.display().to_string(),
                line: 0,
                reason: "no such file or directory".into(),
            });
            continue;
        }
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(d)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect();
        files.sort();
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => match parse(&f, &text) {
                    Ok(r) => rules.extend(r),
                    Err(e) => problems.push(e),
                },
                Err(e) => problems.push(TemplateError {
                    path: f.display().to_string(),
                    line: 0,
                    reason: e.to_string(),
                }),
            }
        }
    }
    (rules, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PITR: &str = "rules:\n  - id: TEAM_DYNAMODB_PITR\n    title: Tables can be restored\n    level: warning\n    types: [AWS::DynamoDB::Table]\n    config_rule: dynamodb-pitr-enabled\n    when:\n      - { path: BillingMode, equals: PAY_PER_REQUEST }\n    require:\n      - { path: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, equals: true }\n    fix: |\n      PointInTimeRecoverySpecification:\n        PointInTimeRecoveryEnabled: true\n";

    #[test]
    fn a_data_rule_judges_only_what_it_is_about() {
        let rules = parse(Path::new("team.yaml"), PITR).unwrap();
        let r = &rules[0];
        assert_eq!(r.level, Level::Warning);
        assert!(r.answers_to("dynamodb-pitr-enabled"));
        let on_demand = json!({"BillingMode": "PAY_PER_REQUEST"});
        assert!(r.is_about(&on_demand));
        assert!(!r.is_about(&json!({"BillingMode": "PROVISIONED"})));
        assert_eq!(
            r.judge(&on_demand).unwrap(),
            "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not set"
        );
        let string_true = json!({"BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": "true"}});
        assert_eq!(r.judge(&string_true), None, "\"true\" is true");
        let off =
            json!({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": false}});
        assert_eq!(
            r.judge(&off).unwrap(),
            "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is false, not true"
        );
    }

    #[test]
    fn every_item_of_a_list_is_held_to_a_test() {
        let text = "rules:\n  - id: NO_STAR\n    title: t\n    types: [AWS::IAM::Policy]\n    require:\n      - { path: PolicyDocument.Statement.*.Action, none_of: ['*', 'iam:*'] }\n      - { path: PolicyName, matches: '^team-' }\n";
        let r = &parse(Path::new("t.yaml"), text).unwrap()[0];
        let policy = |action: &str, name: &str| {
            json!({"PolicyName": name, "PolicyDocument": {"Statement": [
                {"Action": "s3:GetObject"}, {"Action": action}]}})
        };
        assert_eq!(r.judge(&policy("s3:PutObject", "team-a")), None);
        assert_eq!(
            r.judge(&policy("iam:*", "team-a")).unwrap(),
            "PolicyDocument.Statement.*.Action is iam:*"
        );
        assert_eq!(
            r.judge(&policy("s3:PutObject", "other")).unwrap(),
            "PolicyName is other, not matching ^team-"
        );
    }

    #[test]
    fn a_bad_rules_file_names_the_file_the_line_and_the_rule() {
        let bad_yaml = parse(Path::new("r/bad.yaml"), "rules:\n  - id: X\n   title: [\n");
        let e = bad_yaml.err().unwrap();
        assert_eq!(e.path, "r/bad.yaml");
        assert!(e.line >= 2, "{e}");
        let two_ops = "rules:\n  - id: TWO\n    title: t\n    types: [AWS::S3::Bucket]\n    require:\n      - { path: A, equals: 1, exists: true }\n";
        let e = parse(Path::new("r.yaml"), two_ops).err().unwrap();
        assert!(
            e.to_string()
                .contains("rule TWO: A: one test, one comparison"),
            "{e}"
        );
        let unknown = "rules:\n  - id: U\n    title: t\n    types: [AWS::S3::Bucket]\n    require:\n      - { path: A, equal: 1 }\n";
        let e = parse(Path::new("r.yaml"), unknown).err().unwrap();
        assert!(e.to_string().contains("unknown field `equal`"), "{e}");
        assert_eq!(e.line, 6, "{e}");
        let bad_regex = "rules:\n  - id: R\n    title: t\n    types: [AWS::S3::Bucket]\n    require:\n      - { path: A, matches: '(' }\n";
        let e = parse(Path::new("r.yaml"), bad_regex).err().unwrap();
        assert!(
            e.to_string().contains("rule R: A: regex parse error"),
            "{e}"
        );
    }
}
