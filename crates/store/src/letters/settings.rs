//! The organisation's letter settings.

use crate::audit::audit_scope_in_tx;
use crate::users::parse_id;
use crate::{Result, Store, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{OrgId, OrgScope, Timestamp};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterSettings {
    pub approval_required_for: Vec<courrier_domain::UserId>,
    pub retention_days: i32,
    pub purge_after_print: bool,
    pub window_standard: String,
    pub return_address: String,
}

impl Default for LetterSettings {
    fn default() -> Self {
        Self {
            approval_required_for: Vec::new(),
            retention_days: 60,
            purge_after_print: false,
            window_standard: "swiss_left".into(),
            return_address: String::new(),
        }
    }
}

impl Store {
    pub async fn letter_settings(&self, org: OrgId) -> Result<LetterSettings> {
        on_pool!(self, |p, d| {
            let row = sqlx::query(
                "SELECT approval_required_for, retention_days, purge_after_print, window_standard, return_address \
                 FROM letter_settings WHERE org_id = $1",
            )
            .bind(org.to_string())
            .fetch_optional(p)
            .await?;
            let Some(r) = row else {
                return Ok(LetterSettings::default());
            };
            Ok(LetterSettings {
                approval_required_for: r
                    .try_get::<String, _>("approval_required_for")?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| parse_id(s.to_string()))
                    .collect::<Result<_>>()?,
                retention_days: r.try_get("retention_days")?,
                purge_after_print: r.try_get("purge_after_print")?,
                window_standard: r.try_get("window_standard")?,
                return_address: r.try_get("return_address")?,
            })
        })
    }

    pub async fn set_letter_settings(
        &self,
        scope: &OrgScope,
        s: &LetterSettings,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "org.letter_settings",
            scope.org().to_string(),
            format!(
                "retention {} days, purge after print {}, {} users need approval",
                s.retention_days,
                s.purge_after_print,
                s.approval_required_for.len()
            ),
        );
        let approvals = s
            .approval_required_for
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(",");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO letter_settings (org_id, approval_required_for, retention_days, purge_after_print, window_standard, return_address, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (org_id) DO UPDATE SET approval_required_for = $2, retention_days = $3, purge_after_print = $4, \
                 window_standard = $5, return_address = $6, updated_at = $7",
            )
            .bind(scope.org().to_string())
            .bind(approvals)
            .bind(s.retention_days)
            .bind(s.purge_after_print)
            .bind(s.window_standard.clone())
            .bind(s.return_address.clone())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
