//! Writes the seed corpora of the PDF, address, composition and scan fuzz
//! targets (`fuzz/corpus/<target>/`) from the sample generator and the test
//! fixtures: `cargo run -p courrier-documents --example fuzz_seeds -- fuzz/corpus`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/it/support.rs"]
mod common;

use common::*;
use courrier_documents::sample::{SampleLetter, letters_pdf};
use std::path::{Path, PathBuf};

/// The separator of multi-file inputs (`courrier_fuzz::PART_SEPARATOR`).
const PART_SEPARATOR: &[u8] = b"\n%%COURRIER-PART%%\n";

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn letter(address: &[&str], pages: u32, reference: &str) -> SampleLetter {
    SampleLetter {
        address: address.iter().map(|l| l.to_string()).collect(),
        pages,
        reference: reference.to_string(),
    }
}

fn pdfs() -> Vec<(&'static str, Vec<u8>)> {
    let sender = ["Muster Treuhand AG", "Seestrasse 5", "8002 Zürich"];
    let one = letters_pdf(
        &[letter(
            &["Frau Anna Müller", "Bahnhofstrasse 1", "8001 Zürich"],
            1,
            "1",
        )],
        &sender,
    );
    let run = letters_pdf(
        &[
            letter(
                &[
                    "Jan de Vries",
                    "Keizersgracht 123",
                    "1015 CJ Amsterdam",
                    "PAYS-BAS",
                ],
                2,
                "2",
            ),
            letter(
                &[
                    "Madame Claire Dubois",
                    "12 rue de la Paix",
                    "75002 Paris",
                    "FRANCE",
                ],
                1,
                "3",
            ),
        ],
        &sender,
    );
    let swiss = swiss_letter(&[
        "Muster AG",
        "Frau Anna Müller",
        "Bahnhofstrasse 1",
        "8001 Zürich",
    ]);

    // CID font with ToUnicode, compressed streams, a scaled text matrix.
    let mut pdf = Pdf::new();
    let f = pdf.cid_font();
    let content = format!(
        "q 0.5 0 0 0.5 0 0 cm BT /F1 20 Tf 130 1380 Td {} Tj 0 -26 Td [{} -300 {}] TJ 0 -26 Td {} Tj ET Q",
        cid_hex("Jan de Vries"),
        cid_hex("Keizersgracht"),
        cid_hex("123"),
        cid_hex("1015 CJ Amsterdam")
    );
    pdf.page(A4, None, content.as_bytes(), &[("F1", f)]);
    let mut doc = pdf.document();
    doc.compress();
    let mut cid = Vec::new();
    doc.save_to(&mut cid).unwrap();

    let rotated = form_rotated_with_action();

    // A font that is not embedded (a warning, not a refusal).
    let mut pdf = Pdf::new();
    let arial = pdf.arial_not_embedded();
    let content = helvetica_lines(
        mm(24.0),
        y_from_top(65.0),
        &["Hans Muster", "Marktgasse 3", "3011 Bern"],
    );
    pdf.page(A4, None, content.as_bytes(), &[("F1", arial)]);
    let arial = pdf.bytes();

    vec![
        ("sample-letter.pdf", one),
        ("sample-run.pdf", run),
        ("swiss-letter.pdf", swiss),
        ("cid-compressed.pdf", cid),
        ("form-rotated-js.pdf", rotated),
        ("font-not-embedded.pdf", arial),
    ]
}

/// A JPEG with only the headers the combiner reads, and an Exif orientation.
fn jpeg(width: u16, height: u16, orientation: u16) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut seg = b"Exif\0\0".to_vec();
    seg.extend_from_slice(&tiff);
    j.extend_from_slice(&[0xFF, 0xE1]);
    j.extend_from_slice(&u16::try_from(seg.len() + 2).unwrap().to_be_bytes());
    j.extend_from_slice(&seg);
    j.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    j.extend_from_slice(&height.to_be_bytes());
    j.extend_from_slice(&width.to_be_bytes());
    j.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn png(width: u32, height: u32, colour: png::ColorType, depth: png::BitDepth) -> Vec<u8> {
    let channels = match colour {
        png::ColorType::Grayscale | png::ColorType::Indexed => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
    };
    let bits = match depth {
        png::BitDepth::Sixteen => 16,
        _ => 8,
    };
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(colour);
        enc.set_depth(depth);
        if colour == png::ColorType::Indexed {
            enc.set_palette(vec![0, 0, 0, 255, 255, 255]);
        }
        let mut w = enc.write_header().unwrap();
        let len = (width * height * channels * bits / 8) as usize;
        let data: Vec<u8> = (0..len).map(|i| (i % 2) as u8).collect();
        w.write_image_data(&data).unwrap();
    }
    out
}

