//! The floor for any JSON tool over a CloudTrail archive: walk the directory, gunzip every
//! `.json.gz` file and parse all of it with serde_json, counting the records in `Records`.
//! Nothing is filtered, kept or printed but the count, and it runs on one thread, so no
//! JSON search over the same files (`warroom query`, jq, …) can do less work per file than
//! this. `benches/archive.sh` times `warroom query` against it on the same archive.
//!
//! ```text
//! cargo run --release --example json_floor -- target/bench-archive            # serde_json::Value
//! cargo run --release --example json_floor -- target/bench-archive --ignored  # IgnoredAny
//! ```

use anyhow::{Context, Result};
use clap::Parser;
use flate2::read::MultiGzDecoder;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::io::Read;
use std::path::PathBuf;
use walkdir::WalkDir;

#[derive(Debug, Parser)]
#[command(about = "Gunzip and parse every .json.gz file under a directory; print the record count")]
struct Args {
    /// The archive's root (any directory holding `.json.gz` CloudTrail files).
    dir: PathBuf,
    /// Parse each record into `serde::de::IgnoredAny` instead of `serde_json::Value`: the
    /// JSON is still read and validated in full, but no tree is built.
    #[arg(long)]
    ignored: bool,
}

/// A CloudTrail file with records parsed as `T`; any other top-level key is skipped.
#[derive(Deserialize)]
struct File<T> {
    #[serde(rename = "Records")]
    records: Vec<T>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut text = Vec::new();
    let mut records = 0usize;
    for entry in WalkDir::new(&args.dir) {
        let entry = entry?;
        let path = entry.path();
        if !entry.file_type().is_file() || !path.to_string_lossy().ends_with(".json.gz") {
            continue;
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        text.clear();
        MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .with_context(|| format!("gunzipping {}", path.display()))?;
        let parsed = if args.ignored {
            serde_json::from_slice::<File<IgnoredAny>>(&text).map(|f| f.records.len())
        } else {
            serde_json::from_slice::<File<serde_json::Value>>(&text).map(|f| f.records.len())
        };
        records += parsed.with_context(|| format!("parsing {}", path.display()))?;
    }
    println!("{records}");
    Ok(())
}
