//! The shell for one invocation of any rule: decode, reach the account, read, evaluate, clean
//! up, publish.
//! All I/O happens here or in the adapters it calls; the decisions are made by the pure core.

mod clients;
pub mod diagnostic;
pub mod permissions;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::time::Instant;
use tracing::{error, info};

pub use clients::Clients;

use crate::aws::{access_advisor, config_rule, credential_report, iam, sns};
use crate::core::deadline::{checking_time, Budget};
use crate::core::digest::{self, Digest};
use crate::core::evaluate::permissions::Identity;
use crate::core::evaluate::{self, users, Evaluation, Tally};
use crate::core::params::{
    Parameters, PermissionParameters, Publish, RoleParameters, UserParameters,
};
use crate::core::publish;
use crate::core::results::{RecordedResult, ResourceType};
use crate::core::role::Role;
use crate::core::settings::{CheckSettings, RuleKind, Settings, CHECK_SAFETY_MARGIN};
use crate::core::user::UsersAccount;
use crate::core::{account, event};
use crate::Error;
use permissions::CheckTally;

/// What a rule brings to the shell: its parameters, how to read the account completely and how
/// to judge what it read. Decoding, reaching the account, the clean-up, the deadline and
/// publishing are the shell's, the same for every rule.
pub trait Rule {
    type Parameters: Parameters + Send + Sync;
    /// Everything one complete read returns.
    type Account: Send;
    /// The resource types the rule reports on: the clean-up touches no others.
    const RESOURCE_TYPES: &'static [ResourceType];
    /// What the principals are called in messages, plural.
    const PRINCIPALS: &'static str;
    const KIND: RuleKind;

    /// Reads the account. Fails as a whole if any page fails: a partial read would make live
    /// principals look deleted.
    fn read(
        iam: &aws_sdk_iam::Client,
    ) -> impl std::future::Future<Output = Result<Read<Self::Account>, Error>> + Send;

    /// One evaluation per principal read. An evaluation of INSUFFICIENT_DATA marks a principal
    /// that exists but cannot be judged this run: it is not sent, so Config keeps what it
    /// holds, and it is not taken as deleted. The roles and users rules judge what they read
    /// (pure); the permissions rule also asks IAM for reports, until `checks.until`.
    fn judge(
        iam: &aws_sdk_iam::Client,
        account: Self::Account,
        params: &Self::Parameters,
        recorded: &[RecordedResult],
        now: DateTime<Utc>,
        checks: Checks,
    ) -> impl std::future::Future<Output = Result<Judged, Error>> + Send;
}

/// How long, and how, a rule that asks IAM for more than the read may do so.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    pub settings: CheckSettings,
    /// When checking must stop, to leave time to publish (None: no limit, as in tests).
    pub until: Option<Instant>,
}

/// A rule's evaluations, and how its checking went where it checks.
pub struct Judged {
    pub evaluations: Vec<Evaluation>,
    pub checks: Option<CheckTally>,
}

/// What a rule read, and in how many IAM pages.
pub struct Read<A> {
    pub account: A,
    /// How many principals the read found.
    pub principals: usize,
    pub pages: usize,
    /// When IAM generated the credential report the read used, if it used one.
    pub credential_report_generated: Option<DateTime<Utc>>,
}

/// The rule on IAM roles' last use.
pub struct Roles;

impl Rule for Roles {
    type Parameters = RoleParameters;
    type Account = Vec<Role>;
    const RESOURCE_TYPES: &'static [ResourceType] = evaluate::RESOURCE_TYPES;
    const PRINCIPALS: &'static str = "roles";
    const KIND: RuleKind = RuleKind::Roles;

    async fn read(iam: &aws_sdk_iam::Client) -> Result<Read<Vec<Role>>, Error> {
        let fetched = iam::fetch_roles(iam).await?;
        Ok(Read {
            principals: fetched.roles.len(),
            account: fetched.roles,
            pages: fetched.pages,
            credential_report_generated: None,
        })
    }

    async fn judge(
        _: &aws_sdk_iam::Client,
        roles: Vec<Role>,
        params: &RoleParameters,
        _: &[RecordedResult],
        now: DateTime<Utc>,
        _: Checks,
    ) -> Result<Judged, Error> {
        Ok(Judged {
            evaluations: evaluate::evaluate(&roles, params, now),
            checks: None,
        })
    }
}

/// The rule on IAM users' unused console passwords and access keys.
pub struct Users;

impl Rule for Users {
    type Parameters = UserParameters;
    type Account = UsersAccount;
    const RESOURCE_TYPES: &'static [ResourceType] = users::RESOURCE_TYPES;
    const PRINCIPALS: &'static str = "users";
    const KIND: RuleKind = RuleKind::Users;

