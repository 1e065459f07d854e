//! The platform admin's page: organisations, dead-letter jobs, the outbox.

use super::{Chrome, Screen, render};
use crate::AppState;
use crate::session::{CsrfForm, Fields, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_domain::JobId;
use serde::Deserialize;

pub(super) const ADMIN: Screen = Screen::new("admin", "/admin/orgs");

struct OrgRow {
    name: String,
    kind: &'static str,
    kind_key: String,
    country: String,
    require_2fa: bool,
    created: String,
}

struct JobRow {
    id: String,
    kind: String,
    attempts: i32,
    error: String,
}

struct EmailRow {
    to: String,
    subject: String,
    state: &'static str,
    error: String,
    /// The plain-text body: without SMTP the outbox is where a message is read.
    text: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    notice: Option<String>,
    orgs: Vec<OrgRow>,
    next_cursor: Option<String>,
    dead_jobs: Vec<JobRow>,
    emails: Vec<EmailRow>,
    /// What is missing for text recognition on this server, if it is.
    ocr_missing: Option<String>,
}

#[derive(Deserialize)]
pub struct AdminQuery {
    cursor: Option<String>,
    requeued: Option<String>,
}

pub async fn admin_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<AdminQuery>,
) -> Response {
    let when = s.when();
    let orgs = match st.app.list_orgs(&s.actor, q.cursor.as_deref(), 50).await {
        Ok(o) => o,
        Err(e) => return ADMIN.fail(&s, e),
    };
    let (dead, emails) = match (
        st.app.dead_jobs(&s.actor, 100).await,
        st.app.recent_emails(&s.actor, 50).await,
    ) {
        (Ok(d), Ok(m)) => (d, m),
        (Err(e), _) | (_, Err(e)) => return ADMIN.fail(&s, e),
    };
    let chrome = Chrome::signed_in(&s, "admin", "/admin/orgs");
    let page = AdminPage {
        notice: q.requeued.map(|_| chrome.l.t("admin.requeued").to_string()),
        orgs: orgs
            .items
            .into_iter()
            .map(|o| OrgRow {
                name: o.name,
                kind: o.kind.as_str(),
                kind_key: format!("party.{}", o.kind.as_str()),
                country: o.country,
                require_2fa: o.require_2fa,
                created: when.at(o.created_at),
            })
            .collect(),
        next_cursor: orgs.next_cursor,
        dead_jobs: dead
            .into_iter()
            .map(|j| JobRow {
                id: j.id.to_string(),
                kind: j.kind,
                attempts: j.attempts,
                error: j.last_error.unwrap_or_default(),
            })
            .collect(),
        emails: emails
            .into_iter()
            .map(|m| EmailRow {
                to: m.to.to_string(),
                subject: m.subject,
                state: m.state.as_str(),
                error: m.last_error.unwrap_or_default(),
                text: m.body_text,
            })
            .collect(),
        ocr_missing: match st.app.ocr_status() {
            courrier_app::ocr::OcrStatus::Unavailable { reason } => Some(reason),
            _ => None,
        },
        chrome,
    };
    render(&page)
}

pub async fn requeue_job(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(id) = id.parse::<JobId>() else {
        return ADMIN.fail(&s, AppError::NotFound);
    };
    match st.app.requeue_job(&s.actor, id).await {
        Ok(()) => Redirect::to("/admin/orgs?requeued=1").into_response(),
        Err(e) => ADMIN.fail(&s, e),
    }
}
