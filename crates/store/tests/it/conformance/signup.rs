//! Sign-ups at a location: plan prices, sign-ups and who sees them, member
//! identity documents and their tenancy, sign-up e-mails with reminders sent
//! once per round and number, and plan periods billed exactly once.

use courrier_domain::codes;

use super::*;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{CustomerReview, DocumentSide, IdentityDocumentKind, Plan};
use courrier_domain::{LocationId, Money};
use courrier_store::{
    LocationPlanRecord, LocationRecord, MailboxRecord, MemberAccess, MemberDocumentRecord,
    MemberKind, MemberRecord, SignupEmail, SignupEmailKind, SignupEmailLink, SignupRecord,
    UsageKind, UsageLineRecord,
};

struct Fixture {
    center: OrgScope,
    location: LocationId,
    customer: OrgScope,
    mailbox: MailboxRecord,
    signup: SignupRecord,
    other: OrgScope,
}

async fn fixture(store: &Store) -> Fixture {
    let mut center = org_record("centre");
    center.kind = OrgKind::MailCenter;
    store.create_org(&center, "system:test").await.unwrap();
    let center = OrgScope::system(center.id, "user:owner");
    let location = LocationRecord {
        id: LocationId::random(),
        org: center.org(),
        name: "Lausanne".into(),
        address: vec!["Rue du Port 1".into(), "1003 Lausanne".into()],
        country: Country::CH,
        time_zone: "Europe/Zurich".into(),
        created_at: at(0),
    };
    store
        .create_location(&center, &location, at(0))
        .await
        .unwrap();
    let (_, customer) = new_org(store, "kiosque").await;
    let (_, other) = new_org(store, "other").await;
    let mailbox = MailboxRecord::active(
        customer.org(),
        Some(location.id),
        vec![
            "kiosque".into(),
            "Rue du Port 1".into(),
            "1003 Lausanne".into(),
        ],
        Country::CH,
        "2023-11-14".into(),
        at(1),
    );
    store
        .create_mailbox(&customer, &mailbox, at(1))
        .await
        .unwrap();
    let signup = SignupRecord {
        mailbox: mailbox.id,
        org: customer.org(),
        location: location.id,
        plan: Plan::Monthly,
        price: Money::new(1990, Currency::CHF),
        contact_name: "Anna Muster".into(),
        contact_email: email("anna@kiosque.test"),
        locale: "fr".into(),
        terms_accepted_at: at(1),
        created_at: at(1),
        plan_started_at: None,
        plan_next_at: None,
        plan_ends_at: None,
    };
    store
        .create_signup(&customer, &signup, at(1))
        .await
        .unwrap();
    Fixture {
        center,
        location: location.id,
        customer,
        mailbox,
        signup,
        other,
    }
}

fn draft_member(f: &Fixture, name: &str) -> MemberRecord {
    MemberRecord {
        id: courrier_domain::MemberId::random(),
        mailbox: f.mailbox.id,
        org: f.customer.org(),
        location: f.location,
        name: name.into(),
        kind: MemberKind::Person,
        review: CustomerReview::Draft,
        notes: String::new(),
        pre_approved_at: None,
        created_at: at(2),
        updated_at: at(2),
    }
}

fn plan_line(f: &Fixture, secs: i64) -> UsageLineRecord {
    UsageLineRecord {
        id: uuid::Uuid::new_v4(),
        org: f.customer.org(),
        kind: UsageKind::Plan,
        item: None,
        task: None,
        pickup: None,
        amount: f.signup.price,
        vat_bp: 810,
        created_at: at(secs),
        description: "monthly plan".into(),
    }
}

