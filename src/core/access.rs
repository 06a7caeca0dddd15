//! What IAM's service last accessed report says of one principal: the services its identity
//! policies grant, when each was last used and, where IAM tracks them, the actions within.
//! The adapter (`aws::access_advisor`) converts IAM's answer into these types once.

use chrono::{DateTime, Utc};

/// One completed report (`GenerateServiceLastAccessedDetails` with `Granularity`
/// `ACTION_LEVEL`, then every page of `GetServiceLastAccessedDetails`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReport {
    /// The principal's ARN the report was generated for.
    pub arn: String,
    /// IAM's `JobCompletionDate`.
    pub completed: DateTime<Utc>,
    /// Every service the principal's identity policies grant, in IAM's order. Empty when no
    /// policy grants anything.
    pub services: Vec<ServiceAccess>,
}

/// One granted service (`ServiceLastAccessed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccess {
    /// `ServiceNamespace`, the prefix of the service's actions: `s3`.
    pub namespace: String,
    /// `ServiceName`: `Amazon S3`.
    pub name: String,
    /// `LastAuthenticated`: None when nobody used the service through this principal within
    /// IAM's tracking period.
    pub last_authenticated: Option<DateTime<Utc>>,
    /// `LastAuthenticatedRegion`.
    pub region: Option<String>,
    /// `TrackedActionsLastAccessed`: the tracked actions IAM lists, each with its last use.
    /// None when IAM lists none: it tracks no action of the service (most services), or, as
    /// the API reference allows, none was used within the tracking period.
    pub tracked_actions: Option<Vec<ActionAccess>>,
}

/// One tracked action (`TrackedActionLastAccessed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionAccess {
    /// The action without its service prefix: `CreateBucket`.
    pub name: String,
    /// `LastAccessedTime`: None when not used within the tracking period.
    pub last_accessed: Option<DateTime<Utc>>,
    /// `LastAccessedRegion`.
    pub region: Option<String>,
}

/// Why a principal has no report this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoReport {
    /// IAM answered `NoSuchEntity` to the Generate call: the principal was deleted after the
    /// account was read.
    Deleted,
    /// The job ended `FAILED`, with IAM's error code and message.
    JobFailed { code: String, message: String },
    /// The job was still `IN_PROGRESS` when the time allowed for it ran out.
    StillInProgress { waited_ms: u128 },
    /// A call failed after the SDK's retries (throttling included), named with IAM's code.
    CallFailed {
        operation: &'static str,
        code: Option<String>,
        message: String,
    },
}

/// The error codes AWS throttles with (IAM answers `Throttling`).
const THROTTLING_CODES: [&str; 3] = ["Throttling", "ThrottlingException", "RequestLimitExceeded"];

/// The error codes AWS refuses a call with for want of permission.
const ACCESS_DENIED_CODES: [&str; 2] = ["AccessDenied", "AccessDeniedException"];

impl NoReport {
    /// The caller may not make the call: every other principal's report would fail the same.
    pub fn is_access_denied(&self) -> bool {
        matches!(self, Self::CallFailed { code: Some(code), .. } if ACCESS_DENIED_CODES.contains(&code.as_str()))
    }

    /// IAM refused a call for the account's request rate, after the SDK's own retries: the
    /// report can be asked again later in the run.
    pub fn is_throttling(&self) -> bool {
        matches!(self, Self::CallFailed { code: Some(code), .. } if THROTTLING_CODES.contains(&code.as_str()))
    }
}

impl std::fmt::Display for NoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Deleted => f.write_str("IAM no longer knows the principal (NoSuchEntity)"),
            Self::JobFailed { code, message } => {
                write!(f, "IAM's report job failed: {code}: {message}")
            }
            Self::StillInProgress { waited_ms } => {
                write!(
                    f,
                    "IAM's report job was still IN_PROGRESS after {waited_ms} ms"
                )
            }
            Self::CallFailed {
                operation,
                code,
                message,
            } => write!(
                f,
                "{operation} failed: {}{message}",
                code.as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default()
            ),
        }
    }
}

/// How a report reads against a threshold: the services used within it and those not, and the
/// tracked actions of the used services that were not. One split serves the rule's verdict and
/// role-audit's table and suggested policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage<'a> {
    pub used: Vec<&'a ServiceAccess>,
    /// Not used within the threshold, sorted by namespace.
    pub unused: Vec<&'a ServiceAccess>,
    /// Tracked actions of the used services, and of those the ones not used within the
    /// threshold (as `namespace:Action`, sorted).
    pub tracked_actions_of_used: usize,
    pub unused_actions_of_used: Vec<String>,
}

