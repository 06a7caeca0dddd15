//! The users rule's adapters and shell against mocked SDK clients (aws-smithy-mocks): the
//! credential report's generation states and errors, GetAccountAuthorizationDetails with
//! `Filter=User`, and whole invocations through `lambda::handle`.

use std::time::Duration;

use aws_sdk_config::types::ComplianceType;
use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{EntityType, UserDetail};
use aws_smithy_mocks::mock;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use chrono::{TimeZone, Utc};
use iam_role_last_used::aws::credential_report::read;
use iam_role_last_used::aws::iam::fetch_users;
use iam_role_last_used::core::settings::{RuleKind, Settings};
use iam_role_last_used::lambda::diagnostic::message;
use iam_role_last_used::lambda::{handle, Context};

use crate::common::*;

fn generate_rule() -> aws_smithy_mocks::Rule {
    report_complete()
}

/// GenerateCredentialReport answering these states in turn.
fn generating(states: &'static [&'static str]) -> aws_smithy_mocks::Rule {
    let mut sequence = mock!(aws_sdk_iam::Client::generate_credential_report).sequence();
    for state in states {
        sequence = sequence.output(move || generation(state));
    }
    sequence.build()
}

/// GetCredentialReport answering IAM's error `code` once, then the report.
fn get_after_error(status: u16, code: &'static str) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_iam::Client::get_credential_report)
        .sequence()
        .http_response(move || iam_error(status, code, "not now"))
        .output(|| credential_report(&two_users_csv(), 0))
        .build()
}

fn two_users_csv() -> String {
    report_csv(&[
        row_without_credentials("/", "alice", 300),
        row_with_password("/ci/", "bob", 500, 400, None),
    ])
}

#[tokio::test]
async fn every_user_page_is_fetched_with_filter_user_and_max_items_250() {
    let (requests, recorder) = iam_request_recorder();
    let first = page_rule(
        None,
        users_page(
            vec![
                iam_user(1, "/", "alice", 300, &[]),
                iam_user(2, "/ci/", "bob", 500, &[("owner", "team-a")]),
            ],
            Some("m1"),
        ),
    );
    let second = page_rule(
        Some("m1"),
        users_page(vec![iam_user(3, "/", "carol", 10, &[])], None),
    );
    let client = iam_client(&[&recorder, &first, &second]);

    let fetched = fetch_users(&client).await.unwrap();

    assert_eq!(fetched.pages, 2);
    let ids: Vec<_> = fetched.users.iter().map(|u| u.user_id.clone()).collect();
    assert_eq!(ids, [user_id(1), user_id(2), user_id(3)]);
    let bob = &fetched.users[1];
    assert_eq!(
        (bob.name.as_str(), bob.path.as_str(), bob.arn.as_str()),
        ("bob", "/ci/", "arn:aws:iam::123456789012:user/ci/bob")
    );
    assert_eq!(
        bob.created,
        Utc.with_ymd_and_hms(2024, 8, 19, 0, 0, 0).unwrap()
    );
    assert_eq!(bob.tag_value("owner"), Some("team-a"));
    assert_eq!(
        iam_requests_seen(&requests),
        [
            (users_groups_and_policies(), Some(250), None),
            (
                users_groups_and_policies(),
                Some(250),
                Some("m1".to_owned())
            ),
        ]
    );
}

/// The users and, for their privilege, their groups and the customer managed policies.
fn users_groups_and_policies() -> Vec<EntityType> {
    vec![
        EntityType::User,
        EntityType::Group,
        EntityType::LocalManagedPolicy,
    ]
}

fn user_without_create_date() -> UserDetail {
    UserDetail::builder()
        .path("/")
        .user_name("dave")
        .user_id(user_id(4))
        .arn(user_arn("/", "dave"))
        .build()
}

