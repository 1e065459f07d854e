//! Bulk runs over HTTP, on both backends: a bulk PDF as raw bytes and as a
//! web form, a mail merge as multipart, progress and per-letter results in
//! the API and on the pages (which refresh themselves while a run goes on),
//! refusals at start, a hostile spreadsheet refused with the server still up,
//! and other organisations' runs answering 404.

use crate::support::*;
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::Permission;
use reqwest::Method;

on_both_backends!(
    runs_over_the_api_and_the_pages,
    runs_of_another_org_answer_404,
    a_spreadsheet_bomb_is_refused_and_the_server_stays_up
);

fn bulk_pdf() -> Vec<u8> {
    let letter = |name: &str, place: &str, reference: &str| SampleLetter {
        address: vec![name.into(), "Rue de Bourg 12".into(), place.into()],
        pages: 1,
        reference: reference.into(),
    };
    letters_pdf(
        &[
            letter("Boulangerie Dupont SàRL", "1003 Lausanne", "R-1"),
            letter("Garage du Lac SA", "120 Genève", "R-2"),
            letter("Rossi Sagl", "6900 Lugano", "R-3"),
        ],
        &[
            "Helvetia Fiduciaire SA",
            "Avenue de la Gare 1, 1003 Lausanne",
        ],
    )
}

fn multipart(fields: &[(&str, &str)], file: &[u8], file_name: &str) -> (String, Vec<u8>) {
    multipart_form(fields, &[("file", file_name, file)])
}

async fn keys(srv: &Server) -> (Api, Api) {
    let perms = [Permission::LettersSend, Permission::LettersRead];
    (
        srv.api(&srv.key(&srv.anna(), &perms).await),
        srv.api(&srv.key(&srv.marie(), &perms).await),
    )
}

async fn start_pdf_run(api: &Api) -> String {
    let res = api
        .send(
            api.request(
                Method::POST,
                "/api/v1/runs?method=pages:1&filename=invoices.pdf",
            )
            .header("content-type", "application/pdf")
            .body(bulk_pdf()),
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.body);
    let run = res.json();
    assert_eq!(run["state"], "queued");
    assert_eq!(run["method"], "pages:1");
    assert_eq!(run["source_name"], "invoices.pdf");
    run["id"].as_str().unwrap().to_string()
}

