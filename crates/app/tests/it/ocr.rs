//! The OCR pipeline against the real Tesseract. Every input is made here:
//! sample letters rendered to PDF by `courrier_documents::sample` (Helvetica
//! 11 pt, an address in Lausanne with accents), drawn by
//! `courrier_app::raster` when an image is needed. Nothing is downloaded.
//!
//! Without Tesseract (or one of its languages) the tests are skipped with a
//! message, except with `CI=true`, where they fail (`apt-get install
//! tesseract-ocr tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-ita
//! tesseract-ocr-eng`).

use courrier_app::ocr::{OcrConfig, OcrEngine, OcrError, PageOcr};
use courrier_documents::sample::{SampleLetter, letters_pdf};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// One test at a time: they share the two cores, and the check that no
/// temporary folder is left behind must not see another test's folder.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The engine, or `None` (test skipped) when OCR is not installed outside CI.
async fn engine() -> Option<OcrEngine> {
    let engine = OcrEngine::new(OcrConfig::default()).unwrap();
    match engine.check().await {
        Ok(()) => Some(engine),
        Err(e) if ci() => panic!("CI=true and OCR is not installed: {e}"),
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            None
        }
    }
}

fn letters(references: &[(&str, u32)]) -> Vec<u8> {
    let letters: Vec<SampleLetter> = references
        .iter()
        .map(|(reference, pages)| SampleLetter {
            address: vec![
                "Société Générale Sàrl".into(),
                "Madame Hélène Müller".into(),
                "Avenue de la Gare 12".into(),
                "1003 Lausanne".into(),
            ],
            pages: *pages,
            reference: reference.to_string(),
        })
        .collect();
    letters_pdf(&letters, &["Courrier SA", "Rue du Marché 3", "1204 Genève"])
}

/// Page 1 drawn in grey at 300 dpi, as a scanner would give it.
fn drawn(pdf: &[u8]) -> courrier_app::raster::GreyPage {
    courrier_app::raster::render_grey(pdf, 1, 300.0).unwrap()
}

/// Page 1 as a grey JPEG, by poppler's `pdftoppm` when it is installed (no
/// JPEG encoder is linked); `None` otherwise.
fn jpeg_by_pdftoppm(pdf: &[u8], dir: &Path) -> Option<Vec<u8>> {
    let input = dir.join("in.pdf");
    std::fs::write(&input, pdf).unwrap();
    let base = dir.join("out");
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            "300",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-jpeg",
            "-gray",
        ])
        .arg(&input)
        .arg(&base)
        .status()
        .ok()?;
    assert!(status.success());
    std::fs::read(base.with_extension("jpg")).ok()
}

/// The OCR temporary folders that exist now.
fn ocr_temp_dirs() -> BTreeSet<String> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("courrier-ocr-"))
        .collect()
}

fn assert_no_new_temp_dirs(before: &BTreeSet<String>) {
    let left: Vec<_> = ocr_temp_dirs().difference(before).cloned().collect();
    assert!(left.is_empty(), "temporary folders left behind: {left:?}");
}

fn assert_letter_page(page: &PageOcr) {
    let text = page.text.to_lowercase();
    for word in ["invoice", "lausanne", "société", "genève", "dear customer"] {
        assert!(text.contains(word), "{word:?} not recognised in {text:?}");
    }
    let confidence = page.mean_confidence.unwrap();
    assert!(confidence > 70.0, "confidence {confidence}");
}

