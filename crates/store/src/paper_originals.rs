//! A digital item's paper original is printed, posted and billed at most
//! once. The request first takes the item's row in `paper_originals` (a
//! second request, a double click, is refused there); the letter is made;
//! then the letter, the usage line and the custody event are recorded on the
//! row in one transaction. A letter that could not be made gives the row
//! back, nothing billed.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::mail_items::custody_in_tx;
use crate::tasks::{USAGE_COLS, insert_usage};
use crate::{Result, Store, StoreError, UsageLineRecord, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{LetterId, MailItemId, OrgScope, Timestamp};

impl Store {
    /// Takes the paper original of the scope's item `item` for posting:
    /// `Conflict { what: "item.paper_original_posted" }` when it was taken
    /// already (posted, or being posted by another request), `NotFound` when
    /// the item is not the scope's. The row is a lock, not yet a change:
    /// [`Store::record_paper_original`] records (and audits) the posting.
    pub async fn reserve_paper_original(
        &self,
        scope: &OrgScope,
        item: MailItemId,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "INSERT INTO paper_originals (item_id, org_id, requested_at) \
                 SELECT i.id, i.org_id, $1 FROM mail_items i WHERE i.id = $2 AND i.org_id = $3",
            )
            .bind(now.millis())
            .bind(item.to_string())
            .bind(scope.org().to_string())
            .execute(p)
            .await
            .map_err(|e| StoreError::unique(e, codes::ITEM_PAPER_ORIGINAL_POSTED))?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    /// Gives back a paper original taken by [`Store::reserve_paper_original`]
    /// whose letter could not be made; a posted one is kept.
    pub async fn release_paper_original(&self, scope: &OrgScope, item: MailItemId) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query(
                "DELETE FROM paper_originals WHERE item_id = $1 AND org_id = $2 AND letter_id IS NULL",
            )
            .bind(item.to_string())
            .bind(scope.org().to_string())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Records the posting of a taken paper original in one transaction: the
    /// letter on the row, the usage line `line`, the custody event
    /// `paper_original_posted` and the audit entry. `Conflict { what:
    /// "item.paper_original_posted" }` when the row was not taken or holds a
    /// letter already.
    pub async fn record_paper_original(
        &self,
        scope: &OrgScope,
        item: MailItemId,
        letter: LetterId,
        line: &UsageLineRecord,
        now: Timestamp,
    ) -> Result<()> {
        let detail = format!("letter {letter}");
        let audit = AuditEvent::new(
            "item.paper_original_posted",
            item.to_string(),
            detail.clone(),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_usage!(tx, line);
            let n = sqlx::query(
                "UPDATE paper_originals SET letter_id = $1, usage_line_id = $2, posted_at = $3 \
                 WHERE item_id = $4 AND org_id = $5 AND letter_id IS NULL",
            )
            .bind(letter.to_string())
            .bind(line.id.to_string())
            .bind(now.millis())
            .bind(item.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict {
                    what: codes::ITEM_PAPER_ORIGINAL_POSTED,
                });
            }
            custody_in_tx!(
                tx,
                item.to_string(),
                now,
                "paper_original_posted",
                scope.actor(),
                &detail
            );
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The letter posted as the paper original of the scope's item, if any.
    pub async fn paper_original_letter(
        &self,
        scope: &OrgScope,
        item: MailItemId,
    ) -> Result<Option<LetterId>> {
        on_pool!(self, |p, d| {
            let letter: Option<Option<String>> = sqlx::query_scalar(
                "SELECT letter_id FROM paper_originals WHERE item_id = $1 AND org_id = $2",
            )
            .bind(item.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            match letter.flatten() {
                Some(id) => Ok(Some(crate::users::parse_id(id)?)),
                None => Ok(None),
            }
        })
    }
}
