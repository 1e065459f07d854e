//! Intake at the counter: a clerk logs an item for a recipient of the
//! location. Mail for anyone who is not an approved member of an active
//! mailbox there is recorded as refused, with its custody event. A received
//! item is announced to the customer by e-mail (English or French, each
//! person's language) and by the `mail.received` webhook, then the
//! mailbox's rules may ask for an action at once.

use super::actions::Requested;
use super::invalid;
use crate::email::{EmailMessage, compose};
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::mailbox::{
    ContentFlags, CustomerReview, Grams, ItemFormat, ItemKind, ItemState, MailItem, Rule,
    first_matching_rule,
};
use courrier_domain::{Actor, Locale, LocationId, MailItemId, OrgScope, Permission};
use courrier_i18n::{Arg, words};
use courrier_store::{MailItemRecord, OcrProgress, OcrState, Outbox};

/// Largest envelope photo accepted.
pub const MAX_ENVELOPE_BYTES: usize = 15 * 1024 * 1024;

/// Who the item is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A member found in [`App::location_recipients`].
    Member(courrier_domain::MemberId),
    /// A name not on the location's list: the item is refused.
    Unlisted(String),
}

/// What the clerk records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeInput {
    pub recipient: Recipient,
    /// A JPEG or PNG photo of the envelope (upload or the phone camera).
    pub envelope_photo: Option<Vec<u8>>,
    pub kind: ItemKind,
    /// From a size choice, or measured with [`ItemFormat::from_mm`].
    pub format: ItemFormat,
    pub weight: Grams,
    pub registered: bool,
    pub contains_object: bool,
    pub advertising: bool,
    pub contents: ContentFlags,
    /// The sender as read from the envelope.
    pub sender: Option<String>,
    /// The day the carrier handed the piece over (`YYYY-MM-DD`, the
    /// location's local day); `None` is today. Earlier for a late insert,
    /// never later.
    pub received_on: Option<String>,
}

/// What became of a logged item.
#[derive(Debug)]
pub struct IntakeOutcome {
    pub item: MailItemRecord,
    /// Why it was refused; `None` when it was received.
    pub refused: Option<String>,
    /// The action a rule of the mailbox asked for, and what came of it.
    pub automatic: Option<Result<Requested>>,
}

fn is_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// The e-mail announcing new mail.
pub(crate) fn new_mail_email(
    locale: Locale,
    sender: &str,
    place: &str,
    link: &str,
) -> EmailMessage {
    let sender = if sender.is_empty() { "?" } else { sender };
    let args = [("sender", Arg::Text(sender)), ("place", Arg::Text(place))];
    compose(
        words(locale, "email.new_mail.subject", &args),
        &[
            words(locale, "email.new_mail.line1", &args),
            words(locale, "email.new_mail.line2", &[]),
        ],
        link,
        &words(locale, "email.new_mail.button", &[]),
    )
}

