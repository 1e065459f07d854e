//! The time zone an organisation starts with, from its country. The
//! organisation's admins may choose another (any IANA name); this is only
//! the default, and the one rule for it (migration 0016 backfills with the
//! same table).

/// The IANA time zone of an organisation seated in `country` (ISO 3166
/// alpha-2, any case): the country's zone for the countries Courrier serves,
/// `UTC` elsewhere.
pub fn default_time_zone(country: &str) -> &'static str {
    match country.trim().to_ascii_uppercase().as_str() {
        "CH" | "LI" => "Europe/Zurich",
        "BE" => "Europe/Brussels",
        "FR" => "Europe/Paris",
        "DE" => "Europe/Berlin",
        "LU" => "Europe/Luxembourg",
        "IT" => "Europe/Rome",
        "AT" => "Europe/Vienna",
        "NL" => "Europe/Amsterdam",
        _ => "UTC",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_country_gives_its_zone_and_others_utc() {
        assert_eq!(default_time_zone("ch"), "Europe/Zurich");
        assert_eq!(default_time_zone(" LI "), "Europe/Zurich");
        assert_eq!(default_time_zone("BE"), "Europe/Brussels");
        assert_eq!(default_time_zone("NL"), "Europe/Amsterdam");
        assert_eq!(default_time_zone("US"), "UTC");
        assert_eq!(default_time_zone(""), "UTC");
    }
}
