//! Helpers shared by the test modules: scripted IAM and Config responses through
//! aws-smithy-mocks, recorders of what was sent, and (`stub`) a stub endpoint for the binary.

pub mod stub;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_config::operation::get_compliance_details_by_config_rule::GetComplianceDetailsByConfigRuleOutput;
use aws_sdk_config::operation::put_evaluations::{PutEvaluationsInput, PutEvaluationsOutput};
use aws_sdk_config::types::{
    ComplianceType, EvaluationResult, EvaluationResultIdentifier, EvaluationResultQualifier,
};
use aws_sdk_iam::operation::get_account_authorization_details::{
    GetAccountAuthorizationDetailsInput, GetAccountAuthorizationDetailsOutput,
};
use aws_sdk_iam::types::{RoleDetail, RoleLastUsed, Tag};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use chrono::{DateTime, TimeZone, Utc};
use iam_role_last_used::aws::{retry_config, AttemptCounter};
use iam_role_last_used::core::settings::{
    FailedEvaluationRetry, PublishOptions, SdkPolicy, Settings,
};
use iam_role_last_used::lambda::Clients;
use serde_json::Value;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

pub fn smithy_time(days_ago: i64) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs((now() - chrono::Duration::days(days_ago)).timestamp())
}

/// Role `n`: unused for `n` days when `n` is odd, never used when even; created 1 000 days ago.
pub fn role_detail(n: usize) -> RoleDetail {
    let last_used = (n % 2 == 1).then_some(n as i64);
    iam_role(n, "/", &format!("role-{n:04}"), last_used, &[])
}

/// A role as IAM lists it: RoleId [`role_id`]`(n)`, created 1 000 days before [`now`], last
/// used `last_used_days` ago in eu-west-1 (None: IAM recorded no use), with these tags.
pub fn iam_role(
    n: usize,
    path: &str,
    name: &str,
    last_used_days: Option<i64>,
    tags: &[(&str, &str)],
) -> RoleDetail {
    let last_used = match last_used_days {
        Some(days) => RoleLastUsed::builder()
            .last_used_date(smithy_time(days))
            .region("eu-west-1")
            .build(),
        None => RoleLastUsed::builder().build(),
    };
    let tags = tags
        .iter()
        .map(|(key, value)| Tag::builder().key(*key).value(*value).build().unwrap())
        .collect();
    RoleDetail::builder()
        .path(path)
        .role_name(name)
        .role_id(role_id(n))
        .arn(format!("arn:aws:iam::123456789012:role{path}{name}"))
        .create_date(smithy_time(1000))
        .role_last_used(last_used)
        .set_tags(Some(tags))
        .build()
}

pub fn role_id(n: usize) -> String {
    format!("AROA{n:017}")
}

/// A GetAccountAuthorizationDetails page holding roles `range`, pointing at `next` if given.
pub fn iam_page(
    range: std::ops::Range<usize>,
    next: Option<&str>,
) -> GetAccountAuthorizationDetailsOutput {
    GetAccountAuthorizationDetailsOutput::builder()
        .set_role_detail_list(Some(range.map(role_detail).collect()))
        .is_truncated(next.is_some())
        .set_marker(next.map(str::to_owned))
        .build()
}

/// A rule answering the request whose Marker is `marker` with `output`.
pub fn page_rule(
    marker: Option<&'static str>,
    output: GetAccountAuthorizationDetailsOutput,
) -> Rule {
    mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(move |req: &GetAccountAuthorizationDetailsInput| req.marker() == marker)
        .then_output(move || output.clone())
}

