//! Webhooks: an organisation registers HTTPS endpoints and Courrier POSTs its
//! events to them, signed, with retries, as Stripe or Lob do.
//!
//! - **Registering** needs `org.settings`. The endpoint's signing secret
//!   (`whsec_…`) is generated here, shown once, and stored sealed with the
//!   organisation key. Endpoints must be public `https://` addresses: a
//!   literal address or name (`localhost`) on this machine or a private
//!   network is refused (`webhook.url_private`). Loopback and private
//!   addresses (and plain `http://` to them) are accepted only when
//!   [`crate::Settings::webhooks_allow_private`] is on (a development
//!   instance, tests); link-local (cloud metadata), multicast, documentation
//!   and reserved addresses never are.
//! - **Emitting**: the events reporting a change go into the [`Outbox`] of
//!   the store method that makes it ([`App::outbox`], [`App::webhook_event`]),
//!   so each delivery is written with its job in the change's own
//!   transaction; a crash after the commit loses no event. [`App::emit`]
//!   queues an event that reports no stored change. Each delivery keeps the
//!   exact body, so a retry sends the same bytes.
//! - **Delivering** ([`crate::jobs::JobKind::DeliverWebhook`]): a POST of the
//!   raw JSON body `{"id","type","created","data"}` with the headers
//!   `Courrier-Event`, `Courrier-Delivery` and
//!   `Courrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//!   signed anew at each attempt; 10 s timeout; redirects are not followed;
//!   no proxy. The name is resolved by [`GuardedResolver`], which refuses
//!   every address the registration rule refuses (DNS may have changed
//!   since), and a literal address is checked before connecting, so nothing
//!   is sent inside. The delivery log records a [`DeliveryError`] class
//!   (`timeout`, `dns`, `private_address`, `refused`, `tls`, `http_4xx`, …),
//!   never the raw error, which goes to the server log only.
//!   A 2xx answer is delivered; `410 Gone` disables the endpoint; anything
//!   else is retried with the job queue's backoff, up to
//!   [`MAX_ATTEMPTS`] attempts. A delivery that gives up is marked failed and
//!   the organisation's administrators get an e-mail (at most one a day per
//!   endpoint).
//! - **Receiving**: customers check the header with [`verify_signature`]
//!   (the reference implementation of the scheme).

use crate::email::{EmailMessage, compose};
use crate::jobs::{JobKind, Outcome};
use crate::tokens::{constant_time_eq, random_token};
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::{Actor, Invalid, Locale, OrgId, OrgScope, Permission, Timestamp};
use courrier_i18n::{Arg, words};
use courrier_store::{
    ALL_EVENTS, DeliveryError, DeliveryState, Outbox, Page, UserRecord, WebhookDeliveryRecord,
    WebhookEvent, WebhookRecord,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A letter changed status; `data` is the letter.
pub const LETTER_STATUS_CHANGED: &str = "letter.status_changed";
/// A letter reached its recipient.
pub const LETTER_DELIVERED: &str = "letter.delivered";
/// A piece of incoming mail was received for the organisation.
pub const MAIL_RECEIVED: &str = "mail.received";
/// Every event type an endpoint can subscribe to (or `*` for all).
pub const EVENT_TYPES: &[&str] = &[LETTER_STATUS_CHANGED, LETTER_DELIVERED, MAIL_RECEIVED];

/// The start of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Active endpoints an organisation may have at once.
pub const MAX_ACTIVE_WEBHOOKS: i64 = 16;
/// Attempts per delivery before it is marked failed.
pub const MAX_ATTEMPTS: i32 = crate::jobs::kind::DELIVER_WEBHOOK_ATTEMPTS;
/// How long an endpoint has to answer.
pub const DELIVERY_TIMEOUT_SECS: u64 = 10;
/// The tolerance we recommend to receivers for [`verify_signature`].
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
/// At most one failure e-mail per endpoint in this window.
const NOTICE_EVERY_SECS: i64 = 86_400;
/// Who acts when Courrier itself changes an endpoint (a `410 Gone`).
const SYSTEM_ACTOR: &str = "system:webhooks";
const MAX_URL_LEN: usize = 2048;
const MAX_DESCRIPTION_CHARS: usize = 200;

/// Why a `Courrier-Signature` header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Courrier-Signature header is not 't=<seconds>,v1=<hex>'")]
    Malformed,
    #[error("no v1 signature matches the body with this secret")]
    Mismatch,
    /// The signature is genuine but too old (or from the future): a replay.
    #[error("the signature's timestamp is outside the tolerance")]
    Expired,
}

