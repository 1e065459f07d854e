//! Bulk runs in the web app: the list with progress, starting a run (a
//! bulk PDF with a split method, or a mail merge with a template, a rows
//! file and a preview of the first letters), and a run's page, which
//! refreshes itself while the run goes on (no JavaScript needed).

use super::{Chrome, error_page, fmt_ts, render};
use crate::AppState;
use crate::api::letters::{money_text, problems_of};
use crate::api::runs::{RunRequest, reasons_of};
use crate::error::{ApiError, ErrorItem};
use crate::i18n::L;
use crate::session::SignedIn;
use crate::upload::{is_multipart, parse_multipart, read_request};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_app::runs::MergePreviewRow;
use courrier_domain::letters::{Envelope, Product, Registered};
use courrier_domain::{Permission, RunId};
use courrier_store::{RunRecord, RunState};
use serde::Deserialize;

fn fail(s: &SignedIn, e: AppError) -> Response {
    let e = ApiError::from(e);
    error_page(Chrome::signed_in(s, "letters", "/runs"), e.status, &e)
}

struct Problem {
    code: String,
    message: String,
}

fn problems(items: Vec<ErrorItem>) -> Vec<Problem> {
    items
        .into_iter()
        .map(|i| Problem {
            code: i.code,
            message: i.message,
        })
        .collect()
}

/// A run as a row of the list or the head of its page.
struct RunRow {
    id: String,
    kind: String,
    state: &'static str,
    state_label: String,
    badge: &'static str,
    method: String,
    source: String,
    total: i32,
    processed: i32,
    accepted: i32,
    refused: i32,
    /// 0 to 100.
    percent: i64,
    created: String,
    finished: String,
    error: String,
    running: bool,
}

fn run_row(l: L, r: RunRecord) -> RunRow {
    let percent = if r.total > 0 {
        (i64::from(r.processed) * 100 / i64::from(r.total)).clamp(0, 100)
    } else {
        0
    };
    let percent = if r.state == RunState::Done {
        100
    } else {
        percent
    };
    RunRow {
        id: r.id.to_string(),
        kind: l.t(&format!("runs.kind.{}", r.kind.as_str())).to_string(),
        state: r.state.as_str(),
        state_label: l.t(&format!("runs.state.{}", r.state.as_str())).to_string(),
        badge: match r.state {
            RunState::Done => "ok",
            RunState::Failed => "bad",
            RunState::Queued | RunState::Running => "warn",
        },
        method: r.method,
        source: r.source_name,
        total: r.total,
        processed: r.processed,
        accepted: r.accepted,
        refused: r.refused,
        percent,
        created: fmt_ts(r.created_at),
        finished: r.finished_at.map(fmt_ts).unwrap_or_default(),
        error: r.error,
        running: matches!(r.state, RunState::Queued | RunState::Running),
    }
}

#[derive(Template)]
#[template(path = "runs.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<RunRow>,
    next_href: Option<String>,
    can_send: bool,
    refresh: bool,
}

#[derive(Deserialize, Default)]
pub struct CursorQuery {
    cursor: Option<String>,
}

pub async fn list_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<CursorQuery>,
) -> Response {
    let chrome = Chrome::signed_in(&s, "letters", "/runs");
    let l = chrome.l;
    let page = match st.app.runs(&s.actor, q.cursor.as_deref(), 50).await {
        Ok(p) => p,
        Err(e) => return fail(&s, e),
    };
    let rows: Vec<RunRow> = page.items.into_iter().map(|r| run_row(l, r)).collect();
    let page = ListPage {
        refresh: rows.iter().any(|r| r.running),
        rows,
        next_href: page.next_cursor.map(|c| format!("/runs?cursor={c}")),
        can_send: s.actor.can(Permission::LettersSend),
        chrome,
    };
    render(&page)
}

/// A choice in a select.
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

/// What the forms of the new-run page hold.
struct RunForm {
    envelopes: Vec<Choice>,
    colours: Vec<Choice>,
    sides: Vec<Choice>,
    products: Vec<Choice>,
    registered: Vec<Choice>,
    split: &'static str,
    pages: String,
    marker: String,
    template: String,
    mapping: String,
    submit: bool,
}

