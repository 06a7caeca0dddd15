//! role-audit on the bundled snapshot, checked against the expected results that
//! scripts/make_snapshot.py wrote from its scenario table.

use std::process::{Command, Output};

use serde_json::Value;

const NOW: &str = "2026-01-01T00:00:00Z";

fn events(file: &str) -> String {
    format!("{}/events/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn role_audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_role-audit"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn parameters() -> String {
    std::fs::read_to_string(events("account-snapshot.parameters.json")).unwrap()
}

/// (RoleName, RoleId, ComplianceType, Annotation) per role, in snapshot order.
fn expected() -> Vec<[String; 4]> {
    expected_in("account-snapshot.expected.json")
}

/// The same, with the bundled parameters plus `identity_center_roles=exclude`.
fn expected_identity_center_excluded() -> Vec<[String; 4]> {
    expected_in("account-snapshot.identity-center-exclude.expected.json")
}

fn expected_in(file: &str) -> Vec<[String; 4]> {
    let text = std::fs::read_to_string(events(file)).unwrap();
    rows_of(&serde_json::from_str(&text).unwrap())
}

/// The verdict worded with ages, as the table shows it, per row of an expected file.
fn details_in(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(events(file)).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|row| row["Detail"].as_str().unwrap().to_owned())
        .collect()
}

const SUMMARY: &str = "57 roles: 20 NON_COMPLIANT, 31 COMPLIANT, 6 NOT_APPLICABLE";

fn rows_of(json: &Value) -> Vec<[String; 4]> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            ["RoleName", "RoleId", "ComplianceType", "Annotation"]
                .map(|k| row[k].as_str().unwrap().to_owned())
        })
        .collect()
}

fn evaluate_json(snapshot: &str, extra: &[&str]) -> Vec<[String; 4]> {
    let mut args = vec![
        "evaluate",
        "--snapshot",
        snapshot,
        "--now",
        NOW,
        "--format",
        "json",
    ];
    args.extend(extra);
    rows_of(&serde_json::from_str(&stdout(&role_audit(&args))).unwrap())
}

#[test]
fn json_output_matches_the_expected_results_for_every_role() {
    let params = parameters();
    let got = evaluate_json(
        &events("account-snapshot.json"),
        &["--rule-parameters", &params],
    );
    let expected = expected();
    assert_eq!(got.len(), 57);
    for (got, want) in got.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert_eq!(got, expected);
}

#[test]
fn flags_give_the_same_results_as_the_rule_parameters_json() {
    let got = evaluate_json(
        &events("account-snapshot.json"),
        &[
            "--max-days",
            "60",
            "--allowlist",
            "/breakglass-role|/security-*",
            "--allowlist",
            "/service-role/*",
            "--exempt-tag-key",
            "keep",
        ],
    );
    assert_eq!(got, expected());
}

#[test]
fn identity_center_roles_excluded_are_not_applicable_and_nothing_else_changes() {
    let mut params: serde_json::Map<String, Value> = serde_json::from_str(&parameters()).unwrap();
    params.insert("identity_center_roles".to_owned(), "exclude".into());
    let params = Value::Object(params).to_string();
    let snapshot = events("account-snapshot.json");
    let got = evaluate_json(&snapshot, &["--rule-parameters", &params]);
    let expected = expected_identity_center_excluded();
    for (got, want) in got.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert_eq!(got, expected);
    let excluded: Vec<_> = got
        .iter()
        .filter(|[_, _, compliance, annotation]| {
            compliance == "NOT_APPLICABLE" && annotation.contains("identity_center_roles=exclude")
        })
        .map(|[name, ..]| name.as_str())
        .collect();
    assert_eq!(
        excluded,
        [
            "AWSReservedSSO_Data_Engineer_0c4e8a2f6b1d3957",
            "AWSReservedSSO_BillingReadOnly_5e1f9a3c7b2d4e60",
            "AWSReservedSSO_LegacyAdmins",
            "AWSReservedSSO_AdministratorAccess_8f3a2c1d9e7b6a54",
            "AWSReservedSSO_ReadOnlyAccess_2b7d4e9f0a1c3e58",
        ],
        "in snapshot order"
    );

    let by_flags = evaluate_json(
        &snapshot,
        &[
            "--max-days",
            "60",
            "--allowlist",
            "/breakglass-role|/security-*|/service-role/*",
            "--exempt-tag-key",
            "keep",
            "--identity-center-roles",
            "exclude",
        ],
    );
    assert_eq!(by_flags, expected);
    let evaluated = evaluate_json(
        &snapshot,
        &[
            "--max-days",
            "60",
            "--allowlist",
            "/breakglass-role|/security-*|/service-role/*",
            "--exempt-tag-key",
            "keep",
            "--identity-center-roles",
            "evaluate",
        ],
    );
    assert_eq!(evaluated, self::expected(), "evaluate is the default");
}