on_both_backends!(signup_plans_and_visibility, |store: Store| async move {
    let f = fixture(&store).await;
    let plan = LocationPlanRecord {
        location: f.location,
        monthly: Money::new(1990, Currency::CHF),
        yearly: Money::new(19_900, Currency::CHF),
        updated_at: at(3),
    };
    // Only the mail center running the location sets its prices.
    assert_not_found(store.set_location_plan(&f.other, &plan, at(3)).await);
    assert_eq!(store.location_plan(f.location).await.unwrap(), None);
    store
        .set_location_plan(&f.center, &plan, at(3))
        .await
        .unwrap();
    let mut cheaper = plan.clone();
    cheaper.monthly = Money::new(1500, Currency::CHF);
    store
        .set_location_plan(&f.center, &cheaper, at(4))
        .await
        .unwrap();
    let stored = store.location_plan(f.location).await.unwrap().unwrap();
    assert_eq!(stored.monthly.minor(), 1500);
    assert_eq!(stored.price(Plan::Yearly).minor(), 19_900);
    assert_eq!(store.location_plans().await.unwrap().len(), 1);
    let mut mixed = plan.clone();
    mixed.yearly = Money::new(1, Currency::EUR);
    assert!(matches!(
        store.set_location_plan(&f.center, &mixed, at(5)).await,
        Err(StoreError::Refused {
            what: codes::SIGNUP_CURRENCY_MISMATCH
        })
    ));
    let actions = chain_actions(&store, f.center.org()).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.as_str() == "location.plan_set")
            .count(),
        2
    );

    // The sign-up: once per mailbox, seen by its customer, the mail center
    // of its location and the platform, by nobody else.
    assert!(matches!(
        store.create_signup(&f.customer, &f.signup, at(6)).await,
        Err(StoreError::Conflict {
            what: codes::SIGNUP_EXISTS
        })
    ));
    assert_not_found(store.create_signup(&f.other, &f.signup, at(6)).await);
    let seen = store
        .signup(&f.customer, MemberAccess::Tenant, f.mailbox.id)
        .await
        .unwrap();
    assert_eq!(seen, f.signup);
    assert_eq!(
        store
            .signup(&f.center, MemberAccess::Tenant, f.mailbox.id)
            .await
            .unwrap()
            .contact_email,
        email("anna@kiosque.test")
    );
    store
        .signup(&f.other, MemberAccess::Platform, f.mailbox.id)
        .await
        .unwrap();
    assert_not_found(
        store
            .signup(&f.other, MemberAccess::Tenant, f.mailbox.id)
            .await,
    );
    assert_eq!(store.own_signups(&f.customer).await.unwrap().len(), 1);
    assert!(store.own_signups(&f.other).await.unwrap().is_empty());
    assert!(
        chain_actions(&store, f.customer.org())
            .await
            .contains(&"signup.created".to_string())
    );
});

on_both_backends!(signup_member_documents_tenancy, |store: Store| async move {
    let f = fixture(&store).await;
    let member = draft_member(&f, "Anna Muster");
    store.add_member(&f.customer, &member, at(2)).await.unwrap();
    assert_eq!(
        store
            .member(&f.customer, MemberAccess::Tenant, member.id)
            .await
            .unwrap()
            .review,
        CustomerReview::Draft
    );
    let document = DocumentRecord {
        id: uuid::Uuid::new_v4(),
        org: f.customer.org(),
        blob_key: "k/1".into(),
        content_type: "image/jpeg".into(),
        size_bytes: 1234,
        wrapped_key: Some(vec![9; 8]),
        created_at: at(3),
        destroyed_at: None,
    };
    store
        .create_document(&f.customer, &document, at(3))
        .await
        .unwrap();
    let doc = MemberDocumentRecord {
        id: uuid::Uuid::new_v4(),
        member: member.id,
        org: f.customer.org(),
        document: document.id,
        kind: IdentityDocumentKind::IdCard,
        side: DocumentSide::Front,
        file_name: "front.jpg".into(),
        content_type: "image/jpeg".into(),
        size_bytes: 1234,
        uploaded_by: "user:anna".into(),
        created_at: at(3),
    };
    // Another organisation cannot attach a document to this member.
    assert_not_found(store.add_member_document(&f.other, &doc, at(3)).await);
    store
        .add_member_document(&f.customer, &doc, at(3))
        .await
        .unwrap();
    let mut back = doc.clone();
    back.id = uuid::Uuid::new_v4();
    back.side = DocumentSide::Back;
    back.created_at = at(4);
    store
        .add_member_document(&f.customer, &back, at(4))
        .await
        .unwrap();
    for (scope, access) in [
        (&f.customer, MemberAccess::Tenant),
        (&f.center, MemberAccess::Tenant),
        (&f.other, MemberAccess::Platform),
    ] {
        let docs = store
            .member_documents(scope, access, member.id)
            .await
            .unwrap();
        assert_eq!(docs, vec![doc.clone(), back.clone()]);
        assert_eq!(
            store.member_document(scope, access, doc.id).await.unwrap(),
            doc
        );
    }
    assert_not_found(
        store
            .member_documents(&f.other, MemberAccess::Tenant, member.id)
            .await,
    );
    assert_not_found(
        store
            .member_document(&f.other, MemberAccess::Tenant, doc.id)
            .await,
    );
    assert_eq!(
        store
            .member_document_counts(&f.customer, f.mailbox.id)
            .await
            .unwrap(),
        vec![(member.id, 2)]
    );
    assert!(
        store
            .member_document_counts(&f.other, f.mailbox.id)
            .await
            .unwrap()
            .is_empty()
    );
});

