//! What every handler receives.

use courrier_app::App;
use courrier_domain::OrgId;
use ipnet::IpNet;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The HTTP layer's own settings (the use cases' are in `courrier_app::Settings`).
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed
    /// (the TLS proxy in front). Empty: every request's address is its peer's.
    pub trusted_proxies: Vec<IpNet>,
    /// The bearer token `/metrics` requires; without one `/metrics` answers 404.
    pub metrics_token: Option<String>,
    /// API requests per organisation and minute; `None` for no limit.
    pub api_rate_per_minute: Option<u32>,
    /// Requests an organisation may send at once before the rate applies.
    pub api_rate_burst: u32,
}

/// Default API rate per organisation: 600 requests a minute, 300 at once.
pub const DEFAULT_API_RATE_PER_MINUTE: u32 = 600;
pub const DEFAULT_API_RATE_BURST: u32 = 300;

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            trusted_proxies: Vec::new(),
            metrics_token: None,
            api_rate_per_minute: Some(DEFAULT_API_RATE_PER_MINUTE),
            api_rate_burst: DEFAULT_API_RATE_BURST,
        }
    }
}

/// Parses CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or single addresses, naming
/// the first one that is neither.
pub fn parse_trusted_proxies<S: AsRef<str>>(list: &[S]) -> Result<Vec<IpNet>, String> {
    list.iter()
        .map(|s| {
            let s = s.as_ref().trim();
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| format!("'{s}' is not an address or CIDR such as 10.0.0.0/8"))
        })
        .collect()
}

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub metrics: PrometheusHandle,
    /// Set the `Secure` flag on cookies (when the public URL is https).
    pub secure_cookies: bool,
    pub web: Arc<WebSettings>,
    pub api_rate: Arc<RateLimiter>,
}

impl AppState {
    /// The state with default web settings.
    pub fn new(app: Arc<App>) -> AppState {
        AppState::with_settings(app, WebSettings::default())
    }

    pub fn with_settings(app: Arc<App>, web: WebSettings) -> AppState {
        let secure_cookies = app.settings.public_url.starts_with("https://");
        let api_rate = RateLimiter::new(web.api_rate_per_minute, web.api_rate_burst);
        AppState {
            app,
            metrics: metrics_handle(),
            secure_cookies,
            web: Arc::new(web),
            api_rate: Arc::new(api_rate),
        }
    }
}

/// A token bucket per organisation, in this process's memory: each
/// organisation may send `burst` requests at once, refilled at `per_minute`.
/// Several server processes each allow that much.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: Option<u32>,
    burst: u32,
    buckets: Mutex<HashMap<OrgId, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: Option<u32>, burst: u32) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.filter(|r| *r > 0),
            burst: burst.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request of `org` at `now`; `Err(wait)` when its bucket is
    /// empty, with how long until the next request is allowed.
    pub fn take(&self, org: OrgId, now: Instant) -> Result<(), Duration> {
        let Some(per_minute) = self.per_minute else {
            return Ok(());
        };
        let per_sec = f64::from(per_minute) / 60.0;
        let burst = f64::from(self.burst);
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let b = buckets.entry(org).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_sec).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::try_from_secs_f64((1.0 - b.tokens) / per_sec)
                .unwrap_or(Duration::from_secs(60)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_per_organisation() {
        let limiter = RateLimiter::new(Some(60), 3);
        let (a, b) = (OrgId::random(), OrgId::random());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(a, t0).is_ok());
        }
        let wait = limiter.take(a, t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(
            limiter.take(b, t0).is_ok(),
            "another organisation has its own bucket"
        );
        assert!(limiter.take(a, t0 + Duration::from_secs(1)).is_ok());
        assert!(limiter.take(a, t0 + Duration::from_secs(1)).is_err());
        let off = RateLimiter::new(None, 1);
        for _ in 0..1000 {
            assert!(off.take(a, t0).is_ok());
        }
    }

    #[test]
    fn trusted_proxies_parse() {
        let nets = parse_trusted_proxies(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]).unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[2].contains(&"192.0.2.1".parse::<std::net::IpAddr>().unwrap()));
        let e = parse_trusted_proxies(&["10.0.0.0/33"]).unwrap_err();
        assert!(e.contains("10.0.0.0/33"), "{e}");
    }
}
