//! Is the rule running? The rule's evaluation status, its frequency and `now` decide whether a
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

/// What DescribeConfigRuleEvaluationStatus and DescribeConfigRules say about one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationStatus {
    pub rule_name: String,
    /// ACTIVE, EVALUATING, DELETING, ... as Config reports it.
    pub rule_state: Option<String>,
    pub last_successful_invocation: Option<DateTime<Utc>>,
    pub last_failed_invocation: Option<DateTime<Utc>>,
    pub last_successful_evaluation: Option<DateTime<Utc>>,
    pub last_failed_evaluation: Option<DateTime<Utc>>,
    pub first_activated: Option<DateTime<Utc>>,
    pub first_evaluation_started: bool,
    pub last_error_code: Option<String>,
    pub last_error_message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// The last evaluation (or invocation) failed after the last successful one.
    Failing,
    /// The last success is older than twice the rule's frequency.
    Stale,
    /// Config has not run the rule successfully yet.
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

/// Failed beats everything (a failure after the last success), then never evaluated, then
/// stale (the last success older than twice the frequency; exactly twice is still healthy).
/// The last success is the last successful evaluation, or, when Config reports none, the
/// last successful invocation.
pub fn verdict(status: &EvaluationStatus, frequency: Frequency, now: DateTime<Utc>) -> Verdict {
    let failing = |reason: String| Verdict {
        health: Health::Failing,
        reason: with_error(reason, status),
    };
    if let Some(failed) = later(
        status.last_failed_evaluation,
        status.last_successful_evaluation,
    ) {
        return failing(match status.last_successful_evaluation {
            Some(ok) => format!(
                "the last evaluation failed at {}, after the last successful one at {}",
                time(failed),
                time(ok)
            ),
            None => format!(
                "the last evaluation failed at {} and none has succeeded",
                time(failed)
            ),
        });
    }
    if let Some(failed) = later(
        status.last_failed_invocation,
        status.last_successful_invocation,
    ) {
        return failing(match status.last_successful_invocation {
            Some(ok) => format!(
                "the last invocation failed at {}, after the last successful one at {}",
                time(failed),
                time(ok)
            ),
            None => format!(
                "the last invocation failed at {} and none has succeeded",
                time(failed)
            ),
        });
    }
    let (what, last) = match (
        status.last_successful_evaluation,
        status.last_successful_invocation,
    ) {
        (Some(t), _) => ("evaluation", t),
        (None, Some(t)) => ("invocation", t),
        (None, None) => {
            let since = status
                .first_activated
                .map(|t| format!(" (active since {})", time(t)))
                .unwrap_or_default();
            return Verdict {
                health: Health::NeverEvaluated,
                reason: format!("Config has not evaluated the rule successfully yet{since}"),
            };
        }
    };
    let age = now - last;
    let limit = Duration::hours(2 * frequency.hours());
    // A status clock ahead of ours reads as 0 h, not negative.
    let hours = age.num_hours().max(0);
    if age > limit {
        Verdict {
            health: Health::Stale,
            reason: format!(
                "the last successful {what} was at {} ({hours} h ago), more than twice the rule's frequency ({}, {} h)",
                time(last),
                frequency.as_str(),
                frequency.hours()
            ),
        }
    } else {
        Verdict {
            health: Health::Healthy,
            reason: format!(
                "the last successful {what} was at {} ({hours} h ago), within twice the rule's frequency ({}, {} h)",
                time(last),
                frequency.as_str(),
                frequency.hours()
            ),
        }
    }
}

/// The `status` command's output for pipelines (JSON) and people (table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusReport {
    pub config_rule_name: String,
    pub config_rule_state: Option<String>,
    pub health: &'static str,
    pub reason: String,
    pub maximum_execution_frequency: &'static str,
    /// True when the rule names no frequency and Config's 24-hour default is assumed.
    pub frequency_defaulted: bool,
    pub last_successful_invocation_time: Option<String>,
    pub last_failed_invocation_time: Option<String>,
    pub last_successful_evaluation_time: Option<String>,
    pub last_failed_evaluation_time: Option<String>,
    pub first_activated_time: Option<String>,
    pub first_evaluation_started: bool,
    pub last_error_code: Option<String>,
    pub last_error_message: Option<String>,
    /// The time the verdict is for (`--now`), RFC 3339.
    pub checked_at: String,
}

