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
    let rt = super::runtime()?;
    rt.block_on(async {
        let sdk = connect::sdk_config(
            aws.profile.as_deref(),
            aws.regions.first().map(String::as_str),
            aws.endpoint_url.as_deref(),
        )
        .await;
        let athena = Athena::new(&sdk, place(config, &args.place, None));
        let done = athena.execute(&compiled.sql).await.map_err(failed)?;
        let mut named = Named::default();
        athena
            .rows(&done.id, |page| {
                for row in &page {
                    named.add(row);
                }
            })
            .await
            .map_err(failed)?;
        eprintln!(
            "warroom: Athena {}: {} events in {} files",
            done.summary(),
            named.rows,
            named.files.len()
        );
        if named.unplaced > 0 {
            eprintln!(
                "warroom: {} rows named no s3:// file and were not read",
                named.unplaced
            );
        }
        let found = super::query::Found::default();
        let progress = crate::archive::ReadProgress::default();
        let mut problems = Vec::new();
        for (bucket, keys) in named.by_bucket() {
            let client = crate::archive::s3::client_for(&bucket, &aws).await;
            let summary =
                crate::archive::s3::read_keys(&client, &bucket, keys, &opts, &progress, &|batch| {
                    let url = batch.path.to_string_lossy();
                    let Some(ids) = named.files.get(url.as_ref()) else {
                        return;
                    };
                    let named = batch.events.iter().filter(|e| ids.contains(&*e.event_id));
                    found.add(named, &matcher, args.count);
                })
                .await;
            problems.extend(summary.problems);
        }
        let (hits, n) = found.sorted();
        Ok((hits, n, problems))
    })
}
