//! Organisations: customers, mail centers and the platform itself.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::users::parse_id;
use crate::{OrgRecord, Page, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{Currency, OrgId, OrgKind, OrgScope, Timestamp};

const ORG_COLS: &str =
    "id, name, kind, country, currency, require_2fa, time_zone, wrapped_key, created_at";

pub(crate) fn org_from_row(r: &impl RowExt) -> Result<OrgRecord> {
    Ok(OrgRecord {
        id: r.id("id")?,
        name: r.col("name")?,
        kind: r.parsed("kind", OrgKind::parse)?,
        country: r.col("country")?,
        currency: r.parsed("currency", Currency::parse)?,
        require_2fa: r.flag("require_2fa")?,
        time_zone: r.col("time_zone")?,
        wrapped_key: r.bytes("wrapped_key")?,
        created_at: r.ts("created_at")?,
    })
}

/// Inserts an organisation inside transaction `$tx` and starts its audit
/// chain with `org.created` by `$actor` (shared by [`Store::create_org`] and
/// the sign-up, which creates an organisation with everything else in one
/// transaction).
macro_rules! insert_org {
    ($tx:expr, $d:expr, $org:expr, $actor:expr) => {{
        let org: &$crate::OrgRecord = $org;
        let actor: &str = $actor;
        let event = courrier_domain::audit::AuditEvent::new(
            "org.created",
            org.id.to_string(),
            format!("{} ({})", org.name, org.kind.as_str()),
        );
        sqlx::query(
            "INSERT INTO orgs (id, name, kind, country, currency, require_2fa, time_zone, wrapped_key, audit_seq, audit_head, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10)",
        )
        .bind(org.id.to_string())
        .bind(org.name.clone())
        .bind(org.kind.as_str())
        .bind(org.country.clone())
        .bind(org.currency.to_string())
        .bind(org.require_2fa)
        .bind(org.time_zone.clone())
        .bind(org.wrapped_key.clone())
        .bind(courrier_domain::audit::GENESIS)
        .bind(org.created_at.millis())
        .execute(&mut *$tx)
        .await
        .map_err(|e| $crate::StoreError::unique(e, codes::ORG_EXISTS))?;
        $crate::audit::append_in_tx!($tx, $d, org.id, actor, None, &event, org.created_at);
    }};
}
pub(crate) use insert_org;

impl Store {
    /// Creates an organisation; its audit chain starts with `org.created` by `actor`.
    pub async fn create_org(&self, org: &OrgRecord, actor: &str) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_org!(tx, d, org, actor);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn org(&self, id: OrgId) -> Result<OrgRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ORG_COLS} FROM orgs WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            org_from_row(&r)
        })
    }

    /// All organisations by name, for the platform admin; the cursor is the last id seen.
    pub async fn list_orgs(&self, cursor: Option<&str>, limit: u32) -> Result<Page<OrgRecord>> {
        let limit = i64::from(limit.clamp(1, 200));
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ORG_COLS} FROM orgs WHERE id > $1 ORDER BY id LIMIT $2"
            )))
            .bind(cursor.unwrap_or(""))
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(org_from_row(&r)?);
            }
        });
        Ok(crate::users::paged(items, limit, |o| o.id.to_string()))
    }

    pub async fn org_ids(&self) -> Result<Vec<OrgId>> {
        on_pool!(self, |p, d| {
            let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM orgs ORDER BY id")
                .fetch_all(p)
                .await?;
            ids.into_iter().map(parse_id).collect()
        })
    }

    pub async fn set_require_2fa(&self, scope: &OrgScope, on: bool, now: Timestamp) -> Result<()> {
        let event = AuditEvent::new(
            "org.require_2fa",
            scope.org().to_string(),
            if on { "on" } else { "off" },
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE orgs SET require_2fa = $1 WHERE id = $2")
                .bind(on)
                .bind(scope.org().to_string())
                .execute(&mut *tx)
                .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets the organisation's time zone (an IANA name the caller checked),
    /// audited as `org.time_zone`.
    pub async fn set_org_time_zone(
        &self,
        scope: &OrgScope,
        time_zone: &str,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("org.time_zone", scope.org().to_string(), time_zone);
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE orgs SET time_zone = $1 WHERE id = $2")
                .bind(time_zone)
                .bind(scope.org().to_string())
                .execute(&mut *tx)
                .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
