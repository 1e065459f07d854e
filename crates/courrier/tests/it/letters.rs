//! Single letters over HTTP, on both backends: uploads (multipart and raw
//! PDF bytes, API and web form), quotes that store nothing, refusals with
//! every code, the pages and the preview picture, other organisations' ids,
//! cancelling, the approval flow, CSRF, idempotent creation; and the
//! `courrier send` client against a `courrier serve` child process.

use crate::support::*;
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::Permission;
use courrier_domain::letters::LetterStatus;
use courrier_store::Outbox;
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    letters_upload_quote_list_and_pages,
    letters_refusals_store_nothing,
    letters_of_another_org_answer_404,
    letters_cancel_until_production,
    letters_approval_flow_and_settings,
    letters_idempotent_creation_and_oversized_uploads,
    letters_with_letterhead_and_attachments,
);

const LAUSANNE: [&str; 3] = [
    "Boulangerie Dupont SàRL",
    "Rue de Bourg 12",
    "1003 Lausanne",
];

/// One sample letter to a Lausanne bakery, `pages` long.
fn sample(pages: u32, reference: &str) -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: LAUSANNE.iter().map(|s| s.to_string()).collect(),
            pages,
            reference: reference.into(),
        }],
        &[
            "Helvetia Fiduciaire SA",
            "Avenue de la Gare 1, 1003 Lausanne",
        ],
    )
}

/// The sample on US Letter pages (612 × 792 pt), same byte length so the
/// cross-reference table stays right.
fn not_a4() -> Vec<u8> {
    let pdf = String::from_utf8_lossy(&sample(1, "US")).into_owned();
    assert!(
        pdf.contains("595.276") && pdf.contains("841.89"),
        "the sample's MediaBox is written as expected"
    );
    pdf.replace("595.276", "612.000")
        .replace("841.89", "792.00")
        .into_bytes()
}

const BOUNDARY: &str = "courrier-test-7d1f0c";

