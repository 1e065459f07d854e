//! The daily checklist.

use super::*;

pub(super) struct TaskLine {
    item: String,
    action: String,
    due: String,
    sender: String,
    recipient: String,
}

/// An item inserted today whose piece was received on an earlier day.
pub(super) struct LateRow {
    id: String,
    sender: String,
    recipient: String,
    received_on: String,
    inserted: String,
}

#[derive(Template)]
#[template(path = "center.html")]
pub(super) struct DashboardPage {
    chrome: Chrome,
    site: Site,
    problems: Vec<String>,
    /// Today, `YYYY-MM-DD` in the location's time zone.
    day: String,
    inserted: usize,
    refused: usize,
    /// Received today and inserted (refused ones included: handled).
    received_today: usize,
    refused_today: usize,
    /// The carrier's count, if recorded, and who recorded it when.
    carrier: Option<i64>,
    carrier_by: String,
    /// Counted pieces not inserted yet, and inserted beyond the count.
    missing: i64,
    extra: i64,
    all_inserted: bool,
    late: Vec<LateRow>,
    due_today: Vec<TaskLine>,
    overdue: Vec<TaskLine>,
    approvals: usize,
    approvals_late: usize,
    /// Customers whose cancelled plan ends soon: name and closing date.
    plans_ending: Vec<(String, String)>,
    items: Vec<ItemRow>,
}

pub(super) fn task_line(l: L, when: &When, v: &courrier_app::mailbox::TaskView) -> TaskLine {
    TaskLine {
        item: v.item.id.to_string(),
        action: action_label(l, v.task.action),
        due: when.at(v.task.due_at),
        sender: v.item.item.sender.clone().unwrap_or_else(|| "—".into()),
        recipient: v.item.recipient_name.clone(),
    }
}

pub async fn dashboard(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    let loc = match location(&st, &s, q.location.as_deref()).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    dashboard_view(&st, &s, &loc, Vec::new(), StatusCode::OK).await
}

pub(super) async fn dashboard_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    problems: Vec<String>,
    status: StatusCode,
) -> Response {
    let when = s.when();
    let l = L(s.locale);
    let result = async {
        let items = st.app.intake_today(&s.actor, loc.id).await?;
        let day = st.app.intake_day(&s.actor, loc.id).await?;
        let (_, end) = st.app.location_today(&s.actor, loc.id).await?;
        let open = TaskFilter {
            state: Some(TaskState::Open),
            ..TaskFilter::default()
        };
        let queue = st.app.task_queue(&s.actor, loc.id, &open).await?;
        let reviews = st.app.members_to_review(&s.actor, Some(loc.id)).await?;
        let ending = st.app.plans_ending(&s.actor, loc.id).await?;
        Ok::<_, AppError>((items, day, end, queue, reviews, ending))
    }
    .await;
    let (items, day, end, queue, reviews, ending): (_, IntakeDay, _, _, _, _) = match result {
        Ok(x) => x,
        Err(e) => return CENTER.fail(s, e),
    };
    let now = st.app.now();
    let gap = day.not_inserted().unwrap_or(0);
    let page = DashboardPage {
        site: site(s, loc),
        problems,
        inserted: items.len(),
        refused: items
            .iter()
            .filter(|i| i.state == courrier_domain::mailbox::ItemState::Refused)
            .count(),
        received_today: day.received_today,
        refused_today: day.refused_today,
        carrier: day.carrier.as_ref().map(|c| c.pieces),
        carrier_by: day
            .carrier
            .as_ref()
            .map(|c| format!("{} · {}", c.recorded_by, when.at(c.recorded_at)))
            .unwrap_or_default(),
        missing: gap.max(0),
        extra: gap.min(0).saturating_neg(),
        all_inserted: day.all_inserted(),
        late: day
            .late
            .iter()
            .map(|d| LateRow {
                id: d.item.id.to_string(),
                sender: d.item.item.sender.clone().unwrap_or_else(|| "—".into()),
                recipient: d.item.recipient_name.clone(),
                received_on: d.received_on.clone().unwrap_or_default(),
                inserted: when.at(d.item.received_at),
            })
            .collect(),
        day: day.day.clone(),
        due_today: queue
            .iter()
            .filter(|v| !v.overdue && v.task.due_at.millis() < end.millis())
            .map(|v| task_line(l, &when, v))
            .collect(),
        overdue: queue
            .iter()
            .filter(|v| v.overdue)
            .map(|v| task_line(l, &when, v))
            .collect(),
        approvals: reviews.len(),
        approvals_late: reviews
            .iter()
            .filter(|m| is_approval_overdue(review_since(m), now))
            .count(),
        plans_ending: ending
            .into_iter()
            .map(|(name, signup)| {
                let day = signup
                    .plan_ends_at
                    .map(|end| When::new(&loc.time_zone, s.locale).day(end))
                    .unwrap_or_default();
                (name, day)
            })
            .collect(),
        items: items
            .into_iter()
            .map(|i| item_row(l, &when, i, Vec::new()))
            .collect(),
        chrome: Chrome::signed_in(s, "center", "/center"),
    };
    (status, render(&page)).into_response()
}

/// The carrier's count of today (`pieces`), from the dashboard's form.
pub async fn record_count(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let loc = match location(&st, &s, Some(&field(&f, "location"))).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    let result = match field(&f, "pieces").trim().parse::<i64>() {
        Ok(n) => st.app.record_carrier_count(&s.actor, loc.id, n).await,
        Err(_) => Err(invalid(
            "pieces",
            courrier_domain::codes::MAIL_COUNT_INVALID,
            "give the number of pieces from the carrier, such as 42",
        )),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/center?location={}", loc.id)).into_response(),
        Err(e) if is_page_error(&e) => CENTER.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let l = L(s.locale);
            dashboard_view(&st, &s, &loc, vec![l.error(&e)], status).await
        }
    }
}
