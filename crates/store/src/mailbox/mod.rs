//! Mailboxes and where mail is received: mail-center [`LocationRecord`]s,
//! customers' [`MailboxRecord`]s (a company mailbox verified by post, or a
//! mailbox opened at a location) with their verification challenge, the
//! people and companies allowed to receive mail at a location
//! ([`MemberRecord`], reviewed by the platform and the mail center), and
//! each mailbox's automatic rules ([`RuleRecord`]).
//!
//! Locations are a public directory (any signed-in actor may list them). A
//! mailbox and its rules belong to the customer's organisation; a member is
//! visible to its customer and to the mail center running its location.
//! Changes are compare-and-set (mailboxes carry a `version`, members their
//! review state) and audited in the same transaction.
//!
//! Here: the mailboxes; [`locations`] the mail-center sites, [`members`]
//! the members and their reviews, [`rules`] the automatic rules.

use courrier_domain::codes;

mod locations;
mod members;
mod rules;

pub use locations::LocationRecord;
pub use members::{LocationRecipient, MemberKind, MemberRecord, MemberReviewRecord};
pub use rules::RuleRecord;

use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{CodeChallenge, CodeDigest, MailboxState};
use courrier_domain::{LetterId, LocationId, MailboxId, OrgId, OrgScope, Timestamp};

pub(crate) use crate::row::corrupt;

/// Address lines folded for matching a digital delivery to a mailbox:
/// lower case, blanks collapsed, empty lines dropped, lines joined by `|`.
pub fn address_key(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| {
            l.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("|")
}

pub(crate) fn join_lines(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A customer's mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRecord {
    pub id: MailboxId,
    /// The customer.
    pub org: OrgId,
    /// `None` for a company mailbox verified by post.
    pub location: Option<LocationId>,
    pub state: MailboxState,
    pub address: Vec<String>,
    pub country: Country,
    /// ISO date (`YYYY-MM-DD`) from which the mailbox may receive mail.
    pub activation_date: String,
    /// The code sent by post, if one was issued.
    pub challenge: Option<CodeChallenge>,
    pub code_expires_at: Option<Timestamp>,
    pub code_used_at: Option<Timestamp>,
    /// The letter, in the platform's organisation, that carried the code.
    pub verification_letter: Option<LetterId>,
    pub created_at: Timestamp,
    pub verified_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// Incremented by every change; [`Store::update_mailbox`] compares it.
    pub version: i64,
}

impl MailboxRecord {
    /// A new mailbox, active and verified at `now`, receiving mail from
    /// `activation_date` (ISO date): a location mailbox (active at once), or
    /// a company mailbox set up without a letter (demo data, tests).
    pub fn active(
        org: OrgId,
        location: Option<LocationId>,
        address: Vec<String>,
        country: Country,
        activation_date: String,
        now: Timestamp,
    ) -> Self {
        Self {
            id: MailboxId::random(),
            org,
            location,
            state: MailboxState::Active,
            address,
            country,
            activation_date,
            challenge: None,
            code_expires_at: None,
            code_used_at: None,
            verification_letter: None,
            created_at: now,
            verified_at: Some(now),
            updated_at: now,
            version: 0,
        }
    }
}

/// Who reads or decides on members beyond their own customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberAccess {
    /// The scope's organisation: the customer, or the mail center running
    /// the member's location.
    Tenant,
    /// The platform team: every member. The caller checked the platform
    /// permission.
    Platform,
}

pub(crate) const MAILBOX_COLS: &str = "m.id, m.org_id, m.location_id, m.state, m.address_lines, m.country, \
    m.activation_date, m.code_digest, m.code_issued_at, m.code_attempts, m.code_locked_until, m.code_expires_at, \
    m.code_used_at, m.verification_letter_id, m.created_at, m.verified_at, m.updated_at, m.version";

