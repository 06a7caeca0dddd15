//! What a principal's identity policies allow, summed up as the fact a security team ranks
//! unused access by: administrator, can change IAM, or neither. Pure: the policy documents IAM
//! returns (JSON, already URL-decoded) and the ARNs of the attached managed policies in, a
//! summary out.
//!
//! Decisions where IAM's own evaluation is richer than a summary needs:
//! - Conditions are ignored on Allow statements (a conditional grant is still a grant to review)
//!   and a Deny with a Condition cancels nothing: the summary errs towards more privilege.
//! - A Deny cancels a grant only when it names every resource (`*`) and matches the action.
//! - Administrator: an Allow of every action (`*`, `*:*`, or a `NotAction` list) on every
//!   resource, or the AWS managed policy AdministratorAccess. A Deny of `*` on `*` cancels it.
//! - Can change IAM: an Allow, on any resource, of one of [`IAM_CHANGING_ACTIONS`] that no Deny
//!   cancels, or the AWS managed policy IAMFullAccess.

use serde_json::Value;

/// The AWS managed policy that grants every action on every resource.
pub const ADMINISTRATOR_ACCESS_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// The AWS managed policy that grants every IAM action.
pub const IAM_FULL_ACCESS_ARN: &str = "arn:aws:iam::aws:policy/IAMFullAccess";

/// Actions that let a principal change what it or others may do (the privilege-escalation
/// actions Prowler, Cloudsplaining and Parliament flag).
pub const IAM_CHANGING_ACTIONS: &[&str] = &[
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PassRole",
    "iam:PutGroupPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
];

/// The summary, most privileged first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Privilege {
    Admin(Grant),
    ChangesIam(Grant),
    Neither,
}

/// Which policy granted it, and the action (or pattern) that did.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub policy: String,
    pub action: String,
}

impl Privilege {
    /// The word annotations start with: `ADMIN`, `IAM-WRITE`, or none.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            Self::Admin(_) => Some("ADMIN"),
            Self::ChangesIam(_) => Some("IAM-WRITE"),
            Self::Neither => None,
        }
    }
}

/// One policy document, named for messages (the policy's name or ARN).
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub policy: &'a str,
    pub json: &'a str,
}

/// A document that is not an IAM policy the summary can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    pub policy: String,
    pub message: String,
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "policy {}: {}", self.policy, self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// One statement, reduced to what the summary reads.
#[derive(Debug)]
struct Statement<'a> {
    policy: &'a str,
    effect: Effect,
    /// `Action` patterns; for `NotAction`, the patterns excluded.
    actions: Vec<String>,
    not_action: bool,
    every_resource: bool,
    conditional: bool,
}

impl Statement<'_> {
    fn allows(&self, action: &str) -> bool {
        let named = self.actions.iter().any(|p| matches(p, action));
        named != self.not_action
    }

    fn allows_everything(&self) -> bool {
        self.every_resource
            && (self.not_action || self.actions.iter().any(|p| p == "*" || p == "*:*"))
    }

    fn cancels(&self, action: &str) -> bool {
        self.effect == Effect::Deny
            && !self.conditional
            && self.every_resource
            && self.allows(action)
    }
}

