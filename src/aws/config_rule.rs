//! Adapter: AWS Config. Sends evaluations (PutEvaluations) and reads the rule's current results
//! (GetComplianceDetailsByConfigRule) for the clean-up of deleted resources; for role-audit, an
//! aggregator's results and accounts, and the rule's evaluation status.

use aws_sdk_config::error::ProvideErrorMetadata;
use aws_sdk_config::types::{ComplianceType, Evaluation as ConfigEvaluation};
use chrono::{DateTime, Utc};
use futures::StreamExt;

use crate::aws::{error_code, error_message, to_utc};
use crate::core::deadline::MAX_EVALUATIONS_PER_CALL;
use crate::core::evaluate::Evaluation;
use crate::core::event::ResultToken;
use crate::core::publish::{AccountMarker, ACCOUNT_RESOURCE_TYPE};
use crate::core::results::{
    is_same_rule, AccountList, AccountListSource, AggregateReport, AggregateResult, Compliance,
    ExpectedAccount, RecordedResult, ResourceType,
};
use crate::core::rule_status::{
    EvaluationStatus, Frequency, RecordedResults, RuleFrequency, RuleOwner, WatchedRule,
};
use crate::core::settings::{FailedEvaluationRetry, PublishOptions, MAX_CONCURRENCY};
use crate::Error;

/// GetComplianceDetailsByConfigRule serves at most 100 results a page.
pub const RESULTS_PAGE_SIZE: i32 = 100;

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
        Compliance::InsufficientData => ComplianceType::InsufficientData,
    }
}

/// Config's value as the domain's; None for a value this SDK version does not know.
fn compliance(value: &ComplianceType) -> Option<Compliance> {
    Compliance::parse(value.as_str())
}

/// The evaluation as PutEvaluations takes it. Config accepts only COMPLIANT, NON_COMPLIANT and
/// NOT_APPLICABLE from a custom rule, so anything else is refused before any call.
fn to_config(
    evaluation: &Evaluation,
    ordering: aws_smithy_types::DateTime,
) -> Result<ConfigEvaluation, Error> {
    let invalid = |message: String| Error::InvalidEvaluation {
        resource_type: evaluation.resource_type.as_str().to_owned(),
        resource_id: evaluation.resource_id.clone(),
        message,
    };
    if evaluation.compliance == Compliance::InsufficientData {
        return Err(invalid(
            "PutEvaluations accepts only COMPLIANT, NON_COMPLIANT and NOT_APPLICABLE, not INSUFFICIENT_DATA"
                .to_owned(),
        ));
    }
    ConfigEvaluation::builder()
        .compliance_resource_type(evaluation.resource_type.as_str())
        .compliance_resource_id(&evaluation.resource_id)
        .compliance_type(compliance_type(evaluation.compliance))
        .annotation(&evaluation.annotation)
        .ordering_timestamp(ordering)
        .build()
        .map_err(|e| invalid(e.to_string()))
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

/// The account's NOT_APPLICABLE evaluation, as PutEvaluations takes it.
fn marker_to_config(
    marker: &AccountMarker,
    ordering: aws_smithy_types::DateTime,
) -> Result<ConfigEvaluation, Error> {
    ConfigEvaluation::builder()
        .compliance_resource_type(ACCOUNT_RESOURCE_TYPE)
        .compliance_resource_id(&marker.account_id)
        .compliance_type(ComplianceType::NotApplicable)
        .annotation(&marker.annotation)
        .ordering_timestamp(ordering)
        .build()
        .map_err(|e| Error::InvalidEvaluation {
            resource_type: ACCOUNT_RESOURCE_TYPE.to_owned(),
            resource_id: marker.account_id.clone(),
            message: e.to_string(),
        })
}

/// Sends every evaluation, and the account marker if there is one (see
/// [`crate::core::publish::plan`]), [`MAX_EVALUATIONS_PER_CALL`] a call, `options.concurrency` calls at
/// a time. Evaluations Config refuses are sent again as `options.retry` says; any still refused,
/// or a call that fails after the SDK's retries, fail the whole publication, naming them. The
/// other batches are still sent: their results are valid on their own.
pub async fn publish(
    client: &aws_sdk_config::Client,
    evaluations: &[Evaluation],
    marker: Option<&AccountMarker>,
    ordering_timestamp: DateTime<Utc>,
    token: &ResultToken,
    options: PublishOptions,
) -> Result<PublishReport, Error> {
    let ordering = aws_smithy_types::DateTime::from_millis(ordering_timestamp.timestamp_millis());
    // Every evaluation is checked before any call; each batch is converted only when it is
    // sent, so at most `concurrency` batches of the SDK's type exist at once.
    for evaluation in evaluations {
        to_config(evaluation, ordering)?;
    }
    let marker = marker
        .map(|m| marker_to_config(m, ordering))
        .transpose()?;
    let total = evaluations.len() + usize::from(marker.is_some());
    let batches = evaluations
        .chunks(MAX_EVALUATIONS_PER_CALL)
        .map(|chunk| {
            chunk
                .iter()
                .filter_map(|e| to_config(e, ordering).ok())
                .collect::<Vec<_>>()
        })
        .chain(marker.map(|m| vec![m]));

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
        return Err(Error::ConfigPublishFailed {
            sent: accepted,
            total,
            message,
        });
    }
    if rejected.is_empty() {
        return Ok(report);
    }
    Err(Error::EvaluationsRejected {
        rejected,
        total,
        attempts: options.retry.attempts.max(1),
    })
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

/// A result about one of `types`, from the parts both result shapes share; None for other
/// resource types. A result without a compliance type, or with one this SDK does not know,
/// counts as INSUFFICIENT_DATA, as Config reports a result it cannot decide.
fn recorded_result(
    identifier: Option<&aws_sdk_config::types::EvaluationResultIdentifier>,
    compliance_type: Option<&ComplianceType>,
    annotation: Option<&str>,
    recorded: Option<&aws_smithy_types::DateTime>,
    types: &[ResourceType],
) -> Option<RecordedResult> {
    let qualifier = identifier?.evaluation_result_qualifier()?;
    let resource_type =
        ResourceType::parse(qualifier.resource_type()?).filter(|t| types.contains(t))?;
    Some(RecordedResult {
        resource_type,
        resource_id: qualifier.resource_id()?.to_owned(),
        compliance: compliance_type
            .and_then(compliance)
            .unwrap_or(Compliance::InsufficientData),
        annotation: annotation.map(str::to_owned),
        recorded: to_utc(recorded),
    })
}

/// Hands every result the rule holds with one of `compliance` to `each`, page by page
/// (GetComplianceDetailsByConfigRule). A failure is its message and AWS error code, for the
/// caller to name.
async fn each_result(
    client: &aws_sdk_config::Client,
    rule_name: &str,
    compliance: &[Compliance],
    mut each: impl FnMut(&aws_sdk_config::types::EvaluationResult),
) -> Result<(), (String, Option<String>)> {
    let compliance_types: Vec<ComplianceType> =
        compliance.iter().map(|c| compliance_type(*c)).collect();
    let mut next_token: Option<String> = None;
    loop {
        let output = client
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule_name)
            .set_compliance_types(Some(compliance_types.clone()))
            .limit(RESULTS_PAGE_SIZE)
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| (error_message(&e), error_code(&e)))?;
        output.evaluation_results().iter().for_each(&mut each);
        next_token = next_page(&next_token, output.next_token()).map_err(|m| (m, None))?;
        if next_token.is_none() {
            return Ok(());
        }
    }
}

