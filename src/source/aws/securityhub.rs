//! Security Hub: its active findings become alerts, and ASFF files (exports, EventBridge
//! events, test fixtures) can be read and imported back into it.
//!
//! Findings arrive in the AWS Security Finding Format (ASFF). The SDK keeps ASFF timestamps as
//! strings, so everything here reads them leniently and never panics on a bad one.

use super::errors::{self, AwsFailure, FailureKind};
use crate::model::{Alert, Severity};
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    Action, ActionRemoteIpDetails, AwsApiCallAction, AwsIamAccessKeyDetails, AwsIamAccessKeyStatus,
    AwsIamAttachedManagedPolicy, AwsIamUserDetails, AwsIamUserPolicy, AwsSecurityFinding,
    AwsSecurityFindingFilters, Compliance, ComplianceStatus, ImportFindingsError,
    NetworkConnectionAction, Partition, RecordState, Resource, ResourceDetails, SeverityLabel,
    StringFilter, StringFilterComparison, Workflow, WorkflowStatus,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

const GET_FINDINGS: &str = "securityhub:GetFindings";
const BATCH_IMPORT: &str = "securityhub:BatchImportFindings";
/// The largest page GetFindings serves.
const PAGE_SIZE: i32 = 100;
/// The most findings BatchImportFindings takes in one call.
const IMPORT_BATCH: usize = 100;
/// Long enough for a control's one-sentence description, short enough for one line of a pane.
const EXPLANATION_MAX: usize = 200;
/// Failed imports named in an error; the rest are counted.
const FAILURES_SHOWN: usize = 5;

// ---------------------------------------------------------------------------------------------
// Finding → alert
// ---------------------------------------------------------------------------------------------

/// An alert for one ASFF finding: id "securityhub:<finding Id>", rule = GeneratorId (fall back
/// to ProductName/"securityhub"), severity from Severity.Label (CRITICAL/HIGH/MEDIUM/LOW/
/// INFORMATIONAL → Critical/High/Medium/Low/Info; fall back to Normalized/Product), title =
/// Title, explanation = Description (one line: collapse whitespace, cut long text sensibly),
/// principal = the IAM user or role the finding is about when a resource says so
/// (AwsIamAccessKey details' PrincipalName/UserName, AwsIamUser UserName, or the resource Id's
/// last path segment for AwsIamUser/AwsIamRole types), access_key_id from AwsIamAccessKey
/// resources when present, source_ip from GuardDuty-style network details when present
/// (Action.NetworkConnectionAction.RemoteIpDetails.IpAddressV4 or AwsApiCallAction),
/// first_seen = FirstObservedAt or CreatedAt, last_seen = LastObservedAt or UpdatedAt, count 1,
/// event_ids empty.
pub fn alert_from_finding(f: &AwsSecurityFinding) -> Alert {
    let (first_seen, last_seen) = seen_window(f);
    let rule = rule_of(f);
    Alert {
        id: format!("securityhub:{}", f.id().unwrap_or_default()),
        severity: severity_of(f.severity()),
        title: nonempty(f.title())
            .map(|t| collapse_whitespace(&t))
            .unwrap_or_else(|| rule.clone()),
        explanation: one_line(f.description().unwrap_or_default(), EXPLANATION_MAX),
        principal: principal_of(f.resources()),
        access_key_id: access_key_of(f.resources()),
        source_ip: f.action().and_then(source_ip_of),
        first_seen,
        last_seen,
        count: 1,
        event_ids: Vec::new(),
        spend_per_hour: None,
        rule,
    }
}

fn rule_of(f: &AwsSecurityFinding) -> String {
    nonempty(f.generator_id())
        .or_else(|| nonempty(f.product_name()))
        .unwrap_or_else(|| "securityhub".to_string())
}

/// The label when there is one we know; otherwise the 0–100 scores. A finding with no usable
/// severity at all is Info: Security Hub itself requires one, so this only meets odd files.
fn severity_of(s: Option<&aws_sdk_securityhub::types::Severity>) -> Severity {
    let Some(s) = s else {
        return Severity::Info;
    };
    s.label()
        .and_then(from_label)
        .or_else(|| s.normalized().and_then(|n| from_score(f64::from(n))))
        .or_else(|| s.product().and_then(from_score))
        .unwrap_or(Severity::Info)
}

/// Labels in the order of the console's severities, most severe first.
const LABELS: [(Severity, SeverityLabel); 5] = [
    (Severity::Critical, SeverityLabel::Critical),
    (Severity::High, SeverityLabel::High),
    (Severity::Medium, SeverityLabel::Medium),
    (Severity::Low, SeverityLabel::Low),
    (Severity::Info, SeverityLabel::Informational),
];

fn from_label(label: &SeverityLabel) -> Option<Severity> {
    LABELS
        .iter()
        .find(|(_, l)| l == label)
        .map(|(severity, _)| *severity)
}

/// ASFF's own mapping from a 0–100 score to a label.
fn from_score(score: f64) -> Option<Severity> {
    if !score.is_finite() {
        return None;
    }
    Some(match score {
        s if s < 1.0 => Severity::Info,
        s if s < 40.0 => Severity::Low,
        s if s < 70.0 => Severity::Medium,
        s if s < 90.0 => Severity::High,
        _ => Severity::Critical,
    })
}

fn labels_at_or_above(min: Severity) -> Vec<SeverityLabel> {
    LABELS
        .iter()
        .filter(|(severity, _)| *severity >= min)
        .map(|(_, label)| label.clone())
        .collect()
}

