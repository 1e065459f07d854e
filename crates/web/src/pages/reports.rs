//! The organisation's reports page (permission `org.settings`): schedule a
//! CSV of the sent letters every day, week or month by e-mail, disable a
//! schedule, make one now for chosen dates, and download the reports made.
//! `GET /reports/<id>.csv` serves a report's CSV to signed-in people of its
//! organisation (the link the e-mails carry); anyone else gets a 404.

use super::{Chrome, Screen, render};
use crate::AppState;
use crate::api::reports::csv_response;
use crate::error::ApiError;
use crate::session::{CsrfForm, Fields, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_store::ReportFrequency;
use serde::Deserialize;

const PATH: &str = "/org/reports";
pub(super) const REPORTS: Screen = Screen::new("reports", PATH);

#[derive(Deserialize, Default)]
pub struct PageQuery {
    cursor: Option<String>,
    scheduled: Option<String>,
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

struct ScheduleRow {
    id: String,
    frequency: String,
    recipient: String,
    next_run: String,
    created: String,
    disabled: bool,
}

struct ReportRow {
    id: String,
    first_day: String,
    last_day: String,
    rows: i32,
    /// `true` when a schedule made it, `false` for one made on demand.
    scheduled: bool,
    created: String,
}

/// What the forms show again after a refusal.
#[derive(Default)]
struct Entered {
    frequency: String,
    email: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    error: Option<String>,
    scheduled: bool,
    frequencies: Vec<Choice>,
    email: String,
    from: String,
    to: String,
    schedules: Vec<ScheduleRow>,
    reports: Vec<ReportRow>,
    next_cursor: Option<String>,
}

async fn view(
    st: &AppState,
    s: &SignedIn,
    q: &PageQuery,
    error: Option<ApiError>,
    entered: Entered,
) -> Response {
    let when = s.when();
    let schedules = match st.app.list_report_schedules(&s.actor).await {
        Ok(list) => list,
        Err(e) => return REPORTS.fail(s, e),
    };
    let reports = match st.app.list_reports(&s.actor, q.cursor.as_deref(), 50).await {
        Ok(p) => p,
        Err(e) => return REPORTS.fail(s, e),
    };
    let chrome = Chrome::signed_in(s, "reports", PATH);
    let l = chrome.l;
    let freq_key = |f: ReportFrequency| match f {
        ReportFrequency::Daily => "reports.daily",
        ReportFrequency::Weekly => "reports.weekly",
        ReportFrequency::Monthly => "reports.monthly",
    };
    let chosen = if entered.frequency.is_empty() {
        "weekly".to_string()
    } else {
        entered.frequency.clone()
    };
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = ReportsPage {
        error: error.map(|e| l.error(&e)),
        scheduled: q.scheduled.is_some(),
        frequencies: ReportFrequency::ALL
            .into_iter()
            .map(|f| Choice {
                value: f.as_str(),
                label: l.t(freq_key(f)).to_string(),
                selected: f.as_str() == chosen,
            })
            .collect(),
        email: if entered.email.is_empty() {
            s.ctx.user.email.to_string()
        } else {
            entered.email
        },
        from: entered.from,
        to: entered.to,
        schedules: schedules
            .into_iter()
            .map(|r| ScheduleRow {
                id: r.id.to_string(),
                frequency: l.t(freq_key(r.frequency)).to_string(),
                recipient: r.recipient.to_string(),
                next_run: when.at(r.next_run_at),
                created: when.at(r.created_at),
                disabled: r.disabled_at.is_some(),
            })
            .collect(),
        reports: reports
            .items
            .into_iter()
            .map(|v| ReportRow {
                id: v.report.id.to_string(),
                first_day: v.first_day.to_string(),
                last_day: v.last_day.to_string(),
                rows: v.report.rows,
                scheduled: v.report.schedule.is_some(),
                created: when.at(v.report.created_at),
            })
            .collect(),
        next_cursor: reports.next_cursor,
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn reports_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<PageQuery>,
) -> Response {
    view(&st, &s, &q, None, Entered::default()).await
}

pub async fn schedule_report(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<ScheduleForm>,
) -> Response {
    match st
        .app
        .schedule_report(&s.actor, &f.frequency, &f.email)
        .await
    {
        Ok(_) => Redirect::to("/org/reports?scheduled=1").into_response(),
        Err(e @ (AppError::Forbidden(_) | AppError::NotFound | AppError::Internal(_))) => {
            REPORTS.fail(&s, e)
        }
        Err(e) => {
            let entered = Entered {
                frequency: f.frequency,
                email: f.email,
                ..Entered::default()
            };
            view(&st, &s, &PageQuery::default(), Some(e.into()), entered).await
        }
    }
}

pub async fn disable_schedule(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(id) = id.parse::<courrier_domain::ReportScheduleId>() else {
        return REPORTS.fail(&s, AppError::NotFound);
    };
    match st.app.disable_report_schedule(&s.actor, id).await {
        Ok(()) => Redirect::to(PATH).into_response(),
        Err(e) => REPORTS.fail(&s, e),
    }
}

/// Makes a report now and sends the browser to its download, which leaves
/// it on this page with the file saved (the report is listed from then on).
pub async fn generate_report(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<GenerateForm>,
) -> Response {
    match st.app.generate_report(&s.actor, &f.from, &f.to).await {
        Ok(v) => Redirect::to(&format!("/reports/{}.csv", v.report.id)).into_response(),
        Err(e @ (AppError::Forbidden(_) | AppError::NotFound | AppError::Internal(_))) => {
            REPORTS.fail(&s, e)
        }
        Err(e) => {
            let entered = Entered {
                from: f.from,
                to: f.to,
                ..Entered::default()
            };
            view(&st, &s, &PageQuery::default(), Some(e.into()), entered).await
        }
    }
}

/// `GET /reports/<id>.csv`: the CSV as a download.
pub async fn download(
    State(st): State<AppState>,
    s: SignedIn,
    Path(file): Path<String>,
) -> Response {
    let Some(id) = file
        .strip_suffix(".csv")
        .and_then(|id| id.parse::<courrier_domain::ReportId>().ok())
    else {
        return REPORTS.fail(&s, AppError::NotFound);
    };
    match st.app.report_csv(&s.actor, id).await {
        Ok(f) => csv_response(f),
        Err(e) => REPORTS.fail(&s, e),
    }
}
