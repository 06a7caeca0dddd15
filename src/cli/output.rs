//! Renders result rows for people (an aligned table) and for programs (JSON, CSV).

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::core::evaluate::Evaluation;
use crate::core::privilege::{split_label, Level};
use crate::core::results::{Compliance, ResourceType};
use crate::core::settings::RuleKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// One output row, from an evaluation (`role-audit evaluate`) or from a result Config recorded
/// (`role-audit report`), for a role or a user. JSON and CSV name the principal's fields after
/// its kind ([`Names`]): `RoleName`/`RoleId` or `UserName`/`UserId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Which rule's principal this is: a role or a user.
    pub kind: RuleKind,
    /// Empty when the principal no longer exists.
    pub name: String,
    pub path: String,
    /// Config's key: the RoleId (`AROA...`) or the UserId (`AIDA...`).
    pub id: String,
    pub compliance_type: Compliance,
    pub days_since_last_use: Option<i64>,
    pub last_used_region: Option<String>,
    /// What Config gets or holds: JSON and CSV show this.
    pub annotation: String,
    /// The verdict for people, with ages as of the run ([`Evaluation::detail`]), shown by the
    /// table; None for results Config recorded, whose annotation is all there is.
    pub detail: Option<String>,
    /// When Config recorded the result (reports only), RFC 3339.
    pub result_recorded_time: Option<String>,
    /// The account the principal is in (aggregator reports only).
    pub account_id: Option<String>,
    /// The privilege label the annotation starts with (findings only), read back from it with
    /// [`split_label`]: the one place a report learns it, as Config holds nothing else.
    pub privilege: Option<Level>,
}

impl Row {
    /// The privilege `annotation` states at its front.
    pub fn privilege_of(annotation: &str) -> Option<Level> {
        split_label(annotation).0
    }
}

/// Most privileged first, then the rest: the order findings are shown in.
fn privilege_rank(privilege: Option<Level>) -> (bool, Option<Level>) {
    (privilege.is_none(), privilege)
}

/// How output names a kind's principal: its JSON/CSV fields, its table columns, its noun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    pub name_field: &'static str,
    pub id_field: &'static str,
    pub name_column: &'static str,
    pub id_column: &'static str,
    pub singular: &'static str,
    pub plural: &'static str,
}

impl Names {
    pub fn of(kind: RuleKind) -> Self {
        match kind {
            RuleKind::Roles => Names {
                name_field: "RoleName",
                id_field: "RoleId",
                name_column: "ROLE",
                id_column: "ROLE ID",
                singular: "role",
                plural: "roles",
            },
            RuleKind::Users => Names {
                name_field: "UserName",
                id_field: "UserId",
                name_column: "USER",
                id_column: "USER ID",
                singular: "user",
                plural: "users",
            },
            // Roles and users both: rows name each by its own type (`kind_of`).
            RuleKind::Permissions => Names {
                name_field: "PrincipalName",
                id_field: "PrincipalId",
                name_column: "PRINCIPAL",
                id_column: "PRINCIPAL ID",
                singular: "principal",
                plural: "principals",
            },
        }
    }
}

/// The rule that reports on a Config resource type.
pub fn kind_of(resource_type: ResourceType) -> RuleKind {
    match resource_type {
        ResourceType::IamRole => RuleKind::Roles,
        ResourceType::IamUser => RuleKind::Users,
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let names = Names::of(self.kind);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(names.name_field, &self.name)?;
        map.serialize_entry("Path", &self.path)?;
        map.serialize_entry(names.id_field, &self.id)?;
        map.serialize_entry("ComplianceType", &self.compliance_type)?;
        map.serialize_entry("DaysSinceLastUse", &self.days_since_last_use)?;
        map.serialize_entry("LastUsedRegion", &self.last_used_region)?;
        map.serialize_entry("Annotation", &self.annotation)?;
        if let Some(time) = &self.result_recorded_time {
            map.serialize_entry("ResultRecordedTime", time)?;
        }
        if let Some(account) = &self.account_id {
            map.serialize_entry("AccountId", account)?;
        }
        map.serialize_entry("Privilege", &self.privilege.map(Level::label))?;
        map.end()
    }
}

