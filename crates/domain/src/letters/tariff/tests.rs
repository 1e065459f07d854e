use super::*;
use crate::letters::{Envelope, Paper, Sides};
use proptest::prelude::*;

fn bw(envelope: Envelope, pages: u32) -> PrintOptions {
    PrintOptions::new(
        envelope,
        Colour::BlackWhite,
        Sides::Simplex,
        Paper::G80,
        pages,
        0,
        None,
    )
    .unwrap()
}

#[test]
fn seeds_pass_validation_and_rise_with_weight() {
    for t in [
        TariffTable::swiss_post(),
        TariffTable::bpost(),
        TariffTable::la_poste(),
    ] {
        let again = TariffTable::new(
            t.carrier(),
            t.country(),
            t.currency(),
            t.steps().to_vec(),
            t.fees(),
            t.vat_rate_bp(),
        );
        assert_eq!(again.as_ref(), Ok(&t), "{}", t.carrier());
        for w in t.steps().windows(2) {
            for (a, b) in w[0].prices().iter().zip(w[1].prices()) {
                assert!(*a <= b, "{}: prices must not fall with weight", t.carrier());
            }
        }
        // The heaviest letter the print line makes must fit every seed.
        let heaviest = PrintOptions::new(
            Envelope::C4,
            Colour::Colour,
            Sides::Simplex,
            Paper::G90,
            25,
            0,
            None,
        )
        .unwrap();
        assert!(t.step_for(heaviest.weight_grams()).is_some());
    }
    assert_eq!(TariffTable::swiss_post().currency(), Currency::CHF);
    assert_eq!(TariffTable::bpost().vat_rate_bp(), 2100);
    assert_eq!(TariffTable::la_poste().vat_rate_bp(), 2000);
    assert_eq!(
        TariffTable::seed_for(&Country::BE).unwrap().carrier(),
        "bpost"
    );
    assert!(TariffTable::seed_for(&Country::DE).is_none());
    assert_eq!(vat_rate_bp(&Country::DE), Some(1900));
}

#[test]
fn swiss_priority_letter() {
    // 2 sheets B/W in US/DL: 10 g + 5 g = 15 g → 20 g step.
    let q = quote(
        &TariffTable::swiss_post(),
        &bw(Envelope::UsDl, 2),
        Product::Priority,
        Registered::None,
        &Country::CH,
    )
    .unwrap();
    assert_eq!(q.weight_grams, 15);
    assert_eq!(q.postage, Money::new(130, Currency::CHF));
    assert_eq!(q.printing.minor(), 40 + 2 * 15);
    assert_eq!(q.services.minor(), 0);
    assert_eq!(q.net.minor(), 200);
    // 200 × 8.1 % = 16.2 → 16.
    assert_eq!(q.vat.minor(), 16);
    assert_eq!(q.total.to_string(), "CHF 2.16");
}

#[test]
fn registered_with_ar_and_colour() {
    let opts = PrintOptions::new(
        Envelope::C4,
        Colour::Colour,
        Sides::Duplex,
        Paper::G90,
        20,
        2,
        None,
    )
    .unwrap();
    // 10 + 1 sheets of 90 g = 61.75 g → 62 g + 24 g = 86 g → bpost 100 g step.
    let q = quote(
        &TariffTable::bpost(),
        &opts,
        Product::Priority,
        Registered::RegisteredWithAr,
        &Country::BE,
    )
    .unwrap();
    assert_eq!(q.weight_grams, 86);
    assert_eq!(q.postage.minor(), 440);
    assert_eq!(q.printing.minor(), 35 + 11 * 35);
    assert_eq!(q.services.minor(), 650 + 160);
    assert_eq!(q.net.minor(), 440 + 420 + 810);
    // 1670 × 21 % = 350.7 → 351.
    assert_eq!(q.vat.minor(), 351);
    assert_eq!(q.total.minor(), 2021);
    assert_eq!(q.total.currency(), Currency::EUR);
}

#[test]
fn international_by_zone() {
    let t = TariffTable::la_poste();
    let o = bw(Envelope::UsDl, 1);
    let eu = quote(
        &t,
        &o,
        Product::InternationalPriority,
        Registered::None,
        &Country::DE,
    )
    .unwrap();
    let gb = quote(
        &t,
        &o,
        Product::InternationalPriority,
        Registered::None,
        &Country::parse("GB").unwrap(),
    )
    .unwrap();
    let us = quote(
        &t,
        &o,
        Product::InternationalPriority,
        Registered::None,
        &Country::parse("US").unwrap(),
    )
    .unwrap();
    assert_eq!(
        (eu.postage.minor(), gb.postage.minor(), us.postage.minor()),
        (210, 210, 240)
    );
}

