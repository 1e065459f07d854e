//! Background jobs: what they are ([`JobKind`]), how one runs, and the worker
//! loop. Jobs live in the database queue (see `courrier_store::jobs`), so any
//! number of server processes share them and each runs exactly once.
//! [`run_due_jobs_once`] drains the queue in the caller's task, for tests and
//! the CLI.

use crate::mail::MailError;
use crate::{App, AppError, Result};
use courrier_domain::Timestamp;
use courrier_store::{EmailState, JobRecord, NewJob};
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed job is reserved for its worker without a heartbeat:
/// work interrupted by a crash resumes on another worker within this time.
pub const LEASE_SECS: i64 = 30;
/// How often a running job's worker renews its lease.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
const CLEANUP_EVERY_SECS: i64 = 3600;
/// Retention runs every 10 minutes, so "12 hours after printing" is kept to the quarter hour.
const PURGE_EVERY_SECS: i64 = 600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// Send one message of the outbox.
    DeliverEmail { email: uuid::Uuid },
    /// Recurring: delete expired sessions, old failed-login records and
    /// idempotency keys past their 24 hours.
    CleanupSignInState,
    /// Recurring: crypto-shred letter documents past their retention.
    PurgeLetterDocuments,
    /// POST one webhook delivery to its endpoint (see `crate::webhooks`).
    DeliverWebhook { delivery: uuid::Uuid },
    /// Split or merge the letters of a bulk run (see `crate::runs`).
    ProcessRun {
        org: courrier_domain::OrgId,
        run: courrier_domain::RunId,
    },
    /// Recognise the scan of a mail item (see `crate::mailbox`).
    OcrItem { item: courrier_domain::MailItemId },
    /// Recurring: activate mailboxes whose date has come and create shred
    /// tasks for paper originals past retention (see `crate::mailbox`).
    MailboxUpkeep,
    /// Recurring: make and e-mail the reports of due schedules (see `crate::reports`).
    SendScheduledReports,
    /// Recurring: e-mail the daily digests of new mail that are due (see
    /// `crate::mailbox`, `mailbox/digest.rs`).
    SendMailboxDigests,
}

impl JobKind {
    pub fn name(&self) -> &'static str {
        match self {
            JobKind::DeliverEmail { .. } => "email.deliver",
            JobKind::CleanupSignInState => "signin.cleanup",
            JobKind::PurgeLetterDocuments => "letters.purge",
            JobKind::DeliverWebhook { .. } => "webhook.deliver",
            JobKind::ProcessRun { .. } => "runs.process",
            JobKind::OcrItem { .. } => "mail.ocr",
            JobKind::MailboxUpkeep => "mail.upkeep",
            JobKind::SendScheduledReports => "reports.send",
            JobKind::SendMailboxDigests => "mail.digest",
        }
    }

    fn payload(&self) -> String {
        match self {
            JobKind::DeliverEmail { email } => email.to_string(),
            JobKind::DeliverWebhook { delivery } => delivery.to_string(),
            JobKind::ProcessRun { org, run } => format!("{org}/{run}"),
            JobKind::OcrItem { item } => item.to_string(),
            JobKind::CleanupSignInState
            | JobKind::PurgeLetterDocuments
            | JobKind::MailboxUpkeep
            | JobKind::SendScheduledReports
            | JobKind::SendMailboxDigests => String::new(),
        }
    }

    pub fn parse(kind: &str, payload: &str) -> Result<JobKind, String> {
        match kind {
            "email.deliver" => uuid::Uuid::parse_str(payload)
                .map(|email| JobKind::DeliverEmail { email })
                .map_err(|_| format!("bad e-mail id '{payload}'")),
            "signin.cleanup" => Ok(JobKind::CleanupSignInState),
            "letters.purge" => Ok(JobKind::PurgeLetterDocuments),
            "webhook.deliver" => uuid::Uuid::parse_str(payload)
                .map(|delivery| JobKind::DeliverWebhook { delivery })
                .map_err(|_| format!("bad webhook delivery id '{payload}'")),
            "runs.process" => payload
                .split_once('/')
                .and_then(|(org, run)| {
                    Some(JobKind::ProcessRun {
                        org: org.parse().ok()?,
                        run: run.parse().ok()?,
                    })
                })
                .ok_or_else(|| format!("bad run '{payload}'")),
            "mail.ocr" => payload
                .parse()
                .map(|item| JobKind::OcrItem { item })
                .map_err(|_| format!("bad item id '{payload}'")),
            "mail.upkeep" => Ok(JobKind::MailboxUpkeep),
            "reports.send" => Ok(JobKind::SendScheduledReports),
            "mail.digest" => Ok(JobKind::SendMailboxDigests),
            other => Err(format!("unknown job kind '{other}'")),
        }
    }

    pub fn to_job(&self, run_at: Timestamp) -> NewJob {
        let (unique_key, max_attempts) = match self {
            JobKind::DeliverEmail { email } => (Some(format!("email:{email}")), 8),
            JobKind::CleanupSignInState => (Some("recurring:signin.cleanup".to_string()), 3),
            JobKind::PurgeLetterDocuments => (Some("recurring:letters.purge".to_string()), 3),
            JobKind::DeliverWebhook { delivery } => (
                Some(format!("webhook:{delivery}")),
                crate::webhooks::MAX_ATTEMPTS,
            ),
            JobKind::ProcessRun { run, .. } => (Some(format!("run:{run}")), 5),
            JobKind::OcrItem { item } => (Some(format!("ocr:{item}")), 3),
            JobKind::MailboxUpkeep => (Some("recurring:mail.upkeep".to_string()), 3),
            JobKind::SendScheduledReports => (Some("recurring:reports.send".to_string()), 3),
            JobKind::SendMailboxDigests => (Some("recurring:mail.digest".to_string()), 3),
        };
        NewJob {
            kind: self.name().into(),
            payload: self.payload(),
            unique_key,
            run_at,
            max_attempts,
        }
    }
}

