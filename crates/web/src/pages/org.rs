//! The organisation's pages: home, users and roles, invitations, API keys,
//! and the audit log.

use super::{Chrome, Screen, render};
use crate::AppState;
use crate::error::ApiError;
use crate::session::{CsrfForm, Fields, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_domain::{ApiKeyId, InvitationId, Permission, Role, UserId};
use serde::Deserialize;

pub(super) const USERS: Screen = Screen::new("users", "/org/users");
pub(super) const KEYS: Screen = Screen::new("keys", "/org/api-keys");

const ORG: Screen = Screen::new("", "/");

#[derive(Deserialize, Default)]
pub struct CursorQuery {
    cursor: Option<String>,
}

fn not_found(s: &SignedIn) -> Response {
    ORG.fail(s, AppError::NotFound)
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    name: String,
    org_name: String,
    org_kind: &'static str,
    /// The catalogue key of the organisation's kind (`party.customer`, …).
    org_kind_key: String,
    role: &'static str,
    people: String,
    require_2fa: bool,
    totp_enabled: bool,
}

pub async fn dashboard(State(st): State<AppState>, s: SignedIn) -> Response {
    let people = match st.app.list_users(&s.actor, None, 200).await {
        Ok(p) => format!(
            "{}{}",
            p.items.len(),
            if p.next_cursor.is_some() { "+" } else { "" }
        ),
        Err(_) => "—".into(),
    };
    let page = DashboardPage {
        name: s.ctx.user.display_name.clone(),
        org_name: s.ctx.org.name.clone(),
        org_kind: s.ctx.org.kind.as_str(),
        org_kind_key: format!("party.{}", s.ctx.org.kind.as_str()),
        role: s.ctx.user.role.as_str(),
        people,
        require_2fa: s.ctx.org.require_2fa,
        totp_enabled: s.ctx.user.totp_enabled,
        chrome: Chrome::signed_in(&s, "home", "/"),
    };
    render(&page)
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    totp: bool,
    /// Whether the viewer may change or remove this person (not above them).
    editable: bool,
}

impl UserRow {
    fn has_role(&self, role: &str) -> bool {
        self.role == role
    }
}

struct InvitationRow {
    id: String,
    email: String,
    role: &'static str,
    expires: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    error: Option<String>,
    invitation_link: Option<String>,
    roles: Vec<&'static str>,
    users: Vec<UserRow>,
    invitations: Vec<InvitationRow>,
    next_cursor: Option<String>,
}

async fn users_view(
    st: &AppState,
    s: &SignedIn,
    cursor: Option<&str>,
    error: Option<ApiError>,
    link: Option<String>,
) -> Response {
    let when = s.when();
    let page = match st.app.list_users(&s.actor, cursor, 50).await {
        Ok(p) => p,
        Err(e) => return ORG.fail(s, e),
    };
    let invitations = match st.app.list_invitations(&s.actor).await {
        Ok(i) => i,
        Err(e) => return ORG.fail(s, e),
    };
    let chrome = Chrome::signed_in(s, "users", "/org/users");
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = UsersPage {
        error: error.map(|e| chrome.l.error(&e)),
        invitation_link: link,
        roles: Role::for_kind(s.ctx.org.kind)
            .iter()
            .filter(|r| s.actor.may_grant(**r).is_ok())
            .map(|r| r.as_str())
            .collect(),
        users: page
            .items
            .into_iter()
            .map(|u| UserRow {
                id: u.id.to_string(),
                name: u.display_name,
                email: u.email.to_string(),
                role: u.role.as_str(),
                totp: u.totp_enabled,
                editable: s.actor.may_act_on(u.role).is_ok(),
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id.to_string(),
                email: i.email.to_string(),
                role: i.role.as_str(),
                expires: when.at(i.expires_at),
            })
            .collect(),
        next_cursor: page.next_cursor,
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn users_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<CursorQuery>,
) -> Response {
    users_view(&st, &s, q.cursor.as_deref(), None, None).await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<InviteForm>,
) -> Response {
    match st.app.invite(&s.actor, &f.email, &f.role).await {
        Ok((_, link)) => users_view(&st, &s, None, None, Some(link)).await,
        Err(e) => users_view(&st, &s, None, Some(e.into()), None).await,
    }
}

pub async fn revoke_invitation(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(id) = id.parse::<InvitationId>() else {
        return not_found(&s);
    };
    match st.app.revoke_invitation(&s.actor, id).await {
        Ok(()) => Redirect::to("/org/users").into_response(),
        Err(e) => ORG.fail(&s, e),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RoleForm>,
) -> Response {
    let Ok(id) = id.parse::<UserId>() else {
        return not_found(&s);
    };
    match st.app.change_role(&s.actor, id, &f.role).await {
        Ok(_) => Redirect::to("/org/users").into_response(),
        Err(AppError::NotFound) => not_found(&s),
        Err(e) => users_view(&st, &s, None, Some(e.into()), None).await,
    }
}

pub async fn remove_user(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(id) = id.parse::<UserId>() else {
        return not_found(&s);
    };
    match st.app.remove_user(&s.actor, id).await {
        Ok(()) => Redirect::to("/org/users").into_response(),
        Err(AppError::NotFound) => not_found(&s),
        Err(e) => users_view(&st, &s, None, Some(e.into()), None).await,
    }
}

struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    permissions: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "apikeys.html")]
struct KeysPage {
    chrome: Chrome,
    error: Option<String>,
    new_key: Option<String>,
    permissions: Vec<&'static str>,
    keys: Vec<KeyRow>,
    next_cursor: Option<String>,
}

async fn keys_view(
    st: &AppState,
    s: &SignedIn,
    cursor: Option<&str>,
    error: Option<ApiError>,
    new_key: Option<String>,
) -> Response {
    let when = s.when();
    let page = match st.app.list_api_keys(&s.actor, cursor, 50).await {
        Ok(p) => p,
        Err(e) => return ORG.fail(s, e),
    };
    let chrome = Chrome::signed_in(s, "keys", "/org/api-keys");
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = KeysPage {
        error: error.map(|e| chrome.l.error(&e)),
        new_key,
        permissions: s.actor.permissions().iter().map(|p| p.as_str()).collect(),
        keys: page
            .items
            .into_iter()
            .map(|k| KeyRow {
                id: k.id.to_string(),
                name: k.name,
                prefix: k.prefix,
                permissions: Permission::join(&k.permissions),
                created: when.at(k.created_at),
                last_used: k
                    .last_used_at
                    .map(|t| when.at(t))
                    .unwrap_or_else(|| "—".into()),
                revoked: k.revoked_at.is_some(),
            })
            .collect(),
        next_cursor: page.next_cursor,
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn keys_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<CursorQuery>,
) -> Response {
    keys_view(&st, &s, q.cursor.as_deref(), None, None).await
}

/// The key form repeats `permission`, which a struct cannot hold, so it is read as pairs.
pub async fn create_key(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(pairs): CsrfForm<Fields>,
) -> Response {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let wanted = pairs
        .iter()
        .filter(|(k, _)| k == "permission")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let permissions = match Permission::parse_list(&wanted) {
        Ok(p) => p,
        Err(e) => return keys_view(&st, &s, None, Some(AppError::from(e).into()), None).await,
    };
    match st
        .app
        .create_api_key(&s.actor, &field("name"), &permissions)
        .await
    {
        Ok((_, key)) => keys_view(&st, &s, None, None, Some(key)).await,
        Err(e) => keys_view(&st, &s, None, Some(e.into()), None).await,
    }
}

pub async fn revoke_key(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(id) = id.parse::<ApiKeyId>() else {
        return not_found(&s);
    };
    match st.app.revoke_api_key(&s.actor, id).await {
        Ok(()) => Redirect::to("/org/api-keys").into_response(),
        Err(e) => ORG.fail(&s, e),
    }
}

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    detail: String,
    target: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<AuditRow>,
    next_cursor: Option<String>,
}

pub async fn audit_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<CursorQuery>,
) -> Response {
    let when = s.when();
    let (page, names) = match (
        st.app.audit_page(&s.actor, q.cursor.as_deref(), 50).await,
        st.app.actor_names(&s.actor).await,
    ) {
        (Ok(p), Ok(n)) => (p, n),
        (Err(e), _) | (_, Err(e)) => return ORG.fail(&s, e),
    };
    let page = AuditPage {
        entries: page
            .items
            .into_iter()
            .map(|e| AuditRow {
                seq: e.seq,
                at: when.at(e.at),
                actor: names.get(&e.actor).cloned().unwrap_or(e.actor),
                action: e.action,
                detail: e.detail,
                target: e.target,
                ip: e.ip.unwrap_or_else(|| "—".into()),
            })
            .collect(),
        next_cursor: page.next_cursor,
        chrome: Chrome::signed_in(&s, "audit", "/org/audit"),
    };
    render(&page)
}
