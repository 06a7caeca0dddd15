//! The one error type. Each variant is named as the `errorType` Lambda reports, and carries the
//! facts (what was wrong, with which value) as fields; each front end presents them: the Lambda
//! adds what was left unsent (`lambda::diagnostic`), role-audit adds hints (`cli::hints`).

use crate::core::credential_report::ReportProblem;
use crate::core::results::AccountList;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid event: {field}: {message}")]
    InvalidEvent { field: String, message: String },

    #[error("invalid rule parameter {key}: {message}")]
    InvalidRuleParameter { key: String, message: String },

    #[error("invalid setting: {name}={value:?} {message}")]
    InvalidSetting {
        name: String,
        value: String,
        message: String,
    },

    #[error("IAM GetAccountAuthorizationDetails failed on page {page}: {message}")]
    IamFetchFailed {
        page: usize,
        message: String,
        /// The AWS error code (`AccessDenied`, `Throttling`, ...), when AWS answered; see
        /// [`crate::aws::NO_CREDENTIALS`] for the SDK finding no credentials.
        code: Option<String>,
    },

    #[error("IAM returned unusable data on page {page}: {message}")]
    InvalidIamData { page: usize, message: String },

    #[error("IAM {operation} failed: {message}")]
    CredentialReportFailed {
        /// `GenerateCredentialReport` or `GetCredentialReport`.
        operation: String,
        message: String,
        /// The AWS error code (`AccessDenied`, `LimitExceeded`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("the IAM credential report was still not ready after {attempts} GenerateCredentialReport calls and {} s of waiting", waited.as_secs())]
    CredentialReportNotReady {
        attempts: usize,
        waited: std::time::Duration,
    },

    #[error("IAM returned an unusable credential report: {}{field}: {message}", line.map(|l| format!("line {l}, ")).unwrap_or_default())]
    InvalidCredentialReport {
        /// The CSV line (the header is line 1); None for the response's own fields.
        line: Option<usize>,
        /// The CSV column (`password_last_used`, `header`, `row`) or the response's field
        /// (`ReportFormat`, `GeneratedTime`).
        field: String,
        message: String,
    },

    #[error("reading the results of Config rule {rule:?} failed: {message}")]
    ConfigReadFailed {
        rule: String,
        message: String,
        /// The AWS error code (`NoSuchConfigRuleException`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("the evaluation of {resource_type} {resource_id} cannot be sent: {message}")]
    InvalidEvaluation {
        resource_type: String,
        resource_id: String,
        message: String,
    },

    #[error("PutEvaluations failed after {sent} of {total} evaluations were accepted: {message}")]
    ConfigPublishFailed {
        sent: usize,
        total: usize,
        message: String,
    },

    #[error(
        "AWS Config rejected {} of {total} evaluations after {attempts} attempts: {}",
        rejected.len(),
        listed(rejected)
    )]
    EvaluationsRejected {
        /// The resource ids Config still refused after the last attempt.
        rejected: Vec<String>,
        total: usize,
        attempts: u32,
    },

    #[error("the Lambda deadline is too close to finish {stage}: {detail}")]
    DeadlineTooClose { stage: String, detail: String },

    #[error("the event is for account {event_account} but the function runs in {function_account}: set the rule parameter execution_role_name to the role to assume there")]
    ExecutionRoleNeeded {
        event_account: String,
        function_account: String,
    },

    #[error("assuming {role_arn} failed: {message}")]
    AssumeRoleAccessDenied { role_arn: String, message: String },

    #[error("assuming {role_arn} failed: {message}")]
    AssumeRoleFailed {
        role_arn: String,
        message: String,
        code: Option<String>,
    },

    #[error("invalid {option} {value}: {message}")]
    InvalidOption {
        option: String,
        value: String,
        message: String,
    },

    #[error("aggregator {aggregator:?} holds no results for any rule named {rule:?} or \"OrgConfigRule-{rule}-*\"{}", account.as_ref().map(|a| format!(" in account {a}")).unwrap_or_default())]
    NoAggregateResults {
        aggregator: String,
        rule: String,
        account: Option<String>,
        /// The accounts the aggregator should cover, with the rule's status in each when
        /// known, or why they could not be read.
        accounts: AccountList,
    },

    #[error("encoding the {what} as JSON failed: {message}")]
    OutputEncodingFailed { what: String, message: String },

    #[error("reading the status of Config rule {rule:?} failed: {operation}: {message}")]
    RuleStatusReadFailed {
        rule: String,
        operation: String,
        message: String,
        /// The AWS error code (`NoSuchConfigRuleException`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("reading CloudWatch alarm {alarm:?} failed: DescribeAlarms: {message}")]
    AlarmReadFailed {
        alarm: String,
        message: String,
        /// The AWS error code (`AccessDenied`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("there is no CloudWatch metric alarm named {alarm:?} in this Region")]
    NoSuchAlarm { alarm: String },

    #[error(
        "reading the service last accessed report of {principal} failed: {operation}: {message}"
    )]
    AccessReportFailed {
        /// The role's or user's name, or its ARN once known.
        principal: String,
        /// The IAM operation that failed (`GetRole`, `GenerateServiceLastAccessedDetails`, ...).
        operation: String,
        message: String,
        /// The AWS error code (`AccessDenied`, `Throttling`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("invalid snapshot {source_name}: {message}")]
    InvalidSnapshot {
        source_name: String,
        message: String,
    },

    /// A quarantine or restore guard refused: nothing was changed.
    #[error("refused: {0}")]
    QuarantineRefused(crate::core::quarantine::Refusal),

    #[error("{operation} for {principal} failed: {message}; {}", made_before(made))]
    QuarantineFailed {
        principal: String,
        operation: String,
        message: String,
        code: Option<String>,
        /// The calls made before the failure, as `iam:<Operation> <parameters>` lines.
        made: Vec<String>,
    },
}