pub(crate) fn mailbox_from_row(r: &impl RowExt) -> Result<MailboxRecord> {
    let digest: Option<String> = r.col("code_digest")?;
    let used_at = r.opt_ts("code_used_at")?;
    let challenge = match (digest, r.col::<Option<i64>>("code_issued_at")?) {
        (Some(d), Some(issued)) => Some(CodeChallenge {
            digest: CodeDigest::from_hex(&d).map_err(corrupt)?,
            issued_at: Timestamp::from_millis(issued),
            wrong_tries: u32::try_from(r.col::<i32>("code_attempts")?).unwrap_or(0),
            locked_until: r.opt_ts("code_locked_until")?,
            used: used_at.is_some(),
        }),
        _ => None,
    };
    Ok(MailboxRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        location: r.opt_id("location_id")?,
        state: r.parsed("state", MailboxState::parse)?,
        address: split_lines(&r.text("address_lines")?),
        country: r.parsed("country", Country::parse)?,
        activation_date: r.col("activation_date")?,
        challenge,
        code_expires_at: r.opt_ts("code_expires_at")?,
        code_used_at: used_at,
        verification_letter: r.opt_id("verification_letter_id")?,
        created_at: r.ts("created_at")?,
        verified_at: r.opt_ts("verified_at")?,
        updated_at: r.ts("updated_at")?,
        version: r.col("version")?,
    })
}

/// Rows of the table aliased `alias` (with `org_id` and `location_id`)
/// visible to the organisation bound at `$n`: its own, and those at its
/// locations. With `MemberAccess::Platform`, every row.
pub(crate) fn customer_or_location_filter(alias: &str, access: MemberAccess, n: usize) -> String {
    match access {
        MemberAccess::Tenant => format!(
            "({alias}.org_id = ${n} OR {alias}.location_id IN (SELECT id FROM locations WHERE org_id = ${n}))"
        ),
        MemberAccess::Platform => format!("(${n} = ${n})"),
    }
}

/// Inserts a mailbox of the scope's organisation inside transaction `$tx`
/// with its `mailbox.created` audit entry (shared by
/// [`Store::create_mailbox`] and the sign-up's one transaction).
macro_rules! insert_mailbox {
    ($tx:expr, $d:expr, $scope:expr, $mailbox:expr, $now:expr) => {{
        let scope: &courrier_domain::OrgScope = $scope;
        let mailbox: &$crate::MailboxRecord = $mailbox;
        let event = courrier_domain::audit::AuditEvent::new(
            "mailbox.created",
            mailbox.id.to_string(),
            format!(
                "{} mailbox, {}",
                if mailbox.location.is_some() {
                    "location"
                } else {
                    "company"
                },
                mailbox.state.as_str()
            ),
        );
        let challenge = mailbox.challenge;
        sqlx::query(
            "INSERT INTO mailboxes (id, org_id, location_id, state, address_lines, address_key, country, \
             activation_date, code_digest, code_issued_at, code_attempts, code_locked_until, code_expires_at, \
             code_used_at, verification_letter_id, created_at, verified_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 0)",
        )
        .bind(mailbox.id.to_string())
        .bind(scope.org().to_string())
        .bind(mailbox.location.map(|l| l.to_string()))
        .bind(mailbox.state.as_str())
        .bind($crate::mailbox::join_lines(&mailbox.address))
        .bind($crate::mailbox::address_key(&mailbox.address))
        .bind(mailbox.country.as_str().to_string())
        .bind(mailbox.activation_date.clone())
        .bind(challenge.map(|c| c.digest.to_hex()))
        .bind(challenge.map(|c| c.issued_at.millis()))
        .bind(challenge.map_or(0, |c| i32::try_from(c.wrong_tries).unwrap_or(i32::MAX)))
        .bind(challenge.and_then(|c| c.locked_until).map(|t| t.millis()))
        .bind(mailbox.code_expires_at.map(|t| t.millis()))
        .bind(mailbox.code_used_at.map(|t| t.millis()))
        .bind(mailbox.verification_letter.map(|l| l.to_string()))
        .bind(mailbox.created_at.millis())
        .bind(mailbox.verified_at.map(|t| t.millis()))
        .bind(mailbox.updated_at.millis())
        .execute(&mut *$tx)
        .await
        .map_err(|e| $crate::StoreError::unique(e, codes::MAILBOX_EXISTS))?;
        $crate::audit::audit_scope_in_tx!($tx, $d, scope, &event, $now);
    }};
}
pub(crate) use insert_mailbox;

impl Store {
    // ----- mailboxes -----

