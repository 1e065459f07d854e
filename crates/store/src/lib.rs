//! Courrier's storage. [`Store`] is the one storage API of the application; it
//! has two implementations, SQLite (the embedded default) and PostgreSQL
//! (production), chosen by the database URL. Each method is written once as
//! SQL that both dialects accept and compiled once per backend through
//! [`on_pool!`]; where the dialects differ (row locks), [`Dialect`] says how.
//! Only this crate knows SQL. Blob storage lives in [`blob`].

pub mod blob;
mod migrate;
mod records;
mod row;
#[allow(clippy::panic)] // test support: a missing database must fail the test loudly
pub mod testing;

mod audit;
mod auth;
/// Bulk loading for `courrier bench search` only.
pub mod bench_load;
mod digests;
mod documents;
mod emails;
mod idempotency;
mod intake_counts;
mod jobs;
mod letters;
mod mail_items;
mod mailbox;
mod maintenance;
mod orgs;
mod paper_originals;
mod reports;
mod scan_retention;
mod signup;
mod tariffs;
mod tasks;
mod users;
mod webhooks;

pub use digests::{DigestMailbox, DigestRecord, NotifyMode};
pub use idempotency::{IDEMPOTENCY_TTL_SECS, IdempotencyClaim, with_claim};
pub use intake_counts::{DayItem, IntakeCountRecord};
pub use letters::LetterAttachment;
pub use letters::PERIOD_CHUNK;
pub use letters::{
    LetterEventRecord, LetterFilter, LetterRecord, LetterSettings, RecipientRecord, RunItemRecord,
    RunKind, RunRecord, RunState,
};
pub use mail_items::{
    ItemEventRecord, ItemFilter, MailItemRecord, OCR_UNAVAILABLE, OcrProgress, OcrState, SearchHit,
    SearchOrder, SearchQuery, SearchTerm, SnippetSpan, normalize_tags,
};
pub use mailbox::{
    LocationRecipient, LocationRecord, MailboxRecord, MemberAccess, MemberKind, MemberRecord,
    MemberReviewRecord, RuleRecord, address_key,
};
pub use records::*;
pub use reports::{ReportDelivery, ReportFrequency, ReportRecord, ReportScheduleRecord};
pub use scan_retention::ExpiredScan;
pub use signup::{
    LocationPlanRecord, MemberDocumentRecord, NewSignupAccount, ReminderCandidate, SignupEmail,
    SignupEmailKind, SignupEmailLink, SignupEmailRecord, SignupRecord,
};
pub use tariffs::{SEED_AUTHOR, TariffRecord};
pub use tasks::{
    PickupRecord, QueuedTask, ScanUpload, TaskCompletion, TaskFilter, TaskRecord, TaskState,
    UsageKind, UsageLineRecord,
};
pub use webhooks::{
    ALL_EVENTS, DeliveryError, DeliveryState, Outbox, WebhookDeliveryRecord, WebhookEvent,
    WebhookRecord,
};

use courrier_domain::Code;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was hit; `what` is a stable code such as `user.email_taken`.
    #[error("conflict: {what}")]
    Conflict { what: Code },
    /// A rule kept in the store was broken, e.g. removing the last administrator.
    #[error("refused: {what}")]
    Refused { what: Code },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Maps a unique-constraint violation to a conflict with a stable code.
    pub(crate) fn unique(e: sqlx::Error, what: Code) -> StoreError {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Conflict { what };
        }
        StoreError::Database(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What differs between the two SQL dialects.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// Appended to a SELECT that must lock the rows it reads until commit.
    /// PostgreSQL uses `FOR NO KEY UPDATE`: unlike `FOR UPDATE` it does not
    /// conflict with the `FOR KEY SHARE` lock a foreign-key insert takes on
    /// the referenced row, so "insert a row of the org, then lock the org to
    /// append to its audit chain" cannot deadlock with itself.
    pub lock_rows: &'static str,
    /// Appended to the job-claim subquery so concurrent workers skip each other's rows.
    pub skip_locked: &'static str,
    /// A statement taking a transaction-long lock on the text `$1`, so
    /// transactions about the same throttle key run one after the other.
    /// SQLite has one connection, so its transactions are serial already.
    pub lock_key: Option<&'static str>,
    /// The column naming one physical row, for deleting one of equal rows.
    pub row_id: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    lock_rows: "",
    skip_locked: "",
    lock_key: None,
    row_id: "rowid",
};
pub(crate) const POSTGRES: Dialect = Dialect {
    lock_rows: " FOR NO KEY UPDATE",
    skip_locked: " FOR UPDATE SKIP LOCKED",
    lock_key: Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"),
    row_id: "ctid",
};

#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the backend's pool and `$d` to its dialect.
///
/// Rows are read inside `$body` through ordinary functions over
/// [`row::RowExt`]. The few helper macros left in the modules (`*_in_tx`,
/// `insert_*`, …) run statements on `$body`'s backend-specific transaction:
/// as functions they would need to be generic over `sqlx::Database` with
/// higher-ranked `Executor`/`Encode` bounds for every statement, which is
/// what `on_pool!` exists to avoid (see ARCHITECTURE.md, Decisions).
macro_rules! on_pool {
    ($self:expr, |$p:ident, $d:ident| $body:expr) => {
        match &$self.db {
            $crate::Db::Sqlite($p) => {
                #[allow(unused_variables)]
                let $d = &$crate::SQLITE;
                $body
            }
            $crate::Db::Postgres($p) => {
                #[allow(unused_variables)]
                let $d = &$crate::POSTGRES;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// The storage handle; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Db,
}

impl Store {
    /// Connects to `sqlite://PATH` or `postgres://…` and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        let store = Store::connect_without_migrating(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn connect_without_migrating(url: &str) -> Result<Store> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // One connection: SQLite has one writer, and a single connection
            // means a transaction never meets SQLITE_BUSY halfway through.
            Db::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts)
                    .await?,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            Db::Postgres(
                PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?,
            )
        } else {
            return Err(StoreError::Migration(format!(
                "database URL must start with sqlite:// or postgres:// (got '{}')",
                url.split(':').next().unwrap_or_default()
            )));
        };
        Ok(Store { db })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether the database answers; used by `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |p, d| p.close().await)
    }
}
