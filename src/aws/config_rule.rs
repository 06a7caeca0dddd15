//! Adapter: AWS Config. Sends evaluations (PutEvaluations) and reads the rule's current results
//! (GetComplianceDetailsByConfigRule) for the clean-up of deleted roles; for role-audit, an
//! aggregator's results and accounts, and the rule's evaluation status.

use std::time::Duration;

use aws_sdk_config::error::ProvideErrorMetadata;
use aws_sdk_config::types::{ComplianceType, Evaluation as ConfigEvaluation};
use chrono::{DateTime, Utc};
use futures::StreamExt;

use crate::aws::error_message;
use crate::core::evaluate::{Compliance, Evaluation};
use crate::core::event::ResultToken;
use crate::core::rule_status::{
    EvaluationStatus, Frequency, RecordedResults, RuleFrequency, RuleOwner, WatchedRule,
};
use crate::Error;

pub const RESOURCE_TYPE: &str = "AWS::IAM::Role";
/// PutEvaluations takes at most 100 evaluations a call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;
/// GetComplianceDetailsByConfigRule serves at most 100 results a page.
pub const RESULTS_PAGE_SIZE: i32 = 100;

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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PublishReport {
    /// PutEvaluations calls made, retries included.
    pub calls: usize,
    /// Evaluations sent again after Config returned them in `FailedEvaluations`.
    pub resent_evaluations: usize,
}

fn compliance_type(compliance: Compliance) -> ComplianceType {
    match compliance {
        Compliance::Compliant => ComplianceType::Compliant,
        Compliance::NonCompliant => ComplianceType::NonCompliant,
        Compliance::NotApplicable => ComplianceType::NotApplicable,
    }
}

fn to_config(
    evaluation: &Evaluation,
    ordering: aws_smithy_types::DateTime,
) -> Result<ConfigEvaluation, Error> {
    ConfigEvaluation::builder()
        .compliance_resource_type(RESOURCE_TYPE)
        .compliance_resource_id(&evaluation.resource_id)
        .compliance_type(compliance_type(evaluation.compliance))
        .annotation(&evaluation.annotation)
        .ordering_timestamp(ordering)
        .build()
        .map_err(|e| Error::ConfigPublish {
            sent: 0,
            total: 0,
            message: format!("building the evaluation of {}: {e}", evaluation.resource_id),
        })
}

/// How evaluations are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishOptions {
    pub retry: FailedEvaluationRetry,
    /// PutEvaluations calls in flight at once.
    pub concurrency: usize,
}

/// AWS does not publish a PutEvaluations rate; four calls in flight cut the publishing time of
/// a 5 000-role account fourfold, and the SDK's retries absorb any throttling.
pub const DEFAULT_CONCURRENCY: usize = 4;
pub const MAX_CONCURRENCY: usize = 16;

