//! Mail items, their chain of custody, OCR progress and full-text search.
//!
//! **Visibility.** An item is visible to its customer (`org_id`) and to the
//! mail center running the location where it was logged; nobody else sees
//! it (`NotFound`). Customer lists and search show only the customer's own
//! items.
//!
//! **Custody.** `item_events` is append-only: there is no update or delete
//! method, and database triggers refuse both. Each event is also appended to
//! the acting organisation's audit chain in the same transaction.
//!
//! **Search** lives in the database so that every server process sees the
//! same index and it can be rebuilt from the rows: SQLite keeps an FTS5
//! table (`mail_items_fts`) in step through triggers, PostgreSQL a generated
//! `tsvector` column (configuration `simple`, language-neutral) with a GIN
//! index. A [`SearchQuery`] is parsed in Rust into plain words and quoted
//! phrases of letters and digits only, then written in each engine's syntax,
//! so no input can inject query operators. Hits are ordered by relevance,
//! then newest first; snippets come back as [`SnippetSpan`]s (plain text,
//! not HTML: the web layer escapes `text` and wraps highlighted spans in
//! `<mark>`).
//!
//! Here: the item record, its visibility and the item methods; [`custody`]
//! the chain of custody, [`ocr`] OCR progress and the recognised text,
//! [`query`] the parsed query and snippets, [`search`] the search itself.

use courrier_domain::codes;

mod custody;
mod ocr;
mod query;
mod search;

pub use custody::ItemEventRecord;
pub(crate) use custody::custody_in_tx;
pub use ocr::{OCR_UNAVAILABLE, OcrProgress, OcrState};
pub(crate) use query::clean_text;
pub use query::{SearchOrder, SearchQuery, SearchTerm, SnippetSpan};
pub use search::SearchHit;

use crate::audit::audit_scope_in_tx;
use crate::mailbox::corrupt;
use crate::row::RowExt;
use crate::users::parse_id;
use crate::webhooks::outbox_in_tx;
use crate::{Outbox, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::{
    ContentFlags, Grams, ItemFormat, ItemKind, ItemState, MailItem, Origin,
};
use courrier_domain::{LocationId, MailItemId, MailboxId, OrgId, OrgScope, Timestamp};
use sqlx::Row;

/// A mail item as stored. The recognised text is not carried (it can be
/// long): read it with [`Store::item_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailItemRecord {
    pub id: MailItemId,
    /// The customer; `None` for mail refused for an unknown recipient.
    pub org: Option<OrgId>,
    pub mailbox: Option<MailboxId>,
    /// Where it was logged; `None` for a digital delivery.
    pub location: Option<LocationId>,
    /// The member it was addressed to, when logged at a location.
    pub member: Option<courrier_domain::MemberId>,
    /// The recipient as the clerk or the sender named it.
    pub recipient_name: String,
    /// The integrated sender of a digital delivery.
    pub sender_org: Option<OrgId>,
    /// The integrated sender's reference.
    pub reference: String,
    /// Origin, kind, format, weight, flags, contents and sender.
    pub item: MailItem,
    pub state: ItemState,
    pub received_at: Timestamp,
    pub envelope_document: Option<uuid::Uuid>,
    pub scan_document: Option<uuid::Uuid>,
    pub digital_document: Option<uuid::Uuid>,
    /// Pages of the scan or of the delivered PDF.
    pub pages: Option<i32>,
    /// Lower-case tags.
    pub tags: Vec<String>,
    pub note: String,
    pub handled_at: Option<Timestamp>,
    pub ocr: OcrProgress,
    pub updated_at: Timestamp,
}

/// Filters of the mailbox list and search; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Received at or after.
    pub received_from: Option<Timestamp>,
    /// Received strictly before.
    pub received_before: Option<Timestamp>,
    /// The sender contains this text, case-insensitively (ASCII case only
    /// on SQLite).
    pub sender: Option<String>,
    pub state: Option<ItemState>,
    /// Carries this tag.
    pub tag: Option<String>,
    pub mailbox: Option<MailboxId>,
    /// The order of a search with words (the list without words is always
    /// newest first).
    pub order: SearchOrder,
}

