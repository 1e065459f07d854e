//! The list and the approvals inbox.

use super::*;

pub(super) struct LetterRow {
    id: String,
    created: String,
    name: String,
    place: String,
    reference: String,
    status: &'static str,
    status_label: String,
    badge: &'static str,
    price: String,
    delivery: String,
}

pub(super) fn row(l: L, when: &When, r: LetterRecord) -> LetterRow {
    let place = [r.recipient.postcode.as_str(), r.recipient.locality.as_str()]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    LetterRow {
        id: r.id.to_string(),
        created: when.at(r.created_at),
        name: r.recipient.name,
        place: format!("{place}, {}", r.recipient.country),
        reference: r.reference,
        status: r.status.as_str(),
        status_label: status_label(l, r.status),
        badge: badge(r.status),
        price: money_text(r.price_total, r.currency),
        delivery: r.expected_delivery.unwrap_or_else(|| "—".into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    recipient: Option<String>,
    reference: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "letters.html")]
pub(super) struct ListPage {
    chrome: Chrome,
    approvals: bool,
    problems: Vec<Problem>,
    statuses: Vec<Choice>,
    from: String,
    to: String,
    recipient: String,
    reference: String,
    rows: Vec<LetterRow>,
    next_href: Option<String>,
    can_send: bool,
    can_approve: bool,
    can_settings: bool,
}

impl ListPage {
    fn new(s: &SignedIn, approvals: bool, path: &str) -> ListPage {
        let chrome = Chrome::signed_in(s, "letters", path);
        ListPage {
            approvals,
            problems: Vec::new(),
            statuses: Vec::new(),
            from: String::new(),
            to: String::new(),
            recipient: String::new(),
            reference: String::new(),
            rows: Vec::new(),
            next_href: None,
            can_send: s.actor.can(Permission::LettersSend),
            can_approve: s.actor.can(Permission::LettersApprove),
            can_settings: s.actor.can(Permission::OrgSettings),
            chrome,
        }
    }
}

pub async fn list_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<ListQuery>,
) -> Response {
    let when = s.when();
    let mut page = ListPage::new(&s, false, "/letters");
    let l = page.chrome.l;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    page.statuses = choices(
        l,
        &LetterStatus::ALL.map(LetterStatus::as_str),
        "status",
        &text(&q.status),
    );
    page.from = text(&q.from);
    page.to = text(&q.to);
    page.recipient = text(&q.recipient);
    page.reference = text(&q.reference);
    let filter = letter_filter(
        q.status.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.recipient.as_deref(),
        q.reference.as_deref(),
    );
    let result = match filter {
        Ok(f) => st.app.letters(&s.actor, &f, q.cursor.as_deref(), 50).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => {
            page.rows = p.items.into_iter().map(|r| row(l, &when, r)).collect();
            page.next_href = p.next_cursor.map(|c| {
                let pairs: Vec<(&str, &str)> = [
                    ("status", q.status.as_deref()),
                    ("from", q.from.as_deref()),
                    ("to", q.to.as_deref()),
                    ("recipient", q.recipient.as_deref()),
                    ("reference", q.reference.as_deref()),
                    ("cursor", Some(c.as_str())),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
                .collect();
                format!(
                    "/letters?{}",
                    serde_urlencoded::to_string(pairs).unwrap_or_default()
                )
            });
            render(&page)
        }
        Err(e) if is_page_error(&e) => LETTERS.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            page.problems = problems(l, problems_of(&e));
            (e.status, render(&page)).into_response()
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CursorQuery {
    cursor: Option<String>,
}

pub async fn approvals_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<CursorQuery>,
) -> Response {
    let when = s.when();
    let mut page = ListPage::new(&s, true, "/letters/approvals");
    let l = page.chrome.l;
    match st
        .app
        .letters_awaiting_approval(&s.actor, q.cursor.as_deref(), 50)
        .await
    {
        Ok(p) => {
            page.rows = p.items.into_iter().map(|r| row(l, &when, r)).collect();
            page.next_href = p.next_cursor.map(|c| {
                format!(
                    "/letters/approvals?{}",
                    serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()
                )
            });
            render(&page)
        }
        Err(e) => LETTERS.fail(&s, e),
    }
}
