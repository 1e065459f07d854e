//! Signing up at a mail-center location: the plans a location sells
//! ([`LocationPlanRecord`]), each customer's sign-up with its plan
//! ([`SignupRecord`]), the identity documents of members
//! ([`MemberDocumentRecord`]), the e-mails sent to the customer about the
//! sign-up ([`SignupEmailRecord`], linked to the outbox), and the plan
//! periods billed, each exactly once.
//!
//! A sign-up is visible to its customer, to the mail center running its
//! location, and (with [`MemberAccess::Platform`]) to the platform team; a
//! member's documents follow the visibility of the member.
//!
//! Here: the sign-up itself; [`plans`] the plans a location sells and the
//! plan periods billed, [`documents`] the members' identity documents,
//! [`emails`] the e-mails about a sign-up.

use courrier_domain::codes;

mod documents;
mod emails;
mod plans;

pub use documents::MemberDocumentRecord;
pub(crate) use emails::link_signup_email;
pub use emails::{
    ReminderCandidate, SignupEmail, SignupEmailKind, SignupEmailLink, SignupEmailRecord,
};
pub use plans::LocationPlanRecord;

use crate::audit::audit_scope_in_tx;
use crate::auth::insert_password_reset;
use crate::emails::insert_email;
use crate::jobs::insert_job;
use crate::mailbox::insert_mailbox;
use crate::orgs::insert_org;
use crate::row::RowExt;
use crate::users::insert_user;
use crate::{
    EmailRecord, MailboxRecord, MemberAccess, NewJob, OrgRecord, Result, Store, StoreError,
    UserRecord, on_pool,
};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::Plan;
use courrier_domain::{EmailAddress, LocationId, MailboxId, Money, OrgId, OrgScope, Timestamp};

/// A customer's sign-up at a location: one per location mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupRecord {
    pub mailbox: MailboxId,
    pub org: OrgId,
    pub location: LocationId,
    pub plan: Plan,
    /// The price shown when the customer signed up, per period.
    pub price: Money,
    pub contact_name: String,
    pub contact_email: EmailAddress,
    /// `fr` or `en`: the language of the e-mails.
    pub locale: String,
    pub terms_accepted_at: Timestamp,
    pub created_at: Timestamp,
    /// Start of the first billed period (the first approval).
    pub plan_started_at: Option<Timestamp>,
    /// Start of the next period to bill.
    pub plan_next_at: Option<Timestamp>,
    /// Set when the customer cancelled: the plan's end, the start of the
    /// first period not billed; the mailbox closes then.
    pub plan_ends_at: Option<Timestamp>,
}

/// Everything one sign-up creates, written by
/// [`Store::create_signup_account`] in one transaction.
#[derive(Debug, Clone)]
pub struct NewSignupAccount {
    /// The customer organisation (its key already wrapped).
    pub org: OrgRecord,
    /// Its first user, an admin.
    pub user: UserRecord,
    /// The location mailbox.
    pub mailbox: MailboxRecord,
    pub signup: SignupRecord,
    /// SHA-256 of the activation token (a password reset) and its expiry.
    pub activation_token_hash: String,
    pub activation_expires_at: Timestamp,
    /// The activation e-mail and its delivery job.
    pub email: EmailRecord,
    pub delivery: NewJob,
}

const SIGNUP_COLS: &str = "s.mailbox_id, s.org_id, s.location_id, s.plan, s.price_minor, s.currency, \
    s.contact_name, s.contact_email, s.locale, s.terms_accepted_at, s.created_at, s.plan_started_at, s.plan_next_at, \
    s.plan_ends_at";

pub(crate) fn signup_from_row(r: &impl RowExt) -> Result<SignupRecord> {
    Ok(SignupRecord {
        mailbox: r.id("mailbox_id")?,
        org: r.id("org_id")?,
        location: r.id("location_id")?,
        plan: r.parsed("plan", Plan::parse)?,
        price: r.money("price_minor", "currency")?,
        contact_name: r.col("contact_name")?,
        contact_email: r.parsed("contact_email", EmailAddress::parse)?,
        locale: r.col("locale")?,
        terms_accepted_at: r.ts("terms_accepted_at")?,
        created_at: r.ts("created_at")?,
        plan_started_at: r.opt_ts("plan_started_at")?,
        plan_next_at: r.opt_ts("plan_next_at")?,
        plan_ends_at: r.opt_ts("plan_ends_at")?,
    })
}

/// Sign-ups (alias `s`) visible to the organisation bound at `$n`.
fn signup_filter(access: MemberAccess, n: usize) -> String {
    crate::mailbox::customer_or_location_filter("s", access, n)
}