pub(crate) const ITEM_COLS: &str = "i.id, i.org_id, i.mailbox_id, i.location_id, i.member_id, i.recipient_name, \
    i.origin, i.sender_org_id, i.reference, i.sender, i.kind, i.format, i.weight_grams, i.registered, \
    i.contains_object, i.advertising, i.content_flags, i.state, i.received_at, i.envelope_document_id, \
    i.scan_document_id, i.digital_document_id, i.pages, i.tags, i.note, i.handled_at, i.ocr_state, \
    i.ocr_pages_done, i.ocr_pages_total, i.ocr_error, i.updated_at";

/// Items visible to the organisation bound at `$n`: its own and those
/// logged at its locations.
pub(crate) fn item_visible(n: usize) -> String {
    format!("(i.org_id = ${n} OR i.location_id IN (SELECT id FROM locations WHERE org_id = ${n}))")
}

pub(crate) fn opt_id<T: std::str::FromStr>(v: Option<String>) -> Result<Option<T>> {
    v.map(parse_id).transpose()
}

pub(crate) fn item_from_row(r: &impl RowExt) -> Result<MailItemRecord> {
    let sender: String = r.col("sender")?;
    let weight = r
        .col::<Option<i32>>("weight_grams")?
        .map(|g| Grams::new(u32::try_from(g).unwrap_or(0)).map_err(corrupt))
        .transpose()?;
    Ok(crate::mail_items::MailItemRecord {
        id: r.id("id")?,
        org: r.opt_id("org_id")?,
        mailbox: r.opt_id("mailbox_id")?,
        location: r.opt_id("location_id")?,
        member: r.opt_id("member_id")?,
        recipient_name: r.col("recipient_name")?,
        sender_org: r.opt_id("sender_org_id")?,
        reference: r.col("reference")?,
        item: MailItem {
            origin: r.parsed("origin", Origin::parse)?,
            kind: r.parsed("kind", ItemKind::parse)?,
            format: r.parsed("format", ItemFormat::parse)?,
            weight,
            registered: r.flag("registered")?,
            contains_object: r.flag("contains_object")?,
            contents: r.parsed("content_flags", ContentFlags::parse_csv)?,
            advertising: r.flag("advertising")?,
            sender: if sender.is_empty() {
                None
            } else {
                Some(sender)
            },
        },
        state: r.parsed("state", ItemState::parse)?,
        received_at: r.ts("received_at")?,
        envelope_document: r.opt_id("envelope_document_id")?,
        scan_document: r.opt_id("scan_document_id")?,
        digital_document: r.opt_id("digital_document_id")?,
        pages: r.col("pages")?,
        tags: r
            .text("tags")?
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        note: r.col("note")?,
        handled_at: r.opt_ts("handled_at")?,
        ocr: crate::mail_items::OcrProgress {
            state: OcrState::parse(&r.text("ocr_state")?).ok_or_else(|| corrupt("ocr state"))?,
            pages_done: r.col("ocr_pages_done")?,
            pages_total: r.col("ocr_pages_total")?,
            error: r.col("ocr_error")?,
        },
        updated_at: r.ts("updated_at")?,
    })
}

/// Tags as stored: trimmed, lower case, no commas, no duplicates, in order.
pub fn normalize_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t: String = clean_text(t.trim())
            .to_lowercase()
            .replace(',', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// `NotFound` when the item is not visible to the scope, else a conflict:
/// it moved since it was read.
macro_rules! item_missing_or_moved {
    ($tx:expr, $scope:expr, $id:expr) => {{
        let exists: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT i.id FROM mail_items i WHERE i.id = $1 AND {}",
            $crate::mail_items::item_visible(2)
        )))
        .bind($id.to_string())
        .bind($scope.org().to_string())
        .fetch_optional(&mut *$tx)
        .await?;
        match exists {
            Some(_) => StoreError::Conflict {
                what: codes::ITEM_STATE_CHANGED,
            },
            None => StoreError::NotFound,
        }
    }};
}
pub(crate) use item_missing_or_moved;

