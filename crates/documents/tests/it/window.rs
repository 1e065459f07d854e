//! Reading address windows from PDFs generated in code.
use crate::support::*;
use courrier_documents::lopdf::{Object, Stream, dictionary};
use courrier_documents::{
    CountryCode, PostalAddress, TextReader, WindowStandard, clear_zone_is_empty, load_pdf,
    read_window, read_window_in,
};
use courrier_domain::codes;

fn lines(bytes: &[u8], standard: WindowStandard) -> Vec<String> {
    read_window(bytes, 0, standard)
        .unwrap()
        .lines
        .into_iter()
        .map(|l| l.text)
        .collect()
}

#[test]
fn swiss_left_window_with_helvetica_winansi() {
    let bytes = swiss_letter(&[
        "Muster AG",
        "Frau Anna Müller",
        "Bahnhofstrasse 1",
        "8001 Zürich",
    ]);
    assert_eq!(
        lines(&bytes, WindowStandard::SwissLeft),
        [
            "Muster AG",
            "Frau Anna Müller",
            "Bahnhofstrasse 1",
            "8001 Zürich"
        ]
    );
    // The letterhead and the body are outside the window.
    let window = read_window(&bytes, 0, WindowStandard::SwissLeft).unwrap();
    assert_eq!(window.page, 1);
    assert!(window.return_address().is_none());
    // A right window sees nothing there.
    assert!(lines(&bytes, WindowStandard::RightWindow).is_empty());
}

#[test]
fn window_lines_parse_into_an_address() {
    let bytes = swiss_letter(&[
        "Muster AG",
        "Frau Anna Müller",
        "Bahnhofstrasse 1",
        "Postfach",
        "8001 Zürich",
    ]);
    let window = read_window(&bytes, 0, WindowStandard::SwissLeft).unwrap();
    let address = PostalAddress::from_window_lines(
        &window.address_lines(),
        CountryCode::parse("CH").unwrap(),
    )
    .unwrap();
    assert_eq!(address.name_lines(), ["Muster AG", "Frau Anna Müller"]);
    assert_eq!(address.street_lines(), ["Bahnhofstrasse 1", "Postfach"]);
    assert_eq!(
        (address.postcode(), address.locality()),
        (Some("8001"), "Zürich")
    );
}

#[test]
fn din_5008_with_return_line_tj_kerning_and_word_gaps() {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let x = mm(25.0);
    // Return-address line in 7 pt within the top 5 mm of the form A field (27 mm from the top).
    let mut content = format!(
        "BT /F1 7 Tf {x:.2} {:.2} Td (Muster AG, Seestrasse 5, 8002 Z\\374rich) Tj ET\n",
        y_from_top(31.0)
    );
    // Name with kerning (small TJ numbers) and a word gap made by a large one.
    content.push_str(&format!(
        "BT /F1 11 Tf 1 0 0 1 {x:.2} {:.2} Tm [(Ha) 20 (ns) -900 (Mus) 15 (ter)] TJ ET\n",
        y_from_top(50.0)
    ));
    // Street with Tc/Tw spacing and a TD move.
    content.push_str(&format!(
        "BT /F1 11 Tf 0.2 Tc 1.5 Tw {x:.2} {:.2} Td (Hauptstrasse 12) Tj 0 -13 TD (10115 Berlin) Tj ET\n",
        y_from_top(55.0)
    ));
    pdf.page(A4, None, content.as_bytes(), &[("F1", f1)]);
    let window = read_window(&pdf.bytes(), 0, WindowStandard::Din5008A).unwrap();
    let all: Vec<&str> = window.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        all,
        [
            "Muster AG, Seestrasse 5, 8002 Zürich",
            "Hans Muster",
            "Hauptstrasse 12",
            "10115 Berlin"
        ]
    );
    assert_eq!(
        window.return_address().as_deref(),
        Some("Muster AG, Seestrasse 5, 8002 Zürich")
    );
    assert_eq!(
        window.address_lines(),
        ["Hans Muster", "Hauptstrasse 12", "10115 Berlin"]
    );
    assert!(window.lines[0].font_size < 8.0 && window.lines[1].font_size > 10.0);
}

