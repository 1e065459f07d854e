//! How a signed-in person reads a time: in their organisation's time zone
//! and their language's date format, with the zone's abbreviation so a time
//! is never ambiguous ("7 déc. 2026, 05:11 CET", "7 Dec 2026, 05:11 CET").

use courrier_domain::{Locale, Timestamp};
use jiff::tz::TimeZone;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// A reader's clock: a time zone and a language.
#[derive(Debug, Clone)]
pub struct When {
    tz: TimeZone,
    locale: Locale,
}

impl When {
    /// The clock of `time_zone` (an IANA name); UTC if the name is unknown.
    pub fn new(time_zone: &str, locale: Locale) -> When {
        When {
            tz: TimeZone::get(time_zone).unwrap_or(TimeZone::UTC),
            locale,
        }
    }

    pub fn from_zone(tz: TimeZone, locale: Locale) -> When {
        When { tz, locale }
    }

    fn zoned(&self, t: Timestamp) -> Option<jiff::Zoned> {
        jiff::Timestamp::from_millisecond(t.millis())
            .ok()
            .map(|ts| ts.to_zoned(self.tz.clone()))
    }

    fn date(&self, z: &jiff::Zoned) -> String {
        let month = usize::try_from(z.month() - 1).unwrap_or(0);
        let names = match self.locale {
            Locale::Fr => &MONTHS_FR,
            Locale::En => &MONTHS_EN,
        };
        let name = names.get(month).copied().unwrap_or_default();
        format!("{} {} {}", z.day(), name, z.year())
    }

    /// A date and time: "7 déc. 2026, 05:11 CET".
    pub fn at(&self, t: Timestamp) -> String {
        match self.zoned(t) {
            Some(z) => format!("{}, {}", self.date(&z), z.strftime("%H:%M %Z")),
            None => "—".into(),
        }
    }

    /// A date alone: "7 déc. 2026".
    pub fn day(&self, t: Timestamp) -> String {
        match self.zoned(t) {
            Some(z) => self.date(&z),
            None => "—".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        let ts: jiff::Timestamp = s.parse().unwrap();
        Timestamp::from_millis(ts.as_millisecond())
    }

    #[test]
    fn a_time_is_read_in_the_zone_and_the_language_of_the_reader() {
        let evening = t("2026-12-06T20:11:00Z");
        let lausanne = When::new("Europe/Zurich", Locale::Fr);
        assert_eq!(lausanne.at(evening), "6 déc. 2026, 21:11 CET");
        assert_eq!(lausanne.day(evening), "6 déc. 2026");
        let tokyo = When::new("Asia/Tokyo", Locale::En);
        assert_eq!(tokyo.at(evening), "7 Dec 2026, 05:11 JST");
        let summer = t("2026-07-01T10:00:00Z");
        assert_eq!(lausanne.at(summer), "1 juil. 2026, 12:00 CEST");
    }

    #[test]
    fn an_unknown_zone_reads_as_utc() {
        let w = When::new("Mars/Olympus", Locale::En);
        assert_eq!(w.at(t("2026-12-06T20:11:00Z")), "6 Dec 2026, 20:11 UTC");
    }
}