fn run_form(l: L, field: &dyn Fn(&str) -> Option<String>) -> RunForm {
    let get = |name: &str, default: &str| {
        field(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    let method = get("method", "address");
    let (split, pages, marker) = if let Some(n) = method.strip_prefix("pages:") {
        ("pages", n.to_string(), String::new())
    } else if let Some(m) = method.strip_prefix("marker:") {
        ("marker", "2".into(), m.to_string())
    } else {
        ("address", "2".into(), String::new())
    };
    let envelope = get("envelope", "c5");
    RunForm {
        envelopes: Envelope::ALL
            .iter()
            .map(|e| Choice {
                value: e.as_str(),
                label: e.label().to_string(),
                selected: e.as_str() == envelope,
            })
            .collect(),
        colours: choices(l, &["bw", "colour"], "colour", &get("colour", "bw")),
        sides: choices(l, &["simplex", "duplex"], "sides", &get("sides", "simplex")),
        products: choices(
            l,
            &Product::ALL.map(Product::as_str),
            "product",
            &get("product", "priority"),
        ),
        registered: choices(
            l,
            &Registered::ALL.map(Registered::as_str),
            "registered",
            &get("registered", "none"),
        ),
        split,
        pages,
        marker,
        template: field("template")
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| courrier_app::runs::DEFAULT_TEMPLATE.to_string()),
        mapping: get("mapping", ""),
        submit: field("submit").is_some(),
    }
}

/// One previewed row, as the page shows it.
struct PreviewRow {
    row: usize,
    ok: bool,
    lines: Vec<String>,
    price: String,
    delivery: String,
    reasons: Vec<Problem>,
}

fn preview_row(r: MergePreviewRow) -> (PreviewRow, Option<Vec<u8>>) {
    match r.outcome {
        Ok(l) => (
            PreviewRow {
                row: r.row,
                ok: true,
                lines: l.letter.window_lines.clone(),
                price: money_text(l.letter.record.price_total, l.letter.record.currency),
                delivery: l
                    .letter
                    .record
                    .expected_delivery
                    .clone()
                    .unwrap_or_default(),
                reasons: Vec::new(),
            },
            Some(l.pdf),
        ),
        Err(reasons) => (
            PreviewRow {
                row: r.row,
                ok: false,
                lines: Vec::new(),
                price: String::new(),
                delivery: String::new(),
                reasons: reasons
                    .into_iter()
                    .map(|i| Problem {
                        code: i.code.into(),
                        message: i.message,
                    })
                    .collect(),
            },
            None,
        ),
    }
}

#[derive(Template)]
#[template(path = "runs_new.html")]
struct NewPage {
    chrome: Chrome,
    problems: Vec<Problem>,
    form: RunForm,
    /// Which form the problems or the preview belong to.
    active: &'static str,
    preview: Vec<PreviewRow>,
    /// The first previewed letter, as a data: URL.
    preview_pdf: Option<String>,
}

fn new_view(
    s: &SignedIn,
    field: &dyn Fn(&str) -> Option<String>,
    active: &'static str,
    errors: Vec<ErrorItem>,
    status: StatusCode,
) -> Response {
    let chrome = Chrome::signed_in(s, "letters", "/runs/new");
    let l = chrome.l;
    let page = NewPage {
        problems: problems(errors),
        form: run_form(l, field),
        active,
        preview: Vec::new(),
        preview_pdf: None,
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn new_page(s: SignedIn) -> Response {
    if !s.actor.can(Permission::LettersSend) {
        return fail(&s, AppError::Forbidden(Permission::LettersSend));
    }
    new_view(&s, &|_| None, "", Vec::new(), StatusCode::OK)
}

/// Both forms of the new-run page post here: a bulk PDF to split, or a
/// merge to start or to preview (`action=preview`).
pub async fn start(State(st): State<AppState>, s: SignedIn, req: Request) -> Response {
    // Refused before the upload is read.
    if !s.actor.can(Permission::LettersSend) {
        return fail(&s, AppError::Forbidden(Permission::LettersSend));
    }
    let none = |_: &str| None;
    let (parts, body) = match read_request(req).await {
        Ok(x) => x,
        Err(e) => return new_view(&s, &none, "", problems_of(&e), e.status),
    };
    if !is_multipart(&parts) {
        let e = ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the form as multipart/form-data",
        );
        return new_view(&s, &none, "", problems_of(&e), e.status);
    }
    let form = match parse_multipart(parts, body).await {
        Ok(f) => f,
        Err(e) => return new_view(&s, &none, "", problems_of(&e), e.status),
    };
    if let Err(e) = s.check_csrf(form.field("csrf_token").unwrap_or("")) {
        return error_page(
            Chrome::signed_in(&s, "letters", "/runs/new"),
            StatusCode::FORBIDDEN,
            &e,
        );
    }
    // The split method comes from the form's radio buttons and inputs.
    let mut fields: Vec<(String, String)> = form.fields.clone();
    let get = |name: &str| form.field(name).map(str::to_string);
    let merge = get("kind").as_deref() == Some("merge");
    let active = if merge { "merge" } else { "split" };
    if !merge {
        let method = match get("split").as_deref() {
            Some("pages") => format!("pages:{}", get("pages").unwrap_or_default().trim()),
            Some("marker") => format!("marker:{}", get("marker").unwrap_or_default()),
            _ => "address".to_string(),
        };
        fields.push(("method".into(), method));
    }
    let preview = get("action").as_deref() == Some("preview");
    let field = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let request = match RunRequest::from_form(crate::upload::UploadForm {
        file: form.file.clone(),
        file_name: form.file_name.clone(),
        fields: fields.clone(),
        extra_files: Vec::new(),
    }) {
        Ok(r) => r,
        Err(e) => return new_view(&s, &field, active, problems_of(&e), e.status),
    };
    if merge && preview {
        let result = match request.input() {
            Ok(input) => {
                st.app
                    .merge_preview(&s.actor, &request.merge_spec(), &request.file, &input, 3)
                    .await
            }
            Err(e) => Err(e),
        };
        return match result {
            Ok(rows) => {
                let chrome = Chrome::signed_in(&s, "letters", "/runs/new");
                let l = chrome.l;
                let mut preview_pdf = None;
                let mut shown = Vec::new();
                for r in rows {
                    let (row, pdf) = preview_row(r);
                    if preview_pdf.is_none()
                        && let Some(pdf) = pdf
                    {
                        use base64::Engine;
                        preview_pdf = Some(format!(
                            "data:application/pdf;base64,{}",
                            base64::engine::general_purpose::STANDARD.encode(pdf)
                        ));
                    }
                    shown.push(row);
                }
                let page = NewPage {
                    problems: Vec::new(),
                    form: run_form(l, &field),
                    active,
                    preview: shown,
                    preview_pdf,
                    chrome,
                };
                let mut res = render(&page);
                if page.preview_pdf.is_some() {
                    // The preview PDF is embedded as a data: URL in an <object>.
                    res.headers_mut().insert(
                        axum::http::header::CONTENT_SECURITY_POLICY,
                        axum::http::HeaderValue::from_static(crate::protect::PREVIEW_PDF_POLICY),
                    );
                }
                res
            }
            Err(e) if matches!(e, AppError::Forbidden(_) | AppError::Internal(_)) => fail(&s, e),
            Err(e) => {
                let e = ApiError::from(e);
                new_view(&s, &field, active, problems_of(&e), e.status)
            }
        };
    }
    match request.start(&st, &s.actor).await {
        Ok(run) => Redirect::to(&format!("/runs/{}", run.id)).into_response(),
        Err(e)
            if matches!(
                e,
                AppError::Forbidden(_) | AppError::Internal(_) | AppError::NotFound
            ) =>
        {
            fail(&s, e)
        }
        Err(e) => {
            let e = ApiError::from(e);
            new_view(&s, &field, active, problems_of(&e), e.status)
        }
    }
}

struct ItemRow {
    seq: i32,
    source: String,
    accepted: bool,
    letter: Option<String>,
    reasons: Vec<Problem>,
}

#[derive(Template)]
#[template(path = "runs_detail.html")]
struct DetailPage {
    chrome: Chrome,
    run: RunRow,
    items: Vec<ItemRow>,
    refresh: bool,
}

pub async fn detail_page(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<RunId>() else {
        return fail(&s, AppError::NotFound);
    };
    let view = match st.app.run(&s.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&s, e),
    };
    let chrome = Chrome::signed_in(&s, "letters", &format!("/runs/{id}"));
    let l = chrome.l;
    let run = run_row(l, view.run);
    let items = view
        .items
        .into_iter()
        .map(|i| ItemRow {
            seq: i.seq,
            source: i.source,
            accepted: i.accepted,
            letter: i.letter.map(|l| l.to_string()),
            reasons: reasons_of(&i.reasons)
                .into_iter()
                .map(|r| Problem {
                    code: r.code,
                    message: r.message,
                })
                .collect(),
        })
        .collect();
    let page = DetailPage {
        refresh: run.running,
        run,
        items,
        chrome,
    };
    render(&page)
}
