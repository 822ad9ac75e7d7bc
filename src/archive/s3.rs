//! CloudTrail read straight from its S3 bucket: the keys under a prefix are listed, the ones
//! whose day can fall in the time range are downloaded a few at a time, and each object is
//! parsed on a blocking thread and handed over as soon as it is done. An object's compressed
//! bytes stay with its events, so an event's JSON can be read again without a second download.
//!
//! Listing follows the delivery layout,
//! `AWSLogs/[<o-…>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`, so that a time range
//! narrows the listing itself and not only the downloads: above the regions the prefix is
//! walked one level at a time (a `/` delimiter names the accounts, trail folders and regions
//! without listing their files), and below a region keys sort by day, so each region is listed
//! from the range's first day (StartAfter) up to the first key past its last day. A year of
//! history costs the same few calls as the day being asked about.

use super::read::{
    ArchivedFile, FileBatch, Problem, ReadOptions, ReadProgress, Summary, day_of, parse_file,
    wanted,
};
use crate::detect::Verdicts;
use crate::model::CloudTrailEvent;
use crate::source::aws::connect;
use crate::source::aws::errors::{self, AwsFailure, FailureKind};
use aws_sdk_s3::Client;
use chrono::{Days, NaiveDate};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// GetObject calls in flight when the caller has no better idea: downloads wait on the
/// network far more than on the CPU, so more of them than cores pays.
pub const PARALLEL: usize = 16;

/// Keys listed ahead of the downloads: enough to keep them busy, bounded so that a bucket of
/// millions of objects is never held in memory as a list.
const QUEUE: usize = 1024;

/// How often a call in flight looks at `ReadProgress::cancel`.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Lists every object under the prefix (ListObjectsV2, all pages), keeps the ones that may hold
/// records in the time range (by the day in their key, as for local files; digest files are
/// skipped), downloads them with up to `parallel` GetObject calls in flight, parses each on a
/// blocking thread (keeping the compressed bytes so an event's JSON can be read again), hands
/// each object's events to `sink` as soon as it is parsed, and returns the Summary (files,
/// events, bytes downloaded, problems with `s3://bucket/key` paths and reasons). A failure on
/// one object does not stop the others; one that every call would meet (no network, no
/// credentials) stops the read and is named once.
pub async fn read_s3(
    client: &Client,
    bucket: &str,
    prefix: &str,
    opts: &ReadOptions,
    parallel: usize,
    progress: &ReadProgress,
    sink: &(dyn Fn(FileBatch) + Sync),
) -> Summary {
    let started = Instant::now();
    let reader = Reader::new(client, bucket, opts, progress);
    let (keys, queued) = mpsc::channel::<String>(QUEUE);
    let listing = reader.list(prefix, keys);
    let reading = queued
        .map(|key| reader.fetch(key))
        .buffer_unordered(parallel.max(1))
        .for_each(|batch| {
            if let Some(batch) = batch {
                sink(batch);
            }
            futures::future::ready(())
        });
    futures::join!(listing, reading);
    reader.finish(prefix, started)
}

/// [`read_s3`] in an order of the caller's: every wanted key is listed first, `order`
/// arranges them (it sees them all before any is read), and the batches reach `sink` in
/// that order with their place in it, while downloads still run `parallel` at a time. An
/// object that was not read (it failed, or the read was cancelled) arrives as `None`, so
/// that the places go on.
#[allow(clippy::too_many_arguments)]
pub async fn read_s3_in_order(
    client: &Client,
    bucket: &str,
    prefix: &str,
    opts: &ReadOptions,
    parallel: usize,
    progress: &ReadProgress,
    order: &mut dyn FnMut(Vec<String>) -> Vec<String>,
    sink: &(dyn Fn(usize, Option<FileBatch>) + Sync),
) -> Summary {
    let started = Instant::now();
    let reader = Reader::new(client, bucket, opts, progress);
    let (keys, listed) = mpsc::channel::<String>(QUEUE);
    let ((), all) = futures::join!(reader.list(prefix, keys), listed.collect::<Vec<String>>());
    futures::stream::iter(order(all))
        .map(|key| reader.fetch(key))
        .buffered(parallel.max(1))
        .enumerate()
        .for_each(|(place, batch)| {
            sink(place, batch);
            futures::future::ready(())
        })
        .await;
    reader.finish(prefix, started)
}

