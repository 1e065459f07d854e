//! The mail-center task queue, priced usage lines and pickups.
//!
//! A task is visible to its customer and to the mail center of its
//! location. Requesting a task moves its item in the same transaction
//! (compare-and-set on the item state); completing it is a compare-and-set
//! from `open` to `done` that also moves the item, appends the custody
//! events, writes the usage lines and may queue a job, all at once: a task
//! is completed, and billed, exactly once. Usage lines are unique per task
//! (or pickup) and kind. A pickup hands over several items in one
//! transaction.
//!
//! Here: the tasks; [`usage`] the usage lines, [`pickups`] the pickups.

use courrier_domain::codes;

mod pickups;
mod usage;

pub use pickups::PickupRecord;
pub(crate) use usage::{USAGE_COLS, insert_usage};
pub use usage::{UsageKind, UsageLineRecord};

use crate::audit::audit_scope_in_tx;
use crate::jobs::insert_job;
use crate::mail_items::{
    ITEM_COLS, MailItemRecord, OcrState, custody_in_tx, item_from_row, item_missing_or_moved,
};
use crate::mailbox::{corrupt, split_lines};
use crate::row::RowExt;
use crate::{NewJob, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{ActionKind, ItemState, is_overdue};
use courrier_domain::{LocationId, MailItemId, Money, OrgId, OrgScope, TaskId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    Open,
    Done,
    Cancelled,
}

impl TaskState {
    pub const fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Done => "done",
            TaskState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => TaskState::Open,
            "done" => TaskState::Done,
            "cancelled" => TaskState::Cancelled,
            _ => return None,
        })
    }
}

/// One request for the mail center's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    pub id: TaskId,
    /// Taken from the item when the task is stored.
    pub location: LocationId,
    pub item: MailItemId,
    /// The customer, taken from the item when the task is stored.
    pub org: OrgId,
    pub action: ActionKind,
    pub state: TaskState,
    pub requested_at: Timestamp,
    /// Audit label of who asked (set from the scope when stored).
    pub requested_by: String,
    /// The SLA deadline.
    pub due_at: Timestamp,
    pub done_at: Option<Timestamp>,
    pub done_by: Option<String>,
    /// The fee charged when the task is done (shipping is added then).
    pub fee: Money,
    /// Why the task exists when nobody asked for it, or the completion note.
    pub note: String,
    /// Where a forward goes.
    pub forward_address: Vec<String>,
    pub forward_country: Option<Country>,
    /// The customer allows bundling this forward with others.
    pub bundle: bool,
}

/// A task in the operator queue, with its item and whether it is late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedTask {
    pub task: TaskRecord,
    pub item: MailItemRecord,
    /// Open and past its deadline.
    pub overdue: bool,
}

/// Which tasks of the queue; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub state: Option<TaskState>,
    pub action: Option<ActionKind>,
    /// Due strictly before (e.g. the end of today).
    pub due_before: Option<Timestamp>,
}

/// The scan stored when a scan task is completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanUpload {
    pub document: uuid::Uuid,
    pub pages: Option<i32>,
}

/// Everything that happens when a task is done, in one transaction.
#[derive(Debug, Clone)]
pub struct TaskCompletion {
    pub task: TaskId,
    /// The item's state now, and after; equal when it does not move.
    pub item_from: ItemState,
    pub item_to: ItemState,
    /// Custody events `(event, detail)` in order.
    pub events: Vec<(String, String)>,
    /// A scan: stored on the item, whose OCR becomes `queued`.
    pub scan: Option<ScanUpload>,
    pub usage: Vec<UsageLineRecord>,
    /// A job queued with the completion (the OCR of the scan).
    pub job: Option<NewJob>,
    pub note: String,
}

const TASK_COLS: &str = "t.id, t.location_id, t.item_id, t.org_id, t.action, t.state, t.requested_at, \
    t.requested_by, t.due_at, t.done_at, t.done_by, t.fee_minor, t.currency, t.note, t.forward_address, \
    t.forward_country, t.bundle";

