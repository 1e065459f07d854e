//! Outbound letters: from an uploaded PDF to an accepted, priced letter, and
//! its life after that. Intake reads the PDF once: it checks the pages,
//! reads the recipient from the address window of page 1, validates the
//! print options and postage, prices them with the carrier's tariff and
//! estimates the delivery date. A letter is stored as a draft with its
//! document encrypted; submitting accepts it, or sends it to an approver
//! first when the organisation asks for that.

use crate::{App, AppError, Result};
use courrier_documents::{Finding, WindowStandard};
use courrier_domain::codes;
use courrier_domain::letters::{
    BackgroundScope, BusinessCalendar, Colour, Country, Envelope, LetterEvent, LetterStatus, Paper,
    Product, Registered, Sides, TariffTable, transition,
};
use courrier_domain::{Actor, Invalid, LetterId, Locale, OrgScope, Permission, Timestamp};
use courrier_store::{LetterEventRecord, LetterFilter, LetterRecord, OrgRecord, Outbox, Page};

/// What a sender chooses for a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterInput {
    pub envelope: Envelope,
    pub colour: Colour,
    pub sides: Sides,
    /// `None`: the colour's usual paper (80 g black and white, 90 g colour).
    pub paper: Option<Paper>,
    pub product: Product,
    pub registered: Registered,
    pub reference: String,
    /// The recipient, one line each, instead of reading the window.
    pub recipient_lines: Option<Vec<String>>,
    /// Overrides the organisation's return address.
    pub return_address: Option<String>,
    /// A background (letterhead) PDF laid under the first or every page.
    pub background: Option<BackgroundInput>,
    /// Printed attachments appended after the letter, in order.
    pub attachments: Vec<AttachmentInput>,
}

/// A letterhead PDF and the pages it goes under (its page 1 is used).
#[derive(Clone, PartialEq, Eq)]
pub struct BackgroundInput {
    pub pdf: Vec<u8>,
    pub scope: BackgroundScope,
}

impl std::fmt::Debug for BackgroundInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundInput")
            .field("bytes", &self.pdf.len())
            .field("scope", &self.scope)
            .finish()
    }
}

/// A printed attachment (a reply coupon, a flyer) and its file name.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentInput {
    pub name: String,
    pub pdf: Vec<u8>,
}

impl std::fmt::Debug for AttachmentInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentInput")
            .field("name", &self.name)
            .field("bytes", &self.pdf.len())
            .finish()
    }
}

/// Attachments a letter may have at most.
pub const MAX_ATTACHMENTS: usize = 10;

impl Default for LetterInput {
    fn default() -> Self {
        Self {
            envelope: Envelope::C5,
            colour: Colour::BlackWhite,
            sides: Sides::Simplex,
            paper: None,
            product: Product::Priority,
            registered: Registered::None,
            reference: String::new(),
            recipient_lines: None,
            return_address: None,
            background: None,
            attachments: Vec::new(),
        }
    }
}

/// A letter checked and priced, not stored yet.
#[derive(Debug, Clone)]
pub struct PreparedLetter {
    pub record: LetterRecord,
    /// What the window of page 1 held (all lines, top to bottom).
    pub window_lines: Vec<String>,
    /// Findings that do not block the letter (fonts not embedded, …).
    pub warnings: Vec<Invalid>,
    /// The composed, print-ready PDF when the letter has a background or
    /// attachments (`None`: the letter's PDF is printed as it is).
    pub composed: Option<Vec<u8>>,
}

/// A letter with its history, for the detail page.
#[derive(Debug, Clone)]
pub struct LetterView {
    pub letter: LetterRecord,
    pub history: Vec<LetterEventRecord>,
}

fn no_carrier(country: &Country) -> AppError {
    AppError::Invalid(Invalid::new(
        "country",
        codes::LETTER_NO_CARRIER,
        format!("no carrier is set up for senders in {country}; ask the platform operator"),
    ))
}

