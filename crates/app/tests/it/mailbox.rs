//! The digital mailbox and mail-center operations, end to end on the app
//! layer, on both backends: verification by post (the code is read from the
//! letter's PDF), intake and refusals, requests with SLA deadlines,
//! unscannable items, completions billed once, OCR and search, pickups with
//! custody, digital delivery with paper fallback, rules, retention, and
//! tenant isolation of every call that takes an id.
//!
//! The OCR test needs Tesseract and poppler-utils; without them it is
//! skipped, except with `CI=true`, where it fails.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::jobs::run_due_jobs_once;
use courrier_app::mailbox::MailboxUpkeep;
use courrier_app::mailbox::{
    Completion, DeliveryOutcome, DeliveryRecipient, IntakeInput, ItemFile, NewLocation, NewPickup,
    Recipient, Requested,
};
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_documents::{IntakeLimits, TextReader};
use courrier_domain::letters::{Country, LetterStatus};
use courrier_domain::mailbox::{
    Action, ActionKind, Condition, ContentFlag, ContentFlags, ForwardAddress, ItemFormat, ItemKind,
    ItemState, MailboxState, ReviewEvent, Rule,
};
use courrier_domain::{
    Actor, ApiKeyId, Currency, LetterId, MailItemId, Money, OrgKind, Permission, Role, Timestamp,
};
use courrier_store::{
    ItemFilter, LocationRecord, MailboxRecord, MemberKind, MemberRecord, OcrState, TaskFilter,
    TaskState, UsageKind,
};

on_both_backends!(
    verification_by_post_suspension_and_reverification,
    wrong_codes_are_throttled,
    intake_scan_ocr_and_search,
    without_tesseract_an_item_says_ocr_is_unavailable,
    refused_recipients_are_recorded,
    unscannable_items_are_forwarded_instead,
    sla_deadlines_follow_13h_weekends_and_holidays,
    pickups_record_custody_and_fees,
    digital_delivery_or_paper,
    rules_run_on_intake,
    retention_of_originals,
    tenant_isolation_of_every_id,
    demo_data_has_a_mailbox,
    location_mailbox_and_review_queues,
    paper_original_is_posted_and_billed_once,
);

const DUPONT: [&str; 3] = [
    "Boulangerie Dupont SàRL",
    "Rue de Bourg 12",
    "1003 Lausanne",
];

fn lines(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

/// A local time in Zurich.
fn zurich(civil: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = civil.parse().unwrap();
    let z = dt
        .to_zoned(jiff::tz::TimeZone::get("Europe/Zurich").unwrap())
        .unwrap();
    Timestamp::from_millis(z.timestamp().as_millisecond())
}

fn date(s: &str) -> jiff::civil::Date {
    s.parse().unwrap()
}

fn jpeg() -> Vec<u8> {
    // The headers of a 1×1 JPEG: what an identity document upload reads.
    b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xC0\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00\xFF\xD9".to_vec()
}

/// The platform's own actor, to read the letters it sent.
fn platform_reader(platform: &Org) -> Actor {
    Actor::system("test", platform.id, OrgKind::Platform)
}

/// The verification code printed in a letter, read back from its PDF.
async fn code_in_letter(env: &Env, platform: &Org, letter: LetterId) -> String {
    let view = env
        .app
        .letter(&platform_reader(platform), letter)
        .await
        .unwrap();
    assert_eq!(
        view.letter.status,
        LetterStatus::Accepted,
        "submitted at once"
    );
    let pdf = env
        .app
        .letter_pdf(&platform_reader(platform), letter)
        .await
        .unwrap();
    let doc = courrier_documents::load_pdf(&pdf, &IntakeLimits::default()).unwrap();
    let mut reader = TextReader::new(&doc);
    // Kerning splits words into runs: read the page without any blanks;
    // the code follows a colon in both languages.
    let text: String = reader
        .page_text(0)
        .unwrap()
        .runs
        .iter()
        .flat_map(|r| r.text.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    let re = regex::Regex::new(r":([0-9A-Z]{4}-[0-9A-Z]{4})").unwrap();
    let codes: Vec<&str> = re
        .captures_iter(&text)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert!(codes.len() >= 2, "the code, in French and English: {text}");
    assert!(codes.iter().all(|c| *c == codes[0]));
    codes[0].to_string()
}

/// Everything most tests need: a platform, a mail center with a location
/// and a clerk, and a customer with an active company mailbox and an
/// approved member at the location.
struct World {
    env: Env,
    platform: Org,
    owner: Org,
    clerk: Actor,
    location: LocationRecord,
    customer: Org,
    mailbox: MailboxRecord,
    member: MemberRecord,
}

async fn world(backend: Backend) -> World {
    world_of(Env::new(backend).await).await
}

async fn world_of(env: Env) -> World {
    let MailCenter {
        platform,
        owner,
        clerk,
        location,
    } = env.lausanne_mail_center().await;
    let customer = env.org("dupont").await;
    let mailbox = active_mailbox(&env, &platform, &customer).await;
    let member = approved_member(&env, &platform, &owner, &customer, &mailbox, &location).await;
    World {
        env,
        platform,
        owner,
        clerk,
        location,
        customer,
        mailbox,
        member,
    }
}

/// Opens a company mailbox, reads the code from the letter and types it on
/// the activation date.
async fn active_mailbox(env: &Env, platform: &Org, customer: &Org) -> MailboxRecord {
    let opened = env
        .app
        .open_company_mailbox(&customer.actor, &lines(&DUPONT), date("2026-01-22"))
        .await
        .unwrap();
    let code = code_in_letter(env, platform, opened.verification_letter.unwrap()).await;
    env.clock.set(zurich("2026-01-22T08:00:00"));
    let verified = env
        .app
        .verify_mailbox(&customer.actor, opened.id, &code)
        .await
        .unwrap();
    assert_eq!(verified.state, MailboxState::Active);
    verified
}

async fn approved_member(
    env: &Env,
    platform: &Org,
    owner: &Org,
    customer: &Org,
    mailbox: &MailboxRecord,
    location: &LocationRecord,
) -> MemberRecord {
    let member = env
        .app
        .add_mailbox_member(
            &customer.actor,
            mailbox.id,
            location.id,
            "Boulangerie Dupont SàRL",
            MemberKind::Company,
        )
        .await
        .unwrap();
    // A member is submitted with at least one identity document.
    env.app
        .upload_member_document(
            &customer.actor,
            member.id,
            courrier_domain::mailbox::IdentityDocumentKind::RegisterExtract,
            courrier_domain::mailbox::DocumentSide::Single,
            "extract.pdf",
            &identity_pdf(),
        )
        .await
        .unwrap();
    env.app
        .submit_mailbox_member(&customer.actor, member.id)
        .await
        .unwrap();
    env.app
        .review_mailbox_member(
            &platform.actor,
            member.id,
            ReviewEvent::PreApprove,
            "register extract checked",
        )
        .await
        .unwrap();
    env.app
        .review_mailbox_member(
            &owner.actor,
            member.id,
            ReviewEvent::Approve,
            "ID checked at the counter",
        )
        .await
        .unwrap()
}

fn letter_for(member: &MemberRecord, sender: &str) -> IntakeInput {
    IntakeInput {
        envelope_photo: Some(jpeg()),
        ..letter_piece(Recipient::Member(member.id), sender)
    }
}

impl World {
    async fn log(&self, sender: &str) -> MailItemId {
        let out = self
            .env
            .app
            .log_item(
                &self.clerk,
                self.location.id,
                letter_for(&self.member, sender),
            )
            .await
            .unwrap();
        assert_eq!(out.refused, None);
        out.item.id
    }

    async fn request(&self, item: MailItemId, action: &Action) -> Result<Requested, AppError> {
        let mut out = self
            .env
            .app
            .request_action(&self.customer.actor, &[item], action)
            .await
            .unwrap();
        assert_eq!(out.len(), 1);
        out.pop().unwrap().1
    }

    async fn task_of(&self, item: MailItemId, action: &Action) -> courrier_store::TaskRecord {
        match self.request(item, action).await.unwrap() {
            Requested::Task(t) => t,
            other => panic!("expected a task, got {other:?}"),
        }
    }
}

fn code_of<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Invalid(i)) => i.code.to_string(),
        Err(AppError::Refused(c)) | Err(AppError::Conflict(c)) => c.to_string(),
        Err(AppError::NotFound) => "not_found".into(),
        Err(AppError::Forbidden(p)) => format!("forbidden:{}", p.as_str()),
        Err(AppError::Throttled { .. }) => "throttled".into(),
        other => format!("unexpected: {other:?}"),
    }
}

