//! Bulk runs: one PDF of many letters (an ERP's invoice run) split into
//! letters, or a mail merge (a Typst template and rows from CSV, XLSX or
//! ODS). Starting a run checks what can be checked at once (the split method,
//! the marker, the rows file and the column mapping, the template), scans the
//! upload, stores it encrypted with the run's options, and queues a
//! `runs.process` job.
//!
//! The job reads the file once and hands every letter to the same checks as
//! a single upload ([`crate::intake`]), one at a time, recording each
//! outcome as it goes: accepted letters become drafts (or are submitted),
//! refused ones are listed with their pages or row and every reason. Nothing
//! is dropped: pages before the first letter start and rows that cannot be
//! read are refused items too.
//!
//! A retried job (after a crash) creates no letter twice: items already
//! recorded are skipped, and a letter's id is derived from the run and its
//! position, so a letter created just before the crash is found again
//! instead of being created a second time.

use crate::bulk::{
    PassOptions, PieceResult, SplitMethod, Splitter, Steps, process_file_in, reasons_of,
    reasons_text, whole_file_problems,
};
use crate::intake::{IntakeContext, PageOffset, check_letter_with};
use crate::jobs::JobKind;
use crate::letters::{LetterInput, PreparedLetter};
use crate::render::{RenderPool, TOO_EXPENSIVE};
use crate::workers::DocumentWorkers;
use crate::{App, AppError, Result};
use courrier_documents::Finding;
use courrier_domain::codes;
use courrier_domain::letters::{Colour, Envelope, LetterStatus, Paper, Product, Registered, Sides};
use courrier_domain::{
    Actor, ActorKind, Invalid, JobId, LetterId, OrgId, OrgScope, Permission, Role, RunId,
};
use courrier_merge::{Field, Mapping, Template, Today, default_fields, fields_from_template};
use courrier_store::{RunItemRecord, RunKind, RunRecord, RunState};
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::{BTreeMap, HashSet};

/// The merge crate's default letter, for forms to start from.
pub use courrier_merge::DEFAULT_TEMPLATE;

/// Content type of a run's stored source (options, then the uploaded file).
pub const BUNDLE_TYPE: &str = "application/x-courrier-run";
const BUNDLE_MAGIC: &[u8] = b"courrier-run/1\n";
/// Largest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Longest file name kept.
const MAX_NAME_CHARS: usize = 200;
/// How often a long run renews its job's lease, in items.
const LEASE_EVERY: usize = 25;

/// A run with the outcome of each of its letters, in order.
#[derive(Debug, Clone)]
pub struct RunView {
    pub run: RunRecord,
    pub items: Vec<RunItemRecord>,
}

/// One row of a mail-merge preview.
#[derive(Debug, Clone)]
pub struct MergePreviewRow {
    /// The row number in the file (the header is row 1).
    pub row: usize,
    /// The template's inputs for this row.
    pub values: BTreeMap<String, String>,
    pub outcome: std::result::Result<MergePreviewLetter, Vec<Invalid>>,
}

/// A rendered and checked letter of a preview.
#[derive(Debug, Clone)]
pub struct MergePreviewLetter {
    pub pdf: Vec<u8>,
    pub letter: PreparedLetter,
}

/// The job that processes a run holds a lease; a long run renews it.
#[derive(Debug, Clone)]
pub struct RunLease {
    pub job: JobId,
    pub worker: String,
}

/// What a mail merge needs beyond the rows file.
#[derive(Debug, Clone, Default)]
pub struct MergeSpec {
    /// `None`: the merge crate's default letter.
    pub template: Option<String>,
    /// Field → column overrides of the automatic mapping (`None` unmaps).
    pub mapping: Vec<(String, Option<String>)>,
}

/// Everything the job needs, stored encrypted with the uploaded file.
#[derive(Debug, Clone)]
struct Bundle {
    kind: RunKind,
    method: Option<SplitMethod>,
    merge: MergeSpec,
    input: LetterInput,
    submit: bool,
    /// Who started the run, to submit its letters on their behalf.
    actor: Value,
    file: Vec<u8>,
}

fn input_json(input: &LetterInput) -> Value {
    json!({
        "envelope": input.envelope.as_str(),
        "colour": input.colour.as_str(),
        "sides": input.sides.as_str(),
        "paper": input.paper.map(|p| p.as_str()),
        "product": input.product.as_str(),
        "registered": input.registered.as_str(),
        "reference": input.reference,
        "return_address": input.return_address,
    })
}

