//! Integration tests of the server and the `courrier` command. The HTTP tests
//! run an in-process server on a random port, once on SQLite and once on
//! PostgreSQL (`<name>::sqlite`, `<name>::postgres`), each with a fresh
//! database and the demo data; the CLI tests run the built binary; the
//! multi-process job test runs two `courrier serve` processes on PostgreSQL.
//! `cargo test -p courrier --test it server::` runs them; a name ending in `::sqlite` or `::postgres` is one backend.

use crate::support::*;
use courrier_app::email::EmailMessage;
use courrier_app::vault::SecretKey;
use courrier_domain::{EmailAddress, Permission, Role};
use courrier_store::testing::TestDb;
use courrier_store::{EmailState, JobState};
use reqwest::Method;
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

on_both_backends!(
    cross_tenant_ids_answer_404,
    csrf_is_enforced,
    two_factor_over_http,
    login_throttling_over_http,
    idempotency_keys,
    api_basics,
    pages_in_both_languages_and_invitation_flow,
);

// ----- 1. every id of another organisation is a 404 -----

async fn cross_tenant_ids_answer_404(backend: Backend) {
    let srv = Server::start(backend).await;
    let d = srv.demo;

    // Org A (Helvetia): a user, an invitation and an API key.
    let sara = d.sara;
    let (invitation, _) = srv
        .app
        .invite(&srv.anna(), "newcomer@helvetia.test", "member")
        .await
        .unwrap();
    let (a_key_record, a_key) = srv
        .app
        .create_api_key(&srv.anna(), "erp", &[Permission::UsersManage])
        .await
        .unwrap();
    let a_key_id = a_key_record.id;
    let audit_before = srv.app.store.audit_chain(d.helvetia).await.unwrap().0.len();

    // Org B (Dupont): a session and an API key that may manage users and keys.
    let marie = srv.signed_in(MARIE).await;
    let csrf = marie.csrf().await;
    let b_key = srv
        .key(
            &srv.marie(),
            &[Permission::UsersManage, Permission::ApiKeysManage],
        )
        .await;
    let b_api = srv.api(&b_key);

    // B's credentials work on B's own objects: the 404s below are about tenancy.
    let own = format!("/api/v1/users/{}", d.marie);
    assert_eq!(b_api.get(&own).await.status, 200);
    assert_eq!(marie.api(Method::GET, &own, None, None).await.status, 200);

    let api_calls = |user: &str, inv: &str, key: &str| {
        vec![
            (Method::GET, format!("/api/v1/users/{user}"), None),
            (
                Method::PATCH,
                format!("/api/v1/users/{user}"),
                Some(json!({"role": "admin"})),
            ),
            (Method::DELETE, format!("/api/v1/users/{user}"), None),
            (Method::DELETE, format!("/api/v1/invitations/{inv}"), None),
            (Method::DELETE, format!("/api/v1/api-keys/{key}"), None),
        ]
    };
    let page_calls = |user: &str, inv: &str, key: &str| {
        vec![
            (format!("/org/users/{user}/role"), Some("admin")),
            (format!("/org/users/{user}/remove"), None),
            (format!("/org/invitations/{inv}/revoke"), None),
            (format!("/org/api-keys/{key}/revoke"), None),
        ]
    };
    let foreign = (
        sara.to_string(),
        invitation.to_string(),
        a_key_id.to_string(),
    );
    let unknown = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    let malformed = [
        (
            "not-a-uuid".to_string(),
            "12345".to_string(),
            "%20".to_string(),
        ),
        (
            format!("{sara}x"),
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz".to_string(),
            "-1".to_string(),
        ),
    ];
    let mut id_sets = vec![("foreign", foreign), ("unknown", unknown)];
    id_sets.extend(malformed.into_iter().map(|m| ("malformed", m)));

    for (what, (user, inv, key)) in &id_sets {
        for (method, path, body) in api_calls(user, inv, key) {
            let by_key = b_api.call(method.clone(), &path, body.clone()).await;
            assert_eq!(
                by_key.status, 404,
                "{what} {method} {path} with B's key: {}",
                by_key.body
            );
            assert_eq!(by_key.code(), "not_found", "{path}");
            let by_session = marie.api(method.clone(), &path, Some(&csrf), body).await;
            assert_eq!(
                by_session.status, 404,
                "{what} {method} {path} with B's session: {}",
                by_session.body
            );
            assert_eq!(by_session.code(), "not_found", "{path}");
        }
        for (path, role) in page_calls(user, inv, key) {
            let mut form = vec![("csrf_token", csrf.as_str())];
            if let Some(r) = role {
                form.push(("role", r));
            }
            let res = marie.post_form(&path, &form).await;
            assert_eq!(res.status, 404, "{what} POST {path}: {}", res.body);
            assert!(res.body.contains("404"), "an error page: {}", res.body);
        }
    }

    // Org A's objects are unchanged.
    let sara_now = srv.app.store.user(sara).await.unwrap();
    assert_eq!(sara_now.role, Role::Member);
    assert_eq!(sara_now.org, d.helvetia);
    let invitations = srv
        .app
        .store
        .list_invitations(&srv.scope(d.helvetia), srv.clock_now())
        .await
        .unwrap();
    let inv = invitations
        .iter()
        .find(|i| i.id == invitation)
        .expect("invitation still pending");
    assert!(inv.revoked_at.is_none() && inv.accepted_at.is_none());
    let key = srv
        .app
        .store
        .active_api_key(&a_key_record.prefix)
        .await
        .unwrap()
        .expect("A's key still active");
    assert!(key.revoked_at.is_none());
    assert_eq!(
        srv.app.store.audit_chain(d.helvetia).await.unwrap().0.len(),
        audit_before,
        "nothing was written to org A's audit log"
    );
    let me = srv.api(&a_key).get("/api/v1/me").await;
    assert_eq!(me.status, 200, "A's key still authenticates: {}", me.body);
    assert_eq!(me.json()["org"]["id"], d.helvetia.to_string());

    drop((marie, b_api));
    srv.stop().await;
}

