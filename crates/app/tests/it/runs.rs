//! Bulk runs: a PDF of many letters split by pages, by marker and by address;
//! a mail merge from a CSV; retries that must not duplicate letters. Each
//! test runs on both backends.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::bulk::SplitMethod;
use courrier_app::jobs::run_due_jobs_once;
use courrier_app::letters::LetterInput;
use courrier_app::runs::{MergeSpec, RunView};
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::RunId;
use courrier_domain::letters::LetterStatus;
use courrier_store::{LetterFilter, RunState};

on_both_backends!(
    split_by_pages_refuses_the_bad_letter_only,
    split_by_marker_reports_pages_before_the_first_marker,
    split_by_address_keeps_following_pages_with_their_letter,
    invalid_marker_is_refused_at_start,
    retry_of_a_half_processed_run_creates_no_duplicates,
    submitted_runs_accept_their_letters,
    merge_from_windows_1252_csv_refuses_the_row_missing_a_field,
    merge_preview_renders_the_first_rows,
    template_bombs_are_refused_at_start_in_previews_and_per_letter,
    runs_of_another_organisation_are_not_found,
    a_letter_past_its_budget_is_refused_alone,
    a_run_whose_file_cannot_be_read_in_time_fails_as_too_slow,
);

const SENDER: [&str; 2] = [
    "Helvetia Fiduciaire SA",
    "Avenue de la Gare 1, 1003 Lausanne",
];

fn letter(name: &str, street: &str, place: &str, pages: u32, reference: &str) -> SampleLetter {
    SampleLetter {
        address: vec![name.into(), street.into(), place.into()],
        pages,
        reference: reference.into(),
    }
}

/// Four letters; the third has a Swiss postcode of three digits.
fn four_letters(pages: u32) -> Vec<SampleLetter> {
    vec![
        letter(
            "Boulangerie Dupont SàRL",
            "Rue de Bourg 12",
            "1003 Lausanne",
            pages,
            "2026-0001",
        ),
        letter(
            "Müller Treuhand AG",
            "Bahnhofstrasse 10",
            "8001 Zürich",
            pages,
            "2026-0002",
        ),
        letter(
            "Garage du Lac SA",
            "Quai du Mont-Blanc 5",
            "120 Genève",
            pages,
            "2026-0003",
        ),
        letter(
            "Rossi & Figli Sagl",
            "Via Nassa 7",
            "6900 Lugano",
            pages,
            "2026-0004",
        ),
    ]
}

async fn finish(env: &Env) {
    run_due_jobs_once(&env.app).await.unwrap();
}

async fn view(env: &Env, org: &Org, id: RunId) -> RunView {
    env.app.run(&org.actor, id).await.unwrap()
}

async fn run_letters(env: &Env, org: &Org, id: RunId) -> Vec<courrier_store::LetterRecord> {
    let filter = LetterFilter {
        run: Some(id),
        ..LetterFilter::default()
    };
    env.app
        .letters(&org.actor, &filter, None, 200)
        .await
        .unwrap()
        .items
}

async fn split_by_pages_refuses_the_bad_letter_only(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let pdf = letters_pdf(&four_letters(2), &SENDER);
    let run = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "invoices.pdf",
            SplitMethod::Pages(2),
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Queued);
    assert_eq!(run.method, "pages:2");
    finish(&env).await;
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Done, "{}", v.run.error);
    assert_eq!(
        (v.run.total, v.run.processed, v.run.accepted, v.run.refused),
        (4, 4, 3, 1)
    );
    let sources: Vec<&str> = v.items.iter().map(|i| i.source.as_str()).collect();
    assert_eq!(
        sources,
        ["pages 1-2", "pages 3-4", "pages 5-6", "pages 7-8"]
    );
    let bad = &v.items[2];
    assert!(!bad.accepted);
    assert!(bad.letter.is_none());
    assert!(
        bad.reasons.contains("address.postcode_invalid"),
        "{}",
        bad.reasons
    );
    let letters = run_letters(&env, &org, run.id).await;
    assert_eq!(letters.len(), 3);
    assert!(
        letters
            .iter()
            .all(|l| l.status == LetterStatus::Draft && l.pages == 2 && l.run == Some(run.id))
    );
    // Each letter holds its own two pages only.
    let first = v.items[0].letter.unwrap();
    let pdf = env.app.letter_pdf(&org.actor, first).await.unwrap();
    let doc =
        courrier_documents::load_pdf(&pdf, &courrier_documents::IntakeLimits::default()).unwrap();
    assert_eq!(doc.get_pages().len(), 2);
    let window =
        courrier_documents::read_window_in(&doc, 0, courrier_documents::WindowStandard::SwissLeft)
            .unwrap();
    assert_eq!(window.address_lines()[0], "Boulangerie Dupont SàRL");
    env.close().await;
}

