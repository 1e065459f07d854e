//! Hostile input over HTTP, on one in-process server with the demo data: every
//! file of the hostile corpus (`tests/hostile/*/`) posted to every endpoint
//! that takes a file, API and page form (letters and their letterhead and
//! attachments, quotes, runs and merge previews, scans, deliveries, envelope
//! photos, identity documents), is refused with a 4xx and a code within 2 s
//! (pages: the form again with the error and its `data-code`), and
//! `/healthz` answers after each; a slow document holds up neither
//! `/healthz` nor another organisation's requests.

use crate::support::*;
use courrier_domain::mailbox::Action;
use courrier_domain::{Actor, OrgKind, Permission, Role};
use reqwest::Method;
use std::path::Path;
use std::time::{Duration, Instant};

const OLIVIER: &str = "olivier.blanc@mc-lausanne.test";
const TOM: &str = "tom.schmid@mc-lausanne.test";
const EXTENSIONS: &[&str] = &["pdf", "jpg", "jpeg", "png", "csv", "xlsx", "ods", "xls"];

/// Every file of `tests/hostile/*/` with a known extension: (folder/name, bytes).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if EXTENSIONS.contains(&ext.as_str()) {
                let name = format!(
                    "{}/{}",
                    dir.file_name().unwrap().to_string_lossy(),
                    path.file_name().unwrap().to_string_lossy()
                );
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 20,
        "the corpus is in tests/hostile: {files:?}"
    );
    files
}

fn multipart(fields: &[(&str, &str)], name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    multipart_form(fields, &[("file", name, bytes)])
}

/// A good one-page letter to Dupont, to carry a hostile letterhead or
/// attachment.
fn good_letter() -> Vec<u8> {
    courrier_documents::sample::letters_pdf(
        &[courrier_documents::sample::SampleLetter {
            address: vec![
                "Boulangerie Dupont SàRL".into(),
                "Rue de Bourg 12".into(),
                "1003 Lausanne".into(),
            ],
            pages: 1,
            reference: "H-1".into(),
        }],
        &[
            "Helvetia Fiduciaire SA",
            "Avenue de la Gare 1, 1003 Lausanne",
        ],
    )
}

