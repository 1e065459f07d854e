//! Who may receive mail: the two verifications of the mailbox service.
//!
//! **(a) Company address verification by post** (the ePost model). The
//! organisation enters its postal address; Courrier posts it a letter with a
//! one-time [`VerificationCode`]; typing the code verifies the address. The
//! code is 8 characters of Crockford's base 32 (no I, L, O or U; typing
//! `O`, `I` or `L` is read as `0`, `1`, `1`), valid 30 days. Only its
//! [`CodeDigest`] is stored, compared in constant time. Five wrong codes
//! lock the challenge for 24 hours. The mailbox goes through
//! [`MailboxState`]s: pending verification, verified, active (on the chosen
//! activation date, at least 21 days after sign-up), suspended when the
//! address changes until the new one is verified the same way, closed.
//!
//! **(b) Mail-center customer verification** (the iPostal1 / USPS Form 1583
//! model). The customer submits identity documents; the platform team
//! pre-approves; the mail center approves, sends back for review, or
//! rejects, always with a [`ReviewNote`]. Approval is due 48 hours after
//! pre-approval; customers who have not finished get a reminder weekly for
//! 4 weeks.
//!
//! Every number is a default in [`VerificationRules`] or [`ReviewRules`].
//! Codes: `mail.code_malformed`, `mail.code_wrong`, `mail.code_locked`,
//! `mail.code_expired`, `mail.code_used`, `mail.code_digest_invalid`,
//! `mail.activation_too_early`, `mail.mailbox_closed`,
//! `mail.mailbox_illegal_transition`, `mail.mailbox_state_unknown`,
//! `mail.note_missing`, `mail.note_too_long`, `mail.review_wrong_party`,
//! `mail.review_illegal_transition`, `mail.review_state_unknown`,
//! `date.out_of_range`.

use crate::codes;

use crate::{Invalid, Timestamp};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use sha2::{Digest, Sha256};
use std::fmt;

const SECONDS_PER_HOUR: i64 = 3_600;
const SECONDS_PER_DAY: i64 = 86_400;

// ---------------------------------------------------------------------------
// (a) Address verification by post
// ---------------------------------------------------------------------------

/// Crockford's base 32: digits and capitals without I, L, O and U. 32
/// symbols, so one random byte masked to 5 bits picks one without bias.
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code: 40 bits of entropy.
pub const CODE_LEN: usize = 8;

/// A one-time address verification code, as printed in the letter. Its
/// `Debug` form hides it; print it with [`VerificationCode::grouped`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerificationCode([u8; CODE_LEN]);

impl VerificationCode {
    /// A code from `CODE_LEN` random bytes (the caller draws them from the
    /// operating system's generator; the domain does no I/O).
    pub fn from_random(bytes: [u8; CODE_LEN]) -> Self {
        Self(bytes.map(|b| {
            CODE_ALPHABET
                .get(usize::from(b & 0x1f))
                .copied()
                .unwrap_or(b'0')
        }))
    }

    /// Reads what a person typed: case, blanks and hyphens do not matter,
    /// and the look-alikes `O`, `I` and `L` are read as `0`, `1`, `1`.
    /// Anything else than 8 symbols of the alphabet is
    /// `mail.code_malformed`.
    pub fn parse(typed: &str) -> Result<Self, Invalid> {
        let malformed = || {
            Invalid::new(
                "code",
                codes::MAIL_CODE_MALFORMED,
                format!("a code has {CODE_LEN} letters and digits, like 7K3M-Q9TX"),
            )
        };
        let mut out = [0u8; CODE_LEN];
        let mut n = 0;
        for c in typed.chars() {
            if c.is_whitespace() || c == '-' {
                continue;
            }
            let up = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let byte = u8::try_from(up).map_err(|_| malformed())?;
            if !CODE_ALPHABET.contains(&byte) {
                return Err(malformed());
            }
            *out.get_mut(n).ok_or_else(malformed)? = byte;
            n += 1;
        }
        if n != CODE_LEN {
            return Err(malformed());
        }
        Ok(Self(out))
    }

    /// The 8 symbols, e.g. `7K3MQ9TX`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// As printed in the letter, e.g. `7K3M-Q9TX`.
    pub fn grouped(&self) -> String {
        let s = self.as_str();
        format!("{}-{}", s.get(..4).unwrap_or(""), s.get(4..).unwrap_or(""))
    }

    /// What is stored instead of the code.
    pub fn digest(&self) -> CodeDigest {
        let mut h = Sha256::new();
        h.update(b"courrier.mailbox.address-code.v1\0");
        h.update(self.0);
        CodeDigest(h.finalize().into())
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationCode(********)")
    }
}

/// SHA-256 of a code (with a domain-separation prefix), stored in place of
/// the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeDigest([u8; 32]);

