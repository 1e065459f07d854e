//! Received versus inserted (the carrier's count per location and day, the
//! day an item was received) and the daily digest (notification choice,
//! exactly one digest per mailbox and day), on both backends.

use courrier_domain::codes;

use super::*;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{Grams, ItemFormat, ItemKind, ItemState, MailItem};
use courrier_domain::{LocationId, MailItemId, MailboxId};
use courrier_store::{
    DigestRecord, LocationRecord, MailItemRecord, MailboxRecord, NotifyMode, OcrProgress, OcrState,
    Outbox,
};

async fn mail_center(store: &Store, name: &str) -> (OrgId, OrgScope, LocationId) {
    let mut org = org_record(name);
    org.kind = OrgKind::MailCenter;
    store.create_org(&org, "system:test").await.unwrap();
    let scope = OrgScope::system(org.id, "user:clerk");
    let location = LocationRecord {
        id: LocationId::random(),
        org: org.id,
        name: format!("{name} centre"),
        address: vec!["Rue du Port 1".into(), "1003 Lausanne".into()],
        country: Country::CH,
        time_zone: "Europe/Zurich".into(),
        created_at: at(0),
    };
    store
        .create_location(&scope, &location, at(0))
        .await
        .unwrap();
    (org.id, scope, location.id)
}

async fn customer_mailbox(
    store: &Store,
    name: &str,
    location: LocationId,
) -> (OrgScope, MailboxId) {
    let (org, scope) = new_org(store, name).await;
    let mb = MailboxRecord::active(
        org,
        Some(location),
        vec![
            name.to_string(),
            "Rue du Port 1".into(),
            "1003 Lausanne".into(),
        ],
        Country::CH,
        "2023-12-01".into(),
        at(1),
    );
    store.create_mailbox(&scope, &mb, at(1)).await.unwrap();
    (scope, mb.id)
}

fn piece(
    org: &OrgScope,
    mailbox: MailboxId,
    location: LocationId,
    secs: i64,
    state: ItemState,
) -> MailItemRecord {
    MailItemRecord {
        id: MailItemId::random(),
        org: Some(org.org()),
        mailbox: Some(mailbox),
        location: Some(location),
        member: None,
        recipient_name: "Boulangerie Dupont".into(),
        sender_org: None,
        reference: String::new(),
        item: MailItem::physical(ItemKind::Letter, ItemFormat::A5, Grams::new(20).unwrap())
            .with_sender("Banque Cantonale"),
        state,
        received_at: at(secs),
        envelope_document: None,
        scan_document: None,
        digital_document: None,
        pages: None,
        tags: Vec::new(),
        note: String::new(),
        handled_at: None,
        ocr: OcrProgress {
            state: OcrState::None,
            pages_done: 0,
            pages_total: 0,
            error: String::new(),
        },
        updated_at: at(secs),
    }
}

