//! Letters with a letterhead and printed attachments: the sheets and the
//! price count the attachments (on a fresh sheet), the stored document is
//! the composed PDF, a draft is composed anew when its sides change, and a
//! bad part is refused with its code and field while nothing is stored.
//! Each test runs on both backends: `cargo test -p courrier-app --test
//! composition sqlite` runs one.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::letters::{AttachmentInput, BackgroundInput, LetterInput};
use courrier_documents::lopdf::{Document, Object, dictionary};
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_documents::{IntakeLimits, TextReader, WindowStandard, load_pdf, read_window_in};
use courrier_domain::letters::{
    BackgroundScope, Colour, Country, Envelope, Paper, PrintOptions, Product, Registered, Sides,
    TariffTable, quote,
};
use courrier_store::LetterFilter;

on_both_backends!(
    letterhead_on_all_pages_and_an_attachment_in_duplex,
    bad_parts_are_refused_and_nothing_is_stored,
);

const LETTERHEAD: &str = "Helvetia Fiduciaire SA - letterhead";

/// A sample letter of `pages` pages to a Lausanne bakery.
fn letter_pdf(pages: u32) -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: vec![
                "Boulangerie Dupont SàRL".into(),
                "Rue de Bourg 12".into(),
                "1003 Lausanne".into(),
            ],
            pages,
            reference: "INV-77".into(),
        }],
        &[],
    )
}

/// A page with only `lines` at the top (a letterhead, a coupon).
fn plain_pdf(pages: u32, lines: &[&str]) -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: Vec::new(),
            pages,
            reference: "X".into(),
        }],
        lines,
    )
}

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

fn composed_input(sides: Sides) -> LetterInput {
    LetterInput {
        sides,
        background: Some(BackgroundInput {
            // Its eighth line falls in the clear zone above the window
            // (45-60 mm from the top): a letterhead logo may sit there.
            pdf: plain_pdf(1, &[LETTERHEAD, "", "", "", "", "", "", "LOGO"]),
            scope: BackgroundScope::AllPages,
        }),
        attachments: vec![AttachmentInput {
            name: "coupon.pdf".into(),
            pdf: plain_pdf(1, &["Reply coupon"]),
        }],
        ..LetterInput::default()
    }
}

