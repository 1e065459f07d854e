//! Mail items, their chain of custody, OCR progress and full-text search.
//!
//! **Visibility.** An item is visible to its customer (`org_id`) and to the
//! mail center running the location where it was logged; nobody else sees
//! it (`NotFound`). Customer lists and search show only the customer's own
//! items.
//!
//! **Custody.** `item_events` is append-only: there is no update or delete
//! method, and database triggers refuse both. Each event is also appended to
//! the acting organisation's audit chain in the same transaction.
//!
//! **Search** lives in the database so that every server process sees the
//! same index and it can be rebuilt from the rows: SQLite keeps an FTS5
//! table (`mail_items_fts`) in step through triggers, PostgreSQL a generated
//! `tsvector` column (configuration `simple`, language-neutral) with a GIN
//! index. A [`SearchQuery`] is parsed in Rust into plain words and quoted
//! phrases of letters and digits only, then written in each engine's syntax,
//! so no input can inject query operators. Hits are ordered by relevance,
//! then newest first; snippets come back as [`SnippetSpan`]s (plain text,
//! not HTML: the web layer escapes `text` and wraps highlighted spans in
//! `<mark>`).

use crate::audit::audit_scope_in_tx;
use crate::mailbox::corrupt;
use crate::row::RowExt;
use crate::users::parse_id;
use crate::webhooks::outbox_in_tx;
use crate::{Db, Outbox, Page, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::{
    ContentFlags, Grams, ItemFormat, ItemKind, ItemState, MailItem, Origin,
};
use courrier_domain::{LocationId, MailItemId, MailboxId, OrgId, OrgScope, Timestamp};
use sqlx::Row;

/// Opens a highlighted part of a snippet inside the database's answer.
const MARK_START: char = '\u{E000}';
/// Closes it.
const MARK_END: char = '\u{E001}';
/// Words and phrases a query keeps; the rest is ignored.
pub const MAX_QUERY_TERMS: usize = 16;
/// Characters of one word a query keeps.
const MAX_TERM_CHARS: usize = 64;

/// Where the OCR of an item's scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OcrState {
    /// Nothing to recognise (not scanned, or a digital delivery with text).
    None,
    Queued,
    Running,
    Done,
    Failed,
}

impl OcrState {
    pub const fn as_str(self) -> &'static str {
        match self {
            OcrState::None => "none",
            OcrState::Queued => "queued",
            OcrState::Running => "running",
            OcrState::Done => "done",
            OcrState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => OcrState::None,
            "queued" => OcrState::Queued,
            "running" => OcrState::Running,
            "done" => OcrState::Done,
            "failed" => OcrState::Failed,
            _ => return None,
        })
    }
}

/// OCR progress of an item: `pages_done` of `pages_total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrProgress {
    pub state: OcrState,
    pub pages_done: i32,
    pub pages_total: i32,
    /// Why it failed, for the operator.
    pub error: String,
}

/// A mail item as stored. The recognised text is not carried (it can be
/// long): read it with [`Store::item_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailItemRecord {
    pub id: MailItemId,
    /// The customer; `None` for mail refused for an unknown recipient.
    pub org: Option<OrgId>,
    pub mailbox: Option<MailboxId>,
    /// Where it was logged; `None` for a digital delivery.
    pub location: Option<LocationId>,
    /// The member it was addressed to, when logged at a location.
    pub member: Option<uuid::Uuid>,
    /// The recipient as the clerk or the sender named it.
    pub recipient_name: String,
    /// The integrated sender of a digital delivery.
    pub sender_org: Option<OrgId>,
    /// The integrated sender's reference.
    pub reference: String,
    /// Origin, kind, format, weight, flags, contents and sender.
    pub item: MailItem,
    pub state: ItemState,
    pub received_at: Timestamp,
    pub envelope_document: Option<uuid::Uuid>,
    pub scan_document: Option<uuid::Uuid>,
    pub digital_document: Option<uuid::Uuid>,
    /// Pages of the scan or of the delivered PDF.
    pub pages: Option<i32>,
    /// Lower-case tags.
    pub tags: Vec<String>,
    pub note: String,
    pub handled_at: Option<Timestamp>,
    pub ocr: OcrProgress,
    pub updated_at: Timestamp,
}

/// One entry of an item's chain of custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEventRecord {
    pub seq: i32,
    pub at: Timestamp,
    /// `received`, `refused`, `request_scan`, `scan_done`, `picked_up`, …
    pub event: String,
    /// The audit label of who did it (`user:<id>`, `system:rules`, …).
    pub actor: String,
    pub detail: String,
}

/// Filters of the mailbox list and search; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Received at or after.
    pub received_from: Option<Timestamp>,
    /// Received strictly before.
    pub received_before: Option<Timestamp>,
    /// The sender contains this text, case-insensitively (ASCII case only
    /// on SQLite).
    pub sender: Option<String>,
    pub state: Option<ItemState>,
    /// Carries this tag.
    pub tag: Option<String>,
    pub mailbox: Option<MailboxId>,
    /// The order of a search with words (the list without words is always
    /// newest first).
    pub order: SearchOrder,
}

/// The order of search results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchOrder {
    /// Newest first, in intake order, the default: a page reads only as
    /// many matches as it shows, however many there are (bench search).
    #[default]
    Newest,
    /// Best match first (SQLite `bm25`, PostgreSQL `ts_rank`), then newest:
    /// every match of the query is scored before the first page is known,
    /// so it costs more the more items match.
    Relevance,
}

impl SearchOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchOrder::Newest => "newest",
            SearchOrder::Relevance => "relevance",
        }
    }

    pub fn parse(s: &str) -> Option<SearchOrder> {
        match s {
            "newest" => Some(SearchOrder::Newest),
            "relevance" => Some(SearchOrder::Relevance),
            _ => None,
        }
    }
}

/// One word or quoted phrase of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    Word(String),
    Phrase(Vec<String>),
}

/// A full-text query: what a person typed, reduced to lower-case words of
/// letters and digits and `"quoted phrases"`. Every term must match (AND).
/// Punctuation separates words, so nothing typed reaches the engines'
/// query syntax.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub terms: Vec<SearchTerm>,
}

