//! Writes a synthetic CloudTrail archive in the S3 delivery layout, for benchmarks and soak
//! runs: `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`, one gzipped
//! `{"Records":[…]}` per region and five minutes, records out of time order as CloudTrail
//! writes them. The same seed writes the same bytes, whatever the number of threads.
//!
//! ```text
//! cargo run --release --example gen_archive -- --events 1000000 --out target/archive \
//!     --pivot-key AKIAPIVOT00000000001 --pivot-events 2000
//! ```

mod events;
mod json;
mod plan;
mod world;
mod write;

use events::*;
use json::*;
use plan::*;
use world::*;
use write::*;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use clap::Parser;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Write a synthetic CloudTrail archive in the S3 delivery layout")]
struct Args {
    /// Events in all, the planted ones included.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// The archive's root: `AWSLogs/` is written under it.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Days of activity, from --start.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// The first day, UTC.
    #[arg(long, default_value = "2025-03-01")]
    start: NaiveDate,
    /// Regions with activity (1 to 12); the first one, us-east-1, also gets the global
    /// services (IAM, console sign-in), as in a real trail.
    #[arg(long, default_value_t = 4)]
    regions: usize,
    #[arg(long, default_value = "111122223333")]
    account: String,
    /// An access key to plant: exactly --pivot-events events are made with it, at random
    /// times, for pivot benchmarks.
    #[arg(long, value_name = "KEY")]
    pivot_key: Option<String>,
    #[arg(long, default_value_t = 2000)]
    pivot_events: usize,
    /// Threads writing files; the output does not depend on it.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Replace an archive already under --out.
    #[arg(long)]
    force: bool,
}

const REGIONS: [&str; 12] = [
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "ap-southeast-2",
    "eu-central-1",
    "ap-northeast-1",
    "us-east-2",
    "ca-central-1",
    "sa-east-1",
    "eu-north-1",
    "ap-south-1",
    "us-west-1",
];

/// CloudTrail delivers a region's events about every five minutes.
const SLOT_MINUTES: i64 = 5;

fn main() -> Result<()> {
    let args = Args::parse();
    check(&args)?;
    let started = Instant::now();
    let world = World::new(&args);
    let plan = Plan::new(&args, &world);
    prepare_out(&args)?;
    let written = write_all(&args, &world, &plan)?;
    print_summary(&args, &plan, &written, started.elapsed().as_secs_f64());
    Ok(())
}

fn check(args: &Args) -> Result<()> {
    if !(1..=REGIONS.len()).contains(&args.regions) {
        bail!("--regions must be between 1 and {}", REGIONS.len());
    }
    if args.days == 0 {
        bail!("--days must be at least 1");
    }
    if args.account.len() != 12 || !args.account.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--account must be 12 digits");
    }
    if let Some(key) = &args.pivot_key {
        let ok = key.len() == 20 && key.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok || !(key.starts_with("AKIA") || key.starts_with("ASIA")) {
            bail!("--pivot-key must look like an access key: AKIA or ASIA and 16 more characters");
        }
        if args.pivot_events > args.events {
            bail!("--pivot-events cannot exceed --events");
        }
    }
    Ok(())
}

/// An archive left by an earlier run would mix with this one: refuse, or clear it on --force.
fn prepare_out(args: &Args) -> Result<()> {
    let logs = args.out.join("AWSLogs");
    if logs.exists() {
        if !args.force {
            bail!(
                "{} already holds an archive: remove it, or pass --force",
                args.out.display()
            );
        }
        std::fs::remove_dir_all(&logs).with_context(|| format!("removing {}", logs.display()))?;
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))
}
