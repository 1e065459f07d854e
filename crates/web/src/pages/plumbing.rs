//! What every page shares: the frame ([`Chrome`]), rendering, the error
//! page, the problems shown above a form, the screens pages belong to and
//! the answer to a refused form token.

use crate::error::ApiError;
use crate::i18n::L;
use crate::session::{FORM_COOKIE, SignedIn, Visitor, set_cookie};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use courrier_app::AppError;
use courrier_domain::Permission;

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
    pub fn of(l: &L, e: &ApiError) -> Problem {
        Problem {
            code: e.body.code.clone(),
            text: l.error(e),
        }
    }
}

/// A page that explains an error and offers a way on.
pub fn error_page(chrome: Chrome, status: StatusCode, e: &ApiError) -> Response {
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

/// A screen of the app: the navigation entry it lights (`current`) and the
/// path its frame names. A page's errors and refusals are shown in the
/// frame of its screen.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub current: &'static str,
    pub path: &'static str,
}

impl Screen {
    pub const fn new(current: &'static str, path: &'static str) -> Screen {
        Screen { current, path }
    }

    pub fn chrome(self, s: &SignedIn) -> Chrome {
        Chrome::signed_in(s, self.current, self.path)
    }

    /// The error page for a use case's refusal, in this screen's frame.
    pub fn fail(self, s: &SignedIn, e: AppError) -> Response {
        fail_in(self.chrome(s), e)
    }

    /// A 403 page (a refused form token), in this screen's frame.
    pub fn forbidden(self, s: &SignedIn, e: &ApiError) -> Response {
        error_page(self.chrome(s), StatusCode::FORBIDDEN, e)
    }
}

/// The error page for a use case's refusal, in the frame given.
pub fn fail_in(chrome: Chrome, e: AppError) -> Response {
    let e = ApiError::from(e);
    error_page(chrome, e.status, &e)
}

/// Errors a page answers with its error page rather than by showing its
/// form again with the problem.
pub fn is_page_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound
            | AppError::Forbidden(_)
            | AppError::Unauthenticated
            | AppError::Internal(_)
    )
}

/// The screen whose frame shows the refusal of a form posted to `path` by a
/// signed-in person; `None` for the forms of visitors (signing in, the
/// language, a password reset, an invitation, signing up, enrolling a
/// second factor), shown in a visitor's frame.
fn screen_of(path: &str) -> Option<Screen> {
    use super::*;
    let under = |p: &str| path == p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/'));
    let visitors = [
        "/login",
        "/logout",
        "/lang",
        "/password-reset",
        "/invitations",
        "/signup",
    ];
    if visitors.iter().any(|p| under(p)) || path == "/account/2fa" {
        return None;
    }
    Some(match path {
        _ if under("/org/invitations") || under("/org/users") => org::USERS,
        _ if under("/org/api-keys") => org::KEYS,
        _ if under("/org/settings") || under("/account") => account::ACCOUNT,
        _ if under("/org/letters") || under("/letters") => letters::LETTERS,
        _ if under("/runs") => runs::RUNS_NEW,
        _ if under("/org/webhooks") => webhooks::WEBHOOKS,
        _ if under("/org/reports") => reports::REPORTS,
        _ if under("/admin/reviews") => platform_reviews::REVIEWS,
        _ if under("/admin/tariffs") => tariffs::TARIFFS,
        _ if under("/admin") => admin::ADMIN,
        _ if under("/mail/onboarding") => signup::ONBOARDING_SCREEN,
        _ if under("/mail") => mailbox::MAIL,
        _ if under("/center/plans") => signup::PLANS,
        _ if under("/center") => center::CENTER,
        _ => Screen::new("", "/"),
    })
}

/// The path a visitor's frame names for a refused form posted to `path`.
fn visitor_path(path: &str) -> &'static str {
    [
        "/login/2fa",
        "/login",
        "/password-reset",
        "/signup",
        "/account/2fa",
    ]
    .into_iter()
    .find(|p| path == *p || path.starts_with(&format!("{p}/")))
    .unwrap_or("/")
}

/// The answer to a page form refused before its handler runs (a token that
/// does not match, see [`crate::session::CsrfForm`], or an upload its
/// sender may not make): 403 with the error page, in the frame of
/// the form's screen, or a visitor's frame (setting the form cookie when
/// the visitor has none yet).
pub fn refused_form(v: &Visitor, path: &str, e: &ApiError) -> Response {
    match (screen_of(path), v.signed_in()) {
        (Some(screen), Some(s)) => screen.forbidden(&s, e),
        _ => {
            let (chrome, cookie) = Chrome::visitor(v, visitor_path(path));
            with_cookie(error_page(chrome, StatusCode::FORBIDDEN, e), cookie)
        }
    }
}
