//! The permissions rule's part of the shell: IAM's report for each principal that needs one,
//! in order of need, as many as the run's time allows. What to ask and what the reports mean
//! are decided in `core::evaluate::permissions`.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::time::Instant;

use crate::aws::access_advisor;
use crate::core::access::{AccessReport, NoReport};
use crate::core::evaluate::permissions::{self, Identity, Triage};
use crate::core::evaluate::Evaluation;
use crate::core::params::PermissionParameters;
use crate::core::results::RecordedResult;
use crate::core::settings::CheckSettings;
use crate::Error;

/// Where reports come from: IAM in the function, a stand-in in tests.
pub trait Reports: Sync {
    fn report(&self, arn: &str) -> impl Future<Output = Result<AccessReport, NoReport>> + Send;
}

/// IAM's service last accessed reports, polled as `polling` says.
pub struct IamReports<'a> {
    pub client: &'a aws_sdk_iam::Client,
    pub polling: access_advisor::Polling,
}

impl Reports for IamReports<'_> {
    fn report(&self, arn: &str) -> impl Future<Output = Result<AccessReport, NoReport>> + Send {
        access_advisor::report(self.client, arn, &self.polling)
    }
}

/// How a run's checking went: what the summary line reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckTally {
    /// Principals that needed IAM's report this run (the others were decided without one).
    pub needing_report: usize,
    /// Of those, the ones due: no result held, or one recorded `refresh_after_days` ago or
    /// more. The others are checked with the time left, in an order each run changes.
    pub due: usize,
    /// Reports completed and judged.
    pub checked: usize,
    /// Reports IAM did not give (job failed, throttled past the retries, principal deleted):
    /// their results are left as they are.
    pub report_failures: usize,
    /// Due principals the run's time did not reach: left as they are, first in line next run.
    pub remaining: usize,
    /// How long the reports took, from the first asked to the last judged or the budget's end.
    pub checking_ms: u64,
    /// Times a report's Generate call was throttled past the SDK's retries and the report
    /// asked again after a wait.
    pub throttled_reports: usize,
}

/// The first wait before a throttled report is asked again; it doubles up to the longest.
const THROTTLED_FIRST_WAIT: Duration = Duration::from_millis(500);
const THROTTLED_MAX_WAIT: Duration = Duration::from_secs(8);

/// `wait` less up to half of it, varied by `seed`: retries spread out instead of arriving
/// together (no random source needed for that).
fn jittered(wait: Duration, seed: usize) -> Duration {
    let spread = (seed.wrapping_mul(2_654_435_761) % 1000) as u32;
    wait - wait / 2 * spread / 1000
}

/// One evaluation per identity: those decided without a report, then reports fetched in order
/// of need (`recorded`: the rule's results Config holds) with `checks.concurrency` in flight,
/// until `until`. Reports still running then are abandoned: their principals are not judged.
pub async fn judge<S: Reports>(
    source: &S,
    identities: Vec<Identity>,
    params: &PermissionParameters,
    recorded: &[RecordedResult],
    now: DateTime<Utc>,
    checks: CheckSettings,
    until: Option<Instant>,
) -> Result<(Vec<Evaluation>, CheckTally), Error> {
    let mut evaluations = Vec::with_capacity(identities.len());
    let mut waiting = Vec::new();
    for identity in &identities {
        match permissions::triage(identity, params, now) {
            Triage::Decided(evaluation) => evaluations.push(evaluation),
            Triage::NeedsReport(pending) => waiting.push((identity, pending)),
        }
    }
    let refresh_before = now - chrono::Duration::days(i64::from(params.refresh_after_days));
    let rotation = u64::try_from(now.timestamp()).unwrap_or_default();
    let permissions::Queue { order: queue, due } =
        permissions::order_of_need(waiting, recorded, refresh_before, rotation);
    let mut tally = CheckTally {
        needing_report: queue.len(),
        due,
        ..CheckTally::default()
    };

    let checking = Instant::now();
    // Each report is judged as it arrives and dropped: only evaluations are kept.
    let mut judged: Vec<Option<Evaluation>> = vec![None; queue.len()];
    // Owned ARNs: a stream over borrowed items makes the future not provably Send.
    let arns: Vec<(usize, String)> = queue
        .iter()
        .enumerate()
        .map(|(index, (identity, _))| (index, identity.arn().to_owned()))
        .collect();
    let throttled = AtomicUsize::new(0);
    let throttled = &throttled;
    let mut in_order = futures::stream::iter(arns)
        .map(|(index, arn)| async move {
            // IAM's limit is account-wide and the SDK's retries give up (or run out of retry
            // quota) under a long burst: a throttled report is asked again after a growing,
            // jittered wait, for as long as the run's time allows.
            let mut wait = THROTTLED_FIRST_WAIT;
            loop {
                match source.report(&arn).await {
                    Err(problem) if problem.is_throttling() => {
                        let tries = throttled.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(jittered(wait, index + tries)).await;
                        wait = (wait * 2).min(THROTTLED_MAX_WAIT);
                    }
                    outcome => return (index, outcome),
                }
            }
        })
        .buffer_unordered(checks.concurrency.max(1));
    loop {
        let next = match until {
            Some(until) => match tokio::time::timeout_at(until, in_order.next()).await {
                Ok(next) => next,
                Err(_) => break,
            },
            None => in_order.next().await,
        };
        let Some((index, report)) = next else { break };
        let (identity, pending) = &queue[index];
        // Denied once is denied for all: the run fails, naming what the role lacks, rather
        // than leave every principal unjudged run after run.
        if let Err(
            problem @ NoReport::CallFailed {
                operation,
                code,
                message,
            },
        ) = &report
        {
            if problem.is_access_denied() {
                return Err(Error::AccessReportFailed {
                    principal: identity.arn().to_owned(),
                    operation: (*operation).to_owned(),
                    message: message.clone(),
                    code: code.clone(),
                });
            }
        }
        judged[index] = Some(match report {
            Ok(report) => {
                tally.checked += 1;
                permissions::judge(identity, pending, &report, params, now)
            }
            Err(problem) => {
                tally.report_failures += 1;
                tracing::warn!(
                    principal = identity.arn(),
                    problem = %problem,
                    "no service last accessed report"
                );
                permissions::without_report(identity, Some(&problem), params)
            }
        });
    }
    drop(in_order);
    tally.checking_ms = u64::try_from(checking.elapsed().as_millis()).unwrap_or(u64::MAX);
    tally.throttled_reports = throttled.load(Ordering::Relaxed);

    for (position, ((identity, _), evaluation)) in queue.iter().zip(judged).enumerate() {
        evaluations.push(evaluation.unwrap_or_else(|| {
            tally.remaining += usize::from(position < due);
            permissions::without_report(identity, None, params)
        }));
    }
    Ok((evaluations, tally))
}

#[cfg(test)]
mod tests;
