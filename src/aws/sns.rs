//! Adapter: SNS. Publishes a run's digest, one message with `MessageStructure=json` (the JSON
//! digest by default, the text for email) and the counts as message attributes.

use aws_sdk_sns::types::MessageAttributeValue;

use crate::aws::{error_code, error_message};
use crate::core::digest::Message;
use crate::core::settings::TopicArn;

/// A Publish SNS refused or that never reached it. The run does not fail for it: Config
/// already has the results.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SNS Publish to {topic} failed: {message}")]
pub struct PublishFailed {
    pub topic: String,
    /// AWS's error code (`NotFound`, `AuthorizationError`, ...), when it answered.
    pub code: Option<String>,
    pub message: String,
}

/// Publishes `message` to `topic`; the message id SNS gave it.
pub async fn publish(
    client: &aws_sdk_sns::Client,
    topic: &TopicArn,
    message: &Message,
) -> Result<String, PublishFailed> {
    let failed = |message: String, code: Option<String>| PublishFailed {
        topic: topic.to_string(),
        code,
        message,
    };
    let mut request = client
        .publish()
        .topic_arn(topic.as_str())
        .subject(&message.subject)
        .message_structure("json")
        .message(&message.body);
    for (name, value) in &message.attributes {
        let attribute = MessageAttributeValue::builder()
            .data_type(value.data_type())
            .string_value(value.text())
            .build()
            .map_err(|e| failed(e.to_string(), None))?;
        request = request.message_attributes(*name, attribute);
    }
    let output = request
        .send()
        .await
        .map_err(|e| failed(error_message(&e), error_code(&e)))?;
    Ok(output.message_id().unwrap_or_default().to_owned())
}
