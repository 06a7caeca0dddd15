//! Generated-input testing on stable Rust (proptest), not coverage-guided fuzzing: the event
//! and parameter decoding must return Ok or a clear error for any input, never panic. Cases:
//! `FUZZ_CASES` (default 50 000; zero is refused, since it would try nothing).

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use iam_role_last_used::core::credential_report;
use iam_role_last_used::core::event::decode;
use iam_role_last_used::core::params::{RoleParameters, UserParameters};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

/// `FUZZ_CASES`, or 50 000; panics on a value that is not a whole number from 1.
fn cases() -> u32 {
    cases_from(std::env::var("FUZZ_CASES").ok().as_deref())
}

fn cases_from(value: Option<&str>) -> u32 {
    let Some(text) = value else { return 50_000 };
    match text.trim().parse::<u32>() {
        Ok(0) => panic!("FUZZ_CASES=0 would try no input at all; give at least 1"),
        Ok(n) => n,
        Err(e) => panic!("FUZZ_CASES={text:?} is not a whole number of cases ({e})"),
    }
}

#[test]
fn fuzz_cases_default_to_50_000_and_take_a_positive_number() {
    assert_eq!(cases_from(None), 50_000);
    assert_eq!(cases_from(Some("7")), 7);
}

#[test]
#[should_panic(expected = "FUZZ_CASES=0 would try no input at all; give at least 1")]
fn zero_fuzz_cases_is_an_error() {
    cases_from(Some("0"));
}

#[test]
#[should_panic(expected = "FUZZ_CASES=\"many\" is not a whole number of cases")]
fn fuzz_cases_that_are_not_a_number_are_an_error() {
    cases_from(Some("many"));
}

/// Any JSON value, a few levels deep.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        prop::sample::select(vec![
            "60",
            "0",
            "-1",
            "401",
            "60.5",
            "1e9",
            "",
            "exclude",
            "evaluate",
            "/a*|[",
            "TESTMODE",
            "ScheduledNotification"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "max_days_for_last_used",
                    "role_allowlist",
                    "role_whitelist",
                    "user_allowlist",
                    "execution_role_name",
                    "exempt_tag_key",
                    "service_linked_roles",
                    "messageType",
                    "notificationCreationTime",
                    "x"
                ])
                .prop_map(str::to_owned),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The bundled event with one field replaced by anything: a JSON value, or a JSON text of
/// one (the way invokingEvent and ruleParameters travel), or a raw string.
fn arb_event() -> impl Strategy<Value = Value> {
    let base: Value = serde_json::from_str(include_str!("../../events/scheduled.json")).unwrap();
    let fields = vec![
        "invokingEvent",
        "ruleParameters",
        "resultToken",
        "configRuleName",
        "accountId",
        "executionRoleArn",
    ];
    (prop::sample::select(fields), arb_json(), 0u8..3, ".{0,60}").prop_map(
        move |(field, value, how, raw)| {
            let mut event = base.clone();
            let replacement = match how {
                0 => value,
                1 => Value::String(value.to_string()),
                _ => Value::String(raw),
            };
            event[field] = replacement;
            event
        },
    )
}

#[test]
fn decoding_never_panics() {
    let cases = cases();
    let tried = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop_oneof![arb_json(), arb_event()];
    runner
        .run(&strategy, |payload| {
            tried.fetch_add(1, Ordering::Relaxed);
            match decode::<RoleParameters>(&payload, None) {
                Ok(invocation) => prop_assert!(
                    invocation.params.max_days >= 1 && invocation.params.max_days <= 400
                ),
                Err(error) => prop_assert!(error.is_bad_input(), "{error}"),
            }
            Ok(())
        })
        .unwrap();
    let tried = tried.load(Ordering::Relaxed);
    eprintln!("fuzz: {tried} event payloads decoded without a panic");
    assert!(
        tried >= cases as usize,
        "only {tried} of {cases} generated payloads were decoded"
    );
}

#[test]
fn decoding_users_rule_parameters_never_panics() {
    let mut runner = TestRunner::new(Config {
        cases: cases().div_ceil(10),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop_oneof![arb_json(), arb_event()], |payload| {
            match decode::<UserParameters>(&payload, None) {
                Ok(invocation) => prop_assert!((1..=3650).contains(&invocation.params.max_days)),
                Err(error) => prop_assert!(error.is_bad_input(), "{error}"),
            }
            Ok(())
        })
        .unwrap();
}

const REPORT_HEADER: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// A value any column of a report may hold, valid in some columns and not in others.
fn arb_report_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "true", "false", "TRUE", "FALSE", "N/A", "no_information", "not_supported",
            "2024-05-01T10:00:00+00:00", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123+02:00",
            "2024-02-30T00:00:00+00:00", "us-east-1", "s3", "", "\"a,b\"", "\"", "<root_account>",
        ])
        .prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn arb_report() -> impl Strategy<Value = String> {
    let row = prop::collection::vec(arb_report_value(), REPORT_HEADER.len());
    (
        prop::collection::vec(row, 0..6),
        any::<bool>(),
        0u8..5,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        ".{0,3}",
    )
        .prop_map(|(rows, root, how, at, at_too, text)| {
            let mut report = REPORT_HEADER.join(",");
            if root {
                report.push_str("\n<root_account>,arn:aws:iam::1:root,2020-01-01T00:00:00+00:00,not_supported,2024-05-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A");
            }
            for (n, row) in rows.iter().enumerate() {
                report.push_str(&format!("\nu{n},arn:aws:iam::1:user/u{n},{}", row[2..].join(",")));
            }
            // Mutations on a character boundary: cut, insert, swap two columns' names.
            let chars: Vec<char> = report.chars().collect();
            let i = at.index(chars.len() + 1);
            match how {
                0 => chars[..i].iter().collect(),
                1 => {
                    let mut s: String = chars[..i].iter().collect();
                    s.push_str(&text);
                    s.extend(&chars[i..]);
                    s
                }
                2 => {
                    let (a, b) = (at.index(REPORT_HEADER.len()), at_too.index(REPORT_HEADER.len()));
                    let mut header = REPORT_HEADER;
                    header.swap(a, b);
                    report.replacen(&REPORT_HEADER.join(","), &header.join(","), 1)
                }
                _ => report,
            }
        })
}

#[test]
fn parsing_a_credential_report_never_panics_and_problems_name_a_line_that_exists() {
    let generated = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: cases().div_ceil(10),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&arb_report(), |content| {
            let lines = content.split('\n').count();
            match credential_report::parse(content.as_bytes(), generated) {
                Ok(report) => prop_assert!(
                    report.rows.iter().all(|r| r.line >= 2
                        && r.line <= lines
                        && r.user != credential_report::ROOT_ACCOUNT),
                    "{content}"
                ),
                Err(problem) => prop_assert!(
                    problem.line >= 1 && problem.line <= lines && !problem.field.is_empty(),
                    "{problem:?} for {content:?}"
                ),
            }
            Ok(())
        })
        .unwrap();
}
