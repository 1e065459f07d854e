//! The life of an outbound letter as a state machine: which statuses exist,
//! which events move a letter between them, and whether a letter in a status
//! is billed. [`transition`] is the only rule for status changes, so the
//! store, the web handlers and the carrier-tracking import cannot disagree
//! about, say, cancelling a letter that is already printing.

use crate::codes;

use crate::Invalid;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LetterStatus {
    /// Being prepared; not yet submitted (or sent back by an approver).
    Draft,
    /// Submitted by a user whose letters need an approver.
    AwaitingApproval,
    /// Validated and paid for; waits for the next print cut-off.
    Accepted,
    /// In a print batch: from here on it can no longer be cancelled.
    InProduction,
    Printed,
    /// Deposited at the carrier with a deposit slip.
    HandedToCarrier,
    /// Scanned by the carrier on its way.
    InTransit,
    Delivered,
    /// Came back to the sender (refused, unknown address, not collected).
    Returned,
    Cancelled,
    Failed,
}

impl LetterStatus {
    pub const ALL: [LetterStatus; 11] = [
        LetterStatus::Draft,
        LetterStatus::AwaitingApproval,
        LetterStatus::Accepted,
        LetterStatus::InProduction,
        LetterStatus::Printed,
        LetterStatus::HandedToCarrier,
        LetterStatus::InTransit,
        LetterStatus::Delivered,
        LetterStatus::Returned,
        LetterStatus::Cancelled,
        LetterStatus::Failed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LetterStatus::Draft => "draft",
            LetterStatus::AwaitingApproval => "awaiting_approval",
            LetterStatus::Accepted => "accepted",
            LetterStatus::InProduction => "in_production",
            LetterStatus::Printed => "printed",
            LetterStatus::HandedToCarrier => "handed_to_carrier",
            LetterStatus::InTransit => "in_transit",
            LetterStatus::Delivered => "delivered",
            LetterStatus::Returned => "returned",
            LetterStatus::Cancelled => "cancelled",
            LetterStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        LetterStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "status",
                    codes::LETTER_STATUS_UNKNOWN,
                    format!("'{s}' is not a letter status"),
                )
            })
    }

    /// Nothing happens to the letter any more.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            LetterStatus::Delivered
                | LetterStatus::Returned
                | LetterStatus::Cancelled
                | LetterStatus::Failed
        )
    }

    /// Cancellation is possible until production has started.
    pub const fn can_cancel(self) -> bool {
        matches!(
            self,
            LetterStatus::Draft | LetterStatus::AwaitingApproval | LetterStatus::Accepted
        )
    }

    /// Statuses a letter only reaches once it has been put into print.
    pub const fn is_past_production_start(self) -> bool {
        matches!(
            self,
            LetterStatus::InProduction
                | LetterStatus::Printed
                | LetterStatus::HandedToCarrier
                | LetterStatus::InTransit
                | LetterStatus::Delivered
                | LetterStatus::Returned
        )
    }
}

impl fmt::Display for LetterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to a letter: a user's action, the production line's, or a
/// carrier's tracking event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LetterEvent {
    /// The sender submits; `needs_approval` is the organisation's rule for
    /// this sender.
    Submit {
        needs_approval: bool,
    },
    Approve,
    /// The approver sends the letter back to its author as a draft to fix.
    Reject,
    Cancel,
    StartProduction,
    MarkPrinted,
    HandOver,
    /// Any carrier scan in transit; repeated scans keep the letter in transit.
    CarrierScan,
    Deliver,
    Return,
    Fail,
}

