//! Signing in: passwords (argon2), sessions, throttling of failed attempts,
//! TOTP second factor with recovery codes, and password reset by e-mail.

use crate::tokens::{random_code, random_token, token_hash};
use crate::{App, AppError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use courrier_domain::audit::AuditEvent;
use courrier_domain::codes;
use courrier_domain::{
    Actor, EmailAddress, Invalid, Locale, OrgScope, Timestamp, UserId, password,
};
use courrier_store::{OrgRecord, SessionRecord, UserRecord};
use totp_rs::{Algorithm, Secret, TOTP};

pub fn hash_password(pw: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal_from(e, "password hashing"))
}

pub fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A fixed hash to verify against when the address is unknown, so a wrong
/// address takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3XK0TZT0bZl2VwWUgw4gKxrFZBM1yOuj0oZc3zI9bS8"
}

/// Where a signed-in session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted, TOTP code still due.
    NeedsSecondFactor,
    /// The organisation requires 2FA and this person has not enrolled yet.
    MustEnrol,
    Complete,
}

/// A session with its person and organisation, as loaded for a request.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub session: SessionRecord,
    pub user: UserRecord,
    pub org: OrgRecord,
}

impl SessionContext {
    pub fn stage(&self) -> SessionStage {
        if self.user.totp_enabled && !self.session.second_factor_done {
            SessionStage::NeedsSecondFactor
        } else if self.org.require_2fa && !self.user.totp_enabled {
            SessionStage::MustEnrol
        } else {
            SessionStage::Complete
        }
    }

    pub fn locale(&self) -> Locale {
        Locale::from_tag(&self.user.locale)
    }

    /// The actor for this session's requests.
    pub fn actor(&self, ip: Option<String>) -> Actor {
        Actor::user(self.user.id, self.org.id, self.org.kind, self.user.role, ip)
    }

    /// A scope over the person's own account (their password, their 2FA).
    pub fn self_scope(&self) -> OrgScope {
        OrgScope::system(self.org.id, &format!("user:{}", self.user.id))
    }
}

/// A new session: the raw token goes in the cookie, only its hash is stored.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub needs_second_factor: bool,
}

/// A pending TOTP enrolment, to show as a QR code and as text.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

fn totp(secret: Vec<u8>) -> Result<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret).map_err(|e| AppError::internal_from(e, "totp"))
}

fn code_invalid() -> AppError {
    AppError::Invalid(Invalid::new(
        "code",
        codes::AUTH_CODE_INVALID,
        "the code is wrong or has expired",
    ))
}

/// The throttle key part for a client address: an IPv4 address as it is, an
/// IPv6 client by its /64 network (one customer line or host usually holds a
/// whole /64, so counting single addresses would let it rotate freely).
/// Text that is not an address is kept as given.
pub fn throttle_address(ip: &str) -> String {
    match ip.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                let net = std::net::Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
        Err(_) => ip.to_string(),
    }
}

impl App {
    /// Records an attempt under `key` and admits it when the key has at most
    /// `max` attempts in the throttle window, this one included (record
    /// first, then count, in one transaction: attempts at once cannot all
    /// slip under the limit). Answers when the attempt was recorded.
    pub(crate) async fn admit_attempt(&self, key: &str, max: i64) -> Result<Timestamp> {
        let now = self.now();
        let since = now.plus_seconds(-self.settings.throttle_window_secs);
        if self.store.admit_attempt(key, now, since, max).await? {
            Ok(now)
        } else {
            Err(AppError::Throttled {
                retry_after_secs: self.settings.throttle_window_secs,
            })
        }
    }

