//! The adapters and the shell against mocked SDK clients (aws-smithy-mocks): requests go
//! through the real SDK serializers, retry strategy and parsers; only the transport is fake.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_config::operation::put_evaluations::{PutEvaluationsInput, PutEvaluationsOutput};
use aws_sdk_config::types::ComplianceType;
use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{EntityType, RoleDetail};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use chrono::NaiveDate;
use iam_role_last_used::aws::config_rule;
use iam_role_last_used::aws::iam::fetch_roles;
use iam_role_last_used::aws::AttemptCounter;
use iam_role_last_used::core::evaluate::{Evaluation, Past, Reason};
use iam_role_last_used::core::event::ResultToken;
use iam_role_last_used::core::results::{Compliance, ResourceType};
use iam_role_last_used::core::settings::PublishOptions;
use iam_role_last_used::core::settings::Settings;
use iam_role_last_used::lambda::{handle, Clients, Context, DigestOutcome, Summary};
use iam_role_last_used::Error;

use serde_json::Value;

use crate::common::*;

fn evaluations(count: usize) -> Vec<Evaluation> {
    (0..count)
        .map(|n| Evaluation {
            resource_type: ResourceType::IamRole,
            resource_id: role_id(n),
            name: format!("role-{n:04}"),
            path: "/".to_owned(),
            compliance: Compliance::NonCompliant,
            reason: Reason::NoUseRecorded {
                created: Past {
                    date: NaiveDate::from_ymd_opt(2023, 4, 7).unwrap(),
                    days: 1000,
                },
            },
            annotation: format!("role-{n:04}: no use recorded"),
            detail: format!("role-{n:04}: no use recorded"),
        })
        .collect()
}

/// The roles and, for their privilege, the account's customer managed policies.
fn roles_and_policies() -> Vec<EntityType> {
    vec![EntityType::Role, EntityType::LocalManagedPolicy]
}

fn token() -> ResultToken {
    ResultToken::Token("token".to_owned())
}

#[tokio::test]
async fn all_three_iam_pages_are_fetched_with_filter_role_and_local_managed_policy_and_max_items_250(
) {
    let (requests, recorder) = iam_request_recorder();
    let pages = [
        page_rule(None, iam_page(0..1000, Some("m1"))),
        page_rule(Some("m1"), iam_page(1000..2000, Some("m2"))),
        page_rule(Some("m2"), iam_page(2000..2300, None)),
    ];
    let client = iam_client(&[&recorder, &pages[0], &pages[1], &pages[2]]);

    let fetched = fetch_roles(&client).await.unwrap();

    assert_eq!(fetched.pages, 3);
    assert_eq!(fetched.roles.len(), 2300);
    assert_eq!(fetched.roles[2299].role_id, role_id(2299));
    assert_eq!(
        fetched.roles[1]
            .last_used
            .as_ref()
            .unwrap()
            .region
            .as_deref(),
        Some("eu-west-1")
    );
    assert!(fetched.roles[0].last_used.is_none());
    assert_eq!(
        iam_requests_seen(&requests),
        [
            (roles_and_policies(), Some(250), None),
            (roles_and_policies(), Some(250), Some("m1".to_owned())),
            (roles_and_policies(), Some(250), Some("m2".to_owned())),
        ]
    );
    assert_eq!(pages.each_ref().map(|p| p.num_calls()), [1, 1, 1]);
}

#[tokio::test]
async fn iam_throttling_is_retried_by_the_sdk() {
    let throttled = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .times(3)
        .output(|| iam_page(0..5, None))
        .build();
    let client = iam_client(&[&throttled]);

    let fetched = fetch_roles(&client).await.unwrap();

    assert_eq!(fetched.roles.len(), 5);
    assert_eq!(
        throttled.num_calls(),
        4,
        "three throttled attempts, then success"
    );
}

