use super::*;
use proptest::prelude::*;

fn opts(
    envelope: Envelope,
    sides: Sides,
    pages: u32,
    attachments: u32,
) -> Result<PrintOptions, Invalid> {
    PrintOptions::new(
        envelope,
        Colour::BlackWhite,
        sides,
        Paper::G80,
        pages,
        attachments,
        None,
    )
}

#[test]
fn envelope_limits_and_weights() {
    assert_eq!(Envelope::UsDl.max_sheets(), 6);
    assert_eq!(Envelope::C5.max_sheets(), 8);
    assert_eq!(Envelope::C4.max_sheets(), 25);
    assert_eq!(Envelope::UsDl.weight_grams(), 5);
    assert_eq!(Envelope::C5.weight_grams(), 9);
    assert_eq!(Envelope::C4.weight_grams(), 24);
    for e in Envelope::ALL {
        assert_eq!(Envelope::parse(e.as_str()).unwrap(), e);
        assert_eq!(Envelope::parse(e.label()).unwrap(), e);
    }
    assert_eq!(
        Envelope::parse("B4").unwrap_err().code,
        "letter.envelope_unknown"
    );
}

#[test]
fn pages_become_sheets() {
    assert_eq!(SheetCount::for_pages(7, Sides::Simplex).get(), 7);
    assert_eq!(SheetCount::for_pages(7, Sides::Duplex).get(), 4);
    assert_eq!(SheetCount::for_pages(8, Sides::Duplex).get(), 4);
    assert_eq!(SheetCount::for_pages(1, Sides::Duplex).get(), 1);
    assert_eq!(SheetCount::for_pages(0, Sides::Duplex).get(), 0);
    assert_eq!(
        SheetCount::for_pages(u32::MAX, Sides::Duplex).get(),
        u32::MAX / 2 + 1
    );
}

#[test]
fn limits_match_the_seed_faq() {
    // "6 pages recto ou 12 pages recto-verso" in US, 8/16 in C5, 25/50 in C4.
    for (e, n) in [(Envelope::UsDl, 6), (Envelope::C5, 8), (Envelope::C4, 25)] {
        assert!(opts(e, Sides::Simplex, n, 0).is_ok());
        assert!(opts(e, Sides::Duplex, 2 * n, 0).is_ok());
        assert_eq!(
            opts(e, Sides::Simplex, n + 1, 0).unwrap_err().code,
            "letter.too_many_sheets"
        );
        assert_eq!(
            opts(e, Sides::Duplex, 2 * n + 1, 0).unwrap_err().code,
            "letter.too_many_sheets"
        );
    }
}

#[test]
fn attachments_count_and_start_on_a_fresh_sheet() {
    // 3 duplex pages = 2 sheets, a 1-page flyer = 1 more sheet.
    assert_eq!(
        opts(Envelope::C5, Sides::Duplex, 3, 1)
            .unwrap()
            .sheets()
            .get(),
        3
    );
    assert_eq!(
        opts(Envelope::UsDl, Sides::Simplex, 5, 1)
            .unwrap()
            .sheets()
            .get(),
        6
    );
    let err = opts(Envelope::UsDl, Sides::Simplex, 5, 2).unwrap_err();
    assert_eq!(err.code, "letter.too_many_sheets");
}

#[test]
fn too_many_sheets_message_is_helpful() {
    let err = opts(Envelope::C5, Sides::Simplex, 9, 0).unwrap_err();
    assert_eq!(err.field, "pages");
    assert!(err.message.contains("9 sheets"), "{}", err.message);
    assert!(err.message.contains("C5"), "{}", err.message);
    assert!(err.message.contains("at most 8"), "{}", err.message);
    assert!(err.message.contains("C4"), "{}", err.message);
    assert!(err.message.contains("duplex"), "{}", err.message);

    let err = opts(Envelope::C4, Sides::Duplex, 51, 0).unwrap_err();
    assert!(
        err.message.contains("26 sheets") && err.message.contains("at most 25"),
        "{}",
        err.message
    );
    assert!(err.message.contains("split"), "{}", err.message);
    assert!(!err.message.contains("duplex printing"), "{}", err.message);
}

#[test]
fn empty_letter_is_refused_even_with_attachments() {
    assert_eq!(
        opts(Envelope::C4, Sides::Simplex, 0, 2).unwrap_err().code,
        "letter.empty"
    );
}

