//! The function's SDK clients: built once at start-up, each counting its attempts.

use crate::aws::{sts, AttemptCounter};
use crate::core::account::{Access, SESSION_SECONDS};
use crate::Error;

/// The function's clients, made once at start-up with its own credentials.
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub config: aws_sdk_config::Client,
    pub sts: aws_sdk_sts::Client,
    /// Publishes the digest, always with the function's own credentials: the topic is the
    /// function's, whichever account a run evaluates.
    pub sns: aws_sdk_sns::Client,
    /// Installed in every client: counts their requests and attempts.
    pub attempts: AttemptCounter,
}

/// A client of the SDK crate `$sdk` from the shared configuration, with `$attempts` installed.
macro_rules! counted_client {
    ($sdk:ident, $config:expr, $attempts:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor($attempts.clone())
                .build(),
        )
    };
}

impl Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let attempts = AttemptCounter::default();
        Self {
            iam: counted_client!(aws_sdk_iam, sdk, attempts),
            config: counted_client!(aws_sdk_config, sdk, attempts),
            sts: counted_client!(aws_sdk_sts, sdk, attempts),
            sns: counted_client!(aws_sdk_sns, sdk, attempts),
            attempts,
        }
    }

    /// The IAM and Config clients for one invocation: the function's own, or new ones holding
    /// the assumed role's credentials. Built per invocation, so one account's credentials never
    /// serve another's invocation in a warm container.
    pub async fn for_access(
        &self,
        access: &Access,
    ) -> Result<(aws_sdk_iam::Client, aws_sdk_config::Client), Error> {
        let Access::AssumeRole {
            role_arn,
            session_name,
        } = access
        else {
            return Ok((self.iam.clone(), self.config.clone()));
        };
        let credentials =
            sts::assume_role(&self.sts, role_arn, session_name, SESSION_SECONDS).await?;
        let iam = self
            .iam
            .config()
            .to_builder()
            .credentials_provider(credentials.clone())
            .build();
        let config = self
            .config
            .config()
            .to_builder()
            .credentials_provider(credentials)
            .build();
        Ok((
            aws_sdk_iam::Client::from_conf(iam),
            aws_sdk_config::Client::from_conf(config),
        ))
    }
}