on_both_backends!(
    intake_counts_per_location_and_day,
    |store: Store| async move {
        let (mc, clerk, loc) = mail_center(&store, "Centre A").await;
        let (_, other_mc, other_loc) = mail_center(&store, "Centre B").await;

        assert_eq!(
            store.intake_count(&clerk, loc, "2023-11-14").await.unwrap(),
            None
        );
        let first = store
            .set_intake_count(&clerk, loc, "2023-11-14", 12, at(100))
            .await
            .unwrap();
        assert_eq!(first.pieces, 12);
        // Corrected later the same day by someone else: one number, the latest.
        let owner = OrgScope::system(mc, "user:owner");
        store
            .set_intake_count(&owner, loc, "2023-11-14", 14, at(200))
            .await
            .unwrap();
        let got = store
            .intake_count(&clerk, loc, "2023-11-14")
            .await
            .unwrap()
            .expect("a count");
        assert_eq!(got.pieces, 14);
        assert_eq!(got.recorded_by, "user:owner");
        assert_eq!(got.recorded_at, at(200));
        assert_eq!(got.day, "2023-11-14");
        assert_eq!(got.location, loc);
        // Another day is its own row.
        store
            .set_intake_count(&clerk, loc, "2023-11-15", 3, at(90_000))
            .await
            .unwrap();
        assert_eq!(
            store
                .intake_count(&clerk, loc, "2023-11-14")
                .await
                .unwrap()
                .unwrap()
                .pieces,
            14
        );

        // Another mail center neither writes nor reads this location's counts.
        assert_not_found(
            store
                .set_intake_count(&other_mc, loc, "2023-11-14", 1, at(300))
                .await,
        );
        assert_eq!(
            store
                .intake_count(&other_mc, loc, "2023-11-14")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .intake_count(&clerk, other_loc, "2023-11-14")
                .await
                .unwrap(),
            None
        );

        // Bad input is refused and changes nothing.
        let negative = store
            .set_intake_count(&clerk, loc, "2023-11-14", -1, at(400))
            .await;
        assert!(
            matches!(
                negative,
                Err(StoreError::Refused {
                    what: codes::INTAKE_COUNT_INVALID
                })
            ),
            "{negative:?}"
        );
        let bad_day = store
            .set_intake_count(&clerk, loc, "14.11.2023", 5, at(400))
            .await;
        assert!(
            matches!(
                bad_day,
                Err(StoreError::Refused {
                    what: codes::INTAKE_DAY_INVALID
                })
            ),
            "{bad_day:?}"
        );
        assert_eq!(
            store
                .intake_count(&clerk, loc, "2023-11-14")
                .await
                .unwrap()
                .unwrap()
                .pieces,
            14
        );
        assert_eq!(
            chain_actions(&store, mc).await,
            [
                "org.created",
                "location.created",
                "intake.counted",
                "intake.counted",
                "intake.counted"
            ]
        );
    }
);

on_both_backends!(
    intake_day_items_received_and_late,
    |store: Store| async move {
        let (_, clerk, loc) = mail_center(&store, "Centre A").await;
        let (_, other_mc, _) = mail_center(&store, "Centre B").await;
        let (customer, mb) = customer_mailbox(&store, "Boulangerie Dupont", loc).await;
        // The day under test is [at(86_400), at(172_800)).
        let (from, before) = (at(86_400), at(172_800));
        let today = piece(&customer, mb, loc, 90_000, ItemState::Received);
        let late = piece(&customer, mb, loc, 91_000, ItemState::Received);
        let refused = piece(&customer, mb, loc, 92_000, ItemState::Refused);
        let yesterday = piece(&customer, mb, loc, 10_000, ItemState::Received);
        let tomorrow_late = piece(&customer, mb, loc, 180_000, ItemState::Received);
        let old_style = piece(&customer, mb, loc, 93_000, ItemState::Received);
        for (it, day) in [
            (&today, Some("2023-11-15")),
            (&late, Some("2023-11-14")),
            (&refused, Some("2023-11-15")),
            (&yesterday, Some("2023-11-14")),
            (&tomorrow_late, Some("2023-11-15")),
            (&old_style, None),
        ] {
            store
                .insert_item_received_on(
                    &clerk,
                    it,
                    day,
                    "received",
                    "",
                    it.received_at,
                    &Outbox::NONE,
                )
                .await
                .unwrap();
        }
        let got = store
            .intake_day_items(&clerk, loc, "2023-11-15", from, before)
            .await
            .unwrap();
        let ids: Vec<(MailItemId, Option<&str>)> = got
            .iter()
            .map(|d| (d.item.id, d.received_on.as_deref()))
            .collect();
        assert_eq!(
            ids,
            [
                (tomorrow_late.id, Some("2023-11-15")),
                (old_style.id, None),
                (refused.id, Some("2023-11-15")),
                (late.id, Some("2023-11-14")),
                (today.id, Some("2023-11-15")),
            ],
            "received that day (even inserted the next day) or inserted that day, newest insert first"
        );
        assert_eq!(got[2].item.state, ItemState::Refused);
        assert_eq!(got[3].item.item.sender.as_deref(), Some("Banque Cantonale"));
        // The plain insert leaves the day empty.
        assert_eq!(got[1].received_on, None);

        assert_not_found(
            store
                .intake_day_items(&other_mc, loc, "2023-11-15", from, before)
                .await,
        );
    }
);

