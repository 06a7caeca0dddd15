//! The tables people read. The snapshots pin the layout: a change shows up as a diff here;
//! `UPDATE_SNAPSHOTS=1` rewrites the files that differ and fails, so the new files are reviewed
//! and the tests run again without it. What the report says is checked against expectations
//! written here, and its snapshot is fed the results the scenario table expects
//! (`events/account-snapshot.expected.json`), not the evaluator's output.

use chrono::{DateTime, Duration, TimeZone, Utc};
use iam_role_last_used::cli::output::{render, Format, Row, TableStyle};
use iam_role_last_used::cli::report;
use iam_role_last_used::cli::snapshot;
use iam_role_last_used::core::credential_report;
use iam_role_last_used::core::evaluate::{evaluate, users};
use iam_role_last_used::core::params::{Parameters, RoleParameters, UserParameters};
use iam_role_last_used::core::results::{Compliance, RecordedResult, ResourceType};
use iam_role_last_used::core::role::{LastUsed, Role};
use iam_role_last_used::core::settings::RuleKind;
use iam_role_last_used::core::user::UsersAccount;
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn file(name: &str) -> String {
    format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn check_snapshot(name: &str, actual: &str) {
    let path = file(&format!("tests/snapshots/{name}"));
    let expected = std::fs::read_to_string(&path);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        if expected.as_deref().ok() != Some(actual) {
            std::fs::write(&path, actual).unwrap();
            panic!("{name}: snapshots rewritten, re-run without UPDATE_SNAPSHOTS once the diff is reviewed");
        }
        return;
    }
    let expected =
        expected.unwrap_or_else(|e| panic!("{path}: {e} (create it with UPDATE_SNAPSHOTS=1)"));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its snapshot at line {}:\n  snapshot: {:?}\n  now:      {:?}\n(accept with UPDATE_SNAPSHOTS=1)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// A compliance type as Config reports it.
fn compliance(text: &str) -> Compliance {
    Compliance::parse(text).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn bundled_rows() -> Vec<Row> {
    let text = std::fs::read_to_string(file("events/account-snapshot.json")).unwrap();
    let roles = snapshot::parse(&text, "account-snapshot.json").unwrap();
    let parameters =
        std::fs::read_to_string(file("events/account-snapshot.parameters.json")).unwrap();
    let params = RoleParameters::from_event_field(Some(&Value::String(parameters)), None).unwrap();
    evaluate(&roles, &params, now())
        .iter()
        .map(Row::from)
        .collect()
}

#[test]
fn evaluate_table_of_the_bundled_account() {
    check_snapshot(
        "evaluate-table.txt",
        &render(
            RuleKind::Roles,
            &bundled_rows(),
            Format::Table,
            TableStyle::default(),
        ),
    );
}

/// The users example as `role-audit evaluate --kind users` shows it, the report generated 2
/// hours before [`now`] (scripts/make_user_snapshot.py's GENERATED).
fn bundled_user_rows() -> Vec<Row> {
    let text = std::fs::read_to_string(file("events/users-snapshot.json")).unwrap();
    let users = snapshot::parse_users(&text, "users-snapshot.json").unwrap();
    let csv = std::fs::read(file("events/users-credential-report.csv")).unwrap();
    let report = credential_report::parse(&csv, now() - Duration::hours(2)).unwrap();
    let parameters =
        std::fs::read_to_string(file("events/users-snapshot.parameters.json")).unwrap();
    let params = UserParameters::from_event_field(Some(&Value::String(parameters)), None).unwrap();
    users::evaluate(&UsersAccount { users, report }, &params, now())
        .iter()
        .map(Row::from)
        .collect()
}

#[test]
fn evaluate_table_of_the_bundled_users_example() {
    check_snapshot(
        "evaluate-users-table.txt",
        &render(
            RuleKind::Users,
            &bundled_user_rows(),
            Format::Table,
            TableStyle::default(),
        ),
    );
}

/// The bundled account's NON_COMPLIANT results as the scenario table expects them, recorded
/// 7 hours before [`now`], and one for a role deleted since.
fn bundled_non_compliant_results() -> Vec<RecordedResult> {
    let text = std::fs::read_to_string(file("events/account-snapshot.expected.json")).unwrap();
    let expected: Vec<Value> = serde_json::from_str(&text).unwrap();
    let recorded = now() - Duration::hours(7);
    let mut results: Vec<RecordedResult> = expected
        .iter()
        .filter(|r| r["ComplianceType"] == "NON_COMPLIANT")
        .map(|r| RecordedResult {
            resource_type: ResourceType::IamRole,
            resource_id: r["RoleId"].as_str().unwrap().to_owned(),
            compliance: compliance("NON_COMPLIANT"),
            annotation: Some(r["Annotation"].as_str().unwrap().to_owned()),
            recorded: Some(recorded),
        })
        .collect();
    results.push(RecordedResult {
        resource_type: ResourceType::IamRole,
        resource_id: "AROAZZZZZZZZZZZZZZZZZ".to_owned(),
        compliance: compliance("NON_COMPLIANT"),
        annotation: Some(
            "old-batch-job: last used 2025-03-07 in us-east-1, over the 60-day threshold"
                .to_owned(),
        ),
        recorded: Some(recorded - Duration::days(1)),
    });
    results
}

#[test]
fn report_table_with_recorded_times_and_a_deleted_role() {
    let text = std::fs::read_to_string(file("events/account-snapshot.json")).unwrap();
    let roles = snapshot::parse(&text, "account-snapshot.json").unwrap();
    let results = bundled_non_compliant_results();
    assert_eq!(
        results.len(),
        21,
        "20 NON_COMPLIANT roles and a deleted one"
    );
    let rows = report::join(&results, &roles, now());
    check_snapshot(
        "report-table.txt",
        &render(RuleKind::Roles, &rows, Format::Table, TableStyle::default()),
    );
}

fn role(n: u32, path: &str, name: &str, last_used: Option<(&str, &str)>) -> Role {
    Role {
        role_id: format!("AROA{n:017}"),
        name: name.to_owned(),
        path: path.to_owned(),
        arn: format!("arn:aws:iam::123456789012:role{path}{name}"),
        created: at("2023-01-01T00:00:00Z"),
        last_used: last_used.map(|(time, region)| LastUsed {
            at: at(time),
            region: Some(region.to_owned()),
        }),
        tags: Vec::new(),
        privilege: Default::default(),
    }
}

fn result(
    id: &str,
    compliance_type: &str,
    annotation: Option<&str>,
    recorded: Option<&str>,
) -> RecordedResult {
    RecordedResult {
        resource_type: ResourceType::IamRole,
        resource_id: id.to_owned(),
        compliance: compliance(compliance_type),
        annotation: annotation.map(str::to_owned),
        recorded: recorded.map(at),
    }
}

/// Config's results joined with today's roles: name, path, days unused and Region from the
/// role, by RoleId; compliance, annotation and time from the result, as recorded (the report
/// does not evaluate again).
#[test]
fn the_report_shows_what_config_recorded_beside_the_role_it_names() {
    let roles = [
        role(
            1,
            "/",
            "ci-legacy",
            Some(("2025-10-02T19:00:00Z", "eu-west-1")),
        ),
        role(2, "/service-role/", "app", None),
        role(
            4,
            "/teams/",
            "reader",
            Some(("2025-12-29T00:00:01Z", "us-east-1")),
        ),
    ];
    let results = [
        result(
            "AROA00000000000000001",
            "NON_COMPLIANT",
            Some("ci-legacy: last used 2025-10-02 in eu-west-1, over the 60-day threshold"),
            Some("2025-12-31T17:00:00Z"),
        ),
        result(
            "AROA00000000000000002",
            "COMPLIANT",
            Some("app: allowlisted by pattern /service-role/*"),
            None,
        ),
        result(
            "AROAGONE0000000000003",
            "NON_COMPLIANT",
            Some("old-batch-job: last used 2025-03-07 in us-east-1, over the 60-day threshold"),
            Some("2025-12-30T17:00:00Z"),
        ),
        result(
            "AROA00000000000000004",
            "COMPLIANT",
            None,
            Some("2025-12-31T17:00:00Z"),
        ),
    ];

    let rows = report::join(&results, &roles, now());

    let row = |name: &str,
               path: &str,
               id: &str,
               compliance_type: &str,
               days: Option<i64>,
               region: Option<&str>,
               annotation: &str,
               recorded: Option<&str>| Row {
        kind: RuleKind::Roles,
        name: name.to_owned(),
        path: path.to_owned(),
        id: id.to_owned(),
        compliance_type: compliance(compliance_type),
        days_since_last_use: days,
        last_used_region: region.map(str::to_owned),
        annotation: annotation.to_owned(),
        detail: None,
        result_recorded_time: recorded.map(str::to_owned),
        account_id: None,
        privilege: None,
    };
    assert_eq!(
        rows,
        [
            // Last used 90 days and 5 hours before 2026-01-01T00:00:00Z.
            row(
                "ci-legacy",
                "/",
                "AROA00000000000000001",
                "NON_COMPLIANT",
                Some(90),
                Some("eu-west-1"),
                "ci-legacy: last used 2025-10-02 in eu-west-1, over the 60-day threshold",
                Some("2025-12-31T17:00:00Z")
            ),
            row(
                "app",
                "/service-role/",
                "AROA00000000000000002",
                "COMPLIANT",
                None,
                None,
                "app: allowlisted by pattern /service-role/*",
                None
            ),
            row(
                "",
                "",
                "AROAGONE0000000000003",
                "NON_COMPLIANT",
                None,
                None,
                "old-batch-job: last used 2025-03-07 in us-east-1, over the 60-day threshold",
                Some("2025-12-30T17:00:00Z")
            ),
            // One second short of 3 days before: 2 whole days.
            row(
                "reader",
                "/teams/",
                "AROA00000000000000004",
                "COMPLIANT",
                Some(2),
                Some("us-east-1"),
                "",
                Some("2025-12-31T17:00:00Z")
            ),
        ]
    );

    let table = render(RuleKind::Roles, &rows, Format::Table, TableStyle::default());
    let cells: Vec<Vec<&str>> = table
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        cells,
        [
            vec![
                "COMPLIANCE",
                "ROLE",
                "ROLE ID",
                "UNUSED",
                "REGION",
                "RECORDED",
                "REASON"
            ],
            vec![
                "NON_COMPLIANT",
                "ci-legacy",
                "AROA00000000000000001",
                "90d",
                "eu-west-1",
                "2025-12-31T17:00:00Z",
                "last used 2025-10-02 in eu-west-1, over the 60-day threshold"
            ],
            vec![
                "NON_COMPLIANT",
                "(no longer exists)",
                "AROAGONE0000000000003",
                "-",
                "-",
                "2025-12-30T17:00:00Z",
                "old-batch-job: last used 2025-03-07 in us-east-1, over the 60-day threshold"
            ],
            vec![
                "COMPLIANT",
                "reader",
                "AROA00000000000000004",
                "2d",
                "us-east-1",
                "2025-12-31T17:00:00Z"
            ],
            vec![
                "COMPLIANT",
                "app",
                "AROA00000000000000002",
                "-",
                "-",
                "-",
                "allowlisted by pattern /service-role/*"
            ],
            vec![],
            vec!["4 roles: 2 NON_COMPLIANT, 2 COMPLIANT, 0 NOT_APPLICABLE (1 no longer exists)"],
        ]
    );
}

#[test]
fn colour_marks_only_the_compliance_column() {
    let table = render(
        RuleKind::Roles,
        &bundled_rows(),
        Format::Table,
        TableStyle { colour: true },
    );
    let plain = render(
        RuleKind::Roles,
        &bundled_rows(),
        Format::Table,
        TableStyle::default(),
    );
    assert!(table
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("\x1b[31mNON_COMPLIANT"));
    assert!(table.contains("\x1b[32mCOMPLIANT"));
    assert!(table.contains("\x1b[2mNOT_APPLICABLE"));
    let stripped = table
        .replace("\x1b[31m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[2m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain, "same layout with and without colour");
}

#[test]
fn the_table_shows_privileged_findings_first_with_their_label_in_a_column() {
    let result = |id: &str, compliance: &str, annotation: &str| RecordedResult {
        resource_type: ResourceType::IamRole,
        resource_id: id.to_owned(),
        compliance: Compliance::parse(compliance).unwrap(),
        annotation: Some(annotation.to_owned()),
        recorded: None,
    };
    let results = [
        result(
            "AROA1",
            "NON_COMPLIANT",
            "old-reader: last used 2025-01-01, over the 60-day threshold",
        ),
        result(
            "AROA2",
            "NON_COMPLIANT",
            "IAM-WRITE: role-editor: last used 2025-10-01, over the 60-day threshold",
        ),
        result(
            "AROA3",
            "COMPLIANT",
            "fresh: used within the 60-day threshold",
        ),
        result(
            "AROA4",
            "NON_COMPLIANT",
            "ADMIN: app-deployer: last used 2025-11-01 in us-east-1, over the 60-day threshold",
        ),
    ];
    let rows = report::join(&results, &[], now());
    let text = render(RuleKind::Roles, &rows, Format::Table, TableStyle::default());
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    assert_eq!(
        lines,
        [
            "COMPLIANCE     PRIVILEGE  ROLE                ROLE ID  UNUSED  REGION  REASON",
            "NON_COMPLIANT  ADMIN      (no longer exists)  AROA4    -       -       app-deployer: last used 2025-11-01 in us-east-1, over the 60-day threshold",
            "NON_COMPLIANT  IAM-WRITE  (no longer exists)  AROA2    -       -       role-editor: last used 2025-10-01, over the 60-day threshold",
            "NON_COMPLIANT  -          (no longer exists)  AROA1    -       -       old-reader: last used 2025-01-01, over the 60-day threshold",
            "COMPLIANT      -          (no longer exists)  AROA3    -       -       fresh: used within the 60-day threshold",
            "",
            "4 roles: 3 NON_COMPLIANT, 1 COMPLIANT, 0 NOT_APPLICABLE (4 no longer exist)",
        ]
    );
    let json: Value = serde_json::from_str(&render(
        RuleKind::Roles,
        &rows,
        Format::Json,
        TableStyle::default(),
    ))
    .unwrap();
    let privileges: Vec<&Value> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["Privilege"])
        .collect();
    assert_eq!(
        privileges,
        [
            &Value::Null,
            &Value::from("IAM-WRITE"),
            &Value::Null,
            &Value::from("ADMIN")
        ],
        "JSON keeps Config's order"
    );
    let csv = render(RuleKind::Roles, &rows, Format::Csv, TableStyle::default());
    let csv: Vec<&str> = csv.split("\r\n").collect();
    assert!(csv[0].ends_with(",AccountId,Privilege"), "{}", csv[0]);
    assert!(csv[4].ends_with(",,ADMIN"), "{}", csv[4]);
}
