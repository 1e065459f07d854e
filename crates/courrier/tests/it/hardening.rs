//! Hardening over HTTP, on both backends: the client address behind a
//! trusted proxy (throttles per real client, the audit log naming it, the
//! headers of anyone else ignored), `/metrics` behind its token, the
//! security headers and pages without inline script, and the
//! per-organisation API rate limit.

use crate::support::*;
use courrier_domain::{Permission, UserId};
use courrier_web::{WebSettings, parse_trusted_proxies};

on_both_backends!(
    throttles_behind_a_trusted_proxy,
    forwarded_headers_from_untrusted_peers_are_ignored,
    metrics_need_their_token,
    security_headers_and_no_inline_script,
    api_rate_limit_per_organisation,
);

fn behind_proxy() -> WebSettings {
    WebSettings {
        trusted_proxies: parse_trusted_proxies(&["127.0.0.1/32", "::1/128"]).unwrap(),
        ..WebSettings::default()
    }
}

/// The client address of the person's last `user.signed_in` audit entry.
async fn last_sign_in_ip(srv: &Server, org: courrier_domain::OrgId, user: UserId) -> String {
    let (entries, _) = srv.app.store.audit_chain(org).await.unwrap();
    entries
        .iter()
        .rev()
        .find(|e| e.action == "user.signed_in" && e.target == user.to_string())
        .and_then(|e| e.ip.clone())
        .unwrap_or_else(|| panic!("no sign-in of {user} with an address"))
}

async fn throttles_behind_a_trusted_proxy(backend: Backend) {
    let srv = Server::start_with(backend, behind_proxy(), None).await;
    let guesser = Browser::with_header(&srv.base, "x-forwarded-for", "203.0.113.5");
    // Fifty wrong passwords from one client (on unknown addresses, so no
    // address lock) close that client's door...
    for i in 0..50 {
        let res = guesser
            .login(&format!("nobody{i}@nowhere.test"), "wrong password")
            .await;
        assert_eq!(res.status, 422, "attempt {i}: {}", res.body);
    }
    let res = guesser.login(SARA, PASSWORD).await;
    assert_eq!(res.status, 429, "{}", res.body);
    // ...and not everybody else's, although all come from the proxy.
    let other = Browser::with_header(&srv.base, "x-forwarded-for", "198.51.100.23");
    let res = other.login(SARA, PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        last_sign_in_ip(&srv, srv.demo.helvetia, srv.demo.sara).await,
        "198.51.100.23",
        "the audit log names the client, not the proxy"
    );
    // RFC 7239 works too, and an IPv6 client counts by its /64: another
    // address of the same network is the same client.
    let v6 = Browser::with_header(&srv.base, "forwarded", "for=\"[2001:db8:1:2::10]:5555\"");
    for i in 0..50 {
        let res = v6
            .login(&format!("nobody{i}@nowhere.test"), "wrong password")
            .await;
        assert_eq!(res.status, 422, "attempt {i}: {}", res.body);
    }
    let same_net = Browser::with_header(&srv.base, "forwarded", "for=\"[2001:db8:1:2::99]\"");
    assert_eq!(same_net.login(MARIE, PASSWORD).await.status, 429);
    let next_net = Browser::with_header(&srv.base, "forwarded", "for=\"[2001:db8:1:3::99]\"");
    assert_eq!(next_net.login(MARIE, PASSWORD).await.status, 303);
    assert_eq!(
        last_sign_in_ip(&srv, srv.demo.dupont, srv.demo.marie).await,
        "2001:db8:1:3::99"
    );
    drop((guesser, other, v6, same_net, next_net));
    srv.stop().await;
}

async fn forwarded_headers_from_untrusted_peers_are_ignored(backend: Backend) {
    // No trusted proxy: the peer (this test, 127.0.0.1) is the client.
    let srv = Server::start(backend).await;
    let b = Browser::with_header(&srv.base, "x-forwarded-for", "203.0.113.77");
    assert_eq!(b.login(SARA, PASSWORD).await.status, 303);
    assert_eq!(
        last_sign_in_ip(&srv, srv.demo.helvetia, srv.demo.sara).await,
        "127.0.0.1"
    );
    // A made-up address per request does not escape the address throttle.
    for i in 0..50 {
        let spoof = Browser::with_header(&srv.base, "x-forwarded-for", &format!("203.0.113.{i}"));
        let res = spoof
            .login(&format!("nobody{i}@nowhere.test"), "wrong password")
            .await;
        assert_eq!(res.status, 422, "attempt {i}: {}", res.body);
    }
    let spoof = Browser::with_header(&srv.base, "x-forwarded-for", "192.0.2.200");
    assert_eq!(spoof.login(MARIE, PASSWORD).await.status, 429);
    drop((b, spoof));
    srv.stop().await;
}

