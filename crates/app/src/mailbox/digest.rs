//! New-mail notifications by daily digest. A mailbox chooses how its people
//! hear about new mail ([`NotifyMode`]: each item, a daily digest, both or
//! none; each item by default). The `mail.received` webhook goes out for
//! every item whatever the choice.
//!
//! The digest job ([`crate::jobs::JobKind::SendMailboxDigests`], every ten
//! minutes) sends each opted-in mailbox one e-mail per person at
//! [`DIGEST_HOUR`]:00 local time (the mailbox's location's time zone; a
//! company mailbox uses [`COMPANY_TIME_ZONE`]), listing the items that
//! reached the mailbox since the previous digest time: from 18:00 the day
//! before to 18:00 today, so an item logged at 18:05 is in tomorrow's digest
//! and none falls between two. Nothing arrived, nothing is sent. The digest
//! row (mailbox, day) is unique and written with the e-mails in one
//! transaction: a second run, a retry or another server finds it and sends
//! nothing.
//!
//! A digest that was missed (no server ran the job between its 18:00 and
//! the next day's) is sent late by the next run, once: each run looks at
//! the last [`DIGEST_CATCH_UP_DAYS`] digest days that have begun (the
//! latest whose 18:00 has passed and the ones before it), oldest first,
//! and sends each that is not recorded yet and not empty. The digest row
//! keeps it to once per mailbox and day, late or not. A day's digest is
//! owed only if the mailbox was on the digest at that day's 18:00
//! ([`courrier_store::Store::digest_chosen_at`]), so switching to the
//! digest never re-sends items already e-mailed one by one.

use super::intake_day::local_date;
use super::invalid;
use crate::email::{EmailMessage, compose};
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::{Actor, Locale, MailboxId, OrgScope, Permission, Timestamp};
use courrier_i18n::{Arg, words};
use courrier_store::{DayItem, DigestMailbox, DigestRecord, NotifyMode, StoreError};

/// Local hour the digest is sent at.
pub const DIGEST_HOUR: i8 = 18;
/// How often the digest job looks for due mailboxes.
pub const DIGEST_EVERY_SECS: i64 = 600;
/// The day of a company mailbox (it has no location) is counted here.
pub const COMPANY_TIME_ZONE: &str = "Europe/Zurich";
/// Digest days each run looks at: the latest one whose hour has passed and
/// the two before, so a digest missed while no server ran (a night, a
/// weekend's outage) goes out late.
pub const DIGEST_CATCH_UP_DAYS: i64 = 3;
/// Mailboxes read per page by the job.
const PAGE: u32 = 200;

/// One line of a digest.
struct DigestLine {
    sender: String,
    kind: String,
    received_on: String,
    link: String,
}

fn kind_label(locale: Locale, kind: &str) -> String {
    let key = match kind {
        "large_envelope" => "email.digest.kind_large_envelope",
        "parcel" => "email.digest.kind_parcel",
        _ => "email.digest.kind_letter",
    };
    words(locale, key, &[])
}

/// A digest sent more than this after its hour says it is late.
const DIGEST_LATE_AFTER_MS: i64 = 3_600_000;

/// The digest e-mail; `late` when it goes out well after its hour (no
/// server ran then), which the e-mail says.
fn digest_email(
    locale: Locale,
    place: &str,
    day: &str,
    lines: &[DigestLine],
    link: &str,
    late: bool,
) -> EmailMessage {
    let n = lines.len();
    let received = words(locale, "email.digest.received", &[]);
    let args = [
        ("count", Arg::from(n)),
        ("place", Arg::Text(place)),
        ("day", Arg::Text(day)),
        ("hour", Arg::Number(i64::from(DIGEST_HOUR))),
    ];
    let mut paras = vec![words(locale, "email.digest.line1", &args)];
    paras.extend(lines.iter().map(|l| {
        format!(
            "• {} — {} — {received} {} — {}",
            l.sender, l.kind, l.received_on, l.link
        )
    }));
    if late {
        paras.push(words(locale, "email.digest.late", &args));
    }
    compose(
        words(locale, "email.digest.subject", &args),
        &paras,
        link,
        &words(locale, "email.digest.button", &[]),
    )
}