/// Inserts a sign-up of the scope's organisation inside transaction `$tx`
/// with its `signup.created` audit entry.
macro_rules! insert_signup {
    ($tx:expr, $d:expr, $scope:expr, $signup:expr, $now:expr) => {{
        let scope: &OrgScope = $scope;
        let signup: &SignupRecord = $signup;
        let event = AuditEvent::new(
            "signup.created",
            signup.mailbox.to_string(),
            format!("{} plan, {}", signup.plan, signup.price),
        );
        sqlx::query(
            "INSERT INTO signups (mailbox_id, org_id, location_id, plan, price_minor, currency, contact_name, \
             contact_email, locale, terms_accepted_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(signup.mailbox.to_string())
        .bind(scope.org().to_string())
        .bind(signup.location.to_string())
        .bind(signup.plan.as_str())
        .bind(signup.price.minor())
        .bind(signup.price.currency().to_string())
        .bind(signup.contact_name.clone())
        .bind(signup.contact_email.to_string())
        .bind(signup.locale.clone())
        .bind(signup.terms_accepted_at.millis())
        .bind(signup.created_at.millis())
        .execute(&mut *$tx)
        .await
        .map_err(|e| StoreError::unique(e, codes::SIGNUP_EXISTS))?;
        audit_scope_in_tx!($tx, $d, scope, &event, $now);
    }};
}

impl Store {
    // ----- sign-ups -----

    /// Records the sign-up of the scope's organisation (its location
    /// mailbox exists already). A second sign-up for the same mailbox is
    /// `Conflict { what: "signup.exists" }`.
    pub async fn create_signup(
        &self,
        scope: &OrgScope,
        signup: &SignupRecord,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let owns: Option<String> = sqlx::query_scalar(
                "SELECT id FROM mailboxes WHERE id = $1 AND org_id = $2 AND location_id = $3",
            )
            .bind(signup.mailbox.to_string())
            .bind(scope.org().to_string())
            .bind(signup.location.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if owns.is_none() {
                return Err(StoreError::NotFound);
            }
            insert_signup!(tx, d, scope, signup, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes a whole sign-up in one transaction: the organisation with its
    /// audit chain (`org.created` by `system`'s actor), its first user
    /// (`user.created` by `system`), the location mailbox and the sign-up
    /// (audited by `customer`, the new user acting in the new
    /// organisation), the activation token, and the activation e-mail with
    /// its delivery job and its link to the sign-up. Any failure leaves
    /// nothing behind. An address already used by an account (including
    /// one created by a concurrent sign-up that committed first) is
    /// `Conflict { what: "user.email_taken" }`.
    pub async fn create_signup_account(
        &self,
        system: &OrgScope,
        customer: &OrgScope,
        new: &NewSignupAccount,
        now: Timestamp,
    ) -> Result<()> {
        if system.org() != new.org.id || customer.org() != new.org.id {
            return Err(StoreError::Refused {
                what: codes::SIGNUP_SCOPE_MISMATCH,
            });
        }
        let user_event = AuditEvent::new(
            "user.created",
            new.user.id.to_string(),
            format!("{} as {}", new.user.email, new.user.role),
        );
        let link = SignupEmailLink {
            mailbox: new.mailbox.id,
            kind: SignupEmailKind::Activation,
            round_start: None,
            reminder_no: None,
        };
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_org!(tx, d, &new.org, system.actor());
            // First after the organisation: on PostgreSQL a concurrent
            // sign-up with the same address waits here for the other
            // transaction and then fails on the unique address, before it
            // has written anything else.
            insert_user!(tx, new.org.id, &new.user);
            audit_scope_in_tx!(tx, d, system, &user_event, now);
            insert_mailbox!(tx, d, customer, &new.mailbox, now);
            insert_signup!(tx, d, customer, &new.signup, now);
            insert_password_reset!(
                &mut *tx,
                new.user.id,
                &new.activation_token_hash,
                new.activation_expires_at
            );
            insert_email!(&mut *tx, &new.email, now);
            insert_job!(&mut *tx, &new.delivery, now);
            link_signup_email!(tx, &link, &new.email, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A new location mailbox and its sign-up for an existing customer (a
    /// plan taken again, or at another location), in one transaction.
    pub async fn create_mailbox_with_signup(
        &self,
        customer: &OrgScope,
        mailbox: &MailboxRecord,
        signup: &SignupRecord,
        now: Timestamp,
    ) -> Result<()> {
        if mailbox.org != customer.org() || signup.org != customer.org() {
            return Err(StoreError::Refused {
                what: codes::SIGNUP_SCOPE_MISMATCH,
            });
        }
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_mailbox!(tx, d, customer, mailbox, now);
            insert_signup!(tx, d, customer, signup, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A sign-up visible to the scope.
    pub async fn signup(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        mailbox: MailboxId,
    ) -> Result<SignupRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS} FROM signups s WHERE s.mailbox_id = $1 AND {}",
                signup_filter(access, 2)
            )))
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            signup_from_row(&r)
        })
    }

    /// The scope organisation's own sign-ups, oldest first.
    pub async fn own_signups(&self, scope: &OrgScope) -> Result<Vec<SignupRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS} FROM signups s WHERE s.org_id = $1 ORDER BY s.created_at, s.mailbox_id"
            )))
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(signup_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// A sign-up for background work (reminders, plan renewals).
    pub async fn signup_for_job(&self, mailbox: MailboxId) -> Result<SignupRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS} FROM signups s WHERE s.mailbox_id = $1"
            )))
            .bind(mailbox.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            signup_from_row(&r)
        })
    }
}
