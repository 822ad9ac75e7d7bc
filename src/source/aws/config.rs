//! AWS Config: the resources a region's rules find non-compliant, and running the rules'
//! remediations (SSM Automation documents) on them.

use super::errors::{self, AwsFailure, FailureKind};
use super::pace::Pacer;
use crate::model::{Finding, ResourceKey};
use crate::respond::Progress;
use aws_sdk_config::types::{
    self as sdk, ComplianceType, RemediationExecutionState, RemediationExecutionStatus,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

const DESCRIBE_RULES: &str = "config:DescribeConfigRules";
const DESCRIBE_COMPLIANCE: &str = "config:DescribeComplianceByConfigRule";
const COMPLIANCE_DETAILS: &str = "config:GetComplianceDetailsByConfigRule";
const DESCRIBE_REMEDIATIONS: &str = "config:DescribeRemediationConfigurations";
const START_REMEDIATION: &str = "config:StartRemediationExecution";
const REMEDIATION_STATUS: &str = "config:DescribeRemediationExecutionStatus";

/// The largest page GetComplianceDetailsByConfigRule hands out.
const DETAILS_PAGE: i32 = 100;
/// DescribeRemediationConfigurations takes at most this many rule names.
const RULES_PER_REMEDIATION_CALL: usize = 25;
/// StartRemediationExecution and DescribeRemediationExecutionStatus take at most this many
/// resource keys; a remediation is followed as it was started, in one go.
const KEYS_PER_CALL: usize = 100;
/// Config throttles bursts per account and region, and a refresh asks about every
/// non-compliant rule in turn: spacing the requests keeps a large account from tripping it.
const REQUESTS_PER_SECOND: f64 = 5.0;

/// One region's AWS Config. Clones share the pacer, so the poller and the responder
/// together stay within the rate.
#[derive(Clone)]
pub struct ConfigSource {
    client: aws_sdk_config::Client,
    region: String,
    pacer: std::sync::Arc<Pacer>,
    /// What its status line is called.
    name: Option<String>,
    /// A Config aggregator to read every account's findings from, instead of this
    /// account's and region's.
    aggregator: Option<String>,
}

impl ConfigSource {
    pub fn new(client: aws_sdk_config::Client, region: impl Into<String>) -> Self {
        ConfigSource {
            client,
            region: region.into(),
            pacer: std::sync::Arc::new(Pacer::new(REQUESTS_PER_SECOND)),
            name: None,
            aggregator: None,
        }
    }

    /// The same, with its status line so called.
    pub fn named(mut self, name: String) -> Self {
        self.name = Some(name);
        self
    }

    /// Reads the findings of every account and region from the aggregator of that name
    /// (in this source's region) instead.
    pub fn aggregated(mut self, aggregator: String) -> Self {
        self.aggregator = Some(aggregator);
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// What the status line calls it.
    pub fn name(&self) -> String {
        match (&self.name, &self.aggregator) {
            (Some(n), _) => n.clone(),
            (None, Some(a)) => format!("config aggregator {a} ({})", self.region),
            (None, None) => format!("config:{}", self.region),
        }
    }

    /// Whether `f` is one of the findings this source reports (`account`: the account an
    /// account's own Config stamps on its findings, when the console watches several).
    pub fn answers_for(&self, f: &Finding, account: Option<&str>) -> bool {
        self.aggregator.is_some() || (f.region == self.region && f.account.as_deref() == account)
    }

    /// Every NON_COMPLIANT resource in the region (or, aggregated, the organization), one
    /// finding per rule and resource.
    pub async fn non_compliant(&self) -> Result<Vec<Finding>, AwsFailure> {
        if let Some(aggregator) = &self.aggregator {
            return self.aggregated_non_compliant(aggregator).await;
        }
        let rules = self.non_compliant_rules().await?;
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let descriptions = self.rule_descriptions().await?;
        let documents = self.remediation_documents(&rules).await?;
        let mut findings = Vec::new();
        for rule in &rules {
            let template = Finding {
                rule: rule.clone(),
                rule_description: descriptions.get(rule).cloned().unwrap_or_default(),
                resource_type: String::new(),
                resource_id: String::new(),
                region: self.region.clone(),
                compliance: ComplianceType::NonCompliant.as_str().to_string(),
                annotation: None,
                remediation: documents.get(rule).cloned(),
                guidance: None,
                evaluated_at: None,
                stack: None,
                account: None,
            };
            let results = self.non_compliant_results(rule).await?;
            findings.extend(results.iter().filter_map(|r| finding(&template, r)));
        }
        Ok(findings)
    }

    /// Starts the rule's remediation on the resources. Returns the resources Config would not
    /// start it on, each with the reason it gave.
    pub async fn start_remediation(
        &self,
        rule: &str,
        keys: &[ResourceKey],
    ) -> Result<Vec<(String, String)>, AwsFailure> {
        let sdk_keys = self.sdk_keys(START_REMEDIATION, keys)?;
        self.pacer.wait().await;
        let out = self
            .client
            .start_remediation_execution()
            .config_rule_name(rule)
            .set_resource_keys(Some(sdk_keys))
            .send()
            .await
            .map_err(|e| errors::describe(START_REMEDIATION, &e))?;
        let message = out.failure_message().unwrap_or("no reason given");
        Ok(out
            .failed_items()
            .iter()
            .map(|k| (k.resource_id().to_string(), message.to_string()))
            .collect())
    }

    /// Follows the rule's remediation of the resources (at most 100, as they were started)
    /// until each has succeeded or failed, or `timeout` has passed, looking every `every` and
    /// reporting each change of state as "resource-id: STATE".
    pub async fn follow_remediation(
        &self,
        rule: &str,
        keys: &[ResourceKey],
        every: Duration,
        timeout: Duration,
        progress: Progress<'_>,
    ) -> Result<String, AwsFailure> {
        let sdk_keys = self.sdk_keys(REMEDIATION_STATUS, keys)?;
        let deadline = Instant::now() + timeout;
        let mut follow = Follow::new(keys);
        loop {
            let statuses = self.execution_statuses(rule, &sdk_keys).await?;
            follow.observe(&statuses, progress);
            let now = Instant::now();
            if follow.settled() || now >= deadline {
                break;
            }
            // The last look falls on the deadline rather than past it.
            tokio::time::sleep(every.min(deadline - now)).await;
        }
        follow.outcome(rule, timeout)
    }

    /// The rules with at least one NON_COMPLIANT resource, in the order Config lists them.
    async fn non_compliant_rules(&self) -> Result<Vec<String>, AwsFailure> {
        let compliance = self
            .every_page(|token| async move {
                let page = self
                    .client
                    .describe_compliance_by_config_rule()
                    .compliance_types(ComplianceType::NonCompliant)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| errors::describe(DESCRIBE_COMPLIANCE, &e))?;
                Ok((
                    page.compliance_by_config_rules.unwrap_or_default(),
                    page.next_token,
                ))
            })
            .await?;
        Ok(compliance
            .into_iter()
            // The filter was asked for; an endpoint that ignores it must not make every rule
            // worth a GetComplianceDetailsByConfigRule.
            .filter(|c| {
                c.compliance().and_then(|c| c.compliance_type())
                    == Some(&ComplianceType::NonCompliant)
            })
            .filter_map(|c| c.config_rule_name)
            .collect())
    }

    /// Every rule's description, by rule name.
    async fn rule_descriptions(&self) -> Result<HashMap<String, String>, AwsFailure> {
        let rules = self
            .every_page(|token| async move {
                let page = self
                    .client
                    .describe_config_rules()
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| errors::describe(DESCRIBE_RULES, &e))?;
                Ok((page.config_rules.unwrap_or_default(), page.next_token))
            })
            .await?;
        Ok(rules
            .into_iter()
            .filter_map(|r| Some((r.config_rule_name?, r.description.unwrap_or_default())))
            .collect())
    }

    /// The SSM document each of the rules remediates with, for those that have a
    /// remediation configuration.
    async fn remediation_documents(
        &self,
        rules: &[String],
    ) -> Result<HashMap<String, String>, AwsFailure> {
        let mut documents = HashMap::new();
        for names in rules.chunks(RULES_PER_REMEDIATION_CALL) {
            self.pacer.wait().await;
            let out = self
                .client
                .describe_remediation_configurations()
                .set_config_rule_names(Some(names.to_vec()))
                .send()
                .await
                .map_err(|e| errors::describe(DESCRIBE_REMEDIATIONS, &e))?;
            documents.extend(
                out.remediation_configurations
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| (c.config_rule_name, c.target_id)),
            );
        }
        Ok(documents)
    }

    /// The rule's NON_COMPLIANT evaluation results.
    async fn non_compliant_results(
        &self,
        rule: &str,
    ) -> Result<Vec<sdk::EvaluationResult>, AwsFailure> {
        self.every_page(|token| async move {
            let page = self
                .client
                .get_compliance_details_by_config_rule()
                .config_rule_name(rule)
                .compliance_types(ComplianceType::NonCompliant)
                .limit(DETAILS_PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| errors::describe(COMPLIANCE_DETAILS, &e))?;
            Ok((page.evaluation_results.unwrap_or_default(), page.next_token))
        })
        .await
    }

    /// Where the rule's remediation stands on each of the resources Config reports on.
    async fn execution_statuses(
        &self,
        rule: &str,
        keys: &[sdk::ResourceKey],
    ) -> Result<Vec<RemediationExecutionStatus>, AwsFailure> {
        self.every_page(|token| async move {
            let page = self
                .client
                .describe_remediation_execution_status()
                .config_rule_name(rule)
                .set_resource_keys(Some(keys.to_vec()))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| errors::describe(REMEDIATION_STATUS, &e))?;
            Ok((
                page.remediation_execution_statuses.unwrap_or_default(),
                page.next_token,
            ))
        })
        .await
    }

    /// Asks for page after page, paced, until the service hands out no further token. `fetch`
    /// makes one request with the given token and returns the page's items and next token.
    async fn every_page<T, F, Fut>(&self, mut fetch: F) -> Result<Vec<T>, AwsFailure>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, Option<String>), AwsFailure>>,
    {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.pacer.wait().await;
            let (page, next) = fetch(token.clone()).await?;
            items.extend(page);
            // An empty token ends a listing too, and a service handing back the token it was
            // given would otherwise keep us asking forever.
            match next.filter(|n| !n.is_empty()) {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => return Ok(items),
            }
        }
    }

    /// The keys in the SDK's form, after refusing what the API would reject or run in the
    /// wrong place: no call is made for them.
    fn sdk_keys(
        &self,
        operation: &str,
        keys: &[ResourceKey],
    ) -> Result<Vec<sdk::ResourceKey>, AwsFailure> {
        self.check_keys(operation, keys)?;
        keys.iter().map(|k| sdk_key(operation, k)).collect()
    }

    fn check_keys(&self, operation: &str, keys: &[ResourceKey]) -> Result<(), AwsFailure> {
        if keys.is_empty() {
            return Err(other_failure(
                operation,
                format!("{operation}: no resources given"),
            ));
        }
        if keys.len() > KEYS_PER_CALL {
            return Err(other_failure(
                operation,
                format!(
                    "{operation} takes at most {KEYS_PER_CALL} resources at a time, {} given",
                    keys.len()
                ),
            ));
        }
        // Config is regional: a resource evaluated elsewhere is unknown to this region's
        // remediation.
        let elsewhere: Vec<&str> = keys
            .iter()
            .filter(|k| k.region.as_deref().is_some_and(|r| r != self.region))
            .map(|k| k.resource_id.as_str())
            .collect();
        if !elsewhere.is_empty() {
            return Err(other_failure(
                operation,
                format!(
                    "{} not in {}: remediate them through their own region",
                    elsewhere.join(", "),
                    self.region
                ),
            ));
        }
        Ok(())
    }
}