/// Reads the named objects of one bucket, as [`read_s3`] reads what it lists: for when
/// something else (an Athena query's `"$path"`) already knows which files hold the events.
pub async fn read_keys(
    client: &Client,
    bucket: &str,
    keys: Vec<String>,
    opts: &ReadOptions,
    progress: &ReadProgress,
    sink: &(dyn Fn(FileBatch) + Sync),
) -> Summary {
    let started = Instant::now();
    let reader = Reader::new(client, bucket, opts, progress);
    futures::stream::iter(keys)
        .map(|key| reader.fetch(key))
        .buffer_unordered(PARALLEL)
        .for_each(|batch| {
            if let Some(batch) = batch {
                sink(batch);
            }
            futures::future::ready(())
        })
        .await;
    reader.finish("", started)
}

/// A client for one bucket: credentials as `aws` says (the standard chain for what it
/// leaves unset), requests signed for the bucket's own region (S3 refuses any other),
/// path-style addressing when the endpoint is not AWS's (an emulator has no per-bucket host
/// names).
pub async fn client_for(bucket: &str, aws: &connect::ConnectOptions) -> Client {
    let sdk = connect::sdk_config(
        aws.profile.as_deref(),
        aws.regions.first().map(String::as_str),
        aws.endpoint_url.as_deref(),
    )
    .await;
    client_in(&sdk, bucket).await
}

/// [`client_for`], with credentials already loaded.
pub async fn client_in(sdk: &aws_config::SdkConfig, bucket: &str) -> Client {
    let sdk = sdk.clone();
    let client = client_from(&sdk);
    let home = sdk.region().map(|r| r.to_string());
    match bucket_region(&client, bucket).await {
        Some(region) if Some(&region) != home.as_ref() => {
            client_from(&connect::in_region(&sdk, &region))
        }
        _ => client,
    }
}

fn client_from(sdk: &aws_config::SdkConfig) -> Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Client::from_conf(config)
}

/// The region S3 says the bucket is in: HeadBucket tells, and so does its refusal when asked
/// in the wrong region. Nothing when it cannot be asked; the listing then says why.
async fn bucket_region(client: &Client, bucket: &str) -> Option<String> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => out.bucket_region().map(str::to_string),
        Err(err) => err
            .raw_response()
            .and_then(|r| r.headers().get("x-amz-bucket-region"))
            .map(str::to_string),
    }
}

/// Where a prefix sits in CloudTrail's delivery layout.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    /// Above the regions (`AWSLogs/`, `AWSLogs/<o-…>/`, `AWSLogs/<account>/`,
    /// `…/<account>/CloudTrail/`): walked one level at a time to reach them.
    Above,
    /// A region (`base`, `…/CloudTrail/<region>/`) or below it: keys sort by day.
    Dated { base: String },
    /// Outside the layout: a bucket's root, a custom prefix, other services' logs.
    Elsewhere,
}

fn classify(prefix: &str) -> Level {
    let Some(folder) = prefix.strip_suffix('/') else {
        return Level::Elsewhere;
    };
    let parts: Vec<&str> = folder.split('/').collect();
    let Some(logs) = parts.iter().rposition(|p| *p == "AWSLogs") else {
        return Level::Elsewhere;
    };
    // An organization trail adds its `o-…` level above the accounts.
    let mut depth = logs + 1;
    if parts.get(depth).is_some_and(|p| p.starts_with("o-")) {
        depth += 1;
    }
    match &parts[depth..] {
        [] => Level::Above,
        [account] if is_account(account) => Level::Above,
        [account, dir] if is_account(account) && is_trail_dir(dir) => Level::Above,
        [account, dir, region, ..]
            if is_account(account) && is_trail_dir(dir) && is_region(region) =>
        {
            Level::Dated {
                base: format!("{}/", parts[..depth + 3].join("/")),
            }
        }
        _ => Level::Elsewhere,
    }
}

fn is_account(part: &str) -> bool {
    part.len() == 12 && part.bytes().all(|b| b.is_ascii_digit())
}

/// CloudTrail's folders with records. `CloudTrail-Digest` holds only signatures; the account
/// level also holds other services' logs (ELB, VPC flow logs), which are no CloudTrail.
fn is_trail_dir(part: &str) -> bool {
    matches!(part, "CloudTrail" | "CloudTrail-Insight")
}

fn is_region(part: &str) -> bool {
    part.contains('-')
        && part.ends_with(|c: char| c.is_ascii_digit())
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The prefix as a folder when it names a whole level of the layout without its final `/`
/// (`s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1`), so it is listed as that level.
fn normalize(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        return prefix.to_string();
    }
    let folder = format!("{prefix}/");
    match classify(&folder) {
        Level::Above => folder,
        Level::Dated { base } if base == folder => folder,
        _ => prefix.to_string(),
    }
}

