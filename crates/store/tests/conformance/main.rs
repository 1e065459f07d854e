//! The storage conformance suite: every test runs once against SQLite and once
//! against PostgreSQL, each on a fresh, migrated database, and must behave the
//! same on both. `cargo test -p courrier-store sqlite` or `… postgres` runs one
//! backend only.

// Test code may fail loudly. clippy.toml already allows this inside #[test]
// functions; the shared helpers below live outside them, so say it for the file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use courrier_domain::audit::{AuditEvent, verify_chain};
use courrier_domain::codes;
use courrier_domain::{
    ApiKeyId, Currency, EmailAddress, InvitationId, JobId, OrgId, OrgKind, OrgScope, Permission,
    Role, Timestamp, UserId,
};
use courrier_store::testing::TestDb;
use courrier_store::{
    ApiKeyRecord, DocumentRecord, EmailRecord, EmailState, IdempotencyState, InvitationRecord,
    JobState, NewJob, OrgRecord, SessionRecord, Store, StoreError, UserRecord,
};
use std::collections::{BTreeSet, HashSet};
use std::future::Future;

/// Writes a test once and runs it on both backends: `name::sqlite` and `name::postgres`.
macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = TestDb::sqlite().await;
                run(&db, $body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let db = TestDb::postgres().await;
                run(&db, $body).await;
            }
        }
    };
}

/// Runs a test body on the database's store; `db` outlives the body.
async fn run<F, Fut>(db: &TestDb, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    body(db.store.clone()).await;
    db.store.close().await;
}

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
        id: uuid::Uuid::new_v4(),
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

// ----- organisations -----

conformance!(orgs_roundtrip, |store: Store| async move {
    let mut org = org_record("Muster AG");
    org.kind = OrgKind::MailCenter;
    org.currency = Currency::EUR;
    org.country = "DE".to_string();
    org.wrapped_key = vec![0, 255, 7, 42];
    store.create_org(&org, "system:cli").await.unwrap();

    let got = store.org(org.id).await.unwrap();
    assert_eq!(got.id, org.id);
    assert_eq!(got.name, "Muster AG");
    assert_eq!(got.kind, OrgKind::MailCenter);
    assert_eq!(got.country, "DE");
    assert_eq!(got.currency, Currency::EUR);
    assert!(!got.require_2fa);
    assert_eq!(got.wrapped_key, vec![0, 255, 7, 42]);
    assert_eq!(got.created_at, at(0));

    assert_not_found(store.org(OrgId::random()).await);
    let dup = store.create_org(&org, "system:cli").await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict {
                what: codes::ORG_EXISTS
            })
        ),
        "{dup:?}"
    );

    let (entries, _) = store.audit_chain(org.id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "org.created");
    assert_eq!(entries[0].actor, "system:cli");
    assert_eq!(entries[0].target, org.id.to_string());
});

conformance!(orgs_ids_and_paging, |store: Store| async move {
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        ids.push(new_org(&store, name).await.0);
    }
    ids.sort();
    assert_eq!(store.org_ids().await.unwrap(), ids);

    let first = store.list_orgs(None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = store.list_orgs(Some(&cursor), 2).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.next_cursor, None);
    let paged: Vec<OrgId> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|o| o.id)
        .collect();
    assert_eq!(
        paged, ids,
        "pages cover every organisation once, in id order"
    );

    let all = store.list_orgs(None, 3).await.unwrap();
    assert_eq!(all.items.len(), 3);
    assert_eq!(
        all.next_cursor, None,
        "an exactly full page has no next page"
    );
});

conformance!(orgs_require_2fa, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (other, _) = new_org(&store, "Other AG").await;
    store.set_require_2fa(&scope, true, at(5)).await.unwrap();
    assert!(store.org(org).await.unwrap().require_2fa);
    assert!(
        !store.org(other).await.unwrap().require_2fa,
        "only the scope's organisation changes"
    );
    store.set_require_2fa(&scope, false, at(6)).await.unwrap();
    assert!(!store.org(org).await.unwrap().require_2fa);

    assert_eq!(
        chain_actions(&store, org).await,
        ["org.created", "org.require_2fa", "org.require_2fa"]
    );
    let (entries, _) = store.audit_chain(org).await.unwrap();
    assert_eq!(entries[1].detail, "on");
    assert_eq!(entries[2].detail, "off");
    assert_eq!(entries[1].at, at(5));
    assert_eq!(entries[1].actor, "test");
});

// ----- users -----

conformance!(users_roundtrip, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let mut user = user_record("Anna@Example.CH", Role::Admin);
    user.totp_secret = Some(vec![9, 9]);
    store.create_user(&scope, &user, at(2)).await.unwrap();

    let got = store
        .user_by_email(&email("anna@example.ch"))
        .await
        .unwrap()
        .expect("found by address");
    assert_eq!(got.id, user.id);
    assert_eq!(got.org, org, "the scope decides the organisation");
    assert_eq!(got.email.as_str(), "anna@example.ch");
    assert_eq!(got.display_name, user.display_name);
    assert_eq!(got.password_hash, "argon2:hash");
    assert_eq!(got.role, Role::Admin);
    assert_eq!(got.locale, "fr");
    assert_eq!(got.totp_secret, Some(vec![9, 9]));
    assert!(!got.totp_enabled);
    assert_eq!(got.created_at, at(1));
    assert!(
        store
            .user_by_email(&email("nobody@example.ch"))
            .await
            .unwrap()
            .is_none()
    );

    assert_eq!(store.user(user.id).await.unwrap().email, user.email);
    assert_not_found(store.user(UserId::random()).await);
    assert_eq!(
        store.user_in_org(&scope, user.id).await.unwrap().id,
        user.id
    );

    store.set_locale(user.id, "de").await.unwrap();
    assert_eq!(store.user(user.id).await.unwrap().locale, "de");

    assert_eq!(
        chain_actions(&store, org).await,
        ["org.created", "user.created"]
    );
});

conformance!(users_list_paging, |store: Store| async move {
    let (_, scope) = new_org(&store, "Muster AG").await;
    let (_, other) = new_org(&store, "Other AG").await;
    for address in ["carl@example.ch", "anna@example.ch", "bert@example.ch"] {
        new_user(&store, &scope, address, Role::Member).await;
    }
    new_user(&store, &other, "aaron@example.ch", Role::Admin).await;

    let first = store.list_users(&scope, None, 2).await.unwrap();
    let emails: Vec<&str> = first.items.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["anna@example.ch", "bert@example.ch"]);
    let cursor = first.next_cursor.expect("a second page");
    let second = store.list_users(&scope, Some(&cursor), 2).await.unwrap();
    let emails: Vec<&str> = second.items.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["carl@example.ch"]);
    assert_eq!(second.next_cursor, None);

    let others = store.list_users(&other, None, 10).await.unwrap();
    assert_eq!(
        others.items.len(),
        1,
        "another organisation's people are not listed"
    );
    assert_eq!(others.items[0].email.as_str(), "aaron@example.ch");
});