fn input_from_json(v: &Value) -> Result<LetterInput> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    Ok(LetterInput {
        envelope: Envelope::parse(s("envelope"))?,
        colour: Colour::parse(s("colour"))?,
        sides: Sides::parse(s("sides"))?,
        paper: v
            .get("paper")
            .and_then(Value::as_str)
            .map(Paper::parse)
            .transpose()?,
        product: Product::parse(s("product"))?,
        registered: Registered::parse(s("registered"))?,
        reference: s("reference").to_string(),
        recipient_lines: None,
        return_address: v
            .get("return_address")
            .and_then(Value::as_str)
            .map(str::to_string),
        // Runs have no letterhead or attachments yet (a follow-up could add
        // them per run).
        background: None,
        attachments: Vec::new(),
    })
}

fn actor_json(actor: &Actor) -> Value {
    match &actor.kind {
        ActorKind::User(u) => {
            json!({"kind": "user", "id": u.to_string(), "role": actor.role.map(|r| r.as_str())})
        }
        ActorKind::ApiKey(k) => json!({
            "kind": "apikey",
            "id": k.to_string(),
            "permissions": actor.permissions().iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        }),
        ActorKind::System(_) => json!({"kind": "system"}),
    }
}

fn actor_from_json(v: &Value, org: OrgId, org_kind: courrier_domain::OrgKind) -> Result<Actor> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    let bad = |what: &str| AppError::internal(format!("run bundle: {what}"));
    Ok(match s("kind") {
        "user" => Actor::user(
            s("id").parse().map_err(|_| bad("user id"))?,
            org,
            org_kind,
            Role::parse(s("role")).map_err(|_| bad("role"))?,
            None,
        ),
        "apikey" => {
            let permissions = v
                .get("permissions")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .filter_map(|p| Permission::parse(p).ok())
                        .collect()
                })
                .unwrap_or_default();
            Actor::api_key(
                s("id").parse().map_err(|_| bad("key id"))?,
                org,
                org_kind,
                permissions,
                None,
            )
        }
        _ => Actor::system("runs", org, org_kind),
    })
}