    async fn read(iam: &aws_sdk_iam::Client) -> Result<Read<UsersAccount>, Error> {
        // Both reads are complete or the whole read fails; the report first, so that a user
        // created while it is generated is in IAM's list and judged as newer than the report.
        let report = credential_report::read(iam).await?;
        let fetched = iam::fetch_users(iam).await?;
        Ok(Read {
            principals: fetched.users.len(),
            pages: fetched.pages,
            credential_report_generated: Some(report.generated),
            account: UsersAccount {
                users: fetched.users,
                report,
            },
        })
    }

    async fn judge(
        _: &aws_sdk_iam::Client,
        account: UsersAccount,
        params: &UserParameters,
        _: &[RecordedResult],
        now: DateTime<Utc>,
        _: Checks,
    ) -> Result<Judged, Error> {
        Ok(Judged {
            evaluations: users::evaluate(&account, params, now),
            checks: None,
        })
    }
}

/// The rule on services roles and users are granted and do not use.
pub struct Permissions;

impl Rule for Permissions {
    type Parameters = PermissionParameters;
    type Account = Vec<Identity>;
    const RESOURCE_TYPES: &'static [ResourceType] = evaluate::permissions::RESOURCE_TYPES;
    const PRINCIPALS: &'static str = "principals";
    const KIND: RuleKind = RuleKind::Permissions;

    async fn read(iam: &aws_sdk_iam::Client) -> Result<Read<Vec<Identity>>, Error> {
        let (roles, users) = tokio::try_join!(iam::fetch_roles(iam), iam::fetch_users(iam))?;
        let identities: Vec<Identity> = (roles.roles.into_iter().map(Identity::Role))
            .chain(users.users.into_iter().map(Identity::User))
            .collect();
        Ok(Read {
            principals: identities.len(),
            account: identities,
            pages: roles.pages + users.pages,
            credential_report_generated: None,
        })
    }

    async fn judge(
        iam: &aws_sdk_iam::Client,
        identities: Vec<Identity>,
        params: &PermissionParameters,
        recorded: &[RecordedResult],
        now: DateTime<Utc>,
        checks: Checks,
    ) -> Result<Judged, Error> {
        let source = permissions::IamReports {
            client: iam,
            polling: polling_every(checks.settings.poll_interval),
        };
        let (evaluations, tally) = permissions::judge(
            &source,
            identities,
            params,
            recorded,
            now,
            checks.settings,
            checks.until,
        )
        .await?;
        Ok(Judged {
            evaluations,
            checks: Some(tally),
        })
    }
}

/// IAM's report jobs polled from `interval` (`ACCESS_REPORT_POLL_MS`), backing off to four
/// times that, within the adapter's longest wait.
fn polling_every(interval: Duration) -> access_advisor::Polling {
    access_advisor::Polling {
        first_wait: interval,
        interval,
        max_interval: interval * 4,
        ..access_advisor::Polling::default()
    }
}

/// What the runtime says about one invocation.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The clock at invocation.
    pub now: DateTime<Utc>,
    /// When Lambda will stop the function (None: no limit, as in tests). On tokio's clock, so
    /// tests with a paused clock race the deadline in virtual time.
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
    /// `roles` or `users`: which rule ran.
    pub rule_kind: &'static str,
    /// How many roles or users the rule read.
    pub principals: usize,
    #[serde(flatten)]
    pub tally: Tally,
    /// The `publish` parameter in effect: `changes`, or `all` (TESTMODE runs too).
    pub publish: &'static str,
    /// Evaluations in PutEvaluations calls: changed results, the clean-up and the account
    /// marker.
    pub evaluations_sent: usize,
    /// Results not sent because Config already holds them as they are.
    pub unchanged: usize,
    /// The run sent only the account's NOT_APPLICABLE evaluation: nothing changed.
    pub account_marker_sent: bool,
    pub stale_cleaned: usize,
    pub iam_pages: usize,
    pub compliance_result_pages_read: bool,
    pub put_evaluations_calls: usize,
    pub resent_evaluations: usize,
    /// Attempts the SDK made beyond the first of each request (throttling, 5xx, timeouts).
    pub sdk_retries: usize,
    pub test_mode: bool,
    /// Principals read but not judged this run (their Config result is left as it is).
    pub not_judged: usize,
    /// When IAM generated the credential report the users rule read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_report_generated: Option<DateTime<Utc>>,
    /// The permissions rule: reports needed, checked, failed, and principals left for later.
    #[serde(flatten)]
    pub checks: Option<CheckTally>,
    /// What became of the run's digest (`NOTIFICATION_TOPIC_ARN`).
    pub digest: DigestOutcome,
    /// Changed principals the digest left out to stay within SNS's size limit.
    pub digest_not_listed: usize,
}

