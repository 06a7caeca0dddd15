//! The users rule, pure: users + credential report + parameters + `now` in, one evaluation per
//! user out. No SDK types, no clock, no logging.
//!
//! Rules, first match wins: allowlisted; exempt by tag; (not in the report: created after it,
//! or not judged); no active credential; an active credential unused for more than the
//! threshold; otherwise every active credential used within it.

use chrono::{DateTime, NaiveDate, Utc};

use crate::core::credential_report::{AccessKey, CredentialRow};
use crate::core::evaluate::{
    clip, days, exemption_by_tag, ignored_note, labelled, shared_verdict, truncate_annotation,
    Evaluation, IgnoredExemption, Past, Reason, TagExemption, Wording, NO_LONGER_EXISTS,
};
use crate::core::params::UserParameters;
use crate::core::results::{Compliance, ResourceType};
use crate::core::user::{User, UsersAccount};

/// The Config resource types the users evaluator reports on.
pub const RESOURCE_TYPES: &[ResourceType] = &[ResourceType::IamUser];

/// What a person should do about an unused console password: quarantine never deletes one,
/// since a deletion cannot be undone.
pub const PASSWORD_ADVICE: &str = " (password: delete by hand, quarantine keeps it)";

/// A region or service named in an annotation is cut to this.
const MAX_PLACE_CHARS: usize = 30;

/// One active credential and how long it has gone unused, as of the report's generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialUse {
    pub credential: Credential,
    /// When it was set (password) or created (key).
    pub set: Past,
    /// None: never used (no use recorded since IAM began tracking).
    pub last_used: Option<LastUse>,
}

