//! Plain-SQL migrations, one folder per backend, applied in order inside a
//! transaction each and recorded in `schema_migrations`.

use crate::{Db, Store, StoreError, on_pool};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "totp_replay",
        sqlite: include_str!("../migrations/sqlite/0002_totp_replay.sql"),
        postgres: include_str!("../migrations/postgres/0002_totp_replay.sql"),
    },
    Migration {
        version: 3,
        name: "letters",
        sqlite: include_str!("../migrations/sqlite/0003_letters.sql"),
        postgres: include_str!("../migrations/postgres/0003_letters.sql"),
    },
    Migration {
        version: 4,
        name: "webhooks",
        sqlite: include_str!("../migrations/sqlite/0004_webhooks.sql"),
        postgres: include_str!("../migrations/postgres/0004_webhooks.sql"),
    },
    Migration {
        version: 5,
        name: "mailbox",
        sqlite: include_str!("../migrations/sqlite/0005_mailbox.sql"),
        postgres: include_str!("../migrations/postgres/0005_mailbox.sql"),
    },
    Migration {
        version: 6,
        name: "reports",
        sqlite: include_str!("../migrations/sqlite/0006_reports.sql"),
        postgres: include_str!("../migrations/postgres/0006_reports.sql"),
    },
    Migration {
        version: 7,
        name: "letter_composition",
        sqlite: include_str!("../migrations/sqlite/0007_letter_composition.sql"),
        postgres: include_str!("../migrations/postgres/0007_letter_composition.sql"),
    },
    Migration {
        version: 8,
        name: "tariffs",
        sqlite: include_str!("../migrations/sqlite/0008_tariffs.sql"),
        postgres: include_str!("../migrations/postgres/0008_tariffs.sql"),
    },
    Migration {
        version: 9,
        name: "signup",
        sqlite: include_str!("../migrations/sqlite/0009_signup.sql"),
        postgres: include_str!("../migrations/postgres/0009_signup.sql"),
    },
    Migration {
        version: 10,
        name: "intake_counts",
        sqlite: include_str!("../migrations/sqlite/0010_intake_counts.sql"),
        postgres: include_str!("../migrations/postgres/0010_intake_counts.sql"),
    },
    Migration {
        version: 11,
        name: "search_index",
        sqlite: include_str!("../migrations/sqlite/0011_search_index.sql"),
        postgres: include_str!("../migrations/postgres/0011_search_index.sql"),
    },
    Migration {
        version: 12,
        name: "plan_end",
        sqlite: include_str!("../migrations/sqlite/0012_plan_end.sql"),
        postgres: include_str!("../migrations/postgres/0012_plan_end.sql"),
    },
    Migration {
        version: 13,
        name: "scan_retention",
        sqlite: include_str!("../migrations/sqlite/0013_scan_retention.sql"),
        postgres: include_str!("../migrations/postgres/0013_scan_retention.sql"),
    },
    Migration {
        version: 14,
        name: "hooks_delivery_error",
        sqlite: include_str!("../migrations/sqlite/0014_hooks_delivery_error.sql"),
        postgres: include_str!("../migrations/postgres/0014_hooks_delivery_error.sql"),
    },
    Migration {
        version: 15,
        name: "once_exactly_once",
        sqlite: include_str!("../migrations/sqlite/0015_once_exactly_once.sql"),
        postgres: include_str!("../migrations/postgres/0015_once_exactly_once.sql"),
    },
    Migration {
        version: 16,
        name: "org_time_zone",
        sqlite: include_str!("../migrations/sqlite/0016_org_time_zone.sql"),
        postgres: include_str!("../migrations/postgres/0016_org_time_zone.sql"),
    },
];

impl Store {
    /// Applies the migrations not applied yet; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let mig = |e: sqlx::Error| StoreError::Migration(e.to_string());
        let mut ran = 0;
        on_pool!(self, |p, d| {
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
            )
            .execute(p)
            .await
            .map_err(mig)?;
            for m in MIGRATIONS {
                let mut tx = p.begin().await.map_err(mig)?;
                let done: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                        .bind(m.version)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(mig)?;
                if done.is_some() {
                    continue;
                }
                let sql = if matches!(self.db, Db::Sqlite(_)) {
                    m.sqlite
                } else {
                    m.postgres
                };
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(|e| {
                    StoreError::Migration(format!("migration {} ({}): {e}", m.version, m.name))
                })?;
                sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await
                    .map_err(mig)?;
                tx.commit().await.map_err(mig)?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
                ran += 1;
            }
        });
        // The seed tariffs, written once (later runs find them and add nothing).
        crate::tariffs::seed_after_migrating(self).await?;
        Ok(ran)
    }
}
