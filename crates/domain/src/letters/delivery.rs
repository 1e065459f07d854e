//! The expected delivery date shown with a quote. Two steps, each in the
//! carrier country's business days:
//!
//! 1. **Posting**: letters submitted before the cut-off (12:00 at the
//!    production site) on a business day are printed and handed to the carrier
//!    that day; later ones, and anything submitted on a weekend or holiday,
//!    on the next business day.
//! 2. **Transit**: priority and registered 1 business day, standard 3,
//!    international by destination zone (3 / 4 / 6).
//!
//! So priority before 12:00 is J+1 and after 12:00 J+2, as the carriers
//! promise. The same cut-off applies to standard mail (it is printed in the
//! same runs), which makes a standard letter submitted after 12:00 J+4; and
//! international transit is counted in the carrier's business days, since the
//! destination's holidays are not known here. Every number is a default in
//! [`DeliveryRules`]. Local time comes from a `jiff::tz::TimeZone` the caller
//! loads, so this module reads no time-zone database itself.

use crate::codes;

use super::{BusinessCalendar, Country, Product, Registered};
use crate::{Invalid, Timestamp};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// International destination zones for transit times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Zone {
    /// EU and EFTA member states.
    Europe1,
    /// The rest of Europe (United Kingdom, Balkans, microstates, Türkiye, …).
    Europe2,
    World,
}

impl Zone {
    pub const fn as_str(self) -> &'static str {
        match self {
            Zone::Europe1 => "europe_1",
            Zone::Europe2 => "europe_2",
            Zone::World => "world",
        }
    }
}

/// EU member states (ISO codes; Greece is GR, not the EU's EL), Åland with
/// Finland, and the four EFTA states.
const ZONE_1: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "AX", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", // EU
    "CH", "IS", "LI", "NO", // EFTA
];

/// European countries and territories outside the EU and EFTA.
const ZONE_2: &[&str] = &[
    "AD", "AL", "BA", "BY", "FO", "GB", "GG", "GI", "IM", "JE", "MC", "MD", "ME", "MK", "RS", "RU",
    "SM", "TR", "UA", "VA", "XK",
];

/// The delivery zone of an international destination.
pub fn zone_of(country: &Country) -> Zone {
    let code = country.as_str();
    if ZONE_1.contains(&code) {
        Zone::Europe1
    } else if ZONE_2.contains(&code) {
        Zone::Europe2
    } else {
        Zone::World
    }
}

/// Cut-off and transit times; `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRules {
    /// Submissions strictly before this local time on a business day are
    /// posted the same day; 12:00:00 itself is after.
    pub cutoff: Time,
    /// Business days from posting to delivery.
    pub priority_days: u32,
    pub standard_days: u32,
    pub europe1_days: u32,
    pub europe2_days: u32,
    pub world_days: u32,
}

impl DeliveryRules {
    pub const DEFAULT: DeliveryRules = DeliveryRules {
        cutoff: Time::constant(12, 0, 0, 0),
        priority_days: 1,
        standard_days: 3,
        europe1_days: 3,
        europe2_days: 4,
        world_days: 6,
    };

    /// Transit in business days. Registered mail runs on the priority
    /// network whatever the product says (postage rules require priority).
    pub fn transit_days(
        &self,
        product: Product,
        registered: Registered,
        destination: &Country,
    ) -> u32 {
        if registered.is_registered() {
            return self.priority_days;
        }
        match product {
            Product::Priority => self.priority_days,
            Product::Standard => self.standard_days,
            Product::InternationalPriority => match zone_of(destination) {
                Zone::Europe1 => self.europe1_days,
                Zone::Europe2 => self.europe2_days,
                Zone::World => self.world_days,
            },
        }
    }

    /// When the letter leaves and when it should arrive. `site` is the
    /// production site's time zone, `calendar` the carrier country's.
    pub fn estimate(
        &self,
        submitted: Timestamp,
        site: &TimeZone,
        calendar: &BusinessCalendar,
        product: Product,
        registered: Registered,
        destination: &Country,
    ) -> Result<DeliveryEstimate, Invalid> {
        let instant = jiff::Timestamp::from_millisecond(submitted.millis()).map_err(|_| {
            Invalid::new(
                "submitted_at",
                codes::DATE_OUT_OF_RANGE,
                format!("{} ms is not a representable instant", submitted.millis()),
            )
        })?;
        let local = site.to_datetime(instant);
        let day = local.date();
        let posting_date = if calendar.is_business_day(day) && local.time() < self.cutoff {
            day
        } else {
            // From a business day after the cut-off: the next one. From a
            // weekend or holiday: the first business day after it.
            calendar.add_business_days(day, 1)?
        };
        let delivery_date = calendar.add_business_days(
            posting_date,
            self.transit_days(product, registered, destination),
        )?;
        Ok(DeliveryEstimate {
            posting_date,
            delivery_date,
        })
    }
}