impl Default for PublishOptions {
    fn default() -> Self {
        Self {
            retry: FailedEvaluationRetry::default(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// What one batch of at most 100 came to.
#[derive(Default)]
struct BatchOutcome {
    calls: usize,
    resent: usize,
    accepted: usize,
    rejected: Vec<String>,
    /// The SDK error that ended the batch, if one did.
    failure: Option<String>,
}

/// Sends one batch, then again what Config returned in `FailedEvaluations`, as `retry` says.
async fn publish_batch(
    client: &aws_sdk_config::Client,
    mut pending: Vec<ConfigEvaluation>,
    token: &ResultToken,
    retry: FailedEvaluationRetry,
) -> BatchOutcome {
    let mut outcome = BatchOutcome::default();
    for attempt in 1..=retry.attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(retry.initial_delay * 2u32.pow(attempt - 2)).await;
            outcome.resent += pending.len();
        }
        let sent = client
            .put_evaluations()
            .set_evaluations(Some(pending.clone()))
            .result_token(token.as_str())
            .set_test_mode(token.is_test_mode().then_some(true))
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            Err(e) => {
                outcome.failure = Some(error_message(&e));
                return outcome;
            }
        };
        outcome.calls += 1;
        let failed = output.failed_evaluations().to_vec();
        outcome.accepted += pending.len() - failed.len().min(pending.len());
        pending = failed;
        if pending.is_empty() {
            return outcome;
        }
    }
    outcome.rejected = pending
        .iter()
        .map(|e| e.compliance_resource_id().to_owned())
        .collect();
    outcome
}

/// Sends every evaluation, [`MAX_EVALUATIONS_PER_CALL`] a call, `options.concurrency` calls at
/// a time. Evaluations Config refuses are sent again as `options.retry` says; any still refused,
/// or a call that fails after the SDK's retries, fail the whole publication, naming them. The
/// other batches are still sent: their results are valid on their own.
pub async fn publish(
    client: &aws_sdk_config::Client,
    evaluations: &[Evaluation],
    ordering_timestamp: DateTime<Utc>,
    token: &ResultToken,
    options: PublishOptions,
) -> Result<PublishReport, Error> {
    let ordering = aws_smithy_types::DateTime::from_millis(ordering_timestamp.timestamp_millis());
    let total = evaluations.len();
    let batches = evaluations
        .chunks(MAX_EVALUATIONS_PER_CALL)
        .map(|chunk| chunk.iter().map(|e| to_config(e, ordering)).collect())
        .collect::<Result<Vec<Vec<_>>, _>>()?;

    let outcomes: Vec<BatchOutcome> = futures::stream::iter(batches)
        .map(|batch| publish_batch(client, batch, token, options.retry))
        .buffered(options.concurrency.clamp(1, MAX_CONCURRENCY))
        .collect()
        .await;

    let mut report = PublishReport::default();
    let mut accepted = 0;
    let mut rejected: Vec<String> = Vec::new();
    let mut failure = None;
    for outcome in outcomes {
        report.calls += outcome.calls;
        report.resent_evaluations += outcome.resent;
        accepted += outcome.accepted;
        rejected.extend(outcome.rejected);
        failure = failure.or(outcome.failure);
    }
    if let Some(message) = failure {
        return Err(Error::ConfigPublish {
            sent: accepted,
            total,
            message,
        });
    }
    if rejected.is_empty() {
        return Ok(report);
    }
    const SHOWN: usize = 10;
    let mut detail = rejected
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if rejected.len() > SHOWN {
        detail.push_str(&format!(" and {} more", rejected.len() - SHOWN));
    }
    Err(Error::EvaluationsRejected {
        count: rejected.len(),
        total,
        attempts: options.retry.attempts.max(1),
        detail,
    })
}

/// A result AWS Config holds for the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedResult {
    pub resource_id: String,
    /// As Config reports it: COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, INSUFFICIENT_DATA.
    pub compliance_type: String,
    pub annotation: Option<String>,
    pub recorded: Option<DateTime<Utc>>,
}

/// The token to ask for the next page with: None after the last page. A token that repeats the
/// one just sent would page forever, so it is an error (naming it) rather than the end.
fn next_page(sent: &Option<String>, returned: Option<&str>) -> Result<Option<String>, String> {
    match returned.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(token) if Some(token) == sent.as_deref() => {
            Err(format!("NextToken {token:?} repeats the previous page's"))
        }
        Some(token) => Ok(Some(token.to_owned())),
    }
}

/// A result about an `AWS::IAM::Role`, from the parts both result shapes share; None for other
/// resources.
fn recorded_result(
    identifier: Option<&aws_sdk_config::types::EvaluationResultIdentifier>,
    compliance: Option<&ComplianceType>,
    annotation: Option<&str>,
    recorded: Option<&aws_smithy_types::DateTime>,
) -> Option<RecordedResult> {
    let qualifier = identifier?
        .evaluation_result_qualifier()
        .filter(|q| q.resource_type() == Some(RESOURCE_TYPE))?;
    Some(RecordedResult {
        resource_id: qualifier.resource_id()?.to_owned(),
        compliance_type: compliance
            .map_or("INSUFFICIENT_DATA", |c| c.as_str())
            .to_owned(),
        annotation: annotation.map(str::to_owned),
        recorded: recorded.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
    })
}

/// Hands every result the rule holds with one of `compliance_types` to `each`, page by page
/// (GetComplianceDetailsByConfigRule). A failure is its message and AWS error code, for the
/// caller to name.
async fn each_result(
    client: &aws_sdk_config::Client,
    rule_name: &str,
    compliance_types: &[ComplianceType],
    mut each: impl FnMut(&aws_sdk_config::types::EvaluationResult),
) -> Result<(), (String, Option<String>)> {
    let mut next_token: Option<String> = None;
    loop {
        let output = client
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule_name)
            .set_compliance_types(Some(compliance_types.to_vec()))
            .limit(RESULTS_PAGE_SIZE)
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| (error_message(&e), e.code().map(str::to_owned)))?;
        output.evaluation_results().iter().for_each(&mut each);
        next_token = next_page(&next_token, output.next_token()).map_err(|m| (m, None))?;
        if next_token.is_none() {
            return Ok(());
        }
    }
}