    /// Checks e-mail and password; the same error for an unknown address and a
    /// wrong password. Five failures in 15 minutes lock the address for a while;
    /// fifty from one client address (an IPv6 client by its /64) lock that address.
    pub async fn login(&self, email: &str, password: &str, ip: Option<&str>) -> Result<NewSession> {
        let bad = || {
            AppError::Invalid(Invalid::new(
                "password",
                codes::AUTH_BAD_CREDENTIALS,
                "wrong e-mail or password",
            ))
        };
        let Ok(email) = EmailAddress::parse(email) else {
            return Err(bad());
        };
        let key = format!("login:{email}");
        let at = self
            .admit_attempt(&key, self.settings.max_login_failures)
            .await?;
        // One client address trying many accounts is throttled too, more loosely
        // (offices share an address).
        let ip_key = ip.map(|ip| format!("login-ip:{}", throttle_address(ip)));
        let ip_at = match &ip_key {
            Some(k) => {
                match self
                    .admit_attempt(k, self.settings.max_login_failures * 10)
                    .await
                {
                    Ok(at) => Some(at),
                    Err(e) => {
                        self.store.forget_attempt(&key, at).await?;
                        return Err(e);
                    }
                }
            }
            None => None,
        };
        let user = self.store.user_by_email(&email).await?;
        let ok = match &user {
            Some(u) => verify_password(password, &u.password_hash),
            None => {
                verify_password(password, dummy_hash());
                false
            }
        };
        // A failure stays recorded under both keys.
        let (true, Some(user)) = (ok, user) else {
            return Err(bad());
        };
        self.store.clear_login_failures(&key).await?;
        if let (Some(k), Some(at)) = (&ip_key, ip_at) {
            self.store.forget_attempt(k, at).await?;
        }
        let scope = OrgScope::system(user.org, &format!("user:{}", user.id)).with_ip(ip);
        // An enrolment begun in an earlier session and never confirmed starts
        // over with a new secret.
        self.store
            .discard_pending_totp(&scope, user.id, self.now())
            .await?;
        let session = self.open_session(&user, ip).await?;
        self.store
            .append_audit(
                &scope,
                &AuditEvent::new("user.signed_in", user.id.to_string(), ""),
                self.now(),
            )
            .await?;
        Ok(session)
    }

    async fn open_session(&self, user: &UserRecord, ip: Option<&str>) -> Result<NewSession> {
        let now = self.now();
        let token = random_token(32);
        let csrf_token = random_token(24);
        self.store
            .create_session(&SessionRecord {
                token_hash: token_hash(&token),
                user: user.id,
                csrf_token: csrf_token.clone(),
                second_factor_done: !user.totp_enabled,
                ip: ip.map(str::to_string),
                created_at: now,
                expires_at: now.plus_seconds(self.settings.session_hours * 3600),
            })
            .await?;
        Ok(NewSession {
            token,
            csrf_token,
            needs_second_factor: user.totp_enabled,
        })
    }