#[tokio::test]
async fn iam_throttling_beyond_the_attempt_limit_fails_naming_the_page() {
    let throttled = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .repeatedly()
        .build();
    let client = iam_client(&[&throttled]);

    let error = fetch_roles(&client).await.unwrap_err();

    assert_eq!(
        throttled.num_calls(),
        iam_role_last_used::core::settings::MAX_ATTEMPTS as usize
    );
    assert_eq!(error.error_type(), "IamFetchFailed");
    let message = iam_role_last_used::lambda::diagnostic::message(&error);
    assert!(
        message.contains("failed on page 1") && message.contains("Throttling"),
        "{message}"
    );
}

#[tokio::test]
async fn truncated_page_without_marker_and_duplicate_role_ids_are_refused() {
    let truncated = GetAccountAuthorizationDetailsOutput::builder()
        .set_role_detail_list(Some((0..3).map(role_detail).collect()))
        .is_truncated(true)
        .build();
    let no_marker = page_rule(None, truncated);
    let error = fetch_roles(&iam_client(&[&no_marker])).await.unwrap_err();
    assert_eq!(iam_role_last_used::lambda::diagnostic::message(&error), "IAM returned unusable data on page 1: IsTruncated is true but no Marker was returned; no evaluations were sent");

    let first = page_rule(None, iam_page(0..3, Some("m1")));
    let repeat = page_rule(Some("m1"), iam_page(2..4, None));
    let error = fetch_roles(&iam_client(&[&first, &repeat]))
        .await
        .unwrap_err();
    assert_eq!(
        iam_role_last_used::lambda::diagnostic::message(&error),
        format!("IAM returned unusable data on page 2: RoleId {} (role-0002) was listed twice; the role list changed while it was being read, try again; no evaluations were sent", role_id(2))
    );

    let no_date = GetAccountAuthorizationDetailsOutput::builder()
        .role_detail_list(
            RoleDetail::builder()
                .path("/")
                .role_name("role-0007")
                .role_id(role_id(7))
                .arn("arn:aws:iam::123456789012:role/role-0007")
                .build(),
        )
        .is_truncated(false)
        .build();
    let error = fetch_roles(&iam_client(&[&page_rule(None, no_date)]))
        .await
        .unwrap_err();
    assert_eq!(iam_role_last_used::lambda::diagnostic::message(&error), format!("IAM returned unusable data on page 1: role {} has no CreateDate; no evaluations were sent", role_id(7)));
}

#[tokio::test]
async fn two_hundred_fifty_evaluations_go_out_in_calls_of_100_100_50() {
    let put = PutRecorder::accepting_all();
    let client = config_client(&[&put.rule]);

    let report = config_rule::publish(
        &client,
        &evaluations(250),
        None,
        now(),
        &token(),
        fast_publish(),
    )
    .await
    .unwrap();

    assert_eq!(put.batch_sizes(), [100, 100, 50]);
    assert_eq!(report.calls, 3);
    let first = &put.requests()[0];
    assert_eq!(first.result_token(), Some("token"));
    assert_eq!(first.test_mode(), None, "TestMode is only set for TESTMODE");
    let e = &first.evaluations()[0];
    assert_eq!(e.compliance_resource_type(), "AWS::IAM::Role");
    assert_eq!(e.compliance_resource_id(), role_id(0));
    assert_eq!(e.compliance_type(), &ComplianceType::NonCompliant);
    assert_eq!(e.ordering_timestamp().secs(), now().timestamp());
    let ids: Vec<_> = put.sent().into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(
        ids,
        (0..250).map(role_id).collect::<Vec<_>>(),
        "each evaluation sent once, in order"
    );
}

#[tokio::test]
async fn an_evaluation_config_cannot_take_is_refused_before_any_call() {
    let put = PutRecorder::accepting_all();
    let client = config_client(&[&put.rule]);
    let mut evaluations = evaluations(150);
    evaluations[120].compliance = Compliance::InsufficientData;

    let error = config_rule::publish(&client, &evaluations, None, now(), &token(), fast_publish())
        .await
        .unwrap_err();

    assert_eq!(error.error_type(), "InvalidEvaluation");
    assert!(
        iam_role_last_used::lambda::diagnostic::message(&error).contains(&role_id(120)),
        "{error:?}"
    );
    assert_eq!(
        put.rule.num_calls(),
        0,
        "nothing sent, not even the valid first batch"
    );
}

