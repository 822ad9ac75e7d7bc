//! Connecting to an account: the standard credential chain, the regions to watch, who the
//! console acts as, and which access key it signs with.

use super::errors::{self, AwsFailure, FailureKind};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;

/// How to reach the account, from the command line and the config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    /// Regions to watch; `all` means every region enabled for the account.
    pub regions: Vec<String>,
    /// An emulator or proxy instead of AWS (moto, LocalStack).
    pub endpoint_url: Option<String>,
}

/// Who the console is, where it looks, and with what it signs.
#[derive(Debug, Clone)]
pub struct Account {
    pub sdk: SdkConfig,
    pub regions: Vec<String>,
    pub account_id: String,
    pub arn: String,
    /// The access key of the console's own credentials (so it can refuse to cut its own
    /// branch without asking twice).
    pub own_key: Option<String>,
    /// Something worth saying about how the regions were chosen.
    pub note: Option<String>,
    /// The account's alias (`iam:ListAccountAliases`), when it has one and may be read.
    pub alias: Option<String>,
}

impl Account {
    /// Where and as whom the console acts, as every confirmation names it.
    pub fn acting(&self) -> String {
        self.acting_as(&self.arn)
    }

    /// As [`Account::acting`], for whoever `who` is (a response role).
    pub fn acting_as(&self, who: &str) -> String {
        match &self.alias {
            Some(alias) => format!("account {} ({alias}) as {who}", self.account_id),
            None => format!("account {} as {who}", self.account_id),
        }
    }
}

/// The regions enabled by default in every account, for when the account cannot be asked.
pub const DEFAULT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

/// A client configuration for one region, from the account's.
pub fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// The one HTTPS client every AWS call goes through: rustls on ring, the crypto back end the
/// Slack client already links (the SDK's default would add aws-lc-rs and a second HTTP stack).
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The SDK's configuration for a profile, region and endpoint, any of them unset: the
/// standard chain (environment, profiles, SSO, assume-role) fills the rest, and a region
/// found nowhere is us-east-1. A profile named explicitly wins over keys exported in the
/// environment (as aws-vault and granted export them): the default chain reads those first,
/// so `--profile other` would act with the exported account's keys.
pub async fn sdk_config(
    profile: Option<&str>,
    region: Option<&str>,
    endpoint_url: Option<&str>,
) -> SdkConfig {
    use aws_config::meta::region::ProvideRegion;
    use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
    use aws_config::provider_config::ProviderConfig;
    let http = https_client();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http.clone());
    if let Some(p) = profile {
        // Providers made here get the client too: the profile's chain may ask STS, SSO or
        // the instance metadata service.
        let providers = ProviderConfig::default().with_http_client(http);
        loader = loader.profile_name(p).credentials_provider(
            ProfileFileCredentialsProvider::builder()
                .configure(&providers)
                .profile_name(p)
                .build(),
        );
        if region.is_none() {
            // The profile's region before the environment's; without one, the loader's own
            // chain.
            let named = ProfileFileRegionProvider::builder()
                .configure(&providers)
                .profile_name(p)
                .build()
                .region()
                .await;
            if let Some(r) = named {
                loader = loader.region(r);
            }
        }
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        // No region anywhere (flag, environment, profile): the most common default.
        return in_region(&sdk, "us-east-1");
    }
    sdk
}

/// Loads credentials ([`sdk_config`]), asks STS who they belong to, and settles the
/// regions.
pub async fn connect(opts: &ConnectOptions) -> Result<Account, AwsFailure> {
    let explicit: Vec<&String> = opts.regions.iter().filter(|r| *r != "all").collect();
    let sdk = sdk_config(
        opts.profile.as_deref(),
        explicit.first().map(|r| r.as_str()),
        opts.endpoint_url.as_deref(),
    )
    .await;
    let home = sdk.region().map(|r| r.to_string()).unwrap_or_default();
    let sts = aws_sdk_sts::Client::new(&sdk);
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| errors::describe("sts:GetCallerIdentity", &e))?;
    let own_key = match sdk.credentials_provider() {
        Some(p) => p
            .provide_credentials()
            .await
            .ok()
            .map(|c| c.access_key_id().to_string()),
        None => None,
    };
    let (regions, note) = if opts.regions.iter().any(|r| r == "all") {
        match enabled_regions(&sdk).await {
            Ok(r) if !r.is_empty() => (r, None),
            Ok(_) | Err(_) => (
                DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect(),
                Some(
                    "could not list the account's enabled regions (account:ListRegions); watching the default ones"
                        .to_string(),
                ),
            ),
        }
    } else if explicit.is_empty() {
        (vec![home], None)
    } else {
        (explicit.into_iter().cloned().collect(), None)
    };
    let alias = alias_of(&sdk).await;
    Ok(Account {
        alias,
        sdk,
        regions,
        account_id: me.account().unwrap_or_default().to_string(),
        arn: me.arn().unwrap_or_default().to_string(),
        own_key,
        note,
    })
}

/// The account's alias: what people recognise an account by. Without the permission
/// (`iam:ListAccountAliases`), none, and the ID alone is said.
pub async fn alias_of(sdk: &SdkConfig) -> Option<String> {
    aws_sdk_iam::Client::new(sdk)
        .list_account_aliases()
        .send()
        .await
        .ok()
        .and_then(|a| a.account_aliases().first().cloned())
}

async fn enabled_regions(sdk: &SdkConfig) -> Result<Vec<String>, AwsFailure> {
    use aws_sdk_account::types::RegionOptStatus;
    let client = aws_sdk_account::Client::new(sdk);
    let mut out = Vec::new();
    let mut pages = client
        .list_regions()
        .region_opt_status_contains(RegionOptStatus::Enabled)
        .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| errors::describe("account:ListRegions", &e))?;
        out.extend(
            page.regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_string)),
        );
    }
    Ok(out)
}

/// The sentence to stop on when the console cannot act as anyone.
pub fn explain(f: &AwsFailure) -> String {
    match f.kind {
        FailureKind::NoCredentials => format!(
            "{}\nSet credentials the usual way: AWS_PROFILE or --profile (aws sso login first for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
            f.message
        ),
        FailureKind::Expired => format!("{}\nRefresh them and start again.", f.message),
        // Said once, before anything runs: nothing is retrying it.
        FailureKind::Unreachable => format!(
            "{}\nCheck the network, or --endpoint-url if you meant an emulator.",
            f.message.trim_end_matches(" — retrying")
        ),
        _ => f.message.clone(),
    }
}
