//! Organisations: records, ids and paging, the two-step verification requirement.

use super::*;

on_both_backends!(orgs_roundtrip, |store: Store| async move {
    let mut org = org_record("Muster AG");
    org.kind = OrgKind::MailCenter;
    org.currency = Currency::EUR;
    org.country = "DE".to_string();
    org.wrapped_key = vec![0, 255, 7, 42];
    org.time_zone = "Europe/Berlin".to_string();
    store.create_org(&org, "system:cli").await.unwrap();

    let got = store.org(org.id).await.unwrap();
    assert_eq!(got.id, org.id);
    assert_eq!(got.name, "Muster AG");
    assert_eq!(got.kind, OrgKind::MailCenter);
    assert_eq!(got.country, "DE");
    assert_eq!(got.currency, Currency::EUR);
    assert!(!got.require_2fa);
    assert_eq!(got.time_zone, "Europe/Berlin");
    assert_eq!(got.wrapped_key, vec![0, 255, 7, 42]);
    assert_eq!(got.created_at, at(0));

    assert_not_found(store.org(OrgId::random()).await);
    let dup = store.create_org(&org, "system:cli").await;
    assert!(
        matches!(
            dup,
            Err(StoreError::Conflict {
                what: courrier_domain::codes::ORG_EXISTS
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

on_both_backends!(orgs_ids_and_paging, |store: Store| async move {
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

on_both_backends!(orgs_require_2fa, |store: Store| async move {
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

on_both_backends!(orgs_time_zone, |store: Store| async move {
    let (org, scope) = new_org(&store, "Muster AG").await;
    let (other, _) = new_org(&store, "Other AG").await;
    assert_eq!(store.org(org).await.unwrap().time_zone, "Europe/Zurich");
    store
        .set_org_time_zone(&scope, "Europe/Paris", at(5))
        .await
        .unwrap();
    assert_eq!(store.org(org).await.unwrap().time_zone, "Europe/Paris");
    assert_eq!(
        store.org(other).await.unwrap().time_zone,
        "Europe/Zurich",
        "only the scope's organisation changes"
    );
    assert_eq!(
        chain_actions(&store, org).await,
        ["org.created", "org.time_zone"]
    );
    let (entries, _) = store.audit_chain(org).await.unwrap();
    assert_eq!(entries[1].detail, "Europe/Paris");
});
