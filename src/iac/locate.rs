//! From a resource in the account to the template that made it: by the name the template
//! gives it (`TableName: orders`), or its logical ID. And the fix as a patch against that
//! template, ready to commit.

use super::rules::{Rule, RuleBook};
use super::template::{self, Resource, Template, TemplateError};
use crate::model::{CloudTrailEvent, Finding, StackResource};
use std::path::{Path, PathBuf};

/// The templates of the team's infrastructure repositories, with their text.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    templates: Vec<(Template, String)>,
    /// Each template's blame (by template index), read once, after the templates: the
    /// console opens without waiting for a large repository's history.
    blames: std::sync::OnceLock<Vec<Blame>>,
    /// Where paths are shown from: a template's path relative to its repository.
    roots: Vec<PathBuf>,
    /// The rules a finding's Config rule is matched to, for its fix.
    rules: RuleBook,
    /// Stack name → its template's path in a repository (`[iac] stacks`), for stacks not
    /// named as their template.
    stacks: std::collections::BTreeMap<String, PathBuf>,
}

impl Default for Code {
    /// No templates, so no history to wait for.
    fn default() -> Self {
        Code {
            templates: Vec::new(),
            blames: std::sync::OnceLock::from(Vec::new()),
            roots: Vec::new(),
            rules: RuleBook::default(),
            stacks: Default::default(),
        }
    }
}

/// Who committed each run of a template's lines.
type Blame = Vec<(std::ops::Range<usize>, super::history::Author)>;

/// A resource found in the code.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    /// Which of the code's templates.
    pub index: usize,
    pub template: &'a Template,
    pub text: &'a str,
    pub resource: &'a Resource,
}

impl Code {
    /// Every template under `repos` with its history, findings matched to `rules`; what
    /// cannot be read is returned beside.
    pub fn load(repos: &[PathBuf], rules: RuleBook) -> (Code, Vec<TemplateError>) {
        let (code, mut problems) = Code::load_templates(repos, rules);
        problems.extend(code.read_history());
        (code, problems)
    }

    /// The templates under `repos`, their history still to read ([`Code::read_history`]).
    pub fn load_templates(repos: &[PathBuf], rules: RuleBook) -> (Code, Vec<TemplateError>) {
        let mut code = Code {
            roots: repos.to_vec(),
            rules,
            // Set by `read_history`, which the caller runs when it suits it.
            blames: std::sync::OnceLock::new(),
            ..Code::default()
        };
        let mut problems = Vec::new();
        for f in super::template_files(repos) {
            match std::fs::read_to_string(&f) {
                Ok(text) => match template::parse(&f, &text) {
                    Ok(Some(t)) => code.templates.push((t, text)),
                    Ok(None) => {}
                    Err(e) => problems.push(e),
                },
                Err(e) => problems.push(TemplateError {
                    path: f.display().to_string(),
                    line: 0,
                    reason: e.to_string(),
                }),
            }
        }
        (code, problems)
    }

    /// Reads who wrote each template's lines, once; what cannot be read leaves that
    /// template's authors unknown and is returned.
    pub fn read_history(&self) -> Vec<TemplateError> {
        let mut problems = Vec::new();
        let blames = self
            .templates
            .iter()
            .map(|(t, _)| {
                // A history that trips the git library up costs its authors, not the
                // console: whoever waits for the history is never left waiting.
                let read = std::panic::catch_unwind(|| super::history::blame(&t.path))
                    .unwrap_or_else(|_| Err("the git library failed on it".into()));
                read.unwrap_or_else(|e| {
                    problems.push(TemplateError {
                        path: t.path.display().to_string(),
                        line: 0,
                        reason: format!("its history could not be read: {e}"),
                    });
                    Vec::new()
                })
            })
            .collect();
        let _ = self.blames.set(blames);
        problems
    }

    /// Waits until the history is read (by another thread), so what is said names authors.
    pub fn wait_for_history(&self) {
        self.blames.wait();
    }