#[tokio::test]
async fn failed_evaluations_are_sent_again_once_then_accepted() {
    // The first call refuses the evaluations of roles 3 and 4; the second call accepts them.
    let put = PutRecorder::new(|req, call| {
        if call == 1 {
            req.evaluations()[3..5].to_vec()
        } else {
            Vec::new()
        }
    });
    let client = config_client(&[&put.rule]);

    let report = config_rule::publish(
        &client,
        &evaluations(10),
        None,
        now(),
        &token(),
        fast_publish(),
    )
    .await
    .unwrap();

    assert_eq!(put.batch_sizes(), [10, 2]);
    let resent: Vec<_> = put.requests()[1]
        .evaluations()
        .iter()
        .map(|e| e.compliance_resource_id().to_owned())
        .collect();
    assert_eq!(resent, [role_id(3), role_id(4)]);
    assert_eq!((report.calls, report.resent_evaluations), (2, 2));
}

#[tokio::test]
async fn persistently_failed_evaluations_fail_the_invocation_naming_them() {
    let put = PutRecorder::new(|req, _| {
        req.evaluations()
            .iter()
            .filter(|e| e.compliance_resource_id().ends_with('7'))
            .cloned()
            .collect()
    });
    let client = config_client(&[&put.rule]);

    let error = config_rule::publish(
        &client,
        &evaluations(120),
        None,
        now(),
        &token(),
        fast_publish(),
    )
    .await
    .unwrap_err();

    // Batch 1 (100, 10 refused) + 2 resends of those 10; batch 2 (20, 2 refused) + 2 resends.
    // Batches run concurrently, so their calls interleave.
    let mut sizes = put.batch_sizes();
    sizes.sort_unstable();
    assert_eq!(sizes, [2, 2, 10, 10, 20, 100]);
    assert_eq!(error.error_type(), "EvaluationsRejected");
    assert_eq!(
        iam_role_last_used::lambda::diagnostic::message(&error),
        format!(
            "AWS Config rejected 12 of 120 evaluations after 3 attempts: {} and 2 more",
            [7, 17, 27, 37, 47, 57, 67, 77, 87, 97]
                .map(role_id)
                .join(", ")
        )
    );
}

// The clock is paused, so the production delays cost no real time and are exact.
#[tokio::test(start_paused = true)]
async fn refused_evaluations_are_resent_3_times_0_5_1_and_2_seconds_apart_then_fail() {
    let put = PutRecorder::new(|req, _| {
        req.evaluations()
            .iter()
            .filter(|e| e.compliance_resource_id() == role_id(3))
            .cloned()
            .collect()
    });
    let client = config_client(&[&put.rule]);

    let error = config_rule::publish(
        &client,
        &evaluations(10),
        None,
        now(),
        &token(),
        PublishOptions::default(),
    )
    .await
    .unwrap_err();

    assert_eq!(put.batch_sizes(), [10, 1, 1, 1]);
    assert_eq!(
        put.gaps(),
        [500, 1000, 2000].map(Duration::from_millis),
        "the README: resent up to 3 more times, 0.5 s, 1 s, 2 s apart"
    );
    assert_eq!(
        iam_role_last_used::lambda::diagnostic::message(&error),
        format!(
            "AWS Config rejected 1 of 10 evaluations after 4 attempts: {}",
            role_id(3)
        )
    );
}

