//! Task deadlines at a mail center (the iPostal1 service level): a request
//! received **before 13:00** local time on a business day is due the **same
//! business day**; a later one, or one received on a weekend or holiday, by
//! the **end of the next business day**. Business days are those of the
//! location country's [`BusinessCalendar`]; "end of the day" is the
//! location's closing time, 18:00 by default ([`SlaRules::day_end`]).
//!
//! Like [`crate::letters::delivery`], local time comes from a
//! `jiff::tz::TimeZone` the caller loads for the location, so this module
//! reads no time-zone database. Codes: `mail.sla_rules_invalid`,
//! `date.out_of_range`.

use crate::codes;

use crate::letters::BusinessCalendar;
use crate::{Invalid, Timestamp};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// Cut-off and closing time; `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlaRules {
    /// Requests strictly before this local time on a business day are due
    /// the same day; 13:00:00 itself is after.
    pub cutoff: Time,
    /// The local time a business day's work must be done by.
    pub day_end: Time,
}

impl SlaRules {
    pub const DEFAULT: SlaRules = SlaRules {
        cutoff: Time::constant(13, 0, 0, 0),
        day_end: Time::constant(18, 0, 0, 0),
    };

    /// The cut-off must not be after the end of the day, or a request
    /// accepted for the same day would be late the moment it arrives.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.cutoff > self.day_end {
            return Err(Invalid::new(
                "cutoff",
                codes::MAIL_SLA_RULES_INVALID,
                format!(
                    "the cut-off {} is after the end of the day {}",
                    self.cutoff, self.day_end
                ),
            ));
        }
        Ok(())
    }

    /// The business day a request received at `received` is due.
    pub fn due_date(
        &self,
        received: Timestamp,
        tz: &TimeZone,
        cal: &BusinessCalendar,
    ) -> Result<Date, Invalid> {
        self.check()?;
        let local = tz.to_datetime(instant(received)?);
        let day = local.date();
        if cal.is_business_day(day) && local.time() < self.cutoff {
            Ok(day)
        } else {
            cal.add_business_days(day, 1)
        }
    }

    /// The instant a request received at `received` is due: the end of its
    /// [`SlaRules::due_date`], local time.
    pub fn deadline(
        &self,
        received: Timestamp,
        tz: &TimeZone,
        cal: &BusinessCalendar,
    ) -> Result<Timestamp, Invalid> {
        let date = self.due_date(received, tz, cal)?;
        end_of(date, self.day_end, tz)
    }

    /// When an item that cannot be scanned must have been sent on: the end
    /// of the first business day after the day it arrived, whatever the
    /// hour (ePost: objects are sent on « au plus tard le jour suivant »).
    pub fn unscannable_forward_deadline(
        &self,
        received: Timestamp,
        tz: &TimeZone,
        cal: &BusinessCalendar,
    ) -> Result<Timestamp, Invalid> {
        self.check()?;
        let day = tz.to_datetime(instant(received)?).date();
        end_of(cal.add_business_days(day, 1)?, self.day_end, tz)
    }
}

impl Default for SlaRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

fn instant(t: Timestamp) -> Result<jiff::Timestamp, Invalid> {
    jiff::Timestamp::from_millisecond(t.millis()).map_err(|_| out_of_range(t))
}

fn out_of_range(t: Timestamp) -> Invalid {
    Invalid::new(
        "received_at",
        codes::DATE_OUT_OF_RANGE,
        format!("{} ms is not a representable instant", t.millis()),
    )
}

/// `time` on `date` in `tz` as an instant. A time inside a
/// daylight-saving gap is moved forward by the gap, as jiff's "compatible"
/// rule does.
fn end_of(date: Date, time: Time, tz: &TimeZone) -> Result<Timestamp, Invalid> {
    date.to_datetime(time)
        .to_zoned(tz.clone())
        .map(|z| Timestamp::from_millis(z.timestamp().as_millisecond()))
        .map_err(|_| {
            Invalid::new(
                "date",
                codes::DATE_OUT_OF_RANGE,
                format!("{date} {time} is not a representable instant"),
            )
        })
}

/// [`SlaRules::deadline`]: when a task received at `received` at a location
/// in `tz`, with the location country's `cal`, is due.
pub fn deadline(
    received: Timestamp,
    tz: &TimeZone,
    cal: &BusinessCalendar,
    rules: &SlaRules,
) -> Result<Timestamp, Invalid> {
    rules.deadline(received, tz, cal)
}