impl LetterEvent {
    pub const ALL: [LetterEvent; 12] = [
        LetterEvent::Submit {
            needs_approval: false,
        },
        LetterEvent::Submit {
            needs_approval: true,
        },
        LetterEvent::Approve,
        LetterEvent::Reject,
        LetterEvent::Cancel,
        LetterEvent::StartProduction,
        LetterEvent::MarkPrinted,
        LetterEvent::HandOver,
        LetterEvent::CarrierScan,
        LetterEvent::Deliver,
        LetterEvent::Return,
        LetterEvent::Fail,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LetterEvent::Submit { .. } => "submit",
            LetterEvent::Approve => "approve",
            LetterEvent::Reject => "reject",
            LetterEvent::Cancel => "cancel",
            LetterEvent::StartProduction => "start_production",
            LetterEvent::MarkPrinted => "mark_printed",
            LetterEvent::HandOver => "hand_over",
            LetterEvent::CarrierScan => "carrier_scan",
            LetterEvent::Deliver => "deliver",
            LetterEvent::Return => "return",
            LetterEvent::Fail => "fail",
        }
    }

    /// The status this event leads to when it is allowed; used to name both
    /// ends of a refused transition.
    pub const fn target(self) -> LetterStatus {
        match self {
            LetterEvent::Submit {
                needs_approval: true,
            } => LetterStatus::AwaitingApproval,
            LetterEvent::Submit {
                needs_approval: false,
            } => LetterStatus::Accepted,
            LetterEvent::Approve => LetterStatus::Accepted,
            LetterEvent::Reject => LetterStatus::Draft,
            LetterEvent::Cancel => LetterStatus::Cancelled,
            LetterEvent::StartProduction => LetterStatus::InProduction,
            LetterEvent::MarkPrinted => LetterStatus::Printed,
            LetterEvent::HandOver => LetterStatus::HandedToCarrier,
            LetterEvent::CarrierScan => LetterStatus::InTransit,
            LetterEvent::Deliver => LetterStatus::Delivered,
            LetterEvent::Return => LetterStatus::Returned,
            LetterEvent::Fail => LetterStatus::Failed,
        }
    }
}

impl fmt::Display for LetterEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status after `event`, or why the event is refused.
pub fn transition(from: LetterStatus, event: LetterEvent) -> Result<LetterStatus, Invalid> {
    use LetterEvent as E;
    use LetterStatus as S;
    let allowed = match (from, event) {
        (S::Draft, E::Submit { .. })
        | (S::AwaitingApproval, E::Approve | E::Reject)
        | (S::Accepted, E::StartProduction)
        | (S::InProduction, E::MarkPrinted)
        | (S::Printed, E::HandOver)
        | (S::HandedToCarrier | S::InTransit, E::CarrierScan | E::Deliver | E::Return) => true,
        (s, E::Cancel) => s.can_cancel(),
        // Production or the carrier can fail a letter once it is accepted
        // (unrenderable at batching, jammed, lost); before that, problems are
        // validation errors on the draft.
        (
            S::Accepted | S::InProduction | S::Printed | S::HandedToCarrier | S::InTransit,
            E::Fail,
        ) => true,
        _ => false,
    };
    if allowed {
        return Ok(event.target());
    }
    if event == E::Cancel {
        return Err(Invalid::new(
            "status",
            codes::LETTER_CANNOT_CANCEL,
            format!("the letter is {from}; letters can only be cancelled before production starts"),
        ));
    }
    Err(Invalid::new(
        "status",
        codes::LETTER_ILLEGAL_TRANSITION,
        format!(
            "a letter cannot go from {from} to {} ({event})",
            event.target()
        ),
    ))
}

/// Whether a letter in `status` appears on the invoice. `production_started`
/// tells, for a failed letter, whether it failed before or after it was put
/// into print (see [`reached_production`]); a letter that failed before is
/// not billed, like a cancelled one.
pub fn is_billable(status: LetterStatus, production_started: bool) -> bool {
    match status {
        LetterStatus::Draft | LetterStatus::AwaitingApproval | LetterStatus::Cancelled => false,
        LetterStatus::Failed => production_started,
        _ => true,
    }
}

