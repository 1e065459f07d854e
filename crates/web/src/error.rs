//! The one mapping from use-case errors to HTTP: a status and a stable,
//! documented code. JSON for the API, `{code, message, field?}`; internals
//! are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courrier_app::AppError;
use courrier_domain::{Code, codes};
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

/// The HTTP status of every code, the one table: a code not named here is
/// an input or a business rule that refused the request, `422`.
pub fn status(code: Code) -> StatusCode {
    match code {
        codes::IDEMPOTENCY_KEY_INVALID
        | codes::REQUEST_BODY_UNREADABLE
        | codes::REQUEST_MALFORMED
        | codes::REQUEST_QUERY_INVALID
        | codes::UPLOAD_MALFORMED => StatusCode::BAD_REQUEST,
        codes::AUTH_REQUIRED => StatusCode::UNAUTHORIZED,
        codes::AUTH_FORBIDDEN | codes::CSRF_INVALID => StatusCode::FORBIDDEN,
        codes::NOT_FOUND => StatusCode::NOT_FOUND,
        codes::APIKEY_PREFIX_TAKEN
        | codes::DIGEST_SENT
        | codes::IDEMPOTENCY_ANSWER_LOST
        | codes::IDEMPOTENCY_IN_PROGRESS
        | codes::IDEMPOTENCY_KEY_REUSED
        | codes::IDEMPOTENCY_LEASE_LOST
        | codes::ITEM_PAPER_ORIGINAL_POSTED
        | codes::ITEM_PICKED_UP
        | codes::ITEM_STATE_CHANGED
        | codes::JOB_ALREADY_QUEUED
        | codes::LETTER_STATUS_CHANGED
        | codes::MAILBOX_CHANGED
        | codes::MAILBOX_EXISTS
        | codes::MEMBER_REVIEW_CHANGED
        | codes::ORG_EXISTS
        | codes::PLAN_ALREADY_BILLED
        | codes::PLAN_ALREADY_CANCELLED
        | codes::PLAN_ENDED
        | codes::PLAN_NOT_CANCELLED
        | codes::REPORT_EXISTS
        | codes::REPORT_SCHEDULE_EXISTS
        | codes::RUN_ITEM_RECORDED
        | codes::SIGNUP_EXISTS
        | codes::SIGNUP_PLAN_RUNNING
        | codes::TARIFF_CHANGED
        | codes::TASK_NOT_OPEN
        | codes::USAGE_ALREADY_BILLED
        | codes::USER_EMAIL_TAKEN
        | codes::WEBHOOK_EXISTS => StatusCode::CONFLICT,
        codes::REQUEST_TOO_LARGE | codes::UPLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        codes::REQUEST_NOT_JSON | codes::REQUEST_UNSUPPORTED_MEDIA_TYPE => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        codes::AUTH_THROTTLED | codes::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        codes::INTERNAL => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl ApiError {
    /// An error with its code's status from [`status`].
    pub fn of(code: Code, message: impl Into<String>) -> Self {
        Self::new(status(code), code, message)
    }

    /// An error with a status chosen by the caller; prefer [`ApiError::of`],
    /// whose status is the code's own.
    pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                code: code.as_str().into(),
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
        Self::of(
            codes::CSRF_INVALID,
            "the form is stale or was not sent by Courrier; reload the page and try again",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(i) => ApiError::of(i.code, i.message).with_field(i.field),
            AppError::Findings(list) => {
                let first = list.first().cloned().unwrap_or_else(|| {
                    courrier_domain::Invalid::new(
                        "input",
                        codes::INPUT_INVALID,
                        "the input was refused",
                    )
                });
                let mut e = ApiError::of(first.code, first.message).with_field(first.field);
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
            AppError::NotFound => {
                ApiError::of(codes::NOT_FOUND, "no such resource in your organisation")
            }
            AppError::Unauthenticated => ApiError::of(
                codes::AUTH_REQUIRED,
                "sign in, or send an API key as 'Authorization: Bearer cour_…'",
            ),
            AppError::Forbidden(p) => ApiError::of(
                codes::AUTH_FORBIDDEN,
                format!(
                    "this needs the permission '{}'; ask an administrator of your organisation",
                    p.as_str()
                ),
            ),
            AppError::Conflict(code) | AppError::Refused(code) => {
                ApiError::of(code, conflict_message(code))
            }
            AppError::Throttled { retry_after_secs } => {
                let mut e = ApiError::of(
                    codes::AUTH_THROTTLED,
                    format!(
                        "too many attempts; wait {} minutes and try again",
                        (retry_after_secs + 59) / 60
                    ),
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            AppError::Internal(detail) => {
                // The whole chain of causes, for the log only.
                tracing::error!(detail = %format!("{detail:#}"), "internal error");
                ApiError::of(
                    codes::INTERNAL,
                    "something failed on our side; try again, and quote the x-request-id header if it persists",
                )
            }
        }
    }
}

/// Human wording for codes that carry no message of their own.
pub fn conflict_message(code: Code) -> String {
    match code {
        codes::USER_EMAIL_TAKEN => "someone already uses this e-mail address".into(),
        codes::USER_LAST_MANAGER => "the organisation needs at least one person who manages users; give that role to someone else first".into(),
        codes::USER_ROLE_CHANGED => "this person's role changed meanwhile; read it again and retry".into(),
        codes::AUTH_2FA_REQUIRED_BY_ORG => "your organisation requires two-factor authentication, so it cannot be turned off".into(),
        codes::AUTH_2FA_ALREADY_ENABLED => "two-factor authentication is already on".into(),
        codes::AUTH_RESET_LINK_INVALID => "this reset link is used, expired or wrong; ask for a new one".into(),
        codes::DOCUMENT_SHREDDED => "this document was shredded and cannot be read any more".into(),
        codes::TARIFF_CHANGED => "someone saved another version of this tariff since you read it; read it again and send your change with its version".into(),
        codes::UPLOAD_SCANNER_UNAVAILABLE => {
            "the virus scanner cannot be reached, so the file was not accepted; try again in a few minutes".into()
        }
        codes::UPLOAD_SCAN_FAILED => "the virus scanner could not check this file, so it was not accepted; try a smaller file".into(),
        codes::LETTER_NOT_A_DRAFT => "only a draft can be changed; this letter was submitted already".into(),
        codes::LETTER_STATUS_CHANGED => "the letter changed meanwhile; reload it and try again".into(),
        codes::ITEM_PAPER_ORIGINAL_POSTED => "the paper original of this item was posted already (or is being posted); it is printed and billed once".into(),
        codes::IDEMPOTENCY_LEASE_LOST => "another request with the same Idempotency-Key took over while this one ran; nothing was changed by this one".into(),
        codes::WEBHOOK_LIMIT => "an organisation has at most 16 active webhook endpoints; disable one first".into(),
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
