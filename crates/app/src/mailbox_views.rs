//! Small reads for the mailbox web pages that the use cases in
//! [`crate::mailbox`] do not offer on their own: the items of a location over
//! a period (the pickup counter lists what a customer may take), and the
//! bounds of the location's current local day (the operator checklist).

use crate::mailbox::{local_day, location_site};
use crate::{App, Result};
use courrier_domain::{Actor, LocationId, Timestamp};
use courrier_store::MailItemRecord;

impl App {
    /// Items logged at one of the actor's locations (`mailcenter.operate`)
    /// received in `[from, before)`, newest first (at most 1000).
    pub async fn location_items_between(
        &self,
        actor: &Actor,
        location: LocationId,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<MailItemRecord>> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        Ok(self
            .store
            .location_items(&scope, location.id, from, before)
            .await?)
    }

    /// The start and end of today in the time zone of one of the actor's
    /// locations (`mailcenter.operate`).
    pub async fn location_today(
        &self,
        actor: &Actor,
        location: LocationId,
    ) -> Result<(Timestamp, Timestamp)> {
        let (_, location) = self.operator_scope(actor, location).await?;
        let (tz, _) = location_site(&location)?;
        local_day(self.now(), &tz)
    }
}
