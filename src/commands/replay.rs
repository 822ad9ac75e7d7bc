//! `warroom replay`: a recorded incident, read-only.

use super::console::{Background, Console};
use super::{look, runtime, start_logging};
use crate::cli::{Cli, ReplayArgs};
use crate::clock::FixedClock;
use crate::config::Config;
use crate::journal::Journal;
use crate::state::IncidentState;
use crate::tui::app::{Mode, ModeKind};
use chrono::Utc;
use std::process::ExitCode;
use std::sync::Arc;

pub(super) fn replay(cli: &Cli, config: &Config, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
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
