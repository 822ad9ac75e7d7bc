//! `warroom query --newest-first` printing as it reads: local files and `s3://` prefixes.
//! The order and when a match is final are `query::newest_first`'s; this is the printing,
//! and the S3 read in that order.

use super::report;
use crate::archive::{FileBatch, ReadOptions, ReadProgress, Source};
use crate::cli::{QueryArgs, QueryFormat};
use crate::model::tabular::CsvOut;
use crate::query::newest_first::{self, Done, Merge, Printer, Streamed};
use crate::query::{self, Hit, Matcher};
use anyhow::Context;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};

/// The source a query prints newest first as it reads it: local files or an S3 prefix;
/// not a journal (read whole), not a count or a table (which need every match first).
pub(super) fn streams(args: &QueryArgs) -> Option<Source> {
    if !args.newest_first || args.count || args.athena.is_some() {
        return None;
    }
    if args.format == QueryFormat::Table {
        return None;
    }
    match Source::parse(args.source.as_deref()?) {
        Source::Local(path) if crate::journal::is_journal_file(&path) => None,
        source => Some(source),
    }
}

/// Prints matches in JSON lines or CSV, flushed whenever nothing more is final.
enum StreamPrinter<W: Write> {
    Jsonl(W),
    Csv(Box<CsvOut<W>>),
}

impl<W: Write> StreamPrinter<W> {
    fn new(out: W, format: QueryFormat) -> std::io::Result<Self> {
        Ok(match format {
            QueryFormat::Csv => {
                StreamPrinter::Csv(Box::new(CsvOut::new(out, &query::csv_header())?))
            }
            _ => StreamPrinter::Jsonl(out),
        })
    }
}

impl<W: Write> Printer for StreamPrinter<W> {
    fn print(&mut self, hit: &Hit) -> std::io::Result<()> {
        match self {
            StreamPrinter::Jsonl(out) => query::write_jsonl_line(out, hit),
            StreamPrinter::Csv(csv) => csv.row(&query::csv_row(hit)),
        }
    }

    fn pause(&mut self) -> std::io::Result<()> {
        match self {
            StreamPrinter::Jsonl(out) => out.flush(),
            StreamPrinter::Csv(csv) => csv.flush(),
        }
    }
}

pub(super) fn newest_first(
    config: &crate::config::Config,
    source: &Source,
    args: &QueryArgs,
    matcher: &Matcher,
    opts: &ReadOptions,
) -> anyhow::Result<ExitCode> {
    let mut printer = StreamPrinter::new(BufWriter::new(std::io::stdout()), args.format)?;
    let progress = ReadProgress::default();
    let (streamed, printed) = super::super::with_progress(source, &progress, || match source {
        Source::Local(path) => newest_first::search(path, matcher, opts, &progress, &mut printer)
            .map_err(|p| anyhow::anyhow!("{}: {}", p.path, p.reason)),
        Source::S3 { bucket, prefix } => {
            let aws = super::super::live::s3_options(&args.aws, config);
            let rt = super::super::runtime()?;
            Ok(rt.block_on(async {
                let client = crate::archive::s3::client_for(bucket, &aws).await;
                read_s3(
                    &client,
                    bucket,
                    prefix,
                    matcher,
                    opts,
                    &progress,
                    &mut printer,
                )
                .await
            }))
        }
    })?;
    printed.context("writing the results")?;
    if let Some(first) = &streamed.first_out_of_order {
        eprintln!(
            "{} events were newer than their file's delivery allows, and were printed where \
             they were found, out of order (the first in {first})",
            streamed.out_of_order
        );
    }
    report(&streamed.problems);
    Ok(ExitCode::SUCCESS)
}

/// An S3 prefix newest first: every key is listed, then the objects are downloaded in
/// reading order (sixteen at a time) and their matches merged as they arrive. A printer's
/// error cancels the read.
async fn read_s3(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    matcher: &Matcher,
    opts: &ReadOptions,
    progress: &ReadProgress,
    printer: &mut (dyn Printer + Send),
) -> (Streamed, std::io::Result<()>) {
    let files: OnceLock<Vec<(PathBuf, Option<chrono::DateTime<chrono::Utc>>)>> = OnceLock::new();
    let mut order = |keys: Vec<String>| {
        let sorted = newest_first::in_reading_order(keys.into_iter().map(PathBuf::from).collect());
        let keys = sorted
            .iter()
            .map(|(key, _)| key.to_string_lossy().into_owned())
            .collect();
        let _ = files.set(sorted);
        keys
    };
    struct Printing<'f, 'p> {
        merge: Option<Merge<'f>>,
        printer: &'p mut (dyn Printer + Send),
        failed: Option<std::io::Error>,
    }
    let printing = Mutex::new(Printing {
        merge: None,
        printer,
        failed: None,
    });
    let sink = |index: usize, batch: Option<FileBatch>| {
        let mut p = printing.lock().unwrap_or_else(|e| e.into_inner());
        if p.failed.is_some() {
            return;
        }
        let Some(files) = files.get() else { return };
        let hits = batch.map_or_else(Vec::new, |batch| {
            let raws: Vec<std::sync::Arc<str>> =
                batch.events.iter().map(|e| e.raw_text()).collect();
            query::hits_in(raws.iter().map(|r| &**r), matcher)
        });
        let Printing {
            merge,
            printer,
            failed,
        } = &mut *p;
        let merge = merge.get_or_insert_with(|| Merge::new(files));
        let done = Done {
            index,
            hits,
            said: Vec::new(),
        };
        if let Err(e) = merge.take(done, *printer).and_then(|()| printer.pause()) {
            *failed = Some(e);
            progress
                .cancel
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let summary = crate::archive::s3::read_s3_in_order(
        client,
        bucket,
        prefix,
        opts,
        crate::archive::s3::PARALLEL,
        progress,
        &mut order,
        &sink,
    )
    .await;
    let p = printing.into_inner().unwrap_or_else(|e| e.into_inner());
    let (mut streamed, outcome) = match (p.failed, p.merge) {
        (Some(e), _) => (Streamed::default(), Err(e)),
        (None, Some(merge)) => merge.finish(p.printer),
        (None, None) => (Streamed::default(), p.printer.pause()),
    };
    streamed.problems.extend(summary.problems);
    (streamed, outcome)
}
