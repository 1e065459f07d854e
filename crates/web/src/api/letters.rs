//! Single letters over the API: upload (multipart or raw PDF bytes), quote
//! without storing, list with filters, detail with history, change a
//! draft's options, the status actions, and the document.

use super::users::{LaterJson, parse_path_id};
use super::{ApiActor, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorItem};
use crate::upload::{is_multipart, parse_multipart, read_request};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courrier_app::AppError;
use courrier_app::letters::{AttachmentInput, BackgroundInput, LetterInput, PreparedLetter};
use courrier_domain::codes;
use courrier_domain::letters::{
    BackgroundScope, Colour, Envelope, LetterStatus, Paper, Product, Registered, Sides,
};
use courrier_domain::{Invalid, LetterId, Money, Timestamp};
use courrier_store::{LetterEventRecord, LetterFilter, LetterRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An amount in minor units (centimes, cents) and its ISO 4217 currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyOut {
    pub amount_minor: i64,
    pub currency: String,
}

impl MoneyOut {
    fn new(minor: i64, currency: courrier_domain::Currency) -> Self {
        MoneyOut {
            amount_minor: minor,
            currency: currency.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceOut {
    pub net: MoneyOut,
    pub vat: MoneyOut,
    pub total: MoneyOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientOut {
    /// The address as it will be printed, one line each.
    pub lines: Vec<String>,
    pub name: String,
    pub postcode: String,
    pub locality: String,
    /// ISO 3166 two-letter code.
    pub country: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionsOut {
    /// us_dl, c5 or c4.
    pub envelope: String,
    /// bw or colour.
    pub colour: String,
    /// simplex or duplex.
    pub sides: String,
    /// 80g or 90g.
    pub paper: String,
    /// priority, standard or international_priority.
    pub product: String,
    /// none, registered or registered_ar.
    pub registered: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub seq: i32,
    pub at: String,
    pub status: String,
    /// Who moved the letter: `user:<id>`, `apikey:<id>` or `system:<name>`.
    pub actor: String,
    pub note: String,
}

impl From<LetterEventRecord> for EventOut {
    fn from(e: LetterEventRecord) -> Self {
        EventOut {
            seq: e.seq,
            at: rfc3339(e.at),
            status: e.status.as_str().into(),
            actor: e.actor,
            note: e.note,
        }
    }
}

/// A printed attachment of a letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    /// The file name it was uploaded with.
    pub name: String,
    pub pages: i32,
}

/// A problem that does not block a letter (a font not embedded, …).
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningOut {
    pub code: String,
    pub message: String,
    pub field: String,
}

fn warnings(list: Vec<Invalid>) -> Vec<WarningOut> {
    list.into_iter()
        .map(|w| WarningOut {
            code: w.code.into(),
            message: w.message,
            field: w.field.into(),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LetterOut {
    pub id: String,
    /// draft, awaiting_approval, accepted, in_production, printed,
    /// handed_to_carrier, in_transit, delivered, returned, cancelled, failed.
    pub status: String,
    pub reference: String,
    pub recipient: RecipientOut,
    pub options: OptionsOut,
    /// The letter's own pages (attachments not counted).
    pub pages: i32,
    /// Sheets in the envelope, attachments included.
    pub sheets: i32,
    /// Pages the letterhead is laid under: `first_page`, `all_pages`, or null.
    pub background: Option<String>,
    /// Printed attachments after the letter, in order.
    pub attachments: Vec<AttachmentOut>,
    pub weight_grams: i32,
    pub price: PriceOut,
    /// ISO date (`YYYY-MM-DD`) the letter is handed to the carrier.
    pub posting_date: Option<String>,
    /// ISO date (`YYYY-MM-DD`) the letter is expected at the recipient.
    pub expected_delivery: Option<String>,
    pub return_address: String,
    /// The approver's reason when a letter was sent back.
    pub note: String,
    /// Whether the PDF is still kept (documents are purged after the retention period).
    pub document_available: bool,
    pub created_at: String,
    pub submitted_at: Option<String>,
    /// Status changes, oldest first (only on `GET /letters/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventOut>>,
    /// Problems that did not block the letter (only when it was checked in this request).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<WarningOut>,
}

impl From<LetterRecord> for LetterOut {
    fn from(l: LetterRecord) -> Self {
        LetterOut {
            id: l.id.to_string(),
            status: l.status.as_str().into(),
            reference: l.reference,
            recipient: RecipientOut {
                lines: l.recipient.lines,
                name: l.recipient.name,
                postcode: l.recipient.postcode,
                locality: l.recipient.locality,
                country: l.recipient.country.as_str().into(),
            },
            options: OptionsOut {
                envelope: l.envelope.as_str().into(),
                colour: l.colour.as_str().into(),
                sides: l.sides.as_str().into(),
                paper: l.paper.as_str().into(),
                product: l.product.as_str().into(),
                registered: l.registered.as_str().into(),
            },
            pages: l.pages,
            sheets: l.sheets,
            background: l.background.map(|b| b.as_str().to_string()),
            attachments: l
                .attachments
                .into_iter()
                .map(|a| AttachmentOut {
                    name: a.name,
                    pages: a.pages,
                })
                .collect(),
            weight_grams: l.weight_grams,
            price: PriceOut {
                net: MoneyOut::new(l.price_net, l.currency),
                vat: MoneyOut::new(l.price_vat, l.currency),
                total: MoneyOut::new(l.price_total, l.currency),
            },
            posting_date: l.posting_date,
            expected_delivery: l.expected_delivery,
            return_address: l.return_address,
            note: l.note,
            document_available: l.document.is_some(),
            created_at: rfc3339(l.created_at),
            submitted_at: l.submitted_at.map(rfc3339),
            history: None,
            warnings: Vec::new(),
        }
    }
}

impl From<PreparedLetter> for LetterOut {
    fn from(p: PreparedLetter) -> Self {
        let mut out = LetterOut::from(p.record);
        out.warnings = warnings(p.warnings);
        out
    }
}

/// The price and delivery date a letter would get; nothing is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteOut {
    pub price: PriceOut,
    pub weight_grams: i32,
    pub pages: i32,
    pub sheets: i32,
    /// Pages the letterhead is laid under: `first_page`, `all_pages`, or null.
    pub background: Option<String>,
    /// Printed attachments after the letter, in order.
    pub attachments: Vec<AttachmentOut>,
    pub posting_date: Option<String>,
    pub expected_delivery: Option<String>,
    /// The recipient as it will be printed.
    pub recipient: RecipientOut,
    /// Every line found in the address window of page 1, top to bottom.
    pub window_lines: Vec<String>,
    pub options: OptionsOut,
    pub warnings: Vec<WarningOut>,
}

impl From<PreparedLetter> for QuoteOut {
    fn from(p: PreparedLetter) -> Self {
        let w = warnings(p.warnings);
        let l = LetterOut::from(p.record);
        QuoteOut {
            price: l.price,
            weight_grams: l.weight_grams,
            pages: l.pages,
            sheets: l.sheets,
            background: l.background,
            attachments: l.attachments,
            posting_date: l.posting_date,
            expected_delivery: l.expected_delivery,
            recipient: l.recipient,
            window_lines: p.window_lines,
            options: l.options,
            warnings: w,
        }
    }
}

/// A letter's options, as query parameters (raw PDF upload) or as the
/// fields of a multipart form next to its `file` part. All are optional.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LetterOptions {
    /// us_dl, c5 (default) or c4.
    pub envelope: Option<String>,
    /// bw (default) or colour.
    pub colour: Option<String>,
    /// simplex (default) or duplex.
    pub sides: Option<String>,
    /// 80g or 90g; default 80g for bw, 90g for colour.
    pub paper: Option<String>,
    /// priority (default), standard or international_priority.
    pub product: Option<String>,
    /// none (default), registered or registered_ar.
    pub registered: Option<String>,
    /// Your reference, up to 200 characters.
    pub reference: Option<String>,
    /// The recipient, lines separated by newlines, instead of reading the window of page 1.
    pub recipient: Option<String>,
    /// Overrides the organisation's return address.
    pub return_address: Option<String>,
    /// Submit at once (create only): accepted, or awaiting approval.
    pub submit: Option<String>,
    /// With a `background` part (multipart only): lay the letterhead under
    /// the `first` page (default) or `all` pages.
    pub background_scope: Option<String>,
}

/// A letter upload as `multipart/form-data`: the letter, its letterhead and
/// attachments as file parts, the options ([`LetterOptions`]) as text parts.
/// Only its schema is used: the form itself is read part by part.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct LetterUploadForm {
    /// The letter PDF (A4 portrait).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// A letterhead PDF (A4 portrait; its page 1 is used) laid under the
    /// letter's pages given by `background_scope`.
    #[schema(value_type = Option<String>, format = Binary)]
    pub background: Option<Vec<u8>>,
    /// Printed attachments (A4 portrait PDFs), repeat the part for each;
    /// appended in order, the first on a fresh sheet (a blank page is
    /// inserted after an odd duplex letter). At most 10.
    #[schema(value_type = Vec<String>)]
    pub attachment: Vec<Vec<u8>>,
    #[serde(flatten)]
    pub options: LetterOptions,
}

/// `first` / `first_page` or `all` / `all_pages`.
fn parse_background_scope(raw: &str) -> Result<BackgroundScope, Invalid> {
    match raw.trim() {
        "first" | "first_page" => Ok(BackgroundScope::FirstPage),
        "all" | "all_pages" => Ok(BackgroundScope::AllPages),
        other => Err(Invalid::new(
            "background_scope",
            codes::LETTER_BACKGROUND_SCOPE_UNKNOWN,
            format!("'{other}' is not first or all"),
        )),
    }
}

/// Reads the options and the letter's other files (a `background` part, any
/// number of `attachment` parts; empty parts are no file) into a letter
/// input, reporting every problem at once. A `background_scope` without a
/// background is refused (`letter.background_missing`).
pub fn letter_input_with_files(
    o: &LetterOptions,
    files: &[(String, Option<String>, Bytes)],
) -> Result<LetterInput, AppError> {
    let mut errors = Vec::new();
    let mut input = match letter_input(o) {
        Ok(input) => Some(input),
        Err(AppError::Findings(list)) => {
            errors.extend(list);
            None
        }
        Err(e) => return Err(e),
    };
    let scope = o
        .background_scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut backgrounds = files
        .iter()
        .filter(|(name, _, bytes)| name == "background" && !bytes.is_empty());
    let background = backgrounds.next();
    if backgrounds.next().is_some() {
        errors.push(Invalid::new(
            "background",
            codes::LETTER_BACKGROUND_TWICE,
            "send one letterhead PDF at most",
        ));
    }
    let attachments: Vec<AttachmentInput> = files
        .iter()
        .filter(|(name, _, bytes)| name == "attachment" && !bytes.is_empty())
        .map(|(_, file_name, bytes)| AttachmentInput {
            name: file_name.clone().unwrap_or_default(),
            pdf: bytes.to_vec(),
        })
        .collect();
    let background = match (background, scope) {
        (None, None) => None,
        (None, Some(_)) => {
            errors.push(Invalid::new(
                "background_scope",
                codes::LETTER_BACKGROUND_MISSING,
                "a background scope was given without a letterhead PDF: send it in a part named 'background', or leave the scope out",
            ));
            None
        }
        (Some((_, _, bytes)), scope) => {
            match scope.map_or(Ok(BackgroundScope::FirstPage), parse_background_scope) {
                Ok(scope) => Some(BackgroundInput {
                    pdf: bytes.to_vec(),
                    scope,
                }),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        }
    };
    match (&mut input, errors.is_empty()) {
        (Some(input), true) => {
            input.background = background;
            input.attachments = attachments;
        }
        _ => return Err(AppError::Findings(errors)),
    }
    input.ok_or(AppError::Findings(errors))
}

fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "on" | "yes")
    )
}

fn lines_of(text: &str) -> Option<Vec<String>> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then_some(lines)
}

/// Reads the options into a letter input, reporting every bad value at once.
pub fn letter_input(o: &LetterOptions) -> Result<LetterInput, AppError> {
    let mut errors = Vec::new();
    let mut input = LetterInput::default();
    fn pick<T>(
        errors: &mut Vec<Invalid>,
        raw: &Option<String>,
        parse: fn(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        parse(raw).map_err(|e| errors.push(e)).ok()
    }
    if let Some(v) = pick(&mut errors, &o.envelope, Envelope::parse) {
        input.envelope = v;
    }
    if let Some(v) = pick(&mut errors, &o.colour, Colour::parse) {
        input.colour = v;
    }
    if let Some(v) = pick(&mut errors, &o.sides, Sides::parse) {
        input.sides = v;
    }
    input.paper = pick(&mut errors, &o.paper, Paper::parse);
    if let Some(v) = pick(&mut errors, &o.product, Product::parse) {
        input.product = v;
    }
    if let Some(v) = pick(&mut errors, &o.registered, Registered::parse) {
        input.registered = v;
    }
    input.reference = o.reference.clone().unwrap_or_default();
    input.recipient_lines = o.recipient.as_deref().and_then(lines_of);
    input.return_address = o.return_address.clone().filter(|r| !r.trim().is_empty());
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(AppError::Findings(errors))
    }
}

fn bad_query(e: serde_urlencoded::de::Error) -> ApiError {
    ApiError::of(
        codes::REQUEST_QUERY_INVALID,
        format!("the query string is not valid: {e}"),
    )
}

/// The files of an upload besides the letter: part name, file name, bytes.
type ExtraFiles = Vec<(String, Option<String>, Bytes)>;

/// The PDF, the options and the other files (letterhead, attachments) of an
/// upload, whichever way it came; a raw PDF upload has no other files.
async fn read_upload(
    query: Option<String>,
    req: Request,
) -> ApiResult<(Vec<u8>, LetterOptions, ExtraFiles)> {
    let mut options: LetterOptions =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(bad_query)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (parts, body) = read_request(req).await?;
    if is_multipart(&parts) {
        let form = parse_multipart(parts, body).await?;
        let set = |slot: &mut Option<String>, name: &str| {
            if let Some(v) = form.field(name) {
                *slot = Some(v.to_string());
            }
        };
        set(&mut options.envelope, "envelope");
        set(&mut options.colour, "colour");
        set(&mut options.sides, "sides");
        set(&mut options.paper, "paper");
        set(&mut options.product, "product");
        set(&mut options.registered, "registered");
        set(&mut options.reference, "reference");
        set(&mut options.recipient, "recipient");
        set(&mut options.return_address, "return_address");
        set(&mut options.submit, "submit");
        set(&mut options.background_scope, "background_scope");
        let file = form.file.filter(|f| !f.is_empty()).ok_or_else(|| {
            ApiError::of(
                codes::UPLOAD_FILE_MISSING,
                "send the PDF in a part named 'file'",
            )
            .with_field("file")
        })?;
        return Ok((file.to_vec(), options, form.extra_files));
    }
    let is_pdf = content_type.starts_with("application/pdf")
        || content_type.starts_with("application/octet-stream");
    if !is_pdf {
        return Err(ApiError::of(
            codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the letter as 'multipart/form-data' with a 'file' part, or as 'application/pdf' bytes with the options in the query string",
        ));
    }
    if body.is_empty() {
        return Err(
            ApiError::of(codes::UPLOAD_FILE_MISSING, "the request body holds no PDF")
                .with_field("file"),
        );
    }
    Ok((body.to_vec(), options, Vec::new()))
}

/// Upload a letter: checked, priced and stored as a draft (or submitted).
///
/// Send either `multipart/form-data` with the PDF in a `file` part and the
/// options as other parts, or the PDF itself as `application/pdf` with the
/// options in the query string (`?envelope=c5&colour=bw&submit=true`).
/// A multipart upload may add a letterhead in a `background` part (laid
/// under the `first` or `all` pages, field `background_scope`) and printed
/// attachments in `attachment` parts (repeatable, appended in order, each
/// starting on a fresh sheet): they pass the same checks as the letter
/// (`letter.background_invalid`, `letter.attachment_invalid`), count in the
/// sheets and the price, and the stored PDF is the composed one.
/// Every problem is reported at once: 422 with `errors`.
#[utoipa::path(post, path = "/api/v1/letters", tag = "letters", params(LetterOptions,
        ("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same letter, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    request_body(content(
        (Vec<u8> = "application/pdf"),
        (LetterUploadForm = "multipart/form-data"),
    ), description = "The PDF (A4, at most 50 MB): raw bytes, or a multipart form with a `file` part (and optional `background` and `attachment` parts)"),
    responses((status = 201, body = LetterOut), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Refused, with every problem in `errors`")))]
pub async fn create_letter(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    RawQuery(query): RawQuery,
    req: Request,
) -> ApiResult<(StatusCode, Json<LetterOut>)> {
    super::need(&actor, courrier_domain::Permission::LettersSend)?;
    let (pdf, options, files) = read_upload(query, req).await?;
    let input = letter_input_with_files(&options, &files)?;
    let prepared = st
        .app
        .create_letter(&actor, &pdf, &input, truthy(options.submit.as_deref()))
        .await?;
    Ok((StatusCode::CREATED, Json(prepared.into())))
}

/// Quote a letter: the same checks and inputs as an upload, nothing stored.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "letters", params(LetterOptions),
    request_body(content(
        (Vec<u8> = "application/pdf"),
        (LetterUploadForm = "multipart/form-data"),
    )),
    responses((status = 200, body = QuoteOut), (status = 422, body = ErrorBody)))]
