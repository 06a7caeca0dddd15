//! Which account an invocation evaluates, and with whose credentials (pure).
//!
//! An organization rule invokes one central function once per member account; the event's
//! `accountId` says which. The function then assumes `execution_role_name` in that account.
//! Without that parameter it may only evaluate its own account: never the wrong one silently.

use crate::core::event::Invocation;
use crate::core::params::Parameters;
use crate::Error;

/// STS's minimum, and more than the function's 300 s timeout.
pub const SESSION_SECONDS: i32 = 900;
/// STS allows 64 characters from `[\w+=,.@-]` in a session name.
const SESSION_NAME_LIMIT: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The function's own credentials, on its own account.
    Own,
    /// Assume this role in the event's account.
    AssumeRole {
        role_arn: String,
        session_name: String,
    },
}

/// Decides how to reach the event's account. `function_account` is the function's own account
/// (from its ARN), when known.
pub fn choose<P: Parameters>(
    invocation: &Invocation<P>,
    function_account: Option<&str>,
) -> Result<Access, Error> {
    if let Some(name) = invocation.params.execution_role_name() {
        return Ok(Access::AssumeRole {
            role_arn: format!(
                "arn:{}:iam::{}:role/{name}",
                invocation.partition, invocation.account_id
            ),
            session_name: session_name(&invocation.rule_name),
        });
    }
    match function_account {
        Some(own) if own != invocation.account_id => Err(Error::ExecutionRoleNeeded {
            event_account: invocation.account_id.clone(),
            function_account: own.to_owned(),
        }),
        _ => Ok(Access::Own),
    }
}

/// `iam-role-last-used-<rule name>`, cut to STS's limit, other characters replaced by `-`:
/// CloudTrail then shows which rule made each call.
fn session_name(rule_name: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    format!("iam-role-last-used-{rule_name}")
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .take(SESSION_NAME_LIMIT)
        .collect()
}

/// The account id in a Lambda function ARN (`arn:aws:lambda:eu-west-1:111122223333:function:x`).
pub fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::core::event::decode;

    fn invocation(account: &str, params: Value, rule_arn: &str) -> Invocation {
        let mut event: Value =
            serde_json::from_str(include_str!("../../events/scheduled.json")).unwrap();
        event["accountId"] = json!(account);
        event["ruleParameters"] = json!(params.to_string());
        event["configRuleArn"] = json!(rule_arn);
        event.as_object_mut().unwrap().remove("executionRoleArn");
        decode::<crate::core::params::RoleParameters>(&event, None).unwrap()
    }

    const RULE_ARN: &str = "arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-abc";

    #[test]
    fn the_account_and_credentials_follow_the_event() {
        let member = invocation(
            "444455556666",
            json!({"execution_role_name": "iam-role-last-used-member"}),
            RULE_ARN,
        );
        assert_eq!(
            choose(&member, Some("111122223333")).unwrap(),
            Access::AssumeRole {
                role_arn: "arn:aws:iam::444455556666:role/iam-role-last-used-member".to_owned(),
                session_name: "iam-role-last-used-iam-role-last-used".to_owned(),
            }
        );
        let china = invocation(
            "444455556666",
            json!({"execution_role_name": "member"}),
            "arn:aws-cn:config:cn-north-1:111122223333:config-rule/x",
        );
        assert!(
            matches!(choose(&china, None).unwrap(), Access::AssumeRole { role_arn, .. } if role_arn == "arn:aws-cn:iam::444455556666:role/member")
        );

        let own = invocation("111122223333", json!({}), RULE_ARN);
        assert_eq!(choose(&own, Some("111122223333")).unwrap(), Access::Own);
        assert_eq!(
            choose(&own, None).unwrap(),
            Access::Own,
            "account unknown: its own"
        );

        let other = invocation("444455556666", json!({}), RULE_ARN);
        assert_eq!(
            choose(&other, Some("111122223333")).unwrap_err().to_string(),
            "the event is for account 444455556666 but the function runs in 111122223333: set the rule parameter execution_role_name to the role to assume there"
        );
    }

    #[test]
    fn session_names_fit_sts() {
        assert_eq!(session_name("org rule/x"), "iam-role-last-used-org-rule-x");
        let long = session_name(&"r".repeat(100));
        assert_eq!(long.len(), 64);
        assert_eq!(
            account_of_arn("arn:aws:lambda:eu-west-1:111122223333:function:x"),
            Some("111122223333")
        );
        assert_eq!(account_of_arn("nonsense"), None);
    }
}
