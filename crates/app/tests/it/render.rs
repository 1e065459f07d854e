//! Templates rendered in worker processes: a template past the memory, CPU
//! or wall-clock limit is refused with `merge.template_too_expensive` naming
//! the limit, the worker it ended is replaced, a normal template renders
//! exactly as in process, and stopping the pool ends a runaway render at
//! once. No database: the pool alone, with this crate's test worker.

use courrier_app::AppError;
use courrier_app::render::{RenderPool, RenderSettings, TOO_EXPENSIVE, WorkerCommand};
use courrier_merge::{DEFAULT_TEMPLATE, Renderer, Template, Today};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const WORKER: &str = env!("CARGO_BIN_EXE_render-worker-for-tests");
/// One line that asks for a 100 GB string.
const MEMORY_BOMB: &str = r#"#("x" * 100000000000)"#;
/// Nested loops that would run for days.
const CPU_BOMB: &str = "#for i in range(100000) { for j in range(100000) { let x = i * j } }";

fn pool(cpu_secs: u64, wall_secs: u64) -> RenderPool {
    RenderPool::new(RenderSettings {
        worker: Some(WorkerCommand::new(WORKER, &[])),
        memory_bytes: 512 * 1024 * 1024,
        cpu_secs,
        wall_secs,
        max_workers: 2,
    })
}

fn letter_inputs() -> BTreeMap<String, String> {
    [
        ("name", "Anna Muster"),
        ("street", "Bahnhofstrasse 1"),
        ("postcode", "8001"),
        ("city", "Zürich"),
        ("subject", "Rechnung 2026-001"),
        ("body", "Guten Tag,\n\nanbei die Rechnung."),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn today() -> Today {
    Today::Fixed(jiff::civil::date(2026, 3, 2))
}

async fn render(pool: &RenderPool, source: &str) -> Result<Vec<u8>, courrier_domain::Invalid> {
    pool.render(&Template::new(source), &letter_inputs(), today())
        .await
        .expect("a worker answers")
}

#[tokio::test]
async fn a_normal_template_renders_exactly_as_in_process() {
    let pool = pool(20, 30);
    let template = Template::new(DEFAULT_TEMPLATE);
    let pdf = pool
        .render(&template, &letter_inputs(), today())
        .await
        .unwrap()
        .unwrap();
    let in_process = Renderer::new()
        .render_on(&template, &letter_inputs(), jiff::civil::date(2026, 3, 2))
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(pdf, in_process, "the worker's PDF is the in-process one");
    // A template error comes back with its place, as in process.
    let err = render(&pool, "Hello\n#unknown_thing").await.unwrap_err();
    assert_eq!(err.code, "merge.template_error");
    assert!(
        err.message.starts_with("line 2, column 2:"),
        "{}",
        err.message
    );
    assert_eq!(err.field, "template");
    // A check counts pages.
    let pages = pool
        .check(&template, &letter_inputs(), today())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pages, 1);
}

#[tokio::test]
async fn a_memory_bomb_is_refused_naming_the_memory_limit_and_its_worker_is_replaced() {
    let pool = pool(20, 30);
    // A worker is running and idle.
    render(&pool, "Hello").await.unwrap();
    let before = pool.idle_worker_pids();
    assert_eq!(before.len(), 1);
    let started = Instant::now();
    let err = render(&pool, MEMORY_BOMB).await.unwrap_err();
    assert_eq!(err.code, TOO_EXPENSIVE, "{}", err.message);
    assert_eq!(err.field, "template");
    assert!(
        err.message.contains("memory") && err.message.contains("512 MiB"),
        "{}",
        err.message
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(pool.idle_worker_pids().is_empty(), "the worker ended");
    // The next render gets a fresh worker.
    let pdf = render(&pool, "Hello again").await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let after = pool.idle_worker_pids();
    assert_eq!(after.len(), 1);
    assert_ne!(after, before);
}

#[tokio::test]
async fn nested_loops_are_refused_at_the_cpu_limit() {
    let pool = pool(2, 30);
    let started = Instant::now();
    let err = render(&pool, CPU_BOMB).await.unwrap_err();
    assert_eq!(err.code, TOO_EXPENSIVE, "{}", err.message);
    assert!(
        err.message.contains("CPU time limit of 2 s"),
        "{}",
        err.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // The CPU limit is per request: a worker that rendered before has its
    // whole allowance again.
    render(&pool, "Hello").await.unwrap();
    render(&pool, "Hello again").await.unwrap();
}

#[tokio::test]
async fn nested_loops_are_refused_at_the_wall_clock_limit() {
    let pool = pool(60, 2);
    let started = Instant::now();
    let err = render(&pool, CPU_BOMB).await.unwrap_err();
    assert_eq!(err.code, TOO_EXPENSIVE, "{}", err.message);
    assert!(
        err.message.contains("time limit of 2 s") && !err.message.contains("CPU"),
        "{}",
        err.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    render(&pool, "Hello").await.unwrap();
}

#[tokio::test]
async fn a_worker_killed_while_idle_is_replaced() {
    let pool = pool(20, 30);
    render(&pool, "Hello").await.unwrap();
    let pids = pool.idle_worker_pids();
    assert_eq!(pids.len(), 1);
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pids[0].to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Not the next template's fault: it renders in a new worker.
    let pdf = render(&pool, "Hello again").await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_ne!(pool.idle_worker_pids(), pids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_ends_a_runaway_render_at_once_and_refuses_new_ones() {
    let pool = std::sync::Arc::new(pool(60, 60));
    let runaway = {
        let pool = pool.clone();
        tokio::spawn(async move {
            pool.render(&Template::new(CPU_BOMB), &letter_inputs(), today())
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    pool.stop();
    let result = tokio::time::timeout(Duration::from_secs(3), runaway)
        .await
        .expect("the runaway render ends when the pool stops")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(result, Err(AppError::Internal(_))), "{result:?}");
    let after = pool
        .render(&Template::new("Hello"), &letter_inputs(), today())
        .await;
    assert!(matches!(after, Err(AppError::Internal(_))), "{after:?}");
}

#[tokio::test]
async fn without_a_worker_nothing_is_rendered_in_process() {
    let pool = RenderPool::new(RenderSettings::default());
    let result = pool
        .render(&Template::new("Hello"), &letter_inputs(), today())
        .await;
    match result {
        Err(AppError::Internal(message)) => {
            assert!(
                message.to_string().contains("no render worker"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}