fn chf(minor: i64) -> Money {
    Money::new(minor, Currency::CHF)
}

// ----- verification by post -----

async fn verification_by_post_suspension_and_reverification(backend: Backend) {
    let env = Env::new(backend).await;
    let customer = env.org("dupont").await;
    // No platform to send the letter yet.
    assert_eq!(
        code_of(
            env.app
                .open_company_mailbox(&customer.actor, &lines(&DUPONT), date("2026-01-22"))
                .await
        ),
        "mailbox.no_platform"
    );
    let platform = env
        .org_of_kind("platform", OrgKind::Platform, Role::PlatformAdmin)
        .await;
    // Three weeks after sign-up at the earliest.
    assert_eq!(
        code_of(
            env.app
                .open_company_mailbox(&customer.actor, &lines(&DUPONT), date("2026-01-21"))
                .await
        ),
        "mail.activation_too_early"
    );
    assert_eq!(
        code_of(
            env.app
                .open_company_mailbox(
                    &customer.actor,
                    &lines(&["just one line"]),
                    date("2026-02-01")
                )
                .await
        ),
        "mail.address_invalid"
    );
    // Only an administrator opens it.
    let (_, member) = env
        .person(&customer, "sara@dupont.test", Role::Member)
        .await;
    assert_eq!(
        code_of(
            env.app
                .open_company_mailbox(&member, &lines(&DUPONT), date("2026-02-01"))
                .await
        ),
        "forbidden:org.settings"
    );
    let opened = env
        .app
        .open_company_mailbox(&customer.actor, &lines(&DUPONT), date("2026-02-01"))
        .await
        .unwrap();
    assert_eq!(opened.state, MailboxState::PendingVerification);
    assert_eq!(
        code_of(
            env.app
                .open_company_mailbox(&customer.actor, &lines(&DUPONT), date("2026-02-01"))
                .await
        ),
        "mailbox.exists"
    );
    // The letter went through the outbound pipeline, from the platform.
    let letter = opened.verification_letter.unwrap();
    let view = env
        .app
        .letter(&platform_reader(&platform), letter)
        .await
        .unwrap();
    assert_eq!(view.letter.recipient.name, "Boulangerie Dupont SàRL");
    assert_eq!(view.letter.recipient.postcode, "1003");
    assert!(view.letter.price_total > 0, "priced like any letter");
    let code = code_in_letter(&env, &platform, letter).await;
    // The code is not stored, only its digest.
    let rows = if backend == Backend::Postgres {
        postgres_rows_as_text(&env.db).await
    } else {
        Vec::new()
    };
    assert!(rows.iter().all(|r| !r.contains(&code.replace('-', ""))));

    // Verified, but not active before the activation date.
    let verified = env
        .app
        .verify_mailbox(&member, opened.id, &code.to_lowercase())
        .await
        .unwrap();
    assert_eq!(verified.state, MailboxState::Verified);
    assert_eq!(
        code_of(env.app.verify_mailbox(&member, opened.id, &code).await),
        "mailbox.not_awaiting_code"
    );
    assert_eq!(
        env.app.mailbox_upkeep(env.now()).await.unwrap(),
        MailboxUpkeep::default()
    );
    env.clock.set(zurich("2026-02-01T00:30:00"));
    assert_eq!(
        env.app.mailbox_upkeep(env.now()).await.unwrap(),
        MailboxUpkeep {
            activated: 1,
            ..MailboxUpkeep::default()
        }
    );
    let active = env.app.mailbox(&customer.actor, opened.id).await.unwrap();
    assert_eq!(active.state, MailboxState::Active);

    // A new address suspends the mailbox until the new code is typed.
    let moved = lines(&[
        "Boulangerie Dupont SàRL",
        "Place de la Palud 3",
        "1003 Lausanne",
    ]);
    let suspended = env
        .app
        .change_mailbox_address(&customer.actor, opened.id, &moved)
        .await
        .unwrap();
    assert_eq!(suspended.state, MailboxState::Suspended);
    assert_eq!(suspended.address, moved);
    let second = suspended.verification_letter.unwrap();
    assert_ne!(second, letter);
    let new_code = code_in_letter(&env, &platform, second).await;
    assert_eq!(
        code_of(env.app.verify_mailbox(&member, opened.id, &code).await),
        "mail.code_wrong"
    );
    let again = env
        .app
        .verify_mailbox(&member, opened.id, &new_code)
        .await
        .unwrap();
    assert_eq!(
        again.state,
        MailboxState::Active,
        "the activation date has passed"
    );
    assert_eq!(again.address, moved);
    env.close().await;
}

async fn wrong_codes_are_throttled(backend: Backend) {
    let env = Env::new(backend).await;
    let platform = env
        .org_of_kind("platform", OrgKind::Platform, Role::PlatformAdmin)
        .await;
    let customer = env.org("dupont").await;
    let opened = env
        .app
        .open_company_mailbox(&customer.actor, &lines(&DUPONT), date("2026-01-22"))
        .await
        .unwrap();
    let code = code_in_letter(&env, &platform, opened.verification_letter.unwrap()).await;
    let wrong = if code.starts_with('0') {
        "1111-1111"
    } else {
        "0000-0000"
    };
    // A malformed entry does not count.
    assert_eq!(
        code_of(
            env.app
                .verify_mailbox(&customer.actor, opened.id, "hello")
                .await
        ),
        "mail.code_malformed"
    );
    for _ in 0..4 {
        assert_eq!(
            code_of(
                env.app
                    .verify_mailbox(&customer.actor, opened.id, wrong)
                    .await
            ),
            "mail.code_wrong"
        );
    }
    match env
        .app
        .verify_mailbox(&customer.actor, opened.id, wrong)
        .await
    {
        Err(AppError::Throttled { retry_after_secs }) => assert_eq!(retry_after_secs, 24 * 3600),
        other => panic!("the fifth wrong code locks: {other:?}"),
    }
    // Even the right code waits for the lock.
    assert_eq!(
        code_of(
            env.app
                .verify_mailbox(&customer.actor, opened.id, &code)
                .await
        ),
        "throttled"
    );
    env.advance(24 * 3600 + 1);
    let ok = env
        .app
        .verify_mailbox(&customer.actor, opened.id, &code)
        .await
        .unwrap();
    assert_eq!(ok.state, MailboxState::Verified);
    // Another organisation cannot even try.
    let other = env.org("other").await;
    assert_eq!(
        code_of(env.app.verify_mailbox(&other.actor, opened.id, &code).await),
        "not_found"
    );
    env.close().await;
}

