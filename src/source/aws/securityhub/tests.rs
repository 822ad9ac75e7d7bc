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
    let times =
        |first: Option<&str>, created: Option<&str>, last: Option<&str>, updated: Option<&str>| {
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
    let mut response = HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body));
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
    let rule =
        mock!(Client::get_findings).then_http_response(|| access_denied("securityhub:GetFindings"));
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
