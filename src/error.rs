//! The one error type. Every variant names what was wrong and with which value, and maps to a
//! stable `errorType` for Lambda.

use lambda_runtime::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid event: {field}: {message}")]
    InvalidEvent { field: String, message: String },

    #[error("invalid rule parameter {key}: {message}")]
    InvalidRuleParameter { key: String, message: String },

    #[error("IAM GetAccountAuthorizationDetails failed on page {page}: {message}; no evaluations were sent")]
    IamFetch {
        page: usize,
        message: String,
        /// The AWS error code (`AccessDenied`, `Throttling`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("IAM returned unusable data on page {page}: {message}; no evaluations were sent")]
    InvalidIamData { page: usize, message: String },

    #[error(
        "reading the results of Config rule {rule:?} failed: {message}; no evaluations were sent"
    )]
    ConfigRead {
        rule: String,
        message: String,
        /// The AWS error code (`NoSuchConfigRuleException`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("PutEvaluations failed after {sent} of {total} evaluations were accepted: {message}")]
    ConfigPublish {
        sent: usize,
        total: usize,
        message: String,
    },

    #[error(
        "AWS Config rejected {count} of {total} evaluations after {attempts} attempts: {detail}"
    )]
    EvaluationsRejected {
        count: usize,
        total: usize,
        attempts: u32,
        detail: String,
    },

    #[error(
        "the Lambda deadline is too close to finish {stage}: {detail}; no evaluations were sent"
    )]
    DeadlineTooClose { stage: String, detail: String },

    #[error("the event is for account {event_account} but the function runs in {function_account}: set the rule parameter execution_role_name to the role to assume there; nothing was evaluated")]
    ExecutionRoleNeeded {
        event_account: String,
        function_account: String,
    },

    #[error("assuming {role_arn} failed: {message}; nothing was evaluated")]
    AssumeRole {
        role_arn: String,
        message: String,
        code: Option<String>,
    },

    #[error("invalid setting: {0}")]
    InvalidSetting(String),

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
        accounts: crate::aws::config_rule::AccountList,
    },

    #[error("encoding the {what} as JSON failed: {message}")]
    OutputEncoding { what: String, message: String },

    #[error("reading the status of Config rule {rule:?} failed: {operation}: {message}")]
    RuleStatusRead {
        rule: String,
        operation: String,
        message: String,
        /// The AWS error code (`NoSuchConfigRuleException`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("reading CloudWatch alarm {alarm:?} failed: DescribeAlarms: {message}")]
    AlarmRead {
        alarm: String,
        message: String,
        /// The AWS error code (`AccessDenied`, ...), when AWS answered.
        code: Option<String>,
    },

    #[error("there is no CloudWatch metric alarm named {alarm:?} in this Region")]
    NoSuchAlarm { alarm: String },

    #[error("invalid snapshot {source_name}: {message}")]
    InvalidSnapshot {
        source_name: String,
        message: String,
    },
}

/// The end of the messages of errors that stop an invocation before it sends anything. It
/// speaks to the Lambda's operators; role-audit, which sends nothing, leaves it out.
pub const NOTHING_SENT: &str = "; no evaluations were sent";

impl Error {
    /// The message without the Lambda-only [`NOTHING_SENT`] ending.
    pub fn message_without_sending_note(&self) -> String {
        let text = self.to_string();
        text.strip_suffix(NOTHING_SENT)
            .map(str::to_owned)
            .unwrap_or(text)
    }

    /// The `errorType` Lambda reports: stable names that alarms and tests can match on.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidEvent { .. } => "InvalidEvent",
            Self::InvalidRuleParameter { .. } => "InvalidRuleParameter",
            Self::IamFetch { .. } => "IamFetchFailed",
            Self::InvalidIamData { .. } => "InvalidIamData",
            Self::ConfigRead { .. } => "ConfigReadFailed",
            Self::ConfigPublish { .. } => "ConfigPublishFailed",
            Self::EvaluationsRejected { .. } => "EvaluationsRejected",
            Self::DeadlineTooClose { .. } => "DeadlineTooClose",
            Self::ExecutionRoleNeeded { .. } => "ExecutionRoleNeeded",
            Self::AssumeRole { code, .. } if code.as_deref() == Some("AccessDenied") => {
                "AssumeRoleAccessDenied"
            }
            Self::AssumeRole { .. } => "AssumeRoleFailed",
            Self::InvalidSetting(_) => "InvalidSetting",
            Self::InvalidSnapshot { .. } => "InvalidSnapshot",
            Self::InvalidOption { .. } => "InvalidOption",
            Self::NoAggregateResults { .. } => "NoAggregateResults",
            Self::OutputEncoding { .. } => "OutputEncodingFailed",
            Self::RuleStatusRead { .. } => "RuleStatusReadFailed",
            Self::AlarmRead { .. } => "AlarmReadFailed",
            Self::NoSuchAlarm { .. } => "NoSuchAlarm",
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

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sending_note_is_for_the_lambda_only() {
        let error = Error::IamFetch {
            page: 2,
            message: "AccessDenied: not allowed".to_owned(),
            code: Some("AccessDenied".to_owned()),
        };
        assert!(error.to_string().ends_with(NOTHING_SENT));
        assert_eq!(
            error.message_without_sending_note(),
            "IAM GetAccountAuthorizationDetails failed on page 2: AccessDenied: not allowed"
        );
        let other = Error::InvalidSetting("x".to_owned());
        assert_eq!(other.message_without_sending_note(), "invalid setting: x");
    }
}
