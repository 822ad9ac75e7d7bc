//! An organization's accounts, as its management (or a delegated administrator) account
//! lists them.

use super::errors::{self, AwsFailure};
use aws_sdk_organizations::types::{AccountState, AccountStatus};

/// One member account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: Option<String>,
}

/// The organization's active accounts (suspended and closing ones cannot be acted in),
/// by `organizations:ListAccounts`, every page.
pub async fn active_accounts(sdk: &aws_config::SdkConfig) -> Result<Vec<Member>, AwsFailure> {
    let client = aws_sdk_organizations::Client::new(sdk);
    let mut pages = client.list_accounts().into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| errors::describe("organizations:ListAccounts", &e))?;
        for a in page.accounts() {
            // `State` replaced `Status` in 2026; an older endpoint still says only `Status`.
            let active = match (a.state(), a.status()) {
                (Some(state), _) => *state == AccountState::Active,
                (None, Some(status)) => *status == AccountStatus::Active,
                (None, None) => true,
            };
            if let (true, Some(id)) = (active, a.id()) {
                out.push(Member {
                    id: id.to_string(),
                    name: a.name().map(str::to_string),
                });
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// An AWS account ID: twelve digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}