on_both_backends!(digest_choice_and_exactly_once, |store: Store| async move {
    let (_, clerk, loc) = mail_center(&store, "Centre A").await;
    let (customer, mb) = customer_mailbox(&store, "Boulangerie Dupont", loc).await;
    let (stranger, _) = customer_mailbox(&store, "Garage Muller", loc).await;

    assert_eq!(
        store.mailbox_notify(&customer, mb).await.unwrap(),
        NotifyMode::EachItem
    );
    assert!(store.digest_mailboxes(None, 100).await.unwrap().is_empty());
    store
        .set_mailbox_notify(&customer, mb, NotifyMode::Both, at(10))
        .await
        .unwrap();
    assert_eq!(
        store.mailbox_notify(&customer, mb).await.unwrap(),
        NotifyMode::Both
    );
    assert_not_found(store.mailbox_notify(&stranger, mb).await);
    assert_not_found(
        store
            .set_mailbox_notify(&stranger, mb, NotifyMode::None, at(11))
            .await,
    );
    assert_eq!(
        store.mailbox_notify(&customer, mb).await.unwrap(),
        NotifyMode::Both
    );
    let due = store.digest_mailboxes(None, 100).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mailbox, mb);
    assert_eq!(due[0].org, customer.org());
    assert_eq!(due[0].time_zone.as_deref(), Some("Europe/Zurich"));
    assert_eq!(due[0].location_name.as_deref(), Some("Centre A centre"));
    assert!(
        store
            .digest_mailboxes(Some(mb), 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Items of the mailbox in a period, refused ones left out.
    let a = piece(&customer, mb, loc, 1_000, ItemState::Received);
    let b = piece(&customer, mb, loc, 2_000, ItemState::Refused);
    let c = piece(&customer, mb, loc, 9_000, ItemState::Received);
    for it in [&a, &b, &c] {
        store
            .insert_item_received_on(
                &clerk,
                it,
                Some("2023-11-14"),
                "received",
                "",
                it.received_at,
                &Outbox::NONE,
            )
            .await
            .unwrap();
    }
    let items = store
        .mailbox_items_between(&customer, mb, at(0), at(5_000))
        .await
        .unwrap();
    assert_eq!(items.iter().map(|d| d.item.id).collect::<Vec<_>>(), [a.id]);
    assert_eq!(items[0].received_on.as_deref(), Some("2023-11-14"));
    assert!(
        store
            .mailbox_items_between(&stranger, mb, at(0), at(10_000))
            .await
            .unwrap()
            .is_empty(),
        "another customer sees nothing"
    );

    // One digest per mailbox and day, with its e-mails, even when two workers race.
    let digest = DigestRecord {
        mailbox: mb,
        org: customer.org(),
        day: "2023-11-14".into(),
        items: 1,
        sent_at: at(20),
    };
    let mut racers = Vec::new();
    for i in 0..4 {
        let (s, sc, dg) = (store.clone(), customer.clone(), digest.clone());
        racers.push(tokio::spawn(async move {
            let mail = outgoing_email("anna@example.ch", &format!("digest {i}"));
            let job = delivery(&mail, at(20));
            s.record_mailbox_digest(&sc, &dg, &[(mail, job)], at(20))
                .await
        }));
    }
    let mut sent = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(()) => sent += 1,
            Err(StoreError::Conflict {
                what: codes::DIGEST_SENT,
            }) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(sent, 1, "exactly one digest");
    let emails = store.recent_emails(50).await.unwrap();
    assert_eq!(
        emails
            .iter()
            .filter(|e| e.subject.starts_with("digest"))
            .count(),
        1,
        "the losers' e-mails were not written"
    );
    let got = store
        .mailbox_digest(&customer, mb, "2023-11-14")
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(got, digest);
    assert_eq!(
        store
            .mailbox_digest(&customer, mb, "2023-11-15")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .mailbox_digest(&stranger, mb, "2023-11-14")
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        store
            .record_mailbox_digest(
                &stranger,
                &DigestRecord {
                    day: "2023-11-16".into(),
                    ..digest.clone()
                },
                &[],
                at(30),
            )
            .await,
    );
});
