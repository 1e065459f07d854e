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
//! `mailbox/intake_day.rs` (the carrier's count against what was inserted),
//! `mailbox/digest.rs` (the notification choice and the daily digest),
//! `mailbox/actions.rs` (customer requests), `mailbox/tasks.rs` (the operator
//! queue and completions), `mailbox/pickups.rs`, `mailbox/delivery.rs`
//! (digital delivery with paper fallback), `mailbox/signup.rs` (sign-up at a
//! location with a plan, identity documents, history, plan billing and
//! reminders) and `mailbox/upkeep.rs` (the OCR job, activation and
//! retention).
//!
//! Stable error codes, besides the domain's `mail.*` codes:
//! `mailbox.not_a_customer`, `mailbox.not_a_mail_center`, `mailbox.exists`
//! (conflict), `mailbox.changed` (conflict: retry), `mailbox.no_platform`,
//! `mailbox.not_awaiting_code`, `mailbox.not_verified_by_post`,
//! `mailbox.suspended`, `mail.no_mailbox`, `mail.address_invalid`,
//! `mail.location_invalid`, `mail.member_invalid`, `mail.sender_invalid`,
//! `mail.rule_invalid`, `mail.envelope_invalid`, `mail.scan_invalid`,
//! `mail.scan_file_invalid` (names the file), `mail.scan_too_large`,
//! `mail.received_on_invalid`, `mail.count_invalid`, `mail.notify_invalid`,
//! `mail.pdf_invalid`, `mail.tags_invalid`, `mail.note_too_long`,
//! `mail.completion_mismatch`, `mail.pickup_invalid`, `mail.items_invalid`,
//! `item.state_changed`, `task.not_open`, `member.review_changed` and
//! `usage.already_billed` (conflicts), `cursor.invalid`; a locked code is
//! [`AppError::Throttled`].
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
mod digest;
mod intake;
mod intake_day;
mod members;
mod pickups;
mod signup;
mod tasks;
mod upkeep;
mod verification;

pub use actions::Requested;
use courrier_domain::Code;
use courrier_domain::codes;
pub use delivery::{DeliveryOutcome, DeliveryRecipient};
pub use demo_data::DEMO_MAILBOX_ADDRESS;
pub use digest::{COMPANY_TIME_ZONE, DIGEST_EVERY_SECS, DIGEST_HOUR};
pub use intake::{IntakeInput, IntakeOutcome, Recipient};
pub use intake_day::{IntakeDay, MAX_DAILY_PIECES, MAX_LATE_DAYS};
pub use pickups::NewPickup;
pub use signup::{
    HistoryEntry, LocationOffer, MAX_DOCUMENT_BYTES, MemberFile, NewSignup, PLANS_ENDING_DAYS,
    SignupOutcome, SignupUpkeep, SignupView,
};
pub use tasks::{Completion, ScanFile, TaskView};
pub use upkeep::MailboxUpkeep;
pub(crate) use upkeep::UPKEEP_BATCH;

use crate::{App, AppError, Result};
use courrier_domain::letters::{BusinessCalendar, Country, vat_rate_bp};
use courrier_domain::mailbox::{Action, ActionKind, Condition, ItemKind, Rule};
use courrier_domain::{
    Actor, Invalid, LocationId, MailItemId, OrgId, OrgKind, OrgScope, Permission, Timestamp,
};
use courrier_store::{
    DocumentRecord, ItemEventRecord, ItemFilter, LocationRecord, MailItemRecord, MailboxRecord,
    Page, RuleRecord, SearchHit, SearchQuery, TaskRecord, UsageLineRecord,
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

pub(crate) fn invalid(field: &'static str, code: Code, message: impl Into<String>) -> AppError {
    AppError::Invalid(Invalid::new(field, code, message))
}

/// The location's time zone and business calendar.
pub(crate) fn location_site(
    location: &LocationRecord,
) -> Result<(jiff::tz::TimeZone, BusinessCalendar)> {
    let tz = jiff::tz::TimeZone::get(&location.time_zone).map_err(|e| {
        AppError::internal(format!(
            "time zone {} of a location: {e}",
            location.time_zone
        ))
    })?;
    let calendar = BusinessCalendar::for_country(&location.country).ok_or_else(|| {
        invalid(
            "country",
            codes::MAIL_LOCATION_INVALID,
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
            codes::MAIL_ADDRESS_INVALID,
            format!("a postal address has 2 to 6 lines, not {}", lines.len()),
        ));
    }
    if lines
        .iter()
        .any(|l| l.chars().count() > 100 || l.chars().any(char::is_control))
    {
        return Err(invalid(
            "address",
            codes::MAIL_ADDRESS_INVALID,
            "address lines have at most 100 characters and no control characters",
        ));
    }
    Ok(lines)
}

fn clean_name(field: &'static str, code: Code, raw: &str) -> Result<String> {
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
        codes::MAIL_RULE_INVALID,
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
            OrgKind::MailCenter => codes::MAILBOX_NOT_A_MAIL_CENTER,
            OrgKind::Customer => codes::MAILBOX_NOT_A_CUSTOMER,
            OrgKind::Platform => codes::PLATFORM_ONLY,
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
        let name = clean_name("name", codes::MAIL_LOCATION_INVALID, &new.name)?;
        let address = clean_address(&new.address)?;
        let country = Country::parse(&new.country)?;
        if jiff::tz::TimeZone::get(new.time_zone.trim()).is_err() {
            return Err(invalid(
                "time_zone",
                codes::MAIL_LOCATION_INVALID,
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
        // A mail center's people read times at their site: its first
        // location gives the organisation its zone, unless the admins chose
        // one already (a zone other than the country's).
        let org = self.store.org(scope.org()).await?;
        let first = self.store.list_locations(Some(scope.org())).await?.len() == 1;
        let default = courrier_domain::zone::default_time_zone(&org.country);
        if first && org.time_zone == default && org.time_zone != location.time_zone {
            self.store
                .set_org_time_zone(&scope, &location.time_zone, self.now())
                .await?;
        }
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

    // ----- reading, search, annotations -----

    /// The customer's items, filtered; with words in `query`, a full-text
    /// search in the filter's order (newest first unless it asks for best
    /// match first) with highlighted snippets (see
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
                codes::MAIL_TAGS_INVALID,
                format!("at most {MAX_TAGS} tags of at most 50 characters"),
            ));
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(invalid(
                "note",
                codes::MAIL_NOTE_TOO_LONG,
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

    /// Items logged at a location today (local time), newest first, refused
    /// ones included: the intake dashboard. An item is logged the moment it
    /// is inserted, so this is also the list of what was inserted today.
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
    let internal = |e: jiff::Error| AppError::Internal(e.into());
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
