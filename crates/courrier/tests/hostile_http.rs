//! Hostile input over HTTP, on one in-process server with the demo data: every
//! file of the hostile corpus (`tests/hostile/*/`) posted to every upload
//! endpoint is refused with a 4xx and a code within 2 s, and `/healthz`
//! answers after each; a slow document holds up neither `/healthz` nor
//! another organisation's requests.

// Test code may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)] // the shared harness has helpers these tests do not use
#[path = "server/support.rs"]
mod support;

use courrier_domain::mailbox::Action;
use courrier_domain::{Actor, OrgKind, Permission, Role};
use reqwest::Method;
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

const OLIVIER: &str = "olivier.blanc@mc-lausanne.test";
const BOUNDARY: &str = "courrier-hostile-7c1e";
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
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    let file_name = name.rsplit('/').next().unwrap_or(name);
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// Asks for a scan of one of Marie's items and returns the task.
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
    let item = items[0].item.id;
    let asked = srv
        .app
        .request_action(&srv.marie(), &[item], &Action::Scan)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap();
    match asked {
        courrier_app::mailbox::Requested::Task(t) => t.id,
        other => panic!("expected a task, got {other:?}"),
    }
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
    let task = scan_task(&srv).await;
    let o = user(&srv.app, OLIVIER).await;
    let owner = Actor::user(o.id, o.org, OrgKind::MailCenter, Role::Owner, None);
    let center = srv.api(&srv.key(&owner, &[Permission::MailCenterOperate]).await);
    let anon = srv.anonymous_api();
    let dupont = srv.demo.dupont;
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
        let requests = vec![
            ("letter (raw)", raw(&anna, "/api/v1/letters")),
            ("letter (form)", form(&anna, "/api/v1/letters", &[])),
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
        ];
        for (endpoint, request) in requests {
            let started = Instant::now();
            let res = anna.send(request).await;
            let took = started.elapsed();
            // A file hostile to letters only may go to the mailbox, and a
            // split run refuses its letters one by one in the background.
            let may_pass =
                name.contains("/letter-") && matches!(endpoint, "scan" | "delivery" | "split run");
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
