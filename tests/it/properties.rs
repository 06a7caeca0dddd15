//! Properties of the evaluator that hold for any roles and parameters. Each states something
//! the code does not restate, with expectations built by the test (day counts chosen, not
//! computed; allowlist matches made by construction).

use chrono::{DateTime, Duration, TimeZone, Utc};
use iam_role_last_used::core::evaluate::{evaluate, MAX_ANNOTATION_CHARS};
use iam_role_last_used::core::params::{IdentityCenterRoles, RoleParameters};
use iam_role_last_used::core::privilege::{Grant, Privilege};
use iam_role_last_used::core::results::Compliance;
use iam_role_last_used::core::role::{LastUsed, Role, Tag};
use proptest::prelude::*;
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
}

const PATHS: [&str; 8] = [
    "/",
    "/service-role/",
    "/aws-service-role/support.amazonaws.com/",
    "/aws-reserved/sso.amazonaws.com/",
    "/aws-reserved/sso.amazonaws.com/eu-west-2/",
    "/teams/data/",
    "/security-team/",
    "/é/ü/",
];
const PATTERNS: [&str; 7] = [
    "/breakglass-*",
    "/service-role/*",
    "*/ci-?",
    "/teams/[ab]*/*",
    "/x[!y]z",
    "*",
    "/security-*",
];
const TAG_KEYS: [&str; 3] = ["keep", "owner", "Keep"];
/// Exempt-tag values that exempt on [`now`] (2026-01-01T12:00:00Z), by the README's grammar.
const HOLDING: [&str; 5] = [
    "",
    "true",
    "until=2026-06-30; DR role",
    "UNTIL=2026-01-01",
    "untilted",
];
/// Values that do not: expired, or an attempt at a date that is not one.
const NOT_HOLDING: [&str; 5] = [
    "until=2025-12-31",
    "until=soon",
    "until=2026-02-30",
    "until 2026-06-30",
    "until=2026-6-30",
];

prop_compose! {
    fn arb_role()(
        name in "[A-Za-z0-9+=,.@_-]{1,64}|[a-zé€😀]{1,80}",
        path in prop::sample::select(&PATHS[..]),
        age_seconds in 0i64..(2_000 * 86_400),
        last_used in prop::option::of((-3_600i64..(800 * 86_400), prop::option::of("[a-z]{2}-[a-z]+-[1-3]"))),
        tag_keys in prop::sample::subsequence(&TAG_KEYS[..], 0..=3),
        tag_value in prop::sample::select([HOLDING, NOT_HOLDING].concat()),
        id in any::<u64>(),
    ) -> Role {
        Role {
            role_id: format!("AROA{id:017}"),
            arn: format!("arn:aws:iam::111122223333:role{path}{name}"),
            name,
            path: path.to_owned(),
            created: now() - Duration::seconds(age_seconds),
            last_used: last_used.map(|(ago, region)| LastUsed { at: now() - Duration::seconds(ago), region }),
            tags: tag_keys.into_iter().map(|k| Tag { key: k.to_owned(), value: tag_value.to_owned() }).collect(),
            privilege: Default::default(),
        }
    }
}

prop_compose! {
    fn arb_params()(
        max_days in 1u32..=400,
        patterns in prop::sample::subsequence(&PATTERNS[..], 0..=3),
        exempt in prop::option::of(prop::sample::select(&TAG_KEYS[..])),
        evaluate_linked in any::<bool>(),
        evaluate_identity_center in any::<bool>(),
    ) -> RoleParameters {
        let mut object = json!({
            "max_days_for_last_used": max_days.to_string(),
            "role_allowlist": patterns.join("|"),
            "service_linked_roles": if evaluate_linked { "evaluate" } else { "exclude" },
            "identity_center_roles": if evaluate_identity_center { "evaluate" } else { "exclude" },
        });
        if let Some(key) = exempt {
            object["exempt_tag_key"] = Value::from(key);
        }
        RoleParameters::from_map(object.as_object().unwrap(), None).unwrap()
    }
}

/// Distinct RoleIds, as IAM guarantees.
fn arb_roles() -> impl Strategy<Value = Vec<Role>> {
    prop::collection::vec(arb_role(), 0..60).prop_map(|mut roles| {
        for (i, role) in roles.iter_mut().enumerate() {
            role.role_id = format!("AROA{i:017}");
        }
        roles
    })
}

