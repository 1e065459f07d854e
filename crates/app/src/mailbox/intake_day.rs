//! Received versus inserted, the operator's proof that "all mail is
//! inserted the same day it arrives". The clerk records how many pieces the
//! carrier handed over today (one number, corrected as often as needed, with
//! who and when); every item logged says the day its piece was received
//! (today by default, earlier for a late insert, never later). The day's
//! view ([`App::intake_day`]) compares the carrier's count with the items
//! received today and inserted (refused pieces count as handled), and lists
//! the items inserted today that were received earlier.

use super::{invalid, local_day, location_site};
use crate::{App, Result};
use courrier_domain::codes;
use courrier_domain::mailbox::ItemState;
use courrier_domain::{Actor, LocationId, Timestamp};
use courrier_store::{DayItem, IntakeCountRecord};

/// Most pieces one count may record.
pub const MAX_DAILY_PIECES: i64 = 100_000;
/// How far back a late insert may say its piece was received.
pub const MAX_LATE_DAYS: i64 = 31;

/// Today at a location: the carrier's count against what was inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeDay {
    /// `YYYY-MM-DD`, local to the location.
    pub day: String,
    /// What the clerk recorded from the carrier, if anything yet.
    pub carrier: Option<IntakeCountRecord>,
    /// Items received today and inserted (received or refused).
    pub received_today: usize,
    /// Of those, refused: handled, so they count as inserted.
    pub refused_today: usize,
    /// Items inserted today whose piece was received on an earlier day,
    /// newest insert first.
    pub late: Vec<DayItem>,
}

impl IntakeDay {
    /// Pieces the carrier handed over that are not inserted yet (negative:
    /// more inserted than counted); `None` while no count is recorded.
    pub fn not_inserted(&self) -> Option<i64> {
        self.carrier.as_ref().map(|c| {
            c.pieces
                .saturating_sub(i64::try_from(self.received_today).unwrap_or(i64::MAX))
        })
    }

    /// The checklist's "inserted today" is done: a count is recorded and
    /// every counted piece was inserted.
    pub fn all_inserted(&self) -> bool {
        self.not_inserted() == Some(0)
    }
}

/// The local date of an instant in `tz`.
pub(crate) fn local_date(now: Timestamp, tz: &jiff::tz::TimeZone) -> Result<jiff::civil::Date> {
    let instant = jiff::Timestamp::from_millisecond(now.millis())
        .map_err(|e| crate::AppError::Internal(e.into()))?;
    Ok(tz.to_datetime(instant).date())
}

/// Checks the day a piece was received against the location's today:
/// `None` is today; a date may be up to [`MAX_LATE_DAYS`] back, never later.
pub(crate) fn received_on(
    raw: Option<&str>,
    today: jiff::civil::Date,
) -> Result<jiff::civil::Date> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(today);
    };
    let date: jiff::civil::Date = raw.parse().map_err(|_| {
        invalid(
            "received_on",
            codes::MAIL_RECEIVED_ON_INVALID,
            "give the day the piece was received as a date, such as 2026-01-31",
        )
    })?;
    if date > today {
        return Err(invalid(
            "received_on",
            codes::MAIL_RECEIVED_ON_INVALID,
            format!("the piece cannot have been received after today ({today})"),
        ));
    }
    let earliest = today
        .checked_sub(jiff::Span::new().days(MAX_LATE_DAYS))
        .unwrap_or(today);
    if date < earliest {
        return Err(invalid(
            "received_on",
            codes::MAIL_RECEIVED_ON_INVALID,
            format!("a late insert goes back at most {MAX_LATE_DAYS} days (to {earliest})"),
        ));
    }
    Ok(date)
}

impl App {
    /// Records how many pieces the carrier handed over today at one of the
    /// actor's locations (`mailcenter.operate`); a later call the same day
    /// replaces the number.
    pub async fn record_carrier_count(
        &self,
        actor: &Actor,
        location: LocationId,
        pieces: i64,
    ) -> Result<IntakeCountRecord> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        if !(0..=MAX_DAILY_PIECES).contains(&pieces) {
            return Err(invalid(
                "pieces",
                codes::MAIL_COUNT_INVALID,
                format!("give the number of pieces from the carrier, 0 to {MAX_DAILY_PIECES}"),
            ));
        }
        let (tz, _) = location_site(&location)?;
        let now = self.now();
        let day = local_date(now, &tz)?.to_string();
        Ok(self
            .store
            .set_intake_count(&scope, location.id, &day, pieces, now)
            .await?)
    }

    /// Today at one of the actor's locations (`mailcenter.operate`).
    pub async fn intake_day(&self, actor: &Actor, location: LocationId) -> Result<IntakeDay> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        let (tz, _) = location_site(&location)?;
        let now = self.now();
        let day = local_date(now, &tz)?.to_string();
        let (start, end) = local_day(now, &tz)?;
        let carrier = self.store.intake_count(&scope, location.id, &day).await?;
        let items = self
            .store
            .intake_day_items(&scope, location.id, &day, start, end)
            .await?;
        let mut received_today = 0;
        let mut refused_today = 0;
        let mut late = Vec::new();
        for d in items {
            // Items logged before the day was recorded count on their insert day.
            let on = d.received_on.clone().unwrap_or_else(|| day.clone());
            if on == day {
                received_today += 1;
                if d.item.state == ItemState::Refused {
                    refused_today += 1;
                }
            } else if on < day {
                late.push(d);
            }
        }
        Ok(IntakeDay {
            day,
            carrier,
            received_today,
            refused_today,
            late,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_on_is_today_or_a_recent_past_day() {
        let today = jiff::civil::date(2026, 3, 10);
        assert_eq!(received_on(None, today).unwrap(), today);
        assert_eq!(received_on(Some(" "), today).unwrap(), today);
        assert_eq!(
            received_on(Some("2026-03-09"), today).unwrap(),
            jiff::civil::date(2026, 3, 9)
        );
        for bad in ["2026-03-11", "10.03.2026", "2026-01-01"] {
            let Err(crate::AppError::Invalid(e)) = received_on(Some(bad), today) else {
                panic!("{bad} accepted");
            };
            assert_eq!(e.code, "mail.received_on_invalid");
            assert_eq!(e.field, "received_on");
        }
    }
}
