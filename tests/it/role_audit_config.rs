//! role-audit `status` and `report --aggregator` as a pipeline runs them: the real binary,
//! its exit code and output, against a local stub of Config and CloudWatch (`common::stub`).

use std::collections::HashMap;
use std::process::Output;

use serde_json::{json, Value};

use crate::common::stub::*;

/// 2026-01-10T00:00:00Z plus `hours`, in Config's epoch seconds.
fn t(hours: i64) -> i64 {
    1_767_225_600 + 9 * 86_400 + hours * 3_600
}

const NOW: &str = "2026-01-10T12:00:00Z";

/// Config's answers for the rule `iam-role-last-used`, periodic every 24 hours (on its
/// source detail), with this evaluation status.
fn status_answers(status: Value) -> Answers {
    let mut status = status;
    status["ConfigRuleName"] = json!("iam-role-last-used");
    HashMap::from([
        (
            "DescribeConfigRules",
            (
                200,
                json!({"ConfigRules": [{
                    "ConfigRuleName": "iam-role-last-used",
                    "ConfigRuleState": "ACTIVE",
                    "Source": {
                        "Owner": "CUSTOM_LAMBDA",
                        "SourceIdentifier": "arn:aws:lambda:eu-west-1:111122223333:function:f",
                        "SourceDetails": [{
                            "EventSource": "aws.config",
                            "MessageType": "ScheduledNotification",
                            "MaximumExecutionFrequency": "TwentyFour_Hours"
                        }]
                    }
                }]}),
            ),
        ),
        (
            "DescribeConfigRuleEvaluationStatus",
            (200, json!({"ConfigRulesEvaluationStatus": [status]})),
        ),
        (
            "GetComplianceDetailsByConfigRule",
            (200, json!({"EvaluationResults": []})),
        ),
    ])
}

/// Config's answers for the custom Lambda rule `iam-role-last-used` as Config really gives
/// them: no evaluation status entry, and results recorded at these times.
fn lambda_answers(recorded: &[i64]) -> Answers {
    let answers = answering(
        status_answers(json!({})),
        "DescribeConfigRuleEvaluationStatus",
        (200, json!({"ConfigRulesEvaluationStatus": []})),
    );
    let results: Vec<Value> = recorded
        .iter()
        .enumerate()
        .map(|(n, t)| {
            json!({
                "EvaluationResultIdentifier": {"EvaluationResultQualifier": {
                    "ConfigRuleName": "iam-role-last-used",
                    "ResourceType": "AWS::IAM::Role",
                    "ResourceId": format!("AROA{n}")
                }},
                "ComplianceType": "COMPLIANT",
                "ResultRecordedTime": t,
                "ConfigRuleInvokedTime": t - 60
            })
        })
        .collect();
    answering(
        answers,
        "GetComplianceDetailsByConfigRule",
        (200, json!({"EvaluationResults": results})),
    )
}

/// CloudWatch's answer for the alarm `iam-role-last-used-failing` in `state`.
fn with_alarm(answers: Answers, state: &str) -> Answers {
    answering(
        answers,
        "DescribeAlarms",
        (
            200,
            json!({"MetricAlarms": [{
                "AlarmName": "iam-role-last-used-failing",
                "StateValue": state,
                "StateReason": "Threshold Crossed: 1 datapoint [2.0 (10/01/26 10:45:00)] was greater than or equal to the threshold (2.0).",
                "StateUpdatedTimestamp": {"$epoch": t(11)}
            }]}),
        ),
    )
}

/// `role-audit status --rule-name iam-role-last-used` and `more`.
fn status(stub: &Stub, more: &[&str]) -> Output {
    role_audit(
        stub,
        &[&["status", "--rule-name", "iam-role-last-used"][..], more].concat(),
    )
}

fn status_json(stub: &Stub, now: &str) -> (Option<i32>, Value) {
    status_json_with(stub, now, &[])
}

