//! Demo data: a sender company, a recipient company, a mail center with
//! staff and a platform admin, each with a login; the recipient's mailbox at
//! the mail center with three letters (see `crate::mailbox`). Loading twice changes
//! nothing the second time.

use crate::accounts::NewOrg;
use crate::{App, Result};
use courrier_domain::{Currency, EmailAddress, OrgKind, OrgScope, Role};

pub const DEMO_PASSWORD: &str = "courrier-demo";

/// One demo login, as printed for the person trying Courrier.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub org: String,
    pub email: String,
    pub role: Role,
    /// Recovery codes of the account that has 2FA turned on.
    pub recovery_codes: Vec<String>,
}

struct DemoOrg {
    name: &'static str,
    kind: OrgKind,
    country: &'static str,
    currency: Currency,
    people: &'static [(&'static str, &'static str, Role)],
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        name: "Courrier Platform",
        kind: OrgKind::Platform,
        country: "CH",
        currency: Currency::CHF,
        people: &[("admin@courrier.test", "Pat Operator", Role::PlatformAdmin)],
    },
    DemoOrg {
        name: "Helvetia Fiduciaire SA",
        kind: OrgKind::Customer,
        country: "CH",
        currency: Currency::CHF,
        people: &[
            ("anna.meier@helvetia.test", "Anna Meier", Role::Admin),
            ("luc.favre@helvetia.test", "Luc Favre", Role::Approver),
            ("sara.rossi@helvetia.test", "Sara Rossi", Role::Member),
        ],
    },
    DemoOrg {
        name: "Boulangerie Dupont SàRL",
        kind: OrgKind::Customer,
        country: "CH",
        currency: Currency::CHF,
        people: &[("marie.dupont@dupont.test", "Marie Dupont", Role::Admin)],
    },
    DemoOrg {
        name: "Centre courrier Lausanne",
        kind: OrgKind::MailCenter,
        country: "CH",
        currency: Currency::CHF,
        people: &[
            (
                "olivier.blanc@mc-lausanne.test",
                "Olivier Blanc",
                Role::Owner,
            ),
            (
                "nadia.keller@mc-lausanne.test",
                "Nadia Keller",
                Role::Manager,
            ),
            ("tom.schmid@mc-lausanne.test", "Tom Schmid", Role::Clerk),
        ],
    },
];

/// The demo account that shows 2FA: its TOTP secret is enrolled at load time.
pub const TWO_FACTOR_DEMO_USER: &str = "anna.meier@helvetia.test";

impl App {
    /// Loads the demo data unless it is there already; returns the logins.
    pub async fn load_demo(&self) -> Result<Vec<DemoLogin>> {
        let mut logins = Vec::new();
        let first = EmailAddress::parse("admin@courrier.test")?;
        let fresh = self.store.user_by_email(&first).await?.is_none();
        let mut created = std::collections::HashMap::new();
        for org in ORGS {
            let mut org_id = None;
            if fresh {
                let new = NewOrg {
                    name: org.name.into(),
                    kind: org.kind,
                    country: org.country.into(),
                    currency: org.currency,
                };
                let id = self.create_org(new, "system:demo").await?;
                created.insert(org.name, id);
                org_id = Some(id);
            }
            for (email, name, role) in org.people {
                if let Some(id) = org_id {
                    self.add_user(
                        &OrgScope::system(id, "system:demo"),
                        email,
                        name,
                        DEMO_PASSWORD,
                        *role,
                    )
                    .await?;
                }
                let recovery_codes = if fresh && *email == TWO_FACTOR_DEMO_USER {
                    self.enrol_demo_totp(email).await?
                } else {
                    Vec::new()
                };
                logins.push(DemoLogin {
                    org: org.name.into(),
                    email: (*email).into(),
                    role: *role,
                    recovery_codes,
                });
            }
        }
        if let (Some(center), Some(recipient), Some(platform)) = (
            created.get("Centre courrier Lausanne"),
            created.get("Boulangerie Dupont SàRL"),
            created.get("Courrier Platform"),
        ) {
            self.load_demo_mailbox(*center, *recipient, *platform)
                .await?;
        }
        Ok(logins)
    }

    async fn enrol_demo_totp(&self, email: &str) -> Result<Vec<String>> {
        let user = self
            .store
            .user_by_email(&EmailAddress::parse(email)?)
            .await?
            .ok_or(crate::AppError::NotFound)?;
        let session = self.login(email, DEMO_PASSWORD, None).await?;
        let ctx = self
            .session(&session.token)
            .await?
            .ok_or(crate::AppError::NotFound)?;
        self.start_totp_enrolment(&ctx).await?;
        let code = self.current_totp_code(user.id).await?;
        let codes = self.confirm_totp_enrolment(&ctx, &code).await?;
        self.logout(&session.token).await?;
        Ok(codes)
    }
}
