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
mod reports;
mod runs;
mod signup;
mod tariffs;
mod webhooks;

use crate::AppState;
use crate::i18n::L;
use crate::session::{FORM_COOKIE, SignedIn, Visitor, set_cookie};
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use courrier_domain::{Permission, Timestamp};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(stylesheet))
        .route(
            "/static/app.js",
            get(|| async { script(include_str!("../../static/app.js")) }),
        )
        .route(
            "/static/api-docs.js",
            get(|| async { script(include_str!("../../static/api-docs.js")) }),
        )
        .route(
            "/static/api-docs.css",
            get(|| async {
                static_file(
                    "text/css; charset=utf-8",
                    include_str!("../../static/api-docs.css"),
                )
            }),
        )
        .route("/login", get(auth::login_page).post(auth::login))
        .route(
            "/login/2fa",
            get(auth::second_factor_page).post(auth::second_factor),
        )
        .route("/logout", post(auth::logout))
        .route("/lang", post(auth::switch_language))
        .route(
            "/password-reset",
            get(auth::reset_request_page).post(auth::reset_request),
        )
        .route(
            "/password-reset/{token}",
            get(auth::reset_page).post(auth::reset),
        )
        .route(
            "/invitations/{token}",
            get(auth::invitation_page).post(auth::accept_invitation),
        )
        .route("/", get(org::dashboard))
        .route("/org/users", get(org::users_page))
        .route("/org/invitations", post(org::invite))
        .route("/org/invitations/{id}/revoke", post(org::revoke_invitation))
        .route("/org/users/{id}/role", post(org::change_role))
        .route("/org/users/{id}/remove", post(org::remove_user))
        .route("/org/api-keys", get(org::keys_page).post(org::create_key))
        .route("/org/api-keys/{id}/revoke", post(org::revoke_key))
        .route("/org/audit", get(org::audit_page))
        .route("/org/settings/2fa", post(account::set_org_2fa))
        .route("/account", get(account::account_page))
        .route("/account/password", post(account::change_password))
        .route(
            "/account/2fa",
            get(account::enrol_page).post(account::confirm_enrol),
        )
        .route("/account/2fa/disable", post(account::disable_2fa))
        .route("/letters", get(letters::list_page))
        .route(
            "/letters/new",
            get(letters::new_page).post(letters::upload).layer(
                axum::extract::DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES),
            ),
        )
        .route("/runs", get(runs::list_page))
        .route(
            "/runs/new",
            get(runs::new_page)
                .post(runs::start)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::upload::UPLOAD_BODY_BYTES,
                )),
        )
        .route("/runs/{id}", get(runs::detail_page))
        .route("/letters/approvals", get(letters::approvals_page))
        .route("/letters/{id}", get(letters::detail_page))
        .route("/letters/{id}/preview.png", get(letters::preview))
        .route("/letters/{id}/document.pdf", get(letters::document))
        .route("/letters/{id}/edit", post(letters::edit))
        .route("/letters/{id}/submit", post(letters::submit))
        .route("/letters/{id}/approve", post(letters::approve))
        .route("/letters/{id}/reject", post(letters::reject))
        .route("/letters/{id}/cancel", post(letters::cancel))
        .route(
            "/org/letters",
            get(letters::settings_page).post(letters::save_settings),
        )
        .route(
            "/org/webhooks",
            get(webhooks::webhooks_page).post(webhooks::create_webhook),
        )
        .route(
            "/org/webhooks/{id}/disable",
            post(webhooks::disable_webhook),
        )
        .route("/org/webhooks/{id}/rotate", post(webhooks::rotate_secret))
        .route(
            "/org/reports",
            get(reports::reports_page).post(reports::schedule_report),
        )
        .route("/org/reports/generate", post(reports::generate_report))
        .route(
            "/org/reports/schedules/{id}/disable",
            post(reports::disable_schedule),
        )
        .route("/reports/{file}", get(reports::download))
        .route("/admin/orgs", get(admin::admin_page))
        .route("/admin/jobs/{id}/requeue", post(admin::requeue_job))
        .route("/admin/reviews", get(platform_reviews::queue_page))
        .route("/admin/reviews/{id}", post(platform_reviews::decide))
        .route("/admin/tariffs", get(tariffs::list_page))
        .route(
            "/admin/tariffs/{country}",
            get(tariffs::edit_page).post(tariffs::save),
        )
        .route("/mail", get(mailbox::list_page))
        .route("/mail/actions", post(mailbox::bulk_action))
        .route(
            "/mail/setup",
            get(mailbox::setup_page).post(mailbox::open_mailbox),
        )
        .route("/mail/setup/{id}/verify", post(mailbox::verify_code))
        .route("/mail/setup/{id}/address", post(mailbox::change_address))
        .route("/mail/setup/{id}/notify", post(mailbox::set_notify))
        .route("/mail/setup/retention", post(mailbox::set_scan_retention))
        .route("/mail/{id}", get(mailbox::detail_page))
        .route("/mail/{id}/envelope", get(mailbox::envelope))
        .route("/mail/{id}/scan.pdf", get(mailbox::scan))
        .route("/mail/{id}/action", post(mailbox::item_action))
        .route("/mail/{id}/annotate", post(mailbox::annotate))
        .route("/mailbox/items/{id}", get(mailbox::legacy_link))
        .route("/center", get(center::dashboard))
        .route("/center/count", post(center::record_count))
        .route(
            "/center/intake",
            get(center::intake_page).post(center::log_item).layer(
                axum::extract::DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_BYTES),
            ),
        )
        .route("/center/items/{id}/envelope", get(center::envelope))
        .route("/center/tasks", get(center::tasks_page))
        .route(
            "/center/tasks/{id}/complete",
            post(center::complete_task).layer(axum::extract::DefaultBodyLimit::max(
                crate::upload::UPLOAD_BODY_BYTES,
            )),
        )
        .route("/center/reviews", get(center::reviews_page))
        .route("/center/reviews/{id}", post(center::review_member))
        .route("/signup", get(signup::list_page))
        .route(
            "/signup/{location}",
            get(signup::form_page).post(signup::sign_up),
        )
        .route(
            "/signup/activate/{token}",
            get(signup::activate_page).post(signup::activate),
        )
        .route("/mail/onboarding", get(signup::onboarding_page))
        .route("/mail/onboarding/members", post(signup::add_member))
        .route("/mail/onboarding/plan", post(signup::change_plan))
        .route("/mail/onboarding/again", post(signup::sign_up_again))
        .route(
            "/mail/onboarding/members/{id}/documents",
            post(signup::upload_document).layer(axum::extract::DefaultBodyLimit::max(
                crate::upload::UPLOAD_BODY_BYTES,
            )),
        )
        .route(
            "/mail/onboarding/members/{id}/submit",
            post(signup::submit_member),
        )
        .route("/member-documents/{id}", get(signup::document_file))
        .route("/reviews/members/{id}", get(signup::review_page))
        .route(
            "/center/plans",
            get(signup::plans_page).post(signup::set_plan),
        )
        .route(
            "/center/pickups",
            get(center::pickups_page).post(center::create_pickup),
        )
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

