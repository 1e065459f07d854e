//! The customer's digital mailbox (permissions `mailbox.read` /
//! `mailbox.act`): the list with envelope thumbnails, full-text search with
//! highlighted snippets, filters, cursor paging and bulk actions with a
//! result per item; the item page with the envelope, the scan viewer, the
//! recognised text, the actions with their prices, tags and note, and the
//! chain of custody; the company mailbox set-up (postal address, activation
//! date, the code from the letter, a new address). Every form works without
//! JavaScript. The envelope and scan files are served decrypted with
//! `Cache-Control: private, no-store`.

use super::{Chrome, Screen, is_page_error, render};
use crate::AppState;
use crate::api::letters::problems_of;
use crate::api::mailbox::{ActionResultOut, action_from, item_filter, run_actions};
use crate::error::ApiError;
use crate::i18n::L;
use crate::session::{CsrfForm, Fields, SignedIn, field};
use crate::when::When;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_app::mailbox::ItemFile;
use courrier_domain::mailbox::{Action, ActionKind, ItemState, MailboxState, PriceList, allowed};
use courrier_domain::{MailItemId, Permission};
use courrier_store::{MailItemRecord, SearchHit, SearchOrder};
use serde::Deserialize;

mod item;
mod list;
mod setup;

pub(super) use item::*;
pub(super) use list::*;
pub(super) use setup::*;

/// The mailbox pages' routes.
pub(super) fn routes(r: crate::routes::Routes) -> crate::routes::Routes {
    r.get("/mail", list_page)
        .post("/mail/actions", bulk_action)
        .get("/mail/setup", setup_page)
        .post("/mail/setup", open_mailbox)
        .post("/mail/setup/{id}/verify", verify_code)
        .post("/mail/setup/{id}/address", change_address)
        .post("/mail/setup/{id}/notify", set_notify)
        .post("/mail/setup/retention", set_scan_retention)
        .get("/mail/{id}", detail_page)
        .get("/mail/{id}/envelope", envelope)
        .get("/mail/{id}/scan.pdf", scan)
        .post("/mail/{id}/action", item_action)
        .post("/mail/{id}/annotate", annotate)
        .get("/mailbox/items/{id}", legacy_link)
}

const PATH: &str = "/mail";
pub(super) const MAIL: Screen = Screen::new("mail", PATH);

pub(super) fn state_label(l: L, s: ItemState) -> String {
    l.t(&format!("mailstate.{}", s.as_str())).to_string()
}

pub(super) fn state_badge(s: ItemState) -> &'static str {
    match s {
        ItemState::Received | ItemState::Scanned | ItemState::Handled => "ok",
        ItemState::Refused | ItemState::Shredded | ItemState::Recycled => "bad",
        s if s.is_pending() => "warn",
        _ => "",
    }
}

pub(super) fn action_label(l: L, a: ActionKind) -> String {
    l.t(&format!("mailaction.{}", a.as_str())).to_string()
}

/// A refusal for a person: the English message as it is (it is precise), in
/// French the translation of its code when there is one.
fn say(l: L, code: &str, message: String) -> String {
    let key = format!("err.{code}");
    match (l.0, l.t(&key)) {
        (courrier_domain::Locale::Fr, text) if text != key => text.to_string(),
        _ => message,
    }
}

/// An error in the person's language.
pub(super) fn error_text(l: L, e: AppError) -> String {
    l.error(&ApiError::from(e))
}

/// One line of a snippet; `mark` parts matched the query.
pub struct Span {
    pub text: String,
    pub mark: bool,
}

pub struct ItemRow {
    pub id: String,
    pub received: String,
    pub sender: String,
    pub recipient: String,
    pub kind: String,
    pub state: &'static str,
    pub state_label: String,
    pub badge: &'static str,
    pub thumb: bool,
    pub digital: bool,
    pub tags: String,
    pub snippet: Vec<Span>,
}