/// The time zone and business calendar of a production site in `country`
/// (`letter.no_carrier` where Courrier has no site).
pub(crate) fn site_of(country: &Country) -> Result<(jiff::tz::TimeZone, BusinessCalendar)> {
    let calendar = BusinessCalendar::for_country(country).ok_or_else(|| no_carrier(country))?;
    let zone = match country.as_str() {
        "CH" | "LI" => "Europe/Zurich",
        "BE" => "Europe/Brussels",
        "FR" => "Europe/Paris",
        "DE" => "Europe/Berlin",
        _ => return Err(no_carrier(country)),
    };
    let tz = jiff::tz::TimeZone::get(zone)
        .map_err(|e| AppError::internal_from(e, format!("time zone {zone}")))?;
    Ok((tz, calendar))
}

impl App {
    /// The carrier a production site in `country` posts with (its tariff
    /// table as stored, which the platform admin edits), and the site's time
    /// zone and calendar. No stored table is `letter.no_carrier`: the seeds
    /// are in the table from the first migration on, never read from here.
    pub(crate) async fn carrier_site(
        &self,
        country: &Country,
    ) -> Result<(TariffTable, jiff::tz::TimeZone, BusinessCalendar)> {
        let table = match self.store.tariff(country).await {
            Ok(record) => record.table,
            Err(courrier_store::StoreError::NotFound) => return Err(no_carrier(country)),
            Err(e) => return Err(e.into()),
        };
        let (tz, calendar) = site_of(country)?;
        Ok((table, tz, calendar))
    }
}

pub(crate) fn window_standard(name: &str) -> WindowStandard {
    match name {
        "din5008_a" => WindowStandard::Din5008A,
        "din5008_b" => WindowStandard::Din5008B,
        "right" | "right_window" => WindowStandard::RightWindow,
        _ => WindowStandard::SwissLeft,
    }
}

/// A composed draft's letter PDF (without its background) and the input with
/// its background and attachments as they were, for composing it anew. The
/// input's own background and attachments, when given, replace them.
fn decompose_letter(
    current: &LetterRecord,
    pdf: &[u8],
    input: &LetterInput,
) -> Result<(Vec<u8>, LetterInput)> {
    use courrier_documents::compose::decompose;
    use courrier_documents::split::to_bytes;
    let limits = courrier_documents::IntakeLimits::default();
    let doc = courrier_documents::load_pdf(pdf, &limits).map_err(|f| findings_error(vec![f]))?;
    let letter_pages = u32::try_from(current.pages).unwrap_or(0);
    let attachment_pages: Vec<u32> = current
        .attachments
        .iter()
        .map(|a| u32::try_from(a.pages).unwrap_or(0))
        .collect();
    let parts = decompose(&doc, letter_pages, &attachment_pages, current.sides)
        .map_err(|f| AppError::internal(format!("letter {}: {f}", current.id)))?;
    let mut input = input.clone();
    if input.background.is_none()
        && let (Some(scope), Some(mut background)) = (current.background, parts.background)
    {
        input.background = Some(BackgroundInput {
            pdf: to_bytes(&mut background),
            scope,
        });
    }
    if input.attachments.is_empty() {
        input.attachments = current
            .attachments
            .iter()
            .zip(parts.attachments)
            .map(|(a, mut doc)| AttachmentInput {
                name: a.name.clone(),
                pdf: to_bytes(&mut doc),
            })
            .collect();
    }
    let mut letter = parts.letter;
    Ok((to_bytes(&mut letter), input))
}

fn findings_error(findings: Vec<Finding>) -> AppError {
    AppError::Findings(
        findings
            .iter()
            .filter(|f| f.is_error())
            .map(Finding::to_invalid)
            .collect(),
    )
}

