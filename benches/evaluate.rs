//! The pure core on a large account: evaluating 10 000 roles must cost next to nothing next to
//! the network time of a run (bench/run.py measures that). Run with `cargo bench --bench evaluate`;
//! criterion prints the time per iteration and, for the 10 000-role benches, the throughput
//! (divide the time by 10 000 for ns per role).
//!
//! The roles mix every rule of the README: service-linked, Identity Center, allowlisted by each
//! pattern, exempt by tag (for ever, until a date, expired), young, no use recorded, unused too
//! long, used recently; each carries 2 to 4 tags.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use iam_role_last_used::aws::iam::role_from_detail;
use iam_role_last_used::core::evaluate::{clean_up_evaluations, evaluate, Tally};
use iam_role_last_used::core::event;
use iam_role_last_used::core::params::RoleParameters;
use iam_role_last_used::core::results::{vanished, Compliance, RecordedResult, ResourceType};
use iam_role_last_used::core::role::{LastUsed, Role, Tag};
use serde_json::Value;

const ROLES: usize = 10_000;
/// The parameters of events/scheduled.json.
const SCHEDULED_PARAMETERS: &str = r#"{"max_days_for_last_used":"60","role_allowlist":"/breakglass-role|/security-*|/service-role/*","exempt_tag_key":"keep"}"#;
/// A longer allowlist: every role that reaches rule 2 is matched against all of them.
const TEN_PATTERNS: &str = r#"{"max_days_for_last_used":"90","role_allowlist":"/breakglass-role|/security-*|/service-role/*|*/team-[ab]/*|/legacy-?-app|/ops/oncall-*|*/readonly|/ci/[!x]*|/sandbox/*|/vendor-*-integration","exempt_tag_key":"keep","service_linked_roles":"evaluate"}"#;
const TEAMS: [&str; 6] = ["payments", "search", "platform", "data", "ml", "identity"];
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn days_ago(days: i64, i: usize) -> DateTime<Utc> {
    now() - chrono::Duration::days(days) - chrono::Duration::minutes((i % 1_000) as i64)
}

fn roles() -> Vec<Role> {
    (0..ROLES)
        .map(|i| {
            let team = TEAMS[i % TEAMS.len()];
            let (path, name) = match i % 20 {
                0 => (
                    "/aws-service-role/elasticloadbalancing.amazonaws.com/".to_owned(),
                    format!("AWSServiceRoleForElasticLoadBalancing{i}"),
                ),
                1 | 2 => ("/service-role/".to_owned(), format!("{team}-lambda-{i:05}")),
                3 => ("/".to_owned(), format!("security-audit-{i:05}")),
                4 => (format!("/{team}/team-a/"), format!("{team}-worker-{i:05}")),
                19 => (
                    "/aws-reserved/sso.amazonaws.com/eu-west-1/".to_owned(),
                    format!("AWSReservedSSO_{team}_{i:016x}"),
                ),
                _ => (
                    format!("/{team}/"),
                    format!("{team}-application-role-{i:05}"),
                ),
            };
            let mut tags = vec![
                Tag {
                    key: "team".to_owned(),
                    value: team.to_owned(),
                },
                Tag {
                    key: "env".to_owned(),
                    value: ["prod", "staging", "dev"][i % 3].to_owned(),
                },
            ];
            if i % 2 == 0 {
                tags.push(Tag {
                    key: "cost-center".to_owned(),
                    value: format!("cc-{:03}", i % 997),
                });
            }
            let keep = match i % 20 {
                5 => Some("true"),
                6 => Some("until=2026-06-30; bench"),
                14 => Some("until=2025-06-30"),
                _ => None,
            };
            if let Some(value) = keep {
                tags.push(Tag {
                    key: "keep".to_owned(),
                    value: value.to_owned(),
                });
            }
            let (created, last_used) = match i % 20 {
                7 | 8 => (days_ago(10 + (i % 40) as i64, i), None),
                9..=11 => (days_ago(500 + (i % 900) as i64, i), None),
                12..=15 => (days_ago(900, i), Some(days_ago(61 + (i % 330) as i64, i))),
                _ => (days_ago(700, i), Some(days_ago((i % 60) as i64, i))),
            };
            Role {
                role_id: format!("AROA{i:017}"),
                arn: format!("arn:aws:iam::123456789012:role{path}{name}"),
                name,
                path,
                created,
                last_used: last_used.map(|at| LastUsed {
                    at,
                    region: (i % 7 != 0).then(|| REGIONS[i % REGIONS.len()].to_owned()),
                }),
                tags,
                privilege: Default::default(),
            }
        })
        .collect()
}

