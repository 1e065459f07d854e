//! The digital mailbox and mail-center operations.
//!
//! Who does what, and the permission each use case asks for:
//!
//! | side | permission | use cases |
//! |---|---|---|
//! | customer | `org.settings` | open a company mailbox ([`App::open_company_mailbox`]), change its address, open a mailbox at a location |
//! | customer | `mailbox.act` | verify the code, add members, request actions (one item or bulk), rules, tags and notes |
//! | customer | `mailbox.read` | list and search items, read an item with its history, its envelope, scan and text |
//! | customer | `money.view` | usage lines ([`App::mailbox_usage`]) |
//! | mail center | `org.settings` | create locations |
//! | mail center | `mailcenter.operate` | recipients, intake, task queue and completions, pickups, member approval; fees are shown only with `money.view` |
//! | platform | `platform.admin` | pre-approve members, rebuild the search index |
//! | integrated sender | `letters.send` | [`App::deliver_digital`] |
//!
//! The rules come from [`courrier_domain::mailbox`]: [`allowed`] /
//! [`check_request`] and [`transition`] for items, [`scannable`] for the
//! scanning service, [`PriceList`] for fees, [`sla`] deadlines in the
//! location's time zone and country calendar, [`VerificationCode`] and
//! [`CodeChallenge`] for the code sent by post, [`first_matching`] for rules,
//! and the [`RetentionPolicy`] of originals.
//!
//! Files: `mailbox/verification.rs` (mailboxes verified by post),
//! `mailbox/intake.rs` (logging items, notifications, rules),
//! `mailbox/actions.rs` (customer requests), `mailbox/tasks.rs` (the operator
//! queue and completions), `mailbox/pickups.rs`, `mailbox/delivery.rs`
//! (digital delivery with paper fallback) and `mailbox/upkeep.rs` (the OCR
//! job, activation and retention).
//!
//! Stable error codes, besides the domain's `mail.*` codes:
//! `mailbox.not_a_customer`, `mailbox.not_a_mail_center`, `mailbox.exists`
//! (conflict), `mailbox.changed` (conflict: retry), `mailbox.no_platform`,
//! `mailbox.not_awaiting_code`, `mailbox.not_verified_by_post`,
//! `mailbox.suspended`, `mail.address_invalid`, `mail.location_invalid`,
//! `mail.member_invalid`, `mail.rule_invalid`, `mail.envelope_invalid`,
//! `mail.scan_invalid`, `mail.completion_mismatch`, `mail.pickup_invalid`,
//! `mail.items_invalid`, `item.state_changed` and `task.not_open`
//! (conflicts), `usage.already_billed`.
//!
//! [`allowed`]: courrier_domain::mailbox::allowed
//! [`check_request`]: courrier_domain::mailbox::check_request
//! [`transition`]: courrier_domain::mailbox::transition
//! [`scannable`]: courrier_domain::mailbox::scannable
//! [`PriceList`]: courrier_domain::mailbox::PriceList
//! [`sla`]: courrier_domain::mailbox::sla
//! [`VerificationCode`]: courrier_domain::mailbox::VerificationCode
//! [`CodeChallenge`]: courrier_domain::mailbox::CodeChallenge
//! [`first_matching`]: courrier_domain::mailbox::first_matching
//! [`RetentionPolicy`]: courrier_domain::mailbox::RetentionPolicy

mod actions;
mod delivery;
mod demo_data;
mod intake;
mod pickups;
mod tasks;
mod upkeep;
mod verification;

pub use actions::Requested;
pub use delivery::{DeliveryOutcome, DeliveryRecipient};
pub use demo_data::DEMO_MAILBOX_ADDRESS;
pub use intake::{IntakeInput, IntakeOutcome, Recipient};
pub use pickups::NewPickup;
pub use tasks::{Completion, TaskView};
pub(crate) use upkeep::{OcrRun, UPKEEP_BATCH};

