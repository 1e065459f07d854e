//! The text reader: positioned text of the first pages of any loadable PDF.
//!
//! Invariants: each page's text says its page number; every run is placed
//! at finite coordinates with a finite size and holds text; reading a page
//! with the fonts another page left in the reader's cache gives the same
//! runs as a fresh reader.
#![no_main]

use courrier_documents::{TextReader, load_pdf};
use courrier_fuzz::{MAX_PAGES_READ, intake_limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = intake_limits();
    let Ok(doc) = load_pdf(data, &limits) else {
        return;
    };
    let bound = limits.max_decompressed_bytes;
    let mut shared = TextReader::new(&doc).with_max_content_bytes(bound);
    let pages = shared.page_count().min(MAX_PAGES_READ);
    // Last page first, so the cache holds other pages' fonts when page 0 is read.
    for index in (0..pages).rev() {
        let cached = shared.page_text(index);
        let fresh = TextReader::new(&doc)
            .with_max_content_bytes(bound)
            .page_text(index);
        match (&cached, &fresh) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.page as usize, index + 1);
                assert_eq!(
                    a.runs.len(),
                    b.runs.len(),
                    "the font cache changed page {index}"
                );
                for (x, y) in a.runs.iter().zip(&b.runs) {
                    assert_eq!(x.text, y.text, "the font cache changed page {index}");
                }
                for run in &a.runs {
                    assert!(
                        [run.x, run.y, run.end_x, run.end_y, run.font_size]
                            .iter()
                            .all(|v| v.is_finite()),
                        "a run at non-finite coordinates: {run:?}"
                    );
                }
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.code, b.code);
                assert!(a.is_error());
            }
            _ => panic!("page {index}: cached {cached:?} but fresh {fresh:?}"),
        }
    }
    // Out of range is a finding, never a panic.
    let count = shared.page_count();
    assert!(shared.page_text(count).is_err());
});
