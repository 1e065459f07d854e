//! The hostile corpus (`tests/hostile/` at the root of the repository): the
//! generator of its PDFs and images, the proof that the committed files are
//! what it makes, and the code the intake checks answer for each. A page tree
//! naming one page 200,000 times, a stream bomb split over many streams and
//! a looping page tree are checked here in full size too.
//!
//! `COURRIER_WRITE_HOSTILE=1 cargo test -p courrier-documents --test it hostile::`
//! writes the files again after a change to the generator.
use crate::support::*;
use courrier_documents::images::{ScanLimits, ScanPart, combine_scan};
use courrier_documents::lopdf::{Document, Object, ObjectId, Stream, dictionary};
use courrier_documents::{Budget, IntakeLimits, inspect_pdf, load_pdf, page_ids};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile")
}

/// One file of the corpus and the code the intake gives it.
struct Hostile {
    path: &'static str,
    bytes: Vec<u8>,
    code: &'static str,
}

fn save(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

/// An A4 page with a line of text, the start of most hostile files.
fn one_page() -> Pdf {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    pdf.page(
        A4,
        None,
        helvetica_lines(60.0, 600.0, &["Hostile"]).as_bytes(),
        &[("F1", f1)],
    );
    pdf
}

/// A page tree whose /Kids name the same page `times` times, with a /Count
/// that agrees: viewers (and qpdf) show `times` pages.
pub fn page_reused(times: usize) -> Vec<u8> {
    let mut doc = one_page().document();
    let page = doc
        .objects
        .iter()
        .find(|(_, o)| o.as_dict().is_ok_and(|d| d.has(b"Contents")))
        .map(|(id, _)| *id)
        .unwrap();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    doc.objects.insert(
        root,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![Object::Reference(page); times],
            "Count" => times as i64,
        }),
    );
    save(&mut doc)
}

/// A /Pages node that lists itself among its kids.
fn page_tree_loop() -> Vec<u8> {
    let pdf = one_page();
    let mut doc = pdf.document();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let pages = doc.get_dictionary_mut(root).unwrap();
    let mut kids = pages.get(b"Kids").unwrap().as_array().unwrap().clone();
    kids.push(Object::Reference(root));
    pages.set("Kids", kids);
    pages.set("Count", 2);
    save(&mut doc)
}

/// One page, and a /Count of 100,000.
fn count_lies() -> Vec<u8> {
    let pdf = one_page();
    let mut doc = pdf.document();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    doc.get_dictionary_mut(root).unwrap().set("Count", 100_000);
    save(&mut doc)
}

/// The page's /MediaBox is a reference to a reference to the first.
fn reference_loop() -> Vec<u8> {
    let mut pdf = Pdf::new();
    let a: ObjectId = (900, 0);
    let b: ObjectId = (901, 0);
    pdf.doc.objects.insert(a, Object::Reference(b));
    pdf.doc.objects.insert(b, Object::Reference(a));
    pdf.doc.max_id = 901;
    pdf.page_dict(dictionary! { "Type" => "Page", "MediaBox" => a }, b"");
    pdf.bytes()
}

/// A page whose /Resources hold an array nested 100,000 deep.
fn deep_nesting() -> Vec<u8> {
    // Written into the file's text: lopdf's writer would recurse as deep.
    let bytes = one_page().bytes();
    let at = find(&bytes, b"/MediaBox").unwrap();
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(b"/Nested ");
    out.extend(std::iter::repeat_n(b'[', 100_000));
    out.extend(std::iter::repeat_n(b']', 100_000));
    out.push(b' ');
    out.extend_from_slice(&bytes[at..]);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The page's content stream says it is a million bytes long.
fn length_lies() -> Vec<u8> {
    let bytes = one_page().bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let content_len = helvetica_lines(60.0, 600.0, &["Hostile"]).len();
    let from = format!("/Length {content_len}");
    assert!(text.contains(&from), "{text}");
    text.replace(&from, "/Length 1000000").into_bytes()
}

/// `startxref` and the trailer point past the end; no object exists.
fn xref_nowhere() -> Vec<u8> {
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nxref\n0 3\n0000000000 65535 f \n0000999999 00000 n \n0000888888 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n7777777\n%%EOF\n".to_vec()
}

/// A letter cut in the middle of its objects.
fn truncated() -> Vec<u8> {
    let bytes = swiss_letter(&["Muster AG", "Bahnhofstrasse 1", "8001 Zürich"]);
    let at = find(&bytes, b"/MediaBox").unwrap();
    bytes[..at].to_vec()
}

/// Object streams that inflate to `each` bytes each, `count` of them,
/// compressed twice so that the file stays small. Written by hand: lopdf's
/// writer leaves object streams out.
fn object_stream_bomb(count: usize, each: usize) -> Vec<u8> {
    let outer = deflate(&deflate(&vec![b' '; each]));
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.276 841.89] >>".to_vec(),
    ];
    for _ in 0..count {
        let mut stream = format!(
            "<< /Type /ObjStm /N 0 /First 0 /Filter [/FlateDecode /FlateDecode] /Length {} >>\nstream\n",
            outer.len()
        )
        .into_bytes();
        stream.extend_from_slice(&outer);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn javascript() -> Vec<u8> {
    let mut pdf = one_page();
    let js = pdf.doc.add_object(dictionary! { "Type" => "Action", "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") });
    pdf.catalog_entry("OpenAction", js);
    pdf.bytes()
}