    /// Templates given as text (the demo carries its own).
    pub fn from_texts(files: &[(&str, &str)]) -> Code {
        let templates: Vec<(Template, String)> = files
            .iter()
            .filter_map(|(path, text)| {
                let t = template::parse(Path::new(path), text).ok()??;
                Some((t, text.to_string()))
            })
            .collect();
        Code {
            blames: std::sync::OnceLock::from(vec![Vec::new(); templates.len()]),
            templates,
            roots: Vec::new(),
            rules: RuleBook::default(),
            stacks: Default::default(),
        }
    }

    /// Which template each stack was deployed from, where its name does not say.
    pub fn with_stacks(mut self, stacks: std::collections::BTreeMap<String, PathBuf>) -> Code {
        self.stacks = stacks;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// The template resource of type `resource_type` named `name` (its `…Name` property, or
    /// its logical ID).
    pub fn find(&self, resource_type: &str, name: &str) -> Option<Located<'_>> {
        self.templates.iter().enumerate().find_map(|(i, t)| {
            located(i, t, |r| {
                r.resource_type == resource_type && names(r).any(|n| n == name)
            })
        })
    }

    /// The resource CloudFormation knows as `at.logical_id` of stack `at.stack`: in the
    /// template `[iac] stacks` maps the stack to, or the one named as the stack
    /// (`orders.yaml` for stack `orders`), or else the only template with that logical ID
    /// and type.
    pub fn find_in_stack(&self, resource_type: &str, at: &StackResource) -> Option<Located<'_>> {
        let holding = |(i, t)| {
            located(i, t, |r: &Resource| {
                r.resource_type == resource_type && r.logical_id == at.logical_id
            })
        };
        let all = || self.templates.iter().enumerate();
        let mapped = self.stacks.get(&at.stack);
        let of_stack = |t: &Template| match mapped {
            Some(p) => t.path.ends_with(p),
            None => t.path.file_stem().is_some_and(|s| s == at.stack.as_str()),
        };
        all()
            .filter(|(_, (t, _))| of_stack(t))
            .find_map(holding)
            .or_else(|| {
                let mut anywhere = all().filter_map(holding);
                let only = anywhere.next()?;
                anywhere.next().is_none().then_some(only)
            })
    }

    /// The resource a stack's tags or a name lead to, the stack first.
    pub fn locate(
        &self,
        resource_type: &str,
        name: &str,
        stack: Option<&StackResource>,
    ) -> Option<Located<'_>> {
        stack
            .and_then(|s| self.find_in_stack(resource_type, s))
            .or_else(|| self.find(resource_type, name))
    }

    /// A template's path as its repository knows it.
    pub fn shown_path(&self, path: &Path) -> String {
        self.roots
            .iter()
            .find_map(|r| path.strip_prefix(r).ok())
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// The first resource of template `index` that `wanted`.
fn located(
    index: usize,
    (template, text): &(Template, String),
    wanted: impl Fn(&Resource) -> bool,
) -> Option<Located<'_>> {
    let resource = template.resources.iter().find(|r| wanted(r))?;
    Some(Located {
        index,
        template,
        text,
        resource,
    })
}

/// What a resource is called: the string values of its `…Name` properties, and its
/// logical ID.
fn names(r: &Resource) -> impl Iterator<Item = &str> {
    let props = r.properties.as_object().into_iter().flatten();
    props
        .filter(|(k, _)| k.ends_with("Name"))
        .filter_map(|(_, v)| v.as_str())
        .chain(std::iter::once(r.logical_id.as_str()))
}

/// The rule's fix written into the resource's `Properties` (replacing a block of the same
/// key), as a unified diff; `None` for JSON templates and resources without `Properties`.
fn indent(l: &str) -> usize {
    l.len() - l.trim_start().len()
}

/// The lines (0-based, end excluded) a YAML resource takes: from its logical ID to the next
/// key at its level.
pub fn span(text: &str, line: usize) -> Option<std::ops::Range<usize>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = line.checked_sub(1)?;
    let own = indent(lines.get(start)?);
    let end = (start + 1..lines.len())
        .find(|&i| !lines[i].trim().is_empty() && indent(lines[i]) <= own)
        .unwrap_or(lines.len());
    Some(start..end)
}

