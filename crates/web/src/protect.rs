//! Protections applied to every request: the client's real address behind
//! trusted proxies, security headers on every answer, and tokens kept out of
//! the request log.

use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

/// The address of the client a request comes from, after trusted proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Believes `X-Forwarded-For` (or, without it, RFC 7239 `Forwarded: for=`)
/// only from a trusted peer, read right to left: each hop a trusted proxy
/// added is skipped, and the first address not trusted is the client. An
/// untrusted peer's headers are ignored. A hop that is not an address
/// (`unknown`, an obfuscated name) ends the walk at the last proxy known.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// IPv4-mapped IPv6 addresses (a dual-stack listener's view of IPv4) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The hops, left (client side) to right (nearest proxy), from every
/// `X-Forwarded-For` header, or from `Forwarded` when there is none.
fn forwarded_hops(headers: &HeaderMap) -> Vec<String> {
    let texts = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .collect()
    };
    let xff = texts("x-forwarded-for");
    if !xff.is_empty() {
        return xff;
    }
    texts("forwarded")
        .iter()
        .map(|element| {
            element
                .split(';')
                .find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_default()
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `"[2001:db8::1]:4711"`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = hop.parse::<SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    let inner = hop.strip_prefix('[')?.split(']').next()?;
    inner.parse::<IpAddr>().ok().map(canonical)
}

/// Puts the request's [`ClientAddr`] in its extensions.
pub async fn resolve_client(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
    {
        let ip = client_addr(peer, req.headers(), &s.web.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

/// The Content-Security-Policy of every page: scripts and styles from
/// Courrier only (no inline script, no style attributes), no plugins, never
/// inside a frame, forms posting back to Courrier only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The policy of a page showing a PDF it carries as a `data:` URL in an
/// `<object>` (the merge preview): the same, with `data:` objects allowed.
pub const PREVIEW_PDF_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The policy of a PDF: Courrier's own pages may show it in a frame (a
/// scan on the item's page); the browser's PDF viewer needs nothing more.
pub const PDF_POLICY: &str = "frame-ancestors 'self'";

/// Adds the security headers to every answer. A handler that needs another
/// policy (a PDF shown in an `<object>`) sets its own
/// `Content-Security-Policy`, which is kept.
pub async fn security_headers(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let pdf = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/pdf"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if pdf {
                PDF_POLICY
            } else {
                CONTENT_SECURITY_POLICY
            }),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(if pdf { "SAMEORIGIN" } else { "DENY" }),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if s.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// Paths whose last segment is a secret (a password-reset, invitation or
/// activation token).
const TOKEN_PATHS: &[&str] = &["/password-reset/", "/invitations/", "/signup/activate/"];

/// The path as it may be logged: a token in it replaced by `<redacted>`.
pub fn loggable_path(path: &str) -> Cow<'_, str> {
    for prefix in TOKEN_PATHS {
        if let Some(rest) = path.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let tail = rest.find('/').map_or("", |i| rest.get(i..).unwrap_or(""));
            return Cow::Owned(format!("{prefix}<redacted>{tail}"));
        }
    }
    Cow::Borrowed(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_only_from_trusted_peers() {
        let trusted = crate::state::parse_trusted_proxies(&["10.0.0.0/8", "fd00::/8"]).unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.9")]);
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_addr(ip("198.51.100.7"), &xff, &trusted),
            ip("198.51.100.7")
        );
        // Without any trusted proxy, nobody is believed.
        assert_eq!(client_addr(ip("10.0.0.1"), &xff, &[]), ip("10.0.0.1"));
        assert_eq!(
            client_addr(ip("10.0.0.1"), &xff, &trusted),
            ip("203.0.113.9")
        );
        // Right to left: a client-supplied first hop cannot spoof the address.
        let spoof = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(
            client_addr(ip("10.0.0.1"), &spoof, &trusted),
            ip("203.0.113.9")
        );
        // Several headers are one list.
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_addr(ip("10.0.0.1"), &split, &trusted),
            ip("203.0.113.9")
        );
        // RFC 7239, with an IPv6 client and a port.
        let fwd = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=https, For=\"[2001:db8:cafe::17]:4711\"",
        )]);
        assert_eq!(
            client_addr(ip("fd00::1"), &fwd, &trusted),
            ip("2001:db8:cafe::17")
        );
        // Garbage stops the walk at the last proxy known.
        let junk = headers(&[("x-forwarded-for", "unknown, 10.2.2.2")]);
        assert_eq!(client_addr(ip("10.0.0.1"), &junk, &trusted), ip("10.2.2.2"));
        // All hops trusted: the leftmost.
        let inner = headers(&[("x-forwarded-for", "10.3.3.3")]);
        assert_eq!(
            client_addr(ip("10.0.0.1"), &inner, &trusted),
            ip("10.3.3.3")
        );
        // An IPv4-mapped peer is its IPv4 address.
        assert_eq!(
            client_addr(ip("::ffff:10.0.0.1"), &xff, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn tokens_stay_out_of_logged_paths() {
        assert_eq!(
            loggable_path("/password-reset/AbC123secret"),
            "/password-reset/<redacted>"
        );
        assert_eq!(
            loggable_path("/invitations/tok/accept"),
            "/invitations/<redacted>/accept"
        );
        assert_eq!(
            loggable_path("/signup/activate/s3cr3t"),
            "/signup/activate/<redacted>"
        );
        assert_eq!(loggable_path("/letters/42"), "/letters/42");
        assert_eq!(loggable_path("/password-reset"), "/password-reset");
    }
}