/// Access-key details name whoever used the key, the most specific answer; then IAM user
/// details; then the name at the end of an IAM user's or role's ARN.
fn principal_of(resources: &[Resource]) -> Option<String> {
    resources
        .iter()
        .find_map(|r| key_principal(r.details()?.aws_iam_access_key()?))
        .or_else(|| {
            resources
                .iter()
                .find_map(|r| nonempty(r.details()?.aws_iam_user()?.user_name()))
        })
        .or_else(|| {
            resources
                .iter()
                .filter(|r| matches!(r.r#type(), Some("AwsIamUser" | "AwsIamRole")))
                .find_map(|r| last_segment(r.id()?))
        })
}

// UserName is deprecated in favour of PrincipalName, but older findings carry only UserName.
#[allow(deprecated)]
fn key_principal(details: &AwsIamAccessKeyDetails) -> Option<String> {
    nonempty(details.principal_name()).or_else(|| nonempty(details.user_name()))
}

/// The key id from the details, or from the resource Id GuardDuty gives access-key resources
/// ("AWS::IAM::AccessKey:ASIA…"), which often carry no AccessKeyId detail.
fn access_key_of(resources: &[Resource]) -> Option<String> {
    resources.iter().find_map(|r| {
        let from_details = r
            .details()
            .and_then(ResourceDetails::aws_iam_access_key)
            .and_then(|d| nonempty(d.access_key_id()));
        from_details.or_else(|| {
            (r.r#type() == Some("AwsIamAccessKey"))
                .then(|| r.id().and_then(last_segment))
                .flatten()
                .filter(|id| looks_like_key_id(id))
        })
    })
}

fn looks_like_key_id(s: &str) -> bool {
    (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.len() >= 16
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// "arn:aws:iam::1:role/service-role/Name" → "Name"; "AWS::IAM::AccessKey:ASIA…" → "ASIA…".
fn last_segment(id: &str) -> Option<String> {
    let tail = id.rsplit(['/', ':']).next()?.trim();
    (!tail.is_empty()).then(|| tail.to_string())
}

fn source_ip_of(action: &Action) -> Option<String> {
    let ip = |details: Option<&ActionRemoteIpDetails>| nonempty(details?.ip_address_v4());
    action
        .network_connection_action()
        .and_then(|n| ip(n.remote_ip_details()))
        .or_else(|| {
            action
                .aws_api_call_action()
                .and_then(|a| ip(a.remote_ip_details()))
        })
}

/// First from FirstObservedAt or CreatedAt, last from LastObservedAt or UpdatedAt; a missing or
/// unreadable side borrows the other, and with nothing readable both are the epoch.
fn seen_window(f: &AwsSecurityFinding) -> (DateTime<Utc>, DateTime<Utc>) {
    let earliest = [f.first_observed_at(), f.created_at()]
        .into_iter()
        .find_map(|t| parse_time(t?));
    let latest = [f.last_observed_at(), f.updated_at()]
        .into_iter()
        .find_map(|t| parse_time(t?));
    let first = earliest.or(latest).unwrap_or(DateTime::UNIX_EPOCH);
    // A finding last seen before it was first seen is a producer's mistake; keep the window sane.
    let last = latest.unwrap_or(first).max(first);
    (first, last)
}

use crate::model::time::parse as parse_time;

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One line of at most `max` characters: whitespace collapsed, long text cut at a word boundary
/// (unless that would lose more than half) and marked with an ellipsis.
fn one_line(text: &str, max: usize) -> String {
    let line = collapse_whitespace(text);
    if line.chars().count() <= max {
        return line;
    }
    let budget = max.saturating_sub(1);
    let hard = line
        .char_indices()
        .nth(budget)
        .map_or(line.len(), |(i, _)| i);
    let cut = line[..hard]
        .rfind(' ')
        .filter(|&space| space >= hard / 2)
        .unwrap_or(hard);
    let kept = line[..cut].trim_end_matches([' ', ',', ';', ':', '-']);
    format!("{kept}…")
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// GetFindings
// ---------------------------------------------------------------------------------------------

/// Active findings at or above `min` in the client's region: GetFindings with filters
/// RecordState = ACTIVE, WorkflowStatus NEW or NOTIFIED, SeverityLabel in the labels >= min;
/// MaxResults 100; every page.
pub async fn active_findings(client: &Client, min: Severity) -> Result<Vec<Alert>, AwsFailure> {
    let mut pages = client
        .get_findings()
        .filters(active_filters(min))
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut alerts = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| errors::describe(GET_FINDINGS, &err))?;
        alerts.extend(
            page.findings()
                .iter()
                .filter(|f| still_wanted(f, min))
                .map(alert_from_finding),
        );
    }
    Ok(alerts)
}

fn active_filters(min: Severity) -> AwsSecurityFindingFilters {
    // Several filters on one field are ORed by Security Hub; different fields are ANDed.
    let labels = labels_at_or_above(min)
        .into_iter()
        .map(|l| equals(l.as_str()))
        .collect();
    AwsSecurityFindingFilters::builder()
        .record_state(equals(RecordState::Active.as_str()))
        .workflow_status(equals(WorkflowStatus::New.as_str()))
        .workflow_status(equals(WorkflowStatus::Notified.as_str()))
        .set_severity_label(Some(labels))
        .build()
}

fn equals(value: &str) -> StringFilter {
    StringFilter::builder()
        .comparison(StringFilterComparison::Equals)
        .value(value)
        .build()
}

/// The same conditions as the request's filters, checked again here because emulators (moto)
/// ignore GetFindings filters and would otherwise flood the console with resolved findings.
fn still_wanted(f: &AwsSecurityFinding, min: Severity) -> bool {
    let archived = f.record_state() == Some(&RecordState::Archived);
    let closed = f
        .workflow()
        .and_then(Workflow::status)
        .is_some_and(|s| !matches!(s, WorkflowStatus::New | WorkflowStatus::Notified));
    !archived && !closed && severity_of(f.severity()) >= min
}

// ---------------------------------------------------------------------------------------------
// BatchImportFindings
// ---------------------------------------------------------------------------------------------

/// BatchImportFindings in batches of at most 100; Err if any finding failed to import (with the
/// API's failure messages).
pub async fn import(client: &Client, findings: Vec<AwsSecurityFinding>) -> Result<(), AwsFailure> {
    let total = findings.len();
    let mut imported = 0;
    let mut failed_count = 0;
    let mut failures: Vec<ImportFindingsError> = Vec::new();
    for batch in into_batches(findings, IMPORT_BATCH) {
        let size = batch.len();
        let out = client
            .batch_import_findings()
            .set_findings(Some(batch))
            .send()
            .await
            .map_err(|err| {
                let mut failure = errors::describe(BATCH_IMPORT, &err);
                if imported > 0 {
                    failure.message = format!(
                        "{} ({imported} of {total} findings were imported before this)",
                        failure.message
                    );
                }
                failure
            })?;
        // The count and the list normally agree; trust whichever reports more trouble.
        let batch_failed = out
            .failed_findings()
            .len()
            .max(out.failed_count().unwrap_or(0).max(0) as usize)
            .min(size);
        failed_count += batch_failed;
        imported += size - batch_failed;
        failures.extend(out.failed_findings().iter().cloned());
    }
    if failed_count == 0 {
        Ok(())
    } else {
        Err(import_failure(&failures, failed_count, total))
    }
}

fn into_batches<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut items = items.into_iter().peekable();
    let mut batches = Vec::new();
    while items.peek().is_some() {
        batches.push(items.by_ref().take(size).collect());
    }
    batches
}

fn import_failure(failures: &[ImportFindingsError], failed: usize, total: usize) -> AwsFailure {
    let shown: Vec<String> = failures
        .iter()
        .take(FAILURES_SHOWN)
        .map(|e| {
            format!(
                "{}: {} {}",
                e.id().unwrap_or("?"),
                e.error_code().unwrap_or("error"),
                e.error_message().unwrap_or_default()
            )
            .trim_end()
            .to_string()
        })
        .collect();
    let mut message = format!("{BATCH_IMPORT}: {failed} of {total} findings failed to import");
    if !shown.is_empty() {
        message.push_str(" — ");
        message.push_str(&shown.join("; "));
    }
    if failures.len() > FAILURES_SHOWN {
        message.push_str(&format!("; and {} more", failures.len() - FAILURES_SHOWN));
    }
    AwsFailure {
        kind: FailureKind::Other,
        operation: BATCH_IMPORT.to_string(),
        code: failures
            .iter()
            .find_map(|e| e.error_code())
            .map(str::to_string),
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// ASFF JSON → SDK findings
// ---------------------------------------------------------------------------------------------

/// Reads ASFF JSON (a finding object, an array of them, {"Findings":[…]}, or an EventBridge
/// envelope {"detail":{"findings":[…]}}) into SDK findings, mapping the fields above plus what
/// BatchImportFindings requires (SchemaVersion, Id, ProductArn, GeneratorId, AwsAccountId, Types,
/// CreatedAt, UpdatedAt, Severity, Title, Description, Resources[Type, Id, Partition, Region,
/// Details for AwsIamAccessKey/AwsIamUser when present], Compliance.Status, Workflow.Status,
/// RecordState, FirstObservedAt, LastObservedAt). Unknown fields are ignored, missing required
/// ones are an Err naming the field and the finding Id. Values are not validated strictly.
pub fn findings_from_asff(json: &Value) -> Result<Vec<AwsSecurityFinding>, String> {
    finding_objects(json)?
        .iter()
        .enumerate()
        .map(|(index, value)| finding_from_json(index, value))
        .collect()
}

/// The finding objects in whichever envelope they came.
fn finding_objects(json: &Value) -> Result<&[Value], String> {
    match json {
        Value::Array(items) => Ok(items),
        Value::Object(map) => {
            if let Some(list) = map.get("Findings") {
                list.as_array()
                    .map(Vec::as_slice)
                    .ok_or_else(|| "\"Findings\" is not an array".to_string())
            } else if let Some(detail) = map.get("detail") {
                detail
                    .get("findings")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .ok_or_else(|| "EventBridge event without a detail.findings array".to_string())
            } else {
                Ok(std::slice::from_ref(json))
            }
        }
        _ => Err(
            "expected an ASFF finding, an array of findings, {\"Findings\": […]} or an EventBridge event"
                .to_string(),
        ),
    }
}

/// One finding's JSON object, read with the finding's Id at hand for error messages.
struct Asff<'a> {
    obj: &'a Map<String, Value>,
    id: String,
}

impl<'a> Asff<'a> {
    fn text(&self, field: &str) -> Option<String> {
        text(self.obj.get(field))
    }

    fn required(&self, field: &str) -> Result<&'a Value, String> {
        self.obj
            .get(field)
            .filter(|v| !v.is_null())
            .ok_or_else(|| self.missing(field))
    }

    fn required_text(&self, field: &str) -> Result<String, String> {
        text(Some(self.required(field)?)).ok_or_else(|| self.missing(field))
    }

    fn missing(&self, field: &str) -> String {
        format!("finding {}: missing required field {field}", self.id)
    }
}

fn finding_from_json(index: usize, value: &Value) -> Result<AwsSecurityFinding, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| format!("finding #{}: not a JSON object", index + 1))?;
    let id = text(obj.get("Id"))
        .ok_or_else(|| format!("finding #{}: missing required field Id", index + 1))?;
    let f = Asff { obj, id };
    Ok(AwsSecurityFinding::builder()
        .schema_version(f.required_text("SchemaVersion")?)
        .id(f.id.clone())
        .product_arn(f.required_text("ProductArn")?)
        .generator_id(f.required_text("GeneratorId")?)
        .aws_account_id(f.required_text("AwsAccountId")?)
        .set_types(Some(strings(f.required("Types")?)))
        .created_at(f.required_text("CreatedAt")?)
        .updated_at(f.required_text("UpdatedAt")?)
        .severity(severity_from_json(f.required("Severity")?))
        .title(f.required_text("Title")?)
        .description(f.required_text("Description")?)
        .set_resources(Some(resources_from_json(&f)?))
        .set_product_name(f.text("ProductName"))
        .set_company_name(f.text("CompanyName"))
        .set_region(f.text("Region"))
        .set_first_observed_at(f.text("FirstObservedAt"))
        .set_last_observed_at(f.text("LastObservedAt"))
        .set_compliance(status_of(obj.get("Compliance")).map(|s| {
            Compliance::builder()
                .status(ComplianceStatus::from(s.as_str()))
                .build()
        }))
        .set_workflow(status_of(obj.get("Workflow")).map(|s| {
            Workflow::builder()
                .status(WorkflowStatus::from(s.as_str()))
                .build()
        }))
        .set_record_state(f.text("RecordState").map(|s| RecordState::from(s.as_str())))
        .set_action(
            obj.get("Action")
                .and_then(Value::as_object)
                .map(action_from_json),
        )
        .build())
}

/// A string, or a number or boolean written as one: producers disagree (the CLI's own example
/// has `"Original": 0`).
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An array of strings; a lone string counts as one.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(|v| text(Some(v))).collect(),
        other => text(Some(other)).into_iter().collect(),
    }
}

