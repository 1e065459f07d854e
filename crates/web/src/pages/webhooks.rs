//! The organisation's webhooks page (permission `org.settings`): add an
//! endpoint and see its signing secret once, disable it or give it a new
//! secret, and read the delivery log, for all endpoints or one.

use super::{Chrome, Screen, render};
use crate::AppState;
use crate::error::ApiError;
use crate::session::{CsrfForm, Fields, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_app::webhooks::EVENT_TYPES;
use courrier_store::DeliveryState;
use serde::Deserialize;

const PATH: &str = "/org/webhooks";
pub(super) const WEBHOOKS: Screen = Screen::new("webhooks", PATH);

#[derive(Deserialize, Default)]
pub struct LogQuery {
    webhook: Option<String>,
    cursor: Option<String>,
}

/// A new secret to show once, with the endpoint it belongs to.
struct NewSecret {
    url: String,
    secret: String,
}

struct HookRow {
    id: String,
    url: String,
    events: String,
    description: String,
    created: String,
    disabled: bool,
}

struct DeliveryRow {
    at: String,
    event: String,
    event_id: String,
    endpoint: String,
    state: String,
    /// `ok`, `bad` or `warn`, for the badge.
    tone: &'static str,
    attempts: i32,
    status: String,
    error: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    error: Option<String>,
    new_secret: Option<NewSecret>,
    event_types: Vec<&'static str>,
    hooks: Vec<HookRow>,
    deliveries: Vec<DeliveryRow>,
    /// The endpoint the log is filtered to, if any (its id and address).
    filter: Option<(String, String)>,
    next_cursor: Option<String>,
}

async fn view(
    st: &AppState,
    s: &SignedIn,
    q: &LogQuery,
    error: Option<ApiError>,
    new_secret: Option<NewSecret>,
) -> Response {
    let when = s.when();
    let webhook = match q.webhook.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match raw.parse::<uuid::Uuid>() {
            Ok(id) => Some(id),
            Err(_) => return WEBHOOKS.fail(s, AppError::NotFound),
        },
    };
    let hooks = match st.app.list_webhooks(&s.actor).await {
        Ok(h) => h,
        Err(e) => return WEBHOOKS.fail(s, e),
    };
    let log = match st
        .app
        .list_webhook_deliveries(&s.actor, webhook, q.cursor.as_deref(), 50)
        .await
    {
        Ok(p) => p,
        Err(e) => return WEBHOOKS.fail(s, e),
    };
    let chrome = Chrome::signed_in(s, "webhooks", PATH);
    let l = chrome.l;
    let url_of = |id: uuid::Uuid| {
        hooks
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.url.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let deliveries = log
        .items
        .into_iter()
        .map(|d| {
            let (key, tone) = match d.state {
                DeliveryState::Pending => ("webhooks.state_pending", "warn"),
                DeliveryState::Delivered => ("webhooks.state_delivered", "ok"),
                DeliveryState::Failed => ("webhooks.state_failed", "bad"),
            };
            DeliveryRow {
                at: when.at(d.created_at),
                event: d.event_type,
                event_id: d.event_id,
                endpoint: url_of(d.webhook),
                state: l.t(key).to_string(),
                tone,
                attempts: d.attempts,
                status: d
                    .last_status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "—".into()),
                error: d
                    .last_error
                    .map(|e| l.t(&format!("webhooks.error_{}", e.as_str())).to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = WebhooksPage {
        error: error.map(|e| l.error(&e)),
        new_secret,
        event_types: EVENT_TYPES.to_vec(),
        filter: webhook.map(|id| (id.to_string(), url_of(id))),
        hooks: hooks
            .into_iter()
            .map(|h| HookRow {
                id: h.id.to_string(),
                url: h.url,
                events: h.events.join(", "),
                description: h.description,
                created: when.at(h.created_at),
                disabled: h.disabled_at.is_some(),
            })
            .collect(),
        deliveries,
        next_cursor: log.next_cursor,
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn webhooks_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LogQuery>,
) -> Response {
    view(&st, &s, &q, None, None).await
}

/// The form repeats `event`, which a struct cannot hold, so it is read as pairs.
pub async fn create_webhook(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(pairs): CsrfForm<Fields>,
) -> Response {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let events: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "event")
        .map(|(_, v)| v.clone())
        .collect();
    let q = LogQuery::default();
    match st
        .app
        .create_webhook(&s.actor, &field("url"), &events, &field("description"))
        .await
    {
        Ok((hook, secret)) => {
            let shown = NewSecret {
                url: hook.url,
                secret,
            };
            view(&st, &s, &q, None, Some(shown)).await
        }
        Err(e @ AppError::Forbidden(_)) => WEBHOOKS.fail(&s, e),
        Err(e) => view(&st, &s, &q, Some(e.into()), None).await,
    }
}

pub async fn disable_webhook(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return WEBHOOKS.fail(&s, AppError::NotFound);
    };
    match st.app.disable_webhook(&s.actor, id).await {
        Ok(()) => Redirect::to(PATH).into_response(),
        Err(e) => WEBHOOKS.fail(&s, e),
    }
}

pub async fn rotate_secret(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return WEBHOOKS.fail(&s, AppError::NotFound);
    };
    match st.app.rotate_webhook_secret(&s.actor, id).await {
        Ok(secret) => {
            let url = match st.app.list_webhooks(&s.actor).await {
                Ok(hooks) => hooks
                    .into_iter()
                    .find(|h| h.id == id)
                    .map(|h| h.url)
                    .unwrap_or_default(),
                Err(e) => return WEBHOOKS.fail(&s, e),
            };
            let shown = NewSecret { url, secret };
            view(&st, &s, &LogQuery::default(), None, Some(shown)).await
        }
        Err(e) => WEBHOOKS.fail(&s, e),
    }
}
