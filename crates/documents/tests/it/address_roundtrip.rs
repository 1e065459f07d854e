//! Property: formatting a generated address and parsing the lines back gives
//! the same address, whatever the sender's country.
use courrier_documents::{CountryCode, PostalAddress};
use courrier_domain::codes;
use proptest::prelude::*;

const COUNTRIES: [&str; 9] = ["CH", "LI", "BE", "FR", "DE", "AT", "IT", "NL", "LU"];

fn word() -> impl Strategy<Value = String> {
    "[A-ZÄÖÜÉ][a-zäöüéèàç]{1,9}"
}

fn words(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..=max).prop_map(|w| w.join(" "))
}

fn street() -> impl Strategy<Value = String> {
    (words(2), 1u32..999, prop::option::of("[a-c]"))
        .prop_map(|(name, number, suffix)| format!("{name} {number}{}", suffix.unwrap_or_default()))
}

fn postcode(country: &'static str) -> BoxedStrategy<String> {
    match country {
        // CH postcodes from 9485 to 9498 are Liechtenstein's.
        "CH" => (1000u32..9485).prop_map(|n| n.to_string()).boxed(),
        "LI" => (9485u32..=9498).prop_map(|n| n.to_string()).boxed(),
        "BE" | "AT" => (1000u32..=9999).prop_map(|n| n.to_string()).boxed(),
        "FR" | "DE" => (1000u32..=99999).prop_map(|n| format!("{n:05}")).boxed(),
        "IT" => (0u32..=99999).prop_map(|n| format!("{n:05}")).boxed(),
        "NL" => (1000u32..=9999, "[A-RT-Z][A-Z]")
            .prop_map(|(n, l)| format!("{n} {l}"))
            .boxed(),
        _ => (1000u32..=9999).prop_map(|n| format!("L-{n}")).boxed(),
    }
}

fn address() -> impl Strategy<Value = (PostalAddress, CountryCode)> {
    (
        prop::sample::select(&COUNTRIES[..]),
        prop::sample::select(&COUNTRIES[..]),
    )
        .prop_flat_map(|(country, sender)| {
            (
                prop::collection::vec(words(3), 1..=3),
                prop::collection::vec(street(), 1..=2),
                postcode(country),
                words(2),
            )
                .prop_map(move |(names, streets, postcode, locality)| {
                    let country = CountryCode::parse(country).unwrap();
                    let address =
                        PostalAddress::new(names, streets, Some(&postcode), &locality, country)
                            .unwrap();
                    (address, CountryCode::parse(sender).unwrap())
                })
        })
}

/// Found by the `address_parse` fuzz target: a British address was printed
/// as "SW1A 2AA London", which is not how the United Kingdom writes it and
/// did not read back as the same address.
#[test]
fn a_british_address_prints_town_then_postcode_and_reads_back() {
    let lines = [
        "Mr John Smith",
        "10 Downing Street",
        "London",
        "SW1A 2AA",
        "ROYAUME-UNI",
    ];
    let sender = CountryCode::parse("CH").unwrap();
    let address = PostalAddress::from_window_lines(&lines, sender).unwrap();
    assert_eq!(address.postcode(), Some("SW1A 2AA"));
    assert_eq!(address.locality(), "London");
    let printed = address.to_lines(sender);
    assert_eq!(printed, lines);
    assert_eq!(
        PostalAddress::from_window_lines(&printed, sender),
        Ok(address)
    );
}

/// Inputs of the `address_parse` fuzz target: whatever is read, printed
/// and read again is the same address.
#[test]
fn fuzz_found_addresses_read_back_as_printed() {
    let cases: [&[&str]; 2] = [
        // A British address whose "postcode" is not a British postcode stays
        // on one line with the town.
        &["reet", "London", "SW1A 2onAA", "ROYAUME-UNI"],
        &[
            "Mr John Smith",
            "10 Downing Street",
            "London",
            "SW1A 2AA",
            "ROYAUME-UNI",
        ],
    ];
    let sender = CountryCode::parse("CH").unwrap();
    for lines in cases {
        let address = PostalAddress::from_window_lines(lines, sender).unwrap();
        let printed = address.to_lines(sender);
        assert_eq!(
            PostalAddress::from_window_lines(&printed, sender),
            Ok(address),
            "{lines:?} printed as {printed:?}"
        );
    }
}

/// Found by the `address_parse` fuzz target: "PP" (the Swiss P.P.
/// endorsement) over a locality was read as the recipient when alone, but
/// dropped as an endorsement once the printed address had a country line.
#[test]
fn an_endorsement_is_never_the_recipient() {
    let sender = CountryCode::parse("DE").unwrap();
    for lines in [
        &["P.P.", "8000 Zürich", "SCHWEIZ"][..],
        &["PP", "8000 M"][..],
    ] {
        let err = PostalAddress::from_window_lines(lines, sender).unwrap_err();
        assert!(
            [codes::ADDRESS_UNREADABLE, codes::ADDRESS_RECIPIENT_MISSING].contains(&err.code),
            "{lines:?}: {err:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn format_then_parse_round_trips((address, sender) in address()) {
        let lines = address.to_lines(sender);
        let parsed = PostalAddress::from_window_lines(&lines, sender);
        prop_assert_eq!(parsed.as_ref(), Ok(&address), "lines: {:?}", lines);
    }

    #[test]
    fn any_lines_give_an_address_or_a_finding(lines in prop::collection::vec(".{0,40}", 0..8), sender in prop::sample::select(&COUNTRIES[..])) {
        let _ = PostalAddress::from_window_lines(&lines, CountryCode::parse(sender).unwrap());
    }
}
