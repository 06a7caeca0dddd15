//! Adapter: IAM's service last accessed report of one principal.
//! GenerateServiceLastAccessedDetails (`ACTION_LEVEL`), then GetServiceLastAccessedDetails until
//! the job ends (bounded polling), then every page, converted into the core's `AccessReport`.
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetails.html>

use std::time::Duration;

use aws_sdk_iam::operation::get_service_last_accessed_details::GetServiceLastAccessedDetailsOutput;
use aws_sdk_iam::types::{
    AccessAdvisorUsageGranularityType, JobStatusType, ServiceLastAccessed,
    TrackedActionLastAccessed,
};
use tracing::info;

use crate::aws::{error_code, error_message, to_utc, NO_CREDENTIALS};
use crate::core::access::{AccessReport, ActionAccess, NoReport, ServiceAccess};
use crate::Error;

pub const GENERATE: &str = "GenerateServiceLastAccessedDetails";
pub const GET: &str = "GetServiceLastAccessedDetails";

/// Services asked for per page: the model's maximum (`maxItemsType`, 1 to 1 000; IAM's default
/// is 100). A report lists at most one entry per service namespace, a few hundred at most, and
/// carries no policy documents, so one page nearly always holds all of it.
pub const PAGE_SIZE: i32 = 1000;

/// How long to wait for a report job, and how often to ask.
///
/// IAM documents no completion time; peers poll every 1 s (Prowler, for up to 60 s) or 2 s
/// (Cloud Custodian) and Aardvark backs off 1, 2, 4 s and gives up after 5 minutes. The default
/// waits 1 s before the first Get (a job is seldom done sooner), then 1, 2, 4, 4, ... s, so a
/// job of a few seconds is read within a second of completing while a slow one costs one Get
/// every 4 s, and gives up after 120 s, the upper end of the peers' usual caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    /// The wait between the Generate call and the first Get.
    pub first_wait: Duration,
    /// The wait after the first Get that finds the job IN_PROGRESS; it doubles after each
    /// further one, up to `max_interval`.
    pub interval: Duration,
    pub max_interval: Duration,
    /// The most waited in all; a job still IN_PROGRESS then is `StillInProgress`.
    pub max_wait: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            first_wait: Duration::from_secs(1),
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(4),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// The service last accessed report of the user or role `arn`: GenerateServiceLastAccessedDetails
/// (`ACTION_LEVEL`), then GetServiceLastAccessedDetails until COMPLETED or FAILED (sleeping with
/// `tokio::time`), then every page.
///
/// The JobId is valid only for the session that generated it, so it is generated and read
/// within this one call and never kept. Throttling and 5xx answers are retried by the client's
/// retry policy; what still fails is `CallFailed`.
pub async fn report(
    client: &aws_sdk_iam::Client,
    arn: &str,
    polling: &Polling,
) -> Result<AccessReport, NoReport> {
    let generated = client
        .generate_service_last_accessed_details()
        .arn(arn)
        .granularity(AccessAdvisorUsageGranularityType::ActionLevel)
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|se| se.is_no_such_entity_exception())
            {
                NoReport::Deleted
            } else {
                call_failed(GENERATE, &e)
            }
        })?;
    let job_id = generated.job_id().unwrap_or_default().to_owned();
    if job_id.is_empty() {
        return Err(NoReport::CallFailed {
            operation: GENERATE,
            code: None,
            message: "the answer holds no JobId".to_owned(),
        });
    }

    // The time since the job was generated, the Gets' own included (with the SDK's retries).
    let started = tokio::time::Instant::now();
    let mut wait = polling.first_wait.min(polling.max_wait);
    let mut interval = polling.interval;
    let first = loop {
        tokio::time::sleep(wait).await;
        let page = get_page(client, &job_id, None, polling, started).await?;
        let waited = started.elapsed();
        match page.job_status() {
            JobStatusType::Completed => break page,
            JobStatusType::Failed => {
                let (code, message) = page
                    .error()
                    .map(|e| (e.code().to_owned(), e.message().to_owned()))
                    .unwrap_or_else(|| {
                        (
                            "NoErrorDetails".to_owned(),
                            "IAM's answer gives no Error".to_owned(),
                        )
                    });
                return Err(NoReport::JobFailed { code, message });
            }
            // A zero interval would ask again and again without time passing: give up instead.
            JobStatusType::InProgress if waited < polling.max_wait && !interval.is_zero() => {
                wait = interval.min(polling.max_wait - waited);
                interval = interval.saturating_mul(2).min(polling.max_interval);
                info!(
                    arn,
                    waited_ms = waited.as_millis() as u64,
                    next_wait_ms = wait.as_millis() as u64,
                    "service last accessed job in progress"
                );
            }
            JobStatusType::InProgress => {
                return Err(NoReport::StillInProgress {
                    waited_ms: waited.as_millis(),
                })
            }
            other => {
                return Err(NoReport::CallFailed {
                    operation: GET,
                    code: None,
                    message: format!(
                        "JobStatus {:?} is none of IN_PROGRESS, COMPLETED, FAILED",
                        other.as_str()
                    ),
                })
            }
        }
    };

    // JobCompletionDate is modelled as required but IAM leaves it out while IN_PROGRESS, where
    // the SDK puts the epoch in its place: read it only now, and refuse the epoch.
    let completed = to_utc(Some(first.job_completion_date()))
        .filter(|t| t.timestamp() != 0)
        .ok_or_else(|| NoReport::CallFailed {
            operation: GET,
            code: None,
            message: "the job is COMPLETED but the answer holds no JobCompletionDate".to_owned(),
        })?;
    let mut services = Vec::new();
    let mut marker: Option<String> = None;
    let mut page = first;
    loop {
        for service in page.services_last_accessed() {
            services.push(service_access(service)?);
        }
        if !page.is_truncated() {
            break;
        }
        marker = match page.marker() {
            Some(next) if Some(next) != marker.as_deref() => Some(next.to_owned()),
            Some(next) => {
                return Err(truncated(format!(
                    "IsTruncated is true but Marker {next:?} repeats the previous page's"
                )))
            }
            None => return Err(truncated("IsTruncated is true but no Marker was returned")),
        };
        page = get_page(client, &job_id, marker.as_deref(), polling, started).await?;
    }
    Ok(AccessReport {
        arn: arn.to_owned(),
        completed,
        services,
    })
}

