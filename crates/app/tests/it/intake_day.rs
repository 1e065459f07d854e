//! Received versus inserted at the counter, the daily digest of new mail,
//! scans made of several files, and scans shredded past the organisation's
//! retention, on the app layer and both backends, with a manual clock.
//!
//! The multi-file scan test runs OCR and needs Tesseract and poppler-utils;
//! without them its OCR part is skipped, except with `CI=true`, where it
//! fails.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::jobs::{JobKind, run_due_jobs_once};
use courrier_app::mailbox::{IntakeInput, ItemFile, Recipient, ScanFile};
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::mailbox::{
    Action, DocumentSide, IdentityDocumentKind, ItemState, MailboxState, ReviewEvent,
};
use courrier_domain::{Actor, OrgKind, Role, Timestamp};
use courrier_store::{
    LocationRecord, MailboxRecord, MemberKind, MemberRecord, NotifyMode, OcrState, TaskState,
};
use std::process::Command;

on_both_backends!(
    carrier_count_against_inserted_and_late_inserts,
    daily_digest_once_per_day_and_never_empty,
    missed_digest_is_sent_late_exactly_once,
    scan_from_several_photos_is_one_pdf_read_by_ocr,
    scans_past_the_retention_are_shredded_and_no_longer_found,
    new_mail_and_its_webhook_event_commit_together,
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

fn code_of<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Invalid(i)) => i.code.to_string(),
        Err(AppError::Refused(c)) | Err(AppError::Conflict(c)) => c.to_string(),
        Err(AppError::NotFound) => "not_found".to_string(),
        Err(AppError::Forbidden(f)) => format!("forbidden:{f:?}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

struct World {
    env: Env,
    clerk: Actor,
    location: LocationRecord,
    customer: Org,
    mailbox: MailboxRecord,
    member: MemberRecord,
}

/// A mail center in Lausanne with a clerk, and a customer with an active
/// company mailbox and an approved member there. The clock ends on Friday
/// 23 January 2026, 08:00 in Zurich.
async fn world(backend: Backend) -> World {
    let env = Env::new(backend).await;
    let MailCenter {
        platform,
        owner,
        clerk,
        location,
    } = env.lausanne_mail_center().await;
    let customer = env.org("dupont").await;
    let opened = env
        .app
        .open_company_mailbox(
            &customer.actor,
            &lines(&DUPONT),
            "2026-01-22".parse().unwrap(),
        )
        .await
        .unwrap();
    // The code is not read from the letter here (the mailbox tests do):
    // this mailbox is activated by the platform's own path for tests.
    let mailbox = activate(&env, &platform, &customer, opened).await;
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
    env.app
        .upload_member_document(
            &customer.actor,
            member.id,
            IdentityDocumentKind::RegisterExtract,
            DocumentSide::Single,
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
        .review_mailbox_member(&platform.actor, member.id, ReviewEvent::PreApprove, "ok")
        .await
        .unwrap();
    let member = env
        .app
        .review_mailbox_member(&owner.actor, member.id, ReviewEvent::Approve, "ID checked")
        .await
        .unwrap();
    env.clock.set(zurich("2026-01-23T08:00:00"));
    World {
        env,
        clerk,
        location,
        customer,
        mailbox,
        member,
    }
}

/// Reads the code from the verification letter and types it.
async fn activate(
    env: &Env,
    platform: &Org,
    customer: &Org,
    opened: MailboxRecord,
) -> MailboxRecord {
    let reader = Actor::system("test", platform.id, OrgKind::Platform);
    let pdf = env
        .app
        .letter_pdf(&reader, opened.verification_letter.unwrap())
        .await
        .unwrap();
    let doc =
        courrier_documents::load_pdf(&pdf, &courrier_documents::IntakeLimits::default()).unwrap();
    let mut text_reader = courrier_documents::TextReader::new(&doc);
    let text: String = text_reader
        .page_text(0)
        .unwrap()
        .runs
        .iter()
        .flat_map(|r| r.text.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    let re = regex::Regex::new(r":([0-9A-Z]{4}-[0-9A-Z]{4})").unwrap();
    let code = re
        .captures(&text)
        .unwrap()
        .get(1)
        .unwrap()
        .as_str()
        .to_string();
    env.clock.set(zurich("2026-01-22T08:00:00"));
    let verified = env
        .app
        .verify_mailbox(&customer.actor, opened.id, &code)
        .await
        .unwrap();
    assert_eq!(verified.state, MailboxState::Active);
    verified
}

fn piece(recipient: Recipient, sender: &str, received_on: Option<&str>) -> IntakeInput {
    IntakeInput {
        received_on: received_on.map(str::to_string),
        ..letter_piece(recipient, sender)
    }
}

impl World {
    async fn log(&self, sender: &str, received_on: Option<&str>) -> courrier_domain::MailItemId {
        self.env
            .app
            .log_item(
                &self.clerk,
                self.location.id,
                piece(Recipient::Member(self.member.id), sender, received_on),
            )
            .await
            .unwrap()
            .item
            .id
    }
}

async fn carrier_count_against_inserted_and_late_inserts(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    w.env.clock.set(zurich("2026-01-23T09:00:00"));

    let day = app.intake_day(&w.clerk, w.location.id).await.unwrap();
    assert_eq!(day.day, "2026-01-23");
    assert_eq!(day.carrier, None);
    assert_eq!(day.not_inserted(), None);
    assert!(!day.all_inserted(), "no count recorded: not done");

    // The carrier hands over 4 pieces; the clerk first types 5, then corrects.
    app.record_carrier_count(&w.clerk, w.location.id, 5)
        .await
        .unwrap();
    w.env.clock.set(zurich("2026-01-23T09:05:00"));
    let count = app
        .record_carrier_count(&w.clerk, w.location.id, 4)
        .await
        .unwrap();
    assert_eq!((count.day.as_str(), count.pieces), ("2026-01-23", 4));
    assert_eq!(count.recorded_by, w.clerk.label());
    assert_eq!(
        code_of(app.record_carrier_count(&w.clerk, w.location.id, -1).await),
        "mail.count_invalid"
    );

    w.log("Swisscom", None).await;
    w.log("Banque Cantonale", Some("2026-01-23")).await;
    // A piece of yesterday found behind the sorting table: a late insert.
    let late = w.log("Assura", Some("2026-01-22")).await;
    let day = app.intake_day(&w.clerk, w.location.id).await.unwrap();
    assert_eq!(day.received_today, 2);
    assert_eq!(day.not_inserted(), Some(2));
    assert!(!day.all_inserted());
    assert_eq!(day.late.len(), 1);
    assert_eq!(day.late[0].item.id, late);
    assert_eq!(day.late[0].received_on.as_deref(), Some("2026-01-22"));

    // A date in the future is refused and nothing is stored.
    let before = app
        .intake_today(&w.clerk, w.location.id)
        .await
        .unwrap()
        .len();
    let future = app
        .log_item(
            &w.clerk,
            w.location.id,
            piece(Recipient::Member(w.member.id), "X", Some("2026-01-24")),
        )
        .await;
    assert_eq!(code_of(future), "mail.received_on_invalid");
    assert_eq!(
        code_of(
            app.log_item(
                &w.clerk,
                w.location.id,
                piece(Recipient::Member(w.member.id), "X", Some("23.01.2026")),
            )
            .await
        ),
        "mail.received_on_invalid"
    );
    assert_eq!(
        app.intake_today(&w.clerk, w.location.id)
            .await
            .unwrap()
            .len(),
        before
    );

    // A refused piece is handled: it counts as inserted.
    let refused = app
        .log_item(
            &w.clerk,
            w.location.id,
            piece(Recipient::Unlisted("Jean Inconnu".into()), "Y", None),
        )
        .await
        .unwrap();
    assert_eq!(refused.item.state, ItemState::Refused);
    let day = app.intake_day(&w.clerk, w.location.id).await.unwrap();
    assert_eq!((day.received_today, day.refused_today), (3, 1));
    assert_eq!(day.not_inserted(), Some(1), "1 piece not inserted yet");
    w.log("La Poste", None).await;
    let day = app.intake_day(&w.clerk, w.location.id).await.unwrap();
    assert_eq!(day.not_inserted(), Some(0));
    assert!(day.all_inserted(), "4 counted, 4 inserted");
    // One more than counted: no longer green.
    w.log("Migros", None).await;
    let day = app.intake_day(&w.clerk, w.location.id).await.unwrap();
    assert_eq!(day.not_inserted(), Some(-1));
    assert!(!day.all_inserted());

    // The next day starts empty; yesterday's late insert is not late today.
    w.env.clock.set(zurich("2026-01-24T07:30:00"));
    let next = app.intake_day(&w.clerk, w.location.id).await.unwrap();
    assert_eq!(next.day, "2026-01-24");
    assert_eq!((next.carrier, next.received_today), (None, 0));
    assert!(next.late.is_empty());

    // Another mail center sees none of it; a customer may not ask.
    let other = w
        .env
        .org_of_kind("geneve", OrgKind::MailCenter, Role::Owner)
        .await;
    assert_eq!(
        code_of(app.intake_day(&other.actor, w.location.id).await),
        "not_found"
    );
    assert_eq!(
        code_of(
            app.record_carrier_count(&other.actor, w.location.id, 1)
                .await
        ),
        "not_found"
    );
    assert!(
        code_of(app.intake_day(&w.customer.actor, w.location.id).await).starts_with("forbidden")
    );
    w.env.close().await;
}

/// E-mails to the customer's admin, by subject.
async fn subjects(w: &World) -> Vec<String> {
    w.env
        .app
        .store
        .recent_emails(200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to.as_str() == w.customer.admin_email)
        .map(|m| m.subject)
        .collect()
}

async fn daily_digest_once_per_day_and_never_empty(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    assert_eq!(
        app.mailbox_notify(&w.customer.actor, w.mailbox.id)
            .await
            .unwrap(),
        NotifyMode::EachItem,
        "each item by default"
    );
    assert_eq!(
        code_of(
            app.set_mailbox_notify(&w.customer.actor, w.mailbox.id, "weekly")
                .await
        ),
        "mail.notify_invalid"
    );
    assert_eq!(
        app.set_mailbox_notify(&w.customer.actor, w.mailbox.id, "digest")
            .await
            .unwrap(),
        NotifyMode::DailyDigest
    );
    let per_item = |s: &[String]| {
        s.iter()
            .filter(|x| x.contains("Nouveau courrier de") || x.contains("New mail from"))
            .count()
    };

    w.env.clock.set(zurich("2026-01-23T09:00:00"));
    w.log("Swisscom", None).await;
    w.env.clock.set(zurich("2026-01-23T11:00:00"));
    w.log("Banque Cantonale", None).await;
    assert_eq!(
        per_item(&subjects(&w).await),
        0,
        "no e-mail per item on the digest"
    );

    // Before 18:00 nothing is due.
    w.env.clock.set(zurich("2026-01-23T17:59:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);
    courrier_app::jobs::ensure_recurring_jobs(app)
        .await
        .unwrap();
    run_due_jobs_once(app).await.unwrap();
    assert_eq!(digests_of(&w, "").await.len(), 0);

    // At 18:10 the recurring job (ten minutes later) sends one digest with
    // both items, once.
    w.env.clock.set(zurich("2026-01-23T18:10:00"));
    run_due_jobs_once(app).await.unwrap();
    let sent = digests_of(&w, "").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let friday = digests_of(&w, "2026-01-23").await;
    assert_eq!(friday.len(), 1);
    assert!(friday[0].contains("Swisscom") && friday[0].contains("Banque Cantonale"));
    assert!(friday[0].contains("2026-01-23"), "the received date");
    assert!(
        !friday[0].contains("en retard") && !friday[0].contains("is late"),
        "on time"
    );
    // A second run, a direct call (another server): nothing more.
    w.env.clock.set(zurich("2026-01-23T18:30:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);
    run_due_jobs_once(app).await.unwrap();
    // An item logged after 18:00 waits for tomorrow's digest.
    w.log("Assura", None).await;
    w.env.clock.set(zurich("2026-01-23T23:50:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);
    assert_eq!(digests_of(&w, "").await.len(), 1);

    w.env.clock.set(zurich("2026-01-24T18:10:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 1);
    let saturday = digests_of(&w, "2026-01-24").await;
    assert_eq!(saturday.len(), 1);
    assert!(saturday[0].contains("Assura"));
    assert!(!saturday[0].contains("Swisscom"), "not sent twice");

    // A day without mail sends nothing.
    w.env.clock.set(zurich("2026-01-25T18:10:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);
    assert_eq!(digests_of(&w, "").await.len(), 2);

    // Back to each item: e-mails per item again, and no digest.
    app.set_mailbox_notify(&w.customer.actor, w.mailbox.id, "each")
        .await
        .unwrap();
    w.env.clock.set(zurich("2026-01-26T09:00:00"));
    w.log("Galaxus", None).await;
    assert_eq!(per_item(&subjects(&w).await), 1);
    w.env.clock.set(zurich("2026-01-26T18:10:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);
    w.env.close().await;
}

/// The digest e-mails to the customer's admin for `day` (every day for
/// `""`), with their bodies.
async fn digests_of(w: &World, day: &str) -> Vec<String> {
    w.env
        .app
        .store
        .recent_emails(200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| {
            m.to.as_str() == w.customer.admin_email
                && (m.subject.starts_with("Votre courrier du")
                    || m.subject.starts_with("Your mail of"))
                && m.subject.contains(day)
        })
        .map(|m| m.body_text)
        .collect()
}

async fn missed_digest_is_sent_late_exactly_once(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    app.set_mailbox_notify(&w.customer.actor, w.mailbox.id, "digest")
        .await
        .unwrap();
    w.env.clock.set(zurich("2026-01-23T09:00:00"));
    w.log("Swisscom", None).await;

    // No server runs between 18:00 and midnight. The next morning, before
    // that day's 18:00, the first run sends Friday's digest late.
    w.env.clock.set(zurich("2026-01-24T07:30:00"));
    assert!(digests_of(&w, "2026-01-23").await.is_empty());
    // Two servers at once: one digest between them.
    let (a, b) = tokio::join!(
        app.send_mailbox_digests(w.env.now()),
        app.send_mailbox_digests(w.env.now())
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "exactly one late digest");
    let late = digests_of(&w, "2026-01-23").await;
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].contains("Swisscom"));
    assert!(
        late[0].contains("en retard") || late[0].contains("is late"),
        "says it is late: {}",
        late[0]
    );
    let sent = app
        .store
        .mailbox_digest(
            &courrier_domain::OrgScope::system(w.customer.id, "test"),
            w.mailbox.id,
            "2026-01-23",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.sent_at, zurich("2026-01-24T07:30:00"), "sent late");
    // Later runs, the recurring job and the next evening: never again.
    w.log("Assura", None).await;
    w.env.clock.set(zurich("2026-01-24T08:00:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);
    courrier_app::jobs::ensure_recurring_jobs(app)
        .await
        .unwrap();
    run_due_jobs_once(app).await.unwrap();
    w.env.clock.set(zurich("2026-01-24T18:10:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 1);
    assert_eq!(digests_of(&w, "2026-01-23").await.len(), 1);
    let saturday = digests_of(&w, "2026-01-24").await;
    assert_eq!(saturday.len(), 1);
    assert!(saturday[0].contains("Assura") && !saturday[0].contains("Swisscom"));

    // Down two evenings in a row: both days go out late, each on its own.
    w.env.clock.set(zurich("2026-01-25T10:00:00"));
    w.log("Galaxus", None).await;
    w.env.clock.set(zurich("2026-01-26T10:00:00"));
    w.log("La Poste", None).await;
    w.env.clock.set(zurich("2026-01-27T09:00:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 2);
    let sunday = digests_of(&w, "2026-01-25").await;
    let monday = digests_of(&w, "2026-01-26").await;
    assert_eq!((sunday.len(), monday.len()), (1, 1));
    assert!(sunday[0].contains("Galaxus") && !sunday[0].contains("La Poste"));
    assert!(monday[0].contains("La Poste") && !monday[0].contains("Galaxus"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);

    // A day the mailbox was not on the digest at 18:00 is not owed, even
    // if it switches back before the next run: its items were e-mailed
    // one by one.
    app.set_mailbox_notify(&w.customer.actor, w.mailbox.id, "each")
        .await
        .unwrap();
    w.env.clock.set(zurich("2026-01-27T11:00:00"));
    w.log("Migros", None).await;
    assert!(
        subjects(&w).await.iter().any(|s| s.contains("Migros")),
        "e-mailed on its own"
    );
    w.env.clock.set(zurich("2026-01-27T19:00:00"));
    app.set_mailbox_notify(&w.customer.actor, w.mailbox.id, "digest")
        .await
        .unwrap();
    w.env.clock.set(zurich("2026-01-28T09:00:00"));
    assert_eq!(app.send_mailbox_digests(w.env.now()).await.unwrap(), 0);
    assert!(digests_of(&w, "2026-01-27").await.is_empty());
    w.env.close().await;
}

/// Page 1 of `pdf` as a PNG picture at 150 dpi, the way a phone would give
/// it: in grey, or in colour.
fn photo(pdf: &[u8], grey: bool) -> Vec<u8> {
    if grey {
        courrier_app::raster::render_grey(pdf, 1, 150.0)
            .unwrap()
            .to_png()
            .unwrap()
    } else {
        courrier_app::raster::render_png(pdf, 1, 150.0).unwrap()
    }
}

/// Page 1 of `pdf` as a JPEG photo at 150 dpi, by poppler's `pdftoppm` when
/// it is installed (no JPEG encoder is linked); `None` otherwise.
fn jpeg_photo(pdf: &[u8]) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-jpeg", "-r", "150", "-singlefile"])
        .arg(&input)
        .arg(&out)
        .status()
        .ok()?;
    assert!(status.success());
    std::fs::read(dir.path().join("page.jpg")).ok()
}

fn letter(sender: &str, reference: &str) -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: lines(&DUPONT),
            pages: 1,
            reference: reference.into(),
        }],
        &[sender, "Alte Tiefenaustrasse 6", "3048 Worblaufen"],
    )
}

async fn scan_from_several_photos_is_one_pdf_read_by_ocr(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let item = w.log("Swisscom (Suisse) SA", None).await;
    let task = scan_task(&w, item).await;
    if !ocr_available() {
        eprintln!("SKIPPED: multi-file scan (tesseract missing)");
        w.env.close().await;
        return;
    }
    let page1 = photo(&letter("Swisscom (Suisse) SA", "2026-0042"), true);
    let second = letter("Zurich Versicherung", "2026-0043");
    // A JPEG is embedded as it is: checked when one can be made here.
    let (page2, page2_name, jpeg) = match jpeg_photo(&second) {
        Some(jpeg) => (jpeg, "page2.jpg", true),
        None => (photo(&second, false), "page2.png", false),
    };

    // A file that is neither refuses the whole scan and the task stays open.
    let refused = app
        .complete_scan_task_files(
            &w.clerk,
            task.id,
            vec![
                ScanFile {
                    name: "page1.png".into(),
                    bytes: page1.clone(),
                },
                ScanFile {
                    name: "notes.txt".into(),
                    bytes: b"hello".to_vec(),
                },
            ],
        )
        .await;
    match refused {
        Err(AppError::Invalid(i)) => {
            assert_eq!(i.code, "mail.scan_file_invalid");
            assert!(i.message.contains("notes.txt"), "{}", i.message);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let open = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(open.tasks[0].state, TaskState::Open, "nothing lost");
    assert_eq!(open.item.scan_document, None);

    let done = app
        .complete_scan_task_files(
            &w.clerk,
            task.id,
            vec![
                ScanFile {
                    name: "page1.png".into(),
                    bytes: page1,
                },
                ScanFile {
                    name: page2_name.into(),
                    bytes: page2.clone(),
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(done.state, TaskState::Done);
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(view.item.pages, Some(2));
    let (doc, pdf) = app
        .mail_item_file(&w.customer.actor, item, ItemFile::Scan)
        .await
        .unwrap();
    assert_eq!(doc.content_type, "application/pdf");
    assert!(
        !jpeg || contains_bytes(&pdf, &page2),
        "the JPEG is embedded as it is"
    );
    // Stored encrypted: the JPEG's bytes are nowhere in the blob folder.
    for path in files_under(w.env.blob_path()) {
        assert!(!contains_bytes(&std::fs::read(path).unwrap(), &page2[..64]));
    }

    run_due_jobs_once(app).await.unwrap();
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert_eq!(
        view.item.ocr.state,
        OcrState::Done,
        "{}",
        view.item.ocr.error
    );
    assert_eq!(view.item.ocr.pages_done, 2);
    let text = view.text.to_lowercase();
    assert!(text.contains("swisscom"), "{text}");
    assert!(text.contains("versicherung"), "page 2 read too: {text}");
    w.env.close().await;
}

/// The customer asks for a scan of `item`: its task.
async fn scan_task(w: &World, item: courrier_domain::MailItemId) -> courrier_store::TaskRecord {
    match w
        .env
        .app
        .request_action(&w.customer.actor, &[item], &Action::Scan)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap()
    {
        courrier_app::mailbox::Requested::Task(t) => t,
        other => panic!("expected a task, got {other:?}"),
    }
}

/// The customer asks for a scan of `item` and the clerk uploads one PDF.
async fn scanned(w: &World, item: courrier_domain::MailItemId) {
    let app = &w.env.app;
    let task = scan_task(w, item).await;
    app.complete_scan_task_files(
        &w.clerk,
        task.id,
        vec![ScanFile {
            name: "scan.pdf".into(),
            bytes: letter("Swisscom (Suisse) SA", "2026-0042"),
        }],
    )
    .await
    .unwrap();
}

/// How many of the customer's items a search for `word` finds.
async fn found(w: &World, word: &str) -> usize {
    w.env
        .app
        .search_mail(
            &w.customer.actor,
            word,
            &courrier_store::ItemFilter::default(),
            None,
            20,
        )
        .await
        .unwrap()
        .items
        .len()
}

/// One upkeep run now: how many scans it shredded.
async fn scans_shredded_now(w: &World) -> usize {
    w.env
        .app
        .mailbox_upkeep(w.env.now())
        .await
        .unwrap()
        .scans_shredded
}

/// Whether the customer can still read the item's scan.
async fn scan_readable(w: &World, item: courrier_domain::MailItemId) -> bool {
    w.env
        .app
        .mail_item_file(&w.customer.actor, item, ItemFile::Scan)
        .await
        .is_ok()
}

async fn scans_past_the_retention_are_shredded_and_no_longer_found(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    if !ocr_available() {
        eprintln!("SKIPPED: scan retention (tesseract missing)");
        w.env.close().await;
        return;
    }
    // Kept by default.
    assert_eq!(app.scan_retention(&w.customer.actor).await.unwrap(), None);
    let item = w.log("Swisscom (Suisse) SA", None).await;
    scanned(&w, item).await;
    run_due_jobs_once(app).await.unwrap();
    assert_eq!(
        found(&w, "services").await,
        1,
        "found by a word of the scan"
    );

    // Only the customer's settings people choose, within 1 to 3,650 days.
    assert_eq!(
        code_of(app.set_scan_retention(&w.customer.actor, Some(0)).await),
        "mail.retention_invalid"
    );
    assert_eq!(
        code_of(app.set_scan_retention(&w.customer.actor, Some(3651)).await),
        "mail.retention_invalid"
    );
    assert!(
        code_of(app.set_scan_retention(&w.clerk, Some(30)).await).starts_with("forbidden"),
        "not the mail center's to set"
    );
    app.set_scan_retention(&w.customer.actor, Some(30))
        .await
        .unwrap();
    assert_eq!(
        app.scan_retention(&w.customer.actor).await.unwrap(),
        Some(30)
    );

    // Day 29: kept. Day 31: shredded, once; the item and its history stay.
    w.env.advance(29 * 86_400);
    assert_eq!(scans_shredded_now(&w).await, 0);
    assert!(scan_readable(&w, item).await);
    w.env.advance(2 * 86_400);
    // Two servers' upkeeps at once: the scan is shredded once, neither fails.
    let (a, b) = tokio::join!(
        app.mailbox_upkeep(w.env.now()),
        app.mailbox_upkeep(w.env.now())
    );
    assert_eq!(a.unwrap().scans_shredded + b.unwrap().scans_shredded, 1);
    assert_eq!(scans_shredded_now(&w).await, 0);
    assert_eq!(
        code_of(
            app.mail_item_file(&w.customer.actor, item, ItemFile::Scan)
                .await
        ),
        "document.shredded"
    );
    let view = app.mail_item(&w.customer.actor, item).await.unwrap();
    assert!(view.text.is_empty(), "the recognised text is gone");
    assert_eq!(view.item.ocr.state, OcrState::None);
    assert_eq!(
        found(&w, "services").await,
        0,
        "no longer found by its words"
    );
    assert_eq!(found(&w, "swisscom").await, 1, "still found by its sender");

    // Back to keeping: a new scan stays, however old.
    app.set_scan_retention(&w.customer.actor, None)
        .await
        .unwrap();
    let kept = w.log("Swisscom (Suisse) SA", None).await;
    scanned(&w, kept).await;
    w.env.advance(400 * 86_400);
    assert_eq!(scans_shredded_now(&w).await, 0);
    assert!(scan_readable(&w, kept).await);
    w.env.close().await;
}

async fn new_mail_and_its_webhook_event_commit_together(backend: Backend) {
    let w = world(backend).await;
    let env = &w.env;
    // A public endpoint: no job runs here, so nothing is sent anywhere.
    env.app
        .create_webhook(
            &w.customer.actor,
            "https://erp.example.com/courrier",
            &[courrier_app::webhooks::MAIL_RECEIVED.to_string()],
            "",
        )
        .await
        .unwrap();
    let log = || async {
        env.app
            .list_webhook_deliveries(&w.customer.actor, None, None, 100)
            .await
            .unwrap()
            .items
    };

    // When the event cannot be written, the item is not written either.
    exec_sql(
        &env.db,
        "ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_away",
    )
    .await;
    let failed = env
        .app
        .log_item(
            &w.clerk,
            w.location.id,
            piece(Recipient::Member(w.member.id), "Swisscom", None),
        )
        .await;
    exec_sql(
        &env.db,
        "ALTER TABLE webhook_deliveries_away RENAME TO webhook_deliveries",
    )
    .await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(
        env.app
            .intake_today(&w.clerk, w.location.id)
            .await
            .unwrap()
            .is_empty(),
        "the item rolled back with its event"
    );
    assert!(log().await.is_empty());

    // The item commits with its event: it is there without any further call.
    let item = w.log("Swisscom", None).await;
    let deliveries = log().await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].event_type,
        courrier_app::webhooks::MAIL_RECEIVED
    );
    let body: serde_json::Value = serde_json::from_str(&deliveries[0].payload).unwrap();
    assert_eq!(body["data"]["item"], item.to_string());
    assert_eq!(body["data"]["mailbox"], w.mailbox.id.to_string());
    assert_eq!(body["data"]["sender"], "Swisscom");
    let jobs: Vec<uuid::Uuid> = env
        .app
        .store
        .list_jobs(courrier_store::JobState::Queued, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|j| match JobKind::parse(&j.kind, &j.payload) {
            Ok(JobKind::DeliverWebhook { delivery }) => Some(delivery),
            _ => None,
        })
        .collect();
    assert_eq!(jobs, [deliveries[0].id]);
    w.env.close().await;
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