fn launch() -> Vec<u8> {
    let mut pdf = one_page();
    let action = pdf
        .doc
        .add_object(dictionary! { "S" => "Launch", "F" => Object::string_literal("cmd.exe") });
    pdf.catalog_entry("OpenAction", action);
    pdf.bytes()
}

fn embedded_file() -> Vec<u8> {
    let mut pdf = one_page();
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
    pdf.bytes()
}

fn xfa() -> Vec<u8> {
    let mut pdf = one_page();
    let xdp = pdf
        .doc
        .add_object(Stream::new(dictionary! {}, b"<xdp:xdp/>".to_vec()));
    pdf.catalog_entry(
        "AcroForm",
        dictionary! { "Fields" => Vec::<Object>::new(), "XFA" => xdp },
    );
    pdf.bytes()
}

fn encrypted() -> Vec<u8> {
    let mut doc = one_page().document();
    encrypt_aes128(&mut doc, "user");
    save(&mut doc)
}

fn not_a4() -> Vec<u8> {
    let mut pdf = Pdf::new();
    pdf.page([0.0, 0.0, 612.0, 792.0], None, b"", &[]);
    pdf.bytes()
}

fn html() -> Vec<u8> {
    b"<!DOCTYPE html>\n<html><head><title>invoice.pdf</title></head><body><script>location='https://example.invalid'</script></body></html>\n".to_vec()
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A PNG that says it is 100,000 × 100,000 pixels (40 GB decoded).
fn png_dimension_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &deflate(&[0u8; 1024]));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG whose frame header says 65,535 × 65,535 pixels.
fn jpeg_dimension_bomb() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    // SOF0: length 11, 8 bits, height, width, 1 component.
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
    out.extend_from_slice(&[0x01, 0x11, 0x00]);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A PNG cut after its header.
fn png_truncated() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100u32.to_be_bytes());
    ihdr.extend_from_slice(&100u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    out.extend_from_slice(&[0, 0, 0x10, 0, b'I', b'D', b'A', b'T', 0x78]);
    out
}

fn corpus() -> Vec<Hostile> {
    let h = |path, bytes, code| Hostile { path, bytes, code };
    vec![
        h(
            "pdf/page_reused.pdf",
            page_reused(20_000),
            "pdf.page_reused",
        ),
        h(
            "pdf/page_tree_loop.pdf",
            page_tree_loop(),
            "pdf.page_tree_invalid",
        ),
        h("pdf/count_lies.pdf", count_lies(), "pdf.page_tree_invalid"),
        h("pdf/reference_loop.pdf", reference_loop(), "pdf.unreadable"),
        h("pdf/deep_nesting.pdf", deep_nesting(), "pdf.unreadable"),
        h("pdf/letter-length_lies.pdf", length_lies(), "pdf.repaired"),
        h("pdf/xref_nowhere.pdf", xref_nowhere(), "pdf.unreadable"),
        h("pdf/truncated.pdf", truncated(), "pdf.unreadable"),
        h(
            "pdf/deflate_bomb.pdf",
            object_stream_bomb(1, 100 * 1024 * 1024),
            "pdf.too_much_data",
        ),
        h(
            "pdf/split_bomb.pdf",
            object_stream_bomb(8, 4 * 1024 * 1024),
            "pdf.too_much_data",
        ),
        h("pdf/javascript.pdf", javascript(), "pdf.javascript"),
        h("pdf/launch.pdf", launch(), "pdf.launch_action"),
        h(
            "pdf/embedded_file.pdf",
            embedded_file(),
            "pdf.embedded_files",
        ),
        h("pdf/xfa.pdf", xfa(), "pdf.xfa"),
        h("pdf/encrypted.pdf", encrypted(), "pdf.encrypted"),
        h("pdf/letter-not_a4.pdf", not_a4(), "pdf.not_a4"),
        h("pdf/html.pdf", html(), "pdf.unreadable"),
        h("pdf/empty.pdf", Vec::new(), "pdf.unreadable"),
        h(
            "images/png_dimension_bomb.png",
            png_dimension_bomb(),
            "mail.scan_file_invalid",
        ),
        h(
            "images/jpeg_dimension_bomb.jpg",
            jpeg_dimension_bomb(),
            "mail.scan_file_invalid",
        ),
        h(
            "images/truncated.png",
            png_truncated(),
            "mail.scan_file_invalid",
        ),
        h("images/empty.jpg", Vec::new(), "mail.scan_file_invalid"),
    ]
}

