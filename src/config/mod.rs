//! The configuration file: `~/.config/warroom/config.toml`, or `--config PATH`.

pub mod secret;
mod valid;

use crate::model::Severity;
use secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything the file may set. Every field is optional; the defaults are sensible.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The name journaled for actions taken at this console (default: `$USER`).
    pub responder: Option<String>,
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub demo: DemoConfig,
    #[serde(default)]
    pub journal: JournalConfig,
    #[serde(default)]
    pub aws: AwsConfig,
    #[serde(default)]
    pub slack: SlackConfig,
    #[serde(default)]
    pub detect: DetectConfig,
    #[serde(default)]
    pub iac: IacConfig,
    #[serde(default)]
    pub athena: AthenaConfig,
    /// Unattended responses: `[[policy]]` tables. None unless configured.
    #[serde(default, rename = "policy")]
    pub policies: Vec<crate::model::ResponsePolicy>,
}

/// Templates: the team's own rules, which rules run (the command line adds to these), and
/// the repositories findings lead into.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IacConfig {
    /// Directories (or files) of the team's own template rules, written as data.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Run only these rules (IDs, AWS Config rule names or cfn_nag IDs); empty: all.
    #[serde(default)]
    pub only: Vec<String>,
    /// Never run these.
    #[serde(default)]
    pub skip: Vec<String>,
    /// The team's infrastructure repositories: a finding leads to its template there.
    #[serde(default)]
    pub repos: Vec<PathBuf>,
    /// Stack name → the template it is deployed from (a path in a repository), for stacks
    /// not named as their template's file.
    #[serde(default)]
    pub stacks: std::collections::BTreeMap<String, PathBuf>,
    /// Who hears of a finding whose template is known: the incident thread, or also each
    /// of the people who wrote its lines, by direct message.
    #[serde(default)]
    pub notify: IacNotify,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IacNotify {
    #[default]
    Thread,
    Committers,
}

/// The detections: which Sigma rules run and how alerts are grouped.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Directories (or files) of Sigma rules, besides `~/.config/warroom/rules`.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Whether the starter rules shipped with warroom run (default: true).
    pub starter_rules: Option<bool>,
    /// The same rule and principal within this long is one alert (default: "1h").
    #[serde(default, deserialize_with = "valid::duration")]
    pub group_window: Option<String>,
    /// Rule → principals (names or ARNs, `*` wildcards) it raises no alert for.
    #[serde(default)]
    pub allow: std::collections::BTreeMap<String, Vec<String>>,
}

/// Slack's Web API, unless `api_url` says otherwise.
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";

/// Who may do what. Entries are Slack user IDs (`U…`, `W…`) or user group IDs (`S…`).
/// Everyone may ask questions; nobody may change anything unless listed.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// deactivate, delete-key, deny-all, revoke-sessions
    #[serde(default)]
    pub contain: Vec<String>,
    /// remediate
    #[serde(default)]
    pub remediate: Vec<String>,
    /// note, status, severity, title, ack, resolve
    #[serde(default)]
    pub annotate: Vec<String>,
}

/// Slack: the mirror and the bridge. Every secret may come from the environment instead
/// (`SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET`, `SLACK_APP_TOKEN`), which wins.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// `xoxb-…`: posts the mirror, reads user groups.
    pub bot_token: Option<Secret>,
    /// The incident channel's ID (`C…`); or `SLACK_CHANNEL`.
    pub channel: Option<String>,
    /// Verifies requests to `warroom serve`.
    pub signing_secret: Option<Secret>,
    /// `xapp-…`: Socket Mode, for a bridge without a public endpoint.
    pub app_token: Option<Secret>,
    /// Another Web API base URL (a proxy); or `SLACK_API_URL`, or `--slack-api-url`.
    pub api_url: Option<String>,
    /// Alerts at or above this severity are mirrored (default: high).
    #[serde(default, deserialize_with = "valid::severity")]
    pub mirror_min_severity: Option<String>,
    /// How long a destructive request waits for its confirming click (default: 10).
    pub confirm_minutes: Option<u64>,
    /// The one who confirms must not be the one who asked.
    #[serde(default)]
    pub two_person_rule: bool,
    /// IAM principal name → Slack user ID, to mention who created a resource.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    #[serde(default)]
    pub permissions: Permissions,
}