impl StatusReport {
    pub fn new(
        status: &EvaluationStatus,
        frequency: RuleFrequency,
        verdict: &Verdict,
        now: DateTime<Utc>,
    ) -> Self {
        StatusReport {
            config_rule_name: status.rule_name.clone(),
            config_rule_state: status.rule_state.clone(),
            health: verdict.health.as_str(),
            reason: verdict.reason.clone(),
            maximum_execution_frequency: frequency.frequency.as_str(),
            frequency_defaulted: frequency.defaulted,
            last_successful_invocation_time: status.last_successful_invocation.map(time),
            last_failed_invocation_time: status.last_failed_invocation.map(time),
            last_successful_evaluation_time: status.last_successful_evaluation.map(time),
            last_failed_evaluation_time: status.last_failed_evaluation.map(time),
            first_activated_time: status.first_activated.map(time),
            first_evaluation_started: status.first_evaluation_started,
            last_error_code: status.last_error_code.clone(),
            last_error_message: status.last_error_message.clone(),
            checked_at: time(now),
        }
    }

    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
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
        let lines = [
            ("RULE", self.config_rule_name.clone()),
            ("HEALTH", self.health.to_owned()),
            ("REASON", self.reason.clone()),
            ("STATE", dash(&self.config_rule_state)),
            ("FREQUENCY", frequency),
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
            ("CHECKED AT", self.checked_at.clone()),
        ];
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

