//! The digital mailbox over the API: list and search items (full text with
//! highlighted snippets, filters, cursor paging), one item with its chain of
//! custody, actions on one item or in bulk with a result per item, and
//! digital delivery by integrated senders (`POST /deliveries`: into the
//! recipient's mailbox, or printed and posted when none matches). An item of
//! another organisation is 404 like an unknown one.

use super::extract::{LaterJson, bad_query, nonempty, parse_path_id, parse_period};
use super::letters::MoneyOut;
use super::{ApiActor, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::upload::{is_multipart, parse_multipart, read_request};
use axum::Json;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use courrier_app::AppError;
use courrier_app::mailbox::{DeliveryOutcome, DeliveryRecipient, ItemView, Requested};
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{Action, ForwardAddress, ItemState};
use courrier_domain::{Invalid, MailItemId, Money, OrgId};
use courrier_store::{
    ItemEventRecord, ItemFilter, MailItemRecord, SearchHit, SearchOrder, SnippetSpan, TaskRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod actions;
mod center;
mod list;

pub use actions::*;
pub use center::*;
pub use list::*;

/// Items per page of the mailbox list, at most.
const MAX_PAGE: u32 = 100;

fn money(m: Money) -> MoneyOut {
    MoneyOut {
        amount_minor: m.minor(),
        currency: m.currency().to_string(),
    }
}

/// Part of a search snippet; `highlighted` parts matched the query.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetOut {
    pub text: String,
    pub highlighted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub seq: i32,
    pub at: String,
    /// `received`, `refused`, `request_scan`, `scan_done`, `picked_up`, …
    pub event: String,
    pub actor: String,
    pub detail: String,
}

impl From<ItemEventRecord> for EventOut {
    fn from(e: ItemEventRecord) -> Self {
        EventOut {
            seq: e.seq,
            at: rfc3339(e.at),
            event: e.event,
            actor: e.actor,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    pub id: String,
    pub item_id: String,
    /// scan, forward, shred, recycle, hold_for_pickup, local_delivery, paper_original.
    pub action: String,
    /// open, done or cancelled.
    pub state: String,
    pub requested_at: String,
    /// The SLA deadline.
    pub due_at: String,
    pub done_at: Option<String>,
    /// The fee charged when the task is done (shipping is added then).
    pub fee: MoneyOut,
    pub note: String,
}

impl From<TaskRecord> for TaskOut {
    fn from(t: TaskRecord) -> Self {
        TaskOut {
            id: t.id.to_string(),
            item_id: t.item.to_string(),
            action: t.action.as_str().into(),
            state: t.state.as_str().into(),
            requested_at: rfc3339(t.requested_at),
            due_at: rfc3339(t.due_at),
            done_at: t.done_at.map(rfc3339),
            fee: money(t.fee),
            note: t.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MailItemOut {
    pub id: String,
    pub mailbox_id: Option<String>,
    /// `mail_center` (logged at a counter) or `digital` (delivered by an integrated sender).
    pub origin: String,
    pub sender: Option<String>,
    pub recipient: String,
    /// The integrated sender's reference.
    pub reference: String,
    /// letter, large_envelope or parcel.
    pub kind: String,
    pub format: String,
    pub weight_grams: Option<u32>,
    pub registered: bool,
    /// received, scan_requested, scanned, forward_requested, forwarded, …
    pub state: String,
    pub received_at: String,
    pub pages: Option<i32>,
    pub tags: Vec<String>,
    pub note: String,
    pub has_envelope: bool,
    pub has_scan: bool,
    /// none, queued, running, done or failed.
    pub ocr_state: String,
    /// Why the text was not recognised when `ocr_state` is failed:
    /// `ocr.unavailable` when this server has no text recognition installed
    /// (the scan is kept; search by its text is off), else absent.
    pub ocr_reason: Option<String>,
    /// Where the search matched (only with `q`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snippet: Vec<SnippetOut>,
    /// Chain of custody, oldest first (only on `GET /mail/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventOut>>,
    /// Requests on the item, oldest first (only on `GET /mail/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<TaskOut>>,
    /// The recognised or delivered text (only on `GET /mail/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl From<MailItemRecord> for MailItemOut {
    fn from(i: MailItemRecord) -> Self {
        MailItemOut {
            id: i.id.to_string(),
            mailbox_id: i.mailbox.map(|m| m.to_string()),
            origin: i.item.origin.as_str().into(),
            sender: i.item.sender.clone(),
            recipient: i.recipient_name,
            reference: i.reference,
            kind: i.item.kind.as_str().into(),
            format: i.item.format.as_str().into(),
            weight_grams: i.item.weight.map(|w| w.get()),
            registered: i.item.registered,
            state: i.state.as_str().into(),
            received_at: rfc3339(i.received_at),
            pages: i.pages,
            tags: i.tags,
            note: i.note,
            has_envelope: i.envelope_document.is_some(),
            has_scan: i.scan_document.is_some() || i.digital_document.is_some(),
            ocr_state: i.ocr.state.as_str().into(),
            ocr_reason: i
                .ocr
                .unavailable()
                .then(|| courrier_store::OCR_UNAVAILABLE.to_string()),
            snippet: Vec::new(),
            history: None,
            tasks: None,
            text: None,
        }
    }
}

fn spans(snippet: Vec<SnippetSpan>) -> Vec<SnippetOut> {
    snippet
        .into_iter()
        .map(|s| SnippetOut {
            text: s.text,
            highlighted: s.highlighted,
        })
        .collect()
}

impl From<SearchHit> for MailItemOut {
    fn from(h: SearchHit) -> Self {
        let mut out = MailItemOut::from(h.item);
        out.snippet = spans(h.snippet);
        out
    }
}

impl From<ItemView> for MailItemOut {
    fn from(v: ItemView) -> Self {
        let mut out = MailItemOut::from(v.item);
        out.history = Some(v.events.into_iter().map(Into::into).collect());
        out.tasks = Some(v.tasks.into_iter().map(Into::into).collect());
        out.text = Some(v.text);
        out
    }
}
