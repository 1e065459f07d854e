//! A postal address read from the window lines of a letter: recipient name
//! lines, street lines, postcode and locality, and the country: from the last
//! line when it names one (in capitals, in French, Dutch, German, Italian or
//! English), from an old-style prefix such as `D-10115`, or else the sender's.
//!
//! Postcodes are checked for the countries Courrier posts to most: CH, LI,
//! BE, FR, DE, AT, IT, NL and LU. For other countries the first word of the
//! locality line is taken as the postcode when it holds a digit, unchecked.
//!
//! Codes: `address.window_empty`, `address.unreadable`,
//! `address.country_unknown`, `address.postcode_invalid`,
//! `address.locality_missing`, `address.recipient_missing`.

use crate::countries::{CountryCode, country_from_name, normalise};
use crate::finding::Finding;
use courrier_domain::codes;

/// Lines at the top of a window that are endorsements (DIN 5008's
/// "Zusatz- und Vermerkzone"), not part of the address; compared folded.
const ENDORSEMENTS: [&str; 16] = [
    "EINSCHREIBEN",
    "PER EINSCHREIBEN",
    "EINSCHREIBEN RUCKSCHEIN",
    "EINSCHREIBEN EINWURF",
    "RECOMMANDE",
    "RECOMMANDEE",
    "LETTRE RECOMMANDEE",
    "RECOMMANDE AVEC AR",
    "AANGETEKEND",
    "RACCOMANDATA",
    "REGISTERED",
    "A POST",
    "B POST",
    "PRIORITY",
    "PRIORITAIRE",
    "PP",
];

/// A recipient address. Built only by [`PostalAddress::from_window_lines`]
/// or [`PostalAddress::new`], so its postcode fits its country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    name_lines: Vec<String>,
    street_lines: Vec<String>,
    postcode: Option<String>,
    locality: String,
    country: CountryCode,
}

impl PostalAddress {
    /// An address from its parts; the postcode is checked (and written in
    /// its usual form: `1234 AB` in NL, `L-1234` in LU) for the countries
    /// with known formats.
    pub fn new(
        name_lines: Vec<String>,
        street_lines: Vec<String>,
        postcode: Option<&str>,
        locality: &str,
        country: CountryCode,
    ) -> Result<Self, Finding> {
        let name_lines: Vec<String> = name_lines
            .iter()
            .map(|l| clean(l))
            .filter(|l| !l.is_empty())
            .collect();
        let street_lines: Vec<String> = street_lines
            .iter()
            .map(|l| clean(l))
            .filter(|l| !l.is_empty())
            .collect();
        if name_lines.is_empty() {
            return Err(recipient_missing());
        }
        let locality = clean(locality);
        if locality.is_empty() {
            return Err(locality_missing(postcode.unwrap_or_default()));
        }
        let postcode = match (has_postcode_rules(country), postcode.map(clean)) {
            (true, Some(raw)) => {
                let tokens: Vec<&str> = raw.split_whitespace().collect();
                match canonical_postcode(country, &tokens) {
                    Some((code, used)) if used == tokens.len() => Some(code),
                    _ => return Err(postcode_invalid(country, &raw)),
                }
            }
            (true, None) => return Err(postcode_invalid(country, "")),
            (false, raw) => raw.filter(|p| !p.is_empty()),
        };
        Ok(Self {
            name_lines,
            street_lines,
            postcode,
            locality,
            country,
        })
    }

