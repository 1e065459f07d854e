//! The outbox: webhook events written in the transaction of the change they
//! report, one delivery per subscribed endpoint, each with its job.

use crate::{NewJob, WebhookEvent};
use courrier_domain::Timestamp;

/// Webhook events to write in the transaction of the change they report.
/// The store methods that make such a change take one (letters' status
/// changes, new mail items); [`Outbox::NONE`] says the change announces
/// nothing. Each event becomes one delivery per subscribed endpoint of the
/// organisation the change belongs to, each with the job `job_for` makes.
#[derive(Debug, Clone)]
pub struct Outbox {
    events: Vec<WebhookEvent>,
    job_for: Option<fn(uuid::Uuid, Timestamp) -> NewJob>,
}

impl Outbox {
    /// No event.
    pub const NONE: Outbox = Outbox {
        events: Vec::new(),
        job_for: None,
    };

    /// An empty outbox whose deliveries are sent by the job `job_for`
    /// makes for a delivery id, due at the given time.
    pub fn new(job_for: fn(uuid::Uuid, Timestamp) -> NewJob) -> Outbox {
        Outbox {
            events: Vec::new(),
            job_for: Some(job_for),
        }
    }

    pub fn push(&mut self, event: WebhookEvent) {
        self.events.push(event);
    }

    pub fn events(&self) -> &[WebhookEvent] {
        &self.events
    }
}

/// Writes one delivery of `$event` (a `&WebhookEvent`) for each active
/// endpoint of organisation `$org` (a `String`) subscribed to its type, each
/// with the job `$job_for` makes for its id, in `$tx`; pushes the delivery
/// ids to `$ids` (a `&mut Vec<uuid::Uuid>`).
macro_rules! deliveries_in_tx {
    ($tx:expr, $org:expr, $event:expr, $job_for:expr, $now:expr, $ids:expr) => {{
        let org: String = $org;
        let event: &$crate::WebhookEvent = $event;
        let now: courrier_domain::Timestamp = $now;
        let rows = sqlx::query(
            "SELECT id, events FROM webhooks WHERE org_id = $1 AND disabled_at IS NULL ORDER BY created_at, id",
        )
        .bind(org.clone())
        .fetch_all(&mut *$tx)
        .await?;
        for r in rows {
            if !$crate::webhooks::subscribes(&r.try_get::<String, _>("events")?, &event.event_type) {
                continue;
            }
            let webhook: String = r.try_get("id")?;
            let id = uuid::Uuid::new_v4();
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, webhook_id, org_id, event_type, event_id, payload, state, \
                 attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7)",
            )
            .bind(id.to_string())
            .bind(webhook)
            .bind(org.clone())
            .bind(event.event_type.clone())
            .bind(event.event_id.clone())
            .bind(event.payload.clone())
            .bind(now.millis())
            .execute(&mut *$tx)
            .await?;
            let job: $crate::NewJob = ($job_for)(id);
            $crate::jobs::insert_job!(&mut *$tx, &job, now);
            $ids.push(id);
        }
    }};
}
pub(crate) use deliveries_in_tx;

/// Writes the deliveries of every event of `$outbox` (an `&Outbox`) for
/// organisation `$org` (a `String`) in `$tx`: the outbox half of a change's
/// transaction.
macro_rules! outbox_in_tx {
    ($tx:expr, $org:expr, $outbox:expr, $now:expr) => {{
        let outbox: &$crate::Outbox = $outbox;
        let now: courrier_domain::Timestamp = $now;
        let mut ids: Vec<uuid::Uuid> = Vec::new();
        if let Some(job_for) = outbox.job_for_events() {
            for event in outbox.events() {
                $crate::webhooks::deliveries_in_tx!(
                    $tx,
                    $org,
                    event,
                    |id| job_for(id, now),
                    now,
                    &mut ids
                );
            }
        }
        ids
    }};
}
pub(crate) use outbox_in_tx;

impl Outbox {
    /// The job maker, when there are events to write.
    pub(crate) fn job_for_events(&self) -> Option<fn(uuid::Uuid, Timestamp) -> NewJob> {
        if self.events.is_empty() {
            None
        } else {
            self.job_for
        }
    }
}