impl Default for DeliveryRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Civil dates in the carrier's country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryEstimate {
    /// The day the letter is handed to the carrier.
    pub posting_date: Date,
    /// The day it is expected in the recipient's letter box.
    pub delivery_date: Date,
}

/// [`DeliveryRules::estimate`] with the default rules.
pub fn expected_delivery(
    submitted: Timestamp,
    site: &TimeZone,
    calendar: &BusinessCalendar,
    product: Product,
    registered: Registered,
    destination: &Country,
) -> Result<DeliveryEstimate, Invalid> {
    DeliveryRules::DEFAULT.estimate(submitted, site, calendar, product, registered, destination)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{DateTime, date};
    use proptest::prelude::*;

    /// Europe/Zurich as a POSIX rule, so tests read no tz database.
    fn zurich() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    fn at(dt: DateTime) -> Timestamp {
        Timestamp::from_millis(dt.to_zoned(zurich()).unwrap().timestamp().as_millisecond())
    }

    fn ch() -> BusinessCalendar {
        BusinessCalendar::for_country(&Country::CH).unwrap()
    }

    fn est(
        dt: DateTime,
        product: Product,
        registered: Registered,
        dest: Country,
    ) -> DeliveryEstimate {
        expected_delivery(at(dt), &zurich(), &ch(), product, registered, &dest).unwrap()
    }

    fn priority(dt: DateTime) -> DeliveryEstimate {
        est(dt, Product::Priority, Registered::None, Country::CH)
    }

    #[test]
    fn friday_morning_priority_arrives_monday() {
        let e = priority(date(2026, 3, 6).at(11, 59, 0, 0));
        assert_eq!(
            e,
            DeliveryEstimate {
                posting_date: date(2026, 3, 6),
                delivery_date: date(2026, 3, 9)
            }
        );
    }

    #[test]
    fn friday_before_whit_monday_arrives_tuesday() {
        let e = priority(date(2026, 5, 22).at(11, 59, 0, 0));
        assert_eq!(e.posting_date, date(2026, 5, 22));
        assert_eq!(e.delivery_date, date(2026, 5, 26));
    }

    #[test]
    fn noon_exactly_counts_as_after() {
        let before = priority(date(2026, 3, 4).at(11, 59, 59, 999_000_000));
        assert_eq!(
            (before.posting_date, before.delivery_date),
            (date(2026, 3, 4), date(2026, 3, 5))
        );
        let noon = priority(date(2026, 3, 4).at(12, 0, 0, 0));
        assert_eq!(
            (noon.posting_date, noon.delivery_date),
            (date(2026, 3, 5), date(2026, 3, 6))
        );
    }

    #[test]
    fn thursday_before_good_friday() {
        // Good Friday 3 April and Easter Monday 6 April 2026 are Swiss holidays.
        let morning = priority(date(2026, 4, 2).at(9, 0, 0, 0));
        assert_eq!(
            (morning.posting_date, morning.delivery_date),
            (date(2026, 4, 2), date(2026, 4, 7))
        );
        let afternoon = priority(date(2026, 4, 2).at(14, 0, 0, 0));
        assert_eq!(
            (afternoon.posting_date, afternoon.delivery_date),
            (date(2026, 4, 7), date(2026, 4, 8))
        );
        let registered = est(
            date(2026, 4, 2).at(9, 0, 0, 0),
            Product::Priority,
            Registered::RegisteredWithAr,
            Country::CH,
        );
        assert_eq!(registered, morning);
    }

    #[test]
    fn saturday_submission_is_j_plus_2_from_monday_posting() {
        let e = priority(date(2026, 3, 7).at(9, 0, 0, 0));
        assert_eq!(
            (e.posting_date, e.delivery_date),
            (date(2026, 3, 9), date(2026, 3, 10))
        );
        let sunday_night = priority(date(2026, 3, 8).at(23, 59, 0, 0));
        assert_eq!(sunday_night, e);
    }

    #[test]
    fn standard_is_j_plus_3_across_christmas() {
        // Tuesday 23 December 2025: 24 counts, 25 and 26 are holidays, then the weekend.
        let e = est(
            date(2025, 12, 23).at(10, 0, 0, 0),
            Product::Standard,
            Registered::None,
            Country::CH,
        );
        assert_eq!(
            (e.posting_date, e.delivery_date),
            (date(2025, 12, 23), date(2025, 12, 30))
        );
        let late = est(
            date(2025, 12, 23).at(15, 0, 0, 0),
            Product::Standard,
            Registered::None,
            Country::CH,
        );
        assert_eq!(
            (late.posting_date, late.delivery_date),
            (date(2025, 12, 24), date(2025, 12, 31))
        );
    }

    #[test]
    fn international_by_zone() {
        let monday = date(2026, 3, 2).at(10, 0, 0, 0);
        let to = |c: &str| {
            est(
                monday,
                Product::InternationalPriority,
                Registered::None,
                Country::parse(c).unwrap(),
            )
        };
        assert_eq!(to("DE").delivery_date, date(2026, 3, 5));
        assert_eq!(to("GB").delivery_date, date(2026, 3, 6));
        assert_eq!(to("US").delivery_date, date(2026, 3, 10));
    }

    #[test]
    fn cut_off_is_local_time_across_daylight_saving() {
        // Summer: 11:30 CEST is 09:30 UTC; winter: 11:30 CET is 10:30 UTC. Both before noon locally.
        assert_eq!(
            priority(date(2026, 7, 1).at(11, 30, 0, 0)).posting_date,
            date(2026, 7, 1)
        );
        assert_eq!(
            priority(date(2026, 1, 14).at(11, 30, 0, 0)).posting_date,
            date(2026, 1, 14)
        );
        // 11:30 UTC in summer is 13:30 in Zurich: after the cut-off.
        let utc = date(2026, 7, 1)
            .at(11, 30, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        let e = expected_delivery(
            Timestamp::from_millis(utc.as_millisecond()),
            &zurich(),
            &ch(),
            Product::Priority,
            Registered::None,
            &Country::CH,
        )
        .unwrap();
        assert_eq!(e.posting_date, date(2026, 7, 2));
    }

    #[test]
    fn other_carrier_countries_use_their_calendar() {
        // Belgian National Day, Tuesday 21 July 2026.
        let be = BusinessCalendar::for_country(&Country::BE).unwrap();
        let brussels = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let t = Timestamp::from_millis(
            date(2026, 7, 20)
                .at(10, 0, 0, 0)
                .to_zoned(brussels.clone())
                .unwrap()
                .timestamp()
                .as_millisecond(),
        );
        let e = expected_delivery(
            t,
            &brussels,
            &be,
            Product::Priority,
            Registered::None,
            &Country::BE,
        )
        .unwrap();
        assert_eq!(e.delivery_date, date(2026, 7, 22));
    }

    #[test]
    fn rules_are_editable() {
        let rules = DeliveryRules {
            cutoff: Time::constant(15, 0, 0, 0),
            standard_days: 2,
            ..DeliveryRules::default()
        };
        let t = at(date(2026, 3, 4).at(14, 0, 0, 0));
        let e = rules
            .estimate(
                t,
                &zurich(),
                &ch(),
                Product::Standard,
                Registered::None,
                &Country::CH,
            )
            .unwrap();
        assert_eq!(
            (e.posting_date, e.delivery_date),
            (date(2026, 3, 4), date(2026, 3, 6))
        );
    }

    #[test]
    fn zones() {
        let z = |c: &str| zone_of(&Country::parse(c).unwrap());
        for c in ["FR", "DE", "IT", "CH", "NO", "LI", "IS", "GR", "AT"] {
            assert_eq!(z(c), Zone::Europe1, "{c}");
        }
        for c in ["GB", "TR", "RS", "UA", "AD", "MC"] {
            assert_eq!(z(c), Zone::Europe2, "{c}");
        }
        for c in ["US", "JP", "BR", "ZA", "CA"] {
            assert_eq!(z(c), Zone::World, "{c}");
        }
        assert_eq!(ZONE_1.len(), 27 + 1 + 4);
    }

    proptest! {
        #[test]
        fn posting_and_delivery_are_business_days_in_order(
            secs in 1_735_689_600i64..1_893_456_000, // 2025 to 2030
            p in 0usize..3,
            r in any::<bool>(),
        ) {
            let product = Product::ALL[p];
            let registered = if r && product == Product::Priority { Registered::Registered } else { Registered::None };
            let dest = if product.is_international() { Country::DE } else { Country::CH };
            let e = expected_delivery(Timestamp::from_millis(secs * 1000), &zurich(), &ch(), product, registered, &dest).unwrap();
            let c = ch();
            prop_assert!(c.is_business_day(e.posting_date));
            prop_assert!(c.is_business_day(e.delivery_date));
            prop_assert!(e.delivery_date > e.posting_date);
            let submitted_day = zurich().to_datetime(jiff::Timestamp::from_second(secs).unwrap()).date();
            prop_assert!(e.posting_date >= submitted_day);
            // Posting is never later than the first business day after submission.
            prop_assert!(e.posting_date <= c.add_business_days(submitted_day, 1).unwrap());
        }
    }
}
