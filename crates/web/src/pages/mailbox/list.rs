//! The list.

use super::*;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sender: Option<String>,
    state: Option<String>,
    tag: Option<String>,
    order: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "mail_list.html")]
pub(super) struct ListPage {
    chrome: Chrome,
    problems: Vec<String>,
    outcomes: Vec<OutcomeRow>,
    q: String,
    from: String,
    to: String,
    sender: String,
    tag: String,
    states: Vec<Choice>,
    orders: Vec<Choice>,
    actions: Vec<Choice>,
    rows: Vec<ItemRow>,
    searching: bool,
    next_href: Option<String>,
    can_act: bool,
    can_setup: bool,
}

pub(super) async fn list_view(
    st: &AppState,
    s: &SignedIn,
    q: &ListQuery,
    outcomes: Vec<OutcomeRow>,
    mut problems: Vec<String>,
) -> Response {
    let when = s.when();
    let chrome = Chrome::signed_in(s, "mail", PATH);
    let l = chrome.l;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let current_state = text(&q.state);
    let filter = item_filter(
        q.from.as_deref(),
        q.to.as_deref(),
        q.sender.as_deref(),
        q.state.as_deref(),
        q.tag.as_deref(),
        q.order.as_deref(),
    );
    let query = text(&q.q);
    let current_order = text(&q.order);
    let result = match filter {
        Ok(f) => {
            st.app
                .search_mail(&s.actor, &query, &f, q.cursor.as_deref(), 50)
                .await
        }
        Err(e) => Err(e),
    };
    let mut status = StatusCode::OK;
    let (rows, next) = match result {
        Ok(p) => (
            p.items.into_iter().map(|h| hit_row(l, &when, h)).collect(),
            p.next_cursor,
        ),
        Err(e) if is_page_error(&e) => return MAIL.fail(s, e),
        Err(e) => {
            let e = ApiError::from(e);
            status = e.status;
            problems.extend(
                problems_of(&e)
                    .into_iter()
                    .map(|p| say(l, &p.code, p.message)),
            );
            (Vec::new(), None)
        }
    };
    let next_href = next.map(|c| {
        let pairs: Vec<(&str, &str)> = [
            ("q", q.q.as_deref()),
            ("from", q.from.as_deref()),
            ("to", q.to.as_deref()),
            ("sender", q.sender.as_deref()),
            ("state", q.state.as_deref()),
            ("tag", q.tag.as_deref()),
            ("order", q.order.as_deref()),
            ("cursor", Some(c.as_str())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
        format!(
            "{PATH}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let page = ListPage {
        problems,
        outcomes,
        searching: !query.trim().is_empty(),
        q: query,
        from: text(&q.from),
        to: text(&q.to),
        sender: text(&q.sender),
        tag: text(&q.tag),
        states: ItemState::ALL
            .iter()
            .map(|st| Choice {
                value: st.as_str(),
                label: state_label(l, *st),
                selected: st.as_str() == current_state,
            })
            .collect(),
        orders: [SearchOrder::Newest, SearchOrder::Relevance]
            .into_iter()
            .map(|o| Choice {
                value: o.as_str(),
                label: l
                    .t(match o {
                        SearchOrder::Newest => "mail.order_newest",
                        SearchOrder::Relevance => "mail.order_relevance",
                    })
                    .to_string(),
                selected: o.as_str() == current_order,
            })
            .collect(),
        actions: action_choices(l),
        rows,
        next_href,
        can_act: s.actor.can(Permission::MailboxAct),
        can_setup: s.actor.can(Permission::OrgSettings),
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn list_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<ListQuery>,
) -> Response {
    list_view(&st, &s, &q, Vec::new(), Vec::new()).await
}

/// The bulk form: `item` repeated, `action`, and for a forward `address`
/// (lines) and `country`. Answers with the list and a result per item.
pub async fn bulk_action(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let when = s.when();
    let items: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "item")
        .map(|(_, v)| v.clone())
        .collect();
    let l = L(s.locale);
    let q = ListQuery::default();
    if items.is_empty() {
        return list_view(
            &st,
            &s,
            &q,
            Vec::new(),
            vec![l.t("mail.select_items").into()],
        )
        .await;
    }
    let address: Vec<String> = field(&f, "address").lines().map(str::to_string).collect();
    let country = field(&f, "country");
    let result = match action_from(&field(&f, "action"), &address, Some(&country)) {
        Ok(action) => run_actions(&st, &s.actor, &items, &action).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(results) => list_view(&st, &s, &q, outcome_rows(l, &when, results), Vec::new()).await,
        Err(e) if is_page_error(&e) => MAIL.fail(&s, e),
        Err(e) => list_view(&st, &s, &q, Vec::new(), vec![error_text(l, e)]).await,
    }
}
