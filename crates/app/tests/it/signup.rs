//! Signing up at a mail-center location, on both backends: plan prices set
//! by the owner only, the public sign-up with its activation link, identity
//! documents per member (checked, encrypted, readable by the reviewers and
//! nobody else), submission only with a document, the review to the first
//! plan usage line (billed once, renewed once per period by the upkeep), one
//! history per customer, and reminders on days 7, 14, 21 and 28. Two
//! sign-ups with one address at the same time make one customer: the other
//! hears the address is in use, and nothing of it is left behind. A
//! cancelled plan runs to the end of the period paid, then its mailbox
//! closes and mail for it is refused.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::mailbox::MailboxUpkeep;
use courrier_app::mailbox::{HistoryEntry, NewLocation, NewSignup, SignupOutcome};
use courrier_domain::mailbox::{
    CustomerReview, DocumentSide, IdentityDocumentKind, Plan, ReviewEvent,
};
use courrier_domain::{Actor, Locale, LocationId, MailboxId, OrgKind, Role, UserId};
use courrier_store::{LocationRecord, MemberKind, SignupEmailKind, UsageKind};

on_both_backends!(
    sign_up_review_and_first_plan_line,
    reminders_on_days_7_14_21_28_only,
    submitting_needs_a_document,
    documents_stay_with_their_tenant,
    plan_prices_are_the_owners,
    concurrent_sign_ups_with_one_address_make_one_customer,
    a_sign_up_failing_half_way_leaves_nothing,
    a_cancelled_plan_runs_to_its_end_then_the_mailbox_closes,
);

const DAY: i64 = 86_400;

fn code_of<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Invalid(i)) => i.code.to_string(),
        Err(AppError::Refused(c)) | Err(AppError::Conflict(c)) => c.to_string(),
        Err(AppError::NotFound) => "not_found".into(),
        Err(AppError::Forbidden(p)) => format!("forbidden:{}", p.as_str()),
        Err(AppError::Throttled { .. }) => "throttled".into(),
        other => format!("unexpected: {other:?}"),
    }
}

/// The headers of a 1×1 JPEG: what the upload reads of a photo.
fn jpeg() -> Vec<u8> {
    b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xC0\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00\xFF\xD9".to_vec()
}

/// A one-page PDF standing for an identity document (identity documents are
/// read at upload: a PDF must be a real one).
fn identity_pdf() -> Vec<u8> {
    courrier_documents::sample::letters_pdf(
        &[courrier_documents::sample::SampleLetter {
            address: vec!["Register extract".into()],
            pages: 1,
            reference: "ID".into(),
        }],
        &["Test"],
    )
}

/// A platform, a mail center with a priced location and a clerk.
struct World {
    env: Env,
    platform: Org,
    owner: Org,
    clerk: Actor,
    location: LocationRecord,
}

async fn world(backend: Backend) -> World {
    let env = Env::new(backend).await;
    let MailCenter {
        platform,
        owner,
        clerk,
        location,
    } = env.lausanne_mail_center().await;
    env.app
        .set_location_plan(&owner.actor, location.id, 1990, 19_900)
        .await
        .unwrap();
    World {
        env,
        platform,
        owner,
        clerk,
        location,
    }
}

fn signup_form(location: LocationId, email: &str, plan: Plan) -> NewSignup {
    NewSignup {
        location,
        company: "Kiosque du Port SA".into(),
        contact_name: "Anna Muster".into(),
        email: email.into(),
        locale: Locale::Fr,
        plan,
        accept_terms: true,
    }
}

/// Signs up, activates with the e-mailed link and signs in.
async fn signed_up(w: &World, email: &str, plan: Plan) -> (Actor, MailboxId, UserId) {
    let outcome = w
        .env
        .app
        .sign_up(signup_form(w.location.id, email, plan), Some(IP))
        .await
        .unwrap();
    let SignupOutcome::Created {
        user,
        mailbox,
        activation_link,
    } = outcome
    else {
        panic!("created: {outcome:?}");
    };
    assert!(activation_link.starts_with(&format!("{PUBLIC_URL}/signup/activate/")));
    // No password works before activation.
    assert_eq!(
        code_of(w.env.app.login(email, PASSWORD, Some(IP)).await),
        "auth.bad_credentials"
    );
    let token = token_of(&activation_link);
    assert_eq!(
        w.env.app.activate_signup(&token, PASSWORD).await.unwrap(),
        user
    );
    assert_eq!(
        code_of(w.env.app.activate_signup(&token, PASSWORD).await),
        "auth.reset_link_invalid"
    );
    let (_, ctx) = w.env.sign_in(email, PASSWORD).await;
    assert_eq!(ctx.user.role, Role::Admin);
    assert_eq!(ctx.org.kind, OrgKind::Customer);
    (ctx.actor(Some(IP.into())), mailbox.id, user)
}

