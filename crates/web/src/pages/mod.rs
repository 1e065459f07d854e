//! The server-rendered web app. Every page works without JavaScript; forms
//! carry a CSRF token; words come from [`crate::i18n`] in the person's language.

mod account;
mod admin;
mod auth;
mod center;
mod letters;
mod mailbox;
mod org;
mod platform_reviews;
mod plumbing;
mod reports;
mod runs;
mod signup;
mod tariffs;
mod webhooks;

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub use plumbing::*;

pub(crate) fn routes() -> crate::routes::Routes {
    let r = crate::routes::Routes::new("")
        .get("/static/app.css", stylesheet)
        .get("/static/app.js", || async {
            script(include_str!("../../static/app.js"))
        })
        .get("/static/api-docs.js", || async {
            script(include_str!("../../static/api-docs.js"))
        })
        .get("/static/api-docs.css", || async {
            static_file(
                "text/css; charset=utf-8",
                include_str!("../../static/api-docs.css"),
            )
        })
        .get("/login", auth::login_page)
        .post("/login", auth::login)
        .get("/login/2fa", auth::second_factor_page)
        .post("/login/2fa", auth::second_factor)
        .post("/logout", auth::logout)
        .post("/lang", auth::switch_language)
        .get("/password-reset", auth::reset_request_page)
        .post("/password-reset", auth::reset_request)
        .get("/password-reset/{token}", auth::reset_page)
        .post("/password-reset/{token}", auth::reset)
        .get("/invitations/{token}", auth::invitation_page)
        .post("/invitations/{token}", auth::accept_invitation)
        .get("/", org::dashboard)
        .get("/org/users", org::users_page)
        .post("/org/invitations", org::invite)
        .post("/org/invitations/{id}/revoke", org::revoke_invitation)
        .post("/org/users/{id}/role", org::change_role)
        .post("/org/users/{id}/remove", org::remove_user)
        .get("/org/api-keys", org::keys_page)
        .post("/org/api-keys", org::create_key)
        .post("/org/api-keys/{id}/revoke", org::revoke_key)
        .get("/org/audit", org::audit_page)
        .post("/org/settings/2fa", account::set_org_2fa)
        .post("/org/settings/time-zone", account::set_org_time_zone)
        .get("/account", account::account_page)
        .post("/account/password", account::change_password)
        .get("/account/2fa", account::enrol_page)
        .post("/account/2fa", account::confirm_enrol)
        .post("/account/2fa/disable", account::disable_2fa)
        .get("/runs", runs::list_page)
        .get("/runs/new", runs::new_page)
        .upload("/runs/new", runs::start)
        .get("/runs/{id}", runs::detail_page)
        .get("/org/webhooks", webhooks::webhooks_page)
        .post("/org/webhooks", webhooks::create_webhook)
        .post("/org/webhooks/{id}/disable", webhooks::disable_webhook)
        .post("/org/webhooks/{id}/rotate", webhooks::rotate_secret)
        .get("/org/reports", reports::reports_page)
        .post("/org/reports", reports::schedule_report)
        .post("/org/reports/generate", reports::generate_report)
        .post(
            "/org/reports/schedules/{id}/disable",
            reports::disable_schedule,
        )
        .get("/reports/{file}", reports::download)
        .get("/admin/orgs", admin::admin_page)
        .post("/admin/jobs/{id}/requeue", admin::requeue_job)
        .get("/admin/reviews", platform_reviews::queue_page)
        .post("/admin/reviews/{id}", platform_reviews::decide)
        .get("/admin/tariffs", tariffs::list_page)
        .get("/admin/tariffs/{country}", tariffs::edit_page)
        .post("/admin/tariffs/{country}", tariffs::save);
    let r = letters::routes(r);
    let r = mailbox::routes(r);
    let r = center::routes(r);
    signup::routes(r)
}

async fn stylesheet() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

/// Scripts are files served by Courrier: the Content-Security-Policy allows
/// no inline script.
fn script(body: &'static str) -> Response {
    static_file("text/javascript; charset=utf-8", body)
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