#[tokio::test]
async fn testmode_sets_test_mode_and_skips_clean_up() {
    let iam_pages = page_rule(None, iam_page(0..150, None));
    let put = PutRecorder::accepting_all();
    let results = no_recorded_results();
    let clients = clients(&[&iam_pages], &[&put.rule, &results]);

    let summary = handle(
        &payload("scheduled-testmode.json"),
        &clients,
        &settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();

    assert_eq!(results.num_calls(), 0, "no clean-up read in TESTMODE");
    let calls: Vec<_> = put
        .requests()
        .iter()
        .map(|r| {
            (
                r.evaluations().len(),
                r.test_mode(),
                r.result_token().map(str::to_owned),
            )
        })
        .collect();
    let testmode = |n| (n, Some(true), Some("TESTMODE".to_owned()));
    assert_eq!(calls, [testmode(100), testmode(50)]);
    assert_eq!(
        (summary.principals, summary.stale_cleaned, summary.test_mode),
        (150, 0, true)
    );
}

#[tokio::test]
async fn clean_up_marks_only_vanished_ids_not_applicable() {
    let iam_pages = [
        page_rule(None, iam_page(0..3, Some("m1"))),
        page_rule(Some("m1"), iam_page(3..5, None)),
    ];
    let put = PutRecorder::accepting_all();
    // Config holds results for roles 0..5 (live) and for two that were deleted; the second
    // page of results comes through NextToken.
    let first = recorded_results(
        &[role_id(0), role_id(1), "AROAGONE0000000000001".to_owned()],
        Some("t1"),
    );
    let second = recorded_results(
        &[
            role_id(2),
            role_id(3),
            role_id(4),
            "AROAGONE0000000000002".to_owned(),
        ],
        None,
    );
    type ResultsRequest = (Option<String>, Vec<ComplianceType>);
    let results_requests: Arc<Mutex<Vec<ResultsRequest>>> = Arc::default();
    let log = results_requests.clone();
    let results = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_compute_output(move |req| {
            log.lock().unwrap().push((
                req.config_rule_name().map(str::to_owned),
                req.compliance_types().to_vec(),
            ));
            if req.next_token() == Some("t1") {
                second.clone()
            } else {
                first.clone()
            }
        });
    let clients = clients(&[&iam_pages[0], &iam_pages[1]], &[&put.rule, &results]);

    let summary = handle(
        &payload("scheduled.json"),
        &clients,
        &settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();

    let sent = put.sent();
    assert_eq!(sent.len(), 7, "5 roles + 2 stale");
    let ids: Vec<_> = sent.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids[..5], (0..5).map(role_id).collect::<Vec<_>>());
    assert_eq!(
        sent[5..],
        [
            (
                "AROAGONE0000000000001".to_owned(),
                ComplianceType::NotApplicable,
                "AROAGONE0000000000001: role no longer exists".to_owned()
            ),
            (
                "AROAGONE0000000000002".to_owned(),
                ComplianceType::NotApplicable,
                "AROAGONE0000000000002: role no longer exists".to_owned()
            ),
        ]
    );
    // Roles 1 and 3 were used 1 and 3 days ago; 0, 2 and 4 never.
    let live: Vec<_> = sent[..5].iter().map(|(_, c, _)| c.clone()).collect();
    assert_eq!(
        live,
        [
            ComplianceType::NonCompliant,
            ComplianceType::Compliant,
            ComplianceType::NonCompliant,
            ComplianceType::Compliant,
            ComplianceType::NonCompliant
        ]
    );
    assert_eq!(
        *results_requests.lock().unwrap(),
        vec![
            (
                Some("iam-role-last-used".to_owned()),
                vec![ComplianceType::Compliant, ComplianceType::NonCompliant]
            );
            2
        ]
    );
    let test_modes: Vec<_> = put.requests().iter().map(|r| r.test_mode()).collect();
    assert_eq!(test_modes, [None], "one call, TestMode not set");
    assert_eq!(
        summary,
        Summary {
            account_id: "123456789012".to_owned(),
            rule_kind: "roles",
            principals: 5,
            tally: iam_role_last_used::core::evaluate::Tally {
                // Roles 1 and 3 were used 1 and 3 days ago; 0, 2 and 4 never.
                compliant: 2,
                non_compliant: 3,
                not_applicable: 0
            },
            publish: "changes",
            evaluations_sent: 7,
            unchanged: 0,
            account_marker_sent: false,
            stale_cleaned: 2,
            iam_pages: 2,
            compliance_result_pages_read: true,
            put_evaluations_calls: 1,
            resent_evaluations: 0,
            sdk_retries: 0,
            test_mode: false,
            not_judged: 0,
            credential_report_generated: None,
            checks: None,
            digest: DigestOutcome::Off,
            digest_not_listed: 0,
        }
    );
}

/// Runs the rule over roles 0..5 with Config holding `held`; what it sent, and its summary.
async fn run_holding(
    held: Vec<(&'static str, String, ComplianceType, Option<String>)>,
    rule_parameters: Option<&str>,
) -> (Vec<(String, ComplianceType, String)>, Vec<String>, Summary) {
    let iam_pages = page_rule(None, iam_page(0..5, None));
    let put = PutRecorder::accepting_all();
    let results = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_output(move || held_results(&held, None));
    let clients = clients(&[&iam_pages], &[&put.rule, &results]);
    let mut event = payload("scheduled.json");
    if let Some(extra) = rule_parameters {
        // The event's own parameters, plus these.
        let mut parameters: Value =
            serde_json::from_str(event["ruleParameters"].as_str().unwrap()).unwrap();
        let extra: Value = serde_json::from_str(extra).unwrap();
        for (key, value) in extra.as_object().unwrap() {
            parameters[key] = value.clone();
        }
        event["ruleParameters"] = Value::String(parameters.to_string());
    }
    let summary = handle(&event, &clients, &settings(), &Context::at(now()))
        .await
        .unwrap();
    let types = put
        .requests()
        .iter()
        .flat_map(|r| r.evaluations().to_vec())
        .map(|e| e.compliance_resource_type().to_owned())
        .collect();
    (put.sent(), types, summary)
}

#[tokio::test]
async fn only_results_config_does_not_hold_as_they_are_are_sent() {
    let (first, _, summary) = run_holding(Vec::new(), None).await;
    assert_eq!(first.len(), 5, "Config holds nothing: every role is sent");
    assert_eq!((summary.evaluations_sent, summary.unchanged), (5, 0));

    // Config now holds exactly what the first run sent.
    let as_sent = |sent: &[(String, ComplianceType, String)]| -> Vec<_> {
        sent.iter()
            .map(|(id, c, a)| ("AWS::IAM::Role", id.clone(), c.clone(), Some(a.clone())))
            .collect()
    };
    let (second, types, summary) = run_holding(as_sent(&first), None).await;
    assert_eq!(
        second,
        [(
            "123456789012".to_owned(),
            ComplianceType::NotApplicable,
            "rule evaluated 5 roles at 2026-01-01T00:00:00Z: no result changed".to_owned()
        )],
        "an unchanged account: the one evaluation that says the rule ran"
    );
    assert_eq!(types, ["AWS::::Account"]);
    assert_eq!(
        (
            summary.evaluations_sent,
            summary.unchanged,
            summary.account_marker_sent,
            summary.put_evaluations_calls,
            summary.publish
        ),
        (1, 5, true, 1, "changes")
    );

    // Role 1's result reworded, role 3's flipped, role 4's deleted from Config, and a role
    // that is gone: those four are sent, nothing else.
    let mut held = as_sent(&first);
    held[1].3 = Some("an older wording".to_owned());
    held[3].2 = ComplianceType::NonCompliant;
    held.remove(4);
    held.push((
        "AWS::IAM::Role",
        "AROAGONE0000000000001".to_owned(),
        ComplianceType::Compliant,
        Some("gone: used".to_owned()),
    ));
    let (third, _, summary) = run_holding(held, None).await;
    let ids: Vec<_> = third.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            role_id(1).as_str(),
            role_id(3).as_str(),
            role_id(4).as_str(),
            "AROAGONE0000000000001"
        ]
    );
    assert_eq!(
        third[..3],
        first[1..2]
            .iter()
            .chain(&first[3..5])
            .cloned()
            .collect::<Vec<_>>()
    );
    assert_eq!(
        (
            summary.evaluations_sent,
            summary.unchanged,
            summary.stale_cleaned,
            summary.account_marker_sent
        ),
        (4, 2, 1, false)
    );
}

