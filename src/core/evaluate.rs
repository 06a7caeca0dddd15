//! The rule itself, pure: roles + parameters + `now` in, one evaluation per role out.
//! No SDK types, no clock, no logging.

use chrono::{DateTime, NaiveDate, Utc};

use crate::core::params::{
    IdentityCenterRoles, RoleParameters, ServiceLinkedRoles, TRACKING_WINDOW_DAYS,
};
use crate::core::privilege::{with_label, Privilege};
use crate::core::results::{Compliance, ResourceType};
use crate::core::role::{Role, RoleKind};

pub mod exemption;
pub mod permissions;
pub mod users;
use exemption::{Exemption, Problem};

/// The Config resource types the roles evaluator reports on.
pub const RESOURCE_TYPES: &[ResourceType] = &[ResourceType::IamRole];

/// PutEvaluations rejects longer annotations.
pub const MAX_ANNOTATION_CHARS: usize = 256;
const TRUNCATION_MARKER: char = '…';
/// Tag keys and values are user data: cut them in annotations so they cannot crowd out the verdict.
const MAX_QUOTED_CHARS: usize = 40;
const MAX_NOTE_CHARS: usize = 60;

/// Which rule decided a role's result; the first that applies wins, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    ServiceLinkedExcluded,
    IdentityCenterExcluded,
    Allowlisted {
        pattern: String,
    },
    /// `until`: the last day (UTC) a dated exemption holds; None: for ever.
    ExemptByTag {
        key: String,
        until: Option<NaiveDate>,
        note: Option<String>,
    },
    YoungerThanThreshold {
        created: Past,
    },
    NoUseRecorded {
        created: Past,
    },
    UnusedTooLong {
        last_used: Past,
        region: Option<String>,
    },
    UsedRecently {
        last_used: Past,
        region: Option<String>,
    },
    /// Config still holds a result for a resource that no longer exists.
    NoLongerExists,
    /// Users: created at or after the credential report was generated, so not in it; COMPLIANT
    /// until the next report can judge it.
    CreatedAfterReport {
        created: DateTime<Utc>,
        generated: DateTime<Utc>,
    },
    /// Users: older than the credential report yet not in it; INSUFFICIENT_DATA, not sent.
    NotInReport {
        generated: DateTime<Utc>,
    },
    /// Users: no console password and no active access key.
    NoActiveCredential,
    /// Users: each active credential unused for more than the threshold, in report order.
    CredentialsUnused {
        findings: Vec<users::CredentialUse>,
    },
    /// Users: every active credential used (or, never used, created) within the threshold.
    CredentialsUsed {
        uses: Vec<users::CredentialUse>,
    },
    /// Permissions: granted services unused for more than the threshold (namespaces, sorted);
    /// tracked actions of the used services, and how many of those are unused.
    ServicesUnused {
        granted: usize,
        unused: Vec<String>,
        tracked_actions: usize,
        unused_actions: usize,
    },
    /// Permissions: every granted service used within the threshold (none granted: 0).
    ServicesUsed {
        granted: usize,
        tracked_actions: usize,
        unused_actions: usize,
    },
    /// Permissions: the run's time ran out before the principal's report; INSUFFICIENT_DATA.
    NotChecked,
    /// Permissions: IAM gave no report this run (job failed, throttled, still running);
    /// INSUFFICIENT_DATA.
    NoAccessReport {
        problem: String,
    },
}

/// A moment before the run, as the two wordings state it: its UTC calendar date, which stays
/// put, and the whole days since, which grow every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Past {
    pub date: NaiveDate,
    /// floor((now - t) / 24 h), see [`whole_days`].
    pub days: i64,
}

impl Past {
    pub fn of(at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Past {
            date: at.date_naive(),
            days: whole_days(at, now),
        }
    }

    /// "2025-10-01" for Config, "61 days ago" for people.
    fn worded(&self, wording: Wording) -> String {
        match wording {
            Wording::Stable => self.date.to_string(),
            Wording::Ages => format!("{} ago", days(self.days)),
        }
    }
}

/// Who a verdict is worded for. Config compares each result with the one it holds, so its
/// annotation states only what changes with the verdict's basis: dates, never ages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// [`Evaluation::annotation`]: the same text every run until the basis changes.
    Stable,
    /// [`Evaluation::detail`]: ages as of the run, for people.
    Ages,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub resource_type: ResourceType,
    /// Config's key for the resource type: the RoleId for `AWS::IAM::Role`.
    pub resource_id: String,
    /// Empty for resources that no longer exist.
    pub name: String,
    pub path: String,
    pub compliance: Compliance,
    pub reason: Reason,
    /// What Config gets: at most [`MAX_ANNOTATION_CHARS`] characters, starting with the
    /// principal's name, in [`Wording::Stable`].
    pub annotation: String,
    /// The same verdict for people, in [`Wording::Ages`], cut the same way.
    pub detail: String,
}

impl Evaluation {
    /// Whole days since the role was last used, where IAM recorded a use.
    pub fn days_since_last_use(&self) -> Option<i64> {
        match &self.reason {
            Reason::UnusedTooLong { last_used, .. } | Reason::UsedRecently { last_used, .. } => {
                Some(last_used.days)
            }
            _ => None,
        }
    }

    /// The Region of the last recorded use, where IAM recorded one.
    pub fn last_used_region(&self) -> Option<&str> {
        match &self.reason {
            Reason::UnusedTooLong { region, .. } | Reason::UsedRecently { region, .. } => {
                region.as_deref()
            }
            _ => None,
        }
    }
}

/// Evaluates every role, in input order.
pub fn evaluate(roles: &[Role], params: &RoleParameters, now: DateTime<Utc>) -> Vec<Evaluation> {
    roles
        .iter()
        .map(|role| evaluate_role(role, params, now))
        .collect()
}

pub fn evaluate_role(role: &Role, params: &RoleParameters, now: DateTime<Utc>) -> Evaluation {
    let (compliance, reason, ignored) = decide(role, params, now);
    let annotate = |wording| annotate(role, compliance, &reason, ignored.as_ref(), params, wording);
    let (annotation, detail) = (annotate(Wording::Stable), annotate(Wording::Ages));
    Evaluation {
        resource_type: ResourceType::IamRole,
        resource_id: role.role_id.clone(),
        name: role.name.clone(),
        path: role.path.clone(),
        compliance,
        reason,
        annotation,
        detail,
    }
}

/// An exempt tag that did not exempt the principal: the annotation says why it was evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IgnoredExemption {
    Expired {
        key: String,
        date: NaiveDate,
    },
    Invalid {
        key: String,
        value: String,
        problem: Problem,
    },
}

/// What the exempt tag decides for a principal, shared by both rules.
pub(crate) enum TagExemption {
    /// COMPLIANT, with this reason ([`Reason::ExemptByTag`]).
    Exempt(Reason),
    /// The tag is there but does not exempt: the principal is judged and the annotation says why.
    Ignored(IgnoredExemption),
    /// No exempt tag key, or the principal does not carry it.
    None,
}

