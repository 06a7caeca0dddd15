//! Adapter: IAM's GetAccountAuthorizationDetails, paged into domain roles.

use std::collections::HashSet;

use aws_sdk_iam::types::{EntityType, RoleDetail};

use crate::aws::{error_code, error_message, to_utc};
use crate::core::role::{Role, RoleRecord, Tag};
use crate::Error;

/// The largest page IAM serves.
pub const PAGE_SIZE: i32 = 1000;

#[derive(Debug, Clone)]
pub struct FetchedRoles {
    pub roles: Vec<Role>,
    pub pages: usize,
}

/// Reads every role in the account, page by page, keeping only what the rule needs (the
/// policy documents are dropped with each page). Fails as a whole if any page fails: a partial
/// list would make live roles look deleted.
pub async fn fetch_roles(client: &aws_sdk_iam::Client) -> Result<FetchedRoles, Error> {
    fetch_roles_with_progress(client, |_, _| {}).await
}

/// [`fetch_roles`], calling `progress(pages, roles)` after each page.
pub async fn fetch_roles_with_progress(
    client: &aws_sdk_iam::Client,
    mut progress: impl FnMut(usize, usize),
) -> Result<FetchedRoles, Error> {
    let mut roles = Vec::new();
    let mut seen_ids = HashSet::new();
    let mut marker: Option<String> = None;
    let mut page = 0;
    loop {
        page += 1;
        let output = client
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .max_items(PAGE_SIZE)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| Error::IamFetchFailed {
                page,
                message: error_message(&e),
                code: error_code(&e),
            })?;

        for detail in output.role_detail_list() {
            let role = role_from_detail(detail).map_err(|missing| Error::InvalidIamData {
                page,
                message: missing.to_string(),
            })?;
            if !seen_ids.insert(role.role_id.clone()) {
                return Err(Error::InvalidIamData {
                    page,
                    message: format!(
                        "RoleId {} ({}) was listed twice; the role list changed while it was being read, try again",
                        role.role_id, role.name
                    ),
                });
            }
            roles.push(role);
        }

        progress(page, roles.len());
        if !output.is_truncated() {
            return Ok(FetchedRoles { roles, pages: page });
        }
        match output.marker() {
            Some(next) if Some(next) != marker.as_deref() => marker = Some(next.to_owned()),
            Some(next) => {
                return Err(Error::InvalidIamData {
                    page,
                    message: format!(
                        "IsTruncated is true but Marker {next:?} repeats the previous page's"
                    ),
                })
            }
            None => {
                return Err(Error::InvalidIamData {
                    page,
                    message: "IsTruncated is true but no Marker was returned".to_owned(),
                })
            }
        }
    }
}

pub fn role_from_detail(detail: &RoleDetail) -> Result<Role, crate::core::role::MissingField> {
    let last_used = detail.role_last_used();
    RoleRecord {
        role_id: detail.role_id().map(str::to_owned),
        name: detail.role_name().map(str::to_owned),
        path: detail.path().map(str::to_owned),
        arn: detail.arn().map(str::to_owned),
        created: to_utc(detail.create_date()),
        last_used_at: to_utc(last_used.and_then(|u| u.last_used_date())),
        last_used_region: last_used.and_then(|u| u.region()).map(str::to_owned),
        tags: detail
            .tags()
            .iter()
            .map(|t| Tag {
                key: t.key().to_owned(),
                value: t.value().to_owned(),
            })
            .collect(),
    }
    .into_role()
}

#[derive(Debug, Clone)]
pub struct FetchedUsers {
    pub users: Vec<crate::core::user::User>,
    pub pages: usize,
}

/// Reads every user in the account (`Filter=User`), page by page, as [`fetch_roles`] does roles.
pub async fn fetch_users(client: &aws_sdk_iam::Client) -> Result<FetchedUsers, Error> {
    let _ = client;
    unimplemented!("users read")
}