impl CodeDigest {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Result<Self, Invalid> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut out).map_err(|_| {
            Invalid::new(
                "code_digest",
                codes::MAIL_CODE_DIGEST_INVALID,
                "a code digest is 64 hexadecimal digits",
            )
        })?;
        Ok(Self(out))
    }

    /// Whether `code` hashes to this digest, comparing all 32 bytes whatever
    /// their content (no early exit an attacker could time).
    pub fn matches(&self, code: &VerificationCode) -> bool {
        constant_time_eq(&self.0, &code.digest().0)
    }
}

/// Equal-length byte strings compared without data-dependent branches.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Limits of address verification and activation; `Default` gives the
/// documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerificationRules {
    /// Days a code stays valid after it is issued (30).
    pub code_valid_days: u32,
    /// Wrong codes accepted before the challenge locks (5).
    pub max_wrong_tries: u32,
    /// Hours a locked challenge refuses every attempt (24).
    pub lock_hours: u32,
    /// Days from sign-up to the earliest activation date (21: 3 weeks).
    pub activation_min_days: u32,
}

impl VerificationRules {
    pub const DEFAULT: VerificationRules = VerificationRules {
        code_valid_days: 30,
        max_wrong_tries: 5,
        lock_hours: 24,
        activation_min_days: 21,
    };
}

impl Default for VerificationRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One code sent by post, as stored: its digest, when it was issued, the
/// wrong tries so far and the lock. Each attempt goes through
/// [`CodeChallenge::attempt`], and the store saves the challenge back in the
/// same transaction, so the counters cannot be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeChallenge {
    pub digest: CodeDigest,
    pub issued_at: Timestamp,
    /// Wrong codes since the challenge was issued or last unlocked.
    pub wrong_tries: u32,
    pub locked_until: Option<Timestamp>,
    /// The code was accepted: it cannot be used again.
    pub used: bool,
}

impl CodeChallenge {
    /// A fresh code from random bytes: the code to print in the letter, and
    /// the challenge to store. Issuing a new one replaces the previous
    /// challenge of the mailbox.
    pub fn issue(random: [u8; CODE_LEN], now: Timestamp) -> (VerificationCode, CodeChallenge) {
        let code = VerificationCode::from_random(random);
        let challenge = CodeChallenge {
            digest: code.digest(),
            issued_at: now,
            wrong_tries: 0,
            locked_until: None,
            used: false,
        };
        (code, challenge)
    }

    pub const fn expires_at(&self, rules: &VerificationRules) -> Timestamp {
        self.issued_at
            .plus_seconds(rules.code_valid_days as i64 * SECONDS_PER_DAY)
    }

    /// Checks what the person typed at `now`, updating the counters. In
    /// order: a used code (`mail.code_used`), an expired one
    /// (`mail.code_expired`), a lock still running (`mail.code_locked`,
    /// even for the right code), a malformed entry (`mail.code_malformed`,
    /// not counted: it cannot match anyway), then the comparison: a wrong
    /// code is `mail.code_wrong` with the tries left, and the last allowed
    /// wrong try locks the challenge (`mail.code_locked`). When a lock has
    /// run out, the count starts again.
    pub fn attempt(
        &mut self,
        typed: &str,
        now: Timestamp,
        rules: &VerificationRules,
    ) -> Result<(), Invalid> {
        if self.used {
            return Err(Invalid::new(
                "code",
                codes::MAIL_CODE_USED,
                "this code has already been used",
            ));
        }
        if now >= self.expires_at(rules) {
            return Err(Invalid::new(
                "code",
                codes::MAIL_CODE_EXPIRED,
                format!(
                    "codes are valid {} days; ask for a new letter",
                    rules.code_valid_days
                ),
            ));
        }
        match self.locked_until {
            Some(until) if now < until => return Err(locked(rules)),
            Some(_) => {
                self.locked_until = None;
                self.wrong_tries = 0;
            }
            None => {}
        }
        let code = VerificationCode::parse(typed)?;
        if self.digest.matches(&code) {
            self.used = true;
            return Ok(());
        }
        self.wrong_tries = self.wrong_tries.saturating_add(1);
        if self.wrong_tries >= rules.max_wrong_tries {
            self.locked_until =
                Some(now.plus_seconds(i64::from(rules.lock_hours) * SECONDS_PER_HOUR));
            return Err(locked(rules));
        }
        let left = rules.max_wrong_tries - self.wrong_tries;
        Err(Invalid::new(
            "code",
            codes::MAIL_CODE_WRONG,
            format!(
                "this is not the code in the letter; {left} {} left",
                if left == 1 { "try" } else { "tries" }
            ),
        ))
    }
}

fn locked(rules: &VerificationRules) -> Invalid {
    Invalid::new(
        "code",
        codes::MAIL_CODE_LOCKED,
        format!(
            "too many wrong codes; try again in {} hours",
            rules.lock_hours
        ),
    )
}

fn out_of_range(what: &str) -> Invalid {
    Invalid::new(
        "date",
        codes::DATE_OUT_OF_RANGE,
        format!("{what} is not a representable date"),
    )
}