    /// Loads the session behind a cookie token, if it is live.
    pub async fn session(&self, token: &str) -> Result<Option<SessionContext>> {
        let Some(session) = self.store.session(&token_hash(token), self.now()).await? else {
            return Ok(None);
        };
        let user = match self.store.user(session.user).await {
            Ok(u) => u,
            Err(courrier_store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let org = self.store.org(user.org).await?;
        Ok(Some(SessionContext { session, user, org }))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    fn user_totp(&self, user: &UserRecord) -> Result<Option<TOTP>> {
        let Some(sealed) = &user.totp_secret else {
            return Ok(None);
        };
        let secret = self
            .master
            .open(sealed, user.id.to_string().as_bytes())
            .map_err(|_| AppError::internal("TOTP secret unreadable with this master key"))?;
        Ok(Some(totp(secret)?))
    }

    /// True when `code` is the person's TOTP code for the current 30-second
    /// step or a neighbour. With `spend`, that step must not have been used
    /// to sign in before, so a code seen once (say, over a shoulder) cannot be
    /// replayed; enrolment only proves possession and spends nothing.
    async fn totp_matches(&self, user: &UserRecord, code: &str, spend: bool) -> Result<bool> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let Some(t) = self.user_totp(user)? else {
            return Ok(false);
        };
        if code.len() != 6 {
            return Ok(false);
        }
        let step = self.now().millis().div_euclid(30_000);
        for candidate in [step - 1, step, step + 1] {
            let at = u64::try_from(candidate.saturating_mul(30)).unwrap_or(0);
            if crate::tokens::constant_time_eq(t.generate(at).as_bytes(), code.as_bytes()) {
                return if spend {
                    Ok(self.store.use_totp_step(user.id, candidate).await?)
                } else {
                    Ok(true)
                };
            }
        }
        Ok(false)
    }

    /// Completes sign-in with a TOTP code or an unused recovery code.
    pub async fn verify_second_factor(&self, ctx: &SessionContext, code: &str) -> Result<()> {
        let key = format!("2fa:{}", ctx.user.id);
        self.admit_attempt(&key, self.settings.max_login_failures)
            .await?;
        let ok = self.totp_matches(&ctx.user, code, true).await?
            || self
                .store
                .use_recovery_code(
                    ctx.user.id,
                    &token_hash(&normalise_recovery(code)),
                    self.now(),
                )
                .await?;
        if !ok {
            return Err(code_invalid());
        }
        self.store.clear_login_failures(&key).await?;
        self.store
            .mark_second_factor_done(&ctx.session.token_hash)
            .await?;
        Ok(())
    }

    /// Starts TOTP enrolment: a new secret, stored sealed and not yet active.
    /// Refused while 2FA is on: replacing the secret would turn it off without
    /// the password check and org policy of [`App::disable_totp`].
    /// A pending secret is kept until enrolment is confirmed, so reloading the
    /// page (or a second tab) shows the same QR code instead of a new one;
    /// signing in again or a new password discards it (an abandoned secret,
    /// perhaps seen by someone else, never becomes the second factor later).
    pub async fn start_totp_enrolment(&self, ctx: &SessionContext) -> Result<TotpEnrolment> {
        let user = self.store.user(ctx.user.id).await?;
        if user.totp_enabled {
            return Err(AppError::Refused(codes::AUTH_2FA_ALREADY_ENABLED));
        }
        let context = ctx.user.id.to_string();
        let pending = user
            .totp_secret
            .as_deref()
            .and_then(|sealed| self.master.open(sealed, context.as_bytes()).ok());
        let secret = match pending {
            Some(secret) => secret,
            None => {
                let mut secret = vec![0u8; 20];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
                let sealed = self.master.seal(&secret, context.as_bytes());
                self.store
                    .set_totp(
                        &ctx.self_scope(),
                        ctx.user.id,
                        Some(&sealed),
                        false,
                        &[],
                        self.now(),
                    )
                    .await?;
                secret
            }
        };
        let secret_base32 = Secret::Raw(secret).to_encoded().to_string();
        let label = format!("Courrier:{}", ctx.user.email);
        let otpauth_url = format!(
            "otpauth://totp/{}?secret={secret_base32}&issuer=Courrier&algorithm=SHA1&digits=6&period=30",
            label.replace(' ', "%20").replace('@', "%40")
        );
        Ok(TotpEnrolment {
            secret_base32,
            otpauth_url,
        })
    }

    /// Confirms enrolment with a first code; returns ten recovery codes, shown once.
    pub async fn confirm_totp_enrolment(
        &self,
        ctx: &SessionContext,
        code: &str,
    ) -> Result<Vec<String>> {
        let user = self.store.user(ctx.user.id).await?;
        if user.totp_enabled {
            return Err(AppError::Refused(codes::AUTH_2FA_ALREADY_ENABLED));
        }
        if !self.totp_matches(&user, code, false).await? {
            return Err(code_invalid());
        }
        let codes: Vec<String> = (0..10)
            .map(|_| format!("{}-{}", random_code(5), random_code(5)))
            .collect();
        let hashes: Vec<String> = codes.iter().map(|c| token_hash(c)).collect();
        self.store
            .set_totp(
                &ctx.self_scope(),
                user.id,
                user.totp_secret.as_deref(),
                true,
                &hashes,
                self.now(),
            )
            .await?;
        self.store
            .mark_second_factor_done(&ctx.session.token_hash)
            .await?;
        Ok(codes)
    }

    /// Turns 2FA off after checking the password; refused where the organisation requires it.
    pub async fn disable_totp(&self, ctx: &SessionContext, password: &str) -> Result<()> {
        if ctx.org.require_2fa {
            return Err(AppError::Refused(codes::AUTH_2FA_REQUIRED_BY_ORG));
        }
        if !verify_password(password, &ctx.user.password_hash) {
            return Err(AppError::Invalid(Invalid::new(
                "password",
                codes::AUTH_BAD_PASSWORD,
                "the password is wrong",
            )));
        }
        self.store
            .set_totp(&ctx.self_scope(), ctx.user.id, None, false, &[], self.now())
            .await?;
        Ok(())
    }

    pub async fn change_password(
        &self,
        ctx: &SessionContext,
        current: &str,
        new: &str,
    ) -> Result<()> {
        if !verify_password(current, &ctx.user.password_hash) {
            return Err(AppError::Invalid(Invalid::new(
                "current_password",
                codes::AUTH_BAD_PASSWORD,
                "the current password is wrong",
            )));
        }
        let hash = hash_password(password::check_new_password(new)?)?;
        self.store
            .set_password(&ctx.self_scope(), ctx.user.id, &hash, self.now())
            .await?;
        self.store
            .discard_pending_totp(&ctx.self_scope(), ctx.user.id, self.now())
            .await?;
        Ok(())
    }

    /// Sends a reset link when the address belongs to someone; answers the
    /// same either way so addresses cannot be probed.
    pub async fn request_password_reset(&self, email: &str, locale: Locale) -> Result<()> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(());
        };
        let key = format!("reset:{email}");
        self.admit_attempt(&key, self.settings.max_login_failures)
            .await?;
        let Some(user) = self.store.user_by_email(&email).await? else {
            return Ok(());
        };
        let token = random_token(32);
        self.store
            .create_password_reset(user.id, &token_hash(&token), self.now().plus_seconds(3600))
            .await?;
        let link = format!("{}/password-reset/{token}", self.settings.public_url);
        let locale = if user.locale.is_empty() {
            locale
        } else {
            Locale::from_tag(&user.locale)
        };
        self.queue_email(&email, crate::email::password_reset(locale, &link))
            .await?;
        Ok(())
    }

