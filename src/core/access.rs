//! What IAM's service last accessed report says of one principal: the services its identity
//! policies grant, when each was last used and, where IAM tracks them, the actions within.
//! The adapter (`aws::access_advisor`) converts IAM's answer into these types once.

use chrono::{DateTime, Utc};

/// One completed report (`GenerateServiceLastAccessedDetails` with `Granularity`
/// `ACTION_LEVEL`, then every page of `GetServiceLastAccessedDetails`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReport {
    /// The principal's ARN the report was generated for.
    pub arn: String,
    /// IAM's `JobCompletionDate`.
    pub completed: DateTime<Utc>,
    /// Every service the principal's identity policies grant, in IAM's order. Empty when no
    /// policy grants anything.
    pub services: Vec<ServiceAccess>,
}

/// One granted service (`ServiceLastAccessed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccess {
    /// `ServiceNamespace`, the prefix of the service's actions: `s3`.
    pub namespace: String,
    /// `ServiceName`: `Amazon S3`.
    pub name: String,
    /// `LastAuthenticated`: None when nobody used the service through this principal within
    /// IAM's tracking period.
    pub last_authenticated: Option<DateTime<Utc>>,
    /// `LastAuthenticatedRegion`.
    pub region: Option<String>,
    /// `TrackedActionsLastAccessed`. None when IAM tracks no action of the service (most
    /// services); Some when it does, each tracked action the policies grant.
    pub tracked_actions: Option<Vec<ActionAccess>>,
}

/// One tracked action (`TrackedActionLastAccessed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionAccess {
    /// The action without its service prefix: `CreateBucket`.
    pub name: String,
    /// `LastAccessedTime`: None when not used within the tracking period.
    pub last_accessed: Option<DateTime<Utc>>,
    /// `LastAccessedRegion`.
    pub region: Option<String>,
}

/// Why a principal has no report this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoReport {
    /// IAM answered `NoSuchEntity`: the principal was deleted after the account was read.
    Deleted,
    /// The job ended `FAILED`, with IAM's error code and message.
    JobFailed { code: String, message: String },
    /// The job was still `IN_PROGRESS` when the time allowed for it ran out.
    StillInProgress { waited_ms: u128 },
    /// A call failed after the SDK's retries (throttling included), named with IAM's code.
    CallFailed {
        operation: &'static str,
        code: Option<String>,
        message: String,
    },
}

impl std::fmt::Display for NoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Deleted => f.write_str("IAM no longer knows the principal (NoSuchEntity)"),
            Self::JobFailed { code, message } => {
                write!(f, "IAM's report job failed: {code}: {message}")
            }
            Self::StillInProgress { waited_ms } => {
                write!(f, "IAM's report job was still IN_PROGRESS after {waited_ms} ms")
            }
            Self::CallFailed {
                operation,
                code,
                message,
            } => write!(
                f,
                "{operation} failed: {}{message}",
                code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default()
            ),
        }
    }
}
