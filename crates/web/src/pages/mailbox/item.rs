//! One item.

use super::*;

pub(super) struct EventRow {
    at: String,
    event: String,
    actor: String,
    detail: String,
}

pub(super) struct TaskRow {
    action: String,
    state: String,
    open: bool,
    requested: String,
    due: String,
    done: String,
    fee: String,
    note: String,
}

pub(super) struct ActionButton {
    value: &'static str,
    label: String,
    forward: bool,
}

#[derive(Template)]
#[template(path = "mail_detail.html")]
pub(super) struct DetailPage {
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
    /// Why there is no text: recognition is not installed here.
    ocr_note: String,
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

pub(super) fn parse_item(raw: &str) -> Result<MailItemId, AppError> {
    raw.parse::<MailItemId>().map_err(|_| AppError::NotFound)
}

pub(super) async fn detail_view(
    st: &AppState,
    s: &SignedIn,
    id: MailItemId,
    outcomes: Vec<OutcomeRow>,
    problems: Vec<String>,
) -> Response {
    let when = s.when();
    let view = match st.app.mail_item(&s.actor, id).await {
        Ok(v) => v,
        Err(e) => return MAIL.fail(s, e),
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
        received: when.at(item.received_at),
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
        ocr_note: if item.ocr.unavailable() {
            l.t("ocr.unavailable").to_string()
        } else {
            String::new()
        },
        text: view.text.clone(),
        tags: item.tags.join(", "),
        note: item.note.clone(),
        actions,
        mailbox_address,
        events: view
            .events
            .iter()
            .map(|e| EventRow {
                at: when.at(e.at),
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
                requested: when.at(t.requested_at),
                due: when.at(t.due_at),
                done: t.done_at.map(|t| when.at(t)).unwrap_or_default(),
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
        Err(e) => MAIL.fail(&s, e),
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
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let when = s.when();
    let id = match parse_item(&id) {
        Ok(id) => id,
        Err(e) => return MAIL.fail(&s, e),
    };
    // Refused, or another organisation's item not found, before the form is read.
    if !s.actor.can(Permission::MailboxAct) {
        return MAIL.fail(&s, AppError::Forbidden(Permission::MailboxAct));
    }
    if let Err(e) = st.app.mail_item(&s.actor, id).await {
        return MAIL.fail(&s, e);
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
                return MAIL.fail(&s, AppError::NotFound);
            }
            detail_view(&st, &s, id, outcome_rows(l, &when, results), Vec::new()).await
        }
        Err(e) if is_page_error(&e) => MAIL.fail(&s, e),
        Err(e) => detail_view(&st, &s, id, Vec::new(), vec![error_text(l, e)]).await,
    }
}

/// Tags (comma-separated) and the note.
pub async fn annotate(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let id = match parse_item(&id) {
        Ok(id) => id,
        Err(e) => return MAIL.fail(&s, e),
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
        Err(e) if is_page_error(&e) => MAIL.fail(&s, e),
        Err(e) => {
            let l = L(s.locale);
            detail_view(&st, &s, id, Vec::new(), vec![error_text(l, e)]).await
        }
    }
}

/// A decrypted file, never cached.
pub(in crate::pages) fn file_response(content_type: &str, bytes: Vec<u8>) -> Response {
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

pub(super) async fn serve_file(st: &AppState, s: &SignedIn, raw: &str, envelope: bool) -> Response {
    let id = match parse_item(raw) {
        Ok(id) => id,
        Err(e) => return MAIL.fail(s, e),
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
        Err(e) => MAIL.fail(s, e),
    }
}

pub async fn envelope(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    serve_file(&st, &s, &id, true).await
}

pub async fn scan(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    serve_file(&st, &s, &id, false).await
}
