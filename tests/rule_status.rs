//! `role-audit status`'s reader: DescribeConfigRules for the rule and its frequency, then
//! DescribeConfigRuleEvaluationStatus, through the real SDK serializers (aws-smithy-mocks).

use std::sync::{Arc, Mutex};

use aws_sdk_config::operation::describe_config_rule_evaluation_status::{
    DescribeConfigRuleEvaluationStatusInput, DescribeConfigRuleEvaluationStatusOutput,
};
use aws_sdk_config::operation::describe_config_rules::{
    DescribeConfigRulesInput, DescribeConfigRulesOutput,
};
use aws_sdk_config::types::{
    ConfigRule, ConfigRuleEvaluationStatus, ConfigRuleState, MaximumExecutionFrequency,
    MessageType, Owner, Source, SourceDetail,
};
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use chrono::{TimeZone, Utc};
use iam_role_last_used::config_rule::rule_status;
use iam_role_last_used::rule_status::{EvaluationStatus, Frequency, RuleFrequency};

mod common;
use common::config_client;

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

    let (got, frequency) = rule_status(&config, "iam-role-last-used").await.unwrap();

    assert_eq!(
        frequency,
        RuleFrequency {
            frequency: Frequency::ThreeHours,
            defaulted: false
        }
    );
    assert_eq!(
        got,
        EvaluationStatus {
            rule_name: "iam-role-last-used".to_owned(),
            rule_state: Some("ACTIVE".to_owned()),
            last_successful_invocation: utc(9, 6),
            last_failed_invocation: utc(10, 6),
            last_successful_evaluation: utc(9, 7),
            last_failed_evaluation: utc(8, 7),
            first_activated: utc(1, 0),
            first_evaluation_started: true,
            last_error_code: Some("LambdaError".to_owned()),
            last_error_message: Some("function timed out".to_owned()),
        }
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
            iam_role_last_used::config_rule::rule_frequency(&rule),
            Ok(expected),
            "{rule:?}"
        );
    }
    let unknown = lambda_rule("r", Some(MaximumExecutionFrequency::from("Every_Minute")));
    assert_eq!(
        iam_role_last_used::config_rule::rule_frequency(&unknown),
        Err("unknown MaximumExecutionFrequency \"Every_Minute\"".to_owned())
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

    let (got, _) = rule_status(&config, "iam-role-last-used-org")
        .await
        .unwrap();

    assert_eq!(got.rule_name, "OrgConfigRule-iam-role-last-used-org-ab12cd");
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
async fn a_denied_status_call_names_the_operation_and_a_missing_status_is_an_error() {
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
    let error = rule_status(&config_client(&[&described, &empty]), "r")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the status of Config rule \"r\" failed: DescribeConfigRuleEvaluationStatus: Config returned no evaluation status for the rule"
    );
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
