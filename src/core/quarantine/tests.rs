use chrono::TimeZone;

use super::*;
use crate::core::params::Principal;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn days_ago(n: i64) -> DateTime<Utc> {
    now() - chrono::Duration::days(n)
}

fn role(path: &str, name: &str) -> Target {
    Target {
        kind: PrincipalKind::Role,
        name: name.to_owned(),
        id: "AROAEXAMPLE0000000001".to_owned(),
        path: path.to_owned(),
        tags: vec![("team".to_owned(), "data".to_owned())],
        has_quarantine_policy: false,
        access_keys: Vec::new(),
        password_last_used: None,
    }
}

fn user(keys: Vec<AccessKey>) -> Target {
    Target {
        kind: PrincipalKind::User,
        name: "ci-deploy".to_owned(),
        id: "AIDAEXAMPLE0000000001".to_owned(),
        path: "/".to_owned(),
        tags: Vec::new(),
        has_quarantine_policy: false,
        access_keys: keys,
        password_last_used: None,
    }
}

fn key(id: &str, active: bool, days: i64) -> AccessKey {
    AccessKey {
        id: id.to_owned(),
        active,
        last_activity: days_ago(days),
    }
}

fn rule(allowlist: &str, exempt: Option<&str>, result: Option<Compliance>) -> RuleView {
    RuleView {
        rule_name: "iam-role-last-used".to_owned(),
        owner: "CUSTOM_LAMBDA".to_owned(),
        allowlist: Allowlist::parse(Principal::Role, "role_allowlist", allowlist).unwrap(),
        exempt_tag_key: exempt.map(str::to_owned),
        max_days: 45,
        result,
    }
}

fn non_compliant() -> RuleView {
    rule("", Some("keep"), Some(Compliance::NonCompliant))
}

fn tagged(mut target: Target, key: &str, value: &str) -> Target {
    target.tags.push((key.to_owned(), value.to_owned()));
    target
}

fn lines(calls: &[Call]) -> Vec<String> {
    calls.iter().map(Call::line).collect()
}

#[test]
fn each_guard_refuses_with_its_reason() {
    let plain = || role("/", "old-batch");
    let with_policy = Target {
        has_quarantine_policy: true,
        ..plain()
    };
    #[rustfmt::skip]
    let cases: Vec<(Target, RuleView, &str)> = vec![
        (role("/aws-service-role/support.amazonaws.com/", "AWSServiceRoleForSupport"), non_compliant(),
            "role AWSServiceRoleForSupport is service-linked: never quarantined"),
        (role("/aws-reserved/sso.amazonaws.com/eu-west-1/", "AWSReservedSSO_Admin_0123"), non_compliant(),
            "role AWSReservedSSO_Admin_0123 is an IAM Identity Center role: never quarantined (change its permission set instead)"),
        (tagged(plain(), TAG_QUARANTINED_AT, "2026-11-01T00:00:00Z"), non_compliant(),
            "role old-batch is already quarantined (since 2026-11-01T00:00:00Z)"),
        (with_policy, non_compliant(),
            "role old-batch is already quarantined (since an unknown time: it has the UnusedAccessQuarantine policy)"),
        (plain(), rule("/breakglass-* | /old-*", None, Some(Compliance::NonCompliant)),
            "role old-batch is allowlisted by pattern /old-* of rule iam-role-last-used"),
        (tagged(plain(), "keep", "until=2020-01-01"), non_compliant(),
            "role old-batch carries the exempt tag keep"),
        (plain(), RuleView { owner: "AWS".to_owned(), ..non_compliant() },
            "rule iam-role-last-used is owned by AWS, not CUSTOM_LAMBDA: not a rule of this stack"),
        (role("/unused-access/", "stack-QuarantineAutomationRole-1A2B"), non_compliant(),
            "role stack-QuarantineAutomationRole-1A2B is one of this stack's own roles (path /unused-access/): never quarantined"),
        (plain(), rule("", None, Some(Compliance::Compliant)),
            "role old-batch is COMPLIANT in rule iam-role-last-used, not NON_COMPLIANT"),
        (plain(), rule("", None, Some(Compliance::NotApplicable)),
            "role old-batch is NOT_APPLICABLE in rule iam-role-last-used, not NON_COMPLIANT"),
        (plain(), rule("", None, None),
            "role old-batch is not evaluated in rule iam-role-last-used, not NON_COMPLIANT"),
    ];
    for (target, rule, expected) in cases {
        let refusal = quarantine(&target, &rule, now(), BY_CLI).unwrap_err();
        assert_eq!(refusal.to_string(), expected);
    }
}

