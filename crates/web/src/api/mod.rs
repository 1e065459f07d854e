//! The JSON API under `/api/v1`: API-key or session authentication, JSON
//! errors with stable codes, cursor pagination, `Idempotency-Key` on POST,
//! and the OpenAPI document with a docs page served from the binary.

mod auth;
mod docs;
mod idempotency;
mod keys;
pub mod letters;
pub mod mailbox;
mod mailbox_settings;
mod orgs;
pub mod reports;
pub mod runs;
mod signup;
mod tariffs;
mod users;
mod webhooks;

pub use auth::ApiActor;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::<AppState>::new()
        .route("/me", get(users::me))
        .route("/users", get(users::list_users))
        .route(
            "/users/{id}",
            get(users::get_user)
                .patch(users::update_user)
                .delete(users::remove_user),
        )
        .route("/invitations", axum::routing::post(users::invite))
        .route("/invitations/{id}", delete(users::revoke_invitation))
        .route("/api-keys", get(keys::list_keys).post(keys::create_key))
        .route("/api-keys/{id}", delete(keys::revoke_key))
        .route(
            "/letters",
            get(letters::list_letters)
                .post(letters::create_letter)
                .layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
        .route(
            "/quotes",
            post(letters::quote).layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
        .route(
            "/letters/{id}",
            get(letters::get_letter).patch(letters::update_letter),
        )
        .route("/letters/{id}/submit", post(letters::submit_letter))
        .route("/letters/{id}/approve", post(letters::approve_letter))
        .route("/letters/{id}/reject", post(letters::reject_letter))
        .route("/letters/{id}/cancel", post(letters::cancel_letter))
        .route("/letters/{id}/document", get(letters::document))
        .route(
            "/webhooks",
            get(webhooks::list_webhooks).post(webhooks::create_webhook),
        )
        .route("/webhooks/deliveries", get(webhooks::list_deliveries))
        .route("/webhooks/{id}", delete(webhooks::disable_webhook))
        .route(
            "/report-schedules",
            get(reports::list_schedules).post(reports::create_schedule),
        )
        .route("/report-schedules/{id}", delete(reports::disable_schedule))
        .route(
            "/reports",
            get(reports::list_reports).post(reports::create_report),
        )
        .route("/reports/{id}", get(reports::get_report))
        .route(
            "/runs",
            get(runs::list_runs)
                .post(runs::create_run)
                .layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
        .route(
            "/runs/preview",
            post(runs::preview_merge)
                .layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
        .route("/runs/{id}", get(runs::get_run))
        .route("/mail", get(mailbox::list_mail))
        .route("/mail/actions", post(mailbox::request_actions))
        .route("/mail/{id}", get(mailbox::get_mail))
        .route(
            "/center/tasks/{id}/scan",
            post(mailbox::complete_scan)
                .layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
        .route(
            "/deliveries",
            post(mailbox::deliver).layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
        .route(
            "/mailbox/members/{id}/documents",
            get(signup::list_documents)
                .post(signup::upload_document)
                .layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES)),
        )
        .route(
            "/mailbox/retention",
            get(mailbox_settings::get_retention).put(mailbox_settings::put_retention),
        )
        .route(
            "/mailbox/{id}/plan/cancel",
            post(mailbox_settings::cancel_plan),
        )
        .route("/mailbox/{id}/plan/keep", post(mailbox_settings::keep_plan))
        .route("/audit", get(orgs::audit))
        .route("/orgs", get(orgs::list_orgs))
        .route("/tariffs", get(tariffs::list_tariffs))
        .route(
            "/tariffs/{country}",
            get(tariffs::get_tariff).put(tariffs::put_tariff),
        )
        .route("/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::docs_page))
        .layer(axum::middleware::from_fn_with_state(
            state,
            idempotency::layer,
        ))
        .fallback(not_found)
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such API endpoint; see /api/v1/docs",
    )
}

/// `?cursor=…&limit=…` on every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

impl PageQuery {
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }
}

/// A page of items and the cursor of the next page (absent on the last page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub fn rfc3339(t: courrier_domain::Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.millis())
        .map(|ts| ts.to_string())
        .unwrap_or_default()
}
