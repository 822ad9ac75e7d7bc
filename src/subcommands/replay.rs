//! `warroom replay`: a recorded incident (a journal, read-only) or a CloudTrail archive,
//! under a replay clock.

use super::console::{Background, Console};
use super::{look, runtime, start_logging};
use crate::archive::Source;
use crate::cli::{Cli, ReplayArgs};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::journal::{self, Journal};
use crate::replay::{ReplayClock, parse_jump};
use crate::state::IncidentState;
use crate::tui::app::{Mode, ModeKind};
use crate::tui::loader;
use std::process::ExitCode;
use std::sync::Arc;

pub(super) fn replay(cli: &Cli, config: &Config, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let (keymap, theme) = look(cli, config)?;
    let _log = start_logging();
    let source = Source::parse(&args.source);
    let mode = Mode {
        kind: ModeKind::Replay,
        read_only: true,
        dry_run: cli.dry_run,
    };
    let rt = runtime()?;
    match source {
        Source::Local(path) if journal::is_journal_file(&path) => {
            let journal = Journal::open_existing(&path)?;
            let records = journal.read_all()?;
            let at = match &args.at {
                Some(text) => Some(journal_time(text, &records)?),
                None => None,
            };
            let console = Console {
                journal,
                state: IncidentState::from_records(&records),
                mode,
                // The wall clock paces the replay's own.
                clock: Arc::new(SystemClock),
                api: None,
                // A closed incident is looked at, not changed.
                journal_writes: false,
                // Its alerts are the journaled ones: no detection runs.
                warning: None,
                code: super::console::infrastructure(cli, config, false).code,
            };
            let (speed, play) = (args.speed, args.play);
            console.run_with(
                &rt,
                config,
                keymap,
                theme,
                |_| Background::none(),
                |app| {
                    app.replay_journal(records, at, speed, play);
                    Ok(())
                },
            )?;
        }
        source => {
            if let Source::Local(path) = &source
                && !path.exists()
            {
                anyhow::bail!("{}: no such file or directory", path.display());
            }
            if args.at.is_some() {
                anyhow::bail!(
                    "--at is for journals; an archive's clock is known once it is read: use :jump in the console"
                );
            }
            // The console needs a journal to stand on; an archive's replay writes nothing
            // to it, and it goes when the console closes.
            let scratch =
                std::env::temp_dir().join(format!("warroom-replay-{}.sqlite", std::process::id()));
            let (detections, warning) = super::detect::console_detections(config)?;
            let console = Console {
                journal: Journal::open(&scratch)?,
                state: IncidentState::default(),
                mode,
                clock: Arc::new(SystemClock),
                api: None,
                journal_writes: false,
                warning,
                code: super::console::infrastructure(cli, config, false).code,
            };
            let (loader, problems) = loader::start(
                source.clone(),
                super::live::s3_options(&args.aws, config),
                Some(detections),
                rt.handle().clone(),
            );
            let (speed, play) = (args.speed, args.play);
            let label = source.to_string();
            let result = console.run_with(
                &rt,
                config,
                keymap,
                theme,
                |_| Background {
                    loader: Some(loader),
                    ..Background::none()
                },
                |app| {
                    app.replay_archive(label, None, speed, play);
                    Ok(())
                },
            );
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
            }
            let app = result?;
            if let Some(load) = &app.load {
                println!(
                    "{}: {} events from {} files{}",
                    load.source,
                    load.events,
                    load.files_done,
                    if load.done {
                        ""
                    } else {
                        " (stopped before the end)"
                    }
                );
            }
            super::query::report(&problems.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--at` for a journal, read against the clock its records make.
fn journal_time(
    text: &str,
    records: &[crate::model::Record],
) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let (Some(first), Some(last)) = (
        records.iter().map(|r| r.at).min(),
        records.iter().map(|r| r.at).max(),
    ) else {
        anyhow::bail!("the journal is empty: nothing to replay");
    };
    let clock = ReplayClock::new(first - chrono::Duration::seconds(1), last, last, 1.0);
    parse_jump(text, &clock).map_err(|e| anyhow::anyhow!("--at {e}"))
}