fn status_json_with(stub: &Stub, now: &str, more: &[&str]) -> (Option<i32>, Value) {
    let output = status(
        stub,
        &[&["--now", now, "--format", "json"][..], more].concat(),
    );
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    (
        output.status.code(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

#[test]
fn status_of_a_rule_that_ran_3_hours_ago_exits_0() {
    let stub = stub(status_answers(json!({
        "LastSuccessfulInvocationTime": t(9),
        "LastSuccessfulEvaluationTime": t(9),
        "FirstActivatedTime": t(-200),
        "FirstEvaluationStarted": true
    })));
    let (code, json) = status_json(&stub, NOW);
    assert_eq!(code, Some(0));
    assert_eq!(
        json,
        json!({
            "ConfigRuleName": "iam-role-last-used",
            "ConfigRuleState": "ACTIVE",
            "ConfigRuleOwner": "CUSTOM_LAMBDA",
            "Health": "HEALTHY",
            "Reason": "the evaluation status's last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            "MaximumExecutionFrequency": "TwentyFour_Hours",
            "FrequencyDefaulted": false,
            "EvaluationStatusFound": true,
            "LastSuccessfulInvocationTime": "2026-01-10T09:00:00Z",
            "LastFailedInvocationTime": null,
            "LastSuccessfulEvaluationTime": "2026-01-10T09:00:00Z",
            "LastFailedEvaluationTime": null,
            "FirstActivatedTime": "2026-01-01T16:00:00Z",
            "FirstEvaluationStarted": true,
            "LastErrorCode": null,
            "LastErrorMessage": null,
            "ResultCount": 0,
            "LastResultRecordedTime": null,
            "LastRuleInvokedTime": null,
            "Alarm": null,
            "AlarmState": null,
            "AlarmReason": null,
            "AlarmStateUpdatedTime": null,
            "CheckedAt": "2026-01-10T12:00:00Z"
        })
    );
    assert_eq!(
        *stub.asked.lock().unwrap(),
        [
            "DescribeConfigRules",
            "DescribeConfigRuleEvaluationStatus",
            "GetComplianceDetailsByConfigRule"
        ]
    );
}

#[test]
fn status_of_a_rule_whose_last_evaluation_failed_exits_3_with_the_error() {
    let stub = stub(status_answers(json!({
        "LastSuccessfulInvocationTime": t(10),
        "LastSuccessfulEvaluationTime": t(6),
        "LastFailedEvaluationTime": t(10),
        "LastErrorCode": "LambdaFunctionError",
        "LastErrorMessage": "IamFetchFailed: AccessDenied",
        "FirstEvaluationStarted": true
    })));
    let (code, json) = status_json(&stub, NOW);
    assert_eq!(code, Some(3));
    assert_eq!(json["Health"], "FAILING");
    assert_eq!(
        json["Reason"],
        "the evaluation status shows the last evaluation failed at 2026-01-10T10:00:00Z, after the last successful one at 2026-01-10T06:00:00Z: LambdaFunctionError: IamFetchFailed: AccessDenied"
    );

    let table = status(&stub, &["--now", NOW]);
    assert_eq!(table.status.code(), Some(3));
    let out = text(&table.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "RULE                        iam-role-last-used");
    assert_eq!(lines[1], "HEALTH                      FAILING");
    assert!(
        out.contains("\nLAST ERROR CODE             LambdaFunctionError\n"),
        "{out}"
    );
    assert!(
        out.contains("\nLAST FAILED EVALUATION      2026-01-10T10:00:00Z\n"),
        "{out}"
    );
}

#[test]
fn status_honours_now_a_day_later_the_same_rule_is_stale() {
    let stub = stub(status_answers(json!({
        "LastSuccessfulInvocationTime": t(0),
        "LastSuccessfulEvaluationTime": t(0),
        "FirstEvaluationStarted": true
    })));
    let (code, json) = status_json(&stub, "2026-01-12T00:00:00Z");
    assert_eq!(
        (code, json["Health"].as_str()),
        (Some(0), Some("HEALTHY")),
        "48 h: exactly twice"
    );
    let (code, json) = status_json(&stub, "2026-01-12T01:00:00Z");
    assert_eq!(
        (code, json["Health"].as_str()),
        (Some(3), Some("STALE")),
        "49 h"
    );
}

#[test]
fn status_of_a_rule_never_evaluated_exits_3() {
    let stub = stub(status_answers(json!({
        "FirstActivatedTime": t(11),
        "FirstEvaluationStarted": false
    })));
    let (code, json) = status_json(&stub, NOW);
    assert_eq!(code, Some(3));
    assert_eq!(json["Health"], "NEVER_EVALUATED");
    assert_eq!(
        json["Reason"],
        "the evaluation status shows no successful run yet (active since 2026-01-10T11:00:00Z) and Config holds no results for the rule"
    );
}

#[test]
fn a_custom_lambda_rule_without_a_status_entry_is_judged_by_its_newest_result() {
    let stub = stub(lambda_answers(&[t(6), t(9), t(8)]));
    let (code, json) = status_json(&stub, NOW);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(
        json,
        json!({
            "ConfigRuleName": "iam-role-last-used",
            "ConfigRuleState": "ACTIVE",
            "ConfigRuleOwner": "CUSTOM_LAMBDA",
            "Health": "HEALTHY",
            "Reason": "the newest of its 3 results was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            "MaximumExecutionFrequency": "TwentyFour_Hours",
            "FrequencyDefaulted": false,
            "EvaluationStatusFound": false,
            "LastSuccessfulInvocationTime": null,
            "LastFailedInvocationTime": null,
            "LastSuccessfulEvaluationTime": null,
            "LastFailedEvaluationTime": null,
            "FirstActivatedTime": null,
            "FirstEvaluationStarted": false,
            "LastErrorCode": null,
            "LastErrorMessage": null,
            "ResultCount": 3,
            "LastResultRecordedTime": "2026-01-10T09:00:00Z",
            "LastRuleInvokedTime": "2026-01-10T08:59:00Z",
            "Alarm": null,
            "AlarmState": null,
            "AlarmReason": null,
            "AlarmStateUpdatedTime": null,
            "CheckedAt": "2026-01-10T12:00:00Z"
        })
    );

    // 09:00 plus 48 h is still within twice the frequency; one hour more is stale.
    let (code, json) = status_json(&stub, "2026-01-12T09:00:00Z");
    assert_eq!((code, json["Health"].as_str()), (Some(0), Some("HEALTHY")));
    let (code, json) = status_json(&stub, "2026-01-12T10:00:00Z");
    assert_eq!((code, json["Health"].as_str()), (Some(3), Some("STALE")));

    let table = status(&stub, &["--now", NOW]);
    assert_eq!(table.status.code(), Some(0));
    let out = text(&table.stdout);
    assert!(
        out.contains("\nRESULTS                 3\nNEWEST RESULT RECORDED  2026-01-10T09:00:00Z\nNEWEST RULE INVOKED     2026-01-10T08:59:00Z\nEVALUATION STATUS       none (Config gives none for custom Lambda rules)\nCHECKED AT  "),
        "{out}"
    );
}

#[test]
fn a_custom_lambda_rule_s_fresh_successful_invocation_does_not_hide_stale_results() {
    // Lambda accepting Config's asynchronous invoke says nothing of whether the function ran.
    let stub = stub(answering(
        lambda_answers(&[t(-40)]),
        "DescribeConfigRuleEvaluationStatus",
        (
            200,
            json!({"ConfigRulesEvaluationStatus": [{
                "ConfigRuleName": "iam-role-last-used",
                "LastSuccessfulInvocationTime": t(11),
                "FirstEvaluationStarted": true
            }]}),
        ),
    ));
    let (code, json) = status_json(&stub, "2026-01-10T12:00:00Z");
    assert_eq!((code, json["Health"].as_str()), (Some(3), Some("STALE")));
    assert_eq!(
        json["Reason"],
        "the newest of its 1 result was recorded at 2026-01-08T08:00:00Z (52 h ago), more than twice the rule's frequency (TwentyFour_Hours, 24 h); the last successful invocation at 2026-01-10T11:00:00Z is not counted: for a custom Lambda rule it only means Lambda accepted the invoke"
    );
}

#[test]
fn a_custom_lambda_rule_without_results_exits_3_never_evaluated() {
    let stub = stub(lambda_answers(&[]));
    let (code, json) = status_json(&stub, NOW);
    assert_eq!(code, Some(3));
    assert_eq!(json["Health"], "NEVER_EVALUATED");
    assert_eq!(
        json["Reason"],
        "Config holds no results for the rule and no evaluation status (it gives none for custom Lambda rules)"
    );
}

#[test]
fn the_alarm_in_alarm_exits_3_failing_although_the_results_are_fresh() {
    let stub = stub(with_alarm(lambda_answers(&[t(9)]), "ALARM"));
    let (code, json) = status_json_with(&stub, NOW, &["--alarm", "iam-role-last-used-failing"]);
    assert_eq!(code, Some(3), "{json}");
    assert_eq!(json["Health"], "FAILING");
    assert_eq!(
        json["Reason"],
        "alarm iam-role-last-used-failing is in ALARM since 2026-01-10T11:00:00Z: the rule's function failed: Threshold Crossed: 1 datapoint [2.0 (10/01/26 10:45:00)] was greater than or equal to the threshold (2.0)."
    );
    assert_eq!(json["Alarm"], "iam-role-last-used-failing");
    assert_eq!(json["AlarmState"], "ALARM");
    assert_eq!(
        json["AlarmReason"],
        "Threshold Crossed: 1 datapoint [2.0 (10/01/26 10:45:00)] was greater than or equal to the threshold (2.0)."
    );
    assert_eq!(json["AlarmStateUpdatedTime"], "2026-01-10T11:00:00Z");
    assert_eq!(json["LastResultRecordedTime"], "2026-01-10T09:00:00Z");

    // CloudWatch was asked for the alarm by name, in the protocol this SDK version speaks.
    let requests = stub.requests.lock().unwrap().clone();
    let alarm = requests
        .iter()
        .find(|r| r.operation == "DescribeAlarms")
        .expect("DescribeAlarms asked");
    assert_eq!(alarm.content_type, "application/cbor");
    assert!(
        alarm
            .body
            .windows(b"iam-role-last-used-failing".len())
            .any(|w| w == b"iam-role-last-used-failing"),
        "{:?}",
        alarm.body
    );

    let table = status(
        &stub,
        &["--alarm", "iam-role-last-used-failing", "--now", NOW],
    );
    assert_eq!(table.status.code(), Some(3));
    let out = text(&table.stdout);
    assert!(
        out.contains(
            "\nALARM                   iam-role-last-used-failing\nALARM STATE             ALARM\n"
        ),
        "{out}"
    );
}

#[test]
fn the_alarm_ok_with_fresh_results_exits_0_and_says_so() {
    for state in ["OK", "INSUFFICIENT_DATA"] {
        let stub = stub(with_alarm(lambda_answers(&[t(9)]), state));
        let (code, json) = status_json_with(&stub, NOW, &["--alarm", "iam-role-last-used-failing"]);
        assert_eq!(code, Some(0), "{json}");
        assert_eq!(
            json["Reason"],
            format!("the newest of its 1 result was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h); alarm iam-role-last-used-failing is {state} (no failed run known)")
        );
        assert_eq!(json["AlarmState"], state);
    }
}

#[test]
fn a_missing_alarm_exits_2_naming_it() {
    let stub = stub(answering(
        lambda_answers(&[t(9)]),
        "DescribeAlarms",
        (200, json!({"MetricAlarms": []})),
    ));
    let output = status(&stub, &["--alarm", "nope-failing"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "role-audit: there is no CloudWatch metric alarm named \"nope-failing\" in this Region\n\
         hint: the stack's alarm is <NameOfSolution>-failing (its StatusCommand output names it): check --alarm and --region\n"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_denied_alarm_or_results_read_exits_2_naming_the_permission() {
    let denied_alarm = stub(answering(
        lambda_answers(&[t(9)]),
        "DescribeAlarms",
        refusal(
            "com.amazonaws.cloudwatch#AccessDenied",
            "User is not authorized to perform: cloudwatch:DescribeAlarms",
        ),
    ));
    let output = status(&denied_alarm, &["--alarm", "iam-role-last-used-failing"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "role-audit: reading CloudWatch alarm \"iam-role-last-used-failing\" failed: DescribeAlarms: AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms\n\
         hint: the credentials in use are not allowed cloudwatch:DescribeAlarms; role-audit needs it (read-only)\n"
    );

    let denied_results = stub(answering(
        lambda_answers(&[]),
        "GetComplianceDetailsByConfigRule",
        refusal("AccessDeniedException", "not authorized"),
    ));
    let output = status(&denied_results, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).ends_with("hint: the credentials in use are not allowed config:GetComplianceDetailsByConfigRule; role-audit needs it (read-only)\n"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn status_of_an_unknown_rule_exits_2_with_a_hint_and_denied_names_the_permission() {
    let unknown = stub(HashMap::from([(
        "DescribeConfigRules",
        refusal(
            "NoSuchConfigRuleException",
            "The ConfigRule 'nope' provided in the request is invalid.",
        ),
    )]));
    let output = role_audit(&unknown, &["status", "--rule-name", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "role-audit: reading the status of Config rule \"nope\" failed: DescribeConfigRules: NoSuchConfigRuleException: The ConfigRule 'nope' provided in the request is invalid.\n\
         hint: there is no Config rule named \"nope\" (nor OrgConfigRule-nope-<suffix>) in this Region: check --rule-name (the stack's ConfigRuleName output) and --region\n"
    );
    assert!(output.stdout.is_empty());

    let denied = stub(answering(
        status_answers(json!({})),
        "DescribeConfigRuleEvaluationStatus",
        refusal("AccessDeniedException", "not authorized"),
    ));
    let output = status(&denied, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).ends_with("hint: the credentials in use are not allowed config:DescribeConfigRuleEvaluationStatus; role-audit needs it (read-only)\n"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn status_takes_table_or_json_and_no_fail_on_non_compliant() {
    let stub = stub(HashMap::new());
    for (args, message) in [
        (
            &["status", "--rule-name", "r", "--format", "csv"][..],
            "invalid value 'csv' for '--format <FORMAT>'",
        ),
        (
            &["status", "--rule-name", "r", "--fail-on-non-compliant"][..],
            "unexpected argument '--fail-on-non-compliant'",
        ),
    ] {
        let output = role_audit(&stub, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            text(&output.stderr).contains(message),
            "{}",
            text(&output.stderr)
        );
    }
    assert!(stub.asked.lock().unwrap().is_empty());
}

#[test]
fn the_aggregator_report_refuses_not_applicable_before_any_call() {
    let stub = stub(HashMap::new());
    let output = role_audit(
        &stub,
        &[
            "report",
            "--rule-name",
            "r",
            "--aggregator",
            "a",
            "--compliance",
            "COMPLIANT,NOT_APPLICABLE",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with("role-audit: invalid --compliance NOT_APPLICABLE: with --aggregator only COMPLIANT and NON_COMPLIANT can be shown"),
        "{}",
        text(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    assert!(
        stub.asked.lock().unwrap().is_empty(),
        "nothing asked of AWS"
    );
}

#[test]
fn an_aggregator_without_the_rule_exits_2_without_claiming_the_rule_does_not_exist() {
    let stub = stub(HashMap::from([(
        "DescribeAggregateComplianceByConfigRules",
        (200, json!({"AggregateComplianceByConfigRules": []})),
    )]));
    let output = role_audit(
        &stub,
        &[
            "report",
            "--rule-name",
            "iam-role-last-used-org",
            "--aggregator",
            "org",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[0],
        "role-audit: aggregator \"org\" holds no results for any rule named \"iam-role-last-used-org\" or \"OrgConfigRule-iam-role-last-used-org-*\""
    );
    assert_eq!(
        lines[1],
        "Accounts without results: unknown, the account list could not be read (DescribeConfigurationAggregators failed: InvalidAction: the stub has no answer for DescribeConfigurationAggregators)"
    );
    assert!(
        lines[2]
            .starts_with("hint: the aggregator serves COMPLIANT and NON_COMPLIANT results only"),
        "{stderr}"
    );
    assert!(!stderr.contains("there is no Config rule"), "{stderr}");
    assert!(!stderr.contains("NoSuchConfigRuleException"), "{stderr}");
    assert_eq!(lines.len(), 3);
}

#[test]
fn an_aggregator_without_results_lists_the_member_accounts_and_why_under_the_error() {
    let stub = stub(HashMap::from([
        (
            "DescribeAggregateComplianceByConfigRules",
            (200, json!({"AggregateComplianceByConfigRules": []})),
        ),
        (
            "DescribeConfigurationAggregators",
            (
                200,
                json!({"ConfigurationAggregators": [{
                    "ConfigurationAggregatorName": "org",
                    "OrganizationAggregationSource": {
                        "RoleArn": "arn:aws:iam::111122223333:role/aggregator",
                        "AllAwsRegions": true
                    }
                }]}),
            ),
        ),
        (
            "GetOrganizationConfigRuleDetailedStatus",
            (
                200,
                json!({"OrganizationConfigRuleDetailedStatus": [
                    {
                        "AccountId": "111100002222",
                        "ConfigRuleName": "OrgConfigRule-iam-role-last-used-org-ab12",
                        "MemberAccountRuleStatus": "CREATE_FAILED",
                        "ErrorCode": "NoAvailableConfigurationRecorderException",
                        "ErrorMessage": "no configuration recorder in the account"
                    },
                    {
                        "AccountId": "444455556666",
                        "ConfigRuleName": "OrgConfigRule-iam-role-last-used-org-cd34",
                        "MemberAccountRuleStatus": "CREATE_SUCCESSFUL"
                    }
                ]}),
            ),
        ),
    ]));
    let output = role_audit(
        &stub,
        &[
            "report",
            "--rule-name",
            "iam-role-last-used-org",
            "--aggregator",
            "org",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "still an error: nothing to report"
    );
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "role-audit: aggregator \"org\" holds no results for any rule named \"iam-role-last-used-org\" or \"OrgConfigRule-iam-role-last-used-org-*\"",
            "2 of the 2 accounts listed by GetOrganizationConfigRuleDetailedStatus hold no COMPLIANT or NON_COMPLIANT result for the rule:",
            "  111100002222  rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no configuration recorder in the account",
            "  444455556666  rule status CREATE_SUCCESSFUL",
        ],
        "{stderr}"
    );
    assert!(lines[4].starts_with("hint: "), "{stderr}");
    assert_eq!(lines.len(), 5, "{stderr}");
}

fn aggregate_answers() -> Answers {
    HashMap::from([
        (
            "DescribeAggregateComplianceByConfigRules",
            (
                200,
                json!({"AggregateComplianceByConfigRules": [{
                    "ConfigRuleName": "OrgConfigRule-iam-role-last-used-org-ab12",
                    "AccountId": "444455556666",
                    "AwsRegion": "eu-west-1",
                    "Compliance": {"ComplianceType": "NON_COMPLIANT"}
                }]}),
            ),
        ),
        (
            "GetAggregateComplianceDetailsByConfigRule",
            (
                200,
                json!({"AggregateEvaluationResults": [{
                    "EvaluationResultIdentifier": {"EvaluationResultQualifier": {
                        "ConfigRuleName": "OrgConfigRule-iam-role-last-used-org-ab12",
                        "ResourceType": "AWS::IAM::Role",
                        "ResourceId": "AROA1"
                    }},
                    "ComplianceType": "NON_COMPLIANT",
                    "Annotation": "ci-legacy: last used 90 days ago",
                    "AccountId": "444455556666",
                    "AwsRegion": "eu-west-1"
                }]}),
            ),
        ),
        (
            "DescribeConfigurationAggregators",
            (
                200,
                json!({"ConfigurationAggregators": [{
                    "ConfigurationAggregatorName": "org",
                    "OrganizationAggregationSource": {"RoleArn": "arn:aws:iam::111122223333:role/a", "AllAwsRegions": true}
                }]}),
            ),
        ),
        (
            "GetOrganizationConfigRuleDetailedStatus",
            (
                200,
                json!({"OrganizationConfigRuleDetailedStatus": [
                    {"AccountId": "444455556666", "ConfigRuleName": "OrgConfigRule-iam-role-last-used-org-ab12", "MemberAccountRuleStatus": "CREATE_SUCCESSFUL"},
                    {"AccountId": "777788889999", "ConfigRuleName": "OrgConfigRule-iam-role-last-used-org-cd34", "MemberAccountRuleStatus": "CREATE_SUCCESSFUL"}
                ]}),
            ),
        ),
    ])
}

#[test]
fn the_aggregator_report_shows_the_accounts_without_results_in_every_format() {
    let stub = stub(aggregate_answers());
    let args = [
        "report",
        "--rule-name",
        "iam-role-last-used-org",
        "--aggregator",
        "org",
    ];
    let json_out = role_audit(
        &stub,
        &[&args[..], &["--format", "json", "--fail-on-non-compliant"]].concat(),
    );
    assert_eq!(
        json_out.status.code(),
        Some(1),
        "{}",
        text(&json_out.stderr)
    );
    let json: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(json["Results"].as_array().unwrap().len(), 1);
    assert_eq!(json["Results"][0]["AccountId"], "444455556666");
    assert_eq!(
        json["AccountsWithoutResults"],
        json!([{"AccountId": "777788889999", "Detail": "rule status CREATE_SUCCESSFUL"}])
    );
    assert_eq!(
        json["AccountListSource"],
        "GetOrganizationConfigRuleDetailedStatus"
    );

    let csv = text(&role_audit(&stub, &[&args[..], &["--format", "csv"]].concat()).stdout);
    assert!(
        csv.ends_with("\r\n,,,NO_RESULTS,,,rule status CREATE_SUCCESSFUL,,777788889999,\r\n"),
        "{csv}"
    );

    let table = text(&role_audit(&stub, &args).stdout);
    assert!(
        table.ends_with("\n1 of the 2 accounts listed by GetOrganizationConfigRuleDetailedStatus hold no COMPLIANT or NON_COMPLIANT result for the rule:\n  777788889999  rule status CREATE_SUCCESSFUL\n"),
        "{table}"
    );
}

#[test]
fn a_denied_account_list_is_a_warning_on_stderr_not_a_silent_gap() {
    let stub = stub(answering(
        aggregate_answers(),
        "GetOrganizationConfigRuleDetailedStatus",
        refusal(
            "OrganizationAccessDeniedException",
            "not the management account",
        ),
    ));
    let output = role_audit(
        &stub,
        &[
            "report",
            "--rule-name",
            "iam-role-last-used-org",
            "--aggregator",
            "org",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        text(&output.stderr),
        "role-audit: warning: which accounts hold no results is unknown: GetOrganizationConfigRuleDetailedStatus for the organization rule \"iam-role-last-used-org\" failed: OrganizationAccessDeniedException: not the management account; role-audit needs config:DescribeConfigurationAggregators and, for an organization aggregator, config:GetOrganizationConfigRuleDetailedStatus from the management or a delegated administrator account\n"
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["AccountsWithoutResults"], json!([]));
    assert_eq!(json["AccountListSource"], Value::Null);
    assert_eq!(
        json["AccountListUnavailable"],
        "GetOrganizationConfigRuleDetailedStatus for the organization rule \"iam-role-last-used-org\" failed: OrganizationAccessDeniedException: not the management account"
    );
}
