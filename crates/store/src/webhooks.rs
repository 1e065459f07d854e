//! Webhooks: the endpoints an organisation registers, and the log of every
//! delivery to them. Registering, disabling and re-keying an endpoint are
//! audited in the same transaction.
//!
//! **Outbox.** The store methods that change what an event reports (a
//! letter's status, a new mail item) take an [`Outbox`] of the events to
//! send and write one delivery per subscribed endpoint, with its delivery
//! job, in the transaction of the change: the change and its events commit
//! together or not at all, and a crash after the commit loses nothing.
//! A delivery records only a classified [`DeliveryError`], never the raw
//! transport error.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::users::paged;
use crate::{NewJob, Page, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{OrgId, OrgScope, Timestamp};
use sqlx::Row;

mod outbox;

pub use outbox::Outbox;
pub(crate) use outbox::{deliveries_in_tx, outbox_in_tx};

/// The event list of an endpoint that receives every type.
pub const ALL_EVENTS: &str = "*";

/// An endpoint that receives an organisation's events.
#[derive(Debug, Clone)]
pub struct WebhookRecord {
    pub id: uuid::Uuid,
    pub org: OrgId,
    pub url: String,
    /// The signing secret, sealed with the organisation key.
    pub secret_sealed: Vec<u8>,
    /// Subscribed event types; `["*"]` subscribes to every type.
    pub events: Vec<String>,
    pub description: String,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

impl WebhookRecord {
    /// Whether this endpoint wants events of `event_type`.
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        subscribes(&self.events.join(","), event_type)
    }
}

pub(crate) fn subscribes(events: &str, event_type: &str) -> bool {
    events
        .split(',')
        .map(str::trim)
        .any(|e| e == ALL_EVENTS || e == event_type)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => DeliveryState::Pending,
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            other => return Err(StoreError::Corrupt(format!("delivery state '{other}'"))),
        })
    }
}

/// Why the last attempt of a delivery did not succeed, as the organisation
/// sees it: a class, never the raw error text (which could describe the
/// network Courrier runs in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryError {
    /// No answer in time.
    Timeout,
    /// The endpoint's name did not resolve.
    Dns,
    /// The endpoint's name or address is on a private, loopback, link-local
    /// or otherwise internal network; nothing was sent.
    PrivateAddress,
    /// The connection was refused or closed.
    Refused,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The endpoint answered a redirect, which is not followed.
    Http3xx,
    Http4xx,
    Http5xx,
    /// The endpoint was disabled before the delivery was sent.
    EndpointDisabled,
    /// Courrier could not send it (its own fault, logged for the operators).
    Internal,
}

impl DeliveryError {
    /// Every class, for pages and documentation.
    pub const ALL: [DeliveryError; 10] = [
        DeliveryError::Timeout,
        DeliveryError::Dns,
        DeliveryError::PrivateAddress,
        DeliveryError::Refused,
        DeliveryError::Tls,
        DeliveryError::Http3xx,
        DeliveryError::Http4xx,
        DeliveryError::Http5xx,
        DeliveryError::EndpointDisabled,
        DeliveryError::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryError::Timeout => "timeout",
            DeliveryError::Dns => "dns",
            DeliveryError::PrivateAddress => "private_address",
            DeliveryError::Refused => "refused",
            DeliveryError::Tls => "tls",
            DeliveryError::Http3xx => "http_3xx",
            DeliveryError::Http4xx => "http_4xx",
            DeliveryError::Http5xx => "http_5xx",
            DeliveryError::EndpointDisabled => "endpoint_disabled",
            DeliveryError::Internal => "internal",
        }
    }

    /// The class of a non-2xx HTTP status.
    pub fn of_status(status: u16) -> DeliveryError {
        match status {
            300..=399 => DeliveryError::Http3xx,
            500..=599 => DeliveryError::Http5xx,
            _ => DeliveryError::Http4xx,
        }
    }

    fn parse(s: &str) -> Result<Self> {
        DeliveryError::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery error '{s}'")))
    }
}

