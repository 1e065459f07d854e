//! Users: members, roles, removals and what they revoke.

use super::*;

on_both_backends!(users_roundtrip, |store: Store| async move {
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

on_both_backends!(users_list_paging, |store: Store| async move {
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

on_both_backends!(users_tenancy, |store: Store| async move {
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

on_both_backends!(users_roles_and_last_manager, |store: Store| async move {
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
                what: courrier_domain::codes::USER_LAST_MANAGER
            })
        ),
        "{demote:?}"
    );
    let remove = store.remove_user(&scope, admin.id, None, at(3)).await;
    assert!(
        matches!(
            remove,
            Err(StoreError::Refused {
                what: courrier_domain::codes::USER_LAST_MANAGER
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
                what: courrier_domain::codes::USER_LAST_MANAGER
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

on_both_backends!(
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
                        what: courrier_domain::codes::USER_LAST_MANAGER,
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

on_both_backends!(
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
                        what: courrier_domain::codes::USER_ROLE_CHANGED
                    })
                ),
                "{r:?}"
            );
        }
        assert_eq!(store.user(person.id).await.unwrap().role, Role::Admin);
    }
);

on_both_backends!(users_duplicate_email, |store: Store| async move {
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
                what: courrier_domain::codes::USER_EMAIL_TAKEN
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
                what: courrier_domain::codes::USER_EMAIL_TAKEN
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

on_both_backends!(
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

on_both_backends!(users_totp_and_recovery_codes, |store: Store| async move {
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