#[test]
fn an_array_of_pages_is_read_like_one_page() {
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(events("account-snapshot.json")).unwrap())
            .unwrap();
    let roles = snapshot["RoleDetailList"].as_array().unwrap();
    let pages = serde_json::json!([
        {"RoleDetailList": roles[..20], "IsTruncated": true, "Marker": "m1"},
        {"RoleDetailList": roles[20..], "IsTruncated": false},
    ]);
    let dir = std::env::temp_dir().join(format!("role-audit-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pages.json");
    std::fs::write(&file, pages.to_string()).unwrap();
    let params = parameters();
    let got = evaluate_json(file.to_str().unwrap(), &["--rule-parameters", &params]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(got, expected());
}

/// role-audit's output for the bundled account and its parameters, as of [`NOW`].
fn evaluate_bundled(format: &str) -> String {
    let params = parameters();
    let snapshot = events("account-snapshot.json");
    stdout(&role_audit(&[
        "evaluate",
        "--snapshot",
        &snapshot,
        "--now",
        NOW,
        "--rule-parameters",
        &params,
        "--format",
        format,
    ]))
}

#[test]
fn csv_output_parses_back_to_the_same_results() {
    let text = evaluate_bundled("csv");
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("RoleName,Path,RoleId,ComplianceType,DaysSinceLastUse,LastUsedRegion,Annotation,ResultRecordedTime,AccountId,Privilege")
    );
    let rows: Vec<[String; 4]> = lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let fields = split_csv(line);
            assert_eq!(fields.len(), 10, "{line}");
            [
                fields[0].clone(),
                fields[2].clone(),
                fields[3].clone(),
                fields[6].clone(),
            ]
        })
        .collect();
    assert_eq!(rows, expected());
}

/// A minimal RFC 4180 reader for one line (the output has no embedded line breaks).
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn the_table_lists_non_compliant_first_and_ends_with_a_summary() {
    let text = evaluate_bundled("table");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("COMPLIANCE") && lines[0].ends_with("REASON"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("NON_COMPLIANT   legacy-kinesis-consumer"),
        "longest unused first: {}",
        lines[1]
    );
    assert!(
        lines[1].ends_with("last used 390 days ago in us-east-1, over the 60-day threshold"),
        "{}",
        lines[1]
    );
    assert_eq!(lines.last(), Some(&SUMMARY));
    let order: Vec<&str> = lines[1..58]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|c| {
        ["NON_COMPLIANT", "COMPLIANT", "NOT_APPLICABLE"]
            .iter()
            .position(|k| k == c)
    });
    assert_eq!(order, sorted);
}

