//! Rule parameters: the `ruleParameters` object AWS Config passes, parsed once into typed,
//! validated values before any AWS call is made.

use serde_json::{Map, Value};

use crate::Error;

pub const MAX_DAYS_KEY: &str = "max_days_for_last_used";
pub const ALLOWLIST_KEY: &str = "role_allowlist";
/// The blog rule's name for the allowlist, still accepted so its stacks can migrate.
pub const LEGACY_ALLOWLIST_KEY: &str = "role_whitelist";
pub const EXEMPT_TAG_KEY: &str = "exempt_tag_key";
pub const SERVICE_LINKED_ROLES_KEY: &str = "service_linked_roles";
pub const IDENTITY_CENTER_ROLES_KEY: &str = "identity_center_roles";
/// Organization rules: the role to assume in the evaluated account.
pub const EXECUTION_ROLE_NAME_KEY: &str = "execution_role_name";
/// Which results a run sends Config: see [`Publish`].
pub const PUBLISH_KEY: &str = "publish";
pub const VALID_KEYS: [&str; 8] = [
    MAX_DAYS_KEY,
    ALLOWLIST_KEY,
    LEGACY_ALLOWLIST_KEY,
    EXEMPT_TAG_KEY,
    SERVICE_LINKED_ROLES_KEY,
    IDENTITY_CENTER_ROLES_KEY,
    EXECUTION_ROLE_NAME_KEY,
    PUBLISH_KEY,
];

/// The environment variable that sets the threshold when the rule parameters do not.
pub const MAX_DAYS_ENV: &str = "MAX_DAYS_FOR_LAST_USED";
pub const DEFAULT_MAX_DAYS: u32 = 60;
/// IAM reports `RoleLastUsed` only for the trailing 400 days, so a longer threshold could never
/// be told apart from "never used".
pub const TRACKING_WINDOW_DAYS: u32 = 400;
/// Longer than any path + name IAM allows (512 + 64), with room for wildcards.
pub const MAX_PATTERN_CHARS: usize = 1024;
/// IAM's limit on a tag key.
pub const MAX_TAG_KEY_CHARS: usize = 128;

#[derive(Debug, Clone)]
pub struct RoleParameters {
    pub max_days: u32,
    pub allowlist: Allowlist,
    pub exempt_tag_key: Option<String>,
    pub service_linked_roles: ServiceLinkedRoles,
    pub identity_center_roles: IdentityCenterRoles,
    /// The role to assume in the event's account (organization rules); None: the function's
    /// own credentials.
    pub execution_role_name: Option<String>,
    pub publish: Publish,
}

/// Which results a run sends Config. Config bills every evaluation it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Publish {
    /// Only results that differ from what Config holds (and, when none does, one evaluation
    /// that tells Config the rule ran).
    #[default]
    Changes,
    /// Every result, every run: each resource's ResultRecordedTime is the last run's.
    All,
}

impl Publish {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Changes => "changes",
            Self::All => "all",
        }
    }
}

impl Default for RoleParameters {
    fn default() -> Self {
        Self {
            max_days: DEFAULT_MAX_DAYS,
            allowlist: Allowlist::default(),
            exempt_tag_key: None,
            service_linked_roles: ServiceLinkedRoles::Exclude,
            identity_center_roles: IdentityCenterRoles::Evaluate,
            execution_role_name: None,
            publish: Publish::Changes,
        }
    }
}

/// The users rule's parameters.
#[derive(Debug, Clone)]
pub struct UserParameters {
    /// `max_days_for_last_used`: 1 to [`USER_MAX_DAYS_LIMIT`], default [`USER_DEFAULT_MAX_DAYS`].
    pub max_days: u32,
    /// `user_allowlist`
    pub allowlist: Allowlist,
    pub exempt_tag_key: Option<String>,
    pub execution_role_name: Option<String>,
    pub publish: Publish,
}

pub const USER_ALLOWLIST_KEY: &str = "user_allowlist";
/// The CIS AWS Foundations Benchmark disables credentials unused for 45 days or more.
pub const USER_DEFAULT_MAX_DAYS: u32 = 45;
/// Credential last-used data is not cut to a trailing window as role last use is (IAM keeps
/// password use since 2014-10-20, access-key use since 2015-04-22): ten years is a cap on typos.
pub const USER_MAX_DAYS_LIMIT: u32 = 3650;

pub const USER_VALID_KEYS: [&str; 5] = [
    MAX_DAYS_KEY,
    USER_ALLOWLIST_KEY,
    EXEMPT_TAG_KEY,
    EXECUTION_ROLE_NAME_KEY,
    PUBLISH_KEY,
];

impl Default for UserParameters {
    fn default() -> Self {
        Self {
            max_days: USER_DEFAULT_MAX_DAYS,
            allowlist: Allowlist::default(),
            exempt_tag_key: None,
            execution_role_name: None,
            publish: Publish::Changes,
        }
    }
}

