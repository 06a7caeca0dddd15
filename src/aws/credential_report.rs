//! Adapter: IAM's credential report. GenerateCredentialReport until it is complete (bounded
//! polling with backoff), then GetCredentialReport, parsed by the pure core.

use crate::core::credential_report::CredentialReport;
use crate::Error;

/// Generates (or reuses, when IAM holds one under 4 hours old) and reads the credential report.
pub async fn read(client: &aws_sdk_iam::Client) -> Result<CredentialReport, Error> {
    let _ = client;
    unimplemented!("credential report adapter")
}
