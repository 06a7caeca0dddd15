//! The privilege the IAM read gives each role and user: documents URL-encoded as IAM returns
//! them, and principals listed on an earlier page than the managed policies and groups they
//! name.

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{
    AttachedPolicy, GroupDetail, ManagedPolicyDetail, PolicyDetail, PolicyVersion, RoleDetail,
    UserDetail,
};
use iam_role_last_used::aws::iam::{fetch_roles, fetch_users};
use iam_role_last_used::core::privilege::{Grant, Privilege};

use crate::common::*;

/// A document as GetAccountAuthorizationDetails returns it: URL-encoded (RFC 3986).
fn encoded(json: &str) -> String {
    json.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn allow(action: &str) -> String {
    encoded(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}]}}"#
    ))
}

fn deny_all() -> String {
    encoded(r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#)
}

fn inline(name: &str, document: &str) -> PolicyDetail {
    PolicyDetail::builder()
        .policy_name(name)
        .policy_document(document)
        .build()
}

fn attached(arn: &str) -> AttachedPolicy {
    AttachedPolicy::builder().policy_arn(arn).build()
}

fn managed_arn(name: &str) -> String {
    format!("arn:aws:iam::123456789012:policy/{name}")
}

/// A customer managed policy whose default version is `document`, after an older version that
/// grants everything: only the default counts.
fn managed(name: &str, document: &str) -> ManagedPolicyDetail {
    let version = |id: &str, default: bool, document: &str| {
        PolicyVersion::builder()
            .version_id(id)
            .is_default_version(default)
            .document(document)
            .build()
    };
    ManagedPolicyDetail::builder()
        .policy_name(name)
        .arn(managed_arn(name))
        .policy_version_list(version("v1", false, &allow("*")))
        .policy_version_list(version("v2", true, document))
        .build()
}

fn role(
    n: usize,
    name: &str,
    inline: Vec<PolicyDetail>,
    attached: Vec<AttachedPolicy>,
) -> RoleDetail {
    let base = iam_role(n, "/", name, Some(200), &[]);
    RoleDetail::builder()
        .set_path(base.path().map(str::to_owned))
        .set_role_name(base.role_name().map(str::to_owned))
        .set_role_id(base.role_id().map(str::to_owned))
        .set_arn(base.arn().map(str::to_owned))
        .set_create_date(base.create_date().cloned())
        .set_role_last_used(base.role_last_used().cloned())
        .set_role_policy_list(Some(inline))
        .set_attached_managed_policies(Some(attached))
        .build()
}

fn page(
    roles: Vec<RoleDetail>,
    policies: Vec<ManagedPolicyDetail>,
    next: Option<&str>,
) -> GetAccountAuthorizationDetailsOutput {
    GetAccountAuthorizationDetailsOutput::builder()
        .set_role_detail_list(Some(roles))
        .set_policies(Some(policies))
        .is_truncated(next.is_some())
        .set_marker(next.map(str::to_owned))
        .build()
}

fn grant(policy: &str, action: &str) -> Grant {
    Grant {
        policy: policy.to_owned(),
        action: action.to_owned(),
    }
}

#[tokio::test]
async fn roles_get_their_privilege_from_inline_aws_and_customer_managed_policies_on_any_page() {
    let first = page_rule(
        None,
        page(
            vec![
                role(
                    1,
                    "admin-by-arn",
                    vec![],
                    vec![attached("arn:aws:iam::aws:policy/AdministratorAccess")],
                ),
                role(
                    2,
                    "iam-by-managed",
                    vec![],
                    vec![attached(&managed_arn("iam-editor"))],
                ),
                role(
                    3,
                    "cancelled",
                    vec![inline("everything", &allow("*"))],
                    vec![attached(&managed_arn("deny-all"))],
                ),
                role(
                    4,
                    "reader",
                    vec![inline("reads", &allow("s3:Get*"))],
                    vec![attached("arn:aws:iam::aws:policy/PowerUserAccess")],
                ),
                role(5, "broken", vec![inline("bad", "%7Bnot%20json")], vec![]),
                role(
                    6,
                    "old-version",
                    vec![],
                    vec![attached(&managed_arn("reads"))],
                ),
            ],
            vec![],
            Some("m1"),
        ),
    );
    // The managed policies the first page's roles attach come after them.
    let second = page_rule(
        Some("m1"),
        page(
            vec![role(
                7,
                "inline-admin",
                vec![inline("all", &allow("*"))],
                vec![],
            )],
            vec![
                managed("iam-editor", &allow("iam:*")),
                managed("deny-all", &deny_all()),
                managed("reads", &allow("s3:Get*")),
            ],
            None,
        ),
    );
    let fetched = fetch_roles(&iam_client(&[&first, &second])).await.unwrap();

    let privileges: Vec<(&str, &Privilege)> = fetched
        .roles
        .iter()
        .map(|r| (r.name.as_str(), &r.privilege))
        .collect();
    assert_eq!(
        privileges[0],
        (
            "admin-by-arn",
            &Privilege::Admin(grant("AdministratorAccess", "*"))
        )
    );
    assert_eq!(
        privileges[1],
        (
            "iam-by-managed",
            &Privilege::ChangesIam(grant("iam-editor", "iam:AddUserToGroup"))
        )
    );
    assert_eq!(privileges[2], ("cancelled", &Privilege::Neither));
    // PowerUserAccess is AWS managed: its document is not read.
    assert_eq!(privileges[3], ("reader", &Privilege::Neither));
    assert!(
        matches!(privileges[4], ("broken", Privilege::Unknown(p)) if p.policy == "bad"),
        "{:?}",
        privileges[4]
    );
    // Only the default version counts, not v1's Allow of everything.
    assert_eq!(privileges[5], ("old-version", &Privilege::Neither));
    assert_eq!(
        privileges[6],
        ("inline-admin", &Privilege::Admin(grant("all", "*")))
    );
    assert_eq!(fetched.unknown_privilege, 1);
}

#[tokio::test]
async fn a_user_gets_its_groups_privilege_listed_on_a_later_page() {
    let user = |n: usize, name: &str, groups: &[&str]| {
        let base = iam_user(n, "/", name, 500, &[]);
        UserDetail::builder()
            .set_path(base.path().map(str::to_owned))
            .set_user_name(base.user_name().map(str::to_owned))
            .set_user_id(base.user_id().map(str::to_owned))
            .set_arn(base.arn().map(str::to_owned))
            .set_create_date(base.create_date().cloned())
            .set_group_list(Some(groups.iter().map(|g| (*g).to_owned()).collect()))
            .build()
    };
    let first = page_rule(
        None,
        GetAccountAuthorizationDetailsOutput::builder()
            .user_detail_list(user(1, "in-admins", &["admins"]))
            .user_detail_list(user(2, "in-editors", &["editors"]))
            .user_detail_list(user(3, "in-readers", &["readers"]))
            .is_truncated(true)
            .marker("m1")
            .build(),
    );
    let second = page_rule(
        Some("m1"),
        GetAccountAuthorizationDetailsOutput::builder()
            .group_detail_list(
                GroupDetail::builder()
                    .group_name("admins")
                    .group_policy_list(inline("admins-inline", &allow("*")))
                    .build(),
            )
            .group_detail_list(
                GroupDetail::builder()
                    .group_name("editors")
                    .attached_managed_policies(attached(&managed_arn("pass-role")))
                    .build(),
            )
            .group_detail_list(GroupDetail::builder().group_name("readers").build())
            .policies(managed("pass-role", &allow("iam:PassRole")))
            .is_truncated(false)
            .build(),
    );
    let fetched = fetch_users(&iam_client(&[&first, &second])).await.unwrap();

    let privileges: Vec<&Privilege> = fetched.users.iter().map(|u| &u.privilege).collect();
    assert_eq!(
        privileges,
        [
            &Privilege::Admin(grant("admins-inline", "*")),
            &Privilege::ChangesIam(grant("pass-role", "iam:PassRole")),
            &Privilege::Neither,
        ]
    );
}
