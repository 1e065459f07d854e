//! Templates rendered in render workers: child processes that run
//! `courrier_merge::worker` (the `courrier render-worker` command in
//! production; the tests bring their own worker program). A template that
//! eats memory or time ends its worker, never the server.
//!
//! Each worker caps its address space and, per request, its CPU time; here
//! every request also has a wall-clock limit, past which the worker is
//! killed. A template that passes a limit is refused with
//! `merge.template_too_expensive`, naming the limit and its value. Workers
//! are kept between requests (a merge run renders thousands of letters), at
//! most [`RenderSettings::max_workers`] at once; a worker that ended is
//! replaced by a fresh one at the next request. [`RenderPool::stop`] kills
//! them all and refuses new requests, so a stopping server does not wait for
//! a runaway template.

use crate::{AppError, Result};
use courrier_domain::Invalid;
use courrier_domain::codes;
use courrier_merge::worker::{Job, MAX_FRAME, Request, Response, WorkerLimits};
use courrier_merge::{Template, Today};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// The code of a template refused for passing a limit.
pub const TOO_EXPENSIVE: courrier_domain::Code =
    courrier_domain::codes::MERGE_TEMPLATE_TOO_EXPENSIVE;
const FIELD: &str = "template";
/// Requests a worker serves before it is replaced (Typst's caches grow).
const RENDERS_PER_WORKER: u32 = 1000;
/// How much of a worker's standard error is kept, from the end.
const STDERR_TAIL: usize = 8 * 1024;
const MIB: u64 = 1024 * 1024;
// Signal numbers on Linux.
const SIGKILL: i32 = 9;
const SIGXCPU: i32 = 24;
const SIGABRT: i32 = 6;

/// The program that runs a render worker and its first arguments; the
/// limits' arguments follow them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl WorkerCommand {
    pub fn new(program: impl Into<PathBuf>, args: &[&str]) -> Self {
        Self {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }
}

/// How templates are rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderSettings {
    /// `None`: no worker is configured and rendering fails with an internal
    /// error (never in process).
    pub worker: Option<WorkerCommand>,
    /// Address space of a worker (`RLIMIT_AS`).
    pub memory_bytes: u64,
    /// CPU time of one render (`RLIMIT_CPU`).
    pub cpu_secs: u64,
    /// Wall-clock time of one render.
    pub wall_secs: u64,
    /// Workers running at once; more requests wait for one.
    pub max_workers: usize,
}

impl Default for RenderSettings {
    fn default() -> Self {
        Self {
            worker: None,
            memory_bytes: 1024 * MIB,
            cpu_secs: 20,
            wall_secs: 30,
            max_workers: 4,
        }
    }
}

/// Which limit a template passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Memory,
    Cpu,
    Wall,
}

impl RenderSettings {
    fn too_expensive(&self, limit: Limit) -> Invalid {
        let message = match limit {
            Limit::Memory => format!(
                "the template needs more memory than the limit of {} MiB: simplify it (shorter texts, fewer repetitions, smaller images)",
                self.memory_bytes / MIB
            ),
            Limit::Cpu => format!(
                "the template needs more computing time than the CPU time limit of {} s: simplify it (fewer or shorter loops)",
                self.cpu_secs
            ),
            Limit::Wall => format!(
                "the template took longer than the time limit of {} s to render: simplify it (fewer or shorter loops)",
                self.wall_secs
            ),
        };
        Invalid::new(FIELD, TOO_EXPENSIVE, message)
    }
}

fn stopping() -> AppError {
    AppError::internal("the server is stopping: templates are no longer rendered")
}

/// One worker process and its pipes.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    /// The end of its standard error, complete once it has ended.
    stderr: tokio::task::JoinHandle<Vec<u8>>,
    renders: u32,
}

