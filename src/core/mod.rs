//! The pure core: principals, rule parameters, settings, events, evaluation, recorded results,
//! the rule's health and the deadline budget. Everything here takes what it needs (`now`
//! included) as arguments and does no I/O.

pub mod access;
pub mod account;
pub mod credential_report;
pub mod deadline;
pub mod digest;
pub mod evaluate;
pub mod event;
pub mod params;
pub mod privilege;
pub mod publish;
pub mod quarantine;
pub mod results;
pub mod role;
pub mod rule_status;
pub mod settings;
pub mod user;
