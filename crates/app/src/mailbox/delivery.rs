//! Digital delivery by integrated senders (an insurer, a tax office) through
//! the API. One call, always delivered: when the recipient, named by
//! organisation identifier or postal address, has a verified and active
//! mailbox, the PDF appears there at once as a digital item (free for the
//! recipient, its text searchable) and the recipient is notified; otherwise
//! the same PDF goes to print-and-post through the outbound pipeline
//! ([`App::create_letter`], submitted at once). The answer says which path
//! was taken.

use super::invalid;
use crate::letters::LetterInput;
use crate::{App, Result};
use courrier_documents::lopdf::Document;
use courrier_documents::{IntakeLimits, TextReader};
use courrier_domain::audit::AuditEvent;
use courrier_domain::codes;
use courrier_domain::mailbox::{ItemState, MailItem};
use courrier_domain::{Actor, LetterId, MailItemId, MailboxId, OrgId, OrgScope, Permission};
use courrier_store::{MailItemRecord, MailboxRecord, OcrProgress, OcrState};

/// Characters of delivered text kept for search.
const MAX_TEXT_CHARS: usize = 500_000;

/// Who a digital delivery is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryRecipient {
    /// A Courrier organisation.
    Org(OrgId),
    /// A postal address, one line each; matched with the postal addresses of
    /// active mailboxes (case and spacing do not matter).
    Address(Vec<String>),
}

/// Which path a delivery took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Delivered to the recipient's mailbox as this item.
    Mailbox {
        item: MailItemId,
        mailbox: MailboxId,
    },
    /// No active mailbox matched: printed and posted as this letter of the
    /// sender's organisation.
    Printed { letter: LetterId },
}

/// The text of every page, for search.
fn pdf_text(doc: &Document) -> String {
    let mut reader = TextReader::new(doc);
    let mut out = String::new();
    for page in 0..reader.page_count() {
        if let Ok(text) = reader.page_text(page) {
            let line = text
                .runs
                .iter()
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&line);
            out.push_str("\n\n");
        }
        if out.len() > MAX_TEXT_CHARS {
            break;
        }
    }
    out.chars().take(MAX_TEXT_CHARS).collect()
}

impl App {
    /// Delivers `pdf` to `recipient` (`letters.send`): into an active
    /// mailbox when one matches, else on paper, to the given address lines
    /// or, for an organisation, to the address in the PDF's window (the
    /// letter checks of [`App::create_letter`] apply then). `reference` is
    /// the sender's own (at most 200 characters), shown to the recipient.
    pub async fn deliver_digital(
        &self,
        actor: &Actor,
        recipient: &DeliveryRecipient,
        pdf: &[u8],
        reference: &str,
    ) -> Result<DeliveryOutcome> {
        let scope = actor.scope(Permission::LettersSend)?;
        let reference: String = reference.trim().chars().take(200).collect();
        let mailbox = match recipient {
            DeliveryRecipient::Org(org) => self.store.deliverable_mailbox_of_org(*org).await?,
            DeliveryRecipient::Address(lines) => {
                self.store.deliverable_mailbox_at_address(lines).await?
            }
        };
        match mailbox {
            Some(mailbox) => {
                self.deliver_to_mailbox(&scope, &mailbox, pdf, &reference)
                    .await
            }
            None => {
                // For an organisation, the address is read from the PDF's
                // window: an organisation's address on file is not shown to
                // senders.
                let recipient_lines = match recipient {
                    DeliveryRecipient::Address(lines) => Some(lines.clone()),
                    DeliveryRecipient::Org(_) => None,
                };
                let input = LetterInput {
                    reference,
                    recipient_lines,
                    ..LetterInput::default()
                };
                let letter = self.create_letter(actor, pdf, &input, true).await?.record;
                Ok(DeliveryOutcome::Printed { letter: letter.id })
            }
        }
    }

    async fn deliver_to_mailbox(
        &self,
        sender: &OrgScope,
        mailbox: &MailboxRecord,
        pdf: &[u8],
        reference: &str,
    ) -> Result<DeliveryOutcome> {
        let bytes = pdf.to_vec();
        let (pages, text) = self
            .document_workers
            .run(bytes.len(), move || {
                let doc = courrier_documents::load_pdf(&bytes, &IntakeLimits::default()).map_err(
                    |f| invalid("file", codes::MAIL_PDF_INVALID, f.to_invalid().message),
                )?;
                let pages = match courrier_documents::check_content(&doc) {
                    Ok(pages) => pages,
                    Err(f) if f.code == "pdf.no_pages" => {
                        return Err(invalid(
                            "file",
                            codes::MAIL_PDF_INVALID,
                            "the PDF has no pages",
                        ));
                    }
                    Err(f) => return Err(invalid("file", f.code, f.message)),
                };
                Ok((pages, pdf_text(&doc)))
            })
            .await?;
        self.check_upload(pdf).await?;
        let sender_org = self.store.org(sender.org()).await?;
        let label = format!("{} of org {}", sender.actor(), sender_org.id);
        let recipient = OrgScope::system(mailbox.org, &label);
        let document = self
            .store_document(&recipient, pdf, "application/pdf")
            .await?;
        let now = self.now();
        let pages = i32::try_from(pages).unwrap_or(i32::MAX);
        let record = MailItemRecord {
            id: MailItemId::random(),
            org: Some(mailbox.org),
            mailbox: Some(mailbox.id),
            location: None,
            member: None,
            recipient_name: mailbox.address.first().cloned().unwrap_or_default(),
            sender_org: Some(sender_org.id),
            reference: reference.to_string(),
            item: MailItem::digital(sender_org.name.clone()),
            state: ItemState::Received,
            received_at: now,
            envelope_document: None,
            scan_document: None,
            digital_document: Some(document),
            pages: Some(pages),
            tags: Vec::new(),
            note: String::new(),
            handled_at: None,
            ocr: OcrProgress {
                state: OcrState::None,
                pages_done: 0,
                pages_total: 0,
                error: String::new(),
            },
            updated_at: now,
        };
        let events = self.mail_received_events(&record)?;
        if let Err(e) = self
            .store
            .insert_item(
                &recipient,
                &record,
                "delivered_digitally",
                reference,
                now,
                &events,
            )
            .await
        {
            if let Err(cleanup) = self.shred_document(&recipient, document).await {
                tracing::warn!(%document, error = %cleanup, "a delivered PDF not saved was not shredded");
            }
            return Err(e.into());
        }
        if !text.trim().is_empty() {
            self.store
                .set_ocr_text(record.id, &text, pages, now)
                .await?;
        }
        self.store
            .append_audit(
                sender,
                &AuditEvent::new(
                    "mail.delivered_digitally",
                    record.id.to_string(),
                    format!("to mailbox {} ({reference})", mailbox.id),
                ),
                now,
            )
            .await?;
        self.announce_mail(&record, "digital delivery").await;
        Ok(DeliveryOutcome::Mailbox {
            item: record.id,
            mailbox: mailbox.id,
        })
    }
}
