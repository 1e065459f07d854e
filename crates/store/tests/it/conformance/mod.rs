//! The storage conformance suite: every test runs once against SQLite and once
//! against PostgreSQL, each on a fresh, migrated database, and must behave the
//! same on both. `cargo test -p courrier-store sqlite` or `… postgres` runs one
//! backend only.

use courrier_domain::audit::{AuditEvent, verify_chain};
use courrier_domain::{
    ApiKeyId, Currency, EmailAddress, InvitationId, JobId, OrgId, OrgKind, OrgScope, Permission,
    Role, Timestamp, UserId,
};
use courrier_store::{
    ApiKeyRecord, DocumentRecord, EmailRecord, EmailState, IdempotencyState, InvitationRecord,
    JobState, NewJob, OrgRecord, SessionRecord, Store, StoreError, UserRecord,
};
use courrier_testkit::Backend;
use std::collections::{BTreeSet, HashSet};

// ----- helpers -----

const T0: i64 = 1_700_000_000_000;

/// `secs` seconds after the suite's fixed epoch.
fn at(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0 + secs * 1000)
}

fn org_record(name: &str) -> OrgRecord {
    OrgRecord {
        id: OrgId::random(),
        name: name.to_string(),
        kind: OrgKind::Customer,
        country: "CH".to_string(),
        currency: Currency::CHF,
        require_2fa: false,
        time_zone: "Europe/Zurich".into(),
        wrapped_key: vec![1, 2, 3, 4],
        created_at: at(0),
    }
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn user_record(address: &str, role: Role) -> UserRecord {
    UserRecord {
        id: UserId::random(),
        // Ignored by the store: the scope decides the organisation.
        org: OrgId::random(),
        email: email(address),
        display_name: format!("Person {address}"),
        password_hash: "argon2:hash".to_string(),
        role,
        locale: "fr".to_string(),
        totp_secret: None,
        totp_enabled: false,
        created_at: at(1),
    }
}

/// Creates a customer organisation and returns it with a system scope on it.
async fn new_org(store: &Store, name: &str) -> (OrgId, OrgScope) {
    let org = org_record(name);
    store.create_org(&org, "system:test").await.unwrap();
    (org.id, OrgScope::system(org.id, "test"))
}

/// Creates a person in the scope's organisation.
async fn new_user(store: &Store, scope: &OrgScope, address: &str, role: Role) -> UserRecord {
    let user = user_record(address, role);
    store.create_user(scope, &user, at(1)).await.unwrap();
    user
}

/// Verifies the organisation's audit chain against its recorded head and
/// returns the actions in sequence order.
async fn chain_actions(store: &Store, org: OrgId) -> Vec<String> {
    let (entries, head) = store.audit_chain(org).await.unwrap();
    verify_chain(&entries, Some(&head)).unwrap();
    let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=entries.len() as i64).collect::<Vec<_>>(),
        "gapless sequence"
    );
    assert!(
        entries.iter().all(|e| e.org == org),
        "only this organisation's entries"
    );
    entries.into_iter().map(|e| e.action).collect()
}

/// An endpoint of the scope's organisation subscribed to `events`.
async fn add_webhook(store: &Store, scope: &OrgScope, events: &[&str]) -> uuid::Uuid {
    let hook = courrier_store::WebhookRecord {
        id: uuid::Uuid::new_v4(),
        org: scope.org(),
        url: format!("https://hooks.example.ch/{}", uuid::Uuid::new_v4()),
        secret_sealed: vec![1],
        events: events.iter().map(|e| e.to_string()).collect(),
        description: String::new(),
        created_at: at(1),
        disabled_at: None,
    };
    store.create_webhook(scope, &hook, 16, at(1)).await.unwrap();
    hook.id
}

/// An outbox of one event of `event_type`, numbered `n`, whose deliveries
/// are sent by `webhook.deliver` jobs.
fn outbox_of(event_type: &str, n: u32) -> courrier_store::Outbox {
    let mut outbox = courrier_store::Outbox::new(|id, run_at| NewJob {
        kind: "webhook.deliver".to_string(),
        payload: id.to_string(),
        unique_key: Some(format!("webhook:{id}")),
        run_at,
        max_attempts: 10,
    });
    outbox.push(courrier_store::WebhookEvent {
        event_type: event_type.to_string(),
        event_id: format!("evt_{n}"),
        payload: format!("{{\"id\":\"evt_{n}\",\"type\":\"{event_type}\"}}"),
    });
    outbox
}