impl App {
    /// Checks and prices a PDF letter for `org` without storing anything
    /// (the checks themselves: [`crate::intake::check_letter`]).
    pub async fn prepare_letter(
        &self,
        org: &OrgRecord,
        created_by: &str,
        pdf: &[u8],
        input: &LetterInput,
    ) -> Result<PreparedLetter> {
        let settings = self.store.letter_settings(org.id).await?;
        let (table, _, _) = self.carrier_site(&Country::parse(&org.country)?).await?;
        let ctx = crate::intake::IntakeContext::new(org.id, &org.country, &settings, table)?;
        let parts_bytes: usize = input.background.iter().map(|b| b.pdf.len()).sum::<usize>()
            + input.attachments.iter().map(|a| a.pdf.len()).sum::<usize>();
        let (pdf, input) = (pdf.to_vec(), input.clone());
        let (created_by, now) = (created_by.to_string(), self.now());
        self.document_workers
            .run(pdf.len().saturating_add(parts_bytes), move || {
                let doc = courrier_documents::load_pdf(&pdf, &ctx.limits)
                    .map_err(|f| findings_error(vec![f]))?;
                crate::intake::check_letter(
                    &ctx,
                    &doc,
                    None,
                    &input,
                    &created_by,
                    now,
                    crate::intake::PageOffset::default(),
                )
            })
            .await
    }

    /// Takes a PDF letter: scans, checks and prices it, stores the document
    /// encrypted and the letter as a draft; with `submit`, submits it too.
    pub async fn create_letter(
        &self,
        actor: &Actor,
        pdf: &[u8],
        input: &LetterInput,
        submit: bool,
    ) -> Result<PreparedLetter> {
        let scope = actor.scope(Permission::LettersSend)?;
        let org = self.store.org(scope.org()).await?;
        self.check_upload(pdf).await?;
        self.check_parts_upload(input).await?;
        let mut prepared = self.prepare_letter(&org, scope.actor(), pdf, input).await?;
        let stored = prepared.composed.as_deref().unwrap_or(pdf);
        let document = self
            .store_document(&scope, stored, "application/pdf")
            .await?;
        prepared.record.document = Some(document);
        self.store
            .create_letter(&scope, &prepared.record, self.now())
            .await?;
        if submit {
            prepared.record = self.submit_letter(actor, prepared.record.id).await?;
        }
        Ok(prepared)
    }

