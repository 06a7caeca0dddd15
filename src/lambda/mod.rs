//! The shell for one invocation of any rule: decode, reach the account, read, evaluate, clean
//! up, publish.
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
use crate::core::evaluate::{self, Evaluation, Tally};
use crate::core::params::RuleParameters;
use crate::core::results::{self, ResourceType};
use crate::core::role::Role;
use crate::core::settings::Settings;
use crate::core::{account, event};
use crate::Error;

/// What a rule brings to the shell: how to read its principals completely and how to judge
/// them. Decoding, reaching the account, the clean-up, the deadline and publishing are the
/// shell's, the same for every rule.
pub trait Rule {
    type Principal;
    /// The resource types the rule reports on: the clean-up touches no others.
    const RESOURCE_TYPES: &'static [ResourceType];
    /// What the principals are called in messages, plural.
    const PRINCIPALS: &'static str;

    /// Every principal of the account. Fails as a whole if any page fails: a partial read would
    /// make live principals look deleted.
    fn read(
        iam: &aws_sdk_iam::Client,
    ) -> impl std::future::Future<Output = Result<Read<Self::Principal>, Error>> + Send;

    /// One evaluation per principal (pure).
    fn evaluate(
        principals: &[Self::Principal],
        params: &RuleParameters,
        now: DateTime<Utc>,
    ) -> Vec<Evaluation>;
}

/// The principals a rule read, and in how many pages.
pub struct Read<P> {
    pub principals: Vec<P>,
    pub pages: usize,
}

/// The rule on IAM roles' last use.
pub struct Roles;

impl Rule for Roles {
    type Principal = Role;
    const RESOURCE_TYPES: &'static [ResourceType] = evaluate::RESOURCE_TYPES;
    const PRINCIPALS: &'static str = "roles";

    async fn read(iam: &aws_sdk_iam::Client) -> Result<Read<Role>, Error> {
        let fetched = iam::fetch_roles(iam).await?;
        Ok(Read {
            principals: fetched.roles,
            pages: fetched.pages,
        })
    }

    fn evaluate(roles: &[Role], params: &RuleParameters, now: DateTime<Utc>) -> Vec<Evaluation> {
        evaluate::evaluate(roles, params, now)
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
    principals: &str,
    budget: Budget,
    context: &Context,
) -> Result<T, Error> {
    let Some(left) = context.time_left() else {
        return work.await;
    };
    tokio::time::timeout(budget.reading(left), work)
        .await
        .map_err(|_| Error::DeadlineTooClose {
            stage: format!("reading {principals} from IAM and the rule's results from Config"),
            detail: format!(
                "stopped {} ms before the deadline to leave time to report",
                budget.publishing(1).as_millis()
            ),
        })?
}

/// Runs one invocation of the roles rule.
pub async fn handle(
    payload: &Value,
    clients: &Clients,
    settings: &Settings,
    context: &Context,
) -> Result<Summary, Error> {
    handle_rule::<Roles>(payload, clients, settings, context).await
}

/// Runs one invocation of rule `R`.
pub async fn handle_rule<R: Rule>(
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
        let fetched = R::read(&iam_client).await?;
        let recorded = if test_mode {
            Vec::new()
        } else {
            config_rule::results_to_clean_up(
                &config_client,
                &invocation.rule_name,
                R::RESOURCE_TYPES,
            )
            .await?
        };
        Ok((fetched, recorded))
    };
    let (fetched, recorded) = within_reading_budget(read, R::PRINCIPALS, budget, context).await?;

    let mut evaluations = R::evaluate(&fetched.principals, &invocation.params, context.now);
    let tally = Tally::of(&evaluations);
    let live = evaluations
        .iter()
        .map(|e| (e.resource_type, e.resource_id.as_str()));
    let vanished = results::vanished(live, &recorded, R::RESOURCE_TYPES);
    let clean_up = evaluate::clean_up_evaluations(&vanished);
    let stale_cleaned = clean_up.len();
    evaluations.extend(clean_up);

    if let Some(left) = context.time_left() {
        budget
            .check_publishing(evaluations.len(), left)
            .map_err(|needed| Error::DeadlineTooClose {
                stage: "publishing".to_owned(),
                detail: format!(
                    "{} {} read in {} IAM pages and {} evaluations ready, but {} ms are left \
                     and sending them is budgeted at {} ms",
                    fetched.principals.len(),
                    R::PRINCIPALS,
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
        roles: fetched.principals.len(),
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
