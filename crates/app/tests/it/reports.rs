//! Reports of sent letters: a weekly schedule sends last week's letters (in
//! the organisation's time zone, drafts left out) once, with a link by
//! e-mail, even when the job runs again; the CSV opens in European Excel
//! (BOM, `;`) and is stored encrypted; reports on demand check their dates;
//! nothing crosses organisations. Each test runs on both backends:
//! `cargo test -p courrier-app --test it reports::` runs them; a name ending in `::sqlite` or `::postgres` is one backend.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::jobs::{ensure_recurring_jobs, run_due_jobs_once};
use courrier_app::letters::LetterInput;
use courrier_app::reports::CSV_COLUMNS;
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::letters::LetterStatus;
use courrier_domain::{Actor, OrgScope, Permission, Role, Timestamp};
use courrier_store::{EmailRecord, ReportFrequency};
use std::collections::BTreeMap;

on_both_backends!(
    weekly_report_sent_once_with_last_weeks_letters,
    monthly_report_in_the_recipients_language,
    reports_on_demand_check_dates_permissions_and_tenancy,
);

const SENDER: [&str; 2] = [
    "Helvetia Fiduciaire SA",
    "Avenue de la Gare 1, 1003 Lausanne",
];
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An instant given in UTC, `2026-01-05T08:00:00`.
fn utc(s: &str) -> Timestamp {
    let ts: jiff::Timestamp = format!("{s}Z").parse().unwrap();
    Timestamp::from_millis(ts.as_millisecond())
}

/// Creates a letter at `when` (UTC) to a Lausanne bakery, submitted if asked.
async fn letter_at(
    env: &Env,
    actor: &Actor,
    when: &str,
    reference: &str,
    submit: bool,
) -> courrier_store::LetterRecord {
    env.clock.set(utc(when));
    let pdf = letters_pdf(
        &[SampleLetter {
            address: vec![
                "Boulangerie Dupont SàRL".into(),
                "Rue de Bourg 12".into(),
                "1003 Lausanne".into(),
            ],
            pages: 1,
            reference: reference.into(),
        }],
        &SENDER,
    );
    let input = LetterInput {
        reference: reference.into(),
        ..LetterInput::default()
    };
    env.app
        .create_letter(actor, &pdf, &input, submit)
        .await
        .unwrap()
        .record
}

/// The messages of the outbox sent to `to`.
async fn mails_to(env: &Env, to: &str) -> Vec<EmailRecord> {
    env.app
        .store
        .recent_emails(500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to.as_str() == to)
        .collect()
}

/// Parses a report's CSV: checks the BOM and the `;` separator, returns the
/// header and the rows keyed by reference.
fn parse_csv(bytes: &[u8]) -> (Vec<String>, BTreeMap<String, BTreeMap<String, String>>) {
    assert!(bytes.starts_with(BOM), "UTF-8 byte-order mark first");
    let text = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("letter id;created;submitted")
    );
    assert!(text.contains("\r\n"), "CRLF line ends");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        assert_eq!(record.len(), header.len());
        let row: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        rows.insert(row["reference"].clone(), row);
    }
    (header, rows)
}

/// The codes of a refusal.
fn codes<T: std::fmt::Debug>(r: Result<T, AppError>) -> Vec<&'static str> {
    match r {
        Err(AppError::Findings(list)) => list.iter().map(|i| i.code.as_str()).collect(),
        Err(AppError::Invalid(i)) => vec![i.code.as_str()],
        other => panic!("not refused: {other:?}"),
    }
}