/// One GetServiceLastAccessedDetails page. Throttled past the SDK's retries, the same page of
/// the same job is asked again after `polling.max_interval`, while the job's time allows: a new
/// job would cost a Generate more and throw away one that may be done.
async fn get_page(
    client: &aws_sdk_iam::Client,
    job_id: &str,
    marker: Option<&str>,
    polling: &Polling,
    started: tokio::time::Instant,
) -> Result<GetServiceLastAccessedDetailsOutput, NoReport> {
    loop {
        let answer = client
            .get_service_last_accessed_details()
            .job_id(job_id)
            .max_items(PAGE_SIZE)
            .set_marker(marker.map(str::to_owned))
            .send()
            .await
            .map_err(|e| {
                let mut problem = call_failed(GET, &e);
                // On Get, NoSuchEntity is about the JobId (another session's, or gone), not
                // the principal.
                if let NoReport::CallFailed { message, .. } = &mut problem {
                    if e.as_service_error()
                        .is_some_and(|se| se.is_no_such_entity_exception())
                    {
                        *message = format!("JobId {job_id} unknown to this session: {message}");
                    }
                }
                problem
            });
        match answer {
            Err(problem)
                if problem.is_throttling()
                    && started.elapsed() + polling.max_interval < polling.max_wait =>
            {
                tokio::time::sleep(polling.max_interval).await;
            }
            other => return other,
        }
    }
}

fn call_failed<E>(operation: &'static str, error: &E) -> NoReport
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    // NoReport's Display puts the code before the message: keep AWS's message alone here.
    let code = error_code(error);
    let message = match (&code, error.message()) {
        (Some(_), Some(message)) => message.to_owned(),
        _ => error_message(error),
    };
    NoReport::CallFailed {
        operation,
        code,
        message,
    }
}

/// A page that says more follow but not where: reading on would loop or stop short.
fn truncated(message: impl Into<String>) -> NoReport {
    NoReport::CallFailed {
        operation: GET,
        code: None,
        message: message.into(),
    }
}