async fn sign_up_review_and_first_plan_line(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let offers = app.signup_offers().await.unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].plan.yearly.minor(), 19_900);
    let (customer, mailbox, _) = signed_up(&w, "anna@kiosque.test", Plan::Yearly).await;
    w.env.advance(60);
    let member = app
        .add_mailbox_member(
            &customer,
            mailbox,
            w.location.id,
            "Anna Muster",
            MemberKind::Person,
        )
        .await
        .unwrap();
    assert_eq!(member.review, CustomerReview::Draft);
    w.env.advance(60);
    // A draft waits for the customer: not in the platform's queue.
    assert!(
        app.members_to_review(&w.platform.actor, None)
            .await
            .unwrap()
            .iter()
            .all(|m| m.id != member.id)
    );
    let doc = app
        .upload_member_document(
            &customer,
            member.id,
            IdentityDocumentKind::IdCard,
            DocumentSide::Front,
            "C:\\scans\\front.jpg",
            &jpeg(),
        )
        .await
        .unwrap();
    assert_eq!(doc.file_name, "front.jpg");
    assert_eq!(doc.content_type, "image/jpeg");
    w.env.advance(60);
    let submitted = app
        .submit_mailbox_member(&customer, member.id)
        .await
        .unwrap();
    assert_eq!(submitted.review, CustomerReview::Submitted);
    w.env.advance(3600);
    app.review_mailbox_member(
        &w.platform.actor,
        member.id,
        ReviewEvent::PreApprove,
        "ID card checked",
    )
    .await
    .unwrap();
    // Nothing billed before the mail center approves.
    let usage = |app: std::sync::Arc<courrier_app::App>, actor: Actor| async move {
        app.mailbox_usage(
            &actor,
            courrier_domain::Timestamp::from_millis(0),
            courrier_domain::Timestamp::from_millis(i64::MAX / 2),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == UsageKind::Plan)
        .collect::<Vec<_>>()
    };
    assert!(usage(app.clone(), customer.clone()).await.is_empty());
    w.env.advance(3600);
    let approved = app
        .review_mailbox_member(
            &w.clerk,
            member.id,
            ReviewEvent::Approve,
            "seen at the counter",
        )
        .await
        .unwrap();
    assert_eq!(approved.review, CustomerReview::Approved);
    let lines = usage(app.clone(), customer.clone()).await;
    assert_eq!(lines.len(), 1, "the first period is billed at approval");
    assert_eq!(lines[0].amount.minor(), 19_900);
    assert_eq!(lines[0].vat_bp, 810);
    // The upkeep, run twice, bills nothing more within the first year.
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().billed, 0);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().billed, 0);
    assert_eq!(usage(app.clone(), customer.clone()).await.len(), 1);
    // A year later: the renewal, exactly once, even with two runs.
    w.env.advance(366 * DAY);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().billed, 1);
    assert_eq!(
        app.mailbox_upkeep(w.env.now()).await.unwrap(),
        MailboxUpkeep::default()
    );
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().billed, 0);
    assert_eq!(usage(app.clone(), customer.clone()).await.len(), 2);

    // One history, in time order: the review with its notes, the document
    // and the e-mails (activation, the approval).
    let views = app.my_signups(&customer).await.unwrap();
    assert_eq!(views.len(), 1);
    let view = &views[0];
    assert_eq!(view.signup.plan, Plan::Yearly);
    assert_eq!(view.members.len(), 1);
    assert_eq!(view.members[0].documents.len(), 1);
    let times: Vec<i64> = view.history.iter().map(|h| h.at().millis()).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted);
    let steps: Vec<String> = view
        .history
        .iter()
        .map(|h| match h {
            HistoryEntry::Review { record, .. } => format!("review:{}", record.event),
            HistoryEntry::Document { document, .. } => format!("document:{}", document.kind),
            HistoryEntry::Email(e) => format!("email:{}", e.kind.as_str()),
        })
        .collect();
    assert_eq!(
        steps,
        [
            "email:activation",
            "review:add",
            "document:id_card",
            "review:submit",
            "review:pre_approve",
            "review:approve",
            "email:decision",
        ]
    );
    let notes: Vec<&str> = view
        .history
        .iter()
        .filter_map(|h| match h {
            HistoryEntry::Review { record, .. } => Some(record.note.as_str()),
            _ => None,
        })
        .filter(|n| !n.is_empty())
        .collect();
    assert_eq!(notes, ["ID card checked", "seen at the counter"]);
    // The reviewers see the same history; another customer does not.
    let seen = app.signup_history(&w.clerk, mailbox).await.unwrap();
    assert_eq!(seen.history.len(), view.history.len());
    app.signup_history(&w.platform.actor, mailbox)
        .await
        .unwrap();
    let other = w.env.org("other").await;
    assert_eq!(
        code_of(app.signup_history(&other.actor, mailbox).await),
        "not_found"
    );

    // Signing up again with the same address creates nothing and tells the
    // address's owner by e-mail.
    let again = app
        .sign_up(
            signup_form(w.location.id, "anna@kiosque.test", Plan::Monthly),
            Some(IP),
        )
        .await
        .unwrap();
    assert!(matches!(again, SignupOutcome::AddressInUse));
    assert_eq!(app.my_signups(&customer).await.unwrap().len(), 1);
    let outbox = app.store.recent_emails(20).await.unwrap();
    assert!(
        outbox.iter().any(|e| e.to.as_str() == "anna@kiosque.test"
            && e.subject.contains("Tentative d'inscription"))
    );
    w.env.close().await;
}