fn words_of(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

impl SearchQuery {
    /// Parses typed text: `"…"` groups a phrase (an unclosed quote runs to
    /// the end), everything else is words. At most [`MAX_QUERY_TERMS`]
    /// terms are kept.
    pub fn parse(raw: &str) -> SearchQuery {
        let mut terms = Vec::new();
        for (i, part) in raw.split('"').enumerate() {
            let words = words_of(part);
            if i % 2 == 1 {
                match words.len() {
                    0 => {}
                    1 => terms.extend(words.into_iter().map(SearchTerm::Word)),
                    _ => terms.push(SearchTerm::Phrase(words)),
                }
            } else {
                terms.extend(words.into_iter().map(SearchTerm::Word));
            }
        }
        terms.truncate(MAX_QUERY_TERMS);
        SearchQuery { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// FTS5 syntax: every term a double-quoted string (a phrase for several
    /// words), joined by AND.
    fn to_fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                SearchTerm::Word(w) => format!("\"{w}\""),
                SearchTerm::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// `to_tsquery` syntax: quoted lexemes, `<->` inside phrases, `&`
    /// between terms.
    fn to_tsquery(&self) -> String {
        self.tsquery_joining_phrases_with(" <-> ")
    }

    /// Whether a term is a phrase (word order matters).
    fn has_phrase(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t, SearchTerm::Phrase(_)))
    }

    /// [`Self::to_tsquery`] with every word of a phrase simply required
    /// (`&`): what PostgreSQL's GIN index answers exactly, without
    /// reading each row's `tsvector` for the word positions.
    fn to_tsquery_words(&self) -> String {
        self.tsquery_joining_phrases_with(" & ")
    }

    fn tsquery_joining_phrases_with(&self, inside: &str) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                SearchTerm::Word(w) => format!("'{w}'"),
                SearchTerm::Phrase(ws) => format!(
                    "({})",
                    ws.iter()
                        .map(|w| format!("'{w}'"))
                        .collect::<Vec<_>>()
                        .join(inside)
                ),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// Part of a snippet: plain text, highlighted when it matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetSpan {
    pub text: String,
    pub highlighted: bool,
}

/// Splits the engines' marked-up snippet into spans.
fn snippet_spans(raw: &str) -> Vec<SnippetSpan> {
    let mut out: Vec<SnippetSpan> = Vec::new();
    let mut current = String::new();
    let mut highlighted = false;
    let flush = |text: &mut String, highlighted: bool, out: &mut Vec<SnippetSpan>| {
        if !text.is_empty() {
            out.push(SnippetSpan {
                text: std::mem::take(text),
                highlighted,
            });
        }
    };
    for c in raw.chars() {
        match c {
            MARK_START => {
                flush(&mut current, highlighted, &mut out);
                highlighted = true;
            }
            MARK_END => {
                flush(&mut current, highlighted, &mut out);
                highlighted = false;
            }
            c => current.push(c),
        }
    }
    flush(&mut current, highlighted, &mut out);
    out
}

/// Removes the snippet markers from text before it is stored.
pub(crate) fn clean_text(s: &str) -> String {
    s.chars()
        .filter(|c| *c != MARK_START && *c != MARK_END)
        .collect()
}

/// One search result: the item and, for a full-text query, where it
/// matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub item: MailItemRecord,
    /// Empty when the search had no words (a plain list).
    pub snippet: Vec<SnippetSpan>,
}

pub(crate) const ITEM_COLS: &str = "i.id, i.org_id, i.mailbox_id, i.location_id, i.member_id, i.recipient_name, \
    i.origin, i.sender_org_id, i.reference, i.sender, i.kind, i.format, i.weight_grams, i.registered, \
    i.contains_object, i.advertising, i.content_flags, i.state, i.received_at, i.envelope_document_id, \
    i.scan_document_id, i.digital_document_id, i.pages, i.tags, i.note, i.handled_at, i.ocr_state, \
    i.ocr_pages_done, i.ocr_pages_total, i.ocr_error, i.updated_at";

/// Items visible to the organisation bound at `$n`: its own and those
/// logged at its locations.
pub(crate) fn item_visible(n: usize) -> String {
    format!("(i.org_id = ${n} OR i.location_id IN (SELECT id FROM locations WHERE org_id = ${n}))")
}

pub(crate) fn opt_id<T: std::str::FromStr>(v: Option<String>) -> Result<Option<T>> {
    v.map(parse_id).transpose()
}

pub(crate) fn item_from_row(r: &impl RowExt) -> Result<MailItemRecord> {
    let sender: String = r.col("sender")?;
    let weight = r
        .col::<Option<i32>>("weight_grams")?
        .map(|g| Grams::new(u32::try_from(g).unwrap_or(0)).map_err(corrupt))
        .transpose()?;
    Ok(crate::mail_items::MailItemRecord {
        id: r.id("id")?,
        org: r.opt_id("org_id")?,
        mailbox: r.opt_id("mailbox_id")?,
        location: r.opt_id("location_id")?,
        member: r.opt_id("member_id")?,
        recipient_name: r.col("recipient_name")?,
        sender_org: r.opt_id("sender_org_id")?,
        reference: r.col("reference")?,
        item: MailItem {
            origin: r.parsed("origin", Origin::parse)?,
            kind: r.parsed("kind", ItemKind::parse)?,
            format: r.parsed("format", ItemFormat::parse)?,
            weight,
            registered: r.flag("registered")?,
            contains_object: r.flag("contains_object")?,
            contents: r.parsed("content_flags", ContentFlags::parse_csv)?,
            advertising: r.flag("advertising")?,
            sender: if sender.is_empty() {
                None
            } else {
                Some(sender)
            },
        },
        state: r.parsed("state", ItemState::parse)?,
        received_at: r.ts("received_at")?,
        envelope_document: r.opt_id("envelope_document_id")?,
        scan_document: r.opt_id("scan_document_id")?,
        digital_document: r.opt_id("digital_document_id")?,
        pages: r.col("pages")?,
        tags: r
            .text("tags")?
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        note: r.col("note")?,
        handled_at: r.opt_ts("handled_at")?,
        ocr: crate::mail_items::OcrProgress {
            state: OcrState::parse(&r.text("ocr_state")?).ok_or_else(|| corrupt("ocr state"))?,
            pages_done: r.col("ocr_pages_done")?,
            pages_total: r.col("ocr_pages_total")?,
            error: r.col("ocr_error")?,
        },
        updated_at: r.ts("updated_at")?,
    })
}

