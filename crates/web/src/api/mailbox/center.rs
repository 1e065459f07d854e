//! The mail center's side: deliveries of mail and completed scans.

use super::*;

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
    crate::api::need(&actor, courrier_domain::Permission::LettersSend)?;
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
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            courrier_domain::codes::UPLOAD_FILE_MISSING,
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
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
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
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                courrier_domain::codes::DELIVERY_RECIPIENT_INVALID,
                "recipient_org is not an organisation id",
            )
            .with_field("recipient_org")
        })?),
        (None, false) => DeliveryRecipient::Address(lines),
        (None, true) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                courrier_domain::codes::DELIVERY_RECIPIENT_MISSING,
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
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
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
