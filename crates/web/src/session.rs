//! Cookies, the browsing visitor, the signed-in person, and CSRF checks.
//! A session cookie holds a random token whose hash is stored; every form
//! carries the session's CSRF token (or, before sign-in, a double-submit
//! cookie), and a POST without the matching token is refused.
//!
//! Page forms are read through [`CsrfForm`] (URL-encoded) and
//! [`CsrfMultipart`] (uploads): they refuse a form whose `csrf_token` does
//! not match before the handler runs, with the 403 page of the form's screen
//! ([`crate::pages::refused_form`]). The check lives here alone.

use crate::AppState;
use crate::error::ApiError;
use crate::when::When;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::auth::{SessionContext, SessionStage};
use courrier_app::tokens::constant_time_eq;
use courrier_domain::{Actor, Locale, Permission};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
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

/// The form field every page form carries its token in.
pub const CSRF_FIELD: &str = "csrf_token";
/// The header an upload may carry its token in instead.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn check_csrf(expected: &str, given: &str) -> Result<(), ApiError> {
    if !expected.is_empty() && constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::csrf())
    }
}

/// The session loaded for a request, kept so that a second extractor (a
/// form's token check after `SignedIn`) does not load it again.
#[derive(Clone)]
struct LoadedSession(Option<SessionContext>);

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
        let ctx = match parts.extensions.get::<LoadedSession>() {
            // Loaded by an extractor before this one.
            Some(LoadedSession(ctx)) => ctx.clone(),
            None => {
                let ctx = match &token {
                    Some(t) => state
                        .app
                        .session(t)
                        .await
                        .map_err(|e| ApiError::from(e).into_response())?,
                    None => None,
                };
                parts.extensions.insert(LoadedSession(ctx.clone()));
                ctx
            }
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

impl Visitor {
    /// The token this visitor's forms must carry: the session's, or before
    /// sign-in the double-submit cookie's.
    pub fn form_token(&self) -> &str {
        match &self.ctx {
            Some(ctx) => &ctx.session.csrf_token,
            None => self.form_token.as_deref().unwrap_or(""),
        }
    }

    /// This visitor as a person fully signed in, if they are.
    pub fn signed_in(&self) -> Option<SignedIn> {
        let ctx = self.ctx.as_ref()?;
        (ctx.stage() == SessionStage::Complete).then(|| SignedIn {
            actor: ctx.actor(self.ip.clone()),
            ctx: ctx.clone(),
            locale: self.locale,
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
    /// This person's clock: their organisation's stored time zone (a mail
    /// center's is its location's unless its admins chose another), their
    /// language.
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

/// The answer to a form whose token does not match.
fn refuse(v: &Visitor, path: &str) -> Response {
    crate::pages::refused_form(v, path, &ApiError::csrf())
}

/// A URL-encoded page form whose `csrf_token` matches the visitor's form
/// token (the session's, or before sign-in the double-submit cookie's). A
/// form without it is refused with the 403 page of its screen before the
/// handler runs; then the body is read into `T` as [`Form`] reads it.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let v = Visitor::from_request_parts(&mut parts, state).await?;
        let path = parts.uri.path().to_string();
        let (method, uri) = (parts.method.clone(), parts.uri.clone());
        let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let sent: Fields = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let given = field(&sent, CSRF_FIELD);
        if check_csrf(v.form_token(), &given).is_err() {
            return Err(refuse(&v, &path));
        }
        let mut again = axum::http::Request::builder().method(method).uri(uri);
        if let Some(ct) = content_type {
            again = again.header(header::CONTENT_TYPE, ct);
        }
        let again = again
            .body(Body::from(bytes))
            .map_err(|_| ApiError::csrf().into_response())?;
        let Form(t) = Form::<T>::from_request(again, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(CsrfForm(t))
    }
}

/// A form whose fields a page reads by name, in order, as sent.
pub type Fields = Vec<(String, String)>;

/// The last value of the field `name`, or "".
pub fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// A multipart form kind a page reads (a letter or document upload, a scan).
pub trait MultipartKind: Sized + Send {
    fn parse(
        parts: Parts,
        body: Bytes,
    ) -> impl std::future::Future<Output = Result<Self, ApiError>> + Send;
    fn field(&self, name: &str) -> Option<&str>;
}

impl MultipartKind for crate::upload::UploadForm {
    async fn parse(parts: Parts, body: Bytes) -> Result<Self, ApiError> {
        crate::upload::parse_multipart(parts, body).await
    }
    fn field(&self, name: &str) -> Option<&str> {
        crate::upload::UploadForm::field(self, name)
    }
}

impl MultipartKind for crate::upload::ScanForm {
    async fn parse(parts: Parts, body: Bytes) -> Result<Self, ApiError> {
        crate::upload::parse_scan_multipart(parts, body).await
    }
    fn field(&self, name: &str) -> Option<&str> {
        crate::upload::ScanForm::field(self, name)
    }
}

/// A `multipart/form-data` page form (an upload) whose token matches, as
/// [`CsrfForm`] checks it: from the `x-csrf-token` header, checked before
/// the body is read; else from the form's `csrf_token` part, checked before
/// any file part is read when it comes first (as the pages' forms send it),
/// else once the form is read; always before the handler runs. A body that
/// cannot be read (too large, not multipart, malformed) is handed to the
/// handler as the error, which it shows as its form shows problems.
///
/// The gate `G` names the permission the form needs: a signed-in sender
/// without it is refused (403, in the screen's frame) before a byte of the
/// upload is read, so a refused upload costs the server nothing.
pub struct CsrfMultipart<F = crate::upload::UploadForm, G = AnySender>(
    pub Result<F, ApiError>,
    pub PhantomData<G>,
);

/// The permission a multipart page form needs before its body is read.
pub trait UploadGate: Send {
    const NEEDS: Option<Permission>;
}

macro_rules! upload_gates {
    ($($(#[$doc:meta])* $name:ident => $needs:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl UploadGate for $name {
            const NEEDS: Option<Permission> = $needs;
        }
    )*};
}

upload_gates! {
    /// Anyone the screen lets in (the use case checks further).
    AnySender => None;
    /// A letter or a run: `letters.send`.
    LetterSender => Some(Permission::LettersSend);
    /// Mail-center intake and task completion: `mailcenter.operate`.
    CenterOperator => Some(Permission::MailCenterOperate);
    /// A customer's own mailbox documents: `mailbox.act`.
    MailboxActor => Some(Permission::MailboxAct);
}

impl<F: MultipartKind, G: UploadGate> FromRequest<AppState> for CsrfMultipart<F, G> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let v = Visitor::from_request_parts(&mut parts, state).await?;
        let path = parts.uri.path().to_string();
        if let (Some(needed), Some(s)) = (G::NEEDS, v.signed_in())
            && !s.actor.can(needed)
        {
            let e = ApiError::from(courrier_app::AppError::Forbidden(needed));
            return Err(crate::pages::refused_form(&v, &path, &e));
        }
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .map(|h| h.to_str().unwrap_or("").to_string());
        if let Some(given) = &header_token
            && check_csrf(v.form_token(), given).is_err()
        {
            return Err(refuse(&v, &path));
        }
        let (parts, body) =
            match crate::upload::read_request(Request::from_parts(parts, body)).await {
                Ok(x) => x,
                Err(e) => return Ok(CsrfMultipart(Err(e), PhantomData)),
            };
        if !crate::upload::is_multipart(&parts) {
            return Ok(CsrfMultipart(
                Err(ApiError::new(
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
                    "send the form as multipart/form-data",
                )),
                PhantomData,
            ));
        }
        // A token sent before the files (as the pages' forms send it) is
        // checked before any file part is read.
        if header_token.is_none()
            && let Some(given) = leading_token(&parts, &body).await
            && check_csrf(v.form_token(), &given).is_err()
        {
            return Err(refuse(&v, &path));
        }
        let form = match F::parse(parts, body).await {
            Ok(f) => f,
            Err(e) => return Ok(CsrfMultipart(Err(e), PhantomData)),
        };
        if header_token.is_none()
            && check_csrf(v.form_token(), form.field(CSRF_FIELD).unwrap_or("")).is_err()
        {
            return Err(refuse(&v, &path));
        }
        Ok(CsrfMultipart(Ok(form), PhantomData))
    }
}

/// The `csrf_token` part of a multipart body if it comes before any file
/// part; the parts after it are not read.
async fn leading_token(parts: &Parts, body: &Bytes) -> Option<String> {
    let mut req = axum::http::Request::builder().method(parts.method.clone());
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req.body(Body::from(body.clone())).ok()?;
    let mut multipart = axum::extract::Multipart::from_request(req, &())
        .await
        .ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.file_name().is_some() {
            return None;
        }
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
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