fn field(obj: &Map<String, Value>, name: &str) -> Option<String> {
    text(obj.get(name))
}

fn status_of(value: Option<&Value>) -> Option<String> {
    text(value?.get("Status"))
}

/// A bare string is taken as the label: not ASFF, but its meaning is plain.
fn severity_from_json(value: &Value) -> aws_sdk_securityhub::types::Severity {
    let builder = aws_sdk_securityhub::types::Severity::builder();
    if let Some(label) = value.as_str() {
        return builder.label(label_from(label)).build();
    }
    let number = |name: &str| value.get(name).and_then(Value::as_f64);
    builder
        .set_label(text(value.get("Label")).map(|l| label_from(&l)))
        .set_normalized(number("Normalized").map(|n| n.round() as i32))
        .set_product(number("Product"))
        .set_original(text(value.get("Original")))
        .build()
}

/// Labels are upper case in ASFF; "High" from a hand-written file means the same.
fn label_from(text: &str) -> SeverityLabel {
    SeverityLabel::from(text.trim().to_uppercase().as_str())
}

fn resources_from_json(f: &Asff<'_>) -> Result<Vec<Resource>, String> {
    let items = f
        .required("Resources")?
        .as_array()
        .ok_or_else(|| format!("finding {}: Resources is not an array", f.id))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let missing = |name: &str| {
                format!(
                    "finding {}: missing required field Resources[{i}].{name}",
                    f.id
                )
            };
            let obj = item
                .as_object()
                .ok_or_else(|| format!("finding {}: Resources[{i}] is not an object", f.id))?;
            Ok(Resource::builder()
                .r#type(field(obj, "Type").ok_or_else(|| missing("Type"))?)
                .id(field(obj, "Id").ok_or_else(|| missing("Id"))?)
                .set_partition(field(obj, "Partition").map(|p| Partition::from(p.as_str())))
                .set_region(field(obj, "Region"))
                .set_details(obj.get("Details").and_then(details_from_json))
                .build())
        })
        .collect()
}