/// One ListObjectsV2 walk through all its pages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listing {
    prefix: String,
    /// Only the next level: its folders are walked in turn.
    delimited: bool,
    start_after: Option<String>,
    /// Keys sort by day: the first one past this day ends the listing.
    last_day: Option<NaiveDate>,
}

impl Listing {
    fn past_range(&self, key: &str) -> bool {
        self.last_day
            .is_some_and(|last| day_of(Path::new(key)).is_some_and(|day| day > last))
    }
}

fn plan(prefix: &str, opts: &ReadOptions) -> Listing {
    let mut listing = Listing {
        prefix: prefix.to_string(),
        delimited: false,
        start_after: None,
        last_day: None,
    };
    match classify(prefix) {
        Level::Above => listing.delimited = true,
        Level::Dated { base } => {
            // Below a region every key is `YYYY/MM/DD/…`, which sorts by day: start just
            // before the range's first day and stop past its last, whatever lies outside.
            // `base + "YYYY/MM/DD"` sorts before every key of that day (they go on with `/`)
            // and after every key of the days before. The day of slack on either side is
            // `may_hold`'s: a file can hold records from just before its day.
            listing.start_after = opts.since.map(|since| {
                let first = since.date_naive() - Days::new(1);
                format!("{base}{}", first.format("%Y/%m/%d"))
            });
            listing.last_day = opts.until.map(|until| until.date_naive() + Days::new(1));
        }
        Level::Elsewhere => {}
    }
    listing
}

/// Failures every later call would meet too: the read stops at the first.
fn is_fatal(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::Unreachable | FailureKind::NoCredentials | FailureKind::Expired
    )
}

/// A failure in words for a read. The SDK has already retried by now, and the read does not
/// try again, so the live poller's "retrying" and "backing off" would mislead.
fn reason(failure: &AwsFailure) -> String {
    match failure.kind {
        FailureKind::Throttled => format!(
            "{}: throttled{} even after retries",
            failure.operation,
            failure
                .code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ),
        _ => failure.message.trim_end_matches(" — retrying").to_string(),
    }
}

/// What the listing and the downloads share while a read runs.
struct Reader<'a> {
    client: &'a Client,
    bucket: &'a str,
    opts: &'a ReadOptions,
    progress: &'a ReadProgress,
    problems: Mutex<Vec<Problem>>,
    /// Set at the first failure that every later call would meet.
    halted: AtomicBool,
    /// Listed objects left unread because the read halted.
    unread: AtomicUsize,
}

impl<'a> Reader<'a> {
    fn new(
        client: &'a Client,
        bucket: &'a str,
        opts: &'a ReadOptions,
        progress: &'a ReadProgress,
    ) -> Self {
        Reader {
            client,
            bucket,
            opts,
            progress,
            problems: Mutex::new(Vec::new()),
            halted: AtomicBool::new(false),
            unread: AtomicUsize::new(0),
        }
    }

    fn cancelled(&self) -> bool {
        self.progress.cancel.load(Ordering::Relaxed)
    }

    fn stopped(&self) -> bool {
        self.cancelled() || self.halted.load(Ordering::Relaxed)
    }

    /// `work`, unless the read is cancelled first: a large download stops at once.
    async fn unless_cancelled<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        let cancelled = async {
            while !self.cancelled() {
                tokio::time::sleep(CANCEL_POLL).await;
            }
        };
        tokio::select! {
            done = work => Some(done),
            () = cancelled => None,
        }
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn problems(&self, found: Vec<Problem>) {
        self.progress
            .problems
            .fetch_add(found.len(), Ordering::Relaxed);
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(found);
    }

    /// Records a failed call on `key`. Returns whether the read can go on; a failure that
    /// halts it is named once, not once per object still in flight.
    fn failed(&self, key: &str, failure: &AwsFailure) -> bool {
        if !is_fatal(failure.kind) {
            self.problems(vec![Problem {
                path: self.url(key),
                reason: reason(failure),
            }]);
            return true;
        }
        if self.halted.swap(true, Ordering::Relaxed) {
            self.unread.fetch_add(1, Ordering::Relaxed);
        } else {
            self.problems(vec![Problem {
                path: self.url(key),
                reason: reason(failure),
            }]);
        }
        false
    }

    /// Walks the listings from `prefix` down, sending the wanted keys to the downloads.
    async fn list(&self, prefix: &str, mut keys: mpsc::Sender<String>) {
        let mut pending = VecDeque::from([plan(&normalize(prefix), self.opts)]);
        while let Some(listing) = pending.pop_front() {
            if self.stopped() || !self.list_one(&listing, &mut keys, &mut pending).await {
                return;
            }
        }
    }

