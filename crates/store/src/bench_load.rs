//! Bulk loading for `courrier bench search` only: many organisations with a
//! company mailbox, and mail items with their recognised text, written with
//! multi-row `INSERT`s (SQLite) or `INSERT … SELECT FROM UNNEST` (PostgreSQL).
//!
//! Items go into `mail_items` exactly like [`Store::insert_item`] followed
//! by [`Store::set_ocr_text`] would leave them, so the full-text index is
//! filled by the same means as normal writes: SQLite's FTS5 triggers and
//! PostgreSQL's generated `search` column with its GIN index. What is left
//! out is what search does not read: custody events and audit entries.
//! Never call this on a database that holds real data.

use courrier_domain::codes;

use crate::mail_items::{clean_text, normalize_tags};
use crate::users::parse_id;
use crate::{Db, Result, Store, on_pool};
use courrier_domain::mailbox::{ItemFormat, ItemKind, ItemState, Origin};
use courrier_domain::{LocationId, MailItemId, MailboxId, OrgId, Timestamp};

/// A generated mail item with its recognised text.
#[derive(Debug, Clone)]
pub struct BenchItem {
    pub id: MailItemId,
    pub org: OrgId,
    pub mailbox: MailboxId,
    pub location: Option<LocationId>,
    pub origin: Origin,
    pub recipient_name: String,
    pub sender: String,
    pub kind: ItemKind,
    pub format: ItemFormat,
    pub state: ItemState,
    pub received_at: Timestamp,
    pub pages: i32,
    pub tags: Vec<String>,
    pub text: String,
}

/// A customer organisation with its company mailbox.
#[derive(Debug, Clone)]
pub struct BenchTenant {
    pub org: OrgId,
    pub mailbox: MailboxId,
    pub name: String,
}

/// Bound columns of one item row (SQLite's placeholders per row).
const ITEM_BIND_COLS: usize = 15;
/// Rows per SQLite statement: well under its 32,766 bound variables.
const SQLITE_ROWS_PER_STATEMENT: usize = 500;

const ITEM_INSERT: &str = "INSERT INTO mail_items (id, org_id, mailbox_id, location_id, recipient_name, origin, \
     sender, kind, format, state, received_at, pages, tags, ocr_text, updated_at, ocr_state, ocr_pages_done, \
     ocr_pages_total) ";

