//! Reading rule files: YAML documents into [`SigmaRule`]s, with the rule's metadata checked.

use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value as Yaml};

use super::detection::{self, describe};
use super::{Level, LoadError, SigmaRule};

/// Parses every YAML document of one file: one result per rule document, in file order.
/// `origin` names the file in ids and errors.
pub fn parse_rules(text: &str, origin: &str) -> Vec<Result<SigmaRule, LoadError>> {
    let stem = Path::new(origin)
        .file_stem()
        .map_or_else(|| origin.to_owned(), |s| s.to_string_lossy().into_owned());
    let documents = split_documents(text);
    if documents.is_empty() {
        return vec![Err(LoadError {
            origin: origin.to_owned(),
            reason: "the file holds no rule".into(),
        })];
    }
    documents
        .into_iter()
        .enumerate()
        .map(|(n, doc)| {
            let (doc_origin, default_id) = if n == 0 {
                (origin.to_owned(), stem.clone())
            } else {
                (format!("{origin}#{}", n + 1), format!("{stem}#{}", n + 1))
            };
            parse_document(&doc, &default_id, &doc_origin).map_err(|reason| LoadError {
                origin: doc_origin,
                reason,
            })
        })
        .collect()
}

/// Loads every `*.yml` and `*.yaml` file under `dir`, recursively and in path order, so the
/// same directory always gives the same rules in the same order. Symbolic links to
/// directories are not followed, which keeps a link loop from hanging the load.
pub fn load_dir(dir: &Path) -> (Vec<SigmaRule>, Vec<LoadError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    if !dir.is_dir() {
        let reason = if dir.exists() {
            "is not a directory"
        } else {
            "rules directory does not exist"
        };
        errors.push(LoadError {
            origin: dir.display().to_string(),
            reason: reason.into(),
        });
        return (rules, errors);
    }
    let mut files = Vec::new();
    collect_files(dir, &mut files, &mut errors);
    files.sort();
    for path in files {
        let origin = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for result in parse_rules(&text, &origin) {
                    match result {
                        Ok(rule) => match rules.iter().find(|r: &&SigmaRule| r.id == rule.id) {
                            // Hits are reported by id, so two rules sharing one would be confused.
                            Some(first) => errors.push(LoadError {
                                origin: rule.origin.clone(),
                                reason: format!(
                                    "rule id {} is already used by {}",
                                    rule.id, first.origin
                                ),
                            }),
                            None => rules.push(rule),
                        },
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(LoadError {
                origin,
                reason: format!("cannot read the file: {e}"),
            }),
        }
    }
    (rules, errors)
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(LoadError {
                origin: dir.display().to_string(),
                reason: format!("cannot read the directory: {e}"),
            });
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                errors.push(LoadError {
                    origin: dir.display().to_string(),
                    reason: format!("cannot read the directory: {e}"),
                });
                continue;
            }
        };
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            files.push(path); // reading it will report the problem
            continue;
        };
        if kind.is_dir() {
            collect_files(&path, files, errors);
        } else if is_rule_file(&path) && (kind.is_file() || (kind.is_symlink() && !path.is_dir())) {
            files.push(path);
        }
    }
}

fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// A document's text, with the number of the line it starts on (0-based).
struct Document {
    first_line: usize,
    text: String,
}

/// Splits a file at `---` lines. The YAML library reads a single document at a time here, and
/// a line starting with `---` is always a document marker in YAML (content may never start
/// with one), so splitting by lines is exact. Documents holding only comments or blank lines
/// are dropped: a leading or trailing `---` does not make an extra rule.
fn split_documents(text: &str) -> Vec<Document> {
    let mut docs = Vec::new();
    let mut current = Document {
        first_line: 0,
        text: String::new(),
    };
    for (number, line) in text.lines().enumerate() {
        let marker = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
        if marker {
            let next = Document {
                first_line: number,
                text: String::new(),
            };
            docs.push(std::mem::replace(&mut current, next));
        }
        current.text.push_str(line);
        current.text.push('\n');
    }
    docs.push(current);
    docs.retain(|doc| doc.text.lines().any(has_content));
    docs
}

fn has_content(line: &str) -> bool {
    let line = line.trim();
    !(line.is_empty()
        || line.starts_with('#')
        || line == "---"
        || line == "..."
        || line.starts_with('%'))
}

fn parse_document(doc: &Document, default_id: &str, origin: &str) -> Result<SigmaRule, String> {
    // Blank lines in front keep the line numbers in YAML errors those of the whole file.
    let mut padded = "\n".repeat(doc.first_line);
    padded.push_str(&doc.text);
    let yaml: Yaml = serde_norway::from_str(&padded).map_err(|e| format!("invalid YAML: {e}"))?;
    let Yaml::Mapping(map) = yaml else {
        return Err(format!(
            "a rule must be a YAML mapping, found {}",
            describe(&yaml)
        ));
    };
    compile_rule(&map, default_id, origin)
}