pub(super) fn item_row(l: L, when: &When, i: MailItemRecord, snippet: Vec<Span>) -> ItemRow {
    ItemRow {
        id: i.id.to_string(),
        received: when.at(i.received_at),
        sender: i.item.sender.clone().unwrap_or_else(|| "—".into()),
        recipient: i.recipient_name.clone(),
        kind: l
            .t(&format!("mailkind.{}", i.item.kind.as_str()))
            .to_string(),
        state: i.state.as_str(),
        state_label: state_label(l, i.state),
        badge: state_badge(i.state),
        thumb: i.envelope_document.is_some(),
        digital: i.digital_document.is_some(),
        tags: i.tags.join(", "),
        snippet,
    }
}

fn hit_row(l: L, when: &When, h: SearchHit) -> ItemRow {
    let snippet = h
        .snippet
        .into_iter()
        .map(|s| Span {
            text: s.text,
            mark: s.highlighted,
        })
        .collect();
    item_row(l, when, h.item, snippet)
}

/// A choice in a select.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// The actions of the bulk form, with their price.
fn action_choices(l: L) -> Vec<Choice> {
    ActionKind::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str(),
            label: with_price(l, *a),
            selected: false,
        })
        .collect()
}

/// "Scan (CHF 0.80)"; free actions have no price.
fn with_price(l: L, a: ActionKind) -> String {
    let p = PriceList::DEFAULT;
    let minor = match a {
        ActionKind::Scan => p.scan,
        ActionKind::Forward => p.forward,
        ActionKind::PaperOriginal => p.paper_original,
        _ => 0,
    };
    let label = action_label(l, a);
    match (a, minor) {
        (ActionKind::Forward, _) => format!("{label} (+ {})", l.t("mail.shipping")),
        (_, 0) => label,
        (_, m) => format!("{label} ({})", courrier_domain::Money::new(m, p.currency)),
    }
}

/// `CHF 0.80` from the API's money.
fn money_out_text(m: &crate::api::letters::MoneyOut) -> String {
    let sign = if m.amount_minor < 0 { "-" } else { "" };
    let abs = m.amount_minor.unsigned_abs();
    format!("{} {sign}{}.{:02}", m.currency, abs / 100, abs % 100)
}

/// What one item of a request became, for a person.
pub struct OutcomeRow {
    pub id: String,
    pub ok: bool,
    pub text: String,
}

fn outcome_rows(l: L, when: &When, results: Vec<ActionResultOut>) -> Vec<OutcomeRow> {
    results
        .into_iter()
        .map(|r| {
            let fee = |t: &Option<crate::api::mailbox::TaskOut>| {
                t.as_ref()
                    .map(|t| money_out_text(&t.fee))
                    .unwrap_or_default()
            };
            let due = |t: &Option<crate::api::mailbox::TaskOut>| {
                t.as_ref()
                    .and_then(|t| t.due_at.parse::<jiff::Timestamp>().ok())
                    .map(|ts| when.at(courrier_domain::Timestamp::from_millis(ts.as_millisecond())))
                    .unwrap_or_default()
            };
            let (ok, text) = match r.outcome.as_str() {
                "task" => (
                    true,
                    format!(
                        "{} · {} {} · {} {}",
                        l.t("mail.outcome_task"),
                        l.t("mail.due"),
                        due(&r.task),
                        l.t("mail.fee"),
                        fee(&r.task)
                    ),
                ),
                "forwarded_instead" => {
                    let reason = r
                        .reason
                        .as_ref()
                        .map(|b| say(l, &b.code, b.message.clone()))
                        .unwrap_or_default();
                    (
                        true,
                        format!(
                            "{} {reason} · {} · {} {}",
                            l.t("mail.outcome_not_scanned"),
                            l.t("mail.outcome_forwarded_instead"),
                            l.t("mail.fee"),
                            fee(&r.task)
                        ),
                    )
                }
                "done" => (true, l.t("mail.outcome_done").to_string()),
                "letter" => (
                    true,
                    format!(
                        "{} {}",
                        l.t("mail.outcome_letter"),
                        r.letter_id.unwrap_or_default()
                    ),
                ),
                _ => {
                    let text = r
                        .error
                        .map(|b| say(l, &b.code, b.message))
                        .unwrap_or_default();
                    (false, text)
                }
            };
            OutcomeRow {
                id: r.item_id,
                ok,
                text,
            }
        })
        .collect()
}
