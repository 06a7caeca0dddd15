//! The Config event, decoded once into a typed invocation.
//!
//! `aws_lambda_events::config::ConfigEvent` is too loose for this (every field optional,
//! `invokingEvent` and `ruleParameters` left as strings) and too strict at once
//! (`eventLeftScope` has no serde default), and a serde failure could not say which field was
//! wrong. So the payload arrives as JSON and is decoded here, field by field.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::params::{json_kind, shorten, RuleParameters};
use crate::Error;

pub const SCHEDULED_NOTIFICATION: &str = "ScheduledNotification";
/// The RDK convention: a result token of `TESTMODE` means PutEvaluations with `TestMode=true`.
pub const TEST_MODE_TOKEN: &str = "TESTMODE";

#[derive(Debug, Clone)]
pub struct Invocation {
    pub rule_name: String,
    pub account_id: String,
    pub execution_role_arn: Option<String>,
    /// The event's `notificationCreationTime`: every evaluation's `OrderingTimestamp`.
    pub ordering_timestamp: DateTime<Utc>,
    pub result_token: ResultToken,
    pub params: RuleParameters,
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

/// Decodes the Lambda payload. `default_max_days` is the function's `MAX_DAYS_FOR_LAST_USED`.
pub fn decode(payload: &Value, default_max_days: Option<&str>) -> Result<Invocation, Error> {
    let event = payload.as_object().ok_or_else(|| {
        invalid(
            "payload",
            format!(
                "expected a JSON object (an AWS Config event), got {} {}",
                json_kind(payload),
                shorten(&payload.to_string())
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

    let params = RuleParameters::from_event_field(event.get("ruleParameters"), default_max_days)?;

    Ok(Invocation {
        rule_name,
        account_id,
        execution_role_arn,
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
            format!(
                "expected a string, got {} {}",
                json_kind(other),
                shorten(&other.to_string())
            ),
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
    use serde_json::json;

    use super::*;

    fn base() -> Value {
        serde_json::from_str(include_str!("../events/scheduled.json")).unwrap()
    }

    fn with(field: &str, value: Value) -> Value {
        let mut event = base();
        match value {
            Value::Null => event.as_object_mut().unwrap().remove(field),
            value => event
                .as_object_mut()
                .unwrap()
                .insert(field.to_owned(), value),
        };
        event
    }

    fn invoking(json: Value) -> Value {
        with("invokingEvent", Value::String(json.to_string()))
    }

    /// One row: a payload and the exact error it gets.
    fn check_errors(cases: &[(Value, &str)]) {
        for (payload, expected) in cases {
            match decode(payload, None) {
                Ok(_) => panic!("accepted: {payload}"),
                Err(e) => {
                    assert_eq!(e.to_string(), *expected, "for {payload}");
                    assert!(e.is_bad_input());
                }
            }
        }
    }

    #[test]
    fn bad_events_are_errors_naming_the_field() {
        let time = "2026-01-01T00:00:00Z";
        check_errors(&[
            (json!([1]), "invalid event: payload: expected a JSON object (an AWS Config event), got an array [1]"),
            (json!("hello"), "invalid event: payload: expected a JSON object (an AWS Config event), got a string \"hello\""),
            (Value::Null, "invalid event: payload: expected a JSON object (an AWS Config event), got null null"),
            (json!({}), "invalid event: invokingEvent: is missing"),
            (with("invokingEvent", Value::Null), "invalid event: invokingEvent: is missing"),
            (with("invokingEvent", json!({"messageType": "ScheduledNotification"})), "invalid event: invokingEvent: expected a string, got an object {\"messageType\":\"ScheduledNotification\"}"),
            (with("invokingEvent", json!("not json")), "invalid event: invokingEvent: is not valid JSON (expected ident at line 1 column 2): not json"),
            (with("invokingEvent", json!("[]")), "invalid event: invokingEvent: expected a JSON object, got an array []"),
            (invoking(json!({"notificationCreationTime": time})), "invalid event: invokingEvent.messageType: is missing"),
            (invoking(json!({"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": time})), "invalid event: invokingEvent.messageType: \"ConfigurationItemChangeNotification\" is not supported: this rule is periodic and only evaluates ScheduledNotification events (set the Config rule's trigger to periodic)"),
            (invoking(json!({"messageType": "OversizedConfigurationItemChangeNotification"})), "invalid event: invokingEvent.messageType: \"OversizedConfigurationItemChangeNotification\" is not supported: this rule is periodic and only evaluates ScheduledNotification events (set the Config rule's trigger to periodic)"),
            (invoking(json!({"messageType": "ScheduledNotification"})), "invalid event: invokingEvent.notificationCreationTime: is missing"),
            (invoking(json!({"messageType": "ScheduledNotification", "notificationCreationTime": "yesterday"})), "invalid event: invokingEvent.notificationCreationTime: \"yesterday\" is not an RFC 3339 timestamp (premature end of input)"),
            (invoking(json!({"messageType": "ScheduledNotification", "notificationCreationTime": 1767225600})), "invalid event: invokingEvent.notificationCreationTime: expected a string, got a number 1767225600"),
            (with("resultToken", Value::Null), "invalid event: resultToken: is missing"),
            (with("resultToken", json!("")), "invalid event: resultToken: is empty"),
            (with("configRuleName", Value::Null), "invalid event: configRuleName: is missing"),
            (with("accountId", json!("12345")), "invalid event: accountId: \"12345\" is not a 12-digit AWS account id"),
            (with("accountId", json!(123456789012u64)), "invalid event: accountId: expected a string, got a number 123456789012"),
            (with("ruleParameters", json!("[]")), "invalid event: ruleParameters: expected a JSON object, got an array []"),
            (with("ruleParameters", json!("{\"max_days_for_last_used\":\"0\"}")), "invalid rule parameter max_days_for_last_used: \"0\" is out of range; expected a whole number of days from 1 to 400"),
        ]);
    }

    #[test]
    fn a_scheduled_notification_decodes_into_an_invocation() {
        let invocation = decode(&base(), None).unwrap();
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

        let test_mode = decode(
            &serde_json::from_str(include_str!("../events/scheduled-testmode.json")).unwrap(),
            None,
        )
        .unwrap();
        assert!(test_mode.result_token.is_test_mode());
        let defaults = decode(
            &serde_json::from_str(include_str!("../events/scheduled-defaults.json")).unwrap(),
            Some("45"),
        )
        .unwrap();
        assert_eq!(
            defaults.params.max_days, 45,
            "no ruleParameters: the function's default applies"
        );
    }

    #[test]
    fn bundled_bad_events_fail_with_their_error_type() {
        for (text, error_type, needle) in [
            (
                include_str!("../events/bad-unknown-parameter.json"),
                "InvalidRuleParameter",
                "unknown key \"max_days_for_last_usd\"",
            ),
            (
                include_str!("../events/bad-max-days.json"),
                "InvalidRuleParameter",
                "\"0\" is out of range",
            ),
            (
                include_str!("../events/bad-allowlist-pattern.json"),
                "InvalidRuleParameter",
                "can never match",
            ),
            (
                include_str!("../events/bad-message-type.json"),
                "InvalidEvent",
                "this rule is periodic",
            ),
            (
                include_str!("../events/bad-rule-parameters-json.json"),
                "InvalidEvent",
                "ruleParameters: is not valid JSON",
            ),
        ] {
            let error = decode(&serde_json::from_str(text).unwrap(), None).unwrap_err();
            assert_eq!(error.error_type(), error_type, "{error}");
            assert!(error.to_string().contains(needle), "{error}");
        }
    }
}