on_both_backends!(
    signup_emails_and_reminders_once,
    |store: Store| async move {
        let f = fixture(&store).await;
        let member = draft_member(&f, "Anna Muster");
        store.add_member(&f.customer, &member, at(2)).await.unwrap();
        let reminder = |no: i32| SignupEmailLink {
            mailbox: f.mailbox.id,
            kind: SignupEmailKind::Reminder,
            round_start: Some(f.signup.created_at),
            reminder_no: Some(no),
        };
        let activation = outgoing_email("anna@kiosque.test", "Activate");
        assert!(
            store
                .queue_signup_email(
                    &SignupEmailLink {
                        mailbox: f.mailbox.id,
                        kind: SignupEmailKind::Activation,
                        round_start: None,
                        reminder_no: None,
                    },
                    &activation,
                    &delivery(&activation, at(1)),
                    at(1),
                )
                .await
                .unwrap()
        );
        let first = outgoing_email("anna@kiosque.test", "Reminder 1");
        assert!(
            store
                .queue_signup_email(&reminder(1), &first, &delivery(&first, at(10)), at(10))
                .await
                .unwrap()
        );
        // The same reminder again: nothing is stored, not even the e-mail.
        let again = outgoing_email("anna@kiosque.test", "Reminder 1 again");
        assert!(
            !store
                .queue_signup_email(&reminder(1), &again, &delivery(&again, at(11)), at(11))
                .await
                .unwrap()
        );
        assert_not_found(store.email(again.id).await);
        let second = outgoing_email("anna@kiosque.test", "Reminder 2");
        assert!(
            store
                .queue_signup_email(&reminder(2), &second, &delivery(&second, at(12)), at(12))
                .await
                .unwrap()
        );
        let history = store
            .signup_emails(&f.center, MemberAccess::Tenant, f.mailbox.id)
            .await
            .unwrap();
        let subjects: Vec<&str> = history.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(subjects, ["Activate", "Reminder 1", "Reminder 2"]);
        assert_eq!(history[1].kind, SignupEmailKind::Reminder);
        assert_eq!(history[2].reminder_no, Some(2));
        assert_eq!(history[0].state, EmailState::Pending);
        assert_not_found(
            store
                .signup_emails(&f.other, MemberAccess::Tenant, f.mailbox.id)
                .await,
        );

        // Candidates: a draft only (not submitted), then a member sent back.
        let c = store.reminder_candidates(at(0), None, 100).await.unwrap();
        assert_eq!(c.len(), 1);
        assert!(!c[0].submitted);
        assert_eq!(c[0].sent_back_at, None);
        assert!(
            store
                .reminder_candidates(at(0), Some(&c[0].signup), 100)
                .await
                .unwrap()
                .is_empty(),
            "nothing after the last one"
        );
        assert!(
            store
                .reminder_candidates(at(2), None, 100)
                .await
                .unwrap()
                .is_empty(),
            "signed up before `since` and nothing sent back"
        );
        let customer = &f.customer;
        let review =
            |from, to, event: &'static str, party: &'static str, scope: &OrgScope, secs| {
                let store = store.clone();
                let scope = scope.clone();
                let id = member.id;
                async move {
                    store
                        .review_member(
                            &scope,
                            MemberAccess::Tenant,
                            id,
                            from,
                            to,
                            event,
                            party,
                            "n",
                            None,
                            at(secs),
                        )
                        .await
                        .unwrap()
                }
            };
        use CustomerReview as R;
        review(R::Draft, R::Submitted, "submit", "customer", customer, 20).await;
        review(
            R::Submitted,
            R::PreApproved,
            "pre_approve",
            "platform",
            &f.center,
            30,
        )
        .await;
        review(
            R::PreApproved,
            R::SentBack,
            "send_back",
            "mail_center",
            &f.center,
            40,
        )
        .await;
        let c = store
            .reminder_candidates(at(1000), None, 100)
            .await
            .unwrap();
        assert_eq!(c.len(), 1);
        assert!(c[0].submitted);
        assert_eq!(c[0].sent_back_at, Some(at(40)));
    }
);

