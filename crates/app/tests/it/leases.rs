//! Job leases: short (30 s), renewed by a heartbeat while the job runs. A
//! job whose worker died resumes on another worker once the lease ran out;
//! a job that runs longer than the lease keeps it and runs once. The long
//! job is a webhook delivery to a receiver on 127.0.0.1 that answers only
//! when the test lets it; the clock is the harness's manual clock. Each test
//! runs on both backends: `cargo test -p courrier-app --test it leases::`.

use crate::support::*;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use courrier_app::email::Mailer;
use courrier_app::jobs::{LEASE_SECS, Worker};
use courrier_app::webhooks::LETTER_DELIVERED;
use courrier_app::{App, Settings};
use courrier_domain::{Clock, JobId};
use courrier_store::blob::BlobStore;
use courrier_store::{JobRecord, JobState};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

on_both_backends!(
    a_dead_workers_job_resumes_within_the_short_lease,
    a_job_longer_than_its_lease_keeps_it_and_runs_once,
);

/// A webhook endpoint that counts requests and answers 200 only when let.
#[derive(Clone)]
struct Gate {
    hits: Arc<AtomicUsize>,
    open: Arc<tokio::sync::Semaphore>,
    url: String,
}

impl Gate {
    async fn start() -> Gate {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let gate = Gate {
            hits: Arc::new(AtomicUsize::new(0)),
            open: Arc::new(tokio::sync::Semaphore::new(0)),
            url: format!("http://{addr}/events"),
        };
        let router = Router::new()
            .route("/events", axum::routing::post(answer))
            .with_state(gate.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        gate
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn let_through(&self) {
        self.open.add_permits(1000);
    }

    /// Waits (real time) until `n` requests arrived.
    async fn wait_for(&self, n: usize) {
        for _ in 0..500 {
            if self.hits() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the receiver saw {} requests, expected {n}", self.hits());
    }
}

async fn answer(State(g): State<Gate>) -> StatusCode {
    g.hits.fetch_add(1, Ordering::SeqCst);
    let _permit = g.open.acquire().await.unwrap();
    StatusCode::OK
}

/// An app that delivers webhooks to this machine, as a development instance.
async fn dev_env(backend: Backend) -> Env {
    let mut env = Env::new(backend).await;
    let mut settings = Settings::new(PUBLIC_URL);
    settings.webhooks_allow_private = true;
    let clock: Arc<dyn Clock> = env.clock.clone();
    env.app = App::new(
        env.db.store.clone(),
        BlobStore::open(env.blob_path().to_str().unwrap()).unwrap(),
        env.master.clone(),
        clock,
        Mailer::NotConfigured,
        courrier_app::scan::VirusScanner::Disabled,
        settings,
    );
    env
}

/// Queues one webhook delivery to `gate`; returns its job.
async fn delivery_job(env: &Env, gate: &Gate) -> JobId {
    let org = env.org("acme").await;
    env.app
        .create_webhook(
            &org.actor,
            &gate.url,
            &[LETTER_DELIVERED.to_string()],
            "ERP",
        )
        .await
        .unwrap();
    assert_eq!(
        env.app
            .emit(org.id, LETTER_DELIVERED, "{\"letter\":1}".into())
            .await
            .unwrap(),
        1
    );
    let jobs = env.app.store.list_jobs(JobState::Queued, 50).await.unwrap();
    let hooks: Vec<&JobRecord> = jobs
        .iter()
        .filter(|j| j.kind == "webhook.deliver")
        .collect();
    assert_eq!(hooks.len(), 1, "{jobs:?}");
    hooks[0].id
}

/// Runs every due job except `busy` on `worker`; fails if `busy` is claimed.
async fn run_others(worker: &Worker, busy: JobId) {
    while let Some(job) = worker.run_one().await.unwrap() {
        assert_ne!(job.id, busy, "the job was claimed by a second worker");
    }
}

async fn a_dead_workers_job_resumes_within_the_short_lease(backend: Backend) {
    let env = dev_env(backend).await;
    let gate = Gate::start().await;
    let job = delivery_job(&env, &gate).await;

    // A worker claims the job and dies in the middle of it.
    let dying = Worker::new(env.app.clone(), "dying");
    let running = tokio::spawn(async move { dying.run_one().await });
    gate.wait_for(1).await;
    running.abort();
    let _ = running.await;
    assert_eq!(
        env.app.store.job(job).await.unwrap().state,
        JobState::Running
    );

    let other = Worker::new(env.app.clone(), "other");
    env.advance(29);
    run_others(&other, job).await;
    assert_eq!(
        gate.hits(),
        1,
        "nobody takes the job over while the lease holds"
    );

    // 31 s after the claim (not 5 minutes) another worker takes it over.
    env.advance(2);
    gate.let_through();
    let taken = other
        .run_one()
        .await
        .unwrap()
        .expect("the job is taken over");
    assert_eq!(taken.id, job);
    let done = env.app.store.job(job).await.unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.attempts, 2);
    assert_eq!(gate.hits(), 2);
    env.close().await;
}

async fn a_job_longer_than_its_lease_keeps_it_and_runs_once(backend: Backend) {
    let env = dev_env(backend).await;
    let gate = Gate::start().await;
    let job = delivery_job(&env, &gate).await;

    let busy = Worker::new(env.app.clone(), "busy").with_heartbeat(Duration::from_millis(20));
    let running = tokio::spawn(async move { busy.run_one().await });
    gate.wait_for(1).await;

    // Twelve leases' worth of time passes on the clock while the job runs;
    // after each step the heartbeat renews the lease before anyone looks.
    let other = Worker::new(env.app.clone(), "other");
    for _ in 0..12 {
        env.advance(LEASE_SECS + 1);
        let now = env.now();
        let mut renewed = false;
        for _ in 0..500 {
            let lease = env.app.store.job(job).await.unwrap().lease_until;
            if lease.is_some_and(|l| l.millis() > now.millis()) {
                renewed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(renewed, "the heartbeat renews the lease");
        run_others(&other, job).await;
    }
    gate.let_through();
    let ran = running.await.unwrap().unwrap().expect("the job ran");
    assert_eq!(ran.id, job);
    let done = env.app.store.job(job).await.unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.attempts, 1, "one attempt");
    assert_eq!(gate.hits(), 1, "delivered once");
    env.close().await;
}