/// The Slack settings in force: the file's, under the environment's, under the flags'.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackSettings {
    pub bot_token: Option<Secret>,
    pub channel: Option<String>,
    pub signing_secret: Option<Secret>,
    pub app_token: Option<Secret>,
    pub api_url: String,
    pub mirror_min: Severity,
    pub confirm_for: chrono::Duration,
    pub two_person: bool,
    pub users: BTreeMap<String, String>,
    pub permissions: Permissions,
}

impl SlackConfig {
    pub fn settings(&self, api_url_flag: Option<&str>) -> Result<SlackSettings, ConfigError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let secret =
            |name: &str, file: &Option<Secret>| env(name).map(Secret::new).or_else(|| file.clone());
        let mirror_min = match &self.mirror_min_severity {
            None => Severity::High,
            Some(s) => Severity::parse(s).ok_or_else(|| ConfigError::Parse {
                path: PathBuf::from("[slack]"),
                line: String::new(),
                message: format!(
                    "mirror_min_severity {s:?}: use critical, high, medium, low or info"
                ),
            })?,
        };
        Ok(SlackSettings {
            bot_token: secret("SLACK_BOT_TOKEN", &self.bot_token),
            channel: env("SLACK_CHANNEL").or_else(|| self.channel.clone()),
            signing_secret: secret("SLACK_SIGNING_SECRET", &self.signing_secret),
            app_token: secret("SLACK_APP_TOKEN", &self.app_token),
            api_url: api_url_flag
                .map(str::to_string)
                .or_else(|| env("SLACK_API_URL"))
                .or_else(|| self.api_url.clone())
                .unwrap_or_else(|| DEFAULT_SLACK_API_URL.to_string()),
            mirror_min,
            confirm_for: chrono::Duration::minutes(self.confirm_minutes.unwrap_or(10).max(1) as i64),
            two_person: self.two_person_rule,
            users: self.users.clone(),
            permissions: self.permissions.clone(),
        })
    }
}

/// Athena over the organization's CloudTrail (`warroom athena setup` makes the table).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AthenaConfig {
    /// `database.table`.
    pub table: Option<String>,
    pub workgroup: Option<String>,
    /// Where results are written, `s3://…/`, when the workgroup does not say.
    pub output: Option<String>,
    /// The region the table is in (default: the console's first).
    pub region: Option<String>,
    /// How far back a console pivot asks the table (default 365).
    pub pivot_days: Option<u32>,
}

/// How `warroom live` reaches the account (command-line flags win).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    pub profile: Option<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    pub endpoint_url: Option<String>,
    /// e.g. "6h"
    #[serde(default, deserialize_with = "valid::duration")]
    pub lookback: Option<String>,
    #[serde(default, deserialize_with = "valid::at_least_one")]
    pub poll_seconds: Option<u64>,
    /// critical, high, medium, low or info
    #[serde(default, deserialize_with = "valid::severity")]
    pub securityhub_min_severity: Option<String>,
    /// Watch every active account of the organization.
    #[serde(default)]
    pub org: bool,
    /// Accounts to watch besides (or instead of) the organization's.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// The role assumed to watch each account (default WarroomIncidentReadOnly).
    pub role_name: Option<String>,
    /// The role assumed to respond in each account (default WarroomIncidentResponse).
    pub response_role_name: Option<String>,
    /// A Config aggregator to read every account's findings from.
    pub config_aggregator: Option<String>,
    /// Security Hub's aggregation region.
    pub securityhub_region: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// A built-in theme name or a path to a theme file.
    pub theme: Option<String>,
    /// A built-in keymap name or a path to a keymap file.
    pub keymap: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// How much faster than real time the demo incident unfolds.
    #[serde(default, deserialize_with = "valid::positive")]
    pub speed: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// Where new incident journals are created.
    pub dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config {path}{line}: {message}")]
    Parse {
        path: PathBuf,
        line: String,
        message: String,
    },
}