#[test]
fn the_committed_corpus_is_what_the_generator_makes() {
    let dir = corpus_dir();
    let write = std::env::var("COURRIER_WRITE_HOSTILE").is_ok_and(|v| v == "1");
    for file in corpus() {
        assert!(
            file.bytes.len() < 200 * 1024,
            "{} is {} bytes",
            file.path,
            file.bytes.len()
        );
        let path = dir.join(file.path);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (write it with COURRIER_WRITE_HOSTILE=1)",
                file.path
            )
        });
        if file.path == "pdf/encrypted.pdf"
            || (file.path.ends_with(".pdf") && committed != file.bytes)
        {
            // Encryption draws a random IV, and deflated streams depend on the
            // deflate backend the build unifies: the same kind of file, not
            // always the same bytes.
            let findings = inspect_pdf(&committed, &IntakeLimits::default()).unwrap_err();
            assert_eq!(findings[0].code, file.code, "{}", file.path);
        } else if file.path.starts_with("images/") && committed != file.bytes {
            // PNG's deflated data, likewise: the same refusal, not the same bytes.
            use courrier_documents::images::{ScanLimits, ScanPart, combine_scan};
            let parts = [ScanPart {
                name: "scan.png",
                bytes: &committed,
            }];
            let err = combine_scan(&parts, &ScanLimits::default()).unwrap_err();
            assert_eq!(err.code, file.code, "{}", file.path);
        } else {
            assert!(
                committed == file.bytes,
                "{} differs from what the generator makes (write it with COURRIER_WRITE_HOSTILE=1)",
                file.path
            );
        }
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(
            readme.contains(&format!("`{}`", file.path)) && readme.contains(file.code),
            "README.md lists {} with {}",
            file.path,
            file.code
        );
    }
}

#[test]
fn every_hostile_file_is_refused_with_its_code() {
    let limits = IntakeLimits::default();
    for file in corpus() {
        let started = std::time::Instant::now();
        if file.code == "pdf.repaired" {
            // Read after repair: only a warning (a letter is refused for its
            // missing address, a scan may be taken).
            let report = inspect_pdf(&file.bytes, &limits).unwrap();
            assert!(
                report.warnings.iter().any(|w| w.code == file.code),
                "{}: {report:?}",
                file.path
            );
        } else if file.path.starts_with("pdf/") {
            let findings = inspect_pdf(&file.bytes, &limits).unwrap_err();
            assert_eq!(
                findings
                    .iter()
                    .find(|f| f.is_error())
                    .map(|f| f.code.as_str()),
                Some(file.code),
                "{}: {findings:?}",
                file.path
            );
        } else {
            let err = combine_scan(
                &[ScanPart {
                    name: file.path,
                    bytes: &file.bytes,
                }],
                &ScanLimits::default(),
            )
            .unwrap_err();
            assert_eq!(err.code, file.code, "{}: {err:?}", file.path);
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{} took {:?}",
            file.path,
            started.elapsed()
        );
    }
}

#[test]
fn a_page_named_200000_times_is_refused_as_reused() {
    let bytes = page_reused(200_000);
    // What lopdf alone says: a few pages (its walk stops after as many kids
    // as the file has objects).
    let doc = Document::load_mem(&bytes).unwrap();
    assert!(doc.get_pages().len() < 10, "{}", doc.get_pages().len());
    let findings = inspect_pdf(&bytes, &IntakeLimits::default()).unwrap_err();
    assert_eq!(findings[0].code, "pdf.page_reused", "{findings:?}");
    assert_eq!(
        page_ids(&load_pdf(&bytes, &IntakeLimits::default()).unwrap())
            .unwrap_err()
            .code,
        "pdf.page_reused"
    );
    qpdf_counts(&bytes, 200_000);
}