#[test]
fn cid_font_with_tounicode_widths_and_cm() {
    let mut pdf = Pdf::new();
    let f = pdf.cid_font();
    let x = mm(120.0) * 2.0;
    let y = y_from_top(56.0) * 2.0;
    // Coordinates doubled, then the CTM halves them; each word shown as its
    // own string, placed only by the widths of the words before it (/W, 600
    // units per glyph; 500 for the space, from the range entry).
    let mut content = String::from("q 0.5 0 0 0.5 0 0 cm\n");
    content.push_str(&format!(
        "BT /F1 20 Tf {x:.2} {y:.2} Td {} Tj {} Tj {} Tj ET\n",
        cid_hex("Jan"),
        cid_hex(" "),
        cid_hex("de Vries")
    ));
    content.push_str(&format!(
        "BT /F1 20 Tf 1 0 0 1 {x:.2} {:.2} Tm {} Tj ET\n",
        y - 26.0,
        cid_hex("Keizersgracht 123-A")
    ));
    content.push_str(&format!(
        "BT /F1 20 Tf 1 0 0 1 {x:.2} {:.2} Tm [{}] TJ ET\n",
        y - 52.0,
        cid_hex("1017 CE Amsterdam")
    ));
    content.push_str(&format!(
        "BT /F1 20 Tf 1 0 0 1 {x:.2} {:.2} Tm {} Tj ET\nQ\n",
        y - 78.0,
        cid_hex("PAYS-BAS")
    ));
    pdf.page(A4, None, content.as_bytes(), &[("F1", f)]);
    let bytes = pdf.bytes();
    assert_eq!(
        lines(&bytes, WindowStandard::RightWindow),
        [
            "Jan de Vries",
            "Keizersgracht 123-A",
            "1017 CE Amsterdam",
            "PAYS-BAS"
        ]
    );
    let window = read_window(&bytes, 0, WindowStandard::RightWindow).unwrap();
    assert!((window.lines[0].font_size - 10.0).abs() < 0.01);
    assert!((window.lines[0].x - mm(120.0)).abs() < 0.01);
    let address = PostalAddress::from_window_lines(
        &window.address_lines(),
        CountryCode::parse("CH").unwrap(),
    )
    .unwrap();
    assert_eq!(address.country().as_str(), "NL");
    assert_eq!(address.postcode(), Some("1017 CE"));
}

#[test]
fn cid_glyphs_are_placed_by_their_widths() {
    // Two strings on one line: the second starts where the widths of the
    // first end, so no space is added; a gap of one em adds one.
    let mut pdf = Pdf::new();
    let f = pdf.cid_font();
    let x = mm(25.0);
    let y = y_from_top(70.0);
    // "Anna" = 4 glyphs × 600/1000 × 10 pt = 24 pt.
    let content = format!(
        "BT /F1 10 Tf {x:.2} {y:.2} Td {} Tj {} Tj ET\nBT /F1 10 Tf {:.2} {y:.2} Td {} Tj ET\n",
        cid_hex("An"),
        cid_hex("na"),
        x + 24.0 + 10.0,
        cid_hex("Rossi")
    );
    pdf.page(A4, None, content.as_bytes(), &[("F1", f)]);
    assert_eq!(
        lines(&pdf.bytes(), WindowStandard::SwissLeft),
        ["Anna Rossi"]
    );
}

#[test]
fn form_xobjects_are_followed() {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let form_content = helvetica_lines(
        0.0,
        0.0,
        &["Marie Dupont", "1 rue de la Paix", "75002 Paris", "FRANCE"],
    );
    let form = pdf.doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), (-100).into(), 300.into(), 20.into()],
            "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), Object::Real(mm(24.0)), Object::Real(y_from_top(64.0))],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => f1 } },
        },
        form_content.into_bytes(),
    ));
    let page = dictionary! {
        "Type" => "Page", "MediaBox" => vec![0.into(), 0.into(), 595.276.into(), 841.89.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Fm1" => form } },
    };
    pdf.page_dict(page, b"q /Fm1 Do Q");
    assert_eq!(
        lines(&pdf.bytes(), WindowStandard::SwissLeft),
        ["Marie Dupont", "1 rue de la Paix", "75002 Paris", "FRANCE"]
    );
}

#[test]
fn crop_box_offsets_are_honoured() {
    // The page box starts at (50, 80): the window is measured from its top-left corner.
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let content = helvetica_lines(
        50.0 + mm(24.0),
        80.0 + y_from_top(65.0),
        &["Hans Muster", "3000 Bern"],
    );
    let page = dictionary! {
        "Type" => "Page",
        "MediaBox" => vec![0.into(), 0.into(), 700.into(), 1000.into()],
        "CropBox" => vec![50.into(), 80.into(), Object::Real(50.0 + 595.276), Object::Real(80.0 + 841.89)],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => f1 } },
    };
    pdf.page_dict(page, content.as_bytes());
    assert_eq!(
        lines(&pdf.bytes(), WindowStandard::SwissLeft),
        ["Hans Muster", "3000 Bern"]
    );
}

