//! Webhooks end to end: real HTTP deliveries to a small axum receiver on
//! 127.0.0.1 started inside each test, signed, retried after the queue's
//! backoff (the manual clock is advanced), logged, disabled on `410 Gone`,
//! and never crossing organisations. Each test runs on both backends:
//! `cargo test -p courrier-app --test it webhooks::` runs them; a name ending in `::sqlite` or `::postgres` is one backend.

use crate::support::*;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use courrier_app::email::Mailer;
use courrier_app::jobs::{JobKind, backoff_secs, run_due_jobs_once};
use courrier_app::letters::LetterInput;
use courrier_app::webhooks::{
    DEFAULT_TOLERANCE_SECS, LETTER_DELIVERED, LETTER_STATUS_CHANGED, MAIL_RECEIVED, MAX_ATTEMPTS,
    SignatureError, verify_signature,
};
use courrier_app::{App, AppError, Settings};
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::letters::LetterStatus;
use courrier_domain::{Clock, OrgScope, Permission, Role, Timestamp};
use courrier_store::blob::BlobStore;
use courrier_store::{
    DeliveryError, DeliveryState, JobState, StoreError, WebhookDeliveryRecord, WebhookRecord,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

on_both_backends!(
    signed_delivery_retried_after_backoff,
    forged_or_old_signatures_fail,
    last_attempt_fails_and_tells_the_admins,
    gone_disables_the_endpoint,
    endpoints_never_cross_organisations,
    permissions_validation_and_production_rules,
    rotated_secret_signs_the_next_attempts,
    letter_changes_and_their_events_commit_together,
    internal_addresses_are_refused_before_connecting,
    delivery_errors_are_classified,
);

// ----- the receiver -----

/// One request as the receiver saw it, with the sender's clock at that moment.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
    at: Timestamp,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Script {
    requests: Vec<Received>,
    /// Statuses to answer, in order; `otherwise` once they are used up.
    answers: VecDeque<u16>,
    otherwise: u16,
}

/// A webhook endpoint on 127.0.0.1 that records what it receives.
#[derive(Clone)]
struct Receiver {
    script: Arc<Mutex<Script>>,
    clock: Arc<dyn Clock>,
    url: String,
}

impl Receiver {
    /// Answers `answers` in turn, then `otherwise` for ever.
    async fn start(env: &Env, answers: &[u16], otherwise: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let receiver = Receiver {
            script: Arc::new(Mutex::new(Script {
                requests: Vec::new(),
                answers: answers.iter().copied().collect(),
                otherwise,
            })),
            clock: env.clock.clone(),
            url: format!("http://{addr}/courrier/events"),
        };
        let router = Router::new()
            .route("/courrier/events", axum::routing::post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        receiver
    }

    fn requests(&self) -> Vec<Received> {
        self.script.lock().unwrap().requests.clone()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut s = r.script.lock().unwrap();
    s.requests.push(Received {
        headers,
        body: body.to_vec(),
        at: r.clock.now(),
    });
    let status = s.answers.pop_front().unwrap_or(s.otherwise);
    StatusCode::from_u16(status).unwrap()
}

// ----- helpers -----

/// An app on the environment's database, blobs, key and clock, with
/// `allow_private` as its `webhooks_allow_private` setting.
fn app_on(env: &Env, allow_private: bool) -> Arc<App> {
    let mut settings = Settings::new(PUBLIC_URL);
    assert!(
        !settings.webhooks_allow_private,
        "private addresses are refused unless the setting allows them"
    );
    settings.webhooks_allow_private = allow_private;
    let clock: Arc<dyn Clock> = env.clock.clone();
    App::new(
        env.db.store.clone(),
        BlobStore::open(env.blob_path().to_str().unwrap()).unwrap(),
        env.master.clone(),
        clock,
        Mailer::NotConfigured,
        courrier_app::scan::VirusScanner::Disabled,
        settings,
    )
}

/// A test environment whose app accepts endpoints on this machine, as a
/// development instance does (the harness's default app is production-like).
async fn dev_env(backend: Backend) -> Env {
    let mut env = Env::new(backend).await;
    env.app = app_on(&env, true);
    env
}

fn events(list: &[&str]) -> Vec<String> {
    list.iter().map(|e| e.to_string()).collect()
}

async fn deliveries(
    env: &Env,
    org: &Org,
    webhook: Option<uuid::Uuid>,
) -> Vec<WebhookDeliveryRecord> {
    env.app
        .list_webhook_deliveries(&org.actor, webhook, None, 200)
        .await
        .unwrap()
        .items
}

/// Runs due jobs, then lets the clock pass the backoff of `attempt`.
async fn run_then_wait(env: &Env, attempt: i32) {
    run_due_jobs_once(&env.app).await.unwrap();
    env.advance(backoff_secs(attempt));
}

fn assert_verifies(r: &Received, secret: &str) {
    assert_eq!(
        verify_signature(
            secret,
            r.header("courrier-signature"),
            &r.body,
            r.at,
            DEFAULT_TOLERANCE_SECS
        ),
        Ok(()),
        "signature of {r:?}"
    );
}

// ----- tests -----

async fn signed_delivery_retried_after_backoff(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let rx = Receiver::start(&env, &[500], 200).await;

    let (hook, secret) = env
        .app
        .create_webhook(&org.actor, &rx.url, &events(&[LETTER_DELIVERED]), " ERP ")
        .await
        .unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(hook.url, rx.url);
    assert_eq!(hook.events, [LETTER_DELIVERED]);
    assert_eq!(hook.description, "ERP");
    assert!(
        !contains_bytes(&hook.secret_sealed, secret.as_bytes()),
        "the secret is stored sealed"
    );
    let listed = env.app.list_webhooks(&org.actor).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, hook.id);

    let data = r#"{"letter":"0b6f","status":"delivered","reference":"INV-7 \"é\""}"#;
    assert_eq!(
        env.app
            .emit(org.id, LETTER_DELIVERED, data.to_string())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        env.app
            .emit(org.id, MAIL_RECEIVED, "{}".into())
            .await
            .unwrap(),
        0,
        "not subscribed to mail.received"
    );
    let log = deliveries(&env, &org, None).await;
    assert_eq!(log.len(), 1);
    let delivery = log[0].id;
    assert_eq!(log[0].state, DeliveryState::Pending);
    assert!(
        rx.requests().is_empty(),
        "nothing is sent before the job runs"
    );

    // First attempt: the endpoint answers 500.
    let first_at = env.now();
    run_due_jobs_once(&env.app).await.unwrap();
    let got = rx.requests();
    assert_eq!(got.len(), 1);
    let d = &deliveries(&env, &org, Some(hook.id)).await[0];
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(d.attempts, 1);
    assert_eq!(d.last_status, Some(500));
    assert_eq!(d.last_error, Some(DeliveryError::Http5xx), "{d:?}");

    // Not due again before the backoff has passed.
    env.advance(backoff_secs(1) - 1);
    run_due_jobs_once(&env.app).await.unwrap();
    assert_eq!(rx.requests().len(), 1, "no retry before the backoff");
    env.advance(1);
    run_due_jobs_once(&env.app).await.unwrap();
    let got = rx.requests();
    assert_eq!(got.len(), 2, "retried after the backoff");

    let d = &deliveries(&env, &org, None).await[0];
    assert_eq!(d.id, delivery);
    assert_eq!(d.state, DeliveryState::Delivered);
    assert_eq!(d.attempts, 2);
    assert_eq!(d.last_status, Some(200));
    assert_eq!(d.last_error, None);
    assert_eq!(d.delivered_at, Some(env.now()));
    let job = env
        .app
        .store
        .list_jobs(JobState::Done, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.kind == "webhook.deliver")
        .expect("the delivery job is done");
    assert_eq!(
        JobKind::parse(&job.kind, &job.payload).unwrap(),
        JobKind::DeliverWebhook { delivery }
    );
    assert_eq!(job.max_attempts, MAX_ATTEMPTS);

    for r in &got {
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(r.header("courrier-event"), LETTER_DELIVERED);
        assert_eq!(r.header("courrier-delivery"), delivery.to_string());
        assert_verifies(r, &secret);
        let body = r.json();
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(body["type"], LETTER_DELIVERED);
        assert_eq!(body["created"], first_at.millis() / 1000);
        assert_eq!(
            body["data"],
            serde_json::from_str::<serde_json::Value>(data).unwrap()
        );
        let text = String::from_utf8(r.body.clone()).unwrap();
        assert!(
            text.ends_with(&format!(",\"data\":{data}}}")),
            "data is sent verbatim: {text}"
        );
    }
    assert_eq!(got[0].body, got[1].body, "a retry sends the same bytes");
    assert_eq!(got[0].at, first_at);
    assert_ne!(
        got[0].header("courrier-signature"),
        got[1].header("courrier-signature"),
        "each attempt is signed at its own time"
    );
    assert!(
        got[1]
            .header("courrier-signature")
            .starts_with(&format!("t={},v1=", got[1].at.millis() / 1000))
    );

    let (entries, _) = env.app.store.audit_chain(org.id).await.unwrap();
    assert!(entries.iter().any(|e| e.action == "webhook.created"
        && e.target == hook.id.to_string()
        && e.actor == format!("user:{}", org.admin)));
    env.close().await;
}

async fn forged_or_old_signatures_fail(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let rx = Receiver::start(&env, &[], 204).await;
    let (_, secret) = env
        .app
        .create_webhook(&org.actor, &rx.url, &events(&["*"]), "")
        .await
        .unwrap();
    env.app
        .emit(org.id, MAIL_RECEIVED, r#"{"mail":"m-1"}"#.into())
        .await
        .unwrap();
    run_due_jobs_once(&env.app).await.unwrap();
    let r = &rx.requests()[0];
    assert_verifies(r, &secret);
    let header = r.header("courrier-signature");
    let (t, v1) = header.split_once(",v1=").unwrap();
    let t: i64 = t.strip_prefix("t=").unwrap().parse().unwrap();

    // A forged timestamp (to pass a replay check) breaks the signature.
    let forged = format!("t={},v1={v1}", t + 3600);
    assert_eq!(
        verify_signature(&secret, &forged, &r.body, r.at.plus_seconds(3600), 300),
        Err(SignatureError::Mismatch)
    );
    // A genuine but old request is a replay.
    assert_eq!(
        verify_signature(&secret, header, &r.body, r.at.plus_seconds(301), 300),
        Err(SignatureError::Expired)
    );
    assert_eq!(
        verify_signature(&secret, header, &r.body, r.at.plus_seconds(-301), 300),
        Err(SignatureError::Expired),
        "from the future"
    );
    // A changed body, another secret, a forged signature.
    let mut body = r.body.clone();
    body.push(b' ');
    assert_eq!(
        verify_signature(&secret, header, &body, r.at, 300),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature("whsec_guess", header, &r.body, r.at, 300),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(
            &secret,
            &format!("t={t},v1={}", "0".repeat(64)),
            &r.body,
            r.at,
            300
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(&secret, &format!("t={t}"), &r.body, r.at, 300),
        Err(SignatureError::Malformed)
    );
    assert_eq!(SignatureError::Expired.code(), "webhook.signature_expired");
    env.close().await;
}

async fn last_attempt_fails_and_tells_the_admins(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    env.person(&org, "member@acme.test", Role::Member).await;
    env.person(&org, "second.admin@acme.test", Role::Admin)
        .await;
    let rx = Receiver::start(&env, &[], 503).await;
    let (hook, _) = env
        .app
        .create_webhook(&org.actor, &rx.url, &events(&["*"]), "")
        .await
        .unwrap();

    env.app
        .emit(org.id, LETTER_DELIVERED, r#"{"n":1}"#.into())
        .await
        .unwrap();
    for attempt in 1..=MAX_ATTEMPTS {
        run_then_wait(&env, attempt).await;
        let d = &deliveries(&env, &org, None).await[0];
        assert_eq!(d.attempts, attempt);
        let want = if attempt < MAX_ATTEMPTS {
            DeliveryState::Pending
        } else {
            DeliveryState::Failed
        };
        assert_eq!(d.state, want, "after attempt {attempt}");
    }
    run_due_jobs_once(&env.app).await.unwrap();
    assert_eq!(
        rx.requests().len(),
        usize::try_from(MAX_ATTEMPTS).unwrap(),
        "no attempt after the last"
    );
    let d = &deliveries(&env, &org, None).await[0];
    assert_eq!(d.state, DeliveryState::Failed);
    assert_eq!(d.last_status, Some(503));
    assert_eq!(d.delivered_at, None);
    let dead: Vec<_> = env
        .app
        .store
        .list_jobs(JobState::Dead, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "webhook.deliver")
        .collect();
    assert_eq!(dead.len(), 1);

    let mut to: Vec<String> = env
        .app
        .store
        .recent_emails(50)
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            assert!(m.subject.contains(&rx.url), "{}", m.subject);
            assert!(m.body_text.contains("HTTP 503"), "{}", m.body_text);
            assert!(
                m.body_text
                    .contains(&format!("{PUBLIC_URL}/org/webhooks?webhook={}", hook.id)),
                "{}",
                m.body_text
            );
            m.to.to_string()
        })
        .collect();
    to.sort();
    assert_eq!(
        to,
        ["admin@acme.test", "second.admin@acme.test"],
        "the administrators are told, not the members"
    );

    // Another failure the same day does not send more mail; the endpoint stays active.
    env.app
        .emit(org.id, LETTER_DELIVERED, r#"{"n":2}"#.into())
        .await
        .unwrap();
    for attempt in 1..=MAX_ATTEMPTS {
        run_then_wait(&env, attempt).await;
    }
    let log = deliveries(&env, &org, None).await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d.state == DeliveryState::Failed));
    assert_eq!(env.app.store.recent_emails(50).await.unwrap().len(), 2);
    assert!(
        env.app.list_webhooks(&org.actor).await.unwrap()[0]
            .disabled_at
            .is_none()
    );
    env.close().await;
}

async fn gone_disables_the_endpoint(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let rx = Receiver::start(&env, &[], 410).await;
    let (hook, _) = env
        .app
        .create_webhook(&org.actor, &rx.url, &events(&["*"]), "")
        .await
        .unwrap();
    env.app
        .emit(org.id, LETTER_DELIVERED, r#"{"n":1}"#.into())
        .await
        .unwrap();
    env.app
        .emit(org.id, MAIL_RECEIVED, r#"{"n":2}"#.into())
        .await
        .unwrap();
    run_due_jobs_once(&env.app).await.unwrap();

    assert_eq!(
        rx.requests().len(),
        1,
        "nothing more is sent after 410 Gone"
    );
    let hooks = env.app.list_webhooks(&org.actor).await.unwrap();
    assert_eq!(hooks[0].disabled_at, Some(env.now()));
    let log = deliveries(&env, &org, Some(hook.id)).await;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter().all(|d| d.state == DeliveryState::Failed),
        "{log:?}"
    );
    let gone = log.iter().find(|d| d.last_status == Some(410)).unwrap();
    assert_eq!(gone.attempts, 1);
    assert_eq!(gone.last_error, Some(DeliveryError::Http4xx));
    let skipped = log.iter().find(|d| d.last_status.is_none()).unwrap();
    assert_eq!(skipped.attempts, 0);
    assert_eq!(skipped.last_error, Some(DeliveryError::EndpointDisabled));

    assert_eq!(
        env.app
            .emit(org.id, LETTER_DELIVERED, "{}".into())
            .await
            .unwrap(),
        0,
        "a disabled endpoint gets no new events"
    );
    env.advance(3600);
    run_due_jobs_once(&env.app).await.unwrap();
    assert_eq!(rx.requests().len(), 1);
    let (entries, _) = env.app.store.audit_chain(org.id).await.unwrap();
    let disabled = entries
        .iter()
        .find(|e| e.action == "webhook.disabled")
        .unwrap();
    assert_eq!(disabled.actor, "system:webhooks");
    assert_eq!(disabled.target, hook.id.to_string());
    assert!(
        env.app.store.recent_emails(10).await.unwrap().is_empty(),
        "410 is the endpoint's own choice, not a failure to report"
    );
    env.close().await;
}

async fn endpoints_never_cross_organisations(backend: Backend) {
    let env = dev_env(backend).await;
    let a = env.org("alpha").await;
    let b = env.org("beta").await;
    let rx_a = Receiver::start(&env, &[], 200).await;
    let rx_b = Receiver::start(&env, &[], 200).await;
    let (hook_a, secret_a) = env
        .app
        .create_webhook(&a.actor, &rx_a.url, &events(&["*"]), "")
        .await
        .unwrap();
    let (hook_b, secret_b) = env
        .app
        .create_webhook(&b.actor, &rx_b.url, &events(&["*"]), "")
        .await
        .unwrap();

    env.app
        .emit(a.id, LETTER_DELIVERED, r#"{"org":"alpha","n":1}"#.into())
        .await
        .unwrap();
    env.app
        .emit(a.id, MAIL_RECEIVED, r#"{"org":"alpha","n":2}"#.into())
        .await
        .unwrap();
    env.app
        .emit(b.id, LETTER_DELIVERED, r#"{"org":"beta","n":1}"#.into())
        .await
        .unwrap();
    run_due_jobs_once(&env.app).await.unwrap();

    let got_a = rx_a.requests();
    let got_b = rx_b.requests();
    assert_eq!(got_a.len(), 2);
    assert_eq!(got_b.len(), 1, "B's endpoint gets B's event only");
    assert!(got_a.iter().all(|r| r.json()["data"]["org"] == "alpha"));
    assert_eq!(got_b[0].json()["data"]["org"], "beta");
    for r in &got_a {
        assert_verifies(r, &secret_a);
        assert_eq!(
            verify_signature(
                &secret_b,
                r.header("courrier-signature"),
                &r.body,
                r.at,
                300
            ),
            Err(SignatureError::Mismatch),
            "each endpoint has its own secret"
        );
    }
    assert_verifies(&got_b[0], &secret_b);

    // B cannot see or touch A's endpoint or log.
    let not_found = |r: Result<(), AppError>| {
        assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    };
    not_found(
        env.app
            .list_webhook_deliveries(&b.actor, Some(hook_a.id), None, 10)
            .await
            .map(|_| ()),
    );
    not_found(env.app.disable_webhook(&b.actor, hook_a.id).await);
    not_found(
        env.app
            .rotate_webhook_secret(&b.actor, hook_a.id)
            .await
            .map(|_| ()),
    );
    let b_hooks = env.app.list_webhooks(&b.actor).await.unwrap();
    assert_eq!(b_hooks.len(), 1);
    assert_eq!(b_hooks[0].id, hook_b.id);
    let b_log = deliveries(&env, &b, None).await;
    assert_eq!(b_log.len(), 1);
    assert_eq!(b_log[0].webhook, hook_b.id);
    assert_eq!(deliveries(&env, &a, None).await.len(), 2);
    assert!(
        env.app.list_webhooks(&a.actor).await.unwrap()[0]
            .disabled_at
            .is_none(),
        "untouched"
    );
    env.close().await;
}

async fn permissions_validation_and_production_rules(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let (_, member) = env.person(&org, "member@acme.test", Role::Member).await;
    let url = "http://127.0.0.1:9/hooks";

    let r = env
        .app
        .create_webhook(&member, url, &events(&["*"]), "")
        .await;
    assert!(
        matches!(r, Err(AppError::Forbidden(Permission::OrgSettings))),
        "{r:?}"
    );
    assert!(matches!(
        env.app.list_webhooks(&member).await,
        Err(AppError::Forbidden(Permission::OrgSettings))
    ));
    assert!(matches!(
        env.app
            .list_webhook_deliveries(&member, None, None, 10)
            .await,
        Err(AppError::Forbidden(Permission::OrgSettings))
    ));

    let create = |url: &'static str, ev: &'static [&'static str]| {
        let app = env.app.clone();
        let actor = org.actor.clone();
        async move { app.create_webhook(&actor, url, &events(ev), "").await }
    };
    for bad in [
        "ftp://127.0.0.1/",
        "http://erp.example.com/hooks",
        "not a url",
        "https://user:pw@erp.example.com/",
    ] {
        assert_eq!(
            invalid_code(create(bad, &["*"]).await),
            "webhook.url_invalid",
            "{bad}"
        );
    }
    assert_eq!(
        invalid_code(create(url, &["letter.eaten"]).await),
        "webhook.event_unknown"
    );
    assert_eq!(invalid_code(create(url, &[]).await), "webhook.events_none");
    assert_eq!(
        invalid_code(
            env.app
                .create_webhook(&org.actor, url, &events(&["*"]), &"x".repeat(201))
                .await
        ),
        "webhook.description_invalid"
    );
    assert_eq!(
        invalid_code(env.app.emit(org.id, "letter.eaten", "{}".into()).await),
        "webhook.event_unknown"
    );
    assert_eq!(
        invalid_code(env.app.emit(org.id, LETTER_DELIVERED, "{oops".into()).await),
        "webhook.data_invalid"
    );
    assert!(
        create(url, &["*"]).await.is_ok(),
        "http on this machine in development"
    );

    assert_eq!(
        invalid_code(create("https://169.254.169.254/latest/meta-data", &["*"]).await),
        "webhook.url_private",
        "link-local (cloud metadata) is refused even in development"
    );

    // A production instance (the default setting) refuses endpoints on this
    // machine and private networks.
    let prod = Env::new(backend).await;
    let prod_org = prod.org("prod").await;
    for local in [
        url,
        "https://localhost/hooks",
        "https://10.0.0.8/hooks",
        "http://[::1]/",
        "https://169.254.169.254/",
        "https://[::ffff:127.0.0.1]/",
    ] {
        let r = prod
            .app
            .create_webhook(&prod_org.actor, local, &events(&["*"]), "")
            .await;
        match r {
            Err(AppError::Invalid(i)) => {
                assert_eq!(i.code, "webhook.url_private", "{local}");
                assert_eq!(i.field, "url");
            }
            other => panic!("{local}: {other:?}"),
        }
    }
    let (hook, _) = prod
        .app
        .create_webhook(
            &prod_org.actor,
            "https://erp.example.com/courrier",
            &events(&[MAIL_RECEIVED]),
            "",
        )
        .await
        .unwrap();
    assert_eq!(hook.url, "https://erp.example.com/courrier");

    // At most 16 active endpoints; disabling one frees a place.
    let mut ids = vec![hook.id];
    for i in 1..16 {
        let (h, _) = prod
            .app
            .create_webhook(
                &prod_org.actor,
                &format!("https://erp{i}.example.com/"),
                &events(&["*"]),
                "",
            )
            .await
            .unwrap();
        ids.push(h.id);
    }
    let over = prod
        .app
        .create_webhook(
            &prod_org.actor,
            "https://x.example.com/",
            &events(&["*"]),
            "",
        )
        .await;
    assert!(
        matches!(
            over,
            Err(AppError::Refused(courrier_domain::codes::WEBHOOK_LIMIT))
        ),
        "{over:?}"
    );
    prod.app
        .disable_webhook(&prod_org.actor, ids[3])
        .await
        .unwrap();
    assert!(matches!(
        prod.app.disable_webhook(&prod_org.actor, ids[3]).await,
        Err(AppError::NotFound)
    ));
    prod.app
        .create_webhook(
            &prod_org.actor,
            "https://x.example.com/",
            &events(&["*"]),
            "",
        )
        .await
        .unwrap();
    prod.close().await;
    env.close().await;
}

async fn rotated_secret_signs_the_next_attempts(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let rx = Receiver::start(&env, &[500], 200).await;
    let (hook, old) = env
        .app
        .create_webhook(&org.actor, &rx.url, &events(&["*"]), "")
        .await
        .unwrap();
    env.app
        .emit(org.id, LETTER_DELIVERED, "{}".into())
        .await
        .unwrap();
    run_then_wait(&env, 1).await;
    let new = env
        .app
        .rotate_webhook_secret(&org.actor, hook.id)
        .await
        .unwrap();
    assert_ne!(new, old);
    run_due_jobs_once(&env.app).await.unwrap();
    let got = rx.requests();
    assert_eq!(got.len(), 2);
    assert_verifies(&got[0], &old);
    assert_verifies(&got[1], &new);
    assert_eq!(
        verify_signature(
            &old,
            got[1].header("courrier-signature"),
            &got[1].body,
            got[1].at,
            300
        ),
        Err(SignatureError::Mismatch)
    );
    let (entries, _) = env.app.store.audit_chain(org.id).await.unwrap();
    assert!(entries.iter().any(|e| e.action == "webhook.secret_rotated"));
    env.close().await;
}

/// A letter for Dupont in Lausanne, as a one-page PDF.
fn letter_pdf(reference: &str) -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: vec![
                "Boulangerie Dupont SàRL".into(),
                "Rue de Bourg 12".into(),
                "1003 Lausanne".into(),
            ],
            pages: 1,
            reference: reference.into(),
        }],
        &["Acme SA", "Avenue de la Gare 1, 1003 Lausanne"],
    )
}

async fn letter_status(env: &Env, org: &Org, id: courrier_domain::LetterId) -> LetterStatus {
    env.app.letter(&org.actor, id).await.unwrap().letter.status
}

async fn queued_delivery_jobs(env: &Env) -> Vec<String> {
    let mut jobs: Vec<String> = env
        .app
        .store
        .list_jobs(JobState::Queued, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|j| match JobKind::parse(&j.kind, &j.payload) {
            Ok(JobKind::DeliverWebhook { delivery }) => Some(delivery.to_string()),
            _ => None,
        })
        .collect();
    jobs.sort();
    jobs
}

async fn letter_changes_and_their_events_commit_together(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let rx = Receiver::start(&env, &[], 200).await;
    env.app
        .create_webhook(&org.actor, &rx.url, &events(&["*"]), "")
        .await
        .unwrap();
    let input = LetterInput {
        reference: "INV-9".into(),
        ..LetterInput::default()
    };
    let draft = env
        .app
        .create_letter(&org.actor, &letter_pdf("INV-9"), &input, false)
        .await
        .unwrap()
        .record;
    assert!(deliveries(&env, &org, None).await.is_empty());

    // When the event cannot be written, the change is not written either.
    exec_sql(
        &env.db,
        "ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_away",
    )
    .await;
    let failed = env.app.submit_letter(&org.actor, draft.id).await;
    exec_sql(
        &env.db,
        "ALTER TABLE webhook_deliveries_away RENAME TO webhook_deliveries",
    )
    .await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        letter_status(&env, &org, draft.id).await,
        LetterStatus::Draft,
        "the status change rolled back with its event"
    );
    let view = env.app.letter(&org.actor, draft.id).await.unwrap();
    assert_eq!(view.history.len(), 1, "no history entry either");
    let (entries, _) = env.app.store.audit_chain(org.id).await.unwrap();
    assert!(!entries.iter().any(|e| e.action == "letter.accepted"));
    assert!(queued_delivery_jobs(&env).await.is_empty());

    // The change commits with its event: it is there without any further call.
    let submitted = env.app.submit_letter(&org.actor, draft.id).await.unwrap();
    assert_eq!(submitted.status, LetterStatus::Accepted);
    let log = deliveries(&env, &org, None).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].event_type, LETTER_STATUS_CHANGED);
    assert_eq!(log[0].state, DeliveryState::Pending);
    let body: serde_json::Value = serde_json::from_str(&log[0].payload).unwrap();
    assert_eq!(body["type"], LETTER_STATUS_CHANGED);
    assert_eq!(body["data"]["letter"], draft.id.to_string());
    assert_eq!(body["data"]["reference"], "INV-9");
    assert_eq!(body["data"]["status"], "accepted");
    assert_eq!(body["data"]["previous_status"], "draft");
    assert_eq!(queued_delivery_jobs(&env).await, [log[0].id.to_string()]);

    // A change that loses a race (the letter moved meanwhile) writes no event.
    let mut events_of_stale = env.app.outbox();
    events_of_stale.push(
        env.app
            .webhook_event(LETTER_STATUS_CHANGED, r#"{"stale":true}"#)
            .unwrap(),
    );
    let stale = env
        .app
        .store
        .set_letter_status(
            &OrgScope::system(org.id, "test"),
            draft.id,
            LetterStatus::Draft,
            LetterStatus::Cancelled,
            "",
            env.now(),
            &events_of_stale,
        )
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                what: courrier_domain::codes::LETTER_STATUS_CHANGED
            })
        ),
        "{stale:?}"
    );
    assert_eq!(deliveries(&env, &org, None).await.len(), 1);

    // Cancelling is another change with its own event.
    env.app.cancel_letter(&org.actor, draft.id).await.unwrap();
    let log = deliveries(&env, &org, None).await;
    assert_eq!(log.len(), 2);
    let cancelled = log
        .iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(&d.payload).unwrap())
        .find(|b| b["data"]["status"] == "cancelled")
        .expect("the cancellation's event");
    assert_eq!(cancelled["data"]["previous_status"], "accepted");

    run_due_jobs_once(&env.app).await.unwrap();
    let got = rx.requests();
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|r| r.header("courrier-event") == LETTER_STATUS_CHANGED)
    );
    env.close().await;
}