/// What became of a run's digest. A failed digest never fails the run: Config already has
/// the results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestOutcome {
    /// No topic set, or a TESTMODE run.
    #[default]
    Off,
    /// No compliance changed and no result was deleted: nothing sent.
    NothingChanged,
    Sent,
    /// SNS refused it or could not be reached (logged as `digest failed`).
    Failed,
}

impl DigestOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::NothingChanged => "nothing_changed",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

impl Summary {
    /// One log line with every figure as a field.
    fn log(&self, rule: &str) {
        info!(
            rule,
            account_id = %self.account_id,
            rule_kind = self.rule_kind,
            principals = self.principals,
            compliant = self.tally.compliant,
            non_compliant = self.tally.non_compliant,
            not_applicable = self.tally.not_applicable,
            publish = self.publish,
            evaluations_sent = self.evaluations_sent,
            unchanged = self.unchanged,
            account_marker_sent = self.account_marker_sent,
            stale_cleaned = self.stale_cleaned,
            iam_pages = self.iam_pages,
            put_evaluations_calls = self.put_evaluations_calls,
            resent_evaluations = self.resent_evaluations,
            sdk_retries = self.sdk_retries,
            test_mode = self.test_mode,
            not_judged = self.not_judged,
            credential_report_generated = self
                .credential_report_generated
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .as_deref(),
            needing_report = self.checks.map(|c| c.needing_report),
            due = self.checks.map(|c| c.due),
            checked = self.checks.map(|c| c.checked),
            report_failures = self.checks.map(|c| c.report_failures),
            remaining = self.checks.map(|c| c.remaining),
            checking_ms = self.checks.map(|c| c.checking_ms),
            throttled_reports = self.checks.map(|c| c.throttled_reports),
            digest = self.digest.as_str(),
            digest_not_listed = self.digest_not_listed,
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

/// Runs one invocation of the rule the function is (`RULE_KIND`).
pub async fn handle(
    payload: &Value,
    clients: &Clients,
    settings: &Settings,
    context: &Context,
) -> Result<Summary, Error> {
    match settings.rule_kind {
        RuleKind::Roles => handle_rule::<Roles>(payload, clients, settings, context).await,
        RuleKind::Users => handle_rule::<Users>(payload, clients, settings, context).await,
        RuleKind::Permissions => {
            handle_rule::<Permissions>(payload, clients, settings, context).await
        }
    }
}

/// Runs one invocation of rule `R`.
pub async fn handle_rule<R: Rule>(
    payload: &Value,
    clients: &Clients,
    settings: &Settings,
    context: &Context,
) -> Result<Summary, Error> {
    let started = Instant::now();
    let invocation = event::decode::<R::Parameters>(payload, settings.default_max_days.as_deref())?;
    let access = account::choose(&invocation, context.function_account.as_deref())?;
    let attempts_at_start = clients.attempts.read();
    let test_mode = invocation.result_token.is_test_mode();
    let (iam_client, config_client) = clients.for_access(&access).await?;
    let budget = budget(settings);

    // The IAM read and the read of the rule's results are independent: both run at once, and
    // the first failure cancels the other. Only after both are complete may a resource missing
    // from the IAM read be taken as deleted. TESTMODE runs have no stored results to clean.
    let read = async {
        let recorded = async {
            if test_mode {
                Ok(Vec::new())
            } else {
                config_rule::results_to_clean_up(
                    &config_client,
                    &invocation.rule_name,
                    R::RESOURCE_TYPES,
                )
                .await
            }
        };
        tokio::try_join!(R::read(&iam_client), recorded)
    };
    let (fetched, recorded) = within_reading_budget(read, R::PRINCIPALS, budget, context).await?;
    let Read {
        account,
        principals,
        pages,
        credential_report_generated,
    } = fetched;

    // Checking (the permissions rule) ends in time to publish a result for every principal.
    let checking = checking_time(
        context.time_left(),
        started.elapsed(),
        settings.checks.budget,
        budget.publishing(principals),
        CHECK_SAFETY_MARGIN,
    );
    let checks = Checks {
        settings: settings.checks,
        until: checking.map(|time| Instant::now() + time),
    };
    // What was read is not needed once judged: freed inside, before publishing, the run's peak.
    let Judged {
        evaluations,
        checks: check_tally,
    } = R::judge(
        &iam_client,
        account,
        &invocation.params,
        &recorded,
        context.now,
        checks,
    )
    .await?;
    let tally = Tally::of(&evaluations);
    // TESTMODE runs read no results, so they send everything.
    let publish = if test_mode {
        Publish::All
    } else {
        invocation.params.publish()
    };
    let plan = publish::plan(
        evaluations,
        &recorded,
        R::RESOURCE_TYPES,
        publish,
        publish::Run {
            account_id: &invocation.account_id,
            principals: R::PRINCIPALS,
            at: invocation.ordering_timestamp,
            refresh_recorded_before: invocation
                .params
                .refresh_after_days()
                .map(|days| context.now - chrono::Duration::days(i64::from(days))),
        },
    );
    // Built while what Config held is at hand; TESTMODE runs read nothing to compare with.
    let digest = (settings.notification_topic.is_some() && !test_mode)
        .then(|| digest::digest(&plan.send, &recorded));
    drop(recorded);

    if let Some(left) = context.time_left() {
        budget
            .check_publishing(plan.evaluations(), left)
            .map_err(|needed| Error::DeadlineTooClose {
                stage: "publishing".to_owned(),
                detail: format!(
                    "{} {} read in {} IAM pages and {} evaluations ready, but {} ms are left \
                     and sending them is budgeted at {} ms",
                    principals,
                    R::PRINCIPALS,
                    pages,
                    plan.evaluations(),
                    left.as_millis(),
                    needed.as_millis()
                ),
            })?;
    }

    let report = config_rule::publish(
        &config_client,
        &plan.send,
        plan.marker.as_ref(),
        invocation.ordering_timestamp,
        &invocation.result_token,
        settings.publish,
    )
    .await?;

    let about = digest::About {
        account_id: &invocation.account_id,
        rule_name: &invocation.rule_name,
        rule_kind: R::KIND.as_str(),
        at: invocation.ordering_timestamp,
    };
    let (digest, digest_not_listed) =
        send_digest(&clients.sns, settings, digest, about, budget, context).await;

    let summary = Summary {
        account_id: invocation.account_id.clone(),
        rule_kind: R::KIND.as_str(),
        principals,
        tally,
        publish: publish.as_str(),
        evaluations_sent: plan.evaluations(),
        unchanged: plan.unchanged,
        account_marker_sent: plan.marker.is_some(),
        stale_cleaned: plan.stale_cleaned,
        iam_pages: pages,
        compliance_result_pages_read: !test_mode,
        put_evaluations_calls: report.calls,
        resent_evaluations: report.resent_evaluations,
        sdk_retries: clients.attempts.read().retries_since(attempts_at_start),
        test_mode,
        not_judged: plan.not_judged,
        credential_report_generated,
        checks: check_tally,
        digest,
        digest_not_listed,
    };
    summary.log(&invocation.rule_name);
    Ok(summary)
}

/// Publishes the digest, if a topic is set and something changed, within the time left; how
/// it went, and how many changed principals it left out. Failures are logged, never returned.
async fn send_digest(
    client: &aws_sdk_sns::Client,
    settings: &Settings,
    digest: Option<Digest>,
    about: digest::About<'_>,
    budget: Budget,
    context: &Context,
) -> (DigestOutcome, usize) {
    let (Some(topic), Some(digest)) = (&settings.notification_topic, digest) else {
        return (DigestOutcome::Off, 0);
    };
    if !digest.is_due() {
        return (DigestOutcome::NothingChanged, 0);
    }
    let message = digest::render(&digest, about);
    let publishing = sns::publish(client, topic, &message);
    let published = match context.time_left() {
        None => publishing.await,
        Some(left) => tokio::time::timeout(left.saturating_sub(budget.margin), publishing)
            .await
            .unwrap_or_else(|_| {
                Err(sns::PublishFailed {
                    topic: topic.to_string(),
                    code: None,
                    message: "stopped before the Lambda deadline".to_owned(),
                })
            }),
    };
    match published {
        Ok(message_id) => {
            info!(
                topic = %topic,
                message_id,
                listed = message.listed,
                not_listed = message.not_listed,
                bytes = message.size(),
                "digest sent"
            );
            (DigestOutcome::Sent, message.not_listed)
        }
        Err(failure) => {
            error!(
                error_type = "DigestPublishFailed",
                topic = %topic,
                code = failure.code.as_deref(),
                error = %failure.message,
                "digest failed; the run's results are in Config"
            );
            (DigestOutcome::Failed, message.not_listed)
        }
    }
}
