//! What each subcommand does.

use crate::cli::{Cli, Command, DemoArgs, ReplayArgs, VerifyArgs};
use crate::clock::{FixedClock, SharedClock, VirtualClock};
use crate::config::Config;
use crate::journal::{Journal, JournalTask, JournalWriter};
use crate::model::RecordBody;
use crate::respond::ResponseApi;
use crate::source::demo::{scenario, world::DemoWorld};
use crate::source::ingest::Ingest;
use crate::state::IncidentState;
use crate::tui::app::{App, Mode, ModeKind};
use crate::tui::keymap::Keymap;
use crate::tui::run::{self, Services};
use crate::tui::theme::Theme;
use anyhow::Context;
use chrono::{Duration, Utc};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// The default speed of the demo: its 35 minutes in a little over two.
pub const DEFAULT_DEMO_SPEED: f64 = 15.0;
/// How often the demo world plays what has fallen due.
const WORLD_TICK: std::time::Duration = std::time::Duration::from_millis(100);
/// How often the journal is checked for records written by other processes.
const JOURNAL_POLL: std::time::Duration = std::time::Duration::from_millis(300);

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    match &cli.command {
        Command::Demo(args) => demo(&cli, &config, args),
        Command::Replay(args) => replay(&cli, &config, args),
        Command::Verify(args) => verify(&cli, args),
        Command::Live(_) => later("live", "connecting to a real AWS account"),
        Command::Serve(_) => later("serve", "the Slack bridge"),
        Command::Query(_) => later("query", "headless search of CloudTrail archives"),
        Command::Detect(_) => later("detect", "headless detections"),
        Command::Export(_) => later("export", "the postmortem export"),
    }
}

fn later(name: &str, what: &str) -> anyhow::Result<ExitCode> {
    eprintln!(
        "warroom {name} ({what}) is not available in this version yet.\n\
         Try the console on the embedded incident: warroom demo"
    );
    Ok(ExitCode::from(2))
}

/// Keymap and theme from the command line, else the config file, else the defaults.
/// Loaded before the terminal is taken over, so a bad file fails with a readable message.
fn look(cli: &Cli, config: &Config) -> anyhow::Result<(Keymap, Theme)> {
    let keymap = Keymap::load(cli.keymap.as_deref().or(config.ui.keymap.as_deref()))?;
    let theme = Theme::load(
        cli.theme.as_deref().or(config.ui.theme.as_deref()),
        Theme::no_color_requested(),
    )?;
    Ok((keymap, theme))
}

fn new_journal_path(config: &Config, prefix: &str) -> PathBuf {
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

fn start_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    crate::logging::init(&crate::paths::log_dir())
        .ok()
        .map(|(g, _)| g)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn demo(cli: &Cli, config: &Config, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let (keymap, theme) = look(cli, config)?;
    let _log = start_logging();
    let speed = args
        .speed
        .or(config.demo.speed)
        .unwrap_or(DEFAULT_DEMO_SPEED);
    anyhow::ensure!(
        speed.is_finite() && speed > 0.0,
        "--speed must be a positive number, not {speed}"
    );
    let path = cli
        .journal
        .clone()
        .unwrap_or_else(|| new_journal_path(config, "demo"));
    let mut journal = Journal::open(&path)?;
    let records = journal.read_all()?;
    let world = Arc::new(DemoWorld::new(scenario::founding_scenario()));
    let sc = world.scenario();
    let fresh = records.is_empty();
    // A fresh demo starts a minute before the first attacker call; a reopened one resumes
    // where its journal stops.
    let origin = if args.instant {
        sc.end() + Duration::seconds(1)
    } else if fresh {
        sc.start - Duration::minutes(1)
    } else {
        records.iter().map(|r| r.at).max().unwrap_or(sc.start)
    };
    let speed = if args.instant { 1.0 } else { speed };
    let clock: SharedClock = Arc::new(VirtualClock::new(origin, speed));
    let mut ingest = Ingest::new();
    let mut all = records;
    if fresh {
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "demo".into());
        let opening = world.opening_records(&id, clock.now());
        all.extend(journal.append(&opening)?);
    } else {
        ingest.prime(&all);
        world.restore(&IncidentState::from_records(&all));
    }
    let console = Console {
        journal,
        state: IncidentState::from_records(&all),
        mode: Mode {
            kind: ModeKind::Demo { speed },
            read_only: cli.read_only,
            dry_run: cli.dry_run,
        },
        clock: clock.clone(),
        api: Some(world.clone()),
        journal_writes: true,
    };
    let final_app = console.run(config, keymap, theme, move |writer| {
        // The demo world plays what has fallen due, through the detector, into the journal.
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WORLD_TICK);
            loop {
                tick.tick().await;
                let now = clock.now();
                let due = world.advance(now);
                if !due.is_empty() {
                    writer.append(ingest.process(now, due));
                }
            }
        })
    })?;
    summary(&path, &final_app);
    Ok(ExitCode::SUCCESS)
}

