//! Joins the results Config holds for the rule with the account's roles or users, so each row
//! names its principal (pure: no I/O, `now` given).

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::cli::output::{csv_line, kind_of, render, Format, Row, TableStyle};
use crate::core::evaluate::whole_days;
use crate::core::privilege::{split_label, Level};
use crate::core::results::ResourceType;
use crate::core::results::{
    AccountList, AccountListSource, AggregateReport, AggregateResult, Compliance, RecordedResult,
};
use crate::core::role::Role;
use crate::core::settings::RuleKind;
use crate::core::user::User;
use crate::Error;

/// One row per result, in the order given. A result whose RoleId is no longer a role keeps its
/// annotation and shows an empty name.
pub fn join(results: &[RecordedResult], roles: &[Role], now: DateTime<Utc>) -> Vec<Row> {
    let by_id: HashMap<&str, &Role> = roles.iter().map(|r| (r.role_id.as_str(), r)).collect();
    results
        .iter()
        .map(|result| {
            let role = by_id.get(result.resource_id.as_str());
            let last_used = role.and_then(|r| r.last_used.as_ref());
            Row {
                kind: RuleKind::Roles,
                name: role.map(|r| r.name.clone()).unwrap_or_default(),
                path: role.map(|r| r.path.clone()).unwrap_or_default(),
                id: result.resource_id.clone(),
                compliance_type: result.compliance,
                days_since_last_use: last_used.map(|u| whole_days(u.at, now)),
                last_used_region: last_used.and_then(|u| u.region.clone()),
                privilege: Row::privilege_of(result.annotation.as_deref().unwrap_or_default()),
                annotation: result.annotation.clone().unwrap_or_default(),
                detail: None,
                result_recorded_time: recorded_time(result),
                account_id: None,
            }
        })
        .collect()
}

/// [`join`] for the users rule: results joined with users by UserId. Days and Region stay
/// empty: a user has up to three credentials, each with its own last use, and the annotation
/// names them.
pub fn join_users(results: &[RecordedResult], users: &[User]) -> Vec<Row> {
    let by_id: HashMap<&str, &User> = users.iter().map(|u| (u.user_id.as_str(), u)).collect();
    results
        .iter()
        .map(|result| {
            let user = by_id.get(result.resource_id.as_str());
            Row {
                kind: RuleKind::Users,
                name: user.map(|u| u.name.clone()).unwrap_or_default(),
                path: user.map(|u| u.path.clone()).unwrap_or_default(),
                id: result.resource_id.clone(),
                compliance_type: result.compliance,
                days_since_last_use: None,
                last_used_region: None,
                privilege: Row::privilege_of(result.annotation.as_deref().unwrap_or_default()),
                annotation: result.annotation.clone().unwrap_or_default(),
                detail: None,
                result_recorded_time: recorded_time(result),
                account_id: None,
            }
        })
        .collect()
}

/// [`join`] for the permissions rule, whose results are of roles and users: each joined with
/// its own kind's principals, roles first, each in the order given, every row named as the
/// rule's (`PrincipalName`, `PrincipalId`). Days and Region are the role's last use, as for the
/// roles rule; a user's stay empty.
pub fn join_permissions(
    results: &[RecordedResult],
    roles: &[Role],
    users: &[User],
    now: DateTime<Utc>,
) -> Vec<Row> {
    let (role_results, user_results): (Vec<RecordedResult>, Vec<RecordedResult>) = results
        .iter()
        .cloned()
        .partition(|result| result.resource_type == ResourceType::IamRole);
    join(&role_results, roles, now)
        .into_iter()
        .chain(join_users(&user_results, users))
        .map(|row| Row {
            kind: RuleKind::Permissions,
            ..row
        })
        .collect()
}

/// `--privilege`: the rows at least as privileged as `level` (ADMIN is at least IAM-WRITE).
/// Only findings carry a label, so only NON_COMPLIANT rows can pass.
pub fn at_least(rows: Vec<Row>, level: Level) -> Vec<Row> {
    rows.into_iter()
        .filter(|row| row.privilege.is_some_and(|p| p <= level))
        .collect()
}

