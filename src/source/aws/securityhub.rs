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
        grown: false,
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
mod tests;
