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
//! - AWS managed policies other than those two count for nothing: their documents are not in
//!   the account's own policies, which is all GetAccountAuthorizationDetails returns, and the
//!   rules read nothing more. A role whose only grant is, say, `PowerUserAccess` shows no label.
//! - A document that cannot be read fails nothing: the others decide, and where they grant
//!   neither the privilege is [`Privilege::Unknown`], shown as no label and counted.
//!
//! A principal's policies arrive from several places (its own inline policies, the managed
//! policies it attaches, its groups' policies), not in one piece: [`Facts`] sums up each part
//! and merges them.

use std::borrow::Cow;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// The AWS managed policy that grants every action on every resource.
pub const ADMINISTRATOR_ACCESS_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// The AWS managed policy that grants every IAM action.
pub const IAM_FULL_ACCESS_ARN: &str = "arn:aws:iam::aws:policy/IAMFullAccess";

/// An ARN of another partition (`arn:aws-us-gov:`, `arn:aws-cn:`) as in the `aws` one, so an
/// AWS managed policy is known by name in every partition; None for a text that is no ARN.
fn in_aws_partition(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:")?;
    let (_, after) = rest.split_once(':')?;
    Some(format!("arn:aws:{after}"))
}

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
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Privilege {
    Admin(Grant),
    ChangesIam(Grant),
    /// A document could not be read and the others grant neither: it might have. Shown as no
    /// label, counted by the rules' summaries.
    Unknown(PolicyProblem),
    #[default]
    Neither,
}

/// Which policy granted it, and the action (or pattern) that did.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub policy: String,
    pub action: String,
}

/// The privilege an annotation states at its front, most privileged first: what
/// `role-audit report` filters and sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Admin,
    IamWrite,
}

impl Level {
    /// The word annotations start with.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "ADMIN",
            Self::IamWrite => "IAM-WRITE",
        }
    }

    fn of_label(label: &str) -> Option<Self> {
        [Self::Admin, Self::IamWrite]
            .into_iter()
            .find(|level| level.label() == label)
    }
}

impl Privilege {
    /// The level shown in annotations: none for neither, and none when unknown.
    pub fn level(&self) -> Option<Level> {
        match self {
            Self::Admin(_) => Some(Level::Admin),
            Self::ChangesIam(_) => Some(Level::IamWrite),
            Self::Unknown(_) | Self::Neither => None,
        }
    }

    /// The word annotations start with: `ADMIN`, `IAM-WRITE`, or none.
    pub fn label(&self) -> Option<&'static str> {
        self.level().map(Level::label)
    }
}

/// `text` (an annotation starting with the principal's name) with the privilege's label in
/// front: `ADMIN: app-deployer: last used ...`; `text` as it is when there is no label. Every
/// rule labels its NON_COMPLIANT findings with this, and [`split_label`] reads it back.
pub fn with_label(privilege: &Privilege, text: &str) -> String {
    match privilege.label() {
        Some(label) => format!("{label}: {text}"),
        None => text.to_owned(),
    }
}

/// The label [`with_label`] put in front of an annotation, and the annotation after it.
/// A label is only a label when a principal's name follows it (`ADMIN: name: ...`): IAM
/// names hold neither spaces nor `:`, and every verdict starts with words, so a role named
/// `ADMIN` without a label (`ADMIN: last used ...`) is not read as one.
pub fn split_label(annotation: &str) -> (Option<Level>, &str) {
    let Some((front, rest)) = annotation.split_once(": ") else {
        return (None, annotation);
    };
    let Some(level) = Level::of_label(front) else {
        return (None, annotation);
    };
    match rest.split_once(": ") {
        Some((name, _)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
            (Some(level), rest)
        }
        _ => (None, annotation),
    }
}

/// One policy document, named for messages (the policy's name or ARN).
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub policy: &'a str,
    pub json: &'a str,
}

/// A document that is not an IAM policy the summary can read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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
    actions: Vec<Cow<'a, str>>,
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

/// A set of [`IAM_CHANGING_ACTIONS`], bit `i` for the `i`-th.
type ActionSet = u32;
const _: () = assert!(IAM_CHANGING_ACTIONS.len() <= ActionSet::BITS as usize);

