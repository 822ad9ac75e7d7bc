//! Logs go to a file, never to the screen the console is drawing on — and never carry a
//! secret, at any level: every line passes through [`redact`] on its way to the file, so
//! what a library prints at `trace` (request headers, signing steps) is cleaned too.

use regex::Regex;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The size at which the log file is put aside as `warroom.log.1` and a new one begun.
pub const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;
/// Old logs kept: `warroom.log.1` (the newest) to `.3`.
pub const OLD_LOGS: usize = 3;

/// Starts logging to `dir/warroom.log` (level from `WARROOM_LOG`, default `info`), at most
/// [`MAX_LOG_BYTES`] a file and [`OLD_LOGS`] old files. Keep the guard alive for as long as
/// logs should be flushed.
pub fn init(dir: &Path) -> std::io::Result<(WorkerGuard, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("warroom.log");
    let file = Capped::open(path.clone(), MAX_LOG_BYTES, OLD_LOGS)?;
    Ok((start(Redacting(file)), path))
}

/// Starts logging to standard output (`warroom serve --log-stdout`, for containers),
/// redacted the same way.
pub fn init_stdout() -> WorkerGuard {
    start(Redacting(std::io::stdout()))
}

fn start<W: Write + Send + 'static>(out: W) -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(out);
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
    guard
}

/// A log file that never grows past its cap: when the next line would pass it, the file is
/// renamed `.1` (older ones move up, the oldest goes) and a new one begun. tracing-appender
/// rotates only by time, and a noisy day must not fill the disk.
struct Capped {
    path: PathBuf,
    file: std::fs::File,
    size: u64,
    cap: u64,
    keep: usize,
}

impl Capped {
    fn open(path: PathBuf, cap: u64, keep: usize) -> std::io::Result<Capped> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let size = file.metadata()?.len();
        Ok(Capped {
            path,
            file,
            size,
            cap,
            keep,
        })
    }

    fn old(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        for n in (1..self.keep).rev() {
            let _ = std::fs::rename(self.old(n), self.old(n + 1));
        }
        std::fs::rename(&self.path, self.old(1))?;
        *self = Capped::open(self.path.clone(), self.cap, self.keep)?;
        Ok(())
    }
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.cap {
            // A failed rename keeps writing to the file it has: a log line is not worth
            // losing over it.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
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

    #[test]
    fn the_log_is_capped_and_its_old_files_kept_to_a_few() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warroom.log");
        let mut log = Capped::open(path.clone(), 100, 2).unwrap();
        for i in 0..20 {
            writeln!(log, "line {i:02} of forty bytes, give or take").unwrap();
        }
        log.flush().unwrap();
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert!(size(&path) <= 100, "{}", size(&path));
        assert!(size(&log.old(1)) > 0 && size(&log.old(2)) > 0);
        assert!(!log.old(3).exists(), "only two old files are kept");
        let newest = std::fs::read_to_string(&path).unwrap();
        assert!(newest.contains("line 19"), "{newest}");
    }

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