// ----- intake, scan, OCR, search -----

fn scan_pdf() -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: lines(&DUPONT),
            pages: 1,
            reference: "2026-0042".into(),
        }],
        &[
            "Swisscom (Suisse) SA",
            "Alte Tiefenaustrasse 6",
            "3048 Worblaufen",
        ],
    )
}

/// Without Tesseract (here a program that does not exist) a scan is kept,
/// the item says its text was not recognised because the server has no OCR,
/// and the platform admin can see it.
async fn without_tesseract_an_item_says_ocr_is_unavailable(backend: Backend) {
    let env = Env::with(backend, courrier_app::email::Mailer::NotConfigured, |s| {
        s.ocr_tesseract = "/nonexistent/tesseract".into();
    })
    .await;
    let w = world_of(env).await;
    let app = &w.env.app;
    assert_eq!(app.ocr_status(), courrier_app::ocr::OcrStatus::NotChecked);
    let item = w.log("Swisscom (Suisse) SA").await;
    let task = w.task_of(item, &Action::Scan).await;
    app.complete_scan_task(&w.clerk, task.id, &scan_pdf())
        .await
        .unwrap();
    run_due_jobs_once(app).await.unwrap();
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(view.item.ocr.state, OcrState::Failed);
    assert_eq!(view.item.ocr.error, courrier_store::OCR_UNAVAILABLE);
    assert!(view.item.ocr.unavailable());
    assert!(view.text.is_empty());
    // The scan is kept.
    let (_, scan) = app
        .mail_item_file(&w.customer.actor, item, ItemFile::Scan)
        .await
        .unwrap();
    assert_eq!(scan, scan_pdf());
    match app.ocr_status() {
        courrier_app::ocr::OcrStatus::Unavailable { reason } => {
            assert!(reason.contains("/nonexistent/tesseract"), "{reason}")
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    // The OCR job is done with, not retried.
    run_due_jobs_once(app).await.unwrap();
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert!(view.item.ocr.unavailable());
    w.env.close().await;
}

async fn intake_scan_ocr_and_search(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let out = app
        .log_item(
            &w.clerk,
            w.location.id,
            letter_for(&w.member, "Swisscom (Suisse) SA"),
        )
        .await
        .unwrap();
    let item = out.item.id;
    assert_eq!(out.item.state, ItemState::Received);
    assert_eq!(out.item.org, Some(w.customer.id));
    assert!(out.automatic.is_none());
    // The envelope photo is stored encrypted, and readable by both sides.
    let (doc, photo) = app
        .mail_item_file(&w.customer.actor, item, ItemFile::Envelope)
        .await
        .unwrap();
    assert_eq!((doc.content_type.as_str(), photo), ("image/jpeg", jpeg()));
    assert!(
        app.mail_item_file(&w.clerk, item, ItemFile::Envelope)
            .await
            .is_ok()
    );
    // The customer is told by e-mail.
    let mails = app.store.recent_emails(50).await.unwrap();
    assert!(
        mails.iter().any(|m| m.to.as_str() == w.customer.admin_email
            && m.subject.contains("Swisscom (Suisse) SA"))
    );

    // The customer asks for a scan; the clerk sees it in the queue.
    let task = w.task_of(item, &Action::Scan).await;
    assert_eq!(task.action, ActionKind::Scan);
    assert_eq!(task.location, w.location.id);
    let queue = app
        .task_queue(&w.clerk, w.location.id, &TaskFilter::default())
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].fee, None, "clerks do not see money");
    let owner_view = app
        .task_queue(&w.owner.actor, w.location.id, &TaskFilter::default())
        .await
        .unwrap();
    assert_eq!(owner_view[0].fee, Some(chf(80)));
    assert_eq!(
        code_of(w.request(item, &Action::Scan).await),
        "mail.action_pending"
    );

    // The wrong completion, a bad file, then the scan.
    assert_eq!(
        code_of(
            app.complete_task(&w.clerk, task.id, Completion::Shredded)
                .await
        ),
        "mail.completion_mismatch"
    );
    assert_eq!(
        code_of(
            app.complete_scan_task(&w.clerk, task.id, b"not a scan")
                .await
        ),
        "mail.scan_invalid"
    );
    let done = app
        .complete_scan_task(&w.clerk, task.id, &scan_pdf())
        .await
        .unwrap();
    assert_eq!(done.state, TaskState::Done);
    assert_eq!(done.done_by.as_deref(), Some(w.clerk.label().as_str()));
    assert_eq!(
        code_of(app.complete_scan_task(&w.clerk, task.id, &scan_pdf()).await),
        "task.not_open"
    );
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(view.item.state, ItemState::Scanned);
    assert_eq!(view.item.pages, Some(1));
    assert_eq!(view.item.ocr.state, OcrState::Queued);
    let events: Vec<&str> = view.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["received", "request_scan", "scan_done"]);
    let (scan_doc, scan) = app
        .mail_item_file(&w.customer.actor, item, ItemFile::Scan)
        .await
        .unwrap();
    assert_eq!(scan_doc.content_type, "application/pdf");
    assert_eq!(scan, scan_pdf());
    // Billed once, CHF 0.80, at completion.
    let usage = app
        .mailbox_usage(
            &w.customer.actor,
            Timestamp::from_millis(0),
            w.env.now().plus_seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].kind, usage[0].amount, usage[0].vat_bp),
        (UsageKind::Scan, chf(80), 810)
    );
    let (_, member_actor) = w
        .env
        .person(&w.customer, "sara@dupont.test", Role::Member)
        .await;
    assert_eq!(
        code_of(
            app.mailbox_usage(&member_actor, Timestamp::from_millis(0), w.env.now())
                .await
        ),
        "forbidden:money.view"
    );

    if !ocr_available() {
        w.env.close().await;
        return;
    }
    run_due_jobs_once(&w.env.app).await.unwrap();
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(
        view.item.ocr.state,
        OcrState::Done,
        "{}",
        view.item.ocr.error
    );
    assert_eq!(view.item.ocr.pages_done, 1);
    assert!(
        view.text.to_lowercase().contains("services"),
        "{}",
        view.text
    );
    // The customer finds it by a word inside the letter.
    let found = app
        .search_mail(
            &w.customer.actor,
            "services",
            &ItemFilter::default(),
            None,
            20,
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].item.id, item);
    assert!(
        found.items[0]
            .snippet
            .iter()
            .any(|s| s.highlighted && s.text.eq_ignore_ascii_case("services"))
    );
    let none = app
        .search_mail(
            &w.customer.actor,
            "services",
            &ItemFilter {
                state: Some(ItemState::Received),
                ..ItemFilter::default()
            },
            None,
            20,
        )
        .await
        .unwrap();
    assert!(none.items.is_empty());
    // Tags and notes are searchable too.
    app.annotate_mail_item(
        &w.customer.actor,
        item,
        &["Téléphone".into()],
        "payer avant fin janvier",
    )
    .await
    .unwrap();
    let by_note = app
        .search_mail(
            &w.customer.actor,
            "janvier",
            &ItemFilter::default(),
            None,
            20,
        )
        .await
        .unwrap();
    assert_eq!(by_note.items.len(), 1);
    w.env.close().await;
}