impl From<&Evaluation> for Row {
    fn from(e: &Evaluation) -> Self {
        Row {
            kind: kind_of(e.resource_type),
            name: e.name.clone(),
            path: e.path.clone(),
            id: e.resource_id.clone(),
            compliance_type: e.compliance,
            days_since_last_use: e.days_since_last_use(),
            last_used_region: e.last_used_region().map(str::to_owned),
            annotation: e.annotation.clone(),
            detail: Some(e.detail.clone()),
            result_recorded_time: None,
            account_id: None,
            privilege: Row::privilege_of(&e.annotation),
        }
    }
}

/// How the table looks: colour is for terminals only, and never with `NO_COLOR`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStyle {
    pub colour: bool,
}

/// `kind` names the columns when there are no rows to take it from.
pub fn render(kind: RuleKind, rows: &[Row], format: Format, style: TableStyle) -> String {
    match format {
        Format::Table => table(kind, rows, style),
        Format::Json => json(rows),
        Format::Csv => csv(kind, rows),
    }
}

fn json(rows: &[Row]) -> String {
    let mut text = serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

fn csv_header(kind: RuleKind) -> [&'static str; CSV_COLUMNS] {
    let names = Names::of(kind);
    [
        names.name_field,
        "Path",
        names.id_field,
        "ComplianceType",
        "DaysSinceLastUse",
        "LastUsedRegion",
        "Annotation",
        "ResultRecordedTime",
        "AccountId",
        "Privilege",
    ]
}

pub(crate) const CSV_COLUMNS: usize = 10;

/// One CSV record of the [`csv_header`] columns, line end included.
pub(crate) fn csv_line(fields: [&str; CSV_COLUMNS]) -> String {
    let mut line = fields.map(csv_field).join(",");
    line.push_str("\r\n");
    line
}

fn csv(kind: RuleKind, rows: &[Row]) -> String {
    let mut text = csv_line(csv_header(kind));
    for row in rows {
        let days = row
            .days_since_last_use
            .map(|d| d.to_string())
            .unwrap_or_default();
        let fields = [
            row.name.as_str(),
            &row.path,
            &row.id,
            row.compliance_type.as_str(),
            &days,
            row.last_used_region.as_deref().unwrap_or_default(),
            &row.annotation,
            row.result_recorded_time.as_deref().unwrap_or_default(),
            row.account_id.as_deref().unwrap_or_default(),
            row.privilege.map(Level::label).unwrap_or_default(),
        ];
        text.push_str(&csv_line(fields));
    }
    text
}

/// RFC 4180: quote fields holding a comma, quote or line break, doubling inner quotes. A
/// leading `=`, `+`, `-` or `@` is also quoted after a `'` so spreadsheets do not run it.
fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

fn colour_code(compliance: Compliance) -> &'static str {
    match compliance {
        Compliance::NonCompliant => "\x1b[31m",
        Compliance::Compliant => "\x1b[32m",
        Compliance::NotApplicable | Compliance::InsufficientData => "\x1b[2m",
    }
}

