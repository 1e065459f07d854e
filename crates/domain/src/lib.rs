//! Courrier's domain: the types and rules of accounts, tenancy, money, time and
//! the audit chain. Nothing here does I/O; every value that crosses a boundary
//! is parsed into one of these types first, so invalid data has no
//! representation past the edge.

pub mod access;
pub mod audit;
pub mod clock;
pub mod codes;
pub mod email;
pub mod error;
pub mod ids;
pub mod letters;
pub mod locale;
pub mod mailbox;
pub mod money;
pub mod password;
pub mod zone;

pub use access::{Actor, ActorKind, OrgKind, OrgScope, Permission, Role};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use codes::Code;
pub use email::EmailAddress;
pub use error::Invalid;
pub use ids::{ApiKeyId, InvitationId, JobId, LetterId, OrgId, RunId, UserId, WebhookId};
pub use ids::{EmailId, MailboxRuleId, MemberId, ReportId, ReportScheduleId};
pub use ids::{LocationId, MailItemId, MailboxId, PickupId, TaskId};
pub use locale::Locale;
pub use money::{Currency, Money};