#[tokio::test]
async fn publish_all_sends_every_result_even_when_config_holds_them() {
    let (first, _, _) = run_holding(Vec::new(), None).await;
    let held: Vec<_> = first
        .iter()
        .map(|(id, c, a)| ("AWS::IAM::Role", id.clone(), c.clone(), Some(a.clone())))
        .collect();

    let (sent, _, summary) = run_holding(held, Some(r#"{"publish":"all"}"#)).await;

    assert_eq!(
        sent, first,
        "Config holds every one as it is, and each is sent again"
    );
    assert_eq!(
        (summary.evaluations_sent, summary.unchanged, summary.publish),
        (5, 0, "all")
    );
}

#[tokio::test]
async fn an_iam_error_on_page_2_sends_nothing_and_fails() {
    let first = page_rule(None, iam_page(0..1000, Some("m1")));
    let denied = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|req| req.marker() == Some("m1"))
        .then_http_response(|| {
            iam_error(
                403,
                "AccessDenied",
                "User is not authorized to perform: iam:GetAccountAuthorizationDetails",
            )
        });
    let put = PutRecorder::accepting_all();
    let results = no_recorded_results();
    let clients = clients(&[&first, &denied], &[&put.rule, &results]);

    let error = handle(
        &payload("scheduled.json"),
        &clients,
        &settings(),
        &Context::at(now()),
    )
    .await
    .unwrap_err();

    assert!(put.requests().is_empty(), "zero PutEvaluations");
    assert_eq!(results.num_calls(), 0, "no clean-up read either");
    assert_eq!(error.error_type(), "IamFetchFailed");
    let message = iam_role_last_used::lambda::diagnostic::message(&error);
    assert!(
        message.starts_with("IAM GetAccountAuthorizationDetails failed on page 2: "),
        "{message}"
    );
    assert!(
        message.contains("AccessDenied") && message.ends_with("no evaluations were sent"),
        "{message}"
    );
}

#[tokio::test]
async fn a_bad_event_makes_no_aws_call_at_all() {
    let iam_pages = page_rule(None, iam_page(0..3, None));
    let put = PutRecorder::accepting_all();
    let clients = clients(&[&iam_pages], &[&put.rule]);

    for file in [
        "bad-unknown-parameter.json",
        "bad-max-days.json",
        "bad-message-type.json",
        "bad-allowlist-pattern.json",
        "bad-rule-parameters-json.json",
    ] {
        let error = handle(&payload(file), &clients, &settings(), &Context::at(now()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidEvent { .. } | Error::InvalidRuleParameter { .. }
            ),
            "{file}: {error}"
        );
    }
    assert_eq!(iam_pages.num_calls(), 0);
    assert!(put.requests().is_empty());
}

/// Records every PutEvaluations request once, however many attempts it took. (Mock rules
/// that compute a response from the request cannot be retried: aws-smithy-mocks hands retries
/// a dummy input.)
#[derive(Debug, Clone, Default)]
struct PutInputs(Arc<Mutex<Vec<PutEvaluationsInput>>>);

impl aws_sdk_config::config::Intercept for PutInputs {
    fn name(&self) -> &'static str {
        "PutInputs"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_config::config::interceptors::BeforeSerializationInterceptorContextRef<
            '_,
        >,
        _cfg: &mut aws_sdk_config::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(input) = context.input().downcast_ref::<PutEvaluationsInput>() {
            self.0.lock().unwrap().push(input.clone());
        }
        Ok(())
    }
}

