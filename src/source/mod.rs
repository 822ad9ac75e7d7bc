//! Where facts come from: the embedded demo world (and, later, AWS and CloudTrail files).

pub mod demo;
pub mod ingest;
