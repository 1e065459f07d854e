//! `GET /api/v1/errors`: the registry of error codes as documentation, each
//! with its HTTP status and what it means in English and French. Public: it
//! says nothing about any organisation.

use axum::Json;
use courrier_domain::{Code, Locale, codes};
use serde::Serialize;

/// One error code a request may receive.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorCodeOut {
    /// The stable code, as in an error's `code`, e.g. `item.state_changed`.
    pub code: String,
    /// The HTTP status an error with this code comes with.
    pub status: u16,
    /// What it means, in English.
    pub en: String,
    /// What it means, in French.
    pub fr: String,
}

/// What a code means in a language, without any one error's own message.
pub fn meaning(locale: Locale, code: Code) -> String {
    crate::i18n::L(locale).meaning(code)
}

/// One row of the list.
pub fn describe(code: Code) -> ErrorCodeOut {
    ErrorCodeOut {
        code: code.as_str().to_string(),
        status: crate::error::status(code).as_u16(),
        en: meaning(Locale::En, code),
        fr: meaning(Locale::Fr, code),
    }
}

/// Every error code with its HTTP status and meaning in English and French.
/// No authentication needed.
#[utoipa::path(get, path = "/api/v1/errors", tag = "errors", security(()),
    responses((status = 200, body = Vec<ErrorCodeOut>)))]
pub async fn list_errors() -> Json<Vec<ErrorCodeOut>> {
    Json(codes::ALL.iter().copied().map(describe).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code of the registry has a status and words in both languages.
    #[test]
    fn every_code_has_a_status_and_words() {
        for code in codes::ALL {
            let row = describe(*code);
            assert!((400..600).contains(&row.status), "{code}: {}", row.status);
            assert!(!row.en.trim().is_empty(), "{code}: no English");
            assert!(!row.fr.trim().is_empty(), "{code}: no French");
            assert!(
                !row.en.contains('{') && !row.fr.contains('{'),
                "{code}: {row:?}"
            );
        }
        let row = describe(codes::ITEM_STATE_CHANGED);
        assert_eq!((row.code.as_str(), row.status), ("item.state_changed", 409));
        assert_eq!(describe(codes::NOT_FOUND).status, 404);
        assert_eq!(describe(codes::INTERNAL).status, 500);
        assert_eq!(describe(codes::ADDRESS_POSTCODE_INVALID).status, 422);
    }
}
