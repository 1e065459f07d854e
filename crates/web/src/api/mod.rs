//! The JSON API under `/api/v1`: API-key or session authentication, JSON
//! errors with stable codes, cursor pagination, `Idempotency-Key` on POST,
//! and the OpenAPI document with a docs page served from the binary.

mod auth;
mod docs;
mod errors;
pub mod extract;
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

pub use auth::{ApiActor, need};
use courrier_domain::codes;

use crate::AppState;
use axum::Router;
use serde::{Deserialize, Serialize};

pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new("/api/v1")
        .get("/me", users::me)
        .get("/users", users::list_users)
        .get("/users/{id}", users::get_user)
        .patch("/users/{id}", users::update_user)
        .delete("/users/{id}", users::remove_user)
        .post("/invitations", users::invite)
        .delete("/invitations/{id}", users::revoke_invitation)
        .get("/api-keys", keys::list_keys)
        .post("/api-keys", keys::create_key)
        .delete("/api-keys/{id}", keys::revoke_key)
        .get("/letters", letters::list_letters)
        .upload("/letters", letters::create_letter)
        .upload("/quotes", letters::quote)
        .get("/letters/{id}", letters::get_letter)
        .patch("/letters/{id}", letters::update_letter)
        .post("/letters/{id}/submit", letters::submit_letter)
        .post("/letters/{id}/approve", letters::approve_letter)
        .post("/letters/{id}/reject", letters::reject_letter)
        .post("/letters/{id}/cancel", letters::cancel_letter)
        .get("/letters/{id}/document", letters::document)
        .get("/webhooks", webhooks::list_webhooks)
        .post("/webhooks", webhooks::create_webhook)
        .get("/webhooks/deliveries", webhooks::list_deliveries)
        .delete("/webhooks/{id}", webhooks::disable_webhook)
        .get("/report-schedules", reports::list_schedules)
        .post("/report-schedules", reports::create_schedule)
        .delete("/report-schedules/{id}", reports::disable_schedule)
        .get("/reports", reports::list_reports)
        .post("/reports", reports::create_report)
        .get("/reports/{id}", reports::get_report)
        .get("/runs", runs::list_runs)
        .upload("/runs", runs::create_run)
        .upload("/runs/preview", runs::preview_merge)
        .get("/runs/{id}", runs::get_run)
        .get("/mail", mailbox::list_mail)
        .post("/mail/actions", mailbox::request_actions)
        .get("/mail/{id}", mailbox::get_mail)
        .upload("/center/tasks/{id}/scan", mailbox::complete_scan)
        .upload("/deliveries", mailbox::deliver)
        .get("/mailbox/members/{id}/documents", signup::list_documents)
        .upload("/mailbox/members/{id}/documents", signup::upload_document)
        .get("/mailbox/retention", mailbox_settings::get_retention)
        .put("/mailbox/retention", mailbox_settings::put_retention)
        .post("/mailbox/{id}/plan/cancel", mailbox_settings::cancel_plan)
        .post("/mailbox/{id}/plan/keep", mailbox_settings::keep_plan)
        .patch("/org", orgs::update_org)
        .get("/audit", orgs::audit)
        .get("/orgs", orgs::list_orgs)
        .get("/tariffs", tariffs::list_tariffs)
        .get("/tariffs/{country}", tariffs::get_tariff)
        .put("/tariffs/{country}", tariffs::put_tariff)
        .get("/errors", errors::list_errors)
        .get("/openapi.json", docs::openapi_json)
        .get("/docs", docs::docs_page)
}

/// The API's router: its routes, the idempotency middleware and a JSON 404.
pub(crate) fn router(state: AppState, routes: Router<AppState>) -> Router<AppState> {
    routes
        .layer(axum::middleware::from_fn_with_state(
            state,
            idempotency::layer,
        ))
        .fallback(not_found)
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::of(codes::NOT_FOUND, "no such API endpoint; see /api/v1/docs")
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
