//! The mail center's web app (permission `mailcenter.operate`; fees only
//! with `money.view`, which clerks do not have): the daily checklist, intake
//! at the counter (find the recipient among the location's members, photo
//! of the envelope from a file or the phone camera, kind, format, weight,
//! flags; mail for anyone else is recorded as refused), the task queue by
//! deadline with overdue tasks marked and their completions (a scan is
//! uploaded as a PDF or an image), the verification queue of members
//! (approve, send back or reject, always with a note; more than 48 hours
//! waiting stands out) and pickups at the counter with the ID check.
//! Pages of one location: `?location=` picks one, else the first.

use super::mailbox::{
    Choice, ItemRow, action_label, error_text, field, file_response, item_row, pairs, state_label,
};
use super::{Chrome, Problem, error_page, fmt_ts, local_day, render};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::L;
use crate::session::SignedIn;
use crate::upload::{
    ScanForm, UploadForm, is_multipart, parse_multipart, parse_scan_multipart, read_request,
};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_app::mailbox::{Completion, IntakeDay, IntakeInput, NewPickup, Recipient};
use courrier_domain::mailbox::{
    ContentFlag, ContentFlags, CustomerReview, Grams, ItemEvent, ItemFormat, ItemKind, ReviewEvent,
    is_approval_overdue, transition,
};
use courrier_domain::{
    Invalid, LocationId, MailItemId, Money, OrgId, Permission, TaskId, Timestamp,
};
use courrier_store::{LocationRecord, TaskFilter, TaskState};
use serde::Deserialize;

/// When a member reached the mail center's review: its pre-approval (the
/// 48 h run from there).
fn review_since(m: &courrier_store::MemberRecord) -> Timestamp {
    m.pre_approved_at.unwrap_or(m.updated_at)
}

/// How far back the pickup counter looks for a customer's items.
const PICKUP_LOOKBACK_SECS: i64 = 90 * 86_400;

fn fail(s: &SignedIn, e: AppError) -> Response {
    let e = ApiError::from(e);
    error_page(Chrome::signed_in(s, "center", "/center"), e.status, &e)
}

fn csrf_refused(s: &SignedIn, e: &ApiError) -> Response {
    error_page(
        Chrome::signed_in(s, "center", "/center"),
        StatusCode::FORBIDDEN,
        e,
    )
}

fn is_page_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound
            | AppError::Forbidden(_)
            | AppError::Unauthenticated
            | AppError::Internal(_)
    )
}

fn invalid(field: &'static str, code: &'static str, message: &str) -> AppError {
    let code = courrier_domain::Code::parse(code).unwrap_or(courrier_domain::codes::INPUT_INVALID);
    AppError::Invalid(Invalid::new(field, code, message))
}

#[derive(Deserialize, Default)]
pub struct LocQuery {
    location: Option<String>,
    q: Option<String>,
    all: Option<String>,
    customer: Option<String>,
    done: Option<String>,
}

/// The location the page is about: the one asked for, else the first.
async fn location(
    st: &AppState,
    s: &SignedIn,
    raw: Option<&str>,
) -> Result<LocationRecord, AppError> {
    let all = st.app.own_locations(&s.actor).await?;
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => {
            let id: LocationId = raw.parse().map_err(|_| AppError::NotFound)?;
            all.into_iter()
                .find(|l| l.id == id)
                .ok_or(AppError::NotFound)
        }
        None => all.into_iter().next().ok_or(AppError::Refused(
            courrier_domain::codes::MAIL_LOCATION_INVALID,
        )),
    }
}

/// The tabs and the location switch every operator page shows.
pub struct Site {
    pub id: String,
    pub name: String,
    pub money: bool,
}

fn site(s: &SignedIn, loc: &LocationRecord) -> Site {
    Site {
        id: loc.id.to_string(),
        name: loc.name.clone(),
        money: s.actor.can(Permission::MoneyView),
    }
}

