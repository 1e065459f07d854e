//! Idempotency records for API requests: the first request with a key runs,
//! later ones with the same key get its stored answer.
//!
//! A key in progress is held by one request, its owner, under a lease the
//! owner renews while it runs. Every audited change made while a request
//! holds a key (see [`with_claim`]) marks the key's effect as committed in
//! the same transaction, and is refused if the request no longer holds the
//! key. So a key is released after a failure only when nothing was changed,
//! a key whose owner died is taken over only when nothing was changed, and
//! two requests never both change something under one key.

use crate::{IdempotencyState, Result, Store, on_pool};
use courrier_domain::Timestamp;
use sqlx::Row;

/// How long a key is kept after its first use.
pub const IDEMPOTENCY_TTL_SECS: i64 = 86_400;

/// A request's hold on an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The credential the key belongs to.
    pub scope: String,
    pub key: String,
    /// Random per request: who holds the key now.
    pub owner: String,
}

tokio::task_local! {
    static CLAIM: IdempotencyClaim;
}

/// Runs `f` (a request's handling) holding `claim`: the audited changes it
/// makes mark the key's effect as committed, in their own transaction.
pub async fn with_claim<F: std::future::Future>(claim: IdempotencyClaim, f: F) -> F::Output {
    CLAIM.scope(claim, f).await
}

/// The claim of the request this task is handling, if any.
pub(crate) fn current_claim() -> Option<IdempotencyClaim> {
    CLAIM.try_with(Clone::clone).ok()
}

/// Inside the transaction `$tx` of a change: when the task handles a request
/// holding an idempotency key, records that its effect is committed (with the
/// transaction), or fails with `idempotency.lease_lost` (rolling the change
/// back) when another request took the key over.
macro_rules! mark_effect_in_tx {
    ($tx:expr, $now:expr) => {{
        if let Some(claim) = $crate::idempotency::current_claim() {
            let now: courrier_domain::Timestamp = $now;
            let n = sqlx::query(
                "UPDATE idempotency SET effect_at = COALESCE(effect_at, $1) \
                 WHERE scope = $2 AND idem_key = $3 AND owner = $4 AND status = 0",
            )
            .bind(now.millis())
            .bind(claim.scope)
            .bind(claim.key)
            .bind(claim.owner)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err($crate::StoreError::Conflict {
                    what: courrier_domain::codes::IDEMPOTENCY_LEASE_LOST,
                });
            }
        }
    }};
}
pub(crate) use mark_effect_in_tx;

impl Store {
    /// Reserves `claim.key` in `claim.scope` for a request that hashes to
    /// `request_hash`, held by `claim.owner` until `lease_until`. `None`: the
    /// caller owns the key and must finish or abandon it. `Some`: an earlier
    /// request holds it. A key older than [`IDEMPOTENCY_TTL_SECS`] counts as
    /// unused; an in-progress key whose lease ran out with nothing committed
    /// is taken over by a request with the same hash.
    pub async fn idempotency_begin(
        &self,
        claim: &IdempotencyClaim,
        request_hash: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<IdempotencyState>> {
        let expired = now.plus_seconds(-IDEMPOTENCY_TTL_SECS);
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "INSERT INTO idempotency (scope, idem_key, request_hash, status, body, created_at, owner, lease_until) \
                 VALUES ($1, $2, $3, 0, '', $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(claim.scope.clone())
            .bind(claim.key.clone())
            .bind(request_hash.to_string())
            .bind(now.millis())
            .bind(claim.owner.clone())
            .bind(lease_until.millis())
            .execute(p)
            .await?
            .rows_affected();
            if n == 1 {
                return Ok(None);
            }
            let taken = sqlx::query(
                "UPDATE idempotency SET request_hash = $1, status = 0, body = '', created_at = $2, owner = $3, \
                 lease_until = $4, effect_at = NULL \
                 WHERE scope = $5 AND idem_key = $6 AND (created_at <= $7 \
                    OR (status = 0 AND effect_at IS NULL AND lease_until <= $2 AND request_hash = $1))",
            )
            .bind(request_hash.to_string())
            .bind(now.millis())
            .bind(claim.owner.clone())
            .bind(lease_until.millis())
            .bind(claim.scope.clone())
            .bind(claim.key.clone())
            .bind(expired.millis())
            .execute(p)
            .await?
            .rows_affected();
            if taken == 1 {
                return Ok(None);
            }
            let r = sqlx::query(
                "SELECT request_hash, status, body, lease_until, effect_at FROM idempotency \
                 WHERE scope = $1 AND idem_key = $2",
            )
            .bind(claim.scope.clone())
            .bind(claim.key.clone())
            .fetch_one(p)
            .await?;
            let request_hash: String = r.try_get("request_hash")?;
            let status: i32 = r.try_get("status")?;
            Ok(Some(if status == 0 {
                IdempotencyState::InProgress {
                    request_hash,
                    lease_until: Timestamp::from_millis(r.try_get("lease_until")?),
                    effect_committed: r.try_get::<Option<i64>, _>("effect_at")?.is_some(),
                }
            } else {
                IdempotencyState::Done {
                    request_hash,
                    status: u16::try_from(status).unwrap_or(500),
                    body: r.try_get("body")?,
                }
            }))
        })
    }

    /// Renews the owner's lease on a key in progress; false when the key was
    /// taken over (or finished).
    pub async fn idempotency_renew(
        &self,
        claim: &IdempotencyClaim,
        lease_until: Timestamp,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE idempotency SET lease_until = $1 \
                 WHERE scope = $2 AND idem_key = $3 AND owner = $4 AND status = 0",
            )
            .bind(lease_until.millis())
            .bind(claim.scope.clone())
            .bind(claim.key.clone())
            .bind(claim.owner.clone())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Stores the answer of the owner's request; false when the key was
    /// taken over meanwhile.
    pub async fn idempotency_finish(
        &self,
        claim: &IdempotencyClaim,
        status: u16,
        body: &str,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE idempotency SET status = $1, body = $2, lease_until = 0 \
                 WHERE scope = $3 AND idem_key = $4 AND owner = $5 AND status = 0",
            )
            .bind(i32::from(status))
            .bind(body.to_string())
            .bind(claim.scope.clone())
            .bind(claim.key.clone())
            .bind(claim.owner.clone())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Releases the owner's key after a server-side failure, so a retry can
    /// run, but only if the request committed nothing: true when released.
    /// A key whose effect was committed is kept (store its answer with
    /// [`Store::idempotency_finish`]).
    pub async fn idempotency_abandon(&self, claim: &IdempotencyClaim) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "DELETE FROM idempotency WHERE scope = $1 AND idem_key = $2 AND owner = $3 \
                 AND status = 0 AND effect_at IS NULL",
            )
            .bind(claim.scope.clone())
            .bind(claim.key.clone())
            .bind(claim.owner.clone())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Deletes the keys first used at or before `before` (their 24 hours are
    /// over); returns how many went.
    pub async fn prune_idempotency_keys(&self, before: Timestamp) -> Result<u64> {
        on_pool!(self, |p, d| {
            let n = sqlx::query("DELETE FROM idempotency WHERE created_at <= $1")
                .bind(before.millis())
                .execute(p)
                .await?
                .rows_affected();
            Ok(n)
        })
    }
}