/// Wait before attempt `attempts + 1`: 30 s doubling, at most one hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
    (30_i64 << exp).min(3600)
}

/// What one run of a job decided.
enum Outcome {
    Done {
        next: Option<NewJob>,
    },
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
        let outcome = match JobKind::parse(&job.kind, &job.payload) {
            Ok(kind) => {
                let work = self.execute(&kind, job.attempts >= job.max_attempts, job.id);
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
            Err(e) => Outcome::Dead(e),
        };
        let now = self.app.now();
        let store = &self.app.store;
        let held = match outcome {
            Outcome::Done { next } => {
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
        match self.try_execute(kind, last_attempt, job).await {
            Ok(o) => o,
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    async fn try_execute(
        &self,
        kind: &JobKind,
        last_attempt: bool,
        job: courrier_domain::JobId,
    ) -> Result<Outcome> {
        let app = &self.app;
        match kind {
            JobKind::DeliverEmail { email } => {
                let record = app.store.email(*email).await?;
                if record.state != EmailState::Pending {
                    return Ok(Outcome::Done { next: None });
                }
                match app.mailer.send(&record).await {
                    Ok(()) => {
                        app.store
                            .record_email_attempt(*email, EmailState::Sent, None, app.now())
                            .await?;
                        Ok(Outcome::Done { next: None })
                    }
                    Err(MailError::NotConfigured) => {
                        // Not a failure of this message: it stays unsent in
                        // the outbox, where the platform page shows it whole.
                        static SAID: std::sync::Once = std::sync::Once::new();
                        SAID.call_once(|| {
                            tracing::info!(
                                "SMTP is not configured (smtp_url, COURRIER_SMTP_URL): e-mails stay unsent in the outbox, listed with their text on the platform page /admin/orgs"
                            );
                        });
                        app.store
                            .record_email_attempt(
                                *email,
                                EmailState::Pending,
                                Some(&MailError::NotConfigured.to_string()),
                                app.now(),
                            )
                            .await?;
                        Ok(Outcome::Done { next: None })
                    }
                    Err(e @ (MailError::Config(_) | MailError::Rejected(_))) => {
                        app.store
                            .record_email_attempt(
                                *email,
                                EmailState::Failed,
                                Some(&e.to_string()),
                                app.now(),
                            )
                            .await?;
                        Ok(Outcome::Dead(e.to_string()))
                    }
                    Err(e) => {
                        // The last attempt's failure is final; recording it as
                        // pending would make `on_dead` count a phantom attempt.
                        let state = if last_attempt {
                            EmailState::Failed
                        } else {
                            EmailState::Pending
                        };
                        app.store
                            .record_email_attempt(*email, state, Some(&e.to_string()), app.now())
                            .await?;
                        Ok(Outcome::Retry(e.to_string()))
                    }
                }
            }
            JobKind::DeliverWebhook { delivery } => {
                use crate::webhooks::Attempt;
                Ok(match app.attempt_webhook_delivery(*delivery).await? {
                    Attempt::Done => Outcome::Done { next: None },
                    Attempt::Retry(e) => Outcome::Retry(e),
                    Attempt::GiveUp(e) => Outcome::Dead(e),
                })
            }
            JobKind::CleanupSignInState => {
                let now = app.now();
                let n = app
                    .store
                    .prune_sign_in_state(now, now.plus_seconds(-86_400))
                    .await?;
                let keys = app
                    .store
                    .prune_idempotency_keys(now.plus_seconds(-courrier_store::IDEMPOTENCY_TTL_SECS))
                    .await?;
                tracing::info!(
                    rows = n,
                    idempotency_keys = keys,
                    "pruned expired sessions, old failed logins and idempotency keys past 24 hours"
                );
                Ok(Outcome::Done {
                    next: Some(kind.to_job(now.plus_seconds(CLEANUP_EVERY_SECS))),
                })
            }
            JobKind::ProcessRun { org, run } => {
                let lease = crate::runs::RunLease {
                    job,
                    worker: self.id.clone(),
                };
                app.process_run(*org, *run, Some(lease)).await?;
                Ok(Outcome::Done { next: None })
            }
            JobKind::OcrItem { item } => Ok(match app.run_ocr(*item).await? {
                crate::mailbox::OcrRun::Done => Outcome::Done { next: None },
                crate::mailbox::OcrRun::Failed(e) => Outcome::Dead(e),
            }),
            JobKind::MailboxUpkeep => {
                let now = app.now();
                let mailboxes = app.mailbox_upkeep(now).await?;
                let signups = app.signup_upkeep(now).await?;
                if signups.billed + signups.reminded + signups.closed > 0 {
                    tracing::info!(
                        billed = signups.billed,
                        reminded = signups.reminded,
                        closed = signups.closed,
                        "sign-up upkeep"
                    );
                }
                let next = if mailboxes.more() || signups.more {
                    now
                } else {
                    now.plus_seconds(PURGE_EVERY_SECS)
                };
                Ok(Outcome::Done {
                    next: Some(kind.to_job(next)),
                })
            }
            JobKind::SendScheduledReports => {
                let now = app.now();
                // A full batch means more may be due: run again right away.
                let n = app.send_scheduled_reports(now).await?;
                let next = if n >= crate::reports::DUE_BATCH as usize {
                    now
                } else {
                    now.plus_seconds(crate::reports::SEND_EVERY_SECS)
                };
                Ok(Outcome::Done {
                    next: Some(kind.to_job(next)),
                })
            }
            JobKind::SendMailboxDigests => {
                let now = app.now();
                let n = app.send_mailbox_digests(now).await?;
                tracing::debug!(digests = n, "daily digests sent");
                Ok(Outcome::Done {
                    next: Some(kind.to_job(now.plus_seconds(crate::mailbox::DIGEST_EVERY_SECS))),
                })
            }
            JobKind::PurgeLetterDocuments => {
                let now = app.now();
                // A full batch means more may be due: run again right away.
                let n = app.purge_letter_documents(now).await?;
                let next = if n >= 500 {
                    now
                } else {
                    now.plus_seconds(PURGE_EVERY_SECS)
                };
                Ok(Outcome::Done {
                    next: Some(kind.to_job(next)),
                })
            }
        }
    }

    /// Leaves the business record in a final state when its job gives up.
    async fn on_dead(&self, job: &JobRecord) -> Result<()> {
        if let Ok(JobKind::DeliverWebhook { delivery }) = JobKind::parse(&job.kind, &job.payload) {
            return self.app.webhook_delivery_gave_up(delivery).await;
        }
        if let Ok(JobKind::OcrItem { item }) = JobKind::parse(&job.kind, &job.payload) {
            let reason = job.last_error.as_deref().unwrap_or("gave up");
            return self.app.ocr_gave_up(item, reason).await;
        }
        if let Ok(JobKind::ProcessRun { org, run }) = JobKind::parse(&job.kind, &job.payload) {
            return self
                .app
                .run_gave_up(org, run, job.last_error.as_deref())
                .await;
        }
        if let Ok(JobKind::DeliverEmail { email }) = JobKind::parse(&job.kind, &job.payload) {
            let rec = self.app.store.email(email).await?;
            if rec.state == EmailState::Pending {
                let err = rec.last_error.unwrap_or_else(|| "gave up".into());
                self.app
                    .store
                    .record_email_attempt(email, EmailState::Failed, Some(&err), self.app.now())
                    .await?;
            }
        }
        Ok(())
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
    for kind in [
        JobKind::CleanupSignInState,
        JobKind::PurgeLetterDocuments,
        JobKind::MailboxUpkeep,
        JobKind::SendScheduledReports,
        JobKind::SendMailboxDigests,
    ] {
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
            return Err(AppError::Internal("job queue does not drain".into()));
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

    #[test]
    fn kinds_round_trip() {
        let k = JobKind::DeliverEmail {
            email: uuid::Uuid::new_v4(),
        };
        let j = k.to_job(Timestamp::from_millis(0));
        assert_eq!(JobKind::parse(&j.kind, &j.payload).unwrap(), k);
        assert!(JobKind::parse("x", "").is_err());
    }
}
