//! The Lambda function AWS Config invokes. Wiring only: see `handler` for what it does.

use chrono::Utc;
use iam_role_last_used::aws::load_sdk_config;
use iam_role_last_used::handler::{handle, Clients, Settings};
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let sdk = load_sdk_config(None, None).await;
    let clients = Clients::new(&sdk);
    let settings = Settings::from_env();
    run(service_fn(|event: LambdaEvent<Value>| {
        let (clients, settings) = (&clients, &settings);
        async move {
            let result = handle(&event.payload, clients, settings, Utc::now()).await;
            if let Err(error) = &result {
                tracing::error!(error_type = error.error_type(), error = %error, "evaluation failed");
            }
            result
        }
    }))
    .await
}
