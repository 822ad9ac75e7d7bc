//! `warroom live`: the console on a real AWS account.

use super::console::{Background, Console, mirror, summary, unattended};
use super::{look, new_journal_path, runtime, start_logging};
use crate::cli::{Cli, LiveArgs};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::journal::Journal;
use crate::model::RecordBody;
use crate::source::ingest::{self, Ingest};
use crate::state::IncidentState;
use crate::tui::app::{Mode, ModeKind};
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;

pub(super) fn live(cli: &Cli, config: &Config, args: &LiveArgs) -> anyhow::Result<ExitCode> {
    use crate::model::{IncidentOpened, NewRecord, Severity, SourceStatus};
    use crate::source::aws::{connect, live};
    let (keymap, theme) = look(cli, config)?;
    let _log = start_logging();
    let aws = &config.aws;
    let opts = connect_options(args, config);
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
        stacks: !config.iac.repos.is_empty() || !cli.iac_repos.is_empty(),
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
    let mut state = IncidentState::from_records(&all);
    let (detections, warning) = super::detect::console_detections(config)?;
    let mut ingest = Ingest::with(detections.detector());
    ingest.prime(&all);
    if let Some(archive) = &args.cloudtrail {
        let added = journal_archive(
            archive,
            &opts,
            &mut journal,
            &mut ingest,
            &state,
            clock.now(),
            &rt,
        )?;
        for r in &added {
            state.apply(r);
        }
    }
    let live::Live {
        sources,
        lookups,
        responder,
    } = live::sources(&account, live_opts, &state);
    let infra = super::console::infrastructure(cli, config, false);
    let console = Console {
        journal,
        state,
        mode: Mode {
            kind: ModeKind::Live,
            read_only: cli.read_only,
            dry_run: cli.dry_run,
        },
        clock: clock.clone(),
        api: Some(responder),
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
    let identity = account.arn.clone();
    let acting = account.acting();
    let own_key = account.own_key.clone();
    let policies = unattended(config, cli, &path, console.api.clone(), clock.clone());
    let final_app = console.run(&rt, config, keymap, theme, move |writer| {
        let mut background = Background::none();
        // One ingest path: every source's records through the detections, then the journal.
        let reports = ingest::run(sources, ingest, writer, clock, &mut background.tasks);
        background.lookups = Some(lookups);
        background.reports = Some(reports);
        background.identity = Some(identity);
        background.acting = Some(acting);
        background.own_key = own_key;
        if let Some(m) = mirrored {
            background.tasks.spawn(m);
            background.slack = settings.channel.clone();
        }
        if let Some(p) = policies {
            background.tasks.spawn(p);
        }
        background
    })?;
    summary(&path, &final_app, "live");
    Ok(ExitCode::SUCCESS)
}

/// Journals, through the detections, the events of a CloudTrail archive (`--cloudtrail`)
/// that the journal does not hold yet, oldest first; returns the records written. What
/// could not be read is said on stderr, file by file; what could is kept.
pub(super) fn journal_archive(
    text: &str,
    aws: &crate::source::aws::connect::ConnectOptions,
    journal: &mut Journal,
    ingest: &mut Ingest,
    known: &IncidentState,
    now: chrono::DateTime<chrono::Utc>,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Vec<crate::model::Record>> {
    use crate::archive::{ReadOptions, ReadProgress, Source, read_source};
    let source = Source::parse(text);
    let found = std::sync::Mutex::new(Vec::new());
    let summary = read_source(
        &source,
        &ReadOptions::default(),
        aws,
        &ReadProgress::default(),
        &|batch| {
            let fresh = batch
                .events
                .into_iter()
                .filter(|e| known.event(&e.event_id).is_none());
            found
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(fresh);
        },
        rt.handle(),
    );
    if summary.files == 0 && !summary.problems.is_empty() {
        anyhow::bail!("--cloudtrail {text}: {}", summary.report());
    }
    if !summary.problems.is_empty() {
        eprintln!("warroom: --cloudtrail {text}: {}", summary.report());
    }
    let mut events = found.into_inner().unwrap_or_else(|p| p.into_inner());
    events.sort_by_key(|e| e.event_time);
    let records: Vec<crate::model::NewRecord> = events
        .into_iter()
        .map(|e| crate::model::NewRecord::new(e.event_time, "cloudtrail", RecordBody::Event(e)))
        .collect();
    Ok(journal.append(&ingest.process(now, records))?)
}

/// How to reach the account: the flags, else the config file.
pub(super) fn connect_options(
    args: &LiveArgs,
    config: &Config,
) -> crate::source::aws::connect::ConnectOptions {
    aws_options(
        args.profile.as_ref(),
        &args.regions,
        args.endpoint_url.as_ref(),
        config,
    )
}

/// Where an `s3://` source is read from: `--profile`, `--region`, `--endpoint-url`, else
/// the config file.
pub(super) fn s3_options(
    args: &crate::cli::AwsArgs,
    config: &Config,
) -> crate::source::aws::connect::ConnectOptions {
    let regions: Vec<String> = args.region.iter().cloned().collect();
    aws_options(
        args.profile.as_ref(),
        &regions,
        args.endpoint_url.as_ref(),
        config,
    )
}

/// The flags given, each else its `[aws]` setting.
fn aws_options(
    profile: Option<&String>,
    regions: &[String],
    endpoint_url: Option<&String>,
    config: &Config,
) -> crate::source::aws::connect::ConnectOptions {
    let aws = &config.aws;
    crate::source::aws::connect::ConnectOptions {
        profile: profile.cloned().or_else(|| aws.profile.clone()),
        regions: if regions.is_empty() {
            aws.regions.clone()
        } else {
            regions.to_vec()
        },
        endpoint_url: endpoint_url.cloned().or_else(|| aws.endpoint_url.clone()),
    }
}