fn main() {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fuzz/corpus"));
    let pdfs = pdfs();
    for (name, bytes) in &pdfs {
        write(&dir, "pdf_inspect", name, bytes);
        write(&dir, "pdf_text", name, bytes);
    }
    let pdf = |name: &str| pdfs.iter().find(|(n, _)| *n == name).unwrap().1.clone();

    // Composition: choices byte + letter, then letterhead and attachments.
    let with_flags = |flags: u8, letter: &[u8]| [&[flags][..], letter].concat();
    let compose_seeds: [(&str, u8, Vec<Vec<u8>>); 4] = [
        ("letter-only", 0, vec![pdf("sample-letter.pdf")]),
        (
            "letterhead-first-page",
            4,
            vec![pdf("sample-run.pdf"), pdf("swiss-letter.pdf")],
        ),
        (
            "letterhead-all-duplex-attachment",
            1 | 2 | 4,
            vec![
                pdf("sample-letter.pdf"),
                pdf("cid-compressed.pdf"),
                pdf("sample-run.pdf"),
            ],
        ),
        (
            "attachments-duplex",
            1,
            vec![
                pdf("swiss-letter.pdf"),
                pdf("font-not-embedded.pdf"),
                pdf("sample-letter.pdf"),
            ],
        ),
    ];
    for (name, flags, files) in &compose_seeds {
        let mut files = files.clone();
        files[0] = with_flags(*flags, &files[0]);
        let parts: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        write(&dir, "compose", name, &parts.join(PART_SEPARATOR));
    }

    // Scans: photos and PDFs, alone and mixed.
    let scan_seeds: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("jpeg", vec![jpeg(1654, 2339, 1)]),
        ("jpeg-rotated", vec![jpeg(2339, 1654, 6), jpeg(800, 600, 3)]),
        (
            "png-rgb",
            vec![png(40, 56, png::ColorType::Rgb, png::BitDepth::Eight)],
        ),
        (
            "png-gray-alpha",
            vec![png(
                30,
                20,
                png::ColorType::GrayscaleAlpha,
                png::BitDepth::Eight,
            )],
        ),
        (
            "png-indexed",
            vec![png(16, 16, png::ColorType::Indexed, png::BitDepth::Eight)],
        ),
        (
            "png-rgba16",
            vec![png(8, 8, png::ColorType::Rgba, png::BitDepth::Sixteen)],
        ),
        ("pdf", vec![pdf("sample-run.pdf")]),
        (
            "mixed",
            vec![
                pdf("sample-letter.pdf"),
                jpeg(1654, 2339, 8),
                png(12, 17, png::ColorType::Grayscale, png::BitDepth::Eight),
            ],
        ),
    ];
    for (name, files) in &scan_seeds {
        let parts: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        write(&dir, "scan_images", name, &parts.join(PART_SEPARATOR));
    }

    // Addresses: the sender's country (index into CH LI BE FR DE AT IT NL LU) + lines.
    let addresses: [(&str, u8, &str); 8] = [
        (
            "ch",
            0,
            "Muster AG\nFrau Anna Müller\nBahnhofstrasse 1\n8001 Zürich",
        ),
        (
            "ch-from-de",
            4,
            "Frau Anna Müller\nBahnhofstrasse 1\nPostfach\nCH-8001 Zürich\nSCHWEIZ",
        ),
        (
            "nl",
            0,
            "Jan de Vries\nKeizersgracht 123\n1015 CJ Amsterdam\nPAYS-BAS",
        ),
        (
            "fr",
            3,
            "Madame Claire Dubois\n12 rue de la Paix\nBP 45\n75002 PARIS CEDEX 02",
        ),
        (
            "lu",
            2,
            "Monsieur Paul Weber\n4, rue du Fort\nL-1234 Luxembourg\nLUXEMBOURG",
        ),
        (
            "gb",
            0,
            "Mr John Smith\n10 Downing Street\nLondon\nSW1A 2AA\nROYAUME-UNI",
        ),
        ("it", 6, "Sig. Mario Rossi\nVia Roma 1\n00184 Roma RM"),
        (
            "endorsement",
            4,
            "Einschreiben\nFrau Erika Mustermann\nHauptstr. 5\n10115 Berlin",
        ),
    ];
    for (name, sender, text) in addresses {
        write(
            &dir,
            "address_parse",
            name,
            &[&[sender][..], text.as_bytes()].concat(),
        );
    }
    println!("seeds written under {}", dir.display());
}
