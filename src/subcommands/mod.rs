//! What each subcommand does.

mod athena;
mod console;
mod demo;
mod detect;
mod export;
mod iac;
mod live;
mod prices;
mod query;
mod replay;
mod serve;
mod verify;

use crate::cli::{Cli, Subcommand};
use crate::config::Config;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;
use anyhow::Context;
use chrono::Utc;
use std::path::PathBuf;
use std::process::ExitCode;

/// The default speed of the demo: its 35 minutes in a little over two.
pub const DEFAULT_DEMO_SPEED: f64 = 15.0;
/// How often the demo world plays what has fallen due.
const WORLD_TICK: std::time::Duration = std::time::Duration::from_millis(100);
/// Stack of each async worker thread (address space, not memory, until used).
pub const WORKER_STACK: usize = 16 * 1024 * 1024;
/// How often the journal is checked for records written by other processes.
const JOURNAL_POLL: std::time::Duration = std::time::Duration::from_millis(300);

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    prices::install_imported();
    match &cli.command {
        Subcommand::Demo(args) => demo::demo(&cli, &config, args),
        Subcommand::Replay(args) => replay::replay(&cli, &config, args),
        Subcommand::Verify(args) => verify::verify(&cli, args),
        Subcommand::Live(args) => live::live(&cli, &config, args),
        Subcommand::Serve(args) => serve::serve(&cli, &config, args),
        Subcommand::Query(args) => query::query(&config, args),
        Subcommand::Detect(args) => detect::detect(&config, args),
        Subcommand::Export(args) => export::export(args),
        Subcommand::Iac(crate::cli::IacCommand::Check(args)) => iac::check(&config, args),
        Subcommand::Athena(crate::cli::AthenaCommand::Setup(args)) => athena::setup(&config, args),
        Subcommand::Prices(args) => prices::prices(args),
        Subcommand::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "warroom", &mut script);
            print_all(&script)
        }
        Subcommand::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut page)
                .context("making the manual page")?;
            print_all(&page)
        }
    }
}

/// Keymap and theme from the command line, else the config file, else the defaults.
/// Loaded before the terminal is taken over, so a bad file fails with a readable message.
pub(crate) fn look(cli: &Cli, config: &Config) -> anyhow::Result<(Keymap, Theme)> {
    let keymap = Keymap::load(cli.keymap.as_deref().or(config.ui.keymap.as_deref()))?;
    let theme = Theme::load(
        cli.theme.as_deref().or(config.ui.theme.as_deref()),
        Theme::no_color_requested(),
    )?;
    Ok((keymap, theme))
}

/// Runs `work` (a read of `source` that reports to `progress`) and, when standard error is a
/// terminal and the read takes more than a moment ([`progress_after`]), keeps one line
/// there up to date: files, megabytes, events. Scripts and pipes see nothing of it.
pub(crate) fn with_progress<T>(
    source: &crate::archive::Source,
    progress: &crate::archive::ReadProgress,
    work: impl FnOnce() -> T,
) -> T {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicBool, Ordering};
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let after = progress_after();
    let show = || eprint!("\r\x1b[K{}", progress_line(source, progress));
    let shown = AtomicBool::new(after.is_zero());
    if after.is_zero() {
        // Shown before the work starts, however short it is.
        show();
    }
    let done = AtomicBool::new(false);
    let out = std::thread::scope(|scope| {
        scope.spawn(|| {
            let started = std::time::Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(250));
                if started.elapsed() >= after && !done.load(Ordering::Relaxed) {
                    show();
                    shown.store(true, Ordering::Relaxed);
                }
            }
        });
        let out = work();
        done.store(true, Ordering::Relaxed);
        out
    });
    if shown.load(Ordering::Relaxed) {
        eprint!("\r\x1b[K");
    }
    out
}

/// The progress line of a read: files, megabytes, and events when the read counts them.
fn progress_line(
    source: &crate::archive::Source,
    progress: &crate::archive::ReadProgress,
) -> String {
    use std::sync::atomic::Ordering;
    let events = progress.events.load(Ordering::Relaxed);
    format!(
        "reading {source}: {} of {} files, {:.1} MB{}",
        progress.files_done.load(Ordering::Relaxed),
        progress.files_total.load(Ordering::Relaxed),
        progress.bytes.load(Ordering::Relaxed) as f64 / 1e6,
        if events > 0 {
            format!(", {events} events")
        } else {
            String::new()
        }
    )
}

/// How long a read runs before its progress line appears: `WARROOM_PROGRESS_AFTER` (a
/// duration; `0s` shows it from the start), else two seconds.
fn progress_after() -> std::time::Duration {
    const DEFAULT: std::time::Duration = std::time::Duration::from_secs(2);
    let Ok(given) = std::env::var("WARROOM_PROGRESS_AFTER") else {
        return DEFAULT;
    };
    humantime::parse_duration(given.trim()).unwrap_or_else(|e| {
        eprintln!("warroom: WARROOM_PROGRESS_AFTER={given:?} is not a duration ({e}): using 2s");
        DEFAULT
    })
}

/// Writes `bytes` to standard output; a reader that stopped early (`| head`) is no error.
pub(crate) fn print_all(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to standard output"))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// A time range's two ends, either open.
pub(crate) type TimeRange = (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// `--since` and `--until` as times (RFC 3339, a date, or how long ago).
pub(crate) fn time_range(since: Option<&str>, until: Option<&str>) -> anyhow::Result<TimeRange> {
    let now = Utc::now();
    let parse = |t: Option<&str>| {
        t.map(|t| crate::model::time::parse_given_or_ago(t, now))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    Ok((parse(since)?, parse(until)?))
}

pub(crate) fn new_journal_path(config: &Config, prefix: &str) -> PathBuf {
    let dir = config
        .journal
        .dir
        .clone()
        .unwrap_or_else(crate::paths::incidents_dir);
    dir.join(format!(
        "{prefix}-{}.sqlite",
        Utc::now().format("%Y%m%d-%H%M%S")
    ))
}

pub(crate) fn start_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    crate::logging::init(&crate::paths::log_dir())
        .ok()
        .map(|(g, _)| g)
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // The SDK's (de)serialisers of large shapes (a Security Hub finding has hundreds of
        // fields) take deep stacks in unoptimised builds; reserve room rather than abort.
        .thread_stack_size(WORKER_STACK)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
