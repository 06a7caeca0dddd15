//! Is the rule running? The rule's evaluation status (when Config gives one), its recorded
//! results, its alarm, its frequency and `now` decide whether a
//! pipeline watching it should pass (pure: no I/O, `now` given).

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;

/// How often Config runs a periodic rule (`MaximumExecutionFrequency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    OneHour,
    ThreeHours,
    SixHours,
    TwelveHours,
    TwentyFourHours,
}

impl Frequency {
    /// The value as Config writes it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "One_Hour" => Some(Self::OneHour),
            "Three_Hours" => Some(Self::ThreeHours),
            "Six_Hours" => Some(Self::SixHours),
            "Twelve_Hours" => Some(Self::TwelveHours),
            "TwentyFour_Hours" => Some(Self::TwentyFourHours),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneHour => "One_Hour",
            Self::ThreeHours => "Three_Hours",
            Self::SixHours => "Six_Hours",
            Self::TwelveHours => "Twelve_Hours",
            Self::TwentyFourHours => "TwentyFour_Hours",
        }
    }

    pub fn hours(self) -> i64 {
        match self {
            Self::OneHour => 1,
            Self::ThreeHours => 3,
            Self::SixHours => 6,
            Self::TwelveHours => 12,
            Self::TwentyFourHours => 24,
        }
    }
}

/// Where the frequency came from. Config runs a periodic rule every 24 hours when the rule
/// names no frequency (the SourceDetail reference), so that is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleFrequency {
    pub frequency: Frequency,
    /// True when the rule names none and the 24-hour default applies.
    pub defaulted: bool,
}

/// What DescribeConfigRuleEvaluationStatus says about one rule, when it says anything: the API
/// reference states that it "does not return status information about Config Custom Lambda
/// rules", so for this project's rule it is usually absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationStatus {
    pub last_successful_invocation: Option<DateTime<Utc>>,
    pub last_failed_invocation: Option<DateTime<Utc>>,
    pub last_successful_evaluation: Option<DateTime<Utc>>,
    pub last_failed_evaluation: Option<DateTime<Utc>>,
    pub first_activated: Option<DateTime<Utc>>,
    pub first_evaluation_started: bool,
    pub last_error_code: Option<String>,
    pub last_error_message: Option<String>,
}

/// The results Config holds for the rule (GetComplianceDetailsByConfigRule, every compliance
/// type): each successful run of the function records its evaluations, so the newest
/// `ResultRecordedTime` moves on with every successful run and stops when runs fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordedResults {
    pub count: usize,
    /// The newest `ResultRecordedTime`.
    pub last_recorded: Option<DateTime<Utc>>,
    /// The newest `ConfigRuleInvokedTime`.
    pub last_invoked: Option<DateTime<Utc>>,
}

/// A CloudWatch alarm's state (`StateValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    /// The value as CloudWatch writes it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "OK" => Some(Self::Ok),
            "ALARM" => Some(Self::Alarm),
            "INSUFFICIENT_DATA" => Some(Self::InsufficientData),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// The alarm on the function's Errors metric (DescribeAlarms): in ALARM, the last runs failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmStatus {
    pub name: String,
    pub state: AlarmState,
    /// `StateReason`.
    pub reason: Option<String>,
    /// `StateUpdatedTimestamp`.
    pub updated: Option<DateTime<Utc>>,
}

/// Who runs the rule's evaluations (the rule's `Source.Owner`): it decides what a successful
/// invocation in the evaluation status proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOwner {
    /// A managed rule.
    Aws,
    /// A Lambda function: Config invokes it asynchronously, so a successful invocation only
    /// means Lambda accepted the invoke, not that the function ran to the end.
    CustomLambda,
    /// A Guard policy that Config evaluates itself.
    CustomPolicy,
}

impl RuleOwner {
    /// The value as Config writes it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "AWS" => Some(Self::Aws),
            "CUSTOM_LAMBDA" => Some(Self::CustomLambda),
            "CUSTOM_POLICY" => Some(Self::CustomPolicy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::CustomLambda => "CUSTOM_LAMBDA",
            Self::CustomPolicy => "CUSTOM_POLICY",
        }
    }
}