fn recorded_time(result: &RecordedResult) -> Option<String> {
    result
        .recorded
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Rows for an aggregator's results. Reading role or user names would need credentials in
/// every account, so the name is taken from the annotation, which starts with it (after the
/// privilege label, when there is one).
pub fn aggregate_rows(results: &[AggregateResult]) -> Vec<Row> {
    results
        .iter()
        .map(|a| {
            let annotation = a.result.annotation.clone().unwrap_or_default();
            let (privilege, after_label) = split_label(&annotation);
            let name = after_label
                .split_once(": ")
                .map(|(name, _)| name)
                .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
                .unwrap_or("-")
                .to_owned();
            Row {
                kind: kind_of(a.result.resource_type),
                name,
                path: String::new(),
                id: a.result.resource_id.clone(),
                compliance_type: a.result.compliance,
                days_since_last_use: None,
                last_used_region: None,
                privilege,
                annotation,
                detail: None,
                result_recorded_time: recorded_time(&a.result),
                account_id: Some(a.account_id.clone()),
            }
        })
        .collect()
}

/// The only compliance types the aggregate APIs accept and return
/// (GetAggregateComplianceDetailsByConfigRule, DescribeAggregateComplianceByConfigRules).
pub const AGGREGATE_COMPLIANCE: [Compliance; 2] = [Compliance::Compliant, Compliance::NonCompliant];

/// The compliance types an aggregator report shows: `wanted`, or both it can show when empty.
/// NOT_APPLICABLE (or anything else) is refused rather than answered with nothing.
pub fn aggregate_compliance(wanted: &[Compliance]) -> Result<Vec<Compliance>, Error> {
    if wanted.is_empty() {
        return Ok(AGGREGATE_COMPLIANCE.to_vec());
    }
    match wanted.iter().find(|w| !AGGREGATE_COMPLIANCE.contains(w)) {
        Some(other) => Err(Error::InvalidOption {
            option: "--compliance".to_owned(),
            value: other.as_str().to_owned(),
            message: "with --aggregator only COMPLIANT and NON_COMPLIANT can be shown: the aggregate APIs neither accept nor return other results (read NOT_APPLICABLE results in the member account: role-audit report --rule-name OrgConfigRule-<name>-<suffix>)".to_owned(),
        }),
        None => Ok(wanted.to_vec()),
    }
}

/// An account the aggregator should cover that holds no COMPLIANT or NON_COMPLIANT result for
/// the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountWithoutResults {
    pub account_id: String,
    /// For an organization rule: the rule's status in that account, with its error if any.
    pub detail: Option<String>,
}

/// Which accounts of the aggregator's list hold no results, or why that is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Where the list of accounts came from; None when it could not be read.
    pub source: Option<AccountListSource>,
    /// How many accounts the list holds (after `--account`).
    pub listed: usize,
    pub without_results: Vec<AccountWithoutResults>,
    /// Why the list could not be read.
    pub unavailable: Option<String>,
}

/// The listed accounts (only `account`, when given) that hold no results, in list order.
pub fn coverage(report: &AggregateReport, account: Option<&str>) -> Coverage {
    match &report.accounts {
        AccountList::Unavailable { reason } => Coverage {
            source: None,
            listed: 0,
            without_results: Vec::new(),
            unavailable: Some(reason.clone()),
        },
        AccountList::Known { source, accounts } => {
            let listed: Vec<_> = accounts
                .iter()
                .filter(|a| account.is_none_or(|only| a.account_id == only))
                .collect();
            Coverage {
                source: Some(*source),
                listed: listed.len(),
                without_results: listed
                    .iter()
                    .filter(|a| !report.accounts_with_results.contains(&a.account_id))
                    .map(|a| AccountWithoutResults {
                        account_id: a.account_id.clone(),
                        detail: a.detail.clone(),
                    })
                    .collect(),
                unavailable: None,
            }
        }
    }
}

/// What the ComplianceType column of the CSV rows that stand for accounts without results says.
pub const NO_RESULTS: &str = "NO_RESULTS";

/// JSON of an aggregator report: the rows, and the accounts without results apart.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AggregateJson<'a> {
    results: &'a [Row],
    accounts_without_results: &'a [AccountWithoutResults],
    account_list_source: Option<&'static str>,
    account_list_unavailable: Option<&'a str>,
}