#[tokio::test]
async fn a_scanned_pdf_is_read_page_by_page_with_progress() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let before = ocr_temp_dirs();
    // 4 pages: letter A (1 page), letter B (2 pages), letter C (1 page).
    let pdf = letters(&[("A-1001", 1), ("B-2002", 2), ("C-3003", 1)]);
    let calls = Mutex::new(Vec::new());
    let pages = engine
        .ocr_pdf(&pdf, |done, total| {
            calls.lock().unwrap().push((done, total))
        })
        .await
        .unwrap();

    assert_eq!(
        pages.iter().map(|p| p.page).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_letter_page(&pages[0]);
    assert!(pages[0].text.contains("A-1001"), "{}", pages[0].text);
    assert_letter_page(&pages[1]);
    assert!(pages[1].text.contains("B-2002"), "{}", pages[1].text);
    // Page 2 of letter B: the continuation text and its footer only.
    let continued = pages[2].text.to_lowercase();
    assert!(continued.contains("details of the services"), "{continued}");
    assert!(continued.contains("page 2/2"), "{continued}");
    assert!(!continued.contains("invoice"), "{continued}");
    assert_letter_page(&pages[3]);
    // Paragraphs stay apart, lines within one are joined.
    assert!(pages[0].text.contains("\n\n"), "{:?}", pages[0].text);
    assert!(
        !pages[0].text.contains("\n\n\n") && !pages[0].text.contains("  "),
        "{:?}",
        pages[0].text
    );

    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.first(), Some(&(0, 4)));
    assert_eq!(calls.last(), Some(&(4, 4)));
    assert_eq!(calls.len(), 5);
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
    assert_no_new_temp_dirs(&before);
}

#[tokio::test]
async fn images_are_read_png_jpeg_and_multi_page_tiff() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let before = ocr_temp_dirs();
    let dir = tempfile::tempdir().unwrap();
    let pdf = letters(&[("D-4004", 1)]);

    let page = drawn(&pdf);
    let png = page.to_png().unwrap();
    let pages = engine.ocr_image(&png).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].page, 1);
    assert_letter_page(&pages[0]);

    match jpeg_by_pdftoppm(&pdf, dir.path()) {
        Some(jpeg) => {
            let pages = engine.ocr_image(&jpeg).await.unwrap();
            assert_letter_page(&pages[0]);
        }
        None => eprintln!("JPEG not checked: pdftoppm is not installed"),
    }

    // A two-page TIFF (as a document scanner makes): the page, then a blank page.
    let blank = vec![255u8; page.pixels.len()];
    let tiff = gray_tiff(page.width, page.height, &[&page.pixels, &blank]);
    let pages = engine.ocr_image(&tiff).await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_letter_page(&pages[0]);
    assert_eq!(pages[1].page, 2);
    assert_eq!(pages[1].text, "");
    assert_eq!(pages[1].mean_confidence, None);
    assert_no_new_temp_dirs(&before);
}

#[tokio::test]
async fn bad_input_gives_clean_errors_and_the_engine_goes_on() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let before = ocr_temp_dirs();
    let progress = |_: usize, _: usize| {};

    let not_pdf = engine.ocr_pdf(b"hello, this is not a PDF", progress).await;
    assert!(
        matches!(not_pdf, Err(OcrError::InvalidPdf(_))),
        "{not_pdf:?}"
    );
    let garbage =
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ngarbage\xff\xfe".repeat(20);
    let broken = engine.ocr_pdf(&garbage, progress).await;
    assert!(matches!(broken, Err(OcrError::InvalidPdf(_))), "{broken:?}");
    let mut truncated = letters(&[("E-5005", 1)]);
    truncated.truncate(truncated.len() / 3);
    let truncated = engine.ocr_pdf(&truncated, progress).await;
    assert!(truncated.is_err(), "{truncated:?}");

    let not_image = engine.ocr_image(b"GIF89a....").await;
    assert!(
        matches!(not_image, Err(OcrError::UnsupportedImage(_))),
        "{not_image:?}"
    );
    // A PNG signature followed by garbage: Tesseract cannot read it, the
    // error names the page, and its process is replaced.
    let mut bad_png = b"\x89PNG\r\n\x1a\n".to_vec();
    bad_png.extend_from_slice(&[0x42; 300]);
    match engine.ocr_image(&bad_png).await {
        Err(OcrError::Page { page: 1, reason }) => assert!(!reason.is_empty()),
        other => panic!("expected a page error, got {other:?}"),
    }
    let truncated_tiff = engine.ocr_image(b"II*\0\x08\0\0\0\x05\0").await;
    assert!(
        matches!(truncated_tiff, Err(OcrError::UnsupportedImage(_))),
        "{truncated_tiff:?}"
    );

    let pages = engine
        .ocr_pdf(&letters(&[("F-6006", 1)]), progress)
        .await
        .unwrap();
    assert_letter_page(&pages[0]);
    assert_no_new_temp_dirs(&before);
}

