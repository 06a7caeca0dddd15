//! Adapter: AWS STS. Assumes the execution role in another account for one invocation.

use crate::aws::{error_code, error_message};
use crate::Error;

/// Credentials of the assumed role, for the IAM and Config clients of one invocation.
pub async fn assume_role(
    client: &aws_sdk_sts::Client,
    role_arn: &str,
    session_name: &str,
    duration_seconds: i32,
) -> Result<aws_credential_types::Credentials, Error> {
    let failed = |message: String, code: Option<String>| match code.as_deref() {
        Some("AccessDenied") => Error::AssumeRoleAccessDenied {
            role_arn: role_arn.to_owned(),
            message,
        },
        _ => Error::AssumeRoleFailed {
            role_arn: role_arn.to_owned(),
            message,
            code,
        },
    };
    let output = client
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session_name)
        .duration_seconds(duration_seconds)
        .send()
        .await
        .map_err(|e| failed(error_message(&e), error_code(&e)))?;
    let issued = output
        .credentials()
        .ok_or_else(|| failed("STS returned no credentials".to_owned(), None))?;
    Ok(aws_credential_types::Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        Some(issued.session_token().to_owned()),
        std::time::SystemTime::try_from(*issued.expiration()).ok(),
        "AssumeRole",
    ))
}
