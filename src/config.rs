//! The configuration file: `~/.config/warroom/config.toml`, or `--config PATH`.

use serde::Deserialize;
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
    pub lookback: Option<String>,
    pub poll_seconds: Option<u64>,
    /// critical, high, medium, low or info
    pub securityhub_min_severity: Option<String>,
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
    fn an_explicit_missing_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/warroom.toml"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/warroom.toml"));
    }
}
