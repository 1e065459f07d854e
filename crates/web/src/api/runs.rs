//! Bulk runs over the API: start one (a bulk PDF to split, or a mail merge
//! of a template and a rows file), follow its progress, read each letter's
//! outcome; and preview the first letters of a merge.

use super::extract::{bad_query, parse_path_id};
use super::letters::{LetterOptions, MoneyOut, letter_input};
use super::{ApiActor, PageQuery, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::upload::{UploadForm, is_multipart, parse_multipart, read_request};
use axum::Json;
use axum::extract::{Path, Query, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use courrier_app::bulk::SplitMethod;
use courrier_app::letters::LetterInput;
use courrier_app::runs::{MergePreviewRow, MergeSpec, RunView};
use courrier_domain::codes;
use courrier_domain::{Actor, Invalid, RunId};
use courrier_store::{RunItemRecord, RunRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One reason a letter was refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    /// Stable code, e.g. `address.postcode_invalid`, `pdf.not_a4`, `merge.field_missing`.
    pub code: String,
    pub message: String,
}

/// What became of one letter of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunItemOut {
    /// 1-based position in the file.
    pub seq: i32,
    /// Where it came from: `pages 3-4` of the PDF, or `row 12` of the rows file.
    pub source: String,
    /// accepted or refused.
    pub outcome: String,
    /// The letter made, when accepted.
    pub letter_id: Option<String>,
    /// Why it was refused (for an accepted letter: notes, such as a letter kept as a draft).
    pub reasons: Vec<ReasonOut>,
}

/// Reasons as the store keeps them: one `code: message` per line.
pub fn reasons_of(text: &str) -> Vec<ReasonOut> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once(": ") {
            Some((code, message)) if !code.contains(' ') => ReasonOut {
                code: code.into(),
                message: message.into(),
            },
            _ => ReasonOut {
                code: "letter.refused".into(),
                message: l.into(),
            },
        })
        .collect()
}

impl From<RunItemRecord> for RunItemOut {
    fn from(i: RunItemRecord) -> Self {
        RunItemOut {
            seq: i.seq,
            source: i.source,
            outcome: if i.accepted { "accepted" } else { "refused" }.into(),
            letter_id: i.letter.map(|l| l.to_string()),
            reasons: reasons_of(&i.reasons),
        }
    }
}

/// A bulk run and its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOut {
    pub id: String,
    /// split or merge.
    pub kind: String,
    /// queued, running, done or failed.
    pub state: String,
    /// How the file is split (`address`, `pages:2`, `marker:REGEX`) or the merge's template.
    pub method: String,
    /// The uploaded file's name.
    pub source_name: String,
    /// Letters found (known once the file is read).
    pub total: i32,
    pub processed: i32,
    pub accepted: i32,
    pub refused: i32,
    /// Why the run failed as a whole.
    pub error: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Each letter's outcome, in file order (single run only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<RunItemOut>>,
}

impl From<RunRecord> for RunOut {
    fn from(r: RunRecord) -> Self {
        RunOut {
            id: r.id.to_string(),
            kind: r.kind.as_str().into(),
            state: r.state.as_str().into(),
            method: r.method,
            source_name: r.source_name,
            total: r.total,
            processed: r.processed,
            accepted: r.accepted,
            refused: r.refused,
            error: r.error,
            created_at: rfc3339(r.created_at),
            finished_at: r.finished_at.map(rfc3339),
            items: None,
        }
    }
}

impl From<RunView> for RunOut {
    fn from(v: RunView) -> Self {
        let mut out = RunOut::from(v.run);
        out.items = Some(v.items.into_iter().map(Into::into).collect());
        out
    }
}

/// How to start a run. As multipart fields next to the `file` part, or in
/// the query string when the body is the PDF itself. The letter options
/// (`envelope`, `colour`, `sides`, `paper`, `product`, `registered`,
/// `reference`, `return_address`) apply to every letter; letters that turn
/// out to go abroad are sent international priority.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct RunIn {
    /// split (default) or merge.
    pub kind: Option<String>,
    /// Split runs: `address` (default), `pages:N` or `marker:REGEX`.
    pub method: Option<String>,
    /// Merge runs: the Typst template; absent, the default letter.
    pub template: Option<String>,
    /// Merge runs: `field=column` per line, overriding the automatic column
    /// mapping (`field=` unmaps).
    pub mapping: Option<String>,
    /// Submit each accepted letter (accepted, or awaiting approval); default: drafts.
    pub submit: Option<String>,
    /// The file's name, when the body is the raw PDF.
    pub filename: Option<String>,
    /// Merge preview: how many rows (1 to 20, default 3).
    pub rows: Option<usize>,
}

fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "on" | "yes")
    )
}

/// `field=column` lines.
pub fn mapping_of(text: Option<&str>) -> Vec<(String, Option<String>)> {
    text.unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (field, column) = l.split_once('=')?;
            let (field, column) = (field.trim(), column.trim());
            (!field.is_empty()).then(|| {
                (
                    field.to_string(),
                    (!column.is_empty()).then(|| column.to_string()),
                )
            })
        })
        .collect()
}

/// The letter options of a form (the fields named like [`LetterOptions`]).
pub fn options_of(field: impl Fn(&str) -> Option<String>) -> LetterOptions {
    LetterOptions {
        envelope: field("envelope"),
        colour: field("colour"),
        sides: field("sides"),
        paper: field("paper"),
        product: field("product"),
        registered: field("registered"),
        reference: field("reference"),
        recipient: None,
        return_address: field("return_address"),
        submit: field("submit"),
        background_scope: None,
    }
}

/// A run request, read from a multipart form or raw PDF bytes.
pub struct RunRequest {
    pub params: RunIn,
    pub options: LetterOptions,
    pub file: Vec<u8>,
    pub file_name: String,
}

impl RunRequest {
    pub fn from_form(form: UploadForm) -> Result<RunRequest, ApiError> {
        let field = |name: &str| {
            form.field(name)
                .map(str::to_string)
                .filter(|v| !v.trim().is_empty())
        };
        let params = RunIn {
            kind: field("kind"),
            method: field("method"),
            template: form.field("template").map(str::to_string),
            mapping: field("mapping"),
            submit: field("submit"),
            filename: field("filename"),
            rows: field("rows").and_then(|r| r.trim().parse().ok()),
        };
        let options = options_of(field);
        let file = form.file.filter(|f| !f.is_empty()).ok_or_else(|| {
            ApiError::of(
                codes::UPLOAD_FILE_MISSING,
                "send the PDF (or, for a merge, the rows file) in a part named 'file'",
            )
            .with_field("file")
        })?;
        let file_name = params
            .filename
            .clone()
            .or(form.file_name)
            .unwrap_or_default();
        Ok(RunRequest {
            params,
            options,
            file: file.to_vec(),
            file_name,
        })
    }

    async fn read(query: Option<String>, req: Request) -> ApiResult<RunRequest> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let (parts, body) = read_request(req).await?;
        if is_multipart(&parts) {
            return RunRequest::from_form(parse_multipart(parts, body).await?);
        }
        let params: RunIn =
            serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(bad_query)?;
        let options: LetterOptions =
            serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(bad_query)?;
        if !(content_type.starts_with("application/pdf")
            || content_type.starts_with("application/octet-stream"))
        {
            return Err(ApiError::of(
                codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
                "send 'multipart/form-data' with a 'file' part (and 'template' for a merge), or the bulk PDF as 'application/pdf' bytes with ?method=…",
            ));
        }
        if body.is_empty() {
            return Err(
                ApiError::of(codes::UPLOAD_FILE_MISSING, "the request body holds no PDF")
                    .with_field("file"),
            );
        }
        let file_name = params.filename.clone().unwrap_or_default();
        Ok(RunRequest {
            params,
            options,
            file: body.to_vec(),
            file_name,
        })
    }

    pub fn input(&self) -> Result<LetterInput, courrier_app::AppError> {
        letter_input(&self.options)
    }

    pub fn merge_spec(&self) -> MergeSpec {
        MergeSpec {
            template: self
                .params
                .template
                .clone()
                .filter(|t| !t.trim().is_empty()),
            mapping: mapping_of(self.params.mapping.as_deref()),
        }
    }

    /// Starts the run this request asks for.
    pub async fn start(
        self,
        st: &AppState,
        actor: &Actor,
    ) -> Result<RunRecord, courrier_app::AppError> {
        let input = self.input()?;
        let submit = truthy(
            self.params
                .submit
                .as_deref()
                .or(self.options.submit.as_deref()),
        );
        match self
            .params
            .kind
            .as_deref()
            .map(str::trim)
            .unwrap_or("split")
        {
            "merge" => {
                st.app
                    .start_merge_run(
                        actor,
                        self.merge_spec(),
                        &self.file,
                        &self.file_name,
                        input,
                        submit,
                    )
                    .await
            }
            "split" => {
                let method =
                    SplitMethod::parse(self.params.method.as_deref().unwrap_or("address"))?;
                st.app
                    .start_split_run(actor, &self.file, &self.file_name, method, input, submit)
                    .await
            }
            other => Err(Invalid::new(
                "kind",
                codes::RUN_KIND_INVALID,
                format!("'{other}' is not a kind of run: use split or merge"),
            )
            .into()),
        }
    }
}