/// A task is overdue once `now` is past its deadline (the deadline instant
/// itself is still on time).
pub const fn is_overdue(deadline: Timestamp, now: Timestamp) -> bool {
    now.millis() > deadline.millis()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letters::Country;
    use jiff::civil::{DateTime, date};
    use proptest::prelude::*;

    /// Europe/Zurich as a POSIX rule, so tests read no tz database.
    fn zurich() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    fn ch() -> BusinessCalendar {
        BusinessCalendar::for_country(&Country::CH).unwrap()
    }

    fn at_in(dt: DateTime, tz: &TimeZone) -> Timestamp {
        Timestamp::from_millis(
            dt.to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond(),
        )
    }

    fn at(dt: DateTime) -> Timestamp {
        at_in(dt, &zurich())
    }

    fn due(dt: DateTime) -> Timestamp {
        deadline(at(dt), &zurich(), &ch(), &SlaRules::DEFAULT).unwrap()
    }

    /// Monday 2 March 2026.
    const MONDAY: Date = date(2026, 3, 2);

    #[test]
    fn before_one_o_clock_is_due_the_same_day() {
        assert_eq!(due(MONDAY.at(12, 59, 0, 0)), at(MONDAY.at(18, 0, 0, 0)));
        assert_eq!(
            due(MONDAY.at(12, 59, 59, 999_000_000)),
            at(MONDAY.at(18, 0, 0, 0))
        );
        assert_eq!(due(MONDAY.at(0, 0, 0, 0)), at(MONDAY.at(18, 0, 0, 0)));
    }

    #[test]
    fn one_o_clock_and_later_is_due_the_next_business_day() {
        let tuesday = date(2026, 3, 3).at(18, 0, 0, 0);
        assert_eq!(due(MONDAY.at(13, 0, 0, 0)), at(tuesday));
        assert_eq!(due(MONDAY.at(17, 0, 0, 0)), at(tuesday));
        assert_eq!(due(MONDAY.at(23, 59, 0, 0)), at(tuesday));
    }

    #[test]
    fn friday_afternoon_and_the_weekend_are_due_monday() {
        let monday = date(2026, 3, 9).at(18, 0, 0, 0);
        assert_eq!(due(date(2026, 3, 6).at(14, 0, 0, 0)), at(monday));
        assert_eq!(due(date(2026, 3, 7).at(9, 0, 0, 0)), at(monday));
        assert_eq!(due(date(2026, 3, 8).at(23, 0, 0, 0)), at(monday));
        // Friday morning is still Friday.
        assert_eq!(
            due(date(2026, 3, 6).at(10, 0, 0, 0)),
            at(date(2026, 3, 6).at(18, 0, 0, 0))
        );
    }

    #[test]
    fn swiss_national_day_and_christmas_are_skipped() {
        // Thursday 31 July 2025 afternoon: Friday 1 August is a holiday.
        assert_eq!(
            due(date(2025, 7, 31).at(14, 0, 0, 0)),
            at(date(2025, 8, 4).at(18, 0, 0, 0))
        );
        // On the holiday itself, even in the morning.
        assert_eq!(
            due(date(2025, 8, 1).at(9, 0, 0, 0)),
            at(date(2025, 8, 4).at(18, 0, 0, 0))
        );
        // Wednesday 24 December 2025 afternoon: 25 and 26 are holidays, then the weekend.
        assert_eq!(
            due(date(2025, 12, 24).at(14, 0, 0, 0)),
            at(date(2025, 12, 29).at(18, 0, 0, 0))
        );
        assert_eq!(
            due(date(2025, 12, 24).at(9, 0, 0, 0)),
            at(date(2025, 12, 24).at(18, 0, 0, 0))
        );
    }

    #[test]
    fn daylight_saving_changes() {
        // Friday 27 March 2026 14:00 CET; clocks go forward on Sunday 29 March.
        // Due Monday 30 March 18:00 CEST = 16:00 UTC.
        let d = due(date(2026, 3, 27).at(14, 0, 0, 0));
        let utc = at_in(date(2026, 3, 30).at(16, 0, 0, 0), &TimeZone::UTC);
        assert_eq!(d, utc);
        // A request on the change day itself (02:30 UTC, 04:30 CEST).
        let sunday = at_in(date(2026, 3, 29).at(2, 30, 0, 0), &TimeZone::UTC);
        assert_eq!(
            deadline(sunday, &zurich(), &ch(), &SlaRules::DEFAULT).unwrap(),
            utc
        );
        // Autumn: Sunday 25 October 2026; Monday 18:00 CET = 17:00 UTC.
        let autumn = at_in(date(2026, 10, 25).at(1, 30, 0, 0), &TimeZone::UTC);
        assert_eq!(
            deadline(autumn, &zurich(), &ch(), &SlaRules::DEFAULT).unwrap(),
            at_in(date(2026, 10, 26).at(17, 0, 0, 0), &TimeZone::UTC)
        );
    }

    #[test]
    fn a_change_on_a_business_day_counts_local_hours() {
        // A zone whose clocks go forward at 02:00 on the last Monday of March
        // (30 March 2026): 12:59 local is before the cut-off, due 18:00 local,
        // which is 16:00 UTC that day.
        let tz = TimeZone::posix("CET-1CEST,M3.5.1,M10.5.0/3").unwrap();
        let received = at_in(date(2026, 3, 30).at(12, 59, 0, 0), &tz);
        let d = deadline(received, &tz, &ch(), &SlaRules::DEFAULT).unwrap();
        assert_eq!(d, at_in(date(2026, 3, 30).at(16, 0, 0, 0), &TimeZone::UTC));
        // 11:30 UTC is 13:30 local: after the cut-off, due Tuesday.
        let late = at_in(date(2026, 3, 30).at(11, 30, 0, 0), &TimeZone::UTC);
        assert_eq!(
            deadline(late, &tz, &ch(), &SlaRules::DEFAULT).unwrap(),
            at_in(date(2026, 3, 31).at(18, 0, 0, 0), &tz)
        );
    }

    #[test]
    fn the_cut_off_is_the_location_time_not_utc() {
        // 11:30 UTC in July is 13:30 in Zurich: after the cut-off.
        let t = at_in(date(2026, 7, 1).at(11, 30, 0, 0), &TimeZone::UTC);
        assert_eq!(
            deadline(t, &zurich(), &ch(), &SlaRules::DEFAULT).unwrap(),
            at(date(2026, 7, 2).at(18, 0, 0, 0))
        );
        // The same instant at a location in UTC is before it.
        assert_eq!(
            deadline(t, &TimeZone::UTC, &ch(), &SlaRules::DEFAULT).unwrap(),
            at_in(date(2026, 7, 1).at(18, 0, 0, 0), &TimeZone::UTC)
        );
    }

    #[test]
    fn other_countries_and_edited_rules() {
        // Belgian National Day, Tuesday 21 July 2026.
        let be = BusinessCalendar::for_country(&Country::BE).unwrap();
        let t = at(date(2026, 7, 20).at(15, 0, 0, 0));
        assert_eq!(
            deadline(t, &zurich(), &be, &SlaRules::DEFAULT).unwrap(),
            at(date(2026, 7, 22).at(18, 0, 0, 0))
        );
        let rules = SlaRules {
            cutoff: Time::constant(15, 30, 0, 0),
            day_end: Time::constant(17, 0, 0, 0),
        };
        assert_eq!(
            deadline(at(MONDAY.at(15, 0, 0, 0)), &zurich(), &ch(), &rules).unwrap(),
            at(MONDAY.at(17, 0, 0, 0))
        );
        let bad = SlaRules {
            cutoff: Time::constant(19, 0, 0, 0),
            ..SlaRules::DEFAULT
        };
        assert_eq!(
            deadline(at(MONDAY.at(9, 0, 0, 0)), &zurich(), &ch(), &bad)
                .unwrap_err()
                .code,
            "mail.sla_rules_invalid"
        );
    }

    #[test]
    fn overdue_only_after_the_deadline() {
        let d = due(MONDAY.at(9, 0, 0, 0));
        assert!(!is_overdue(d, d));
        assert!(!is_overdue(d, d.plus_millis(-1)));
        assert!(is_overdue(d, d.plus_millis(1)));
    }

    #[test]
    fn unscannable_items_leave_the_next_business_day() {
        let rules = SlaRules::DEFAULT;
        let f = |dt: DateTime| {
            rules
                .unscannable_forward_deadline(at(dt), &zurich(), &ch())
                .unwrap()
        };
        assert_eq!(
            f(MONDAY.at(9, 0, 0, 0)),
            at(date(2026, 3, 3).at(18, 0, 0, 0))
        );
        assert_eq!(
            f(date(2026, 3, 6).at(9, 0, 0, 0)),
            at(date(2026, 3, 9).at(18, 0, 0, 0))
        );
    }

    #[test]
    fn out_of_range_is_an_error_not_a_panic() {
        let err = deadline(
            Timestamp::from_millis(i64::MAX),
            &zurich(),
            &ch(),
            &SlaRules::DEFAULT,
        )
        .unwrap_err();
        assert_eq!(err.code, "date.out_of_range");
    }

    proptest! {
        #[test]
        fn deadlines_are_end_of_business_days_soon_after(
            secs in 1_735_689_600i64..1_893_456_000, // 2025 to 2030
        ) {
            let received = Timestamp::from_millis(secs * 1000);
            let (tz, cal) = (zurich(), ch());
            let d = deadline(received, &tz, &cal, &SlaRules::DEFAULT).unwrap();
            prop_assert!(d > received);
            let local = tz.to_datetime(jiff::Timestamp::from_millisecond(d.millis()).unwrap());
            prop_assert_eq!(local.time(), SlaRules::DEFAULT.day_end);
            prop_assert!(cal.is_business_day(local.date()));
            let day = tz.to_datetime(jiff::Timestamp::from_second(secs).unwrap()).date();
            // Due on the day received or the first business day after it.
            prop_assert!(local.date() >= day);
            prop_assert!(local.date() <= cal.add_business_days(day, 1).unwrap());
            // A later request is never due earlier.
            let later = deadline(received.plus_seconds(3_600), &tz, &cal, &SlaRules::DEFAULT).unwrap();
            prop_assert!(later >= d);
        }
    }
}
