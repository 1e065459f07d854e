//! Priced billable acts, to be invoiced: unique per task (or pickup) and kind.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::mail_items::opt_id;
use crate::mailbox::corrupt;
use crate::users::parse_id;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{Currency, MailItemId, Money, OrgId, OrgScope, PickupId, TaskId, Timestamp};
use sqlx::Row;

/// What a usage line bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageKind {
    Scan,
    Forward,
    PaperOriginal,
    PickupFee,
    Plan,
    Postage,
}

impl UsageKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            UsageKind::Scan => "scan",
            UsageKind::Forward => "forward",
            UsageKind::PaperOriginal => "paper_original",
            UsageKind::PickupFee => "pickup_fee",
            UsageKind::Plan => "plan",
            UsageKind::Postage => "postage",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "scan" => UsageKind::Scan,
            "forward" => UsageKind::Forward,
            "paper_original" => UsageKind::PaperOriginal,
            "pickup_fee" => UsageKind::PickupFee,
            "plan" => UsageKind::Plan,
            "postage" => UsageKind::Postage,
            _ => return None,
        })
    }
}

/// A priced billable act, to be invoiced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLineRecord {
    pub id: uuid::Uuid,
    /// Who pays.
    pub org: OrgId,
    pub kind: UsageKind,
    pub item: Option<MailItemId>,
    pub task: Option<TaskId>,
    pub pickup: Option<PickupId>,
    /// Net amount.
    pub amount: Money,
    /// VAT rate in basis points (810 = 8.1 %).
    pub vat_bp: u32,
    pub created_at: Timestamp,
    pub description: String,
}

pub(crate) const USAGE_COLS: &str = "id, org_id, kind, item_id, task_id, pickup_id, amount_minor, currency, vat_bp, \
    created_at, description";

macro_rules! insert_usage {
    ($tx:expr, $u:expr) => {{
        let u: &UsageLineRecord = $u;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO usage_lines ({USAGE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(u.id.to_string())
        .bind(u.org.to_string())
        .bind(u.kind.as_str())
        .bind(u.item.map(|i| i.to_string()))
        .bind(u.task.map(|i| i.to_string()))
        .bind(u.pickup.map(|i| i.to_string()))
        .bind(u.amount.minor())
        .bind(u.amount.currency().to_string())
        .bind(i32::try_from(u.vat_bp).unwrap_or(i32::MAX))
        .bind(u.created_at.millis())
        .bind(u.description.clone())
        .execute(&mut *$tx)
        .await
        .map_err(|e| StoreError::unique(e, codes::USAGE_ALREADY_BILLED))?;
    }};
}
pub(crate) use insert_usage;

impl Store {
    /// Records a usage line on its own (a monthly plan, postage).
    pub async fn add_usage_line(
        &self,
        scope: &OrgScope,
        line: &UsageLineRecord,
        now: Timestamp,
    ) -> Result<()> {
        let audit = AuditEvent::new(
            &format!("usage.{}", line.kind.as_str()),
            line.id.to_string(),
            format!("{} for {}", line.amount, line.org),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_usage!(tx, line);
            audit_scope_in_tx!(tx, d, scope, &audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The usage lines billed to the scope's organisation, created in
    /// `[from, before)`, oldest first (at most 5000).
    pub async fn usage_lines(
        &self,
        scope: &OrgScope,
        from: Timestamp,
        before: Timestamp,
    ) -> Result<Vec<UsageLineRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USAGE_COLS} FROM usage_lines WHERE org_id = $1 AND created_at >= $2 AND created_at < $3 \
                 ORDER BY created_at, id LIMIT 5000"
            )))
            .bind(scope.org().to_string())
            .bind(from.millis())
            .bind(before.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(UsageLineRecord {
                    id: parse_id(r.try_get::<String, _>("id")?)?,
                    org: parse_id(r.try_get::<String, _>("org_id")?)?,
                    kind: UsageKind::parse(&r.try_get::<String, _>("kind")?)
                        .ok_or_else(|| corrupt("usage kind"))?,
                    item: opt_id(r.try_get("item_id")?)?,
                    task: opt_id(r.try_get("task_id")?)?,
                    pickup: opt_id(r.try_get("pickup_id")?)?,
                    amount: Money::new(
                        r.try_get("amount_minor")?,
                        Currency::parse(&r.try_get::<String, _>("currency")?).map_err(corrupt)?,
                    ),
                    vat_bp: u32::try_from(r.try_get::<i32, _>("vat_bp")?).unwrap_or(0),
                    created_at: Timestamp::from_millis(r.try_get("created_at")?),
                    description: r.try_get("description")?,
                });
            }
        });
        Ok(out)
    }
}