#[tokio::test]
async fn user_pages_are_refused_as_role_pages_are_naming_the_page_and_the_user() {
    let truncated = GetAccountAuthorizationDetailsOutput::builder()
        .set_user_detail_list(Some(vec![iam_user(1, "/", "alice", 300, &[])]))
        .is_truncated(true)
        .build();
    let error = fetch_users(&iam_client(&[&page_rule(None, truncated)]))
        .await
        .unwrap_err();
    assert_eq!(message(&error), "IAM returned unusable data on page 1: IsTruncated is true but no Marker was returned; no evaluations were sent");

    let first = page_rule(
        None,
        users_page(vec![iam_user(1, "/", "alice", 300, &[])], Some("m1")),
    );
    let repeat = page_rule(
        Some("m1"),
        users_page(vec![iam_user(2, "/", "bob", 300, &[])], Some("m1")),
    );
    let error = fetch_users(&iam_client(&[&first, &repeat]))
        .await
        .unwrap_err();
    assert_eq!(message(&error), "IAM returned unusable data on page 2: IsTruncated is true but Marker \"m1\" repeats the previous page's; no evaluations were sent");

    let twice = page_rule(
        Some("m1"),
        users_page(vec![iam_user(1, "/", "alice", 300, &[])], None),
    );
    let error = fetch_users(&iam_client(&[&first, &twice]))
        .await
        .unwrap_err();
    assert_eq!(
        message(&error),
        format!("IAM returned unusable data on page 2: UserId {} (alice) was listed twice; the user list changed while it was being read, try again; no evaluations were sent", user_id(1))
    );

    let no_date = page_rule(None, users_page(vec![user_without_create_date()], None));
    let error = fetch_users(&iam_client(&[&no_date])).await.unwrap_err();
    assert_eq!(
        message(&error),
        format!(
            "IAM returned unusable data on page 1: user {} has no CreateDate; no evaluations were sent",
            user_id(4)
        )
    );
}

#[tokio::test]
async fn a_complete_report_is_read_with_one_generate_and_one_get_call() {
    let generate = generate_rule();
    let get = report_serving(two_users_csv(), 1);
    let client = iam_client(&[&generate, &get]);

    let report = read(&client).await.unwrap();

    assert_eq!(
        report.generated,
        Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0).unwrap()
    );
    let users: Vec<_> = report.rows.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(
        users,
        ["alice", "bob"],
        "the root account's row is left out"
    );
    assert_eq!((generate.num_calls(), get.num_calls()), (1, 1));
}

