//! Webhook endpoints and their delivery log, on both backends.

use courrier_domain::codes;

use super::*;
use courrier_store::{DeliveryError, DeliveryState, WebhookEvent, WebhookRecord};

fn hook(url: &str, events: &[&str], created: i64) -> WebhookRecord {
    WebhookRecord {
        id: uuid::Uuid::new_v4(),
        // Ignored by the store: the scope decides the organisation.
        org: OrgId::random(),
        url: url.to_string(),
        secret_sealed: vec![5, 6, 7],
        events: events.iter().map(|e| e.to_string()).collect(),
        description: format!("hook {url}"),
        created_at: at(created),
        disabled_at: None,
    }
}

fn event(event_type: &str, n: u32) -> WebhookEvent {
    WebhookEvent {
        event_type: event_type.to_string(),
        event_id: format!("evt_{n}"),
        payload: format!("{{\"id\":\"evt_{n}\",\"type\":\"{event_type}\"}}"),
    }
}

fn delivery_job(id: uuid::Uuid) -> NewJob {
    NewJob {
        kind: "webhook.deliver".to_string(),
        payload: id.to_string(),
        unique_key: Some(format!("webhook:{id}")),
        run_at: at(0),
        max_attempts: 10,
    }
}

async fn add(store: &Store, scope: &OrgScope, h: &WebhookRecord) {
    store
        .create_webhook(scope, h, 16, h.created_at)
        .await
        .unwrap();
}

on_both_backends!(webhooks_roundtrip_and_audit, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let h = hook(
        "https://erp.example.ch/hooks",
        &["letter.delivered", "mail.received"],
        2,
    );
    add(&store, &scope, &h).await;

    let got = store.webhook(&scope, h.id).await.unwrap();
    assert_eq!(got.id, h.id);
    assert_eq!(got.org, org, "the scope decides the organisation");
    assert_eq!(got.url, "https://erp.example.ch/hooks");
    assert_eq!(got.secret_sealed, vec![5, 6, 7]);
    assert_eq!(got.events, ["letter.delivered", "mail.received"]);
    assert_eq!(got.description, "hook https://erp.example.ch/hooks");
    assert_eq!(got.created_at, at(2));
    assert_eq!(got.disabled_at, None);
    assert!(got.subscribes_to("mail.received"));
    assert!(!got.subscribes_to("letter.status_changed"));

    let second = hook("https://other.example.ch/", &["*"], 3);
    add(&store, &scope, &second).await;
    let listed: Vec<uuid::Uuid> = store
        .list_webhooks(&scope)
        .await
        .unwrap()
        .iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(listed, [h.id, second.id], "oldest first");

    store
        .set_webhook_secret(&scope, h.id, &[9, 9], at(4))
        .await
        .unwrap();
    assert_eq!(
        store.webhook(&scope, h.id).await.unwrap().secret_sealed,
        vec![9, 9]
    );

    store
        .disable_webhook(&scope, h.id, "by hand", at(5))
        .await
        .unwrap();
    assert_eq!(
        store.webhook(&scope, h.id).await.unwrap().disabled_at,
        Some(at(5))
    );
    assert_not_found(store.disable_webhook(&scope, h.id, "again", at(6)).await);
    assert_not_found(store.set_webhook_secret(&scope, h.id, &[1], at(6)).await);
    assert_eq!(
        store.list_webhooks(&scope).await.unwrap().len(),
        2,
        "a disabled endpoint stays listed"
    );

    assert_eq!(
        chain_actions(&store, org).await,
        [
            "org.created",
            "webhook.created",
            "webhook.created",
            "webhook.secret_rotated",
            "webhook.disabled"
        ]
    );
    let (entries, _) = store.audit_chain(org).await.unwrap();
    assert_eq!(entries[1].target, h.id.to_string());
    assert_eq!(entries[4].detail, "by hand");
});

