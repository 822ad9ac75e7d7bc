//! Which Sigma rules run: the starter set shipped inside warroom, the rules in
//! `~/.config/warroom/rules`, the configured directories and `--rules`. A rule with the
//! `id` of one loaded before it replaces it, so a team can tune a starter rule by copying it.

use super::Settings;
use super::sigma::{LoadError, RuleSet, SigmaRule, load_dir, parse_rules};
use crate::model::Severity;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The starter rules, as they are in the repository's `rules/` directory (a test keeps the
/// two the same).
pub const STARTER: &[(&str, &str)] = &[
    (
        "cloudtrail-bedrock-invoke-model.yml",
        include_str!("../../rules/cloudtrail-bedrock-invoke-model.yml"),
    ),
    (
        "cloudtrail-bedrock-model-access-enabled.yml",
        include_str!("../../rules/cloudtrail-bedrock-model-access-enabled.yml"),
    ),
    (
        "cloudtrail-ec2-get-password-data.yml",
        include_str!("../../rules/cloudtrail-ec2-get-password-data.yml"),
    ),
    (
        "cloudtrail-ec2-instance-connect-ssh-key.yml",
        include_str!("../../rules/cloudtrail-ec2-instance-connect-ssh-key.yml"),
    ),
    (
        "cloudtrail-ec2-instance-credentials-whoami.yml",
        include_str!("../../rules/cloudtrail-ec2-instance-credentials-whoami.yml"),
    ),
    (
        "cloudtrail-ec2-serial-console-access.yml",
        include_str!("../../rules/cloudtrail-ec2-serial-console-access.yml"),
    ),
    (
        "cloudtrail-ec2-user-data-modified.yml",
        include_str!("../../rules/cloudtrail-ec2-user-data-modified.yml"),
    ),
    (
        "cloudtrail-ec2-user-data-read.yml",
        include_str!("../../rules/cloudtrail-ec2-user-data-read.yml"),
    ),
    (
        "cloudtrail-iam-identity-provider-changed.yml",
        include_str!("../../rules/cloudtrail-iam-identity-provider-changed.yml"),
    ),
    (
        "cloudtrail-iam-mfa-device-removed.yml",
        include_str!("../../rules/cloudtrail-iam-mfa-device-removed.yml"),
    ),
    (
        "cloudtrail-iam-update-login-profile.yml",
        include_str!("../../rules/cloudtrail-iam-update-login-profile.yml"),
    ),
    (
        "cloudtrail-lambda-code-updated-by-iam-user.yml",
        include_str!("../../rules/cloudtrail-lambda-code-updated-by-iam-user.yml"),
    ),
    (
        "cloudtrail-lambda-layer-attached.yml",
        include_str!("../../rules/cloudtrail-lambda-layer-attached.yml"),
    ),
    (
        "cloudtrail-organizations-leave.yml",
        include_str!("../../rules/cloudtrail-organizations-leave.yml"),
    ),
    (
        "cloudtrail-rolesanywhere-trust-anchor-changed.yml",
        include_str!("../../rules/cloudtrail-rolesanywhere-trust-anchor-changed.yml"),
    ),
    (
        "cloudtrail-route53resolver-query-logging-removed.yml",
        include_str!("../../rules/cloudtrail-route53resolver-query-logging-removed.yml"),
    ),
    (
        "cloudtrail-secretsmanager-batch-get-secret-value.yml",
        include_str!("../../rules/cloudtrail-secretsmanager-batch-get-secret-value.yml"),
    ),
    (
        "cloudtrail-secretsmanager-get-secret-value-by-iam-user.yml",
        include_str!("../../rules/cloudtrail-secretsmanager-get-secret-value-by-iam-user.yml"),
    ),
    (
        "cloudtrail-ssm-securestring-read-by-iam-user.yml",
        include_str!("../../rules/cloudtrail-ssm-securestring-read-by-iam-user.yml"),
    ),
    (
        "cloudtrail-ssm-send-command-shell.yml",
        include_str!("../../rules/cloudtrail-ssm-send-command-shell.yml"),
    ),
    (
        "cloudtrail-ssm-start-session.yml",
        include_str!("../../rules/cloudtrail-ssm-start-session.yml"),
    ),
    (
        "cloudtrail-sts-get-federation-token.yml",
        include_str!("../../rules/cloudtrail-sts-get-federation-token.yml"),
    ),
    (
        "cloudtrail-vpc-flow-logs-deleted.yml",
        include_str!("../../rules/cloudtrail-vpc-flow-logs-deleted.yml"),
    ),
];

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct RuleSources {
    pub starter: bool,
    /// Directories or single files, in order.
    pub paths: Vec<PathBuf>,
}

impl RuleSources {
    /// The default directory when it exists, then the `configured` paths, then `extra`
    /// (the command line's).
    pub fn new(starter: bool, configured: &[PathBuf], extra: &[PathBuf]) -> Self {
        let mut paths: Vec<PathBuf> = crate::paths::rules_dir()
            .filter(|d| d.is_dir())
            .into_iter()
            .collect();
        paths.extend(configured.iter().cloned());
        paths.extend(extra.iter().cloned());
        RuleSources { starter, paths }
    }
}

/// The rules in force, and every rule that could not be used with the reason.
pub struct Loaded {
    pub rules: Arc<RuleSet>,
    pub problems: Vec<LoadError>,
}

