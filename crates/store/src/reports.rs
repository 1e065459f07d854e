//! Reports of sent letters: the schedules an organisation sets up (a CSV every
//! day, week or month, e-mailed as a link) and the reports made, by a schedule
//! or on demand. Creating and disabling a schedule and making a report are
//! audited in the same transaction. A scheduled report is unique per schedule
//! and period (`reports_schedule_period`), and it is written together with its
//! e-mail, the e-mail's delivery job and the schedule's next run in one
//! transaction, so a retried job can neither lose nor repeat the message.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::emails::insert_email;
use crate::jobs::insert_job;
use crate::row::RowExt;
use crate::users::paged;
use crate::{EmailRecord, NewJob, Page, Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{EmailAddress, OrgId, OrgScope, ReportId, ReportScheduleId, Timestamp};

/// How often a schedule sends its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFrequency {
    /// The previous day.
    Daily,
    /// The previous ISO week, Monday to Sunday.
    Weekly,
    /// The previous calendar month.
    Monthly,
}

impl ReportFrequency {
    pub const ALL: [ReportFrequency; 3] = [
        ReportFrequency::Daily,
        ReportFrequency::Weekly,
        ReportFrequency::Monthly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportFrequency::Daily => "daily",
            ReportFrequency::Weekly => "weekly",
            ReportFrequency::Monthly => "monthly",
        }
    }

    /// `daily`, `weekly` or `monthly`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        ReportFrequency::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim())
    }
}

/// A recurring report of an organisation.
#[derive(Debug, Clone)]
pub struct ReportScheduleRecord {
    pub id: ReportScheduleId,
    pub org: OrgId,
    pub frequency: ReportFrequency,
    /// Where the link to each report is sent.
    pub recipient: EmailAddress,
    /// When the next report is due (the end of the period it covers).
    pub next_run_at: Timestamp,
    /// Who set it up: `user:<id>`, `apikey:<id>` or `system:<name>`.
    pub created_by: String,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

/// One report: the letters submitted in `[period_from, period_to)` as a CSV
/// document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    pub id: ReportId,
    pub org: OrgId,
    /// The schedule that made it; `None` for a report made on demand.
    pub schedule: Option<ReportScheduleId>,
    pub period_from: Timestamp,
    pub period_to: Timestamp,
    /// The CSV, stored encrypted.
    pub document: uuid::Uuid,
    /// Letters in the report (lines of the CSV after the header).
    pub rows: i32,
    pub created_at: Timestamp,
}

/// What goes out with a scheduled report, in the report's transaction.
#[derive(Debug, Clone)]
pub struct ReportDelivery<'a> {
    /// The message that carries the link.
    pub email: &'a EmailRecord,
    /// The message's delivery job.
    pub job: &'a NewJob,
    /// The schedule's next due time.
    pub next_run_at: Timestamp,
}

const SCHEDULE_COLS: &str =
    "id, org_id, frequency, recipient_email, next_run_at, created_by, created_at, disabled_at";

const REPORT_COLS: &str =
    "id, org_id, schedule_id, period_from, period_to, document_id, rows, created_at";

pub(crate) fn schedule_from_row(r: &impl RowExt) -> Result<ReportScheduleRecord> {
    let frequency: String = r.col("frequency")?;
    Ok(ReportScheduleRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        frequency: ReportFrequency::parse(&frequency)
            .ok_or_else(|| StoreError::Corrupt(format!("report frequency '{frequency}'")))?,
        recipient: r.parsed("recipient_email", EmailAddress::parse)?,
        next_run_at: r.ts("next_run_at")?,
        created_by: r.col("created_by")?,
        created_at: r.ts("created_at")?,
        disabled_at: r.opt_ts("disabled_at")?,
    })
}

pub(crate) fn report_from_row(r: &impl RowExt) -> Result<ReportRecord> {
    Ok(ReportRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        schedule: r.opt_id("schedule_id")?,
        period_from: r.ts("period_from")?,
        period_to: r.ts("period_to")?,
        document: r.id("document_id")?,
        rows: r.col("rows")?,
        created_at: r.ts("created_at")?,
    })
}

