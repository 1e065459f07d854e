//! API keys over the API.

use super::extract::{LaterJson, parse_path_id};
use super::{ApiActor, PageQuery, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use courrier_app::AppError;
use courrier_domain::{ApiKeyId, Permission};
use courrier_store::ApiKeyRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    pub id: String,
    pub name: String,
    /// The public part; the key reads `cour_<prefix>_<secret>`.
    pub prefix: String,
    pub permissions: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<ApiKeyRecord> for KeyOut {
    fn from(k: ApiKeyRecord) -> Self {
        KeyOut {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            permissions: k
                .permissions
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            created_at: rfc3339(k.created_at),
            last_used_at: k.last_used_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct KeyIn {
    pub name: String,
    /// Permission names, e.g. `letters.send`; never more than the creator holds.
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyCreated {
    pub key: KeyOut,
    /// The full key. It is shown only in this answer.
    pub secret: String,
}

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(PageQuery),
    responses((status = 200, body = Paged<KeyOut>), (status = 403, body = ErrorBody)))]
pub async fn list_keys(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<KeyOut>>> {
    let page = st
        .app
        .list_api_keys(&actor, q.cursor.as_deref(), q.limit())
        .await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = KeyIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same answer, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    responses((status = 201, body = KeyCreated), (status = 422, body = ErrorBody)))]
pub async fn create_key(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<(StatusCode, Json<KeyCreated>)> {
    super::need(&actor, Permission::ApiKeysManage)?;
    let body: KeyIn = body.parse().await?;
    let permissions =
        Permission::parse_list(&body.permissions.join(",")).map_err(AppError::from)?;
    let (record, secret) = st
        .app
        .create_api_key(&actor, &body.name, &permissions)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(KeyCreated {
            key: record.into(),
            secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: ApiKeyId = parse_path_id(&id)?;
    st.app.revoke_api_key(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
