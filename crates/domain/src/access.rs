//! Tenancy and permissions as types. A request is authenticated once into an
//! [`Actor`]; a use case asks the actor for an [`OrgScope`] carrying a
//! [`Permission`]; store methods for tenant data take that scope, so a query
//! without a tenant filter cannot be written by accident.

use crate::codes;

use crate::{ApiKeyId, Invalid, OrgId, UserId};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgKind {
    /// A business that sends letters and/or receives mail.
    Customer,
    /// A mail center that scans, forwards and hands over mail.
    MailCenter,
    /// The operator running Courrier.
    Platform,
}

impl OrgKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            OrgKind::Customer => "customer",
            OrgKind::MailCenter => "mail_center",
            OrgKind::Platform => "platform",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s {
            "customer" => Ok(OrgKind::Customer),
            "mail_center" => Ok(OrgKind::MailCenter),
            "platform" => Ok(OrgKind::Platform),
            _ => Err(Invalid::new(
                "kind",
                codes::ORG_KIND_INVALID,
                format!("'{s}' is not customer, mail_center or platform"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Approver,
    Member,
    Owner,
    Manager,
    Clerk,
    PlatformAdmin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Approver,
        Role::Member,
        Role::Owner,
        Role::Manager,
        Role::Clerk,
        Role::PlatformAdmin,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Approver => "approver",
            Role::Member => "member",
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Clerk => "clerk",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Invalid::new("role", codes::ROLE_UNKNOWN, format!("'{s}' is not a role"))
            })
    }

    /// The roles an organisation of this kind can give.
    pub fn for_kind(kind: OrgKind) -> &'static [Role] {
        match kind {
            OrgKind::Customer => &[Role::Admin, Role::Approver, Role::Member],
            OrgKind::MailCenter => &[Role::Owner, Role::Manager, Role::Clerk],
            OrgKind::Platform => &[Role::PlatformAdmin],
        }
    }

    /// Parses a role and checks that it belongs to the organisation's kind.
    pub fn parse_for(kind: OrgKind, s: &str) -> Result<Self, Invalid> {
        let role = Role::parse(s)?;
        if Role::for_kind(kind).contains(&role) {
            Ok(role)
        } else {
            Err(Invalid::new(
                "role",
                codes::ROLE_NOT_FOR_ORG_KIND,
                format!("a {} organisation has no '{s}' role", kind.as_str()),
            ))
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                UsersManage,
                ApiKeysManage,
                AuditRead,
                OrgSettings,
                LettersSend,
                LettersApprove,
                LettersRead,
                MailboxRead,
                MailboxAct,
                MoneyView,
            ],
            Role::Approver => &[
                LettersSend,
                LettersApprove,
                LettersRead,
                MailboxRead,
                MailboxAct,
            ],
            Role::Member => &[LettersSend, LettersRead, MailboxRead, MailboxAct],
            Role::Owner => &[
                UsersManage,
                ApiKeysManage,
                AuditRead,
                OrgSettings,
                MailCenterOperate,
                MoneyView,
            ],
            Role::Manager => &[UsersManage, AuditRead, MailCenterOperate],
            Role::Clerk => &[MailCenterOperate],
            Role::PlatformAdmin => &[
                UsersManage,
                ApiKeysManage,
                AuditRead,
                OrgSettings,
                MoneyView,
                PlatformAdmin,
            ],
        }
    }

    /// Whether a person with this role may manage users (and so must be kept:
    /// an organisation never loses its last user manager).
    pub fn manages_users(self) -> bool {
        self.permissions().contains(&Permission::UsersManage)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named permission. Roles grant sets of them; API keys carry a chosen subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    UsersManage,
    ApiKeysManage,
    AuditRead,
    OrgSettings,
    LettersSend,
    LettersApprove,
    LettersRead,
    MailboxRead,
    MailboxAct,
    MailCenterOperate,
    MoneyView,
    PlatformAdmin,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::UsersManage,
        Permission::ApiKeysManage,
        Permission::AuditRead,
        Permission::OrgSettings,
        Permission::LettersSend,
        Permission::LettersApprove,
        Permission::LettersRead,
        Permission::MailboxRead,
        Permission::MailboxAct,
        Permission::MailCenterOperate,
        Permission::MoneyView,
        Permission::PlatformAdmin,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::UsersManage => "users.manage",
            Permission::ApiKeysManage => "apikeys.manage",
            Permission::AuditRead => "audit.read",
            Permission::OrgSettings => "org.settings",
            Permission::LettersSend => "letters.send",
            Permission::LettersApprove => "letters.approve",
            Permission::LettersRead => "letters.read",
            Permission::MailboxRead => "mailbox.read",
            Permission::MailboxAct => "mailbox.act",
            Permission::MailCenterOperate => "mailcenter.operate",
            Permission::MoneyView => "money.view",
            Permission::PlatformAdmin => "platform.admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "permissions",
                    codes::PERMISSION_UNKNOWN,
                    format!("'{s}' is not a permission"),
                )
            })
    }

    /// Parses a comma-separated list, refusing unknown names and empty lists.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, Invalid> {
        let mut out: Vec<Permission> = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Permission::parse)
            .collect::<Result<_, _>>()?;
        out.sort();
        out.dedup();
        if out.is_empty() {
            return Err(Invalid::new(
                "permissions",
                codes::PERMISSION_NONE,
                "choose at least one permission",
            ));
        }
        Ok(out)
    }

    pub fn join(list: &[Permission]) -> String {
        list.iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Who is acting: a signed-in person or an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    User(UserId),
    ApiKey(ApiKeyId),
    /// A trusted operator tool (the CLI), named in the audit log.
    System(&'static str),
}

/// An authenticated principal inside one organisation.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub org: OrgId,
    pub org_kind: OrgKind,
    pub role: Option<Role>,
    permissions: Vec<Permission>,
    /// The client address, for the audit log.
    pub ip: Option<String>,
}

