//! Operational endpoints and request metrics.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use courrier_app::tokens::constant_time_eq;

pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new("")
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        .get("/metrics", metrics_text)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers.
async fn readyz(State(s): State<AppState>) -> Response {
    match s.app.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// The Prometheus metrics, for the holder of the `metrics_token` only
/// (`Authorization: Bearer <token>`); without a token configured there is
/// no `/metrics` (404), so nothing about the traffic is public.
async fn metrics_text(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = s.web.metrics_token.as_deref().filter(|t| !t.is_empty()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(expected.as_bytes(), given.trim().as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "send the metrics token as 'Authorization: Bearer <token>'",
        )
            .into_response();
    }
    (
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

/// Counts requests and their latency by route and status.
pub async fn track_metrics(State(_s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("courrier_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("courrier_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}
