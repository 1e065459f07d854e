//! What a background job is: its kind, the name and payload it is stored
//! under, its unique key and how many attempts it gets. Data only: this
//! module knows nothing of the features that run the jobs (see
//! `dispatch.rs` for that).
//!
//! A job is stored as its kind name (`email.deliver`, …) and a payload text:
//! the kind's fields in JSON (`{"email":"…"}`), empty for kinds without
//! fields. Rows queued before the payload was JSON hold the old text forms
//! (a bare id, `org/run` for a run); [`JobKind::parse`] still reads them.

use courrier_domain::{MailItemId, OrgId, RunId, Timestamp};
use courrier_store::NewJob;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Attempts at sending one e-mail of the outbox.
pub const DELIVER_EMAIL_ATTEMPTS: i32 = 8;
/// Attempts per webhook delivery before it is marked failed.
pub const DELIVER_WEBHOOK_ATTEMPTS: i32 = 10;
/// Attempts at processing a bulk run.
pub const PROCESS_RUN_ATTEMPTS: i32 = 5;
/// Attempts of every other kind (recurring jobs, OCR).
pub const DEFAULT_ATTEMPTS: i32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum JobKind {
    /// Send one message of the outbox (see `crate::email`).
    #[serde(rename = "email.deliver")]
    DeliverEmail {
        #[serde(with = "text")]
        email: Uuid,
    },
    /// Recurring: delete expired sessions, old failed-login records and
    /// idempotency keys past their 24 hours (see `crate::auth`).
    #[serde(rename = "signin.cleanup")]
    CleanupSignInState,
    /// Recurring: crypto-shred letter documents past their retention (see
    /// `crate::letters`).
    #[serde(rename = "letters.purge")]
    PurgeLetterDocuments,
    /// POST one webhook delivery to its endpoint (see `crate::webhooks`).
    #[serde(rename = "webhook.deliver")]
    DeliverWebhook {
        #[serde(with = "text")]
        delivery: Uuid,
    },
    /// Split or merge the letters of a bulk run (see `crate::runs`).
    #[serde(rename = "runs.process")]
    ProcessRun {
        #[serde(with = "text")]
        org: OrgId,
        #[serde(with = "text")]
        run: RunId,
    },
    /// Recognise the scan of a mail item (see `crate::mailbox`).
    #[serde(rename = "mail.ocr")]
    OcrItem {
        #[serde(with = "text")]
        item: MailItemId,
    },
    /// Recurring: activate mailboxes whose date has come and create shred
    /// tasks for paper originals past retention (see `crate::mailbox`).
    #[serde(rename = "mail.upkeep")]
    MailboxUpkeep,
    /// Recurring: make and e-mail the reports of due schedules (see `crate::reports`).
    #[serde(rename = "reports.send")]
    SendScheduledReports,
    /// Recurring: e-mail the daily digests of new mail that are due (see
    /// `crate::mailbox`, `mailbox/digest.rs`).
    #[serde(rename = "mail.digest")]
    SendMailboxDigests,
}

impl JobKind {
    /// The recurring jobs: each queues its next run when it finishes.
    pub const RECURRING: [JobKind; 5] = [
        JobKind::CleanupSignInState,
        JobKind::PurgeLetterDocuments,
        JobKind::MailboxUpkeep,
        JobKind::SendScheduledReports,
        JobKind::SendMailboxDigests,
    ];

