//! Outbound letters: the letter row with its priced options and recipient,
//! its status history, the organisation's letter settings, and bulk runs.
//! A status change is a compare-and-set on the current status, written with
//! its history event, audit entry and webhook events in one transaction.
//!
//! Here: the letter and its history; [`settings`] the organisation's letter
//! settings, [`runs`] bulk runs, [`period`] the letters of a period.

use courrier_domain::codes;

mod period;
mod runs;
mod settings;

pub use period::PERIOD_CHUNK;
pub use runs::{RunItemRecord, RunKind, RunRecord, RunState};
pub use settings::LetterSettings;

use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::row::corrupt;
use crate::users::{paged, parse_id};
use crate::webhooks::outbox_in_tx;
use crate::{Outbox, Page, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::letters::{
    BackgroundScope, Colour, Country, Envelope, LetterStatus, Paper, Product, Registered, Sides,
};
use courrier_domain::{Currency, LetterId, OrgId, OrgScope, RunId, Timestamp};
use sqlx::Row;

/// Where a letter goes, as read from its window or given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRecord {
    pub lines: Vec<String>,
    pub name: String,
    pub postcode: String,
    pub locality: String,
    pub country: Country,
}

/// A printed attachment appended after a letter (a reply coupon, a flyer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterAttachment {
    /// The file name it was uploaded with (line breaks become spaces).
    pub name: String,
    pub pages: i32,
}

/// One line per attachment, `<pages> <name>`.
fn attachments_text(attachments: &[LetterAttachment]) -> String {
    attachments
        .iter()
        .map(|a| {
            let name: String = a
                .name
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!("{} {name}", a.pages)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn attachments_from_text(text: &str) -> Result<Vec<LetterAttachment>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (pages, name) = line.split_once(' ').unwrap_or((line, ""));
            Ok(LetterAttachment {
                name: name.to_string(),
                pages: pages.parse().map_err(corrupt)?,
            })
        })
        .collect()
}

fn background_from_text(text: Option<String>) -> Result<Option<BackgroundScope>> {
    text.map(|t| BackgroundScope::parse(&t).map_err(corrupt))
        .transpose()
}

#[derive(Debug, Clone)]
pub struct LetterRecord {
    pub id: LetterId,
    pub org: OrgId,
    pub created_by: String,
    pub reference: String,
    pub run: Option<RunId>,
    pub status: LetterStatus,
    pub document: Option<uuid::Uuid>,
    /// The letter's own pages (attachments and a blank page before them not counted).
    pub pages: i32,
    /// Sheets in the envelope: the letter's and the attachments'.
    pub sheets: i32,
    /// The background (letterhead) laid under the letter, if any.
    pub background: Option<BackgroundScope>,
    /// Printed attachments after the letter, in order.
    pub attachments: Vec<LetterAttachment>,
    pub envelope: Envelope,
    pub colour: Colour,
    pub sides: Sides,
    pub paper: Paper,
    pub product: Product,
    pub registered: Registered,
    pub recipient: RecipientRecord,
    pub return_address: String,
    pub weight_grams: i32,
    pub currency: Currency,
    pub price_net: i64,
    pub price_vat: i64,
    pub price_total: i64,
    /// ISO dates (`YYYY-MM-DD`) in the carrier's country.
    pub posting_date: Option<String>,
    pub expected_delivery: Option<String>,
    pub note: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    pub printed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterEventRecord {
    pub seq: i32,
    pub at: Timestamp,
    pub status: LetterStatus,
    pub actor: String,
    pub note: String,
}

/// Filters of the letters list; all optional.
#[derive(Debug, Clone, Default)]
pub struct LetterFilter {
    pub status: Option<LetterStatus>,
    pub created_from: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    /// Matches any part of the recipient's lines, case-insensitively.
    pub recipient: Option<String>,
    /// Matches any part of the reference, case-insensitively.
    pub reference: Option<String>,
    pub run: Option<RunId>,
}

const LETTER_COLS: &str = "id, org_id, created_by, reference, run_id, status, document_id, pages, sheets, envelope, colour, \
    sides, paper, product, registered, recipient_lines, recipient_name, recipient_postcode, recipient_locality, \
    recipient_country, return_address, weight_grams, currency, price_net, price_vat, price_total, posting_date, \
    expected_delivery, note, created_at, updated_at, submitted_at, printed_at, background_scope, attachments";

pub(crate) fn letter_from_row(r: &impl RowExt) -> Result<LetterRecord> {
    Ok(LetterRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        created_by: r.col("created_by")?,
        reference: r.col("reference")?,
        run: r.opt_id("run_id")?,
        status: r.parsed("status", LetterStatus::parse)?,
        document: r.opt_id("document_id")?,
        pages: r.col("pages")?,
        sheets: r.col("sheets")?,
        background: background_from_text(r.col("background_scope")?)?,
        attachments: attachments_from_text(&r.text("attachments")?)?,
        envelope: r.parsed("envelope", Envelope::parse)?,
        colour: r.parsed("colour", Colour::parse)?,
        sides: r.parsed("sides", Sides::parse)?,
        paper: r.parsed("paper", Paper::parse)?,
        product: r.parsed("product", Product::parse)?,
        registered: r.parsed("registered", Registered::parse)?,
        recipient: RecipientRecord {
            lines: r
                .text("recipient_lines")?
                .lines()
                .map(str::to_string)
                .collect(),
            name: r.col("recipient_name")?,
            postcode: r.col("recipient_postcode")?,
            locality: r.col("recipient_locality")?,
            country: r.parsed("recipient_country", Country::parse)?,
        },
        return_address: r.col("return_address")?,
        weight_grams: r.col("weight_grams")?,
        currency: r.parsed("currency", Currency::parse)?,
        price_net: r.col("price_net")?,
        price_vat: r.col("price_vat")?,
        price_total: r.col("price_total")?,
        posting_date: r.col("posting_date")?,
        expected_delivery: r.col("expected_delivery")?,
        note: r.col("note")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
        submitted_at: r.opt_ts("submitted_at")?,
        printed_at: r.opt_ts("printed_at")?,
    })
}