/// Refusal to act: the actor lacks a permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("permission {0:?} is required")]
pub struct Forbidden(pub Permission);

impl Actor {
    pub fn user(
        user: UserId,
        org: OrgId,
        org_kind: OrgKind,
        role: Role,
        ip: Option<String>,
    ) -> Self {
        Self {
            kind: ActorKind::User(user),
            org,
            org_kind,
            role: Some(role),
            permissions: role.permissions().to_vec(),
            ip,
        }
    }

    pub fn api_key(
        key: ApiKeyId,
        org: OrgId,
        org_kind: OrgKind,
        permissions: Vec<Permission>,
        ip: Option<String>,
    ) -> Self {
        Self {
            kind: ActorKind::ApiKey(key),
            org,
            org_kind,
            role: None,
            permissions,
            ip,
        }
    }

    /// An operator acting from the command line with every permission in `org`.
    pub fn system(name: &'static str, org: OrgId, org_kind: OrgKind) -> Self {
        Self {
            kind: ActorKind::System(name),
            org,
            org_kind,
            role: None,
            permissions: Permission::ALL.to_vec(),
            ip: None,
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    /// The audit label: `user:<id>` or `apikey:<id>`.
    pub fn label(&self) -> String {
        match &self.kind {
            ActorKind::User(u) => format!("user:{u}"),
            ActorKind::ApiKey(k) => format!("apikey:{k}"),
            ActorKind::System(name) => format!("system:{name}"),
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self.kind {
            ActorKind::User(u) => Some(u),
            ActorKind::ApiKey(_) | ActorKind::System(_) => None,
        }
    }

    /// Whether the actor holds every permission of `perms`.
    pub fn holds_all(&self, perms: &[Permission]) -> bool {
        perms.iter().all(|p| self.can(*p))
    }

    /// An actor may give (invite with, promote to) only a role whose
    /// permissions it holds itself: no one hands out more than they have.
    pub fn may_grant(&self, role: Role) -> Result<(), Invalid> {
        match role.permissions().iter().find(|p| !self.can(**p)) {
            None => Ok(()),
            Some(p) => Err(Invalid::new(
                "role",
                codes::ROLE_ABOVE_ACTOR,
                format!(
                    "the role '{role}' holds '{}', which you do not hold; only someone who holds it can give it",
                    p.as_str()
                ),
            )),
        }
    }

    /// An actor may change or remove only a person whose role it could give:
    /// someone holding a permission the actor lacks is above it.
    pub fn may_act_on(&self, current: Role) -> Result<(), Invalid> {
        match current.permissions().iter().find(|p| !self.can(**p)) {
            None => Ok(()),
            Some(p) => Err(Invalid::new(
                "id",
                codes::USER_ABOVE_ACTOR,
                format!(
                    "this person is '{current}' and holds '{}', which you do not hold; only someone who holds it can change or remove them",
                    p.as_str()
                ),
            )),
        }
    }

    /// The only way to obtain a scope for tenant data on behalf of a caller.
    pub fn scope(&self, p: Permission) -> Result<OrgScope, Forbidden> {
        if self.can(p) {
            Ok(OrgScope {
                org: self.org,
                actor: self.label(),
                ip: self.ip.clone(),
            })
        } else {
            Err(Forbidden(p))
        }
    }
}

/// Proof that the holder may touch one organisation's data.
#[derive(Debug, Clone)]
pub struct OrgScope {
    org: OrgId,
    actor: String,
    ip: Option<String>,
}

impl OrgScope {
    /// A scope for trusted internal callers (CLI administration, background
    /// jobs); `actor` names them in the audit log, e.g. `system:cli`.
    pub fn system(org: OrgId, actor: &str) -> Self {
        Self {
            org,
            actor: actor.to_string(),
            ip: None,
        }
    }
    /// The same scope, recording the client address in the audit log.
    pub fn with_ip(mut self, ip: Option<&str>) -> Self {
        self.ip = ip.map(str::to_string);
        self
    }
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn actor(&self) -> &str {
        &self.actor
    }
    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_belong_to_kinds() {
        assert!(Role::parse_for(OrgKind::Customer, "approver").is_ok());
        assert_eq!(
            Role::parse_for(OrgKind::Customer, "clerk")
                .unwrap_err()
                .code,
            "role.not_for_org_kind"
        );
        assert_eq!(Role::parse("root").unwrap_err().code, "role.unknown");
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
    }

    #[test]
    fn clerks_do_not_see_money_owners_do() {
        assert!(!Role::Clerk.permissions().contains(&Permission::MoneyView));
        assert!(Role::Owner.permissions().contains(&Permission::MoneyView));
    }

    #[test]
    fn scope_needs_the_permission() {
        let a = Actor::user(
            UserId::random(),
            OrgId::random(),
            OrgKind::Customer,
            Role::Member,
            None,
        );
        assert!(a.scope(Permission::LettersSend).is_ok());
        assert_eq!(
            a.scope(Permission::UsersManage).unwrap_err(),
            Forbidden(Permission::UsersManage)
        );
    }

    fn person(kind: OrgKind, role: Role) -> Actor {
        Actor::user(UserId::random(), OrgId::random(), kind, role, None)
    }

    #[test]
    fn a_manager_cannot_make_anyone_owner() {
        let manager = person(OrgKind::MailCenter, Role::Manager);
        let e = manager.may_grant(Role::Owner).unwrap_err();
        assert_eq!((e.code, e.field), (codes::ROLE_ABOVE_ACTOR, "role"));
        assert!(manager.may_grant(Role::Manager).is_ok());
        assert!(manager.may_grant(Role::Clerk).is_ok());
        assert_eq!(
            manager.may_act_on(Role::Owner).unwrap_err().code,
            "user.above_actor"
        );
        assert!(manager.may_act_on(Role::Clerk).is_ok());
        let owner = person(OrgKind::MailCenter, Role::Owner);
        for r in Role::for_kind(OrgKind::MailCenter) {
            assert!(owner.may_grant(*r).is_ok(), "owner gives {r}");
            assert!(owner.may_act_on(*r).is_ok(), "owner acts on {r}");
        }
        let admin = person(OrgKind::Customer, Role::Admin);
        for r in Role::for_kind(OrgKind::Customer) {
            assert!(admin.may_grant(*r).is_ok(), "admin gives {r}");
        }
    }

    #[test]
    fn a_key_gives_only_what_it_holds() {
        let key = Actor::api_key(
            ApiKeyId::random(),
            OrgId::random(),
            OrgKind::Customer,
            vec![Permission::UsersManage],
            None,
        );
        for r in Role::for_kind(OrgKind::Customer) {
            assert_eq!(key.may_grant(*r).unwrap_err().code, "role.above_actor");
            assert_eq!(key.may_act_on(*r).unwrap_err().code, "user.above_actor");
        }
        assert!(key.holds_all(&[Permission::UsersManage]));
        assert!(!key.holds_all(&[Permission::UsersManage, Permission::AuditRead]));
    }

    #[test]
    fn permission_lists() {
        assert_eq!(
            Permission::parse_list("audit.read, users.manage,audit.read")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            Permission::parse_list(" , ").unwrap_err().code,
            "permission.none"
        );
        assert_eq!(
            Permission::parse_list("x.y").unwrap_err().code,
            "permission.unknown"
        );
    }
}
