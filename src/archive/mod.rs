//! CloudTrail as it is stored: files, directory trees in the S3 delivery layout, and S3
//! buckets, read in parallel into events, with a summary of whatever could not be read.

mod inflate;
pub mod parse;
pub mod read;
pub mod s3;
pub mod scan;

pub use read::{FileBatch, Problem, ReadOptions, ReadProgress, Summary, read_local};

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

/// Reads any source: local paths with `read::read_local`, `s3://` with `s3::read_s3`
/// (the profile, region and endpoint of `aws`, the standard chain for what it leaves
/// unset; path-style with an endpoint). Runs on
/// the calling thread for local sources; for S3 it blocks the calling thread on `rt`, so it
/// must not be called from inside that runtime's tasks (use `spawn_blocking` or a thread).
pub fn read_source(
    source: &Source,
    opts: &ReadOptions,
    aws: &crate::source::aws::connect::ConnectOptions,
    progress: &ReadProgress,
    sink: &(dyn Fn(read::FileBatch) + Sync),
    rt: &tokio::runtime::Handle,
) -> Summary {
    match source {
        Source::Local(path) => read_local(path, opts, progress, sink),
        Source::S3 { bucket, prefix } => rt.block_on(async {
            let client = s3::client_for(bucket, aws).await;
            s3::read_s3(&client, bucket, prefix, opts, s3::PARALLEL, progress, sink).await
        }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn sources_are_told_apart_by_their_scheme() {
        assert_eq!(
            Source::parse("s3://trail-bucket/AWSLogs/111122223333/"),
            Source::S3 {
                bucket: "trail-bucket".into(),
                prefix: "AWSLogs/111122223333/".into()
            }
        );
        assert_eq!(
            Source::parse("s3://trail-bucket"),
            Source::S3 {
                bucket: "trail-bucket".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            Source::parse("/var/trail"),
            Source::Local("/var/trail".into())
        );
    }

    /// A local source is read on the calling thread; the runtime is not needed for it.
    /// (S3 sources are read through moto in the integration tests.)
    #[test]
    fn read_source_reads_a_local_folder() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir
            .path()
            .join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/22");
        std::fs::create_dir_all(&day).unwrap();
        std::fs::write(
            day.join("a.json"),
            r#"{"Records":[{"eventID":"e1","eventTime":"2026-11-22T07:38:00Z","eventName":"ListUsers","eventSource":"iam.amazonaws.com"}]}"#,
        )
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ids = Mutex::new(Vec::new());
        let summary = read_source(
            &Source::parse(&dir.path().display().to_string()),
            &ReadOptions::default(),
            &Default::default(),
            &ReadProgress::default(),
            &|batch: FileBatch| {
                let mut ids = ids.lock().unwrap();
                ids.extend(batch.events.iter().map(|e| e.event_id().to_string()));
            },
            rt.handle(),
        );
        assert_eq!(ids.into_inner().unwrap(), ["e1"]);
        assert_eq!((summary.files, summary.events), (1, 1));
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
    }
}