impl SignatureError {
    /// A stable code.
    pub fn code(self) -> courrier_domain::Code {
        match self {
            SignatureError::Malformed => courrier_domain::codes::WEBHOOK_SIGNATURE_MALFORMED,
            SignatureError::Mismatch => courrier_domain::codes::WEBHOOK_SIGNATURE_MISMATCH,
            SignatureError::Expired => courrier_domain::codes::WEBHOOK_SIGNATURE_EXPIRED,
        }
    }
}

fn mac(secret: &str, t: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The `Courrier-Signature` value for `body` sent at `now`.
pub fn signature_header(secret: &str, now: Timestamp, body: &[u8]) -> Result<String> {
    let t = now.millis().div_euclid(1000);
    let mac = mac(secret, t, body).ok_or_else(|| AppError::internal("HMAC key refused"))?;
    Ok(format!(
        "t={t},v1={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Checks a `Courrier-Signature` header against the raw body as received,
/// the endpoint's secret and the receiver's clock. Any `v1` entry may match
/// (several are accepted for forward compatibility); a genuine signature
/// older or newer than `tolerance_secs` is refused as a replay.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: Timestamp,
    tolerance_secs: i64,
) -> std::result::Result<(), SignatureError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed);
        };
        match key {
            "t" => {
                t = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            "v1" => signatures.push(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    let (Some(t), false) = (t, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    let expected = hex::encode(
        mac(secret, t, body)
            .ok_or(SignatureError::Mismatch)?
            .finalize()
            .into_bytes(),
    );
    if !signatures
        .iter()
        .any(|s| constant_time_eq(s.as_bytes(), expected.as_bytes()))
    {
        return Err(SignatureError::Mismatch);
    }
    let age = now.millis().div_euclid(1000).saturating_sub(t);
    if age.saturating_abs() > tolerance_secs {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

fn url_invalid(message: &str) -> AppError {
    Invalid::new("url", codes::WEBHOOK_URL_INVALID, message).into()
}

fn url_private(message: &str) -> AppError {
    Invalid::new("url", codes::WEBHOOK_URL_PRIVATE, message).into()
}

/// Where an address leads, for the webhook guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The internet.
    Public,
    /// This machine or a private network (loopback, RFC 1918, unique local
    /// `fc00::/7`, carrier-grade NAT `100.64.0.0/10`): reachable only with
    /// [`crate::Settings::webhooks_allow_private`].
    Private,
    /// Never a webhook endpoint: unspecified, link-local (`169.254.0.0/16`
    /// with the cloud metadata service, `fe80::/10`), multicast, broadcast,
    /// documentation, benchmarking and reserved ranges.
    Forbidden,
}

impl Reach {
    /// Whether an endpoint there may be reached.
    pub fn allowed(self, allow_private: bool) -> bool {
        match self {
            Reach::Public => true,
            Reach::Private => allow_private,
            Reach::Forbidden => false,
        }
    }
}

fn reach_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, c, _] = ip.octets();
    let forbidden = a == 0 // "this network", 0.0.0.0
        || ip.is_link_local()
        || ip.is_multicast()
        || a >= 240 // reserved, and the broadcast address
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (b == 18 || b == 19)); // benchmarking
    if forbidden {
        Reach::Forbidden
    } else if ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Reach::Private
    } else {
        Reach::Public
    }
}

fn reach_v6(ip: Ipv6Addr) -> Reach {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return reach_v4(v4);
    }
    let s = ip.segments();
    let [s0, s1, s2, s3, s4, s5, s6, s7] = s;
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if ip.is_loopback() {
        return Reach::Private;
    }
    if s0 == 0x0064 && s1 == 0xff9b && s2 == 0 && s3 == 0 && s4 == 0 && s5 == 0 {
        // NAT64: the IPv4 address inside is where it leads.
        return reach_v4(embedded(s6, s7));
    }
    if s0 == 0x2002 {
        // 6to4 carries an IPv4 address in its next 32 bits.
        return reach_v4(embedded(s1, s2));
    }
    let forbidden = ip.is_unspecified()
        || ip.is_multicast()
        || (s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0 && s4 == 0 && s5 == 0) // IPv4-compatible
        || (s0 & 0xffc0) == 0xfe80 // link local
        || (s0 & 0xffc0) == 0xfec0 // site local (deprecated)
        || (s0 == 0x2001 && s1 == 0x0db8) // documentation
        || (s0 == 0x2001 && s1 == 0) // Teredo
        || (s0 == 0x0100 && s1 == 0 && s2 == 0 && s3 == 0); // discard
    if forbidden {
        Reach::Forbidden
    } else if (s0 & 0xfe00) == 0xfc00 {
        Reach::Private // unique local
    } else {
        Reach::Public
    }
}