async fn letterhead_on_all_pages_and_an_attachment_in_duplex(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("sender").await;
    let input = composed_input(Sides::Duplex);
    let prepared = env
        .app
        .create_letter(&org.actor, &letter_pdf(3), &input, false)
        .await
        .unwrap();
    let letter = prepared.record;
    // 3 pages duplex = 2 sheets, the coupon on a fresh sheet = 1 more.
    assert_eq!(letter.pages, 3);
    assert_eq!(letter.sheets, 3);
    assert_eq!(letter.background, Some(BackgroundScope::AllPages));
    assert_eq!(letter.attachments.len(), 1);
    assert_eq!(letter.attachments[0].name, "coupon.pdf");
    assert_eq!(letter.attachments[0].pages, 1);
    assert_eq!(letter.recipient.name, "Boulangerie Dupont SàRL");
    // Priced on 3 sheets, the attachment included.
    let ch = Country::parse("CH").unwrap();
    let options = PrintOptions::new(
        Envelope::C5,
        Colour::BlackWhite,
        Sides::Duplex,
        Paper::G80,
        3,
        1,
        Some(BackgroundScope::AllPages),
    )
    .unwrap();
    let expected = quote(
        &TariffTable::seed_for(&ch).unwrap(),
        &options,
        Product::Priority,
        Registered::None,
        &ch,
    )
    .unwrap();
    assert_eq!(letter.price_total, expected.total.minor());
    assert_eq!(letter.weight_grams as u32, expected.weight_grams);
    let plain = env
        .app
        .quote_letter(
            &org.actor,
            &letter_pdf(3),
            &LetterInput {
                sides: Sides::Duplex,
                ..LetterInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(plain.record.sheets, 2);
    assert!(plain.composed.is_none());

    // The stored document is the composed one: 3 pages with the letterhead,
    // a blank page, the coupon.
    let stored = env.app.letter_pdf(&org.actor, letter.id).await.unwrap();
    let doc = load_pdf(&stored, &IntakeLimits::default()).unwrap();
    assert_eq!(doc.get_pages().len(), 5);
    for page in 0..3 {
        let text = text_of(&doc, page);
        assert!(text.contains(LETTERHEAD), "page {page}: {text}");
        assert!(text.contains("INV-77"), "page {page}: {text}");
    }
    assert_eq!(text_of(&doc, 3), "");
    assert!(text_of(&doc, 4).contains("Reply coupon"));
    let window = read_window_in(&doc, 0, WindowStandard::SwissLeft).unwrap();
    assert_eq!(
        window.address_lines().first().map(String::as_str),
        Some("Boulangerie Dupont SàRL")
    );
    // The composed page has the logo in its clear zone; the letter was
    // judged on its own page 1.
    let composed_page = TextReader::new(&doc).page_text(0).unwrap();
    assert!(
        composed_page
            .clear_zone_is_empty(WindowStandard::SwissLeft)
            .is_err()
    );

    // Simplex: composed anew without the blank page, same letterhead and
    // coupon, a new document.
    let simplex = env
        .app
        .update_draft(
            &org.actor,
            letter.id,
            &LetterInput {
                sides: Sides::Simplex,
                ..LetterInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(simplex.record.sheets, 4);
    assert_eq!(simplex.record.background, Some(BackgroundScope::AllPages));
    assert_eq!(simplex.record.attachments, letter.attachments);
    assert_ne!(simplex.record.document, letter.document);
    let stored = env.app.letter_pdf(&org.actor, letter.id).await.unwrap();
    let doc = load_pdf(&stored, &IntakeLimits::default()).unwrap();
    assert_eq!(doc.get_pages().len(), 4);
    assert!(text_of(&doc, 2).contains(LETTERHEAD));
    // The letterhead is laid once, not once more per change.
    assert_eq!(text_of(&doc, 0).matches(LETTERHEAD).count(), 1);
    assert!(text_of(&doc, 3).contains("Reply coupon"));
    let back = env.app.letter(&org.actor, letter.id).await.unwrap().letter;
    assert_eq!(back.sheets, 4);
    assert_eq!(back.recipient.name, "Boulangerie Dupont SàRL");
    env.close().await;
}

/// A PDF whose catalog runs JavaScript when opened.
fn with_javascript(pdf: &[u8]) -> Vec<u8> {
    let mut doc = load_pdf(pdf, &IntakeLimits::default()).unwrap();
    let js = doc.add_object(dictionary! {
        "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)"),
    });
    doc.catalog_mut().unwrap().set("OpenAction", js);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

async fn bad_parts_are_refused_and_nothing_is_stored(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("sender").await;
    let findings = |r: Result<_, AppError>| match r {
        Err(AppError::Findings(list)) => list,
        other => panic!("expected findings, got {other:?}"),
    };

    let mut input = composed_input(Sides::Simplex);
    input.background = Some(BackgroundInput {
        pdf: with_javascript(&plain_pdf(1, &[LETTERHEAD])),
        scope: BackgroundScope::FirstPage,
    });
    let list = findings(
        env.app
            .create_letter(&org.actor, &letter_pdf(1), &input, false)
            .await,
    );
    let bg = list
        .iter()
        .find(|i| i.code == "letter.background_invalid")
        .expect("background refused");
    assert_eq!(bg.field, "background");
    assert!(bg.message.contains("pdf.javascript"), "{}", bg.message);

    let mut input = composed_input(Sides::Simplex);
    input.attachments.push(AttachmentInput {
        name: "broken.pdf".into(),
        pdf: b"not a pdf".to_vec(),
    });
    let list = findings(
        env.app
            .create_letter(&org.actor, &letter_pdf(1), &input, false)
            .await,
    );
    let a = list
        .iter()
        .find(|i| i.code == "letter.attachment_invalid")
        .expect("attachment refused");
    assert_eq!(a.field, "attachment");
    assert!(a.message.contains("broken.pdf") && a.message.contains("pdf.unreadable"));

    // A C5 envelope holds 8 sheets: a 5-page letter and a 4-page coupon in
    // simplex make 9.
    let mut input = composed_input(Sides::Simplex);
    input.attachments = vec![AttachmentInput {
        name: "flyer.pdf".into(),
        pdf: plain_pdf(4, &["Flyer"]),
    }];
    let list = findings(
        env.app
            .create_letter(&org.actor, &letter_pdf(5), &input, false)
            .await,
    );
    assert!(
        list.iter().any(|i| i.code == "letter.too_many_sheets"),
        "{list:?}"
    );

    let letters = env
        .app
        .letters(&org.actor, &LetterFilter::default(), None, 50)
        .await
        .unwrap();
    assert!(letters.items.is_empty(), "nothing was stored");
    env.close().await;
}