/// Everything known about whether the rule runs, each source optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEvidence {
    pub owner: RuleOwner,
    /// DescribeConfigRuleEvaluationStatus's entry; none for a custom Lambda rule.
    pub status: Option<EvaluationStatus>,
    pub results: RecordedResults,
    /// Only when an alarm was named.
    pub alarm: Option<AlarmStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// The alarm is in ALARM, or the evaluation status shows a failure after the last success.
    Failing,
    /// The last success is older than twice the rule's frequency.
    Stale,
    /// Neither an evaluation status nor a recorded result shows a successful run.
    NeverEvaluated,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "HEALTHY",
            Self::Failing => "FAILING",
            Self::Stale => "STALE",
            Self::NeverEvaluated => "NEVER_EVALUATED",
        }
    }

    pub fn is_healthy(self) -> bool {
        self == Self::Healthy
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub health: Health,
    pub reason: String,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `a` is strictly after `b`, a missing `b` counting as never.
fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.filter(|a| b.is_none_or(|b| *a > b))
}

fn with_error(mut reason: String, status: &EvaluationStatus) -> String {
    match (&status.last_error_code, &status.last_error_message) {
        (Some(code), Some(message)) => reason.push_str(&format!(": {code}: {message}")),
        (Some(code), None) => reason.push_str(&format!(": {code}")),
        (None, Some(message)) => reason.push_str(&format!(": {message}")),
        (None, None) => {}
    }
    reason
}

/// A failure after the last success in the evaluation status, evaluations first.
fn status_failure(status: &EvaluationStatus) -> Option<String> {
    let pairs = [
        (
            "evaluation",
            status.last_failed_evaluation,
            status.last_successful_evaluation,
        ),
        (
            "invocation",
            status.last_failed_invocation,
            status.last_successful_invocation,
        ),
    ];
    pairs.into_iter().find_map(|(what, failed, ok)| {
        let failed = later(failed, ok)?;
        let text = match ok {
            Some(ok) => format!(
                "the evaluation status shows the last {what} failed at {}, after the last successful one at {}",
                time(failed),
                time(ok)
            ),
            None => format!(
                "the evaluation status shows the last {what} failed at {} and none has succeeded",
                time(failed)
            ),
        };
        Some(with_error(text, status))
    })
}

/// The alarm's state, for reasons whose verdict did not come from it.
fn alarm_note(alarm: &Option<AlarmStatus>) -> String {
    match alarm {
        None => String::new(),
        Some(a) => format!(
            "; alarm {} is {} (no failed run known)",
            a.name,
            a.state.as_str()
        ),
    }
}

fn results_phrase(count: usize) -> String {
    if count == 1 {
        "its 1 result".to_owned()
    } else {
        format!("its {count} results")
    }
}

/// Failing beats everything: the alarm in ALARM (the function's last runs failed), then a
/// failure after the last success in the evaluation status. Then the last success is the
/// newest of the evaluation status's last successful evaluation (or invocation, when it names
/// no evaluation and the rule is not a custom Lambda rule) and the newest recorded result, the
/// status winning a tie: none means never
/// evaluated; older than twice the frequency means stale (exactly twice is still healthy).
pub fn verdict(evidence: &RuleEvidence, frequency: Frequency, now: DateTime<Utc>) -> Verdict {
    if let Some(alarm) = evidence
        .alarm
        .as_ref()
        .filter(|a| a.state == AlarmState::Alarm)
    {
        let since = alarm
            .updated
            .map(|t| format!(" since {}", time(t)))
            .unwrap_or_default();
        let why = alarm
            .reason
            .as_ref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        return Verdict {
            health: Health::Failing,
            reason: format!(
                "alarm {} is in ALARM{since}: the rule's function failed{why}",
                alarm.name
            ),
        };
    }
    let note = alarm_note(&evidence.alarm);
    if let Some(reason) = evidence.status.as_ref().and_then(status_failure) {
        return Verdict {
            health: Health::Failing,
            reason: format!("{reason}{note}"),
        };
    }
    // For a Lambda rule a successful invocation is only Lambda accepting the asynchronous
    // invoke: the function may fail every time, so it never counts as a run.
    let invocation_counts = evidence.owner != RuleOwner::CustomLambda;
    let from_status = evidence.status.as_ref().and_then(|s| {
        match (s.last_successful_evaluation, s.last_successful_invocation) {
            (Some(t), _) => Some((
                "the evaluation status's last successful evaluation was".to_owned(),
                t,
            )),
            (None, Some(t)) if invocation_counts => Some((
                "the evaluation status's last successful invocation was".to_owned(),
                t,
            )),
            _ => None,
        }
    });
    let ignored = match &evidence.status {
        Some(EvaluationStatus {
            last_successful_evaluation: None,
            last_successful_invocation: Some(t),
            ..
        }) if !invocation_counts => format!(
            "; the last successful invocation at {} is not counted: for a custom Lambda rule it only means Lambda accepted the invoke",
            time(*t)
        ),
        _ => String::new(),
    };
    let note = format!("{ignored}{note}");
    let from_results = evidence.results.last_recorded.map(|t| {
        (
            format!(
                "the newest of {} was recorded",
                results_phrase(evidence.results.count)
            ),
            t,
        )
    });
    let last = match (from_status, from_results) {
        (Some(s), Some(r)) if r.1 > s.1 => Some(r),
        (Some(s), _) => Some(s),
        (None, r) => r,
    };
    let Some((what, last)) = last else {
        let reason = match &evidence.status {
            Some(s) => {
                let since = s
                    .first_activated
                    .map(|t| format!(" (active since {})", time(t)))
                    .unwrap_or_default();
                format!(
                    "the evaluation status shows no successful run yet{since} and Config holds no results for the rule"
                )
            }
            None => "Config holds no results for the rule and no evaluation status (it gives none for custom Lambda rules)".to_owned(),
        };
        return Verdict {
            health: Health::NeverEvaluated,
            reason: format!("{reason}{note}"),
        };
    };
    let age = now - last;
    let limit = Duration::hours(2 * frequency.hours());
    // A clock ahead of ours reads as 0 h, not negative.
    let hours = age.num_hours().max(0);
    let (health, relation) = if age > limit {
        (Health::Stale, "more than")
    } else {
        (Health::Healthy, "within")
    };
    Verdict {
        health,
        reason: format!(
            "{what} at {} ({hours} h ago), {relation} twice the rule's frequency ({}, {} h){note}",
            time(last),
            frequency.as_str(),
            frequency.hours()
        ),
    }
}

