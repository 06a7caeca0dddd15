//! The shell for one invocation: decode, fetch, evaluate, publish. All I/O happens here or in
//! the adapters it calls; the decisions are made by the pure core.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::info;

use aws_sdk_sts::error::ProvideErrorMetadata;

use crate::aws::config_rule::{self, PublishOptions};
use crate::aws::iam;
use crate::aws::{error_message, AttemptCounter};
use crate::core::account::{self, Access};
use crate::core::evaluate::{self, Tally};
use crate::core::event;
use crate::Error;

/// Sets how many PutEvaluations calls may be in flight at once.
pub const CONCURRENCY_ENV: &str = "PUT_EVALUATIONS_CONCURRENCY";

/// The function's clients, made once at start-up with its own credentials.
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub config: aws_sdk_config::Client,
    pub sts: aws_sdk_sts::Client,
    /// Installed in every client: counts their requests and attempts.
    pub attempts: AttemptCounter,
}

impl Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let attempts = AttemptCounter::default();
        Self {
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(sdk)
                    .interceptor(attempts.clone())
                    .build(),
            ),
            config: aws_sdk_config::Client::from_conf(
                aws_sdk_config::config::Builder::from(sdk)
                    .interceptor(attempts.clone())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(sdk)
                    .interceptor(attempts.clone())
                    .build(),
            ),
            attempts,
        }
    }

    /// The IAM and Config clients for one invocation: the function's own, or new ones holding
    /// the assumed role's credentials. Built per invocation, so one account's credentials never
    /// serve another's invocation in a warm container.
    pub async fn for_access(
        &self,
        access: &Access,
    ) -> Result<(aws_sdk_iam::Client, aws_sdk_config::Client), Error> {
        let (role_arn, session_name) = match access {
            Access::Own => return Ok((self.iam.clone(), self.config.clone())),
            Access::AssumeRole {
                role_arn,
                session_name,
            } => (role_arn, session_name),
        };
        let failed = |message: String, code: Option<&str>| Error::AssumeRole {
            role_arn: role_arn.clone(),
            message,
            code: code.map(str::to_owned),
        };
        let output = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .duration_seconds(account::SESSION_SECONDS)
            .send()
            .await
            .map_err(|e| failed(error_message(&e), e.code()))?;
        let issued = output
            .credentials()
            .ok_or_else(|| failed("STS returned no credentials".to_owned(), None))?;
        let credentials = aws_sdk_iam::config::Credentials::new(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token().to_owned()),
            SystemTime::try_from(*issued.expiration()).ok(),
            "AssumeRole",
        );
        let iam = self
            .iam
            .config()
            .to_builder()
            .credentials_provider(credentials.clone())
            .build();
        let config = self
            .config
            .config()
            .to_builder()
            .credentials_provider(credentials)
            .build();
        Ok((
            aws_sdk_iam::Client::from_conf(iam),
            aws_sdk_config::Client::from_conf(config),
        ))
    }
}

/// What the runtime says about one invocation.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The clock at invocation.
    pub now: DateTime<Utc>,
    /// When Lambda will stop the function (None: no limit, as in tests).
    pub deadline: Option<Instant>,
    /// The function's own account, from its ARN.
    pub function_account: Option<String>,
}

impl Context {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now,
            ..Self::default()
        }
    }
}

/// What the function reads from its environment, once, at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `MAX_DAYS_FOR_LAST_USED`, validated with the rule parameters on each invocation.
    pub default_max_days: Option<String>,
    pub publish: PublishOptions,
    /// Time set aside for each PutEvaluations call when deciding whether publishing can still
    /// finish before the Lambda deadline.
    pub publish_time_per_call: Duration,
    /// Kept free before the deadline for the error report itself.
    pub deadline_margin: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            default_max_days: None,
            publish: PublishOptions::default(),
            publish_time_per_call: Duration::from_millis(500),
            deadline_margin: Duration::from_secs(2),
        }
    }
}

