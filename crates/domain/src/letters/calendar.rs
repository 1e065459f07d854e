//! Business days of a carrier's country: Monday to Friday minus public
//! holidays. Posting and delivery promises count in these days, so a letter
//! submitted before a long weekend is not promised for a day the carrier does
//! not deliver. Holidays are rules (fixed dates, or offsets from Easter
//! Sunday computed with `computus`), evaluated per year on demand; the
//! national sets below are defaults, and an admin can add closure days.

use crate::codes;

use super::Country;
use crate::Invalid;
use jiff::civil::{Date, Weekday};

/// When a holiday falls in a given year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidayDate {
    /// The same month and day every year.
    Fixed { month: i8, day: i8 },
    /// Days after (or, negative, before) Gregorian Easter Sunday.
    Easter(i16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Holiday {
    pub name: &'static str,
    pub date: HolidayDate,
}

const fn fixed(name: &'static str, month: i8, day: i8) -> Holiday {
    Holiday {
        name,
        date: HolidayDate::Fixed { month, day },
    }
}
const fn easter(name: &'static str, offset: i16) -> Holiday {
    Holiday {
        name,
        date: HolidayDate::Easter(offset),
    }
}

const GOOD_FRIDAY: Holiday = easter("Good Friday", -2);
const EASTER_MONDAY: Holiday = easter("Easter Monday", 1);
const ASCENSION: Holiday = easter("Ascension Day", 39);
const WHIT_MONDAY: Holiday = easter("Whit Monday", 50);
const NEW_YEAR: Holiday = fixed("New Year's Day", 1, 1);
const LABOUR_DAY: Holiday = fixed("Labour Day", 5, 1);
const ASSUMPTION: Holiday = fixed("Assumption Day", 8, 15);
const ALL_SAINTS: Holiday = fixed("All Saints' Day", 11, 1);
const ARMISTICE: Holiday = fixed("Armistice Day", 11, 11);
const CHRISTMAS: Holiday = fixed("Christmas Day", 12, 25);
const ST_STEPHEN: Holiday = fixed("St Stephen's Day", 12, 26);

/// Switzerland: federal holidays plus those common to nearly all cantons,
/// which is what a national carrier's delivery network follows.
pub const CH_HOLIDAYS: &[Holiday] = &[
    NEW_YEAR,
    fixed("Berchtoldstag", 1, 2),
    GOOD_FRIDAY,
    EASTER_MONDAY,
    ASCENSION,
    WHIT_MONDAY,
    fixed("Swiss National Day", 8, 1),
    CHRISTMAS,
    ST_STEPHEN,
];

/// Belgium: the ten legal public holidays.
pub const BE_HOLIDAYS: &[Holiday] = &[
    NEW_YEAR,
    EASTER_MONDAY,
    LABOUR_DAY,
    ASCENSION,
    WHIT_MONDAY,
    fixed("Belgian National Day", 7, 21),
    ASSUMPTION,
    ALL_SAINTS,
    ARMISTICE,
    CHRISTMAS,
];

/// France: the eleven jours fériés of the Code du travail (Whit Monday is
/// still a public holiday even where firms make it a "journée de solidarité").
pub const FR_HOLIDAYS: &[Holiday] = &[
    NEW_YEAR,
    EASTER_MONDAY,
    LABOUR_DAY,
    fixed("Victory in Europe Day", 5, 8),
    ASCENSION,
    WHIT_MONDAY,
    fixed("Bastille Day", 7, 14),
    ASSUMPTION,
    ALL_SAINTS,
    ARMISTICE,
    CHRISTMAS,
];

/// Germany: the nine nationwide holidays (regional ones are left to an admin).
pub const DE_HOLIDAYS: &[Holiday] = &[
    NEW_YEAR,
    GOOD_FRIDAY,
    EASTER_MONDAY,
    LABOUR_DAY,
    ASCENSION,
    WHIT_MONDAY,
    fixed("German Unity Day", 10, 3),
    CHRISTMAS,
    ST_STEPHEN,
];

/// Gregorian Easter Sunday, for the years `computus` covers (1583–9999).
pub fn easter_sunday(year: i16) -> Option<Date> {
    let e = computus::gregorian(i32::from(year)).ok()?;
    Date::new(year, i8::try_from(e.month).ok()?, i8::try_from(e.day).ok()?).ok()
}

fn out_of_range(date: Date) -> Invalid {
    Invalid::new(
        "date",
        codes::DATE_OUT_OF_RANGE,
        format!("no business day can be counted past {date}"),
    )
}

/// A country's working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    country: Country,
    holidays: Vec<Holiday>,
    closures: Vec<Date>,
}