/// An aggregator report: the rows as [`render`] shows them, and the accounts without results:
/// after the table, as a separate field of the JSON object, as [`NO_RESULTS`] rows in CSV.
pub fn render_aggregate(
    kind: RuleKind,
    rows: &[Row],
    coverage: &Coverage,
    format: Format,
    style: TableStyle,
) -> Result<String, Error> {
    Ok(match format {
        Format::Json => {
            let json = AggregateJson {
                results: rows,
                accounts_without_results: &coverage.without_results,
                account_list_source: coverage.source.map(AccountListSource::api),
                account_list_unavailable: coverage.unavailable.as_deref(),
            };
            let mut text =
                serde_json::to_string_pretty(&json).map_err(|e| Error::OutputEncodingFailed {
                    what: "aggregator report".to_owned(),
                    message: e.to_string(),
                })?;
            text.push('\n');
            text
        }
        Format::Csv => {
            let mut text = render(kind, rows, Format::Csv, style);
            for account in &coverage.without_results {
                // The columns of a row: an account and its status, in ComplianceType's column.
                let detail = account.detail.as_deref().unwrap_or_default();
                let fields = [
                    "",
                    "",
                    "",
                    NO_RESULTS,
                    "",
                    "",
                    detail,
                    "",
                    &account.account_id,
                    "",
                ];
                text.push_str(&csv_line(fields));
            }
            text
        }
        Format::Table => {
            let mut text = render(kind, rows, Format::Table, style);
            text.push('\n');
            text.push_str(&coverage_note(coverage));
            text
        }
    })
}

/// The lines under the error of an aggregator holding no results: the accounts it should
/// cover (only `account`, when given) with the rule's status in each, or why they are unknown.
pub fn no_results_note(accounts: &AccountList, account: Option<&str>) -> String {
    let empty = AggregateReport {
        results: Vec::new(),
        accounts_with_results: Vec::new(),
        accounts: accounts.clone(),
    };
    coverage_note(&coverage(&empty, account))
}

/// The lines after an aggregator report's table.
pub fn coverage_note(coverage: &Coverage) -> String {
    if let Some(reason) = &coverage.unavailable {
        return format!(
            "Accounts without results: unknown, the account list could not be read ({reason})\n"
        );
    }
    let source = coverage.source.map_or("-", AccountListSource::api);
    if coverage.listed == 0 {
        return format!("No account to check is listed by {source}\n");
    }
    let noun = |n: usize| if n == 1 { "account" } else { "accounts" };
    if coverage.without_results.is_empty() {
        return format!(
            "Every one of the {} {} listed by {source} holds results for the rule\n",
            coverage.listed,
            noun(coverage.listed)
        );
    }
    let mut text = format!(
        "{} of the {} {} listed by {source} hold no COMPLIANT or NON_COMPLIANT result for the rule:\n",
        coverage.without_results.len(),
        coverage.listed,
        noun(coverage.listed)
    );
    for account in &coverage.without_results {
        match &account.detail {
            Some(detail) => text.push_str(&format!("  {}  {detail}\n", account.account_id)),
            None => text.push_str(&format!("  {}\n", account.account_id)),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::core::role::LastUsed;

    #[test]
    fn users_results_are_joined_with_users_by_user_id() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let user = User {
            user_id: "AIDAAAAAAAAAAAAAAAAAA".to_owned(),
            name: "ci-deployer".to_owned(),
            path: "/ci/".to_owned(),
            arn: "arn:aws:iam::111122223333:user/ci/ci-deployer".to_owned(),
            created: now - Duration::days(900),
            tags: Vec::new(),
            privilege: Default::default(),
        };
        let result = |id: &str, annotation: &str| RecordedResult {
            resource_type: crate::core::results::ResourceType::IamUser,
            resource_id: id.to_owned(),
            compliance: Compliance::NonCompliant,
            annotation: Some(annotation.to_owned()),
            recorded: Some(now - Duration::hours(6)),
        };
        let rows = join_users(
            &[
                result("AIDAGONE", "left-company: password last used 300 days ago"),
                result(
                    "AIDAAAAAAAAAAAAAAAAAA",
                    "ci-deployer: access key 1 never used",
                ),
            ],
            &[user],
        );
        let row = |name: &str, path: &str, id: &str, annotation: &str| Row {
            kind: RuleKind::Users,
            name: name.to_owned(),
            path: path.to_owned(),
            id: id.to_owned(),
            compliance_type: Compliance::NonCompliant,
            days_since_last_use: None,
            last_used_region: None,
            annotation: annotation.to_owned(),
            detail: None,
            result_recorded_time: Some("2025-12-31T18:00:00Z".to_owned()),
            account_id: None,
            privilege: None,
        };
        assert_eq!(
            rows,
            [
                row(
                    "",
                    "",
                    "AIDAGONE",
                    "left-company: password last used 300 days ago"
                ),
                row(
                    "ci-deployer",
                    "/ci/",
                    "AIDAAAAAAAAAAAAAAAAAA",
                    "ci-deployer: access key 1 never used"
                ),
            ]
        );
    }

    #[test]
    fn results_are_joined_with_roles_by_role_id() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let role = Role {
            role_id: "AROAAAAAAAAAAAAAAAAAA".to_owned(),
            name: "ci-deploy".to_owned(),
            path: "/teams/".to_owned(),
            arn: "arn:aws:iam::111122223333:role/teams/ci-deploy".to_owned(),
            created: now - Duration::days(900),
            last_used: Some(LastUsed {
                at: now - Duration::days(75) - Duration::hours(3),
                region: Some("eu-west-1".to_owned()),
            }),
            tags: Vec::new(),
            privilege: Default::default(),
        };
        let result = |id: &str, compliance: &str, annotation: &str| RecordedResult {
            resource_type: crate::core::results::ResourceType::IamRole,
            resource_id: id.to_owned(),
            compliance: Compliance::parse(compliance).unwrap(),
            annotation: Some(annotation.to_owned()),
            recorded: Some(now - Duration::hours(6)),
        };
        let rows = join(
            &[
                result(
                    "AROAAAAAAAAAAAAAAAAAA",
                    "NON_COMPLIANT",
                    "ADMIN: ci-deploy: last used 75 days ago",
                ),
                result("AROAGONE", "COMPLIANT", "old-role: last used 3 days ago"),
            ],
            &[role],
            now,
        );
        assert_eq!(
            rows,
            [
                Row {
                    kind: RuleKind::Roles,
                    name: "ci-deploy".to_owned(),
                    path: "/teams/".to_owned(),
                    id: "AROAAAAAAAAAAAAAAAAAA".to_owned(),
                    compliance_type: Compliance::NonCompliant,
                    days_since_last_use: Some(75),
                    last_used_region: Some("eu-west-1".to_owned()),
                    annotation: "ADMIN: ci-deploy: last used 75 days ago".to_owned(),
                    detail: None,
                    result_recorded_time: Some("2025-12-31T18:00:00Z".to_owned()),
                    account_id: None,
                    privilege: Some(Level::Admin),
                },
                Row {
                    kind: RuleKind::Roles,
                    name: String::new(),
                    path: String::new(),
                    id: "AROAGONE".to_owned(),
                    compliance_type: Compliance::Compliant,
                    days_since_last_use: None,
                    last_used_region: None,
                    annotation: "old-role: last used 3 days ago".to_owned(),
                    detail: None,
                    result_recorded_time: Some("2025-12-31T18:00:00Z".to_owned()),
                    account_id: None,
                    privilege: None,
                },
            ]
        );
    }
}

