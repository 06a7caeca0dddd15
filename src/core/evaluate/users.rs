//! The users rule, pure: users + credential report + parameters + `now` in, one evaluation per
//! user out.

use chrono::{DateTime, Utc};

use crate::core::evaluate::Evaluation;
use crate::core::params::UserParameters;
use crate::core::results::ResourceType;
use crate::core::user::UsersAccount;

/// The Config resource types the users evaluator reports on.
pub const RESOURCE_TYPES: &[ResourceType] = &[ResourceType::IamUser];

/// Evaluates every user IAM listed, in its order.
pub fn evaluate(
    account: &UsersAccount,
    params: &UserParameters,
    now: DateTime<Utc>,
) -> Vec<Evaluation> {
    let _ = (account, params, now);
    unimplemented!("users evaluator")
}