/// Whether a status history ever reached production.
pub fn reached_production(history: impl IntoIterator<Item = LetterStatus>) -> bool {
    history
        .into_iter()
        .any(LetterStatus::is_past_production_start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LetterEvent as E;
    use LetterStatus as S;
    use proptest::prelude::*;

    /// The whole machine, written out: `Ok(status)` or the error code.
    fn expected(from: S, e: E) -> Result<S, &'static str> {
        const ILLEGAL: &str = "letter.illegal_transition";
        const NO_CANCEL: &str = "letter.cannot_cancel";
        match (from, e) {
            (
                S::Draft,
                E::Submit {
                    needs_approval: true,
                },
            ) => Ok(S::AwaitingApproval),
            (
                S::Draft,
                E::Submit {
                    needs_approval: false,
                },
            ) => Ok(S::Accepted),
            (S::Draft, E::Cancel) => Ok(S::Cancelled),
            (S::AwaitingApproval, E::Approve) => Ok(S::Accepted),
            (S::AwaitingApproval, E::Reject) => Ok(S::Draft),
            (S::AwaitingApproval, E::Cancel) => Ok(S::Cancelled),
            (S::Accepted, E::StartProduction) => Ok(S::InProduction),
            (S::Accepted, E::Cancel) => Ok(S::Cancelled),
            (S::Accepted, E::Fail) => Ok(S::Failed),
            (S::InProduction, E::MarkPrinted) => Ok(S::Printed),
            (S::InProduction, E::Fail) => Ok(S::Failed),
            (S::Printed, E::HandOver) => Ok(S::HandedToCarrier),
            (S::Printed, E::Fail) => Ok(S::Failed),
            (S::HandedToCarrier | S::InTransit, E::CarrierScan) => Ok(S::InTransit),
            (S::HandedToCarrier | S::InTransit, E::Deliver) => Ok(S::Delivered),
            (S::HandedToCarrier | S::InTransit, E::Return) => Ok(S::Returned),
            (S::HandedToCarrier | S::InTransit, E::Fail) => Ok(S::Failed),
            (_, E::Cancel) => Err(NO_CANCEL),
            _ => Err(ILLEGAL),
        }
    }

    #[test]
    fn every_status_event_pair() {
        let mut allowed = 0;
        for from in S::ALL {
            for e in E::ALL {
                let got = transition(from, e).map_err(|err| err.code.as_str());
                assert_eq!(got, expected(from, e), "{from} + {e:?}");
                if got.is_ok() {
                    allowed += 1;
                }
            }
        }
        // 11 statuses × 12 events; the table above allows exactly 21.
        assert_eq!(allowed, 21);
    }

    #[test]
    fn refusals_name_both_states() {
        let err = transition(S::Draft, E::Deliver).unwrap_err();
        assert_eq!(err.field, "status");
        assert!(
            err.message.contains("draft") && err.message.contains("delivered"),
            "{}",
            err.message
        );
        let err = transition(S::Printed, E::Cancel).unwrap_err();
        assert_eq!(err.code, "letter.cannot_cancel");
        assert!(err.message.contains("printed"), "{}", err.message);
    }

    #[test]
    fn terminal_states_accept_nothing() {
        for from in S::ALL.into_iter().filter(|s| s.is_terminal()) {
            for e in E::ALL {
                assert!(transition(from, e).is_err(), "{from} + {e:?}");
            }
        }
    }

    #[test]
    fn billing() {
        assert!(!is_billable(S::Draft, false));
        assert!(!is_billable(S::AwaitingApproval, false));
        assert!(!is_billable(S::Cancelled, false));
        assert!(!is_billable(S::Failed, false));
        assert!(is_billable(S::Failed, true));
        for s in [
            S::Accepted,
            S::InProduction,
            S::Printed,
            S::HandedToCarrier,
            S::InTransit,
            S::Delivered,
            S::Returned,
        ] {
            assert!(is_billable(s, s.is_past_production_start()), "{s}");
        }
        assert!(!reached_production([S::Draft, S::Accepted, S::Failed]));
        assert!(reached_production([
            S::Draft,
            S::Accepted,
            S::InProduction,
            S::Failed
        ]));
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(S::parse("lost").unwrap_err().code, "letter.status_unknown");
    }

    fn status() -> impl Strategy<Value = S> {
        (0usize..S::ALL.len()).prop_map(|i| S::ALL[i])
    }
    fn event() -> impl Strategy<Value = E> {
        (0usize..E::ALL.len()).prop_map(|i| E::ALL[i])
    }

    proptest! {
        #[test]
        fn once_terminal_always_terminal(start in status(), events in prop::collection::vec(event(), 0..40)) {
            let mut s = start;
            let mut settled = start.is_terminal().then_some(start);
            for e in events {
                match transition(s, e) {
                    Ok(next) => {
                        prop_assert!(settled.is_none(), "{} left a terminal state on {:?}", s, e);
                        s = next;
                    }
                    // Refused: the letter stays where it was.
                    Err(err) => prop_assert!(
                        err.code == "letter.illegal_transition" || err.code == "letter.cannot_cancel"
                    ),
                }
                // Once terminal, it stays in that very state.
                match settled {
                    Some(t) => prop_assert_eq!(s, t),
                    None if s.is_terminal() => settled = Some(s),
                    None => {}
                }
            }
        }

        #[test]
        fn cancelled_letters_never_reached_production(events in prop::collection::vec(event(), 0..40)) {
            let mut s = S::Draft;
            let mut history = vec![s];
            for e in events {
                if let Ok(next) = transition(s, e) {
                    s = next;
                    history.push(s);
                }
            }
            if s == S::Cancelled {
                prop_assert!(!reached_production(history.iter().copied()));
            }
            // A billed letter was at least accepted.
            if is_billable(s, reached_production(history.iter().copied())) {
                prop_assert!(history.contains(&S::Accepted));
            }
        }
    }
}
