//! A customer's mailbox settings over the API: how many days scans are
//! kept (`GET`/`PUT /mailbox/retention`, `null` keeps them), and the plan
//! of a location mailbox, cancelled to the end of the period paid or kept
//! until then (`POST /mailbox/{id}/plan/cancel` and `…/plan/keep`). Another
//! organisation's mailbox is 404 like an unknown one.

use super::extract::{LaterJson, parse_path_id};
use super::{ApiActor, rfc3339};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use courrier_domain::MailboxId;
use courrier_store::SignupRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long scans are kept.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RetentionJson {
    /// Days after scanning, 1 to 3650; `null` keeps scans. Past it a scan
    /// is destroyed and its text no longer searchable; the item stays.
    pub scan_days: Option<u32>,
}

/// The organisation's scan retention (`mailbox.read`).
#[utoipa::path(get, path = "/api/v1/mailbox/retention", tag = "mailbox",
    responses((status = 200, body = RetentionJson), (status = 403, body = ErrorBody)))]
pub async fn get_retention(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<RetentionJson>> {
    Ok(Json(RetentionJson {
        scan_days: st.app.scan_retention(&actor).await?,
    }))
}

/// Sets the organisation's scan retention (`org.settings`, a customer);
/// scans already older go at the next upkeep.
#[utoipa::path(put, path = "/api/v1/mailbox/retention", tag = "mailbox", request_body = RetentionJson,
    responses((status = 200, body = RetentionJson), (status = 403, body = ErrorBody),
        (status = 422, description = "`mail.retention_invalid`: not 1 to 3650 days", body = ErrorBody)))]
pub async fn put_retention(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<Json<RetentionJson>> {
    super::need(&actor, courrier_domain::Permission::OrgSettings)?;
    let body: RetentionJson = body.parse().await?;
    Ok(Json(RetentionJson {
        scan_days: st.app.set_scan_retention(&actor, body.scan_days).await?,
    }))
}

/// The plan of a location mailbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    pub mailbox: String,
    /// `monthly` or `yearly`.
    pub plan: String,
    /// Start of the next period to bill; none before the first approval.
    pub next_period_at: Option<String>,
    /// Set once cancelled: nothing from then on is billed and the mailbox
    /// closes then.
    pub ends_at: Option<String>,
}

impl From<SignupRecord> for PlanOut {
    fn from(s: SignupRecord) -> Self {
        PlanOut {
            mailbox: s.mailbox.to_string(),
            plan: s.plan.as_str().to_string(),
            next_period_at: s.plan_next_at.map(rfc3339),
            ends_at: s.plan_ends_at.map(rfc3339),
        }
    }
}

/// Cancels the plan of a location mailbox (`org.settings`): it runs to the
/// end of the period paid (at once if nothing was paid), then the mailbox
/// closes and its mail is refused.
#[utoipa::path(post, path = "/api/v1/mailbox/{id}/plan/cancel", tag = "mailbox",
    params(("id" = String, Path, description = "The location mailbox")),
    responses((status = 200, body = PlanOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`plan.already_cancelled`", body = ErrorBody)))]
pub async fn cancel_plan(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<PlanOut>> {
    let mailbox: MailboxId = parse_path_id(&id)?;
    Ok(Json(st.app.cancel_plan(&actor, mailbox).await?.into()))
}

/// Keeps a cancelled plan before its end (`org.settings`).
#[utoipa::path(post, path = "/api/v1/mailbox/{id}/plan/keep", tag = "mailbox",
    params(("id" = String, Path, description = "The location mailbox")),
    responses((status = 200, body = PlanOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`plan.not_cancelled`, or `plan.ended` once the end has come", body = ErrorBody)))]
pub async fn keep_plan(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<PlanOut>> {
    let mailbox: MailboxId = parse_path_id(&id)?;
    Ok(Json(st.app.keep_plan(&actor, mailbox).await?.into()))
}