/// A `multipart/form-data` body by hand: the fields, then the file part.
fn multipart(fields: &[(&str, &str)], file: Option<&[u8]>) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some(f) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"letter.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(f);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A `multipart/form-data` body with the fields and any file parts
/// (part name, file name, bytes).
fn multipart_files(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let (ct, body) = multipart(fields, None);
    let end = format!("--{BOUNDARY}--\r\n");
    let mut body = body[..body.len() - end.len()].to_vec();
    for (part, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(end.as_bytes());
    (ct, body)
}

async fn api_upload_raw(api: &Api, path: &str, pdf: &[u8]) -> Resp {
    api.send(
        api.request(Method::POST, path)
            .header("content-type", "application/pdf")
            .body(pdf.to_vec()),
    )
    .await
}

async fn api_upload_multipart(
    api: &Api,
    path: &str,
    fields: &[(&str, &str)],
    pdf: Option<&[u8]>,
) -> Resp {
    let (ct, body) = multipart(fields, pdf);
    api.send(
        api.request(Method::POST, path)
            .header("content-type", ct)
            .body(body),
    )
    .await
}

async fn page_upload(b: &Browser, fields: &[(&str, &str)], pdf: Option<&[u8]>) -> Resp {
    let (ct, body) = multipart(fields, pdf);
    Resp::read(
        b.client
            .post(b.url("/letters/new"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Codes of a 422's `errors`.
fn codes(res: &Resp) -> Vec<String> {
    res.json()["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["code"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn letter_count(srv: &Server, org: courrier_domain::OrgId) -> usize {
    srv.app
        .store
        .list_letters(
            &srv.scope(org),
            &courrier_store::LetterFilter::default(),
            None,
            200,
        )
        .await
        .unwrap()
        .items
        .len()
}

async fn anna_key(srv: &Server) -> String {
    srv.key(
        &srv.anna(),
        &[
            Permission::LettersSend,
            Permission::LettersRead,
            Permission::LettersApprove,
        ],
    )
    .await
}

/// Creates a letter over the API (as Anna's key) and returns its id.
async fn create(api: &Api, query: &str) -> String {
    let res = api_upload_raw(api, &format!("/api/v1/letters{query}"), &sample(1, "C")).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()["id"].as_str().unwrap().to_string()
}

// ----- uploads, quotes, the list and the pages -----

async fn letters_upload_quote_list_and_pages(backend: Backend) {
    let srv = Server::start(backend).await;
    let api = srv.api(&anna_key(&srv).await);
    let pdf = sample(2, "2026-0001");

    // A quote prices the letter and stores nothing.
    let q = api_upload_raw(&api, "/api/v1/quotes?envelope=c5&colour=bw", &pdf).await;
    assert_eq!(q.status, 200, "{}", q.body);
    let q = q.json();
    assert!(
        q["price"]["total"]["amount_minor"].as_i64().unwrap() > 0,
        "{q}"
    );
    assert_eq!(q["price"]["total"]["currency"], "CHF");
    let delivery = q["expected_delivery"].as_str().unwrap();
    assert!(delivery.len() == 10 && delivery.starts_with("2026-"), "{q}");
    assert_eq!(q["recipient"]["name"], LAUSANNE[0]);
    assert_eq!(q["recipient"]["country"], "CH");
    assert!(
        q["window_lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == LAUSANNE[1])
    );
    assert!(q["weight_grams"].as_i64().unwrap() > 0);
    let q2 = api_upload_multipart(&api, "/api/v1/quotes", &[("envelope", "c4")], Some(&pdf)).await;
    assert_eq!(q2.status, 200, "{}", q2.body);
    assert_eq!(q2.json()["options"]["envelope"], "c4");
    assert_eq!(
        letter_count(&srv, srv.demo.helvetia).await,
        0,
        "a quote stores nothing"
    );

    // Multipart upload: a draft.
    let res = api_upload_multipart(
        &api,
        "/api/v1/letters",
        &[("envelope", "c5"), ("colour", "bw"), ("reference", "INV-1")],
        Some(&pdf),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let draft = res.json();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["reference"], "INV-1");
    assert_eq!(draft["pages"], 2);
    assert_eq!(draft["recipient"]["locality"], "Lausanne");
    assert!(
        draft["created_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-01-01T00:00:00")
    );
    let draft_id = draft["id"].as_str().unwrap().to_string();

    // Raw bytes with the options in the query string, submitted at once.
    let res = api_upload_raw(
        &api,
        "/api/v1/letters?envelope=c4&colour=colour&sides=duplex&reference=INV-2&submit=true",
        &pdf,
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let accepted = res.json();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["options"]["envelope"], "c4");
    assert_eq!(accepted["options"]["colour"], "colour");
    assert_eq!(accepted["options"]["paper"], "90g");
    assert_eq!(accepted["options"]["sides"], "duplex");
    let accepted_id = accepted["id"].as_str().unwrap().to_string();
    // Anything but PDF or multipart is refused.
    let res = api
        .send(
            api.request(Method::POST, "/api/v1/letters")
                .json(&json!({"file": "x"})),
        )
        .await;
    assert_eq!(res.status, 415, "{}", res.body);
    // A multipart form without its file.
    let res = api_upload_multipart(&api, "/api/v1/letters", &[("envelope", "c5")], None).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.code(), "upload.file_missing");

    // The list with its filters and cursor.
    let all = api.get("/api/v1/letters").await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let one = api.get("/api/v1/letters?reference=inv-2").await.json();
    assert_eq!(one["items"][0]["id"], accepted_id.as_str());
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let drafts = api.get("/api/v1/letters?status=draft").await.json();
    assert_eq!(drafts["items"][0]["id"], draft_id.as_str());
    assert_eq!(drafts["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        api.get("/api/v1/letters?recipient=lausanne").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        api.get("/api/v1/letters?from=2026-01-02").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        api.get("/api/v1/letters?to=2026-01-01").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let page1 = api.get("/api/v1/letters?limit=1").await.json();
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = api
        .get(&format!("/api/v1/letters?limit=1&cursor={cursor}"))
        .await
        .json();
    assert_ne!(page1["items"][0]["id"], page2["items"][0]["id"]);
    let bad = api.get("/api/v1/letters?status=lost&from=yesterday").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(codes(&bad), ["letter.status_unknown", "date.invalid"]);

    // Detail with history; PATCH a draft; the document.
    let detail = api
        .get(&format!("/api/v1/letters/{accepted_id}"))
        .await
        .json();
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["draft", "accepted"]);
    let res = api
        .call(
            Method::PATCH,
            &format!("/api/v1/letters/{draft_id}"),
            Some(json!({"envelope": "c4", "reference": "INV-1b"})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["options"]["envelope"], "c4");
    assert_eq!(res.json()["reference"], "INV-1b");
    let res = api
        .call(
            Method::PATCH,
            &format!("/api/v1/letters/{draft_id}"),
            Some(json!({"envelope": "c9", "product": "fast"})),
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        codes(&res),
        ["letter.envelope_unknown", "letter.product_unknown"]
    );
    let res = api
        .call(
            Method::PATCH,
            &format!("/api/v1/letters/{accepted_id}"),
            Some(json!({"envelope": "c5"})),
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.code(), "letter.not_a_draft");
    let res = api
        .send(api.request(Method::GET, &format!("/api/v1/letters/{draft_id}/document")))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/pdf"));
    assert!(res.body.starts_with("%PDF"));

    // The pages.
    let anna = srv.signed_in(ANNA).await;
    let list = anna.get("/letters").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&draft_id) && list.body.contains(&accepted_id));
    assert!(list.body.contains("CHF "), "prices as money");
    assert!(list.body.contains(r#"data-status="accepted""#));
    let filtered = anna.get("/letters?status=draft&reference=INV").await;
    assert!(filtered.body.contains(&draft_id) && !filtered.body.contains(&accepted_id));
    let bad = anna.get("/letters?from=notadate").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("date.invalid"));
    let detail = anna.get(&format!("/letters/{draft_id}")).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(
        detail.body.contains("Boulangerie Dupont SàRL") && detail.body.contains("1003 Lausanne")
    );
    assert!(
        detail
            .body
            .contains(&format!("/letters/{draft_id}/preview.png"))
    );
    assert!(
        detail.body.contains("window-zone") && detail.body.contains(r#"x="10.48%" y="20.20%""#),
        "Swiss left window overlay"
    );
    assert!(
        detail.body.contains(r#"id="submit-form""#) && detail.body.contains(r#"id="edit-form""#)
    );
    let doc = Resp::read(
        anna.client
            .get(anna.url(&format!("/letters/{draft_id}/document.pdf")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.header("cache-control"), Some("private, no-store"));
    // The preview is drawn in process: always there, page 1 of A4 at 50 dpi.
    let res = anna
        .client
        .get(anna.url(&format!("/letters/{draft_id}/preview.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    let png = res.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    // The IHDR chunk: width and height, big-endian, at bytes 16..24.
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (413, 584), "A4 at 50 dpi");

    // The web form: upload (CSRF checked) → draft → detail; edit; submit.
    let csrf = anna.csrf().await;
    let new = anna.get("/letters/new").await;
    assert_eq!(new.status, 200);
    assert!(new.body.contains(r#"enctype="multipart/form-data""#));
    let before = letter_count(&srv, srv.demo.helvetia).await;
    let res = page_upload(
        &anna,
        &[("envelope", "c5"), ("reference", "WEB-1")],
        Some(&pdf),
    )
    .await;
    assert_eq!(res.status, 403, "no CSRF token: {}", res.body);
    assert_eq!(letter_count(&srv, srv.demo.helvetia).await, before);
    let res = page_upload(
        &anna,
        &[("csrf_token", "forged"), ("envelope", "c5")],
        Some(&pdf),
    )
    .await;
    assert_eq!(res.status, 403);
    let res = page_upload(
        &anna,
        &[
            ("csrf_token", &csrf),
            ("envelope", "c5"),
            ("reference", "WEB-1"),
        ],
        Some(&pdf),
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let web_id = res
        .location()
        .unwrap()
        .strip_prefix("/letters/")
        .unwrap()
        .to_string();
    assert_eq!(letter_count(&srv, srv.demo.helvetia).await, before + 1);
    let res = anna
        .post_form(
            &format!("/letters/{web_id}/edit"),
            &[
                ("envelope", "c4"),
                ("colour", "bw"),
                ("sides", "simplex"),
                ("product", "priority"),
                ("registered", "none"),
                ("reference", "WEB-1"),
            ],
        )
        .await;
    assert_eq!(res.status, 403, "edit needs the token");
    let res = anna
        .post_form(
            &format!("/letters/{web_id}/edit"),
            &[
                ("csrf_token", &csrf),
                ("envelope", "c4"),
                ("colour", "bw"),
                ("sides", "simplex"),
                ("product", "priority"),
                ("registered", "none"),
                ("reference", "WEB-1"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // A registered letter needs a return address, which Helvetia has not set: refused, shown on the page.
    let res = anna
        .post_form(
            &format!("/letters/{web_id}/edit"),
            &[
                ("csrf_token", &csrf),
                ("envelope", "c4"),
                ("colour", "bw"),
                ("sides", "simplex"),
                ("product", "priority"),
                ("registered", "registered"),
                ("reference", "WEB-1"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body.contains("letter.return_address_missing"),
        "{}",
        res.body
    );
    let res = anna
        .post_form(&format!("/letters/{web_id}/submit"), &[])
        .await;
    assert_eq!(res.status, 403, "submit needs the token");
    let res = anna
        .post_form(
            &format!("/letters/{web_id}/submit"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let web = api.get(&format!("/api/v1/letters/{web_id}")).await.json();
    assert_eq!(web["status"], "accepted");
    assert_eq!(web["options"]["envelope"], "c4");

    // In French.
    let res = anna
        .post_form(
            "/lang",
            &[
                ("locale", "fr"),
                ("csrf_token", &csrf),
                ("back", "/letters"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    for path in [
        "/letters".to_string(),
        "/letters/new".to_string(),
        format!("/letters/{draft_id}"),
        "/org/letters".to_string(),
        "/letters/approvals".to_string(),
    ] {
        let page = anna.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains(r#"<html lang="fr">"#), "{path}");
        assert!(
            page.body.contains(">Lettres<"),
            "{path}: the nav link in French"
        );
    }
    let page = anna.get(&format!("/letters/{web_id}")).await;
    assert!(page.body.contains("Acceptée") && page.body.contains("Historique des statuts"));
    srv.stop().await;
}

// ----- refusals -----

async fn letters_refusals_store_nothing(backend: Backend) {
    let srv = Server::start(backend).await;
    let api = srv.api(&anna_key(&srv).await);

    let res = api_upload_raw(&api, "/api/v1/letters", &not_a4()).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        codes(&res).contains(&"pdf.not_a4".to_string()),
        "{}",
        res.body
    );
    let res = api_upload_raw(
        &api,
        "/api/v1/letters?submit=true",
        b"%PDF-1.7\nthis is not a PDF at all",
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.code(), "pdf.unreadable");
    assert!(codes(&res).contains(&"pdf.unreadable".to_string()));
    let res = api_upload_multipart(&api, "/api/v1/quotes", &[], Some(b"GIF89a")).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.code(), "pdf.unreadable");
    // Bad options and a bad document: every problem at once.
    let res = api_upload_raw(
        &api,
        "/api/v1/letters?envelope=c9&colour=pink",
        &sample(1, "X"),
    )
    .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        codes(&res),
        ["letter.envelope_unknown", "letter.colour_unknown"]
    );
    // Too many sheets for a US/DL envelope (at most 6).
    let res = api_upload_raw(&api, "/api/v1/letters?envelope=us_dl", &sample(7, "LONG")).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        codes(&res).contains(&"letter.too_many_sheets".to_string()),
        "{}",
        res.body
    );
    assert_eq!(
        letter_count(&srv, srv.demo.helvetia).await,
        0,
        "nothing refused was stored"
    );

    // The web form shows every problem with its code.
    let anna = srv.signed_in(ANNA).await;
    let csrf = anna.csrf().await;
    let res = page_upload(&anna, &[("csrf_token", &csrf)], Some(&not_a4())).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains(r#"data-code="pdf.not_a4""#),
        "{}",
        res.body
    );
    let res = page_upload(&anna, &[("csrf_token", &csrf)], Some(b"broken")).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains(r#"data-code="pdf.unreadable""#));
    let res = page_upload(&anna, &[("csrf_token", &csrf)], None).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains(r#"data-code="upload.file_missing""#));
    assert_eq!(letter_count(&srv, srv.demo.helvetia).await, 0);
    srv.stop().await;
}

// ----- other organisations' letters -----

async fn letters_of_another_org_answer_404(backend: Backend) {
    let srv = Server::start(backend).await;
    let api = srv.api(&anna_key(&srv).await);
    let id = create(&api, "").await;
    let accepted = create(&api, "?submit=true").await;

    let marie_key = srv
        .key(
            &srv.marie(),
            &[
                Permission::LettersSend,
                Permission::LettersRead,
                Permission::LettersApprove,
            ],
        )
        .await;
    let marie_api = srv.api(&marie_key);
    for id in [&id, &accepted] {
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/letters/{id}"), None),
            (Method::GET, format!("/api/v1/letters/{id}/document"), None),
            (
                Method::PATCH,
                format!("/api/v1/letters/{id}"),
                Some(json!({"envelope": "c4"})),
            ),
            (Method::POST, format!("/api/v1/letters/{id}/submit"), None),
            (Method::POST, format!("/api/v1/letters/{id}/approve"), None),
            (
                Method::POST,
                format!("/api/v1/letters/{id}/reject"),
                Some(json!({"reason": "no"})),
            ),
            (Method::POST, format!("/api/v1/letters/{id}/cancel"), None),
        ] {
            let res = marie_api.call(method.clone(), &path, body).await;
            assert_eq!(res.status, 404, "{method} {path}: {}", res.body);
            assert_eq!(res.code(), "not_found");
        }
    }
    assert!(
        marie_api.get("/api/v1/letters").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(marie_api.get("/api/v1/letters/not-an-id").await.status, 404);

    let marie = srv.signed_in(MARIE).await;
    let csrf = marie.csrf().await;
    for path in [
        format!("/letters/{id}"),
        format!("/letters/{id}/preview.png"),
        format!("/letters/{id}/document.pdf"),
    ] {
        let res = marie.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
    }
    for action in ["edit", "submit", "approve", "reject", "cancel"] {
        let res = marie
            .post_form(
                &format!("/letters/{id}/{action}"),
                &[("csrf_token", &csrf), ("reason", "no"), ("envelope", "c4")],
            )
            .await;
        assert_eq!(res.status, 404, "{action}: {}", res.body);
    }
    assert!(!marie.get("/letters").await.body.contains(&id));
    // Nothing moved.
    let anna_view = api.get(&format!("/api/v1/letters/{id}")).await.json();
    assert_eq!(anna_view["status"], "draft");
    assert_eq!(anna_view["options"]["envelope"], "c5");
    srv.stop().await;
}

// ----- cancelling -----

async fn letters_cancel_until_production(backend: Backend) {
    let srv = Server::start(backend).await;
    let api = srv.api(&anna_key(&srv).await);
    let draft = create(&api, "").await;
    let res = api
        .call(
            Method::POST,
            &format!("/api/v1/letters/{draft}/cancel"),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["status"], "cancelled");
    let res = api
        .call(
            Method::POST,
            &format!("/api/v1/letters/{draft}/submit"),
            None,
        )
        .await;
    assert_eq!(res.status, 422, "a cancelled letter cannot be submitted");

    let accepted = create(&api, "?submit=true").await;
    let anna = srv.signed_in(ANNA).await;
    let csrf = anna.csrf().await;
    let page = anna.get(&format!("/letters/{accepted}")).await;
    assert!(page.body.contains(r#"id="cancel-form""#));
    let res = anna
        .post_form(
            &format!("/letters/{accepted}/cancel"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        api.get(&format!("/api/v1/letters/{accepted}")).await.json()["status"],
        "cancelled"
    );

    // In production: too late.
    let printing = create(&api, "?submit=true").await;
    let id: courrier_domain::LetterId = printing.parse().unwrap();
    let scope = srv.scope(srv.demo.helvetia);
    srv.app
        .store
        .set_letter_status(
            &scope,
            id,
            LetterStatus::Accepted,
            LetterStatus::InProduction,
            "",
            srv.app.now(),
            &Outbox::NONE,
        )
        .await
        .unwrap();
    let res = api
        .call(
            Method::POST,
            &format!("/api/v1/letters/{printing}/cancel"),
            None,
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.code(), "letter.cannot_cancel");
    let page = anna.get(&format!("/letters/{printing}")).await;
    assert!(
        !page.body.contains(r#"id="cancel-form""#),
        "no cancel button in production"
    );
    let res = anna
        .post_form(
            &format!("/letters/{printing}/cancel"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("letter.cannot_cancel"));
    assert_eq!(
        api.get(&format!("/api/v1/letters/{printing}")).await.json()["status"],
        "in_production"
    );
    srv.stop().await;
}

// ----- approvals and settings -----

async fn letters_approval_flow_and_settings(backend: Backend) {
    let srv = Server::start(backend).await;
    let d = srv.demo;
    let anna = srv.signed_in(ANNA).await;
    let csrf = anna.csrf().await;

    // The settings page: only people with org.settings.
    let page = anna.get("/org/letters").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&d.sara.to_string()));
    let sara_id = d.sara.to_string();
    let form = |retention: &'static str| {
        vec![
            ("approval", sara_id.clone()),
            ("retention_days", retention.to_string()),
            ("window_standard", "swiss_left".to_string()),
            (
                "return_address",
                "Helvetia Fiduciaire SA, Avenue de la Gare 1, 1003 Lausanne".to_string(),
            ),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>, token: Option<String>| {
        let mut fields = fields;
        if let Some(t) = token {
            fields.push(("csrf_token", t));
        }
        let b = &anna;
        async move {
            Resp::read(
                b.client
                    .post(b.url("/org/letters"))
                    .form(&fields)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let res = post(form("60"), None).await;
    assert_eq!(res.status, 403, "settings need the token");
    let res = post(form("0"), Some(csrf.clone())).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains(r#"data-code="letter.retention_invalid""#),
        "{}",
        res.body
    );
    let res = post(form("4000"), Some(csrf.clone())).await;
    assert_eq!(res.status, 422);
    let res = post(form("60"), Some(csrf.clone())).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/org/letters?saved=1"));
    let settings = srv.app.store.letter_settings(d.helvetia).await.unwrap();
    assert_eq!(settings.approval_required_for, vec![d.sara]);
    assert_eq!(settings.retention_days, 60);
    assert!(!settings.return_address.is_empty());
    let page = anna.get("/org/letters?saved=1").await;
    assert!(page.body.contains(r#"id="saved""#));
    // Another organisation's person cannot be put on the list.
    let mut other = form("60");
    other.push(("approval", d.marie.to_string()));
    let res = post(other, Some(csrf.clone())).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("letter.approval_user_unknown"));
    let sara = srv.signed_in(SARA).await;
    assert_eq!(
        sara.get("/org/letters").await.status,
        403,
        "a member has no org.settings"
    );
    assert_eq!(
        sara.get("/letters/approvals").await.status,
        403,
        "a member approves nothing"
    );

    // Sara sends a letter: it waits, and the approvers get an e-mail.
    let sara_csrf = sara.csrf().await;
    let res = page_upload(
        &sara,
        &[("csrf_token", &sara_csrf), ("reference", "SARA-1")],
        Some(&sample(1, "SARA-1")),
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let id = res
        .location()
        .unwrap()
        .strip_prefix("/letters/")
        .unwrap()
        .to_string();
    let res = sara
        .post_form(
            &format!("/letters/{id}/submit"),
            &[("csrf_token", &sara_csrf)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = sara.get(&format!("/letters/{id}")).await;
    assert!(
        page.body.contains(r#"data-status="awaiting_approval""#),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(r#"id="approve-form""#),
        "Sara cannot approve"
    );
    let res = sara
        .post_form(
            &format!("/letters/{id}/approve"),
            &[("csrf_token", &sara_csrf)],
        )
        .await;
    assert_eq!(res.status, 403);
    let mails = srv.app.store.recent_emails(50).await.unwrap();
    let asked: Vec<String> = mails
        .iter()
        .filter(|m| m.subject.contains("approval") && m.body_text.contains(&id))
        .map(|m| m.to.to_string())
        .collect();
    assert!(
        asked.contains(&"luc.favre@helvetia.test".to_string()),
        "{asked:?}"
    );
    assert!(asked.contains(&ANNA.to_string()), "{asked:?}");
    assert!(!asked.contains(&SARA.to_string()));

    // Luc approves from the inbox; sending back needs a reason.
    let luc = srv.signed_in("luc.favre@helvetia.test").await;
    let luc_csrf = luc.csrf().await;
    let inbox = luc.get("/letters/approvals").await;
    assert_eq!(inbox.status, 200);
    assert!(inbox.body.contains(&id));
    let page = luc.get(&format!("/letters/{id}")).await;
    assert!(
        page.body.contains(r#"id="approve-form""#) && page.body.contains(r#"id="reject-form""#)
    );
    let res = luc.post_form(&format!("/letters/{id}/approve"), &[]).await;
    assert_eq!(res.status, 403, "approve needs the token");
    let res = luc
        .post_form(
            &format!("/letters/{id}/reject"),
            &[("csrf_token", &luc_csrf), ("reason", "  ")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains(r#"data-code="letter.reason_missing""#),
        "{}",
        res.body
    );
    let res = luc
        .post_form(
            &format!("/letters/{id}/approve"),
            &[("csrf_token", &luc_csrf)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = luc.get(&format!("/letters/{id}")).await;
    assert!(page.body.contains(r#"data-status="accepted""#));
    assert!(
        page.body.contains("Luc Favre") && page.body.contains("Sara Rossi"),
        "who moved it"
    );
    assert!(!luc.get("/letters/approvals").await.body.contains(&id));

    // A second letter is sent back with a reason, over the API.
    let res = page_upload(
        &sara,
        &[("csrf_token", &sara_csrf)],
        Some(&sample(1, "SARA-2")),
    )
    .await;
    let id2 = res
        .location()
        .unwrap()
        .strip_prefix("/letters/")
        .unwrap()
        .to_string();
    sara.post_form(
        &format!("/letters/{id2}/submit"),
        &[("csrf_token", &sara_csrf)],
    )
    .await;
    // (An approver cannot make API keys; Anna's key approves for the organisation.)
    let luc_api = srv.api(
        &srv.key(
            &srv.anna(),
            &[Permission::LettersApprove, Permission::LettersRead],
        )
        .await,
    );
    let res = luc_api
        .call(
            Method::POST,
            &format!("/api/v1/letters/{id2}/reject"),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.code(), "letter.reason_missing");
    let res = luc_api
        .call(
            Method::POST,
            &format!("/api/v1/letters/{id2}/reject"),
            Some(json!({"reason": "wrong invoice"})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["status"], "draft");
    assert_eq!(res.json()["note"], "wrong invoice");
    let page = sara.get(&format!("/letters/{id2}")).await;
    assert!(page.body.contains("wrong invoice"));
    srv.stop().await;
}

// ----- idempotency and size limits -----

async fn letters_idempotent_creation_and_oversized_uploads(backend: Backend) {
    let srv = Server::start(backend).await;
    let api = srv.api(&anna_key(&srv).await);
    let pdf = sample(1, "IDEM");
    let post = |key: &'static str, body: Vec<u8>| {
        let req = api
            .request(Method::POST, "/api/v1/letters?submit=true&reference=IDEM")
            .header("content-type", "application/pdf")
            .header("idempotency-key", key)
            .body(body);
        api.send(req)
    };
    let first = post("letter-1", pdf.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = post("letter-1", pdf.clone()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(
        letter_count(&srv, srv.demo.helvetia).await,
        1,
        "a replay creates no second letter"
    );
    let other = post("letter-1", sample(1, "OTHER")).await;
    assert_eq!(other.status, 409);
    assert_eq!(other.code(), "idempotency.key_reused");
    // Multipart with a key, too.
    let (ct, body) = multipart(&[("reference", "M")], Some(&pdf));
    let send = || {
        api.send(
            api.request(Method::POST, "/api/v1/letters")
                .header("content-type", ct.clone())
                .header("idempotency-key", "letter-2")
                .body(body.clone()),
        )
    };
    let a = send().await;
    let b = send().await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["id"], b.json()["id"]);
    assert_eq!(letter_count(&srv, srv.demo.helvetia).await, 2);

    // Over 50 MB: a clear 413, not a reset connection; with or without a key.
    let mut big = pdf.clone();
    big.resize(51 * 1024 * 1024 + 10, b' ');
    for key in [None, Some("big-1")] {
        let mut req = api
            .request(Method::POST, "/api/v1/letters")
            .header("content-type", "application/pdf")
            .body(big.clone());
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let res = api.send(req).await;
        assert_eq!(res.status, 413, "{}", res.body);
        assert_eq!(res.code(), "upload.too_large");
    }
    let anna = srv.signed_in(ANNA).await;
    let csrf = anna.csrf().await;
    let res = page_upload(&anna, &[("csrf_token", &csrf)], Some(&big)).await;
    assert_eq!(res.status, 413);
    assert!(res.body.contains(r#"data-code="upload.too_large""#));
    assert_eq!(letter_count(&srv, srv.demo.helvetia).await, 2);
    srv.stop().await;
}

// ----- `courrier send` -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_send_letter_to_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cmd = |args: &[&str]| run(courrier().arg("--data-dir").arg(&data).args(args));
    let out = cmd(&[
        "org",
        "create",
        "Acme SA",
        "--country",
        "CH",
        "--currency",
        "CHF",
    ]);
    assert!(out.ok, "{}", out.stderr);
    let org = out.stdout.trim().to_string();
    let out = cmd(&[
        "apikey",
        "create",
        "--org",
        &org,
        "--name",
        "erp",
        "--permissions",
        "letters.send,letters.read",
    ]);
    assert!(out.ok, "{}", out.stderr);
    let key = out.stdout.trim().to_string();
    let letter = dir.path().join("letter.pdf");
    let out = run(courrier()
        .arg("sample-pdf")
        .arg(&letter)
        .args(["--letters", "1"]));
    assert!(out.ok, "{}", out.stderr);
    assert!(std::fs::read(&letter).unwrap().starts_with(b"%PDF"));
    let broken = dir.path().join("broken.pdf");
    std::fs::write(&broken, b"%PDF-1.4 nothing here").unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = ChildGuard::spawn(
        "courrier-serve",
        courrier()
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .env("COURRIER_WORKERS", "1"),
        dir.path(),
    );
    server.wait_ready(&base).await;

    // The key from the flag.
    let out = run(courrier().arg("send").arg(&letter).args([
        "--server",
        &base,
        "--api-key",
        &key,
        "--reference",
        "CLI-1",
    ]));
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    let id = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("id:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no id: {}", out.stdout))
        .to_string();
    uuid::Uuid::parse_str(&id).unwrap();
    assert!(
        out.stdout.contains("status:            draft"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Boulangerie Dupont SàRL, 1003 Lausanne, CH"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("price:             CHF "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("expected delivery: 20"),
        "{}",
        out.stdout
    );

    // With a letterhead under every page and a reply coupon: sent as a
    // multipart form, the composition printed back.
    let head = dir.path().join("head.pdf");
    std::fs::write(&head, plain(&["CLI letterhead"])).unwrap();
    let coupon = dir.path().join("coupon.pdf");
    std::fs::write(&coupon, plain(&["Reply coupon"])).unwrap();
    let out = run(courrier()
        .arg("send")
        .arg(&letter)
        .args(["--server", &base, "--api-key", &key, "--background"])
        .arg(&head)
        .args(["--background-pages", "all", "--attach"])
        .arg(&coupon));
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("letterhead:        all pages"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("attachment:        coupon.pdf (1 pages)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("pages:             1 (2 sheets)"),
        "{}",
        out.stdout
    );
    // A bad attachment is refused with its code.
    let out = run(courrier()
        .arg("send")
        .arg(&letter)
        .args(["--server", &base, "--api-key", &key, "--attach"])
        .arg(&broken));
    assert!(!out.ok);
    assert!(
        out.stderr.contains("letter.attachment_invalid"),
        "{}",
        out.stderr
    );

    // The key and the server from the environment; submitted at once.
    let out = run(courrier()
        .arg("send")
        .arg(&letter)
        .args([
            "--envelope",
            "c4",
            "--colour",
            "colour",
            "--duplex",
            "--submit",
        ])
        .env("COURRIER_API_KEY", &key)
        .env("COURRIER_SERVER", &base));
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("status:            accepted"),
        "{}",
        out.stdout
    );

    // A refusal: every code, a non-zero exit, nothing stored.
    let out = run(courrier().arg("send").arg(&broken).args([
        "--server",
        &base,
        "--api-key",
        &key,
        "--envelope",
        "c9",
    ]));
    assert!(!out.ok);
    assert!(
        out.stderr.contains("letter.envelope_unknown"),
        "{}",
        out.stderr
    );
    let out = run(courrier()
        .arg("send")
        .arg(&broken)
        .args(["--server", &base, "--api-key", &key]));
    assert!(!out.ok);
    assert!(out.stderr.contains("pdf.unreadable"), "{}", out.stderr);
    let out = run(courrier().arg("send").arg(&letter).args([
        "--server",
        &base,
        "--api-key",
        "cour_abc_def",
    ]));
    assert!(!out.ok);
    assert!(out.stderr.contains("auth."), "{}", out.stderr);
    let list = Api::new(&base, Some(&key))
        .get("/api/v1/letters")
        .await
        .json();
    // The plain letter, the composed one, the submitted one.
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["id"] == id.as_str())
            .count(),
        1
    );
    server.assert_running();
}

// ----- letterhead and attachments -----

/// A one-page PDF with only `lines` at the top (a letterhead, a coupon).
fn plain(lines: &[&str]) -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: Vec::new(),
            pages: 1,
            reference: "X".into(),
        }],
        lines,
    )
}

async fn letters_with_letterhead_and_attachments(backend: Backend) {
    let srv = Server::start(backend).await;
    let api = srv.api(&anna_key(&srv).await);
    let letter = sample(3, "COMP-1");
    let letterhead = plain(&["Helvetia letterhead"]);
    let coupon = plain(&["Reply coupon"]);

    // A quote with the parts: priced on the real sheet count, nothing stored.
    let (ct, body) = multipart_files(
        &[("sides", "duplex"), ("background_scope", "all")],
        &[
            ("file", "letter.pdf", &letter),
            ("background", "head.pdf", &letterhead),
            ("attachment", "coupon.pdf", &coupon),
        ],
    );
    let q = api
        .send(
            api.request(Method::POST, "/api/v1/quotes")
                .header("content-type", ct.clone())
                .body(body.clone()),
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.json()["sheets"], 3);
    assert_eq!(q.json()["background"], "all_pages");
    assert_eq!(letter_count(&srv, srv.demo.helvetia).await, 0);

    let res = api
        .send(
            api.request(Method::POST, "/api/v1/letters")
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let l = res.json();
    assert_eq!(l["pages"], 3);
    assert_eq!(l["sheets"], 3);
    assert_eq!(l["background"], "all_pages");
    assert_eq!(l["attachments"][0]["name"], "coupon.pdf");
    assert_eq!(l["attachments"][0]["pages"], 1);
    assert_eq!(l["recipient"]["name"], LAUSANNE[0]);
    let id = l["id"].as_str().unwrap().to_string();
    // The stored document is the composed one: 3 + a blank page + 1.
    let bytes = api
        .request(Method::GET, &format!("/api/v1/letters/{id}/document"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let pdf =
        courrier_documents::load_pdf(&bytes, &courrier_documents::IntakeLimits::default()).unwrap();
    assert_eq!(pdf.get_pages().len(), 5);
    let got = api.get(&format!("/api/v1/letters/{id}")).await.json();
    assert_eq!(got["attachments"].as_array().unwrap().len(), 1);

    // Refusals, each with its code and field; nothing stored.
    let before = letter_count(&srv, srv.demo.helvetia).await;
    let (ct, body) = multipart_files(
        &[("background_scope", "first")],
        &[("file", "letter.pdf", &letter)],
    );
    let res = api
        .send(
            api.request(Method::POST, "/api/v1/letters")
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(codes(&res), vec!["letter.background_missing"]);
    assert_eq!(res.json()["errors"][0]["field"], "background_scope");
    let (ct, body) = multipart_files(
        &[],
        &[
            ("file", "letter.pdf", &letter),
            ("background", "head.pdf", &not_a4()),
        ],
    );
    let res = api
        .send(
            api.request(Method::POST, "/api/v1/letters")
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(codes(&res), vec!["letter.background_invalid"]);
    assert_eq!(res.json()["errors"][0]["field"], "background");
    assert!(
        res.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pdf.not_a4")
    );
    // Too many sheets for a C5 envelope (8) once the attachments count.
    let big = sample(7, "BIG");
    let (ct, body) = multipart_files(
        &[],
        &[
            ("file", "letter.pdf", &big),
            ("attachment", "a.pdf", &coupon),
            ("attachment", "b.pdf", &coupon),
        ],
    );
    let res = api
        .send(
            api.request(Method::POST, "/api/v1/letters")
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(codes(&res), vec!["letter.too_many_sheets"]);
    // A raw PDF upload with a scope but no way to send a background.
    let res = api_upload_raw(&api, "/api/v1/letters?background_scope=all", &letter).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(codes(&res), vec!["letter.background_missing"]);
    assert_eq!(letter_count(&srv, srv.demo.helvetia).await, before);

    // The web form: the letterhead and attachment inputs, and the detail
    // page saying what the letter is made of.
    let anna = srv.signed_in(ANNA).await;
    let new = anna.get("/letters/new").await;
    assert!(new.body.contains(r#"name="background""#));
    assert!(new.body.contains(r#"name="attachment""#) && new.body.contains("multiple"));
    let csrf = anna.csrf().await;
    let (ct, body) = multipart_files(
        &[("csrf_token", &csrf), ("background_scope", "first")],
        &[
            ("file", "letter.pdf", &letter),
            ("background", "head.pdf", &letterhead),
            ("attachment", "coupon.pdf", &coupon),
        ],
    );
    let res = Resp::read(
        anna.client
            .post(anna.url("/letters/new"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(res.status == 303 || res.status == 200, "{}", res.body);
    // The clock stands still: find the web letter by what it is made of.
    let web: Vec<_> = srv
        .app
        .store
        .list_letters(
            &srv.scope(srv.demo.helvetia),
            &courrier_store::LetterFilter::default(),
            None,
            200,
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|l| l.background == Some(courrier_domain::letters::BackgroundScope::FirstPage))
        .collect();
    assert_eq!(web.len(), 1, "the web upload kept its letterhead choice");
    let newest = &web[0];
    assert_eq!(newest.attachments.len(), 1);
    let detail = anna.get(&format!("/letters/{}", newest.id)).await;
    assert_eq!(detail.status, 200);
    assert!(
        detail.body.contains(r#"id="composition""#),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("coupon.pdf, 1"), "{}", detail.body);
    // Without a letterhead file the form's scope choice means nothing.
    let (ct, body) = multipart_files(
        &[("csrf_token", &csrf), ("background_scope", "first")],
        &[("file", "letter.pdf", &letter), ("background", "", b"")],
    );
    let res = Resp::read(
        anna.client
            .post(anna.url("/letters/new"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(res.status == 303 || res.status == 200, "{}", res.body);
    assert!(
        !res.body.contains("letter.background_missing"),
        "{}",
        res.body
    );
    srv.stop().await;
}