fn parameters(text: &str) -> RoleParameters {
    RoleParameters::from_event_field(Some(&Value::String(text.to_owned())), None).unwrap()
}

fn scheduled_event() -> Value {
    serde_json::from_str(include_str!("../events/scheduled.json")).unwrap()
}

fn iam_details(roles: &[Role]) -> Vec<aws_sdk_iam::types::RoleDetail> {
    let time = |t: DateTime<Utc>| aws_smithy_types::DateTime::from_secs(t.timestamp());
    roles
        .iter()
        .map(|role| {
            let mut detail = aws_sdk_iam::types::RoleDetail::builder()
                .path(&role.path)
                .role_name(&role.name)
                .role_id(&role.role_id)
                .arn(&role.arn)
                .create_date(time(role.created));
            if let Some(used) = &role.last_used {
                let mut last =
                    aws_sdk_iam::types::RoleLastUsed::builder().last_used_date(time(used.at));
                if let Some(region) = &used.region {
                    last = last.region(region);
                }
                detail = detail.role_last_used(last.build());
            }
            for tag in &role.tags {
                detail = detail.tags(
                    aws_sdk_iam::types::Tag::builder()
                        .key(&tag.key)
                        .value(&tag.value)
                        .build()
                        .unwrap(),
                );
            }
            detail.build()
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let roles = roles();
    let scheduled = parameters(SCHEDULED_PARAMETERS);
    let ten = parameters(TEN_PATTERNS);

    // The mix really covers every rule: about 5 % not applicable, a third non-compliant.
    let tally = Tally::of(&evaluate(&roles, &scheduled, now()));
    assert_eq!(
        tally.compliant + tally.non_compliant + tally.not_applicable,
        ROLES
    );
    assert_eq!(tally.not_applicable, ROLES / 20, "{tally:?}");
    assert!(tally.non_compliant > ROLES / 4, "{tally:?}");

    let mut group = c.benchmark_group("10000 roles");
    group.throughput(Throughput::Elements(ROLES as u64));
    group.bench_function("evaluate (scheduled.json parameters)", |b| {
        b.iter(|| evaluate(black_box(&roles), black_box(&scheduled), now()))
    });
    group.bench_function("evaluate (10 allowlist patterns)", |b| {
        b.iter(|| evaluate(black_box(&roles), black_box(&ten), now()))
    });
    // The clean-up: Config holds a result for every role and for 100 that are gone.
    let recorded: Vec<RecordedResult> = roles
        .iter()
        .map(|r| r.role_id.clone())
        .chain((0..100).map(|i| format!("AROAGONE{i:013}")))
        .map(|resource_id| RecordedResult {
            resource_type: ResourceType::IamRole,
            resource_id,
            compliance: Compliance::Compliant,
            annotation: None,
            recorded: None,
        })
        .collect();
    let evaluations = evaluate(&roles, &scheduled, now());
    group.bench_function("clean-up (10100 recorded results)", |b| {
        b.iter(|| {
            let live = black_box(&evaluations)
                .iter()
                .map(|e| (e.resource_type, e.resource_id.as_str()));
            clean_up_evaluations(&vanished(live, &recorded, &[ResourceType::IamRole]))
        })
    });
    let details = iam_details(&roles);
    group.bench_function("iam::role_from_detail (SDK RoleDetail -> Role)", |b| {
        b.iter(|| {
            black_box(&details)
                .iter()
                .map(|d| role_from_detail(d).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.finish();

    let event = scheduled_event();
    let field = event.get("ruleParameters").cloned();
    c.bench_function("parse ruleParameters (scheduled.json)", |b| {
        b.iter(|| RoleParameters::from_event_field(black_box(field.as_ref()), None).unwrap())
    });
    c.bench_function("parse ruleParameters (10 allowlist patterns)", |b| {
        let field = Value::String(TEN_PATTERNS.to_owned());
        b.iter(|| RoleParameters::from_event_field(black_box(Some(&field)), None).unwrap())
    });
    c.bench_function("event::decode (scheduled.json)", |b| {
        b.iter(|| event::decode::<RoleParameters>(black_box(&event), Some("60")).unwrap())
    });
}

criterion_group! {
    name = evaluate_benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = benches
}
criterion_main!(evaluate_benches);
