//! The customer's digital mailbox (permissions `mailbox.read` /
//! `mailbox.act`): the list with envelope thumbnails, full-text search with
//! highlighted snippets, filters, cursor paging and bulk actions with a
//! result per item; the item page with the envelope, the scan viewer, the
//! recognised text, the actions with their prices, tags and note, and the
//! chain of custody; the company mailbox set-up (postal address, activation
//! date, the code from the letter, a new address). Every form works without
//! JavaScript. The envelope and scan files are served decrypted with
//! `Cache-Control: private, no-store`.

use super::{Chrome, error_page, fmt_ts, render};
use crate::AppState;
use crate::api::letters::problems_of;
use crate::api::mailbox::{ActionResultOut, action_from, item_filter, run_actions};
use crate::error::ApiError;
use crate::i18n::L;
use crate::session::SignedIn;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_app::mailbox::ItemFile;
use courrier_domain::mailbox::{Action, ActionKind, ItemState, MailboxState, PriceList, allowed};
use courrier_domain::{MailItemId, Permission};
use courrier_store::{MailItemRecord, SearchHit, SearchOrder};
use serde::Deserialize;

const PATH: &str = "/mail";

fn fail(s: &SignedIn, e: AppError) -> Response {
    let e = ApiError::from(e);
    error_page(Chrome::signed_in(s, "mail", PATH), e.status, &e)
}

fn csrf_refused(s: &SignedIn, e: &ApiError) -> Response {
    error_page(Chrome::signed_in(s, "mail", PATH), StatusCode::FORBIDDEN, e)
}

/// Errors that have no place on a form: the page answers with them alone.
fn is_page_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound
            | AppError::Forbidden(_)
            | AppError::Unauthenticated
            | AppError::Internal(_)
    )
}

/// The form's fields as pairs (a bulk form repeats `item`).
pub(super) fn pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap_or_default()
}

pub(super) fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

pub(super) fn state_label(l: L, s: ItemState) -> String {
    l.t(&format!("mailstate.{}", s.as_str())).to_string()
}

pub(super) fn state_badge(s: ItemState) -> &'static str {
    match s {
        ItemState::Received | ItemState::Scanned | ItemState::Handled => "ok",
        ItemState::Refused | ItemState::Shredded | ItemState::Recycled => "bad",
        s if s.is_pending() => "warn",
        _ => "",
    }
}

pub(super) fn action_label(l: L, a: ActionKind) -> String {
    l.t(&format!("mailaction.{}", a.as_str())).to_string()
}

/// A refusal for a person: the English message as it is (it is precise), in
/// French the translation of its code when there is one.
fn say(l: L, code: &str, message: String) -> String {
    let key = format!("err.{code}");
    match (l.0, l.t(&key)) {
        (courrier_domain::Locale::Fr, text) if text != key => text.to_string(),
        _ => message,
    }
}

/// An error in the person's language.
pub(super) fn error_text(l: L, e: AppError) -> String {
    l.error(&ApiError::from(e))
}

/// One line of a snippet; `mark` parts matched the query.
pub struct Span {
    pub text: String,
    pub mark: bool,
}

pub struct ItemRow {
    pub id: String,
    pub received: String,
    pub sender: String,
    pub recipient: String,
    pub kind: String,
    pub state: &'static str,
    pub state_label: String,
    pub badge: &'static str,
    pub thumb: bool,
    pub digital: bool,
    pub tags: String,
    pub snippet: Vec<Span>,
}

pub(super) fn item_row(l: L, i: MailItemRecord, snippet: Vec<Span>) -> ItemRow {
    ItemRow {
        id: i.id.to_string(),
        received: fmt_ts(i.received_at),
        sender: i.item.sender.clone().unwrap_or_else(|| "—".into()),
        recipient: i.recipient_name.clone(),
        kind: l
            .t(&format!("mailkind.{}", i.item.kind.as_str()))
            .to_string(),
        state: i.state.as_str(),
        state_label: state_label(l, i.state),
        badge: state_badge(i.state),
        thumb: i.envelope_document.is_some(),
        digital: i.digital_document.is_some(),
        tags: i.tags.join(", "),
        snippet,
    }
}