async fn refused_recipients_are_recorded(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    // Someone not on the list.
    let mut input = letter_for(&w.member, "Somebody");
    input.recipient = Recipient::Unlisted("Jean Inconnu".into());
    let out = app.log_item(&w.clerk, w.location.id, input).await.unwrap();
    assert_eq!(out.item.state, ItemState::Refused);
    assert!(out.refused.unwrap().contains("Jean Inconnu"));
    assert_eq!(out.item.org, None);
    let view = app.mail_item(&w.clerk, out.item.id).await.unwrap();
    assert_eq!(view.events[0].event, "refused");
    assert_eq!(
        code_of(app.mail_item(&w.customer.actor, out.item.id).await),
        "not_found"
    );
    // A member not approved yet.
    let pending = app
        .add_mailbox_member(
            &w.customer.actor,
            w.mailbox.id,
            w.location.id,
            "Marie Dupont",
            MemberKind::Person,
        )
        .await
        .unwrap();
    let mut input = letter_for(&w.member, "Somebody");
    input.recipient = Recipient::Member(pending.id);
    let out = app.log_item(&w.clerk, w.location.id, input).await.unwrap();
    assert_eq!(out.item.state, ItemState::Refused);
    assert!(out.refused.unwrap().contains("not approved"));
    // A suspended mailbox (the address changed) receives nothing.
    app.change_mailbox_address(
        &w.customer.actor,
        w.mailbox.id,
        &lines(&["Boulangerie Dupont SàRL", "Rue Neuve 1", "1003 Lausanne"]),
    )
    .await
    .unwrap();
    let out = app
        .log_item(&w.clerk, w.location.id, letter_for(&w.member, "Somebody"))
        .await
        .unwrap();
    assert_eq!(out.item.state, ItemState::Refused);
    assert!(out.refused.unwrap().contains("suspended"));
    // Refused items take no action.
    assert_eq!(
        code_of(w.request(out.item.id, &Action::Scan).await),
        "mailbox.suspended"
    );
    assert_eq!(
        code_of(w.request(out.item.id, &Action::Shred).await),
        "mail.item_gone"
    );
    // A photo that is not an image is refused before anything is stored.
    let mut input = letter_for(&w.member, "X");
    input.envelope_photo = Some(b"%PDF-1.4".to_vec());
    assert_eq!(
        code_of(app.log_item(&w.clerk, w.location.id, input).await),
        "mail.envelope_invalid"
    );
    w.env.close().await;
}

async fn unscannable_items_are_forwarded_instead(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    w.env.clock.set(zurich("2026-01-26T10:00:00")); // a Monday morning
    let mut input = letter_for(&w.member, "Banque Cantonale");
    input.contents = ContentFlags::NONE.with(ContentFlag::Cheque);
    let item = app
        .log_item(&w.clerk, w.location.id, input)
        .await
        .unwrap()
        .item
        .id;
    let (task, reason) = match w.request(item, &Action::Scan).await.unwrap() {
        Requested::ForwardedInstead { task, reason } => (task, reason),
        other => panic!("expected a forward instead, got {other:?}"),
    };
    assert_eq!(reason.code(), "mail.unscannable.cheque");
    assert_eq!(task.action, ActionKind::Forward);
    assert_eq!(task.fee, chf(250));
    assert!(
        task.note.contains("mail.unscannable.cheque"),
        "{}",
        task.note
    );
    assert_eq!(task.forward_address, lines(&DUPONT));
    // Sent on the next business day whatever the hour.
    assert_eq!(task.due_at, zurich("2026-01-27T18:00:00"));
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(view.item.state, ItemState::ForwardRequested);
    // Shipping: capped at 1.5 × retail.
    let over = Completion::Shipped {
        retail: chf(230),
        markup_bp: 16_000,
        tracking: String::new(),
    };
    assert_eq!(
        code_of(app.complete_task(&w.clerk, task.id, over).await),
        "mail.markup_above_cap"
    );
    // A retail price a clerk typed is bounded (2,000.00), naming the field.
    let typo = Completion::Shipped {
        retail: chf(2_300_000),
        markup_bp: 10_000,
        tracking: String::new(),
    };
    match app.complete_task(&w.clerk, task.id, typo).await {
        Err(AppError::Invalid(i)) => {
            assert_eq!(
                (i.code.as_str(), i.field),
                ("mail.amount_out_of_range", "retail")
            )
        }
        other => panic!("a retail price of 23,000.00 must be refused, got {other:?}"),
    }
    let ok = Completion::Shipped {
        retail: chf(230),
        markup_bp: 15_000,
        tracking: "99.00.123456.12345678".into(),
    };
    app.complete_task(&w.clerk, task.id, ok).await.unwrap();
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(view.item.state, ItemState::Forwarded);
    let usage = app
        .mailbox_usage(
            &w.customer.actor,
            Timestamp::from_millis(0),
            w.env.now().plus_seconds(1),
        )
        .await
        .unwrap();
    let mut billed: Vec<(i64, &str)> = usage
        .iter()
        .map(|u| (u.amount.minor(), u.kind.as_str()))
        .collect();
    billed.sort();
    assert_eq!(billed, [(250, "forward"), (345, "postage")]);
    // A parcel asked for a scan: forwarded too, for its own reason.
    let mut parcel = letter_for(&w.member, "Zalando");
    parcel.kind = ItemKind::Parcel;
    parcel.format = ItemFormat::A4;
    let item = app
        .log_item(&w.clerk, w.location.id, parcel)
        .await
        .unwrap()
        .item
        .id;
    match w.request(item, &Action::Scan).await.unwrap() {
        Requested::ForwardedInstead { reason, .. } => {
            assert_eq!(reason.code(), "mail.unscannable.parcel")
        }
        other => panic!("expected a forward instead, got {other:?}"),
    }
    w.env.close().await;
}

