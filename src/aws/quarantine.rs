//! The adapter behind `role-audit quarantine` and `restore`: reads a principal and what its
//! Config rule says of it into the pure core's types, and makes the calls the core decided.

use aws_sdk_config::types::{ComplianceType, ResourceType as ConfigResourceType};
use aws_sdk_iam::types::{StatusType, Tag};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use crate::aws::{error_code, error_message, to_utc};
use crate::core::access::PrincipalKind;
use crate::core::params::{Parameters, RoleParameters, UserParameters};
use crate::core::quarantine::{AccessKey, Call, RuleView, Target, POLICY_DOCUMENT, POLICY_NAME};
use crate::core::results::Compliance;
use crate::Error;

fn failed(
    principal: &str,
    operation: &str,
    message: String,
    code: Option<String>,
    made: &[Call],
) -> Error {
    Error::QuarantineFailed {
        principal: principal.to_owned(),
        operation: operation.to_owned(),
        message,
        code,
        made: made.iter().map(Call::line).collect(),
    }
}

fn is_no_such_entity<E>(error: &E) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    error.code() == Some("NoSuchEntity")
}

/// The role or user named `name` as it is now: path, tags, the quarantine policy, and a user's
/// access keys with their last use.
pub async fn read_target(
    iam: &aws_sdk_iam::Client,
    kind: PrincipalKind,
    name: &str,
) -> Result<Target, Error> {
    let fail = |operation: &str, message: String, code: Option<String>| {
        failed(name, operation, message, code, &[])
    };
    let not_found = |noun: &str, option: &str| Error::InvalidOption {
        option: option.to_owned(),
        value: name.to_owned(),
        message: format!("IAM has no {noun} of that name in this account (NoSuchEntity)"),
    };
    match kind {
        PrincipalKind::Role => {
            let output = iam.get_role().role_name(name).send().await.map_err(|e| {
                if is_no_such_entity(&e) {
                    not_found("role", "--role")
                } else {
                    fail("GetRole", error_message(&e), error_code(&e))
                }
            })?;
            let role = output
                .role()
                .ok_or_else(|| fail("GetRole", "the answer holds no role".to_owned(), None))?;
            // GetRole answers with the role's tags, as the documents read them.
            let tags = role.tags().iter().map(pair).collect();
            let has_quarantine_policy = match iam
                .get_role_policy()
                .role_name(name)
                .policy_name(POLICY_NAME)
                .send()
                .await
            {
                Ok(_) => true,
                Err(e) if is_no_such_entity(&e) => false,
                Err(e) => return Err(fail("GetRolePolicy", error_message(&e), error_code(&e))),
            };
            Ok(Target {
                kind,
                name: role.role_name().to_owned(),
                id: role.role_id().to_owned(),
                path: role.path().to_owned(),
                tags,
                has_quarantine_policy,
                access_keys: Vec::new(),
                password_last_used: None,
            })
        }
        PrincipalKind::User => {
            let output = iam.get_user().user_name(name).send().await.map_err(|e| {
                if is_no_such_entity(&e) {
                    not_found("user", "--user")
                } else {
                    fail("GetUser", error_message(&e), error_code(&e))
                }
            })?;
            let user = output
                .user()
                .ok_or_else(|| fail("GetUser", "the answer holds no user".to_owned(), None))?;
            let tags = user.tags().iter().map(pair).collect();
            let has_quarantine_policy = match iam
                .get_user_policy()
                .user_name(name)
                .policy_name(POLICY_NAME)
                .send()
                .await
            {
                Ok(_) => true,
                Err(e) if is_no_such_entity(&e) => false,
                Err(e) => return Err(fail("GetUserPolicy", error_message(&e), error_code(&e))),
            };
            let mut access_keys = Vec::new();
            let listed = iam
                .list_access_keys()
                .user_name(name)
                .send()
                .await
                .map_err(|e| fail("ListAccessKeys", error_message(&e), error_code(&e)))?;
            for key in listed.access_key_metadata() {
                let (Some(id), Some(created)) = (key.access_key_id(), key.create_date()) else {
                    return Err(fail(
                        "ListAccessKeys",
                        "a key without AccessKeyId or CreateDate".to_owned(),
                        None,
                    ));
                };
                let used = iam
                    .get_access_key_last_used()
                    .access_key_id(id)
                    .send()
                    .await
                    .map_err(|e| fail("GetAccessKeyLastUsed", error_message(&e), error_code(&e)))?;
                let last_used = used.access_key_last_used().and_then(|u| u.last_used_date());
                access_keys.push(AccessKey {
                    id: id.to_owned(),
                    active: key.status() == Some(&StatusType::Active),
                    last_activity: to_utc(last_used.or(Some(created))).ok_or_else(|| {
                        fail(
                            "ListAccessKeys",
                            format!("key {id}: a date out of range"),
                            None,
                        )
                    })?,
                });
            }
            // PasswordLastUsed outlives a deleted password: it counts only while one exists.
            let has_password = match iam.get_login_profile().user_name(name).send().await {
                Ok(_) => true,
                Err(e) if is_no_such_entity(&e) => false,
                Err(e) => return Err(fail("GetLoginProfile", error_message(&e), error_code(&e))),
            };
            let password_last_used = if has_password {
                to_utc(user.password_last_used())
            } else {
                None
            };
            Ok(Target {
                kind,
                name: user.user_name().to_owned(),
                id: user.user_id().to_owned(),
                path: user.path().to_owned(),
                tags,
                has_quarantine_policy,
                access_keys,
                password_last_used,
            })
        }
    }
}

