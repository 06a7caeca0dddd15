//! How the SDK talks to AWS: the retry and timeout policy, chosen here once and shared by the
//! Lambda and the CLI; and the adapters, one per service.

pub mod access_advisor;
pub mod alarm;
pub mod config_rule;
pub mod credential_report;
pub mod iam;
pub mod quarantine;
pub mod sns;

pub mod sts;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use chrono::{DateTime, Utc};

use crate::core::settings::SdkPolicy;

/// Standard mode: exponential backoff with full jitter; retries throttling (IAM's `Throttling`,
/// Config's `ThrottlingException`), 5xx, timeouts and transient I/O errors. With the default
/// eight attempts and backoff capped at 20 s, the seven waits add up to at most
/// 1+2+4+8+16+20+20 = 71 s, inside the 90 s operation timeout.
pub fn retry_config(policy: &SdkPolicy) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(policy.max_attempts)
        .with_initial_backoff(policy.initial_backoff)
        .with_max_backoff(policy.max_backoff)
}

pub fn timeout_config(policy: &SdkPolicy) -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_attempt_timeout(policy.attempt_timeout)
        .operation_timeout(policy.operation_timeout)
        .build()
}

/// Loads credentials, Region and endpoints the standard way (environment, profile, container,
/// instance metadata; `AWS_ENDPOINT_URL*` overrides), with our retry and timeout policy.
pub async fn load_sdk_config(
    policy: &SdkPolicy,
    profile: Option<&str>,
    region: Option<&str>,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config(policy))
        .timeout_config(timeout_config(policy));
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
}

/// The code an error is reported with when the SDK found no credentials to sign with: the
/// name the SDK gives that case (`CredentialsError::CredentialsNotLoaded`). AWS never answers
/// with it, so it cannot be mistaken for one of AWS's codes.
pub const NO_CREDENTIALS: &str = "CredentialsNotLoaded";

/// The AWS error code of a failed request, or [`NO_CREDENTIALS`] when the request was never
/// sent for want of credentials, or None.
pub fn error_code<E>(error: &E) -> Option<String>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(code) = error.code() {
        return Some(code.to_owned());
    }
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = next {
        if matches!(
            current.downcast_ref::<aws_credential_types::provider::error::CredentialsError>(),
            Some(aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(_))
        ) {
            return Some(NO_CREDENTIALS.to_owned());
        }
        next = current.source();
    }
    None
}

/// An SDK timestamp as the domain's.
pub fn to_utc(time: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    time.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

/// Renders an SDK error for a person: `Code: message` when AWS answered with an error, else the
/// whole chain of causes (timeouts, connection errors); the bare `Display` of an SDK error says
/// only "service error".
pub fn error_message<E>(error: &E) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => error_chain(error),
    }
}

/// The error and its causes, `: `-joined on one line (a cause that repeats the text before it
/// is left out; a multi-line cause keeps its first line).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        let first = text.lines().next().unwrap_or_default().trim();
        let first = first.strip_suffix(" Attempted:").unwrap_or(first);
        if !first.is_empty() && !line.ends_with(first) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(first);
        }
        next = current.source();
    }
    line
}

/// Counts SDK requests and their attempts, so an invocation can report how many retries the
/// SDK made. Clone it into every client; clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct AttemptCounter {
    operations: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    attempts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// A reading of an [`AttemptCounter`]; subtract two to get what happened in between.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttemptCount {
    pub operations: usize,
    pub attempts: usize,
}

impl AttemptCount {
    /// Attempts beyond the first of each request.
    pub fn retries_since(self, earlier: AttemptCount) -> usize {
        (self.attempts - earlier.attempts).saturating_sub(self.operations - earlier.operations)
    }
}

impl AttemptCounter {
    pub fn read(&self) -> AttemptCount {
        use std::sync::atomic::Ordering::Relaxed;
        AttemptCount {
            operations: self.operations.load(Relaxed),
            attempts: self.attempts.load(Relaxed),
        }
    }
}

type InterceptResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

impl aws_sdk_iam::config::Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "AttemptCounter"
    }

    fn read_before_execution(
        &self,
        _context: &aws_sdk_iam::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_sdk_iam::config::ConfigBag,
    ) -> InterceptResult {
        self.operations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &aws_sdk_iam::config::RuntimeComponents,
        _cfg: &mut aws_sdk_iam::config::ConfigBag,
    ) -> InterceptResult {
        self.attempts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn error_chains_read_as_one_line() {
        let error = Layer(
            "dispatch failure",
            Some(Box::new(Layer(
                "no credentials found in chain. Attempted:\n  Environment: not set\n  Profile: none",
                Some(Box::new(Layer("no credentials found in chain. Attempted:", None))),
            ))),
        );
        assert_eq!(
            error_chain(&error),
            "dispatch failure: no credentials found in chain."
        );
    }
}