fn like_pattern(s: &str) -> String {
    format!("%{}%", s.trim().to_lowercase().replace(['%', '_'], ""))
}

impl Store {
    /// Stores a new item with its first custody event (`event`, `detail`),
    /// audited in the scope's organisation, and the deliveries of `events`
    /// (the webhook events announcing it, for the item's customer) in the
    /// same transaction. When the item has a location, it must be one of the
    /// scope's (the mail center logs it), else `NotFound`; a digital delivery
    /// is stored in the recipient's scope.
    pub async fn insert_item(
        &self,
        scope: &OrgScope,
        item: &MailItemRecord,
        event: &str,
        detail: &str,
        now: Timestamp,
        events: &Outbox,
    ) -> Result<()> {
        self.insert_item_received_on(scope, item, None, event, detail, now, events)
            .await
    }

    /// [`Store::insert_item`] for a piece the carrier handed over on
    /// `received_on`, the location's local day (`YYYY-MM-DD`, checked by the
    /// caller); see `intake_counts`.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_item_received_on(
        &self,
        scope: &OrgScope,
        item: &MailItemRecord,
        received_on: Option<&str>,
        event: &str,
        detail: &str,
        now: Timestamp,
        events: &Outbox,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            &format!("item.{event}"),
            item.id.to_string(),
            detail.to_string(),
        );
        let m = &item.item;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if let Some(location) = item.location {
                let own: Option<String> =
                    sqlx::query_scalar("SELECT id FROM locations WHERE id = $1 AND org_id = $2")
                        .bind(location.to_string())
                        .bind(scope.org().to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                if own.is_none() {
                    return Err(StoreError::NotFound);
                }
            } else if item.org != Some(scope.org()) {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO mail_items (id, org_id, mailbox_id, location_id, member_id, recipient_name, origin, \
                 sender_org_id, reference, sender, kind, format, weight_grams, registered, contains_object, advertising, \
                 content_flags, state, received_at, envelope_document_id, scan_document_id, digital_document_id, pages, \
                 tags, note, handled_at, ocr_state, ocr_text, ocr_pages_done, ocr_pages_total, ocr_error, updated_at, received_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                 $21, $22, $23, $24, $25, $26, $27, '', $28, $29, $30, $31, $32)",
            )
            .bind(item.id.to_string())
            .bind(item.org.map(|o| o.to_string()))
            .bind(item.mailbox.map(|o| o.to_string()))
            .bind(item.location.map(|o| o.to_string()))
            .bind(item.member.map(|o| o.to_string()))
            .bind(clean_text(&item.recipient_name))
            .bind(m.origin.as_str())
            .bind(item.sender_org.map(|o| o.to_string()))
            .bind(clean_text(&item.reference))
            .bind(clean_text(m.sender.as_deref().unwrap_or("")))
            .bind(m.kind.as_str())
            .bind(m.format.as_str())
            .bind(m.weight.map(|g| i32::try_from(g.get()).unwrap_or(i32::MAX)))
            .bind(m.registered)
            .bind(m.contains_object)
            .bind(m.advertising)
            .bind(m.contents.to_csv())
            .bind(item.state.as_str())
            .bind(item.received_at.millis())
            .bind(item.envelope_document.map(|o| o.to_string()))
            .bind(item.scan_document.map(|o| o.to_string()))
            .bind(item.digital_document.map(|o| o.to_string()))
            .bind(item.pages)
            .bind(normalize_tags(&item.tags).join(","))
            .bind(clean_text(&item.note))
            .bind(item.handled_at.map(|t| t.millis()))
            .bind(item.ocr.state.as_str())
            .bind(item.ocr.pages_done)
            .bind(item.ocr.pages_total)
            .bind(item.ocr.error.clone())
            .bind(item.updated_at.millis())
            .bind(received_on.map(str::to_string))
            .execute(&mut *tx)
            .await?;
            custody_in_tx!(tx, item.id.to_string(), now, event, scope.actor(), detail);
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            if let Some(customer) = item.org {
                outbox_in_tx!(tx, customer.to_string(), events, now);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// An item visible to the scope (its customer, or the mail center of its
    /// location).
    pub async fn item(&self, scope: &OrgScope, id: MailItemId) -> Result<MailItemRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.id = $1 AND {}",
                item_visible(2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            item_from_row(&r)
        })
    }

    /// The recognised (or delivered) text of an item visible to the scope.
    pub async fn item_text(&self, scope: &OrgScope, id: MailItemId) -> Result<String> {
        on_pool!(self, |p, d| {
            let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT i.ocr_text FROM mail_items i WHERE i.id = $1 AND {}",
                item_visible(2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            text.ok_or(StoreError::NotFound)
        })
    }

    /// An item by id whatever its organisation, for background jobs.
    pub async fn item_for_job(&self, id: MailItemId) -> Result<MailItemRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            item_from_row(&r)
        })
    }

    /// Moves an item visible to the scope from `from` to `to` if it is still
    /// in `from`, with a custody event and its audit entry; `handled` also
    /// stamps `handled_at`. An item that moved meanwhile is `Conflict {
    /// what: "item.state_changed" }`.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_item_state(
        &self,
        scope: &OrgScope,
        id: MailItemId,
        from: ItemState,
        to: ItemState,
        event: &str,
        detail: &str,
        handled: bool,
        now: Timestamp,
    ) -> Result<()> {
        let audit = AuditEvent::new(&format!("item.{event}"), id.to_string(), detail.to_string());
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE mail_items SET state = $1, updated_at = $2, \
                 handled_at = CASE WHEN $3 THEN $2 ELSE handled_at END \
                 WHERE id = $4 AND state = $5 AND id IN (SELECT i.id FROM mail_items i WHERE i.id = $4 AND {})",
                item_visible(6)
            )))
            .bind(to.as_str())
            .bind(now.millis())
            .bind(handled)
            .bind(id.to_string())
            .bind(from.as_str())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(item_missing_or_moved!(tx, scope, id));
            }
            custody_in_tx!(tx, id.to_string(), now, event, scope.actor(), detail);
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces the tags and note of one of the scope's own items (the
    /// customer's); the search index follows.
    pub async fn set_item_tags_note(
        &self,
        scope: &OrgScope,
        id: MailItemId,
        tags: &[String],
        note: &str,
        now: Timestamp,
    ) -> Result<()> {
        let tags = normalize_tags(tags).join(",");
        let audit = AuditEvent::new("item.annotated", id.to_string(), format!("tags: {tags}"));
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE mail_items SET tags = $1, note = $2, updated_at = $3 WHERE id = $4 AND org_id = $5",
            )
            .bind(tags.clone())
            .bind(clean_text(note))
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Items logged at a location of the scope's mail center, received in
    /// `[from, before)`, newest first (at most 1000): the intake dashboard.
    pub async fn location_items(
        &self,
        scope: &OrgScope,
        location: LocationId,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<MailItemRecord>> {
        self.own_location(scope, location).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.location_id = $1 AND i.received_at >= $2 \
                 AND i.received_at < $3 ORDER BY i.received_at DESC, i.id DESC LIMIT 1000"
            )))
            .bind(location.to_string())
            .bind(from.millis())
            .bind(before.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(item_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Paper items at rest at a mail center (received, scanned or handled,
    /// no open task) received before `received_before`: their originals are
    /// due for shredding. Across organisations, for the retention job.
    pub async fn originals_due_for_shred(
        &self,
        received_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<MailItemRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.origin = 'mail_center' AND i.org_id IS NOT NULL \
                 AND i.location_id IS NOT NULL AND i.state IN ('received', 'scanned', 'handled') AND i.received_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = i.id AND t.state = 'open') \
                 ORDER BY i.received_at, i.id LIMIT $2"
            )))
            .bind(received_before.millis())
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(item_from_row(&r)?);
            }
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        assert_eq!(
            normalize_tags(&[" Impôts ".into(), "a,b".into(), "impôts".into(), "".into()]),
            vec!["impôts".to_string(), "a b".to_string()]
        );
    }
}
