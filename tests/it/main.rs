//! The integration tests, one module per concern, in one test binary: each binary links the
//! whole AWS SDK, so one instead of nine saves that link time on every build.
//! Run one module with `cargo test --test it sdk::`.

mod common;

mod access_advisor;
mod bad_input;
mod cli;
mod digest_sdk;
mod fuzz_decode;
mod organization;
mod permissions_cli;
mod privilege_sdk;
mod properties;
mod readme_layout;
mod role_audit_config;
mod rule_status;
mod sdk;
mod table_snapshots;
mod users_sdk;