on_both_backends!(
    decision_email_commits_with_the_review,
    |store: Store| async move {
        let f = fixture(&store).await;
        let member = draft_member(&f, "Anna Muster");
        store.add_member(&f.customer, &member, at(2)).await.unwrap();
        let decision = |subject: &str, secs: i64| {
            let email = outgoing_email("anna@kiosque.test", subject);
            SignupEmail {
                link: SignupEmailLink {
                    mailbox: f.mailbox.id,
                    kind: SignupEmailKind::Decision,
                    round_start: None,
                    reminder_no: None,
                },
                delivery: delivery(&email, at(secs)),
                email,
            }
        };
        // A review that moved meanwhile stores no e-mail either.
        let stale = decision("Stale", 10);
        assert!(matches!(
            store
                .review_member(
                    &f.center,
                    MemberAccess::Tenant,
                    member.id,
                    CustomerReview::Submitted,
                    CustomerReview::PreApproved,
                    "pre_approve",
                    "platform",
                    "ok",
                    Some(&stale),
                    at(10),
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::MEMBER_REVIEW_CHANGED
            })
        ));
        assert_not_found(store.email(stale.email.id).await);
        let submitted = decision("Submitted", 11);
        store
            .review_member(
                &f.center,
                MemberAccess::Tenant,
                member.id,
                CustomerReview::Draft,
                CustomerReview::Submitted,
                "submit",
                "customer",
                "",
                Some(&submitted),
                at(11),
            )
            .await
            .unwrap();
        let stored = store.email(submitted.email.id).await.unwrap();
        assert_eq!(stored.state, EmailState::Pending);
        let history = store
            .signup_emails(&f.center, MemberAccess::Tenant, f.mailbox.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].subject.as_str(), history[0].kind),
            ("Submitted", SignupEmailKind::Decision)
        );
    }
);

/// The upkeep's scope for plan billing, and a 30-day period in seconds.
fn plan_scope(f: &Fixture) -> OrgScope {
    OrgScope::system(f.customer.org(), "system:plan")
}
const MONTH: i64 = 30 * 86_400;

/// Bills period 0 of the fixture's plan: from 30 s, one month, at 31 s.
async fn bill_first_month(store: &Store, f: &Fixture) {
    store
        .bill_plan_period(
            &plan_scope(f),
            f.mailbox.id,
            0,
            at(30),
            at(30 + MONTH),
            &plan_line(f, 31),
            at(31),
        )
        .await
        .unwrap();
}

/// Submits, pre-approves and approves a member (at 10, 20 and 30 s).
async fn approve(store: &Store, f: &Fixture, member: courrier_domain::MemberId) {
    use CustomerReview as R;
    for (from, to, event, secs) in [
        (R::Draft, R::Submitted, "submit", 10),
        (R::Submitted, R::PreApproved, "pre_approve", 20),
        (R::PreApproved, R::Approved, "approve", 30),
    ] {
        store
            .review_member(
                &f.center,
                MemberAccess::Tenant,
                member,
                from,
                to,
                event,
                "x",
                "ok",
                None,
                at(secs),
            )
            .await
            .unwrap();
    }
}