async fn internal_addresses_are_refused_before_connecting(backend: Backend) {
    // Endpoints registered where private addresses are allowed...
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let rx = Receiver::start(&env, &[], 200).await;
    let port = rx.url.split(':').nth(2).unwrap().split('/').next().unwrap();
    let mut ids = Vec::new();
    for url in [
        rx.url.clone(),
        // A name: only the resolver sees it is 127.0.0.1.
        rx.url.replace("127.0.0.1", "localhost"),
        format!("http://[::1]:{port}/courrier/events"),
        "http://10.0.0.1/courrier/events".to_string(),
    ] {
        let (hook, _) = env
            .app
            .create_webhook(&org.actor, &url, &events(&["*"]), "")
            .await
            .unwrap();
        ids.push(hook.id);
    }
    // ...and one to the cloud metadata address, which no instance accepts,
    // written straight into the store as an older registration would be.
    let metadata = WebhookRecord {
        id: uuid::Uuid::new_v4(),
        org: org.id,
        url: "http://169.254.169.254/latest/meta-data".into(),
        secret_sealed: vec![1, 2, 3],
        events: events(&["*"]),
        description: String::new(),
        created_at: env.now(),
        disabled_at: None,
    };
    env.app
        .store
        .create_webhook(&OrgScope::system(org.id, "test"), &metadata, 16, env.now())
        .await
        .unwrap();

    // A production instance on the same database delivers their events.
    let strict = app_on(&env, false);
    assert_eq!(
        strict
            .emit(org.id, LETTER_DELIVERED, "{}".into())
            .await
            .unwrap(),
        5
    );
    run_due_jobs_once(&strict).await.unwrap();
    assert!(
        rx.requests().is_empty(),
        "nothing reached the receiver on 127.0.0.1"
    );
    let log = deliveries(&env, &org, None).await;
    assert_eq!(log.len(), 5);
    for d in &log {
        assert_eq!(d.attempts, 1, "{d:?}");
        assert_eq!(d.state, DeliveryState::Pending, "{d:?}");
        assert_eq!(d.last_status, None, "{d:?}");
        assert_eq!(d.last_error, Some(DeliveryError::PrivateAddress), "{d:?}");
    }

    // Where they are allowed, the loopback endpoints are reached: the
    // refusal above was the guard's, not the network's. (The 10.0.0.1
    // endpoint is disabled first: tests send nothing beyond this machine.)
    env.app.disable_webhook(&org.actor, ids[3]).await.unwrap();
    env.advance(backoff_secs(1));
    run_due_jobs_once(&env.app).await.unwrap();
    assert_eq!(rx.requests().len(), 2, "127.0.0.1 and localhost");
    let log = deliveries(&env, &org, None).await;
    let of = |id: uuid::Uuid| log.iter().find(|d| d.webhook == id).unwrap();
    assert_eq!(of(ids[0]).state, DeliveryState::Delivered);
    assert_eq!(of(ids[1]).state, DeliveryState::Delivered);
    assert_eq!(
        of(metadata.id).last_error,
        Some(DeliveryError::PrivateAddress),
        "link-local stays refused"
    );
    env.close().await;
}

