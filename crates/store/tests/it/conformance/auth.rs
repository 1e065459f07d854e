//! Sessions and throttling, invitations, password resets, API keys.

use super::*;

on_both_backends!(sessions_lifecycle, |store: Store| async move {
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

on_both_backends!(login_failures, |store: Store| async move {
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
on_both_backends!(
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

// invitations

on_both_backends!(invitations_accept_once, |store: Store| async move {
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
                what: courrier_domain::codes::USER_EMAIL_TAKEN
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

on_both_backends!(invitations_expire_and_revoke, |store: Store| async move {
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

// password resets

on_both_backends!(password_resets_once, |store: Store| async move {
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

// API keys

on_both_backends!(api_keys_lifecycle, |store: Store| async move {
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
                what: courrier_domain::codes::APIKEY_PREFIX_TAKEN
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
