//! The shell for one invocation: decode, reach the account, read, evaluate, clean up, publish.
//! All I/O happens here or in the adapters it calls; the decisions are made by the pure core.

mod clients;
pub mod diagnostic;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::info;

pub use clients::Clients;

use crate::aws::{config_rule, iam};
use crate::core::deadline::Budget;
use crate::core::evaluate::{self, Tally};
use crate::core::results::{self, ResourceType};
use crate::core::settings::Settings;
use crate::core::{account, event};
use crate::Error;

/// The Config resource types the roles rule reports on: the only results it cleans up.
pub const ROLE_RULE_TYPES: [ResourceType; 1] = [ResourceType::IamRole];

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

    fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
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

impl Summary {
    /// One log line with every figure as a field.
    fn log(&self, rule: &str) {
        info!(
            rule,
            account_id = %self.account_id,
            roles = self.roles,
            compliant = self.tally.compliant,
            non_compliant = self.tally.non_compliant,
            not_applicable = self.tally.not_applicable,
            stale_cleaned = self.stale_cleaned,
            iam_pages = self.iam_pages,
            put_evaluations_calls = self.put_evaluations_calls,
            resent_evaluations = self.resent_evaluations,
            sdk_retries = self.sdk_retries,
            test_mode = self.test_mode,
            "evaluation complete"
        );
    }
}

fn budget(settings: &Settings) -> Budget {
    Budget {
        time_per_call: settings.publish_time_per_call,
        margin: settings.deadline_margin,
        concurrency: settings.publish.concurrency,
    }
}

/// Runs `work` if it finishes before the reading budget runs out.
async fn within_reading_budget<T>(
    work: impl std::future::Future<Output = Result<T, Error>>,
    budget: Budget,
    context: &Context,
) -> Result<T, Error> {
    let Some(left) = context.time_left() else {
        return work.await;
    };
    tokio::time::timeout(budget.reading(left), work)
        .await
        .map_err(|_| Error::DeadlineTooClose {
            stage: "reading roles from IAM and the rule's results from Config".to_owned(),
            detail: format!(
                "stopped {} ms before the deadline to leave time to report",
                budget.publishing(1).as_millis()
            ),
        })?
}

/// Runs one invocation.
pub async fn handle(
    payload: &Value,
    clients: &Clients,
    settings: &Settings,
    context: &Context,
) -> Result<Summary, Error> {
    let invocation = event::decode(payload, settings.default_max_days.as_deref())?;
    let access = account::choose(&invocation, context.function_account.as_deref())?;
    let attempts_at_start = clients.attempts.read();
    let test_mode = invocation.result_token.is_test_mode();
    let (iam_client, config_client) = clients.for_access(&access).await?;
    let budget = budget(settings);

    // Only after a complete read may a resource missing from it be taken as deleted. TESTMODE
    // runs have no stored results to clean.
    let read = async {
        let fetched = iam::fetch_roles(&iam_client).await?;
        let recorded = if test_mode {
            Vec::new()
        } else {
            config_rule::results_to_clean_up(
                &config_client,
                &invocation.rule_name,
                &ROLE_RULE_TYPES,
            )
            .await?
        };
        Ok((fetched, recorded))
    };
    let (fetched, recorded) = within_reading_budget(read, budget, context).await?;

    let mut evaluations = evaluate::evaluate(&fetched.roles, &invocation.params, context.now);
    let tally = Tally::of(&evaluations);
    let live = evaluations
        .iter()
        .map(|e| (e.resource_type, e.resource_id.as_str()));
    let vanished = results::vanished(live, &recorded, &ROLE_RULE_TYPES);
    let clean_up = evaluate::clean_up_evaluations(&vanished);
    let stale_cleaned = clean_up.len();
    evaluations.extend(clean_up);

    if let Some(left) = context.time_left() {
        budget
            .check_publishing(evaluations.len(), left)
            .map_err(|needed| Error::DeadlineTooClose {
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
            })?;
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
    summary.log(&invocation.rule_name);
    Ok(summary)
}
