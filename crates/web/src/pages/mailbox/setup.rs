//! The company mailbox.

use super::*;

pub(super) struct MailboxRow {
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
pub(super) struct SetupPage {
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

pub(super) async fn setup_view(
    st: &AppState,
    s: &SignedIn,
    problems: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let boxes = match st.app.mailboxes(&s.actor).await {
        Ok(b) => b,
        Err(e) => return MAIL.fail(s, e),
    };
    let mut notify = Vec::with_capacity(boxes.len());
    for b in &boxes {
        match st.app.mailbox_notify(&s.actor, b.id).await {
            Ok(m) => notify.push(m.as_str()),
            Err(e) => return MAIL.fail(s, e),
        }
    }
    let scan_days = match st.app.scan_retention(&s.actor).await {
        Ok(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        Err(e) => return MAIL.fail(s, e),
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
pub async fn set_scan_retention(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
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

pub(super) fn address_lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

pub(super) async fn setup_result<T>(
    st: &AppState,
    s: &SignedIn,
    result: Result<T, AppError>,
    ok_key: &str,
) -> Response {
    let l = L(s.locale);
    match result {
        Ok(_) => setup_view(st, s, Vec::new(), Some(l.t(ok_key).into()), StatusCode::OK).await,
        Err(e) if is_page_error(&e) => MAIL.fail(s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            setup_view(st, s, vec![l.error(&e)], None, status).await
        }
    }
}

/// Opens the company mailbox: `address` (lines) and `activation_date`.
pub async fn open_mailbox(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
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

pub(super) fn parse_mailbox(raw: &str) -> Result<courrier_domain::MailboxId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// The code from the letter.
pub async fn verify_code(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
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
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
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
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
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
