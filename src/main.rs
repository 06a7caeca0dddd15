//! The Lambda function AWS Config invokes. Wiring only: see `handler` for what it does.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use iam_role_last_used::aws::load_sdk_config;
use iam_role_last_used::handler::{handle, Clients, Settings};
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use serde_json::Value;

/// The invocation's deadline (epoch milliseconds in the context) as a monotonic instant.
fn deadline(context: &lambda_runtime::Context) -> Option<Instant> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis();
    let left_ms = u128::from(context.deadline).checked_sub(now_ms)?;
    Some(Instant::now() + Duration::from_millis(u64::try_from(left_ms).ok()?))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let sdk = load_sdk_config(None, None).await;
    let clients = Clients::new(&sdk);
    let settings = Settings::from_env();
    run(service_fn(|event: LambdaEvent<Value>| {
        let (clients, settings) = (&clients, &settings);
        async move {
            let result = handle(&event.payload, clients, settings, Utc::now(), deadline(&event.context)).await;
            if let Err(error) = &result {
                tracing::error!(error_type = error.error_type(), error = %error, "evaluation failed");
            }
            result
        }
    }))
    .await
}