fn hit_row(l: L, h: SearchHit) -> ItemRow {
    let snippet = h
        .snippet
        .into_iter()
        .map(|s| Span {
            text: s.text,
            mark: s.highlighted,
        })
        .collect();
    item_row(l, h.item, snippet)
}

/// A choice in a select.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// The actions of the bulk form, with their price.
fn action_choices(l: L) -> Vec<Choice> {
    ActionKind::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str(),
            label: with_price(l, *a),
            selected: false,
        })
        .collect()
}

/// "Scan (CHF 0.80)"; free actions have no price.
fn with_price(l: L, a: ActionKind) -> String {
    let p = PriceList::DEFAULT;
    let minor = match a {
        ActionKind::Scan => p.scan,
        ActionKind::Forward => p.forward,
        ActionKind::PaperOriginal => p.paper_original,
        _ => 0,
    };
    let label = action_label(l, a);
    match (a, minor) {
        (ActionKind::Forward, _) => format!("{label} (+ {})", l.t("mail.shipping")),
        (_, 0) => label,
        (_, m) => format!("{label} ({})", courrier_domain::Money::new(m, p.currency)),
    }
}

/// `CHF 0.80` from the API's money.
fn money_out_text(m: &crate::api::letters::MoneyOut) -> String {
    let sign = if m.amount_minor < 0 { "-" } else { "" };
    let abs = m.amount_minor.unsigned_abs();
    format!("{} {sign}{}.{:02}", m.currency, abs / 100, abs % 100)
}

/// What one item of a request became, for a person.
pub struct OutcomeRow {
    pub id: String,
    pub ok: bool,
    pub text: String,
}

fn outcome_rows(l: L, results: Vec<ActionResultOut>) -> Vec<OutcomeRow> {
    results
        .into_iter()
        .map(|r| {
            let fee = |t: &Option<crate::api::mailbox::TaskOut>| {
                t.as_ref()
                    .map(|t| money_out_text(&t.fee))
                    .unwrap_or_default()
            };
            let due = |t: &Option<crate::api::mailbox::TaskOut>| {
                t.as_ref()
                    .and_then(|t| t.due_at.parse::<jiff::Timestamp>().ok())
                    .map(|ts| fmt_ts(courrier_domain::Timestamp::from_millis(ts.as_millisecond())))
                    .unwrap_or_default()
            };
            let (ok, text) = match r.outcome.as_str() {
                "task" => (
                    true,
                    format!(
                        "{} · {} {} · {} {}",
                        l.t("mail.outcome_task"),
                        l.t("mail.due"),
                        due(&r.task),
                        l.t("mail.fee"),
                        fee(&r.task)
                    ),
                ),
                "forwarded_instead" => {
                    let reason = r
                        .reason
                        .as_ref()
                        .map(|b| say(l, &b.code, b.message.clone()))
                        .unwrap_or_default();
                    (
                        true,
                        format!(
                            "{} {reason} · {} · {} {}",
                            l.t("mail.outcome_not_scanned"),
                            l.t("mail.outcome_forwarded_instead"),
                            l.t("mail.fee"),
                            fee(&r.task)
                        ),
                    )
                }
                "done" => (true, l.t("mail.outcome_done").to_string()),
                "letter" => (
                    true,
                    format!(
                        "{} {}",
                        l.t("mail.outcome_letter"),
                        r.letter_id.unwrap_or_default()
                    ),
                ),
                _ => {
                    let text = r
                        .error
                        .map(|b| say(l, &b.code, b.message))
                        .unwrap_or_default();
                    (false, text)
                }
            };
            OutcomeRow {
                id: r.item_id,
                ok,
                text,
            }
        })
        .collect()
}

