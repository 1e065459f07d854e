//! Webhooks over HTTP: the JSON API (`/api/v1/webhooks…`, another
//! organisation's ids answer 404) and the `/org/webhooks` page, on an
//! in-process server with the demo data, on both backends. Deliveries
//! themselves are tested in `crates/app/tests/webhooks.rs`.

use crate::support::*;
use courrier_app::webhooks::LETTER_DELIVERED;
use courrier_domain::{Clock, Permission};
use courrier_store::{DeliveryError, DeliveryState};
use reqwest::Method;
use serde_json::json;

on_both_backends!(webhooks_api, webhooks_page);

async fn webhooks_api(backend: Backend) {
    let srv = Server::start(backend).await;
    let anna = srv.api(&srv.key(&srv.anna(), &[Permission::OrgSettings]).await);
    let marie = srv.api(&srv.key(&srv.marie(), &[Permission::OrgSettings]).await);
    let reader = srv.api(&srv.key(&srv.anna(), &[Permission::AuditRead]).await);

    let res = anna
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({"url": "https://erp.example.com/hook", "events": ["letter.delivered"], "description": "ERP"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let created = res.json();
    let id = created["webhook"]["id"].as_str().unwrap().to_string();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["webhook"]["events"], json!(["letter.delivered"]));
    assert_eq!(created["webhook"]["disabled_at"], json!(null));

    let res = anna
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({"url": "ftp://erp.example.com/", "events": ["*"]})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.code(), "webhook.url_invalid");
    assert_eq!(res.json()["field"], "url");
    // Nothing on this machine or a private network, whatever its spelling.
    for inside in [
        "http://127.0.0.1:9/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://2130706433/hook",
    ] {
        let res = anna
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(json!({"url": inside, "events": ["*"]})),
            )
            .await;
        assert_eq!(res.status, 422, "{inside}: {}", res.body);
        assert_eq!(res.code(), "webhook.url_private", "{inside}");
        assert_eq!(res.json()["field"], "url");
    }
    let res = anna
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({"url": "https://erp.example.com/", "events": ["letter.eaten"]})),
        )
        .await;
    assert_eq!(res.code(), "webhook.event_unknown");
    let res = reader.get("/api/v1/webhooks").await;
    assert_eq!(res.status, 403, "{}", res.body);

    let list = anna.get("/api/v1/webhooks").await;
    assert_eq!(list.status, 200);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert!(
        !list.body.contains("whsec_") && !list.body.contains("secret"),
        "the secret is never listed"
    );

    // Deliveries: three events, paged by two.
    for n in 0..3 {
        let queued = srv
            .app
            .emit(
                srv.demo.helvetia,
                LETTER_DELIVERED,
                format!("{{\"n\":{n}}}"),
            )
            .await
            .unwrap();
        assert_eq!(queued, 1);
    }
    let first = anna
        .get(&format!("/api/v1/webhooks/deliveries?webhook={id}&limit=2"))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let page = first.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["state"], "pending");
    assert_eq!(page["items"][0]["webhook_id"], id.as_str());
    assert_eq!(page["items"][0]["event_type"], LETTER_DELIVERED);
    assert_eq!(page["items"][0]["attempts"], 0);
    assert_eq!(page["items"][0]["last_error"], json!(null));
    let cursor = page["next_cursor"].as_str().unwrap();
    let second = anna
        .get(&format!(
            "/api/v1/webhooks/deliveries?limit=2&cursor={cursor}"
        ))
        .await
        .json();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["next_cursor"], json!(null));
    // A failed attempt shows its class, never the transport's own words.
    let failed: uuid::Uuid = second["items"][0]["id"].as_str().unwrap().parse().unwrap();
    srv.app
        .store
        .record_webhook_attempt(
            failed,
            DeliveryState::Pending,
            None,
            Some(DeliveryError::Refused),
            srv.clock.now(),
        )
        .await
        .unwrap();
    let res = anna
        .get("/api/v1/webhooks/deliveries?limit=10")
        .await
        .json();
    let shown = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == failed.to_string())
        .unwrap()
        .clone();
    assert_eq!(shown["last_error"], "refused");
    assert_eq!(shown["attempts"], 1);
    assert_eq!(
        anna.get("/api/v1/webhooks/deliveries?webhook=junk")
            .await
            .status,
        404
    );

    // Another organisation's ids are 404, and its lists are its own.
    let res = marie
        .get(&format!("/api/v1/webhooks/deliveries?webhook={id}"))
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    assert_eq!(res.code(), "not_found");
    let res = marie
        .call(Method::DELETE, &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(res.status, 404);
    let res = marie.get("/api/v1/webhooks").await.json();
    assert!(res["items"].as_array().unwrap().is_empty());
    let res = marie.get("/api/v1/webhooks/deliveries").await.json();
    assert!(res["items"].as_array().unwrap().is_empty());

    let res = anna
        .call(Method::DELETE, &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let res = anna
        .call(Method::DELETE, &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(res.status, 404);
    let listed = anna.get("/api/v1/webhooks").await.json();
    assert!(listed["items"][0]["disabled_at"].is_string());

    let doc = srv.anonymous_api().get("/api/v1/openapi.json").await.json();
    for path in [
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}",
        "/api/v1/webhooks/deliveries",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    srv.stop().await;
}

async fn webhooks_page(backend: Backend) {
    let srv = Server::start(backend).await;
    let anna = srv.signed_in(ANNA).await;
    let home = anna.get("/").await;
    assert!(
        home.body.contains(r#"href="/org/webhooks""#),
        "nav link for admins"
    );

    let page = anna.get("/org/webhooks").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    let res = anna
        .post_form(
            "/org/webhooks",
            &[
                ("csrf_token", &csrf),
                ("url", "https://erp.example.com/events"),
                ("description", "Accounting"),
                ("event", "letter.delivered"),
                ("event", "mail.received"),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let at = res.body.find(r#"id="new-webhook-secret""#).unwrap();
    assert!(res.body[at..].contains("whsec_"));
    assert!(res.body.contains("Accounting"));

    let res = anna
        .post_form(
            "/org/webhooks",
            &[
                ("csrf_token", &csrf),
                ("url", "http://erp.example.com/events"),
                ("event", "*"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains(r#"class="flash error""#));
    let res = anna
        .post_form(
            "/org/webhooks",
            &[
                ("csrf_token", &csrf),
                ("url", "http://169.254.169.254/latest/meta-data"),
                ("event", "*"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body
            .contains("This address is on this machine or a private network"),
        "{}",
        res.body
    );
    let res = anna
        .post_form(
            "/org/webhooks",
            &[("url", "https://erp.example.com/x"), ("event", "*")],
        )
        .await;
    assert_eq!(res.status, 403, "the form needs its token");

    srv.app
        .emit(srv.demo.helvetia, LETTER_DELIVERED, "{}".into())
        .await
        .unwrap();
    let page = anna.get("/org/webhooks").await;
    assert!(page.body.contains("Delivery log"));
    assert!(page.body.contains(LETTER_DELIVERED));
    assert!(page.body.contains("Pending"));
    let delivery = srv
        .app
        .list_webhook_deliveries(&srv.anna(), None, None, 1)
        .await
        .unwrap()
        .items[0]
        .id;
    srv.app
        .store
        .record_webhook_attempt(
            delivery,
            DeliveryState::Pending,
            None,
            Some(DeliveryError::PrivateAddress),
            srv.clock.now(),
        )
        .await
        .unwrap();
    let page = anna.get("/org/webhooks").await;
    assert!(
        page.body.contains("Private address: not sent"),
        "{}",
        page.body
    );
    let id = srv
        .app
        .list_webhooks(&srv.anna())
        .await
        .unwrap()
        .first()
        .unwrap()
        .id;
    let filtered = anna.get(&format!("/org/webhooks?webhook={id}")).await;
    assert_eq!(filtered.status, 200);
    assert_eq!(anna.get("/org/webhooks?webhook=junk").await.status, 404);

    let res = anna
        .post_form(
            &format!("/org/webhooks/{id}/rotate"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains(r#"id="new-webhook-secret""#));
    let res = anna
        .post_form(
            &format!("/org/webhooks/{id}/disable"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(
        srv.app.list_webhooks(&srv.anna()).await.unwrap()[0]
            .disabled_at
            .is_some()
    );

    // In French.
    let res = anna
        .post_form(
            "/lang",
            &[
                ("locale", "fr"),
                ("csrf_token", &csrf),
                ("back", "/org/webhooks"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let page = anna.get("/org/webhooks").await;
    assert!(page.body.contains("Journal des envois"), "{}", page.body);
    assert!(page.body.contains("En attente") || page.body.contains("Échoué"));
    assert!(
        page.body.contains("Adresse privée : rien n&#39;est envoyé")
            || page
                .body
                .contains("Adresse privée : rien n&#x27;est envoyé")
            || page.body.contains("Adresse privée : rien n'est envoyé"),
        "{}",
        page.body
    );

    // Another organisation's endpoint is not found; members have no access.
    let marie = srv.signed_in(MARIE).await;
    let marie_csrf = marie.csrf().await;
    let res = marie
        .post_form(
            &format!("/org/webhooks/{id}/rotate"),
            &[("csrf_token", &marie_csrf)],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(
        marie
            .get(&format!("/org/webhooks?webhook={id}"))
            .await
            .status,
        404
    );
    let sara = srv.signed_in(SARA).await;
    assert!(!sara.get("/").await.body.contains(r#"href="/org/webhooks""#));
    assert_eq!(sara.get("/org/webhooks").await.status, 403);
    srv.stop().await;
}
