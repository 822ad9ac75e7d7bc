//! Logs go to a file, never to the screen the console is drawing on.

use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts logging to `dir/warroom.log` (level from `WARROOM_LOG`, default `info`).
/// Keep the guard alive for as long as logs should be flushed.
pub fn init(dir: &Path) -> std::io::Result<(WorkerGuard, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let appender = tracing_appender::rolling::never(dir, "warroom.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
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
