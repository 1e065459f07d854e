//! Countries: ISO 3166-1 alpha-2 codes, and recognising a country from the
//! last line of an address written in capitals in French, Dutch, German,
//! Italian or English ("SUISSE", "ZWITSERLAND", "SCHWEIZ", "SVIZZERA" and
//! "SWITZERLAND" are all CH), with or without accents.
//!
//! The names come from Debian's iso-codes translations through
//! `tools/gen_countries.py`, which writes `countries_table.rs`; the rules of
//! [`normalise`] here and of `normalise()` there must stay the same.

use crate::countries_table::{COUNTRY_NAMES, DISPLAY_NAMES, FOLD};
use courrier_domain::Invalid;
use courrier_domain::codes;
use std::fmt;

/// An ISO 3166-1 alpha-2 code that iso-codes knows (plus XK, Kosovo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(&'static str);

impl CountryCode {
    /// Parses a two-letter code, any case.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        let upper = code.trim().to_ascii_uppercase();
        DISPLAY_NAMES
            .binary_search_by(|(c, _)| (*c).cmp(upper.as_str()))
            .ok()
            .and_then(|i| DISPLAY_NAMES.get(i))
            .map(|(c, _)| CountryCode(c))
            .ok_or_else(|| {
                Invalid::new(
                    "country",
                    codes::COUNTRY_UNKNOWN,
                    format!("'{code}' is not an ISO 3166-1 country code"),
                )
            })
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The name written on an address's last line: French capitals (the
    /// UPU's working language), e.g. `SUISSE`, `ALLEMAGNE`.
    pub fn address_name(&self) -> &'static str {
        DISPLAY_NAMES
            .binary_search_by(|(c, _)| (*c).cmp(self.0))
            .ok()
            .and_then(|i| DISPLAY_NAMES.get(i))
            .map_or(self.0, |(_, name)| name)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The country a line names, if it is a country name (any case; accents
/// optional; hyphens, apostrophes and dots ignored).
pub fn country_from_name(line: &str) -> Option<CountryCode> {
    let exact = normalise(line, false);
    lookup(&exact).or_else(|| lookup(&normalise(line, true)))
}

fn lookup(key: &str) -> Option<CountryCode> {
    if key.is_empty() {
        return None;
    }
    let i = COUNTRY_NAMES
        .binary_search_by(|(name, _)| (*name).cmp(key))
        .ok()?;
    let (_, code) = COUNTRY_NAMES.get(i)?;
    CountryCode::parse(code).ok()
}

/// Upper case; '.' dropped; any other character that is not a letter or
/// digit becomes a space; runs of spaces become one; with `fold`, accented
/// capitals become plain ASCII ones (`Ë` → `E`, `ß` → `SS`).
pub(crate) fn normalise(text: &str, fold: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_uppercase().chars() {
        match (fold.then(|| fold_char(c)).flatten(), c) {
            (Some(plain), _) => out.push_str(plain),
            (None, '.') => {}
            (None, c) if c.is_alphanumeric() => out.push(c),
            (None, _) => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn fold_char(c: char) -> Option<&'static str> {
    if c.is_ascii() {
        return None;
    }
    let i = FOLD.binary_search_by(|(k, _)| k.cmp(&c)).ok()?;
    FOLD.get(i).map(|(_, plain)| *plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: &str) -> Option<&'static str> {
        country_from_name(line).map(|c| c.as_str())
    }

    #[test]
    fn switzerland_in_every_language() {
        for name in [
            "SUISSE",
            "ZWITSERLAND",
            "SCHWEIZ",
            "SWITZERLAND",
            "SVIZZERA",
            "Schweiz",
            " suisse ",
        ] {
            assert_eq!(code(name), Some("CH"), "{name}");
        }
    }

    #[test]
    fn neighbours_and_short_forms() {
        let cases = [
            ("FRANCE", "FR"),
            ("FRANKRIJK", "FR"),
            ("FRANKREICH", "FR"),
            ("BELGIQUE", "BE"),
            ("BELGIË", "BE"),
            ("BELGIE", "BE"),
            ("BELGIEN", "BE"),
            ("BELGIUM", "BE"),
            ("DEUTSCHLAND", "DE"),
            ("ALLEMAGNE", "DE"),
            ("DUITSLAND", "DE"),
            ("GERMANY", "DE"),
            ("NEDERLAND", "NL"),
            ("PAYS-BAS", "NL"),
            ("PAYS BAS", "NL"),
            ("NIEDERLANDE", "NL"),
            ("ÖSTERREICH", "AT"),
            ("OESTERREICH", "AT"),
            ("OSTERREICH", "AT"),
            ("AUTRICHE", "AT"),
            ("LIECHTENSTEIN", "LI"),
            ("LUXEMBOURG", "LU"),
            ("LUXEMBURG", "LU"),
            ("ITALIE", "IT"),
            ("ITALIEN", "IT"),
            ("USA", "US"),
            ("U.S.A.", "US"),
            ("ÉTATS-UNIS", "US"),
            ("UK", "GB"),
            ("GRANDE-BRETAGNE", "GB"),
            ("ROYAUME-UNI", "GB"),
            ("VEREINIGTES KÖNIGREICH", "GB"),
            ("CÔTE D'IVOIRE", "CI"),
            ("COTE D IVOIRE", "CI"),
            ("ESPAÑA", "ES"),
            ("SPANJE", "ES"),
        ];
        for (name, expected) in cases {
            assert_eq!(code(name), Some(expected), "{name}");
        }
    }

    #[test]
    fn not_countries() {
        for line in [
            "",
            "8000 Zürich",
            "Bahnhofstrasse 1",
            "Hans Muster",
            "KOREA",
            "-",
        ] {
            assert_eq!(code(line), None, "{line}");
        }
    }

    #[test]
    fn every_address_name_reads_back() {
        for (c, name) in DISPLAY_NAMES {
            assert_eq!(code(name), Some(*c), "{name}");
        }
    }

    #[test]
    fn codes_parse() {
        assert_eq!(CountryCode::parse("ch").map(|c| c.as_str()), Ok("CH"));
        assert_eq!(
            CountryCode::parse("XX").map_err(|e| e.code),
            Err(codes::COUNTRY_UNKNOWN)
        );
        assert_eq!(
            CountryCode::parse("CH").map(|c| c.address_name()),
            Ok("SUISSE")
        );
    }

    #[test]
    fn tables_are_sorted() {
        assert!(
            COUNTRY_NAMES
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0 < b.0))
        );
        assert!(FOLD.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)));
        assert!(
            DISPLAY_NAMES
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.0 < b.0))
        );
    }
}
