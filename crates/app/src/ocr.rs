//! OCR of scanned mail, so customers can search their letters.
//!
//! A scanned PDF is drawn page by page at 300 dpi in process by
//! [`crate::raster`] (hayro, pure Rust; on a blocking thread holding one of
//! `max_parallel` places until it ends, within the page timeout), written
//! as 8-bit grey PNG (fast compression, with its resolution) into a private
//! temporary folder, and each page is recognised by **Tesseract** for the
//! configured languages (`fra+deu+ita+eng` by default), page segmentation 1
//! (automatic, with orientation detection) and the LSTM engine. Images (PNG,
//! JPEG, TIFF) skip the rasterising.
//!
//! Pages run in parallel up to [`OcrConfig::max_parallel`] (the number of
//! cores by default), bounded by one semaphore per engine, so concurrent
//! calls share the cores instead of multiplying the load. Each page holds one
//! permit while it is rasterised and recognised.
//!
//! Tesseract runs as a program, not in process: see `ocr/worker.rs` for the
//! long-running Tesseract processes that load the language models once
//! instead of once per page, always with `OMP_THREAD_LIMIT=1`. Running it as
//! a program keeps a crash or a stuck page out of the server (a page that
//! takes too long is killed), needs no C headers to build, and the OpenMP
//! limit is set per process, which the in-process library cannot guarantee.
//! BENCHMARKS.md has the measurements behind this choice.
//!
//! Temporary files (the PDF, page images) live in a folder only this user can
//! read and are deleted when a call ends, whatever the outcome. Recognised
//! text is never logged.

mod hocr;
mod text;
mod worker;

use courrier_domain::codes;
pub use text::normalize_text;

use crate::AppError;
use courrier_domain::Invalid;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OnceCell, Semaphore};
use tokio::task::JoinSet;
use worker::{Pool, TesseractCommand, Worker, WorkerError};

/// Tesseract languages used unless configured otherwise: French, German,
/// Italian and English.
pub const DEFAULT_LANGUAGES: [&str; 4] = ["fra", "deu", "ita", "eng"];
/// Resolution PDF pages are rasterised at.
pub const RASTER_DPI: u32 = 300;

/// The Debian packages that provide Tesseract for `languages`.
pub fn install_hint(languages: &[String]) -> String {
    let mut packages = vec!["tesseract-ocr".to_string()];
    packages.extend(
        languages
            .iter()
            .map(|l| format!("tesseract-ocr-{}", l.to_lowercase().replace('_', "-"))),
    );
    format!("apt-get install {}", packages.join(" "))
}

/// The text of one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageOcr {
    /// 1-based page number.
    pub page: u32,
    /// Normalised text: see [`normalize_text`].
    pub text: String,
    /// Tesseract's mean word confidence, 0–100; `None` when the page has no
    /// words (a blank page).
    pub mean_confidence: Option<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// Tesseract is missing, or a language's data is; the message
    /// says what to install.
    #[error("OCR is unavailable: {0}")]
    Unavailable(String),
    /// The input is not a PDF that can be read.
    #[error("the file is not a readable PDF: {0}")]
    InvalidPdf(String),
    /// The input is not a PNG, JPEG or TIFF image.
    #[error("unsupported image: {0}")]
    UnsupportedImage(String),
    /// One page could not be rasterised or recognised.
    #[error("page {page}: {reason}")]
    Page { page: u32, reason: String },
    /// The configuration is not usable.
    #[error("invalid OCR configuration: {0}")]
    Config(String),
    /// Temporary files could not be written.
    #[error("OCR temporary files: {0}")]
    Io(#[from] std::io::Error),
    #[error("OCR internal error: {0}")]
    Internal(String),
}

