//! Carrier tariffs on both backends: the seeds written once, saving a new
//! version with compare-and-set on the version read, the history newest
//! first, the audit entry in the same transaction, and the history kept
//! append-only by the database itself.

use courrier_domain::codes;

use super::*;
use courrier_domain::letters::{Country, ServiceFees, TariffTable, WeightStep};
use courrier_store::{SEED_AUTHOR, TariffRecord};

fn by_country(list: &[TariffRecord], country: Country) -> &TariffRecord {
    list.iter()
        .find(|t| t.table.country() == country)
        .unwrap_or_else(|| panic!("no tariff for {country}"))
}

/// Swiss Post with the priority price of the lightest step raised to
/// `priority` and three steps only.
fn swiss_revision(carrier: &str, priority: i64, vat_rate_bp: u32) -> TariffTable {
    let seed = TariffTable::swiss_post();
    let steps = vec![
        WeightStep::new(20, priority, 110, 230, 280),
        WeightStep::new(100, 140, 115, 450, 600),
        WeightStep::new(1000, 450, 400, 2400, 3600),
    ];
    let fees = ServiceFees {
        registered: 555,
        ..seed.fees()
    };
    seed.revised(carrier, steps, fees, vat_rate_bp).unwrap()
}

on_both_backends!(tariffs_seeded_once, |store: Store| async move {
    // `Store::connect` migrated, and migrating wrote the seeds.
    let list = store.tariffs().await.unwrap();
    assert_eq!(
        list.iter().map(|t| t.table.country()).collect::<Vec<_>>(),
        [Country::BE, Country::CH, Country::FR],
        "by country code"
    );
    for seed in TariffTable::seeds() {
        let stored = by_country(&list, seed.country());
        assert_eq!(stored.table, seed, "{}", seed.carrier());
        assert_eq!(stored.version, 1);
        assert_eq!(stored.updated_by, SEED_AUTHOR);
        assert_eq!(store.tariff(&seed.country()).await.unwrap(), *stored);
        let history = store.tariff_history(&seed.country(), 10).await.unwrap();
        assert_eq!(history, vec![stored.clone()]);
    }

    // Migrating and seeding again add nothing.
    assert_eq!(store.migrate().await.unwrap(), 0);
    assert_eq!(
        store
            .ensure_seed_tariffs(&TariffTable::seeds(), at(5))
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.tariffs().await.unwrap(), list);

    // A carrier without a table is NotFound, and has no history.
    assert_not_found(store.tariff(&Country::DE).await);
    assert!(
        store
            .tariff_history(&Country::DE, 10)
            .await
            .unwrap()
            .is_empty()
    );
});