#[tokio::test]
async fn throttling_on_the_first_5_calls_of_every_operation_still_gives_one_evaluation_per_role() {
    let iam_pages = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .times(5)
        .output(|| iam_page(0..250, None))
        .build();
    let put = mock!(aws_sdk_config::Client::put_evaluations)
        .sequence()
        .http_response(config_throttling)
        .times(5)
        .output(|| PutEvaluationsOutput::builder().build())
        .repeatedly()
        .build();
    let results = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .sequence()
        .http_response(config_throttling)
        .times(5)
        .output(|| recorded_results(&[], None))
        .build();
    let attempts = AttemptCounter::default();
    let sent = PutInputs::default();
    let clients = Clients {
        iam: iam_client_counted(&[&iam_pages], &attempts),
        config: mock_client!(aws_sdk_config, RuleMode::MatchAny, [&results, &put], |b| b
            .retry_config(fast_retry())
            .interceptor(attempts.clone())
            .interceptor(sent.clone())),
        sts: sts_client_counted(&[], &attempts),
        sns: sns_client_counted(&[], &attempts),
        attempts,
    };

    let summary = handle(
        &payload("scheduled.json"),
        &clients,
        &settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();

    let requests = sent.0.lock().unwrap().clone();
    let sizes: Vec<_> = requests.iter().map(|r| r.evaluations().len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
    let mut ids: Vec<_> = requests
        .iter()
        .flat_map(|r| {
            r.evaluations()
                .iter()
                .map(|e| e.compliance_resource_id().to_owned())
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        (0..250).map(role_id).collect::<Vec<_>>(),
        "exactly one evaluation per role"
    );
    assert_eq!(
        put.num_calls(),
        8,
        "5 throttled attempts, then 3 accepted calls"
    );
    assert_eq!(
        summary.sdk_retries, 15,
        "5 throttled attempts for each of the 3 operations"
    );
    assert_eq!(summary.put_evaluations_calls, 3);
}

/// Handles the event in `file` with `left` until the deadline and the given publishing budget;
/// these tests expect it to fail.
async fn handle_before_deadline(
    file: &str,
    clients: &Clients,
    publish_time_per_call: Duration,
    deadline_margin: Duration,
    left: Duration,
) -> Error {
    let settings = Settings {
        publish_time_per_call,
        deadline_margin,
        ..settings()
    };
    let context = Context {
        deadline: Some(tokio::time::Instant::now() + left),
        ..Context::at(now())
    };
    handle(&payload(file), clients, &settings, &context)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn too_little_time_left_to_publish_fails_before_sending_anything() {
    let iam_pages = page_rule(None, iam_page(0..1500, None));
    let put = PutRecorder::accepting_all();
    let results = no_recorded_results();
    let clients = clients(&[&iam_pages], &[&put.rule, &results]);
    // 15 calls, 4 at a time: 4 rounds of 1 s, plus 1 s of margin = 5 s needed, 4 s left.
    let second = Duration::from_secs(1);
    let error =
        handle_before_deadline("scheduled.json", &clients, second, second, 4 * second).await;

    assert!(put.requests().is_empty(), "nothing sent");
    assert_eq!(error.error_type(), "DeadlineTooClose");
    let message = iam_role_last_used::lambda::diagnostic::message(&error);
    assert!(
        message.starts_with("the Lambda deadline is too close to finish publishing: 1500 roles read in 1 IAM pages and 1500 evaluations ready, but "),
        "{message}"
    );
    assert!(
        message.ends_with(
            " ms are left and sending them is budgeted at 5000 ms; no evaluations were sent"
        ),
        "{message}"
    );
}

/// Holds back the response to every request whose body contains `marker` for `delay` of the
/// runtime's clock, and answers the others at once.
#[derive(Debug)]
struct Delaying {
    inner: SharedHttpConnector,
    marker: &'static str,
    delay: Duration,
}

impl HttpConnector for Delaying {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let held = request
            .body()
            .bytes()
            .is_some_and(|b| String::from_utf8_lossy(b).contains(self.marker));
        let response = self.inner.call(request);
        let delay = self.delay;
        HttpConnectorFuture::new(async move {
            if held {
                tokio::time::sleep(delay).await;
            }
            response.await
        })
    }
}

/// The mocks' HTTP client, with the responses to requests holding `marker` delayed.
fn delaying(marker: &'static str, delay: Duration) -> SharedHttpClient {
    let mock = aws_smithy_mocks::create_mock_http_client();
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Delaying {
            inner: mock.http_connector(settings, components),
            marker,
            delay,
        })
    })
}