pub fn patch(at: &Located<'_>, rule: &Rule, shown: &str) -> Option<String> {
    let lines: Vec<&str> = at.text.lines().collect();
    let std::ops::Range { start, end } = span(at.text, at.resource.line)?;
    let props = (start + 1..end).find(|&i| lines[i].trim_start() == "Properties:")?;
    let child = (props + 1..end)
        .find(|&i| !lines[i].trim().is_empty())
        .map_or(indent(lines[props]) + 2, |i| indent(lines[i]));
    let fix: Vec<String> = rule
        .fix
        .lines()
        .map(|l| format!("{}{l}", " ".repeat(child)))
        .collect();
    let key = rule
        .fix
        .lines()
        .next()?
        .split(':')
        .next()?
        .trim()
        .to_string();
    // An existing block of the same key is replaced, not doubled.
    let existing = (props + 1..end).find(|&i| {
        indent(lines[i]) == child && lines[i].trim_start().starts_with(&format!("{key}:"))
    });
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match existing {
        Some(i) => {
            let block_end = (i + 1..end)
                .find(|&j| !lines[j].trim().is_empty() && indent(lines[j]) <= child)
                .unwrap_or(end);
            out.splice(i..block_end, fix);
        }
        None => {
            out.splice(props + 1..props + 1, fix);
        }
    }
    let before = format!("{}\n", lines.join("\n"));
    let after = format!("{}\n", out.join("\n"));
    let diff = similar::TextDiff::from_lines(&before, &after);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{shown}"), &format!("b/{shown}"))
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: orders\n      BillingMode: PAY_PER_REQUEST\n  Sessions:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: sessions\n      SSESpecification:\n        SSEEnabled: false\n";

    #[test]
    fn a_resource_is_found_by_its_name_and_patched_in_place() {
        let code = Code::from_texts(&[("stacks/app.yaml", TEMPLATE)]);
        let rule = super::super::rules::find("dynamodb-table-encryption-enabled").unwrap();
        let orders = code.find("AWS::DynamoDB::Table", "orders").unwrap();
        assert_eq!(orders.resource.logical_id, "Orders");
        let diff = patch(&orders, rule, "stacks/app.yaml").unwrap();
        assert!(
            diff.starts_with("--- a/stacks/app.yaml\n+++ b/stacks/app.yaml\n"),
            "{diff}"
        );
        assert!(
            diff.contains("+      SSESpecification:\n+        SSEEnabled: true\n"),
            "{diff}"
        );
        // An existing block is replaced, not added twice.
        let sessions = code.find("AWS::DynamoDB::Table", "sessions").unwrap();
        let diff = patch(&sessions, rule, "stacks/app.yaml").unwrap();
        assert!(diff.contains("-        SSEEnabled: false\n"), "{diff}");
        assert!(diff.contains("+        SSEEnabled: true\n"), "{diff}");
        assert_eq!(diff.matches("SSESpecification:").count(), 1, "{diff}");
        assert!(
            code.find("AWS::S3::Bucket", "orders").is_none(),
            "the type must match"
        );
    }
}

/// Where a finding's resource is in the code, the template rule that checks it before
/// deploy, and the fix as a patch: what the finding's detail and its Slack message show.
#[derive(Debug, Clone, PartialEq)]
pub struct InCode {
    pub path: String,
    pub line: usize,
    pub logical_id: String,
    pub resource_type: String,
    pub rule: &'static str,
    pub cfn_nag: &'static [&'static str],
    pub patch: Option<String>,
    /// Who wrote and last changed the resource's lines, the most recent first.
    pub authors: Vec<super::history::Author>,
}

impl Code {
    /// A finding's resource in the code: by the stack CloudFormation says made it (the
    /// finding's own, or `tagged`, read from the tags of the call that created it), else
    /// by its name.
    pub fn finding(&self, f: &Finding, tagged: Option<&StackResource>) -> Option<InCode> {
        let stack = f.stack.as_ref().or(tagged);
        let at = self.locate(&f.resource_type, &f.resource_id, stack)?;
        Some(self.in_code(&at, self.rules.find(&f.rule)))
    }

