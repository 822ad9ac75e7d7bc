//! `warroom detect`: every detection over a journal, a CloudTrail file, a directory or an
//! S3 prefix, printed for a pipeline or a cron job.

use crate::archive::read::ReadOptions;
use crate::archive::{ReadProgress, Source, read_source};
use crate::cli::{DetectArgs, DetectFormat};
use crate::config::Config;
use crate::detect::rules::{self, RuleSources};
use crate::detect::sigma::LoadError;
use crate::detect::{Detections, Verdicts};
use crate::journal::Journal;
use crate::model::{Alert, CloudTrailEvent, RecordBody};
use anyhow::Context;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

pub(super) fn detect(config: &Config, args: &DetectArgs) -> anyhow::Result<ExitCode> {
    let sources = if args.only_given_rules {
        anyhow::ensure!(
            !args.rules.is_empty(),
            "--only-given-rules needs at least one --rules DIR"
        );
        RuleSources {
            starter: false,
            paths: args.rules.clone(),
        }
    } else {
        rule_sources(config, &args.rules)
    };
    let fail_on = args
        .fail_on
        .as_deref()
        .map(|s| {
            crate::model::Severity::parse(s).with_context(|| {
                format!("--fail-on {s:?}: use critical, high, medium, low or info")
            })
        })
        .transpose()?;
    let (detections, _) = load_detections(config, &sources)?;
    let (since, until) = super::time_range(args.since.as_deref(), args.until.as_deref())?;
    let in_range = |e: &CloudTrailEvent| {
        since.is_none_or(|s| e.event_time >= s) && until.is_none_or(|u| e.event_time <= u)
    };
    let source = Source::parse(args.source.as_deref().unwrap_or_default());
    let (events, verdicts, problems) = match &source {
        _ if args.athena.is_some() => {
            match super::athena::detect_events(config, args, &detections, since, until)? {
                Some(found) => found,
                None => return Ok(ExitCode::SUCCESS),
            }
        }
        Source::Local(path) if crate::journal::is_journal_file(path) => {
            let records = Journal::open_existing(path)?.read_all()?;
            let events: Vec<Arc<CloudTrailEvent>> = records
                .into_iter()
                .filter_map(|r| match r.body {
                    RecordBody::Event(e) if in_range(&e) => Some(e),
                    _ => None,
                })
                .collect();
            // A journal's events hold their JSON: the detector reads it as it goes.
            (events, Verdicts::default(), Vec::new())
        }
        Source::Local(path) if !path.exists() => {
            anyhow::bail!("{}: no such file or directory", path.display())
        }
        _ => read_all(
            &source,
            &super::live::s3_options(&args.aws, config),
            &detections,
            since,
            until,
        )?,
    };
    let alerts = detections.run_over(&events, &verdicts);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        DetectFormat::Jsonl => write_jsonl(&mut out, &alerts)?,
        DetectFormat::Table => write_table(&mut out, &alerts)?,
    }
    out.flush().context("writing the alerts")?;
    super::query::report(&problems);
    eprintln!(
        "{} alerts from {} events ({} Sigma rules and the built-in detections)",
        alerts.len(),
        events.len(),
        detections.rules.len()
    );
    if let Some(at) = fail_on {
        let over = alerts.iter().filter(|a| a.severity >= at).count();
        if over > 0 {
            eprintln!("{over} alerts at {at} or above (--fail-on {at})");
            return Ok(ExitCode::from(3));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The grouping and the rules for this run, and the rules that could not be loaded, which
/// are named on standard error with their reasons; the rest run.
pub(super) fn load_detections(
    config: &Config,
    sources: &RuleSources,
) -> anyhow::Result<(Detections, Vec<LoadError>)> {
    let settings = rules::settings(config.detect.group_window.as_deref(), &config.detect.allow)?;
    let loaded = rules::load(sources);
    report_rule_problems(&loaded.problems);
    let detections = Detections {
        settings,
        rules: loaded.rules,
    };
    Ok((detections, loaded.problems))
}

/// The detections a console runs: the configured grouping and rules; and, when some rules
/// could not be loaded, the warning the console opens with (they are listed on standard
/// error, which shows again when the console closes).
pub(super) fn console_detections(config: &Config) -> anyhow::Result<(Detections, Option<String>)> {
    let (detections, problems) = load_detections(config, &rule_sources(config, &[]))?;
    let warning = problems.first().map(|first| {
        format!(
            "{} Sigma rules not loaded, e.g. {first} (all listed on exit)",
            problems.len()
        )
    });
    Ok((detections, warning))
}

/// The rules that were not loaded, each with its reason, on standard error.
pub(super) fn report_rule_problems(problems: &[LoadError]) {
    if problems.is_empty() {
        return;
    }
    eprintln!(
        "{} Sigma rules were not loaded (the others run):",
        problems.len()
    );
    for p in problems {
        eprintln!("  {p}");
    }
}

/// Everything in an archive (local or S3), with the Sigma verdicts reached as it was read.
#[allow(clippy::type_complexity)]
fn read_all(
    source: &Source,
    aws: &crate::source::aws::connect::ConnectOptions,
    detections: &Detections,
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<(
    Vec<Arc<CloudTrailEvent>>,
    Verdicts,
    Vec<crate::archive::Problem>,
)> {
    let rt = super::runtime()?;
    let found = Mutex::new((Vec::new(), Verdicts::default()));
    let opts = ReadOptions {
        rules: Some(detections.rules.clone()),
        since,
        until,
        ..ReadOptions::default()
    };
    let progress = ReadProgress::default();
    let summary = super::with_progress(source, &progress, || {
        read_source(
            source,
            &opts,
            aws,
            &progress,
            &|batch| {
                let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
                found.0.extend(batch.events);
                found.1.extend(batch.verdicts);
            },
            rt.handle(),
        )
    });
    let (events, verdicts) = found.into_inner().unwrap_or_else(|p| p.into_inner());
    if events.is_empty()
        && let Some(first) = summary.problems.first()
    {
        // Nothing could be read at all: that is a failure, not an empty result. Anything
        // read is judged, and what was skipped is named on standard error.
        anyhow::bail!(
            "nothing could be read: {}: {}{}",
            first.path,
            first.reason,
            match summary.problems.len() {
                1 => String::new(),
                n => format!(" (and {} more problems)", n - 1),
            }
        );
    }
    Ok((events, verdicts, summary.problems))
}

fn write_jsonl(out: &mut dyn Write, alerts: &[Alert]) -> std::io::Result<()> {
    for a in alerts {
        let line = serde_json::json!({
            "rule": a.rule,
            "severity": a.severity.as_str(),
            "title": a.title,
            "explanation": a.explanation,
            "principal": a.principal,
            "accessKeyId": a.access_key_id,
            "sourceIPAddress": a.source_ip,
            "firstSeen": a.first_seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "lastSeen": a.last_seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "count": a.count,
            "spendPerHour": a.spend_per_hour,
            "eventIDs": a.event_ids,
            "id": a.id,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn write_table(out: &mut dyn Write, alerts: &[Alert]) -> std::io::Result<()> {
    let time = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                a.severity.as_str().to_uppercase(),
                a.rule.clone(),
                a.principal.clone().unwrap_or_else(|| "-".into()),
                a.access_key_id.clone().unwrap_or_else(|| "-".into()),
                time(&a.first_seen),
                time(&a.last_seen),
                a.count.to_string(),
                a.event_ids.join(","),
            ]
        })
        .collect();
    let header = [
        "SEVERITY",
        "RULE",
        "PRINCIPAL",
        "ACCESS KEY",
        "FIRST SEEN",
        "LAST SEEN",
        "COUNT",
        "EVENT IDS",
    ];
    out.write_all(crate::model::tabular::table(&header, &rows).as_bytes())
}

/// Where the rules come from: the configuration's `[detect]` section, then `extra`.
pub(crate) fn rule_sources(config: &Config, extra: &[std::path::PathBuf]) -> RuleSources {
    RuleSources::new(
        config.detect.starter_rules.unwrap_or(true),
        &config.detect.rules,
        extra,
    )
}
