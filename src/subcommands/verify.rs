//! `warroom verify`: the journal's hash chain, checked.

use crate::cli::{Cli, VerifyArgs};
use crate::journal::Journal;
use crate::model::RecordBody;
use anyhow::Context;
use std::process::ExitCode;

pub(super) fn verify(cli: &Cli, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
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