    /// Reads window lines (top to bottom). `sender_country` is the country
    /// of an address with no country line.
    pub fn from_window_lines<S: AsRef<str>>(
        lines: &[S],
        sender_country: CountryCode,
    ) -> Result<Self, Finding> {
        let mut lines: Vec<String> = lines
            .iter()
            .map(|l| clean(l.as_ref()))
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return Err(Finding::error(
                codes::ADDRESS_WINDOW_EMPTY,
                "no text was found in the address window: place the recipient's address in the window position of the chosen envelope, or give the address separately (a scanned letter has no text to read)",
            ));
        }
        if lines.iter().any(|l| l.contains('\u{FFFD}')) {
            return Err(Finding::error(
                codes::ADDRESS_UNREADABLE,
                "the address in the window uses a font whose characters cannot be decoded: export the PDF again with fonts embedded as Unicode, or give the address separately",
            ));
        }
        // An endorsement is never the recipient, however few lines follow it.
        while lines.len() > 1 && lines.first().is_some_and(|l| is_endorsement(l)) {
            lines.remove(0);
        }
        if lines.len() < 2 {
            return Err(Finding::error(
                codes::ADDRESS_UNREADABLE,
                format!(
                    "only one line was found in the address window ('{}'): an address needs at least the recipient and the postcode and locality",
                    lines.join(" ")
                ),
            ));
        }

        // The country line, if any.
        let last = lines.last().cloned().unwrap_or_default();
        let mut country = None;
        if let Some(named) = country_from_name(&last) {
            country = Some(named);
            lines.pop();
        } else if lines.len() >= 3
            && !last.chars().any(|c| c.is_ascii_digit())
            && is_capitals(&last)
        {
            return Err(Finding::error(
                codes::ADDRESS_COUNTRY_UNKNOWN,
                format!(
                    "the last line of the address, '{last}', is not a country we recognise: write the country in capitals in French, German, Dutch, Italian or English (e.g. SUISSE, DEUTSCHLAND)"
                ),
            ));
        }
        let Some(locality_line) = lines.pop() else {
            return Err(recipient_missing());
        };
        if lines.is_empty() {
            return Err(recipient_missing());
        }

        // British addresses put the postcode on its own line under the town.
        if country.map(|c| c.as_str()) == Some("GB")
            && let Some(postcode) = uk_postcode(&locality_line)
            && lines.len() >= 2
            && let Some(town) = lines.pop()
        {
            let (name_lines, street_lines) = split_name_and_street(lines);
            let country = country.unwrap_or(sender_country);
            return Ok(Self {
                name_lines,
                street_lines,
                postcode: Some(postcode),
                locality: town,
                country,
            });
        }
        let (postcode, locality, country) =
            parse_locality_line(&locality_line, country, sender_country)?;
        let (name_lines, street_lines) = split_name_and_street(lines);
        Ok(Self {
            name_lines,
            street_lines,
            postcode,
            locality,
            country,
        })
    }

    pub fn name_lines(&self) -> &[String] {
        &self.name_lines
    }

    pub fn street_lines(&self) -> &[String] {
        &self.street_lines
    }

    pub fn postcode(&self) -> Option<&str> {
        self.postcode.as_deref()
    }

    pub fn locality(&self) -> &str {
        &self.locality
    }

    pub fn country(&self) -> CountryCode {
        self.country
    }

    /// The lines to print: names, streets, "postcode locality" (in the
    /// United Kingdom the town, then a British postcode on a line of its own), and
    /// the country in capitals when it is not the sender's.
    pub fn to_lines(&self, sender_country: CountryCode) -> Vec<String> {
        let mut lines = self.name_lines.clone();
        lines.extend(self.street_lines.iter().cloned());
        match &self.postcode {
            Some(postcode)
                if self.country.as_str() == "GB"
                    && uk_postcode(postcode).as_deref() == Some(postcode.as_str()) =>
            {
                lines.push(self.locality.clone());
                lines.push(postcode.clone());
            }
            Some(postcode) => lines.push(format!("{postcode} {}", self.locality)),
            None => lines.push(self.locality.clone()),
        }
        if self.country != sender_country {
            lines.push(self.country.address_name().to_string());
        }
        lines
    }
}

