//! Received versus inserted at a mail-center location. The clerk records how
//! many pieces the carrier handed over on a local day (one number per
//! location and day, replaced when corrected, with who and when), and every
//! item logged at the counter carries the day its piece was received
//! (`mail_items.received_on`, written by [`Store::insert_item_received_on`]).
//! The operator dashboard compares the two: [`Store::intake_day_items`]
//! returns the items received that day together with those inserted that
//! day but received earlier.
//!
//! Days are ISO dates (`YYYY-MM-DD`) in the location's time zone; the caller
//! computes and checks them (the store keeps no time zone rules).

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::mail_items::{ITEM_COLS, MailItemRecord, item_from_row};
use crate::users::parse_id;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{LocationId, OrgScope, Timestamp};
use sqlx::Row;

/// The carrier's count of one location and day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeCountRecord {
    pub location: LocationId,
    /// `YYYY-MM-DD`, local to the location.
    pub day: String,
    pub pieces: i64,
    /// The actor who recorded the current number.
    pub recorded_by: String,
    pub recorded_at: Timestamp,
}

/// An item with the day its piece was received (`None` for a digital
/// delivery or an item logged before the day was recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayItem {
    pub item: MailItemRecord,
    pub received_on: Option<String>,
}

/// Longest a day string may be: `YYYY-MM-DD`.
const DAY_LEN: usize = 10;

pub(crate) fn check_day(day: &str) -> Result<()> {
    let ok = day.len() == DAY_LEN
        && day.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::Refused {
            what: codes::INTAKE_DAY_INVALID,
        })
    }
}

impl Store {
    /// Records (or corrects) how many pieces the carrier handed over at one
    /// of the scope's locations on `day`, audited as `intake.counted`.
    /// `NotFound` for another mail center's location; a negative count is
    /// refused (`intake.count_invalid`).
    pub async fn set_intake_count(
        &self,
        scope: &OrgScope,
        location: LocationId,
        day: &str,
        pieces: i64,
        now: Timestamp,
    ) -> Result<IntakeCountRecord> {
        check_day(day)?;
        if pieces < 0 {
            return Err(StoreError::Refused {
                what: codes::INTAKE_COUNT_INVALID,
            });
        }
        self.own_location(scope, location).await?;
        let audit = AuditEvent::new(
            "intake.counted",
            location.to_string(),
            format!("{day}: {pieces} pieces from the carrier"),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO intake_counts (location_id, day, org_id, pieces, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (location_id, day) DO UPDATE SET pieces = excluded.pieces, \
                 recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            )
            .bind(location.to_string())
            .bind(day.to_string())
            .bind(scope.org().to_string())
            .bind(pieces)
            .bind(scope.actor().to_string())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(IntakeCountRecord {
            location,
            day: day.to_string(),
            pieces,
            recorded_by: scope.actor().to_string(),
            recorded_at: now,
        })
    }

    /// The carrier's count of one of the scope's locations on `day`, if the
    /// clerk recorded one.
    pub async fn intake_count(
        &self,
        scope: &OrgScope,
        location: LocationId,
        day: &str,
    ) -> Result<Option<IntakeCountRecord>> {
        check_day(day)?;
        on_pool!(self, |p, d| {
            let r = sqlx::query(
                "SELECT location_id, day, pieces, recorded_by, recorded_at FROM intake_counts \
                 WHERE location_id = $1 AND day = $2 AND org_id = $3",
            )
            .bind(location.to_string())
            .bind(day.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            match r {
                Some(r) => Ok(Some(IntakeCountRecord {
                    location: parse_id(r.try_get::<String, _>("location_id")?)?,
                    day: r.try_get("day")?,
                    pieces: r.try_get("pieces")?,
                    recorded_by: r.try_get("recorded_by")?,
                    recorded_at: Timestamp::from_millis(r.try_get("recorded_at")?),
                })),
                None => Ok(None),
            }
        })
    }

    /// The items of one of the scope's locations that were received on
    /// `day`, or inserted in `[from, before)` (the same day's bounds) whatever
    /// day they were received: newest insert first, at most 2000, refused
    /// ones included.
    pub async fn intake_day_items(
        &self,
        scope: &OrgScope,
        location: LocationId,
        day: &str,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<DayItem>> {
        check_day(day)?;
        self.own_location(scope, location).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS}, i.received_on FROM mail_items i WHERE i.location_id = $1 \
                 AND (i.received_on = $2 OR (i.received_at >= $3 AND i.received_at < $4)) \
                 ORDER BY i.received_at DESC, i.id DESC LIMIT 2000"
            )))
            .bind(location.to_string())
            .bind(day.to_string())
            .bind(from.millis())
            .bind(before.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(DayItem {
                    received_on: r.try_get("received_on")?,
                    item: item_from_row(&r)?,
                });
            }
        });
        Ok(out)
    }
}
