//! S3 (filled below).