on_both_backends!(
    cancelled_plan_bills_nothing_after_its_end,
    |store: Store| async move {
        let f = fixture(&store).await;
        let member = draft_member(&f, "Anna Muster");
        store.add_member(&f.customer, &member, at(2)).await.unwrap();
        approve(&store, &f, member.id).await;
        let (system, month) = (plan_scope(&f), MONTH);
        bill_first_month(&store, &f).await;
        // Only the customer sets the end, and only from what it read.
        assert_not_found(
            store
                .set_plan_end(
                    &f.other,
                    f.mailbox.id,
                    None,
                    Some(at(30 + month)),
                    None,
                    at(40),
                )
                .await,
        );
        assert_not_found(
            store
                .set_plan_end(
                    &f.center,
                    f.mailbox.id,
                    None,
                    Some(at(30 + month)),
                    None,
                    at(40),
                )
                .await,
        );
        store
            .set_plan_end(
                &f.customer,
                f.mailbox.id,
                None,
                Some(at(30 + month)),
                None,
                at(40),
            )
            .await
            .unwrap();
        assert!(matches!(
            store
                .set_plan_end(&f.customer, f.mailbox.id, None, Some(at(50)), None, at(41))
                .await,
            Err(StoreError::Conflict {
                what: codes::PLAN_CHANGED
            })
        ));
        // Past the end: not due, and a period from the end on is refused.
        assert!(
            store
                .plans_due(at(31 + month), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            store
                .bill_plan_period(
                    &system,
                    f.mailbox.id,
                    1,
                    at(30 + month),
                    at(30 + 2 * month),
                    &plan_line(&f, 31 + month),
                    at(31 + month),
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::PLAN_ENDED
            })
        ));
        assert_eq!(store.last_plan_period(f.mailbox.id).await.unwrap(), Some(0));
        // Ended: listed once for closing, until the mailbox is closed.
        assert!(
            store
                .plans_ended(at(29 + month), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let ended = store.plans_ended(at(30 + month), 10).await.unwrap();
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].plan_ends_at, Some(at(30 + month)));
        let mut closed = f.mailbox.clone();
        closed.state = courrier_domain::mailbox::MailboxState::Closed;
        store
            .update_mailbox(
                &f.customer,
                &f.mailbox,
                &closed,
                &courrier_domain::audit::AuditEvent::new("mailbox.closed", "m", ""),
                at(31 + month),
            )
            .await
            .unwrap();
        assert!(
            store
                .plans_ended(at(31 + month), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // Kept before its end, the plan is billed again.
        store
            .set_plan_end(
                &f.customer,
                f.mailbox.id,
                Some(at(30 + month)),
                None,
                None,
                at(42),
            )
            .await
            .unwrap();
        assert_eq!(store.plans_due(at(31 + month), 10).await.unwrap().len(), 1);
    }
);

on_both_backends!(
    signup_plan_billed_once_per_period,
    |store: Store| async move {
        let f = fixture(&store).await;
        let member = draft_member(&f, "Anna Muster");
        store.add_member(&f.customer, &member, at(2)).await.unwrap();
        assert!(store.plans_due(at(100), 10).await.unwrap().is_empty());
        assert_eq!(store.first_approval_at(f.mailbox.id).await.unwrap(), None);
        approve(&store, &f, member.id).await;
        assert_eq!(
            store.first_approval_at(f.mailbox.id).await.unwrap(),
            Some(at(30))
        );
        let due = store.plans_due(at(31), 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].mailbox, f.mailbox.id);
        let (system, month) = (plan_scope(&f), MONTH);
        bill_first_month(&store, &f).await;
        // The same period again, as a second upkeep run would: refused, nothing added.
        assert!(matches!(
            store
                .bill_plan_period(
                    &system,
                    f.mailbox.id,
                    0,
                    at(30),
                    at(30 + month),
                    &plan_line(&f, 32),
                    at(32),
                )
                .await,
            Err(StoreError::Conflict {
                what: codes::PLAN_ALREADY_BILLED
            })
        ));
        let lines = store
            .usage_lines(&f.customer, at(0), at(10 * month))
            .await
            .unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].kind, UsageKind::Plan);
        assert_eq!(lines[0].amount, Money::new(1990, Currency::CHF));
        let signup = store.signup_for_job(f.mailbox.id).await.unwrap();
        assert_eq!(signup.plan_started_at, Some(at(30)));
        assert_eq!(signup.plan_next_at, Some(at(30 + month)));
        assert!(store.plans_due(at(31), 10).await.unwrap().is_empty());
        assert_eq!(store.plans_due(at(30 + month), 10).await.unwrap().len(), 1);
        store
            .bill_plan_period(
                &system,
                f.mailbox.id,
                1,
                at(30 + month),
                at(30 + 2 * month),
                &plan_line(&f, 30 + month),
                at(30 + month),
            )
            .await
            .unwrap();
        assert_eq!(store.last_plan_period(f.mailbox.id).await.unwrap(), Some(1));
        assert_eq!(
            store
                .usage_lines(&f.customer, at(0), at(10 * month))
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            store
                .signup_for_job(f.mailbox.id)
                .await
                .unwrap()
                .plan_started_at,
            Some(at(30)),
            "the start stays the first approval"
        );
        let actions = chain_actions(&store, f.customer.org()).await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| a.as_str() == "usage.plan")
                .count(),
            2
        );
    }
);
