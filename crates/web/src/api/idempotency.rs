//! `Idempotency-Key` for POST requests: the first request with a key runs and
//! its answer is stored; a repeat of the same request (method, path, query,
//! content type and body) gets the same answer (marked `Idempotent-Replayed:
//! true`); a repeat of another request is a 409 `idempotency.key_reused`.
//! Keys are scoped to the caller's credential and kept 24 hours.
//!
//! While the first request runs it holds the key under a lease it renews
//! every [`HEARTBEAT`]; a repeat meanwhile is a 409 `idempotency.in_progress`
//! with `Retry-After`. A key whose server died is taken over once its lease
//! ran out, unless its change was committed. A server error releases the
//! key only when the request committed nothing (the store marks the key in
//! the transaction of every change); otherwise the error is the stored answer,
//! so a retry never makes a second letter or a second charge.

use crate::AppState;
use crate::api::auth::credential_scope;
use crate::error::ApiError;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use courrier_domain::codes;
use courrier_store::{IdempotencyClaim, IdempotencyState};
use sha2::{Digest, Sha256};

const MAX_KEY_LEN: usize = 255;
/// How long a request holds its key without renewing it.
pub const LEASE_SECS: i64 = 60;
/// How often a running request renews its lease.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(15);

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
        return ApiError::of(
            codes::IDEMPOTENCY_KEY_INVALID,
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
            return ApiError::of(codes::REQUEST_TOO_LARGE, "the request body is too large")
                .into_response();
        }
        Err(e) => return e.into_api().into_response(),
    };
    let hash = request_hash(&parts, &bytes);
    let claim = IdempotencyClaim {
        scope,
        key,
        owner: uuid::Uuid::new_v4().simple().to_string(),
    };
    let store = &st.app.store;
    let now = st.app.now();
    match store
        .idempotency_begin(&claim, &hash, now, now.plus_seconds(LEASE_SECS))
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
        Ok(Some(IdempotencyState::InProgress {
            request_hash,
            lease_until,
            effect_committed,
        })) if request_hash == hash => {
            if effect_committed && lease_until <= now {
                return ApiError::of(
                    codes::IDEMPOTENCY_ANSWER_LOST,
                    "the request with this Idempotency-Key was carried out, but the server stopped before answering; look the result up instead of sending it again",
                )
                .into_response();
            }
            let mut e = ApiError::of(
                codes::IDEMPOTENCY_IN_PROGRESS,
                "a request with this Idempotency-Key is still running; retry in a moment",
            );
            let left_ms = lease_until.millis().saturating_sub(now.millis());
            e.retry_after = Some((left_ms.saturating_add(999) / 1000).clamp(1, LEASE_SECS));
            return e.into_response();
        }
        Ok(Some(_)) => {
            return ApiError::of(
                codes::IDEMPOTENCY_KEY_REUSED,
                "this Idempotency-Key was already used with a different request; use a new key for a new request",
            )
            .into_response();
        }
        Ok(None) => {}
    }
    let run = courrier_store::with_claim(
        claim.clone(),
        next.run(Request::from_parts(parts, Body::from(bytes))),
    );
    let res = hold_while(&st, &claim, run).await;
    let (res_parts, res_body) = res.into_parts();
    let (res_parts, res_bytes) = match to_bytes(res_body, 16 * 1024 * 1024).await {
        Ok(b) => (res_parts, b),
        Err(_) => {
            let (p, b) = ApiError::of(codes::INTERNAL, "response too large to store")
                .into_response()
                .into_parts();
            let b = to_bytes(b, 64 * 1024).await.unwrap_or_default();
            (p, b)
        }
    };
    let body = String::from_utf8_lossy(&res_bytes);
    let status = res_parts.status.as_u16();
    let outcome = if res_parts.status.is_server_error() {
        // Released only if nothing was committed; otherwise the failure is
        // the answer a retry gets, and the change is not made twice.
        match store.idempotency_abandon(&claim).await {
            Ok(true) => Ok(true),
            Ok(false) => store.idempotency_finish(&claim, status, &body).await,
            Err(e) => Err(e),
        }
    } else {
        store.idempotency_finish(&claim, status, &body).await
    };
    match outcome {
        Ok(true) => {}
        Ok(false) => tracing::warn!("idempotency key taken over before the answer was stored"),
        Err(e) => tracing::error!(error = %e, "idempotency record not saved"),
    }
    Response::from_parts(res_parts, Body::from(res_bytes))
}

