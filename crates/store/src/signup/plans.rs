//! The plans a location sells, and the plan periods billed, each exactly once.

use courrier_domain::codes;

use super::{SIGNUP_COLS, SignupRecord, signup_from_row};
use crate::audit::audit_scope_in_tx;
use crate::emails::insert_email;
use crate::jobs::insert_job;
use crate::mailbox::corrupt;
use crate::users::parse_id;
use crate::{EmailRecord, NewJob, Result, Store, StoreError, UsageLineRecord, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::Plan;
use courrier_domain::{Currency, LocationId, MailboxId, Money, OrgScope, Timestamp};
use sqlx::Row;

/// The monthly and yearly price of a mailbox at a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationPlanRecord {
    pub location: LocationId,
    pub monthly: Money,
    pub yearly: Money,
    pub updated_at: Timestamp,
}

impl LocationPlanRecord {
    pub fn price(&self, plan: Plan) -> Money {
        match plan {
            Plan::Monthly => self.monthly,
            Plan::Yearly => self.yearly,
        }
    }
}

/// Why an update of the scope organisation's sign-up at `$mailbox` inside
/// `$tx` matched no row: `Conflict { what: $what }` if the sign-up exists,
/// `NotFound` if not (or not the scope's).
macro_rules! signup_refused {
    ($tx:expr, $mailbox:expr, $scope:expr, $what:expr) => {{
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT mailbox_id FROM signups WHERE mailbox_id = $1 AND org_id = $2",
        )
        .bind($mailbox.to_string())
        .bind($scope.org().to_string())
        .fetch_optional(&mut *$tx)
        .await?;
        match exists {
            Some(_) => StoreError::Conflict { what: $what },
            None => StoreError::NotFound,
        }
    }};
}

impl Store {
    // ----- plans -----

