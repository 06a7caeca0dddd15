//! Reads an account snapshot: the JSON `aws iam get-account-authorization-details --filter Role`
//! (or `--filter User`) prints, or a JSON array of such pages.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::core::params::json_kind;
use crate::core::privilege::Privilege;
use crate::core::role::{Role, RoleRecord, Tag};
use crate::core::user::{User, UserRecord};
use crate::Error;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    role_detail_list: Option<Vec<SnapshotRole>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserPage {
    user_detail_list: Option<Vec<SnapshotUser>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnapshotUser {
    user_id: Option<String>,
    user_name: Option<String>,
    path: Option<String>,
    arn: Option<String>,
    create_date: Option<String>,
    #[serde(default)]
    tags: Vec<SnapshotTag>,
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

fn invalid(source_name: &str, message: String) -> Error {
    Error::InvalidSnapshot {
        source_name: source_name.to_owned(),
        message,
    }
}

/// The snapshot's pages: one JSON object, or an array of them. `filter` (`Role`, `User`) is the
/// CLI's filter that prints such a page, for the message.
fn pages(text: &str, source_name: &str, filter: &str) -> Result<Vec<Value>, Error> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| invalid(source_name, format!("not valid JSON: {e}")))?;
    match value {
        Value::Array(pages) => Ok(pages),
        page @ Value::Object(_) => Ok(vec![page]),
        other => Err(invalid(
            source_name,
            format!(
                "expected the JSON object that `aws iam get-account-authorization-details --filter {filter}` prints, \
                 or an array of them; got {}",
                json_kind(&other)
            ),
        )),
    }
}

/// Parses snapshot text; `source_name` (a file name) is used in errors.
pub fn parse(text: &str, source_name: &str) -> Result<Vec<Role>, Error> {
    read_pages(
        text,
        source_name,
        "Role",
        |page: Page| page.role_detail_list,
        to_role,
        |role| (&role.role_id, &role.name),
    )
}

/// Parses the users of snapshot text (`UserDetailList`); `source_name` is used in errors.
pub fn parse_users(text: &str, source_name: &str) -> Result<Vec<User>, Error> {
    read_pages(
        text,
        source_name,
        "User",
        |page: UserPage| page.user_detail_list,
        to_user,
        |user| (&user.user_id, &user.name),
    )
}

/// Every principal of every page, for the `--filter` `kind` (`Role`, `User`): `list` takes a
/// page's `<kind>DetailList`, `convert` reads one entry, `identity` gives its id and name. An
/// id listed twice is an error: the snapshot mixes two exports.
fn read_pages<P: serde::de::DeserializeOwned, Raw, T>(
    text: &str,
    source_name: &str,
    kind: &str,
    list: impl Fn(P) -> Option<Vec<Raw>>,
    convert: impl Fn(Raw) -> Result<T, String>,
    identity: impl Fn(&T) -> (&String, &String),
) -> Result<Vec<T>, Error> {
    let invalid = |message: String| invalid(source_name, message);
    let mut principals = Vec::new();
    let mut seen_ids = HashSet::new();
    for (index, page) in pages(text, source_name, kind)?.into_iter().enumerate() {
        let page_no = index + 1;
        let page: P =
            serde_json::from_value(page).map_err(|e| invalid(format!("page {page_no}: {e}")))?;
        let entries = list(page).ok_or_else(|| {
            invalid(format!(
                "page {page_no} has no {kind}DetailList: is it the output of \
                 `aws iam get-account-authorization-details --filter {kind}`?"
            ))
        })?;
        for raw in entries {
            let principal = convert(raw).map_err(|m| invalid(format!("page {page_no}: {m}")))?;
            let (id, name) = identity(&principal);
            if !seen_ids.insert(id.clone()) {
                return Err(invalid(format!(
                    "page {page_no}: {kind}Id {id} ({name}) appears twice"
                )));
            }
            principals.push(principal);
        }
    }
    Ok(principals)
}

fn to_user(raw: SnapshotUser) -> Result<User, String> {
    let who = raw
        .user_name
        .clone()
        .or_else(|| raw.user_id.clone())
        .unwrap_or_else(|| "?".to_owned());
    let created = raw
        .create_date
        .map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| {
                    format!("user {who}: CreateDate {t:?} is not an RFC 3339 timestamp ({e})")
                })
        })
        .transpose()?;
    UserRecord {
        user_id: raw.user_id,
        name: raw.user_name,
        path: raw.path,
        arn: raw.arn,
        created,
        tags: raw.tags.into_iter().map(SnapshotTag::into_tag).collect(),
        // A snapshot's policies are not read: its findings carry no privilege label.
        privilege: Privilege::Neither,
    }
    .into_user()
    .map_err(|missing| missing.to_string())
}

