//! Reversible quarantine of an unused role or user, pure: what a principal is, what its rule
//! says of it and `now` in; the guards' verdict and the exact IAM calls out. The SSM Automation
//! documents in template.yaml make the same calls with the same names (a test holds them to
//! these constants), so `role-audit quarantine --dry-run` shows what a remediation would do.
//!
//! Quarantine tags first and then denies, so an interrupted quarantine is one `restore`
//! recognises; restore removes the deny before the tags for the same reason. Console passwords
//! are never touched: deleting one cannot be undone.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::core::access::PrincipalKind;
use crate::core::evaluate::whole_days;
use crate::core::params::Allowlist;
use crate::core::results::Compliance;

/// The inline policy quarantine attaches: IAM evaluates inline policies on every request, so it
/// also stops sessions issued before it.
pub const POLICY_NAME: &str = "UnusedAccessQuarantine";
/// Deny everything. Compact JSON, the exact text the documents carry.
pub const POLICY_DOCUMENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"UnusedAccessQuarantine","Effect":"Deny","Action":"*","Resource":"*"}]}"#;
/// When the principal was quarantined, `YYYY-MM-DDTHH:MM:SSZ`.
pub const TAG_QUARANTINED_AT: &str = "unused-access:quarantined-at";
/// Who quarantined it: the SSM document's name, or [`BY_CLI`].
pub const TAG_QUARANTINED_BY: &str = "unused-access:quarantined-by";
/// A user's access keys quarantine deactivated, sorted, separated by one space.
pub const TAG_DEACTIVATED_KEYS: &str = "unused-access:deactivated-keys";
/// The `quarantined-by` value of a quarantine made by role-audit.
pub const BY_CLI: &str = "role-audit";
/// The users rule's default threshold, which the documents also assume when the rule's
/// parameters name none.
pub use crate::core::params::USER_DEFAULT_MAX_DAYS;

const CUSTOM_LAMBDA: &str = "CUSTOM_LAMBDA";
const SERVICE_LINKED_PATH: &str = "/aws-service-role/";
/// The path of the stack's own roles (the automation role): quarantining one would lock the
/// tool out of its own restore.
pub const OWN_PATH: &str = "/unused-access/";
/// The deactivated-keys tag's value when no key was deactivated: never empty.
pub const NO_KEYS: &str = "none";
const IDENTITY_CENTER_PATH: &str = "/aws-reserved/sso.amazonaws.com/";

/// An access key as quarantine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    /// Its last use, or its creation when never used.
    pub last_activity: DateTime<Utc>,
}

/// A principal as read from IAM just before acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: PrincipalKind,
    pub name: String,
    /// The RoleId or UserId: Config's key.
    pub id: String,
    pub path: String,
    pub tags: Vec<(String, String)>,
    /// Whether an inline policy named [`POLICY_NAME`] exists.
    pub has_quarantine_policy: bool,
    /// Users only.
    pub access_keys: Vec<AccessKey>,
    /// Users only: the last console sign-in, when the user has a password now.
    pub password_last_used: Option<DateTime<Utc>>,
}

impl Target {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn noun(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
        }
    }
}

/// What the Config rule says of the principal: its parameters and its current result.
#[derive(Debug, Clone)]
pub struct RuleView {
    pub rule_name: String,
    /// `Source.Owner` (`CUSTOM_LAMBDA` for this stack's rules): another rule's parameters are
    /// not ours to read.
    pub owner: String,
    pub allowlist: Allowlist,
    pub exempt_tag_key: Option<String>,
    /// Users: the threshold after which an access key is unused.
    pub max_days: u32,
    /// The newest result the rule recorded for the principal, if any.
    pub result: Option<Compliance>,
}

