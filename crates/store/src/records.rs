//! What the store reads and writes: plain records built from domain types.

use courrier_domain::{
    ApiKeyId, Currency, EmailAddress, EmailId, InvitationId, JobId, OrgId, OrgKind, Permission,
    Role, Timestamp, UserId,
};

#[derive(Debug, Clone)]
pub struct OrgRecord {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    /// ISO 3166 alpha-2 country of the organisation's seat.
    pub country: String,
    pub currency: Currency,
    pub require_2fa: bool,
    /// IANA time zone its people read times in and its reports count days
    /// in; from the country at creation, editable by its admins.
    pub time_zone: String,
    pub wrapped_key: Vec<u8>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub org: OrgId,
    pub email: EmailAddress,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub locale: String,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user: UserId,
    pub csrf_token: String,
    pub second_factor_done: bool,
    pub ip: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub id: InvitationId,
    pub org: OrgId,
    pub email: EmailAddress,
    pub role: Role,
    pub token_hash: String,
    pub invited_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub org: OrgId,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub permissions: Vec<Permission>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Out of attempts; shown to the platform admin (dead-letter).
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }
    pub(crate) fn parse(s: &str) -> crate::Result<Self> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            other => return Err(crate::StoreError::Corrupt(format!("job state '{other}'"))),
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    /// When set, at most one queued job carries this key.
    pub unique_key: Option<String>,
    pub run_at: Timestamp,
    pub max_attempts: i32,
}

#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub unique_key: Option<String>,
    pub state: JobState,
    pub run_at: Timestamp,
    pub attempts: i32,
    pub max_attempts: i32,
    pub lease_until: Option<Timestamp>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailState {
    Pending,
    Sent,
    Failed,
}

impl EmailState {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailState::Pending => "pending",
            EmailState::Sent => "sent",
            EmailState::Failed => "failed",
        }
    }
    pub(crate) fn parse(s: &str) -> crate::Result<Self> {
        Ok(match s {
            "pending" => EmailState::Pending,
            "sent" => EmailState::Sent,
            "failed" => EmailState::Failed,
            other => return Err(crate::StoreError::Corrupt(format!("email state '{other}'"))),
        })
    }
}

#[derive(Debug, Clone)]
pub struct EmailRecord {
    pub id: EmailId,
    pub to: EmailAddress,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub state: EmailState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// A stored answer to an API request made with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// The first request with this key is still being handled (or its
    /// server died after committing its effect, when the lease ran out).
    InProgress {
        request_hash: String,
        lease_until: Timestamp,
        /// The request's change is committed (only its answer is missing).
        effect_committed: bool,
    },
    Done {
        request_hash: String,
        status: u16,
        body: String,
    },
}

#[derive(Debug, Clone)]
pub struct DocumentRecord {
    pub id: uuid::Uuid,
    pub org: OrgId,
    pub blob_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// `None` once the document was shredded.
    pub wrapped_key: Option<Vec<u8>>,
    pub created_at: Timestamp,
    pub destroyed_at: Option<Timestamp>,
}

/// One page of a list, with the cursor for the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