async fn sla_deadlines_follow_13h_weekends_and_holidays(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let cases = [
        // (requested at, due), Zurich time
        ("2026-01-26T12:59:00", "2026-01-26T18:00:00"), // Monday before 13:00: same day
        ("2026-01-26T13:00:00", "2026-01-27T18:00:00"), // 13:00 is after the cut-off
        ("2026-01-30T15:00:00", "2026-02-02T18:00:00"), // Friday afternoon: Monday
        ("2026-01-31T10:00:00", "2026-02-02T18:00:00"), // Saturday morning: Monday
        ("2026-04-02T14:00:00", "2026-04-07T18:00:00"), // Thursday before Easter: Tuesday
        ("2026-04-06T09:00:00", "2026-04-07T18:00:00"), // Easter Monday morning: Tuesday
    ];
    let mut tasks = Vec::new();
    for (at, due) in cases {
        w.env.clock.set(zurich(at));
        let item = w.log("Swisscom AG").await;
        let task = w.task_of(item, &Action::Shred).await;
        assert_eq!(task.requested_at, zurich(at));
        assert_eq!(task.due_at, zurich(due), "requested {at}");
        tasks.push(task);
    }
    // The queue: by deadline, overdue ones stand out.
    w.env.clock.set(zurich("2026-01-26T18:01:00"));
    let queue = app
        .task_queue(&w.clerk, w.location.id, &TaskFilter::default())
        .await
        .unwrap();
    let due: Vec<Timestamp> = queue.iter().map(|q| q.task.due_at).collect();
    let mut sorted = due.clone();
    sorted.sort();
    assert_eq!(due, sorted);
    assert!(queue[0].overdue && queue[0].task.id == tasks[0].id);
    assert!(queue[1..].iter().all(|q| !q.overdue));
    // Completion records who and when, and the overdue flag goes.
    let done = app
        .complete_task(&w.clerk, tasks[0].id, Completion::Shredded)
        .await
        .unwrap();
    assert_eq!(done.done_at, Some(zurich("2026-01-26T18:01:00")));
    let open = TaskFilter {
        state: Some(TaskState::Open),
        ..TaskFilter::default()
    };
    let queue = app
        .task_queue(&w.clerk, w.location.id, &open)
        .await
        .unwrap();
    assert_eq!(queue.len(), cases.len() - 1);
    assert!(queue.iter().all(|q| !q.overdue));
    w.env.close().await;
}

async fn pickups_record_custody_and_fees(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let a = w.log("A").await;
    let b = w.log("B").await;
    let scanning = w.log("C").await;
    let hold = w.task_of(b, &Action::HoldForPickup).await;
    assert_eq!(hold.action, ActionKind::HoldForPickup);
    app.complete_task(&w.clerk, hold.id, Completion::Shelved)
        .await
        .unwrap();
    w.task_of(scanning, &Action::Scan).await;
    let pickup = |items: Vec<MailItemId>, digits: &str| NewPickup {
        customer: w.customer.id,
        items,
        id_document_type: "identity card".into(),
        id_last_digits: digits.into(),
        fees: chf(300),
    };
    // The whole number is not recorded; an item waiting for a scan stays.
    assert_eq!(
        code_of(
            app.create_pickup(&w.clerk, w.location.id, pickup(vec![a, b], "C1234567890"))
                .await
        ),
        "mail.pickup_invalid"
    );
    assert_eq!(
        code_of(
            app.create_pickup(&w.clerk, w.location.id, pickup(vec![a, scanning], "4821"))
                .await
        ),
        "mail.illegal_transition"
    );
    // Fees typed at the counter are bounded (2,000.00), naming the field.
    let mut expensive = pickup(vec![a, b], "4821");
    expensive.fees = chf(200_001);
    match app.create_pickup(&w.clerk, w.location.id, expensive).await {
        Err(AppError::Invalid(i)) => {
            assert_eq!(
                (i.code.as_str(), i.field),
                ("mail.amount_out_of_range", "fees")
            )
        }
        other => panic!("fees of 2,000.01 must be refused, got {other:?}"),
    }
    let done = app
        .create_pickup(&w.clerk, w.location.id, pickup(vec![a, b], "4821"))
        .await
        .unwrap();
    assert_eq!(done.items.len(), 2);
    assert_eq!(done.checked_by, w.clerk.label());
    for item in [a, b] {
        let view = app.mail_item(&w.customer.actor, item).await.unwrap();
        assert_eq!(view.item.state, ItemState::PickedUp);
        let last = view.events.last().unwrap();
        assert_eq!(last.event, "picked_up");
        assert!(
            last.detail.contains("identity card …4821"),
            "{}",
            last.detail
        );
    }
    assert_eq!(
        app.mail_item(&w.customer.actor, scanning)
            .await
            .unwrap()
            .item
            .state,
        ItemState::ScanRequested
    );
    let usage = app
        .mailbox_usage(
            &w.customer.actor,
            Timestamp::from_millis(0),
            w.env.now().plus_seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].kind, usage[0].amount),
        (UsageKind::PickupFee, chf(300))
    );
    // Picked up once only; custody events are in the mail center's audit chain.
    assert_eq!(
        code_of(
            app.create_pickup(&w.clerk, w.location.id, pickup(vec![a], "4821"))
                .await
        ),
        "mail.item_gone"
    );
    let (entries, _) = app.store.audit_chain(w.owner.id).await.unwrap();
    assert!(entries.iter().any(|e| e.action == "pickup.created"));
    assert!(
        entries
            .iter()
            .filter(|e| e.action == "item.received")
            .count()
            >= 3
    );
    // The customer's member cannot run the counter.
    assert_eq!(
        code_of(
            app.create_pickup(
                &w.customer.actor,
                w.location.id,
                pickup(vec![scanning], "4821")
            )
            .await
        ),
        "forbidden:mailcenter.operate"
    );
    w.env.close().await;
}

