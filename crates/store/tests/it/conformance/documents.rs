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