conformance!(users_tenancy, |store: Store| async move {
    let (org_a, scope_a) = new_org(&store, "A").await;
    let (org_b, scope_b) = new_org(&store, "B").await;
    let admin_a = new_user(&store, &scope_a, "admin@a.ch", Role::Admin).await;
    let member_a = new_user(&store, &scope_a, "member@a.ch", Role::Member).await;
    new_user(&store, &scope_b, "admin@b.ch", Role::Admin).await;

    assert_not_found(store.user_in_org(&scope_b, admin_a.id).await);
    assert_not_found(
        store
            .set_user_role(&scope_b, member_a.id, None, Role::Approver, at(3))
            .await,
    );
    assert_not_found(store.remove_user(&scope_b, member_a.id, None, at(3)).await);
    assert_not_found(store.set_password(&scope_b, member_a.id, "x", at(3)).await);
    assert_not_found(
        store
            .set_totp(&scope_b, member_a.id, Some(b"s"), false, &[], at(3))
            .await,
    );

    assert_eq!(
        store.user(member_a.id).await.unwrap().role,
        Role::Member,
        "untouched"
    );
    assert_eq!(
        store.user(member_a.id).await.unwrap().password_hash,
        "argon2:hash",
        "untouched"
    );
    let actions_b = chain_actions(&store, org_b).await;
    assert_eq!(
        actions_b,
        ["org.created", "user.created"],
        "refused calls leave no audit entry"
    );
    assert_eq!(
        chain_actions(&store, org_a).await,
        ["org.created", "user.created", "user.created"]
    );
});

conformance!(users_roles_and_last_manager, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (_, other) = new_org(&store, "Other AG").await;
    let admin = new_user(&store, &scope, "admin@example.ch", Role::Admin).await;
    let member = new_user(&store, &scope, "member@example.ch", Role::Member).await;
    // A manager in another organisation does not count.
    new_user(&store, &other, "admin@other.ch", Role::Admin).await;

    store
        .set_user_role(&scope, member.id, None, Role::Approver, at(2))
        .await
        .unwrap();
    assert_eq!(store.user(member.id).await.unwrap().role, Role::Approver);

    let demote = store
        .set_user_role(&scope, admin.id, None, Role::Member, at(3))
        .await;
    assert!(
        matches!(
            demote,
            Err(StoreError::Refused {
                what: codes::USER_LAST_MANAGER
            })
        ),
        "{demote:?}"
    );
    let remove = store.remove_user(&scope, admin.id, None, at(3)).await;
    assert!(
        matches!(
            remove,
            Err(StoreError::Refused {
                what: codes::USER_LAST_MANAGER
            })
        ),
        "{remove:?}"
    );
    assert_eq!(
        store.user(admin.id).await.unwrap().role,
        Role::Admin,
        "still the administrator"
    );

    // A manager keeping a managing role is fine even when alone.
    store
        .set_user_role(&scope, admin.id, None, Role::Admin, at(4))
        .await
        .unwrap();

    // With a second administrator, the first may step down and then leave.
    store
        .set_user_role(&scope, member.id, None, Role::Admin, at(5))
        .await
        .unwrap();
    store
        .set_user_role(&scope, admin.id, None, Role::Member, at(6))
        .await
        .unwrap();
    assert_eq!(store.user(admin.id).await.unwrap().role, Role::Member);
    store
        .remove_user(&scope, admin.id, None, at(7))
        .await
        .unwrap();
    assert_not_found(store.user(admin.id).await);
    assert_not_found(store.remove_user(&scope, admin.id, None, at(8)).await);

    // The remaining administrator is now the last one.
    let demote = store
        .set_user_role(&scope, member.id, None, Role::Approver, at(9))
        .await;
    assert!(
        matches!(
            demote,
            Err(StoreError::Refused {
                what: codes::USER_LAST_MANAGER
            })
        ),
        "{demote:?}"
    );

    assert_eq!(
        chain_actions(&store, org).await,
        [
            "org.created",
            "user.created",
            "user.created",
            "user.role_changed",
            "user.role_changed",
            "user.role_changed",
            "user.role_changed",
            "user.removed",
        ]
    );
});

conformance!(
    users_concurrent_demotions_keep_a_manager,
    |store: Store| async move {
        // Two administrators demote each other at the same moment: one must be refused.
        for round in 0..10 {
            let (org, scope) = new_org(&store, &format!("Round {round}")).await;
            let a = new_user(&store, &scope, &format!("a{round}@example.ch"), Role::Admin).await;
            let b = new_user(&store, &scope, &format!("b{round}@example.ch"), Role::Admin).await;
            let tasks: Vec<_> = [a.id, b.id]
                .into_iter()
                .map(|id| {
                    let (store, scope) = (store.clone(), scope.clone());
                    tokio::spawn(async move {
                        store
                            .set_user_role(&scope, id, None, Role::Member, at(5))
                            .await
                    })
                })
                .collect();
            let mut refused = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(()) => {}
                    Err(StoreError::Refused {
                        what: codes::USER_LAST_MANAGER,
                    }) => refused += 1,
                    Err(e) => panic!("unexpected error: {e:?}"),
                }
            }
            assert_eq!(refused, 1, "round {round}: exactly one demotion is refused");
            let managers = store
                .list_users(&scope, None, 10)
                .await
                .unwrap()
                .items
                .iter()
                .filter(|u| u.role.manages_users())
                .count();
            assert_eq!(managers, 1, "round {round}: one administrator is left");
            chain_actions(&store, org).await;
        }
    }
);

conformance!(
    users_role_changed_meanwhile_is_refused,
    |store: Store| async move {
        let (_, scope) = new_org(&store, "Muster AG").await;
        new_user(&store, &scope, "admin@example.ch", Role::Admin).await;
        let person = new_user(&store, &scope, "person@example.ch", Role::Member).await;
        // Someone made the person an admin after the caller read "member".
        store
            .set_user_role(&scope, person.id, Some(Role::Member), Role::Admin, at(2))
            .await
            .unwrap();
        for r in [
            store
                .set_user_role(&scope, person.id, Some(Role::Member), Role::Approver, at(3))
                .await,
            store
                .remove_user(&scope, person.id, Some(Role::Member), at(3))
                .await,
        ] {
            assert!(
                matches!(
                    r,
                    Err(StoreError::Refused {
                        what: codes::USER_ROLE_CHANGED
                    })
                ),
                "{r:?}"
            );
        }
        assert_eq!(store.user(person.id).await.unwrap().role, Role::Admin);
    }
);