/// `2.50` or `2,50` in minor units.
fn parse_amount(raw: &str) -> Option<i64> {
    let raw = raw.trim().replace(',', ".");
    if raw.is_empty() {
        return Some(0);
    }
    let (whole, frac) = raw.split_once('.').unwrap_or((raw.as_str(), ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 9
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

// ----- the daily checklist -----

struct TaskLine {
    item: String,
    action: String,
    due: String,
    sender: String,
    recipient: String,
}

/// An item inserted today whose piece was received on an earlier day.
struct LateRow {
    id: String,
    sender: String,
    recipient: String,
    received_on: String,
    inserted: String,
}

#[derive(Template)]
#[template(path = "center.html")]
struct DashboardPage {
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

fn task_line(l: L, v: &courrier_app::mailbox::TaskView) -> TaskLine {
    TaskLine {
        item: v.item.id.to_string(),
        action: action_label(l, v.task.action),
        due: fmt_ts(v.task.due_at),
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
        Err(e) => return fail(&s, e),
    };
    dashboard_view(&st, &s, &loc, Vec::new(), StatusCode::OK).await
}

async fn dashboard_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    problems: Vec<String>,
    status: StatusCode,
) -> Response {
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
        Err(e) => return fail(s, e),
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
            .map(|c| format!("{} · {}", c.recorded_by, fmt_ts(c.recorded_at)))
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
                inserted: fmt_ts(d.item.received_at),
            })
            .collect(),
        day: day.day.clone(),
        due_today: queue
            .iter()
            .filter(|v| !v.overdue && v.task.due_at.millis() < end.millis())
            .map(|v| task_line(l, v))
            .collect(),
        overdue: queue
            .iter()
            .filter(|v| v.overdue)
            .map(|v| task_line(l, v))
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
                    .map(|end| local_day(end, &loc.time_zone))
                    .unwrap_or_default();
                (name, day)
            })
            .collect(),
        items: items
            .into_iter()
            .map(|i| item_row(l, i, Vec::new()))
            .collect(),
        chrome: Chrome::signed_in(s, "center", "/center"),
    };
    (status, render(&page)).into_response()
}

/// The carrier's count of today (`pieces`), from the dashboard's form.
pub async fn record_count(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let loc = match location(&st, &s, Some(&field(&f, "location"))).await {
        Ok(l) => l,
        Err(e) => return fail(&s, e),
    };
    let result = match field(&f, "pieces").trim().parse::<i64>() {
        Ok(n) => st.app.record_carrier_count(&s.actor, loc.id, n).await,
        Err(_) => Err(invalid(
            "pieces",
            "mail.count_invalid",
            "give the number of pieces from the carrier, such as 42",
        )),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/center?location={}", loc.id)).into_response(),
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let l = L(s.locale);
            dashboard_view(&st, &s, &loc, vec![l.error(&e)], status).await
        }
    }
}

// ----- intake -----

struct RecipientRow {
    id: String,
    name: String,
    kind: String,
    review: String,
    mailbox: String,
    receives: bool,
}

#[derive(Template)]
#[template(path = "center_intake.html")]
struct IntakePage {
    chrome: Chrome,
    site: Site,
    q: String,
    recipients: Vec<RecipientRow>,
    kinds: Vec<Choice>,
    formats: Vec<Choice>,
    contents: Vec<Choice>,
    problems: Vec<Problem>,
    flash: Option<(bool, String, String)>,
    items: Vec<ItemRow>,
    /// Today at the location, the default day of receipt.
    today: String,
}

async fn intake_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    q: &str,
    problems: Vec<Problem>,
    flash: Option<(bool, String, String)>,
    status: StatusCode,
) -> Response {
    let l = L(s.locale);
    let name = Some(q.trim()).filter(|n| !n.is_empty());
    let recipients = match st.app.location_recipients(&s.actor, loc.id, name).await {
        Ok(r) => r,
        Err(e) => return fail(s, e),
    };
    let items = match st.app.intake_today(&s.actor, loc.id).await {
        Ok(i) => i,
        Err(e) => return fail(s, e),
    };
    let today = match st.app.intake_day(&s.actor, loc.id).await {
        Ok(d) => d.day,
        Err(e) => return fail(s, e),
    };
    let page = IntakePage {
        today,
        site: site(s, loc),
        q: q.to_string(),
        recipients: recipients
            .into_iter()
            .map(|r| RecipientRow {
                id: r.member.id.to_string(),
                name: r.member.name.clone(),
                kind: l
                    .t(&format!("memberkind.{}", r.member.kind.as_str()))
                    .to_string(),
                review: l
                    .t(&format!("review.{}", r.member.review.as_str()))
                    .to_string(),
                mailbox: l
                    .t(&format!("mailboxstate.{}", r.mailbox_state.as_str()))
                    .to_string(),
                receives: r.member.review == CustomerReview::Approved
                    && r.mailbox_state.accepts_mail(),
            })
            .collect(),
        kinds: ItemKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str(),
                label: l.t(&format!("mailkind.{}", k.as_str())).to_string(),
                selected: *k == ItemKind::Letter,
            })
            .collect(),
        formats: ItemFormat::ALL
            .iter()
            .map(|f| Choice {
                value: f.as_str(),
                label: l.t(&format!("mailformat.{}", f.as_str())).to_string(),
                selected: *f == ItemFormat::A4,
            })
            .collect(),
        contents: ContentFlag::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: l.t(&format!("mailcontent.{}", c.as_str())).to_string(),
                selected: false,
            })
            .collect(),
        problems,
        flash,
        items: items
            .into_iter()
            .map(|i| item_row(l, i, Vec::new()))
            .collect(),
        chrome: Chrome::signed_in(s, "center", "/center/intake"),
    };
    (status, render(&page)).into_response()
}

