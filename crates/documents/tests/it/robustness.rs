//! Fuzz-ish robustness: thousands of random and mutated inputs must give
//! findings or results, never a panic.
use crate::support::*;
use courrier_documents::lopdf::{Object, Stream, dictionary};
use courrier_documents::{
    CountryCode, IntakeLimits, PostalAddress, TextReader, WindowStandard, inspect_pdf, load_pdf,
    read_window,
};

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// Valid PDFs of several shapes to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![swiss_letter(&[
        "Muster AG",
        "Frau Anna Müller",
        "Bahnhofstrasse 1",
        "8001 Zürich",
    ])];

    // CID font with ToUnicode, compressed streams.
    let mut pdf = Pdf::new();
    let f = pdf.cid_font();
    let content = format!(
        "q 0.5 0 0 0.5 0 0 cm BT /F1 20 Tf 680 1620 Td {} Tj 0 -26 Td [{} -300 {}] TJ ET Q",
        cid_hex("Jan de Vries"),
        cid_hex("Keizersgracht"),
        cid_hex("123")
    );
    pdf.page(A4, None, content.as_bytes(), &[("F1", f)]);
    let mut doc = pdf.document();
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    seeds.push(out);

    seeds.push(form_rotated_with_action());
    seeds
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        let len = bytes.len().max(1);
        match rng.below(8) {
            0 => {
                // Flip some bytes.
                for _ in 0..1 + rng.below(16) {
                    let i = rng.below(len);
                    if let Some(b) = bytes.get_mut(i) {
                        *b = rng.byte();
                    }
                }
            }
            1 => bytes.truncate(rng.below(len)),
            2 => {
                let i = rng.below(len).min(bytes.len());
                let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.byte()).collect();
                bytes.splice(i..i, junk);
            }
            3 => {
                // Delete a slice.
                let i = rng.below(len).min(bytes.len());
                let j = (i + rng.below(256)).min(bytes.len());
                bytes.drain(i..j);
            }
            4 => {
                // Duplicate a slice elsewhere.
                let i = rng.below(len).min(bytes.len());
                let j = (i + rng.below(512)).min(bytes.len());
                let chunk = bytes[i..j].to_vec();
                let k = rng.below(len).min(bytes.len());
                bytes.splice(k..k, chunk);
            }
            5 => {
                // Insert PDF syntax that stresses parsers.
                const TOKENS: [&[u8]; 14] = [
                    b"<<",
                    b">>",
                    b"[",
                    b"]",
                    b"(",
                    b")",
                    b"/Rotate 45",
                    b"99999999999 0 R",
                    b"-1e308",
                    b"/MediaBox [0 0 0 0]",
                    b"/Length 999999",
                    b"stream\n",
                    b"endobj",
                    b"/Kids [1 0 R 1 0 R]",
                ];
                let token = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(len).min(bytes.len());
                bytes.splice(i..i, token.iter().copied());
            }
            6 => {
                // Change a digit: breaks offsets, lengths, object numbers.
                let digits: Vec<usize> = bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.is_ascii_digit())
                    .map(|(i, _)| i)
                    .collect();
                if !digits.is_empty() {
                    let i = digits[rng.below(digits.len())];
                    bytes[i] = b'0' + (rng.below(10) as u8);
                }
            }
            _ => {
                // Pure noise, sometimes behind a PDF header.
                let n = rng.below(2048);
                bytes = (0..n).map(|_| rng.byte()).collect();
                if rng.below(2) == 0 {
                    bytes.splice(0..0, b"%PDF-1.7\n".iter().copied());
                }
            }
        }
    }
    bytes
}

/// Returns how many windows were read, to show the mutations reach the reader.
fn exercise(bytes: &[u8]) -> usize {
    let mut windows = 0;
    let limits = IntakeLimits {
        max_decompressed_bytes: 4 * 1024 * 1024,
        ..IntakeLimits::default()
    };
    let _ = inspect_pdf(bytes, &limits);
    let _ = read_window(bytes, 0, WindowStandard::SwissLeft);
    if let Ok(doc) = load_pdf(bytes, &limits) {
        let mut reader = TextReader::new(&doc).with_max_content_bytes(4 * 1024 * 1024);
        let pages = reader.page_count().min(4);
        for page in 0..pages {
            if let Ok(text) = reader.page_text(page) {
                for standard in WindowStandard::ALL {
                    if let Ok(window) = text.window(standard) {
                        windows += 1;
                        let _ = PostalAddress::from_window_lines(
                            &window.address_lines(),
                            CountryCode::parse("CH").unwrap(),
                        );
                    }
                    let _ = text.clear_zone_is_empty(standard);
                }
            }
        }
    }
    windows
}

