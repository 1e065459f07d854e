//! Test support shared by the integration tests of the workspace's crates
//! (a dev-dependency only; nothing here ships): [`on_both_backends!`] writes
//! a test once and runs it on SQLite and on PostgreSQL, each on a fresh,
//! migrated database ([`courrier_store::testing::TestDb`]).
//!
//! With `CI=true` a missing PostgreSQL fails the PostgreSQL half of each test;
//! `cargo test -p <crate> sqlite` or `… postgres` runs one backend only.

use courrier_store::Store;
pub use courrier_store::testing::TestDb;
use std::future::Future;

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A fresh, migrated database of this backend, removed when dropped.
    pub async fn test_db(self) -> TestDb {
        match self {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }
}

/// Runs `body` on the store of a fresh database of `backend`, then closes
/// the store; the database outlives the body.
pub async fn on_store<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = backend.test_db().await;
    body(db.store.clone()).await;
    db.store.close().await;
}

/// Runs a test on both backends: for each test `name`, `name::sqlite` and
/// `name::postgres` (multi-threaded tokio tests; the calling crate needs
/// `tokio` with its `macros` feature).
///
/// - `on_both_backends!(a, b, c);` — each named `async fn(Backend)` of the
///   calling module, which makes its own environment from the backend.
/// - `on_both_backends!(name, |store| async move { … });` — the body, given
///   the `Store` of a fresh database (the storage conformance suite); it sees
///   the calling module's items.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await;
                }
            }
        )+
    };
    ($name:ident, $body:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                $crate::on_store($crate::Backend::Sqlite, $body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                $crate::on_store($crate::Backend::Postgres, $body).await;
            }
        }
    };
}
