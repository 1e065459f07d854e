//! The operator side of requests: the task queue of a location, ordered by
//! deadline with overdue tasks flagged, and completions. Completing a task
//! records who did it and when, moves the item, appends the custody events
//! and writes the priced usage lines, in one transaction, exactly once. A
//! scan completion stores the scan encrypted under the customer's key and
//! queues its OCR ([`crate::jobs::JobKind::OcrItem`]).

use super::{invalid, vat_bp};
use crate::jobs::JobKind;
use crate::workers::DocumentWorkers;
use crate::{App, AppError, Result};
use courrier_documents::IntakeLimits;
use courrier_documents::images::{ScanLimits, ScanPart, combine_scan};
use courrier_domain::codes;
use courrier_domain::mailbox::{
    ActionKind, ItemEvent, PriceList, check_clerk_amount, forward_price_capped, transition,
};
use courrier_domain::{Actor, LocationId, Money, OrgScope, Permission, TaskId};
use courrier_store::{
    MailItemRecord, ScanUpload, TaskCompletion, TaskFilter, TaskRecord, TaskState, UsageKind,
    UsageLineRecord,
};

/// A task as the operator queue shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub task: TaskRecord,
    pub item: MailItemRecord,
    /// Open and past its deadline: shown first and marked.
    pub overdue: bool,
    /// The fee, only for people who see money (`money.view`).
    pub fee: Option<Money>,
}

/// How a task was done; it must match the task's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// A scan task: the scan as one PDF (any number of pages) or one image
    /// (JPEG, PNG, or a multi-page TIFF).
    Scan(Vec<u8>),
    /// A scan task finished with several files in order (PDFs and JPEG or
    /// PNG photos, one per page), combined into one PDF; a single PDF (or
    /// TIFF) is kept as it is. See [`courrier_documents::images`].
    ScanFiles(Vec<ScanFile>),
    /// A forward (or the paper original of a letter): the carrier's retail
    /// price, the mail center's markup in basis points (at most the cap,
    /// 1.5 × retail), and the tracking number if any.
    Shipped {
        retail: Money,
        markup_bp: u32,
        tracking: String,
    },
    Shredded,
    Recycled,
    /// A hold for pickup: the item is on the pickup shelf.
    Shelved,
    /// A local delivery: handed over at the customer's door.
    Delivered,
}

/// One file of a scan upload, in the clerk's order, with the name the
/// device gave it (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The scan of several files as one document: a lone PDF or TIFF as it is
/// (up to the total limit, as a single upload always was), anything else
/// combined into one PDF. A file that is not a PDF, JPEG or
/// PNG, or sizes beyond the limits, refuse the whole scan, naming the file.
async fn scan_from_files(workers: &DocumentWorkers, files: Vec<ScanFile>) -> Result<Vec<u8>> {
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    workers
        .run(total, move || {
            if let [only] = files.as_slice()
                && (scan_kind(&only.bytes)
                    .is_ok_and(|(t, _)| t == "application/pdf" || t == "image/tiff"))
                && only.bytes.len() <= ScanLimits::default().max_total_bytes
            {
                return Ok(files
                    .into_iter()
                    .next()
                    .map(|f| f.bytes)
                    .unwrap_or_default());
            }
            let parts: Vec<ScanPart<'_>> = files
                .iter()
                .map(|f| ScanPart {
                    name: &f.name,
                    bytes: &f.bytes,
                })
                .collect();
            combine_scan(&parts, &ScanLimits::default())
                .map(|c| c.pdf)
                .map_err(|f| invalid("file", f.code, f.message))
        })
        .await
}

/// A scan upload checked: its content type and page count.
fn scan_kind(bytes: &[u8]) -> Result<(&'static str, Option<i32>)> {
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    if head.windows(5).any(|w| w == b"%PDF-") {
        let doc = courrier_documents::load_pdf(bytes, &IntakeLimits::default())
            .map_err(|f| invalid("scan", codes::MAIL_SCAN_INVALID, f.to_invalid().message))?;
        let pages = match courrier_documents::check_content(&doc) {
            Ok(pages) => pages,
            Err(f) if f.code == "pdf.no_pages" => {
                return Err(invalid(
                    "scan",
                    codes::MAIL_SCAN_INVALID,
                    "the PDF has no pages",
                ));
            }
            Err(f) => return Err(invalid("scan", codes::MAIL_SCAN_INVALID, f.message)),
        };
        return Ok((
            "application/pdf",
            Some(i32::try_from(pages).unwrap_or(i32::MAX)),
        ));
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Ok(("image/jpeg", Some(1)));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(("image/png", Some(1)));
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Ok(("image/tiff", None));
    }
    Err(invalid(
        "scan",
        codes::MAIL_SCAN_INVALID,
        "a scan is a PDF, or a JPEG, PNG or TIFF image",
    ))
}