async fn digital_delivery_or_paper(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let insurer = w.env.org("insurer").await;
    let key = Actor::api_key(
        ApiKeyId::random(),
        insurer.id,
        OrgKind::Customer,
        vec![Permission::LettersSend],
        None,
    );
    let pdf = letters_pdf(
        &[SampleLetter {
            address: lines(&DUPONT),
            pages: 2,
            reference: "POL-77".into(),
        }],
        &["Assurance Vaudoise", "Place de Milan 1", "1007 Lausanne"],
    );
    // By organisation: straight into the mailbox, free, and announced.
    let out = app
        .deliver_digital(&key, &DeliveryRecipient::Org(w.customer.id), &pdf, "POL-77")
        .await
        .unwrap();
    let DeliveryOutcome::Mailbox { item, mailbox } = out else {
        panic!("expected the mailbox, got {out:?}");
    };
    assert_eq!(mailbox, w.mailbox.id);
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(view.item.item.sender.as_deref(), Some("insurer SA"));
    assert_eq!(
        (view.item.reference.as_str(), view.item.pages),
        ("POL-77", Some(2))
    );
    assert_eq!(view.item.location, None);
    assert!(view.text.contains("Invoice POL-77"), "{}", view.text);
    let (_, back) = app
        .mail_item_file(&w.customer.actor, item, ItemFile::Digital)
        .await
        .unwrap();
    assert_eq!(back, pdf);
    let found = app
        .search_mail(
            &w.customer.actor,
            "\"Invoice POL 77\"",
            &ItemFilter::default(),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert!(
        app.mailbox_usage(
            &w.customer.actor,
            Timestamp::from_millis(0),
            w.env.now().plus_seconds(1)
        )
        .await
        .unwrap()
        .is_empty()
    );
    let mails = app.store.recent_emails(50).await.unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to.as_str() == w.customer.admin_email && m.subject.contains("insurer SA"))
    );
    // Nothing physical to scan or forward; the paper original is posted.
    assert_eq!(
        code_of(w.request(item, &Action::Scan).await),
        "mail.already_digital"
    );
    assert_eq!(
        code_of(w.request(item, &Action::Shred).await),
        "mail.not_physical"
    );
    let Requested::Letter(original) = w.request(item, &Action::PaperOriginal).await.unwrap() else {
        panic!("a letter");
    };
    let letter = app
        .letter(&platform_reader(&w.platform), original)
        .await
        .unwrap();
    assert_eq!(letter.letter.recipient.name, "Boulangerie Dupont SàRL");
    let usage = app
        .mailbox_usage(
            &w.customer.actor,
            Timestamp::from_millis(0),
            w.env.now().plus_seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(
        (usage[0].kind, usage[0].amount),
        (UsageKind::PaperOriginal, chf(500))
    );
    // By postal address, typed differently: the same mailbox.
    let typed = lines(&[
        "BOULANGERIE DUPONT SÀRL",
        "Rue de Bourg  12",
        "1003 Lausanne",
    ]);
    let by_address = app
        .deliver_digital(&key, &DeliveryRecipient::Address(typed), &pdf, "")
        .await
        .unwrap();
    assert!(matches!(by_address, DeliveryOutcome::Mailbox { .. }));
    // Nobody there: the same call prints and posts it.
    let elsewhere = lines(&["Müller GmbH", "Bahnhofstrasse 1", "8001 Zürich"]);
    let printed = app
        .deliver_digital(&key, &DeliveryRecipient::Address(elsewhere), &pdf, "POL-78")
        .await
        .unwrap();
    let DeliveryOutcome::Printed { letter } = printed else {
        panic!("expected paper, got {printed:?}");
    };
    let view = app.letter(&insurer.actor, letter).await.unwrap();
    assert_eq!(view.letter.recipient.name, "Müller GmbH");
    assert_eq!(view.letter.status, LetterStatus::Accepted);
    assert_eq!(view.letter.reference, "POL-78");
    // An organisation without an active mailbox: the window of the PDF.
    let other = w.env.org("nomailbox").await;
    let printed = app
        .deliver_digital(&key, &DeliveryRecipient::Org(other.id), &pdf, "")
        .await
        .unwrap();
    let DeliveryOutcome::Printed { letter } = printed else {
        panic!("expected paper, got {printed:?}");
    };
    assert_eq!(
        app.letter(&insurer.actor, letter)
            .await
            .unwrap()
            .letter
            .recipient
            .postcode,
        "1003"
    );
    // Delivering needs letters.send.
    let reader = Actor::api_key(
        ApiKeyId::random(),
        insurer.id,
        OrgKind::Customer,
        vec![Permission::LettersRead],
        None,
    );
    assert_eq!(
        code_of(
            app.deliver_digital(&reader, &DeliveryRecipient::Org(w.customer.id), &pdf, "")
                .await
        ),
        "forbidden:letters.send"
    );
    w.env.close().await;
}

async fn rules_run_on_intake(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let scan_swisscom = Rule::new(
        Condition::sender_contains("swisscom").unwrap(),
        Action::Scan,
    );
    let shred_ads = Rule::new(Condition::IsAdvertising, Action::Shred)
        .except(Condition::sender_contains("Migros").unwrap());
    app.add_mailbox_rule(&w.customer.actor, w.mailbox.id, &scan_swisscom)
        .await
        .unwrap();
    app.add_mailbox_rule(&w.customer.actor, w.mailbox.id, &shred_ads)
        .await
        .unwrap();
    let rules = app
        .mailbox_rules(&w.customer.actor, w.mailbox.id)
        .await
        .unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[1].rule, shred_ads);
    let out = app
        .log_item(
            &w.clerk,
            w.location.id,
            letter_for(&w.member, "SWISSCOM (Suisse) SA"),
        )
        .await
        .unwrap();
    match out.automatic {
        Some(Ok(Requested::Task(t))) => {
            assert_eq!(t.action, ActionKind::Scan);
            assert_eq!(t.requested_by, "system:rules");
            assert_eq!(t.note, "rule 1");
        }
        other => panic!("the scan rule applies: {other:?}"),
    }
    assert_eq!(out.item.state, ItemState::ScanRequested);
    let mut ad = letter_for(&w.member, "Coop");
    ad.advertising = true;
    let out = app.log_item(&w.clerk, w.location.id, ad).await.unwrap();
    assert_eq!(out.item.state, ItemState::ShredRequested);
    let mut exception = letter_for(&w.member, "Migros");
    exception.advertising = true;
    let out = app
        .log_item(&w.clerk, w.location.id, exception)
        .await
        .unwrap();
    assert!(out.automatic.is_none());
    assert_eq!(out.item.state, ItemState::Received);
    // A scan rule on a cheque forwards it instead, like a manual request.
    let mut cheque = letter_for(&w.member, "Swisscom AG");
    cheque.contents = ContentFlags::NONE.with(ContentFlag::Cheque);
    let out = app.log_item(&w.clerk, w.location.id, cheque).await.unwrap();
    assert!(matches!(
        out.automatic,
        Some(Ok(Requested::ForwardedInstead { .. }))
    ));
    // Rules are the customer's.
    let other = w.env.org("other").await;
    assert_eq!(
        code_of(
            app.add_mailbox_rule(&other.actor, w.mailbox.id, &scan_swisscom)
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code_of(
            app.delete_mailbox_rule(&other.actor, rules[0].record.id)
                .await
        ),
        "not_found"
    );
    app.delete_mailbox_rule(&w.customer.actor, rules[0].record.id)
        .await
        .unwrap();
    assert_eq!(
        app.mailbox_rules(&w.customer.actor, w.mailbox.id)
            .await
            .unwrap()
            .len(),
        1
    );
    w.env.close().await;
}

async fn retention_of_originals(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let kept = w.log("Kept").await;
    let scanned = w.log("Scanned").await;
    let held = w.log("Held").await;
    let task = w.task_of(scanned, &Action::Scan).await;
    app.complete_scan_task(&w.clerk, task.id, &scan_pdf())
        .await
        .unwrap();
    w.task_of(held, &Action::HoldForPickup).await;
    // Within 25 days the paper original can be ordered; not after.
    w.env.advance(24 * 86_400);
    assert_eq!(
        app.mailbox_upkeep(w.env.now()).await.unwrap(),
        MailboxUpkeep::default()
    );
    w.env.advance(86_400 + 60);
    assert_eq!(
        code_of(w.request(scanned, &Action::PaperOriginal).await),
        "mail.original_expired"
    );
    assert_eq!(
        app.mailbox_upkeep(w.env.now()).await.unwrap(),
        MailboxUpkeep {
            shred_tasks: 2,
            ..MailboxUpkeep::default()
        }
    );
    for item in [kept, scanned] {
        let view = app.mail_item(&w.customer.actor, item).await.unwrap();
        assert_eq!(view.item.state, ItemState::ShredRequested);
        let shred = view.tasks.last().unwrap();
        assert_eq!(
            (shred.action, shred.requested_by.as_str()),
            (ActionKind::Shred, "system:retention")
        );
    }
    // The hold decides the held item's fate.
    assert_eq!(
        app.mail_item(&w.customer.actor, held)
            .await
            .unwrap()
            .item
            .state,
        ItemState::HeldForPickup
    );
    // Nothing twice.
    assert_eq!(
        app.mailbox_upkeep(w.env.now()).await.unwrap(),
        MailboxUpkeep::default()
    );
    w.env.close().await;
}

