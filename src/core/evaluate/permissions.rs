//! The permissions rule, pure: which roles and users need IAM's service last accessed report,
//! in what order, and the verdict on each report. A principal is NON_COMPLIANT when its
//! identity policies grant a service it has not used for more than `max_days_for_service`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::core::access::{self, AccessReport, NoReport};
use crate::core::evaluate::Evaluation;
use crate::core::evaluate::{
    excluded_or_young_verdict, exemption_by_tag, ignored_note, labelled, shared_verdict,
    truncate_annotation, IgnoredExemption, Past, Reason, TagExemption, Wording,
    MAX_ANNOTATION_CHARS,
};
use crate::core::params::{IdentityCenterRoles, PermissionParameters, ServiceLinkedRoles};
use crate::core::privilege::Privilege;
use crate::core::results::{Compliance, RecordedResult, ResourceType};
use crate::core::role::Role;
use crate::core::user::User;

/// The Config resource types the permissions rule reports on.
pub const RESOURCE_TYPES: &[ResourceType] = &[ResourceType::IamRole, ResourceType::IamUser];

/// Unused services named in an annotation before `and N more`.
const MAX_NAMED_SERVICES: usize = 5;

/// A role or a user: whom the rule asks IAM's report about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Role(Role),
    User(User),
}

impl Identity {
    pub fn resource_type(&self) -> ResourceType {
        match self {
            Self::Role(_) => ResourceType::IamRole,
            Self::User(_) => ResourceType::IamUser,
        }
    }

    /// Config's key: the RoleId or the UserId.
    pub fn id(&self) -> &str {
        match self {
            Self::Role(role) => &role.role_id,
            Self::User(user) => &user.user_id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Role(role) => &role.name,
            Self::User(user) => &user.name,
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Self::Role(role) => &role.path,
            Self::User(user) => &user.path,
        }
    }

    /// What GenerateServiceLastAccessedDetails is asked about.
    pub fn arn(&self) -> &str {
        match self {
            Self::Role(role) => &role.arn,
            Self::User(user) => &user.arn,
        }
    }

    fn created(&self) -> DateTime<Utc> {
        match self {
            Self::Role(role) => role.created,
            Self::User(user) => user.created,
        }
    }

    fn tag_value(&self, key: &str) -> Option<&str> {
        match self {
            Self::Role(role) => role.tag_value(key),
            Self::User(user) => user.tag_value(key),
        }
    }

    fn path_and_name(&self) -> String {
        format!("{}{}", self.path(), self.name())
    }

    /// What its identity policies let it do, from the IAM read.
    pub fn privilege(&self) -> &Privilege {
        match self {
            Self::Role(role) => &role.privilege,
            Self::User(user) => &user.privilege,
        }
    }
}

/// What is known of a principal before its report: decided already, or waiting for IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Triage {
    /// Not applicable, allowlisted, exempt or younger than the threshold: no report needed.
    Decided(Evaluation),
    /// Needs a report; an exempt tag that did not exempt is remembered for the annotation.
    NeedsReport(Pending),
}

/// A principal waiting for its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    ignored: Option<IgnoredExemption>,
}

/// The rules decided before any report, in the other rules' order: AWS-managed roles, then the
/// allowlist, the exempt tag and the principal's age.
pub fn triage(identity: &Identity, params: &PermissionParameters, now: DateTime<Utc>) -> Triage {
    let decided = |compliance, reason| {
        Triage::Decided(evaluation(identity, compliance, reason, None, params))
    };
    if let Identity::Role(role) = identity {
        if role.is_service_linked() && params.service_linked_roles == ServiceLinkedRoles::Exclude {
            return decided(Compliance::NotApplicable, Reason::ServiceLinkedExcluded);
        }
        if role.is_identity_center() && params.identity_center_roles == IdentityCenterRoles::Exclude
        {
            return decided(Compliance::NotApplicable, Reason::IdentityCenterExcluded);
        }
    }
    let allowlist = match identity {
        Identity::Role(_) => &params.role_allowlist,
        Identity::User(_) => &params.user_allowlist,
    };
    if let Some(pattern) = allowlist.first_match(&identity.path_and_name()) {
        let pattern = pattern.to_owned();
        return decided(Compliance::Compliant, Reason::Allowlisted { pattern });
    }
    let ignored = match exemption_by_tag(
        params.exempt_tag_key.as_deref(),
        |k| identity.tag_value(k),
        now,
    ) {
        TagExemption::Exempt(reason) => return decided(Compliance::Compliant, reason),
        TagExemption::Ignored(ignored) => Some(ignored),
        TagExemption::None => None,
    };
    // A principal younger than the threshold cannot have left a service unused that long.
    let created = Past::of(identity.created(), now);
    if created.days <= i64::from(params.max_days) {
        return Triage::Decided(evaluation(
            identity,
            Compliance::Compliant,
            Reason::YoungerThanThreshold { created },
            ignored.as_ref(),
            params,
        ));
    }
    Triage::NeedsReport(Pending { ignored })
}

