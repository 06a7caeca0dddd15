//! How the Lambda presents a failure: the error's facts, and what that means for the
//! invocation's results, for the operators reading the function's errors.

use lambda_runtime::Diagnostic;

use crate::Error;

/// What a failed invocation left undone, where the error alone does not say.
fn consequence(error: &Error) -> Option<&'static str> {
    match error {
        Error::IamFetchFailed { .. }
        | Error::InvalidIamData { .. }
        | Error::CredentialReportFailed { .. }
        | Error::CredentialReportNotReady { .. }
        | Error::InvalidCredentialReport { .. }
        | Error::ConfigReadFailed { .. }
        | Error::InvalidEvaluation { .. }
        | Error::DeadlineTooClose { .. } => Some("no evaluations were sent"),
        Error::ExecutionRoleNeeded { .. }
        | Error::AssumeRoleAccessDenied { .. }
        | Error::AssumeRoleFailed { .. } => Some("nothing was evaluated"),
        _ => None,
    }
}

/// The `errorMessage` the function reports.
pub fn message(error: &Error) -> String {
    match consequence(error) {
        Some(consequence) => format!("{error}; {consequence}"),
        None => error.to_string(),
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: message(&error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_before_sending_say_nothing_was_sent_and_others_do_not() {
        let read = Error::IamFetchFailed {
            page: 2,
            message: "AccessDenied: not allowed".to_owned(),
            code: Some("AccessDenied".to_owned()),
        };
        assert_eq!(
            Diagnostic::from(read),
            Diagnostic {
                error_type: "IamFetchFailed".to_owned(),
                error_message: "IAM GetAccountAuthorizationDetails failed on page 2: AccessDenied: not allowed; no evaluations were sent".to_owned(),
            }
        );
        let assume = Error::AssumeRoleAccessDenied {
            role_arn: "arn:aws:iam::111122223333:role/r".to_owned(),
            message: "AccessDenied: no".to_owned(),
        };
        assert_eq!(
            message(&assume),
            "assuming arn:aws:iam::111122223333:role/r failed: AccessDenied: no; nothing was evaluated"
        );
        let partly_sent = Error::ConfigPublishFailed {
            sent: 100,
            total: 250,
            message: "ServiceUnavailable".to_owned(),
        };
        assert_eq!(
            message(&partly_sent),
            "PutEvaluations failed after 100 of 250 evaluations were accepted: ServiceUnavailable"
        );
    }
}
