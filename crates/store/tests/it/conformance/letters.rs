//! Letters, their history and settings, and bulk runs, on both backends.

use courrier_domain::codes;

use super::*;
use courrier_domain::letters::{
    BackgroundScope, Colour, Country, Envelope, LetterStatus, Paper, Product, Registered, Sides,
};
use courrier_domain::{LetterId, RunId};
use courrier_store::{
    LetterAttachment, LetterFilter, LetterRecord, LetterSettings, Outbox, RecipientRecord,
    RunItemRecord, RunKind, RunRecord, RunState,
};

fn letter(name: &str, reference: &str, created: i64) -> LetterRecord {
    LetterRecord {
        id: LetterId::random(),
        org: OrgId::random(),
        created_by: "user:test".into(),
        reference: reference.into(),
        run: None,
        status: LetterStatus::Draft,
        document: None,
        pages: 2,
        sheets: 2,
        background: None,
        attachments: Vec::new(),
        envelope: Envelope::C5,
        colour: Colour::BlackWhite,
        sides: Sides::Simplex,
        paper: Paper::G80,
        product: Product::Priority,
        registered: Registered::None,
        recipient: RecipientRecord {
            lines: vec![name.into(), "Rue du Lac 1".into(), "1003 Lausanne".into()],
            name: name.into(),
            postcode: "1003".into(),
            locality: "Lausanne".into(),
            country: Country::parse("CH").unwrap(),
        },
        return_address: String::new(),
        weight_grams: 20,
        currency: Currency::CHF,
        price_net: 230,
        price_vat: 19,
        price_total: 249,
        posting_date: Some("2026-11-24".into()),
        expected_delivery: Some("2026-11-25".into()),
        note: String::new(),
        created_at: at(created),
        updated_at: at(created),
        submitted_at: None,
        printed_at: None,
    }
}