async fn reminders_on_days_7_14_21_28_only(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let start = w.env.now();
    let (customer, mailbox, _) = signed_up(&w, "anna@kiosque.test", Plan::Monthly).await;
    let reminders = || async {
        app.my_signups(&customer).await.unwrap()[0]
            .history
            .iter()
            .filter_map(|h| match h {
                HistoryEntry::Email(e) if e.kind == SignupEmailKind::Reminder => {
                    Some((e.reminder_no.unwrap(), e.subject.clone()))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let at_day = |d: i64| w.env.clock.set(start.plus_seconds(d * DAY));
    at_day(6);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 0);
    for (day, no) in [(7, 1), (14, 2), (21, 3), (28, 4)] {
        at_day(day);
        assert_eq!(
            app.signup_upkeep(w.env.now()).await.unwrap().reminded,
            1,
            "day {day}"
        );
        // A second run the same day sends nothing.
        assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 0);
        at_day(day + 3);
        assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 0);
        assert_eq!(reminders().await.len(), no);
    }
    for day in [35, 42, 60] {
        at_day(day);
        assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 0);
    }
    let sent = reminders().await;
    assert_eq!(
        sent.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(
        sent[3].1.contains("Rappel 4 sur 4"),
        "in French: {}",
        sent[3].1
    );

    // Submitted: finished, no reminders. Sent back: a new round counted
    // from the send-back, which stops when the customer resubmits.
    let member = app
        .add_mailbox_member(
            &customer,
            mailbox,
            w.location.id,
            "Anna Muster",
            MemberKind::Person,
        )
        .await
        .unwrap();
    app.upload_member_document(
        &customer,
        member.id,
        IdentityDocumentKind::Passport,
        DocumentSide::Single,
        "passport.jpg",
        &jpeg(),
    )
    .await
    .unwrap();
    app.submit_mailbox_member(&customer, member.id)
        .await
        .unwrap();
    app.review_mailbox_member(&w.platform.actor, member.id, ReviewEvent::PreApprove, "ok")
        .await
        .unwrap();
    at_day(70);
    app.review_mailbox_member(
        &w.owner.actor,
        member.id,
        ReviewEvent::SendBack,
        "photo blurred",
    )
    .await
    .unwrap();
    at_day(76);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 0);
    at_day(77);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 1);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 0);
    let sent = reminders().await;
    assert_eq!(sent.len(), 5);
    assert!(sent[4].1.contains("Rappel 1 sur 4"));
    app.submit_mailbox_member(&customer, member.id)
        .await
        .unwrap();
    at_day(84);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().reminded, 0);
    assert_eq!(reminders().await.len(), 5);
    w.env.close().await;
}

