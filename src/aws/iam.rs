//! Adapter: IAM's GetAccountAuthorizationDetails, paged into domain roles or users.

use std::collections::HashSet;

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{EntityType, RoleDetail, UserDetail};

use crate::aws::{error_code, error_message, to_utc};
use crate::core::role::{MissingField, Role, RoleRecord, Tag};
use crate::core::user::{User, UserRecord};
use crate::Error;

/// Principals asked for per page (IAM serves up to 1 000). A page of 1 000 roles is about 9 MB
/// of XML, most of it policy documents the rules never read, held twice while the SDK parses
/// it: that, not the roles kept, set the function's peak memory. 250 a page keeps the peak at
/// 10 000 roles near 30 MiB instead of 50 (bench/README.md, "Memory"); the extra pages cost no
/// time once Config holds results, as the read of those, 100 a page, takes longer.
pub const PAGE_SIZE: i32 = 250;

/// A kind of principal GetAccountAuthorizationDetails lists: what the paging loop needs to
/// know of it.
trait Listed: Sized {
    type Detail;
    /// The `Filter` that asks for this kind only.
    const FILTER: EntityType;
    /// The name of its id in IAM's answers (`RoleId`), and what it is called (`role`).
    const ID_FIELD: &'static str;
    const NOUN: &'static str;

    fn details(page: &GetAccountAuthorizationDetailsOutput) -> &[Self::Detail];
    fn from_detail(detail: &Self::Detail) -> Result<Self, MissingField>;
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}

impl Listed for Role {
    type Detail = RoleDetail;
    const FILTER: EntityType = EntityType::Role;
    const ID_FIELD: &'static str = "RoleId";
    const NOUN: &'static str = "role";

    fn details(page: &GetAccountAuthorizationDetailsOutput) -> &[RoleDetail] {
        page.role_detail_list()
    }
    fn from_detail(detail: &RoleDetail) -> Result<Self, MissingField> {
        role_from_detail(detail)
    }
    fn id(&self) -> &str {
        &self.role_id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Listed for User {
    type Detail = UserDetail;
    const FILTER: EntityType = EntityType::User;
    const ID_FIELD: &'static str = "UserId";
    const NOUN: &'static str = "user";

    fn details(page: &GetAccountAuthorizationDetailsOutput) -> &[UserDetail] {
        page.user_detail_list()
    }
    fn from_detail(detail: &UserDetail) -> Result<Self, MissingField> {
        user_from_detail(detail)
    }
    fn id(&self) -> &str {
        &self.user_id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

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
    progress: impl FnMut(usize, usize),
) -> Result<FetchedRoles, Error> {
    let (roles, pages) = fetch_all::<Role>(client, progress).await?;
    Ok(FetchedRoles { roles, pages })
}

#[derive(Debug, Clone)]
pub struct FetchedUsers {
    pub users: Vec<User>,
    pub pages: usize,
}

/// Reads every user in the account (`Filter=User`), page by page, as [`fetch_roles`] does roles.
pub async fn fetch_users(client: &aws_sdk_iam::Client) -> Result<FetchedUsers, Error> {
    fetch_users_with_progress(client, |_, _| {}).await
}

/// [`fetch_users`], calling `progress(pages, users)` after each page.
pub async fn fetch_users_with_progress(
    client: &aws_sdk_iam::Client,
    progress: impl FnMut(usize, usize),
) -> Result<FetchedUsers, Error> {
    let (users, pages) = fetch_all::<User>(client, progress).await?;
    Ok(FetchedUsers { users, pages })
}

/// Every principal of kind `P`, and how many pages they took. Refuses a principal listed
/// twice and a truncated page with no new Marker: either would make the list incomplete.
async fn fetch_all<P: Listed>(
    client: &aws_sdk_iam::Client,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Vec<P>, usize), Error> {
    let mut principals = Vec::new();
    let mut seen_ids = HashSet::new();
    let mut marker: Option<String> = None;
    let mut page = 0;
    loop {
        page += 1;
        let output = client
            .get_account_authorization_details()
            .filter(P::FILTER)
            .max_items(PAGE_SIZE)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| Error::IamFetchFailed {
                page,
                message: error_message(&e),
                code: error_code(&e),
            })?;

        for detail in P::details(&output) {
            let principal = P::from_detail(detail).map_err(|missing| Error::InvalidIamData {
                page,
                message: missing.to_string(),
            })?;
            if !seen_ids.insert(principal.id().to_owned()) {
                return Err(Error::InvalidIamData {
                    page,
                    message: format!(
                        "{} {} ({}) was listed twice; the {} list changed while it was being read, try again",
                        P::ID_FIELD,
                        principal.id(),
                        principal.name(),
                        P::NOUN,
                    ),
                });
            }
            principals.push(principal);
        }

        progress(page, principals.len());
        if !output.is_truncated() {
            return Ok((principals, page));
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

fn tags(tags: &[aws_sdk_iam::types::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: t.key().to_owned(),
            value: t.value().to_owned(),
        })
        .collect()
}

pub fn role_from_detail(detail: &RoleDetail) -> Result<Role, MissingField> {
    let last_used = detail.role_last_used();
    RoleRecord {
        role_id: detail.role_id().map(str::to_owned),
        name: detail.role_name().map(str::to_owned),
        path: detail.path().map(str::to_owned),
        arn: detail.arn().map(str::to_owned),
        created: to_utc(detail.create_date()),
        last_used_at: to_utc(last_used.and_then(|u| u.last_used_date())),
        last_used_region: last_used.and_then(|u| u.region()).map(str::to_owned),
        tags: tags(detail.tags()),
    }
    .into_role()
}

pub fn user_from_detail(detail: &UserDetail) -> Result<User, MissingField> {
    UserRecord {
        user_id: detail.user_id().map(str::to_owned),
        name: detail.user_name().map(str::to_owned),
        path: detail.path().map(str::to_owned),
        arn: detail.arn().map(str::to_owned),
        created: to_utc(detail.create_date()),
        tags: tags(detail.tags()),
    }
    .into_user()
}
