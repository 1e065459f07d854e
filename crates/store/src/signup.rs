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

use crate::audit::audit_scope_in_tx;
use crate::auth::insert_password_reset;
use crate::emails::insert_email;
use crate::jobs::insert_job;
use crate::mailbox::{corrupt, insert_mailbox};
use crate::orgs::insert_org;
use crate::row::RowExt;
use crate::users::{insert_user, parse_id};
use crate::{
    EmailRecord, EmailState, MailboxRecord, MemberAccess, NewJob, OrgRecord, Result, Store,
    StoreError, UsageLineRecord, UserRecord, on_pool,
};
use courrier_domain::audit::AuditEvent;
use courrier_domain::mailbox::{DocumentSide, IdentityDocumentKind, Plan};
use courrier_domain::{
    Currency, EmailAddress, LocationId, MailboxId, Money, OrgId, OrgScope, Timestamp,
};
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

/// An identity document of a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDocumentRecord {
    pub id: uuid::Uuid,
    pub member: uuid::Uuid,
    /// The customer, whose key seals the file.
    pub org: OrgId,
    /// The encrypted document.
    pub document: uuid::Uuid,
    pub kind: IdentityDocumentKind,
    pub side: DocumentSide,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub created_at: Timestamp,
}

/// Why an e-mail about a sign-up was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupEmailKind {
    /// The link to choose a password.
    Activation,
    /// "You have not finished": weekly, four times.
    Reminder,
    /// A review decision on a member.
    Decision,
}

impl SignupEmailKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            SignupEmailKind::Activation => "activation",
            SignupEmailKind::Reminder => "reminder",
            SignupEmailKind::Decision => "decision",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "activation" => SignupEmailKind::Activation,
            "reminder" => SignupEmailKind::Reminder,
            "decision" => SignupEmailKind::Decision,
            other => return Err(corrupt(format!("signup e-mail kind '{other}'"))),
        })
    }
}

/// An e-mail of a sign-up's history, with its outbox state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupEmailRecord {
    pub email: uuid::Uuid,
    pub mailbox: MailboxId,
    pub kind: SignupEmailKind,
    /// For a reminder: the start of its round (sign-up or send-back) and
    /// its number in the round (1 to 4).
    pub round_start: Option<Timestamp>,
    pub reminder_no: Option<i32>,
    pub created_at: Timestamp,
    pub to: String,
    pub subject: String,
    pub state: EmailState,
}

/// A sign-up that may be owed a reminder, with what the upkeep needs to
/// decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCandidate {
    pub signup: SignupRecord,
    /// Some member left the draft state (was submitted at least once).
    pub submitted: bool,
    /// The latest send-back of a member still sent back.
    pub sent_back_at: Option<Timestamp>,
}

/// Which sign-up e-mail to link, for [`Store::queue_signup_email`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupEmailLink {
    pub mailbox: MailboxId,
    pub kind: SignupEmailKind,
    pub round_start: Option<Timestamp>,
    pub reminder_no: Option<i32>,
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

const DOC_COLS: &str = "id, member_id, org_id, document_id, kind, side, file_name, content_type, size_bytes, \
    uploaded_by, created_at";

pub(crate) fn member_document_from_row(r: &impl RowExt) -> Result<MemberDocumentRecord> {
    Ok(MemberDocumentRecord {
        id: r.id("id")?,
        member: r.id("member_id")?,
        org: r.id("org_id")?,
        document: r.id("document_id")?,
        kind: r.parsed("kind", IdentityDocumentKind::parse)?,
        side: r.parsed("side", DocumentSide::parse)?,
        file_name: r.col("file_name")?,
        content_type: r.col("content_type")?,
        size_bytes: r.col("size_bytes")?,
        uploaded_by: r.col("uploaded_by")?,
        created_at: r.ts("created_at")?,
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
        .map_err(|e| StoreError::unique(e, "signup.exists"))?;
        audit_scope_in_tx!($tx, $d, scope, &event, $now);
    }};
}

