//! Template bombs against the real `courrier serve`: a merge preview with a
//! template past a limit answers 422 `merge.template_too_expensive` while
//! the server keeps answering, and a server asked to stop (SIGTERM) while a
//! runaway template renders exits within 10 s, its render worker with it.

use crate::support::*;
use reqwest::Method;
use std::path::Path;
use std::time::{Duration, Instant};

const MEMORY_BOMB: &str = r#"#("x" * 100000000000)"#;
const CPU_BOMB: &str = "#for i in range(100000) { for j in range(100000) { let x = i * j } }";
const CSV: &str =
    "name;street;postcode;city;body\nAnna Muster;Bahnhofstrasse 1;8001;Zürich;Hello.\n";
const BOUNDARY: &str = "courrier-render-7c2d";

fn multipart(template: &str) -> (String, Vec<u8>) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"template\"\r\n\r\n{template}\r\n"
    );
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rows.csv\"\r\nContent-Type: text/csv\r\n\r\n{CSV}\r\n--{BOUNDARY}--\r\n"
    ));
    (
        format!("multipart/form-data; boundary={BOUNDARY}"),
        body.into_bytes(),
    )
}

/// A data folder with an organisation and an API key that may send letters.
fn prepare(data: &Path) -> String {
    let out = run(courrier().arg("--data-dir").arg(data).arg("migrate"));
    assert!(out.ok, "{}", out.stderr);
    let out = run(courrier().arg("--data-dir").arg(data).args([
        "org",
        "create",
        "Bomb Test SA",
        "--country",
        "ch",
        "--currency",
        "CHF",
    ]));
    assert!(out.ok, "{}", out.stderr);
    let org = out.stdout.trim().to_string();
    let out = run(courrier().arg("--data-dir").arg(data).args([
        "apikey",
        "create",
        "--org",
        &org,
        "--name",
        "erp",
        "--permissions",
        "letters.send,letters.read",
    ]));
    assert!(out.ok, "{}", out.stderr);
    out.stdout.trim().to_string()
}

/// `courrier serve` on `data` with these render limits.
async fn serve(dir: &Path, data: &Path, cpu_secs: &str, wall_secs: &str) -> (ChildGuard, String) {
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
            .arg(data)
            .env("COURRIER_WORKERS", "1")
            .env("COURRIER_RENDER_CPU_SECS", cpu_secs)
            .env("COURRIER_RENDER_WALL_SECS", wall_secs),
        dir,
    );
    server.wait_ready(&base).await;
    (server, base)
}

async fn preview(base: &str, key: &str, template: &str) -> reqwest::Result<reqwest::Response> {
    let (ct, body) = multipart(template);
    reqwest::Client::new()
        .request(Method::POST, format!("{base}/api/v1/runs/preview"))
        .bearer_auth(key)
        .header("content-type", ct)
        .body(body)
        .timeout(Duration::from_secs(60))
        .send()
        .await
}

/// The children of process `pid` (from /proc).
fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: the comm may hold spaces.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if ppid == Some(pid) {
            found.push(child);
        }
    }
    found
}

/// Whether `pid` still runs (a zombie waiting for its reaper does not).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn template_bombs_get_422_while_the_server_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = prepare(&data);
    let (mut server, base) = serve(dir.path(), &data, "3", "20").await;

    // A runaway loop: the server answers other requests meanwhile.
    let runaway = {
        let (base, key) = (base.clone(), key.clone());
        tokio::spawn(async move { preview(&base, &key, CPU_BOMB).await })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let asked = Instant::now();
    let health = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(asked.elapsed() < Duration::from_secs(2));
    let res = runaway.await.unwrap().unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "merge.template_too_expensive", "{body}");
    assert_eq!(body["field"], "template");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("CPU time limit of 3 s"), "{message}");

    // One line that asks for 100 GB.
    let res = preview(&base, &key, MEMORY_BOMB).await.unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "merge.template_too_expensive", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("1024 MiB"),
        "{body}"
    );

    // The server is still there and renders a normal template.
    server.assert_running();
    // (An empty template is the default letter.)
    let res = preview(&base, &key, "").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let rows: serde_json::Value = res.json().await.unwrap();
    assert_eq!(rows[0]["outcome"], "accepted", "{rows}");
    assert!(
        !server.log_text().contains("panicked"),
        "{}",
        server.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_stops_the_server_within_10_s_during_a_runaway_render() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = prepare(&data);
    // Limits far away: only the stop can end this render.
    let (mut server, base) = serve(dir.path(), &data, "300", "300").await;
    let pid = server.child.id();
    let runaway = tokio::spawn(async move { preview(&base, &key, CPU_BOMB).await });
    // Wait until the render worker runs.
    let mut workers = Vec::new();
    for _ in 0..100 {
        workers = children(pid);
        if !workers.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!workers.is_empty(), "a render worker started");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let asked = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "the server did not stop within 10 s:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "{exit:?}\n{}", server.log_text());
    // The worker was killed, not left rendering.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for worker in workers {
        assert!(!running(worker), "render worker {worker} still runs");
    }
    // The open request ended too (an error answer or a closed connection).
    let ended = tokio::time::timeout(Duration::from_secs(5), runaway).await;
    assert!(ended.is_ok(), "the open preview request was not ended");
}
