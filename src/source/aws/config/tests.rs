use super::*;
use aws_sdk_config::Client;
use aws_sdk_config::operation::describe_compliance_by_config_rule::DescribeComplianceByConfigRuleOutput;
use aws_sdk_config::operation::describe_config_rules::DescribeConfigRulesOutput;
use aws_sdk_config::operation::describe_remediation_configurations::DescribeRemediationConfigurationsOutput;
use aws_sdk_config::operation::describe_remediation_execution_status::DescribeRemediationExecutionStatusOutput;
use aws_sdk_config::operation::get_compliance_details_by_config_rule::GetComplianceDetailsByConfigRuleOutput;
use aws_sdk_config::operation::start_remediation_execution::StartRemediationExecutionOutput;
use aws_sdk_config::types::{
    Compliance, ComplianceByConfigRule, ConfigRule, EvaluationResult, EvaluationResultIdentifier,
    EvaluationResultQualifier, RemediationConfiguration, RemediationExecutionStep,
    RemediationTargetType,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::sync::Mutex;

const VERSIONING: &str = "s3-bucket-versioning-enabled";
const PITR: &str = "dynamodb-pitr-enabled";
const PASSWORDS: &str = "iam-password-policy";

/// A source whose client answers from the rules, whichever matches each request. A
/// request no rule matches panics, failing the test.
fn source(rules: &[&Rule]) -> ConfigSource {
    ConfigSource::new(
        mock_client!(aws_sdk_config, RuleMode::MatchAny, rules),
        "eu-west-1",
    )
}

fn config_rule(name: &str, description: &str) -> ConfigRule {
    ConfigRule::builder()
        .config_rule_name(name)
        .description(description)
        .build()
}

fn compliance(rule: &str, kind: ComplianceType) -> ComplianceByConfigRule {
    ComplianceByConfigRule::builder()
        .config_rule_name(rule)
        .compliance(Compliance::builder().compliance_type(kind).build())
        .build()
}

fn evaluation(rule: &str, resource_type: &str, id: &str, recorded: i64) -> EvaluationResult {
    let qualifier = EvaluationResultQualifier::builder()
        .config_rule_name(rule)
        .resource_type(resource_type)
        .resource_id(id)
        .build();
    EvaluationResult::builder()
        .evaluation_result_identifier(
            EvaluationResultIdentifier::builder()
                .evaluation_result_qualifier(qualifier)
                .build(),
        )
        .compliance_type(ComplianceType::NonCompliant)
        .result_recorded_time(aws_smithy_types::DateTime::from_secs(recorded))
        .annotation(format!("{id} is not compliant"))
        .build()
}

fn remediation(rule: &str, document: &str) -> RemediationConfiguration {
    RemediationConfiguration::builder()
        .config_rule_name(rule)
        .target_type(RemediationTargetType::SsmDocument)
        .target_id(document)
        .build()
        .unwrap()
}

fn key(resource_type: &str, id: &str) -> ResourceKey {
    ResourceKey {
        resource_type: resource_type.to_string(),
        resource_id: id.to_string(),
        region: Some("eu-west-1".to_string()),
    }
}

fn table(id: &str) -> ResourceKey {
    key("AWS::DynamoDB::Table", id)
}

/// The keys of a request as (type, id) pairs, to compare with what was asked for.
fn sent(keys: &[sdk::ResourceKey]) -> Vec<(&str, &str)> {
    keys.iter()
        .map(|k| (k.resource_type().as_str(), k.resource_id()))
        .collect()
}

fn status(id: &str, state: &str, error: Option<&str>) -> RemediationExecutionStatus {
    let mut status = RemediationExecutionStatus::builder()
        .resource_key(sdk_key("test", &table(id)).unwrap())
        .state(RemediationExecutionState::from(state));
    if let Some(message) = error {
        status = status.step_details(
            RemediationExecutionStep::builder()
                .name("UpdateContinuousBackups")
                .error_message(message)
                .build(),
        );
    }
    status.build()
}

fn statuses(list: Vec<RemediationExecutionStatus>) -> DescribeRemediationExecutionStatusOutput {
    DescribeRemediationExecutionStatusOutput::builder()
        .set_remediation_execution_statuses(Some(list))
        .build()
}

fn rules_page(rules: Vec<ConfigRule>, next: Option<&str>) -> DescribeConfigRulesOutput {
    DescribeConfigRulesOutput::builder()
        .set_config_rules(Some(rules))
        .set_next_token(next.map(str::to_string))
        .build()
}

fn details_page(
    results: Vec<EvaluationResult>,
    next: Option<&str>,
) -> GetComplianceDetailsByConfigRuleOutput {
    GetComplianceDetailsByConfigRuleOutput::builder()
        .set_evaluation_results(Some(results))
        .set_next_token(next.map(str::to_string))
        .build()
}

fn only_non_compliant(kinds: &[ComplianceType]) -> bool {
    kinds == [ComplianceType::NonCompliant]
}

fn lines(seen: &Mutex<Vec<String>>) -> Vec<String> {
    seen.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn non_compliant_resources_come_with_descriptions_and_remediation_documents() {
    let rules = mock!(Client::describe_config_rules).then_output(|| {
        rules_page(
            vec![
                config_rule(VERSIONING, "Buckets keep every version"),
                config_rule(PITR, "Tables can be restored to a point in time"),
                config_rule(PASSWORDS, "Passwords are long"),
            ],
            None,
        )
    });
    let by_rule = mock!(Client::describe_compliance_by_config_rule)
        .match_requests(|r| only_non_compliant(r.compliance_types()))
        .then_output(|| {
            DescribeComplianceByConfigRuleOutput::builder()
                .compliance_by_config_rules(compliance(VERSIONING, ComplianceType::NonCompliant))
                .compliance_by_config_rules(compliance(PITR, ComplianceType::NonCompliant))
                // As an endpoint that ignores the filter would answer.
                .compliance_by_config_rules(compliance(PASSWORDS, ComplianceType::Compliant))
                .build()
        });
    let first_page = mock!(Client::get_compliance_details_by_config_rule)
        .match_requests(|r| {
            r.config_rule_name() == Some(VERSIONING)
                && only_non_compliant(r.compliance_types())
                && r.limit() == Some(100)
                && r.next_token().is_none()
        })
        .then_output(|| {
            details_page(
                vec![evaluation(
                    VERSIONING,
                    "AWS::S3::Bucket",
                    "logs",
                    1_700_000_000,
                )],
                Some("page-2"),
            )
        });
    let second_page = mock!(Client::get_compliance_details_by_config_rule)
        .match_requests(|r| {
            r.config_rule_name() == Some(VERSIONING)
                && only_non_compliant(r.compliance_types())
                && r.limit() == Some(100)
                && r.next_token() == Some("page-2")
        })
        .then_output(|| {
            details_page(
                vec![evaluation(
                    VERSIONING,
                    "AWS::S3::Bucket",
                    "backups",
                    1_700_000_100,
                )],
                None,
            )
        });
    let tables = mock!(Client::get_compliance_details_by_config_rule)
        .match_requests(|r| r.config_rule_name() == Some(PITR))
        .then_output(|| {
            details_page(
                vec![evaluation(
                    PITR,
                    "AWS::DynamoDB::Table",
                    "orders",
                    1_700_000_200,
                )],
                None,
            )
        });
    let compliant = mock!(Client::get_compliance_details_by_config_rule)
        .match_requests(|r| r.config_rule_name() == Some(PASSWORDS))
        .then_output(|| details_page(vec![], None));
    let documents = mock!(Client::describe_remediation_configurations)
        .match_requests(|r| r.config_rule_names() == [VERSIONING, PITR])
        .then_output(|| {
            DescribeRemediationConfigurationsOutput::builder()
                .remediation_configurations(remediation(
                    VERSIONING,
                    "AWS-ConfigureS3BucketVersioning",
                ))
                .build()
        });
    let config = source(&[
        &rules,
        &by_rule,
        &first_page,
        &second_page,
        &tables,
        &compliant,
        &documents,
    ]);

    let findings = config.non_compliant().await.unwrap();

    let expect =
        |rule: &str, description: &str, ty: &str, id: &str, at: i64, doc: Option<&str>| Finding {
            rule: rule.to_string(),
            rule_description: description.to_string(),
            resource_type: ty.to_string(),
            resource_id: id.to_string(),
            region: "eu-west-1".to_string(),
            compliance: "NON_COMPLIANT".to_string(),
            annotation: Some(format!("{id} is not compliant")),
            remediation: doc.map(str::to_string),
            guidance: None,
            evaluated_at: DateTime::from_timestamp(at, 0),
            stack: None,
            account: None,
        };
    let versioning = "Buckets keep every version";
    let document = Some("AWS-ConfigureS3BucketVersioning");
    assert_eq!(
        findings,
        vec![
            expect(
                VERSIONING,
                versioning,
                "AWS::S3::Bucket",
                "logs",
                1_700_000_000,
                document
            ),
            expect(
                VERSIONING,
                versioning,
                "AWS::S3::Bucket",
                "backups",
                1_700_000_100,
                document
            ),
            expect(
                PITR,
                "Tables can be restored to a point in time",
                "AWS::DynamoDB::Table",
                "orders",
                1_700_000_200,
                None
            ),
        ]
    );
    assert_eq!((first_page.num_calls(), second_page.num_calls()), (1, 1));
    assert_eq!(
        compliant.num_calls(),
        0,
        "a compliant rule is not asked about"
    );
}

#[tokio::test(start_paused = true)]
async fn rule_descriptions_are_read_from_every_page() {
    let first = mock!(Client::describe_config_rules)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| rules_page(vec![config_rule("one", "On the first page")], Some("more")));
    let second = mock!(Client::describe_config_rules)
        .match_requests(|r| r.next_token() == Some("more"))
        .then_output(|| rules_page(vec![config_rule("two", "On the second page")], None));
    let by_rule = mock!(Client::describe_compliance_by_config_rule).then_output(|| {
        DescribeComplianceByConfigRuleOutput::builder()
            .compliance_by_config_rules(compliance("one", ComplianceType::NonCompliant))
            .compliance_by_config_rules(compliance("two", ComplianceType::NonCompliant))
            .build()
    });
    let details = mock!(Client::get_compliance_details_by_config_rule).then_compute_output(|r| {
        let rule = r.config_rule_name().unwrap();
        details_page(vec![evaluation(rule, "AWS::S3::Bucket", rule, 0)], None)
    });
    let documents = mock!(Client::describe_remediation_configurations)
        .then_output(|| DescribeRemediationConfigurationsOutput::builder().build());
    let config = source(&[&first, &second, &by_rule, &details, &documents]);

    let findings = config.non_compliant().await.unwrap();

    let described: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.rule_description.as_str()))
        .collect();
    assert_eq!(
        described,
        [("one", "On the first page"), ("two", "On the second page")]
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn remediation_configurations_are_asked_for_25_rules_at_a_time() {
    let names: Vec<String> = (0..30).map(|i| format!("rule-{i:02}")).collect();
    let listed = names.clone();
    let by_rule = mock!(Client::describe_compliance_by_config_rule).then_output(move || {
        DescribeComplianceByConfigRuleOutput::builder()
            .set_compliance_by_config_rules(Some(
                listed
                    .iter()
                    .map(|n| compliance(n, ComplianceType::NonCompliant))
                    .collect(),
            ))
            .build()
    });
    let rules = mock!(Client::describe_config_rules).then_output(|| rules_page(vec![], None));
    let details = mock!(Client::get_compliance_details_by_config_rule).then_compute_output(|r| {
        let rule = r.config_rule_name().unwrap();
        details_page(vec![evaluation(rule, "AWS::S3::Bucket", rule, 0)], None)
    });
    let answer = |r: &aws_sdk_config::operation::describe_remediation_configurations::DescribeRemediationConfigurationsInput| {
        DescribeRemediationConfigurationsOutput::builder()
            .set_remediation_configurations(Some(
                r.config_rule_names()
                    .iter()
                    .map(|n| remediation(n, &format!("fix-{n}")))
                    .collect(),
            ))
            .build()
    };
    let full = mock!(Client::describe_remediation_configurations)
        .match_requests(|r| r.config_rule_names().len() == 25)
        .then_compute_output(answer);
    let rest = mock!(Client::describe_remediation_configurations)
        .match_requests(|r| r.config_rule_names().len() == 5)
        .then_compute_output(answer);
    let config = source(&[&by_rule, &rules, &details, &full, &rest]);

    let findings = config.non_compliant().await.unwrap();

    assert_eq!((full.num_calls(), rest.num_calls()), (1, 1));
    assert_eq!(findings.len(), 30);
    for f in &findings {
        assert_eq!(f.remediation, Some(format!("fix-{}", f.rule)));
    }
}

#[tokio::test(start_paused = true)]
async fn access_denied_on_compliance_details_fails_naming_the_permission() {
    let rules = mock!(Client::describe_config_rules).then_output(|| rules_page(vec![], None));
    let by_rule = mock!(Client::describe_compliance_by_config_rule).then_output(|| {
        DescribeComplianceByConfigRuleOutput::builder()
            .compliance_by_config_rules(compliance(PITR, ComplianceType::NonCompliant))
            .build()
    });
    let documents = mock!(Client::describe_remediation_configurations)
        .then_output(|| DescribeRemediationConfigurationsOutput::builder().build());
    let denied = mock!(Client::get_compliance_details_by_config_rule).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(
                r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ro is not authorized to perform: config:GetComplianceDetailsByConfigRule on resource: *"}"#,
            ),
        )
    });
    let config = source(&[&rules, &by_rule, &documents, &denied]);

    let failure = config.non_compliant().await.unwrap_err();

    assert_eq!(failure.kind, FailureKind::AccessDenied);
    assert_eq!(failure.operation, COMPLIANCE_DETAILS);
    assert_eq!(failure.code.as_deref(), Some("AccessDeniedException"));
    assert!(
        failure
            .message
            .contains("missing permission config:GetComplianceDetailsByConfigRule"),
        "{failure}"
    );
    assert_eq!(denied.num_calls(), 1, "access denied is not retried");
}

