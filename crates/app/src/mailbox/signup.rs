//! Signing up at a mail-center location (the iPostal1 model).
//!
//! The mail center's owner sets a monthly and a yearly price per location
//! ([`App::set_location_plan`], `org.settings` + `money.view`). Anyone may
//! then sign up at a location that has prices ([`App::sign_up`]): this
//! creates a customer organisation, its first user (an admin without a
//! usable password), the location mailbox with the chosen plan, and e-mails
//! an activation link where the person chooses a password
//! ([`App::activate_signup`], the password-reset token machinery with a
//! 7-day link). All of it is written in one transaction, so a failure
//! leaves no half-made customer behind. Sign-ups are throttled per client
//! address like sign-in.
//!
//! The customer adds the people and companies who may receive mail (as
//! drafts), uploads their identity documents ([`App::upload_member_document`]:
//! PDF, JPEG or PNG up to 10 MB, virus-scanned, stored encrypted under the
//! customer's key) and submits each member; a member is submitted or
//! resubmitted only with at least one document (`member.documents_missing`).
//! The platform and the mail center of the location read the documents
//! ([`App::member_document_file`]); nobody else does.
//!
//! One history per customer ([`App::signup_history`]): review decisions with
//! their notes, document uploads and the e-mails sent about the sign-up, in
//! time order. The recurring upkeep ([`App::signup_upkeep`]) bills plan
//! periods (the first at the first approval, exactly once each) and sends
//! reminders to customers who have not finished on days 7, 14, 21 and 28
//! after the sign-up or the last send-back, each once.
//!
//! Stable codes: `signup.terms_required`, `signup.location_closed`,
//! `signup.price_invalid`, `signup.plan_invalid`, `signup.document_kind_invalid`,
//! `signup.document_side_invalid`, `signup.document_type`,
//! `signup.document_too_large`, `signup.document_empty`,
//! `member.documents_missing`, `member.review_closed` (refused), and the
//! conflicts `signup.exists`, `plan.already_billed`; too many sign-ups from
//! one address is [`AppError::Throttled`].

use super::{UPKEEP_BATCH, clean_name, invalid, vat_bp};
use crate::email::{EmailMessage, compose};
use crate::tokens::{random_token, token_hash};
use crate::{App, AppError, Result};
use courrier_domain::audit::AuditEvent;
use courrier_domain::codes;
use courrier_domain::mailbox::signup::check_plan_price;
use courrier_domain::mailbox::{
    CustomerReview, DocumentSide, IdentityDocumentKind, MailboxEvent, MailboxState, Plan,
    ReviewEvent, ReviewRules, check_identity_document, mailbox_transition, reminder_due,
};
use courrier_domain::{
    Actor, EmailAddress, Locale, LocationId, MailboxId, Money, OrgKind, OrgScope, Permission, Role,
    Timestamp, UserId,
};
use courrier_i18n::{Arg, words};
use courrier_store::{
    LocationPlanRecord, LocationRecord, MailboxRecord, MemberAccess, MemberDocumentRecord,
    MemberKind, MemberRecord, MemberReviewRecord, NewSignupAccount, ReminderCandidate, SignupEmail,
    SignupEmailKind, SignupEmailLink, SignupEmailRecord, SignupRecord, StoreError, UsageKind,
    UsageLineRecord, UserRecord,
};

/// A new location mailbox of `org` at the offer's location, active at
/// once, and its sign-up with `plan` at the offer's price, the terms
/// accepted now; `contact` is the name, address and language of the
/// e-mails. Not stored yet.
fn new_location_signup(
    org: &courrier_store::OrgRecord,
    offer: &LocationOffer,
    plan: Plan,
    contact: (String, EmailAddress, String),
    now: Timestamp,
) -> Result<(MailboxRecord, SignupRecord)> {
    let (contact_name, contact_email, locale) = contact;
    let mailbox =
        super::members::location_mailbox_record(org.id, &org.name, offer.location.clone(), now)?;
    let signup = SignupRecord {
        mailbox: mailbox.id,
        org: org.id,
        location: offer.location.id,
        plan,
        price: offer.plan.price(plan),
        contact_name,
        contact_email,
        locale,
        terms_accepted_at: now,
        created_at: now,
        plan_started_at: None,
        plan_next_at: None,
        plan_ends_at: None,
    };
    Ok((mailbox, signup))
}

/// How far ahead a mail center's dashboard lists the plans ending.
pub const PLANS_ENDING_DAYS: i64 = 30;

/// What one run of [`App::signup_upkeep`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignupUpkeep {
    /// Plan periods billed.
    pub billed: usize,
    /// Reminders sent.
    pub reminded: usize,
    /// Mailboxes closed at the end of their plan.
    pub closed: usize,
    /// A batch was full: more may be due, so the upkeep runs again at once.
    pub more: bool,
}

/// Largest identity document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Days an activation link stays valid.
pub const ACTIVATION_DAYS: i64 = 7;
/// Sign-ups allowed from one client address per throttle window.
pub const SIGNUPS_PER_WINDOW: i64 = 5;

/// What the sign-up form gives.
#[derive(Debug, Clone)]
pub struct NewSignup {
    pub location: LocationId,
    pub company: String,
    pub contact_name: String,
    pub email: String,
    pub locale: Locale,
    pub plan: Plan,
    pub accept_terms: bool,
}

