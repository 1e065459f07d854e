//! Letters in: the upload form or raw PDF bytes with their options, checked into a letter or only quoted.

use super::*;

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
pub(super) fn parse_background_scope(raw: &str) -> Result<BackgroundScope, Invalid> {
    match raw.trim() {
        "first" | "first_page" => Ok(BackgroundScope::FirstPage),
        "all" | "all_pages" => Ok(BackgroundScope::AllPages),
        other => Err(Invalid::new(
            "background_scope",
            courrier_domain::codes::LETTER_BACKGROUND_SCOPE_UNKNOWN,
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
            courrier_domain::codes::LETTER_BACKGROUND_TWICE,
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
                courrier_domain::codes::LETTER_BACKGROUND_MISSING,
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

pub(super) fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "on" | "yes")
    )
}

pub(super) fn lines_of(text: &str) -> Option<Vec<String>> {
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

/// The files of an upload besides the letter: part name, file name, bytes.
pub(super) type ExtraFiles = Vec<(String, Option<String>, Bytes)>;

/// The PDF, the options and the other files (letterhead, attachments) of an
/// upload, whichever way it came; a raw PDF upload has no other files.
pub(super) async fn read_upload(
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
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                courrier_domain::codes::UPLOAD_FILE_MISSING,
                "send the PDF in a part named 'file'",
            )
            .with_field("file")
        })?;
        return Ok((file.to_vec(), options, form.extra_files));
    }
    let is_pdf = content_type.starts_with("application/pdf")
        || content_type.starts_with("application/octet-stream");
    if !is_pdf {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the letter as 'multipart/form-data' with a 'file' part, or as 'application/pdf' bytes with the options in the query string",
        ));
    }
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            courrier_domain::codes::UPLOAD_FILE_MISSING,
            "the request body holds no PDF",
        )
        .with_field("file"));
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
    crate::api::need(&actor, courrier_domain::Permission::LettersSend)?;
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
    crate::api::need(&actor, courrier_domain::Permission::LettersSend)?;
    let (pdf, options, files) = read_upload(query, req).await?;
    let input = letter_input_with_files(&options, &files)?;
    let prepared = st.app.quote_letter(&actor, &pdf, &input).await?;
    Ok(Json(prepared.into()))
}
