//! A real AWS account through the AWS SDK for Rust: CloudTrail, Config, IAM, Security Hub.

pub mod cloudtrail;
pub mod config;
pub mod connect;
pub mod errors;
pub mod iam;
pub mod live;
pub mod pace;
pub mod responder;
pub mod securityhub;
pub mod time;
pub mod trails;
