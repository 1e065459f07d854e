//! The platform team's pre-approval queue (permission `platform.admin`):
//! every member submitted by a customer (or sent back to them) across all
//! mail-center locations, oldest first, with its customer, location and
//! number of documents, each linking to the reviewers' view of the member.
//! The platform pre-approves or rejects, always with a note (the domain's
//! review rules decide; sending back is the mail center's step).
//!
//! A member waiting for the platform longer than the review rules allow
//! (`ReviewRules::approval_hours`, 48 h, the mail center's deadline too) is
//! flagged overdue, by the same rule the domain applies to the mail
//! center's approvals ([`is_approval_overdue`]), counted from
//! when the member reached the queue (its last submission or send-back).

use super::{Chrome, Screen, is_page_error, render};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::L;
use crate::session::{CsrfForm, Fields, SignedIn, field};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use courrier_app::AppError;
use courrier_domain::mailbox::{ReviewEvent, ReviewRules, is_approval_overdue};
use courrier_domain::{Invalid, LocationId, OrgId, Permission};
use std::collections::HashMap;

const PATH: &str = "/admin/reviews";
pub(super) const REVIEWS: Screen = Screen::new("admin", PATH);
/// Organisations read per page while naming the customers of the queue.
const ORG_PAGE: u32 = 200;

fn chrome(s: &SignedIn) -> Chrome {
    Chrome::signed_in(s, "admin", PATH)
}

/// The queue is the platform's: anyone else is refused before anything is
/// read (a customer would otherwise see their own sent-back members).
fn refuse_non_platform(s: &SignedIn) -> Option<Response> {
    match s.actor.scope(Permission::PlatformAdmin) {
        Ok(_) => None,
        Err(e) => Some(REVIEWS.fail(s, AppError::from(e))),
    }
}

/// A refused decision as the admin reads it: the message in their
/// language and the stable code.
struct Problem {
    code: String,
    message: String,
}

struct QueueRow {
    id: String,
    name: String,
    kind: String,
    customer: String,
    location: String,
    review: String,
    since: String,
    /// Waiting for the platform longer than the review rules allow.
    late: bool,
    documents: usize,
    notes: String,
}

#[derive(Template)]
#[template(path = "admin_reviews.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueRow>,
    /// How many rows are overdue.
    late: usize,
    /// The deadline in hours, shown with the overdue flag.
    due_hours: u32,
    problems: Vec<Problem>,
    flash: Option<String>,
}

/// The names of the given organisations (the platform reads them all, a
/// page at a time, and stops once every one is named).
async fn org_names(
    st: &AppState,
    s: &SignedIn,
    wanted: &[OrgId],
) -> Result<HashMap<OrgId, String>, AppError> {
    let mut names = HashMap::new();
    let mut cursor: Option<String> = None;
    while wanted.iter().any(|o| !names.contains_key(o)) {
        let page = st
            .app
            .list_orgs(&s.actor, cursor.as_deref(), ORG_PAGE)
            .await?;
        for o in page.items {
            names.insert(o.id, o.name);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(names)
}

async fn queue_view(
    st: &AppState,
    s: &SignedIn,
    problems: Vec<Problem>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let when = s.when();
    let l = L(s.locale);
    let mut members = match st.app.members_to_review(&s.actor, None).await {
        Ok(m) => m,
        Err(e) => return REVIEWS.fail(s, e),
    };
    members.sort_by_key(|m| (m.updated_at.millis(), m.id));
    let orgs: Vec<OrgId> = members.iter().map(|m| m.org).collect();
    let names = match org_names(st, s, &orgs).await {
        Ok(n) => n,
        Err(e) => return REVIEWS.fail(s, e),
    };
    let locations: HashMap<LocationId, String> = match st.app.locations().await {
        Ok(list) => list.into_iter().map(|loc| (loc.id, loc.name)).collect(),
        Err(e) => return REVIEWS.fail(s, e),
    };
    let now = st.app.now();
    let mut rows = Vec::with_capacity(members.len());
    for m in members {
        let documents = match st.app.member_file(&s.actor, m.id).await {
            Ok(f) => f.documents.len(),
            Err(e) => return REVIEWS.fail(s, e),
        };
        rows.push(QueueRow {
            id: m.id.to_string(),
            kind: l.t(&format!("memberkind.{}", m.kind.as_str())).to_string(),
            customer: names.get(&m.org).cloned().unwrap_or_default(),
            location: locations.get(&m.location).cloned().unwrap_or_default(),
            review: l.t(&format!("review.{}", m.review.as_str())).to_string(),
            since: when.at(m.updated_at),
            late: is_approval_overdue(m.updated_at, now),
            documents,
            notes: m.notes,
            name: m.name,
        });
    }
    let page = QueuePage {
        chrome: chrome(s),
        late: rows.iter().filter(|r| r.late).count(),
        due_hours: ReviewRules::DEFAULT.approval_hours,
        rows,
        problems,
        flash,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/reviews`.
pub async fn queue_page(State(st): State<AppState>, s: SignedIn) -> Response {
    if let Some(refused) = refuse_non_platform(&s) {
        return refused;
    }
    queue_view(&st, &s, Vec::new(), None, StatusCode::OK).await
}

/// `POST /admin/reviews/{id}`: pre-approve or reject, with a note.
pub async fn decide(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    if let Some(refused) = refuse_non_platform(&s) {
        return refused;
    }
    let Ok(member) = id.parse::<courrier_domain::MemberId>() else {
        return REVIEWS.fail(&s, AppError::NotFound);
    };
    let l = L(s.locale);
    let refused = |e: ApiError| Problem {
        message: l.error(&e),
        code: e.body.code,
    };
    let event = match field(&f, "event").as_str() {
        "pre_approve" => ReviewEvent::PreApprove,
        "reject" => ReviewEvent::Reject,
        _ => {
            let e = ApiError::from(AppError::Invalid(Invalid::new(
                "event",
                courrier_domain::codes::MAIL_REVIEW_INVALID,
                "pre-approve or reject",
            )));
            let status = e.status;
            return queue_view(&st, &s, vec![refused(e)], None, status).await;
        }
    };
    match st
        .app
        .review_mailbox_member(&s.actor, member, event, &field(&f, "note"))
        .await
    {
        Ok(m) => {
            let text = format!(
                "{} — {}",
                m.name,
                l.t(&format!("review.{}", m.review.as_str()))
            );
            queue_view(&st, &s, Vec::new(), Some(text), StatusCode::OK).await
        }
        Err(e) if is_page_error(&e) => REVIEWS.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            queue_view(&st, &s, vec![refused(e)], None, status).await
        }
    }
}
