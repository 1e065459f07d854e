//! Webhooks: an organisation registers HTTPS endpoints and Courrier POSTs its
//! events to them, signed, with retries, as Stripe or Lob do.
//!
//! - **Registering** needs `org.settings`. The endpoint's signing secret
//!   (`whsec_…`) is generated here, shown once, and stored sealed with the
//!   organisation key. Endpoints must be public `https://` addresses; plain
//!   `http://` is accepted only for `127.0.0.1`/`localhost` (and private
//!   addresses) when [`crate::Settings::webhooks_allow_local`] is on, i.e. on
//!   a development instance and in tests, never in production.
//! - **Emitting** ([`App::emit`]) writes one delivery per subscribed endpoint
//!   with its job, in one transaction, after the change it reports has been
//!   committed. Each delivery keeps the exact body, so a retry sends the same
//!   bytes.
//! - **Delivering** ([`crate::jobs::JobKind::DeliverWebhook`]): a POST of the
//!   raw JSON body `{"id","type","created","data"}` with the headers
//!   `Courrier-Event`, `Courrier-Delivery` and
//!   `Courrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//!   signed anew at each attempt; 10 s timeout; redirects are not followed.
//!   A 2xx answer is delivered; `410 Gone` disables the endpoint; anything
//!   else is retried with the job queue's backoff, up to
//!   [`MAX_ATTEMPTS`] attempts. A delivery that gives up is marked failed and
//!   the organisation's administrators get an e-mail (at most one a day per
//!   endpoint).
//! - **Receiving**: customers check the header with [`verify_signature`]
//!   (the reference implementation of the scheme).

use crate::jobs::JobKind;
use crate::mail::{Letter, compose};
use crate::tokens::{constant_time_eq, random_token};
use crate::{App, AppError, Result};
use courrier_domain::{Actor, Invalid, Locale, OrgId, OrgScope, Permission, Timestamp};
use courrier_store::{
    ALL_EVENTS, DeliveryState, Page, UserRecord, WebhookDeliveryRecord, WebhookEvent, WebhookRecord,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;
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
pub const MAX_ATTEMPTS: i32 = 10;
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
    pub fn code(self) -> &'static str {
        match self {
            SignatureError::Malformed => "webhook.signature_malformed",
            SignatureError::Mismatch => "webhook.signature_mismatch",
            SignatureError::Expired => "webhook.signature_expired",
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
    let mac = mac(secret, t, body).ok_or_else(|| AppError::Internal("HMAC key refused".into()))?;
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
    Invalid::new("url", "webhook.url_invalid", message).into()
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
}

fn is_local_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments().first().copied().unwrap_or(0);
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || ip.to_ipv4_mapped().is_some_and(is_local_v4)
}