/// The rule as DescribeConfigRules gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedRule {
    /// The name in this account (an organization rule's copy: `OrgConfigRule-<name>-<suffix>`).
    pub name: String,
    /// ACTIVE, EVALUATING, DELETING, ... as Config reports it.
    pub state: Option<String>,
    pub frequency: RuleFrequency,
    /// `Source.Owner`; the verdict reads it from [`RuleEvidence::owner`].
    pub owner: RuleOwner,
}

/// The `status` command's output for pipelines (JSON) and people (table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusReport {
    pub config_rule_name: String,
    pub config_rule_state: Option<String>,
    /// `Source.Owner`: AWS, CUSTOM_LAMBDA or CUSTOM_POLICY.
    pub config_rule_owner: &'static str,
    pub health: &'static str,
    pub reason: String,
    pub maximum_execution_frequency: &'static str,
    /// True when the rule names no frequency and Config's 24-hour default is assumed.
    pub frequency_defaulted: bool,
    /// Whether DescribeConfigRuleEvaluationStatus gave an entry (never for a custom Lambda
    /// rule); without one the next eight fields are null (false).
    pub evaluation_status_found: bool,
    pub last_successful_invocation_time: Option<String>,
    pub last_failed_invocation_time: Option<String>,
    pub last_successful_evaluation_time: Option<String>,
    pub last_failed_evaluation_time: Option<String>,
    pub first_activated_time: Option<String>,
    pub first_evaluation_started: bool,
    pub last_error_code: Option<String>,
    pub last_error_message: Option<String>,
    /// Results Config holds for the rule, every compliance type.
    pub result_count: usize,
    /// The newest `ResultRecordedTime`: the last successful run.
    pub last_result_recorded_time: Option<String>,
    /// The newest `ConfigRuleInvokedTime`.
    pub last_rule_invoked_time: Option<String>,
    /// `--alarm`; null (and the next three) without it.
    pub alarm: Option<String>,
    pub alarm_state: Option<&'static str>,
    pub alarm_reason: Option<String>,
    pub alarm_state_updated_time: Option<String>,
    /// The time the verdict is for (`--now`), RFC 3339.
    pub checked_at: String,
}

impl StatusReport {
    pub fn new(
        rule: &WatchedRule,
        evidence: &RuleEvidence,
        verdict: &Verdict,
        now: DateTime<Utc>,
    ) -> Self {
        let status = evidence.status.clone().unwrap_or_default();
        let alarm = evidence.alarm.as_ref();
        StatusReport {
            config_rule_name: rule.name.clone(),
            config_rule_state: rule.state.clone(),
            config_rule_owner: rule.owner.as_str(),
            health: verdict.health.as_str(),
            reason: verdict.reason.clone(),
            maximum_execution_frequency: rule.frequency.frequency.as_str(),
            frequency_defaulted: rule.frequency.defaulted,
            evaluation_status_found: evidence.status.is_some(),
            last_successful_invocation_time: status.last_successful_invocation.map(time),
            last_failed_invocation_time: status.last_failed_invocation.map(time),
            last_successful_evaluation_time: status.last_successful_evaluation.map(time),
            last_failed_evaluation_time: status.last_failed_evaluation.map(time),
            first_activated_time: status.first_activated.map(time),
            first_evaluation_started: status.first_evaluation_started,
            last_error_code: status.last_error_code,
            last_error_message: status.last_error_message,
            result_count: evidence.results.count,
            last_result_recorded_time: evidence.results.last_recorded.map(time),
            last_rule_invoked_time: evidence.results.last_invoked.map(time),
            alarm: alarm.map(|a| a.name.clone()),
            alarm_state: alarm.map(|a| a.state.as_str()),
            alarm_reason: alarm.and_then(|a| a.reason.clone()),
            alarm_state_updated_time: alarm.and_then(|a| a.updated).map(time),
            checked_at: time(now),
        }
    }

