//! People, roles and invitations over the API.

use super::{ApiActor, PageQuery, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use courrier_app::AppError;
use courrier_domain::codes;
use courrier_domain::{InvitationId, UserId};
use courrier_store::{OrgRecord, UserRecord};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A JSON body whose parse errors answer with our error format.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::of(
                codes::REQUEST_NOT_JSON,
                "send the body as JSON with 'Content-Type: application/json'",
            )),
            Err(e) => Err(ApiError::of(
                codes::REQUEST_MALFORMED,
                format!("the JSON body is not valid: {}", e.body_text()),
            )),
        }
    }
}

/// A JSON body not read yet: the handler checks who calls (permission, and
/// the object named in the path within the caller's organisation) first,
/// then [`LaterJson::parse`]s it. An extractor that parses runs before the
/// handler's body, so a refused caller would be told about the body instead
/// of being refused.
pub struct LaterJson(Request);

impl<S: Send + Sync> FromRequest<S> for LaterJson {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(LaterJson(req))
    }
}

impl LaterJson {
    /// Reads and parses the body, with [`JsonBody`]'s answers.
    pub async fn parse<T: DeserializeOwned>(self) -> ApiResult<T> {
        Ok(JsonBody::<T>::from_request(self.0, &()).await?.0)
    }
}

pub fn parse_path_id<T: std::str::FromStr>(raw: &str) -> ApiResult<T> {
    raw.parse::<T>()
        .map_err(|_| ApiError::from(AppError::NotFound))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub email: String,
    pub name: String,
    /// admin, approver, member (customers); owner, manager, clerk (mail centers); platform_admin.
    pub role: String,
    pub two_factor: bool,
    pub created_at: String,
}

impl From<UserRecord> for UserOut {
    fn from(u: UserRecord) -> Self {
        UserOut {
            id: u.id.to_string(),
            email: u.email.to_string(),
            name: u.display_name,
            role: u.role.as_str().into(),
            two_factor: u.totp_enabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgOut {
    pub id: String,
    pub name: String,
    /// customer, mail_center or platform.
    pub kind: String,
    pub country: String,
    pub currency: String,
    pub require_2fa: bool,
    pub created_at: String,
}

impl From<OrgRecord> for OrgOut {
    fn from(o: OrgRecord) -> Self {
        OrgOut {
            id: o.id.to_string(),
            name: o.name,
            kind: o.kind.as_str().into(),
            country: o.country,
            currency: o.currency.to_string(),
            require_2fa: o.require_2fa,
            created_at: rfc3339(o.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    /// The signed-in person; absent when an API key calls.
    pub user: Option<UserOut>,
    pub org: OrgOut,
    pub permissions: Vec<String>,
}

/// Who am I: the caller's organisation and permissions.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
pub async fn me(State(st): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<Json<MeOut>> {
    let org = st.app.store.org(actor.org).await.map_err(AppError::from)?;
    let user = match actor.user_id() {
        Some(id) => Some(st.app.store.user(id).await.map_err(AppError::from)?.into()),
        None => None,
    };
    Ok(Json(MeOut {
        user,
        org: org.into(),
        permissions: actor
            .permissions()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    }))
}

/// The organisation's people, by e-mail address.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Paged<UserOut>), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<UserOut>>> {
    let page = st
        .app
        .list_users(&actor, q.cursor.as_deref(), q.limit())
        .await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<UserOut>> {
    let id: UserId = parse_path_id(&id)?;
    Ok(Json(st.app.get_user(&actor, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserPatch {
    pub role: String,
}

/// Changes a person's role. The organisation always keeps someone who manages users.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    body: LaterJson,
) -> ApiResult<Json<UserOut>> {
    let id: UserId = parse_path_id(&id)?;
    // Another organisation's person is 404 whatever the body.
    st.app.get_user(&actor, id).await?;
    let body: UserPatch = body.parse().await?;
    Ok(Json(
        st.app.change_role(&actor, id, &body.role).await?.into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove_user(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: UserId = parse_path_id(&id)?;
    st.app.remove_user(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvitationIn {
    pub email: String,
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: String,
    pub email: String,
    pub role: String,
    /// The link sent by e-mail; valid for 7 days and usable once.
    pub link: String,
}

/// Invites someone by e-mail. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "users", request_body = InvitationIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same answer, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    responses((status = 201, body = InvitationOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invite(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<(StatusCode, Json<InvitationOut>)> {
    super::need(&actor, courrier_domain::Permission::UsersManage)?;
    let body: InvitationIn = body.parse().await?;
    let (id, link) = st.app.invite(&actor, &body.email, &body.role).await?;
    Ok((
        StatusCode::CREATED,
        Json(InvitationOut {
            id: id.to_string(),
            email: body.email.trim().to_lowercase(),
            role: body.role.trim().to_string(),
            link,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_invitation(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: InvitationId = parse_path_id(&id)?;
    st.app.revoke_invitation(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
