//! The one place that maps a job kind to the feature that runs it: adding a
//! kind means a variant in `kind.rs`, an arm here, and the feature's own
//! `…_job` function (which owns its batch sizes and intervals).

use super::{JobKind, Outcome};
use crate::{App, Result};
use courrier_domain::{EmailId, JobId};
use courrier_store::JobRecord;

/// Runs one attempt of `kind`; `last_attempt` when no retry follows.
pub(super) async fn run(
    app: &App,
    kind: &JobKind,
    job: JobId,
    worker: &str,
    last_attempt: bool,
) -> Result<Outcome> {
    let now = app.now();
    match kind {
        JobKind::DeliverEmail { email } => {
            app.deliver_email_job(EmailId::from_uuid(*email), last_attempt)
                .await
        }
        JobKind::DeliverWebhook { delivery } => app.deliver_webhook_job(*delivery).await,
        JobKind::CleanupSignInState => app.cleanup_sign_in_state_job(now).await,
        JobKind::ProcessRun { org, run } => app.process_run_job(*org, *run, job, worker).await,
        JobKind::OcrItem { item } => app.ocr_job(*item).await,
        JobKind::MailboxUpkeep => app.mailbox_upkeep_job(now).await,
        JobKind::SendScheduledReports => app.scheduled_reports_job(now).await,
        JobKind::SendMailboxDigests => app.mailbox_digests_job(now).await,
        JobKind::PurgeLetterDocuments => app.purge_letter_documents_job(now).await,
    }
}

/// Leaves the business record in a final state when its job gives up.
pub(super) async fn gave_up(app: &App, kind: &JobKind, job: &JobRecord) -> Result<()> {
    let reason = job.last_error.as_deref();
    match kind {
        JobKind::DeliverWebhook { delivery } => app.webhook_delivery_gave_up(*delivery).await,
        JobKind::OcrItem { item } => app.ocr_gave_up(*item, reason.unwrap_or("gave up")).await,
        JobKind::ProcessRun { org, run } => app.run_gave_up(*org, *run, reason).await,
        JobKind::DeliverEmail { email } => {
            app.email_delivery_gave_up(EmailId::from_uuid(*email)).await
        }
        JobKind::CleanupSignInState
        | JobKind::PurgeLetterDocuments
        | JobKind::MailboxUpkeep
        | JobKind::SendScheduledReports
        | JobKind::SendMailboxDigests => Ok(()),
    }
}