/// Where an address leads.
pub fn reach(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => reach_v4(v4),
        IpAddr::V6(v6) => reach_v6(v6),
    }
}

/// Where a URL's host leads as far as it can be told without resolving it:
/// a literal address, or `localhost` (which always means this machine).
/// Other names are `Public` here; the resolver checks their addresses.
fn host_reach(host: &str) -> Reach {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => reach(ip),
        Err(_) => {
            let name = bare.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                Reach::Private
            } else {
                Reach::Public
            }
        }
    }
}

/// Checks an endpoint address: `https://` with a public host (a literal
/// private address or `localhost` is `webhook.url_private`); with
/// `allow_private`, also loopback and private hosts, over `http://` too.
/// Returns the normalised URL.
pub fn check_url(raw: &str, allow_private: bool) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL_LEN {
        return Err(url_invalid(
            "give the endpoint's full address, such as https://erp.example.com/courrier/events",
        ));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| {
        url_invalid(
            "this is not a web address; give one such as https://erp.example.com/courrier/events",
        )
    })?;
    let reach = match url.host_str() {
        Some(h) if !h.is_empty() => host_reach(h),
        _ => return Err(url_invalid("the address has no host name")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(url_invalid(
            "remove the user name and password from the address; check the Courrier-Signature header instead",
        ));
    }
    if url.fragment().is_some() {
        return Err(url_invalid("remove the #fragment from the address"));
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(url_invalid("the address must start with https://"));
    }
    if !reach.allowed(allow_private) {
        return Err(url_private(
            "this address is on this machine or a private network; Courrier delivers only to public addresses",
        ));
    }
    match url.scheme() {
        "http" if !(allow_private && reach == Reach::Private) => Err(url_invalid(
            "use https:// (plain http:// is accepted only for 127.0.0.1 or localhost on a development instance)",
        )),
        _ => Ok(url.to_string()),
    }
}

/// A resolved name led only (or also) to addresses webhooks may not reach.
#[derive(Debug, thiserror::Error)]
#[error("{name} resolves to an address on this machine or a private network")]
pub struct PrivateAddressRefused {
    name: String,
}

/// A name did not resolve.
#[derive(Debug, thiserror::Error)]
#[error("{name} did not resolve: {source}")]
pub struct NameNotResolved {
    name: String,
    source: std::io::Error,
}

/// The DNS resolver of webhook deliveries: resolves with the system's
/// resolver, then refuses the name when any of its addresses is one the
/// registration rule refuses, so a public name pointed at an inside
/// address (or re-pointed after registration) connects nowhere.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl GuardedResolver {
    /// The addresses of `name` (port 0), or why not.
    pub async fn lookup(
        self,
        name: &str,
    ) -> std::result::Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
            .await
            .map_err(|source| NameNotResolved {
                name: name.to_string(),
                source,
            })?
            .collect();
        if addrs.is_empty() {
            return Err(Box::new(NameNotResolved {
                name: name.to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
            }));
        }
        if addrs
            .iter()
            .any(|a| !reach(a.ip()).allowed(self.allow_private))
        {
            return Err(Box::new(PrivateAddressRefused {
                name: name.to_string(),
            }));
        }
        Ok(addrs)
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = *self;
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = guard.lookup(&name).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Normalises the chosen event types: known names, sorted, or `["*"]`.
pub fn parse_events(list: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = list
        .iter()
        .flat_map(|e| e.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    if out.iter().any(|e| e == ALL_EVENTS) {
        return Ok(vec![ALL_EVENTS.to_string()]);
    }
    if let Some(unknown) = out.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
        return Err(Invalid::new(
            "events",
            codes::WEBHOOK_EVENT_UNKNOWN,
            format!(
                "'{unknown}' is not an event type; choose among {} or * for all",
                EVENT_TYPES.join(", ")
            ),
        )
        .into());
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(Invalid::new(
            "events",
            codes::WEBHOOK_EVENTS_NONE,
            "choose at least one event type, or * for all",
        )
        .into());
    }
    Ok(out)
}