/// Why a quarantine or restore was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    ServiceLinked {
        name: String,
    },
    IdentityCenter {
        name: String,
    },
    AlreadyQuarantined {
        noun: &'static str,
        name: String,
        since: String,
    },
    Allowlisted {
        noun: &'static str,
        name: String,
        pattern: String,
        rule: String,
    },
    Exempt {
        noun: &'static str,
        name: String,
        tag_key: String,
    },
    NotNonCompliant {
        noun: &'static str,
        name: String,
        result: Option<Compliance>,
        rule: String,
    },
    NotQuarantined {
        noun: &'static str,
        name: String,
    },
    NotThisStacksRule {
        rule: String,
        owner: String,
    },
    OwnRole {
        name: String,
    },
    CredentialInUse {
        name: String,
        credential: InUse,
        days: i64,
        max_days: u32,
    },
}

/// A user's credential used (or, a key, created) within the rule's threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InUse {
    Password,
    AccessKey(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ServiceLinked { name } => {
                write!(f, "role {name} is service-linked: never quarantined")
            }
            Self::IdentityCenter { name } => write!(
                f,
                "role {name} is an IAM Identity Center role: never quarantined (change its permission set instead)"
            ),
            Self::AlreadyQuarantined { noun, name, since } => {
                write!(f, "{noun} {name} is already quarantined (since {since})")
            }
            Self::Allowlisted { noun, name, pattern, rule } => {
                write!(f, "{noun} {name} is allowlisted by pattern {pattern} of rule {rule}")
            }
            Self::Exempt { noun, name, tag_key } => {
                write!(f, "{noun} {name} carries the exempt tag {tag_key}")
            }
            Self::NotNonCompliant { noun, name, result, rule } => write!(
                f,
                "{noun} {name} is {} in rule {rule}, not NON_COMPLIANT",
                result.map_or("not evaluated", Compliance::as_str)
            ),
            Self::OwnRole { name } => write!(
                f,
                "role {name} is one of this stack's own roles (path {OWN_PATH}): never quarantined"
            ),
            Self::CredentialInUse {
                name,
                credential,
                days,
                max_days,
            } => {
                match credential {
                    InUse::Password => write!(
                        f,
                        "user {name} signed in with its console password {days} days ago"
                    )?,
                    InUse::AccessKey(id) => write!(
                        f,
                        "user {name} has access key {id} used or created {days} days ago"
                    )?,
                }
                write!(
                    f,
                    " (within the rule's {max_days} days): quarantine would stop it; remove the unused credentials by hand instead"
                )
            }
            Self::NotThisStacksRule { rule, owner } => write!(
                f,
                "rule {rule} is owned by {owner}, not {CUSTOM_LAMBDA}: not a rule of this stack"
            ),
            Self::NotQuarantined { noun, name } => write!(
                f,
                "{noun} {name} is not quarantined (no {TAG_QUARANTINED_AT} tag)"
            ),
        }
    }
}

/// One IAM call quarantine or restore makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    TagRole {
        role: String,
        tags: Vec<(String, String)>,
    },
    PutRolePolicy {
        role: String,
    },
    DeleteRolePolicy {
        role: String,
    },
    UntagRole {
        role: String,
        keys: Vec<String>,
    },
    TagUser {
        user: String,
        tags: Vec<(String, String)>,
    },
    PutUserPolicy {
        user: String,
    },
    DeleteUserPolicy {
        user: String,
    },
    UntagUser {
        user: String,
        keys: Vec<String>,
    },
    UpdateAccessKey {
        user: String,
        key: String,
        active: bool,
    },
}