#[tokio::test(start_paused = true)]
async fn starting_a_remediation_sends_the_rule_and_keys_and_returns_the_failed_items() {
    let start = mock!(Client::start_remediation_execution)
        .match_requests(|r| {
            r.config_rule_name() == Some(PITR)
                && sent(r.resource_keys())
                    == [
                        ("AWS::DynamoDB::Table", "orders"),
                        ("AWS::Custom::Ledger", "ledger-1"),
                    ]
        })
        .then_output(|| {
            StartRemediationExecutionOutput::builder()
                .failure_message("Resource type is not supported by the document")
                .failed_items(sdk_key("test", &key("AWS::Custom::Ledger", "ledger-1")).unwrap())
                .build()
        });
    let config = source(&[&start]);

    let failed = config
        .start_remediation(
            PITR,
            &[table("orders"), key("AWS::Custom::Ledger", "ledger-1")],
        )
        .await
        .unwrap();

    assert_eq!(
        failed,
        [(
            "ledger-1".to_string(),
            "Resource type is not supported by the document".to_string()
        )]
    );
    assert_eq!(start.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn keys_the_api_would_reject_are_refused_without_a_call() {
    let start = mock!(Client::start_remediation_execution)
        .then_output(|| StartRemediationExecutionOutput::builder().build());
    let config = source(&[&start]);
    let many: Vec<ResourceKey> = (0..101).map(|i| table(&format!("t{i}"))).collect();
    let mut abroad = table("orders");
    abroad.region = Some("us-east-1".to_string());

    let too_many = config.start_remediation(PITR, &many).await.unwrap_err();
    let elsewhere = config.start_remediation(PITR, &[abroad]).await.unwrap_err();
    let none = config.start_remediation(PITR, &[]).await.unwrap_err();

    assert_eq!(too_many.kind, FailureKind::Other);
    assert!(too_many.message.contains("at most 100"), "{too_many}");
    assert!(
        elsewhere.message.contains("orders not in eu-west-1"),
        "{elsewhere}"
    );
    assert!(none.message.contains("no resources"), "{none}");
    assert_eq!(start.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn following_reports_each_change_once_and_names_the_failed_resource() {
    let looks = mock!(Client::describe_remediation_execution_status)
        .match_requests(|r| {
            r.config_rule_name() == Some(PITR)
                && sent(r.resource_keys())
                    == [
                        ("AWS::DynamoDB::Table", "orders"),
                        ("AWS::DynamoDB::Table", "archive"),
                    ]
        })
        .sequence()
        .output(|| {
            statuses(vec![
                status("orders", "QUEUED", None),
                status("archive", "QUEUED", None),
            ])
        })
        .output(|| {
            statuses(vec![
                status("orders", "IN_PROGRESS", None),
                status("archive", "QUEUED", None),
            ])
        })
        .output(|| {
            statuses(vec![
                status("orders", "IN_PROGRESS", None),
                status(
                    "archive",
                    "FAILED",
                    Some("AccessDeniedException on UpdateContinuousBackups"),
                ),
            ])
        })
        .output(|| {
            statuses(vec![
                status("orders", "SUCCEEDED", None),
                status(
                    "archive",
                    "FAILED",
                    Some("AccessDeniedException on UpdateContinuousBackups"),
                ),
            ])
        })
        .build();
    let config = source(&[&looks]);
    let seen = Mutex::new(Vec::new());
    let progress = |line: String| seen.lock().unwrap().push(line);
    let started = Instant::now();

    let failure = config
        .follow_remediation(
            PITR,
            &[table("orders"), table("archive")],
            Duration::from_secs(10),
            Duration::from_secs(600),
            &progress,
        )
        .await
        .unwrap_err();

    assert_eq!(
        lines(&seen),
        [
            "orders: QUEUED",
            "archive: QUEUED",
            "orders: IN_PROGRESS",
            "archive: FAILED",
            "orders: SUCCEEDED",
        ]
    );
    assert_eq!(failure.kind, FailureKind::Other);
    assert_eq!(
        failure.message,
        "remediation of dynamodb-pitr-enabled failed for archive (step UpdateContinuousBackups: \
         AccessDeniedException on UpdateContinuousBackups) (1 of 2 remediated)"
    );
    assert_eq!(looks.num_calls(), 4);
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(30),
        "one look every 10s"
    );
}

#[tokio::test(start_paused = true)]
async fn following_to_success_counts_the_remediated_resources() {
    let looks = mock!(Client::describe_remediation_execution_status)
        .sequence()
        .output(|| {
            statuses(vec![
                status("orders", "IN_PROGRESS", None),
                status("archive", "SUCCEEDED", None),
            ])
        })
        .output(|| {
            statuses(vec![
                status("orders", "SUCCEEDED", None),
                status("archive", "SUCCEEDED", None),
            ])
        })
        .build();
    let config = source(&[&looks]);
    let progress = |_: String| {};

    let summary = config
        .follow_remediation(
            PITR,
            &[table("orders"), table("archive")],
            Duration::from_secs(5),
            Duration::from_secs(60),
            &progress,
        )
        .await
        .unwrap();

    assert_eq!(summary, "2 resources remediated");
}

#[tokio::test(start_paused = true)]
async fn following_gives_up_at_the_timeout_naming_what_still_runs() {
    let looks = mock!(Client::describe_remediation_execution_status)
        .then_output(|| statuses(vec![status("orders", "IN_PROGRESS", None)]));
    let config = source(&[&looks]);
    let seen = Mutex::new(Vec::new());
    let progress = |line: String| seen.lock().unwrap().push(line);
    let started = Instant::now();

    let failure = config
        .follow_remediation(
            PITR,
            &[table("orders"), table("archive")],
            Duration::from_secs(10),
            Duration::from_secs(25),
            &progress,
        )
        .await
        .unwrap_err();

    assert_eq!(lines(&seen), ["orders: IN_PROGRESS"]);
    assert_eq!(
        failure.message,
        "remediation of dynamodb-pitr-enabled still running after 25s for \
         orders (IN_PROGRESS), archive (no status yet) (0 of 2 remediated)"
    );
    // Looks at 0, 10, 20 and at the deadline.
    assert_eq!(looks.num_calls(), 4);
    assert_eq!(started.elapsed(), Duration::from_secs(25));
}

/// The Config aggregator (moto does not implement its reads: this is the SDK's mock client,
/// named as such): each non-compliant rule of each account and region, then its resources
/// there, paged, every finding naming its account and region.
#[tokio::test(start_paused = true)]
async fn an_aggregator_gives_every_accounts_findings_each_naming_its_account() {
    use aws_sdk_config::operation::describe_aggregate_compliance_by_config_rules::DescribeAggregateComplianceByConfigRulesOutput;
    use aws_sdk_config::operation::get_aggregate_compliance_details_by_config_rule::GetAggregateComplianceDetailsByConfigRuleOutput;
    use aws_sdk_config::types::{
        AggregateComplianceByConfigRule, AggregateEvaluationResult, ComplianceContributorCount,
    };
    let flagged = |account: &str, region: &str, kind: ComplianceType| {
        AggregateComplianceByConfigRule::builder()
            .config_rule_name(VERSIONING)
            .account_id(account)
            .aws_region(region)
            .compliance(
                Compliance::builder()
                    .compliance_type(kind)
                    .compliance_contributor_count(ComplianceContributorCount::builder().build())
                    .build(),
            )
            .build()
    };
    let result = |account: &str, region: &str, bucket: &str| {
        let qualifier = EvaluationResultQualifier::builder()
            .config_rule_name(VERSIONING)
            .resource_type("AWS::S3::Bucket")
            .resource_id(bucket)
            .build();
        AggregateEvaluationResult::builder()
            .evaluation_result_identifier(
                EvaluationResultIdentifier::builder()
                    .evaluation_result_qualifier(qualifier)
                    .build(),
            )
            .compliance_type(ComplianceType::NonCompliant)
            .account_id(account)
            .aws_region(region)
            .annotation(format!("{bucket} keeps one version"))
            .build()
    };
    let rules = mock!(Client::describe_aggregate_compliance_by_config_rules)
        .match_requests(|r| {
            r.configuration_aggregator_name() == Some("org")
                && r.filters().and_then(|f| f.compliance_type())
                    == Some(&ComplianceType::NonCompliant)
        })
        .then_output(move || {
            DescribeAggregateComplianceByConfigRulesOutput::builder()
                .aggregate_compliance_by_config_rules(flagged(
                    "111111111111",
                    "us-east-1",
                    ComplianceType::NonCompliant,
                ))
                .aggregate_compliance_by_config_rules(flagged(
                    "222222222222",
                    "eu-west-1",
                    ComplianceType::NonCompliant,
                ))
                // As an endpoint that ignores the filter would answer.
                .aggregate_compliance_by_config_rules(flagged(
                    "333333333333",
                    "eu-west-1",
                    ComplianceType::Compliant,
                ))
                .build()
        });
    let first = mock!(Client::get_aggregate_compliance_details_by_config_rule)
        .match_requests(|r| r.account_id() == Some("111111111111") && r.next_token().is_none())
        .then_output(move || {
            GetAggregateComplianceDetailsByConfigRuleOutput::builder()
                .aggregate_evaluation_results(result("111111111111", "us-east-1", "logs"))
                .next_token("more")
                .build()
        });
    let second = mock!(Client::get_aggregate_compliance_details_by_config_rule)
        .match_requests(|r| {
            r.account_id() == Some("111111111111") && r.next_token() == Some("more")
        })
        .then_output(move || {
            GetAggregateComplianceDetailsByConfigRuleOutput::builder()
                .aggregate_evaluation_results(result("111111111111", "us-east-1", "backups"))
                .build()
        });
    let other = mock!(Client::get_aggregate_compliance_details_by_config_rule)
        .match_requests(|r| {
            r.account_id() == Some("222222222222")
                && r.aws_region() == Some("eu-west-1")
                && r.config_rule_name() == Some(VERSIONING)
                && r.compliance_type() == Some(&ComplianceType::NonCompliant)
        })
        .then_output(move || {
            GetAggregateComplianceDetailsByConfigRuleOutput::builder()
                .aggregate_evaluation_results(result("222222222222", "eu-west-1", "logs"))
                .build()
        });
    let source = source(&[&rules, &first, &second, &other]).aggregated("org".into());
    assert_eq!(source.name(), "config aggregator org (eu-west-1)");
    let findings = source.non_compliant().await.unwrap();
    let got: Vec<(Option<&str>, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f.account.as_deref(),
                f.region.as_str(),
                f.resource_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (Some("111111111111"), "us-east-1", "logs"),
            (Some("111111111111"), "us-east-1", "backups"),
            (Some("222222222222"), "eu-west-1", "logs"),
        ]
    );
    // The same bucket name in two accounts is two findings.
    assert_ne!(findings[0].key(), findings[2].key());
    assert_eq!(
        findings[0].annotation.as_deref(),
        Some("logs keeps one version")
    );
}
