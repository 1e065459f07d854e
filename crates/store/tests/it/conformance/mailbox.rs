//! Mailboxes, members, mail items with their chain of custody, tasks, usage
//! lines, pickups, rules and full-text search, on both backends.

use courrier_domain::codes;

use super::*;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{
    ActionKind, CodeChallenge, CustomerReview, Grams, ItemFormat, ItemKind, ItemState, MailItem,
    MailboxState,
};
use courrier_domain::{LocationId, MailItemId, MailboxId, Money, PickupId, TaskId};
use courrier_store::{
    ItemFilter, LocationRecord, MailItemRecord, MailboxRecord, MemberAccess, MemberKind,
    MemberRecord, OcrProgress, OcrState, Outbox, PickupRecord, RuleRecord, ScanUpload, SearchOrder,
    SearchQuery, TaskCompletion, TaskFilter, TaskRecord, TaskState, UsageKind, UsageLineRecord,
};

async fn new_mail_center(store: &Store, name: &str) -> (OrgId, OrgScope, LocationId) {
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

fn mailbox(org: OrgId, location: Option<LocationId>, address: &[&str]) -> MailboxRecord {
    MailboxRecord::active(
        org,
        location,
        address.iter().map(|s| s.to_string()).collect(),
        Country::CH,
        "2023-12-01".into(),
        at(1),
    )
}

fn member(mailbox: &MailboxRecord, location: LocationId, name: &str) -> MemberRecord {
    MemberRecord {
        id: courrier_domain::MemberId::random(),
        mailbox: mailbox.id,
        org: mailbox.org,
        location,
        name: name.into(),
        kind: MemberKind::Company,
        review: CustomerReview::Submitted,
        notes: String::new(),
        pre_approved_at: None,
        created_at: at(2),
        updated_at: at(2),
    }
}

fn item(
    org: OrgId,
    mailbox: MailboxId,
    location: LocationId,
    sender: &str,
    secs: i64,
) -> MailItemRecord {
    MailItemRecord {
        id: MailItemId::random(),
        org: Some(org),
        mailbox: Some(mailbox),
        location: Some(location),
        member: None,
        recipient_name: "Boulangerie Dupont".into(),
        sender_org: None,
        reference: String::new(),
        item: MailItem::physical(ItemKind::Letter, ItemFormat::A5, Grams::new(20).unwrap())
            .with_sender(sender),
        state: ItemState::Received,
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

fn task(item: MailItemId, action: ActionKind, due: i64) -> TaskRecord {
    TaskRecord {
        id: TaskId::random(),
        // Taken from the item by the store.
        location: LocationId::random(),
        item,
        org: OrgId::random(),
        action,
        state: TaskState::Open,
        requested_at: at(100),
        requested_by: String::new(),
        due_at: at(due),
        done_at: None,
        done_by: None,
        fee: Money::new(80, Currency::CHF),
        note: String::new(),
        forward_address: Vec::new(),
        forward_country: None,
        bundle: false,
    }
}

fn usage(org: OrgId, kind: UsageKind, task: Option<TaskId>, minor: i64) -> UsageLineRecord {
    UsageLineRecord {
        id: uuid::Uuid::new_v4(),
        org,
        kind,
        item: None,
        task,
        pickup: None,
        amount: Money::new(minor, Currency::CHF),
        vat_bp: 810,
        created_at: at(200),
        description: kind.as_str().into(),
    }
}

/// A customer with an active company mailbox and a mail center with a
/// location: (customer org, customer scope, mailbox, mc scope, location).
async fn setup(store: &Store) -> (OrgId, OrgScope, MailboxRecord, OrgScope, LocationId) {
    let (org, scope) = new_org(store, "Dupont").await;
    let mb = mailbox(
        org,
        None,
        &["Boulangerie Dupont", "Rue de Bourg 12", "1003 Lausanne"],
    );
    store.create_mailbox(&scope, &mb, at(1)).await.unwrap();
    let (_, mc, location) = new_mail_center(store, "Lausanne").await;
    (org, scope, mb, mc, location)
}

on_both_backends!(mailbox_mailboxes_and_locations, |store: Store| async move {
    let (org, scope, mb, mc, location) = setup(&store).await;
    let (_, other) = new_org(&store, "Other").await;
    // One company mailbox per organisation.
    let again = mailbox(org, None, &["X", "1000 Lausanne"]);
    assert!(matches!(
        store.create_mailbox(&scope, &again, at(2)).await,
        Err(StoreError::Conflict {
            what: codes::MAILBOX_EXISTS
        })
    ));
    // …but one per location too.
    store
        .create_mailbox(
            &scope,
            &mailbox(org, Some(location), &["A", "1000 L"]),
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(store.list_mailboxes(&scope).await.unwrap().len(), 2);
    assert_eq!(store.list_mailboxes(&scope).await.unwrap()[0].id, mb.id);
    assert_eq!(store.mailbox(&scope, mb.id).await.unwrap(), mb);
    assert!(matches!(
        store.mailbox(&other, mb.id).await,
        Err(StoreError::NotFound)
    ));
    // Locations: a public directory; only the owner "owns" it.
    assert_eq!(
        store.location(location).await.unwrap().time_zone,
        "Europe/Zurich"
    );
    assert!(store.own_location(&mc, location).await.is_ok());
    assert!(matches!(
        store.own_location(&scope, location).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_locations(None).await.unwrap().len(), 1);
    assert_eq!(store.list_locations(Some(org)).await.unwrap().len(), 0);

    // Optimistic update: the challenge and state are saved; a stale copy is refused.
    let (_, challenge) = CodeChallenge::issue([7; 8], at(3));
    let mut after = mb.clone();
    after.state = MailboxState::Suspended;
    after.address = vec![
        "Boulangerie Dupont".into(),
        "Place Neuve 2".into(),
        "1003 Lausanne".into(),
    ];
    after.challenge = Some(challenge);
    after.code_expires_at = Some(at(1000));
    let event = AuditEvent::new("mailbox.address_changed", mb.id.to_string(), "");
    store
        .update_mailbox(&scope, &mb, &after, &event, at(3))
        .await
        .unwrap();
    let saved = store.mailbox(&scope, mb.id).await.unwrap();
    assert_eq!(saved.state, MailboxState::Suspended);
    assert_eq!(saved.challenge, Some(challenge));
    assert_eq!(saved.version, 1);
    assert!(matches!(
        store
            .update_mailbox(&scope, &mb, &after, &event, at(4))
            .await,
        Err(StoreError::Conflict {
            what: codes::MAILBOX_CHANGED
        })
    ));
    assert!(matches!(
        store
            .update_mailbox(&other, &saved, &after, &event, at(4))
            .await,
        Err(StoreError::NotFound)
    ));
    // Digital delivery lookups see only active mailboxes.
    assert!(
        store
            .deliverable_mailbox_of_org(org)
            .await
            .unwrap()
            .unwrap()
            .location
            .is_some()
    );
    let mut active = saved.clone();
    active.state = MailboxState::Active;
    store
        .update_mailbox(&scope, &saved, &active, &event, at(5))
        .await
        .unwrap();
    assert_eq!(
        store
            .deliverable_mailbox_of_org(org)
            .await
            .unwrap()
            .unwrap()
            .id,
        mb.id
    );
    let typed: Vec<String> = [
        "  boulangerie DUPONT",
        "Place  Neuve 2",
        "",
        "1003 Lausanne",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        store
            .deliverable_mailbox_at_address(&typed)
            .await
            .unwrap()
            .unwrap()
            .id,
        mb.id
    );
    assert!(
        store
            .deliverable_mailbox_at_address(&["Nobody".into()])
            .await
            .unwrap()
            .is_none()
    );
    // Activation candidates.
    let (org2, scope2) = new_org(&store, "Later").await;
    let mut later = mailbox(org2, None, &["Later SA", "1000 Lausanne"]);
    later.state = MailboxState::Verified;
    later.activation_date = "2024-02-01".into();
    store.create_mailbox(&scope2, &later, at(1)).await.unwrap();
    assert!(
        store
            .mailboxes_awaiting_activation("2024-01-31", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .mailboxes_awaiting_activation("2024-02-01", 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let actions = chain_actions(&store, org).await;
    assert!(actions.contains(&"mailbox.created".to_string()));
    assert!(actions.contains(&"mailbox.address_changed".to_string()));
});

on_both_backends!(mailbox_members_and_reviews, |store: Store| async move {
    let (_, scope, mb, mc, location) = setup(&store).await;
    let (_, other_mc, _) = new_mail_center(&store, "Geneva").await;
    let (_, stranger) = new_org(&store, "Stranger").await;
    let m = member(&mb, location, "Boulangerie Dupont SàRL");
    store.add_member(&scope, &m, at(2)).await.unwrap();
    // Only the owner of the mailbox adds members to it.
    assert!(matches!(
        store
            .add_member(&stranger, &member(&mb, location, "X"), at(2))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .member(&scope, MemberAccess::Tenant, m.id)
            .await
            .unwrap(),
        m
    );
    assert_eq!(
        store
            .member(&mc, MemberAccess::Tenant, m.id)
            .await
            .unwrap()
            .name,
        m.name
    );
    for s in [&other_mc, &stranger] {
        assert!(matches!(
            store.member(s, MemberAccess::Tenant, m.id).await,
            Err(StoreError::NotFound)
        ));
    }
    // The platform pre-approves, the mail center approves.
    let (_, platform) = new_org(&store, "Platform").await;
    store
        .review_member(
            &platform,
            MemberAccess::Platform,
            m.id,
            CustomerReview::Submitted,
            CustomerReview::PreApproved,
            "pre_approve",
            "platform",
            "documents fine",
            None,
            at(3),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .review_member(
                &other_mc,
                MemberAccess::Tenant,
                m.id,
                CustomerReview::PreApproved,
                CustomerReview::Approved,
                "approve",
                "mail_center",
                "ok",
                None,
                at(4)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .review_member(
                &mc,
                MemberAccess::Tenant,
                m.id,
                CustomerReview::Submitted,
                CustomerReview::Approved,
                "approve",
                "mail_center",
                "ok",
                None,
                at(4)
            )
            .await,
        Err(StoreError::Conflict {
            what: codes::MEMBER_REVIEW_CHANGED
        })
    ));
    store
        .review_member(
            &mc,
            MemberAccess::Tenant,
            m.id,
            CustomerReview::PreApproved,
            CustomerReview::Approved,
            "approve",
            "mail_center",
            "ID checked",
            None,
            at(4),
        )
        .await
        .unwrap();
    let back = store
        .member(&scope, MemberAccess::Tenant, m.id)
        .await
        .unwrap();
    assert_eq!(
        (back.review, back.notes.as_str()),
        (CustomerReview::Approved, "ID checked")
    );
    assert_eq!(back.pre_approved_at, Some(at(3)));
    let history = store
        .member_history(&scope, MemberAccess::Tenant, m.id)
        .await
        .unwrap();
    let events: Vec<&str> = history.iter().map(|h| h.event.as_str()).collect();
    assert_eq!(events, ["submit", "pre_approve", "approve"]);
    assert_eq!(history[2].actor, "user:clerk");
    // The clerk's recipient list.
    let found = store
        .location_recipients(&mc, location, Some("dupont"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].mailbox_state, MailboxState::Active);
    assert!(
        store
            .location_recipients(&mc, location, Some("zzz"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.location_recipients(&other_mc, location, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_members(
                &platform,
                MemberAccess::Platform,
                None,
                None,
                Some(CustomerReview::Approved)
            )
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .list_members(&stranger, MemberAccess::Tenant, None, None, None)
            .await
            .unwrap()
            .is_empty()
    );
});

on_both_backends!(
    mailbox_items_custody_and_tenancy,
    |store: Store| async move {
        let (org, scope, mb, mc, location) = setup(&store).await;
        let (_, other_mc, other_location) = new_mail_center(&store, "Geneva").await;
        let (_, stranger) = new_org(&store, "Stranger").await;
        let it = item(org, mb.id, location, "Swisscom AG", 10);
        // A mail center logs only at its own locations.
        assert!(matches!(
            store
                .insert_item(&other_mc, &it, "received", "", at(10), &Outbox::NONE)
                .await,
            Err(StoreError::NotFound)
        ));
        let mut elsewhere = it.clone();
        elsewhere.location = Some(other_location);
        assert!(matches!(
            store
                .insert_item(&mc, &elsewhere, "received", "", at(10), &Outbox::NONE)
                .await,
            Err(StoreError::NotFound)
        ));
        store
            .insert_item(
                &mc,
                &it,
                "received",
                "logged by the clerk",
                at(10),
                &Outbox::NONE,
            )
            .await
            .unwrap();
        assert_eq!(store.item(&scope, it.id).await.unwrap(), it);
        assert_eq!(store.item(&mc, it.id).await.unwrap().id, it.id);
        for s in [&other_mc, &stranger] {
            assert!(matches!(
                store.item(s, it.id).await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                store.item_events(s, it.id).await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                store.append_item_event(s, it.id, "note", "", at(11)).await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                store
                    .set_item_state(
                        s,
                        it.id,
                        ItemState::Received,
                        ItemState::Handled,
                        "mark_handled",
                        "",
                        true,
                        at(11)
                    )
                    .await,
                Err(StoreError::NotFound)
            ));
        }
        // State changes are compare-and-set.
        store
            .set_item_state(
                &scope,
                it.id,
                ItemState::Received,
                ItemState::Handled,
                "mark_handled",
                "",
                true,
                at(12),
            )
            .await
            .unwrap();
        assert!(matches!(
            store
                .set_item_state(
                    &scope,
                    it.id,
                    ItemState::Received,
                    ItemState::Handled,
                    "mark_handled",
                    "",
                    true,
                    at(13)
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::ITEM_STATE_CHANGED
            })
        ));
        assert_eq!(
            store.item(&scope, it.id).await.unwrap().handled_at,
            Some(at(12))
        );
        // Appends keep their order; nothing updates them.
        assert_eq!(
            store
                .append_item_event(&mc, it.id, "inspected", "seal intact", at(14))
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            store
                .append_item_event(&scope, it.id, "viewed", "", at(15))
                .await
                .unwrap(),
            4
        );
        let events = store.item_events(&scope, it.id).await.unwrap();
        let seqs: Vec<i32> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4]);
        let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(names, ["received", "mark_handled", "inspected", "viewed"]);
        assert_eq!(events[0].actor, "user:clerk");
        assert_eq!(events[0].detail, "logged by the clerk");
        // Custody events are in the audit chains.
        assert!(
            chain_actions(&store, org)
                .await
                .contains(&"item.mark_handled".to_string())
        );
        assert!(
            chain_actions(&store, mc.org())
                .await
                .contains(&"item.inspected".to_string())
        );
        // Tags and notes only by the customer.
        store
            .set_item_tags_note(
                &scope,
                it.id,
                &["Impôts".into(), "2026".into()],
                "à payer",
                at(16),
            )
            .await
            .unwrap();
        assert!(matches!(
            store.set_item_tags_note(&mc, it.id, &[], "", at(16)).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store.item(&scope, it.id).await.unwrap().tags,
            ["impôts", "2026"]
        );
        // A refused item for nobody is the mail center's only.
        let mut refused = item(org, mb.id, location, "Unknown", 20);
        refused.org = None;
        refused.mailbox = None;
        refused.state = ItemState::Refused;
        store
            .insert_item(
                &mc,
                &refused,
                "refused",
                "no such recipient",
                at(20),
                &Outbox::NONE,
            )
            .await
            .unwrap();
        assert!(store.item(&mc, refused.id).await.is_ok());
        assert!(matches!(
            store.item(&scope, refused.id).await,
            Err(StoreError::NotFound)
        ));
        let today = store
            .location_items(&mc, location, at(0), at(100))
            .await
            .unwrap();
        assert_eq!(today.len(), 2);
        assert!(matches!(
            store
                .location_items(&other_mc, location, at(0), at(100))
                .await,
            Err(StoreError::NotFound)
        ));
        // OCR progress and text (job methods).
        store
            .set_ocr_progress(it.id, OcrState::Running, 1, 3, "", at(30))
            .await
            .unwrap();
        assert_eq!(store.item_for_job(it.id).await.unwrap().ocr.pages_total, 3);
        store
            .set_ocr_text(it.id, "Facture du mois", 3, at(31))
            .await
            .unwrap();
        assert_eq!(
            store.item_text(&scope, it.id).await.unwrap(),
            "Facture du mois"
        );
        assert!(matches!(
            store.item_text(&stranger, it.id).await,
            Err(StoreError::NotFound)
        ));
        let ocr = store.item(&scope, it.id).await.unwrap().ocr;
        assert_eq!((ocr.state, ocr.pages_done), (OcrState::Done, 3));
    }
);

/// Custody events cannot be changed even behind the store's back: the
/// database refuses updates and deletes.
async fn mailbox_custody_is_append_only(backend: Backend) {
    let db = backend.test_db().await;
    let store = db.store.clone();
    let (org, _, mb, mc, location) = setup(&store).await;
    let it = item(org, mb.id, location, "X", 10);
    store
        .insert_item(&mc, &it, "received", "", at(10), &Outbox::NONE)
        .await
        .unwrap();
    let update = format!(
        "UPDATE item_events SET detail = 'forged' WHERE item_id = '{}'",
        it.id
    );
    let delete = format!("DELETE FROM item_events WHERE item_id = '{}'", it.id);
    for sql in [update, delete] {
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
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(store.item_events(&mc, it.id).await.unwrap().len(), 1);
    store.close().await;
}

on_both_backends!(mailbox_custody_is_append_only);

on_both_backends!(
    mailbox_tasks_complete_once_and_bill_once,
    |store: Store| async move {
        let (org, scope, mb, mc, location) = setup(&store).await;
        let (_, other_mc, other_location) = new_mail_center(&store, "Geneva").await;
        let (_, stranger) = new_org(&store, "Stranger").await;
        let a = item(org, mb.id, location, "A", 10);
        let b = item(org, mb.id, location, "B", 11);
        for i in [&a, &b] {
            store
                .insert_item(&mc, i, "received", "", at(10), &Outbox::NONE)
                .await
                .unwrap();
        }
        let late = task(a.id, ActionKind::Scan, 500);
        let early = task(b.id, ActionKind::Shred, 300);
        store
            .request_task(
                &scope,
                &late,
                ItemState::Received,
                ItemState::ScanRequested,
                "request_scan",
                "",
                at(100),
            )
            .await
            .unwrap();
        // The item moved: a second request from the old state is refused.
        assert!(matches!(
            store
                .request_task(
                    &scope,
                    &task(a.id, ActionKind::Scan, 500),
                    ItemState::Received,
                    ItemState::ScanRequested,
                    "request_scan",
                    "",
                    at(100)
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::ITEM_STATE_CHANGED
            })
        ));
        assert!(matches!(
            store
                .request_task(
                    &stranger,
                    &early,
                    ItemState::Received,
                    ItemState::ShredRequested,
                    "request_shred",
                    "",
                    at(100)
                )
                .await,
            Err(StoreError::NotFound)
        ));
        store
            .request_task(
                &scope,
                &early,
                ItemState::Received,
                ItemState::ShredRequested,
                "request_shred",
                "",
                at(100),
            )
            .await
            .unwrap();
        let stored = store.task(&mc, late.id).await.unwrap();
        assert_eq!((stored.location, stored.org), (location, org));
        assert_eq!(stored.requested_by, "test");
        assert!(matches!(
            store.task(&other_mc, late.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.task(&stranger, late.id).await,
            Err(StoreError::NotFound)
        ));
        // The queue: by deadline, overdue flagged.
        let queue = store
            .task_queue(&mc, location, &TaskFilter::default(), at(400), 50)
            .await
            .unwrap();
        let ids: Vec<TaskId> = queue.iter().map(|q| q.task.id).collect();
        assert_eq!(ids, [early.id, late.id]);
        assert_eq!((queue[0].overdue, queue[1].overdue), (true, false));
        assert_eq!(queue[1].item.id, a.id);
        let scans = TaskFilter {
            action: Some(ActionKind::Scan),
            ..TaskFilter::default()
        };
        assert_eq!(
            store
                .task_queue(&mc, location, &scans, at(400), 50)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            store
                .task_queue(&other_mc, location, &TaskFilter::default(), at(400), 50)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(
            store
                .task_queue(
                    &other_mc,
                    other_location,
                    &TaskFilter::default(),
                    at(400),
                    50
                )
                .await
                .unwrap()
                .is_empty()
        );
        // Completion: once, with its usage line and job.
        let done = TaskCompletion {
            task: late.id,
            item_from: ItemState::ScanRequested,
            item_to: ItemState::Scanned,
            events: vec![("scan_done".into(), "2 pages".into())],
            scan: Some(ScanUpload {
                document: uuid::Uuid::new_v4(),
                pages: Some(2),
            }),
            usage: vec![usage(org, UsageKind::Scan, Some(late.id), 80)],
            job: Some(NewJob {
                kind: "mail.ocr".into(),
                payload: a.id.to_string(),
                unique_key: Some(format!("ocr:{}", a.id)),
                run_at: at(450),
                max_attempts: 3,
            }),
            note: String::new(),
        };
        // The scan document must exist (foreign key): store one first.
        let doc = DocumentRecord {
            id: done.scan.as_ref().unwrap().document,
            org,
            blob_key: "k".into(),
            content_type: "application/pdf".into(),
            size_bytes: 10,
            wrapped_key: Some(vec![1]),
            created_at: at(440),
            destroyed_at: None,
        };
        store.create_document(&scope, &doc, at(440)).await.unwrap();
        assert!(matches!(
            store.complete_task(&other_mc, &done, at(450)).await,
            Err(StoreError::NotFound)
        ));
        store.complete_task(&mc, &done, at(450)).await.unwrap();
        assert!(matches!(
            store.complete_task(&mc, &done, at(451)).await,
            Err(StoreError::Conflict {
                what: codes::TASK_NOT_OPEN
            })
        ));
        let after = store.item(&scope, a.id).await.unwrap();
        assert_eq!(
            (after.state, after.pages, after.ocr.state),
            (ItemState::Scanned, Some(2), OcrState::Queued)
        );
        assert_eq!(after.scan_document, Some(doc.id));
        let t = store.task(&scope, late.id).await.unwrap();
        assert_eq!(
            (t.state, t.done_at, t.done_by.as_deref()),
            (TaskState::Done, Some(at(450)), Some("user:clerk"))
        );
        let lines = store.usage_lines(&scope, at(0), at(10_000)).await.unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].amount, Money::new(80, Currency::CHF));
        assert!(
            store
                .usage_lines(&stranger, at(0), at(10_000))
                .await
                .unwrap()
                .is_empty()
        );
        let job = store
            .claim_job("w", at(450), at(500))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (job.kind.as_str(), job.payload),
            ("mail.ocr", a.id.to_string())
        );
        // The same task billed twice is refused by the database too.
        assert!(matches!(
            store
                .add_usage_line(
                    &mc,
                    &usage(org, UsageKind::Scan, Some(late.id), 80),
                    at(460)
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::USAGE_ALREADY_BILLED
            })
        ));
        // A completion whose item moved meanwhile changes nothing.
        let wrong = TaskCompletion {
            task: early.id,
            item_from: ItemState::Received,
            item_to: ItemState::Shredded,
            events: vec![("shred_done".into(), String::new())],
            scan: None,
            usage: vec![usage(org, UsageKind::Forward, Some(early.id), 1)],
            job: None,
            note: String::new(),
        };
        assert!(matches!(
            store.complete_task(&mc, &wrong, at(470)).await,
            Err(StoreError::Conflict {
                what: codes::ITEM_STATE_CHANGED
            })
        ));
        assert_eq!(
            store.task(&mc, early.id).await.unwrap().state,
            TaskState::Open
        );
        assert_eq!(
            store
                .usage_lines(&scope, at(0), at(10_000))
                .await
                .unwrap()
                .len(),
            1
        );
        let events: Vec<String> = store
            .item_events(&scope, a.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(events, ["received", "request_scan", "scan_done"]);
        assert_eq!(store.item_tasks(&scope, a.id).await.unwrap().len(), 1);

        // Scan retention: scans are kept unless the organisation says
        // otherwise; only its own setting counts.
        assert_eq!(store.scan_retention(&scope).await.unwrap(), None);
        let far = at(100 * 86_400);
        assert!(store.scans_due_for_purge(far, 10).await.unwrap().is_empty());
        assert!(matches!(
            store.set_scan_retention(&scope, Some(0), at(460)).await,
            Err(StoreError::Refused {
                what: codes::MAIL_RETENTION_INVALID
            })
        ));
        store
            .set_scan_retention(&stranger, Some(1), at(460))
            .await
            .unwrap();
        assert!(store.scans_due_for_purge(far, 10).await.unwrap().is_empty());
        store
            .set_scan_retention(&scope, Some(1), at(460))
            .await
            .unwrap();
        assert_eq!(store.scan_retention(&scope).await.unwrap(), Some(1));
        assert!(
            store
                .scans_due_for_purge(at(440 + 86_399), 10)
                .await
                .unwrap()
                .is_empty(),
            "one day after the scan is stored, not before"
        );
        let due = store
            .scans_due_for_purge(at(440 + 86_400), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].org, due[0].item, due[0].document),
            (org, a.id, doc.id)
        );
        assert_not_found(store.forget_scan_text(&stranger, a.id, at(461)).await);
        store.forget_scan_text(&scope, a.id, at(461)).await.unwrap();
        assert_eq!(
            store.item(&scope, a.id).await.unwrap().ocr.state,
            OcrState::None
        );
        store.shred_document(&scope, doc.id, at(462)).await.unwrap();
        assert!(store.scans_due_for_purge(far, 10).await.unwrap().is_empty());
    }
);

on_both_backends!(
    mailbox_pickups_in_one_transaction,
    |store: Store| async move {
        let (org, scope, mb, mc, location) = setup(&store).await;
        let (other_org, other_scope) = new_org(&store, "Other").await;
        let other_mb = mailbox(other_org, None, &["Other SA", "1000 Lausanne"]);
        store
            .create_mailbox(&other_scope, &other_mb, at(1))
            .await
            .unwrap();
        let a = item(org, mb.id, location, "A", 10);
        let b = item(org, mb.id, location, "B", 11);
        let theirs = item(other_org, other_mb.id, location, "C", 12);
        for i in [&a, &b, &theirs] {
            store
                .insert_item(&mc, i, "received", "", at(12), &Outbox::NONE)
                .await
                .unwrap();
        }
        let hold = task(b.id, ActionKind::HoldForPickup, 300);
        store
            .request_task(
                &scope,
                &hold,
                ItemState::Received,
                ItemState::HeldForPickup,
                "hold_for_pickup",
                "",
                at(100),
            )
            .await
            .unwrap();
        let pickup = |items: Vec<MailItemId>| PickupRecord {
            id: PickupId::random(),
            location,
            org,
            id_document_type: "identity_card".into(),
            id_last_digits: "4821".into(),
            checked_by: "user:clerk".into(),
            fees: Money::new(300, Currency::CHF),
            created_at: at(200),
            items,
        };
        // Someone else's item spoils the whole pickup.
        let bad = pickup(vec![a.id, theirs.id]);
        assert!(matches!(
            store
                .create_pickup(
                    &mc,
                    &bad,
                    &[
                        (a.id, ItemState::Received),
                        (theirs.id, ItemState::Received)
                    ],
                    None,
                    at(200)
                )
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store.item(&scope, a.id).await.unwrap().state,
            ItemState::Received
        );
        let good = pickup(vec![a.id, b.id]);
        let mut fee = usage(org, UsageKind::PickupFee, None, 300);
        fee.pickup = Some(good.id);
        store
            .create_pickup(
                &mc,
                &good,
                &[
                    (a.id, ItemState::Received),
                    (b.id, ItemState::HeldForPickup),
                ],
                Some(&fee),
                at(200),
            )
            .await
            .unwrap();
        for i in [a.id, b.id] {
            assert_eq!(
                store.item(&scope, i).await.unwrap().state,
                ItemState::PickedUp
            );
            let last = store.item_events(&scope, i).await.unwrap().pop().unwrap();
            assert_eq!(last.event, "picked_up");
            assert!(
                last.detail.contains("identity_card …4821"),
                "{}",
                last.detail
            );
        }
        assert_eq!(
            store.task(&scope, hold.id).await.unwrap().state,
            TaskState::Done
        );
        let back = store.pickup(&scope, good.id).await.unwrap();
        assert_eq!(back.items.len(), 2);
        assert_eq!(back.fees, Money::new(300, Currency::CHF));
        assert!(matches!(
            store.pickup(&other_scope, good.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            store.usage_lines(&scope, at(0), at(1000)).await.unwrap()[0].kind,
            UsageKind::PickupFee
        );
        // Picked up once only.
        assert!(matches!(
            store
                .create_pickup(
                    &mc,
                    &pickup(vec![a.id]),
                    &[(a.id, ItemState::PickedUp)],
                    None,
                    at(201)
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::ITEM_PICKED_UP
            })
        ));
        assert!(
            chain_actions(&store, mc.org())
                .await
                .contains(&"pickup.created".to_string())
        );
    }
);

on_both_backends!(mailbox_rules_in_order, |store: Store| async move {
    let (org, scope, mb, _, _) = setup(&store).await;
    let (_, stranger) = new_org(&store, "Stranger").await;
    let rule = |condition: &str, action: &str| RuleRecord {
        id: courrier_domain::MailboxRuleId::random(),
        mailbox: mb.id,
        org,
        position: 0,
        condition: condition.into(),
        action: action.into(),
        exceptions: vec!["sender:important".into()],
        created_at: at(5),
    };
    let first = rule("advertising", "shred");
    assert_eq!(store.create_rule(&scope, &first, at(5)).await.unwrap(), 1);
    assert_eq!(
        store
            .create_rule(&scope, &rule("sender:swisscom", "scan"), at(6))
            .await
            .unwrap(),
        2
    );
    assert!(matches!(
        store
            .create_rule(&stranger, &rule("advertising", "shred"), at(6))
            .await,
        Err(StoreError::NotFound)
    ));
    let rules = store.rules(&scope, mb.id).await.unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].exceptions, ["sender:important"]);
    assert_eq!(rules[1].condition, "sender:swisscom");
    assert!(store.rules(&stranger, mb.id).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_rule(&stranger, first.id, at(7)).await,
        Err(StoreError::NotFound)
    ));
    store.delete_rule(&scope, first.id, at(7)).await.unwrap();
    assert_eq!(store.rules(&scope, mb.id).await.unwrap().len(), 1);
});

on_both_backends!(mailbox_full_text_search, |store: Store| async move {
    let (org, scope, mb, mc, location) = setup(&store).await;
    let (other_org, other_scope) = new_org(&store, "Other").await;
    let other_mb = mailbox(other_org, None, &["Other SA", "1000 Lausanne"]);
    store
        .create_mailbox(&other_scope, &other_mb, at(1))
        .await
        .unwrap();
    let texts = [
        (
            "Administration fédérale des contributions",
            "Décision de taxation 2025. Le montant est payable dans 30 jours.",
        ),
        (
            "Swisscom AG",
            "Ihre Rechnung für den Monat Oktober. Zahlbar innert 30 Tagen.",
        ),
        (
            "Swisscom AG",
            "Votre facture du mois. Payable dans les 30 jours, merci.",
        ),
        (
            "Assurance Vaudoise",
            "Police d'assurance ménage: la prime annuelle est payable dans 30 jours.",
        ),
        (
            "Xylophon Verlag",
            "Das seltene Wort <b>&amp;</b> Quokkaquelle steht nur hier.",
        ),
    ];
    let mut ids = Vec::new();
    for (n, (sender, text)) in texts.iter().enumerate() {
        let it = item(org, mb.id, location, sender, 100 + n as i64);
        store
            .insert_item(&mc, &it, "received", "", at(100), &Outbox::NONE)
            .await
            .unwrap();
        store.set_ocr_text(it.id, text, 1, at(101)).await.unwrap();
        ids.push(it.id);
    }
    // The other customer has the same words; never seen.
    let theirs = item(other_org, other_mb.id, location, "Swisscom AG", 200);
    store
        .insert_item(&mc, &theirs, "received", "", at(200), &Outbox::NONE)
        .await
        .unwrap();
    store
        .set_ocr_text(theirs.id, "Quokkaquelle payable dans 30 jours", 1, at(201))
        .await
        .unwrap();
    let search = |q: &str, f: ItemFilter| {
        let store = store.clone();
        let scope = scope.clone();
        let q = q.to_string();
        async move {
            store
                .search_items(&scope, &SearchQuery::parse(&q), &f, None, 50)
                .await
                .unwrap()
        }
    };
    let found = |page: &courrier_store::Page<courrier_store::SearchHit>| -> Vec<MailItemId> {
        page.items.iter().map(|h| h.item.id).collect()
    };
    // A rare word, case-insensitively, with a highlighted snippet.
    let rare = search("QUOKKAQUELLE", ItemFilter::default()).await;
    assert_eq!(found(&rare), [ids[4]]);
    let marked: Vec<&str> = rare.items[0]
        .snippet
        .iter()
        .filter(|s| s.highlighted)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(marked, ["Quokkaquelle"]);
    let plain: String = rare.items[0]
        .snippet
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    // Plain text, not escaped: the web layer escapes it (PostgreSQL's
    // headline leaves out what looks like markup tags, SQLite keeps them).
    assert!(plain.contains("&amp;"), "snippets are plain text: {plain}");
    // Words with diacritics; a sender word.
    assert_eq!(
        found(&search("fédérale", ItemFilter::default()).await),
        [ids[0]]
    );
    assert_eq!(
        found(&search("vaudoise", ItemFilter::default()).await),
        [ids[3]]
    );
    // A phrase: the words in that order only.
    let phrase = search("\"payable dans 30 jours\"", ItemFilter::default()).await;
    let mut got = found(&phrase);
    got.sort();
    let mut want = vec![ids[0], ids[3]];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        search("\"jours 30 dans\"", ItemFilter::default())
            .await
            .items
            .len(),
        0
    );
    // All words must match; query syntax is not interpreted.
    assert_eq!(
        found(&search("swisscom facture", ItemFilter::default()).await),
        [ids[2]]
    );
    assert_eq!(
        search("swisscom OR vaudoise", ItemFilter::default())
            .await
            .items
            .len(),
        0
    );
    assert_eq!(
        search("NEAR(\"a\" *) AND -x ^", ItemFilter::default())
            .await
            .items
            .len(),
        0
    );
    // Filters combine with the words.
    let by_sender = ItemFilter {
        sender: Some("swisscom".into()),
        ..ItemFilter::default()
    };
    let mut got = found(&search("30", by_sender.clone()).await);
    got.sort();
    let mut want = vec![ids[1], ids[2]];
    want.sort();
    assert_eq!(got, want);
    let period = ItemFilter {
        received_from: Some(at(102)),
        received_before: Some(at(104)),
        ..ItemFilter::default()
    };
    let mut got = found(&search("30", period).await);
    got.sort();
    let mut want = vec![ids[2], ids[3]];
    want.sort();
    assert_eq!(got, want);
    store
        .set_item_tags_note(
            &scope,
            ids[3],
            &["Assurances".into()],
            "renouveler",
            at(300),
        )
        .await
        .unwrap();
    let tagged = ItemFilter {
        tag: Some("assurances".into()),
        ..ItemFilter::default()
    };
    assert_eq!(found(&search("", tagged.clone()).await), [ids[3]]);
    assert_eq!(
        found(&search("renouveler", ItemFilter::default()).await),
        [ids[3]]
    );
    store
        .set_item_state(
            &scope,
            ids[1],
            ItemState::Received,
            ItemState::Handled,
            "mark_handled",
            "",
            true,
            at(301),
        )
        .await
        .unwrap();
    let handled = ItemFilter {
        state: Some(ItemState::Handled),
        ..ItemFilter::default()
    };
    assert_eq!(found(&search("30", handled).await), [ids[1]]);
    let other_box = ItemFilter {
        mailbox: Some(other_mb.id),
        ..ItemFilter::default()
    };
    assert!(search("30", other_box).await.items.is_empty());
    // Paging through search results and the plain list.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .search_items(
                &scope,
                &SearchQuery::parse("30"),
                &ItemFilter::default(),
                cursor.as_deref(),
                2,
            )
            .await
            .unwrap();
        seen.extend(found(&page));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4);
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .search_items(
                &scope,
                &SearchQuery::default(),
                &ItemFilter::default(),
                cursor.as_deref(),
                2,
            )
            .await
            .unwrap();
        assert!(page.items.iter().all(|h| h.snippet.is_empty()));
        listed.extend(found(&page));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(listed, ids.iter().rev().copied().collect::<Vec<_>>());
    assert!(matches!(
        store
            .search_items(
                &scope,
                &SearchQuery::parse("30"),
                &ItemFilter::default(),
                Some("t:1:x"),
                2
            )
            .await,
        Err(StoreError::Refused {
            what: codes::CURSOR_INVALID
        })
    ));
    // The other organisation sees only its own.
    let theirs_found = store
        .search_items(
            &other_scope,
            &SearchQuery::parse("quokkaquelle"),
            &ItemFilter::default(),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(found(&theirs_found), [theirs.id]);
    // Rebuilding the index changes no answer.
    assert_eq!(store.rebuild_search_index().await.unwrap(), 6);
    store.reindex_item(ids[4]).await.unwrap();
    assert_eq!(
        found(&search("quokkaquelle", ItemFilter::default()).await),
        [ids[4]]
    );
    assert_eq!(
        found(&search("\"payable dans 30 jours\"", ItemFilter::default()).await).len(),
        2
    );
});

on_both_backends!(
    mailbox_search_survives_tag_like_text,
    |store: Store| async move {
        let (org, scope, mb, mc, location) = setup(&store).await;
        let it = item(org, mb.id, location, "Markup Sender", 100);
        store
            .insert_item(&mc, &it, "received", "", at(100), &Outbox::NONE)
            .await
            .unwrap();
        // OCR of a printed web page: text that looks like markup must not hide the words after it.
        store
            .set_ocr_text(
                it.id,
                "Avant <script>alert(1)</script> wombatstein reste lisible <a href=x> après",
                1,
                at(101),
            )
            .await
            .unwrap();
        for word in ["wombatstein", "lisible", "après", "avant"] {
            let page = store
                .search_items(
                    &scope,
                    &SearchQuery::parse(word),
                    &ItemFilter::default(),
                    None,
                    10,
                )
                .await
                .unwrap();
            assert_eq!(
                page.items.iter().map(|h| h.item.id).collect::<Vec<_>>(),
                vec![it.id],
                "{word}"
            );
        }
    }
);

on_both_backends!(
    mailbox_search_ranks_and_pages_like_one_statement,
    |store: Store| async move {
        // Search runs in two steps (the page's ids by relevance, then those
        // rows with their snippets) and, on SQLite, reads only the FTS5
        // doclists between the organisation's smallest and largest rid. The
        // answer must be what one statement gave: every match, by relevance
        // then newest first, 50 a page. Texts all have 12 words, so the
        // relevance of "facture" grows with how often it occurs (bm25 and
        // ts_rank agree there) and equal counts fall back to newest first.
        let (org, scope, mb, mc, location) = setup(&store).await;
        let (other_org, other_scope) = new_org(&store, "Other").await;
        let other_mb = mailbox(other_org, None, &["Other SA", "1000 Lausanne"]);
        store
            .create_mailbox(&other_scope, &other_mb, at(1))
            .await
            .unwrap();
        let text = |count: usize, phrase: bool| {
            let mut words = vec!["facture"; count];
            words.resize(8, "lettre");
            words.extend(if phrase {
                ["payable", "dans", "30", "jours"]
            } else {
                ["jours", "30", "dans", "payable"]
            });
            words.join(" ")
        };
        // (id, occurrences of "facture", received second, has the phrase, scanned)
        let mut ours: Vec<(MailItemId, usize, i64, bool, bool)> = Vec::new();
        for n in 0..130i64 {
            // The other customer's items, with the same words, in between.
            if n % 3 == 0 {
                let theirs = item(
                    other_org,
                    other_mb.id,
                    location,
                    "Swisscom AG",
                    1000 + 2 * n,
                );
                store
                    .insert_item(&mc, &theirs, "received", "", at(10), &Outbox::NONE)
                    .await
                    .unwrap();
                store
                    .set_ocr_text(theirs.id, &text(4, true), 1, at(11))
                    .await
                    .unwrap();
            }
            let count = usize::try_from(n * 7 % 4 + 1).unwrap();
            let phrase = n % 5 != 0;
            let scanned = n % 2 == 0;
            let secs = 1001 + 2 * n;
            let mut it = item(org, mb.id, location, "Swisscom AG", secs);
            if scanned {
                it.state = ItemState::Scanned;
            }
            store
                .insert_item(&mc, &it, "received", "", at(10), &Outbox::NONE)
                .await
                .unwrap();
            store
                .set_ocr_text(it.id, &text(count, phrase), 1, at(11))
                .await
                .unwrap();
            ours.push((it.id, count, secs, phrase, scanned));
        }
        let all_pages = |q: &'static str, f: ItemFilter| {
            let store = store.clone();
            let scope = scope.clone();
            async move {
                let mut hits = Vec::new();
                let mut cursors = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let page = store
                        .search_items(&scope, &SearchQuery::parse(q), &f, cursor.as_deref(), 50)
                        .await
                        .unwrap();
                    hits.extend(page.items);
                    cursors.push(page.next_cursor.clone());
                    match page.next_cursor {
                        Some(c) => cursor = Some(c),
                        None => break,
                    }
                }
                (hits, cursors)
            }
        };
        let ids = |hits: &[courrier_store::SearchHit]| -> Vec<MailItemId> {
            hits.iter().map(|h| h.item.id).collect()
        };
        let rel = |f: ItemFilter| ItemFilter {
            order: SearchOrder::Relevance,
            ..f
        };
        // Newest first (the default): every match, newest first, 50 a page,
        // the same on both backends whatever the relevance.
        let newest: Vec<MailItemId> = ours.iter().rev().map(|w| w.0).collect();
        let (hits, cursors) = all_pages("facture", ItemFilter::default()).await;
        assert_eq!(ids(&hits), newest);
        assert_eq!(cursors.len(), 3);
        assert!(
            cursors[..2]
                .iter()
                .all(|c| c.as_deref().is_some_and(|c| c.starts_with("n:")))
        );
        assert_eq!(cursors[2], None);
        // A word: all 130, most occurrences first, then newest first.
        let mut want = ours.clone();
        want.sort_by_key(|(_, count, secs, _, _)| {
            (std::cmp::Reverse(*count), std::cmp::Reverse(*secs))
        });
        let (hits, cursors) = all_pages("Facture", rel(ItemFilter::default())).await;
        assert_eq!(ids(&hits), want.iter().map(|w| w.0).collect::<Vec<_>>());
        assert_eq!(
            cursors,
            [Some("o:50".to_string()), Some("o:100".to_string()), None]
        );
        // Each hit is the stored item, with "facture" highlighted in its snippet.
        for h in &hits {
            assert_eq!(h.item, store.item(&scope, h.item.id).await.unwrap());
            let marked: Vec<String> = h
                .snippet
                .iter()
                .filter(|s| s.highlighted)
                .map(|s| s.text.to_lowercase())
                .collect();
            assert!(
                !marked.is_empty() && marked.iter().all(|m| m == "facture"),
                "{marked:?}"
            );
        }
        // With a period: only its items, same order.
        let period = ItemFilter {
            received_from: Some(at(1041)),
            received_before: Some(at(1161)),
            ..ItemFilter::default()
        };
        let (hits, _) = all_pages("facture", rel(period.clone())).await;
        let in_period: Vec<MailItemId> = want
            .iter()
            .filter(|w| (1041..1161).contains(&w.2))
            .map(|w| w.0)
            .collect();
        assert_eq!(in_period.len(), 60);
        assert_eq!(ids(&hits), in_period);
        // A phrase with a state filter: equal relevance, so newest first.
        let scanned = ItemFilter {
            state: Some(ItemState::Scanned),
            ..ItemFilter::default()
        };
        let (hits, cursors) = all_pages("\"payable dans 30 jours\"", rel(scanned.clone())).await;
        let mut want_phrase: Vec<(MailItemId, i64)> = ours
            .iter()
            .filter(|w| w.3 && w.4)
            .map(|w| (w.0, w.2))
            .collect();
        want_phrase.sort_by_key(|w| std::cmp::Reverse(w.1));
        assert_eq!(want_phrase.len(), 52);
        assert_eq!(
            ids(&hits),
            want_phrase.iter().map(|w| w.0).collect::<Vec<_>>()
        );
        assert_eq!(cursors, [Some("o:50".to_string()), None]);
        // Newest first, with a period or a phrase and a state: the same
        // items, newest first; a page exactly full ends the paging.
        let (hits, _) = all_pages("facture", period.clone()).await;
        let mut in_period_newest: Vec<(MailItemId, i64)> = ours
            .iter()
            .filter(|w| (1041..1161).contains(&w.2))
            .map(|w| (w.0, w.2))
            .collect();
        in_period_newest.sort_by_key(|w| std::cmp::Reverse(w.1));
        assert_eq!(
            ids(&hits),
            in_period_newest.iter().map(|w| w.0).collect::<Vec<_>>()
        );
        let (hits, cursors) = all_pages("\"payable dans 30 jours\"", scanned.clone()).await;
        assert_eq!(
            ids(&hits),
            want_phrase.iter().map(|w| w.0).collect::<Vec<_>>()
        );
        assert_eq!(cursors.len(), 2);
        let first_of_period = store
            .search_items(&scope, &SearchQuery::parse("facture"), &period, None, 60)
            .await
            .unwrap();
        assert_eq!(first_of_period.items.len(), 60);
        assert_eq!(first_of_period.next_cursor, None);
        // A period holding none of ours (only the other customer's): nothing.
        let none = ItemFilter {
            received_from: Some(at(1)),
            received_before: Some(at(1001)),
            ..ItemFilter::default()
        };
        assert!(all_pages("facture", rel(none.clone())).await.0.is_empty());
        assert!(all_pages("facture", none).await.0.is_empty());
        // The other customer finds only its own 44.
        let theirs = store
            .search_items(
                &other_scope,
                &SearchQuery::parse("\"payable dans 30 jours\" facture"),
                &ItemFilter::default(),
                None,
                100,
            )
            .await
            .unwrap();
        assert_eq!(theirs.items.len(), 44);
        assert!(theirs.items.iter().all(|h| h.item.org == Some(other_org)));
        // Rebuilding the index (SQLite: every organisation-keyed entry
        // again) and reindexing one item give the same answer.
        assert_eq!(store.rebuild_search_index().await.unwrap(), 174);
        store.reindex_item(want[0].0).await.unwrap();
        let (hits, _) = all_pages("facture", rel(ItemFilter::default())).await;
        assert_eq!(ids(&hits), want.iter().map(|w| w.0).collect::<Vec<_>>());
        let (hits, _) = all_pages("facture", ItemFilter::default()).await;
        assert_eq!(ids(&hits), newest);
    }
);

on_both_backends!(
    phrase_pages_past_the_newest_items_in_order,
    |store: Store| async move {
        use courrier_domain::mailbox::Origin;
        use courrier_store::bench_load::{BenchItem, BenchTenant};
        // 2,500 items of one customer, older first, interleaved with another
        // customer's: the phrase in every 40th (sparse: a page reaches past
        // the newest 1,000 items), its words in the wrong order in every 7th,
        // and every 80th not scanned.
        let tenants: Vec<BenchTenant> = ["ours", "theirs"]
            .iter()
            .map(|name| BenchTenant {
                org: OrgId::random(),
                mailbox: MailboxId::random(),
                name: name.to_string(),
            })
            .collect();
        store
            .bench_create_tenants(OrgId::random(), &[], &tenants, at(0))
            .await
            .unwrap();
        let mut items = Vec::new();
        for n in 1..=2500_i64 {
            for t in &tenants {
                let text = if n % 40 == 0 {
                    "facture payable dans 30 jours merci"
                } else if n % 7 == 0 {
                    "jours 30 dans payable facture"
                } else {
                    "facture sans phrase"
                };
                items.push(BenchItem {
                    id: MailItemId::random(),
                    org: t.org,
                    mailbox: t.mailbox,
                    location: None,
                    origin: Origin::MailCenter,
                    recipient_name: t.name.clone(),
                    sender: "Swisscom".into(),
                    kind: ItemKind::Letter,
                    format: ItemFormat::A5,
                    state: if n % 80 == 0 {
                        ItemState::Received
                    } else {
                        ItemState::Scanned
                    },
                    received_at: at(n * 60),
                    pages: 1,
                    tags: Vec::new(),
                    text: text.into(),
                });
            }
        }
        store.bench_insert_items(&items).await.unwrap();
        store.bench_finish_load().await.unwrap();
        let ours = &tenants[0];
        let scope = OrgScope::system(ours.org, "user:anna");
        let want = |state: Option<ItemState>| -> Vec<MailItemId> {
            let mut w: Vec<&BenchItem> = items
                .iter()
                .filter(|i| i.org == ours.org && i.text.contains("payable dans"))
                .filter(|i| state.is_none_or(|s| i.state == s))
                .collect();
            w.sort_by_key(|i| std::cmp::Reverse(i.received_at.millis()));
            w.iter().map(|i| i.id).collect()
        };
        for state in [None, Some(ItemState::Scanned)] {
            let filter = ItemFilter {
                state,
                ..ItemFilter::default()
            };
            let mut got = Vec::new();
            let mut cursor = None;
            loop {
                let page = store
                    .search_items(
                        &scope,
                        &SearchQuery::parse("\"payable dans 30 jours\""),
                        &filter,
                        cursor.as_deref(),
                        50,
                    )
                    .await
                    .unwrap();
                assert!(page.items.len() <= 50);
                assert!(page.items.iter().all(|h| h.item.org == Some(ours.org)));
                got.extend(page.items.iter().map(|h| h.item.id));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            let expected = want(state);
            assert_eq!(expected.len(), if state.is_some() { 31 } else { 62 });
            assert_eq!(got, expected, "state filter {state:?}");
        }
    }
);

on_both_backends!(
    mailbox_new_item_writes_its_events_for_the_customer,
    |store: Store| async move {
        let (org, scope, mb, mc, location) = setup(&store).await;
        add_webhook(&store, &scope, &["*"]).await;
        // The mail center's own endpoint never hears of its customers' mail.
        add_webhook(&store, &mc, &["*"]).await;
        let it = item(org, mb.id, location, "Swisscom", 10);
        store
            .insert_item(
                &mc,
                &it,
                "received",
                "",
                at(10),
                &outbox_of("mail.received", 1),
            )
            .await
            .unwrap();
        let (events, jobs) = outbox_state(&store, &scope).await;
        assert_eq!(events, ["evt_1"]);
        assert_eq!(jobs.len(), 1);
        assert!(outbox_state(&store, &mc).await.0.is_empty());

        // An insertion that fails writes no event.
        assert!(
            store
                .insert_item(
                    &mc,
                    &it,
                    "received",
                    "",
                    at(11),
                    &outbox_of("mail.received", 2),
                )
                .await
                .is_err()
        );
        assert_eq!(outbox_state(&store, &scope).await, (events, jobs));
    }
);