/// Inserts a letter and its first history event inside `$tx`.
macro_rules! insert_letter {
    ($tx:expr, $scope:expr, $l:expr) => {{
        let l: &LetterRecord = $l;
        sqlx::query(
            "INSERT INTO letters (id, org_id, created_by, reference, run_id, status, document_id, pages, sheets, envelope, \
             colour, sides, paper, product, registered, recipient_lines, recipient_name, recipient_postcode, \
             recipient_locality, recipient_country, return_address, weight_grams, currency, price_net, price_vat, \
             price_total, posting_date, expected_delivery, note, created_at, updated_at, submitted_at, printed_at, \
             background_scope, attachments) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)",
        )
        .bind(l.id.to_string())
        .bind($scope.org().to_string())
        .bind(l.created_by.clone())
        .bind(l.reference.clone())
        .bind(l.run.map(|r| r.to_string()))
        .bind(l.status.as_str())
        .bind(l.document.map(|d| d.to_string()))
        .bind(l.pages)
        .bind(l.sheets)
        .bind(l.envelope.as_str())
        .bind(l.colour.as_str())
        .bind(l.sides.as_str())
        .bind(l.paper.as_str())
        .bind(l.product.as_str())
        .bind(l.registered.as_str())
        .bind(l.recipient.lines.join("\n"))
        .bind(l.recipient.name.clone())
        .bind(l.recipient.postcode.clone())
        .bind(l.recipient.locality.clone())
        .bind(l.recipient.country.as_str().to_string())
        .bind(l.return_address.clone())
        .bind(l.weight_grams)
        .bind(l.currency.to_string())
        .bind(l.price_net)
        .bind(l.price_vat)
        .bind(l.price_total)
        .bind(l.posting_date.clone())
        .bind(l.expected_delivery.clone())
        .bind(l.note.clone())
        .bind(l.created_at.millis())
        .bind(l.updated_at.millis())
        .bind(l.submitted_at.map(|t| t.millis()))
        .bind(l.printed_at.map(|t| t.millis()))
        .bind(l.background.map(|b| b.as_str()))
        .bind(attachments_text(&l.attachments))
        .execute(&mut *$tx)
        .await?;
        sqlx::query("INSERT INTO letter_events (letter_id, seq, at, status, actor, note) VALUES ($1, 1, $2, $3, $4, '')")
            .bind(l.id.to_string())
            .bind(l.created_at.millis())
            .bind(l.status.as_str())
            .bind($scope.actor().to_string())
            .execute(&mut *$tx)
            .await?;
    }};
}

