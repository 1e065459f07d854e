//! Single letters in the web app: the list with its filters, sending a letter
//! (upload → draft → detail page), the detail page with a picture of page 1,
//! the quote, the history and the actions, the approvals inbox, and the
//! organisation's letter settings. Every form works without JavaScript.

use super::{Chrome, error_page, fmt_ts, render};
use crate::AppState;
use crate::api::letters::{
    LetterOptions, current_options, letter_filter, letter_input, letter_input_with_files,
    money_text, pdf_response, problems_of,
};
use crate::error::{ApiError, ErrorItem};
use crate::i18n::L;
use crate::session::SignedIn;
use crate::upload::{is_multipart, parse_multipart, read_request};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_domain::letters::{BackgroundScope, Envelope, LetterStatus, Product, Registered};
use courrier_domain::{LetterId, Locale, Permission, UserId};
use courrier_store::{LetterRecord, LetterSettings};
use serde::Deserialize;
use std::collections::HashMap;

/// A4 in millimetres: the window overlay is placed in percent of these.
const A4_WIDTH_MM: f32 = 210.0;
const A4_HEIGHT_MM: f32 = 297.0;

fn fail(s: &SignedIn, e: AppError) -> Response {
    let e = ApiError::from(e);
    error_page(Chrome::signed_in(s, "letters", "/letters"), e.status, &e)
}

fn csrf_refused(s: &SignedIn, e: &ApiError) -> Response {
    error_page(
        Chrome::signed_in(s, "letters", "/letters"),
        StatusCode::FORBIDDEN,
        e,
    )
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

/// One problem as a person reads it: its code and the message in their language.
struct Problem {
    code: String,
    message: String,
}

/// The checks' own messages are English and precise (which page, which
/// size); in French the code's translation stands in for them.
fn problems(l: L, items: Vec<ErrorItem>) -> Vec<Problem> {
    items
        .into_iter()
        .map(|i| {
            let key = format!("err.{}", i.code);
            let message = match (l.0, l.t(&key)) {
                (Locale::Fr, text) if text != key => text.to_string(),
                _ => i.message,
            };
            Problem {
                code: i.code,
                message,
            }
        })
        .collect()
}

/// A choice in a select: its value, its words, and whether it is chosen.
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

fn choices(l: L, values: &[&'static str], prefix: &str, current: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v,
            label: l.t(&format!("{prefix}.{v}")).to_string(),
            selected: *v == current,
        })
        .collect()
}

/// The option fields of the upload and edit forms.
struct OptionForm {
    envelopes: Vec<Choice>,
    colours: Vec<Choice>,
    sides: Vec<Choice>,
    products: Vec<Choice>,
    registered: Vec<Choice>,
    reference: String,
    recipient: String,
}

fn option_form(l: L, o: &LetterOptions) -> OptionForm {
    let get = |v: &Option<String>, default: &'static str| {
        v.clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default.into())
    };
    let envelope = get(&o.envelope, "c5");
    let envelope = Envelope::parse(&envelope)
        .map(|e| e.as_str())
        .unwrap_or("c5");
    let colour = get(&o.colour, "bw");
    let colour = if colour == "color" {
        "colour".to_string()
    } else {
        colour
    };
    OptionForm {
        envelopes: Envelope::ALL
            .iter()
            .map(|e| Choice {
                value: e.as_str(),
                label: e.label().to_string(),
                selected: e.as_str() == envelope,
            })
            .collect(),
        colours: choices(l, &["bw", "colour"], "colour", &colour),
        sides: choices(
            l,
            &["simplex", "duplex"],
            "sides",
            &get(&o.sides, "simplex"),
        ),
        products: choices(
            l,
            &Product::ALL.map(Product::as_str),
            "product",
            &get(&o.product, "priority"),
        ),
        registered: choices(
            l,
            &Registered::ALL.map(Registered::as_str),
            "registered",
            &get(&o.registered, "none"),
        ),
        reference: o.reference.clone().unwrap_or_default(),
        recipient: o.recipient.clone().unwrap_or_default(),
    }
}