async fn split_by_marker_reports_pages_before_the_first_marker(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    // A cover page whose "Invoice COVER" does not match the marker.
    let mut letters = vec![letter("Cover", "", "", 1, "COVER")];
    letters.extend(four_letters(1));
    letters[2].pages = 3;
    let pdf = letters_pdf(&letters, &SENDER);
    let method = SplitMethod::Marker(r"Invoice 2026-\d{4}".into());
    let run = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "run.pdf",
            method,
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    finish(&env).await;
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Done, "{}", v.run.error);
    let sources: Vec<&str> = v.items.iter().map(|i| i.source.as_str()).collect();
    assert_eq!(
        sources,
        ["page 1", "page 2", "pages 3-5", "page 6", "page 7"]
    );
    assert!(!v.items[0].accepted);
    assert!(
        v.items[0].reasons.contains("no letter start before page 2"),
        "{}",
        v.items[0].reasons
    );
    assert!(v.items[2].accepted, "{}", v.items[2].reasons);
    assert!(!v.items[3].accepted);
    assert!(v.items[3].reasons.contains("address.postcode_invalid"));
    assert_eq!((v.run.total, v.run.accepted, v.run.refused), (5, 3, 2));
    let three_pages = env
        .app
        .letter(&org.actor, v.items[2].letter.unwrap())
        .await
        .unwrap();
    assert_eq!(three_pages.letter.pages, 3);
    env.close().await;
}

async fn split_by_address_keeps_following_pages_with_their_letter(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let mut letters = four_letters(1);
    letters[0].pages = 3;
    letters[1].address.push("SUISSE".into());
    letters.push(letter(
        "Müller GmbH",
        "Hauptstrasse 3",
        "10115 Berlin",
        2,
        "2026-0005",
    ));
    letters[4].address.push("ALLEMAGNE".into());
    let pdf = letters_pdf(&letters, &SENDER);
    let run = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "run.pdf",
            SplitMethod::Address,
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    finish(&env).await;
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Done, "{}", v.run.error);
    let sources: Vec<&str> = v.items.iter().map(|i| i.source.as_str()).collect();
    assert_eq!(
        sources,
        ["pages 1-3", "page 4", "page 5", "page 6", "pages 7-8"]
    );
    let outcomes: Vec<bool> = v.items.iter().map(|i| i.accepted).collect();
    assert_eq!(outcomes, [true, true, false, true, true], "{:?}", v.items);
    assert!(v.items[2].reasons.contains("address.postcode_invalid"));
    assert_eq!(
        (v.run.total, v.run.processed, v.run.accepted, v.run.refused),
        (5, 5, 4, 1)
    );
    // The German letter went abroad: international priority, priced.
    let german = env
        .app
        .letter(&org.actor, v.items[4].letter.unwrap())
        .await
        .unwrap()
        .letter;
    assert_eq!(german.recipient.country.as_str(), "DE");
    assert_eq!(german.product.as_str(), "international_priority");
    assert!(german.price_total > 0);
    env.close().await;
}

