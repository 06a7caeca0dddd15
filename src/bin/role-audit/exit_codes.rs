//! The process's exit codes, one name each.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    /// NON_COMPLIANT rows with --fail-on-non-compliant; `permissions`: unused services with
    /// --fail-on-unused.
    NonCompliant = 1,
    Error = 2,
    /// `status`: the rule is failing, stale or never evaluated.
    Unhealthy = 3,
    /// `quarantine` / `restore`: a guard refused; nothing was changed.
    Refused = 4,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}
