//! The task queue.

use super::*;

pub(super) struct QueueRow {
    id: String,
    item: String,
    action: &'static str,
    action_label: String,
    sender: String,
    recipient: String,
    state: String,
    open: bool,
    due: String,
    overdue: bool,
    fee: String,
    note: String,
    forward_to: String,
    thumb: bool,
    done: String,
}

#[derive(Template)]
#[template(path = "center_tasks.html")]
pub(super) struct TasksPage {
    chrome: Chrome,
    site: Site,
    rows: Vec<QueueRow>,
    all: bool,
    problems: Vec<Problem>,
    done: Option<String>,
}

pub(super) async fn tasks_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    all: bool,
    problems: Vec<Problem>,
    done: Option<String>,
    status: StatusCode,
) -> Response {
    let when = s.when();
    let l = L(s.locale);
    let filter = TaskFilter {
        state: (!all).then_some(TaskState::Open),
        ..TaskFilter::default()
    };
    let queue = match st.app.task_queue(&s.actor, loc.id, &filter).await {
        Ok(q) => q,
        Err(e) => return CENTER.fail(s, e),
    };
    let rows = queue
        .into_iter()
        .map(|v| QueueRow {
            id: v.task.id.to_string(),
            item: v.item.id.to_string(),
            action: v.task.action.as_str(),
            action_label: action_label(l, v.task.action),
            sender: v.item.item.sender.clone().unwrap_or_else(|| "—".into()),
            recipient: v.item.recipient_name.clone(),
            state: l
                .t(&format!("taskstate.{}", v.task.state.as_str()))
                .to_string(),
            open: v.task.state == TaskState::Open,
            due: when.at(v.task.due_at),
            overdue: v.overdue,
            fee: v.fee.map(|f| f.to_string()).unwrap_or_default(),
            note: v.task.note.clone(),
            forward_to: v.task.forward_address.join(", "),
            thumb: v.item.envelope_document.is_some(),
            done: v
                .task
                .done_at
                .map(|t| {
                    format!(
                        "{} · {}",
                        when.at(t),
                        v.task.done_by.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    let page = TasksPage {
        site: site(s, loc),
        rows,
        all,
        problems,
        done,
        chrome: Chrome::signed_in(s, "center", "/center/tasks"),
    };
    (status, render(&page)).into_response()
}

pub async fn tasks_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    let loc = match location(&st, &s, q.location.as_deref()).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    let done = q
        .done
        .filter(|d| d.parse::<TaskId>().is_ok())
        .map(|_| L(s.locale).t("tasks.done_flash").to_string());
    tasks_view(
        &st,
        &s,
        &loc,
        q.all.is_some_and(|a| !a.is_empty()),
        Vec::new(),
        done,
        StatusCode::OK,
    )
    .await
}

pub(super) fn completion(
    form: &UploadForm,
    currency: courrier_domain::Currency,
) -> Result<Completion, AppError> {
    let get = |n: &str| form.field(n).unwrap_or("").trim().to_string();
    Ok(match get("completion").as_str() {
        "scan" => Completion::Scan(
            form.file
                .as_ref()
                .filter(|f| !f.is_empty())
                .map(|f| f.to_vec())
                .ok_or_else(|| {
                    invalid(
                        "file",
                        courrier_domain::codes::UPLOAD_FILE_MISSING,
                        "choose the scan (a PDF or an image)",
                    )
                })?,
        ),
        "shipped" => {
            let retail = parse_amount(&get("retail")).ok_or_else(|| {
                invalid(
                    "retail",
                    courrier_domain::codes::MAIL_PRICE_INVALID,
                    "give the shipping price, such as 7.00",
                )
            })?;
            let pct: u32 = match get("markup_pct").as_str() {
                "" => 100,
                p => p.parse().map_err(|_| {
                    invalid(
                        "markup_pct",
                        courrier_domain::codes::MAIL_PRICE_INVALID,
                        "give the markup in percent of retail, such as 120",
                    )
                })?,
            };
            Completion::Shipped {
                retail: Money::new(retail, currency),
                markup_bp: pct.saturating_mul(100),
                tracking: get("tracking"),
            }
        }
        "shredded" => Completion::Shredded,
        "recycled" => Completion::Recycled,
        "shelved" => Completion::Shelved,
        "delivered" => Completion::Delivered,
        _ => {
            return Err(invalid(
                "completion",
                courrier_domain::codes::MAIL_COMPLETION_MISMATCH,
                "choose how the task was done",
            ));
        }
    })
}

pub async fn complete_task(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfMultipart(form, _): CsrfMultipart<ScanForm, CenterOperator>,
) -> Response {
    let mut form = match form {
        Ok(f) => f,
        Err(e) => return error_page(CENTER.chrome(&s), e.status, &e),
    };
    let Ok(task) = id.parse::<TaskId>() else {
        return CENTER.fail(&s, AppError::NotFound);
    };
    if let Err(e) = st.app.operated_task(&s.actor, task).await {
        return CENTER.fail(&s, e);
    }
    let loc = match location(&st, &s, form.field("location")).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    let chosen = if form.field("completion").map(str::trim) == Some("scan") {
        Ok(Completion::ScanFiles(form.scan_files()))
    } else {
        completion(
            &UploadForm {
                fields: form.fields,
                ..UploadForm::default()
            },
            s.ctx.org.currency,
        )
    };
    let result = match chosen {
        Ok(c) => st.app.complete_task(&s.actor, task, c).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Redirect::to(&format!("/center/tasks?location={}&done={}", loc.id, t.id))
            .into_response(),
        Err(e) if is_page_error(&e) => CENTER.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let l = L(s.locale);
            tasks_view(
                &st,
                &s,
                &loc,
                false,
                vec![Problem::of(&l, &e)],
                None,
                status,
            )
            .await
        }
    }
}