async fn invalid_marker_is_refused_at_start(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let pdf = letters_pdf(&four_letters(1), &SENDER);
    let r = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "run.pdf",
            SplitMethod::Marker("Invoice (".into()),
            LetterInput::default(),
            false,
        )
        .await;
    assert_eq!(invalid_code(r), "run.marker_invalid");
    let r = env
        .app
        .start_split_run(
            &org.actor,
            b"not a pdf",
            "x.pdf",
            SplitMethod::Address,
            LetterInput::default(),
            false,
        )
        .await;
    assert_eq!(invalid_code(r), "pdf.unreadable");
    assert!(
        env.app
            .runs(&org.actor, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    env.close().await;
}

async fn retry_of_a_half_processed_run_creates_no_duplicates(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let pdf = letters_pdf(&four_letters(1), &SENDER);
    let run = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "run.pdf",
            SplitMethod::Pages(1),
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    finish(&env).await;
    let before = run_letters(&env, &org, run.id).await;
    assert_eq!(before.len(), 3);
    // A crash after letters 3 and 4 were created but before their items
    // were recorded: the run is back to two items processed.
    exec_sql(
        &env.db,
        &format!(
            "DELETE FROM run_items WHERE run_id = '{}' AND seq >= 3",
            run.id
        ),
    )
    .await;
    exec_sql(
        &env.db,
        &format!("UPDATE runs SET state = 'running', processed = 2, accepted = 2, refused = 0, finished_at = NULL WHERE id = '{}'", run.id),
    )
    .await;
    assert_eq!(view(&env, &org, run.id).await.items.len(), 2);
    env.app.process_run(org.id, run.id, None).await.unwrap();
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Done);
    assert_eq!(
        (v.run.total, v.run.processed, v.run.accepted, v.run.refused),
        (4, 4, 3, 1)
    );
    let after = run_letters(&env, &org, run.id).await;
    assert_eq!(after.len(), 3, "no letter was created twice");
    let mut ids_before: Vec<_> = before.iter().map(|l| l.id).collect();
    let mut ids_after: Vec<_> = after.iter().map(|l| l.id).collect();
    ids_before.sort();
    ids_after.sort();
    assert_eq!(ids_before, ids_after);
    assert_eq!(
        v.items[3].letter,
        Some(
            before
                .iter()
                .find(|l| l.recipient.locality == "Lugano")
                .unwrap()
                .id
        )
    );
    // Running a finished run again changes nothing.
    env.app.process_run(org.id, run.id, None).await.unwrap();
    assert_eq!(run_letters(&env, &org, run.id).await.len(), 3);
    env.close().await;
}

async fn submitted_runs_accept_their_letters(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let pdf = letters_pdf(&four_letters(1), &SENDER);
    let run = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "run.pdf",
            SplitMethod::Address,
            LetterInput::default(),
            true,
        )
        .await
        .unwrap();
    finish(&env).await;
    let letters = run_letters(&env, &org, run.id).await;
    assert_eq!(letters.len(), 3);
    assert!(
        letters.iter().all(|l| l.status == LetterStatus::Accepted),
        "{:?}",
        letters.iter().map(|l| l.status).collect::<Vec<_>>()
    );
    env.close().await;
}

/// `name;street;postcode;city;body` in Windows-1252 (ü = 0xFC), CRLF; row 3
/// has no street.
fn cp1252_csv() -> Vec<u8> {
    let mut out = Vec::new();
    for line in [
        "Name;Street;Postcode;City;Body",
        "Anna M\u{fc}ller;Bahnhofstrasse 1;8001;Z\u{fc}rich;Thank you for your order.",
        "Jean Dupont;;1003;Lausanne;Merci.",
        "Hans Muster;Marktgasse 5;3011;Bern;\"Hello; see you soon.\"",
    ] {
        out.extend(line.chars().map(|c| u8::try_from(u32::from(c)).unwrap()));
        out.extend_from_slice(b"\r\n");
    }
    out
}

