//! The domain's view of an IAM role: only what the rule needs, in our own types.

use chrono::{DateTime, Utc};

use crate::core::privilege::Privilege;

/// Roles under this path are created and owned by AWS services.
pub const SERVICE_LINKED_PATH_PREFIX: &str = "/aws-service-role/";
/// Roles under this path are created and managed by IAM Identity Center, one per permission set
/// assigned to the account. The path may go on with a Region
/// (`/aws-reserved/sso.amazonaws.com/eu-west-2/`): the prefix decides.
pub const IDENTITY_CENTER_PATH_PREFIX: &str = "/aws-reserved/sso.amazonaws.com/";
/// Identity Center names its roles `AWSReservedSSO_<permission set>_<16 hex digits>`.
const IDENTITY_CENTER_NAME_PREFIX: &str = "AWSReservedSSO_";
const IDENTITY_CENTER_SUFFIX_DIGITS: usize = 16;

/// Who manages a role, which decides what can be done about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind<'a> {
    /// Created in IAM by the account: can be edited and deleted there.
    Customer,
    /// Owned by an AWS service, removed with DeleteServiceLinkedRole.
    ServiceLinked,
    /// Managed by IAM Identity Center; `permission_set` is None when the name does not have
    /// Identity Center's shape.
    IdentityCenter { permission_set: Option<&'a str> },
}

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
    /// What its policies allow, as the annotation of a finding states it.
    pub privilege: Privilege,
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

    pub fn is_identity_center(&self) -> bool {
        self.path.starts_with(IDENTITY_CENTER_PATH_PREFIX)
    }

    pub fn kind(&self) -> RoleKind<'_> {
        if self.is_service_linked() {
            RoleKind::ServiceLinked
        } else if self.is_identity_center() {
            RoleKind::IdentityCenter {
                permission_set: permission_set_name(&self.name),
            }
        } else {
            RoleKind::Customer
        }
    }

    /// The value of the first tag with this key (IAM tag keys are unique per role).
    pub fn tag_value(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|tag| tag.key == key)
            .map(|tag| tag.value.as_str())
    }

    pub fn has_tag_key(&self, key: &str) -> bool {
        self.tags.iter().any(|tag| tag.key == key)
    }
}

/// The permission set in `AWSReservedSSO_<permission set>_<16 hex digits>`; the set's own name
/// may contain `_`, so the hash is what follows the last one.
fn permission_set_name(role_name: &str) -> Option<&str> {
    let rest = role_name.strip_prefix(IDENTITY_CENTER_NAME_PREFIX)?;
    let (set, suffix) = rest.rsplit_once('_')?;
    let is_suffix = suffix.len() == IDENTITY_CENTER_SUFFIX_DIGITS
        && suffix.chars().all(|c| c.is_ascii_hexdigit());
    (is_suffix && !set.is_empty()).then_some(set)
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
    /// Summed up from the role's policies by the source; [`Privilege::Neither`] when it reads none.
    pub privilege: Privilege,
}

/// A required field a source left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingField {
    /// `role` or `user`.
    pub noun: &'static str,
    /// The field's name as the IAM API spells it (`CreateDate`).
    pub field: &'static str,
    /// The best identifier the record had (its id, else its name, else `?`).
    pub principal: String,
}

impl std::fmt::Display for MissingField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} has no {}", self.noun, self.principal, self.field)
    }
}

/// Checks a source's record of one `noun` (`role`, `user`): each missing field is named with
/// the best identifier the record had (its id, else its name, else `?`).
pub(crate) struct Required {
    noun: &'static str,
    principal: String,
}

impl Required {
    pub(crate) fn new(noun: &'static str, id: &Option<String>, name: &Option<String>) -> Self {
        let principal = id.clone().or_else(|| name.clone());
        Self {
            noun,
            principal: principal.unwrap_or_else(|| "?".to_owned()),
        }
    }

    pub(crate) fn missing(&self, field: &'static str) -> MissingField {
        MissingField {
            noun: self.noun,
            field,
            principal: self.principal.clone(),
        }
    }

    /// The text if present and not empty.
    pub(crate) fn text(
        &self,
        value: Option<String>,
        field: &'static str,
    ) -> Result<String, MissingField> {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| self.missing(field))
    }
}

impl RoleRecord {
    pub fn into_role(self) -> Result<Role, MissingField> {
        let check = Required::new("role", &self.role_id, &self.name);
        let required = |value, field| check.text(value, field);
        let missing = |field| check.missing(field);
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
            privilege: self.privilege,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(path: &str, name: &str) -> Role {
        Role {
            role_id: "AROAEXAMPLE".to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
            arn: format!("arn:aws:iam::111122223333:role{path}{name}"),
            created: DateTime::<Utc>::UNIX_EPOCH,
            last_used: None,
            tags: Vec::new(),
            privilege: Default::default(),
        }
    }

    #[test]
    fn the_path_decides_the_kind_and_the_name_gives_the_permission_set() {
        use RoleKind::*;
        let sso = "/aws-reserved/sso.amazonaws.com/";
        let sso_regional = "/aws-reserved/sso.amazonaws.com/eu-west-2/";
        let ic = |set| IdentityCenter {
            permission_set: set,
        };
        for (path, name, expected) in [
            // The IAM Identity Center User Guide's example names, with and without a Region.
            (
                sso_regional,
                "AWSReservedSSO_DatabaseAdministrator_1234567890abcdef",
                ic(Some("DatabaseAdministrator")),
            ),
            (
                sso,
                "AWSReservedSSO_DatabaseAdministrator_abcdef0123456789",
                ic(Some("DatabaseAdministrator")),
            ),
            // A permission set's own name may contain `_`: the hash follows the last one.
            (
                sso,
                "AWSReservedSSO_Data_Engineer_RO_0a1b2c3d4e5f6789",
                ic(Some("Data_Engineer_RO")),
            ),
            (
                sso,
                "AWSReservedSSO_Admin_0A1B2C3D4E5F6789",
                ic(Some("Admin")),
            ),
            // Not Identity Center's shape: still an Identity Center role, set unknown.
            (sso, "AWSReservedSSO_LegacyAdmins", ic(None)),
            (sso, "AWSReservedSSO_Admin_0a1b2c3d4e5f678", ic(None)),
            (sso, "AWSReservedSSO_Admin_0a1b2c3d4e5f67890", ic(None)),
            (sso, "AWSReservedSSO_Admin_0a1b2c3d4e5f678g", ic(None)),
            (sso, "AWSReservedSSO__0a1b2c3d4e5f6789", ic(None)),
            (sso, "custom-role", ic(None)),
            // The name alone does not make one.
            ("/", "AWSReservedSSO_Admin_0a1b2c3d4e5f6789", Customer),
            (
                "/aws-reserved/",
                "AWSReservedSSO_Admin_0a1b2c3d4e5f6789",
                Customer,
            ),
            (
                "/aws-reserved/sso.amazonaws.com",
                "AWSReservedSSO_Admin_0a1b2c3d4e5f6789",
                Customer,
            ),
            (
                "/aws-service-role/sso.amazonaws.com/",
                "AWSServiceRoleForSSO",
                ServiceLinked,
            ),
            ("/service-role/", "codebuild", Customer),
        ] {
            assert_eq!(role(path, name).kind(), expected, "{path}{name}");
        }
    }
}