/// The first day the mailbox may be activated: sign-up's local date in the
/// organisation's `tz` plus `activation_min_days`.
pub fn earliest_activation(
    signed_up_at: Timestamp,
    tz: &TimeZone,
    rules: &VerificationRules,
) -> Result<Date, Invalid> {
    let instant = jiff::Timestamp::from_millisecond(signed_up_at.millis())
        .map_err(|_| out_of_range("the sign-up time"))?;
    tz.to_datetime(instant)
        .date()
        .checked_add(jiff::Span::new().days(i64::from(rules.activation_min_days)))
        .map_err(|_| out_of_range("the activation date"))
}

/// The activation date the organisation chose is at least
/// [`earliest_activation`], else `mail.activation_too_early`.
pub fn check_activation_date(
    signed_up_at: Timestamp,
    requested: Date,
    tz: &TimeZone,
    rules: &VerificationRules,
) -> Result<(), Invalid> {
    let earliest = earliest_activation(signed_up_at, tz, rules)?;
    if requested < earliest {
        return Err(Invalid::new(
            "activation_date",
            codes::MAIL_ACTIVATION_TOO_EARLY,
            format!(
                "the mailbox can be activated {} days after sign-up at the earliest, on {earliest}",
                rules.activation_min_days
            ),
        ));
    }
    Ok(())
}

/// Whether the activation date has come at `now`, in the organisation's `tz`.
pub fn activation_reached(
    activation: Date,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<bool, Invalid> {
    let instant = jiff::Timestamp::from_millisecond(now.millis())
        .map_err(|_| out_of_range("the current time"))?;
    Ok(tz.to_datetime(instant).date() >= activation)
}

/// The digital mailbox of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailboxState {
    /// Signed up; the address letter is on its way.
    PendingVerification,
    /// Address verified; waits for the activation date.
    Verified,
    /// Receives mail (scanned and digital).
    Active,
    /// The address changed: nothing is received or scanned until the new
    /// address is verified.
    Suspended,
    Closed,
}

impl MailboxState {
    pub const ALL: [MailboxState; 5] = [
        MailboxState::PendingVerification,
        MailboxState::Verified,
        MailboxState::Active,
        MailboxState::Suspended,
        MailboxState::Closed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            MailboxState::PendingVerification => "pending_verification",
            MailboxState::Verified => "verified",
            MailboxState::Active => "active",
            MailboxState::Suspended => "suspended",
            MailboxState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        MailboxState::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "state",
                    codes::MAIL_MAILBOX_STATE_UNKNOWN,
                    format!("'{s}' is not a mailbox state"),
                )
            })
    }

    /// Only an active mailbox receives mail: digital deliveries match it and
    /// the scanning service runs. Anything else falls back to paper.
    pub const fn accepts_mail(self) -> bool {
        matches!(self, MailboxState::Active)
    }
}

impl fmt::Display for MailboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailboxEvent {
    /// The code from the letter was accepted. `activation_reached` tells
    /// whether the chosen activation date has come (see
    /// [`activation_reached`]): then the mailbox is active at once.
    AddressVerified {
        activation_reached: bool,
    },
    /// The daily job found the activation date has come.
    ActivationDateReached,
    /// The organisation changed its postal address (a new code is sent).
    AddressChanged,
    Close,
}

impl MailboxEvent {
    pub const ALL: [MailboxEvent; 5] = [
        MailboxEvent::AddressVerified {
            activation_reached: false,
        },
        MailboxEvent::AddressVerified {
            activation_reached: true,
        },
        MailboxEvent::ActivationDateReached,
        MailboxEvent::AddressChanged,
        MailboxEvent::Close,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            MailboxEvent::AddressVerified { .. } => "address_verified",
            MailboxEvent::ActivationDateReached => "activation_date_reached",
            MailboxEvent::AddressChanged => "address_changed",
            MailboxEvent::Close => "close",
        }
    }
}

impl fmt::Display for MailboxEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The mailbox state after `event`, or why it is refused.
///
/// A changed address suspends an active mailbox and sends a verified one
/// (not yet active: nothing to suspend) back to pending verification; a
/// suspended mailbox is re-verified by the new code. A closed mailbox
/// accepts nothing (`mail.mailbox_closed`).
pub fn mailbox_transition(
    from: MailboxState,
    event: MailboxEvent,
) -> Result<MailboxState, Invalid> {
    use MailboxEvent as E;
    use MailboxState as S;
    let to = match (from, event) {
        (S::Closed, _) => {
            return Err(Invalid::new(
                "state",
                codes::MAIL_MAILBOX_CLOSED,
                "the mailbox is closed",
            ));
        }
        (_, E::Close) => S::Closed,
        (
            S::PendingVerification | S::Suspended,
            E::AddressVerified {
                activation_reached: true,
            },
        )
        | (S::Verified, E::ActivationDateReached) => S::Active,
        (
            S::PendingVerification | S::Suspended,
            E::AddressVerified {
                activation_reached: false,
            },
        ) => S::Verified,
        (S::PendingVerification | S::Verified, E::AddressChanged) => S::PendingVerification,
        (S::Active | S::Suspended, E::AddressChanged) => S::Suspended,
        _ => {
            return Err(Invalid::new(
                "state",
                codes::MAIL_MAILBOX_ILLEGAL_TRANSITION,
                format!("a {from} mailbox cannot take {event}"),
            ));
        }
    };
    Ok(to)
}