#[test]
fn an_allowlist_pattern_star_also_matches_slashes() {
    let target = role("/team/batch/", "nightly");
    let refusal = quarantine(
        &target,
        &rule("/team/*", None, Some(Compliance::NonCompliant)),
        now(),
        BY_CLI,
    );
    assert!(
        matches!(refusal, Err(Refusal::Allowlisted { ref pattern, .. }) if pattern == "/team/*")
    );
}

#[test]
fn a_role_is_tagged_then_denied() {
    let calls = quarantine(
        &role("/", "old-batch"),
        &non_compliant(),
        now(),
        "stack-QuarantineRole",
    )
    .unwrap();
    assert_eq!(
        lines(&calls),
        [
            r#"iam:TagRole {"RoleName":"old-batch","Tags":[{"Key":"unused-access:quarantined-at","Value":"2026-12-01T12:00:00Z"},{"Key":"unused-access:quarantined-by","Value":"stack-QuarantineRole"}]}"#,
            r#"iam:PutRolePolicy {"RoleName":"old-batch","PolicyName":"UnusedAccessQuarantine","PolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"UnusedAccessQuarantine\",\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}"#,
        ]
    );
}

#[test]
fn a_user_loses_only_its_unused_active_keys_and_keeps_its_password() {
    let target = Target {
        // Signed in 46 days ago: unused, like the key.
        password_last_used: Some(days_ago(46)),
        ..user(vec![
            key("AKIAZZZUNUSED0000002", true, 46),
            key("AKIABBBINACTIVE00003", false, 3),
        ])
    };
    let mut rule = non_compliant();
    rule.rule_name = "iam-user-unused-credentials".to_owned();
    let calls = quarantine(&target, &rule, now(), BY_CLI).unwrap();
    assert_eq!(
        calls,
        [
            Call::TagUser {
                user: "ci-deploy".to_owned(),
                tags: vec![
                    (
                        TAG_QUARANTINED_AT.to_owned(),
                        "2026-12-01T12:00:00Z".to_owned()
                    ),
                    (TAG_QUARANTINED_BY.to_owned(), "role-audit".to_owned()),
                    (
                        TAG_DEACTIVATED_KEYS.to_owned(),
                        "AKIAZZZUNUSED0000002".to_owned()
                    ),
                ],
            },
            Call::UpdateAccessKey {
                user: "ci-deploy".to_owned(),
                key: "AKIAZZZUNUSED0000002".to_owned(),
                active: false,
            },
            Call::PutUserPolicy {
                user: "ci-deploy".to_owned()
            },
        ]
    );
}

#[test]
fn a_user_with_several_unused_keys_records_them_sorted() {
    let target = user(vec![
        key("AKIAZZZ0000000000002", true, 100),
        key("AKIAAAA0000000000001", true, 900),
    ]);
    let calls = quarantine(&target, &non_compliant(), now(), BY_CLI).unwrap();
    assert_eq!(
        calls[0].parameters()["Tags"][2]["Value"],
        "AKIAAAA0000000000001 AKIAZZZ0000000000002"
    );
    assert_eq!(calls[1].parameters()["AccessKeyId"], "AKIAAAA0000000000001");
    assert_eq!(calls[2].parameters()["AccessKeyId"], "AKIAZZZ0000000000002");
    assert_eq!(calls.len(), 4);
}