fn params_from(object: Value) -> RoleParameters {
    RoleParameters::from_map(object.as_object().unwrap(), None).unwrap()
}

/// A whole number of days, often one either side of `max_days` where the verdict flips.
fn days_around(max_days: u32) -> impl Strategy<Value = i64> {
    let max = i64::from(max_days);
    prop_oneof![(max - 1).max(0)..=(max + 1), 0i64..800]
}

/// A customer role (no AWS-managed path) and its age and last use in whole days, as chosen:
/// its timestamps are that many days plus part of a day before [`now`].
#[derive(Debug, Clone)]
struct Dated {
    role: Role,
    age_days: i64,
    used_days: Option<i64>,
}

fn arb_dated(max_days: u32) -> impl Strategy<Value = Dated> {
    (
        prop::sample::select(&["/", "/teams/data/", "/service-role/"][..]),
        "[a-z0-9-]{1,30}",
        days_around(max_days),
        0i64..86_400,
        prop::option::of((days_around(max_days), 0i64..86_400)),
    )
        .prop_map(|(path, name, age_days, age_part, used)| Dated {
            role: Role {
                role_id: "AROA00000000000000001".to_owned(),
                arn: format!("arn:aws:iam::111122223333:role{path}{name}"),
                name,
                path: path.to_owned(),
                created: now() - Duration::days(age_days) - Duration::seconds(age_part),
                last_used: used.map(|(days, part)| LastUsed {
                    at: now() - Duration::days(days) - Duration::seconds(part),
                    region: Some("eu-west-1".to_owned()),
                }),
                tags: Vec::new(),
                privilege: Default::default(),
            },
            age_days,
            used_days: used.map(|(days, _)| days),
        })
}

/// Allowlist patterns, each with a path and names it matches by the glob rules the README
/// gives (`*` any run of characters, `/` included; `?` one character; `[ab]` either).
const ALLOWED: [(&str, &str, &str); 4] = [
    ("/breakglass-*", "/", "breakglass-[a-z0-9-]{0,20}"),
    (
        "/service-role/*",
        "/service-role/",
        "[A-Za-z0-9+=,.@_-]{1,40}",
    ),
    ("*/ci-?", "/teams/data/", "ci-[a-z0-9]"),
    ("/teams/[ab]*/*", "/teams/a/x/", "[a-z]{1,20}"),
];

