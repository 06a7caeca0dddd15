//! The Config event, decoded once into a typed invocation.
//!
//! `aws_lambda_events::config::ConfigEvent` is too loose for this (every field optional,
//! `invokingEvent` and `ruleParameters` left as strings) and too strict at once
//! (`eventLeftScope` has no serde default), and a serde failure could not say which field was
//! wrong. So the payload arrives as JSON and is decoded here, field by field.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::core::params::{describe, json_kind, shorten, Parameters, RoleParameters};
use crate::Error;

pub const SCHEDULED_NOTIFICATION: &str = "ScheduledNotification";
/// The RDK convention: a result token of `TESTMODE` means PutEvaluations with `TestMode=true`.
pub const TEST_MODE_TOKEN: &str = "TESTMODE";
/// The longest `ConfigRuleName` GetComplianceDetailsByConfigRule accepts (Config API model),
/// although Config creates longer names (an organization rule's per-account copies). The
/// clean-up cannot read the results of a longer-named rule, so such a run could never finish.
pub const MAX_READABLE_RULE_NAME_CHARS: usize = 64;

/// One decoded invocation; `P` is the rule's parameters.
#[derive(Debug, Clone)]
pub struct Invocation<P = RoleParameters> {
    pub rule_name: String,
    pub account_id: String,
    pub execution_role_arn: Option<String>,
    /// The AWS partition (`aws`, `aws-cn`, `aws-us-gov`), read from the event's ARNs.
    pub partition: String,
    /// The event's `notificationCreationTime`: every evaluation's `OrderingTimestamp`.
    pub ordering_timestamp: DateTime<Utc>,
    pub result_token: ResultToken,
    pub params: P,
}

#[derive(Clone, PartialEq, Eq)]
pub enum ResultToken {
    TestMode,
    Token(String),
}

impl ResultToken {
    pub fn as_str(&self) -> &str {
        match self {
            Self::TestMode => TEST_MODE_TOKEN,
            Self::Token(token) => token,
        }
    }

    pub fn is_test_mode(&self) -> bool {
        matches!(self, Self::TestMode)
    }
}

/// The token authorises writes to the rule's results: keep it out of logs.
impl std::fmt::Debug for ResultToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TestMode => f.write_str("TestMode"),
            Self::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

fn invalid(field: &str, message: String) -> Error {
    Error::InvalidEvent {
        field: field.to_owned(),
        message,
    }
}

/// Decodes the Lambda payload for a rule whose parameters are `P`. `default_max_days` is the
/// function's `MAX_DAYS_FOR_LAST_USED`.
pub fn decode<P: Parameters>(
    payload: &Value,
    default_max_days: Option<&str>,
) -> Result<Invocation<P>, Error> {
    let event = payload.as_object().ok_or_else(|| {
        invalid(
            "payload",
            format!(
                "expected a JSON object (an AWS Config event), got {}",
                describe(payload)
            ),
        )
    })?;

    let invoking_text = required_string(event, "invokingEvent")?;
    let invoking = match serde_json::from_str::<Value>(invoking_text) {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            return Err(invalid(
                "invokingEvent",
                format!(
                    "expected a JSON object, got {} {}",
                    json_kind(&other),
                    shorten(invoking_text)
                ),
            ))
        }
        Err(e) => {
            return Err(invalid(
                "invokingEvent",
                format!("is not valid JSON ({e}): {}", shorten(invoking_text)),
            ))
        }
    };

    let message_type =
        required_string(&invoking, "messageType").map_err(|e| prefix_field(e, "invokingEvent."))?;
    if message_type != SCHEDULED_NOTIFICATION {
        return Err(invalid(
            "invokingEvent.messageType",
            format!(
                "{message_type:?} is not supported: this rule is periodic and only evaluates \
                 {SCHEDULED_NOTIFICATION} events (set the Config rule's trigger to periodic)"
            ),
        ));
    }

    let created_text = required_string(&invoking, "notificationCreationTime")
        .map_err(|e| prefix_field(e, "invokingEvent."))?;
    let ordering_timestamp = DateTime::parse_from_rfc3339(created_text)
        .map_err(|e| {
            invalid(
                "invokingEvent.notificationCreationTime",
                format!("{created_text:?} is not an RFC 3339 timestamp ({e})"),
            )
        })?
        .with_timezone(&Utc);

    let token = required_string(event, "resultToken")?;
    let result_token = if token == TEST_MODE_TOKEN {
        ResultToken::TestMode
    } else {
        ResultToken::Token(token.to_owned())
    };

    let rule_name = required_string(event, "configRuleName")?.to_owned();
    let rule_name_chars = rule_name.chars().count();
    if rule_name_chars > MAX_READABLE_RULE_NAME_CHARS {
        return Err(invalid(
            "configRuleName",
            format!(
                "{} is {rule_name_chars} characters, but Config's GetComplianceDetailsByConfigRule \
                 accepts at most {MAX_READABLE_RULE_NAME_CHARS}, so the rule's results could never \
                 be read back for the clean-up; give the rule (for an organization rule, its \
                 NameOfSolution) a shorter name",
                shorten(&format!("{rule_name:?}"))
            ),
        ));
    }
    let account_id = required_string(event, "accountId")?.to_owned();
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "accountId",
            format!(
                "{} is not a 12-digit AWS account id",
                shorten(&format!("{account_id:?}"))
            ),
        ));
    }
    let execution_role_arn = optional_string(event, "executionRoleArn")?.map(str::to_owned);
    let config_rule_arn = optional_string(event, "configRuleArn")?;
    let partition = [config_rule_arn, execution_role_arn.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|arn| arn.strip_prefix("arn:")?.split(':').next())
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_owned();

    let params = P::from_event_field(event.get("ruleParameters"), default_max_days)?;

    Ok(Invocation {
        rule_name,
        account_id,
        execution_role_arn,
        partition,
        ordering_timestamp,
        result_token,
        params,
    })
}