async fn weekly_report_sent_once_with_last_weeks_letters(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("helvetia").await;
    let other = env.org("dupont").await;
    let scope = OrgScope::system(org.id, "system:test");
    ensure_recurring_jobs(&env.app).await.unwrap();

    // Thursday 1 January 2026: a weekly report to the bookkeeper.
    let schedule = env
        .app
        .schedule_report(&org.actor, "weekly", "books@helvetia.test")
        .await
        .unwrap();
    assert_eq!(schedule.frequency, ReportFrequency::Weekly);
    // Monday 5 January, midnight in Zurich.
    assert_eq!(schedule.next_run_at, utc("2026-01-04T23:00:00"));

    let thursday = letter_at(&env, &org.actor, "2026-01-01T09:00:00", "A-THU", true).await;
    assert_eq!(thursday.status, LetterStatus::Accepted);
    letter_at(&env, &org.actor, "2026-01-02T10:00:00", "B-DRAFT", false).await;
    let cancelled = letter_at(&env, &org.actor, "2026-01-02T11:00:00", "=C-CANCEL", true).await;
    env.app
        .cancel_letter(&org.actor, cancelled.id)
        .await
        .unwrap();
    // Sunday 23:30 in Zurich: still last week.
    letter_at(&env, &org.actor, "2026-01-04T22:30:00", "E-SUNDAY", true).await;
    // Monday 00:30 in Zurich (still Sunday in UTC): this week.
    letter_at(&env, &org.actor, "2026-01-04T23:30:00", "F-MONDAY", true).await;
    letter_at(&env, &other.actor, "2026-01-02T09:00:00", "OTHER-ORG", true).await;

    env.clock.set(utc("2026-01-05T08:00:00"));
    run_due_jobs_once(&env.app).await.unwrap();

    let reports = env
        .app
        .list_reports(&org.actor, None, 50)
        .await
        .unwrap()
        .items;
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.report.schedule, Some(schedule.id));
    assert_eq!(
        (report.first_day.to_string(), report.last_day.to_string()),
        ("2025-12-29".to_string(), "2026-01-04".to_string())
    );
    assert_eq!(report.report.period_from, utc("2025-12-28T23:00:00"));
    assert_eq!(report.report.period_to, utc("2026-01-04T23:00:00"));
    assert_eq!(report.report.rows, 3);
    let after = env
        .app
        .store
        .report_schedule(&scope, schedule.id)
        .await
        .unwrap();
    assert_eq!(after.next_run_at, utc("2026-01-11T23:00:00"));

    // The CSV: last week's letters, drafts and this week's left out.
    let file = env
        .app
        .report_csv(&org.actor, report.report.id)
        .await
        .unwrap();
    assert_eq!(file.filename, "courrier-letters-2025-12-29-2026-01-04.csv");
    let (header, rows) = parse_csv(&file.bytes);
    assert_eq!(header, CSV_COLUMNS);
    assert_eq!(
        rows.keys().cloned().collect::<Vec<_>>(),
        ["'=C-CANCEL", "A-THU", "E-SUNDAY"],
        "a formula-like reference is disarmed"
    );
    let a = &rows["A-THU"];
    assert_eq!(a["letter id"], thursday.id.to_string());
    assert_eq!(a["submitted"], "2026-01-01 10:00", "Zurich time");
    assert_eq!(a["created"], "2026-01-01 10:00");
    assert_eq!(a["recipient name"], "Boulangerie Dupont SàRL");
    assert_eq!(
        (
            a["postcode"].as_str(),
            a["locality"].as_str(),
            a["country"].as_str()
        ),
        ("1003", "Lausanne", "CH")
    );
    assert_eq!(a["status"], "accepted");
    assert_eq!(a["currency"], "CHF");
    assert_eq!(a["sheets"], thursday.sheets.to_string());
    assert_eq!(a["weight g"], thursday.weight_grams.to_string());
    let amount = |minor: i64| format!("{}.{:02}", minor / 100, minor % 100);
    assert_eq!(a["net"], amount(thursday.price_net));
    assert_eq!(a["VAT"], amount(thursday.price_vat));
    assert_eq!(a["total"], amount(thursday.price_total));
    assert_eq!(
        a["expected delivery"],
        thursday.expected_delivery.clone().unwrap_or_default()
    );
    assert_eq!(
        a["posting date"],
        thursday.posting_date.clone().unwrap_or_default()
    );
    assert_eq!(rows["'=C-CANCEL"]["status"], "cancelled");
    assert_eq!(rows["E-SUNDAY"]["submitted"], "2026-01-04 23:30");

    // One e-mail with the link, and no letter data in it.
    let mails = mails_to(&env, "books@helvetia.test").await;
    assert_eq!(mails.len(), 1);
    let link = format!("{PUBLIC_URL}/reports/{}.csv", report.report.id);
    let mail = &mails[0];
    assert!(mail.body_text.contains(&link), "{}", mail.body_text);
    assert!(mail.body_html.contains(&link));
    assert!(mail.subject.contains("weekly") && mail.subject.contains("2025-12-29"));
    for secret in ["A-THU", "E-SUNDAY", "Boulangerie", "Lausanne"] {
        assert!(
            !mail.body_text.contains(secret) && !mail.body_html.contains(secret),
            "{secret} in the e-mail"
        );
    }

    // The CSV is stored encrypted: no blob holds it in plain text.
    let doc = env
        .app
        .store
        .document(&scope, report.report.document)
        .await
        .unwrap();
    assert!(doc.wrapped_key.is_some());
    let blob = env.blob_path().join(&doc.blob_key);
    assert!(blob.is_file(), "{}", blob.display());
    for path in files_under(env.blob_path()) {
        let bytes = std::fs::read(&path).unwrap();
        for plain in [&b"letter id;created"[..], b"A-THU", b"Boulangerie"] {
            assert!(
                !contains_bytes(&bytes, plain),
                "plaintext in {}",
                path.display()
            );
        }
    }

    // The job runs again: nothing new.
    env.advance(20 * 60);
    run_due_jobs_once(&env.app).await.unwrap();
    assert_eq!(
        env.app
            .list_reports(&org.actor, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(mails_to(&env, "books@helvetia.test").await.len(), 1);

    // A retry after a crash that left the schedule due: still one report, one e-mail.
    env.app
        .store
        .advance_report_schedule(&scope, schedule.id, utc("2026-01-04T23:00:00"))
        .await
        .unwrap();
    env.advance(20 * 60);
    run_due_jobs_once(&env.app).await.unwrap();
    assert_eq!(
        env.app
            .list_reports(&org.actor, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(mails_to(&env, "books@helvetia.test").await.len(), 1);
    assert_eq!(
        env.app
            .store
            .report_schedule(&scope, schedule.id)
            .await
            .unwrap()
            .next_run_at,
        utc("2026-01-11T23:00:00"),
        "moved on"
    );

    // The next week brings the next report, with this week's Monday letter.
    env.clock.set(utc("2026-01-12T06:00:00"));
    run_due_jobs_once(&env.app).await.unwrap();
    let reports = env
        .app
        .list_reports(&org.actor, None, 50)
        .await
        .unwrap()
        .items;
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].first_day.to_string(), "2026-01-05");
    let (_, rows) = parse_csv(
        &env.app
            .report_csv(&org.actor, reports[0].report.id)
            .await
            .unwrap()
            .bytes,
    );
    assert_eq!(rows.keys().cloned().collect::<Vec<_>>(), ["F-MONDAY"]);
    assert_eq!(mails_to(&env, "books@helvetia.test").await.len(), 2);

    // Stopped: no more reports.
    env.app
        .disable_report_schedule(&org.actor, schedule.id)
        .await
        .unwrap();
    env.clock.set(utc("2026-01-19T06:00:00"));
    run_due_jobs_once(&env.app).await.unwrap();
    assert_eq!(
        env.app
            .list_reports(&org.actor, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert_eq!(mails_to(&env, "books@helvetia.test").await.len(), 2);
    // The other organisation never got a report.
    assert!(
        env.app
            .list_reports(&other.actor, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let (entries, _) = env.app.store.audit_chain(org.id).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"report_schedule.created"));
    assert!(actions.contains(&"report_schedule.disabled"));
    assert_eq!(
        actions.iter().filter(|a| **a == "report.created").count(),
        2
    );
    env.close().await;
}

async fn monthly_report_in_the_recipients_language(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("romandie").await;
    env.app.store.set_locale(org.admin, "fr").await.unwrap();
    ensure_recurring_jobs(&env.app).await.unwrap();
    env.clock.set(utc("2026-01-15T12:00:00"));
    let schedule = env
        .app
        .schedule_report(&org.actor, "monthly", &org.admin_email)
        .await
        .unwrap();
    assert_eq!(schedule.next_run_at, utc("2026-01-31T23:00:00"));
    letter_at(&env, &org.actor, "2026-01-20T09:00:00", "JANVIER", true).await;
    env.clock.set(utc("2026-02-01T07:00:00"));
    run_due_jobs_once(&env.app).await.unwrap();
    let mails = mails_to(&env, &org.admin_email).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("mensuel"), "{}", mails[0].subject);
    assert!(mails[0].subject.contains("01.01.2026") && mails[0].subject.contains("31.01.2026"));
    let reports = env
        .app
        .list_reports(&org.actor, None, 50)
        .await
        .unwrap()
        .items;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].report.rows, 1);
    env.close().await;
}