impl App {
    /// How new mail of one of the actor's mailboxes is announced (`mailbox.read`).
    pub async fn mailbox_notify(&self, actor: &Actor, mailbox: MailboxId) -> Result<NotifyMode> {
        let scope = actor.scope(Permission::MailboxRead)?;
        Ok(self.store.mailbox_notify(&scope, mailbox).await?)
    }

    /// Changes how new mail of one of the actor's mailboxes is announced
    /// (`mailbox.act`); audited.
    pub async fn set_mailbox_notify(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
        mode: &str,
    ) -> Result<NotifyMode> {
        let scope = actor.scope(Permission::MailboxAct)?;
        // Another organisation's mailbox is not found, whatever the mode.
        self.store.mailbox(&scope, mailbox).await?;
        let mode = NotifyMode::parse(mode.trim()).ok_or_else(|| {
            invalid(
                "notify",
                codes::MAIL_NOTIFY_INVALID,
                "choose each, digest, both or none",
            )
        })?;
        self.store
            .set_mailbox_notify(&scope, mailbox, mode, self.now())
            .await?;
        Ok(mode)
    }

    /// Sends the digests due at `now`, late ones included; returns how
    /// many were sent (one per mailbox and day).
    pub async fn send_mailbox_digests(&self, now: Timestamp) -> Result<usize> {
        let mut sent = 0;
        let mut after: Option<MailboxId> = None;
        loop {
            let page = self.store.digest_mailboxes(after, PAGE).await?;
            for m in &page {
                match self.send_digests(m, now).await {
                    Ok(n) => sent += n,
                    // One mailbox's trouble does not hold up the others.
                    Err(e) => {
                        tracing::warn!(mailbox = %m.mailbox, error = %e, "daily digest not sent")
                    }
                }
            }
            match page.last() {
                Some(last) if page.len() >= PAGE as usize => after = Some(last.mailbox),
                _ => break,
            }
        }
        Ok(sent)
    }

    /// One mailbox's digests of the last [`DIGEST_CATCH_UP_DAYS`] days that
    /// have begun, oldest first; returns how many were sent.
    async fn send_digests(&self, m: &DigestMailbox, now: Timestamp) -> Result<usize> {
        let internal = |e: jiff::Error| AppError::Internal(e.into());
        let zone = m.time_zone.as_deref().unwrap_or(COMPANY_TIME_ZONE);
        let tz = jiff::tz::TimeZone::get(zone)
            .map_err(|e| AppError::internal_from(e, format!("time zone {zone}")))?;
        let today = local_date(now, &tz)?;
        let instant = jiff::Timestamp::from_millisecond(now.millis()).map_err(internal)?;
        // The latest digest day whose hour has passed.
        let latest = if tz.to_datetime(instant).hour() < DIGEST_HOUR {
            today.yesterday().map_err(internal)?
        } else {
            today
        };
        let first = latest
            .checked_sub(jiff::Span::new().days(DIGEST_CATCH_UP_DAYS - 1))
            .map_err(internal)?;
        let scope = OrgScope::system(m.org, "system:digest");
        let done = self
            .store
            .mailbox_digest_days(&scope, m.mailbox, &first.to_string())
            .await?;
        let mut sent = 0;
        let mut day = first;
        while day <= latest {
            if !done.contains(&day.to_string())
                && self.send_digest(m, &scope, &tz, day, now).await?
            {
                sent += 1;
            }
            day = day.tomorrow().map_err(internal)?;
        }
        Ok(sent)
    }