#[cfg(test)]
mod privilege_tests {
    use super::*;
    use crate::core::results::ResourceType;

    fn result(id: &str, compliance: Compliance, annotation: &str) -> AggregateResult {
        AggregateResult {
            account_id: "444455556666".to_owned(),
            region: "us-east-1".to_owned(),
            result: RecordedResult {
                resource_type: ResourceType::IamRole,
                resource_id: id.to_owned(),
                compliance,
                annotation: Some(annotation.to_owned()),
                recorded: None,
            },
        }
    }

    #[test]
    fn the_label_is_read_from_the_annotation_and_the_name_after_it() {
        let rows = aggregate_rows(&[
            result(
                "AROA1",
                Compliance::NonCompliant,
                "ADMIN: deployer: last used 2025-11-01, over the 60-day threshold",
            ),
            result(
                "AROA2",
                Compliance::NonCompliant,
                "IAM-WRITE: ci: no use recorded by IAM",
            ),
            result(
                "AROA3",
                Compliance::NonCompliant,
                "ADMIN: last used 2025-11-01, over the 60-day threshold",
            ),
            result(
                "AROA4",
                Compliance::Compliant,
                "reader: used within the 60-day threshold",
            ),
        ]);
        let seen: Vec<(&str, Option<Level>)> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.privilege))
            .collect();
        assert_eq!(
            seen,
            [
                ("deployer", Some(Level::Admin)),
                ("ci", Some(Level::IamWrite)),
                // A role named ADMIN, with no label.
                ("ADMIN", None),
                ("reader", None),
            ]
        );
        let ids = |rows: Vec<Row>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(at_least(rows.clone(), Level::Admin)), ["AROA1"]);
        assert_eq!(ids(at_least(rows, Level::IamWrite)), ["AROA1", "AROA2"]);
    }
}