    /// The name the kind is stored under (the job's `kind` column).
    pub fn name(&self) -> &'static str {
        match self {
            JobKind::DeliverEmail { .. } => "email.deliver",
            JobKind::CleanupSignInState => "signin.cleanup",
            JobKind::PurgeLetterDocuments => "letters.purge",
            JobKind::DeliverWebhook { .. } => "webhook.deliver",
            JobKind::ProcessRun { .. } => "runs.process",
            JobKind::OcrItem { .. } => "mail.ocr",
            JobKind::MailboxUpkeep => "mail.upkeep",
            JobKind::SendScheduledReports => "reports.send",
            JobKind::SendMailboxDigests => "mail.digest",
        }
    }

    /// Attempts before the job goes to the dead-letter list.
    pub fn max_attempts(&self) -> i32 {
        match self {
            JobKind::DeliverEmail { .. } => DELIVER_EMAIL_ATTEMPTS,
            JobKind::DeliverWebhook { .. } => DELIVER_WEBHOOK_ATTEMPTS,
            JobKind::ProcessRun { .. } => PROCESS_RUN_ATTEMPTS,
            JobKind::OcrItem { .. }
            | JobKind::CleanupSignInState
            | JobKind::PurgeLetterDocuments
            | JobKind::MailboxUpkeep
            | JobKind::SendScheduledReports
            | JobKind::SendMailboxDigests => DEFAULT_ATTEMPTS,
        }
    }

    /// At most one job with this key is queued or running at a time.
    pub fn unique_key(&self) -> String {
        match self {
            JobKind::DeliverEmail { email } => format!("email:{email}"),
            JobKind::DeliverWebhook { delivery } => format!("webhook:{delivery}"),
            JobKind::ProcessRun { run, .. } => format!("run:{run}"),
            JobKind::OcrItem { item } => format!("ocr:{item}"),
            JobKind::CleanupSignInState
            | JobKind::PurgeLetterDocuments
            | JobKind::MailboxUpkeep
            | JobKind::SendScheduledReports
            | JobKind::SendMailboxDigests => format!("recurring:{}", self.name()),
        }
    }

    /// The payload text: the kind's fields in JSON, empty when it has none.
    pub fn payload(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut tagged)) => tagged
                .remove("payload")
                .map(|fields| fields.to_string())
                .unwrap_or_default(),
            // The derive always makes an object; nothing else can come out.
            _ => String::new(),
        }
    }

    /// The kind of a stored job from its name and payload text, JSON or the
    /// text forms of older rows.
    pub fn parse(kind: &str, payload: &str) -> Result<JobKind, String> {
        let payload = payload.trim();
        let mut tagged = serde_json::Map::new();
        tagged.insert("kind".into(), kind.into());
        if !payload.is_empty() {
            match serde_json::from_str::<serde_json::Value>(payload) {
                Ok(fields) => {
                    tagged.insert("payload".into(), fields);
                }
                Err(_) => return Self::parse_legacy(kind, payload),
            }
        }
        serde_json::from_value(serde_json::Value::Object(tagged))
            .map_err(|e| format!("bad job '{kind}' with payload '{payload}': {e}"))
    }

    /// The payload forms written before JSON: a bare id, `org/run` for a run.
    fn parse_legacy(kind: &str, payload: &str) -> Result<JobKind, String> {
        match kind {
            "email.deliver" => Uuid::parse_str(payload)
                .map(|email| JobKind::DeliverEmail { email })
                .map_err(|_| format!("bad e-mail id '{payload}'")),
            "webhook.deliver" => Uuid::parse_str(payload)
                .map(|delivery| JobKind::DeliverWebhook { delivery })
                .map_err(|_| format!("bad webhook delivery id '{payload}'")),
            "runs.process" => payload
                .split_once('/')
                .and_then(|(org, run)| {
                    Some(JobKind::ProcessRun {
                        org: org.parse().ok()?,
                        run: run.parse().ok()?,
                    })
                })
                .ok_or_else(|| format!("bad run '{payload}'")),
            "mail.ocr" => payload
                .parse()
                .map(|item| JobKind::OcrItem { item })
                .map_err(|_| format!("bad item id '{payload}'")),
            other => Err(format!("bad job '{other}' with payload '{payload}'")),
        }
    }

    /// The row to queue for this job, due at `run_at`.
    pub fn to_job(&self, run_at: Timestamp) -> NewJob {
        NewJob {
            kind: self.name().into(),
            payload: self.payload(),
            unique_key: Some(self.unique_key()),
            run_at,
            max_attempts: self.max_attempts(),
        }
    }
}

/// Ids in payloads as their text (`Display` / `FromStr`), the form they have
/// everywhere else.
mod text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| D::Error::custom(format!("'{text}' is not an identifier")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<JobKind> {
        let mut kinds = vec![
            JobKind::DeliverEmail {
                email: Uuid::new_v4(),
            },
            JobKind::DeliverWebhook {
                delivery: Uuid::new_v4(),
            },
            JobKind::ProcessRun {
                org: OrgId::random(),
                run: RunId::random(),
            },
            JobKind::OcrItem {
                item: MailItemId::random(),
            },
        ];
        kinds.extend(JobKind::RECURRING);
        kinds
    }

    #[test]
    fn kinds_round_trip_through_their_stored_form() {
        for kind in every_kind() {
            let job = kind.to_job(Timestamp::from_millis(0));
            assert_eq!(job.kind, kind.name());
            assert_eq!(JobKind::parse(&job.kind, &job.payload).unwrap(), kind);
            assert_eq!(job.unique_key.as_deref(), Some(kind.unique_key().as_str()));
        }
        assert!(JobKind::parse("x", "").is_err());
        assert!(JobKind::parse("email.deliver", "").is_err());
        assert!(JobKind::parse("email.deliver", r#"{"email":"nope"}"#).is_err());
        assert!(JobKind::parse("mail.ocr", "not-an-id").is_err());
    }

    #[test]
    fn payloads_are_json_and_empty_without_fields() {
        let email = Uuid::new_v4();
        assert_eq!(
            JobKind::DeliverEmail { email }.payload(),
            format!(r#"{{"email":"{email}"}}"#)
        );
        let (org, run) = (OrgId::random(), RunId::random());
        assert_eq!(
            JobKind::ProcessRun { org, run }.payload(),
            format!(r#"{{"org":"{org}","run":"{run}"}}"#)
        );
        assert_eq!(JobKind::MailboxUpkeep.payload(), "");
        assert_eq!(JobKind::MailboxUpkeep.unique_key(), "recurring:mail.upkeep");
    }

    #[test]
    fn rows_queued_before_json_payloads_still_parse() {
        let id = Uuid::new_v4();
        assert_eq!(
            JobKind::parse("email.deliver", &id.to_string()).unwrap(),
            JobKind::DeliverEmail { email: id }
        );
        assert_eq!(
            JobKind::parse("webhook.deliver", &id.to_string()).unwrap(),
            JobKind::DeliverWebhook { delivery: id }
        );
        let item = MailItemId::from_uuid(id);
        assert_eq!(
            JobKind::parse("mail.ocr", &id.to_string()).unwrap(),
            JobKind::OcrItem { item }
        );
        let (org, run) = (OrgId::random(), RunId::random());
        assert_eq!(
            JobKind::parse("runs.process", &format!("{org}/{run}")).unwrap(),
            JobKind::ProcessRun { org, run }
        );
        assert!(JobKind::parse("runs.process", &format!("{org}")).is_err());
        for kind in JobKind::RECURRING {
            assert_eq!(JobKind::parse(kind.name(), "").unwrap(), kind);
        }
    }
}
