//! Received versus inserted, the digest setting and multi-file scans over
//! HTTP, on both backends: the carrier's count from the dashboard form
//! (CSRF, bad input answered on the page), the "not inserted yet" and "all
//! inserted" marks, the notification choice and the scan retention on the
//! mailbox settings page,
//! and a scan completed with a PDF and a photo through the task form and
//! through the API (a file that is neither refuses the whole scan).

use crate::support::*;
use courrier_domain::mailbox::Action;
use courrier_domain::{Actor, OrgKind, Permission, Role, TaskId};
use courrier_store::NotifyMode;
use reqwest::Method;

on_both_backends!(intake_counts_digest_setting_and_multi_file_scans);

/// Posts the scan-retention form of the mailbox settings page.
async fn retention(who: &Browser, csrf: &str, days: &str) -> Resp {
    who.post_form(
        "/mail/setup/retention",
        &[("csrf_token", csrf), ("scan_days", days)],
    )
    .await
}

const TOM: &str = "tom.schmid@mc-lausanne.test";
const OLIVIER: &str = "olivier.blanc@mc-lausanne.test";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// A form with several `file` parts (file name, bytes), in order.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let parts: Vec<(&str, &str, &[u8])> = files.iter().map(|(n, b)| ("file", *n, *b)).collect();
    multipart_form(fields, &parts)
}

fn scan_pdf() -> Vec<u8> {
    courrier_documents::sample::letters_pdf(
        &[courrier_documents::sample::SampleLetter {
            address: vec![
                "Boulangerie Dupont SàRL".into(),
                "Rue de Bourg 12".into(),
                "1003 Lausanne".into(),
            ],
            pages: 1,
            reference: "SCAN-1".into(),
        }],
        &[
            "Helvetia Fiduciaire SA",
            "Avenue de la Gare 1, 1003 Lausanne",
        ],
    )
}

/// Asks for a scan of one of Marie's items and returns the task.
async fn scan_task(srv: &Server, n: usize) -> (courrier_domain::MailItemId, TaskId) {
    let items = srv
        .app
        .search_mail(
            &srv.marie(),
            "",
            &courrier_store::ItemFilter::default(),
            None,
            50,
        )
        .await
        .unwrap()
        .items;
    let item = items[n].item.id;
    let asked = srv
        .app
        .request_action(&srv.marie(), &[item], &Action::Scan)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .1
        .unwrap();
    match asked {
        courrier_app::mailbox::Requested::Task(t) => (item, t.id),
        other => panic!("expected a task, got {other:?}"),
    }
}