/// Appends a custody event for item `$item` (a `String` id) in `$tx`.
macro_rules! custody_in_tx {
    ($tx:expr, $item:expr, $at:expr, $event:expr, $actor:expr, $detail:expr) => {{
        let at: courrier_domain::Timestamp = $at;
        sqlx::query(
            "INSERT INTO item_events (item_id, seq, at, event, actor, detail) \
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM item_events WHERE item_id = $1",
        )
        .bind($item)
        .bind(at.millis())
        .bind($event.to_string())
        .bind($actor.to_string())
        .bind($detail.to_string())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use custody_in_tx;

/// Tags as stored: trimmed, lower case, no commas, no duplicates, in order.
pub fn normalize_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t: String = clean_text(t.trim())
            .to_lowercase()
            .replace(',', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// `NotFound` when the item is not visible to the scope, else a conflict:
/// it moved since it was read.
macro_rules! item_missing_or_moved {
    ($tx:expr, $scope:expr, $id:expr) => {{
        let exists: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT i.id FROM mail_items i WHERE i.id = $1 AND {}",
            $crate::mail_items::item_visible(2)
        )))
        .bind($id.to_string())
        .bind($scope.org().to_string())
        .fetch_optional(&mut *$tx)
        .await?;
        match exists {
            Some(_) => StoreError::Conflict {
                what: "item.state_changed",
            },
            None => StoreError::NotFound,
        }
    }};
}
pub(crate) use item_missing_or_moved;

fn like_pattern(s: &str) -> String {
    format!("%{}%", s.trim().to_lowercase().replace(['%', '_'], ""))
}

impl Store {
    /// Stores a new item with its first custody event (`event`, `detail`),
    /// audited in the scope's organisation, and the deliveries of `events`
    /// (the webhook events announcing it, for the item's customer) in the
    /// same transaction. When the item has a location, it must be one of the
    /// scope's (the mail center logs it), else `NotFound`; a digital delivery
    /// is stored in the recipient's scope.
    pub async fn insert_item(
        &self,
        scope: &OrgScope,
        item: &MailItemRecord,
        event: &str,
        detail: &str,
        now: Timestamp,
        events: &Outbox,
    ) -> Result<()> {
        self.insert_item_received_on(scope, item, None, event, detail, now, events)
            .await
    }

    /// [`Store::insert_item`] for a piece the carrier handed over on
    /// `received_on`, the location's local day (`YYYY-MM-DD`, checked by the
    /// caller); see `intake_counts`.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_item_received_on(
        &self,
        scope: &OrgScope,
        item: &MailItemRecord,
        received_on: Option<&str>,
        event: &str,
        detail: &str,
        now: Timestamp,
        events: &Outbox,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            &format!("item.{event}"),
            item.id.to_string(),
            detail.to_string(),
        );
        let m = &item.item;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if let Some(location) = item.location {
                let own: Option<String> =
                    sqlx::query_scalar("SELECT id FROM locations WHERE id = $1 AND org_id = $2")
                        .bind(location.to_string())
                        .bind(scope.org().to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                if own.is_none() {
                    return Err(StoreError::NotFound);
                }
            } else if item.org != Some(scope.org()) {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO mail_items (id, org_id, mailbox_id, location_id, member_id, recipient_name, origin, \
                 sender_org_id, reference, sender, kind, format, weight_grams, registered, contains_object, advertising, \
                 content_flags, state, received_at, envelope_document_id, scan_document_id, digital_document_id, pages, \
                 tags, note, handled_at, ocr_state, ocr_text, ocr_pages_done, ocr_pages_total, ocr_error, updated_at, received_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                 $21, $22, $23, $24, $25, $26, $27, '', $28, $29, $30, $31, $32)",
            )
            .bind(item.id.to_string())
            .bind(item.org.map(|o| o.to_string()))
            .bind(item.mailbox.map(|o| o.to_string()))
            .bind(item.location.map(|o| o.to_string()))
            .bind(item.member.map(|o| o.to_string()))
            .bind(clean_text(&item.recipient_name))
            .bind(m.origin.as_str())
            .bind(item.sender_org.map(|o| o.to_string()))
            .bind(clean_text(&item.reference))
            .bind(clean_text(m.sender.as_deref().unwrap_or("")))
            .bind(m.kind.as_str())
            .bind(m.format.as_str())
            .bind(m.weight.map(|g| i32::try_from(g.get()).unwrap_or(i32::MAX)))
            .bind(m.registered)
            .bind(m.contains_object)
            .bind(m.advertising)
            .bind(m.contents.to_csv())
            .bind(item.state.as_str())
            .bind(item.received_at.millis())
            .bind(item.envelope_document.map(|o| o.to_string()))
            .bind(item.scan_document.map(|o| o.to_string()))
            .bind(item.digital_document.map(|o| o.to_string()))
            .bind(item.pages)
            .bind(normalize_tags(&item.tags).join(","))
            .bind(clean_text(&item.note))
            .bind(item.handled_at.map(|t| t.millis()))
            .bind(item.ocr.state.as_str())
            .bind(item.ocr.pages_done)
            .bind(item.ocr.pages_total)
            .bind(item.ocr.error.clone())
            .bind(item.updated_at.millis())
            .bind(received_on.map(str::to_string))
            .execute(&mut *tx)
            .await?;
            custody_in_tx!(tx, item.id.to_string(), now, event, scope.actor(), detail);
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            if let Some(customer) = item.org {
                outbox_in_tx!(tx, customer.to_string(), events, now);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// An item visible to the scope (its customer, or the mail center of its
    /// location).
    pub async fn item(&self, scope: &OrgScope, id: MailItemId) -> Result<MailItemRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.id = $1 AND {}",
                item_visible(2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            item_from_row(&r)
        })
    }

    /// The recognised (or delivered) text of an item visible to the scope.
    pub async fn item_text(&self, scope: &OrgScope, id: MailItemId) -> Result<String> {
        on_pool!(self, |p, d| {
            let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT i.ocr_text FROM mail_items i WHERE i.id = $1 AND {}",
                item_visible(2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            text.ok_or(StoreError::NotFound)
        })
    }

    /// An item by id whatever its organisation, for background jobs.
    pub async fn item_for_job(&self, id: MailItemId) -> Result<MailItemRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            item_from_row(&r)
        })
    }

    /// Moves an item visible to the scope from `from` to `to` if it is still
    /// in `from`, with a custody event and its audit entry; `handled` also
    /// stamps `handled_at`. An item that moved meanwhile is `Conflict {
    /// what: "item.state_changed" }`.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_item_state(
        &self,
        scope: &OrgScope,
        id: MailItemId,
        from: ItemState,
        to: ItemState,
        event: &str,
        detail: &str,
        handled: bool,
        now: Timestamp,
    ) -> Result<()> {
        let audit = AuditEvent::new(&format!("item.{event}"), id.to_string(), detail.to_string());
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE mail_items SET state = $1, updated_at = $2, \
                 handled_at = CASE WHEN $3 THEN $2 ELSE handled_at END \
                 WHERE id = $4 AND state = $5 AND id IN (SELECT i.id FROM mail_items i WHERE i.id = $4 AND {})",
                item_visible(6)
            )))
            .bind(to.as_str())
            .bind(now.millis())
            .bind(handled)
            .bind(id.to_string())
            .bind(from.as_str())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(item_missing_or_moved!(tx, scope, id));
            }
            custody_in_tx!(tx, id.to_string(), now, event, scope.actor(), detail);
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Appends a custody event that changes nothing else (a note of the
    /// clerk, an ID check); returns its sequence number. Custody events are
    /// never updated: there is no method for it.
    pub async fn append_item_event(
        &self,
        scope: &OrgScope,
        id: MailItemId,
        event: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<i32> {
        let audit = AuditEvent::new(&format!("item.{event}"), id.to_string(), detail.to_string());
        let seq: i32;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            // Locks the item so concurrent appends take turns for the next seq.
            let found: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT i.id FROM mail_items i WHERE i.id = $1 AND {}{}",
                item_visible(2),
                d.lock_rows
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            custody_in_tx!(tx, id.to_string(), now, event, scope.actor(), detail);
            seq = sqlx::query_scalar("SELECT MAX(seq) FROM item_events WHERE item_id = $1")
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await?;
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(seq)
    }

    /// The chain of custody of an item visible to the scope, oldest first.
    pub async fn item_events(
        &self,
        scope: &OrgScope,
        id: MailItemId,
    ) -> Result<Vec<ItemEventRecord>> {
        let mut out = Vec::new();
        let mut found = false;
        on_pool!(self, |p, d| {
            let exists: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT i.id FROM mail_items i WHERE i.id = $1 AND {}",
                item_visible(2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?;
            if exists.is_some() {
                found = true;
                let rows = sqlx::query(
                    "SELECT seq, at, event, actor, detail FROM item_events WHERE item_id = $1 ORDER BY seq",
                )
                .bind(id.to_string())
                .fetch_all(p)
                .await?;
                for r in rows {
                    out.push(ItemEventRecord {
                        seq: r.try_get("seq")?,
                        at: Timestamp::from_millis(r.try_get("at")?),
                        event: r.try_get("event")?,
                        actor: r.try_get("actor")?,
                        detail: r.try_get("detail")?,
                    });
                }
            }
        });
        if !found {
            return Err(StoreError::NotFound);
        }
        Ok(out)
    }

    /// Replaces the tags and note of one of the scope's own items (the
    /// customer's); the search index follows.
    pub async fn set_item_tags_note(
        &self,
        scope: &OrgScope,
        id: MailItemId,
        tags: &[String],
        note: &str,
        now: Timestamp,
    ) -> Result<()> {
        let tags = normalize_tags(tags).join(",");
        let audit = AuditEvent::new("item.annotated", id.to_string(), format!("tags: {tags}"));
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE mail_items SET tags = $1, note = $2, updated_at = $3 WHERE id = $4 AND org_id = $5",
            )
            .bind(tags.clone())
            .bind(clean_text(note))
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records OCR progress of an item (for the OCR job, any organisation).
    pub async fn set_ocr_progress(
        &self,
        id: MailItemId,
        state: OcrState,
        pages_done: i32,
        pages_total: i32,
        error: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE mail_items SET ocr_state = $1, ocr_pages_done = $2, ocr_pages_total = $3, ocr_error = $4, \
                 updated_at = $5 WHERE id = $6",
            )
            .bind(state.as_str())
            .bind(pages_done)
            .bind(pages_total)
            .bind(error.chars().take(1000).collect::<String>())
            .bind(now.millis())
            .bind(id.to_string())
            .execute(p)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    /// Stores an item's recognised text (OCR done), which the search index
    /// picks up in the same statement.
    pub async fn set_ocr_text(
        &self,
        id: MailItemId,
        text: &str,
        pages: i32,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE mail_items SET ocr_state = 'done', ocr_text = $1, ocr_pages_done = $2, ocr_pages_total = $2, \
                 ocr_error = '', pages = COALESCE(pages, $2), updated_at = $3 WHERE id = $4",
            )
            .bind(clean_text(text))
            .bind(pages)
            .bind(now.millis())
            .bind(id.to_string())
            .execute(p)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    /// The customer's items, filtered, with full-text `query` when it has
    /// words. Without words: newest first, cursor `t:<received_at>:<id>`.
    /// With words: in `filter.order` (newest first unless relevance is
    /// asked for), with a snippet; see `ranked_search` for the cursors.
    /// `limit` is 1 to 100.
    pub async fn search_items(
        &self,
        scope: &OrgScope,
        query: &SearchQuery,
        filter: &ItemFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<SearchHit>> {
        let limit = i64::from(limit.clamp(1, 100));
        let invalid = || StoreError::Refused {
            what: "cursor.invalid",
        };
        let filters = |b: usize| {
            format!(
                "AND (${b} IS NULL OR i.received_at >= ${b}) AND (${b1} IS NULL OR i.received_at < ${b1}) \
                 AND (${b2} IS NULL OR LOWER(i.sender) LIKE ${b2}) AND (${b3} IS NULL OR i.state = ${b3}) \
                 AND (${b4} IS NULL OR (',' || i.tags || ',') LIKE ${b4}) AND (${b5} IS NULL OR i.mailbox_id = ${b5})",
                b1 = b + 1,
                b2 = b + 2,
                b3 = b + 3,
                b4 = b + 4,
                b5 = b + 5
            )
        };
        let sender = filter
            .sender
            .as_deref()
            .map(like_pattern)
            .filter(|s| s != "%%");
        let tag = filter
            .tag
            .as_deref()
            .and_then(|t| normalize_tags(&[t.to_string()]).pop())
            .map(|t| format!("%,{}%", t.replace(['%', '_'], "") + ","));
        let mut hits = Vec::new();
        if query.is_empty() {
            let (c_at, c_id) = match cursor {
                Some(c) => {
                    let rest = c.strip_prefix("t:").ok_or_else(invalid)?;
                    let (at, id) = rest.split_once(':').ok_or_else(invalid)?;
                    (at.parse::<i64>().map_err(|_| invalid())?, id.to_string())
                }
                None => (i64::MAX, String::new()),
            };
            on_pool!(self, |p, d| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ITEM_COLS} FROM mail_items i WHERE i.org_id = $1 \
                     AND (i.received_at < $2 OR (i.received_at = $2 AND i.id < $3)) {} \
                     ORDER BY i.received_at DESC, i.id DESC LIMIT $10",
                    filters(4)
                )))
                .bind(scope.org().to_string())
                .bind(c_at)
                .bind(c_id.clone())
                .bind(filter.received_from.map(|t| t.millis()))
                .bind(filter.received_before.map(|t| t.millis()))
                .bind(sender.clone())
                .bind(filter.state.map(|s| s.as_str()))
                .bind(tag.clone())
                .bind(filter.mailbox.map(|m| m.to_string()))
                .bind(limit + 1)
                .fetch_all(p)
                .await?;
                for r in rows {
                    hits.push(SearchHit {
                        item: item_from_row(&r)?,
                        snippet: Vec::new(),
                    });
                }
            });
            return Ok(crate::users::paged(hits, limit, |h| {
                format!("t:{}:{}", h.item.received_at.millis(), h.item.id)
            }));
        }
        self.ranked_search(scope, query, filter, sender, tag, cursor, limit)
            .await
    }

    /// The full-text part of [`Store::search_items`], in two steps inside
    /// one read-only snapshot (bench search). First the page alone: the ids
    /// of the matches, in the filter's order, reading only the narrow
    /// columns that the filters and the order need. Then those rows in full,
    /// with their snippets (a snippet depends only on its row and the
    /// query).
    ///
    /// Newest first reads the matches in index order and stops at the end
    /// of the page, however many items match. SQLite: FTS5 walks each word's
    /// list backwards through the organisation's rowid range (rowid
    /// `(organisation number << 40) | rid`, migration 0011), narrowed to the
    /// rids of its items in the period. "Newest" is intake order there (rid),
    /// the order of `received_at`, since an item is received when it is
    /// logged; cursor `n:<rid>`. PostgreSQL: `(received_at, id)` descending,
    /// on `mail_items_org_received` or the GIN index as the planner
    /// estimates; cursor `n:<received_at>:<id>`. A phrase needs each row's
    /// word positions (its `tsvector`, read from TOAST), which the GIN index
    /// does not hold, and the planner's estimate of a phrase's matches is
    /// far too low (7 for 13,232). So a phrase is first looked for in the
    /// organisation's [`PG_PHRASE_WINDOW`] newest items (in filter order),
    /// which is enough for a common phrase; past them, the items holding
    /// all the words come from the index, sorted, and only the page's are
    /// checked for the phrase (`$12`: the words alone). By relevance, every match
    /// is scored (bm25 / ts_rank) before the page is known; cursor
    /// `o:<offset>`.
    #[allow(clippy::too_many_arguments)]
    async fn ranked_search(
        &self,
        scope: &OrgScope,
        query: &SearchQuery,
        filter: &ItemFilter,
        sender: Option<String>,
        tag: Option<String>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<SearchHit>> {
        /// Where the page starts: bound as `$10` (and `$11`; a phrase query
        /// on PostgreSQL binds its words alone as `$12`).
        enum After {
            Offset(i64),
            Rid(i64),
            Time(i64, String),
        }
        let invalid = || StoreError::Refused {
            what: "cursor.invalid",
        };
        let filters = |b: usize| {
            format!(
                "AND (${b} IS NULL OR i.received_at >= ${b}) AND (${b1} IS NULL OR i.received_at < ${b1}) \
                 AND (${b2} IS NULL OR LOWER(i.sender) LIKE ${b2}) AND (${b3} IS NULL OR i.state = ${b3}) \
                 AND (${b4} IS NULL OR (',' || i.tags || ',') LIKE ${b4}) AND (${b5} IS NULL OR i.mailbox_id = ${b5})",
                b1 = b + 1,
                b2 = b + 2,
                b3 = b + 3,
                b4 = b + 4,
                b5 = b + 5
            )
        };
        let sqlite = matches!(self.db, Db::Sqlite(_));
        let pg_phrase = !sqlite && filter.order == SearchOrder::Newest && query.has_phrase();
        let engine_query = if sqlite {
            query.to_fts5()
        } else {
            query.to_tsquery()
        };
        let (page_sql, mut after) = match (filter.order, sqlite) {
            (SearchOrder::Relevance, _) => {
                let offset = match cursor {
                    Some(c) => c
                        .strip_prefix("o:")
                        .and_then(|o| o.parse::<i64>().ok())
                        .filter(|o| (0..=100_000).contains(o))
                        .ok_or_else(invalid)?,
                    None => 0,
                };
                let sql = if sqlite {
                    // Only the organisation's entries in the period, as
                    // keys materialised once from the narrow
                    // `mail_items_org_received` index. `+rowid IN` keeps
                    // exactly those; the unary `+` stops SQLite from turning
                    // it into one FTS5 lookup per key, each of which would
                    // count the matches of the whole index again for bm25's
                    // IDF.
                    format!(
                        "WITH c AS MATERIALIZED (SELECT (s.no << 40) | o.rid AS k FROM mail_items_search_orgs s \
                         JOIN mail_items o ON o.org_id = s.org_id WHERE s.org_id = $2 \
                         AND ($3 IS NULL OR o.received_at >= $3) AND ($4 IS NULL OR o.received_at < $4)) \
                         SELECT mail_items_fts.rowid AS k, i.id AS id FROM mail_items_fts \
                         JOIN mail_items i ON i.rid = (mail_items_fts.rowid & {SQLITE_RID_MASK}) \
                         WHERE mail_items_fts MATCH $1 AND i.org_id = $2 \
                         AND mail_items_fts.rowid >= (SELECT MIN(k) FROM c) AND mail_items_fts.rowid <= (SELECT MAX(k) FROM c) \
                         AND +mail_items_fts.rowid IN (SELECT k FROM c) {} \
                         ORDER BY bm25(mail_items_fts), i.received_at DESC, i.id DESC LIMIT $9 OFFSET $10",
                        filters(3)
                    )
                } else {
                    format!(
                        "SELECT 0::BIGINT AS k, i.id AS id FROM mail_items i, to_tsquery('simple', $1) q \
                         WHERE i.search @@ q AND i.org_id = $2 {} \
                         ORDER BY ts_rank(i.search, q) DESC, i.received_at DESC, i.id DESC LIMIT $9 OFFSET $10",
                        filters(3)
                    )
                };
                (sql, After::Offset(offset))
            }
            (SearchOrder::Newest, true) => {
                let below = match cursor {
                    Some(c) => c
                        .strip_prefix("n:")
                        .and_then(|r| r.parse::<i64>().ok())
                        .filter(|r| (1..=SQLITE_RID_MASK).contains(r))
                        .ok_or_else(invalid)?,
                    None => SQLITE_RID_MASK + 1,
                };
                // The smallest and largest rid of the organisation's items
                // in the period, from the narrow `mail_items_org_received`
                // index; the whole range without a period.
                let range = if filter.received_from.is_some() || filter.received_before.is_some() {
                    "SELECT MIN(o.rid) AS lo, MAX(o.rid) AS hi FROM mail_items o WHERE o.org_id = $2 \
                     AND ($3 IS NULL OR o.received_at >= $3) AND ($4 IS NULL OR o.received_at < $4)"
                        .to_string()
                } else {
                    format!("SELECT 0 AS lo, {SQLITE_RID_MASK} AS hi")
                };
                // `CROSS JOIN` keeps the index as the outer loop, so its
                // order is the result's and the `LIMIT` ends the walk.
                let sql = format!(
                    "WITH c AS MATERIALIZED ({range}), \
                     s AS MATERIALIZED (SELECT no << 40 AS base FROM mail_items_search_orgs WHERE org_id = $2) \
                     SELECT mail_items_fts.rowid AS k, i.id AS id FROM mail_items_fts \
                     CROSS JOIN mail_items i ON i.rid = (mail_items_fts.rowid & {SQLITE_RID_MASK}) \
                     WHERE mail_items_fts MATCH $1 \
                     AND mail_items_fts.rowid >= (SELECT base FROM s) + (SELECT lo FROM c) \
                     AND mail_items_fts.rowid <= (SELECT base FROM s) + MIN((SELECT hi FROM c), $10 - 1) \
                     AND i.org_id = $2 {} ORDER BY mail_items_fts.rowid DESC LIMIT $9",
                    filters(3)
                );
                (sql, After::Rid(below))
            }
            (SearchOrder::Newest, false) => {
                let (at, id) = match cursor {
                    Some(c) => {
                        let rest = c.strip_prefix("n:").ok_or_else(invalid)?;
                        let (at, id) = rest.split_once(':').ok_or_else(invalid)?;
                        (at.parse::<i64>().map_err(|_| invalid())?, id.to_string())
                    }
                    None => (i64::MAX, String::new()),
                };
                let sql = if pg_phrase {
                    // The nested loop keeps the sorted candidates' order, so
                    // the `LIMIT` stops the phrase checks at a full page.
                    format!(
                        "SELECT 0::BIGINT AS k, c.id AS id FROM (SELECT i.id, i.received_at \
                         FROM mail_items i, to_tsquery('simple', $12) w \
                         WHERE i.search @@ w AND i.org_id = $2 {} AND (i.received_at, i.id) < ($10, $11) \
                         ORDER BY i.received_at DESC, i.id DESC) c \
                         CROSS JOIN LATERAL (SELECT 1 FROM mail_items j, to_tsquery('simple', $1) q \
                         WHERE j.id = c.id AND j.search @@ q) x \
                         ORDER BY c.received_at DESC, c.id DESC LIMIT $9",
                        filters(3)
                    )
                } else {
                    format!(
                        "SELECT 0::BIGINT AS k, i.id AS id FROM mail_items i, to_tsquery('simple', $1) q \
                         WHERE i.search @@ q AND i.org_id = $2 {} AND (i.received_at, i.id) < ($10, $11) \
                         ORDER BY i.received_at DESC, i.id DESC LIMIT $9",
                        filters(3)
                    )
                };
                (sql, After::Time(at, id))
            }
        };
        let headline = format!(
            "StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \""
        );
        let mut hits = Vec::new();
        let more;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if !sqlite {
                // Both steps see the same snapshot.
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            // Not a cached prepared statement: after five runs PostgreSQL
            // would switch to a generic plan, which cannot use the period as
            // an index condition (`$3 IS NULL OR …`) and ranked all of a large
            // organisation's matches: 1.45 s instead of 0.13 s.
            // `$1`…`$9` of the page statements, `$9` being `rows`; the
            // caller binds where the page starts.
            macro_rules! bound {
                ($sql:expr, $rows:expr) => {
                    sqlx::query(sqlx::AssertSqlSafe($sql))
                        .persistent(false)
                        .bind(engine_query.clone())
                        .bind(scope.org().to_string())
                        .bind(filter.received_from.map(|t| t.millis()))
                        .bind(filter.received_before.map(|t| t.millis()))
                        .bind(sender.clone())
                        .bind(filter.state.map(|s| s.as_str()))
                        .bind(tag.clone())
                        .bind(filter.mailbox.map(|m| m.to_string()))
                        .bind($rows)
                };
            }
            let mut order: Vec<(i64, String)> = Vec::new();
            let mut want = limit + 1;
            if let (true, After::Time(at, id)) = (pg_phrase, &after) {
                let sql = format!(
                    "SELECT w.id AS id FROM (SELECT i.id, i.received_at, i.search FROM mail_items i \
                     WHERE i.org_id = $2 {f} AND (i.received_at, i.id) < ($10, $11) \
                     ORDER BY i.received_at DESC, i.id DESC LIMIT {PG_PHRASE_WINDOW}) w \
                     WHERE w.search @@ to_tsquery('simple', $1) ORDER BY w.received_at DESC, w.id DESC LIMIT $9",
                    f = filters(3)
                );
                for r in bound!(sql, want)
                    .bind(*at)
                    .bind(id.clone())
                    .fetch_all(&mut *tx)
                    .await?
                {
                    order.push((0, r.try_get("id")?));
                }
                want -= i64::try_from(order.len()).unwrap_or(want);
                // Past the window, if the page is not full yet.
                let end = if want > 0 {
                    let sql = format!(
                        "SELECT i.received_at AS at, i.id AS id FROM mail_items i \
                         WHERE i.org_id = $2 {f} AND (i.received_at, i.id) < ($10, $11) \
                         ORDER BY i.received_at DESC, i.id DESC OFFSET $9 LIMIT 1",
                        f = filters(3)
                    );
                    bound!(sql, PG_PHRASE_WINDOW - 1)
                        .bind(*at)
                        .bind(id.clone())
                        .fetch_optional(&mut *tx)
                        .await?
                } else {
                    None
                };
                match end {
                    Some(r) => after = After::Time(r.try_get("at")?, r.try_get("id")?),
                    None => want = 0,
                }
            }
            if want > 0 {
                let q = match &after {
                    After::Offset(n) | After::Rid(n) => bound!(page_sql.clone(), want).bind(*n),
                    After::Time(at, id) if pg_phrase => bound!(page_sql.clone(), want)
                        .bind(*at)
                        .bind(id.clone())
                        .bind(query.to_tsquery_words()),
                    After::Time(at, id) => {
                        bound!(page_sql.clone(), want).bind(*at).bind(id.clone())
                    }
                };
                for r in q.fetch_all(&mut *tx).await? {
                    order.push((r.try_get("k")?, r.try_get("id")?));
                }
            }
            more = order.len() > usize::try_from(limit).unwrap_or(usize::MAX);
            order.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let rows = if order.is_empty() {
                Vec::new()
            } else {
                // SQLite, newest first: the page's keys are neighbours in
                // each word's list, so one walk from the smallest to the
                // largest reads them all (`+` keeps the `IN` out of the
                // index). By relevance they are scattered over the
                // organisation's range: one FTS5 lookup per key.
                let range = sqlite && matches!(after, After::Rid(_));
                let first = match (range, sqlite) {
                    (true, _) => 4,
                    (false, true) => 2,
                    (false, false) => 3,
                };
                let marks = (0..order.len())
                    .map(|n| format!("${}", n + first))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = if sqlite {
                    let keys = if range {
                        format!(
                            "mail_items_fts.rowid >= $2 AND mail_items_fts.rowid <= $3 AND +mail_items_fts.rowid IN ({marks})"
                        )
                    } else {
                        format!("mail_items_fts.rowid IN ({marks})")
                    };
                    format!(
                        "SELECT {ITEM_COLS}, snippet(mail_items_fts, 2, char(57344), char(57345), '…', 16) AS snip \
                         FROM mail_items_fts JOIN mail_items i ON i.rid = (mail_items_fts.rowid & {SQLITE_RID_MASK}) \
                         WHERE mail_items_fts MATCH $1 AND {keys}"
                    )
                } else {
                    format!(
                        "SELECT {ITEM_COLS}, ts_headline('simple', translate(i.sender || ' ' || i.recipient_name || ' ' || \
                         replace(i.tags, ',', ' ') || ' ' || i.note || ' ' || i.ocr_text, '<>', '  '), q, $2) AS snip \
                         FROM mail_items i, to_tsquery('simple', $1) q WHERE i.id IN ({marks})"
                    )
                };
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .persistent(false)
                    .bind(engine_query.clone());
                if sqlite {
                    if range {
                        let keys = order.iter().map(|(k, _)| *k);
                        q = q
                            .bind(keys.clone().min().unwrap_or(0))
                            .bind(keys.max().unwrap_or(0));
                    }
                    for (k, _) in &order {
                        q = q.bind(*k);
                    }
                } else {
                    q = q.bind(headline.clone());
                    for (_, id) in &order {
                        q = q.bind(id.clone());
                    }
                }
                q.fetch_all(&mut *tx).await?
            };
            tx.commit().await?;
            let mut found = std::collections::HashMap::with_capacity(rows.len());
            for r in rows {
                let snip: Option<String> = r.try_get("snip")?;
                let hit = SearchHit {
                    item: item_from_row(&r)?,
                    snippet: snippet_spans(snip.as_deref().unwrap_or("")),
                };
                found.insert(hit.item.id.to_string(), hit);
            }
            for (k, id) in &order {
                // Both steps read one snapshot, so every ranked id is there.
                let hit = found
                    .remove(id)
                    .ok_or_else(|| corrupt(format!("search hit {id} not found again")))?;
                hits.push((*k, hit));
            }
        });
        let next_cursor = match (more, hits.last(), &after) {
            (false, _, _) | (true, None, _) => None,
            (true, Some(_), After::Offset(n)) => Some(format!("o:{}", n + limit)),
            (true, Some((k, _)), After::Rid(_)) => Some(format!("n:{}", k & SQLITE_RID_MASK)),
            (true, Some((_, h)), After::Time(..)) => {
                Some(format!("n:{}:{}", h.item.received_at.millis(), h.item.id))
            }
        };
        Ok(Page {
            items: hits.into_iter().map(|(_, h)| h).collect(),
            next_cursor,
        })
    }
    /// Items logged at a location of the scope's mail center, received in
    /// `[from, before)`, newest first (at most 1000): the intake dashboard.
    pub async fn location_items(
        &self,
        scope: &OrgScope,
        location: LocationId,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<MailItemRecord>> {
        self.own_location(scope, location).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.location_id = $1 AND i.received_at >= $2 \
                 AND i.received_at < $3 ORDER BY i.received_at DESC, i.id DESC LIMIT 1000"
            )))
            .bind(location.to_string())
            .bind(from.millis())
            .bind(before.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(item_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Paper items at rest at a mail center (received, scanned or handled,
    /// no open task) received before `received_before`: their originals are
    /// due for shredding. Across organisations, for the retention job.
    pub async fn originals_due_for_shred(
        &self,
        received_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<MailItemRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.origin = 'mail_center' AND i.org_id IS NOT NULL \
                 AND i.location_id IS NOT NULL AND i.state IN ('received', 'scanned', 'handled') AND i.received_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = i.id AND t.state = 'open') \
                 ORDER BY i.received_at, i.id LIMIT $2"
            )))
            .bind(received_before.millis())
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(item_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Brings one item's entry in the search index up to date (SQLite; on
    /// PostgreSQL the generated column is always current and this rewrites
    /// the row to recompute it).
    pub async fn reindex_item(&self, id: MailItemId) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if matches!(self.db, Db::Sqlite(_)) {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM mail_items_fts WHERE rowid = (SELECT {SQLITE_KEY} FROM mail_items WHERE id = $1)"
                )))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO mail_items_fts (rowid, item_id, org_id, body) SELECT {SQLITE_KEY}, id, org_id, {SQLITE_BODY} \
                     FROM mail_items WHERE id = $1"
                )))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query("UPDATE mail_items SET ocr_text = ocr_text WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Rebuilds the whole search index from the item rows; returns how many
    /// items it holds.
    pub async fn rebuild_search_index(&self) -> Result<i64> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if matches!(self.db, Db::Sqlite(_)) {
                sqlx::query("DELETE FROM mail_items_fts")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT OR IGNORE INTO mail_items_search_orgs (org_id) \
                     SELECT DISTINCT org_id FROM mail_items WHERE org_id IS NOT NULL",
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO mail_items_fts (rowid, item_id, org_id, body) SELECT {SQLITE_KEY}, id, org_id, {SQLITE_BODY} \
                     FROM mail_items ORDER BY 1"
                )))
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query("REINDEX INDEX mail_items_org_search")
                    .execute(&mut *tx)
                    .await?;
            }
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_items")
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n)
        })
    }
}