    /// Scans a letter's background and attachments like the letter itself;
    /// an infected part is refused naming its field.
    async fn check_parts_upload(&self, input: &LetterInput) -> Result<()> {
        let parts = input
            .background
            .iter()
            .map(|b| ("background", b.pdf.as_slice()))
            .chain(
                input
                    .attachments
                    .iter()
                    .map(|a| ("attachment", a.pdf.as_slice())),
            );
        for (field, bytes) in parts {
            match self.check_upload(bytes).await {
                Ok(()) => {}
                Err(AppError::Invalid(mut invalid)) => {
                    invalid.field = field;
                    return Err(AppError::Invalid(invalid));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Prices a draft again with other options (the document is read back).
    /// A composed letter is taken apart ([`courrier_documents::compose::decompose`])
    /// and composed again with the new options, keeping its background and
    /// attachments (a blank page before the attachments comes or goes with
    /// duplex); its new document replaces the old one, which is shredded.
    pub async fn update_draft(
        &self,
        actor: &Actor,
        id: LetterId,
        input: &LetterInput,
    ) -> Result<PreparedLetter> {
        let scope = actor.scope(Permission::LettersSend)?;
        let current = self.store.letter(&scope, id).await?;
        if current.status != LetterStatus::Draft {
            return Err(AppError::Refused(codes::LETTER_NOT_A_DRAFT));
        }
        let document = current
            .document
            .ok_or(AppError::Refused(codes::DOCUMENT_SHREDDED))?;
        let (_, pdf) = self.read_document(&scope, document).await?;
        let org = self.store.org(scope.org()).await?;
        let composed = current.background.is_some() || !current.attachments.is_empty();
        let (pdf, input) = if composed {
            let (record, owned) = (current.clone(), input.clone());
            self.document_workers
                .run(pdf.len(), move || decompose_letter(&record, &pdf, &owned))
                .await?
        } else {
            (pdf, input.clone())
        };
        let mut prepared = self
            .prepare_letter(&org, &current.created_by, &pdf, &input)
            .await?;
        prepared.record.id = current.id;
        prepared.record.document = current.document;
        prepared.record.created_at = current.created_at;
        let replaced = match &prepared.composed {
            Some(bytes) => {
                prepared.record.document = Some(
                    self.store_document(&scope, bytes, "application/pdf")
                        .await?,
                );
                Some(document)
            }
            None => None,
        };
        self.store
            .update_draft_letter(&scope, &prepared.record, self.now())
            .await?;
        if let Some(old) = replaced {
            self.shred_document(&scope, old).await?;
        }
        Ok(prepared)
    }

    /// Moves a letter by one lifecycle event, checked by the domain's state
    /// machine; its webhook events are written in the same transaction.
    async fn move_letter(
        &self,
        scope: &OrgScope,
        id: LetterId,
        event: LetterEvent,
        note: &str,
    ) -> Result<LetterRecord> {
        let current = self.store.letter(scope, id).await?;
        let next = transition(current.status, event)?;
        let mut moved = current.clone();
        moved.status = next;
        if !note.is_empty() {
            moved.note = note.to_string();
        }
        let events = self.status_events(&moved, current.status)?;
        self.store
            .set_letter_status(scope, id, current.status, next, note, self.now(), &events)
            .await?;
        let letter = self.store.letter(scope, id).await?;
        if matches!(
            letter.status,
            LetterStatus::Delivered | LetterStatus::Failed | LetterStatus::Returned
        ) {
            self.tell_author(&letter).await?;
        }
        Ok(letter)
    }

    /// The webhook events telling that `letter` (as it is after the change)
    /// left `previous`: `letter.status_changed`, and `letter.delivered` when
    /// it reached its recipient.
    fn status_events(&self, letter: &LetterRecord, previous: LetterStatus) -> Result<Outbox> {
        let data = serde_json::json!({
            "letter": letter.id.to_string(),
            "reference": letter.reference,
            "status": letter.status.as_str(),
            "previous_status": previous.as_str(),
            "recipient": letter.recipient.name,
            "expected_delivery": letter.expected_delivery,
            "note": letter.note,
        })
        .to_string();
        let mut events = self.outbox();
        events.push(self.webhook_event(crate::webhooks::LETTER_STATUS_CHANGED, &data)?);
        if letter.status == LetterStatus::Delivered {
            events.push(self.webhook_event(crate::webhooks::LETTER_DELIVERED, &data)?);
        }
        Ok(events)
    }

    /// E-mails the person who created a letter when it reaches its end.
    async fn tell_author(&self, letter: &LetterRecord) -> Result<()> {
        let Some(user) = letter
            .created_by
            .strip_prefix("user:")
            .and_then(|u| u.parse::<courrier_domain::UserId>().ok())
        else {
            return Ok(());
        };
        let user = match self.store.user(user).await {
            Ok(u) => u,
            // The author left the organisation: nobody to tell.
            Err(courrier_store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let link = format!("{}/letters/{}", self.settings.public_url, letter.id);
        let text = crate::email::letter_outcome(
            Locale::from_tag(&user.locale),
            letter.status,
            &letter.recipient.name,
            &letter.reference,
            &letter.note,
            &link,
        );
        self.queue_email(&user.email, text).await?;
        Ok(())
    }

    /// Submits a draft: accepted at once, or awaiting an approver when the
    /// organisation requires approval for the person who submits it.
    pub async fn submit_letter(&self, actor: &Actor, id: LetterId) -> Result<LetterRecord> {
        let scope = actor.scope(Permission::LettersSend)?;
        let settings = self.store.letter_settings(scope.org()).await?;
        let needs_approval = actor
            .user_id()
            .is_some_and(|u| settings.approval_required_for.contains(&u));
        let letter = self
            .move_letter(&scope, id, LetterEvent::Submit { needs_approval }, "")
            .await?;
        if letter.status == LetterStatus::AwaitingApproval {
            self.ask_approvers(&scope, &letter).await?;
        }
        Ok(letter)
    }

    /// E-mails everyone who may approve, with a link to the letter.
    async fn ask_approvers(&self, scope: &OrgScope, letter: &LetterRecord) -> Result<()> {
        let link = format!("{}/letters/{}", self.settings.public_url, letter.id);
        let mut cursor: Option<String> = None;
        loop {
            let page = self.store.list_users(scope, cursor.as_deref(), 200).await?;
            for u in page
                .items
                .iter()
                .filter(|u| u.role.permissions().contains(&Permission::LettersApprove))
            {
                let text = crate::email::approval_request(
                    Locale::from_tag(&u.locale),
                    &letter.recipient.name,
                    &letter.reference,
                    &link,
                );
                self.queue_email(&u.email, text).await?;
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(())
    }

    pub async fn approve_letter(&self, actor: &Actor, id: LetterId) -> Result<LetterRecord> {
        let scope = actor.scope(Permission::LettersApprove)?;
        self.move_letter(&scope, id, LetterEvent::Approve, "").await
    }

    /// Refuses a caller without `letters.approve`, and a letter not of its
    /// organisation as not found: checked before reading what it sent.
    pub async fn letter_for_approval(&self, actor: &Actor, id: LetterId) -> Result<()> {
        let scope = actor.scope(Permission::LettersApprove)?;
        self.store.letter(&scope, id).await?;
        Ok(())
    }

    /// Sends a letter back to its author as a draft, with the reason.
    pub async fn reject_letter(
        &self,
        actor: &Actor,
        id: LetterId,
        reason: &str,
    ) -> Result<LetterRecord> {
        let scope = actor.scope(Permission::LettersApprove)?;
        // Another organisation's letter is not found, whatever the reason.
        self.store.letter(&scope, id).await?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Invalid::new(
                "reason",
                codes::LETTER_REASON_MISSING,
                "say why the letter is sent back",
            )
            .into());
        }
        self.move_letter(&scope, id, LetterEvent::Reject, reason)
            .await
    }

    /// Cancels a letter that is not in production yet; it is not billed.
    pub async fn cancel_letter(&self, actor: &Actor, id: LetterId) -> Result<LetterRecord> {
        let scope = actor.scope(Permission::LettersSend)?;
        self.move_letter(&scope, id, LetterEvent::Cancel, "").await
    }

    pub async fn letters(
        &self,
        actor: &Actor,
        filter: &LetterFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<LetterRecord>> {
        let scope = actor.scope(Permission::LettersRead)?;
        Ok(self
            .store
            .list_letters(&scope, filter, cursor, limit)
            .await?)
    }

    pub async fn letter(&self, actor: &Actor, id: LetterId) -> Result<LetterView> {
        let scope = actor.scope(Permission::LettersRead)?;
        let letter = self.store.letter(&scope, id).await?;
        let history = self.store.letter_history(&scope, id).await?;
        Ok(LetterView { letter, history })
    }

    /// The letter's PDF, while it is kept.
    pub async fn letter_pdf(&self, actor: &Actor, id: LetterId) -> Result<Vec<u8>> {
        let scope = actor.scope(Permission::LettersRead)?;
        let letter = self.store.letter(&scope, id).await?;
        let document = letter
            .document
            .ok_or(AppError::Refused(codes::DOCUMENT_SHREDDED))?;
        Ok(self.read_document(&scope, document).await?.1)
    }

    /// Crypto-shreds the documents of letters past their retention; the
    /// letters, their history and prices stay. Returns how many were purged.
    pub async fn purge_letter_documents(&self, now: Timestamp) -> Result<usize> {
        let due = self.store.letters_due_for_purge(now, PURGE_BATCH).await?;
        for (org, letter, document) in &due {
            let scope = OrgScope::system(*org, "system:retention");
            self.shred_document(&scope, *document).await?;
            tracing::info!(%letter, %document, "purged the document of a letter past retention");
        }
        Ok(due.len())
    }
}

// ----- settings, approvals and quotes for the web and the API -----

impl App {
    /// The organisation's letter settings (approvals, retention, window, return address).
    pub async fn letter_settings(&self, actor: &Actor) -> Result<courrier_store::LetterSettings> {
        let scope = actor.scope(Permission::OrgSettings)?;
        Ok(self.store.letter_settings(scope.org()).await?)
    }

    /// Changes the letter settings after checking them: retention 1 to 3650
    /// days, a known window standard, and only people of the organisation.
    pub async fn set_letter_settings(
        &self,
        actor: &Actor,
        settings: &courrier_store::LetterSettings,
    ) -> Result<()> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let mut errors = Vec::new();
        if !(1..=3650).contains(&settings.retention_days) {
            errors.push(Invalid::new(
                "retention_days",
                codes::LETTER_RETENTION_INVALID,
                "keep documents between 1 and 3650 days",
            ));
        }
        if !crate::preview::is_window_standard(&settings.window_standard) {
            errors.push(Invalid::new(
                "window_standard",
                codes::LETTER_WINDOW_STANDARD_UNKNOWN,
                format!(
                    "'{}' is not swiss_left, din5008_a, din5008_b or right",
                    settings.window_standard
                ),
            ));
        }
        if settings.return_address.chars().count() > 500 {
            errors.push(Invalid::new(
                "return_address",
                codes::LETTER_RETURN_ADDRESS_TOO_LONG,
                "a return address has at most 500 characters",
            ));
        }
        for user in &settings.approval_required_for {
            match self.store.user(*user).await {
                Ok(u) if u.org == scope.org() => {}
                Ok(_) | Err(courrier_store::StoreError::NotFound) => {
                    errors.push(Invalid::new(
                        "approval_required_for",
                        codes::LETTER_APPROVAL_USER_UNKNOWN,
                        format!("{user} is not a person of your organisation"),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Findings(errors));
        }
        let mut clean = settings.clone();
        clean.return_address = settings.return_address.trim().to_string();
        clean.approval_required_for.sort_by_key(|u| u.to_string());
        clean.approval_required_for.dedup();
        Ok(self
            .store
            .set_letter_settings(&scope, &clean, self.now())
            .await?)
    }

    /// Letters waiting for an approver, newest first.
    pub async fn letters_awaiting_approval(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<LetterRecord>> {
        let scope = actor.scope(Permission::LettersApprove)?;
        let filter = LetterFilter {
            status: Some(LetterStatus::AwaitingApproval),
            ..LetterFilter::default()
        };
        Ok(self
            .store
            .list_letters(&scope, &filter, cursor, limit)
            .await?)
    }

    /// Checks and prices a letter for the caller's organisation; nothing is stored.
    pub async fn quote_letter(
        &self,
        actor: &Actor,
        pdf: &[u8],
        input: &LetterInput,
    ) -> Result<PreparedLetter> {
        let scope = actor.scope(Permission::LettersSend)?;
        let org = self.store.org(scope.org()).await?;
        self.prepare_letter(&org, scope.actor(), pdf, input).await
    }

    /// Names of the organisation's people by audit label (`user:<id>`), for
    /// the status history of letters; readable by everyone who reads letters.
    pub async fn letter_people(
        &self,
        actor: &Actor,
    ) -> Result<std::collections::HashMap<String, String>> {
        let scope = actor.scope(Permission::LettersRead)?;
        let mut names = std::collections::HashMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .store
                .list_users(&scope, cursor.as_deref(), 200)
                .await?;
            for u in page.items {
                names.insert(format!("user:{}", u.id), u.display_name);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(names)
    }
}
/// Letters whose documents one retention run purges at most.
const PURGE_BATCH: u32 = 500;
/// Retention runs every 10 minutes, so "12 hours after printing" is kept to the quarter hour.
const PURGE_EVERY_SECS: i64 = 600;

impl App {
    /// The recurring retention job: again right away after a full batch.
    pub(crate) async fn purge_letter_documents_job(
        &self,
        now: Timestamp,
    ) -> Result<crate::jobs::Outcome> {
        let n = self.purge_letter_documents(now).await?;
        let next = if n >= PURGE_BATCH as usize {
            now
        } else {
            now.plus_seconds(PURGE_EVERY_SECS)
        };
        Ok(crate::jobs::Outcome::Done { next: Some(next) })
    }
}
