use super::*;
use proptest::prelude::*;

fn letter() -> MailItem {
    MailItem::physical(ItemKind::Letter, ItemFormat::A5, Grams::new(20).unwrap())
}

#[test]
fn formats_of_common_items() {
    let f = |w, h| ItemFormat::from_mm(w, h).unwrap();
    assert_eq!(f(105, 148), ItemFormat::A6); // postcard
    assert_eq!(f(148, 105), ItemFormat::A6); // either orientation
    assert_eq!(f(104, 147), ItemFormat::A6); // measured a little short
    assert_eq!(f(114, 162), ItemFormat::A5); // C6 envelope
    assert_eq!(f(110, 220), ItemFormat::A4); // DL envelope
    assert_eq!(f(99, 210), ItemFormat::A5); // A4 folded in three
    assert_eq!(f(162, 229), ItemFormat::A4); // C5 envelope
    assert_eq!(f(229, 324), ItemFormat::A3); // C4 envelope
    assert_eq!(f(211, 298), ItemFormat::A4); // A4 within tolerance
    assert_eq!(f(297, 420), ItemFormat::A3);
    assert_eq!(f(300, 430), ItemFormat::LargerThanA3);
    assert_eq!(f(250, 600), ItemFormat::LargerThanA3); // a poster tube
    assert_eq!(f(55, 85), ItemFormat::SmallerThanA6); // business card
    assert_eq!(f(90, 140), ItemFormat::SmallerThanA6);
    assert_eq!(f(102, 200), ItemFormat::A5); // narrow but long: not small
}

#[test]
fn absurd_dimensions_are_refused() {
    for (w, h) in [(0, 100), (100, 0), (3_001, 100), (u32::MAX, u32::MAX)] {
        assert_eq!(
            ItemFormat::from_mm(w, h).unwrap_err().code,
            "mail.dimensions_invalid"
        );
    }
    assert!(ItemFormat::from_mm(3_000, 3_000).is_ok());
}

#[test]
fn weights() {
    assert_eq!(Grams::new(0).unwrap_err().code, "mail.weight_invalid");
    assert_eq!(Grams::new(100_001).unwrap_err().code, "mail.weight_invalid");
    assert_eq!(Grams::new(1).unwrap().get(), 1);
    assert_eq!(Grams::new(100_000).unwrap().get(), 100_000);
}

#[test]
fn names_round_trip() {
    for k in ItemKind::ALL {
        assert_eq!(ItemKind::parse(k.as_str()).unwrap(), k);
    }
    for f in ItemFormat::ALL {
        assert_eq!(ItemFormat::parse(f.as_str()).unwrap(), f);
    }
    for c in ContentFlag::ALL {
        assert_eq!(ContentFlag::parse(c.as_str()).unwrap(), c);
    }
    for o in [Origin::MailCenter, Origin::Digital] {
        assert_eq!(Origin::parse(o.as_str()).unwrap(), o);
    }
    assert_eq!(
        ItemKind::parse("box").unwrap_err().code,
        "mail.item_kind_unknown"
    );
    assert_eq!(
        ItemFormat::parse("b5").unwrap_err().code,
        "mail.format_unknown"
    );
    assert_eq!(
        ContentFlag::parse("floppy").unwrap_err().code,
        "mail.content_unknown"
    );
    assert_eq!(
        Origin::parse("fax").unwrap_err().code,
        "mail.origin_unknown"
    );
}

#[test]
fn content_flag_sets() {
    let set: ContentFlags = [
        ContentFlag::Cheque,
        ContentFlag::SimCard,
        ContentFlag::Cheque,
    ]
    .into_iter()
    .collect();
    assert_eq!(set.to_csv(), "sim_card,cheque");
    assert_eq!(ContentFlags::parse_csv(" cheque , sim_card,").unwrap(), set);
    assert_eq!(ContentFlags::parse_csv("").unwrap(), ContentFlags::NONE);
    assert!(ContentFlags::NONE.is_empty());
    assert_eq!(
        ContentFlags::parse_csv("cheque,floppy").unwrap_err().code,
        "mail.content_unknown"
    );
}

#[test]
fn a_plain_letter_is_scanned() {
    assert_eq!(scannable(&letter()), Ok(()));
    let large = MailItem::physical(
        ItemKind::LargeEnvelope,
        ItemFormat::A3,
        Grams::new(400).unwrap(),
    )
    .with_registered();
    assert_eq!(scannable(&large), Ok(()));
    for f in [ItemFormat::A6, ItemFormat::A5, ItemFormat::A4] {
        let mut l = letter();
        l.format = f;
        assert_eq!(scannable(&l), Ok(()));
    }
}

