//! AWS Config custom rules that report unused IAM access.
//!
//! The folders show the layering: [`core`] is pure (no SDK, no clock, no I/O, no logging);
//! [`aws`] holds the adapters that own the SDK calls; [`lambda`] is the shell one Config
//! invocation runs through; [`cli`] is what role-audit adds (snapshot files, tables, hints).
//! Imports run downwards only: `core` imports nothing of the others.

pub mod aws;
pub mod cli;
pub mod core;
pub mod error;
pub mod lambda;

pub use error::Error;
