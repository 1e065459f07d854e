//! Background jobs: the queue plumbing and the worker loop. Jobs live in the
//! database queue (see `courrier_store::jobs`), so any number of server
//! processes share them and each runs exactly once. [`run_due_jobs_once`]
//! drains the queue in the caller's task, for tests and the CLI.
//!
//! - `kind.rs`: what a job is ([`JobKind`]): its stored name and JSON
//!   payload, unique key and attempts. Data only; it imports no feature.
//! - `dispatch.rs`: the one `match` from a kind to the feature function that
//!   runs it (`App::deliver_email_job`, `App::process_run_job`, …) and to the
//!   one that settles its record when it gives up.
//! - here: leases, heartbeat, retries with backoff, the dead-letter list.
//!
//! Features queue their jobs through their own helpers and own their batch
//! sizes and intervals; a recurring feature returns when it runs next in
//! `Outcome::Done`.

mod dispatch;
pub mod kind;

pub use kind::JobKind;

use crate::{App, AppError, Result};
use courrier_domain::Timestamp;
use courrier_store::JobRecord;
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed job is reserved for its worker without a heartbeat:
/// work interrupted by a crash resumes on another worker within this time.
pub const LEASE_SECS: i64 = 30;
/// How often a running job's worker renews its lease.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// Wait before attempt `attempts + 1`: 30 s doubling, at most one hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
    (30_i64 << exp).min(3600)
}

/// What one run of a job decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Finished; a recurring job names when it runs next.
    Done { next: Option<Timestamp> },
    /// Try again later (if attempts remain).
    Retry(String),
    /// Retrying cannot help; straight to the dead-letter list.
    Dead(String),
}

/// A worker identity; several may run in one process and across processes.
#[derive(Debug, Clone)]
pub struct Worker {
    app: Arc<App>,
    id: String,
    heartbeat: Duration,
}

impl Worker {
    pub fn new(app: Arc<App>, name: &str) -> Worker {
        Worker {
            app,
            id: format!("{name}-{}", uuid::Uuid::new_v4().simple()),
            heartbeat: HEARTBEAT,
        }
    }

    /// The same worker renewing its jobs' leases every `every` instead of
    /// [`HEARTBEAT`] (tests run with a manual clock and a short beat).
    pub fn with_heartbeat(mut self, every: Duration) -> Worker {
        self.heartbeat = every.max(Duration::from_millis(1));
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims and runs one due job; `None` when nothing is due.
    pub async fn run_one(&self) -> Result<Option<JobRecord>> {
        let now = self.app.now();
        for job in self.app.store.sweep_expired_jobs(now).await? {
            tracing::error!(job = %job.id, kind = %job.kind, "worker stopped during the last attempt; job moved to dead-letter");
            self.on_dead(&job).await?;
        }
        let Some(job) = self
            .app
            .store
            .claim_job(&self.id, now, now.plus_seconds(LEASE_SECS))
            .await?
        else {
            return Ok(None);
        };
        let kind = JobKind::parse(&job.kind, &job.payload);
        let outcome = match &kind {
            Ok(kind) => {
                let work = self.execute(kind, job.attempts >= job.max_attempts, job.id);
                match self.with_heartbeat_on(&job, work).await {
                    Some(outcome) => outcome,
                    None => {
                        tracing::warn!(job = %job.id, kind = %job.kind, "lease lost while the job ran; its work was stopped, another worker owns it");
                        metrics::counter!("courrier_jobs_lease_lost_total", "kind" => job.kind.clone())
                            .increment(1);
                        return Ok(Some(job));
                    }
                }
            }
            Err(e) => Outcome::Dead(e.clone()),
        };
        let now = self.app.now();
        let store = &self.app.store;
        let held = match outcome {
            Outcome::Done { next } => {
                let next = match (next, &kind) {
                    (Some(at), Ok(kind)) => Some(kind.to_job(at)),
                    _ => None,
                };
                store
                    .complete_job(job.id, &self.id, now, next.as_ref())
                    .await?
            }
            Outcome::Retry(err) if job.attempts < job.max_attempts => {
                let at = now.plus_seconds(backoff_secs(job.attempts));
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %err, "job failed; will retry");
                store
                    .fail_job(job.id, &self.id, now, &err, Some(at))
                    .await?
            }
            Outcome::Retry(err) | Outcome::Dead(err) => {
                tracing::error!(job = %job.id, kind = %job.kind, error = %err, "job moved to dead-letter");
                self.on_dead(&job).await?;
                store.fail_job(job.id, &self.id, now, &err, None).await?
            }
        };
        if !held {
            tracing::warn!(job = %job.id, "lease lost before the job finished; another worker owns it");
        }
        metrics::counter!("courrier_jobs_run_total", "kind" => job.kind.clone()).increment(1);
        Ok(Some(job))
    }

    /// Runs `work` while renewing the job's lease every heartbeat; `None`
    /// when the lease was lost (taken over after a stall), and then `work`
    /// is dropped at its next await, so two workers never go on together.
    async fn with_heartbeat_on(
        &self,
        job: &JobRecord,
        work: impl std::future::Future<Output = Outcome>,
    ) -> Option<Outcome> {
        tokio::pin!(work);
        let mut beat = tokio::time::interval(self.heartbeat);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        beat.tick().await;
        loop {
            tokio::select! {
                outcome = &mut work => return Some(outcome),
                _ = beat.tick() => {
                    let until = self.app.now().plus_seconds(LEASE_SECS);
                    match self.app.store.extend_job_lease(job.id, &self.id, until).await {
                        Ok(true) => {}
                        Ok(false) => return None,
                        // The database is unreachable: the work will fail
                        // on it too; the next beat tries again.
                        Err(e) => tracing::warn!(job = %job.id, error = %e, "job lease not renewed"),
                    }
                }
            }
        }
    }

    async fn execute(
        &self,
        kind: &JobKind,
        last_attempt: bool,
        job: courrier_domain::JobId,
    ) -> Outcome {
        match dispatch::run(&self.app, kind, job, &self.id, last_attempt).await {
            Ok(o) => o,
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    /// Leaves the business record in a final state when its job gives up.
    async fn on_dead(&self, job: &JobRecord) -> Result<()> {
        match JobKind::parse(&job.kind, &job.payload) {
            Ok(kind) => dispatch::gave_up(&self.app, &kind, job).await,
            Err(_) => Ok(()),
        }
    }

    /// Polls the queue until `shutdown` turns true.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "job worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_one().await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "job queue unavailable"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(worker = %self.id, "job worker stopped");
    }
}

/// Queues the recurring jobs if they are not queued yet (safe from every process).
pub async fn ensure_recurring_jobs(app: &App) -> Result<()> {
    for kind in JobKind::RECURRING {
        app.store
            .enqueue_job(&kind.to_job(app.now()), app.now())
            .await?;
    }
    Ok(())
}

/// Runs every job that is due now, one after another; returns how many ran.
pub async fn run_due_jobs_once(app: &Arc<App>) -> Result<usize> {
    let worker = Worker::new(app.clone(), "inline");
    let mut n = 0;
    while worker.run_one().await?.is_some() {
        n += 1;
        if n > 100_000 {
            return Err(AppError::internal("job queue does not drain"));
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(3), 120);
        assert_eq!(backoff_secs(20), 3600);
    }
}
