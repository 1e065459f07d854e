//! Inputs found by the fuzz targets (`fuzz/`), kept as tests: each failed an
//! invariant of its target before the fix named in its test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use courrier_documents::compose::{PartKind, compose, decompose, load_part};
use courrier_documents::split::to_bytes;
use courrier_documents::{IntakeLimits, PageTree, inspect_document, load_pdf};
use courrier_domain::letters::{BackgroundScope, Sides};

/// The separator of multi-file fuzz inputs (`courrier_fuzz::PART_SEPARATOR`).
const PART_SEPARATOR: &[u8] = b"\n%%COURRIER-PART%%\n";

fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest
        .windows(PART_SEPARATOR.len())
        .position(|w| w == PART_SEPARATOR)
    {
        parts.push(&rest[..at]);
        rest = &rest[at + PART_SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

/// The `compose` target's check: a letter and letterhead that pass intake
/// compose, the result passes intake again and comes apart.
fn compose_round_trip(input: &[u8]) {
    let parts = split_parts(input);
    let (&flags, letter) = parts[0].split_first().unwrap();
    let sides = if flags & 1 == 1 {
        Sides::Duplex
    } else {
        Sides::Simplex
    };
    let scope = if flags & 2 == 2 {
        BackgroundScope::AllPages
    } else {
        BackgroundScope::FirstPage
    };
    let limits = IntakeLimits::default();
    let letter = load_pdf(letter, &limits).unwrap();
    let report = match inspect_document(&letter, &limits) {
        Ok(report) => report,
        // A letter refused at intake is never composed (the target's rule);
        // the page walk now refuses some damaged trees before composing.
        Err(findings) => {
            assert!(
                findings.iter().any(|f| f.code.starts_with("pdf.")),
                "{findings:?}"
            );
            return;
        }
    };
    let background = load_part(parts[1], &limits, PartKind::Background, "").unwrap();
    let mut composed = compose(&letter, Some((&background.doc, scope)), &[], sides).unwrap();
    let reloaded = load_pdf(&to_bytes(&mut composed), &limits).unwrap();
    let again = inspect_document(&reloaded, &limits).unwrap();
    assert_eq!(again.page_count, report.page_count);
    let apart = decompose(&reloaded, report.page_count, &[], sides).unwrap();
    assert!(apart.background.is_some(), "the letterhead is found again");
    assert_eq!(
        PageTree::new(&apart.letter).page_count() as u32,
        report.page_count
    );
}

/// A damaged letterhead whose page /Resources is a stream: the form laid
/// under the letter got that stream, resolved, inside its dictionary, which
/// no reader can parse, so the composed letter lost its letterhead when read
/// again. Fixed in `objects::inherited` (a stream is no page attribute).
#[test]
fn compose_with_a_letterhead_whose_resources_are_a_stream() {
    compose_round_trip(include_bytes!("fuzz/compose-resources-stream.bin"));
}

/// A damaged letter whose page tree lists an object typed /XRef: readers
/// skip it, but lopdf's writer leaves it out, so the composed letter had a
/// dangling kid that read as a third page without a size and failed intake.
/// Such kids are now dropped, and pages written as /Page (compose, split).
#[test]
fn compose_a_letter_whose_page_tree_lists_an_xref_object() {
    compose_round_trip(include_bytes!("fuzz/compose-page-typed-xref.bin"));
}

/// A scanned PDF whose page tree lists a page that cannot be read: the
/// combined scan had one page fewer than the file, without a word. It is now
/// refused with the number of pages that could not be read.
#[test]
fn a_scan_pdf_with_an_unreadable_page_is_refused_not_shortened() {
    use courrier_documents::images::{ScanLimits, ScanPart, combine_scan};
    let bytes = include_bytes!("fuzz/scan-unreadable-page.bin");
    let parts = [ScanPart {
        name: "scan.pdf",
        bytes,
    }];
    let err = combine_scan(&parts, &ScanLimits::default()).unwrap_err();
    assert_eq!(err.code, "mail.scan_file_invalid");
    // Refused, naming the file, whichever check of its pages meets the
    // damage first (the page walk or the page count).
    assert!(err.message.contains("scan.pdf"), "{}", err.message);
}

/// A damaged letter whose page object is a stream: intake reads its
/// dictionary, but the letterhead could not be laid under it ("a letter
/// page is damaged"). The page is now written as a dictionary.
#[test]
fn compose_a_letter_whose_page_is_a_stream() {
    compose_round_trip(include_bytes!("fuzz/compose-page-is-a-stream.bin"));
}
