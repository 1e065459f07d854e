//! The digital mailbox over the API: list and search items (full text with
//! highlighted snippets, filters, cursor paging), one item with its chain of
//! custody, actions on one item or in bulk with a result per item, and
//! digital delivery by integrated senders (`POST /deliveries`: into the
//! recipient's mailbox, or printed and posted when none matches). An item of
//! another organisation is 404 like an unknown one.

use super::letters::{MoneyOut, nonempty, parse_period};
use super::users::{LaterJson, parse_path_id};
use super::{ApiActor, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::upload::{is_multipart, parse_multipart, read_request};
use axum::Json;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use courrier_app::AppError;
use courrier_app::mailbox::{DeliveryOutcome, DeliveryRecipient, ItemView, Requested};
use courrier_domain::codes;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{Action, ForwardAddress, ItemState};
use courrier_domain::{Invalid, MailItemId, Money, OrgId};
use courrier_store::{
    ItemEventRecord, ItemFilter, MailItemRecord, SearchHit, SearchOrder, SnippetSpan, TaskRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Items per page of the mailbox list, at most.
const MAX_PAGE: u32 = 100;

fn money(m: Money) -> MoneyOut {
    MoneyOut {
        amount_minor: m.minor(),
        currency: m.currency().to_string(),
    }
}

/// Part of a search snippet; `highlighted` parts matched the query.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetOut {
    pub text: String,
    pub highlighted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub seq: i32,
    pub at: String,
    /// `received`, `refused`, `request_scan`, `scan_done`, `picked_up`, …
    pub event: String,
    pub actor: String,
    pub detail: String,
}

impl From<ItemEventRecord> for EventOut {
    fn from(e: ItemEventRecord) -> Self {
        EventOut {
            seq: e.seq,
            at: rfc3339(e.at),
            event: e.event,
            actor: e.actor,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    pub id: String,
    pub item_id: String,
    /// scan, forward, shred, recycle, hold_for_pickup, local_delivery, paper_original.
    pub action: String,
    /// open, done or cancelled.
    pub state: String,
    pub requested_at: String,
    /// The SLA deadline.
    pub due_at: String,
    pub done_at: Option<String>,
    /// The fee charged when the task is done (shipping is added then).
    pub fee: MoneyOut,
    pub note: String,
}

impl From<TaskRecord> for TaskOut {
    fn from(t: TaskRecord) -> Self {
        TaskOut {
            id: t.id.to_string(),
            item_id: t.item.to_string(),
            action: t.action.as_str().into(),
            state: t.state.as_str().into(),
            requested_at: rfc3339(t.requested_at),
            due_at: rfc3339(t.due_at),
            done_at: t.done_at.map(rfc3339),
            fee: money(t.fee),
            note: t.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MailItemOut {
    pub id: String,
    pub mailbox_id: Option<String>,
    /// `mail_center` (logged at a counter) or `digital` (delivered by an integrated sender).
    pub origin: String,
    pub sender: Option<String>,
    pub recipient: String,
    /// The integrated sender's reference.
    pub reference: String,
    /// letter, large_envelope or parcel.
    pub kind: String,
    pub format: String,
    pub weight_grams: Option<u32>,
    pub registered: bool,
    /// received, scan_requested, scanned, forward_requested, forwarded, …
    pub state: String,
    pub received_at: String,
    pub pages: Option<i32>,
    pub tags: Vec<String>,
    pub note: String,
    pub has_envelope: bool,
    pub has_scan: bool,
    /// none, queued, running, done or failed.
    pub ocr_state: String,
    /// Where the search matched (only with `q`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snippet: Vec<SnippetOut>,
    /// Chain of custody, oldest first (only on `GET /mail/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventOut>>,
    /// Requests on the item, oldest first (only on `GET /mail/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<TaskOut>>,
    /// The recognised or delivered text (only on `GET /mail/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl From<MailItemRecord> for MailItemOut {
    fn from(i: MailItemRecord) -> Self {
        MailItemOut {
            id: i.id.to_string(),
            mailbox_id: i.mailbox.map(|m| m.to_string()),
            origin: i.item.origin.as_str().into(),
            sender: i.item.sender.clone(),
            recipient: i.recipient_name,
            reference: i.reference,
            kind: i.item.kind.as_str().into(),
            format: i.item.format.as_str().into(),
            weight_grams: i.item.weight.map(|w| w.get()),
            registered: i.item.registered,
            state: i.state.as_str().into(),
            received_at: rfc3339(i.received_at),
            pages: i.pages,
            tags: i.tags,
            note: i.note,
            has_envelope: i.envelope_document.is_some(),
            has_scan: i.scan_document.is_some() || i.digital_document.is_some(),
            ocr_state: i.ocr.state.as_str().into(),
            snippet: Vec::new(),
            history: None,
            tasks: None,
            text: None,
        }
    }
}

fn spans(snippet: Vec<SnippetSpan>) -> Vec<SnippetOut> {
    snippet
        .into_iter()
        .map(|s| SnippetOut {
            text: s.text,
            highlighted: s.highlighted,
        })
        .collect()
}

impl From<SearchHit> for MailItemOut {
    fn from(h: SearchHit) -> Self {
        let mut out = MailItemOut::from(h.item);
        out.snippet = spans(h.snippet);
        out
    }
}

impl From<ItemView> for MailItemOut {
    fn from(v: ItemView) -> Self {
        let mut out = MailItemOut::from(v.item);
        out.history = Some(v.events.into_iter().map(Into::into).collect());
        out.tasks = Some(v.tasks.into_iter().map(Into::into).collect());
        out.text = Some(v.text);
        out
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// Full-text query: words and `"quoted phrases"`, all required; searches
    /// the scanned text, sender, recipient, tags and note. Empty: newest first.
    pub q: Option<String>,
    /// Received on or after this date (`2026-01-31`) or time (RFC 3339).
    pub from: Option<String>,
    /// Received on or before this date (the whole day), or before this time.
    pub to: Option<String>,
    /// Part of the sender, any case.
    pub sender: Option<String>,
    /// Only items in this state.
    pub state: Option<String>,
    /// Only items with this tag.
    pub tag: Option<String>,
    /// The order of a search with words: `newest` (default, newest first)
    /// or `relevance` (best match first, then newest; slower when many
    /// items match).
    pub order: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<u32>,
}

/// Builds the mailbox filter, reporting every bad value at once.
pub fn item_filter(
    from: Option<&str>,
    to: Option<&str>,
    sender: Option<&str>,
    state: Option<&str>,
    tag: Option<&str>,
    order: Option<&str>,
) -> Result<ItemFilter, AppError> {
    let mut errors: Vec<Invalid> = Vec::new();
    let mut filter = ItemFilter {
        sender: nonempty(sender),
        tag: nonempty(tag),
        ..ItemFilter::default()
    };
    if let Some(s) = nonempty(state) {
        match ItemState::parse(&s) {
            Ok(s) => filter.state = Some(s),
            Err(e) => errors.push(e),
        }
    }
    if let Some(o) = nonempty(order) {
        match SearchOrder::parse(&o) {
            Some(o) => filter.order = o,
            None => errors.push(Invalid::new(
                "order",
                codes::SEARCH_ORDER_INVALID,
                "order is newest or relevance",
            )),
        }
    }
    (filter.received_from, filter.received_before) = parse_period(from, to, &mut errors);
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(AppError::Findings(errors))
    }
}

/// An action from its name; a forward takes the address lines and country.
pub fn action_from(
    name: &str,
    address: &[String],
    country: Option<&str>,
) -> Result<Action, AppError> {
    let name = name.trim();
    if name == "forward" {
        let lines: Vec<String> = address
            .iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return Err(AppError::Invalid(Invalid::new(
                "address",
                codes::MAIL_FORWARD_ADDRESS_MISSING,
                "a forward needs an address",
            )));
        }
        let country = Country::parse(
            country
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .unwrap_or("CH"),
        )?;
        return Ok(Action::forward(ForwardAddress::new(lines, country)?, false));
    }
    Ok(Action::parse(name)?)
}

fn bad_query(e: serde_urlencoded::de::Error) -> ApiError {
    ApiError::of(
        codes::REQUEST_QUERY_INVALID,
        format!("the query string is not valid: {e}"),
    )
}

/// The mailbox: newest first, or a full-text search by relevance with
/// highlighted snippets; with filters and cursor paging.
#[utoipa::path(get, path = "/api/v1/mail", tag = "mailbox", params(MailQuery),
    responses((status = 200, body = Paged<MailItemOut>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_mail(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Paged<MailItemOut>>> {
    let q: MailQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(bad_query)?;
    let filter = item_filter(
        q.from.as_deref(),
        q.to.as_deref(),
        q.sender.as_deref(),
        q.state.as_deref(),
        q.tag.as_deref(),
        q.order.as_deref(),
    )?;
    let page = st
        .app
        .search_mail(
            &actor,
            q.q.as_deref().unwrap_or(""),
            &filter,
            q.cursor.as_deref(),
            q.limit.unwrap_or(50).clamp(1, MAX_PAGE),
        )
        .await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One item with its chain of custody, its requests and its text.
#[utoipa::path(get, path = "/api/v1/mail/{id}", tag = "mailbox", params(("id" = String, Path)),
    responses((status = 200, body = MailItemOut), (status = 404, body = ErrorBody)))]
pub async fn get_mail(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<MailItemOut>> {
    let id: MailItemId = parse_path_id(&id)?;
    Ok(Json(st.app.mail_item(&actor, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionsIn {
    /// 1 to 200 different item ids.
    pub items: Vec<String>,
    /// scan, forward, shred, recycle, hold_for_pickup, local_delivery,
    /// paper_original or mark_handled.
    pub action: String,
    /// For a forward: the address, one line each.
    #[serde(default)]
    pub address: Vec<String>,
    /// For a forward: ISO 3166 country of the address (default CH).
    pub country: Option<String>,
}

/// What became of one item of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResultOut {
    pub item_id: String,
    /// `task` (the mail center will do it by the deadline),
    /// `forwarded_instead` (the item cannot be scanned: it is forwarded to
    /// the mailbox address), `done` (marked handled), `letter` (the paper
    /// original of a digital letter is printed and posted) or `refused`.
    pub outcome: String,
    pub task: Option<TaskOut>,
    /// Why a scan became a forward: `mail.unscannable.*` and the words.
    pub reason: Option<ErrorBody>,
    pub letter_id: Option<String>,
    /// Why the request was refused for this item.
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionsOut {
    /// One result per item, in the order given.
    pub results: Vec<ActionResultOut>,
}

/// The results of a request, one per item (also for items refused).
pub fn action_results(
    results: Vec<(MailItemId, Result<Requested, AppError>)>,
) -> Vec<ActionResultOut> {
    results
        .into_iter()
        .map(|(id, r)| {
            let mut out = ActionResultOut {
                item_id: id.to_string(),
                outcome: String::new(),
                task: None,
                reason: None,
                letter_id: None,
                error: None,
            };
            match r {
                Ok(Requested::Task(t)) => {
                    out.outcome = "task".into();
                    out.task = Some(t.into());
                }
                Ok(Requested::ForwardedInstead { task, reason }) => {
                    out.outcome = "forwarded_instead".into();
                    out.task = Some(task.into());
                    out.reason = Some(ErrorBody {
                        code: reason.code().into(),
                        message: reason.message(),
                        field: None,
                        errors: Vec::new(),
                    });
                }
                Ok(Requested::Done) => out.outcome = "done".into(),
                Ok(Requested::Letter(l)) => {
                    out.outcome = "letter".into();
                    out.letter_id = Some(l.to_string());
                }
                Err(e) => {
                    out.outcome = "refused".into();
                    out.error = Some(ApiError::from(e).body);
                }
            }
            out
        })
        .collect()
}

/// Asks for an action on one item or many. Each item succeeds or fails on
/// its own; an item of another organisation is refused as `not_found`. A
/// scan of an item that cannot be scanned (SIM card, cheque, larger than
/// A3, …) is forwarded to the mailbox address instead, with the reason and
/// the 2.50 fee.
#[utoipa::path(post, path = "/api/v1/mail/actions", tag = "mailbox", request_body = ActionsIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same answer, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    responses((status = 200, body = ActionsOut), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn request_actions(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<Json<ActionsOut>> {
    super::need(&actor, courrier_domain::Permission::MailboxAct)?;
    let body: ActionsIn = body.parse().await?;
    let action = action_from(&body.action, &body.address, body.country.as_deref())?;
    Ok(Json(ActionsOut {
        results: run_actions(&st, &actor, &body.items, &action).await?,
    }))
}

/// Runs `action` on the items named by text ids: malformed ids are refused
/// as `not_found` in their place, the others go to the use case together.
pub async fn run_actions(
    st: &AppState,
    actor: &courrier_domain::Actor,
    raw: &[String],
    action: &Action,
) -> Result<Vec<ActionResultOut>, AppError> {
    let parsed: Vec<Option<MailItemId>> = raw.iter().map(|r| r.trim().parse().ok()).collect();
    let valid: Vec<MailItemId> = parsed.iter().flatten().copied().collect();
    let mut done = if valid.is_empty() && !raw.is_empty() {
        Vec::new()
    } else {
        action_results(st.app.request_action(actor, &valid, action).await?)
    }
    .into_iter();
    let mut out = Vec::with_capacity(raw.len());
    for (text, id) in raw.iter().zip(parsed) {
        let found = match id {
            Some(_) => done.next(),
            None => None,
        };
        out.push(found.unwrap_or_else(|| ActionResultOut {
            item_id: text.clone(),
            outcome: "refused".into(),
            task: None,
            reason: None,
            letter_id: None,
            error: Some(ApiError::from(AppError::NotFound).body),
        }));
    }
    Ok(out)
}

/// Who a delivery is for and the sender's reference: query parameters with
/// a raw PDF body, or fields next to the `file` part of a multipart form.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct DeliveryIn {
    /// The recipient's Courrier organisation id.
    pub recipient_org: Option<String>,
    /// Or the recipient's postal address, lines separated by newlines.
    pub recipient: Option<String>,
    /// Your reference, up to 200 characters, shown to the recipient.
    pub reference: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    /// `mailbox`: delivered into the recipient's digital mailbox (free for
    /// the recipient, who is notified). `print`: no active mailbox matched,
    /// so the PDF is printed and posted as a letter of your organisation.
    pub path: String,
    pub item_id: Option<String>,
    pub mailbox_id: Option<String>,
    pub letter_id: Option<String>,
}

/// Digital delivery by an integrated sender: one call, always delivered.
///
/// Send the PDF as `application/pdf` with `recipient_org` or `recipient`
/// (address lines separated by newlines) in the query string, or as a
/// multipart form with a `file` part and those fields. When the recipient
/// has a verified, active mailbox, the letter appears there at once;
/// otherwise the same PDF is printed and posted (it must then pass the
/// letter checks, e.g. the address window).
#[utoipa::path(post, path = "/api/v1/deliveries", tag = "mailbox", params(DeliveryIn,
        ("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same delivery, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    request_body(content(
        (Vec<u8> = "application/pdf"),
        (DeliveryIn = "multipart/form-data"),
    ), description = "The PDF (at most 50 MB)"),
    responses((status = 201, body = DeliveryOut), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn deliver(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    RawQuery(query): RawQuery,
    req: Request,
) -> ApiResult<(StatusCode, Json<DeliveryOut>)> {
    super::need(&actor, courrier_domain::Permission::LettersSend)?;
    let mut input: DeliveryIn =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(bad_query)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (parts, body) = read_request(req).await?;
    let missing = || {
        ApiError::of(
            codes::UPLOAD_FILE_MISSING,
            "send the PDF as 'application/pdf' bytes or in a multipart part named 'file'",
        )
        .with_field("file")
    };
    let pdf = if is_multipart(&parts) {
        let form = parse_multipart(parts, body).await?;
        for (slot, name) in [
            (&mut input.recipient_org, "recipient_org"),
            (&mut input.recipient, "recipient"),
            (&mut input.reference, "reference"),
        ] {
            if let Some(v) = form.field(name) {
                *slot = Some(v.to_string());
            }
        }
        form.file
            .filter(|f| !f.is_empty())
            .ok_or_else(missing)?
            .to_vec()
    } else if content_type.starts_with("application/pdf")
        || content_type.starts_with("application/octet-stream")
    {
        if body.is_empty() {
            return Err(missing());
        }
        body.to_vec()
    } else {
        return Err(ApiError::of(
            codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the PDF as 'application/pdf' bytes, or as 'multipart/form-data' with a 'file' part",
        ));
    };
    let org = input
        .recipient_org
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let lines: Vec<String> = input
        .recipient
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let recipient = match (org, lines.is_empty()) {
        (Some(raw), _) => DeliveryRecipient::Org(raw.parse::<OrgId>().map_err(|_| {
            ApiError::of(
                codes::DELIVERY_RECIPIENT_INVALID,
                "recipient_org is not an organisation id",
            )
            .with_field("recipient_org")
        })?),
        (None, false) => DeliveryRecipient::Address(lines),
        (None, true) => {
            return Err(ApiError::of(
                codes::DELIVERY_RECIPIENT_MISSING,
                "name the recipient with recipient_org or recipient (address lines)",
            )
            .with_field("recipient"));
        }
    };
    let outcome = st
        .app
        .deliver_digital(
            &actor,
            &recipient,
            &pdf,
            input.reference.as_deref().unwrap_or(""),
        )
        .await?;
    let out = match outcome {
        DeliveryOutcome::Mailbox { item, mailbox } => DeliveryOut {
            path: "mailbox".into(),
            item_id: Some(item.to_string()),
            mailbox_id: Some(mailbox.to_string()),
            letter_id: None,
        },
        DeliveryOutcome::Printed { letter } => DeliveryOut {
            path: "print".into(),
            item_id: None,
            mailbox_id: None,
            letter_id: Some(letter.to_string()),
        },
    };
    Ok((StatusCode::CREATED, Json(out)))
}

/// The files of a finished scan, as a multipart form. Only its schema is
/// used: the form itself is read part by part.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct ScanIn {
    /// One or more `file` parts in page order: PDFs and JPEG or PNG photos
    /// (one per page). At most 25 MB each and 50 MB in all (a lone PDF may
    /// have the 50 MB).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// Finishes a scan task with its scan (mail center, `mailcenter.operate`).
///
/// The files are combined in order into one PDF (a single PDF is kept as it
/// is), stored encrypted for the customer and recognised (OCR). A file that
/// is not a PDF, JPEG or PNG refuses the whole upload with
/// `mail.scan_file_invalid` naming the file; sizes beyond the limits are
/// `mail.scan_too_large`. After a refusal the task is still open.
#[utoipa::path(post, path = "/api/v1/center/tasks/{id}/scan", tag = "mailbox",
    params(("id" = String, Path, description = "The scan task")),
    request_body(content = ScanIn, content_type = "multipart/form-data"),
    responses((status = 200, body = TaskOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`task.not_open`: done already"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn complete_scan(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<TaskOut>> {
    let task: courrier_domain::TaskId = parse_path_id(&id)?;
    // Refused or not found before the upload is read.
    st.app.operated_task(&actor, task).await?;
    let (parts, body) = read_request(req).await?;
    if !is_multipart(&parts) {
        return Err(ApiError::of(
            codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the scan as 'multipart/form-data' with one or more 'file' parts",
        ));
    }
    let mut form = crate::upload::parse_scan_multipart(parts, body).await?;
    let done = st
        .app
        .complete_scan_task_files(&actor, task, form.scan_files())
        .await?;
    Ok(Json(done.into()))
}