pub(crate) fn task_from_row(r: &impl RowExt) -> Result<TaskRecord> {
    let country: String = r.col("forward_country")?;
    Ok(TaskRecord {
        id: r.id("id")?,
        location: r.id("location_id")?,
        item: r.id("item_id")?,
        org: r.id("org_id")?,
        action: r.parsed("action", ActionKind::parse)?,
        state: TaskState::parse(&r.text("state")?).ok_or_else(|| corrupt("task state"))?,
        requested_at: r.ts("requested_at")?,
        requested_by: r.col("requested_by")?,
        due_at: r.ts("due_at")?,
        done_at: r.opt_ts("done_at")?,
        done_by: r.col("done_by")?,
        fee: r.money("fee_minor", "currency")?,
        note: r.col("note")?,
        forward_address: split_lines(&r.text("forward_address")?),
        forward_country: if country.is_empty() {
            None
        } else {
            Some(Country::parse(&country).map_err(corrupt)?)
        },
        bundle: r.col("bundle")?,
    })
}

/// Tasks visible to the organisation bound at `$n`: the customer's and those
/// at the mail center's locations.
fn task_visible(n: usize) -> String {
    format!("(t.org_id = ${n} OR t.location_id IN (SELECT id FROM locations WHERE org_id = ${n}))")
}

