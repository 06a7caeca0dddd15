//! The Lambda function AWS Config invokes. Wiring only: see `handler` for what it does.

use std::time::SystemTime;

use chrono::Utc;
use iam_role_last_used::aws::{load_sdk_config, SdkPolicy};
use iam_role_last_used::core::account::account_of_arn;
use iam_role_last_used::lambda::{deadline_instant, handle, Clients, Context, Settings};
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let policy = SdkPolicy::from_env(|name| std::env::var(name).ok())?;
    let sdk = load_sdk_config(&policy, None, None).await;
    let clients = Clients::new(&sdk);
    let settings = Settings::from_env(|name| std::env::var(name).ok())?;
    run(service_fn(|event: LambdaEvent<Value>| {
        let (clients, settings) = (&clients, &settings);
        async move {
            let context = Context {
                now: Utc::now(),
                deadline: deadline_instant(event.context.deadline, SystemTime::now()),
                function_account: account_of_arn(&event.context.invoked_function_arn)
                    .map(str::to_owned),
            };
            let result = handle(&event.payload, clients, settings, &context).await;
            if let Err(error) = &result {
                tracing::error!(error_type = error.error_type(), error = %error, "evaluation failed");
            }
            result
        }
    }))
    .await
}
