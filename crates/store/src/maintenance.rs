//! Housekeeping run by recurring jobs.

use crate::{Result, Store, on_pool};
use courrier_domain::Timestamp;

impl Store {
    /// Deletes expired sessions and failed-login records older than `failures_before`;
    /// returns how many rows went.
    pub async fn prune_sign_in_state(
        &self,
        now: Timestamp,
        failures_before: Timestamp,
    ) -> Result<u64> {
        on_pool!(self, |p, d| {
            let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now.millis())
                .execute(p)
                .await?
                .rows_affected();
            let b = sqlx::query("DELETE FROM login_failures WHERE at <= $1")
                .bind(failures_before.millis())
                .execute(p)
                .await?
                .rows_affected();
            Ok(a + b)
        })
    }
}