/// A failure that is no AWS error: the call was not made, or what it started went wrong.
fn other_failure(operation: &str, message: String) -> AwsFailure {
    AwsFailure {
        kind: FailureKind::Other,
        operation: operation.to_string(),
        code: None,
        message,
    }
}

/// The SDK's form of a resource key. Resource types the SDK does not know are sent as given.
fn sdk_key(operation: &str, key: &ResourceKey) -> Result<sdk::ResourceKey, AwsFailure> {
    sdk::ResourceKey::builder()
        .resource_type(sdk::ResourceType::from(key.resource_type.as_str()))
        .resource_id(&key.resource_id)
        .build()
        .map_err(|e| other_failure(operation, format!("bad resource key: {e}")))
}

/// The finding an evaluation result makes, from a template carrying what is the same for
/// the whole rule.
fn finding(template: &Finding, result: &sdk::EvaluationResult) -> Option<Finding> {
    evaluated(
        template,
        result.compliance_type(),
        result.evaluation_result_identifier(),
        result.annotation(),
        result.result_recorded_time(),
    )
}

/// A finding from the parts every evaluation result has (an account's or an aggregator's):
/// none when it says the resource complies (the filter was asked for; an endpoint that
/// ignores it must not make findings), or names no resource.
fn evaluated(
    template: &Finding,
    compliance: Option<&ComplianceType>,
    identifier: Option<&sdk::EvaluationResultIdentifier>,
    annotation: Option<&str>,
    recorded: Option<&aws_smithy_types::DateTime>,
) -> Option<Finding> {
    if compliance.is_some_and(|c| *c != ComplianceType::NonCompliant) {
        return None;
    }
    let qualifier = identifier?.evaluation_result_qualifier()?;
    Some(Finding {
        resource_type: qualifier.resource_type().unwrap_or_default().to_string(),
        resource_id: qualifier.resource_id()?.to_string(),
        annotation: annotation.map(str::to_string),
        evaluated_at: recorded.and_then(utc),
        stack: None,
        ..template.clone()
    })
}

