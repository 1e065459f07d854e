//! What working on one document may cost: the bytes all its streams may
//! decompress to together, and a deadline. A stream bomb split over many
//! small streams stays under any per-stream limit, and a blocking thread
//! cannot be stopped from outside, so the work itself charges and checks its
//! [`Budget`] between objects, pages and streams, and stops with a finding.
//!
//! The budget of the work under way is entered on the thread doing it
//! ([`Budget::enter`]); the functions of this crate find it there, so callers
//! that only hand over bytes need not pass it down. A thread started for
//! part of the work enters the same budget ([`Budget::current`]). Without an
//! entered budget, loading a document still bounds its own decompressed bytes
//! (`IntakeLimits::max_document_bytes`) and nothing has a deadline.
//!
//! Codes: `pdf.too_much_data`, `pdf.too_slow`.

use crate::finding::Finding;
use courrier_domain::codes;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The cost allowed to the work on one document; clones share the counter.
#[derive(Debug, Clone)]
pub struct Budget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    max_bytes: usize,
    used: AtomicUsize,
    /// Set once the bytes ran out, so work that swallows errors (the load
    /// filter) still reports it.
    exceeded: AtomicBool,
    deadline: Option<(Instant, Duration)>,
}

thread_local! {
    static CURRENT: RefCell<Option<Budget>> = const { RefCell::new(None) };
}

impl Budget {
    /// A budget of `max_bytes` decompressed bytes and no deadline.
    pub fn new(max_bytes: usize) -> Self {
        Self::build(max_bytes, None)
    }

    /// A budget of `max_bytes` decompressed bytes and `time` from now.
    pub fn with_time(max_bytes: usize, time: Duration) -> Self {
        let start = Instant::now();
        Self::build(
            max_bytes,
            Some((start.checked_add(time).unwrap_or(start), time)),
        )
    }

    fn build(max_bytes: usize, deadline: Option<(Instant, Duration)>) -> Self {
        Self {
            inner: Arc::new(Inner {
                max_bytes,
                used: AtomicUsize::new(0),
                exceeded: AtomicBool::new(false),
                deadline,
            }),
        }
    }

    /// The budget entered on this thread, if any.
    pub fn current() -> Option<Budget> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// Makes this the budget of the work done on this thread until the
    /// returned guard is dropped (the previous one comes back then).
    #[must_use = "the budget applies while the guard lives"]
    pub fn enter(&self) -> Entered {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        Entered { previous }
    }

    /// Decompressed bytes still allowed.
    pub fn remaining(&self) -> usize {
        self.inner
            .max_bytes
            .saturating_sub(self.inner.used.load(Ordering::Relaxed))
    }

    /// Counts `bytes` more decompressed data; refused once the total passes
    /// the budget.
    pub fn charge(&self, bytes: usize) -> Result<(), Finding> {
        let before = self.inner.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.inner.max_bytes {
            self.inner.exceeded.store(true, Ordering::Relaxed);
            return Err(self.too_much_data());
        }
        Ok(())
    }

    /// Marks the byte budget as spent (a stream was refused for being larger
    /// than what was left).
    pub fn exhaust(&self) {
        self.inner.exceeded.store(true, Ordering::Relaxed);
    }

    /// Refused when the bytes or the time ran out.
    pub fn check(&self) -> Result<(), Finding> {
        if self.inner.exceeded.load(Ordering::Relaxed) {
            return Err(self.too_much_data());
        }
        match self.inner.deadline {
            Some((deadline, time)) if Instant::now() >= deadline => Err(too_slow(time)),
            _ => Ok(()),
        }
    }

    /// Whether the time allowed has passed.
    pub fn timed_out(&self) -> bool {
        self.inner
            .deadline
            .is_some_and(|(deadline, _)| Instant::now() >= deadline)
    }

    /// The refusal for this budget's bytes.
    pub fn too_much_data(&self) -> Finding {
        Finding::error(
            codes::PDF_TOO_MUCH_DATA,
            format!(
                "the document's contents unpack to more than {} MB in all: lower the resolution of its images or split it into smaller files",
                self.inner.max_bytes / (1024 * 1024)
            ),
        )
    }
}

/// The refusal of a document whose work took longer than `time`.
pub fn too_slow(time: Duration) -> Finding {
    Finding::error(
        codes::PDF_TOO_SLOW,
        format!(
            "the document could not be checked within {} s: it is too complex, print it to PDF again or split it into smaller files",
            time.as_secs().max(1)
        ),
    )
}

/// Restores the previously entered budget when dropped.
#[derive(Debug)]
pub struct Entered {
    previous: Option<Budget>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Checks the entered budget, if any (between pages, objects, streams).
pub fn check() -> Result<(), Finding> {
    CURRENT.with(|c| c.borrow().as_ref().map_or(Ok(()), Budget::check))
}

/// `max`, or less when the entered budget has less left: the limit to
/// decompress one stream with.
pub fn limit(max: usize) -> usize {
    CURRENT.with(|c| c.borrow().as_ref().map_or(max, |b| b.remaining().min(max)))
}

/// The refusal of a stream larger than what the entered budget had left
/// (the budget counts as spent from then on).
pub fn spent() -> Finding {
    match Budget::current() {
        Some(budget) => {
            budget.exhaust();
            budget.too_much_data()
        }
        None => Budget::new(0).too_much_data(),
    }
}

/// Charges the entered budget, if any, with `bytes` decompressed bytes.
pub fn charge(bytes: usize) -> Result<(), Finding> {
    CURRENT.with(|c| c.borrow().as_ref().map_or(Ok(()), |b| b.charge(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_counted_across_charges() {
        let budget = Budget::new(100);
        assert!(budget.charge(60).is_ok());
        assert_eq!(budget.remaining(), 40);
        let err = budget.charge(60).unwrap_err();
        assert_eq!(err.code, "pdf.too_much_data");
        assert_eq!(budget.check().unwrap_err().code, "pdf.too_much_data");
    }

    #[test]
    fn a_passed_deadline_stops_the_work() {
        let budget = Budget::with_time(100, Duration::ZERO);
        assert!(budget.timed_out());
        assert_eq!(budget.check().unwrap_err().code, "pdf.too_slow");
        assert!(Budget::new(100).check().is_ok());
    }

    #[test]
    fn the_entered_budget_is_found_and_restored() {
        assert!(Budget::current().is_none());
        let outer = Budget::new(10);
        let guard = outer.enter();
        assert!(charge(5).is_ok());
        {
            let inner = Budget::new(1);
            let _g = inner.enter();
            assert!(charge(5).is_err());
        }
        assert_eq!(Budget::current().map(|b| b.remaining()), Some(5));
        drop(guard);
        assert!(Budget::current().is_none());
        assert!(charge(1_000_000).is_ok());
    }
}