    /// Sets a new password from a reset link; the link works once.
    pub async fn reset_password(&self, token: &str, new: &str) -> Result<UserId> {
        let new = password::check_new_password(new)?;
        let user_id = self
            .store
            .take_password_reset(&token_hash(token), self.now())
            .await?
            .ok_or(AppError::Refused(codes::AUTH_RESET_LINK_INVALID))?;
        let user = self.store.user(user_id).await?;
        let scope = OrgScope::system(user.org, &format!("user:{}", user.id));
        self.store
            .set_password(&scope, user.id, &hash_password(new)?, self.now())
            .await?;
        self.store
            .discard_pending_totp(&scope, user.id, self.now())
            .await?;
        Ok(user.id)
    }

    pub async fn set_locale(&self, ctx: &SessionContext, locale: Locale) -> Result<()> {
        Ok(self.store.set_locale(ctx.user.id, locale.as_str()).await?)
    }

    /// The current TOTP code of a person (demo accounts and tests).
    pub async fn current_totp_code(&self, user: UserId) -> Result<String> {
        let user = self.store.user(user).await?;
        let t = self
            .user_totp(&user)?
            .ok_or(AppError::Refused(codes::AUTH_2FA_NOT_ENABLED))?;
        Ok(t.generate(u64::try_from(self.now().millis() / 1000).unwrap_or(0)))
    }
}

fn normalise_recovery(code: &str) -> String {
    code.trim().to_lowercase()
}

/// How often expired sign-in state is pruned.
const CLEANUP_EVERY_SECS: i64 = 3600;

impl App {
    /// The recurring job: deletes expired sessions, failed logins older than
    /// a day and idempotency keys past their 24 hours.
    pub(crate) async fn cleanup_sign_in_state_job(
        &self,
        now: Timestamp,
    ) -> Result<crate::jobs::Outcome> {
        let n = self
            .store
            .prune_sign_in_state(now, now.plus_seconds(-86_400))
            .await?;
        let keys = self
            .store
            .prune_idempotency_keys(now.plus_seconds(-courrier_store::IDEMPOTENCY_TTL_SECS))
            .await?;
        tracing::info!(
            rows = n,
            idempotency_keys = keys,
            "pruned expired sessions, old failed logins and idempotency keys past 24 hours"
        );
        Ok(crate::jobs::Outcome::Done {
            next: Some(now.plus_seconds(CLEANUP_EVERY_SECS)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_throttled_by_their_64() {
        assert_eq!(throttle_address("192.0.2.7"), "192.0.2.7");
        assert_eq!(throttle_address("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(
            throttle_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            throttle_address("2001:db8:1:2::1"),
            throttle_address("2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            throttle_address("2001:db8:1:2::1"),
            throttle_address("2001:db8:1:3::1")
        );
        assert_eq!(throttle_address("not an address"), "not an address");
    }

    #[test]
    fn argon2_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
