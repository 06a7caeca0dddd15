//! The domain's view of an IAM user: who it is (from GetAccountAuthorizationDetails) and what
//! credentials it holds (from the credential report), in our own types.

use chrono::{DateTime, Utc};

use crate::core::credential_report::CredentialRow;
use crate::core::privilege::Privilege;
use crate::core::role::{MissingField, Required, Tag};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The `AIDA...` id: the key AWS Config uses for `AWS::IAM::User` resources.
    pub user_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub created: DateTime<Utc>,
    pub tags: Vec<Tag>,
    /// What its policies and its groups' policies allow, as the annotation of a finding states it.
    pub privilege: Privilege,
}

impl User {
    /// Path and name joined the way IAM shows them (`/ci/deployer`): what the allowlist
    /// patterns are matched against.
    pub fn path_and_name(&self) -> String {
        format!("{}{}", self.path, self.name)
    }

    /// The value of the first tag with this key (IAM tag keys are unique per user).
    pub fn tag_value(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|tag| tag.key == key)
            .map(|tag| tag.value.as_str())
    }
}

/// A user as a source delivers it, every field optional: both the IAM adapter and the snapshot
/// reader fill one of these, and [`UserRecord::into_user`] is the one place that decides what is
/// required.
#[derive(Debug, Clone, Default)]
pub struct UserRecord {
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub path: Option<String>,
    pub arn: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub tags: Vec<Tag>,
    /// Summed up from the user's and its groups' policies by the source; [`Privilege::Neither`]
    /// when it reads none.
    pub privilege: Privilege,
}

impl UserRecord {
    pub fn into_user(self) -> Result<User, MissingField> {
        let check = Required::new("user", &self.user_id, &self.name);
        let required = |value, field| check.text(value, field);
        let missing = |field| check.missing(field);
        Ok(User {
            user_id: required(self.user_id, "UserId")?,
            name: required(self.name, "UserName")?,
            path: required(self.path, "Path")?,
            arn: required(self.arn, "Arn")?,
            created: self.created.ok_or_else(|| missing("CreateDate"))?,
            tags: self.tags,
            privilege: self.privilege,
        })
    }
}

/// The report states whole seconds; IAM's CreateDate may carry a fraction.
fn same_second(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    a.timestamp() == b.timestamp()
}

/// Everything the users rule reads: the users IAM lists and the credential report's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersAccount {
    pub users: Vec<User>,
    pub report: crate::core::credential_report::CredentialReport,
}

impl UsersAccount {
    /// The report's row for `user`: same ARN and same creation time. A row with the ARN but
    /// another creation time describes an earlier user of the same name, deleted and created
    /// again since the report was generated.
    pub fn row_of(&self, user: &User) -> Option<&CredentialRow> {
        self.report
            .rows
            .iter()
            .find(|row| row.arn == user.arn && same_second(row.user_created, user.created))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::core::credential_report::CredentialReport;

    fn row(arn: &str, created: DateTime<Utc>) -> CredentialRow {
        CredentialRow {
            line: 2,
            user: "alice".to_owned(),
            arn: arn.to_owned(),
            user_created: created,
            password: None,
            access_keys: [None, None],
        }
    }

    #[test]
    fn a_row_joins_by_arn_and_creation_second() {
        let created = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let arn = "arn:aws:iam::111122223333:user/alice";
        let user = |created| User {
            user_id: "AIDAALICE".to_owned(),
            name: "alice".to_owned(),
            path: "/".to_owned(),
            arn: arn.to_owned(),
            created,
            tags: Vec::new(),
            privilege: Default::default(),
        };
        let account = |rows| UsersAccount {
            users: Vec::new(),
            report: CredentialReport {
                generated: created + Duration::days(10),
                rows,
            },
        };
        let with_row = account(vec![row(arn, created)]);
        // IAM's CreateDate may carry a fraction of a second the report's whole seconds drop.
        let fractional = created + Duration::milliseconds(500);
        assert!(with_row.row_of(&user(fractional)).is_some());
        assert!(with_row.row_of(&user(created)).is_some());
        // Another second: an earlier user of the same name, deleted and created again.
        assert!(with_row
            .row_of(&user(created + Duration::seconds(1)))
            .is_none());
        let other_arn = account(vec![row("arn:aws:iam::111122223333:user/bob", created)]);
        assert!(other_arn.row_of(&user(created)).is_none());
    }
}
