//! Hints for the person at the terminal, built from the error's fields: what to check or which
//! permission is missing.

use crate::aws::NO_CREDENTIALS;
use crate::Error;

/// The line after `hint:` for `error`, when there is one.
pub fn hint(error: &Error) -> Option<String> {
    let needs = |action: &str| {
        Some(format!(
            "the credentials in use are not allowed {action}; role-audit needs it (read-only)"
        ))
    };
    let denied = |code: &Option<String>| {
        code.as_deref()
            .is_some_and(|c| c.starts_with("AccessDenied"))
    };
    match error {
        Error::NoSuchAlarm { .. } => Some(
            "the stack's alarm is <NameOfSolution>-failing (its StatusCommand output names it): check --alarm and --region"
                .to_owned(),
        ),
        Error::NoAggregateResults { .. } => Some(
            "the aggregator serves COMPLIANT and NON_COMPLIANT results only, and a rule shows there once one account has such a result: the rule may not be deployed (the accounts above show its status in each, when known) or may have none yet; check --aggregator, --rule-name (the organization rule's name, or the rule's name in each account) and --region; a new rule or aggregator takes a while to collect results"
                .to_owned(),
        ),
        Error::IamFetchFailed { code, .. }
        | Error::CredentialReportFailed { code, .. }
        | Error::ConfigReadFailed { code, .. }
        | Error::RuleStatusReadFailed { code, .. }
        | Error::AlarmReadFailed { code, .. }
        | Error::AccessReportFailed { code, .. }
            if code.as_deref() == Some(NO_CREDENTIALS) =>
        {
            Some(
                "no AWS credentials were found: pass --profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables, or run `aws sso login`"
                    .to_owned(),
            )
        }
        Error::ConfigReadFailed { rule, code, .. }
            if code.as_deref() == Some("NoSuchConfigRuleException") =>
        {
            Some(format!(
                "there is no Config rule named {rule:?} in this Region: check --rule-name (the stack's ConfigRuleName output) and --region"
            ))
        }
        Error::RuleStatusReadFailed { rule, code, .. }
            if code.as_deref() == Some("NoSuchConfigRuleException") =>
        {
            Some(format!(
                "there is no Config rule named {rule:?} (nor OrgConfigRule-{rule}-<suffix>) in this Region: check --rule-name (the stack's ConfigRuleName output) and --region"
            ))
        }
        Error::RuleStatusReadFailed { operation, code, .. } if denied(code) => {
            needs(&format!("config:{operation}"))
        }
        Error::AlarmReadFailed { code, .. } if denied(code) => needs("cloudwatch:DescribeAlarms"),
        Error::IamFetchFailed { code, .. } if denied(code) => {
            needs("iam:GetAccountAuthorizationDetails")
        }
        Error::AccessReportFailed {
            operation, code, ..
        } if denied(code) => needs(&format!("iam:{operation}")),
        Error::ConfigReadFailed { code, .. } if denied(code) => {
            needs("config:GetComplianceDetailsByConfigRule")
        }
        Error::CredentialReportFailed {
            operation, code, ..
        } if denied(code) => needs(&format!("iam:{operation}")),
        Error::CredentialReportNotReady { .. } => Some(
            "IAM is still generating the account's credential report (large accounts take longer): run the command again in a few minutes"
                .to_owned(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::results::AccountList;

    fn code(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    fn iam(code: Option<String>) -> Error {
        Error::IamFetchFailed {
            page: 1,
            message: "m".to_owned(),
            code,
        }
    }

    fn config(code: Option<String>) -> Error {
        Error::ConfigReadFailed {
            rule: "r".to_owned(),
            message: "m".to_owned(),
            code,
        }
    }

    fn status(operation: &str, code: Option<String>) -> Error {
        Error::RuleStatusReadFailed {
            rule: "r".to_owned(),
            operation: operation.to_owned(),
            message: "m".to_owned(),
            code,
        }
    }

    fn report(operation: &str, code: Option<String>) -> Error {
        Error::CredentialReportFailed {
            operation: operation.to_owned(),
            message: "m".to_owned(),
            code,
        }
    }

    fn alarm(code: Option<String>) -> Error {
        Error::AlarmReadFailed {
            alarm: "a".to_owned(),
            message: "m".to_owned(),
            code,
        }
    }

    const NO_CREDENTIALS_HINT: &str = "no AWS credentials were found: pass --profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables, or run `aws sso login`";

    fn denied(action: &str) -> String {
        format!("the credentials in use are not allowed {action}; role-audit needs it (read-only)")
    }

    #[test]
    fn access_denied_names_the_action_each_call_needs() {
        let table = [
            (
                iam(code("AccessDenied")),
                denied("iam:GetAccountAuthorizationDetails"),
            ),
            (
                config(code("AccessDeniedException")),
                denied("config:GetComplianceDetailsByConfigRule"),
            ),
            (
                status("DescribeConfigRules", code("AccessDeniedException")),
                denied("config:DescribeConfigRules"),
            ),
            (
                status(
                    "DescribeConfigRuleEvaluationStatus",
                    code("AccessDeniedException"),
                ),
                denied("config:DescribeConfigRuleEvaluationStatus"),
            ),
            (
                alarm(code("AccessDenied")),
                denied("cloudwatch:DescribeAlarms"),
            ),
            (
                report("GenerateCredentialReport", code("AccessDenied")),
                denied("iam:GenerateCredentialReport"),
            ),
            (
                report("GetCredentialReport", code("AccessDenied")),
                denied("iam:GetCredentialReport"),
            ),
        ];
        for (error, expected) in table {
            assert_eq!(
                hint(&error).as_deref(),
                Some(expected.as_str()),
                "{error:?}"
            );
        }
    }

    #[test]
    fn no_credentials_is_told_apart_by_its_code_not_by_the_message() {
        for error in [
            iam(code(NO_CREDENTIALS)),
            config(code(NO_CREDENTIALS)),
            status("DescribeConfigRules", code(NO_CREDENTIALS)),
            alarm(code(NO_CREDENTIALS)),
            report("GenerateCredentialReport", code(NO_CREDENTIALS)),
        ] {
            assert_eq!(
                hint(&error).as_deref(),
                Some(NO_CREDENTIALS_HINT),
                "{error:?}"
            );
        }
        let mentions_credentials = Error::IamFetchFailed {
            page: 1,
            message: "the credentials provider timed out".to_owned(),
            code: None,
        };
        assert_eq!(
            hint(&mentions_credentials),
            None,
            "the text alone decides nothing"
        );
    }

    #[test]
    fn a_missing_rule_or_alarm_says_what_to_check() {
        assert_eq!(
            hint(&config(code("NoSuchConfigRuleException"))).as_deref(),
            Some("there is no Config rule named \"r\" in this Region: check --rule-name (the stack's ConfigRuleName output) and --region")
        );
        assert_eq!(
            hint(&status("DescribeConfigRules", code("NoSuchConfigRuleException"))).as_deref(),
            Some("there is no Config rule named \"r\" (nor OrgConfigRule-r-<suffix>) in this Region: check --rule-name (the stack's ConfigRuleName output) and --region")
        );
        assert!(hint(&Error::NoSuchAlarm {
            alarm: "a".to_owned()
        })
        .unwrap()
        .starts_with("the stack's alarm is <NameOfSolution>-failing"));
        let none = Error::NoAggregateResults {
            aggregator: "g".to_owned(),
            rule: "r".to_owned(),
            account: None,
            accounts: AccountList::Unavailable {
                reason: "x".to_owned(),
            },
        };
        assert!(hint(&none)
            .unwrap()
            .starts_with("the aggregator serves COMPLIANT and NON_COMPLIANT results only"));
    }

    #[test]
    fn a_credential_report_still_being_generated_says_to_try_again_later() {
        let error = Error::CredentialReportNotReady {
            attempts: 10,
            waited: std::time::Duration::from_secs(95),
        };
        assert_eq!(
            hint(&error).as_deref(),
            Some("IAM is still generating the account's credential report (large accounts take longer): run the command again in a few minutes")
        );
    }

    #[test]
    fn other_failures_have_no_hint() {
        let table = [
            iam(code("Throttling")),
            iam(None),
            config(code("ThrottlingException")),
            alarm(None),
            report("GenerateCredentialReport", code("LimitExceeded")),
            Error::InvalidOption {
                option: "--compliance".to_owned(),
                value: "X".to_owned(),
                message: "m".to_owned(),
            },
            Error::InvalidSnapshot {
                source_name: "f".to_owned(),
                message: "m".to_owned(),
            },
        ];
        for error in table {
            assert_eq!(hint(&error), None, "{error:?}");
        }
    }
}
