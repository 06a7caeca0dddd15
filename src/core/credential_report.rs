//! IAM's credential report, parsed (pure): the CSV `GetCredentialReport` returns, one row per
//! user, with each console password's and access key's last use.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html>

use chrono::{DateTime, Utc};

/// The report's row for the account's root user: not an IAM user, never evaluated.
pub const ROOT_ACCOUNT: &str = "<root_account>";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReport {
    /// `GeneratedTime` from GetCredentialReport: what the report's data is as of.
    pub generated: DateTime<Utc>,
    /// Every IAM user's row, in the report's order; the root account's row is left out.
    pub rows: Vec<CredentialRow>,
}

/// One IAM user's credentials, as the report states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// The CSV line the row was read from (the header is line 1), for messages.
    pub line: usize,
    /// `user`
    pub user: String,
    /// `arn`: the key the report is joined to IAM's users by.
    pub arn: String,
    /// `user_creation_time`
    pub user_created: DateTime<Utc>,
    /// None when `password_enabled` is FALSE: the user has no console password.
    pub password: Option<Password>,
    /// Slots 1 and 2 (`access_key_1_*`, `access_key_2_*`); None where the slot holds no key.
    pub access_keys: [Option<AccessKey>; 2],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password {
    /// `password_last_used`; None for `no_information` (never used since IAM began tracking).
    pub last_used: Option<DateTime<Utc>>,
    /// `password_last_changed`: when the password was set; None where the report gives none.
    pub last_changed: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `access_key_N_active`
    pub active: bool,
    /// `access_key_N_last_rotated`: when the key was created or last changed.
    pub created: DateTime<Utc>,
    /// None: never used (`N/A`).
    pub last_used: Option<KeyUse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// `access_key_N_last_used_date`
    pub at: DateTime<Utc>,
    /// `access_key_N_last_used_region`, None for `N/A`.
    pub region: Option<String>,
    /// `access_key_N_last_used_service`, None for `N/A`.
    pub service: Option<String>,
}

/// A row or field the parser cannot read; nothing is evaluated from such a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportProblem {
    /// The CSV line (the header is line 1).
    pub line: usize,
    /// The column's name as the report spells it (`password_last_used`), or `header`/`row`.
    pub field: String,
    pub message: String,
}

/// Parses the report's CSV (the decoded `Content` of GetCredentialReport).
pub fn parse(content: &[u8], generated: DateTime<Utc>) -> Result<CredentialReport, ReportProblem> {
    let _ = (content, generated);
    unimplemented!("credential report parser")
}
