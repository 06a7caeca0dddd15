//! Properties of the evaluator that hold for any roles and parameters.

use chrono::{DateTime, Duration, TimeZone, Utc};
use iam_role_last_used::core::evaluate::{evaluate, MAX_ANNOTATION_CHARS};
use iam_role_last_used::core::params::{IdentityCenterRoles, RuleParameters, ServiceLinkedRoles};
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
    ) -> RuleParameters {
        let mut object = json!({
            "max_days_for_last_used": max_days.to_string(),
            "role_allowlist": patterns.join("|"),
            "service_linked_roles": if evaluate_linked { "evaluate" } else { "exclude" },
            "identity_center_roles": if evaluate_identity_center { "evaluate" } else { "exclude" },
        });
        if let Some(key) = exempt {
            object["exempt_tag_key"] = Value::from(key);
        }
        RuleParameters::from_map(object.as_object().unwrap(), None).unwrap()
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

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1_000,
        // Integration tests have no lib.rs beside them to persist failures next to.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn exactly_one_evaluation_per_role_in_input_order(roles in arb_roles(), params in arb_params()) {
        let evaluations = evaluate(&roles, &params, now());
        let ids: Vec<_> = evaluations.iter().map(|e| e.resource_id.as_str()).collect();
        let expected: Vec<_> = roles.iter().map(|r| r.role_id.as_str()).collect();
        prop_assert_eq!(ids, expected);
    }

    #[test]
    fn annotations_fit_config_and_start_with_the_role_name(roles in arb_roles(), params in arb_params()) {
        for (role, evaluation) in roles.iter().zip(evaluate(&roles, &params, now())) {
            let chars = evaluation.annotation.chars().count();
            prop_assert!((1..=MAX_ANNOTATION_CHARS).contains(&chars), "{} characters", chars);
            let kept: String = role.name.chars().take(MAX_ANNOTATION_CHARS - 1).collect();
            prop_assert!(evaluation.annotation.starts_with(&kept), "{:?} for {:?}", evaluation.annotation, role.name);
        }
    }

    #[test]
    fn results_do_not_depend_on_input_order(roles in arb_roles(), params in arb_params(), seed in any::<u64>()) {
        let mut shuffled = roles.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut a = evaluate(&roles, &params, now());
        let mut b = evaluate(&shuffled, &params, now());
        a.sort_by(|x, y| x.resource_id.cmp(&y.resource_id));
        b.sort_by(|x, y| x.resource_id.cmp(&y.resource_id));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn allowlisted_roles_are_never_non_compliant(roles in arb_roles(), params in arb_params()) {
        for (role, evaluation) in roles.iter().zip(evaluate(&roles, &params, now())) {
            if params.allowlist.first_match(&role.path_and_name()).is_some() {
                prop_assert_ne!(evaluation.compliance, Compliance::NonCompliant);
            }
            if role.is_service_linked() && params.service_linked_roles == ServiceLinkedRoles::Exclude {
                prop_assert_eq!(evaluation.compliance, Compliance::NotApplicable);
            }
            if role.is_identity_center() && params.identity_center_roles == IdentityCenterRoles::Exclude {
                prop_assert_eq!(evaluation.compliance, Compliance::NotApplicable);
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