/// Sums up what `documents` (inline and customer managed policies) and the managed policies
/// attached by ARN allow.
pub fn summarize(
    attached_managed: &[&str],
    documents: &[Document<'_>],
) -> Result<Privilege, PolicyProblem> {
    let mut statements = Vec::new();
    for document in documents {
        statements.extend(parse(document)?);
    }
    let (allows, denies): (Vec<&Statement>, Vec<&Statement>) =
        statements.iter().partition(|s| s.effect == Effect::Allow);
    let denied_everything = denies.iter().any(|d| !d.not_action && d.cancels("*:*"));

    if !denied_everything {
        if attached_managed.contains(&ADMINISTRATOR_ACCESS_ARN) {
            return Ok(Privilege::Admin(grant("AdministratorAccess", "*")));
        }
        if let Some(s) = allows.iter().find(|s| s.allows_everything()) {
            return Ok(Privilege::Admin(grant(s.policy, &shown(s))));
        }
    }
    let cancelled = |action: &str| denies.iter().any(|d| d.cancels(action));
    if attached_managed.contains(&IAM_FULL_ACCESS_ARN)
        && IAM_CHANGING_ACTIONS.iter().any(|a| !cancelled(a))
    {
        return Ok(Privilege::ChangesIam(grant("IAMFullAccess", "iam:*")));
    }
    for action in IAM_CHANGING_ACTIONS {
        if cancelled(action) {
            continue;
        }
        if let Some(s) = allows.iter().find(|s| s.allows(action)) {
            return Ok(Privilege::ChangesIam(grant(s.policy, action)));
        }
    }
    Ok(Privilege::Neither)
}

fn grant(policy: &str, action: &str) -> Grant {
    Grant {
        policy: policy.to_owned(),
        action: action.to_owned(),
    }
}

fn shown(statement: &Statement<'_>) -> String {
    if statement.not_action {
        format!("NotAction {}", statement.actions.join(","))
    } else {
        "*".to_owned()
    }
}

fn parse<'a>(document: &Document<'a>) -> Result<Vec<Statement<'a>>, PolicyProblem> {
    let problem = |message: String| PolicyProblem {
        policy: document.policy.to_owned(),
        message,
    };
    let value: Value = serde_json::from_str(document.json)
        .map_err(|e| problem(format!("is not valid JSON ({e})")))?;
    let statements = match value.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(item @ Value::Object(_)) => vec![item],
        Some(other) => {
            return Err(problem(format!(
                "Statement is {other}, not a list or an object"
            )))
        }
        None => return Err(problem("has no Statement".to_owned())),
    };
    statements
        .into_iter()
        .enumerate()
        .map(|(n, s)| {
            statement(document.policy, s).map_err(|m| problem(format!("statement {}: {m}", n + 1)))
        })
        .collect()
}

fn statement<'a>(policy: &'a str, value: &Value) -> Result<Statement<'a>, String> {
    let effect = match value.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => {
            return Err(format!(
                "Effect {other:?} is neither \"Allow\" nor \"Deny\""
            ))
        }
        None => return Err("has no Effect".to_owned()),
    };
    let (actions, not_action) = match (value.get("Action"), value.get("NotAction")) {
        (Some(a), None) => (strings("Action", a)?, false),
        (None, Some(a)) => (strings("NotAction", a)?, true),
        (Some(_), Some(_)) => return Err("has both Action and NotAction".to_owned()),
        (None, None) => return Err("has neither Action nor NotAction".to_owned()),
    };
    let every_resource = match value.get("Resource") {
        Some(r) => strings("Resource", r)?.iter().any(|r| r == "*"),
        None => false,
    };
    Ok(Statement {
        policy,
        effect,
        actions,
        not_action,
        every_resource,
        conditional: value.get("Condition").is_some(),
    })
}

fn strings(field: &str, value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{field} holds {i}, not a string"))
            })
            .collect(),
        other => Err(format!(
            "{field} is {other}, not a string or a list of strings"
        )),
    }
}

