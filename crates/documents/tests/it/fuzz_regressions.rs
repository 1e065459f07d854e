//! Inputs found by the fuzz targets (`fuzz/`), kept as tests: each failed an
//! invariant of its target before the fix named in its test.
use courrier_documents::compose::{PartKind, compose, decompose, load_part, needs_blank_page};
use courrier_documents::split::to_bytes;
use courrier_documents::{IntakeLimits, PageTree, inspect_document, load_pdf};
use courrier_domain::letters::{BackgroundScope, Sides};

/// The separator of multi-file fuzz inputs (`courrier_fuzz::PART_SEPARATOR`).
const PART_SEPARATOR: &[u8] = b"\n%%COURRIER-PART%%\n";

/// At most this many parts are used (`courrier_fuzz::MAX_PARTS`).
const MAX_PARTS: usize = 6;

fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < MAX_PARTS {
        let Some(at) = rest
            .windows(PART_SEPARATOR.len())
            .position(|w| w == PART_SEPARATOR)
        else {
            break;
        };
        parts.push(&rest[..at]);
        rest = &rest[at + PART_SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

/// The limits of the fuzz targets (`courrier_fuzz::intake_limits`).
fn fuzz_limits() -> IntakeLimits {
    IntakeLimits {
        max_decompressed_bytes: 4 * 1024 * 1024,
        ..IntakeLimits::default()
    }
}

/// Exactly what the `compose` target (`fuzz/fuzz_targets/compose.rs`)
/// asserts: byte 1 holds the choices (bit 0 duplex, bit 1 letterhead on
/// every page, bit 2 the second file is a letterhead); inputs that pass
/// intake compose, the composed PDF written and read again passes intake
/// with the expected pages, and comes apart. Returns whether the letter and
/// its parts passed intake (and so were composed).
fn compose_as_the_fuzz_target_does(data: &[u8]) -> bool {
    let parts = split_parts(data);
    let Some((&flags, letter_bytes)) = parts[0].split_first() else {
        return false;
    };
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
    let has_background = flags & 4 == 4 && parts.len() > 1;
    let limits = fuzz_limits();
    let Ok(letter) = load_pdf(letter_bytes, &limits) else {
        return false;
    };
    let Ok(report) = inspect_document(&letter, &limits) else {
        return false;
    };
    let rest = &parts[1..];
    let (background, attachment_bytes) = match rest.split_first() {
        Some((bg, atts)) if has_background => {
            match load_part(bg, &limits, PartKind::Background, "letterhead.pdf") {
                Ok(part) => (Some(part), atts),
                Err(_) => return false,
            }
        }
        _ => (None, rest),
    };
    let mut attachments = Vec::new();
    for bytes in attachment_bytes {
        match load_part(bytes, &limits, PartKind::Attachment, "attachment.pdf") {
            Ok(part) => attachments.push(part),
            Err(_) => return false,
        }
    }
    let attachment_docs: Vec<_> = attachments.iter().map(|p| &p.doc).collect();
    let attachment_pages: Vec<u32> = attachments.iter().map(|p| p.page_count).collect();
    let mut composed = compose(
        &letter,
        background.as_ref().map(|p| (&p.doc, scope)),
        &attachment_docs,
        sides,
    )
    .unwrap_or_else(|finding| {
        panic!("inputs that passed intake could not be composed: {finding:?}")
    });
    let bytes = to_bytes(&mut composed);
    let reloaded = load_pdf(&bytes, &limits).expect("the composed PDF loads");
    let composed_report = inspect_document(&reloaded, &limits)
        .unwrap_or_else(|findings| panic!("the composed PDF fails intake: {findings:?}"));
    let blank = needs_blank_page(report.page_count, sides, !attachments.is_empty());
    let expected = report.page_count + u32::from(blank) + attachment_pages.iter().sum::<u32>();
    assert_eq!(composed_report.page_count, expected, "composed page count");
    let apart = decompose(&reloaded, report.page_count, &attachment_pages, sides)
        .expect("a composed letter comes apart");
    assert_eq!(
        PageTree::new(&apart.letter).page_count() as u32,
        report.page_count
    );
    assert_eq!(
        apart.background.is_some(),
        background.is_some(),
        "the letterhead"
    );
    assert_eq!(apart.attachments.len(), attachment_pages.len());
    for (doc, &pages) in apart.attachments.iter().zip(&attachment_pages) {
        assert_eq!(
            PageTree::new(doc).page_count() as u32,
            pages,
            "an attachment's pages"
        );
    }
    true
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
    compose_round_trip(include_bytes!("../fuzz/compose-resources-stream.bin"));
}

/// A damaged letter whose page tree lists an object typed /XRef: readers
/// skip it, but lopdf's writer leaves it out, so the composed letter had a
/// dangling kid that read as a third page without a size and failed intake.
/// Such kids are now dropped, and pages written as /Page (compose, split).
#[test]
fn compose_a_letter_whose_page_tree_lists_an_xref_object() {
    compose_round_trip(include_bytes!("../fuzz/compose-page-typed-xref.bin"));
}

/// A scanned PDF whose page tree lists a page that cannot be read: the
/// combined scan had one page fewer than the file, without a word. It is now
/// refused with the number of pages that could not be read.
#[test]
fn a_scan_pdf_with_an_unreadable_page_is_refused_not_shortened() {
    use courrier_documents::images::{ScanLimits, ScanPart, combine_scan};
    let bytes = include_bytes!("../fuzz/scan-unreadable-page.bin");
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
    compose_round_trip(include_bytes!("../fuzz/compose-page-is-a-stream.bin"));
}

/// The letter's bytes of a `compose` input (its first part, without the
/// flags byte), as intake sees them.
fn intake_of_letter(data: &[u8]) -> Result<u32, Vec<courrier_documents::Finding>> {
    let letter = &split_parts(data)[0][1..];
    let doc = load_pdf(letter, &fuzz_limits()).map_err(|f| vec![f])?;
    inspect_document(&doc, &fuzz_limits()).map(|report| report.page_count)
}

/// A damaged letter holding two page trees (object 1 twice; the repaired
/// file keeps the second), whose /Kids read `[5 0 R 7 0 1 9 0 R]` with
/// /Count 3: one page, three integers and a reference to a missing object.
/// lopdf's page walk took it for a letter, and its composed copy, written
/// and read again, had a page 2 without MediaBox (`pdf.unreadable`). The
/// page walk of `page_tree` now refuses the letter at intake: a /Kids entry
/// that is not a reference is read differently by each reader.
#[test]
fn compose_a_letter_whose_kids_hold_a_number_is_refused_at_intake() {
    let input = include_bytes!("../fuzz/compose-kids-hold-a-number.bin");
    let findings = intake_of_letter(input).unwrap_err();
    assert_eq!(findings[0].code, "pdf.page_tree_invalid", "{findings:?}");
    assert!(!compose_as_the_fuzz_target_does(input));
}

/// A damaged letter whose catalog's /Pages is `0 0 R`, found by lopdf's
/// repair as a `0 0 obj` page: it passed intake with one page, but object 0
/// is never written as an object (entry 0 of a cross-reference table is
/// always free), so the composed copy read again had no page tree
/// (`pdf.no_pages`). `load_pdf` now drops object 0, as every reader going
/// through the cross-reference table does, so the letter is refused at
/// intake with `pdf.no_pages`, like its composed copy would be.
#[test]
fn compose_a_letter_whose_page_tree_is_object_0_is_refused_at_intake() {
    let input = include_bytes!("../fuzz/compose-object-zero.bin");
    let findings = intake_of_letter(input).unwrap_err();
    assert_eq!(findings[0].code, "pdf.no_pages", "{findings:?}");
    assert!(!compose_as_the_fuzz_target_does(input));
}

/// A damaged letter whose /Kids list its cross-reference stream (`7 0 R`,
/// a stream typed /XRef) between its two pages: the page walk skips it, as
/// readers do, but the composer's clean-up of such kids looked at
/// dictionaries only, so the kid stayed, lopdf's writer left the stream out
/// and the composed letter read again had a page 2 without MediaBox
/// (found in the 10-minute run after the fixes above). Kids are now told
/// apart as the page walk does, streams included.
#[test]
fn compose_a_letter_whose_page_tree_lists_its_xref_stream() {
    let input = include_bytes!("../fuzz/compose-kid-is-an-xref-stream.bin");
    assert_eq!(intake_of_letter(input).unwrap(), 2);
    assert!(compose_as_the_fuzz_target_does(input));
}

/// A damaged letter whose page tree root is a stream (the page walk reads
/// its dictionary): it composed, but the composed letter did not come apart
/// again, as the letterhead's page could not be added to a stream ("the page
/// tree root is not a dictionary"). The root is now written as a dictionary
/// when pages are added to it.
#[test]
fn compose_a_letter_whose_page_tree_root_is_a_stream() {
    let input = include_bytes!("../fuzz/compose-page-tree-root-is-a-stream.bin");
    assert!(compose_as_the_fuzz_target_does(input));
}