fn clean(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_capitals(line: &str) -> bool {
    line.chars().any(char::is_alphabetic) && !line.chars().any(char::is_lowercase)
}

fn is_endorsement(line: &str) -> bool {
    let key = normalise(line, true);
    ENDORSEMENTS.contains(&key.as_str())
}

fn recipient_missing() -> Finding {
    Finding::error(
        codes::ADDRESS_RECIPIENT_MISSING,
        "the address has no recipient line above the street and locality: put the recipient's name first",
    )
}

fn locality_missing(postcode: &str) -> Finding {
    Finding::error(
        codes::ADDRESS_LOCALITY_MISSING,
        format!(
            "the postcode '{postcode}' is not followed by a locality: write the postcode and the town on one line"
        ),
    )
}

fn postcode_invalid(country: CountryCode, raw: &str) -> Finding {
    let expected = match country.as_str() {
        "CH" => "4 digits, e.g. 8001",
        "LI" => "4 digits from 9485 to 9498, e.g. 9490",
        "BE" | "AT" => "4 digits, e.g. 1000",
        "FR" | "DE" | "IT" => "5 digits, e.g. 75001",
        "NL" => "4 digits and 2 letters, e.g. 1012 AB",
        "LU" => "L- and 4 digits, e.g. L-1234",
        _ => "the country's format",
    };
    let shown = if raw.is_empty() {
        "(none)".to_string()
    } else {
        format!("'{raw}'")
    };
    Finding::error(
        codes::ADDRESS_POSTCODE_INVALID,
        format!(
            "the postcode and locality line {shown} does not hold a valid postcode for {country} ({}): expected {expected} followed by the locality",
            country.address_name()
        ),
    )
}

fn has_postcode_rules(country: CountryCode) -> bool {
    matches!(
        country.as_str(),
        "CH" | "LI" | "BE" | "FR" | "DE" | "AT" | "IT" | "NL" | "LU"
    )
}

/// The country an old-style vehicle-code prefix names (`D-`, `CH-`, ...).
fn prefix_country(prefix: &str) -> Option<CountryCode> {
    let code = match prefix.to_ascii_uppercase().as_str() {
        "CH" => "CH",
        "FL" | "LI" => "LI",
        "B" | "BE" => "BE",
        "F" | "FR" => "FR",
        "D" | "DE" => "DE",
        "A" | "AT" => "AT",
        "I" | "IT" => "IT",
        "NL" => "NL",
        "L" | "LU" => "LU",
        _ => return None,
    };
    CountryCode::parse(code).ok()
}

/// Splits `CH-8000` into (`CH`, `8000`).
fn split_prefix(token: &str) -> Option<(&str, &str)> {
    let (prefix, rest) = token.split_once('-')?;
    (!prefix.is_empty()
        && prefix.len() <= 2
        && prefix.chars().all(|c| c.is_ascii_alphabetic())
        && rest.starts_with(|c: char| c.is_ascii_digit()))
    .then_some((prefix, rest))
}

/// The postcode at the start of `tokens` for `country`, in its usual form,
/// and how many tokens it used.
fn canonical_postcode(country: CountryCode, tokens: &[&str]) -> Option<(String, usize)> {
    let first = *tokens.first()?;
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    let in_range =
        |s: &str, lo: u32, hi: u32| s.parse::<u32>().is_ok_and(|v| (lo..=hi).contains(&v));
    match country.as_str() {
        "CH" | "BE" | "AT" => {
            (digits(first, 4) && in_range(first, 1000, 9999)).then(|| (first.to_string(), 1))
        }
        "LI" => (digits(first, 4) && in_range(first, 9485, 9498)).then(|| (first.to_string(), 1)),
        "FR" | "DE" => {
            (digits(first, 5) && !first.starts_with("00")).then(|| (first.to_string(), 1))
        }
        "IT" => digits(first, 5).then(|| (first.to_string(), 1)),
        "LU" => {
            let number = first
                .strip_prefix("L-")
                .or_else(|| first.strip_prefix("l-"))
                .unwrap_or(first);
            digits(number, 4).then(|| (format!("L-{number}"), 1))
        }
        "NL" => {
            let (number, letters, used) = match first.len() {
                6 => (first.get(..4)?, first.get(4..)?.to_string(), 1),
                4 => (first, tokens.get(1)?.to_string(), 2),
                _ => return None,
            };
            let letters = letters.to_ascii_uppercase();
            let ok = digits(number, 4)
                && in_range(number, 1000, 9999)
                && letters.len() == 2
                && letters.chars().all(|c| c.is_ascii_uppercase())
                && !matches!(letters.as_str(), "SA" | "SD" | "SS");
            ok.then(|| (format!("{number} {letters}"), used))
        }
        _ => None,
    }
}

/// "postcode locality" for the country named, or implied by a prefix, or the
/// sender's (Liechtenstein and Switzerland share a postcode system, so a
/// domestic letter between them is told apart by the postcode).
fn parse_locality_line(
    line: &str,
    named: Option<CountryCode>,
    sender: CountryCode,
) -> Result<(Option<String>, String, CountryCode), Finding> {
    let mut tokens: Vec<&str> = line.split_whitespace().collect();
    let mut country = named;
    if let Some((prefix, rest)) = tokens.first().copied().and_then(split_prefix)
        && let Some(prefixed) = prefix_country(prefix)
    {
        match named {
            Some(named) if named != prefixed => return Err(postcode_invalid(named, line)),
            _ => country = Some(prefixed),
        }
        // LU writes its prefix as part of the postcode; others drop it.
        if prefixed.as_str() != "LU"
            && let Some(first) = tokens.first_mut()
        {
            *first = rest;
        }
    }
    let mut country = country.unwrap_or(sender);
    if named.is_none() && matches!(country.as_str(), "CH" | "LI") {
        let liechtenstein = tokens
            .first()
            .is_some_and(|t| t.parse::<u32>().is_ok_and(|v| (9485..=9498).contains(&v)));
        let twin = if liechtenstein { "LI" } else { "CH" };
        if let Ok(code) = CountryCode::parse(twin) {
            country = code;
        }
    }

    if has_postcode_rules(country) {
        let Some((postcode, used)) = canonical_postcode(country, &tokens) else {
            return Err(postcode_invalid(country, line));
        };
        let locality = tokens.get(used..).unwrap_or_default().join(" ");
        if locality.is_empty() {
            return Err(locality_missing(&postcode));
        }
        return Ok((Some(postcode), locality, country));
    }
    // Other countries: a first word with a digit is taken as the postcode.
    match tokens.split_first() {
        Some((first, rest)) if first.chars().any(|c| c.is_ascii_digit()) && !rest.is_empty() => {
            Ok((Some((*first).to_string()), rest.join(" "), country))
        }
        _ => Ok((None, line.to_string(), country)),
    }
}

/// A British postcode alone on a line (`SW1A 2AA`, `M1 1AE`), upper-cased.
fn uk_postcode(line: &str) -> Option<String> {
    let compact: String = line
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    let (outward, inward) = compact.split_at_checked(compact.len().checked_sub(3)?)?;
    let inward_ok = inward.chars().next().is_some_and(|c| c.is_ascii_digit())
        && inward.chars().skip(1).all(|c| c.is_ascii_uppercase());
    let outward_ok = (2..=4).contains(&outward.len())
        && outward.starts_with(|c: char| c.is_ascii_uppercase())
        && outward.chars().any(|c| c.is_ascii_digit())
        && outward.chars().all(|c| c.is_ascii_alphanumeric());
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

/// The lines above the locality: the bottom ones that hold a house number or
/// a post-office box are street lines, the rest (at least one) are names.
fn split_name_and_street(mut lines: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut street = Vec::new();
    if lines.len() >= 2
        && let Some(last) = lines.pop()
    {
        street.push(last);
        while lines.len() >= 2 && lines.last().is_some_and(|l| is_street_like(l)) {
            if let Some(line) = lines.pop() {
                street.push(line);
            }
        }
    }
    street.reverse();
    (lines, street)
}

fn is_street_like(line: &str) -> bool {
    if line.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    let key = normalise(line, true);
    [
        "POSTFACH",
        "CASE POSTALE",
        "CASELLA POSTALE",
        "BOITE POSTALE",
        "POSTBUS",
        "PO BOX",
        "P O BOX",
        "POSTBOX",
    ]
    .iter()
    .any(|marker| {
        key.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

#[cfg(test)]
mod tests;