/// Links an outbox e-mail to a sign-up inside transaction `$tx`; evaluates
/// to the rows inserted (0 for a reminder already sent).
macro_rules! link_signup_email {
    ($tx:expr, $link:expr, $email:expr, $now:expr) => {{
        let link: &$crate::SignupEmailLink = $link;
        let email: &$crate::EmailRecord = $email;
        let now: courrier_domain::Timestamp = $now;
        sqlx::query(
            "INSERT INTO signup_emails (email_id, mailbox_id, kind, round_start, reminder_no, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(email.id.to_string())
        .bind(link.mailbox.to_string())
        .bind(link.kind.as_str())
        .bind(link.round_start.map(|t| t.millis()))
        .bind(link.reminder_no)
        .bind(now.millis())
        .execute(&mut *$tx)
        .await?
        .rows_affected()
    }};
}
pub(crate) use link_signup_email;

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

/// An e-mail about a sign-up ready for the outbox: the message, its
/// delivery job and its link to the sign-up.
#[derive(Debug, Clone)]
pub struct SignupEmail {
    pub link: SignupEmailLink,
    pub email: EmailRecord,
    pub delivery: NewJob,
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
                what: "signup.currency_mismatch",
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
                what: "signup.scope_mismatch",
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
                what: "signup.scope_mismatch",
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

    // ----- identity documents -----

    /// Attaches an identity document (already stored, encrypted) to a
    /// member of the scope's organisation.
    pub async fn add_member_document(
        &self,
        scope: &OrgScope,
        doc: &MemberDocumentRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "mailbox.member_document_added",
            doc.member.to_string(),
            format!(
                "{} {} ({} bytes)",
                doc.kind,
                doc.side.as_str(),
                doc.size_bytes
            ),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let owns: Option<String> =
                sqlx::query_scalar("SELECT id FROM mailbox_members WHERE id = $1 AND org_id = $2")
                    .bind(doc.member.to_string())
                    .bind(scope.org().to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if owns.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO member_documents ({DOC_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )))
            .bind(doc.id.to_string())
            .bind(doc.member.to_string())
            .bind(scope.org().to_string())
            .bind(doc.document.to_string())
            .bind(doc.kind.as_str())
            .bind(doc.side.as_str())
            .bind(doc.file_name.clone())
            .bind(doc.content_type.clone())
            .bind(doc.size_bytes)
            .bind(doc.uploaded_by.clone())
            .bind(doc.created_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A member's documents, oldest first, if the member is visible to the
    /// scope.
    pub async fn member_documents(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        member: uuid::Uuid,
    ) -> Result<Vec<MemberDocumentRecord>> {
        self.member(scope, access, member).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DOC_COLS} FROM member_documents WHERE member_id = $1 ORDER BY created_at, id"
            )))
            .bind(member.to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(member_document_from_row(&r)?);
            }
        });
        Ok(out)
    }

    /// One document of a member visible to the scope.
    pub async fn member_document(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        id: uuid::Uuid,
    ) -> Result<MemberDocumentRecord> {
        let doc = on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DOC_COLS} FROM member_documents WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            member_document_from_row(&r)?
        });
        self.member(scope, access, doc.member).await?;
        Ok(doc)
    }

    /// How many documents each member of a mailbox has, for the members
    /// that have any.
    pub async fn member_document_counts(
        &self,
        scope: &OrgScope,
        mailbox: MailboxId,
    ) -> Result<Vec<(uuid::Uuid, i64)>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT md.member_id, COUNT(*) AS n FROM member_documents md \
                 JOIN mailbox_members mm ON mm.id = md.member_id \
                 WHERE mm.mailbox_id = $1 AND mm.org_id = $2 GROUP BY md.member_id",
            )
            .bind(mailbox.to_string())
            .bind(scope.org().to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push((
                    parse_id(r.try_get::<String, _>("member_id")?)?,
                    r.try_get("n")?,
                ));
            }
        });
        Ok(out)
    }

    // ----- e-mails -----

    /// Stores an e-mail about a sign-up in the outbox with its delivery job
    /// and its link to the sign-up, in one transaction. A reminder already
    /// sent for the same round and number is not sent again: the whole
    /// transaction is dropped and the answer is `false`.
    pub async fn queue_signup_email(
        &self,
        link: &SignupEmailLink,
        email: &EmailRecord,
        delivery: &NewJob,
        now: Timestamp,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            insert_email!(&mut *tx, email, now);
            insert_job!(&mut *tx, delivery, now);
            let n = link_signup_email!(tx, link, email, now);
            if n == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
        });
        Ok(true)
    }

    /// The e-mails sent about a sign-up visible to the scope, oldest first.
    pub async fn signup_emails(
        &self,
        scope: &OrgScope,
        access: MemberAccess,
        mailbox: MailboxId,
    ) -> Result<Vec<SignupEmailRecord>> {
        self.signup(scope, access, mailbox).await?;
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(
                "SELECT se.email_id, se.mailbox_id, se.kind, se.round_start, se.reminder_no, se.created_at, \
                 e.to_address, e.subject, e.state FROM signup_emails se JOIN emails e ON e.id = se.email_id \
                 WHERE se.mailbox_id = $1 ORDER BY se.created_at, se.email_id",
            )
            .bind(mailbox.to_string())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(SignupEmailRecord {
                    email: parse_id(r.try_get::<String, _>("email_id")?)?,
                    mailbox: parse_id(r.try_get::<String, _>("mailbox_id")?)?,
                    kind: SignupEmailKind::parse(&r.try_get::<String, _>("kind")?)?,
                    round_start: r
                        .try_get::<Option<i64>, _>("round_start")?
                        .map(Timestamp::from_millis),
                    reminder_no: r.try_get("reminder_no")?,
                    created_at: Timestamp::from_millis(r.try_get("created_at")?),
                    to: r.try_get("to_address")?,
                    subject: r.try_get("subject")?,
                    state: EmailState::parse(&r.try_get::<String, _>("state")?)?,
                });
            }
        });
        Ok(out)
    }

    /// Sign-ups that may be owed a reminder: signed up since `since`, or
    /// with a member sent back; oldest first, at most `limit`, after the
    /// sign-up `after` (the last of the previous page) if given.
    pub async fn reminder_candidates(
        &self,
        since: Timestamp,
        after: Option<&SignupRecord>,
        limit: u32,
    ) -> Result<Vec<ReminderCandidate>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SIGNUP_COLS}, \
                 (SELECT MAX(r.at) FROM member_reviews r JOIN mailbox_members mm ON mm.id = r.member_id \
                  WHERE mm.mailbox_id = s.mailbox_id AND mm.review = 'sent_back' AND r.event = 'send_back') AS sent_back_at, \
                 (SELECT COUNT(*) FROM mailbox_members mm WHERE mm.mailbox_id = s.mailbox_id AND mm.review <> 'draft') \
                  AS submitted \
                 FROM signups s WHERE (s.created_at >= $1 OR EXISTS \
                 (SELECT 1 FROM mailbox_members mm WHERE mm.mailbox_id = s.mailbox_id AND mm.review = 'sent_back')) \
                 AND ($3 IS NULL OR s.created_at > $3 OR (s.created_at = $3 AND s.mailbox_id > $4)) \
                 ORDER BY s.created_at, s.mailbox_id LIMIT $2"
            )))
            .bind(since.millis())
            .bind(i64::from(limit.clamp(1, 10_000)))
            .bind(after.map(|s| s.created_at.millis()))
            .bind(after.map(|s| s.mailbox.to_string()))
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(ReminderCandidate {
                    signup: signup_from_row(&r)?,
                    submitted: r.try_get::<i64, _>("submitted")? > 0,
                    sent_back_at: r
                        .try_get::<Option<i64>, _>("sent_back_at")?
                        .map(Timestamp::from_millis),
                });
            }
        });
        Ok(out)
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
                return Err(signup_refused!(tx, mailbox, scope, "plan.changed"));
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
            .map_err(|e| StoreError::unique(e, "plan.already_billed"))?;
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
                return Err(signup_refused!(tx, mailbox, scope, "plan.ended"));
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