async fn intake_counts_digest_setting_and_multi_file_scans(backend: Backend) {
    let srv = Server::start(backend).await;
    let u = user(&srv.app, TOM).await;
    let tom = Actor::user(u.id, u.org, OrgKind::MailCenter, Role::Clerk, None);
    let location = srv.app.own_locations(&tom).await.unwrap()[0].id;
    let loc = location.to_string();
    let received = srv
        .app
        .intake_day(&tom, location)
        .await
        .unwrap()
        .received_today;

    // ---- the carrier's count on the dashboard ----
    let tom_b = srv.signed_in(TOM).await;
    let dash = tom_b.get("/center").await;
    assert_eq!(dash.status, 200, "{}", dash.body);
    assert!(dash.body.contains("id=\"no-count\""), "{}", dash.body);
    let csrf = dash.csrf();
    let refused = tom_b
        .post_form("/center/count", &[("location", &loc), ("pieces", "3")])
        .await;
    assert_eq!(refused.status, 403, "no CSRF token");
    let bad = tom_b
        .post_form(
            "/center/count",
            &[
                ("csrf_token", &csrf),
                ("location", &loc),
                ("pieces", "beaucoup"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""), "{}", bad.body);
    let more = (received + 2).to_string();
    let res = tom_b
        .post_form(
            "/center/count",
            &[("csrf_token", &csrf), ("location", &loc), ("pieces", &more)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let dash = tom_b.get("/center").await;
    assert!(
        dash.body.contains("data-missing=\"2\""),
        "2 pieces not inserted yet: {}",
        dash.body
    );
    assert!(dash.body.contains("data-complete=\"false\""));
    let exact = received.to_string();
    tom_b
        .post_form(
            "/center/count",
            &[
                ("csrf_token", &csrf),
                ("location", &loc),
                ("pieces", &exact),
            ],
        )
        .await;
    let dash = tom_b.get("/center").await;
    assert!(dash.body.contains("id=\"all-inserted\""), "{}", dash.body);
    assert!(dash.body.contains("data-complete=\"true\""));
    assert!(dash.body.contains(TOM) || dash.body.contains("id=\"carrier-by\""));
    // The intake form offers the day of receipt, today at most.
    let intake = tom_b.get("/center/intake").await;
    assert!(
        intake.body.contains("name=\"received_on\""),
        "{}",
        intake.body
    );

    // ---- the notification choice on the mailbox settings page ----
    let marie = srv.signed_in(MARIE).await;
    let setup = marie.get("/mail/setup").await;
    if setup.status == 200 && setup.body.contains("notify-form") {
        let mailbox = srv.app.mailboxes(&srv.marie()).await.unwrap()[0].id;
        let mcsrf = setup.csrf();
        let path = format!("/mail/setup/{mailbox}/notify");
        let res = marie
            .post_form(&path, &[("csrf_token", &mcsrf), ("notify", "digest")])
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(
            srv.app.mailbox_notify(&srv.marie(), mailbox).await.unwrap(),
            NotifyMode::DailyDigest
        );
        let res = marie
            .post_form(&path, &[("csrf_token", &mcsrf), ("notify", "weekly")])
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        let res = marie.post_form(&path, &[("notify", "none")]).await;
        assert_eq!(res.status, 403, "no CSRF token");
        assert_eq!(
            srv.app.mailbox_notify(&srv.marie(), mailbox).await.unwrap(),
            NotifyMode::DailyDigest,
            "refused changes change nothing"
        );
    } else {
        panic!("the settings page has no notification form: {}", setup.body);
    }
    // The scan retention on the same page: bad input answered there, a
    // forged form refused, a good one saved, empty keeps scans.
    assert!(
        setup.body.contains("id=\"scan-retention\""),
        "{}",
        setup.body
    );
    let mcsrf = setup.csrf();
    let res = retention(&marie, &mcsrf, "0").await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("1 to 3,650"), "{}", res.body);
    let res = retention(&marie, &mcsrf, "ninety").await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(retention(&marie, "forged", "90").await.status, 403);
    assert_eq!(srv.app.scan_retention(&srv.marie()).await.unwrap(), None);
    let res = retention(&marie, &mcsrf, "90").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("value=\"90\""), "{}", res.body);
    assert_eq!(
        srv.app.scan_retention(&srv.marie()).await.unwrap(),
        Some(90)
    );
    assert_eq!(retention(&marie, &mcsrf, "").await.status, 200);
    assert_eq!(srv.app.scan_retention(&srv.marie()).await.unwrap(), None);
    // The same over the API, with the field named on a refusal.
    let api = marie
        .api(Method::GET, "/api/v1/mailbox/retention", None, None)
        .await;
    assert_eq!(api.status, 200, "{}", api.body);
    assert!(api.json()["scan_days"].is_null());
    let bad = serde_json::json!({ "scan_days": 0 });
    let res = marie
        .api(
            Method::PUT,
            "/api/v1/mailbox/retention",
            Some(&mcsrf),
            Some(bad),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.json()["code"], "mail.retention_invalid");
    assert_eq!(res.json()["field"], "scan_days");
    let good = serde_json::json!({ "scan_days": 365 });
    let res = marie
        .api(
            Method::PUT,
            "/api/v1/mailbox/retention",
            Some(&mcsrf),
            Some(good),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["scan_days"], 365);
    assert_eq!(
        srv.app.scan_retention(&srv.marie()).await.unwrap(),
        Some(365)
    );

    // ---- the organisation's time zone, from its country, set by its admin ----
    let me = marie.api(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(
        me.json()["org"]["time_zone"],
        "Europe/Zurich",
        "{}",
        me.body
    );
    let zone = |name: &str| serde_json::json!({ "time_zone": name });
    let res = marie
        .api(
            Method::PATCH,
            "/api/v1/org",
            Some(&mcsrf),
            Some(zone("Mars/Base")),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.json()["code"], "org.time_zone_unknown");
    assert_eq!(res.json()["field"], "time_zone");
    for name in ["Europe/Paris", "Europe/Zurich"] {
        let res = marie
            .api(Method::PATCH, "/api/v1/org", Some(&mcsrf), Some(zone(name)))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.json()["time_zone"], name);
    }
    // The same from the account page's form; a page shows times in it.
    let page = marie.get("/account").await;
    assert!(page.body.contains("id=\"time-zone-form\""), "{}", page.body);
    let acsrf = page.csrf();
    let res = marie
        .post_form(
            "/org/settings/time-zone",
            &[("csrf_token", acsrf.as_str()), ("time_zone", "Mars/Base")],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("role=\"alert\""), "{}", res.body);
    let res = marie
        .post_form(
            "/org/settings/time-zone",
            &[("csrf_token", acsrf.as_str()), ("time_zone", "Asia/Tokyo")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(
        marie
            .get("/account")
            .await
            .body
            .contains("value=\"Asia/Tokyo\"")
    );
    assert!(
        marie.get("/org/audit").await.body.contains(" JST"),
        "audit times in Tokyo's zone"
    );
    let res = marie
        .post_form(
            "/org/settings/time-zone",
            &[
                ("csrf_token", acsrf.as_str()),
                ("time_zone", "Europe/Zurich"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);

    // ---- a scan of a PDF and a photo through the task form ----
    let (item, task) = scan_task(&srv, 0).await;
    let tcsrf = tom_b.get("/center/tasks").await.csrf();
    let path = format!("/center/tasks/{task}/complete");
    let fields = [
        ("csrf_token", tcsrf.as_str()),
        ("location", loc.as_str()),
        ("completion", "scan"),
    ];
    let (ct, body) = multipart(&fields, &[("page1.pdf", &scan_pdf()), ("notes.txt", b"hi")]);
    let res = Resp::read(
        tom_b
            .client
            .post(tom_b.url(&path))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body.contains("notes.txt"),
        "the file is named: {}",
        res.body
    );
    let view = srv.app.mail_item(&srv.marie(), item).await.unwrap();
    assert_eq!(view.item.scan_document, None, "the task stays open");
    let (ct, body) = multipart(&fields, &[("page1.pdf", &scan_pdf()), ("page2.png", PNG)]);
    let res = Resp::read(
        tom_b
            .client
            .post(tom_b.url(&path))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let view = srv.app.mail_item(&srv.marie(), item).await.unwrap();
    assert_eq!(view.item.pages, Some(2), "one PDF page and one photo");

    // ---- the same through the API ----
    let (item, task) = scan_task(&srv, 1).await;
    // Keys are made by the owner; this one can only operate the center.
    let o = user(&srv.app, OLIVIER).await;
    let owner = Actor::user(o.id, o.org, OrgKind::MailCenter, Role::Owner, None);
    let key = srv.key(&owner, &[Permission::MailCenterOperate]).await;
    let api = srv.api(&key);
    let (ct, body) = multipart(
        &[],
        &[("a.png", PNG), ("b.png", PNG), ("c.pdf", &scan_pdf())],
    );
    let res = api
        .send(
            api.request(Method::POST, &format!("/api/v1/center/tasks/{task}/scan"))
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["state"], "done");
    let view = srv.app.mail_item(&srv.marie(), item).await.unwrap();
    assert_eq!(view.item.pages, Some(3));
    let (ct, body) = multipart(&[], &[("a.png", PNG)]);
    let again = api
        .send(
            api.request(Method::POST, &format!("/api/v1/center/tasks/{task}/scan"))
                .header("content-type", ct)
                .body(body),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.code(), "task.not_open");
    srv.stop().await;
}
