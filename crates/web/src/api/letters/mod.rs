//! Single letters over the API: upload (multipart or raw PDF bytes), quote
//! without storing, list with filters, detail with history, change a
//! draft's options, the status actions, and the document.

use super::extract::{LaterJson, bad_query, nonempty, parse_path_id, parse_period};
use super::{ApiActor, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorItem};
use crate::upload::{is_multipart, parse_multipart, read_request};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courrier_app::AppError;
use courrier_app::letters::{AttachmentInput, BackgroundInput, LetterInput, PreparedLetter};
use courrier_domain::letters::{
    BackgroundScope, Colour, Envelope, LetterStatus, Paper, Product, Registered, Sides,
};
use courrier_domain::{Invalid, LetterId, Money};
use courrier_store::{LetterEventRecord, LetterFilter, LetterRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod actions;
mod answers;
mod list;
mod upload;

pub use actions::*;
pub use answers::*;
pub use list::*;
pub use upload::*;

/// An amount in minor units (centimes, cents) and its ISO 4217 currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyOut {
    pub amount_minor: i64,
    pub currency: String,
}

impl MoneyOut {
    fn new(minor: i64, currency: courrier_domain::Currency) -> Self {
        MoneyOut {
            amount_minor: minor,
            currency: currency.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceOut {
    pub net: MoneyOut,
    pub vat: MoneyOut,
    pub total: MoneyOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientOut {
    /// The address as it will be printed, one line each.
    pub lines: Vec<String>,
    pub name: String,
    pub postcode: String,
    pub locality: String,
    /// ISO 3166 two-letter code.
    pub country: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionsOut {
    /// us_dl, c5 or c4.
    pub envelope: String,
    /// bw or colour.
    pub colour: String,
    /// simplex or duplex.
    pub sides: String,
    /// 80g or 90g.
    pub paper: String,
    /// priority, standard or international_priority.
    pub product: String,
    /// none, registered or registered_ar.
    pub registered: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub seq: i32,
    pub at: String,
    pub status: String,
    /// Who moved the letter: `user:<id>`, `apikey:<id>` or `system:<name>`.
    pub actor: String,
    pub note: String,
}

impl From<LetterEventRecord> for EventOut {
    fn from(e: LetterEventRecord) -> Self {
        EventOut {
            seq: e.seq,
            at: rfc3339(e.at),
            status: e.status.as_str().into(),
            actor: e.actor,
            note: e.note,
        }
    }
}

/// A printed attachment of a letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    /// The file name it was uploaded with.
    pub name: String,
    pub pages: i32,
}

/// A problem that does not block a letter (a font not embedded, …).
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningOut {
    pub code: String,
    pub message: String,
    pub field: String,
}

fn warnings(list: Vec<Invalid>) -> Vec<WarningOut> {
    list.into_iter()
        .map(|w| WarningOut {
            code: w.code.into(),
            message: w.message,
            field: w.field.into(),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LetterOut {
    pub id: String,
    /// draft, awaiting_approval, accepted, in_production, printed,
    /// handed_to_carrier, in_transit, delivered, returned, cancelled, failed.
    pub status: String,
    pub reference: String,
    pub recipient: RecipientOut,
    pub options: OptionsOut,
    /// The letter's own pages (attachments not counted).
    pub pages: i32,
    /// Sheets in the envelope, attachments included.
    pub sheets: i32,
    /// Pages the letterhead is laid under: `first_page`, `all_pages`, or null.
    pub background: Option<String>,
    /// Printed attachments after the letter, in order.
    pub attachments: Vec<AttachmentOut>,
    pub weight_grams: i32,
    pub price: PriceOut,
    /// ISO date (`YYYY-MM-DD`) the letter is handed to the carrier.
    pub posting_date: Option<String>,
    /// ISO date (`YYYY-MM-DD`) the letter is expected at the recipient.
    pub expected_delivery: Option<String>,
    pub return_address: String,
    /// The approver's reason when a letter was sent back.
    pub note: String,
    /// Whether the PDF is still kept (documents are purged after the retention period).
    pub document_available: bool,
    pub created_at: String,
    pub submitted_at: Option<String>,
    /// Status changes, oldest first (only on `GET /letters/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventOut>>,
    /// Problems that did not block the letter (only when it was checked in this request).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<WarningOut>,
}

impl From<LetterRecord> for LetterOut {
    fn from(l: LetterRecord) -> Self {
        LetterOut {
            id: l.id.to_string(),
            status: l.status.as_str().into(),
            reference: l.reference,
            recipient: RecipientOut {
                lines: l.recipient.lines,
                name: l.recipient.name,
                postcode: l.recipient.postcode,
                locality: l.recipient.locality,
                country: l.recipient.country.as_str().into(),
            },
            options: OptionsOut {
                envelope: l.envelope.as_str().into(),
                colour: l.colour.as_str().into(),
                sides: l.sides.as_str().into(),
                paper: l.paper.as_str().into(),
                product: l.product.as_str().into(),
                registered: l.registered.as_str().into(),
            },
            pages: l.pages,
            sheets: l.sheets,
            background: l.background.map(|b| b.as_str().to_string()),
            attachments: l
                .attachments
                .into_iter()
                .map(|a| AttachmentOut {
                    name: a.name,
                    pages: a.pages,
                })
                .collect(),
            weight_grams: l.weight_grams,
            price: PriceOut {
                net: MoneyOut::new(l.price_net, l.currency),
                vat: MoneyOut::new(l.price_vat, l.currency),
                total: MoneyOut::new(l.price_total, l.currency),
            },
            posting_date: l.posting_date,
            expected_delivery: l.expected_delivery,
            return_address: l.return_address,
            note: l.note,
            document_available: l.document.is_some(),
            created_at: rfc3339(l.created_at),
            submitted_at: l.submitted_at.map(rfc3339),
            history: None,
            warnings: Vec::new(),
        }
    }
}

impl From<PreparedLetter> for LetterOut {
    fn from(p: PreparedLetter) -> Self {
        let mut out = LetterOut::from(p.record);
        out.warnings = warnings(p.warnings);
        out
    }
}

/// The price and delivery date a letter would get; nothing is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteOut {
    pub price: PriceOut,
    pub weight_grams: i32,
    pub pages: i32,
    pub sheets: i32,
    /// Pages the letterhead is laid under: `first_page`, `all_pages`, or null.
    pub background: Option<String>,
    /// Printed attachments after the letter, in order.
    pub attachments: Vec<AttachmentOut>,
    pub posting_date: Option<String>,
    pub expected_delivery: Option<String>,
    /// The recipient as it will be printed.
    pub recipient: RecipientOut,
    /// Every line found in the address window of page 1, top to bottom.
    pub window_lines: Vec<String>,
    pub options: OptionsOut,
    pub warnings: Vec<WarningOut>,
}

impl From<PreparedLetter> for QuoteOut {
    fn from(p: PreparedLetter) -> Self {
        let w = warnings(p.warnings);
        let l = LetterOut::from(p.record);
        QuoteOut {
            price: l.price,
            weight_grams: l.weight_grams,
            pages: l.pages,
            sheets: l.sheets,
            background: l.background,
            attachments: l.attachments,
            posting_date: l.posting_date,
            expected_delivery: l.expected_delivery,
            recipient: l.recipient,
            window_lines: p.window_lines,
            options: l.options,
            warnings: w,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_with_every_problem_reported() {
        let o = LetterOptions {
            envelope: Some("c4".into()),
            colour: Some("colour".into()),
            sides: Some("duplex".into()),
            recipient: Some("A\n\n  B  \n".into()),
            ..LetterOptions::default()
        };
        let i = letter_input(&o).unwrap();
        assert_eq!(i.envelope, Envelope::C4);
        assert_eq!(
            i.recipient_lines,
            Some(vec!["A".to_string(), "B".to_string()])
        );
        let bad = LetterOptions {
            envelope: Some("c9".into()),
            product: Some("fast".into()),
            ..LetterOptions::default()
        };
        match letter_input(&bad) {
            Err(AppError::Findings(list)) => assert_eq!(list.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(truthy(Some("true")) && truthy(Some("1")) && !truthy(Some("no")) && !truthy(None));
    }

    #[test]
    fn letterhead_and_attachments_are_read_with_their_refusals() {
        let pdf = Bytes::from_static(b"%PDF-1.7 x");
        let files = vec![
            ("background".to_string(), None, pdf.clone()),
            (
                "attachment".to_string(),
                Some("coupon.pdf".into()),
                pdf.clone(),
            ),
            // An empty file input sends an empty part: no file.
            ("attachment".to_string(), Some(String::new()), Bytes::new()),
        ];
        let o = LetterOptions {
            background_scope: Some("all".into()),
            ..LetterOptions::default()
        };
        let input = letter_input_with_files(&o, &files).unwrap();
        assert_eq!(
            input.background.map(|b| b.scope),
            Some(BackgroundScope::AllPages)
        );
        assert_eq!(input.attachments.len(), 1);
        assert_eq!(input.attachments[0].name, "coupon.pdf");
        // No scope: the first page.
        let input = letter_input_with_files(&LetterOptions::default(), &files).unwrap();
        assert_eq!(
            input.background.map(|b| b.scope),
            Some(BackgroundScope::FirstPage)
        );
        // A scope without a background, and a bad option, are both reported.
        let bad = LetterOptions {
            background_scope: Some("first".into()),
            envelope: Some("c9".into()),
            ..LetterOptions::default()
        };
        match letter_input_with_files(&bad, &[]) {
            Err(AppError::Findings(list)) => {
                assert_eq!(list.len(), 2);
                assert!(list.iter().any(
                    |i| i.code == "letter.background_missing" && i.field == "background_scope"
                ));
            }
            other => panic!("{other:?}"),
        }
        let unknown = LetterOptions {
            background_scope: Some("middle".into()),
            ..LetterOptions::default()
        };
        match letter_input_with_files(&unknown, &files) {
            Err(AppError::Findings(list)) => {
                assert_eq!(
                    list.first().map(|i| i.code),
                    Some(courrier_domain::codes::LETTER_BACKGROUND_SCOPE_UNKNOWN)
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_openapi_document_names_the_upload_parts() {
        use utoipa::OpenApi;
        let doc = serde_json::to_value(crate::api::docs::ApiDoc::openapi()).unwrap();
        let form = &doc["components"]["schemas"]["LetterUploadForm"];
        let text = form.to_string();
        for part in ["\"file\"", "\"background\"", "\"attachment\""] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
        let body = doc["paths"]["/api/v1/letters"]["post"]["requestBody"]["content"]
            ["multipart/form-data"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default();
        assert!(body.ends_with("LetterUploadForm"), "{body}");
        let options = doc["components"]["schemas"]["LetterOptions"].to_string();
        assert!(options.contains("background_scope"));
    }

    #[test]
    fn dates_and_filters() {
        use crate::api::extract::parse_when;
        let day = parse_when("2026-01-01", "from", false).unwrap();
        assert_eq!(day.millis(), 1_767_225_600_000);
        assert_eq!(
            parse_when("2026-01-01", "to", true).unwrap().millis(),
            1_767_225_600_000 + 86_400_000
        );
        assert_eq!(
            parse_when("2026-01-01T00:00:00Z", "to", true)
                .unwrap()
                .millis(),
            1_767_225_600_000
        );
        match letter_filter(Some("lost"), Some("yesterday"), None, None, None) {
            Err(AppError::Findings(list)) => assert_eq!(list.len(), 2),
            other => panic!("{other:?}"),
        }
        let f = letter_filter(Some("draft"), None, None, Some(" Dupont "), Some("")).unwrap();
        assert_eq!(f.status, Some(LetterStatus::Draft));
        assert_eq!(f.recipient.as_deref(), Some("Dupont"));
        assert!(f.reference.is_none());
    }
}