    /// (name, status, frequency, expected health, expected reason), `now` 2026-01-10T12:00Z.
    #[test]
    fn verdicts() {
        let now = at(10, 12).unwrap();
        let ok = |eval: Option<DateTime<Utc>>| EvaluationStatus {
            rule_name: "r".to_owned(),
            last_successful_invocation: eval,
            last_successful_evaluation: eval,
            first_evaluation_started: true,
            ..EvaluationStatus::default()
        };
        let error = |s: EvaluationStatus| EvaluationStatus {
            last_error_code: Some("AccessDenied".to_owned()),
            last_error_message: Some("not allowed".to_owned()),
            ..s
        };
        use Frequency::*;
        use Health::*;
        let cases: Vec<(&str, EvaluationStatus, Frequency, Health, &str)> = vec![
            (
                "evaluated 3 h ago, daily",
                ok(at(10, 9)),
                TwentyFourHours,
                Healthy,
                "the last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "exactly twice the frequency is still healthy",
                ok(at(8, 12)),
                TwentyFourHours,
                Healthy,
                "the last successful evaluation was at 2026-01-08T12:00:00Z (48 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "one second past twice the frequency is stale",
                ok(Some(Utc.with_ymd_and_hms(2026, 1, 8, 11, 59, 59).unwrap())),
                TwentyFourHours,
                Stale,
                "the last successful evaluation was at 2026-01-08T11:59:59Z (48 h ago), more than twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "7 h old with a 3-hour frequency is stale",
                ok(at(10, 5)),
                ThreeHours,
                Stale,
                "the last successful evaluation was at 2026-01-10T05:00:00Z (7 h ago), more than twice the rule's frequency (Three_Hours, 3 h)",
            ),
            (
                "5 h old with a 3-hour frequency is healthy",
                ok(at(10, 7)),
                ThreeHours,
                Healthy,
                "the last successful evaluation was at 2026-01-10T07:00:00Z (5 h ago), within twice the rule's frequency (Three_Hours, 3 h)",
            ),
            (
                "a failed evaluation after the last success",
                error(EvaluationStatus {
                    last_failed_evaluation: at(10, 11),
                    ..ok(at(10, 9))
                }),
                TwentyFourHours,
                Failing,
                "the last evaluation failed at 2026-01-10T11:00:00Z, after the last successful one at 2026-01-10T09:00:00Z: AccessDenied: not allowed",
            ),
            (
                "a failed evaluation before the last success is history",
                error(EvaluationStatus {
                    last_failed_evaluation: at(10, 8),
                    ..ok(at(10, 9))
                }),
                TwentyFourHours,
                Healthy,
                "the last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "a failure at the same instant as the success is not newer",
                EvaluationStatus {
                    last_failed_evaluation: at(10, 9),
                    ..ok(at(10, 9))
                },
                TwentyFourHours,
                Healthy,
                "the last successful evaluation was at 2026-01-10T09:00:00Z (3 h ago), within twice the rule's frequency (TwentyFour_Hours, 24 h)",
            ),
            (
                "failed evaluations only",
                EvaluationStatus {
                    last_failed_evaluation: at(10, 11),
                    last_error_code: Some("InternalError".to_owned()),
                    ..EvaluationStatus::default()
                },
                TwentyFourHours,
                Failing,
                "the last evaluation failed at 2026-01-10T11:00:00Z and none has succeeded: InternalError",
            ),
            (
                "a failed invocation after the last successful one",
                EvaluationStatus {
                    last_failed_invocation: at(10, 10),
                    last_error_message: Some("function timed out".to_owned()),
                    ..ok(at(10, 9))
                },
                TwentyFourHours,
                Failing,
                "the last invocation failed at 2026-01-10T10:00:00Z, after the last successful one at 2026-01-10T09:00:00Z: function timed out",
            ),
            (
                "failed invocations only",
                EvaluationStatus {
                    last_failed_invocation: at(10, 10),
                    ..EvaluationStatus::default()
                },
                OneHour,
                Failing,
                "the last invocation failed at 2026-01-10T10:00:00Z and none has succeeded",
            ),
            (
                "a failure beats staleness",
                EvaluationStatus {
                    last_failed_evaluation: at(2, 0),
                    ..ok(at(1, 0))
                },
                OneHour,
                Failing,
                "the last evaluation failed at 2026-01-02T00:00:00Z, after the last successful one at 2026-01-01T00:00:00Z",
            ),
            (
                "never evaluated",
                EvaluationStatus {
                    first_activated: at(10, 11),
                    ..EvaluationStatus::default()
                },
                TwentyFourHours,
                NeverEvaluated,
                "Config has not evaluated the rule successfully yet (active since 2026-01-10T11:00:00Z)",
            ),
            (
                "never evaluated, no activation time",
                EvaluationStatus::default(),
                SixHours,
                NeverEvaluated,
                "Config has not evaluated the rule successfully yet",
            ),
            (
                "only invocation times: the invocation stands for the run",
                EvaluationStatus {
                    last_successful_invocation: at(10, 0),
                    ..EvaluationStatus::default()
                },
                SixHours,
                Healthy,
                "the last successful invocation was at 2026-01-10T00:00:00Z (12 h ago), within twice the rule's frequency (Six_Hours, 6 h)",
            ),
            (
                "only invocation times, stale",
                EvaluationStatus {
                    last_successful_invocation: at(9, 23),
                    ..EvaluationStatus::default()
                },
                SixHours,
                Stale,
                "the last successful invocation was at 2026-01-09T23:00:00Z (13 h ago), more than twice the rule's frequency (Six_Hours, 6 h)",
            ),
            (
                "12-hour frequency, 25 h old",
                ok(at(9, 11)),
                TwelveHours,
                Stale,
                "the last successful evaluation was at 2026-01-09T11:00:00Z (25 h ago), more than twice the rule's frequency (Twelve_Hours, 12 h)",
            ),
            (
                "a clock ahead of ours is not stale",
                ok(at(10, 13)),
                OneHour,
                Healthy,
                "the last successful evaluation was at 2026-01-10T13:00:00Z (0 h ago), within twice the rule's frequency (One_Hour, 1 h)",
            ),
        ];
        for (name, status, frequency, health, reason) in cases {
            assert_eq!(
                verdict(&status, frequency, now),
                Verdict {
                    health,
                    reason: reason.to_owned()
                },
                "{name}"
            );
        }
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