async fn runs_over_the_api_and_the_pages(backend: Backend) {
    let srv = Server::start(backend).await;
    let (api, _) = keys(&srv).await;
    let id = start_pdf_run(&api).await;

    // Queued: the page refreshes itself and shows the progress bar.
    let browser = srv.signed_in(ANNA).await;
    let page = browser.get(&format!("/runs/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("http-equiv=\"refresh\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"run-progress\""));

    courrier_app::jobs::run_due_jobs_once(&srv.app)
        .await
        .unwrap();
    let run = api.get(&format!("/api/v1/runs/{id}")).await.json();
    assert_eq!(run["state"], "done", "{run}");
    assert_eq!(
        (
            run["total"].as_i64(),
            run["processed"].as_i64(),
            run["accepted"].as_i64(),
            run["refused"].as_i64()
        ),
        (Some(3), Some(3), Some(2), Some(1))
    );
    let items = run["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["source"], "page 2");
    assert_eq!(items[1]["outcome"], "refused");
    assert_eq!(items[1]["reasons"][0]["code"], "address.postcode_invalid");
    let letter = items[0]["letter_id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/api/v1/letters/{letter}")).await.status,
        200
    );
    let list = api.get("/api/v1/runs").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Done: no refresh, the per-letter results, in French too.
    let page = browser.get(&format!("/runs/{id}")).await;
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    assert!(
        page.body.contains("data-outcome=\"refused\"")
            && page.body.contains("address.postcode_invalid")
    );
    assert!(page.body.contains(&format!("/letters/{letter}")));
    let list = browser.get("/runs").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("invoices.pdf"));
    assert_eq!(browser.get("/runs/new").await.status, 200);

    // Refused at once: a marker that is no regular expression, an unknown method.
    let bad = api
        .send(
            api.request(Method::POST, "/api/v1/runs?method=marker:(")
                .header("content-type", "application/pdf")
                .body(bulk_pdf()),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (422, "run.marker_invalid".to_string())
    );
    let bad = api
        .send(
            api.request(Method::POST, "/api/v1/runs?method=by-colour")
                .header("content-type", "application/pdf")
                .body(bulk_pdf()),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (422, "run.method_invalid".to_string())
    );

    // A mail merge as multipart: the default template and a CSV with ';'.
    let csv = "name;street;postcode;city;body\nAnna Muster;Bahnhofstrasse 1;8001;Zürich;Hello.\nNo Street;;1003;Lausanne;Hi.\n";
    let (ct, body) = multipart(
        &[("kind", "merge"), ("submit", "true")],
        csv.as_bytes(),
        "rows.csv",
    );
    let res = api
        .send(
            api.request(Method::POST, "/api/v1/runs")
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.body);
    let merge_id = res.json()["id"].as_str().unwrap().to_string();
    courrier_app::jobs::run_due_jobs_once(&srv.app)
        .await
        .unwrap();
    let run = api.get(&format!("/api/v1/runs/{merge_id}")).await.json();
    assert_eq!(run["kind"], "merge");
    assert_eq!(run["state"], "done", "{run}");
    let items = run["items"].as_array().unwrap();
    assert_eq!(items[0]["outcome"], "accepted", "{run}");
    assert_eq!(items[1]["source"], "row 3");
    assert_eq!(items[1]["reasons"][0]["code"], "merge.field_missing");

    // The preview renders without storing.
    let (ct, body) = multipart(&[("rows", "2")], csv.as_bytes(), "rows.csv");
    let res = api
        .send(
            api.request(Method::POST, "/api/v1/runs/preview")
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let rows = res.json();
    assert_eq!(rows[0]["outcome"], "accepted");
    assert_eq!(rows[1]["outcome"], "refused");
    assert_eq!(
        api.get("/api/v1/runs").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The web form starts a split run and lands on its page.
    let csrf = browser.csrf().await;
    let (ct, body) = multipart(
        &[
            ("csrf_token", &csrf),
            ("kind", "split"),
            ("split", "pages"),
            ("pages", "1"),
        ],
        &bulk_pdf(),
        "web.pdf",
    );
    let res = Resp::read(
        browser
            .client
            .post(browser.url("/runs/new"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(res.location().unwrap().starts_with("/runs/"));
    srv.stop().await;
}

async fn runs_of_another_org_answer_404(backend: Backend) {
    let srv = Server::start(backend).await;
    let (anna, marie) = keys(&srv).await;
    let id = start_pdf_run(&anna).await;
    courrier_app::jobs::run_due_jobs_once(&srv.app)
        .await
        .unwrap();
    let res = marie.get(&format!("/api/v1/runs/{id}")).await;
    assert_eq!((res.status, res.code()), (404, "not_found".to_string()));
    assert!(
        marie.get("/api/v1/runs").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let browser = srv.signed_in(MARIE).await;
    assert_eq!(browser.get(&format!("/runs/{id}")).await.status, 404);
    assert!(!browser.get("/runs").await.body.contains("invoices.pdf"));
    srv.stop().await;
}

/// A 5 KB XLSX with a value at XFD1048576 (the last cell of a sheet): read
/// into a grid it would need billions of cells. The preview and a merge run
/// refuse it by its columns, and the server goes on answering.
async fn a_spreadsheet_bomb_is_refused_and_the_server_stays_up(backend: Backend) {
    let srv = Server::start(backend).await;
    let (api, _) = keys(&srv).await;
    let bomb = include_bytes!("../../../../tests/hostile/rows/xfd1048576.xlsx");
    for (path, fields) in [
        ("/api/v1/runs/preview", &[("rows", "2")][..]),
        ("/api/v1/runs", &[("kind", "merge")][..]),
    ] {
        let (ct, body) = multipart(fields, bomb, "addresses.xlsx");
        let res = api
            .send(
                api.request(Method::POST, path)
                    .header("content-type", ct)
                    .body(body),
            )
            .await;
        assert_eq!(
            (res.status, res.code()),
            (422, "rows.too_many_columns".to_string()),
            "{path}: {}",
            res.body
        );
        assert_eq!(res.json()["field"], "rows", "{}", res.body);
    }
    let anon = srv.anonymous_api();
    assert_eq!(anon.get("/healthz").await.status, 200);
    assert!(
        api.get("/api/v1/runs").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no run was stored"
    );
}