/// The `exempt_tag_key` decision: a value `until=DATE` holds through that day (UTC), a value
/// that tries to be a date and is not one is ignored, any other value exempts for ever.
pub(crate) fn exemption_by_tag<'a>(
    exempt_tag_key: Option<&str>,
    tag_value: impl Fn(&str) -> Option<&'a str>,
    now: DateTime<Utc>,
) -> TagExemption {
    let Some((key, value)) = exempt_tag_key.and_then(|k| tag_value(k).map(|v| (k.to_owned(), v)))
    else {
        return TagExemption::None;
    };
    let exempt = |until, note| {
        TagExemption::Exempt(Reason::ExemptByTag {
            key: key.clone(),
            until,
            note,
        })
    };
    match exemption::parse(value) {
        Exemption::ForEver => exempt(None, None),
        // Holds through that day, UTC.
        Exemption::Until { date, note } if now.date_naive() <= date => exempt(Some(date), note),
        Exemption::Until { date, .. } => {
            TagExemption::Ignored(IgnoredExemption::Expired { key, date })
        }
        Exemption::Invalid { value, problem } => TagExemption::Ignored(IgnoredExemption::Invalid {
            key,
            value,
            problem,
        }),
    }
}

fn decide(
    role: &Role,
    params: &RoleParameters,
    now: DateTime<Utc>,
) -> (Compliance, Reason, Option<IgnoredExemption>) {
    // Roles AWS manages come first: no allowlist or tag of ours changes who owns them.
    if role.is_service_linked() && params.service_linked_roles == ServiceLinkedRoles::Exclude {
        return (
            Compliance::NotApplicable,
            Reason::ServiceLinkedExcluded,
            None,
        );
    }
    if role.is_identity_center() && params.identity_center_roles == IdentityCenterRoles::Exclude {
        return (
            Compliance::NotApplicable,
            Reason::IdentityCenterExcluded,
            None,
        );
    }
    if let Some(pattern) = params.allowlist.first_match(&role.path_and_name()) {
        let pattern = pattern.to_owned();
        return (Compliance::Compliant, Reason::Allowlisted { pattern }, None);
    }
    let ignored =
        match exemption_by_tag(params.exempt_tag_key.as_deref(), |k| role.tag_value(k), now) {
            TagExemption::Exempt(reason) => return (Compliance::Compliant, reason, None),
            TagExemption::Ignored(ignored) => Some(ignored),
            TagExemption::None => None,
        };
    let (compliance, reason) = judge_use(role, params, now);
    (compliance, reason, ignored)
}

/// Age and last use: the rules every evaluated role ends with.
fn judge_use(role: &Role, params: &RoleParameters, now: DateTime<Utc>) -> (Compliance, Reason) {
    let threshold = i64::from(params.max_days);
    let created = Past::of(role.created, now);
    if created.days <= threshold {
        return (
            Compliance::Compliant,
            Reason::YoungerThanThreshold { created },
        );
    }
    let Some(used) = &role.last_used else {
        return (Compliance::NonCompliant, Reason::NoUseRecorded { created });
    };
    let last_used = Past::of(used.at, now);
    let region = used.region.clone();
    if last_used.days > threshold {
        (
            Compliance::NonCompliant,
            Reason::UnusedTooLong { last_used, region },
        )
    } else {
        (
            Compliance::Compliant,
            Reason::UsedRecently { last_used, region },
        )
    }
}

/// floor((to - from) / 24 h); a `from` in the future (clock skew) counts as 0 days.
pub fn whole_days(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().div_euclid(86_400).max(0)
}

pub(crate) fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

fn in_region(region: &Option<String>) -> String {
    region
        .as_deref()
        .map(|r| format!(" in {r}"))
        .unwrap_or_default()
}

/// The annotation: for a finding, the role's privilege label ([`with_label`]); role name,
/// verdict, then what to do about a role AWS manages, then why an exempt tag was ignored; cut
/// to fit, so the label, name and verdict always survive.
fn annotate(
    role: &Role,
    compliance: Compliance,
    reason: &Reason,
    ignored: Option<&IgnoredExemption>,
    params: &RoleParameters,
    wording: Wording,
) -> String {
    let mut text = format!("{}: {}", role.name, verdict(reason, params, wording));
    if compliance == Compliance::NonCompliant {
        match role.kind() {
            RoleKind::Customer => {}
            RoleKind::ServiceLinked => text.push_str(
                "; service-linked role: delete it only through its service or iam delete-service-linked-role, once the service no longer uses it",
            ),
            RoleKind::IdentityCenter {
                permission_set: Some(set),
            } => text.push_str(&format!(
                "; IAM Identity Center permission set {set}: remove its assignment to this account"
            )),
            RoleKind::IdentityCenter {
                permission_set: None,
            } => text.push_str(
                "; IAM Identity Center role, permission set not readable from the name: remove the set's assignment to this account",
            ),
        }
    }
    if let Some(ignored) = ignored {
        text.push_str(&ignored_note(ignored));
    }
    truncate_annotation(labelled(compliance, &role.privilege, text))
}

/// A finding's annotation starts with the principal's privilege label; other results stay as
/// they are.
pub(crate) fn labelled(compliance: Compliance, privilege: &Privilege, text: String) -> String {
    if compliance == Compliance::NonCompliant {
        with_label(privilege, &text)
    } else {
        text
    }
}

/// Why an exempt tag was ignored, as the annotation's `; ...` suffix.
pub(crate) fn ignored_note(ignored: &IgnoredExemption) -> String {
    match ignored {
        IgnoredExemption::Expired { key, date } => format!(
            "; exemption tag {} expired after {date}",
            clip(key, MAX_QUOTED_CHARS)
        ),
        IgnoredExemption::Invalid {
            key,
            value,
            problem,
        } => {
            let quoted = format!("{:?}", clip(value, MAX_QUOTED_CHARS));
            let why = match problem {
                Problem::NoEquals => format!("{quoted} is not until=YYYY-MM-DD"),
                Problem::NotADate => format!("{quoted} is not a date YYYY-MM-DD"),
                Problem::NoSuchDay => format!("{quoted} names a day that does not exist"),
                Problem::NotAtStart => format!("{quoted} must start with until=YYYY-MM-DD"),
            };
            format!(
                "; exemption tag {} ignored: {why}",
                clip(key, MAX_QUOTED_CHARS)
            )
        }
    }
}

/// The verdicts both rules share: allowlisted and exempt by tag.
pub(crate) fn shared_verdict(reason: &Reason) -> Option<String> {
    match reason {
        Reason::Allowlisted { pattern } => Some(format!("allowlisted by pattern {pattern}")),
        Reason::ExemptByTag { key, until, note } => {
            let mut text = format!("exempt by tag {}", clip(key, MAX_QUOTED_CHARS));
            if let Some(date) = until {
                text.push_str(&format!(" until {date}"));
            }
            if let Some(note) = note {
                text.push_str(&format!(" ({})", clip(note, MAX_NOTE_CHARS)));
            }
            Some(text)
        }
        _ => None,
    }
}