impl From<OcrError> for AppError {
    fn from(e: OcrError) -> Self {
        match e {
            OcrError::InvalidPdf(_) | OcrError::UnsupportedImage(_) | OcrError::Page { .. } => {
                AppError::Invalid(Invalid::new("file", codes::OCR_UNREADABLE, e.to_string()))
            }
            OcrError::Unavailable(_) => AppError::Refused(codes::OCR_UNAVAILABLE),
            other => AppError::Internal(other.into()),
        }
    }
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct OcrConfig {
    /// Tesseract language codes, recognised together (`fra+deu+ita+eng`).
    pub languages: Vec<String>,
    /// Pages recognised at the same time by one engine, all calls together.
    /// Default: the number of cores.
    pub max_parallel: usize,
    /// Longest time one page may take to rasterise, or to recognise, before
    /// it fails. Default 120 s.
    pub page_timeout: Duration,
    /// How long an idle Tesseract process is kept for the next page.
    /// Default 60 s.
    pub idle_timeout: Duration,
    /// Largest input accepted, in bytes. Default 200 MiB.
    pub max_input_bytes: usize,
    /// The `tesseract` program (looked up on `PATH` by default).
    pub tesseract: PathBuf,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            languages: DEFAULT_LANGUAGES.iter().map(|l| l.to_string()).collect(),
            max_parallel: std::thread::available_parallelism().map_or(1, usize::from),
            page_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            max_input_bytes: 200 * 1024 * 1024,
            tesseract: PathBuf::from("tesseract"),
        }
    }
}

/// Whether this server can recognise text, as the platform admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcrStatus {
    /// No OCR has run yet in this process.
    NotChecked,
    /// Tesseract answered and recognised a document.
    Ready,
    /// Tesseract (or a language's data) is missing: scans are kept, their
    /// text is not recognised, so search by it is off. `reason` says what
    /// to install (for the operator, never a customer).
    Unavailable { reason: String },
}

/// The process's OCR: the engine, created on first use with the configured
/// Tesseract program, and what the last run showed about it.
#[derive(Debug)]
pub struct OcrService {
    tesseract: PathBuf,
    engine: std::sync::OnceLock<OcrEngine>,
    status: std::sync::Mutex<OcrStatus>,
}

impl OcrService {
    /// OCR with the `tesseract` program (a name looked up on `PATH`, or a path).
    pub fn new(tesseract: PathBuf) -> OcrService {
        OcrService {
            tesseract,
            engine: std::sync::OnceLock::new(),
            status: std::sync::Mutex::new(OcrStatus::NotChecked),
        }
    }

    /// The engine, created on first use.
    pub fn engine(&self) -> Result<&OcrEngine, OcrError> {
        if let Some(engine) = self.engine.get() {
            return Ok(engine);
        }
        let engine = OcrEngine::new(OcrConfig {
            tesseract: self.tesseract.clone(),
            ..OcrConfig::default()
        })?;
        Ok(self.engine.get_or_init(|| engine))
    }

    pub fn status(&self) -> OcrStatus {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or(OcrStatus::NotChecked)
    }

    /// Records that OCR worked.
    pub fn ready(&self) {
        if let Ok(mut s) = self.status.lock() {
            *s = OcrStatus::Ready;
        }
    }

    /// Records that OCR is unavailable; the first time (or the first time
    /// after it worked) says so in the log, at warn, with what to install.
    pub fn unavailable(&self, reason: &str) {
        let Ok(mut s) = self.status.lock() else {
            return;
        };
        if !matches!(*s, OcrStatus::Unavailable { .. }) {
            tracing::warn!(
                reason,
                "text recognition is unavailable: scans are kept, search by their text is off"
            );
        }
        *s = OcrStatus::Unavailable {
            reason: reason.to_string(),
        };
    }
}

/// The OCR pipeline. Cheap to clone; clones share the cores' permits and the
/// running Tesseract processes.
#[derive(Clone)]
pub struct OcrEngine {
    inner: Arc<Inner>,
}

struct Inner {
    config: OcrConfig,
    tesseract: TesseractCommand,
    permits: Semaphore,
    /// Places of the pages being drawn: a drawing holds its place until its
    /// thread ends, even past its timeout (a thread cannot be stopped).
    drawing: Arc<Semaphore>,
    pool: Arc<Pool>,
    /// Set once [`Inner::check`] succeeded.
    ready: OnceCell<()>,
}

impl fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OcrEngine")
            .field("languages", &self.inner.tesseract.languages)
            .field("max_parallel", &self.inner.config.max_parallel)
            .finish_non_exhaustive()
    }
}

