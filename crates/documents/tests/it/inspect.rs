//! Intake checks on PDFs generated in code.
use crate::support::*;
use courrier_documents::lopdf::{self, Document, Object, Stream, dictionary};
use courrier_documents::{Finding, IntakeLimits, Severity, inspect_pdf};

fn limits() -> IntakeLimits {
    IntakeLimits::default()
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

fn refused(bytes: &[u8]) -> Vec<Finding> {
    inspect_pdf(bytes, &limits()).expect_err("should be refused")
}

#[test]
fn a_plain_a4_letter_is_accepted() {
    let report = inspect_pdf(
        &swiss_letter(&["Hans Muster", "Weg 1", "3000 Bern"]),
        &limits(),
    )
    .unwrap();
    assert_eq!(report.page_count, 1);
    let page = &report.pages[0];
    assert!(
        (page.width_mm - 210.0).abs() < 0.1 && (page.height_mm - 297.0).abs() < 0.1,
        "{page:?}"
    );
    // Helvetica is one of the standard 14: no warning.
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn letter_size_page_is_refused_with_page_and_millimetres() {
    let mut pdf = Pdf::new();
    pdf.page(A4, None, b"", &[]);
    pdf.page([0.0, 0.0, 612.0, 792.0], None, b"", &[]);
    let findings = refused(&pdf.bytes());
    assert_eq!(codes(&findings), ["pdf.not_a4"]);
    assert_eq!(findings[0].page, Some(2));
    assert!(
        findings[0].message.contains("215.9 × 279.4 mm"),
        "{}",
        findings[0].message
    );
    assert!(findings[0].message.contains("page 2"));
}

#[test]
fn tolerance_is_two_points() {
    let mut pdf = Pdf::new();
    pdf.page([0.0, 0.0, 596.5, 840.5], None, b"", &[]);
    assert!(inspect_pdf(&pdf.bytes(), &limits()).is_ok());
    let mut pdf = Pdf::new();
    pdf.page([0.0, 0.0, 598.0, 841.89], None, b"", &[]);
    assert_eq!(codes(&refused(&pdf.bytes())), ["pdf.not_a4"]);
}

#[test]
fn rotation_decides_orientation() {
    // Landscape box rotated 90: shown portrait, accepted.
    let mut pdf = Pdf::new();
    pdf.page([0.0, 0.0, 841.89, 595.276], Some(90), b"", &[]);
    pdf.page([0.0, 0.0, 841.89, 595.276], Some(-90), b"", &[]);
    let report = inspect_pdf(&pdf.bytes(), &limits()).unwrap();
    assert_eq!(report.pages[0].rotate, 90);
    assert_eq!(report.pages[1].rotate, 270);
    assert!((report.pages[0].width_mm - 210.0).abs() < 0.1);

    // Portrait box rotated 90 is shown landscape: refused.
    let mut pdf = Pdf::new();
    pdf.page(A4, Some(90), b"", &[]);
    pdf.page([0.0, 0.0, 841.89, 595.276], None, b"", &[]);
    let findings = refused(&pdf.bytes());
    assert_eq!(codes(&findings), ["pdf.not_a4", "pdf.not_a4"]);
    assert!(
        findings[0].message.contains("A4 landscape"),
        "{}",
        findings[0].message
    );
    assert_eq!(findings[1].page, Some(2));
}

#[test]
fn boxes_are_inherited_and_cropbox_wins() {
    // MediaBox only on the page tree root; the page inherits it, and Rotate too.
    let mut pdf = Pdf::new();
    let page = dictionary! { "Type" => "Page" };
    pdf.page_dict(page, b"");
    pdf.pages_entry(
        "MediaBox",
        Object::Array(vec![0.into(), 0.into(), 841.89.into(), 595.276.into()]),
    );
    pdf.pages_entry("Rotate", Object::Integer(270));
    let report = inspect_pdf(&pdf.bytes(), &limits()).unwrap();
    assert_eq!(report.pages[0].rotate, 270);

    // A large MediaBox (with bleed) cropped to A4 is accepted.
    let mut pdf = Pdf::new();
    let page = dictionary! {
        "Type" => "Page",
        "MediaBox" => vec![0.into(), 0.into(), 700.into(), 1000.into()],
        "CropBox" => vec![20.into(), 30.into(), 615.276.into(), 871.89.into()],
    };
    pdf.page_dict(page, b"");
    assert!(inspect_pdf(&pdf.bytes(), &limits()).is_ok());
}

#[test]
fn empty_page_tree_has_no_pages() {
    let pdf = Pdf::new();
    assert_eq!(codes(&refused(&pdf.bytes())), ["pdf.no_pages"]);
}

#[test]
fn too_large_is_refused_before_parsing() {
    let bytes = swiss_letter(&["A", "B"]);
    let small = IntakeLimits {
        max_bytes: 100,
        ..IntakeLimits::default()
    };
    let findings = inspect_pdf(&bytes, &small).unwrap_err();
    assert_eq!(codes(&findings), ["pdf.too_large"]);
}

#[test]
fn garbage_and_truncated_files_are_unreadable() {
    assert_eq!(codes(&refused(b"")), ["pdf.unreadable"]);
    assert_eq!(
        codes(&refused(b"hello, this is not a pdf at all")),
        ["pdf.unreadable"]
    );
    assert_eq!(codes(&refused(&[0xFFu8; 4096])), ["pdf.unreadable"]);
    let bytes = swiss_letter(&["Hans Muster", "Weg 1", "3000 Bern"]);
    for cut in [9, 30, bytes.len() / 3, bytes.len() / 2] {
        let findings = refused(&bytes[..cut]);
        let errors: Vec<&str> = findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| f.code.as_str())
            .collect();
        assert!(
            matches!(errors.as_slice(), ["pdf.unreadable"] | ["pdf.no_pages"]),
            "cut at {cut}: {findings:?}"
        );
    }
}

fn encrypted(user_password: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    pdf.page(
        A4,
        None,
        helvetica_lines(60.0, 600.0, &["Secret"]).as_bytes(),
        &[("F1", f1)],
    );
    let mut doc = pdf.document();
    encrypt_aes128(&mut doc, user_password);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn password_protected_pdf_is_refused() {
    let bytes = encrypted("user");
    // What lopdf does with it: loads, still encrypted, no pages.
    let doc = Document::load_mem(&bytes).unwrap();
    assert!(doc.is_encrypted());
    assert_eq!(doc.get_pages().len(), 0);
    assert_eq!(codes(&refused(&bytes)), ["pdf.encrypted"]);
}

#[test]
fn owner_password_only_is_a_warning() {
    let report = inspect_pdf(&encrypted(""), &limits()).unwrap();
    assert_eq!(report.page_count, 1);
    assert_eq!(codes(&report.warnings), ["pdf.owner_password"]);
}

#[test]
fn javascript_open_action_is_refused() {
    let mut pdf = Pdf::new();
    pdf.page(A4, None, b"", &[]);
    let js = pdf.doc.add_object(dictionary! { "Type" => "Action", "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") });
    pdf.catalog_entry("OpenAction", js);
    let findings = refused(&pdf.bytes());
    assert_eq!(codes(&findings), ["pdf.javascript"]);
    assert!(findings[0].message.contains("JavaScript"));
}

#[test]
fn javascript_name_tree_is_refused() {
    let mut pdf = Pdf::new();
    pdf.page(A4, None, b"", &[]);
    let action = pdf
        .doc
        .add_object(dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("x()") });
    let tree = pdf
        .doc
        .add_object(dictionary! { "Names" => vec![Object::string_literal("init"), action.into()] });
    pdf.catalog_entry("Names", dictionary! { "JavaScript" => tree });
    assert_eq!(codes(&refused(&pdf.bytes())), ["pdf.javascript"]);
}