fn required_string<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a str, Error> {
    match optional_string(object, field)? {
        Some(text) if !text.trim().is_empty() => Ok(text),
        Some(_) => Err(invalid(field, "is empty".to_owned())),
        None => Err(invalid(field, "is missing".to_owned())),
    }
}

fn optional_string<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, Error> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(invalid(
            field,
            format!("expected a string, got {}", describe(other)),
        )),
    }
}

fn prefix_field(error: Error, prefix: &str) -> Error {
    match error {
        Error::InvalidEvent { field, message } => Error::InvalidEvent {
            field: format!("{prefix}{field}"),
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn base() -> Value {
        serde_json::from_str(include_str!("../../events/scheduled.json")).unwrap()
    }

    #[test]
    fn a_scheduled_notification_decodes_into_an_invocation() {
        let invocation = decode::<RoleParameters>(&base(), None).unwrap();
        assert_eq!(invocation.rule_name, "iam-role-last-used");
        assert_eq!(invocation.account_id, "123456789012");
        assert_eq!(
            invocation.ordering_timestamp,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            invocation.result_token,
            ResultToken::Token("eyJlbmNyeXB0ZWQiOiJyZXN1bHQtdG9rZW4tZXhhbXBsZSJ9".to_owned())
        );
        assert_eq!(
            invocation.execution_role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
        );
        assert_eq!(invocation.params.max_days, 60);
        assert_eq!(invocation.params.exempt_tag_key.as_deref(), Some("keep"));
        assert!(
            !format!("{invocation:?}").contains("eyJlbmNy"),
            "the result token stays out of Debug output"
        );

        let test_mode = decode::<RoleParameters>(
            &serde_json::from_str(include_str!("../../events/scheduled-testmode.json")).unwrap(),
            None,
        )
        .unwrap();
        assert!(test_mode.result_token.is_test_mode());
        let defaults = decode::<RoleParameters>(
            &serde_json::from_str(include_str!("../../events/scheduled-defaults.json")).unwrap(),
            Some("45"),
        )
        .unwrap();
        assert_eq!(
            defaults.params.max_days, 45,
            "no ruleParameters: the function's default applies"
        );
    }

    #[test]
    fn rule_names_the_clean_up_read_cannot_take_are_refused() {
        let named = |chars: usize| {
            let mut event = base();
            event["configRuleName"] = Value::String("r".repeat(chars));
            decode::<RoleParameters>(&event, None)
        };
        assert_eq!(
            named(64).unwrap().rule_name.len(),
            64,
            "64 characters is the limit"
        );
        let error = named(65).unwrap_err();
        assert_eq!(error.error_type(), "InvalidEvent");
        let text = error.to_string();
        assert!(
            text.starts_with("invalid event: configRuleName: \"rrrr"),
            "{text}"
        );
        assert!(text.contains("is 65 characters"), "{text}");
        assert!(text.contains("accepts at most 64"), "{text}");
    }

    #[test]
    fn bundled_bad_events_fail_with_their_error_type() {
        for (text, error_type, needle) in [
            (
                include_str!("../../events/bad-unknown-parameter.json"),
                "InvalidRuleParameter",
                "unknown key \"max_days_for_last_usd\"",
            ),
            (
                include_str!("../../events/bad-max-days.json"),
                "InvalidRuleParameter",
                "\"0\" is out of range",
            ),
            (
                include_str!("../../events/bad-allowlist-pattern.json"),
                "InvalidRuleParameter",
                "can never match",
            ),
            (
                include_str!("../../events/bad-message-type.json"),
                "InvalidEvent",
                "this rule is periodic",
            ),
            (
                include_str!("../../events/bad-rule-parameters-json.json"),
                "InvalidEvent",
                "ruleParameters: is not valid JSON",
            ),
        ] {
            let error =
                decode::<RoleParameters>(&serde_json::from_str(text).unwrap(), None).unwrap_err();
            assert_eq!(error.error_type(), error_type, "{error}");
            assert!(error.to_string().contains(needle), "{error}");
        }
    }
}
