//! E-mail: messages are written in the recipient's language, stored in the
//! outbox with their delivery job, and sent over SMTP by that job, with
//! retries. Without SMTP configured, a message stays unsent in the outbox
//! (state pending, its error naming the setting), where the platform page
//! shows it with its text; nothing pretends it was sent.

use crate::jobs::{JobKind, Outcome};
use crate::{App, Result};
use courrier_domain::{EmailAddress, Locale};
use courrier_i18n::{Arg, words};
use courrier_store::{EmailRecord, EmailState, NewJob};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per process; boxing would buy nothing
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    /// No SMTP server configured: messages stay unsent in the outbox.
    NotConfigured,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
            Mailer::NotConfigured => f.write_str("Mailer::NotConfigured"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP is not configured: set smtp_url (COURRIER_SMTP_URL) and mail_from")]
    NotConfigured,
    #[error("invalid SMTP settings: {0}")]
    Config(String),
    #[error("SMTP delivery failed: {0}")]
    Delivery(String),
    /// The server refused the message for good (a 5xx answer): retrying cannot help.
    #[error("SMTP server rejected the message: {0}")]
    Rejected(String),
}

impl Mailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`.
    pub fn smtp(url: &str, from: &str) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailError::Config(format!("mail_from: {e}")))?;
        Ok(Mailer::Smtp { transport, from })
    }

    pub async fn send(&self, email: &EmailRecord) -> Result<(), MailError> {
        let Mailer::Smtp { transport, from } = self else {
            return Err(MailError::NotConfigured);
        };
        let to: Mailbox = email
            .to
            .as_str()
            .parse()
            .map_err(|e| MailError::Config(format!("to: {e}")))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{}@courrier>", email.id)))
            .multipart(MultiPart::alternative_plain_html(
                email.body_text.clone(),
                email.body_html.clone(),
            ))
            .map_err(|e| MailError::Config(e.to_string()))?;
        transport.send(message).await.map_err(|e| {
            if e.is_permanent() {
                MailError::Rejected(e.to_string())
            } else {
                MailError::Delivery(e.to_string())
            }
        })?;
        Ok(())
    }
}

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct EmailMessage {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn compose(subject: String, lines: &[String], link: &str, button: &str) -> EmailMessage {
    let text = format!("{}\n\n{link}\n", lines.join("\n\n"));
    let paras: String = lines
        .iter()
        .map(|l| format!("<p>{}</p>", html_escape(l)))
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;color:#1f2937\">{paras}\
         <p><a href=\"{0}\" style=\"background:#1d4ed8;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none\">{1}</a></p>\
         <p style=\"color:#6b7280;font-size:12px\">{0}</p></body></html>",
        html_escape(link),
        html_escape(button)
    );
    EmailMessage {
        subject,
        text,
        html,
    }
}

pub fn invitation(
    locale: Locale,
    org_name: &str,
    inviter: &str,
    role: &str,
    link: &str,
) -> EmailMessage {
    let args = [
        ("org", Arg::Text(org_name)),
        ("inviter", Arg::Text(inviter)),
        ("role", Arg::Text(role)),
    ];
    compose(
        words(locale, "email.invitation.subject", &args),
        &[
            words(locale, "email.invitation.line1", &args),
            words(locale, "email.invitation.line2", &[]),
        ],
        link,
        &words(locale, "email.invitation.button", &[]),
    )
}

pub fn approval_request(
    locale: Locale,
    recipient: &str,
    reference: &str,
    link: &str,
) -> EmailMessage {
    let reference = if reference.is_empty() {
        String::new()
    } else {
        format!(" ({reference})")
    };
    let args = [
        ("recipient", Arg::Text(recipient)),
        ("reference", Arg::Text(&reference)),
    ];
    compose(
        words(locale, "email.approval.subject", &args),
        &[
            words(locale, "email.approval.line1", &args),
            words(locale, "email.approval.line2", &[]),
        ],
        link,
        &words(locale, "email.approval.button", &[]),
    )
}

/// A letter reached its end: delivered, returned or failed.
pub fn letter_outcome(
    locale: Locale,
    status: courrier_domain::letters::LetterStatus,
    recipient: &str,
    reference: &str,
    note: &str,
    link: &str,
) -> EmailMessage {
    use courrier_domain::letters::LetterStatus as S;
    let reference = if reference.is_empty() {
        String::new()
    } else {
        format!(" ({reference})")
    };
    let note = if note.is_empty() {
        String::new()
    } else {
        format!(" {note}")
    };
    let args = [
        ("recipient", Arg::Text(recipient)),
        ("reference", Arg::Text(&reference)),
        ("note", Arg::Text(&note)),
    ];
    let (subject, line) = match status {
        S::Delivered => (
            "email.letter_delivered.subject",
            "email.letter_delivered.line1",
        ),
        S::Returned => (
            "email.letter_returned.subject",
            "email.letter_returned.line1",
        ),
        _ => ("email.letter_failed.subject", "email.letter_failed.line1"),
    };
    compose(
        words(locale, subject, &args),
        &[words(locale, line, &args)],
        link,
        &words(locale, "email.letter_outcome.button", &[]),
    )
}

pub fn password_reset(locale: Locale, link: &str) -> EmailMessage {
    compose(
        words(locale, "email.password_reset.subject", &[]),
        &[
            words(locale, "email.password_reset.line1", &[]),
            words(locale, "email.password_reset.line2", &[]),
        ],
        link,
        &words(locale, "email.password_reset.button", &[]),
    )
}

impl App {
    /// A pending message and its delivery job, for a use case that writes
    /// them in its own transaction (digests, reports, sign-ups) or for
    /// [`App::queue_email`].
    pub(crate) fn outbox_email(
        &self,
        to: &EmailAddress,
        message: EmailMessage,
        now: courrier_domain::Timestamp,
    ) -> (EmailRecord, courrier_store::NewJob) {
        let id = courrier_domain::EmailId::random();
        let record = EmailRecord {
            id,
            to: to.clone(),
            subject: message.subject,
            body_text: message.text,
            body_html: message.html,
            state: EmailState::Pending,
            attempts: 0,
            last_error: None,
            created_at: now,
            sent_at: None,
        };
        (record, delivery_job(id, now))
    }

    /// Puts a message in the outbox; its delivery job sends it.
    pub async fn queue_email(
        &self,
        to: &EmailAddress,
        message: EmailMessage,
    ) -> Result<courrier_domain::EmailId> {
        let now = self.now();
        let (record, job) = self.outbox_email(to, message, now);
        self.store.enqueue_email(&record, &job, now).await?;
        Ok(record.id)
    }
}

/// The job that sends the outbox message `email`, due at `at`.
pub(crate) fn delivery_job(
    email: courrier_domain::EmailId,
    at: courrier_domain::Timestamp,
) -> NewJob {
    JobKind::DeliverEmail {
        email: email.as_uuid(),
    }
    .to_job(at)
}

impl App {
    /// The delivery job of one outbox message: sends it unless it is no
    /// longer pending; `last_attempt` records a temporary failure as final.
    pub(crate) async fn deliver_email_job(
        &self,
        email: courrier_domain::EmailId,
        last_attempt: bool,
    ) -> Result<Outcome> {
        let record = self.store.email(email).await?;
        if record.state != EmailState::Pending {
            return Ok(Outcome::Done { next: None });
        }
        match self.mailer.send(&record).await {
            Ok(()) => {
                self.store
                    .record_email_attempt(email, EmailState::Sent, None, self.now())
                    .await?;
                Ok(Outcome::Done { next: None })
            }
            Err(MailError::NotConfigured) => {
                // Not a failure of this message: it stays unsent in
                // the outbox, where the platform page shows it whole.
                static SAID: std::sync::Once = std::sync::Once::new();
                SAID.call_once(|| {
                    tracing::info!(
                        "SMTP is not configured (smtp_url, COURRIER_SMTP_URL): e-mails stay unsent in the outbox, listed with their text on the platform page /admin/orgs"
                    );
                });
                self.store
                    .record_email_attempt(
                        email,
                        EmailState::Pending,
                        Some(&MailError::NotConfigured.to_string()),
                        self.now(),
                    )
                    .await?;
                Ok(Outcome::Done { next: None })
            }
            Err(e @ (MailError::Config(_) | MailError::Rejected(_))) => {
                self.store
                    .record_email_attempt(
                        email,
                        EmailState::Failed,
                        Some(&e.to_string()),
                        self.now(),
                    )
                    .await?;
                Ok(Outcome::Dead(e.to_string()))
            }
            Err(e) => {
                // The last attempt's failure is final; recording it as
                // pending would make the give-up count a phantom attempt.
                let state = if last_attempt {
                    EmailState::Failed
                } else {
                    EmailState::Pending
                };
                self.store
                    .record_email_attempt(email, state, Some(&e.to_string()), self.now())
                    .await?;
                Ok(Outcome::Retry(e.to_string()))
            }
        }
    }

    /// Marks a message failed when its delivery job gives up.
    pub(crate) async fn email_delivery_gave_up(
        &self,
        email: courrier_domain::EmailId,
    ) -> Result<()> {
        let rec = self.store.email(email).await?;
        if rec.state == EmailState::Pending {
            let err = rec.last_error.unwrap_or_else(|| "gave up".into());
            self.store
                .record_email_attempt(email, EmailState::Failed, Some(&err), self.now())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_in_both_languages_escape_html() {
        let en = invitation(Locale::En, "A&B <SA>", "Anna", "member", "https://x/i/t");
        assert!(en.html.contains("A&amp;B &lt;SA&gt;"));
        assert!(en.text.contains("https://x/i/t"));
        let fr = password_reset(Locale::Fr, "https://x/r");
        assert!(fr.subject.contains("mot de passe"));
    }
}