impl Parameters for UserParameters {
    fn from_event_field(
        field: Option<&Value>,
        default_max_days: Option<&str>,
    ) -> Result<Self, Error> {
        Self::from_map(&object_of_field(field)?, default_max_days)
    }

    fn execution_role_name(&self) -> Option<&str> {
        self.execution_role_name.as_deref()
    }

    fn publish(&self) -> Publish {
        self.publish
    }
}

impl UserParameters {
    /// Validates an already-decoded parameters object.
    pub fn from_map(
        object: &Map<String, Value>,
        default_max_days: Option<&str>,
    ) -> Result<Self, Error> {
        reject_unknown_keys(object, &USER_VALID_KEYS)?;
        let max_days = max_days(
            object,
            default_max_days,
            USER_DEFAULT_MAX_DAYS,
            USER_MAX_DAYS_LIMIT,
        )?;
        let allowlist = match object.get(USER_ALLOWLIST_KEY) {
            None => Allowlist::default(),
            Some(value) => Allowlist::parse(
                Principal::User,
                USER_ALLOWLIST_KEY,
                string_value(USER_ALLOWLIST_KEY, value)?,
            )?,
        };
        Ok(Self {
            max_days,
            allowlist,
            exempt_tag_key: exempt_tag_key(object, Principal::User)?,
            execution_role_name: execution_role_name(object)?,
            publish: publish(object)?,
        })
    }
}

/// The permissions rule's parameters: roles' and users' granted services unused.
#[derive(Debug, Clone)]
pub struct PermissionParameters {
    /// `max_days_for_service`: a granted service unused for more than this many whole days
    /// makes the principal NON_COMPLIANT.
    pub max_days: u32,
    pub role_allowlist: Allowlist,
    pub user_allowlist: Allowlist,
    pub exempt_tag_key: Option<String>,
    pub service_linked_roles: ServiceLinkedRoles,
    pub identity_center_roles: IdentityCenterRoles,
    pub execution_role_name: Option<String>,
    pub publish: Publish,
    /// `refresh_after_days`: a result Config recorded this many days ago or more is sent again
    /// when its principal is checked, even unchanged, so Config's `ResultRecordedTime` tells
    /// the next runs which principals were checked longest ago.
    pub refresh_after_days: u32,
}

pub const MAX_DAYS_FOR_SERVICE_KEY: &str = "max_days_for_service";
pub const REFRESH_AFTER_DAYS_KEY: &str = "refresh_after_days";
/// IAM Access Analyzer's default for unused permissions.
pub const DEFAULT_MAX_DAYS_FOR_SERVICE: u32 = 90;
pub const DEFAULT_REFRESH_AFTER_DAYS: u32 = 7;
/// Longer than this, a result would go unrefreshed for longer than the threshold it judges.
pub const REFRESH_AFTER_DAYS_LIMIT: u32 = 90;

/// No `execution_role_name`: the member role of the organization deployment grants nothing of
/// IAM's service last accessed reports, and the organization stack does not deploy this rule.
pub const PERMISSION_VALID_KEYS: [&str; 8] = [
    MAX_DAYS_FOR_SERVICE_KEY,
    ALLOWLIST_KEY,
    USER_ALLOWLIST_KEY,
    EXEMPT_TAG_KEY,
    SERVICE_LINKED_ROLES_KEY,
    IDENTITY_CENTER_ROLES_KEY,
    PUBLISH_KEY,
    REFRESH_AFTER_DAYS_KEY,
];

impl Default for PermissionParameters {
    fn default() -> Self {
        Self {
            max_days: DEFAULT_MAX_DAYS_FOR_SERVICE,
            role_allowlist: Allowlist::default(),
            user_allowlist: Allowlist::default(),
            exempt_tag_key: None,
            service_linked_roles: ServiceLinkedRoles::Exclude,
            identity_center_roles: IdentityCenterRoles::Evaluate,
            execution_role_name: None,
            publish: Publish::Changes,
            refresh_after_days: DEFAULT_REFRESH_AFTER_DAYS,
        }
    }
}

impl Parameters for PermissionParameters {
    /// `default_max_days` (the function's `MAX_DAYS_FOR_LAST_USED`) is the other rules' last-use
    /// threshold, not this rule's: it is not read.
    fn from_event_field(
        field: Option<&Value>,
        _default_max_days: Option<&str>,
    ) -> Result<Self, Error> {
        Self::from_map(&object_of_field(field)?)
    }

    fn execution_role_name(&self) -> Option<&str> {
        self.execution_role_name.as_deref()
    }

    fn publish(&self) -> Publish {
        self.publish
    }

    fn refresh_after_days(&self) -> Option<u32> {
        Some(self.refresh_after_days)
    }
}