/// The production retry policy with a 1 ms backoff, so retry tests run in milliseconds.
pub fn fast_retry() -> aws_sdk_iam::config::retry::RetryConfig {
    retry_config(&SdkPolicy::default())
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

pub fn iam_client_counted(rules: &[&Rule], counter: &AttemptCounter) -> aws_sdk_iam::Client {
    mock_client!(aws_sdk_iam, RuleMode::MatchAny, rules, |b| b
        .retry_config(fast_retry())
        .interceptor(counter.clone()))
}

pub fn config_client_counted(rules: &[&Rule], counter: &AttemptCounter) -> aws_sdk_config::Client {
    mock_client!(aws_sdk_config, RuleMode::MatchAny, rules, |b| b
        .retry_config(fast_retry())
        .interceptor(counter.clone()))
}

pub fn iam_client(rules: &[&Rule]) -> aws_sdk_iam::Client {
    iam_client_counted(rules, &AttemptCounter::default())
}

pub fn config_client(rules: &[&Rule]) -> aws_sdk_config::Client {
    config_client_counted(rules, &AttemptCounter::default())
}

pub fn sts_client_counted(rules: &[&Rule], counter: &AttemptCounter) -> aws_sdk_sts::Client {
    mock_client!(aws_sdk_sts, RuleMode::MatchAny, rules, |b| b
        .retry_config(fast_retry())
        .interceptor(counter.clone()))
}

pub fn sns_client_counted(rules: &[&Rule], counter: &AttemptCounter) -> aws_sdk_sns::Client {
    mock_client!(aws_sdk_sns, RuleMode::MatchAny, rules, |b| b
        .retry_config(fast_retry())
        .interceptor(counter.clone()))
}

/// The clients, sharing one attempt counter as in production; STS and SNS answer nothing.
pub fn clients(iam_rules: &[&Rule], config_rules: &[&Rule]) -> Clients {
    clients_with_sts(iam_rules, config_rules, &[])
}

pub fn clients_with_sts(
    iam_rules: &[&Rule],
    config_rules: &[&Rule],
    sts_rules: &[&Rule],
) -> Clients {
    let attempts = AttemptCounter::default();
    Clients {
        iam: iam_client_counted(iam_rules, &attempts),
        config: config_client_counted(config_rules, &attempts),
        sts: sts_client_counted(sts_rules, &attempts),
        sns: sns_client_counted(&[], &attempts),
        attempts,
    }
}

pub fn iam_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = format!(
        r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"#
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// Records every PutEvaluations request, and when it came by the runtime's clock, and answers
/// each with `failed(request, call number)` as its FailedEvaluations.
pub struct PutRecorder {
    pub requests: Arc<Mutex<Vec<PutEvaluationsInput>>>,
    pub times: Arc<Mutex<Vec<tokio::time::Instant>>>,
    pub rule: Rule,
}

impl PutRecorder {
    pub fn new(
        failed: impl Fn(&PutEvaluationsInput, usize) -> Vec<aws_sdk_config::types::Evaluation>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let times = Arc::new(Mutex::new(Vec::new()));
        let (log, clock) = (requests.clone(), times.clone());
        let rule = mock!(aws_sdk_config::Client::put_evaluations).then_compute_output(move |req| {
            clock.lock().unwrap().push(tokio::time::Instant::now());
            let mut log = log.lock().unwrap();
            log.push(req.clone());
            let call = log.len();
            PutEvaluationsOutput::builder()
                .set_failed_evaluations(Some(failed(req, call)))
                .build()
        });
        Self {
            requests,
            times,
            rule,
        }
    }

    pub fn accepting_all() -> Self {
        Self::new(|_, _| Vec::new())
    }

    pub fn requests(&self) -> Vec<PutEvaluationsInput> {
        self.requests.lock().unwrap().clone()
    }

    /// The time from each call to the next.
    pub fn gaps(&self) -> Vec<Duration> {
        let times = self.times.lock().unwrap();
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }

    pub fn batch_sizes(&self) -> Vec<usize> {
        self.requests()
            .iter()
            .map(|r| r.evaluations().len())
            .collect()
    }

    /// Every evaluation sent, as (resource id, compliance type, annotation).
    pub fn sent(&self) -> Vec<(String, ComplianceType, String)> {
        self.requests()
            .iter()
            .flat_map(|r| r.evaluations().to_vec())
            .map(|e| {
                (
                    e.compliance_resource_id().to_owned(),
                    e.compliance_type().clone(),
                    e.annotation().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

/// The default publishing options with 1 ms between resends.
pub fn fast_publish() -> PublishOptions {
    PublishOptions {
        retry: fast_failed_retry(),
        ..PublishOptions::default()
    }
}

pub fn fast_failed_retry() -> FailedEvaluationRetry {
    FailedEvaluationRetry {
        attempts: 3,
        initial_delay: Duration::from_millis(1),
    }
}

pub fn payload(file: &str) -> Value {
    let text =
        std::fs::read_to_string(format!("{}/events/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn settings() -> Settings {
    Settings {
        default_max_days: None,
        publish: fast_publish(),
        ..Settings::default()
    }
}

pub fn recorded_results(
    ids: &[String],
    next_token: Option<&str>,
) -> GetComplianceDetailsByConfigRuleOutput {
    let typed: Vec<_> = ids
        .iter()
        .map(|id| ("AWS::IAM::Role", id.clone()))
        .collect();
    recorded_results_of(&typed, next_token)
}

/// The results Config holds for the rule: (resource type, resource id), each COMPLIANT.
pub fn recorded_results_of(
    results: &[(&str, String)],
    next_token: Option<&str>,
) -> GetComplianceDetailsByConfigRuleOutput {
    let held: Vec<_> = results
        .iter()
        .map(|(resource_type, id)| (*resource_type, id.clone(), ComplianceType::Compliant, None))
        .collect();
    held_results(&held, next_token)
}

/// The results Config holds for the rule: (resource type, resource id, compliance, annotation).
pub fn held_results(
    results: &[(&str, String, ComplianceType, Option<String>)],
    next_token: Option<&str>,
) -> GetComplianceDetailsByConfigRuleOutput {
    GetComplianceDetailsByConfigRuleOutput::builder()
        .set_next_token(next_token.map(str::to_owned))
        .set_evaluation_results(Some(
            results
                .iter()
                .map(|(resource_type, id, compliance, annotation)| {
                    EvaluationResult::builder()
                        .evaluation_result_identifier(
                            EvaluationResultIdentifier::builder()
                                .evaluation_result_qualifier(
                                    EvaluationResultQualifier::builder()
                                        .config_rule_name("iam-role-last-used")
                                        .resource_type(*resource_type)
                                        .resource_id(id)
                                        .build(),
                                )
                                .build(),
                        )
                        .compliance_type(compliance.clone())
                        .set_annotation(annotation.clone())
                        .build()
                })
                .collect(),
        ))
        .build()
}

/// GetComplianceDetailsByConfigRule answering that Config holds no results for the rule.
pub fn no_recorded_results() -> Rule {
    mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_output(|| recorded_results(&[], None))
}

pub fn config_throttling() -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(400).unwrap(),
        SdkBody::from(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#),
    )
}

/// User `n`'s UserId.
pub fn user_id(n: usize) -> String {
    format!("AIDA{n:017}")
}

/// A user as IAM lists it (`Filter=User`): UserId [`user_id`]`(n)`, created `created_days`
/// before [`now`], with these tags.
pub fn iam_user(
    n: usize,
    path: &str,
    name: &str,
    created_days: i64,
    tags: &[(&str, &str)],
) -> aws_sdk_iam::types::UserDetail {
    let tags = tags
        .iter()
        .map(|(key, value)| Tag::builder().key(*key).value(*value).build().unwrap())
        .collect();
    aws_sdk_iam::types::UserDetail::builder()
        .path(path)
        .user_name(name)
        .user_id(user_id(n))
        .arn(user_arn(path, name))
        .create_date(smithy_time(created_days))
        .set_tags(Some(tags))
        .build()
}

pub fn user_arn(path: &str, name: &str) -> String {
    format!("arn:aws:iam::123456789012:user{path}{name}")
}

/// A GetAccountAuthorizationDetails page holding `users`, pointing at `next` if given.
pub fn users_page(
    users: Vec<aws_sdk_iam::types::UserDetail>,
    next: Option<&str>,
) -> GetAccountAuthorizationDetailsOutput {
    GetAccountAuthorizationDetailsOutput::builder()
        .set_user_detail_list(Some(users))
        .is_truncated(next.is_some())
        .set_marker(next.map(str::to_owned))
        .build()
}

/// The credential report's header, as the IAM User Guide lists its columns.
pub const REPORT_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// The root account's row, as IAM writes it.
pub const ROOT_ROW: &str = "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2025-12-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

/// A credential report: the header, the root account's row, then `rows`.
pub fn report_csv(rows: &[String]) -> String {
    let mut csv = format!("{REPORT_HEADER}\n{ROOT_ROW}");
    for row in rows {
        csv.push('\n');
        csv.push_str(row);
    }
    csv
}

/// `2025-12-02T00:00:00+00:00`: `days` before [`now`], as the report writes times.
pub fn report_time(days: i64) -> String {
    (now() - chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// A report row for a user created `created_days` ago with no password and no access key.
pub fn row_without_credentials(path: &str, name: &str, created_days: i64) -> String {
    format!(
        "{name},{},{},false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        user_arn(path, name),
        report_time(created_days)
    )
}

/// A report row for a user created `created_days` ago whose console password was set
/// `set_days` ago and last used `used_days` ago (None: `no_information`), with no access key.
pub fn row_with_password(
    path: &str,
    name: &str,
    created_days: i64,
    set_days: i64,
    used_days: Option<i64>,
) -> String {
    let used = used_days.map_or("no_information".to_owned(), report_time);
    format!(
        "{name},{},{},true,{used},{},N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        user_arn(path, name),
        report_time(created_days),
        report_time(set_days)
    )
}

/// GetCredentialReport's answer: `csv`, generated `generated_days` before [`now`].
pub fn credential_report(
    csv: &str,
    generated_days: i64,
) -> aws_sdk_iam::operation::get_credential_report::GetCredentialReportOutput {
    aws_sdk_iam::operation::get_credential_report::GetCredentialReportOutput::builder()
        .content(aws_smithy_types::Blob::new(csv.as_bytes()))
        .report_format(aws_sdk_iam::types::ReportFormatType::TextCsv)
        .generated_time(smithy_time(generated_days))
        .build()
}

/// GenerateCredentialReport's answer in `state` (`STARTED`, `INPROGRESS`, `COMPLETE`).
pub fn generation(
    state: &str,
) -> aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportOutput {
    aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportOutput::builder()
        .state(aws_sdk_iam::types::ReportStateType::from(state))
        .build()
}

/// GenerateCredentialReport answering COMPLETE every time.
pub fn report_complete() -> Rule {
    mock!(aws_sdk_iam::Client::generate_credential_report).then_output(|| generation("COMPLETE"))
}

/// GetCredentialReport answering `csv`, generated `generated_days` ago, every time.
pub fn report_serving(csv: String, generated_days: i64) -> Rule {
    mock!(aws_sdk_iam::Client::get_credential_report)
        .then_output(move || credential_report(&csv, generated_days))
}

/// A rule that answers nothing and records every GetAccountAuthorizationDetails request: put
/// it first, the rules that answer after it.
pub fn iam_request_recorder() -> (Arc<Mutex<Vec<GetAccountAuthorizationDetailsInput>>>, Rule) {
    let requests: Arc<Mutex<Vec<GetAccountAuthorizationDetailsInput>>> = Arc::default();
    let log = requests.clone();
    let recorder = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(move |req| {
            log.lock().unwrap().push(req.clone());
            false
        })
        .then_output(|| unreachable!());
    (requests, recorder)
}

/// Each request's (Filter, MaxItems, Marker).
pub fn iam_requests_seen(
    requests: &Mutex<Vec<GetAccountAuthorizationDetailsInput>>,
) -> Vec<(
    Vec<aws_sdk_iam::types::EntityType>,
    Option<i32>,
    Option<String>,
)> {
    requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.filter().to_vec(),
                r.max_items(),
                r.marker().map(str::to_owned),
            )
        })
        .collect()
}
