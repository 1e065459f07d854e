//! People and their roles inside one organisation, with their second factor.

use courrier_domain::codes;

use crate::audit::audit_scope_in_tx;
use crate::row::RowExt;
use crate::{Page, Result, Store, StoreError, UserRecord, on_pool};
use courrier_domain::audit::AuditEvent;
use courrier_domain::{EmailAddress, OrgScope, Role, Timestamp, UserId};

pub(crate) use crate::row::parse_id;

/// Cuts a fetched `limit + 1` rows into a page and its cursor.
pub(crate) fn paged<T>(mut items: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if items.len() as i64 > limit {
        items.pop();
        items.last().map(cursor_of)
    } else {
        None
    };
    Page { items, next_cursor }
}

/// Splits a `<created_at>:<id>` cursor (newest-first lists); no cursor
/// starts before everything.
pub(crate) fn parse_time_cursor(cursor: Option<&str>) -> Result<(i64, String)> {
    let refused = || StoreError::Refused {
        what: codes::CURSOR_INVALID,
    };
    match cursor {
        Some(c) => {
            let (at, id) = c.split_once(':').ok_or_else(refused)?;
            Ok((at.parse::<i64>().map_err(|_| refused())?, id.to_string()))
        }
        None => Ok((i64::MAX, String::new())),
    }
}

pub(crate) const USER_COLS: &str = "id, org_id, email, display_name, password_hash, role, locale, totp_secret, totp_enabled, created_at";

pub(crate) fn user_from_row(r: &impl RowExt) -> Result<UserRecord> {
    Ok(UserRecord {
        id: r.id("id")?,
        org: r.id("org_id")?,
        email: r.parsed("email", EmailAddress::parse)?,
        display_name: r.col("display_name")?,
        password_hash: r.col("password_hash")?,
        role: r.parsed("role", Role::parse)?,
        locale: r.col("locale")?,
        totp_secret: r.col("totp_secret")?,
        totp_enabled: r.flag("totp_enabled")?,
        created_at: r.ts("created_at")?,
    })
}

