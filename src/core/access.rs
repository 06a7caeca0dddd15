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
                write!(
                    f,
                    "IAM's report job was still IN_PROGRESS after {waited_ms} ms"
                )
            }
            Self::CallFailed {
                operation,
                code,
                message,
            } => write!(
                f,
                "{operation} failed: {}{message}",
                code.as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default()
            ),
        }
    }
}

/// How a report reads against a threshold: the services used within it and those not, and the
/// tracked actions of the used services that were not. One split serves the rule's verdict and
/// role-audit's table and suggested policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage<'a> {
    pub used: Vec<&'a ServiceAccess>,
    /// Not used within the threshold, sorted by namespace.
    pub unused: Vec<&'a ServiceAccess>,
    /// Tracked actions of the used services, and of those the ones not used within the
    /// threshold (as `namespace:Action`, sorted).
    pub tracked_actions_of_used: usize,
    pub unused_actions_of_used: Vec<String>,
}

/// Splits `report` at `max_days` whole days before `now`: a service or action is used when
/// IAM recorded a use at most `max_days` days ago.
pub fn usage(report: &AccessReport, now: DateTime<Utc>, max_days: u32) -> Usage<'_> {
    let within = |at: Option<DateTime<Utc>>| {
        at.is_some_and(|at| crate::core::evaluate::whole_days(at, now) <= i64::from(max_days))
    };
    let (used, mut unused): (Vec<&ServiceAccess>, Vec<&ServiceAccess>) = report
        .services
        .iter()
        .partition(|s| within(s.last_authenticated));
    unused.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    let mut tracked_actions_of_used = 0;
    let mut unused_actions_of_used = Vec::new();
    for service in &used {
        for action in service.tracked_actions.iter().flatten() {
            tracked_actions_of_used += 1;
            if !within(action.last_accessed) {
                unused_actions_of_used.push(format!("{}:{}", service.namespace, action.name));
            }
        }
    }
    unused_actions_of_used.sort();
    Usage {
        used,
        unused,
        tracked_actions_of_used,
        unused_actions_of_used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn service(namespace: &str, last: Option<DateTime<Utc>>) -> ServiceAccess {
        ServiceAccess {
            namespace: namespace.to_owned(),
            name: format!("Service {namespace}"),
            last_authenticated: last,
            region: last.map(|_| "us-east-1".to_owned()),
            tracked_actions: None,
        }
    }

    fn action(name: &str, last: Option<DateTime<Utc>>) -> ActionAccess {
        ActionAccess {
            name: name.to_owned(),
            last_accessed: last,
            region: None,
        }
    }

    #[test]
    fn services_split_at_the_threshold_in_whole_days_and_actions_count_only_in_used_services() {
        let now = at(2026, 6, 1);
        let mut s3 = service("s3", Some(at(2026, 3, 3))); // 90 days before: used
        s3.tracked_actions = Some(vec![
            action("GetObject", Some(at(2026, 5, 1))),
            action("PutObject", Some(at(2026, 3, 2))), // 91 days: unused
            action("DeleteBucket", None),
        ]);
        let mut ec2 = service("ec2", None);
        ec2.tracked_actions = Some(vec![action("RunInstances", None)]);
        let report = AccessReport {
            arn: "arn:aws:iam::123456789012:role/app".to_owned(),
            completed: now,
            services: vec![
                service("sqs", Some(at(2026, 3, 2))),
                s3,
                ec2,
                service("dynamodb", None),
            ],
        };
        let usage = usage(&report, now, 90);
        let names =
            |list: &[&ServiceAccess]| list.iter().map(|s| s.namespace.clone()).collect::<Vec<_>>();
        assert_eq!(names(&usage.used), ["s3"]);
        assert_eq!(names(&usage.unused), ["dynamodb", "ec2", "sqs"]);
        assert_eq!(usage.tracked_actions_of_used, 3);
        assert_eq!(
            usage.unused_actions_of_used,
            ["s3:DeleteBucket", "s3:PutObject"]
        );
    }
}
