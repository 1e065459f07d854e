//! Throughput of the intake path per letter (parse, inspect, read the window,
//! check the clear zone, parse the address). Ignored by default; run with
//! `cargo test -p courrier-documents --release --test throughput -- --ignored --nocapture`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use courrier_documents::{
    CountryCode, IntakeLimits, PostalAddress, TextReader, WindowStandard, inspect_document,
    load_pdf,
};
use std::time::Instant;

/// A two-page letter like an ERP run produces: letterhead, address, body
/// text in Helvetica and an embedded CID font, compressed streams.
fn letter(i: usize) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let f2 = pdf.cid_font();
    let name = format!("Kunde {i}");
    let mut page1 = helvetica_lines(
        mm(22.0),
        y_from_top(20.0),
        &["Muster Treuhand AG", "Seestrasse 5, 8002 Zürich"],
    );
    page1.push_str(&helvetica_lines(
        mm(24.0),
        y_from_top(65.0),
        &[&name, "Bahnhofstrasse 1", "8001 Zürich"],
    ));
    for line in 0..40 {
        page1.push_str(&format!(
            "BT /F2 10 Tf {:.2} {:.2} Td {} Tj ET\n",
            mm(22.0),
            y_from_top(110.0 + line as f32 * 4.0),
            cid_hex("Rechnung Nr. 12345 vom 1.1.2026, Betrag 1234.50")
        ));
    }
    pdf.page(A4, None, page1.as_bytes(), &[("F1", f1), ("F2", f2)]);
    pdf.page(
        A4,
        None,
        helvetica_lines(70.0, 700.0, &["Seite 2"]).as_bytes(),
        &[("F1", f1)],
    );
    let mut doc = pdf.document();
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
#[ignore = "timing; run in release"]
fn letters_per_second() {
    let letters: Vec<Vec<u8>> = (0..2000).map(letter).collect();
    let limits = IntakeLimits::default();
    let ch = CountryCode::parse("CH").unwrap();
    let started = Instant::now();
    for bytes in &letters {
        let doc = load_pdf(bytes, &limits).unwrap();
        inspect_document(&doc, &limits).unwrap();
        let text = TextReader::new(&doc).page_text(0).unwrap();
        text.clear_zone_is_empty(WindowStandard::SwissLeft).unwrap();
        let window = text.window(WindowStandard::SwissLeft).unwrap();
        PostalAddress::from_window_lines(&window.address_lines(), ch).unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "{} letters of {} bytes: {:.0} letters/s on one core ({:.1} µs each)",
        letters.len(),
        letters[0].len(),
        letters.len() as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / letters.len() as f64
    );
}