/// Every result the rule holds about one of `types` with one of `compliance`, all pages.
pub async fn recorded_results(
    client: &aws_sdk_config::Client,
    rule_name: &str,
    compliance: &[Compliance],
    types: &[ResourceType],
) -> Result<Vec<RecordedResult>, Error> {
    let mut results = Vec::new();
    each_result(client, rule_name, compliance, |r| {
        results.extend(recorded_result(
            r.evaluation_result_identifier(),
            r.compliance_type(),
            r.annotation(),
            r.result_recorded_time(),
            types,
        ))
    })
    .await
    .map_err(|(message, code)| Error::ConfigReadFailed {
        rule: rule_name.to_owned(),
        message,
        code,
    })?;
    Ok(results)
}

/// The results of `types` the rule currently holds as COMPLIANT or NON_COMPLIANT: those a
/// clean-up may have to overwrite. Results already NOT_APPLICABLE need none.
pub async fn results_to_clean_up(
    client: &aws_sdk_config::Client,
    rule_name: &str,
    types: &[ResourceType],
) -> Result<Vec<RecordedResult>, Error> {
    recorded_results(
        client,
        rule_name,
        &[Compliance::Compliant, Compliance::NonCompliant],
        types,
    )
    .await
}

/// Every result about one of `types` of `rule_name` that the aggregator holds, for every account
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
    types: &[ResourceType],
) -> Result<AggregateReport, Error> {
    use aws_sdk_config::types::ConfigRuleComplianceFilters;
    let failed = |message: String, code: Option<String>| Error::ConfigReadFailed {
        rule: rule_name.to_owned(),
        message: format!("aggregator {aggregator:?}: {message}"),
        code,
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
            .map_err(|e| failed(error_message(&e), error_code(&e)))?;
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
                .map_err(|e| failed(error_message(&e), error_code(&e)))?;
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
                            types,
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
    let failed = |message: String, code: Option<String>| Error::RuleStatusReadFailed {
        rule: rule_name.to_owned(),
        operation: "DescribeConfigRules".to_owned(),
        message,
        code,
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
        Err(e) => return Err(failed(error_message(&e), error_code(&e))),
    };
    let mut copies = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let output = client
            .describe_config_rules()
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| failed(error_message(&e), error_code(&e)))?;
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
        0 => Err(failed(error_message(&missing), error_code(&missing))),
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
    let failed =
        |operation: &str, message: String, code: Option<String>| Error::RuleStatusReadFailed {
            rule: name.clone(),
            operation: operation.to_owned(),
            message,
            code,
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
                error_code(&e),
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
    let every_value = [
        Compliance::Compliant,
        Compliance::NonCompliant,
        Compliance::NotApplicable,
    ];
    each_result(client, rule_name, &every_value, |result| {
        summary.count += 1;
        summary.last_recorded = summary
            .last_recorded
            .max(to_utc(result.result_recorded_time()));
        summary.last_invoked = summary
            .last_invoked
            .max(to_utc(result.config_rule_invoked_time()));
    })
    .await
    .map_err(|(message, code)| Error::RuleStatusReadFailed {
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
    use crate::core::evaluate::Reason;

    fn evaluation(resource_type: ResourceType, compliance: Compliance) -> Evaluation {
        Evaluation {
            resource_type,
            resource_id: "AIDAEXAMPLE".to_owned(),
            name: "alice".to_owned(),
            path: "/".to_owned(),
            compliance,
            reason: Reason::NoLongerExists,
            detail: String::new(),
            annotation: "alice: no longer exists".to_owned(),
        }
    }

    #[test]
    fn each_evaluation_is_sent_with_its_own_resource_type() {
        let ordering = aws_smithy_types::DateTime::from_secs(1_767_225_600);
        for (resource_type, name) in [
            (ResourceType::IamRole, "AWS::IAM::Role"),
            (ResourceType::IamUser, "AWS::IAM::User"),
        ] {
            let sent = to_config(
                &evaluation(resource_type, Compliance::NotApplicable),
                ordering,
            )
            .unwrap();
            assert_eq!(sent.compliance_resource_type(), name);
            assert_eq!(sent.compliance_type(), &ComplianceType::NotApplicable);
        }
    }

    #[test]
    fn insufficient_data_is_refused_before_any_call_naming_the_resource() {
        let ordering = aws_smithy_types::DateTime::from_secs(1_767_225_600);
        let error = to_config(
            &evaluation(ResourceType::IamUser, Compliance::InsufficientData),
            ordering,
        )
        .unwrap_err();
        assert_eq!(error.error_type(), "InvalidEvaluation");
        assert_eq!(
            error.to_string(),
            "the evaluation of AWS::IAM::User AIDAEXAMPLE cannot be sent: PutEvaluations accepts only COMPLIANT, NON_COMPLIANT and NOT_APPLICABLE, not INSUFFICIENT_DATA"
        );
    }

    #[test]
    fn results_of_other_resource_types_are_left_out_and_unknown_compliance_is_insufficient_data() {
        use aws_sdk_config::types::{EvaluationResultIdentifier, EvaluationResultQualifier};
        let identifier = |resource_type: &str| {
            EvaluationResultIdentifier::builder()
                .evaluation_result_qualifier(
                    EvaluationResultQualifier::builder()
                        .resource_type(resource_type)
                        .resource_id("AROA1")
                        .build(),
                )
                .build()
        };
        let role = identifier("AWS::IAM::Role");
        let roles_only = [ResourceType::IamRole];
        let read = |id: &EvaluationResultIdentifier, c: Option<&ComplianceType>| {
            recorded_result(Some(id), c, None, None, &roles_only)
        };
        assert_eq!(
            read(&role, Some(&ComplianceType::NonCompliant)).map(|r| r.compliance),
            Some(Compliance::NonCompliant)
        );
        assert_eq!(
            read(&role, None).map(|r| r.compliance),
            Some(Compliance::InsufficientData)
        );
        assert_eq!(
            read(&role, Some(&ComplianceType::from("SOMETHING_NEW"))).map(|r| r.compliance),
            Some(Compliance::InsufficientData)
        );
        assert_eq!(
            read(
                &identifier("AWS::IAM::User"),
                Some(&ComplianceType::Compliant)
            ),
            None
        );
        assert_eq!(
            read(
                &identifier("AWS::S3::Bucket"),
                Some(&ComplianceType::Compliant)
            ),
            None
        );
    }

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
