//! Bulk runs: a split or a merge making many letters, item by item.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::row::corrupt;
use crate::users::{paged, parse_id};
use crate::{Page, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{LetterId, OrgId, OrgScope, RunId, Timestamp};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Split,
    Merge,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Split => "split",
            RunKind::Merge => "merge",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Queued,
    Running,
    Done,
    Failed,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunRecord {
    pub id: RunId,
    pub org: OrgId,
    pub kind: RunKind,
    pub state: RunState,
    pub method: String,
    pub source_name: String,
    pub source_document: Option<uuid::Uuid>,
    pub total: i32,
    pub processed: i32,
    pub accepted: i32,
    pub refused: i32,
    pub error: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunItemRecord {
    pub seq: i32,
    pub source: String,
    pub accepted: bool,
    pub letter: Option<LetterId>,
    pub reasons: String,
}

const RUN_COLS: &str = "id, org_id, kind, state, method, source_name, source_document_id, total, processed, accepted, \
    refused, error, created_by, created_at, finished_at";

pub(crate) fn run_from_row(r: &impl RowExt) -> Result<RunRecord> {
    Ok(RunRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        kind: match r.text("kind")?.as_str() {
            "split" => RunKind::Split,
            "merge" => RunKind::Merge,
            other => return Err(corrupt(format!("run kind '{other}'"))),
        },
        state: match r.text("state")?.as_str() {
            "queued" => RunState::Queued,
            "running" => RunState::Running,
            "done" => RunState::Done,
            "failed" => RunState::Failed,
            other => return Err(corrupt(format!("run state '{other}'"))),
        },
        method: r.col("method")?,
        source_name: r.col("source_name")?,
        source_document: r.opt_id("source_document_id")?,
        total: r.col("total")?,
        processed: r.col("processed")?,
        accepted: r.col("accepted")?,
        refused: r.col("refused")?,
        error: r.col("error")?,
        created_by: r.col("created_by")?,
        created_at: r.ts("created_at")?,
        finished_at: r.opt_ts("finished_at")?,
    })
}

impl Store {
    pub async fn create_run(
        &self,
        scope: &OrgScope,
        run: &RunRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            &format!("run.{}", run.kind.as_str()),
            run.id.to_string(),
            format!("{} ({})", run.source_name, run.method),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO runs ({RUN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            )))
            .bind(run.id.to_string())
            .bind(scope.org().to_string())
            .bind(run.kind.as_str())
            .bind(run.state.as_str())
            .bind(run.method.clone())
            .bind(run.source_name.clone())
            .bind(run.source_document.map(|d| d.to_string()))
            .bind(run.total)
            .bind(run.processed)
            .bind(run.accepted)
            .bind(run.refused)
            .bind(run.error.clone())
            .bind(scope.actor().to_string())
            .bind(run.created_at.millis())
            .bind(run.finished_at.map(|t| t.millis()))
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn run(&self, scope: &OrgScope, id: RunId) -> Result<RunRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLS} FROM runs WHERE id = $1 AND org_id = $2"
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            run_from_row(&r)
        })
    }

    pub async fn list_runs(
        &self,
        scope: &OrgScope,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<RunRecord>> {
        let limit = i64::from(limit.clamp(1, 200));
        let before = match cursor {
            Some(c) => c.parse::<i64>().map_err(|_| StoreError::Refused {
                what: codes::CURSOR_INVALID,
            })?,
            None => i64::MAX,
        };
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLS} FROM runs WHERE org_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3"
            )))
            .bind(scope.org().to_string())
            .bind(before)
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(run_from_row(&r)?);
            }
        });
        Ok(paged(items, limit, |r| r.created_at.millis().to_string()))
    }

    /// Records the outcome of one letter of a run and advances its counters,
    /// in one transaction: progress never disagrees with the items.
    pub async fn record_run_item(
        &self,
        scope: &OrgScope,
        run: RunId,
        item: &RunItemRecord,
        total: i32,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            // The run must be the scope's before anything is written about it.
            let n = sqlx::query(
                "UPDATE runs SET state = 'running', total = $1, processed = processed + 1, \
                 accepted = accepted + $2, refused = refused + $3 WHERE id = $4 AND org_id = $5",
            )
            .bind(total)
            .bind(i32::from(item.accepted))
            .bind(i32::from(!item.accepted))
            .bind(run.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO run_items (run_id, seq, source, outcome, letter_id, reasons) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(run.to_string())
            .bind(item.seq)
            .bind(item.source.clone())
            .bind(if item.accepted { "accepted" } else { "refused" })
            .bind(item.letter.map(|l| l.to_string()))
            .bind(item.reasons.clone())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, codes::RUN_ITEM_RECORDED))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn finish_run(
        &self,
        scope: &OrgScope,
        run: RunId,
        state: RunState,
        error: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("UPDATE runs SET state = $1, error = $2, finished_at = $3 WHERE id = $4 AND org_id = $5")
                .bind(state.as_str())
                .bind(error.to_string())
                .bind(now.millis())
                .bind(run.to_string())
                .bind(scope.org().to_string())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn run_items(&self, scope: &OrgScope, run: RunId) -> Result<Vec<RunItemRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT i.seq, i.source, i.outcome, i.letter_id, i.reasons FROM run_items i JOIN runs r ON r.id = i.run_id \
                 WHERE i.run_id = $1 AND r.org_id = $2 ORDER BY i.seq",
            )
            .bind(run.to_string())
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(RunItemRecord {
                    seq: r.try_get("seq")?,
                    source: r.try_get("source")?,
                    accepted: r.try_get::<String, _>("outcome")? == "accepted",
                    letter: r
                        .try_get::<Option<String>, _>("letter_id")?
                        .map(parse_id)
                        .transpose()?,
                    reasons: r.try_get("reasons")?,
                });
            }
        });
        Ok(out)
    }
}
