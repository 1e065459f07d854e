//! Composing letters from PDFs built in code (the test fixtures): a letter
//! whose Resources and MediaBox are inherited from the page tree and whose
//! Contents is an array, a letterhead in a CID font with a shifted MediaBox,
//! an attachment with its own fonts; the output is saved, loaded again and
//! read with the crate's own text extraction.
use crate::support::*;
use courrier_documents::compose::{BACKGROUND_INVALID, PartKind, compose, decompose, load_part};
use courrier_documents::lopdf::{Document, Object, Stream, dictionary};
use courrier_documents::split::to_bytes;
use courrier_documents::{
    IntakeLimits, TextReader, WindowStandard, clear_zone_is_empty, inspect_document, load_pdf,
    read_window_in,
};
use courrier_domain::letters::{BackgroundScope, Sides};

fn text_of(doc: &Document, page: usize) -> String {
    TextReader::new(doc)
        .page_text(page)
        .unwrap()
        .runs
        .iter()
        .map(|r| r.text.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A 3-page letter: MediaBox and Resources on the page tree root, page 1's
/// Contents an array of two streams.
fn letter() -> Document {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    pdf.pages_entry(
        "MediaBox",
        Object::Array(A4.iter().map(|v| Object::Real(*v)).collect()),
    );
    pdf.pages_entry(
        "Resources",
        Object::Dictionary(dictionary! { "Font" => dictionary! { "F1" => f1 } }),
    );
    let address = helvetica_lines(
        mm(24.0),
        y_from_top(65.0),
        &["Garage du Lac SA", "Quai du Mont-Blanc 5", "1201 Genève"],
    );
    let body = helvetica_lines(mm(22.0), y_from_top(110.0), &["Dear customer,"]);
    let first = pdf
        .doc
        .add_object(Stream::new(dictionary! {}, body.into_bytes()));
    let page = pdf.page_dict(dictionary! { "Type" => "Page" }, address.as_bytes());
    let contents = pdf
        .doc
        .get_dictionary(page)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .clone();
    pdf.doc
        .get_dictionary_mut(page)
        .unwrap()
        .set("Contents", vec![contents, first.into()]);
    for n in 2..=3 {
        let text = helvetica_lines(mm(22.0), y_from_top(30.0), &[&format!("Page {n} text")]);
        pdf.page_dict(dictionary! { "Type" => "Page" }, text.as_bytes());
    }
    let bytes = pdf.bytes();
    load_pdf(&bytes, &IntakeLimits::default()).unwrap()
}

/// A letterhead in the test CID font, on an A4 MediaBox that does not start
/// at the origin, with a logo in the clear (franking) zone above the window.
fn letterhead() -> Vec<u8> {
    let mut pdf = Pdf::new();
    let cid = pdf.cid_font();
    let (dx, dy) = (100.0, 50.0);
    let media = [dx, dy, dx + A4[2], dy + A4[3]];
    let content = format!(
        "BT /C1 10 Tf {:.2} {:.2} Td {} Tj ET\nBT /C1 8 Tf {:.2} {:.2} Td {} Tj ET\n",
        dx + mm(22.0),
        dy + y_from_top(15.0),
        cid_hex("Muster Treuhand AG"),
        dx + mm(30.0),
        dy + y_from_top(50.0),
        cid_hex("LOGO"),
    );
    pdf.page(media, None, content.as_bytes(), &[("C1", cid)]);
    pdf.bytes()
}

/// A one-page attachment with its own Helvetica under another resource name.
fn coupon() -> Document {
    let mut pdf = Pdf::new();
    let f = pdf.helvetica();
    let content = "BT /Coupon 11 Tf 60 400 Td (Reply coupon) Tj ET\n";
    pdf.page(A4, None, content.as_bytes(), &[("Coupon", f)]);
    let bytes = pdf.bytes();
    load_pdf(&bytes, &IntakeLimits::default()).unwrap()
}

#[test]
fn fixtures_compose_and_read_back() {
    let letter = letter();
    let head = load_part(
        &letterhead(),
        &IntakeLimits::default(),
        PartKind::Background,
        "head.pdf",
    )
    .unwrap();
    // The letterhead's logo sits in the franking zone; the letter's own page
    // 1 is what the clear-zone check reads, and it is clear.
    let own = TextReader::new(&letter).page_text(0).unwrap();
    own.clear_zone_is_empty(WindowStandard::SwissLeft).unwrap();

    let mut out = compose(
        &letter,
        Some((&head.doc, BackgroundScope::AllPages)),
        &[&coupon()],
        Sides::Duplex,
    )
    .unwrap();
    let bytes = to_bytes(&mut out);
    let again = load_pdf(&bytes, &IntakeLimits::default()).unwrap();
    inspect_document(&again, &IntakeLimits::default()).unwrap();
    // 3 letter pages, a blank page (duplex, odd), the coupon.
    assert_eq!(again.get_pages().len(), 5);
    let first = text_of(&again, 0);
    assert!(first.contains("Muster Treuhand AG"), "{first}");
    assert!(first.contains("Dear customer,"), "{first}");
    assert!(text_of(&again, 2).contains("Muster Treuhand AG"));
    assert!(text_of(&again, 2).contains("Page 3 text"));
    assert_eq!(text_of(&again, 3), "");
    assert!(text_of(&again, 4).contains("Reply coupon"));

    // The shifted MediaBox is mapped: the letterhead line is where it was
    // seen on its own page, 15 mm from the top and 22 mm from the left.
    let page = TextReader::new(&again).page_text(0).unwrap();
    let run = page
        .runs
        .iter()
        .find(|r| r.text.contains("Muster"))
        .unwrap();
    assert!((run.x - mm(22.0)).abs() < 0.5, "{}", run.x);
    assert!((run.y - y_from_top(15.0)).abs() < 0.5, "{}", run.y);
    // The window is read from the composed page 1; the composed page's
    // clear zone now holds the logo, which is why intake checks the
    // letter's own page.
    let window = read_window_in(&again, 0, WindowStandard::SwissLeft).unwrap();
    assert_eq!(
        window.address_lines(),
        vec!["Garage du Lac SA", "Quai du Mont-Blanc 5", "1201 Genève"]
    );
    assert!(clear_zone_is_empty(&again, 0, WindowStandard::SwissLeft).is_err());

    // Both documents' fonts survive, under names that do not collide.
    let fonts: Vec<String> = again
        .objects
        .values()
        .filter_map(|o| match o {
            Object::Dictionary(d) => d.get(b"BaseFont").ok(),
            _ => None,
        })
        .filter_map(|n| n.as_name().ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    assert!(fonts.iter().any(|f| f == "ABCDEF+NotoSans"), "{fonts:?}");
    assert!(fonts.iter().any(|f| f == "Helvetica"), "{fonts:?}");
    let ids: std::collections::BTreeSet<_> = again.objects.keys().collect();
    assert_eq!(ids.len(), again.objects.len());

    // And it comes apart again: the letter without its letterhead.
    let parts = decompose(&again, 3, &[1], Sides::Duplex).unwrap();
    assert_eq!(parts.letter.get_pages().len(), 3);
    assert!(!text_of(&parts.letter, 0).contains("Muster"));
    assert!(text_of(&parts.letter, 0).contains("Dear customer,"));
    let bg = parts.background.unwrap();
    assert!(text_of(&bg, 0).contains("Muster Treuhand AG"));
    inspect_document(&bg, &IntakeLimits::default()).unwrap();
    assert!(text_of(&parts.attachments[0], 0).contains("Reply coupon"));
}

#[test]
fn a_letterhead_that_is_not_a4_is_refused() {
    let mut pdf = Pdf::new();
    let f1 = pdf.helvetica();
    pdf.page([0.0, 0.0, 612.0, 792.0], None, b"", &[("F1", f1)]);
    let errors = load_part(
        &pdf.bytes(),
        &IntakeLimits::default(),
        PartKind::Background,
        "letter.pdf",
    )
    .unwrap_err();
    assert_eq!(errors[0].code, BACKGROUND_INVALID);
    assert!(errors[0].message.contains("pdf.not_a4"));
}

/// A letter whose catalog's /Pages is its page itself (seen in the wild,
/// read by intake as one page) takes a letterhead and attachments; the
/// composed letter has a page tree and comes apart again.
#[test]
fn a_letter_whose_page_tree_root_is_its_page_composes() {
    let limits = IntakeLimits::default();
    let mut doc = load_pdf(&to_bytes(&mut coupon()), &limits).unwrap();
    let page = doc.get_pages()[&1];
    let old_root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let media = doc
        .get_dictionary(old_root)
        .unwrap()
        .get(b"MediaBox")
        .cloned();
    let resources = doc
        .get_dictionary(old_root)
        .unwrap()
        .get(b"Resources")
        .cloned();
    let dict = doc.get_dictionary_mut(page).unwrap();
    dict.remove(b"Parent");
    if let Ok(media) = media {
        dict.set("MediaBox", media);
    }
    if let Ok(resources) = resources {
        dict.set("Resources", resources);
    }
    doc.catalog_mut().unwrap().set("Pages", page);
    doc.objects.remove(&old_root);
    let letter = load_pdf(&to_bytes(&mut doc), &limits).unwrap();
    assert_eq!(inspect_document(&letter, &limits).unwrap().page_count, 1);
    let background = load_part(&letterhead(), &limits, PartKind::Background, "").unwrap();
    let attachment = coupon();
    let mut composed = compose(
        &letter,
        Some((&background.doc, BackgroundScope::AllPages)),
        &[&attachment, &attachment],
        Sides::Duplex,
    )
    .unwrap();
    let again = load_pdf(&to_bytes(&mut composed), &limits).unwrap();
    assert_eq!(inspect_document(&again, &limits).unwrap().page_count, 4);
    let apart = decompose(&again, 1, &[1, 1], Sides::Duplex).unwrap();
    assert!(apart.background.is_some());
    assert_eq!(apart.attachments.len(), 2);
}

/// A letter whose page tree root holds its /Kids and /Count indirectly,
/// over an intermediate node: the attachments are appended and the root's
/// /Count is the tree's page count (it was the root's kid count).
#[test]
fn a_letter_whose_root_kids_and_count_are_indirect_takes_attachments() {
    let limits = IntakeLimits::default();
    let mut doc = letter();
    let pages = doc.get_pages().len();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let kids = doc
        .get_dictionary(root)
        .unwrap()
        .get(b"Kids")
        .unwrap()
        .clone();
    let middle = doc.add_object(dictionary! {
        "Type" => "Pages", "Parent" => root, "Kids" => kids.clone(), "Count" => pages as i64,
    });
    for kid in kids.as_array().unwrap() {
        let page = kid.as_reference().unwrap();
        doc.get_dictionary_mut(page).unwrap().set("Parent", middle);
    }
    let kids = doc.add_object(vec![Object::Reference(middle)]);
    let count = doc.add_object(pages as i64);
    let node = doc.get_dictionary_mut(root).unwrap();
    node.set("Kids", kids);
    node.set("Count", count);
    let letter = load_pdf(&to_bytes(&mut doc), &limits).unwrap();
    assert_eq!(
        inspect_document(&letter, &limits).unwrap().page_count as usize,
        pages
    );
    let attachment = coupon();
    let mut composed = compose(&letter, None, &[&attachment], Sides::Simplex).unwrap();
    let again = load_pdf(&to_bytes(&mut composed), &limits).unwrap();
    assert_eq!(
        inspect_document(&again, &limits).unwrap().page_count as usize,
        pages + 1
    );
}

/// A damaged letter whose page 2 takes its MediaBox and Resources from a
/// /Parent typed /XRef (not the node it is listed in): intake reads them, but
/// lopdf's writer leaves out objects typed /XRef, so the composed letter's
/// page 2 had no size. The composer now copies inherited attributes onto the
/// letter's pages, as it does for imported ones.
#[test]
fn a_letter_page_inheriting_from_a_parent_typed_xref_keeps_its_size() {
    let limits = IntakeLimits::default();
    let mut doc = letter();
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let node = doc.get_dictionary(root).unwrap().clone();
    let media = node.get(b"MediaBox").unwrap().clone();
    let resources = node.get(b"Resources").unwrap().clone();
    let odd = doc.add_object(dictionary! {
        "Type" => "XRefZ", "MediaBox" => media.clone(), "Resources" => resources.clone(),
    });
    for (i, &page) in pages.iter().enumerate() {
        let dict = doc.get_dictionary_mut(page).unwrap();
        if i == 1 {
            dict.set("Parent", odd);
        } else {
            dict.set("MediaBox", media.clone());
            dict.set("Resources", resources.clone());
        }
    }
    let root = doc.get_dictionary_mut(root).unwrap();
    root.remove(b"MediaBox");
    root.remove(b"Resources");
    // lopdf's writer would leave an object typed /XRef out: it is typed so
    // in the written bytes (same length, so the offsets hold).
    let mut bytes = to_bytes(&mut doc);
    let at = bytes.windows(6).position(|w| w == b"/XRefZ").unwrap();
    bytes[at..at + 6].copy_from_slice(b"/XRef ");
    let letter = load_pdf(&bytes, &limits).unwrap();
    assert_eq!(inspect_document(&letter, &limits).unwrap().page_count, 3);
    let mut composed = compose(&letter, None, &[], Sides::Simplex).unwrap();
    let again = load_pdf(&to_bytes(&mut composed), &limits).unwrap();
    assert_eq!(inspect_document(&again, &limits).unwrap().page_count, 3);
    assert_eq!(text_of(&again, 1), text_of(&letter, 1));
}