impl Config {
    /// Reads the file at `explicit`, or the default file if it exists. A missing default
    /// file is not an error; a missing explicit one is.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match crate::paths::config_file() {
                Some(p) if p.exists() => p,
                _ => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        Config::parse(&text, &path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| {
                    format!(
                        ":{}",
                        text[..s.start.min(text.len())].matches('\n').count() + 1
                    )
                })
                .unwrap_or_default();
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                message: e.message().to_string(),
            }
        })
    }

    /// The responder's name: the config's, else the login name.
    pub fn responder(&self) -> String {
        self.responder
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .unwrap_or_else(|| "responder".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_section() {
        let c = Config::parse(
            "responder = \"alice\"\n[ui]\ntheme = \"light\"\nkeymap = \"emacs\"\n[demo]\nspeed = 30.0\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.responder(), "alice");
        assert_eq!(c.ui.theme.as_deref(), Some("light"));
        assert_eq!(c.demo.speed, Some(30.0));
    }

    #[test]
    fn policies_are_read_and_a_bad_one_is_named_with_its_line() {
        let c = Config::parse(
            "[[policy]]\nname = \"cut-keys\"\ndetections = [\"key-new-source\"]\nseverities = [\"critical\"]\nrespond = \"contain\"\ndelay = \"90s\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.policies.len(), 1);
        assert_eq!(c.policies[0].delay, std::time::Duration::from_secs(90));
        assert_eq!(c.policies[0].respond, crate::model::PolicyResponse::Contain);
        assert!(
            Config::default().policies.is_empty(),
            "off unless configured"
        );
        let err = Config::parse(
            "[[policy]]\nname = \"x\"\nrespond = \"contain\"\ndelay = \"soon\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("c.toml:4") && err.contains("delay \"soon\""),
            "{err}"
        );
        let err = Config::parse(
            "[[policy]]\nname = \"x\"\nrespond = \"nuke\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("c.toml:3") && err.contains("contain"), "{err}");
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let err = Config::parse(
            "responder = \"a\"\n\n[ui]\ncolour = \"red\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("config c.toml:4: unknown field `colour`"),
            "{err}"
        );
    }

    #[test]
    fn slack_settings_read_the_file_and_never_print_secrets() {
        let c = Config::parse(
            "[slack]\nbot_token = \"xoxb-file-token\"\nchannel = \"C1\"\ntwo_person_rule = true\n[slack.users]\n\"dana.kim\" = \"U0DANA\"\n[slack.permissions]\ncontain = [\"U0ALICE\", \"S0ONCALL\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let s = c.slack.settings(Some("http://127.0.0.1:9/api")).unwrap();
        assert_eq!(s.channel.as_deref(), Some("C1"));
        assert_eq!(s.api_url, "http://127.0.0.1:9/api");
        assert!(s.two_person);
        assert_eq!(s.permissions.contain, ["U0ALICE", "S0ONCALL"]);
        assert_eq!(s.users["dana.kim"], "U0DANA");
        assert!(!format!("{c:?} {s:?}").contains("xoxb-file-token"));
    }

    #[test]
    fn an_explicit_missing_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/warroom.toml"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/warroom.toml"));
    }

    #[test]
    fn wrong_values_are_named_with_their_file_and_line() {
        for (text, line, says) in [
            (
                "[detect]\ngroup_window = \"1 fortnight\"\n",
                2,
                "\"1 fortnight\" is not a duration",
            ),
            ("[demo]\n\nspeed = -3\n", 3, "-3 is not a positive number"),
            ("[aws]\npoll_seconds = 0\n", 2, "at least 1"),
            (
                "[aws]\nsecurityhub_min_severity = \"urgent\"\n",
                2,
                "is not a severity",
            ),
            (
                "[slack]\nmirror_min_severity = \"loud\"\n",
                2,
                "is not a severity",
            ),
            ("[aws]\nlookback = \"a while\"\n", 2, "is not a duration"),
        ] {
            let err = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("c.toml:{line}")) && err.contains(says),
                "{text}: {err}"
            );
        }
        let fine = Config::parse(
            "[detect]\ngroup_window = \"90m\"\n[demo]\nspeed = 2.5\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(fine.detect.group_window.as_deref(), Some("90m"));
        assert_eq!(fine.demo.speed, Some(2.5));
    }
}
