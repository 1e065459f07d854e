//! PDF intake: `load_pdf` + `inspect_document`, then the address windows of
//! the first pages, as a bulk run reads them.
//!
//! Invariants: an accepted PDF has as many pages as its page tree has leaves,
//! each numbered in order, A4 portrait once rotated, and only warnings; a
//! refused one has at least one error, errors before warnings. Window lines
//! lie inside the window, are not blank and come top to bottom.
#![no_main]

use courrier_documents::{
    CountryCode, PageTree, PostalAddress, TextReader, WindowStandard, inspect_document, load_pdf,
};
use courrier_fuzz::{MAX_PAGES_READ, intake_limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = intake_limits();
    let doc = match load_pdf(data, &limits) {
        Ok(doc) => doc,
        Err(finding) => {
            assert!(
                finding.is_error(),
                "a refusal to load is an error: {finding:?}"
            );
            return;
        }
    };
    match inspect_document(&doc, &limits) {
        Ok(report) => {
            let leaves = PageTree::new(&doc).page_count();
            assert_eq!(
                report.page_count as usize, leaves,
                "page count vs page tree leaves"
            );
            assert_eq!(report.pages.len(), leaves, "one PageInfo per page");
            for (i, page) in report.pages.iter().enumerate() {
                assert_eq!(page.number as usize, i + 1, "pages numbered in order");
                assert!(
                    matches!(page.rotate, 0 | 90 | 180 | 270),
                    "rotate {}",
                    page.rotate
                );
                assert!(
                    (page.width_mm - 210.0).abs() < 1.0 && (page.height_mm - 297.0).abs() < 1.0,
                    "an accepted page is A4 portrait: {page:?}"
                );
            }
            assert!(
                report.warnings.iter().all(|w| !w.is_error()),
                "warnings only"
            );
        }
        Err(findings) => {
            assert!(
                findings.first().is_some_and(|f| f.is_error()),
                "errors first: {findings:?}"
            );
            let first_warning = findings.iter().position(|f| !f.is_error());
            if let Some(at) = first_warning {
                assert!(
                    findings[at..].iter().all(|f| !f.is_error()),
                    "errors before warnings"
                );
            }
        }
    }

    let mut reader = TextReader::new(&doc).with_max_content_bytes(limits.max_decompressed_bytes);
    for index in 0..reader.page_count().min(MAX_PAGES_READ) {
        let Ok(text) = reader.page_text(index) else {
            continue;
        };
        assert_eq!(text.page as usize, index + 1);
        for standard in WindowStandard::ALL {
            let _ = text.clear_zone_is_empty(standard);
            let Ok(window) = text.window(standard) else {
                continue;
            };
            let rect = standard.zone().to_rect(&text.geometry);
            let slack = 0.5;
            for line in &window.lines {
                assert!(!line.text.trim().is_empty(), "a blank window line");
                assert!(
                    line.baseline >= rect.bottom - slack && line.baseline <= rect.top + slack,
                    "line {line:?} outside the window {rect:?}"
                );
                assert!(
                    line.x >= rect.left - slack && line.x <= rect.right + slack,
                    "line {line:?} outside the window {rect:?}"
                );
            }
            assert!(
                window
                    .lines
                    .windows(2)
                    .all(|w| w[0].baseline >= w[1].baseline),
                "window lines top to bottom: {:?}",
                window.lines
            );
            let lines = window.address_lines();
            if let Ok(address) =
                PostalAddress::from_window_lines(&lines, CountryCode::parse("CH").unwrap())
            {
                assert!(!address.name_lines().is_empty());
                assert!(!address.locality().is_empty());
            }
        }
    }
});