impl PermissionParameters {
    /// Validates an already-decoded parameters object.
    pub fn from_map(object: &Map<String, Value>) -> Result<Self, Error> {
        reject_unknown_keys(object, &PERMISSION_VALID_KEYS)?;
        let days = |key: &str, default: u32, limit: u32| match object.get(key) {
            None => Ok(default),
            Some(value) => parse_max_days(key, value, limit),
        };
        let allowlist = |principal: Principal, key: &str| match object.get(key) {
            None => Ok(Allowlist::default()),
            Some(value) => Allowlist::parse(principal, key, string_value(key, value)?),
        };
        Ok(Self {
            // IAM reports service use for the trailing 400 days: a longer threshold could not
            // be told apart from no use at all.
            max_days: days(
                MAX_DAYS_FOR_SERVICE_KEY,
                DEFAULT_MAX_DAYS_FOR_SERVICE,
                TRACKING_WINDOW_DAYS,
            )?,
            role_allowlist: allowlist(Principal::Role, ALLOWLIST_KEY)?,
            user_allowlist: allowlist(Principal::User, USER_ALLOWLIST_KEY)?,
            exempt_tag_key: exempt_tag_key(object, Principal::Role)?,
            service_linked_roles: service_linked_roles(object)?,
            identity_center_roles: identity_center_roles(object)?,
            execution_role_name: None,
            publish: publish(object)?,
            refresh_after_days: days(
                REFRESH_AFTER_DAYS_KEY,
                DEFAULT_REFRESH_AFTER_DAYS,
                REFRESH_AFTER_DAYS_LIMIT,
            )?,
        })
    }
}

/// What a rule judges, for the words of its error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Role,
    User,
}

impl Principal {
    pub fn noun(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::User => "user",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceLinkedRoles {
    /// AWS owns these roles and deletes them with the service: report them NOT_APPLICABLE.
    Exclude,
    /// Judge them by the same rules as every other role.
    Evaluate,
}

impl ServiceLinkedRoles {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exclude => "exclude",
            Self::Evaluate => "evaluate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCenterRoles {
    /// An unused one means a permission set assigned to the account that nobody uses: judge it
    /// like any role.
    Evaluate,
    /// Report them NOT_APPLICABLE.
    Exclude,
}

impl IdentityCenterRoles {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Evaluate => "evaluate",
            Self::Exclude => "exclude",
        }
    }
}

/// Glob patterns matched against a principal's path + name; `*` also matches `/`.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    patterns: Vec<(String, glob::Pattern)>,
}

const MATCH_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

impl Allowlist {
    /// Parses `|`-separated patterns. `key` names the parameter in errors, `principal` what the
    /// patterns are matched against.
    pub fn parse(principal: Principal, key: &str, text: &str) -> Result<Self, Error> {
        let noun = principal.noun();
        let mut patterns = Vec::new();
        for pattern in text.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            let invalid = |message: String| Error::InvalidRuleParameter {
                key: key.to_owned(),
                message,
            };
            let chars = pattern.chars().count();
            if chars > MAX_PATTERN_CHARS {
                return Err(invalid(format!(
                    "pattern of {chars} characters is longer than the {MAX_PATTERN_CHARS} allowed (it starts {:?})",
                    pattern.chars().take(40).collect::<String>()
                )));
            }
            if !pattern.starts_with(['/', '*', '?', '[']) {
                return Err(invalid(format!(
                    "pattern {pattern:?} can never match: patterns are matched against the {noun}'s path + name, \
                     which starts with '/'; write \"/{pattern}\" for a {noun} at the root path or \"*/{pattern}\" for any path"
                )));
            }
            let compiled = glob::Pattern::new(pattern).map_err(|e| {
                invalid(format!(
                    "pattern {pattern:?} is not a valid glob: {}",
                    e.msg
                ))
            })?;
            patterns.push((pattern.to_owned(), compiled));
        }
        Ok(Self { patterns })
    }

    /// The first pattern, in the order given, that matches `path_and_name`.
    pub fn first_match(&self, path_and_name: &str) -> Option<&str> {
        self.patterns
            .iter()
            .find(|(_, compiled)| compiled.matches_with(path_and_name, MATCH_OPTIONS))
            .map(|(text, _)| text.as_str())
    }

    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|(text, _)| text.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// What the shell needs of any rule's parameters.
pub trait Parameters: Sized {
    /// Parses the event's `ruleParameters` field: absent or null means "all defaults"; otherwise
    /// a JSON string holding an object. `default_max_days` is the function's
    /// `MAX_DAYS_FOR_LAST_USED`, read by the caller.
    fn from_event_field(
        field: Option<&Value>,
        default_max_days: Option<&str>,
    ) -> Result<Self, Error>;

    /// The role to assume in the event's account (organization rules).
    fn execution_role_name(&self) -> Option<&str>;

    fn publish(&self) -> Publish;

    /// Days after which an unchanged result is sent again when checked (the permissions rule).
    fn refresh_after_days(&self) -> Option<u32> {
        None
    }
}

impl Parameters for RoleParameters {
    fn from_event_field(
        field: Option<&Value>,
        default_max_days: Option<&str>,
    ) -> Result<Self, Error> {
        RoleParameters::from_event_field(field, default_max_days)
    }