/// The options a form sent, by field name.
fn options_from(field: impl Fn(&str) -> Option<String>) -> LetterOptions {
    LetterOptions {
        envelope: field("envelope"),
        colour: field("colour"),
        sides: field("sides"),
        paper: None,
        product: field("product"),
        registered: field("registered"),
        reference: field("reference"),
        recipient: field("recipient"),
        return_address: None,
        submit: None,
        background_scope: field("background_scope"),
    }
}

fn status_label(l: L, s: LetterStatus) -> String {
    l.t(&format!("status.{}", s.as_str())).to_string()
}

fn badge(s: LetterStatus) -> &'static str {
    match s {
        LetterStatus::Draft => "",
        LetterStatus::AwaitingApproval => "warn",
        LetterStatus::Cancelled | LetterStatus::Failed | LetterStatus::Returned => "bad",
        _ => "ok",
    }
}

fn parse_id(raw: &str) -> Option<LetterId> {
    raw.parse::<LetterId>().ok()
}

// ----- the list and the approvals inbox -----

struct LetterRow {
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

fn row(l: L, r: LetterRecord) -> LetterRow {
    let place = [r.recipient.postcode.as_str(), r.recipient.locality.as_str()]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    LetterRow {
        id: r.id.to_string(),
        created: fmt_ts(r.created_at),
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
struct ListPage {
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
            page.rows = p.items.into_iter().map(|r| row(l, r)).collect();
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
        Err(e) if is_page_error(&e) => fail(&s, e),
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
    let mut page = ListPage::new(&s, true, "/letters/approvals");
    let l = page.chrome.l;
    match st
        .app
        .letters_awaiting_approval(&s.actor, q.cursor.as_deref(), 50)
        .await
    {
        Ok(p) => {
            page.rows = p.items.into_iter().map(|r| row(l, r)).collect();
            page.next_href = p.next_cursor.map(|c| {
                format!(
                    "/letters/approvals?{}",
                    serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()
                )
            });
            render(&page)
        }
        Err(e) => fail(&s, e),
    }
}

// ----- sending a letter -----

#[derive(Template)]
#[template(path = "letters_new.html")]
struct NewPage {
    chrome: Chrome,
    problems: Vec<Problem>,
    form: OptionForm,
    /// The letterhead goes under every page (else the first).
    letterhead_all: bool,
}

fn new_view(
    s: &SignedIn,
    o: &LetterOptions,
    errors: Vec<ErrorItem>,
    status: StatusCode,
) -> Response {
    let chrome = Chrome::signed_in(s, "letters", "/letters/new");
    let l = chrome.l;
    let page = NewPage {
        problems: problems(l, errors),
        form: option_form(l, o),
        letterhead_all: matches!(o.background_scope.as_deref(), Some("all" | "all_pages")),
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn new_page(s: SignedIn) -> Response {
    if !s.actor.can(Permission::LettersSend) {
        return fail(&s, AppError::Forbidden(Permission::LettersSend));
    }
    new_view(&s, &LetterOptions::default(), Vec::new(), StatusCode::OK)
}

/// The upload form: checks, prices and stores the letter as a draft, then
/// shows it; a refusal shows the form again with every problem.
pub async fn upload(State(st): State<AppState>, s: SignedIn, req: Request) -> Response {
    // Refused before the upload is read.
    if !s.actor.can(Permission::LettersSend) {
        return fail(&s, AppError::Forbidden(Permission::LettersSend));
    }
    let none = LetterOptions::default();
    let (parts, body) = match read_request(req).await {
        Ok(x) => x,
        Err(e) => return new_view(&s, &none, problems_of(&e), e.status),
    };
    if !is_multipart(&parts) {
        let e = ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the form as multipart/form-data",
        );
        return new_view(&s, &none, problems_of(&e), e.status);
    }
    let form = match parse_multipart(parts, body).await {
        Ok(f) => f,
        Err(e) => return new_view(&s, &none, problems_of(&e), e.status),
    };
    if let Err(e) = s.check_csrf(form.field("csrf_token").unwrap_or("")) {
        return csrf_refused(&s, &e);
    }
    let mut options = options_from(|name| form.field(name).map(str::to_string));
    // The form always sends its letterhead choice; without a letterhead
    // file it means nothing.
    if !form
        .extra_files
        .iter()
        .any(|(name, _, bytes)| name == "background" && !bytes.is_empty())
    {
        options.background_scope = None;
    }
    let Some(pdf) = form.file.as_ref().filter(|f| !f.is_empty()) else {
        let e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            courrier_domain::codes::UPLOAD_FILE_MISSING,
            "choose a PDF file",
        )
        .with_field("file");
        return new_view(&s, &options, problems_of(&e), e.status);
    };
    let result = match letter_input_with_files(&options, &form.extra_files) {
        Ok(input) => st.app.create_letter(&s.actor, pdf, &input, false).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/letters/{}", p.record.id)).into_response(),
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            new_view(&s, &options, problems_of(&e), e.status)
        }
    }
}

// ----- one letter -----

struct Fact {
    label: String,
    value: String,
}

struct HistoryRow {
    at: String,
    status_label: String,
    badge: &'static str,
    who: String,
    note: String,
}

/// A rectangle on the preview, each value a percentage of the page.
struct WindowRect {
    x: String,
    y: String,
    width: String,
    height: String,
}

#[derive(Template)]
#[template(path = "letters_detail.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    status: &'static str,
    status_label: String,
    badge: &'static str,
    reference: String,
    recipient: Vec<String>,
    return_address: String,
    options: Vec<Fact>,
    net: String,
    vat: String,
    total: String,
    weight: i32,
    pages: i32,
    sheets: i32,
    /// "letterhead on all pages, 1 attachment (coupon.pdf, 1 page)"; empty
    /// for a letter printed as uploaded.
    composition: String,
    posting: String,
    delivery: String,
    note: String,
    history: Vec<HistoryRow>,
    preview: bool,
    /// The address window on the preview, in percent of the page: x, y,
    /// width, height (an SVG rectangle: no style attribute under the CSP).
    window: WindowRect,
    can_edit: bool,
    can_submit: bool,
    can_cancel: bool,
    can_approve: bool,
    problems: Vec<Problem>,
    form: OptionForm,
}

/// What a letter was made of, in words: its letterhead and attachments.
fn composition(l: L, letter: &LetterRecord) -> String {
    let mut parts: Vec<String> = Vec::new();
    match letter.background {
        Some(BackgroundScope::FirstPage) => {
            parts.push(l.t("letter.letterhead_first_page").to_string());
        }
        Some(BackgroundScope::AllPages) => {
            parts.push(l.t("letter.letterhead_all_pages").to_string());
        }
        None => {}
    }
    if !letter.attachments.is_empty() {
        let n = letter.attachments.len();
        let files: Vec<String> = letter
            .attachments
            .iter()
            .map(|a| {
                format!(
                    "{}, {}",
                    a.name,
                    l.t_args("letter.page_count", &[("count", a.pages.into())])
                )
            })
            .collect();
        parts.push(format!(
            "{} ({})",
            l.t_args("letter.attachment_count", &[("count", n.into())]),
            files.join("; ")
        ));
    }
    parts.join(", ")
}

fn who(l: L, names: &HashMap<String, String>, actor: &str) -> String {
    if let Some(n) = names.get(actor) {
        return n.clone();
    }
    if actor.starts_with("apikey:") {
        return l.t("letter.by_api_key").to_string();
    }
    if actor.starts_with("system:") {
        return "Courrier".into();
    }
    actor.to_string()
}

/// The detail page, with the problems of a refused action or edit.
async fn detail_view(
    st: &AppState,
    s: &SignedIn,
    id: LetterId,
    errors: Vec<ErrorItem>,
    status: StatusCode,
    edited: Option<LetterOptions>,
) -> Response {
    let view = match st.app.letter(&s.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(s, e),
    };
    let (names, window) = match (
        st.app.letter_people(&s.actor).await,
        st.app.letter_window(&s.actor).await,
    ) {
        (Ok(n), Ok(w)) => (n, w),
        (Err(e), _) | (_, Err(e)) => return fail(s, e),
    };
    let path = format!("/letters/{id}");
    let chrome = Chrome::signed_in(s, "letters", &path);
    let l = chrome.l;
    let letter = view.letter;
    let pct = |mm: f32, of: f32| mm / of * 100.0;
    let window_rect = WindowRect {
        x: format!("{:.2}%", pct(window.left_mm, A4_WIDTH_MM)),
        y: format!("{:.2}%", pct(window.top_mm, A4_HEIGHT_MM)),
        width: format!("{:.2}%", pct(window.width_mm, A4_WIDTH_MM)),
        height: format!("{:.2}%", pct(window.height_mm, A4_HEIGHT_MM)),
    };
    let fact = |key: &str, value: String| Fact {
        label: l.t(key).to_string(),
        value,
    };
    let options = vec![
        fact("opt.envelope", letter.envelope.label().to_string()),
        fact(
            "opt.colour",
            l.t(&format!("colour.{}", letter.colour.as_str()))
                .to_string(),
        ),
        fact(
            "opt.sides",
            l.t(&format!("sides.{}", letter.sides.as_str())).to_string(),
        ),
        fact("opt.paper", letter.paper.as_str().to_string()),
        fact(
            "opt.product",
            l.t(&format!("product.{}", letter.product.as_str()))
                .to_string(),
        ),
        fact(
            "opt.registered",
            l.t(&format!("registered.{}", letter.registered.as_str()))
                .to_string(),
        ),
    ];
    let send = s.actor.can(Permission::LettersSend);
    let draft = letter.status == LetterStatus::Draft;
    let form = option_form(l, &edited.unwrap_or_else(|| current_options(&letter)));
    let page = DetailPage {
        id: letter.id.to_string(),
        status: letter.status.as_str(),
        status_label: status_label(l, letter.status),
        badge: badge(letter.status),
        reference: letter.reference.clone(),
        recipient: letter.recipient.lines.clone(),
        return_address: letter.return_address.clone(),
        options,
        net: money_text(letter.price_net, letter.currency),
        vat: money_text(letter.price_vat, letter.currency),
        total: money_text(letter.price_total, letter.currency),
        weight: letter.weight_grams,
        pages: letter.pages,
        sheets: letter.sheets,
        composition: composition(l, &letter),
        posting: letter.posting_date.clone().unwrap_or_else(|| "—".into()),
        delivery: letter
            .expected_delivery
            .clone()
            .unwrap_or_else(|| "—".into()),
        note: letter.note.clone(),
        history: view
            .history
            .into_iter()
            .map(|e| HistoryRow {
                at: fmt_ts(e.at),
                status_label: status_label(l, e.status),
                badge: badge(e.status),
                who: who(l, &names, &e.actor),
                note: e.note,
            })
            .collect(),
        preview: letter.document.is_some(),
        window: window_rect,
        can_edit: draft && send,
        can_submit: draft && send,
        can_cancel: letter.status.can_cancel() && send,
        can_approve: letter.status == LetterStatus::AwaitingApproval
            && s.actor.can(Permission::LettersApprove),
        problems: problems(l, errors),
        form,
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn detail_page(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return fail(&s, AppError::NotFound);
    };
    detail_view(&st, &s, id, Vec::new(), StatusCode::OK, None).await
}

/// Page 1 as a picture; never cached, it shows the letter's content.
pub async fn preview(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return fail(&s, AppError::NotFound);
    };
    match st.app.letter_preview_png(&s.actor, id).await {
        Ok(png) => {
            let mut res = png.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            res
        }
        Err(e) => fail(&s, e),
    }
}

pub async fn document(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return fail(&s, AppError::NotFound);
    };
    match st.app.letter_pdf(&s.actor, id).await {
        Ok(pdf) => pdf_response(id, pdf),
        Err(e) => fail(&s, e),
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf_token: String,
    envelope: Option<String>,
    colour: Option<String>,
    sides: Option<String>,
    product: Option<String>,
    registered: Option<String>,
    reference: Option<String>,
    recipient: Option<String>,
}

/// The edit form of a draft: checked and priced again.
pub async fn edit(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<EditForm>,
) -> Response {
    if let Err(e) = s.check_csrf(&f.csrf_token) {
        return csrf_refused(&s, &e);
    }
    let Some(id) = parse_id(&id) else {
        return fail(&s, AppError::NotFound);
    };
    let current = match st.app.letter(&s.actor, id).await {
        Ok(v) => v.letter,
        Err(e) => return fail(&s, e),
    };
    let mut options = options_from(|name| match name {
        "envelope" => f.envelope.clone(),
        "colour" => f.colour.clone(),
        "sides" => f.sides.clone(),
        "product" => f.product.clone(),
        "registered" => f.registered.clone(),
        "reference" => f.reference.clone(),
        "recipient" => f.recipient.clone(),
        _ => None,
    });
    options.return_address = Some(current.return_address.clone()).filter(|r| !r.trim().is_empty());
    let result = match letter_input(&options) {
        Ok(input) => st.app.update_draft(&s.actor, id, &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    after_action(&st, &s, id, result, Some(options)).await
}

async fn after_action(
    st: &AppState,
    s: &SignedIn,
    id: LetterId,
    result: Result<(), AppError>,
    edited: Option<LetterOptions>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/letters/{id}")).into_response(),
        Err(e) if is_page_error(&e) => fail(s, e),
        Err(e) => {
            let e = ApiError::from(e);
            detail_view(st, s, id, problems_of(&e), e.status, edited).await
        }
    }
}

#[derive(Clone, Copy)]
enum Action {
    Submit,
    Approve,
    Reject,
    Cancel,
}

async fn act(st: AppState, s: SignedIn, id: String, f: ActionForm, action: Action) -> Response {
    if let Err(e) = s.check_csrf(&f.csrf_token) {
        return csrf_refused(&s, &e);
    }
    let Some(id) = parse_id(&id) else {
        return fail(&s, AppError::NotFound);
    };
    let app = &st.app;
    let result = match action {
        Action::Submit => app.submit_letter(&s.actor, id).await,
        Action::Approve => app.approve_letter(&s.actor, id).await,
        Action::Reject => app.reject_letter(&s.actor, id, &f.reason).await,
        Action::Cancel => app.cancel_letter(&s.actor, id).await,
    };
    after_action(&st, &s, id, result.map(|_| ()), None).await
}

pub async fn submit(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Submit).await
}

pub async fn approve(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Approve).await
}