// ---------------------------------------------------------------------------
// (b) Mail-center customer verification
// ---------------------------------------------------------------------------

/// Where a customer's identity documents are in the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerReview {
    /// Added by the customer, documents still being uploaded: nobody
    /// reviews it until the customer submits.
    Draft,
    /// The customer submitted (or resubmitted) documents.
    Submitted,
    /// The platform team checked them; the mail center decides.
    PreApproved,
    Approved,
    /// The mail center sent them back to the platform team for further
    /// review (which may ask the customer for new documents).
    SentBack,
    Rejected,
}

impl CustomerReview {
    pub const ALL: [CustomerReview; 6] = [
        CustomerReview::Draft,
        CustomerReview::Submitted,
        CustomerReview::PreApproved,
        CustomerReview::Approved,
        CustomerReview::SentBack,
        CustomerReview::Rejected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            CustomerReview::Draft => "draft",
            CustomerReview::Submitted => "submitted",
            CustomerReview::PreApproved => "pre_approved",
            CustomerReview::Approved => "approved",
            CustomerReview::SentBack => "sent_back",
            CustomerReview::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        CustomerReview::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "review",
                    codes::MAIL_REVIEW_STATE_UNKNOWN,
                    format!("'{s}' is not a review state"),
                )
            })
    }

    /// Approved or rejected: the review is over.
    pub const fn is_final(self) -> bool {
        matches!(self, CustomerReview::Approved | CustomerReview::Rejected)
    }
}

impl fmt::Display for CustomerReview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acts on a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewParty {
    Customer,
    /// The platform's verification team.
    Platform,
    /// The mail center where the customer signed up.
    MailCenter,
}

impl ReviewParty {
    pub const ALL: [ReviewParty; 3] = [
        ReviewParty::Customer,
        ReviewParty::Platform,
        ReviewParty::MailCenter,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewParty::Customer => "customer",
            ReviewParty::Platform => "platform",
            ReviewParty::MailCenter => "mail_center",
        }
    }
}

impl fmt::Display for ReviewParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewEvent {
    /// The customer submits a draft with its documents.
    Submit,
    /// The customer uploads new or corrected documents.
    Resubmit,
    PreApprove,
    Approve,
    SendBack,
    Reject,
}

impl ReviewEvent {
    pub const ALL: [ReviewEvent; 6] = [
        ReviewEvent::Submit,
        ReviewEvent::Resubmit,
        ReviewEvent::PreApprove,
        ReviewEvent::Approve,
        ReviewEvent::SendBack,
        ReviewEvent::Reject,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewEvent::Submit => "submit",
            ReviewEvent::Resubmit => "resubmit",
            ReviewEvent::PreApprove => "pre_approve",
            ReviewEvent::Approve => "approve",
            ReviewEvent::SendBack => "send_back",
            ReviewEvent::Reject => "reject",
        }
    }

    /// A staff decision, which needs a note; a customer's submission or
    /// resubmission does not.
    pub const fn needs_note(self) -> bool {
        !matches!(self, ReviewEvent::Submit | ReviewEvent::Resubmit)
    }
}

impl fmt::Display for ReviewEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

/// Why a reviewer decided: trimmed, non-empty, at most 4 000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReviewNote(String);

