//! The chain of custody of mail items: append-only events, each also
//! audited in the acting organisation's chain.

use super::item_visible;
use crate::audit::audit_scope_in_tx;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{MailItemId, OrgScope, Timestamp};
use sqlx::Row;

/// One entry of an item's chain of custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEventRecord {
    pub seq: i32,
    pub at: Timestamp,
    /// `received`, `refused`, `request_scan`, `scan_done`, `picked_up`, …
    pub event: String,
    /// The audit label of who did it (`user:<id>`, `system:rules`, …).
    pub actor: String,
    pub detail: String,
}

/// Appends a custody event for item `$item` (a `String` id) in `$tx`.
macro_rules! custody_in_tx {
    ($tx:expr, $item:expr, $at:expr, $event:expr, $actor:expr, $detail:expr) => {{
        let at: courrier_domain::Timestamp = $at;
        sqlx::query(
            "INSERT INTO item_events (item_id, seq, at, event, actor, detail) \
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM item_events WHERE item_id = $1",
        )
        .bind($item)
        .bind(at.millis())
        .bind($event.to_string())
        .bind($actor.to_string())
        .bind($detail.to_string())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use custody_in_tx;

impl Store {
    /// Appends a custody event that changes nothing else (a note of the
    /// clerk, an ID check); returns its sequence number. Custody events are
    /// never updated: there is no method for it.
    pub async fn append_item_event(
        &self,
        scope: &OrgScope,
        id: MailItemId,
        event: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<i32> {
        let audit = AuditEvent::new(&format!("item.{event}"), id.to_string(), detail.to_string());
        let seq: i32;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            // Locks the item so concurrent appends take turns for the next seq.
            let found: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT i.id FROM mail_items i WHERE i.id = $1 AND {}{}",
                item_visible(2),
                d.lock_rows
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            custody_in_tx!(tx, id.to_string(), now, event, scope.actor(), detail);
            seq = sqlx::query_scalar("SELECT MAX(seq) FROM item_events WHERE item_id = $1")
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await?;
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(seq)
    }

    /// The chain of custody of an item visible to the scope, oldest first.
    pub async fn item_events(
        &self,
        scope: &OrgScope,
        id: MailItemId,
    ) -> Result<Vec<ItemEventRecord>> {
        let mut out = Vec::new();
        let mut found = false;
        on_pool!(self, |p, d| {
            let exists: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT i.id FROM mail_items i WHERE i.id = $1 AND {}",
                item_visible(2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            if exists.is_some() {
                found = true;
                let rows = sqlx::query(
                    "SELECT seq, at, event, actor, detail FROM item_events WHERE item_id = $1 ORDER BY seq",
                )
                .bind(id.to_string())
                .fetch_all(p)
                .await?;
                for r in rows {
                    out.push(ItemEventRecord {
                        seq: r.try_get("seq")?,
                        at: Timestamp::from_millis(r.try_get("at")?),
                        event: r.try_get("event")?,
                        actor: r.try_get("actor")?,
                        detail: r.try_get("detail")?,
                    });
                }
            }
        });
        if !found {
            return Err(StoreError::NotFound);
        }
        Ok(out)
    }
}
