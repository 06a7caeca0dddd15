//! How the SDK talks to AWS: the retry and timeout policy, chosen here once and shared by the
//! Lambda and the CLI.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per request, the first included. IAM throttles GetAccountAuthorizationDetails
/// hard in busy accounts; six attempts with the backoff below ride out a burst of about a
/// minute.
pub const MAX_ATTEMPTS: u32 = 6;
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// One HTTP attempt. A page of 1 000 roles with large inline policies is a few MB.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// One request including its retries.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);

/// Standard mode: exponential backoff with jitter; retries throttling (IAM's `Throttling`,
/// Config's `ThrottlingException`), 5xx and transient I/O errors.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Loads credentials, Region and endpoints the standard way (environment, profile, container,
/// instance metadata; `AWS_ENDPOINT_URL*` overrides), with our retry and timeout policy.
pub async fn load_sdk_config(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
}

/// Renders an SDK error with its whole chain of causes: the bare `Display` of an SDK error says
/// only "service error".
pub fn error_message(error: &(dyn std::error::Error + 'static)) -> String {
    aws_smithy_types::error::display::DisplayErrorContext(error).to_string()
}
