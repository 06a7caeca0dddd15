//! The digest through the real SDK serializers (aws-smithy-mocks): one Publish after
//! PutEvaluations, with the JSON message structure and the counts as attributes; a Publish
//! SNS keeps refusing leaves the run successful; TESTMODE runs publish nothing.

use aws_sdk_sns::operation::publish::{PublishInput, PublishOutput};
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use iam_role_last_used::core::settings::{Settings, TopicArn};
use iam_role_last_used::lambda::{handle, Context, DigestOutcome};
use serde_json::Value;
use std::sync::{Arc, Mutex};

use crate::common::*;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:digest";

fn with_topic() -> Settings {
    Settings {
        notification_topic: Some(TopicArn::parse(TOPIC).unwrap()),
        ..settings()
    }
}

/// Roles 0..5 (0, 2 and 4 never used: NON_COMPLIANT; 1 and 3 used: COMPLIANT), Config
/// holding nothing; SNS answering with `publish`.
async fn run(
    event: &str,
    publish: &Rule,
) -> (
    Result<iam_role_last_used::lambda::Summary, iam_role_last_used::Error>,
    PutRecorder,
) {
    let iam_pages = page_rule(None, iam_page(0..5, None));
    let put = PutRecorder::accepting_all();
    let results = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_output(|| recorded_results(&[], None));
    let mut clients = clients(&[&iam_pages], &[&put.rule, &results]);
    clients.sns = sns_client_counted(&[publish], &clients.attempts);
    let summary = handle(
        &payload(event),
        &clients,
        &with_topic(),
        &Context::at(now()),
    )
    .await;
    (summary, put)
}

#[tokio::test]
async fn a_run_with_new_findings_publishes_one_json_structured_message_after_config_has_them() {
    let published: Arc<Mutex<Vec<PublishInput>>> = Arc::default();
    let log = published.clone();
    let publish = mock!(aws_sdk_sns::Client::publish).then_compute_output(move |req| {
        log.lock().unwrap().push(req.clone());
        PublishOutput::builder().message_id("m-1").build()
    });

    let (summary, put) = run("scheduled.json", &publish).await;

    let summary = summary.unwrap();
    assert_eq!(put.sent().len(), 5);
    assert_eq!(
        (summary.digest, summary.digest_not_listed),
        (DigestOutcome::Sent, 0)
    );
    let published = published.lock().unwrap();
    let [request] = &published[..] else {
        panic!("one Publish, got {}", published.len());
    };
    assert_eq!(request.topic_arn(), Some(TOPIC));
    assert_eq!(request.message_structure(), Some("json"));
    assert_eq!(
        request.subject(),
        Some("[iam-role-last-used] 123456789012 roles rule: 3 NON_COMPLIANT")
    );
    let structure: Value = serde_json::from_str(request.message().unwrap()).unwrap();
    let digest: Value = serde_json::from_str(structure["default"].as_str().unwrap()).unwrap();
    let listed: Vec<&str> = digest["changes"]["became_non_compliant"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap())
        .collect();
    let mut listed = listed;
    listed.sort_unstable();
    assert_eq!(listed, [role_id(0), role_id(2), role_id(4)]);
    assert_eq!(digest["counts"]["new_compliant"], 2);
    assert!(structure["email"]
        .as_str()
        .unwrap()
        .contains("Became NON_COMPLIANT (most privileged first) (3):"));
    let attributes = request.message_attributes().unwrap();
    let attribute = |name: &str| {
        let value = &attributes[name];
        (
            value.data_type().to_owned(),
            value.string_value().unwrap().to_owned(),
        )
    };
    assert_eq!(
        attribute("became_non_compliant"),
        ("Number".to_owned(), "3".to_owned())
    );
    assert_eq!(attribute("deleted"), ("Number".to_owned(), "0".to_owned()));
    assert_eq!(
        attribute("account_id"),
        ("String".to_owned(), "123456789012".to_owned())
    );
}

#[tokio::test]
async fn a_publish_sns_keeps_refusing_is_retried_then_reported_and_the_run_succeeds() {
    let publish = mock!(aws_sdk_sns::Client::publish).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(500).unwrap(),
            SdkBody::from(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>\
                 <Message>try again</Message></Error></ErrorResponse>",
            ),
        )
    });

    let (summary, put) = run("scheduled.json", &publish).await;

    let summary = summary.expect("a failed digest never fails the run");
    assert_eq!(summary.digest, DigestOutcome::Failed);
    assert_eq!(put.sent().len(), 5, "Config has every result");
    assert_eq!(
        publish.num_calls(),
        8,
        "the production policy's 8 attempts (SDK_MAX_ATTEMPTS)"
    );
    assert_eq!(
        summary.sdk_retries, 7,
        "the digest's retries are counted too"
    );
}

#[tokio::test]
async fn a_testmode_run_publishes_nothing() {
    let publish = mock!(aws_sdk_sns::Client::publish)
        .then_output(|| PublishOutput::builder().message_id("m-1").build());

    let (summary, _) = run("scheduled-testmode.json", &publish).await;

    assert_eq!(summary.unwrap().digest, DigestOutcome::Off);
    assert_eq!(publish.num_calls(), 0);
}