fn pair(tag: &Tag) -> (String, String) {
    (tag.key().to_owned(), tag.value().to_owned())
}

/// What Config rule `rule_name` says of `target`: its parameters (DescribeConfigRules'
/// InputParameters, parsed as the rule parses them) and its newest result for the principal
/// (GetComplianceDetailsByResource, every page).
pub async fn rule_view(
    config: &aws_sdk_config::Client,
    rule_name: &str,
    target: &Target,
) -> Result<RuleView, Error> {
    let fail = |operation: &str, message: String, code: Option<String>| {
        failed(&target.name, operation, message, code, &[])
    };
    let no_such_rule = || Error::InvalidOption {
        option: "--rule-name".to_owned(),
        value: rule_name.to_owned(),
        message: "Config has no rule of that name in this Region".to_owned(),
    };
    let rules = config
        .describe_config_rules()
        .config_rule_names(rule_name)
        .send()
        .await
        .map_err(|e| {
            if e.code() == Some("NoSuchConfigRuleException") {
                no_such_rule()
            } else {
                fail("DescribeConfigRules", error_message(&e), error_code(&e))
            }
        })?;
    let rule = rules
        .config_rules()
        .iter()
        .find(|r| r.config_rule_name() == Some(rule_name))
        .ok_or_else(no_such_rule)?;
    let owner = rule
        .source()
        .map(|s| s.owner().as_str().to_owned())
        .unwrap_or_default();
    if owner != "CUSTOM_LAMBDA" {
        // Another owner's parameters are not the rule's to parse: the guard refuses first.
        return Ok(RuleView {
            rule_name: rule_name.to_owned(),
            owner,
            allowlist: Default::default(),
            exempt_tag_key: None,
            max_days: 0,
            result: None,
        });
    }
    let parameters = rule.input_parameters().map(|p| Value::String(p.to_owned()));
    let (allowlist, exempt_tag_key, max_days, resource_type) = match target.kind {
        PrincipalKind::Role => {
            let p = RoleParameters::from_event_field(parameters.as_ref(), None)?;
            (
                p.allowlist,
                p.exempt_tag_key,
                p.max_days,
                ConfigResourceType::Role,
            )
        }
        PrincipalKind::User => {
            let p = UserParameters::from_event_field(parameters.as_ref(), None)?;
            (
                p.allowlist,
                p.exempt_tag_key,
                p.max_days,
                ConfigResourceType::User,
            )
        }
    };

    let mut newest: Option<(Option<aws_smithy_types::DateTime>, Compliance)> = None;
    let mut next_token: Option<String> = None;
    loop {
        let page = config
            .get_compliance_details_by_resource()
            .resource_type(resource_type.as_str())
            .resource_id(&target.id)
            .compliance_types(ComplianceType::NonCompliant)
            .compliance_types(ComplianceType::Compliant)
            .compliance_types(ComplianceType::NotApplicable)
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|e| {
                fail(
                    "GetComplianceDetailsByResource",
                    error_message(&e),
                    error_code(&e),
                )
            })?;
        for result in page.evaluation_results() {
            let of_rule = result
                .evaluation_result_identifier()
                .and_then(|i| i.evaluation_result_qualifier())
                .and_then(|q| q.config_rule_name())
                == Some(rule_name);
            let Some(compliance) = result
                .compliance_type()
                .and_then(|c| Compliance::parse(c.as_str()))
            else {
                continue;
            };
            let recorded = result.result_recorded_time().copied();
            if of_rule && newest.as_ref().is_none_or(|(at, _)| recorded > *at) {
                newest = Some((recorded, compliance));
            }
        }
        next_token = match page.next_token() {
            Some(token) if !token.is_empty() && Some(token) != next_token.as_deref() => {
                Some(token.to_owned())
            }
            _ => None,
        };
        if next_token.is_none() {
            break;
        }
    }
    Ok(RuleView {
        rule_name: rule_name.to_owned(),
        owner,
        allowlist,
        exempt_tag_key,
        max_days,
        result: newest.map(|(_, compliance)| compliance),
    })
}

