//! Carrier tariffs: the current [`TariffTable`] of each carrier country in
//! `tariffs`, and every version ever saved in `tariff_versions` with its
//! weight steps in `tariff_steps` (both append-only). Edits are
//! compare-and-set on the `version` the editor read, and audited in the same
//! transaction in the editor's organisation (the platform's).
//!
//! Tariffs are not tenant data: any use case may read them; only the app's
//! platform-admin use case changes them. The seeds of [`TariffTable::seeds`]
//! are written once, right after migrating ([`Store::ensure_seed_tariffs`]);
//! from then on these rows are the only source of prices.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::mailbox::corrupt;
use crate::row::RowExt;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::letters::{Country, ServiceFees, TariffTable, WeightStep};
use courrier_domain::{Clock, Currency, OrgScope, SystemClock, Timestamp};
use sqlx::Row;
use std::collections::BTreeMap;

/// Who saved the seed tables, in `updated_by`.
pub const SEED_AUTHOR: &str = "system:seed";

/// One version of a carrier's table: the current one (from `tariffs`) or
/// one of its history (from `tariff_versions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffRecord {
    pub table: TariffTable,
    /// 1 for the seed, one more for every saved edit.
    pub version: i64,
    /// `user:<id>`, `apikey:<id>` or [`SEED_AUTHOR`].
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// A table's row without its steps, as read from `tariffs` or `tariff_versions`.
struct Head {
    country: Country,
    carrier: String,
    currency: Currency,
    fees: ServiceFees,
    vat_rate_bp: u32,
    version: i64,
    updated_by: String,
    updated_at: Timestamp,
}

const HEAD_COLS: &str = "country, carrier, currency, per_letter, per_sheet_bw, per_sheet_colour, \
    registered, acknowledgement_of_receipt, vat_rate_bp, version, updated_by, updated_at";

const STEP_COLS: &str = "s.version, s.up_to_grams, s.priority, s.standard, s.international_europe, s.international_world";

fn head_from_row(r: &impl RowExt) -> Result<Head> {
    Ok(Head {
        country: r.parsed("country", Country::parse)?,
        carrier: r.col("carrier")?,
        currency: r.parsed("currency", Currency::parse)?,
        fees: ServiceFees {
            per_letter: r.col("per_letter")?,
            per_sheet_bw: r.col("per_sheet_bw")?,
            per_sheet_colour: r.col("per_sheet_colour")?,
            registered: r.col("registered")?,
            acknowledgement_of_receipt: r.col("acknowledgement_of_receipt")?,
        },
        vat_rate_bp: u32::try_from(r.int("vat_rate_bp")?).map_err(corrupt)?,
        version: r.col("version")?,
        updated_by: r.col("updated_by")?,
        updated_at: r.ts("updated_at")?,
    })
}

/// `(version, step)` from a row of `tariff_steps`.
fn step_from_row(r: &impl RowExt) -> Result<(i64, WeightStep)> {
    let version = r.int("version")?;
    let step = WeightStep {
        up_to_grams: u32::try_from(r.int("up_to_grams")?).map_err(corrupt)?,
        priority: r.col("priority")?,
        standard: r.col("standard")?,
        international_europe: r.col("international_europe")?,
        international_world: r.col("international_world")?,
    };
    Ok((version, step))
}

/// A stored table goes through the domain's checks again: a row edited
/// behind the store's back is reported, never used.
fn assemble(head: Head, steps: Vec<WeightStep>) -> Result<TariffRecord> {
    let table = TariffTable::new(
        head.carrier,
        head.country,
        head.currency,
        steps,
        head.fees,
        head.vat_rate_bp,
    )
    .map_err(|e| StoreError::Corrupt(format!("tariff {}: {e}", head.country)))?;
    Ok(TariffRecord {
        table,
        version: head.version,
        updated_by: head.updated_by,
        updated_at: head.updated_at,
    })
}