impl Settings {
    /// Reads `MAX_DAYS_FOR_LAST_USED` (validated per invocation, with the rule parameters) and
    /// `PUT_EVALUATIONS_CONCURRENCY` (1 to 16, default 4) through `get`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let defaults = Self::default();
        let limit = config_rule::MAX_CONCURRENCY as u64;
        let concurrency = crate::aws::env_number(&get, CONCURRENCY_ENV, 1..=limit)?
            .map_or(defaults.publish.concurrency, |n| n as usize);
        Ok(Self {
            default_max_days: get(crate::core::params::MAX_DAYS_ENV),
            publish: PublishOptions {
                concurrency,
                ..defaults.publish
            },
            ..defaults
        })
    }

    /// The time publishing `evaluations` is planned to take, plus the margin.
    fn publish_budget(&self, evaluations: usize) -> Duration {
        let calls = evaluations.div_ceil(config_rule::MAX_EVALUATIONS_PER_CALL);
        let rounds = calls.div_ceil(self.publish.concurrency.max(1)) as u32;
        self.publish_time_per_call * rounds + self.deadline_margin
    }
}

/// What one invocation did; logged as one line and returned as the Lambda's response.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// The account evaluated (the event's `accountId`).
    pub account_id: String,
    pub roles: usize,
    #[serde(flatten)]
    pub tally: Tally,
    pub stale_cleaned: usize,
    pub iam_pages: usize,
    pub compliance_result_pages_read: bool,
    pub put_evaluations_calls: usize,
    pub resent_evaluations: usize,
    /// Attempts the SDK made beyond the first of each request (throttling, 5xx, timeouts).
    pub sdk_retries: usize,
    pub test_mode: bool,
}

/// The Lambda context's deadline (epoch milliseconds) as a monotonic instant. A deadline that
/// is not in the future when the event arrives is not a real one (0 when unset; cargo-lambda's
/// emulator sends a fixed 600000): it counts as unknown.
pub fn deadline_instant(deadline_epoch_ms: u64, now: SystemTime) -> Option<Instant> {
    let now_ms = now.duration_since(UNIX_EPOCH).ok()?.as_millis();
    let left_ms = u128::from(deadline_epoch_ms)
        .checked_sub(now_ms)
        .filter(|ms| *ms > 0)?;
    Some(Instant::now() + Duration::from_millis(u64::try_from(left_ms).ok()?))
}

