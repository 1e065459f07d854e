//! The durable job queue. A worker claims one due job at a time with a lease;
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, SQLite's single writer
//! makes the claim atomic. A job whose worker died is claimed again once its
//! lease has expired. Completing checks that the lease is still held, so a job
//! that was taken over cannot be completed twice.

use courrier_domain::codes;

use crate::row::RowExt;
use crate::{JobRecord, JobState, NewJob, Result, Store, StoreError, on_pool};
use courrier_domain::{JobId, Timestamp};

const JOB_COLS: &str = "id, kind, payload, unique_key, state, run_at, attempts, max_attempts, lease_until, \
                        locked_by, last_error, created_at, finished_at";

pub(crate) fn job_from_row(r: &impl RowExt) -> Result<JobRecord> {
    Ok(JobRecord {
        id: r.id("id")?,
        kind: r.col("kind")?,
        payload: r.col("payload")?,
        unique_key: r.col("unique_key")?,
        state: JobState::parse(&r.text("state")?)?,
        run_at: r.ts("run_at")?,
        attempts: r.col("attempts")?,
        max_attempts: r.col("max_attempts")?,
        lease_until: r.opt_ts("lease_until")?,
        locked_by: r.col("locked_by")?,
        last_error: r.col("last_error")?,
        created_at: r.ts("created_at")?,
        finished_at: r.opt_ts("finished_at")?,
    })
}

macro_rules! insert_job {
    ($exec:expr, $job:expr, $now:expr) => {{
        let job: &$crate::NewJob = $job;
        let id = courrier_domain::JobId::random();
        let n = sqlx::query(
            "INSERT INTO jobs (id, kind, payload, unique_key, state, run_at, attempts, max_attempts, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(job.kind.clone())
        .bind(job.payload.clone())
        .bind(job.unique_key.clone())
        .bind(job.run_at.millis())
        .bind(job.max_attempts)
        .bind($now.millis())
        .execute($exec)
        .await?
        .rows_affected();
        if n == 1 { Some(id) } else { None }
    }};
}
pub(crate) use insert_job;

impl Store {
    /// Queues a job; `None` when a queued job already carries its unique key.
    pub async fn enqueue_job(&self, job: &NewJob, now: Timestamp) -> Result<Option<JobId>> {
        on_pool!(self, |p, d| Ok(insert_job!(p, job, now)))
    }

    /// Moves jobs whose lease ran out on their last attempt to the dead-letter
    /// state and returns them, so the caller can settle what they were doing.
    pub async fn sweep_expired_jobs(&self, now: Timestamp) -> Result<Vec<JobRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET state = 'dead', finished_at = $1, locked_by = NULL, \
                 last_error = COALESCE(last_error, 'lease expired on the last attempt') \
                 WHERE state = 'running' AND lease_until <= $1 AND attempts >= max_attempts \
                 RETURNING {JOB_COLS}"
            )))
            .bind(now.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(job_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Claims the most overdue job for `worker` until `lease_until`: a queued
    /// job that is due, or a running one whose lease expired with attempts left.
    pub async fn claim_job(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<JobRecord>> {
        on_pool!(self, |p, d| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, locked_by = $2 \
                 WHERE id = (SELECT id FROM jobs \
                    WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until <= $3 AND attempts < max_attempts) \
                    ORDER BY run_at, id LIMIT 1{}) \
                 RETURNING {JOB_COLS}",
                d.skip_locked
            )))
            .bind(lease_until.millis())
            .bind(worker.to_string())
            .bind(now.millis())
            .fetch_optional(p)
            .await?;
            match row {
                Some(r) => Ok(Some(job_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// Keeps a long job's lease alive; false when the lease was lost.
    pub async fn extend_job_lease(
        &self,
        id: JobId,
        worker: &str,
        until: Timestamp,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND locked_by = $3 AND state = 'running'",
            )
            .bind(until.millis())
            .bind(id.to_string())
            .bind(worker.to_string())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Marks a claimed job done and, in the same transaction, queues its
    /// successor (a recurring job's next run). False when the lease was lost.
    pub async fn complete_job(
        &self,
        id: JobId,
        worker: &str,
        now: Timestamp,
        next: Option<&NewJob>,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE jobs SET state = 'done', finished_at = $1, lease_until = NULL \
                 WHERE id = $2 AND locked_by = $3 AND state = 'running'",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(worker.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            if let Some(next) = next {
                insert_job!(&mut *tx, next, now);
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records a failed attempt: queued again at `retry_at`, or dead when `None`.
    pub async fn fail_job(
        &self,
        id: JobId,
        worker: &str,
        now: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool> {
        const RETRY: &str = "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, lease_until = NULL, locked_by = NULL \
                             WHERE id = $3 AND locked_by = $4 AND state = 'running'";
        const GIVE_UP: &str = "UPDATE jobs SET state = 'dead', finished_at = $1, last_error = $2, lease_until = NULL \
                               WHERE id = $3 AND locked_by = $4 AND state = 'running'";
        on_pool!(self, |p, d| {
            let (sql, at, error) = match retry_at {
                Some(at) => (RETRY, at, error.to_string()),
                None => (GIVE_UP, now, error.to_string()),
            };
            let first = sqlx::query(sql)
                .bind(at.millis())
                .bind(error.clone())
                .bind(id.to_string())
                .bind(worker.to_string())
                .execute(p)
                .await;
            let n = match first {
                Ok(r) => r.rows_affected(),
                // A newer run of the same unique job is queued already (a recurring
                // job re-queued meanwhile): that run replaces this retry.
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => sqlx::query(GIVE_UP)
                    .bind(now.millis())
                    .bind(format!(
                        "{error} (superseded: a newer run is already queued)"
                    ))
                    .bind(id.to_string())
                    .bind(worker.to_string())
                    .execute(p)
                    .await?
                    .rows_affected(),
                Err(e) => return Err(e.into()),
            };
            Ok(n == 1)
        })
    }

    pub async fn job(&self, id: JobId) -> Result<JobRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLS} FROM jobs WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            job_from_row(&r)
        })
    }

    /// Jobs in one state, most recent first (the dead-letter view uses `Dead`).
    pub async fn list_jobs(&self, state: JobState, limit: u32) -> Result<Vec<JobRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLS} FROM jobs WHERE state = $1 ORDER BY run_at DESC, id LIMIT $2"
            )))
            .bind(state.as_str())
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(job_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Puts a dead job back in the queue with fresh attempts (platform admin).
    pub async fn requeue_dead_job(&self, id: JobId, now: Timestamp) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE jobs SET state = 'queued', run_at = $1, attempts = 0, finished_at = NULL, locked_by = NULL \
                 WHERE id = $2 AND state = 'dead'",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .execute(p)
            .await
            .map_err(|e| StoreError::unique(e, codes::JOB_ALREADY_QUEUED))?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }
}