impl Call {
    pub fn operation(&self) -> &'static str {
        match self {
            Self::TagRole { .. } => "TagRole",
            Self::PutRolePolicy { .. } => "PutRolePolicy",
            Self::DeleteRolePolicy { .. } => "DeleteRolePolicy",
            Self::UntagRole { .. } => "UntagRole",
            Self::TagUser { .. } => "TagUser",
            Self::PutUserPolicy { .. } => "PutUserPolicy",
            Self::DeleteUserPolicy { .. } => "DeleteUserPolicy",
            Self::UntagUser { .. } => "UntagUser",
            Self::UpdateAccessKey { .. } => "UpdateAccessKey",
        }
    }

    /// The call's request parameters, named as in the IAM API.
    pub fn parameters(&self) -> Value {
        let tags = |tags: &[(String, String)]| {
            tags.iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect::<Vec<_>>()
        };
        match self {
            Self::TagRole { role, tags: t } => json!({"RoleName": role, "Tags": tags(t)}),
            Self::PutRolePolicy { role } => json!({
                "RoleName": role, "PolicyName": POLICY_NAME, "PolicyDocument": POLICY_DOCUMENT
            }),
            Self::DeleteRolePolicy { role } => json!({"RoleName": role, "PolicyName": POLICY_NAME}),
            Self::UntagRole { role, keys } => json!({"RoleName": role, "TagKeys": keys}),
            Self::TagUser { user, tags: t } => json!({"UserName": user, "Tags": tags(t)}),
            Self::PutUserPolicy { user } => json!({
                "UserName": user, "PolicyName": POLICY_NAME, "PolicyDocument": POLICY_DOCUMENT
            }),
            Self::DeleteUserPolicy { user } => json!({"UserName": user, "PolicyName": POLICY_NAME}),
            Self::UntagUser { user, keys } => json!({"UserName": user, "TagKeys": keys}),
            Self::UpdateAccessKey { user, key, active } => json!({
                "UserName": user,
                "AccessKeyId": key,
                "Status": if *active { "Active" } else { "Inactive" }
            }),
        }
    }

    /// `{"service":"iam","operation":...,"parameters":{...}}`: the form the documents' calls
    /// are recorded in, to compare.
    pub fn canonical(&self) -> Value {
        json!({"service": "iam", "operation": self.operation(), "parameters": self.parameters()})
    }

    /// One line for people: `iam:TagRole {"RoleName":...}`.
    pub fn line(&self) -> String {
        format!("iam:{} {}", self.operation(), self.parameters())
    }
}

/// The guards that need only the principal, checked before its rule is read: a person who
/// names a service-linked role learns that first, whatever rule they named.
pub fn principal_guards(target: &Target) -> Result<(), Refusal> {
    let noun = target.noun();
    let name = || target.name.clone();
    if target.kind == PrincipalKind::Role {
        if target.path.starts_with(SERVICE_LINKED_PATH) {
            return Err(Refusal::ServiceLinked { name: name() });
        }
        if target.path.starts_with(IDENTITY_CENTER_PATH) {
            return Err(Refusal::IdentityCenter { name: name() });
        }
        if target.path.starts_with(OWN_PATH) {
            return Err(Refusal::OwnRole { name: name() });
        }
    }
    if let Some(since) = target.tag(TAG_QUARANTINED_AT) {
        return Err(Refusal::AlreadyQuarantined {
            noun,
            name: name(),
            since: since.to_owned(),
        });
    }
    if target.has_quarantine_policy {
        return Err(Refusal::AlreadyQuarantined {
            noun,
            name: name(),
            since: format!("an unknown time: it has the {POLICY_NAME} policy"),
        });
    }
    Ok(())
}

