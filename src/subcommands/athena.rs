//! `warroom athena setup`, and `warroom query --athena`: the organization's CloudTrail
//! searched where it is, with Athena choosing the files and warroom matching their events.

use crate::athena::ddl::{TableSpec, valid_name};
use crate::cli::{AthenaPlaceArgs, AthenaSetupArgs, QueryArgs};
use crate::config::Config;
use crate::query::{Filter, Hit, Matcher};
use crate::source::aws::athena::{Athena, Place};
use crate::source::aws::connect::{self, DEFAULT_REGIONS};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;

pub(super) mod pivot;

/// The workgroup and output location of `[athena]`.
fn place_of_config(config: &Config) -> Place {
    place(config, &AthenaPlaceArgs::default(), None)
}

/// The workgroup and output location: flags, else `[athena]`.
fn place(config: &Config, args: &AthenaPlaceArgs, database: Option<String>) -> Place {
    Place {
        workgroup: args
            .workgroup
            .clone()
            .or_else(|| config.athena.workgroup.clone()),
        output: args
            .output_location
            .clone()
            .or_else(|| config.athena.output.clone()),
        database,
    }
}

/// `database.table`, each part a plain name: the table is written into SQL as given.
fn table_name(given: &str, config: &Config) -> anyhow::Result<String> {
    let table = match given {
        "" => config.athena.table.clone().context(
            "--athena names no table and [athena] table is not set: give one (--athena DATABASE.TABLE)",
        )?,
        t => t.to_string(),
    };
    if !table.split('.').all(valid_name) || table.split('.').count() > 2 {
        bail!("{table:?} is not an Athena table name (DATABASE.TABLE, letters, digits and _)");
    }
    Ok(table)
}

fn failed(f: crate::source::aws::errors::AwsFailure) -> anyhow::Error {
    anyhow::anyhow!("{}", connect::explain(&f))
}

