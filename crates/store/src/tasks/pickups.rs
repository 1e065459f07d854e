//! Hand-overs at the counter: several items in one transaction.

use courrier_domain::codes;

use super::{USAGE_COLS, UsageLineRecord, insert_usage};
use crate::audit::audit_scope_in_tx;
use crate::mail_items::custody_in_tx;
use crate::mailbox::corrupt;
use crate::users::parse_id;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::ItemState;
use courrier_domain::{
    Currency, LocationId, MailItemId, Money, OrgId, OrgScope, PickupId, Timestamp,
};
use sqlx::Row;

/// A hand-over at the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupRecord {
    pub id: PickupId,
    pub location: LocationId,
    /// The customer whose mail is handed over.
    pub org: OrgId,
    /// The kind of identity document shown (passport, identity card, …).
    pub id_document_type: String,
    /// The last digits of its number, never the whole number.
    pub id_last_digits: String,
    /// Audit label of the clerk who checked it.
    pub checked_by: String,
    pub fees: Money,
    pub created_at: Timestamp,
    pub items: Vec<MailItemId>,
}

impl Store {
    /// Hands items over at the counter of a location of the scope's mail
    /// center, in one transaction: the pickup with its ID check, each item
    /// moved from its `from` state to picked up (it must belong to the
    /// pickup's customer and location) with a `picked_up` custody event,
    /// open hold tasks closed, and the fees as a usage line.
    pub async fn create_pickup(
        &self,
        scope: &OrgScope,
        pickup: &PickupRecord,
        items: &[(MailItemId, ItemState)],
        fee_line: Option<&UsageLineRecord>,
        now: Timestamp,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            "pickup.created",
            pickup.id.to_string(),
            format!(
                "{} items for {}, {} …{} checked",
                items.len(),
                pickup.org,
                pickup.id_document_type,
                pickup.id_last_digits
            ),
        );
        let detail = format!(
            "pickup {}: {} …{} checked by {}",
            pickup.id, pickup.id_document_type, pickup.id_last_digits, pickup.checked_by
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let own: Option<String> =
                sqlx::query_scalar("SELECT id FROM locations WHERE id = $1 AND org_id = $2")
                    .bind(pickup.location.to_string())
                    .bind(scope.org().to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if own.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO pickups (id, location_id, org_id, id_document_type, id_last_digits, checked_by, \
                 fees_minor, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(pickup.id.to_string())
            .bind(pickup.location.to_string())
            .bind(pickup.org.to_string())
            .bind(pickup.id_document_type.clone())
            .bind(pickup.id_last_digits.clone())
            .bind(pickup.checked_by.clone())
            .bind(pickup.fees.minor())
            .bind(pickup.fees.currency().to_string())
            .bind(pickup.created_at.millis())
            .execute(&mut *tx)
            .await?;
            for (item, from) in items {
                let n = sqlx::query(
                    "UPDATE mail_items SET state = 'picked_up', updated_at = $1 \
                     WHERE id = $2 AND state = $3 AND org_id = $4 AND location_id = $5",
                )
                .bind(now.millis())
                .bind(item.to_string())
                .bind(from.as_str())
                .bind(pickup.org.to_string())
                .bind(pickup.location.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    let exists: Option<String> = sqlx::query_scalar(
                        "SELECT id FROM mail_items WHERE id = $1 AND org_id = $2 AND location_id = $3",
                    )
                    .bind(item.to_string())
                    .bind(pickup.org.to_string())
                    .bind(pickup.location.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                    return Err(match exists {
                        Some(_) => StoreError::Conflict {
                            what: codes::ITEM_STATE_CHANGED,
                        },
                        None => StoreError::NotFound,
                    });
                }
                sqlx::query("INSERT INTO pickup_items (pickup_id, item_id) VALUES ($1, $2)")
                    .bind(pickup.id.to_string())
                    .bind(item.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::unique(e, codes::ITEM_PICKED_UP))?;
                custody_in_tx!(
                    tx,
                    item.to_string(),
                    now,
                    "picked_up",
                    scope.actor(),
                    detail
                );
                sqlx::query(
                    "UPDATE tasks SET state = 'done', done_at = $1, done_by = $2, note = 'picked up' \
                     WHERE item_id = $3 AND state = 'open' AND action = 'hold_for_pickup'",
                )
                .bind(now.millis())
                .bind(scope.actor().to_string())
                .bind(item.to_string())
                .execute(&mut *tx)
                .await?;
            }
            if let Some(line) = fee_line {
                insert_usage!(tx, line);
            }
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A pickup visible to the scope (its customer or its mail center).
    pub async fn pickup(&self, scope: &OrgScope, id: PickupId) -> Result<PickupRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(
                "SELECT id, location_id, org_id, id_document_type, id_last_digits, checked_by, fees_minor, currency, \
                 created_at FROM pickups t WHERE t.id = $1 \
                 AND (t.org_id = $2 OR t.location_id IN (SELECT id FROM locations WHERE org_id = $2))",
            )
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            let items: Vec<String> = sqlx::query_scalar(
                "SELECT item_id FROM pickup_items WHERE pickup_id = $1 ORDER BY item_id",
            )
            .bind(id.to_string())
            .fetch_all(p)
            .await?;
            Ok(PickupRecord {
                id: parse_id(r.try_get::<String, _>("id")?)?,
                location: parse_id(r.try_get::<String, _>("location_id")?)?,
                org: parse_id(r.try_get::<String, _>("org_id")?)?,
                id_document_type: r.try_get("id_document_type")?,
                id_last_digits: r.try_get("id_last_digits")?,
                checked_by: r.try_get("checked_by")?,
                fees: Money::new(
                    r.try_get("fees_minor")?,
                    Currency::parse(&r.try_get::<String, _>("currency")?).map_err(corrupt)?,
                ),
                created_at: Timestamp::from_millis(r.try_get("created_at")?),
                items: items
                    .into_iter()
                    .map(parse_id)
                    .collect::<Result<Vec<MailItemId>>>()?,
            })
        })
    }
}
