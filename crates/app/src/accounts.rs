//! Organisations and their people: creating organisations, adding and
//! inviting users, changing roles, removing people, the 2FA policy, the
//! organisation's time zone.

use crate::auth::hash_password;
use crate::tokens::{random_token, token_hash};
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::{
    Actor, Currency, EmailAddress, Invalid, InvitationId, Locale, OrgId, OrgKind, OrgScope,
    Permission, Role, UserId, password,
};
use courrier_store::{InvitationRecord, OrgRecord, Page, UserRecord};

pub const INVITATION_DAYS: i64 = 7;

/// What a platform admin or the CLI gives to create an organisation.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub kind: OrgKind,
    pub country: String,
    pub currency: Currency,
}

/// A time zone by its IANA name (`Europe/Zurich`, `UTC`), as jiff knows
/// it: the name is kept as given, trimmed.
pub fn parse_time_zone(raw: &str) -> Result<String> {
    let name = raw.trim();
    let known = !name.is_empty() && name.len() <= 64 && jiff::tz::TimeZone::get(name).is_ok();
    if !known {
        return Err(Invalid::new(
            "time_zone",
            courrier_domain::codes::ORG_TIME_ZONE_UNKNOWN,
            format!(
                "'{}' is not a time zone name like Europe/Zurich",
                name.chars().take(64).collect::<String>()
            ),
        )
        .into());
    }
    Ok(name.to_string())
}

/// The organisation's time zone, as stored; UTC (and a warning) if the
/// stored name is no longer known to the time zone database.
pub fn org_zone(org: &OrgRecord) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&org.time_zone).unwrap_or_else(|e| {
        tracing::warn!(org = %org.id, zone = %org.time_zone, error = %e, "unknown organisation time zone, UTC used");
        jiff::tz::TimeZone::UTC
    })
}

fn parse_name(field: &'static str, raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Invalid::new(
            field,
            codes::NAME_INVALID,
            "give a name of 1 to 200 characters",
        )
        .into());
    }
    Ok(name.to_string())
}

fn parse_country(raw: &str) -> Result<String> {
    let c = raw.trim().to_ascii_uppercase();
    if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
        return Err(Invalid::new(
            "country",
            codes::COUNTRY_INVALID,
            format!("'{raw}' is not a two-letter country code"),
        )
        .into());
    }
    Ok(c)
}

/// An invitation as shown to the person who opens its link.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub invitation: InvitationRecord,
    pub org_name: String,
}

impl App {
    /// Creates an organisation with a fresh organisation key (wrapped by the master key).
    pub async fn create_org(&self, new: NewOrg, actor: &str) -> Result<OrgId> {
        let record = self.new_org_record(new)?;
        self.store.create_org(&record, actor).await?;
        Ok(record.id)
    }

    /// A checked organisation record with a fresh key, not stored yet (for
    /// use cases that store it with more in one transaction: the sign-up).
    pub(crate) fn new_org_record(&self, new: NewOrg) -> Result<OrgRecord> {
        let id = OrgId::random();
        let key = crate::vault::SecretKey::random();
        let country = parse_country(&new.country)?;
        Ok(OrgRecord {
            id,
            name: parse_name("name", &new.name)?,
            kind: new.kind,
            time_zone: courrier_domain::zone::default_time_zone(&country).to_string(),
            country,
            currency: new.currency,
            require_2fa: false,
            wrapped_key: self.master.wrap(&key, id.to_string().as_bytes()),
            created_at: self.now(),
        })
    }

    pub(crate) fn org_key(&self, org: &OrgRecord) -> Result<crate::vault::SecretKey> {
        self.master
            .unwrap_key(&org.wrapped_key, org.id.to_string().as_bytes())
            .map_err(|_| AppError::internal("organisation key unreadable with this master key"))
    }

    /// Adds a person directly with a password (CLI and demo data).
    pub async fn add_user(
        &self,
        scope: &OrgScope,
        email: &str,
        name: &str,
        pw: &str,
        role: Role,
    ) -> Result<UserId> {
        let org = self.store.org(scope.org()).await?;
        let role = Role::parse_for(org.kind, role.as_str())?;
        let user = UserRecord {
            id: UserId::random(),
            org: org.id,
            email: EmailAddress::parse(email)?,
            display_name: parse_name("name", name)?,
            password_hash: hash_password(password::check_new_password(pw)?)?,
            role,
            locale: Locale::default().as_str().into(),
            totp_secret: None,
            totp_enabled: false,
            created_at: self.now(),
        };
        self.store.create_user(scope, &user, self.now()).await?;
        Ok(user.id)
    }

