//! Reports over HTTP: the JSON API (`/api/v1/report-schedules…`,
//! `/api/v1/reports…`) and the `/org/reports` page with its CSV downloads at
//! `/reports/<id>.csv`, on an in-process server with the demo data, on both
//! backends. Another organisation's ids answer 404 everywhere. Making and
//! sending reports is tested in `crates/app/tests/reports.rs`.

use crate::support::*;
use courrier_domain::Permission;
use reqwest::Method;
use serde_json::json;

on_both_backends!(reports_api_and_tenancy, reports_page_and_downloads);

const BOM: char = '\u{feff}';

fn assert_csv_download(res: &Resp) {
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.header("content-type").unwrap().starts_with("text/csv"),
        "{:?}",
        res.header("content-type")
    );
    let disposition = res.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"courrier-letters-"),
        "{disposition}"
    );
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    assert!(res.body.starts_with(BOM), "UTF-8 BOM");
    assert!(res.body.contains("letter id;created;submitted;reference;"));
}

async fn reports_api_and_tenancy(backend: Backend) {
    let srv = Server::start(backend).await;
    let anna = srv.api(&srv.key(&srv.anna(), &[Permission::OrgSettings]).await);
    let marie = srv.api(&srv.key(&srv.marie(), &[Permission::OrgSettings]).await);
    let reader = srv.api(&srv.key(&srv.anna(), &[Permission::LettersRead]).await);

    // Schedules.
    let res = anna
        .call(
            Method::POST,
            "/api/v1/report-schedules",
            Some(json!({"frequency": "weekly", "email": "books@helvetia.test"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let schedule = res.json();
    let schedule_id = schedule["id"].as_str().unwrap().to_string();
    assert_eq!(schedule["frequency"], "weekly");
    assert_eq!(schedule["email"], "books@helvetia.test");
    assert_eq!(schedule["disabled_at"], json!(null));
    // 2026-01-01 is a Thursday: the first report is due Monday, midnight in Zurich.
    assert_eq!(schedule["next_run_at"], "2026-01-04T23:00:00Z");
    let res = anna
        .call(
            Method::POST,
            "/api/v1/report-schedules",
            Some(json!({"frequency": "hourly", "email": "books@helvetia.test"})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.code(), "report.frequency_invalid");
    assert_eq!(res.json()["field"], "frequency");
    assert_eq!(reader.get("/api/v1/report-schedules").await.status, 403);
    let list = anna.get("/api/v1/report-schedules").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.json()["items"][0]["id"], schedule_id.as_str());
    assert!(
        marie.get("/api/v1/report-schedules").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A report on demand, and its CSV.
    let res = anna
        .call(
            Method::POST,
            "/api/v1/reports",
            Some(json!({"from": "2025-12-01", "to": "2026-01-31"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let report = res.json();
    let id = report["id"].as_str().unwrap().to_string();
    assert_eq!(report["from"], "2025-12-01");
    assert_eq!(report["to"], "2026-01-31");
    assert_eq!(report["schedule_id"], json!(null));
    assert_eq!(report["period_from"], "2025-11-30T23:00:00Z");
    let download = format!("{}/api/v1/reports/{id}", srv.base);
    assert_eq!(report["download_url"], download.as_str());
    assert_eq!(
        report["web_url"],
        format!("{}/reports/{id}.csv", srv.base).as_str()
    );
    let csv = anna.get(&format!("/api/v1/reports/{id}")).await;
    assert_csv_download(&csv);
    assert_eq!(
        csv.body.trim_end().lines().count() as i64,
        report["rows"].as_i64().unwrap() + 1,
        "a header and one line per letter"
    );
    let res = anna
        .call(
            Method::POST,
            "/api/v1/reports",
            Some(json!({"from": "2026-02-01", "to": "2026-01-01"})),
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.code(), "report.period_invalid");
    let listed = anna.get("/api/v1/reports").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["items"][0]["id"], id.as_str());
    assert_eq!(
        reader.get(&format!("/api/v1/reports/{id}")).await.status,
        403
    );

    // Another organisation's ids are 404, malformed ones too.
    for (method, path) in [
        (Method::GET, format!("/api/v1/reports/{id}")),
        (
            Method::DELETE,
            format!("/api/v1/report-schedules/{schedule_id}"),
        ),
        (Method::GET, "/api/v1/reports/not-a-uuid".to_string()),
        (
            Method::DELETE,
            format!("/api/v1/report-schedules/{}", uuid::Uuid::new_v4()),
        ),
    ] {
        let res = marie.call(method.clone(), &path, None).await;
        assert_eq!(res.status, 404, "{method} {path}: {}", res.body);
        assert_eq!(res.code(), "not_found");
    }
    assert!(
        marie.get("/api/v1/reports").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let res = anna
        .call(
            Method::DELETE,
            &format!("/api/v1/report-schedules/{schedule_id}"),
            None,
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let list = anna.get("/api/v1/report-schedules").await;
    assert!(list.json()["items"][0]["disabled_at"].is_string());
    srv.stop().await;
}

async fn reports_page_and_downloads(backend: Backend) {
    let srv = Server::start(backend).await;
    let anna = srv.signed_in(ANNA).await;
    let home = anna.get("/").await;
    assert!(
        home.body.contains(r#"href="/org/reports""#),
        "nav link for admins"
    );

    let page = anna.get("/org/reports").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    let res = anna
        .post_form(
            "/org/reports",
            &[
                ("csrf_token", &csrf),
                ("frequency", "monthly"),
                ("email", "books@helvetia.test"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = anna.get("/org/reports?scheduled=1").await;
    assert!(page.body.contains("books@helvetia.test"));
    assert!(page.body.contains(r#"id="scheduled""#));
    let refused = anna
        .post_form(
            "/org/reports",
            &[
                ("csrf_token", &csrf),
                ("frequency", "monthly"),
                ("email", "not an address"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("not an address"), "the entry is kept");
    let stale = anna
        .post_form(
            "/org/reports",
            &[
                ("csrf_token", "forged"),
                ("frequency", "monthly"),
                ("email", "x@helvetia.test"),
            ],
        )
        .await;
    assert_eq!(stale.status, 403);

    // Download now: a report made and the browser sent to its CSV.
    let res = anna
        .post_form(
            "/org/reports/generate",
            &[
                ("csrf_token", &csrf),
                ("from", "2025-12-01"),
                ("to", "2026-01-31"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.location().unwrap().to_string();
    assert!(
        location.starts_with("/reports/") && location.ends_with(".csv"),
        "{location}"
    );
    assert_csv_download(&anna.get(&location).await);
    let page = anna.get("/org/reports").await;
    assert!(page.body.contains(&format!(r#"href="{location}""#)));
    let refused = anna
        .post_form(
            "/org/reports/generate",
            &[
                ("csrf_token", &csrf),
                ("from", "2026-02-01"),
                ("to", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);

    // Another organisation's people get a 404; visitors are asked to sign in.
    let marie = srv.signed_in(MARIE).await;
    for path in [
        location.clone(),
        location.trim_end_matches(".csv").to_string(),
        "/reports/not-a-report.csv".to_string(),
    ] {
        let res = marie.get(&path).await;
        assert_eq!(res.status, 404, "{path}: {}", res.body);
        assert!(!res.body.contains("letter id;"));
    }
    let visitor = srv.browser().get(&location).await;
    assert_eq!(visitor.status, 303);
    assert!(visitor.location().unwrap().starts_with("/login?next="));

    // Stopping a schedule: only in its own organisation.
    let schedule = srv
        .app
        .list_report_schedules(&srv.anna())
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let marie_csrf = marie.csrf().await;
    let res = marie
        .post_form(
            &format!("/org/reports/schedules/{}/disable", schedule.id),
            &[("csrf_token", &marie_csrf)],
        )
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    let res = anna
        .post_form(
            &format!("/org/reports/schedules/{}/disable", schedule.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let fr = srv.app.list_report_schedules(&srv.anna()).await.unwrap();
    assert!(fr[0].disabled_at.is_some());
    srv.stop().await;
}