impl App {
    /// The queue of one of the actor's locations (`mailcenter.operate`), by
    /// deadline, at most 500 tasks. Fees are left out unless the actor has
    /// `money.view` (clerks do not).
    pub async fn task_queue(
        &self,
        actor: &Actor,
        location: LocationId,
        filter: &TaskFilter,
    ) -> Result<Vec<TaskView>> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        let money = actor.can(Permission::MoneyView);
        Ok(self
            .store
            .task_queue(&scope, location.id, filter, self.now(), 500)
            .await?
            .into_iter()
            .map(|q| TaskView {
                fee: money.then_some(q.task.fee),
                task: q.task,
                item: q.item,
                overdue: q.overdue,
            })
            .collect())
    }

    /// Finishes a scan task with the uploaded scan: see [`App::complete_task`].
    pub async fn complete_scan_task(
        &self,
        actor: &Actor,
        task: TaskId,
        scan: &[u8],
    ) -> Result<TaskRecord> {
        self.complete_task(actor, task, Completion::Scan(scan.to_vec()))
            .await
    }

    /// Finishes a scan task with several files in order: see
    /// [`Completion::ScanFiles`].
    pub async fn complete_scan_task_files(
        &self,
        actor: &Actor,
        task: TaskId,
        files: Vec<ScanFile>,
    ) -> Result<TaskRecord> {
        self.complete_task(actor, task, Completion::ScanFiles(files))
            .await
    }

    /// A task of one of the actor's locations (`mailcenter.operate`); another
    /// organisation's is `NotFound`. Checked before a completion is read.
    pub async fn operated_task(&self, actor: &Actor, task: TaskId) -> Result<TaskRecord> {
        let scope = actor.scope(Permission::MailCenterOperate)?;
        let task = self.store.task(&scope, task).await?;
        self.store.own_location(&scope, task.location).await?;
        Ok(task)
    }

    /// Completes an open task of one of the actor's locations
    /// (`mailcenter.operate`). The completion must fit the task
    /// (`mail.completion_mismatch`); a task done already is
    /// `Conflict("task.not_open")`. Usage lines: the scan fee (CHF 0.80);
    /// for a forward, its fee (2.50 when the item could not be scanned) and
    /// the shipping price with the markup; for a paper original, its fee
    /// (CHF 5.00) and shipping; VAT of the location's country.
    pub async fn complete_task(
        &self,
        actor: &Actor,
        task: TaskId,
        completion: Completion,
    ) -> Result<TaskRecord> {
        let scope = actor.scope(Permission::MailCenterOperate)?;
        let task = self.store.task(&scope, task).await?;
        let location = self.store.own_location(&scope, task.location).await?;
        if task.state != TaskState::Open {
            return Err(AppError::Conflict(codes::TASK_NOT_OPEN));
        }
        let item = self.store.item(&scope, task.item).await?;
        let now = self.now();
        let vat = vat_bp(&location.country);
        let line = |kind: UsageKind, amount: Money, description: String| UsageLineRecord {
            id: uuid::Uuid::new_v4(),
            org: task.org,
            kind,
            item: Some(item.id),
            task: Some(task.id),
            pickup: None,
            amount,
            vat_bp: vat,
            created_at: now,
            description,
        };
        let step = |event: ItemEvent| -> Result<_> { Ok(transition(item.state, event)?) };
        let completion = match completion {
            Completion::ScanFiles(files) if task.action == ActionKind::Scan => {
                // Each file as uploaded, before it is taken apart.
                for f in &files {
                    self.check_upload(&f.bytes).await?;
                }
                Completion::Scan(scan_from_files(&self.document_workers, files).await?)
            }
            other => other,
        };
        let mut stored_scan: Option<uuid::Uuid> = None;
        let done = match (task.action, completion) {
            (ActionKind::Scan, Completion::Scan(bytes)) => {
                let copy = bytes.clone();
                let (content_type, pages) = self
                    .document_workers
                    .run(copy.len(), move || scan_kind(&copy))
                    .await?;
                self.check_upload(&bytes).await?;
                let document = self
                    .store_document(
                        &OrgScope::system(task.org, scope.actor()),
                        &bytes,
                        content_type,
                    )
                    .await?;
                stored_scan = Some(document);
                TaskCompletion {
                    task: task.id,
                    item_from: item.state,
                    item_to: step(ItemEvent::ScanDone)?,
                    events: vec![(
                        ItemEvent::ScanDone.as_str().into(),
                        pages.map_or_else(
                            || "scanned".to_string(),
                            |p| format!("{p} pages scanned"),
                        ),
                    )],
                    scan: Some(ScanUpload { document, pages }),
                    usage: vec![line(
                        UsageKind::Scan,
                        task.fee,
                        format!("scan of {}", item.id),
                    )],
                    job: Some(JobKind::OcrItem { item: item.id }.to_job(now)),
                    note: String::new(),
                }
            }
            (
                ActionKind::Forward | ActionKind::PaperOriginal,
                Completion::Shipped {
                    retail,
                    markup_bp,
                    tracking,
                },
            ) => {
                check_clerk_amount("retail", retail)?;
                let shipping =
                    forward_price_capped(retail, markup_bp, PriceList::DEFAULT.markup_cap_bp)?;
                if shipping.currency() != task.fee.currency() {
                    return Err(invalid(
                        "retail",
                        codes::MAIL_PRICE_INVALID,
                        format!("shipping is charged in {}", task.fee.currency()),
                    ));
                }
                let tracking: String = tracking.trim().chars().take(64).collect();
                let kind = if task.action == ActionKind::PaperOriginal {
                    UsageKind::PaperOriginal
                } else {
                    UsageKind::Forward
                };
                let mut usage = Vec::new();
                if task.fee.minor() > 0 {
                    usage.push(line(
                        kind,
                        task.fee,
                        format!("{} of {}", kind.as_str(), item.id),
                    ));
                }
                if shipping.minor() > 0 {
                    usage.push(line(
                        UsageKind::Postage,
                        shipping,
                        format!("shipping of {} (retail {retail})", item.id),
                    ));
                }
                TaskCompletion {
                    task: task.id,
                    item_from: item.state,
                    item_to: step(ItemEvent::Shipped)?,
                    events: vec![(
                        ItemEvent::Shipped.as_str().into(),
                        format!(
                            "to {}; tracking {tracking}",
                            task.forward_address.join(", ")
                        ),
                    )],
                    scan: None,
                    usage,
                    job: None,
                    note: tracking,
                }
            }
            (ActionKind::Shred, Completion::Shredded) => simple(
                &task,
                &item,
                step(ItemEvent::ShredDone)?,
                ItemEvent::ShredDone.as_str(),
            ),
            (ActionKind::Recycle, Completion::Recycled) => simple(
                &task,
                &item,
                step(ItemEvent::RecycleDone)?,
                ItemEvent::RecycleDone.as_str(),
            ),
            (ActionKind::HoldForPickup, Completion::Shelved) => {
                simple(&task, &item, item.state, "shelved")
            }
            (ActionKind::LocalDelivery, Completion::Delivered) => {
                let out = transition(item.state, ItemEvent::HandToCourier)?;
                let delivered = transition(out, ItemEvent::DeliveryConfirmed)?;
                let mut done = simple(&task, &item, delivered, ItemEvent::HandToCourier.as_str());
                done.events
                    .push((ItemEvent::DeliveryConfirmed.as_str().into(), String::new()));
                done
            }
            (action, _) => {
                return Err(invalid(
                    "completion",
                    codes::MAIL_COMPLETION_MISMATCH,
                    format!("this is a {action} task"),
                ));
            }
        };
        if let Err(e) = self.store.complete_task(&scope, &done, now).await {
            if let Some(document) = stored_scan
                && let Err(cleanup) = self
                    .shred_document(&OrgScope::system(task.org, scope.actor()), document)
                    .await
            {
                tracing::warn!(%document, error = %cleanup, "scan of a task not completed was not shredded");
            }
            return Err(e.into());
        }
        Ok(self.store.task(&scope, task.id).await?)
    }
}

/// A completion with one custody event and no fee.
fn simple(
    task: &TaskRecord,
    item: &MailItemRecord,
    to: courrier_domain::mailbox::ItemState,
    event: &str,
) -> TaskCompletion {
    TaskCompletion {
        task: task.id,
        item_from: item.state,
        item_to: to,
        events: vec![(event.to_string(), String::new())],
        scan: None,
        usage: Vec::new(),
        job: None,
        note: String::new(),
    }
}