// The clock is paused: it moves only when every task waits, straight to the next timer, so
// the production waits cost no real time and are exact.
#[tokio::test(start_paused = true)]
async fn a_report_being_generated_is_asked_for_again_after_1_then_2_seconds() {
    let generate = generating(&["STARTED", "INPROGRESS", "COMPLETE"]);
    let get = report_serving(two_users_csv(), 0);
    let client = iam_client(&[&generate, &get]);
    let start = tokio::time::Instant::now();

    let report = read(&client).await.unwrap();

    assert_eq!(report.rows.len(), 2);
    assert_eq!((generate.num_calls(), get.num_calls()), (3, 1));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_report_never_complete_fails_after_10_generate_calls_and_95_seconds() {
    let generate = mock!(aws_sdk_iam::Client::generate_credential_report)
        .then_output(|| generation("INPROGRESS"));
    let get = report_serving(two_users_csv(), 0);
    let client = iam_client(&[&generate, &get]);
    let start = tokio::time::Instant::now();

    let error = read(&client).await.unwrap_err();

    // Waits 1, 2, 4, 8, then 16 s five times, between the ten calls.
    assert_eq!(start.elapsed(), Duration::from_secs(95));
    assert_eq!((generate.num_calls(), get.num_calls()), (10, 0));
    assert_eq!(error.error_type(), "CredentialReportNotReady");
    assert_eq!(message(&error), "the IAM credential report was still not ready after 10 GenerateCredentialReport calls and 95 s of waiting; no evaluations were sent");
}

#[tokio::test(start_paused = true)]
async fn report_in_progress_on_get_waits_and_asks_again() {
    let generate = generate_rule();
    let get = get_after_error(404, "ReportInProgress");
    let client = iam_client(&[&generate, &get]);
    let start = tokio::time::Instant::now();

    let report = read(&client).await.unwrap();

    assert_eq!(report.rows.len(), 2);
    assert_eq!((generate.num_calls(), get.num_calls()), (2, 2));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn an_expired_or_absent_report_is_generated_again_at_once() {
    for code in ["ReportExpired", "ReportNotPresent"] {
        let generate = generate_rule();
        let get = get_after_error(410, code);
        let client = iam_client(&[&generate, &get]);
        let start = tokio::time::Instant::now();

        let report = read(&client).await.unwrap();

        assert_eq!(report.rows.len(), 2, "{code}");
        assert_eq!((generate.num_calls(), get.num_calls()), (2, 2), "{code}");
        assert_eq!(start.elapsed(), Duration::ZERO, "{code}");
    }
}

#[tokio::test]
async fn throttling_of_both_calls_is_retried_by_the_sdk() {
    let generate = mock!(aws_sdk_iam::Client::generate_credential_report)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .times(2)
        .output(|| generation("COMPLETE"))
        .build();
    let get = mock!(aws_sdk_iam::Client::get_credential_report)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .times(3)
        .output(|| credential_report(&two_users_csv(), 0))
        .build();
    let client = iam_client(&[&generate, &get]);

    let report = read(&client).await.unwrap();

    assert_eq!(report.rows.len(), 2);
    assert_eq!((generate.num_calls(), get.num_calls()), (3, 4));
}

#[tokio::test]
async fn access_denied_on_generate_names_the_operation() {
    let generate =
        mock!(aws_sdk_iam::Client::generate_credential_report).then_http_response(|| {
            iam_error(
                403,
                "AccessDenied",
                "User is not authorized to perform: iam:GenerateCredentialReport",
            )
        });
    let client = iam_client(&[&generate]);

    let error = read(&client).await.unwrap_err();

    assert_eq!(error.error_type(), "CredentialReportFailed");
    assert_eq!(message(&error), "IAM GenerateCredentialReport failed: AccessDenied: User is not authorized to perform: iam:GenerateCredentialReport; no evaluations were sent");
    assert_eq!(
        iam_role_last_used::cli::hints::hint(&error).as_deref(),
        Some("the credentials in use are not allowed iam:GenerateCredentialReport; role-audit needs it (read-only)")
    );
}

#[tokio::test]
async fn a_report_not_in_csv_or_without_its_time_is_refused_naming_the_field() {
    let html = mock!(aws_sdk_iam::Client::get_credential_report).then_output(|| {
        aws_sdk_iam::operation::get_credential_report::GetCredentialReportOutput::builder()
            .content(aws_smithy_types::Blob::new("<html/>"))
            .report_format(aws_sdk_iam::types::ReportFormatType::from("text/html"))
            .generated_time(smithy_time(0))
            .build()
    });
    let generate = generate_rule();
    let error = read(&iam_client(&[&generate, &html])).await.unwrap_err();
    assert_eq!(message(&error), "IAM returned an unusable credential report: ReportFormat: \"text/html\", expected \"text/csv\"; no evaluations were sent");

    let timeless = mock!(aws_sdk_iam::Client::get_credential_report).then_output(|| {
        aws_sdk_iam::operation::get_credential_report::GetCredentialReportOutput::builder()
            .content(aws_smithy_types::Blob::new(two_users_csv()))
            .report_format(aws_sdk_iam::types::ReportFormatType::TextCsv)
            .build()
    });
    let error = read(&iam_client(&[&generate, &timeless]))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidCredentialReport");
    assert_eq!(message(&error), "IAM returned an unusable credential report: GeneratedTime: GetCredentialReport answered without one; no evaluations were sent");
}

/// GetCredentialReport's answer on the wire, as IAM sends it: `Content` base64-encoded.
fn get_response_xml(content_base64: &str) -> HttpResponse {
    let body = format!(
        r#"<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetCredentialReportResult><Content>{content_base64}</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>2025-12-31T00:00:00Z</GeneratedTime></GetCredentialReportResult><ResponseMetadata><RequestId>29f47818-99f5-11e1-a4c3-27EXAMPLE804</RequestId></ResponseMetadata></GetCredentialReportResponse>"#
    );
    HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::from(body))
}

#[tokio::test]
async fn the_sdk_decodes_the_reports_base64_content_once() {
    let encoded = aws_smithy_types::base64::encode(two_users_csv());
    let generate = generate_rule();
    let get = mock!(aws_sdk_iam::Client::get_credential_report)
        .then_http_response(move || get_response_xml(&encoded));

    let report = read(&iam_client(&[&generate, &get])).await.unwrap();

    assert_eq!(
        report
            .rows
            .iter()
            .map(|r| r.user.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );
}

/// The account the shell tests read: alice has no credential, bob a console password never
/// used and set 400 days ago, carol was created as the report was generated (no row yet), dave
/// is older than the report but missing from it.
fn shell_account() -> (String, Vec<UserDetail>) {
    let csv = report_csv(&[
        row_without_credentials("/", "alice", 300),
        row_with_password("/ci/", "bob", 500, 400, None),
    ]);
    let users = vec![
        iam_user(1, "/", "alice", 300, &[]),
        iam_user(2, "/ci/", "bob", 500, &[]),
        iam_user(3, "/", "carol", 0, &[]),
        iam_user(4, "/", "dave", 10, &[]),
    ];
    (csv, users)
}

fn users_event(file: &str) -> serde_json::Value {
    let mut event = payload(file);
    event.as_object_mut().unwrap().remove("ruleParameters");
    event
}

fn users_settings() -> Settings {
    Settings {
        rule_kind: RuleKind::Users,
        ..settings()
    }
}

#[tokio::test]
async fn a_users_run_sends_user_evaluations_keyed_by_user_id_and_cleans_up_only_deleted_users() {
    let (csv, users) = shell_account();
    let generate = report_complete();
    let report = report_serving(csv, 0);
    let page = page_rule(None, users_page(users, None));
    let put = PutRecorder::accepting_all();
    // Config holds a result for alice, for a user deleted since (9) and for a role.
    let results =
        mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule).then_output(|| {
            recorded_results_of(
                &[
                    ("AWS::IAM::User", user_id(1)),
                    ("AWS::IAM::User", user_id(9)),
                    ("AWS::IAM::Role", role_id(9)),
                ],
                None,
            )
        });
    let clients = clients(&[&generate, &report, &page], &[&put.rule, &results]);

    let summary = handle(
        &users_event("scheduled.json"),
        &clients,
        &users_settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();

    let sent: Vec<_> = put
        .requests()
        .iter()
        .flat_map(|r| r.evaluations().to_vec())
        .map(|e| {
            (
                e.compliance_resource_type().to_owned(),
                e.compliance_resource_id().to_owned(),
                e.compliance_type().clone(),
                e.annotation().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let kinds: Vec<_> = sent
        .iter()
        .map(|(t, id, c, _)| (t.as_str(), id.clone(), c.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("AWS::IAM::User", user_id(1), ComplianceType::Compliant),
            ("AWS::IAM::User", user_id(2), ComplianceType::NonCompliant),
            ("AWS::IAM::User", user_id(3), ComplianceType::Compliant),
            ("AWS::IAM::User", user_id(9), ComplianceType::NotApplicable),
        ],
        "carol, newer than the report, is compliant; dave, older and missing from it, is not \
         sent; the role's result is not touched"
    );
    assert!(sent[0].3.starts_with("alice"), "{}", sent[0].3);
    assert!(sent[1].3.starts_with("bob"), "{}", sent[1].3);
    assert_eq!(
        (
            summary.rule_kind,
            summary.principals,
            summary.not_judged,
            summary.stale_cleaned,
            summary.iam_pages,
            summary.test_mode,
        ),
        ("users", 4, 1, 1, 1, false)
    );
    assert_eq!(
        (summary.tally.compliant, summary.tally.non_compliant),
        (2, 1)
    );
    assert_eq!(
        summary.credential_report_generated,
        Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
    );
    assert_eq!(put.requests()[0].test_mode(), None);
}

#[tokio::test]
async fn a_users_testmode_run_sets_test_mode_and_reads_no_results_to_clean_up() {
    let (csv, users) = shell_account();
    let generate = report_complete();
    let report = report_serving(csv, 0);
    let page = page_rule(None, users_page(users, None));
    let put = PutRecorder::accepting_all();
    let results = no_recorded_results();
    let clients = clients(&[&generate, &report, &page], &[&put.rule, &results]);

    let summary = handle(
        &users_event("scheduled-testmode.json"),
        &clients,
        &users_settings(),
        &Context::at(now()),
    )
    .await
    .unwrap();

    assert_eq!(results.num_calls(), 0);
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
    assert_eq!(calls, [(3, Some(true), Some("TESTMODE".to_owned()))]);
    assert!(summary.test_mode);
}

#[tokio::test]
async fn an_unparseable_report_fails_the_users_run_with_nothing_sent() {
    let csv = report_csv(&["alice,arn:aws:iam::123456789012:user/alice,N/A".to_owned()]);
    let generate = report_complete();
    let report = report_serving(csv, 0);
    let page = page_rule(
        None,
        users_page(vec![iam_user(1, "/", "alice", 300, &[])], None),
    );
    let put = PutRecorder::accepting_all();
    let results = no_recorded_results();
    let clients = clients(&[&generate, &report, &page], &[&put.rule, &results]);

    let error = handle(
        &users_event("scheduled.json"),
        &clients,
        &users_settings(),
        &Context::at(now()),
    )
    .await
    .unwrap_err();

    assert_eq!(error.error_type(), "InvalidCredentialReport");
    assert!(message(&error).contains("line 3"), "{}", message(&error));
    assert_eq!(put.requests().len(), 0, "no PutEvaluations");
    assert_eq!(results.num_calls(), 0, "the read stops at the report");
}
