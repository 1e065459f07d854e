//! New-mail notifications of a mailbox: the customer's choice (each item,
//! a daily digest, both or none) and the daily digests sent. A digest row
//! is keyed by mailbox and local day and written in the transaction that
//! queues its e-mails, so a digest goes out at most once per mailbox and
//! day however many workers or retries try, and is never lost halfway.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::emails::insert_email;
use crate::intake_counts::{DayItem, check_day};
use crate::jobs::insert_job;
use crate::mail_items::{ITEM_COLS, item_from_row};
use crate::mailbox::corrupt;
use crate::users::parse_id;
use crate::{EmailRecord, NewJob, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{MailboxId, OrgId, OrgScope, Timestamp};
use sqlx::Row;

/// How the people of a mailbox hear about new mail. The `mail.received`
/// webhook is sent for every item whatever the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyMode {
    /// An e-mail per item (the default).
    EachItem,
    /// One e-mail a day listing the day's items.
    DailyDigest,
    Both,
    None,
}

impl NotifyMode {
    pub const ALL: [NotifyMode; 4] = [
        NotifyMode::EachItem,
        NotifyMode::DailyDigest,
        NotifyMode::Both,
        NotifyMode::None,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyMode::EachItem => "each",
            NotifyMode::DailyDigest => "digest",
            NotifyMode::Both => "both",
            NotifyMode::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyMode> {
        NotifyMode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether each new item is e-mailed.
    pub const fn each_item(self) -> bool {
        matches!(self, NotifyMode::EachItem | NotifyMode::Both)
    }

    /// Whether the daily digest is e-mailed.
    pub const fn digest(self) -> bool {
        matches!(self, NotifyMode::DailyDigest | NotifyMode::Both)
    }
}

/// A mailbox that asked for the daily digest, with the time zone its day
/// is counted in (its location's; `None` for a company mailbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestMailbox {
    pub mailbox: MailboxId,
    pub org: OrgId,
    pub time_zone: Option<String>,
    pub location_name: Option<String>,
}

/// One digest sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecord {
    pub mailbox: MailboxId,
    pub org: OrgId,
    /// `YYYY-MM-DD`, local to the mailbox.
    pub day: String,
    pub items: i64,
    pub sent_at: Timestamp,
}

impl Store {
    /// The notification choice of one of the scope's mailboxes.
    pub async fn mailbox_notify(&self, scope: &OrgScope, mailbox: MailboxId) -> Result<NotifyMode> {
        on_pool!(self, |p, d| {
            let mode: Option<String> =
                sqlx::query_scalar("SELECT notify FROM mailboxes WHERE id = $1 AND org_id = $2")
                    .bind(mailbox.to_string())
                    .bind(scope.org().to_string())
                    .fetch_optional(p)
                    .await?;
            let mode = mode.ok_or(StoreError::NotFound)?;
            NotifyMode::parse(&mode).ok_or_else(|| corrupt(format!("notify mode {mode}")))
        })
    }