/// What a viewer counts: `qpdf --show-npages` (needed under CI=true).
fn qpdf_counts(pdf: &[u8], expected: usize) {
    let dir = std::env::temp_dir().join(format!("courrier-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("reused.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("qpdf")
        .arg("--show-npages")
        .arg(&path)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match output {
        Ok(output) => {
            let text = String::from_utf8_lossy(&output.stdout);
            assert_eq!(text.trim(), expected.to_string(), "qpdf says {text}");
        }
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("qpdf is needed under CI=true: {e}")
        }
        Err(e) => eprintln!("qpdf is not installed ({e}); the count is not compared"),
    }
}

#[test]
fn a_page_in_two_branches_of_the_tree_is_reused() {
    let mut pdf = one_page();
    let page = pdf
        .doc
        .objects
        .iter()
        .find(|(_, o)| o.as_dict().is_ok_and(|d| d.has(b"Contents")))
        .map(|(id, _)| *id)
        .unwrap();
    let branch = |doc: &mut Document| {
        doc.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![Object::Reference(page)], "Count" => 1 })
    };
    let a = branch(&mut pdf.doc);
    let b = branch(&mut pdf.doc);
    let mut doc = pdf.document();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    doc.objects.insert(
        root,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![a.into(), b.into()], "Count" => 2 },
        ),
    );
    let bytes = save(&mut doc);
    let findings = inspect_pdf(&bytes, &IntakeLimits::default()).unwrap_err();
    assert_eq!(findings[0].code, "pdf.page_reused", "{findings:?}");
}

#[test]
fn a_kids_cycle_is_refused_not_overflowing_the_stack() {
    // Two nodes that are each other's kid, under the root.
    let mut pdf = one_page();
    let a: ObjectId = pdf.doc.new_object_id();
    let b: ObjectId = pdf.doc.new_object_id();
    pdf.doc.objects.insert(
        a,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![b.into()], "Count" => 1 },
        ),
    );
    pdf.doc.objects.insert(
        b,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![a.into()], "Count" => 1 },
        ),
    );
    let mut doc = pdf.document();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let pages = doc.get_dictionary_mut(root).unwrap();
    let mut kids = pages.get(b"Kids").unwrap().as_array().unwrap().clone();
    kids.push(a.into());
    pages.set("Kids", kids);
    let bytes = save(&mut doc);
    let findings = inspect_pdf(&bytes, &IntakeLimits::default()).unwrap_err();
    assert_eq!(findings[0].code, "pdf.page_tree_invalid", "{findings:?}");
    assert!(
        findings[0].message.contains("loop"),
        "{}",
        findings[0].message
    );
}

#[test]
fn a_count_that_lies_is_refused() {
    let findings = inspect_pdf(&count_lies(), &IntakeLimits::default()).unwrap_err();
    assert_eq!(findings[0].code, "pdf.page_tree_invalid");
    assert!(
        findings[0].message.contains("100000"),
        "{}",
        findings[0].message
    );
}

#[test]
fn a_bomb_split_over_streams_each_under_the_limit_is_refused_by_the_document_budget() {
    let limits = IntakeLimits {
        max_decompressed_bytes: 2 * 1024 * 1024,
        max_document_bytes: 8 * 1024 * 1024,
        ..IntakeLimits::default()
    };
    // Each stream alone is accepted...
    let one = object_stream_bomb(1, 1024 * 1024);
    assert!(load_pdf(&one, &limits).is_ok());
    // ...twelve of them together are 12 MiB.
    let many = object_stream_bomb(12, 1024 * 1024);
    let refusal = load_pdf(&many, &limits).unwrap_err();
    assert_eq!(refusal.code, "pdf.too_much_data", "{refusal:?}");
    // The budget is per document: a larger one entered by the caller lets it
    // through, a smaller one refuses even one stream.
    let big = Budget::new(64 * 1024 * 1024);
    {
        let _entered = big.enter();
        assert!(load_pdf(&many, &limits).is_ok());
    }
    let small = Budget::new(512 * 1024);
    let _entered = small.enter();
    assert_eq!(
        load_pdf(&one, &limits).unwrap_err().code,
        "pdf.too_much_data"
    );
}

#[test]
fn the_document_budget_grows_with_the_file_up_to_its_maximum() {
    let limits = IntakeLimits::default();
    assert_eq!(limits.document_budget(1_000), 16 * 1024 * 1024);
    assert_eq!(limits.document_budget(1024 * 1024), 100 * 1024 * 1024);
    assert_eq!(limits.document_budget(50 * 1024 * 1024), 256 * 1024 * 1024);
}