conformance!(users_duplicate_email, |store: Store| async move {
    let (org_a, scope_a) = new_org(&store, "A").await;
    let (_, scope_b) = new_org(&store, "B").await;
    new_user(&store, &scope_a, "anna@example.ch", Role::Admin).await;

    let same_org = store
        .create_user(
            &scope_a,
            &user_record("ANNA@example.ch", Role::Member),
            at(2),
        )
        .await;
    assert!(
        matches!(
            same_org,
            Err(StoreError::Conflict {
                what: codes::USER_EMAIL_TAKEN
            })
        ),
        "{same_org:?}"
    );
    let other_org = store
        .create_user(
            &scope_b,
            &user_record("anna@example.ch", Role::Admin),
            at(2),
        )
        .await;
    assert!(
        matches!(
            other_org,
            Err(StoreError::Conflict {
                what: codes::USER_EMAIL_TAKEN
            })
        ),
        "{other_org:?}"
    );

    assert_eq!(
        store
            .list_users(&scope_a, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        store
            .list_users(&scope_b, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    assert_eq!(
        chain_actions(&store, org_a).await,
        ["org.created", "user.created"]
    );
});

conformance!(
    users_set_password_ends_sessions,
    |store: Store| async move {
        let (org, scope) = new_org(&store, "Muster AG").await;
        let anna = new_user(&store, &scope, "anna@example.ch", Role::Admin).await;
        let bert = new_user(&store, &scope, "bert@example.ch", Role::Member).await;
        store
            .create_session(&session("anna-1", anna.id, at(3600)))
            .await
            .unwrap();
        store
            .create_session(&session("anna-2", anna.id, at(3600)))
            .await
            .unwrap();
        store
            .create_session(&session("bert-1", bert.id, at(3600)))
            .await
            .unwrap();

        store
            .set_password(&scope, anna.id, "argon2:new", at(10))
            .await
            .unwrap();
        assert_eq!(
            store.user(anna.id).await.unwrap().password_hash,
            "argon2:new"
        );
        assert!(store.session("anna-1", at(20)).await.unwrap().is_none());
        assert!(store.session("anna-2", at(20)).await.unwrap().is_none());
        assert!(
            store.session("bert-1", at(20)).await.unwrap().is_some(),
            "other people stay signed in"
        );
        assert_not_found(
            store
                .set_password(&scope, UserId::random(), "x", at(11))
                .await,
        );

        assert_eq!(
            chain_actions(&store, org).await,
            [
                "org.created",
                "user.created",
                "user.created",
                "user.password_changed"
            ]
        );
    }
);

conformance!(users_totp_and_recovery_codes, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let anna = new_user(&store, &scope, "anna@example.ch", Role::Admin).await;
    let codes: Vec<String> = (1..=3).map(|i| format!("code-hash-{i}")).collect();

    store
        .set_totp(&scope, anna.id, Some(b"sealed"), false, &codes, at(2))
        .await
        .unwrap();
    let u = store.user(anna.id).await.unwrap();
    assert_eq!(u.totp_secret.as_deref(), Some(&b"sealed"[..]));
    assert!(!u.totp_enabled);
    assert_eq!(store.unused_recovery_codes(anna.id).await.unwrap(), 3);

    store
        .set_totp(&scope, anna.id, Some(b"sealed"), true, &codes, at(3))
        .await
        .unwrap();
    assert!(store.user(anna.id).await.unwrap().totp_enabled);
    assert_eq!(
        store.unused_recovery_codes(anna.id).await.unwrap(),
        3,
        "codes replaced, not added"
    );

    assert!(
        store
            .use_recovery_code(anna.id, "code-hash-2", at(4))
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_recovery_code(anna.id, "code-hash-2", at(5))
            .await
            .unwrap(),
        "a code works once"
    );
    assert!(
        !store
            .use_recovery_code(anna.id, "no-such-code", at(5))
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_recovery_code(UserId::random(), "code-hash-1", at(5))
            .await
            .unwrap()
    );
    assert_eq!(store.unused_recovery_codes(anna.id).await.unwrap(), 2);

    // New codes replace the old ones, used or not.
    store
        .set_totp(
            &scope,
            anna.id,
            Some(b"sealed"),
            true,
            &["fresh".to_string()],
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(store.unused_recovery_codes(anna.id).await.unwrap(), 1);
    assert!(
        !store
            .use_recovery_code(anna.id, "code-hash-1", at(7))
            .await
            .unwrap()
    );

    store
        .set_totp(&scope, anna.id, None, false, &[], at(8))
        .await
        .unwrap();
    let u = store.user(anna.id).await.unwrap();
    assert_eq!(u.totp_secret, None);
    assert!(!u.totp_enabled);
    assert_eq!(store.unused_recovery_codes(anna.id).await.unwrap(), 0);

    assert_eq!(
        chain_actions(&store, org).await,
        [
            "org.created",
            "user.created",
            "user.2fa_started",
            "user.2fa_enabled",
            "user.2fa_enabled",
            "user.2fa_disabled"
        ]
    );
});

// ----- sessions and throttling -----

conformance!(sessions_lifecycle, |store: Store| async move {
    let (_, scope) = new_org(&store, "Muster AG").await;
    let anna = new_user(&store, &scope, "anna@example.ch", Role::Admin).await;
    store
        .create_session(&session("live", anna.id, at(3600)))
        .await
        .unwrap();
    store
        .create_session(&session("old", anna.id, at(60)))
        .await
        .unwrap();

    let s = store
        .session("live", at(100))
        .await
        .unwrap()
        .expect("a live session");
    assert_eq!(s.token_hash, "live");
    assert_eq!(s.user, anna.id);
    assert_eq!(s.csrf_token, "csrf-live");
    assert!(!s.second_factor_done);
    assert_eq!(s.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(s.created_at, at(0));
    assert_eq!(s.expires_at, at(3600));

    assert!(store.session("old", at(59)).await.unwrap().is_some());
    assert!(
        store.session("old", at(60)).await.unwrap().is_none(),
        "expired at its expiry time"
    );
    assert!(store.session("old", at(100)).await.unwrap().is_none());
    assert!(store.session("nope", at(0)).await.unwrap().is_none());

    store.mark_second_factor_done("live").await.unwrap();
    assert!(
        store
            .session("live", at(100))
            .await
            .unwrap()
            .unwrap()
            .second_factor_done
    );

    store.delete_session("live").await.unwrap();
    assert!(store.session("live", at(100)).await.unwrap().is_none());
    store.delete_session("live").await.unwrap();

    // A removed person's sessions go with them.
    let bert = new_user(&store, &scope, "bert@example.ch", Role::Member).await;
    store
        .create_session(&session("bert", bert.id, at(3600)))
        .await
        .unwrap();
    store
        .remove_user(&scope, bert.id, None, at(10))
        .await
        .unwrap();
    assert!(store.session("bert", at(100)).await.unwrap().is_none());
});

conformance!(login_failures, |store: Store| async move {
    for s in [10, 20, 30] {
        store
            .record_login_failure("anna@example.ch", at(s))
            .await
            .unwrap();
    }
    store
        .record_login_failure("192.0.2.7", at(15))
        .await
        .unwrap();

    assert_eq!(
        store
            .login_failures_since("anna@example.ch", at(0))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .login_failures_since("anna@example.ch", at(20))
            .await
            .unwrap(),
        1,
        "strictly after"
    );
    assert_eq!(
        store
            .login_failures_since("anna@example.ch", at(30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.login_failures_since("nobody", at(0)).await.unwrap(),
        0
    );

    store.clear_login_failures("anna@example.ch").await.unwrap();
    assert_eq!(
        store
            .login_failures_since("anna@example.ch", at(0))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .login_failures_since("192.0.2.7", at(0))
            .await
            .unwrap(),
        1,
        "other keys are kept"
    );
});

// Attempts at once on one key: each is recorded, then counted, in one
// transaction the others wait for, so at most `max` are admitted.
conformance!(
    parallel_attempts_admit_at_most_the_limit,
    |store: Store| async move {
        let tasks: Vec<_> = (0..30)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .admit_attempt("login:anna@example.ch", at(100), at(0), 5)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut admitted = 0;
        for t in tasks {
            if t.await.unwrap() {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 5);
        // Refused attempts were taken back: the window holds the five admitted.
        assert_eq!(
            store
                .login_failures_since("login:anna@example.ch", at(0))
                .await
                .unwrap(),
            5
        );
        // Once the window has moved on, attempts are admitted again.
        assert!(
            store
                .admit_attempt("login:anna@example.ch", at(200), at(150), 5)
                .await
                .unwrap()
        );
        // Forgetting one attempt removes exactly one of equal rows.
        store
            .forget_attempt("login:anna@example.ch", at(100))
            .await
            .unwrap();
        assert_eq!(
            store
                .login_failures_since("login:anna@example.ch", at(0))
                .await
                .unwrap(),
            5
        );
        assert_eq!(
            store
                .login_failures_since("login:anna@example.ch", at(150))
                .await
                .unwrap(),
            1
        );
    }
);

// ----- invitations -----

conformance!(invitations_accept_once, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (_, other) = new_org(&store, "Other AG").await;
    new_user(&store, &scope, "admin@example.ch", Role::Admin).await;
    let inv = invitation("bert@example.ch", Role::Approver, "tok-1", at(3600));
    store.create_invitation(&scope, &inv, at(1)).await.unwrap();

    let open = store
        .open_invitation("tok-1", at(10))
        .await
        .unwrap()
        .expect("open");
    assert_eq!(open.id, inv.id);
    assert_eq!(open.org, org, "the scope decides the organisation");
    assert_eq!(open.email.as_str(), "bert@example.ch");
    assert_eq!(open.role, Role::Approver);
    assert_eq!(open.invited_by, "test", "the scope's actor invited");
    assert_eq!(open.expires_at, at(3600));
    assert_eq!(open.accepted_at, None);
    assert!(
        store
            .open_invitation("tok-unknown", at(10))
            .await
            .unwrap()
            .is_none()
    );

    let listed = store.list_invitations(&scope, at(10)).await.unwrap();
    assert_eq!(listed.iter().map(|i| i.id).collect::<Vec<_>>(), [inv.id]);
    assert!(
        store
            .list_invitations(&other, at(10))
            .await
            .unwrap()
            .is_empty()
    );

    // Accepting with an address that is taken fails and leaves the invitation open.
    let taken = user_record("admin@example.ch", Role::Approver);
    let r = store.accept_invitation(inv.id, &taken, at(20)).await;
    assert!(
        matches!(
            r,
            Err(StoreError::Conflict {
                what: codes::USER_EMAIL_TAKEN
            })
        ),
        "{r:?}"
    );
    assert!(
        store
            .open_invitation("tok-1", at(20))
            .await
            .unwrap()
            .is_some(),
        "rolled back"
    );

    let bert = user_record("bert@example.ch", Role::Approver);
    store
        .accept_invitation(inv.id, &bert, at(30))
        .await
        .unwrap();
    let joined = store.user_in_org(&scope, bert.id).await.unwrap();
    assert_eq!(joined.org, org);
    assert_eq!(joined.role, Role::Approver);
    assert!(
        store
            .open_invitation("tok-1", at(31))
            .await
            .unwrap()
            .is_none(),
        "accepted is closed"
    );
    assert!(
        store
            .list_invitations(&scope, at(31))
            .await
            .unwrap()
            .is_empty()
    );

    let again = user_record("bert2@example.ch", Role::Approver);
    assert_not_found(store.accept_invitation(inv.id, &again, at(40)).await);
    assert!(store.user_by_email(&again.email).await.unwrap().is_none());
    assert_not_found(store.revoke_invitation(&scope, inv.id, at(41)).await);

    assert_eq!(
        chain_actions(&store, org).await,
        ["org.created", "user.created", "user.invited", "user.joined"]
    );
    let (entries, _) = store.audit_chain(org).await.unwrap();
    assert_eq!(entries[3].actor, format!("user:{}", bert.id));
    assert_eq!(entries[3].at, at(30));
});

conformance!(invitations_expire_and_revoke, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (other_org, other) = new_org(&store, "Other AG").await;

    let short = invitation("short@example.ch", Role::Member, "tok-short", at(100));
    store
        .create_invitation(&scope, &short, at(1))
        .await
        .unwrap();
    assert!(
        store
            .open_invitation("tok-short", at(99))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .open_invitation("tok-short", at(100))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        store
            .list_invitations(&scope, at(100))
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store
            .accept_invitation(
                short.id,
                &user_record("short@example.ch", Role::Member),
                at(100),
            )
            .await,
    );

    let inv = invitation("carl@example.ch", Role::Member, "tok-carl", at(3600));
    store.create_invitation(&scope, &inv, at(2)).await.unwrap();
    assert_not_found(store.revoke_invitation(&other, inv.id, at(3)).await);
    assert!(
        store
            .open_invitation("tok-carl", at(4))
            .await
            .unwrap()
            .is_some(),
        "still open"
    );

    store
        .revoke_invitation(&scope, inv.id, at(5))
        .await
        .unwrap();
    assert!(
        store
            .open_invitation("tok-carl", at(6))
            .await
            .unwrap()
            .is_none(),
        "revoked is closed"
    );
    assert_not_found(store.revoke_invitation(&scope, inv.id, at(7)).await);
    assert_not_found(
        store
            .accept_invitation(inv.id, &user_record("carl@example.ch", Role::Member), at(8))
            .await,
    );

    assert_eq!(
        chain_actions(&store, org).await,
        [
            "org.created",
            "user.invited",
            "user.invited",
            "user.invitation_revoked"
        ]
    );
    assert_eq!(chain_actions(&store, other_org).await, ["org.created"]);
});

// ----- password resets -----

conformance!(password_resets_once, |store: Store| async move {
    let (_, scope) = new_org(&store, "Muster AG").await;
    let anna = new_user(&store, &scope, "anna@example.ch", Role::Admin).await;
    store
        .create_password_reset(anna.id, "reset-1", at(3600))
        .await
        .unwrap();
    store
        .create_password_reset(anna.id, "reset-old", at(60))
        .await
        .unwrap();

    assert_eq!(
        store.take_password_reset("reset-1", at(10)).await.unwrap(),
        Some(anna.id)
    );
    assert_eq!(
        store.take_password_reset("reset-1", at(11)).await.unwrap(),
        None,
        "spent"
    );
    assert_eq!(
        store
            .take_password_reset("reset-old", at(60))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store
            .take_password_reset("reset-old", at(61))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.take_password_reset("unknown", at(10)).await.unwrap(),
        None
    );
});

// ----- API keys -----

conformance!(api_keys_lifecycle, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (other_org, other) = new_org(&store, "Other AG").await;
    let key = api_key("ck_live_a");
    store.create_api_key(&scope, &key, at(1)).await.unwrap();

    let got = store
        .active_api_key("ck_live_a")
        .await
        .unwrap()
        .expect("active");
    assert_eq!(got.id, key.id);
    assert_eq!(got.org, org);
    assert_eq!(got.name, "key ck_live_a");
    assert_eq!(got.secret_hash, "sha256:ck_live_a");
    let mut perms = got.permissions.clone();
    perms.sort();
    assert_eq!(perms, [Permission::AuditRead, Permission::LettersSend]);
    assert_eq!(got.created_by, "test");
    assert_eq!(got.created_at, at(0));
    assert_eq!(got.last_used_at, None);
    assert_eq!(got.revoked_at, None);
    assert!(store.active_api_key("ck_live_x").await.unwrap().is_none());

    store.touch_api_key(key.id, at(50)).await.unwrap();
    assert_eq!(
        store
            .active_api_key("ck_live_a")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(at(50))
    );

    let dup = store
        .create_api_key(&other, &api_key("ck_live_a"), at(2))
        .await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict {
                what: codes::APIKEY_PREFIX_TAKEN
            })
        ),
        "{dup:?}"
    );

    store
        .create_api_key(&scope, &api_key("ck_live_b"), at(3))
        .await
        .unwrap();
    store
        .create_api_key(&scope, &api_key("ck_live_c"), at(4))
        .await
        .unwrap();
    store
        .create_api_key(&other, &api_key("ck_live_z"), at(5))
        .await
        .unwrap();
    let first = store.list_api_keys(&scope, None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = store.list_api_keys(&scope, Some(&cursor), 2).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.next_cursor, None);
    let prefixes: BTreeSet<String> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|k| k.prefix.clone())
        .collect();
    assert_eq!(
        prefixes,
        BTreeSet::from(["ck_live_a", "ck_live_b", "ck_live_c"].map(String::from))
    );
    assert_eq!(
        store
            .list_api_keys(&other, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    assert_not_found(store.revoke_api_key(&other, key.id, at(6)).await);
    assert!(
        store.active_api_key("ck_live_a").await.unwrap().is_some(),
        "still active"
    );
    store.revoke_api_key(&scope, key.id, at(7)).await.unwrap();
    assert!(
        store.active_api_key("ck_live_a").await.unwrap().is_none(),
        "revoked"
    );
    assert_not_found(store.revoke_api_key(&scope, key.id, at(8)).await);
    let listed = store.list_api_keys(&scope, None, 10).await.unwrap();
    let revoked = listed
        .items
        .iter()
        .find(|k| k.id == key.id)
        .expect("revoked keys stay listed");
    assert_eq!(revoked.revoked_at, Some(at(7)));

    assert_eq!(
        chain_actions(&store, org).await,
        [
            "org.created",
            "apikey.created",
            "apikey.created",
            "apikey.created",
            "apikey.revoked"
        ]
    );
    assert_eq!(
        chain_actions(&store, other_org).await,
        ["org.created", "apikey.created"]
    );
});

// ----- audit -----

conformance!(audit_list_pages_newest_first, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (other_org, other) = new_org(&store, "Other AG").await;
    for i in 1..=5 {
        store
            .append_audit(
                &scope,
                &AuditEvent::new("user.login", format!("t{i}"), ""),
                at(i),
            )
            .await
            .unwrap();
    }
    store
        .append_audit(&other, &AuditEvent::new("user.login", "x", ""), at(9))
        .await
        .unwrap();

    let first = store.list_audit(&scope, None, 4).await.unwrap();
    assert_eq!(
        first.items.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [6, 5, 4, 3]
    );
    assert_eq!(first.items[0].target, "t5");
    assert_eq!(first.next_cursor.as_deref(), Some("3"));
    let second = store
        .list_audit(&scope, first.next_cursor.as_deref(), 4)
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(second.items[1].action, "org.created");
    assert_eq!(second.next_cursor, None);
    assert!(
        second
            .items
            .iter()
            .chain(&first.items)
            .all(|e| e.org == org)
    );

    let bad = store.list_audit(&scope, Some("not-a-number"), 4).await;
    assert!(
        matches!(
            bad,
            Err(StoreError::Refused {
                what: codes::CURSOR_INVALID
            })
        ),
        "{bad:?}"
    );

    assert_eq!(chain_actions(&store, org).await.len(), 6);
    assert_eq!(chain_actions(&store, other_org).await.len(), 2);
    assert_not_found(store.audit_chain(OrgId::random()).await);
});

conformance!(audit_chain_detects_tampering, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    for i in 1..=3 {
        store
            .append_audit(
                &scope,
                &AuditEvent::new("user.login", format!("t{i}"), "d"),
                at(i),
            )
            .await
            .unwrap();
    }
    let (entries, head) = store.audit_chain(org).await.unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries.last().unwrap().hash, head);
    assert!(
        verify_chain(&entries[..3], Some(&head)).is_err(),
        "a missing tail is detected"
    );
    let mut edited = entries.clone();
    edited[2].detail = "changed".to_string();
    assert!(
        verify_chain(&edited, Some(&head)).is_err(),
        "an edit is detected"
    );
});

