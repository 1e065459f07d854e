//! How long paper and scans are kept.
//!
//! * **Paper originals** stay at the mail center for 25 days after receipt
//!   (ePost: « délai de conservation de 25 jours »). During that time the
//!   customer can order the paper original; afterwards a shred task is
//!   created automatically, unless an action is pending on the item (a
//!   forward, a pickup hold, …), which then decides its fate instead.
//! * **Scans** are kept according to the organisation's policy: a number of
//!   days, or forever.
//!
//! Periods are counted as whole days of 24 hours from the instant of
//! receipt (not calendar days in a time zone), so "25 days" is the same
//! length whatever the daylight-saving changes in between. Codes:
//! `mail.original_expired`, `mail.retention_invalid`.

use crate::codes;

use super::actions::ItemState;
use crate::{Invalid, Timestamp};

const SECONDS_PER_DAY: i64 = 86_400;
/// The longest retention an organisation may set (10 years).
pub const MAX_RETENTION_DAYS: u32 = 3_650;

/// Retention periods; `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetentionPolicy {
    /// Days a paper original is kept after receipt (25).
    pub originals_days: u32,
    /// Days a scan is kept after scanning; `None` keeps it forever (the
    /// default, until the organisation chooses otherwise).
    pub scans_days: Option<u32>,
}

impl RetentionPolicy {
    pub const DEFAULT: RetentionPolicy = RetentionPolicy {
        originals_days: 25,
        scans_days: None,
    };

    /// A policy with each period between 1 day and 10 years; a refusal
    /// names the period: `originals_days` or `scan_days` (the customer's
    /// setting, so named on its form and in the API).
    pub fn new(originals_days: u32, scans_days: Option<u32>) -> Result<Self, Invalid> {
        let in_range = |d: u32| (1..=MAX_RETENTION_DAYS).contains(&d);
        let field = if !in_range(originals_days) {
            "originals_days"
        } else if !scans_days.is_none_or(in_range) {
            "scan_days"
        } else {
            return Ok(Self {
                originals_days,
                scans_days,
            });
        };
        Err(Invalid::new(
            field,
            codes::MAIL_RETENTION_INVALID,
            format!("retention periods are 1 to {MAX_RETENTION_DAYS} days"),
        ))
    }

    /// When the retention of an original received at `received_at` ends.
    pub const fn original_kept_until(&self, received_at: Timestamp) -> Timestamp {
        received_at.plus_seconds(self.originals_days as i64 * SECONDS_PER_DAY)
    }

    /// When a shred task is to be created for the original, or `None` while
    /// an action is pending on the item (that action decides its fate).
    pub const fn original_shred_due(
        &self,
        received_at: Timestamp,
        pending_action: bool,
    ) -> Option<Timestamp> {
        if pending_action {
            None
        } else {
            Some(self.original_kept_until(received_at))
        }
    }

    /// Whether the retention job should create a shred task now for an item
    /// in `state`. Only items at rest at the mail center qualify: not a
    /// pending one, not one held for the customer's pickup (the hold is the
    /// pending action), not one already gone. Only for items logged at a
    /// mail center: a digital delivery has no paper to shred.
    pub fn shred_task_due(&self, received_at: Timestamp, state: ItemState, now: Timestamp) -> bool {
        let pending = !matches!(
            state,
            ItemState::Received | ItemState::Scanned | ItemState::Handled
        );
        self.original_shred_due(received_at, pending)
            .is_some_and(|due| now >= due)
    }

    /// The paper original can still be ordered at `now`: strictly before the
    /// end of the retention, otherwise `mail.original_expired`.
    pub fn original_available(
        &self,
        received_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), Invalid> {
        if now < self.original_kept_until(received_at) {
            return Ok(());
        }
        Err(Invalid::new(
            "action",
            codes::MAIL_ORIGINAL_EXPIRED,
            format!(
                "paper originals are kept {} days after receipt; this one is no longer available",
                self.originals_days
            ),
        ))
    }

