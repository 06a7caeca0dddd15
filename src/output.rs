//! Renders evaluations for people (an aligned table) and for programs (JSON, CSV).

use serde::Serialize;

use crate::evaluate::{Evaluation, Tally};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// One output row; JSON and CSV use these names.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Row<'a> {
    pub role_name: &'a str,
    pub path: &'a str,
    pub role_id: &'a str,
    pub compliance_type: &'static str,
    pub days_since_last_use: Option<i64>,
    pub annotation: &'a str,
}

impl<'a> From<&'a Evaluation> for Row<'a> {
    fn from(e: &'a Evaluation) -> Self {
        Row {
            role_name: &e.role_name,
            path: &e.path,
            role_id: &e.resource_id,
            compliance_type: e.compliance.as_str(),
            days_since_last_use: e.days_since_last_use(),
            annotation: &e.annotation,
        }
    }
}

pub fn render(evaluations: &[Evaluation], format: Format) -> String {
    match format {
        Format::Table => table(evaluations),
        Format::Json => json(evaluations),
        Format::Csv => csv(evaluations),
    }
}

fn json(evaluations: &[Evaluation]) -> String {
    let rows: Vec<Row> = evaluations.iter().map(Row::from).collect();
    let mut text = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

const CSV_HEADER: [&str; 6] = [
    "RoleName",
    "Path",
    "RoleId",
    "ComplianceType",
    "DaysSinceLastUse",
    "Annotation",
];

fn csv(evaluations: &[Evaluation]) -> String {
    let mut text = CSV_HEADER.join(",");
    text.push_str("\r\n");
    for e in evaluations {
        let row = Row::from(e);
        let days = row
            .days_since_last_use
            .map(|d| d.to_string())
            .unwrap_or_default();
        let fields = [
            row.role_name,
            row.path,
            row.role_id,
            row.compliance_type,
            &days,
            row.annotation,
        ];
        text.push_str(&fields.map(csv_field).join(","));
        text.push_str("\r\n");
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

/// Sorted by compliance (NON_COMPLIANT first), then longest unused first, then name.
fn table(evaluations: &[Evaluation]) -> String {
    let mut sorted: Vec<&Evaluation> = evaluations.iter().collect();
    sorted.sort_by(|a, b| {
        a.compliance
            .cmp(&b.compliance)
            .then(b.days_since_last_use().cmp(&a.days_since_last_use()))
            .then(a.role_name.cmp(&b.role_name))
    });
    let header = ["COMPLIANCE", "ROLE", "ROLE ID", "UNUSED", "REASON"].map(str::to_owned);
    let rows: Vec<[String; 5]> = sorted
        .iter()
        .map(|e| {
            let reason = e
                .annotation
                .strip_prefix(&format!("{}: ", e.role_name))
                .unwrap_or(&e.annotation);
            [
                e.compliance.as_str().to_owned(),
                e.role_name.clone(),
                e.resource_id.clone(),
                e.days_since_last_use()
                    .map(|d| format!("{d}d"))
                    .unwrap_or_else(|| "-".to_owned()),
                reason.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let tally = Tally::of(evaluations);
    text.push_str(&format!(
        "\n{} roles: {} NON_COMPLIANT, {} COMPLIANT, {} NOT_APPLICABLE\n",
        evaluations.len(),
        tally.non_compliant,
        tally.compliant,
        tally.not_applicable
    ));
    text
}
