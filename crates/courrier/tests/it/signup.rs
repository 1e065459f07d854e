//! Signing up at a location over HTTP, on both backends: the public list
//! with the demo site's prices, the form refused without its CSRF token,
//! a missing acceptance of the terms answered on the form with the fields
//! kept, the same answer for a new and an already used address, the
//! activation link from the outbox, then the onboarding page: a member
//! added, a document uploaded (multipart), the member submitted, the file
//! readable by its customer (and listed by the API) and a 404 for another
//! organisation; the plan cancelled (the box ticked), which ends at once
//! while nothing was paid.

use crate::support::*;

on_both_backends!(public_sign_up_with_csrf_and_onboarding);

/// The headers of a 1×1 JPEG: what an identity document upload reads.
const PASSPORT_JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xC0\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00\xFF\xD9";

/// A one-page PDF (identity documents are read at upload).
fn utility_bill() -> Vec<u8> {
    courrier_documents::sample::letters_pdf(
        &[courrier_documents::sample::SampleLetter {
            address: vec!["Utility bill".into()],
            pages: 1,
            reference: "BILL".into(),
        }],
        &["Test"],
    )
}

fn multipart(fields: &[(&str, &str)], (bytes, name): (&[u8], &str)) -> (String, Vec<u8>) {
    multipart_form(fields, &[("file", name, bytes)])
}

/// Posts a form of owned field values.
async fn send_form(who: &Browser, path: &str, fields: Vec<(&str, String)>) -> Resp {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    who.post_form(path, &pairs).await
}

/// Posts the plan form of the onboarding page.
async fn change_plan(
    who: &Browser,
    csrf: &str,
    mailbox: &str,
    action: &str,
    confirm: &str,
) -> Resp {
    who.post_form(
        "/mail/onboarding/plan",
        &[
            ("csrf_token", csrf),
            ("mailbox", mailbox),
            ("action", action),
            ("confirm", confirm),
        ],
    )
    .await
}

