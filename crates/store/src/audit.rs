//! The append-only, hash-chained audit log, one chain per organisation.
//! Entries are appended inside the same transaction as the change they
//! record (see [`append_in_tx!`]), so a change never lands unaudited. The
//! same transaction marks the effect of the API request being handled under
//! an idempotency key (see `crate::idempotency`).

use courrier_domain::codes;

use crate::row::RowExt;
use crate::{Page, Result, Store, StoreError, on_pool};
use courrier_domain::audit::{AuditEntry, AuditEvent};
use courrier_domain::{OrgId, OrgScope, Timestamp};

/// Appends `$event` for `$org` inside transaction `$tx`, locking the org row
/// (PostgreSQL) so concurrent appends serialise on the chain head.
macro_rules! append_in_tx {
    ($tx:expr, $d:expr, $org:expr, $actor:expr, $ip:expr, $event:expr, $now:expr) => {{
        use sqlx::Row as _;
        let org: courrier_domain::OrgId = $org;
        let now: courrier_domain::Timestamp = $now;
        let event: &courrier_domain::audit::AuditEvent = $event;
        let ip: Option<&str> = $ip;
        let actor: &str = $actor;
        $crate::idempotency::mark_effect_in_tx!($tx, now);
        let head = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT audit_seq, audit_head FROM orgs WHERE id = $1{}",
            $d.lock_rows
        )))
        .bind(org.to_string())
        .fetch_optional(&mut *$tx)
        .await?
        .ok_or($crate::StoreError::NotFound)?;
        let seq: i64 = head.try_get::<i64, _>("audit_seq")? + 1;
        let prev: String = head.try_get("audit_head")?;
        let hash = courrier_domain::audit::entry_hash(
            &prev,
            org,
            seq,
            now,
            actor,
            ip,
            &event.action,
            &event.target,
            &event.detail,
        );
        sqlx::query(
            "INSERT INTO audit_log (org_id, seq, at, actor, ip, action, target, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org.to_string())
        .bind(seq)
        .bind(now.millis())
        .bind(actor.to_string())
        .bind(ip.map(str::to_string))
        .bind(event.action.clone())
        .bind(event.target.clone())
        .bind(event.detail.clone())
        .bind(prev)
        .bind(hash.clone())
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE orgs SET audit_seq = $1, audit_head = $2 WHERE id = $3")
            .bind(seq)
            .bind(hash)
            .bind(org.to_string())
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use append_in_tx;

/// Appends for a scope (an actor acting in its organisation).
macro_rules! audit_scope_in_tx {
    ($tx:expr, $d:expr, $scope:expr, $event:expr, $now:expr) => {
        $crate::audit::append_in_tx!(
            $tx,
            $d,
            $scope.org(),
            $scope.actor(),
            $scope.ip(),
            $event,
            $now
        )
    };
}
pub(crate) use audit_scope_in_tx;

pub(crate) fn entry_from_row(r: &impl RowExt) -> Result<AuditEntry> {
    Ok(AuditEntry {
        org: r.id("org_id")?,
        seq: r.col("seq")?,
        at: r.ts("at")?,
        actor: r.col("actor")?,
        ip: r.col("ip")?,
        action: r.col("action")?,
        target: r.col("target")?,
        detail: r.col("detail")?,
        prev_hash: r.col("prev_hash")?,
        hash: r.col("hash")?,
    })
}

const ENTRY_COLS: &str = "org_id, seq, at, actor, ip, action, target, detail, prev_hash, hash";

impl Store {
    /// Records an event that changes nothing else in the store (a login, an export).
    pub async fn append_audit(
        &self,
        scope: &OrgScope,
        event: &AuditEvent,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            audit_scope_in_tx!(tx, d, scope, event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The organisation's log, newest first; the cursor is the last sequence number seen.
    pub async fn list_audit(
        &self,
        scope: &OrgScope,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<AuditEntry>> {
        let before = match cursor {
            Some(c) => c.parse::<i64>().map_err(|_| StoreError::Refused {
                what: codes::CURSOR_INVALID,
            })?,
            None => i64::MAX,
        };
        let limit = i64::from(limit.clamp(1, 200));
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLS} FROM audit_log WHERE org_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
            )))
            .bind(scope.org().to_string())
            .bind(before)
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(entry_from_row(&r)?);
            }
        });
        let next_cursor = if items.len() as i64 > limit {
            items.pop();
            items.last().map(|e| e.seq.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Every entry of one organisation in order, with the recorded head hash.
    pub async fn audit_chain(&self, org: OrgId) -> Result<(Vec<AuditEntry>, String)> {
        let mut items = Vec::new();
        let head: String;
        on_pool!(self, |p, d| {
            head = sqlx::query_scalar("SELECT audit_head FROM orgs WHERE id = $1")
                .bind(org.to_string())
                .fetch_optional(p)
                .await?
                .ok_or(StoreError::NotFound)?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLS} FROM audit_log WHERE org_id = $1 ORDER BY seq"
            )))
            .bind(org.to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(entry_from_row(&r)?);
            }
        });
        Ok((items, head))
    }
}
