//! Reads an account snapshot: the JSON `aws iam get-account-authorization-details --filter Role`
//! prints, or a JSON array of such pages.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::core::params::json_kind;
use crate::core::role::{Role, RoleRecord, Tag};
use crate::Error;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    role_detail_list: Option<Vec<SnapshotRole>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnapshotRole {
    role_id: Option<String>,
    role_name: Option<String>,
    path: Option<String>,
    arn: Option<String>,
    create_date: Option<String>,
    role_last_used: Option<SnapshotLastUsed>,
    #[serde(default)]
    tags: Vec<SnapshotTag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnapshotLastUsed {
    last_used_date: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnapshotTag {
    key: String,
    value: String,
}

/// Parses snapshot text; `source_name` (a file name) is used in errors.
pub fn parse(text: &str, source_name: &str) -> Result<Vec<Role>, Error> {
    let invalid = |message: String| Error::InvalidSnapshot {
        source_name: source_name.to_owned(),
        message,
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    let pages = match value {
        Value::Array(pages) => pages,
        page @ Value::Object(_) => vec![page],
        other => {
            return Err(invalid(format!(
                "expected the JSON object that `aws iam get-account-authorization-details --filter Role` prints, \
                 or an array of them; got {}",
                json_kind(&other)
            )))
        }
    };

    let mut roles = Vec::new();
    let mut seen_ids = HashSet::new();
    for (index, page) in pages.into_iter().enumerate() {
        let page_no = index + 1;
        let page: Page =
            serde_json::from_value(page).map_err(|e| invalid(format!("page {page_no}: {e}")))?;
        let list = page.role_detail_list.ok_or_else(|| {
            invalid(format!(
                "page {page_no} has no RoleDetailList: is it the output of \
                 `aws iam get-account-authorization-details --filter Role`?"
            ))
        })?;
        for raw in list {
            let role = to_role(raw).map_err(|m| invalid(format!("page {page_no}: {m}")))?;
            if !seen_ids.insert(role.role_id.clone()) {
                return Err(invalid(format!(
                    "page {page_no}: RoleId {} ({}) appears twice",
                    role.role_id, role.name
                )));
            }
            roles.push(role);
        }
    }
    Ok(roles)
}

fn to_role(raw: SnapshotRole) -> Result<Role, String> {
    let who = raw
        .role_name
        .clone()
        .or_else(|| raw.role_id.clone())
        .unwrap_or_else(|| "?".to_owned());
    let time = |field: &str, text: Option<String>| -> Result<Option<DateTime<Utc>>, String> {
        text.map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| {
                    format!("role {who}: {field} {t:?} is not an RFC 3339 timestamp ({e})")
                })
        })
        .transpose()
    };
    let (last_used_date, last_used_region) = match raw.role_last_used {
        Some(used) => (used.last_used_date, used.region),
        None => (None, None),
    };
    RoleRecord {
        created: time("CreateDate", raw.create_date)?,
        last_used_at: time("RoleLastUsed.LastUsedDate", last_used_date)?,
        last_used_region,
        role_id: raw.role_id,
        name: raw.role_name,
        path: raw.path,
        arn: raw.arn,
        tags: raw
            .tags
            .into_iter()
            .map(|t| Tag {
                key: t.key,
                value: t.value,
            })
            .collect(),
    }
    .into_role()
    .map_err(|missing| missing.to_string())
}
