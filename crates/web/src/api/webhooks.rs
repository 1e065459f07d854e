//! Webhook endpoints and their delivery log over the API (permission
//! `org.settings`). The signing secret is returned once, on creation.

use super::extract::{LaterJson, parse_path_id};
use super::{ApiActor, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use courrier_store::{WebhookDeliveryRecord, WebhookRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: String,
    pub url: String,
    /// Subscribed event types (`letter.status_changed`, `letter.delivered`,
    /// `mail.received`), or `["*"]` for every type.
    pub events: Vec<String>,
    pub description: String,
    pub created_at: String,
    /// Set once the endpoint is disabled (by request, or after it answered 410 Gone).
    pub disabled_at: Option<String>,
}

impl From<WebhookRecord> for WebhookOut {
    fn from(w: WebhookRecord) -> Self {
        WebhookOut {
            id: w.id.to_string(),
            url: w.url,
            events: w.events,
            description: w.description,
            created_at: rfc3339(w.created_at),
            disabled_at: w.disabled_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WebhookIn {
    /// A public `https://` address; one on this machine or a private
    /// network is refused (`webhook.url_private`).
    pub url: String,
    /// Event types to receive, or `["*"]` for all (including future types).
    pub events: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    pub webhook: WebhookOut,
    /// The signing secret (`whsec_…`), shown only in this answer. Each
    /// delivery carries `Courrier-Signature: t=<unix seconds>,v1=<hex>`, where
    /// `v1` is HMAC-SHA256 with this secret over `<t>.<raw body>`.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub event_id: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i32,
    /// HTTP status of the endpoint's last answer, if one came.
    pub last_status: Option<i32>,
    /// Why the last attempt failed, as a class: `timeout`, `dns`,
    /// `private_address` (the endpoint leads to this machine or a private
    /// network; nothing was sent), `refused`, `tls`, `http_3xx` (redirects
    /// are not followed), `http_4xx`, `http_5xx`, `endpoint_disabled` or
    /// `internal`.
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

impl From<WebhookDeliveryRecord> for DeliveryOut {
    fn from(d: WebhookDeliveryRecord) -> Self {
        DeliveryOut {
            id: d.id.to_string(),
            webhook_id: d.webhook.to_string(),
            event_type: d.event_type,
            event_id: d.event_id,
            state: d.state.as_str().to_string(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.map(|e| e.as_str().to_string()),
            created_at: rfc3339(d.created_at),
            delivered_at: d.delivered_at.map(rfc3339),
        }
    }
}

/// `?webhook=…&cursor=…&limit=…` on the delivery log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeliveriesQuery {
    /// Only deliveries to this endpoint.
    pub webhook: Option<String>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Paged<WebhookOut>), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Paged<WebhookOut>>> {
    let hooks = st.app.list_webhooks(&actor).await?;
    Ok(Json(Paged {
        items: hooks.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same answer, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    responses((status = 201, body = WebhookCreated), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_webhook(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<(StatusCode, Json<WebhookCreated>)> {
    super::need(&actor, courrier_domain::Permission::OrgSettings)?;
    let body: WebhookIn = body.parse().await?;
    let (record, secret) = st
        .app
        .create_webhook(&actor, &body.url, &body.events, &body.description)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            webhook: record.into(),
            secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn disable_webhook(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: uuid::Uuid = parse_path_id(&id)?;
    st.app.disable_webhook(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "webhooks", params(DeliveriesQuery),
    responses((status = 200, body = Paged<DeliveryOut>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_deliveries(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<Json<Paged<DeliveryOut>>> {
    let webhook = match q.webhook.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(parse_path_id::<uuid::Uuid>(raw)?),
    };
    let page = st
        .app
        .list_webhook_deliveries(
            &actor,
            webhook,
            q.cursor.as_deref(),
            q.limit.unwrap_or(50).clamp(1, 200),
        )
        .await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}
