//! Joins the results Config holds for the rule with the account's roles, so each row names its
//! role (pure: no I/O, `now` given).

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::config_rule::{AggregateResult, RecordedResult};
use crate::evaluate::whole_days;
use crate::output::Row;
use crate::role::Role;

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
                role_name: role.map(|r| r.name.clone()).unwrap_or_default(),
                path: role.map(|r| r.path.clone()).unwrap_or_default(),
                role_id: result.resource_id.clone(),
                compliance_type: result.compliance_type.clone(),
                days_since_last_use: last_used.map(|u| whole_days(u.at, now)),
                last_used_region: last_used.and_then(|u| u.region.clone()),
                annotation: result.annotation.clone().unwrap_or_default(),
                result_recorded_time: recorded_time(result),
                account_id: None,
            }
        })
        .collect()
}

fn recorded_time(result: &RecordedResult) -> Option<String> {
    result
        .recorded
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Rows for an aggregator's results. Reading role names would need credentials in every
/// account, so the name is taken from the annotation, which starts with it.
pub fn aggregate_rows(results: &[AggregateResult]) -> Vec<Row> {
    results
        .iter()
        .map(|a| {
            let annotation = a.result.annotation.clone().unwrap_or_default();
            let role_name = annotation
                .split_once(": ")
                .map(|(name, _)| name)
                .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
                .unwrap_or("-")
                .to_owned();
            Row {
                role_name,
                path: String::new(),
                role_id: a.result.resource_id.clone(),
                compliance_type: a.result.compliance_type.clone(),
                days_since_last_use: None,
                last_used_region: None,
                annotation,
                result_recorded_time: recorded_time(&a.result),
                account_id: Some(a.account_id.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::role::LastUsed;

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
        };
        let result = |id: &str, compliance: &str, annotation: &str| RecordedResult {
            resource_id: id.to_owned(),
            compliance_type: compliance.to_owned(),
            annotation: Some(annotation.to_owned()),
            recorded: Some(now - Duration::hours(6)),
        };
        let rows = join(
            &[
                result(
                    "AROAAAAAAAAAAAAAAAAAA",
                    "NON_COMPLIANT",
                    "ci-deploy: last used 75 days ago",
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
                    role_name: "ci-deploy".to_owned(),
                    path: "/teams/".to_owned(),
                    role_id: "AROAAAAAAAAAAAAAAAAAA".to_owned(),
                    compliance_type: "NON_COMPLIANT".to_owned(),
                    days_since_last_use: Some(75),
                    last_used_region: Some("eu-west-1".to_owned()),
                    annotation: "ci-deploy: last used 75 days ago".to_owned(),
                    result_recorded_time: Some("2025-12-31T18:00:00Z".to_owned()),
                    account_id: None,
                },
                Row {
                    role_name: String::new(),
                    path: String::new(),
                    role_id: "AROAGONE".to_owned(),
                    compliance_type: "COMPLIANT".to_owned(),
                    days_since_last_use: None,
                    last_used_region: None,
                    annotation: "old-role: last used 3 days ago".to_owned(),
                    result_recorded_time: Some("2025-12-31T18:00:00Z".to_owned()),
                    account_id: None,
                },
            ]
        );
    }
}