/// Inserts a report and its audit entry inside `$tx`; a second report of the
/// same schedule and period is the conflict `report.exists`.
macro_rules! insert_report {
    ($tx:expr, $d:expr, $scope:expr, $report:expr, $now:expr) => {{
        let report: &ReportRecord = $report;
        let event = AuditEvent::new(
            "report.created",
            report.id.to_string(),
            format!(
                "{} letters submitted from {} to {}{}",
                report.rows,
                report.period_from.millis(),
                report.period_to.millis(),
                match report.schedule {
                    Some(s) => format!(", schedule {s}"),
                    None => String::new(),
                }
            ),
        );
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO reports ({REPORT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(report.id.to_string())
        .bind($scope.org().to_string())
        .bind(report.schedule.map(|s| s.to_string()))
        .bind(report.period_from.millis())
        .bind(report.period_to.millis())
        .bind(report.document.to_string())
        .bind(report.rows)
        .bind(report.created_at.millis())
        .execute(&mut *$tx)
        .await
        .map_err(|e| StoreError::unique(e, codes::REPORT_EXISTS))?;
        audit_scope_in_tx!($tx, $d, $scope, &event, $now);
    }};
}

impl Store {
    // ----- schedules -----

    /// Sets up a schedule unless the organisation already has `max_active`
    /// active ones (`report_schedule.limit`).
    pub async fn create_report_schedule(
        &self,
        scope: &OrgScope,
        schedule: &ReportScheduleRecord,
        max_active: i64,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "report_schedule.created",
            schedule.id.to_string(),
            format!("{} to {}", schedule.frequency.as_str(), schedule.recipient),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            // Lock the organisation first so concurrent schedules count in turn.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM orgs WHERE id = $1{}",
                d.lock_rows
            )))
            .bind(scope.org().to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let active: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM report_schedules WHERE org_id = $1 AND disabled_at IS NULL",
            )
            .bind(scope.org().to_string())
            .fetch_one(&mut *tx)
            .await?;
            if active >= max_active {
                return Err(StoreError::Refused {
                    what: codes::REPORT_SCHEDULE_LIMIT,
                });
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO report_schedules ({SCHEDULE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)"
            )))
            .bind(schedule.id.to_string())
            .bind(scope.org().to_string())
            .bind(schedule.frequency.as_str())
            .bind(schedule.recipient.to_string())
            .bind(schedule.next_run_at.millis())
            .bind(scope.actor().to_string())
            .bind(schedule.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, codes::REPORT_SCHEDULE_EXISTS))?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn report_schedule(
        &self,
        scope: &OrgScope,
        id: ReportScheduleId,
    ) -> Result<ReportScheduleRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SCHEDULE_COLS} FROM report_schedules WHERE id = $1 AND org_id = $2"
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            schedule_from_row(&r)
        })
    }

    /// The organisation's schedules, active and disabled, oldest first.
    pub async fn list_report_schedules(
        &self,
        scope: &OrgScope,
    ) -> Result<Vec<ReportScheduleRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SCHEDULE_COLS} FROM report_schedules WHERE org_id = $1 \
                 ORDER BY created_at, id LIMIT 500"
            )))
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(schedule_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Stops a schedule. `NotFound` when it is not the organisation's or is
    /// disabled already.
    pub async fn disable_report_schedule(
        &self,
        scope: &OrgScope,
        id: ReportScheduleId,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("report_schedule.disabled", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE report_schedules SET disabled_at = $1 \
                 WHERE id = $2 AND org_id = $3 AND disabled_at IS NULL",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Active schedules whose next report is due at `now`, across
    /// organisations, most overdue first; at most `limit` (≤ 500). For the
    /// reports job.
    pub async fn due_report_schedules(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<ReportScheduleRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SCHEDULE_COLS} FROM report_schedules \
                 WHERE disabled_at IS NULL AND next_run_at <= $1 ORDER BY next_run_at, id LIMIT $2"
            )))
            .bind(now.millis())
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(schedule_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Moves a schedule's next due time (bookkeeping of the reports job, not
    /// audited). `NotFound` when it is not the organisation's.
    pub async fn advance_report_schedule(
        &self,
        scope: &OrgScope,
        id: ReportScheduleId,
        next_run_at: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE report_schedules SET next_run_at = $1 WHERE id = $2 AND org_id = $3",
            )
            .bind(next_run_at.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(p)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    // ----- reports -----

    /// Records a report made on demand (or by a schedule, without e-mail).
    /// A second report of one schedule and period is `report.exists`.
    pub async fn create_report(
        &self,
        scope: &OrgScope,
        report: &ReportRecord,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_report!(tx, d, scope, report, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records a scheduled report, queues its e-mail with the delivery job and
    /// moves the schedule to its next run, all in one transaction. When the
    /// schedule already has a report for this period (a retried job) nothing
    /// is written and the answer is `report.exists`.
    pub async fn create_scheduled_report(
        &self,
        scope: &OrgScope,
        report: &ReportRecord,
        delivery: &ReportDelivery<'_>,
        now: Timestamp,
    ) -> Result<()> {
        let schedule = report
            .schedule
            .ok_or(StoreError::Refused {
                what: codes::REPORT_NO_SCHEDULE,
            })?
            .to_string();
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE report_schedules SET next_run_at = $1 WHERE id = $2 AND org_id = $3",
            )
            .bind(delivery.next_run_at.millis())
            .bind(schedule.clone())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            insert_report!(tx, d, scope, report, now);
            insert_email!(&mut *tx, delivery.email, now);
            insert_job!(&mut *tx, delivery.job, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn report(&self, scope: &OrgScope, id: ReportId) -> Result<ReportRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLS} FROM reports WHERE id = $1 AND org_id = $2"
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            report_from_row(&r)
        })
    }

    /// The report a schedule made for the period starting at `period_from`, if any.
    pub async fn scheduled_report_for(
        &self,
        scope: &OrgScope,
        schedule: ReportScheduleId,
        period_from: Timestamp,
    ) -> Result<Option<ReportRecord>> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLS} FROM reports \
                 WHERE org_id = $1 AND schedule_id = $2 AND period_from = $3"
            )))
            .bind(scope.org().to_string())
            .bind(schedule.to_string())
            .bind(period_from.millis())
            .fetch_optional(p)
            .await?;
            match r {
                Some(r) => Ok(Some(report_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// The organisation's reports, newest first; the cursor is
    /// `<created_at>:<id>` of the last report seen.
    pub async fn list_reports(
        &self,
        scope: &OrgScope,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ReportRecord>> {
        let limit = i64::from(limit.clamp(1, 200));
        let (c_at, c_id) = crate::users::parse_time_cursor(cursor)?;
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLS} FROM reports WHERE org_id = $1 \
                 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                 ORDER BY created_at DESC, id DESC LIMIT $4"
            )))
            .bind(scope.org().to_string())
            .bind(c_at)
            .bind(c_id.clone())
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(report_from_row(&r)?);
            }
        });
        Ok(paged(items, limit, |r| {
            format!("{}:{}", r.created_at.millis(), r.id)
        }))
    }
}
