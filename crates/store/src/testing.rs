//! Fresh databases for tests: a temporary SQLite file, or a UUID-named
//! PostgreSQL database that is dropped afterwards. With `CI=true` a missing
//! PostgreSQL is an error, never a skipped test.

use crate::Store;
use sqlx::Connection;

/// The server the PostgreSQL tests use (`COURRIER_TEST_POSTGRES`, default the local one).
pub fn postgres_admin_url() -> String {
    std::env::var("COURRIER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that lives as long as this value.
pub struct TestDb {
    pub url: String,
    pub store: Store,
    _dir: Option<tempfile_dir::TempDir>,
    pg_name: Option<String>,
}

mod tempfile_dir {
    /// A directory removed on drop (kept minimal to avoid a dependency in the library).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("courrier-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
        let url = format!("sqlite://{}", dir.join("courrier.sqlite3").display());
        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("sqlite store: {e}"));
        TestDb {
            url,
            store,
            _dir: Some(tempfile_dir::TempDir(dir)),
            pg_name: None,
        }
    }

    pub async fn postgres() -> TestDb {
        let admin = postgres_admin_url();
        let name = format!("courrier_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin} is required for this test (set COURRIER_TEST_POSTGRES): {e}")
        });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("create database: {e}"));
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("postgres store: {e}"));
        TestDb {
            url,
            store,
            _dir: None,
            pg_name: Some(name),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = postgres_admin_url();
        // Dropping needs async; do it on a small runtime of its own so it also
        // works while the test's runtime is shutting down.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}