pub async fn quote(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    RawQuery(query): RawQuery,
    req: Request,
) -> ApiResult<Json<QuoteOut>> {
    super::need(&actor, courrier_domain::Permission::LettersSend)?;
    let (pdf, options, files) = read_upload(query, req).await?;
    let input = letter_input_with_files(&options, &files)?;
    let prepared = st.app.quote_letter(&actor, &pdf, &input).await?;
    Ok(Json(prepared.into()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only letters in this status.
    pub status: Option<String>,
    /// Created on or after this date (`2026-01-31`) or time (RFC 3339).
    pub from: Option<String>,
    /// Created on or before this date (the whole day), or before this time (RFC 3339).
    pub to: Option<String>,
    /// Part of the recipient's address, any case.
    pub recipient: Option<String>,
    /// Part of the reference, any case.
    pub reference: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// A trimmed value, or `None` when blank.
pub fn nonempty(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A `from`/`to` filter pair; a bare `to` date includes its whole day.
/// Problems are added to `errors` so a request reports all of them.
pub fn parse_period(
    from: Option<&str>,
    to: Option<&str>,
    errors: &mut Vec<Invalid>,
) -> (Option<Timestamp>, Option<Timestamp>) {
    let mut parse = |raw: Option<&str>, field: &'static str, end: bool| {
        nonempty(raw).and_then(|v| parse_when(&v, field, end).map_err(|e| errors.push(e)).ok())
    };
    (parse(from, "from", false), parse(to, "to", true))
}

/// A date (`YYYY-MM-DD`, midnight UTC; `end` gives the next midnight) or an RFC 3339 time.
pub fn parse_when(raw: &str, field: &'static str, end: bool) -> Result<Timestamp, Invalid> {
    let bad = || {
        Invalid::new(
            field,
            codes::DATE_INVALID,
            format!("'{raw}' is not a date (2026-01-31) or an RFC 3339 time"),
        )
    };
    let raw = raw.trim();
    if let Ok(date) = raw.parse::<jiff::civil::Date>() {
        let date = if end {
            date.tomorrow().map_err(|_| bad())?
        } else {
            date
        };
        let ts = date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|_| bad())?
            .timestamp();
        return Ok(Timestamp::from_millis(ts.as_millisecond()));
    }
    let ts = raw.parse::<jiff::Timestamp>().map_err(|_| bad())?;
    Ok(Timestamp::from_millis(ts.as_millisecond()))
}

/// Builds the list filter, reporting every bad value at once.
pub fn letter_filter(
    status: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    recipient: Option<&str>,
    reference: Option<&str>,
) -> Result<LetterFilter, AppError> {
    let mut errors = Vec::new();
    let mut filter = LetterFilter {
        recipient: nonempty(recipient),
        reference: nonempty(reference),
        ..LetterFilter::default()
    };
    if let Some(s) = nonempty(status) {
        match LetterStatus::parse(&s) {
            Ok(s) => filter.status = Some(s),
            Err(e) => errors.push(e),
        }
    }
    (filter.created_from, filter.created_before) = parse_period(from, to, &mut errors);
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(AppError::Findings(errors))
    }
}

/// The organisation's letters, newest first.
#[utoipa::path(get, path = "/api/v1/letters", tag = "letters", params(ListQuery),
    responses((status = 200, body = Paged<LetterOut>), (status = 422, body = ErrorBody)))]