/// Writes the head of `table` at `version` into `tariff_versions` and its
/// steps into `tariff_steps`, inside `$tx`.
macro_rules! insert_version {
    ($tx:expr, $table:expr, $version:expr, $by:expr, $now:expr) => {{
        let table: &TariffTable = $table;
        let version: i64 = $version;
        let by: &str = $by;
        let now: Timestamp = $now;
        let fees = table.fees();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO tariff_versions ({HEAD_COLS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )))
        .bind(table.country().as_str().to_string())
        .bind(table.carrier().to_string())
        .bind(table.currency().as_str().to_string())
        .bind(fees.per_letter)
        .bind(fees.per_sheet_bw)
        .bind(fees.per_sheet_colour)
        .bind(fees.registered)
        .bind(fees.acknowledgement_of_receipt)
        .bind(i64::from(table.vat_rate_bp()))
        .bind(version)
        .bind(by.to_string())
        .bind(now.millis())
        .execute(&mut *$tx)
        .await?;
        for step in table.steps() {
            sqlx::query(
                "INSERT INTO tariff_steps (country, version, up_to_grams, priority, standard, \
                 international_europe, international_world) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(table.country().as_str().to_string())
            .bind(version)
            .bind(i64::from(step.up_to_grams))
            .bind(step.priority)
            .bind(step.standard)
            .bind(step.international_europe)
            .bind(step.international_world)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Called by [`Store::migrate`]: the seeds, stamped with the real time (the
/// store has no injected clock; the stamp is only shown in the history).
pub(crate) async fn seed_after_migrating(store: &Store) -> Result<usize> {
    store
        .ensure_seed_tariffs(&TariffTable::seeds(), SystemClock.now())
        .await
}

impl Store {
    /// Writes each of `seeds` as version 1 of its carrier unless the carrier
    /// country has a table already (`INSERT … ON CONFLICT DO NOTHING`, so
    /// concurrent boots add each seed once); returns how many were written.
    /// A table an admin edited is never overwritten.
    pub async fn ensure_seed_tariffs(
        &self,
        seeds: &[TariffTable],
        now: Timestamp,
    ) -> Result<usize> {
        let mut written = 0;
        on_pool!(self, |p, d| {
            for table in seeds {
                let mut tx = p.begin().await?;
                let fees = table.fees();
                let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO tariffs ({HEAD_COLS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11) \
                     ON CONFLICT (country) DO NOTHING"
                )))
                .bind(table.country().as_str().to_string())
                .bind(table.carrier().to_string())
                .bind(table.currency().as_str().to_string())
                .bind(fees.per_letter)
                .bind(fees.per_sheet_bw)
                .bind(fees.per_sheet_colour)
                .bind(fees.registered)
                .bind(fees.acknowledgement_of_receipt)
                .bind(i64::from(table.vat_rate_bp()))
                .bind(SEED_AUTHOR)
                .bind(now.millis())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 1 {
                    insert_version!(tx, table, 1, SEED_AUTHOR, now);
                    written += 1;
                }
                tx.commit().await?;
            }
        });
        Ok(written)
    }

    /// Every carrier's current table, by country code.
    pub async fn tariffs(&self) -> Result<Vec<TariffRecord>> {
        let mut heads = Vec::new();
        let mut steps: BTreeMap<String, Vec<WeightStep>> = BTreeMap::new();
        on_pool!(self, |p, d| {
            for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {HEAD_COLS} FROM tariffs ORDER BY country"
            )))
            .fetch_all(p)
            .await?
            {
                heads.push(head_from_row(&r)?);
            }
            // The steps of each current version; a version's steps never
            // change, so reading them apart from the heads is consistent.
            for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT s.country, {STEP_COLS} FROM tariff_steps s \
                 JOIN tariffs t ON t.country = s.country AND t.version = s.version \
                 ORDER BY s.country, s.up_to_grams"
            )))
            .fetch_all(p)
            .await?
            {
                let country: String = r.try_get("country")?;
                let (_, step) = step_from_row(&r)?;
                steps.entry(country).or_default().push(step);
            }
        });
        heads
            .into_iter()
            .map(|h| {
                let s = steps.remove(h.country.as_str()).unwrap_or_default();
                assemble(h, s)
            })
            .collect()
    }

    /// The current table of the carrier of `country`; `NotFound` when there is none.
    pub async fn tariff(&self, country: &Country) -> Result<TariffRecord> {
        let code = country.as_str().to_string();
        on_pool!(self, |p, d| {
            let head = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {HEAD_COLS} FROM tariffs WHERE country = $1"
            )))
            .bind(code.clone())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            let head = head_from_row(&head)?;
            let mut steps = Vec::new();
            for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {STEP_COLS} FROM tariff_steps s WHERE s.country = $1 AND s.version = $2 \
                 ORDER BY s.up_to_grams"
            )))
            .bind(code)
            .bind(head.version)
            .fetch_all(p)
            .await?
            {
                steps.push(step_from_row(&r)?.1);
            }
            assemble(head, steps)
        })
    }

    /// The saved versions of the carrier of `country`, newest first, at
    /// most `limit` (1 to 200); empty when there is no such carrier.
    pub async fn tariff_history(&self, country: &Country, limit: u32) -> Result<Vec<TariffRecord>> {
        let code = country.as_str().to_string();
        let limit = i64::from(limit.clamp(1, 200));
        let mut heads = Vec::new();
        let mut steps: BTreeMap<i64, Vec<WeightStep>> = BTreeMap::new();
        on_pool!(self, |p, d| {
            for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {HEAD_COLS} FROM tariff_versions WHERE country = $1 \
                 ORDER BY version DESC LIMIT $2"
            )))
            .bind(code.clone())
            .bind(limit)
            .fetch_all(p)
            .await?
            {
                heads.push(head_from_row(&r)?);
            }
            let oldest = heads.last().map_or(i64::MAX, |h| h.version);
            for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {STEP_COLS} FROM tariff_steps s WHERE s.country = $1 AND s.version >= $2 \
                 ORDER BY s.version, s.up_to_grams"
            )))
            .bind(code)
            .bind(oldest)
            .fetch_all(p)
            .await?
            {
                let (version, step) = step_from_row(&r)?;
                steps.entry(version).or_default().push(step);
            }
        });
        heads
            .into_iter()
            .map(|h| {
                let s = steps.remove(&h.version).unwrap_or_default();
                assemble(h, s)
            })
            .collect()
    }

    /// Saves `table` as the next version of its carrier if the current
    /// version is still `expected_version`; returns the new version. Someone
    /// else's save in between is `Conflict { what: "tariff.changed" }` (and
    /// nothing is written); an unknown carrier is `NotFound`; another
    /// currency than the carrier's is `Refused { what:
    /// "tariff.currency_fixed" }`. The audit entry `tariff.updated` (old and
    /// new version) goes to the scope's organisation in the same transaction.
    pub async fn update_tariff(
        &self,
        scope: &OrgScope,
        expected_version: i64,
        table: &TariffTable,
        now: Timestamp,
    ) -> Result<i64> {
        let code = table.country().as_str().to_string();
        let next = expected_version
            .checked_add(1)
            .ok_or(StoreError::Conflict {
                what: codes::TARIFF_CHANGED,
            })?;
        let event = AuditEvent::new(
            "tariff.updated",
            code.clone(),
            format!("{}: version {expected_version} → {next}", table.carrier()),
        );
        let fees = table.fees();
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let current = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT version, currency FROM tariffs WHERE country = $1{}",
                d.lock_rows
            )))
            .bind(code.clone())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if current.try_get::<i64, _>("version")? != expected_version {
                return Err(StoreError::Conflict {
                    what: codes::TARIFF_CHANGED,
                });
            }
            if current.try_get::<String, _>("currency")? != table.currency().as_str() {
                return Err(StoreError::Refused {
                    what: codes::TARIFF_CURRENCY_FIXED,
                });
            }
            let n = sqlx::query(
                "UPDATE tariffs SET carrier = $1, per_letter = $2, per_sheet_bw = $3, \
                 per_sheet_colour = $4, registered = $5, acknowledgement_of_receipt = $6, \
                 vat_rate_bp = $7, version = $8, updated_by = $9, updated_at = $10 \
                 WHERE country = $11 AND version = $12",
            )
            .bind(table.carrier().to_string())
            .bind(fees.per_letter)
            .bind(fees.per_sheet_bw)
            .bind(fees.per_sheet_colour)
            .bind(fees.registered)
            .bind(fees.acknowledgement_of_receipt)
            .bind(i64::from(table.vat_rate_bp()))
            .bind(next)
            .bind(scope.actor().to_string())
            .bind(now.millis())
            .bind(code.clone())
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict {
                    what: codes::TARIFF_CHANGED,
                });
            }
            insert_version!(tx, table, next, scope.actor(), now);
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(next)
    }
}