#[test]
fn every_listed_content_keeps_an_item_out_of_the_scanner() {
    let expected = [
        (ContentFlag::SimCard, "mail.unscannable.non_paper"),
        (ContentFlag::Cd, "mail.unscannable.non_paper"),
        (ContentFlag::UsbKey, "mail.unscannable.non_paper"),
        (ContentFlag::PlasticCard, "mail.unscannable.non_paper"),
        (ContentFlag::IdentityDocument, "mail.unscannable.non_paper"),
        (ContentFlag::Badge, "mail.unscannable.non_paper"),
        (ContentFlag::PinCode, "mail.unscannable.pin_code"),
        (ContentFlag::Money, "mail.unscannable.money"),
        (ContentFlag::Ticket, "mail.unscannable.ticket"),
        (ContentFlag::Voucher, "mail.unscannable.voucher"),
        (ContentFlag::Cheque, "mail.unscannable.cheque"),
    ];
    assert_eq!(expected.len(), ContentFlag::ALL.len());
    for (flag, code) in expected {
        let err = scannable(&letter().with_content(flag)).unwrap_err();
        assert_eq!(err.reason.code(), code, "{flag}");
        let invalid = Invalid::from(err);
        assert_eq!(invalid.code, code);
        assert_eq!(invalid.field, "item");
    }
    let usb = Invalid::from(scannable(&letter().with_content(ContentFlag::UsbKey)).unwrap_err());
    assert!(usb.message.contains("USB key"), "{}", usb.message);
}

#[test]
fn objects_parcels_and_formats() {
    let code = |i: &MailItem| scannable(i).unwrap_err().reason.code();
    assert_eq!(code(&letter().with_object()), "mail.unscannable.object");
    let parcel = MailItem::physical(ItemKind::Parcel, ItemFormat::A4, Grams::new(900).unwrap());
    assert_eq!(code(&parcel), "mail.unscannable.parcel");
    let mut big = letter();
    big.format = ItemFormat::LargerThanA3;
    assert_eq!(code(&big), "mail.unscannable.too_large");
    let mut small = letter();
    small.format = ItemFormat::SmallerThanA6;
    assert_eq!(code(&small), "mail.unscannable.too_small");
}

#[test]
fn the_most_specific_reason_comes_first_and_all_are_listed() {
    let mut item = letter()
        .with_content(ContentFlag::Cheque)
        .with_content(ContentFlag::SimCard)
        .with_object();
    item.format = ItemFormat::LargerThanA3;
    assert_eq!(
        unscannable_reasons(&item),
        vec![
            UnscannableReason::NonPaper(ContentFlag::SimCard),
            UnscannableReason::Cheque,
            UnscannableReason::Object,
            UnscannableReason::TooLarge,
        ]
    );
    assert_eq!(
        scannable(&item).unwrap_err().reason,
        UnscannableReason::NonPaper(ContentFlag::SimCard)
    );
}

#[test]
fn digital_deliveries_have_nothing_to_refuse() {
    let d = MailItem::digital("LuTax");
    assert!(!d.is_physical());
    assert_eq!(d.weight, None);
    assert!(unscannable_reasons(&d).is_empty());
}

proptest! {
    #[test]
    fn format_ignores_orientation(w in 1u32..=3_000, h in 1u32..=3_000) {
        prop_assert_eq!(ItemFormat::from_mm(w, h).unwrap(), ItemFormat::from_mm(h, w).unwrap());
    }

    #[test]
    fn a_larger_item_never_has_a_smaller_format(
        w in 1u32..=1_000, h in 1u32..=1_000, dw in 0u32..200, dh in 0u32..200,
    ) {
        let small = ItemFormat::from_mm(w, h).unwrap();
        let large = ItemFormat::from_mm(w + dw, h + dh).unwrap();
        prop_assert!(large >= small, "{}x{} is {} but {}x{} is {}", w, h, small, w + dw, h + dh, large);
    }

    #[test]
    fn scannable_iff_no_reason(
        bits in 0u16..(1 << 11), object in any::<bool>(), k in 0usize..3, f in 0usize..6,
    ) {
        let contents: ContentFlags = ContentFlag::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, c)| c)
            .collect();
        let item = MailItem {
            contents,
            contains_object: object,
            ..MailItem::physical(ItemKind::ALL[k], ItemFormat::ALL[f], Grams::new(50).unwrap())
        };
        let reasons = unscannable_reasons(&item);
        prop_assert_eq!(scannable(&item).is_ok(), reasons.is_empty());
        // Paper letters and large envelopes, A6 to A3, nothing declared: scanned.
        let plain = bits == 0 && !object && ItemKind::ALL[k] != ItemKind::Parcel
            && !matches!(ItemFormat::ALL[f], ItemFormat::LargerThanA3 | ItemFormat::SmallerThanA6);
        prop_assert_eq!(reasons.is_empty(), plain);
        prop_assert_eq!(ContentFlags::parse_csv(&contents.to_csv()).unwrap(), contents);
    }
}