impl OcrEngine {
    /// An engine with `config`. Nothing is started yet: see [`Self::check`].
    pub fn new(config: OcrConfig) -> Result<OcrEngine, OcrError> {
        if config.languages.is_empty() {
            return Err(OcrError::Config("at least one language is needed".into()));
        }
        for language in &config.languages {
            let valid = !language.is_empty()
                && language
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(OcrError::Config(format!(
                    "{language:?} is not a Tesseract language code (e.g. fra, deu, chi_sim)"
                )));
            }
        }
        if config.max_parallel == 0 || config.max_parallel > 1024 {
            return Err(OcrError::Config(format!(
                "max_parallel must be between 1 and 1024, not {}",
                config.max_parallel
            )));
        }
        let tesseract = TesseractCommand {
            program: config.tesseract.clone(),
            languages: config.languages.join("+"),
        };
        Ok(OcrEngine {
            inner: Arc::new(Inner {
                permits: Semaphore::new(config.max_parallel),
                drawing: Arc::new(Semaphore::new(config.max_parallel)),
                tesseract,
                pool: Arc::new(Pool::default()),
                ready: OnceCell::new(),
                config,
            }),
        })
    }

    /// The languages, as given to Tesseract (`fra+deu+ita+eng`).
    pub fn languages(&self) -> &str {
        &self.inner.tesseract.languages
    }

    /// Pages recognised at the same time.
    pub fn max_parallel(&self) -> usize {
        self.inner.config.max_parallel
    }

    /// Checks that Tesseract and its data for every configured language are
    /// installed. `Unavailable` says what to install. The first
    /// OCR call of an engine checks too, once it succeeded (a missing second
    /// language would otherwise be skipped by Tesseract with only a warning).
    pub async fn check(&self) -> Result<(), OcrError> {
        self.inner.check().await
    }

    /// Recognises every page of a PDF, in page order. `progress(done, total)`
    /// is called with `(0, total)` once the pages are counted, then after
    /// each page. The first page that fails ends the call with an error
    /// naming it; the other pages are stopped.
    pub async fn ocr_pdf(
        &self,
        pdf: &[u8],
        progress: impl Fn(usize, usize),
    ) -> Result<Vec<PageOcr>, OcrError> {
        let started = Instant::now();
        self.inner.check_size(pdf.len(), OcrError::InvalidPdf)?;
        let head = pdf.get(..pdf.len().min(1024)).unwrap_or_default();
        if !head.windows(5).any(|w| w == b"%PDF-") {
            return Err(OcrError::InvalidPdf("it does not start like a PDF".into()));
        }
        self.inner.ensure_ready().await?;
        let dir = private_dir()?;
        let input: Arc<[u8]> = Arc::from(pdf);
        let result = self
            .inner
            .clone()
            .pdf_pages(input, dir.path(), progress)
            .await;
        remove_dir(dir);
        let kind = if result.is_ok() { "ok" } else { "failed" };
        metrics::counter!("courrier_ocr_documents_total", "result" => kind).increment(1);
        match &result {
            Ok(pages) => tracing::debug!(
                pages = pages.len(),
                elapsed_ms = started.elapsed().as_millis(),
                "OCR of a PDF done"
            ),
            Err(e) => tracing::warn!(error = %e, "OCR of a PDF failed"),
        }
        result
    }

    /// Recognises an image: PNG, JPEG or TIFF. A multi-page TIFF gives one
    /// [`PageOcr`] per page (recognised one after another in one Tesseract
    /// run); any other image gives one.
    pub async fn ocr_image(&self, image: &[u8]) -> Result<Vec<PageOcr>, OcrError> {
        self.inner
            .check_size(image.len(), OcrError::UnsupportedImage)?;
        let format = ImageFormat::detect(image).ok_or_else(|| {
            OcrError::UnsupportedImage(
                "expected a PNG, JPEG or TIFF image (use ocr_pdf for PDFs)".into(),
            )
        })?;
        self.inner.ensure_ready().await?;
        let pages = match format {
            ImageFormat::Tiff => count_tiff_pages(image).ok_or_else(|| {
                OcrError::UnsupportedImage("the TIFF file is damaged or truncated".into())
            })?,
            ImageFormat::Png | ImageFormat::Jpeg => 1,
        };
        let dir = private_dir()?;
        let path = dir.path().join(format!("image.{}", format.extension()));
        tokio::fs::write(&path, image).await?;
        let result = async {
            let _permit = self.inner.permit().await?;
            if pages == 1 {
                self.inner.recognize(&path, 1).await.map(|page| vec![page])
            } else {
                self.inner.recognize_all(&path, pages).await
            }
        }
        .await;
        remove_dir(dir);
        result
    }

    /// Tesseract processes waiting for a page (at most `max_parallel`; each
    /// holds the language models, about 230 MB for the four defaults).
    pub fn idle_workers(&self) -> usize {
        self.inner.pool.idle_count()
    }
}

