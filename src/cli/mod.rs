//! What role-audit adds to the core: exported snapshots, rendering rows for people and
//! pipelines, and hints for the person at the terminal.

pub mod hints;
pub mod output;
pub mod permissions;
pub mod quarantine;
pub mod report;
pub mod snapshot;
