//! Countries as ISO 3166-1 alpha-2 codes. Destinations, carriers, VAT rates,
//! holiday calendars and delivery zones are all keyed by a [`Country`], so a
//! misspelt code is refused once at the edge instead of silently matching no
//! rule later. Recognising country *names* ("SUISSE", "ZWITSERLAND") belongs to
//! the address reader; it produces a `Country` through [`Country::parse`].

use crate::codes;

use crate::Invalid;
use std::fmt;

/// Two ASCII upper-case letters, e.g. `CH`. Only the shape is checked: whether
/// a code is assigned is a question for the carrier's destination list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    pub const CH: Country = Country(*b"CH");
    pub const BE: Country = Country(*b"BE");
    pub const FR: Country = Country(*b"FR");
    pub const DE: Country = Country(*b"DE");

    /// Reads a code, tolerating surrounding blanks and lower case (CSV exports
    /// often carry `ch`), like [`crate::Currency::parse`].
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let up = raw.trim().to_ascii_uppercase();
        match <[u8; 2]>::try_from(up.as_bytes()) {
            Ok(code) if code.iter().all(u8::is_ascii_uppercase) => Ok(Self(code)),
            _ => Err(Invalid::new(
                "country",
                codes::COUNTRY_INVALID,
                format!("'{raw}' is not a two-letter ISO 3166 country code"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Always two ASCII letters by construction, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Country {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(Country::parse("CH").unwrap(), Country::CH);
        assert_eq!(Country::parse(" be ").unwrap(), Country::BE);
        assert_eq!(Country::FR.to_string(), "FR");
        for bad in ["", "C", "CHE", "C1", "É1", "ÜB", "C H", "--"] {
            assert_eq!(
                Country::parse(bad).unwrap_err().code,
                "country.invalid",
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_two_letter_code_round_trips(a in b'A'..=b'Z', b in b'A'..=b'Z') {
            let s = String::from_utf8(vec![a, b]).unwrap();
            let c = Country::parse(&s).unwrap();
            prop_assert_eq!(c.as_str(), s.as_str());
        }

        #[test]
        fn anything_else_is_refused(s in "\\PC*") {
            let t = s.trim();
            let ok = t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic());
            prop_assert_eq!(Country::parse(&s).is_ok(), ok);
        }
    }
}