conformance!(audit_concurrent_appends, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (store, scope) = (store.clone(), scope.clone());
            tokio::spawn(async move {
                store
                    .append_audit(
                        &scope,
                        &AuditEvent::new("user.login", format!("t{i}"), ""),
                        at(i),
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let (entries, head) = store.audit_chain(org).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=21).collect::<Vec<i64>>()
    );
    verify_chain(&entries, Some(&head)).unwrap();
    let targets: HashSet<&str> = entries.iter().skip(1).map(|e| e.target.as_str()).collect();
    assert_eq!(targets.len(), 20, "every event is recorded once");
});

// ----- jobs -----

conformance!(jobs_enqueue_and_unique_key, |store: Store| async move {
    let mut keyed = job("report.daily", at(0));
    keyed.unique_key = Some("report:2024-01-01".to_string());
    let id = store
        .enqueue_job(&keyed, at(0))
        .await
        .unwrap()
        .expect("queued");
    assert_eq!(
        store.enqueue_job(&keyed, at(1)).await.unwrap(),
        None,
        "deduplicated while queued"
    );
    // Jobs without a key are never deduplicated.
    let a = store
        .enqueue_job(&job("plain", at(5)), at(0))
        .await
        .unwrap();
    let b = store
        .enqueue_job(&job("plain", at(5)), at(0))
        .await
        .unwrap();
    assert!(a.is_some() && b.is_some() && a != b);

    let j = store.job(id).await.unwrap();
    assert_eq!(j.kind, "report.daily");
    assert_eq!(j.payload, "{\"kind\":\"report.daily\"}");
    assert_eq!(j.unique_key.as_deref(), Some("report:2024-01-01"));
    assert_eq!(j.state, JobState::Queued);
    assert_eq!(j.run_at, at(0));
    assert_eq!(j.attempts, 0);
    assert_eq!(j.max_attempts, 3);
    assert_eq!(j.created_at, at(0));
    assert_eq!(j.lease_until, None);
    assert_not_found(store.job(JobId::random()).await);

    // Once it runs, the key is free for the next run.
    let claimed = store
        .claim_job("w1", at(0), at(30))
        .await
        .unwrap()
        .expect("due");
    assert_eq!(claimed.id, id);
    let next = store
        .enqueue_job(&keyed, at(2))
        .await
        .unwrap()
        .expect("a new run may be queued");
    assert_ne!(next, id);
    assert_eq!(store.enqueue_job(&keyed, at(3)).await.unwrap(), None);
});

