//! One letter.

use super::*;

pub(super) struct Fact {
    label: String,
    value: String,
}

pub(super) struct HistoryRow {
    at: String,
    status_label: String,
    badge: &'static str,
    who: String,
    note: String,
}

/// A rectangle on the preview, each value a percentage of the page.
pub(super) struct WindowRect {
    x: String,
    y: String,
    width: String,
    height: String,
}

#[derive(Template)]
#[template(path = "letters_detail.html")]
pub(super) struct DetailPage {
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
pub(super) fn composition(l: L, letter: &LetterRecord) -> String {
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

pub(super) fn who(l: L, names: &HashMap<String, String>, actor: &str) -> String {
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
pub(super) async fn detail_view(
    st: &AppState,
    s: &SignedIn,
    id: LetterId,
    errors: Vec<ErrorItem>,
    status: StatusCode,
    edited: Option<LetterOptions>,
) -> Response {
    let when = s.when();
    let view = match st.app.letter(&s.actor, id).await {
        Ok(v) => v,
        Err(e) => return LETTERS.fail(s, e),
    };
    let (names, window) = match (
        st.app.letter_people(&s.actor).await,
        st.app.letter_window(&s.actor).await,
    ) {
        (Ok(n), Ok(w)) => (n, w),
        (Err(e), _) | (_, Err(e)) => return LETTERS.fail(s, e),
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
                at: when.at(e.at),
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
        return LETTERS.fail(&s, AppError::NotFound);
    };
    detail_view(&st, &s, id, Vec::new(), StatusCode::OK, None).await
}

/// Page 1 as a picture; never cached, it shows the letter's content.
pub async fn preview(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return LETTERS.fail(&s, AppError::NotFound);
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
        Err(e) => LETTERS.fail(&s, e),
    }
}

pub async fn document(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return LETTERS.fail(&s, AppError::NotFound);
    };
    match st.app.letter_pdf(&s.actor, id).await {
        Ok(pdf) => pdf_response(id, pdf),
        Err(e) => LETTERS.fail(&s, e),
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub struct EditForm {
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
    CsrfForm(f): CsrfForm<EditForm>,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return LETTERS.fail(&s, AppError::NotFound);
    };
    let current = match st.app.letter(&s.actor, id).await {
        Ok(v) => v.letter,
        Err(e) => return LETTERS.fail(&s, e),
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

pub(super) async fn after_action(
    st: &AppState,
    s: &SignedIn,
    id: LetterId,
    result: Result<(), AppError>,
    edited: Option<LetterOptions>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/letters/{id}")).into_response(),
        Err(e) if is_page_error(&e) => LETTERS.fail(s, e),
        Err(e) => {
            let e = ApiError::from(e);
            detail_view(st, s, id, problems_of(&e), e.status, edited).await
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Action {
    Submit,
    Approve,
    Reject,
    Cancel,
}

pub(super) async fn act(
    st: AppState,
    s: SignedIn,
    id: String,
    f: ActionForm,
    action: Action,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return LETTERS.fail(&s, AppError::NotFound);
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
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Submit).await
}

pub async fn approve(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Approve).await
}

pub async fn reject(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Reject).await
}

pub async fn cancel(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ActionForm>,
) -> Response {
    act(st, s, id, f, Action::Cancel).await
}
