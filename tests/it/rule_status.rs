//! `role-audit status`'s readers, through the real SDK serializers (aws-smithy-mocks):
//! DescribeConfigRules for the rule and its frequency, DescribeConfigRuleEvaluationStatus (no
//! entry for a custom Lambda rule), GetComplianceDetailsByConfigRule for the newest recorded
//! result, and CloudWatch DescribeAlarms for the function's alarm.

use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::operation::describe_alarms::{DescribeAlarmsInput, DescribeAlarmsOutput};
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_config::operation::describe_config_rule_evaluation_status::{
    DescribeConfigRuleEvaluationStatusInput, DescribeConfigRuleEvaluationStatusOutput,
};
use aws_sdk_config::operation::describe_config_rules::{
    DescribeConfigRulesInput, DescribeConfigRulesOutput,
};
use aws_sdk_config::operation::get_compliance_details_by_config_rule::{
    GetComplianceDetailsByConfigRuleInput, GetComplianceDetailsByConfigRuleOutput,
};
use aws_sdk_config::types::{
    ComplianceType, EvaluationResult, EvaluationResultIdentifier, EvaluationResultQualifier,
};
use aws_sdk_config::types::{
    ConfigRule, ConfigRuleEvaluationStatus, ConfigRuleState, MaximumExecutionFrequency,
    MessageType, Owner, Source, SourceDetail,
};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use chrono::{TimeZone, Utc};
use iam_role_last_used::aws::alarm::alarm_status;
use iam_role_last_used::aws::config_rule::{recorded_result_times, rule_status};
use iam_role_last_used::core::rule_status::{
    AlarmState, AlarmStatus, EvaluationStatus, Frequency, RecordedResults, RuleFrequency,
    RuleOwner, WatchedRule,
};

use crate::common::config_client;

fn secs(day: u32, hour: u32) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(
        Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0)
            .unwrap()
            .timestamp(),
    )
}

