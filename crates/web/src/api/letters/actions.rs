//! What is done to a letter: a draft's options changed, the status actions, its document.

use super::*;

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
    crate::api::need(&actor, courrier_domain::Permission::LettersSend)?;
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