/// Every `AWS::IAM::Role` result the rule holds with one of `compliance_types`, all pages.
pub async fn recorded_results(
    client: &aws_sdk_config::Client,
    rule_name: &str,
    compliance_types: &[ComplianceType],
) -> Result<Vec<RecordedResult>, Error> {
    let mut results = Vec::new();
    each_result(client, rule_name, compliance_types, |r| {
        results.extend(recorded_result(
            r.evaluation_result_identifier(),
            r.compliance_type(),
            r.annotation(),
            r.result_recorded_time(),
        ))
    })
    .await
    .map_err(|(message, code)| Error::ConfigRead {
        rule: rule_name.to_owned(),
        message,
        code,
    })?;
    Ok(results)
}

/// Resource ids of every `AWS::IAM::Role` the rule currently holds as COMPLIANT or
/// NON_COMPLIANT. Results already NOT_APPLICABLE need no clean-up.
pub async fn recorded_resource_ids(
    client: &aws_sdk_config::Client,
    rule_name: &str,
) -> Result<Vec<String>, Error> {
    let results = recorded_results(
        client,
        rule_name,
        &[ComplianceType::Compliant, ComplianceType::NonCompliant],
    )
    .await?;
    Ok(results.into_iter().map(|r| r.resource_id).collect())
}

/// A result an aggregator holds, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateResult {
    pub account_id: String,
    pub region: String,
    pub result: RecordedResult,
}

/// The rule names an aggregator reports for `rule_name`: the name itself (a rule deployed per
/// account) or the names Config gives an organization rule in each member account,
/// `OrgConfigRule-<name>-<suffix>`, where Config's suffix is one token without `-` (so the
/// rule `x` does not take the results of a rule `x-extra`).
pub fn is_same_rule(reported: &str, rule_name: &str) -> bool {
    reported == rule_name
        || reported
            .strip_prefix("OrgConfigRule-")
            .and_then(|rest| rest.strip_prefix(rule_name))
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|suffix| !suffix.is_empty() && !suffix.contains('-'))
}

/// Which accounts an aggregator should hold results of, and how that was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountListSource {
    /// An account aggregator: its `AccountAggregationSources` (DescribeConfigurationAggregators).
    AggregatorAccounts,
    /// An organization aggregator, which lists no accounts: the organization rule's member
    /// accounts (GetOrganizationConfigRuleDetailedStatus).
    OrganizationRuleStatus,
}

impl AccountListSource {
    /// The API the list came from.
    pub fn api(self) -> &'static str {
        match self {
            Self::AggregatorAccounts => "DescribeConfigurationAggregators",
            Self::OrganizationRuleStatus => "GetOrganizationConfigRuleDetailedStatus",
        }
    }
}

/// An account the aggregator should cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedAccount {
    pub account_id: String,
    /// For an organization rule: the rule's status in the account, with its error if any.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountList {
    Known {
        source: AccountListSource,
        accounts: Vec<ExpectedAccount>,
    },
    /// The call that lists them failed or gave nothing usable; the reason names the call.
    Unavailable { reason: String },
}

/// What an aggregator holds for the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateReport {
    pub results: Vec<AggregateResult>,
    /// The accounts whose copy of the rule has COMPLIANT or NON_COMPLIANT results, sorted.
    pub accounts_with_results: Vec<String>,
    pub accounts: AccountList,
}

