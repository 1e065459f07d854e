//! Long-running `tesseract` processes, one page at a time each.
//!
//! A worker is `tesseract - stdout … -c stream_filelist=true hocr`: it loads
//! the language models once, then reads image paths from its standard input,
//! one per line, and writes each page's hOCR to its standard output as soon
//! as the page is done (flushed per page). A page ends with the `</div>` that
//! closes its `ocr_page` element, so the reader knows when the page is
//! complete. Starting Tesseract with four languages costs about 0.3 s of CPU;
//! a worker pays it once instead of once per page. Each worker runs with
//! `OMP_THREAD_LIMIT=1`: one page uses one core, and parallelism comes from
//! running several workers.
//!
//! If Tesseract cannot read an image it stops: the worker is dropped (and
//! killed) and the next page gets a fresh one. Idle workers are kept for the
//! engine's idle timeout, then stopped.

use super::{OcrError, install_hint};

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

/// Lines of Tesseract's standard error kept for an error message.
const STDERR_LINES: usize = 8;

/// How Tesseract is started.
#[derive(Debug, Clone)]
pub(crate) struct TesseractCommand {
    pub(crate) program: std::path::PathBuf,
    /// `fra+deu+ita+eng`.
    pub(crate) languages: String,
}

impl TesseractCommand {
    /// A command with the common arguments after the input and output names.
    pub(crate) fn command(&self, input: &str) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg(input)
            .arg("stdout")
            .args(["-l", &self.languages, "--psm", "1", "--oem", "1"])
            // Without it Tesseract's OpenMP threads fight each other and the
            // other workers: up to 15 times slower on a loaded machine.
            .env("OMP_THREAD_LIMIT", "1")
            .kill_on_drop(true);
        cmd
    }

    fn language_list(&self) -> Vec<String> {
        self.languages.split('+').map(str::to_string).collect()
    }

    /// The error for a failed start: `Unavailable` when the program is missing.
    pub(crate) fn start_error(&self, e: &std::io::Error) -> OcrError {
        if e.kind() == std::io::ErrorKind::NotFound {
            OcrError::Unavailable(format!(
                "{} was not found: install Tesseract ({})",
                self.program.display(),
                install_hint(&self.language_list())
            ))
        } else {
            OcrError::Unavailable(format!("{} could not start: {e}", self.program.display()))
        }
    }
}

/// Whether Tesseract's standard error says it could not load its models.
pub(crate) fn init_failed(stderr: &str) -> bool {
    stderr.contains("Failed loading language")
        || stderr.contains("Could not initialize tesseract")
        || stderr.contains("Error opening data file")
}

/// One running `tesseract` in stream mode.
pub(crate) struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    stderr_task: Option<JoinHandle<()>>,
    /// Pages done, to tell a start failure from a page failure.
    pages: u64,
}

/// Why a worker could not return a page.
pub(crate) enum WorkerError {
    /// Tesseract stopped (or could not be talked to) before the page was
    /// complete. `detail` is the end of its standard error.
    Stopped { detail: String, at_start: bool },
}

impl Worker {
    pub(crate) fn start(tesseract: &TesseractCommand) -> Result<Worker, OcrError> {
        let mut cmd = tesseract.command("-");
        cmd.args(["-c", "stream_filelist=true", "hocr"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| tesseract.start_error(&e))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(OcrError::Unavailable(
                "tesseract started without its pipes".into(),
            ));
        };
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        // Tesseract writes a line per page ("Page 3 : /path") and warnings to
        // standard error; drain it so it never blocks, keeping the last lines.
        let stderr_task = tokio::spawn({
            let tail = tail.clone();
            async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.starts_with("Page ") {
                        continue;
                    }
                    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                    if tail.len() == STDERR_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr: tail,
            stderr_task: Some(stderr_task),
            pages: 0,
        })
    }

    /// Recognises the image at `path` and returns the page's hOCR (the
    /// `ocr_page` element). On error the worker must be dropped.
    pub(crate) async fn recognize(&mut self, path: &Path) -> Result<String, WorkerError> {
        let Some(path) = path.to_str().filter(|p| !p.contains('\n')) else {
            return Err(WorkerError::Stopped {
                detail: "the image path is not valid UTF-8 on one line".into(),
                at_start: false,
            });
        };
        let request = format!("{path}\n");
        let sent = async {
            self.stdin.write_all(request.as_bytes()).await?;
            self.stdin.flush().await
        }
        .await;
        if sent.is_err() {
            return Err(self.stopped().await);
        }
        let mut page = String::new();
        let mut depth: i64 = 0;
        let mut in_page = false;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match self.stdout.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => return Err(self.stopped().await),
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf);
            if !in_page {
                if !line.contains("'ocr_page'") {
                    // The document header before the first page.
                    continue;
                }
                in_page = true;
            }
            depth += count(&line, "<div") - count(&line, "</div>");
            page.push_str(&line);
            if depth <= 0 {
                self.pages += 1;
                return Ok(page);
            }
        }
    }

    /// The error after Tesseract stopped: waits for it and its last words.
    async fn stopped(&mut self) -> WorkerError {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        if let Some(task) = self.stderr_task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
        let detail = self
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("; ");
        WorkerError::Stopped {
            detail: if detail.is_empty() {
                "tesseract stopped without a message".into()
            } else {
                detail
            },
            at_start: self.pages == 0,
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The child is killed by kill_on_drop; the stderr reader then ends.
        if let Some(task) = self.stderr_task.take() {
            task.abort();
        }
    }
}

fn count(line: &str, needle: &str) -> i64 {
    i64::try_from(line.matches(needle).count()).unwrap_or(i64::MAX)
}

/// Idle workers, most recently used last.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<Vec<(Worker, Instant)>>,
}

impl Pool {
    /// An idle worker, if one is left; workers idle for longer than
    /// `idle_timeout` are stopped first.
    pub(crate) fn take(&self, idle_timeout: Duration) -> Option<Worker> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain(|(_, since)| since.elapsed() < idle_timeout);
        idle.pop().map(|(worker, _)| worker)
    }

    /// Keeps a worker for the next page, and schedules stopping it if it
    /// stays idle (through a weak handle, so the engine can go away).
    pub(crate) fn put(self: &Arc<Self>, worker: Worker, idle_timeout: Duration) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((worker, Instant::now()));
        let weak: Weak<Pool> = Arc::downgrade(self);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(idle_timeout + Duration::from_millis(50)).await;
                if let Some(pool) = weak.upgrade() {
                    pool.idle
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .retain(|(_, since)| since.elapsed() < idle_timeout);
                }
            });
        }
    }

    pub(crate) fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
