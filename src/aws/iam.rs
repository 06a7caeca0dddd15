//! Adapter: IAM's GetAccountAuthorizationDetails, paged into domain roles or users, each with
//! the privilege its policies give it.
//!
//! The same paging asks for the account's customer managed policies (`LocalManagedPolicy`) and,
//! for users, its groups: a principal's privilege comes from its inline policies, the managed
//! policies it attaches and (users) its groups' policies, and IAM lists those in any order,
//! across pages. So each page is summed up as it comes ([`Facts`] per principal, group and
//! customer managed policy) and its documents dropped with it; the parts are combined once the
//! last page is in. AWS managed policies are not in those lists: only AdministratorAccess and
//! IAMFullAccess count, by ARN (see [`crate::core::privilege`]).

use std::collections::{HashMap, HashSet};

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{
    AttachedPolicy, EntityType, GroupDetail, ManagedPolicyDetail, PolicyDetail, RoleDetail,
    UserDetail,
};
use percent_encoding::percent_decode_str;

use crate::aws::{error_code, error_message, to_utc};
use crate::core::privilege::{Document, Facts, Privilege};
use crate::core::role::{MissingField, Role, RoleRecord, Tag};
use crate::core::user::{User, UserRecord};
use crate::Error;

/// Entries (principals, groups and customer managed policies together) asked for per page (IAM
/// serves up to 1 000). A page of 1 000 roles is about 9 MB
/// of XML, most of it policy documents the rules never read, held twice while the SDK parses
/// it: that, not the roles kept, set the function's peak memory. 250 a page keeps the peak at
/// 10 000 roles near 30 MiB instead of 50 (bench/README.md, "Memory"); the extra pages cost no
/// time once Config holds results, as the read of those, 100 a page, takes longer.
pub const PAGE_SIZE: i32 = 250;

/// A kind of principal GetAccountAuthorizationDetails lists: what the paging loop needs to
/// know of it.
trait Listed: Sized {
    type Detail;
    /// The `Filter` values that ask for this kind and what its privilege comes from.
    const FILTERS: &'static [EntityType];
    /// The name of its id in IAM's answers (`RoleId`), and what it is called (`role`).
    const ID_FIELD: &'static str;
    const NOUN: &'static str;

    fn details(page: &GetAccountAuthorizationDetailsOutput) -> &[Self::Detail];
    fn from_detail(detail: &Self::Detail) -> Result<Self, MissingField>;
    /// What the principal's own entry says of its privilege.
    fn policies(detail: &Self::Detail) -> Policies;
    fn set_privilege(&mut self, privilege: Privilege);
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}

impl Listed for Role {
    type Detail = RoleDetail;
    const FILTERS: &'static [EntityType] = &[EntityType::Role, EntityType::LocalManagedPolicy];
    const ID_FIELD: &'static str = "RoleId";
    const NOUN: &'static str = "role";

    fn details(page: &GetAccountAuthorizationDetailsOutput) -> &[RoleDetail] {
        page.role_detail_list()
    }
    fn from_detail(detail: &RoleDetail) -> Result<Self, MissingField> {
        role_from_detail(detail)
    }
    fn policies(detail: &RoleDetail) -> Policies {
        Policies::of(
            detail.role_policy_list(),
            detail.attached_managed_policies(),
            Vec::new(),
        )
    }
    fn set_privilege(&mut self, privilege: Privilege) {
        self.privilege = privilege;
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
    const FILTERS: &'static [EntityType] = &[
        EntityType::User,
        EntityType::Group,
        EntityType::LocalManagedPolicy,
    ];
    const ID_FIELD: &'static str = "UserId";
    const NOUN: &'static str = "user";

