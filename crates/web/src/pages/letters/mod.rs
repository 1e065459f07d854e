//! Single letters in the web app: the list with its filters, sending a letter
//! (upload → draft → detail page), the detail page with a picture of page 1,
//! the quote, the history and the actions, the approvals inbox, and the
//! organisation's letter settings. Every form works without JavaScript.

use super::{Chrome, Screen, is_page_error, render};
use crate::AppState;
use crate::api::letters::{
    LetterOptions, current_options, letter_filter, letter_input, letter_input_with_files,
    money_text, pdf_response, problems_of,
};
use crate::error::{ApiError, ErrorItem};
use crate::i18n::L;
use crate::session::{CsrfForm, CsrfMultipart, Fields, LetterSender, SignedIn};
use crate::upload::UploadForm;
use crate::when::When;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_domain::letters::{BackgroundScope, Envelope, LetterStatus, Product, Registered};
use courrier_domain::{LetterId, Locale, Permission, UserId};
use courrier_store::{LetterRecord, LetterSettings};
use serde::Deserialize;
use std::collections::HashMap;

mod detail;
mod list;
mod send;
mod settings;

pub(super) use detail::*;
pub(super) use list::*;
pub(super) use send::*;
pub(super) use settings::*;

/// The letters pages' routes.
pub(super) fn routes(r: crate::routes::Routes) -> crate::routes::Routes {
    r.get("/letters", list_page)
        .get("/letters/new", new_page)
        .upload("/letters/new", upload)
        .get("/letters/approvals", approvals_page)
        .get("/letters/{id}", detail_page)
        .get("/letters/{id}/preview.png", preview)
        .get("/letters/{id}/document.pdf", document)
        .post("/letters/{id}/edit", edit)
        .post("/letters/{id}/submit", submit)
        .post("/letters/{id}/approve", approve)
        .post("/letters/{id}/reject", reject)
        .post("/letters/{id}/cancel", cancel)
        .get("/org/letters", settings_page)
        .post("/org/letters", save_settings)
}

pub(super) const LETTERS: Screen = Screen::new("letters", "/letters");

/// A4 in millimetres: the window overlay is placed in percent of these.
const A4_WIDTH_MM: f32 = 210.0;
const A4_HEIGHT_MM: f32 = 297.0;

/// One problem as a person reads it: its code and the message in their language.
struct Problem {
    code: String,
    message: String,
}

/// The checks' own messages are English and precise (which page, which
/// size); in French the code's translation stands in for them.
fn problems(l: L, items: Vec<ErrorItem>) -> Vec<Problem> {
    items
        .into_iter()
        .map(|i| {
            let key = format!("err.{}", i.code);
            let message = match (l.0, l.t(&key)) {
                (Locale::Fr, text) if text != key => text.to_string(),
                _ => i.message,
            };
            Problem {
                code: i.code,
                message,
            }
        })
        .collect()
}

/// A choice in a select: its value, its words, and whether it is chosen.
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

fn choices(l: L, values: &[&'static str], prefix: &str, current: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v,
            label: l.t(&format!("{prefix}.{v}")).to_string(),
            selected: *v == current,
        })
        .collect()
}

/// The option fields of the upload and edit forms.
struct OptionForm {
    envelopes: Vec<Choice>,
    colours: Vec<Choice>,
    sides: Vec<Choice>,
    products: Vec<Choice>,
    registered: Vec<Choice>,
    reference: String,
    recipient: String,
}

fn option_form(l: L, o: &LetterOptions) -> OptionForm {
    let get = |v: &Option<String>, default: &'static str| {
        v.clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default.into())
    };
    let envelope = get(&o.envelope, "c5");
    let envelope = Envelope::parse(&envelope)
        .map(|e| e.as_str())
        .unwrap_or("c5");
    let colour = get(&o.colour, "bw");
    let colour = if colour == "color" {
        "colour".to_string()
    } else {
        colour
    };
    OptionForm {
        envelopes: Envelope::ALL
            .iter()
            .map(|e| Choice {
                value: e.as_str(),
                label: e.label().to_string(),
                selected: e.as_str() == envelope,
            })
            .collect(),
        colours: choices(l, &["bw", "colour"], "colour", &colour),
        sides: choices(
            l,
            &["simplex", "duplex"],
            "sides",
            &get(&o.sides, "simplex"),
        ),
        products: choices(
            l,
            &Product::ALL.map(Product::as_str),
            "product",
            &get(&o.product, "priority"),
        ),
        registered: choices(
            l,
            &Registered::ALL.map(Registered::as_str),
            "registered",
            &get(&o.registered, "none"),
        ),
        reference: o.reference.clone().unwrap_or_default(),
        recipient: o.recipient.clone().unwrap_or_default(),
    }
}

/// The options a form sent, by field name.
fn options_from(field: impl Fn(&str) -> Option<String>) -> LetterOptions {
    LetterOptions {
        envelope: field("envelope"),
        colour: field("colour"),
        sides: field("sides"),
        paper: None,
        product: field("product"),
        registered: field("registered"),
        reference: field("reference"),
        recipient: field("recipient"),
        return_address: None,
        submit: None,
        background_scope: field("background_scope"),
    }
}

fn status_label(l: L, s: LetterStatus) -> String {
    l.t(&format!("status.{}", s.as_str())).to_string()
}

fn badge(s: LetterStatus) -> &'static str {
    match s {
        LetterStatus::Draft => "",
        LetterStatus::AwaitingApproval => "warn",
        LetterStatus::Cancelled | LetterStatus::Failed | LetterStatus::Returned => "bad",
        _ => "ok",
    }
}

fn parse_id(raw: &str) -> Option<LetterId> {
    raw.parse::<LetterId>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_and_badges() {
        let l = L(Locale::Fr);
        let c = choices(l, &["bw", "colour"], "colour", "colour");
        assert_eq!(c.iter().filter(|c| c.selected).count(), 1);
        assert_eq!(c.first().map(|c| c.label.as_str()), Some("Noir et blanc"));
        assert_eq!(badge(LetterStatus::AwaitingApproval), "warn");
        assert_eq!(badge(LetterStatus::Cancelled), "bad");
        let form = option_form(
            l,
            &LetterOptions {
                envelope: Some("C4".into()),
                ..LetterOptions::default()
            },
        );
        assert!(form.envelopes.iter().any(|e| e.value == "c4" && e.selected));
        let p = problems(
            L(Locale::En),
            vec![ErrorItem {
                code: "x.y".into(),
                message: "m".into(),
                field: String::new(),
            }],
        );
        assert_eq!(p.first().map(|p| p.message.as_str()), Some("m"));
    }
}
