//! One bounded pool for CPU-heavy document work (reading PDFs, composing and
//! splitting letters, combining scans), off the async runtime: a slow or
//! hostile document must never hold up `/healthz` or another organisation's
//! requests.
//!
//! At most [`DocumentWorkers::threads`] documents are worked on at once, on
//! tokio's blocking threads. Each piece of work has a time budget, counted
//! from the moment it asks for a place (waiting counts), and a budget of
//! decompressed bytes ([`courrier_documents::Budget`]). A blocking thread
//! cannot be stopped from outside, so the documents code checks the budget
//! between objects, pages and streams and stops itself; the caller gets its
//! answer (`pdf.too_slow`, 422) when the time is up, without waiting for it.

use crate::{AppError, Result};
use courrier_documents::{Budget, Finding, IntakeLimits};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The pool; one per [`crate::App`].
#[derive(Debug, Clone)]
pub struct DocumentWorkers {
    permits: Arc<Semaphore>,
    threads: usize,
    time: Duration,
}

impl DocumentWorkers {
    /// `threads` documents at once (at least one), each within `time`.
    pub fn new(threads: usize, time: Duration) -> Self {
        let threads = threads.max(1);
        Self {
            permits: Arc::new(Semaphore::new(threads)),
            threads,
            time,
        }
    }

    /// As many documents at once as the machine has cores.
    pub fn default_threads() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The time budget of one piece of work.
    pub fn time(&self) -> Duration {
        self.time
    }

    /// Runs `work` on the pool with the budget of a document of
    /// `input_bytes` (see [`IntakeLimits::document_budget`]).
    pub async fn run<T, F>(&self, input_bytes: usize, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        self.run_within(input_bytes, self.time, work).await
    }

    /// [`Self::run`] with another time budget (a background run of many
    /// letters takes longer than one upload, but stays bounded).
    pub async fn run_within<T, F>(&self, input_bytes: usize, time: Duration, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let deadline = tokio::time::Instant::now() + time;
        let bytes = IntakeLimits::default().document_budget(input_bytes);
        let budget = Budget::with_time(bytes, time);
        let permit =
            match tokio::time::timeout_at(deadline, self.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) => return Err(AppError::internal("the document workers stopped")),
                Err(_) => return Err(too_slow(time)),
            };
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _entered = budget.enter();
            work()
        });
        match tokio::time::timeout_at(deadline, handle).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(AppError::internal_from(e, "document work")),
            // The work sees the same deadline and stops at its next check,
            // giving its place back then.
            Err(_) => Err(too_slow(time)),
        }
    }
}

impl DocumentWorkers {
    /// For work already on a blocking thread (a background run's): waits
    /// for a place (on `runtime`), then runs `work` on this thread within
    /// the time and the bytes budget of a document of `input_bytes`. The
    /// time counts from the call, waiting included. Nothing answers for the
    /// work at the deadline: it stops itself at its next check, and what it
    /// made is then dropped for the budget's refusal (`pdf.too_slow`,
    /// `pdf.too_much_data`).
    pub fn run_here<T>(
        &self,
        runtime: &tokio::runtime::Handle,
        input_bytes: usize,
        work: impl FnOnce() -> T,
    ) -> std::result::Result<T, Finding> {
        let time = self.time;
        let budget = Budget::with_time(IntakeLimits::default().document_budget(input_bytes), time);
        let permits = self.permits.clone();
        let place = runtime
            .block_on(async move { tokio::time::timeout(time, permits.acquire_owned()).await });
        let Ok(Ok(_permit)) = place else {
            return Err(courrier_documents::budget::too_slow(time));
        };
        let _entered = budget.enter();
        let made = work();
        budget.check()?;
        Ok(made)
    }
}

fn too_slow(time: Duration) -> AppError {
    AppError::Invalid(courrier_documents::budget::too_slow(time).to_invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding_error(finding: &Finding) -> AppError {
        AppError::Invalid(finding.to_invalid())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_past_its_time_is_answered_at_the_deadline() {
        let workers = DocumentWorkers::new(1, Duration::from_millis(200));
        let started = std::time::Instant::now();
        let result = workers
            .run::<(), _>(0, || {
                // Work that checks its budget, as the documents code does.
                loop {
                    if let Err(f) = courrier_documents::budget::check() {
                        return Err(finding_error(&f));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
            .await;
        let Err(AppError::Invalid(invalid)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(invalid.code, "pdf.too_slow");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_for_a_place_counts_against_the_time() {
        let workers = DocumentWorkers::new(1, Duration::from_millis(300));
        let busy = workers.clone();
        let first = tokio::spawn(async move {
            busy.run(0, || {
                std::thread::sleep(Duration::from_millis(1000));
                Ok(1)
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = workers.run(0, || Ok(2)).await;
        assert!(
            matches!(&second, Err(AppError::Invalid(i)) if i.code == "pdf.too_slow"),
            "{second:?}"
        );
        assert!(first.await.is_ok());
        // The place is given back once the first work really ended.
        let workers = DocumentWorkers::new(1, Duration::from_secs(5));
        assert_eq!(workers.run(0, || Ok(3)).await.ok(), Some(3));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_run_here_takes_a_place_and_stops_at_its_deadline() {
        let workers = DocumentWorkers::new(1, Duration::from_millis(200));
        let runtime = tokio::runtime::Handle::current();
        let (w, r) = (workers.clone(), runtime.clone());
        let slow = tokio::task::spawn_blocking(move || {
            w.run_here(&r, 0, || {
                while courrier_documents::budget::check().is_ok() {
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        });
        let started = std::time::Instant::now();
        let refused = slow.await.unwrap().unwrap_err();
        assert_eq!(refused.code, "pdf.too_slow");
        assert!(started.elapsed() < Duration::from_secs(2));
        // While a place is held, others wait, and waiting counts.
        let held = workers.permits.clone().acquire_owned().await.unwrap();
        let (w, r) = (workers.clone(), runtime.clone());
        let waited = tokio::task::spawn_blocking(move || w.run_here(&r, 0, || 1))
            .await
            .unwrap();
        assert_eq!(waited.unwrap_err().code, "pdf.too_slow");
        drop(held);
        let (w, r) = (workers.clone(), runtime);
        let done = tokio::task::spawn_blocking(move || w.run_here(&r, 0, || 2))
            .await
            .unwrap();
        assert_eq!(done.ok(), Some(2));
    }
}