async fn submitting_needs_a_document(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let (customer, mailbox, _) = signed_up(&w, "anna@kiosque.test", Plan::Monthly).await;
    let company = app
        .add_mailbox_member(
            &customer,
            mailbox,
            w.location.id,
            "Kiosque du Port SA",
            MemberKind::Company,
        )
        .await
        .unwrap();
    assert_eq!(
        code_of(app.submit_mailbox_member(&customer, company.id).await),
        "member.documents_missing"
    );
    assert_eq!(
        code_of(
            app.review_mailbox_member(&customer, company.id, ReviewEvent::Submit, "")
                .await
        ),
        "member.documents_missing"
    );
    let upload = |kind, side, bytes: Vec<u8>| {
        let app = app.clone();
        let customer = customer.clone();
        let id = company.id;
        async move {
            app.upload_member_document(&customer, id, kind, side, "file", &bytes)
                .await
        }
    };
    use DocumentSide as S;
    use IdentityDocumentKind as K;
    assert_eq!(
        code_of(upload(K::Passport, S::Single, b"%PDF-1.4 x".to_vec()).await),
        "signup.document_kind_invalid"
    );
    assert_eq!(
        code_of(upload(K::RegisterExtract, S::Single, b"GIF89a".to_vec()).await),
        "signup.document_type"
    );
    assert_eq!(
        code_of(upload(K::RegisterExtract, S::Single, Vec::new()).await),
        "signup.document_empty"
    );
    let mut big = b"%PDF-1.4 ".to_vec();
    big.resize(courrier_app::mailbox::MAX_DOCUMENT_BYTES + 1, b' ');
    assert_eq!(
        code_of(upload(K::RegisterExtract, S::Single, big).await),
        "signup.document_too_large"
    );
    // Refusals stored nothing and the member is still a draft.
    assert!(
        app.member_documents(&customer, company.id)
            .await
            .unwrap()
            .is_empty()
    );
    upload(K::RegisterExtract, S::Single, identity_pdf())
        .await
        .unwrap();
    let m = app
        .submit_mailbox_member(&customer, company.id)
        .await
        .unwrap();
    assert_eq!(m.review, CustomerReview::Submitted);
    // A decided member takes no more documents.
    app.review_mailbox_member(
        &w.platform.actor,
        company.id,
        ReviewEvent::Reject,
        "not a company",
    )
    .await
    .unwrap();
    assert_eq!(
        code_of(upload(K::Other, S::Single, b"%PDF-1.4 more".to_vec()).await),
        "member.review_closed"
    );
    // Terms, closed locations and throttling of sign-ups.
    let mut form = signup_form(w.location.id, "bert@kiosque.test", Plan::Monthly);
    form.accept_terms = false;
    assert_eq!(
        code_of(app.sign_up(form, Some(IP)).await),
        "signup.terms_required"
    );
    let closed = app
        .create_location(
            &w.owner.actor,
            NewLocation {
                name: "Centre courrier Vevey".into(),
                address: vec!["Rue du Simplon 1".into(), "1800 Vevey".into()],
                country: "CH".into(),
                time_zone: "Europe/Zurich".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        code_of(
            app.sign_up(
                signup_form(closed.id, "bert@kiosque.test", Plan::Monthly),
                Some(IP)
            )
            .await
        ),
        "signup.location_closed"
    );
    // One sign-up above: four more from this address, then it waits.
    for n in 0..4 {
        app.sign_up(
            signup_form(w.location.id, &format!("p{n}@kiosque.test"), Plan::Monthly),
            Some(IP),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        code_of(
            app.sign_up(
                signup_form(w.location.id, "late@kiosque.test", Plan::Monthly),
                Some(IP)
            )
            .await
        ),
        "throttled"
    );
    w.env.close().await;
}

async fn documents_stay_with_their_tenant(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let (customer, mailbox, _) = signed_up(&w, "anna@kiosque.test", Plan::Monthly).await;
    let member = app
        .add_mailbox_member(
            &customer,
            mailbox,
            w.location.id,
            "Anna Muster",
            MemberKind::Person,
        )
        .await
        .unwrap();
    let doc = app
        .upload_member_document(
            &customer,
            member.id,
            IdentityDocumentKind::Passport,
            DocumentSide::Single,
            "passport.jpg",
            &jpeg(),
        )
        .await
        .unwrap();
    // Stored encrypted: the blob store never holds the plaintext.
    for path in files_under(w.env.blob_path()) {
        assert!(!contains_bytes(
            &std::fs::read(path).unwrap(),
            b"a passport"
        ));
    }
    // The customer, the platform and the location's mail center read it.
    for reader in [&customer, &w.platform.actor, &w.clerk] {
        let (record, bytes) = app.member_document_file(reader, doc.id).await.unwrap();
        assert_eq!(record.id, doc.id);
        assert_eq!(bytes, jpeg());
        assert_eq!(
            app.member_documents(reader, member.id).await.unwrap().len(),
            1
        );
    }
    // Another customer and another mail center do not.
    let other = w.env.org("other").await;
    let rival = w
        .env
        .org_of_kind("geneve", OrgKind::MailCenter, Role::Owner)
        .await;
    for stranger in [&other.actor, &rival.actor] {
        assert_eq!(
            code_of(app.member_document_file(stranger, doc.id).await),
            "not_found"
        );
        assert_eq!(
            code_of(app.member_documents(stranger, member.id).await),
            "not_found"
        );
    }
    assert_eq!(
        code_of(
            app.upload_member_document(
                &other.actor,
                member.id,
                IdentityDocumentKind::Passport,
                DocumentSide::Single,
                "x.jpg",
                &jpeg(),
            )
            .await
        ),
        "not_found"
    );
    // The mail center sees the member but cannot upload for the customer.
    assert_eq!(
        code_of(
            app.upload_member_document(
                &w.owner.actor,
                member.id,
                IdentityDocumentKind::Passport,
                DocumentSide::Single,
                "x.jpg",
                &jpeg(),
            )
            .await
        ),
        "forbidden:mailbox.act"
    );
    w.env.close().await;
}

async fn plan_prices_are_the_owners(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let (_, manager) = w
        .env
        .person(&w.owner, "manager@lausanne.test", Role::Manager)
        .await;
    for staff in [&w.clerk, &manager] {
        assert_eq!(
            code_of(app.set_location_plan(staff, w.location.id, 1, 2).await),
            "forbidden:org.settings"
        );
        assert_eq!(
            code_of(app.location_plan(staff, w.location.id).await),
            "forbidden:money.view"
        );
    }
    assert_eq!(
        code_of(
            app.set_location_plan(&w.owner.actor, w.location.id, -1, 2)
                .await
        ),
        "signup.price_invalid"
    );
    let plan = app
        .set_location_plan(&w.owner.actor, w.location.id, 2500, 25_000)
        .await
        .unwrap();
    assert_eq!(plan.monthly.to_string(), "CHF 25.00");
    assert_eq!(
        app.location_plan(&w.owner.actor, w.location.id)
            .await
            .unwrap()
            .unwrap()
            .yearly
            .minor(),
        25_000
    );
    // Another mail center cannot price this location.
    let rival = w
        .env
        .org_of_kind("geneve", OrgKind::MailCenter, Role::Owner)
        .await;
    assert_eq!(
        code_of(
            app.set_location_plan(&rival.actor, w.location.id, 1, 2)
                .await
        ),
        "not_found"
    );
    w.env.close().await;
}

/// Customer organisations named like the sign-up form's company.
async fn kiosque_orgs(w: &World) -> Vec<courrier_domain::OrgId> {
    w.env
        .app
        .store
        .list_orgs(None, 200)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|o| o.name == "Kiosque du Port SA")
        .map(|o| o.id)
        .collect()
}

async fn concurrent_sign_ups_with_one_address_make_one_customer(backend: Backend) {
    let w = world(backend).await;
    let app = &w.env.app;
    let orgs_before = app.store.org_ids().await.unwrap().len();
    const EMAIL: &str = "race@kiosque.test";
    // Two requests at once, on two worker threads: both pass the "address
    // free?" check before either has committed, so the second transaction
    // meets the first one's user on the unique address.
    let sign_up = |app: std::sync::Arc<courrier_app::App>, location: LocationId| {
        tokio::spawn(async move {
            app.sign_up(signup_form(location, EMAIL, Plan::Monthly), Some(IP))
                .await
        })
    };
    let (a, b) = tokio::join!(
        sign_up(app.clone(), w.location.id),
        sign_up(app.clone(), w.location.id)
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let created: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o {
            Ok(SignupOutcome::Created { user, mailbox, .. }) => Some((*user, mailbox.id)),
            _ => None,
        })
        .collect();
    let in_use = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(SignupOutcome::AddressInUse)))
        .count();
    assert_eq!((created.len(), in_use), (1, 1), "{outcomes:?}");
    let (user, mailbox) = created[0];

    // Exactly one organisation, one user, one mailbox, one sign-up.
    assert_eq!(app.store.org_ids().await.unwrap().len(), orgs_before + 1);
    let orgs = kiosque_orgs(&w).await;
    assert_eq!(orgs.len(), 1, "no organisation left behind");
    let owner = app
        .store
        .user_by_email(&courrier_domain::EmailAddress::parse(EMAIL).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((owner.id, owner.org), (user, orgs[0]));
    let scope = courrier_domain::OrgScope::system(orgs[0], "test");
    assert_eq!(
        app.store
            .list_users(&scope, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let signups = app.store.own_signups(&scope).await.unwrap();
    assert_eq!(signups.len(), 1);
    assert_eq!(signups[0].mailbox, mailbox);
    assert_eq!(app.store.list_mailboxes(&scope).await.unwrap().len(), 1);
    // The organisation's audit chain is whole: created, user, mailbox, sign-up.
    let (chain, _) = app.store.audit_chain(orgs[0]).await.unwrap();
    let actions: Vec<&str> = chain.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "org.created",
            "user.created",
            "mailbox.created",
            "signup.created"
        ]
    );
    // One activation e-mail and one "address in use" e-mail, both to the
    // address.
    let mails: Vec<_> = app
        .store
        .recent_emails(200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to.as_str() == EMAIL)
        .collect();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(mails.len(), 2, "{subjects:?}");
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.starts_with("Activez votre boîte aux lettres"))
            .count(),
        1,
        "{subjects:?}"
    );
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.starts_with("Tentative d'inscription"))
            .count(),
        1,
        "{subjects:?}"
    );
    // The winner's activation link works; the history lists its e-mail.
    let (customer, _) = {
        let link = match &outcomes
            .iter()
            .find(|o| matches!(o, Ok(SignupOutcome::Created { .. })))
        {
            Some(Ok(SignupOutcome::Created {
                activation_link, ..
            })) => activation_link.clone(),
            other => panic!("{other:?}"),
        };
        app.activate_signup(&token_of(&link), PASSWORD)
            .await
            .unwrap();
        w.env.sign_in(EMAIL, PASSWORD).await
    };
    let view = app
        .my_signups(&w.env.session(&customer).await.actor(Some(IP.into())))
        .await
        .unwrap();
    assert_eq!(view.len(), 1);
    assert_eq!(
        view[0]
            .history
            .iter()
            .filter(
                |h| matches!(h, HistoryEntry::Email(e) if e.kind == SignupEmailKind::Activation)
            )
            .count(),
        1
    );

    // Later, one more sign-up with the address: in use, nothing created.
    let again = app
        .sign_up(signup_form(w.location.id, EMAIL, Plan::Yearly), Some(IP))
        .await
        .unwrap();
    assert!(matches!(again, SignupOutcome::AddressInUse), "{again:?}");
    assert_eq!(kiosque_orgs(&w).await.len(), 1);
    w.env.close().await;
}