/// Every `AWS::IAM::Role` result of `rule_name` that the aggregator holds, for every account
/// (or only `account`), all pages, and the accounts it should cover (see [`aggregator_accounts`]).
///
/// The aggregate APIs serve COMPLIANT and NON_COMPLIANT results only, and
/// DescribeAggregateComplianceByConfigRules leaves out rules without any: an account whose
/// copy of the rule has none is found only by comparing with the account list.
pub async fn aggregate_results(
    client: &aws_sdk_config::Client,
    aggregator: &str,
    rule_name: &str,
    account: Option<&str>,
) -> Result<AggregateReport, Error> {
    use aws_sdk_config::types::ConfigRuleComplianceFilters;
    let failed = |message: String, code: Option<&str>| Error::ConfigRead {
        rule: rule_name.to_owned(),
        message: format!("aggregator {aggregator:?}: {message}"),
        code: code.map(str::to_owned),
    };

    // Which (rule, account, Region) the aggregator knows for this rule.
    let mut sources: Vec<(String, String, String)> = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let output = client
            .describe_aggregate_compliance_by_config_rules()
            .configuration_aggregator_name(aggregator)
            .set_filters(
                account.map(|a| ConfigRuleComplianceFilters::builder().account_id(a).build()),
            )
            .limit(1000)
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| failed(error_message(&e), e.code()))?;
        for rule in output.aggregate_compliance_by_config_rules() {
            if let (Some(name), Some(account_id), Some(region)) = (
                rule.config_rule_name(),
                rule.account_id(),
                rule.aws_region(),
            ) {
                let source = (name.to_owned(), account_id.to_owned(), region.to_owned());
                if is_same_rule(name, rule_name) && !sources.contains(&source) {
                    sources.push(source);
                }
            }
        }
        next_token = next_page(&next_token, output.next_token()).map_err(|m| failed(m, None))?;
        if next_token.is_none() {
            break;
        }
    }
    if sources.is_empty() {
        // When no account has results, the account list says why: the rule's status in each.
        return Err(Error::NoAggregateResults {
            aggregator: aggregator.to_owned(),
            rule: rule_name.to_owned(),
            account: account.map(str::to_owned),
            accounts: aggregator_accounts(client, aggregator, rule_name).await,
        });
    }
    let mut accounts_with_results: Vec<String> = sources.iter().map(|s| s.1.clone()).collect();
    accounts_with_results.sort();
    accounts_with_results.dedup();

    let mut results = Vec::new();
    for (name, account_id, region) in sources {
        let mut next_token: Option<String> = None;
        loop {
            let output = client
                .get_aggregate_compliance_details_by_config_rule()
                .configuration_aggregator_name(aggregator)
                .config_rule_name(&name)
                .account_id(&account_id)
                .aws_region(&region)
                .limit(RESULTS_PAGE_SIZE)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(|e| failed(error_message(&e), e.code()))?;
            results.extend(
                output
                    .aggregate_evaluation_results()
                    .iter()
                    .filter_map(|r| {
                        let result = recorded_result(
                            r.evaluation_result_identifier(),
                            r.compliance_type(),
                            r.annotation(),
                            r.result_recorded_time(),
                        )?;
                        Some(AggregateResult {
                            account_id: account_id.clone(),
                            region: region.clone(),
                            result,
                        })
                    }),
            );
            next_token =
                next_page(&next_token, output.next_token()).map_err(|m| failed(m, None))?;
            if next_token.is_none() {
                break;
            }
        }
    }
    Ok(AggregateReport {
        results,
        accounts_with_results,
        accounts: aggregator_accounts(client, aggregator, rule_name).await,
    })
}

/// The accounts the aggregator should cover: an account aggregator's own list, or, for an
/// organization aggregator (which lists no accounts), the member accounts of the organization
/// rule `rule_name`, which only the management or a delegated administrator account may read.
/// A failed call is no error: the report shows results all the same and says why the list is
/// missing.
pub async fn aggregator_accounts(
    client: &aws_sdk_config::Client,
    aggregator: &str,
    rule_name: &str,
) -> AccountList {
    let unavailable = |reason: String| AccountList::Unavailable { reason };
    let described = match client
        .describe_configuration_aggregators()
        .configuration_aggregator_names(aggregator)
        .send()
        .await
    {
        Ok(output) => output,
        Err(e) => {
            return unavailable(format!(
                "DescribeConfigurationAggregators failed: {}",
                error_message(&e)
            ))
        }
    };
    let Some(found) = described
        .configuration_aggregators()
        .iter()
        .find(|a| a.configuration_aggregator_name() == Some(aggregator))
    else {
        return unavailable(format!(
            "DescribeConfigurationAggregators did not return the aggregator {aggregator:?}"
        ));
    };
    if found.organization_aggregation_source().is_none() {
        let mut accounts: Vec<String> = found
            .account_aggregation_sources()
            .iter()
            .flat_map(|source| source.account_ids().iter().cloned())
            .collect();
        accounts.sort();
        accounts.dedup();
        return AccountList::Known {
            source: AccountListSource::AggregatorAccounts,
            accounts: accounts
                .into_iter()
                .map(|account_id| ExpectedAccount {
                    account_id,
                    detail: None,
                })
                .collect(),
        };
    }
    let mut accounts = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let output = match client
            .get_organization_config_rule_detailed_status()
            .organization_config_rule_name(rule_name)
            .limit(100)
            .set_next_token(next_token.clone())
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) => {
                return unavailable(format!(
                    "GetOrganizationConfigRuleDetailedStatus for the organization rule {rule_name:?} failed: {}",
                    error_message(&e)
                ))
            }
        };
        for member in output.organization_config_rule_detailed_status() {
            let mut detail = format!(
                "rule status {}",
                member.member_account_rule_status().as_str()
            );
            match (member.error_code(), member.error_message()) {
                (Some(code), Some(message)) => detail.push_str(&format!(": {code}: {message}")),
                (Some(text), None) | (None, Some(text)) => detail.push_str(&format!(": {text}")),
                (None, None) => {}
            }
            accounts.push(ExpectedAccount {
                account_id: member.account_id().to_owned(),
                detail: Some(detail),
            });
        }
        next_token = match next_page(&next_token, output.next_token()) {
            Ok(token) => token,
            Err(message) => {
                return unavailable(format!(
                    "GetOrganizationConfigRuleDetailedStatus: {message}"
                ))
            }
        };
        if next_token.is_none() {
            break;
        }
    }
    AccountList::Known {
        source: AccountListSource::OrganizationRuleStatus,
        accounts,
    }
}

