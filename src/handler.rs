//! The shell for one invocation: decode, fetch, evaluate, publish. All I/O happens here or in
//! the adapters it calls; the decisions are made by the pure core.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::info;

use crate::config_rule::{self, FailedEvaluationRetry};
use crate::evaluate::{self, Tally};
use crate::event;
use crate::iam;
use crate::Error;

pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub config: aws_sdk_config::Client,
}

impl Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            iam: aws_sdk_iam::Client::new(sdk),
            config: aws_sdk_config::Client::new(sdk),
        }
    }
}

/// What the function reads from its environment, once, at start-up.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `MAX_DAYS_FOR_LAST_USED`, validated with the rule parameters on each invocation.
    pub default_max_days: Option<String>,
    pub failed_evaluation_retry: FailedEvaluationRetry,
}

impl Settings {
    pub fn from_env() -> Self {
        Self {
            default_max_days: std::env::var(crate::params::MAX_DAYS_ENV).ok(),
            failed_evaluation_retry: FailedEvaluationRetry::default(),
        }
    }
}

/// What one invocation did; logged as one line and returned as the Lambda's response.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub roles: usize,
    #[serde(flatten)]
    pub tally: Tally,
    pub stale_cleaned: usize,
    pub iam_pages: usize,
    pub compliance_result_pages_read: bool,
    pub put_evaluations_calls: usize,
    pub resent_evaluations: usize,
    pub test_mode: bool,
}

pub async fn handle(
    payload: &Value,
    clients: &Clients,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Summary, Error> {
    let invocation = event::decode(payload, settings.default_max_days.as_deref())?;
    let test_mode = invocation.result_token.is_test_mode();

    let fetched = iam::fetch_roles(&clients.iam).await?;
    let mut evaluations = evaluate::evaluate(&fetched.roles, &invocation.params, now);
    let tally = Tally::of(&evaluations);

    // Only after a complete fetch may a missing role be taken as deleted. TESTMODE runs (and
    // rule names Config does not know, as in local tests) have no stored results to clean.
    let stale = if test_mode {
        Vec::new()
    } else {
        let recorded =
            config_rule::recorded_resource_ids(&clients.config, &invocation.rule_name).await?;
        evaluate::stale_evaluations(
            &fetched.roles,
            recorded.iter().map(String::as_str),
            &invocation.params,
        )
    };
    let stale_cleaned = stale.len();
    evaluations.extend(stale);

    let report = config_rule::publish(
        &clients.config,
        &evaluations,
        invocation.ordering_timestamp,
        &invocation.result_token,
        settings.failed_evaluation_retry,
    )
    .await?;

    let summary = Summary {
        roles: fetched.roles.len(),
        tally,
        stale_cleaned,
        iam_pages: fetched.pages,
        compliance_result_pages_read: !test_mode,
        put_evaluations_calls: report.calls,
        resent_evaluations: report.resent_evaluations,
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
        test_mode,
        "evaluation complete"
    );
    Ok(summary)
}
