//! Identity documents of mailbox members over the API: the customer uploads
//! one (`multipart/form-data` with `kind`, `side` and a `file` part) and
//! lists them; the platform and the mail center of the member's location
//! list them too. A member of another organisation is 404 like an unknown
//! one.

use super::extract::parse_path_id;
use super::{ApiActor, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::upload::{is_multipart, parse_multipart, read_request};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use courrier_app::AppError;
use courrier_domain::codes;
use courrier_domain::mailbox::{DocumentSide, IdentityDocumentKind};
use courrier_store::MemberDocumentRecord;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDocumentOut {
    pub id: String,
    pub member_id: String,
    /// `id_card`, `passport`, `residence_permit`, `register_extract` or `other`.
    pub kind: String,
    /// `front`, `back` or `single`.
    pub side: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: String,
}

impl From<MemberDocumentRecord> for MemberDocumentOut {
    fn from(d: MemberDocumentRecord) -> Self {
        MemberDocumentOut {
            id: d.id.to_string(),
            member_id: d.member.to_string(),
            kind: d.kind.as_str().into(),
            side: d.side.as_str().into(),
            file_name: d.file_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            uploaded_at: rfc3339(d.created_at),
        }
    }
}

/// An identity document upload. Only its schema is used: the form itself
/// is read part by part.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
pub struct MemberDocumentIn {
    /// `id_card`, `passport` or `residence_permit` for a person,
    /// `register_extract` for a company, `other` for both.
    pub kind: String,
    /// `front` or `back` for an ID card or residence permit, else `single`.
    pub side: String,
    /// A PDF, JPEG or PNG file of at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Lists a member's identity documents, oldest first (the member's
/// customer with `mailbox.act`, the platform, or the mail center of the
/// member's location).
#[utoipa::path(get, path = "/api/v1/mailbox/members/{id}/documents", tag = "mailbox",
    params(("id" = String, Path, description = "The member")),
    responses((status = 200, body = Vec<MemberDocumentOut>), (status = 404, body = ErrorBody)))]
pub async fn list_documents(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<MemberDocumentOut>>> {
    let member: courrier_domain::MemberId = parse_path_id(&id)?;
    let docs = st.app.member_documents(&actor, member).await?;
    Ok(Json(docs.into_iter().map(Into::into).collect()))
}

/// Uploads an identity document for one of the organisation's members
/// (`mailbox.act`). The file is virus-scanned where a scanner is configured
/// and stored encrypted. Codes: `signup.document_kind_invalid`,
/// `signup.document_side_invalid`, `signup.document_type`,
/// `signup.document_too_large`, `signup.document_empty`,
/// `member.review_closed` (the review is over).
#[utoipa::path(post, path = "/api/v1/mailbox/members/{id}/documents", tag = "mailbox",
    params(("id" = String, Path, description = "The member")),
    request_body(content = MemberDocumentIn, content_type = "multipart/form-data"),
    responses((status = 201, body = MemberDocumentOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_document(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<(StatusCode, Json<MemberDocumentOut>)> {
    let member: courrier_domain::MemberId = parse_path_id(&id)?;
    // Refused, or another organisation's member not found, before the upload is read.
    st.app.member_for_upload(&actor, member).await?;
    let (parts, body) = read_request(req).await?;
    if !is_multipart(&parts) {
        return Err(ApiError::of(
            codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the document as 'multipart/form-data' with 'kind', 'side' and a 'file' part",
        ));
    }
    let form = parse_multipart(parts, body).await?;
    let kind =
        IdentityDocumentKind::parse(form.field("kind").unwrap_or("")).map_err(AppError::from)?;
    let side = DocumentSide::parse(form.field("side").unwrap_or("")).map_err(AppError::from)?;
    let doc = st
        .app
        .upload_member_document(
            &actor,
            member,
            kind,
            side,
            form.file_name.as_deref().unwrap_or(""),
            form.file.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(doc.into())))
}