    fn execution_role_name(&self) -> Option<&str> {
        self.execution_role_name.as_deref()
    }

    fn publish(&self) -> Publish {
        self.publish
    }
}

impl RoleParameters {
    /// Parses the event's `ruleParameters` field: absent or null means "all defaults"; otherwise a
    /// JSON string holding an object. `default_max_days` is the function's
    /// `MAX_DAYS_FOR_LAST_USED`, read by the caller.
    pub fn from_event_field(
        field: Option<&Value>,
        default_max_days: Option<&str>,
    ) -> Result<Self, Error> {
        Self::from_map(&object_of_field(field)?, default_max_days)
    }

    /// Validates an already-decoded parameters object.
    pub fn from_map(
        object: &Map<String, Value>,
        default_max_days: Option<&str>,
    ) -> Result<Self, Error> {
        reject_unknown_keys(object, &VALID_KEYS)?;
        let max_days = max_days(
            object,
            default_max_days,
            DEFAULT_MAX_DAYS,
            TRACKING_WINDOW_DAYS,
        )?;

        let allowlist = match (object.get(ALLOWLIST_KEY), object.get(LEGACY_ALLOWLIST_KEY)) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidRuleParameter {
                    key: LEGACY_ALLOWLIST_KEY.to_owned(),
                    message: format!(
                        "give either {ALLOWLIST_KEY} or {LEGACY_ALLOWLIST_KEY} (its old name), not both"
                    ),
                })
            }
            (Some(value), None) => Allowlist::parse(Principal::Role, ALLOWLIST_KEY, string_value(ALLOWLIST_KEY, value)?)?,
            (None, Some(value)) => {
                Allowlist::parse(Principal::Role, LEGACY_ALLOWLIST_KEY, string_value(LEGACY_ALLOWLIST_KEY, value)?)?
            }
            (None, None) => Allowlist::default(),
        };

        Ok(Self {
            max_days,
            allowlist,
            exempt_tag_key: exempt_tag_key(object, Principal::Role)?,
            service_linked_roles: service_linked_roles(object)?,
            identity_center_roles: identity_center_roles(object)?,
            execution_role_name: execution_role_name(object)?,
            publish: publish(object)?,
        })
    }
}

/// The event's `ruleParameters` field as an object: absent or null is the empty object;
/// otherwise it must be a JSON string holding an object.
fn object_of_field(field: Option<&Value>) -> Result<Map<String, Value>, Error> {
    let invalid = |message: String| Error::InvalidEvent {
        field: "ruleParameters".to_owned(),
        message,
    };
    let object = match field {
        None | Some(Value::Null) => Map::new(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => object,
            Ok(other) => {
                return Err(invalid(format!(
                    "expected a JSON object, got {} {}",
                    json_kind(&other),
                    shorten(text)
                )))
            }
            Err(e) => {
                return Err(invalid(format!(
                    "is not valid JSON ({e}): {}",
                    shorten(text)
                )))
            }
        },
        Some(other) => {
            return Err(invalid(format!(
                "expected a string holding a JSON object, got {}",
                describe(other)
            )))
        }
    };
    Ok(object)
}

/// An unknown key is an error listing `valid`, the rule's own keys, in order.
fn reject_unknown_keys(object: &Map<String, Value>, valid: &[&str]) -> Result<(), Error> {
    match object.keys().find(|k| !valid.contains(&k.as_str())) {
        None => Ok(()),
        Some(unknown) => Err(Error::InvalidRuleParameter {
            key: unknown.clone(),
            message: format!(
                "unknown key {unknown:?}; valid keys are: {}",
                valid.join(", ")
            ),
        }),
    }
}

/// `max_days_for_last_used`, else the function's `MAX_DAYS_FOR_LAST_USED`, else `default`; each
/// from 1 to `limit`.
fn max_days(
    object: &Map<String, Value>,
    default_max_days: Option<&str>,
    default: u32,
    limit: u32,
) -> Result<u32, Error> {
    match object.get(MAX_DAYS_KEY) {
        Some(value) => parse_max_days(MAX_DAYS_KEY, value, limit),
        None => match default_max_days {
            Some(text) => parse_max_days(MAX_DAYS_ENV, &Value::String(text.to_owned()), limit),
            None => Ok(default),
        },
    }
}

fn exempt_tag_key(
    object: &Map<String, Value>,
    principal: Principal,
) -> Result<Option<String>, Error> {
    let noun = principal.noun();
    Ok(match object.get(EXEMPT_TAG_KEY) {
        None => None,
        Some(value) => {
            let key = string_value(EXEMPT_TAG_KEY, value)?.trim();
            let chars = key.chars().count();
            if chars == 0 || chars > MAX_TAG_KEY_CHARS {
                return Err(Error::InvalidRuleParameter {
                        key: EXEMPT_TAG_KEY.to_owned(),
                        message: format!(
                            "{key:?} is not a tag key: expected 1 to {MAX_TAG_KEY_CHARS} characters (leave the parameter out to exempt no {noun} by tag)"
                        ),
                    });
            }
            Some(key.to_owned())
        }
    })
}