/// Start a bulk run.
///
/// Split: the bulk PDF in a `file` part with `method` (`address`,
/// `pages:N`, `marker:REGEX`), or the PDF itself as `application/pdf` with
/// `?method=…`. Merge: `kind=merge`, the rows file (CSV with `,` or `;` in
/// UTF-8 or Windows-1252, XLSX or ODS) in `file`, the Typst `template`
/// (default letter when absent) and optional `mapping`. The answer comes at
/// once (202); follow the run with `GET /api/v1/runs/{id}`.
#[utoipa::path(post, path = "/api/v1/runs", tag = "runs", params(RunIn,
        ("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same run, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    request_body(content(
        (Vec<u8> = "application/pdf"),
        (RunIn = "multipart/form-data"),
    ), description = "The bulk PDF or the rows file (at most 50 MB)"),
    responses((status = 202, body = RunOut), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Refused at once: bad method or marker, unreadable rows, unmapped field, template error")))]
pub async fn create_run(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    RawQuery(query): RawQuery,
    req: Request,
) -> ApiResult<(StatusCode, Json<RunOut>)> {
    super::need(&actor, courrier_domain::Permission::LettersSend)?;
    let request = RunRequest::read(query, req).await?;
    let run = request.start(&st, &actor).await?;
    Ok((StatusCode::ACCEPTED, Json(run.into())))
}

/// The organisation's runs, newest first.
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs", params(PageQuery),
    responses((status = 200, body = Paged<RunOut>), (status = 403, body = ErrorBody)))]
pub async fn list_runs(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<RunOut>>> {
    let page = st.app.runs(&actor, q.cursor.as_deref(), q.limit()).await?;
    Ok(Json(Paged {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One run with the outcome of each of its letters.
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = RunOut), (status = 404, body = ErrorBody)))]
pub async fn get_run(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<RunOut>> {
    let id: RunId = parse_path_id(&id)?;
    Ok(Json(st.app.run(&actor, id).await?.into()))
}

/// One previewed row of a merge.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewRowOut {
    pub row: usize,
    /// accepted or refused.
    pub outcome: String,
    /// What the window of the rendered letter holds.
    pub window_lines: Vec<String>,
    pub price: Option<MoneyOut>,
    pub expected_delivery: Option<String>,
    pub reasons: Vec<ReasonOut>,
}

impl From<MergePreviewRow> for PreviewRowOut {
    fn from(r: MergePreviewRow) -> Self {
        match r.outcome {
            Ok(l) => PreviewRowOut {
                row: r.row,
                outcome: "accepted".into(),
                window_lines: l.letter.window_lines,
                price: Some(MoneyOut {
                    amount_minor: l.letter.record.price_total,
                    currency: l.letter.record.currency.to_string(),
                }),
                expected_delivery: l.letter.record.expected_delivery,
                reasons: Vec::new(),
            },
            Err(reasons) => PreviewRowOut {
                row: r.row,
                outcome: "refused".into(),
                window_lines: Vec::new(),
                price: None,
                expected_delivery: None,
                reasons: reasons
                    .into_iter()
                    .map(|i| ReasonOut {
                        code: i.code.into(),
                        message: i.message,
                    })
                    .collect(),
            },
        }
    }
}

/// Preview a mail merge: the first rows rendered and checked; nothing is stored.
#[utoipa::path(post, path = "/api/v1/runs/preview", tag = "runs", params(RunIn),
    request_body(content((RunIn = "multipart/form-data")), description = "The rows file in `file`, `template`, `mapping`, `rows`"),
    responses((status = 200, body = Vec<PreviewRowOut>), (status = 422, body = ErrorBody)))]
pub async fn preview_merge(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    RawQuery(query): RawQuery,
    req: Request,
) -> ApiResult<Json<Vec<PreviewRowOut>>> {
    super::need(&actor, courrier_domain::Permission::LettersSend)?;
    let request = RunRequest::read(query, req).await?;
    let input = request.input()?;
    let rows = st
        .app
        .merge_preview(
            &actor,
            &request.merge_spec(),
            &request.file,
            &input,
            request.params.rows.unwrap_or(3),
        )
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_mappings_parse() {
        let r = reasons_of(
            "address.postcode_invalid: '120' is not a Swiss postcode\nfree text without code",
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].code, "address.postcode_invalid");
        assert_eq!(r[1].code, "letter.refused");
        assert_eq!(
            mapping_of(Some("name = Kunde\ncountry=\n bad line")),
            vec![
                ("name".to_string(), Some("Kunde".to_string())),
                ("country".to_string(), None)
            ]
        );
    }
}
