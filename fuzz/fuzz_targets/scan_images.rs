//! The scan combiner: several PDFs and JPEG/PNG photos made into one PDF.
//!
//! Input: files separated by `PART_SEPARATOR`.
//!
//! Invariants: the combined PDF loads again and has the page count it
//! reports: one page per photo plus every page of each PDF.
#![no_main]

use courrier_documents::images::{ScanFileKind, ScanLimits, ScanPart, combine_scan};
use courrier_documents::{IntakeLimits, PageTree, load_pdf};
use courrier_fuzz::{intake_limits, split_parts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = split_parts(data);
    let names: Vec<String> = (0..files.len()).map(|i| format!("page-{i}.bin")).collect();
    let parts: Vec<ScanPart<'_>> = files
        .iter()
        .zip(&names)
        .map(|(bytes, name)| ScanPart { name, bytes })
        .collect();
    let limits = ScanLimits {
        max_file_bytes: 1024 * 1024,
        max_total_bytes: 2 * 1024 * 1024,
        max_files: 8,
        // A 2000 × 2000 picture at most: enough for every branch, fast to decode.
        max_png_pixels: 4_000_000,
    };
    let combined = match combine_scan(&parts, &limits) {
        Ok(combined) => combined,
        Err(finding) => {
            assert!(finding.is_error());
            assert!(
                finding.code.starts_with("mail.scan_"),
                "code {}",
                finding.code
            );
            return;
        }
    };
    let mut expected = 0;
    for part in &parts {
        expected += match ScanFileKind::of(part.bytes) {
            Some(ScanFileKind::Pdf) => {
                let intake = IntakeLimits {
                    max_bytes: limits.max_file_bytes,
                    ..IntakeLimits::default()
                };
                let doc = load_pdf(part.bytes, &intake).expect("a combined PDF part loads");
                PageTree::new(&doc).page_count()
            }
            Some(_) => 1,
            None => panic!("an unknown file was combined"),
        };
    }
    assert_eq!(combined.pages, expected, "pages of the combined scan");
    let doc = load_pdf(&combined.pdf, &intake_limits()).expect("the combined scan loads");
    assert_eq!(
        PageTree::new(&doc).page_count(),
        combined.pages,
        "pages written"
    );
});