#[test]
fn launch_action_on_a_page_names_the_page() {
    let mut pdf = Pdf::new();
    pdf.page(A4, None, b"", &[]);
    let page = dictionary! {
        "Type" => "Page", "MediaBox" => vec![0.into(), 0.into(), 595.276.into(), 841.89.into()],
        "AA" => dictionary! { "O" => dictionary! { "S" => "Launch", "F" => Object::string_literal("calc.exe") } },
    };
    pdf.page_dict(page, b"");
    let findings = refused(&pdf.bytes());
    assert_eq!(codes(&findings), ["pdf.launch_action"]);
    assert_eq!(findings[0].page, Some(2));
}

#[test]
fn embedded_files_are_refused() {
    let mut pdf = Pdf::new();
    pdf.page(A4, None, b"", &[]);
    let file = pdf.doc.add_object(Stream::new(
        dictionary! { "Type" => "EmbeddedFile" },
        b"MZ payload".to_vec(),
    ));
    let spec = pdf.doc.add_object(dictionary! {
        "Type" => "Filespec", "F" => Object::string_literal("invoice.exe"), "EF" => dictionary! { "F" => file },
    });
    let tree = pdf.doc.add_object(
        dictionary! { "Names" => vec![Object::string_literal("invoice.exe"), spec.into()] },
    );
    pdf.catalog_entry("Names", dictionary! { "EmbeddedFiles" => tree });
    assert_eq!(codes(&refused(&pdf.bytes())), ["pdf.embedded_files"]);
}

