//! Snapshot tests of the tables people read. A change to the layout shows up as a diff here;
//! accept it with `UPDATE_SNAPSHOTS=1 cargo test --test table_snapshots` and review the files.

use chrono::{DateTime, Duration, TimeZone, Utc};
use iam_role_last_used::cli::output::{render, Format, Row, TableStyle};
use iam_role_last_used::cli::report;
use iam_role_last_used::cli::snapshot;
use iam_role_last_used::core::evaluate::evaluate;
use iam_role_last_used::core::params::RuleParameters;
use iam_role_last_used::core::results::{Compliance, RecordedResult, ResourceType};
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn file(name: &str) -> String {
    format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn check_snapshot(name: &str, actual: &str) {
    let path = file(&format!("tests/snapshots/{name}"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (create it with UPDATE_SNAPSHOTS=1)"));
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

fn bundled_rows() -> Vec<Row> {
    let text = std::fs::read_to_string(file("events/account-snapshot.json")).unwrap();
    let roles = snapshot::parse(&text, "account-snapshot.json").unwrap();
    let parameters =
        std::fs::read_to_string(file("events/account-snapshot.parameters.json")).unwrap();
    let params = RuleParameters::from_event_field(Some(&Value::String(parameters)), None).unwrap();
    evaluate(&roles, &params, now())
        .iter()
        .map(Row::from)
        .collect()
}

#[test]
fn evaluate_table_of_the_bundled_account() {
    check_snapshot(
        "evaluate-table.txt",
        &render(&bundled_rows(), Format::Table, TableStyle::default()),
    );
}

#[test]
fn report_table_with_recorded_times_and_a_deleted_role() {
    let text = std::fs::read_to_string(file("events/account-snapshot.json")).unwrap();
    let roles = snapshot::parse(&text, "account-snapshot.json").unwrap();
    let recorded = now() - Duration::hours(7);
    let mut results: Vec<RecordedResult> = bundled_rows()
        .into_iter()
        .filter(|r| r.compliance_type == Compliance::NonCompliant)
        .map(|r| RecordedResult {
            resource_type: ResourceType::IamRole,
            resource_id: r.role_id,
            compliance: r.compliance_type,
            annotation: Some(r.annotation),
            recorded: Some(recorded),
        })
        .collect();
    results.push(RecordedResult {
        resource_type: ResourceType::IamRole,
        resource_id: "AROAZZZZZZZZZZZZZZZZZ".to_owned(),
        compliance: Compliance::parse("NON_COMPLIANT").unwrap(),
        annotation: Some(
            "old-batch-job: last used 300 days ago in us-east-1, over the 60-day threshold"
                .to_owned(),
        ),
        recorded: Some(recorded - Duration::days(1)),
    });
    let rows = report::join(&results, &roles, now());
    check_snapshot(
        "report-table.txt",
        &render(&rows, Format::Table, TableStyle::default()),
    );
}

#[test]
fn colour_marks_only_the_compliance_column() {
    let table = render(&bundled_rows(), Format::Table, TableStyle { colour: true });
    let plain = render(&bundled_rows(), Format::Table, TableStyle::default());
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