conformance!(jobs_claim_due_only_and_lease, |store: Store| async move {
    let later = store
        .enqueue_job(&job("later", at(100)), at(0))
        .await
        .unwrap()
        .unwrap();
    let first = store
        .enqueue_job(&job("due", at(0)), at(0))
        .await
        .unwrap()
        .unwrap();
    let older = store
        .enqueue_job(&job("overdue", at(-10)), at(0))
        .await
        .unwrap()
        .unwrap();

    let c = store
        .claim_job("w1", at(1), at(31))
        .await
        .unwrap()
        .expect("due");
    assert_eq!(c.id, older, "the most overdue job first");
    assert_eq!(c.state, JobState::Running);
    assert_eq!(c.attempts, 1);
    assert_eq!(c.locked_by.as_deref(), Some("w1"));
    assert_eq!(c.lease_until, Some(at(31)));
    assert_eq!(
        store
            .claim_job("w2", at(1), at(31))
            .await
            .unwrap()
            .unwrap()
            .id,
        first
    );
    assert!(
        store
            .claim_job("w3", at(2), at(32))
            .await
            .unwrap()
            .is_none(),
        "the future job is not due"
    );
    assert!(
        store
            .claim_job("w3", at(30), at(60))
            .await
            .unwrap()
            .is_none(),
        "live leases are respected"
    );
    assert!(store.complete_job(older, "w1", at(30), None).await.unwrap());
    assert!(store.complete_job(first, "w2", at(30), None).await.unwrap());
    assert!(
        store
            .claim_job("w3", at(99), at(129))
            .await
            .unwrap()
            .is_none()
    );
    let l = store
        .claim_job("w3", at(100), at(130))
        .await
        .unwrap()
        .expect("due now");
    assert_eq!(l.id, later);
    assert_eq!(store.job(later).await.unwrap().state, JobState::Running);
});

