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
    use crate::source::aws::live;
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
    // Who are we, and where? Asked before the screen is taken, so a credentials problem
    // reads plainly.
    let reached = reach(args, config, &rt)?;
    let account = &reached.home;
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
                    title: reached.title(),
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
                        "acting as {} in {}{}{}",
                        account.arn,
                        account.regions.join(", "),
                        reached.accounts_note(),
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
        mut sources,
        lookups,
        responder,
    } = reached.sources(live_opts, &state);
    // With `[athena] table`, every pivot also asks the organization's table, past 90 days.
    let lookups = match super::athena::pivot::AthenaPivots::configured(config, &account.sdk)? {
        Some((athena, to_athena)) => {
            let (lookups, tee) = super::athena::pivot::tee(lookups, to_athena);
            sources.push(Box::new(athena));
            sources.push(tee);
            lookups
        }
        None => lookups,
    };
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
    let acting_in = reached.acting_in();
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
        background.acting_in = acting_in;
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
                .filter(|e| known.event(&e.event_id()).is_none());
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

/// The accounts the console watches and acts in: the credentials' own, or (`--org`,
/// `--account`) every one reached through its roles.
pub(super) struct Reached {
    pub home: crate::source::aws::connect::Account,
    /// Empty when only `home` is watched.
    pub members: Vec<crate::source::aws::accounts::Member>,
    pub unreachable: Vec<crate::source::aws::accounts::Unreachable>,
    pub aggregation: crate::source::aws::live::Aggregation,
}

/// Connects (`connect_options`), then, when more accounts are asked for, assumes a role in
/// each. Fails when the credentials work nowhere or no account asked for can be reached.
pub(super) fn reach(
    args: &LiveArgs,
    config: &Config,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Reached> {
    use crate::source::aws::{accounts, connect, org};
    let aws = &config.aws;
    let home = rt
        .block_on(connect::connect(&connect_options(args, config)))
        .map_err(|f| anyhow::anyhow!("cannot connect to AWS: {}", connect::explain(&f)))?;
    let mut ids = args.accounts.clone();
    if ids.is_empty() {
        ids = aws.accounts.clone();
    }
    if let Some(bad) = ids.iter().find(|a| !org::is_account_id(a)) {
        anyhow::bail!("account {bad:?} is not an account ID (twelve digits)");
    }
    let opts = accounts::AccountOptions {
        accounts: ids,
        org: args.org || aws.org,
        role_name: args
            .role_name
            .clone()
            .or_else(|| aws.role_name.clone())
            .unwrap_or_else(|| accounts::DEFAULT_ROLE.into()),
        response_role_name: args
            .response_role_name
            .clone()
            .or_else(|| aws.response_role_name.clone())
            .unwrap_or_else(|| accounts::DEFAULT_RESPONSE_ROLE.into()),
        responder: config.responder(),
    };
    let home_region = home.regions.first().cloned().unwrap_or_default();
    let aggregation = crate::source::aws::live::Aggregation {
        config: args
            .config_aggregator
            .clone()
            .or_else(|| aws.config_aggregator.clone())
            .map(|name| (name, home_region)),
        securityhub_region: args
            .securityhub_region
            .clone()
            .or_else(|| aws.securityhub_region.clone()),
    };
    if !opts.many() {
        return Ok(Reached {
            home,
            members: Vec::new(),
            unreachable: Vec::new(),
            aggregation,
        });
    }
    let (members, unreachable) = rt
        .block_on(accounts::reach(&home, &opts))
        .map_err(|f| {
            anyhow::anyhow!(
                "cannot list the organization's accounts: {}\nRun from the management account or a delegated administrator, or name the accounts with --account.",
                connect::explain(&f)
            )
        })?;
    if members.is_empty() {
        let why: Vec<String> = unreachable
            .iter()
            .map(|u| format!("  {}: {}", u.account_id, u.failure.message))
            .collect();
        anyhow::bail!(
            "no account could be reached through {}:\n{}",
            opts.role_name,
            if why.is_empty() {
                "  (no accounts were listed)".to_string()
            } else {
                why.join("\n")
            }
        );
    }
    Ok(Reached {
        home,
        members,
        unreachable,
        aggregation,
    })
}

impl Reached {
    fn title(&self) -> String {
        match self.members.len() {
            0 => format!("Account {}", self.home.account_id),
            n => format!("{n} accounts from {}", self.home.account_id),
        }
    }

    fn accounts_note(&self) -> String {
        if self.members.is_empty() {
            return String::new();
        }
        let mut note = format!(
            "; watching {} accounts ({})",
            self.members.len(),
            self.members
                .iter()
                .map(|m| m.account.account_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !self.unreachable.is_empty() {
            note.push_str(&format!(
                "; {} could not be reached ({})",
                self.unreachable.len(),
                self.unreachable
                    .iter()
                    .map(|u| u.account_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        note
    }

    /// What each confirmation says, by the account its calls name.
    pub fn acting_in(&self) -> std::collections::BTreeMap<String, String> {
        if self.members.is_empty() {
            return [(self.home.account_id.clone(), self.home.acting())].into();
        }
        self.members
            .iter()
            .map(|m| (m.account.account_id.clone(), m.acting()))
            .collect()
    }

    pub fn sources(
        &self,
        opts: crate::source::aws::live::LiveOptions,
        known: &IncidentState,
    ) -> crate::source::aws::live::Live {
        use crate::source::aws::live;
        if self.members.is_empty() {
            return live::sources(&self.home, opts, known);
        }
        live::organization(
            &self.home,
            &self.members,
            &self.unreachable,
            &self.aggregation,
            opts,
            known,
        )
    }

    /// The responder alone (for the Slack bridge).
    pub fn responder(&self) -> Arc<dyn crate::respond::ResponseApi> {
        use crate::source::aws::live;
        if self.members.is_empty() {
            let notify = Arc::new(tokio::sync::Notify::new());
            return Arc::new(live::responder(&self.home.regions, &self.home.sdk, notify));
        }
        Arc::new(live::responders(&self.members))
    }
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