/// The verdicts on roles AWS manages and on principals younger than the threshold, which the
/// roles and the permissions rules decide alike.
pub(crate) fn excluded_or_young_verdict(
    reason: &Reason,
    service_linked_roles: ServiceLinkedRoles,
    identity_center_roles: IdentityCenterRoles,
    max: u32,
    wording: Wording,
) -> Option<String> {
    match reason {
        Reason::ServiceLinkedExcluded => Some(format!(
            "service-linked role, not evaluated (service_linked_roles={})",
            service_linked_roles.as_str()
        )),
        Reason::IdentityCenterExcluded => Some(format!(
            "IAM Identity Center role, not evaluated (identity_center_roles={})",
            identity_center_roles.as_str()
        )),
        Reason::YoungerThanThreshold { created } => Some(format!(
            "created {}, within the {max}-day threshold",
            created.worded(wording)
        )),
        _ => None,
    }
}

/// The verdict's reason, without the role name. The threshold is in every verdict that
/// depends on it, so a changed parameter changes every such annotation.
fn verdict(reason: &Reason, params: &RoleParameters, wording: Wording) -> String {
    let max = params.max_days;
    if let Some(text) = excluded_or_young_verdict(
        reason,
        params.service_linked_roles,
        params.identity_center_roles,
        max,
        wording,
    ) {
        return text;
    }
    match reason {
        Reason::ServiceLinkedExcluded
        | Reason::IdentityCenterExcluded
        | Reason::YoungerThanThreshold { .. } => String::new(),
        Reason::Allowlisted { .. } | Reason::ExemptByTag { .. } => {
            shared_verdict(reason).unwrap_or_default()
        }
        // IAM tracks the trailing 400 days, less in Regions that began tracking within the
        // last year: claim no more than that.
        Reason::NoUseRecorded { created } => format!(
            "no use recorded by IAM (it tracks up to {TRACKING_WINDOW_DAYS} days), created {}, over the {max}-day threshold",
            created.worded(wording)
        ),
        Reason::UnusedTooLong { last_used, region } => format!(
            "last used {}{}, over the {max}-day threshold",
            last_used.worded(wording),
            in_region(region)
        ),
        // The date and Region of a recent use move with every use: Config hears only that the
        // role is within the threshold.
        Reason::UsedRecently { .. } if wording == Wording::Stable => {
            format!("used within the {max}-day threshold")
        }
        Reason::UsedRecently { last_used, region } => format!(
            "last used {}{}, within the {max}-day threshold",
            last_used.worded(wording),
            in_region(region)
        ),
        Reason::NoLongerExists => NO_LONGER_EXISTS.to_owned(),
        // The users rule's reasons, never decided for a role.
        Reason::CreatedAfterReport { .. }
        | Reason::NotInReport { .. }
        | Reason::NoActiveCredential
        | Reason::CredentialsUnused { .. }
        | Reason::CredentialsUsed { .. } => users::verdict(reason, max, wording),
        // The permissions rule's reasons, never decided for a role by this rule.
        Reason::ServicesUnused { .. }
        | Reason::ServicesUsed { .. }
        | Reason::NotChecked
        | Reason::NoAccessReport { .. } => permissions::reason_text(reason, max, usize::MAX),
    }
}

/// At most `limit` characters, the last one `…` when cut.
pub(crate) fn clip(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(limit - 1).collect();
        cut.push(TRUNCATION_MARKER);
        cut
    }
}

/// Cuts to [`MAX_ANNOTATION_CHARS`] characters on a character boundary, ending with a visible
/// marker so a reader knows text is missing.
pub fn truncate_annotation(text: String) -> String {
    if text.chars().count() <= MAX_ANNOTATION_CHARS {
        return text;
    }
    clip(&text, MAX_ANNOTATION_CHARS)
}

pub(crate) const NO_LONGER_EXISTS: &str = "no longer exists";

/// NOT_APPLICABLE results for resources Config still holds a result for that no longer exist
/// (see [`crate::core::results::vanished`]). The annotation names the resource id: its name is
/// gone with it.
pub fn clean_up_evaluations(vanished: &[(ResourceType, &str)]) -> Vec<Evaluation> {
    vanished
        .iter()
        .map(|(resource_type, id)| {
            let annotation =
                truncate_annotation(format!("{id}: {} {NO_LONGER_EXISTS}", resource_type.noun()));
            Evaluation {
                resource_type: *resource_type,
                resource_id: (*id).to_owned(),
                name: String::new(),
                path: String::new(),
                compliance: Compliance::NotApplicable,
                reason: Reason::NoLongerExists,
                detail: annotation.clone(),
                annotation,
            }
        })
        .collect()
}

/// Counts per compliance type, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
}

