//! The platform team's pre-approval queue over HTTP, on both backends: the
//! demo sign-up's member waits in `/admin/reviews` (linked from the admin
//! page) with its customer, location and document; a decision without a
//! note is refused with its code, a forged form token gets 403, a
//! pre-approval with a note takes the member out of the queue and into the
//! mail center's `/center/reviews`; a customer is refused the page. A
//! member waiting for the platform over 48 hours is flagged overdue, in
//! English and in French.

use crate::support::*;

on_both_backends!(
    platform_pre_approves_from_the_queue,
    platform_queue_flags_members_waiting_over_48_hours,
);

const PLATFORM_ADMIN: &str = "admin@courrier.test";
const CENTER_ADMIN: &str = "olivier.blanc@mc-lausanne.test";

async fn platform_pre_approves_from_the_queue(backend: Backend) {
    let srv = Server::start(backend).await;
    let admin = srv.signed_in(PLATFORM_ADMIN).await;
    let center = srv.signed_in(CENTER_ADMIN).await;

    let token = admin.csrf().await;
    let res = admin
        .post_form("/lang", &[("locale", "en"), ("csrf_token", &token)])
        .await;
    assert_eq!(res.status, 303);

    // The admin page links to the queue.
    let home = admin.get("/admin/orgs").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains(r#"href="/admin/reviews""#));

    // The demo sign-up's member waits for the platform, with its customer,
    // location, state and one document, linking to its file.
    let queue = admin.get("/admin/reviews").await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body.contains("Members to pre-approve"));
    let member = scrape_attr(&queue.body, r#"data-member=""#).expect("a member in the queue");
    assert!(queue.body.contains("Luc Favre"), "{}", queue.body);
    assert!(queue.body.contains("Atelier Favre Sàrl"));
    assert!(queue.body.contains("Centre courrier Lausanne"));
    assert!(
        queue
            .body
            .contains(&format!(r#"href="/reviews/members/{member}""#))
    );
    assert!(queue.body.contains("<td>1</td>"), "one document");
    // The mail center does not see it yet.
    let before = center.get("/center/reviews").await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(!before.body.contains(&member));
    // The member's file offers the platform's decision to the platform only.
    let file = admin.get(&format!("/reviews/members/{member}")).await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(
        file.body
            .contains(&format!(r#"action="/admin/reviews/{member}""#))
    );
    let center_file = center.get(&format!("/reviews/members/{member}")).await;
    assert_eq!(center_file.status, 200, "{}", center_file.body);
    assert!(!center_file.body.contains("/admin/reviews/"));

    let csrf = queue.csrf();
    let path = format!("/admin/reviews/{member}");
    // Without a note: refused with the code, the member still waiting.
    let res = admin
        .post_form(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("event", "pre_approve"),
                ("note", "  "),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("mail.note_missing"), "{}", res.body);
    assert!(res.body.contains(&format!(r#"data-member="{member}""#)));
    // An event the form does not offer: refused with its code.
    let res = admin
        .post_form(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("event", "approve"),
                ("note", "ok"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("mail.review_invalid"), "{}", res.body);
    // A forged form token: 403, nothing decided.
    let res = admin
        .post_form(
            &path,
            &[
                ("csrf_token", "forged"),
                ("event", "pre_approve"),
                ("note", "Passeport vérifié."),
            ],
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    let queue = admin.get("/admin/reviews").await;
    assert!(queue.body.contains(&format!(r#"data-member="{member}""#)));

    // A customer is refused the page and the decision.
    let anna = srv.signed_in(ANNA).await;
    assert_eq!(anna.get("/admin/reviews").await.status, 403);
    let anna_csrf = anna.get("/mail").await.csrf();
    let res = anna
        .post_form(
            &path,
            &[
                ("csrf_token", anna_csrf.as_str()),
                ("event", "pre_approve"),
                ("note", "Passeport vérifié."),
            ],
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);

    // Pre-approved with a note: out of the queue, into the mail center's.
    let res = admin
        .post_form(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("event", "pre_approve"),
                ("note", "Passeport vérifié."),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains(r#"id="review-done""#), "{}", res.body);
    assert!(!res.body.contains(&format!(r#"data-member="{member}""#)));
    let after = center.get("/center/reviews").await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(
        after.body.contains(&format!(r#"data-member="{member}""#)),
        "{}",
        after.body
    );
    assert!(after.body.contains("Passeport vérifié."));
    // The queue, now empty, in French.
    let res = admin
        .post_form("/lang", &[("locale", "fr"), ("csrf_token", &token)])
        .await;
    assert_eq!(res.status, 303);
    let fr = admin.get("/admin/reviews").await;
    assert_eq!(fr.status, 200, "{}", fr.body);
    assert!(fr.body.contains(r#"<html lang="fr">"#));
    assert!(fr.body.contains("Membres à pré-approuver"), "{}", fr.body);
    assert!(fr.body.contains("Aucun membre"), "{}", fr.body);
    srv.stop().await;
}

/// The admin signed in afresh (sessions expire as the clock moves on) and
/// reading in `locale`.
async fn admin_in(srv: &Server, locale: &str) -> Browser {
    let admin = srv.signed_in(PLATFORM_ADMIN).await;
    let token = admin.csrf().await;
    let res = admin
        .post_form("/lang", &[("locale", locale), ("csrf_token", &token)])
        .await;
    assert_eq!(res.status, 303);
    admin
}

async fn platform_queue_flags_members_waiting_over_48_hours(backend: Backend) {
    let srv = Server::start(backend).await;
    let queue = admin_in(&srv, "en").await.get("/admin/reviews").await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    let member = scrape_attr(&queue.body, r#"data-member=""#).expect("a member in the queue");
    // Just submitted: on time.
    assert!(!queue.body.contains("data-overdue"), "{}", queue.body);
    assert!(!queue.body.contains("Overdue"), "{}", queue.body);
    assert!(!queue.body.contains(r#"id="overdue-count""#));

    // 48 hours on: still on time (the deadline itself is on time).
    srv.clock.advance_seconds(48 * 3600);
    let queue = admin_in(&srv, "en").await.get("/admin/reviews").await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body.contains(&format!(r#"data-member="{member}""#)));
    assert!(!queue.body.contains("data-overdue"), "{}", queue.body);

    // A minute later: overdue, flagged on its row and counted.
    srv.clock.advance_seconds(60);
    let en = admin_in(&srv, "en").await.get("/admin/reviews").await;
    assert_eq!(en.status, 200, "{}", en.body);
    assert!(
        en.body.contains(&format!(
            r#"<tr class="overdue" data-member="{member}" data-overdue="true">"#
        )),
        "{}",
        en.body
    );
    assert!(
        en.body.contains("Overdue: waiting over 48 h"),
        "{}",
        en.body
    );
    assert!(
        en.body
            .contains(r#"id="overdue-count">1 overdue, waiting over 48 h<"#),
        "{}",
        en.body
    );
    // The same in French.
    let fr = admin_in(&srv, "fr").await.get("/admin/reviews").await;
    assert_eq!(fr.status, 200, "{}", fr.body);
    assert!(fr.body.contains(r#"<html lang="fr">"#));
    assert!(fr.body.contains(r#"data-overdue="true""#), "{}", fr.body);
    assert!(
        fr.body
            .contains("En retard : en attente depuis plus de 48 h"),
        "{}",
        fr.body
    );
    assert!(
        fr.body
            .contains("1 en retard, en attente depuis plus de 48 h"),
        "{}",
        fr.body
    );
    srv.stop().await;
}
