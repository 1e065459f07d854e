//! A person's own account: password, language, two-step verification; and
//! the organisation's 2FA policy for those allowed to set it.

use super::{Chrome, Screen, error_page, render};
use crate::AppState;
use crate::error::ApiError;
use crate::session::{CsrfForm, SignedIn, Visitor};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::auth::{SessionContext, SessionStage};
use courrier_domain::Permission;
use serde::Deserialize;

pub(super) const ACCOUNT: Screen = Screen::new("account", "/account");

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    name: String,
    email: String,
    totp_enabled: bool,
    recovery_left: i64,
    org_requires: bool,
    can_settings: bool,
    /// The organisation's time zone, and every zone one can choose.
    time_zone: String,
    zones: Vec<String>,
}

async fn account_view(
    st: &AppState,
    s: &SignedIn,
    error: Option<ApiError>,
    notice: Option<&str>,
) -> Response {
    let recovery_left = match st.app.recovery_codes_left(&s.ctx).await {
        Ok(n) => n,
        Err(e) => {
            let e = ApiError::from(e);
            return error_page(Chrome::signed_in(s, "account", "/account"), e.status, &e);
        }
    };
    let chrome = Chrome::signed_in(s, "account", "/account");
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = AccountPage {
        error: error.map(|e| chrome.l.error(&e)),
        notice: notice.map(|n| chrome.l.t(n).to_string()),
        name: s.ctx.user.display_name.clone(),
        email: s.ctx.user.email.to_string(),
        totp_enabled: s.ctx.user.totp_enabled,
        recovery_left,
        org_requires: s.ctx.org.require_2fa,
        can_settings: s.actor.can(Permission::OrgSettings),
        time_zone: s.ctx.org.time_zone.clone(),
        zones: if s.actor.can(Permission::OrgSettings) {
            let mut z: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
            z.sort();
            z
        } else {
            Vec::new()
        },
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn account_page(State(st): State<AppState>, s: SignedIn) -> Response {
    account_view(&st, &s, None, None).await
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<PasswordChange>,
) -> Response {
    match st
        .app
        .change_password(&s.ctx, &f.current_password, &f.new_password)
        .await
    {
        // Changing the password ends every session, this one included.
        Ok(()) => Redirect::to("/login").into_response(),
        Err(e) => account_view(&st, &s, Some(e.into()), None).await,
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    password: String,
}

pub async fn disable_2fa(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<DisableForm>,
) -> Response {
    match st.app.disable_totp(&s.ctx, &f.password).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => account_view(&st, &s, Some(e.into()), None).await,
    }
}

#[derive(Deserialize)]
pub struct PolicyForm {
    require_2fa: Option<String>,
}

#[derive(Deserialize)]
pub struct ZoneForm {
    // Optional in the form, so a caller without the permission is told so
    // before the field is looked at.
    #[serde(default)]
    time_zone: String,
}

/// The organisation's time zone, chosen by its admins: every time its
/// people read, and every report day, is in it.
pub async fn set_org_time_zone(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<ZoneForm>,
) -> Response {
    match st.app.set_org_time_zone(&s.actor, &f.time_zone).await {
        Ok(_) => Redirect::to("/account").into_response(),
        Err(e) => account_view(&st, &s, Some(e.into()), None).await,
    }
}

pub async fn set_org_2fa(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<PolicyForm>,
) -> Response {
    match st
        .app
        .set_require_2fa(&s.actor, f.require_2fa.is_some())
        .await
    {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => account_view(&st, &s, Some(e.into()), None).await,
    }
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    required: bool,
    error: Option<String>,
    qr_svg: String,
    secret: String,
    recovery_codes: Option<Vec<String>>,
}

/// The session of someone who may enrol: signed in, second factor done if they had one.
fn enrolling(v: &Visitor) -> Result<&SessionContext, Response> {
    match &v.ctx {
        None => Err(Redirect::to("/login").into_response()),
        Some(ctx) if ctx.stage() == SessionStage::NeedsSecondFactor => {
            Err(Redirect::to("/login/2fa").into_response())
        }
        Some(ctx) => Ok(ctx),
    }
}

fn qr_svg(text: &str) -> String {
    use qrcodegen::{QrCode, QrCodeEcc};
    let Ok(qr) = QrCode::encode_text(text, QrCodeEcc::Medium) else {
        return String::new();
    };
    let size = qr.size();
    let border = 2;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let dim = size + 2 * border;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dim} {dim}\" role=\"img\" aria-label=\"QR code\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

pub async fn enrol_page(State(st): State<AppState>, v: Visitor) -> Response {
    let ctx = match enrolling(&v) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (chrome, _) = Chrome::visitor(&v, "/account/2fa");
    if ctx.user.totp_enabled {
        return Redirect::to("/account").into_response();
    }
    match st.app.start_totp_enrolment(ctx).await {
        Ok(e) => render(&EnrolPage {
            required: ctx.stage() == SessionStage::MustEnrol,
            error: None,
            qr_svg: qr_svg(&e.otpauth_url),
            secret: e.secret_base32,
            recovery_codes: None,
            chrome,
        }),
        Err(e) => error_page(chrome, StatusCode::INTERNAL_SERVER_ERROR, &e.into()),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    // Defaulted, so a caller without a session is sent to sign in rather
    // than told about the form.
    #[serde(default)]
    code: String,
}

pub async fn confirm_enrol(
    State(st): State<AppState>,
    v: Visitor,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> Response {
    let ctx = match enrolling(&v) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (chrome, _) = Chrome::visitor(&v, "/account/2fa");
    match st.app.confirm_totp_enrolment(ctx, &f.code).await {
        Ok(codes) => render(&EnrolPage {
            required: false,
            error: None,
            qr_svg: String::new(),
            secret: String::new(),
            recovery_codes: Some(codes),
            chrome,
        }),
        Err(e) => {
            // Show the same pending secret again so the person can retry.
            let e = ApiError::from(e);
            let again = st.app.start_totp_enrolment(ctx).await;
            let (qr, secret) = match again {
                Ok(en) => (qr_svg(&en.otpauth_url), en.secret_base32),
                Err(_) => (String::new(), String::new()),
            };
            let page = EnrolPage {
                required: ctx.stage() == SessionStage::MustEnrol,
                error: Some(chrome.l.error(&e)),
                qr_svg: qr,
                secret,
                recovery_codes: None,
                chrome,
            };
            (e.status, render(&page)).into_response()
        }
    }
}
