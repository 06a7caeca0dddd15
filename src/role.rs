//! The domain's view of an IAM role: only what the rule needs, in our own types.

use chrono::{DateTime, Utc};

/// Roles under this path are created and owned by AWS services.
pub const SERVICE_LINKED_PATH_PREFIX: &str = "/aws-service-role/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The `AROA...` id: the key AWS Config uses for `AWS::IAM::Role` resources.
    pub role_id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub created: DateTime<Utc>,
    pub last_used: Option<LastUsed>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUsed {
    pub at: DateTime<Utc>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Role {
    /// Path and name joined the way IAM shows them (`/service-role/name`): what the allowlist
    /// patterns are matched against.
    pub fn path_and_name(&self) -> String {
        format!("{}{}", self.path, self.name)
    }

    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with(SERVICE_LINKED_PATH_PREFIX)
    }

    pub fn has_tag_key(&self, key: &str) -> bool {
        self.tags.iter().any(|tag| tag.key == key)
    }
}

/// A role as a source delivers it, every field optional: both the IAM adapter and the snapshot
/// reader fill one of these, and [`RoleRecord::into_role`] is the one place that decides what is
/// required.
#[derive(Debug, Clone, Default)]
pub struct RoleRecord {
    pub role_id: Option<String>,
    pub name: Option<String>,
    pub path: Option<String>,
    pub arn: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_region: Option<String>,
    pub tags: Vec<Tag>,
}

/// A required field a source left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingField {
    /// The field's name as the IAM API spells it (`CreateDate`).
    pub field: &'static str,
    /// The best identifier the record had (RoleId, else name, else `?`).
    pub role: String,
}

impl std::fmt::Display for MissingField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "role {} has no {}", self.role, self.field)
    }
}

impl RoleRecord {
    pub fn into_role(self) -> Result<Role, MissingField> {
        let identity = self
            .role_id
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| "?".to_owned());
        let missing = |field| MissingField {
            field,
            role: identity.clone(),
        };
        let required = |value: Option<String>, field| {
            value
                .filter(|v| !v.is_empty())
                .ok_or_else(|| missing(field))
        };
        Ok(Role {
            role_id: required(self.role_id, "RoleId")?,
            name: required(self.name, "RoleName")?,
            path: required(self.path, "Path")?,
            arn: required(self.arn, "Arn")?,
            created: self.created.ok_or_else(|| missing("CreateDate"))?,
            last_used: self.last_used_at.map(|at| LastUsed {
                at,
                region: self.last_used_region.filter(|r| !r.is_empty()),
            }),
            tags: self.tags,
        })
    }
}