#[test]
fn bad_input_is_a_clear_error_with_exit_code_2() {
    let snapshot = events("account-snapshot.json");
    let cases: &[(&[&str], &str)] = &[
        (&["evaluate", "--snapshot", &snapshot, "--rule-parameters", r#"{"max_days_for_last_used":"0"}"#], "role-audit: invalid rule parameter max_days_for_last_used: \"0\" is out of range"),
        (&["evaluate", "--snapshot", &snapshot, "--max-days", "401"], "role-audit: invalid rule parameter max_days_for_last_used: 401 is out of range"),
        (&["evaluate", "--snapshot", &snapshot, "--allowlist", "breakglass-role"], "write \"/breakglass-role\" for a role at the root path"),
        (&["evaluate", "--snapshot", &snapshot, "--rule-parameters", r#"{"max_days":"60"}"#], "unknown key \"max_days\""),
        (&["evaluate", "--snapshot", "/nonexistent/roles.json"], "role-audit: invalid snapshot /nonexistent/roles.json: cannot read it:"),
        (&["evaluate", "--snapshot", &events("scheduled.json")], "has no RoleDetailList: is it the output of `aws iam get-account-authorization-details --filter Role`?"),
        (&["evaluate", "--snapshot", &snapshot, "--now", "tomorrow"], "\"tomorrow\" is not an RFC 3339 time"),
        (&["evaluate", "--snapshot", &snapshot, "--max-days", "30", "--rule-parameters", "{}"], "cannot be used with"),
        (&["evaluate", "--snapshot", &snapshot, "--format", "xml"], "invalid value 'xml' for '--format <FORMAT>'"),
        (&["evaluate", "--snapshot", &snapshot, "--identity-center-roles", "include"], "role-audit: invalid rule parameter identity_center_roles: \"include\" is not one of \"evaluate\", \"exclude\""),
        (&["evaluate", "--snapshot", &snapshot, "--identity-center-roles", "exclude", "--rule-parameters", "{}"], "cannot be used with"),
    ];
    for (args, needle) in cases {
        let output = role_audit(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
        assert!(output.stdout.is_empty(), "nothing half-written on stdout");
    }
}

#[test]
fn a_snapshot_role_without_create_date_is_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("role-audit-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        r#"{"RoleDetailList":[{"Path":"/","RoleName":"no-date","RoleId":"AROAAAAAAAAAAAAAAAAAA","Arn":"arn:aws:iam::1:role/no-date","RoleLastUsed":{}}]}"#,
    )
    .unwrap();
    let output = role_audit(&["evaluate", "--snapshot", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("page 1: role AROAAAAAAAAAAAAAAAAAA has no CreateDate"));
}

/// The README's first command, run as written (through bash, from the repo root), with
/// `cargo run --release --bin role-audit --` standing for the binary under test.
#[test]
fn the_readme_quick_start_prints_the_expected_table() {
    let readme =
        std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let prefix = "cargo run --release --bin role-audit -- ";
    let command = readme
        .lines()
        .find(|l| l.starts_with(prefix))
        .expect("the README shows the quick-start command");
    assert!(
        readme.find(command).unwrap() < 1_500,
        "the quick start is on the README's first screen"
    );
    let script = command.replacen(
        prefix.trim_end(),
        &format!("'{}'", env!("CARGO_BIN_EXE_role-audit")),
        1,
    );
    let output = Command::new("bash")
        .args(["-c", &script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(text.lines().last(), Some(SUMMARY));
    let details = details_in("account-snapshot.expected.json");
    for ([name, _, compliance, _], detail) in expected().into_iter().zip(details) {
        // People read ages: the table shows the detail, not Config's annotation.
        let reason = detail.strip_prefix(&format!("{name}: ")).unwrap();
        let row = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no row for {name}"));
        assert_eq!(
            row.split_whitespace().next(),
            Some(compliance.as_str()),
            "{row}"
        );
        assert!(row.ends_with(reason), "{row}");
    }
}

/// `--kind users` on the bundled users example, checked against the expected results that
/// scripts/make_user_snapshot.py wrote from its scenario table.
mod users {
    use super::*;

    /// When the bundled credential report was generated (the scenario table's GENERATED).
    const GENERATED: &str = "2025-12-31T22:00:00Z";
    const SUMMARY: &str =
        "42 users: 14 NON_COMPLIANT, 26 COMPLIANT, 0 NOT_APPLICABLE, 2 INSUFFICIENT_DATA";

    fn parameters() -> String {
        std::fs::read_to_string(events("users-snapshot.parameters.json")).unwrap()
    }

    /// (UserName, UserId, ComplianceType, Annotation) per user, in snapshot order.
    fn expected() -> Vec<[String; 4]> {
        let text = std::fs::read_to_string(events("users-snapshot.expected.json")).unwrap();
        rows_of(&serde_json::from_str(&text).unwrap())
    }

    fn rows_of(json: &Value) -> Vec<[String; 4]> {
        json.as_array()
            .unwrap()
            .iter()
            .map(|row| {
                ["UserName", "UserId", "ComplianceType", "Annotation"]
                    .map(|k| row[k].as_str().unwrap().to_owned())
            })
            .collect()
    }

    fn evaluate(format: &str, extra: &[&str]) -> Output {
        let snapshot = events("users-snapshot.json");
        let report = events("users-credential-report.csv");
        let mut args = vec![
            "evaluate",
            "--kind",
            "users",
            "--snapshot",
            &snapshot,
            "--credential-report",
            &report,
            "--report-generated",
            GENERATED,
            "--now",
            NOW,
            "--format",
            format,
        ];
        args.extend(extra);
        role_audit(&args)
    }

    fn evaluate_json(extra: &[&str]) -> Vec<[String; 4]> {
        rows_of(&serde_json::from_str(&stdout(&evaluate("json", extra))).unwrap())
    }

    #[test]
    fn json_output_matches_the_expected_results_for_every_user() {
        let params = parameters();
        let got = evaluate_json(&["--rule-parameters", &params]);
        let expected = expected();
        assert_eq!(got.len(), 42);
        for (got, want) in got.iter().zip(&expected) {
            assert_eq!(got, want);
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn flags_give_the_same_results_as_the_rule_parameters_json() {
        let got = evaluate_json(&[
            "--max-days",
            "45",
            "--allowlist",
            "/breakglass/*",
            "--allowlist",
            "/admin-emergency",
            "--exempt-tag-key",
            "keep",
        ]);
        assert_eq!(got, expected());
    }

    #[test]
    fn json_objects_carry_the_user_fields_and_no_role_fields() {
        let params = parameters();
        let json: Value =
            serde_json::from_str(&stdout(&evaluate("json", &["--rule-parameters", &params])))
                .unwrap();
        let first = json[0].as_object().unwrap();
        let keys: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "UserName",
                "Path",
                "UserId",
                "ComplianceType",
                "DaysSinceLastUse",
                "LastUsedRegion",
                "Annotation",
                "Privilege"
            ]
        );
        assert_eq!(first["Path"], "/breakglass/");
    }

    #[test]
    fn csv_output_names_the_user_columns_and_parses_back_to_the_same_results() {
        let params = parameters();
        let text = stdout(&evaluate("csv", &["--rule-parameters", &params]));
        let mut lines = text.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("UserName,Path,UserId,ComplianceType,DaysSinceLastUse,LastUsedRegion,Annotation,ResultRecordedTime,AccountId,Privilege")
        );
        let rows: Vec<[String; 4]> = lines
            .filter(|l| !l.is_empty())
            .map(|line| {
                let fields = split_csv(line);
                assert_eq!(fields.len(), 10, "{line}");
                [&fields[0], &fields[2], &fields[3], &fields[6]].map(|f| f.clone())
            })
            .collect();
        assert_eq!(rows, expected());
    }

    #[test]
    fn the_table_names_users_and_ends_with_a_users_summary() {
        let params = parameters();
        let text = stdout(&evaluate("table", &["--rule-parameters", &params]));
        let lines: Vec<&str> = text.lines().collect();
        let header: Vec<&str> = lines[0].split("  ").filter(|c| !c.is_empty()).collect();
        assert_eq!(
            header.iter().map(|c| c.trim()).collect::<Vec<_>>(),
            ["COMPLIANCE", "USER", "USER ID", "REASON"]
        );
        assert!(lines[1].starts_with("NON_COMPLIANT"), "{}", lines[1]);
        assert_eq!(lines.last(), Some(&SUMMARY));
    }

    /// Options of the other rule are refused by name, not ignored; nothing is printed on stdout.
    #[test]
    fn options_of_the_other_kind_are_errors_naming_the_option() {
        let users = events("users-snapshot.json");
        let report = events("users-credential-report.csv");
        let roles = events("account-snapshot.json");
        let cases: &[(&[&str], &str)] = &[
            (
                &["evaluate", "--kind", "users", "--snapshot", &users, "--credential-report", &report, "--service-linked-roles", "exclude"],
                "role-audit: invalid --service-linked-roles exclude: applies to --kind roles only, not to the users rule\n",
            ),
            (
                &["evaluate", "--kind", "users", "--snapshot", &users, "--credential-report", &report, "--identity-center-roles", "exclude"],
                "role-audit: invalid --identity-center-roles exclude: applies to --kind roles only, not to the users rule\n",
            ),
            (
                &["evaluate", "--snapshot", &roles, "--credential-report", &report],
                &format!("role-audit: invalid --credential-report {report}: applies to --kind users only, not to the roles rule\n"),
            ),
            (
                &["evaluate", "--kind", "users", "--snapshot", &users],
                &format!("role-audit: invalid --snapshot {users}: with --kind users it needs --credential-report FILE: the users' credentials are in the credential report, not in the snapshot\n"),
            ),
        ];
        for (args, want) in cases {
            let output = role_audit(args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert_eq!(stderr, *want, "{args:?}");
            assert!(output.stdout.is_empty(), "nothing half-written on stdout");
        }
    }

    #[test]
    fn usage_errors_of_the_users_options_name_the_option() {
        let users = events("users-snapshot.json");
        let report = events("users-credential-report.csv");
        let cases: &[(&[&str], &str)] = &[
            (&["evaluate", "--kind", "users", "--credential-report", &report], "--snapshot <FILE>"),
            (&["evaluate", "--kind", "users", "--snapshot", &users, "--report-generated", NOW], "--credential-report <FILE>"),
            (&["evaluate", "--kind", "users", "--snapshot", &users, "--credential-report", &report, "--report-generated", "yesterday"], "\"yesterday\" is not an RFC 3339 time"),
            (&["evaluate", "--kind", "groups"], "invalid value 'groups' for '--kind <KIND>'"),
            (&["evaluate", "--kind", "users", "--snapshot", &users, "--credential-report", &report, "--report-generated", "2026-01-01T00:00:01Z", "--now", NOW], "role-audit: invalid --report-generated 2026-01-01T00:00:01Z: is after --now 2026-01-01T00:00:00Z: a report cannot be generated later than it is read\n"),
            (&["evaluate", "--kind", "users", "--snapshot", "/nonexistent/users.json", "--credential-report", &report], "role-audit: invalid snapshot /nonexistent/users.json: cannot read it:"),
            (&["evaluate", "--kind", "users", "--snapshot", &events("scheduled.json"), "--credential-report", &report], "page 1 has no UserDetailList: is it the output of `aws iam get-account-authorization-details --filter User`?"),
            (&["evaluate", "--kind", "users", "--snapshot", &users, "--credential-report", "/nonexistent/report.csv"], "role-audit: invalid --credential-report /nonexistent/report.csv: cannot read it:"),
        ];
        for (args, needle) in cases {
            let output = role_audit(args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(needle),
                "{args:?}: expected {needle:?} in {stderr}"
            );
            assert!(output.stdout.is_empty(), "nothing half-written on stdout");
        }
    }

    /// A report row that cannot be read stops the run, naming the file, the line and the
    /// column: nothing is evaluated from part of a report.
    #[test]
    fn an_unreadable_report_field_is_an_error_naming_line_and_column() {
        let text = std::fs::read_to_string(events("users-credential-report.csv")).unwrap();
        // Line 4 is the third user after the header and the root account's row.
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let fields: Vec<&str> = lines[3].split(',').collect();
        let mut bad: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        bad[4] = "last tuesday".to_owned(); // password_last_used
        lines[3] = bad.join(",");
        let dir = std::env::temp_dir().join(format!("role-audit-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("report.csv");
        std::fs::write(&file, lines.join("\n")).unwrap();
        let users = events("users-snapshot.json");
        let output = role_audit(&[
            "evaluate",
            "--kind",
            "users",
            "--snapshot",
            &users,
            "--credential-report",
            file.to_str().unwrap(),
        ]);
        std::fs::remove_dir_all(&dir).unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let want = format!(
            "role-audit: invalid --credential-report {}: line 4, password_last_used:",
            file.display()
        );
        assert!(stderr.starts_with(&want), "expected {want:?} in {stderr}");
        assert!(stderr.contains("last tuesday"), "{stderr}");
        assert!(output.stdout.is_empty());
    }

    /// The README's users command, run as written, prints the bundled example's results.
    #[test]
    fn the_readme_users_command_prints_the_expected_table() {
        let readme =
            std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let prefix = "cargo run --release --bin role-audit -- ";
        let command = readme
            .lines()
            .find(|l| l.starts_with(prefix) && l.contains("--kind users"))
            .expect("the README shows the users example's command");
        assert!(
            readme.find(command).unwrap() < 2_000,
            "the users example is on the README's first screen"
        );
        let script = command.replacen(
            prefix.trim_end(),
            &format!("'{}'", env!("CARGO_BIN_EXE_role-audit")),
            1,
        );
        let output = Command::new("bash")
            .args(["-c", &script])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let text = stdout(&output);
        assert_eq!(text.lines().last(), Some(SUMMARY));
        let details = details_in("users-snapshot.expected.json");
        for ([name, id, compliance, _], detail) in expected().into_iter().zip(details) {
            let reason = detail.strip_prefix(&format!("{name}: ")).unwrap();
            let row = text
                .lines()
                .find(|l| l.contains(id.as_str()))
                .unwrap_or_else(|| panic!("no row for {name}"));
            assert!(row.starts_with(&compliance), "{row}");
            assert!(row.contains(&format!("  {name}  ")), "{row}");
            assert!(row.ends_with(reason), "{row}");
        }
    }
}