conformance!(jobs_lease_expiry_takeover, |store: Store| async move {
    let id = store
        .enqueue_job(&job("work", at(0)), at(0))
        .await
        .unwrap()
        .unwrap();
    let c1 = store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
    assert_eq!(c1.id, id);
    assert!(
        store
            .claim_job("w2", at(10), at(40))
            .await
            .unwrap()
            .is_none(),
        "not while the lease is live"
    );
    assert!(store.extend_job_lease(id, "w1", at(60)).await.unwrap());
    assert!(
        !store.extend_job_lease(id, "w2", at(90)).await.unwrap(),
        "only the holder extends"
    );
    assert!(
        store
            .claim_job("w2", at(45), at(75))
            .await
            .unwrap()
            .is_none(),
        "the extended lease holds"
    );

    let c2 = store
        .claim_job("w2", at(60), at(90))
        .await
        .unwrap()
        .expect("lease expired");
    assert_eq!(c2.id, id);
    assert_eq!(c2.attempts, 2);
    assert_eq!(c2.locked_by.as_deref(), Some("w2"));

    assert!(
        !store.complete_job(id, "w1", at(61), None).await.unwrap(),
        "the first worker lost the job"
    );
    assert!(
        !store
            .fail_job(id, "w1", at(61), "late", None)
            .await
            .unwrap()
    );
    assert!(!store.extend_job_lease(id, "w1", at(120)).await.unwrap());
    assert_eq!(store.job(id).await.unwrap().state, JobState::Running);

    assert!(store.complete_job(id, "w2", at(62), None).await.unwrap());
    let done = store.job(id).await.unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.finished_at, Some(at(62)));
    assert!(
        !store.complete_job(id, "w2", at(63), None).await.unwrap(),
        "done once"
    );
    assert!(
        store
            .claim_job("w3", at(1000), at(1030))
            .await
            .unwrap()
            .is_none(),
        "done jobs are not claimed"
    );
});

conformance!(jobs_complete_queues_next, |store: Store| async move {
    let id = store
        .enqueue_job(&job("recurring", at(0)), at(0))
        .await
        .unwrap()
        .unwrap();
    store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
    let mut next = job("recurring", at(3600));
    next.unique_key = Some("recurring".to_string());
    assert!(
        store
            .complete_job(id, "w1", at(5), Some(&next))
            .await
            .unwrap()
    );

    assert!(
        store
            .claim_job("w1", at(3599), at(3630))
            .await
            .unwrap()
            .is_none()
    );
    let n = store
        .claim_job("w1", at(3600), at(3630))
        .await
        .unwrap()
        .expect("next run");
    assert_ne!(n.id, id);
    assert_eq!(n.kind, "recurring");
    assert_eq!(n.attempts, 1);
    assert_eq!(n.created_at, at(5));
    assert!(
        store
            .complete_job(n.id, "w1", at(3601), None)
            .await
            .unwrap()
    );

    // A lost lease does not queue the successor.
    let lost = store
        .enqueue_job(&job("other", at(4000)), at(0))
        .await
        .unwrap()
        .unwrap();
    store
        .claim_job("w1", at(4000), at(4010))
        .await
        .unwrap()
        .unwrap();
    store
        .claim_job("w2", at(4011), at(4040))
        .await
        .unwrap()
        .unwrap();
    let mut successor = job("successor", at(0));
    successor.unique_key = Some("successor".to_string());
    assert!(
        !store
            .complete_job(lost, "w1", at(4012), Some(&successor))
            .await
            .unwrap()
    );
    assert!(
        store
            .enqueue_job(&successor, at(4013))
            .await
            .unwrap()
            .is_some(),
        "nothing was queued"
    );
});

