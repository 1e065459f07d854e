use super::*;

fn cc(code: &str) -> CountryCode {
    CountryCode::parse(code).unwrap()
}

fn parse(lines: &[&str], sender: &str) -> Result<PostalAddress, Finding> {
    PostalAddress::from_window_lines(lines, cc(sender))
}

#[test]
fn domestic_swiss_address() {
    let a = parse(
        &[
            "Muster AG",
            "z.H. Hans Muster",
            "Bahnhofstrasse 1",
            "Postfach",
            "8001 Zürich",
        ],
        "CH",
    )
    .unwrap();
    assert_eq!(a.name_lines(), ["Muster AG", "z.H. Hans Muster"]);
    assert_eq!(a.street_lines(), ["Bahnhofstrasse 1", "Postfach"]);
    assert_eq!(a.postcode(), Some("8001"));
    assert_eq!(a.locality(), "Zürich");
    assert_eq!(a.country().as_str(), "CH");
}

#[test]
fn country_line_in_four_languages() {
    for country_line in ["SUISSE", "ZWITSERLAND", "SCHWEIZ", "SWITZERLAND"] {
        let a = parse(
            &["Anna Rossi", "Via Nassa 5", "6900 Lugano", country_line],
            "FR",
        )
        .unwrap();
        assert_eq!(a.country().as_str(), "CH", "{country_line}");
    }
    let a = parse(
        &["Jan Jansen", "Kerkstraat 1", "1012AB Amsterdam", "PAYS-BAS"],
        "CH",
    )
    .unwrap();
    assert_eq!(
        (a.postcode(), a.country().as_str()),
        (Some("1012 AB"), "NL")
    );
    let a = parse(
        &["Marie Dupont", "1 rue de la Paix", "75002 PARIS", "FRANCE"],
        "BE",
    )
    .unwrap();
    assert_eq!((a.postcode(), a.locality()), (Some("75002"), "PARIS"));
}

#[test]
fn prefixes_and_twins() {
    let a = parse(&["Hans Meier", "Hauptstrasse 3", "D-10115 Berlin"], "CH").unwrap();
    assert_eq!((a.country().as_str(), a.postcode()), ("DE", Some("10115")));
    let a = parse(&["Firma Anstalt", "Städtle 1", "9490 Vaduz"], "CH").unwrap();
    assert_eq!(a.country().as_str(), "LI");
    let a = parse(&["Société", "rue X 1", "L-1234 Luxembourg"], "BE").unwrap();
    assert_eq!((a.country().as_str(), a.postcode()), ("LU", Some("L-1234")));
    let a = parse(
        &["Société", "rue X 1", "1234 Luxembourg", "LUXEMBOURG"],
        "CH",
    )
    .unwrap();
    assert_eq!(a.postcode(), Some("L-1234"));
}

#[test]
fn errors_have_codes() {
    let code = |lines: &[&str], sender: &str| parse(lines, sender).unwrap_err().code;
    assert_eq!(code(&[], "CH"), "address.window_empty");
    assert_eq!(code(&["Hans Muster"], "CH"), "address.unreadable");
    assert_eq!(
        code(&["Hans \u{FFFD}uster", "8000 Zürich"], "CH"),
        "address.unreadable"
    );
    assert_eq!(
        code(&["Hans Muster", "Weg 1", "800 Zürich"], "CH"),
        "address.postcode_invalid"
    );
    assert_eq!(
        code(
            &["Hans Muster", "Weg 1", "8000 Zürich", "DEUTSCHLAND"],
            "CH"
        ),
        "address.postcode_invalid"
    );
    assert_eq!(
        code(&["Hans Muster", "Weg 1", "9000"], "CH"),
        "address.locality_missing"
    );
    assert_eq!(
        code(&["Hans Muster", "Weg 1", "12345 Town", "ATLANTIS"], "CH"),
        "address.country_unknown"
    );
    assert_eq!(
        code(&["8000 Zürich", "SCHWEIZ"], "DE"),
        "address.recipient_missing"
    );
    assert_eq!(
        code(&["Jan", "Weg 1", "1012 SA Amsterdam"], "NL"),
        "address.postcode_invalid"
    );
    let message = parse(&["A", "B 1", "123 X", "ALLEMAGNE"], "CH")
        .unwrap_err()
        .message;
    assert!(message.contains("DE"), "{message}");
}

#[test]
fn endorsements_and_other_countries() {
    let a = parse(&["Einschreiben", "Hans Muster", "Weg 1", "3000 Bern"], "CH").unwrap();
    assert_eq!(a.name_lines(), ["Hans Muster"]);
    let a = parse(
        &[
            "John Smith",
            "10 Downing Street",
            "LONDON",
            "SW1A 2AA",
            "UNITED KINGDOM",
        ],
        "CH",
    )
    .unwrap();
    assert_eq!(a.country().as_str(), "GB");
    assert_eq!((a.postcode(), a.locality()), (Some("SW1A 2AA"), "LONDON"));
    assert_eq!(a.street_lines(), ["10 Downing Street"]);
    let a = parse(&["Pedro", "Calle Mayor 1", "28013 MADRID", "ESPAGNE"], "CH").unwrap();
    assert_eq!((a.postcode(), a.locality()), (Some("28013"), "MADRID"));
}

#[test]
fn new_checks_postcodes() {
    let ok = PostalAddress::new(
        vec!["A".into()],
        vec![],
        Some("1012ab"),
        "Amsterdam",
        cc("NL"),
    )
    .unwrap();
    assert_eq!(ok.postcode(), Some("1012 AB"));
    let bad =
        PostalAddress::new(vec!["A".into()], vec![], Some("ABC"), "Zürich", cc("CH")).unwrap_err();
    assert_eq!(bad.code, "address.postcode_invalid");
    assert_eq!(
        ok.to_lines(cc("CH")),
        ["A", "1012 AB Amsterdam", "PAYS-BAS"]
            .map(String::from)
            .to_vec()
    );
}
