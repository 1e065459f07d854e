//! Reports of sent letters over the API (permission `org.settings`):
//! schedules that e-mail a link to a CSV every day, week or month, reports
//! made on demand, and the CSV itself (UTF-8 with a byte-order mark, `;`
//! between fields, see `courrier_app::reports`).

use super::extract::{LaterJson, parse_path_id};
use super::{ApiActor, PageQuery, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courrier_app::reports::{ReportFile, ReportView};
use courrier_store::ReportScheduleRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportScheduleOut {
    pub id: String,
    /// `daily`, `weekly` (ISO week, Monday to Sunday) or `monthly`.
    pub frequency: String,
    /// Where the link to each report is e-mailed.
    pub email: String,
    /// When the next report is due (the end of the period it covers).
    pub next_run_at: String,
    pub created_at: String,
    /// Set once the schedule is stopped.
    pub disabled_at: Option<String>,
}

impl From<ReportScheduleRecord> for ReportScheduleOut {
    fn from(r: ReportScheduleRecord) -> Self {
        ReportScheduleOut {
            id: r.id.to_string(),
            frequency: r.frequency.as_str().to_string(),
            email: r.recipient.to_string(),
            next_run_at: rfc3339(r.next_run_at),
            created_at: rfc3339(r.created_at),
            disabled_at: r.disabled_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportScheduleIn {
    /// `daily`, `weekly` or `monthly`.
    pub frequency: String,
    /// Who gets the link; opening it needs a sign-in with `org.settings`.
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    pub id: String,
    /// The schedule that made it; absent for a report made on demand.
    pub schedule_id: Option<String>,
    /// The first day covered (`YYYY-MM-DD`, the organisation's time zone).
    pub from: String,
    /// The last day covered, included.
    pub to: String,
    /// The covered instants: letters submitted in `[period_from, period_to)`.
    pub period_from: String,
    pub period_to: String,
    /// Letters in the report.
    pub rows: i32,
    pub created_at: String,
    /// The CSV over the API (`GET /api/v1/reports/{id}`, same credentials).
    pub download_url: String,
    /// The CSV in the web app, for people (sign-in required).
    pub web_url: String,
}

fn report_out(st: &AppState, v: ReportView) -> ReportOut {
    let id = v.report.id;
    ReportOut {
        id: id.to_string(),
        schedule_id: v.report.schedule.map(|s| s.to_string()),
        from: v.first_day.to_string(),
        to: v.last_day.to_string(),
        period_from: rfc3339(v.report.period_from),
        period_to: rfc3339(v.report.period_to),
        rows: v.report.rows,
        created_at: rfc3339(v.report.created_at),
        download_url: format!("{}/api/v1/reports/{id}", st.app.settings.public_url),
        web_url: st.app.report_link(id),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportIn {
    /// The first day (`YYYY-MM-DD`, in the organisation's time zone).
    pub from: String,
    /// The last day, included; at most 366 days after `from`.
    pub to: String,
}

#[utoipa::path(get, path = "/api/v1/report-schedules", tag = "reports",
    responses((status = 200, body = Paged<ReportScheduleOut>), (status = 403, body = ErrorBody)))]
pub async fn list_schedules(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Paged<ReportScheduleOut>>> {
    let list = st.app.list_report_schedules(&actor).await?;
    Ok(Json(Paged {
        items: list.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Schedule a CSV of the sent letters, e-mailed as a link once each day,
/// ISO week or calendar month is over (in the organisation's time zone).
#[utoipa::path(post, path = "/api/v1/report-schedules", tag = "reports", request_body = ReportScheduleIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same answer, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    responses((status = 201, body = ReportScheduleOut), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_schedule(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<(StatusCode, Json<ReportScheduleOut>)> {
    super::need(&actor, courrier_domain::Permission::OrgSettings)?;
    let body: ReportScheduleIn = body.parse().await?;
    let schedule = st
        .app
        .schedule_report(&actor, &body.frequency, &body.email)
        .await?;
    Ok((StatusCode::CREATED, Json(schedule.into())))
}

#[utoipa::path(delete, path = "/api/v1/report-schedules/{id}", tag = "reports", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn disable_schedule(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: courrier_domain::ReportScheduleId = parse_path_id(&id)?;
    st.app.disable_report_schedule(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(PageQuery),
    responses((status = 200, body = Paged<ReportOut>), (status = 403, body = ErrorBody)))]
pub async fn list_reports(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<ReportOut>>> {
    let page = st
        .app
        .list_reports(&actor, q.cursor.as_deref(), q.limit())
        .await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(|v| report_out(&st, v)).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Make a report now of the letters submitted from `from` to `to` (both
/// days included, in the organisation's time zone).
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = ReportIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same answer, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    responses((status = 201, body = ReportOut), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_report(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<(StatusCode, Json<ReportOut>)> {
    super::need(&actor, courrier_domain::Permission::OrgSettings)?;
    let body: ReportIn = body.parse().await?;
    let view = st.app.generate_report(&actor, &body.from, &body.to).await?;
    Ok((StatusCode::CREATED, Json(report_out(&st, view))))
}

/// The report's CSV: UTF-8 with a byte-order mark, `;` between fields, CRLF
/// line ends; amounts with the decimal separator of the organisation's country.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn get_report(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: courrier_domain::ReportId = parse_path_id(&id)?;
    Ok(csv_response(st.app.report_csv(&actor, id).await?))
}

/// A CSV answer saved as a file, which no cache keeps.
pub fn csv_response(file: ReportFile) -> Response {
    let mut res = file.bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(courrier_app::reports::CONTENT_TYPE),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
