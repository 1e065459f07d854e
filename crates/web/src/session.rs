//! Cookies, the browsing visitor, the signed-in person, and CSRF checks.
//! A session cookie holds a random token whose hash is stored; every form
//! carries the session's CSRF token (or, before sign-in, a double-submit
//! cookie), and a POST without the matching token is refused.

use crate::AppState;
use crate::error::ApiError;
use crate::when::When;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::auth::{SessionContext, SessionStage};
use courrier_app::tokens::constant_time_eq;
use courrier_domain::{Actor, Locale};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "courrier_session";
pub const FORM_COOKIE: &str = "courrier_form";
pub const LOCALE_COOKIE: &str = "courrier_lang";

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_string())
        })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure behind https.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("courrier_invalid=1"))
}

/// The client's address: the one found behind trusted proxies, else the peer's.
pub fn client_ip(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<crate::protect::ClientAddr>() {
        Some(c) => Some(c.0.to_string()),
        None => parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip().to_string()),
    }
}

pub fn check_csrf(expected: &str, given: &str) -> Result<(), ApiError> {
    if !expected.is_empty() && constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::csrf())
    }
}

/// Anyone browsing, signed in or not.
pub struct Visitor {
    pub ctx: Option<SessionContext>,
    pub token: Option<String>,
    pub locale: Locale,
    pub ip: Option<String>,
    /// The pre-sign-in form token from the double-submit cookie, if set.
    pub form_token: Option<String>,
    /// Whether cookies set for this visitor carry `Secure`.
    pub secure_cookies: bool,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE);
        let ctx = match &token {
            Some(t) => state
                .app
                .session(t)
                .await
                .map_err(|e| ApiError::from(e).into_response())?,
            None => None,
        };
        let locale = match &ctx {
            Some(c) => c.locale(),
            None => cookie(&parts.headers, LOCALE_COOKIE)
                .map(|l| Locale::from_tag(&l))
                .or_else(|| {
                    parts
                        .headers
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(Locale::from_accept_language)
                })
                .unwrap_or_default(),
        };
        Ok(Visitor {
            ctx,
            token,
            locale,
            ip: client_ip(parts),
            form_token: cookie(&parts.headers, FORM_COOKIE),
            secure_cookies: state.secure_cookies,
        })
    }
}

/// A person fully signed in (second factor done, enrolled where required).
/// Pages that take it redirect everyone else to the right step.
pub struct SignedIn {
    pub ctx: SessionContext,
    pub actor: Actor,
    pub locale: Locale,
}

impl SignedIn {
    pub fn csrf(&self) -> &str {
        &self.ctx.session.csrf_token
    }
    pub fn check_csrf(&self, given: &str) -> Result<(), ApiError> {
        check_csrf(&self.ctx.session.csrf_token, given)
    }
    /// This person's clock: their organisation's stored time zone (a mail
    /// center's is its location's unless its admins chose another), their
    /// language.
    #[allow(dead_code)] // until the pages read times with it
    pub fn when(&self) -> When {
        When::from_zone(courrier_app::accounts::org_zone(&self.ctx.org), self.locale)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let v = Visitor::from_request_parts(parts, state).await?;
        let Some(ctx) = v.ctx else {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            return Err(Redirect::to(&format!("/login?next={}", urlencode(next))).into_response());
        };
        match ctx.stage() {
            SessionStage::NeedsSecondFactor => Err(Redirect::to("/login/2fa").into_response()),
            SessionStage::MustEnrol => Err(Redirect::to("/account/2fa").into_response()),
            SessionStage::Complete => {
                let actor = ctx.actor(v.ip);
                Ok(SignedIn {
                    ctx,
                    actor,
                    locale: v.locale,
                })
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site paths may be redirect targets after sign-in: `/` followed
/// by letters, digits and `/_-.~?=&%` only, and not `//` (another host).
/// Anything else (a backslash, a tab or newline a browser would drop, a
/// scheme) sends to `/`.
pub fn safe_next(next: Option<&str>) -> String {
    let safe = |n: &str| {
        n.starts_with('/')
            && !n.starts_with("//")
            && n.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'/' | b'_' | b'-' | b'.' | b'~' | b'?' | b'=' | b'&' | b'%' | b'+' | b','
                    )
            })
    };
    match next {
        Some(n) if safe(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_redirects() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; courrier_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/org/users")), "/org/users");
        assert_eq!(
            safe_next(Some("/mail?q=x&page=2%20")),
            "/mail?q=x&page=2%20"
        );
        for bad in [
            "/\t/evil.example",
            "/\\t/evil.example",
            "/\n/evil.example",
            "//evil",
            "/\\evil",
            "/\\/evil",
            "https://x",
            "evil",
            "/ok#//evil",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert!(check_csrf("abc", "abd").is_err());
        assert!(check_csrf("", "").is_err());
        let c = set_cookie("x", "y", 60, true);
        assert!(c.to_str().unwrap().contains("HttpOnly") && c.to_str().unwrap().contains("Secure"));
    }
}