pub async fn intake_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    let loc = match location(&st, &s, q.location.as_deref()).await {
        Ok(l) => l,
        Err(e) => return fail(&s, e),
    };
    intake_view(
        &st,
        &s,
        &loc,
        q.q.as_deref().unwrap_or(""),
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// Reads a multipart form (the only kind these pages post with files).
async fn multipart_form(req: Request) -> Result<UploadForm, ApiError> {
    let (parts, body) = read_request(req).await?;
    if !is_multipart(&parts) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the form as multipart/form-data",
        ));
    }
    parse_multipart(parts, body).await
}

fn intake_input(form: &UploadForm) -> Result<IntakeInput, AppError> {
    let get = |n: &str| form.field(n).unwrap_or("").trim().to_string();
    let recipient = match get("recipient").as_str() {
        "" | "unlisted" => Recipient::Unlisted(get("unlisted_name")),
        member => Recipient::Member(
            member
                .parse::<uuid::Uuid>()
                .map_err(|_| invalid("recipient", "mail.member_invalid", "choose a recipient"))?,
        ),
    };
    let weight: u32 = get("weight")
        .parse()
        .map_err(|_| invalid("weight", "mail.weight_invalid", "give the weight in grams"))?;
    let mut contents = ContentFlags::NONE;
    for (_, v) in form.fields.iter().filter(|(k, _)| k == "content") {
        contents = contents.with(ContentFlag::parse(v.trim())?);
    }
    let on = |n: &str| !get(n).is_empty();
    Ok(IntakeInput {
        recipient,
        envelope_photo: form
            .file
            .as_ref()
            .filter(|f| !f.is_empty())
            .map(|f| f.to_vec()),
        kind: ItemKind::parse(&get("kind"))?,
        format: ItemFormat::parse(&get("format"))?,
        weight: Grams::new(weight)?,
        registered: on("registered"),
        contains_object: on("contains_object"),
        advertising: on("advertising"),
        contents,
        sender: Some(get("sender")).filter(|s| !s.is_empty()),
        received_on: Some(get("received_on")).filter(|s| !s.is_empty()),
    })
}

pub async fn log_item(State(st): State<AppState>, s: SignedIn, req: Request) -> Response {
    let form = match multipart_form(req).await {
        Ok(f) => f,
        Err(e) => return error_page(Chrome::signed_in(&s, "center", "/center"), e.status, &e),
    };
    if let Err(e) = s.check_csrf(form.field("csrf_token").unwrap_or("")) {
        return csrf_refused(&s, &e);
    }
    let loc = match location(&st, &s, form.field("location")).await {
        Ok(l) => l,
        Err(e) => return fail(&s, e),
    };
    let l = L(s.locale);
    let result = match intake_input(&form) {
        Ok(input) => st.app.log_item(&s.actor, loc.id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(outcome) => {
            let id = outcome.item.id.to_string();
            let flash = match outcome.refused {
                Some(why) => (false, id, format!("{} {why}", l.t("intake.refused"))),
                None => {
                    let mut text = l.t("intake.received").to_string();
                    match outcome.automatic {
                        Some(Ok(_)) => {
                            text.push_str(" · ");
                            text.push_str(&l.t("intake.rule_ran"));
                        }
                        Some(Err(e)) => {
                            text.push_str(" · ");
                            text.push_str(&error_text(l, e));
                        }
                        None => {}
                    }
                    (true, id, text)
                }
            };
            intake_view(&st, &s, &loc, "", Vec::new(), Some(flash), StatusCode::OK).await
        }
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            intake_view(&st, &s, &loc, "", vec![Problem::of(&l, &e)], None, status).await
        }
    }
}

/// The envelope photo for the operator's lists.
pub async fn envelope(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<MailItemId>() else {
        return fail(&s, AppError::NotFound);
    };
    match st
        .app
        .mail_item_file(&s.actor, id, courrier_app::mailbox::ItemFile::Envelope)
        .await
    {
        Ok((doc, bytes)) => file_response(&doc.content_type, bytes),
        Err(e) => fail(&s, e),
    }
}

// ----- the task queue -----

