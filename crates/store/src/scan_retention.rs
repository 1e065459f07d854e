//! The organisation's retention of scans (migration 0013): how many days
//! after scanning a scan is kept, the scans past it, and clearing the text
//! recognised from one. `None` keeps scans for as long as the mailbox
//! exists.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::users::parse_id;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::retention::MAX_RETENTION_DAYS;
use courrier_domain::{MailItemId, OrgId, OrgScope, Timestamp};
use sqlx::Row;

/// A scan past its organisation's retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredScan {
    pub org: OrgId,
    pub item: MailItemId,
    pub document: uuid::Uuid,
    /// When the scan was stored.
    pub scanned_at: Timestamp,
}

impl Store {
    /// The scope organisation's scan retention in days, `None` to keep.
    pub async fn scan_retention(&self, scope: &OrgScope) -> Result<Option<u32>> {
        on_pool!(self, |p, d| {
            let days: Option<Option<i32>> = sqlx::query_scalar(
                "SELECT scan_retention_days FROM mailbox_settings WHERE org_id = $1",
            )
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            Ok(days.flatten().and_then(|d| u32::try_from(d).ok()))
        })
    }

    /// Sets the scope organisation's scan retention (1 to
    /// [`MAX_RETENTION_DAYS`] days, or
    /// `None` to keep), with its audit entry.
    pub async fn set_scan_retention(
        &self,
        scope: &OrgScope,
        days: Option<u32>,
        now: Timestamp,
    ) -> Result<()> {
        let days = match days {
            None => None,
            Some(d) if (1..=MAX_RETENTION_DAYS).contains(&d) => i32::try_from(d).ok(),
            Some(_) => {
                return Err(StoreError::Refused {
                    what: codes::MAIL_RETENTION_INVALID,
                });
            }
        };
        let event = AuditEvent::new(
            "mailbox.scan_retention",
            scope.org().to_string(),
            days.map_or_else(|| "kept".to_string(), |d| format!("{d} days")),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO mailbox_settings (org_id, scan_retention_days, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id) DO UPDATE SET scan_retention_days = $2, updated_at = $3",
            )
            .bind(scope.org().to_string())
            .bind(days)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Scans not shredded yet whose organisation's retention has passed at
    /// `now`, oldest first, across organisations (for the upkeep).
    pub async fn scans_due_for_purge(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<ExpiredScan>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT i.org_id, i.id, doc.id AS document_id, doc.created_at FROM mail_items i \
                 JOIN documents doc ON doc.id = i.scan_document_id AND doc.destroyed_at IS NULL \
                 JOIN mailbox_settings s ON s.org_id = i.org_id AND s.scan_retention_days IS NOT NULL \
                 WHERE doc.created_at + s.scan_retention_days * CAST(86400000 AS BIGINT) <= $1 \
                 ORDER BY doc.created_at, i.id LIMIT $2",
            )
            .bind(now.millis())
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(ExpiredScan {
                    org: parse_id(r.try_get::<String, _>("org_id")?)?,
                    item: parse_id(r.try_get::<String, _>("id")?)?,
                    document: parse_id(r.try_get::<String, _>("document_id")?)?,
                    scanned_at: Timestamp::from_millis(r.try_get("created_at")?),
                });
            }
        });
        Ok(out)
    }

    /// Clears the text recognised from an item's scan (and so its words in
    /// the search index), with an audit entry; the item itself stays.
    pub async fn forget_scan_text(
        &self,
        scope: &OrgScope,
        item: MailItemId,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("mail.scan_text_cleared", item.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE mail_items SET ocr_text = '', ocr_state = 'none', ocr_pages_done = 0, ocr_pages_total = 0, \
                 ocr_error = '', updated_at = $1 WHERE id = $2 AND org_id = $3",
            )
            .bind(now.millis())
            .bind(item.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