impl Store {
    /// Adds a person to the scope's organisation (the record's `org` is ignored).
    pub async fn create_user(
        &self,
        scope: &OrgScope,
        user: &UserRecord,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new(
            "user.created",
            user.id.to_string(),
            format!("{} as {}", user.email, user.role),
        );
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            crate::users::insert_user!(tx, scope.org(), user);
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Looks a person up by login address, across organisations (for signing in).
    pub async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<UserRecord>> {
        on_pool!(self, |p, d| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLS} FROM users WHERE email = $1"
            )))
            .bind(email.as_str())
            .fetch_optional(p)
            .await?;
            match row {
                Some(r) => Ok(Some(user_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// A person by id, whatever the organisation (for resolving a session).
    pub async fn user(&self, id: UserId) -> Result<UserRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLS} FROM users WHERE id = $1"
            )))
            .bind(id.to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            user_from_row(&r)
        })
    }

    /// A person of the scope's organisation; another organisation's id is `NotFound`.
    pub async fn user_in_org(&self, scope: &OrgScope, id: UserId) -> Result<UserRecord> {
        on_pool!(self, |p, d| {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLS} FROM users WHERE id = $1 AND org_id = $2"
            )))
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .fetch_optional(p)
            .await?
            .ok_or(StoreError::NotFound)?;
            user_from_row(&r)
        })
    }

    /// The organisation's people by e-mail address; the cursor is the last address seen.
    pub async fn list_users(
        &self,
        scope: &OrgScope,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<UserRecord>> {
        let limit = i64::from(limit.clamp(1, 200));
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLS} FROM users WHERE org_id = $1 AND email > $2 ORDER BY email LIMIT $3"
            )))
            .bind(scope.org().to_string())
            .bind(cursor.unwrap_or(""))
            .bind(limit + 1)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(user_from_row(&r)?);
            }
        });
        Ok(paged(items, limit, |u| u.email.to_string()))
    }

    /// Changes a role; refuses to leave the organisation without anyone who
    /// manages users. `from` is the role the caller checked the change
    /// against: a person whose role changed meanwhile is refused
    /// (`user.role_changed`). In the same transaction, the API keys the
    /// person created that hold a permission the new role lacks are revoked,
    /// with the keys those keys created, and so are the invitations they sent
    /// for a role above the new one.
    pub async fn set_user_role(
        &self,
        scope: &OrgScope,
        id: UserId,
        from: Option<Role>,
        role: Role,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("user.role_changed", id.to_string(), role.as_str());
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let user = crate::users::lock_member!(tx, d, scope, id);
            if from.is_some_and(|f| f != user.role) {
                return Err(StoreError::Refused {
                    what: codes::USER_ROLE_CHANGED,
                });
            }
            if user.role.manages_users() && !role.manages_users() {
                crate::users::ensure_other_manager!(tx, d, scope, id);
            }
            sqlx::query("UPDATE users SET role = $1 WHERE id = $2 AND org_id = $3")
                .bind(role.as_str())
                .bind(id.to_string())
                .bind(scope.org().to_string())
                .execute(&mut *tx)
                .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            crate::users::revoke_grants_of!(tx, d, scope, id, Some(role.permissions()), now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes a person and ends their sessions; the last user manager stays.
    /// `from` as in [`Store::set_user_role`]. In the same transaction, every
    /// API key the person created is revoked (with the keys those keys
    /// created), and so are the invitations they sent that are still open.
    pub async fn remove_user(
        &self,
        scope: &OrgScope,
        id: UserId,
        from: Option<Role>,
        now: Timestamp,
    ) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let user = crate::users::lock_member!(tx, d, scope, id);
            if from.is_some_and(|f| f != user.role) {
                return Err(StoreError::Refused {
                    what: codes::USER_ROLE_CHANGED,
                });
            }
            if user.role.manages_users() {
                crate::users::ensure_other_manager!(tx, d, scope, id);
            }
            let event = AuditEvent::new("user.removed", id.to_string(), user.email.to_string());
            sqlx::query("DELETE FROM users WHERE id = $1 AND org_id = $2")
                .bind(id.to_string())
                .bind(scope.org().to_string())
                .execute(&mut *tx)
                .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            crate::users::revoke_grants_of!(tx, d, scope, id, None, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets a new password hash and ends every session of the person.
    pub async fn set_password(
        &self,
        scope: &OrgScope,
        id: UserId,
        hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent::new("user.password_changed", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n =
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND org_id = $3")
                    .bind(hash.to_string())
                    .bind(id.to_string())
                    .bind(scope.org().to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn set_locale(&self, id: UserId, locale: &str) -> Result<()> {
        on_pool!(self, |p, d| {
            sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
                .bind(locale.to_string())
                .bind(id.to_string())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Stores a sealed TOTP secret (pending until `enabled`), or clears it, and
    /// replaces the recovery codes with `recovery_hashes`.
    pub async fn set_totp(
        &self,
        scope: &OrgScope,
        id: UserId,
        secret: Option<&[u8]>,
        enabled: bool,
        recovery_hashes: &[String],
        now: Timestamp,
    ) -> Result<()> {
        let action = if enabled {
            "user.2fa_enabled"
        } else if secret.is_some() {
            "user.2fa_started"
        } else {
            "user.2fa_disabled"
        };
        let event = AuditEvent::new(action, id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = $2 WHERE id = $3 AND org_id = $4")
                .bind(secret.map(<[u8]>::to_vec))
                .bind(enabled)
                .bind(id.to_string())
                .bind(scope.org().to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            for h in recovery_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(id.to_string())
                    .bind(h.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Drops a TOTP secret whose enrolment was never confirmed (the next
    /// enrolment starts with a new one); answers whether there was one.
    /// Audited as `user.2fa_enrolment_discarded`.
    pub async fn discard_pending_totp(
        &self,
        scope: &OrgScope,
        id: UserId,
        now: Timestamp,
    ) -> Result<bool> {
        let event = AuditEvent::new("user.2fa_enrolment_discarded", id.to_string(), "");
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE users SET totp_secret = NULL WHERE id = $1 AND org_id = $2 \
                 AND totp_enabled = $3 AND totp_secret IS NOT NULL",
            )
            .bind(id.to_string())
            .bind(scope.org().to_string())
            .bind(false)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            audit_scope_in_tx!(tx, d, scope, &event, now);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records that a person used TOTP time step `step`; false when that step
    /// (or a later one) was used already, which makes the code a replay.
    pub async fn use_totp_step(&self, id: UserId, step: i64) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(id.to_string())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Spends a recovery code; true when it existed and was unused.
    pub async fn use_recovery_code(
        &self,
        id: UserId,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        on_pool!(self, |p, d| {
            let n = sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(now.millis())
            .bind(id.to_string())
            .bind(code_hash.to_string())
            .execute(p)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub async fn unused_recovery_codes(&self, id: UserId) -> Result<i64> {
        on_pool!(self, |p, d| {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(id.to_string())
            .fetch_one(p)
            .await?)
        })
    }
}

macro_rules! insert_user {
    ($tx:expr, $org:expr, $user:expr) => {{
        let user: &$crate::UserRecord = $user;
        sqlx::query(
            "INSERT INTO users (id, org_id, email, display_name, password_hash, role, locale, totp_secret, totp_enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(user.id.to_string())
        .bind($org.to_string())
        .bind(user.email.to_string())
        .bind(user.display_name.clone())
        .bind(user.password_hash.clone())
        .bind(user.role.as_str())
        .bind(user.locale.clone())
        .bind(user.totp_secret.clone())
        .bind(user.totp_enabled)
        .bind(user.created_at.millis())
        .execute(&mut *$tx)
        .await
        .map_err(|e| $crate::StoreError::unique(e, codes::USER_EMAIL_TAKEN))?;
    }};
}
pub(crate) use insert_user;

macro_rules! lock_member {
    ($tx:expr, $d:expr, $scope:expr, $id:expr) => {{
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users WHERE id = $1 AND org_id = $2{}",
            $crate::users::USER_COLS,
            $d.lock_rows
        )))
        .bind($id.to_string())
        .bind($scope.org().to_string())
        .fetch_optional(&mut *$tx)
        .await?
        .ok_or($crate::StoreError::NotFound)?;
        $crate::users::user_from_row(&r)?
    }};
}
pub(crate) use lock_member;

macro_rules! ensure_other_manager {
    ($tx:expr, $d:expr, $scope:expr, $id:expr) => {{
        // Lock the organisation row before reading the other roles (the audit
        // append takes the same lock later, so the order stays user row, then
        // org row): concurrent demotions then check one after the other, and
        // the second sees the first.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM orgs WHERE id = $1{}",
            $d.lock_rows
        )))
        .bind($scope.org().to_string())
        .fetch_optional(&mut *$tx)
        .await?;
        let roles: Vec<String> =
            sqlx::query_scalar("SELECT role FROM users WHERE org_id = $1 AND id <> $2")
                .bind($scope.org().to_string())
                .bind($id.to_string())
                .fetch_all(&mut *$tx)
                .await?;
        let others = roles
            .iter()
            .filter_map(|r| courrier_domain::Role::parse(r).ok())
            .any(|r| r.manages_users());
        if !others {
            return Err($crate::StoreError::Refused {
                what: codes::USER_LAST_MANAGER,
            });
        }
    }};
}
pub(crate) use ensure_other_manager;

/// Revokes, inside a transaction, what a person handed out: the API keys
/// they created and the open invitations they sent, except, when `keep` is
/// the person's new permissions, those that stay within them. A revoked
/// key's own keys and invitations go with it, down the chain. Each
/// revocation is audited.
macro_rules! revoke_grants_of {
    ($tx:expr, $d:expr, $scope:expr, $user:expr, $keep:expr, $now:expr) => {{
        let keep: Option<&[courrier_domain::Permission]> = $keep;
        let now: courrier_domain::Timestamp = $now;
        let mut creators: Vec<(String, Option<&[courrier_domain::Permission]>)> =
            vec![(format!("user:{}", $user), keep)];
        while let Some((creator, keep)) = creators.pop() {
            let keys: Vec<(String, String)> = sqlx::query_as(
                "SELECT id, permissions FROM api_keys \
                 WHERE org_id = $1 AND created_by = $2 AND revoked_at IS NULL ORDER BY id",
            )
            .bind($scope.org().to_string())
            .bind(creator.clone())
            .fetch_all(&mut *$tx)
            .await?;
            for (key, perms) in keys {
                let perms = courrier_domain::Permission::parse_list(&perms)
                    .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                if keep.is_some_and(|k| perms.iter().all(|p| k.contains(p))) {
                    continue;
                }
                sqlx::query(
                    "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
                )
                .bind(now.millis())
                .bind(key.clone())
                .bind($scope.org().to_string())
                .execute(&mut *$tx)
                .await?;
                let event = courrier_domain::audit::AuditEvent::new(
                    "apikey.revoked",
                    key.clone(),
                    format!("{creator} no longer holds its permissions"),
                );
                $crate::audit::audit_scope_in_tx!($tx, $d, $scope, &event, now);
                creators.push((format!("apikey:{key}"), None));
            }
            let invitations: Vec<(String, String)> = sqlx::query_as(
                "SELECT id, role FROM invitations WHERE org_id = $1 AND invited_by = $2 \
                 AND accepted_at IS NULL AND revoked_at IS NULL ORDER BY id",
            )
            .bind($scope.org().to_string())
            .bind(creator.clone())
            .fetch_all(&mut *$tx)
            .await?;
            for (invitation, role) in invitations {
                let role = courrier_domain::Role::parse(&role)
                    .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                if keep.is_some_and(|k| role.permissions().iter().all(|p| k.contains(p))) {
                    continue;
                }
                sqlx::query(
                    "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL",
                )
                .bind(now.millis())
                .bind(invitation.clone())
                .bind($scope.org().to_string())
                .execute(&mut *$tx)
                .await?;
                let event = courrier_domain::audit::AuditEvent::new(
                    "user.invitation_revoked",
                    invitation,
                    format!("{creator} no longer holds the role's permissions"),
                );
                $crate::audit::audit_scope_in_tx!($tx, $d, $scope, &event, now);
            }
        }
    }};
}
pub(crate) use revoke_grants_of;