fn action_set(mut test: impl FnMut(&str) -> bool) -> ActionSet {
    IAM_CHANGING_ACTIONS
        .iter()
        .enumerate()
        .filter(|(_, action)| test(action))
        .fold(0, |set, (i, _)| set | 1 << i)
}

/// What some policies say, reduced to what [`Facts::privilege`] decides from: small (a few
/// words and the names of the policies that grant), and mergeable, so a principal's summary
/// can be built from its own policies and, later, from the managed policies and groups it
/// names. [`Facts::merge`] is a union: the same facts in any grouping give the same privilege,
/// and the first policy merged is the one named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The AWS managed policy AdministratorAccess is attached.
    administrator_access: bool,
    /// The AWS managed policy IAMFullAccess is attached.
    iam_full_access: bool,
    /// The first Allow of every action on every resource.
    allows_everything: Option<Grant>,
    /// An unconditional Deny of every action on every resource.
    denies_everything: bool,
    /// IAM-changing actions Allowed, each set with the policy that allowed it; only entries
    /// that add an action are kept, so there are at most as many as actions.
    allowed: Vec<(ActionSet, String)>,
    /// IAM-changing actions an unconditional Deny on every resource cancels.
    denied: ActionSet,
    /// The first document that could not be read, and how many could not.
    unreadable: Option<PolicyProblem>,
    unreadable_count: usize,
}

impl Facts {
    /// The facts of one document; one that cannot be read is recorded as such, not an error.
    pub fn of_document(document: &Document<'_>) -> Self {
        match parse(document) {
            Ok(statements) => Self::of_statements(&statements),
            Err(problem) => Self {
                unreadable: Some(problem),
                unreadable_count: 1,
                ..Self::default()
            },
        }
    }

    /// The facts of an attached managed policy known by its ARN (AdministratorAccess,
    /// IAMFullAccess); None for any other ARN, whose document must be read to know.
    pub fn of_known_managed(arn: &str) -> Option<Self> {
        match in_aws_partition(arn).as_deref() {
            Some(ADMINISTRATOR_ACCESS_ARN) => Some(Self {
                administrator_access: true,
                ..Self::default()
            }),
            Some(IAM_FULL_ACCESS_ARN) => Some(Self {
                iam_full_access: true,
                ..Self::default()
            }),
            _ => None,
        }
    }