async fn public_sign_up_with_csrf_and_onboarding(backend: Backend) {
    let srv = Server::start(backend).await;
    let offers = srv.app.signup_offers().await.unwrap();
    assert_eq!(offers.len(), 1, "the demo site sells mailboxes");
    let location = offers[0].location.id.to_string();
    let b = srv.browser();
    let list = b.get("/signup").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Centre courrier Lausanne"));
    assert!(list.body.contains("CHF 19.90") && list.body.contains("CHF 199.00"));
    let path = format!("/signup/{location}");
    let form = b.get(&path).await;
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    let fields = |csrf: &str, email: &str, terms: bool| {
        let mut f = vec![
            ("csrf_token", csrf.to_string()),
            ("company", "Kiosque du Port SA".to_string()),
            ("contact_name", "Léa Martin".to_string()),
            ("email", email.to_string()),
            ("lang", "en".to_string()),
            ("plan", "yearly".to_string()),
        ];
        if terms {
            f.push(("accept_terms", "yes".to_string()));
        }
        f
    };
    let post = |f: Vec<(&'static str, String)>| {
        let b = &b;
        let path = path.clone();
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post_form(&path, &pairs).await
        }
    };
    // Without the form token: refused, nothing created.
    let res = post(fields("forged", "lea@kiosque.test", true)).await;
    assert_eq!(res.status, 403);
    // Without accepting the terms: the form again, with the reason and the
    // fields kept.
    let res = post(fields(&csrf, "lea@kiosque.test", false)).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("Accept the terms of service"));
    assert!(res.body.contains("value=\"Kiosque du Port SA\""));
    let lea = courrier_domain::EmailAddress::parse("lea@kiosque.test").unwrap();
    assert!(srv.app.store.user_by_email(&lea).await.unwrap().is_none());
    // Accepted: a message, and the account exists without a usable password.
    let done = post(fields(&csrf, "lea@kiosque.test", true)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("lea@kiosque.test"));
    assert!(srv.app.store.user_by_email(&lea).await.unwrap().is_some());
    // An address already in use gets the very same page.
    let taken = post(fields(&csrf, ANNA, true)).await;
    assert_eq!(taken.status, 200);
    assert_eq!(
        taken.body.replace(ANNA, "X"),
        done.body.replace("lea@kiosque.test", "X")
    );

    // The activation link from the outbox sets the password.
    let outbox = srv.app.store.recent_emails(50).await.unwrap();
    let activation = outbox
        .iter()
        .find(|e| e.to == lea && e.subject.starts_with("Activate"))
        .expect("activation e-mail");
    let link = activation
        .body_text
        .split_whitespace()
        .find(|w| w.contains("/signup/activate/"))
        .unwrap();
    let token = link.rsplit('/').next().unwrap();
    let activate_path = format!("/signup/activate/{token}");
    let page = b.get(&activate_path).await;
    assert_eq!(page.status, 200);
    let res = b
        .post_form(
            &activate_path,
            &[("csrf_token", "forged"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 403);
    let res = b
        .post_form(
            &activate_path,
            &[("csrf_token", &page.csrf()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let customer = srv.signed_in("lea@kiosque.test").await;

    // Onboarding: add a member, upload a document, submit.
    let page = customer.get("/mail/onboarding").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Centre courrier Lausanne"));
    let csrf = page.csrf();
    let mailbox = scrape_attr(&page.body, r#"name="mailbox" value=""#).unwrap();
    let res = customer
        .post_form(
            "/mail/onboarding/members",
            &[
                ("csrf_token", csrf.as_str()),
                ("mailbox", mailbox.as_str()),
                ("location", location.as_str()),
                ("name", "Léa Martin"),
                ("kind", "person"),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let member = scrape_attr(&res.body, r#"data-member=""#).unwrap();
    // Submitting without a document is refused with the reason.
    let submit = format!("/mail/onboarding/members/{member}/submit");
    let res = customer
        .post_form(&submit, &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("at least one identity document"));
    let (ct, body) = multipart(
        &[
            ("csrf_token", csrf.as_str()),
            ("kind", "passport"),
            ("side", "single"),
        ],
        (PASSPORT_JPEG, "passport.jpg"),
    );
    let upload = format!("/mail/onboarding/members/{member}/documents");
    let res = Resp::read(
        customer
            .client
            .post(customer.url(&upload))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("passport.jpg"));
    let res = customer
        .post_form(&submit, &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("Submitted for review"));
    let doc = scrape_attr(&res.body, r#"href="/member-documents/"#).unwrap();
    let file = customer.get(&format!("/member-documents/{doc}")).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("image/jpeg"));
    // The API lists the document, to its customer only.
    let api_path = format!("/api/v1/mailbox/members/{member}/documents");
    let listed = customer
        .api(reqwest::Method::GET, &api_path, None, None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json()[0]["kind"], "passport");
    assert_eq!(listed.json()[0]["file_name"], "passport.jpg");
    let (ct, body) = multipart(
        &[("kind", "other"), ("side", "single")],
        (&utility_bill(), "bill.pdf"),
    );
    let created = Resp::read(
        customer
            .client
            .post(customer.url(&api_path))
            .header("content-type", ct)
            .header("x-csrf-token", csrf.as_str())
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["content_type"], "application/pdf");
    assert_eq!(
        customer
            .api(reqwest::Method::GET, &api_path, None, None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Another organisation's person gets a 404.
    let marie = srv.signed_in(MARIE).await;
    assert_eq!(
        marie
            .api(reqwest::Method::GET, &api_path, None, None)
            .await
            .status,
        404
    );
    assert_eq!(
        marie.get(&format!("/member-documents/{doc}")).await.status,
        404
    );
    assert_eq!(
        marie
            .get(&format!("/reviews/members/{member}"))
            .await
            .status,
        404
    );

    // Cancelling the plan needs the box ticked and a real form; another
    // organisation's person cannot; it can be kept again.
    let marie_csrf = marie.get("/mail").await.csrf();
    let res = change_plan(&customer, "forged", &mailbox, "cancel", "yes").await;
    assert_eq!(res.status, 403);
    let res = change_plan(&customer, &csrf, &mailbox, "cancel", "").await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("Tick the box"), "{}", res.body);
    let res = change_plan(&marie, &marie_csrf, &mailbox, "cancel", "yes").await;
    assert_eq!(res.status, 404);
    let res = change_plan(&customer, &csrf, &mailbox, "cancel", "yes").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("The plan is cancelled"), "{}", res.body);
    assert!(res.body.contains(&format!("id=\"plan-end-{mailbox}\"")));
    // No member approved yet, so nothing was paid: the plan ends at once
    // and cannot be kept (the app tests keep a plan that runs).
    assert!(res.body.contains("Plan ended"), "{}", res.body);
    // Until the upkeep closes the mailbox, the mail center's dashboard
    // lists it among the plans ending.
    let clerk = srv.signed_in("tom.schmid@mc-lausanne.test").await;
    let dash = clerk.get("/center").await;
    assert_eq!(dash.status, 200, "{}", dash.body);
    assert!(dash.body.contains("id=\"plans-ending\""), "{}", dash.body);
    assert!(dash.body.contains("Kiosque"), "{}", dash.body);
    let res = change_plan(&customer, &csrf, &mailbox, "keep", "").await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("This plan has ended"), "{}", res.body);
    assert!(!res.body.contains("action\" value=\"cancel"));
    // The API answers the same: ended, not to be kept; another
    // organisation's person gets a 404.
    let keep = format!("/api/v1/mailbox/{mailbox}/plan/keep");
    let res = customer
        .api(reqwest::Method::POST, &keep, Some(&csrf), None)
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.json()["code"], "plan.ended");
    let cancel = format!("/api/v1/mailbox/{mailbox}/plan/cancel");
    let res = customer
        .api(reqwest::Method::POST, &cancel, Some(&csrf), None)
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.json()["code"], "plan.already_cancelled");
    let res = marie
        .api(reqwest::Method::POST, &cancel, Some(&marie_csrf), None)
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    // The customer takes a plan there again (the terms ticked): a new
    // mailbox; the mail center no longer lists the old one as ending.
    let again = |accept: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("location", location.clone()),
            ("plan", "monthly".to_string()),
            ("accept_terms", accept.to_string()),
        ]
    };
    let res = send_form(&customer, "/mail/onboarding/again", again("")).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let res = send_form(&customer, "/mail/onboarding/again", again("yes")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.body.contains("A new mailbox is open here"),
        "{}",
        res.body
    );
    let dash = clerk.get("/center").await;
    assert!(!dash.body.contains("id=\"plans-ending\""), "{}", dash.body);
    srv.stop().await;
}