#[test]
fn route_rules_apply_to_quotes() {
    let t = TariffTable::swiss_post();
    let o = bw(Envelope::C5, 3);
    let err = quote(
        &t,
        &o,
        Product::InternationalPriority,
        Registered::Registered,
        &Country::FR,
    )
    .unwrap_err();
    assert_eq!(err.code, "letter.registered_abroad");
    let err = quote(&t, &o, Product::Priority, Registered::None, &Country::FR).unwrap_err();
    assert_eq!(err.code, "letter.product_destination_mismatch");
}

#[test]
fn too_heavy() {
    let light = TariffTable::new(
        "Tiny Post",
        Country::CH,
        Currency::CHF,
        vec![WeightStep::new(20, 100, 90, 200, 300)],
        SWISS_POST_FEES,
        810,
    )
    .unwrap();
    assert!(
        quote(
            &light,
            &bw(Envelope::UsDl, 3),
            Product::Priority,
            Registered::None,
            &Country::CH
        )
        .is_ok()
    );
    let err = quote(
        &light,
        &bw(Envelope::UsDl, 4),
        Product::Priority,
        Registered::None,
        &Country::CH,
    )
    .unwrap_err();
    assert_eq!(err.code, "letter.too_heavy");
    assert!(
        err.message.contains("25 g") && err.message.contains("20 g"),
        "{}",
        err.message
    );
}

#[test]
fn table_validation() {
    let step = |g| WeightStep::new(g, 100, 90, 200, 300);
    let mk = |steps: Vec<WeightStep>, fees: ServiceFees, vat: u32| {
        TariffTable::new("X", Country::CH, Currency::CHF, steps, fees, vat)
            .map(|_| ())
            .map_err(|e| (e.field, e.code))
    };
    assert_eq!(mk(vec![step(20), step(50)], SWISS_POST_FEES, 810), Ok(()));
    assert_eq!(
        mk(vec![], SWISS_POST_FEES, 810),
        Err(("steps", codes::TARIFF_INVALID))
    );
    assert_eq!(
        mk(vec![step(50), step(20)], SWISS_POST_FEES, 810),
        Err(("steps", codes::TARIFF_INVALID))
    );
    assert_eq!(
        mk(vec![step(20), step(20)], SWISS_POST_FEES, 810),
        Err(("steps", codes::TARIFF_INVALID))
    );
    assert_eq!(
        mk(vec![step(0)], SWISS_POST_FEES, 810),
        Err(("steps", codes::TARIFF_INVALID))
    );
    assert_eq!(
        mk(vec![WeightStep::new(20, -1, 0, 0, 0)], SWISS_POST_FEES, 810),
        Err(("steps", codes::TARIFF_INVALID))
    );
    let neg = ServiceFees {
        registered: -5,
        ..SWISS_POST_FEES
    };
    assert_eq!(
        mk(vec![step(20)], neg, 810),
        Err(("fees", codes::TARIFF_INVALID))
    );
    assert_eq!(
        mk(vec![step(20)], SWISS_POST_FEES, 10_001),
        Err(("vat_rate", codes::TARIFF_INVALID))
    );
}

#[test]
fn prices_and_rates_are_read_exactly() {
    let p = |s| parse_price("fees", s).map_err(|e| e.code);
    assert_eq!(p("1.20"), Ok(120));
    assert_eq!(p(" 1,2 "), Ok(120));
    assert_eq!(p("7"), Ok(700));
    assert_eq!(p(".05"), Ok(5));
    assert_eq!(p("0.1"), Ok(10));
    assert_eq!(p("1000000.00"), Ok(100_000_000));
    for bad in [
        "", " ", ".", "-1", "+1", "1.234", "1.2.3", "1 000", "1'000", "abc", "1e3", "0x10",
    ] {
        assert_eq!(p(bad), Err(codes::TARIFF_AMOUNT_INVALID), "{bad:?}");
    }
    assert_eq!(p("9999999999999999"), Err(codes::TARIFF_AMOUNT_INVALID));
    let err = parse_price("fees", "1.234").unwrap_err();
    assert_eq!(err.field, "fees");
    assert!(err.message.contains("1.234"), "{}", err.message);

    assert_eq!(parse_vat_percent("8.1"), Ok(810));
    assert_eq!(parse_vat_percent("21"), Ok(2100));
    assert_eq!(parse_vat_percent("7,75"), Ok(775));
    assert_eq!(parse_vat_percent("0"), Ok(0));
    assert_eq!(
        parse_vat_percent("8.125").map_err(|e| (e.field, e.code)),
        Err(("vat_rate", codes::TARIFF_VAT_INVALID))
    );
    assert!(parse_vat_percent("-8").is_err());
}

