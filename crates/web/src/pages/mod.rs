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

use crate::i18n::L;
use crate::session::{FORM_COOKIE, SignedIn, Visitor, set_cookie};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use courrier_domain::{Permission, Timestamp};

pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new("")
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
        .get("/account", account::account_page)
        .post("/account/password", account::change_password)
        .get("/account/2fa", account::enrol_page)
        .post("/account/2fa", account::confirm_enrol)
        .post("/account/2fa/disable", account::disable_2fa)
        .get("/letters", letters::list_page)
        .get("/letters/new", letters::new_page)
        .upload("/letters/new", letters::upload)
        .get("/runs", runs::list_page)
        .get("/runs/new", runs::new_page)
        .upload("/runs/new", runs::start)
        .get("/runs/{id}", runs::detail_page)
        .get("/letters/approvals", letters::approvals_page)
        .get("/letters/{id}", letters::detail_page)
        .get("/letters/{id}/preview.png", letters::preview)
        .get("/letters/{id}/document.pdf", letters::document)
        .post("/letters/{id}/edit", letters::edit)
        .post("/letters/{id}/submit", letters::submit)
        .post("/letters/{id}/approve", letters::approve)
        .post("/letters/{id}/reject", letters::reject)
        .post("/letters/{id}/cancel", letters::cancel)
        .get("/org/letters", letters::settings_page)
        .post("/org/letters", letters::save_settings)
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
        .post("/admin/tariffs/{country}", tariffs::save)
        .get("/mail", mailbox::list_page)
        .post("/mail/actions", mailbox::bulk_action)
        .get("/mail/setup", mailbox::setup_page)
        .post("/mail/setup", mailbox::open_mailbox)
        .post("/mail/setup/{id}/verify", mailbox::verify_code)
        .post("/mail/setup/{id}/address", mailbox::change_address)
        .post("/mail/setup/{id}/notify", mailbox::set_notify)
        .post("/mail/setup/retention", mailbox::set_scan_retention)
        .get("/mail/{id}", mailbox::detail_page)
        .get("/mail/{id}/envelope", mailbox::envelope)
        .get("/mail/{id}/scan.pdf", mailbox::scan)
        .post("/mail/{id}/action", mailbox::item_action)
        .post("/mail/{id}/annotate", mailbox::annotate)
        .get("/mailbox/items/{id}", mailbox::legacy_link)
        .get("/center", center::dashboard)
        .post("/center/count", center::record_count)
        .get("/center/intake", center::intake_page)
        .upload("/center/intake", center::log_item)
        .get("/center/items/{id}/envelope", center::envelope)
        .get("/center/tasks", center::tasks_page)
        .upload("/center/tasks/{id}/complete", center::complete_task)
        .get("/center/reviews", center::reviews_page)
        .post("/center/reviews/{id}", center::review_member)
        .get("/signup", signup::list_page)
        .get("/signup/{location}", signup::form_page)
        .post("/signup/{location}", signup::sign_up)
        .get("/signup/activate/{token}", signup::activate_page)
        .post("/signup/activate/{token}", signup::activate)
        .get("/mail/onboarding", signup::onboarding_page)
        .post("/mail/onboarding/members", signup::add_member)
        .post("/mail/onboarding/plan", signup::change_plan)
        .post("/mail/onboarding/again", signup::sign_up_again)
        .upload(
            "/mail/onboarding/members/{id}/documents",
            signup::upload_document,
        )
        .post(
            "/mail/onboarding/members/{id}/submit",
            signup::submit_member,
        )
        .get("/member-documents/{id}", signup::document_file)
        .get("/reviews/members/{id}", signup::review_page)
        .get("/center/plans", signup::plans_page)
        .post("/center/plans", signup::set_plan)
        .get("/center/pickups", center::pickups_page)
        .post("/center/pickups", center::create_pickup)
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

/// One problem shown at the top of a form: its code (shown, and in
/// `data-code` for scripts and tests) and its text in the page's language.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: String,
    pub text: String,
}

impl Problem {
    pub fn of(l: &L, e: &crate::error::ApiError) -> Problem {
        Problem {
            code: e.body.code.clone(),
            text: l.error(e),
        }
    }
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