/// Runs one invocation. `now` is the clock at invocation; `deadline` is when Lambda will stop
/// the function (None: no limit, as in tests).
pub async fn handle(
    payload: &Value,
    clients: &Clients,
    settings: &Settings,
    context: &Context,
) -> Result<Summary, Error> {
    let (now, deadline) = (context.now, context.deadline);
    let invocation = event::decode(payload, settings.default_max_days.as_deref())?;
    let access = account::choose(&invocation, context.function_account.as_deref())?;
    let attempts_at_start = clients.attempts.read();
    let test_mode = invocation.result_token.is_test_mode();
    let (iam_client, config_client) = clients.for_access(&access).await?;

    // Reading stops early enough to leave time for at least one PutEvaluations call and the
    // error report; the budget is checked again once the number of evaluations is known.
    let read = async {
        let fetched = iam::fetch_roles(&iam_client).await?;
        // Only after a complete fetch may a missing role be taken as deleted. TESTMODE runs
        // have no stored results to clean.
        let recorded = if test_mode {
            Vec::new()
        } else {
            config_rule::recorded_resource_ids(&config_client, &invocation.rule_name).await?
        };
        Ok::<_, Error>((fetched, recorded))
    };
    let (fetched, recorded) = match deadline {
        None => read.await?,
        Some(deadline) => {
            let reserve = settings.publish_budget(1);
            let stop_at = deadline.checked_sub(reserve).unwrap_or_else(Instant::now);
            tokio::time::timeout_at(stop_at.into(), read)
                .await
                .map_err(|_| Error::DeadlineTooClose {
                    stage: "reading roles from IAM and the rule's results from Config".to_owned(),
                    detail: format!(
                        "stopped {} ms before the deadline to leave time to report",
                        reserve.as_millis()
                    ),
                })??
        }
    };

    let mut evaluations = evaluate::evaluate(&fetched.roles, &invocation.params, now);
    let tally = Tally::of(&evaluations);
    let stale = evaluate::stale_evaluations(
        &fetched.roles,
        recorded.iter().map(String::as_str),
        &invocation.params,
    );
    let stale_cleaned = stale.len();
    evaluations.extend(stale);

    if let Some(deadline) = deadline {
        let needed = settings.publish_budget(evaluations.len());
        let left = deadline.saturating_duration_since(Instant::now());
        if left < needed {
            return Err(Error::DeadlineTooClose {
                stage: "publishing".to_owned(),
                detail: format!(
                    "{} roles read in {} IAM pages and {} evaluations ready, but {} ms are left \
                     and sending them is budgeted at {} ms",
                    fetched.roles.len(),
                    fetched.pages,
                    evaluations.len(),
                    left.as_millis(),
                    needed.as_millis()
                ),
            });
        }
    }

    let report = config_rule::publish(
        &config_client,
        &evaluations,
        invocation.ordering_timestamp,
        &invocation.result_token,
        settings.publish,
    )
    .await?;

    let summary = Summary {
        account_id: invocation.account_id.clone(),
        roles: fetched.roles.len(),
        tally,
        stale_cleaned,
        iam_pages: fetched.pages,
        compliance_result_pages_read: !test_mode,
        put_evaluations_calls: report.calls,
        resent_evaluations: report.resent_evaluations,
        sdk_retries: clients.attempts.read().retries_since(attempts_at_start),
        test_mode,
    };
    info!(
        rule = %invocation.rule_name,
        account_id = %invocation.account_id,
        roles = summary.roles,
        compliant = tally.compliant,
        non_compliant = tally.non_compliant,
        not_applicable = tally.not_applicable,
        stale_cleaned,
        iam_pages = summary.iam_pages,
        put_evaluations_calls = summary.put_evaluations_calls,
        resent_evaluations = summary.resent_evaluations,
        sdk_retries = summary.sdk_retries,
        test_mode,
        "evaluation complete"
    );
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_the_environment() {
        let read = |vars: &'static [(&'static str, &'static str)]| {
            Settings::from_env(|name| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            })
        };
        let defaults = read(&[]).unwrap();
        assert_eq!(
            (defaults.default_max_days, defaults.publish.concurrency),
            (None, 4)
        );
        let tuned = read(&[
            ("MAX_DAYS_FOR_LAST_USED", "90"),
            ("PUT_EVALUATIONS_CONCURRENCY", "8"),
        ])
        .unwrap();
        assert_eq!(
            (tuned.default_max_days.as_deref(), tuned.publish.concurrency),
            (Some("90"), 8)
        );
        for bad in ["0", "17", "four"] {
            let vars: &'static [(&str, &str)] =
                Box::leak(Box::new([("PUT_EVALUATIONS_CONCURRENCY", bad)]));
            assert_eq!(
                read(vars).unwrap_err(),
                format!("PUT_EVALUATIONS_CONCURRENCY={bad:?} is not a whole number from 1 to 16")
            );
        }
    }

    #[test]
    fn deadline_from_the_lambda_context() {
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let now_ms = 1_767_225_600_000;
        assert_eq!(deadline_instant(0, now), None, "no deadline set");
        let left = |ms: u64| {
            deadline_instant(ms, now)
                .unwrap()
                .saturating_duration_since(Instant::now())
        };
        let in_five_minutes = left(now_ms + 300_000);
        assert!(
            in_five_minutes > Duration::from_secs(299)
                && in_five_minutes <= Duration::from_secs(300)
        );
        assert_eq!(
            deadline_instant(now_ms - 1_000, now),
            None,
            "a past deadline is no deadline"
        );
        assert_eq!(
            deadline_instant(600_000, now),
            None,
            "cargo-lambda's fixed value"
        );
    }
}