async fn merge_from_windows_1252_csv_refuses_the_row_missing_a_field(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let run = env
        .app
        .start_merge_run(
            &org.actor,
            MergeSpec::default(),
            &cp1252_csv(),
            "customers.csv",
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    finish(&env).await;
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Done, "{}", v.run.error);
    let sources: Vec<&str> = v.items.iter().map(|i| i.source.as_str()).collect();
    assert_eq!(sources, ["row 2", "row 3", "row 4"]);
    assert!(v.items[0].accepted, "{}", v.items[0].reasons);
    assert!(!v.items[1].accepted);
    assert!(
        v.items[1].reasons.contains("merge.field_missing") && v.items[1].reasons.contains("row 3"),
        "{}",
        v.items[1].reasons
    );
    assert!(v.items[2].accepted, "{}", v.items[2].reasons);
    let anna = env
        .app
        .letter(&org.actor, v.items[0].letter.unwrap())
        .await
        .unwrap()
        .letter;
    assert_eq!(anna.recipient.name, "Anna Müller");
    assert_eq!(anna.recipient.locality, "Zürich");
    // A mapping that leaves a required field without a column is refused at once.
    let spec = MergeSpec {
        template: None,
        mapping: vec![("street".into(), None)],
    };
    let r = env
        .app
        .start_merge_run(
            &org.actor,
            spec,
            &cp1252_csv(),
            "customers.csv",
            LetterInput::default(),
            false,
        )
        .await;
    assert_eq!(invalid_code(r), "merge.field_unmapped");
    let spec = MergeSpec {
        template: Some("#let x = (".into()),
        mapping: Vec::new(),
    };
    let r = env
        .app
        .start_merge_run(
            &org.actor,
            spec,
            &cp1252_csv(),
            "customers.csv",
            LetterInput::default(),
            false,
        )
        .await;
    assert_eq!(invalid_code(r), "merge.template_error");
    env.close().await;
}

