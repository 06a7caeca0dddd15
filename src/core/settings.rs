//! Every setting either binary reads from its environment, parsed once at start-up through a
//! getter (normally `std::env::var`), with one error type: [`Error::InvalidSetting`] names the
//! variable and its value.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::core::params::MAX_DAYS_ENV;
use crate::Error;

/// Attempts per request, the first included. IAM throttles GetAccountAuthorizationDetails
/// hard in large accounts; eight attempts with backoff up to 20 s ride out a burst.
pub const MAX_ATTEMPTS: u32 = 8;
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// One HTTP attempt. A page of 1 000 roles with large inline policies is a few MB.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// One request including its retries.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);

pub const MAX_ATTEMPTS_ENV: &str = "SDK_MAX_ATTEMPTS";
pub const INITIAL_BACKOFF_ENV: &str = "SDK_INITIAL_BACKOFF_MS";
pub const MAX_BACKOFF_ENV: &str = "SDK_MAX_BACKOFF_MS";
pub const ATTEMPT_TIMEOUT_ENV: &str = "SDK_ATTEMPT_TIMEOUT_MS";
pub const OPERATION_TIMEOUT_ENV: &str = "SDK_OPERATION_TIMEOUT_MS";
/// Sets how many PutEvaluations calls may be in flight at once.
pub const CONCURRENCY_ENV: &str = "PUT_EVALUATIONS_CONCURRENCY";

/// AWS does not publish a PutEvaluations rate; four calls in flight cut the publishing time of
/// a 5 000-role account fourfold, and the SDK's retries absorb any throttling.
pub const DEFAULT_CONCURRENCY: usize = 4;
pub const MAX_CONCURRENCY: usize = 16;

/// The SDK's retry and timeout numbers (both binaries). The defaults are the constants above;
/// each can be changed through an environment variable, which tests use to make fault
/// scenarios fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
}

impl Default for SdkPolicy {
    fn default() -> Self {
        Self {
            max_attempts: MAX_ATTEMPTS,
            initial_backoff: INITIAL_BACKOFF,
            max_backoff: MAX_BACKOFF,
            attempt_timeout: ATTEMPT_TIMEOUT,
            operation_timeout: OPERATION_TIMEOUT,
        }
    }
}

impl SdkPolicy {
    /// Whole numbers: attempts 1 to 20, times in milliseconds from 1 to 900 000.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let millis = |name: &str, default: Duration| -> Result<Duration, Error> {
            Ok(env_number(&get, name, 1..=900_000)?.map_or(default, Duration::from_millis))
        };
        let defaults = Self::default();
        Ok(Self {
            max_attempts: env_number(&get, MAX_ATTEMPTS_ENV, 1..=20)?
                .map_or(defaults.max_attempts, |n| n as u32),
            initial_backoff: millis(INITIAL_BACKOFF_ENV, defaults.initial_backoff)?,
            max_backoff: millis(MAX_BACKOFF_ENV, defaults.max_backoff)?,
            attempt_timeout: millis(ATTEMPT_TIMEOUT_ENV, defaults.attempt_timeout)?,
            operation_timeout: millis(OPERATION_TIMEOUT_ENV, defaults.operation_timeout)?,
        })
    }
}

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

/// How evaluations are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishOptions {
    pub retry: FailedEvaluationRetry,
    /// PutEvaluations calls in flight at once.
    pub concurrency: usize,
}

