//! Many accounts from one set of credentials: the organization's accounts (or the ones
//! named), each reached through STS `AssumeRole` into a read-only incident role to watch it,
//! and a separate role to respond in it. Credentials are the SDK's to keep fresh: its
//! identity cache asks STS again before they expire. An account whose role cannot be assumed
//! is reported and left out; the others go on.

use super::connect::Account;
use super::errors::{self, AwsFailure};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;

/// The role warroom assumes to watch an account, unless told otherwise. Its policy is the
/// read-only list in the README (CloudTrail, Config, Security Hub, IAM reads).
pub const DEFAULT_ROLE: &str = "WarroomIncidentReadOnly";
/// The role it assumes to respond (deactivate keys, isolate instances, remediate).
pub const DEFAULT_RESPONSE_ROLE: &str = "WarroomIncidentResponse";

/// Which accounts, and through which roles.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountOptions {
    /// Accounts named (`--account`, `[aws] accounts`).
    pub accounts: Vec<String>,
    /// Every active account of the organization (`--org`).
    pub org: bool,
    pub role_name: String,
    pub response_role_name: String,
    /// Who is at the console: the role sessions are named after them, so CloudTrail in
    /// every account says who acted.
    pub responder: String,
}

impl AccountOptions {
    /// Whether more than the credentials' own account is asked for.
    pub fn many(&self) -> bool {
        self.org || !self.accounts.is_empty()
    }
}

/// One account the console watches and acts in.
#[derive(Debug, Clone)]
pub struct Member {
    /// Watching: the read-only role (or the console's own credentials in its own account).
    pub account: Account,
    /// Responding: the response role, `account.sdk` in the console's own account.
    pub respond: SdkConfig,
    /// The role ARN responses run as (what every confirmation names).
    pub respond_as: String,
}

/// An account that could not be reached, and why.
#[derive(Debug, Clone)]
pub struct Unreachable {
    pub account_id: String,
    pub failure: AwsFailure,
}

/// A role session name: `warroom-<who>`, in the characters and length STS takes.
pub fn session_name(responder: &str) -> String {
    let who: String = responder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!("warroom-{who}");
    name.truncate(64);
    name
}

fn role_arn(account_id: &str, role: &str) -> String {
    format!("arn:aws:iam::{account_id}:role/{role}")
}

/// `home`'s configuration with credentials from assuming `role_arn` (refreshed by the
/// SDK's identity cache before they expire).
async fn assumed(home: &SdkConfig, role_arn: &str, session: &str) -> SdkConfig {
    let provider = AssumeRoleProvider::builder(role_arn)
        .session_name(session)
        .configure(home)
        .build()
        .await;
    home.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// The accounts to watch: the organization's active ones (asked of Organizations with the
/// console's own credentials), or the ones named; each assumed into. Fails only when the
/// organization cannot be listed.
pub async fn reach(
    home: &Account,
    opts: &AccountOptions,
) -> Result<(Vec<Member>, Vec<Unreachable>), AwsFailure> {
    let mut ids = opts.accounts.clone();
    if opts.org {
        ids.extend(
            super::org::active_accounts(&home.sdk)
                .await?
                .into_iter()
                .map(|m| m.id),
        );
    }
    ids.sort();
    ids.dedup();
    let session = session_name(&opts.responder);
    let reached =
        futures::future::join_all(ids.iter().map(|id| member(home, id, opts, &session))).await;
    let (mut members, mut unreachable) = (Vec::new(), Vec::new());
    for (id, r) in ids.into_iter().zip(reached) {
        match r {
            Ok(m) => members.push(m),
            Err(failure) => unreachable.push(Unreachable {
                account_id: id,
                failure,
            }),
        }
    }
    Ok((members, unreachable))
}

async fn member(
    home: &Account,
    id: &str,
    opts: &AccountOptions,
    session: &str,
) -> Result<Member, AwsFailure> {
    if id == home.account_id {
        // The console's own account: its own credentials, for watching and responding.
        return Ok(Member {
            account: home.clone(),
            respond: home.sdk.clone(),
            respond_as: home.arn.clone(),
        });
    }
    let watch_role = role_arn(id, &opts.role_name);
    let sdk = assumed(&home.sdk, &watch_role, session).await;
    // Asking who we are there is what proves the role can be assumed.
    let me = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            let mut f = errors::describe("sts:AssumeRole", &e);
            f.message = format!("cannot assume {watch_role}: {}", f.message);
            f
        })?;
    let alias = super::connect::alias_of(&sdk).await;
    let respond_role = role_arn(id, &opts.response_role_name);
    let respond = assumed(&home.sdk, &respond_role, session).await;
    Ok(Member {
        account: Account {
            sdk,
            regions: home.regions.clone(),
            account_id: me.account().unwrap_or(id).to_string(),
            arn: me.arn().unwrap_or_default().to_string(),
            own_key: None,
            note: None,
            alias,
        },
        respond,
        respond_as: format!("{respond_role} (session {session})"),
    })
}

impl Member {
    /// Where and as whom responses act here, as every confirmation names it.
    pub fn acting(&self) -> String {
        self.account.acting_as(&self.respond_as)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_named_after_the_responder_in_stss_alphabet() {
        assert_eq!(session_name("dana.kim"), "warroom-dana.kim");
        assert_eq!(session_name("Dana Kim/ops"), "warroom-Dana-Kim-ops");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }
}