use crate::{App, AppError, Result};
use courrier_domain::letters::{BusinessCalendar, Country, vat_rate_bp};
use courrier_domain::mailbox::{
    Action, ActionKind, Condition, CustomerReview, ItemKind, MailboxState, ReviewEvent, ReviewNote,
    ReviewParty, Rule, review_transition,
};
use courrier_domain::{
    Actor, Invalid, LocationId, MailItemId, MailboxId, OrgId, OrgKind, OrgScope, Permission,
    Timestamp,
};
use courrier_store::{
    DocumentRecord, ItemEventRecord, ItemFilter, LocationRecipient, LocationRecord, MailItemRecord,
    MailboxRecord, MemberAccess, MemberKind, MemberRecord, MemberReviewRecord, Page, RuleRecord,
    SearchHit, SearchQuery, TaskRecord, UsageLineRecord,
};

/// Longest name of a location, member or sender.
const MAX_NAME_CHARS: usize = 200;
/// Longest note on an item.
const MAX_NOTE_CHARS: usize = 4_000;
/// Tags an item may carry.
const MAX_TAGS: usize = 20;

/// A new mail-center site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLocation {
    pub name: String,
    pub address: Vec<String>,
    /// ISO 3166 code; its holidays make the business days of the task queue.
    pub country: String,
    /// IANA name, e.g. `Europe/Zurich`.
    pub time_zone: String,
}

/// An item with everything its detail page shows.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: MailItemRecord,
    /// The chain of custody, oldest first.
    pub events: Vec<ItemEventRecord>,
    /// Requests on the item, oldest first.
    pub tasks: Vec<TaskRecord>,
    /// The recognised (or delivered) text; empty until OCR is done.
    pub text: String,
}

/// Which file of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemFile {
    /// The photo of the envelope taken at intake.
    Envelope,
    /// The scan uploaded when the scan task was done.
    Scan,
    /// The PDF delivered by an integrated sender.
    Digital,
}

/// A mailbox rule with its stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleView {
    pub record: RuleRecord,
    pub rule: Rule,
}

pub(crate) fn invalid(
    field: &'static str,
    code: &'static str,
    message: impl Into<String>,
) -> AppError {
    AppError::Invalid(Invalid::new(field, code, message))
}

/// The location's time zone and business calendar.
pub(crate) fn location_site(
    location: &LocationRecord,
) -> Result<(jiff::tz::TimeZone, BusinessCalendar)> {
    let tz = jiff::tz::TimeZone::get(&location.time_zone).map_err(|e| {
        AppError::Internal(format!(
            "time zone {} of a location: {e}",
            location.time_zone
        ))
    })?;
    let calendar = BusinessCalendar::for_country(&location.country).ok_or_else(|| {
        invalid(
            "country",
            "mail.location_invalid",
            format!("no business calendar for {}", location.country),
        )
    })?;
    Ok((tz, calendar))
}

/// VAT rate of a service rendered in `country`, in basis points.
pub(crate) fn vat_bp(country: &Country) -> u32 {
    vat_rate_bp(country).unwrap_or(0)
}

/// Trims, collapses blanks and drops empty lines; 2 to 6 lines of at most
/// 100 characters, without control characters.
pub(crate) fn clean_address(lines: &[String]) -> Result<Vec<String>> {
    let lines: Vec<String> = lines
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    if !(2..=6).contains(&lines.len()) {
        return Err(invalid(
            "address",
            "mail.address_invalid",
            format!("a postal address has 2 to 6 lines, not {}", lines.len()),
        ));
    }
    if lines
        .iter()
        .any(|l| l.chars().count() > 100 || l.chars().any(char::is_control))
    {
        return Err(invalid(
            "address",
            "mail.address_invalid",
            "address lines have at most 100 characters and no control characters",
        ));
    }
    Ok(lines)
}