#[test]
fn work_past_its_time_budget_stops_with_a_code() {
    let bytes = page_reused(2);
    let budget = Budget::with_time(1024 * 1024 * 1024, Duration::ZERO);
    let _entered = budget.enter();
    let refusal = load_pdf(&bytes, &IntakeLimits::default()).unwrap_err();
    assert_eq!(refusal.code, "pdf.too_slow");
}

/// A document encrypted with an owner password only (it opens without one,
/// and lopdf then decrypts it while loading) with an update whose
/// cross-reference stream puts one object in each of `count` object streams
/// of `each` bytes once unpacked: lopdf decompresses those outside the load
/// filter. (lopdf's writer leaves object streams out, so the update is
/// written here, each stream encrypted with the document's key.)
fn encrypted_object_stream_bomb(count: usize, each: usize) -> Vec<u8> {
    use courrier_documents::lopdf::encryption::encrypt_object;
    let mut doc = one_page().document();
    let state = encrypt_aes128(&mut doc, "");
    let mut out = save(&mut doc);
    let text = String::from_utf8_lossy(&out).into_owned();
    let prev: usize = text
        .rsplit("startxref")
        .next()
        .and_then(|tail| tail.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let trailer_ref = |key: &[u8]| doc.trailer.get(key).unwrap().as_reference().unwrap();
    let (root, encrypt) = (trailer_ref(b"Root"), trailer_ref(b"Encrypt"));
    let outer = deflate(&deflate(&vec![b' '; each]));
    let first = doc.max_id + 1;
    let count32 = u32::try_from(count).unwrap();
    // Containers first..first+count, their members after, then the
    // cross-reference stream.
    let mut rows = Vec::new();
    let row = |rows: &mut Vec<u8>, kind: u8, a: u32, b: u16| {
        rows.push(kind);
        rows.extend_from_slice(&a.to_be_bytes());
        rows.extend_from_slice(&b.to_be_bytes());
    };
    for i in 0..count32 {
        let id = (first + i, 0);
        let mut stream = Object::Stream(Stream::new(dictionary! {}, outer.clone()));
        encrypt_object(&state, id, &mut stream).unwrap();
        let content = &stream.as_stream().unwrap().content;
        row(&mut rows, 1, u32::try_from(out.len()).unwrap(), 0);
        out.extend_from_slice(
            format!(
                "{} 0 obj\n<< /Type /ObjStm /N 1 /First 0 /Filter [/FlateDecode /FlateDecode] /Length {} >>\nstream\n",
                id.0,
                content.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(content);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    }
    for i in 0..count32 {
        row(&mut rows, 2, first + i, 0);
    }
    let xref_id = first + 2 * count32;
    let offset = out.len();
    row(&mut rows, 1, u32::try_from(offset).unwrap(), 0);
    out.extend_from_slice(
        format!(
            "{xref_id} 0 obj\n<< /Type /XRef /Size {} /W [1 4 2] /Index [{first} {}] /Prev {prev} /Root {} 0 R /Encrypt {} 0 R /ID [<30313233343536373839616263646566> <66656463626139383736353433323130>] /Length {} >>\nstream\n",
            xref_id + 1,
            2 * count + 1,
            root.0,
            encrypt.0,
            rows.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&rows);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{offset}\n%%EOF\n").as_bytes());
    out
}

#[test]
fn an_encrypted_document_counts_its_object_streams_against_the_document_budget() {
    let limits = IntakeLimits::default();
    // Twelve object streams of 4 MiB each: each is far under the per-stream
    // limit (64 MiB), all together three times the budget of a small file.
    let bomb = encrypted_object_stream_bomb(12, 4 * 1024 * 1024);
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    let started = std::time::Instant::now();
    let refusal = load_pdf(&bomb, &limits).unwrap_err();
    assert_eq!(refusal.code, "pdf.too_much_data", "{refusal:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // With a budget that covers it, it is read (and decrypted).
    let big = Budget::new(1024 * 1024 * 1024);
    {
        let _entered = big.enter();
        let doc = load_pdf(&bomb, &limits).unwrap();
        assert!(doc.was_encrypted());
    }
    // A small encrypted document that opens without a password still loads
    // within the default budget.
    let mut small = one_page().document();
    encrypt_aes128(&mut small, "");
    let bytes = save(&mut small);
    assert!(load_pdf(&bytes, &limits).unwrap().was_encrypted());
}