fn service_linked_roles(object: &Map<String, Value>) -> Result<ServiceLinkedRoles, Error> {
    match object.get(SERVICE_LINKED_ROLES_KEY) {
        None => Ok(ServiceLinkedRoles::Exclude),
        Some(value) => one_of(
            SERVICE_LINKED_ROLES_KEY,
            value,
            &[
                ("exclude", ServiceLinkedRoles::Exclude),
                ("evaluate", ServiceLinkedRoles::Evaluate),
            ],
        ),
    }
}

fn identity_center_roles(object: &Map<String, Value>) -> Result<IdentityCenterRoles, Error> {
    match object.get(IDENTITY_CENTER_ROLES_KEY) {
        None => Ok(IdentityCenterRoles::Evaluate),
        Some(value) => one_of(
            IDENTITY_CENTER_ROLES_KEY,
            value,
            &[
                ("evaluate", IdentityCenterRoles::Evaluate),
                ("exclude", IdentityCenterRoles::Exclude),
            ],
        ),
    }
}

fn publish(object: &Map<String, Value>) -> Result<Publish, Error> {
    match object.get(PUBLISH_KEY) {
        None => Ok(Publish::Changes),
        Some(value) => one_of(
            PUBLISH_KEY,
            value,
            &[("changes", Publish::Changes), ("all", Publish::All)],
        ),
    }
}

fn execution_role_name(object: &Map<String, Value>) -> Result<Option<String>, Error> {
    Ok(match object.get(EXECUTION_ROLE_NAME_KEY) {
        None => None,
        Some(value) => {
            let name = string_value(EXECUTION_ROLE_NAME_KEY, value)?.trim();
            let valid_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
            if name.is_empty() || name.chars().count() > 64 || !name.chars().all(valid_char) {
                return Err(Error::InvalidRuleParameter {
                        key: EXECUTION_ROLE_NAME_KEY.to_owned(),
                        message: format!(
                            "{} is not an IAM role name: 1 to 64 characters from A-Z a-z 0-9 + = , . @ _ -",
                            shorten(&format!("{name:?}"))
                        ),
                    });
            }
            Some(name.to_owned())
        }
    })
}

fn string_value<'a>(key: &str, value: &'a Value) -> Result<&'a str, Error> {
    value.as_str().ok_or_else(|| Error::InvalidRuleParameter {
        key: key.to_owned(),
        message: format!("expected a string, got {}", describe(value)),
    })
}

