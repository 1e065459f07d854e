//! The platform admin's view of the machinery: jobs that gave up and the
//! e-mail outbox.

use crate::{App, AppError, Result};
use courrier_domain::{Actor, JobId, Permission};
use courrier_store::{EmailRecord, JobRecord, JobState};

impl App {
    pub async fn dead_jobs(&self, actor: &Actor, limit: u32) -> Result<Vec<JobRecord>> {
        actor.scope(Permission::PlatformAdmin)?;
        Ok(self.store.list_jobs(JobState::Dead, limit).await?)
    }

    pub async fn requeue_job(&self, actor: &Actor, id: JobId) -> Result<()> {
        actor.scope(Permission::PlatformAdmin)?;
        Ok(self.store.requeue_dead_job(id, self.now()).await?)
    }

    pub async fn recent_emails(&self, actor: &Actor, limit: u32) -> Result<Vec<EmailRecord>> {
        actor.scope(Permission::PlatformAdmin)?;
        Ok(self.store.recent_emails(limit).await?)
    }

    /// How many unused recovery codes a person has left.
    pub async fn recovery_codes_left(&self, ctx: &crate::auth::SessionContext) -> Result<i64> {
        self.store
            .unused_recovery_codes(ctx.user.id)
            .await
            .map_err(AppError::from)
    }
}