impl ReviewNote {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(note_missing());
        }
        if s.chars().count() > MAX_NOTE_CHARS {
            return Err(Invalid::new(
                "note",
                codes::MAIL_NOTE_TOO_LONG,
                format!("a note has at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn note_missing() -> Invalid {
    Invalid::new(
        "note",
        codes::MAIL_NOTE_MISSING,
        "every review decision needs a note saying why",
    )
}

/// The review state after `event` by `by`, or why it is refused.
///
/// | from | event | by | to |
/// |---|---|---|---|
/// | draft | submit | customer | submitted |
/// | submitted, pre-approved, sent back | resubmit | customer | submitted |
/// | submitted, sent back | pre-approve | platform | pre-approved |
/// | submitted, sent back | reject | platform | rejected |
/// | pre-approved | approve, send back, reject | mail center | approved, sent back, rejected |
///
/// Every decision but the customer's resubmission needs a note
/// (`mail.note_missing`); the wrong party is `mail.review_wrong_party`;
/// anything else, including any event on a final review,
/// `mail.review_illegal_transition`.
pub fn review_transition(
    from: CustomerReview,
    event: ReviewEvent,
    by: ReviewParty,
    note: Option<&ReviewNote>,
) -> Result<CustomerReview, Invalid> {
    use CustomerReview as R;
    use ReviewEvent as E;
    use ReviewParty as P;
    let (party, to) = match (from, event) {
        (R::Draft, E::Submit) => (P::Customer, R::Submitted),
        (R::Submitted | R::PreApproved | R::SentBack, E::Resubmit) => (P::Customer, R::Submitted),
        (R::Submitted | R::SentBack, E::PreApprove) => (P::Platform, R::PreApproved),
        (R::Submitted | R::SentBack, E::Reject) => (P::Platform, R::Rejected),
        (R::PreApproved, E::Approve) => (P::MailCenter, R::Approved),
        (R::PreApproved, E::SendBack) => (P::MailCenter, R::SentBack),
        (R::PreApproved, E::Reject) => (P::MailCenter, R::Rejected),
        _ => {
            return Err(Invalid::new(
                "review",
                codes::MAIL_REVIEW_ILLEGAL_TRANSITION,
                format!("a {from} review cannot take {event}"),
            ));
        }
    };
    if by != party {
        return Err(Invalid::new(
            "review",
            codes::MAIL_REVIEW_WRONG_PARTY,
            format!("on a {from} review, only the {party} can {event}, not the {by}"),
        ));
    }
    if event.needs_note() && note.is_none() {
        return Err(note_missing());
    }
    Ok(to)
}

/// Review deadlines and reminders; `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReviewRules {
    /// Hours the mail center has to decide after pre-approval (48).
    pub approval_hours: u32,
    /// Days between reminders to customers who have not finished (7).
    pub reminder_interval_days: u32,
    /// How many reminders are sent (4).
    pub reminder_count: u32,
}

impl ReviewRules {
    pub const DEFAULT: ReviewRules = ReviewRules {
        approval_hours: 48,
        reminder_interval_days: 7,
        reminder_count: 4,
    };

    pub const fn approval_due(&self, pre_approved_at: Timestamp) -> Timestamp {
        pre_approved_at.plus_seconds(self.approval_hours as i64 * SECONDS_PER_HOUR)
    }

    /// The mail center has not decided in time (due instant itself is on time).
    pub const fn is_approval_overdue(&self, pre_approved_at: Timestamp, now: Timestamp) -> bool {
        now.millis() > self.approval_due(pre_approved_at).millis()
    }

    /// When the reminders go out: every interval after `started_at` (sign-up).
    pub fn reminders(&self, started_at: Timestamp) -> Vec<Timestamp> {
        (1..=i64::from(self.reminder_count))
            .map(|k| {
                started_at
                    .plus_seconds(k * i64::from(self.reminder_interval_days) * SECONDS_PER_DAY)
            })
            .collect()
    }

    /// The next reminder after `sent` have gone out, if any is left.
    /// Reminders stop once the customer has submitted: the caller asks only
    /// for customers who have not finished.
    pub fn next_reminder(&self, started_at: Timestamp, sent: u32) -> Option<Timestamp> {
        (sent < self.reminder_count).then(|| {
            started_at.plus_seconds(
                (i64::from(sent) + 1) * i64::from(self.reminder_interval_days) * SECONDS_PER_DAY,
            )
        })
    }
}

impl Default for ReviewRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Approval is due 48 hours after pre-approval.
pub const fn approval_due(pre_approved_at: Timestamp) -> Timestamp {
    ReviewRules::DEFAULT.approval_due(pre_approved_at)
}

/// Past the 48 hours.
pub const fn is_approval_overdue(pre_approved_at: Timestamp, now: Timestamp) -> bool {
    ReviewRules::DEFAULT.is_approval_overdue(pre_approved_at, now)
}

/// The four weekly reminders after `started_at`.
pub const fn reminder_schedule(started_at: Timestamp) -> [Timestamp; 4] {
    let week = 7 * SECONDS_PER_DAY;
    [
        started_at.plus_seconds(week),
        started_at.plus_seconds(2 * week),
        started_at.plus_seconds(3 * week),
        started_at.plus_seconds(4 * week),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp::from_millis(1_772_442_000_000); // 2026-03-02T09:00Z
    const HOUR: i64 = SECONDS_PER_HOUR;
    const DAY: i64 = SECONDS_PER_DAY;
    const RULES: VerificationRules = VerificationRules::DEFAULT;

    fn zurich() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    fn issue() -> (VerificationCode, CodeChallenge) {
        CodeChallenge::issue([7, 200, 31, 32, 0, 255, 100, 64], T0)
    }

    #[test]
    fn codes_are_drawn_from_the_unambiguous_alphabet() {
        let (code, _) = issue();
        // 7, 200&31=8, 31, 32&31=0, 0, 255&31=31, 100&31=4, 64&31=0
        assert_eq!(code.as_str(), "78Z00Z40");
        assert_eq!(code.grouped(), "78Z0-0Z40");
        assert_eq!(format!("{code:?}"), "VerificationCode(********)");
        for c in [b'I', b'L', b'O', b'U'] {
            assert!(!CODE_ALPHABET.contains(&c));
        }
        let mut sorted = CODE_ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
    }

    #[test]
    fn typed_codes_are_forgiving_about_form_only() {
        let (code, _) = issue();
        for typed in ["78Z00Z40", "78z0-0z40", " 78Z0 0Z40 ", "78ZoOZ40"] {
            assert_eq!(VerificationCode::parse(typed).unwrap(), code, "{typed}");
        }
        assert_eq!(
            VerificationCode::parse("1IL1-1111").unwrap().as_str(),
            "11111111"
        );
        for bad in [
            "",
            "78Z00Z4",
            "78Z00Z400",
            "78Z00Z4U",
            "78Z00Z4é",
            "78Z0_0Z40",
        ] {
            assert_eq!(
                VerificationCode::parse(bad).unwrap_err().code,
                "mail.code_malformed",
                "{bad}"
            );
        }
    }

    #[test]
    fn digests_round_trip_and_match_only_their_code() {
        let (code, ch) = issue();
        assert!(ch.digest.matches(&code));
        assert!(
            !ch.digest
                .matches(&VerificationCode::parse("78Z00Z41").unwrap())
        );
        let hex = ch.digest.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(CodeDigest::from_hex(&hex).unwrap(), ch.digest);
        assert_eq!(
            CodeDigest::from_hex("abc").unwrap_err().code,
            "mail.code_digest_invalid"
        );
    }

    #[test]
    fn the_right_code_verifies_once() {
        let (code, mut ch) = issue();
        assert!(
            ch.attempt(&code.grouped(), T0.plus_seconds(3 * DAY), &RULES)
                .is_ok()
        );
        assert!(ch.used);
        assert_eq!(
            ch.attempt(code.as_str(), T0.plus_seconds(3 * DAY), &RULES)
                .unwrap_err()
                .code,
            "mail.code_used"
        );
    }

    #[test]
    fn codes_expire_after_30_days() {
        let (code, mut ch) = issue();
        assert_eq!(
            ch.attempt(code.as_str(), T0.plus_seconds(30 * DAY), &RULES)
                .unwrap_err()
                .code,
            "mail.code_expired"
        );
        assert!(
            ch.attempt(
                code.as_str(),
                T0.plus_seconds(30 * DAY).plus_millis(-1),
                &RULES
            )
            .is_ok()
        );
    }

    #[test]
    fn five_wrong_codes_lock_for_a_day() {
        let (code, mut ch) = issue();
        let now = T0.plus_seconds(DAY);
        for left in (1..=4).rev() {
            let err = ch.attempt("AAAA-AAAA", now, &RULES).unwrap_err();
            assert_eq!(err.code, "mail.code_wrong");
            assert!(
                err.message.contains(&format!("{left} tr")),
                "{}",
                err.message
            );
        }
        let err = ch.attempt("AAAA-AAAA", now, &RULES).unwrap_err();
        assert_eq!(err.code, "mail.code_locked");
        assert_eq!(ch.locked_until, Some(now.plus_seconds(24 * HOUR)));
        // Even the right code is refused while locked, and does not count.
        let err = ch
            .attempt(code.as_str(), now.plus_seconds(23 * HOUR), &RULES)
            .unwrap_err();
        assert_eq!(err.code, "mail.code_locked");
        assert_eq!(ch.wrong_tries, 5);
        // Malformed entries never count.
        let mut fresh = issue().1;
        for _ in 0..10 {
            assert_eq!(
                fresh.attempt("nope", now, &RULES).unwrap_err().code,
                "mail.code_malformed"
            );
        }
        assert_eq!(fresh.wrong_tries, 0);
        // After the lock, five more tries; the right code works.
        let later = now.plus_seconds(24 * HOUR);
        assert_eq!(
            ch.attempt("AAAA-AAAA", later, &RULES).unwrap_err().code,
            "mail.code_wrong"
        );
        assert_eq!(ch.wrong_tries, 1);
        assert!(ch.attempt(code.as_str(), later, &RULES).is_ok());
    }

    #[test]
    fn activation_at_least_three_weeks_after_sign_up() {
        // Signed up Monday 2 March 2026 at 10:00 in Zurich.
        let tz = zurich();
        assert_eq!(
            earliest_activation(T0, &tz, &RULES).unwrap(),
            date(2026, 3, 23)
        );
        assert!(check_activation_date(T0, date(2026, 3, 23), &tz, &RULES).is_ok());
        assert!(check_activation_date(T0, date(2026, 6, 1), &tz, &RULES).is_ok());
        let err = check_activation_date(T0, date(2026, 3, 22), &tz, &RULES).unwrap_err();
        assert_eq!(err.code, "mail.activation_too_early");
        assert!(err.message.contains("2026-03-23"), "{}", err.message);
        // Configurable.
        let quick = VerificationRules {
            activation_min_days: 0,
            ..RULES
        };
        assert!(check_activation_date(T0, date(2026, 3, 2), &tz, &quick).is_ok());
        // Reached at local midnight.
        let midnight = Timestamp::from_millis(
            date(2026, 3, 23)
                .at(0, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_millisecond(),
        );
        assert!(activation_reached(date(2026, 3, 23), midnight, &tz).unwrap());
        assert!(!activation_reached(date(2026, 3, 23), midnight.plus_millis(-1), &tz).unwrap());
    }

    #[test]
    fn every_mailbox_state_event_pair() {
        use MailboxEvent as E;
        use MailboxState as S;
        let verified = |r| E::AddressVerified {
            activation_reached: r,
        };
        let expected = |from: S, e: E| -> Result<S, &'static str> {
            match (from, e) {
                (S::Closed, _) => Err("mail.mailbox_closed"),
                (_, E::Close) => Ok(S::Closed),
                (S::PendingVerification | S::Suspended, e) if e == verified(true) => Ok(S::Active),
                (S::PendingVerification | S::Suspended, e) if e == verified(false) => {
                    Ok(S::Verified)
                }
                (S::Verified, E::ActivationDateReached) => Ok(S::Active),
                (S::PendingVerification | S::Verified, E::AddressChanged) => {
                    Ok(S::PendingVerification)
                }
                (S::Active | S::Suspended, E::AddressChanged) => Ok(S::Suspended),
                _ => Err("mail.mailbox_illegal_transition"),
            }
        };
        for from in S::ALL {
            for e in E::ALL {
                assert_eq!(
                    mailbox_transition(from, e).map_err(|err| err.code.as_str()),
                    expected(from, e),
                    "{from} + {e:?}"
                );
            }
        }
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(
            S::parse("open").unwrap_err().code,
            "mail.mailbox_state_unknown"
        );
    }

    #[test]
    fn changing_the_address_suspends_until_re_verified() {
        use MailboxEvent as E;
        let mut s = MailboxState::PendingVerification;
        assert!(!s.accepts_mail());
        s = mailbox_transition(
            s,
            E::AddressVerified {
                activation_reached: false,
            },
        )
        .unwrap();
        assert_eq!(s, MailboxState::Verified);
        assert!(!s.accepts_mail());
        s = mailbox_transition(s, E::ActivationDateReached).unwrap();
        assert!(s.accepts_mail());
        s = mailbox_transition(s, E::AddressChanged).unwrap();
        assert_eq!(s, MailboxState::Suspended);
        assert!(!s.accepts_mail());
        assert_eq!(
            mailbox_transition(s, E::ActivationDateReached)
                .unwrap_err()
                .code,
            "mail.mailbox_illegal_transition"
        );
        s = mailbox_transition(
            s,
            E::AddressVerified {
                activation_reached: true,
            },
        )
        .unwrap();
        assert_eq!(s, MailboxState::Active);
    }

    #[test]
    fn review_notes() {
        assert_eq!(
            ReviewNote::parse("  ").unwrap_err().code,
            "mail.note_missing"
        );
        assert_eq!(
            ReviewNote::parse(&"x".repeat(4_001)).unwrap_err().code,
            "mail.note_too_long"
        );
        assert_eq!(ReviewNote::parse(" ID ok ").unwrap().as_str(), "ID ok");
    }

    #[test]
    fn every_review_transition() {
        use CustomerReview as R;
        use ReviewEvent as E;
        use ReviewParty as P;
        let note = ReviewNote::parse("checked the passport").unwrap();
        let table: &[(R, E, P, R)] = &[
            (R::Draft, E::Submit, P::Customer, R::Submitted),
            (R::Submitted, E::Resubmit, P::Customer, R::Submitted),
            (R::PreApproved, E::Resubmit, P::Customer, R::Submitted),
            (R::SentBack, E::Resubmit, P::Customer, R::Submitted),
            (R::Submitted, E::PreApprove, P::Platform, R::PreApproved),
            (R::SentBack, E::PreApprove, P::Platform, R::PreApproved),
            (R::Submitted, E::Reject, P::Platform, R::Rejected),
            (R::SentBack, E::Reject, P::Platform, R::Rejected),
            (R::PreApproved, E::Approve, P::MailCenter, R::Approved),
            (R::PreApproved, E::SendBack, P::MailCenter, R::SentBack),
            (R::PreApproved, E::Reject, P::MailCenter, R::Rejected),
        ];
        for from in R::ALL {
            for e in E::ALL {
                for by in P::ALL {
                    let got = review_transition(from, e, by, Some(&note))
                        .map_err(|err| err.code.as_str());
                    let want = match table.iter().find(|(f, ev, _, _)| *f == from && *ev == e) {
                        Some((_, _, p, to)) if *p == by => Ok(*to),
                        Some(_) => Err("mail.review_wrong_party"),
                        None => Err("mail.review_illegal_transition"),
                    };
                    assert_eq!(got, want, "{from} + {e} by {by}");
                }
            }
        }
        for s in R::ALL {
            assert_eq!(R::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(R::parse("x").unwrap_err().code, "mail.review_state_unknown");
    }

    #[test]
    fn decisions_need_a_note_resubmissions_do_not() {
        use CustomerReview as R;
        use ReviewEvent as E;
        use ReviewParty as P;
        for (from, e, by) in [
            (R::Submitted, E::PreApprove, P::Platform),
            (R::PreApproved, E::Approve, P::MailCenter),
            (R::PreApproved, E::SendBack, P::MailCenter),
            (R::PreApproved, E::Reject, P::MailCenter),
        ] {
            assert_eq!(
                review_transition(from, e, by, None).unwrap_err().code,
                "mail.note_missing"
            );
        }
        assert_eq!(
            review_transition(R::SentBack, E::Resubmit, P::Customer, None).unwrap(),
            R::Submitted
        );
        assert_eq!(
            review_transition(R::Draft, E::Submit, P::Customer, None).unwrap(),
            R::Submitted
        );
        assert!(R::Approved.is_final() && R::Rejected.is_final());
        assert!(!R::SentBack.is_final());
    }

    #[test]
    fn approval_is_due_in_48_hours() {
        assert_eq!(approval_due(T0), T0.plus_seconds(48 * HOUR));
        assert!(!is_approval_overdue(T0, T0));
        assert!(!is_approval_overdue(T0, T0.plus_seconds(48 * HOUR)));
        assert!(is_approval_overdue(
            T0,
            T0.plus_seconds(48 * HOUR).plus_millis(1)
        ));
        let quick = ReviewRules {
            approval_hours: 24,
            ..ReviewRules::DEFAULT
        };
        assert!(quick.is_approval_overdue(T0, T0.plus_seconds(25 * HOUR)));
    }

    #[test]
    fn reminders_weekly_for_four_weeks() {
        let s = reminder_schedule(T0);
        assert_eq!(
            s,
            [
                T0.plus_seconds(7 * DAY),
                T0.plus_seconds(14 * DAY),
                T0.plus_seconds(21 * DAY),
                T0.plus_seconds(28 * DAY),
            ]
        );
        let r = ReviewRules::DEFAULT;
        assert_eq!(r.reminders(T0), s.to_vec());
        assert_eq!(r.next_reminder(T0, 0), Some(s[0]));
        assert_eq!(r.next_reminder(T0, 3), Some(s[3]));
        assert_eq!(r.next_reminder(T0, 4), None);
    }

    proptest! {
        #[test]
        fn generated_codes_parse_back(bytes in any::<[u8; 8]>()) {
            let code = VerificationCode::from_random(bytes);
            prop_assert!(code.as_str().bytes().all(|b| CODE_ALPHABET.contains(&b)));
            prop_assert_eq!(VerificationCode::parse(code.as_str()).unwrap(), code);
            prop_assert_eq!(VerificationCode::parse(&code.grouped().to_lowercase()).unwrap(), code);
        }

        /// However attempts are spread in time, no more than five wrong
        /// codes are ever evaluated within one lock period, and the right
        /// code succeeds exactly when the challenge is neither locked nor
        /// expired.
        #[test]
        fn the_lock_bounds_guessing(
            steps in prop::collection::vec((0i64..30 * 3_600, any::<bool>()), 1..60),
        ) {
            let (code, mut ch) = issue();
            let mut now = T0;
            let mut evaluated_wrong: Vec<Timestamp> = Vec::new();
            for (gap, right) in steps {
                now = now.plus_seconds(gap);
                let before = ch;
                let typed = if right { code.as_str().to_owned() } else { "AAAAAAAA".to_owned() };
                let result = ch.attempt(&typed, now, &RULES);
                let expired = now >= before.expires_at(&RULES);
                let locked = before.locked_until.is_some_and(|u| now < u);
                if right {
                    prop_assert_eq!(result.is_ok(), !before.used && !expired && !locked);
                    if result.is_ok() { break; }
                } else if result.as_ref().err().is_some_and(|e| e.code == "mail.code_wrong" || (e.code == "mail.code_locked" && !locked)) {
                    evaluated_wrong.push(now);
                }
                prop_assert!(ch.wrong_tries <= RULES.max_wrong_tries);
            }
            // Any 24 hours see at most 5 evaluated wrong codes: the fifth
            // locks, and the next is evaluated 24 hours after it at the earliest.
            for (i, t) in evaluated_wrong.iter().enumerate() {
                let window_end = t.plus_seconds(24 * HOUR);
                let in_window = evaluated_wrong.iter().skip(i).take_while(|u| **u < window_end).count();
                prop_assert!(in_window <= RULES.max_wrong_tries as usize);
            }
        }
    }
}