impl Inner {
    /// See [`OcrEngine::check`].
    async fn check(&self) -> Result<(), OcrError> {
        let config = &self.config;
        let hint = install_hint(&config.languages);
        let listed = tokio::time::timeout(
            Duration::from_secs(30),
            self.tesseract.command("--list-langs").output(),
        )
        .await
        .map_err(|_| OcrError::Unavailable("tesseract --list-langs did not answer".into()))?
        .map_err(|e| self.tesseract.start_error(&e))?;
        // The first line is "List of available languages in ... (N):".
        let stdout = String::from_utf8_lossy(&listed.stdout);
        let available: Vec<&str> = stdout.lines().skip(1).map(str::trim).collect();
        let missing: Vec<&str> = config
            .languages
            .iter()
            .map(String::as_str)
            .filter(|l| !available.contains(l))
            .collect();
        if !listed.status.success() || !missing.is_empty() {
            return Err(OcrError::Unavailable(format!(
                "tesseract has no data for {}: {hint}",
                missing.join(", ")
            )));
        }
        Ok(())
    }

    /// Runs [`Self::check`] until it succeeds once.
    async fn ensure_ready(&self) -> Result<(), OcrError> {
        self.ready
            .get_or_try_init(|| self.check())
            .await
            .map(|_| ())
    }

