//! Sign-in state: sessions, failed-login counts, invitations, password resets
//! and API keys. Tokens and secrets arrive here already hashed.

use courrier_domain::codes;

use crate::audit::{append_in_tx, audit_scope_in_tx};
use crate::row::RowExt;
use crate::users::{insert_user, paged, parse_id};
use crate::{
    ApiKeyRecord, InvitationRecord, Page, Result, SessionRecord, Store, StoreError, UserRecord,
    on_pool,
};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{
    ApiKeyId, EmailAddress, InvitationId, OrgScope, Permission, Role, Timestamp, UserId,
};
use sqlx::Row;

const INVITATION_COLS: &str = "id, org_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, revoked_at";

pub(crate) fn invitation_from_row(r: &impl RowExt) -> Result<InvitationRecord> {
    Ok(InvitationRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        email: r.parsed("email", EmailAddress::parse)?,
        role: r.parsed("role", Role::parse)?,
        token_hash: r.col("token_hash")?,
        invited_by: r.col("invited_by")?,
        created_at: r.ts("created_at")?,
        expires_at: r.ts("expires_at")?,
        accepted_at: r.opt_ts("accepted_at")?,
        revoked_at: r.opt_ts("revoked_at")?,
    })
}

const API_KEY_COLS: &str = "id, org_id, name, prefix, secret_hash, permissions, created_by, created_at, last_used_at, revoked_at";

pub(crate) fn api_key_from_row(r: &impl RowExt) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        name: r.col("name")?,
        prefix: r.col("prefix")?,
        secret_hash: r.col("secret_hash")?,
        permissions: r.parsed("permissions", Permission::parse_list)?,
        created_by: r.col("created_by")?,
        created_at: r.ts("created_at")?,
        last_used_at: r.opt_ts("last_used_at")?,
        revoked_at: r.opt_ts("revoked_at")?,
    })
}

/// Stores a password-reset (or activation) token hash through `$exec`
/// (shared by [`Store::create_password_reset`] and the sign-up's one
/// transaction).
macro_rules! insert_password_reset {
    ($exec:expr, $user:expr, $token_hash:expr, $expires_at:expr) => {{
        let user: courrier_domain::UserId = $user;
        let token_hash: &str = $token_hash;
        let expires_at: courrier_domain::Timestamp = $expires_at;
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash.to_string())
        .bind(user.to_string())
        .bind(expires_at.millis())
        .execute($exec)
        .await?;
    }};
}
pub(crate) use insert_password_reset;