fn compile_rule(map: &Mapping, default_id: &str, origin: &str) -> Result<SigmaRule, String> {
    let correlation = match map.get("correlation") {
        None => None,
        Some(Yaml::Mapping(c)) => {
            Some(super::correlation::compile(c).map_err(|e| format!("correlation: {e}"))?)
        }
        Some(other) => {
            return Err(format!(
                "`correlation` must be a mapping, found {}",
                describe(other)
            ));
        }
    };
    if let Some(action) = map.get("action") {
        return Err(format!(
            "rule collections (`action: {}`) are not supported: write each rule as a whole document",
            text_of(action)
        ));
    }
    // A correlation reads its rules' matches, not a log: it has no log source.
    if correlation.is_none() {
        check_logsource(map.get("logsource"))?;
    }
    let title = match map.get("title") {
        Some(Yaml::String(t)) if !t.trim().is_empty() => t.clone(),
        Some(Yaml::String(_)) | None => return Err("the rule has no `title`".into()),
        Some(other) => return Err(format!("`title` must be text, found {}", describe(other))),
    };
    let id = match map.get("id") {
        None => default_id.to_owned(),
        Some(Yaml::String(id)) if !id.trim().is_empty() => id.clone(),
        Some(other) => return Err(format!("`id` must be text, found {}", describe(other))),
    };
    let description = match map.get("description") {
        None | Some(Yaml::Null) => None,
        Some(Yaml::String(d)) => Some(d.clone()),
        Some(other) => {
            return Err(format!(
                "`description` must be text, found {}",
                describe(other)
            ));
        }
    };
    let level = match map.get("level") {
        None | Some(Yaml::Null) => Level::default(),
        Some(Yaml::String(name)) => Level::parse(name).ok_or_else(|| {
            format!("unknown level \"{name}\": use informational, low, medium, high or critical")
        })?,
        Some(other) => return Err(format!("unknown level {}", describe(other))),
    };
    let tags = text_list(map.get("tags"), "tags")?;
    let falsepositives = text_list(map.get("falsepositives"), "falsepositives")?;
    let name = match map.get("name") {
        None | Some(Yaml::Null) => None,
        Some(Yaml::String(n)) if !n.trim().is_empty() => Some(n.trim().to_string()),
        Some(other) => return Err(format!("`name` must be text, found {}", describe(other))),
    };
    let detection = match (&correlation, map.get("detection")) {
        (Some(_), _) => detection::Detection::never(),
        (None, Some(d)) => detection::compile(d)?,
        (None, None) => return Err("the rule has no `detection`".into()),
    };
    Ok(SigmaRule {
        name,
        correlation,
        id,
        title,
        description,
        level,
        tags,
        falsepositives,
        origin: origin.to_owned(),
        detection,
    })
}

/// Only CloudTrail rules are meaningful here; any other log source's field names would
/// silently never match, so such a rule is refused instead.
fn check_logsource(logsource: Option<&Yaml>) -> Result<(), String> {
    const ONLY: &str = "only aws/cloudtrail rules apply to CloudTrail events";
    let Some(logsource) = logsource else {
        return Err(format!("the rule has no `logsource`: {ONLY}"));
    };
    let Yaml::Mapping(map) = logsource else {
        return Err(format!("`logsource` must be a mapping: {ONLY}"));
    };
    let product = map.get("product").and_then(Yaml::as_str);
    let service = map.get("service").and_then(Yaml::as_str);
    let is = |v: Option<&str>, want: &str| v.is_some_and(|v| v.eq_ignore_ascii_case(want));
    if is(product, "aws") && is(service, "cloudtrail") {
        return Ok(());
    }
    let show = |what: &str, v: Option<&str>| match v {
        Some(v) => format!("{what} \"{v}\""),
        None => format!("no {what}"),
    };
    Err(format!(
        "logsource is {}, {}: {ONLY}",
        show("product", product),
        show("service", service)
    ))
}

/// `tags:`/`falsepositives:`: a list of text, or a single text.
fn text_list(value: Option<&Yaml>, what: &str) -> Result<Vec<String>, String> {
    match value {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::String(s)) => Ok(vec![s.clone()]),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|item| match item {
                Yaml::String(s) => Ok(s.clone()),
                Yaml::Number(_) | Yaml::Bool(_) => Ok(text_of(item)),
                other => Err(format!(
                    "`{what}` must be a list of text, found {}",
                    describe(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "`{what}` must be a list of text, found {}",
            describe(other)
        )),
    }
}

fn text_of(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        other => describe(other),
    }
}