conformance!(
    jobs_fail_retry_dead_and_requeue,
    |store: Store| async move {
        let id = store
            .enqueue_job(&job("flaky", at(0)), at(0))
            .await
            .unwrap()
            .unwrap();
        store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
        assert!(
            !store
                .fail_job(id, "w2", at(1), "not mine", Some(at(10)))
                .await
                .unwrap()
        );
        assert!(
            store
                .fail_job(id, "w1", at(1), "timeout", Some(at(100)))
                .await
                .unwrap()
        );
        let j = store.job(id).await.unwrap();
        assert_eq!(j.state, JobState::Queued);
        assert_eq!(j.run_at, at(100));
        assert_eq!(j.last_error.as_deref(), Some("timeout"));
        assert_eq!(j.attempts, 1);

        assert!(
            store
                .claim_job("w1", at(99), at(129))
                .await
                .unwrap()
                .is_none(),
            "not before retry_at"
        );
        let again = store
            .claim_job("w1", at(100), at(130))
            .await
            .unwrap()
            .expect("retried");
        assert_eq!(again.attempts, 2);
        assert!(
            store
                .fail_job(id, "w1", at(101), "gave up", None)
                .await
                .unwrap()
        );
        let dead = store.job(id).await.unwrap();
        assert_eq!(dead.state, JobState::Dead);
        assert_eq!(dead.finished_at, Some(at(101)));
        assert_eq!(dead.last_error.as_deref(), Some("gave up"));
        assert!(
            store
                .claim_job("w1", at(10_000), at(10_030))
                .await
                .unwrap()
                .is_none(),
            "dead jobs are not claimed"
        );

        let listed = store.list_jobs(JobState::Dead, 10).await.unwrap();
        assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
        assert!(
            store
                .list_jobs(JobState::Queued, 10)
                .await
                .unwrap()
                .is_empty()
        );

        store.requeue_dead_job(id, at(200)).await.unwrap();
        let j = store.job(id).await.unwrap();
        assert_eq!(j.state, JobState::Queued);
        assert_eq!(j.attempts, 0);
        assert_eq!(j.run_at, at(200));
        assert_eq!(j.finished_at, None);
        assert!(
            store
                .list_jobs(JobState::Dead, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_not_found(store.requeue_dead_job(id, at(201)).await);
        assert_not_found(store.requeue_dead_job(JobId::random(), at(201)).await);
        let c = store
            .claim_job("w1", at(200), at(230))
            .await
            .unwrap()
            .expect("requeued");
        assert_eq!((c.id, c.attempts), (id, 1));
    }
);

conformance!(
    jobs_requeue_respects_unique_key,
    |store: Store| async move {
        let mut keyed = job("sync", at(0));
        keyed.unique_key = Some("sync".to_string());
        let id = store.enqueue_job(&keyed, at(0)).await.unwrap().unwrap();
        store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
        assert!(store.fail_job(id, "w1", at(1), "boom", None).await.unwrap());
        let fresh = store
            .enqueue_job(&keyed, at(2))
            .await
            .unwrap()
            .expect("key free again");

        let r = store.requeue_dead_job(id, at(3)).await;
        assert!(
            matches!(
                r,
                Err(StoreError::Conflict {
                    what: codes::JOB_ALREADY_QUEUED
                })
            ),
            "{r:?}"
        );
        assert_eq!(store.job(id).await.unwrap().state, JobState::Dead);
        assert_eq!(
            store
                .list_jobs(JobState::Queued, 10)
                .await
                .unwrap()
                .iter()
                .map(|j| j.id)
                .collect::<Vec<_>>(),
            [fresh]
        );
    }
);

conformance!(
    jobs_lease_expired_on_last_attempt_dies,
    |store: Store| async move {
        let mut once = job("once", at(0));
        once.max_attempts = 1;
        let id = store.enqueue_job(&once, at(0)).await.unwrap().unwrap();
        let c = store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
        assert_eq!((c.id, c.attempts), (id, 1));

        assert!(
            store
                .claim_job("w2", at(29), at(59))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store.job(id).await.unwrap().state,
            JobState::Running,
            "lease still live"
        );
        assert!(
            store
                .claim_job("w2", at(30), at(60))
                .await
                .unwrap()
                .is_none(),
            "not claimed again"
        );
        let swept = store.sweep_expired_jobs(at(30)).await.unwrap();
        assert_eq!(swept.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
        assert!(store.sweep_expired_jobs(at(31)).await.unwrap().is_empty());
        let dead = store.job(id).await.unwrap();
        assert_eq!(dead.state, JobState::Dead);
        assert_eq!(dead.attempts, 1);
        assert_eq!(dead.finished_at, Some(at(30)));
        assert!(dead.last_error.is_some());
        assert_eq!(
            store
                .list_jobs(JobState::Dead, 10)
                .await
                .unwrap()
                .iter()
                .map(|j| j.id)
                .collect::<Vec<_>>(),
            [id]
        );
        assert!(
            !store.complete_job(id, "w1", at(31), None).await.unwrap(),
            "too late to complete"
        );
    }
);

conformance!(
    jobs_exactly_once_under_concurrency,
    |store: Store| async move {
        let mut ids = HashSet::new();
        for i in 0..200 {
            ids.insert(
                store
                    .enqueue_job(&job(&format!("bulk-{i}"), at(i % 7)), at(0))
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert_eq!(ids.len(), 200);

        let workers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let name = format!("worker-{w}");
                    let mut claimed = Vec::new();
                    while let Some(j) = store.claim_job(&name, at(10), at(600)).await.unwrap() {
                        assert_eq!(j.attempts, 1, "claimed once");
                        assert!(store.complete_job(j.id, &name, at(11), None).await.unwrap());
                        claimed.push(j.id);
                    }
                    claimed
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        assert_eq!(all.len(), 200, "no job claimed twice or skipped");
        assert_eq!(
            all.iter().copied().collect::<HashSet<_>>(),
            ids,
            "every job claimed exactly once"
        );

        let done = store.list_jobs(JobState::Done, 500).await.unwrap();
        assert_eq!(done.len(), 200);
        assert!(
            done.iter()
                .all(|j| j.attempts == 1 && j.finished_at == Some(at(11)))
        );
        assert!(
            store
                .list_jobs(JobState::Queued, 500)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .list_jobs(JobState::Running, 500)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

// ----- e-mail outbox -----

conformance!(emails_outbox, |store: Store| async move {
    let first = outgoing_email("anna@example.ch", "Welcome");
    store
        .enqueue_email(&first, &delivery(&first, at(0)), at(10))
        .await
        .unwrap();

    let stored = store.email(first.id).await.unwrap();
    assert_eq!(stored.to.as_str(), "anna@example.ch");
    assert_eq!(stored.subject, "Welcome");
    assert_eq!(stored.body_text, "text of Welcome");
    assert_eq!(stored.body_html, "<p>Welcome</p>");
    assert_eq!(
        stored.state,
        EmailState::Pending,
        "a new message is pending whatever the record says"
    );
    assert_eq!(stored.attempts, 0);
    assert_eq!(stored.created_at, at(10));
    assert_eq!(stored.sent_at, None);
    assert_not_found(store.email(uuid::Uuid::new_v4()).await);

    let j = store
        .claim_job("mailer", at(10), at(40))
        .await
        .unwrap()
        .expect("delivery job");
    assert_eq!(j.kind, "email.send");
    assert_eq!(j.payload, first.id.to_string());
    assert_eq!(j.max_attempts, 5);

    // The same message again: nothing is stored, and no job is queued either.
    assert!(
        store
            .enqueue_email(&first, &delivery(&first, at(0)), at(11))
            .await
            .is_err()
    );
    assert!(
        store
            .claim_job("mailer", at(12), at(40))
            .await
            .unwrap()
            .is_none(),
        "no orphan job"
    );

    store
        .record_email_attempt(first.id, EmailState::Failed, Some("421 try later"), at(20))
        .await
        .unwrap();
    let e = store.email(first.id).await.unwrap();
    assert_eq!((e.state, e.attempts), (EmailState::Failed, 1));
    assert_eq!(e.last_error.as_deref(), Some("421 try later"));
    assert_eq!(e.sent_at, None);

    store
        .record_email_attempt(first.id, EmailState::Sent, None, at(30))
        .await
        .unwrap();
    let e = store.email(first.id).await.unwrap();
    assert_eq!((e.state, e.attempts), (EmailState::Sent, 2));
    assert_eq!(e.last_error, None);
    assert_eq!(e.sent_at, Some(at(30)));

    let second = outgoing_email("bert@example.ch", "Reminder");
    store
        .enqueue_email(&second, &delivery(&second, at(50)), at(50))
        .await
        .unwrap();
    let recent = store.recent_emails(10).await.unwrap();
    assert_eq!(
        recent.iter().map(|e| e.id).collect::<Vec<_>>(),
        [second.id, first.id],
        "newest first"
    );
    assert_eq!(store.recent_emails(1).await.unwrap().len(), 1);
});

// ----- idempotency: see idempotency.rs -----

// ----- documents -----

conformance!(documents_tenancy_and_shredding, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (other_org, other) = new_org(&store, "Other AG").await;
    let doc = DocumentRecord {
        id: uuid::Uuid::new_v4(),
        org: OrgId::random(),
        blob_key: "docs/abc".to_string(),
        content_type: "application/pdf".to_string(),
        size_bytes: 12_345,
        wrapped_key: Some(vec![7; 32]),
        created_at: at(1),
        destroyed_at: None,
    };
    store.create_document(&scope, &doc, at(1)).await.unwrap();

    let got = store.document(&scope, doc.id).await.unwrap();
    assert_eq!(got.id, doc.id);
    assert_eq!(got.org, org);
    assert_eq!(got.blob_key, "docs/abc");
    assert_eq!(got.content_type, "application/pdf");
    assert_eq!(got.size_bytes, 12_345);
    assert_eq!(got.wrapped_key, Some(vec![7; 32]));
    assert_eq!(got.created_at, at(1));
    assert_eq!(got.destroyed_at, None);

    assert_not_found(store.document(&other, doc.id).await);
    assert_not_found(store.shred_document(&other, doc.id, at(2)).await);
    assert!(
        store
            .document(&scope, doc.id)
            .await
            .unwrap()
            .wrapped_key
            .is_some(),
        "untouched"
    );

    store.shred_document(&scope, doc.id, at(3)).await.unwrap();
    let shredded = store.document(&scope, doc.id).await.unwrap();
    assert_eq!(shredded.wrapped_key, None);
    assert_eq!(shredded.destroyed_at, Some(at(3)));
    assert_eq!(shredded.blob_key, "docs/abc", "the record stays as proof");
    assert_not_found(store.shred_document(&scope, doc.id, at(4)).await);

    assert_eq!(
        chain_actions(&store, org).await,
        ["org.created", "document.stored", "document.shredded"]
    );
    assert_eq!(chain_actions(&store, other_org).await, ["org.created"]);
});

conformance!(
    audit_concurrent_mutations_in_one_org,
    |store: Store| async move {
        // Changes that insert rows referencing the organisation and append to its
        // chain in one transaction must not deadlock each other.
        let (org, scope) = new_org(&store, "Muster AG").await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (s, sc) = (store.clone(), scope.clone());
            tasks.push(tokio::spawn(async move {
                s.create_user(
                    &sc,
                    &user_record(&format!("u{i}@example.ch"), Role::Member),
                    at(i),
                )
                .await
            }));
            let (s, sc) = (store.clone(), scope.clone());
            tasks.push(tokio::spawn(async move {
                s.create_api_key(&sc, &api_key(&format!("ck_{i}")), at(i))
                    .await
            }));
            let (s, sc) = (store.clone(), scope.clone());
            tasks.push(tokio::spawn(async move {
                let inv = invitation(
                    &format!("i{i}@example.ch"),
                    Role::Member,
                    &format!("tok-{i}"),
                    at(3600),
                );
                s.create_invitation(&sc, &inv, at(i)).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let actions = chain_actions(&store, org).await;
        assert_eq!(actions.len(), 1 + 24);
    }
);

conformance!(
    single_use_tokens_under_concurrency,
    |store: Store| async move {
        let (org, scope) = new_org(&store, "Muster AG").await;
        let anna = new_user(&store, &scope, "anna@example.ch", Role::Admin).await;
        store
            .create_password_reset(anna.id, "reset", at(3600))
            .await
            .unwrap();
        store
            .set_totp(
                &scope,
                anna.id,
                Some(b"s"),
                true,
                &["code".to_string()],
                at(2),
            )
            .await
            .unwrap();
        let inv = invitation("bert@example.ch", Role::Member, "tok", at(3600));
        store.create_invitation(&scope, &inv, at(3)).await.unwrap();

        let mut resets = Vec::new();
        let mut codes = Vec::new();
        let mut idem = Vec::new();
        let mut accepts = Vec::new();
        for i in 0..8 {
            let s = store.clone();
            resets.push(tokio::spawn(async move {
                s.take_password_reset("reset", at(10)).await
            }));
            let s = store.clone();
            codes.push(tokio::spawn(async move {
                s.use_recovery_code(anna.id, "code", at(10)).await
            }));
            let s = store.clone();
            idem.push(tokio::spawn(async move {
                let claim = courrier_store::IdempotencyClaim {
                    scope: "org:a".into(),
                    key: "k".into(),
                    owner: format!("request-{i}"),
                };
                s.idempotency_begin(&claim, "h", at(10), at(70)).await
            }));
            let s = store.clone();
            let user = user_record(&format!("bert{i}@example.ch"), Role::Member);
            accepts.push(tokio::spawn(async move {
                s.accept_invitation(inv.id, &user, at(10)).await
            }));
        }
        let mut taken = 0;
        for t in resets {
            if t.await.unwrap().unwrap().is_some() {
                taken += 1;
            }
        }
        assert_eq!(taken, 1, "a reset token is spent once");
        let mut used = 0;
        for t in codes {
            if t.await.unwrap().unwrap() {
                used += 1;
            }
        }
        assert_eq!(used, 1, "a recovery code is spent once");
        let mut owners = 0;
        for t in idem {
            match t.await.unwrap().unwrap() {
                None => owners += 1,
                Some(state) => assert_eq!(
                    state,
                    IdempotencyState::InProgress {
                        request_hash: "h".to_string(),
                        lease_until: at(70),
                        effect_committed: false,
                    }
                ),
            }
        }
        assert_eq!(owners, 1, "one request owns an idempotency key");
        let mut joined = 0;
        for t in accepts {
            match t.await.unwrap() {
                Ok(()) => joined += 1,
                Err(StoreError::NotFound) => {}
                Err(e) => panic!("unexpected error: {e:?}"),
            }
        }
        assert_eq!(joined, 1, "an invitation is accepted once");
        assert_eq!(
            store
                .list_users(&scope, None, 10)
                .await
                .unwrap()
                .items
                .len(),
            2
        );
        let actions = chain_actions(&store, org).await;
        assert_eq!(actions.iter().filter(|a| *a == "user.joined").count(), 1);
    }
);

conformance!(
    jobs_retry_superseded_by_newer_queued_run,
    |store: Store| async move {
        let mut first = job("recurring", at(0));
        first.unique_key = Some("recurring:x".into());
        let id = store.enqueue_job(&first, at(0)).await.unwrap().unwrap();
        let claimed = store.claim_job("w1", at(0), at(60)).await.unwrap().unwrap();
        assert_eq!(claimed.id, id);
        // While it runs, another process queues the next run with the same key.
        let newer = store.enqueue_job(&first, at(1)).await.unwrap().unwrap();
        // The retry of the running one would make two queued runs: it gives way.
        assert!(
            store
                .fail_job(id, "w1", at(2), "boom", Some(at(30)))
                .await
                .unwrap()
        );
        let old = store.job(id).await.unwrap();
        assert_eq!(old.state, JobState::Dead);
        assert!(old.last_error.unwrap().contains("superseded"));
        assert_eq!(store.job(newer).await.unwrap().state, JobState::Queued);
    }
);

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