/// The principals waiting for a report, in the order they are wanted: the `due` first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue<'a, T> {
    pub order: Vec<(&'a Identity, T)>,
    /// How many of `order`, from the front, are due: Config holds no result for them (or one
    /// without a time), or one recorded before the refresh cutoff. A run that cannot reach them
    /// all leaves `remaining` principals for the next.
    pub due: usize,
}

/// The order reports are wanted in: principals Config holds no result for first, then those
/// whose result Config recorded before `refresh_before`, oldest first (`ResultRecordedTime`),
/// in input order among equals. A due principal's result is sent even unchanged, so its time
/// moves on and successive runs go round the whole account. The principals not due follow in
/// an order that changes with `rotation` (each run's own), so a run with time to spare
/// re-checks a different share of them each time and a change shows before its refresh.
pub fn order_of_need<'a, T>(
    waiting: Vec<(&'a Identity, T)>,
    recorded: &[RecordedResult],
    refresh_before: DateTime<Utc>,
    rotation: u64,
) -> Queue<'a, T> {
    let mut recorded_at: HashMap<(ResourceType, &str), Option<DateTime<Utc>>> = HashMap::new();
    for result in recorded {
        let key = (result.resource_type, result.resource_id.as_str());
        // Listed twice: the older time decides, so a conflict is looked at sooner.
        recorded_at
            .entry(key)
            .and_modify(|at| *at = (*at).min(result.recorded))
            .or_insert(result.recorded);
    }
    let (mut due, mut fresh): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|(identity, _)| {
        recorded_at
            .get(&(identity.resource_type(), identity.id()))
            .copied()
            .flatten()
            .is_none_or(|at| at < refresh_before)
    });
    // None (no result held, or one without a time) sorts before any time.
    due.sort_by_key(|(identity, _)| {
        recorded_at
            .get(&(identity.resource_type(), identity.id()))
            .copied()
            .flatten()
    });
    fresh.sort_by_key(|(identity, _)| rotated(identity.id(), rotation));
    let due_count = due.len();
    due.extend(fresh);
    Queue {
        order: due,
        due: due_count,
    }
}

