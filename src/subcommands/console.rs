//! Opening the console on a journal, with what runs beside it.

use super::JOURNAL_POLL;
use crate::chat::blocks::MirrorOptions;
use crate::chat::outbox::{self, MirrorConfig};
use crate::chat::slack::SlackApi;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::config::SlackSettings;
use crate::journal::{Journal, JournalTask, JournalWriter};
use crate::respond::ResponseApi;
use crate::state::IncidentState;
use crate::tui::app::{App, Mode};
use crate::tui::keymap::Keymap;
use crate::tui::run::{self, Services};
use crate::tui::theme::Theme;
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;

/// A console about to open: its journal, what it shows, and what it may do.
pub(super) struct Console {
    pub journal: Journal,
    pub state: IncidentState,
    pub mode: Mode,
    pub clock: SharedClock,
    pub api: Option<Arc<dyn ResponseApi>>,
    pub journal_writes: bool,
    /// Shown as the console opens (rules that could not be loaded).
    pub warning: Option<String>,
    /// The infrastructure code findings lead to.
    pub code: Arc<crate::iac::locate::Code>,
}

/// The infrastructure code findings lead to: the configured repositories (`[iac] repos`,
/// `--iac-repo`), or, for the demo when none is, the demo account's own.
pub(super) struct Infrastructure {
    pub code: Arc<crate::iac::locate::Code>,
    /// What could not be read, in a line for the console.
    pub warning: Option<String>,
    /// The demo's repository, written for this run and removed with it.
    _demo: Option<tempfile::TempDir>,
}

/// Reads the templates now and their history on a thread of its own, so the console opens
/// at once; whoever must name authors waits for it (`Code::wait_for_history`).
pub(super) fn infrastructure(cli: &crate::cli::Cli, config: &Config, demo: bool) -> Infrastructure {
    use crate::iac::locate::Code;
    let mut repos: Vec<std::path::PathBuf> = config
        .iac
        .repos
        .iter()
        .chain(&cli.iac_repos)
        .cloned()
        .collect();
    let (rules, mut problems) = crate::iac::rules::RuleBook::load(&config.iac.rules);
    let mut demo_repo = None;
    if demo && repos.is_empty() {
        match demo_repository() {
            Ok((dir, root)) => {
                repos.push(root);
                demo_repo = Some(dir);
            }
            Err(e) => tracing::warn!("{e}"),
        }
    }
    let (mut code, unread) = Code::load_templates(&repos, rules);
    problems.extend(unread);
    if code.is_empty() && demo {
        // No repository could be written: the templates without their history.
        code = Code::from_texts(crate::source::demo::scenario::INFRA);
    }
    let code = Arc::new(code.with_stacks(config.iac.stacks.clone()));
    let reading = code.clone();
    std::thread::spawn(move || {
        for p in reading.read_history() {
            tracing::warn!("{p}");
        }
    });
    let warning = (!problems.is_empty()).then(|| {
        let first = &problems[0];
        format!(
            "{} file{} of templates or rules could not be read ({first}{})",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if problems.len() > 1 { ", …" } else { "" }
        )
    });
    Infrastructure {
        code,
        warning,
        _demo: demo_repo,
    }
}

/// The demo account's repository, with its history, in a directory removed when dropped.
fn demo_repository() -> anyhow::Result<(tempfile::TempDir, std::path::PathBuf)> {
    let dir = tempfile::Builder::new()
        .prefix("warroom-demo-infra-")
        .tempdir()?;
    let root =
        crate::source::demo::infra::write_repository(dir.path()).map_err(anyhow::Error::msg)?;
    Ok((dir, root))
}

/// What runs beside the console: tasks feeding the journal, and the channels of live mode.
pub(super) struct Background {
    pub tasks: tokio::task::JoinSet<()>,
    pub lookups: Option<tokio::sync::mpsc::UnboundedSender<crate::state::pivot::Pivot>>,
    pub reports: Option<tokio::sync::mpsc::UnboundedReceiver<crate::source::SourceReport>>,
    pub identity: Option<String>,
    /// The account and the principal the confirmations name.
    pub acting: Option<String>,
    /// With several accounts: what the confirmations name, by account.
    pub acting_in: std::collections::BTreeMap<String, String>,
    pub own_key: Option<String>,
    /// The Slack channel the mirror posts to, when it does.
    pub slack: Option<String>,
    pub observer: Option<crate::tui::run::Observer>,
    pub loader: Option<crate::tui::run::Loader>,
}

impl Background {
    pub(super) fn none() -> Self {
        Background {
            tasks: tokio::task::JoinSet::new(),
            lookups: None,
            reports: None,
            identity: None,
            acting: None,
            acting_in: Default::default(),
            own_key: None,
            slack: None,
            observer: None,
            loader: None,
        }
    }
}