    fn of_statements(statements: &[Statement<'_>]) -> Self {
        let mut facts = Self::default();
        for s in statements {
            match s.effect {
                Effect::Allow => {
                    if facts.allows_everything.is_none() && s.allows_everything() {
                        facts.allows_everything = Some(grant(s.policy, &shown(s)));
                    }
                    facts.add_allowed(action_set(|a| s.allows(a)), s.policy);
                }
                Effect::Deny => {
                    facts.denies_everything |= !s.not_action && s.cancels("*:*");
                    facts.denied |= action_set(|a| s.cancels(a));
                }
            }
        }
        facts
    }

    fn add_allowed(&mut self, actions: ActionSet, policy: &str) {
        let known = self.allowed.iter().fold(0, |set, (s, _)| set | s);
        if actions & !known != 0 {
            self.allowed.push((actions, policy.to_owned()));
        }
    }

    /// Adds `other`'s facts to these.
    pub fn merge(&mut self, other: &Facts) {
        self.administrator_access |= other.administrator_access;
        self.iam_full_access |= other.iam_full_access;
        if self.allows_everything.is_none() {
            self.allows_everything.clone_from(&other.allows_everything);
        }
        self.denies_everything |= other.denies_everything;
        for (actions, policy) in &other.allowed {
            self.add_allowed(*actions, policy);
        }
        self.denied |= other.denied;
        if self.unreadable.is_none() {
            self.unreadable.clone_from(&other.unreadable);
        }
        self.unreadable_count += other.unreadable_count;
    }

    /// How many of the documents merged could not be read.
    pub fn unreadable_count(&self) -> usize {
        self.unreadable_count
    }

    /// The summary. An unreadable document could only hold a Deny that cancels a grant the
    /// others make (the summary then errs towards more privilege, as it does for conditions),
    /// or a grant: so the privilege is [`Privilege::Unknown`] only where the others grant
    /// neither.
    pub fn privilege(&self) -> Privilege {
        if !self.denies_everything {
            if self.administrator_access {
                return Privilege::Admin(grant("AdministratorAccess", "*"));
            }
            if let Some(grant) = &self.allows_everything {
                return Privilege::Admin(grant.clone());
            }
        }
        let all = action_set(|_| true);
        if self.iam_full_access && all & !self.denied != 0 {
            return Privilege::ChangesIam(grant("IAMFullAccess", "iam:*"));
        }
        for (i, action) in IAM_CHANGING_ACTIONS.iter().enumerate() {
            let bit = 1 << i;
            if self.denied & bit != 0 {
                continue;
            }
            if let Some((_, policy)) = self.allowed.iter().find(|(set, _)| set & bit != 0) {
                return Privilege::ChangesIam(grant(policy, action));
            }
        }
        match &self.unreadable {
            Some(problem) => Privilege::Unknown(problem.clone()),
            None => Privilege::Neither,
        }
    }
}

/// Sums up what `documents` (inline and customer managed policies) and the managed policies
/// attached by ARN allow; the first document that cannot be read is an error.
pub fn summarize(
    attached_managed: &[&str],
    documents: &[Document<'_>],
) -> Result<Privilege, PolicyProblem> {
    let mut facts = Facts::default();
    for document in documents {
        let one = Facts::of_document(document);
        if let Some(problem) = one.unreadable {
            return Err(problem);
        }
        facts.merge(&one);
    }
    for arn in attached_managed {
        if let Some(known) = Facts::of_known_managed(arn) {
            facts.merge(&known);
        }
    }
    Ok(facts.privilege())
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

/// The statements of a document. Most documents are valid, and the account's thousands of them
/// are read on every run: they are read straight into [`Statement`]s, borrowing the text; only
/// a document that does not read so is parsed again as a JSON value, to say what is wrong.
fn parse<'a>(document: &Document<'a>) -> Result<Vec<Statement<'a>>, PolicyProblem> {
    match fast::statements(document) {
        Some(statements) => Ok(statements),
        None => parse_value(document),
    }
}

/// The fast reading: None where the document is anything but a readable policy.
mod fast {
    use super::*;

    #[derive(Deserialize)]
    struct RawDocument<'a> {
        #[serde(rename = "Statement", borrow)]
        statement: OneOrMany<RawStatement<'a>>,
    }

    #[derive(Deserialize)]
    struct RawStatement<'a> {
        #[serde(rename = "Effect", borrow)]
        effect: Cow<'a, str>,
        #[serde(rename = "Action", borrow, default)]
        action: Option<Strings<'a>>,
        #[serde(rename = "NotAction", borrow, default)]
        not_action: Option<Strings<'a>>,
        #[serde(rename = "Resource", borrow, default)]
        resource: Option<Strings<'a>>,
        /// Present at all, `null` included, as the JSON value reading counts it.
        #[serde(rename = "Condition", default, deserialize_with = "present")]
        condition: bool,
    }

    fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| true)
    }

    /// A statement or a list of them.
    struct OneOrMany<T>(Vec<T>);

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Items<T>(std::marker::PhantomData<T>);
            impl<'de, T: Deserialize<'de>> Visitor<'de> for Items<T> {
                type Value = OneOrMany<T>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a statement or a list of statements")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element()? {
                        items.push(item);
                    }
                    Ok(OneOrMany(items))
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                    T::deserialize(de::value::MapAccessDeserializer::new(map))
                        .map(|item| OneOrMany(vec![item]))
                }
            }
            deserializer.deserialize_any(Items(std::marker::PhantomData))
        }
    }

    /// A string or a list of strings, borrowed where the text has no escapes.
    struct Strings<'a>(Vec<Cow<'a, str>>);

    impl<'de: 'a, 'a> Deserialize<'de> for Strings<'a> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Texts;
            impl<'de> Visitor<'de> for Texts {
                type Value = Strings<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a string or a list of strings")
                }
                fn visit_borrowed_str<E: de::Error>(
                    self,
                    text: &'de str,
                ) -> Result<Self::Value, E> {
                    Ok(Strings(vec![Cow::Borrowed(text)]))
                }
                fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                    Ok(Strings(vec![Cow::Owned(text.to_owned())]))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element::<Cow<'de, str>>()? {
                        items.push(item);
                    }
                    Ok(Strings(items))
                }
            }
            deserializer.deserialize_any(Texts)
        }
    }

    pub(super) fn statements<'a>(document: &Document<'a>) -> Option<Vec<Statement<'a>>> {
        // An array would read as a struct by position: only an object is a document.
        if !document.json.trim_start().starts_with('{') {
            return None;
        }
        let raw: RawDocument<'a> = serde_json::from_str(document.json).ok()?;
        raw.statement
            .0
            .into_iter()
            .map(|s| {
                let effect = match s.effect.as_ref() {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    _ => return None,
                };
                let (actions, not_action) = match (s.action, s.not_action) {
                    (Some(a), None) => (a.0, false),
                    (None, Some(a)) => (a.0, true),
                    _ => return None,
                };
                Some(Statement {
                    policy: document.policy,
                    effect,
                    actions,
                    not_action,
                    every_resource: s.resource.is_some_and(|r| r.0.iter().any(|r| r == "*")),
                    conditional: s.condition,
                })
            })
            .collect()
    }
}

