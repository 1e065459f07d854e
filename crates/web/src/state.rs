//! What every handler receives.

use courrier_app::App;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub metrics: PrometheusHandle,
    /// Set the `Secure` flag on cookies (when the public URL is https).
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(app: Arc<App>) -> AppState {
        let secure_cookies = app.settings.public_url.starts_with("https://");
        AppState {
            app,
            metrics: metrics_handle(),
            secure_cookies,
        }
    }
}

/// The process-wide Prometheus recorder, installed once.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "a metrics recorder was already installed; /metrics shows this one only"
                );
            }
            handle
        })
        .clone()
}
