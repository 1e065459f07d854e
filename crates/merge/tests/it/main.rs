//! The integration tests of `courrier-merge`, one test binary: a module per
//! area; `hostile` makes the hostile spreadsheets (shared with the separate
//! `rows_memory` binary, which measures its own process's peak memory).
//! `cargo test -p courrier-merge --test it rows::` runs one area.

// Test code may fail loudly. clippy.toml already allows this inside #[test]
// functions; the shared helpers live outside them, so say it for the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod hostile;

#[cfg(feature = "render")]
mod letters;
mod rows;