impl Store {
    /// Stores a new letter with its first history event.
    pub async fn create_letter(
        &self,
        scope: &OrgScope,
        letter: &LetterRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "letter.created",
            letter.id.to_string(),
            format!("{} to {}", letter.status.as_str(), letter.recipient.name),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_letter!(tx, scope, letter);
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn letter(&self, scope: &OrgScope, id: LetterId) -> Result<LetterRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {LETTER_COLS} FROM letters WHERE id = $1 AND org_id = $2"
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            letter_from_row(&r)
        })
    }

    /// The organisation's letters, newest first, filtered; the cursor is
    /// `<created_at>:<id>` of the last letter seen.
    pub async fn list_letters(
        &self,
        scope: &OrgScope,
        filter: &LetterFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<LetterRecord>> {
        let limit = i64::from(limit.clamp(1, 200));
        let (c_at, c_id) = crate::users::parse_time_cursor(cursor)?;
        let like = |s: &Option<String>| {
            s.as_ref()
                .map(|v| format!("%{}%", v.trim().to_lowercase().replace(['%', '_'], "")))
        };
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {LETTER_COLS} FROM letters WHERE org_id = $1 \
                 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                 AND ($4 IS NULL OR status = $4) \
                 AND ($5 IS NULL OR created_at >= $5) AND ($6 IS NULL OR created_at < $6) \
                 AND ($7 IS NULL OR LOWER(recipient_lines) LIKE $7) \
                 AND ($8 IS NULL OR LOWER(reference) LIKE $8) \
                 AND ($9 IS NULL OR run_id = $9) \
                 ORDER BY created_at DESC, id DESC LIMIT $10"
            )))
            .bind(scope.org().to_string())
            .bind(c_at)
            .bind(c_id.clone())
            .bind(filter.status.map(|s| s.as_str()))
            .bind(filter.created_from.map(|t| t.millis()))
            .bind(filter.created_before.map(|t| t.millis()))
            .bind(like(&filter.recipient))
            .bind(like(&filter.reference))
            .bind(filter.run.map(|r| r.to_string()))
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(letter_from_row(&r)?);
            }
        });
        Ok(paged(items, limit, |l| {
            format!("{}:{}", l.created_at.millis(), l.id)
        }))
    }

    /// Replaces a draft's priced details (options, recipient, price, dates,
    /// composition) and its document (a draft composed anew has a new one).
    pub async fn update_draft_letter(
        &self,
        scope: &OrgScope,
        letter: &LetterRecord,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE letters SET reference = $1, pages = $2, sheets = $3, envelope = $4, colour = $5, sides = $6, \
                 paper = $7, product = $8, registered = $9, recipient_lines = $10, recipient_name = $11, \
                 recipient_postcode = $12, recipient_locality = $13, recipient_country = $14, return_address = $15, \
                 weight_grams = $16, currency = $17, price_net = $18, price_vat = $19, price_total = $20, \
                 posting_date = $21, expected_delivery = $22, updated_at = $23, background_scope = $26, \
                 attachments = $27, document_id = $28 \
                 WHERE id = $24 AND org_id = $25 AND status = 'draft'",
            )
            .bind(letter.reference.clone())
            .bind(letter.pages)
            .bind(letter.sheets)
            .bind(letter.envelope.as_str())
            .bind(letter.colour.as_str())
            .bind(letter.sides.as_str())
            .bind(letter.paper.as_str())
            .bind(letter.product.as_str())
            .bind(letter.registered.as_str())
            .bind(letter.recipient.lines.join("\n"))
            .bind(letter.recipient.name.clone())
            .bind(letter.recipient.postcode.clone())
            .bind(letter.recipient.locality.clone())
            .bind(letter.recipient.country.as_str().to_string())
            .bind(letter.return_address.clone())
            .bind(letter.weight_grams)
            .bind(letter.currency.to_string())
            .bind(letter.price_net)
            .bind(letter.price_vat)
            .bind(letter.price_total)
            .bind(letter.posting_date.clone())
            .bind(letter.expected_delivery.clone())
            .bind(now.millis())
            .bind(letter.id.to_string())
            .bind(scope.org().to_string())
            .bind(letter.background.map(|b| b.as_str()))
            .bind(attachments_text(&letter.attachments))
            .bind(letter.document.map(|d| d.to_string()))
            .execute(p)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Refused {
                    what: codes::LETTER_NOT_A_DRAFT,
                });
            }
        });
        Ok(())
    }

    /// Moves a letter from `from` to `to` if it is still in `from`; records the
    /// history event, the audit entry and the deliveries of `events` (the
    /// webhook events reporting the change) in the same transaction. A
    /// letter that moved meanwhile is a conflict (`letter.status_changed`),
    /// never a silent overwrite, and queues no event.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_letter_status(
        &self,
        scope: &OrgScope,
        id: LetterId,
        from: LetterStatus,
        to: LetterStatus,
        note: &str,
        now: Timestamp,
        events: &Outbox,
    ) -> Result<()> {
        let event = AuditEvent::new(
            &format!("letter.{}", to.as_str()),
            id.to_string(),
            if note.is_empty() {
                format!("from {}", from.as_str())
            } else {
                format!("from {}: {note}", from.as_str())
            },
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE letters SET status = $1, updated_at = $2, note = CASE WHEN $3 = '' THEN note ELSE $3 END, \
                 submitted_at = CASE WHEN submitted_at IS NULL AND $1 IN ('awaiting_approval', 'accepted') THEN $2 ELSE submitted_at END, \
                 printed_at = CASE WHEN $1 = 'printed' THEN $2 ELSE printed_at END \
                 WHERE id = $4 AND org_id = $5 AND status = $6",
            )
            .bind(to.as_str())
            .bind(now.millis())
            .bind(note.to_string())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                let exists: Option<String> =
                    sqlx::query_scalar("SELECT status FROM letters WHERE id = $1 AND org_id = $2")
                        .bind(id.to_string())
                        .bind(scope.org().to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict {
                        what: codes::LETTER_STATUS_CHANGED,
                    },
                    None => StoreError::NotFound,
                });
            }
            sqlx::query(
                "INSERT INTO letter_events (letter_id, seq, at, status, actor, note) \
                 SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM letter_events WHERE letter_id = $1",
            )
            .bind(id.to_string())
            .bind(now.millis())
            .bind(to.as_str())
            .bind(scope.actor().to_string())
            .bind(note.to_string())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            outbox_in_tx!(tx, scope.org().to_string(), events, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn letter_history(
        &self,
        scope: &OrgScope,
        id: LetterId,
    ) -> Result<Vec<LetterEventRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT e.seq, e.at, e.status, e.actor, e.note FROM letter_events e JOIN letters l ON l.id = e.letter_id \
                 WHERE e.letter_id = $1 AND l.org_id = $2 ORDER BY e.seq",
            )
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(LetterEventRecord {
                    seq: r.try_get("seq")?,
                    at: Timestamp::from_millis(r.try_get("at")?),
                    status: LetterStatus::parse(&r.try_get::<String, _>("status")?)
                        .map_err(corrupt)?,
                    actor: r.try_get("actor")?,
                    note: r.try_get("note")?,
                });
            }
        });
        Ok(out)
    }

    /// Letters whose document is due for purging: submitted more than the
    /// organisation's retention days ago, or printed more than 12 hours ago
    /// where the organisation purges after printing. Across organisations,
    /// for the retention job.
    pub async fn letters_due_for_purge(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(OrgId, LetterId, uuid::Uuid)>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT l.org_id, l.id, l.document_id FROM letters l \
                 JOIN documents doc ON doc.id = l.document_id AND doc.destroyed_at IS NULL \
                 LEFT JOIN letter_settings s ON s.org_id = l.org_id \
                 WHERE (l.submitted_at IS NOT NULL AND l.submitted_at + COALESCE(s.retention_days, 60) * CAST(86400000 AS BIGINT) <= $1) \
                    OR (COALESCE(s.purge_after_print, FALSE) AND l.printed_at IS NOT NULL AND l.printed_at + CAST(43200000 AS BIGINT) <= $1) \
                 ORDER BY l.submitted_at LIMIT $2",
            )
            .bind(now.millis())
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push((
                    parse_id(r.try_get::<String, _>("org_id")?)?,
                    parse_id(r.try_get::<String, _>("id")?)?,
                    parse_id(r.try_get::<String, _>("document_id")?)?,
                ));
            }
        });
        Ok(out)
    }
}