fn seal_context(id: uuid::Uuid) -> String {
    format!("webhook:{id}")
}

fn json_string(s: &str) -> Result<String> {
    serde_json::to_string(s).map_err(|e| AppError::Internal(e.into()))
}

/// The HTTP client of all deliveries: 10 s timeout, no redirects, no
/// cookies, no proxy, names resolved by [`GuardedResolver`]. One per
/// setting of `allow_private`.
fn http_client(allow_private: bool) -> Result<&'static reqwest::Client> {
    static STRICT: OnceLock<reqwest::Client> = OnceLock::new();
    static LENIENT: OnceLock<reqwest::Client> = OnceLock::new();
    let cell = if allow_private { &LENIENT } else { &STRICT };
    if let Some(c) = cell.get() {
        return Ok(c);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(DELIVERY_TIMEOUT_SECS))
        .connect_timeout(Duration::from_secs(DELIVERY_TIMEOUT_SECS))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .user_agent(concat!("Courrier-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::internal_from(e, "HTTP client"))?;
    Ok(cell.get_or_init(|| client))
}

/// The causes of a transport error, outermost first. An `io::Error`
/// wrapping another error hides it from `source()` (it skips to the inner
/// error's own source), so its inner error is visited too.
fn causes(e: &reqwest::Error) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = std::error::Error::source(e);
    while let Some(s) = next {
        out.push(s);
        next = match s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => s.source(),
        };
    }
    out
}

/// A transport error with its causes, in one line, for the server log.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    for s in causes(e) {
        text.push_str(": ");
        text.push_str(&s.to_string());
    }
    text
}

/// The class of a transport error, as the organisation sees it.
pub fn classify(e: &reqwest::Error) -> DeliveryError {
    if e.is_timeout() {
        return DeliveryError::Timeout;
    }
    for s in causes(e) {
        if s.is::<PrivateAddressRefused>() {
            return DeliveryError::PrivateAddress;
        }
        if s.is::<NameNotResolved>() {
            return DeliveryError::Dns;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::TimedOut => return DeliveryError::Timeout,
                // What rustls' handshake and certificate failures arrive as.
                std::io::ErrorKind::InvalidData => return DeliveryError::Tls,
                _ => {}
            }
        }
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls handshake") {
            return DeliveryError::Tls;
        }
    }
    DeliveryError::Refused
}

