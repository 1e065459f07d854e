//! The people and companies allowed to receive mail at a location,
//! reviewed by the platform and the mail center.

use courrier_domain::codes;

use super::{MemberAccess, corrupt, customer_or_location_filter};
use crate::audit::audit_scope_in_tx;
use crate::emails::insert_email;
use crate::jobs::insert_job;
use crate::row::RowExt;
use crate::signup::{SignupEmail, link_signup_email};
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::{CustomerReview, MailboxState};
use courrier_domain::{LocationId, MailboxId, MemberId, OrgId, OrgScope, Timestamp};
use sqlx::Row;

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
    pub id: MemberId,
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

/// Members (alias `mm`) visible to the organisation bound at `$n`.
fn member_filter(access: MemberAccess, n: usize) -> String {
    customer_or_location_filter("mm", access, n)
}

impl Store {
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
        id: MemberId,
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
        id: MemberId,
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
                        what: codes::MEMBER_REVIEW_CHANGED,
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
        id: MemberId,
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
        member: MemberId,
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
}