/// A console about to open: its journal, what it shows, and what it may do.
struct Console {
    journal: Journal,
    state: IncidentState,
    mode: Mode,
    clock: SharedClock,
    api: Option<Arc<dyn ResponseApi>>,
    journal_writes: bool,
}

impl Console {
    /// Runs the console until the user quits, with `background` (given a journal writer)
    /// running beside it. Returns the app as it was at the end.
    fn run(
        self,
        config: &Config,
        keymap: Keymap,
        theme: Theme,
        background: impl FnOnce(JournalWriter) -> tokio::task::JoinHandle<()>,
    ) -> anyhow::Result<App> {
        let app = App::new(
            self.state,
            self.mode,
            keymap,
            theme,
            format!("{}@tui", config.responder()),
            std::process::id().to_string(),
            self.clock.now(),
        );
        runtime()?.block_on(async {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let task = JournalTask::spawn(self.journal, app.state.last_seq, tx, JOURNAL_POLL);
            let side = background(task.writer());
            let services = Services {
                clock: self.clock,
                writer: task.writer(),
                journal_writes: self.journal_writes,
                tail: rx,
                api: self.api,
            };
            let result = run::run(app, services).await;
            side.abort();
            task.shutdown();
            result
        })
    }
}

fn summary(path: &Path, app: &App) {
    let s = &app.state;
    println!(
        "{} — {} ({}, {} alerts, {} actions)",
        s.meta.title,
        s.meta.status,
        s.meta.severity,
        s.alerts.len(),
        s.actions.len()
    );
    println!("Journal: {}", path.display());
    println!("  reopen:  warroom demo --journal {}", path.display());
    println!("  verify:  warroom verify {}", path.display());
}

fn replay(cli: &Cli, config: &Config, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let (keymap, theme) = look(cli, config)?;
    let _log = start_logging();
    if args.source.is_dir() {
        anyhow::bail!(
            "{}: replaying CloudTrail directories is not available in this version yet; give an incident journal",
            args.source.display()
        );
    }
    let journal = Journal::open_existing(&args.source)?;
    let records = journal.read_all()?;
    let end = records.iter().map(|r| r.at).max().unwrap_or_else(Utc::now);
    let console = Console {
        journal,
        state: IncidentState::from_records(&records),
        mode: Mode {
            kind: ModeKind::Replay,
            read_only: true,
            dry_run: cli.dry_run,
        },
        clock: Arc::new(FixedClock(end)),
        api: None,
        // A closed incident is looked at, not changed.
        journal_writes: false,
    };
    console.run(config, keymap, theme, |_| tokio::spawn(async {}))?;
    Ok(ExitCode::SUCCESS)
}

fn verify(cli: &Cli, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let path = args
        .path
        .clone()
        .or_else(|| cli.journal.clone())
        .context("which journal? usage: warroom verify <PATH>")?;
    let journal = Journal::open_existing(&path)?;
    match journal.verify()? {
        Ok(report) => {
            let incident = journal
                .read_after(0, 1)?
                .into_iter()
                .find_map(|r| match r.body {
                    RecordBody::IncidentOpened(o) => Some(o.title),
                    _ => None,
                })
                .unwrap_or_default();
            println!(
                "{}: intact — {} records, head {}{}",
                path.display(),
                report.records,
                report.head,
                if incident.is_empty() {
                    String::new()
                } else {
                    format!(" ({incident})")
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(bad) => {
            eprintln!("{}: TAMPERED — {bad}", path.display());
            Ok(ExitCode::from(1))
        }
    }
}
