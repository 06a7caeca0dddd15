//! `role-audit permissions`: one principal's service last accessed report for people (a table,
//! unused services first, then a suggested policy) and for programs (JSON). Pure: the report,
//! the time and the options in, text out.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::aws::access_advisor::Principal;
use crate::core::access::{
    is_unused, suggest_policy, usage, AccessReport, ActionAccess, PolicyForm, PolicySuggestion,
    PrincipalKind, ServiceAccess, Usage,
};
use crate::core::evaluate::whole_days;
use crate::Error;

/// Shown for a service or action IAM recorded no use of.
pub const NEVER: &str = "never (within IAM's 400-day tracking)";

/// What the command shows, and as of when.
#[derive(Debug, Clone)]
pub struct View<'a> {
    pub principal: &'a Principal,
    pub report: &'a AccessReport,
    pub now: DateTime<Utc>,
    /// Days after which a service or action counts as unused.
    pub max_days: u32,
    /// Each tracked action on its own line in the table (JSON always lists them).
    pub actions: bool,
    pub form: PolicyForm,
}

impl View<'_> {
    fn usage(&self) -> Usage<'_> {
        usage(self.report, self.now, self.max_days)
    }

    fn kind(&self) -> PrincipalKind {
        match self.principal {
            Principal::Role(_) => PrincipalKind::Role,
            Principal::User(_) => PrincipalKind::User,
        }
    }

    pub fn suggestion(&self) -> Option<PolicySuggestion> {
        suggest_policy(&self.usage(), self.kind(), self.form, self.max_days)
    }

    /// Whether any granted service is unused.
    pub fn has_unused(&self) -> bool {
        !self.usage().unused.is_empty()
    }

    fn unused(&self, at: Option<DateTime<Utc>>) -> bool {
        is_unused(at, self.now, self.max_days)
    }

    /// `2026-03-03 (90 days ago)`, or [`NEVER`].
    fn last_access(&self, at: Option<DateTime<Utc>>) -> String {
        match at {
            Some(at) => {
                let days = whole_days(at, self.now);
                let ago = match days {
                    0 => "under a day ago".to_owned(),
                    1 => "1 day ago".to_owned(),
                    n => format!("{n} days ago"),
                };
                format!("{} ({ago})", at.format("%Y-%m-%d"))
            }
            None => NEVER.to_owned(),
        }
    }

    /// The services in the order shown: unused first, then used, each by namespace.
    fn ordered(&self) -> Vec<&ServiceAccess> {
        let usage = self.usage();
        let mut used = usage.used.clone();
        used.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        usage.unused.iter().copied().chain(used).collect()
    }

    fn actions_column(&self, service: &ServiceAccess) -> String {
        match &service.tracked_actions {
            None => "not tracked".to_owned(),
            Some(actions) => {
                let used = actions
                    .iter()
                    .filter(|a| !self.unused(a.last_accessed))
                    .count();
                format!("{used} of {} used", actions.len())
            }
        }
    }

    /// The table: a heading, one row per granted service (unused first), the tracked actions
    /// with `actions`, and the suggested policy.
    pub fn table(&self) -> String {
        let usage = self.usage();
        let granted = self.report.services.len();
        let mut out = format!(
            "{} {} ({})\nIAM's service last accessed report of {}; unused means no use for more than {} days.\n",
            self.principal.noun(),
            self.principal.name(),
            self.report.arn,
            self.report
                .completed
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            self.max_days,
        );
        if granted == 0 {
            out.push_str("Its identity policies grant no service.\n");
            return out;
        }
        out.push_str(&format!(
            "Uses {} of {granted} granted services; {} unused.",
            usage.used.len(),
            usage.unused.len()
        ));
        if usage.tracked_actions_of_used > 0 {
            out.push_str(&format!(
                " Of the used services' {} tracked actions, {} unused.",
                usage.tracked_actions_of_used,
                usage.unused_actions_of_used.len()
            ));
        }
        out.push_str("\n\n");

        let header = [
            "",
            "NAMESPACE",
            "SERVICE",
            "LAST ACCESS",
            "REGION",
            "ACTIONS",
        ];
        let mut rows: Vec<[String; 6]> = Vec::new();
        let mut action_lines: Vec<Vec<String>> = Vec::new();
        for service in self.ordered() {
            let mark = if self.unused(service.last_authenticated) {
                "UNUSED"
            } else {
                "used"
            };
            rows.push([
                mark.to_owned(),
                service.namespace.clone(),
                service.name.clone(),
                self.last_access(service.last_authenticated),
                service.region.clone().unwrap_or_else(|| "-".to_owned()),
                self.actions_column(service),
            ]);
            action_lines.push(if self.actions {
                self.action_lines(service)
            } else {
                Vec::new()
            });
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([header[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[&str]| {
            let mut text = String::new();
            for (cell, width) in cells.iter().zip(&widths) {
                text.push_str(&format!("{cell:<width$}  "));
            }
            text.trim_end().to_owned() + "\n"
        };
        out.push_str(&line(&header));
        for (row, actions) in rows.iter().zip(&action_lines) {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            out.push_str(&line(&cells));
            for action in actions {
                out.push_str(action);
            }
        }
        out.push('\n');
        out.push_str(&self.suggestion_text());
        out
    }

    fn action_lines(&self, service: &ServiceAccess) -> Vec<String> {
        let Some(actions) = &service.tracked_actions else {
            return Vec::new();
        };
        let mut sorted: Vec<&ActionAccess> = actions.iter().collect();
        sorted.sort_by(|a, b| {
            (!self.unused(a.last_accessed), &a.name).cmp(&(!self.unused(b.last_accessed), &b.name))
        });
        let width = sorted
            .iter()
            .map(|a| service.namespace.len() + 1 + a.name.len())
            .max()
            .unwrap_or(0);
        let access_width = sorted
            .iter()
            .map(|a| self.last_access(a.last_accessed).chars().count())
            .max()
            .unwrap_or(0);
        sorted
            .iter()
            .map(|a| {
                let mark = if self.unused(a.last_accessed) {
                    "UNUSED"
                } else {
                    "used"
                };
                let name = format!("{}:{}", service.namespace, a.name);
                let access = self.last_access(a.last_accessed);
                let line = format!(
                    "    {mark:<6}  {name:<width$}  {access:<access_width$}  {}",
                    a.region.as_deref().unwrap_or_default()
                );
                line.trim_end().to_owned() + "\n"
            })
            .collect()
    }

    fn suggestion_text(&self) -> String {
        let Some(suggestion) = self.suggestion() else {
            return format!(
                "No suggested policy: every granted service was used within {} days.\n",
                self.max_days
            );
        };
        let mut out = String::from(
            "SUGGESTED POLICY: a suggestion to review before use; role-audit changes nothing.\n",
        );
        let noun = self.principal.noun();
        match suggestion.form {
            PolicyForm::Inline => out.push_str(&format!(
                "Attach it to the {noun} as an inline policy (or a managed one): it denies the services unused for more than {} days and leaves the existing policies as they are.\n",
                self.max_days
            )),
            PolicyForm::Boundary => out.push_str(&format!(
                "Set it as the {noun}'s permissions boundary: a boundary caps what the identity policies grant, so it allows * and denies the services unused for more than {} days (a boundary of the Deny alone would deny everything). It replaces any boundary the {noun} has now.\n",
                self.max_days
            )),
        }
        for left in &suggestion.left_out {
            out.push_str(&format!(
                "Not denied although unused: {}: {}.\n",
                left.namespace, left.reason
            ));
        }
        match &suggestion.document {
            Some(document) => {
                out.push_str(document);
                out.push('\n');
            }
            None => out.push_str("Nothing is left to deny.\n"),
        }
        for warning in &suggestion.warnings {
            out.push_str(&format!("warning: {warning}\n"));
        }
        out
    }

    /// The JSON document; its field names are stable (README, "role-audit permissions").
    pub fn json(&self) -> Result<String, Error> {
        let usage = self.usage();
        let time =
            |at: Option<DateTime<Utc>>| at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        let days = |at: Option<DateTime<Utc>>| at.map(|t| whole_days(t, self.now));
        let services: Vec<Value> = self
            .ordered()
            .iter()
            .map(|s| {
                json!({
                    "Namespace": s.namespace,
                    "ServiceName": s.name,
                    "Unused": self.unused(s.last_authenticated),
                    "LastAuthenticated": time(s.last_authenticated),
                    "DaysSinceLastAuthenticated": days(s.last_authenticated),
                    "LastAuthenticatedRegion": s.region,
                    "TrackedActions": s.tracked_actions.as_ref().map(|actions| {
                        actions.iter().map(|a| json!({
                            "Action": format!("{}:{}", s.namespace, a.name),
                            "Unused": self.unused(a.last_accessed),
                            "LastAccessed": time(a.last_accessed),
                            "DaysSinceLastAccessed": days(a.last_accessed),
                            "LastAccessedRegion": a.region,
                        })).collect::<Vec<_>>()
                    }),
                })
            })
            .collect();
        let suggestion = self.suggestion().map(|s| {
            let document: Option<Value> = s
                .document
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok());
            json!({
                "Form": match s.form {
                    PolicyForm::Inline => "inline",
                    PolicyForm::Boundary => "boundary",
                },
                "DeniedServices": s.denied,
                "LeftOut": s.left_out.iter().map(|l| json!({
                    "Namespace": l.namespace,
                    "Reason": l.reason,
                })).collect::<Vec<_>>(),
                "Document": document,
                "Size": s.size,
                "Warnings": s.warnings,
            })
        });
        let document = json!({
            "Principal": {
                "Kind": self.principal.noun(),
                "Name": self.principal.name(),
                "Arn": self.report.arn,
            },
            "ReportCompleted": time(Some(self.report.completed)),
            "MaxDays": self.max_days,
            "Summary": {
                "GrantedServices": self.report.services.len(),
                "UsedServices": usage.used.len(),
                "UnusedServices": usage.unused.len(),
                "TrackedActionsOfUsedServices": usage.tracked_actions_of_used,
                "UnusedActionsOfUsedServices": usage.unused_actions_of_used,
            },
            "Services": services,
            "SuggestedPolicy": suggestion,
        });
        serde_json::to_string_pretty(&document)
            .map(|text| text + "\n")
            .map_err(|e| Error::OutputEncodingFailed {
                what: "permissions report".to_owned(),
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::access::ActionAccess;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn service(
        namespace: &str,
        name: &str,
        last: Option<DateTime<Utc>>,
        region: Option<&str>,
    ) -> ServiceAccess {
        ServiceAccess {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            last_authenticated: last,
            region: region.map(str::to_owned),
            tracked_actions: None,
        }
    }

    /// As of 2026-06-01: s3 used a day ago (GetObject used, PutObject never), ec2 90 days
    /// ago (still used), sqs 151 days ago, dynamodb and iam never.
    fn report() -> AccessReport {
        let mut s3 = service("s3", "Amazon S3", Some(at(2026, 5, 31)), Some("eu-west-1"));
        s3.tracked_actions = Some(vec![
            ActionAccess {
                name: "PutObject".to_owned(),
                last_accessed: None,
                region: None,
            },
            ActionAccess {
                name: "GetObject".to_owned(),
                last_accessed: Some(at(2026, 5, 31)),
                region: Some("eu-west-1".to_owned()),
            },
        ]);
        AccessReport {
            arn: "arn:aws:iam::123456789012:role/app".to_owned(),
            completed: Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap(),
            services: vec![
                s3,
                service("sqs", "Amazon SQS", Some(at(2026, 1, 1)), Some("us-east-1")),
                service("iam", "AWS Identity and Access Management", None, None),
                service("ec2", "Amazon EC2", Some(at(2026, 3, 3)), Some("eu-west-1")),
                service("dynamodb", "Amazon DynamoDB", None, None),
            ],
        }
    }

    fn view<'a>(principal: &'a Principal, report: &'a AccessReport) -> View<'a> {
        View {
            principal,
            report,
            now: at(2026, 6, 1),
            max_days: 90,
            actions: false,
            form: PolicyForm::Inline,
        }
    }

    #[test]
    fn the_table_lists_unused_services_first_then_used_ones_by_namespace() {
        let principal = Principal::Role("app".to_owned());
        let report = report();
        let table = view(&principal, &report).table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "role app (arn:aws:iam::123456789012:role/app)");
        assert_eq!(
            lines[1],
            "IAM's service last accessed report of 2026-06-01T08:00:00Z; unused means no use for more than 90 days."
        );
        assert_eq!(
            lines[2],
            "Uses 2 of 5 granted services; 3 unused. Of the used services' 2 tracked actions, 1 unused."
        );
        let rows: Vec<Vec<&str>> = lines[5..10]
            .iter()
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .collect();
        assert_eq!(
            rows,
            [
                vec![
                    "UNUSED",
                    "dynamodb",
                    "Amazon DynamoDB",
                    NEVER,
                    "-",
                    "not tracked"
                ],
                vec![
                    "UNUSED",
                    "iam",
                    "AWS Identity and Access Management",
                    NEVER,
                    "-",
                    "not tracked"
                ],
                vec![
                    "UNUSED",
                    "sqs",
                    "Amazon SQS",
                    "2026-01-01 (151 days ago)",
                    "us-east-1",
                    "not tracked"
                ],
                vec![
                    "used",
                    "ec2",
                    "Amazon EC2",
                    "2026-03-03 (90 days ago)",
                    "eu-west-1",
                    "not tracked"
                ],
                vec![
                    "used",
                    "s3",
                    "Amazon S3",
                    "2026-05-31 (1 day ago)",
                    "eu-west-1",
                    "1 of 2 used"
                ],
            ]
        );
        assert_eq!(NEVER, "never (within IAM's 400-day tracking)");
        assert!(
            !table.contains("s3:GetObject"),
            "actions only with --actions"
        );
        assert!(view(&principal, &report).has_unused());
    }

    #[test]
    fn the_summary_speaks_of_tracked_actions_only_when_there_are_some() {
        let principal = Principal::Role("app".to_owned());
        let mut report = report();
        report.services.retain(|s| s.namespace != "s3");
        let table = view(&principal, &report).table();
        assert_eq!(
            table.lines().nth(2),
            Some("Uses 1 of 4 granted services; 3 unused.")
        );
    }

    #[test]
    fn columns_are_aligned_and_the_actions_view_lists_each_action_unused_first() {
        let principal = Principal::User("ci".to_owned());
        let mut report = report();
        report.services.retain(|s| s.namespace == "s3");
        if let Some(actions) = report.services[0].tracked_actions.as_mut() {
            actions.push(ActionAccess {
                name: "ListAllMyBuckets".to_owned(),
                last_accessed: Some(at(2026, 4, 1)),
                region: Some("eu-west-1".to_owned()),
            });
        }
        let mut view = view(&principal, &report);
        view.actions = true;
        let table = view.table();
        let expected = "\
user ci (arn:aws:iam::123456789012:role/app)
IAM's service last accessed report of 2026-06-01T08:00:00Z; unused means no use for more than 90 days.
Uses 1 of 1 granted services; 0 unused. Of the used services' 3 tracked actions, 1 unused.

      NAMESPACE  SERVICE    LAST ACCESS             REGION     ACTIONS
used  s3         Amazon S3  2026-05-31 (1 day ago)  eu-west-1  2 of 3 used
    UNUSED  s3:PutObject         never (within IAM's 400-day tracking)
    used    s3:GetObject         2026-05-31 (1 day ago)                 eu-west-1
    used    s3:ListAllMyBuckets  2026-04-01 (61 days ago)               eu-west-1

No suggested policy: every granted service was used within 90 days.
";
        assert_eq!(table, expected);
    }

    #[test]
    fn the_table_ends_with_the_suggested_policy_marked_as_a_suggestion() {
        let principal = Principal::Role("app".to_owned());
        let report = report();
        let table = view(&principal, &report).table();
        let (_, suggestion) = table.split_once("SUGGESTED POLICY: ").unwrap();
        assert!(suggestion
            .starts_with("a suggestion to review before use; role-audit changes nothing."));
        assert!(
            suggestion.contains("Not denied although unused: iam: iam:PassRole is never recorded")
        );
        let document: Value =
            serde_json::from_str(&suggestion[suggestion.find('{').unwrap()..]).unwrap();
        assert_eq!(
            document["Statement"][0]["Action"],
            json!(["dynamodb:*", "sqs:*"])
        );

        let mut boundary = view(&principal, &report);
        boundary.form = PolicyForm::Boundary;
        let table = boundary.table();
        assert!(table.contains("a boundary of the Deny alone would deny everything"));
        assert!(table.contains("\"Effect\": \"Allow\""));
    }

    #[test]
    fn a_principal_granted_nothing_says_so() {
        let principal = Principal::Role("empty".to_owned());
        let mut report = report();
        report.services.clear();
        let table = view(&principal, &report).table();
        assert!(
            table.ends_with("Its identity policies grant no service.\n"),
            "{table}"
        );
        assert!(!view(&principal, &report).has_unused());
    }

    #[test]
    fn json_has_stable_field_names_and_every_action() {
        let principal = Principal::Role("app".to_owned());
        let report = report();
        let json: Value = serde_json::from_str(&view(&principal, &report).json().unwrap()).unwrap();
        let never = |namespace: &str, name: &str| {
            json!({
                "Namespace": namespace, "ServiceName": name, "Unused": true,
                "LastAuthenticated": null, "DaysSinceLastAuthenticated": null,
                "LastAuthenticatedRegion": null, "TrackedActions": null,
            })
        };
        let expected = json!({
            "Principal": {"Kind": "role", "Name": "app", "Arn": "arn:aws:iam::123456789012:role/app"},
            "ReportCompleted": "2026-06-01T08:00:00Z",
            "MaxDays": 90,
            "Summary": {
                "GrantedServices": 5, "UsedServices": 2, "UnusedServices": 3,
                "TrackedActionsOfUsedServices": 2, "UnusedActionsOfUsedServices": ["s3:PutObject"],
            },
            "Services": [
                never("dynamodb", "Amazon DynamoDB"),
                never("iam", "AWS Identity and Access Management"),
                {
                    "Namespace": "sqs", "ServiceName": "Amazon SQS", "Unused": true,
                    "LastAuthenticated": "2026-01-01T12:00:00Z", "DaysSinceLastAuthenticated": 151,
                    "LastAuthenticatedRegion": "us-east-1", "TrackedActions": null,
                },
                {
                    "Namespace": "ec2", "ServiceName": "Amazon EC2", "Unused": false,
                    "LastAuthenticated": "2026-03-03T12:00:00Z", "DaysSinceLastAuthenticated": 90,
                    "LastAuthenticatedRegion": "eu-west-1", "TrackedActions": null,
                },
                {
                    "Namespace": "s3", "ServiceName": "Amazon S3", "Unused": false,
                    "LastAuthenticated": "2026-05-31T12:00:00Z", "DaysSinceLastAuthenticated": 1,
                    "LastAuthenticatedRegion": "eu-west-1",
                    "TrackedActions": [
                        {"Action": "s3:PutObject", "Unused": true, "LastAccessed": null,
                         "DaysSinceLastAccessed": null, "LastAccessedRegion": null},
                        {"Action": "s3:GetObject", "Unused": false, "LastAccessed": "2026-05-31T12:00:00Z",
                         "DaysSinceLastAccessed": 1, "LastAccessedRegion": "eu-west-1"},
                    ],
                },
            ],
            "SuggestedPolicy": {
                "Form": "inline",
                "DeniedServices": ["dynamodb", "sqs"],
                "LeftOut": [{"Namespace": "iam", "Reason": crate::core::access::IAM_LEFT_OUT}],
                "Document": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "DenyServicesUnusedFor90Days", "Effect": "Deny",
                        "Action": ["dynamodb:*", "sqs:*"], "Resource": "*",
                    }],
                },
                // {"Version":"2012-10-17","Statement":[{"Sid":"DenyServicesUnusedFor90Days",
                // "Effect":"Deny","Action":["dynamodb:*","sqs:*"],"Resource":"*"}]}
                "Size": 139,
                "Warnings": [],
            },
        });
        assert_eq!(json, expected);
    }
}