/// Only the details the console reads; other resource types' details are dropped.
fn details_from_json(details: &Value) -> Option<ResourceDetails> {
    let key = details
        .get("AwsIamAccessKey")
        .and_then(Value::as_object)
        .map(access_key_from_json);
    let user = details
        .get("AwsIamUser")
        .and_then(Value::as_object)
        .map(iam_user_from_json);
    (key.is_some() || user.is_some()).then(|| {
        ResourceDetails::builder()
            .set_aws_iam_access_key(key)
            .set_aws_iam_user(user)
            .build()
    })
}

// UserName is deprecated in favour of PrincipalName, but older findings carry only UserName.
#[allow(deprecated)]
fn access_key_from_json(obj: &Map<String, Value>) -> AwsIamAccessKeyDetails {
    AwsIamAccessKeyDetails::builder()
        .set_access_key_id(field(obj, "AccessKeyId"))
        .set_account_id(field(obj, "AccountId"))
        .set_created_at(field(obj, "CreatedAt"))
        .set_principal_id(field(obj, "PrincipalId"))
        .set_principal_name(field(obj, "PrincipalName"))
        .set_principal_type(field(obj, "PrincipalType"))
        .set_status(field(obj, "Status").map(|s| AwsIamAccessKeyStatus::from(s.as_str())))
        .set_user_name(field(obj, "UserName"))
        .build()
}

fn iam_user_from_json(obj: &Map<String, Value>) -> AwsIamUserDetails {
    let objects = |name: &str| -> Vec<&Map<String, Value>> {
        obj.get(name)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default()
    };
    let attached = objects("AttachedManagedPolicies")
        .into_iter()
        .map(|p| {
            AwsIamAttachedManagedPolicy::builder()
                .set_policy_name(field(p, "PolicyName"))
                .set_policy_arn(field(p, "PolicyArn"))
                .build()
        })
        .collect();
    let inline = objects("UserPolicyList")
        .into_iter()
        .map(|p| {
            AwsIamUserPolicy::builder()
                .set_policy_name(field(p, "PolicyName"))
                .build()
        })
        .collect();
    AwsIamUserDetails::builder()
        .set_user_name(field(obj, "UserName"))
        .set_user_id(field(obj, "UserId"))
        .set_path(field(obj, "Path"))
        .set_create_date(field(obj, "CreateDate"))
        .set_group_list(obj.get("GroupList").map(strings))
        .set_attached_managed_policies(Some(attached))
        .set_user_policy_list(Some(inline))
        .build()
}