#[test]
fn restore_undoes_exactly_what_quarantine_did() {
    let quarantined = Target {
        has_quarantine_policy: true,
        ..tagged(
            tagged(
                role("/", "old-batch"),
                TAG_QUARANTINED_AT,
                "2026-12-01T12:00:00Z",
            ),
            TAG_QUARANTINED_BY,
            "role-audit",
        )
    };
    assert_eq!(
        lines(&restore(&quarantined).unwrap()),
        [
            r#"iam:DeleteRolePolicy {"RoleName":"old-batch","PolicyName":"UnusedAccessQuarantine"}"#,
            r#"iam:UntagRole {"RoleName":"old-batch","TagKeys":["unused-access:quarantined-at","unused-access:quarantined-by"]}"#,
        ]
    );
    // Interrupted after tagging: the policy never came, so restore only removes the tags.
    let interrupted = tagged(
        role("/", "old-batch"),
        TAG_QUARANTINED_AT,
        "2026-12-01T12:00:00Z",
    );
    assert_eq!(
        restore(&interrupted).unwrap(),
        [Call::UntagRole {
            role: "old-batch".to_owned(),
            keys: vec![TAG_QUARANTINED_AT.to_owned(), TAG_QUARANTINED_BY.to_owned()],
        }]
    );
}

#[test]
fn restore_reactivates_only_recorded_keys_that_are_still_inactive() {
    let mut target = user(vec![
        key("AKIAZZZ0000000000002", false, 100),
        key("AKIAAAA0000000000001", false, 900),
        // Deactivated by a person before the quarantine: not in the tag, stays inactive.
        key("AKIAMMM0000000000003", false, 900),
    ]);
    target.has_quarantine_policy = true;
    let target = tagged(
        tagged(target, TAG_QUARANTINED_AT, "2026-12-01T12:00:00Z"),
        TAG_DEACTIVATED_KEYS,
        // A key deleted since is skipped.
        "AKIAAAA0000000000001 AKIAGONE000000000009 AKIAZZZ0000000000002",
    );
    assert_eq!(
        lines(&restore(&target).unwrap()),
        [
            r#"iam:UpdateAccessKey {"UserName":"ci-deploy","AccessKeyId":"AKIAAAA0000000000001","Status":"Active"}"#,
            r#"iam:UpdateAccessKey {"UserName":"ci-deploy","AccessKeyId":"AKIAZZZ0000000000002","Status":"Active"}"#,
            r#"iam:DeleteUserPolicy {"UserName":"ci-deploy","PolicyName":"UnusedAccessQuarantine"}"#,
            r#"iam:UntagUser {"UserName":"ci-deploy","TagKeys":["unused-access:quarantined-at","unused-access:quarantined-by","unused-access:deactivated-keys"]}"#,
        ]
    );
}

#[test]
fn restore_refuses_a_principal_never_quarantined() {
    assert_eq!(
        restore(&user(Vec::new())).unwrap_err().to_string(),
        "user ci-deploy is not quarantined (no unused-access:quarantined-at tag)"
    );
}

#[test]
fn the_policy_denies_every_action_on_every_resource() {
    let policy: Value = serde_json::from_str(POLICY_DOCUMENT).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "UnusedAccessQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}
        ]})
    );
}

/// The SSM documents in template.yaml make the same calls with the same names: a change to a
/// constant here or to a document there breaks this count.
#[test]
fn the_ssm_documents_carry_the_same_policy_and_tag_names() {
    let template = include_str!("../../../template.yaml");
    let count = |text: String| template.matches(text.as_str()).count();
    // Two Put steps (role, user), two Delete steps.
    assert_eq!(count(format!("PolicyDocument: '{POLICY_DOCUMENT}'")), 2);
    assert_eq!(count(format!("PolicyName: {POLICY_NAME}\n")), 4);
    // Each document's guard script names the policy and the tag it looks for.
    assert_eq!(count(format!("POLICY_NAME = \"{POLICY_NAME}\"")), 4);
    assert_eq!(
        count(format!("QUARANTINED_AT = \"{TAG_QUARANTINED_AT}\"")),
        4
    );
    assert_eq!(
        count(format!("DEACTIVATED_KEYS = \"{TAG_DEACTIVATED_KEYS}\"")),
        1
    );
    // Tagged by both quarantines, untagged by both restores.
    assert_eq!(count(format!("- Key: {TAG_QUARANTINED_AT}\n")), 2);
    assert_eq!(count(format!("- Key: {TAG_QUARANTINED_BY}\n")), 2);
    assert_eq!(count(format!("- Key: {TAG_DEACTIVATED_KEYS}\n")), 1);
    assert_eq!(count(format!("- {TAG_QUARANTINED_AT}\n")), 2);
    assert_eq!(count(format!("- {TAG_QUARANTINED_BY}\n")), 2);
    assert_eq!(count(format!("- {TAG_DEACTIVATED_KEYS}\n")), 1);
}

