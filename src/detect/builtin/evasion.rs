//! `defense-evasion`: the other eyes put out — GuardDuty, Macie, Security Hub, Config, WAF,
//! Bedrock guardrails and logging, RDS activity streams, S3 access logging. (CloudTrail's
//! own are `trail-tampering`.)

use super::signal::{Theme, at, by_a_service, is_false, raise, request, text};
use crate::detect::detection::{Context, Detection};
use crate::model::{CloudTrailEvent, Severity};
use serde_json::Value;

pub struct Evasion;

const THEME: Theme = Theme {
    rule: "defense-evasion",
    severity: Severity::High,
    title: "Security monitoring turned off by {}",
};

/// Whether a findings update or automation rule suppresses or archives what it touches.
fn suppresses(r: &Value) -> bool {
    let status = |v: &Value| {
        text(v, "Workflow.Status") == "SUPPRESSED" || text(v, "RecordState") == "ARCHIVED"
    };
    status(r)
        || at(r, "Actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|a| text(a, "FindingFieldsUpdate.Workflow.Status") == "SUPPRESSED")
        || r.get("UpdateAutomationRulesRequestItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|i| {
                i.get("Actions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .any(|a| text(a, "FindingFieldsUpdate.Workflow.Status") == "SUPPRESSED")
}

impl Detection for Evasion {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let source = e.event_source.as_str();
        if !matches!(
            source,
            "guardduty.amazonaws.com"
                | "macie.amazonaws.com"
                | "macie2.amazonaws.com"
                | "securityhub.amazonaws.com"
                | "config.amazonaws.com"
                | "waf.amazonaws.com"
                | "waf-regional.amazonaws.com"
                | "wafv2.amazonaws.com"
                | "bedrock.amazonaws.com"
                | "rds.amazonaws.com"
                | "s3.amazonaws.com"
        ) || by_a_service(e)
            || e.failed()
        {
            return;
        }
        let r = request(e);
        let what = match (source, e.event_name.as_str()) {
            ("guardduty.amazonaws.com", "DeleteDetector") => Some(format!(
                "delete GuardDuty detector {}",
                text(r, "detectorId")
            )),
            ("guardduty.amazonaws.com", "UpdateDetector") if is_false(r.get("enable")) => Some(
                format!("disable GuardDuty detector {}", text(r, "detectorId")),
            ),
            ("guardduty.amazonaws.com", "CreateFilter" | "UpdateFilter")
                if text(r, "action") == "ARCHIVE" =>
            {
                Some(format!(
                    "create GuardDuty filter {} that archives findings as they come",
                    text(r, "name")
                ))
            }
            ("guardduty.amazonaws.com", "CreateIPSet" | "UpdateIPSet") => Some(format!(
                "update GuardDuty's trusted IP list {}: findings from it are never raised",
                text(r, "name")
            )),
            (
                "guardduty.amazonaws.com",
                "DisassociateFromMasterAccount"
                | "DisassociateFromAdministratorAccount"
                | "DeleteMembers"
                | "DisassociateMembers"
                | "StopMonitoringMembers"
                | "DeletePublishingDestination",
            ) => Some(format!("cut GuardDuty's reporting ({})", e.event_name)),
            ("macie.amazonaws.com" | "macie2.amazonaws.com", "DisableMacie") => {
                Some("disable Macie".into())
            }
            ("guardduty.amazonaws.com", "ArchiveFindings") => {
                Some("archive GuardDuty findings".into())
            }
            ("macie2.amazonaws.com", "ArchiveFindings") => Some("archive Macie findings".into()),
            ("macie2.amazonaws.com", "CreateFindingsFilter" | "UpdateFindingsFilter")
                if text(r, "action") == "ARCHIVE" =>
            {
                Some(format!(
                    "create Macie filter {} that archives findings as they come",
                    text(r, "name")
                ))
            }
            (
                "macie2.amazonaws.com",
                "DeleteMember"
                | "DisassociateMember"
                | "DisassociateFromMasterAccount"
                | "DisassociateFromAdministratorAccount"
                | "DisableOrganizationAdminAccount",
            ) => Some(format!("cut Macie's reporting ({})", e.event_name)),
            ("macie2.amazonaws.com", "UpdateClassificationJob")
                if text(r, "jobStatus") == "CANCELLED" =>
            {
                Some(format!("cancel Macie job {}", text(r, "jobId")))
            }
            ("macie2.amazonaws.com", "UpdateMacieSession") if text(r, "status") == "PAUSED" => {
                Some("pause Macie".into())
            }
            (
                "securityhub.amazonaws.com",
                "DisableSecurityHub"
                | "BatchDisableStandards"
                | "DisableImportFindingsForProduct"
                | "DeleteInsight"
                | "UpdateInsight"
                | "DeleteActionTarget"
                | "DeleteMembers"
                | "DisassociateMembers"
                | "DisableOrganizationAdminAccount"
                | "DisassociateFromMasterAccount"
                | "DisassociateFromAdministratorAccount",
            ) => Some(format!("turn Security Hub down ({})", e.event_name)),
            (
                "securityhub.amazonaws.com",
                "BatchUpdateFindings"
                | "UpdateFindings"
                | "CreateAutomationRule"
                | "BatchUpdateAutomationRules",
            ) if suppresses(r) => {
                Some(format!("suppress Security Hub findings ({})", e.event_name))
            }
            (
                "config.amazonaws.com",
                "StopConfigurationRecorder"
                | "DeleteConfigurationRecorder"
                | "DeleteDeliveryChannel"
                | "DeleteConfigRule",
            ) => Some(format!("stop AWS Config's recording ({})", e.event_name)),
            (_, "DisassociateWebACL") => Some(format!(
                "remove the web ACL from {}",
                match text(r, "resourceArn") {
                    "" => text(r, "ResourceArn"),
                    a => a,
                }
            )),
            (_, "DeleteWebACL") => Some(format!("delete web ACL {}", text(r, "name"))),
            ("bedrock.amazonaws.com", "DeleteGuardrail") => Some(format!(
                "delete Bedrock guardrail {}",
                text(r, "guardrailIdentifier")
            )),
            ("bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration") => {
                Some("turn off the logging of Bedrock model calls".into())
            }
            ("rds.amazonaws.com", "StopActivityStream") => Some(format!(
                "stop the database activity stream of {}",
                text(r, "resourceArn")
            )),
            ("s3.amazonaws.com", "PutBucketLogging")
                if at(r, "BucketLoggingStatus.LoggingEnabled").is_none() =>
            {
                Some(format!(
                    "turn off access logging of bucket {}",
                    text(r, "bucketName")
                ))
            }
            _ => None,
        };
        if let Some(what) = what {
            raise(cx, e, &THEME, what);
        }
    }
}