/// What GuardDuty-style findings say about the other end: the remote IP of a connection or of
/// an API call.
fn action_from_json(obj: &Map<String, Value>) -> Action {
    let remote_ip = |parent: &Value| {
        parent.get("RemoteIpDetails").map(|d| {
            ActionRemoteIpDetails::builder()
                .set_ip_address_v4(text(d.get("IpAddressV4")))
                .build()
        })
    };
    let connection = obj.get("NetworkConnectionAction").map(|n| {
        NetworkConnectionAction::builder()
            .set_connection_direction(text(n.get("ConnectionDirection")))
            .set_protocol(text(n.get("Protocol")))
            .set_remote_ip_details(remote_ip(n))
            .build()
    });
    let api_call = obj.get("AwsApiCallAction").map(|a| {
        AwsApiCallAction::builder()
            .set_api(text(a.get("Api")))
            .set_service_name(text(a.get("ServiceName")))
            .set_caller_type(text(a.get("CallerType")))
            .set_remote_ip_details(remote_ip(a))
            .build()
    });
    Action::builder()
        .set_action_type(field(obj, "ActionType"))
        .set_network_connection_action(connection)
        .set_aws_api_call_action(api_call)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_securityhub::operation::batch_import_findings::BatchImportFindingsOutput;
    use aws_sdk_securityhub::operation::get_findings::{GetFindingsInput, GetFindingsOutput};
    use aws_sdk_securityhub::types::Severity as AsffSeverity;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use serde_json::json;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    fn asff_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/securityhub-asff")
    }

    fn read_json(path: &Path) -> Value {
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn fixture(name: &str) -> Value {
        read_json(&asff_dir().join(name))
    }

    fn one_alert(name: &str) -> Alert {
        let findings = findings_from_asff(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(findings.len(), 1, "{name}");
        alert_from_finding(&findings[0])
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Severity.Label as the raw JSON states it, read without the code under test.
    fn raw_labels(json: &Value) -> Vec<String> {
        let findings = match json.pointer("/detail/findings") {
            Some(list) => list.as_array().unwrap().clone(),
            None => vec![json.clone()],
        };
        findings
            .iter()
            .map(|f| f["Severity"]["Label"].as_str().unwrap().to_string())
            .collect()
    }

    fn severity_named(label: &str) -> Severity {
        match label {
            "CRITICAL" => Severity::Critical,
            "HIGH" => Severity::High,
            "MEDIUM" => Severity::Medium,
            "LOW" => Severity::Low,
            "INFORMATIONAL" => Severity::Info,
            other => panic!("unexpected label {other}"),
        }
    }

    // --- ASFF files ---------------------------------------------------------------------------

    #[test]
    fn every_fixture_parses_into_alerts_with_the_labelled_severity() {
        let (mut files, mut envelopes) = (0, 0);
        for entry in std::fs::read_dir(asff_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let json = read_json(&path);
            if json.get("detail").is_some() {
                envelopes += 1;
            }
            let findings = findings_from_asff(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
            let labels = raw_labels(&json);
            assert_eq!(findings.len(), labels.len(), "{name}");
            for (finding, label) in findings.iter().zip(&labels) {
                let alert = alert_from_finding(finding);
                assert!(!alert.title.trim().is_empty(), "{name}: empty title");
                assert_eq!(alert.severity, severity_named(label), "{name}");
                assert_eq!(alert.id, format!("securityhub:{}", finding.id().unwrap()));
                assert!(
                    alert.first_seen > DateTime::UNIX_EPOCH,
                    "{name}: unread time"
                );
                assert!(alert.first_seen <= alert.last_seen, "{name}");
            }
            files += 1;
        }
        // SOURCE.txt: 109 findings, 5 of them in EventBridge envelopes.
        assert!(files >= 109, "only {files} fixtures found");
        assert!(
            envelopes >= 5,
            "only {envelopes} EventBridge envelopes found"
        );
    }

    #[test]
    fn chosen_fixtures_give_their_severity_title_and_principal() {
        let cases: &[(&str, Severity, &str, Option<&str>)] = &[
            (
                "afsbp-cloudfront.1.json",
                Severity::Critical,
                "CloudFront.1 CloudFront distributions should have a default root object configured",
                None,
            ),
            (
                "afsbp-codebuild.5.json",
                Severity::High,
                "CodeBuild.5 CodeBuild project environments should not have privileged mode enabled",
                None,
            ),
            (
                "afsbp-iam.8.json",
                Severity::Medium,
                "IAM.8 Unused IAM user credentials should be removed",
                Some("sharrtest"),
            ),
            (
                "afsbp-rds.6.json",
                Severity::Low,
                "RDS.6 Enhanced monitoring should be configured for RDS DB instances",
                None,
            ),
            (
                "afsbp-config.1.json",
                Severity::Info,
                "Config.1 AWS Config should be enabled",
                None,
            ),
            // EventBridge envelopes ("Security Hub Findings - Custom Action").
            (
                "cis23.json",
                Severity::Critical,
                "2.3 Ensure the S3 bucket used to store CloudTrail logs is not publicly accessible",
                None,
            ),
            (
                "cis4142.json",
                Severity::High,
                "4.1 Ensure no security groups allow ingress from 0.0.0.0/0 to port 22",
                None,
            ),
            (
                "cis43.json",
                Severity::Medium,
                "4.3 Ensure the default security group of every VPC restricts all traffic",
                None,
            ),
            // An IAM user resource without details: the name comes from the ARN.
            (
                "cis1314-save.json",
                Severity::Info,
                "1.3 Ensure credentials unused for 90 days or greater are disabled",
                Some("iamuser1"),
            ),
        ];
        for (file, severity, title, principal) in cases {
            let alert = one_alert(file);
            assert_eq!(alert.severity, *severity, "{file}");
            assert_eq!(alert.title, *title, "{file}");
            assert_eq!(alert.principal.as_deref(), *principal, "{file}");
        }
    }

    #[test]
    fn a_control_finding_maps_every_alert_field() {
        let alert = one_alert("afsbp-iam.8.json");
        assert_eq!(
            alert.id,
            "securityhub:arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/IAM.8/finding/7a04a6d5-07ec-4430-ab8f-67c0119b5acd"
        );
        assert_eq!(
            alert.rule,
            "aws-foundational-security-best-practices/v/1.0.0/IAM.8"
        );
        assert_eq!(
            alert.explanation,
            "This control checks whether your IAM users have passwords or active access keys that were not used within the previous 90 days."
        );
        assert_eq!(alert.first_seen, at("2021-02-16T21:55:58.862Z"));
        assert_eq!(alert.last_seen, at("2021-07-21T10:22:17.088Z"));
        assert_eq!(alert.count, 1);
        assert!(alert.event_ids.is_empty());
        assert_eq!(alert.access_key_id, None);
        assert_eq!(alert.source_ip, None);
        assert_eq!(alert.spend_per_hour, None);
    }

    #[test]
    fn a_finding_keeps_what_batch_import_needs() {
        let findings = findings_from_asff(&fixture("afsbp-iam.8.json")).unwrap();
        let f = &findings[0];
        assert_eq!(f.schema_version(), Some("2018-10-08"));
        assert_eq!(
            f.product_arn(),
            Some("arn:aws:securityhub:us-east-1::product/aws/securityhub")
        );
        assert_eq!(f.aws_account_id(), Some("111111111111"));
        assert_eq!(
            f.types(),
            [
                "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"
            ]
        );
        assert_eq!(f.created_at(), Some("2021-02-16T21:55:58.862Z"));
        assert_eq!(f.updated_at(), Some("2021-07-21T10:22:13.254Z"));
        assert_eq!(f.product_name(), Some("Security Hub"));
        let severity = f.severity().unwrap();
        assert_eq!(severity.label(), Some(&SeverityLabel::Medium));
        assert_eq!(severity.normalized(), Some(40));
        assert_eq!(severity.original(), Some("MEDIUM"));
        assert_eq!(
            f.compliance().and_then(Compliance::status),
            Some(&ComplianceStatus::Failed)
        );
        assert_eq!(
            f.workflow().and_then(Workflow::status),
            Some(&WorkflowStatus::New)
        );
        assert_eq!(f.record_state(), Some(&RecordState::Active));
        let resource = &f.resources()[0];
        assert_eq!(resource.r#type(), Some("AwsIamUser"));
        assert_eq!(
            resource.id(),
            Some("arn:aws:iam::111111111111:user/sharrtest")
        );
        assert_eq!(resource.partition(), Some(&Partition::Aws));
        assert_eq!(resource.region(), Some("us-east-1"));
        let user = resource
            .details()
            .and_then(ResourceDetails::aws_iam_user)
            .unwrap();
        assert_eq!(user.user_name(), Some("sharrtest"));
        assert_eq!(user.attached_managed_policies().len(), 3);
        assert_eq!(user.group_list().len(), 3);
    }

    #[test]
    fn the_findings_list_shape_and_a_numeric_original_are_read() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/aws-cli-examples/json/securityhub.get-findings.1.json");
        let findings = findings_from_asff(&read_json(&path)).unwrap();
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.severity().and_then(AsffSeverity::original), Some("0"));
        assert_eq!(f.record_state(), Some(&RecordState::Archived));
        assert_eq!(
            f.compliance().and_then(Compliance::status),
            Some(&ComplianceStatus::Passed)
        );
        assert_eq!(alert_from_finding(f).severity, Severity::Info);
    }

    #[test]
    fn an_array_of_findings_is_read_in_order() {
        let json = json!([
            fixture("afsbp-iam.8.json"),
            fixture("afsbp-cloudfront.1.json")
        ]);
        let alerts: Vec<Severity> = findings_from_asff(&json)
            .unwrap()
            .iter()
            .map(|f| alert_from_finding(f).severity)
            .collect();
        assert_eq!(alerts, [Severity::Medium, Severity::Critical]);
    }

    #[test]
    fn what_is_not_asff_is_refused() {
        assert!(findings_from_asff(&json!(42)).is_err());
        assert!(findings_from_asff(&json!({"detail": {"actionName": "x"}})).is_err());
        assert!(findings_from_asff(&json!({"Findings": {}})).is_err());
        assert!(findings_from_asff(&json!(["not a finding"])).is_err());
        // GuardDuty's own format is not ASFF: the first ASFF field it lacks is named.
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/aws-cli-examples/json/guardduty.get-findings.1.json");
        let err = findings_from_asff(&read_json(&path)).unwrap_err();
        assert!(err.contains("ProductArn"), "{err}");
        assert!(err.contains("1ab92989eaf0e742df4a014d5example"), "{err}");
    }

    #[test]
    fn a_missing_required_field_is_named_with_the_finding_id() {
        let original = fixture("afsbp-iam.8.json");
        let id = original["Id"].as_str().unwrap().to_string();
        for field in [
            "SchemaVersion",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ] {
            let mut json = original.clone();
            json.as_object_mut().unwrap().remove(field);
            let err = findings_from_asff(&json).unwrap_err();
            assert!(err.contains(field) && err.contains(&id), "{field}: {err}");
        }
        for field in ["Type", "Id"] {
            let mut json = original.clone();
            json["Resources"][0].as_object_mut().unwrap().remove(field);
            let err = findings_from_asff(&json).unwrap_err();
            assert!(err.contains(&format!("Resources[0].{field}")), "{err}");
            assert!(err.contains(&id), "{err}");
        }
        let mut json = json!([original.clone(), original]);
        json[1].as_object_mut().unwrap().remove("Id");
        let err = findings_from_asff(&json).unwrap_err();
        assert!(err.contains("#2") && err.contains("Id"), "{err}");
    }

    #[test]
    fn unknown_fields_and_unknown_values_are_accepted() {
        let mut json = fixture("afsbp-iam.8.json");
        json["SomethingNew"] = json!({"nested": [1, 2]});
        json["Severity"]["Label"] = json!("high");
        json["RecordState"] = json!("SUSPENDED");
        let findings = findings_from_asff(&json).unwrap();
        assert_eq!(findings[0].record_state().unwrap().as_str(), "SUSPENDED");
        assert_eq!(alert_from_finding(&findings[0]).severity, Severity::High);
        json["Severity"] = json!("critical");
        let findings = findings_from_asff(&json).unwrap();
        assert_eq!(
            alert_from_finding(&findings[0]).severity,
            Severity::Critical
        );
    }

    // --- principals, keys and addresses -------------------------------------------------------

    /// A GuardDuty finding as Security Hub shows it, modelled on the CLI's GuardDuty example.
    fn guardduty_style() -> Value {
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": "arn:aws:guardduty:us-east-1:111122223333:detector/d4b040365221be2b54a6264dcexample/finding/1ab92989eaf0e742df4a014d5example",
            "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
            "ProductName": "GuardDuty",
            "GeneratorId": "arn:aws:guardduty:us-east-1:111122223333:detector/d4b040365221be2b54a6264dcexample",
            "AwsAccountId": "111122223333",
            "Types": ["TTPs/Discovery/Recon:IAMUser-UserPermissions"],
            "FirstObservedAt": "2020-05-26T22:02:24Z",
            "LastObservedAt": "2020-05-26T22:33:55Z",
            "CreatedAt": "2020-05-26T22:21:48.385Z",
            "UpdatedAt": "2020-05-26T22:55:21.703Z",
            "Severity": {"Product": 5, "Label": "MEDIUM", "Normalized": 50},
            "Title": "Unusual user permission reconnaissance activity by testuser.",
            "Description": "APIs commonly used to discover the users, groups, policies and permissions in an account, was invoked by IAM principal testuser under unusual circumstances. Such activity is not typically seen from this principal.",
            "Resources": [{
                "Type": "AwsIamAccessKey",
                "Id": "AWS::IAM::AccessKey:ASIASZ4SI7REEEXAMPLE",
                "Partition": "aws",
                "Region": "us-east-1",
                "Details": {"AwsIamAccessKey": {
                    "PrincipalId": "AIDACKCEVSQ6C2EXAMPLE",
                    "PrincipalName": "testuser",
                    "PrincipalType": "IAMUser"
                }}
            }],
            "Action": {
                "ActionType": "AWS_API_CALL",
                "AwsApiCallAction": {
                    "Api": "ListPolicyVersions",
                    "ServiceName": "iam.amazonaws.com",
                    "CallerType": "Remote IP",
                    "RemoteIpDetails": {"IpAddressV4": "52.94.36.7", "Country": {"CountryName": "United Kingdom"}}
                }
            },
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE"
        })
    }

    fn alert_of(json: &Value) -> Alert {
        alert_from_finding(&findings_from_asff(json).unwrap()[0])
    }

    #[test]
    fn an_access_key_finding_names_the_principal_key_and_address() {
        let alert = alert_of(&guardduty_style());
        assert_eq!(alert.principal.as_deref(), Some("testuser"));
        assert_eq!(alert.access_key_id.as_deref(), Some("ASIASZ4SI7REEEXAMPLE"));
        assert_eq!(alert.source_ip.as_deref(), Some("52.94.36.7"));
        assert_eq!(alert.severity, Severity::Medium);
        assert!(alert.rule.starts_with("arn:aws:guardduty:"));
        // The description is longer than one line allows.
        assert!(
            alert
                .explanation
                .starts_with("APIs commonly used to discover")
        );
        assert!(alert.explanation.ends_with('…'), "{}", alert.explanation);
        assert!(alert.explanation.chars().count() <= EXPLANATION_MAX);
    }

    #[test]
    fn older_access_key_details_and_network_actions_are_read_too() {
        let mut json = guardduty_style();
        json["Resources"][0]["Id"] = json!("arn:aws:iam::111122223333:access-key/whatever");
        json["Resources"][0]["Details"] = json!({"AwsIamAccessKey": {
            "UserName": "alice", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active"
        }});
        json["Action"] = json!({
            "ActionType": "NETWORK_CONNECTION",
            "NetworkConnectionAction": {
                "ConnectionDirection": "INBOUND",
                "RemoteIpDetails": {"IpAddressV4": "198.51.100.7"}
            }
        });
        let alert = alert_of(&json);
        assert_eq!(alert.principal.as_deref(), Some("alice"));
        assert_eq!(alert.access_key_id.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(alert.source_ip.as_deref(), Some("198.51.100.7"));
    }

    #[test]
    fn roles_are_named_from_their_arn_and_other_resources_name_no_one() {
        let mut json = guardduty_style();
        json["Resources"] = json!([
            {"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::evidence"},
            {"Type": "AwsIamRole", "Id": "arn:aws:iam::111122223333:role/service-role/deployer"}
        ]);
        json.as_object_mut().unwrap().remove("Action");
        let alert = alert_of(&json);
        assert_eq!(alert.principal.as_deref(), Some("deployer"));
        assert_eq!(alert.access_key_id, None);
        assert_eq!(alert.source_ip, None);

        json["Resources"] = json!([{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::evidence"}]);
        assert_eq!(alert_of(&json).principal, None);
    }

    // --- severity, rule, title, times, text ---------------------------------------------------

    fn with_severity(severity: AsffSeverity) -> AwsSecurityFinding {
        AwsSecurityFinding::builder()
            .id("f")
            .title("t")
            .severity(severity)
            .build()
    }

    #[test]
    fn severity_falls_back_from_label_to_normalized_to_product() {
        let cases = [
            (
                AsffSeverity::builder()
                    .label(SeverityLabel::High)
                    .normalized(10),
                Severity::High,
            ),
            (AsffSeverity::builder().normalized(75), Severity::High),
            (AsffSeverity::builder().normalized(0), Severity::Info),
            (AsffSeverity::builder().normalized(39), Severity::Low),
            (AsffSeverity::builder().normalized(40), Severity::Medium),
            (
                AsffSeverity::builder()
                    .label(SeverityLabel::from("SEVERE"))
                    .normalized(10),
                Severity::Low,
            ),
            (AsffSeverity::builder().product(95.0), Severity::Critical),
            (AsffSeverity::builder().product(f64::NAN), Severity::Info),
            (AsffSeverity::builder(), Severity::Info),
        ];
        for (builder, expected) in cases {
            let severity = builder.build();
            let got = alert_from_finding(&with_severity(severity.clone())).severity;
            assert_eq!(got, expected, "{severity:?}");
        }
        assert_eq!(
            alert_from_finding(&AwsSecurityFinding::builder().id("f").build()).severity,
            Severity::Info
        );
    }

    #[test]
    fn rule_and_title_fall_back_when_missing() {
        let bare = AwsSecurityFinding::builder().id("f").build();
        let alert = alert_from_finding(&bare);
        assert_eq!(alert.rule, "securityhub");
        assert_eq!(alert.title, "securityhub");
        let product = AwsSecurityFinding::builder()
            .id("f")
            .product_name("GuardDuty")
            .title("  Odd\n title ")
            .build();
        let alert = alert_from_finding(&product);
        assert_eq!(alert.rule, "GuardDuty");
        assert_eq!(alert.title, "Odd title");
    }

    #[test]
    fn the_seen_window_borrows_the_other_timestamps_and_never_panics() {
        let times = |first: Option<&str>,
                     created: Option<&str>,
                     last: Option<&str>,
                     updated: Option<&str>| {
            let f = AwsSecurityFinding::builder()
                .id("f")
                .set_first_observed_at(first.map(String::from))
                .set_created_at(created.map(String::from))
                .set_last_observed_at(last.map(String::from))
                .set_updated_at(updated.map(String::from))
                .build();
            let alert = alert_from_finding(&f);
            (alert.first_seen, alert.last_seen)
        };
        let t1 = "2024-01-01T00:00:00Z";
        let t2 = "2024-02-01T00:00:00Z";
        assert_eq!(times(None, Some(t1), None, Some(t2)), (at(t1), at(t2)));
        assert_eq!(
            times(Some("garbage"), Some(t1), Some(t2), None),
            (at(t1), at(t2))
        );
        assert_eq!(times(None, None, Some(t2), None), (at(t2), at(t2)));
        assert_eq!(times(Some(t1), None, None, None), (at(t1), at(t1)));
        assert_eq!(
            times(None, None, None, Some("bad")),
            (DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH)
        );
        // Last observed before first observed: the window does not run backwards.
        assert_eq!(times(Some(t2), None, Some(t1), None), (at(t2), at(t2)));
    }

    #[test]
    fn explanations_are_one_line_and_cut_between_words() {
        assert_eq!(
            one_line("  line one\n\t line   two ", 200),
            "line one line two"
        );
        let long = "word ".repeat(100);
        let cut = one_line(&long, 200);
        assert!(cut.chars().count() <= 200, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
        let token = "x".repeat(500);
        assert_eq!(one_line(&token, 200), format!("{}…", "x".repeat(199)));
        let accents = "é".repeat(300);
        assert_eq!(one_line(&accents, 10).chars().count(), 10);
    }

    #[test]
    fn labels_at_or_above_each_minimum() {
        let names = |min| -> Vec<String> {
            labels_at_or_above(min)
                .iter()
                .map(|l| l.as_str().to_string())
                .collect()
        };
        assert_eq!(names(Severity::Critical), ["CRITICAL"]);
        assert_eq!(names(Severity::Medium), ["CRITICAL", "HIGH", "MEDIUM"]);
        assert_eq!(names(Severity::Info).len(), 5);
        assert!(names(Severity::Info).contains(&"INFORMATIONAL".to_string()));
    }

    // --- GetFindings against a mock -----------------------------------------------------------

    fn finding(id: &str, label: SeverityLabel, workflow: WorkflowStatus) -> AwsSecurityFinding {
        AwsSecurityFinding::builder()
            .id(id)
            .title(format!("finding {id}"))
            .generator_id("test-generator")
            .severity(AsffSeverity::builder().label(label).build())
            .record_state(RecordState::Active)
            .workflow(Workflow::builder().status(workflow).build())
            .build()
    }

    fn page(findings: Vec<AwsSecurityFinding>, next: Option<&str>) -> GetFindingsOutput {
        GetFindingsOutput::builder()
            .set_findings(Some(findings))
            .set_next_token(next.map(String::from))
            .build()
    }

    fn high(id: &str) -> AwsSecurityFinding {
        finding(id, SeverityLabel::High, WorkflowStatus::New)
    }

    fn sorted_values(filters: &[StringFilter]) -> Vec<String> {
        let mut values: Vec<String> = filters
            .iter()
            .map(|f| {
                assert_eq!(f.comparison(), Some(&StringFilterComparison::Equals));
                f.value().unwrap().to_string()
            })
            .collect();
        values.sort();
        values
    }

    #[tokio::test]
    async fn active_findings_reads_every_page_with_the_active_filters() {
        let requests: Arc<Mutex<Vec<GetFindingsInput>>> = Arc::default();
        let seen = requests.clone();
        let first = mock!(Client::get_findings).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            page(vec![high("a"), high("b")], Some("page-2"))
        });
        let seen = requests.clone();
        let second = mock!(Client::get_findings).then_compute_output(move |input| {
            seen.lock().unwrap().push(input.clone());
            page(vec![high("c")], None)
        });
        let client = mock_client!(
            aws_sdk_securityhub,
            RuleMode::Sequential,
            &[&first, &second]
        );

        let alerts = active_findings(&client, Severity::High).await.unwrap();

        let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["securityhub:a", "securityhub:b", "securityhub:c"]);
        let requests = requests.lock().unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].next_token(), None);
        assert_eq!(requests[1].next_token(), Some("page-2"));
        for request in requests.iter() {
            assert_eq!(request.max_results(), Some(100));
            let filters = request.filters().expect("filters sent");
            assert_eq!(sorted_values(filters.record_state()), ["ACTIVE"]);
            assert_eq!(
                sorted_values(filters.workflow_status()),
                ["NEW", "NOTIFIED"]
            );
            assert_eq!(
                sorted_values(filters.severity_label()),
                ["CRITICAL", "HIGH"]
            );
        }
    }

    #[tokio::test]
    async fn findings_the_filters_should_have_excluded_are_dropped() {
        let mut archived = high("archived");
        archived.record_state = Some(RecordState::Archived);
        let served = vec![
            high("kept"),
            archived,
            finding(
                "resolved",
                SeverityLabel::Critical,
                WorkflowStatus::Resolved,
            ),
            finding(
                "suppressed",
                SeverityLabel::High,
                WorkflowStatus::Suppressed,
            ),
            finding("too-low", SeverityLabel::Medium, WorkflowStatus::New),
            finding(
                "notified",
                SeverityLabel::Critical,
                WorkflowStatus::Notified,
            ),
        ];
        let rule = mock!(Client::get_findings).then_output(move || page(served.clone(), None));
        let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, &[&rule]);

        let alerts = active_findings(&client, Severity::High).await.unwrap();

        let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["securityhub:kept", "securityhub:notified"]);
    }

    fn access_denied(operation: &str) -> HttpResponse {
        let body = format!(
            r#"{{"message":"User: arn:aws:iam::123456789012:user/readonly is not authorized to perform: {operation} on resource: arn:aws:securityhub:us-east-1:123456789012:hub/default"}}"#
        );
        let mut response =
            HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body));
        response
            .headers_mut()
            .insert("x-amzn-errortype", "AccessDeniedException");
        response
            .headers_mut()
            .insert("content-type", "application/json");
        response
    }

    #[tokio::test]
    async fn access_denied_names_the_missing_permission() {
        let rule = mock!(Client::get_findings)
            .then_http_response(|| access_denied("securityhub:GetFindings"));
        let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, &[&rule]);

        let err = active_findings(&client, Severity::Low).await.unwrap_err();

        assert_eq!(err.kind, FailureKind::AccessDenied);
        assert_eq!(err.operation, "securityhub:GetFindings");
        assert_eq!(err.code.as_deref(), Some("AccessDeniedException"));
        assert!(
            err.message
                .contains("missing permission securityhub:GetFindings"),
            "{err}"
        );
    }

    // --- BatchImportFindings against a mock ---------------------------------------------------

    fn numbered(n: usize) -> Vec<AwsSecurityFinding> {
        (0..n)
            .map(|i| {
                finding(
                    &format!("finding-{i}"),
                    SeverityLabel::Low,
                    WorkflowStatus::New,
                )
            })
            .collect()
    }

    /// A BatchImportFindings mock that records the Ids of each batch and rejects `reject`.
    fn import_rule(
        batches: Arc<Mutex<Vec<Vec<String>>>>,
        reject: &'static [&'static str],
    ) -> aws_smithy_mocks::Rule {
        mock!(Client::batch_import_findings).then_compute_output(move |input| {
            let ids: Vec<String> = input
                .findings()
                .iter()
                .map(|f| f.id().unwrap().to_string())
                .collect();
            let failed: Vec<ImportFindingsError> = ids
                .iter()
                .filter(|id| reject.contains(&id.as_str()))
                .map(|id| {
                    ImportFindingsError::builder()
                        .id(id)
                        .error_code("InvalidInput")
                        .error_message(format!("{id} does not adhere to ASFF"))
                        .build()
                })
                .collect();
            let out = BatchImportFindingsOutput::builder()
                .failed_count(failed.len() as i32)
                .success_count((ids.len() - failed.len()) as i32)
                .set_failed_findings(Some(failed))
                .build();
            batches.lock().unwrap().push(ids);
            out
        })
    }

    #[tokio::test]
    async fn import_sends_batches_of_at_most_one_hundred() {
        let batches: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let rule = import_rule(batches.clone(), &[]);
        let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, &[&rule]);

        import(&client, numbered(250)).await.unwrap();

        assert_eq!(rule.num_calls(), 3);
        let batches = batches.lock().unwrap();
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let sent: Vec<String> = batches.concat();
        let expected: Vec<String> = (0..250).map(|i| format!("finding-{i}")).collect();
        assert_eq!(sent, expected);
    }

    #[tokio::test]
    async fn importing_nothing_calls_nothing() {
        let rule = import_rule(Arc::default(), &[]);
        let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, &[&rule]);
        import(&client, Vec::new()).await.unwrap();
        assert_eq!(rule.num_calls(), 0);
    }

    #[tokio::test]
    async fn failed_imports_are_reported_with_the_api_messages() {
        let rule = import_rule(Arc::default(), &["finding-7", "finding-204"]);
        let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, &[&rule]);

        let err = import(&client, numbered(250)).await.unwrap_err();

        // Every batch is still tried, so one bad finding does not hold back the rest.
        assert_eq!(rule.num_calls(), 3);
        assert_eq!(err.operation, "securityhub:BatchImportFindings");
        assert_eq!(err.kind, FailureKind::Other);
        assert_eq!(err.code.as_deref(), Some("InvalidInput"));
        assert!(err.message.contains("2 of 250 findings failed"), "{err}");
        assert!(
            err.message.contains("finding-7 does not adhere to ASFF"),
            "{err}"
        );
        assert!(
            err.message.contains("finding-204 does not adhere to ASFF"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_refused_batch_says_how_far_the_import_got() {
        let ok = import_rule(Arc::default(), &[]);
        let denied = mock!(Client::batch_import_findings)
            .then_http_response(|| access_denied("securityhub:BatchImportFindings"));
        let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, &[&ok, &denied]);

        let err = import(&client, numbered(250)).await.unwrap_err();

        assert_eq!(err.kind, FailureKind::AccessDenied);
        assert!(
            err.message.contains("securityhub:BatchImportFindings"),
            "{err}"
        );
        assert!(
            err.message.contains("100 of 250 findings were imported"),
            "{err}"
        );
    }
}