// ----- the list -----

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
struct ListPage {
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

async fn list_view(
    st: &AppState,
    s: &SignedIn,
    q: &ListQuery,
    outcomes: Vec<OutcomeRow>,
    mut problems: Vec<String>,
) -> Response {
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
            p.items.into_iter().map(|h| hit_row(l, h)).collect(),
            p.next_cursor,
        ),
        Err(e) if is_page_error(&e) => return fail(s, e),
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
pub async fn bulk_action(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
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
        Ok(results) => list_view(&st, &s, &q, outcome_rows(l, results), Vec::new()).await,
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => list_view(&st, &s, &q, Vec::new(), vec![error_text(l, e)]).await,
    }
}

// ----- one item -----

struct EventRow {
    at: String,
    event: String,
    actor: String,
    detail: String,
}

struct TaskRow {
    action: String,
    state: String,
    open: bool,
    requested: String,
    due: String,
    done: String,
    fee: String,
    note: String,
}

struct ActionButton {
    value: &'static str,
    label: String,
    forward: bool,
}

#[derive(Template)]
#[template(path = "mail_detail.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    sender: String,
    recipient: String,
    reference: String,
    received: String,
    kind: String,
    format: String,
    weight: String,
    pages: String,
    state: &'static str,
    state_label: String,
    badge: &'static str,
    envelope: bool,
    scan: bool,
    ocr_state: &'static str,
    ocr_progress: String,
    text: String,
    tags: String,
    note: String,
    actions: Vec<ActionButton>,
    mailbox_address: String,
    events: Vec<EventRow>,
    tasks: Vec<TaskRow>,
    outcomes: Vec<OutcomeRow>,
    problems: Vec<String>,
    can_act: bool,
}

fn parse_item(raw: &str) -> Result<MailItemId, AppError> {
    raw.parse::<MailItemId>().map_err(|_| AppError::NotFound)
}

async fn detail_view(
    st: &AppState,
    s: &SignedIn,
    id: MailItemId,
    outcomes: Vec<OutcomeRow>,
    problems: Vec<String>,
) -> Response {
    let view = match st.app.mail_item(&s.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(s, e),
    };
    let chrome = Chrome::signed_in(s, "mail", &format!("{PATH}/{id}"));
    let l = chrome.l;
    let item = &view.item;
    let mailbox_address = match item.mailbox {
        Some(m) => st
            .app
            .mailbox(&s.actor, m)
            .await
            .map(|m| m.address.join("\n"))
            .unwrap_or_default(),
        None => String::new(),
    };
    let actions = ActionKind::ALL
        .iter()
        .filter_map(|a| {
            let probe = match a {
                ActionKind::Forward => Action::Shred,
                other => Action::parse(other.as_str()).ok()?,
            };
            let ok = match allowed(&probe, item.state, &item.item) {
                Ok(()) => true,
                Err(e) => *a == ActionKind::Scan && e.code.starts_with("mail.unscannable"),
            };
            ok.then(|| ActionButton {
                value: a.as_str(),
                label: match (a, courrier_domain::mailbox::scannable(&item.item)) {
                    (ActionKind::Scan, Err(u)) => {
                        format!(
                            "{} → {} ({})",
                            action_label(l, *a),
                            l.t("mail.outcome_forwarded_instead"),
                            courrier_domain::Money::new(
                                PriceList::DEFAULT.forward_unscannable,
                                PriceList::DEFAULT.currency
                            )
                        ) + &format!(" — {}", u.reason.message())
                    }
                    _ => with_price(l, *a),
                },
                forward: *a == ActionKind::Forward,
            })
        })
        .collect();
    let page = DetailPage {
        id: item.id.to_string(),
        sender: item.item.sender.clone().unwrap_or_else(|| "—".into()),
        recipient: item.recipient_name.clone(),
        reference: item.reference.clone(),
        received: fmt_ts(item.received_at),
        kind: l
            .t(&format!("mailkind.{}", item.item.kind.as_str()))
            .to_string(),
        format: l
            .t(&format!("mailformat.{}", item.item.format.as_str()))
            .to_string(),
        weight: item
            .item
            .weight
            .map(|w| format!("{} g", w.get()))
            .unwrap_or_else(|| "—".into()),
        pages: item
            .pages
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
        state: item.state.as_str(),
        state_label: state_label(l, item.state),
        badge: state_badge(item.state),
        envelope: item.envelope_document.is_some(),
        scan: item.scan_document.is_some() || item.digital_document.is_some(),
        ocr_state: item.ocr.state.as_str(),
        ocr_progress: format!("{}/{}", item.ocr.pages_done, item.ocr.pages_total),
        text: view.text.clone(),
        tags: item.tags.join(", "),
        note: item.note.clone(),
        actions,
        mailbox_address,
        events: view
            .events
            .iter()
            .map(|e| EventRow {
                at: fmt_ts(e.at),
                event: {
                    let key = format!("mailevent.{}", e.event);
                    match l.t(&key) {
                        k if k == key => e.event.clone(),
                        t => t.to_string(),
                    }
                },
                actor: e.actor.clone(),
                detail: e.detail.clone(),
            })
            .collect(),
        tasks: view
            .tasks
            .iter()
            .map(|t| TaskRow {
                action: action_label(l, t.action),
                state: l.t(&format!("taskstate.{}", t.state.as_str())).to_string(),
                open: t.state == courrier_store::TaskState::Open,
                requested: fmt_ts(t.requested_at),
                due: fmt_ts(t.due_at),
                done: t.done_at.map(fmt_ts).unwrap_or_default(),
                fee: t.fee.to_string(),
                note: t.note.clone(),
            })
            .collect(),
        outcomes,
        problems,
        can_act: s.actor.can(Permission::MailboxAct),
        chrome,
    };
    render(&page)
}

