//! Each mailbox's automatic rules.

use super::split_lines;
use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::{Result, Store, StoreError, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{MailboxId, MailboxRuleId, OrgId, OrgScope, Timestamp};

/// An automatic rule of a mailbox, serialised: the use cases parse it into
/// a `courrier_domain::mailbox::Rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRecord {
    pub id: MailboxRuleId,
    pub mailbox: MailboxId,
    pub org: OrgId,
    /// 1-based order; set by the store on creation.
    pub position: i32,
    /// `sender:<text>`, `kind:<kind>` or `advertising`.
    pub condition: String,
    /// An action name (`scan`, `shred`, …).
    pub action: String,
    /// Conditions in the same form.
    pub exceptions: Vec<String>,
    pub created_at: Timestamp,
}

const RULE_COLS: &str =
    "id, mailbox_id, org_id, position, condition, action, exceptions, created_at";

pub(crate) fn rule_from_row(r: &impl RowExt) -> Result<RuleRecord> {
    Ok(RuleRecord {
        id: r.id("id")?,
        mailbox: r.id("mailbox_id")?,
        org: r.id("org_id")?,
        position: r.col("position")?,
        condition: r.col("condition")?,
        action: r.col("action")?,
        exceptions: split_lines(&r.text("exceptions")?),
        created_at: r.ts("created_at")?,
    })
}

impl Store {
    // ----- rules -----

    /// Appends a rule at the end of a mailbox's rules; returns its position.
    pub async fn create_rule(
        &self,
        scope: &OrgScope,
        rule: &RuleRecord,
        now: Timestamp,
    ) -> Result<i32> {
        let event = AuditEvent::new(
            "mailbox.rule_created",
            rule.id.to_string(),
            format!("{} → {}", rule.condition, rule.action),
        );
        let position: i32;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let owns: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM mailboxes WHERE id = $1 AND org_id = $2{}",
                d.lock_rows
            )))
            .bind(rule.mailbox.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if owns.is_none() {
                return Err(StoreError::NotFound);
            }
            position = sqlx::query_scalar(
                "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS INTEGER) FROM mailbox_rules WHERE mailbox_id = $1",
            )
            .bind(rule.mailbox.to_string())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO mailbox_rules ({RULE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            )))
            .bind(rule.id.to_string())
            .bind(rule.mailbox.to_string())
            .bind(scope.org().to_string())
            .bind(position)
            .bind(rule.condition.clone())
            .bind(rule.action.clone())
            .bind(rule.exceptions.join("\n"))
            .bind(rule.created_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(position)
    }

    /// A mailbox's rules in order.
    pub async fn rules(&self, scope: &OrgScope, mailbox: MailboxId) -> Result<Vec<RuleRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RULE_COLS} FROM mailbox_rules WHERE mailbox_id = $1 AND org_id = $2 ORDER BY position, id"
            )))
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(rule_from_row(&r)?);
            }
        });
        Ok(out)
    }

    pub async fn delete_rule(
        &self,
        scope: &OrgScope,
        id: MailboxRuleId,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("mailbox.rule_deleted", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query("DELETE FROM mailbox_rules WHERE id = $1 AND org_id = $2")
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
}