on_both_backends!(
    tariffs_save_conflict_and_history,
    |store: Store| async move {
        let (org, scope) = new_org(&store, "Courrier Platform").await;
        let seed = store.tariff(&Country::CH).await.unwrap();

        let first = swiss_revision("Swiss Post AG", 150, 810);
        assert_eq!(
            store
                .update_tariff(&scope, 1, &first, at(10))
                .await
                .unwrap(),
            2
        );
        let now = store.tariff(&Country::CH).await.unwrap();
        assert_eq!(now.table, first);
        assert_eq!(now.version, 2);
        assert_eq!(now.updated_by, "test");
        assert_eq!(now.updated_at, at(10));
        assert_eq!(now.table.steps().len(), 3);
        assert_eq!(now.table.fees().registered, 555);

        // A save based on version 1 comes too late: refused, nothing written.
        let stale = swiss_revision("Stale Post", 999, 0);
        let r = store.update_tariff(&scope, 1, &stale, at(11)).await;
        assert!(
            matches!(
                r,
                Err(StoreError::Conflict {
                    what: codes::TARIFF_CHANGED
                })
            ),
            "{r:?}"
        );
        assert_eq!(store.tariff(&Country::CH).await.unwrap(), now);

        let second = swiss_revision("Swiss Post AG", 160, 770);
        assert_eq!(
            store
                .update_tariff(&scope, 2, &second, at(20))
                .await
                .unwrap(),
            3
        );

        // Newest first, each version as it was saved; the seed stays version 1.
        let history = store.tariff_history(&Country::CH, 10).await.unwrap();
        assert_eq!(
            history.iter().map(|h| h.version).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert_eq!(history[0].table, second);
        assert_eq!(history[1].table, first);
        assert_eq!(history[2], seed);
        assert_eq!(
            history.iter().map(|h| h.updated_at).collect::<Vec<_>>(),
            [at(20), at(10), seed.updated_at]
        );
        let newest = store.tariff_history(&Country::CH, 1).await.unwrap();
        assert_eq!(newest.len(), 1);
        assert_eq!(newest[0].version, 3);

        // Other carriers are untouched.
        assert_eq!(
            store.tariff(&Country::BE).await.unwrap().table,
            TariffTable::bpost()
        );

        // No carrier: NotFound. Another currency: refused.
        let german = TariffTable::new(
            "Deutsche Post",
            Country::DE,
            Currency::EUR,
            vec![WeightStep::new(20, 95, 85, 110, 170)],
            TariffTable::bpost().fees(),
            1900,
        )
        .unwrap();
        assert_not_found(store.update_tariff(&scope, 1, &german, at(30)).await);
        let in_euros = TariffTable::new(
            "Swiss Post",
            Country::CH,
            Currency::EUR,
            second.steps().to_vec(),
            second.fees(),
            810,
        )
        .unwrap();
        let r = store.update_tariff(&scope, 3, &in_euros, at(31)).await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused {
                    what: codes::TARIFF_CURRENCY_FIXED
                })
            ),
            "{r:?}"
        );
        assert_eq!(store.tariff(&Country::CH).await.unwrap().version, 3);

        // Each saved version is audited once, in the editor's organisation.
        assert_eq!(
            chain_actions(&store, org).await,
            ["org.created", "tariff.updated", "tariff.updated"]
        );
        let (entries, _) = store.audit_chain(org).await.unwrap();
        assert_eq!(entries[1].target, "CH");
        assert!(
            entries[1].detail.contains("version 1 → 2"),
            "{}",
            entries[1].detail
        );
        assert!(
            entries[2].detail.contains("version 2 → 3"),
            "{}",
            entries[2].detail
        );
        assert_eq!(entries[2].actor, "test");
    }
);

on_both_backends!(
    tariffs_concurrent_saves_one_wins,
    |store: Store| async move {
        let (_, scope) = new_org(&store, "Courrier Platform").await;
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (s, sc) = (store.clone(), scope.clone());
            tasks.push(tokio::spawn(async move {
                let table = swiss_revision(&format!("Editor {i}"), 140 + i, 810);
                s.update_tariff(&sc, 1, &table, at(i)).await
            }));
        }
        let mut saved = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(v) => {
                    assert_eq!(v, 2);
                    saved += 1;
                }
                Err(StoreError::Conflict {
                    what: codes::TARIFF_CHANGED,
                }) => {}
                Err(e) => panic!("unexpected error: {e:?}"),
            }
        }
        assert_eq!(saved, 1, "one save per version read");
        let history = store.tariff_history(&Country::CH, 10).await.unwrap();
        assert_eq!(
            history.iter().map(|h| h.version).collect::<Vec<_>>(),
            [2, 1]
        );
    }
);

/// Saved versions cannot be changed even behind the store's back: the
/// database refuses updates and deletes of the history.
async fn tariffs_history_is_append_only(backend: Backend) {
    let db = backend.test_db().await;
    let store = db.store.clone();
    for sql in [
        "UPDATE tariff_versions SET carrier = 'forged' WHERE country = 'CH'",
        "DELETE FROM tariff_versions WHERE country = 'CH'",
        "UPDATE tariff_steps SET priority = 1 WHERE country = 'CH'",
        "DELETE FROM tariff_steps WHERE country = 'CH'",
    ] {
        let err = if db.url.starts_with("sqlite:") {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap_err()
        } else {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap_err()
        };
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(
        store.tariff(&Country::CH).await.unwrap().table,
        TariffTable::swiss_post()
    );
    store.close().await;
}

on_both_backends!(tariffs_history_is_append_only);
