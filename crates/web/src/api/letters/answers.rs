//! Words and answers the pages share with the API: money as text, problems, a PDF response.

use super::*;

/// A PDF answer that no cache keeps.
pub fn pdf_response(id: LetterId, pdf: Vec<u8>) -> Response {
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"letter-{id}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// A price as people read it: `CHF 2.49`.
pub fn money_text(minor: i64, currency: courrier_domain::Currency) -> String {
    Money::new(minor, currency).to_string()
}

/// Every problem of a refusal, for pages: the list, or the one error.
pub fn problems_of(e: &ApiError) -> Vec<ErrorItem> {
    if e.body.errors.is_empty() {
        vec![ErrorItem {
            code: e.body.code.clone(),
            message: e.body.message.clone(),
            field: e.body.field.clone().unwrap_or_default(),
        }]
    } else {
        e.body.errors.clone()
    }
}