/// Deletes one of the equal rows `(key, at)` of `login_failures`.
macro_rules! delete_one_attempt {
    ($tx:ident, $d:ident, $key:expr, $at:expr) => {{
        let row_id = $d.row_id;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM login_failures WHERE {row_id} IN \
             (SELECT {row_id} FROM login_failures WHERE throttle_key = $1 AND at = $2 LIMIT 1)"
        )))
        .bind($key.to_string())
        .bind($at.millis())
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Store {
    // ----- sessions -----

    pub async fn create_session(&self, s: &SessionRecord) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, second_factor_done, ip, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(s.token_hash.clone())
            .bind(s.user.to_string())
            .bind(s.csrf_token.clone())
            .bind(s.second_factor_done)
            .bind(s.ip.clone())
            .bind(s.created_at.millis())
            .bind(s.expires_at.millis())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// A live session by token hash; expired ones are not returned.
    pub async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>> {
        on_pool!(self, |p, d| {
            let row = sqlx::query(
                "SELECT token_hash, user_id, csrf_token, second_factor_done, ip, created_at, expires_at \
                 FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash.to_string())
            .bind(now.millis())
            .fetch_optional(p)
            .await?;
            let Some(r) = row else { return Ok(None) };
            Ok(Some(SessionRecord {
                token_hash: r.try_get("token_hash")?,
                user: parse_id(r.try_get::<String, _>("user_id")?)?,
                csrf_token: r.try_get("csrf_token")?,
                second_factor_done: r.try_get("second_factor_done")?,
                ip: r.try_get("ip")?,
                created_at: Timestamp::from_millis(r.try_get("created_at")?),
                expires_at: Timestamp::from_millis(r.try_get("expires_at")?),
            }))
        })
    }

    pub async fn mark_second_factor_done(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("UPDATE sessions SET second_factor_done = $1 WHERE token_hash = $2")
                .bind(true)
                .bind(token_hash.to_string())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash.to_string())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    // ----- throttling -----

    pub async fn record_login_failure(&self, key: &str, now: Timestamp) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)")
                .bind(key.to_string())
                .bind(now.millis())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn login_failures_since(&self, key: &str, since: Timestamp) -> Result<i64> {
        on_pool!(self, |p, d| {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1 AND at > $2",
            )
            .bind(key.to_string())
            .bind(since.millis())
            .fetch_one(p)
            .await?)
        })
    }

    /// Records one attempt under `key` and counts the key's attempts since
    /// `since`, this one included, in one transaction that attempts on the
    /// same key wait for: of any number of attempts at once, at most `max`
    /// in the window are admitted. A refused attempt is taken back before
    /// the commit, so knocking on a closed door does not keep it closed.
    /// Answers whether the attempt is admitted; an admitted attempt stays
    /// recorded (a failure until [`Store::forget_attempt`] or
    /// [`Store::clear_login_failures`] says otherwise).
    pub async fn admit_attempt(
        &self,
        key: &str,
        now: Timestamp,
        since: Timestamp,
        max: i64,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if let Some(lock) = d.lock_key {
                sqlx::query(lock)
                    .bind(key.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)")
                .bind(key.to_string())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1 AND at > $2",
            )
            .bind(key.to_string())
            .bind(since.millis())
            .fetch_one(&mut *tx)
            .await?;
            let admitted = n <= max;
            if !admitted {
                delete_one_attempt!(tx, d, key, now);
            }
            tx.commit().await?;
            Ok(admitted)
        })
    }

    /// Takes back one attempt recorded by [`Store::admit_attempt`] at `at`
    /// (it turned out not to be a failure).
    pub async fn forget_attempt(&self, key: &str, at: Timestamp) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            delete_one_attempt!(tx, d, key, at);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
                .bind(key.to_string())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    // ----- invitations -----

    pub async fn create_invitation(
        &self,
        scope: &OrgScope,
        inv: &InvitationRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "user.invited",
            inv.id.to_string(),
            format!("{} as {}", inv.email, inv.role),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(inv.id.to_string())
            .bind(scope.org().to_string())
            .bind(inv.email.to_string())
            .bind(inv.role.as_str())
            .bind(inv.token_hash.clone())
            .bind(scope.actor().to_string())
            .bind(inv.created_at.millis())
            .bind(inv.expires_at.millis())
            .execute(&mut *tx)
            .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// An open invitation (not accepted, revoked or expired) by token hash.
    pub async fn open_invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<InvitationRecord>> {
        on_pool!(self, |p, d| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {INVITATION_COLS} FROM invitations WHERE token_hash = $1 \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2"
            )))
            .bind(token_hash.to_string())
            .bind(now.millis())
            .fetch_optional(p)
            .await?;
            match row {
                Some(r) => Ok(Some(invitation_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    pub async fn list_invitations(
        &self,
        scope: &OrgScope,
        now: Timestamp,
    ) -> Result<Vec<InvitationRecord>> {
        let mut out = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {INVITATION_COLS} FROM invitations WHERE org_id = $1 \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 200"
            )))
            .bind(scope.org().to_string())
            .bind(now.millis())
            .fetch_all(p)
            .await?;
            for r in rows {
                out.push(invitation_from_row(&r)?);
            }
        });
        Ok(out)
    }

    pub async fn revoke_invitation(
        &self,
        scope: &OrgScope,
        id: InvitationId,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("user.invitation_revoked", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Turns an open invitation into a person, once: a second acceptance finds
    /// the invitation closed and answers `NotFound`.
    pub async fn accept_invitation(
        &self,
        invitation: InvitationId,
        user: &UserRecord,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let org: Option<String> = sqlx::query_scalar(
                "UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL \
                 AND expires_at > $1 RETURNING org_id",
            )
            .bind(now.millis())
            .bind(invitation.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let org: courrier_domain::OrgId = parse_id(org.ok_or(StoreError::NotFound)?)?;
            insert_user!(tx, org, user);
            let event = AuditEvent::new(
                "user.joined",
                user.id.to_string(),
                format!("{} as {}", user.email, user.role),
            );
            append_in_tx!(tx, d, org, &format!("user:{}", user.id), None, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    // ----- password resets -----

    pub async fn create_password_reset(
        &self,
        user: UserId,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            insert_password_reset!(p, user, token_hash, expires_at);
        });
        Ok(())
    }

    /// Spends a reset token; returns whose it was when it was valid.
    pub async fn take_password_reset(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        on_pool!(self, |p, d| {
            let user: Option<String> = sqlx::query_scalar(
                "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING user_id",
            )
            .bind(now.millis())
            .bind(token_hash.to_string())
            .fetch_optional(p)
            .await?;
            user.map(parse_id).transpose()
        })
    }

    // ----- API keys -----

    pub async fn create_api_key(
        &self,
        scope: &OrgScope,
        key: &ApiKeyRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "apikey.created",
            key.id.to_string(),
            format!("{}: {}", key.name, Permission::join(&key.permissions)),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, permissions, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(key.id.to_string())
            .bind(scope.org().to_string())
            .bind(key.name.clone())
            .bind(key.prefix.clone())
            .bind(key.secret_hash.clone())
            .bind(Permission::join(&key.permissions))
            .bind(scope.actor().to_string())
            .bind(key.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, codes::APIKEY_PREFIX_TAKEN))?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A key that is not revoked, by its public prefix (for authenticating a request).
    pub async fn active_api_key(&self, prefix: &str) -> Result<Option<ApiKeyRecord>> {
        on_pool!(self, |p, d| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_KEY_COLS} FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL"
            )))
            .bind(prefix.to_string())
            .fetch_optional(p)
            .await?;
            match row {
                Some(r) => Ok(Some(api_key_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    pub async fn touch_api_key(&self, id: ApiKeyId, now: Timestamp) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(now.millis())
                .bind(id.to_string())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn list_api_keys(
        &self,
        scope: &OrgScope,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ApiKeyRecord>> {
        let limit = i64::from(limit.clamp(1, 200));
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {API_KEY_COLS} FROM api_keys WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            )))
            .bind(scope.org().to_string())
            .bind(cursor.unwrap_or(""))
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(api_key_from_row(&r)?);
            }
        });
        Ok(paged(items, limit, |k| k.id.to_string()))
    }

    pub async fn revoke_api_key(
        &self,
        scope: &OrgScope,
        id: ApiKeyId,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("apikey.revoked", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }
}
