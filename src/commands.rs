//! What each subcommand does.

use crate::cli::{Cli, Command, DemoArgs, LiveArgs, ReplayArgs, VerifyArgs};
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
/// Stack of each async worker thread (address space, not memory, until used).
pub const WORKER_STACK: usize = 16 * 1024 * 1024;
/// How often the journal is checked for records written by other processes.
const JOURNAL_POLL: std::time::Duration = std::time::Duration::from_millis(300);

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    match &cli.command {
        Command::Demo(args) => demo(&cli, &config, args),
        Command::Replay(args) => replay(&cli, &config, args),
        Command::Verify(args) => verify(&cli, args),
        Command::Live(args) => live(&cli, &config, args),
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
        // The SDK's (de)serialisers of large shapes (a Security Hub finding has hundreds of
        // fields) take deep stacks in unoptimised builds; reserve room rather than abort.
        .thread_stack_size(WORKER_STACK)
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
    let rt = runtime()?;
    let final_app = console.run(&rt, config, keymap, theme, move |writer| {
        // The demo world plays what has fallen due, through the detector, into the journal.
        let mut background = Background::none();
        background.tasks.spawn(async move {
            let mut tick = tokio::time::interval(WORLD_TICK);
            loop {
                tick.tick().await;
                let now = clock.now();
                let due = world.advance(now);
                if !due.is_empty() {
                    writer.append(ingest.process(now, due));
                }
            }
        });
        background
    })?;
    summary(&path, &final_app, "demo");
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

/// What runs beside the console: tasks feeding the journal, and the channels of live mode.
struct Background {
    tasks: tokio::task::JoinSet<()>,
    lookups: Option<tokio::sync::mpsc::UnboundedSender<crate::tui::pivot::Pivot>>,
    reports: Option<tokio::sync::mpsc::UnboundedReceiver<crate::source::SourceReport>>,
    identity: Option<String>,
    own_key: Option<String>,
}

impl Background {
    fn none() -> Self {
        Background {
            tasks: tokio::task::JoinSet::new(),
            lookups: None,
            reports: None,
            identity: None,
            own_key: None,
        }
    }
}

impl Console {
    /// Runs the console until the user quits, with what `background` starts (given a journal
    /// writer) running beside it. Returns the app as it was at the end.
    fn run(
        self,
        rt: &tokio::runtime::Runtime,
        config: &Config,
        keymap: Keymap,
        theme: Theme,
        background: impl FnOnce(JournalWriter) -> Background,
    ) -> anyhow::Result<App> {
        let mut app = App::new(
            self.state,
            self.mode,
            keymap,
            theme,
            format!("{}@tui", config.responder()),
            std::process::id().to_string(),
            self.clock.now(),
        );
        rt.block_on(async {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let task = JournalTask::spawn(self.journal, app.state.last_seq, tx, JOURNAL_POLL);
            let mut side = background(task.writer());
            app.identity = side.identity.take();
            app.own_key = side.own_key.take();
            let services = Services {
                clock: self.clock,
                writer: task.writer(),
                journal_writes: self.journal_writes,
                tail: rx,
                api: self.api,
                lookups: side.lookups.take(),
                reports: side.reports.take(),
            };
            let result = run::run(app, services).await;
            side.tasks.abort_all();
            task.shutdown();
            result
        })
    }
}

fn live(cli: &Cli, config: &Config, args: &LiveArgs) -> anyhow::Result<ExitCode> {
    use crate::model::{IncidentOpened, NewRecord, Severity, SourceStatus};
    use crate::source::aws::{connect, live};
    let (keymap, theme) = look(cli, config)?;
    let _log = start_logging();
    let aws = &config.aws;
    let opts = connect::ConnectOptions {
        profile: args.profile.clone().or_else(|| aws.profile.clone()),
        regions: if args.regions.is_empty() {
            aws.regions.clone()
        } else {
            args.regions.clone()
        },
        endpoint_url: args
            .endpoint_url
            .clone()
            .or_else(|| aws.endpoint_url.clone()),
    };
    let lookback = match args.lookback.as_deref().or(aws.lookback.as_deref()) {
        Some(text) => chrono::Duration::from_std(
            humantime::parse_duration(text).with_context(|| format!("--lookback {text:?}"))?,
        )?,
        None => live::LiveOptions::default().lookback,
    };
    let min = match args
        .min_severity
        .as_deref()
        .or(aws.securityhub_min_severity.as_deref())
    {
        Some(s) => Severity::parse(s).with_context(|| {
            format!("unknown severity {s:?}: use critical, high, medium, low or info")
        })?,
        None => live::LiveOptions::default().securityhub_min,
    };
    let poll =
        std::time::Duration::from_secs(args.poll_seconds.or(aws.poll_seconds).unwrap_or(30).max(1));
    let live_opts = live::LiveOptions {
        cloudtrail_every: poll,
        others_every: poll * 4,
        lookback,
        securityhub_min: min,
        ..Default::default()
    };
    let rt = runtime()?;
    // Who are we? Asked before the screen is taken, so a credentials problem reads plainly.
    let account = rt
        .block_on(connect::connect(&opts))
        .map_err(|f| anyhow::anyhow!("cannot connect to AWS: {}", connect::explain(&f)))?;
    let path = cli
        .journal
        .clone()
        .unwrap_or_else(|| new_journal_path(config, &format!("live-{}", account.account_id)));
    let mut journal = Journal::open(&path)?;
    let mut all = journal.read_all()?;
    let clock: SharedClock = Arc::new(crate::clock::SystemClock);
    if all.is_empty() {
        let now = clock.now();
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "live".into());
        let opening = vec![
            NewRecord::new(
                now,
                format!("{}@tui", config.responder()),
                RecordBody::IncidentOpened(IncidentOpened {
                    id,
                    title: format!("Account {}", account.account_id),
                    severity: Severity::Medium,
                    source: "live".into(),
                }),
            ),
            NewRecord::new(
                now,
                "aws",
                RecordBody::SourceStatus(SourceStatus {
                    source: "aws".into(),
                    ok: true,
                    message: format!(
                        "acting as {} in {}{}",
                        account.arn,
                        account.regions.join(", "),
                        account
                            .note
                            .as_ref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    ),
                }),
            ),
        ];
        all.extend(journal.append(&opening)?);
    }
    let state = IncidentState::from_records(&all);
    let mut ingest = Ingest::new();
    ingest.prime(&all);
    let (records_tx, mut records_rx) =
        tokio::sync::mpsc::unbounded_channel::<Vec<crate::model::NewRecord>>();
    let (reports_tx, reports_rx) = tokio::sync::mpsc::unbounded_channel();
    let channels = live::Channels {
        records: records_tx,
        reports: reports_tx,
        clock: clock.clone(),
    };
    let sources = {
        let _guard = rt.enter();
        live::start(&account, live_opts, channels, &state)
    };
    let console = Console {
        journal,
        state,
        mode: Mode {
            kind: ModeKind::Live,
            read_only: cli.read_only,
            dry_run: cli.dry_run,
        },
        clock: clock.clone(),
        api: Some(sources.responder.clone()),
        journal_writes: true,
    };
    let identity = account.arn.clone();
    let own_key = account.own_key.clone();
    let final_app = console.run(&rt, config, keymap, theme, move |writer| {
        let mut background = Background::none();
        let live::Live {
            mut tasks, lookups, ..
        } = sources;
        // One ingest path: every source's records through the detector, then the journal.
        tasks.spawn(async move {
            while let Some(batch) = records_rx.recv().await {
                writer.append(ingest.process(clock.now(), batch));
            }
        });
        background.tasks = tasks;
        background.lookups = Some(lookups);
        background.reports = Some(reports_rx);
        background.identity = Some(identity);
        background.own_key = own_key;
        background
    })?;
    summary(&path, &final_app, "live");
    Ok(ExitCode::SUCCESS)
}

fn summary(path: &Path, app: &App, subcommand: &str) {
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
    println!(
        "  reopen:  warroom {subcommand} --journal {}",
        path.display()
    );
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
    console.run(&runtime()?, config, keymap, theme, |_| Background::none())?;
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
