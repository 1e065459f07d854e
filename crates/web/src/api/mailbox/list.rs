//! The mailbox read: the list, search and filters, one item.

use super::*;

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
                courrier_domain::codes::SEARCH_ORDER_INVALID,
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
                courrier_domain::codes::MAIL_FORWARD_ADDRESS_MISSING,
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