impl Default for PublishOptions {
    fn default() -> Self {
        Self {
            retry: FailedEvaluationRetry::default(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// `RULE_KIND`: which rule a function is. One binary serves every rule; each rule runs as its
/// own function, so each keeps its own least-privilege role.
pub const RULE_KIND_ENV: &str = "RULE_KIND";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RuleKind {
    /// Unused IAM roles (`AWS::IAM::Role`).
    #[default]
    Roles,
    /// IAM users' unused console passwords and access keys (`AWS::IAM::User`).
    Users,
    /// Services roles and users are granted and do not use (`AWS::IAM::Role`, `AWS::IAM::User`).
    Permissions,
}

impl RuleKind {
    pub const ALL: [RuleKind; 3] = [RuleKind::Roles, RuleKind::Users, RuleKind::Permissions];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Roles => "roles",
            Self::Users => "users",
            Self::Permissions => "permissions",
        }
    }

    /// Exact, lower case: `roles`, `users` or `permissions`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// What the Lambda function reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `RULE_KIND`, `roles` when unset.
    pub rule_kind: RuleKind,
    pub sdk: SdkPolicy,
    /// `MAX_DAYS_FOR_LAST_USED`, validated with the rule parameters on each invocation.
    pub default_max_days: Option<String>,
    pub publish: PublishOptions,
    /// Time set aside for each PutEvaluations call when deciding whether publishing can still
    /// finish before the Lambda deadline.
    pub publish_time_per_call: Duration,
    /// Kept free before the deadline for the error report itself.
    pub deadline_margin: Duration,
    pub checks: CheckSettings,
    /// `NOTIFICATION_TOPIC_ARN`: where the digest of each run that changed something goes;
    /// None (unset or empty): no digest.
    pub notification_topic: Option<TopicArn>,
}

/// `NOTIFICATION_TOPIC_ARN`: the SNS topic the function publishes its digests to.
pub const NOTIFICATION_TOPIC_ENV: &str = "NOTIFICATION_TOPIC_ARN";

/// An SNS standard topic's ARN, `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, checked once at
/// start-up so a typo fails the deploy's first run, not each digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn(String);

impl TopicArn {
    /// Why `text` is not a standard topic's ARN, or the ARN.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, service, region, account, name] = parts[..] else {
            return Err("is not an ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME)".to_owned());
        };
        let lower = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if arn != "arn" || !partition.starts_with("aws") || !lower(partition) {
            return Err("is not an ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME)".to_owned());
        }
        if service != "sns" {
            return Err(format!("names the service {service:?}, not sns"));
        }
        if !lower(region) {
            return Err("has no Region".to_owned());
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err("has no 12-digit account id".to_owned());
        }
        if name.ends_with(".fifo") {
            return Err(
                "is a FIFO topic, which needs a message group id: give a standard topic".to_owned(),
            );
        }
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || name.len() > 256 || !name.chars().all(valid) {
            return Err("has no topic name (1 to 256 letters, digits, - and _)".to_owned());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TopicArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `ACCESS_REPORTS_CONCURRENCY`: IAM report jobs in flight at once (permissions rule).
pub const ACCESS_REPORTS_CONCURRENCY_ENV: &str = "ACCESS_REPORTS_CONCURRENCY";
/// `CHECK_BUDGET_SECONDS`: the longest a permissions run spends checking principals.
pub const CHECK_BUDGET_ENV: &str = "CHECK_BUDGET_SECONDS";
/// `ACCESS_REPORT_POLL_MS`: the first wait, and the step, of polling a report job.
pub const ACCESS_REPORT_POLL_ENV: &str = "ACCESS_REPORT_POLL_MS";
/// IAM publishes no rate for its report jobs and throttles account-wide (the console and every
/// other tool share the limit); peers keep 5 or fewer in flight.
pub const DEFAULT_ACCESS_REPORTS_CONCURRENCY: usize = 4;
pub const MAX_ACCESS_REPORTS_CONCURRENCY: usize = 16;
/// Lambda's longest timeout.
pub const MAX_CHECK_BUDGET_SECONDS: u64 = 900;
/// Kept free after checking, beyond the planned publishing time, for what the plan cannot
/// foresee (a slow Config, retries).
pub const CHECK_SAFETY_MARGIN: Duration = Duration::from_secs(20);

/// How the permissions rule spends a run on IAM's report jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSettings {
    pub concurrency: usize,
    /// None: check until the deadline leaves just the time to publish.
    pub budget: Option<Duration>,
    pub poll_interval: Duration,
}

impl Default for CheckSettings {
    fn default() -> Self {
        Self {
            concurrency: DEFAULT_ACCESS_REPORTS_CONCURRENCY,
            budget: None,
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rule_kind: RuleKind::default(),
            sdk: SdkPolicy::default(),
            default_max_days: None,
            publish: PublishOptions::default(),
            publish_time_per_call: Duration::from_millis(500),
            deadline_margin: Duration::from_secs(2),
            checks: CheckSettings::default(),
            notification_topic: None,
        }
    }
}

impl Settings {
    /// `RULE_KIND`, the SDK policy, `MAX_DAYS_FOR_LAST_USED` (kept as text: validated per invocation, with
    /// the rule parameters) and `PUT_EVALUATIONS_CONCURRENCY` (1 to 16, default 4).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let defaults = Self::default();
        let limit = MAX_CONCURRENCY as u64;
        let concurrency = env_number(&get, CONCURRENCY_ENV, 1..=limit)?
            .map_or(defaults.publish.concurrency, |n| n as usize);
        let rule_kind = match get(RULE_KIND_ENV) {
            None => RuleKind::default(),
            Some(text) => RuleKind::parse(&text).ok_or_else(|| Error::InvalidSetting {
                name: RULE_KIND_ENV.to_owned(),
                message: format!(
                    "is not one of {}",
                    RuleKind::ALL
                        .map(|k| format!("{:?}", k.as_str()))
                        .join(", ")
                ),
                value: text,
            })?,
        };
        let checks = CheckSettings {
            concurrency: env_number(
                &get,
                ACCESS_REPORTS_CONCURRENCY_ENV,
                1..=MAX_ACCESS_REPORTS_CONCURRENCY as u64,
            )?
            .map_or(defaults.checks.concurrency, |n| n as usize),
            budget: env_number(&get, CHECK_BUDGET_ENV, 1..=MAX_CHECK_BUDGET_SECONDS)?
                .map(Duration::from_secs),
            poll_interval: env_number(&get, ACCESS_REPORT_POLL_ENV, 10..=60_000)?
                .map_or(defaults.checks.poll_interval, Duration::from_millis),
        };
        let notification_topic = match get(NOTIFICATION_TOPIC_ENV) {
            Some(text) if !text.trim().is_empty() => Some(TopicArn::parse(&text).map_err(
                |message| Error::InvalidSetting {
                    name: NOTIFICATION_TOPIC_ENV.to_owned(),
                    value: text.clone(),
                    message,
                },
            )?),
            _ => None,
        };
        Ok(Self {
            rule_kind,
            checks,
            notification_topic,
            sdk: SdkPolicy::from_env(&get)?,
            default_max_days: get(MAX_DAYS_ENV),
            publish: PublishOptions {
                concurrency,
                ..defaults.publish
            },
            ..defaults
        })
    }
}

/// A whole number in `range` from the variable `name`, or None when it is unset.
fn env_number(
    get: impl Fn(&str) -> Option<String>,
    name: &str,
    range: RangeInclusive<u64>,
) -> Result<Option<u64>, Error> {
    let Some(text) = get(name) else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(Error::InvalidSetting {
            name: name.to_owned(),
            message: format!(
                "is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
            value: text,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Settings, Error> {
        Settings::from_env(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn unset_variables_give_the_defaults() {
        let settings = from(&[]).unwrap();
        assert_eq!(settings.rule_kind, RuleKind::Roles);
        assert_eq!(settings.default_max_days, None);
        assert_eq!(settings.publish.concurrency, 4);
        assert_eq!(settings.sdk, SdkPolicy::default());
        assert_eq!(settings.sdk.max_attempts, 8);
        assert_eq!(settings.sdk.attempt_timeout, Duration::from_secs(30));
        assert_eq!(
            settings.checks,
            CheckSettings {
                concurrency: 4,
                budget: None,
                poll_interval: Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn every_variable_is_read() {
        let settings = from(&[
            ("MAX_DAYS_FOR_LAST_USED", "90"),
            ("PUT_EVALUATIONS_CONCURRENCY", "8"),
            ("SDK_MAX_ATTEMPTS", "3"),
            ("SDK_INITIAL_BACKOFF_MS", "5"),
            ("SDK_MAX_BACKOFF_MS", "50"),
            ("SDK_ATTEMPT_TIMEOUT_MS", "700"),
            ("SDK_OPERATION_TIMEOUT_MS", "2000"),
            ("ACCESS_REPORTS_CONCURRENCY", "2"),
            ("CHECK_BUDGET_SECONDS", "120"),
            ("ACCESS_REPORT_POLL_MS", "50"),
        ])
        .unwrap();
        assert_eq!(
            settings.checks,
            CheckSettings {
                concurrency: 2,
                budget: Some(Duration::from_secs(120)),
                poll_interval: Duration::from_millis(50)
            }
        );
        assert_eq!(settings.default_max_days.as_deref(), Some("90"));
        assert_eq!(settings.publish.concurrency, 8);
        assert_eq!(
            settings.sdk,
            SdkPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(50),
                attempt_timeout: Duration::from_millis(700),
                operation_timeout: Duration::from_secs(2),
            }
        );
    }

    #[test]
    fn a_bad_value_names_the_variable_the_value_and_the_range() {
        let cases = [
            ("PUT_EVALUATIONS_CONCURRENCY", "0", "from 1 to 16"),
            ("PUT_EVALUATIONS_CONCURRENCY", "17", "from 1 to 16"),
            ("PUT_EVALUATIONS_CONCURRENCY", "four", "from 1 to 16"),
            ("SDK_MAX_ATTEMPTS", "21", "from 1 to 20"),
            ("SDK_MAX_ATTEMPTS", "0", "from 1 to 20"),
            ("SDK_ATTEMPT_TIMEOUT_MS", "900001", "from 1 to 900000"),
            ("SDK_INITIAL_BACKOFF_MS", "-1", "from 1 to 900000"),
            ("ACCESS_REPORTS_CONCURRENCY", "17", "from 1 to 16"),
            ("CHECK_BUDGET_SECONDS", "901", "from 1 to 900"),
            ("CHECK_BUDGET_SECONDS", "0", "from 1 to 900"),
            ("ACCESS_REPORT_POLL_MS", "5", "from 10 to 60000"),
        ];
        for (name, value, range) in cases {
            let error = from(&[(name, value)]).unwrap_err();
            assert_eq!(error.error_type(), "InvalidSetting");
            assert_eq!(
                error.to_string(),
                format!("invalid setting: {name}={value:?} is not a whole number {range}")
            );
        }
        for (name, edge) in [
            ("PUT_EVALUATIONS_CONCURRENCY", "16"),
            ("SDK_MAX_ATTEMPTS", "20"),
        ] {
            assert!(from(&[(name, edge)]).is_ok(), "{name}={edge} is in range");
        }
    }

    #[test]
    fn the_notification_topic_is_a_standard_sns_topic_arn_or_nothing() {
        let arn = "arn:aws:sns:eu-west-1:123456789012:role-digest_1";
        assert_eq!(
            from(&[("NOTIFICATION_TOPIC_ARN", arn)])
                .unwrap()
                .notification_topic
                .map(|t| t.to_string()),
            Some(arn.to_owned())
        );
        assert_eq!(
            from(&[(
                "NOTIFICATION_TOPIC_ARN",
                "arn:aws-us-gov:sns:us-gov-west-1:123456789012:t"
            )])
            .unwrap()
            .notification_topic
            .map(|t| t.to_string()),
            Some("arn:aws-us-gov:sns:us-gov-west-1:123456789012:t".to_owned())
        );
        for off in [None, Some(""), Some("  ")] {
            let vars: Vec<(&str, &str)> = off
                .map(|v| ("NOTIFICATION_TOPIC_ARN", v))
                .into_iter()
                .collect();
            assert_eq!(from(&vars).unwrap().notification_topic, None, "{off:?}");
        }
        for (bad, why) in [
            (
                "my-topic",
                "is not an ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME)",
            ),
            (
                "arn:aws:sqs:eu-west-1:123456789012:q",
                "names the service \"sqs\", not sns",
            ),
            ("arn:aws:sns::123456789012:t", "has no Region"),
            ("arn:aws:sns:eu-west-1:1234:t", "has no 12-digit account id"),
            (
                "arn:aws:sns:eu-west-1:123456789012:",
                "has no topic name (1 to 256 letters, digits, - and _)",
            ),
            (
                "arn:aws:sns:eu-west-1:123456789012:a:b",
                "has no topic name (1 to 256 letters, digits, - and _)",
            ),
            (
                "arn:aws:sns:eu-west-1:123456789012:t.fifo",
                "is a FIFO topic, which needs a message group id: give a standard topic",
            ),
        ] {
            let error = from(&[("NOTIFICATION_TOPIC_ARN", bad)]).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("invalid setting: NOTIFICATION_TOPIC_ARN={bad:?} {why}"),
            );
        }
        let long = format!("arn:aws:sns:eu-west-1:123456789012:{}", "t".repeat(257));
        assert!(from(&[("NOTIFICATION_TOPIC_ARN", &long)]).is_err());
    }

    #[test]
    fn rule_kind_is_roles_users_or_permissions_exactly() {
        assert_eq!(
            from(&[("RULE_KIND", "roles")]).unwrap().rule_kind,
            RuleKind::Roles
        );
        assert_eq!(
            from(&[("RULE_KIND", "users")]).unwrap().rule_kind,
            RuleKind::Users
        );
        assert_eq!(
            from(&[("RULE_KIND", "permissions")]).unwrap().rule_kind,
            RuleKind::Permissions
        );
        for bad in ["Users", "user", " users", "", "permission"] {
            let error = from(&[("RULE_KIND", bad)]).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("invalid setting: RULE_KIND={bad:?} is not one of \"roles\", \"users\", \"permissions\""),
                "{bad:?}"
            );
        }
    }
}
