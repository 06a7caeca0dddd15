//! How the SDK talks to AWS: the retry and timeout policy, chosen here once and shared by the
//! Lambda and the CLI; and the adapters, one per service.

pub mod alarm;
pub mod config_rule;
pub mod iam;

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

/// The retry and timeout numbers. The defaults are the constants above; each can be changed
/// through an environment variable (see [`SdkPolicy::from_env`]), which tests use to make
/// fault scenarios fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
}

impl Default for SdkPolicy {
    fn default() -> Self {
        Self {
            max_attempts: MAX_ATTEMPTS,
            initial_backoff: INITIAL_BACKOFF,
            max_backoff: MAX_BACKOFF,
            attempt_timeout: ATTEMPT_TIMEOUT,
            operation_timeout: OPERATION_TIMEOUT,
        }
    }
}

pub const MAX_ATTEMPTS_ENV: &str = "SDK_MAX_ATTEMPTS";
pub const INITIAL_BACKOFF_ENV: &str = "SDK_INITIAL_BACKOFF_MS";
pub const MAX_BACKOFF_ENV: &str = "SDK_MAX_BACKOFF_MS";
pub const ATTEMPT_TIMEOUT_ENV: &str = "SDK_ATTEMPT_TIMEOUT_MS";
pub const OPERATION_TIMEOUT_ENV: &str = "SDK_OPERATION_TIMEOUT_MS";

/// A whole number in `range` from the environment variable `name` (read through `get`), or
/// None when it is unset; any other value is an error naming the variable and the value.
pub fn env_number(
    get: impl Fn(&str) -> Option<String>,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, String> {
    let Some(text) = get(name) else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "{name}={text:?} is not a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

impl SdkPolicy {
    /// Reads the overrides through `get` (normally `std::env::var`): whole numbers, attempts
    /// 1 to 20, times in milliseconds from 1 to 900 000. An invalid value is an error naming the
    /// variable and the value.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let number = |name: &str, range| env_number(&get, name, range);
        let millis = |name: &str, default: Duration| -> Result<Duration, String> {
            Ok(number(name, 1..=900_000)?.map_or(default, Duration::from_millis))
        };
        let defaults = Self::default();
        Ok(Self {
            max_attempts: number(MAX_ATTEMPTS_ENV, 1..=20)?
                .map_or(defaults.max_attempts, |n| n as u32),
            initial_backoff: millis(INITIAL_BACKOFF_ENV, defaults.initial_backoff)?,
            max_backoff: millis(MAX_BACKOFF_ENV, defaults.max_backoff)?,
            attempt_timeout: millis(ATTEMPT_TIMEOUT_ENV, defaults.attempt_timeout)?,
            operation_timeout: millis(OPERATION_TIMEOUT_ENV, defaults.operation_timeout)?,
        })
    }

    /// Standard mode: exponential backoff with full jitter; retries throttling (IAM's
    /// `Throttling`, Config's `ThrottlingException`), 5xx, timeouts and transient I/O errors.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial_backoff)
            .with_max_backoff(self.max_backoff)
    }

    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }
}

/// The default retry policy (see [`SdkPolicy`]).
pub fn retry_config() -> RetryConfig {
    SdkPolicy::default().retry_config()
}

/// Loads credentials, Region and endpoints the standard way (environment, profile, container,
/// instance metadata; `AWS_ENDPOINT_URL*` overrides), with our retry and timeout policy.
pub async fn load_sdk_config(
    policy: &SdkPolicy,
    profile: Option<&str>,
    region: Option<&str>,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(policy.retry_config())
        .timeout_config(policy.timeout_config());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
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

    fn policy(vars: &[(&str, &str)]) -> Result<SdkPolicy, String> {
        SdkPolicy::from_env(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(policy(&[]), Ok(SdkPolicy::default()));
        let tuned = policy(&[
            (MAX_ATTEMPTS_ENV, "3"),
            (INITIAL_BACKOFF_ENV, "10"),
            (ATTEMPT_TIMEOUT_ENV, " 2000 "),
        ])
        .unwrap();
        assert_eq!(tuned.max_attempts, 3);
        assert_eq!(tuned.initial_backoff, Duration::from_millis(10));
        assert_eq!(tuned.attempt_timeout, Duration::from_secs(2));
        assert_eq!(tuned.operation_timeout, OPERATION_TIMEOUT);
    }

    #[test]
    fn invalid_overrides_name_the_variable_and_value() {
        for (vars, message) in [
            (
                &[(MAX_ATTEMPTS_ENV, "0")][..],
                "SDK_MAX_ATTEMPTS=\"0\" is not a whole number from 1 to 20",
            ),
            (
                &[(MAX_ATTEMPTS_ENV, "many")][..],
                "SDK_MAX_ATTEMPTS=\"many\" is not a whole number from 1 to 20",
            ),
            (
                &[(OPERATION_TIMEOUT_ENV, "1.5")][..],
                "SDK_OPERATION_TIMEOUT_MS=\"1.5\" is not a whole number from 1 to 900000",
            ),
        ] {
            assert_eq!(policy(vars), Err(message.to_owned()));
        }
    }
}
