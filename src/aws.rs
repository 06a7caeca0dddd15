//! How the SDK talks to AWS: the retry and timeout policy, chosen here once and shared by the
//! Lambda and the CLI.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per request, the first included. IAM throttles GetAccountAuthorizationDetails
/// hard in busy accounts. With full-jitter backoff capped at 20 s, the seven waits add up to at
/// most 1+2+4+8+16+20+20 = 71 s, inside the 90 s operation timeout.
pub const MAX_ATTEMPTS: u32 = 8;
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
