//! Hostile spreadsheets are refused within bounded memory. This test binary
//! holds one test, so the process's peak resident memory is this test's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use courrier_merge::rows::{Limits, read_rows};

#[path = "it/hostile.rs"]
mod hostile;

/// The process's peak resident set, in bytes (Linux).
fn peak_resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

#[test]
fn hostile_spreadsheets_are_refused_within_bounded_memory() {
    let mut files = hostile::committed();
    // Larger than the committed one: 200 MiB of text in about 200 KB.
    files.push((
        "shared strings bomb, 200 MiB",
        hostile::shared_strings_bomb(200 * 1024 * 1024),
        "rows.too_large",
    ));
    // Making the files took memory: count from here (writing 5 to
    // clear_refs resets the peak to the current resident set).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = peak_resident_bytes();
    for (name, bytes, code) in files {
        let err = read_rows(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(err.code, code, "{name}");
    }
    // Reading any of them into a grid or copying its text would take
    // gigabytes; refusing them takes no more than the unpacked limit (64 MiB)
    // and some buffers.
    let peak = peak_resident_bytes();
    eprintln!(
        "peak resident memory while refusing: {} MiB above the start",
        peak.saturating_sub(before) / (1024 * 1024)
    );
    assert!(
        peak.saturating_sub(before) < 256 * 1024 * 1024,
        "peak resident memory {} MiB (before: {} MiB)",
        peak / (1024 * 1024),
        before / (1024 * 1024)
    );
}
