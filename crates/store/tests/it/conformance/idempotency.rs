//! Idempotency keys on both backends: one owner at a time under a lease,
//! take-over after a dead owner's lease, the effect of a request marked in
//! the transaction of the change, expiry after 24 hours.

use courrier_domain::codes;

use super::*;
use courrier_store::{IDEMPOTENCY_TTL_SECS, IdempotencyClaim, with_claim};

fn claim(scope: &str, key: &str, owner: &str) -> IdempotencyClaim {
    IdempotencyClaim {
        scope: scope.into(),
        key: key.into(),
        owner: owner.into(),
    }
}

fn in_progress(hash: &str, lease_until: Timestamp, effect_committed: bool) -> IdempotencyState {
    IdempotencyState::InProgress {
        request_hash: hash.into(),
        lease_until,
        effect_committed,
    }
}

on_both_backends!(idempotency_keys, |store: Store| async move {
    let first = claim("org:a", "key-1", "r1");
    let second = claim("org:a", "key-1", "r2");
    assert_eq!(
        store
            .idempotency_begin(&first, "h1", at(0), at(60))
            .await
            .unwrap(),
        None,
        "the first request owns the key"
    );
    assert_eq!(
        store
            .idempotency_begin(&second, "h1", at(1), at(61))
            .await
            .unwrap(),
        Some(in_progress("h1", at(60), false))
    );
    assert_eq!(
        store
            .idempotency_begin(&second, "other", at(1), at(61))
            .await
            .unwrap(),
        Some(in_progress("h1", at(60), false)),
        "the stored request hash is returned, so a different request can be refused"
    );
    assert!(
        !store.idempotency_renew(&second, at(90)).await.unwrap(),
        "only the owner renews"
    );
    assert!(store.idempotency_renew(&first, at(90)).await.unwrap());
    assert_eq!(
        store
            .idempotency_begin(&second, "h1", at(70), at(130))
            .await
            .unwrap(),
        Some(in_progress("h1", at(90), false)),
        "a renewed lease keeps the key"
    );
    assert!(
        !store.idempotency_finish(&second, 201, "{}").await.unwrap(),
        "only the owner stores the answer"
    );
    assert!(
        store
            .idempotency_finish(&first, 201, "{\"id\":1}")
            .await
            .unwrap()
    );
    let done = IdempotencyState::Done {
        request_hash: "h1".to_string(),
        status: 201,
        body: "{\"id\":1}".to_string(),
    };
    assert_eq!(
        store
            .idempotency_begin(&second, "h1", at(200), at(260))
            .await
            .unwrap(),
        Some(done.clone()),
        "a finished answer is kept past the lease"
    );
    assert!(!store.idempotency_abandon(&first).await.unwrap());
    assert_eq!(
        store
            .idempotency_begin(&second, "h1", at(201), at(261))
            .await
            .unwrap(),
        Some(done)
    );

    // Keys are per scope.
    assert_eq!(
        store
            .idempotency_begin(&claim("org:b", "key-1", "r3"), "h2", at(4), at(64))
            .await
            .unwrap(),
        None
    );

    // An abandoned key with nothing committed can be used again.
    let k2 = claim("org:a", "key-2", "r4");
    assert_eq!(
        store
            .idempotency_begin(&k2, "h3", at(5), at(65))
            .await
            .unwrap(),
        None
    );
    assert!(store.idempotency_abandon(&k2).await.unwrap());
    let k2b = claim("org:a", "key-2", "r5");
    assert_eq!(
        store
            .idempotency_begin(&k2b, "h4", at(6), at(66))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .idempotency_begin(&k2, "h4", at(7), at(67))
            .await
            .unwrap(),
        Some(in_progress("h4", at(66), false))
    );
});

on_both_backends!(
    idempotency_key_of_a_dead_request_is_taken_over,
    |store: Store| async move {
        let dead = claim("org:a", "k", "dead");
        let retry = claim("org:a", "k", "retry");
        assert_eq!(
            store
                .idempotency_begin(&dead, "h", at(0), at(60))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .idempotency_begin(&retry, "h", at(59), at(119))
                .await
                .unwrap(),
            Some(in_progress("h", at(60), false)),
            "still leased"
        );
        assert_eq!(
            store
                .idempotency_begin(&claim("org:a", "k", "other"), "h-other", at(60), at(120))
                .await
                .unwrap(),
            Some(in_progress("h", at(60), false)),
            "another request never takes the key over"
        );
        assert_eq!(
            store
                .idempotency_begin(&retry, "h", at(60), at(120))
                .await
                .unwrap(),
            None,
            "the same request takes the key over once the lease ran out"
        );
        assert!(
            !store.idempotency_renew(&dead, at(200)).await.unwrap(),
            "the old owner lost it"
        );
        assert!(!store.idempotency_finish(&dead, 201, "{}").await.unwrap());
        assert!(!store.idempotency_abandon(&dead).await.unwrap());
        assert!(store.idempotency_finish(&retry, 201, "{}").await.unwrap());
    }
);

