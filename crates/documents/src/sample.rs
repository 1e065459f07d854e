//! Sample letters as PDF: A4 pages in Helvetica with a letterhead, the
//! recipient in the Swiss left window and a body, one letter after another
//! in one file, like an ERP's invoice run. The demo data, the intake
//! benchmark and tests use them; they go through the same checks as any
//! upload.

use lopdf::{Dictionary, Document, Object, Stream, dictionary};

const A4_WIDTH_PT: f32 = 595.276;
const A4_HEIGHT_PT: f32 = 841.89;

fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// One letter of a sample run.
#[derive(Debug, Clone)]
pub struct SampleLetter {
    /// The recipient's lines, top to bottom (at most five fit the window).
    pub address: Vec<String>,
    /// Pages of the letter, at least one.
    pub pages: u32,
    /// Printed on page 1 as "Invoice <reference>"; a marker for splitting.
    pub reference: String,
}

/// A PDF literal string in WinAnsi (Latin-1 range), escaped for a content stream.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) < 0x80 => out.push(c),
            c if u32::from(c) <= 0xFF => out.push_str(&format!("\\{:03o}", u32::from(c))),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// Text lines from (x, y) in points, 13 pt apart, 11 pt Helvetica (font F1).
fn lines_at(out: &mut String, x: f32, y: f32, lines: &[&str]) {
    out.push_str(&format!("BT /F1 11 Tf 13 TL {x:.2} {y:.2} Td\n"));
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("T* ");
        }
        out.push_str(&literal(line));
        out.push_str(" Tj\n");
    }
    out.push_str("ET\n");
}

/// Builds one PDF holding `letters` in order, each from `sender`.
pub fn letters_pdf(letters: &[SampleLetter], sender: &[&str]) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let top = |from_top_mm: f32| A4_HEIGHT_PT - mm(from_top_mm);
    let mut kids: Vec<Object> = Vec::new();
    for letter in letters {
        let pages = letter.pages.max(1);
        for page in 1..=pages {
            let mut content = String::new();
            if page == 1 {
                lines_at(&mut content, mm(22.0), top(20.0), sender);
                let address: Vec<&str> =
                    letter.address.iter().map(String::as_str).take(5).collect();
                lines_at(&mut content, mm(24.0), top(64.5), &address);
                let invoice = format!("Invoice {}", letter.reference);
                lines_at(
                    &mut content,
                    mm(22.0),
                    top(105.0),
                    &[
                        &invoice,
                        "",
                        "Dear customer,",
                        "please find our invoice for the services of last month.",
                    ],
                );
            } else {
                lines_at(
                    &mut content,
                    mm(22.0),
                    top(30.0),
                    &["Details of the services, continued."],
                );
            }
            let footer = format!("{} - page {page}/{pages}", letter.reference);
            lines_at(&mut content, mm(22.0), top(285.0), &[&footer]);
            let contents = doc.add_object(Stream::new(Dictionary::new(), content.into_bytes()));
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => contents, "Resources" => resources,
                "MediaBox" => vec![0.into(), 0.into(), Object::Real(A4_WIDTH_PT), Object::Real(A4_HEIGHT_PT)],
            });
            kids.push(page_id.into());
        }
    }
    let count = i64::try_from(kids.len()).unwrap_or(i64::MAX);
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = doc.save_to(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IntakeLimits, PostalAddress, WindowStandard, inspect_pdf, read_window};

    #[test]
    fn sample_letters_pass_intake_and_their_window_reads_back() {
        let letters = vec![
            SampleLetter {
                address: vec![
                    "Boulangerie Dupont SàRL".into(),
                    "Rue de Bourg 12".into(),
                    "1003 Lausanne".into(),
                ],
                pages: 2,
                reference: "2026-0001".into(),
            },
            SampleLetter {
                address: vec![
                    "Müller GmbH".into(),
                    "Hauptstrasse 3".into(),
                    "10115 Berlin".into(),
                    "ALLEMAGNE".into(),
                ],
                pages: 1,
                reference: "2026-0002".into(),
            },
        ];
        let pdf = letters_pdf(
            &letters,
            &[
                "Helvetia Fiduciaire SA",
                "Avenue de la Gare 1, 1003 Lausanne",
            ],
        );
        let report = inspect_pdf(&pdf, &IntakeLimits::default()).unwrap();
        assert_eq!(report.page_count, 3);
        let first = read_window(&pdf, 0, WindowStandard::SwissLeft).unwrap();
        assert_eq!(first.address_lines(), letters[0].address);
        let second = read_window(&pdf, 2, WindowStandard::SwissLeft).unwrap();
        let ch = crate::CountryCode::parse("CH").unwrap();
        let parsed = PostalAddress::from_window_lines(&second.address_lines(), ch).unwrap();
        assert_eq!(parsed.country().as_str(), "DE");
        assert_eq!(parsed.postcode(), Some("10115"));
    }
}