/// What came of a sign-up. The web answers both the same way ("check your
/// e-mail"), so the form reveals no more than the sign-in page about which
/// addresses have accounts; the person behind an address already in use
/// gets an e-mail saying so.
#[derive(Debug, Clone)]
pub enum SignupOutcome {
    Created {
        user: UserId,
        mailbox: Box<MailboxRecord>,
        /// The activation link, also e-mailed (for tests and the CLI; the
        /// web never shows it).
        activation_link: String,
    },
    /// The address belongs to an account: nothing was created.
    AddressInUse,
}

/// A location that takes sign-ups, with its prices.
#[derive(Debug, Clone)]
pub struct LocationOffer {
    pub location: LocationRecord,
    pub plan: LocationPlanRecord,
}

/// A member with its identity documents.
#[derive(Debug, Clone)]
pub struct MemberFile {
    pub member: MemberRecord,
    pub documents: Vec<MemberDocumentRecord>,
}

/// One entry of a customer's sign-up history.
#[derive(Debug, Clone)]
pub enum HistoryEntry {
    /// A review step of a member (added, submitted, decisions with notes).
    Review {
        member: String,
        record: MemberReviewRecord,
    },
    /// An identity document uploaded for a member.
    Document {
        member: String,
        document: MemberDocumentRecord,
    },
    /// An e-mail sent to the customer about the sign-up.
    Email(SignupEmailRecord),
}

impl HistoryEntry {
    pub fn at(&self) -> Timestamp {
        match self {
            HistoryEntry::Review { record, .. } => record.at,
            HistoryEntry::Document { document, .. } => document.created_at,
            HistoryEntry::Email(e) => e.created_at,
        }
    }
}

/// A sign-up with its location, members, documents and history.
#[derive(Debug, Clone)]
pub struct SignupView {
    pub signup: SignupRecord,
    pub location: LocationRecord,
    pub members: Vec<MemberFile>,
    /// Oldest first.
    pub history: Vec<HistoryEntry>,
}

/// `%PDF`, JPEG or PNG by their first bytes.
fn document_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Reads an identity document as its reviewer's viewer will: a PDF must
/// pass the checks of any PDF taken in (no active content, a page tree that
/// counts one way, ...), a photo must decode within the scan limits.
fn check_identity_file(bytes: &[u8]) -> Result<()> {
    use courrier_documents::images::{ScanLimits, ScanPart, combine_scan};
    let refused = |message: String| invalid("file", codes::SIGNUP_DOCUMENT_INVALID, message);
    if bytes.starts_with(b"%PDF-") {
        let doc = courrier_documents::load_pdf(bytes, &courrier_documents::IntakeLimits::default())
            .map_err(|f| refused(f.message))?;
        courrier_documents::check_content(&doc).map_err(|f| refused(f.message))?;
        return Ok(());
    }
    combine_scan(&[ScanPart { name: "", bytes }], &ScanLimits::default())
        .map(|_| ())
        .map_err(|f| refused(f.message))
}

/// A file name to show: its last path part, printable, at most 120 characters.
fn clean_file_name(raw: &str) -> String {
    raw.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect()
}

fn activation_email(locale: Locale, company: &str, place: &str, link: &str) -> EmailMessage {
    let args = [
        ("company", Arg::Text(company)),
        ("place", Arg::Text(place)),
        ("days", Arg::Number(ACTIVATION_DAYS)),
    ];
    compose(
        words(locale, "email.activation.subject", &args),
        &[
            words(locale, "email.activation.line1", &args),
            words(locale, "email.activation.line2", &args),
        ],
        link,
        &words(locale, "email.activation.button", &[]),
    )
}

fn address_in_use_email(locale: Locale, link: &str) -> EmailMessage {
    compose(
        words(locale, "email.address_in_use.subject", &[]),
        &[
            words(locale, "email.address_in_use.line1", &[]),
            words(locale, "email.address_in_use.line2", &[]),
        ],
        link,
        &words(locale, "email.address_in_use.button", &[]),
    )
}

/// The weekly reminder to finish a sign-up.
pub fn reminder_email(
    locale: Locale,
    place: &str,
    sent_back: bool,
    no: u32,
    link: &str,
) -> EmailMessage {
    let args = [("place", Arg::Text(place)), ("no", Arg::from(no))];
    let first = if sent_back {
        "email.reminder.sent_back"
    } else {
        "email.reminder.waiting"
    };
    compose(
        words(locale, "email.reminder.subject", &args),
        &[
            words(locale, first, &args),
            words(locale, "email.reminder.line2", &[]),
        ],
        link,
        &words(locale, "email.reminder.button", &[]),
    )
}

/// The confirmation of a cancelled plan: the mailbox closes on `ends_on`
/// (the location's date).
fn plan_cancelled_email(locale: Locale, place: &str, ends_on: &str, link: &str) -> EmailMessage {
    let args = [("place", Arg::Text(place)), ("ends_on", Arg::Text(ends_on))];
    compose(
        words(locale, "email.plan_cancelled.subject", &args),
        &[
            words(locale, "email.plan_cancelled.line1", &args),
            words(locale, "email.plan_cancelled.line2", &[]),
        ],
        link,
        &words(locale, "email.plan_cancelled.button", &[]),
    )
}