pub(super) fn setup(config: &Config, args: &AthenaSetupArgs) -> anyhow::Result<ExitCode> {
    for name in [&args.database, &args.table] {
        if !valid_name(name) {
            bail!("{name:?} is not an Athena name (letters, digits and _)");
        }
    }
    if let Some(org) = &args.org
        && !org.starts_with("o-")
    {
        bail!("--org {org:?} is not an organization ID (o-…)");
    }
    if let Some(bad) = args
        .accounts
        .iter()
        .find(|a| !crate::source::aws::org::is_account_id(a))
    {
        bail!("--account {bad:?} is not an account ID (twelve digits)");
    }
    let aws = super::live::s3_options(&args.aws, config);
    let rt = super::runtime()?;
    rt.block_on(async {
        let sdk = connect::sdk_config(
            aws.profile.as_deref(),
            aws.regions.first().map(String::as_str),
            aws.endpoint_url.as_deref(),
        )
        .await;
        let accounts = if !args.accounts.is_empty() {
            args.accounts.clone()
        } else if args.org.is_some() {
            let members = crate::source::aws::org::active_accounts(&sdk)
                .await
                .map_err(|f| {
                    anyhow::anyhow!(
                        "cannot list the organization's accounts ({}); name them with --account",
                        connect::explain(&f)
                    )
                })?;
            members.into_iter().map(|m| m.id).collect()
        } else {
            let me = aws_sdk_sts::Client::new(&sdk)
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| {
                    failed(crate::source::aws::errors::describe(
                        "sts:GetCallerIdentity",
                        &e,
                    ))
                })?;
            vec![me.account().unwrap_or_default().to_string()]
        };
        if accounts.is_empty() {
            bail!("no accounts to project: name them with --account");
        }
        let spec = TableSpec {
            database: args.database.clone(),
            table: args.table.clone(),
            bucket: args.bucket.clone(),
            prefix: args.prefix.clone(),
            org: args.org.clone(),
            accounts,
            regions: if args.regions.is_empty() {
                DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect()
            } else {
                args.regions.clone()
            },
            since: args.since,
        };
        let statements = [spec.create_database(), spec.create_table()];
        if args.print {
            for s in &statements {
                println!("{s};\n");
            }
            return Ok(ExitCode::SUCCESS);
        }
        let athena = Athena::new(&sdk, place(config, &args.place, None));
        for s in &statements {
            athena.execute(s).await.map_err(failed)?;
        }
        eprintln!(
            "warroom: {}.{} reads {} ({} accounts, {} regions, from {}). Search it with \
             `warroom query --athena {}.{} FILTER…`, or set [athena] table = \"{}.{}\".",
            spec.database,
            spec.table,
            spec.logs_root(),
            spec.accounts.len(),
            spec.regions.len(),
            spec.since,
            spec.database,
            spec.table,
            spec.database,
            spec.table
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// The events Athena names, by the file that holds them.
#[derive(Default)]
struct Named {
    /// `s3://bucket/key` → the IDs of the events in it.
    files: BTreeMap<String, HashSet<String>>,
    rows: usize,
    /// Rows without a file: nothing to read them from.
    unplaced: usize,
}

impl Named {
    fn add(&mut self, row: &[Option<String>]) {
        self.rows += 1;
        match (
            row.first().cloned().flatten(),
            row.get(2).cloned().flatten(),
        ) {
            (Some(id), Some(path)) if path.starts_with("s3://") => {
                self.files.entry(path).or_default().insert(id);
            }
            _ => self.unplaced += 1,
        }
    }

    /// The files by bucket, as keys.
    fn by_bucket(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for url in self.files.keys() {
            if let crate::archive::Source::S3 { bucket, prefix } =
                crate::archive::Source::parse(url)
            {
                out.entry(bucket).or_default().push(prefix);
            }
        }
        out
    }
}

/// What running queries and reading their files came to.
#[derive(Default)]
pub(super) struct Ran {
    /// Each query as it finished, with the rows it returned.
    pub queries: Vec<(crate::source::aws::athena::Finished, usize)>,
    /// Rows that named no `s3://` file.
    pub unplaced: usize,
    pub problems: Vec<crate::archive::Problem>,
}

impl Ran {
    /// On standard error: what each query scanned and cost, and rows that could not be read.
    fn report(&self) {
        for (done, rows) in &self.queries {
            eprintln!("warroom: Athena {}: {rows} events", done.summary());
        }
        if self.unplaced > 0 {
            eprintln!(
                "warroom: {} rows named no s3:// file and were not read",
                self.unplaced
            );
        }
    }
}

/// Runs each query on Athena with `sdk`'s credentials, then reads the files their rows name
/// and hands each file's batch to `each` with the IDs of its events that the rows named.
pub(super) async fn run_and_read(
    sdk: &aws_config::SdkConfig,
    place: Place,
    queries: &[String],
    opts: &crate::archive::ReadOptions,
    each: &(dyn Fn(crate::archive::FileBatch, &HashSet<String>) + Sync),
) -> Result<Ran, crate::source::aws::errors::AwsFailure> {
    let athena = Athena::new(sdk, place);
    let mut named = Named::default();
    let mut ran = Ran::default();
    for sql in queries {
        let done = athena.execute(sql).await?;
        let before = named.rows;
        athena
            .rows(&done.id, |page| {
                for row in &page {
                    named.add(row);
                }
            })
            .await?;
        ran.queries.push((done, named.rows - before));
    }
    ran.unplaced = named.unplaced;
    let progress = crate::archive::ReadProgress::default();
    for (bucket, keys) in named.by_bucket() {
        let client = crate::archive::s3::client_in(sdk, &bucket).await;
        let summary =
            crate::archive::s3::read_keys(&client, &bucket, keys, opts, &progress, &|batch| {
                let url = batch.path.to_string_lossy().into_owned();
                if let Some(ids) = named.files.get(&url) {
                    each(batch, ids);
                }
            })
            .await;
        ran.problems.extend(summary.problems);
    }
    Ok(ran)
}

/// [`run_and_read`] for a command: the credentials of `aws`, the place of the flags (else
/// `[athena]`), what it scanned on standard error.
fn run_here(
    config: &Config,
    place_args: &AthenaPlaceArgs,
    aws: &crate::source::aws::connect::ConnectOptions,
    queries: &[String],
    opts: &crate::archive::ReadOptions,
    each: &(dyn Fn(crate::archive::FileBatch, &HashSet<String>) + Sync),
) -> anyhow::Result<Vec<crate::archive::Problem>> {
    let rt = super::runtime()?;
    let ran = rt.block_on(async {
        let sdk = connect::sdk_config(
            aws.profile.as_deref(),
            aws.regions.first().map(String::as_str),
            aws.endpoint_url.as_deref(),
        )
        .await;
        run_and_read(&sdk, place(config, place_args, None), queries, opts, each).await
    });
    let ran = ran.map_err(failed)?;
    ran.report();
    Ok(ran.problems)
}

/// `warroom query --athena`: the SQL run, then the files its rows name read and each named
/// event matched again by the local matcher, so the output is exactly a local query's.
pub(super) fn query(
    config: &Config,
    args: &QueryArgs,
    filters: Vec<Filter>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> anyhow::Result<(Vec<Hit>, usize, Vec<crate::archive::Problem>)> {
    let table = table_name(args.athena.as_deref().unwrap_or_default(), config)?;
    let compiled = crate::athena::compile(&table, &filters, since, until);
    for f in &compiled.unchecked {
        eprintln!(
            "warroom: {f} is not in the SQL (the table cannot reach it plainly): checked on the files read"
        );
    }
    if args.print_sql {
        println!("{};", compiled.sql);
        return Ok((Vec::new(), 0, Vec::new()));
    }
    let aws = super::live::s3_options(&args.aws, config);
    let matcher = Matcher::new(filters, since, until);
    let opts = crate::archive::ReadOptions {
        since,
        until,
        ..Default::default()
    };
    let found = super::query::Found::new(args.count);
    let problems = run_here(
        config,
        &args.place,
        &aws,
        &[compiled.sql],
        &opts,
        &|batch, ids| {
            let named = batch.events.iter().filter(|e| ids.contains(&*e.event_id()));
            found.add(named, &matcher);
        },
    )?;
    let (hits, n) = found.sorted();
    Ok((hits, n, problems))
}

/// What `detect --athena` judges: the events the Sigma rules' SQL finds, read from their
/// files with the rules' verdicts; None after `--print-sql`. Says which rules ran where.
pub(super) fn detect_events(
    config: &Config,
    args: &crate::cli::DetectArgs,
    detections: &crate::detect::Detections,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> anyhow::Result<Option<DetectInput>> {
    let table = table_name(args.athena.as_deref().unwrap_or_default(), config)?;
    let (mut on_athena, mut here) = (Vec::new(), Vec::new());
    let mut conditions = Vec::new();
    for rule in detections.rules.rules() {
        if rule.correlation.is_some() {
            here.push(rule.title.clone());
            continue;
        }
        match rule.predicate().as_ref().and_then(crate::athena::condition) {
            Some(sql) => {
                on_athena.push(rule.title.clone());
                conditions.push(sql);
            }
            None => here.push(rule.title.clone()),
        }
    }
    let queries =
        crate::athena::detection_queries(&table, &conditions, since, until, args.rules_per_query);
    eprintln!(
        "warroom: on Athena, {} Sigma rules in {} queries:",
        on_athena.len(),
        queries.len()
    );
    for title in &on_athena {
        eprintln!("  {title}");
    }
    eprintln!(
        "warroom: here, over the events those queries return: the built-in detections{}",
        if here.is_empty() {
            String::new()
        } else {
            format!(
                ", and the Sigma rules not made of plain field tests or correlating others: {}",
                here.join("; ")
            )
        }
    );
    if args.print_sql {
        for q in &queries {
            println!("{q};\n");
        }
        return Ok(None);
    }
    if queries.is_empty() {
        anyhow::bail!("no Sigma rule can run on Athena: nothing to narrow the events with");
    }
    let aws = super::live::s3_options(&args.aws, config);
    let opts = crate::archive::ReadOptions {
        since,
        until,
        rules: Some(detections.rules.clone()),
        ..Default::default()
    };
    let found = std::sync::Mutex::new((Vec::new(), crate::detect::Verdicts::default()));
    let problems = run_here(config, &args.place, &aws, &queries, &opts, &|batch, ids| {
        let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
        found.0.extend(
            batch
                .events
                .into_iter()
                .filter(|e| ids.contains(&*e.event_id())),
        );
        found.1.extend(batch.verdicts);
    })?;
    let (mut events, verdicts) = found.into_inner().unwrap_or_else(|p| p.into_inner());
    events.sort_by_key(|e| e.event_time);
    Ok(Some((events, verdicts, problems)))
}

/// The events to judge, their Sigma verdicts, and what could not be read.
pub(super) type DetectInput = (
    Vec<std::sync::Arc<crate::model::CloudTrailEvent>>,
    crate::detect::Verdicts,
    Vec<crate::archive::Problem>,
);