/// Whether a use last recorded `at` (None: none recorded) is more than `max_days` whole days
/// before `now`: the one test of "unused" for services and actions alike.
pub fn is_unused(at: Option<DateTime<Utc>>, now: DateTime<Utc>, max_days: u32) -> bool {
    at.is_none_or(|at| crate::core::evaluate::whole_days(at, now) > i64::from(max_days))
}

/// Splits `report` at `max_days` whole days before `now`: a service or action is used when
/// IAM recorded a use at most `max_days` days ago.
pub fn usage(report: &AccessReport, now: DateTime<Utc>, max_days: u32) -> Usage<'_> {
    let within = |at: Option<DateTime<Utc>>| !is_unused(at, now, max_days);
    let (used, mut unused): (Vec<&ServiceAccess>, Vec<&ServiceAccess>) = report
        .services
        .iter()
        .partition(|s| within(s.last_authenticated));
    unused.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    let mut tracked_actions_of_used = 0;
    let mut unused_actions_of_used = Vec::new();
    for service in &used {
        for action in service.tracked_actions.iter().flatten() {
            tracked_actions_of_used += 1;
            if !within(action.last_accessed) {
                unused_actions_of_used.push(format!("{}:{}", service.namespace, action.name));
            }
        }
    }
    unused_actions_of_used.sort();
    Usage {
        used,
        unused,
        tracked_actions_of_used,
        unused_actions_of_used,
    }
}

/// Which kind of principal a suggested policy is for: IAM limits their inline policies
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Role,
    User,
}

/// How a suggested policy takes unused services away without touching the existing policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyForm {
    /// An inline (or customer managed) policy of one Deny statement.
    Inline,
    /// A permissions boundary: Allow `*` on `*` plus the same Deny. A boundary caps what the
    /// identity policies grant, so a boundary of the Deny alone would allow nothing at all.
    Boundary,
}

/// IAM's size limits on policy documents, in characters not counting whitespace
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>): the
/// aggregate of a role's inline policies, of a user's, and one managed policy (a boundary is a
/// managed policy).
pub const ROLE_INLINE_LIMIT: usize = 10_240;
pub const USER_INLINE_LIMIT: usize = 2_048;
pub const MANAGED_POLICY_LIMIT: usize = 6_144;

/// An unused service the suggestion does not deny, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub namespace: String,
    pub reason: &'static str,
}

/// Why `iam` is never denied: the report cannot show all of its use.
pub const IAM_LEFT_OUT: &str = "iam:PassRole is never recorded in last accessed data, so iam can look unused while the principal passes roles every day";
/// Why `sts` is never denied.
pub const STS_LEFT_OUT: &str = "a Deny of sts:* also stops the principal from assuming other roles and getting session tokens, uses that are easy to miss; deny it yourself once you know it is not needed";

/// A policy document, its fields in the order IAM's own documents show them.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDocument {
    version: &'static str,
    statement: Vec<Statement>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    sid: String,
    effect: &'static str,
    action: Actions,
    resource: &'static str,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Actions {
    All(&'static str),
    List(Vec<String>),
}

/// A policy a person could attach to take the unused services away: a suggestion to review,
/// never applied by this project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySuggestion {
    pub form: PolicyForm,
    /// The namespaces denied (`<ns>:*` each), sorted.
    pub denied: Vec<String>,
    pub left_out: Vec<LeftOut>,
    /// The policy document, pretty-printed; None when every unused service is left out.
    pub document: Option<String>,
    /// The document's length as IAM counts it (whitespace excluded).
    pub size: usize,
    /// The size limits the document exceeds, one sentence each.
    pub warnings: Vec<String>,
}