fn made_before(made: &[String]) -> String {
    if made.is_empty() {
        "nothing was changed".to_owned()
    } else {
        format!("made before it: {}", made.join("; "))
    }
}

impl From<ReportProblem> for Error {
    fn from(problem: ReportProblem) -> Self {
        Error::InvalidCredentialReport {
            line: Some(problem.line),
            field: problem.field,
            message: problem.message,
        }
    }
}

/// The first ids of a list, then how many more.
fn listed(ids: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

impl Error {
    /// The `errorType` Lambda reports: the variant's name, stable for alarms and tests.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidEvent { .. } => "InvalidEvent",
            Self::InvalidRuleParameter { .. } => "InvalidRuleParameter",
            Self::InvalidSetting { .. } => "InvalidSetting",
            Self::IamFetchFailed { .. } => "IamFetchFailed",
            Self::InvalidIamData { .. } => "InvalidIamData",
            Self::CredentialReportFailed { .. } => "CredentialReportFailed",
            Self::CredentialReportNotReady { .. } => "CredentialReportNotReady",
            Self::InvalidCredentialReport { .. } => "InvalidCredentialReport",
            Self::ConfigReadFailed { .. } => "ConfigReadFailed",
            Self::InvalidEvaluation { .. } => "InvalidEvaluation",
            Self::ConfigPublishFailed { .. } => "ConfigPublishFailed",
            Self::EvaluationsRejected { .. } => "EvaluationsRejected",
            Self::DeadlineTooClose { .. } => "DeadlineTooClose",
            Self::ExecutionRoleNeeded { .. } => "ExecutionRoleNeeded",
            Self::AssumeRoleAccessDenied { .. } => "AssumeRoleAccessDenied",
            Self::AssumeRoleFailed { .. } => "AssumeRoleFailed",
            Self::InvalidOption { .. } => "InvalidOption",
            Self::NoAggregateResults { .. } => "NoAggregateResults",
            Self::OutputEncodingFailed { .. } => "OutputEncodingFailed",
            Self::RuleStatusReadFailed { .. } => "RuleStatusReadFailed",
            Self::AlarmReadFailed { .. } => "AlarmReadFailed",
            Self::NoSuchAlarm { .. } => "NoSuchAlarm",
            Self::AccessReportFailed { .. } => "AccessReportFailed",
            Self::InvalidSnapshot { .. } => "InvalidSnapshot",
            Self::QuarantineRefused(_) => "QuarantineRefused",
            Self::QuarantineFailed { .. } => "QuarantineFailed",
        }
    }

    /// Errors caused by what the caller gave us, as opposed to AWS failing.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::InvalidEvent { .. }
                | Self::InvalidRuleParameter { .. }
                | Self::InvalidSnapshot { .. }
                | Self::InvalidOption { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> String {
        "x".to_owned()
    }

    /// One of each variant. A new variant fails to compile here until it is added.
    fn one_of_each() -> Vec<Error> {
        use Error::*;
        let every = vec![
            InvalidEvent {
                field: text(),
                message: text(),
            },
            InvalidRuleParameter {
                key: text(),
                message: text(),
            },
            InvalidSetting {
                name: text(),
                value: text(),
                message: text(),
            },
            IamFetchFailed {
                page: 1,
                message: text(),
                code: None,
            },
            InvalidIamData {
                page: 1,
                message: text(),
            },
            CredentialReportFailed {
                operation: text(),
                message: text(),
                code: None,
            },
            CredentialReportNotReady {
                attempts: 1,
                waited: std::time::Duration::ZERO,
            },
            InvalidCredentialReport {
                line: None,
                field: text(),
                message: text(),
            },
            ConfigReadFailed {
                rule: text(),
                message: text(),
                code: None,
            },
            InvalidEvaluation {
                resource_type: text(),
                resource_id: text(),
                message: text(),
            },
            ConfigPublishFailed {
                sent: 0,
                total: 1,
                message: text(),
            },
            EvaluationsRejected {
                rejected: vec![text()],
                total: 1,
                attempts: 1,
            },
            DeadlineTooClose {
                stage: text(),
                detail: text(),
            },
            ExecutionRoleNeeded {
                event_account: text(),
                function_account: text(),
            },
            AssumeRoleAccessDenied {
                role_arn: text(),
                message: text(),
            },
            AssumeRoleFailed {
                role_arn: text(),
                message: text(),
                code: None,
            },
            InvalidOption {
                option: text(),
                value: text(),
                message: text(),
            },
            NoAggregateResults {
                aggregator: text(),
                rule: text(),
                account: None,
                accounts: AccountList::Unavailable { reason: text() },
            },
            OutputEncodingFailed {
                what: text(),
                message: text(),
            },
            RuleStatusReadFailed {
                rule: text(),
                operation: text(),
                message: text(),
                code: None,
            },
            AlarmReadFailed {
                alarm: text(),
                message: text(),
                code: None,
            },
            NoSuchAlarm { alarm: text() },
            AccessReportFailed {
                principal: text(),
                operation: text(),
                message: text(),
                code: None,
            },
            InvalidSnapshot {
                source_name: text(),
                message: text(),
            },
            QuarantineRefused(crate::core::quarantine::Refusal::NotQuarantined {
                noun: "role",
                name: text(),
            }),
            QuarantineFailed {
                principal: text(),
                operation: text(),
                message: text(),
                code: None,
                made: Vec::new(),
            },
        ];
        // Exhaustive: adding a variant without listing it above breaks the build.
        for error in &every {
            match error {
                InvalidEvent { .. }
                | InvalidRuleParameter { .. }
                | InvalidSetting { .. }
                | IamFetchFailed { .. }
                | InvalidIamData { .. }
                | CredentialReportFailed { .. }
                | CredentialReportNotReady { .. }
                | InvalidCredentialReport { .. }
                | ConfigReadFailed { .. }
                | InvalidEvaluation { .. }
                | ConfigPublishFailed { .. }
                | EvaluationsRejected { .. }
                | DeadlineTooClose { .. }
                | ExecutionRoleNeeded { .. }
                | AssumeRoleAccessDenied { .. }
                | AssumeRoleFailed { .. }
                | InvalidOption { .. }
                | NoAggregateResults { .. }
                | OutputEncodingFailed { .. }
                | RuleStatusReadFailed { .. }
                | AlarmReadFailed { .. }
                | NoSuchAlarm { .. }
                | AccessReportFailed { .. }
                | InvalidSnapshot { .. }
                | QuarantineRefused(_)
                | QuarantineFailed { .. } => {}
            }
        }
        every
    }

    #[test]
    fn every_error_type_is_its_variant_name_and_unique() {
        let every = one_of_each();
        let mut seen = std::collections::HashSet::new();
        for error in &every {
            let debug = format!("{error:?}");
            let variant = debug.split([' ', '{', '(']).next().unwrap();
            assert_eq!(error.error_type(), variant);
            assert!(seen.insert(error.error_type()), "{variant} twice");
        }
    }

    #[test]
    fn rejected_ids_are_listed_up_to_ten_then_counted() {
        let ids: Vec<String> = (1..=12).map(|n| format!("AROA{n}")).collect();
        let error = Error::EvaluationsRejected {
            rejected: ids,
            total: 200,
            attempts: 4,
        };
        assert_eq!(
            error.to_string(),
            "AWS Config rejected 12 of 200 evaluations after 4 attempts: AROA1, AROA2, AROA3, \
             AROA4, AROA5, AROA6, AROA7, AROA8, AROA9, AROA10 and 2 more"
        );
    }
}