#[test]
fn rotated_pages_are_not_read() {
    let mut pdf = Pdf::new();
    pdf.page([0.0, 0.0, 841.89, 595.276], Some(90), b"", &[]);
    let err = read_window(&pdf.bytes(), 0, WindowStandard::SwissLeft).unwrap_err();
    assert_eq!(
        (err.code, err.page),
        (codes::PDF_WINDOW_ROTATED_PAGE, Some(1))
    );
}

#[test]
fn missing_page_and_bad_bytes_are_findings() {
    let bytes = swiss_letter(&["A", "B"]);
    assert_eq!(
        read_window(&bytes, 3, WindowStandard::SwissLeft)
            .unwrap_err()
            .code,
        "pdf.page_missing"
    );
    assert_eq!(
        read_window(b"%PDF-1.7 garbage", 0, WindowStandard::SwissLeft)
            .unwrap_err()
            .code,
        "pdf.unreadable"
    );
}

#[test]
fn clear_zone_above_the_window() {
    let bytes = swiss_letter(&["Hans Muster", "3000 Bern"]);
    let doc = load_pdf(&bytes, &Default::default()).unwrap();
    assert!(clear_zone_is_empty(&doc, 0, WindowStandard::SwissLeft).is_ok());

    // Text 10 mm above the Swiss window (60 mm from the top): in the 15 mm clear zone.
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    let mut content = helvetica_lines(mm(30.0), y_from_top(50.0), &["Vertraulich"]);
    content.push_str(&helvetica_lines(
        mm(24.0),
        y_from_top(65.0),
        &["Hans Muster", "3000 Bern"],
    ));
    pdf.page(A4, None, content.as_bytes(), &[("F1", f1)]);
    let doc = pdf.document();
    let err = clear_zone_is_empty(&doc, 0, WindowStandard::SwissLeft).unwrap_err();
    assert_eq!(err.code, "letter.clear_zone_not_empty");
    assert!(err.message.contains("Vertraulich"), "{}", err.message);
    // The window itself still reads.
    let window = read_window_in(&doc, 0, WindowStandard::SwissLeft).unwrap();
    assert_eq!(window.address_lines(), ["Hans Muster", "3000 Bern"]);
}

#[test]
fn one_reader_reads_many_pages_of_a_bulk_pdf() {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    for i in 0..20 {
        let name = format!("Kunde {i}");
        let content = helvetica_lines(mm(24.0), y_from_top(65.0), &[&name, "Weg 1", "3000 Bern"]);
        pdf.page(A4, None, content.as_bytes(), &[("F1", f1)]);
    }
    let doc = pdf.document();
    let mut reader = TextReader::new(&doc);
    assert_eq!(reader.page_count(), 20);
    for i in 0..20 {
        let window = reader
            .page_text(i)
            .unwrap()
            .window(WindowStandard::SwissLeft)
            .unwrap();
        assert_eq!(window.address_lines()[0], format!("Kunde {i}"));
        assert_eq!(window.page as usize, i + 1);
    }
}

#[test]
fn undecodable_cid_text_is_reported_as_unreadable_address() {
    // A Type0 font without ToUnicode: the codes cannot become text.
    let mut pdf = Pdf::new();
    let font = pdf.doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "X", "Encoding" => "Identity-H",
        "DescendantFonts" => vec![dictionary! { "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "X" }.into()],
    });
    let content = format!(
        "BT /F1 11 Tf {:.2} {:.2} Td <00410042> Tj 0 -13 Td <00430044> Tj ET",
        mm(24.0),
        y_from_top(65.0)
    );
    pdf.page(A4, None, content.as_bytes(), &[("F1", font)]);
    let window = read_window(&pdf.bytes(), 0, WindowStandard::SwissLeft).unwrap();
    assert_eq!(window.lines.len(), 2);
    let err = PostalAddress::from_window_lines(
        &window.address_lines(),
        CountryCode::parse("CH").unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.code, "address.unreadable");
}

#[test]
fn empty_window_gives_window_empty() {
    let mut pdf = Pdf::new();
    pdf.page(A4, None, b"0 0 1 rg 100 100 50 50 re f", &[]);
    let window = read_window(&pdf.bytes(), 0, WindowStandard::SwissLeft).unwrap();
    assert!(window.lines.is_empty());
    let err = PostalAddress::from_window_lines(
        &window.address_lines(),
        CountryCode::parse("CH").unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.code, "address.window_empty");
}
