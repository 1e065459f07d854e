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

use crate::audit::audit_scope_in_tx;
use crate::emails::insert_email;
use crate::jobs::insert_job;
use crate::row::RowExt;
use crate::signup::{SignupEmail, link_signup_email};
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{CodeChallenge, CodeDigest, CustomerReview, MailboxState};
use courrier_domain::{LetterId, LocationId, MailboxId, OrgId, OrgScope, Timestamp};
use sqlx::Row;

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

/// A mail-center site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecord {
    pub id: LocationId,
    /// The mail center's organisation.
    pub org: OrgId,
    pub name: String,
    pub address: Vec<String>,
    pub country: Country,
    /// IANA time zone name (`Europe/Zurich`); task deadlines are local.
    pub time_zone: String,
    pub created_at: Timestamp,
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

/// Person or company allowed to receive mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberKind {
    Person,
    Company,
}

impl MemberKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            MemberKind::Person => "person",
            MemberKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(MemberKind::Person),
            "company" => Some(MemberKind::Company),
            _ => None,
        }
    }
}

/// A person or company who may receive mail of a mailbox at a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub id: uuid::Uuid,
    pub mailbox: MailboxId,
    /// The customer.
    pub org: OrgId,
    pub location: LocationId,
    pub name: String,
    pub kind: MemberKind,
    pub review: CustomerReview,
    /// The last review note.
    pub notes: String,
    pub pre_approved_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One review decision in a member's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberReviewRecord {
    pub seq: i32,
    pub at: Timestamp,
    pub event: String,
    pub party: String,
    pub actor: String,
    pub note: String,
}

/// A recipient the clerk can choose at intake: the member and the state of
/// its mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecipient {
    pub member: MemberRecord,
    pub mailbox_state: MailboxState,
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

/// An automatic rule of a mailbox, serialised: the use cases parse it into
/// a `courrier_domain::mailbox::Rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRecord {
    pub id: uuid::Uuid,
    pub mailbox: MailboxId,
    pub org: OrgId,
    /// 1-based order; set by the store on creation.
    pub position: i32,
    /// `sender:<text>`, `kind:<kind>` or `advertising`.
    pub condition: String,
    /// An action name (`scan`, `shred`, …).
    pub action: String,
    /// Conditions in the same form.
    pub exceptions: Vec<String>,
    pub created_at: Timestamp,
}

const LOCATION_COLS: &str = "id, org_id, name, address, country, time_zone, created_at";

pub(crate) fn location_from_row(r: &impl RowExt) -> Result<LocationRecord> {
    Ok(LocationRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        name: r.col("name")?,
        address: split_lines(&r.text("address")?),
        country: r.parsed("country", Country::parse)?,
        time_zone: r.col("time_zone")?,
        created_at: r.ts("created_at")?,
    })
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

const MEMBER_COLS: &str = "mm.id, mm.mailbox_id, mm.org_id, mm.location_id, mm.name, mm.kind, mm.review, mm.notes, \
    mm.pre_approved_at, mm.created_at, mm.updated_at";