on_both_backends!(webhooks_tenancy, |store: Store| async move {
    let (org_a, a) = new_org(&store, "A").await;
    let (org_b, b) = new_org(&store, "B").await;
    let h = hook("https://a.example.ch/", &["*"], 1);
    add(&store, &a, &h).await;
    store
        .enqueue_webhook_deliveries(&a, &event("letter.delivered", 1), delivery_job, at(2))
        .await
        .unwrap();

    assert_not_found(store.webhook(&b, h.id).await);
    assert_not_found(store.disable_webhook(&b, h.id, "", at(3)).await);
    assert_not_found(store.set_webhook_secret(&b, h.id, &[1], at(3)).await);
    assert_not_found(
        store
            .list_webhook_deliveries(&b, Some(h.id), None, 10)
            .await,
    );
    assert!(
        !store
            .claim_webhook_failure_notice(&b, h.id, at(0), at(3))
            .await
            .unwrap()
    );
    assert!(store.list_webhooks(&b).await.unwrap().is_empty());
    assert!(
        store
            .list_webhook_deliveries(&b, None, None, 10)
            .await
            .unwrap()
            .items
            .is_empty(),
        "B sees none of A's deliveries"
    );
    let queued_for_b = store
        .enqueue_webhook_deliveries(&b, &event("letter.delivered", 2), delivery_job, at(4))
        .await
        .unwrap();
    assert!(queued_for_b.is_empty(), "B has no endpoint");

    let untouched = store.webhook(&a, h.id).await.unwrap();
    assert_eq!(untouched.disabled_at, None);
    assert_eq!(untouched.secret_sealed, vec![5, 6, 7]);
    assert_eq!(
        store
            .list_webhook_deliveries(&a, Some(h.id), None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(chain_actions(&store, org_b).await, ["org.created"]);
    assert_eq!(
        chain_actions(&store, org_a).await,
        ["org.created", "webhook.created"]
    );
});

on_both_backends!(
    webhooks_enqueue_matches_subscriptions_with_jobs,
    |store: Store| async move {
        let (_, a) = new_org(&store, "A").await;
        let (_, b) = new_org(&store, "B").await;
        let all = hook("https://a.example.ch/all", &["*"], 1);
        let delivered = hook("https://a.example.ch/d", &["letter.delivered"], 2);
        let mail = hook("https://a.example.ch/m", &["mail.received"], 3);
        let off = hook("https://a.example.ch/off", &["*"], 4);
        let other = hook("https://b.example.ch/", &["*"], 5);
        for h in [&all, &delivered, &mail, &off] {
            add(&store, &a, h).await;
        }
        add(&store, &b, &other).await;
        store.disable_webhook(&a, off.id, "", at(6)).await.unwrap();

        let e = event("letter.delivered", 7);
        let ids = store
            .enqueue_webhook_deliveries(&a, &e, delivery_job, at(10))
            .await
            .unwrap();
        assert_eq!(ids.len(), 2, "the '*' and the letter.delivered endpoints");

        let page = store
            .list_webhook_deliveries(&a, None, None, 10)
            .await
            .unwrap();
        let mut hooks: Vec<uuid::Uuid> = page.items.iter().map(|d| d.webhook).collect();
        hooks.sort();
        let mut want = vec![all.id, delivered.id];
        want.sort();
        assert_eq!(hooks, want);
        for d in &page.items {
            assert!(ids.contains(&d.id));
            assert_eq!(d.event_type, "letter.delivered");
            assert_eq!(d.event_id, "evt_7");
            assert_eq!(d.payload, e.payload);
            assert_eq!(d.state, DeliveryState::Pending);
            assert_eq!(d.attempts, 0);
            assert_eq!(d.last_status, None);
            assert_eq!(d.created_at, at(10));
            let full = store.webhook_delivery(d.id).await.unwrap();
            assert_eq!(full.webhook, d.webhook);
        }

        // Each delivery got its job in the same transaction.
        let jobs: Vec<String> = store
            .list_jobs(JobState::Queued, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == "webhook.deliver")
            .map(|j| j.payload)
            .collect();
        let mut expected: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        expected.sort();
        let mut jobs_sorted = jobs.clone();
        jobs_sorted.sort();
        assert_eq!(jobs_sorted, expected);

        assert!(
            store
                .list_webhook_deliveries(&b, None, None, 10)
                .await
                .unwrap()
                .items
                .is_empty(),
            "B's endpoint never gets A's events"
        );
        assert_not_found(store.webhook_delivery(uuid::Uuid::new_v4()).await);
    }
);

on_both_backends!(
    webhooks_attempts_paging_and_filter,
    |store: Store| async move {
        let (_, a) = new_org(&store, "A").await;
        let one = hook("https://a.example.ch/1", &["*"], 1);
        let two = hook("https://a.example.ch/2", &["letter.delivered"], 2);
        add(&store, &a, &one).await;
        add(&store, &a, &two).await;
        let mut all_ids = Vec::new();
        for (n, t) in [
            (1, "letter.delivered"),
            (2, "mail.received"),
            (3, "letter.delivered"),
        ] {
            all_ids.extend(
                store
                    .enqueue_webhook_deliveries(
                        &a,
                        &event(t, n),
                        delivery_job,
                        at(i64::from(n) * 10),
                    )
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(all_ids.len(), 5);

        // Pages of two cover all five, newest first, each once.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .list_webhook_deliveries(&a, None, cursor.as_deref(), 2)
                .await
                .unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(page.items.iter().map(|d| (d.created_at, d.id)));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 5);
        let mut sorted = seen.clone();
        sorted.sort_by(|x, y| y.cmp(x));
        assert_eq!(seen, sorted, "newest first");
        let unique: HashSet<_> = seen.iter().map(|s| s.1).collect();
        assert_eq!(unique.len(), 5);

        let only_two = store
            .list_webhook_deliveries(&a, Some(two.id), None, 10)
            .await
            .unwrap();
        assert_eq!(only_two.items.len(), 2);
        assert!(only_two.items.iter().all(|d| d.webhook == two.id));
        assert!(matches!(
            store
                .list_webhook_deliveries(&a, None, Some("junk"), 10)
                .await,
            Err(StoreError::Refused {
                what: codes::CURSOR_INVALID
            })
        ));

        let id = only_two.items[0].id;
        store
            .record_webhook_attempt(
                id,
                DeliveryState::Pending,
                Some(500),
                Some(DeliveryError::Http5xx),
                at(40),
            )
            .await
            .unwrap();
        store
            .record_webhook_attempt(
                id,
                DeliveryState::Pending,
                None,
                Some(DeliveryError::Timeout),
                at(70),
            )
            .await
            .unwrap();
        store
            .record_webhook_attempt(id, DeliveryState::Delivered, Some(204), None, at(130))
            .await
            .unwrap();
        let d = store.webhook_delivery(id).await.unwrap();
        assert_eq!(d.state, DeliveryState::Delivered);
        assert_eq!(d.attempts, 3);
        assert_eq!(d.last_status, Some(204));
        assert_eq!(d.last_error, None);
        assert_eq!(d.delivered_at, Some(at(130)));
        assert!(
            !store
                .give_up_webhook_delivery(id, DeliveryError::Internal)
                .await
                .unwrap(),
            "a delivered one stays delivered"
        );

        let other = only_two.items[1].id;
        store
            .record_webhook_attempt(
                other,
                DeliveryState::Pending,
                Some(502),
                Some(DeliveryError::Http5xx),
                at(40),
            )
            .await
            .unwrap();
        assert!(
            store
                .give_up_webhook_delivery(other, DeliveryError::Internal)
                .await
                .unwrap()
        );
        assert!(
            !store
                .give_up_webhook_delivery(other, DeliveryError::Internal)
                .await
                .unwrap()
        );
        let failed = store.webhook_delivery(other).await.unwrap();
        assert_eq!(failed.state, DeliveryState::Failed);
        assert_eq!(failed.attempts, 1, "giving up counts no attempt");
        assert_eq!(
            failed.last_error,
            Some(DeliveryError::Http5xx),
            "the last error stays"
        );
        assert_eq!(failed.delivered_at, None);
    }
);

on_both_backends!(
    webhooks_limit_and_failure_notices,
    |store: Store| async move {
        let (_, a) = new_org(&store, "A").await;
        let one = hook("https://a.example.ch/1", &["*"], 1);
        let two = hook("https://a.example.ch/2", &["*"], 2);
        store.create_webhook(&a, &one, 2, at(1)).await.unwrap();
        store.create_webhook(&a, &two, 2, at(2)).await.unwrap();
        let third = hook("https://a.example.ch/3", &["*"], 3);
        assert!(matches!(
            store.create_webhook(&a, &third, 2, at(3)).await,
            Err(StoreError::Refused {
                what: codes::WEBHOOK_LIMIT
            })
        ));
        store.disable_webhook(&a, one.id, "", at(4)).await.unwrap();
        store.create_webhook(&a, &third, 2, at(5)).await.unwrap();

        let since = |now: i64| at(now - 86_400);
        assert!(
            store
                .claim_webhook_failure_notice(&a, two.id, since(100), at(100))
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_webhook_failure_notice(&a, two.id, since(200), at(200))
                .await
                .unwrap(),
            "one notice per day"
        );
        assert!(
            store
                .claim_webhook_failure_notice(&a, two.id, since(100 + 86_401), at(100 + 86_401))
                .await
                .unwrap()
        );
    }
);
