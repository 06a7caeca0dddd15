//! Adapter: IAM's credential report. GenerateCredentialReport until it is complete (bounded
//! polling with backoff), then GetCredentialReport, parsed by the pure core.
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateCredentialReport.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetCredentialReport.html>

use std::time::Duration;

use aws_sdk_iam::operation::get_credential_report::GetCredentialReportError;
use aws_sdk_iam::types::{ReportFormatType, ReportStateType};
use tracing::info;

use crate::aws::{error_code, error_message, to_utc};
use crate::core::credential_report::{self, CredentialReport};
use crate::Error;

/// At most this many GenerateCredentialReport calls per read.
pub const MAX_GENERATE_CALLS: usize = 10;
/// The wait after the first call that finds the report not ready; it doubles after each one,
/// up to [`MAX_POLL_WAIT`]: 1, 2, 4, 8, 16, 16, 16, 16, 16 s, 95 s in all before the read gives
/// up. The Lambda's reading budget still stops the read earlier if the deadline is closer.
pub const FIRST_POLL_WAIT: Duration = Duration::from_secs(1);
pub const MAX_POLL_WAIT: Duration = Duration::from_secs(16);

const GENERATE: &str = "GenerateCredentialReport";
const GET: &str = "GetCredentialReport";

/// The wait after the `call`-th GenerateCredentialReport call (from 1) found no report ready.
fn wait_after(call: usize) -> Duration {
    let doublings = u32::try_from(call.saturating_sub(1)).unwrap_or(u32::MAX);
    FIRST_POLL_WAIT
        .checked_mul(2u32.saturating_pow(doublings))
        .map_or(MAX_POLL_WAIT, |wait| wait.min(MAX_POLL_WAIT))
}

/// Generates (or reuses, when IAM holds one under 4 hours old) and reads the credential report.
///
/// GenerateCredentialReport answers STARTED or INPROGRESS while IAM builds the report (wait
/// and ask again) and COMPLETE once there is one to get. GetCredentialReport may still answer
/// `ReportInProgress` (wait and ask again) or `ReportExpired` / `ReportNotPresent` (generate
/// again at once); every one of these counts against [`MAX_GENERATE_CALLS`]. Throttling and
/// 5xx answers are retried by the SDK's retry policy, as for every call.
pub async fn read(client: &aws_sdk_iam::Client) -> Result<CredentialReport, Error> {
    let mut waited = Duration::ZERO;
    for call in 1..=MAX_GENERATE_CALLS {
        let generated = client
            .generate_credential_report()
            .send()
            .await
            .map_err(|e| Error::CredentialReportFailed {
                operation: GENERATE.to_owned(),
                message: error_message(&e),
                code: error_code(&e),
            })?;
        let state = generated.state().cloned();
        let ready = match &state {
            Some(ReportStateType::Complete) => get(client).await?,
            Some(ReportStateType::Started | ReportStateType::Inprogress) => Fetched::NotReady,
            Some(other) => {
                return Err(Error::InvalidCredentialReport {
                    line: None,
                    field: "State".to_owned(),
                    message: format!(
                        "{GENERATE} answered {:?}, expected STARTED, INPROGRESS or COMPLETE",
                        other.as_str()
                    ),
                })
            }
            None => {
                return Err(Error::InvalidCredentialReport {
                    line: None,
                    field: "State".to_owned(),
                    message: format!("{GENERATE} answered without a State"),
                })
            }
        };
        match ready {
            Fetched::Report(report) => return Ok(report),
            Fetched::Gone(code) => {
                info!(call, code, "credential report gone, generating it again");
            }
            Fetched::NotReady if call < MAX_GENERATE_CALLS => {
                let wait = wait_after(call);
                info!(
                    call,
                    state = state.as_ref().map(ReportStateType::as_str),
                    wait_ms = wait.as_millis() as u64,
                    "credential report not ready"
                );
                tokio::time::sleep(wait).await;
                waited += wait;
            }
            Fetched::NotReady => {}
        }
    }
    Err(Error::CredentialReportNotReady {
        attempts: MAX_GENERATE_CALLS,
        waited,
    })
}

enum Fetched {
    Report(CredentialReport),
    /// Still being generated (`ReportInProgress`).
    NotReady,
    /// Expired or never generated: generate it again.
    Gone(&'static str),
}

async fn get(client: &aws_sdk_iam::Client) -> Result<Fetched, Error> {
    let output = match client.get_credential_report().send().await {
        Ok(output) => output,
        Err(e) => {
            return match e.as_service_error() {
                Some(GetCredentialReportError::CredentialReportNotReadyException(_)) => {
                    Ok(Fetched::NotReady)
                }
                Some(GetCredentialReportError::CredentialReportExpiredException(_)) => {
                    Ok(Fetched::Gone("ReportExpired"))
                }
                Some(GetCredentialReportError::CredentialReportNotPresentException(_)) => {
                    Ok(Fetched::Gone("ReportNotPresent"))
                }
                _ => Err(Error::CredentialReportFailed {
                    operation: GET.to_owned(),
                    message: error_message(&e),
                    code: error_code(&e),
                }),
            }
        }
    };
    let unusable = |field: &str, message: String| Error::InvalidCredentialReport {
        line: None,
        field: field.to_owned(),
        message,
    };
    match output.report_format() {
        Some(ReportFormatType::TextCsv) => {}
        Some(other) => {
            return Err(unusable(
                "ReportFormat",
                format!("{:?}, expected \"text/csv\"", other.as_str()),
            ))
        }
        None => {
            return Err(unusable(
                "ReportFormat",
                format!("{GET} answered without one, expected \"text/csv\""),
            ))
        }
    }
    let generated = to_utc(output.generated_time())
        .ok_or_else(|| unusable("GeneratedTime", format!("{GET} answered without one")))?;
    // The SDK has already decoded the response's base64: these are the CSV's bytes.
    let content = output
        .content()
        .ok_or_else(|| unusable("Content", format!("{GET} answered without one")))?;
    let report = credential_report::parse(content.as_ref(), generated)?;
    Ok(Fetched::Report(report))
}
