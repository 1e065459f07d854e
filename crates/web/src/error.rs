//! The one mapping from use-case errors to HTTP: a status and a stable,
//! documented code. JSON for the API, `{code, message, field?}`; internals
//! are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courrier_app::AppError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `role.not_for_org_kind`.
    pub code: String,
    /// What went wrong and what to do next, for a person.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem, when several rules refused the input at once.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<ErrorItem>,
}

/// One of several problems with a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    pub code: String,
    pub message: String,
    pub field: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                code: code.into(),
                message: message.into(),
                field: None,
                errors: Vec::new(),
            },
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.body.field = Some(field.into());
        self
    }

    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf.invalid",
            "the form is stale or was not sent by Courrier; reload the page and try again",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(i) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, i.code, i.message)
                    .with_field(i.field)
            }
            AppError::Findings(list) => {
                let first = list.first().cloned().unwrap_or_else(|| {
                    courrier_domain::Invalid::new("input", "input.invalid", "the input was refused")
                });
                let mut e =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, first.code, first.message)
                        .with_field(first.field);
                e.body.errors = list
                    .into_iter()
                    .map(|i| ErrorItem {
                        code: i.code.into(),
                        message: i.message,
                        field: i.field.into(),
                    })
                    .collect();
                e
            }
            AppError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource in your organisation",
            ),
            AppError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.required",
                "sign in, or send an API key as 'Authorization: Bearer cour_…'",
            ),
            AppError::Forbidden(p) => ApiError::new(
                StatusCode::FORBIDDEN,
                "auth.forbidden",
                format!(
                    "this needs the permission '{}'; ask an administrator of your organisation",
                    p.as_str()
                ),
            ),
            AppError::Conflict(code) => {
                ApiError::new(StatusCode::CONFLICT, code, conflict_message(code))
            }
            AppError::Refused(code) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                conflict_message(code),
            ),
            AppError::Throttled { retry_after_secs } => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "auth.throttled",
                    format!(
                        "too many attempts; wait {} minutes and try again",
                        (retry_after_secs + 59) / 60
                    ),
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something failed on our side; try again, and quote the x-request-id header if it persists",
                )
            }
        }
    }
}

/// Human wording for codes that carry no message of their own.
pub fn conflict_message(code: &str) -> String {
    match code {
        "user.email_taken" => "someone already uses this e-mail address".into(),
        "user.last_manager" => "the organisation needs at least one person who manages users; give that role to someone else first".into(),
        "user.role_changed" => "this person's role changed meanwhile; read it again and retry".into(),
        "auth.2fa_required_by_org" => "your organisation requires two-factor authentication, so it cannot be turned off".into(),
        "auth.2fa_already_enabled" => "two-factor authentication is already on".into(),
        "auth.reset_link_invalid" => "this reset link is used, expired or wrong; ask for a new one".into(),
        "document.shredded" => "this document was shredded and cannot be read any more".into(),
        "tariff.changed" => "someone saved another version of this tariff since you read it; read it again and send your change with its version".into(),
        "upload.scanner_unavailable" => {
            "the virus scanner cannot be reached, so the file was not accepted; try again in a few minutes".into()
        }
        "upload.scan_failed" => "the virus scanner could not check this file, so it was not accepted; try a smaller file".into(),
        "letter.not_a_draft" => "only a draft can be changed; this letter was submitted already".into(),
        "letter.status_changed" => "the letter changed meanwhile; reload it and try again".into(),
        "item.paper_original_posted" => "the paper original of this item was posted already (or is being posted); it is printed and billed once".into(),
        "idempotency.lease_lost" => "another request with the same Idempotency-Key took over while this one ran; nothing was changed by this one".into(),
        "webhook.limit" => "an organisation has at most 16 active webhook endpoints; disable one first".into(),
        other => format!("refused: {other}"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
