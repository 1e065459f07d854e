//! Who is calling the API: an API key (`Authorization: Bearer cour_…`) or a
//! signed-in browser session. A session's unsafe requests must also carry
//! its CSRF token in `X-CSRF-Token`.

use crate::AppState;
use crate::error::ApiError;
use crate::session::{SESSION_COOKIE, check_csrf, client_ip, cookie};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use courrier_app::AppError;
use courrier_app::auth::SessionStage;
use courrier_domain::Actor;
use courrier_domain::codes;

pub struct ApiActor(pub Actor);

/// The identity idempotency keys are scoped to, without authenticating.
pub fn credential_scope(parts_headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(auth) = parts_headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let key = auth.strip_prefix("Bearer ").unwrap_or(auth).trim();
        let prefix = key
            .strip_prefix(courrier_app::apikeys::KEY_PREFIX)?
            .split('_')
            .next()?;
        return Some(format!("key:{prefix}"));
    }
    cookie(parts_headers, SESSION_COOKIE)
        .map(|t| format!("session:{}", courrier_app::tokens::token_hash(&t)))
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let actor = authenticate(parts, state).await?;
        // Each organisation has its own request budget, so one tenant's
        // traffic cannot starve the others.
        if let Err(wait) = state.api_rate.take(actor.org, std::time::Instant::now()) {
            let secs = i64::try_from(wait.as_secs())
                .unwrap_or(i64::MAX)
                .saturating_add(1);
            let mut e = ApiError::of(
                codes::RATE_LIMITED,
                format!("too many requests for your organisation; try again in {secs} s"),
            );
            e.retry_after = Some(secs);
            return Err(e);
        }
        Ok(ApiActor(actor))
    }
}

/// The caller's identity, from an API key or a complete session.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Actor, ApiError> {
    {
        let ip = client_ip(parts);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let text = auth
                .to_str()
                .map_err(|_| ApiError::from(AppError::Unauthenticated))?;
            let key = text
                .strip_prefix("Bearer ")
                .ok_or(AppError::Unauthenticated)?;
            return Ok(state.app.authenticate_api_key(key, ip).await?);
        }
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(AppError::Unauthenticated)?;
        let ctx = state
            .app
            .session(&token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if ctx.stage() != SessionStage::Complete {
            return Err(AppError::Unauthenticated.into());
        }
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let given = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            check_csrf(&ctx.session.csrf_token, given)?;
        }
        Ok(ctx.actor(ip))
    }
}

/// Refuses (403) a caller lacking `p`. Handlers call it before reading the
/// body, so a caller without the permission is refused, not told what is
/// wrong with what it sent.
pub fn need(actor: &Actor, p: courrier_domain::Permission) -> Result<(), ApiError> {
    actor
        .scope(p)
        .map(|_| ())
        .map_err(|e| ApiError::from(AppError::from(e)))
}