    /// One listing, all its pages: wanted keys go on to the downloads, folders worth walking
    /// join `pending`. Returns whether the walk can go on.
    async fn list_one(
        &self,
        listing: &Listing,
        keys: &mut mpsc::Sender<String>,
        pending: &mut VecDeque<Listing>,
    ) -> bool {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(self.bucket)
            .prefix(&listing.prefix)
            .set_delimiter(listing.delimited.then(|| "/".to_string()))
            .set_start_after(listing.start_after.clone())
            .into_paginator()
            .send();
        loop {
            let Some(page) = self.unless_cancelled(pages.next()).await else {
                return false;
            };
            let page = match page {
                None => return true,
                Some(Ok(page)) => page,
                Some(Err(e)) => {
                    let failure = errors::describe("s3:ListObjectsV2", &e);
                    return self.failed(&listing.prefix, &failure);
                }
            };
            for folder in page.common_prefixes().iter().filter_map(|p| p.prefix()) {
                if classify(folder) != Level::Elsewhere {
                    pending.push_back(plan(folder, self.opts));
                }
            }
            for key in page.contents().iter().filter_map(|o| o.key()) {
                if listing.past_range(key) {
                    return true;
                }
                if !wanted(Path::new(key), self.opts) {
                    continue;
                }
                self.progress.files_total.fetch_add(1, Ordering::Relaxed);
                if keys.send(key.to_string()).await.is_err() {
                    return false;
                }
            }
            if self.stopped() {
                return false;
            }
        }
    }

    /// Downloads and parses one object. Nothing once the read is cancelled or halted.
    async fn fetch(&self, key: String) -> Option<FileBatch> {
        if self.halted.load(Ordering::Relaxed) {
            self.unread.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        if self.cancelled() {
            return None;
        }
        let url = self.url(&key);
        let (events, verdicts) = match self.unless_cancelled(self.download(&key)).await? {
            Ok(bytes) => self.parse(&url, bytes).await?,
            Err(failure) => {
                if !self.failed(&key, &failure) {
                    return None;
                }
                Default::default()
            }
        };
        self.progress
            .events
            .fetch_add(events.len(), Ordering::Relaxed);
        self.progress.files_done.fetch_add(1, Ordering::Relaxed);
        Some(FileBatch {
            path: PathBuf::from(url),
            events,
            verdicts,
        })
    }

    async fn download(&self, key: &str) -> Result<Vec<u8>, AwsFailure> {
        let object = self
            .client
            .get_object()
            .bucket(self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| errors::describe("s3:GetObject", &e))?;
        let bytes = object.body.collect().await.map_err(|e| AwsFailure {
            kind: FailureKind::Other,
            operation: "s3:GetObject".to_string(),
            code: None,
            message: format!("download broken: {e}"),
        })?;
        let bytes = bytes.into_bytes().to_vec();
        self.progress
            .bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes)
    }

    /// Parses an object on a blocking thread, so that the downloads go on meanwhile.
    async fn parse(
        &self,
        url: &str,
        bytes: Vec<u8>,
    ) -> Option<(Vec<Arc<CloudTrailEvent>>, Verdicts)> {
        let bytes = Arc::new(bytes);
        let file = ArchivedFile::in_memory(PathBuf::from(url), bytes.clone());
        let opts = self.opts.clone();
        let job = tokio::task::spawn_blocking(move || {
            let mut problems = Vec::new();
            let events = parse_file(file, &bytes, &opts, &mut problems);
            (events, problems)
        });
        match self.unless_cancelled(job).await? {
            Ok((events, problems)) => {
                self.problems(problems);
                Some(events)
            }
            Err(e) => {
                self.problems(vec![Problem {
                    path: url.to_string(),
                    reason: format!("parsing failed: {e}"),
                }]);
                Some(Default::default())
            }
        }
    }

    fn finish(self, prefix: &str, started: Instant) -> Summary {
        let cancelled = self.cancelled();
        let mut problems = self
            .problems
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        let unread = self.unread.load(Ordering::Relaxed);
        if unread > 0 {
            problems.push(Problem {
                path: format!("s3://{}/{prefix}", self.bucket),
                reason: format!("{unread} listed objects not read after the failure above"),
            });
        }
        Summary {
            files: self.progress.files_done.load(Ordering::Relaxed),
            events: self.progress.events.load(Ordering::Relaxed),
            bytes: self.progress.bytes.load(Ordering::Relaxed),
            problems,
            cancelled,
            elapsed: started.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests;
