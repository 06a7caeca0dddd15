//! Adapter: AWS Config. Sends evaluations (PutEvaluations) and reads the rule's current results
//! (GetComplianceDetailsByConfigRule) for the clean-up of deleted roles.

use std::time::Duration;

use aws_sdk_config::error::ProvideErrorMetadata;
use aws_sdk_config::types::{ComplianceType, Evaluation as ConfigEvaluation};
use chrono::{DateTime, Utc};
use futures::StreamExt;

use crate::aws::error_message;
use crate::evaluate::{Compliance, Evaluation};
use crate::event::ResultToken;
use crate::Error;

pub const RESOURCE_TYPE: &str = "AWS::IAM::Role";
/// PutEvaluations takes at most 100 evaluations a call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;
/// GetComplianceDetailsByConfigRule serves at most 100 results a page.
pub const RESULTS_PAGE_SIZE: i32 = 100;

/// How often evaluations that Config returns in `FailedEvaluations` are sent again. This is on
/// top of the SDK's own retries, which cover failed requests, not items a request refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedEvaluationRetry {
    /// Attempts per evaluation, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; it doubles for each one after.
    pub initial_delay: Duration,
}

impl Default for FailedEvaluationRetry {
    fn default() -> Self {
        Self {
            attempts: 4,
            initial_delay: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PublishReport {
    /// PutEvaluations calls made, retries included.
    pub calls: usize,
    /// Evaluations sent again after Config returned them in `FailedEvaluations`.
    pub resent_evaluations: usize,
}

fn compliance_type(compliance: Compliance) -> ComplianceType {
    match compliance {
        Compliance::Compliant => ComplianceType::Compliant,
        Compliance::NonCompliant => ComplianceType::NonCompliant,
        Compliance::NotApplicable => ComplianceType::NotApplicable,
    }
}

fn to_config(
    evaluation: &Evaluation,
    ordering: aws_smithy_types::DateTime,
) -> Result<ConfigEvaluation, Error> {
    ConfigEvaluation::builder()
        .compliance_resource_type(RESOURCE_TYPE)
        .compliance_resource_id(&evaluation.resource_id)
        .compliance_type(compliance_type(evaluation.compliance))
        .annotation(&evaluation.annotation)
        .ordering_timestamp(ordering)
        .build()
        .map_err(|e| Error::ConfigPublish {
            sent: 0,
            total: 0,
            message: format!("building the evaluation of {}: {e}", evaluation.resource_id),
        })
}

/// How evaluations are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishOptions {
    pub retry: FailedEvaluationRetry,
    /// PutEvaluations calls in flight at once.
    pub concurrency: usize,
}

/// AWS does not publish a PutEvaluations rate; four calls in flight cut the publishing time of
/// a 5 000-role account fourfold, and the SDK's retries absorb any throttling.
pub const DEFAULT_CONCURRENCY: usize = 4;
pub const MAX_CONCURRENCY: usize = 16;

impl Default for PublishOptions {
    fn default() -> Self {
        Self {
            retry: FailedEvaluationRetry::default(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// What one batch of at most 100 came to.
#[derive(Default)]
struct BatchOutcome {
    calls: usize,
    resent: usize,
    accepted: usize,
    rejected: Vec<String>,
    /// The SDK error that ended the batch, if one did.
    failure: Option<String>,
}

/// Sends one batch, then again what Config returned in `FailedEvaluations`, as `retry` says.
async fn publish_batch(
    client: &aws_sdk_config::Client,
    mut pending: Vec<ConfigEvaluation>,
    token: &ResultToken,
    retry: FailedEvaluationRetry,
) -> BatchOutcome {
    let mut outcome = BatchOutcome::default();
    for attempt in 1..=retry.attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(retry.initial_delay * 2u32.pow(attempt - 2)).await;
            outcome.resent += pending.len();
        }
        let sent = client
            .put_evaluations()
            .set_evaluations(Some(pending.clone()))
            .result_token(token.as_str())
            .set_test_mode(token.is_test_mode().then_some(true))
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            Err(e) => {
                outcome.failure = Some(error_message(&e));
                return outcome;
            }
        };
        outcome.calls += 1;
        let failed = output.failed_evaluations().to_vec();
        outcome.accepted += pending.len() - failed.len().min(pending.len());
        pending = failed;
        if pending.is_empty() {
            return outcome;
        }
    }
    outcome.rejected = pending
        .iter()
        .map(|e| e.compliance_resource_id().to_owned())
        .collect();
    outcome
}

/// Sends every evaluation, [`MAX_EVALUATIONS_PER_CALL`] a call, `options.concurrency` calls at
/// a time. Evaluations Config refuses are sent again as `options.retry` says; any still refused,
/// or a call that fails after the SDK's retries, fail the whole publication, naming them. The
/// other batches are still sent: their results are valid on their own.
pub async fn publish(
    client: &aws_sdk_config::Client,
    evaluations: &[Evaluation],
    ordering_timestamp: DateTime<Utc>,
    token: &ResultToken,
    options: PublishOptions,
) -> Result<PublishReport, Error> {
    let ordering = aws_smithy_types::DateTime::from_millis(ordering_timestamp.timestamp_millis());
    let total = evaluations.len();
    let batches = evaluations
        .chunks(MAX_EVALUATIONS_PER_CALL)
        .map(|chunk| chunk.iter().map(|e| to_config(e, ordering)).collect())
        .collect::<Result<Vec<Vec<_>>, _>>()?;

    let outcomes: Vec<BatchOutcome> = futures::stream::iter(batches)
        .map(|batch| publish_batch(client, batch, token, options.retry))
        .buffered(options.concurrency.clamp(1, MAX_CONCURRENCY))
        .collect()
        .await;

    let mut report = PublishReport::default();
    let mut accepted = 0;
    let mut rejected: Vec<String> = Vec::new();
    let mut failure = None;
    for outcome in outcomes {
        report.calls += outcome.calls;
        report.resent_evaluations += outcome.resent;
        accepted += outcome.accepted;
        rejected.extend(outcome.rejected);
        failure = failure.or(outcome.failure);
    }
    if let Some(message) = failure {
        return Err(Error::ConfigPublish {
            sent: accepted,
            total,
            message,
        });
    }
    if rejected.is_empty() {
        return Ok(report);
    }
    const SHOWN: usize = 10;
    let mut detail = rejected
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if rejected.len() > SHOWN {
        detail.push_str(&format!(" and {} more", rejected.len() - SHOWN));
    }
    Err(Error::EvaluationsRejected {
        count: rejected.len(),
        total,
        attempts: options.retry.attempts.max(1),
        detail,
    })
}

/// A result AWS Config holds for the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedResult {
    pub resource_id: String,
    /// As Config reports it: COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, INSUFFICIENT_DATA.
    pub compliance_type: String,
    pub annotation: Option<String>,
    pub recorded: Option<DateTime<Utc>>,
}

/// Every `AWS::IAM::Role` result the rule holds with one of `compliance_types`, all pages.
pub async fn recorded_results(
    client: &aws_sdk_config::Client,
    rule_name: &str,
    compliance_types: &[ComplianceType],
) -> Result<Vec<RecordedResult>, Error> {
    let failed = |message: String, code: Option<&str>| Error::ConfigRead {
        rule: rule_name.to_owned(),
        message,
        code: code.map(str::to_owned),
    };
    let mut results = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let output = client
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule_name)
            .set_compliance_types(Some(compliance_types.to_vec()))
            .limit(RESULTS_PAGE_SIZE)
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| failed(error_message(&e), e.code()))?;
        for result in output.evaluation_results() {
            let Some(qualifier) = result
                .evaluation_result_identifier()
                .and_then(|i| i.evaluation_result_qualifier())
            else {
                continue; // a result without a resource cannot be about a role
            };
            if qualifier.resource_type() != Some(RESOURCE_TYPE) {
                continue;
            }
            let Some(resource_id) = qualifier.resource_id() else {
                continue;
            };
            results.push(RecordedResult {
                resource_id: resource_id.to_owned(),
                compliance_type: result
                    .compliance_type()
                    .map_or("INSUFFICIENT_DATA", |c| c.as_str())
                    .to_owned(),
                annotation: result.annotation().map(str::to_owned),
                recorded: result
                    .result_recorded_time()
                    .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
            });
        }
        match output.next_token().filter(|t| !t.is_empty()) {
            None => return Ok(results),
            Some(token) if Some(token) == next_token.as_deref() => {
                return Err(failed(
                    format!("NextToken {token:?} repeats the previous page's"),
                    None,
                ))
            }
            Some(token) => next_token = Some(token.to_owned()),
        }
    }
}

/// Resource ids of every `AWS::IAM::Role` the rule currently holds as COMPLIANT or
/// NON_COMPLIANT. Results already NOT_APPLICABLE need no clean-up.
pub async fn recorded_resource_ids(
    client: &aws_sdk_config::Client,
    rule_name: &str,
) -> Result<Vec<String>, Error> {
    let results = recorded_results(
        client,
        rule_name,
        &[ComplianceType::Compliant, ComplianceType::NonCompliant],
    )
    .await?;
    Ok(results.into_iter().map(|r| r.resource_id).collect())
}