    /// What a CloudTrail call was about, in the code: each resource its request names (a
    /// table, bucket, group, function, role, user, queue, topic, key, trail) that a
    /// template makes, once. Only what the event keeps in memory is read, so this is cheap
    /// enough for a screen.
    pub fn touched_by(&self, e: &CloudTrailEvent) -> Vec<InCode> {
        let request = e.params().and_then(|p| p.get("requestParameters"));
        let named = NAMED_BY
            .iter()
            .filter_map(|(key, ty)| Some((*ty, request?.get(*key)?.as_str()?.to_string())));
        let created = e.created().into_iter().flat_map(|name| {
            CREATES
                .iter()
                .filter(|(call, _)| *call == &*e.event_name)
                .map(move |(_, ty)| (*ty, name.to_string()))
        });
        let mut out: Vec<InCode> = Vec::new();
        for (ty, name) in named.chain(created) {
            if let Some(at) = self.find(ty, &name) {
                let c = self.in_code(&at, None);
                if !out
                    .iter()
                    .any(|o| o.path == c.path && o.logical_id == c.logical_id)
                {
                    out.push(c);
                }
            }
        }
        out
    }

    /// A resource found in the code, with `rule`'s fix as a patch when there is a rule.
    fn in_code(&self, at: &Located<'_>, rule: Option<&Rule>) -> InCode {
        let path = self.shown_path(&at.template.path);
        // What the history cannot tell (no repository, a file changed since the last
        // commit) leaves the authors unknown rather than the finding unshown.
        let blame = self.blames.get().and_then(|b| b.get(at.index));
        let authors = match (span(at.text, at.resource.line), blame) {
            (Some(lines), Some(blame)) => super::history::authors(blame, lines),
            _ => Vec::new(),
        };
        InCode {
            authors,
            line: at.resource.line,
            logical_id: at.resource.logical_id.clone(),
            resource_type: at.resource.resource_type.clone(),
            rule: rule.map_or("", |r| r.id),
            cfn_nag: rule.map_or(&[], |r| r.cfn_nag),
            patch: rule.and_then(|r| patch(at, r, &path)),
            path,
        }
    }
}

/// The request parameters that name a resource, and the type of what they name.
const NAMED_BY: &[(&str, &str)] = &[
    ("tableName", "AWS::DynamoDB::Table"),
    ("bucketName", "AWS::S3::Bucket"),
    ("groupId", "AWS::EC2::SecurityGroup"),
    ("groupName", "AWS::EC2::SecurityGroup"),
    ("functionName", "AWS::Lambda::Function"),
    ("roleName", "AWS::IAM::Role"),
    ("userName", "AWS::IAM::User"),
    ("queueUrl", "AWS::SQS::Queue"),
    ("topicArn", "AWS::SNS::Topic"),
    ("keyId", "AWS::KMS::Key"),
    ("trailName", "AWS::CloudTrail::Trail"),
    ("dBInstanceIdentifier", "AWS::RDS::DBInstance"),
];

/// The calls whose `created` name is a resource of a type (beside their parameters).
const CREATES: &[(&str, &str)] = &[
    ("CreateTable", "AWS::DynamoDB::Table"),
    ("CreateBucket", "AWS::S3::Bucket"),
    ("CreateSecurityGroup", "AWS::EC2::SecurityGroup"),
    ("CreateFunction20150331", "AWS::Lambda::Function"),
    ("CreateRole", "AWS::IAM::Role"),
    ("CreateUser", "AWS::IAM::User"),
];