fn clean_name(field: &'static str, code: &'static str, raw: &str) -> Result<String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(invalid(
            field,
            code,
            format!("a name has 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name)
}

/// `sender:<text>`, `kind:<kind>` or `advertising`.
pub(crate) fn condition_to_str(c: &Condition) -> String {
    match c {
        Condition::SenderContains(p) => format!("sender:{}", p.as_str()),
        Condition::KindIs(k) => format!("kind:{}", k.as_str()),
        Condition::IsAdvertising => "advertising".into(),
    }
}

pub(crate) fn condition_from_str(s: &str) -> Result<Condition> {
    if s == "advertising" {
        return Ok(Condition::IsAdvertising);
    }
    if let Some(p) = s.strip_prefix("sender:") {
        return Ok(Condition::sender_contains(p)?);
    }
    if let Some(k) = s.strip_prefix("kind:") {
        return Ok(Condition::KindIs(ItemKind::parse(k)?));
    }
    Err(invalid(
        "condition",
        "mail.rule_invalid",
        format!("'{s}' is not sender:<text>, kind:<kind> or advertising"),
    ))
}

/// A stored rule as a domain rule; a forward goes to the mailbox address.
pub(crate) fn rule_from_record(record: &RuleRecord, mailbox: &MailboxRecord) -> Result<Rule> {
    let action = match ActionKind::parse(&record.action)? {
        ActionKind::Forward => Action::forward(
            courrier_domain::mailbox::ForwardAddress::new(
                mailbox.address.clone(),
                mailbox.country,
            )?,
            true,
        ),
        _ => Action::parse(&record.action)?,
    };
    let mut rule = Rule::new(condition_from_str(&record.condition)?, action);
    for e in &record.exceptions {
        rule = rule.except(condition_from_str(e)?);
    }
    Ok(rule)
}

impl App {
    pub(crate) fn require_kind(&self, actor: &Actor, kind: OrgKind) -> Result<()> {
        if actor.org_kind == kind {
            return Ok(());
        }
        Err(AppError::Refused(match kind {
            OrgKind::MailCenter => "mailbox.not_a_mail_center",
            OrgKind::Customer => "mailbox.not_a_customer",
            OrgKind::Platform => "platform.only",
        }))
    }

    /// The mail center's scope for one of its locations.
    pub(crate) async fn operator_scope(
        &self,
        actor: &Actor,
        location: LocationId,
    ) -> Result<(OrgScope, LocationRecord)> {
        let scope = actor.scope(Permission::MailCenterOperate)?;
        let location = self.store.own_location(&scope, location).await?;
        Ok((scope, location))
    }

    // ----- locations -----

    /// Registers a site of the actor's mail center (`org.settings`).
    pub async fn create_location(&self, actor: &Actor, new: NewLocation) -> Result<LocationRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        self.require_kind(actor, OrgKind::MailCenter)?;
        let name = clean_name("name", "mail.location_invalid", &new.name)?;
        let address = clean_address(&new.address)?;
        let country = Country::parse(&new.country)?;
        if jiff::tz::TimeZone::get(new.time_zone.trim()).is_err() {
            return Err(invalid(
                "time_zone",
                "mail.location_invalid",
                format!(
                    "'{}' is not a time zone name like Europe/Zurich",
                    new.time_zone
                ),
            ));
        }
        let location = LocationRecord {
            id: LocationId::random(),
            org: scope.org(),
            name,
            address,
            country,
            time_zone: new.time_zone.trim().to_string(),
            created_at: self.now(),
        };
        location_site(&location)?;
        self.store
            .create_location(&scope, &location, self.now())
            .await?;
        Ok(location)
    }

    /// Every mail-center location, by name (a public directory).
    pub async fn locations(&self) -> Result<Vec<LocationRecord>> {
        Ok(self.store.list_locations(None).await?)
    }

    /// The locations of the actor's mail center.
    pub async fn own_locations(&self, actor: &Actor) -> Result<Vec<LocationRecord>> {
        actor.scope(Permission::MailCenterOperate)?;
        Ok(self.store.list_locations(Some(actor.org)).await?)
    }

    // ----- mailboxes and members -----

    /// The actor's mailboxes, company mailbox first.
    pub async fn mailboxes(&self, actor: &Actor) -> Result<Vec<MailboxRecord>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        Ok(self.store.list_mailboxes(&scope).await?)
    }

    pub async fn mailbox(&self, actor: &Actor, id: MailboxId) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::MailboxRead)?;
        Ok(self.store.mailbox(&scope, id).await?)
    }

    /// Opens a mailbox at a mail-center location (the iPostal1 model): the
    /// address is the organisation's name at the location. It is active at
    /// once; mail is accepted only for its members once they are approved.
    pub async fn open_location_mailbox(
        &self,
        actor: &Actor,
        location: LocationId,
    ) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        self.require_kind(actor, OrgKind::Customer)?;
        let location = self.store.location(location).await?;
        let org = self.store.org(scope.org()).await?;
        let now = self.now();
        let (tz, _) = location_site(&location)?;
        let today = jiff::Timestamp::from_millisecond(now.millis())
            .map(|t| tz.to_datetime(t).date().to_string())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut address = vec![org.name.clone()];
        address.extend(location.address.iter().cloned());
        let mailbox = MailboxRecord {
            id: MailboxId::random(),
            org: org.id,
            location: Some(location.id),
            state: MailboxState::Active,
            address: address.into_iter().take(6).collect(),
            country: location.country,
            activation_date: today,
            challenge: None,
            code_expires_at: None,
            code_used_at: None,
            verification_letter: None,
            created_at: now,
            verified_at: Some(now),
            updated_at: now,
            version: 0,
        };
        self.store.create_mailbox(&scope, &mailbox, now).await?;
        Ok(mailbox)
    }

    /// Adds a person or company who may receive the mailbox's mail at a
    /// location (the location of a location mailbox, or any location for a
    /// company mailbox). The review starts as submitted: the platform
    /// pre-approves, then the mail center approves.
    pub async fn add_mailbox_member(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
        location: LocationId,
        name: &str,
        kind: MemberKind,
    ) -> Result<MemberRecord> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let mailbox = self.store.mailbox(&scope, mailbox).await?;
        let location = self.store.location(location).await?;
        if mailbox.location.is_some_and(|l| l != location.id) {
            return Err(invalid(
                "location",
                "mail.member_invalid",
                "a location mailbox receives mail at its own location only",
            ));
        }
        let now = self.now();
        let member = MemberRecord {
            id: uuid::Uuid::new_v4(),
            mailbox: mailbox.id,
            org: scope.org(),
            location: location.id,
            name: clean_name("name", "mail.member_invalid", name)?,
            kind,
            review: CustomerReview::Submitted,
            notes: String::new(),
            pre_approved_at: None,
            created_at: now,
            updated_at: now,
        };
        self.store.add_member(&scope, &member, now).await?;
        Ok(member)
    }

    /// Members of one of the actor's mailboxes.
    pub async fn mailbox_members(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
    ) -> Result<Vec<MemberRecord>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        self.store.mailbox(&scope, mailbox).await?;
        Ok(self
            .store
            .list_members(&scope, MemberAccess::Tenant, Some(mailbox), None, None)
            .await?)
    }

    /// Who acts on a review, from the actor's organisation: the platform
    /// (`platform.admin`), a mail center (`mailcenter.operate`) or the
    /// customer (`mailbox.act`).
    fn reviewer(&self, actor: &Actor) -> Result<(OrgScope, MemberAccess, ReviewParty)> {
        Ok(match actor.org_kind {
            OrgKind::Platform => (
                actor.scope(Permission::PlatformAdmin)?,
                MemberAccess::Platform,
                ReviewParty::Platform,
            ),
            OrgKind::MailCenter => (
                actor.scope(Permission::MailCenterOperate)?,
                MemberAccess::Tenant,
                ReviewParty::MailCenter,
            ),
            OrgKind::Customer => (
                actor.scope(Permission::MailboxAct)?,
                MemberAccess::Tenant,
                ReviewParty::Customer,
            ),
        })
    }

    /// A review decision on a member, checked by the domain's review rules:
    /// the platform pre-approves (or rejects), the mail center approves,
    /// sends back or rejects, the customer resubmits. Every decision but a
    /// resubmission needs a note.
    pub async fn review_mailbox_member(
        &self,
        actor: &Actor,
        member: uuid::Uuid,
        event: ReviewEvent,
        note: &str,
    ) -> Result<MemberRecord> {
        let (scope, access, party) = self.reviewer(actor)?;
        let current = self.store.member(&scope, access, member).await?;
        let note = if note.trim().is_empty() {
            None
        } else {
            Some(ReviewNote::parse(note)?)
        };
        let to = review_transition(current.review, event, party, note.as_ref())?;
        self.store
            .review_member(
                &scope,
                access,
                member,
                current.review,
                to,
                event.as_str(),
                party.as_str(),
                note.as_ref().map_or("", ReviewNote::as_str),
                self.now(),
            )
            .await?;
        Ok(self.store.member(&scope, access, member).await?)
    }

    /// The review queue: for the platform, members submitted or sent back;
    /// for a mail center, members pre-approved at its locations (optionally
    /// one location).
    pub async fn members_to_review(
        &self,
        actor: &Actor,
        location: Option<LocationId>,
    ) -> Result<Vec<MemberRecord>> {
        let (scope, access, party) = self.reviewer(actor)?;
        let states: &[CustomerReview] = match party {
            ReviewParty::Platform => &[CustomerReview::Submitted, CustomerReview::SentBack],
            ReviewParty::MailCenter => &[CustomerReview::PreApproved],
            ReviewParty::Customer => &[CustomerReview::SentBack],
        };
        let mut out = Vec::new();
        for state in states {
            out.extend(
                self.store
                    .list_members(&scope, access, None, location, Some(*state))
                    .await?,
            );
        }
        Ok(out)
    }

    /// A member's review history, oldest first.
    pub async fn member_history(
        &self,
        actor: &Actor,
        member: uuid::Uuid,
    ) -> Result<Vec<MemberReviewRecord>> {
        let (scope, access, _) = self.reviewer(actor)?;
        Ok(self.store.member_history(&scope, access, member).await?)
    }

    /// Recipients at one of the mail center's locations, for intake:
    /// every member with its review and mailbox state (only approved members
    /// of active mailboxes receive mail).
    pub async fn location_recipients(
        &self,
        actor: &Actor,
        location: LocationId,
        name: Option<&str>,
    ) -> Result<Vec<LocationRecipient>> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        Ok(self
            .store
            .location_recipients(&scope, location.id, name)
            .await?)
    }

    // ----- rules -----

    /// Appends an automatic rule to one of the actor's mailboxes; rules run
    /// in order on each new item, the first that applies wins. A paper
    /// original cannot be automatic; a forward goes to the mailbox address.
    pub async fn add_mailbox_rule(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
        rule: &Rule,
    ) -> Result<RuleView> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let mailbox = self.store.mailbox(&scope, mailbox).await?;
        if rule.action.kind() == ActionKind::PaperOriginal {
            return Err(invalid(
                "action",
                "mail.rule_invalid",
                "a paper original is asked for by hand",
            ));
        }
        let mut record = RuleRecord {
            id: uuid::Uuid::new_v4(),
            mailbox: mailbox.id,
            org: scope.org(),
            position: 0,
            condition: condition_to_str(&rule.condition),
            action: rule.action.kind().as_str().to_string(),
            exceptions: rule.exceptions.iter().map(condition_to_str).collect(),
            created_at: self.now(),
        };
        record.position = self.store.create_rule(&scope, &record, self.now()).await?;
        let rule = rule_from_record(&record, &mailbox)?;
        Ok(RuleView { record, rule })
    }

    /// A mailbox's rules in order.
    pub async fn mailbox_rules(&self, actor: &Actor, mailbox: MailboxId) -> Result<Vec<RuleView>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        let mailbox = self.store.mailbox(&scope, mailbox).await?;
        self.store
            .rules(&scope, mailbox.id)
            .await?
            .into_iter()
            .map(|record| {
                let rule = rule_from_record(&record, &mailbox)?;
                Ok(RuleView { record, rule })
            })
            .collect()
    }

    pub async fn delete_mailbox_rule(&self, actor: &Actor, rule: uuid::Uuid) -> Result<()> {
        let scope = actor.scope(Permission::MailboxAct)?;
        Ok(self.store.delete_rule(&scope, rule, self.now()).await?)
    }

    // ----- reading, search, annotations -----

    /// The customer's items, filtered; with words in `query`, a full-text
    /// search ordered by relevance with highlighted snippets (see
    /// [`courrier_store::SearchQuery`] for the syntax: words and `"quoted
    /// phrases"`, all required). `cursor` comes from the previous page.
    pub async fn search_mail(
        &self,
        actor: &Actor,
        query: &str,
        filter: &ItemFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<SearchHit>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        Ok(self
            .store
            .search_items(&scope, &SearchQuery::parse(query), filter, cursor, limit)
            .await?)
    }

    /// Scope that may read an item: the customer (`mailbox.read`) or the mail
    /// center of its location (`mailcenter.operate`).
    fn reader_scope(&self, actor: &Actor) -> Result<OrgScope> {
        Ok(match actor.org_kind {
            OrgKind::MailCenter => actor.scope(Permission::MailCenterOperate)?,
            _ => actor.scope(Permission::MailboxRead)?,
        })
    }

    /// An item with its chain of custody, tasks and text.
    pub async fn mail_item(&self, actor: &Actor, id: MailItemId) -> Result<ItemView> {
        let scope = self.reader_scope(actor)?;
        let item = self.store.item(&scope, id).await?;
        let events = self.store.item_events(&scope, id).await?;
        let tasks = self.store.item_tasks(&scope, id).await?;
        let text = self.store.item_text(&scope, id).await?;
        Ok(ItemView {
            item,
            events,
            tasks,
            text,
        })
    }

    /// A file of an item (decrypted), with its record (content type).
    pub async fn mail_item_file(
        &self,
        actor: &Actor,
        id: MailItemId,
        which: ItemFile,
    ) -> Result<(DocumentRecord, Vec<u8>)> {
        let scope = self.reader_scope(actor)?;
        let item = self.store.item(&scope, id).await?;
        let document = match which {
            ItemFile::Envelope => item.envelope_document,
            ItemFile::Scan => item.scan_document,
            ItemFile::Digital => item.digital_document,
        }
        .ok_or(AppError::NotFound)?;
        let owner = self.document_owner(&item).await?;
        self.read_document(&OrgScope::system(owner, scope.actor()), document)
            .await
    }

    /// The organisation whose key seals an item's files: the customer, or
    /// the mail center for mail refused for an unknown recipient.
    pub(crate) async fn document_owner(&self, item: &MailItemRecord) -> Result<OrgId> {
        if let Some(org) = item.org {
            return Ok(org);
        }
        let location = item.location.ok_or(AppError::NotFound)?;
        Ok(self.store.location(location).await?.org)
    }

    /// Replaces an item's tags (at most 20) and note (at most 4000
    /// characters); both are searchable.
    pub async fn annotate_mail_item(
        &self,
        actor: &Actor,
        id: MailItemId,
        tags: &[String],
        note: &str,
    ) -> Result<MailItemRecord> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let tags = courrier_store::normalize_tags(tags);
        if tags.len() > MAX_TAGS || tags.iter().any(|t| t.chars().count() > 50) {
            return Err(invalid(
                "tags",
                "mail.tags_invalid",
                format!("at most {MAX_TAGS} tags of at most 50 characters"),
            ));
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(invalid(
                "note",
                "mail.note_too_long",
                format!("a note has at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        self.store
            .set_item_tags_note(&scope, id, &tags, note.trim(), self.now())
            .await?;
        Ok(self.store.item(&scope, id).await?)
    }

    /// Usage lines billed to the actor's organisation in `[from, before)`
    /// (`money.view`).
    pub async fn mailbox_usage(
        &self,
        actor: &Actor,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<UsageLineRecord>> {
        let scope = actor.scope(Permission::MoneyView)?;
        Ok(self.store.usage_lines(&scope, from, before).await?)
    }

    /// Rebuilds the full-text index from the database (`platform.admin`);
    /// returns the number of items indexed.
    pub async fn rebuild_mail_search_index(&self, actor: &Actor) -> Result<i64> {
        actor.scope(Permission::PlatformAdmin)?;
        Ok(self.store.rebuild_search_index().await?)
    }

    /// Items logged at a location today (local time) and whether each was
    /// inserted the day it arrived: the intake dashboard.
    pub async fn intake_today(
        &self,
        actor: &Actor,
        location: LocationId,
    ) -> Result<Vec<MailItemRecord>> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        let (tz, _) = location_site(&location)?;
        let (start, end) = local_day(self.now(), &tz)?;
        Ok(self
            .store
            .location_items(&scope, location.id, start, end)
            .await?)
    }
}

/// The start and end of the local day containing `now`.
pub(crate) fn local_day(now: Timestamp, tz: &jiff::tz::TimeZone) -> Result<(Timestamp, Timestamp)> {
    let internal = |e: jiff::Error| AppError::Internal(e.to_string());
    let instant = jiff::Timestamp::from_millisecond(now.millis()).map_err(internal)?;
    let day = tz.to_datetime(instant).date();
    let start = day.to_zoned(tz.clone()).map_err(internal)?;
    let end = day
        .tomorrow()
        .map_err(internal)?
        .to_zoned(tz.clone())
        .map_err(internal)?;
    Ok((
        Timestamp::from_millis(start.timestamp().as_millisecond()),
        Timestamp::from_millis(end.timestamp().as_millisecond()),
    ))
}
