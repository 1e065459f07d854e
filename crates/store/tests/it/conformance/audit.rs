//! The audit chain.

use super::*;

on_both_backends!(audit_list_pages_newest_first, |store: Store| async move {
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
                what: courrier_domain::codes::CURSOR_INVALID
            })
        ),
        "{bad:?}"
    );

    assert_eq!(chain_actions(&store, org).await.len(), 6);
    assert_eq!(chain_actions(&store, other_org).await.len(), 2);
    assert_not_found(store.audit_chain(OrgId::random()).await);
});

on_both_backends!(audit_chain_detects_tampering, |store: Store| async move {
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

on_both_backends!(audit_concurrent_appends, |store: Store| async move {
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
