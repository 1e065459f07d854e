//! The verification queue.

use super::*;

pub(super) struct ReviewRow {
    id: String,
    name: String,
    kind: String,
    review: String,
    since: String,
    late: bool,
    notes: String,
}

#[derive(Template)]
#[template(path = "center_reviews.html")]
pub(super) struct ReviewsPage {
    chrome: Chrome,
    site: Site,
    rows: Vec<ReviewRow>,
    problems: Vec<String>,
    flash: Option<String>,
}

pub(super) async fn reviews_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    problems: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let when = s.when();
    let l = L(s.locale);
    let members = match st.app.members_to_review(&s.actor, Some(loc.id)).await {
        Ok(m) => m,
        Err(e) => return CENTER.fail(s, e),
    };
    let now = st.app.now();
    let page = ReviewsPage {
        site: site(s, loc),
        rows: members
            .into_iter()
            .map(|m| {
                let since = review_since(&m);
                ReviewRow {
                    id: m.id.to_string(),
                    name: m.name.clone(),
                    kind: l.t(&format!("memberkind.{}", m.kind.as_str())).to_string(),
                    review: l.t(&format!("review.{}", m.review.as_str())).to_string(),
                    since: when.at(since),
                    late: is_approval_overdue(since, now),
                    notes: m.notes.clone(),
                }
            })
            .collect(),
        problems,
        flash,
        chrome: Chrome::signed_in(s, "center", "/center/reviews"),
    };
    (status, render(&page)).into_response()
}

pub async fn reviews_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    let loc = match location(&st, &s, q.location.as_deref()).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    reviews_view(&st, &s, &loc, Vec::new(), None, StatusCode::OK).await
}

pub async fn review_member(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let Ok(member) = id.parse::<courrier_domain::MemberId>() else {
        return CENTER.fail(&s, AppError::NotFound);
    };
    // Another organisation's member is not found, whatever the form says.
    if let Err(e) = st.app.member_for_review(&s.actor, member).await {
        return CENTER.fail(&s, e);
    }
    let loc = match location(&st, &s, Some(&field(&f, "location"))).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    let l = L(s.locale);
    let event = match field(&f, "event").as_str() {
        "approve" => ReviewEvent::Approve,
        "send_back" => ReviewEvent::SendBack,
        "reject" => ReviewEvent::Reject,
        _ => {
            let e = ApiError::from(invalid(
                "event",
                courrier_domain::codes::MAIL_REVIEW_INVALID,
                "approve, send back or reject",
            ));
            return reviews_view(&st, &s, &loc, vec![l.error(&e)], None, e.status).await;
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
            reviews_view(&st, &s, &loc, Vec::new(), Some(text), StatusCode::OK).await
        }
        Err(e) if is_page_error(&e) => CENTER.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            reviews_view(&st, &s, &loc, vec![l.error(&e)], None, status).await
        }
    }
}