#[tokio::test]
async fn tesseract_processes_are_reused_bounded_and_stopped_when_idle() {
    let _serial = SERIAL.lock().await;
    let Some(_) = engine().await else { return };
    let engine = OcrEngine::new(OcrConfig {
        max_parallel: 2,
        idle_timeout: std::time::Duration::from_millis(1500),
        ..OcrConfig::default()
    })
    .unwrap();
    let pdf = letters(&[("H-8008", 1), ("I-9009", 2), ("J-1010", 1), ("K-1111", 1)]);
    // Two calls at once share the engine's two permits.
    let (a, b) = tokio::join!(
        engine.ocr_pdf(&pdf, |_, _| {}),
        engine.ocr_pdf(&pdf, |_, _| {})
    );
    assert_eq!(a.unwrap().len(), 5);
    assert_eq!(b.unwrap(), engine.ocr_pdf(&pdf, |_, _| {}).await.unwrap());
    let idle = engine.idle_workers();
    assert!((1..=2).contains(&idle), "{idle} idle workers");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(engine.idle_workers(), 0);
}

#[tokio::test]
async fn missing_tesseract_or_language_is_unavailable_with_the_install_hint() {
    let _serial = SERIAL.lock().await;
    let pdf = letters(&[("G-7007", 1)]);
    let missing = OcrEngine::new(OcrConfig {
        tesseract: "/nonexistent/tesseract".into(),
        ..OcrConfig::default()
    })
    .unwrap();
    match missing.check().await {
        Err(OcrError::Unavailable(message)) => {
            assert!(
                message.contains("apt-get install tesseract-ocr"),
                "{message}"
            )
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    match missing.ocr_pdf(&pdf, |_, _| {}).await {
        Err(OcrError::Unavailable(message)) => assert!(message.contains("apt-get install")),
        other => panic!("expected Unavailable, got {other:?}"),
    }

    let Some(_) = engine().await else { return };
    let no_language = OcrEngine::new(OcrConfig {
        languages: vec!["fra".into(), "xyz".into()],
        ..OcrConfig::default()
    })
    .unwrap();
    match no_language.check().await {
        Err(OcrError::Unavailable(message)) => {
            assert!(message.contains("xyz"), "{message}");
            assert!(message.contains("tesseract-ocr-xyz"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    match no_language.ocr_pdf(&pdf, |_, _| {}).await {
        Err(OcrError::Unavailable(message)) => assert!(message.contains("tesseract-ocr-xyz")),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

/// An uncompressed 8-bit grey TIFF at 300 dpi, one directory per page.
fn gray_tiff(width: u32, height: u32, pages: &[&[u8]]) -> Vec<u8> {
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&0u32.to_le_bytes()); // first IFD offset, patched below
    let mut next_pointer = 4usize;
    for pixels in pages {
        let strip = out.len() as u32;
        out.extend_from_slice(pixels);
        let resolution = out.len() as u32;
        out.extend_from_slice(&300u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let ifd = out.len() as u32;
        out[next_pointer..next_pointer + 4].copy_from_slice(&ifd.to_le_bytes());
        // (tag, type, value): type 3 = SHORT, 4 = LONG, 5 = RATIONAL (offset).
        let entries: [(u16, u16, u32); 12] = [
            (256, 4, width),
            (257, 4, height),
            (258, 3, 8),
            (259, 3, 1),
            (262, 3, 1),
            (273, 4, strip),
            (277, 3, 1),
            (278, 4, height),
            (279, 4, pixels.len() as u32),
            (282, 5, resolution),
            (283, 5, resolution),
            (296, 3, 2),
        ];
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, kind, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            if kind == 3 {
                out.extend_from_slice(&(value as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        next_pointer = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out
}
