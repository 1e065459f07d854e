//! API keys: `cour_<prefix>_<secret>`. The prefix finds the key, the secret is
//! stored as a SHA-256 hash and shown once. A key acts for one organisation
//! with named permissions, never more than its creator holds.

use crate::tokens::{constant_time_eq, random_code, random_token, token_hash};
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::{Actor, ApiKeyId, Invalid, Permission};
use courrier_store::{ApiKeyRecord, Page};

pub const KEY_PREFIX: &str = "cour_";

impl App {
    /// Creates a key; the returned string is the only copy of its secret.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        name: &str,
        permissions: &[Permission],
    ) -> Result<(ApiKeyRecord, String)> {
        let scope = actor.scope(Permission::ApiKeysManage)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Invalid::new(
                "name",
                codes::NAME_INVALID,
                "give the key a name of 1 to 100 characters",
            )
            .into());
        }
        if permissions.is_empty() {
            return Err(Invalid::new(
                "permissions",
                codes::PERMISSION_NONE,
                "choose at least one permission",
            )
            .into());
        }
        if let Some(p) = permissions.iter().find(|p| !actor.can(**p)) {
            return Err(Invalid::new(
                "permissions",
                codes::PERMISSION_NOT_HELD,
                format!(
                    "you cannot give a key '{}', which you do not hold",
                    p.as_str()
                ),
            )
            .into());
        }
        let prefix = random_code(12);
        let secret = random_token(32);
        let record = ApiKeyRecord {
            id: ApiKeyId::random(),
            org: scope.org(),
            name: name.to_string(),
            prefix: prefix.clone(),
            secret_hash: token_hash(&secret),
            permissions: permissions.to_vec(),
            created_by: scope.actor().to_string(),
            created_at: self.now(),
            last_used_at: None,
            revoked_at: None,
        };
        self.store
            .create_api_key(&scope, &record, self.now())
            .await?;
        Ok((record, format!("{KEY_PREFIX}{prefix}_{secret}")))
    }

    /// Turns a presented key into an actor, or `Unauthenticated`.
    pub async fn authenticate_api_key(&self, presented: &str, ip: Option<String>) -> Result<Actor> {
        let rest = presented
            .trim()
            .strip_prefix(KEY_PREFIX)
            .ok_or(AppError::Unauthenticated)?;
        let (prefix, secret) = rest.split_once('_').ok_or(AppError::Unauthenticated)?;
        let key = self
            .store
            .active_api_key(prefix)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !constant_time_eq(token_hash(secret).as_bytes(), key.secret_hash.as_bytes()) {
            return Err(AppError::Unauthenticated);
        }
        let org = self.store.org(key.org).await?;
        self.store.touch_api_key(key.id, self.now()).await?;
        Ok(Actor::api_key(
            key.id,
            org.id,
            org.kind,
            key.permissions,
            ip,
        ))
    }

    pub async fn list_api_keys(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ApiKeyRecord>> {
        let scope = actor.scope(Permission::ApiKeysManage)?;
        Ok(self.store.list_api_keys(&scope, cursor, limit).await?)
    }

    pub async fn revoke_api_key(&self, actor: &Actor, id: ApiKeyId) -> Result<()> {
        let scope = actor.scope(Permission::ApiKeysManage)?;
        Ok(self.store.revoke_api_key(&scope, id, self.now()).await?)
    }
}