impl BusinessCalendar {
    /// A calendar from explicit rules, for a country without a default set or
    /// an admin's edited one.
    pub fn new(country: Country, holidays: Vec<Holiday>) -> Self {
        Self {
            country,
            holidays,
            closures: Vec::new(),
        }
    }

    /// The default national calendar of CH, BE, FR or DE.
    pub fn for_country(country: &Country) -> Option<BusinessCalendar> {
        let rules = match *country {
            Country::CH => CH_HOLIDAYS,
            Country::BE => BE_HOLIDAYS,
            Country::FR => FR_HOLIDAYS,
            Country::DE => DE_HOLIDAYS,
            _ => return None,
        };
        Some(Self::new(*country, rules.to_vec()))
    }

    /// Adds one-off closure days (a strike, a bridge day the carrier
    /// announced) on top of the yearly rules.
    pub fn with_closures(mut self, dates: impl IntoIterator<Item = Date>) -> Self {
        self.closures.extend(dates);
        self
    }

    pub fn country(&self) -> Country {
        self.country
    }

    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The holiday on `date`, if any, by name.
    pub fn holiday_on(&self, date: Date) -> Option<&'static str> {
        if self.closures.contains(&date) {
            return Some("closure");
        }
        // Easter-based holidays all fall in Easter's own year (−2 … +50 days),
        // so comparing days of the year needs no fallible date arithmetic.
        let easter_day = easter_sunday(date.year()).map(Date::day_of_year);
        self.holidays
            .iter()
            .find(|h| match h.date {
                HolidayDate::Fixed { month, day } => date.month() == month && date.day() == day,
                HolidayDate::Easter(offset) => {
                    easter_day.is_some_and(|e| date.day_of_year() == e + offset)
                }
            })
            .map(|h| h.name)
    }

    /// The year's holidays in date order (weekends included: they are
    /// listed as the law has them, even when they change nothing).
    pub fn holidays_in(&self, year: i16) -> Vec<(Date, &'static str)> {
        let easter = easter_sunday(year);
        let mut out: Vec<(Date, &'static str)> = self
            .holidays
            .iter()
            .filter_map(|h| {
                let date = match h.date {
                    HolidayDate::Fixed { month, day } => Date::new(year, month, day).ok()?,
                    HolidayDate::Easter(offset) => easter?
                        .checked_add(jiff::Span::new().days(i64::from(offset)))
                        .ok()?,
                };
                Some((date, h.name))
            })
            .collect();
        out.extend(
            self.closures
                .iter()
                .filter(|d| d.year() == year)
                .map(|d| (*d, "closure")),
        );
        out.sort();
        out
    }

    /// Monday to Friday and not a holiday.
    pub fn is_business_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && self.holiday_on(date).is_none()
    }

    /// `date` itself when it is a business day, else the next one.
    pub fn next_business_day_on_or_after(&self, date: Date) -> Result<Date, Invalid> {
        let mut d = date;
        while !self.is_business_day(d) {
            d = d.tomorrow().map_err(|_| out_of_range(date))?;
        }
        Ok(d)
    }

    /// The `n`-th business day after `date` (whatever `date` itself is):
    /// with n = 1 from a Friday, the next Monday, or Tuesday if Monday is a
    /// holiday. n = 0 returns `date` unchanged.
    pub fn add_business_days(&self, date: Date, n: u32) -> Result<Date, Invalid> {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            d = d.tomorrow().map_err(|_| out_of_range(date))?;
            if self.is_business_day(d) {
                left -= 1;
            }
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ch() -> BusinessCalendar {
        BusinessCalendar::for_country(&Country::CH).unwrap()
    }

    #[test]
    fn easter_sundays() {
        assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter_sunday(1500), None);
    }

    #[test]
    fn swiss_holidays_2026() {
        let names: Vec<(Date, &str)> = ch().holidays_in(2026);
        let dates: Vec<Date> = names.iter().map(|(d, _)| *d).collect();
        assert_eq!(
            dates,
            vec![
                date(2026, 1, 1),
                date(2026, 1, 2),
                date(2026, 4, 3),
                date(2026, 4, 6),
                date(2026, 5, 14),
                date(2026, 5, 25),
                date(2026, 8, 1),
                date(2026, 12, 25),
                date(2026, 12, 26),
            ]
        );
        assert_eq!(ch().holiday_on(date(2026, 5, 25)), Some("Whit Monday"));
        assert_eq!(ch().holiday_on(date(2026, 5, 26)), None);
    }

    #[test]
    fn national_sets_differ_where_they_should() {
        let be = BusinessCalendar::for_country(&Country::BE).unwrap();
        let fr = BusinessCalendar::for_country(&Country::FR).unwrap();
        let de = BusinessCalendar::for_country(&Country::DE).unwrap();
        // Good Friday 2026-04-03: a holiday in CH and DE, a working day in BE and FR.
        let good_friday = date(2026, 4, 3);
        assert!(!ch().is_business_day(good_friday));
        assert!(!de.is_business_day(good_friday));
        assert!(be.is_business_day(good_friday));
        assert!(fr.is_business_day(good_friday));
        assert!(!be.is_business_day(date(2026, 7, 21)));
        assert!(!fr.is_business_day(date(2026, 7, 14)));
        assert!(!fr.is_business_day(date(2026, 5, 8)));
        assert!(!de.is_business_day(date(2025, 10, 3)));
        assert!(ch().is_business_day(date(2025, 10, 3)));
        assert_eq!(be.holidays_in(2026).len(), 10);
        assert_eq!(fr.holidays_in(2026).len(), 11);
        assert_eq!(de.holidays_in(2026).len(), 9);
        assert!(BusinessCalendar::for_country(&Country::parse("IT").unwrap()).is_none());
    }

    #[test]
    fn weekends_are_not_business_days() {
        assert!(ch().is_business_day(date(2026, 3, 6))); // Friday
        assert!(!ch().is_business_day(date(2026, 3, 7)));
        assert!(!ch().is_business_day(date(2026, 3, 8)));
        assert_eq!(
            ch().next_business_day_on_or_after(date(2026, 3, 7))
                .unwrap(),
            date(2026, 3, 9)
        );
        assert_eq!(
            ch().next_business_day_on_or_after(date(2026, 3, 9))
                .unwrap(),
            date(2026, 3, 9)
        );
    }

    #[test]
    fn counting_business_days() {
        let c = ch();
        assert_eq!(
            c.add_business_days(date(2026, 3, 6), 1).unwrap(),
            date(2026, 3, 9)
        );
        assert_eq!(
            c.add_business_days(date(2026, 3, 6), 0).unwrap(),
            date(2026, 3, 6)
        );
        // Over Easter 2026: Thursday 2 April + 1 skips Good Friday, the weekend and Easter Monday.
        assert_eq!(
            c.add_business_days(date(2026, 4, 2), 1).unwrap(),
            date(2026, 4, 7)
        );
        // New Year 2027: Thursday 31 December + 1 skips 1 and 2 January (Fri, Sat) and Sunday.
        assert_eq!(
            c.add_business_days(date(2026, 12, 31), 1).unwrap(),
            date(2027, 1, 4)
        );
    }

    #[test]
    fn closures_are_added_to_the_rules() {
        let c = ch().with_closures([date(2026, 5, 15)]);
        assert_eq!(c.holiday_on(date(2026, 5, 15)), Some("closure"));
        assert_eq!(
            c.add_business_days(date(2026, 5, 13), 1).unwrap(),
            date(2026, 5, 18)
        );
    }

    #[test]
    fn end_of_time_is_an_error_not_a_panic() {
        let err = ch().add_business_days(date(9999, 12, 30), 5).unwrap_err();
        assert_eq!(err.code, "date.out_of_range");
        let closed = ch().with_closures((27..=31).map(|d| date(9999, 12, d)));
        assert!(
            closed
                .next_business_day_on_or_after(date(9999, 12, 25))
                .is_err()
        );
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1990i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d))
    }

    proptest! {
        #[test]
        fn added_days_land_on_business_days(d in any_date(), n in 1u32..30) {
            for cal in [Country::CH, Country::BE, Country::FR, Country::DE] {
                let c = BusinessCalendar::for_country(&cal).unwrap();
                let r = c.add_business_days(d, n).unwrap();
                prop_assert!(r > d);
                prop_assert!(c.is_business_day(r));
                // Adding in two steps is the same as adding at once.
                let half = c.add_business_days(c.add_business_days(d, n / 2).unwrap(), n - n / 2).unwrap();
                prop_assert_eq!(half, r);
                // Never more than a week and a half per business day, even over Christmas.
                prop_assert!(d.until(r).unwrap().get_days() <= i32::try_from(n).unwrap() * 2 + 5);
            }
        }

        #[test]
        fn next_business_day_is_the_first_one(d in any_date()) {
            let c = ch();
            let r = c.next_business_day_on_or_after(d).unwrap();
            prop_assert!(r >= d && c.is_business_day(r));
            let mut x = d;
            while x < r {
                prop_assert!(!c.is_business_day(x));
                x = x.tomorrow().unwrap();
            }
        }
    }
}