impl Worker {
    fn spawn(command: &WorkerCommand, limits: WorkerLimits) -> Result<Worker> {
        let mut child = tokio::process::Command::new(&command.program)
            .args(&command.args)
            .args(limits.to_args())
            // Few malloc arenas: each reserves address space, which counts
            // against the worker's memory limit.
            .env("MALLOC_ARENA_MAX", "2")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                AppError::internal(format!(
                    "the render worker {} could not be started: {e}",
                    command.program.display()
                ))
            })?;
        let pipe = || AppError::internal("the render worker's pipes are missing");
        let stdin = child.stdin.take().ok_or_else(pipe)?;
        let stdout = child.stdout.take().ok_or_else(pipe)?;
        let mut err = child.stderr.take().ok_or_else(pipe)?;
        let stderr = tokio::spawn(async move {
            let mut tail = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = err.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(chunk.get(..n).unwrap_or_default());
                if tail.len() > STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
            tail
        });
        Ok(Worker {
            child,
            stdin,
            stdout,
            stderr,
            renders: 0,
        })
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Sends one request and reads the answer.
    async fn exchange(&mut self, payload: &[u8]) -> std::io::Result<Vec<u8>> {
        let len = u32::try_from(payload.len())
            .map_err(|_| std::io::Error::other("render request too large"))?;
        self.stdin.write_all(&len.to_be_bytes()).await?;
        self.stdin.write_all(payload).await?;
        self.stdin.flush().await?;
        let mut len = [0u8; 4];
        self.stdout.read_exact(&mut len).await?;
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_FRAME {
            return Err(std::io::Error::other("render response too large"));
        }
        let mut answer = vec![0u8; len];
        self.stdout.read_exact(&mut answer).await?;
        Ok(answer)
    }

    async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
    }

    /// How it ended and the end of what it wrote on standard error.
    async fn ended(mut self) -> (Option<std::process::ExitStatus>, String) {
        let status = match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => {
                let _ = self.child.start_kill();
                tokio::time::timeout(Duration::from_secs(2), self.child.wait())
                    .await
                    .ok()
                    .and_then(|r| r.ok())
            }
        };
        let stderr = tokio::time::timeout(Duration::from_secs(1), self.stderr)
            .await
            .ok()
            .and_then(|r| r.ok())
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&stderr).into_owned())
    }
}

/// What became of one request.
enum Exchange {
    Answered(std::io::Result<Vec<u8>>),
    TimedOut,
    Stopped,
}

/// The render workers of one process.
pub struct RenderPool {
    settings: RenderSettings,
    idle: Mutex<Vec<Worker>>,
    permits: tokio::sync::Semaphore,
    stop: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for RenderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderPool")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RenderPool {
    pub fn new(settings: RenderSettings) -> Self {
        let permits = tokio::sync::Semaphore::new(settings.max_workers.max(1));
        Self {
            settings,
            idle: Mutex::new(Vec::new()),
            permits,
            stop: tokio::sync::watch::Sender::new(false),
        }
    }

    pub fn settings(&self) -> &RenderSettings {
        &self.settings
    }

    /// Renders `template` to PDF. `Ok(Err(_))`: the template is wrong or
    /// too expensive; `Err(_)`: no worker could do it (none configured, it
    /// could not start, the server is stopping).
    pub async fn render(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
        today: Today,
    ) -> Result<std::result::Result<Vec<u8>, Invalid>> {
        let request = Request {
            job: Job::Render,
            template: template.clone(),
            inputs: inputs.clone(),
            today,
        };
        Ok(match self.call(&request).await? {
            Ok(Response::Pdf(pdf)) => Ok(pdf),
            Ok(Response::Error(e)) => Err(e.into()),
            Ok(Response::Pages(_)) => {
                return Err(AppError::internal(
                    "the render worker answered a page count to a render",
                ));
            }
            Err(e) => Err(e),
        })
    }

    /// Compiles `template` without exporting it: its page count.
    pub async fn check(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
        today: Today,
    ) -> Result<std::result::Result<usize, Invalid>> {
        let request = Request {
            job: Job::Check,
            template: template.clone(),
            inputs: inputs.clone(),
            today,
        };
        Ok(match self.call(&request).await? {
            Ok(Response::Pages(n)) => Ok(n),
            Ok(Response::Error(e)) => Err(e.into()),
            Ok(Response::Pdf(_)) => {
                return Err(AppError::internal(
                    "the render worker answered a PDF to a check",
                ));
            }
            Err(e) => Err(e),
        })
    }

    /// Kills every worker, idle or busy, and refuses requests from now on.
    pub fn stop(&self) {
        self.stop.send_replace(true);
        let idle: Vec<Worker> = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        // Dropping a worker kills its process.
        drop(idle);
    }