    /// Stores a new mailbox of the scope's organisation. A second company
    /// mailbox, or a second mailbox at the same location, is
    /// `Conflict { what: "mailbox.exists" }`.
    pub async fn create_mailbox(
        &self,
        scope: &OrgScope,
        mailbox: &MailboxRecord,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_mailbox!(tx, d, scope, mailbox, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn mailbox(&self, scope: &OrgScope, id: MailboxId) -> Result<MailboxRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes m WHERE m.id = $1 AND m.org_id = $2"
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            mailbox_from_row(&r)
        })
    }

    /// The scope's mailboxes, company mailbox first, then by creation.
    pub async fn list_mailboxes(&self, scope: &OrgScope) -> Result<Vec<MailboxRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes m WHERE m.org_id = $1 \
                 ORDER BY CASE WHEN m.location_id IS NULL THEN 0 ELSE 1 END, m.created_at, m.id"
            )))
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(mailbox_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Saves `after` over the mailbox if nobody changed it since `before`
    /// was read (same `version`), else `Conflict { what:
    /// "mailbox.changed" }`. Address, state, challenge, letter and dates are
    /// taken from `after`; the audit `event` is appended with the change.
    pub async fn update_mailbox(
        &self,
        scope: &OrgScope,
        before: &MailboxRecord,
        after: &MailboxRecord,
        event: &AuditEvent,
        now: Timestamp,
    ) -> Result<()> {
        let challenge = after.challenge;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE mailboxes SET state = $1, address_lines = $2, address_key = $3, country = $4, \
                 activation_date = $5, code_digest = $6, code_issued_at = $7, code_attempts = $8, \
                 code_locked_until = $9, code_expires_at = $10, code_used_at = $11, verification_letter_id = $12, \
                 verified_at = $13, updated_at = $14, version = version + 1 \
                 WHERE id = $15 AND org_id = $16 AND version = $17",
            )
            .bind(after.state.as_str())
            .bind(join_lines(&after.address))
            .bind(address_key(&after.address))
            .bind(after.country.as_str().to_string())
            .bind(after.activation_date.clone())
            .bind(challenge.map(|c| c.digest.to_hex()))
            .bind(challenge.map(|c| c.issued_at.millis()))
            .bind(challenge.map_or(0, |c| i32::try_from(c.wrong_tries).unwrap_or(i32::MAX)))
            .bind(challenge.and_then(|c| c.locked_until).map(|t| t.millis()))
            .bind(after.code_expires_at.map(|t| t.millis()))
            .bind(after.code_used_at.map(|t| t.millis()))
            .bind(after.verification_letter.map(|l| l.to_string()))
            .bind(after.verified_at.map(|t| t.millis()))
            .bind(now.millis())
            .bind(before.id.to_string())
            .bind(scope.org().to_string())
            .bind(before.version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                let exists: Option<String> =
                    sqlx::query_scalar("SELECT id FROM mailboxes WHERE id = $1 AND org_id = $2")
                        .bind(before.id.to_string())
                        .bind(scope.org().to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict {
                        what: codes::MAILBOX_CHANGED,
                    },
                    None => StoreError::NotFound,
                });
            }
            audit_scope_in_tx!(tx, d, scope, event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The active mailbox of `org` that receives digital deliveries: its
    /// company mailbox, else its oldest active one. A cross-organisation
    /// lookup for the delivery use case; `None` when there is none.
    pub async fn deliverable_mailbox_of_org(&self, org: OrgId) -> Result<Option<MailboxRecord>> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes m WHERE m.org_id = $1 AND m.state = 'active' \
                 ORDER BY CASE WHEN m.location_id IS NULL THEN 0 ELSE 1 END, m.created_at, m.id LIMIT 1"
            )))
            .bind(org.to_string())
            .fetch_optional(p)
            .await?;
            match r {
                Some(r) => Ok(Some(mailbox_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// The active mailbox whose postal address folds to the same
    /// [`address_key`] as `lines`, when exactly one does. A
    /// cross-organisation lookup for the delivery use case.
    pub async fn deliverable_mailbox_at_address(
        &self,
        lines: &[String],
    ) -> Result<Option<MailboxRecord>> {
        let key = address_key(lines);
        if key.is_empty() {
            return Ok(None);
        }
        let mut found = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes m WHERE m.address_key = $1 AND m.state = 'active' LIMIT 2"
            )))
            .bind(key)
            .fetch_all(p)
            .await?;
            for r in rows {
                found.push(mailbox_from_row(&r)?);
            }
        });
        // Two organisations at one address: the letter goes on paper.
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    /// Verified mailboxes whose activation date is on or before `date`
    /// (ISO), across organisations, for the activation job.
    pub async fn mailboxes_awaiting_activation(
        &self,
        date: &str,
        limit: u32,
    ) -> Result<Vec<MailboxRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes m WHERE m.state = 'verified' AND m.activation_date <= $1 \
                 ORDER BY m.activation_date, m.id LIMIT $2"
            )))
            .bind(date.to_string())
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(mailbox_from_row(&r)?);
            }
        });
        Ok(out)
    }
}