// ----- 2. CSRF -----

async fn csrf_is_enforced(backend: Backend) {
    let srv = Server::start(backend).await;
    let d = srv.demo;
    let marie = srv.signed_in(MARIE).await;
    let csrf = marie.csrf().await;
    let pending = |srv: &Server| {
        let scope = srv.scope(d.dupont);
        let store = srv.app.store.clone();
        let now = srv.clock_now();
        async move { store.list_invitations(&scope, now).await.unwrap().len() }
    };

    // A page form without the token, or with another one.
    let missing = marie
        .post_form(
            "/org/invitations",
            &[("email", "a@dupont.test"), ("role", "member")],
        )
        .await;
    assert_eq!(missing.status, 403, "{}", missing.body);
    let wrong = marie
        .post_form(
            "/org/invitations",
            &[
                ("email", "a@dupont.test"),
                ("role", "member"),
                ("csrf_token", "not-the-token"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    let empty = marie
        .post_form(
            "/org/invitations",
            &[
                ("email", "a@dupont.test"),
                ("role", "member"),
                ("csrf_token", ""),
            ],
        )
        .await;
    assert_eq!(empty.status, 403, "{}", empty.body);
    assert_eq!(pending(&srv).await, 0, "no invitation was created");
    // The same form with the token works.
    let ok = marie
        .post_form(
            "/org/invitations",
            &[
                ("email", "a@dupont.test"),
                ("role", "member"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("id=\"invitation-link\""));
    assert_eq!(pending(&srv).await, 1);

    // Signing in without the form cookie and token, or with a wrong token.
    let bare = srv.browser();
    let res = bare
        .post_form("/login", &[("email", MARIE), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(
        res.header("set-cookie")
            .is_none_or(|c| !c.contains("courrier_session"))
    );
    let res = bare
        .post_form(
            "/login",
            &[
                ("email", MARIE),
                ("password", PASSWORD),
                ("csrf_token", "guessed"),
            ],
        )
        .await;
    assert_eq!(
        res.status, 403,
        "a token that is not the cookie's: {}",
        res.body
    );
    assert_eq!(bare.get("/org/users").await.status, 303, "still signed out");
    // A form token from another browser does not help either.
    let other = srv.browser();
    let stolen = other.get("/login").await.csrf();
    let res = bare
        .post_form(
            "/login",
            &[
                ("email", MARIE),
                ("password", PASSWORD),
                ("csrf_token", &stolen),
            ],
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);

    // The API with a session: unsafe methods need X-CSRF-Token.
    let body = json!({"email": "b@dupont.test", "role": "member"});
    let res = marie
        .api(
            Method::POST,
            "/api/v1/invitations",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(res.code(), "csrf.invalid");
    let res = marie
        .api(
            Method::POST,
            "/api/v1/invitations",
            Some("wrong"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(res.code(), "csrf.invalid");
    let res = marie
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{}", d.marie),
            None,
            None,
        )
        .await;
    assert_eq!(res.code(), "csrf.invalid", "DELETE too: {}", res.body);
    assert_eq!(pending(&srv).await, 1);
    let res = marie
        .api(Method::POST, "/api/v1/invitations", Some(&csrf), Some(body))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["email"], "b@dupont.test");
    assert_eq!(pending(&srv).await, 2);
    // Reading needs no token.
    assert_eq!(
        marie
            .api(Method::GET, "/api/v1/me", None, None)
            .await
            .status,
        200
    );

    drop((marie, bare, other));
    srv.stop().await;
}

// ----- 3. two-factor sign-in and the organisation's policy -----

/// A six-digit code that is not accepted now (not the code of the previous,
/// current or next 30-second step).
async fn wrong_totp_code(srv: &Server, user: courrier_domain::UserId) -> String {
    let mut near = Vec::new();
    for d in [-30, 0, 30] {
        srv.clock.advance_seconds(d);
        near.push(srv.app.current_totp_code(user).await.unwrap());
        srv.clock.advance_seconds(-d);
    }
    (0..1_000_000)
        .map(|i| format!("{i:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

async fn two_factor_over_http(backend: Backend) {
    let srv = Server::start(backend).await;
    let d = srv.demo;

    let anna = srv.browser();
    let res = anna.login(ANNA, PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/login/2fa"));
    for path in ["/org/users", "/", "/account", "/org/api-keys"] {
        let res = anna.get(path).await;
        assert_eq!(res.status, 303, "{path}");
        assert_eq!(res.location(), Some("/login/2fa"), "{path}");
    }
    // The API does not accept a half-signed-in session.
    let res = anna.api(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(res.status, 401);
    assert_eq!(res.code(), "auth.required");

    let wrong = wrong_totp_code(&srv, d.anna).await;
    let res = anna.second_factor(&wrong).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body.contains("role=\"alert\""),
        "the page explains: {}",
        res.body
    );
    assert_eq!(anna.get("/org/users").await.location(), Some("/login/2fa"));

    let code = srv.app.current_totp_code(d.anna).await.unwrap();
    let res = anna.second_factor(&code).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/"));
    let home = anna.get("/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains(r#"data-testid="dashboard""#),
        "{}",
        home.body
    );
    assert_eq!(anna.get("/org/users").await.status, 200);
    assert_eq!(anna.get("/login/2fa").await.location(), Some("/"));

    // Dupont's admin turns the policy on for her organisation.
    let marie = srv.signed_in(MARIE).await;
    let csrf = marie.csrf().await;
    let res = marie
        .post_form(
            "/org/settings/2fa",
            &[("require_2fa", "on"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(srv.app.store.org(d.dupont).await.unwrap().require_2fa);
    assert!(
        !srv.app.store.org(d.helvetia).await.unwrap().require_2fa,
        "only her organisation"
    );

    // Her next sign-in lands on the enrolment page, and every page sends her there.
    let marie = srv.browser();
    let res = marie.login(MARIE, PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let mut at = res.location().unwrap().to_string();
    if at != "/account/2fa" {
        let next = marie.get(&at).await;
        assert_eq!(next.status, 303, "{at}");
        at = next.location().unwrap().to_string();
    }
    assert_eq!(at, "/account/2fa");
    for path in ["/", "/org/users", "/org/api-keys", "/account"] {
        let res = marie.get(path).await;
        assert_eq!(res.status, 303, "{path}");
        assert_eq!(res.location(), Some("/account/2fa"), "{path}");
    }
    let res = marie.api(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(res.status, 401, "the API waits for enrolment too");

    // Enrolling lets her in.
    let enrol = marie.get("/account/2fa").await;
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    assert!(enrol.body.contains("id=\"totp-secret\""));
    let code = srv.app.current_totp_code(d.marie).await.unwrap();
    let res = marie
        .post_form(
            "/account/2fa",
            &[("code", &code), ("csrf_token", &enrol.csrf())],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains(r#"data-testid="recovery-codes""#));
    let home = marie.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(r#"data-testid="dashboard""#));

    drop((anna, marie));
    srv.stop().await;
}

// ----- 4. throttling -----

async fn login_throttling_over_http(backend: Backend) {
    let srv = Server::start(backend).await;
    let b = srv.browser();
    for i in 0..5 {
        let res = b.login(SARA, "wrong password").await;
        assert_eq!(res.status, 422, "attempt {i}: {}", res.body);
        assert!(res.location().is_none());
    }
    let res = b.login(SARA, PASSWORD).await;
    assert_eq!(res.status, 429, "{}", res.body);
    assert!(res.body.contains("role=\"alert\""));
    assert!(
        res.header("set-cookie")
            .is_none_or(|c| !c.contains("courrier_session")),
        "no session while throttled"
    );
    assert_eq!(b.get("/").await.status, 303, "still signed out");
    // Another address is not affected.
    let other = srv.browser().login(MARIE, PASSWORD).await;
    assert_eq!(other.status, 303);
    // Once the window has passed, the right password works again.
    srv.clock.advance_seconds(15 * 60 + 1);
    let res = srv.browser().login(SARA, PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    drop(b);
    srv.stop().await;
}

// ----- 5. idempotency keys -----

async fn idempotency_keys(backend: Backend) {
    let srv = Server::start(backend).await;
    let d = srv.demo;
    let (anna_key_record, anna_key) = srv
        .app
        .create_api_key(
            &srv.anna(),
            "erp",
            // A key may invite to a role whose permissions it holds.
            &[
                Permission::UsersManage,
                Permission::LettersSend,
                Permission::LettersRead,
                Permission::MailboxRead,
                Permission::MailboxAct,
            ],
        )
        .await
        .unwrap();
    let api = srv.api(&anna_key);
    let invite = |key: Option<&str>, body: serde_json::Value| {
        let mut req = api.request(Method::POST, "/api/v1/invitations").json(&body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        api.send(req)
    };
    let body = json!({"email": "idem@helvetia.test", "role": "member"});
    let invitations_to = |email: &'static str| {
        let store = srv.app.store.clone();
        let scope = srv.scope(d.helvetia);
        let now = srv.clock_now();
        async move {
            store
                .list_invitations(&scope, now)
                .await
                .unwrap()
                .into_iter()
                .filter(|i| i.email.as_str() == email)
                .count()
        }
    };

    let first = invite(Some("k1"), body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(first.header("idempotent-replayed").is_none());
    let second = invite(Some("k1"), body.clone()).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body, first.body, "the same answer");
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert!(
        second
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        invitations_to("idem@helvetia.test").await,
        1,
        "one invitation"
    );
    let mails = srv.app.store.recent_emails(100).await.unwrap();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.to.as_str() == "idem@helvetia.test")
            .count(),
        1,
        "one e-mail"
    );

    let reused = invite(
        Some("k1"),
        json!({"email": "other@helvetia.test", "role": "member"}),
    )
    .await;
    assert_eq!(reused.status, 409, "{}", reused.body);
    assert_eq!(reused.code(), "idempotency.key_reused");
    assert_eq!(invitations_to("other@helvetia.test").await, 0);

    // Without the header, requests run normally (twice means twice).
    let plain = invite(
        None,
        json!({"email": "plain@helvetia.test", "role": "member"}),
    )
    .await;
    assert_eq!(plain.status, 201, "{}", plain.body);
    assert!(plain.header("idempotent-replayed").is_none());
    let again = invite(
        None,
        json!({"email": "plain@helvetia.test", "role": "member"}),
    )
    .await;
    assert_eq!(again.status, 201);
    assert_ne!(again.body, plain.body);
    assert_eq!(invitations_to("plain@helvetia.test").await, 2);

    // Keys belong to the credential: another organisation's key with the same
    // key and body runs its own request and never sees Helvetia's answer.
    let dupont = srv.api(
        &srv.key(
            &srv.marie(),
            &[
                Permission::UsersManage,
                Permission::LettersSend,
                Permission::LettersRead,
                Permission::MailboxRead,
                Permission::MailboxAct,
            ],
        )
        .await,
    );
    let res = dupont
        .send(
            dupont
                .request(Method::POST, "/api/v1/invitations")
                .header("Idempotency-Key", "k1")
                .json(&body),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert!(res.header("idempotent-replayed").is_none());
    assert_ne!(res.body, first.body);
    assert_eq!(invitations_to("idem@helvetia.test").await, 1);

    // An empty or oversized key is refused.
    let res = invite(Some(&"k".repeat(256)), body.clone()).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.code(), "idempotency.key_invalid");

    // A stored answer (here with a secret invitation link) is only replayed to
    // its credential: knowing the key's public prefix is not enough...
    let prefix = &anna_key_record.prefix;
    assert!(anna_key.starts_with(&format!("cour_{prefix}_")));
    let forged = srv.api(&format!("cour_{prefix}_not-the-secret"));
    let res = forged
        .send(
            forged
                .request(Method::POST, "/api/v1/invitations")
                .header("Idempotency-Key", "k1")
                .json(&body),
        )
        .await;
    assert_eq!(
        res.status, 401,
        "replayed without authentication: {}",
        res.body
    );
    assert_eq!(res.code(), "auth.required");
    assert!(res.header("idempotent-replayed").is_none());
    // ...and a revoked key gets nothing either.
    srv.app
        .revoke_api_key(&srv.anna(), anna_key_record.id)
        .await
        .unwrap();
    let res = invite(Some("k1"), body.clone()).await;
    assert_eq!(res.status, 401, "replayed to a revoked key: {}", res.body);
    assert!(res.header("idempotent-replayed").is_none());

    drop((api, dupont));
    srv.stop().await;
}

// ----- 6. API basics -----

async fn api_basics(backend: Backend) {
    let srv = Server::start(backend).await;
    let d = srv.demo;
    let anon = srv.anonymous_api();

    let res = anon.get("/api/v1/me").await;
    assert_eq!(res.status, 401);
    assert_eq!(res.code(), "auth.required");
    assert!(!res.json()["message"].as_str().unwrap().is_empty());
    let res = srv.api("cour_nope_nope").get("/api/v1/users").await;
    assert_eq!(res.status, 401);
    assert_eq!(res.code(), "auth.required");

    // A key with a member's permissions cannot manage users.
    let member_perms: Vec<Permission> = Role::Member.permissions().to_vec();
    let member = srv.api(&srv.key(&srv.anna(), &member_perms).await);
    let res = member.get("/api/v1/users").await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(res.code(), "auth.forbidden");
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("users.manage")
    );
    let res = member.get("/api/v1/me").await;
    assert_eq!(res.status, 200);
    assert!(res.json()["user"].is_null());

    let admin = srv.api(&srv.key(&srv.anna(), &[Permission::UsersManage]).await);
    let res = admin
        .send(
            admin
                .request(Method::POST, "/api/v1/invitations")
                .header("content-type", "application/json")
                .body("{\"email\": "),
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(res.code(), "request.malformed");
    let res = admin
        .send(
            admin
                .request(Method::POST, "/api/v1/invitations")
                .body("email=x"),
        )
        .await;
    assert_eq!(res.status, 415);
    assert_eq!(res.code(), "request.not_json");
    let res = admin
        .call(
            Method::POST,
            "/api/v1/invitations",
            Some(json!({"email": "x@helvetia.test", "role": "wizard"})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.json()["field"], "role");
    let res = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", d.sara),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(
        res.status, 422,
        "a mail-center role in a customer: {}",
        res.body
    );
    assert_eq!(res.json()["field"], "role");
    assert_eq!(res.code(), "role.not_for_org_kind");
    let res = admin.get("/api/v1/nothing-here").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.code(), "not_found");

    // Cursor paging walks every person exactly once.
    for i in 0..4 {
        srv.app
            .add_user(
                &srv.scope(d.helvetia),
                &format!("extra{i}@helvetia.test"),
                &format!("Extra {i}"),
                PASSWORD,
                Role::Member,
            )
            .await
            .unwrap();
    }
    let expected: BTreeSet<String> = srv
        .app
        .store
        .list_users(&srv.scope(d.helvetia), None, 200)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.id.to_string())
        .collect();
    assert_eq!(expected.len(), 7);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = admin
            .request(Method::GET, "/api/v1/users")
            .query(&[("limit", "2")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let res = admin.send(req).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let page = res.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2 && !items.is_empty(), "{page}");
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_string()));
        pages += 1;
        assert!(pages <= 10, "paging does not end");
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), expected.len(), "each person once: {seen:?}");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(pages, 4);

    // The documentation.
    let res = anon.get("/api/v1/openapi.json").await;
    assert_eq!(res.status, 200);
    let doc = res.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    assert!(doc["paths"]["/api/v1/users"].is_object(), "{doc}");
    assert!(doc["paths"].as_object().unwrap().len() >= 7);
    let res = anon.get("/api/v1/docs").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert!(res.body.to_lowercase().contains("<html"));

    // The error codes, public: each with its status and meaning in both languages.
    let res = anon.get("/api/v1/errors").await;
    assert_eq!(res.status, 200);
    let list = res.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), courrier_domain::codes::ALL.len());
    let taken = list
        .iter()
        .find(|e| e["code"] == "user.email_taken")
        .unwrap();
    assert_eq!(taken["status"], 409);
    assert_eq!(taken["en"], "Someone already uses this e-mail address.");
    assert_eq!(taken["fr"], "Cette adresse e-mail est déjà utilisée.");
    assert!(doc["paths"]["/api/v1/errors"]["get"].is_object());

    // Operations.
    let res = anon.get("/healthz").await;
    assert_eq!(res.status, 200);
    let res = anon.get("/readyz").await;
    assert_eq!((res.status, res.body.as_str()), (200, "ready"));
    // Metrics are not public (see hardening::metrics_need_their_token).
    assert_eq!(anon.get("/metrics").await.status, 404);

    // A request id given by the caller comes back; otherwise one is made up.
    let res = anon
        .send(
            anon.request(Method::GET, "/healthz")
                .header("x-request-id", "trace-123"),
        )
        .await;
    assert_eq!(res.header("x-request-id"), Some("trace-123"));
    let a = anon.get("/healthz").await;
    let b = anon.get("/healthz").await;
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
    // Pages, redirects and errors carry one too (checked by every `Resp`).
    assert_eq!(srv.browser().get("/org/users").await.status, 303);
    assert_eq!(srv.browser().get("/login").await.status, 200);
    assert_eq!(srv.browser().get("/no/such/page").await.status, 404);

    drop((anon, member, admin));
    srv.stop().await;
}

// ----- 7. both languages, and accepting an invitation -----

async fn pages_in_both_languages_and_invitation_flow(backend: Backend) {
    let srv = Server::start(backend).await;
    let d = srv.demo;
    let marie = srv.signed_in(MARIE).await;

    let csrf = marie.csrf().await;
    let res = marie
        .post_form(
            "/lang",
            &[
                ("locale", "fr"),
                ("csrf_token", &csrf),
                ("back", "/org/users"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/org/users"));
    let page = marie.get("/org/users").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"<html lang="fr">"#), "{}", page.body);
    assert!(page.body.contains("Utilisateurs"));
    assert!(!page.body.contains(">Users<"));
    assert_eq!(srv.app.store.user(d.marie).await.unwrap().locale, "fr");

    let res = marie
        .post_form("/lang", &[("locale", "en"), ("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status, 303);
    let page = marie.get("/org/users").await;
    assert!(page.body.contains(r#"<html lang="en">"#), "{}", page.body);
    assert!(page.body.contains("Users"));
    assert!(!page.body.contains("Utilisateurs"));

    // Switching needs the token too.
    let res = marie.post_form("/lang", &[("locale", "fr")]).await;
    assert_eq!(res.status, 403);
    assert!(
        marie
            .get("/org/users")
            .await
            .body
            .contains(r#"<html lang="en">"#)
    );

    // A visitor's choice lives in a cookie.
    let visitor = srv.browser();
    let login = visitor.get("/login").await;
    assert!(login.body.contains(r#"<html lang="en">"#));
    let res = visitor
        .post_form(
            "/lang",
            &[
                ("locale", "fr"),
                ("csrf_token", &login.csrf()),
                ("back", "/login"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let login = visitor.get("/login").await;
    assert!(login.body.contains(r#"<html lang="fr">"#));
    assert!(login.body.contains("Connexion"));

    // An invitation sent from the page, accepted from its link.
    let res = marie
        .post_form(
            "/org/invitations",
            &[
                ("email", "Paul.Neuf@Dupont.test"),
                ("role", "member"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let link = scrape_attr(&res.body, r#"id="invitation-link" class="mono" href=""#)
        .unwrap_or_else(|| panic!("no invitation link: {}", res.body));
    let path = link
        .strip_prefix(&srv.base)
        .unwrap_or_else(|| panic!("{link}"))
        .to_string();
    assert!(path.starts_with("/invitations/"), "{path}");

    let paul = srv.browser();
    let page = paul.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("paul.neuf@dupont.test"));
    assert!(page.body.contains("Boulangerie Dupont"));
    let short = paul
        .post_form(
            &path,
            &[
                ("name", "Paul Neuf"),
                ("password", "short"),
                ("csrf_token", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(short.status, 422, "{}", short.body);
    let res = paul
        .post_form(
            &path,
            &[
                ("name", "Paul Neuf"),
                ("password", "paul's long password"),
                ("csrf_token", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.body.contains(r#"data-testid="invitation-accepted""#),
        "{}",
        res.body
    );
    assert_eq!(paul.get(&path).await.status, 404, "the link works once");

    let created = user(&srv.app, "paul.neuf@dupont.test").await;
    assert_eq!((created.org, created.role), (d.dupont, Role::Member));
    let res = paul
        .login("paul.neuf@dupont.test", "paul's long password")
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/"));
    let home = paul.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(r#"data-testid="dashboard""#));
    assert!(home.body.contains("Paul Neuf"));
    // A member does not manage users.
    assert_eq!(paul.get("/org/users").await.status, 403);

    drop((marie, visitor, paul));
    srv.stop().await;
}

// ----- 8. the command line -----

fn data_dir_cmd(dir: &std::path::Path, args: &[&str]) -> Output {
    run(courrier().arg("--data-dir").arg(dir).args(args))
}

#[test]
fn cli_help_lists_the_commands() {
    let out = run(courrier().arg("--help"));
    assert!(out.ok, "{}", out.stderr);
    for cmd in ["serve", "migrate", "demo", "org", "user", "apikey", "audit"] {
        assert!(
            out.stdout.lines().any(|l| l.trim_start().starts_with(cmd)),
            "--help lists {cmd}:\n{}",
            out.stdout
        );
    }
    let out = run(courrier().arg("frobnicate"));
    assert!(!out.ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cli_administration_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let out = data_dir_cmd(&data, &["migrate"]);
    assert!(out.ok, "{}", out.stderr);
    let out = data_dir_cmd(
        &data,
        &[
            "org",
            "create",
            "Acme SA",
            "--country",
            "fr",
            "--currency",
            "EUR",
        ],
    );
    assert!(out.ok, "{}", out.stderr);
    let org = out.stdout.trim().to_string();
    uuid::Uuid::parse_str(&org).unwrap_or_else(|e| panic!("org id '{org}': {e}"));
    assert!(
        data.join("master.key").exists(),
        "the master key is kept in the data folder"
    );

    let out = data_dir_cmd(
        &data,
        &[
            "user",
            "add",
            "--org",
            &org,
            "boss@acme.test",
            "--name",
            "The Boss",
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ],
    );
    assert!(out.ok, "{}", out.stderr);
    let user_id = out.stdout.trim().to_string();
    uuid::Uuid::parse_str(&user_id).unwrap();
    let out = data_dir_cmd(
        &data,
        &[
            "user",
            "add",
            "--org",
            &org,
            "x@acme.test",
            "--name",
            "X",
            "--role",
            "clerk",
            "--password",
            "a long enough password",
        ],
    );
    assert!(!out.ok, "a clerk is a mail-center role");
    let out = data_dir_cmd(
        &data,
        &[
            "user",
            "add",
            "--org",
            &uuid::Uuid::new_v4().to_string(),
            "y@acme.test",
            "--name",
            "Y",
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ],
    );
    assert!(!out.ok, "an unknown organisation");

    let out = data_dir_cmd(
        &data,
        &[
            "apikey",
            "create",
            "--org",
            &org,
            "--name",
            "erp",
            "--permissions",
            "users.manage,letters.read",
        ],
    );
    assert!(out.ok, "{}", out.stderr);
    let key = out.stdout.trim().to_string();
    assert!(key.starts_with("cour_"), "{key}");
    assert!(
        !out.stderr.contains(&key),
        "the key is printed once, on stdout"
    );
    let out = data_dir_cmd(
        &data,
        &[
            "apikey",
            "create",
            "--org",
            &org,
            "--name",
            "bad",
            "--permissions",
            "letters.fly",
        ],
    );
    assert!(!out.ok);

    // A server on that data folder accepts the key.
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
    let api = Api::new(&base, Some(&key));
    let me = api.get("/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    let me = me.json();
    assert_eq!(me["org"]["id"], org);
    assert_eq!(me["org"]["name"], "Acme SA");
    assert_eq!(me["org"]["country"], "FR");
    assert_eq!(me["org"]["currency"], "EUR");
    let perms: BTreeSet<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(perms, BTreeSet::from(["users.manage", "letters.read"]));
    let users = api.get("/api/v1/users").await.json();
    assert_eq!(users["items"][0]["id"], user_id);
    assert_eq!(users["items"][0]["email"], "boss@acme.test");
    let res = Api::new(&base, Some("cour_abc_def"))
        .get("/api/v1/me")
        .await;
    assert_eq!(res.status, 401);
    // The person added on the command line signs in.
    let b = Browser::new(&base);
    let res = b.login("boss@acme.test", "a long enough password").await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(b.get("/").await.status, 200);
    drop(server);

    // The same folder has no other master key: a second one is not generated.
    let key_text = std::fs::read_to_string(data.join("master.key")).unwrap();
    let out = data_dir_cmd(&data, &["audit", "verify"]);
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        std::fs::read_to_string(data.join("master.key")).unwrap(),
        key_text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_audit_verify_detects_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = data_dir_cmd(&data, &["demo"]);
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("anna.meier@helvetia.test"),
        "{}",
        out.stdout
    );

    let out = data_dir_cmd(&data, &["audit", "verify"]);
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.lines().filter(|l| l.starts_with("ok")).count(),
        // Platform, Helvetia, Dupont, the mail center and the pending sign-up.
        5,
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("BROKEN"));

    // Edit one entry behind Courrier's back.
    let url = format!("sqlite://{}", data.join("courrier.sqlite3").display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let n = sqlx::query("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 1 AND org_id = (SELECT MIN(org_id) FROM audit_log)")
        .execute(&mut conn)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(n, 1);
    sqlx::Connection::close(conn).await.unwrap();

    let out = data_dir_cmd(&data, &["audit", "verify"]);
    assert!(!out.ok, "verify must fail:\n{}", out.stdout);
    assert_ne!(out.code, Some(0));
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("BROKEN"))
            .count(),
        1,
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("do not verify"), "{}", out.stderr);
}

/// The README's first command on a fresh folder: the demo's e-mails (sign-up
/// activation, invitations) stay in the outbox without SMTP, and the log has
/// no ERROR line, only one note that SMTP is not configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_demo_start_logs_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = ChildGuard::spawn(
        "demo",
        courrier()
            .env("COURRIER_LOG", "info")
            .arg("--data-dir")
            .arg(&data)
            .args(["serve", "--demo", "--listen"])
            .arg(format!("127.0.0.1:{port}")),
        dir.path(),
    );
    server.wait_ready(&base).await;
    let url = format!("sqlite://{}", data.join("courrier.sqlite3").display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let (emails, waiting): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM emails), \
             (SELECT COUNT(*) FROM jobs WHERE kind = 'email.deliver' AND state <> 'done')",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if emails > 0 && waiting == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{emails} e-mails, {waiting} delivery jobs not done after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (unsent,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM emails WHERE state = 'pending' AND last_error LIKE '%smtp_url%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(unsent > 0, "the demo's e-mails wait in the outbox");
    sqlx::Connection::close(conn).await.unwrap();
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        !log.contains("ERROR"),
        "the first start logs an error:\n{log}"
    );
    assert_eq!(
        log.matches("SMTP is not configured").count(),
        1,
        "said once:\n{log}"
    );
}

#[test]
fn cli_configuration_errors_name_the_culprit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("courrier.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:9999\"\nlisten_port = 8080\n").unwrap();
    let out = run(courrier()
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .arg("migrate"));
    assert!(!out.ok);
    assert!(out.stderr.contains("listen_port"), "{}", out.stderr);
    assert!(!data.exists(), "nothing was created");

    let out = run(courrier()
        .env("COURRIER_CONFIG", &config)
        .arg("--data-dir")
        .arg(&data)
        .arg("migrate"));
    assert!(!out.ok, "the file given by COURRIER_CONFIG is checked too");
    assert!(out.stderr.contains("listen_port"), "{}", out.stderr);

    let out = run(courrier()
        .env("COURRIER_FOO", "1")
        .arg("--data-dir")
        .arg(&data)
        .arg("migrate"));
    assert!(!out.ok);
    assert!(out.stderr.contains("COURRIER_FOO"), "{}", out.stderr);

    let out = run(courrier()
        .env("COURRIER_WORKERS", "many")
        .arg("--data-dir")
        .arg(&data)
        .arg("migrate"));
    assert!(!out.ok);
    assert!(out.stderr.contains("COURRIER_WORKERS"), "{}", out.stderr);

    // A good file works.
    std::fs::write(&config, "listen = \"127.0.0.1:9999\"\nworkers = 1\n").unwrap();
    let out = run(courrier()
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .arg("migrate"));
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("migration(s) applied"),
        "{}",
        out.stdout
    );
}

// ----- 9. jobs run exactly once across two processes -----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_exactly_once_jobs_across_two_processes() {
    const TOTAL: usize = 40;
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let db = TestDb::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let master = SecretKey::random();
    let app = app_on(&db, master.clone(), &dir.path().join("blobs"));

    let queue = |range: std::ops::Range<usize>| {
        let app = app.clone();
        async move {
            let mut ids = Vec::new();
            for i in range {
                let to = EmailAddress::parse(&format!("r{i}@example.test")).unwrap();
                let letter = EmailMessage {
                    subject: format!("Message {i}"),
                    text: format!("Body {i}"),
                    html: format!("<p>Body {i}</p>"),
                };
                ids.push(app.queue_email(&to, letter).await.unwrap());
            }
            ids
        }
    };
    // Half are waiting when the processes start, half arrive while both run.
    let mut ids = queue(0..TOTAL / 2).await;

    let mut servers = Vec::new();
    for n in 0..2 {
        let port = free_port();
        let data = dir.path().join(format!("data{n}"));
        let child = ChildGuard::spawn(
            &format!("courrier-serve-{n}"),
            courrier()
                .args([
                    "serve",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--data-dir",
                ])
                .arg(&data)
                .env("COURRIER_DATABASE_URL", &db.url)
                .env("COURRIER_MASTER_KEY", master.to_base64())
                .env("COURRIER_SMTP_URL", smtp.url())
                .env("COURRIER_MAIL_FROM", "Courrier <noreply@courrier.test>")
                .env("COURRIER_WORKERS", "3"),
            dir.path(),
        );
        servers.push((child, format!("http://127.0.0.1:{port}")));
    }
    for (child, base) in &mut servers {
        child.wait_ready(base).await;
    }
    ids.extend(queue(TOTAL / 2..TOTAL).await);

    let started = Instant::now();
    loop {
        let mut sent = 0;
        for id in &ids {
            let e = srv_email(&app, *id).await;
            assert_ne!(e.state, EmailState::Failed, "{e:?}");
            if e.state == EmailState::Sent {
                sent += 1;
            }
        }
        if sent == TOTAL {
            break;
        }
        for (child, _) in &mut servers {
            child.assert_running();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {sent} of {TOTAL} e-mails sent within 60 s\n{}\n{}",
            servers[0].0.log_text(),
            servers[1].0.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let any duplicate delivery that is still under way arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;

    for id in &ids {
        let e = srv_email(&app, *id).await;
        assert_eq!((e.state, e.attempts), (EmailState::Sent, 1), "{e:?}");
    }
    let messages = smtp.messages();
    assert_eq!(messages.len(), TOTAL, "exactly one message per e-mail");
    let message_ids: HashSet<String> = messages
        .iter()
        .map(|m| mail_header(m, "Message-ID").unwrap_or_else(|| panic!("no Message-ID: {m}")))
        .collect();
    assert_eq!(message_ids.len(), TOTAL, "distinct Message-IDs");
    let expected: HashSet<String> = ids.iter().map(|id| format!("<{id}@courrier>")).collect();
    assert_eq!(message_ids, expected);
    let recipients: HashSet<String> = messages
        .iter()
        .filter_map(|m| mail_header(m, "X-RcptTo"))
        .collect();
    assert_eq!(recipients.len(), TOTAL);

    let jobs: Vec<_> = app
        .store
        .list_jobs(JobState::Done, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "email.deliver")
        .collect();
    assert_eq!(jobs.len(), TOTAL);
    assert!(jobs.iter().all(|j| j.attempts == 1), "{jobs:?}");
    for state in [JobState::Queued, JobState::Running, JobState::Dead] {
        let left = app.store.list_jobs(state, 500).await.unwrap();
        assert!(
            left.iter().all(|j| j.kind != "email.deliver"),
            "{state:?}: {left:?}"
        );
    }
    let workers: BTreeSet<String> = jobs.iter().filter_map(|j| j.locked_by.clone()).collect();
    eprintln!("{TOTAL} e-mails delivered by {} worker(s)", workers.len());

    for (child, _) in &mut servers {
        child.assert_running();
    }
    drop(servers);
    app.store.close().await;
    drop(db);
}

async fn srv_email(
    app: &courrier_app::App,
    id: courrier_domain::EmailId,
) -> courrier_store::EmailRecord {
    app.store.email(id).await.unwrap()
}

impl Server {
    fn clock_now(&self) -> courrier_domain::Timestamp {
        courrier_domain::Clock::now(self.clock.as_ref())
    }
}