/// The start of an answer's body, for the server log.
async fn body_snippet(mut res: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < 512 {
        match res.chunk().await {
            Ok(Some(c)) => bytes.extend_from_slice(&c),
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}

/// What one delivery attempt decided, for the job runner.
pub(crate) enum Attempt {
    Done,
    /// Try again later, if attempts remain.
    Retry(String),
    /// Retrying cannot help.
    GiveUp(String),
}

impl App {
    /// Registers an endpoint for `events` (names from [`EVENT_TYPES`], or
    /// `*`). Returns it with its signing secret, which is shown only now.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        url: &str,
        events: &[String],
        description: &str,
    ) -> Result<(WebhookRecord, String)> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let url = check_url(url, self.settings.webhooks_allow_private)?;
        let events = parse_events(events)?;
        let description = description.trim();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Invalid::new(
                "description",
                codes::WEBHOOK_DESCRIPTION_INVALID,
                format!("keep the description under {MAX_DESCRIPTION_CHARS} characters"),
            )
            .into());
        }
        let org = self.store.org(scope.org()).await?;
        let id = uuid::Uuid::new_v4();
        let secret = format!("{SECRET_PREFIX}{}", random_token(32));
        let record = WebhookRecord {
            id,
            org: org.id,
            url,
            secret_sealed: self
                .org_key(&org)?
                .seal(secret.as_bytes(), seal_context(id).as_bytes()),
            events,
            description: description.to_string(),
            created_at: self.now(),
            disabled_at: None,
        };
        self.store
            .create_webhook(&scope, &record, MAX_ACTIVE_WEBHOOKS, self.now())
            .await?;
        Ok((record, secret))
    }

    /// The organisation's endpoints, active and disabled.
    pub async fn list_webhooks(&self, actor: &Actor) -> Result<Vec<WebhookRecord>> {
        let scope = actor.scope(Permission::OrgSettings)?;
        Ok(self.store.list_webhooks(&scope).await?)
    }

    /// Stops deliveries to an endpoint for good; pending ones are marked failed.
    pub async fn disable_webhook(&self, actor: &Actor, id: uuid::Uuid) -> Result<()> {
        let scope = actor.scope(Permission::OrgSettings)?;
        Ok(self
            .store
            .disable_webhook(&scope, id, "disabled by request", self.now())
            .await?)
    }

    /// Replaces an endpoint's signing secret at once and returns the new one
    /// (shown only now). Attempts from then on are signed with it.
    pub async fn rotate_webhook_secret(&self, actor: &Actor, id: uuid::Uuid) -> Result<String> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let org = self.store.org(scope.org()).await?;
        let secret = format!("{SECRET_PREFIX}{}", random_token(32));
        let sealed = self
            .org_key(&org)?
            .seal(secret.as_bytes(), seal_context(id).as_bytes());
        self.store
            .set_webhook_secret(&scope, id, &sealed, self.now())
            .await?;
        Ok(secret)
    }

    /// The delivery log, newest first, optionally for one endpoint.
    pub async fn list_webhook_deliveries(
        &self,
        actor: &Actor,
        webhook: Option<uuid::Uuid>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<WebhookDeliveryRecord>> {
        let scope = actor.scope(Permission::OrgSettings)?;
        Ok(self
            .store
            .list_webhook_deliveries(&scope, webhook, cursor, limit)
            .await?)
    }

    /// An outbox for the events of one change, delivered by
    /// [`JobKind::DeliverWebhook`] jobs; give it to the store method that
    /// makes the change.
    pub fn outbox(&self) -> Outbox {
        Outbox::new(|delivery, at| JobKind::DeliverWebhook { delivery }.to_job(at))
    }

    /// The event `event_type` with `data_json` (a JSON value, sent verbatim
    /// as `data`), stamped now, ready for an [`Outbox`].
    pub fn webhook_event(&self, event_type: &str, data_json: &str) -> Result<WebhookEvent> {
        if !EVENT_TYPES.contains(&event_type) {
            return Err(Invalid::new(
                "type",
                codes::WEBHOOK_EVENT_UNKNOWN,
                format!("'{event_type}' is not an event type"),
            )
            .into());
        }
        let data = data_json.trim();
        if serde_json::from_str::<serde_json::Value>(data).is_err() {
            return Err(Invalid::new(
                "data",
                codes::WEBHOOK_DATA_INVALID,
                "event data must be one JSON value",
            )
            .into());
        }
        let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
        let payload = format!(
            "{{\"id\":{},\"type\":{},\"created\":{},\"data\":{data}}}",
            json_string(&event_id)?,
            json_string(event_type)?,
            self.now().millis().div_euclid(1000),
        );
        Ok(WebhookEvent {
            event_type: event_type.to_string(),
            event_id,
            payload,
        })
    }

    /// Queues `event_type` with `data_json` for every active endpoint of
    /// `org` subscribed to it, on its own; returns how many deliveries were
    /// queued. Only for an event that reports no stored change: a change's
    /// events go into the outbox of its store method, in its transaction.
    pub async fn emit(&self, org: OrgId, event_type: &str, data_json: String) -> Result<usize> {
        let event = self.webhook_event(event_type, &data_json)?;
        let now = self.now();
        let ids = self
            .store
            .enqueue_webhook_deliveries(
                &OrgScope::system(org, SYSTEM_ACTOR),
                &event,
                |delivery| JobKind::DeliverWebhook { delivery }.to_job(now),
                now,
            )
            .await?;
        Ok(ids.len())
    }

    /// One attempt of one delivery (run by its job).
    pub(crate) async fn attempt_webhook_delivery(&self, delivery: uuid::Uuid) -> Result<Attempt> {
        let d = match self.store.webhook_delivery(delivery).await {
            Ok(d) => d,
            Err(courrier_store::StoreError::NotFound) => {
                return Ok(Attempt::GiveUp(format!("delivery {delivery} not found")));
            }
            Err(e) => return Err(e.into()),
        };
        if d.state != DeliveryState::Pending {
            return Ok(Attempt::Done);
        }
        let scope = OrgScope::system(d.org, SYSTEM_ACTOR);
        let hook = self.store.webhook(&scope, d.webhook).await?;
        if hook.disabled_at.is_some() {
            self.store
                .give_up_webhook_delivery(d.id, DeliveryError::EndpointDisabled)
                .await?;
            return Ok(Attempt::Done);
        }
        let now = self.now();
        // A literal address never meets the resolver: check it here. Names,
        // `localhost` included, are checked by the resolver.
        let literal = reqwest::Url::parse(&hook.url).ok().and_then(|u| {
            u.host_str().and_then(|h| {
                h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .ok()
            })
        });
        if literal.is_some_and(|ip| !reach(ip).allowed(self.settings.webhooks_allow_private)) {
            tracing::warn!(delivery = %d.id, url = %hook.url, "webhook endpoint on an internal address refused");
            self.store
                .record_webhook_attempt(
                    d.id,
                    DeliveryState::Pending,
                    None,
                    Some(DeliveryError::PrivateAddress),
                    now,
                )
                .await?;
            return Ok(Attempt::Retry("the endpoint's address is internal".into()));
        }
        let org = self.store.org(d.org).await?;
        let Ok(secret) = self
            .org_key(&org)?
            .open(&hook.secret_sealed, seal_context(hook.id).as_bytes())
        else {
            return Ok(Attempt::GiveUp("the signing secret is unreadable".into()));
        };
        let secret = String::from_utf8_lossy(&secret).into_owned();
        let signature = signature_header(&secret, now, d.payload.as_bytes())?;
        let sent = http_client(self.settings.webhooks_allow_private)?
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Courrier-Event", &d.event_type)
            .header("Courrier-Delivery", d.id.to_string())
            .header("Courrier-Signature", signature)
            .body(d.payload.clone())
            .send()
            .await;
        let now = self.now();
        let res = match sent {
            Ok(res) => res,
            Err(e) => {
                let class = classify(&e);
                let raw = describe(&e);
                tracing::warn!(delivery = %d.id, url = %hook.url, class = class.as_str(), error = %raw, "webhook delivery attempt failed");
                self.store
                    .record_webhook_attempt(d.id, DeliveryState::Pending, None, Some(class), now)
                    .await?;
                return Ok(Attempt::Retry(format!("{}: {raw}", class.as_str())));
            }
        };
        let status = res.status();
        let code = i32::from(status.as_u16());
        if status.is_success() {
            self.store
                .record_webhook_attempt(d.id, DeliveryState::Delivered, Some(code), None, now)
                .await?;
            return Ok(Attempt::Done);
        }
        let class = DeliveryError::of_status(status.as_u16());
        if status == reqwest::StatusCode::GONE {
            self.store
                .record_webhook_attempt(d.id, DeliveryState::Failed, Some(code), Some(class), now)
                .await?;
            match self
                .store
                .disable_webhook(&scope, hook.id, "the endpoint answered 410 Gone", now)
                .await
            {
                Ok(()) | Err(courrier_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            return Ok(Attempt::Done);
        }
        let snippet = body_snippet(res).await;
        tracing::info!(delivery = %d.id, url = %hook.url, status = code, body = %snippet, "webhook endpoint answered an error");
        self.store
            .record_webhook_attempt(d.id, DeliveryState::Pending, Some(code), Some(class), now)
            .await?;
        Ok(Attempt::Retry(format!("HTTP {code}")))
    }

    /// The delivery's job gave up: marks it failed and tells the
    /// organisation's administrators (at most once a day per endpoint).
    pub(crate) async fn webhook_delivery_gave_up(&self, delivery: uuid::Uuid) -> Result<()> {
        if !self
            .store
            .give_up_webhook_delivery(delivery, DeliveryError::Internal)
            .await?
        {
            return Ok(());
        }
        if let Err(e) = self.notify_webhook_failure(delivery).await {
            tracing::error!(%delivery, error = %e, "could not tell the administrators about a failed webhook delivery");
        }
        Ok(())
    }

    async fn notify_webhook_failure(&self, delivery: uuid::Uuid) -> Result<()> {
        let d = self.store.webhook_delivery(delivery).await?;
        let scope = OrgScope::system(d.org, SYSTEM_ACTOR);
        let hook = self.store.webhook(&scope, d.webhook).await?;
        let now = self.now();
        if !self
            .store
            .claim_webhook_failure_notice(
                &scope,
                hook.id,
                now.plus_seconds(-NOTICE_EVERY_SECS),
                now,
            )
            .await?
        {
            return Ok(());
        }
        let link = format!(
            "{}/org/webhooks?webhook={}",
            self.settings.public_url, hook.id
        );
        let error = d.last_error.unwrap_or(DeliveryError::Internal);
        for admin in self.settings_admins(&scope).await? {
            let locale = Locale::from_tag(&admin.locale);
            let letter = failure_letter(
                locale,
                &hook.url,
                &d.event_type,
                d.attempts,
                &error_words(locale, error, d.last_status),
                &link,
            );
            self.queue_email(&admin.email, letter).await?;
        }
        Ok(())
    }

    /// The people of the organisation who manage its settings.
    async fn settings_admins(&self, scope: &OrgScope) -> Result<Vec<UserRecord>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.store.list_users(scope, cursor.as_deref(), 200).await?;
            out.extend(
                page.items
                    .into_iter()
                    .filter(|u| u.role.permissions().contains(&Permission::OrgSettings)),
            );
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }
}

/// A delivery error class in words, with the HTTP status when one came.
pub fn error_words(locale: Locale, error: DeliveryError, status: Option<i32>) -> String {
    let status = status.map(|s| format!("HTTP {s}, ")).unwrap_or_default();
    let key = format!("email.webhook_failure.reason_{}", error.as_str());
    format!("{status}{}", words(locale, &key, &[]))
}

/// The e-mail to administrators when deliveries to an endpoint give up.
pub fn failure_letter(
    locale: Locale,
    url: &str,
    event_type: &str,
    attempts: i32,
    reason: &str,
    link: &str,
) -> EmailMessage {
    let args = [
        ("url", Arg::Text(url)),
        ("event_type", Arg::Text(event_type)),
        ("attempts", Arg::from(attempts)),
        ("reason", Arg::Text(reason)),
        (
            "timeout",
            Arg::Number(i64::try_from(DELIVERY_TIMEOUT_SECS).unwrap_or(i64::MAX)),
        ),
    ];
    compose(
        words(locale, "email.webhook_failure.subject", &args),
        &[
            words(locale, "email.webhook_failure.line1", &args),
            words(locale, "email.webhook_failure.line2", &args),
            words(locale, "email.webhook_failure.line3", &[]),
        ],
        link,
        &words(locale, "email.webhook_failure.button", &[]),
    )
}

impl App {
    /// The delivery job: one attempt at a delivery.
    pub(crate) async fn deliver_webhook_job(&self, delivery: uuid::Uuid) -> Result<Outcome> {
        Ok(match self.attempt_webhook_delivery(delivery).await? {
            Attempt::Done => Outcome::Done { next: None },
            Attempt::Retry(e) => Outcome::Retry(e),
            Attempt::GiveUp(e) => Outcome::Dead(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_https_public_or_local_in_development() {
        let code = |url: &str, allow: bool| match check_url(url, allow) {
            Err(AppError::Invalid(i)) => i.code,
            other => panic!("{url}: {other:?}"),
        };
        assert_eq!(
            check_url(" https://ERP.example.com/hooks ", false).unwrap(),
            "https://erp.example.com/hooks"
        );
        for bad in [
            "",
            "erp.example.com/hooks",
            "ftp://erp.example.com/",
            "http://erp.example.com/hooks",
            "https://user:pw@erp.example.com/",
            "https://erp.example.com/#x",
            "https://",
        ] {
            assert_eq!(code(bad, false), "webhook.url_invalid", "{bad}");
        }
        for private in [
            "http://127.0.0.1:8080/",
            "https://127.0.0.1/",
            "https://127.8.9.10/",
            "https://localhost/",
            "https://LOCALHOST./x",
            "https://api.localhost/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://100.64.0.1/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[::ffff:127.0.0.1]/",
            // Numeric forms the URL parser turns into 127.0.0.1.
            "https://2130706433/",
            "https://0x7f.1/",
            "https://127.1/",
        ] {
            assert_eq!(code(private, false), "webhook.url_private", "{private}");
            assert!(check_url(private, true).is_ok(), "{private} when allowed");
        }
        for never in [
            "https://169.254.169.254/latest",
            "http://169.254.169.254/latest",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://[fe80::1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://192.0.2.1/",
            "https://[2001:db8::1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[2002:a9fe:a9fe::1]/",
        ] {
            assert_eq!(code(never, true), "webhook.url_private", "{never}");
        }
        assert!(check_url("http://127.0.0.1:8080/x", true).is_ok());
        assert!(check_url("http://localhost:3000/", true).is_ok());
        assert!(check_url("https://93.184.216.34/hooks", false).is_ok());
        assert!(check_url("https://[2606:4700::1111]/", false).is_ok());
        assert_eq!(
            code("http://erp.example.com/", true),
            "webhook.url_invalid",
            "plain http only on this machine"
        );
    }

    #[test]
    fn addresses_are_classified() {
        let r = |s: &str| reach(s.parse().unwrap());
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert_eq!(r(public), Reach::Public, "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.0.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "::1",
            "fc00::1",
            "fdff::1",
            "::ffff:192.168.1.1",
            "64:ff9b::a00:1",
        ] {
            assert_eq!(r(private), Reach::Private, "{private}");
        }
        for forbidden in [
            "0.0.0.0",
            "0.1.2.3",
            "169.254.169.254",
            "224.0.0.251",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "::",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "100::1",
        ] {
            assert_eq!(r(forbidden), Reach::Forbidden, "{forbidden}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_leading_inside() {
        let strict = GuardedResolver {
            allow_private: false,
        };
        let err = strict.lookup("localhost").await.unwrap_err();
        assert!(err.is::<PrivateAddressRefused>(), "{err}");
        let err = strict.lookup("127.0.0.1").await.unwrap_err();
        assert!(err.is::<PrivateAddressRefused>(), "{err}");
        let err = strict.lookup("no-such-host.invalid").await.unwrap_err();
        assert!(err.is::<NameNotResolved>(), "{err}");
        let lenient = GuardedResolver {
            allow_private: true,
        };
        let addrs = lenient.lookup("localhost").await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn delivery_errors_in_words() {
        assert_eq!(
            error_words(Locale::En, DeliveryError::Http5xx, Some(503)),
            "HTTP 503, a server error at the endpoint"
        );
        assert_eq!(
            error_words(Locale::Fr, DeliveryError::Timeout, None),
            "pas de réponse à temps"
        );
        for e in DeliveryError::ALL {
            for locale in Locale::ALL {
                assert!(
                    !error_words(locale, e, None).starts_with("email."),
                    "{} has no {} words",
                    e.as_str(),
                    locale.as_str()
                );
            }
        }
    }

    #[test]
    fn events_are_known_names_or_all() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_events(&list(&["mail.received", "letter.delivered,mail.received"])).unwrap(),
            ["letter.delivered", "mail.received"]
        );
        assert_eq!(
            parse_events(&list(&["letter.delivered", "*"])).unwrap(),
            ["*"]
        );
        assert!(matches!(
            parse_events(&list(&[" "])),
            Err(AppError::Invalid(i)) if i.code == "webhook.events_none"
        ));
        assert!(matches!(
            parse_events(&list(&["letter.eaten"])),
            Err(AppError::Invalid(i)) if i.code == "webhook.event_unknown"
        ));
    }

    #[test]
    fn signatures_verify_and_refuse_forgeries_and_replays() {
        let now = Timestamp::from_millis(1_767_225_600_000);
        let body = br#"{"id":"evt_1","type":"letter.delivered","created":1767225600,"data":{}}"#;
        let header = signature_header("whsec_abc", now, body).unwrap();
        assert!(header.starts_with("t=1767225600,v1="));
        assert_eq!(
            verify_signature("whsec_abc", &header, body, now, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature("whsec_abc", &header, body, now.plus_seconds(299), 300),
            Ok(())
        );
        assert_eq!(
            verify_signature("whsec_other", &header, body, now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("whsec_abc", &header, b"{}", now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("whsec_abc", &header, body, now.plus_seconds(301), 300),
            Err(SignatureError::Expired)
        );
        for bad in ["", "t=abc,v1=00", "v1=00", "t=1767225600", "garbage"] {
            assert_eq!(
                verify_signature("whsec_abc", bad, body, now, 300),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        let failure = failure_letter(
            Locale::Fr,
            "https://a&b.test/",
            LETTER_DELIVERED,
            10,
            "HTTP 500",
            "https://courrier.test/org/webhooks",
        );
        assert!(failure.html.contains("a&amp;b"));
        assert!(failure.subject.contains("échouent"));
    }
}