impl App {
    /// Logs an item at one of the clerk's locations (`mailcenter.operate`).
    /// The envelope photo is checked (JPEG or PNG, at most 15 MB,
    /// virus-scanned) and stored encrypted under the customer's key. Refused
    /// items are stored too, with state `refused` and the reason as custody
    /// detail; they are not announced.
    pub async fn log_item(
        &self,
        actor: &Actor,
        location: LocationId,
        input: IntakeInput,
    ) -> Result<IntakeOutcome> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        let now = self.now();
        let (tz, _) = super::location_site(&location)?;
        let received_on = super::intake_day::received_on(
            input.received_on.as_deref(),
            super::intake_day::local_date(now, &tz)?,
        )?
        .to_string();
        let (member, refusal) = match &input.recipient {
            Recipient::Member(id) => {
                let found = self
                    .store
                    .location_recipient(&scope, location.id, *id)
                    .await?;
                let why = if found.member.review != CustomerReview::Approved {
                    Some(format!(
                        "{} is not approved at this location (review {})",
                        found.member.name, found.member.review
                    ))
                } else if !found.mailbox_state.accepts_mail() {
                    Some(format!(
                        "the mailbox of {} is {}",
                        found.member.name, found.mailbox_state
                    ))
                } else {
                    None
                };
                (Some(found.member), why)
            }
            Recipient::Unlisted(name) => {
                let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                if name.is_empty() || name.chars().count() > 200 {
                    return Err(invalid(
                        "recipient",
                        codes::MAIL_MEMBER_INVALID,
                        "name the recipient (1 to 200 characters)",
                    ));
                }
                (
                    None,
                    Some(format!("{name} is not on the list of verified recipients")),
                )
            }
        };
        let recipient_name = match (&member, &input.recipient) {
            (Some(m), _) => m.name.clone(),
            (None, Recipient::Unlisted(name)) => {
                name.split_whitespace().collect::<Vec<_>>().join(" ")
            }
            (None, Recipient::Member(_)) => String::new(),
        };
        let sender = input
            .sender
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty());
        if sender.as_ref().is_some_and(|s| s.chars().count() > 200) {
            return Err(invalid(
                "sender",
                codes::MAIL_SENDER_INVALID,
                "a sender has at most 200 characters",
            ));
        }
        let org = member.as_ref().map(|m| m.org);
        let owner = org.unwrap_or(location.org);
        let envelope = match &input.envelope_photo {
            Some(bytes) => {
                let content_type = is_image(bytes).ok_or_else(|| {
                    invalid(
                        "envelope",
                        codes::MAIL_ENVELOPE_INVALID,
                        "the envelope photo must be a JPEG or PNG image",
                    )
                })?;
                if bytes.len() > MAX_ENVELOPE_BYTES {
                    return Err(invalid(
                        "envelope",
                        codes::MAIL_ENVELOPE_INVALID,
                        "the envelope photo is larger than 15 MB",
                    ));
                }
                // Read as a scan's photo is, within the same limits (pixels,
                // decoded size) and on the document workers: a photo that
                // cannot be shown is refused now, not left to the viewer.
                let copy = bytes.clone();
                self.document_workers
                    .run(copy.len(), move || {
                        use courrier_documents::images::{ScanLimits, ScanPart, combine_scan};
                        combine_scan(
                            &[ScanPart {
                                name: "",
                                bytes: &copy,
                            }],
                            &ScanLimits::default(),
                        )
                        .map(|_| ())
                        .map_err(|f| {
                            invalid(
                                "envelope",
                                codes::MAIL_ENVELOPE_INVALID,
                                format!("the envelope photo cannot be read: {}", f.message),
                            )
                        })
                    })
                    .await?;
                self.check_upload(bytes).await?;
                Some(
                    self.store_document(
                        &OrgScope::system(owner, scope.actor()),
                        bytes,
                        content_type,
                    )
                    .await?,
                )
            }
            None => None,
        };
        let mut item = MailItem::physical(input.kind, input.format, input.weight);
        item.registered = input.registered;
        item.contains_object = input.contains_object;
        item.advertising = input.advertising;
        item.contents = input.contents;
        item.sender = sender;
        let state = ItemState::at_intake(refusal.is_none());
        let record = MailItemRecord {
            id: MailItemId::random(),
            org,
            mailbox: member.as_ref().map(|m| m.mailbox),
            location: Some(location.id),
            member: member.as_ref().map(|m| m.id),
            recipient_name,
            sender_org: None,
            reference: String::new(),
            item,
            state,
            received_at: now,
            envelope_document: envelope,
            scan_document: None,
            digital_document: None,
            pages: None,
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
        let (event, detail) = match &refusal {
            Some(why) => ("refused", why.clone()),
            None => ("received", format!("at {}", location.name)),
        };
        // A refused piece is nobody's mail: it announces nothing.
        let events = match &refusal {
            Some(_) => Outbox::NONE,
            None => self.mail_received_events(&record)?,
        };
        if let Err(e) = self
            .store
            .insert_item_received_on(
                &scope,
                &record,
                Some(&received_on),
                event,
                &detail,
                now,
                &events,
            )
            .await
        {
            if let Some(doc) = envelope
                && let Err(cleanup) = self
                    .shred_document(&OrgScope::system(owner, scope.actor()), doc)
                    .await
            {
                tracing::warn!(%doc, error = %cleanup, "envelope photo of an item not saved was not shredded");
            }
            return Err(e.into());
        }
        if refusal.is_some() {
            return Ok(IntakeOutcome {
                item: record,
                refused: refusal,
                automatic: None,
            });
        }
        self.announce_mail(&record, &location.name).await;
        let automatic = self.run_rules(&record).await;
        let item = self.store.item(&scope, record.id).await?;
        Ok(IntakeOutcome {
            item,
            refused: None,
            automatic,
        })
    }

    /// The `mail.received` webhook event of a new item, for the outbox of
    /// its insertion (nothing for an item without a customer).
    pub(crate) fn mail_received_events(&self, item: &MailItemRecord) -> Result<Outbox> {
        if item.org.is_none() {
            return Ok(Outbox::NONE);
        }
        let data = serde_json::json!({
            "item": item.id.to_string(),
            "mailbox": item.mailbox.map(|m| m.to_string()),
            "origin": item.item.origin.as_str(),
            "sender": item.item.sender,
            "kind": item.item.kind.as_str(),
            "state": item.state.as_str(),
            "received_at": item.received_at.millis(),
            "reference": item.reference,
        });
        let mut events = self.outbox();
        events.push(self.webhook_event(crate::webhooks::MAIL_RECEIVED, &data.to_string())?);
        Ok(events)
    }

    /// Tells the customer about a new item by e-mail, to everyone who reads
    /// the mailbox (the `mail.received` webhook was written with the item).
    /// Failures are logged, not returned: the item is already received.
    pub(crate) async fn announce_mail(&self, item: &MailItemRecord, place: &str) {
        if let Err(e) = self.try_announce_mail(item, place).await {
            tracing::warn!(item = %item.id, error = %e, "new mail could not be announced");
        }
    }

    async fn try_announce_mail(&self, item: &MailItemRecord, place: &str) -> Result<()> {
        let Some(org) = item.org else {
            return Ok(());
        };
        let scope = OrgScope::system(org, "system:mailbox");
        let link = format!("{}/mailbox/items/{}", self.settings.public_url, item.id);
        let sender = item.item.sender.clone().unwrap_or_default();
        // A mailbox on the daily digest (or none) gets no e-mail per item.
        let each_item = match item.mailbox {
            Some(mailbox) => self
                .store
                .mailbox_notify(&scope, mailbox)
                .await?
                .each_item(),
            None => true,
        };
        let mut cursor: Option<String> = None;
        if each_item {
            loop {
                let page = self
                    .store
                    .list_users(&scope, cursor.as_deref(), 200)
                    .await?;
                for u in page
                    .items
                    .iter()
                    .filter(|u| u.role.permissions().contains(&Permission::MailboxRead))
                {
                    let letter = new_mail_email(Locale::from_tag(&u.locale), &sender, place, &link);
                    self.queue_email(&u.email, letter).await?;
                }
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// Runs the mailbox's rules on a new item as `system:rules`: the first
    /// rule that applies asks for its action like the customer would (a
    /// scan of an unscannable item becomes a forward).
    async fn run_rules(&self, item: &MailItemRecord) -> Option<Result<Requested>> {
        let (org, mailbox) = (item.org?, item.mailbox?);
        let scope = OrgScope::system(org, "system:rules");
        let found = async {
            let mailbox = self.store.mailbox(&scope, mailbox).await?;
            let mut rules: Vec<Rule> = Vec::new();
            for record in self.store.rules(&scope, mailbox.id).await? {
                match super::rule_from_record(&record, &mailbox) {
                    Ok(rule) => rules.push(rule),
                    Err(e) => tracing::warn!(rule = %record.id, error = %e, "a stored rule could not be read; skipped"),
                }
            }
            Ok::<_, AppError>(
                first_matching_rule(&rules, &item.item)
                    .map(|(position, rule)| (position, rule.action.clone())),
            )
        }
        .await;
        match found {
            Ok(Some((position, action))) => Some(
                self.request_one(
                    &scope,
                    item.id,
                    &action,
                    &format!("rule {}", position.saturating_add(1)),
                )
                .await,
            ),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