/// Loads every source in order; a later rule with an earlier one's `id` replaces it.
pub fn load(sources: &RuleSources) -> Loaded {
    let mut rules: Vec<SigmaRule> = Vec::new();
    let mut problems = Vec::new();
    let mut add = |found: Vec<SigmaRule>| {
        for rule in found {
            match rules.iter_mut().find(|r| r.id == rule.id) {
                Some(old) => *old = rule,
                None => rules.push(rule),
            }
        }
    };
    if sources.starter {
        for (name, text) in STARTER {
            let (ok, bad) = split(parse_rules(text, &format!("starter rules/{name}")));
            add(ok);
            problems.extend(bad);
        }
    }
    for path in &sources.paths {
        let (ok, bad) = if path.is_file() {
            load_file(path)
        } else {
            load_dir(path)
        };
        add(ok);
        problems.extend(bad);
    }
    // A correlation of rules that are not loaded would never fire: refused, by name.
    let known = |wanted: &str| {
        rules
            .iter()
            .any(|r| r.name.as_deref() == Some(wanted) || r.id == wanted)
    };
    let mut refused = Vec::new();
    for r in &rules {
        if let Some(c) = &r.correlation {
            let missing: Vec<&str> = c
                .rules
                .iter()
                .map(String::as_str)
                .filter(|w| !known(w))
                .collect();
            if !missing.is_empty() {
                refused.push(r.id.clone());
                problems.push(LoadError {
                    origin: r.origin.clone(),
                    reason: format!("correlation: no rule is named {}", missing.join(", ")),
                });
            }
        }
    }
    rules.retain(|r| !refused.contains(&r.id));
    Loaded {
        rules: Arc::new(RuleSet::new(rules)),
        problems,
    }
}

fn load_file(path: &Path) -> (Vec<SigmaRule>, Vec<LoadError>) {
    let origin = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => split(parse_rules(&text, &origin)),
        Err(e) => (
            Vec::new(),
            vec![LoadError {
                origin,
                reason: e.to_string(),
            }],
        ),
    }
}

fn split(results: Vec<Result<SigmaRule, LoadError>>) -> (Vec<SigmaRule>, Vec<LoadError>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in results {
        match r {
            Ok(rule) => ok.push(rule),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

/// The grouping window (`[detect] group_window`) and allow-list (`[detect.allow]`) the
/// configuration asks for.
pub fn settings(
    group_window: Option<&str>,
    allow: &std::collections::BTreeMap<String, Vec<String>>,
) -> anyhow::Result<Settings> {
    let mut s = Settings {
        allow: super::allow::AllowList::new(allow).map_err(anyhow::Error::msg)?,
        ..Settings::default()
    };
    if let Some(text) = group_window {
        let d = humantime::parse_duration(text)
            .map_err(|e| anyhow::anyhow!("config [detect] group_window {text:?}: {e}"))?;
        s.group_window = chrono::Duration::from_std(d)
            .map_err(|e| anyhow::anyhow!("config [detect] group_window {text:?}: {e}"))?;
    }
    Ok(s)
}

/// The name a Sigma rule's alerts carry: `sigma:` and its file's name, which people chose
/// to be read (a rule's `id` is a UUID).
pub fn sigma_rule_name(rule: &SigmaRule) -> String {
    let origin = rule.origin.split('#').next().unwrap_or(&rule.origin);
    let stem = Path::new(origin)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(&rule.id);
    format!("sigma:{stem}")
}

/// A Sigma `level` as warroom's severity.
pub fn severity_of(rule: &SigmaRule) -> Severity {
    use super::sigma::Level;
    match rule.level {
        Level::Informational => Severity::Info,
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
        Level::High => Severity::High,
        Level::Critical => Severity::Critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_set_is_the_rules_directory_and_loads_whole() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
            .collect();
        on_disk.sort();
        let shipped: Vec<&str> = STARTER.iter().map(|(n, _)| *n).collect();
        assert_eq!(shipped, on_disk, "rules/ and STARTER differ");
        let loaded = load(&RuleSources {
            starter: true,
            paths: vec![],
        });
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.rules.len(), STARTER.len());
    }

    #[test]
    fn a_later_rule_with_the_same_id_replaces_the_starter_one() {
        let (name, text) = STARTER[0];
        let first = parse_rules(text, name).remove(0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.yml"),
            format!(
                "title: Tuned\nid: {}\nlevel: low\nlogsource: {{product: aws, service: cloudtrail}}\n\
                 detection:\n  sel: {{eventName: Nothing}}\n  condition: sel\n",
                first.id
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.yml"), "title: [unclosed").unwrap();
        let loaded = load(&RuleSources {
            starter: true,
            paths: vec![dir.path().to_path_buf()],
        });
        assert_eq!(loaded.rules.len(), STARTER.len(), "replaced, not added");
        let tuned = loaded
            .rules
            .rules()
            .iter()
            .find(|r| r.id == first.id)
            .unwrap();
        assert_eq!(tuned.title, "Tuned");
        assert_eq!(loaded.problems.len(), 1);
        assert!(
            loaded.problems[0].origin.ends_with("broken.yml"),
            "{}",
            loaded.problems[0]
        );
    }

    #[test]
    fn the_grouping_window_is_read_and_a_bad_one_is_named() {
        assert_eq!(
            settings(Some("30m"), &Default::default())
                .unwrap()
                .group_window,
            chrono::Duration::minutes(30)
        );
        let err = settings(Some("soon"), &Default::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("group_window") && err.contains("soon"),
            "{err}"
        );
    }
}