fn decision_email(
    locale: Locale,
    member: &str,
    event: ReviewEvent,
    note: &str,
    link: &str,
) -> Option<EmailMessage> {
    let key = match event {
        ReviewEvent::Approve => "email.decision.approved",
        ReviewEvent::SendBack => "email.decision.sent_back",
        ReviewEvent::Reject => "email.decision.rejected",
        _ => return None,
    };
    let subject = words(locale, key, &[("member", Arg::Text(member))]);
    Some(compose(
        subject.clone(),
        &[
            format!("{subject}."),
            words(locale, "email.decision.note", &[("note", Arg::Text(note))]),
        ],
        link,
        &words(locale, "email.decision.button", &[]),
    ))
}

impl App {
    // ----- plans -----

    /// Sets the monthly and yearly price (minor units, in the mail center's
    /// currency) of a mailbox at one of the actor's locations. Money is the
    /// owner's: `org.settings` and `money.view`.
    pub async fn set_location_plan(
        &self,
        actor: &Actor,
        location: LocationId,
        monthly_minor: i64,
        yearly_minor: i64,
    ) -> Result<LocationPlanRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        actor.scope(Permission::MoneyView)?;
        self.require_kind(actor, OrgKind::MailCenter)?;
        let location = self.store.own_location(&scope, location).await?;
        let org = self.store.org(scope.org()).await?;
        let plan = LocationPlanRecord {
            location: location.id,
            monthly: Money::new(check_plan_price("monthly", monthly_minor)?, org.currency),
            yearly: Money::new(check_plan_price("yearly", yearly_minor)?, org.currency),
            updated_at: self.now(),
        };
        self.store
            .set_location_plan(&scope, &plan, self.now())
            .await?;
        Ok(plan)
    }

    /// The prices at one of the actor's locations (`money.view`).
    pub async fn location_plan(
        &self,
        actor: &Actor,
        location: LocationId,
    ) -> Result<Option<LocationPlanRecord>> {
        let scope = actor.scope(Permission::MoneyView)?;
        let location = self.store.own_location(&scope, location).await?;
        Ok(self.store.location_plan(location.id).await?)
    }

    /// Locations that take sign-ups, with their prices (public).
    pub async fn signup_offers(&self) -> Result<Vec<LocationOffer>> {
        let plans = self.store.location_plans().await?;
        Ok(self
            .store
            .list_locations(None)
            .await?
            .into_iter()
            .filter_map(|location| {
                let plan = plans.iter().find(|p| p.location == location.id)?.clone();
                Some(LocationOffer { location, plan })
            })
            .collect())
    }

    /// One location that takes sign-ups.
    pub async fn signup_offer(&self, location: LocationId) -> Result<LocationOffer> {
        let location = self.store.location(location).await?;
        let plan = self
            .store
            .location_plan(location.id)
            .await?
            .ok_or(AppError::Refused(codes::SIGNUP_LOCATION_CLOSED))?;
        Ok(LocationOffer { location, plan })
    }

    // ----- signing up -----

    /// Signs a new customer up at a location; see the module documentation.
    ///
    /// All or nothing: the organisation (with its key and the start of its
    /// audit chain), the user, the mailbox, the sign-up, the activation
    /// token and the activation e-mail with its delivery job are written by
    /// one store transaction ([`courrier_store::Store::create_signup_account`]).
    /// One transaction rather than a compensating delete on failure: the
    /// audit chain is append-only (an organisation cannot be deleted
    /// cleanly once audited), a compensation could itself fail or be
    /// skipped by a crash, and another process could observe the
    /// half-made organisation meanwhile. Everything slow (argon2, the key
    /// wrapping) happens before the transaction, which only inserts rows.
    /// Two sign-ups with the same address at once: the one that commits
    /// second hits the unique address, leaves nothing behind, and gets
    /// [`SignupOutcome::AddressInUse`] with its e-mail, as it would have a
    /// moment later.
    pub async fn sign_up(&self, new: NewSignup, ip: Option<&str>) -> Result<SignupOutcome> {
        let ip_key = ip.map(|ip| format!("signup-ip:{}", crate::auth::throttle_address(ip)));
        if let Some(key) = &ip_key {
            let since = self.now().plus_seconds(-self.settings.throttle_window_secs);
            if self.store.login_failures_since(key, since).await? >= SIGNUPS_PER_WINDOW {
                return Err(AppError::Throttled {
                    retry_after_secs: self.settings.throttle_window_secs,
                });
            }
        }
        let company = clean_name("company", codes::SIGNUP_NAME_INVALID, &new.company)?;
        let contact_name = clean_name(
            "contact_name",
            codes::SIGNUP_NAME_INVALID,
            &new.contact_name,
        )?;
        let email = EmailAddress::parse(&new.email)?;
        if !new.accept_terms {
            return Err(invalid(
                "accept_terms",
                codes::SIGNUP_TERMS_REQUIRED,
                "accept the terms of service to sign up",
            ));
        }
        let offer = self.signup_offer(new.location).await?;
        // Every attempt that passed the checks counts against the address,
        // recorded before it is counted so sign-ups at once cannot all pass.
        if let Some(key) = &ip_key {
            self.admit_attempt(key, SIGNUPS_PER_WINDOW).await?;
        }
        if self.store.user_by_email(&email).await?.is_some() {
            return self.address_in_use(&email, new.locale).await;
        }
        let price = offer.plan.price(new.plan);
        let org = self.new_org_record(crate::accounts::NewOrg {
            name: company.clone(),
            kind: OrgKind::Customer,
            country: offer.location.country.as_str().to_string(),
            currency: price.currency(),
        })?;
        let now = self.now();
        let user = UserRecord {
            id: UserId::random(),
            org: org.id,
            email: email.clone(),
            display_name: contact_name.clone(),
            // Nobody knows this password: the activation link sets one.
            password_hash: crate::auth::hash_password(&random_token(32))?,
            role: Role::Admin,
            locale: new.locale.as_str().into(),
            totp_secret: None,
            totp_enabled: false,
            created_at: now,
        };
        let system = OrgScope::system(org.id, "system:signup").with_ip(ip);
        // The mailbox and the sign-up are the new user's acts, as when a
        // signed-in customer opens a mailbox.
        let actor = Actor::user(
            user.id,
            org.id,
            OrgKind::Customer,
            Role::Admin,
            ip.map(str::to_string),
        );
        let customer = actor.scope(Permission::OrgSettings)?;
        let (mailbox, signup) = new_location_signup(
            &org,
            &offer,
            new.plan,
            (contact_name, email.clone(), new.locale.as_str().into()),
            now,
        )?;
        let token = random_token(32);
        let link = format!("{}/signup/activate/{token}", self.settings.public_url);
        let (email_record, delivery) = self.outbox_email(
            &email,
            activation_email(new.locale, &company, &offer.location.name, &link),
            now,
        );
        let account = NewSignupAccount {
            org,
            user,
            mailbox,
            signup,
            activation_token_hash: token_hash(&token),
            activation_expires_at: now.plus_seconds(ACTIVATION_DAYS * 86_400),
            email: email_record,
            delivery,
        };
        match self
            .store
            .create_signup_account(&system, &customer, &account, now)
            .await
        {
            Ok(()) => {}
            // Another sign-up (or an invitation) took the address between
            // the check above and this transaction: nothing of this one was
            // written, and the caller hears what it would have heard a
            // moment later.
            Err(StoreError::Conflict {
                what: codes::USER_EMAIL_TAKEN,
            }) => return self.address_in_use(&email, new.locale).await,
            Err(e) => return Err(e.into()),
        }
        let NewSignupAccount { user, mailbox, .. } = account;
        Ok(SignupOutcome::Created {
            user: user.id,
            mailbox: Box::new(mailbox),
            activation_link: link,
        })
    }

    /// The answer to a sign-up with an address that has an account: an
    /// e-mail to the address, nothing created.
    async fn address_in_use(&self, email: &EmailAddress, locale: Locale) -> Result<SignupOutcome> {
        let link = format!("{}/login", self.settings.public_url);
        self.queue_email(email, address_in_use_email(locale, &link))
            .await?;
        Ok(SignupOutcome::AddressInUse)
    }

    /// Sets the password from an activation link; the link works once.
    pub async fn activate_signup(&self, token: &str, password: &str) -> Result<UserId> {
        self.reset_password(token, password).await
    }

    /// Stores an e-mail about a sign-up with its link; `false` when it is a
    /// reminder already sent.
    async fn queue_signup_email(
        &self,
        link: SignupEmailLink,
        to: &EmailAddress,
        message: EmailMessage,
    ) -> Result<bool> {
        let m = self.signup_email(link, to, message);
        Ok(self
            .store
            .queue_signup_email(&m.link, &m.email, &m.delivery, self.now())
            .await?)
    }

    /// An e-mail about a sign-up, ready for the outbox with its delivery job.
    fn signup_email(
        &self,
        link: SignupEmailLink,
        to: &EmailAddress,
        message: EmailMessage,
    ) -> SignupEmail {
        let (email, delivery) = self.outbox_email(to, message, self.now());
        SignupEmail {
            link,
            email,
            delivery,
        }
    }

    // ----- identity documents -----

    /// Refuses a caller without `mailbox.act`, and a member not of its
    /// organisation as `NotFound`: checked before an upload is read.
    pub async fn member_for_upload(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
    ) -> Result<()> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let member = self
            .store
            .member(&scope, MemberAccess::Tenant, member)
            .await?;
        if member.org != scope.org() {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// Uploads an identity document for one of the actor's members
    /// (`mailbox.act`); see the module documentation for the checks.
    pub async fn upload_member_document(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
        kind: IdentityDocumentKind,
        side: DocumentSide,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<MemberDocumentRecord> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let member = self
            .store
            .member(&scope, MemberAccess::Tenant, member)
            .await?;
        if member.org != scope.org() {
            return Err(AppError::NotFound);
        }
        if member.review.is_final() {
            return Err(AppError::Refused(codes::MEMBER_REVIEW_CLOSED));
        }
        check_identity_document(kind, side, member.kind == MemberKind::Company)?;
        if bytes.is_empty() {
            return Err(invalid(
                "file",
                codes::SIGNUP_DOCUMENT_EMPTY,
                "choose a file",
            ));
        }
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(invalid(
                "file",
                codes::SIGNUP_DOCUMENT_TOO_LARGE,
                format!(
                    "an identity document has at most {} MB",
                    MAX_DOCUMENT_BYTES / (1024 * 1024)
                ),
            ));
        }
        let content_type = document_type(bytes).ok_or_else(|| {
            invalid(
                "file",
                codes::SIGNUP_DOCUMENT_TYPE,
                "upload a PDF, JPEG or PNG file",
            )
        })?;
        let copy = bytes.to_vec();
        self.document_workers
            .run(copy.len(), move || check_identity_file(&copy))
            .await?;
        self.check_upload(bytes).await?;
        let document = self.store_document(&scope, bytes, content_type).await?;
        let record = MemberDocumentRecord {
            id: uuid::Uuid::new_v4(),
            member: member.id,
            org: scope.org(),
            document,
            kind,
            side,
            file_name: clean_file_name(file_name),
            content_type: content_type.into(),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            uploaded_by: scope.actor().to_string(),
            created_at: self.now(),
        };
        self.store
            .add_member_document(&scope, &record, self.now())
            .await?;
        Ok(record)
    }

    /// A member's documents, for its customer and its reviewers.
    pub async fn member_documents(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
    ) -> Result<Vec<MemberDocumentRecord>> {
        let (scope, access, _) = self.reviewer(actor)?;
        Ok(self.store.member_documents(&scope, access, member).await?)
    }

    /// A document's file, decrypted, for the member's customer, the
    /// platform and the mail center of the member's location.
    pub async fn member_document_file(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> Result<(MemberDocumentRecord, Vec<u8>)> {
        let (scope, access, _) = self.reviewer(actor)?;
        let doc = self.store.member_document(&scope, access, id).await?;
        let (_, bytes) = self
            .read_document(&OrgScope::system(doc.org, scope.actor()), doc.document)
            .await?;
        Ok((doc, bytes))
    }

    /// Submits a draft member for review; it needs at least one document.
    pub async fn submit_mailbox_member(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
    ) -> Result<MemberRecord> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let current = self
            .store
            .member(&scope, MemberAccess::Tenant, member)
            .await?;
        let event = if current.review == CustomerReview::Draft {
            ReviewEvent::Submit
        } else {
            ReviewEvent::Resubmit
        };
        self.review_mailbox_member(actor, member, event, "").await
    }

    /// Refuses a (re)submission without documents.
    pub(crate) async fn require_member_documents(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        member: courrier_domain::MemberId,
    ) -> Result<()> {
        if self
            .store
            .member_documents(scope, access, member)
            .await?
            .is_empty()
        {
            return Err(invalid(
                "documents",
                codes::MEMBER_DOCUMENTS_MISSING,
                "upload at least one identity document before submitting",
            ));
        }
        Ok(())
    }

    /// The sign-up of a mailbox, `None` for one opened without a sign-up.
    pub(crate) async fn signup_of(&self, mailbox: MailboxId) -> Result<Option<SignupRecord>> {
        match self.store.signup_for_job(mailbox).await {
            Ok(s) => Ok(Some(s)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The e-mail telling a signed-up customer of a review decision on
    /// `member`, stored by the review's own transaction; `None` for steps
    /// the customer is not told of.
    pub(crate) fn decision_email(
        &self,
        signup: &SignupRecord,
        member: &MemberRecord,
        event: ReviewEvent,
        note: &str,
    ) -> Option<SignupEmail> {
        let link = format!("{}/mail/onboarding", self.settings.public_url);
        decision_email(
            Locale::from_tag(&signup.locale),
            &member.name,
            event,
            note,
            &link,
        )
        .map(|letter| {
            self.signup_email(
                SignupEmailLink {
                    mailbox: signup.mailbox,
                    kind: SignupEmailKind::Decision,
                    round_start: None,
                    reminder_no: None,
                },
                &signup.contact_email,
                letter,
            )
        })
    }

    /// After an approval: the first approval of a signed-up mailbox starts
    /// its plan. A failure is logged; the upkeep bills it on its next run.
    pub(crate) async fn after_member_approval(&self, signup: &SignupRecord) {
        if let Err(e) = self.bill_due_plan_periods(signup, self.now()).await {
            tracing::warn!(mailbox = %signup.mailbox, error = %e, "plan not billed at approval; the upkeep retries");
        }
    }

    // ----- the customer's onboarding and the reviewers' view -----

    /// The actor's own sign-ups with members, documents and history.
    pub async fn my_signups(&self, actor: &Actor) -> Result<Vec<SignupView>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        let mut out = Vec::new();
        for signup in self.store.own_signups(&scope).await? {
            out.push(
                self.signup_view(&scope, MemberAccess::Tenant, signup.mailbox)
                    .await?,
            );
        }
        Ok(out)
    }

    /// One sign-up as its reviewers see it: the platform, or the mail
    /// center of its location.
    pub async fn signup_history(&self, actor: &Actor, mailbox: MailboxId) -> Result<SignupView> {
        let (scope, access, _) = self.reviewer(actor)?;
        self.signup_view(&scope, access, mailbox).await
    }

    /// A member with its documents, for its customer and its reviewers.
    pub async fn member_file(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
    ) -> Result<MemberFile> {
        let (scope, access, _) = self.reviewer(actor)?;
        let member = self.store.member(&scope, access, member).await?;
        let documents = self
            .store
            .member_documents(&scope, access, member.id)
            .await?;
        Ok(MemberFile { member, documents })
    }

    /// The sign-up a member belongs to, for its reviewers.
    pub async fn signup_of_member(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
    ) -> Result<MailboxId> {
        let (scope, access, _) = self.reviewer(actor)?;
        let member = self.store.member(&scope, access, member).await?;
        self.store.signup(&scope, access, member.mailbox).await?;
        Ok(member.mailbox)
    }

    async fn signup_view(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        mailbox: MailboxId,
    ) -> Result<SignupView> {
        let signup = self.store.signup(scope, access, mailbox).await?;
        let location = self.store.location(signup.location).await?;
        let mut members = Vec::new();
        let mut history = Vec::new();
        for member in self
            .store
            .list_members(scope, access, Some(mailbox), None, None)
            .await?
        {
            for record in self.store.member_history(scope, access, member.id).await? {
                history.push(HistoryEntry::Review {
                    member: member.name.clone(),
                    record,
                });
            }
            let documents = self
                .store
                .member_documents(scope, access, member.id)
                .await?;
            for document in &documents {
                history.push(HistoryEntry::Document {
                    member: member.name.clone(),
                    document: document.clone(),
                });
            }
            members.push(MemberFile { member, documents });
        }
        for email in self.store.signup_emails(scope, access, mailbox).await? {
            history.push(HistoryEntry::Email(email));
        }
        history.sort_by_key(HistoryEntry::at);
        Ok(SignupView {
            signup,
            location,
            members,
            history,
        })
    }

    // ----- cancelling a plan -----

    /// Cancels the actor's plan at `mailbox` (`org.settings`, a customer):
    /// it runs to the end of the period already billed, nothing after it
    /// is billed, and the upkeep closes the mailbox then; a plan not
    /// started (no member approved yet) ends at once. The sign-up's contact
    /// gets a confirmation with the closing date. A plan cancelled already
    /// is `plan.already_cancelled`.
    pub async fn cancel_plan(&self, actor: &Actor, mailbox: MailboxId) -> Result<SignupRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        // Another organisation's mailbox is not found, whatever its kind.
        let signup = self.own_signup(&scope, mailbox).await?;
        self.require_kind(actor, OrgKind::Customer)?;
        if signup.plan_ends_at.is_some() {
            return Err(AppError::Conflict(codes::PLAN_ALREADY_CANCELLED));
        }
        let now = self.now();
        let ends_at = signup.plan_next_at.unwrap_or(now);
        let location = self.store.location(signup.location).await?;
        let (tz, _) = super::location_site(&location)?;
        let ends_on = super::intake_day::local_date(ends_at, &tz)?.to_string();
        let letter = plan_cancelled_email(
            Locale::from_tag(&signup.locale),
            &location.name,
            &ends_on,
            &format!("{}/mail/onboarding", self.settings.public_url),
        );
        let (email, delivery) = self.outbox_email(&signup.contact_email, letter, now);
        self.store
            .set_plan_end(
                &scope,
                mailbox,
                None,
                Some(ends_at),
                Some((&email, &delivery)),
                now,
            )
            .await?;
        Ok(SignupRecord {
            plan_ends_at: Some(ends_at),
            ..signup
        })
    }

    /// Keeps a cancelled plan, before its end: billing goes on and the
    /// mailbox stays open. `plan.not_cancelled` for a plan running,
    /// `plan.ended` once the end has come.
    pub async fn keep_plan(&self, actor: &Actor, mailbox: MailboxId) -> Result<SignupRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        // Another organisation's mailbox is not found, whatever its kind.
        let signup = self.own_signup(&scope, mailbox).await?;
        self.require_kind(actor, OrgKind::Customer)?;
        let now = self.now();
        match signup.plan_ends_at {
            None => Err(AppError::Conflict(codes::PLAN_NOT_CANCELLED)),
            Some(end) if end <= now => Err(AppError::Conflict(codes::PLAN_ENDED)),
            Some(end) => {
                self.store
                    .set_plan_end(&scope, mailbox, Some(end), None, None, now)
                    .await?;
                Ok(SignupRecord {
                    plan_ends_at: None,
                    ..signup
                })
            }
        }
    }

    /// Takes a plan at a location for the actor's organisation, an existing
    /// customer (`org.settings`): again after a plan there ended, or at
    /// another location. A new location mailbox and sign-up; its members
    /// are added and reviewed as at the first sign-up, and the plan is
    /// billed from the first approval. The terms must be accepted. While a
    /// plan runs there (cancelled or not, until its end),
    /// `signup.plan_running`.
    pub async fn sign_up_again(
        &self,
        actor: &Actor,
        location: LocationId,
        plan: Plan,
        accept_terms: bool,
    ) -> Result<SignupRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        self.require_kind(actor, OrgKind::Customer)?;
        if !accept_terms {
            return Err(invalid(
                "accept_terms",
                codes::SIGNUP_TERMS_REQUIRED,
                "accept the terms of service to sign up",
            ));
        }
        let offer = self.signup_offer(location).await?;
        let now = self.now();
        let here: Vec<SignupRecord> = self
            .store
            .own_signups(&scope)
            .await?
            .into_iter()
            .filter(|s| s.location == location)
            .collect();
        if here
            .iter()
            .any(|s| s.plan_ends_at.is_none_or(|end| end > now))
        {
            return Err(AppError::Conflict(codes::SIGNUP_PLAN_RUNNING));
        }
        // A plan that ended since the last upkeep: its mailbox closes now,
        // which frees the location for the new one.
        for ended in &here {
            self.close_ended_plan(ended, now).await?;
        }
        let user = match actor.user_id() {
            Some(id) => self.store.user(id).await?,
            None => return Err(AppError::Refused(codes::SIGNUP_PERSON_REQUIRED)),
        };
        let org = self.store.org(scope.org()).await?;
        let (mailbox, signup) = new_location_signup(
            &org,
            &offer,
            plan,
            (user.display_name, user.email, user.locale),
            now,
        )?;
        self.store
            .create_mailbox_with_signup(&scope, &mailbox, &signup, now)
            .await?;
        Ok(signup)
    }

    /// The cancelled plans at a location of the actor's mail center that
    /// end within [`PLANS_ENDING_DAYS`] days, mailbox still open, soonest
    /// first: `(customer name, sign-up)`.
    pub async fn plans_ending(
        &self,
        actor: &Actor,
        location: LocationId,
    ) -> Result<Vec<(String, SignupRecord)>> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        let until = self.now().plus_seconds(PLANS_ENDING_DAYS * 86_400);
        Ok(self
            .store
            .plans_ending_at(&scope, location.id, until)
            .await?
            .into_iter()
            .map(|(signup, name)| (name, signup))
            .collect())
    }

    /// The scope organisation's own sign-up at `mailbox` (a mail center's
    /// view of its customers' sign-ups does not count).
    async fn own_signup(&self, scope: &OrgScope, mailbox: MailboxId) -> Result<SignupRecord> {
        let signup = self
            .store
            .signup(scope, MemberAccess::Tenant, mailbox)
            .await?;
        if signup.org != scope.org() {
            return Err(AppError::NotFound);
        }
        Ok(signup)
    }

    /// Closes the mailbox of each cancelled plan whose end has come (one
    /// batch); returns how many, and whether the batch was full. Mail for
    /// its members is refused from then on.
    async fn close_ended_plans(&self, now: Timestamp) -> Result<(usize, bool)> {
        let mut closed = 0;
        let ended = self.store.plans_ended(now, UPKEEP_BATCH).await?;
        let full = ended.len() >= UPKEEP_BATCH as usize;
        for signup in ended {
            if self.close_ended_plan(&signup, now).await? {
                closed += 1;
            }
        }
        Ok((closed, full))
    }

    /// Closes the mailbox of one sign-up whose plan ended; `false` if it is
    /// closed already or changed meanwhile (another server's upkeep: its
    /// next run sees it).
    async fn close_ended_plan(&self, signup: &SignupRecord, now: Timestamp) -> Result<bool> {
        let scope = OrgScope::system(signup.org, "system:plan");
        let mailbox = self.store.mailbox(&scope, signup.mailbox).await?;
        if mailbox.state == MailboxState::Closed {
            return Ok(false);
        }
        let mut after = mailbox.clone();
        after.state = mailbox_transition(mailbox.state, MailboxEvent::Close)?;
        let event = AuditEvent::new("mailbox.closed", mailbox.id.to_string(), "plan ended");
        match self
            .store
            .update_mailbox(&scope, &mailbox, &after, &event, now)
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    // ----- the upkeep: plan periods and reminders -----

    /// Bills due plan periods (one batch of sign-ups), closes the mailboxes
    /// of plans that ended (one batch) and sends every due reminder. Safe
    /// to run twice at the same time: each period and each reminder exists
    /// at most once, and a mailbox is closed once.
    pub async fn signup_upkeep(&self, now: Timestamp) -> Result<SignupUpkeep> {
        let due = self.store.plans_due(now, UPKEEP_BATCH).await?;
        let mut more = due.len() >= UPKEEP_BATCH as usize;
        let mut billed = 0;
        for signup in due {
            billed += self.bill_due_plan_periods(&signup, now).await?;
        }
        let (closed, full) = self.close_ended_plans(now).await?;
        more |= full;
        Ok(SignupUpkeep {
            billed,
            closed,
            reminded: self.send_due_reminders(now).await?,
            more,
        })
    }

    /// Bills every period of a sign-up's plan that has begun and is not
    /// billed yet: period 0 starts at the first approval, period k k
    /// months (or years) later in the location's time zone.
    async fn bill_due_plan_periods(&self, signup: &SignupRecord, now: Timestamp) -> Result<usize> {
        let Some(start) = (match signup.plan_started_at {
            Some(s) => Some(s),
            None => self.store.first_approval_at(signup.mailbox).await?,
        }) else {
            return Ok(0);
        };
        let location = self.store.location(signup.location).await?;
        let (tz, _) = super::location_site(&location)?;
        let internal = |e: jiff::Error| AppError::internal_from(e, "plan period");
        let start_zoned = jiff::Timestamp::from_millisecond(start.millis())
            .map_err(internal)?
            .to_zoned(tz);
        let period_start = |k: i32| -> Result<Timestamp> {
            let months = i64::from(k) * i64::from(signup.plan.months());
            let at = start_zoned
                .checked_add(jiff::Span::new().try_months(months).map_err(internal)?)
                .map_err(internal)?;
            Ok(Timestamp::from_millis(at.timestamp().as_millisecond()))
        };
        let scope = OrgScope::system(signup.org, "system:plan");
        let mut period = self
            .store
            .last_plan_period(signup.mailbox)
            .await?
            .map_or(0, |p| p + 1);
        let mut billed = 0;
        // At most a year of catch-up per run; the next run continues.
        for _ in 0..12 {
            let starts_at = period_start(period)?;
            if starts_at > now || signup.plan_ends_at.is_some_and(|end| starts_at >= end) {
                break;
            }
            let next_at = period_start(period + 1)?;
            let line = UsageLineRecord {
                id: uuid::Uuid::new_v4(),
                org: signup.org,
                kind: UsageKind::Plan,
                item: None,
                task: None,
                pickup: None,
                amount: signup.price,
                vat_bp: vat_bp(&location.country),
                created_at: now,
                description: format!(
                    "{} plan at {}, period {}",
                    signup.plan,
                    location.name,
                    period + 1
                ),
            };
            match self
                .store
                .bill_plan_period(
                    &scope,
                    signup.mailbox,
                    period,
                    starts_at,
                    next_at,
                    &line,
                    now,
                )
                .await
            {
                Ok(()) => billed += 1,
                // Another run billed it meanwhile.
                Err(StoreError::Conflict {
                    what: codes::PLAN_ALREADY_BILLED,
                }) => {}
                // Cancelled meanwhile: nothing more to bill.
                Err(StoreError::Conflict {
                    what: codes::PLAN_ENDED,
                }) => break,
                Err(e) => return Err(e.into()),
            }
            period += 1;
        }
        Ok(billed)
    }

    /// Sends the reminder due to each customer who has not finished: no
    /// member submitted yet (counted from the sign-up), or a member sent
    /// back (counted from the last send-back).
    async fn send_due_reminders(&self, now: Timestamp) -> Result<usize> {
        let rules = ReviewRules::DEFAULT;
        let span = i64::from(rules.reminder_interval_days * rules.reminder_count + 1) * 86_400;
        let mut sent = 0;
        let mut after: Option<SignupRecord> = None;
        loop {
            let page = self
                .store
                .reminder_candidates(now.plus_seconds(-span), after.as_ref(), UPKEEP_BATCH)
                .await?;
            let full = page.len() >= UPKEEP_BATCH as usize;
            after = page.last().map(|c| c.signup.clone());
            for candidate in &page {
                sent += self.send_reminder_if_due(candidate, now).await?;
            }
            if !full {
                return Ok(sent);
            }
        }
    }

    /// The reminder due to one candidate now, if any and not sent yet;
    /// returns how many were sent (0 or 1).
    async fn send_reminder_if_due(
        &self,
        candidate: &ReminderCandidate,
        now: Timestamp,
    ) -> Result<usize> {
        let rules = ReviewRules::DEFAULT;
        let (round_start, sent_back) = match (candidate.sent_back_at, candidate.submitted) {
            (Some(at), _) => (at, true),
            (None, false) => (candidate.signup.created_at, false),
            (None, true) => return Ok(0),
        };
        let Some(no) = reminder_due(
            round_start,
            now,
            rules.reminder_interval_days,
            rules.reminder_count,
        ) else {
            return Ok(0);
        };
        let signup = &candidate.signup;
        let location = self.store.location(signup.location).await?;
        let link = format!("{}/mail/onboarding", self.settings.public_url);
        let letter = reminder_email(
            Locale::from_tag(&signup.locale),
            &location.name,
            sent_back,
            no,
            &link,
        );
        let sent = self
            .queue_signup_email(
                SignupEmailLink {
                    mailbox: signup.mailbox,
                    kind: SignupEmailKind::Reminder,
                    round_start: Some(round_start),
                    reminder_no: Some(i32::try_from(no).unwrap_or(i32::MAX)),
                },
                &signup.contact_email,
                letter,
            )
            .await?;
        Ok(usize::from(sent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_recognised_by_their_first_bytes() {
        assert_eq!(document_type(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(document_type(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(document_type(b"GIF89a"), None);
        assert_eq!(clean_file_name("C:\\scans\\id\u{7}.jpg"), "id.jpg");
    }

    #[test]
    fn reminders_and_decisions_in_both_languages() {
        let en = reminder_email(
            Locale::En,
            "Lausanne",
            false,
            2,
            "https://x/mail/onboarding",
        );
        assert!(en.subject.contains("2 of 4"));
        let fr = reminder_email(Locale::Fr, "Lausanne", true, 4, "https://x/o");
        assert!(fr.subject.contains("4 sur 4") && fr.text.contains("renvoyé"));
        assert!(decision_email(Locale::Fr, "Anna", ReviewEvent::PreApprove, "ok", "x").is_none());
        let d = decision_email(Locale::En, "Anna", ReviewEvent::Reject, "blurred", "x").unwrap();
        assert!(d.text.contains("blurred"));
    }
}