pub(crate) fn member_from_row(r: &impl RowExt) -> Result<MemberRecord> {
    Ok(MemberRecord {
        id: r.id("id")?,
        mailbox: r.id("mailbox_id")?,
        org: r.id("org_id")?,
        location: r.id("location_id")?,
        name: r.col("name")?,
        kind: MemberKind::parse(&r.text("kind")?).ok_or_else(|| corrupt("member kind"))?,
        review: r.parsed("review", CustomerReview::parse)?,
        notes: r.col("notes")?,
        pre_approved_at: r.opt_ts("pre_approved_at")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

const RULE_COLS: &str =
    "id, mailbox_id, org_id, position, condition, action, exceptions, created_at";

pub(crate) fn rule_from_row(r: &impl RowExt) -> Result<RuleRecord> {
    Ok(RuleRecord {
        id: r.id("id")?,
        mailbox: r.id("mailbox_id")?,
        org: r.id("org_id")?,
        position: r.col("position")?,
        condition: r.col("condition")?,
        action: r.col("action")?,
        exceptions: split_lines(&r.text("exceptions")?),
        created_at: r.ts("created_at")?,
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

/// Members (alias `mm`) visible to the organisation bound at `$n`.
fn member_filter(access: MemberAccess, n: usize) -> String {
    customer_or_location_filter("mm", access, n)
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
        .map_err(|e| $crate::StoreError::unique(e, "mailbox.exists"))?;
        $crate::audit::audit_scope_in_tx!($tx, $d, scope, &event, $now);
    }};
}
pub(crate) use insert_mailbox;

impl Store {
    // ----- locations -----

    /// Registers a site of the scope's mail center.
    pub async fn create_location(
        &self,
        scope: &OrgScope,
        location: &LocationRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "location.created",
            location.id.to_string(),
            format!("{} ({})", location.name, location.time_zone),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO locations ({LOCATION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            )))
            .bind(location.id.to_string())
            .bind(scope.org().to_string())
            .bind(location.name.clone())
            .bind(join_lines(&location.address))
            .bind(location.country.as_str().to_string())
            .bind(location.time_zone.clone())
            .bind(location.created_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A location, from the public directory.
    pub async fn location(&self, id: LocationId) -> Result<LocationRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {LOCATION_COLS} FROM locations WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            location_from_row(&r)
        })
    }

    /// A location of the scope's mail center; another's is `NotFound`.
    pub async fn own_location(&self, scope: &OrgScope, id: LocationId) -> Result<LocationRecord> {
        let location = self.location(id).await?;
        if location.org != scope.org() {
            return Err(StoreError::NotFound);
        }
        Ok(location)
    }

    /// Every location, by name; with `org`, only that mail center's.
    pub async fn list_locations(&self, org: Option<OrgId>) -> Result<Vec<LocationRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {LOCATION_COLS} FROM locations WHERE ($1 IS NULL OR org_id = $1) ORDER BY name, id LIMIT 1000"
            )))
            .bind(org.map(|o| o.to_string()))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(location_from_row(&r)?);
            }
        });
        Ok(out)
    }

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
                        what: "mailbox.changed",
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

    // ----- members -----

    /// Adds a person or company to a mailbox of the scope's organisation,
    /// with the first entry of its review history.
    pub async fn add_member(
        &self,
        scope: &OrgScope,
        member: &MemberRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "mailbox.member_added",
            member.id.to_string(),
            format!("{} ({})", member.name, member.kind.as_str()),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let owns: Option<String> =
                sqlx::query_scalar("SELECT id FROM mailboxes WHERE id = $1 AND org_id = $2")
                    .bind(member.mailbox.to_string())
                    .bind(scope.org().to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if owns.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO mailbox_members (id, mailbox_id, org_id, location_id, name, kind, review, notes, \
                 pre_approved_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(member.id.to_string())
            .bind(member.mailbox.to_string())
            .bind(scope.org().to_string())
            .bind(member.location.to_string())
            .bind(member.name.clone())
            .bind(member.kind.as_str())
            .bind(member.review.as_str())
            .bind(member.notes.clone())
            .bind(member.pre_approved_at.map(|t| t.millis()))
            .bind(member.created_at.millis())
            .bind(member.updated_at.millis())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO member_reviews (member_id, seq, at, event, party, actor, note) \
                 VALUES ($1, 1, $2, $4, 'customer', $3, '')",
            )
            .bind(member.id.to_string())
            .bind(now.millis())
            .bind(scope.actor().to_string())
            // A draft is only added; anything else arrives submitted.
            .bind(if member.review == CustomerReview::Draft {
                "add"
            } else {
                "submit"
            })
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A member visible to the scope (see [`MemberAccess`]).
    pub async fn member(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        id: uuid::Uuid,
    ) -> Result<MemberRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MEMBER_COLS} FROM mailbox_members mm WHERE mm.id = $1 AND {}",
                member_filter(access, 2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            member_from_row(&r)
        })
    }

    /// Members visible to the scope, optionally of one mailbox, location or
    /// review state, by name.
    pub async fn list_members(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        mailbox: Option<MailboxId>,
        location: Option<LocationId>,
        review: Option<CustomerReview>,
    ) -> Result<Vec<MemberRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MEMBER_COLS} FROM mailbox_members mm WHERE {} \
                 AND ($2 IS NULL OR mm.mailbox_id = $2) AND ($3 IS NULL OR mm.location_id = $3) \
                 AND ($4 IS NULL OR mm.review = $4) ORDER BY mm.name, mm.id LIMIT 1000",
                member_filter(access, 1)
            )))
            .bind(scope.org().to_string())
            .bind(mailbox.map(|m| m.to_string()))
            .bind(location.map(|l| l.to_string()))
            .bind(review.map(|r| r.as_str()))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(member_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Moves a member's review from `from` to `to` if it is still `from`,
    /// with its history entry, audit entry and the e-mail telling the
    /// customer (`notify`), all in one transaction; a review that moved
    /// meanwhile is `Conflict { what: "member.review_changed" }`.
    #[allow(clippy::too_many_arguments)]
    pub async fn review_member(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        id: uuid::Uuid,
        from: CustomerReview,
        to: CustomerReview,
        event_name: &str,
        party: &str,
        note: &str,
        notify: Option<&SignupEmail>,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            &format!("mailbox.member_{event_name}"),
            id.to_string(),
            note.to_string(),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE mailbox_members SET review = $1, notes = $2, updated_at = $3, \
                 pre_approved_at = CASE WHEN $1 = 'pre_approved' THEN $3 ELSE pre_approved_at END \
                 WHERE id = $4 AND review = $5 AND id IN (SELECT mm.id FROM mailbox_members mm WHERE {})",
                member_filter(access, 6)
            )))
            .bind(to.as_str())
            .bind(note.to_string())
            .bind(now.millis())
            .bind(id.to_string())
            .bind(from.as_str())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                let exists: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT mm.id FROM mailbox_members mm WHERE mm.id = $1 AND {}",
                    member_filter(access, 2)
                )))
                .bind(id.to_string())
                .bind(scope.org().to_string())
                .fetch_optional(&mut *tx)
                .await?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict {
                        what: "member.review_changed",
                    },
                    None => StoreError::NotFound,
                });
            }
            sqlx::query(
                "INSERT INTO member_reviews (member_id, seq, at, event, party, actor, note) \
                 SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 FROM member_reviews WHERE member_id = $1",
            )
            .bind(id.to_string())
            .bind(now.millis())
            .bind(event_name.to_string())
            .bind(party.to_string())
            .bind(scope.actor().to_string())
            .bind(note.to_string())
            .execute(&mut *tx)
            .await?;
            if let Some(m) = notify {
                insert_email!(&mut *tx, &m.email, now);
                insert_job!(&mut *tx, &m.delivery, now);
                link_signup_email!(tx, &m.link, &m.email, now);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A member's review history, oldest first.
    pub async fn member_history(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        id: uuid::Uuid,
    ) -> Result<Vec<MemberReviewRecord>> {
        self.member(scope, access, id).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT seq, at, event, party, actor, note FROM member_reviews WHERE member_id = $1 ORDER BY seq",
            )
            .bind(id.to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(MemberReviewRecord {
                    seq: r.try_get("seq")?,
                    at: Timestamp::from_millis(r.try_get("at")?),
                    event: r.try_get("event")?,
                    party: r.try_get("party")?,
                    actor: r.try_get("actor")?,
                    note: r.try_get("note")?,
                });
            }
        });
        Ok(out)
    }

    /// The recipients a clerk may choose at a location of the scope's mail
    /// center: every member there (approved or not, so the clerk can see
    /// why mail is refused) with its mailbox state, by name; `name` filters
    /// case-insensitively.
    pub async fn location_recipients(
        &self,
        scope: &OrgScope,
        location: LocationId,
        name: Option<&str>,
    ) -> Result<Vec<LocationRecipient>> {
        self.own_location(scope, location).await?;
        let like = name
            .map(|n| format!("%{}%", n.trim().to_lowercase().replace(['%', '_'], "")))
            .filter(|n| n != "%%");
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MEMBER_COLS}, m.state AS mailbox_state FROM mailbox_members mm \
                 JOIN mailboxes m ON m.id = mm.mailbox_id \
                 WHERE mm.location_id = $1 AND ($2 IS NULL OR LOWER(mm.name) LIKE $2) \
                 ORDER BY mm.name, mm.id LIMIT 200"
            )))
            .bind(location.to_string())
            .bind(like)
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(LocationRecipient {
                    member: member_from_row(&r)?,
                    mailbox_state: MailboxState::parse(&r.try_get::<String, _>("mailbox_state")?)
                        .map_err(corrupt)?,
                });
            }
        });
        Ok(out)
    }

    /// One recipient at a location of the scope's mail center, with its
    /// mailbox state; `NotFound` when the member is not at that location.
    pub async fn location_recipient(
        &self,
        scope: &OrgScope,
        location: LocationId,
        member: uuid::Uuid,
    ) -> Result<LocationRecipient> {
        self.own_location(scope, location).await?;
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MEMBER_COLS}, m.state AS mailbox_state FROM mailbox_members mm \
                 JOIN mailboxes m ON m.id = mm.mailbox_id WHERE mm.id = $1 AND mm.location_id = $2"
            )))
            .bind(member.to_string())
            .bind(location.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            Ok(LocationRecipient {
                member: member_from_row(&r)?,
                mailbox_state: MailboxState::parse(&r.try_get::<String, _>("mailbox_state")?)
                    .map_err(corrupt)?,
            })
        })
    }

    // ----- rules -----

    /// Appends a rule at the end of a mailbox's rules; returns its position.
    pub async fn create_rule(
        &self,
        scope: &OrgScope,
        rule: &RuleRecord,
        now: Timestamp,
    ) -> Result<i32> {
        let event = AuditEvent::new(
            "mailbox.rule_created",
            rule.id.to_string(),
            format!("{} → {}", rule.condition, rule.action),
        );
        let position: i32;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let owns: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM mailboxes WHERE id = $1 AND org_id = $2{}",
                d.lock_rows
            )))
            .bind(rule.mailbox.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if owns.is_none() {
                return Err(StoreError::NotFound);
            }
            position = sqlx::query_scalar(
                "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS INTEGER) FROM mailbox_rules WHERE mailbox_id = $1",
            )
            .bind(rule.mailbox.to_string())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO mailbox_rules ({RULE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            )))
            .bind(rule.id.to_string())
            .bind(rule.mailbox.to_string())
            .bind(scope.org().to_string())
            .bind(position)
            .bind(rule.condition.clone())
            .bind(rule.action.clone())
            .bind(rule.exceptions.join("\n"))
            .bind(rule.created_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(position)
    }

    /// A mailbox's rules in order.
    pub async fn rules(&self, scope: &OrgScope, mailbox: MailboxId) -> Result<Vec<RuleRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RULE_COLS} FROM mailbox_rules WHERE mailbox_id = $1 AND org_id = $2 ORDER BY position, id"
            )))
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(rule_from_row(&r)?);
            }
        });
        Ok(out)
    }

    pub async fn delete_rule(
        &self,
        scope: &OrgScope,
        id: uuid::Uuid,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("mailbox.rule_deleted", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query("DELETE FROM mailbox_rules WHERE id = $1 AND org_id = $2")
                .bind(id.to_string())
                .bind(scope.org().to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