/// The suggested policy for the unused services of `usage` (not used for more than `max_days`
/// days), in `form`; None when no granted service is unused. `iam` and `sts` are left out of
/// the Deny, each with its reason ([`IAM_LEFT_OUT`], [`STS_LEFT_OUT`]).
pub fn suggest_policy(
    usage: &Usage<'_>,
    kind: PrincipalKind,
    form: PolicyForm,
    max_days: u32,
) -> Option<PolicySuggestion> {
    if usage.unused.is_empty() {
        return None;
    }
    let mut denied = Vec::new();
    let mut left_out = Vec::new();
    for service in &usage.unused {
        let reason = match service.namespace.as_str() {
            "iam" => Some(IAM_LEFT_OUT),
            "sts" => Some(STS_LEFT_OUT),
            _ => None,
        };
        match reason {
            Some(reason) => left_out.push(LeftOut {
                namespace: service.namespace.clone(),
                reason,
            }),
            None => denied.push(service.namespace.clone()),
        }
    }
    denied.sort();
    denied.dedup();
    if denied.is_empty() {
        return Some(PolicySuggestion {
            form,
            denied,
            left_out,
            document: None,
            size: 0,
            warnings: Vec::new(),
        });
    }
    let deny = Statement {
        sid: format!("DenyServicesUnusedFor{max_days}Days"),
        effect: "Deny",
        action: Actions::List(denied.iter().map(|ns| format!("{ns}:*")).collect()),
        resource: "*",
    };
    let statement = match form {
        PolicyForm::Inline => vec![deny],
        PolicyForm::Boundary => vec![
            Statement {
                sid: "AllowWhatIdentityPoliciesGrant".to_owned(),
                effect: "Allow",
                action: Actions::All("*"),
                resource: "*",
            },
            deny,
        ],
    };
    let policy = PolicyDocument {
        version: "2012-10-17",
        statement,
    };
    let document = serde_json::to_string_pretty(&policy).unwrap_or_default();
    let size = document.chars().filter(|c| !c.is_whitespace()).count();
    let mut warnings = Vec::new();
    let mut over = |limit: usize, what: &str| {
        if size > limit {
            warnings.push(format!(
                "the policy has {size} characters (whitespace excluded), over IAM's {limit} for {what}: split the Deny across policies"
            ));
        }
    };
    match (form, kind) {
        (PolicyForm::Inline, PrincipalKind::Role) => {
            over(ROLE_INLINE_LIMIT, "a role's inline policies together");
            over(MANAGED_POLICY_LIMIT, "a managed policy");
        }
        (PolicyForm::Inline, PrincipalKind::User) => {
            over(USER_INLINE_LIMIT, "a user's inline policies together");
            over(MANAGED_POLICY_LIMIT, "a managed policy");
        }
        (PolicyForm::Boundary, _) => {
            over(MANAGED_POLICY_LIMIT, "a managed policy (a boundary is one)")
        }
    }
    Some(PolicySuggestion {
        form,
        denied,
        left_out,
        document: Some(document),
        size,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn service(namespace: &str, last: Option<DateTime<Utc>>) -> ServiceAccess {
        ServiceAccess {
            namespace: namespace.to_owned(),
            name: format!("Service {namespace}"),
            last_authenticated: last,
            region: last.map(|_| "us-east-1".to_owned()),
            tracked_actions: None,
        }
    }

    fn action(name: &str, last: Option<DateTime<Utc>>) -> ActionAccess {
        ActionAccess {
            name: name.to_owned(),
            last_accessed: last,
            region: None,
        }
    }

    #[test]
    fn services_split_at_the_threshold_in_whole_days_and_actions_count_only_in_used_services() {
        let now = at(2026, 6, 1);
        let mut s3 = service("s3", Some(at(2026, 3, 3))); // 90 days before: used
        s3.tracked_actions = Some(vec![
            action("GetObject", Some(at(2026, 5, 1))),
            action("PutObject", Some(at(2026, 3, 2))), // 91 days: unused
            action("DeleteBucket", None),
        ]);
        let mut ec2 = service("ec2", None);
        ec2.tracked_actions = Some(vec![action("RunInstances", None)]);
        let report = AccessReport {
            arn: "arn:aws:iam::123456789012:role/app".to_owned(),
            completed: now,
            services: vec![
                service("sqs", Some(at(2026, 3, 2))),
                s3,
                ec2,
                service("dynamodb", None),
            ],
        };
        let usage = usage(&report, now, 90);
        let names =
            |list: &[&ServiceAccess]| list.iter().map(|s| s.namespace.clone()).collect::<Vec<_>>();
        assert_eq!(names(&usage.used), ["s3"]);
        assert_eq!(names(&usage.unused), ["dynamodb", "ec2", "sqs"]);
        assert_eq!(usage.tracked_actions_of_used, 3);
        assert_eq!(
            usage.unused_actions_of_used,
            ["s3:DeleteBucket", "s3:PutObject"]
        );
    }

    fn usage_of(unused: &[&str], used: &[&str]) -> AccessReport {
        let now = at(2026, 6, 1);
        let mut services: Vec<ServiceAccess> = unused.iter().map(|ns| service(ns, None)).collect();
        services.extend(used.iter().map(|ns| service(ns, Some(now))));
        AccessReport {
            arn: "arn:aws:iam::123456789012:role/app".to_owned(),
            completed: now,
            services,
        }
    }

    fn suggestion(
        unused: &[&str],
        used: &[&str],
        kind: PrincipalKind,
        form: PolicyForm,
    ) -> Option<PolicySuggestion> {
        let report = usage_of(unused, used);
        suggest_policy(&usage(&report, at(2026, 6, 1), 90), kind, form, 90)
    }

    fn document(suggestion: &PolicySuggestion) -> serde_json::Value {
        serde_json::from_str(suggestion.document.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn no_unused_service_means_no_policy() {
        for form in [PolicyForm::Inline, PolicyForm::Boundary] {
            assert_eq!(suggestion(&[], &["s3"], PrincipalKind::Role, form), None);
            assert_eq!(suggestion(&[], &[], PrincipalKind::User, form), None);
        }
    }

    #[test]
    fn the_inline_form_is_one_deny_of_each_unused_service_on_every_resource() {
        let got = suggestion(
            &["sqs", "dynamodb"],
            &["s3"],
            PrincipalKind::Role,
            PolicyForm::Inline,
        )
        .unwrap();
        assert_eq!(got.denied, ["dynamodb", "sqs"]);
        assert_eq!(
            document(&got),
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "DenyServicesUnusedFor90Days",
                    "Effect": "Deny",
                    "Action": ["dynamodb:*", "sqs:*"],
                    "Resource": "*"
                }]
            })
        );
        assert!(got.warnings.is_empty());
    }

    #[test]
    fn the_boundary_form_allows_everything_then_denies_the_unused_services() {
        let got = suggestion(&["sqs"], &[], PrincipalKind::User, PolicyForm::Boundary).unwrap();
        assert_eq!(
            document(&got),
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AllowWhatIdentityPoliciesGrant",
                        "Effect": "Allow",
                        "Action": "*",
                        "Resource": "*"
                    },
                    {
                        "Sid": "DenyServicesUnusedFor90Days",
                        "Effect": "Deny",
                        "Action": ["sqs:*"],
                        "Resource": "*"
                    }
                ]
            })
        );
    }

    #[test]
    fn iam_and_sts_are_left_out_of_the_deny_with_their_reasons() {
        let got = suggestion(
            &["iam", "sts", "sqs"],
            &[],
            PrincipalKind::Role,
            PolicyForm::Inline,
        )
        .unwrap();
        assert_eq!(got.denied, ["sqs"]);
        assert_eq!(
            got.left_out,
            [
                LeftOut {
                    namespace: "iam".to_owned(),
                    reason: IAM_LEFT_OUT
                },
                LeftOut {
                    namespace: "sts".to_owned(),
                    reason: STS_LEFT_OUT
                },
            ]
        );
        assert!(IAM_LEFT_OUT.contains("iam:PassRole is never recorded"));

        let only_iam =
            suggestion(&["iam"], &["s3"], PrincipalKind::Role, PolicyForm::Inline).unwrap();
        assert_eq!(only_iam.document, None, "nothing left to deny");
        assert_eq!(only_iam.left_out.len(), 1);
    }

    #[test]
    fn size_is_counted_without_whitespace_as_iam_counts_it() {
        let got = suggestion(&["sqs"], &[], PrincipalKind::Role, PolicyForm::Inline).unwrap();
        // {"Version":"2012-10-17","Statement":[{"Sid":"DenyServicesUnusedFor90Days",
        // "Effect":"Deny","Action":["sqs:*"],"Resource":"*"}]} has 126 characters.
        assert_eq!(got.size, 126);
    }

    #[test]
    fn policies_over_iams_size_limits_are_warned_of_per_kind_and_form() {
        // One namespace of k letters makes a 123 + k character inline policy.
        let sized = |size: usize, kind, form| {
            let namespace = "a".repeat(size - 123);
            suggestion(&[namespace.as_str()], &[], kind, form).unwrap()
        };
        use PolicyForm::*;
        use PrincipalKind::*;
        let cases = [
            // (size of the inline form, kind, form, warnings)
            (2_048, User, Inline, 0),
            (2_049, User, Inline, 1),
            (2_049, Role, Inline, 0),
            (6_144, Role, Inline, 0),
            (6_145, Role, Inline, 1),
            (6_145, User, Inline, 2),
            (10_241, Role, Inline, 2),
        ];
        for (size, kind, form, warnings) in cases {
            let got = sized(size, kind, form);
            assert_eq!(got.size, size, "{size} {kind:?} {form:?}");
            assert_eq!(
                got.warnings.len(),
                warnings,
                "{size} {kind:?} {form:?}: {:?}",
                got.warnings
            );
        }
        // The boundary adds its Allow statement: judged against the managed policy's 6 144.
        assert_eq!(sized(3_000, User, Boundary).warnings, Vec::<String>::new());
        let boundary = sized(6_100, User, Boundary);
        assert!(boundary.size > 6_144, "{}", boundary.size);
        assert_eq!(boundary.warnings.len(), 1, "{:?}", boundary.warnings);
        assert!(
            boundary.warnings[0].contains("over IAM's 6144 for a managed policy"),
            "{:?}",
            boundary.warnings
        );
    }
}