/// The store's one transaction for a sign-up, made to fail at its seventh
/// statement (an outbox e-mail id already taken): the organisation, user,
/// mailbox, sign-up and activation token written before are gone too.
async fn a_sign_up_failing_half_way_leaves_nothing(backend: Backend) {
    use courrier_domain::{Currency, EmailAddress, OrgId, OrgScope};
    use courrier_store::{
        EmailRecord, EmailState, MailboxRecord, NewJob, NewSignupAccount, OrgRecord, SignupRecord,
        UserRecord,
    };
    let w = world(backend).await;
    let app = &w.env.app;
    let (_, _, _) = signed_up(&w, "first@kiosque.test", Plan::Monthly).await;
    let taken = app.store.recent_emails(10).await.unwrap()[0].id;
    let orgs_before = app.store.org_ids().await.unwrap();
    let now = w.env.now();
    let org = OrgId::random();
    let email = EmailAddress::parse("halfway@kiosque.test").unwrap();
    let user = UserRecord {
        id: UserId::random(),
        org,
        email: email.clone(),
        display_name: "Half Way".into(),
        password_hash: "x".into(),
        role: Role::Admin,
        locale: "fr".into(),
        totp_secret: None,
        totp_enabled: false,
        created_at: now,
    };
    let mailbox = MailboxRecord::active(
        org,
        Some(w.location.id),
        vec!["Half Way SA".into(), "Rue du Port 1".into()],
        w.location.country,
        "2026-01-01".into(),
        now,
    );
    let account = NewSignupAccount {
        org: OrgRecord {
            id: org,
            name: "Half Way SA".into(),
            kind: OrgKind::Customer,
            country: "CH".into(),
            currency: Currency::CHF,
            require_2fa: false,
            time_zone: "Europe/Zurich".into(),
            wrapped_key: vec![0; 72],
            created_at: now,
        },
        signup: SignupRecord {
            mailbox: mailbox.id,
            org,
            location: w.location.id,
            plan: Plan::Monthly,
            price: courrier_domain::Money::new(1990, Currency::CHF),
            contact_name: "Half Way".into(),
            contact_email: email.clone(),
            locale: "fr".into(),
            terms_accepted_at: now,
            created_at: now,
            plan_started_at: None,
            plan_next_at: None,
            plan_ends_at: None,
        },
        user,
        mailbox,
        activation_token_hash: "00".repeat(32),
        activation_expires_at: now.plus_seconds(3600),
        email: EmailRecord {
            id: taken,
            to: email.clone(),
            subject: "s".into(),
            body_text: "t".into(),
            body_html: "h".into(),
            state: EmailState::Pending,
            attempts: 0,
            last_error: None,
            created_at: now,
            sent_at: None,
        },
        delivery: NewJob {
            kind: "email.deliver".into(),
            payload: String::new(),
            unique_key: None,
            run_at: now,
            max_attempts: 1,
        },
    };
    let system = OrgScope::system(org, "system:signup");
    let err = app
        .store
        .create_signup_account(&system, &system, &account, now)
        .await;
    assert!(err.is_err(), "{err:?}");
    assert_eq!(app.store.org_ids().await.unwrap(), orgs_before);
    assert!(app.store.user_by_email(&email).await.unwrap().is_none());
    assert!(app.store.own_signups(&system).await.unwrap().is_empty());
    assert!(app.store.list_mailboxes(&system).await.unwrap().is_empty());
    // With a fresh e-mail id the same sign-up goes through whole.
    let mut fixed = account.clone();
    fixed.email.id = courrier_domain::EmailId::random();
    app.store
        .create_signup_account(&system, &system, &fixed, now)
        .await
        .unwrap();
    assert_eq!(app.store.own_signups(&system).await.unwrap().len(), 1);
    assert_eq!(
        app.store.org_ids().await.unwrap().len(),
        orgs_before.len() + 1
    );
    w.env.close().await;
}