#[test]
fn paper_follows_colour() {
    let colour_80 = PrintOptions::new(
        Envelope::C5,
        Colour::Colour,
        Sides::Simplex,
        Paper::G80,
        1,
        0,
        None,
    );
    assert_eq!(colour_80.unwrap_err().code, "letter.paper_colour_mismatch");
    assert!(
        PrintOptions::new(
            Envelope::C5,
            Colour::Colour,
            Sides::Simplex,
            Paper::G90,
            1,
            0,
            None
        )
        .is_ok()
    );
    assert!(
        PrintOptions::new(
            Envelope::C5,
            Colour::BlackWhite,
            Sides::Simplex,
            Paper::G90,
            1,
            0,
            None
        )
        .is_ok()
    );
    assert_eq!(Colour::BlackWhite.default_paper(), Paper::G80);
    assert_eq!(Colour::Colour.default_paper(), Paper::G90);
}

#[test]
fn weight_is_sheets_times_grammage_plus_envelope() {
    // 1 sheet of 80 g: 4.99 g → 5 g, + 5 g envelope.
    assert_eq!(
        opts(Envelope::UsDl, Sides::Simplex, 1, 0)
            .unwrap()
            .weight_grams(),
        10
    );
    // 3 sheets of 80 g: 14.97 g → 15 g.
    assert_eq!(
        opts(Envelope::UsDl, Sides::Simplex, 3, 0)
            .unwrap()
            .weight_grams(),
        20
    );
    // 25 sheets of 90 g: 140.33 g → 141 g, + 24 g.
    let heavy = PrintOptions::new(
        Envelope::C4,
        Colour::Colour,
        Sides::Simplex,
        Paper::G90,
        25,
        0,
        None,
    )
    .unwrap();
    assert_eq!(heavy.weight_grams(), 165);
    assert_eq!(
        paper_weight_grams(SheetCount::for_pages(0, Sides::Simplex), Paper::G90),
        0
    );
}

#[test]
fn option_names_round_trip() {
    for s in [Sides::Simplex, Sides::Duplex] {
        assert_eq!(Sides::parse(s.as_str()).unwrap(), s);
    }
    for c in [Colour::BlackWhite, Colour::Colour] {
        assert_eq!(Colour::parse(c.as_str()).unwrap(), c);
    }
    for p in [Paper::G80, Paper::G90] {
        assert_eq!(Paper::parse(p.as_str()).unwrap(), p);
    }
    for b in [BackgroundScope::FirstPage, BackgroundScope::AllPages] {
        assert_eq!(BackgroundScope::parse(b.as_str()).unwrap(), b);
    }
    assert_eq!(
        Paper::parse("100g").unwrap_err().code,
        "letter.paper_unknown"
    );
}

fn envelope() -> impl Strategy<Value = Envelope> {
    prop_oneof![Just(Envelope::UsDl), Just(Envelope::C5), Just(Envelope::C4)]
}
fn sides() -> impl Strategy<Value = Sides> {
    prop_oneof![Just(Sides::Simplex), Just(Sides::Duplex)]
}

proptest! {
    #[test]
    fn duplex_never_needs_more_sheets(pages in 0u32..10_000) {
        let s = SheetCount::for_pages(pages, Sides::Simplex).get();
        let d = SheetCount::for_pages(pages, Sides::Duplex).get();
        prop_assert!(d <= s);
        prop_assert!(2 * d >= pages && 2 * d <= pages + 1);
    }

    #[test]
    fn accepted_iff_it_fits(e in envelope(), sd in sides(), pages in 1u32..80, att in 0u32..10) {
        let sheets = SheetCount::for_pages(pages, sd).get() + SheetCount::for_pages(att, sd).get();
        match opts(e, sd, pages, att) {
            Ok(o) => {
                prop_assert!(sheets <= e.max_sheets());
                prop_assert_eq!(o.sheets().get(), sheets);
            }
            Err(err) => {
                prop_assert!(sheets > e.max_sheets());
                prop_assert_eq!(err.code, "letter.too_many_sheets");
            }
        }
    }

    #[test]
    fn weight_grows_with_sheets_and_is_never_under_the_exact_value(sheets in 0u32..1_000, heavy in any::<bool>()) {
        let paper = if heavy { Paper::G90 } else { Paper::G80 };
        let w = paper_weight_grams(SheetCount::for_pages(sheets, Sides::Simplex), paper);
        let w_next = paper_weight_grams(SheetCount::for_pages(sheets + 1, Sides::Simplex), paper);
        prop_assert!(w_next >= w);
        // Exact weight in 1e-5 g is sheets * g * 6237; the rounded value covers it by less than one gram.
        let exact = u64::from(sheets) * u64::from(paper.grams_per_square_metre()) * 6_237;
        prop_assert!(w * 100_000 >= exact && w * 100_000 < exact + 100_000);
    }
}
