//! Background work of the mailbox: the OCR of scans
//! ([`crate::jobs::JobKind::OcrItem`]) and the recurring upkeep
//! ([`crate::jobs::JobKind::MailboxUpkeep`]), which activates verified
//! mailboxes whose activation date has come, creates shred tasks for
//! paper originals past their 25-day retention (unless an action is pending
//! on the item) and shreds scans past their organisation's retention.
//!
//! OCR uses one [`OcrEngine`] per process with the default configuration
//! (Tesseract `fra+deu+ita+eng`, `OMP_THREAD_LIMIT=1` per page, pages in
//! parallel up to the number of cores). Progress is stored on the item
//! (`queued`, `running` with pages done of total, `done`, `failed` with the
//! reason), and the text is indexed in the same statement that stores it.

use crate::ocr::OcrError;
use crate::{App, AppError, Result};
use courrier_domain::audit::AuditEvent;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::verification::activation_reached;
use courrier_domain::mailbox::{
    ActionKind, ItemEvent, MailboxEvent, PriceList, RetentionPolicy, mailbox_transition, transition,
};
use courrier_domain::{Actor, MailItemId, OrgKind, OrgScope, Permission, Timestamp};
use courrier_store::{OCR_UNAVAILABLE, OcrState};

/// Characters of recognised text kept (a PostgreSQL `tsvector` holds at
/// most 1 MB).
const MAX_TEXT_CHARS: usize = 500_000;
/// Items or mailboxes handled per upkeep run; a full batch runs again soon.
pub(crate) const UPKEEP_BATCH: u32 = 200;

/// What one run of [`App::mailbox_upkeep`] did; a count at
/// [`UPKEEP_BATCH`] means more may be due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailboxUpkeep {
    /// Verified mailboxes activated.
    pub activated: usize,
    /// Shred tasks created for paper originals past retention.
    pub shred_tasks: usize,
    /// Scans shredded past their organisation's retention.
    pub scans_shredded: usize,
}

impl MailboxUpkeep {
    /// A batch was full: run again at once.
    pub fn more(&self) -> bool {
        let full = UPKEEP_BATCH as usize;
        self.activated >= full || self.shred_tasks >= full || self.scans_shredded >= full
    }
}

/// What an OCR run decided, for the job.
#[derive(Debug)]
pub(crate) enum OcrRun {
    /// Text stored, or nothing to do.
    Done,
    /// Recognition failed for good (the failure is on the item).
    Failed(String),
    /// The server has no OCR: the item says so, the platform admin was
    /// told; nothing for the job to retry or give up.
    Unavailable,
}

impl App {
    /// Whether this server recognises text: see [`crate::ocr::OcrStatus`].
    pub fn ocr_status(&self) -> crate::ocr::OcrStatus {
        self.ocr.status()
    }