/// The FTS5 rowid of a `mail_items` row in SQLite, as migration 0011's
/// triggers build it: `(organisation number << 40) | rid`.
const SQLITE_KEY: &str = "((COALESCE((SELECT s.no FROM mail_items_search_orgs s WHERE s.org_id = mail_items.org_id), 0) << 40) | mail_items.rid)";

/// The `rid` part of an FTS5 rowid (its low 40 bits).
const SQLITE_RID_MASK: i64 = (1 << 40) - 1;

/// PostgreSQL, newest first: how many of the organisation's newest items
/// (after the cursor, in the filters) are checked for a phrase one by one
/// before the index is asked for the rest. A common phrase fills a page
/// there (checking one item's word positions takes ~15 µs warm); a rare
/// one costs this many checks more.
const PG_PHRASE_WINDOW: i64 = 1000;

/// The indexed text of an item in SQLite, as the migration's triggers build it.
const SQLITE_BODY: &str = "sender || ' ' || recipient_name || ' ' || REPLACE(tags, ',', ' ') || ' ' || note || ' ' || ocr_text";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_only_words_and_phrases() {
        let q = SearchQuery::parse(r#"Facture "payable dans 30 jours" OR -x* NEAR(a b) ""#);
        assert_eq!(
            q.terms,
            vec![
                SearchTerm::Word("facture".into()),
                SearchTerm::Phrase(vec![
                    "payable".into(),
                    "dans".into(),
                    "30".into(),
                    "jours".into()
                ]),
                SearchTerm::Word("or".into()),
                SearchTerm::Word("x".into()),
                SearchTerm::Word("near".into()),
                SearchTerm::Word("a".into()),
                SearchTerm::Word("b".into()),
            ]
        );
        assert_eq!(
            q.to_fts5(),
            r#""facture" AND "payable dans 30 jours" AND "or" AND "x" AND "near" AND "a" AND "b""#
        );
        assert_eq!(
            SearchQuery::parse("Zürich \"l'impôt\"").to_tsquery(),
            "'zürich' & ('l' <-> 'impôt')"
        );
        let q = SearchQuery::parse("Zürich \"l'impôt\"");
        assert!(q.has_phrase() && !SearchQuery::parse("Zürich impôt").has_phrase());
        assert_eq!(q.to_tsquery_words(), "'zürich' & ('l' & 'impôt')");
        assert!(SearchQuery::parse(" -- \"\" ' ").is_empty());
        assert_eq!(
            SearchQuery::parse(&"a ".repeat(40)).terms.len(),
            MAX_QUERY_TERMS
        );
    }

    #[test]
    fn snippets_split_into_spans() {
        let raw = format!("la {MARK_START}facture{MARK_END} de <mars>");
        assert_eq!(
            snippet_spans(&raw),
            vec![
                SnippetSpan {
                    text: "la ".into(),
                    highlighted: false
                },
                SnippetSpan {
                    text: "facture".into(),
                    highlighted: true
                },
                SnippetSpan {
                    text: " de <mars>".into(),
                    highlighted: false
                },
            ]
        );
        assert_eq!(clean_text(&raw), "la facture de <mars>");
    }

    #[test]
    fn tags_are_normalised() {
        assert_eq!(
            normalize_tags(&[" Impôts ".into(), "a,b".into(), "impôts".into(), "".into()]),
            vec!["impôts".to_string(), "a b".to_string()]
        );
    }
}