fn to_utc(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

/// The frequency of a periodic rule: the rule's `MaximumExecutionFrequency` (managed rules,
/// and custom rules triggered by configuration snapshots), else that of its
/// `ScheduledNotification` source detail (a periodic CUSTOM_LAMBDA rule such as this one),
/// else Config's default of 24 hours.
pub fn rule_frequency(rule: &aws_sdk_config::types::ConfigRule) -> Result<RuleFrequency, String> {
    // Config takes a source detail's frequency only with MessageType ScheduledNotification.
    let named = rule.maximum_execution_frequency().or_else(|| {
        rule.source()?
            .source_details()
            .iter()
            .find_map(|d| d.maximum_execution_frequency())
    });
    match named {
        None => Ok(RuleFrequency {
            frequency: Frequency::TwentyFourHours,
            defaulted: true,
        }),
        Some(f) => Frequency::parse(f.as_str())
            .map(|frequency| RuleFrequency {
                frequency,
                defaulted: false,
            })
            .ok_or_else(|| format!("unknown MaximumExecutionFrequency {:?}", f.as_str())),
    }
}

/// Who runs the rule's evaluations (`Source.Owner`).
pub fn rule_owner(rule: &aws_sdk_config::types::ConfigRule) -> Result<RuleOwner, String> {
    let owner = rule
        .source()
        .map(|s| s.owner().as_str())
        .ok_or_else(|| "the rule has no Source".to_owned())?;
    RuleOwner::parse(owner).ok_or_else(|| format!("unknown Source.Owner {owner:?}"))
}

/// The rule's evaluation status entry, as the domain sees it.
pub fn evaluation_status(
    status: &aws_sdk_config::types::ConfigRuleEvaluationStatus,
) -> EvaluationStatus {
    EvaluationStatus {
        last_successful_invocation: to_utc(status.last_successful_invocation_time()),
        last_failed_invocation: to_utc(status.last_failed_invocation_time()),
        last_successful_evaluation: to_utc(status.last_successful_evaluation_time()),
        last_failed_evaluation: to_utc(status.last_failed_evaluation_time()),
        first_activated: to_utc(status.first_activated_time()),
        first_evaluation_started: status.first_evaluation_started(),
        last_error_code: status.last_error_code().map(str::to_owned),
        last_error_message: status.last_error_message().map(str::to_owned),
    }
}

/// The rule named `rule_name`, or, when there is none, the one copy of the organization rule
/// of that name in this account (`OrgConfigRule-<name>-<suffix>`).
async fn find_rule(
    client: &aws_sdk_config::Client,
    rule_name: &str,
) -> Result<aws_sdk_config::types::ConfigRule, Error> {
    let failed = |message: String, code: Option<&str>| Error::RuleStatusRead {
        rule: rule_name.to_owned(),
        operation: "DescribeConfigRules".to_owned(),
        message,
        code: code.map(str::to_owned),
    };
    let missing = match client
        .describe_config_rules()
        .config_rule_names(rule_name)
        .send()
        .await
    {
        Ok(output) => {
            return output
                .config_rules()
                .iter()
                .find(|r| r.config_rule_name() == Some(rule_name))
                .cloned()
                .ok_or_else(|| failed("the rule is not in the answer".to_owned(), None))
        }
        Err(e) if e.code() == Some("NoSuchConfigRuleException") => e,
        Err(e) => return Err(failed(error_message(&e), e.code())),
    };
    let mut copies = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let output = client
            .describe_config_rules()
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| failed(error_message(&e), e.code()))?;
        copies.extend(
            output
                .config_rules()
                .iter()
                .filter(|r| {
                    r.config_rule_name()
                        .is_some_and(|n| is_same_rule(n, rule_name))
                })
                .cloned(),
        );
        next_token = next_page(&next_token, output.next_token()).map_err(|m| failed(m, None))?;
        if next_token.is_none() {
            break;
        }
    }
    match copies.len() {
        0 => Err(failed(error_message(&missing), missing.code())),
        1 => Ok(copies.remove(0)),
        _ => Err(failed(
            format!(
                "more than one organization rule copy matches: {}; pass the one to watch",
                copies
                    .iter()
                    .filter_map(|r| r.config_rule_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        )),
    }
}

/// The rule and its frequency (DescribeConfigRules), and its evaluation status entry
/// (DescribeConfigRuleEvaluationStatus) when Config gives one: it gives none for a custom
/// Lambda rule, so none is not an error. `rule_name` may also be the name of an organization
/// rule, whose copy in this account is `OrgConfigRule-<name>-<suffix>`.
pub async fn rule_status(
    client: &aws_sdk_config::Client,
    rule_name: &str,
) -> Result<(WatchedRule, Option<EvaluationStatus>), Error> {
    let rule = find_rule(client, rule_name).await?;
    let name = rule.config_rule_name().unwrap_or(rule_name).to_owned();
    let failed = |operation: &str, message: String, code: Option<&str>| Error::RuleStatusRead {
        rule: name.clone(),
        operation: operation.to_owned(),
        message,
        code: code.map(str::to_owned),
    };
    let frequency = rule_frequency(&rule).map_err(|m| failed("DescribeConfigRules", m, None))?;
    let owner = rule_owner(&rule).map_err(|m| failed("DescribeConfigRules", m, None))?;
    let output = client
        .describe_config_rule_evaluation_status()
        .config_rule_names(&name)
        .send()
        .await
        .map_err(|e| {
            failed(
                "DescribeConfigRuleEvaluationStatus",
                error_message(&e),
                e.code(),
            )
        })?;
    let status = output
        .config_rules_evaluation_status()
        .iter()
        .find(|s| s.config_rule_name() == Some(name.as_str()))
        .map(evaluation_status);
    let watched = WatchedRule {
        state: rule.config_rule_state().map(|s| s.as_str().to_owned()),
        name,
        frequency,
        owner,
    };
    Ok((watched, status))
}

/// How many results Config holds for the rule, of every compliance type, and the newest
/// `ResultRecordedTime` and `ConfigRuleInvokedTime` among them (GetComplianceDetailsByConfigRule,
/// every page). Each successful run of the function records its evaluations, so the newest
/// recorded time is the last successful run of a custom Lambda rule.
pub async fn recorded_result_times(
    client: &aws_sdk_config::Client,
    rule_name: &str,
) -> Result<RecordedResults, Error> {
    let mut summary = RecordedResults::default();
    let every_type = [
        ComplianceType::Compliant,
        ComplianceType::NonCompliant,
        ComplianceType::NotApplicable,
    ];
    each_result(client, rule_name, &every_type, |result| {
        summary.count += 1;
        summary.last_recorded = summary
            .last_recorded
            .max(to_utc(result.result_recorded_time()));
        summary.last_invoked = summary
            .last_invoked
            .max(to_utc(result.config_rule_invoked_time()));
    })
    .await
    .map_err(|(message, code)| Error::RuleStatusRead {
        rule: rule_name.to_owned(),
        operation: "GetComplianceDetailsByConfigRule".to_owned(),
        message,
        code,
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_page_tokens() {
        let sent = Some("t1".to_owned());
        assert_eq!(next_page(&None, None), Ok(None));
        assert_eq!(
            next_page(&None, Some("")),
            Ok(None),
            "an empty token ends the pages"
        );
        assert_eq!(next_page(&None, Some("t1")), Ok(sent.clone()));
        assert_eq!(next_page(&sent, Some("t2")), Ok(Some("t2".to_owned())));
        assert_eq!(
            next_page(&sent, Some("t1")),
            Err("NextToken \"t1\" repeats the previous page's".to_owned())
        );
    }
}
