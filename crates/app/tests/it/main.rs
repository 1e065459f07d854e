//! The integration tests of `courrier-app`, one test binary: a module per
//! area, all sharing `support` (one database, blob directory, master key and
//! manual clock per test; `on_both_backends!` from `courrier-testkit`).
//! `cargo test -p courrier-app --test it mailbox::` runs one area.

// Test code may fail loudly. clippy.toml already allows this inside #[test]
// functions; the shared helpers live outside them, so say it for the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[macro_use]
extern crate courrier_testkit;

mod support;

mod app;
mod clamd;
mod composition;
mod intake_day;
mod leases;
mod mailbox;
mod ocr;
mod render;
mod reports;
mod runs;
mod signup;
mod tariffs;
mod webhooks;