impl SnapshotTag {
    fn into_tag(self) -> Tag {
        Tag {
            key: self.key,
            value: self.value,
        }
    }
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
        tags: raw.tags.into_iter().map(SnapshotTag::into_tag).collect(),
        // A snapshot's policies are not read: its findings carry no privilege label.
        privilege: Privilege::Neither,
    }
    .into_role()
    .map_err(|missing| missing.to_string())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn users_are_read_from_the_user_detail_list_with_path_tags_and_create_date() {
        let text = r#"{"UserDetailList": [{
            "Path": "/ci/", "UserName": "deployer+ci@example.com", "UserId": "AIDAAAAAAAAAAAAAAAAAA",
            "Arn": "arn:aws:iam::111122223333:user/ci/deployer+ci@example.com",
            "CreateDate": "2024-05-01T10:30:00+00:00", "GroupList": [], "AttachedManagedPolicies": [],
            "Tags": [{"Key": "keep", "Value": "until=2026-06-30"}]}],
            "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
        let users = parse_users(text, "users.json").unwrap();
        assert_eq!(
            users,
            [User {
                user_id: "AIDAAAAAAAAAAAAAAAAAA".to_owned(),
                name: "deployer+ci@example.com".to_owned(),
                path: "/ci/".to_owned(),
                arn: "arn:aws:iam::111122223333:user/ci/deployer+ci@example.com".to_owned(),
                created: Utc.with_ymd_and_hms(2024, 5, 1, 10, 30, 0).unwrap(),
                tags: vec![Tag {
                    key: "keep".to_owned(),
                    value: "until=2026-06-30".to_owned()
                }],
                privilege: Privilege::Neither,
            }]
        );
    }

    #[test]
    fn pages_of_users_are_read_in_order() {
        let user = |n: u32| {
            format!(
                r#"{{"Path": "/", "UserName": "u{n}", "UserId": "AIDA{n:017}",
                "Arn": "arn:aws:iam::1:user/u{n}", "CreateDate": "2024-01-01T00:00:00Z"}}"#
            )
        };
        let text = format!(
            r#"[{{"UserDetailList": [{}, {}], "IsTruncated": true, "Marker": "m"}},
               {{"UserDetailList": [{}], "IsTruncated": false}}]"#,
            user(1),
            user(2),
            user(3)
        );
        let names: Vec<String> = parse_users(&text, "pages.json")
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names, ["u1", "u2", "u3"]);
    }

    #[test]
    fn bad_user_snapshots_are_errors_naming_the_file_page_and_field() {
        let cases = [
            (
                r#"{"RoleDetailList": []}"#,
                "invalid snapshot users.json: page 1 has no UserDetailList: is it the output of \
                 `aws iam get-account-authorization-details --filter User`?",
            ),
            (
                r#""users""#,
                "invalid snapshot users.json: expected the JSON object that \
                 `aws iam get-account-authorization-details --filter User` prints, or an array of \
                 them; got a string",
            ),
            (
                r#"{"UserDetailList": [{"Path": "/", "UserName": "ann", "UserId": "AIDA1",
                    "Arn": "arn:aws:iam::1:user/ann"}]}"#,
                "invalid snapshot users.json: page 1: user AIDA1 has no CreateDate",
            ),
            (
                r#"{"UserDetailList": [{"Path": "/", "UserName": "ann", "UserId": "AIDA1",
                    "Arn": "arn:aws:iam::1:user/ann", "CreateDate": "May 1st"}]}"#,
                "invalid snapshot users.json: page 1: user ann: CreateDate \"May 1st\" is not an \
                 RFC 3339 timestamp",
            ),
            (
                r#"{"UserDetailList": [
                    {"Path": "/", "UserName": "ann", "UserId": "AIDA1", "Arn": "arn:aws:iam::1:user/ann", "CreateDate": "2024-01-01T00:00:00Z"},
                    {"Path": "/", "UserName": "ann", "UserId": "AIDA1", "Arn": "arn:aws:iam::1:user/ann", "CreateDate": "2024-01-01T00:00:00Z"}]}"#,
                "invalid snapshot users.json: page 1: UserId AIDA1 (ann) appears twice",
            ),
        ];
        for (text, want) in cases {
            let error = parse_users(text, "users.json").unwrap_err().to_string();
            assert!(error.starts_with(want), "{text}\n{error}\nwanted {want}");
        }
    }
}