/// The customer's plan usage lines so far.
async fn plan_lines(app: &courrier_app::App, customer: &Actor) -> usize {
    app.mailbox_usage(
        customer,
        courrier_domain::Timestamp::from_millis(0),
        courrier_domain::Timestamp::from_millis(i64::MAX / 2),
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|l| l.kind == UsageKind::Plan)
    .count()
}

/// A member of the customer's location mailbox, approved (the plan's first
/// period is billed then).
async fn approved_member(
    w: &World,
    customer: &Actor,
    mailbox: MailboxId,
) -> courrier_domain::MemberId {
    let app = &w.env.app;
    let member = app
        .add_mailbox_member(
            customer,
            mailbox,
            w.location.id,
            "Anna Muster",
            MemberKind::Person,
        )
        .await
        .unwrap();
    app.upload_member_document(
        customer,
        member.id,
        IdentityDocumentKind::Passport,
        DocumentSide::Single,
        "passport.jpg",
        &jpeg(),
    )
    .await
    .unwrap();
    app.submit_mailbox_member(customer, member.id)
        .await
        .unwrap();
    app.review_mailbox_member(&w.platform.actor, member.id, ReviewEvent::PreApprove, "ok")
        .await
        .unwrap();
    app.review_mailbox_member(&w.clerk, member.id, ReviewEvent::Approve, "seen")
        .await
        .unwrap();
    member.id
}

