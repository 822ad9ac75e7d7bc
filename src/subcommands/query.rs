//! `warroom query`: headless search of CloudTrail, for scripts and for comparing with other
//! tools.

use crate::archive::read::ReadOptions;
use crate::archive::{Problem, Source};
use crate::cli::{QueryArgs, QueryFormat};
use crate::journal::Journal;
use crate::model::RecordBody;
use crate::query::{self, Filter, Hit, Matcher};
use anyhow::Context;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

mod stream;

pub(super) fn query(config: &crate::config::Config, args: &QueryArgs) -> anyhow::Result<ExitCode> {
    // With --athena there is no source: what stands in its place is the first filter.
    let given: Vec<&String> = match &args.athena {
        Some(_) => args.source.iter().chain(&args.filters).collect(),
        None => args.filters.iter().collect(),
    };
    let filters = given
        .into_iter()
        .map(|f| Filter::parse(f).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (since, until) = super::time_range(args.since.as_deref(), args.until.as_deref())?;
    if let Some(source) = stream::streams(args) {
        let opts = ReadOptions {
            since,
            until,
            ..ReadOptions::default()
        };
        let matcher = Matcher::new(filters, since, until);
        return stream::newest_first(config, &source, args, &matcher, &opts);
    }
    let (mut hits, count, problems) = if args.athena.is_some() {
        let found = super::athena::query(config, args, filters, since, until)?;
        if args.print_sql {
            return Ok(ExitCode::SUCCESS);
        }
        found
    } else {
        local_or_s3(config, args, filters, since, until)?
    };
    if args.newest_first {
        hits.reverse();
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.count {
        writeln!(out, "{count}")?;
    } else {
        write(&mut out, args.format, &hits)?;
    }
    out.flush().context("writing the results")?;
    report(&problems);
    Ok(ExitCode::SUCCESS)
}

/// What a query found: hits, how many matched, what could not be read.
type Found3 = (Vec<Hit>, usize, Vec<Problem>);

/// A query of a file, tree, journal or `s3://` prefix.
fn local_or_s3(
    config: &crate::config::Config,
    args: &QueryArgs,
    filters: Vec<Filter>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<Found3> {
    let matcher = Matcher::new(filters, since, until);
    let source = args.source.as_deref().unwrap_or_default();
    Ok(match Source::parse(source) {
        Source::Local(path) if crate::journal::is_journal_file(&path) => {
            let records = Journal::open_existing(&path)?.read_all()?;
            let raws: Vec<std::sync::Arc<str>> = records
                .iter()
                .filter_map(|r| match &r.body {
                    RecordBody::Event(e) => Some(e.raw_text()),
                    _ => None,
                })
                .collect();
            let mut found = query::Matches::new(args.count);
            query::search_events(raws.iter().map(|r| &**r), &matcher, &mut found);
            let (hits, n) = found.finish();
            (hits, n, Vec::new())
        }
        Source::Local(path) => {
            let opts = ReadOptions {
                since,
                until,
                ..ReadOptions::default()
            };
            let progress = crate::archive::ReadProgress::default();
            let source = Source::Local(path.clone());
            super::with_progress(&source, &progress, || {
                query::search_local(&path, &matcher, &opts, args.count, &progress)
            })
            .map_err(|p| anyhow::anyhow!("{}: {}", p.path, p.reason))?
        }
        source @ Source::S3 { .. } => {
            let opts = ReadOptions {
                since,
                until,
                ..ReadOptions::default()
            };
            s3_query(
                &source,
                &super::live::s3_options(&args.aws, config),
                &matcher,
                &opts,
                args.count,
            )?
        }
    })
}

/// Matches collected from batches handed over on several threads.
pub(super) struct Found(std::sync::Mutex<query::Matches>);

impl Found {
    pub(super) fn new(counting: bool) -> Self {
        Found(std::sync::Mutex::new(query::Matches::new(counting)))
    }

    pub(super) fn add<'a>(
        &self,
        events: impl Iterator<Item = &'a std::sync::Arc<crate::model::CloudTrailEvent>>,
        matcher: &Matcher,
    ) {
        let raws: Vec<std::sync::Arc<str>> = events.map(|e| e.raw_text()).collect();
        let mut found = self.0.lock().unwrap_or_else(|p| p.into_inner());
        query::search_events(raws.iter().map(|r| &**r), matcher, &mut found);
    }

    /// The hits, oldest first and each once, and the count.
    pub(super) fn sorted(self) -> (Vec<Hit>, usize) {
        self.0
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .finish()
    }
}

fn write(out: &mut dyn Write, format: QueryFormat, hits: &[Hit]) -> std::io::Result<()> {
    match format {
        QueryFormat::Jsonl => query::write_jsonl(out, hits),
        QueryFormat::Csv => query::write_csv(out, hits),
        QueryFormat::Table => query::write_table(out, hits),
    }
}

/// What could not be read, on standard error after the results.
pub(super) fn report(problems: &[Problem]) {
    if problems.is_empty() {
        return;
    }
    eprintln!(
        "{} problems (every readable record was kept):",
        problems.len()
    );
    for p in problems {
        eprintln!("  {}: {}", p.path, p.reason);
    }
}

/// Queries an S3 source: the objects of the time range are downloaded and parsed as they
/// arrive, and each event is matched as its object is done.
fn s3_query(
    source: &crate::archive::Source,
    aws: &crate::source::aws::connect::ConnectOptions,
    matcher: &crate::query::Matcher,
    opts: &crate::archive::ReadOptions,
    count: bool,
) -> anyhow::Result<(Vec<crate::query::Hit>, usize, Vec<crate::archive::Problem>)> {
    let rt = super::runtime()?;
    let found = Found::new(count);
    let progress = crate::archive::ReadProgress::default();
    let summary = super::with_progress(source, &progress, || {
        crate::archive::read_source(
            source,
            opts,
            aws,
            &progress,
            &|batch| found.add(batch.events.iter(), matcher),
            rt.handle(),
        )
    });
    let (hits, n) = found.sorted();
    Ok((hits, n, summary.problems))
}
