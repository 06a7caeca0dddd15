//! An AWS Config custom rule that reports IAM roles nobody has used for a while.
//!
//! The core ([`params`], [`evaluate`], [`event`], [`role`], [`rule_status`]) is pure: no SDK calls, no clock, no
//! logging. The adapters ([`iam`], [`config_rule`], [`alarm`]) own the SDK calls, and [`handler`] is the
//! shell that ties them together for one invocation.

pub mod account;
pub mod alarm;
pub mod aws;
pub mod config_rule;
pub mod error;
pub mod evaluate;
pub mod event;
pub mod handler;
pub mod iam;
pub mod output;
pub mod params;
pub mod report;
pub mod role;
pub mod rule_status;
pub mod snapshot;

pub use error::Error;
