//! Documents: tenancy and crypto-shredding.

use super::*;

on_both_backends!(documents_tenancy_and_shredding, |store: Store| async move {
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

on_both_backends!(
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

on_both_backends!(
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

on_both_backends!(
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