/// A periodic CUSTOM_LAMBDA rule as template.yaml creates it: the frequency on its
/// ScheduledNotification source detail, none on the rule.
fn lambda_rule(name: &str, frequency: Option<MaximumExecutionFrequency>) -> ConfigRule {
    ConfigRule::builder()
        .config_rule_name(name)
        .config_rule_state(ConfigRuleState::Active)
        .source(
            Source::builder()
                .owner(Owner::CustomLambda)
                .source_identifier("arn:aws:lambda:eu-west-1:111122223333:function:f")
                .source_details(
                    SourceDetail::builder()
                        .message_type(MessageType::ScheduledNotification)
                        .set_maximum_execution_frequency(frequency)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .build()
}

fn rules(answer: Vec<ConfigRule>, asked: Arc<Mutex<Vec<DescribeConfigRulesInput>>>) -> Rule {
    mock!(aws_sdk_config::Client::describe_config_rules).then_compute_output(move |req| {
        asked.lock().unwrap().push(req.clone());
        DescribeConfigRulesOutput::builder()
            .set_config_rules(Some(answer.clone()))
            .build()
    })
}

fn status_of(
    name: &'static str,
    asked: Arc<Mutex<Vec<DescribeConfigRuleEvaluationStatusInput>>>,
) -> Rule {
    mock!(aws_sdk_config::Client::describe_config_rule_evaluation_status).then_compute_output(
        move |req| {
            asked.lock().unwrap().push(req.clone());
            DescribeConfigRuleEvaluationStatusOutput::builder()
                .config_rules_evaluation_status(
                    ConfigRuleEvaluationStatus::builder()
                        .config_rule_name(name)
                        .last_successful_invocation_time(secs(9, 6))
                        .last_failed_invocation_time(secs(10, 6))
                        .last_successful_evaluation_time(secs(9, 7))
                        .last_failed_evaluation_time(secs(8, 7))
                        .first_activated_time(secs(1, 0))
                        .first_evaluation_started(true)
                        .last_error_code("LambdaError")
                        .last_error_message("function timed out")
                        .build(),
                )
                .build()
        },
    )
}

fn config_error(code: &str, message: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(400).unwrap(),
        SdkBody::from(format!(r#"{{"__type":"{code}","message":"{message}"}}"#)),
    )
}

fn utc(day: u32, hour: u32) -> Option<chrono::DateTime<Utc>> {
    Some(Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).unwrap())
}

#[tokio::test]
async fn the_status_and_the_source_details_frequency_of_a_custom_lambda_rule_are_read() {
    let asked_rules = Arc::default();
    let asked_status = Arc::default();
    let described = rules(
        vec![lambda_rule(
            "iam-role-last-used",
            Some(MaximumExecutionFrequency::ThreeHours),
        )],
        Arc::clone(&asked_rules),
    );
    let status = status_of("iam-role-last-used", Arc::clone(&asked_status));
    let config = config_client(&[&described, &status]);

    let (rule, got) = rule_status(&config, "iam-role-last-used").await.unwrap();

    assert_eq!(
        rule,
        WatchedRule {
            name: "iam-role-last-used".to_owned(),
            state: Some("ACTIVE".to_owned()),
            frequency: RuleFrequency {
                frequency: Frequency::ThreeHours,
                defaulted: false
            },
            owner: RuleOwner::CustomLambda,
        }
    );
    assert_eq!(
        got,
        Some(EvaluationStatus {
            last_successful_invocation: utc(9, 6),
            last_failed_invocation: utc(10, 6),
            last_successful_evaluation: utc(9, 7),
            last_failed_evaluation: utc(8, 7),
            first_activated: utc(1, 0),
            first_evaluation_started: true,
            last_error_code: Some("LambdaError".to_owned()),
            last_error_message: Some("function timed out".to_owned()),
        })
    );
    let names = |v: &[String]| v.to_vec();
    assert_eq!(
        asked_rules
            .lock()
            .unwrap()
            .iter()
            .map(|r: &DescribeConfigRulesInput| names(r.config_rule_names()))
            .collect::<Vec<_>>(),
        [vec!["iam-role-last-used".to_owned()]]
    );
    assert_eq!(
        asked_status
            .lock()
            .unwrap()
            .iter()
            .map(|r: &DescribeConfigRuleEvaluationStatusInput| names(r.config_rule_names()))
            .collect::<Vec<_>>(),
        [vec!["iam-role-last-used".to_owned()]]
    );
}

#[tokio::test]
async fn the_rules_own_frequency_wins_and_none_means_config_s_24_hour_default() {
    let cases = [
        (
            ConfigRule::builder()
                .config_rule_name("r")
                .maximum_execution_frequency(MaximumExecutionFrequency::SixHours)
                .source(
                    lambda_rule("r", Some(MaximumExecutionFrequency::OneHour))
                        .source()
                        .unwrap()
                        .clone(),
                )
                .build(),
            RuleFrequency {
                frequency: Frequency::SixHours,
                defaulted: false,
            },
        ),
        (
            lambda_rule("r", Some(MaximumExecutionFrequency::TwelveHours)),
            RuleFrequency {
                frequency: Frequency::TwelveHours,
                defaulted: false,
            },
        ),
        (
            lambda_rule("r", None),
            RuleFrequency {
                frequency: Frequency::TwentyFourHours,
                defaulted: true,
            },
        ),
    ];
    for (rule, expected) in cases {
        assert_eq!(
            iam_role_last_used::aws::config_rule::rule_frequency(&rule),
            Ok(expected),
            "{rule:?}"
        );
    }
    let unknown = lambda_rule("r", Some(MaximumExecutionFrequency::from("Every_Minute")));
    assert_eq!(
        iam_role_last_used::aws::config_rule::rule_frequency(&unknown),
        Err("unknown MaximumExecutionFrequency \"Every_Minute\"".to_owned())
    );
}

#[test]
fn the_rules_source_owner_is_read_and_an_unknown_one_is_refused_by_name() {
    let with_owner = |owner: Owner| {
        ConfigRule::builder()
            .config_rule_name("r")
            .source(
                Source::builder()
                    .owner(owner)
                    .source_identifier("IAM_ROLE_MANAGED_POLICY_CHECK")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    for (owner, expected) in [
        (Owner::Aws, RuleOwner::Aws),
        (Owner::CustomLambda, RuleOwner::CustomLambda),
        (Owner::CustomPolicy, RuleOwner::CustomPolicy),
    ] {
        assert_eq!(
            iam_role_last_used::aws::config_rule::rule_owner(&with_owner(owner.clone())),
            Ok(expected),
            "{owner:?}"
        );
    }
    assert_eq!(
        iam_role_last_used::aws::config_rule::rule_owner(&with_owner(Owner::from("THIRD_PARTY"))),
        Err("unknown Source.Owner \"THIRD_PARTY\"".to_owned())
    );
}

#[tokio::test]
async fn in_a_member_account_the_organization_rule_name_finds_its_copy() {
    let exact = mock!(aws_sdk_config::Client::describe_config_rules)
        .match_requests(|req| !req.config_rule_names().is_empty())
        .then_http_response(|| {
            config_error(
                "NoSuchConfigRuleException",
                "The ConfigRule 'iam-role-last-used-org' provided in the request is invalid.",
            )
        });
    let all = mock!(aws_sdk_config::Client::describe_config_rules)
        .match_requests(|req| req.config_rule_names().is_empty())
        .then_output(|| {
            DescribeConfigRulesOutput::builder()
                .config_rules(lambda_rule(
                    "OrgConfigRule-iam-role-last-used-org-extra-zz9",
                    None,
                ))
                .config_rules(lambda_rule(
                    "OrgConfigRule-iam-role-last-used-org-ab12cd",
                    None,
                ))
                .config_rules(lambda_rule("another-rule", None))
                .build()
        });
    let asked_status = Arc::default();
    let status = status_of(
        "OrgConfigRule-iam-role-last-used-org-ab12cd",
        Arc::clone(&asked_status),
    );
    let config = config_client(&[&exact, &all, &status]);

    let (rule, got) = rule_status(&config, "iam-role-last-used-org")
        .await
        .unwrap();

    assert_eq!(rule.name, "OrgConfigRule-iam-role-last-used-org-ab12cd");
    assert!(got.is_some());
    assert_eq!(
        asked_status.lock().unwrap()[0].config_rule_names(),
        ["OrgConfigRule-iam-role-last-used-org-ab12cd"]
    );

    // No copy at all: Config's own answer for the name asked.
    let none = mock!(aws_sdk_config::Client::describe_config_rules)
        .match_requests(|req| req.config_rule_names().is_empty())
        .then_output(|| DescribeConfigRulesOutput::builder().build());
    let error = rule_status(&config_client(&[&exact, &none]), "iam-role-last-used-org")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the status of Config rule \"iam-role-last-used-org\" failed: DescribeConfigRules: NoSuchConfigRuleException: The ConfigRule 'iam-role-last-used-org' provided in the request is invalid."
    );
}

#[tokio::test]
async fn a_denied_status_call_names_the_operation_and_no_status_entry_is_the_custom_lambda_case() {
    let described = rules(vec![lambda_rule("r", None)], Arc::default());
    let denied = mock!(aws_sdk_config::Client::describe_config_rule_evaluation_status)
        .then_http_response(|| config_error("AccessDeniedException", "not authorized"));
    let error = rule_status(&config_client(&[&described, &denied]), "r")
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "RuleStatusReadFailed");
    assert_eq!(
        error.to_string(),
        "reading the status of Config rule \"r\" failed: DescribeConfigRuleEvaluationStatus: AccessDeniedException: not authorized"
    );

    let empty = mock!(aws_sdk_config::Client::describe_config_rule_evaluation_status)
        .then_output(|| DescribeConfigRuleEvaluationStatusOutput::builder().build());
    // The API reference: it "does not return status information about Config Custom Lambda
    // rules". An empty answer, or one for another rule only, is no entry, not an error.
    let other =
        mock!(aws_sdk_config::Client::describe_config_rule_evaluation_status).then_output(|| {
            DescribeConfigRuleEvaluationStatusOutput::builder()
                .config_rules_evaluation_status(
                    ConfigRuleEvaluationStatus::builder()
                        .config_rule_name("another-rule")
                        .last_successful_evaluation_time(secs(9, 7))
                        .build(),
                )
                .build()
        });
    for answer in [&empty, &other] {
        let (rule, status) = rule_status(&config_client(&[&described, answer]), "r")
            .await
            .unwrap();
        assert_eq!((rule.name.as_str(), status), ("r", None));
    }
}

#[tokio::test]
async fn two_copies_of_the_organization_rule_are_named_rather_than_one_picked() {
    let exact = mock!(aws_sdk_config::Client::describe_config_rules)
        .match_requests(|req| !req.config_rule_names().is_empty())
        .then_http_response(|| config_error("NoSuchConfigRuleException", "no such rule"));
    let all = mock!(aws_sdk_config::Client::describe_config_rules)
        .match_requests(|req| req.config_rule_names().is_empty())
        .then_output(|| {
            DescribeConfigRulesOutput::builder()
                .config_rules(lambda_rule("OrgConfigRule-r-aaa111", None))
                .config_rules(lambda_rule("OrgConfigRule-r-bbb222", None))
                .build()
        });
    let error = rule_status(&config_client(&[&exact, &all]), "r")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the status of Config rule \"r\" failed: DescribeConfigRules: more than one organization rule copy matches: OrgConfigRule-r-aaa111, OrgConfigRule-r-bbb222; pass the one to watch"
    );
}

fn result(
    id: &str,
    compliance: ComplianceType,
    recorded: aws_smithy_types::DateTime,
    invoked: Option<aws_smithy_types::DateTime>,
) -> EvaluationResult {
    EvaluationResult::builder()
        .evaluation_result_identifier(
            EvaluationResultIdentifier::builder()
                .evaluation_result_qualifier(
                    EvaluationResultQualifier::builder()
                        .config_rule_name("r")
                        .resource_type("AWS::IAM::Role")
                        .resource_id(id)
                        .build(),
                )
                .build(),
        )
        .compliance_type(compliance)
        .result_recorded_time(recorded)
        .set_config_rule_invoked_time(invoked)
        .build()
}

#[tokio::test]
async fn the_newest_recorded_result_is_read_from_every_page_and_every_compliance_type() {
    let asked: Arc<Mutex<Vec<GetComplianceDetailsByConfigRuleInput>>> = Arc::default();
    let log = Arc::clone(&asked);
    let pages = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_compute_output(move |req| {
            log.lock().unwrap().push(req.clone());
            match req.next_token() {
                None => GetComplianceDetailsByConfigRuleOutput::builder()
                    .evaluation_results(result(
                        "AROA1",
                        ComplianceType::Compliant,
                        secs(9, 6),
                        Some(secs(9, 5)),
                    ))
                    .evaluation_results(result(
                        "AROA2",
                        ComplianceType::NonCompliant,
                        secs(8, 6),
                        None,
                    ))
                    .next_token("page-2")
                    .build(),
                Some(_) => GetComplianceDetailsByConfigRuleOutput::builder()
                    // The newest is on the last page, NOT_APPLICABLE.
                    .evaluation_results(result(
                        "AROA3",
                        ComplianceType::NotApplicable,
                        secs(10, 6),
                        Some(secs(10, 5)),
                    ))
                    .build(),
            }
        });
    let got = recorded_result_times(&config_client(&[&pages]), "OrgConfigRule-r-ab12")
        .await
        .unwrap();
    assert_eq!(
        got,
        RecordedResults {
            count: 3,
            last_recorded: utc(10, 6),
            last_invoked: utc(10, 5),
        }
    );
    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 2);
    for req in asked.iter() {
        assert_eq!(req.config_rule_name(), Some("OrgConfigRule-r-ab12"));
        assert_eq!(
            req.compliance_types(),
            [
                ComplianceType::Compliant,
                ComplianceType::NonCompliant,
                ComplianceType::NotApplicable
            ]
        );
    }
    assert_eq!(asked[1].next_token(), Some("page-2"));
}