/// The event ids of the scope's deliveries, and the payloads of the queued
/// delivery jobs.
async fn outbox_state(store: &Store, scope: &OrgScope) -> (Vec<String>, Vec<String>) {
    let deliveries = store
        .list_webhook_deliveries(scope, None, None, 100)
        .await
        .unwrap()
        .items;
    let mut jobs: Vec<String> = store
        .list_jobs(JobState::Queued, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "webhook.deliver")
        .map(|j| j.payload)
        .collect();
    jobs.sort();
    (deliveries.into_iter().map(|d| d.event_id).collect(), jobs)
}

fn job(kind: &str, run_at: Timestamp) -> NewJob {
    NewJob {
        kind: kind.to_string(),
        payload: format!("{{\"kind\":\"{kind}\"}}"),
        unique_key: None,
        run_at,
        max_attempts: 3,
    }
}

fn invitation(
    address: &str,
    role: Role,
    token_hash: &str,
    expires_at: Timestamp,
) -> InvitationRecord {
    InvitationRecord {
        id: InvitationId::random(),
        org: OrgId::random(),
        email: email(address),
        role,
        token_hash: token_hash.to_string(),
        invited_by: "ignored".to_string(),
        created_at: at(0),
        expires_at,
        accepted_at: None,
        revoked_at: None,
    }
}

fn api_key(prefix: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: ApiKeyId::random(),
        org: OrgId::random(),
        name: format!("key {prefix}"),
        prefix: prefix.to_string(),
        secret_hash: format!("sha256:{prefix}"),
        permissions: vec![Permission::LettersSend, Permission::AuditRead],
        created_by: "ignored".to_string(),
        created_at: at(0),
        last_used_at: None,
        revoked_at: None,
    }
}

fn session(token_hash: &str, user: UserId, expires_at: Timestamp) -> SessionRecord {
    SessionRecord {
        token_hash: token_hash.to_string(),
        user,
        csrf_token: format!("csrf-{token_hash}"),
        second_factor_done: false,
        ip: Some("192.0.2.7".to_string()),
        created_at: at(0),
        expires_at,
    }
}

fn outgoing_email(to: &str, subject: &str) -> EmailRecord {
    EmailRecord {
        id: courrier_domain::EmailId::random(),
        to: email(to),
        subject: subject.to_string(),
        body_text: format!("text of {subject}"),
        body_html: format!("<p>{subject}</p>"),
        state: EmailState::Sent,
        attempts: 7,
        last_error: None,
        created_at: at(0),
        sent_at: None,
    }
}

fn delivery(email: &EmailRecord, run_at: Timestamp) -> NewJob {
    NewJob {
        kind: "email.send".to_string(),
        payload: email.id.to_string(),
        unique_key: None,
        run_at,
        max_attempts: 5,
    }
}

fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound)),
        "expected NotFound, got {r:?}"
    );
}

// Organisations: creation, keys, settings, the audit chain head.
mod orgs;

// Users: members, roles, removals and what they revoke.
mod users;

// Sessions and throttling, invitations, password resets, API keys.
mod auth;

// The audit chain.
mod audit;

// The durable job queue: claims, leases, retries, unique keys.
mod jobs;

// The e-mail outbox.
mod emails;

// Documents: tenancy and crypto-shredding.
mod documents;

// Outbound letters, runs and letter settings.
mod letters;

// Webhook endpoints and their delivery log.
mod webhooks;

// Mailboxes, mail items, custody, tasks, pickups and search.
mod mailbox;

// Report schedules, reports and the letters of a period.
mod reports;

// Carrier tariffs: seeds, versioned saves, history.
mod tariffs;

// Received versus inserted at the counter, and the daily digest of new mail.
mod intake_counts;

// Sign-ups at a location: plans, identity documents, e-mails and reminders, plan billing.
mod signup;

// Idempotency keys: owners, leases, effects marked in their transaction, expiry.
mod idempotency;

// Both migration sets describe one schema.
mod schema;