async fn metrics_need_their_token(backend: Backend) {
    // Without a token configured there is no /metrics.
    let srv = Server::start(backend).await;
    let anon = srv.anonymous_api();
    assert_eq!(anon.get("/metrics").await.status, 404);
    drop(anon);
    srv.stop().await;

    let web = WebSettings {
        metrics_token: Some("s3cret-metrics".into()),
        ..WebSettings::default()
    };
    let srv = Server::start_with(backend, web, None).await;
    let anon = srv.anonymous_api();
    let res = anon.get("/metrics").await;
    assert_eq!(res.status, 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    let res = srv.api("not-the-token").get("/metrics").await;
    assert_eq!(res.status, 401);
    let res = srv.api("s3cret-metrics").get("/metrics").await;
    assert_eq!(res.status, 200);
    assert!(
        res.body.contains("courrier_http_requests_total"),
        "{}",
        res.body
    );
    drop(anon);
    srv.stop().await;
}

async fn security_headers_and_no_inline_script(backend: Backend) {
    let srv = Server::start(backend).await;
    let b = srv.signed_in(ANNA).await;
    let anon = srv.browser();
    for (who, path) in [
        (&anon, "/login"),
        (&anon, "/no/such/page"),
        (&b, "/"),
        (&b, "/account"),
        (&b, "/org/users"),
        (&b, "/letters"),
        (&b, "/mail"),
        (&anon, "/api/v1/docs"),
    ] {
        let res = who.get(path).await;
        let csp = res.header("content-security-policy").unwrap_or("");
        for part in [
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(
            res.header("strict-transport-security"),
            None,
            "{path}: plain http"
        );
        let html = res.body.to_lowercase();
        assert!(!html.contains("<script>"), "{path} has an inline script");
        assert!(!html.contains(" style=\""), "{path} has a style attribute");
        for handler in [" onclick=", " onsubmit=", " onchange=", " onload="] {
            assert!(!html.contains(handler), "{path} has{handler}");
        }
    }
    // The scripts the pages load are served.
    for js in ["/static/app.js", "/static/api-docs.js"] {
        let res = anon.get(js).await;
        assert_eq!(res.status, 200, "{js}");
        assert!(
            res.header("content-type")
                .unwrap()
                .starts_with("text/javascript")
        );
    }
    drop((b, anon));
    srv.stop().await;

    // Behind https, browsers are told to stay on https.
    let srv = Server::start_with(
        backend,
        WebSettings::default(),
        Some("https://courrier.example"),
    )
    .await;
    let res = srv.browser().get("/login").await;
    assert_eq!(
        res.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    srv.stop().await;
}

async fn api_rate_limit_per_organisation(backend: Backend) {
    let web = WebSettings {
        api_rate_per_minute: Some(60),
        api_rate_burst: 5,
        ..WebSettings::default()
    };
    let srv = Server::start_with(backend, web, None).await;
    let helvetia = srv.api(&srv.key(&srv.anna(), &[Permission::UsersManage]).await);
    let dupont = srv.api(&srv.key(&srv.marie(), &[Permission::UsersManage]).await);
    for i in 0..5 {
        let res = helvetia.get("/api/v1/me").await;
        assert_eq!(res.status, 200, "request {i}: {}", res.body);
    }
    let res = helvetia.get("/api/v1/me").await;
    assert_eq!(res.status, 429, "{}", res.body);
    assert_eq!(res.code(), "rate_limited");
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    // Another organisation has its own budget.
    let res = dupont.get("/api/v1/me").await;
    assert_eq!(res.status, 200, "{}", res.body);
    // After a second, one more request of the first is allowed.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(helvetia.get("/api/v1/me").await.status, 200);
    drop((helvetia, dupont));
    srv.stop().await;
}
