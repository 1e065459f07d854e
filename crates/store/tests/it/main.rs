//! The integration tests of `courrier-store`, one test binary: the storage
//! conformance suite (`conformance::`, every test on SQLite and on
//! PostgreSQL) and the blob stores (`blob_stores::`).

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

mod blob_stores;
mod conformance;
