//! The pure core: principals, rule parameters, events, evaluation, recorded results, reports,
//! the rule's health and the deadline budget. Everything here takes what it needs (`now`
//! included) as arguments and does no I/O.

pub mod account;
pub mod evaluate;
pub mod event;
pub mod params;
pub mod report;
pub mod role;
pub mod rule_status;