    pub fn json(&self) -> Result<String, crate::Error> {
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| crate::Error::OutputEncodingFailed {
                what: "status report".to_owned(),
                message: e.to_string(),
            })?;
        text.push('\n');
        Ok(text)
    }

    /// One `NAME  value` line per field, the verdict first.
    pub fn table(&self) -> String {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        let frequency = if self.frequency_defaulted {
            format!(
                "{} (the rule names none: Config's default)",
                self.maximum_execution_frequency
            )
        } else {
            self.maximum_execution_frequency.to_owned()
        };
        let found = if self.evaluation_status_found {
            "found".to_owned()
        } else {
            "none (Config gives none for custom Lambda rules)".to_owned()
        };
        let mut lines = vec![
            ("RULE", self.config_rule_name.clone()),
            ("HEALTH", self.health.to_owned()),
            ("REASON", self.reason.clone()),
            ("STATE", dash(&self.config_rule_state)),
            ("OWNER", self.config_rule_owner.to_owned()),
            ("FREQUENCY", frequency),
            ("RESULTS", self.result_count.to_string()),
            (
                "NEWEST RESULT RECORDED",
                dash(&self.last_result_recorded_time),
            ),
            ("NEWEST RULE INVOKED", dash(&self.last_rule_invoked_time)),
            ("EVALUATION STATUS", found),
        ];
        if self.evaluation_status_found {
            lines.extend([
                (
                    "LAST SUCCESSFUL EVALUATION",
                    dash(&self.last_successful_evaluation_time),
                ),
                (
                    "LAST FAILED EVALUATION",
                    dash(&self.last_failed_evaluation_time),
                ),
                (
                    "LAST SUCCESSFUL INVOCATION",
                    dash(&self.last_successful_invocation_time),
                ),
                (
                    "LAST FAILED INVOCATION",
                    dash(&self.last_failed_invocation_time),
                ),
                ("LAST ERROR CODE", dash(&self.last_error_code)),
                ("LAST ERROR MESSAGE", dash(&self.last_error_message)),
                ("FIRST ACTIVATED", dash(&self.first_activated_time)),
            ]);
        }
        if let Some(alarm) = &self.alarm {
            lines.extend([
                ("ALARM", alarm.clone()),
                ("ALARM STATE", self.alarm_state.unwrap_or("-").to_owned()),
                ("ALARM REASON", dash(&self.alarm_reason)),
                ("ALARM UPDATED", dash(&self.alarm_state_updated_time)),
            ]);
        }
        lines.push(("CHECKED AT", self.checked_at.clone()));
        let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        lines
            .iter()
            .map(|(key, value)| format!("{key:<width$}  {value}\n"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).unwrap())
    }

    fn at_min(day: u32, hour: u32, min: u32, sec: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 1, day, hour, min, sec).unwrap())
    }

    /// An evaluation status entry whose last evaluation and invocation succeeded at `t`.
    fn ok(t: Option<DateTime<Utc>>) -> EvaluationStatus {
        EvaluationStatus {
            last_successful_invocation: t,
            last_successful_evaluation: t,
            first_evaluation_started: true,
            ..EvaluationStatus::default()
        }
    }

    fn error(s: EvaluationStatus) -> EvaluationStatus {
        EvaluationStatus {
            last_error_code: Some("AccessDenied".to_owned()),
            last_error_message: Some("not allowed".to_owned()),
            ..s
        }
    }

    fn results(count: usize, recorded: Option<DateTime<Utc>>) -> RecordedResults {
        RecordedResults {
            count,
            last_recorded: recorded,
            last_invoked: recorded,
        }
    }

    fn alarm(state: AlarmState) -> Option<AlarmStatus> {
        Some(AlarmStatus {
            name: "f-failing".to_owned(),
            state,
            reason: Some("Threshold Crossed: 1 datapoint [2.0] was greater than or equal to the threshold (2.0).".to_owned()),
            updated: at_min(10, 11, 30, 0),
        })
    }

    /// The evidence of a custom Lambda rule: no evaluation status entry.
    fn lambda(results: RecordedResults, alarm: Option<AlarmStatus>) -> RuleEvidence {
        RuleEvidence {
            owner: RuleOwner::CustomLambda,
            status: None,
            results,
            alarm,
        }
    }

    /// The evidence of a managed rule with this evaluation status entry and no results.
    fn entry(status: EvaluationStatus) -> RuleEvidence {
        RuleEvidence {
            owner: RuleOwner::Aws,
            status: Some(status),
            results: RecordedResults::default(),
            alarm: None,
        }
    }

    /// A custom Lambda rule with an evaluation status entry, should Config ever give one.
    fn lambda_entry(status: EvaluationStatus, results: RecordedResults) -> RuleEvidence {
        RuleEvidence {
            owner: RuleOwner::CustomLambda,
            status: Some(status),
            results,
            alarm: None,
        }
    }

    /// (name, evidence, frequency, expected health, expected reason), `now` 2026-01-10T12:00Z.
    #[test]
    fn verdicts() {
        let now = at(10, 12).unwrap();
        use AlarmState::{Alarm, InsufficientData, Ok as AlarmOk};
        use Frequency::*;
        use Health::*;
        let fired = "alarm f-failing is in ALARM since 2026-01-10T11:30:00Z: the rule's function failed: Threshold Crossed: 1 datapoint [2.0] was greater than or equal to the threshold (2.0).";
        let cases: Vec<(&str, RuleEvidence, Frequency, Health, &str)> = vec![
            // Results alone: a custom Lambda rule without --alarm.
            (
                "results recorded 3 h ago, daily",
                lambda(results(4, at(10, 9)), None),
                TwentyFourHours,
                Healthy,
                "the newest of its 4 results was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "results exactly twice the frequency old are still healthy",
                lambda(results(1, at(8, 12)), None),
                TwentyFourHours,
                Healthy,
                "the newest of its 1 result was recorded at 2026-01-08T12:00:00Z (48 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "results one second past twice the frequency are stale",
                lambda(results(2, at_min(8, 11, 59, 59)), None),
                TwentyFourHours,
                Stale,
                "the newest of its 2 results was recorded at 2026-01-08T11:59:59Z (48 h ago), more than twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "results 7 h old with a 3-hour frequency are stale",
                lambda(results(3, at(10, 5)), None),
                ThreeHours,
                Stale,
                "the newest of its 3 results was recorded at 2026-01-10T05:00:00Z (7 h ago), more than twice the rule's frequency (Three_Hours, 3 h)",
            ),
            (
                "no results and no status entry: never evaluated",
                lambda(RecordedResults::default(), None),
                TwentyFourHours,
                NeverEvaluated,
                "Config holds no results for the rule and no evaluation status (it gives none for custom Lambda rules)",
            ),
            // The alarm alone and with results.
            (
                "alarm in ALARM, no results",
                lambda(RecordedResults::default(), alarm(Alarm)),
                TwentyFourHours,
                Failing,
                fired,
            ),
            (
                "alarm in ALARM beats fresh results",
                lambda(results(4, at(10, 9)), alarm(Alarm)),
                TwentyFourHours,
                Failing,
                fired,
            ),
            (
                "alarm in ALARM beats stale results",
                lambda(results(4, at(1, 0)), alarm(Alarm)),
                OneHour,
                Failing,
                fired,
            ),
            (
                "alarm in ALARM without a reason or a time",
                lambda(
                    results(4, at(10, 9)),
                    Some(AlarmStatus {
                        name: "f-failing".to_owned(),
                        state: Alarm,
                        reason: None,
                        updated: None,
                    }),
                ),
                TwentyFourHours,
                Failing,
                "alarm f-failing is in ALARM: the rule's function failed",
            ),
            (
                "alarm OK, results fresh",
                lambda(results(4, at(10, 9)), alarm(AlarmOk)),
                TwentyFourHours,
                Healthy,
                "the newest of its 4 results was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h); alarm f-failing is OK (no failed run known)",
            ),
            (
                "alarm OK, results exactly twice the frequency old",
                lambda(results(4, at(8, 12)), alarm(AlarmOk)),
                TwentyFourHours,
                Healthy,
                "the newest of its 4 results was recorded at 2026-01-08T12:00:00Z (48 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h); alarm f-failing is OK (no failed run known)",
            ),
            (
                "alarm OK does not hide stale results",
                lambda(results(4, at(8, 11)), alarm(AlarmOk)),
                TwentyFourHours,
                Stale,
                "the newest of its 4 results was recorded at 2026-01-08T11:00:00Z (49 h ago), more than twice the rule's frequency (TwentyFour_Hours, 24 h); alarm f-failing is OK (no failed run known)",
            ),
            (
                "alarm INSUFFICIENT_DATA is no failure; stale results still are",
                lambda(results(4, at(9, 0)), alarm(InsufficientData)),
                SixHours,
                Stale,
                "the newest of its 4 results was recorded at 2026-01-09T00:00:00Z (36 h ago), more than twice the rule's frequency (Six_Hours, 6 h); alarm f-failing is INSUFFICIENT_DATA (no failed run known)",
            ),
            (
                "alarm OK, no results: never evaluated",
                lambda(RecordedResults::default(), alarm(AlarmOk)),
                TwentyFourHours,
                NeverEvaluated,
                "Config holds no results for the rule and no evaluation status (it gives none for custom Lambda rules); alarm f-failing is OK (no failed run known)",
            ),
            // The evaluation status entry alone (managed and custom policy rules).
            (
                "status: evaluated 3 h ago, daily",
                entry(ok(at(10, 9))),
                TwentyFourHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "status: exactly twice the frequency is still healthy",
                entry(ok(at(8, 12))),
                TwentyFourHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-08T12:00:00Z (48 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "status: one second past twice the frequency is stale",
                entry(ok(at_min(8, 11, 59, 59))),
                TwentyFourHours,
                Stale,
                "the evaluation status's last successful evaluation was at 2026-01-08T11:59:59Z (48 h ago), more than twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "status: 5 h old with a 3-hour frequency is healthy",
                entry(ok(at(10, 7))),
                ThreeHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T07:00:00Z (5 h ago), within twice the rule's frequency (Three_Hours, 3 h)",
            ),
            (
                "status: a failed evaluation after the last success",
                entry(error(EvaluationStatus {
                    last_failed_evaluation: at(10, 11),
                    ..ok(at(10, 9))
                })),
                TwentyFourHours,
                Failing,
                "the evaluation status shows the last evaluation failed at 2026-01-10T11:00:00Z, after the last successful one at 2026-01-10T09:00:00Z: AccessDenied: not allowed",
            ),
            (
                "status: a failed evaluation before the last success is history",
                entry(error(EvaluationStatus {
                    last_failed_evaluation: at(10, 8),
                    ..ok(at(10, 9))
                })),
                TwentyFourHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "status: a failure at the same instant as the success is not newer",
                entry(EvaluationStatus {
                    last_failed_evaluation: at(10, 9),
                    ..ok(at(10, 9))
                }),
                TwentyFourHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "status: failed evaluations only",
                entry(EvaluationStatus {
                    last_failed_evaluation: at(10, 11),
                    last_error_code: Some("InternalError".to_owned()),
                    ..EvaluationStatus::default()
                }),
                TwentyFourHours,
                Failing,
                "the evaluation status shows the last evaluation failed at 2026-01-10T11:00:00Z and none has succeeded: InternalError",
            ),
            (
                "status: a failed invocation after the last successful one",
                entry(EvaluationStatus {
                    last_failed_invocation: at(10, 10),
                    last_error_message: Some("function timed out".to_owned()),
                    ..ok(at(10, 9))
                }),
                TwentyFourHours,
                Failing,
                "the evaluation status shows the last invocation failed at 2026-01-10T10:00:00Z, after the last successful one at 2026-01-10T09:00:00Z: function timed out",
            ),
            (
                "status: failed invocations only",
                entry(EvaluationStatus {
                    last_failed_invocation: at(10, 10),
                    ..EvaluationStatus::default()
                }),
                OneHour,
                Failing,
                "the evaluation status shows the last invocation failed at 2026-01-10T10:00:00Z and none has succeeded",
            ),
            (
                "status: a failure beats staleness",
                entry(EvaluationStatus {
                    last_failed_evaluation: at(2, 0),
                    ..ok(at(1, 0))
                }),
                OneHour,
                Failing,
                "the evaluation status shows the last evaluation failed at 2026-01-02T00:00:00Z, after the last successful one at 2026-01-01T00:00:00Z",
            ),
            (
                "status: never evaluated, no results",
                entry(EvaluationStatus {
                    first_activated: at(10, 11),
                    ..EvaluationStatus::default()
                }),
                TwentyFourHours,
                NeverEvaluated,
                "the evaluation status shows no successful run yet (active since 2026-01-10T11:00:00Z) and Config holds no results for the rule",
            ),
            (
                "status: never evaluated, no activation time",
                entry(EvaluationStatus::default()),
                SixHours,
                NeverEvaluated,
                "the evaluation status shows no successful run yet and Config holds no results for the rule",
            ),
            (
                "status: only invocation times, the invocation stands for the run",
                entry(EvaluationStatus {
                    last_successful_invocation: at(10, 0),
                    ..EvaluationStatus::default()
                }),
                SixHours,
                Healthy,
                "the evaluation status's last successful invocation was at 2026-01-10T00:00:00Z (12 h ago), within twice the rule's frequency (Six_Hours, 6 h)",
            ),
            (
                "status: only invocation times, stale",
                entry(EvaluationStatus {
                    last_successful_invocation: at(9, 23),
                    ..EvaluationStatus::default()
                }),
                SixHours,
                Stale,
                "the evaluation status's last successful invocation was at 2026-01-09T23:00:00Z (13 h ago), more than twice the rule's frequency (Six_Hours, 6 h)",
            ),
            // A custom Lambda rule: a successful invocation is Lambda accepting the
            // asynchronous invoke, never a successful run.
            (
                "lambda: a fresh successful invocation does not hide stale results",
                lambda_entry(
                    EvaluationStatus {
                        last_successful_invocation: at(10, 11),
                        ..EvaluationStatus::default()
                    },
                    results(4, at(9, 0)),
                ),
                SixHours,
                Stale,
                "the newest of its 4 results was recorded at 2026-01-09T00:00:00Z (36 h ago), more than twice the rule's frequency (Six_Hours, 6 h); the last successful invocation at 2026-01-10T11:00:00Z is not counted: for a custom Lambda rule it only means Lambda accepted the invoke",
            ),
            (
                "lambda: a fresh successful invocation with fresh results is healthy from the results",
                lambda_entry(
                    EvaluationStatus {
                        last_successful_invocation: at(10, 11),
                        ..EvaluationStatus::default()
                    },
                    results(4, at(10, 9)),
                ),
                SixHours,
                Healthy,
                "the newest of its 4 results was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (Six_Hours, 6 h); the last successful invocation at 2026-01-10T11:00:00Z is not counted: for a custom Lambda rule it only means Lambda accepted the invoke",
            ),
            (
                "lambda: successful invocations and no results are never evaluated",
                lambda_entry(
                    EvaluationStatus {
                        last_successful_invocation: at(10, 11),
                        ..EvaluationStatus::default()
                    },
                    RecordedResults::default(),
                ),
                SixHours,
                NeverEvaluated,
                "the evaluation status shows no successful run yet and Config holds no results for the rule; the last successful invocation at 2026-01-10T11:00:00Z is not counted: for a custom Lambda rule it only means Lambda accepted the invoke",
            ),
            (
                "lambda: a successful evaluation in the entry still counts",
                lambda_entry(ok(at(10, 10)), results(4, at(9, 0))),
                SixHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T10:00:00Z (2 h ago), within twice the rule's frequency (Six_Hours, 6 h)",
            ),
            (
                "managed: the same fresh invocation with stale results stands for the run",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    ..lambda_entry(
                        EvaluationStatus {
                            last_successful_invocation: at(10, 11),
                            ..EvaluationStatus::default()
                        },
                        results(4, at(9, 0)),
                    )
                },
                SixHours,
                Healthy,
                "the evaluation status's last successful invocation was at 2026-01-10T11:00:00Z (1 h ago), within twice the rule's frequency (Six_Hours, 6 h)",
            ),
            (
                "custom policy: an invocation stands for the run as for a managed rule",
                RuleEvidence {
                    owner: RuleOwner::CustomPolicy,
                    ..entry(EvaluationStatus {
                        last_successful_invocation: at(10, 0),
                        ..EvaluationStatus::default()
                    })
                },
                SixHours,
                Healthy,
                "the evaluation status's last successful invocation was at 2026-01-10T00:00:00Z (12 h ago), within twice the rule's frequency (Six_Hours, 6 h)",
            ),
            (
                "status: a clock ahead of ours is not stale",
                entry(ok(at(10, 13))),
                OneHour,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T13:00:00Z (0 h ago), within twice the rule's frequency (One_Hour, 1 h)",
            ),
            // Status entry and results together: the newer success counts.
            (
                "a stale status entry but fresh results: the results count",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(ok(at(1, 0))),
                    results: results(4, at(10, 9)),
                    alarm: None,
                },
                TwentyFourHours,
                Healthy,
                "the newest of its 4 results was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "a status entry newer than the results: the entry counts",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(ok(at(10, 10))),
                    results: results(4, at(1, 0)),
                    alarm: None,
                },
                TwentyFourHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T10:00:00Z (2 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "the same instant in both: the entry counts",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(ok(at(10, 9))),
                    results: results(4, at(10, 9)),
                    alarm: None,
                },
                TwentyFourHours,
                Healthy,
                "the evaluation status's last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "both stale: stale, from the newer",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(ok(at(2, 0))),
                    results: results(4, at(3, 0)),
                    alarm: None,
                },
                TwelveHours,
                Stale,
                "the newest of its 4 results was recorded at 2026-01-03T00:00:00Z (180 h ago), more than twice the rule's frequency (Twelve_Hours, 12 h)",
            ),
            (
                "a status entry that never succeeded, with fresh results",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(EvaluationStatus {
                        first_activated: at(1, 0),
                        ..EvaluationStatus::default()
                    }),
                    results: results(4, at(10, 9)),
                    alarm: None,
                },
                TwentyFourHours,
                Healthy,
                "the newest of its 4 results was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "a failure in the status entry beats fresh results",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(EvaluationStatus {
                        last_failed_evaluation: at(10, 11),
                        ..ok(at(10, 9))
                    }),
                    results: results(4, at(10, 9)),
                    alarm: None,
                },
                TwentyFourHours,
                Failing,
                "the evaluation status shows the last evaluation failed at 2026-01-10T11:00:00Z, after the last successful one at 2026-01-10T09:00:00Z",
            ),
            (
                "a failure in the status entry with the alarm OK",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(EvaluationStatus {
                        last_failed_evaluation: at(10, 11),
                        ..ok(at(10, 9))
                    }),
                    results: results(4, at(10, 9)),
                    alarm: alarm(AlarmOk),
                },
                TwentyFourHours,
                Failing,
                "the evaluation status shows the last evaluation failed at 2026-01-10T11:00:00Z, after the last successful one at 2026-01-10T09:00:00Z; alarm f-failing is OK (no failed run known)",
            ),
            (
                "all three: the alarm in ALARM speaks first",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(EvaluationStatus {
                        last_failed_evaluation: at(10, 11),
                        ..ok(at(10, 9))
                    }),
                    results: results(4, at(10, 9)),
                    alarm: alarm(Alarm),
                },
                TwentyFourHours,
                Failing,
                fired,
            ),
            (
                "all three healthy",
                RuleEvidence {
                    owner: RuleOwner::Aws,
                    status: Some(ok(at(10, 8))),
                    results: results(4, at(10, 9)),
                    alarm: alarm(InsufficientData),
                },
                ThreeHours,
                Healthy,
                "the newest of its 4 results was recorded at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (Three_Hours, 3 h); alarm f-failing is INSUFFICIENT_DATA (no failed run known)",
            ),
        ];
        for (name, evidence, frequency, health, reason) in cases {
            assert_eq!(
                verdict(&evidence, frequency, now),
                Verdict {
                    health,
                    reason: reason.to_owned()
                },
                "{name}"
            );
        }
    }

    #[test]
    fn alarm_states_parse_as_cloudwatch_writes_them() {
        for (text, state) in [
            ("OK", AlarmState::Ok),
            ("ALARM", AlarmState::Alarm),
            ("INSUFFICIENT_DATA", AlarmState::InsufficientData),
        ] {
            assert_eq!(AlarmState::parse(text), Some(state));
            assert_eq!(state.as_str(), text);
        }
        assert_eq!(AlarmState::parse("alarm"), None);
    }

    #[test]
    fn frequencies_parse_as_config_writes_them() {
        let table = [
            ("One_Hour", 1),
            ("Three_Hours", 3),
            ("Six_Hours", 6),
            ("Twelve_Hours", 12),
            ("TwentyFour_Hours", 24),
        ];
        for (text, hours) in table {
            let frequency = Frequency::parse(text).unwrap();
            assert_eq!((frequency.as_str(), frequency.hours()), (text, hours));
        }
        assert_eq!(Frequency::parse("Daily"), None);
    }

    #[test]
    fn owners_parse_as_config_writes_them() {
        for (text, owner) in [
            ("AWS", RuleOwner::Aws),
            ("CUSTOM_LAMBDA", RuleOwner::CustomLambda),
            ("CUSTOM_POLICY", RuleOwner::CustomPolicy),
        ] {
            assert_eq!(RuleOwner::parse(text), Some(owner));
            assert_eq!(owner.as_str(), text);
        }
        assert_eq!(RuleOwner::parse("custom_lambda"), None);
    }

    #[test]
    fn only_healthy_is_healthy() {
        for (health, ok) in [
            (Health::Healthy, true),
            (Health::Failing, false),
            (Health::Stale, false),
            (Health::NeverEvaluated, false),
        ] {
            assert_eq!(health.is_healthy(), ok, "{health:?}");
        }
    }
}
