//! Adapter: CloudWatch. Reads the alarm the stack puts on the function's Errors metric, for
//! role-audit `status`: Config keeps no evaluation status for a custom Lambda rule, so the
//! alarm is what tells that the last runs failed.

use crate::aws::{error_code, error_message, to_utc};
use crate::core::rule_status::{AlarmState, AlarmStatus};
use crate::Error;

/// The metric alarm named `name` (DescribeAlarms). No such alarm is an error naming it.
pub async fn alarm_status(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> Result<AlarmStatus, Error> {
    let failed = |message: String, code: Option<String>| Error::AlarmReadFailed {
        alarm: name.to_owned(),
        message,
        code,
    };
    let output = client
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| failed(error_message(&e), error_code(&e)))?;
    let alarm = output
        .metric_alarms()
        .iter()
        .find(|a| a.alarm_name() == Some(name))
        .ok_or_else(|| Error::NoSuchAlarm {
            alarm: name.to_owned(),
        })?;
    let state_text = alarm.state_value().map(|s| s.as_str()).unwrap_or_default();
    let state = AlarmState::parse(state_text)
        .ok_or_else(|| failed(format!("unknown StateValue {state_text:?}"), None))?;
    Ok(AlarmStatus {
        name: name.to_owned(),
        state,
        reason: alarm.state_reason().map(str::to_owned),
        updated: to_utc(alarm.state_updated_timestamp()),
    })
}