fn service_access(service: &ServiceLastAccessed) -> Result<ServiceAccess, NoReport> {
    let namespace = service.service_namespace();
    let tracked_actions = match &service.tracked_actions_last_accessed {
        None => None,
        Some(actions) => Some(
            actions
                .iter()
                .map(|a| action_access(namespace, a))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(ServiceAccess {
        namespace: namespace.to_owned(),
        name: service.service_name().to_owned(),
        last_authenticated: to_utc(service.last_authenticated()),
        region: service.last_authenticated_region().map(str::to_owned),
        tracked_actions,
    })
}

/// A tracked action, named without its service's prefix whether or not IAM sends one
/// (`s3:CreateBucket` and `CreateBucket` are the same action).
fn action_access(
    namespace: &str,
    action: &TrackedActionLastAccessed,
) -> Result<ActionAccess, NoReport> {
    let name = action
        .action_name()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| NoReport::CallFailed {
            operation: GET,
            code: None,
            message: format!("a tracked action of service {namespace:?} has no ActionName"),
        })?;
    let name = name
        .split_once(':')
        .map_or(name, |(_prefix, action)| action);
    Ok(ActionAccess {
        name: name.to_owned(),
        last_accessed: to_utc(action.last_accessed_time()),
        region: action.last_accessed_region().map(str::to_owned),
    })
}

/// A principal's missing report as an error, for a front end that reads one principal.
pub fn report_error(arn: &str, reason: &NoReport) -> Error {
    let (operation, code, message) = match reason {
        NoReport::CallFailed {
            operation,
            code,
            message,
        } => (
            *operation,
            code.clone(),
            match code {
                Some(code) if code != NO_CREDENTIALS => format!("{code}: {message}"),
                _ => message.clone(),
            },
        ),
        NoReport::Deleted => (
            GENERATE,
            Some("NoSuchEntity".to_owned()),
            reason.to_string(),
        ),
        NoReport::JobFailed { .. } | NoReport::StillInProgress { .. } => {
            (GET, None, reason.to_string())
        }
    };
    Error::AccessReportFailed {
        principal: arn.to_owned(),
        operation: operation.to_owned(),
        message,
        code,
    }
}

/// Whose report `role-audit permissions` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Role(String),
    User(String),
}

impl Principal {
    /// `role` or `user`.
    pub fn noun(&self) -> &'static str {
        match self {
            Principal::Role(_) => "role",
            Principal::User(_) => "user",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Principal::Role(name) | Principal::User(name) => name,
        }
    }

    /// The option that names it.
    pub fn option(&self) -> &'static str {
        match self {
            Principal::Role(_) => "--role",
            Principal::User(_) => "--user",
        }
    }
}

/// The ARN of a role (GetRole) or user (GetUser) by name; a name IAM does not know is refused
/// as the option that gave it.
pub async fn principal_arn(
    client: &aws_sdk_iam::Client,
    principal: &Principal,
) -> Result<String, Error> {
    let not_found = || Error::InvalidOption {
        option: principal.option().to_owned(),
        value: principal.name().to_owned(),
        message: format!(
            "IAM has no {} of that name in this account (NoSuchEntity)",
            principal.noun()
        ),
    };
    let failed =
        |operation: &str, message: String, code: Option<String>| Error::AccessReportFailed {
            operation: operation.to_owned(),
            principal: principal.name().to_owned(),
            message,
            code,
        };
    let arn = match principal {
        Principal::Role(name) => {
            let output = client
                .get_role()
                .role_name(name)
                .send()
                .await
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|se| se.is_no_such_entity_exception())
                    {
                        not_found()
                    } else {
                        failed("GetRole", error_message(&e), error_code(&e))
                    }
                })?;
            output.role().map(|r| r.arn().to_owned())
        }
        Principal::User(name) => {
            let output = client
                .get_user()
                .user_name(name)
                .send()
                .await
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|se| se.is_no_such_entity_exception())
                    {
                        not_found()
                    } else {
                        failed("GetUser", error_message(&e), error_code(&e))
                    }
                })?;
            output.user().map(|u| u.arn().to_owned())
        }
    };
    arn.filter(|a| !a.is_empty()).ok_or_else(|| {
        let operation = match principal {
            Principal::Role(_) => "GetRole",
            Principal::User(_) => "GetUser",
        };
        failed(operation, "the answer holds no Arn".to_owned(), None)
    })
}
