//! Signing in and out, the second factor, language, password reset and
//! accepting an invitation.

use super::{Chrome, MessagePage, render, with_cookie};
use crate::AppState;
use crate::error::ApiError;
use crate::session::{
    CsrfForm, Fields, LOCALE_COOKIE, SESSION_COOKIE, Visitor, safe_next, set_cookie,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::auth::SessionStage;
use courrier_domain::Locale;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(v: Visitor, Query(q): Query<NextQuery>) -> Response {
    if v.ctx
        .as_ref()
        .is_some_and(|c| c.stage() == SessionStage::Complete)
    {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let (chrome, cookie) = Chrome::visitor(&v, "/login");
    let page = LoginPage {
        chrome,
        error: None,
        notice: None,
        email: String::new(),
        next: safe_next(q.next.as_deref()),
    };
    with_cookie(render(&page), cookie)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(s): State<AppState>,
    v: Visitor,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/login");
    match s.app.login(&f.email, &f.password, v.ip.as_deref()).await {
        Ok(session) => {
            if let Some(old) = &v.token {
                let _ = s.app.logout(old).await;
            }
            let next = if session.needs_second_factor {
                "/login/2fa".to_string()
            } else {
                safe_next(f.next.as_deref())
            };
            let mut res = Redirect::to(&next).into_response();
            let max_age = s.app.settings.session_hours * 3600;
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.token, max_age, s.secure_cookies),
            );
            res
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let page = LoginPage {
                error: Some(chrome.l.error(&e)),
                notice: None,
                email: f.email,
                next: safe_next(f.next.as_deref()),
                chrome,
            };
            with_cookie((status, render(&page)).into_response(), cookie)
        }
    }
}

#[derive(Template)]
#[template(path = "twofactor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    error: Option<String>,
}

pub async fn second_factor_page(v: Visitor) -> Response {
    match &v.ctx {
        Some(ctx) if ctx.stage() == SessionStage::NeedsSecondFactor => {
            let (chrome, cookie) = Chrome::visitor(&v, "/login/2fa");
            with_cookie(
                render(&SecondFactorPage {
                    chrome,
                    error: None,
                }),
                cookie,
            )
        }
        Some(_) => Redirect::to("/").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    // Defaulted, so a caller without a session is sent to sign in rather
    // than told about the form.
    #[serde(default)]
    code: String,
}

pub async fn second_factor(
    State(s): State<AppState>,
    v: Visitor,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> Response {
    let Some(ctx) = &v.ctx else {
        return Redirect::to("/login").into_response();
    };
    let (chrome, cookie) = Chrome::visitor(&v, "/login/2fa");
    match s.app.verify_second_factor(ctx, &f.code).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let page = SecondFactorPage {
                error: Some(chrome.l.error(&e)),
                chrome,
            };
            with_cookie((status, render(&page)).into_response(), cookie)
        }
    }
}

pub async fn logout(
    State(s): State<AppState>,
    v: Visitor,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    if let Some(token) = &v.token
        && v.ctx.is_some()
        && let Err(e) = s.app.logout(token).await
    {
        return ApiError::from(e).into_response();
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, s.secure_cookies),
    );
    res
}

#[derive(Deserialize)]
pub struct LangForm {
    locale: String,
    back: Option<String>,
}

/// Sets the language: on the account when signed in, in a cookie otherwise.
pub async fn switch_language(
    State(s): State<AppState>,
    v: Visitor,
    CsrfForm(f): CsrfForm<LangForm>,
) -> Response {
    let locale = Locale::from_tag(&f.locale);
    if let Some(ctx) = &v.ctx
        && let Err(e) = s.app.set_locale(ctx, locale).await
    {
        return ApiError::from(e).into_response();
    }
    let mut res = Redirect::to(&safe_next(f.back.as_deref())).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOCALE_COOKIE,
            locale.as_str(),
            365 * 86_400,
            s.secure_cookies,
        ),
    );
    res
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    with_token: bool,
}

pub async fn reset_request_page(v: Visitor) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/password-reset");
    with_cookie(
        render(&ResetPage {
            chrome,
            error: None,
            notice: None,
            with_token: false,
        }),
        cookie,
    )
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

pub async fn reset_request(
    State(s): State<AppState>,
    v: Visitor,
    CsrfForm(f): CsrfForm<EmailForm>,
) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/password-reset");
    let page = match s.app.request_password_reset(&f.email, v.locale).await {
        Ok(()) => ResetPage {
            notice: Some(chrome.l.t("reset.sent").into()),
            error: None,
            with_token: false,
            chrome,
        },
        Err(e) => ResetPage {
            error: Some(chrome.l.error(&ApiError::from(e))),
            notice: None,
            with_token: false,
            chrome,
        },
    };
    with_cookie(render(&page), cookie)
}

pub async fn reset_page(v: Visitor) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/password-reset");
    with_cookie(
        render(&ResetPage {
            chrome,
            error: None,
            notice: None,
            with_token: true,
        }),
        cookie,
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
}

pub async fn reset(
    State(s): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/password-reset");
    match s.app.reset_password(&token, &f.password).await {
        Ok(_) => {
            let page = LoginPage {
                notice: Some(chrome.l.t("reset.done").into()),
                error: None,
                email: String::new(),
                next: "/".into(),
                chrome,
            };
            with_cookie(render(&page), cookie)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let page = ResetPage {
                error: Some(chrome.l.error(&e)),
                notice: None,
                with_token: true,
                chrome,
            };
            with_cookie((e.status, render(&page)).into_response(), cookie)
        }
    }
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    accepted: bool,
    org_name: String,
    email: String,
    role: String,
    error: Option<String>,
}

fn invitation_gone(chrome: Chrome) -> Response {
    let l = chrome.l;
    let page = MessagePage {
        title: l.t("inv.title").into(),
        body: l.t("inv.gone").into(),
        link: "/login".into(),
        link_label: l.t("login.submit").into(),
        chrome,
    };
    (StatusCode::NOT_FOUND, render(&page)).into_response()
}

pub async fn invitation_page(
    State(s): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/");
    let res = match s.app.invitation(&token).await {
        Ok(view) => render(&InvitationPage {
            chrome,
            accepted: false,
            org_name: view.org_name,
            email: view.invitation.email.to_string(),
            role: view.invitation.role.as_str().into(),
            error: None,
        }),
        Err(_) => invitation_gone(chrome),
    };
    with_cookie(res, cookie)
}

#[derive(Deserialize)]
pub struct AcceptForm {
    name: String,
    password: String,
}

pub async fn accept_invitation(
    State(s): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    CsrfForm(f): CsrfForm<AcceptForm>,
) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/");
    let Ok(view) = s.app.invitation(&token).await else {
        return invitation_gone(chrome);
    };
    let res = match s
        .app
        .accept_invitation(&token, &f.name, &f.password, v.locale)
        .await
    {
        Ok(_) => render(&InvitationPage {
            chrome,
            accepted: true,
            org_name: view.org_name,
            email: view.invitation.email.to_string(),
            role: view.invitation.role.as_str().into(),
            error: None,
        }),
        Err(e) => {
            let e = ApiError::from(e);
            let page = InvitationPage {
                error: Some(chrome.l.error(&e)),
                chrome,
                accepted: false,
                org_name: view.org_name,
                email: view.invitation.email.to_string(),
                role: view.invitation.role.as_str().into(),
            };
            (e.status, render(&page)).into_response()
        }
    };
    with_cookie(res, cookie)
}
