//! An organization's findings from a Config aggregator: the rules non-compliant in any
//! account and region, then the resources each rule flags there, each finding naming its
//! account. One place to ask instead of every account's every region.

use super::{ConfigSource, DETAILS_PAGE, errors};
use crate::model::Finding;
use crate::source::aws::errors::AwsFailure;
use aws_sdk_config::types::{self as sdk, ComplianceType, ConfigRuleComplianceFilters};

const DESCRIBE_AGGREGATE: &str = "config:DescribeAggregateComplianceByConfigRules";
const AGGREGATE_DETAILS: &str = "config:GetAggregateComplianceDetailsByConfigRule";

impl ConfigSource {
    /// Every NON_COMPLIANT resource the aggregator knows of, in every account and region.
    pub(super) async fn aggregated_non_compliant(
        &self,
        aggregator: &str,
    ) -> Result<Vec<Finding>, AwsFailure> {
        let flagged = self
            .every_page(|token| async move {
                let page = self
                    .client
                    .describe_aggregate_compliance_by_config_rules()
                    .configuration_aggregator_name(aggregator)
                    .filters(
                        ConfigRuleComplianceFilters::builder()
                            .compliance_type(ComplianceType::NonCompliant)
                            .build(),
                    )
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| errors::describe(DESCRIBE_AGGREGATE, &e))?;
                Ok((
                    page.aggregate_compliance_by_config_rules
                        .unwrap_or_default(),
                    page.next_token,
                ))
            })
            .await?;
        let mut findings = Vec::new();
        for rule in flagged.iter().filter(|r| {
            r.compliance().and_then(|c| c.compliance_type()) == Some(&ComplianceType::NonCompliant)
        }) {
            let (Some(name), Some(account), Some(region)) = (
                rule.config_rule_name(),
                rule.account_id(),
                rule.aws_region(),
            ) else {
                continue;
            };
            let results = self
                .every_page(|token| async move {
                    let page = self
                        .client
                        .get_aggregate_compliance_details_by_config_rule()
                        .configuration_aggregator_name(aggregator)
                        .config_rule_name(name)
                        .account_id(account)
                        .aws_region(region)
                        .compliance_type(ComplianceType::NonCompliant)
                        .limit(DETAILS_PAGE)
                        .set_next_token(token)
                        .send()
                        .await
                        .map_err(|e| errors::describe(AGGREGATE_DETAILS, &e))?;
                    Ok((
                        page.aggregate_evaluation_results.unwrap_or_default(),
                        page.next_token,
                    ))
                })
                .await?;
            findings.extend(results.iter().filter_map(|r| aggregate_finding(name, r)));
        }
        Ok(findings)
    }
}

fn aggregate_finding(rule: &str, result: &sdk::AggregateEvaluationResult) -> Option<Finding> {
    let template = Finding {
        rule: rule.to_string(),
        // The aggregator does not carry the rule's description or its remediation: those
        // live in the member account's Config.
        rule_description: String::new(),
        resource_type: String::new(),
        resource_id: String::new(),
        region: result.aws_region().unwrap_or_default().to_string(),
        compliance: ComplianceType::NonCompliant.as_str().to_string(),
        annotation: None,
        remediation: None,
        guidance: None,
        evaluated_at: None,
        stack: None,
        account: result.account_id().map(str::to_string),
    };
    super::evaluated(
        &template,
        result.compliance_type(),
        result.evaluation_result_identifier(),
        result.annotation(),
        result.result_recorded_time(),
    )
}
