//! Composition: a letter with a letterhead under its pages and attachments
//! after them, written, read again and taken apart, as intake and the print
//! run do.
//!
//! Input: files separated by `PART_SEPARATOR`. The first byte of the first
//! part holds the choices (bit 0 duplex, bit 1 letterhead on every page,
//! bit 2 the second file is a letterhead); the rest of it is the letter,
//! the other files are the letterhead and the attachments. Each file must
//! pass the intake checks first, as in the application.
//!
//! Invariants: composing inputs that passed intake succeeds; the composed PDF
//! passes intake again with the letter's pages, a blank page where duplex
//! needs one, and the attachments' pages; taking it apart gives back the
//! letter's page count, the letterhead and each attachment's page count.
#![no_main]

use courrier_documents::compose::{PartKind, compose, decompose, load_part, needs_blank_page};
use courrier_documents::{PageTree, inspect_document, load_pdf, split};
use courrier_domain::letters::{BackgroundScope, Sides};
use courrier_fuzz::{intake_limits, split_parts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parts = split_parts(data);
    let Some((&flags, letter_bytes)) = parts[0].split_first() else {
        return;
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
    let limits = intake_limits();

    let Ok(letter) = load_pdf(letter_bytes, &limits) else {
        return;
    };
    let Ok(report) = inspect_document(&letter, &limits) else {
        return;
    };
    let rest = &parts[1..];
    let (background, attachment_bytes) = match rest.split_first() {
        Some((bg, atts)) if has_background => {
            match load_part(bg, &limits, PartKind::Background, "letterhead.pdf") {
                Ok(part) => (Some(part), atts),
                Err(_) => return,
            }
        }
        _ => (None, rest),
    };
    let mut attachments = Vec::new();
    for bytes in attachment_bytes {
        match load_part(bytes, &limits, PartKind::Attachment, "attachment.pdf") {
            Ok(part) => attachments.push(part),
            Err(_) => return,
        }
    }
    let attachment_docs: Vec<_> = attachments.iter().map(|p| &p.doc).collect();
    let attachment_pages: Vec<u32> = attachments.iter().map(|p| p.page_count).collect();

    let composed = compose(
        &letter,
        background.as_ref().map(|p| (&p.doc, scope)),
        &attachment_docs,
        sides,
    );
    let mut composed = match composed {
        Ok(doc) => doc,
        Err(finding) => panic!("inputs that passed intake could not be composed: {finding:?}"),
    };
    let bytes = split::to_bytes(&mut composed);
    let reloaded = load_pdf(&bytes, &limits).expect("the composed PDF loads");
    let composed_report = match inspect_document(&reloaded, &limits) {
        Ok(report) => report,
        Err(findings) => panic!("the composed PDF fails intake: {findings:?}"),
    };
    let blank = needs_blank_page(report.page_count, sides, !attachments.is_empty());
    let expected = report.page_count + u32::from(blank) + attachment_pages.iter().sum::<u32>();
    assert_eq!(composed_report.page_count, expected, "composed page count");

    let parts = decompose(&reloaded, report.page_count, &attachment_pages, sides)
        .expect("a composed letter comes apart");
    assert_eq!(
        PageTree::new(&parts.letter).page_count() as u32,
        report.page_count
    );
    assert_eq!(
        parts.background.is_some(),
        background.is_some(),
        "the letterhead"
    );
    assert_eq!(parts.attachments.len(), attachment_pages.len());
    for (doc, &pages) in parts.attachments.iter().zip(&attachment_pages) {
        assert_eq!(
            PageTree::new(doc).page_count() as u32,
            pages,
            "an attachment's pages"
        );
    }
});