fn parse_value<'a>(document: &Document<'a>) -> Result<Vec<Statement<'a>>, PolicyProblem> {
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
        (Some(a), None) => (owned(strings("Action", a)?), false),
        (None, Some(a)) => (owned(strings("NotAction", a)?), true),
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

fn owned<'a>(texts: Vec<String>) -> Vec<Cow<'a, str>> {
    texts.into_iter().map(Cow::Owned).collect()
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

/// IAM's action matching: case-insensitive, `*` any run of characters, `?` any one. On bytes,
/// without allocating: it runs for every IAM-changing action against every pattern of every
/// statement the account holds (action names are ASCII; a non-ASCII byte only matches itself
/// or a wildcard).
fn matches(pattern: &str, action: &str) -> bool {
    let (pattern, action) = (pattern.as_bytes(), action.as_bytes());
    let (mut p, mut a) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while a < action.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, a));
            p += 1;
        } else if p < pattern.len()
            && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&action[a]))
        {
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
    pattern[p..].iter().all(|&c| c == b'*')
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
            let document = doc(&json)[0];
            let fast =
                fast::statements(&document).unwrap_or_else(|| panic!("{what}: not read fast"));
            let slow = parse_value(&document).unwrap();
            assert_eq!(
                Facts::of_statements(&fast),
                Facts::of_statements(&slow),
                "{what}: both readings agree"
            );
        }
        // What the fast reading leaves to the other, which says what is wrong; and a Condition
        // of null still counts as one, as the JSON value reading counts it.
        for json in [
            r#"[{"Statement":[]}]"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":[7]}]}"#,
        ] {
            assert!(fast::statements(&doc(json)[0]).is_none(), "{json}");
        }
        let null_condition =
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":null}}"#;
        assert!(fast::statements(&doc(null_condition)[0]).unwrap()[0].conditional);
        assert!(parse_value(&doc(null_condition)[0]).unwrap()[0].conditional);
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

    /// The facts of each part a principal's privilege is built from, merged in order.
    fn merged(parts: &[Facts]) -> Privilege {
        let mut facts = Facts::default();
        for part in parts {
            facts.merge(part);
        }
        facts.privilege()
    }

    fn document(policy: &str, statements: &[&str]) -> Facts {
        let statements: Vec<String> = statements.iter().map(|s| (*s).to_owned()).collect();
        Facts::of_document(&Document {
            policy,
            json: &self::policy(&statements),
        })
    }

    #[test]
    fn parts_merged_decide_as_one_principal() {
        let allow_all = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
        let deny_all = r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#;
        let put_role_policy = r#"{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*"}"#;
        let iam_all = r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#;
        let deny_iam = r#"{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#;
        let reads = r#"{"Effect":"Allow","Action":["s3:Get*","iam:List*"],"Resource":"*"}"#;
        let admin_access = || Facts::of_known_managed(ADMINISTRATOR_ACCESS_ARN).unwrap();
        let iam_full = || Facts::of_known_managed(IAM_FULL_ACCESS_ARN).unwrap();
        let broken = || {
            Facts::of_document(&Document {
                policy: "broken",
                json: "{",
            })
        };
        let cases: Vec<(&str, Vec<Facts>, Privilege)> = vec![
            (
                "inline Allow * and a customer managed Deny * cancel",
                vec![
                    document("inline", &[allow_all]),
                    document("deny-all", &[deny_all]),
                ],
                Privilege::Neither,
            ),
            (
                "the Deny may come first",
                vec![
                    document("deny-all", &[deny_all]),
                    document("inline", &[allow_all]),
                ],
                Privilege::Neither,
            ),
            (
                "a customer managed policy granting iam:PutRolePolicy",
                vec![
                    document("inline", &[reads]),
                    document("role-editor", &[put_role_policy]),
                ],
                iam("role-editor", "iam:PutRolePolicy"),
            ),
            (
                "a group's policy grants a user administrator",
                vec![
                    document("user-inline", &[reads]),
                    document("admins-group", &[allow_all]),
                ],
                admin("admins-group", "*"),
            ),
            (
                "AdministratorAccess by ARN",
                vec![document("inline", &[reads]), admin_access()],
                admin("AdministratorAccess", "*"),
            ),
            (
                "AdministratorAccess by ARN before an inline *",
                vec![document("inline", &[allow_all]), admin_access()],
                admin("AdministratorAccess", "*"),
            ),
            (
                "AdministratorAccess and a Deny * elsewhere",
                vec![admin_access(), document("deny-all", &[deny_all])],
                Privilege::Neither,
            ),
            (
                "IAMFullAccess by ARN",
                vec![iam_full()],
                iam("IAMFullAccess", "iam:*"),
            ),
            (
                "IAMFullAccess and a Deny of iam:* elsewhere",
                vec![iam_full(), document("no-iam", &[deny_iam])],
                Privilege::Neither,
            ),
            (
                "iam:* in one part, a Deny of iam:* in another",
                vec![
                    document("editor", &[iam_all]),
                    document("no-iam", &[deny_iam]),
                ],
                Privilege::Neither,
            ),
            (
                "the first part that grants an action is named",
                vec![
                    document("first", &[put_role_policy]),
                    document("second", &[iam_all]),
                ],
                iam("second", "iam:AddUserToGroup"),
            ),
            (
                "each action named by its first grant",
                vec![
                    document("first", &[put_role_policy]),
                    document("second", &[put_role_policy]),
                ],
                iam("first", "iam:PutRolePolicy"),
            ),
            (
                "an unreadable document and a grant: the grant",
                vec![broken(), document("editor", &[put_role_policy])],
                iam("editor", "iam:PutRolePolicy"),
            ),
            (
                "an unreadable document and nothing granted: unknown",
                vec![document("inline", &[reads]), broken()],
                Privilege::Unknown(PolicyProblem {
                    policy: "broken".to_owned(),
                    message: "is not valid JSON (EOF while parsing an object at line 1 column 1)"
                        .to_owned(),
                }),
            ),
            ("nothing at all", vec![], Privilege::Neither),
        ];
        for (what, parts, want) in cases {
            assert_eq!(merged(&parts), want, "{what}");
            let mut reversed = parts.clone();
            reversed.reverse();
            assert_eq!(
                merged(&reversed).level(),
                want.level(),
                "{what}, merged the other way round"
            );
        }
        assert_eq!(
            merged(&[broken(), broken(), document("a", &[reads])]).level(),
            None
        );
        let mut two = broken();
        two.merge(&broken());
        assert_eq!(two.unreadable_count(), 2);
    }

    #[test]
    fn merging_what_is_already_known_keeps_the_facts_as_they_are() {
        let allows = |policy: &str, actions: &str| {
            document(
                policy,
                &[&format!(
                    r#"{{"Effect":"Allow","Action":{actions},"Resource":"*"}}"#
                )],
            )
        };
        let mut known = Facts::default();
        known.merge(&allows("ab", r#"["iam:PassRole","iam:CreateRole"]"#));
        known.merge(&allows("bc", r#"["iam:CreateRole","iam:CreateUser"]"#));
        for (what, part) in [
            (
                "the same document again",
                allows("ab", r#"["iam:PassRole","iam:CreateRole"]"#),
            ),
            (
                "an action both already allow",
                allows("b", r#""iam:CreateRole""#),
            ),
            (
                "an action the first allows",
                allows("a", r#""iam:PassRole""#),
            ),
            ("no IAM-changing action", allows("reads", r#""s3:Get*""#)),
        ] {
            let mut merged = known.clone();
            merged.merge(&part);
            assert_eq!(
                merged, known,
                "{what}: at most one entry per action, so a principal's facts stay small"
            );
        }
    }

    #[test]
    fn aws_managed_policies_other_than_the_two_are_not_known_by_arn() {
        assert_eq!(
            Facts::of_known_managed("arn:aws:iam::aws:policy/PowerUserAccess"),
            None
        );
        assert_eq!(
            Facts::of_known_managed("arn:aws:iam::111122223333:policy/AdministratorAccess"),
            None
        );
        assert_eq!(Facts::of_known_managed("AdministratorAccess"), None);
    }

    #[test]
    fn the_two_are_known_in_every_partition() {
        for partition in ["aws", "aws-us-gov", "aws-cn"] {
            let admin = format!("arn:{partition}:iam::aws:policy/AdministratorAccess");
            let iam = format!("arn:{partition}:iam::aws:policy/IAMFullAccess");
            assert_eq!(
                Facts::of_known_managed(&admin),
                Facts::of_known_managed(ADMINISTRATOR_ACCESS_ARN),
                "{admin}"
            );
            assert!(Facts::of_known_managed(&admin).is_some());
            assert_eq!(
                Facts::of_known_managed(&iam),
                Facts::of_known_managed(IAM_FULL_ACCESS_ARN),
                "{iam}"
            );
            assert!(Facts::of_known_managed(&iam).is_some());
        }
    }

    #[test]
    fn the_label_goes_in_front_and_is_read_back_only_before_a_name() {
        let admin = admin("p", "*");
        let changes = iam("p", "iam:PassRole");
        assert_eq!(
            with_label(&admin, "app: last used 2025-11-01"),
            "ADMIN: app: last used 2025-11-01"
        );
        assert_eq!(
            with_label(&changes, "app: never used"),
            "IAM-WRITE: app: never used"
        );
        assert_eq!(
            with_label(&Privilege::Neither, "app: never used"),
            "app: never used"
        );
        let unknown = Privilege::Unknown(PolicyProblem {
            policy: "p".to_owned(),
            message: "m".to_owned(),
        });
        assert_eq!(with_label(&unknown, "app: never used"), "app: never used");
        for (annotation, level, rest) in [
            (
                "ADMIN: app: last used 2025-11-01",
                Some(Level::Admin),
                "app: last used 2025-11-01",
            ),
            (
                "IAM-WRITE: app: last used 2025-11-01",
                Some(Level::IamWrite),
                "app: last used 2025-11-01",
            ),
            // A role named ADMIN, unlabelled: a verdict, not a name, follows.
            (
                "ADMIN: last used 2025-11-01 in us-east-1, over the 60-day threshold",
                None,
                "ADMIN: last used 2025-11-01 in us-east-1, over the 60-day threshold",
            ),
            (
                "ADMIN: ADMIN: last used 2025-11-01",
                Some(Level::Admin),
                "ADMIN: last used 2025-11-01",
            ),
            ("admin: app: last used", None, "admin: app: last used"),
            ("app: last used", None, "app: last used"),
            ("ADMIN: app", None, "ADMIN: app"),
            ("ADMIN: : x", None, "ADMIN: : x"),
            ("", None, ""),
        ] {
            assert_eq!(split_label(annotation), (level, rest), "{annotation}");
        }
        assert!(Level::Admin < Level::IamWrite, "most privileged first");
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
