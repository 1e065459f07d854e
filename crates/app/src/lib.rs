//! Courrier's use cases. [`App`] holds the store, the blob store, the vault's
//! master key, the clock and the mailer; each module adds the operations of
//! one area. This is the only crate that combines store, documents and domain;
//! the web layer and the CLI call it and nothing below it.

pub mod accounts;
pub mod apikeys;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod demo;
pub mod documents;
pub mod email;
pub mod error;
pub mod intake;
pub mod jobs;
pub mod letters;
pub mod mailbox;
mod mailbox_views;
pub mod ocr;
pub mod platform;
pub mod preview;
pub mod raster;
pub mod render;
pub mod reports;
pub mod runs;
pub mod scan;
pub mod tariffs;
pub mod tokens;
pub mod vault;
pub mod webhooks;
pub mod workers;

pub use error::AppError;

use courrier_domain::Clock;
use courrier_store::Store;
use courrier_store::blob::BlobStore;
use std::sync::Arc;
use vault::SecretKey;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings the use cases need, taken from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where people reach Courrier, used in links sent by e-mail.
    pub public_url: String,
    pub session_hours: i64,
    /// Login attempts allowed per address in the throttle window.
    pub max_login_failures: i64,
    pub throttle_window_secs: i64,
    /// The render worker and its limits (customer templates render in a
    /// child process, see [`render`]).
    pub render: render::RenderSettings,
    /// Accept webhook endpoints on this machine and private networks
    /// (`http://127.0.0.1`, `http://localhost`, RFC 1918 and unique local
    /// addresses), at registration and when delivering. Off by default (the
    /// `webhooks_allow_private` setting): endpoints must be public
    /// `https://` addresses. On for a development instance and for tests.
    /// Link-local (cloud metadata) and other special addresses stay refused.
    pub webhooks_allow_private: bool,
    /// Documents worked on at once (PDF reading, composing, combining
    /// scans); see [`workers::DocumentWorkers`]. Default: the machine's cores.
    pub document_threads: usize,
    /// Time budget of one document's work, in seconds (waiting for a place
    /// included). Default 10.
    pub document_seconds: u64,
    /// The Tesseract program for OCR (the `ocr_tesseract` setting): a name
    /// looked up on `PATH` (default `tesseract`) or a path.
    pub ocr_tesseract: std::path::PathBuf,
}

impl Settings {
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_string(),
            session_hours: 12,
            max_login_failures: 5,
            throttle_window_secs: 15 * 60,
            render: render::RenderSettings::default(),
            webhooks_allow_private: false,
            document_threads: workers::DocumentWorkers::default_threads(),
            document_seconds: 10,
            ocr_tesseract: "tesseract".into(),
        }
    }
}

/// Everything a use case needs; shared behind an `Arc`.
pub struct App {
    pub store: Store,
    pub blobs: BlobStore,
    master: SecretKey,
    pub clock: Arc<dyn Clock>,
    pub mailer: email::Mailer,
    /// Scans uploads; see [`App::check_upload`].
    pub scanner: scan::VirusScanner,
    /// Renders templates in worker processes (from `settings.render`).
    pub renders: Arc<render::RenderPool>,
    pub settings: Settings,
    /// Where every CPU-heavy document work runs.
    pub document_workers: workers::DocumentWorkers,
    /// Text recognition of scans, and whether it is installed.
    pub ocr: ocr::OcrService,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .field("blobs", &self.blobs.description())
            .field("scanner", &self.scanner)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn new(
        store: Store,
        blobs: BlobStore,
        master: SecretKey,
        clock: Arc<dyn Clock>,
        mailer: email::Mailer,
        scanner: scan::VirusScanner,
        settings: Settings,
    ) -> Arc<App> {
        scanner.log_setting();
        let document_workers = workers::DocumentWorkers::new(
            settings.document_threads,
            std::time::Duration::from_secs(settings.document_seconds),
        );
        Arc::new(App {
            document_workers,
            ocr: ocr::OcrService::new(settings.ocr_tesseract.clone()),
            store,
            blobs,
            master,
            clock,
            mailer,
            scanner,
            renders: Arc::new(render::RenderPool::new(settings.render.clone())),
            settings,
        })
    }

    pub fn now(&self) -> courrier_domain::Timestamp {
        self.clock.now()
    }

    /// What `datetime.today()` answers in a template rendered now, in `tz`.
    pub fn template_today(&self, tz: &jiff::tz::TimeZone) -> courrier_merge::Today {
        let now = jiff::Timestamp::from_millisecond(self.now().millis()).ok();
        courrier_merge::Today::at(now, tz)
    }
}
