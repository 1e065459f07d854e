//! `Idempotency-Key` for POST requests: the first request with a key runs and
//! its answer is stored; a repeat with the same body gets the same answer
//! (marked `Idempotent-Replayed: true`); a repeat with another body is a 409.
//! Keys are scoped to the caller's credential. Server errors release the key.

use crate::AppState;
use crate::api::auth::credential_scope;
use crate::error::ApiError;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use courrier_store::IdempotencyState;
use sha2::{Digest, Sha256};

const MAX_KEY_LEN: usize = 255;

pub async fn layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency.key_invalid",
            "Idempotency-Key must be 1 to 255 characters",
        )
        .into_response();
    }
    let Some(scope) = credential_scope(req.headers()) else {
        return next.run(req).await; // unauthenticated: the handler answers 401
    };
    let (parts, body) = req.into_parts();
    // The scope names a credential without checking it: authenticate before a
    // stored answer (which may hold a secret) can be replayed.
    // (Without taking from the organisation's rate budget: the handler does.)
    if let Err(e) = super::auth::authenticate(&parts, &st).await {
        return e.into_response();
    }
    // Uploads (letters, quotes) may be larger; an oversized body is drained so
    // the client reads the 413 instead of a reset connection.
    let limit = crate::upload::body_limit_for(parts.uri.path());
    let bytes = match crate::upload::read_body(body, limit).await {
        Ok(b) => b,
        Err(crate::upload::BodyError::TooLarge { .. }) if limit == crate::MAX_BODY_BYTES => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                "the request body is too large",
            )
            .into_response();
        }
        Err(e) => return e.into_api().into_response(),
    };
    let mut h = Sha256::new();
    h.update(parts.uri.path().as_bytes());
    h.update([0]);
    h.update(&bytes);
    let hash = hex::encode(h.finalize());
    let store = &st.app.store;
    match store
        .idempotency_begin(&scope, &key, &hash, st.app.now())
        .await
    {
        Err(e) => return ApiError::from(courrier_app::AppError::from(e)).into_response(),
        Ok(Some(IdempotencyState::Done {
            request_hash,
            status,
            body,
        })) if request_hash == hash => {
            let mut res =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return res;
        }
        Ok(Some(IdempotencyState::InProgress { request_hash })) if request_hash == hash => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency.in_progress",
                "a request with this Idempotency-Key is still running; retry in a moment",
            )
            .into_response();
        }
        Ok(Some(_)) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency.key_reused",
                "this Idempotency-Key was already used with a different request; use a new key for a new request",
            )
            .into_response();
        }
        Ok(None) => {}
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (res_parts, res_body) = res.into_parts();
    let Ok(res_bytes) = to_bytes(res_body, 16 * 1024 * 1024).await else {
        let _ = store.idempotency_abandon(&scope, &key).await;
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "response too large to store",
        )
        .into_response();
    };
    let outcome = if res_parts.status.is_server_error() {
        store.idempotency_abandon(&scope, &key).await
    } else {
        store
            .idempotency_finish(
                &scope,
                &key,
                res_parts.status.as_u16(),
                &String::from_utf8_lossy(&res_bytes),
            )
            .await
    };
    if let Err(e) = outcome {
        tracing::error!(error = %e, "idempotency record not saved");
    }
    Response::from_parts(res_parts, Body::from(res_bytes))
}