/// A customer role that an exemption covers, by construction, and the parameters that set
/// the exemption up: an allowlist pattern matching it, or the exempt tag with a value that
/// holds on [`now`].
fn arb_exempted() -> impl Strategy<Value = (Role, RoleParameters)> {
    let allowlisted = (0..ALLOWED.len())
        .prop_flat_map(|i| (Just(i), ALLOWED[i].2))
        .prop_map(|(i, name)| {
            let (pattern, path, _) = ALLOWED[i];
            (
                path.to_owned(),
                name,
                Vec::new(),
                json!({"role_allowlist": pattern}),
            )
        });
    let tagged =
        ("[a-z0-9-]{1,30}", prop::sample::select(&HOLDING[..])).prop_map(|(name, value)| {
            let tag = Tag {
                key: "keep".to_owned(),
                value: value.to_owned(),
            };
            (
                "/".to_owned(),
                name,
                vec![tag],
                json!({"exempt_tag_key": "keep"}),
            )
        });
    (prop_oneof![allowlisted, tagged], arb_role(), 1u32..=400).prop_map(
        |((path, name, tags, mut object), timing, max_days)| {
            object["max_days_for_last_used"] = Value::from(max_days.to_string());
            let role = Role {
                arn: format!("arn:aws:iam::111122223333:role{path}{name}"),
                name,
                path,
                tags,
                ..timing
            };
            (role, params_from(object))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1_000,
        // Integration tests have no lib.rs beside them to persist failures next to.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_verdict_agrees_with_whole_days_counted_by_hand(
        (max_days, dated) in (1u32..=400).prop_flat_map(|m| (Just(m), prop::collection::vec(arb_dated(m), 1..20)))
    ) {
        let params = params_from(json!({"max_days_for_last_used": max_days.to_string()}));
        let roles: Vec<Role> = dated.iter().map(|d| d.role.clone()).collect();
        let max = i64::from(max_days);
        for (d, evaluation) in dated.iter().zip(evaluate(&roles, &params, now())) {
            // The README's rules 4 to 7.
            let expected = match d.used_days {
                _ if d.age_days <= max => Compliance::Compliant,
                None => Compliance::NonCompliant,
                Some(used) if used > max => Compliance::NonCompliant,
                Some(_) => Compliance::Compliant,
            };
            prop_assert_eq!(evaluation.compliance, expected, "{:?} {:?}", d, evaluation.annotation);
            if d.age_days > max {
                prop_assert_eq!(evaluation.days_since_last_use(), d.used_days, "{:?}", evaluation.annotation);
            }
        }
    }

    #[test]
    fn raising_the_threshold_never_turns_a_compliant_role_non_compliant(
        roles in arb_roles(), params in arb_params(), raise in 0u32..400
    ) {
        let mut higher = params.clone();
        higher.max_days = (params.max_days + raise).min(400);
        let low = evaluate(&roles, &params, now());
        let high = evaluate(&roles, &higher, now());
        for (low, high) in low.iter().zip(&high) {
            if low.compliance != Compliance::NonCompliant {
                prop_assert_eq!(high.compliance, low.compliance, "{} days: {:?}; {} days: {:?}", params.max_days, low.annotation, higher.max_days, high.annotation);
            }
        }
    }

    #[test]
    fn an_allowlisted_or_exempt_tagged_role_is_compliant_whatever_its_use((role, params) in arb_exempted()) {
        let evaluation = evaluate(std::slice::from_ref(&role), &params, now()).remove(0);
        prop_assert_eq!(evaluation.compliance, Compliance::Compliant, "{:?}", evaluation.annotation);
    }

    #[test]
    fn a_service_linked_role_is_not_applicable_by_default_whatever_its_tags_or_allowlist(
        role in arb_role(),
        service in "[a-z]{1,20}",
        value in prop::sample::select([HOLDING, NOT_HOLDING].concat()),
        patterns in prop::sample::subsequence(&["*", "/aws-service-role/*", "*/AWSServiceRole*", "/breakglass-*"][..], 0..=4),
        max_days in 1u32..=400,
    ) {
        let mut role = role;
        role.path = format!("/aws-service-role/{service}.amazonaws.com/");
        role.tags = vec![Tag { key: "keep".to_owned(), value: value.to_owned() }];
        // service_linked_roles left at its default.
        let params = params_from(json!({
            "max_days_for_last_used": max_days.to_string(),
            "role_allowlist": patterns.join("|"),
            "exempt_tag_key": "keep",
        }));
        let evaluation = evaluate(std::slice::from_ref(&role), &params, now()).remove(0);
        prop_assert_eq!(evaluation.compliance, Compliance::NotApplicable, "{:?}", evaluation.annotation);
    }

    /// Config is sent only what differs from what it holds: a later run must write the same
    /// annotation wherever the rule and result that decided it are the same.
    #[test]
    fn an_annotation_changes_only_with_the_rule_that_decided_it(
        roles in arb_roles(), params in arb_params(), later in 1i64..800
    ) {
        let today = evaluate(&roles, &params, now());
        let then = evaluate(&roles, &params, now() + Duration::days(later));
        for (a, b) in today.iter().zip(&then) {
            if a.compliance == b.compliance && std::mem::discriminant(&a.reason) == std::mem::discriminant(&b.reason) {
                prop_assert_eq!(&a.annotation, &b.annotation, "{} days later", later);
            }
        }
    }

    #[test]
    fn every_role_gets_one_evaluation_whose_annotation_fits_config_and_starts_with_its_name(roles in arb_roles(), params in arb_params()) {
        let evaluations = evaluate(&roles, &params, now());
        // Every other property pairs roles with evaluations by position: a role dropped or
        // added would shift them all.
        let ids: Vec<_> = evaluations.iter().map(|e| e.resource_id.as_str()).collect();
        let expected: Vec<_> = roles.iter().map(|r| r.role_id.as_str()).collect();
        prop_assert_eq!(ids, expected);
        for (role, evaluation) in roles.iter().zip(evaluations) {
            let chars = evaluation.annotation.chars().count();
            prop_assert!((1..=MAX_ANNOTATION_CHARS).contains(&chars), "{} characters", chars);
            let kept: String = role.name.chars().take(MAX_ANNOTATION_CHARS - 1).collect();
            prop_assert!(evaluation.annotation.starts_with(&kept), "{:?} for {:?}", evaluation.annotation, role.name);
        }
    }

    #[test]
    fn privilege_changes_no_verdict_and_labels_only_findings(roles in arb_roles(), params in arb_params(), admin in any::<bool>()) {
        let (privilege, label) = if admin {
            (Privilege::Admin(Grant { policy: "p".to_owned(), action: "*".to_owned() }), "ADMIN: ")
        } else {
            (Privilege::ChangesIam(Grant { policy: "p".to_owned(), action: "iam:PassRole".to_owned() }), "IAM-WRITE: ")
        };
        let privileged: Vec<Role> = roles.iter().cloned().map(|r| Role { privilege: privilege.clone(), ..r }).collect();
        let plain = evaluate(&roles, &params, now());
        for (with, without) in evaluate(&privileged, &params, now()).into_iter().zip(plain) {
            prop_assert_eq!(with.compliance, without.compliance);
            if with.compliance == Compliance::NonCompliant {
                // The same text behind the label, cut to the same limit.
                let behind = with.annotation.strip_prefix(label).unwrap_or_else(|| panic!("{:?}", with.annotation));
                let shared = behind.chars().count().min(without.annotation.chars().count()) - 1;
                prop_assert_eq!(behind.chars().take(shared).collect::<String>(), without.annotation.chars().take(shared).collect::<String>());
            } else {
                prop_assert_eq!(&with.annotation, &without.annotation);
            }
        }
    }

    #[test]
    fn an_exemption_that_does_not_hold_gives_the_verdict_of_no_exemption(roles in arb_roles(), params in arb_params()) {
        let Some(key) = params.exempt_tag_key.clone() else { return Ok(()) };
        for role in &roles {
            let Some(tag) = role.tags.iter().find(|t| t.key == key) else { continue };
            let mut untagged = role.clone();
            untagged.tags.retain(|t| t.key != key);
            let with_tag = evaluate(std::slice::from_ref(role), &params, now()).remove(0);
            let without = evaluate(&[untagged], &params, now()).remove(0);
            if NOT_HOLDING.contains(&tag.value.as_str()) {
                prop_assert_eq!(with_tag.compliance, without.compliance, "{:?}", with_tag.annotation);
            } else {
                prop_assert!(HOLDING.contains(&tag.value.as_str()));
                prop_assert_ne!(with_tag.compliance, Compliance::NonCompliant, "{:?}", with_tag.annotation);
            }
        }
    }

    #[test]
    fn excluding_identity_center_roles_changes_only_identity_center_roles(roles in arb_roles(), params in arb_params()) {
        let mut evaluated = params.clone();
        evaluated.identity_center_roles = IdentityCenterRoles::Evaluate;
        let mut excluded = params;
        excluded.identity_center_roles = IdentityCenterRoles::Exclude;
        let a = evaluate(&roles, &evaluated, now());
        let b = evaluate(&roles, &excluded, now());
        for ((role, a), b) in roles.iter().zip(a).zip(b) {
            if role.path.starts_with("/aws-reserved/sso.amazonaws.com/") {
                prop_assert_eq!(b.compliance, Compliance::NotApplicable);
            } else {
                prop_assert_eq!(a, b);
            }
        }
    }
}

mod users {
    use super::*;
    use iam_role_last_used::core::credential_report::{
        AccessKey, CredentialReport, CredentialRow, KeyUse, Password,
    };
    use iam_role_last_used::core::evaluate::users::evaluate;
    use iam_role_last_used::core::params::{Parameters, UserParameters};
    use iam_role_last_used::core::user::{User, UsersAccount};

    /// The report is three hours old; its data is as of its generation.
    fn generated() -> DateTime<Utc> {
        now() - Duration::hours(3)
    }

    /// `days` whole days and `extra` seconds (less than a day) before the report.
    fn before(days: i64, extra: i64) -> DateTime<Utc> {
        generated() - Duration::days(days) - Duration::seconds(extra)
    }

    /// A credential's chosen ages: days since set or created, and since last use if any.
    #[derive(Debug, Clone)]
    struct Ages {
        set_days: i64,
        used_days: Option<i64>,
        extra: i64,
    }

    impl Ages {
        /// Days without use, counted by hand from the chosen numbers.
        fn unused(&self) -> i64 {
            self.used_days.unwrap_or(self.set_days)
        }
    }

    prop_compose! {
        fn arb_ages()(set_days in 0i64..600, used in prop::option::of(0i64..600), extra in 0i64..86_399) -> Ages {
            // A use is never before the credential was set.
            Ages { set_days, used_days: used.map(|u| u.min(set_days)), extra }
        }
    }

    #[derive(Debug, Clone)]
    struct Generated {
        user: User,
        in_report: bool,
        password: Option<Ages>,
        keys: [Option<(bool, Ages)>; 2],
    }

    impl Generated {
        fn row(&self, line: usize) -> CredentialRow {
            let key = |k: &Option<(bool, Ages)>| {
                k.as_ref().map(|(active, ages)| AccessKey {
                    active: *active,
                    created: before(ages.set_days, ages.extra),
                    last_used: ages.used_days.map(|d| KeyUse {
                        at: before(d, ages.extra),
                        region: None,
                        service: None,
                    }),
                })
            };
            CredentialRow {
                line,
                user: self.user.name.clone(),
                arn: self.user.arn.clone(),
                user_created: self.user.created,
                password: self.password.as_ref().map(|ages| Password {
                    last_used: ages.used_days.map(|d| before(d, ages.extra)),
                    last_changed: Some(before(ages.set_days, ages.extra)),
                }),
                access_keys: [key(&self.keys[0]), key(&self.keys[1])],
            }
        }

        /// The active credentials' days without use.
        fn active_unused(&self) -> Vec<i64> {
            self.password
                .iter()
                .map(Ages::unused)
                .chain(
                    self.keys
                        .iter()
                        .flatten()
                        .filter(|(active, _)| *active)
                        .map(|(_, a)| a.unused()),
                )
                .collect()
        }
    }

    prop_compose! {
        fn arb_user(n: usize)(
            name in "[A-Za-z0-9+=,.@_-]{1,64}",
            path in prop::sample::select(&["/", "/ci/", "/people/"][..]),
            in_report in prop::bool::weighted(0.85),
            created_after in prop::bool::weighted(0.2),
            password in prop::option::of(arb_ages()),
            key1 in prop::option::of((any::<bool>(), arb_ages())),
            key2 in prop::option::of((any::<bool>(), arb_ages())),
        ) -> Generated {
            let created = if created_after { generated() + Duration::minutes(10) } else { before(700, 0) };
            Generated {
                user: User {
                    user_id: format!("AIDA{n:04}"),
                    name: name.clone(),
                    path: path.to_owned(),
                    arn: format!("arn:aws:iam::111122223333:user{path}{name}"),
                    created,
                    tags: Vec::new(),
            privilege: Default::default(),
                },
                in_report: in_report && !created_after,
                password,
                keys: [key1, key2],
            }
        }
    }

    fn arb_users() -> impl Strategy<Value = Vec<Generated>> {
        (0usize..8).prop_flat_map(|n| (0..n).map(arb_user).collect::<Vec<_>>())
    }

    proptest! {
        #[test]
        fn every_user_gets_one_evaluation_in_order_and_non_compliant_only_with_an_active_credential_over_the_threshold(
            users in arb_users(),
            max_days in 1u32..400,
        ) {
            let params = UserParameters::from_event_field(
                Some(&Value::String(json!({"max_days_for_last_used": max_days}).to_string())),
                None,
            ).unwrap();
            let account = UsersAccount {
                users: users.iter().map(|g| g.user.clone()).collect(),
                report: CredentialReport {
                    generated: generated(),
                    rows: users.iter().enumerate().filter(|(_, g)| g.in_report).map(|(i, g)| g.row(i + 2)).collect(),
                },
            };
            let evaluations = evaluate(&account, &params, now());
            prop_assert_eq!(
                evaluations.iter().map(|e| e.resource_id.as_str()).collect::<Vec<_>>(),
                users.iter().map(|g| g.user.user_id.as_str()).collect::<Vec<_>>()
            );
            for (evaluation, generated) in evaluations.iter().zip(&users) {
                let over = generated.active_unused().iter().any(|d| *d > i64::from(max_days));
                let expect_non_compliant = generated.in_report && over;
                prop_assert_eq!(
                    evaluation.compliance == Compliance::NonCompliant,
                    expect_non_compliant,
                    "{:?} for {:?}", evaluation, generated
                );
                prop_assert!(evaluation.annotation.chars().count() <= MAX_ANNOTATION_CHARS);
                let prefix = format!("{}: ", generated.user.name);
                prop_assert!(evaluation.annotation.starts_with(&prefix), "{}", evaluation.annotation);
            }
        }
    }
}
