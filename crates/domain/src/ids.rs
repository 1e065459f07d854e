//! Identifiers. Each entity has its own type so an organisation id can never be
//! passed where a user id is expected.

use crate::codes;

use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random identifier.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = crate::Invalid;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| {
                    crate::Invalid::new("id", codes::ID_INVALID, format!("'{s}' is not an identifier"))
                })
            }
        }
    };
}

id_type!(
    /// An organisation: a sender company, a recipient company, a mail center or the platform itself.
    OrgId
);
id_type!(
    /// A person with a login.
    UserId
);
id_type!(
    /// An API key used by a machine on behalf of one organisation.
    ApiKeyId
);
id_type!(
    /// An invitation sent by e-mail to join an organisation.
    InvitationId
);
id_type!(
    /// A durable background job.
    JobId
);
id_type!(
    /// An outbound letter.
    LetterId
);
id_type!(
    /// A bulk run: one PDF split into letters, or a mail merge.
    RunId
);
id_type!(
    /// A webhook endpoint of an organisation.
    WebhookId
);
id_type!(
    /// An item in a digital mailbox: scanned at a mail center or delivered digitally.
    MailItemId
);
id_type!(
    /// The digital mailbox of an organisation or person.
    MailboxId
);
id_type!(
    /// A mail-center location (one address where mail is received and handled).
    LocationId
);
id_type!(
    /// A task in a mail center's queue (scan, forward, shred, …).
    TaskId
);
id_type!(
    /// A pickup at a mail-center counter.
    PickupId
);
id_type!(
    /// A report of an organisation's letters (a CSV document).
    ReportId
);
id_type!(
    /// A recurring report of an organisation.
    ReportScheduleId
);
id_type!(
    /// An e-mail in the outbox.
    EmailId
);
id_type!(
    /// An automatic rule of a mailbox.
    MailboxRuleId
);
id_type!(
    /// A member of a mailbox (a person or company whose mail it receives).
    MemberId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = OrgId::random();
        assert_eq!(id.to_string().parse::<OrgId>().unwrap(), id);
        let err = "not-an-id".parse::<UserId>().unwrap_err();
        assert_eq!(err.code, "id.invalid");
    }
}