pub async fn reject(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Reject).await
}

pub async fn cancel(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Cancel).await
}

// ----- the organisation's letter settings -----

struct PersonRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "letters_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    problems: Vec<Problem>,
    saved: bool,
    people: Vec<PersonRow>,
    retention_days: String,
    purge_after_print: bool,
    windows: Vec<Choice>,
    return_address: String,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn settings_view(
    st: &AppState,
    s: &SignedIn,
    settings: &LetterSettings,
    retention_text: Option<String>,
    errors: Vec<ErrorItem>,
    status: StatusCode,
    saved: bool,
) -> Response {
    let mut people = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match st.app.list_users(&s.actor, cursor.as_deref(), 200).await {
            Ok(p) => p,
            Err(e) => return fail(s, e),
        };
        people.extend(page.items.into_iter().map(|u| PersonRow {
            id: u.id.to_string(),
            checked: settings.approval_required_for.contains(&u.id),
            name: u.display_name,
            email: u.email.to_string(),
            role: u.role.as_str(),
        }));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let chrome = Chrome::signed_in(s, "letters", "/org/letters");
    let l = chrome.l;
    let window = if settings.window_standard == "right_window" {
        "right"
    } else {
        settings.window_standard.as_str()
    };
    let page = SettingsPage {
        problems: problems(l, errors),
        saved,
        people,
        retention_days: retention_text.unwrap_or_else(|| settings.retention_days.to_string()),
        purge_after_print: settings.purge_after_print,
        windows: choices(
            l,
            &courrier_app::preview::WINDOW_STANDARDS,
            "window",
            window,
        ),
        return_address: settings.return_address.clone(),
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn settings_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<SavedQuery>,
) -> Response {
    match st.app.letter_settings(&s.actor).await {
        Ok(settings) => {
            settings_view(
                &st,
                &s,
                &settings,
                None,
                Vec::new(),
                StatusCode::OK,
                q.saved.is_some(),
            )
            .await
        }
        Err(e) => fail(&s, e),
    }
}

/// The settings form repeats `approval` (one per person ticked), so it is read as pairs.
pub async fn save_settings(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    // Refused before the form is read.
    if !s.actor.can(Permission::OrgSettings) {
        return fail(&s, AppError::Forbidden(Permission::OrgSettings));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Err(e) = s.check_csrf(&field("csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let mut errors = Vec::new();
    let approval_required_for: Vec<UserId> = pairs
        .iter()
        .filter(|(k, _)| k == "approval")
        .filter_map(|(_, v)| match v.parse::<UserId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(ErrorItem {
                    code: "letter.approval_user_unknown".into(),
                    message: format!("{v} is not a person of your organisation"),
                    field: "approval_required_for".into(),
                });
                None
            }
        })
        .collect();
    let retention_text = field("retention_days");
    let retention_days = match retention_text.trim().parse::<i32>() {
        Ok(d) => d,
        Err(_) => {
            errors.push(ErrorItem {
                code: "letter.retention_invalid".into(),
                message: "keep documents between 1 and 3650 days".into(),
                field: "retention_days".into(),
            });
            0
        }
    };
    let settings = LetterSettings {
        approval_required_for,
        retention_days,
        purge_after_print: matches!(field("purge_after_print").as_str(), "on" | "true" | "1"),
        window_standard: field("window_standard"),
        return_address: field("return_address"),
    };
    if !errors.is_empty() {
        return settings_view(
            &st,
            &s,
            &settings,
            Some(retention_text),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
        )
        .await;
    }
    match st.app.set_letter_settings(&s.actor, &settings).await {
        Ok(()) => Redirect::to("/org/letters?saved=1").into_response(),
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            settings_view(
                &st,
                &s,
                &settings,
                Some(retention_text),
                problems_of(&e),
                e.status,
                false,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_and_badges() {
        let l = L(Locale::Fr);
        let c = choices(l, &["bw", "colour"], "colour", "colour");
        assert_eq!(c.iter().filter(|c| c.selected).count(), 1);
        assert_eq!(c.first().map(|c| c.label.as_str()), Some("Noir et blanc"));
        assert_eq!(badge(LetterStatus::AwaitingApproval), "warn");
        assert_eq!(badge(LetterStatus::Cancelled), "bad");
        let form = option_form(
            l,
            &LetterOptions {
                envelope: Some("C4".into()),
                ..LetterOptions::default()
            },
        );
        assert!(form.envelopes.iter().any(|e| e.value == "c4" && e.selected));
        let p = problems(
            L(Locale::En),
            vec![ErrorItem {
                code: "x.y".into(),
                message: "m".into(),
                field: String::new(),
            }],
        );
        assert_eq!(p.first().map(|p| p.message.as_str()), Some("m"));
    }
}