/// What identifies a request under one key: method, path, query, content
/// type and body.
fn request_hash(parts: &axum::http::request::Parts, body: &[u8]) -> String {
    let mut h = Sha256::new();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    for field in [
        parts.method.as_str().as_bytes(),
        parts.uri.path().as_bytes(),
        parts.uri.query().unwrap_or_default().as_bytes(),
        content_type,
    ] {
        h.update(u64::try_from(field.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(field);
    }
    h.update(body);
    hex::encode(h.finalize())
}

/// Runs the request while renewing its lease on the key every [`HEARTBEAT`].
async fn hold_while(
    st: &AppState,
    claim: &IdempotencyClaim,
    run: impl std::future::Future<Output = Response>,
) -> Response {
    tokio::pin!(run);
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    loop {
        tokio::select! {
            res = &mut run => return res,
            _ = beat.tick() => {
                let until = st.app.now().plus_seconds(LEASE_SECS);
                match st.app.store.idempotency_renew(claim, until).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("idempotency key taken over while its request runs"),
                    Err(e) => tracing::warn!(error = %e, "idempotency lease not renewed"),
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::post;
    use courrier_app::accounts::NewOrg;
    use courrier_app::{App, Settings};
    use courrier_domain::{
        Actor, Clock, Currency, ManualClock, OrgKind, OrgScope, Permission, Role, Timestamp,
    };
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    struct World {
        router: Router,
        bearer: String,
        made: Arc<AtomicUsize>,
        calls: Arc<AtomicUsize>,
        gate: Arc<tokio::sync::Semaphore>,
        admin: Actor,
        app: Arc<App>,
        _db: courrier_store::testing::TestDb,
        blobs: std::path::PathBuf,
    }

    impl Drop for World {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.blobs);
        }
    }

    /// An app with one organisation and API key, behind a router whose
    /// handlers make a real change (an API key, audited) and then fail, or
    /// fail first, or wait for the test.
    async fn world() -> World {
        let db = courrier_store::testing::TestDb::sqlite().await;
        let blobs = std::env::temp_dir().join(format!("courrier-idem-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&blobs).unwrap();
        let clock: Arc<dyn Clock> =
            Arc::new(ManualClock::at(Timestamp::from_millis(1_767_225_600_000)));
        let app = App::new(
            db.store.clone(),
            courrier_store::blob::BlobStore::open(blobs.to_str().unwrap()).unwrap(),
            courrier_app::vault::SecretKey::random(),
            clock,
            courrier_app::email::Mailer::NotConfigured,
            courrier_app::scan::VirusScanner::Disabled,
            Settings::new("http://localhost:8080/"),
        );
        let org = app
            .create_org(
                NewOrg {
                    name: "Muster AG".into(),
                    kind: OrgKind::Customer,
                    country: "ch".into(),
                    currency: Currency::CHF,
                },
                "system:test",
            )
            .await
            .unwrap();
        let user = app
            .add_user(
                &OrgScope::system(org, "system:test"),
                "anna@muster.test",
                "Anna",
                "correct horse battery staple",
                Role::Admin,
            )
            .await
            .unwrap();
        let admin = Actor::user(user, org, OrgKind::Customer, Role::Admin, None);
        let (_, secret) = app
            .create_api_key(&admin, "client", &[Permission::LettersRead])
            .await
            .unwrap();
        let st = AppState::new(app.clone());
        let made = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let (m, c, a) = (made.clone(), calls.clone(), admin.clone());
        let change_then_fail = move |State(st): State<AppState>| {
            let (m, c, a) = (m.clone(), c.clone(), a.clone());
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                let n = m.fetch_add(1, Ordering::SeqCst);
                st.app
                    .create_api_key(&a, &format!("made {n}"), &[Permission::LettersRead])
                    .await
                    .unwrap();
                ApiError::from(courrier_app::AppError::internal("after the change"))
            }
        };
        let c2 = calls.clone();
        let fail_first = move || {
            let c = c2.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                ApiError::from(courrier_app::AppError::internal("before any change"))
            }
        };
        let (c3, g) = (calls.clone(), gate.clone());
        let slow = move || {
            let (c, g) = (c3.clone(), g.clone());
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                let _permit = g.acquire().await.unwrap();
                (StatusCode::CREATED, "{\"ok\":true}")
            }
        };
        let router = Router::new()
            .route("/change-then-fail", post(change_then_fail))
            .route("/fail-first", post(fail_first))
            .route("/slow", post(slow))
            .layer(axum::middleware::from_fn_with_state(st.clone(), layer))
            .with_state(st);
        World {
            router,
            bearer: format!("Bearer {secret}"),
            made,
            calls,
            gate,
            admin,
            app,
            _db: db,
            blobs,
        }
    }

    impl World {
        async fn post(&self, uri: &str, key: &str, body: &'static str) -> Response {
            let req = axum::http::Request::post(uri)
                .header(header::AUTHORIZATION, &self.bearer)
                .header("idempotency-key", key)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            self.router.clone().oneshot(req).await.unwrap()
        }

        async fn keys_made(&self) -> usize {
            self.app
                .list_api_keys(&self.admin, None, 200)
                .await
                .unwrap()
                .items
                .iter()
                .filter(|k| k.name.starts_with("made "))
                .count()
        }
    }

    async fn code(res: Response) -> String {
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["code"].as_str().unwrap_or_default().to_string()
    }

    #[tokio::test]
    async fn a_server_error_after_the_change_keeps_the_key_and_replays() {
        let w = world().await;
        let first = w.post("/change-then-fail", "k1", "{}").await;
        assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let retry = w.post("/change-then-fail", "k1", "{}").await;
        assert_eq!(retry.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            retry.headers().get("idempotent-replayed").unwrap(),
            "true",
            "the stored answer, not a second run"
        );
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);
        assert_eq!(w.made.load(Ordering::SeqCst), 1);
        assert_eq!(w.keys_made().await, 1, "the change was made once");
    }

    #[tokio::test]
    async fn a_server_error_before_any_change_releases_the_key() {
        let w = world().await;
        let first = w.post("/fail-first", "k1", "{}").await;
        assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let retry = w.post("/fail-first", "k1", "{}").await;
        assert_eq!(retry.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(retry.headers().get("idempotent-replayed").is_none());
        assert_eq!(w.calls.load(Ordering::SeqCst), 2, "the retry ran again");
    }

    #[tokio::test]
    async fn the_query_string_and_method_are_part_of_the_request() {
        let w = world().await;
        w.gate.add_permits(100);
        let first = w.post("/slow?recipient=a", "k1", "{}").await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let same = w.post("/slow?recipient=a", "k1", "{}").await;
        assert_eq!(same.status(), StatusCode::CREATED);
        assert_eq!(same.headers().get("idempotent-replayed").unwrap(), "true");
        let other = w.post("/slow?recipient=b", "k1", "{}").await;
        assert_eq!(other.status(), StatusCode::CONFLICT);
        assert_eq!(code(other).await, "idempotency.key_reused");
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_repeat_while_the_first_runs_is_told_when_to_retry() {
        let w = Arc::new(world().await);
        let w1 = w.clone();
        let first = tokio::spawn(async move { w1.post("/slow", "k1", "{}").await.status() });
        for _ in 0..500 {
            if w.calls.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let repeat = w.post("/slow", "k1", "{}").await;
        assert_eq!(repeat.status(), StatusCode::CONFLICT);
        let retry_after: i64 = repeat
            .headers()
            .get(header::RETRY_AFTER)
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=LEASE_SECS).contains(&retry_after), "{retry_after}");
        assert_eq!(code(repeat).await, "idempotency.in_progress");
        w.gate.add_permits(1);
        assert_eq!(first.await.unwrap(), StatusCode::CREATED);
        assert_eq!(w.calls.load(Ordering::SeqCst), 1);
    }
}
