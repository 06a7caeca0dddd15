//! The service last accessed adapter against mocked SDK clients (aws-smithy-mocks): the job's
//! states and the waits between them, failures, paging with Marker, and the SDK's retries.
//! Every test runs on the paused clock: the waits cost no real time and are exact.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_iam::operation::generate_service_last_accessed_details::{
    GenerateServiceLastAccessedDetailsInput, GenerateServiceLastAccessedDetailsOutput,
};
use aws_sdk_iam::operation::get_service_last_accessed_details::{
    GetServiceLastAccessedDetailsInput, GetServiceLastAccessedDetailsOutput,
};
use aws_sdk_iam::types::{
    AccessAdvisorUsageGranularityType, ErrorDetails, JobStatusType, ServiceLastAccessed,
    TrackedActionLastAccessed,
};
use aws_smithy_mocks::{mock, Rule};
use chrono::{TimeZone, Utc};
use iam_role_last_used::aws::access_advisor::{report, Polling, PAGE_SIZE};
use iam_role_last_used::core::access::{ActionAccess, NoReport, ServiceAccess};

use crate::common::*;

const ARN: &str = "arn:aws:iam::123456789012:role/app";
const JOB: &str = "01234567-89ab-cdef-0123-456789abcdef";

fn smithy(y: i32, m: u32, d: u32) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap().timestamp(),
    )
}

/// Generate answering JOB, recording each request.
fn generate() -> (
    Rule,
    Arc<Mutex<Vec<GenerateServiceLastAccessedDetailsInput>>>,
) {
    let seen: Arc<Mutex<Vec<GenerateServiceLastAccessedDetailsInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(aws_sdk_iam::Client::generate_service_last_accessed_details)
        .then_compute_output(move |req| {
            log.lock().unwrap().push(req.clone());
            GenerateServiceLastAccessedDetailsOutput::builder()
                .job_id(JOB)
                .build()
        });
    (rule, seen)
}

