//! Idempotency records for API requests: the first request with a key runs,
//! later ones with the same key get its stored answer.

use crate::{IdempotencyState, Result, Store, on_pool};
use courrier_domain::Timestamp;
use sqlx::Row;

impl Store {
    /// Reserves `key` in `scope` for a request whose body hashes to
    /// `request_hash`. `None`: the caller owns the key and must finish or
    /// abandon it. `Some`: an earlier request holds it.
    pub async fn idempotency_begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyState>> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "INSERT INTO idempotency (scope, idem_key, request_hash, status, body, created_at) \
                 VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT DO NOTHING",
            )
            .bind(scope.to_string())
            .bind(key.to_string())
            .bind(request_hash.to_string())
            .bind(now.millis())
            .execute(p)
            .await?
            .rows_affected();
            if n == 1 {
                return Ok(None);
            }
            let r = sqlx::query("SELECT request_hash, status, body FROM idempotency WHERE scope = $1 AND idem_key = $2")
                .bind(scope.to_string())
                .bind(key.to_string())
                .fetch_one(p)
                .await?;
            let request_hash: String = r.try_get("request_hash")?;
            let status: i32 = r.try_get("status")?;
            Ok(Some(if status == 0 {
                IdempotencyState::InProgress { request_hash }
            } else {
                IdempotencyState::Done {
                    request_hash,
                    status: u16::try_from(status).unwrap_or(500),
                    body: r.try_get("body")?,
                }
            }))
        })
    }

    pub async fn idempotency_finish(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query(
                "UPDATE idempotency SET status = $1, body = $2 WHERE scope = $3 AND idem_key = $4",
            )
            .bind(i32::from(status))
            .bind(body.to_string())
            .bind(scope.to_string())
            .bind(key.to_string())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Releases a key whose request failed on the server side, so a retry can run.
    pub async fn idempotency_abandon(&self, scope: &str, key: &str) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query(
                "DELETE FROM idempotency WHERE scope = $1 AND idem_key = $2 AND status = 0",
            )
            .bind(scope.to_string())
            .bind(key.to_string())
            .execute(p)
            .await?;
        });
        Ok(())
    }
}