    fn details(page: &GetAccountAuthorizationDetailsOutput) -> &[UserDetail] {
        page.user_detail_list()
    }
    fn from_detail(detail: &UserDetail) -> Result<Self, MissingField> {
        user_from_detail(detail)
    }
    fn policies(detail: &UserDetail) -> Policies {
        Policies::of(
            detail.user_policy_list(),
            detail.attached_managed_policies(),
            detail.group_list().to_vec(),
        )
    }
    fn set_privilege(&mut self, privilege: Privilege) {
        self.privilege = privilege;
    }
    fn id(&self) -> &str {
        &self.user_id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// What a principal's or a group's own entry says of its privilege: the facts of its inline
/// policies, and the names of what it takes more from.
#[derive(Debug, Default)]
struct Policies {
    inline: Facts,
    attached: Vec<String>,
    groups: Vec<String>,
}

impl Policies {
    fn of(inline: &[PolicyDetail], attached: &[AttachedPolicy], groups: Vec<String>) -> Self {
        let mut facts = Facts::default();
        for policy in inline {
            let name = policy.policy_name().unwrap_or("inline policy");
            facts.merge(&facts_of(name, policy.policy_document()));
        }
        Policies {
            inline: facts,
            attached: attached
                .iter()
                .filter_map(|a| a.policy_arn().map(str::to_owned))
                .collect(),
            groups,
        }
    }
}

/// The facts of one document as IAM returns it. GetAccountAuthorizationDetails URL-encodes
/// policy documents (RFC 3986) and the SDK hands them on as they came; a document that is
/// already JSON (`{`: an encoded one starts `%7B`) is taken as it is.
fn facts_of(policy: &str, document: Option<&str>) -> Facts {
    let document = document.unwrap_or_default();
    let decoded = if document.trim_start().starts_with('{') {
        Ok(std::borrow::Cow::Borrowed(document))
    } else {
        percent_decode_str(document).decode_utf8()
    };
    let json = match &decoded {
        Ok(json) => json.as_ref(),
        // Not UTF-8 once decoded: the parser names it as not JSON.
        Err(_) => document,
    };
    Facts::of_document(&Document { policy, json })
}

/// Everything a page adds to the principals' privilege, kept until the last page is in.
#[derive(Debug, Default)]
struct PrivilegeParts {
    /// Per principal, in the order listed.
    principals: Vec<Policies>,
    /// Per group name.
    groups: HashMap<String, Policies>,
    /// Per customer managed policy ARN: its default version's facts.
    managed: HashMap<String, Facts>,
}

impl PrivilegeParts {
    fn add_page(&mut self, page: &GetAccountAuthorizationDetailsOutput) {
        for group in page.group_detail_list() {
            self.add_group(group);
        }
        for policy in page.policies() {
            self.add_managed(policy);
        }
    }

    fn add_group(&mut self, group: &GroupDetail) {
        if let Some(name) = group.group_name() {
            let policies = Policies::of(
                group.group_policy_list(),
                group.attached_managed_policies(),
                Vec::new(),
            );
            self.groups.insert(name.to_owned(), policies);
        }
    }

    fn add_managed(&mut self, policy: &ManagedPolicyDetail) {
        let Some(arn) = policy.arn() else { return };
        let name = policy.policy_name().unwrap_or(arn);
        let default = policy
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version());
        let document = default.and_then(|v| v.document());
        self.managed
            .insert(arn.to_owned(), facts_of(name, document));
    }

    /// The facts of `own` with those of the managed policies and groups it names. A customer
    /// managed policy missing from the lists (deleted while the pages were read) adds nothing.
    fn resolve(&self, own: &Policies) -> Facts {
        let mut facts = own.inline.clone();
        self.add_attached(&mut facts, &own.attached);
        for group in &own.groups {
            if let Some(policies) = self.groups.get(group) {
                facts.merge(&policies.inline);
                self.add_attached(&mut facts, &policies.attached);
            }
        }
        facts
    }

    fn add_attached(&self, facts: &mut Facts, arns: &[String]) {
        for arn in arns {
            if let Some(known) = Facts::of_known_managed(arn) {
                facts.merge(&known);
            } else if let Some(managed) = self.managed.get(arn) {
                facts.merge(managed);
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct FetchedRoles {
    pub roles: Vec<Role>,
    pub pages: usize,
    /// Roles whose privilege is [`Privilege::Unknown`]: a policy document could not be read.
    pub unknown_privilege: usize,
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
    let (roles, pages, unknown_privilege) = fetch_all::<Role>(client, progress).await?;
    Ok(FetchedRoles {
        roles,
        pages,
        unknown_privilege,
    })
}

#[derive(Debug, Clone)]
pub struct FetchedUsers {
    pub users: Vec<User>,
    pub pages: usize,
    /// Users whose privilege is [`Privilege::Unknown`]: a policy document could not be read.
    pub unknown_privilege: usize,
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
    let (users, pages, unknown_privilege) = fetch_all::<User>(client, progress).await?;
    Ok(FetchedUsers {
        users,
        pages,
        unknown_privilege,
    })
}

/// Every principal of kind `P` with its privilege, how many pages they took, and how many
/// principals' privilege is unknown. Refuses a principal listed twice and a truncated page
/// with no new Marker: either would make the list incomplete.
async fn fetch_all<P: Listed>(
    client: &aws_sdk_iam::Client,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Vec<P>, usize, usize), Error> {
    let mut principals = Vec::new();
    let mut parts = PrivilegeParts::default();
    let mut seen_ids = HashSet::new();
    let mut marker: Option<String> = None;
    let mut page = 0;
    loop {
        page += 1;
        let output = client
            .get_account_authorization_details()
            .set_filter(Some(P::FILTERS.to_vec()))
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
            parts.principals.push(P::policies(detail));
        }
        parts.add_page(&output);

        progress(page, principals.len());
        if !output.is_truncated() {
            let unknown = with_privilege(&mut principals, &parts);
            return Ok((principals, page, unknown));
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

/// Gives each principal its privilege from the parts; returns how many are unknown.
fn with_privilege<P: Listed>(principals: &mut [P], parts: &PrivilegeParts) -> usize {
    let mut unknown = 0;
    for (principal, own) in principals.iter_mut().zip(&parts.principals) {
        let privilege = parts.resolve(own).privilege();
        if let Privilege::Unknown(problem) = &privilege {
            unknown += 1;
            tracing::warn!(
                principal = principal.name(),
                %problem,
                "policy not readable; privilege unknown"
            );
        }
        principal.set_privilege(privilege);
    }
    unknown
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
        // Set once every page is in: see [`PrivilegeParts`].
        privilege: Privilege::Neither,
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
        privilege: Privilege::Neither,
    }
    .into_user()
}