    /// The process ids of the idle workers.
    pub fn idle_worker_pids(&self) -> Vec<u32> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(Worker::pid)
            .collect()
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// An idle worker still running, or a new one.
    fn worker(&self, command: &WorkerCommand) -> Result<Worker> {
        loop {
            let next = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match next {
                Some(mut worker) => {
                    // One that ended while idle was not ended by a request.
                    if worker.alive() {
                        return Ok(worker);
                    }
                }
                None => break,
            }
        }
        Worker::spawn(
            command,
            WorkerLimits {
                memory_bytes: self.settings.memory_bytes,
                cpu_secs: self.settings.cpu_secs,
            },
        )
    }

    fn put_back(&self, worker: Worker) {
        if worker.renders < RENDERS_PER_WORKER && !self.stopped() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(worker);
        }
    }

    async fn call(&self, request: &Request) -> Result<std::result::Result<Response, Invalid>> {
        let Some(command) = &self.settings.worker else {
            return Err(AppError::internal(
                "no render worker is configured: templates cannot be rendered",
            ));
        };
        let mut stop = self.stop.subscribe();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        tokio::pin!(stopped);
        let _permit = tokio::select! {
            permit = self.permits.acquire() => permit.map_err(|_| stopping())?,
            () = &mut stopped => return Err(stopping()),
        };
        if self.stopped() {
            return Err(stopping());
        }
        let mut worker = self.worker(command)?;
        let payload = request.encode();
        let wall = Duration::from_secs(self.settings.wall_secs);
        let outcome = tokio::select! {
            answer = worker.exchange(&payload) => Exchange::Answered(answer),
            () = tokio::time::sleep(wall) => Exchange::TimedOut,
            () = &mut stopped => Exchange::Stopped,
        };
        match outcome {
            Exchange::Answered(Ok(bytes)) => match Response::decode(&bytes) {
                Ok(response) => {
                    worker.renders += 1;
                    self.put_back(worker);
                    Ok(Ok(response))
                }
                Err(e) => {
                    worker.kill().await;
                    Err(AppError::Internal(e.into()))
                }
            },
            Exchange::Answered(Err(_)) => {
                let (status, stderr) = worker.ended().await;
                self.why_it_ended(status, &stderr)
            }
            Exchange::TimedOut => {
                worker.kill().await;
                tracing::warn!(
                    wall_secs = self.settings.wall_secs,
                    "a template passed the render time limit; its worker was killed"
                );
                Ok(Err(self.settings.too_expensive(Limit::Wall)))
            }
            Exchange::Stopped => {
                worker.kill().await;
                Err(stopping())
            }
        }
    }

    /// A worker ended while rendering: a limit it passed, a crash while
    /// rendering the template, or a worker that does not work at all.
    fn why_it_ended(
        &self,
        status: Option<std::process::ExitStatus>,
        stderr: &str,
    ) -> Result<std::result::Result<Response, Invalid>> {
        use std::os::unix::process::ExitStatusExt;
        let signal = status.and_then(|s| s.signal());
        let limit = if signal == Some(SIGXCPU) {
            Some(Limit::Cpu)
        } else if stderr.contains("memory allocation of")
            || signal == Some(SIGKILL)
            || signal == Some(SIGABRT)
        {
            // Rust aborts when an allocation fails (its message may be lost
            // when the abort comes from a thread's stack or the pipe is
            // closed first); the worker's panics unwind into an answer, so
            // an abort under the address-space cap is the memory limit. The
            // kernel's out-of-memory killer sends SIGKILL.
            Some(Limit::Memory)
        } else {
            None
        };
        if let Some(limit) = limit {
            tracing::warn!(?limit, "a template passed a render limit; its worker ended");
            return Ok(Err(self.settings.too_expensive(limit)));
        }
        let status = status.map_or_else(|| "unknown".to_string(), |s| s.to_string());
        let stderr = stderr.trim();
        if signal.is_some() {
            tracing::warn!(%status, stderr, "a render worker crashed while rendering a template");
            return Ok(Err(Invalid::new(
                FIELD,
                codes::MERGE_TEMPLATE_ERROR,
                format!(
                    "the typesetter stopped while rendering the template ({status}): simplify the template"
                ),
            )));
        }
        Err(AppError::internal(format!(
            "the render worker ended ({status}): {stderr}"
        )))
    }
}

impl Drop for RenderPool {
    fn drop(&mut self) {
        self.stop();
    }
}
