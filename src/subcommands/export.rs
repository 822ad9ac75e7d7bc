//! `warroom export`: the postmortem of an incident, from its journal.

use crate::cli::{ExportArgs, ExportFormat};
use crate::export::{self, JournalCheck};
use crate::journal::Journal;
use crate::state::IncidentState;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(super) fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let journal = Journal::open_existing(&args.journal)?;
    let records = journal.read_all()?;
    let check = check(&journal)?;
    if let JournalCheck::Tampered { finding } = &check {
        // The postmortem is still written (it says so too): the journal is the only record
        // of what happened, tampered or not.
        eprintln!("{}: TAMPERED — {finding}", args.journal.display());
    }
    let state = IncidentState::from_records(&records);
    let postmortem = export::postmortem(&state).with_journal(check);
    let text = match args.format {
        ExportFormat::Md => export::markdown(&postmortem),
        ExportFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&export::json(&postmortem))?
        ),
        ExportFormat::Csv => export::csv(&postmortem),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("postmortem written to {}", path.display());
        }
        None => print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn check(journal: &Journal) -> anyhow::Result<JournalCheck> {
    Ok(match journal.verify()? {
        Ok(report) => JournalCheck::Verified {
            records: report.records,
            head: report.head,
        },
        Err(bad) => JournalCheck::Tampered {
            finding: bad.to_string(),
        },
    })
}

/// Writes to standard output; a reader that stopped early (`| head`) is not an error.
fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}