impl Bundle {
    fn encode(&self, actor: &Actor) -> Vec<u8> {
        let header = json!({
            "kind": self.kind.as_str(),
            "method": self.method.as_ref().map(SplitMethod::code),
            "template": self.merge.template,
            "mapping": self.merge.mapping.iter().map(|(f, c)| json!([f, c])).collect::<Vec<_>>(),
            "input": input_json(&self.input),
            "submit": self.submit,
            "actor": actor_json(actor),
        })
        .to_string();
        let len = u32::try_from(header.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes();
        let mut out = Vec::with_capacity(BUNDLE_MAGIC.len() + 4 + header.len() + self.file.len());
        out.extend_from_slice(BUNDLE_MAGIC);
        out.extend_from_slice(&len);
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&self.file);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Bundle> {
        let bad = |what: &str| AppError::internal(format!("run bundle: {what}"));
        let rest = bytes
            .strip_prefix(BUNDLE_MAGIC)
            .ok_or_else(|| bad("not a run bundle"))?;
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("truncated"))?;
        let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| bad("header length"))?;
        let (header, file) = rest
            .split_at_checked(len)
            .ok_or_else(|| bad("truncated header"))?;
        let header: Value = serde_json::from_slice(header).map_err(|e| bad(&e.to_string()))?;
        let s = |k: &str| header.get(k).and_then(Value::as_str);
        let kind = match s("kind") {
            Some("split") => RunKind::Split,
            Some("merge") => RunKind::Merge,
            _ => return Err(bad("kind")),
        };
        let method = s("method").map(SplitMethod::parse).transpose()?;
        let mapping = header
            .get("mapping")
            .and_then(Value::as_array)
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|p| {
                        let field = p.get(0)?.as_str()?.to_string();
                        Some((field, p.get(1).and_then(Value::as_str).map(str::to_string)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Bundle {
            kind,
            method,
            merge: MergeSpec {
                template: s("template").map(str::to_string),
                mapping,
            },
            input: input_from_json(header.get("input").unwrap_or(&Value::Null))?,
            submit: header
                .get("submit")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            actor: header.get("actor").cloned().unwrap_or(Value::Null),
            file: file.to_vec(),
        })
    }
}

/// The id of the letter at `seq` of `run`: the same on every attempt.
fn letter_id_for(run: RunId, seq: usize) -> LetterId {
    let digest = sha2::Sha256::digest(format!("courrier-run-letter:{run}:{seq}").as_bytes());
    let mut bytes = [0u8; 16];
    for (b, d) in bytes.iter_mut().zip(digest.iter()) {
        *b = *d;
    }
    LetterId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

fn clean_name(name: &str, fallback: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() {
        fallback.to_string()
    } else {
        name.to_string()
    }
}

/// The template a merge uses, and its fields.
fn template_and_fields(template: Option<&str>) -> (String, Vec<Field>) {
    match template {
        Some(t) if !t.trim().is_empty() => (t.to_string(), fields_from_template(t)),
        _ => (
            courrier_merge::DEFAULT_TEMPLATE.to_string(),
            default_fields(),
        ),
    }
}

/// Rows read and mapped: every row in file order, with its inputs or why it
/// cannot become a letter.
struct MergeRows {
    rows: Vec<(usize, BTreeMap<String, String>, Vec<Invalid>)>,
}

fn row_invalid(e: &courrier_merge::RowError) -> Invalid {
    Invalid::new("row", e.code, format!("row {}: {}", e.row, e.message))
}

impl App {
    /// [`merge_rows`] on the document workers, within their time: reading
    /// a spreadsheet is CPU work like reading a PDF, kept off the threads
    /// that answer requests.
    async fn merge_rows_on_workers(
        &self,
        rows: &[u8],
        fields: &[Field],
        spec: &MergeSpec,
    ) -> Result<MergeRows> {
        let (bytes, fields, mapping) = (rows.to_vec(), fields.to_vec(), spec.mapping.clone());
        self.document_workers
            .run(bytes.len(), move || merge_rows(&bytes, &fields, &mapping))
            .await
    }
}

/// Reads and maps a rows file; whole-file problems (unreadable, no column
/// for a required field, an override naming an unknown column) are errors.
fn merge_rows(
    bytes: &[u8],
    fields: &[Field],
    overrides: &[(String, Option<String>)],
) -> Result<MergeRows> {
    let parsed = courrier_merge::read_rows(bytes, &courrier_merge::Limits::default())?;
    let mut mapping = Mapping::auto(fields, &parsed.table.columns);
    for (field, column) in overrides {
        mapping.set(field, column.as_deref(), &parsed.table.columns)?;
    }
    let unmapped = mapping.unmapped_required();
    if !unmapped.is_empty() {
        return Err(Invalid::new(
            "mapping",
            codes::MERGE_FIELD_UNMAPPED,
            format!(
                "no column is mapped to the required field(s) {}",
                unmapped.join(", ")
            ),
        )
        .into());
    }
    let mapped = mapping.preview(&parsed.table, parsed.table.rows.len())?;
    let mut rows: Vec<(usize, BTreeMap<String, String>, Vec<Invalid>)> = mapped
        .into_iter()
        .map(|m| (m.row, m.values, m.errors.iter().map(row_invalid).collect()))
        .collect();
    for e in &parsed.errors {
        match rows.iter_mut().find(|(row, _, _)| *row == e.row) {
            Some((_, _, errors)) => errors.push(row_invalid(e)),
            None => rows.push((e.row, BTreeMap::new(), vec![row_invalid(e)])),
        }
    }
    rows.sort_by_key(|(row, _, _)| *row);
    Ok(MergeRows { rows })
}

/// `list` said of row `row`.
fn at_row(row: usize, mut list: Vec<Invalid>) -> Vec<Invalid> {
    for i in &mut list {
        i.message = format!("row {row}: {}", i.message);
    }
    list
}

/// Renders rows in the render workers from a blocking thread (a run's
/// letters are checked on one).
struct RowRenderer {
    pool: std::sync::Arc<RenderPool>,
    runtime: tokio::runtime::Handle,
    template: Template,
    today: Today,
}

impl RowRenderer {
    /// `Ok(Err(_))`: this row's letter cannot be rendered; `Err(_)`: no
    /// letter can be now (the run stops and is retried).
    fn render(
        &self,
        values: &BTreeMap<String, String>,
    ) -> Result<std::result::Result<Vec<u8>, Invalid>> {
        self.runtime
            .block_on(self.pool.render(&self.template, values, self.today))
    }
}

/// Checks the letter one row rendered to.
fn check_merged(
    pdf: Vec<u8>,
    row: usize,
    ctx: &IntakeContext,
    input: &LetterInput,
    created_by: &str,
    now: courrier_domain::Timestamp,
) -> std::result::Result<(PreparedLetter, Vec<u8>), Vec<Invalid>> {
    let at_row = |list: Vec<Invalid>| at_row(row, list);
    let doc = courrier_documents::load_pdf(&pdf, &ctx.limits)
        .map_err(|f| at_row(vec![f.to_invalid()]))?;
    let prepared = check_letter_with(
        ctx,
        &doc,
        None,
        input,
        Some(Product::InternationalPriority),
        created_by,
        now,
        PageOffset::default(),
    )
    .map_err(|e| at_row(reasons_of(e)))?;
    Ok((prepared, pdf))
}

/// Messages from the blocking part of a run to the part that records.
enum RunMsg {
    Total(usize),
    Item(Box<PieceResult>),
    /// The file as a whole cannot be used; the run fails with these reasons.
    Fatal(Vec<Invalid>),
    /// The run cannot go on now (no render worker, the server is stopping):
    /// the job is retried later.
    Abort(AppError),
}

impl App {
    async fn intake_context(&self, org: OrgId) -> Result<IntakeContext> {
        let record = self.store.org(org).await?;
        let settings = self.store.letter_settings(org).await?;
        let country = courrier_domain::letters::Country::parse(&record.country)?;
        let (table, _, _) = self.carrier_site(&country).await?;
        IntakeContext::new(org, &record.country, &settings, table)
    }

    async fn create_run_with(
        &self,
        actor: &Actor,
        scope: &OrgScope,
        bundle: Bundle,
        source_name: String,
        method: String,
    ) -> Result<RunRecord> {
        let document = self
            .store_document(scope, &bundle.encode(actor), BUNDLE_TYPE)
            .await?;
        let now = self.now();
        let run = RunRecord {
            id: RunId::random(),
            org: scope.org(),
            kind: bundle.kind,
            state: RunState::Queued,
            method,
            source_name,
            source_document: Some(document),
            total: 0,
            processed: 0,
            accepted: 0,
            refused: 0,
            error: String::new(),
            created_by: scope.actor().to_string(),
            created_at: now,
            finished_at: None,
        };
        self.store.create_run(scope, &run, now).await?;
        let job = JobKind::ProcessRun {
            org: scope.org(),
            run: run.id,
        }
        .to_job(now);
        if let Err(e) = self.store.enqueue_job(&job, now).await {
            self.store
                .finish_run(
                    scope,
                    run.id,
                    RunState::Failed,
                    "the run could not be queued",
                    self.now(),
                )
                .await?;
            return Err(e.into());
        }
        Ok(run)
    }

    /// Starts splitting a bulk PDF into letters. The letters are checked and
    /// created by a background job; follow it with [`App::run`].
    pub async fn start_split_run(
        &self,
        actor: &Actor,
        pdf: &[u8],
        filename: &str,
        method: SplitMethod,
        input: LetterInput,
        submit: bool,
    ) -> Result<RunRecord> {
        let scope = actor.scope(Permission::LettersSend)?;
        Splitter::new(&method)?;
        let limits = courrier_documents::IntakeLimits::default();
        if pdf.len() > limits.max_bytes {
            return Err(Invalid::new(
                "file",
                codes::PDF_TOO_LARGE,
                format!(
                    "the file is larger than {} MB: split it into smaller files",
                    limits.max_bytes / (1024 * 1024)
                ),
            )
            .into());
        }
        if !pdf
            .get(..pdf.len().min(1024))
            .unwrap_or_default()
            .windows(5)
            .any(|w| w == b"%PDF-")
        {
            return Err(Invalid::new(
                "file",
                codes::PDF_UNREADABLE,
                "the file is not a PDF: export the letters as one PDF",
            )
            .into());
        }
        // Read once now, so that a file the run could not use is refused
        // at once instead of failing in the background.
        let copy = pdf.to_vec();
        self.document_workers
            .run(copy.len(), move || {
                let doc = courrier_documents::load_pdf(&copy, &limits)
                    .map_err(|f| Invalid::new("file", f.code, f.message))?;
                courrier_documents::check_content(&doc)
                    .map_err(|f| Invalid::new("file", f.code, f.message))?;
                Ok(())
            })
            .await?;
        self.check_upload(pdf).await?;
        let code = method.code();
        let bundle = Bundle {
            kind: RunKind::Split,
            method: Some(method),
            merge: MergeSpec::default(),
            input,
            submit,
            actor: Value::Null,
            file: pdf.to_vec(),
        };
        self.create_run_with(
            actor,
            &scope,
            bundle,
            clean_name(filename, "letters.pdf"),
            code,
        )
        .await
    }

    /// Starts a mail merge: each row of the file becomes a letter rendered
    /// from `spec`'s template. The file, the mapping and the template are
    /// checked now; each row's letter is made by a background job.
    pub async fn start_merge_run(
        &self,
        actor: &Actor,
        spec: MergeSpec,
        rows: &[u8],
        rows_name: &str,
        input: LetterInput,
        submit: bool,
    ) -> Result<RunRecord> {
        let scope = actor.scope(Permission::LettersSend)?;
        let ctx = self.intake_context(scope.org()).await?;
        self.check_merge(&ctx, &spec, rows).await?;
        self.check_upload(rows).await?;
        let method = if spec
            .template
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
        {
            "template"
        } else {
            "default template"
        };
        let bundle = Bundle {
            kind: RunKind::Merge,
            method: None,
            merge: spec,
            input,
            submit,
            actor: Value::Null,
            file: rows.to_vec(),
        };
        self.create_run_with(
            actor,
            &scope,
            bundle,
            clean_name(rows_name, "rows.csv"),
            method.into(),
        )
        .await
    }

    /// The checks a merge passes before it starts: template size, rows file,
    /// mapping, and the template compiling with the first row.
    async fn check_merge(&self, ctx: &IntakeContext, spec: &MergeSpec, rows: &[u8]) -> Result<()> {
        if spec
            .template
            .as_ref()
            .is_some_and(|t| t.len() > MAX_TEMPLATE_BYTES)
        {
            return Err(Invalid::new(
                "template",
                codes::MERGE_TEMPLATE_TOO_LARGE,
                format!(
                    "the template is larger than {} KB",
                    MAX_TEMPLATE_BYTES / 1024
                ),
            )
            .into());
        }
        let (template, fields) = template_and_fields(spec.template.as_deref());
        let mapped = self.merge_rows_on_workers(rows, &fields, spec).await?;
        let sample = mapped
            .rows
            .iter()
            .find(|(_, _, e)| e.is_empty())
            .map(|(_, v, _)| v.clone())
            .unwrap_or_default();
        let today = self.template_today(&ctx.tz);
        self.renders
            .check(&Template::new(template), &sample, today)
            .await??;
        Ok(())
    }

    /// Renders and checks the first `n` rows of a merge; nothing is stored.
    pub async fn merge_preview(
        &self,
        actor: &Actor,
        spec: &MergeSpec,
        rows: &[u8],
        input: &LetterInput,
        n: usize,
    ) -> Result<Vec<MergePreviewRow>> {
        let scope = actor.scope(Permission::LettersSend)?;
        let ctx = self.intake_context(scope.org()).await?;
        if spec
            .template
            .as_ref()
            .is_some_and(|t| t.len() > MAX_TEMPLATE_BYTES)
        {
            return Err(Invalid::new(
                "template",
                codes::MERGE_TEMPLATE_TOO_LARGE,
                "the template is too large",
            )
            .into());
        }
        let (template, fields) = template_and_fields(spec.template.as_deref());
        let mapped = self.merge_rows_on_workers(rows, &fields, spec).await?;
        let (input, created_by, now) = (input.clone(), scope.actor().to_string(), self.now());
        let template = Template::new(template);
        let today = self.template_today(&ctx.tz);
        let mut rendered = Vec::new();
        for (row, values, errors) in mapped.rows.into_iter().take(n.clamp(1, 20)) {
            let pdf = if errors.is_empty() {
                match self.renders.render(&template, &values, today).await? {
                    Ok(pdf) => Ok(pdf),
                    // A template past a limit is refused as a whole.
                    Err(e) if e.code == TOO_EXPENSIVE => return Err(e.into()),
                    Err(e) => Err(at_row(row, vec![e])),
                }
            } else {
                Err(errors)
            };
            rendered.push((row, values, pdf));
        }
        let input_bytes = rendered.len().saturating_mul(64 * 1024);
        self.document_workers
            .run(input_bytes, move || {
                Ok(rendered
                    .into_iter()
                    .map(|(row, values, pdf)| {
                        let outcome = pdf
                            .and_then(|pdf| check_merged(pdf, row, &ctx, &input, &created_by, now))
                            .map(|(letter, pdf)| MergePreviewLetter { pdf, letter });
                        MergePreviewRow {
                            row,
                            values,
                            outcome,
                        }
                    })
                    .collect())
            })
            .await
    }

    pub async fn runs(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<courrier_store::Page<RunRecord>> {
        let scope = actor.scope(Permission::LettersRead)?;
        Ok(self.store.list_runs(&scope, cursor, limit).await?)
    }

    pub async fn run(&self, actor: &Actor, id: RunId) -> Result<RunView> {
        let scope = actor.scope(Permission::LettersRead)?;
        let run = self.store.run(&scope, id).await?;
        let items = self.store.run_items(&scope, id).await?;
        Ok(RunView { run, items })
    }

    /// The `runs.process` job: makes the letters of a queued or interrupted
    /// run. Errors that another attempt may cure (the database) are returned;
    /// a file that cannot be used fails the run.
    pub async fn process_run(&self, org: OrgId, id: RunId, lease: Option<RunLease>) -> Result<()> {
        let system = OrgScope::system(org, "system:runs");
        let run = self.store.run(&system, id).await?;
        if matches!(run.state, RunState::Done | RunState::Failed) {
            return Ok(());
        }
        // Letters and items are written in the name of whoever started the run.
        let scope = OrgScope::system(org, &run.created_by);
        let system_ref = &system;
        let fail = |reason: String| async move {
            self.store
                .finish_run(system_ref, id, RunState::Failed, &reason, self.now())
                .await?;
            tracing::warn!(run = %id, %reason, "run failed");
            Ok::<(), AppError>(())
        };
        let Some(document) = run.source_document else {
            return fail("the run's file was shredded".into()).await;
        };
        let bundle = match self.read_document(&scope, document).await {
            Ok((_, bytes)) => Bundle::decode(&bytes)?,
            Err(AppError::Refused(code)) => {
                return fail(format!("the run's file cannot be read ({code})")).await;
            }
            Err(e) => return Err(e),
        };
        let org_record = self.store.org(org).await?;
        let actor = actor_from_json(&bundle.actor, org, org_record.kind)?;
        let ctx = match self.intake_context(org).await {
            Ok(ctx) => ctx,
            Err(AppError::Invalid(i)) => return fail(i.message).await,
            Err(e) => return Err(e),
        };
        let done: HashSet<usize> = self
            .store
            .run_items(&scope, id)
            .await?
            .iter()
            .filter_map(|i| usize::try_from(i.seq).ok())
            .collect();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<RunMsg>(32);
        let options = PassOptions {
            created_by: run.created_by.clone(),
            now: self.now(),
            keep_pdf: true,
            threads: 1,
            abroad: Some(Product::InternationalPriority),
        };
        let (template, _) = template_and_fields(bundle.merge.template.as_deref());
        let renderer = RowRenderer {
            pool: self.renders.clone(),
            runtime: tokio::runtime::Handle::try_current()
                .map_err(|e| AppError::internal_from(e, "run worker"))?,
            template: Template::new(template),
            today: self.template_today(&ctx.tz),
        };
        let submit = bundle.submit;
        // Each step's document work waits for a place on the document
        // workers and keeps to its own budget; this thread only drives them.
        let steps = RunSteps {
            workers: self.document_workers.clone(),
            runtime: renderer.runtime.clone(),
            input_bytes: bundle.file.len(),
        };
        let worker = tokio::task::spawn_blocking(move || {
            produce(&bundle, &ctx, &options, &done, &renderer, &steps, &tx)
        });
        let mut total = 0usize;
        let mut recorded = 0usize;
        let mut fatal: Option<Vec<Invalid>> = None;
        let mut abort: Option<AppError> = None;
        while let Some(msg) = rx.recv().await {
            match msg {
                RunMsg::Total(n) => total = n,
                RunMsg::Fatal(reasons) => fatal = Some(reasons),
                RunMsg::Abort(e) => abort = Some(e),
                RunMsg::Item(result) => {
                    self.record_item(&scope, &actor, id, *result, total, submit)
                        .await?;
                    recorded += 1;
                    if recorded.is_multiple_of(LEASE_EVERY)
                        && let Some(l) = &lease
                    {
                        let until = self.now().plus_seconds(crate::jobs::LEASE_SECS);
                        if !self.store.extend_job_lease(l.job, &l.worker, until).await? {
                            return Err(AppError::internal("the run's job lease was lost"));
                        }
                    }
                }
            }
        }
        worker
            .await
            .map_err(|e| AppError::internal_from(e, "run worker"))?;
        if let Some(e) = abort {
            return Err(e);
        }
        match fatal {
            Some(reasons) => fail(reasons_text(&reasons)).await,
            None => {
                self.store
                    .finish_run(&system, id, RunState::Done, "", self.now())
                    .await?;
                Ok(())
            }
        }
    }
}

impl App {
    /// Marks a run failed when its job gave up retrying.
    pub async fn run_gave_up(&self, org: OrgId, id: RunId, error: Option<&str>) -> Result<()> {
        let scope = OrgScope::system(org, "system:runs");
        let run = self.store.run(&scope, id).await?;
        if matches!(run.state, RunState::Queued | RunState::Running) {
            let reason = format!(
                "gave up after several attempts: {}",
                error.unwrap_or("unknown error")
            );
            self.store
                .finish_run(&scope, id, RunState::Failed, &reason, self.now())
                .await?;
        }
        Ok(())
    }

    /// Stores one letter of a run (unless an earlier attempt did) and
    /// records its outcome.
    async fn record_item(
        &self,
        scope: &OrgScope,
        actor: &Actor,
        run: RunId,
        result: PieceResult,
        total: usize,
        submit: bool,
    ) -> Result<()> {
        let seq = i32::try_from(result.seq).unwrap_or(i32::MAX);
        let total = i32::try_from(total).unwrap_or(i32::MAX);
        let item = match result.outcome {
            Err(reasons) => RunItemRecord {
                seq,
                source: result.source,
                accepted: false,
                letter: None,
                reasons: reasons_text(&reasons),
            },
            Ok((prepared, pdf)) => {
                let id = letter_id_for(run, result.seq);
                let letter = match self.store.letter(scope, id).await {
                    Ok(existing) => existing,
                    Err(courrier_store::StoreError::NotFound) => {
                        let mut record = prepared.record;
                        record.id = id;
                        record.run = Some(run);
                        if let Some(pdf) = pdf {
                            record.document =
                                Some(self.store_document(scope, &pdf, "application/pdf").await?);
                        }
                        self.store.create_letter(scope, &record, self.now()).await?;
                        record
                    }
                    Err(e) => return Err(e.into()),
                };
                let mut reasons = String::new();
                if submit && letter.status == LetterStatus::Draft {
                    // A letter that cannot be submitted stays a draft, said so.
                    match self.submit_letter(actor, id).await {
                        Ok(_) => {}
                        Err(
                            e @ (AppError::Forbidden(_)
                            | AppError::Invalid(_)
                            | AppError::Refused(_)
                            | AppError::Conflict(_)),
                        ) => {
                            reasons = format!(
                                "letter.not_submitted: the letter was kept as a draft ({e})"
                            );
                        }
                        Err(e) => return Err(e),
                    }
                }
                RunItemRecord {
                    seq,
                    source: result.source,
                    accepted: true,
                    letter: Some(id),
                    reasons,
                }
            }
        };
        match self.store.record_run_item(scope, run, &item, total).await {
            // Recorded by an earlier attempt (or a worker that took over).
            Ok(())
            | Err(courrier_store::StoreError::Conflict {
                what: codes::RUN_ITEM_RECORDED,
            }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The steps of a run's document work (reading the file, finding where
/// letters start, each letter): each on the document workers, within the
/// budget of one document ([`DocumentWorkers::run_here`]).
struct RunSteps {
    workers: DocumentWorkers,
    runtime: tokio::runtime::Handle,
    input_bytes: usize,
}

impl Steps for RunSteps {
    fn run(&self, work: &mut dyn FnMut()) -> Result<(), Finding> {
        self.workers.run_here(&self.runtime, self.input_bytes, work)
    }
}

/// The blocking half of a run: reads the file and checks each letter,
/// sending results to the recording half as they come. A step past its
/// budget fails the run when it is reading the file or finding where
/// letters start, and only its letter (or row) otherwise.
fn produce(
    bundle: &Bundle,
    ctx: &IntakeContext,
    options: &PassOptions,
    done: &HashSet<usize>,
    renderer: &RowRenderer,
    steps: &dyn Steps,
    tx: &tokio::sync::mpsc::Sender<RunMsg>,
) {
    let send = |msg: RunMsg| tx.blocking_send(msg).is_ok();
    match bundle.kind {
        RunKind::Split => {
            let Some(method) = &bundle.method else {
                send(RunMsg::Fatal(vec![Invalid::new(
                    "method",
                    codes::RUN_METHOD_INVALID,
                    "the run has no split method",
                )]));
                return;
            };
            let splitter = match Splitter::new(method) {
                Ok(s) => s,
                Err(e) => {
                    send(RunMsg::Fatal(vec![e]));
                    return;
                }
            };
            let mut loaded = None;
            let read = steps.run(&mut || {
                loaded = Some(
                    courrier_documents::load_pdf(&bundle.file, &ctx.limits)
                        .map_err(|f| vec![f.to_invalid()])
                        .and_then(|doc| {
                            let problems = whole_file_problems(&doc, ctx);
                            if problems.is_empty() {
                                Ok(doc)
                            } else {
                                Err(problems)
                            }
                        }),
                );
            });
            let doc = match (read, loaded) {
                (Ok(()), Some(Ok(doc))) => doc,
                (Ok(()), Some(Err(problems))) => {
                    send(RunMsg::Fatal(problems));
                    return;
                }
                (Err(refusal), _) => {
                    send(RunMsg::Fatal(vec![refusal.to_invalid()]));
                    return;
                }
                (Ok(()), None) => {
                    send(RunMsg::Abort(AppError::internal(
                        "the run's file was not read",
                    )));
                    return;
                }
            };
            let split = process_file_in(
                steps,
                &doc,
                ctx,
                &splitter,
                &bundle.input,
                options,
                |n| {
                    send(RunMsg::Total(n));
                },
                &|seq| done.contains(&seq),
                &|result| send(RunMsg::Item(Box::new(result))),
            );
            if let Err(reasons) = split {
                send(RunMsg::Fatal(reasons));
            }
        }
        RunKind::Merge => {
            let (_, fields) = template_and_fields(bundle.merge.template.as_deref());
            let mut read = None;
            let rows = match steps.run(&mut || {
                read = Some(merge_rows(&bundle.file, &fields, &bundle.merge.mapping));
            }) {
                Err(refusal) => Err(AppError::Invalid(refusal.to_invalid())),
                Ok(()) => {
                    read.unwrap_or_else(|| Err(AppError::internal("the run's rows were not read")))
                }
            };
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    send(RunMsg::Fatal(reasons_of(e)));
                    return;
                }
            };
            if !send(RunMsg::Total(rows.rows.len())) {
                return;
            }
            for (i, (row, values, errors)) in rows.rows.iter().enumerate() {
                let seq = i + 1;
                if done.contains(&seq) {
                    continue;
                }
                let outcome = if errors.is_empty() {
                    let pdf = match renderer.render(values) {
                        Ok(pdf) => pdf.map_err(|e| at_row(*row, vec![e])),
                        Err(e) => {
                            send(RunMsg::Abort(e));
                            return;
                        }
                    };
                    pdf.and_then(|pdf| {
                        let (mut pdf, mut checked) = (Some(pdf), None);
                        steps
                            .run(&mut || {
                                checked = pdf.take().map(|pdf| {
                                    check_merged(
                                        pdf,
                                        *row,
                                        ctx,
                                        &bundle.input,
                                        &options.created_by,
                                        options.now,
                                    )
                                });
                            })
                            .map_err(|refusal| at_row(*row, vec![refusal.to_invalid()]))?;
                        checked.unwrap_or_else(|| {
                            Err(at_row(
                                *row,
                                vec![Invalid::new(
                                    "document",
                                    codes::LETTER_REFUSED,
                                    "the letter was not checked",
                                )],
                            ))
                        })
                    })
                    .map(|(prepared, pdf)| (prepared, Some(pdf)))
                } else {
                    Err(errors.clone())
                };
                if !send(RunMsg::Item(Box::new(PieceResult {
                    seq,
                    source: format!("row {row}"),
                    outcome,
                }))) {
                    return;
                }
            }
        }
    }
}

impl App {
    /// The job of a run: processes it under the job's lease.
    pub(crate) async fn process_run_job(
        &self,
        org: OrgId,
        run: RunId,
        job: JobId,
        worker: &str,
    ) -> Result<crate::jobs::Outcome> {
        let lease = RunLease {
            job,
            worker: worker.to_string(),
        };
        self.process_run(org, run, Some(lease)).await?;
        Ok(crate::jobs::Outcome::Done { next: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use courrier_domain::OrgKind;

    #[test]
    fn bundles_round_trip_and_letter_ids_are_stable() {
        let input = LetterInput {
            reference: "Q1".into(),
            return_address: Some("Here".into()),
            ..LetterInput::default()
        };
        let actor = Actor::system("test", OrgId::random(), OrgKind::Customer);
        let bundle = Bundle {
            kind: RunKind::Merge,
            method: None,
            merge: MergeSpec {
                template: Some("#sys.inputs.name".into()),
                mapping: vec![("name".into(), Some("Kunde".into()))],
            },
            input: input.clone(),
            submit: true,
            actor: Value::Null,
            file: b"name\nAnna\n".to_vec(),
        };
        let back = Bundle::decode(&bundle.encode(&actor)).unwrap();
        assert_eq!(back.kind, RunKind::Merge);
        assert_eq!(back.input, input);
        assert!(back.submit);
        assert_eq!(back.merge.mapping, bundle.merge.mapping);
        assert_eq!(back.file, bundle.file);
        assert!(Bundle::decode(b"garbage").is_err());
        let run = RunId::random();
        assert_eq!(letter_id_for(run, 3), letter_id_for(run, 3));
        assert_ne!(letter_id_for(run, 3), letter_id_for(run, 4));
        let job = JobKind::ProcessRun {
            org: OrgId::random(),
            run,
        };
        let new = job.to_job(courrier_domain::Timestamp::from_millis(0));
        assert_eq!(JobKind::parse(&new.kind, &new.payload).unwrap(), job);
        assert_eq!(new.unique_key, Some(format!("run:{run}")));
    }
}