impl Tally {
    pub fn of(evaluations: &[Evaluation]) -> Self {
        let mut tally = Self::default();
        for evaluation in evaluations {
            match evaluation.compliance {
                Compliance::Compliant => tally.compliant += 1,
                Compliance::NonCompliant => tally.non_compliant += 1,
                Compliance::NotApplicable => tally.not_applicable += 1,
                // The rules never decide it, and PutEvaluations refuses it.
                Compliance::InsufficientData => {}
            }
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde_json::Value;

    use super::*;
    use crate::core::role::{LastUsed, Tag};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    /// A role at `path_and_name`, created `age` before [`now`].
    fn role(path_and_name: &str, age: Duration) -> Role {
        let split = path_and_name.rfind('/').unwrap() + 1;
        let (path, name) = path_and_name.split_at(split);
        Role {
            role_id: format!("AROA{}", name.to_uppercase()),
            name: name.to_owned(),
            path: path.to_owned(),
            arn: format!("arn:aws:iam::111122223333:role{path_and_name}"),
            created: now() - age,
            last_used: None,
            tags: Vec::new(),
            privilege: Default::default(),
        }
    }

    fn used(mut role: Role, ago: Duration, region: Option<&str>) -> Role {
        role.last_used = Some(LastUsed {
            at: now() - ago,
            region: region.map(str::to_owned),
        });
        role
    }

    fn tagged(role: Role, key: &str) -> Role {
        tagged_with(role, key, "yes")
    }

    fn tagged_with(mut role: Role, key: &str, value: &str) -> Role {
        role.tags.push(Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        });
        role
    }

    fn params(json: &str) -> RoleParameters {
        RoleParameters::from_event_field(Some(&Value::String(json.to_owned())), None).unwrap()
    }

    fn days(n: i64) -> Duration {
        Duration::days(n)
    }

    /// One row: the parameters, the role, and the expected result and annotation.
    fn check(cases: &[(&str, Role, Compliance, &str)]) {
        check_at(now(), cases)
    }

    fn check_at(at: DateTime<Utc>, cases: &[(&str, Role, Compliance, &str)]) {
        for (parameters, role, compliance, annotation) in cases {
            let got = evaluate_role(role, &params(parameters), at);
            assert_eq!(
                (got.compliance, got.annotation.as_str()),
                (*compliance, *annotation),
                "role {} with {parameters}",
                role.path_and_name()
            );
            assert_eq!(got.resource_id, role.role_id, "reported by RoleId");
        }
    }

    const DEFAULTS: &str = "{}";
    const ALLOW: &str = r#"{"role_allowlist":"/breakglass-role | /security-* |/service-role/*|*/ci-?|/team[ab]/*|/x[!y]z"}"#;
    use Compliance::{Compliant, NonCompliant, NotApplicable};

    fn privileged(mut role: Role, privilege: Privilege) -> Role {
        role.privilege = privilege;
        role
    }

    fn grant(policy: &str, action: &str) -> crate::core::privilege::Grant {
        crate::core::privilege::Grant {
            policy: policy.to_owned(),
            action: action.to_owned(),
        }
    }

    #[test]
    fn a_finding_starts_with_the_roles_privilege_and_nothing_else_does() {
        let admin = || Privilege::Admin(grant("AdministratorAccess", "*"));
        let iam = || Privilege::ChangesIam(grant("role-editor", "iam:PutRolePolicy"));
        let unknown = || {
            Privilege::Unknown(crate::core::privilege::PolicyProblem {
                policy: "broken".to_owned(),
                message: "is not valid JSON".to_owned(),
            })
        };
        let stale = |p| {
            privileged(
                used(
                    role("/app-deployer", days(500)),
                    days(61),
                    Some("us-east-1"),
                ),
                p,
            )
        };
        let recent = |p| privileged(used(role("/app-deployer", days(500)), days(3), None), p);
        let linked = |p| {
            privileged(
                role("/aws-service-role/x.amazonaws.com/linked", days(500)),
                p,
            )
        };
        check(&[
            (DEFAULTS, stale(admin()), NonCompliant, "ADMIN: app-deployer: last used 2025-11-01 in us-east-1, over the 60-day threshold"),
            (DEFAULTS, stale(iam()), NonCompliant, "IAM-WRITE: app-deployer: last used 2025-11-01 in us-east-1, over the 60-day threshold"),
            (DEFAULTS, stale(unknown()), NonCompliant, "app-deployer: last used 2025-11-01 in us-east-1, over the 60-day threshold"),
            (DEFAULTS, stale(Privilege::Neither), NonCompliant, "app-deployer: last used 2025-11-01 in us-east-1, over the 60-day threshold"),
            (DEFAULTS, privileged(role("/app-deployer", days(900)), admin()), NonCompliant, "ADMIN: app-deployer: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
            (DEFAULTS, recent(admin()), Compliant, "app-deployer: used within the 60-day threshold"),
            (r#"{"role_allowlist":"/app-*"}"#, stale(admin()), Compliant, "app-deployer: allowlisted by pattern /app-*"),
            (DEFAULTS, linked(admin()), NotApplicable, "linked: service-linked role, not evaluated (service_linked_roles=exclude)"),
        ]);
        let detail = evaluate_role(&stale(admin()), &params(DEFAULTS), now()).detail;
        assert_eq!(
            detail,
            "ADMIN: app-deployer: last used 61 days ago in us-east-1, over the 60-day threshold"
        );
    }

    #[test]
    fn the_cut_to_256_characters_keeps_the_label_and_the_name() {
        // The longest a role name can be (64), an Identity Center hint and an ignored tag.
        let name = format!("AWSReservedSSO_{}_0123456789abcdef", "s".repeat(32));
        assert_eq!(name.len(), 64);
        let long_key = "k".repeat(128);
        let stale = tagged_with(
            privileged(
                used(
                    role(
                        &format!("/aws-reserved/sso.amazonaws.com/{name}"),
                        days(500),
                    ),
                    days(61),
                    None,
                ),
                Privilege::Admin(grant("p", "*")),
            ),
            &long_key,
            &format!("until={}", "v".repeat(94)),
        );
        let got = evaluate_role(
            &stale,
            &params(&format!(r#"{{"exempt_tag_key":"{long_key}"}}"#)),
            now(),
        );
        assert_eq!(got.compliance, NonCompliant);
        assert_eq!(
            got.annotation.chars().count(),
            MAX_ANNOTATION_CHARS,
            "{}",
            got.annotation
        );
        assert!(
            got.annotation.starts_with(&format!(
                "ADMIN: {name}: last used 2025-11-01, over the 60-day threshold"
            )),
            "{}",
            got.annotation
        );
        assert!(got.annotation.ends_with('…'), "{}", got.annotation);
    }

    #[test]
    fn every_rule_and_its_boundaries() {
        check(&[
            // Age: exactly the threshold is compliant, one more day falls through to last use.
            (
                DEFAULTS,
                role("/young", days(60)),
                Compliant,
                "young: created 2025-11-02, within the 60-day threshold",
            ),
            (
                DEFAULTS,
                role("/young", days(61) - Duration::seconds(1)),
                Compliant,
                "young: created 2025-11-01, within the 60-day threshold",
            ),
            (
                DEFAULTS,
                role("/old", days(61)),
                NonCompliant,
                "old: no use recorded by IAM (it tracks up to 400 days), created 2025-11-01, over the 60-day threshold",
            ),
            (
                DEFAULTS,
                role("/fresh", Duration::hours(3)),
                Compliant,
                "fresh: created 2025-12-31, within the 60-day threshold",
            ),
            (
                DEFAULTS,
                role("/day", days(1)),
                Compliant,
                "day: created 2025-12-31, within the 60-day threshold",
            ),
            // Never used: young is compliant by age, old is not.
            (
                DEFAULTS,
                role("/never-young", days(5)),
                Compliant,
                "never-young: created 2025-12-27, within the 60-day threshold",
            ),
            (
                DEFAULTS,
                role("/never-old", days(900)),
                NonCompliant,
                "never-old: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold",
            ),
            // Last use: exactly the threshold is compliant, threshold + 1 is not.
            (
                DEFAULTS,
                used(role("/edge", days(500)), days(60), Some("eu-west-1")),
                Compliant,
                "edge: used within the 60-day threshold",
            ),
            (
                DEFAULTS,
                used(
                    role("/edge", days(500)),
                    days(61) - Duration::seconds(1),
                    Some("eu-west-1"),
                ),
                Compliant,
                "edge: used within the 60-day threshold",
            ),
            (
                DEFAULTS,
                used(role("/stale", days(500)), days(61), Some("us-east-1")),
                NonCompliant,
                "stale: last used 2025-11-01 in us-east-1, over the 60-day threshold",
            ),
            (
                DEFAULTS,
                used(
                    role("/today", days(500)),
                    Duration::minutes(5),
                    Some("ap-south-1"),
                ),
                Compliant,
                "today: used within the 60-day threshold",
            ),
            (
                DEFAULTS,
                used(role("/noregion", days(500)), days(1), None),
                Compliant,
                "noregion: used within the 60-day threshold",
            ),
            (
                DEFAULTS,
                used(role("/noregion", days(500)), days(90), None),
                NonCompliant,
                "noregion: last used 2025-10-03, over the 60-day threshold",
            ),
            // A use in the future (clock skew) counts as today.
            (
                DEFAULTS,
                used(
                    role("/skew", days(500)),
                    -Duration::hours(2),
                    Some("eu-west-1"),
                ),
                Compliant,
                "skew: used within the 60-day threshold",
            ),
            // Another threshold.
            (
                r#"{"max_days_for_last_used":"7"}"#,
                used(role("/weekly", days(30)), days(8), Some("eu-west-1")),
                NonCompliant,
                "weekly: last used 2025-12-24 in eu-west-1, over the 7-day threshold",
            ),
            (
                r#"{"max_days_for_last_used":400}"#,
                role("/long", days(400)),
                Compliant,
                "long: created 2024-11-27, within the 400-day threshold",
            ),
        ]);
    }

    #[test]
    fn allowlist_glob_forms() {
        let unused = |p: &str| role(p, days(1000));
        check(&[
            (ALLOW, unused("/breakglass-role"), Compliant, "breakglass-role: allowlisted by pattern /breakglass-role"),
            (ALLOW, unused("/breakglass-role-2"), NonCompliant, "breakglass-role-2: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold"),
            (ALLOW, unused("/security-audit"), Compliant, "security-audit: allowlisted by pattern /security-*"),
            // `*` crosses `/`, as the blog's fnmatch did.
            (ALLOW, unused("/security-team/responder"), Compliant, "responder: allowlisted by pattern /security-*"),
            (ALLOW, unused("/teams/security-tools"), NonCompliant, "security-tools: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold"),
            (ALLOW, unused("/service-role/codebuild"), Compliant, "codebuild: allowlisted by pattern /service-role/*"),
            (ALLOW, unused("/deep/path/ci-1"), Compliant, "ci-1: allowlisted by pattern */ci-?"),
            (ALLOW, unused("/ci-12"), NonCompliant, "ci-12: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold"),
            (ALLOW, unused("/teamb/etl"), Compliant, "etl: allowlisted by pattern /team[ab]/*"),
            (ALLOW, unused("/teamc/etl"), NonCompliant, "etl: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold"),
            (ALLOW, unused("/xaz"), Compliant, "xaz: allowlisted by pattern /x[!y]z"),
            (ALLOW, unused("/xyz"), NonCompliant, "xyz: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold"),
            // Matching is case-sensitive, like IAM paths.
            (ALLOW, unused("/Breakglass-Role"), NonCompliant, "Breakglass-Role: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold"),
            // The blog's parameter name still works.
            (r#"{"role_whitelist":"/legacy"}"#, unused("/legacy"), Compliant, "legacy: allowlisted by pattern /legacy"),
            // The first pattern in the order given is named.
            (r#"{"role_allowlist":"/a*|/ab*"}"#, unused("/abc"), Compliant, "abc: allowlisted by pattern /a*"),
        ]);
    }

    #[test]
    fn exemptions_and_precedence() {
        let tag = r#"{"exempt_tag_key":"keep","role_allowlist":"/both"}"#;
        let linked = "/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport";
        check(&[
            (tag, tagged(role("/kept", days(900)), "keep"), Compliant, "kept: exempt by tag keep"),
            (tag, tagged(role("/other", days(900)), "keep-until"), NonCompliant, "other: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
            (tag, tagged(role("/Kept", days(900)), "Keep"), NonCompliant, "Kept: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
            // Allowlist is checked before the tag.
            (tag, tagged(role("/both", days(900)), "keep"), Compliant, "both: allowlisted by pattern /both"),
            // Without the parameter, tags mean nothing.
            (DEFAULTS, tagged(role("/kept", days(900)), "keep"), NonCompliant, "kept: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
            // Service-linked roles: excluded by default, before every other rule.
            (DEFAULTS, role(linked, days(900)), NotApplicable, "AWSServiceRoleForSupport: service-linked role, not evaluated (service_linked_roles=exclude)"),
            (r#"{"role_allowlist":"/aws-service-role/*"}"#, role(linked, days(2)), NotApplicable, "AWSServiceRoleForSupport: service-linked role, not evaluated (service_linked_roles=exclude)"),
            (r#"{"service_linked_roles":"evaluate"}"#, role(linked, days(900)), NonCompliant, "AWSServiceRoleForSupport: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold; service-linked role: delete it only through its service or iam delete-service-linked-role, once the service no longer uses it"),
            (r#"{"service_linked_roles":"evaluate"}"#, used(role(linked, days(900)), days(200), Some("us-east-1")), NonCompliant, "AWSServiceRoleForSupport: last used 2025-06-15 in us-east-1, over the 60-day threshold; service-linked role: delete it only through its service or iam delete-service-linked-role, once the service no longer uses it"),
            // Service-linked exclusion comes before the exempt tag too.
            (r#"{"exempt_tag_key":"keep"}"#, tagged_with(role(linked, days(900)), "keep", "until=soon"), NotApplicable, "AWSServiceRoleForSupport: service-linked role, not evaluated (service_linked_roles=exclude)"),
            (r#"{"service_linked_roles":"evaluate"}"#, used(role(linked, days(900)), days(3), Some("us-east-1")), Compliant, "AWSServiceRoleForSupport: used within the 60-day threshold"),
            (r#"{"service_linked_roles":"evaluate","role_allowlist":"/aws-service-role/*"}"#, role(linked, days(900)), Compliant, "AWSServiceRoleForSupport: allowlisted by pattern /aws-service-role/*"),
        ]);
    }

    const SSO: &str = "/aws-reserved/sso.amazonaws.com/";
    const SSO_REGIONAL: &str = "/aws-reserved/sso.amazonaws.com/eu-west-2/";

    #[test]
    fn identity_center_roles_are_evaluated_by_default_and_name_their_permission_set() {
        let admin = format!("{SSO_REGIONAL}AWSReservedSSO_AdministratorAccess_1234567890abcdef");
        let data = format!("{SSO}AWSReservedSSO_Data_Engineer_RO_0a1b2c3d4e5f6789");
        let odd = format!("{SSO}AWSReservedSSO_LegacyAdmins");
        check(&[
            (DEFAULTS, role(&admin, days(900)), NonCompliant, "AWSReservedSSO_AdministratorAccess_1234567890abcdef: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold; IAM Identity Center permission set AdministratorAccess: remove its assignment to this account"),
            (DEFAULTS, used(role(&data, days(900)), days(75), Some("us-east-1")), NonCompliant, "AWSReservedSSO_Data_Engineer_RO_0a1b2c3d4e5f6789: last used 2025-10-18 in us-east-1, over the 60-day threshold; IAM Identity Center permission set Data_Engineer_RO: remove its assignment to this account"),
            (DEFAULTS, role(&odd, days(900)), NonCompliant, "AWSReservedSSO_LegacyAdmins: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold; IAM Identity Center role, permission set not readable from the name: remove the set's assignment to this account"),
            // Compliant ones need no advice.
            (DEFAULTS, used(role(&admin, days(900)), days(2), Some("eu-west-2")), Compliant, "AWSReservedSSO_AdministratorAccess_1234567890abcdef: used within the 60-day threshold"),
            (DEFAULTS, role(&data, days(10)), Compliant, "AWSReservedSSO_Data_Engineer_RO_0a1b2c3d4e5f6789: created 2025-12-22, within the 60-day threshold"),
            (r#"{"identity_center_roles":"evaluate"}"#, role(&admin, days(900)), NonCompliant, "AWSReservedSSO_AdministratorAccess_1234567890abcdef: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold; IAM Identity Center permission set AdministratorAccess: remove its assignment to this account"),
            // Evaluated, they follow the allowlist and tags like any role.
            (r#"{"role_allowlist":"/aws-reserved/*"}"#, role(&admin, days(900)), Compliant, "AWSReservedSSO_AdministratorAccess_1234567890abcdef: allowlisted by pattern /aws-reserved/*"),
            (r#"{"exempt_tag_key":"keep"}"#, tagged(role(&data, days(900)), "keep"), Compliant, "AWSReservedSSO_Data_Engineer_RO_0a1b2c3d4e5f6789: exempt by tag keep"),
            // The path decides, not the name.
            (DEFAULTS, role("/AWSReservedSSO_Admin_0a1b2c3d4e5f6789", days(900)), NonCompliant, "AWSReservedSSO_Admin_0a1b2c3d4e5f6789: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
            (DEFAULTS, role("/aws-reserved/other.amazonaws.com/AWSReservedSSO_Admin_0a1b2c3d4e5f6789", days(900)), NonCompliant, "AWSReservedSSO_Admin_0a1b2c3d4e5f6789: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
        ]);
    }

    #[test]
    fn excluded_identity_center_roles_are_not_applicable_before_allowlist_and_tag() {
        let exclude = r#"{"identity_center_roles":"exclude","role_allowlist":"/aws-reserved/*","exempt_tag_key":"keep"}"#;
        let admin = format!("{SSO_REGIONAL}AWSReservedSSO_AdministratorAccess_1234567890abcdef");
        let odd = format!("{SSO}custom-name");
        let na = "IAM Identity Center role, not evaluated (identity_center_roles=exclude)";
        check(&[
            (exclude, role(&admin, days(900)), NotApplicable, &format!("AWSReservedSSO_AdministratorAccess_1234567890abcdef: {na}")),
            (exclude, used(role(&admin, days(900)), days(1), Some("eu-west-2")), NotApplicable, &format!("AWSReservedSSO_AdministratorAccess_1234567890abcdef: {na}")),
            (exclude, tagged_with(role(&odd, days(3)), "keep", "until=soon"), NotApplicable, &format!("custom-name: {na}")),
            // Other roles are untouched by the mode.
            (exclude, role("/aws-reserved/x", days(900)), Compliant, "x: allowlisted by pattern /aws-reserved/*"),
            (r#"{"identity_center_roles":"exclude"}"#, role("/ordinary", days(900)), NonCompliant, "ordinary: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
            (r#"{"identity_center_roles":"exclude"}"#, role("/aws-service-role/x/AWSServiceRoleForX", days(900)), NotApplicable, "AWSServiceRoleForX: service-linked role, not evaluated (service_linked_roles=exclude)"),
        ]);
    }

    #[test]
    fn no_advice_suggests_delete_role_for_roles_aws_manages() {
        let evaluate_all = params(r#"{"service_linked_roles":"evaluate"}"#);
        for path in [
            "/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
            "/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b2c3d4e5f6789",
        ] {
            let got = evaluate_role(&role(path, days(900)), &evaluate_all, now());
            assert_eq!(got.compliance, NonCompliant);
            assert!(
                !got.annotation.contains("delete-role"),
                "{}",
                got.annotation
            );
        }
    }

    const KEEP: &str = r#"{"exempt_tag_key":"keep","role_allowlist":"/allowed"}"#;

    #[test]
    fn dated_exemptions_hold_through_their_day_and_then_say_they_expired() {
        let kept = |value: &str| tagged_with(role("/kept", days(900)), "keep", value);
        let kept_used = |value: &str, ago: i64| {
            tagged_with(
                used(role("/kept", days(900)), days(ago), Some("eu-west-1")),
                "keep",
                value,
            )
        };
        // now() is 2026-01-01T00:00:00Z.
        check(&[
            (KEEP, kept("until=2026-01-01"), Compliant, "kept: exempt by tag keep until 2026-01-01"),
            (KEEP, kept("until=2027-03-31; DR role, owner ops"), Compliant, "kept: exempt by tag keep until 2027-03-31 (DR role, owner ops)"),
            (KEEP, kept(" UNTIL = 2026-06-30 ;  "), Compliant, "kept: exempt by tag keep until 2026-06-30"),
            // The forms a real IAM tag value can hold: no ';' or ',' there.
            (KEEP, kept("until=2027-03-31 DR role - owner ops@example.com"), Compliant, "kept: exempt by tag keep until 2027-03-31 (DR role - owner ops@example.com)"),
            (KEEP, kept("until=2027-03-31 / DR"), Compliant, "kept: exempt by tag keep until 2027-03-31 (DR)"),
            (KEEP, kept("until=2025-12-31"), NonCompliant, "kept: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold; exemption tag keep expired after 2025-12-31"),
            (KEEP, kept_used("until=2025-06-30; migration", 80), NonCompliant, "kept: last used 2025-10-13 in eu-west-1, over the 60-day threshold; exemption tag keep expired after 2025-06-30"),
            (KEEP, kept_used("until=2025-06-30", 3), Compliant, "kept: used within the 60-day threshold; exemption tag keep expired after 2025-06-30"),
            // Key-only: any other value, for ever.
            (KEEP, kept("quarterly job see FIN-1423"), Compliant, "kept: exempt by tag keep"),
            (KEEP, kept(""), Compliant, "kept: exempt by tag keep"),
            // The allowlist comes first: its roles' tags are not read.
            (KEEP, tagged_with(role("/allowed", days(900)), "keep", "until=soon"), Compliant, "allowed: allowlisted by pattern /allowed"),
            // Another key's date means nothing.
            (KEEP, tagged_with(role("/other", days(900)), "keep-until", "until=2030-01-01"), NonCompliant, "other: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold"),
        ]);
        let end_of_day = Utc.with_ymd_and_hms(2026, 1, 1, 23, 59, 59).unwrap();
        let next_day = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        check_at(
            end_of_day,
            &[(
                KEEP,
                kept("until=2026-01-01"),
                Compliant,
                "kept: exempt by tag keep until 2026-01-01",
            )],
        );
        check_at(next_day, &[(KEEP, kept("until=2026-01-01"), NonCompliant, "kept: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold; exemption tag keep expired after 2026-01-01")]);
    }

    #[test]
    fn an_exemption_that_is_not_a_date_is_ignored_and_says_why() {
        let kept = |value: &str| tagged_with(role("/kept", days(900)), "keep", value);
        let never = "kept: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold";
        check(&[
            (KEEP, kept("until=soon"), NonCompliant, &format!("{never}; exemption tag keep ignored: \"until=soon\" is not a date YYYY-MM-DD")),
            (KEEP, kept("until=2027-02-30"), NonCompliant, &format!("{never}; exemption tag keep ignored: \"until=2027-02-30\" names a day that does not exist")),
            (KEEP, kept("until=2027-3-31; DR"), NonCompliant, &format!("{never}; exemption tag keep ignored: \"until=2027-3-31; DR\" is not a date YYYY-MM-DD")),
            (KEEP, kept("until 2026-03-31"), NonCompliant, &format!("{never}; exemption tag keep ignored: \"until 2026-03-31\" is not until=YYYY-MM-DD")),
            (KEEP, kept("Until further notice"), NonCompliant, &format!("{never}; exemption tag keep ignored: \"Until further notice\" is not until=YYYY-MM-DD")),
            // A date out of place is an attempt at one too, never an exemption for ever.
            (KEEP, kept("2020-01-01"), NonCompliant, &format!("{never}; exemption tag keep ignored: \"2020-01-01\" must start with until=YYYY-MM-DD")),
            (KEEP, kept("DR until=2027-03-31"), NonCompliant, &format!("{never}; exemption tag keep ignored: \"DR until=2027-03-31\" must start with until=YYYY-MM-DD")),
            // Evaluated normally: a young role stays compliant, and still hears of its tag.
            (KEEP, tagged_with(role("/young", days(5)), "keep", "until=soon"), Compliant, "young: created 2025-12-27, within the 60-day threshold; exemption tag keep ignored: \"until=soon\" is not a date YYYY-MM-DD"),
        ]);
    }

    #[test]
    fn user_text_in_an_exemption_is_cut_and_never_pushes_the_name_out() {
        let long_note = format!("until=2027-03-31; {}", "n".repeat(300));
        let got = evaluate_role(
            &tagged_with(role("/kept", days(900)), "keep", &long_note),
            &params(KEEP),
            now(),
        );
        assert_eq!(
            got.annotation,
            format!(
                "kept: exempt by tag keep until 2027-03-31 ({}…)",
                "n".repeat(59)
            )
        );

        let long_value = format!("until={}", "x".repeat(250));
        let got = evaluate_role(
            &tagged_with(role("/kept", days(900)), "keep", &long_value),
            &params(KEEP),
            now(),
        );
        assert_eq!(
            got.annotation,
            format!("kept: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold; exemption tag keep ignored: \"until={}…\" is not a date YYYY-MM-DD", "x".repeat(33))
        );

        // The longest names and keys IAM allows: the name, the verdict and the permission set
        // come first, whole; only the end of the advice is cut.
        let key = "k".repeat(128);
        let name = format!("AWSReservedSSO_{}_0a1b2c3d4e5f6789", "P".repeat(32));
        assert_eq!(name.len(), 64);
        let got = evaluate_role(
            &tagged_with(
                role(&format!("{SSO}{name}"), days(9999)),
                &key,
                "until=soon",
            ),
            &params(&format!(r#"{{"exempt_tag_key":"{key}"}}"#)),
            now(),
        );
        assert!(got.annotation.chars().count() <= MAX_ANNOTATION_CHARS);
        let advice = format!("{name}: no use recorded by IAM (it tracks up to 400 days), created 1998-08-17, over the 60-day threshold; IAM Identity Center permission set {} : remove its assignment", "P".repeat(32)).replace(" :", ":");
        assert!(got.annotation.starts_with(&advice), "{}", got.annotation);
        assert!(got.annotation.ends_with('…'), "{}", got.annotation);
    }

    #[test]
    fn long_annotations_are_cut_on_a_character_boundary_with_a_marker() {
        // IAM names are ASCII, but nothing stops a path or a tag key from being multi-byte.
        let name = "rôle-é".repeat(40); // 240 characters, 320 bytes
        let got = evaluate_role(
            &used(
                role(&format!("/{name}"), days(500)),
                days(100),
                Some("eu-west-1"),
            ),
            &params(DEFAULTS),
            now(),
        );
        assert_eq!(got.annotation.chars().count(), MAX_ANNOTATION_CHARS);
        assert!(
            got.annotation.starts_with(&name),
            "starts with the role name"
        );
        assert!(got.annotation.ends_with('…'), "{}", got.annotation);

        let exact = "x".repeat(MAX_ANNOTATION_CHARS);
        assert_eq!(
            truncate_annotation(exact.clone()),
            exact,
            "256 characters are kept whole"
        );
        let over = format!("{exact}é");
        let cut = truncate_annotation(over);
        assert_eq!(cut.chars().count(), MAX_ANNOTATION_CHARS);
        assert_eq!(cut, format!("{}…", "x".repeat(MAX_ANNOTATION_CHARS - 1)));
    }

    #[test]
    fn whole_days_floor_in_utc() {
        let t = now();
        for (from, expected) in [
            (t, 0),
            (t - Duration::seconds(86_399), 0),
            (t - Duration::seconds(86_400), 1),
            (t - days(60) - Duration::hours(23), 60),
            (t + Duration::hours(5), 0),
        ] {
            assert_eq!(whole_days(from, t), expected, "from {from}");
        }
    }

    #[test]
    fn results_of_vanished_resources_become_not_applicable_naming_the_id() {
        let vanished = [
            (ResourceType::IamRole, "AROAGONE"),
            (ResourceType::IamRole, "my-old-role-name"),
            (ResourceType::IamUser, "AIDAGONE"),
        ];
        let got: Vec<_> = clean_up_evaluations(&vanished)
            .into_iter()
            .map(|e| (e.resource_type, e.resource_id, e.compliance, e.annotation))
            .collect();
        let expected = [
            (
                ResourceType::IamRole,
                "AROAGONE",
                "AROAGONE: role no longer exists",
            ),
            (
                ResourceType::IamRole,
                "my-old-role-name",
                "my-old-role-name: role no longer exists",
            ),
            (
                ResourceType::IamUser,
                "AIDAGONE",
                "AIDAGONE: user no longer exists",
            ),
        ]
        .map(|(t, id, a)| (t, id.to_owned(), NotApplicable, a.to_owned()));
        assert_eq!(got, expected);
    }

    #[test]
    fn evaluate_keeps_order_and_tallies() {
        let roles = [
            role("/a", days(900)),
            role("/b", days(1)),
            role("/aws-service-role/x/c", days(1)),
        ];
        let evaluations = evaluate(&roles, &params(DEFAULTS), now());
        let ids: Vec<_> = evaluations.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(
            Tally::of(&evaluations),
            Tally {
                compliant: 1,
                non_compliant: 1,
                not_applicable: 1
            }
        );
    }

    /// An account no verdict of which changes within a week: used roles stay within the
    /// threshold, young roles stay young, the dated exemption holds.
    fn unchanging_roles() -> Vec<Role> {
        let admin = format!("{SSO}AWSReservedSSO_AdministratorAccess_1234567890abcdef");
        vec![
            role("/young", days(10)),
            role("/never", days(900)),
            used(role("/stale", days(500)), days(100), Some("us-east-1")),
            used(role("/stale-noregion", days(500)), days(90), None),
            used(role("/recent", days(500)), days(3), Some("eu-west-1")),
            used(role(&admin, days(900)), days(75), Some("us-east-1")),
            role("/aws-service-role/x/AWSServiceRoleForX", days(900)),
            role("/allowed", days(900)),
            tagged(role("/kept", days(900)), "keep"),
            tagged_with(
                role("/kept-dated", days(900)),
                "keep",
                "until=2026-03-31 DR",
            ),
            tagged_with(
                used(role("/expired", days(900)), days(80), Some("eu-west-1")),
                "keep",
                "until=2025-06-30",
            ),
            tagged_with(role("/invalid", days(900)), "keep", "until=soon"),
        ]
    }

    #[test]
    fn annotations_stay_the_same_from_day_to_day_while_no_verdict_changes() {
        let roles = unchanging_roles();
        let params = params(KEEP);
        let today = evaluate(&roles, &params, now());
        for later in [now() + days(1), now() + days(7)] {
            let then = evaluate(&roles, &params, later);
            for (a, b) in today.iter().zip(&then) {
                assert_eq!(a.compliance, b.compliance, "no verdict changes: {}", a.name);
                assert_eq!(a.annotation, b.annotation, "at {later}");
            }
        }
        // A role in use moves its last use, and maybe its Region, with every use: Config hears
        // the same verdict.
        let in_use = |ago, region| used(role("/recent", days(500)), ago, Some(region));
        let recent = evaluate_role(&in_use(days(3), "eu-west-1"), &params, now());
        let next_day = evaluate_role(&in_use(days(2), "us-east-2"), &params, now() + days(1));
        assert_eq!(recent.annotation, next_day.annotation);
        // People still read ages, which grow with every day.
        let stale = |at| {
            evaluate(&roles, &params, at)
                .into_iter()
                .find(|e| e.name == "stale")
                .unwrap()
                .detail
        };
        assert_eq!(
            stale(now()),
            "stale: last used 100 days ago in us-east-1, over the 60-day threshold"
        );
        assert_eq!(
            stale(now() + days(1)),
            "stale: last used 101 days ago in us-east-1, over the 60-day threshold"
        );
    }

    #[test]
    fn a_changed_threshold_changes_every_annotation_that_depends_on_it() {
        let roles = unchanging_roles();
        let before = evaluate(&roles, &params(KEEP), now());
        let after = evaluate(
            &roles,
            &params(
                r#"{"exempt_tag_key":"keep","role_allowlist":"/allowed","max_days_for_last_used":"70"}"#,
            ),
            now(),
        );
        let changed: Vec<&str> = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a.annotation != b.annotation)
            .map(|(a, _)| a.name.as_str())
            .collect();
        // Allowlisted, exempt and excluded roles do not depend on it.
        assert_eq!(
            changed,
            [
                "young",
                "never",
                "stale",
                "stale-noregion",
                "recent",
                "AWSReservedSSO_AdministratorAccess_1234567890abcdef",
                "expired",
                "invalid"
            ]
        );
    }

    /// Each verdict on a role's use, as Config gets it and as people read it.
    #[test]
    fn the_detail_words_the_same_verdict_with_ages() {
        let admin = format!("{SSO}AWSReservedSSO_AdministratorAccess_1234567890abcdef");
        let cases = [
            (
                role("/young", days(12)),
                "young: created 2025-12-20, within the 60-day threshold",
                "young: created 12 days ago, within the 60-day threshold",
            ),
            (
                role("/never", days(900)),
                "never: no use recorded by IAM (it tracks up to 400 days), created 2023-07-16, over the 60-day threshold",
                "never: no use recorded by IAM (it tracks up to 400 days), created 900 days ago, over the 60-day threshold",
            ),
            (
                used(role("/stale", days(500)), days(61), Some("us-east-1")),
                "stale: last used 2025-11-01 in us-east-1, over the 60-day threshold",
                "stale: last used 61 days ago in us-east-1, over the 60-day threshold",
            ),
            (
                used(role("/noregion", days(500)), days(1), None),
                "noregion: used within the 60-day threshold",
                "noregion: last used 1 day ago, within the 60-day threshold",
            ),
            (
                used(role("/recent", days(500)), days(3), Some("eu-west-1")),
                "recent: used within the 60-day threshold",
                "recent: last used 3 days ago in eu-west-1, within the 60-day threshold",
            ),
            (
                used(role(&admin, days(900)), days(75), Some("us-east-1")),
                "AWSReservedSSO_AdministratorAccess_1234567890abcdef: last used 2025-10-18 in us-east-1, over the 60-day threshold; IAM Identity Center permission set AdministratorAccess: remove its assignment to this account",
                "AWSReservedSSO_AdministratorAccess_1234567890abcdef: last used 75 days ago in us-east-1, over the 60-day threshold; IAM Identity Center permission set AdministratorAccess: remove its assignment to this account",
            ),
            (
                tagged_with(role("/kept", days(900)), "keep", "until=2026-03-31 DR"),
                "kept: exempt by tag keep until 2026-03-31 (DR)",
                "kept: exempt by tag keep until 2026-03-31 (DR)",
            ),
        ];
        for (role, annotation, detail) in cases {
            let got = evaluate_role(&role, &params(KEEP), now());
            assert_eq!(
                (got.annotation.as_str(), got.detail.as_str()),
                (annotation, detail)
            );
        }
        let gone = clean_up_evaluations(&[(ResourceType::IamRole, "AROAGONE")]);
        assert_eq!(gone[0].detail, gone[0].annotation);
    }

    /// The cells of each row of the first `| # |` table in the README after `heading`.
    pub(super) fn readme_table(heading: &str) -> Vec<Vec<&'static str>> {
        let readme = include_str!("../../README.md");
        let section = readme
            .split(heading)
            .nth(1)
            .unwrap_or_else(|| panic!("the README has the section {heading:?}"));
        section
            .lines()
            .skip_while(|l| !l.starts_with("| # |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
            .collect()
    }

    /// One role per row of the README's rules table, built here; the table gives the result
    /// and the annotation (NAME stands for the role name).
    #[test]
    fn the_readme_table_matches_the_evaluator() {
        let rows = readme_table("\n## What it reports\n");
        let tags = r#"{"exempt_tag_key":"keep","role_allowlist":"/service-role/*"}"#;
        let cases: Vec<(&str, &str, Role)> = vec![
            (
                "1",
                DEFAULTS,
                role("/aws-service-role/x/AWSServiceRoleForX", days(900)),
            ),
            (
                "1b",
                r#"{"identity_center_roles":"exclude"}"#,
                role(
                    &format!("{SSO}AWSReservedSSO_Admin_0a1b2c3d4e5f6789"),
                    days(900),
                ),
            ),
            ("2", tags, role("/service-role/codebuild", days(900))),
            ("3", tags, tagged(role("/kept", days(900)), "keep")),
            (
                "3b",
                tags,
                tagged_with(
                    role("/kept", days(900)),
                    "keep",
                    "until=2026-03-31 DR role - owner ops",
                ),
            ),
            ("4", DEFAULTS, role("/young", days(12))),
            ("5", DEFAULTS, role("/never", days(900))),
            (
                "6",
                DEFAULTS,
                used(role("/stale", days(500)), days(61), Some("us-east-1")),
            ),
            (
                "7",
                DEFAULTS,
                used(role("/recent", days(500)), days(3), Some("eu-west-1")),
            ),
        ];
        assert_eq!(
            rows.iter().map(|r| r[0]).collect::<Vec<_>>(),
            cases.iter().map(|c| c.0).chain(["–"]).collect::<Vec<_>>(),
            "the README's rows and this test's cases"
        );
        for (row, (id, json, role)) in rows.iter().zip(&cases) {
            let got = evaluate_role(role, &params(json), now());
            let annotation = row[3].trim_matches('`').replace("NAME", &role.name);
            assert_eq!(
                (got.compliance.as_str(), got.annotation.as_str()),
                (row[2], annotation.as_str()),
                "README row {id}"
            );
        }
        let gone = &clean_up_evaluations(&[(ResourceType::IamRole, "AROA…")])[0];
        let last = rows.last().unwrap();
        assert_eq!(
            (gone.compliance.as_str(), gone.annotation.as_str()),
            (last[2], last[3].trim_matches('`')),
            "README row –"
        );
    }
}