/// One event sent (or to be sent) to one endpoint.
#[derive(Debug, Clone)]
pub struct WebhookDeliveryRecord {
    pub id: uuid::Uuid,
    pub webhook: uuid::Uuid,
    pub org: OrgId,
    pub event_type: String,
    pub event_id: String,
    /// The raw JSON body.
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i32,
    /// The HTTP status of the last answer, if one came.
    pub last_status: Option<i32>,
    pub last_error: Option<DeliveryError>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// An event to deliver to every subscribed endpoint of an organisation.
#[derive(Debug, Clone)]
pub struct WebhookEvent {
    pub event_type: String,
    pub event_id: String,
    /// The raw JSON body, the same for every endpoint.
    pub payload: String,
}

const WEBHOOK_COLS: &str =
    "id, org_id, url, secret_sealed, events, description, created_at, disabled_at";

const DELIVERY_COLS: &str = "id, webhook_id, org_id, event_type, event_id, payload, state, attempts, \
     last_status, last_error, created_at, delivered_at";

fn parse_events(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn webhook_from_row(r: &impl RowExt) -> Result<WebhookRecord> {
    Ok(WebhookRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        url: r.col("url")?,
        secret_sealed: r.col("secret_sealed")?,
        events: parse_events(&r.text("events")?),
        description: r.col("description")?,
        created_at: r.ts("created_at")?,
        disabled_at: r.opt_ts("disabled_at")?,
    })
}

pub(crate) fn delivery_from_row(r: &impl RowExt) -> Result<WebhookDeliveryRecord> {
    Ok(WebhookDeliveryRecord {
        id: r.id("id")?,
        webhook: r.id("webhook_id")?,
        org: r.id("org_id")?,
        event_type: r.col("event_type")?,
        event_id: r.col("event_id")?,
        payload: r.col("payload")?,
        state: DeliveryState::parse(&r.text("state")?)?,
        attempts: r.col("attempts")?,
        last_status: r.col("last_status")?,
        last_error: r
            .col::<Option<String>>("last_error")?
            .as_deref()
            .map(DeliveryError::parse)
            .transpose()?,
        created_at: r.ts("created_at")?,
        delivered_at: r.opt_ts("delivered_at")?,
    })
}

impl Store {
    /// Registers an endpoint unless the organisation already has `max_active`
    /// active ones (`webhook.limit`).
    pub async fn create_webhook(
        &self,
        scope: &OrgScope,
        hook: &WebhookRecord,
        max_active: i64,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "webhook.created",
            hook.id.to_string(),
            format!("{} for {}", hook.url, hook.events.join(",")),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            // Lock the organisation first so concurrent registrations count in turn.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM orgs WHERE id = $1{}",
                d.lock_rows
            )))
            .bind(scope.org().to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let active: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM webhooks WHERE org_id = $1 AND disabled_at IS NULL",
            )
            .bind(scope.org().to_string())
            .fetch_one(&mut *tx)
            .await?;
            if active >= max_active {
                return Err(StoreError::Refused {
                    what: codes::WEBHOOK_LIMIT,
                });
            }
            sqlx::query(
                "INSERT INTO webhooks (id, org_id, url, secret_sealed, events, description, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(hook.id.to_string())
            .bind(scope.org().to_string())
            .bind(hook.url.clone())
            .bind(hook.secret_sealed.clone())
            .bind(hook.events.join(","))
            .bind(hook.description.clone())
            .bind(hook.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, codes::WEBHOOK_EXISTS))?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn webhook(&self, scope: &OrgScope, id: uuid::Uuid) -> Result<WebhookRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND org_id = $2"
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            webhook_from_row(&r)
        })
    }

    /// The organisation's endpoints, active and disabled, oldest first.
    pub async fn list_webhooks(&self, scope: &OrgScope) -> Result<Vec<WebhookRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {WEBHOOK_COLS} FROM webhooks WHERE org_id = $1 ORDER BY created_at, id LIMIT 500"
            )))
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(webhook_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Stops deliveries to an endpoint; `detail` says why in the audit log.
    /// `NotFound` when it is not the organisation's or already disabled.
    pub async fn disable_webhook(
        &self,
        scope: &OrgScope,
        id: uuid::Uuid,
        detail: &str,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("webhook.disabled", id.to_string(), detail);
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE webhooks SET disabled_at = $1 WHERE id = $2 AND org_id = $3 AND disabled_at IS NULL",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces the signing secret of an active endpoint.
    pub async fn set_webhook_secret(
        &self,
        scope: &OrgScope,
        id: uuid::Uuid,
        secret_sealed: &[u8],
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("webhook.secret_rotated", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE webhooks SET secret_sealed = $1 WHERE id = $2 AND org_id = $3 AND disabled_at IS NULL",
            )
            .bind(secret_sealed.to_vec())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// True once per `since` window: the caller may tell the administrators
    /// that deliveries to this endpoint fail (keeps one broken endpoint from
    /// flooding their inbox).
    pub async fn claim_webhook_failure_notice(
        &self,
        scope: &OrgScope,
        id: uuid::Uuid,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE webhooks SET failure_notified_at = $1 WHERE id = $2 AND org_id = $3 \
                 AND (failure_notified_at IS NULL OR failure_notified_at < $4)",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .bind(since.millis())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Writes one delivery of `event` for each active endpoint of the
    /// organisation subscribed to its type, each with the job `job_for`
    /// makes for its id, in one transaction. Returns the delivery ids. For an
    /// event that reports no stored change; a change's events go in the
    /// [`Outbox`] of the store method that makes it.
    pub async fn enqueue_webhook_deliveries(
        &self,
        scope: &OrgScope,
        event: &WebhookEvent,
        job_for: impl Fn(uuid::Uuid) -> NewJob,
        now: Timestamp,
    ) -> Result<Vec<uuid::Uuid>> {
        let mut ids = Vec::new();
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            deliveries_in_tx!(tx, scope.org().to_string(), event, &job_for, now, &mut ids);
            tx.commit().await?;
        });
        Ok(ids)
    }

    /// One delivery by id, for its delivery job (a trusted internal caller);
    /// people reach deliveries through [`Store::list_webhook_deliveries`].
    pub async fn webhook_delivery(&self, id: uuid::Uuid) -> Result<WebhookDeliveryRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            delivery_from_row(&r)
        })
    }

    /// Records one attempt and its outcome; `status` is the HTTP status of
    /// the answer, if one came.
    pub async fn record_webhook_attempt(
        &self,
        id: uuid::Uuid,
        state: DeliveryState,
        status: Option<i32>,
        error: Option<DeliveryError>,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $1, last_status = $2, \
                 last_error = $3, delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END \
                 WHERE id = $5",
            )
            .bind(state.as_str())
            .bind(status)
            .bind(error.map(|e| e.as_str()))
            .bind(now.millis())
            .bind(id.to_string())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Marks a still-pending delivery failed without counting an attempt
    /// (its job gave up); true when it was pending.
    pub async fn give_up_webhook_delivery(
        &self,
        id: uuid::Uuid,
        error: DeliveryError,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE webhook_deliveries SET state = 'failed', last_error = COALESCE(last_error, $1) \
                 WHERE id = $2 AND state = 'pending'",
            )
            .bind(error.as_str())
            .bind(id.to_string())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// The organisation's deliveries, newest first, optionally to one of its
    /// endpoints (another organisation's endpoint is `NotFound`); the cursor
    /// is `<created_at>:<id>` of the last delivery seen.
    pub async fn list_webhook_deliveries(
        &self,
        scope: &OrgScope,
        webhook: Option<uuid::Uuid>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<WebhookDeliveryRecord>> {
        if let Some(w) = webhook {
            self.webhook(scope, w).await?;
        }
        let limit = i64::from(limit.clamp(1, 200));
        let (c_at, c_id) = crate::users::parse_time_cursor(cursor)?;
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = $1 \
                 AND ($2 = '' OR webhook_id = $2) \
                 AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
                 ORDER BY created_at DESC, id DESC LIMIT $5"
            )))
            .bind(scope.org().to_string())
            .bind(webhook.map(|w| w.to_string()).unwrap_or_default())
            .bind(c_at)
            .bind(c_id.clone())
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(delivery_from_row(&r)?);
            }
        });
        Ok(paged(items, limit, |d| {
            format!("{}:{}", d.created_at.millis(), d.id)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_match_whole_names() {
        assert!(subscribes("*", "letter.delivered"));
        assert!(subscribes(
            "mail.received, letter.delivered",
            "letter.delivered"
        ));
        assert!(!subscribes(
            "letter.status_changed",
            "letter.statusXchanged"
        ));
        assert!(!subscribes("letter.delivered", "letter"));
        assert_eq!(parse_events(" a, ,b "), ["a", "b"]);
    }
}
