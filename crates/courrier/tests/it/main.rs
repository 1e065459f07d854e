//! The integration tests of the `courrier` binary, one test binary: a module
//! per area, all sharing `support` (an in-process server on a random port,
//! `courrier` child processes, an SMTP server; `on_both_backends!` from
//! `courrier-testkit`). `cargo test -p courrier --test it authz_matrix::` runs one area.

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

mod authz_matrix;
mod hardening;
mod hostile_http;
mod intake_day;
mod letters;
mod mailbox;
mod platform_reviews;
mod render_http;
mod reports_http;
mod runs;
mod server;
mod signup;
mod tariffs;
mod webhooks_http;
