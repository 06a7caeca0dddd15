//! Adapter: CloudWatch. Reads the alarm the stack puts on the function's Errors metric, for
//! role-audit `status`: Config keeps no evaluation status for a custom Lambda rule, so the
//! alarm is what tells that the last runs failed.

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use chrono::{DateTime, Utc};

use crate::aws::error_message;
use crate::core::rule_status::{AlarmState, AlarmStatus};
use crate::Error;

/// The metric alarm named `name` (DescribeAlarms). No such alarm is an error naming it.
pub async fn alarm_status(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> Result<AlarmStatus, Error> {
    let failed = |message: String, code: Option<&str>| Error::AlarmRead {
        alarm: name.to_owned(),
        message,
        code: code.map(str::to_owned),
    };
    let output = client
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| failed(error_message(&e), e.code()))?;
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
        updated: alarm
            .state_updated_timestamp()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos())),
    })
}
