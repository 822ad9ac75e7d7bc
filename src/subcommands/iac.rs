//! `warroom iac check`: templates judged before deploy, for a terminal or a pipeline.

use crate::cli::{IacCheckArgs, IacFormat, IacLevel};
use crate::config::Config;
use crate::iac::{self, Selection, rules::Level, rules::RuleBook};
use std::process::ExitCode;

pub(super) fn check(config: &Config, args: &IacCheckArgs) -> anyhow::Result<ExitCode> {
    let dirs: Vec<_> = config
        .iac
        .rules
        .iter()
        .chain(&args.rules)
        .cloned()
        .collect();
    let (book, rule_problems) = RuleBook::load(&dirs);
    let selection = Selection {
        only: config.iac.only.iter().chain(&args.only).cloned().collect(),
        skip: config.iac.skip.iter().chain(&args.skip).cloned().collect(),
    };
    let unknown = selection.unknown(&book);
    if !unknown.is_empty() {
        anyhow::bail!(
            "no rule is called {}; rules: {}",
            unknown.join(", "),
            book.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
        );
    }
    let mut report = iac::check(&args.paths, &book, &selection);
    // A rule that could not be read is a check not made: said, and the exit code says so.
    report.problems.splice(0..0, rule_problems);
    // What could not be read is said on stderr, whatever the format; the rest is checked.
    for p in &report.problems {
        eprintln!("warroom: {p}");
    }
    match args.format {
        IacFormat::Table => print!("{}", iac::table(&report)),
        IacFormat::Json => println!("{}", serde_json::to_string_pretty(&report.violations)?),
        IacFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&iac::sarif::sarif(&report, &book))?
        ),
    }
    let threshold = match args.fail_on {
        IacLevel::Warning => Level::Warning,
        IacLevel::Failure => Level::Failure,
    };
    Ok(if report.worst().is_some_and(|w| w >= threshold) {
        ExitCode::from(1)
    } else if !report.problems.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