async fn reports_on_demand_check_dates_permissions_and_tenancy(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("helvetia").await;
    let other = env.org("dupont").await;
    letter_at(&env, &org.actor, "2026-01-02T09:00:00", "ON-DEMAND", true).await;
    letter_at(&env, &org.actor, "2026-01-03T09:00:00", "DRAFT", false).await;

    let v = env
        .app
        .generate_report(&org.actor, "2026-01-01", " 2026-01-02 ")
        .await
        .unwrap();
    assert_eq!(v.report.schedule, None);
    assert_eq!(v.report.rows, 1);
    assert_eq!(v.report.period_from, utc("2025-12-31T23:00:00"));
    assert_eq!(v.report.period_to, utc("2026-01-02T23:00:00"));
    let (_, rows) = parse_csv(
        &env.app
            .report_csv(&org.actor, v.report.id)
            .await
            .unwrap()
            .bytes,
    );
    assert_eq!(rows.keys().cloned().collect::<Vec<_>>(), ["ON-DEMAND"]);
    // The same period again is another report on demand.
    env.app
        .generate_report(&org.actor, "2026-01-01", "2026-01-02")
        .await
        .unwrap();
    assert_eq!(
        env.app
            .list_reports(&org.actor, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    assert_eq!(
        codes(
            env.app
                .generate_report(&org.actor, "2026-13-01", "yesterday")
                .await
        ),
        ["report.date_invalid", "report.date_invalid"]
    );
    assert_eq!(
        codes(
            env.app
                .generate_report(&org.actor, "2026-01-02", "2026-01-01")
                .await
        ),
        ["report.period_invalid"]
    );
    assert_eq!(
        codes(
            env.app
                .generate_report(&org.actor, "2025-01-01", "2026-01-02")
                .await
        ),
        ["report.period_too_long"]
    );
    // 366 days, both ends included.
    env.app
        .generate_report(&org.actor, "2025-01-01", "2026-01-01")
        .await
        .unwrap();
    assert_eq!(
        codes(
            env.app
                .schedule_report(&org.actor, "hourly", "not an address")
                .await
        ),
        ["report.frequency_invalid", "email.invalid"]
    );

    // A member may not make or read reports.
    let (_, member) = env.person(&org, "member@helvetia.test", Role::Member).await;
    assert!(matches!(
        env.app
            .generate_report(&member, "2026-01-01", "2026-01-02")
            .await,
        Err(AppError::Forbidden(Permission::OrgSettings))
    ));
    assert!(matches!(
        env.app.report_csv(&member, v.report.id).await,
        Err(AppError::Forbidden(Permission::OrgSettings))
    ));

    // Another organisation finds nothing of ours.
    let schedule = env
        .app
        .schedule_report(&org.actor, "daily", "books@helvetia.test")
        .await
        .unwrap();
    assert!(matches!(
        env.app.report(&other.actor, v.report.id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        env.app.report_csv(&other.actor, v.report.id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        env.app
            .disable_report_schedule(&other.actor, schedule.id)
            .await,
        Err(AppError::NotFound)
    ));
    assert!(
        env.app
            .list_report_schedules(&other.actor)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        env.app
            .list_reports(&other.actor, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    env.app
        .disable_report_schedule(&org.actor, schedule.id)
        .await
        .unwrap();
    assert!(matches!(
        env.app
            .disable_report_schedule(&org.actor, schedule.id)
            .await,
        Err(AppError::NotFound)
    ));
    env.close().await;
}