    /// Recognises the scan of an item and stores its text. Unreadable
    /// scans are recorded on the item as `failed` with the reason, a
    /// missing Tesseract as `failed` with the reason [`OCR_UNAVAILABLE`]
    /// (`Ok(OcrRun::Failed)`, `Ok(OcrRun::Unavailable)`); temporary trouble (files, the database) is an
    /// error, so the job is tried again.
    pub(crate) async fn run_ocr(&self, id: MailItemId) -> Result<OcrRun> {
        let item = self.store.item_for_job(id).await?;
        let (Some(org), Some(document)) = (item.org, item.scan_document) else {
            return Ok(OcrRun::Done);
        };
        if item.ocr.state == OcrState::Done {
            return Ok(OcrRun::Done);
        }
        let now = self.now();
        self.store
            .set_ocr_progress(id, OcrState::Running, 0, item.ocr.pages_total, "", now)
            .await?;
        let (doc, bytes) = self
            .read_document(&OrgScope::system(org, "system:ocr"), document)
            .await?;
        let engine = self.ocr.engine()?;
        let (tx, mut rx) = tokio::sync::watch::channel((0usize, 0usize));
        let store = self.store.clone();
        let clock = self.clock.clone();
        let progress = tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let (done, total) = *rx.borrow_and_update();
                let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
                if let Err(e) = store
                    .set_ocr_progress(
                        id,
                        OcrState::Running,
                        to_i32(done),
                        to_i32(total),
                        "",
                        clock.now(),
                    )
                    .await
                {
                    tracing::warn!(item = %id, error = %e, "OCR progress not recorded");
                }
            }
        });
        let result = if doc.content_type == "application/pdf" {
            engine
                .ocr_pdf(&bytes, move |done, total| {
                    let _ = tx.send((done, total));
                })
                .await
        } else {
            drop(tx);
            engine.ocr_image(&bytes).await
        };
        // The sender is gone with the call: the progress task ends.
        if let Err(e) = progress.await {
            tracing::warn!(item = %id, error = %e, "OCR progress task failed");
        }
        match result {
            Ok(pages) => {
                let text: String = pages
                    .iter()
                    .map(|p| p.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n\n")
                    .chars()
                    .take(MAX_TEXT_CHARS)
                    .collect();
                let count = i32::try_from(pages.len()).unwrap_or(i32::MAX);
                self.store
                    .set_ocr_text(id, &text, count, self.now())
                    .await?;
                self.ocr.ready();
                Ok(OcrRun::Done)
            }
            Err(OcrError::Unavailable(detail)) => {
                // Not the scan's fault: it is kept, the item says why it has
                // no text, and the platform admin is told once.
                self.ocr.unavailable(&detail);
                self.store
                    .set_ocr_progress(id, OcrState::Failed, 0, 0, OCR_UNAVAILABLE, self.now())
                    .await?;
                Ok(OcrRun::Unavailable)
            }
            Err(e @ (OcrError::Io(_) | OcrError::Internal(_))) => Err(AppError::from(e)),
            Err(e) => {
                let reason = e.to_string();
                self.store
                    .set_ocr_progress(id, OcrState::Failed, 0, 0, &reason, self.now())
                    .await?;
                Ok(OcrRun::Failed(reason))
            }
        }
    }

    /// Records that the OCR job of an item gave up.
    pub(crate) async fn ocr_gave_up(&self, id: MailItemId, reason: &str) -> Result<()> {
        Ok(self
            .store
            .set_ocr_progress(id, OcrState::Failed, 0, 0, reason, self.now())
            .await?)
    }

    /// One upkeep run: activations, shred tasks for originals past
    /// retention, scans past their organisation's retention. A full batch
    /// of any means more may be due. The job runs [`App::signup_upkeep`]
    /// with it.
    pub async fn mailbox_upkeep(&self, now: Timestamp) -> Result<MailboxUpkeep> {
        Ok(MailboxUpkeep {
            activated: self.activate_due_mailboxes(now).await?,
            shred_tasks: self.shred_expired_originals(now).await?,
            scans_shredded: self.shred_expired_scans(now).await?,
        })
    }

    /// The actor's scan retention in days (`mailbox.read`); `None` keeps
    /// scans.
    pub async fn scan_retention(&self, actor: &Actor) -> Result<Option<u32>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        Ok(self.store.scan_retention(&scope).await?)
    }

    /// Sets how long the actor's organisation keeps scans (`org.settings`,
    /// a customer): 1 to 3,650 days after scanning, or `None` to keep them.
    /// Scans already older go at the next upkeep. Returns the days stored.
    pub async fn set_scan_retention(
        &self,
        actor: &Actor,
        days: Option<u32>,
    ) -> Result<Option<u32>> {
        let scope = actor.scope(Permission::OrgSettings)?;
        self.require_kind(actor, OrgKind::Customer)?;
        let policy = RetentionPolicy::new(RetentionPolicy::DEFAULT.originals_days, days)?;
        self.store
            .set_scan_retention(&scope, policy.scans_days, self.now())
            .await?;
        Ok(policy.scans_days)
    }

    /// Shreds the scans past their organisation's retention (one batch):
    /// the recognised text is cleared first (so a crash between the two
    /// leaves the scan due again), then the scan is crypto-shredded. The
    /// item and its history stay. Returns how many.
    async fn shred_expired_scans(&self, now: Timestamp) -> Result<usize> {
        let mut n = 0;
        for scan in self.store.scans_due_for_purge(now, UPKEEP_BATCH).await? {
            let scope = OrgScope::system(scan.org, "system:retention");
            self.store.forget_scan_text(&scope, scan.item, now).await?;
            match self.shred_document(&scope, scan.document).await {
                Ok(()) => {
                    tracing::info!(item = %scan.item, document = %scan.document, "shredded a scan past retention");
                    n += 1;
                }
                // Another server's upkeep shredded it meanwhile.
                Err(AppError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Activates verified mailboxes whose activation date has come in their
    /// country's time zone.
    async fn activate_due_mailboxes(&self, now: Timestamp) -> Result<usize> {
        // Candidates up to tomorrow in UTC; each is checked in its own zone.
        let tomorrow = jiff::Timestamp::from_millisecond(now.millis())
            .map_err(|e| AppError::Internal(e.into()))?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .tomorrow()
            .map_err(|e| AppError::Internal(e.into()))?;
        let mut n = 0;
        for mailbox in self
            .store
            .mailboxes_awaiting_activation(&tomorrow.to_string(), UPKEEP_BATCH)
            .await?
        {
            let scope = OrgScope::system(mailbox.org, "system:activation");
            let org = self.store.org(mailbox.org).await?;
            let (_, tz, _) = self.carrier_site(&Country::parse(&org.country)?).await?;
            let date = mailbox
                .activation_date
                .parse()
                .map_err(|e| AppError::internal_from(e, "activation date"))?;
            if !activation_reached(date, now, &tz)? {
                continue;
            }
            let mut after = mailbox.clone();
            after.state = mailbox_transition(mailbox.state, MailboxEvent::ActivationDateReached)?;
            let event = AuditEvent::new("mailbox.activated", mailbox.id.to_string(), "");
            match self
                .store
                .update_mailbox(&scope, &mailbox, &after, &event, now)
                .await
            {
                Ok(()) => n += 1,
                // Changed meanwhile (the address, by its owner): next run.
                Err(courrier_store::StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(n)
    }

    /// Creates a shred task for each paper original kept past the retention
    /// of originals, at rest with no pending action.
    async fn shred_expired_originals(&self, now: Timestamp) -> Result<usize> {
        let policy = RetentionPolicy::DEFAULT;
        let cutoff = now.plus_seconds(-i64::from(policy.originals_days) * 86_400);
        let mut n = 0;
        for item in self
            .store
            .originals_due_for_shred(cutoff, UPKEEP_BATCH)
            .await?
        {
            let Some(org) = item.org else { continue };
            if !policy.shred_task_due(item.received_at, item.state, now) {
                continue;
            }
            let scope = OrgScope::system(org, "system:retention");
            let to = transition(item.state, ItemEvent::RequestShred)?;
            let note = format!(
                "originals are kept {} days; this one is shredded",
                policy.originals_days
            );
            let fee = PriceList::DEFAULT.fee(&courrier_domain::mailbox::Action::Shred, &item.item);
            let task = self
                .new_task(&item, ActionKind::Shred, &fee, &note, false)
                .await?;
            match self
                .store
                .request_task(
                    &scope,
                    &task,
                    item.state,
                    to,
                    ItemEvent::RequestShred.as_str(),
                    &note,
                    now,
                )
                .await
            {
                Ok(()) => n += 1,
                Err(courrier_store::StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(n)
    }
}
/// How often the upkeep runs when it has no backlog.
const UPKEEP_EVERY_SECS: i64 = 600;

impl App {
    /// The OCR job of an item.
    pub(crate) async fn ocr_job(&self, item: MailItemId) -> Result<crate::jobs::Outcome> {
        Ok(match self.run_ocr(item).await? {
            OcrRun::Done | OcrRun::Unavailable => crate::jobs::Outcome::Done { next: None },
            OcrRun::Failed(e) => crate::jobs::Outcome::Dead(e),
        })
    }

    /// The recurring upkeep job: [`App::mailbox_upkeep`] and
    /// [`App::signup_upkeep`], again right away while either has a backlog.
    pub(crate) async fn mailbox_upkeep_job(&self, now: Timestamp) -> Result<crate::jobs::Outcome> {
        let mailboxes = self.mailbox_upkeep(now).await?;
        let signups = self.signup_upkeep(now).await?;
        if signups.billed + signups.reminded + signups.closed > 0 {
            tracing::info!(
                billed = signups.billed,
                reminded = signups.reminded,
                closed = signups.closed,
                "sign-up upkeep"
            );
        }
        let next = if mailboxes.more() || signups.more {
            now
        } else {
            now.plus_seconds(UPKEEP_EVERY_SECS)
        };
        Ok(crate::jobs::Outcome::Done { next: Some(next) })
    }
}