    /// Refuses an input larger than `max_input_bytes`, with the error of
    /// its kind (`InvalidPdf` or `UnsupportedImage`).
    fn check_size(&self, len: usize, error: fn(String) -> OcrError) -> Result<(), OcrError> {
        if len > self.config.max_input_bytes {
            return Err(error(format!(
                "the file has {len} bytes, more than the {} accepted",
                self.config.max_input_bytes
            )));
        }
        Ok(())
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, OcrError> {
        self.permits
            .acquire()
            .await
            .map_err(|_| OcrError::Internal("the OCR engine is shutting down".into()))
    }

    /// Counts, rasterises and recognises the pages of `input`.
    async fn pdf_pages(
        self: Arc<Self>,
        input: Arc<[u8]>,
        dir: &Path,
        progress: impl Fn(usize, usize),
    ) -> Result<Vec<PageOcr>, OcrError> {
        let total = self.page_count(input.clone()).await?;
        let total_usize = usize::try_from(total).unwrap_or(usize::MAX);
        progress(0, total_usize);
        let mut tasks = JoinSet::new();
        for page in 1..=total {
            let inner = self.clone();
            let input = input.clone();
            let dir = dir.to_path_buf();
            tasks.spawn(async move { inner.pdf_page(input, &dir, page).await });
        }
        let mut pages = Vec::with_capacity(total_usize);
        let mut failure = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(page)) => {
                    pages.push(page);
                    progress(pages.len(), total_usize);
                }
                Ok(Err(e)) => {
                    failure = Some(e);
                    break;
                }
                Err(e) => {
                    failure = Some(OcrError::Internal(format!("an OCR task failed: {e}")));
                    break;
                }
            }
        }
        // Stop the other pages (their processes are killed) before the
        // temporary folder goes away.
        tasks.shutdown().await;
        if let Some(e) = failure {
            return Err(e);
        }
        pages.sort_by_key(|p| p.page);
        Ok(pages)
    }

    /// The number of pages, as the renderer sees it.
    async fn page_count(&self, input: Arc<[u8]>) -> Result<u32, OcrError> {
        let count = self
            .draw(move || crate::raster::page_count(&input))
            .await
            .map_err(|e| match e {
                Drawing::Late => OcrError::InvalidPdf("reading the PDF took too long".into()),
                Drawing::Failed(e) => OcrError::InvalidPdf(e.to_string()),
                Drawing::Stopped(e) => e,
            })?;
        u32::try_from(count).map_err(|_| OcrError::InvalidPdf("too many pages".into()))
    }

    /// Draws one page and recognises it, holding one permit.
    async fn pdf_page(&self, input: Arc<[u8]>, dir: &Path, page: u32) -> Result<PageOcr, OcrError> {
        let _permit = self.permit().await?;
        let image = dir.join(format!("page-{page}.png"));
        let result = match self.rasterise(input, &image, page).await {
            Ok(()) => self.recognize(&image, page).await,
            Err(e) => Err(e),
        };
        // Best effort: the folder is removed at the end of the call anyway.
        let _ = tokio::fs::remove_file(&image).await;
        result
    }

    /// Draws page `page` at [`RASTER_DPI`] in grey into the PNG `image`.
    async fn rasterise(&self, input: Arc<[u8]>, image: &Path, page: u32) -> Result<(), OcrError> {
        let number = usize::try_from(page).unwrap_or(usize::MAX);
        let png = self
            .draw(move || {
                crate::raster::render_grey(&input, number, RASTER_DPI as f32)
                    .and_then(|grey| grey.to_png())
            })
            .await
            .map_err(|e| match e {
                Drawing::Late => OcrError::Page {
                    page,
                    reason: format!(
                        "drawing took longer than {} s",
                        self.config.page_timeout.as_secs()
                    ),
                },
                Drawing::Failed(e) => OcrError::Page {
                    page,
                    reason: format!("could not be drawn: {e}"),
                },
                Drawing::Stopped(e) => e,
            })?;
        write_private(image, &png).await?;
        Ok(())
    }

    /// Runs `work` on a blocking thread that holds a drawing place until it
    /// ends, and waits for it at most the page timeout.
    async fn draw<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, crate::raster::RasterError> + Send + 'static,
    ) -> Result<T, Drawing> {
        let timeout = self.config.page_timeout;
        let place = tokio::time::timeout(timeout, self.drawing.clone().acquire_owned())
            .await
            .map_err(|_| Drawing::Late)?
            .map_err(|_| {
                Drawing::Stopped(OcrError::Internal("the OCR engine is shutting down".into()))
            })?;
        let handle = tokio::task::spawn_blocking(move || {
            let _place = place;
            work()
        });
        match tokio::time::timeout(timeout, handle).await {
            Err(_) => Err(Drawing::Late),
            Ok(Err(e)) => Err(Drawing::Stopped(OcrError::Internal(format!(
                "drawing a page failed: {e}"
            )))),
            Ok(Ok(result)) => result.map_err(Drawing::Failed),
        }
    }

    /// Recognises one single-page image with a pooled Tesseract process. A
    /// process taken from the pool may have died while idle: then the page
    /// is tried once more with a fresh one.
    async fn recognize(&self, image: &Path, page: u32) -> Result<PageOcr, OcrError> {
        let idle_timeout = self.config.idle_timeout;
        if let Some(worker) = self.pool.take(idle_timeout) {
            match self.recognize_with(worker, image, page).await {
                Err(Attempt::Stopped(_)) => {}
                Err(Attempt::Failed(e)) => return Err(e),
                Ok(page) => return Ok(page),
            }
        }
        let worker = Worker::start(&self.tesseract)?;
        match self.recognize_with(worker, image, page).await {
            Ok(page) => Ok(page),
            Err(Attempt::Failed(e)) => Err(e),
            Err(Attempt::Stopped(e)) => Err(self.page_error(page, e)),
        }
    }

    async fn recognize_with(
        &self,
        mut worker: Worker,
        image: &Path,
        page: u32,
    ) -> Result<PageOcr, Attempt> {
        let timeout = self.config.page_timeout;
        match tokio::time::timeout(timeout, worker.recognize(image)).await {
            Ok(Ok(hocr)) => {
                self.pool.put(worker, self.config.idle_timeout);
                let parsed = hocr::parse_pages(&hocr).into_iter().next();
                let parsed = parsed.unwrap_or_default();
                metrics::counter!("courrier_ocr_pages_total").increment(1);
                Ok(PageOcr {
                    page,
                    text: parsed.text(),
                    mean_confidence: parsed.mean_confidence(),
                })
            }
            // The worker is dropped, so killed.
            Ok(Err(e)) => Err(Attempt::Stopped(e)),
            Err(_) => Err(Attempt::Failed(OcrError::Page {
                page,
                reason: format!("recognition took longer than {} s", timeout.as_secs()),
            })),
        }
    }

    fn page_error(&self, page: u32, error: WorkerError) -> OcrError {
        let WorkerError::Stopped { detail, at_start } = error;
        if at_start && worker::init_failed(&detail) {
            OcrError::Unavailable(format!(
                "tesseract could not load its language data ({detail}): {}",
                install_hint(&self.config.languages)
            ))
        } else {
            OcrError::Page {
                page,
                reason: format!("tesseract failed: {detail}"),
            }
        }
    }

    /// Recognises every page of a multi-page image in one Tesseract run.
    async fn recognize_all(&self, image: &Path, pages: u32) -> Result<Vec<PageOcr>, OcrError> {
        let input = image
            .to_str()
            .ok_or_else(|| OcrError::Internal("temporary path is not UTF-8".into()))?;
        let mut cmd = self.tesseract.command(input);
        cmd.arg("hocr").stdin(Stdio::null());
        let timeout = self.config.page_timeout.saturating_mul(pages);
        let output = tokio::time::timeout(timeout, cmd.output())
            .await
            .map_err(|_| OcrError::Page {
                page: 1,
                reason: format!(
                    "recognising {pages} pages took longer than {} s",
                    timeout.as_secs()
                ),
            })?
            .map_err(|e| self.tesseract.start_error(&e))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let parsed = hocr::parse_pages(&stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let page = u32::try_from(parsed.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1);
            return Err(self.page_error(
                page,
                WorkerError::Stopped {
                    detail: first_error_line(&output.stderr),
                    at_start: parsed.is_empty() && worker::init_failed(&stderr),
                },
            ));
        }
        metrics::counter!("courrier_ocr_pages_total").increment(parsed.len() as u64);
        Ok(parsed
            .into_iter()
            .zip(1u32..)
            .map(|(p, page)| PageOcr {
                page,
                text: p.text(),
                mean_confidence: p.mean_confidence(),
            })
            .collect())
    }
}

