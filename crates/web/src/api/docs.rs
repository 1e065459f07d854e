//! The OpenAPI document and a self-contained reference page that renders it
//! (no script or style from outside the binary).

use super::{
    errors, keys, letters, mailbox, mailbox_settings, orgs, reports, runs, signup, tariffs, users,
    webhooks,
};
use axum::Json;
use axum::response::Html;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Courrier API", description = "Business letters, paper and digital. Authenticate with `Authorization: Bearer cour_…`. Errors are `{code, message, field?}` with stable codes. Lists use cursor paging. POST accepts `Idempotency-Key` (1 to 255 characters, per API key or session, kept 24 hours): a repeat of the same request (method, path, query, content type and body) gets the first answer with `Idempotent-Replayed: true`, even a server error once the change was made; while the first request still runs a repeat gets 409 `idempotency.in_progress` with `Retry-After`; another request with the same key gets 409 `idempotency.key_reused`; 409 `idempotency.answer_lost` means the change was made but the server stopped before answering."),
    paths(
        users::me, users::list_users, users::get_user, users::update_user, users::remove_user,
        users::invite, users::revoke_invitation,
        keys::list_keys, keys::create_key, keys::revoke_key,
        orgs::update_org, orgs::audit, orgs::list_orgs,
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
        errors::list_errors,
    ),
    modifiers(&Security, &RateLimited, &SharedErrors),
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

/// The error answers every operation can give because of the layers in
/// front of its handler (authentication, permissions, query and body
/// parsing, body limits, `Idempotency-Key`), added where an operation does not
/// document them itself, so a client (and a schema check) knows every status
/// it may receive.
struct SharedErrors;

/// What the idempotency layer answers with 409 (see `idempotency::layer`).
const IDEMPOTENCY_409: &str = "`idempotency.key_reused`: this Idempotency-Key was used with another request (method, path, query, content type or body); `idempotency.in_progress`: the request with this key still runs (with Retry-After); `idempotency.answer_lost`: it was carried out but not answered; `idempotency.lease_lost`: another request with this key took over, nothing was changed";

impl SharedErrors {
    fn add(op: &mut Operation, status: &str, description: &str) {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                        )
                        .build(),
                )
            });
    }

    fn operation(op: &mut Operation, post: bool, read_only: bool, has_path_id: bool) {
        let has = |place: ParameterIn| {
            op.parameters.iter().flatten().any(|p| match p {
                RefOr::T(p) => p.parameter_in == place,
                RefOr::Ref(_) => false,
            })
        };
        let query = has(ParameterIn::Query);
        let body = op.request_body.is_some();
        Self::add(
            op,
            "401",
            "`auth.required`: no session and no valid API key",
        );
        Self::add(
            op,
            "403",
            "`auth.forbidden`: the key or person lacks the permission (`csrf.invalid`: a session without its X-CSRF-Token)",
        );
        if query {
            Self::add(
                op,
                "400",
                "`request.query_invalid`: the query string is not valid",
            );
        }
        if has_path_id {
            Self::add(
                op,
                "404",
                "`not_found`: no such resource in your organisation",
            );
        }
        if body {
            Self::add(op, "400", "`request.malformed`: the body cannot be read");
            Self::add(op, "415", "`request.not_json` or an unsupported body type");
        }
        if post {
            Self::add(
                op,
                "400",
                "`idempotency.key_invalid`: Idempotency-Key is not 1 to 255 characters",
            );
            Self::add(op, "409", IDEMPOTENCY_409);
            // An operation documenting its own 409 answers these too.
            if let Some(RefOr::T(r)) = op.responses.responses.get_mut("409")
                && !r.description.contains("idempotency.key_reused")
            {
                r.description = if r.description.trim().is_empty() {
                    IDEMPOTENCY_409.to_string()
                } else {
                    format!("{}; {IDEMPOTENCY_409}", r.description.trim_end_matches('.'))
                };
            }
        }
        if body || post {
            Self::add(op, "413", "`request.too_large`: the body is over the limit");
        }
        if !read_only {
            Self::add(
                op,
                "422",
                "the input or the resource's state refuses the request",
            );
        }
    }
}

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_id = path.contains('{');
            let operations = [
                (item.get.as_mut(), false, true),
                (item.post.as_mut(), true, false),
                (item.put.as_mut(), false, false),
                (item.patch.as_mut(), false, false),
                (item.delete.as_mut(), false, false),
            ];
            for (op, post, read_only) in operations {
                if let Some(op) = op {
                    Self::operation(op, post, read_only, has_path_id);
                }
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
            "/api/v1/errors",
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

    /// Found by schemathesis: the layers in front of the handlers answer 401,
    /// 403, 400, 415 and 409 on operations that did not document them.
    #[test]
    fn every_operation_documents_the_errors_of_the_shared_layers() {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let mut checked = 0;
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                let has = |status: &str| responses.contains_key(status);
                assert!(has("401") && has("403"), "{method} {path}: 401/403");
                if path.contains('{') {
                    assert!(has("404"), "{method} {path}: 404");
                }
                if op.get("requestBody").is_some() {
                    assert!(has("400") && has("415"), "{method} {path}: 400/415");
                }
                if method == "post" {
                    assert!(has("409") && has("422"), "{method} {path}: 409/422");
                    let text = responses["409"]["description"].as_str().unwrap_or("");
                    assert!(
                        text.contains("idempotency.key_reused"),
                        "{method} {path}: its 409 names idempotency.key_reused: {text}"
                    );
                }
                let query = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
                if query {
                    assert!(has("400"), "{method} {path}: 400");
                }
                checked += 1;
            }
        }
        assert!(checked >= 50, "only {checked} operations");
    }
}
