//! A real AWS account through the AWS SDK for Rust: CloudTrail, Config, IAM, Security Hub.

pub mod errors;
pub mod pace;