#[cfg(test)]
mod aggregate_tests {
    use super::*;
    use crate::core::results::ExpectedAccount;

    #[test]
    fn the_aggregator_report_shows_compliant_and_non_compliant_only() {
        let both = Ok(vec!["COMPLIANT", "NON_COMPLIANT"]);
        // (asked, shown or the value refused)
        type Case<'a> = (&'a [&'a str], Result<Vec<&'a str>, &'a str>);
        let cases: &[Case] = &[
            (&[], both.clone()),
            (&["NON_COMPLIANT"], Ok(vec!["NON_COMPLIANT"])),
            (&["COMPLIANT", "NON_COMPLIANT"], both),
            (&["NOT_APPLICABLE"], Err("NOT_APPLICABLE")),
            (&["COMPLIANT", "NOT_APPLICABLE"], Err("NOT_APPLICABLE")),
            (&["INSUFFICIENT_DATA"], Err("INSUFFICIENT_DATA")),
        ];
        for (wanted, expected) in cases {
            let asked: Vec<Compliance> = wanted
                .iter()
                .map(|w| Compliance::parse(w).unwrap())
                .collect();
            let got = aggregate_compliance(&asked)
                .map(|shown| shown.iter().map(|c| c.as_str()).collect::<Vec<_>>())
                .map_err(|e| e.to_string());
            match expected {
                Ok(list) => assert_eq!(got.as_ref(), Ok(list), "{wanted:?}"),
                Err(value) => {
                    let message = got.unwrap_err();
                    assert!(
                        message.starts_with(&format!("invalid --compliance {value}: with --aggregator only COMPLIANT and NON_COMPLIANT can be shown")),
                        "{message}"
                    );
                }
            }
        }
    }

    fn account(id: &str, detail: Option<&str>) -> ExpectedAccount {
        ExpectedAccount {
            account_id: id.to_owned(),
            detail: detail.map(str::to_owned),
        }
    }

    fn org_report() -> AggregateReport {
        AggregateReport {
            results: Vec::new(),
            accounts_with_results: vec!["444455556666".to_owned(), "777788889999".to_owned()],
            accounts: AccountList::Known {
                source: AccountListSource::OrganizationRuleStatus,
                accounts: vec![
                    account("444455556666", Some("rule status CREATE_SUCCESSFUL")),
                    account("999900001111", Some("rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no recorder")),
                    account("777788889999", Some("rule status CREATE_SUCCESSFUL")),
                    account("222233334444", Some("rule status CREATE_SUCCESSFUL")),
                ],
            },
        }
    }

    fn without(id: &str, detail: &str) -> AccountWithoutResults {
        AccountWithoutResults {
            account_id: id.to_owned(),
            detail: Some(detail.to_owned()),
        }
    }

    #[test]
    fn listed_accounts_without_results_are_the_ones_the_describe_call_left_out() {
        assert_eq!(
            coverage(&org_report(), None),
            Coverage {
                source: Some(AccountListSource::OrganizationRuleStatus),
                listed: 4,
                without_results: vec![
                    without("999900001111", "rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no recorder"),
                    without("222233334444", "rule status CREATE_SUCCESSFUL"),
                ],
                unavailable: None,
            }
        );
        assert_eq!(
            coverage(&org_report(), Some("222233334444")),
            Coverage {
                source: Some(AccountListSource::OrganizationRuleStatus),
                listed: 1,
                without_results: vec![without("222233334444", "rule status CREATE_SUCCESSFUL")],
                unavailable: None,
            },
            "--account: only that account"
        );
        assert_eq!(
            coverage(&org_report(), Some("444455556666")).without_results,
            []
        );
        let unknown = AggregateReport {
            accounts: AccountList::Unavailable {
                reason: "DescribeConfigurationAggregators failed: AccessDeniedException: no"
                    .to_owned(),
            },
            ..org_report()
        };
        assert_eq!(
            coverage(&unknown, None),
            Coverage {
                source: None,
                listed: 0,
                without_results: Vec::new(),
                unavailable: Some(
                    "DescribeConfigurationAggregators failed: AccessDeniedException: no".to_owned()
                ),
            }
        );
    }

    fn row() -> Row {
        Row {
            kind: RuleKind::Roles,
            name: "ci-legacy".to_owned(),
            path: String::new(),
            id: "AROA1".to_owned(),
            compliance_type: Compliance::NonCompliant,
            days_since_last_use: None,
            last_used_region: None,
            annotation: "ci-legacy: last used 90 days ago".to_owned(),
            detail: None,
            result_recorded_time: None,
            account_id: Some("444455556666".to_owned()),
            privilege: None,
        }
    }

    #[test]
    fn json_keeps_the_rows_and_lists_the_accounts_without_results_apart() {
        let text = render_aggregate(
            RuleKind::Roles,
            &[row()],
            &coverage(&org_report(), None),
            Format::Json,
            TableStyle::default(),
        )
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "Results": [{
                    "RoleName": "ci-legacy", "Path": "", "RoleId": "AROA1",
                    "ComplianceType": "NON_COMPLIANT", "DaysSinceLastUse": null,
                    "LastUsedRegion": null, "Annotation": "ci-legacy: last used 90 days ago",
                    "AccountId": "444455556666", "Privilege": null
                }],
                "AccountsWithoutResults": [
                    {"AccountId": "999900001111", "Detail": "rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no recorder"},
                    {"AccountId": "222233334444", "Detail": "rule status CREATE_SUCCESSFUL"}
                ],
                "AccountListSource": "GetOrganizationConfigRuleDetailedStatus",
                "AccountListUnavailable": null
            })
        );
    }

    #[test]
    fn csv_adds_a_no_results_row_per_account_without_results() {
        let text = render_aggregate(
            RuleKind::Roles,
            &[row()],
            &coverage(&org_report(), None),
            Format::Csv,
            TableStyle::default(),
        )
        .unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            &lines[1..],
            [
                "ci-legacy,,AROA1,NON_COMPLIANT,,,ci-legacy: last used 90 days ago,,444455556666,",
                ",,,NO_RESULTS,,,rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no recorder,,999900001111,",
                ",,,NO_RESULTS,,,rule status CREATE_SUCCESSFUL,,222233334444,",
                "",
            ]
        );
    }

    #[test]
    fn the_table_ends_with_the_accounts_without_results_or_why_they_are_unknown() {
        let text = render_aggregate(
            RuleKind::Roles,
            &[row()],
            &coverage(&org_report(), None),
            Format::Table,
            TableStyle::default(),
        )
        .unwrap();
        let tail: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("1 role:"))
            .collect();
        assert_eq!(
            tail,
            [
                "1 role: 1 NON_COMPLIANT, 0 COMPLIANT, 0 NOT_APPLICABLE",
                "",
                "2 of the 4 accounts listed by GetOrganizationConfigRuleDetailedStatus hold no COMPLIANT or NON_COMPLIANT result for the rule:",
                "  999900001111  rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no recorder",
                "  222233334444  rule status CREATE_SUCCESSFUL",
            ]
        );
        let all_there = Coverage {
            source: Some(AccountListSource::AggregatorAccounts),
            listed: 2,
            without_results: Vec::new(),
            unavailable: None,
        };
        assert_eq!(
            coverage_note(&all_there),
            "Every one of the 2 accounts listed by DescribeConfigurationAggregators holds results for the rule\n"
        );
        let unknown = Coverage {
            source: None,
            listed: 0,
            without_results: Vec::new(),
            unavailable: Some("GetOrganizationConfigRuleDetailedStatus for the organization rule \"r\" failed: AccessDeniedException: no".to_owned()),
        };
        assert_eq!(
            coverage_note(&unknown),
            "Accounts without results: unknown, the account list could not be read (GetOrganizationConfigRuleDetailedStatus for the organization rule \"r\" failed: AccessDeniedException: no)\n"
        );
    }

    #[test]
    fn the_no_results_note_filters_by_account_and_names_an_empty_list_as_such() {
        let listed = AccountList::Known {
            source: AccountListSource::AggregatorAccounts,
            accounts: vec![
                ExpectedAccount {
                    account_id: "111100002222".to_owned(),
                    detail: None,
                },
                ExpectedAccount {
                    account_id: "444455556666".to_owned(),
                    detail: None,
                },
            ],
        };
        assert_eq!(
            no_results_note(&listed, Some("444455556666")),
            "1 of the 1 account listed by DescribeConfigurationAggregators hold no COMPLIANT or NON_COMPLIANT result for the rule:\n  444455556666\n"
        );
        assert_eq!(
            no_results_note(&listed, Some("999999999999")),
            "No account to check is listed by DescribeConfigurationAggregators\n"
        );
    }
}
