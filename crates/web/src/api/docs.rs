//! The OpenAPI document and a self-contained reference page that renders it
//! (no script or style from outside the binary).

use super::{
    keys, letters, mailbox, mailbox_settings, orgs, reports, runs, signup, tariffs, users, webhooks,
};
use axum::Json;
use axum::response::Html;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Courrier API", description = "Business letters, paper and digital. Authenticate with `Authorization: Bearer cour_…`. Errors are `{code, message, field?}` with stable codes. Lists use cursor paging. POST accepts `Idempotency-Key` (1 to 255 characters, per API key or session, kept 24 hours): a repeat of the same request (method, path, query, content type and body) gets the first answer with `Idempotent-Replayed: true`, even a server error once the change was made; while the first request still runs a repeat gets 409 `idempotency.in_progress` with `Retry-After`; another request with the same key gets 409 `idempotency.key_reused`; 409 `idempotency.answer_lost` means the change was made but the server stopped before answering."),
    paths(
        users::me, users::list_users, users::get_user, users::update_user, users::remove_user,
        users::invite, users::revoke_invitation,
        keys::list_keys, keys::create_key, keys::revoke_key,
        orgs::audit, orgs::list_orgs,
        webhooks::list_webhooks, webhooks::create_webhook, webhooks::disable_webhook, webhooks::list_deliveries,
        letters::create_letter, letters::quote, letters::list_letters, letters::get_letter, letters::update_letter,
        letters::submit_letter, letters::approve_letter, letters::reject_letter, letters::cancel_letter, letters::document,
        runs::create_run, runs::list_runs, runs::get_run, runs::preview_merge,
        reports::list_schedules, reports::create_schedule, reports::disable_schedule,
        reports::list_reports, reports::create_report, reports::get_report,
        mailbox::list_mail, mailbox::get_mail, mailbox::request_actions, mailbox::deliver,
        mailbox::complete_scan,
        signup::list_documents, signup::upload_document,
        mailbox_settings::get_retention, mailbox_settings::put_retention,
        mailbox_settings::cancel_plan, mailbox_settings::keep_plan,
        tariffs::list_tariffs, tariffs::get_tariff, tariffs::put_tariff,
    ),
    modifiers(&Security, &RateLimited),
    security(("api_key" = []), ("session" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "api_key",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("cour_<prefix>_<secret>")
                        .build(),
                ),
            );
            c.add_security_scheme(
                "session",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("courrier_session"))),
            );
        }
    }
}

/// Every authenticated operation may answer 429 when the organisation's
/// request budget is spent.
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{Object, Type};
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, header::Header};
        let mut retry_after = Header::new(Object::with_type(Type::Integer));
        retry_after.description = Some("seconds to wait before the next request".into());
        let response = ResponseBuilder::new()
            .description(
                "`rate_limited`: the organisation sent more API requests than its rate allows \
                 (per minute, with a burst); wait `Retry-After` seconds",
            )
            .header("Retry-After", retry_after)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("429".into())
                    .or_insert_with(|| response.clone().into());
            }
        }
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub async fn docs_page() -> Html<&'static str> {
    Html(include_str!("../../static/api-docs.html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_every_route_with_error_schema() {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        for path in [
            "/api/v1/me",
            "/api/v1/users",
            "/api/v1/users/{id}",
            "/api/v1/invitations",
            "/api/v1/api-keys",
            "/api/v1/audit",
            "/api/v1/orgs",
            "/api/v1/runs",
            "/api/v1/runs/{id}",
            "/api/v1/runs/preview",
            "/api/v1/webhooks",
            "/api/v1/webhooks/{id}",
            "/api/v1/webhooks/deliveries",
            "/api/v1/letters",
            "/api/v1/quotes",
            "/api/v1/letters/{id}",
            "/api/v1/letters/{id}/submit",
            "/api/v1/letters/{id}/approve",
            "/api/v1/letters/{id}/reject",
            "/api/v1/letters/{id}/cancel",
            "/api/v1/letters/{id}/document",
            "/api/v1/report-schedules",
            "/api/v1/report-schedules/{id}",
            "/api/v1/reports",
            "/api/v1/reports/{id}",
            "/api/v1/mail",
            "/api/v1/mail/{id}",
            "/api/v1/mail/actions",
            "/api/v1/deliveries",
            "/api/v1/tariffs",
            "/api/v1/tariffs/{country}",
        ] {
            assert!(json["paths"][path].is_object(), "missing {path}");
        }
        assert!(json["components"]["schemas"]["ErrorBody"].is_object());
        let limited = &json["paths"]["/api/v1/letters"]["post"]["responses"]["429"];
        assert!(limited["headers"]["Retry-After"].is_object(), "{limited}");
        assert!(
            limited["description"]
                .as_str()
                .unwrap()
                .contains("rate_limited")
        );
        assert!(json["components"]["securitySchemes"]["api_key"].is_object());
    }
}
