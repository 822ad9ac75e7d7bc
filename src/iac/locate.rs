//! From a resource in the account to the template that made it: by the name the template
//! gives it (`TableName: orders`), or its logical ID. And the fix as a patch against that
//! template, ready to commit.

use super::rules::{Rule, RuleBook};
use super::template::{self, Resource, Template, TemplateError};
use std::path::{Path, PathBuf};

/// The templates of the team's infrastructure repositories, with their text.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Code {
    templates: Vec<(Template, String)>,
    /// Each template's blame, read once when the code is loaded (by template index).
    blames: Vec<Vec<(std::ops::Range<usize>, super::history::Author)>>,
    /// Where paths are shown from: a template's path relative to its repository.
    roots: Vec<PathBuf>,
    /// The rules a finding's Config rule is matched to, for its fix.
    rules: RuleBook,
}

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
    /// Every template under `repos`, findings matched to `rules`; what cannot be read is
    /// returned beside.
    pub fn load(repos: &[PathBuf], rules: RuleBook) -> (Code, Vec<TemplateError>) {
        let mut code = Code {
            roots: repos.to_vec(),
            rules,
            ..Code::default()
        };
        let mut problems = Vec::new();
        for f in super::template_files(repos) {
            match std::fs::read_to_string(&f) {
                Ok(text) => match template::parse(&f, &text) {
                    Ok(Some(t)) => {
                        // Who wrote what is read now, not while a finding is on screen.
                        let blame = super::history::blame(&f).unwrap_or_else(|e| {
                            problems.push(TemplateError {
                                path: f.display().to_string(),
                                line: 0,
                                reason: format!("its history could not be read: {e}"),
                            });
                            Vec::new()
                        });
                        code.templates.push((t, text));
                        code.blames.push(blame);
                    }
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
            blames: vec![Vec::new(); templates.len()],
            templates,
            roots: Vec::new(),
            rules: RuleBook::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// The template resource of type `resource_type` named `name` (its `…Name` property, or
    /// its logical ID).
    pub fn find(&self, resource_type: &str, name: &str) -> Option<Located<'_>> {
        self.templates
            .iter()
            .enumerate()
            .find_map(|(index, (t, text))| {
                t.resources
                    .iter()
                    .find(|r| r.resource_type == resource_type && names(r).any(|n| n == name))
                    .map(|resource| Located {
                        index,
                        template: t,
                        text,
                        resource,
                    })
            })
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
    pub rule: &'static str,
    pub cfn_nag: &'static [&'static str],
    pub patch: Option<String>,
    /// Who wrote and last changed the resource's lines, the most recent first.
    pub authors: Vec<super::history::Author>,
}

impl Code {
    /// The finding of Config rule `config_rule` on `resource_type` `resource_id`, in the code.
    pub fn finding(
        &self,
        config_rule: &str,
        resource_type: &str,
        resource_id: &str,
    ) -> Option<InCode> {
        let at = self.find(resource_type, resource_id)?;
        let rule = self.rules.find(config_rule);
        let path = self.shown_path(&at.template.path);
        // What the history cannot tell (no repository, a file changed since the last
        // commit) leaves the authors unknown rather than the finding unshown.
        let authors = match (span(at.text, at.resource.line), self.blames.get(at.index)) {
            (Some(lines), Some(blame)) => super::history::authors(blame, lines),
            _ => Vec::new(),
        };
        Some(InCode {
            authors,
            line: at.resource.line,
            logical_id: at.resource.logical_id.clone(),
            rule: rule.map_or("", |r| r.id),
            cfn_nag: rule.map_or(&[], |r| r.cfn_nag),
            patch: rule.and_then(|r| patch(&at, r, &path)),
            path,
        })
    }
}
#[cfg(test)]
mod demo_tests {
    #[test]
    fn the_demo_infrastructure_holds_the_flagged_tables() {
        let code = super::Code::from_texts(crate::source::demo::scenario::INFRA);
        assert!(!code.is_empty());
        for t in ["orders", "customers", "sessions-v2"] {
            let c = code
                .finding(
                    "dynamodb-table-encryption-enabled",
                    "AWS::DynamoDB::Table",
                    t,
                )
                .unwrap_or_else(|| panic!("{t}"));
            assert_eq!(c.rule, "DYNAMODB_TABLE_ENCRYPTION_ENABLED");
            assert!(c.patch.unwrap().contains("+      SSESpecification:"));
        }
    }
}
