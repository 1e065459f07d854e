//! The integration tests of `courrier-documents`, one test binary: a module
//! per area, sharing `support` (test PDFs built in code). The inputs fuzzing
//! found stay in `tests/fuzz/`. `cargo test -p courrier-documents --test it hostile::` runs one area.

// Test code may fail loudly. clippy.toml already allows this inside #[test]
// functions; the shared helpers live outside them, so say it for the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

mod address_roundtrip;
mod compose;
mod fuzz_regressions;
mod hostile;
mod inspect;
mod robustness;
mod window;
