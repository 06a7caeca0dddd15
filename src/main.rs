//! The Lambda function AWS Config invokes. Wiring only: see `lambda::handle` for what it does.

use std::time::SystemTime;

use chrono::Utc;
use iam_role_last_used::aws::load_sdk_config;
use iam_role_last_used::core::account::account_of_arn;
use iam_role_last_used::core::deadline::time_left;
use iam_role_last_used::core::settings::Settings;
use iam_role_last_used::lambda::{diagnostic, handle, Clients, Context};
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use serde_json::Value;
use tokio::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let settings = match Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(error_type = error.error_type(), error = %error, "invalid settings");
            return Err(error.to_string().into());
        }
    };
    let sdk = load_sdk_config(&settings.sdk, None, None).await;
    let clients = Clients::new(&sdk);
    run(service_fn(|event: LambdaEvent<Value>| {
        let (clients, settings) = (&clients, &settings);
        async move {
            let context = Context {
                now: Utc::now(),
                deadline: time_left(event.context.deadline, SystemTime::now())
                    .map(|left| Instant::now() + left),
                function_account: account_of_arn(&event.context.invoked_function_arn)
                    .map(str::to_owned),
            };
            let result = handle(&event.payload, clients, settings, &context).await;
            if let Err(error) = &result {
                tracing::error!(
                    error_type = error.error_type(),
                    error = %diagnostic::message(error),
                    "evaluation failed"
                );
            }
            result
        }
    }))
    .await
}