    /// Invites someone by e-mail; returns the invitation and its link (shown
    /// to the admin too, so an invitation works even while e-mail is down).
    pub async fn invite(
        &self,
        actor: &Actor,
        email: &str,
        role: &str,
    ) -> Result<(InvitationId, String)> {
        let scope = actor.scope(Permission::UsersManage)?;
        let org = self.store.org(scope.org()).await?;
        let role = Role::parse_for(org.kind, role.trim())?;
        actor.may_grant(role)?;
        let email = EmailAddress::parse(email)?;
        if self.store.user_by_email(&email).await?.is_some() {
            return Err(AppError::Conflict(codes::USER_EMAIL_TAKEN));
        }
        let now = self.now();
        let token = random_token(32);
        let inv = InvitationRecord {
            id: InvitationId::random(),
            org: org.id,
            email: email.clone(),
            role,
            token_hash: token_hash(&token),
            invited_by: scope.actor().to_string(),
            created_at: now,
            expires_at: now.plus_seconds(INVITATION_DAYS * 86_400),
            accepted_at: None,
            revoked_at: None,
        };
        self.store.create_invitation(&scope, &inv, now).await?;
        let (inviter, locale) = match actor.user_id() {
            Some(u) => {
                let u = self.store.user(u).await?;
                (u.display_name, Locale::from_tag(&u.locale))
            }
            None => (org.name.clone(), Locale::default()),
        };
        let link = format!("{}/invitations/{token}", self.settings.public_url);
        self.queue_email(
            &email,
            crate::email::invitation(locale, &org.name, &inviter, role.as_str(), &link),
        )
        .await?;
        Ok((inv.id, link))
    }

    pub async fn invitation(&self, token: &str) -> Result<InvitationView> {
        let invitation = self
            .store
            .open_invitation(&token_hash(token), self.now())
            .await?
            .ok_or(AppError::NotFound)?;
        let org_name = self.store.org(invitation.org).await?.name;
        Ok(InvitationView {
            invitation,
            org_name,
        })
    }

    pub async fn list_invitations(&self, actor: &Actor) -> Result<Vec<InvitationRecord>> {
        let scope = actor.scope(Permission::UsersManage)?;
        Ok(self.store.list_invitations(&scope, self.now()).await?)
    }

    pub async fn revoke_invitation(&self, actor: &Actor, id: InvitationId) -> Result<()> {
        let scope = actor.scope(Permission::UsersManage)?;
        Ok(self.store.revoke_invitation(&scope, id, self.now()).await?)
    }

    /// Accepts an invitation: the person chooses a name and a password.
    pub async fn accept_invitation(
        &self,
        token: &str,
        name: &str,
        pw: &str,
        locale: Locale,
    ) -> Result<UserId> {
        let view = self.invitation(token).await?;
        let user = UserRecord {
            id: UserId::random(),
            org: view.invitation.org,
            email: view.invitation.email.clone(),
            display_name: parse_name("name", name)?,
            password_hash: hash_password(password::check_new_password(pw)?)?,
            role: view.invitation.role,
            locale: locale.as_str().into(),
            totp_secret: None,
            totp_enabled: false,
            created_at: self.now(),
        };
        self.store
            .accept_invitation(view.invitation.id, &user, self.now())
            .await?;
        Ok(user.id)
    }

    pub async fn list_users(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>> {
        let scope = actor.scope(Permission::UsersManage)?;
        Ok(self.store.list_users(&scope, cursor, limit).await?)
    }

    pub async fn get_user(&self, actor: &Actor, id: UserId) -> Result<UserRecord> {
        let scope = actor.scope(Permission::UsersManage)?;
        Ok(self.store.user_in_org(&scope, id).await?)
    }

    /// Gives a person another role. The actor must hold every permission of
    /// the new role and of the person's current one (no one changes someone
    /// above them); keys and invitations the person handed out beyond the new
    /// role are revoked with the change.
    pub async fn change_role(&self, actor: &Actor, id: UserId, role: &str) -> Result<UserRecord> {
        let scope = actor.scope(Permission::UsersManage)?;
        // Another organisation's person is not found, whatever the role asked.
        let current = self.store.user_in_org(&scope, id).await?;
        let role = Role::parse_for(actor.org_kind, role.trim())?;
        actor.may_act_on(current.role)?;
        actor.may_grant(role)?;
        self.store
            .set_user_role(&scope, id, Some(current.role), role, self.now())
            .await?;
        Ok(self.store.user_in_org(&scope, id).await?)
    }

    /// Removes a person who is not above the actor; the keys they created and
    /// the invitations they sent are revoked with them.
    pub async fn remove_user(&self, actor: &Actor, id: UserId) -> Result<()> {
        let scope = actor.scope(Permission::UsersManage)?;
        let current = self.store.user_in_org(&scope, id).await?;
        actor.may_act_on(current.role)?;
        Ok(self
            .store
            .remove_user(&scope, id, Some(current.role), self.now())
            .await?)
    }

    pub async fn set_require_2fa(&self, actor: &Actor, on: bool) -> Result<()> {
        let scope = actor.scope(Permission::OrgSettings)?;
        Ok(self.store.set_require_2fa(&scope, on, self.now()).await?)
    }

    /// Sets the organisation's time zone (`org.settings`): an IANA name
    /// such as `Europe/Zurich`, or `org.time_zone_unknown` on `time_zone`.
    /// Returns the organisation as it now is.
    pub async fn set_org_time_zone(&self, actor: &Actor, time_zone: &str) -> Result<OrgRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let zone = parse_time_zone(time_zone)?;
        self.store
            .set_org_time_zone(&scope, &zone, self.now())
            .await?;
        Ok(self.store.org(scope.org()).await?)
    }

    /// Every organisation, for the platform admin.
    pub async fn list_orgs(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<OrgRecord>> {
        actor.scope(Permission::PlatformAdmin)?;
        Ok(self.store.list_orgs(cursor, limit).await?)
    }
}
