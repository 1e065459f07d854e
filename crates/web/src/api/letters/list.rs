//! Letters out: the list with its filters, one letter with its history.

use super::*;

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
