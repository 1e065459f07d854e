//! Mail-center sites, a public directory.

use super::{join_lines, split_lines};
use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::letters::Country;
use courrier_domain::{LocationId, OrgId, OrgScope, Timestamp};

/// A mail-center site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecord {
    pub id: LocationId,
    /// The mail center's organisation.
    pub org: OrgId,
    pub name: String,
    pub address: Vec<String>,
    pub country: Country,
    /// IANA time zone name (`Europe/Zurich`); task deadlines are local.
    pub time_zone: String,
    pub created_at: Timestamp,
}

const LOCATION_COLS: &str = "id, org_id, name, address, country, time_zone, created_at";

pub(crate) fn location_from_row(r: &impl RowExt) -> Result<LocationRecord> {
    Ok(LocationRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        name: r.col("name")?,
        address: split_lines(&r.text("address")?),
        country: r.parsed("country", Country::parse)?,
        time_zone: r.col("time_zone")?,
        created_at: r.ts("created_at")?,
    })
}

impl Store {
    // ----- locations -----

    /// Registers a site of the scope's mail center.
    pub async fn create_location(
        &self,
        scope: &OrgScope,
        location: &LocationRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "location.created",
            location.id.to_string(),
            format!("{} ({})", location.name, location.time_zone),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO locations ({LOCATION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            )))
            .bind(location.id.to_string())
            .bind(scope.org().to_string())
            .bind(location.name.clone())
            .bind(join_lines(&location.address))
            .bind(location.country.as_str().to_string())
            .bind(location.time_zone.clone())
            .bind(location.created_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A location, from the public directory.
    pub async fn location(&self, id: LocationId) -> Result<LocationRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {LOCATION_COLS} FROM locations WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            location_from_row(&r)
        })
    }

    /// A location of the scope's mail center; another's is `NotFound`.
    pub async fn own_location(&self, scope: &OrgScope, id: LocationId) -> Result<LocationRecord> {
        let location = self.location(id).await?;
        if location.org != scope.org() {
            return Err(StoreError::NotFound);
        }
        Ok(location)
    }

    /// Every location, by name; with `org`, only that mail center's.
    pub async fn list_locations(&self, org: Option<OrgId>) -> Result<Vec<LocationRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {LOCATION_COLS} FROM locations WHERE ($1 IS NULL OR org_id = $1) ORDER BY name, id LIMIT 1000"
            )))
            .bind(org.map(|o| o.to_string()))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(location_from_row(&r)?);
            }
        });
        Ok(out)
    }
}