    /// One mailbox's digest of `date` (its hour has passed), unless sent
    /// already, empty, or the mailbox was not on the digest at that hour.
    async fn send_digest(
        &self,
        m: &DigestMailbox,
        scope: &OrgScope,
        tz: &jiff::tz::TimeZone,
        date: jiff::civil::Date,
        now: Timestamp,
    ) -> Result<bool> {
        let internal = |e: jiff::Error| AppError::Internal(e.into());
        let day = date.to_string();
        let at_hour = |date: jiff::civil::Date| -> Result<Timestamp> {
            let z = date
                .at(DIGEST_HOUR, 0, 0, 0)
                .to_zoned(tz.clone())
                .map_err(internal)?;
            Ok(Timestamp::from_millis(z.timestamp().as_millisecond()))
        };
        let until = at_hour(date)?;
        let late = now.millis() - until.millis() > DIGEST_LATE_AFTER_MS;
        let from = at_hour(date.yesterday().map_err(internal)?)?;
        let items = self
            .store
            .mailbox_items_between(scope, m.mailbox, from, until)
            .await?;
        if items.is_empty() || !self.store.digest_chosen_at(scope, m.mailbox, until).await? {
            return Ok(false);
        }
        let place = m
            .location_name
            .clone()
            .unwrap_or_else(|| "Courrier".to_string());
        let list_link = format!("{}/mail", self.settings.public_url);
        let mut emails = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let people = self.store.list_users(scope, cursor.as_deref(), 200).await?;
            for u in people
                .items
                .iter()
                .filter(|u| u.role.permissions().contains(&Permission::MailboxRead))
            {
                let locale = Locale::from_tag(&u.locale);
                let lines: Vec<DigestLine> = items.iter().map(|d| self.line(locale, d)).collect();
                let letter = digest_email(locale, &place, &day, &lines, &list_link, late);
                emails.push(self.outbox_email(&u.email, letter, now));
            }
            match people.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let digest = DigestRecord {
            mailbox: m.mailbox,
            org: m.org,
            day,
            items: i64::try_from(items.len()).unwrap_or(i64::MAX),
            sent_at: now,
        };
        match self
            .store
            .record_mailbox_digest(scope, &digest, &emails, now)
            .await
        {
            Ok(()) => Ok(true),
            // Another worker sent it first.
            Err(StoreError::Conflict {
                what: codes::DIGEST_SENT,
            }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn line(&self, locale: Locale, d: &DayItem) -> DigestLine {
        DigestLine {
            sender: d.item.item.sender.clone().unwrap_or_else(|| "?".into()),
            kind: kind_label(locale, d.item.item.kind.as_str()),
            received_on: d.received_on.clone().unwrap_or_else(|| {
                jiff::Timestamp::from_millisecond(d.item.received_at.millis())
                    .map(|t| t.strftime("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            }),
            link: format!("{}/mail/{}", self.settings.public_url, d.item.id),
        }
    }
}
impl App {
    /// The recurring digest job, every [`DIGEST_EVERY_SECS`].
    pub(crate) async fn mailbox_digests_job(&self, now: Timestamp) -> Result<crate::jobs::Outcome> {
        let n = self.send_mailbox_digests(now).await?;
        tracing::debug!(digests = n, "daily digests sent");
        Ok(crate::jobs::Outcome::Done {
            next: Some(now.plus_seconds(DIGEST_EVERY_SECS)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: &str, locale: Locale) -> DigestLine {
        DigestLine {
            sender: "ACME SA".into(),
            kind: kind_label(locale, kind),
            received_on: "2026-03-02".into(),
            link: "https://c.test/mail/1".into(),
        }
    }

    /// One item or several, in both languages, on time or late.
    #[test]
    fn digest_words() {
        let one = digest_email(
            Locale::En,
            "Lausanne",
            "2026-03-02",
            &[line("parcel", Locale::En)],
            "https://c.test/mail",
            false,
        );
        assert_eq!(one.subject, "Your mail of 2026-03-02: 1 new item");
        assert!(one.text.starts_with(
            "1 new item arrived in your Courrier mailbox (Lausanne) by 2026-03-02, 18:00:\n\n\
             • ACME SA — parcel — received 2026-03-02 — https://c.test/mail/1\n\n"
        ));
        let two = digest_email(
            Locale::Fr,
            "Lausanne",
            "02.03.2026",
            &[
                line("letter", Locale::Fr),
                line("large_envelope", Locale::Fr),
            ],
            "https://c.test/mail",
            true,
        );
        assert_eq!(
            two.subject,
            "Votre courrier du 02.03.2026 : 2 nouveaux courriers"
        );
        assert!(two.text.starts_with(
            "2 nouveaux courriers dans votre boîte aux lettres Courrier (Lausanne) jusqu'au 02.03.2026, 18 h :\n\n\
             • ACME SA — lettre — reçu le 2026-03-02 — https://c.test/mail/1\n\n\
             • ACME SA — grande enveloppe — reçu le"
        ));
        assert!(
            two.text.contains(
                "Ce résumé arrive en retard : il n'a pas pu partir le 02.03.2026 à 18 h."
            )
        );
        let fr_one = digest_email(
            Locale::Fr,
            "L",
            "d",
            &[line("letter", Locale::Fr)],
            "x",
            false,
        );
        assert_eq!(fr_one.subject, "Votre courrier du d : 1 nouveau courrier");
    }
}
