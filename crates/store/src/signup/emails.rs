//! The e-mails sent to a customer about a sign-up, linked to the outbox,
//! with once-only reminders.

use super::{SIGNUP_COLS, SignupRecord, signup_from_row};
use crate::emails::insert_email;
use crate::jobs::insert_job;
use crate::mailbox::corrupt;
use crate::users::parse_id;
use crate::{EmailRecord, EmailState, MemberAccess, NewJob, Result, Store, on_pool};
use courrier_domain::{MailboxId, OrgScope, Timestamp};
use sqlx::Row;

/// Why an e-mail about a sign-up was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupEmailKind {
    /// The link to choose a password.
    Activation,
    /// "You have not finished": weekly, four times.
    Reminder,
    /// A review decision on a member.
    Decision,
}

impl SignupEmailKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            SignupEmailKind::Activation => "activation",
            SignupEmailKind::Reminder => "reminder",
            SignupEmailKind::Decision => "decision",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "activation" => SignupEmailKind::Activation,
            "reminder" => SignupEmailKind::Reminder,
            "decision" => SignupEmailKind::Decision,
            other => return Err(corrupt(format!("signup e-mail kind '{other}'"))),
        })
    }
}

/// An e-mail of a sign-up's history, with its outbox state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupEmailRecord {
    pub email: uuid::Uuid,
    pub mailbox: MailboxId,
    pub kind: SignupEmailKind,
    /// For a reminder: the start of its round (sign-up or send-back) and
    /// its number in the round (1 to 4).
    pub round_start: Option<Timestamp>,
    pub reminder_no: Option<i32>,
    pub created_at: Timestamp,
    pub to: String,
    pub subject: String,
    pub state: EmailState,
}

/// A sign-up that may be owed a reminder, with what the upkeep needs to
/// decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCandidate {
    pub signup: SignupRecord,
    /// Some member left the draft state (was submitted at least once).
    pub submitted: bool,
    /// The latest send-back of a member still sent back.
    pub sent_back_at: Option<Timestamp>,
}

/// Which sign-up e-mail to link, for [`Store::queue_signup_email`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupEmailLink {
    pub mailbox: MailboxId,
    pub kind: SignupEmailKind,
    pub round_start: Option<Timestamp>,
    pub reminder_no: Option<i32>,
}

/// Links an outbox e-mail to a sign-up inside transaction `$tx`; evaluates
/// to the rows inserted (0 for a reminder already sent).
macro_rules! link_signup_email {
    ($tx:expr, $link:expr, $email:expr, $now:expr) => {{
        let link: &$crate::SignupEmailLink = $link;
        let email: &$crate::EmailRecord = $email;
        let now: courrier_domain::Timestamp = $now;
        sqlx::query(
            "INSERT INTO signup_emails (email_id, mailbox_id, kind, round_start, reminder_no, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(email.id.to_string())
        .bind(link.mailbox.to_string())
        .bind(link.kind.as_str())
        .bind(link.round_start.map(|t| t.millis()))
        .bind(link.reminder_no)
        .bind(now.millis())
        .execute(&mut *$tx)
        .await?
        .rows_affected()
    }};
}
pub(crate) use link_signup_email;

/// An e-mail about a sign-up ready for the outbox: the message, its
/// delivery job and its link to the sign-up.
#[derive(Debug, Clone)]
pub struct SignupEmail {
    pub link: SignupEmailLink,
    pub email: EmailRecord,
    pub delivery: NewJob,
}

impl Store {
    // ----- e-mails -----

    /// Stores an e-mail about a sign-up in the outbox with its delivery job
    /// and its link to the sign-up, in one transaction. A reminder already
    /// sent for the same round and number is not sent again: the whole
    /// transaction is dropped and the answer is `false`.
    pub async fn queue_signup_email(
        &self,
        link: &SignupEmailLink,
        email: &EmailRecord,
        delivery: &NewJob,
        now: Timestamp,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_email!(&mut *tx, email, now);
            insert_job!(&mut *tx, delivery, now);
            let n = link_signup_email!(tx, link, email, now);
            if n == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
        });
        Ok(true)
    }

    /// The e-mails sent about a sign-up visible to the scope, oldest first.
    pub async fn signup_emails(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        mailbox: MailboxId,
    ) -> Result<Vec<SignupEmailRecord>> {
        self.signup(scope, access, mailbox).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT se.email_id, se.mailbox_id, se.kind, se.round_start, se.reminder_no, se.created_at, \
                 e.to_address, e.subject, e.state FROM signup_emails se JOIN emails e ON e.id = se.email_id \
                 WHERE se.mailbox_id = $1 ORDER BY se.created_at, se.email_id",
            )
            .bind(mailbox.to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(SignupEmailRecord {
                    email: parse_id(r.try_get::<String, _>("email_id")?)?,
                    mailbox: parse_id(r.try_get::<String, _>("mailbox_id")?)?,
                    kind: SignupEmailKind::parse(&r.try_get::<String, _>("kind")?)?,
                    round_start: r
                        .try_get::<Option<i64>, _>("round_start")?
                        .map(Timestamp::from_millis),
                    reminder_no: r.try_get("reminder_no")?,
                    created_at: Timestamp::from_millis(r.try_get("created_at")?),
                    to: r.try_get("to_address")?,
                    subject: r.try_get("subject")?,
                    state: EmailState::parse(&r.try_get::<String, _>("state")?)?,
                });
            }
        });
        Ok(out)
    }

    /// Sign-ups that may be owed a reminder: signed up since `since`, or
    /// with a member sent back; oldest first, at most `limit`, after the
    /// sign-up `after` (the last of the previous page) if given.
    pub async fn reminder_candidates(
        &self,
        since: Timestamp,
        after: Option<&SignupRecord>,
        limit: u32,
    ) -> Result<Vec<ReminderCandidate>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS}, \
                 (SELECT MAX(r.at) FROM member_reviews r JOIN mailbox_members mm ON mm.id = r.member_id \
                  WHERE mm.mailbox_id = s.mailbox_id AND mm.review = 'sent_back' AND r.event = 'send_back') AS sent_back_at, \
                 (SELECT COUNT(*) FROM mailbox_members mm WHERE mm.mailbox_id = s.mailbox_id AND mm.review <> 'draft') \
                  AS submitted \
                 FROM signups s WHERE (s.created_at >= $1 OR EXISTS \
                 (SELECT 1 FROM mailbox_members mm WHERE mm.mailbox_id = s.mailbox_id AND mm.review = 'sent_back')) \
                 AND ($3 IS NULL OR s.created_at > $3 OR (s.created_at = $3 AND s.mailbox_id > $4)) \
                 ORDER BY s.created_at, s.mailbox_id LIMIT $2"
            )))
            .bind(since.millis())
            .bind(i64::from(limit.clamp(1, 10_000)))
            .bind(after.map(|s| s.created_at.millis()))
            .bind(after.map(|s| s.mailbox.to_string()))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(ReminderCandidate {
                    signup: signup_from_row(&r)?,
                    submitted: r.try_get::<i64, _>("submitted")? > 0,
                    sent_back_at: r
                        .try_get::<Option<i64>, _>("sent_back_at")?
                        .map(Timestamp::from_millis),
                });
            }
        });
        Ok(out)
    }
}