// The clock is paused: it moves only when every task waits, straight to the next timer, so
// the deadline and the slow page race in virtual time, at once and the same on any machine.
#[tokio::test(start_paused = true)]
async fn a_deadline_during_the_iam_read_stops_it_and_sends_nothing() {
    // Page 1 arrives at once; page 2 would take 10 s, but the deadline is 1 s away and reading
    // must stop 200 ms (the reserve for one publishing round and the margin) before it.
    let first = page_rule(None, iam_page(0..1000, Some("m1")));
    let second = page_rule(Some("m1"), iam_page(1000..1001, None));
    let put = PutRecorder::accepting_all();
    let attempts = AttemptCounter::default();
    let clients = Clients {
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&first, &second], |b| b
            .retry_config(fast_retry())
            .http_client(delaying("Marker=m1", Duration::from_secs(10)))),
        config: config_client_counted(&[&put.rule], &attempts),
        sts: sts_client_counted(&[], &attempts),
        sns: sns_client_counted(&[], &attempts),
        attempts,
    };
    let tenth = Duration::from_millis(100);
    let started = tokio::time::Instant::now();

    let error = handle_before_deadline(
        "scheduled-testmode.json",
        &clients,
        tenth,
        tenth,
        10 * tenth,
    )
    .await;

    let waited = started.elapsed();
    assert!(
        waited >= 8 * tenth && waited < Duration::from_secs(10),
        "stopped after {waited:?}: at the reserve before the deadline, before page 2 arrived"
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    assert!(put.requests().is_empty());
    assert_eq!(
        iam_role_last_used::lambda::diagnostic::message(&error),
        "the Lambda deadline is too close to finish reading roles from IAM and the rule's results from Config: stopped 200 ms before the deadline to leave time to report; no evaluations were sent"
    );
}

