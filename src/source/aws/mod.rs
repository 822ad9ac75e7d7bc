//! A real AWS account through the AWS SDK for Rust: CloudTrail, Config, IAM, Security Hub.

pub mod accounts;
pub mod athena;
mod calls;
pub mod cloudtrail;
pub mod config;
pub mod connect;
pub mod ec2;
pub mod errors;
pub mod iam;
mod iam_calls;
pub mod live;
pub mod org;
pub mod pace;
pub mod responder;
pub mod securityhub;
pub mod stacks;
pub mod time;
pub mod trails;