struct QueueRow {
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
struct TasksPage {
    chrome: Chrome,
    site: Site,
    rows: Vec<QueueRow>,
    all: bool,
    problems: Vec<Problem>,
    done: Option<String>,
}

async fn tasks_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    all: bool,
    problems: Vec<Problem>,
    done: Option<String>,
    status: StatusCode,
) -> Response {
    let l = L(s.locale);
    let filter = TaskFilter {
        state: (!all).then_some(TaskState::Open),
        ..TaskFilter::default()
    };
    let queue = match st.app.task_queue(&s.actor, loc.id, &filter).await {
        Ok(q) => q,
        Err(e) => return fail(s, e),
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
            due: fmt_ts(v.task.due_at),
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
                        fmt_ts(t),
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
        Err(e) => return fail(&s, e),
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

/// Reads a multipart form whose `file` parts are the pages of a scan.
async fn scan_form(req: Request) -> Result<ScanForm, ApiError> {
    let (parts, body) = read_request(req).await?;
    if !is_multipart(&parts) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the form as multipart/form-data",
        ));
    }
    parse_scan_multipart(parts, body).await
}

fn completion(
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
                        "upload.file_missing",
                        "choose the scan (a PDF or an image)",
                    )
                })?,
        ),
        "shipped" => {
            let retail = parse_amount(&get("retail")).ok_or_else(|| {
                invalid(
                    "retail",
                    "mail.price_invalid",
                    "give the shipping price, such as 7.00",
                )
            })?;
            let pct: u32 = match get("markup_pct").as_str() {
                "" => 100,
                p => p.parse().map_err(|_| {
                    invalid(
                        "markup_pct",
                        "mail.price_invalid",
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
                "mail.completion_mismatch",
                "choose how the task was done",
            ));
        }
    })
}