#[cfg(test)]
mod finding_tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A DynamoDB encryption finding on table `name`.
    pub(crate) fn unencrypted(name: &str, stack: Option<(&str, &str)>) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule": "dynamodb-table-encryption-enabled",
            "rule_description": "", "resource_type": "AWS::DynamoDB::Table",
            "resource_id": name, "region": "us-east-1", "compliance": "NON_COMPLIANT",
            "stack": stack.map(|(s, l)| serde_json::json!({"stack": s, "logical_id": l})),
        }))
        .unwrap()
    }

    #[test]
    fn the_demo_infrastructure_holds_the_flagged_tables() {
        let code = Code::from_texts(crate::source::demo::scenario::INFRA);
        assert!(!code.is_empty());
        for t in ["orders", "customers", "sessions-v2"] {
            let c = code
                .finding(&unencrypted(t, None), None)
                .unwrap_or_else(|| panic!("{t}"));
            assert_eq!(c.rule, "DYNAMODB_TABLE_ENCRYPTION_ENABLED");
            assert!(c.patch.unwrap().contains("+      SSESpecification:"));
        }
    }

    #[test]
    fn a_call_leads_to_the_resources_it_touched_in_the_code() {
        let template = "Resources:\n  Web:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupName: web\n      GroupDescription: web\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: orders\n";
        let code = Code::from_texts(&[("stacks/web.yaml", template)]);
        let opened = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"AuthorizeSecurityGroupIngress","eventSource":"ec2.amazonaws.com","requestParameters":{"groupName":"web","ipPermissions":{}}}"#;
        let e = CloudTrailEvent::from_json(opened).unwrap();
        let touched = code.touched_by(&e);
        assert_eq!(touched.len(), 1, "{touched:?}");
        assert_eq!(
            (
                touched[0].path.as_str(),
                touched[0].line,
                touched[0].logical_id.as_str()
            ),
            ("stacks/web.yaml", 2, "Web")
        );
        assert_eq!(touched[0].patch, None, "no rule, no patch");
        // A group of the same name made elsewhere is another type's name: not this table.
        let other = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"AuthorizeSecurityGroupIngress","eventSource":"ec2.amazonaws.com","requestParameters":{"groupName":"orders"}}"#;
        assert!(
            code.touched_by(&CloudTrailEvent::from_json(other).unwrap())
                .is_empty()
        );
    }

    const TABLE: &str = "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n";

    #[test]
    fn a_stack_leads_to_its_template_where_the_name_cannot() {
        // Two templates, each a table called `Table` with no name: CloudFormation named
        // them (`orders-Table-1X2Y`), so only the stack says which is which.
        let code = Code::from_texts(&[
            ("stacks/orders.yaml", TABLE),
            ("stacks/billing.yaml", TABLE),
        ]);
        let physical = "orders-Table-1X2Y";
        assert_eq!(code.finding(&unencrypted(physical, None), None), None);
        let by_stack = code
            .finding(&unencrypted(physical, Some(("billing", "Table"))), None)
            .unwrap();
        assert_eq!(by_stack.path, "stacks/billing.yaml");
        // Tags read from the creating call serve as well; the finding's own stack wins.
        let tagged = StackResource {
            stack: "orders".into(),
            logical_id: "Table".into(),
        };
        let c = code
            .finding(&unencrypted(physical, None), Some(&tagged))
            .unwrap();
        assert_eq!(c.path, "stacks/orders.yaml");
        let c = code
            .finding(
                &unencrypted(physical, Some(("billing", "Table"))),
                Some(&tagged),
            )
            .unwrap();
        assert_eq!(c.path, "stacks/billing.yaml");
        // A stack named unlike its template: the configured map, or else the only template
        // holding that logical ID.
        let prod = StackResource {
            stack: "prod-orders".into(),
            logical_id: "Table".into(),
        };
        assert_eq!(
            code.finding(&unencrypted(physical, None), Some(&prod)),
            None,
            "two hold it"
        );
        let mapped = code.clone().with_stacks(BTreeMap::from([(
            "prod-orders".to_string(),
            PathBuf::from("stacks/orders.yaml"),
        )]));
        let c = mapped
            .finding(&unencrypted(physical, None), Some(&prod))
            .unwrap();
        assert_eq!(c.path, "stacks/orders.yaml");
        let one = Code::from_texts(&[("stacks/orders.yaml", TABLE)]);
        assert!(
            one.finding(&unencrypted(physical, None), Some(&prod))
                .is_some()
        );
    }
}
