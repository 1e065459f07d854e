//! The digital mailbox and mail-center operations: the rules that need no I/O.
//!
//! An item's journey through these modules: a clerk records it at intake as
//! a [`MailItem`] (kind, [`ItemFormat`], weight, flags, [`ContentFlags`]),
//! refused at once if its recipient is not verified
//! ([`ItemState::at_intake`]); [`scannable`] tells whether the scanning
//! service may open it. The customer's [`Rule`]s may propose an [`Action`]
//! ([`first_matching`]); every request, manual or automatic, is checked by
//! [`allowed`] / [`check_request`], priced by the location's [`PriceList`]
//! (shipping with [`forward_price`]'s markup cap), moves the item through
//! [`ItemState`]s with [`transition`], and becomes a task due at the
//! [`sla::deadline`] of the location's time zone and [`BusinessCalendar`].
//! Paper originals follow the [`RetentionPolicy`]. Mailboxes themselves are
//! verified by post ([`VerificationCode`], [`CodeChallenge`],
//! [`MailboxState`]) and mail-center customers by review
//! ([`CustomerReview`]).
//!
//! Every refusal is an [`Invalid`](crate::Invalid) with a stable `mail.*`
//! code (or `date.*`); each module lists its own.
//!
//! [`BusinessCalendar`]: crate::letters::BusinessCalendar

pub mod actions;
pub mod item;
pub mod retention;
pub mod rules;
pub mod signup;
pub mod sla;
pub mod verification;

pub use actions::{
    Action, ActionKind, ForwardAddress, ItemEvent, ItemState, MAX_CLERK_AMOUNT_MINOR, PriceList,
    allowed, check_clerk_amount, check_request, forward_price, forward_price_capped, transition,
};
pub use item::{
    ContentFlag, ContentFlags, Grams, ItemFormat, ItemKind, MailItem, Origin, Unscannable,
    UnscannableReason, scannable, unscannable_reasons,
};
pub use retention::{RetentionPolicy, original_shred_due};
pub use rules::{Condition, Rule, SenderPattern, first_matching, first_matching_rule};
pub use signup::{
    DocumentSide, IdentityDocumentKind, Plan, check_identity_document, parse_price, reminder_due,
};
pub use sla::{SlaRules, deadline, is_overdue};
pub use verification::{
    CodeChallenge, CodeDigest, CustomerReview, MailboxEvent, MailboxState, ReviewEvent, ReviewNote,
    ReviewParty, ReviewRules, VerificationCode, VerificationRules, approval_due,
    check_activation_date, earliest_activation, is_approval_overdue, mailbox_transition,
    reminder_schedule, review_transition,
};
