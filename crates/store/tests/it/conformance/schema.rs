//! The two migration sets describe one schema: after migrating, SQLite and
//! PostgreSQL have the same tables, the same columns with the same
//! nullability, and the same indexes by name. The few places where the
//! backends differ on purpose are listed in `BY_DESIGN`, each with why.

use courrier_store::testing::TestDb;
use sqlx::Row;
use std::collections::BTreeSet;

/// Differences the two backends keep on purpose, as the lines `describe`
/// prints: `(backend that has it, line)`.
const BY_DESIGN: &[(&str, &str)] = &[
    // Full-text search of mail items (migrations 0005 and 0011).
    // PostgreSQL: a generated tsvector column and one GIN index over
    // (org_id, search).
    ("postgres", "column mail_items.search null"),
    ("postgres", "index mail_items.mail_items_org_search"),
    // SQLite: an FTS5 table whose rowid is (organisation number << 40) | rid,
    // so one organisation's entries are one range; the numbers are kept in
    // mail_items_search_orgs.
    ("sqlite", "table mail_items_fts"),
    ("sqlite", "column mail_items.rid not null"),
    ("sqlite", "table mail_items_search_orgs"),
    ("sqlite", "column mail_items_search_orgs.no not null"),
    ("sqlite", "column mail_items_search_orgs.org_id not null"),
];

/// One line per table, column (with `null` or `not null`) and index.
async fn describe_sqlite(url: &str) -> BTreeSet<String> {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let mut lines = BTreeSet::new();
    let all: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_sqlx\\_%' ESCAPE '\\'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let virtual_tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    // A virtual table counts as a table; its shadow tables (fts5's
    // `<name>_data`, `<name>_idx`, …) and columns are SQLite's own.
    let tables: Vec<&String> = all
        .iter()
        .filter(|t| {
            !virtual_tables
                .iter()
                .any(|v| *t == v || t.starts_with(&format!("{v}_")))
        })
        .collect();
    for table in &virtual_tables {
        lines.insert(format!("table {table}"));
    }
    for table in tables {
        lines.insert(format!("table {table}"));
        let columns = sqlx::query("SELECT name, \"notnull\", pk FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(&pool)
            .await
            .unwrap();
        for column in columns {
            let name: String = column.get(0);
            // A primary key is never null on PostgreSQL; SQLite lets a
            // non-integer key be null unless it says NOT NULL, which no
            // Courrier row relies on.
            let not_null = column.get::<i64, _>(1) == 1 || column.get::<i64, _>(2) > 0;
            lines.insert(column_line(table, &name, not_null));
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
             AND name NOT LIKE 'sqlite_autoindex_%'",
        )
        .bind(table)
        .fetch_all(&pool)
        .await
        .unwrap();
        for index in indexes {
            lines.insert(format!("index {table}.{index}"));
        }
    }
    pool.close().await;
    lines
}

async fn describe_postgres(url: &str) -> BTreeSet<String> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mut lines = BTreeSet::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx\\_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for table in &tables {
        lines.insert(format!("table {table}"));
    }
    let columns = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.is_nullable::text \
         FROM information_schema.columns c \
         WHERE c.table_schema = 'public' AND c.table_name NOT LIKE '\\_sqlx\\_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for column in columns {
        let table: String = column.get(0);
        let name: String = column.get(1);
        let nullable: String = column.get(2);
        lines.insert(column_line(&table, &name, nullable == "NO"));
    }
    // Indexes made by CREATE INDEX, not those behind a primary key or a
    // UNIQUE constraint (SQLite names those itself: sqlite_autoindex_*).
    let indexes = sqlx::query(
        "SELECT t.relname::text, i.relname::text FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname NOT LIKE '\\_sqlx\\_%' \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for index in indexes {
        let table: String = index.get(0);
        let name: String = index.get(1);
        lines.insert(format!("index {table}.{name}"));
    }
    pool.close().await;
    lines
}

fn column_line(table: &str, column: &str, not_null: bool) -> String {
    let null = if not_null { "not null" } else { "null" };
    format!("column {table}.{column} {null}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_migrate_to_the_same_schema() {
    let sqlite = TestDb::sqlite().await;
    let postgres = TestDb::postgres().await;
    let lite = describe_sqlite(&sqlite.url).await;
    let pg = describe_postgres(&postgres.url).await;
    assert!(
        lite.iter().any(|l| l == "table letters") && pg.iter().any(|l| l == "table letters"),
        "the introspection found no tables: {lite:?} {pg:?}"
    );
    let by_design =
        |backend: &str, line: &str| BY_DESIGN.iter().any(|(b, l)| *b == backend && *l == line);
    let only_sqlite: Vec<&String> = lite
        .difference(&pg)
        .filter(|l| !by_design("sqlite", l))
        .collect();
    let only_postgres: Vec<&String> = pg
        .difference(&lite)
        .filter(|l| !by_design("postgres", l))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migrations drifted apart\nonly on SQLite:\n  {}\nonly on PostgreSQL:\n  {}",
        only_sqlite
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        only_postgres
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
    );
    // Each difference kept on purpose is still there: a stale entry fails.
    for (backend, line) in BY_DESIGN {
        let (here, there) = if *backend == "sqlite" {
            (&lite, &pg)
        } else {
            (&pg, &lite)
        };
        assert!(
            here.contains(*line) && !there.contains(*line),
            "BY_DESIGN lists {line:?} as {backend} only, which it no longer is"
        );
    }
    sqlite.store.close().await;
    postgres.store.close().await;
}