/// Sorted by compliance (NON_COMPLIANT first), then most privileged first (ADMIN, IAM-WRITE,
/// the rest), then longest unused first, then name; ends with a count per compliance type.
fn table(kind: RuleKind, rows: &[Row], style: TableStyle) -> String {
    let names = Names::of(kind);
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        a.compliance_type
            .cmp(&b.compliance_type)
            .then(privilege_rank(a.privilege).cmp(&privilege_rank(b.privilege)))
            .then(b.days_since_last_use.cmp(&a.days_since_last_use))
            .then(a.name.cmp(&b.name))
            .then(a.id.cmp(&b.id))
    });
    let recorded = rows.iter().any(|r| r.result_recorded_time.is_some());
    let accounts = rows.iter().any(|r| r.account_id.is_some());
    let privileged = rows.iter().any(|r| r.privilege.is_some());
    let mut header = vec!["COMPLIANCE"];
    if privileged {
        header.push("PRIVILEGE");
    }
    if accounts {
        header.push("ACCOUNT");
    }
    // A user has up to three credentials, each with its own last use: the reason names them,
    // and one UNUSED/REGION pair would misstate the others.
    let last_use = kind == RuleKind::Roles;
    header.extend([names.name_column, names.id_column]);
    if last_use {
        header.extend(["UNUSED", "REGION"]);
    }
    if recorded {
        header.push("RECORDED");
    }
    header.push("REASON");
    let cells: Vec<Vec<String>> = sorted
        .iter()
        .map(|r| {
            let name = if r.name.is_empty() {
                "(no longer exists)"
            } else {
                &r.name
            };
            let text = r.detail.as_deref().unwrap_or(&r.annotation);
            let text = split_label(text).1;
            let reason = text.strip_prefix(&format!("{}: ", r.name)).unwrap_or(text);
            let mut line = vec![r.compliance_type.as_str().to_owned()];
            if privileged {
                line.push(r.privilege.map_or("-", Level::label).to_owned());
            }
            if accounts {
                line.push(r.account_id.clone().unwrap_or_default());
            }
            line.extend([name.to_owned(), r.id.clone()]);
            if last_use {
                line.extend([
                    r.days_since_last_use
                        .map_or_else(|| "-".to_owned(), |d| format!("{d}d")),
                    r.last_used_region.clone().unwrap_or_else(|| "-".to_owned()),
                ]);
            }
            if recorded {
                line.push(
                    r.result_recorded_time
                        .clone()
                        .unwrap_or_else(|| "-".to_owned()),
                );
            }
            line.push(reason.to_owned());
            line
        })
        .collect();
    let header: Vec<String> = header.into_iter().map(str::to_owned).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for line in &cells {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for (index, line) in std::iter::once(&header).chain(cells.iter()).enumerate() {
        let mut out = String::new();
        for (i, (cell, width)) in line.iter().zip(&widths).enumerate() {
            let padded = if i + 1 == line.len() {
                cell.clone()
            } else {
                format!("{cell:<width$}  ")
            };
            if style.colour && index > 0 && i == 0 {
                out.push_str(&format!(
                    "{}{padded}\x1b[0m",
                    colour_code(sorted[index - 1].compliance_type)
                ));
            } else {
                out.push_str(&padded);
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&summary(kind, rows));
    text.push('\n');
    text
}

/// `48 roles: 14 NON_COMPLIANT, 28 COMPLIANT, 6 NOT_APPLICABLE` (or `users`), plus the rows
/// whose principal no longer exists when there are any.
pub fn summary(kind: RuleKind, rows: &[Row]) -> String {
    let names = Names::of(kind);
    // The three the rules decide are always shown; INSUFFICIENT_DATA only when Config has some.
    let mut counts: BTreeMap<Compliance, usize> = [
        Compliance::NonCompliant,
        Compliance::Compliant,
        Compliance::NotApplicable,
    ]
    .into_iter()
    .map(|c| (c, 0))
    .collect();
    for row in rows {
        *counts.entry(row.compliance_type).or_insert(0) += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    let gone = rows.iter().filter(|r| r.name.is_empty()).count();
    let noun = if rows.len() == 1 {
        names.singular
    } else {
        names.plural
    };
    let mut line = format!("{} {noun}: {}", rows.len(), parts.join(", "));
    if gone > 0 {
        let verb = if gone == 1 { "exists" } else { "exist" };
        line.push_str(&format!(" ({gone} no longer {verb})"));
    }
    line
}
