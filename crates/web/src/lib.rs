//! Courrier's HTTP face: the JSON API under `/api/v1` (with its OpenAPI
//! document), the server-rendered web app in French and English, and the
//! operational endpoints (`/healthz`, `/readyz`, `/metrics`). Only this crate
//! knows HTTP: status codes, cookies, wire formats.

// Handlers answer early with a ready `Response`; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod api;
mod error;
mod i18n;
mod ops;
mod pages;
mod protect;
mod routes;
mod session;
mod state;
mod upload;
// Until the pages read times with `SignedIn::when` (they are being split).
#[allow(dead_code)]
mod when;

pub use routes::RouteEntry;
pub use state::{
    AppState, DEFAULT_API_RATE_BURST, DEFAULT_API_RATE_PER_MINUTE, WebSettings,
    parse_trusted_proxies,
};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Largest request body accepted by default (uploads get their own limits).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Every method and path template the application serves, from the same
/// table that builds its router, in order.
pub fn route_list() -> Vec<RouteEntry> {
    let mut list = Vec::new();
    for routes in [pages::routes(), api::routes(), ops::routes()] {
        list.extend(routes.into_parts().1);
    }
    list.sort();
    list
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let (pages, _) = pages::routes().into_parts();
    let (api, _) = api::routes().into_parts();
    let (ops, _) = ops::routes().into_parts();
    Router::new()
        .merge(pages)
        .nest("/api/v1", api::router(state.clone(), api))
        .merge(ops)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::track_metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            protect::security_headers,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                let client = req
                    .extensions()
                    .get::<protect::ClientAddr>()
                    .map_or_else(|| "-".to_string(), |c| c.0.to_string());
                // Never the query, and never a token in the path.
                let path = protect::loggable_path(req.uri().path());
                tracing::info_span!("http", method = %req.method(), path = %path, client = %client, request_id = %id)
            }),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            protect::resolve_client,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
