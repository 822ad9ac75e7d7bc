//! Tokens and signing secrets: kept out of logs, the screen and the journal by type.

use serde::Deserialize;
use std::fmt;

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_secret_never_prints() {
        let s = super::Secret::new("xoxb-1234-very-secret");
        assert!(!format!("{s:?} {s}").contains("xoxb"));
        assert_eq!(s.expose(), "xoxb-1234-very-secret");
    }
}