fn utc(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// What is known of a remediation's progress on each resource followed.
struct Follow<'a> {
    keys: &'a [ResourceKey],
    /// The last state seen and the failed step's message, by (resource type, resource id).
    seen: HashMap<(String, String), (RemediationExecutionState, Option<String>)>,
}

impl<'a> Follow<'a> {
    fn new(keys: &'a [ResourceKey]) -> Self {
        Follow {
            keys,
            seen: HashMap::new(),
        }
    }

    /// Takes in one look at the statuses, reporting the resources whose state changed.
    fn observe(&mut self, statuses: &[RemediationExecutionStatus], progress: Progress<'_>) {
        for status in statuses {
            let (Some(key), Some(state)) = (status.resource_key(), status.state()) else {
                continue;
            };
            let id = (
                key.resource_type().as_str().to_string(),
                key.resource_id().to_string(),
            );
            if !self.is_followed(&id) {
                continue;
            }
            if self.seen.get(&id).map(|(s, _)| s) != Some(state) {
                progress(format!("{}: {}", id.1, state.as_str()));
            }
            self.seen.insert(id, (state.clone(), step_error(status)));
        }
    }

    fn is_followed(&self, id: &(String, String)) -> bool {
        self.keys
            .iter()
            .any(|k| k.resource_type == id.0 && k.resource_id == id.1)
    }