    /// Changes the notification choice of one of the scope's mailboxes,
    /// audited as `mailbox.notify`.
    pub async fn set_mailbox_notify(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
        mode: NotifyMode,
        now: Timestamp,
    ) -> Result<()> {
        let audit = AuditEvent::new("mailbox.notify", mailbox.to_string(), mode.as_str());
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE mailboxes SET notify = $1, updated_at = $2, version = version + 1 \
                 WHERE id = $3 AND org_id = $4",
            )
            .bind(mode.as_str())
            .bind(now.millis())
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Mailboxes that asked for the daily digest, across organisations, by
    /// id after `after`; at most `limit` (≤ 500). For the digest job.
    pub async fn digest_mailboxes(
        &self,
        after: Option<MailboxId>,
        limit: u32,
    ) -> Result<Vec<DigestMailbox>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT m.id, m.org_id, l.time_zone, l.name FROM mailboxes m \
                 LEFT JOIN locations l ON l.id = m.location_id \
                 WHERE m.notify IN ('digest', 'both') AND m.id > $1 ORDER BY m.id LIMIT $2",
            )
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(DigestMailbox {
                    mailbox: parse_id(r.try_get::<String, _>("id")?)?,
                    org: parse_id(r.try_get::<String, _>("org_id")?)?,
                    time_zone: r.try_get("time_zone")?,
                    location_name: r.try_get("name")?,
                });
            }
        });
        Ok(out)
    }

    /// Items of one of the scope's mailboxes that reached it in
    /// `[from, before)`, refused ones left out, oldest first (at most 500).
    pub async fn mailbox_items_between(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<DayItem>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS}, i.received_on FROM mail_items i WHERE i.mailbox_id = $1 \
                 AND i.org_id = $2 AND i.state <> 'refused' AND i.received_at >= $3 \
                 AND i.received_at < $4 ORDER BY i.received_at, i.id LIMIT 500"
            )))
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .bind(from.millis())
            .bind(before.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(DayItem {
                    received_on: r.try_get("received_on")?,
                    item: item_from_row(&r)?,
                });
            }
        });
        Ok(out)
    }

    /// The digest of one of the scope's mailboxes for `day`, if sent.
    pub async fn mailbox_digest(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
        day: &str,
    ) -> Result<Option<DigestRecord>> {
        check_day(day)?;
        on_pool!(self, |p, d| {
            let r = sqlx::query(
                "SELECT mailbox_id, org_id, day, items, sent_at FROM mailbox_digests \
                 WHERE mailbox_id = $1 AND day = $2 AND org_id = $3",
            )
            .bind(mailbox.to_string())
            .bind(day.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            match r {
                Some(r) => Ok(Some(DigestRecord {
                    mailbox: parse_id(r.try_get::<String, _>("mailbox_id")?)?,
                    org: parse_id(r.try_get::<String, _>("org_id")?)?,
                    day: r.try_get("day")?,
                    items: r.try_get("items")?,
                    sent_at: Timestamp::from_millis(r.try_get("sent_at")?),
                })),
                None => Ok(None),
            }
        })
    }

    /// The days on or after `from_day` (`YYYY-MM-DD`) whose digest of one
    /// of the scope's mailboxes was sent, oldest first (at most 31).
    pub async fn mailbox_digest_days(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
        from_day: &str,
    ) -> Result<Vec<String>> {
        check_day(from_day)?;
        on_pool!(self, |p, d| {
            Ok(sqlx::query_scalar(
                "SELECT day FROM mailbox_digests WHERE mailbox_id = $1 AND org_id = $2 \
                 AND day >= $3 ORDER BY day LIMIT 31",
            )
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .bind(from_day.to_string())
            .fetch_all(p)
            .await?)
        })
    }

    /// Whether one of the scope's mailboxes was on the daily digest at
    /// `at`: the latest notification choice recorded at or before `at` was
    /// `digest` or `both`; none recorded yet is the default, each item. The
    /// choice changes only through [`Store::set_mailbox_notify`], which
    /// audits every change, so the audit chain is its history (no column
    /// of its own). Lets a digest sent late skip a day whose items were
    /// announced one by one.
    pub async fn digest_chosen_at(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
        at: Timestamp,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let mode: Option<String> = sqlx::query_scalar(
                "SELECT detail FROM audit_log WHERE org_id = $1 AND action = 'mailbox.notify' \
                 AND target = $2 AND at <= $3 ORDER BY seq DESC LIMIT 1",
            )
            .bind(scope.org().to_string())
            .bind(mailbox.to_string())
            .bind(at.millis())
            .fetch_optional(p)
            .await?;
            Ok(mode
                .as_deref()
                .and_then(NotifyMode::parse)
                .is_some_and(NotifyMode::digest))
        })
    }

    /// Records the digest of a mailbox and day with its e-mails and their
    /// delivery jobs, in one transaction. A digest already recorded for the
    /// mailbox and day (another worker, a retry) is `Conflict { what:
    /// "digest.sent" }` and nothing is written.
    pub async fn record_mailbox_digest(
        &self,
        scope: &OrgScope,
        digest: &DigestRecord,
        emails: &[(EmailRecord, NewJob)],
        now: Timestamp,
    ) -> Result<()> {
        check_day(&digest.day)?;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let own: Option<String> =
                sqlx::query_scalar("SELECT id FROM mailboxes WHERE id = $1 AND org_id = $2")
                    .bind(digest.mailbox.to_string())
                    .bind(scope.org().to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if own.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO mailbox_digests (mailbox_id, day, org_id, items, sent_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(digest.mailbox.to_string())
            .bind(digest.day.clone())
            .bind(scope.org().to_string())
            .bind(digest.items)
            .bind(digest.sent_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, codes::DIGEST_SENT))?;
            for (email, job) in emails {
                insert_email!(&mut *tx, email, now);
                insert_job!(&mut *tx, job, now);
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
