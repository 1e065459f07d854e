//! Report schedules, reports and the letters of a period, on both backends.

use courrier_domain::codes;

use super::*;
use courrier_domain::LetterId;
use courrier_domain::letters::{
    Colour, Country, Envelope, LetterStatus, Paper, Product, Registered, Sides,
};
use courrier_store::{
    LetterRecord, PERIOD_CHUNK, RecipientRecord, ReportDelivery, ReportFrequency, ReportRecord,
    ReportScheduleRecord,
};

fn schedule(frequency: ReportFrequency, to: &str, next_run_at: Timestamp) -> ReportScheduleRecord {
    ReportScheduleRecord {
        id: courrier_domain::ReportScheduleId::random(),
        // Ignored by the store: the scope decides the organisation and author.
        org: OrgId::random(),
        frequency,
        recipient: email(to),
        next_run_at,
        created_by: "ignored".into(),
        created_at: at(1),
        disabled_at: None,
    }
}

async fn document(store: &Store, scope: &OrgScope) -> uuid::Uuid {
    let doc = DocumentRecord {
        id: uuid::Uuid::new_v4(),
        org: OrgId::random(),
        blob_key: format!("{}/report", scope.org()),
        content_type: "text/csv".to_string(),
        size_bytes: 10,
        wrapped_key: Some(vec![7; 32]),
        created_at: at(1),
        destroyed_at: None,
    };
    store.create_document(scope, &doc, at(1)).await.unwrap();
    doc.id
}

fn report(
    schedule: Option<courrier_domain::ReportScheduleId>,
    document: uuid::Uuid,
    from: i64,
    to: i64,
    created: i64,
) -> ReportRecord {
    ReportRecord {
        id: courrier_domain::ReportId::random(),
        org: OrgId::random(),
        schedule,
        period_from: at(from),
        period_to: at(to),
        document,
        rows: 3,
        created_at: at(created),
    }
}

/// A letter in `status`, submitted at `submitted` seconds (if at all).
fn letter(name: &str, status: LetterStatus, submitted: Option<i64>) -> LetterRecord {
    LetterRecord {
        id: LetterId::random(),
        org: OrgId::random(),
        created_by: "user:test".into(),
        reference: format!("REF-{name}"),
        run: None,
        status,
        document: None,
        pages: 1,
        sheets: 1,
        background: None,
        attachments: Vec::new(),
        envelope: Envelope::C5,
        colour: Colour::BlackWhite,
        sides: Sides::Simplex,
        paper: Paper::G80,
        product: Product::Priority,
        registered: Registered::None,
        recipient: RecipientRecord {
            lines: vec![name.into(), "1003 Lausanne".into()],
            name: name.into(),
            postcode: "1003".into(),
            locality: "Lausanne".into(),
            country: Country::parse("CH").unwrap(),
        },
        return_address: String::new(),
        weight_grams: 20,
        currency: Currency::CHF,
        price_net: 100,
        price_vat: 8,
        price_total: 108,
        posting_date: None,
        expected_delivery: None,
        note: String::new(),
        created_at: at(0),
        updated_at: at(0),
        submitted_at: submitted.map(at),
        printed_at: None,
    }
}