#[tokio::test]
async fn the_same_event_twice_gives_the_same_evaluations() {
    let iam_pages = [
        page_rule(None, iam_page(0..150, Some("m1"))),
        page_rule(Some("m1"), iam_page(150..260, None)),
    ];
    let put = PutRecorder::accepting_all();
    let results = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_output(|| recorded_results(&["AROAGONE0000000000001".to_owned()], None));
    let clients = clients(&[&iam_pages[0], &iam_pages[1]], &[&put.rule, &results]);

    let first = handle(
        &payload("scheduled.json"),
        &clients,
        &settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();
    let sent_first = put.sent();
    let second = handle(
        &payload("scheduled.json"),
        &clients,
        &settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();
    let sent_second = put.sent()[sent_first.len()..].to_vec();

    assert_eq!(first, second);
    assert_eq!(sent_first.len(), 261);
    assert_eq!(sent_first, sent_second);
}

// The clock is paused: each delayed answer costs exactly one virtual second, so the run takes
// 1 s when the two reads overlap and 2 s when one waits for the other.
#[tokio::test(start_paused = true)]
async fn iam_and_the_rules_results_are_read_at_the_same_time() {
    let page = page_rule(None, iam_page(0..10, None));
    let put = PutRecorder::accepting_all();
    let results = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_output(|| recorded_results(&["AROAGONE0000000000001".to_owned()], None));
    let attempts = AttemptCounter::default();
    let second = Duration::from_secs(1);
    let clients = Clients {
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&page], |b| b
            .retry_config(fast_retry())
            .http_client(delaying("GetAccountAuthorizationDetails", second))),
        // Only GetComplianceDetailsByConfigRule names the rule in its body.
        config: mock_client!(
            aws_sdk_config,
            RuleMode::MatchAny,
            [&put.rule, &results],
            |b| b
                .retry_config(fast_retry())
                .http_client(delaying("ConfigRuleName", second))
        ),
        sts: sts_client_counted(&[], &attempts),
        sns: sns_client_counted(&[], &attempts),
        attempts,
    };
    let started = tokio::time::Instant::now();

    let summary = handle(
        &payload("scheduled.json"),
        &clients,
        &settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();

    let took = started.elapsed();
    assert!(
        took >= second && took < 2 * second,
        "took {took:?}: the two 1 s reads must overlap"
    );
    assert_eq!((summary.principals, summary.stale_cleaned), (10, 1));
    assert_eq!((page.num_calls(), results.num_calls()), (1, 1));
}