/// The signed-in person as the navigation shows them.
pub struct NavUser {
    pub name: String,
    pub org: String,
    pub users: bool,
    pub letters: bool,
    pub keys: bool,
    pub audit: bool,
    pub platform: bool,
    pub webhooks: bool,
    pub mail: bool,
    pub center: bool,
}

/// What every page's frame needs.
pub struct Chrome {
    pub l: L,
    pub user: Option<NavUser>,
    pub csrf: String,
    pub current: &'static str,
    pub path: String,
}

impl Chrome {
    pub fn signed_in(s: &SignedIn, current: &'static str, path: &str) -> Chrome {
        let a = &s.actor;
        Chrome {
            l: L(s.locale),
            user: Some(NavUser {
                name: s.ctx.user.display_name.clone(),
                org: s.ctx.org.name.clone(),
                users: a.can(Permission::UsersManage),
                letters: a.can(Permission::LettersRead),
                keys: a.can(Permission::ApiKeysManage),
                audit: a.can(Permission::AuditRead),
                platform: a.can(Permission::PlatformAdmin),
                webhooks: a.can(Permission::OrgSettings),
                mail: a.can(Permission::MailboxRead),
                center: a.can(Permission::MailCenterOperate),
            }),
            csrf: s.csrf().to_string(),
            current,
            path: path.to_string(),
        }
    }

    /// A frame for visitors who are not (fully) signed in; returns the cookie
    /// to set when the visitor has no form token yet.
    pub fn visitor(v: &Visitor, path: &str) -> (Chrome, Option<HeaderValue>) {
        let (csrf, cookie) = match (&v.ctx, &v.form_token) {
            (Some(ctx), _) => (ctx.session.csrf_token.clone(), None),
            (None, Some(t)) => (t.clone(), None),
            (None, None) => {
                let t = courrier_app::tokens::random_token(24);
                let c = set_cookie(FORM_COOKIE, &t, 86_400, v.secure_cookies);
                (t, Some(c))
            }
        };
        (
            Chrome {
                l: L(v.locale),
                user: None,
                csrf,
                current: "",
                path: path.to_string(),
            },
            cookie,
        )
    }
}

/// The token a visitor's form must carry.
pub fn expected_form_token(v: &Visitor) -> String {
    match &v.ctx {
        Some(ctx) => ctx.session.csrf_token.clone(),
        None => v.form_token.clone().unwrap_or_default(),
    }
}

pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "page could not be rendered",
            )
                .into_response()
        }
    }
}

pub fn with_cookie(mut res: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// The date of `t` at a location (its time zone), as the e-mails give it;
/// the UTC time if the zone is unknown.
pub fn local_day(t: Timestamp, time_zone: &str) -> String {
    match (
        jiff::Timestamp::from_millisecond(t.millis()),
        jiff::tz::TimeZone::get(time_zone),
    ) {
        (Ok(ts), Ok(tz)) => tz.to_datetime(ts).date().to_string(),
        _ => fmt_ts(t),
    }
}

pub fn fmt_ts(t: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.millis())
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| "—".into())
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub title: String,
    pub body: String,
    pub link: String,
    pub link_label: String,
}

/// A page that explains an error and offers a way on.
pub fn error_page(chrome: Chrome, status: StatusCode, e: &crate::error::ApiError) -> Response {
    let l = chrome.l;
    let page = MessagePage {
        title: match status {
            StatusCode::NOT_FOUND => "404".into(),
            StatusCode::FORBIDDEN => "403".into(),
            _ => status.as_u16().to_string(),
        },
        body: l.error(e),
        link: "/".into(),
        link_label: l.t("nav.home").into(),
        chrome,
    };
    (status, render(&page)).into_response()
}