/// Why drawing a page gave nothing.
enum Drawing {
    /// Past the page timeout.
    Late,
    /// The renderer refused the file.
    Failed(crate::raster::RasterError),
    /// The engine or the thread stopped.
    Stopped(OcrError),
}

/// Writes `bytes` to a new file only this user can read.
async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut f = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await?;
    f.write_all(bytes).await?;
    f.flush().await
}

/// How one attempt on a page ended.
enum Attempt {
    /// The Tesseract process stopped: another process may succeed.
    Stopped(WorkerError),
    /// The page failed for good (took too long).
    Failed(OcrError),
}

/// A temporary folder readable only by this user (mode 0700).
fn private_dir() -> Result<tempfile::TempDir, OcrError> {
    Ok(tempfile::Builder::new().prefix("courrier-ocr-").tempdir()?)
}

fn remove_dir(dir: tempfile::TempDir) {
    if let Err(e) = dir.close() {
        tracing::warn!(error = %e, "an OCR temporary folder could not be removed");
    }
}

/// The first line of a tool's standard error that says something, for a
/// message (Tesseract's lines are about the run, never the page's text).
fn first_error_line(stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.contains("Error") || l.contains("error"))
        .or_else(|| stderr.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("no message");
    line.chars().take(300).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageFormat {
    Png,
    Jpeg,
    Tiff,
}

impl ImageFormat {
    fn detect(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(ImageFormat::Jpeg)
        } else if [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"]
            .iter()
            .any(|magic| bytes.starts_with(*magic))
        {
            Some(ImageFormat::Tiff)
        } else {
            None
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Tiff => "tif",
        }
    }
}

/// The number of images (IFDs) in a TIFF or BigTIFF file; `None` when the
/// chain of directories is broken, loops, or is implausibly long.
fn count_tiff_pages(bytes: &[u8]) -> Option<u32> {
    let little = match bytes.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let read = |at: u64, len: usize| -> Option<u64> {
        let start = usize::try_from(at).ok()?;
        let field = bytes.get(start..start.checked_add(len)?)?;
        let mut value: u64 = 0;
        for i in 0..len {
            let byte = if little {
                field.get(len - 1 - i)?
            } else {
                field.get(i)?
            };
            value = (value << 8) | u64::from(*byte);
        }
        Some(value)
    };
    let (big, mut offset) = match read(2, 2)? {
        42 => (false, read(4, 4)?),
        43 => (true, read(8, 8)?),
        _ => return None,
    };
    let mut pages: u32 = 0;
    let mut seen = std::collections::HashSet::new();
    while offset != 0 {
        if !seen.insert(offset) || pages >= 10_000 {
            return None;
        }
        let (entries, count_len, entry_len, next_len) = if big {
            (read(offset, 8)?, 8, 20, 8)
        } else {
            (read(offset, 2)?, 2, 12, 4)
        };
        let next_at = offset
            .checked_add(count_len)?
            .checked_add(entries.checked_mul(entry_len)?)?;
        offset = read(next_at, next_len)?;
        pages += 1;
    }
    (pages > 0).then_some(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF with `n` empty directories chained.
    fn tiff_with(n: u32) -> Vec<u8> {
        let mut b = b"II*\0".to_vec();
        b.extend_from_slice(&8u32.to_le_bytes());
        for i in 0..n {
            b.extend_from_slice(&0u16.to_le_bytes());
            let next = if i + 1 == n { 0 } else { 8 + (i + 1) * 6 };
            b.extend_from_slice(&next.to_le_bytes());
        }
        b
    }

    #[test]
    fn tiff_pages_are_counted_and_damage_is_refused() {
        assert_eq!(count_tiff_pages(&tiff_with(1)), Some(1));
        assert_eq!(count_tiff_pages(&tiff_with(3)), Some(3));
        let truncated = tiff_with(3);
        assert_eq!(count_tiff_pages(&truncated[..truncated.len() - 2]), None);
        let mut looping = tiff_with(1);
        looping[10..14].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(count_tiff_pages(&looping), None);
        assert_eq!(count_tiff_pages(b"II*\0"), None);
        assert_eq!(count_tiff_pages(b"MM\0*\0\0\0\0"), None);
        assert_eq!(count_tiff_pages(b"XX"), None);
        assert_eq!(ImageFormat::detect(&tiff_with(1)), Some(ImageFormat::Tiff));
        assert_eq!(ImageFormat::detect(b"%PDF-1.7"), None);
    }

    #[test]
    fn configuration_is_checked() {
        let bad = |f: fn(&mut OcrConfig)| {
            let mut config = OcrConfig::default();
            f(&mut config);
            matches!(OcrEngine::new(config), Err(OcrError::Config(_)))
        };
        assert!(bad(|c| c.languages.clear()));
        assert!(bad(|c| c.languages = vec!["fra; rm".into()]));
        assert!(bad(|c| c.languages = vec![String::new()]));
        assert!(bad(|c| c.max_parallel = 0));
        let engine = OcrEngine::new(OcrConfig::default()).unwrap();
        assert_eq!(engine.languages(), "fra+deu+ita+eng");
        assert!(engine.max_parallel() >= 1);
        assert_eq!(engine.idle_workers(), 0);
        assert_eq!(
            install_hint(&["fra".into(), "chi_sim".into()]),
            "apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-chi-sim"
        );
    }

    #[tokio::test]
    async fn inputs_too_large_or_of_the_wrong_kind_are_refused_before_any_work() {
        // A missing tesseract shows that nothing was started.
        let engine = OcrEngine::new(OcrConfig {
            max_input_bytes: 100,
            tesseract: "/nonexistent/tesseract".into(),
            ..OcrConfig::default()
        })
        .unwrap();
        let big = [b"%PDF-1.7\n".as_slice(), &[b' '; 200]].concat();
        assert!(matches!(
            engine.ocr_pdf(&big, |_, _| {}).await,
            Err(OcrError::InvalidPdf(m)) if m.contains("more than the 100")
        ));
        assert!(matches!(
            engine.ocr_image(&[0x89; 200]).await,
            Err(OcrError::UnsupportedImage(_))
        ));
        assert!(matches!(
            engine.ocr_pdf(b"GIF89a", |_, _| {}).await,
            Err(OcrError::InvalidPdf(_))
        ));
        assert!(matches!(
            engine.ocr_image(b"%PDF-1.7").await,
            Err(OcrError::UnsupportedImage(m)) if m.contains("ocr_pdf")
        ));
        assert!(matches!(
            engine.ocr_image(b"\x89PNG\r\n\x1a\n").await,
            Err(OcrError::Unavailable(m)) if m.contains("apt-get install tesseract-ocr")
        ));
    }

    #[test]
    fn tool_errors_are_summarised() {
        assert_eq!(
            first_error_line(b"Syntax Warning: May not be a PDF file\nSyntax Error: Couldn't find trailer dictionary\n"),
            "Syntax Error: Couldn't find trailer dictionary"
        );
        assert_eq!(first_error_line(b"\n  odd  \n"), "odd");
        assert_eq!(first_error_line(b""), "no message");
    }
}
