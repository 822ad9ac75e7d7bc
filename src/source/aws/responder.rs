//! Responses made for real: each planned call becomes the SDK call of the same name.

use super::calls::{api_error, param};
use super::config::ConfigSource;
use super::ec2::Ec2Clients;
use crate::model::{ApiCall, ResourceKey};
use crate::respond::{ApiError, Progress, ResponseApi};
use async_trait::async_trait;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often a running remediation is asked about, and for how long.
const REMEDIATION_POLL: Duration = Duration::from_secs(5);
const REMEDIATION_TIMEOUT: Duration = Duration::from_secs(15 * 60);

pub struct AwsResponder {
    iam: aws_sdk_iam::Client,
    ec2: Ec2Clients,
    config: BTreeMap<String, ConfigSource>,
    /// Poked after an IAM change, so the Keys pane shows it without waiting for the next
    /// scheduled refresh.
    iam_changed: Arc<Notify>,
}

impl AwsResponder {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        config: BTreeMap<String, ConfigSource>,
        iam_changed: Arc<Notify>,
    ) -> Self {
        AwsResponder {
            iam: aws_sdk_iam::Client::new(sdk),
            ec2: Ec2Clients::new(sdk.clone()),
            config,
            iam_changed,
        }
    }

    fn config_in(&self, call: &ApiCall) -> Result<&ConfigSource, ApiError> {
        let region = call.region.as_deref().unwrap_or_default();
        self.config
            .get(region)
            .or_else(|| (self.config.len() == 1).then(|| self.config.values().next()).flatten())
            .ok_or_else(|| {
                ApiError::new(
                    "RegionNotWatched",
                    format!("the console does not watch region {region:?}; start it with --region {region}"),
                )
            })
    }
}

/// The resource keys of a StartRemediationExecution call.
fn resource_keys(call: &ApiCall) -> Vec<ResourceKey> {
    call.params
        .get("ResourceKeys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .map(|k| ResourceKey {
                    resource_type: k["resourceType"].as_str().unwrap_or_default().to_string(),
                    resource_id: k["resourceId"].as_str().unwrap_or_default().to_string(),
                    region: call.region.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl ResponseApi for AwsResponder {
    async fn call(&self, call: &ApiCall) -> Result<Value, ApiError> {
        let result = match call.service.as_str() {
            "iam" => super::iam_calls::call(&self.iam, call).await,
            "ec2" => self.ec2.call(call).await,
            "config" if call.operation == "StartRemediationExecution" => {
                let config = self.config_in(call)?;
                let failed = config
                    .start_remediation(param(call, "ConfigRuleName")?, &resource_keys(call))
                    .await
                    .map_err(api_error)?;
                if !failed.is_empty() {
                    let which: Vec<String> = failed
                        .iter()
                        .map(|(id, why)| format!("{id}: {why}"))
                        .collect();
                    return Err(ApiError::new("RemediationNotStarted", which.join("; ")));
                }
                Ok(json!({}))
            }
            service => Err(ApiError::new(
                "UnsupportedOperation",
                format!("warroom does not make {service}:{} calls", call.operation),
            )),
        };
        let changes_iam = !["List", "Get"]
            .iter()
            .any(|p| call.operation.starts_with(p));
        if call.service == "iam" && changes_iam && result.is_ok() {
            self.iam_changed.notify_one();
        }
        result
    }

    async fn follow(
        &self,
        call: &ApiCall,
        _response: &Value,
        progress: Progress<'_>,
    ) -> Result<(), ApiError> {
        if call.operation != "StartRemediationExecution" {
            return Ok(());
        }
        let config = self.config_in(call)?;
        config
            .follow_remediation(
                param(call, "ConfigRuleName")?,
                &resource_keys(call),
                REMEDIATION_POLL,
                REMEDIATION_TIMEOUT,
                progress,
            )
            .await
            .map(progress)
            .map_err(api_error)
    }
}

/// The responders of several accounts: each call goes to the account it names, made with
/// that account's response role. A call that names none is made only when there is one
/// account to make it in; warroom never guesses an account.
pub struct AccountResponders {
    by_account: BTreeMap<String, AwsResponder>,
}

impl AccountResponders {
    pub fn new(by_account: BTreeMap<String, AwsResponder>) -> Self {
        AccountResponders { by_account }
    }

    fn pick(&self, call: &ApiCall) -> Result<&AwsResponder, ApiError> {
        match &call.account {
            Some(a) => self.by_account.get(a).ok_or_else(|| {
                ApiError::new(
                    "AccountNotWatched",
                    format!("the console does not act in account {a}"),
                )
            }),
            None if self.by_account.len() == 1 => Ok(self.by_account.values().next().expect("one")),
            None => Err(ApiError::new(
                "AccountUnknown",
                format!(
                    "which of the {} accounts this acts in is not known (the key, user or resource was not seen in one): nothing was done",
                    self.by_account.len()
                ),
            )),
        }
    }
}

#[async_trait]
impl ResponseApi for AccountResponders {
    async fn call(&self, call: &ApiCall) -> Result<Value, ApiError> {
        self.pick(call)?.call(call).await
    }

    async fn follow(
        &self,
        call: &ApiCall,
        response: &Value,
        progress: Progress<'_>,
    ) -> Result<(), ApiError> {
        self.pick(call)?.follow(call, response, progress).await
    }
}