impl Console {
    /// Runs the console until the user quits, with what `background` starts (given a journal
    /// writer) running beside it. Returns the app as it was at the end.
    pub(super) fn run(
        self,
        rt: &tokio::runtime::Runtime,
        config: &Config,
        keymap: Keymap,
        theme: Theme,
        background: impl FnOnce(JournalWriter) -> Background,
    ) -> anyhow::Result<App> {
        self.run_with(rt, config, keymap, theme, background, |_| Ok(()))
    }

    /// As `run`, with `prepare` setting the app up before the screen is taken (a replay's
    /// clock); its error ends the command with a message instead.
    pub(super) fn run_with(
        self,
        rt: &tokio::runtime::Runtime,
        config: &Config,
        keymap: Keymap,
        theme: Theme,
        background: impl FnOnce(JournalWriter) -> Background,
        prepare: impl FnOnce(&mut App) -> anyhow::Result<()>,
    ) -> anyhow::Result<App> {
        // The journal is tailed from where it ends now, not from the state `prepare` leaves:
        // a replay rewinds its state to the clock, and the records after it are the
        // replay's to reveal, not new ones arriving.
        let tail_from = self.state.last_seq;
        let mut app = App::new(
            self.state,
            self.mode,
            keymap,
            theme,
            format!("{}@tui", config.responder()),
            self.clock.now(),
        );
        app.code = self.code.clone();
        prepare(&mut app)?;
        if let Some(w) = &self.warning {
            app.warn(w);
        }
        let path = self.journal.path().to_path_buf();
        rt.block_on(async {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let task = JournalTask::spawn(self.journal, tail_from, tx, JOURNAL_POLL);
            let mut side = background(task.writer());
            app.identity = side.identity.take();
            app.acting = side.acting.take();
            app.acting_in = std::mem::take(&mut side.acting_in);
            app.own_key = side.own_key.take();
            app.slack = side.slack.take();
            let services = Services {
                clock: self.clock,
                writer: task.writer(),
                journal_writes: self.journal_writes,
                tail: rx,
                api: self.api,
                lookups: side.lookups.take(),
                reports: side.reports.take(),
                observer: side.observer.take(),
                loader: side.loader.take(),
            };
            let result = run::run(app, services).await;
            side.tasks.abort_all();
            unwritten(task.shutdown(), &path)?;
            result
        })
    }
}

/// Ends the command with an error (and so a non-zero exit) when records were lost: what the
/// journal could not take by the end is named, never only logged.
pub(super) fn unwritten(count: usize, path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        count == 0,
        "{count} records could not be written to {} (see the log for why)",
        path.display()
    );
    Ok(())
}

pub(super) fn summary(path: &Path, app: &App, subcommand: &str) {
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

/// A name for this process, unique enough to hold the mirror's lease.
pub(super) fn process_name(role: &str) -> String {
    format!("{role}-{}", std::process::id())
}

/// The mirror, when Slack is configured to post: a task to run beside the rest.
/// The configured unattended responses, following the journal at `path`: `None` when no
/// policy is configured.
pub(super) fn unattended(
    config: &Config,
    cli: &crate::cli::Cli,
    path: &std::path::Path,
    api: Option<Arc<dyn crate::respond::ResponseApi>>,
    clock: SharedClock,
) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
    if config.policies.is_empty() {
        return None;
    }
    let policy = crate::respond::lifecycle::Policy {
        presenter: "policy",
        read_only: cli.read_only,
        dry_run: cli.dry_run,
    };
    Some(crate::respond::unattended::run(
        path.to_path_buf(),
        config.policies.clone(),
        api,
        clock,
        policy,
    ))
}

pub(super) fn mirror(
    settings: &SlackSettings,
    path: &std::path::Path,
    clock: SharedClock,
    role: &str,
    code: Arc<crate::iac::locate::Code>,
    notify: crate::config::IacNotify,
) -> anyhow::Result<Option<impl std::future::Future<Output = ()> + Send + 'static>> {
    let (Some(token), Some(channel)) = (&settings.bot_token, &settings.channel) else {
        return Ok(None);
    };
    let api = SlackApi::new(&settings.api_url, token).context("starting the Slack client")?;
    let config = MirrorConfig::new(
        channel.clone(),
        MirrorOptions {
            min_alert_severity: settings.mirror_min,
            mentions: settings.users.clone(),
            code,
            notify_committers: notify == crate::config::IacNotify::Committers,
        },
    );
    Ok(Some(outbox::run(
        path.to_path_buf(),
        api,
        config,
        clock,
        process_name(role),
    )))
}
