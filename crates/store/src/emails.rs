//! The e-mail outbox: a message is stored together with the job that delivers
//! it, in one transaction, so a message is never lost between the two.

use crate::jobs::insert_job;
use crate::row::RowExt;
use crate::{EmailRecord, EmailState, NewJob, Result, Store, StoreError, on_pool};
use courrier_domain::{EmailAddress, EmailId, Timestamp};

const EMAIL_COLS: &str = "id, to_address, subject, body_text, body_html, state, attempts, last_error, created_at, sent_at";

pub(crate) fn email_from_row(r: &impl RowExt) -> Result<EmailRecord> {
    Ok(EmailRecord {
        id: r.id("id")?,
        to: r.parsed("to_address", EmailAddress::parse)?,
        subject: r.col("subject")?,
        body_text: r.col("body_text")?,
        body_html: r.col("body_html")?,
        state: EmailState::parse(&r.text("state")?)?,
        attempts: r.col("attempts")?,
        last_error: r.col("last_error")?,
        created_at: r.ts("created_at")?,
        sent_at: r.opt_ts("sent_at")?,
    })
}

/// Inserts a pending message into the outbox through `$exec`; the caller
/// queues its delivery job in the same transaction.
macro_rules! insert_email {
    ($exec:expr, $email:expr, $now:expr) => {{
        let email: &$crate::EmailRecord = $email;
        sqlx::query(
            "INSERT INTO emails (id, to_address, subject, body_text, body_html, state, attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6)",
        )
        .bind(email.id.to_string())
        .bind(email.to.to_string())
        .bind(email.subject.clone())
        .bind(email.body_text.clone())
        .bind(email.body_html.clone())
        .bind($now.millis())
        .execute($exec)
        .await?;
    }};
}
pub(crate) use insert_email;

impl Store {
    /// Stores a message and queues `delivery` (whose payload names the message).
    pub async fn enqueue_email(
        &self,
        email: &EmailRecord,
        delivery: &NewJob,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_email!(&mut *tx, email, now);
            insert_job!(&mut *tx, delivery, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn email(&self, id: EmailId) -> Result<EmailRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {EMAIL_COLS} FROM emails WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            email_from_row(&r)
        })
    }

    /// Records one delivery attempt and its outcome.
    pub async fn record_email_attempt(
        &self,
        id: EmailId,
        state: EmailState,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query(
                "UPDATE emails SET attempts = attempts + 1, state = $1, last_error = $2, \
                 sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END WHERE id = $4",
            )
            .bind(state.as_str())
            .bind(error.map(str::to_string))
            .bind(now.millis())
            .bind(id.to_string())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The latest messages, for the platform admin's outbox view.
    pub async fn recent_emails(&self, limit: u32) -> Result<Vec<EmailRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {EMAIL_COLS} FROM emails ORDER BY created_at DESC, id LIMIT $1"
            )))
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(email_from_row(&r)?);
            }
        });
        Ok(out)
    }
}