    fn state(&self, key: &ResourceKey) -> Option<&(RemediationExecutionState, Option<String>)> {
        self.seen
            .get(&(key.resource_type.clone(), key.resource_id.clone()))
    }

    fn settled(&self) -> bool {
        self.keys.iter().all(|k| {
            matches!(
                self.state(k),
                Some((
                    RemediationExecutionState::Succeeded | RemediationExecutionState::Failed,
                    _
                ))
            )
        })
    }

    /// The one-line result: how many were remediated, or which failed and which never
    /// finished.
    fn outcome(&self, rule: &str, timeout: Duration) -> Result<String, AwsFailure> {
        let mut succeeded = 0;
        let mut failed = Vec::new();
        let mut running = Vec::new();
        for key in self.keys {
            let id = &key.resource_id;
            match self.state(key) {
                Some((RemediationExecutionState::Succeeded, _)) => succeeded += 1,
                Some((RemediationExecutionState::Failed, Some(error))) => {
                    failed.push(format!("{id} ({error})"))
                }
                Some((RemediationExecutionState::Failed, None)) => failed.push(id.clone()),
                Some((state, _)) => running.push(format!("{id} ({})", state.as_str())),
                None => running.push(format!("{id} (no status yet)")),
            }
        }
        if failed.is_empty() && running.is_empty() {
            let noun = if succeeded == 1 {
                "resource"
            } else {
                "resources"
            };
            return Ok(format!("{succeeded} {noun} remediated"));
        }
        let mut parts = Vec::new();
        if !failed.is_empty() {
            parts.push(format!("failed for {}", failed.join(", ")));
        }
        if !running.is_empty() {
            parts.push(format!(
                "still running after {}s for {}",
                timeout.as_secs(),
                running.join(", ")
            ));
        }
        let of = self.keys.len();
        Err(other_failure(
            REMEDIATION_STATUS,
            format!(
                "remediation of {rule} {} ({succeeded} of {of} remediated)",
                parts.join("; ")
            ),
        ))
    }
}

/// The error message of the step that failed, named after the step, when Config gives one.
fn step_error(status: &RemediationExecutionStatus) -> Option<String> {
    let step = status
        .step_details()
        .iter()
        .find(|s| s.error_message().is_some())?;
    let message = step.error_message()?;
    Some(match step.name() {
        Some(name) => format!("step {name}: {message}"),
        None => message.to_string(),
    })
}

mod aggregate;

#[cfg(test)]
mod tests;