#[test]
fn a_user_still_using_a_credential_is_refused_whatever_else_is_unused() {
    let unused_key = || key("AKIAZZZ0000000000002", true, 300);
    #[rustfmt::skip]
    let cases: Vec<(Target, Option<&str>)> = vec![
        (Target { password_last_used: Some(days_ago(45)), ..user(vec![unused_key()]) },
            Some("user ci-deploy signed in with its console password 45 days ago (within the rule's 45 days): quarantine would stop it; remove the unused credentials by hand instead")),
        (Target { password_last_used: Some(days_ago(46)), ..user(vec![unused_key()]) }, None),
        (user(vec![unused_key(), key("AKIAAAA0000000000001", true, 45)]),
            Some("user ci-deploy has access key AKIAAAA0000000000001 used or created 45 days ago (within the rule's 45 days): quarantine would stop it; remove the unused credentials by hand instead")),
        // Of two keys in use, the first by id is named.
        (user(vec![key("AKIAZZZ0000000000009", true, 1), key("AKIAMMM0000000000005", true, 10)]),
            Some("user ci-deploy has access key AKIAMMM0000000000005 used or created 10 days ago (within the rule's 45 days): quarantine would stop it; remove the unused credentials by hand instead")),
        (user(vec![unused_key(), key("AKIAAAA0000000000001", true, 46)]), None),
        // An inactive key used yesterday stops nothing: the deny is no loss to it.
        (user(vec![unused_key(), key("AKIAAAA0000000000001", false, 1)]), None),
    ];
    for (target, refusal) in cases {
        let result = quarantine(&target, &non_compliant(), now(), BY_CLI);
        match refusal {
            Some(text) => assert_eq!(result.unwrap_err().to_string(), text),
            None => assert!(result.is_ok(), "{result:?}"),
        }
    }
}

#[test]
fn a_user_without_a_key_to_deactivate_records_none_and_restores_nothing() {
    let calls = quarantine(&user(Vec::new()), &non_compliant(), now(), BY_CLI).unwrap();
    assert_eq!(calls[0].parameters()["Tags"][2]["Value"], NO_KEYS);
    assert_eq!(calls.len(), 2, "tag and deny: no key to deactivate");
    let quarantined = Target {
        has_quarantine_policy: true,
        ..tagged(
            tagged(
                user(vec![key("AKIAAAA0000000000001", false, 900)]),
                TAG_QUARANTINED_AT,
                "2026-12-01T12:00:00Z",
            ),
            TAG_DEACTIVATED_KEYS,
            NO_KEYS,
        )
    };
    let restore = restore(&quarantined).unwrap();
    assert!(
        restore
            .iter()
            .all(|c| !matches!(c, Call::UpdateAccessKey { .. })),
        "{restore:?}"
    );
}

#[test]
fn the_principal_guards_come_before_the_rule_is_read() {
    let service_linked = role("/aws-service-role/x.amazonaws.com/", "AWSServiceRoleForX");
    assert_eq!(
        principal_guards(&service_linked),
        Err(Refusal::ServiceLinked {
            name: "AWSServiceRoleForX".to_owned()
        })
    );
    assert_eq!(principal_guards(&role("/", "old-batch")), Ok(()));
}