/// FNV-1a of `id` and `rotation`: a stable, well-spread order for one run.
fn rotated(id: &str, rotation: u64) -> u64 {
    id.bytes()
        .chain(rotation.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// The verdict on a principal's completed report.
pub fn judge(
    identity: &Identity,
    pending: &Pending,
    report: &AccessReport,
    params: &PermissionParameters,
    now: DateTime<Utc>,
) -> Evaluation {
    let usage = access::usage(report, now, params.max_days);
    let tracked_actions = usage.tracked_actions_of_used;
    let unused_actions = usage.unused_actions_of_used.len();
    let (compliance, reason) = if usage.unused.is_empty() {
        (
            Compliance::Compliant,
            Reason::ServicesUsed {
                granted: report.services.len(),
                tracked_actions,
                unused_actions,
            },
        )
    } else {
        (
            Compliance::NonCompliant,
            Reason::ServicesUnused {
                granted: report.services.len(),
                unused: usage.unused.iter().map(|s| s.namespace.clone()).collect(),
                tracked_actions,
                unused_actions,
            },
        )
    };
    evaluation(
        identity,
        compliance,
        reason,
        pending.ignored.as_ref(),
        params,
    )
}

/// A principal that needed a report and has none this run: INSUFFICIENT_DATA, so it is not
/// sent and Config keeps what it holds.
pub fn without_report(
    identity: &Identity,
    why: Option<&NoReport>,
    params: &PermissionParameters,
) -> Evaluation {
    let reason = match why {
        None => Reason::NotChecked,
        Some(problem) => Reason::NoAccessReport {
            problem: problem.to_string(),
        },
    };
    evaluation(identity, Compliance::InsufficientData, reason, None, params)
}

fn evaluation(
    identity: &Identity,
    compliance: Compliance,
    reason: Reason,
    ignored: Option<&IgnoredExemption>,
    params: &PermissionParameters,
) -> Evaluation {
    let annotate = |wording| {
        let suffix = ignored.map(ignored_note).unwrap_or_default();
        fit(identity, compliance, &reason, params, wording, &suffix)
    };
    let (annotation, detail) = (annotate(Wording::Stable), annotate(Wording::Ages));
    Evaluation {
        resource_type: identity.resource_type(),
        resource_id: identity.id().to_owned(),
        name: identity.name().to_owned(),
        path: identity.path().to_owned(),
        compliance,
        reason,
        annotation,
        detail,
    }
}

/// `[LABEL: ]name: verdict[suffix]`, naming as many unused services as fit in Config's 256
/// characters (at most [`MAX_NAMED_SERVICES`]) before it has to cut. A finding carries the
/// principal's privilege label, as in the other rules.
fn fit(
    identity: &Identity,
    compliance: Compliance,
    reason: &Reason,
    params: &PermissionParameters,
    wording: Wording,
    suffix: &str,
) -> String {
    let text = |named| {
        let text = format!(
            "{}: {}{suffix}",
            identity.name(),
            verdict(reason, params, wording, named)
        );
        labelled(compliance, identity.privilege(), text)
    };
    for named in (1..=MAX_NAMED_SERVICES).rev() {
        let candidate = text(named);
        if candidate.chars().count() <= MAX_ANNOTATION_CHARS {
            return candidate;
        }
    }
    truncate_annotation(text(1))
}

/// The verdict without the name; `named`: how many unused services to name.
fn verdict(
    reason: &Reason,
    params: &PermissionParameters,
    wording: Wording,
    named: usize,
) -> String {
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
    shared_verdict(reason).unwrap_or_else(|| reason_text(reason, max, named))
}

/// The permissions rule's own reasons, worded the same for Config and for people (they hold
/// counts and names, no dates).
pub(crate) fn reason_text(reason: &Reason, max_days: u32, named: usize) -> String {
    match reason {
        Reason::ServicesUnused {
            granted,
            unused,
            tracked_actions,
            unused_actions,
        } => {
            let used = granted - unused.len();
            let shown: Vec<&str> = unused.iter().take(named).map(String::as_str).collect();
            let more = unused.len() - shown.len();
            let list = match more {
                0 => and_list(&shown),
                n => format!("{} and {n} more", shown.join(", ")),
            };
            format!(
                "uses {used} of {granted} granted services; unused {max_days}+ days: {list}{}",
                actions_clause(*tracked_actions, *unused_actions)
            )
        }
        Reason::ServicesUsed { granted: 0, .. } => {
            "its identity policies grant no service".to_owned()
        }
        Reason::ServicesUsed {
            granted,
            tracked_actions,
            unused_actions,
        } => format!(
            "uses all {granted} granted {} within the {max_days}-day threshold{}",
            if *granted == 1 { "service" } else { "services" },
            actions_clause(*tracked_actions, *unused_actions)
        ),
        Reason::NotChecked => "not checked this run: the run's time ran out first".to_owned(),
        Reason::NoAccessReport { problem } => format!("no report from IAM this run: {problem}"),
        _ => String::new(),
    }
}

fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `; 4 of 20 tracked actions unused in the services it uses`, when IAM tracks any.
fn actions_clause(tracked: usize, unused: usize) -> String {
    if tracked == 0 {
        return String::new();
    }
    format!("; {unused} of {tracked} tracked actions unused in the services it uses")
}

#[cfg(test)]
mod tests;