    /// When a scan made at `scanned_at` is to be deleted, or `None` to keep
    /// it forever.
    pub fn scan_purge_due(&self, scanned_at: Timestamp) -> Option<Timestamp> {
        self.scans_days
            .map(|d| scanned_at.plus_seconds(i64::from(d) * SECONDS_PER_DAY))
    }
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// [`RetentionPolicy::original_shred_due`] with the default 25 days.
pub const fn original_shred_due(received_at: Timestamp, pending_action: bool) -> Option<Timestamp> {
    RetentionPolicy::DEFAULT.original_shred_due(received_at, pending_action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = SECONDS_PER_DAY;
    /// 2026-03-02T09:00:00Z.
    const RECEIVED: Timestamp = Timestamp::from_millis(1_772_442_000_000);

    #[test]
    fn originals_are_shredded_after_25_days_unless_an_action_is_pending() {
        assert_eq!(
            original_shred_due(RECEIVED, false),
            Some(RECEIVED.plus_seconds(25 * DAY))
        );
        assert_eq!(original_shred_due(RECEIVED, true), None);
        let p = RetentionPolicy::DEFAULT;
        let due = RECEIVED.plus_seconds(25 * DAY);
        assert!(!p.shred_task_due(RECEIVED, ItemState::Scanned, due.plus_millis(-1)));
        for s in [ItemState::Received, ItemState::Scanned, ItemState::Handled] {
            assert!(p.shred_task_due(RECEIVED, s, due), "{s}");
        }
        for s in ItemState::ALL.into_iter().filter(|s| {
            !matches!(
                s,
                ItemState::Received | ItemState::Scanned | ItemState::Handled
            )
        }) {
            assert!(
                !p.shred_task_due(RECEIVED, s, due.plus_seconds(100 * DAY)),
                "{s}"
            );
        }
    }

    #[test]
    fn paper_original_window() {
        let p = RetentionPolicy::DEFAULT;
        assert!(p.original_available(RECEIVED, RECEIVED).is_ok());
        assert!(
            p.original_available(RECEIVED, RECEIVED.plus_seconds(25 * DAY).plus_millis(-1))
                .is_ok()
        );
        let err = p
            .original_available(RECEIVED, RECEIVED.plus_seconds(25 * DAY))
            .unwrap_err();
        assert_eq!(err.code, "mail.original_expired");
        assert!(err.message.contains("25 days"), "{}", err.message);
    }

    #[test]
    fn scans_follow_the_org_policy() {
        assert_eq!(RetentionPolicy::DEFAULT.scan_purge_due(RECEIVED), None);
        let p = RetentionPolicy::new(25, Some(365)).unwrap();
        assert_eq!(
            p.scan_purge_due(RECEIVED),
            Some(RECEIVED.plus_seconds(365 * DAY))
        );
        let longer = RetentionPolicy::new(40, None).unwrap();
        assert_eq!(
            longer.original_shred_due(RECEIVED, false),
            Some(RECEIVED.plus_seconds(40 * DAY))
        );
        for (o, s, field) in [
            (0, None, "originals_days"),
            (25, Some(0), "scan_days"),
            (3_651, None, "originals_days"),
            (25, Some(3_651), "scan_days"),
        ] {
            let e = RetentionPolicy::new(o, s).unwrap_err();
            assert_eq!(e.code, "mail.retention_invalid");
            assert_eq!(e.field, field);
        }
    }

    proptest! {
        #[test]
        fn the_original_is_orderable_exactly_until_the_shred_is_due(
            received in 0i64..4_000_000_000_000, offset in -10i64..40 * DAY * 1000, days in 1u32..=400,
        ) {
            let p = RetentionPolicy::new(days, None).unwrap();
            let r = Timestamp::from_millis(received);
            let now = r.plus_millis(offset);
            let due = p.original_shred_due(r, false).unwrap();
            prop_assert_eq!(p.original_available(r, now).is_ok(), now < due);
            prop_assert_eq!(p.shred_task_due(r, ItemState::Received, now), now >= due);
        }
    }
}