/// IAM's action matching: case-insensitive, `*` any run of characters, `?` any one.
fn matches(pattern: &str, action: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let action: Vec<char> = action.to_ascii_lowercase().chars().collect();
    let (mut p, mut a) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while a < action.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, a));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '?' || pattern[p] == action[a]) {
            p += 1;
            a += 1;
        } else if let Some((sp, sa)) = star {
            p = sp + 1;
            a = sa + 1;
            star = Some((sp, sa + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Vec<Document<'_>> {
        vec![Document {
            policy: "inline-1",
            json,
        }]
    }

    fn allow(action: &str, resource: &str) -> String {
        format!(r#"{{"Effect":"Allow","Action":{action},"Resource":{resource}}}"#)
    }

    fn policy(statements: &[String]) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        )
    }

    fn admin(policy: &str, action: &str) -> Privilege {
        Privilege::Admin(grant(policy, action))
    }

    fn iam(policy: &str, action: &str) -> Privilege {
        Privilege::ChangesIam(grant(policy, action))
    }

    #[test]
    fn each_kind_of_grant_and_what_cancels_it() {
        let deny_all = r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#.to_owned();
        let deny_iam = r#"{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#.to_owned();
        let deny_but_s3 = r#"{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}"#.to_owned();
        let cases: Vec<(&str, String, Privilege)> = vec![
            ("* on *", policy(&[allow(r#""*""#, r#""*""#)]), admin("inline-1", "*")),
            ("*:* on *, in a list", policy(&[allow(r#"["*:*"]"#, r#"["*"]"#)]), admin("inline-1", "*")),
            ("a single statement object", format!(r#"{{"Statement":{}}}"#, allow(r#""*""#, r#""*""#)), admin("inline-1", "*")),
            ("* on one bucket is no administrator", policy(&[allow(r#""*""#, r#""arn:aws:s3:::b""#)]), iam("inline-1", "iam:AddUserToGroup")),
            ("NotAction on *: everything but S3", policy(&[r#"{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}"#.to_owned()]), admin("inline-1", "NotAction s3:*")),
            ("NotAction iam:* on one resource grants no IAM change", policy(&[r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::b"}"#.to_owned()]), Privilege::Neither),
            ("iam:* on one role", policy(&[allow(r#""iam:*""#, r#""arn:aws:iam::1:role/x""#)]), iam("inline-1", "iam:AddUserToGroup")),
            ("iam:Put*Policy", policy(&[allow(r#""iam:Put*Policy""#, r#""*""#)]), iam("inline-1", "iam:PutGroupPolicy")),
            ("iam:passrole in lower case", policy(&[allow(r#""iam:passrole""#, r#""*""#)]), iam("inline-1", "iam:PassRole")),
            ("iam:Get* reads, changes nothing", policy(&[allow(r#"["iam:Get*","iam:List*"]"#, r#""*""#)]), Privilege::Neither),
            ("s3:Get* on *", policy(&[allow(r#""s3:Get*""#, r#""*""#)]), Privilege::Neither),
            ("iam:Create? matches no longer name", policy(&[allow(r#""iam:Create?""#, r#""*""#)]), Privilege::Neither),
            ("a Deny of * on * cancels an administrator", policy(&[allow(r#""*""#, r#""*""#), deny_all.clone()]), Privilege::Neither),
            ("a Deny of iam:* leaves an administrator one (conservative)", policy(&[allow(r#""*""#, r#""*""#), deny_iam.clone()]), admin("inline-1", "*")),
            ("a Deny of iam:* cancels iam:PassRole", policy(&[allow(r#""iam:PassRole""#, r#""*""#), deny_iam.clone()]), Privilege::Neither),
            ("a conditional Deny cancels nothing", policy(&[allow(r#""iam:PassRole""#, r#""*""#), r#"{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}"#.to_owned()]), iam("inline-1", "iam:PassRole")),
            ("a Deny on one resource cancels nothing", policy(&[allow(r#""iam:PassRole""#, r#""*""#), r#"{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::1:role/x"}"#.to_owned()]), iam("inline-1", "iam:PassRole")),
            ("a conditional Allow still counts", policy(&[r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#.to_owned()]), admin("inline-1", "*")),
            ("a Deny without an Allow grants nothing", policy(&[deny_all]), Privilege::Neither),
            ("a Deny of all but S3 cancels iam:PassRole", policy(&[allow(r#""iam:PassRole""#, r#""*""#), deny_but_s3.clone()]), Privilege::Neither),
            ("a Deny of all but S3 leaves an administrator one (conservative)", policy(&[allow(r#""*""#, r#""*""#), deny_but_s3]), admin("inline-1", "*")),
        ];
        for (what, json, want) in cases {
            assert_eq!(summarize(&[], &doc(&json)), Ok(want), "{what}: {json}");
        }
    }

    #[test]
    fn aws_managed_policies_count_by_arn() {
        assert_eq!(
            summarize(&[ADMINISTRATOR_ACCESS_ARN], &[]),
            Ok(admin("AdministratorAccess", "*"))
        );
        assert_eq!(
            summarize(&[IAM_FULL_ACCESS_ARN], &[]),
            Ok(iam("IAMFullAccess", "iam:*"))
        );
        assert_eq!(
            summarize(&["arn:aws:iam::aws:policy/ReadOnlyAccess"], &[]),
            Ok(Privilege::Neither)
        );
        let deny_all = policy(&[r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#.to_owned()]);
        assert_eq!(
            summarize(
                &[ADMINISTRATOR_ACCESS_ARN, IAM_FULL_ACCESS_ARN],
                &doc(&deny_all)
            ),
            Ok(Privilege::Neither),
            "a Deny of everything cancels both"
        );
    }

    #[test]
    fn the_first_policy_that_grants_is_named() {
        let reads = policy(&[allow(r#""s3:*""#, r#""*""#)]);
        let passes = policy(&[allow(r#""iam:PassRole""#, r#""*""#)]);
        let documents = [
            Document {
                policy: "reads",
                json: &reads,
            },
            Document {
                policy: "passes",
                json: &passes,
            },
        ];
        assert_eq!(
            summarize(&[], &documents),
            Ok(iam("passes", "iam:PassRole"))
        );
        assert_eq!(Privilege::Neither.label(), None);
        assert!(
            admin("a", "*") < iam("a", "iam:PassRole"),
            "most privileged first"
        );
    }

    #[test]
    fn a_document_that_is_no_policy_is_an_error_naming_it() {
        let cases = [
            ("{", "policy inline-1: is not valid JSON (EOF while parsing an object at line 1 column 1)"),
            (r#"{"Version":"2012-10-17"}"#, "policy inline-1: has no Statement"),
            (r#"{"Statement":"x"}"#, "policy inline-1: Statement is \"x\", not a list or an object"),
            (r#"{"Statement":[{"Action":"*","Resource":"*"}]}"#, "policy inline-1: statement 1: has no Effect"),
            (r#"{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}"#, "policy inline-1: statement 1: Effect \"allow\" is neither \"Allow\" nor \"Deny\""),
            (r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#, "policy inline-1: statement 1: has neither Action nor NotAction"),
            (r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}"#, "policy inline-1: statement 1: has both Action and NotAction"),
            (r#"{"Statement":[{"Effect":"Allow","Action":["s3:*",7],"Resource":"*"}]}"#, "policy inline-1: statement 1: Action holds 7, not a string"),
        ];
        for (json, message) in cases {
            let error = summarize(&[], &doc(json)).unwrap_err();
            assert_eq!(error.to_string(), message, "{json}");
        }
    }

    #[test]
    fn wildcards_match_as_iam_matches_actions() {
        for (pattern, action, want) in [
            ("*", "iam:PassRole", true),
            ("iam:*", "IAM:PASSROLE", true),
            ("iam:Pass*", "iam:PassRole", true),
            ("iam:*Role", "iam:PassRole", true),
            ("iam:P?ssRole", "iam:PassRole", true),
            ("iam:Put*Policy", "iam:PutRolePolicy", true),
            ("iam:Put*Policy", "iam:PutRolePermissionsBoundary", false),
            ("iam:PassRol", "iam:PassRole", false),
            ("s3:*", "iam:PassRole", false),
            ("*:*", "iam:PassRole", true),
            ("*", "*:*", true),
            ("iam:*", "*:*", false),
        ] {
            assert_eq!(matches(pattern, action), want, "{pattern} ~ {action}");
        }
    }
}