fn in_progress() -> GetServiceLastAccessedDetailsOutput {
    // As IAM answers while the job runs: no JobCompletionDate, no services.
    GetServiceLastAccessedDetailsOutput::builder()
        .job_status(JobStatusType::InProgress)
        .job_creation_date(smithy(2026, 1, 1))
        .set_services_last_accessed(Some(Vec::new()))
        .job_completion_date(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .unwrap()
}

fn completed(
    services: Vec<ServiceLastAccessed>,
    next: Option<&str>,
) -> GetServiceLastAccessedDetailsOutput {
    GetServiceLastAccessedDetailsOutput::builder()
        .job_status(JobStatusType::Completed)
        .job_type(AccessAdvisorUsageGranularityType::ActionLevel)
        .job_creation_date(smithy(2026, 1, 1))
        .job_completion_date(smithy(2026, 1, 2))
        .set_services_last_accessed(Some(services))
        .is_truncated(next.is_some())
        .set_marker(next.map(str::to_owned))
        .build()
        .unwrap()
}

fn service(namespace: &str, last: Option<aws_smithy_types::DateTime>) -> ServiceLastAccessed {
    ServiceLastAccessed::builder()
        .service_name(format!("Service {namespace}"))
        .service_namespace(namespace)
        .set_last_authenticated(last)
        .set_last_authenticated_region(last.map(|_| "eu-west-1".to_owned()))
        .build()
        .unwrap()
}

fn tracked(name: &str, last: Option<aws_smithy_types::DateTime>) -> TrackedActionLastAccessed {
    TrackedActionLastAccessed::builder()
        .action_name(name)
        .set_last_accessed_time(last)
        .set_last_accessed_region(last.map(|_| "us-east-1".to_owned()))
        .build()
}

/// Get answering these in turn (the last one for every further call).
fn getting(answers: Vec<GetServiceLastAccessedDetailsOutput>) -> Rule {
    let mut sequence = mock!(aws_sdk_iam::Client::get_service_last_accessed_details).sequence();
    for answer in answers {
        sequence = sequence.output(move || answer.clone());
    }
    sequence.repeatedly().build()
}

/// Get answering `answer` exactly `times` times: one call more fails the test (rather than
/// loop for ever when the code under test keeps asking).
fn getting_exactly(answer: GetServiceLastAccessedDetailsOutput, times: usize) -> Rule {
    mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
        .sequence()
        .output(move || answer.clone())
        .times(times)
        .build()
}

fn reason(result: Result<iam_role_last_used::core::access::AccessReport, NoReport>) -> NoReport {
    result.unwrap_err()
}

#[tokio::test(start_paused = true)]
async fn a_job_in_progress_twice_is_read_after_waits_of_1_1_and_2_seconds() {
    let (generate, generated) = generate();
    let get = getting(vec![
        in_progress(),
        in_progress(),
        completed(vec![service("s3", Some(smithy(2025, 12, 1)))], None),
    ]);
    let client = iam_client(&[&generate, &get]);
    let start = tokio::time::Instant::now();

    let report = report(&client, ARN, &Polling::default()).await.unwrap();

    assert_eq!(start.elapsed(), Duration::from_secs(4));
    assert_eq!((generate.num_calls(), get.num_calls()), (1, 3));
    let sent = generated.lock().unwrap().clone();
    assert_eq!(sent[0].arn(), Some(ARN));
    assert_eq!(
        sent[0].granularity(),
        Some(&AccessAdvisorUsageGranularityType::ActionLevel)
    );
    assert_eq!(report.arn, ARN);
    assert_eq!(
        report.completed,
        Utc.with_ymd_and_hms(2026, 1, 2, 12, 0, 0).unwrap()
    );
    assert_eq!(
        report.services,
        [ServiceAccess {
            namespace: "s3".to_owned(),
            name: "Service s3".to_owned(),
            last_authenticated: Some(Utc.with_ymd_and_hms(2025, 12, 1, 12, 0, 0).unwrap()),
            region: Some("eu-west-1".to_owned()),
            tracked_actions: None,
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_gives_iams_error_code_and_message() {
    let (generate, _) = generate();
    let failed = GetServiceLastAccessedDetailsOutput::builder()
        .job_status(JobStatusType::Failed)
        .job_creation_date(smithy(2026, 1, 1))
        .job_completion_date(smithy(2026, 1, 1))
        .set_services_last_accessed(Some(Vec::new()))
        .error(
            ErrorDetails::builder()
                .code("ServiceFailure")
                .message("the report could not be generated")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let get = getting(vec![failed]);
    let client = iam_client(&[&generate, &get]);

    let reason = reason(report(&client, ARN, &Polling::default()).await);

    assert_eq!(
        reason,
        NoReport::JobFailed {
            code: "ServiceFailure".to_owned(),
            message: "the report could not be generated".to_owned()
        }
    );
    assert_eq!(get.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn no_such_entity_on_generate_means_deleted_and_on_get_an_unknown_job() {
    let generate_gone = mock!(aws_sdk_iam::Client::generate_service_last_accessed_details)
        .then_http_response(|| iam_error(404, "NoSuchEntity", "The role app cannot be found."));
    let get = getting(vec![completed(Vec::new(), None)]);
    let client = iam_client(&[&generate_gone, &get]);
    assert_eq!(
        reason(report(&client, ARN, &Polling::default()).await),
        NoReport::Deleted
    );
    assert_eq!(get.num_calls(), 0);

    let (generate, _) = generate();
    let get_gone = mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
        .then_http_response(|| iam_error(404, "NoSuchEntity", "Job not found."));
    let client = iam_client(&[&generate, &get_gone]);
    assert_eq!(
        reason(report(&client, ARN, &Polling::default()).await),
        NoReport::CallFailed {
            operation: "GetServiceLastAccessedDetails",
            code: Some("NoSuchEntity".to_owned()),
            message:
                "JobId 01234567-89ab-cdef-0123-456789abcdef unknown to this session: Job not found."
                    .to_owned(),
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_poll_asks_the_same_job_again_and_generates_no_other() {
    let (generate, _) = generate();
    let get = mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .times(20)
        .output(|| completed(Vec::new(), None))
        .build();
    let client = iam_client(&[&generate, &get]);
    let report = report(&client, ARN, &Polling::default()).await.unwrap();
    assert!(report.services.is_empty());
    assert_eq!(generate.num_calls(), 1, "one job");
}

#[tokio::test(start_paused = true)]
async fn a_job_that_never_completes_stops_after_120_seconds_and_32_gets() {
    let (generate, _) = generate();
    let get = getting_exactly(in_progress(), 32);
    let client = iam_client(&[&generate, &get]);
    let start = tokio::time::Instant::now();

    let reason = reason(report(&client, ARN, &Polling::default()).await);

    // Waits 1 before the first Get, then 1, 2 and 29 times 4 s: 120 s, a Get after each.
    assert_eq!(reason, NoReport::StillInProgress { waited_ms: 120_000 });
    assert_eq!(start.elapsed(), Duration::from_secs(120));
    assert_eq!(get.num_calls(), 32);
}

#[tokio::test(start_paused = true)]
async fn the_last_wait_is_cut_to_end_at_max_wait() {
    let (generate, _) = generate();
    let get = getting_exactly(in_progress(), 5);
    let client = iam_client(&[&generate, &get]);
    let polling = Polling {
        max_wait: Duration::from_secs(10),
        ..Polling::default()
    };
    let start = tokio::time::Instant::now();

    let reason = reason(report(&client, ARN, &polling).await);

    // 1 + 1 + 2 + 4 = 8, then 2 more instead of 4.
    assert_eq!(reason, NoReport::StillInProgress { waited_ms: 10_000 });
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(get.num_calls(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_zero_interval_gives_up_rather_than_asking_without_waiting() {
    let (generate, _) = generate();
    let get = getting_exactly(in_progress(), 1);
    let client = iam_client(&[&generate, &get]);
    let polling = Polling {
        interval: Duration::ZERO,
        ..Polling::default()
    };

    let reason = reason(report(&client, ARN, &polling).await);

    assert_eq!(reason, NoReport::StillInProgress { waited_ms: 1_000 });
    assert_eq!(get.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn every_page_is_read_with_the_job_id_the_marker_and_max_items_1000() {
    let (generate, _) = generate();
    let seen: Arc<Mutex<Vec<GetServiceLastAccessedDetailsInput>>> = Arc::default();
    let log = seen.clone();
    let page = |marker: Option<&'static str>, answer: GetServiceLastAccessedDetailsOutput| {
        let log = log.clone();
        mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
            .match_requests(move |req: &GetServiceLastAccessedDetailsInput| req.marker() == marker)
            .then_compute_output(move |req| {
                log.lock().unwrap().push(req.clone());
                answer.clone()
            })
    };
    let first = page(
        None,
        completed(
            vec![service("s3", None), service("ec2", None)],
            Some("page-2"),
        ),
    );
    let second = page(Some("page-2"), completed(vec![service("sqs", None)], None));
    let client = iam_client(&[&generate, &first, &second]);

    let report = report(&client, ARN, &Polling::default()).await.unwrap();

    let namespaces: Vec<_> = report
        .services
        .iter()
        .map(|s| s.namespace.as_str())
        .collect();
    assert_eq!(namespaces, ["s3", "ec2", "sqs"]);
    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    for request in &sent {
        assert_eq!(request.job_id(), Some(JOB));
        assert_eq!(request.max_items(), Some(PAGE_SIZE));
    }
    assert_eq!(PAGE_SIZE, 1000, "the model's maxItemsType allows 1 to 1000");
}

#[tokio::test(start_paused = true)]
async fn a_truncated_page_without_a_new_marker_is_refused() {
    for marker in [None, Some("same")] {
        let (generate, _) = generate();
        let truncated = GetServiceLastAccessedDetailsOutput::builder()
            .job_status(JobStatusType::Completed)
            .job_creation_date(smithy(2026, 1, 1))
            .job_completion_date(smithy(2026, 1, 2))
            .set_services_last_accessed(Some(vec![service("s3", None)]))
            .is_truncated(true)
            .set_marker(marker.map(str::to_owned))
            .build()
            .unwrap();
        // The first page answers Marker "same"; asked for "same", it answers "same" again.
        let get = getting_exactly(truncated, 2);
        let client = iam_client(&[&generate, &get]);

        let reason = reason(report(&client, ARN, &Polling::default()).await);

        let NoReport::CallFailed {
            operation,
            code,
            message,
        } = reason
        else {
            panic!("{marker:?}: {reason:?}");
        };
        assert_eq!(
            (operation, code),
            ("GetServiceLastAccessedDetails", None),
            "{marker:?}"
        );
        let expected = match marker {
            None => "IsTruncated is true but no Marker was returned",
            Some(_) => "IsTruncated is true but Marker \"same\" repeats the previous page's",
        };
        assert_eq!(message, expected);
        assert_eq!(get.num_calls(), if marker.is_none() { 1 } else { 2 });
    }
}

#[tokio::test(start_paused = true)]
async fn tracked_actions_are_named_without_their_service_prefix() {
    let (generate, _) = generate();
    let mut s3 = service("s3", Some(smithy(2025, 12, 1)));
    s3.tracked_actions_last_accessed = Some(vec![
        tracked("s3:CreateBucket", Some(smithy(2025, 11, 1))),
        tracked("DeleteBucket", None),
    ]);
    let get = getting(vec![completed(vec![s3, service("sqs", None)], None)]);
    let client = iam_client(&[&generate, &get]);

    let report = report(&client, ARN, &Polling::default()).await.unwrap();

    assert_eq!(
        report.services[0].tracked_actions,
        Some(vec![
            ActionAccess {
                name: "CreateBucket".to_owned(),
                last_accessed: Some(Utc.with_ymd_and_hms(2025, 11, 1, 12, 0, 0).unwrap()),
                region: Some("us-east-1".to_owned()),
            },
            ActionAccess {
                name: "DeleteBucket".to_owned(),
                last_accessed: None,
                region: None,
            },
        ])
    );
    assert_eq!(
        report.services[1].tracked_actions, None,
        "a service IAM tracks no action of"
    );
}

#[tokio::test(start_paused = true)]
async fn a_completed_job_without_its_completion_date_is_refused() {
    let (generate, _) = generate();
    // The SDK puts the epoch in place of a JobCompletionDate IAM left out.
    let dateless = GetServiceLastAccessedDetailsOutput::builder()
        .job_status(JobStatusType::Completed)
        .job_creation_date(smithy(2026, 1, 1))
        .job_completion_date(aws_smithy_types::DateTime::from_secs(0))
        .set_services_last_accessed(Some(Vec::new()))
        .build()
        .unwrap();
    let get = getting(vec![dateless]);
    let client = iam_client(&[&generate, &get]);

    let reason = reason(report(&client, ARN, &Polling::default()).await);

    assert_eq!(
        reason.to_string(),
        "GetServiceLastAccessedDetails failed: the job is COMPLETED but the answer holds no JobCompletionDate"
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_by_the_sdk_and_access_denied_is_named() {
    let generate = mock!(aws_sdk_iam::Client::generate_service_last_accessed_details)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .times(2)
        .output(|| {
            GenerateServiceLastAccessedDetailsOutput::builder()
                .job_id(JOB)
                .build()
        })
        .build();
    let get = mock!(aws_sdk_iam::Client::get_service_last_accessed_details)
        .sequence()
        .http_response(|| iam_error(400, "Throttling", "Rate exceeded"))
        .times(3)
        .output(|| completed(vec![service("s3", None)], None))
        .build();
    let client = iam_client(&[&generate, &get]);

    let read = report(&client, ARN, &Polling::default()).await.unwrap();

    assert_eq!(read.services.len(), 1);
    assert_eq!((generate.num_calls(), get.num_calls()), (3, 4));

    let denied = mock!(aws_sdk_iam::Client::generate_service_last_accessed_details)
        .then_http_response(|| {
            iam_error(
                403,
                "AccessDenied",
                "not authorized to perform: iam:GenerateServiceLastAccessedDetails",
            )
        });
    let client = iam_client(&[&denied]);
    assert_eq!(
        reason(report(&client, ARN, &Polling::default()).await),
        NoReport::CallFailed {
            operation: "GenerateServiceLastAccessedDetails",
            code: Some("AccessDenied".to_owned()),
            message: "not authorized to perform: iam:GenerateServiceLastAccessedDetails".to_owned(),
        }
    );
}