#[test]
fn two_thousand_mutated_pdfs_never_panic() {
    let seeds = seeds();
    assert!(inspect_pdf(&seeds[0], &IntakeLimits::default()).is_ok());
    assert!(inspect_pdf(&seeds[1], &IntakeLimits::default()).is_ok());
    assert_eq!(
        inspect_pdf(&seeds[2], &IntakeLimits::default()).unwrap_err()[0].code,
        "pdf.javascript"
    );
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    let mut reached_reader = 0;
    for _ in 0..2000 {
        let seed = &seeds[rng.below(seeds.len())];
        let bytes = mutate(&mut rng, seed);
        if exercise(&bytes) > 0 {
            reached_reader += 1;
        }
    }
    // Many mutants still load and get their windows read.
    assert!(
        reached_reader > 200,
        "only {reached_reader} mutants reached the window reader"
    );
}

#[test]
fn random_content_streams_never_panic() {
    const OPS: [&str; 34] = [
        "q",
        "Q",
        "cm",
        "BT",
        "ET",
        "Tf",
        "Tm",
        "Td",
        "TD",
        "T*",
        "Tj",
        "TJ",
        "'",
        "\"",
        "TL",
        "Tc",
        "Tw",
        "Tz",
        "Ts",
        "Do",
        "re",
        "f",
        "BI /W 1 /H 1 /BPC 8 /CS /G ID x EI",
        "[",
        "]",
        "<<",
        ">>",
        "(",
        ")",
        "<0041>",
        "/F1",
        "/Fm1",
        "1e38",
        "-0",
    ];
    let mut rng = Rng(42);
    for _ in 0..500 {
        let mut content = String::new();
        for _ in 0..rng.below(200) {
            match rng.below(4) {
                0 => content.push_str(&format!("{} ", (rng.next() % 2000) as f32 - 1000.0)),
                1 => content.push_str(&format!(
                    "({}) ",
                    "Ab\u{fc} \\(x".chars().nth(rng.below(6)).unwrap_or('a')
                )),
                _ => content.push_str(OPS[rng.below(OPS.len())]),
            }
            content.push(' ');
        }
        let mut pdf = Pdf::new();
        let f1 = pdf.helvetica();
        let f2 = pdf.cid_font();
        let form = pdf.doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 1.into(), 1.into()] },
            content.clone().into_bytes(),
        ));
        let page = dictionary! {
            "Type" => "Page", "MediaBox" => vec![0.into(), 0.into(), 595.276.into(), 841.89.into()],
            "Resources" => dictionary! {
                "Font" => dictionary! { "F1" => f1, "F2" => f2 },
                "XObject" => dictionary! { "Fm1" => form },
            },
        };
        pdf.page_dict(page, content.as_bytes());
        assert!(exercise(&pdf.bytes()) > 0);
    }
}

#[test]
fn a_wide_tree_of_forms_is_bounded() {
    // Ten levels of forms, each drawing the next ten times: 10^10 draws if followed blindly.
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let mut next: Option<courrier_documents::lopdf::ObjectId> = None;
    for level in 0..10 {
        let mut content = String::from("BT /F1 9 Tf 70 640 Td (x) Tj ET ");
        let mut resources = dictionary! { "Font" => dictionary! { "F1" => f1 } };
        if let Some(child) = next {
            content.push_str(&"/C Do ".repeat(10));
            resources.set("XObject", dictionary! { "C" => child });
        }
        let _ = level;
        next = Some(pdf.doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 1.into(), 1.into()], "Resources" => resources },
            content.into_bytes(),
        )));
    }
    let page = dictionary! {
        "Type" => "Page", "MediaBox" => vec![0.into(), 0.into(), 595.276.into(), 841.89.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "C" => next.unwrap() } },
    };
    pdf.page_dict(page, b"/C Do");
    let started = std::time::Instant::now();
    let window = read_window(&pdf.bytes(), 0, WindowStandard::SwissLeft).unwrap();
    assert!(started.elapsed().as_secs() < 5);
    assert_eq!(window.lines.first().map(|l| l.text.as_str()), Some("x"));
}

#[test]
fn a_form_that_draws_itself_terminates() {
    let mut pdf = Pdf::new();
    let form_id = pdf.doc.new_object_id();
    let form = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 1.into(), 1.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Me" => form_id } },
        },
        b"/Me Do /Me Do".to_vec(),
    );
    pdf.doc.objects.insert(form_id, Object::Stream(form));
    let page = dictionary! {
        "Type" => "Page", "MediaBox" => vec![0.into(), 0.into(), 595.276.into(), 841.89.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Me" => form_id } },
    };
    pdf.page_dict(page, b"/Me Do");
    let window = read_window(&pdf.bytes(), 0, WindowStandard::SwissLeft).unwrap();
    assert!(window.lines.is_empty());
}
