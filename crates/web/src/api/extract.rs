//! What API handlers share to read a request: JSON bodies answered with our
//! error format ([`JsonBody`]), or read only after the caller is checked
//! ([`LaterJson`]); ids in the path; query strings and their filters.

use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use courrier_app::AppError;
use courrier_domain::{Invalid, Timestamp};
use serde::de::DeserializeOwned;

/// A JSON body whose parse errors answer with our error format.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                courrier_domain::codes::REQUEST_NOT_JSON,
                "send the body as JSON with 'Content-Type: application/json'",
            )),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                courrier_domain::codes::REQUEST_MALFORMED,
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

/// An id in the path; one that does not parse is not found.
pub fn parse_path_id<T: std::str::FromStr>(raw: &str) -> ApiResult<T> {
    raw.parse::<T>()
        .map_err(|_| ApiError::from(AppError::NotFound))
}

/// The answer to a query string that cannot be read.
pub fn bad_query(e: serde_urlencoded::de::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        courrier_domain::codes::REQUEST_QUERY_INVALID,
        format!("the query string is not valid: {e}"),
    )
}

/// A trimmed value, or `None` when blank.
pub fn nonempty(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A `from`/`to` filter pair; a bare `to` date includes its whole day.
/// Problems are added to `errors` so a request reports all of them.
pub fn parse_period(
    from: Option<&str>,
    to: Option<&str>,
    errors: &mut Vec<Invalid>,
) -> (Option<Timestamp>, Option<Timestamp>) {
    let mut parse = |raw: Option<&str>, field: &'static str, end: bool| {
        nonempty(raw).and_then(|v| parse_when(&v, field, end).map_err(|e| errors.push(e)).ok())
    };
    (parse(from, "from", false), parse(to, "to", true))
}

/// A date (`YYYY-MM-DD`, midnight UTC; `end` gives the next midnight) or an RFC 3339 time.
pub fn parse_when(raw: &str, field: &'static str, end: bool) -> Result<Timestamp, Invalid> {
    let bad = || {
        Invalid::new(
            field,
            courrier_domain::codes::DATE_INVALID,
            format!("'{raw}' is not a date (2026-01-31) or an RFC 3339 time"),
        )
    };
    let raw = raw.trim();
    if let Ok(date) = raw.parse::<jiff::civil::Date>() {
        let date = if end {
            date.tomorrow().map_err(|_| bad())?
        } else {
            date
        };
        let ts = date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|_| bad())?
            .timestamp();
        return Ok(Timestamp::from_millis(ts.as_millisecond()));
    }
    let ts = raw.parse::<jiff::Timestamp>().map_err(|_| bad())?;
    Ok(Timestamp::from_millis(ts.as_millisecond()))
}