on_both_backends!(
    idempotency_effect_is_marked_in_the_transaction_of_the_change,
    |store: Store| async move {
        let (org, scope) = new_org(&store, "Muster AG").await;
        let before = chain_actions(&store, org).await.len();

        // A request commits a change, then fails: its key is not released.
        let failing = claim("key:a", "k1", "r1");
        assert_eq!(
            store
                .idempotency_begin(&failing, "h", at(0), at(60))
                .await
                .unwrap(),
            None
        );
        let inv = invitation("bert@example.ch", Role::Member, "tok1", at(3600));
        with_claim(
            failing.clone(),
            store.create_invitation(&scope, &inv, at(1)),
        )
        .await
        .unwrap();
        assert!(
            !store.idempotency_abandon(&failing).await.unwrap(),
            "a key whose change committed is kept"
        );
        assert_eq!(
            store
                .idempotency_begin(&claim("key:a", "k1", "r2"), "h", at(100), at(160))
                .await
                .unwrap(),
            Some(in_progress("h", at(60), true)),
            "a dead request whose change committed is not taken over"
        );
        assert!(
            store
                .idempotency_finish(&failing, 500, "{\"code\":\"internal\"}")
                .await
                .unwrap()
        );
        assert!(matches!(
            store
                .idempotency_begin(&claim("key:a", "k1", "r3"), "h", at(101), at(161))
                .await
                .unwrap(),
            Some(IdempotencyState::Done { status: 500, .. })
        ));

        // A request whose key was taken over cannot commit a change.
        let slow = claim("key:a", "k2", "slow");
        assert_eq!(
            store
                .idempotency_begin(&slow, "h", at(0), at(60))
                .await
                .unwrap(),
            None
        );
        let fresh = claim("key:a", "k2", "fresh");
        assert_eq!(
            store
                .idempotency_begin(&fresh, "h", at(61), at(121))
                .await
                .unwrap(),
            None
        );
        let inv2 = invitation("carla@example.ch", Role::Member, "tok2", at(3600));
        let refused = with_claim(slow, store.create_invitation(&scope, &inv2, at(62))).await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Conflict {
                    what: codes::IDEMPOTENCY_LEASE_LOST
                })
            ),
            "{refused:?}"
        );
        assert_eq!(
            chain_actions(&store, org).await.len(),
            before + 1,
            "the refused change was rolled back with its audit entry"
        );
        assert_eq!(
            store
                .idempotency_begin(&claim("key:a", "k2", "r4"), "h", at(63), at(123))
                .await
                .unwrap(),
            Some(in_progress("h", at(121), false))
        );

        // Without a key, changes are not marked.
        let inv3 = invitation("dora@example.ch", Role::Member, "tok3", at(3600));
        store
            .create_invitation(&scope, &inv3, at(64))
            .await
            .unwrap();
        assert!(store.idempotency_abandon(&fresh).await.unwrap());
    }
);

on_both_backends!(
    idempotency_keys_expire_after_24_hours,
    |store: Store| async move {
        let day = IDEMPOTENCY_TTL_SECS;
        let old = claim("org:a", "k", "r1");
        assert_eq!(
            store
                .idempotency_begin(&old, "h1", at(0), at(60))
                .await
                .unwrap(),
            None
        );
        assert!(store.idempotency_finish(&old, 201, "{}").await.unwrap());
        let other = claim("org:a", "other", "r2");
        assert_eq!(
            store
                .idempotency_begin(&other, "h", at(10), at(70))
                .await
                .unwrap(),
            None
        );
        assert!(store.idempotency_finish(&other, 201, "{}").await.unwrap());
        assert!(matches!(
            store
                .idempotency_begin(&claim("org:a", "k", "r3"), "h2", at(day - 1), at(day + 59))
                .await
                .unwrap(),
            Some(IdempotencyState::Done { .. })
        ));
        assert_eq!(
            store
                .idempotency_begin(&claim("org:a", "k", "r4"), "h2", at(day), at(day + 60))
                .await
                .unwrap(),
            None,
            "after 24 hours the key is free for a new request"
        );
        assert_eq!(
            store.prune_idempotency_keys(at(day - 1)).await.unwrap(),
            1,
            "the pruning deletes keys past their 24 hours only"
        );
        assert_eq!(
            store
                .idempotency_begin(
                    &claim("org:a", "other", "r5"),
                    "h3",
                    at(day + 1),
                    at(day + 61)
                )
                .await
                .unwrap(),
            None,
            "a pruned key is gone"
        );
        assert!(matches!(
            store
                .idempotency_begin(&claim("org:a", "k", "r6"), "h2", at(day + 2), at(day + 62))
                .await
                .unwrap(),
            Some(IdempotencyState::InProgress { .. })
        ));
    }
);