/// Whether the host is this machine or a private network (literally; names
/// other than `localhost` are not resolved here).
fn is_local(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => is_local_v4(ip),
        Ok(IpAddr::V6(ip)) => is_local_v6(ip),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// Checks an endpoint address: `https://` with a public host; with
/// `allow_local`, also `http://` to `127.0.0.1`/`localhost` and private
/// addresses. Returns the normalised URL.
pub fn check_url(raw: &str, allow_local: bool) -> Result<String> {
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
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.to_string(),
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
    match url.scheme() {
        "https" if !allow_local && is_local(&host) => Err(url_invalid(
            "this address is on this machine or a private network; Courrier delivers only to public addresses",
        )),
        "https" => Ok(url.to_string()),
        "http" if allow_local && is_local(&host) => Ok(url.to_string()),
        "http" => Err(url_invalid(
            "use https:// (plain http:// is accepted only for 127.0.0.1 or localhost on a development instance)",
        )),
        _ => Err(url_invalid("the address must start with https://")),
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
            "webhook.event_unknown",
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
            "webhook.events_none",
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
    serde_json::to_string(s).map_err(|e| AppError::Internal(e.to_string()))
}

/// The HTTP client of all deliveries: 10 s timeout, no redirects, no cookies.
fn http_client() -> Result<&'static reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(DELIVERY_TIMEOUT_SECS))
        .connect_timeout(Duration::from_secs(DELIVERY_TIMEOUT_SECS))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Courrier-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(format!("HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| client))
}

/// A transport error with its causes, in one line.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {DELIVERY_TIMEOUT_SECS} s");
    }
    let mut text = if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The start of an answer's body, for the delivery log.
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
        let url = check_url(url, self.settings.webhooks_allow_local)?;
        let events = parse_events(events)?;
        let description = description.trim();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Invalid::new(
                "description",
                "webhook.description_invalid",
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

    /// Queues `event_type` with `data_json` (a JSON value, sent verbatim as
    /// `data`) for every active endpoint of `org` subscribed to it; returns
    /// how many deliveries were queued. Call it after the change it reports
    /// is committed.
    pub async fn emit(&self, org: OrgId, event_type: &str, data_json: String) -> Result<usize> {
        if !EVENT_TYPES.contains(&event_type) {
            return Err(Invalid::new(
                "type",
                "webhook.event_unknown",
                format!("'{event_type}' is not an event type"),
            )
            .into());
        }
        let data = data_json.trim();
        if serde_json::from_str::<serde_json::Value>(data).is_err() {
            return Err(Invalid::new(
                "data",
                "webhook.data_invalid",
                "event data must be one JSON value",
            )
            .into());
        }
        let now = self.now();
        let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
        let payload = format!(
            "{{\"id\":{},\"type\":{},\"created\":{},\"data\":{data}}}",
            json_string(&event_id)?,
            json_string(event_type)?,
            now.millis().div_euclid(1000),
        );
        let event = WebhookEvent {
            event_type: event_type.to_string(),
            event_id,
            payload,
        };
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
                .give_up_webhook_delivery(d.id, "the endpoint was disabled before delivery")
                .await?;
            return Ok(Attempt::Done);
        }
        let org = self.store.org(d.org).await?;
        let Ok(secret) = self
            .org_key(&org)?
            .open(&hook.secret_sealed, seal_context(hook.id).as_bytes())
        else {
            return Ok(Attempt::GiveUp("the signing secret is unreadable".into()));
        };
        let secret = String::from_utf8_lossy(&secret).into_owned();
        let signature = signature_header(&secret, self.now(), d.payload.as_bytes())?;
        let sent = http_client()?
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
                let error = describe(&e);
                self.store
                    .record_webhook_attempt(d.id, DeliveryState::Pending, None, Some(&error), now)
                    .await?;
                return Ok(Attempt::Retry(error));
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
        if status == reqwest::StatusCode::GONE {
            self.store
                .record_webhook_attempt(
                    d.id,
                    DeliveryState::Failed,
                    Some(code),
                    Some("the endpoint answered 410 Gone, so it was disabled"),
                    now,
                )
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
        let mut error = format!("HTTP {code}");
        if status.is_redirection() {
            error.push_str(" (redirects are not followed; register the final address)");
        } else if !snippet.is_empty() {
            error.push_str(": ");
            error.push_str(&snippet);
        }
        self.store
            .record_webhook_attempt(d.id, DeliveryState::Pending, Some(code), Some(&error), now)
            .await?;
        Ok(Attempt::Retry(error))
    }

    /// The delivery's job gave up: marks it failed and tells the
    /// organisation's administrators (at most once a day per endpoint).
    pub(crate) async fn webhook_delivery_gave_up(&self, delivery: uuid::Uuid) -> Result<()> {
        if !self
            .store
            .give_up_webhook_delivery(delivery, "gave up")
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
        let reason = d.last_error.clone().unwrap_or_else(|| "no answer".into());
        for admin in self.settings_admins(&scope).await? {
            let letter = failure_letter(
                Locale::from_tag(&admin.locale),
                &hook.url,
                &d.event_type,
                d.attempts,
                &reason,
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

/// The e-mail to administrators when deliveries to an endpoint give up.
pub fn failure_letter(
    locale: Locale,
    url: &str,
    event_type: &str,
    attempts: i32,
    reason: &str,
    link: &str,
) -> Letter {
    match locale {
        Locale::En => compose(
            format!("Webhook deliveries to {url} are failing"),
            &[
                format!(
                    "Courrier could not deliver a {event_type} event to your webhook endpoint {url} after {attempts} attempts. The last attempt ended with: {reason}."
                ),
                format!(
                    "Check that the endpoint is reachable from the internet, answers with a 2xx status within {DELIVERY_TIMEOUT_SECS} seconds, and checks the Courrier-Signature header with the endpoint's current secret."
                ),
                "The delivery log shows every attempt. New events are still sent to this endpoint; disable it in Courrier, or have it answer 410 Gone, to stop them. You get at most one such message per endpoint a day.".into(),
            ],
            link,
            "Open the delivery log",
        ),
        Locale::Fr => compose(
            format!("Les envois webhook vers {url} échouent"),
            &[
                format!(
                    "Courrier n'a pas pu remettre un événement {event_type} à votre point de terminaison webhook {url} après {attempts} tentatives. La dernière tentative s'est terminée par : {reason}."
                ),
                format!(
                    "Vérifiez que le point de terminaison est joignable depuis internet, répond par un statut 2xx en moins de {DELIVERY_TIMEOUT_SECS} secondes et vérifie l'en-tête Courrier-Signature avec le secret actuel du point de terminaison."
                ),
                "Le journal des envois montre chaque tentative. Les nouveaux événements sont toujours envoyés à ce point de terminaison ; désactivez-le dans Courrier, ou faites-le répondre 410 Gone, pour les arrêter. Vous recevez au plus un tel message par point de terminaison et par jour.".into(),
            ],
            link,
            "Ouvrir le journal des envois",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_https_public_or_local_in_development() {
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
            "http://127.0.0.1:8080/",
            "https://localhost/",
            "https://10.1.2.3/",
            "https://[::1]/",
            "https://169.254.169.254/latest",
            "https://",
        ] {
            let code = match check_url(bad, false) {
                Err(AppError::Invalid(i)) => i.code,
                other => panic!("{bad}: {other:?}"),
            };
            assert_eq!(code, "webhook.url_invalid", "{bad}");
        }
        assert!(check_url("http://127.0.0.1:8080/x", true).is_ok());
        assert!(check_url("http://localhost:3000/", true).is_ok());
        assert!(
            check_url("http://erp.example.com/", true).is_err(),
            "plain http only on this machine"
        );
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
