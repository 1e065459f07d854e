//! Carrier tariffs over HTTP, on both backends: the API for the platform
//! admin's key (list, one carrier, a save with its version, 409 on a stale
//! version, 422 with field and code, 403 for everyone else) and a quote
//! that follows the saved price; the platform admin's pages in French and
//! English, whose form keeps every typed value when it is refused.

use crate::support::*;
use courrier_domain::letters::TariffTable;
use courrier_domain::{Actor, OrgKind, Permission, Role};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(tariffs_api, tariffs_pages);

const PLATFORM_ADMIN: &str = "admin@courrier.test";

async fn platform_admin(srv: &Server) -> Actor {
    let u = user(&srv.app, PLATFORM_ADMIN).await;
    Actor::user(u.id, u.org, OrgKind::Platform, Role::PlatformAdmin, None)
}

/// A one-page letter to a Lausanne bakery.
fn sample() -> Vec<u8> {
    courrier_documents::sample::letters_pdf(
        &[courrier_documents::sample::SampleLetter {
            address: vec![
                "Boulangerie Dupont SàRL".into(),
                "Rue de Bourg 12".into(),
                "1003 Lausanne".into(),
            ],
            pages: 1,
            reference: "Q".into(),
        }],
        &[
            "Helvetia Fiduciaire SA",
            "Avenue de la Gare 1, 1003 Lausanne",
        ],
    )
}

async fn quote_net(api: &Api) -> i64 {
    let q = api
        .send(
            api.request(Method::POST, "/api/v1/quotes?envelope=c5&colour=bw")
                .header("content-type", "application/pdf")
                .body(sample()),
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    q.json()["price"]["net"]["amount_minor"].as_i64().unwrap()
}

/// The body of a save: the table as read, at `version`.
fn body_of(table: &Value, version: i64) -> Value {
    json!({
        "version": version,
        "carrier": table["carrier"],
        "steps": table["steps"],
        "fees": table["fees"],
        "vat_rate_bp": table["vat_rate_bp"],
    })
}

async fn tariffs_api(backend: Backend) {
    let srv = Server::start(backend).await;
    let admin = srv.api(
        &srv.key(&platform_admin(&srv).await, &[Permission::PlatformAdmin])
            .await,
    );
    let anna = srv.api(
        &srv.key(
            &srv.anna(),
            &[Permission::LettersSend, Permission::LettersRead],
        )
        .await,
    );

    let list = admin.get("/api/v1/tariffs").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(
        items
            .iter()
            .map(|t| t["country"].clone())
            .collect::<Vec<_>>(),
        [json!("BE"), json!("CH"), json!("FR")]
    );
    assert!(items.iter().all(|t| t["version"] == 1));

    let ch = admin.get("/api/v1/tariffs/ch").await;
    assert_eq!(ch.status, 200, "{}", ch.body);
    let ch = ch.json();
    let seed = TariffTable::swiss_post();
    assert_eq!(ch["carrier"], seed.carrier());
    assert_eq!(ch["currency"], "CHF");
    assert_eq!(ch["vat_rate_bp"], 810);
    assert_eq!(ch["updated_by"], "system:seed");
    assert_eq!(
        ch["steps"][0]["priority"].as_i64(),
        Some(seed.steps()[0].priority)
    );
    assert_eq!(admin.get("/api/v1/tariffs/DE").await.status, 404);

    let net_before = quote_net(&anna).await;

    // Raise every priority price by 0.50 and the per-letter fee by 0.05.
    let mut raised = body_of(&ch, 1);
    for step in raised["steps"].as_array_mut().unwrap() {
        step["priority"] = json!(step["priority"].as_i64().unwrap() + 50);
    }
    raised["fees"]["per_letter"] = json!(ch["fees"]["per_letter"].as_i64().unwrap() + 5);
    let res = admin
        .call(Method::PUT, "/api/v1/tariffs/CH", Some(raised.clone()))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let saved = res.json();
    assert_eq!(saved["version"], 2);
    assert!(
        saved["updated_by"].as_str().unwrap().starts_with("apikey:"),
        "{saved}"
    );
    assert_eq!(
        saved["steps"][0]["priority"].as_i64(),
        Some(seed.steps()[0].priority + 50)
    );
    assert_eq!(quote_net(&anna).await, net_before + 55, "quotes follow");

    // The same body again is based on version 1: 409, nothing saved.
    let mut stale = raised.clone();
    stale["carrier"] = json!("Stale Post");
    let res = admin
        .call(Method::PUT, "/api/v1/tariffs/CH", Some(stale))
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.code(), "tariff.changed");

    // Steps out of order: 422 naming the field and the rule.
    let mut reversed = body_of(&saved, 2);
    reversed["steps"].as_array_mut().unwrap().reverse();
    let res = admin
        .call(Method::PUT, "/api/v1/tariffs/CH", Some(reversed))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.code(), "tariff.invalid");
    assert_eq!(res.json()["field"], "steps");
    let mut too_much_vat = body_of(&saved, 2);
    too_much_vat["vat_rate_bp"] = json!(10_001);
    let res = admin
        .call(Method::PUT, "/api/v1/tariffs/CH", Some(too_much_vat))
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.json()["field"], "vat_rate");

    let now = admin.get("/api/v1/tariffs/CH").await.json();
    assert_eq!(now["version"], 2);
    assert_eq!(now["carrier"], seed.carrier());
    assert_eq!(now["steps"], saved["steps"]);
    assert_eq!(
        admin
            .call(Method::PUT, "/api/v1/tariffs/DE", Some(body_of(&saved, 1)))
            .await
            .status,
        404
    );

    // Everyone else: 403, for reading and for saving.
    for path in ["/api/v1/tariffs", "/api/v1/tariffs/CH"] {
        let res = anna.get(path).await;
        assert_eq!(res.status, 403, "{path}: {}", res.body);
        assert_eq!(res.code(), "auth.forbidden");
    }
    let res = anna
        .call(Method::PUT, "/api/v1/tariffs/CH", Some(body_of(&now, 2)))
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(admin.get("/api/v1/tariffs/CH").await.json()["version"], 2);

    // The OpenAPI document lists the endpoints.
    let doc = admin.get("/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/tariffs/{country}"]["put"].is_object());
    srv.stop().await;
}