pub async fn detail_page(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match parse_item(&id) {
        Ok(id) => detail_view(&st, &s, id, Vec::new(), Vec::new()).await,
        Err(e) => fail(&s, e),
    }
}

/// The link of the new-mail e-mail.
pub async fn legacy_link(Path(id): Path<String>) -> Response {
    match parse_item(&id) {
        Ok(id) => Redirect::to(&format!("{PATH}/{id}")).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One action on this item: `action`, and for a forward `address` and `country`.
pub async fn item_action(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let id = match parse_item(&id) {
        Ok(id) => id,
        Err(e) => return fail(&s, e),
    };
    // Refused, or another organisation's item not found, before the form is read.
    if !s.actor.can(Permission::MailboxAct) {
        return fail(&s, AppError::Forbidden(Permission::MailboxAct));
    }
    if let Err(e) = st.app.mail_item(&s.actor, id).await {
        return fail(&s, e);
    }
    let l = L(s.locale);
    let address: Vec<String> = field(&f, "address").lines().map(str::to_string).collect();
    let country = field(&f, "country");
    let result = match action_from(&field(&f, "action"), &address, Some(&country)) {
        Ok(action) => run_actions(&st, &s.actor, &[id.to_string()], &action).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(results) => {
            if results
                .iter()
                .any(|r| r.error.as_ref().is_some_and(|e| e.code == "not_found"))
            {
                return fail(&s, AppError::NotFound);
            }
            detail_view(&st, &s, id, outcome_rows(l, results), Vec::new()).await
        }
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => detail_view(&st, &s, id, Vec::new(), vec![error_text(l, e)]).await,
    }
}

/// Tags (comma-separated) and the note.
pub async fn annotate(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let id = match parse_item(&id) {
        Ok(id) => id,
        Err(e) => return fail(&s, e),
    };
    let tags: Vec<String> = field(&f, "tags")
        .split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    match st
        .app
        .annotate_mail_item(&s.actor, id, &tags, &field(&f, "note"))
        .await
    {
        Ok(_) => Redirect::to(&format!("{PATH}/{id}")).into_response(),
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => {
            let l = L(s.locale);
            detail_view(&st, &s, id, Vec::new(), vec![error_text(l, e)]).await
        }
    }
}

/// A decrypted file, never cached.
pub(super) fn file_response(content_type: &str, bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}

async fn serve_file(st: &AppState, s: &SignedIn, raw: &str, envelope: bool) -> Response {
    let id = match parse_item(raw) {
        Ok(id) => id,
        Err(e) => return fail(s, e),
    };
    let found = if envelope {
        st.app
            .mail_item_file(&s.actor, id, ItemFile::Envelope)
            .await
    } else {
        // The scan of a paper item, else the PDF a sender delivered.
        match st.app.mail_item_file(&s.actor, id, ItemFile::Scan).await {
            Err(AppError::NotFound) => st.app.mail_item_file(&s.actor, id, ItemFile::Digital).await,
            other => other,
        }
    };
    match found {
        Ok((doc, bytes)) => file_response(&doc.content_type, bytes),
        Err(e) => fail(s, e),
    }
}

pub async fn envelope(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    serve_file(&st, &s, &id, true).await
}

pub async fn scan(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    serve_file(&st, &s, &id, false).await
}

// ----- the company mailbox -----

struct MailboxRow {
    id: String,
    state: &'static str,
    state_label: String,
    address: Vec<String>,
    activation: String,
    company: bool,
    awaiting_code: bool,
    active: bool,
    /// How new mail is announced: each, digest, both or none.
    notify: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "mail_setup.html")]
struct SetupPage {
    chrome: Chrome,
    mailboxes: Vec<MailboxRow>,
    has_company: bool,
    earliest: String,
    problems: Vec<String>,
    flash: Option<String>,
    can_settings: bool,
    /// Who may change how new mail is announced.
    can_act: bool,
    /// Days scans are kept after scanning; empty keeps them.
    scan_days: String,
    /// A customer (mail centers hold no scans of their own).
    customer: bool,
}

async fn setup_view(
    st: &AppState,
    s: &SignedIn,
    problems: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let boxes = match st.app.mailboxes(&s.actor).await {
        Ok(b) => b,
        Err(e) => return fail(s, e),
    };
    let mut notify = Vec::with_capacity(boxes.len());
    for b in &boxes {
        match st.app.mailbox_notify(&s.actor, b.id).await {
            Ok(m) => notify.push(m.as_str()),
            Err(e) => return fail(s, e),
        }
    }
    let scan_days = match st.app.scan_retention(&s.actor).await {
        Ok(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        Err(e) => return fail(s, e),
    };
    let chrome = Chrome::signed_in(s, "mail", "/mail/setup");
    let l = chrome.l;
    let earliest = jiff::Timestamp::from_millisecond(
        s.ctx
            .org
            .created_at
            .plus_seconds(21 * 86_400)
            .millis()
            .max(st.app.now().millis()),
    )
    .map(|t| t.strftime("%Y-%m-%d").to_string())
    .unwrap_or_default();
    let page = SetupPage {
        has_company: boxes.iter().any(|b| b.location.is_none()),
        mailboxes: boxes
            .into_iter()
            .zip(notify)
            .map(|(b, notify)| MailboxRow {
                notify: courrier_store::NotifyMode::ALL
                    .iter()
                    .map(|m| Choice {
                        value: m.as_str(),
                        label: l.t(&format!("setup.notify_{}", m.as_str())).to_string(),
                        selected: m.as_str() == notify,
                    })
                    .collect(),
                id: b.id.to_string(),
                state: b.state.as_str(),
                state_label: l
                    .t(&format!("mailboxstate.{}", b.state.as_str()))
                    .to_string(),
                address: b.address.clone(),
                activation: b.activation_date.clone(),
                company: b.location.is_none(),
                awaiting_code: matches!(
                    b.state,
                    MailboxState::PendingVerification | MailboxState::Suspended
                ) && b.challenge.is_some(),
                active: b.state == MailboxState::Active,
            })
            .collect(),
        earliest,
        problems,
        flash,
        can_settings: s.actor.can(Permission::OrgSettings),
        can_act: s.actor.can(Permission::MailboxAct),
        scan_days,
        customer: s.actor.org_kind == courrier_domain::OrgKind::Customer,
        chrome,
    };
    (status, render(&page)).into_response()
}

/// How long scans are kept: `scan_days` (1 to 3,650), empty to keep them.
pub async fn set_scan_retention(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let text = field(&f, "scan_days");
    let days = match text.trim() {
        "" => Ok(None),
        t => t.parse::<u32>().map(Some).map_err(|_| {
            AppError::Invalid(courrier_domain::Invalid::new(
                "scan_days",
                courrier_domain::codes::MAIL_RETENTION_INVALID,
                "give a whole number of days from 1 to 3650, or leave it empty to keep scans",
            ))
        }),
    };
    let result = match days {
        Ok(days) => st.app.set_scan_retention(&s.actor, days).await,
        Err(e) => Err(e),
    };
    setup_result(&st, &s, result, "setup.retention_saved").await
}

pub async fn setup_page(State(st): State<AppState>, s: SignedIn) -> Response {
    setup_view(&st, &s, Vec::new(), None, StatusCode::OK).await
}

fn address_lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

async fn setup_result<T>(
    st: &AppState,
    s: &SignedIn,
    result: Result<T, AppError>,
    ok_key: &str,
) -> Response {
    let l = L(s.locale);
    match result {
        Ok(_) => setup_view(st, s, Vec::new(), Some(l.t(ok_key).into()), StatusCode::OK).await,
        Err(e) if is_page_error(&e) => fail(s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            setup_view(st, s, vec![l.error(&e)], None, status).await
        }
    }
}

/// Opens the company mailbox: `address` (lines) and `activation_date`.
pub async fn open_mailbox(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let result = match field(&f, "activation_date")
        .trim()
        .parse::<jiff::civil::Date>()
    {
        Ok(date) => {
            st.app
                .open_company_mailbox(&s.actor, &address_lines(&field(&f, "address")), date)
                .await
        }
        Err(_) => Err(AppError::Invalid(courrier_domain::Invalid::new(
            "activation_date",
            courrier_domain::codes::DATE_INVALID,
            "give the activation date as a date, such as 2026-01-31",
        ))),
    };
    setup_result(&st, &s, result, "setup.letter_sent").await
}

fn parse_mailbox(raw: &str) -> Result<courrier_domain::MailboxId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// The code from the letter.
pub async fn verify_code(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let result = match parse_mailbox(&id) {
        Ok(id) => {
            st.app
                .verify_mailbox(&s.actor, id, &field(&f, "code"))
                .await
        }
        Err(e) => Err(e),
    };
    setup_result(&st, &s, result, "setup.verified").await
}

/// A new postal address: the mailbox is suspended until its code is typed.
pub async fn change_address(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let result = match parse_mailbox(&id) {
        Ok(id) => {
            st.app
                .change_mailbox_address(&s.actor, id, &address_lines(&field(&f, "address")))
                .await
        }
        Err(e) => Err(e),
    };
    setup_result(&st, &s, result, "setup.address_changed").await
}

/// How new mail of a mailbox is announced: `notify` is each, digest, both
/// or none. The webhook is sent for every item whatever the choice.
pub async fn set_notify(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let result = match parse_mailbox(&id) {
        Ok(id) => {
            st.app
                .set_mailbox_notify(&s.actor, id, &field(&f, "notify"))
                .await
        }
        Err(e) => Err(e),
    };
    setup_result(&st, &s, result, "setup.notify_saved").await
}