pub async fn list_letters(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Paged<LetterOut>>> {
    let q: ListQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(bad_query)?;
    let filter = letter_filter(
        q.status.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.recipient.as_deref(),
        q.reference.as_deref(),
    )?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let page = st
        .app
        .letters(&actor, &filter, q.cursor.as_deref(), limit)
        .await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One letter with its status history.
#[utoipa::path(get, path = "/api/v1/letters/{id}", tag = "letters", params(("id" = String, Path)),
    responses((status = 200, body = LetterOut), (status = 404, body = ErrorBody)))]
pub async fn get_letter(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<LetterOut>> {
    let id: LetterId = parse_path_id(&id)?;
    let view = st.app.letter(&actor, id).await?;
    let mut out = LetterOut::from(view.letter);
    out.history = Some(view.history.into_iter().map(Into::into).collect());
    Ok(Json(out))
}

/// New options for a draft; absent fields keep their value, except
/// `recipient`: absent, the address is read from the window again.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LetterPatch {
    pub envelope: Option<String>,
    pub colour: Option<String>,
    pub sides: Option<String>,
    pub paper: Option<String>,
    pub product: Option<String>,
    pub registered: Option<String>,
    pub reference: Option<String>,
    /// The recipient, one line each.
    pub recipient: Option<Vec<String>>,
    pub return_address: Option<String>,
}

