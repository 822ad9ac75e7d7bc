//! `warroom serve`: the Slack bridge on an incident's journal.

use super::console::{mirror, unattended};
use super::live::connect_options;
use super::{JOURNAL_POLL, runtime, start_logging};
use crate::chat::bridge::{self, Bridge, BridgeConfig};
use crate::chat::slack::SlackApi;
use crate::chat::verify::Verifier;
use crate::cli::{Cli, ServeArgs};
use crate::clock::{JournalClock, SharedClock, SystemClock};
use crate::config::Config;
use crate::journal::{Journal, JournalTask, TailEvent};
use crate::respond::ResponseApi;
use crate::source::Source;
use crate::source::demo::play::DemoSource;
use crate::source::demo::{scenario, world::DemoWorld};
use crate::source::ingest::{self, Ingest};
use crate::state::IncidentState;
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;

pub(super) fn serve(cli: &Cli, config: &Config, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let _log = if args.log_stdout {
        Some(crate::logging::init_stdout())
    } else {
        start_logging()
    };
    let settings = config.slack.settings(cli.slack_api_url.as_deref())?;
    let path = cli.journal.clone().context(
        "which incident? give the journal the console writes: warroom serve --journal PATH",
    )?;
    let mut journal = Journal::open_existing(&path)?;
    let mut records = journal.read_all()?;
    let signing = settings.signing_secret.clone();
    if signing.is_none() && !args.socket_mode {
        anyhow::bail!(
            "no signing secret: set SLACK_SIGNING_SECRET (or slack.signing_secret), or use --socket-mode with SLACK_APP_TOKEN"
        );
    }
    if args.socket_mode && settings.app_token.is_none() {
        anyhow::bail!(
            "--socket-mode needs the app-level token: set SLACK_APP_TOKEN (or slack.app_token)"
        );
    }
    let rt = runtime()?;
    // What the bridge acts on: the demo account, or the real one.
    let demo = args.demo.then(|| {
        let world = Arc::new(DemoWorld::new(scenario::founding_scenario()));
        world.restore(&IncidentState::from_records(&records));
        world
    });
    let journal_clock = Arc::new(JournalClock::default());
    let (api, clock): (Arc<dyn ResponseApi>, SharedClock) = match &demo {
        Some(world) => (world.clone(), journal_clock.clone()),
        None => {
            let reached = super::live::reach(&args.aws, config, &rt)?;
            let responder = reached.responder();
            if let Some(archive) = &args.aws.cloudtrail {
                let (detections, _) = super::detect::console_detections(config)?;
                let mut ingest = Ingest::with(detections.detector());
                ingest.prime(&records);
                let added = super::live::journal_archive(
                    archive,
                    &connect_options(&args.aws, config),
                    &mut journal,
                    &mut ingest,
                    &IncidentState::from_records(&records),
                    chrono::Utc::now(),
                    &rt,
                )?;
                records.extend(added);
            }
            for line in reached.acting_in().values() {
                println!("acting in {line}");
            }
            for u in &reached.unreachable {
                eprintln!(
                    "warroom: account {} left out: {}",
                    u.account_id, u.failure.message
                );
            }
            (responder, Arc::new(SystemClock))
        }
    };
    let api_for_policies = api.clone();
    let slack = match &settings.bot_token {
        Some(t) => Some(SlackApi::new(&settings.api_url, t).context("starting the Slack client")?),
        None => None,
    };
    let result: anyhow::Result<()> = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // What the journal holds now is known before the first request is taken.
        let last = records.last().map_or(0, |r| r.seq);
        let task = JournalTask::spawn(Journal::open(&path)?, last, tx, JOURNAL_POLL);
        let bridge = Arc::new(Bridge::new(
            BridgeConfig {
                permissions: settings.permissions.clone(),
                two_person: settings.two_person,
                confirm_for: settings.confirm_for,
                read_only: cli.read_only,
                dry_run: cli.dry_run,
            },
            Verifier::new(&signing.clone().unwrap_or_default()),
            task.writer(),
            api,
            slack,
            clock.clone(),
        ));
        bridge.observe(&records);
        if let Some(last) = records.iter().map(|r| r.at).max() {
            journal_clock.saw(last);
        }
        let mut side = tokio::task::JoinSet::new();
        {
            // The bridge follows the journal: what the console and the bridge itself wrote.
            let (bridge, world, journal_clock) =
                (bridge.clone(), demo.clone(), journal_clock.clone());
            side.spawn(async move {
                while let Some(event) = rx.recv().await {
                    if let TailEvent::Records(records) = event {
                        for r in &records {
                            journal_clock.saw(r.at);
                            if let Some(w) = &world {
                                w.observe(r);
                            }
                        }
                        bridge.observe(&records);
                    }
                }
            });
        }
        if let Some(world) = demo.clone() {
            // The demo account's answers to what the bridge did (its CloudTrail, its IAM),
            // through the detections like any source's facts.
            let (detections, _) = super::detect::console_detections(config)?;
            let mut ingest = Ingest::with(detections.detector());
            ingest.prime(&records);
            let sources: Vec<Box<dyn Source>> = vec![Box::new(DemoSource::answering(
                world,
                std::time::Duration::from_millis(100),
            ))];
            ingest::run(sources, ingest, task.writer(), clock.clone(), &mut side);
        }
        let infra = super::console::infrastructure(cli, config, args.demo);
        let code = infra.code.clone();
        if let Some(m) = mirror(
            &settings,
            &path,
            clock.clone(),
            "serve",
            code,
            config.iac.notify,
        )? {
            side.spawn(m);
        }
        if let Some(p) = unattended(config, cli, &path, Some(api_for_policies), clock.clone()) {
            side.spawn(p);
        }
        if args.socket_mode {
            let token = settings.app_token.clone().unwrap_or_default();
            side.spawn(crate::chat::socket::run(
                bridge.clone(),
                settings.api_url.clone(),
                token,
            ));
        }
        {
            // Refusals of unverified requests reach the journal as counts, once a minute.
            let bridge = bridge.clone();
            side.spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
                loop {
                    tick.tick().await;
                    bridge.flush_refusals(false);
                }
            });
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("watching for SIGTERM")?;
        let stop = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        let served = if signing.is_some() {
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("cannot listen on {}", args.listen))?;
            println!(
                "warroom serve: http://{}/slack/commands and /slack/interactions — incident {}",
                listener.local_addr()?,
                path.display()
            );
            crate::chat::http::serve(
                listener,
                bridge::router(bridge.clone()),
                crate::chat::http::Limits::default(),
                stop,
            )
            .await;
            Ok(())
        } else {
            println!(
                "warroom serve: Socket Mode only — incident {}",
                path.display()
            );
            stop.await;
            Ok(())
        };
        side.abort_all();
        bridge.flush_refusals(true);
        let lost = task.shutdown();
        served.and_then(|()| super::console::unwritten(lost, &path))
    });
    result?;
    Ok(ExitCode::SUCCESS)
}