async fn a_cancelled_plan_runs_to_its_end_then_the_mailbox_closes(backend: Backend) {
    use courrier_app::mailbox::Recipient;
    use courrier_domain::mailbox::{ItemState, MailboxState};
    let w = world(backend).await;
    let app = &w.env.app;
    let (customer, mailbox, _) = signed_up(&w, "anna@kiosque.test", Plan::Monthly).await;
    let member = approved_member(&w, &customer, mailbox).await;
    assert_eq!(
        plan_lines(app, &customer).await,
        1,
        "the first month at approval"
    );
    let paid_until = app.my_signups(&customer).await.unwrap()[0]
        .signup
        .plan_next_at
        .unwrap();

    // Only the customer's own people with `org.settings` may cancel.
    let other = w.env.org("voisin").await;
    assert_eq!(
        code_of(app.cancel_plan(&other.actor, mailbox).await),
        "not_found"
    );
    // The mail center of the location is another organisation: not found,
    // as for any other (the mailbox is looked up before anything else).
    assert_eq!(
        code_of(app.cancel_plan(&w.owner.actor, mailbox).await),
        "not_found"
    );
    assert!(code_of(app.cancel_plan(&w.clerk, mailbox).await).starts_with("forbidden"));
    assert_eq!(
        code_of(app.keep_plan(&customer, mailbox).await),
        "plan.not_cancelled"
    );

    // Cancelled on day 10: it runs to the end of the month paid.
    w.env.advance(10 * DAY);
    let cancelled = app.cancel_plan(&customer, mailbox).await.unwrap();
    assert_eq!(cancelled.plan_ends_at, Some(paid_until));
    // The contact is told when the mailbox closes, in French (the sign-up's
    // language).
    let confirmation = app
        .store
        .recent_emails(50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject.contains("ferme le"))
        .expect("a confirmation e-mail");
    assert_eq!(confirmation.to.as_str(), "anna@kiosque.test");
    let closes_on = jiff::Timestamp::from_millisecond(paid_until.millis())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Zurich").unwrap())
        .date()
        .to_string();
    assert!(
        confirmation.subject.contains(&closes_on),
        "{}",
        confirmation.subject
    );
    assert_eq!(
        code_of(app.cancel_plan(&customer, mailbox).await),
        "plan.already_cancelled"
    );
    // Kept, then cancelled again: the same end.
    assert_eq!(
        app.keep_plan(&customer, mailbox)
            .await
            .unwrap()
            .plan_ends_at,
        None
    );
    let again = app.cancel_plan(&customer, mailbox).await.unwrap();
    assert_eq!(again.plan_ends_at, Some(paid_until));
    // The mail center's staff see it among the plans ending; another
    // mail center does not.
    let ending = app.plans_ending(&w.clerk, w.location.id).await.unwrap();
    assert_eq!(ending.len(), 1);
    assert_eq!(ending[0].0, "Kiosque du Port SA");
    assert_eq!(ending[0].1.plan_ends_at, Some(paid_until));
    let geneve = w
        .env
        .org_of_kind("geneve", OrgKind::MailCenter, Role::Owner)
        .await;
    assert_eq!(
        code_of(app.plans_ending(&geneve.actor, w.location.id).await),
        "not_found"
    );
    // Before the end the mailbox still receives mail.
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().billed, 0);
    assert_eq!(
        app.mailbox(&customer, mailbox).await.unwrap().state,
        MailboxState::Active
    );

    // At the end: nothing more billed, the mailbox closes, once.
    w.env.advance(25 * DAY);
    assert!(w.env.now() > paid_until);
    // Two servers' upkeeps at once: the mailbox is closed by one of them.
    let (a, b) = tokio::join!(
        app.signup_upkeep(w.env.now()),
        app.signup_upkeep(w.env.now())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.billed + b.billed, 0, "no period after the end");
    assert_eq!(a.closed + b.closed, 1);
    let again = app.signup_upkeep(w.env.now()).await.unwrap();
    assert_eq!((again.billed, again.closed), (0, 0));
    assert_eq!(plan_lines(app, &customer).await, 1);
    assert_eq!(
        app.mailbox(&customer, mailbox).await.unwrap().state,
        MailboxState::Closed
    );
    assert_eq!(
        code_of(app.keep_plan(&customer, mailbox).await),
        "plan.ended"
    );
    assert!(
        app.plans_ending(&w.clerk, w.location.id)
            .await
            .unwrap()
            .is_empty(),
        "closed: no longer ending"
    );
    // Mail for its member is refused and recorded as refused.
    let logged = app
        .log_item(
            &w.clerk,
            w.location.id,
            letter_piece(Recipient::Member(member), "Swisscom"),
        )
        .await
        .unwrap();
    assert_eq!(logged.item.state, ItemState::Refused);
    // A year on, still nothing billed.
    w.env.advance(365 * DAY);
    assert_eq!(app.signup_upkeep(w.env.now()).await.unwrap().billed, 0);
    assert_eq!(plan_lines(app, &customer).await, 1);

    // The customer takes a plan there again: a new mailbox, reviewed and
    // billed as the first one; one plan at a time per location.
    assert_eq!(
        code_of(
            app.sign_up_again(&customer, w.location.id, Plan::Yearly, false)
                .await
        ),
        "signup.terms_required"
    );
    assert!(
        code_of(
            app.sign_up_again(&w.clerk, w.location.id, Plan::Yearly, true)
                .await
        )
        .starts_with("forbidden")
    );
    let again = app
        .sign_up_again(&customer, w.location.id, Plan::Yearly, true)
        .await
        .unwrap();
    assert_ne!(again.mailbox, mailbox);
    assert_eq!(again.price.minor(), 19_900);
    assert_eq!(again.contact_email.as_str(), "anna@kiosque.test");
    assert_eq!(
        app.mailbox(&customer, again.mailbox).await.unwrap().state,
        MailboxState::Active
    );
    assert_eq!(
        code_of(
            app.sign_up_again(&customer, w.location.id, Plan::Monthly, true)
                .await
        ),
        "signup.plan_running"
    );
    assert_eq!(app.my_signups(&customer).await.unwrap().len(), 2);
    approved_member(&w, &customer, again.mailbox).await;
    assert_eq!(
        plan_lines(app, &customer).await,
        2,
        "billed from the approval"
    );
    w.env.close().await;
}