/// Sends a built request; what a failure says, for [`apply`] to name with the call.
macro_rules! sent {
    ($request:expr) => {
        $request
            .send()
            .await
            .map(drop)
            .map_err(|e| (error_message(&e), error_code(&e)))
    };
}

/// Makes `calls` in order; stops at the first failure, naming the calls already made.
pub async fn apply(
    iam: &aws_sdk_iam::Client,
    principal: &str,
    calls: &[Call],
) -> Result<(), Error> {
    for (done, call) in calls.iter().enumerate() {
        let tags = |pairs: &[(String, String)]| -> Result<Vec<Tag>, Error> {
            pairs
                .iter()
                .map(|(k, v)| {
                    Tag::builder().key(k).value(v).build().map_err(|e| {
                        failed(
                            principal,
                            call.operation(),
                            e.to_string(),
                            None,
                            &calls[..done],
                        )
                    })
                })
                .collect()
        };
        let result = match call {
            Call::TagRole { role, tags: t } => {
                sent!(iam.tag_role().role_name(role).set_tags(Some(tags(t)?)))
            }
            Call::PutRolePolicy { role } => sent!(iam
                .put_role_policy()
                .role_name(role)
                .policy_name(POLICY_NAME)
                .policy_document(POLICY_DOCUMENT)),
            Call::DeleteRolePolicy { role } => sent!(iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(POLICY_NAME)),
            Call::UntagRole { role, keys } => sent!(iam
                .untag_role()
                .role_name(role)
                .set_tag_keys(Some(keys.clone()))),
            Call::TagUser { user, tags: t } => {
                sent!(iam.tag_user().user_name(user).set_tags(Some(tags(t)?)))
            }
            Call::PutUserPolicy { user } => sent!(iam
                .put_user_policy()
                .user_name(user)
                .policy_name(POLICY_NAME)
                .policy_document(POLICY_DOCUMENT)),
            Call::DeleteUserPolicy { user } => sent!(iam
                .delete_user_policy()
                .user_name(user)
                .policy_name(POLICY_NAME)),
            Call::UntagUser { user, keys } => sent!(iam
                .untag_user()
                .user_name(user)
                .set_tag_keys(Some(keys.clone()))),
            Call::UpdateAccessKey { user, key, active } => sent!(iam
                .update_access_key()
                .user_name(user)
                .access_key_id(key)
                .status(if *active {
                    StatusType::Active
                } else {
                    StatusType::Inactive
                })),
        };
        if let Err((message, code)) = result {
            return Err(failed(
                principal,
                call.operation(),
                message,
                code,
                &calls[..done],
            ));
        }
    }
    Ok(())
}