/// A customer in onboarding at the demo site: signed up, activated, with
/// one member. Returns the customer (an app actor, and signed in over
/// HTTP) and the member.
async fn onboarding_member(srv: &Server) -> (Actor, Browser, courrier_domain::MemberId) {
    use courrier_app::mailbox::{NewSignup, SignupOutcome};
    let email = "hostile@kiosque.test";
    let location = srv.app.signup_offers().await.unwrap()[0].location.id;
    let outcome = srv
        .app
        .sign_up(
            NewSignup {
                location,
                company: "Kiosque Hostile SA".into(),
                contact_name: "Léa Martin".into(),
                email: email.into(),
                locale: courrier_domain::Locale::En,
                plan: courrier_domain::mailbox::Plan::Monthly,
                accept_terms: true,
            },
            None,
        )
        .await
        .unwrap();
    let SignupOutcome::Created {
        mailbox,
        activation_link,
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    let token = activation_link.rsplit('/').next().unwrap();
    srv.app.activate_signup(token, PASSWORD).await.unwrap();
    let u = user(&srv.app, email).await;
    let customer = Actor::user(u.id, u.org, OrgKind::Customer, Role::Admin, None);
    let member = srv
        .app
        .add_mailbox_member(
            &customer,
            mailbox.id,
            location,
            "Léa Martin",
            courrier_store::MemberKind::Person,
        )
        .await
        .unwrap();
    (customer, srv.signed_in(email).await, member.id)
}

/// A page's answer to a hostile file: a 4xx with the form's error (and its
/// code) shown.
fn assert_page_refused(name: &str, endpoint: &str, res: &Resp) {
    assert!(
        (400..500).contains(&res.status),
        "{name} to {endpoint}: {} {}",
        res.status,
        res.body
    );
    assert!(
        res.body.contains("role=\"alert\""),
        "{name} to {endpoint}: no error shown in {}",
        res.body
    );
    let code = scrape_attr(&res.body, "data-code=\"").unwrap_or_default();
    assert!(
        !code.is_empty(),
        "{name} to {endpoint}: no code shown in {}",
        res.body
    );
}

/// Asks for a scan of the first of Marie's items a scan can be asked for
/// (not scanned, no scan asked yet) and returns the task.
async fn scan_task(srv: &Server) -> courrier_domain::TaskId {
    let items = srv
        .app
        .search_mail(
            &srv.marie(),
            "",
            &courrier_store::ItemFilter::default(),
            None,
            50,
        )
        .await
        .unwrap()
        .items;
    for item in &items {
        let asked = srv
            .app
            .request_action(&srv.marie(), &[item.item.id], &Action::Scan)
            .await
            .unwrap()
            .pop()
            .and_then(|(_, r)| r.ok());
        if let Some(courrier_app::mailbox::Requested::Task(t)) = asked {
            return t.id;
        }
    }
    panic!("none of Marie's {} items can be scanned", items.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_hostile_file_is_refused_by_every_upload_endpoint() {
    let srv = Server::start(Backend::Sqlite).await;
    let anna = srv.api(
        &srv.key(
            &srv.anna(),
            &[
                Permission::LettersSend,
                Permission::LettersRead,
                Permission::MailboxRead,
            ],
        )
        .await,
    );
    // A task done by a file that may pass is replaced by a new one, so that
    // every file meets an open task.
    let mut task = scan_task(&srv).await;
    let o = user(&srv.app, OLIVIER).await;
    let owner = Actor::user(o.id, o.org, OrgKind::MailCenter, Role::Owner, None);
    let center = srv.api(&srv.key(&owner, &[Permission::MailCenterOperate]).await);
    let anon = srv.anonymous_api();
    let dupont = srv.demo.dupont;
    let (customer, _, member) = onboarding_member(&srv).await;
    let kiosque = srv.api(&srv.key(&customer, &[Permission::MailboxAct]).await);
    let letter = good_letter();
    for (name, bytes) in corpus() {
        let raw = |api: &Api, path: &str| {
            api.request(Method::POST, path)
                .header("content-type", "application/pdf")
                .body(bytes.clone())
        };
        let form = |api: &Api, path: &str, fields: &[(&str, &str)]| {
            let (ct, body) = multipart(fields, &name, &bytes);
            api.request(Method::POST, path)
                .header("content-type", ct)
                .body(body)
        };
        // A good letter with the hostile file in another part.
        let with_letter = |api: &Api, path: &str, fields: &[(&str, &str)], part: &str| {
            let (ct, body) = multipart_form(
                fields,
                &[("file", "letter.pdf", &letter), (part, &name, &bytes)],
            );
            api.request(Method::POST, path)
                .header("content-type", ct)
                .body(body)
        };
        let requests = vec![
            ("letter (raw)", raw(&anna, "/api/v1/letters")),
            ("letter (form)", form(&anna, "/api/v1/letters", &[])),
            (
                "letterhead",
                with_letter(&anna, "/api/v1/letters", &[], "background"),
            ),
            (
                "attachment",
                with_letter(&anna, "/api/v1/letters", &[], "attachment"),
            ),
            ("quote", raw(&anna, "/api/v1/quotes")),
            (
                "split run",
                raw(&anna, "/api/v1/runs?method=pages:1&filename=bulk.pdf"),
            ),
            (
                "merge run",
                form(&anna, "/api/v1/runs", &[("kind", "merge")]),
            ),
            (
                "merge preview",
                form(&anna, "/api/v1/runs/preview", &[("rows", "2")]),
            ),
            (
                "scan",
                form(&center, &format!("/api/v1/center/tasks/{task}/scan"), &[]),
            ),
            (
                "delivery",
                raw(
                    &anna,
                    &format!("/api/v1/deliveries?recipient_org={dupont}&reference=H-1"),
                ),
            ),
            (
                "identity document",
                form(
                    &kiosque,
                    &format!("/api/v1/mailbox/members/{member}/documents"),
                    &[("kind", "passport"), ("side", "single")],
                ),
            ),
        ];
        let mut task_done = false;
        for (endpoint, request) in requests {
            // An empty letterhead or attachment part is what a browser sends
            // for a file input left empty: no file, and a good letter.
            if bytes.is_empty() && matches!(endpoint, "letterhead" | "attachment") {
                continue;
            }
            let started = Instant::now();
            let res = anna.send(request).await;
            let took = started.elapsed();
            task_done |= endpoint == "scan" && res.status < 400;
            // A file hostile to letters only may go to the mailbox, and a
            // split run refuses its letters one by one in the background.
            // A letterhead or an attachment has no address to refuse it for.
            let may_pass = name.contains("/letter-")
                && matches!(
                    endpoint,
                    "scan"
                        | "delivery"
                        | "split run"
                        | "identity document"
                        | "letterhead"
                        | "attachment"
                );
            if !may_pass {
                assert!(
                    (400..500).contains(&res.status),
                    "{name} to {endpoint}: {} {}",
                    res.status,
                    res.body
                );
                assert!(
                    !res.code().is_empty(),
                    "{name} to {endpoint}: no code in {}",
                    res.body
                );
            }
            assert!(
                took < Duration::from_secs(2),
                "{name} to {endpoint} took {took:?}"
            );
            let health = anon.get("/healthz").await;
            assert_eq!(health.status, 200, "after {name} to {endpoint}");
        }
        if task_done {
            task = scan_task(&srv).await;
        }
    }
    srv.stop().await;
}

/// A page form that takes files: where it is, its fields and the part the
/// hostile file goes in (with a good letter as the `file` part when the
/// hostile file goes elsewhere).
struct PageForm {
    endpoint: &'static str,
    path: String,
    fields: Vec<(&'static str, String)>,
    part: &'static str,
    /// Files hostile to letters only may be taken (a scan, an identity
    /// document, a letterhead; a split run refuses its letters one by one
    /// later).
    letters_only: bool,
    /// The file may be left out: an empty part is no file (what a browser
    /// sends for a file input left empty).
    optional: bool,
}

impl PageForm {
    fn new(endpoint: &'static str, path: &str, fields: &[(&'static str, &str)]) -> PageForm {
        PageForm {
            endpoint,
            path: path.to_string(),
            fields: fields.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            part: "file",
            letters_only: false,
            optional: false,
        }
    }

    /// The hostile file goes in `part` (optional, as a letter's letterhead
    /// and attachments are), next to a good letter.
    fn in_part(mut self, part: &'static str) -> PageForm {
        self.part = part;
        self.optional = true;
        self.letters_only = true;
        self
    }

    fn optional(mut self) -> PageForm {
        self.optional = true;
        self
    }

    fn taking_letter_files(mut self) -> PageForm {
        self.letters_only = true;
        self
    }
}

async fn post_page(b: &Browser, form: &PageForm, name: &str, bytes: &[u8]) -> Resp {
    let fields: Vec<(&str, &str)> = form.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let letter = good_letter();
    let mut files: Vec<(&str, &str, &[u8])> = Vec::new();
    if form.part != "file" {
        files.push(("file", "letter.pdf", &letter));
    }
    files.push((form.part, name, bytes));
    let (ct, body) = multipart_form(&fields, &files);
    Resp::read(
        b.client
            .post(b.url(&form.path))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_hostile_file_is_refused_by_every_page_form() {
    let srv = Server::start(Backend::Sqlite).await;
    let anon = srv.anonymous_api();
    // Anna sends letters and runs.
    let anna = srv.signed_in(ANNA).await;
    let anna_csrf = anna.csrf().await;
    let a = |k: &'static str| (k, anna_csrf.as_str());
    let anna_forms = [
        PageForm::new("letter page", "/letters/new", &[a("csrf_token")]),
        PageForm::new("letterhead page", "/letters/new", &[a("csrf_token")]).in_part("background"),
        PageForm::new("attachment page", "/letters/new", &[a("csrf_token")]).in_part("attachment"),
        PageForm::new(
            "split run page",
            "/runs/new",
            &[
                a("csrf_token"),
                ("kind", "split"),
                ("split", "pages"),
                ("pages", "1"),
            ],
        )
        .taking_letter_files(),
        PageForm::new(
            "merge run page",
            "/runs/new",
            &[a("csrf_token"), ("kind", "merge")],
        ),
        PageForm::new(
            "merge preview page",
            "/runs/new",
            &[a("csrf_token"), ("kind", "merge"), ("action", "preview")],
        ),
    ];
    // Tom logs envelopes and completes scan tasks at the Lausanne center.
    let u = user(&srv.app, TOM).await;
    let tom_actor = Actor::user(u.id, u.org, OrgKind::MailCenter, Role::Clerk, None);
    let location = srv.app.own_locations(&tom_actor).await.unwrap()[0]
        .id
        .to_string();
    let tom = srv.signed_in(TOM).await;
    let intake = tom
        .get(&format!("/center/intake?location={location}"))
        .await;
    assert_eq!(intake.status, 200, "{}", intake.body);
    let tom_csrf = intake.csrf();
    let recipient = scrape_attr(&intake.body, "data-member=\"").unwrap();
    let intake_form = PageForm::new(
        "envelope photo page",
        "/center/intake",
        &[
            ("csrf_token", &tom_csrf),
            ("location", &location),
            ("recipient", &recipient),
            ("kind", "letter"),
            ("format", "a5"),
            ("weight", "20"),
        ],
    )
    .optional();
    let scan_form = |task: courrier_domain::TaskId| {
        PageForm::new(
            "scan page",
            &format!("/center/tasks/{task}/complete"),
            &[
                ("csrf_token", &tom_csrf),
                ("location", &location),
                ("completion", "scan"),
            ],
        )
        .taking_letter_files()
    };
    let mut scan = scan_form(scan_task(&srv).await);
    // A customer in onboarding uploads identity documents.
    let (_, customer, member) = onboarding_member(&srv).await;
    let customer_csrf = customer.get("/mail/onboarding").await.csrf();
    let identity_form = PageForm::new(
        "identity document page",
        &format!("/mail/onboarding/members/{member}/documents"),
        &[
            ("csrf_token", &customer_csrf),
            ("kind", "passport"),
            ("side", "single"),
        ],
    )
    .taking_letter_files();

    for (name, bytes) in corpus() {
        let mut sent: Vec<(&Browser, &PageForm)> = anna_forms.iter().map(|f| (&anna, f)).collect();
        sent.push((&tom, &intake_form));
        sent.push((&tom, &scan));
        sent.push((&customer, &identity_form));
        let mut task_done = false;
        for (browser, form) in sent {
            // An empty optional part (letterhead, attachment, envelope photo)
            // is what a browser sends for a file input left empty: no file.
            if bytes.is_empty() && form.optional {
                continue;
            }
            let started = Instant::now();
            let res = post_page(browser, form, &name, &bytes).await;
            let took = started.elapsed();
            let may_pass = form.letters_only && name.contains("/letter-");
            if may_pass && res.status < 400 {
                task_done |= form.endpoint == "scan page";
            } else {
                assert_page_refused(&name, form.endpoint, &res);
            }
            assert!(
                took < Duration::from_secs(2),
                "{name} to {} took {took:?}",
                form.endpoint
            );
            let health = anon.get("/healthz").await;
            assert_eq!(health.status, 200, "after {name} to {}", form.endpoint);
        }
        if task_done {
            scan = scan_form(scan_task(&srv).await);
        }
    }
    srv.stop().await;
}

/// An A4 page whose content is 12 MB of drawing operators: slow to read,
/// within every limit.
fn slow_pdf() -> Vec<u8> {
    let stream = "0 0 m\n".repeat(2_000_000).into_bytes();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.276 841.89] /Contents 4 0 R >>".to_vec(),
        {
            let mut s = format!("<< /Length {} >>\nstream\n", stream.len()).into_bytes();
            s.extend_from_slice(&stream);
            s.extend_from_slice(b"\nendstream");
            s
        },
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_documents_hold_up_neither_healthz_nor_other_tenants() {
    let srv = Server::start(Backend::Sqlite).await;
    let anna_key = srv.key(&srv.anna(), &[Permission::LettersSend]).await;
    let marie = srv.api(&srv.key(&srv.marie(), &[Permission::LettersRead]).await);
    let anon = srv.anonymous_api();
    let pdf = slow_pdf();
    // More slow uploads at once than the server has async workers.
    let uploads = std::thread::available_parallelism().map_or(4, |n| n.get()) + 4;
    let mut slow = tokio::task::JoinSet::new();
    for _ in 0..uploads {
        let client = srv.api(&anna_key);
        let body = pdf.clone();
        slow.spawn(async move {
            let request = client
                .request(Method::POST, "/api/v1/quotes")
                .header("content-type", "application/pdf")
                .body(body);
            let res = client.send(request).await;
            (Instant::now(), res.status)
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let health = anon.get("/healthz").await;
    let health_at = Instant::now();
    assert_eq!(health.status, 200);
    let letters = marie.get("/api/v1/letters").await;
    let other_at = Instant::now();
    assert_eq!(letters.status, 200, "{}", letters.body);
    let mut first_done: Option<Instant> = None;
    while let Some(done) = slow.join_next().await {
        let (at, status) = done.unwrap();
        assert!(status >= 200, "{status}");
        first_done = Some(first_done.map_or(at, |f| f.min(at)));
    }
    let first_done = first_done.unwrap();
    assert!(
        health_at < first_done,
        "/healthz answered only after a slow upload finished"
    );
    assert!(
        other_at < first_done,
        "another organisation waited for a slow upload"
    );
    srv.stop().await;
}