/// The guards, then the calls that quarantine `target`, as `by` (a document's name or
/// [`BY_CLI`]) at `now`.
pub fn quarantine(
    target: &Target,
    rule: &RuleView,
    now: DateTime<Utc>,
    by: &str,
) -> Result<Vec<Call>, Refusal> {
    principal_guards(target)?;
    let noun = target.noun();
    let name = || target.name.clone();
    if rule.owner != CUSTOM_LAMBDA {
        return Err(Refusal::NotThisStacksRule {
            rule: rule.rule_name.clone(),
            owner: rule.owner.clone(),
        });
    }
    if let Some(pattern) = rule
        .allowlist
        .first_match(&format!("{}{}", target.path, target.name))
    {
        return Err(Refusal::Allowlisted {
            noun,
            name: name(),
            pattern: pattern.to_owned(),
            rule: rule.rule_name.clone(),
        });
    }
    if let Some(key) = &rule.exempt_tag_key {
        if target.tag(key).is_some() {
            return Err(Refusal::Exempt {
                noun,
                name: name(),
                tag_key: key.clone(),
            });
        }
    }
    if rule.result != Some(Compliance::NonCompliant) {
        return Err(Refusal::NotNonCompliant {
            noun,
            name: name(),
            result: rule.result,
            rule: rule.rule_name.clone(),
        });
    }

    if target.kind == PrincipalKind::User {
        in_use_guard(target, rule.max_days, now)?;
    }

    let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut tags = vec![
        (TAG_QUARANTINED_AT.to_owned(), at),
        (TAG_QUARANTINED_BY.to_owned(), by.to_owned()),
    ];
    Ok(match target.kind {
        PrincipalKind::Role => vec![
            Call::TagRole { role: name(), tags },
            Call::PutRolePolicy { role: name() },
        ],
        PrincipalKind::User => {
            let threshold = i64::from(rule.max_days);
            let mut unused: Vec<String> = target
                .access_keys
                .iter()
                .filter(|k| k.active && whole_days(k.last_activity, now) > threshold)
                .map(|k| k.id.clone())
                .collect();
            unused.sort();
            let recorded = if unused.is_empty() {
                NO_KEYS.to_owned()
            } else {
                unused.join(" ")
            };
            tags.push((TAG_DEACTIVATED_KEYS.to_owned(), recorded));
            let mut calls = vec![Call::TagUser { user: name(), tags }];
            calls.extend(unused.into_iter().map(|key| Call::UpdateAccessKey {
                user: name(),
                key,
                active: false,
            }));
            calls.push(Call::PutUserPolicy { user: name() });
            calls
        }
    })
}

/// A user is quarantined only when every active credential is unused: the users rule flags a
/// user for any one unused credential, and a deny-all would stop the one still in use.
fn in_use_guard(target: &Target, max_days: u32, now: DateTime<Utc>) -> Result<(), Refusal> {
    let threshold = i64::from(max_days);
    let refuse = |credential, days| Refusal::CredentialInUse {
        name: target.name.clone(),
        credential,
        days,
        max_days,
    };
    if let Some(used) = target.password_last_used {
        let days = whole_days(used, now);
        if days <= threshold {
            return Err(refuse(InUse::Password, days));
        }
    }
    let mut keys: Vec<&AccessKey> = target.access_keys.iter().filter(|k| k.active).collect();
    keys.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(key) = keys
        .into_iter()
        .find(|k| whole_days(k.last_activity, now) <= threshold)
    {
        let days = whole_days(key.last_activity, now);
        return Err(refuse(InUse::AccessKey(key.id.clone()), days));
    }
    Ok(())
}

/// The calls that undo a quarantine of `target`, leaving it as it was before.
pub fn restore(target: &Target) -> Result<Vec<Call>, Refusal> {
    let name = || target.name.clone();
    if target.tag(TAG_QUARANTINED_AT).is_none() {
        return Err(Refusal::NotQuarantined {
            noun: target.noun(),
            name: name(),
        });
    }
    let mut calls = Vec::new();
    match target.kind {
        PrincipalKind::Role => {
            if target.has_quarantine_policy {
                calls.push(Call::DeleteRolePolicy { role: name() });
            }
            calls.push(Call::UntagRole {
                role: name(),
                keys: vec![TAG_QUARANTINED_AT.to_owned(), TAG_QUARANTINED_BY.to_owned()],
            });
        }
        PrincipalKind::User => {
            let recorded = target.tag(TAG_DEACTIVATED_KEYS).unwrap_or_default();
            let mut keys: Vec<&str> = recorded
                .split(' ')
                .filter(|id| target.access_keys.iter().any(|k| k.id == *id && !k.active))
                .collect();
            keys.sort_unstable();
            calls.extend(keys.into_iter().map(|key| Call::UpdateAccessKey {
                user: name(),
                key: key.to_owned(),
                active: true,
            }));
            if target.has_quarantine_policy {
                calls.push(Call::DeleteUserPolicy { user: name() });
            }
            calls.push(Call::UntagUser {
                user: name(),
                keys: vec![
                    TAG_QUARANTINED_AT.to_owned(),
                    TAG_QUARANTINED_BY.to_owned(),
                    TAG_DEACTIVATED_KEYS.to_owned(),
                ],
            });
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests;