impl Store {
    /// The customer organisations of a kept bench database, by name, with
    /// their number of items: `(name, org, items)`.
    pub async fn bench_tenants(&self) -> Result<Vec<(String, OrgId, i64)>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT o.id, o.name, (SELECT COUNT(*) FROM mail_items i WHERE i.org_id = o.id) AS n \
                 FROM orgs o WHERE o.kind = 'customer'",
            )
            .fetch_all(p)
            .await?;
            for r in rows {
                use sqlx::Row;
                out.push((
                    r.try_get("name")?,
                    parse_id(r.try_get::<String, _>("id")?)?,
                    r.try_get("n")?,
                ));
            }
        });
        Ok(out)
    }

    /// Creates a mail-center organisation with `locations`, and the customer
    /// `tenants`, each with an active company mailbox.
    pub async fn bench_create_tenants(
        &self,
        mail_center: OrgId,
        locations: &[LocationId],
        tenants: &[BenchTenant],
        now: Timestamp,
    ) -> Result<()> {
        let org_sql = "INSERT INTO orgs (id, name, kind, country, currency, require_2fa, time_zone, wrapped_key, \
                       audit_seq, audit_head, created_at) \
                       VALUES ($1, $2, $3, 'CH', 'CHF', FALSE, 'Europe/Zurich', $4, 0, 'genesis', $5)";
        let location_sql = "INSERT INTO locations (id, org_id, name, address, country, time_zone, created_at) \
                            VALUES ($1, $2, $3, 'Bahnhofstrasse 1\n8001 Zürich', 'CH', 'Europe/Zurich', $4)";
        let mailbox_sql = "INSERT INTO mailboxes (id, org_id, location_id, state, address_lines, address_key, \
                           country, activation_date, created_at, verified_at, updated_at) \
                           VALUES ($1, $2, NULL, 'active', $3, $4, 'CH', '2020-01-01', $5, $5, $5)";
        crate::on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(org_sql)
                .bind(mail_center.to_string())
                .bind("Bench mail center")
                .bind("mail_center")
                .bind(Vec::<u8>::new())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            for (n, l) in locations.iter().enumerate() {
                sqlx::query(location_sql)
                    .bind(l.to_string())
                    .bind(mail_center.to_string())
                    .bind(format!("Location {n}"))
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
            }
            for t in tenants {
                sqlx::query(org_sql)
                    .bind(t.org.to_string())
                    .bind(t.name.clone())
                    .bind("customer")
                    .bind(Vec::<u8>::new())
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
                let address = format!("{}\nRue du Bench 1\n1000 Lausanne", t.name);
                sqlx::query(mailbox_sql)
                    .bind(t.mailbox.to_string())
                    .bind(t.org.to_string())
                    .bind(address.clone())
                    .bind(address.to_lowercase().replace('\n', "|"))
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Inserts `items` in one transaction per call.
    pub async fn bench_insert_items(&self, items: &[BenchItem]) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => {
                let mut tx = p.begin().await?;
                for chunk in items.chunks(SQLITE_ROWS_PER_STATEMENT) {
                    let rows = (0..chunk.len())
                        .map(|r| {
                            let b = r * ITEM_BIND_COLS;
                            let params = (1..=ITEM_BIND_COLS)
                                .map(|c| format!("${}", b + c))
                                .collect::<Vec<_>>()
                                .join(", ");
                            // ocr_state, ocr_pages_done, ocr_pages_total as set_ocr_text leaves them.
                            format!("({params}, 'done', ${p}, ${p})", p = b + 12)
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = format!("{ITEM_INSERT}VALUES {rows}");
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for it in chunk {
                        q = q
                            .bind(it.id.to_string())
                            .bind(it.org.to_string())
                            .bind(it.mailbox.to_string())
                            .bind(it.location.map(|l| l.to_string()))
                            .bind(clean_text(&it.recipient_name))
                            .bind(it.origin.as_str())
                            .bind(clean_text(&it.sender))
                            .bind(it.kind.as_str())
                            .bind(it.format.as_str())
                            .bind(it.state.as_str())
                            .bind(it.received_at.millis())
                            .bind(it.pages)
                            .bind(normalize_tags(&it.tags).join(","))
                            .bind(clean_text(&it.text))
                            .bind(it.received_at.millis());
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            Db::Postgres(p) => {
                let col =
                    |f: &dyn Fn(&BenchItem) -> String| items.iter().map(f).collect::<Vec<_>>();
                let sql = format!(
                    "{ITEM_INSERT}SELECT id, org_id, mailbox_id, location_id, recipient_name, origin, sender, kind, \
                     format, state, received_at, pages, tags, ocr_text, received_at, 'done', pages, pages \
                     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::text[], $9::text[], $10::text[], $11::bigint[], $12::int[], $13::text[], $14::text[]) \
                     AS t(id, org_id, mailbox_id, location_id, recipient_name, origin, sender, kind, format, state, \
                     received_at, pages, tags, ocr_text)"
                );
                let mut tx = p.begin().await?;
                // Durability of a throw-away benchmark database does not matter.
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(col(&|i| i.id.to_string()))
                    .bind(col(&|i| i.org.to_string()))
                    .bind(col(&|i| i.mailbox.to_string()))
                    .bind(
                        items
                            .iter()
                            .map(|i| i.location.map(|l| l.to_string()))
                            .collect::<Vec<_>>(),
                    )
                    .bind(col(&|i| clean_text(&i.recipient_name)))
                    .bind(col(&|i| i.origin.as_str().to_string()))
                    .bind(col(&|i| clean_text(&i.sender)))
                    .bind(col(&|i| i.kind.as_str().to_string()))
                    .bind(col(&|i| i.format.as_str().to_string()))
                    .bind(col(&|i| i.state.as_str().to_string()))
                    .bind(
                        items
                            .iter()
                            .map(|i| i.received_at.millis())
                            .collect::<Vec<_>>(),
                    )
                    .bind(items.iter().map(|i| i.pages).collect::<Vec<_>>())
                    .bind(col(&|i| normalize_tags(&i.tags).join(",")))
                    .bind(col(&|i| clean_text(&i.text)))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// After loading: refreshes the planner's statistics (and, on
    /// PostgreSQL, the visibility map), as autovacuum would in production.
    pub async fn bench_finish_load(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
            }
            Db::Postgres(p) => {
                sqlx::query("VACUUM ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }
}

/// Creates a fresh, UUID-named PostgreSQL database on the server of
/// `admin_url` (a URL of its maintenance database); returns its URL and name.
pub async fn create_postgres_database(admin_url: &str) -> Result<(String, String)> {
    use sqlx::Connection;
    let name = format!("courrier_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    let _ = conn.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    Ok((format!("{base}/{name}"), name))
}

/// Drops a database made by [`create_postgres_database`].
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<()> {
    use sqlx::Connection;
    if !name.starts_with("courrier_bench_")
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(crate::StoreError::Refused {
            what: codes::BENCH_DATABASE_NAME,
        });
    }
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(())
}