#[test]
fn revised_keeps_country_and_currency() {
    let t = TariffTable::swiss_post();
    let mut steps = t.steps().to_vec();
    steps[0].priority = 150;
    let r = t.revised("  Swiss Post AG ", steps, t.fees(), 770).unwrap();
    assert_eq!(r.carrier(), "Swiss Post AG");
    assert_eq!((r.country(), r.currency()), (Country::CH, Currency::CHF));
    assert_eq!(r.steps()[0].priority, 150);
    assert_eq!(r.vat_rate_bp(), 770);
    let err = t
        .revised(" ", t.steps().to_vec(), t.fees(), 810)
        .unwrap_err();
    assert_eq!((err.field, err.code), ("carrier", codes::TARIFF_INVALID));
    let err = t
        .revised("Swiss Post", Vec::new(), t.fees(), 810)
        .unwrap_err();
    assert_eq!((err.field, err.code), ("steps", codes::TARIFF_INVALID));
    assert_eq!(
        TariffTable::seeds().map(|s| s.country()),
        [Country::CH, Country::BE, Country::FR]
    );
}

#[test]
fn vat_rounds_half_up() {
    assert_eq!(vat_of(200, 810), 16); // 16.2
    assert_eq!(vat_of(1000, 2150), 215);
    assert_eq!(vat_of(50, 2100), 11); // 10.5 → 11
    assert_eq!(vat_of(10, 2000), 2);
    assert_eq!(vat_of(3, 1900), 1); // 0.57 → 1
    assert_eq!(vat_of(2, 2500), 1); // 0.5 → 1
    assert_eq!(vat_of(1, 2500), 0); // 0.25 → 0
    assert_eq!(vat_of(0, 810), 0);
    assert_eq!(vat_of(-50, 2100), -11);
}

fn options() -> impl Strategy<Value = PrintOptions> {
    (
        0usize..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        1u32..60,
        0u32..4,
    )
        .prop_filter_map("must fit", |(e, colour, duplex, heavy, pages, att)| {
            let colour = if colour {
                Colour::Colour
            } else {
                Colour::BlackWhite
            };
            let paper = if heavy || colour == Colour::Colour {
                Paper::G90
            } else {
                Paper::G80
            };
            let sides = if duplex {
                Sides::Duplex
            } else {
                Sides::Simplex
            };
            PrintOptions::new(Envelope::ALL[e], colour, sides, paper, pages, att, None).ok()
        })
}

proptest! {
    #[test]
    fn quote_adds_up(o in options(), t in 0usize..3, p in 0usize..3, r in 0usize..3, dest in "[A-Z]{2}") {
        let table = [TariffTable::swiss_post(), TariffTable::bpost(), TariffTable::la_poste()][t].clone();
        let dest = Country::parse(&dest).unwrap();
        let (product, registered) = (Product::ALL[p], Registered::ALL[r]);
        match quote(&table, &o, product, registered, &dest) {
            Ok(q) => {
                prop_assert_eq!(q.net.minor(), q.postage.minor() + q.printing.minor() + q.services.minor());
                prop_assert_eq!(q.total.minor(), q.net.minor() + q.vat.minor());
                // Half-up: |vat − net × rate| ≤ ½ minor unit, and exactly ½ rounds up.
                let exact = i128::from(q.net.minor()) * i128::from(q.vat_rate_bp);
                let diff = i128::from(q.vat.minor()) * 10_000 - exact;
                prop_assert!(diff > -5_000 && diff <= 5_000);
                prop_assert!(q.postage.minor() > 0);
                prop_assert_eq!(q.total.currency(), table.currency());
                prop_assert_eq!(q.weight_grams, o.weight_grams());
            }
            Err(e) => prop_assert!(
                ["letter.registered_abroad", "letter.product_destination_mismatch", "letter.registered_needs_priority"]
                    .contains(&e.code.as_str()),
                "{}", e.code
            ),
        }
    }

    #[test]
    fn heavier_never_cheaper(pages in 1u32..25, t in 0usize..3) {
        let table = [TariffTable::swiss_post(), TariffTable::bpost(), TariffTable::la_poste()][t].clone();
        let home = table.country();
        let q = |n| quote(&table, &bw(Envelope::C4, n), Product::Priority, Registered::None, &home).unwrap();
        prop_assert!(q(pages + 1).postage.minor() >= q(pages).postage.minor());
        prop_assert!(q(pages + 1).total.minor() > q(pages).total.minor());
    }
}