on_both_backends!(
    report_schedules_lifecycle_and_tenancy,
    |store: Store| async move {
        let (a_org, a) = new_org(&store, "Sender A").await;
        let (b_org, b) = new_org(&store, "Sender B").await;
        let weekly = schedule(ReportFrequency::Weekly, "books@a.test", at(100));
        store
            .create_report_schedule(&a, &weekly, 2, at(1))
            .await
            .unwrap();
        let mut daily = schedule(ReportFrequency::Daily, "ops@a.test", at(50));
        daily.created_at = at(2);
        store
            .create_report_schedule(&a, &daily, 2, at(2))
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_report_schedule(
                    &a,
                    &schedule(ReportFrequency::Monthly, "x@a.test", at(9)),
                    2,
                    at(3)
                )
                .await,
            Err(StoreError::Refused {
                what: codes::REPORT_SCHEDULE_LIMIT
            })
        ));
        let b_monthly = schedule(ReportFrequency::Monthly, "books@b.test", at(70));
        store
            .create_report_schedule(&b, &b_monthly, 2, at(3))
            .await
            .unwrap();

        let back = store.report_schedule(&a, weekly.id).await.unwrap();
        assert_eq!(back.org, a_org);
        assert_eq!(back.frequency, ReportFrequency::Weekly);
        assert_eq!(back.recipient.as_str(), "books@a.test");
        assert_eq!(back.next_run_at, at(100));
        assert_eq!(back.created_by, "test");
        assert_eq!(back.disabled_at, None);
        let listed: Vec<courrier_domain::ReportScheduleId> = store
            .list_report_schedules(&a)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(listed, [weekly.id, daily.id]);

        // Another organisation's schedule does not exist for B.
        assert_not_found(store.report_schedule(&b, weekly.id).await);
        assert_not_found(store.disable_report_schedule(&b, weekly.id, at(4)).await);
        assert_not_found(store.advance_report_schedule(&b, weekly.id, at(999)).await);
        assert_eq!(
            store
                .report_schedule(&a, weekly.id)
                .await
                .unwrap()
                .next_run_at,
            at(100),
            "untouched"
        );

        // Due schedules across organisations, most overdue first.
        let due: Vec<courrier_domain::ReportScheduleId> = store
            .due_report_schedules(at(80), 10)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(due, [daily.id, b_monthly.id]);
        assert_eq!(
            store.due_report_schedules(at(80), 1).await.unwrap().len(),
            1
        );
        store
            .advance_report_schedule(&a, daily.id, at(150))
            .await
            .unwrap();
        let due: Vec<courrier_domain::ReportScheduleId> = store
            .due_report_schedules(at(100), 10)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(due, [b_monthly.id, weekly.id]);

        // Disabled schedules are never due, and count no more.
        store
            .disable_report_schedule(&a, weekly.id, at(5))
            .await
            .unwrap();
        assert_not_found(store.disable_report_schedule(&a, weekly.id, at(6)).await);
        assert_eq!(
            store
                .report_schedule(&a, weekly.id)
                .await
                .unwrap()
                .disabled_at,
            Some(at(5))
        );
        let due: Vec<courrier_domain::ReportScheduleId> = store
            .due_report_schedules(at(1000), 10)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(due, [b_monthly.id, daily.id]);
        store
            .create_report_schedule(
                &a,
                &schedule(ReportFrequency::Monthly, "x@a.test", at(9)),
                2,
                at(7),
            )
            .await
            .unwrap();

        assert_eq!(
            chain_actions(&store, a_org).await,
            [
                "org.created",
                "report_schedule.created",
                "report_schedule.created",
                "report_schedule.disabled",
                "report_schedule.created"
            ]
        );
        assert_eq!(
            chain_actions(&store, b_org).await,
            ["org.created", "report_schedule.created"]
        );
    }
);

on_both_backends!(
    scheduled_reports_once_per_period_with_their_email,
    |store: Store| async move {
        let (a_org, a) = new_org(&store, "Sender A").await;
        let (_, b) = new_org(&store, "Sender B").await;
        let weekly = schedule(ReportFrequency::Weekly, "books@a.test", at(100));
        store
            .create_report_schedule(&a, &weekly, 5, at(1))
            .await
            .unwrap();
        let doc = document(&store, &a).await;
        let first = report(Some(weekly.id), doc, 0, 100, 110);
        let mail = outgoing_email("books@a.test", "Your weekly report");
        let job = delivery(&mail, at(110));
        store
            .create_scheduled_report(
                &a,
                &first,
                &ReportDelivery {
                    email: &mail,
                    job: &job,
                    next_run_at: at(200),
                },
                at(110),
            )
            .await
            .unwrap();
        let stored = store.email(mail.id).await.unwrap();
        assert_eq!(stored.state, EmailState::Pending);
        assert_eq!(stored.to.as_str(), "books@a.test");
        assert_eq!(
            store
                .report_schedule(&a, weekly.id)
                .await
                .unwrap()
                .next_run_at,
            at(200)
        );
        assert_eq!(
            store
                .scheduled_report_for(&a, weekly.id, at(0))
                .await
                .unwrap(),
            Some(ReportRecord {
                org: a_org,
                ..first.clone()
            })
        );
        assert_eq!(
            store
                .scheduled_report_for(&a, weekly.id, at(100))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .scheduled_report_for(&b, weekly.id, at(0))
                .await
                .unwrap(),
            None
        );

        // A retry of the same period writes nothing: no report, no e-mail, no job.
        store
            .advance_report_schedule(&a, weekly.id, at(100))
            .await
            .unwrap();
        let doc2 = document(&store, &a).await;
        let again = report(Some(weekly.id), doc2, 0, 100, 120);
        let mail2 = outgoing_email("books@a.test", "Your weekly report again");
        let job2 = delivery(&mail2, at(120));
        assert!(matches!(
            store
                .create_scheduled_report(
                    &a,
                    &again,
                    &ReportDelivery {
                        email: &mail2,
                        job: &job2,
                        next_run_at: at(200),
                    },
                    at(120),
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::REPORT_EXISTS
            })
        ));
        assert_not_found(store.email(mail2.id).await);
        assert_not_found(store.report(&a, again.id).await);
        assert_eq!(
            store
                .report_schedule(&a, weekly.id)
                .await
                .unwrap()
                .next_run_at,
            at(100),
            "rolled back with the report"
        );
        assert_eq!(
            store
                .list_jobs(JobState::Queued, 100)
                .await
                .unwrap()
                .iter()
                .filter(|j| j.kind == "email.send")
                .count(),
            1
        );
        // The plain insert keeps the same rule; reports on demand never collide.
        assert!(matches!(
            store.create_report(&a, &again, at(120)).await,
            Err(StoreError::Conflict {
                what: codes::REPORT_EXISTS
            })
        ));
        let adhoc1 = report(None, doc2, 0, 100, 130);
        let adhoc2 = report(None, doc2, 0, 100, 140);
        store.create_report(&a, &adhoc1, at(130)).await.unwrap();
        store.create_report(&a, &adhoc2, at(140)).await.unwrap();

        // Another organisation cannot use A's schedule.
        let b_doc = document(&store, &b).await;
        let mail3 = outgoing_email("x@b.test", "stolen");
        let job3 = delivery(&mail3, at(150));
        assert_not_found(
            store
                .create_scheduled_report(
                    &b,
                    &report(Some(weekly.id), b_doc, 100, 200, 150),
                    &ReportDelivery {
                        email: &mail3,
                        job: &job3,
                        next_run_at: at(300),
                    },
                    at(150),
                )
                .await,
        );
        assert_not_found(store.email(mail3.id).await);

        // Listing pages newest first; B sees none of A's reports.
        let page = store.list_reports(&a, None, 2).await.unwrap();
        assert_eq!(
            page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            [adhoc2.id, adhoc1.id]
        );
        let rest = store
            .list_reports(&a, page.next_cursor.as_deref(), 2)
            .await
            .unwrap();
        assert_eq!(
            rest.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            [first.id]
        );
        assert!(rest.next_cursor.is_none());
        assert!(matches!(
            store.list_reports(&a, Some("nonsense"), 2).await,
            Err(StoreError::Refused {
                what: codes::CURSOR_INVALID
            })
        ));
        assert!(
            store
                .list_reports(&b, None, 50)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let got = store.report(&a, adhoc1.id).await.unwrap();
        assert_eq!((got.org, got.schedule, got.rows), (a_org, None, 3));
        assert_eq!((got.period_from, got.period_to), (at(0), at(100)));
        assert_not_found(store.report(&b, adhoc1.id).await);

        let actions = chain_actions(&store, a_org).await;
        assert_eq!(actions.iter().filter(|a| *a == "report.created").count(), 3);
    }
);