#[test]
fn xfa_forms_are_refused() {
    let mut pdf = Pdf::new();
    pdf.page(A4, None, b"", &[]);
    let xdp = pdf
        .doc
        .add_object(Stream::new(dictionary! {}, b"<xdp:xdp/>".to_vec()));
    pdf.catalog_entry(
        "AcroForm",
        dictionary! { "Fields" => Vec::<Object>::new(), "XFA" => xdp },
    );
    assert_eq!(codes(&refused(&pdf.bytes())), ["pdf.xfa"]);
}

#[test]
fn everything_wrong_is_reported_at_once() {
    let mut pdf = Pdf::new();
    pdf.page([0.0, 0.0, 612.0, 792.0], None, b"", &[]);
    let js = pdf
        .doc
        .add_object(dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("x") });
    pdf.catalog_entry("OpenAction", js);
    let xdp = pdf
        .doc
        .add_object(Stream::new(dictionary! {}, b"<xdp/>".to_vec()));
    pdf.catalog_entry("AcroForm", dictionary! { "XFA" => xdp });
    let arial = pdf.arial_not_embedded();
    pdf.page(A4, None, b"BT /F2 10 Tf (x) Tj ET", &[("F2", arial)]);
    let findings = refused(&pdf.bytes());
    let mut got = codes(&findings);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "pdf.font_not_embedded",
            "pdf.javascript",
            "pdf.not_a4",
            "pdf.xfa"
        ]
    );
    // Errors first, warnings last.
    assert_eq!(findings.last().map(|f| f.severity), Some(Severity::Warning));
}

#[test]
fn fonts_not_embedded_warn_with_their_name() {
    let mut pdf = Pdf::new();
    let arial = pdf.arial_not_embedded();
    let helvetica = pdf.helvetica();
    let cid = pdf.cid_font();
    pdf.page(A4, None, b"", &[("F1", helvetica), ("F2", cid)]);
    pdf.page(A4, None, b"BT /F3 10 Tf (x) Tj ET", &[("F3", arial)]);
    let report = inspect_pdf(&pdf.bytes(), &limits()).unwrap();
    assert_eq!(codes(&report.warnings), ["pdf.font_not_embedded"]);
    let warning = &report.warnings[0];
    assert!(warning.message.contains("'ArialMT'"), "{}", warning.message);
    assert_eq!(warning.page, Some(2));
    assert!(!warning.is_error());
}

#[test]
fn a_finding_converts_to_the_domain_error() {
    let findings = refused(b"junk");
    let invalid: courrier_domain::Invalid = findings[0].clone().into();
    assert_eq!(
        (invalid.field, invalid.code.as_str()),
        ("document", "pdf.unreadable")
    );
}

#[test]
fn lopdf_is_reexported_for_callers() {
    let bytes = swiss_letter(&["A", "B"]);
    let doc = courrier_documents::load_pdf(&bytes, &limits()).unwrap();
    let report = courrier_documents::inspect_document(&doc, &limits()).unwrap();
    assert_eq!(report.page_count, 1);
    let _: &lopdf::Document = &doc;
}
