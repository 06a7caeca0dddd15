//! The rule itself, pure: roles + parameters + `now` in, one evaluation per role out.
//! No SDK types, no clock, no logging.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::params::{RuleParameters, ServiceLinkedRoles, TRACKING_WINDOW_DAYS};
use crate::role::Role;

/// PutEvaluations rejects longer annotations.
pub const MAX_ANNOTATION_CHARS: usize = 256;
const TRUNCATION_MARKER: char = '…';

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compliance {
    NonCompliant,
    Compliant,
    NotApplicable,
}

impl Compliance {
    /// The value AWS Config's `ComplianceType` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "COMPLIANT",
            Self::NonCompliant => "NON_COMPLIANT",
            Self::NotApplicable => "NOT_APPLICABLE",
        }
    }
}

/// Which rule decided a role's result; the first that applies wins, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    ServiceLinkedExcluded,
    Allowlisted {
        pattern: String,
    },
    ExemptByTag {
        key: String,
    },
    YoungerThanThreshold {
        age_days: i64,
    },
    NoUseRecorded {
        age_days: i64,
    },
    UnusedTooLong {
        days: i64,
        region: Option<String>,
    },
    UsedRecently {
        days: i64,
        region: Option<String>,
    },
    /// Config still holds a result for a resource id that is no longer among the roles.
    RoleNoLongerExists,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The RoleId: AWS Config's key for `AWS::IAM::Role`.
    pub resource_id: String,
    /// Empty for roles that no longer exist.
    pub role_name: String,
    pub path: String,
    pub compliance: Compliance,
    pub reason: Reason,
    /// At most [`MAX_ANNOTATION_CHARS`] characters, starting with the role name.
    pub annotation: String,
}

impl Evaluation {
    /// Whole days since the role was last used, where IAM recorded a use.
    pub fn days_since_last_use(&self) -> Option<i64> {
        match &self.reason {
            Reason::UnusedTooLong { days, .. } | Reason::UsedRecently { days, .. } => Some(*days),
            _ => None,
        }
    }
}

/// Evaluates every role, in input order.
pub fn evaluate(roles: &[Role], params: &RuleParameters, now: DateTime<Utc>) -> Vec<Evaluation> {
    roles
        .iter()
        .map(|role| evaluate_role(role, params, now))
        .collect()
}

pub fn evaluate_role(role: &Role, params: &RuleParameters, now: DateTime<Utc>) -> Evaluation {
    let (compliance, reason) = decide(role, params, now);
    let annotation = annotate(&role.name, &reason, params);
    Evaluation {
        resource_id: role.role_id.clone(),
        role_name: role.name.clone(),
        path: role.path.clone(),
        compliance,
        reason,
        annotation,
    }
}

fn decide(role: &Role, params: &RuleParameters, now: DateTime<Utc>) -> (Compliance, Reason) {
    if role.is_service_linked() && params.service_linked_roles == ServiceLinkedRoles::Exclude {
        return (Compliance::NotApplicable, Reason::ServiceLinkedExcluded);
    }
    if let Some(pattern) = params.allowlist.first_match(&role.path_and_name()) {
        let pattern = pattern.to_owned();
        return (Compliance::Compliant, Reason::Allowlisted { pattern });
    }
    if let Some(key) = params
        .exempt_tag_key
        .as_deref()
        .filter(|k| role.has_tag_key(k))
    {
        let key = key.to_owned();
        return (Compliance::Compliant, Reason::ExemptByTag { key });
    }
    let threshold = i64::from(params.max_days);
    let age_days = whole_days(role.created, now);
    if age_days <= threshold {
        return (
            Compliance::Compliant,
            Reason::YoungerThanThreshold { age_days },
        );
    }
    let Some(last_used) = &role.last_used else {
        return (Compliance::NonCompliant, Reason::NoUseRecorded { age_days });
    };
    let days = whole_days(last_used.at, now);
    let region = last_used.region.clone();
    if days > threshold {
        (
            Compliance::NonCompliant,
            Reason::UnusedTooLong { days, region },
        )
    } else {
        (Compliance::Compliant, Reason::UsedRecently { days, region })
    }
}

/// floor((to - from) / 24 h); a `from` in the future (clock skew) counts as 0 days.
pub fn whole_days(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().div_euclid(86_400).max(0)
}

fn days(n: i64) -> String {
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

fn annotate(name: &str, reason: &Reason, params: &RuleParameters) -> String {
    let max = params.max_days;
    let text = match reason {
        Reason::ServiceLinkedExcluded => format!(
            "{name}: service-linked role, not evaluated (service_linked_roles={})",
            params.service_linked_roles.as_str()
        ),
        Reason::Allowlisted { pattern } => format!("{name}: allowlisted by pattern {pattern}"),
        Reason::ExemptByTag { key } => format!("{name}: exempt by tag {key}"),
        Reason::YoungerThanThreshold { age_days } => format!(
            "{name}: created {} ago, within the {max}-day threshold",
            days(*age_days)
        ),
        Reason::NoUseRecorded { age_days } => format!(
            "{name}: no use recorded in IAM's {TRACKING_WINDOW_DAYS}-day tracking window, created {} ago",
            days(*age_days)
        ),
        Reason::UnusedTooLong { days: n, region } => format!(
            "{name}: last used {} ago{}, over the {max}-day threshold",
            days(*n),
            in_region(region)
        ),
        Reason::UsedRecently { days: n, region } => {
            format!("{name}: last used {} ago{}", days(*n), in_region(region))
        }
        Reason::RoleNoLongerExists => format!("{name}: role no longer exists"),
    };
    truncate_annotation(text)
}

/// Cuts to [`MAX_ANNOTATION_CHARS`] characters on a character boundary, ending with a visible
/// marker so a reader knows text is missing.
pub fn truncate_annotation(text: String) -> String {
    if text.chars().count() <= MAX_ANNOTATION_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_ANNOTATION_CHARS - 1).collect();
    cut.push(TRUNCATION_MARKER);
    cut
}

/// NOT_APPLICABLE results for resource ids Config still holds but that are no longer roles.
/// The annotation names the resource id: its role name is gone with it.
pub fn stale_evaluations<'a>(
    roles: &[Role],
    recorded_ids: impl IntoIterator<Item = &'a str>,
    params: &RuleParameters,
) -> Vec<Evaluation> {
    let live: HashSet<&str> = roles.iter().map(|r| r.role_id.as_str()).collect();
    let mut seen = HashSet::new();
    recorded_ids
        .into_iter()
        .filter(|id| !live.contains(id) && seen.insert(*id))
        .map(|id| Evaluation {
            resource_id: id.to_owned(),
            role_name: String::new(),
            path: String::new(),
            compliance: Compliance::NotApplicable,
            reason: Reason::RoleNoLongerExists,
            annotation: annotate(id, &Reason::RoleNoLongerExists, params),
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
            }
        }
        tally
    }
}