/// The options a draft has now, as the form and PATCH start from.
pub fn current_options(l: &LetterRecord) -> LetterOptions {
    LetterOptions {
        envelope: Some(l.envelope.as_str().into()),
        colour: Some(l.colour.as_str().into()),
        sides: Some(l.sides.as_str().into()),
        paper: (l.paper != l.colour.default_paper()).then(|| l.paper.as_str().into()),
        product: Some(l.product.as_str().into()),
        registered: Some(l.registered.as_str().into()),
        reference: Some(l.reference.clone()),
        recipient: None,
        return_address: Some(l.return_address.clone()),
        submit: None,
        background_scope: None,
    }
}

/// Change a draft's options; it is checked and priced again.
#[utoipa::path(patch, path = "/api/v1/letters/{id}", tag = "letters", params(("id" = String, Path)), request_body = LetterPatch,
    responses((status = 200, body = LetterOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_letter(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    patch: LaterJson,
) -> ApiResult<Json<LetterOut>> {
    let id: LetterId = parse_path_id(&id)?;
    super::need(&actor, courrier_domain::Permission::LettersSend)?;
    let current = st.app.letter(&actor, id).await?.letter;
    let patch: LetterPatch = patch.parse().await?;
    let mut o = current_options(&current);
    let keep = |slot: &mut Option<String>, v: Option<String>| {
        if v.is_some() {
            *slot = v;
        }
    };
    if patch.colour.is_some() && patch.paper.is_none() {
        o.paper = None; // the new colour's usual paper
    }
    keep(&mut o.envelope, patch.envelope);
    keep(&mut o.colour, patch.colour);
    keep(&mut o.sides, patch.sides);
    keep(&mut o.paper, patch.paper);
    keep(&mut o.product, patch.product);
    keep(&mut o.registered, patch.registered);
    keep(&mut o.reference, patch.reference);
    keep(&mut o.return_address, patch.return_address);
    o.recipient = patch.recipient.map(|lines| lines.join("\n"));
    let input = letter_input(&o)?;
    let prepared = st.app.update_draft(&actor, id, &input).await?;
    Ok(Json(prepared.into()))
}

/// Submit a draft: accepted, or awaiting an approver when the organisation asks for it.
#[utoipa::path(post, path = "/api/v1/letters/{id}/submit", tag = "letters", params(("id" = String, Path)),
    responses((status = 200, body = LetterOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_letter(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<LetterOut>> {
    let id: LetterId = parse_path_id(&id)?;
    Ok(Json(st.app.submit_letter(&actor, id).await?.into()))
}

/// Approve a letter that awaits approval (permission `letters.approve`).
#[utoipa::path(post, path = "/api/v1/letters/{id}/approve", tag = "letters", params(("id" = String, Path)),
    responses((status = 200, body = LetterOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn approve_letter(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<LetterOut>> {
    let id: LetterId = parse_path_id(&id)?;
    Ok(Json(st.app.approve_letter(&actor, id).await?.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RejectIn {
    /// Why the letter goes back to its author; required.
    #[serde(default)]
    pub reason: String,
}

/// Send a letter back to its author as a draft, with a reason.
#[utoipa::path(post, path = "/api/v1/letters/{id}/reject", tag = "letters", params(("id" = String, Path)), request_body = RejectIn,
    responses((status = 200, body = LetterOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject_letter(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    body: LaterJson,
) -> ApiResult<Json<LetterOut>> {
    let id: LetterId = parse_path_id(&id)?;
    // Refused, or another organisation's letter not found, whatever the body.
    st.app.letter_for_approval(&actor, id).await?;
    let body: RejectIn = body.parse().await?;
    Ok(Json(
        st.app.reject_letter(&actor, id, &body.reason).await?.into(),
    ))
}

/// Cancel a letter until production has started; a cancelled letter is not billed.
#[utoipa::path(post, path = "/api/v1/letters/{id}/cancel", tag = "letters", params(("id" = String, Path)),
    responses((status = 200, body = LetterOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel_letter(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<LetterOut>> {
    let id: LetterId = parse_path_id(&id)?;
    Ok(Json(st.app.cancel_letter(&actor, id).await?.into()))
}

/// The letter's PDF, while it is kept.
#[utoipa::path(get, path = "/api/v1/letters/{id}/document", tag = "letters", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`document.shredded`: purged after the retention period")))]
pub async fn document(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: LetterId = parse_path_id(&id)?;
    let pdf = st.app.letter_pdf(&actor, id).await?;
    Ok(pdf_response(id, pdf))
}

/// A PDF answer that no cache keeps.
pub fn pdf_response(id: LetterId, pdf: Vec<u8>) -> Response {
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"letter-{id}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// A price as people read it: `CHF 2.49`.
pub fn money_text(minor: i64, currency: courrier_domain::Currency) -> String {
    Money::new(minor, currency).to_string()
}

/// Every problem of a refusal, for pages: the list, or the one error.
pub fn problems_of(e: &ApiError) -> Vec<ErrorItem> {
    if e.body.errors.is_empty() {
        vec![ErrorItem {
            code: e.body.code.clone(),
            message: e.body.message.clone(),
            field: e.body.field.clone().unwrap_or_default(),
        }]
    } else {
        e.body.errors.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_with_every_problem_reported() {
        let o = LetterOptions {
            envelope: Some("c4".into()),
            colour: Some("colour".into()),
            sides: Some("duplex".into()),
            recipient: Some("A\n\n  B  \n".into()),
            ..LetterOptions::default()
        };
        let i = letter_input(&o).unwrap();
        assert_eq!(i.envelope, Envelope::C4);
        assert_eq!(
            i.recipient_lines,
            Some(vec!["A".to_string(), "B".to_string()])
        );
        let bad = LetterOptions {
            envelope: Some("c9".into()),
            product: Some("fast".into()),
            ..LetterOptions::default()
        };
        match letter_input(&bad) {
            Err(AppError::Findings(list)) => assert_eq!(list.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(truthy(Some("true")) && truthy(Some("1")) && !truthy(Some("no")) && !truthy(None));
    }

    #[test]
    fn letterhead_and_attachments_are_read_with_their_refusals() {
        let pdf = Bytes::from_static(b"%PDF-1.7 x");
        let files = vec![
            ("background".to_string(), None, pdf.clone()),
            (
                "attachment".to_string(),
                Some("coupon.pdf".into()),
                pdf.clone(),
            ),
            // An empty file input sends an empty part: no file.
            ("attachment".to_string(), Some(String::new()), Bytes::new()),
        ];
        let o = LetterOptions {
            background_scope: Some("all".into()),
            ..LetterOptions::default()
        };
        let input = letter_input_with_files(&o, &files).unwrap();
        assert_eq!(
            input.background.map(|b| b.scope),
            Some(BackgroundScope::AllPages)
        );
        assert_eq!(input.attachments.len(), 1);
        assert_eq!(input.attachments[0].name, "coupon.pdf");
        // No scope: the first page.
        let input = letter_input_with_files(&LetterOptions::default(), &files).unwrap();
        assert_eq!(
            input.background.map(|b| b.scope),
            Some(BackgroundScope::FirstPage)
        );
        // A scope without a background, and a bad option, are both reported.
        let bad = LetterOptions {
            background_scope: Some("first".into()),
            envelope: Some("c9".into()),
            ..LetterOptions::default()
        };
        match letter_input_with_files(&bad, &[]) {
            Err(AppError::Findings(list)) => {
                assert_eq!(list.len(), 2);
                assert!(list.iter().any(
                    |i| i.code == "letter.background_missing" && i.field == "background_scope"
                ));
            }
            other => panic!("{other:?}"),
        }
        let unknown = LetterOptions {
            background_scope: Some("middle".into()),
            ..LetterOptions::default()
        };
        match letter_input_with_files(&unknown, &files) {
            Err(AppError::Findings(list)) => {
                assert_eq!(
                    list.first().map(|i| i.code.as_str()),
                    Some("letter.background_scope_unknown")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_openapi_document_names_the_upload_parts() {
        use utoipa::OpenApi;
        let doc = serde_json::to_value(crate::api::docs::ApiDoc::openapi()).unwrap();
        let form = &doc["components"]["schemas"]["LetterUploadForm"];
        let text = form.to_string();
        for part in ["\"file\"", "\"background\"", "\"attachment\""] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
        let body = doc["paths"]["/api/v1/letters"]["post"]["requestBody"]["content"]
            ["multipart/form-data"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default();
        assert!(body.ends_with("LetterUploadForm"), "{body}");
        let options = doc["components"]["schemas"]["LetterOptions"].to_string();
        assert!(options.contains("background_scope"));
    }

    #[test]
    fn dates_and_filters() {
        let day = parse_when("2026-01-01", "from", false).unwrap();
        assert_eq!(day.millis(), 1_767_225_600_000);
        assert_eq!(
            parse_when("2026-01-01", "to", true).unwrap().millis(),
            1_767_225_600_000 + 86_400_000
        );
        assert_eq!(
            parse_when("2026-01-01T00:00:00Z", "to", true)
                .unwrap()
                .millis(),
            1_767_225_600_000
        );
        match letter_filter(Some("lost"), Some("yesterday"), None, None, None) {
            Err(AppError::Findings(list)) => assert_eq!(list.len(), 2),
            other => panic!("{other:?}"),
        }
        let f = letter_filter(Some("draft"), None, None, Some(" Dupont "), Some("")).unwrap();
        assert_eq!(f.status, Some(LetterStatus::Draft));
        assert_eq!(f.recipient.as_deref(), Some("Dupont"));
        assert!(f.reference.is_none());
    }
}
