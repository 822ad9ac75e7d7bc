//! CloudTrail as it is stored: files, directory trees in the S3 delivery layout, and S3
//! buckets, read in parallel into events, with a summary of whatever could not be read.

pub mod parse;
pub mod read;
pub mod s3;

pub use read::{Problem, Progress, ReadOptions, Summary, read_local};

use std::path::PathBuf;

/// Where CloudTrail data is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, or a directory read recursively.
    Local(PathBuf),
    /// `s3://bucket/prefix`.
    S3 { bucket: String, prefix: String },
}

impl Source {
    pub fn parse(text: &str) -> Source {
        match text.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                Source::S3 {
                    bucket: bucket.to_string(),
                    prefix: prefix.to_string(),
                }
            }
            None => Source::Local(PathBuf::from(text)),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Local(p) => write!(f, "{}", p.display()),
            Source::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}