/// One of a fixed set of words (trimmed, exact case); the error lists them in the order given.
fn one_of<T: Copy>(key: &str, value: &Value, choices: &[(&str, T)]) -> Result<T, Error> {
    let text = string_value(key, value)?.trim();
    choices
        .iter()
        .find(|(word, _)| *word == text)
        .map(|(_, choice)| *choice)
        .ok_or_else(|| Error::InvalidRuleParameter {
            key: key.to_owned(),
            message: format!(
                "{} is not one of {}",
                shorten(&format!("{text:?}")),
                choices
                    .iter()
                    .map(|(word, _)| format!("{word:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// Accepts a whole number of days 1..=`limit`, as a JSON number or the string Config passes.
fn parse_max_days(key: &str, value: &Value, limit: u32) -> Result<u32, Error> {
    let range = format!("expected a whole number of days from 1 to {limit}");
    let invalid = |shown: String, why: &str| Error::InvalidRuleParameter {
        key: key.to_owned(),
        message: format!("{shown} {why}; {range}"),
    };
    let (shown, number) = match value {
        Value::String(text) => {
            let shown = format!("{text:?}");
            match text.trim().parse::<i64>() {
                Ok(n) => (shown, n),
                Err(_) => return Err(invalid(shown, "is not a whole number")),
            }
        }
        Value::Number(n) => {
            let shown = n.to_string();
            match n.as_i64() {
                Some(n) => (shown, n),
                None if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                    return Err(invalid(shown, "is out of range"))
                }
                None => return Err(invalid(shown, "is not a whole number")),
            }
        }
        other => return Err(invalid(describe(other), "is not a number")),
    };
    match u32::try_from(number) {
        Ok(days) if (1..=limit).contains(&days) => Ok(days),
        _ => Err(invalid(shown, "is out of range")),
    }
}

/// A value in an error message: its kind and (shortened) text, e.g. `an array [1]`.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        other => format!("{} {}", json_kind(other), shorten(&other.to_string())),
    }
}

pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Quotes input in an error message, cut so a hostile payload cannot flood the logs.
pub(crate) fn shorten(text: &str) -> String {
    const LIMIT: usize = 120;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        format!(
            "{}… ({} characters)",
            text.chars().take(LIMIT).collect::<String>(),
            text.chars().count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str, env: Option<&str>) -> Result<RoleParameters, Error> {
        RoleParameters::from_event_field(Some(&Value::String(json.to_owned())), env)
    }

    /// One row: parameters JSON, env default, and the exact error message.
    fn check_errors(cases: &[(&str, Option<&str>, &str)]) {
        for (json, env, expected) in cases {
            match parse(json, *env) {
                Ok(p) => panic!("{json} (env {env:?}) was accepted: {p:?}"),
                Err(e) => assert_eq!(e.to_string(), *expected, "for {json}"),
            }
        }
    }

    const RANGE: &str = "expected a whole number of days from 1 to 400";

    #[test]
    fn bad_parameters_are_errors_naming_key_and_value() {
        // The README's bad-input table is tests/it/bad_input.rs; these are further forms: JSON
        // numbers, other types, the old key name, the environment default.
        check_errors(&[
            (r#"{"max_days_for_last_used":401}"#, None, &format!("invalid rule parameter max_days_for_last_used: 401 is out of range; {RANGE}")),
            (r#"{"max_days_for_last_used":60.5}"#, None, &format!("invalid rule parameter max_days_for_last_used: 60.5 is not a whole number; {RANGE}")),
            (r#"{"max_days_for_last_used":true}"#, None, &format!("invalid rule parameter max_days_for_last_used: a boolean true is not a number; {RANGE}")),
            ("{}", Some("ninety"), &format!("invalid rule parameter MAX_DAYS_FOR_LAST_USED: \"ninety\" is not a whole number; {RANGE}")),
            ("{}", Some("500"), &format!("invalid rule parameter MAX_DAYS_FOR_LAST_USED: \"500\" is out of range; {RANGE}")),
            (r#"{"role_whitelist":"admin*"}"#, None, "invalid rule parameter role_whitelist: pattern \"admin*\" can never match: patterns are matched against the role's path + name, which starts with '/'; write \"/admin*\" for a role at the root path or \"*/admin*\" for any path"),
            (r#"{"role_allowlist":["/a"]}"#, None, "invalid rule parameter role_allowlist: expected a string, got an array [\"/a\"]"),
            (r#"{"exempt_tag_key":7}"#, None, "invalid rule parameter exempt_tag_key: expected a string, got a number 7"),
            (r#"{"MaxDaysForLastUsed":"60"}"#, None, "invalid rule parameter MaxDaysForLastUsed: unknown key \"MaxDaysForLastUsed\"; valid keys are: max_days_for_last_used, role_allowlist, role_whitelist, exempt_tag_key, service_linked_roles, identity_center_roles, execution_role_name, publish"),
            (r#"{"identity_center_roles":"Exclude"}"#, None, "invalid rule parameter identity_center_roles: \"Exclude\" is not one of \"evaluate\", \"exclude\""),
            (r#"{"identity_center_roles":""}"#, None, "invalid rule parameter identity_center_roles: \"\" is not one of \"evaluate\", \"exclude\""),
            (r#"{"identity_center_roles":false}"#, None, "invalid rule parameter identity_center_roles: expected a string, got a boolean false"),
            (r#"{"service_linked_roles":"evaluate ","identity_center_roles":"skip"}"#, None, "invalid rule parameter identity_center_roles: \"skip\" is not one of \"evaluate\", \"exclude\""),
        ]);
    }

    #[test]
    fn defaults_and_accepted_forms() {
        let none = RoleParameters::from_event_field(None, None).unwrap();
        assert_eq!(
            (
                none.max_days,
                none.allowlist.is_empty(),
                none.exempt_tag_key,
                none.service_linked_roles,
                none.identity_center_roles
            ),
            (
                60,
                true,
                None,
                ServiceLinkedRoles::Exclude,
                IdentityCenterRoles::Evaluate
            )
        );
        for (json, mode) in [
            (
                r#"{"identity_center_roles":"exclude"}"#,
                IdentityCenterRoles::Exclude,
            ),
            (
                r#"{"identity_center_roles":" evaluate "}"#,
                IdentityCenterRoles::Evaluate,
            ),
            ("{}", IdentityCenterRoles::Evaluate),
        ] {
            assert_eq!(
                parse(json, None).unwrap().identity_center_roles,
                mode,
                "{json}"
            );
        }
        let null = RoleParameters::from_event_field(Some(&Value::Null), Some("90")).unwrap();
        assert_eq!(
            null.max_days, 90,
            "the environment default applies when the key is absent"
        );
        for (json, env, days) in [
            (r#"{"max_days_for_last_used":"1"}"#, None, 1),
            (r#"{"max_days_for_last_used":" 400 "}"#, None, 400),
            (r#"{"max_days_for_last_used":30}"#, Some("90"), 30),
            ("{}", Some("90"), 90),
        ] {
            assert_eq!(parse(json, env).unwrap().max_days, days, "{json}");
        }
        let p = parse(r#"{"role_allowlist":" /a | | /b* ||","exempt_tag_key":" keep ","service_linked_roles":"evaluate"}"#, None).unwrap();
        assert_eq!(
            p.allowlist.patterns().collect::<Vec<_>>(),
            ["/a", "/b*"],
            "trimmed, empty segments ignored"
        );
        assert_eq!(p.exempt_tag_key.as_deref(), Some("keep"));
        assert_eq!(p.service_linked_roles, ServiceLinkedRoles::Evaluate);
        assert!(parse(r#"{"role_allowlist":""}"#, None)
            .unwrap()
            .allowlist
            .is_empty());
    }

    fn parse_user(json: &str, env: Option<&str>) -> Result<UserParameters, Error> {
        UserParameters::from_event_field(Some(&Value::String(json.to_owned())), env)
    }

    #[test]
    fn bad_user_parameters_are_errors_naming_key_and_value() {
        const USER_RANGE: &str = "expected a whole number of days from 1 to 3650";
        for (json, env, expected) in [
            (r#"{"max_days_for_last_used":0}"#, None, format!("invalid rule parameter max_days_for_last_used: 0 is out of range; {USER_RANGE}")),
            (r#"{"max_days_for_last_used":"3651"}"#, None, format!("invalid rule parameter max_days_for_last_used: \"3651\" is out of range; {USER_RANGE}")),
            (r#"{"max_days_for_last_used":45.5}"#, None, format!("invalid rule parameter max_days_for_last_used: 45.5 is not a whole number; {USER_RANGE}")),
            ("{}", Some("3651"), format!("invalid rule parameter MAX_DAYS_FOR_LAST_USED: \"3651\" is out of range; {USER_RANGE}")),
            ("{}", Some("often"), format!("invalid rule parameter MAX_DAYS_FOR_LAST_USED: \"often\" is not a whole number; {USER_RANGE}")),
            (r#"{"user_allowlist":"alice"}"#, None, "invalid rule parameter user_allowlist: pattern \"alice\" can never match: patterns are matched against the user's path + name, which starts with '/'; write \"/alice\" for a user at the root path or \"*/alice\" for any path".to_owned()),
            (r#"{"user_allowlist":"/[a"}"#, None, "invalid rule parameter user_allowlist: pattern \"/[a\" is not a valid glob: invalid range pattern".to_owned()),
            (r#"{"user_allowlist":7}"#, None, "invalid rule parameter user_allowlist: expected a string, got a number 7".to_owned()),
            (r#"{"exempt_tag_key":" "}"#, None, "invalid rule parameter exempt_tag_key: \"\" is not a tag key: expected 1 to 128 characters (leave the parameter out to exempt no user by tag)".to_owned()),
            (r#"{"execution_role_name":"a b"}"#, None, "invalid rule parameter execution_role_name: \"a b\" is not an IAM role name: 1 to 64 characters from A-Z a-z 0-9 + = , . @ _ -".to_owned()),
            // The roles rule's own keys are unknown to the users rule.
            (r#"{"role_allowlist":"/a"}"#, None, "invalid rule parameter role_allowlist: unknown key \"role_allowlist\"; valid keys are: max_days_for_last_used, user_allowlist, exempt_tag_key, execution_role_name, publish".to_owned()),
            (r#"{"service_linked_roles":"evaluate"}"#, None, "invalid rule parameter service_linked_roles: unknown key \"service_linked_roles\"; valid keys are: max_days_for_last_used, user_allowlist, exempt_tag_key, execution_role_name, publish".to_owned()),
            ("[1]", None, "invalid event: ruleParameters: expected a JSON object, got an array [1]".to_owned()),
        ] {
            match parse_user(json, env) {
                Ok(p) => panic!("{json} (env {env:?}) was accepted: {p:?}"),
                Err(e) => assert_eq!(e.to_string(), expected, "for {json}"),
            }
        }
    }

    #[test]
    fn user_parameters_default_to_the_cis_45_days_and_accept_up_to_3650() {
        let none = UserParameters::from_event_field(None, None).unwrap();
        assert_eq!(
            (
                none.max_days,
                none.allowlist.is_empty(),
                none.exempt_tag_key,
                none.execution_role_name
            ),
            (45, true, None, None)
        );
        for (json, env, days) in [
            ("{}", None, 45),
            (r#"{"max_days_for_last_used":"1"}"#, None, 1),
            (r#"{"max_days_for_last_used":3650}"#, None, 3650),
            (r#"{"max_days_for_last_used":" 401 "}"#, None, 401),
            (r#"{"max_days_for_last_used":30}"#, Some("90"), 30),
            ("{}", Some("1000"), 1000),
        ] {
            assert_eq!(
                parse_user(json, env).unwrap().max_days,
                days,
                "{json} env {env:?}"
            );
        }
        let p = parse_user(
            r#"{"user_allowlist":" /ci-* | |*/break-glass ","exempt_tag_key":" keep ","execution_role_name":"ConfigAudit"}"#,
            None,
        )
        .unwrap();
        assert_eq!(
            p.allowlist.patterns().collect::<Vec<_>>(),
            ["/ci-*", "*/break-glass"]
        );
        assert_eq!(p.exempt_tag_key.as_deref(), Some("keep"));
        assert_eq!(Parameters::execution_role_name(&p), Some("ConfigAudit"));
    }

    fn parse_permissions(json: &str) -> Result<PermissionParameters, Error> {
        PermissionParameters::from_event_field(Some(&Value::String(json.to_owned())), None)
    }

    #[test]
    fn permission_parameters_default_to_90_days_and_a_weekly_refresh() {
        let none = PermissionParameters::from_event_field(None, Some("30")).unwrap();
        assert_eq!(
            (
                none.max_days,
                none.refresh_after_days,
                none.publish,
                none.service_linked_roles,
                none.identity_center_roles
            ),
            (
                90,
                7,
                Publish::Changes,
                ServiceLinkedRoles::Exclude,
                IdentityCenterRoles::Evaluate
            ),
            "the other rules' MAX_DAYS_FOR_LAST_USED is not this rule's threshold"
        );
        let p = parse_permissions(
            r#"{"max_days_for_service":"400","refresh_after_days":1,"role_allowlist":"/ci-*","user_allowlist":"*/break-glass","exempt_tag_key":"keep","service_linked_roles":"evaluate","identity_center_roles":"exclude","publish":"all"}"#,
        )
        .unwrap();
        assert_eq!((p.max_days, p.refresh_after_days), (400, 1));
        assert_eq!(p.role_allowlist.patterns().collect::<Vec<_>>(), ["/ci-*"]);
        assert_eq!(
            p.user_allowlist.patterns().collect::<Vec<_>>(),
            ["*/break-glass"]
        );
        assert_eq!(
            (p.service_linked_roles, p.identity_center_roles, p.publish),
            (
                ServiceLinkedRoles::Evaluate,
                IdentityCenterRoles::Exclude,
                Publish::All
            )
        );
        assert_eq!(Parameters::execution_role_name(&p), None);
    }

    #[test]
    fn bad_permission_parameters_are_errors_naming_key_and_value() {
        for (json, expected) in [
            (r#"{"max_days_for_service":401}"#, "invalid rule parameter max_days_for_service: 401 is out of range; expected a whole number of days from 1 to 400"),
            (r#"{"max_days_for_service":"0"}"#, "invalid rule parameter max_days_for_service: \"0\" is out of range; expected a whole number of days from 1 to 400"),
            (r#"{"refresh_after_days":91}"#, "invalid rule parameter refresh_after_days: 91 is out of range; expected a whole number of days from 1 to 90"),
            (r#"{"refresh_after_days":"weekly"}"#, "invalid rule parameter refresh_after_days: \"weekly\" is not a whole number; expected a whole number of days from 1 to 90"),
            (r#"{"user_allowlist":"bob"}"#, "invalid rule parameter user_allowlist: pattern \"bob\" can never match: patterns are matched against the user's path + name, which starts with '/'; write \"/bob\" for a user at the root path or \"*/bob\" for any path"),
            (r#"{"publish":"some"}"#, "invalid rule parameter publish: \"some\" is not one of \"changes\", \"all\""),
            // The other rules' threshold is not this rule's.
            (r#"{"max_days_for_last_used":90}"#, "invalid rule parameter max_days_for_last_used: unknown key \"max_days_for_last_used\"; valid keys are: max_days_for_service, role_allowlist, user_allowlist, exempt_tag_key, service_linked_roles, identity_center_roles, publish, refresh_after_days"),
            // Not run across accounts yet: no member role grants the report actions.
            (r#"{"execution_role_name":"ConfigAudit"}"#, "invalid rule parameter execution_role_name: unknown key \"execution_role_name\"; valid keys are: max_days_for_service, role_allowlist, user_allowlist, exempt_tag_key, service_linked_roles, identity_center_roles, publish, refresh_after_days"),
        ] {
            match parse_permissions(json) {
                Ok(p) => panic!("{json} was accepted: {p:?}"),
                Err(e) => assert_eq!(e.to_string(), expected, "for {json}"),
            }
        }
    }

    #[test]
    fn role_messages_keep_their_wording() {
        check_errors(&[
            (r#"{"exempt_tag_key":""}"#, None, "invalid rule parameter exempt_tag_key: \"\" is not a tag key: expected 1 to 128 characters (leave the parameter out to exempt no role by tag)"),
            (r#"{"role_allowlist":"x"}"#, None, "invalid rule parameter role_allowlist: pattern \"x\" can never match: patterns are matched against the role's path + name, which starts with '/'; write \"/x\" for a role at the root path or \"*/x\" for any path"),
            (r#"{"max_days_for_last_used":"401"}"#, None, &format!("invalid rule parameter max_days_for_last_used: \"401\" is out of range; {RANGE}")),
        ]);
    }
}