async fn delivery_errors_are_classified(backend: Backend) {
    let env = dev_env(backend).await;
    let org = env.org("acme").await;
    let redirect = Receiver::start(&env, &[], 302).await;
    let missing = Receiver::start(&env, &[], 404).await;
    let broken = Receiver::start(&env, &[], 500).await;
    let plain = Receiver::start(&env, &[], 200).await;
    let (_closed, closed_port) = closed_port();
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();

    let cases = [
        (redirect.url.clone(), DeliveryError::Http3xx, Some(302)),
        (missing.url.clone(), DeliveryError::Http4xx, Some(404)),
        (broken.url.clone(), DeliveryError::Http5xx, Some(500)),
        (
            format!("http://127.0.0.1:{closed_port}/courrier/events"),
            DeliveryError::Refused,
            None,
        ),
        (
            plain.url.replace("http://", "https://"),
            DeliveryError::Tls,
            None,
        ),
        (
            "https://no-such-host.invalid/courrier/events".to_string(),
            DeliveryError::Dns,
            None,
        ),
        (
            format!("http://127.0.0.1:{silent_port}/courrier/events"),
            DeliveryError::Timeout,
            None,
        ),
    ];
    let mut want = Vec::new();
    for (url, class, status) in &cases {
        let (hook, _) = env
            .app
            .create_webhook(&org.actor, url, &events(&["*"]), "")
            .await
            .unwrap();
        want.push((hook.id, *class, *status));
    }
    env.app
        .emit(org.id, MAIL_RECEIVED, "{}".into())
        .await
        .unwrap();
    run_due_jobs_once(&env.app).await.unwrap();
    drop(silent);

    let log = deliveries(&env, &org, None).await;
    assert_eq!(log.len(), cases.len());
    for (hook, class, status) in want {
        let d = log.iter().find(|d| d.webhook == hook).unwrap();
        assert_eq!(d.attempts, 1, "{d:?}");
        assert_eq!(d.last_error, Some(class), "{d:?}");
        assert_eq!(d.last_status, status, "{d:?}");
    }
    assert_eq!(missing.requests().len(), 1);
    assert!(plain.requests().is_empty(), "a TLS hello is no request");
    env.close().await;
}