on_both_backends!(letters_of_a_period, |store: Store| async move {
    let (_, a) = new_org(&store, "Sender A").await;
    let (_, b) = new_org(&store, "Sender B").await;
    let before = letter("before", LetterStatus::Accepted, Some(99));
    let first = letter("first", LetterStatus::Accepted, Some(100));
    let printed = letter("printed", LetterStatus::Printed, Some(150));
    let cancelled = letter("cancelled", LetterStatus::Cancelled, Some(150));
    let sent_back = letter("sent back", LetterStatus::Draft, Some(160));
    let draft = letter("draft", LetterStatus::Draft, None);
    let at_end = letter("at end", LetterStatus::Accepted, Some(200));
    for l in [
        &before, &first, &printed, &cancelled, &sent_back, &draft, &at_end,
    ] {
        store.create_letter(&a, l, at(0)).await.unwrap();
    }
    store
        .create_letter(
            &b,
            &letter("other org", LetterStatus::Accepted, Some(150)),
            at(0),
        )
        .await
        .unwrap();

    let all = store
        .letters_in_period(&a, at(100), at(200), None, PERIOD_CHUNK)
        .await
        .unwrap();
    let names: Vec<&str> = all.iter().map(|l| l.recipient.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names.first(), Some(&"first"));
    let mut same_time: Vec<LetterId> = vec![printed.id, cancelled.id];
    same_time.sort_by_key(|id| id.to_string());
    assert_eq!(
        all.iter().skip(1).map(|l| l.id).collect::<Vec<_>>(),
        same_time,
        "ties in submission time by id"
    );
    assert_eq!(all[0].price_total, 108);

    // In chunks: the same letters, in the same order.
    let mut chunked = Vec::new();
    let mut after = None;
    loop {
        let chunk = store
            .letters_in_period(&a, at(100), at(200), after, 1)
            .await
            .unwrap();
        let Some(last) = chunk.last() else { break };
        after = Some((last.submitted_at.unwrap(), last.id));
        chunked.extend(chunk.into_iter().map(|l| l.id));
    }
    assert_eq!(chunked, all.iter().map(|l| l.id).collect::<Vec<_>>());

    assert!(
        store
            .letters_in_period(&b, at(100), at(200), None, PERIOD_CHUNK)
            .await
            .unwrap()
            .iter()
            .all(|l| l.recipient.name == "other org")
    );
    assert!(
        store
            .letters_in_period(&a, at(201), at(300), None, PERIOD_CHUNK)
            .await
            .unwrap()
            .is_empty()
    );
});