    /// Sets the monthly and yearly price at a location of the scope's mail
    /// center (replacing earlier prices; sign-ups keep the price they saw).
    pub async fn set_location_plan(
        &self,
        scope: &OrgScope,
        plan: &LocationPlanRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "location.plan_set",
            plan.location.to_string(),
            format!("monthly {}, yearly {}", plan.monthly, plan.yearly),
        );
        if plan.monthly.currency() != plan.yearly.currency() {
            return Err(StoreError::Refused {
                what: codes::SIGNUP_CURRENCY_MISMATCH,
            });
        }
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let owns: Option<String> =
                sqlx::query_scalar("SELECT id FROM locations WHERE id = $1 AND org_id = $2")
                    .bind(plan.location.to_string())
                    .bind(scope.org().to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if owns.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO location_plans (location_id, monthly_minor, yearly_minor, currency, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (location_id) DO UPDATE SET \
                 monthly_minor = excluded.monthly_minor, yearly_minor = excluded.yearly_minor, \
                 currency = excluded.currency, updated_at = excluded.updated_at",
            )
            .bind(plan.location.to_string())
            .bind(plan.monthly.minor())
            .bind(plan.yearly.minor())
            .bind(plan.monthly.currency().to_string())
            .bind(plan.updated_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The plan prices of every location that sells mailboxes (a public
    /// price list, like the directory of locations).
    pub async fn location_plans(&self) -> Result<Vec<LocationPlanRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT location_id, monthly_minor, yearly_minor, currency, updated_at FROM location_plans \
                 ORDER BY location_id",
            )
            .fetch_all(p)
            .await?;
            for r in rows {
                let currency =
                    Currency::parse(&r.try_get::<String, _>("currency")?).map_err(corrupt)?;
                out.push(LocationPlanRecord {
                    location: parse_id(r.try_get::<String, _>("location_id")?)?,
                    monthly: Money::new(r.try_get("monthly_minor")?, currency),
                    yearly: Money::new(r.try_get("yearly_minor")?, currency),
                    updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
                });
            }
        });
        Ok(out)
    }

    /// The plan prices of one location, if it sells mailboxes.
    pub async fn location_plan(&self, location: LocationId) -> Result<Option<LocationPlanRecord>> {
        Ok(self
            .location_plans()
            .await?
            .into_iter()
            .find(|p| p.location == location))
    }

    // ----- plan billing -----

    /// When the first member of a mailbox was approved, if one was.
    pub async fn first_approval_at(&self, mailbox: MailboxId) -> Result<Option<Timestamp>> {
        on_pool!(self, |p, d| {
            let at: Option<i64> = sqlx::query_scalar(
                "SELECT MIN(r.at) FROM member_reviews r JOIN mailbox_members mm ON mm.id = r.member_id \
                 WHERE mm.mailbox_id = $1 AND r.event = 'approve'",
            )
            .bind(mailbox.to_string())
            .fetch_one(p)
            .await?;
            Ok(at.map(Timestamp::from_millis))
        })
    }

    /// Sign-ups with a plan period to bill at `now`: the next period has
    /// begun, or a member was approved and nothing was billed yet; never a
    /// period from a cancelled plan's end on.
    pub async fn plans_due(&self, now: Timestamp, limit: u32) -> Result<Vec<SignupRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS} FROM signups s WHERE ((s.plan_next_at IS NOT NULL AND s.plan_next_at <= $1) \
                 OR (s.plan_started_at IS NULL AND EXISTS (SELECT 1 FROM mailbox_members mm \
                     WHERE mm.mailbox_id = s.mailbox_id AND mm.review = 'approved'))) \
                 AND (s.plan_ends_at IS NULL OR s.plan_next_at < s.plan_ends_at) \
                 ORDER BY s.plan_next_at, s.mailbox_id LIMIT $2"
            )))
            .bind(now.millis())
            .bind(i64::from(limit.clamp(1, 10_000)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(signup_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Cancelled plans at one of the scope mail center's locations that end
    /// by `until` and whose mailbox is still open, soonest first, with the
    /// customer's name.
    pub async fn plans_ending_at(
        &self,
        scope: &OrgScope,
        location: LocationId,
        until: Timestamp,
    ) -> Result<Vec<(SignupRecord, String)>> {
        self.own_location(scope, location).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS}, o.name AS customer FROM signups s JOIN mailboxes m ON m.id = s.mailbox_id \
                 JOIN orgs o ON o.id = s.org_id WHERE s.location_id = $1 AND s.plan_ends_at IS NOT NULL \
                 AND s.plan_ends_at <= $2 AND m.state <> 'closed' ORDER BY s.plan_ends_at, s.mailbox_id LIMIT 500"
            )))
            .bind(location.to_string())
            .bind(until.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push((signup_from_row(&r)?, r.try_get("customer")?));
            }
        });
        Ok(out)
    }

    /// Cancelled plans whose end has come (`plan_ends_at <= now`) and whose
    /// mailbox is not closed yet, oldest end first.
    pub async fn plans_ended(&self, now: Timestamp, limit: u32) -> Result<Vec<SignupRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS} FROM signups s JOIN mailboxes m ON m.id = s.mailbox_id \
                 WHERE s.plan_ends_at IS NOT NULL AND s.plan_ends_at <= $1 AND m.state <> 'closed' \
                 ORDER BY s.plan_ends_at, s.mailbox_id LIMIT $2"
            )))
            .bind(now.millis())
            .bind(i64::from(limit.clamp(1, 10_000)))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(signup_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// Sets (cancel) or clears (keep) the end of the scope organisation's
    /// plan at `mailbox`, with its audit entry and the e-mail confirming it
    /// (`notify`: the message and its delivery job), in one transaction, if
    /// the plan's end is still `expected` (compare-and-set: a change
    /// meanwhile is `Conflict { what: "plan.changed" }`).
    pub async fn set_plan_end(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
        expected: Option<Timestamp>,
        ends_at: Option<Timestamp>,
        notify: Option<(&EmailRecord, &NewJob)>,
        now: Timestamp,
    ) -> Result<()> {
        let event = match ends_at {
            Some(end) => AuditEvent::new(
                "mailbox.plan_cancel",
                mailbox.to_string(),
                format!("plan ends at {}", end.millis()),
            ),
            None => AuditEvent::new("mailbox.plan_keep", mailbox.to_string(), String::new()),
        };
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE signups SET plan_ends_at = $1 WHERE mailbox_id = $2 AND org_id = $3 \
                 AND (plan_ends_at = $4 OR (plan_ends_at IS NULL AND $4 IS NULL))",
            )
            .bind(ends_at.map(|t| t.millis()))
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .bind(expected.map(|t| t.millis()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(signup_refused!(tx, mailbox, scope, codes::PLAN_CHANGED));
            }
            if let Some((email, delivery)) = notify {
                insert_email!(&mut *tx, email, now);
                insert_job!(&mut *tx, delivery, now);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The last plan period billed for a mailbox, if any.
    pub async fn last_plan_period(&self, mailbox: MailboxId) -> Result<Option<i32>> {
        on_pool!(self, |p, d| {
            Ok(
                sqlx::query_scalar("SELECT MAX(period) FROM plan_periods WHERE mailbox_id = $1")
                    .bind(mailbox.to_string())
                    .fetch_one(p)
                    .await?,
            )
        })
    }

    /// Bills period `period` (starting `starts_at`) of a sign-up's plan:
    /// the usage line, the period, the next period's start and the audit
    /// entry in one transaction. A period billed before is
    /// `Conflict { what: "plan.already_billed" }`, one starting at or after
    /// a cancelled plan's end `Conflict { what: "plan.ended" }`; neither
    /// changes anything.
    #[allow(clippy::too_many_arguments)]
    pub async fn bill_plan_period(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
        period: i32,
        starts_at: Timestamp,
        next_at: Timestamp,
        line: &UsageLineRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "usage.plan",
            line.id.to_string(),
            format!("period {period} of {mailbox}: {}", line.amount),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO usage_lines (id, org_id, kind, item_id, task_id, pickup_id, amount_minor, currency, \
                 vat_bp, created_at, description) VALUES ($1, $2, 'plan', NULL, NULL, NULL, $3, $4, $5, $6, $7)",
            )
            .bind(line.id.to_string())
            .bind(scope.org().to_string())
            .bind(line.amount.minor())
            .bind(line.amount.currency().to_string())
            .bind(i32::try_from(line.vat_bp).unwrap_or(i32::MAX))
            .bind(line.created_at.millis())
            .bind(line.description.clone())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO plan_periods (mailbox_id, period, starts_at, usage_line_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(mailbox.to_string())
            .bind(period)
            .bind(starts_at.millis())
            .bind(line.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, codes::PLAN_ALREADY_BILLED))?;
            // Never a period from a cancelled plan's end on.
            let n = sqlx::query(
                "UPDATE signups SET plan_started_at = COALESCE(plan_started_at, $1), plan_next_at = $2 \
                 WHERE mailbox_id = $3 AND org_id = $4 AND (plan_ends_at IS NULL OR plan_ends_at > $1)",
            )
            .bind(starts_at.millis())
            .bind(next_at.millis())
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(signup_refused!(tx, mailbox, scope, codes::PLAN_ENDED));
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