on_both_backends!(letters_roundtrip_and_tenancy, |store: Store| async move {
    let (_, a) = new_org(&store, "Sender A").await;
    let (_, b) = new_org(&store, "Sender B").await;
    let l = letter("Marie Dupont", "INV-1", 10);
    store.create_letter(&a, &l, at(10)).await.unwrap();
    let back = store.letter(&a, l.id).await.unwrap();
    assert_eq!(back.recipient, l.recipient);
    assert_eq!(
        (back.envelope, back.price_total, back.status),
        (Envelope::C5, 249, LetterStatus::Draft)
    );
    assert_eq!(back.expected_delivery.as_deref(), Some("2026-11-25"));
    assert!(matches!(
        store.letter(&b, l.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_letter_status(
                &b,
                l.id,
                LetterStatus::Draft,
                LetterStatus::Accepted,
                "",
                at(11),
                &Outbox::NONE
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(store.letter_history(&b, l.id).await.unwrap().is_empty());
});

on_both_backends!(
    letters_status_is_compare_and_set,
    |store: Store| async move {
        let (_, a) = new_org(&store, "Sender").await;
        let l = letter("Anna", "", 10);
        store.create_letter(&a, &l, at(10)).await.unwrap();
        store
            .set_letter_status(
                &a,
                l.id,
                LetterStatus::Draft,
                LetterStatus::Accepted,
                "",
                at(20),
                &Outbox::NONE,
            )
            .await
            .unwrap();
        // A second writer who still believes it is a draft loses.
        assert!(matches!(
            store
                .set_letter_status(
                    &a,
                    l.id,
                    LetterStatus::Draft,
                    LetterStatus::Cancelled,
                    "",
                    at(21),
                    &Outbox::NONE
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::LETTER_STATUS_CHANGED
            })
        ));
        store
            .set_letter_status(
                &a,
                l.id,
                LetterStatus::Accepted,
                LetterStatus::InProduction,
                "",
                at(30),
                &Outbox::NONE,
            )
            .await
            .unwrap();
        store
            .set_letter_status(
                &a,
                l.id,
                LetterStatus::InProduction,
                LetterStatus::Printed,
                "batch 7",
                at(40),
                &Outbox::NONE,
            )
            .await
            .unwrap();
        let back = store.letter(&a, l.id).await.unwrap();
        assert_eq!(back.submitted_at, Some(at(20)));
        assert_eq!(back.printed_at, Some(at(40)));
        assert_eq!(back.note, "batch 7");
        let history = store.letter_history(&a, l.id).await.unwrap();
        let statuses: Vec<_> = history.iter().map(|e| (e.seq, e.status)).collect();
        assert_eq!(
            statuses,
            vec![
                (1, LetterStatus::Draft),
                (2, LetterStatus::Accepted),
                (3, LetterStatus::InProduction),
                (4, LetterStatus::Printed)
            ]
        );
        assert_eq!(history[3].note, "batch 7");
        let actions = chain_actions(&store, a.org()).await;
        assert!(actions.contains(&"letter.created".to_string()));
        assert!(actions.contains(&"letter.printed".to_string()));
    }
);

on_both_backends!(letters_list_filters_and_pages, |store: Store| async move {
    let (_, a) = new_org(&store, "Sender").await;
    let (_, b) = new_org(&store, "Other").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let l = letter(&format!("Client {i}"), &format!("INV-{i}"), 100 + i);
        store.create_letter(&a, &l, at(100 + i)).await.unwrap();
        ids.push(l.id);
    }
    store
        .create_letter(&b, &letter("Client 0", "INV-0", 100), at(100))
        .await
        .unwrap();
    store
        .set_letter_status(
            &a,
            ids[2],
            LetterStatus::Draft,
            LetterStatus::Accepted,
            "",
            at(200),
            &Outbox::NONE,
        )
        .await
        .unwrap();

    // Paging newest first covers every letter exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_letters(&a, &LetterFilter::default(), cursor.as_deref(), 3)
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|l| l.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    let only = |f: LetterFilter| {
        let store = store.clone();
        let a = a.clone();
        async move {
            store
                .list_letters(&a, &f, None, 50)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|l| l.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only(LetterFilter {
            status: Some(LetterStatus::Accepted),
            ..Default::default()
        })
        .await,
        vec![ids[2]]
    );
    assert_eq!(
        only(LetterFilter {
            recipient: Some("client 5".into()),
            ..Default::default()
        })
        .await,
        vec![ids[5]]
    );
    assert_eq!(
        only(LetterFilter {
            reference: Some("inv-6".into()),
            ..Default::default()
        })
        .await,
        vec![ids[6]]
    );
    assert_eq!(
        only(LetterFilter {
            created_from: Some(at(103)),
            created_before: Some(at(105)),
            ..Default::default()
        })
        .await,
        vec![ids[4], ids[3]]
    );
    assert!(matches!(
        store
            .list_letters(&a, &LetterFilter::default(), Some("garbage"), 3)
            .await,
        Err(StoreError::Refused {
            what: codes::CURSOR_INVALID
        })
    ));
});

on_both_backends!(letters_composition_roundtrip, |store: Store| async move {
    let (org, a) = new_org(&store, "Sender").await;
    // A plain letter: no background, no attachments.
    let plain = letter("Plain", "P-1", 10);
    store.create_letter(&a, &plain, at(10)).await.unwrap();
    let back = store.letter(&a, plain.id).await.unwrap();
    assert_eq!(back.background, None);
    assert!(back.attachments.is_empty());

    let mut l = letter("Composed", "C-1", 11);
    l.background = Some(BackgroundScope::AllPages);
    l.attachments = vec![
        LetterAttachment {
            name: "reply coupon.pdf".into(),
            pages: 1,
        },
        LetterAttachment {
            name: "flyer\nautumn.pdf".into(),
            pages: 2,
        },
    ];
    store.create_letter(&a, &l, at(11)).await.unwrap();
    let back = store.letter(&a, l.id).await.unwrap();
    assert_eq!(back.background, Some(BackgroundScope::AllPages));
    assert_eq!(back.attachments.len(), 2);
    assert_eq!(back.attachments[0], l.attachments[0]);
    // A line break in a name cannot split the list.
    assert_eq!(back.attachments[1].name, "flyer autumn.pdf");
    assert_eq!(back.attachments[1].pages, 2);
    let listed = store
        .list_letters(&a, &LetterFilter::default(), None, 10)
        .await
        .unwrap();
    let found = listed.items.iter().find(|x| x.id == l.id).unwrap();
    assert_eq!(found.background, Some(BackgroundScope::AllPages));

    // A draft composed anew: first page only, one attachment, a new document.
    l.background = Some(BackgroundScope::FirstPage);
    l.attachments.truncate(1);
    let document = uuid::Uuid::new_v4();
    let doc = DocumentRecord {
        id: document,
        org,
        blob_key: format!("{org}/composed"),
        content_type: "application/pdf".into(),
        size_bytes: 10,
        wrapped_key: Some(vec![1, 2, 3]),
        created_at: at(12),
        destroyed_at: None,
    };
    store.create_document(&a, &doc, at(12)).await.unwrap();
    l.document = Some(document);
    store.update_draft_letter(&a, &l, at(12)).await.unwrap();
    let back = store.letter(&a, l.id).await.unwrap();
    assert_eq!(back.background, Some(BackgroundScope::FirstPage));
    assert_eq!(back.attachments, l.attachments);
    assert_eq!(back.document, Some(document));
    l.background = None;
    l.attachments.clear();
    store.update_draft_letter(&a, &l, at(13)).await.unwrap();
    let back = store.letter(&a, l.id).await.unwrap();
    assert_eq!(back.background, None);
    assert!(back.attachments.is_empty());
});

on_both_backends!(
    letters_draft_update_and_settings,
    |store: Store| async move {
        let (org, a) = new_org(&store, "Sender").await;
        let mut l = letter("Anna", "", 10);
        store.create_letter(&a, &l, at(10)).await.unwrap();
        l.envelope = Envelope::C4;
        l.price_total = 999;
        store.update_draft_letter(&a, &l, at(11)).await.unwrap();
        assert_eq!(store.letter(&a, l.id).await.unwrap().envelope, Envelope::C4);
        store
            .set_letter_status(
                &a,
                l.id,
                LetterStatus::Draft,
                LetterStatus::Accepted,
                "",
                at(12),
                &Outbox::NONE,
            )
            .await
            .unwrap();
        assert!(matches!(
            store.update_draft_letter(&a, &l, at(13)).await,
            Err(StoreError::Refused {
                what: codes::LETTER_NOT_A_DRAFT
            })
        ));

        assert_eq!(
            store.letter_settings(org).await.unwrap(),
            LetterSettings::default()
        );
        let user = new_user(&store, &a, "approve-me@example.ch", Role::Member).await;
        let s = LetterSettings {
            approval_required_for: vec![user.id],
            retention_days: 30,
            purge_after_print: true,
            window_standard: "din5008_b".into(),
            return_address: "Sender SA\nCase postale\n1000 Lausanne".into(),
        };
        store.set_letter_settings(&a, &s, at(20)).await.unwrap();
        assert_eq!(store.letter_settings(org).await.unwrap(), s);
        let s2 = LetterSettings {
            retention_days: 90,
            ..s
        };
        store.set_letter_settings(&a, &s2, at(21)).await.unwrap();
        assert_eq!(store.letter_settings(org).await.unwrap().retention_days, 90);
    }
);

on_both_backends!(letters_due_for_purge, |store: Store| async move {
    let (org, a) = new_org(&store, "Sender").await;
    let day = 86_400;
    let mut docs = Vec::new();
    for i in 0..2 {
        let doc = DocumentRecord {
            id: uuid::Uuid::new_v4(),
            org,
            blob_key: format!("{org}/{i}"),
            content_type: "application/pdf".into(),
            size_bytes: 10,
            wrapped_key: Some(vec![1, 2, 3]),
            created_at: at(0),
            destroyed_at: None,
        };
        store.create_document(&a, &doc, at(0)).await.unwrap();
        docs.push(doc.id);
    }
    let mut old = letter("Old", "", 0);
    old.document = Some(docs[0]);
    store.create_letter(&a, &old, at(0)).await.unwrap();
    store
        .set_letter_status(
            &a,
            old.id,
            LetterStatus::Draft,
            LetterStatus::Accepted,
            "",
            at(0),
            &Outbox::NONE,
        )
        .await
        .unwrap();
    let mut printed = letter("Printed", "", 0);
    printed.document = Some(docs[1]);
    store.create_letter(&a, &printed, at(0)).await.unwrap();
    store
        .set_letter_status(
            &a,
            printed.id,
            LetterStatus::Draft,
            LetterStatus::Accepted,
            "",
            at(10 * day),
            &Outbox::NONE,
        )
        .await
        .unwrap();
    store
        .set_letter_status(
            &a,
            printed.id,
            LetterStatus::Accepted,
            LetterStatus::InProduction,
            "",
            at(10 * day),
            &Outbox::NONE,
        )
        .await
        .unwrap();
    store
        .set_letter_status(
            &a,
            printed.id,
            LetterStatus::InProduction,
            LetterStatus::Printed,
            "",
            at(10 * day),
            &Outbox::NONE,
        )
        .await
        .unwrap();

    // Default retention: 60 days after submission.
    assert!(
        store
            .letters_due_for_purge(at(60 * day - 1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store.letters_due_for_purge(at(60 * day), 10).await.unwrap();
    assert_eq!(due, vec![(org, old.id, docs[0])]);
    // Purging after print: 12 hours after printing.
    store
        .set_letter_settings(
            &a,
            &LetterSettings {
                purge_after_print: true,
                ..LetterSettings::default()
            },
            at(1),
        )
        .await
        .unwrap();
    let due = store
        .letters_due_for_purge(at(10 * day + 43_200), 10)
        .await
        .unwrap();
    assert_eq!(due, vec![(org, printed.id, docs[1])]);
    // A shredded document is not due again.
    store
        .shred_document(&a, docs[1], at(10 * day + 43_201))
        .await
        .unwrap();
    assert!(
        store
            .letters_due_for_purge(at(10 * day + 43_202), 10)
            .await
            .unwrap()
            .is_empty()
    );
});

on_both_backends!(runs_progress_and_items, |store: Store| async move {
    let (_, a) = new_org(&store, "Sender").await;
    let (_, b) = new_org(&store, "Other").await;
    let run = RunRecord {
        id: RunId::random(),
        org: a.org(),
        kind: RunKind::Split,
        state: RunState::Queued,
        method: "pages:2".into(),
        source_name: "invoices.pdf".into(),
        source_document: None,
        total: 0,
        processed: 0,
        accepted: 0,
        refused: 0,
        error: String::new(),
        created_by: "user:x".into(),
        created_at: at(5),
        finished_at: None,
    };
    store.create_run(&a, &run, at(5)).await.unwrap();
    let l = letter("First", "", 6);
    store.create_letter(&a, &l, at(6)).await.unwrap();
    let ok = RunItemRecord {
        seq: 1,
        source: "pages 1-2".into(),
        accepted: true,
        letter: Some(l.id),
        reasons: String::new(),
    };
    let bad = RunItemRecord {
        seq: 2,
        source: "pages 3-4".into(),
        accepted: false,
        letter: None,
        reasons: "pdf.not_a4: page 3".into(),
    };
    store.record_run_item(&a, run.id, &ok, 2).await.unwrap();
    let mid = store.run(&a, run.id).await.unwrap();
    assert_eq!(
        (mid.state, mid.total, mid.processed, mid.accepted),
        (RunState::Running, 2, 1, 1)
    );
    store.record_run_item(&a, run.id, &bad, 2).await.unwrap();
    assert!(matches!(
        store.record_run_item(&a, run.id, &bad, 2).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.record_run_item(&b, run.id, &ok, 2).await,
        Err(StoreError::NotFound)
    ));
    store
        .finish_run(&a, run.id, RunState::Done, "", at(9))
        .await
        .unwrap();
    let done = store.run(&a, run.id).await.unwrap();
    assert_eq!(
        (
            done.state,
            done.processed,
            done.accepted,
            done.refused,
            done.finished_at
        ),
        (RunState::Done, 2, 1, 1, Some(at(9)))
    );
    assert_eq!(store.run_items(&a, run.id).await.unwrap(), vec![ok, bad]);
    assert!(store.run_items(&b, run.id).await.unwrap().is_empty());
    assert!(matches!(
        store.run(&b, run.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_runs(&a, None, 10).await.unwrap().items.len(), 1);
});

on_both_backends!(
    letters_status_change_writes_its_events_in_its_transaction,
    |store: Store| async move {
        let (_, a) = new_org(&store, "Sender").await;
        let (_, b) = new_org(&store, "Other").await;
        let all = add_webhook(&store, &a, &["*"]).await;
        add_webhook(&store, &a, &["mail.received"]).await;
        add_webhook(&store, &b, &["*"]).await;
        let l = letter("Anna", "INV-1", 10);
        store.create_letter(&a, &l, at(10)).await.unwrap();

        // A change that does not happen writes no event.
        let lost = store
            .set_letter_status(
                &a,
                l.id,
                LetterStatus::Accepted,
                LetterStatus::Cancelled,
                "",
                at(20),
                &outbox_of("letter.status_changed", 1),
            )
            .await;
        assert!(matches!(
            lost,
            Err(StoreError::Conflict {
                what: codes::LETTER_STATUS_CHANGED
            })
        ));
        assert!(matches!(
            store
                .set_letter_status(
                    &b,
                    l.id,
                    LetterStatus::Draft,
                    LetterStatus::Accepted,
                    "",
                    at(20),
                    &outbox_of("letter.status_changed", 2),
                )
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(outbox_state(&store, &a).await, (vec![], vec![]));
        assert!(outbox_state(&store, &b).await.0.is_empty());

        // A change that announces nothing.
        store
            .set_letter_status(
                &a,
                l.id,
                LetterStatus::Draft,
                LetterStatus::Accepted,
                "",
                at(30),
                &Outbox::NONE,
            )
            .await
            .unwrap();
        assert_eq!(outbox_state(&store, &a).await, (vec![], vec![]));

        // The change commits with one delivery per subscribed endpoint of its
        // organisation, each with its job.
        store
            .set_letter_status(
                &a,
                l.id,
                LetterStatus::Accepted,
                LetterStatus::InProduction,
                "",
                at(40),
                &outbox_of("letter.status_changed", 3),
            )
            .await
            .unwrap();
        let (events, jobs) = outbox_state(&store, &a).await;
        assert_eq!(events, ["evt_3"]);
        let deliveries = store
            .list_webhook_deliveries(&a, None, None, 10)
            .await
            .unwrap()
            .items;
        assert_eq!(deliveries[0].webhook, all);
        assert_eq!(deliveries[0].created_at, at(40));
        assert_eq!(jobs, [deliveries[0].id.to_string()]);
        assert!(outbox_state(&store, &b).await.0.is_empty());
        assert_eq!(
            store.letter(&a, l.id).await.unwrap().status,
            LetterStatus::InProduction
        );
    }
);