async fn merge_preview_renders_the_first_rows(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let rows = env
        .app
        .merge_preview(
            &org.actor,
            &MergeSpec::default(),
            &cp1252_csv(),
            &LetterInput::default(),
            2,
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let first = rows[0].outcome.as_ref().unwrap();
    assert!(first.pdf.starts_with(b"%PDF-"));
    assert!(
        first
            .letter
            .window_lines
            .iter()
            .any(|l| l.contains("Anna Müller")),
        "{:?}",
        first.letter.window_lines
    );
    let second = rows[1].outcome.as_ref().unwrap_err();
    assert_eq!(second[0].code, "merge.field_missing");
    // Nothing was stored.
    assert!(
        env.app
            .runs(&org.actor, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    env.close().await;
}

async fn template_bombs_are_refused_at_start_in_previews_and_per_letter(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    // A one-line bomb: refused at once, naming the memory limit.
    let bomb = r#"#("x" * 100000000000)"#.to_string();
    let r = env
        .app
        .start_merge_run(
            &org.actor,
            MergeSpec {
                template: Some(bomb.clone()),
                mapping: Vec::new(),
            },
            &cp1252_csv(),
            "customers.csv",
            LetterInput::default(),
            false,
        )
        .await;
    match r {
        Err(AppError::Invalid(i)) => {
            assert_eq!(i.code, "merge.template_too_expensive");
            assert_eq!(i.field, "template");
            assert!(i.message.contains("1024 MiB"), "{}", i.message);
        }
        other => panic!("{other:?}"),
    }
    // A template that explodes for one row only: the first row checks
    // fine, the preview is refused as a whole, and a run refuses that
    // row's letter alone.
    let template = format!(
        "// Reads sys.inputs.name, sys.inputs.street, sys.inputs.postcode, sys.inputs.city, sys.inputs.body\n{}\n#if sys.inputs.at(\"name\", default: \"\") == \"Hans Muster\" {{ (\"x\" * 100000000000) }}\n",
        courrier_app::runs::DEFAULT_TEMPLATE
    );
    let spec = MergeSpec {
        template: Some(template),
        mapping: Vec::new(),
    };
    let preview = env
        .app
        .merge_preview(&org.actor, &spec, &cp1252_csv(), &LetterInput::default(), 3)
        .await;
    assert_eq!(invalid_code(preview), "merge.template_too_expensive");
    let run = env
        .app
        .start_merge_run(
            &org.actor,
            spec,
            &cp1252_csv(),
            "customers.csv",
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    finish(&env).await;
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Done, "{}", v.run.error);
    assert!(v.items[0].accepted, "{}", v.items[0].reasons);
    assert!(!v.items[2].accepted);
    assert!(
        v.items[2].reasons.contains("merge.template_too_expensive")
            && v.items[2].reasons.contains("row 4"),
        "{}",
        v.items[2].reasons
    );
    env.close().await;
}

async fn runs_of_another_organisation_are_not_found(backend: Backend) {
    let env = Env::new(backend).await;
    let alpha = env.org("alpha").await;
    let beta = env.org("beta").await;
    let pdf = letters_pdf(&four_letters(1), &SENDER);
    let run = env
        .app
        .start_split_run(
            &alpha.actor,
            &pdf,
            "run.pdf",
            SplitMethod::Pages(1),
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    assert!(matches!(
        env.app.run(&beta.actor, run.id).await,
        Err(AppError::NotFound)
    ));
    assert!(
        env.app
            .runs(&beta.actor, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        env.app
            .runs(&alpha.actor, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    env.close().await;
}

/// `pdf` with a second content stream on page `page` (0-based) that unpacks
/// to `bytes` spaces: harmless to draw, costly to read.
fn with_heavy_page(pdf: &[u8], page: usize, bytes: usize) -> Vec<u8> {
    use courrier_documents::lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::load_mem(pdf).unwrap();
    let page_id = doc.page_iter().nth(page).unwrap();
    let mut heavy = Stream::new(dictionary! {}, vec![b' '; bytes]);
    heavy.compress().unwrap();
    assert!(heavy.content.len() < bytes / 100);
    let heavy = doc.add_object(heavy);
    let page = doc.get_object_mut(page_id).unwrap().as_dict_mut().unwrap();
    let contents = match page.get(b"Contents").unwrap().clone() {
        Object::Array(mut list) => {
            list.push(Object::Reference(heavy));
            list
        }
        one => vec![one, Object::Reference(heavy)],
    };
    page.set("Contents", Object::Array(contents));
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Each letter of a run is read within a budget of its own (on the document
/// workers): the one whose page unpacks to more than a document may is
/// refused with the budget's code, the others are made.
async fn a_letter_past_its_budget_is_refused_alone(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let mut letters = four_letters(2);
    letters[2] = letter(
        "Garage du Lac SA",
        "Route du Lac 3",
        "1800 Vevey",
        2,
        "REF-3",
    );
    let pdf = with_heavy_page(&letters_pdf(&letters, &SENDER), 2, 24 * 1024 * 1024);
    let run = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "invoices.pdf",
            SplitMethod::Pages(2),
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    finish(&env).await;
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Done, "{}", v.run.error);
    assert_eq!(
        (v.run.total, v.run.accepted, v.run.refused),
        (4, 3, 1),
        "{:?}",
        v.items
    );
    let heavy = &v.items[1];
    assert!(!heavy.accepted);
    assert!(
        heavy.reasons.starts_with("pdf.too_much_data"),
        "{}",
        heavy.reasons
    );
    assert!(v.items[0].accepted && v.items[2].accepted && v.items[3].accepted);
    env.close().await;
}

/// A run's file is read on the document workers within the time budget
/// (`document_seconds`): past it, the run fails with `pdf.too_slow`
/// instead of holding a thread.
async fn a_run_whose_file_cannot_be_read_in_time_fails_as_too_slow(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("alpha").await;
    let pdf = letters_pdf(&four_letters(2), &SENDER);
    let run = env
        .app
        .start_split_run(
            &org.actor,
            &pdf,
            "invoices.pdf",
            SplitMethod::Pages(2),
            LetterInput::default(),
            false,
        )
        .await
        .unwrap();
    // The same data, served by an instance whose documents get no time.
    let mut settings = test_settings(&format!("{PUBLIC_URL}/"));
    settings.document_seconds = 0;
    let hurried = courrier_app::App::new(
        env.db.store.clone(),
        courrier_store::blob::BlobStore::open(env.blob_path().to_str().unwrap()).unwrap(),
        env.master.clone(),
        env.clock.clone() as std::sync::Arc<dyn courrier_domain::Clock>,
        courrier_app::email::Mailer::NotConfigured,
        courrier_app::scan::VirusScanner::Disabled,
        settings,
    );
    let started = std::time::Instant::now();
    hurried.process_run(org.id, run.id, None).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let v = view(&env, &org, run.id).await;
    assert_eq!(v.run.state, RunState::Failed);
    assert!(v.run.error.contains("pdf.too_slow"), "{}", v.run.error);
    assert!(v.items.is_empty());
    drop(hurried);
    env.close().await;
}