async fn tenant_isolation_of_every_id(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let item = w.log("Swisscom").await;
    let task = w.task_of(item, &Action::Scan).await;
    let rule = app
        .add_mailbox_rule(
            &w.customer.actor,
            w.mailbox.id,
            &Rule::new(Condition::IsAdvertising, Action::Shred),
        )
        .await
        .unwrap();
    // Another customer.
    let other = w.env.org("other").await;
    let o = &other.actor;
    assert_eq!(code_of(app.mailbox(o, w.mailbox.id).await), "not_found");
    assert_eq!(
        code_of(app.mailbox_members(o, w.mailbox.id).await),
        "not_found"
    );
    assert_eq!(
        code_of(app.mailbox_rules(o, w.mailbox.id).await),
        "not_found"
    );
    assert_eq!(
        code_of(app.delete_mailbox_rule(o, rule.record.id).await),
        "not_found"
    );
    assert_eq!(
        code_of(app.verify_mailbox(o, w.mailbox.id, "0000-0000").await),
        "not_found"
    );
    assert_eq!(
        code_of(
            app.change_mailbox_address(o, w.mailbox.id, &lines(&["X SA", "1000 Lausanne"]))
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code_of(app.resend_mailbox_code(o, w.mailbox.id).await),
        "not_found"
    );
    assert_eq!(
        code_of(
            app.add_mailbox_member(
                o,
                w.mailbox.id,
                w.location.id,
                "Intruder",
                MemberKind::Person
            )
            .await
        ),
        "not_found"
    );
    assert_eq!(code_of(app.mail_item(o, item).await), "not_found");
    assert_eq!(
        code_of(app.mail_item_file(o, item, ItemFile::Envelope).await),
        "not_found"
    );
    assert_eq!(
        code_of(app.annotate_mail_item(o, item, &[], "").await),
        "not_found"
    );
    assert_eq!(
        code_of(app.member_history(o, w.member.id).await),
        "not_found"
    );
    assert_eq!(
        code_of(
            app.review_mailbox_member(o, w.member.id, ReviewEvent::Resubmit, "")
                .await
        ),
        "not_found"
    );
    let bulk = app
        .request_action(o, &[item], &Action::Shred)
        .await
        .unwrap();
    assert_eq!(code_of(bulk.into_iter().next().unwrap().1), "not_found");
    assert!(
        app.search_mail(o, "swisscom", &ItemFilter::default(), None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // Another mail center.
    let geneva = w
        .env
        .org_of_kind("geneva", OrgKind::MailCenter, Role::Owner)
        .await;
    let g = &geneva.actor;
    assert_eq!(
        code_of(
            app.log_item(g, w.location.id, letter_for(&w.member, "X"))
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code_of(
            app.task_queue(g, w.location.id, &TaskFilter::default())
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code_of(app.complete_scan_task(g, task.id, &scan_pdf()).await),
        "not_found"
    );
    assert_eq!(
        code_of(app.complete_task(g, task.id, Completion::Shredded).await),
        "not_found"
    );
    assert_eq!(
        code_of(app.location_recipients(g, w.location.id, None).await),
        "not_found"
    );
    assert_eq!(
        code_of(app.intake_today(g, w.location.id).await),
        "not_found"
    );
    assert_eq!(code_of(app.mail_item(g, item).await), "not_found");
    assert_eq!(
        code_of(
            app.review_mailbox_member(g, w.member.id, ReviewEvent::Reject, "no")
                .await
        ),
        "not_found"
    );
    let pickup = NewPickup {
        customer: w.customer.id,
        items: vec![item],
        id_document_type: "passport".into(),
        id_last_digits: "1234".into(),
        fees: chf(0),
    };
    assert_eq!(
        code_of(app.create_pickup(g, w.location.id, pickup.clone()).await),
        "not_found"
    );
    // Geneva's own location cannot reach Lausanne's items either.
    let geneva_site = app
        .create_location(
            g,
            NewLocation {
                name: "Genève".into(),
                address: lines(&["Rue du Rhône 1", "1204 Genève"]),
                country: "CH".into(),
                time_zone: "Europe/Zurich".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        code_of(app.create_pickup(g, geneva_site.id, pickup).await),
        "not_found"
    );
    let mut stranger = letter_for(&w.member, "X");
    stranger.recipient = Recipient::Member(w.member.id);
    assert_eq!(
        code_of(app.log_item(g, geneva_site.id, stranger).await),
        "not_found"
    );
    // The customer cannot use the counter, nor the mail center the mailbox.
    assert_eq!(
        code_of(
            app.task_queue(&w.customer.actor, w.location.id, &TaskFilter::default())
                .await
        ),
        "forbidden:mailcenter.operate"
    );
    assert_eq!(
        code_of(app.request_action(&w.clerk, &[item], &Action::Shred).await),
        "forbidden:mailbox.act"
    );
    let address = ForwardAddress::new(lines(&["Muster AG", "8001 Zürich"]), Country::CH).unwrap();
    assert_eq!(
        code_of(
            app.request_action(
                &w.customer.actor,
                &[item, item],
                &Action::forward(address, false)
            )
            .await
        ),
        "mail.items_invalid"
    );
    // Still untouched.
    assert_eq!(
        app.mail_item(&w.customer.actor, item)
            .await
            .unwrap()
            .item
            .state,
        ItemState::ScanRequested
    );
    w.env.close().await;
}

async fn demo_data_has_a_mailbox(backend: Backend) {
    let env = Env::new(backend).await;
    env.app.load_demo().await.unwrap();
    env.app.load_demo().await.unwrap();
    let marie = env
        .app
        .store
        .user_by_email(&courrier_domain::EmailAddress::parse("marie.dupont@dupont.test").unwrap())
        .await
        .unwrap()
        .unwrap();
    let actor = Actor::user(marie.id, marie.org, OrgKind::Customer, Role::Admin, None);
    let mailboxes = env.app.mailboxes(&actor).await.unwrap();
    assert_eq!(mailboxes.len(), 1);
    assert_eq!(mailboxes[0].state, MailboxState::Active);
    let items = env
        .app
        .search_mail(&actor, "", &ItemFilter::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(items.items.len(), 3);
    let found = env
        .app
        .search_mail(&actor, "impôts", &ItemFilter::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    let members = env
        .app
        .mailbox_members(&actor, mailboxes[0].id)
        .await
        .unwrap();
    assert_eq!(
        members[0].review,
        courrier_domain::mailbox::CustomerReview::Approved
    );
    let tom = env
        .app
        .store
        .user_by_email(
            &courrier_domain::EmailAddress::parse("tom.schmid@mc-lausanne.test").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let clerk = Actor::user(tom.id, tom.org, OrgKind::MailCenter, Role::Clerk, None);
    let sites = env.app.own_locations(&clerk).await.unwrap();
    assert_eq!(sites.len(), 1);
    let recipients = env
        .app
        .location_recipients(&clerk, sites[0].id, Some("dupont"))
        .await
        .unwrap();
    assert_eq!(recipients.len(), 1);
    assert_eq!(
        env.app
            .intake_today(&clerk, sites[0].id)
            .await
            .unwrap()
            .len(),
        3
    );
    env.close().await;
}

async fn location_mailbox_and_review_queues(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let shop = w.env.org("kiosque").await;
    let mailbox = app
        .open_location_mailbox(&shop.actor, w.location.id)
        .await
        .unwrap();
    assert_eq!(mailbox.state, MailboxState::Active);
    assert_eq!(mailbox.location, Some(w.location.id));
    assert_eq!(mailbox.address[0], "kiosque SA");
    assert_eq!(
        code_of(app.open_location_mailbox(&shop.actor, w.location.id).await),
        "mailbox.exists"
    );
    let person = app
        .add_mailbox_member(
            &shop.actor,
            mailbox.id,
            w.location.id,
            "Luc Favre",
            MemberKind::Person,
        )
        .await
        .unwrap();
    app.upload_member_document(
        &shop.actor,
        person.id,
        courrier_domain::mailbox::IdentityDocumentKind::Passport,
        courrier_domain::mailbox::DocumentSide::Single,
        "passport.jpg",
        &jpeg(),
    )
    .await
    .unwrap();
    app.submit_mailbox_member(&shop.actor, person.id)
        .await
        .unwrap();
    // The platform's queue, then the mail center's.
    let platform_queue = app
        .members_to_review(&w.platform.actor, None)
        .await
        .unwrap();
    assert!(platform_queue.iter().any(|m| m.id == person.id));
    assert!(
        app.members_to_review(&w.owner.actor, None)
            .await
            .unwrap()
            .is_empty()
    );
    // A decision needs a note; the wrong party is refused.
    assert_eq!(
        code_of(
            app.review_mailbox_member(&w.platform.actor, person.id, ReviewEvent::PreApprove, " ")
                .await
        ),
        "mail.note_missing"
    );
    assert_eq!(
        code_of(
            app.review_mailbox_member(&w.owner.actor, person.id, ReviewEvent::Approve, "ok")
                .await
        ),
        "mail.review_illegal_transition"
    );
    app.review_mailbox_member(
        &w.platform.actor,
        person.id,
        ReviewEvent::PreApprove,
        "passport ok",
    )
    .await
    .unwrap();
    assert_eq!(
        app.members_to_review(&w.clerk, Some(w.location.id))
            .await
            .unwrap()
            .len(),
        1
    );
    app.review_mailbox_member(
        &w.clerk,
        person.id,
        ReviewEvent::SendBack,
        "photo unreadable",
    )
    .await
    .unwrap();
    app.review_mailbox_member(&shop.actor, person.id, ReviewEvent::Resubmit, "")
        .await
        .unwrap();
    app.review_mailbox_member(
        &w.platform.actor,
        person.id,
        ReviewEvent::PreApprove,
        "new photo ok",
    )
    .await
    .unwrap();
    app.review_mailbox_member(
        &w.clerk,
        person.id,
        ReviewEvent::Approve,
        "seen at the counter",
    )
    .await
    .unwrap();
    let history = app.member_history(&shop.actor, person.id).await.unwrap();
    let events: Vec<&str> = history.iter().map(|h| h.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "add",
            "submit",
            "pre_approve",
            "send_back",
            "resubmit",
            "pre_approve",
            "approve"
        ]
    );
    // Now the clerk can log mail for this person.
    let recipients = app
        .location_recipients(&w.clerk, w.location.id, Some("favre"))
        .await
        .unwrap();
    assert_eq!(recipients.len(), 1);
    let mut input = letter_for(&w.member, "La Poste");
    input.recipient = Recipient::Member(person.id);
    let out = app.log_item(&w.clerk, w.location.id, input).await.unwrap();
    assert_eq!(out.item.state, ItemState::Received);
    assert_eq!(out.item.org, Some(shop.id));
    assert_eq!(out.item.mailbox, Some(mailbox.id));
    // Only mail centers create locations.
    assert_eq!(
        code_of(
            app.create_location(
                &shop.actor,
                NewLocation {
                    name: "X".into(),
                    address: lines(&["A 1", "1000 Lausanne"]),
                    country: "CH".into(),
                    time_zone: "Europe/Zurich".into(),
                },
            )
            .await
        ),
        "mailbox.not_a_mail_center"
    );
    w.env.close().await;
}

/// A double click on "paper original": two requests at once make one
/// letter and one usage line; the other request is refused with
/// `item.paper_original_posted`, and so is a later one.
async fn paper_original_is_posted_and_billed_once(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let insurer = w.env.org("insurer").await;
    let key = Actor::api_key(
        ApiKeyId::random(),
        insurer.id,
        OrgKind::Customer,
        vec![Permission::LettersSend],
        None,
    );
    let pdf = letters_pdf(
        &[SampleLetter {
            address: lines(&DUPONT),
            pages: 1,
            reference: "POL-90".into(),
        }],
        &["Assurance Vaudoise", "Place de Milan 1", "1007 Lausanne"],
    );
    let out = app
        .deliver_digital(&key, &DeliveryRecipient::Org(w.customer.id), &pdf, "POL-90")
        .await
        .unwrap();
    let DeliveryOutcome::Mailbox { item, .. } = out else {
        panic!("expected the mailbox, got {out:?}");
    };
    let (a, b) = tokio::join!(
        w.request(item, &Action::PaperOriginal),
        w.request(item, &Action::PaperOriginal)
    );
    let (posted, refused) = match (a, b) {
        (Ok(p), r) | (r, Ok(p)) => (p, r),
        other => panic!("one request posts the original: {other:?}"),
    };
    assert!(matches!(posted, Requested::Letter(_)), "{posted:?}");
    assert_eq!(code_of(refused), "item.paper_original_posted");
    assert_eq!(
        code_of(w.request(item, &Action::PaperOriginal).await),
        "item.paper_original_posted",
        "a later request is refused too"
    );
    let letters = exec_sql(
        &w.env.db,
        &format!(
            "UPDATE letters SET reference = reference WHERE reference = 'paper original {item}'"
        ),
    )
    .await;
    assert_eq!(letters, 1, "one letter printed and posted");
    let usage = app
        .mailbox_usage(
            &w.customer.actor,
            Timestamp::from_millis(0),
            w.env.now().plus_seconds(1),
        )
        .await
        .unwrap();
    let originals: Vec<_> = usage
        .iter()
        .filter(|u| u.kind == UsageKind::PaperOriginal && u.item == Some(item))
        .collect();
    assert_eq!(originals.len(), 1, "billed once: {usage:?}");
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(
        view.events
            .iter()
            .filter(|e| e.event == "paper_original_posted")
            .count(),
        1
    );
}

/// A one-page PDF standing for an identity document (identity documents are
/// read at upload: a PDF must be a real one).
fn identity_pdf() -> Vec<u8> {
    courrier_documents::sample::letters_pdf(
        &[courrier_documents::sample::SampleLetter {
            address: vec!["Register extract".into()],
            pages: 1,
            reference: "ID".into(),
        }],
        &["Test"],
    )
}
