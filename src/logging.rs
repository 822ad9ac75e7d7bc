//! Logs go to a file, never to the screen the console is drawing on — and never carry a
//! secret, at any level: every line passes through [`redact`] on its way to the file, so
//! what a library prints at `trace` (request headers, signing steps) is cleaned too.

use regex::Regex;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts logging to `dir/warroom.log` (level from `WARROOM_LOG`, default `info`).
/// Keep the guard alive for as long as logs should be flushed.
pub fn init(dir: &Path) -> std::io::Result<(WorkerGuard, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let appender = tracing_appender::rolling::never(dir, "warroom.log");
    let (writer, guard) = tracing_appender::non_blocking(Redacting(appender));
    let filter = EnvFilter::try_from_env("WARROOM_LOG")
        // Libraries speak at info only about trouble; their debug output may carry headers.
        .unwrap_or_else(|_| {
            EnvFilter::new("info,slack_morphism=warn,hyper=warn,aws_smithy_runtime=warn")
        });
    // A second init (tests, or a subcommand calling back in) is harmless: keep the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok((guard, dir.join("warroom.log")))
}

/// A writer that redacts each log line before it reaches the file. The log worker writes
/// one whole event per call, so a secret is never split between two calls.
struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

const REDACTED: &str = "[redacted]";

/// A value after a name that says it is secret: `x-amz-security-token: …`,
/// `"authorization": "…"`, `secret_access_key=…`, `bot_token: Some(…)`.
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)([a-z0-9_-]*(?:token|secret|signature|password|authorization|credential)[a-z0-9_-]*)(["']?\s*[:=]\s*(?:Some\()?\\?["']?)([^"'\s,;&})\]\\]+)"#,
    )
    .expect("a valid pattern")
});

/// Secrets that say what they are by their shape: Slack tokens, and the long base64 runs
/// of session tokens and signatures.
static SHAPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+|[A-Za-z0-9+/=]{100,}")
        .expect("a valid pattern")
});

/// `line` with every secret it holds replaced by `[redacted]`.
pub fn redact(line: &str) -> std::borrow::Cow<'_, str> {
    let named = NAMED.replace_all(line, |c: &regex::Captures<'_>| {
        format!("{}{}{REDACTED}", &c[1], &c[2])
    });
    match SHAPED.replace_all(&named, REDACTED) {
        std::borrow::Cow::Borrowed(_) => named,
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampleexampleexampleexampleexampleexampleexampleexample";

    #[test]
    fn headers_and_fields_that_name_a_secret_lose_their_value() {
        for line in [
            format!(r#"headers: {{"x-amz-security-token": "{SESSION}", "host": "iam"}}"#),
            "x-amz-security-token: FQoGZXIvYXdzEXAMPLE".to_string(),
            r#"authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=deadbeef00"#
                .to_string(),
            "secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string(),
            "bot_token: Some(\"xoxb-1-2-abc\")".to_string(),
        ] {
            let clean = redact(&line);
            for secret in [
                SESSION,
                "FQoGZXIvYXdzEXAMPLE",
                "deadbeef00",
                "wJalrXUtnFEMI",
                "xoxb-1-2-abc",
            ] {
                assert!(!clean.contains(secret), "{secret} left in {clean}");
            }
            assert!(clean.contains(REDACTED), "{clean}");
        }
    }

    #[test]
    fn slack_tokens_and_long_tokens_are_caught_by_their_shape() {
        let line = format!("posting with xoxb-0000-warroom and {SESSION} done");
        assert_eq!(redact(&line), "posting with [redacted] and [redacted] done");
    }

    #[test]
    fn ordinary_lines_are_left_alone() {
        let line = "action finished action_id=act-1 step=succeeded";
        assert!(matches!(redact(line), std::borrow::Cow::Borrowed(_)));
    }
}