pub async fn complete_task(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    // Refused before the upload is read; another organisation's task is
    // not found before the form is looked at.
    if !s.actor.can(Permission::MailCenterOperate) {
        return fail(&s, AppError::Forbidden(Permission::MailCenterOperate));
    }
    let mut form = match scan_form(req).await {
        Ok(f) => f,
        Err(e) => return error_page(Chrome::signed_in(&s, "center", "/center"), e.status, &e),
    };
    if let Err(e) = s.check_csrf(form.field("csrf_token").unwrap_or("")) {
        return csrf_refused(&s, &e);
    }
    let Ok(task) = id.parse::<TaskId>() else {
        return fail(&s, AppError::NotFound);
    };
    if let Err(e) = st.app.operated_task(&s.actor, task).await {
        return fail(&s, e);
    }
    let loc = match location(&st, &s, form.field("location")).await {
        Ok(l) => l,
        Err(e) => return fail(&s, e),
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
        Err(e) if is_page_error(&e) => fail(&s, e),
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

// ----- the verification queue -----

struct ReviewRow {
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
struct ReviewsPage {
    chrome: Chrome,
    site: Site,
    rows: Vec<ReviewRow>,
    problems: Vec<String>,
    flash: Option<String>,
}

async fn reviews_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    problems: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let l = L(s.locale);
    let members = match st.app.members_to_review(&s.actor, Some(loc.id)).await {
        Ok(m) => m,
        Err(e) => return fail(s, e),
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
                    since: fmt_ts(since),
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
        Err(e) => return fail(&s, e),
    };
    reviews_view(&st, &s, &loc, Vec::new(), None, StatusCode::OK).await
}

pub async fn review_member(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let Ok(member) = id.parse::<uuid::Uuid>() else {
        return fail(&s, AppError::NotFound);
    };
    // Another organisation's member is not found, whatever the form says.
    if let Err(e) = st.app.member_for_review(&s.actor, member).await {
        return fail(&s, e);
    }
    let loc = match location(&st, &s, Some(&field(&f, "location"))).await {
        Ok(l) => l,
        Err(e) => return fail(&s, e),
    };
    let l = L(s.locale);
    let event = match field(&f, "event").as_str() {
        "approve" => ReviewEvent::Approve,
        "send_back" => ReviewEvent::SendBack,
        "reject" => ReviewEvent::Reject,
        _ => {
            let e = ApiError::from(invalid(
                "event",
                "mail.review_invalid",
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
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            reviews_view(&st, &s, &loc, vec![l.error(&e)], None, status).await
        }
    }
}

// ----- pickups -----

struct CustomerChoice {
    id: String,
    name: String,
    selected: bool,
}

struct PickupItem {
    id: String,
    received: String,
    sender: String,
    state: String,
    thumb: bool,
}

#[derive(Template)]
#[template(path = "center_pickups.html")]
struct PickupsPage {
    chrome: Chrome,
    site: Site,
    customers: Vec<CustomerChoice>,
    customer: String,
    items: Vec<PickupItem>,
    problems: Vec<String>,
    flash: Option<String>,
}

async fn pickups_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    customer: Option<OrgId>,
    problems: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let l = L(s.locale);
    let recipients = match st.app.location_recipients(&s.actor, loc.id, None).await {
        Ok(r) => r,
        Err(e) => return fail(s, e),
    };
    let mut customers: Vec<CustomerChoice> = Vec::new();
    for r in &recipients {
        let id = r.member.org.to_string();
        if !customers.iter().any(|c| c.id == id) {
            customers.push(CustomerChoice {
                selected: customer == Some(r.member.org),
                id,
                name: r.member.name.clone(),
            });
        }
    }
    let mut items = Vec::new();
    if let Some(org) = customer {
        let now = st.app.now();
        let result = st
            .app
            .location_items_between(
                &s.actor,
                loc.id,
                now.plus_seconds(-PICKUP_LOOKBACK_SECS),
                now.plus_seconds(86_400),
            )
            .await;
        match result {
            Ok(list) => {
                items = list
                    .into_iter()
                    .filter(|i| {
                        i.org == Some(org) && transition(i.state, ItemEvent::PickUp).is_ok()
                    })
                    .map(|i| PickupItem {
                        id: i.id.to_string(),
                        received: fmt_ts(i.received_at),
                        sender: i.item.sender.clone().unwrap_or_else(|| "—".into()),
                        state: state_label(l, i.state),
                        thumb: i.envelope_document.is_some(),
                    })
                    .collect();
            }
            Err(e) => return fail(s, e),
        }
    }
    let page = PickupsPage {
        site: site(s, loc),
        customers,
        customer: customer.map(|c| c.to_string()).unwrap_or_default(),
        items,
        problems,
        flash,
        chrome: Chrome::signed_in(s, "center", "/center/pickups"),
    };
    (status, render(&page)).into_response()
}

pub async fn pickups_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    let loc = match location(&st, &s, q.location.as_deref()).await {
        Ok(l) => l,
        Err(e) => return fail(&s, e),
    };
    let customer = match q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(raw) => match raw.parse::<OrgId>() {
            Ok(c) => Some(c),
            Err(_) => return fail(&s, AppError::NotFound),
        },
        None => None,
    };
    pickups_view(&st, &s, &loc, customer, Vec::new(), None, StatusCode::OK).await
}

pub async fn create_pickup(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, &e);
    }
    let loc = match location(&st, &s, Some(&field(&f, "location"))).await {
        Ok(l) => l,
        Err(e) => return fail(&s, e),
    };
    let Ok(customer) = field(&f, "customer").trim().parse::<OrgId>() else {
        return fail(&s, AppError::NotFound);
    };
    let l = L(s.locale);
    let mut items = Vec::new();
    for (_, v) in f.iter().filter(|(k, _)| k == "item") {
        match v.trim().parse::<MailItemId>() {
            Ok(id) => items.push(id),
            Err(_) => return fail(&s, AppError::NotFound),
        }
    }
    let result = match parse_amount(&field(&f, "fees")) {
        Some(fees) => {
            st.app
                .create_pickup(
                    &s.actor,
                    loc.id,
                    NewPickup {
                        customer,
                        items,
                        id_document_type: field(&f, "id_document_type"),
                        id_last_digits: field(&f, "id_last_digits"),
                        fees: Money::new(fees, s.ctx.org.currency),
                    },
                )
                .await
        }
        None => Err(invalid(
            "fees",
            "mail.pickup_invalid",
            "give the fees, such as 2.50",
        )),
    };
    match result {
        Ok(p) => {
            let text = format!(
                "{} {} · {} · {} …{}",
                l.t("pickups.done"),
                p.items.len(),
                p.id,
                p.id_document_type,
                p.id_last_digits
            );
            pickups_view(
                &st,
                &s,
                &loc,
                Some(customer),
                Vec::new(),
                Some(text),
                StatusCode::OK,
            )
            .await
        }
        Err(e) if is_page_error(&e) => fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            pickups_view(
                &st,
                &s,
                &loc,
                Some(customer),
                vec![l.error(&e)],
                None,
                status,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("2.50"), Some(250));
        assert_eq!(parse_amount("2,5"), Some(250));
        assert_eq!(parse_amount("7"), Some(700));
        assert_eq!(parse_amount(""), Some(0));
        assert_eq!(parse_amount("1.234"), None);
        assert_eq!(parse_amount("-1"), None);
        assert_eq!(parse_amount("."), None);
    }
}