impl Store {
    /// Stores a requested task and moves its item from `item_from` to
    /// `item_to` in one transaction, with the custody event `event` and its
    /// audit entry. The task's customer and location are taken from the
    /// item, which must be visible to the scope and logged at a location
    /// (`NotFound` otherwise); an item that moved meanwhile is `Conflict {
    /// what: "item.state_changed" }`.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_task(
        &self,
        scope: &OrgScope,
        task: &TaskRecord,
        item_from: ItemState,
        item_to: ItemState,
        event: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            &format!("item.{event}"),
            task.item.to_string(),
            format!("task {} ({}) {detail}", task.id, task.action.as_str()),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE mail_items SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4 \
                 AND location_id IS NOT NULL AND id IN (SELECT i.id FROM mail_items i WHERE i.id = $3 AND {})",
                crate::mail_items::item_visible(5)
            )))
            .bind(item_to.as_str())
            .bind(now.millis())
            .bind(task.item.to_string())
            .bind(item_from.as_str())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(item_missing_or_moved!(tx, scope, task.item));
            }
            sqlx::query(
                "INSERT INTO tasks (id, location_id, item_id, org_id, action, state, requested_at, requested_by, due_at, \
                 fee_minor, currency, note, forward_address, forward_country, bundle) \
                 SELECT $1, i.location_id, i.id, i.org_id, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $11 \
                 FROM mail_items i WHERE i.id = $12 AND i.org_id IS NOT NULL",
            )
            .bind(task.id.to_string())
            .bind(task.action.as_str())
            .bind(task.requested_at.millis())
            .bind(scope.actor().to_string())
            .bind(task.due_at.millis())
            .bind(task.fee.minor())
            .bind(task.fee.currency().to_string())
            .bind(task.note.clone())
            .bind(task.forward_address.join("\n"))
            .bind(task.forward_country.map(|c| c.as_str().to_string()).unwrap_or_default())
            .bind(task.bundle)
            .bind(task.item.to_string())
            .execute(&mut *tx)
            .await?;
            custody_in_tx!(tx, task.item.to_string(), now, event, scope.actor(), detail);
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A task visible to the scope (its customer, or the mail center).
    pub async fn task(&self, scope: &OrgScope, id: TaskId) -> Result<TaskRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {TASK_COLS} FROM tasks t WHERE t.id = $1 AND {}",
                task_visible(2)
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            task_from_row(&r)
        })
    }

    /// The tasks of an item visible to the scope, oldest first.
    pub async fn item_tasks(&self, scope: &OrgScope, item: MailItemId) -> Result<Vec<TaskRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {TASK_COLS} FROM tasks t WHERE t.item_id = $1 AND {} ORDER BY t.requested_at, t.id",
                task_visible(2)
            )))
            .bind(item.to_string())
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(task_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// The queue of a location of the scope's mail center: tasks with their
    /// items, by deadline (earliest first), each flagged overdue when it is
    /// open and `now` is past its deadline. At most `limit` (1 to 500).
    pub async fn task_queue(
        &self,
        scope: &OrgScope,
        location: LocationId,
        filter: &TaskFilter,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<QueuedTask>> {
        self.own_location(scope, location).await?;
        let filter_sql = "t.location_id = $1 AND ($2 IS NULL OR t.state = $2) AND ($3 IS NULL OR t.action = $3) \
             AND ($4 IS NULL OR t.due_at < $4)";
        let mut tasks = Vec::new();
        let mut items = std::collections::HashMap::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {TASK_COLS} FROM tasks t WHERE {filter_sql} ORDER BY t.due_at, t.requested_at, t.id LIMIT $5"
            )))
            .bind(location.to_string())
            .bind(filter.state.map(|s| s.as_str()))
            .bind(filter.action.map(|a| a.as_str()))
            .bind(filter.due_before.map(|t| t.millis()))
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(p)
            .await?;
            for r in rows {
                tasks.push(task_from_row(&r)?);
            }
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM mail_items i WHERE i.id IN (SELECT t.item_id FROM tasks t WHERE {filter_sql} \
                 ORDER BY t.due_at, t.requested_at, t.id LIMIT $5)"
            )))
            .bind(location.to_string())
            .bind(filter.state.map(|s| s.as_str()))
            .bind(filter.action.map(|a| a.as_str()))
            .bind(filter.due_before.map(|t| t.millis()))
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(p)
            .await?;
            for r in rows {
                let item: MailItemRecord = item_from_row(&r)?;
                items.insert(item.id, item);
            }
        });
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            let item = items
                .get(&task.item)
                .cloned()
                .ok_or_else(|| corrupt("task without its item"))?;
            let overdue = task.state == TaskState::Open && is_overdue(task.due_at, now);
            out.push(QueuedTask {
                task,
                item,
                overdue,
            });
        }
        Ok(out)
    }

    /// Completes an open task of the scope's mail center: see
    /// [`TaskCompletion`]. A task that is no longer open is `Conflict {
    /// what: "task.not_open" }`, so it is done (and billed) only once.
    pub async fn complete_task(
        &self,
        scope: &OrgScope,
        done: &TaskCompletion,
        now: Timestamp,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            "task.done",
            done.task.to_string(),
            format!(
                "{} → {}{}",
                done.item_from.as_str(),
                done.item_to.as_str(),
                if done.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", done.note)
                }
            ),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE tasks SET state = 'done', done_at = $1, done_by = $2, \
                 note = CASE WHEN $3 = '' THEN note ELSE $3 END \
                 WHERE id = $4 AND state = 'open' AND location_id IN (SELECT id FROM locations WHERE org_id = $5)",
            )
            .bind(now.millis())
            .bind(scope.actor().to_string())
            .bind(done.note.clone())
            .bind(done.task.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                let exists: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM tasks WHERE id = $1 AND location_id IN (SELECT id FROM locations WHERE org_id = $2)",
                )
                .bind(done.task.to_string())
                .bind(scope.org().to_string())
                .fetch_optional(&mut *tx)
                .await?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict {
                        what: codes::TASK_NOT_OPEN,
                    },
                    None => StoreError::NotFound,
                });
            }
            let item: String = sqlx::query_scalar("SELECT item_id FROM tasks WHERE id = $1")
                .bind(done.task.to_string())
                .fetch_one(&mut *tx)
                .await?;
            let n = sqlx::query(
                "UPDATE mail_items SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
            )
            .bind(done.item_to.as_str())
            .bind(now.millis())
            .bind(item.clone())
            .bind(done.item_from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict {
                    what: codes::ITEM_STATE_CHANGED,
                });
            }
            if let Some(scan) = &done.scan {
                sqlx::query(
                    "UPDATE mail_items SET scan_document_id = $1, pages = $2, ocr_state = $3, ocr_pages_done = 0, \
                     ocr_pages_total = 0, ocr_error = '' WHERE id = $4",
                )
                .bind(scan.document.to_string())
                .bind(scan.pages)
                .bind(OcrState::Queued.as_str())
                .bind(item.clone())
                .execute(&mut *tx)
                .await?;
            }
            for (event, detail) in &done.events {
                custody_in_tx!(tx, item.clone(), now, event, scope.actor(), detail);
            }
            for u in &done.usage {
                insert_usage!(tx, u);
            }
            if let Some(job) = &done.job {
                insert_job!(&mut *tx, job, now);
            }
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