/// The form fields of the edit page as it comes, for a POST.
fn form_of(page: &str, csrf: &str) -> Vec<(String, String)> {
    let value = |name: &str| {
        scrape_attr(page, &format!(r#"name="{name}" value=""#))
            .unwrap_or_else(|| panic!("no field {name}"))
    };
    let rows: usize = value("rows").parse().unwrap();
    let mut form = vec![
        ("csrf_token".to_string(), csrf.to_string()),
        ("version".into(), value("version")),
        ("rows".into(), rows.to_string()),
        ("carrier".into(), value("carrier")),
        ("vat_rate".into(), value("vat_rate")),
    ];
    for f in [
        "per_letter",
        "per_sheet_bw",
        "per_sheet_colour",
        "registered",
        "acknowledgement_of_receipt",
    ] {
        form.push((f.into(), value(f)));
    }
    for i in 0..rows {
        for f in ["grams", "priority", "standard", "europe", "world"] {
            let name = format!("s{i}_{f}");
            form.push((name.clone(), value(&name)));
        }
    }
    form
}

fn set(form: &mut [(String, String)], name: &str, v: &str) {
    let field = form
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    field.1 = v.to_string();
}

async fn post(b: &Browser, path: &str, form: &[(String, String)]) -> Resp {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form(path, &pairs).await
}

async fn tariffs_pages(backend: Backend) {
    let srv = Server::start(backend).await;
    let b = srv.signed_in(PLATFORM_ADMIN).await;
    let csrf = b.csrf().await;
    let res = b
        .post_form("/lang", &[("locale", "en"), ("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status, 303);

    let admin = b.get("/admin/orgs").await;
    assert!(
        admin.body.contains(r#"href="/admin/tariffs""#),
        "link from the platform page"
    );
    let list = b.get("/admin/tariffs").await;
    assert_eq!(list.status, 200, "{}", list.body);
    for carrier in ["Swiss Post", "bpost", "La Poste"] {
        assert!(list.body.contains(carrier), "{carrier}");
    }
    assert!(list.body.contains("8.1 %") && list.body.contains("Carrier tariffs"));

    let page = b.get("/admin/tariffs/CH").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(r#"name="s0_priority" value="1.30""#),
        "seed price in major units"
    );
    assert!(page.body.contains(r#"name="vat_rate" value="8.1""#));
    let rows: usize = scrape_attr(&page.body, r#"name="rows" value=""#)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        rows,
        TariffTable::swiss_post().steps().len() + 1,
        "a blank row to add a step"
    );
    let form = form_of(&page.body, &csrf);

    // A price with three decimals and a bad VAT rate: 422, each error next
    // to its field with its code, every typed value kept.
    let mut bad = form.clone();
    set(&mut bad, "s0_priority", "1.234");
    set(&mut bad, "vat_rate", "huit");
    set(&mut bad, "s1_standard", "1.15");
    let res = post(&b, "/admin/tariffs/CH", &bad).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body
            .contains(r#"data-field="s0_priority" data-code="tariff.amount_invalid""#),
        "{}",
        res.body
    );
    assert!(
        res.body
            .contains(r#"data-field="vat_rate" data-code="tariff.vat_invalid""#)
    );
    assert!(
        res.body.contains(r#"value="1.234""#)
            && res.body.contains(r#"value="huit""#)
            && res.body.contains(r#"value="1.15""#)
    );
    assert_eq!(
        srv.app
            .tariff(&platform_admin(&srv).await, "CH")
            .await
            .unwrap()
            .version,
        1
    );

    // A valid change: a new step in the blank row, the 20 g step removed,
    // the priority price of 50 g raised. Saved as version 2.
    let mut good = form.clone();
    set(&mut good, "s1_priority", "1,45");
    let blank = rows - 1;
    for (f, v) in [
        ("grams", "750"),
        ("priority", "3.50"),
        ("standard", "3.10"),
        ("europe", "20"),
        ("world", "30.5"),
    ] {
        set(&mut good, &format!("s{blank}_{f}"), v);
    }
    good.push(("s0_remove".into(), "on".into()));
    let res = post(&b, "/admin/tariffs/CH", &good).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/admin/tariffs/CH?saved=2"));
    let saved = srv
        .app
        .tariff(&platform_admin(&srv).await, "CH")
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    let grams: Vec<u32> = saved.table.steps().iter().map(|s| s.up_to_grams).collect();
    assert_eq!(
        grams,
        [50, 100, 250, 500, 750, 1000],
        "20 g gone, 750 g in weight order"
    );
    assert_eq!(saved.table.steps()[0].priority, 145);
    assert_eq!(saved.table.steps()[4].international_world, 3050);
    let page = b.get("/admin/tariffs/CH?saved=2").await;
    assert!(page.body.contains(r#"id="saved""#));
    assert!(
        page.body.contains(r#"data-version="2""#) && page.body.contains(r#"data-version="1""#),
        "history"
    );

    // The old form again, based on version 1: 409, said so, values kept.
    let mut stale = form.clone();
    set(&mut stale, "carrier", "Swiss Post (stale)");
    let res = post(&b, "/admin/tariffs/CH", &stale).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(
        res.body.contains(r#"data-code="tariff.changed""#),
        "{}",
        res.body
    );
    assert!(res.body.contains(r#"value="Swiss Post (stale)""#));
    assert!(
        res.body.contains(r#"name="version" value="2""#),
        "the form now builds on version 2"
    );
    assert_eq!(
        srv.app
            .tariff(&platform_admin(&srv).await, "CH")
            .await
            .unwrap()
            .version,
        2
    );

    // Without the CSRF token: refused.
    let mut no_csrf = form.clone();
    set(&mut no_csrf, "csrf_token", "");
    assert_eq!(post(&b, "/admin/tariffs/CH", &no_csrf).await.status, 403);

    // In French.
    let res = b
        .post_form("/lang", &[("locale", "fr"), ("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status, 303);
    let page = b.get("/admin/tariffs/CH").await;
    assert!(page.body.contains(r#"<html lang="fr">"#));
    assert!(page.body.contains("Paliers de poids") && page.body.contains("Historique"));
    let res = post(&b, "/admin/tariffs/CH", &bad).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("Indiquez un montant tel que 1.20"),
        "{}",
        res.body
    );

    // A customer's admin may not see the page.
    let anna = srv.signed_in(ANNA).await;
    assert_eq!(anna.get("/admin/tariffs").await.status, 403);
    assert_eq!(anna.get("/admin/tariffs/CH").await.status, 403);
    srv.stop().await;
}
