//! `warroom demo`: the console on the embedded incident.

use super::console::{Background, Console, mirror, summary, unattended};
use super::{DEFAULT_DEMO_SPEED, WORLD_TICK, look, new_journal_path, runtime, start_logging};
use crate::cli::{Cli, DemoArgs};
use crate::clock::{SharedClock, VirtualClock};
use crate::config::Config;
use crate::journal::Journal;
use crate::source::Source;
use crate::source::demo::play::DemoSource;
use crate::source::demo::{scenario, world::DemoWorld};
use crate::source::ingest::{self, Ingest};
use crate::state::IncidentState;
use crate::tui::app::{Mode, ModeKind};
use chrono::Duration;
use std::process::ExitCode;
use std::sync::Arc;

pub(super) fn demo(cli: &Cli, config: &Config, args: &DemoArgs) -> anyhow::Result<ExitCode> {
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
    let (detections, warning) = super::detect::console_detections(config)?;
    let mut ingest = Ingest::with(detections.detector());
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
    // Kept to the end: the demo's repository lives as long as the demo.
    let infra = super::console::infrastructure(cli, config, true);
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
        warning: warning.or(infra.warning.clone()),
        code: infra.code.clone(),
    };
    let settings = config.slack.settings(cli.slack_api_url.as_deref())?;
    let mirrored = mirror(
        &settings,
        &path,
        clock.clone(),
        "console",
        console.code.clone(),
        config.iac.notify,
    )?;
    let policies = unattended(config, cli, &path, console.api.clone(), clock.clone());
    let rt = runtime()?;
    let final_app = console.run(&rt, config, keymap, theme, move |writer| {
        // The demo world plays what has fallen due, through the detections, into the journal.
        let mut background = Background::none();
        let observed = world.clone();
        background.observer = Some(Arc::new(move |r| observed.observe(r)));
        if let Some(m) = mirrored {
            background.tasks.spawn(m);
            background.slack = settings.channel.clone();
        }
        if let Some(p) = policies {
            background.tasks.spawn(p);
        }
        let sources: Vec<Box<dyn Source>> = vec![Box::new(DemoSource::playing(world, WORLD_TICK))];
        ingest::run(sources, ingest, writer, clock, &mut background.tasks);
        background
    })?;
    summary(&path, &final_app, "demo");
    Ok(ExitCode::SUCCESS)
}
