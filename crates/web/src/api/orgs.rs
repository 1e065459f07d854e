//! The caller's organisation's settings (`PATCH /org`: its time zone), the
//! audit log and, for the platform admin, all organisations.

use super::extract::LaterJson;
use super::users::OrgOut;
use super::{ApiActor, PageQuery, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Changes to the caller's organisation; a field left out is kept.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrgPatch {
    /// An IANA time zone name (`Europe/Zurich`, `UTC`).
    #[schema(example = "Europe/Paris")]
    pub time_zone: Option<String>,
}

/// Changes the caller's organisation (`org.settings`): its time zone, in
/// which its people read times and its reports count days.
#[utoipa::path(patch, path = "/api/v1/org", tag = "account", request_body = OrgPatch,
    responses((status = 200, body = OrgOut), (status = 403, body = ErrorBody),
        (status = 422, description = "`org.time_zone_unknown` on `time_zone`: not a time zone name", body = ErrorBody)))]
pub async fn update_org(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<Json<OrgOut>> {
    super::need(&actor, courrier_domain::Permission::OrgSettings)?;
    let body: OrgPatch = body.parse().await?;
    let org = match body.time_zone {
        Some(zone) => st.app.set_org_time_zone(&actor, &zone).await?,
        None => st
            .app
            .store
            .org(actor.org)
            .await
            .map_err(courrier_app::AppError::from)?,
    };
    Ok(Json(org.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub seq: i64,
    pub at: String,
    /// `user:<id>`, `apikey:<id>` or `system:<what>`.
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// This entry's link in the organisation's hash chain.
    pub hash: String,
}

/// The organisation's audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(PageQuery),
    responses((status = 200, body = Paged<AuditOut>), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<AuditOut>>> {
    let page = st
        .app
        .audit_page(&actor, q.cursor.as_deref(), q.limit())
        .await?;
    Ok(Json(Paged {
        items: page
            .items
            .into_iter()
            .map(|e| AuditOut {
                seq: e.seq,
                at: rfc3339(e.at),
                actor: e.actor,
                ip: e.ip,
                action: e.action,
                target: e.target,
                detail: e.detail,
                hash: e.hash,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Every organisation (platform admin only).
#[utoipa::path(get, path = "/api/v1/orgs", tag = "platform", params(PageQuery),
    responses((status = 200, body = Paged<OrgOut>), (status = 403, body = ErrorBody)))]
pub async fn list_orgs(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<OrgOut>>> {
    let page = st
        .app
        .list_orgs(&actor, q.cursor.as_deref(), q.limit())
        .await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}