#[tokio::test]
async fn no_recorded_results_and_a_denied_read_are_told_apart() {
    let none = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_output(|| GetComplianceDetailsByConfigRuleOutput::builder().build());
    assert_eq!(
        recorded_result_times(&config_client(&[&none]), "r")
            .await
            .unwrap(),
        RecordedResults::default()
    );

    let denied = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_http_response(|| config_error("AccessDeniedException", "not authorized"));
    let error = recorded_result_times(&config_client(&[&denied]), "r")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the status of Config rule \"r\" failed: GetComplianceDetailsByConfigRule: AccessDeniedException: not authorized"
    );
}

fn cloudwatch_client(rules: &[&Rule]) -> aws_sdk_cloudwatch::Client {
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, rules)
}

fn metric_alarm(name: &str, state: StateValue) -> MetricAlarm {
    MetricAlarm::builder()
        .alarm_name(name)
        .state_value(state)
        .state_reason("Threshold Crossed: 1 datapoint [2.0] was greater than or equal to the threshold (2.0).")
        .state_updated_timestamp(secs(10, 11))
        .build()
}

#[tokio::test]
async fn the_alarm_is_asked_by_name_and_its_state_reason_and_time_are_read() {
    let cases = [
        (StateValue::Alarm, AlarmState::Alarm),
        (StateValue::Ok, AlarmState::Ok),
        (StateValue::InsufficientData, AlarmState::InsufficientData),
    ];
    for (value, state) in cases {
        let asked: Arc<Mutex<Vec<DescribeAlarmsInput>>> = Arc::default();
        let log = Arc::clone(&asked);
        let answer = metric_alarm("f-failing", value.clone());
        let described =
            mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_compute_output(move |req| {
                log.lock().unwrap().push(req.clone());
                DescribeAlarmsOutput::builder()
                    .metric_alarms(answer.clone())
                    .build()
            });
        let got = alarm_status(&cloudwatch_client(&[&described]), "f-failing")
            .await
            .unwrap();
        assert_eq!(
            got,
            AlarmStatus {
                name: "f-failing".to_owned(),
                state,
                reason: Some("Threshold Crossed: 1 datapoint [2.0] was greater than or equal to the threshold (2.0).".to_owned()),
                updated: utc(10, 11),
            },
            "{value:?}"
        );
        assert_eq!(asked.lock().unwrap()[0].alarm_names(), ["f-failing"]);
    }
}

#[tokio::test]
async fn a_missing_alarm_is_an_error_naming_it_and_a_denied_read_names_describe_alarms() {
    let none = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .then_output(|| DescribeAlarmsOutput::builder().build());
    let error = alarm_status(&cloudwatch_client(&[&none]), "f-failing")
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "NoSuchAlarm");
    assert_eq!(
        error.to_string(),
        "there is no CloudWatch metric alarm named \"f-failing\" in this Region"
    );

    let denied = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_error(|| {
        aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized to perform: cloudwatch:DescribeAlarms")
                .build(),
        )
    });
    let error = alarm_status(&cloudwatch_client(&[&denied]), "f-failing")
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "AlarmReadFailed");
    assert_eq!(
        error.to_string(),
        "reading CloudWatch alarm \"f-failing\" failed: DescribeAlarms: AccessDenied: not authorized to perform: cloudwatch:DescribeAlarms"
    );
}