impl CredentialUse {
    /// Days without use: since the last use, or since it was set when never used.
    pub fn unused_days(&self) -> i64 {
        self.last_used.as_ref().map_or(self.set.days, |u| u.at.days)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The console password. `set_after_use`: it was set (reset) after the user's last sign-in,
    /// so the current password has not been used; its age counts from when it was set.
    /// `set_known`: false where the report gives no
    /// `password_last_changed`, its age then counted from the user's creation.
    Password {
        set_known: bool,
        set_after_use: bool,
    },
    /// An access key, by its slot (1 or 2): the report has no key ids.
    AccessKey { slot: u8, created: NaiveDate },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUse {
    pub at: Past,
    pub region: Option<String>,
    pub service: Option<String>,
}

/// An inactive key, named in the annotation where there is room; never a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InactiveKey {
    slot: u8,
    created: NaiveDate,
}

/// Evaluates every user IAM listed, in its order. Rows of the report that match no user (users
/// deleted since it was generated) are ignored.
pub fn evaluate(
    account: &UsersAccount,
    params: &UserParameters,
    now: DateTime<Utc>,
) -> Vec<Evaluation> {
    account
        .users
        .iter()
        .map(|user| evaluate_user(account, user, params, now))
        .collect()
}

fn evaluate_user(
    account: &UsersAccount,
    user: &User,
    params: &UserParameters,
    now: DateTime<Utc>,
) -> Evaluation {
    let decision = decide(account, user, params, now);
    let annotate = |wording| {
        let mut text = format!(
            "{}: {}",
            user.name,
            verdict(&decision.reason, params.max_days, wording)
        );
        if !decision.inactive.is_empty() {
            let keys: Vec<String> = decision
                .inactive
                .iter()
                .map(|k| format!("access key {} (created {})", k.slot, k.created))
                .collect();
            text.push_str(&format!("; inactive: {}", keys.join(", ")));
        }
        if let Some(ignored) = &decision.ignored {
            text.push_str(&ignored_note(ignored));
        }
        truncate_annotation(labelled(decision.compliance, &user.privilege, text))
    };
    let (annotation, detail) = (annotate(Wording::Stable), annotate(Wording::Ages));
    Evaluation {
        resource_type: ResourceType::IamUser,
        resource_id: user.user_id.clone(),
        name: user.name.clone(),
        path: user.path.clone(),
        compliance: decision.compliance,
        reason: decision.reason,
        annotation,
        detail,
    }
}

struct Decision {
    compliance: Compliance,
    reason: Reason,
    inactive: Vec<InactiveKey>,
    ignored: Option<IgnoredExemption>,
}

fn decide(
    account: &UsersAccount,
    user: &User,
    params: &UserParameters,
    now: DateTime<Utc>,
) -> Decision {
    let decided = |compliance, reason| Decision {
        compliance,
        reason,
        inactive: Vec::new(),
        ignored: None,
    };
    if let Some(pattern) = params.allowlist.first_match(&user.path_and_name()) {
        let pattern = pattern.to_owned();
        return decided(Compliance::Compliant, Reason::Allowlisted { pattern });
    }
    let ignored =
        match exemption_by_tag(params.exempt_tag_key.as_deref(), |k| user.tag_value(k), now) {
            TagExemption::Exempt(reason) => return decided(Compliance::Compliant, reason),
            TagExemption::Ignored(ignored) => Some(ignored),
            TagExemption::None => None,
        };
    let generated = account.report.generated;
    let Some(row) = account.row_of(user) else {
        let (compliance, reason) = if user.created >= generated {
            (
                Compliance::Compliant,
                Reason::CreatedAfterReport {
                    created: user.created,
                    generated,
                },
            )
        } else {
            (
                Compliance::InsufficientData,
                Reason::NotInReport { generated },
            )
        };
        return Decision {
            compliance,
            reason,
            inactive: Vec::new(),
            ignored,
        };
    };
    // The report's data is as of its generation; never judge from a later point than now.
    let as_of = generated.min(now);
    let (active, inactive) = credentials(row, as_of);
    let threshold = i64::from(params.max_days);
    let (compliance, reason) = if active.is_empty() {
        (Compliance::Compliant, Reason::NoActiveCredential)
    } else if active.iter().any(|c| c.unused_days() > threshold) {
        let findings = active
            .into_iter()
            .filter(|c| c.unused_days() > threshold)
            .collect();
        (
            Compliance::NonCompliant,
            Reason::CredentialsUnused { findings },
        )
    } else {
        (
            Compliance::Compliant,
            Reason::CredentialsUsed { uses: active },
        )
    };
    Decision {
        compliance,
        reason,
        inactive,
        ignored,
    }
}

/// The row's active credentials (password first, then keys by slot) and its inactive keys.
fn credentials(
    row: &CredentialRow,
    as_of: DateTime<Utc>,
) -> (Vec<CredentialUse>, Vec<InactiveKey>) {
    let mut active = Vec::new();
    let mut inactive = Vec::new();
    if let Some(password) = &row.password {
        // `password_last_used` is the user's last sign-in, whatever password it used: a
        // password set after it has not been used yet.
        let set_after_use = matches!(
            (password.last_used, password.last_changed),
            (Some(used), Some(set)) if set > used
        );
        let last_used = password.last_used.filter(|_| !set_after_use);
        active.push(CredentialUse {
            credential: Credential::Password {
                set_known: password.last_changed.is_some(),
                set_after_use,
            },
            set: Past::of(password.last_changed.unwrap_or(row.user_created), as_of),
            last_used: last_used.map(|at| LastUse {
                at: Past::of(at, as_of),
                region: None,
                service: None,
            }),
        });
    }
    for (slot, key) in (1u8..).zip(&row.access_keys) {
        let Some(AccessKey {
            active: is_active,
            created,
            last_used,
        }) = key
        else {
            continue;
        };
        if !is_active {
            inactive.push(InactiveKey {
                slot,
                created: created.date_naive(),
            });
            continue;
        }
        active.push(CredentialUse {
            credential: Credential::AccessKey {
                slot,
                created: created.date_naive(),
            },
            set: Past::of(*created, as_of),
            last_used: last_used.as_ref().map(|u| LastUse {
                at: Past::of(u.at, as_of),
                region: u.region.clone(),
                service: u.service.clone(),
            }),
        });
    }
    (active, inactive)
}

/// The verdict, without the user name; the threshold is in the verdicts of rules 4 and 5.
pub(crate) fn verdict(reason: &Reason, max: u32, wording: Wording) -> String {
    if let Some(text) = shared_verdict(reason) {
        return text;
    }
    match reason {
        // The report's generation time changes every run: Config hears only the user's.
        Reason::CreatedAfterReport { created, .. } if wording == Wording::Stable => format!(
            "created {}, after the credential report; judged from the next report",
            timestamp(*created)
        ),
        Reason::CreatedAfterReport { created, generated } => format!(
            "created {}, after the credential report of {}; judged from the next report",
            timestamp(*created),
            timestamp(*generated)
        ),
        Reason::NotInReport { generated } => format!(
            "not in the credential report generated {}, though created before it; not judged this run",
            timestamp(*generated)
        ),
        Reason::NoActiveCredential => {
            "no active credential (no console password, no active access key)".to_owned()
        }
        Reason::CredentialsUnused { findings } => format!(
            "{} unused for over {max} days{}: {}",
            if findings.len() == 1 {
                "1 active credential".to_owned()
            } else {
                format!("{} active credentials", findings.len())
            },
            // Before the list, which the 256-character cut shortens first.
            if findings
                .iter()
                .any(|f| matches!(f.credential, Credential::Password { .. }))
            {
                PASSWORD_ADVICE
            } else {
                ""
            },
            listed(findings, wording)
        ),
        // Each credential's last use moves with every use: Config hears only the verdict.
        Reason::CredentialsUsed { .. } if wording == Wording::Stable => {
            format!("every active credential used or created within {max} days")
        }
        Reason::CredentialsUsed { uses } => format!(
            "every active credential used or created within {max} days: {}",
            listed(uses, wording)
        ),
        // The roles' own reasons are never decided for a user.
        Reason::ServiceLinkedExcluded
        | Reason::IdentityCenterExcluded
        | Reason::YoungerThanThreshold { .. }
        | Reason::NoUseRecorded { .. }
        | Reason::UnusedTooLong { .. }
        | Reason::UsedRecently { .. }
        | Reason::Allowlisted { .. }
        | Reason::ExemptByTag { .. } => String::new(),
        Reason::NoLongerExists => NO_LONGER_EXISTS.to_owned(),
        Reason::ServicesUnused { .. }
        | Reason::ServicesUsed { .. }
        | Reason::NotChecked
        | Reason::NoAccessReport { .. } => super::permissions::reason_text(reason, max, usize::MAX),
    }
}

fn listed(uses: &[CredentialUse], wording: Wording) -> String {
    uses.iter()
        .map(|use_| describe(use_, wording))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "password never used, set 2024-11-27" (or "set 400 days ago"), "access key 2 (created
/// 2024-05-01) last used 2025-09-03 in us-east-1 by s3".
fn describe(use_: &CredentialUse, wording: Wording) -> String {
    let set = use_.set.worded(wording);
    match (&use_.credential, &use_.last_used) {
        (Credential::Password { .. }, Some(last)) => {
            format!("password last used {}", last.at.worded(wording))
        }
        (
            Credential::Password {
                set_after_use: true,
                ..
            },
            None,
        ) => format!("password not used since it was set {set}"),
        (
            Credential::Password {
                set_known: true, ..
            },
            None,
        ) => format!("password never used, set {set}"),
        (
            Credential::Password {
                set_known: false, ..
            },
            None,
        ) => format!("password never used, user created {set}"),
        (Credential::AccessKey { slot, created }, Some(last)) => {
            let mut text = format!(
                "access key {slot} (created {created}) last used {}",
                last.at.worded(wording)
            );
            if let Some(region) = &last.region {
                text.push_str(&format!(" in {}", clip(region, MAX_PLACE_CHARS)));
            }
            if let Some(service) = &last.service {
                text.push_str(&format!(" by {}", clip(service, MAX_PLACE_CHARS)));
            }
            text
        }
        // The creation day, in the text already, dates it for Config; people also hear how long.
        (Credential::AccessKey { slot, created }, None) => match wording {
            Wording::Stable => format!("access key {slot} (created {created}) never used"),
            Wording::Ages => format!(
                "access key {slot} (created {created}) never used in {}",
                days(use_.set.days)
            ),
        },
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde_json::Value;

    use super::*;
    use crate::core::credential_report::{CredentialReport, KeyUse, Password};
    use crate::core::params::Parameters;
    use crate::core::privilege::{Grant, Privilege};
    use crate::core::role::Tag;

    /// The report was generated two hours before the run.
    fn generated() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap()
    }

    fn now() -> DateTime<Utc> {
        generated() + Duration::hours(2)
    }

    /// `n` whole days before the report, plus an hour so the count is not on an edge.
    fn ago(n: i64) -> DateTime<Utc> {
        generated() - Duration::days(n) - Duration::hours(1)
    }

    fn user(path_and_name: &str) -> User {
        let split = path_and_name.rfind('/').unwrap() + 1;
        let (path, name) = path_and_name.split_at(split);
        User {
            user_id: format!("AIDA{}", name.to_uppercase()),
            name: name.to_owned(),
            path: path.to_owned(),
            arn: format!("arn:aws:iam::111122223333:user{path_and_name}"),
            created: Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
            tags: Vec::new(),
            privilege: Default::default(),
        }
    }

    fn tagged(mut user: User, key: &str, value: &str) -> User {
        user.tags.push(Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        });
        user
    }

    /// A user and its report row, built up by the methods below; no credentials to start.
    #[derive(Clone)]
    struct Case {
        user: User,
        row: Option<CredentialRow>,
    }

    fn with_row(user: User) -> Case {
        let row = CredentialRow {
            line: 2,
            user: user.name.clone(),
            arn: user.arn.clone(),
            user_created: user.created,
            password: None,
            access_keys: [None, None],
        };
        Case {
            user,
            row: Some(row),
        }
    }

    impl Case {
        fn row_mut(&mut self) -> &mut CredentialRow {
            self.row.as_mut().unwrap()
        }

        /// A console password set `set` days before the report, last used `used` days before.
        fn password(mut self, set: Option<i64>, used: Option<i64>) -> Self {
            self.row_mut().password = Some(Password {
                last_used: used.map(ago),
                last_changed: set.map(ago),
            });
            self
        }

        fn key(mut self, slot: usize, active: bool, created: i64, used: Option<i64>) -> Self {
            self.row_mut().access_keys[slot - 1] = Some(AccessKey {
                active,
                created: ago(created),
                last_used: used.map(|d| KeyUse {
                    at: ago(d),
                    region: Some("us-east-1".to_owned()),
                    service: Some("s3".to_owned()),
                }),
            });
            self
        }
    }

    fn params(json: &str) -> UserParameters {
        UserParameters::from_event_field(Some(&Value::String(json.to_owned())), None).unwrap()
    }

    fn run(json: &str, case: &Case, now: DateTime<Utc>) -> Evaluation {
        let account = UsersAccount {
            users: vec![case.user.clone()],
            report: CredentialReport {
                generated: generated(),
                rows: case.row.iter().cloned().collect(),
            },
        };
        let mut evaluations = evaluate(&account, &params(json), now);
        assert_eq!(evaluations.len(), 1);
        evaluations.remove(0)
    }

    /// One row: parameters, user and row, expected result and annotation.
    fn check(cases: &[(&str, Case, Compliance, &str)]) {
        for (json, case, compliance, annotation) in cases {
            let evaluation = run(json, case, now());
            assert_eq!(
                (evaluation.compliance, evaluation.annotation.as_str()),
                (*compliance, *annotation),
                "{json} {}",
                case.user.name
            );
            assert_eq!(evaluation.resource_type, ResourceType::IamUser);
            assert_eq!(evaluation.resource_id, case.user.user_id);
            assert_eq!(
                (evaluation.name.as_str(), evaluation.path.as_str()),
                (case.user.name.as_str(), case.user.path.as_str())
            );
        }
    }

    use Compliance::{Compliant, InsufficientData, NonCompliant};

    fn privileged(mut user: User, privilege: Privilege) -> User {
        user.privilege = privilege;
        user
    }

    #[test]
    fn a_finding_starts_with_the_users_privilege_and_nothing_else_does() {
        let grant = |policy: &str, action: &str| Grant {
            policy: policy.to_owned(),
            action: action.to_owned(),
        };
        let admin = || Privilege::Admin(grant("admins-group", "*"));
        let iam = || Privilege::ChangesIam(grant("editor", "iam:CreateAccessKey"));
        let unused = |p| with_row(privileged(user("/alice"), p)).password(Some(500), Some(46));
        let used = |p| with_row(privileged(user("/alice"), p)).password(Some(500), Some(45));
        check(&[
            ("{}", unused(admin()), NonCompliant, "ADMIN: alice: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 2025-11-16"),
            ("{}", unused(iam()), NonCompliant, "IAM-WRITE: alice: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 2025-11-16"),
            ("{}", unused(Privilege::Neither), NonCompliant, "alice: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 2025-11-16"),
            ("{}", used(admin()), Compliant, "alice: every active credential used or created within 45 days"),
            (r#"{"user_allowlist":"/alice"}"#, unused(admin()), Compliant, "alice: allowlisted by pattern /alice"),
        ]);
        let detail = run("{}", &unused(admin()), now()).detail;
        assert!(detail.starts_with("ADMIN: alice: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 46 days ago"), "{detail}");
    }

    #[test]
    fn the_threshold_and_one_day_over_for_each_credential() {
        let u = || with_row(user("/alice"));
        check(&[
            ("{}", u().password(Some(500), Some(45)), Compliant, "alice: every active credential used or created within 45 days"),
            ("{}", u().password(Some(500), Some(46)), NonCompliant, "alice: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 2025-11-16"),
            ("{}", u().key(1, true, 500, Some(45)), Compliant, "alice: every active credential used or created within 45 days"),
            ("{}", u().key(1, true, 500, Some(46)), NonCompliant, "alice: 1 active credential unused for over 45 days: access key 1 (created 2024-08-19) last used 2025-11-16 in us-east-1 by s3"),
            ("{}", u().key(2, true, 500, Some(45)), Compliant, "alice: every active credential used or created within 45 days"),
            ("{}", u().key(2, true, 500, Some(46)), NonCompliant, "alice: 1 active credential unused for over 45 days: access key 2 (created 2024-08-19) last used 2025-11-16 in us-east-1 by s3"),
            (r#"{"max_days_for_last_used":"90"}"#, u().key(2, true, 500, Some(90)), Compliant, "alice: every active credential used or created within 90 days"),
            (r#"{"max_days_for_last_used":"90"}"#, u().key(2, true, 500, Some(91)), NonCompliant, "alice: 1 active credential unused for over 90 days: access key 2 (created 2024-08-19) last used 2025-10-02 in us-east-1 by s3"),
        ]);
    }

    #[test]
    fn a_credential_never_used_counts_from_when_it_was_set() {
        let u = || with_row(user("/bob"));
        check(&[
            ("{}", u().key(1, true, 1, None), Compliant, "bob: every active credential used or created within 45 days"),
            ("{}", u().key(1, true, 45, None), Compliant, "bob: every active credential used or created within 45 days"),
            ("{}", u().key(1, true, 46, None), NonCompliant, "bob: 1 active credential unused for over 45 days: access key 1 (created 2025-11-16) never used"),
            ("{}", u().password(Some(45), None), Compliant, "bob: every active credential used or created within 45 days"),
            ("{}", u().password(Some(400), None), NonCompliant, "bob: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password never used, set 2024-11-27"),
            // No password_last_changed: counted from the user's creation (2020-01-01).
            ("{}", u().password(None, None), NonCompliant, "bob: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password never used, user created 2020-01-01"),
        ]);
    }

    #[test]
    fn a_password_set_after_the_last_sign_in_counts_from_when_it_was_set() {
        // password(set, used): the report's last sign-in is the user's, whatever password it
        // used, so a password reset since has not been used.
        let u = || with_row(user("/erin"));
        check(&[
            ("{}", u().password(Some(2), Some(200)), Compliant, "erin: every active credential used or created within 45 days"),
            ("{}", u().password(Some(45), Some(200)), Compliant, "erin: every active credential used or created within 45 days"),
            ("{}", u().password(Some(46), Some(200)), NonCompliant, "erin: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password not used since it was set 2025-11-16"),
            // Set before the last sign-in: the sign-in counts.
            ("{}", u().password(Some(200), Some(46)), NonCompliant, "erin: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 2025-11-16"),
            ("{}", u().password(Some(200), Some(45)), Compliant, "erin: every active credential used or created within 45 days"),
        ]);
    }

    #[test]
    fn inactive_keys_are_never_findings_and_are_mentioned() {
        let u = || with_row(user("/carol"));
        check(&[
            ("{}", u(), Compliant, "carol: no active credential (no console password, no active access key)"),
            ("{}", u().key(1, false, 900, None), Compliant, "carol: no active credential (no console password, no active access key); inactive: access key 1 (created 2023-07-16)"),
            ("{}", u().key(1, false, 900, Some(800)).key(2, true, 10, Some(1)), Compliant, "carol: every active credential used or created within 45 days; inactive: access key 1 (created 2023-07-16)"),
            ("{}", u().key(1, true, 900, Some(100)).key(2, false, 900, None), NonCompliant, "carol: 1 active credential unused for over 45 days: access key 1 (created 2023-07-16) last used 2025-09-23 in us-east-1 by s3; inactive: access key 2 (created 2023-07-16)"),
        ]);
    }

    #[test]
    fn each_unused_credential_is_named_and_only_those() {
        let u = || with_row(user("/dave"));
        check(&[
            ("{}", u().password(Some(500), Some(400)).key(1, true, 500, Some(3)).key(2, true, 120, None), NonCompliant, "dave: 2 active credentials unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 2024-11-27; access key 2 (created 2025-09-03) never used"),
            ("{}", u().password(Some(500), Some(2)).key(1, true, 500, Some(3)).key(2, true, 20, None), Compliant, "dave: every active credential used or created within 45 days"),
        ]);
    }

    #[test]
    fn allowlist_then_exemption_come_before_credentials() {
        let stale = || with_row(user("/ci/deployer")).key(1, true, 900, Some(800));
        check(&[
            (r#"{"user_allowlist":"/ci/*"}"#, stale(), Compliant, "deployer: allowlisted by pattern /ci/*"),
            (r#"{"user_allowlist":"/other|*/deployer"}"#, stale(), Compliant, "deployer: allowlisted by pattern */deployer"),
            (r#"{"user_allowlist":"/ci/*","exempt_tag_key":"keep"}"#, Case { user: tagged(user("/ci/deployer"), "keep", "until=2020-01-01"), row: stale().row }, Compliant, "deployer: allowlisted by pattern /ci/*"),
            (r#"{"exempt_tag_key":"keep"}"#, Case { user: tagged(user("/ci/deployer"), "keep", "yes"), row: stale().row }, Compliant, "deployer: exempt by tag keep"),
            (r#"{"exempt_tag_key":"keep"}"#, Case { user: tagged(user("/ci/deployer"), "keep", "until=2026-01-01 audit"), row: stale().row }, Compliant, "deployer: exempt by tag keep until 2026-01-01 (audit)"),
            (r#"{"exempt_tag_key":"keep"}"#, Case { user: tagged(user("/ci/deployer"), "keep", "until=2025-12-31"), row: stale().row }, NonCompliant, "deployer: 1 active credential unused for over 45 days: access key 1 (created 2023-07-16) last used 2023-10-24 in us-east-1 by s3; exemption tag keep expired after 2025-12-31"),
            (r#"{"exempt_tag_key":"keep"}"#, Case { user: tagged(user("/ci/deployer"), "keep", "until=2026-02-30"), row: stale().row }, NonCompliant, "deployer: 1 active credential unused for over 45 days: access key 1 (created 2023-07-16) last used 2023-10-24 in us-east-1 by s3; exemption tag keep ignored: \"until=2026-02-30\" names a day that does not exist"),
            // Allowlisted and exempt users need no row.
            (r#"{"user_allowlist":"/ci/*"}"#, Case { user: user("/ci/deployer"), row: None }, Compliant, "deployer: allowlisted by pattern /ci/*"),
        ]);
    }

    #[test]
    fn a_user_missing_from_the_report() {
        let mut young = user("/erin");
        young.created = generated() + Duration::minutes(30);
        let mut recreated = with_row(user("/frank"));
        // A row for an earlier user of the same name: another creation time.
        recreated.row_mut().user_created = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap();
        recreated.user.created = generated() + Duration::minutes(5);
        let mut old_recreated = recreated.clone();
        old_recreated.user.created = generated() - Duration::days(1);
        check(&[
            ("{}", Case { user: young, row: None }, Compliant, "erin: created 2026-01-01T10:30:00Z, after the credential report; judged from the next report"),
            ("{}", recreated, Compliant, "frank: created 2026-01-01T10:05:00Z, after the credential report; judged from the next report"),
            ("{}", Case { user: user("/grace"), row: None }, InsufficientData, "grace: not in the credential report generated 2026-01-01T10:00:00Z, though created before it; not judged this run"),
            ("{}", old_recreated, InsufficientData, "frank: not in the credential report generated 2026-01-01T10:00:00Z, though created before it; not judged this run"),
        ]);
    }

    #[test]
    fn rows_without_a_user_are_ignored_and_users_keep_their_order() {
        let gone = with_row(user("/gone")).key(1, true, 900, None);
        let b = with_row(user("/b"));
        let a = with_row(user("/a")).password(Some(100), Some(99));
        let account = UsersAccount {
            users: vec![b.user.clone(), a.user.clone()],
            report: CredentialReport {
                generated: generated(),
                rows: [gone, a, b].into_iter().filter_map(|c| c.row).collect(),
            },
        };
        let results: Vec<(String, Compliance)> = evaluate(&account, &params("{}"), now())
            .into_iter()
            .map(|e| (e.resource_id, e.compliance))
            .collect();
        assert_eq!(
            results,
            [
                ("AIDAB".to_owned(), Compliant),
                ("AIDAA".to_owned(), NonCompliant)
            ]
        );
    }

    #[test]
    fn ages_are_counted_as_of_the_report_not_the_run() {
        // 45 days before the report, 46 before a run a day and a half later.
        let case = with_row(user("/heidi")).key(1, true, 500, Some(45));
        let later = generated() + Duration::hours(36);
        let evaluation = run("{}", &case, later);
        assert_eq!(
            evaluation.compliance, Compliant,
            "{}",
            evaluation.annotation
        );
        // A report stamped later than the run (clock skew) is read as of the run.
        let earlier = generated() - Duration::days(2);
        let evaluation = run(
            "{}",
            &with_row(user("/heidi")).key(1, true, 500, Some(44)),
            earlier,
        );
        assert_eq!(
            evaluation.detail,
            "heidi: every active credential used or created within 45 days: access key 1 (created 2024-08-19) last used 42 days ago in us-east-1 by s3"
        );
    }

    #[test]
    fn a_long_annotation_keeps_name_and_verdict() {
        let name = "n".repeat(64);
        let mut case = with_row(user(&format!("/{name}")))
            .password(Some(900), None)
            .key(1, true, 900, Some(800))
            .key(2, false, 900, None);
        if let Some(Some(key)) = case.row_mut().access_keys.first_mut() {
            if let Some(last) = key.last_used.as_mut() {
                last.region = Some("ap-southeast-2".to_owned());
                last.service = Some("secretsmanager".to_owned());
            }
        }
        let evaluation = run("{}", &case, now());
        assert_eq!(evaluation.compliance, NonCompliant);
        assert_eq!(
            evaluation.annotation.chars().count(),
            256,
            "{}",
            evaluation.annotation
        );
        assert!(
            evaluation.annotation.ends_with('…'),
            "{}",
            evaluation.annotation
        );
        assert!(
            evaluation.annotation.starts_with(&format!(
                "{name}: 2 active credentials unused for over 45 days (password: delete by hand, quarantine keeps it): password never used, set 2023-07-16; access key 1 (created 2023-07-16) last used 2023-10-24 in "
            )),
            "{}",
            evaluation.annotation
        );
    }

    /// The same users and report rows, evaluated with the report generated at `generated`.
    fn evaluate_all(
        cases: &[Case],
        json: &str,
        generated: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<Evaluation> {
        let account = UsersAccount {
            users: cases.iter().map(|c| c.user.clone()).collect(),
            report: CredentialReport {
                generated,
                rows: cases.iter().filter_map(|c| c.row.clone()).collect(),
            },
        };
        evaluate(&account, &params(json), now)
    }

    #[test]
    fn annotations_stay_the_same_from_day_to_day_while_no_verdict_changes() {
        // No verdict of these changes within a week: the used credentials stay within 45 days.
        let cases = [
            with_row(user("/alice")).key(1, true, 500, Some(100)),
            with_row(user("/bob")).password(Some(400), None),
            with_row(user("/bob2")).password(None, None),
            with_row(user("/carol")).key(1, false, 900, None),
            with_row(user("/dave"))
                .password(Some(500), Some(2))
                .key(1, true, 500, Some(3))
                .key(2, false, 900, None),
            with_row(user("/erin")).password(Some(100), Some(200)),
            with_row(user("/frank")).key(2, true, 200, None),
            with_row(user("/grace"))
                .password(Some(500), Some(300))
                .key(1, true, 500, Some(1)),
            Case {
                user: tagged(user("/heidi"), "keep", "until=2026-03-31 audit"),
                row: None,
            },
            Case {
                user: tagged(user("/ivan"), "keep", "until=2025-06-30"),
                row: with_row(user("/ivan")).key(1, true, 900, Some(800)).row,
            },
        ];
        let json = r#"{"exempt_tag_key":"keep"}"#;
        let today = evaluate_all(&cases, json, generated(), now());
        // An unchanged account's report a day or a week later holds the same rows.
        for later in [Duration::days(1), Duration::days(7)] {
            let then = evaluate_all(&cases, json, generated() + later, now() + later);
            for (a, b) in today.iter().zip(&then) {
                assert_eq!(a.compliance, b.compliance, "no verdict changes: {}", a.name);
                assert_eq!(a.annotation, b.annotation, "{later}");
            }
        }
        // Credentials in use move their last use with every use: Config hears the same verdict.
        let in_use = |password_used, key_used| {
            with_row(user("/kim"))
                .password(Some(500), Some(password_used))
                .key(1, true, 500, Some(key_used))
        };
        let first = evaluate_all(&[in_use(3, 5)], json, generated(), now());
        let day = Duration::days(1);
        let second = evaluate_all(&[in_use(1, 0)], json, generated() + day, now() + day);
        assert_eq!(first[0].compliance, Compliant);
        assert_eq!(first[0].annotation, second[0].annotation);
        // A user created after the report is judged from the next one: until then, runs on
        // reports generated before the user was created agree.
        let mut young = user("/judy");
        young.created = generated() + Duration::minutes(50);
        let young = [Case {
            user: young,
            row: None,
        }];
        let first = evaluate_all(&young, "{}", generated(), generated() + Duration::hours(1));
        let second = evaluate_all(
            &young,
            "{}",
            generated() + Duration::minutes(40),
            generated() + Duration::hours(2),
        );
        assert_eq!(first[0].compliance, Compliant);
        assert_eq!(first[0].annotation, second[0].annotation);
        assert_ne!(
            first[0].detail, second[0].detail,
            "people see the report's time"
        );
    }

    /// Each finding as Config gets it and as people read it.
    #[test]
    fn the_detail_words_the_same_verdict_with_ages() {
        let u = |name: &str| with_row(user(name));
        let cases = [
            (
                u("/dave").password(Some(400), None).key(1, true, 500, Some(3)).key(2, true, 500, Some(120)),
                NonCompliant,
                "dave: 2 active credentials unused for over 45 days (password: delete by hand, quarantine keeps it): password never used, set 2024-11-27; access key 2 (created 2024-08-19) last used 2025-09-03 in us-east-1 by s3",
                "dave: 2 active credentials unused for over 45 days (password: delete by hand, quarantine keeps it): password never used, set 400 days ago; access key 2 (created 2024-08-19) last used 120 days ago in us-east-1 by s3",
            ),
            (
                u("/erin").password(Some(46), Some(200)).key(1, true, 200, None),
                NonCompliant,
                "erin: 2 active credentials unused for over 45 days (password: delete by hand, quarantine keeps it): password not used since it was set 2025-11-16; access key 1 (created 2025-06-15) never used",
                "erin: 2 active credentials unused for over 45 days (password: delete by hand, quarantine keeps it): password not used since it was set 46 days ago; access key 1 (created 2025-06-15) never used in 200 days",
            ),
            (
                u("/bob").password(None, Some(50)),
                NonCompliant,
                "bob: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 2025-11-12",
                "bob: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password last used 50 days ago",
            ),
            (
                u("/bob").password(None, None),
                NonCompliant,
                "bob: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password never used, user created 2020-01-01",
                "bob: 1 active credential unused for over 45 days (password: delete by hand, quarantine keeps it): password never used, user created 2192 days ago",
            ),
            (
                u("/eve").password(Some(500), Some(3)).key(1, true, 1, None).key(2, false, 900, None),
                Compliant,
                "eve: every active credential used or created within 45 days; inactive: access key 2 (created 2023-07-16)",
                "eve: every active credential used or created within 45 days: password last used 3 days ago; access key 1 (created 2025-12-31) never used in 1 day; inactive: access key 2 (created 2023-07-16)",
            ),
        ];
        for (case, compliance, annotation, detail) in cases {
            let got = run("{}", &case, now());
            assert_eq!(
                (got.compliance, got.annotation.as_str(), got.detail.as_str()),
                (compliance, annotation, detail)
            );
        }
        let mut young = user("/judy");
        young.created = generated() + Duration::minutes(30);
        let got = run(
            "{}",
            &Case {
                user: young,
                row: None,
            },
            now(),
        );
        assert_eq!(
            (got.annotation.as_str(), got.detail.as_str()),
            (
                "judy: created 2026-01-01T10:30:00Z, after the credential report; judged from the next report",
                "judy: created 2026-01-01T10:30:00Z, after the credential report of 2026-01-01T10:00:00Z; judged from the next report"
            )
        );
    }

    /// One user per row of the README's users table, built here; the table gives the result
    /// and the annotation.
    #[test]
    fn the_readme_table_matches_the_evaluator() {
        let rows =
            crate::core::evaluate::tests::readme_table("### The users rule (`RULE_KIND=users`)");
        let mut young = user("/erin");
        young.created = generated() + Duration::minutes(30);
        let tag = |value: &str| Case {
            user: tagged(user("/kim"), "keep", value),
            row: with_row(user("/kim")).key(1, true, 900, Some(800)).row,
        };
        let cases: Vec<(&str, &str, Case)> = vec![
            (
                "1",
                r#"{"user_allowlist":"/ci/*"}"#,
                with_row(user("/ci/deployer")).key(1, true, 900, Some(800)),
            ),
            ("2", r#"{"exempt_tag_key":"keep"}"#, tag("yes")),
            (
                "2b",
                r#"{"exempt_tag_key":"keep"}"#,
                tag("until=2026-03-31 audit"),
            ),
            (
                "J1",
                "{}",
                Case {
                    user: young,
                    row: None,
                },
            ),
            (
                "J2",
                "{}",
                Case {
                    user: user("/grace"),
                    row: None,
                },
            ),
            ("3", "{}", with_row(user("/carol")).key(1, false, 900, None)),
            (
                "4",
                "{}",
                with_row(user("/dave"))
                    .password(Some(400), None)
                    .key(1, true, 500, Some(3))
                    .key(2, true, 500, Some(120)),
            ),
            (
                "5",
                "{}",
                with_row(user("/eve"))
                    .password(Some(500), Some(3))
                    .key(1, true, 1, None),
            ),
        ];
        assert_eq!(
            rows.iter().map(|r| r[0]).collect::<Vec<_>>(),
            cases.iter().map(|c| c.0).collect::<Vec<_>>(),
            "the README's rows and this test's cases"
        );
        for (row, (id, json, case)) in rows.iter().zip(&cases) {
            let evaluation = run(json, case, now());
            let annotation = row[3].trim_matches('`').replace("NAME", &case.user.name);
            assert_eq!(
                (
                    evaluation.compliance.as_str(),
                    evaluation.annotation.as_str()
                ),
                (row[2], annotation.as_str()),
                "README row {id}"
            );
        }
    }
}
