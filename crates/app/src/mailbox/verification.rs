//! Company mailboxes verified by post (the ePost model).
//!
//! The organisation enters its postal address and an activation date at
//! least 21 days after it signed up. Courrier issues a one-time code (only
//! its digest is stored) and posts it in a one-page letter rendered from
//! the merge crate's default Typst template, sent by the **platform**
//! organisation through the ordinary outbound pipeline
//! ([`App::create_letter`], submitted at once). Typing the code verifies
//! the address: wrong codes count, and the fifth locks the code for 24
//! hours ([`AppError::Throttled`]). Changing the address suspends an active
//! mailbox (and its scanning) until the new code, sent the same way, is
//! typed.

use super::{clean_address, invalid};
use crate::letters::LetterInput;
use crate::{App, AppError, Result};
use courrier_documents::{CountryCode, PostalAddress};
use courrier_domain::audit::AuditEvent;
use courrier_domain::codes;
use courrier_domain::letters::Country;
use courrier_domain::mailbox::verification::activation_reached;
use courrier_domain::mailbox::{
    CodeChallenge, MailboxEvent, MailboxState, VerificationCode, VerificationRules,
    check_activation_date, mailbox_transition,
};
use courrier_domain::{Actor, LetterId, MailboxId, OrgKind, OrgScope, Permission, Timestamp};
use courrier_store::{MailboxRecord, OrgRecord};
use jiff::civil::Date;
use rand::RngCore;
use std::collections::BTreeMap;

/// Who sends verification letters, in the platform's audit log.
const SENDER: &str = "verification";

impl App {
    /// Opens the organisation's company mailbox (`org.settings`, customers
    /// only): checks the address (2 to 6 lines the post can read) and the
    /// activation date (at least 21 days after sign-up,
    /// `mail.activation_too_early`), then posts the verification code and
    /// stores the mailbox as pending verification. A second company mailbox
    /// is `Conflict("mailbox.exists")`; without a platform organisation to
    /// send the letter, `Refused("mailbox.no_platform")`.
    pub async fn open_company_mailbox(
        &self,
        actor: &Actor,
        address: &[String],
        activation_date: Date,
    ) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        self.require_kind(actor, OrgKind::Customer)?;
        let org = self.store.org(scope.org()).await?;
        let (address, country) = postal_address(&org, address)?;
        let (_, tz, _) = self.carrier_site(&Country::parse(&org.country)?).await?;
        let rules = VerificationRules::DEFAULT;
        check_activation_date(org.created_at, activation_date, &tz, &rules)?;
        let existing = self.store.list_mailboxes(&scope).await?;
        if existing.iter().any(|m| m.location.is_none()) {
            return Err(AppError::Conflict(codes::MAILBOX_EXISTS));
        }
        let now = self.now();
        let id = MailboxId::random();
        let (code, challenge) = CodeChallenge::issue(random_bytes(), now);
        let expires = challenge.expires_at(&rules);
        let letter = self
            .post_verification_code(&org, &address, &code, expires, id)
            .await?;
        let mailbox = MailboxRecord {
            id,
            org: org.id,
            location: None,
            state: MailboxState::PendingVerification,
            address,
            country,
            activation_date: activation_date.to_string(),
            challenge: Some(challenge),
            code_expires_at: Some(expires),
            code_used_at: None,
            verification_letter: Some(letter),
            created_at: now,
            verified_at: None,
            updated_at: now,
            version: 0,
        };
        if let Err(e) = self.store.create_mailbox(&scope, &mailbox, now).await {
            self.withdraw_code_letter(letter).await;
            return Err(e.into());
        }
        Ok(mailbox)
    }

    /// Checks the code from the letter (`mailbox.act`). Right: the mailbox
    /// is verified, and active at once when its activation date has come.
    /// Wrong: `mail.code_wrong` with the tries left; the fifth wrong code
    /// locks the challenge for 24 hours, and every attempt meanwhile is
    /// `Throttled`. Expired or used codes are `mail.code_expired` /
    /// `mail.code_used`. Two attempts at the same moment: one of them is
    /// `Conflict("mailbox.changed")`, so counters cannot be skipped.
    pub async fn verify_mailbox(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
        code: &str,
    ) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let current = self.store.mailbox(&scope, mailbox).await?;
        let Some(mut challenge) = current.challenge.filter(|_| {
            matches!(
                current.state,
                MailboxState::PendingVerification | MailboxState::Suspended
            )
        }) else {
            return Err(AppError::Refused(codes::MAILBOX_NOT_AWAITING_CODE));
        };
        let rules = VerificationRules::DEFAULT;
        let now = self.now();
        let outcome = challenge.attempt(code, now, &rules);
        let mut after = current.clone();
        after.challenge = Some(challenge);
        let event = match &outcome {
            Ok(()) => {
                let (_, tz, _) = self
                    .carrier_site(&Country::parse(
                        &self.store.org(scope.org()).await?.country,
                    )?)
                    .await?;
                let date: Date = current
                    .activation_date
                    .parse()
                    .map_err(|e| AppError::internal_from(e, "activation date"))?;
                let reached = activation_reached(date, now, &tz)?;
                after.state = mailbox_transition(
                    current.state,
                    MailboxEvent::AddressVerified {
                        activation_reached: reached,
                    },
                )?;
                after.verified_at = Some(now);
                after.code_used_at = Some(now);
                AuditEvent::new(
                    "mailbox.verified",
                    current.id.to_string(),
                    after.state.as_str(),
                )
            }
            Err(e) => AuditEvent::new(
                "mailbox.code_refused",
                current.id.to_string(),
                e.code.to_string(),
            ),
        };
        // A malformed entry or a running lock changes nothing to record.
        if outcome.is_ok() || after.challenge != current.challenge {
            self.store
                .update_mailbox(&scope, &current, &after, &event, now)
                .await?;
        }
        match outcome {
            Ok(()) => Ok(self.store.mailbox(&scope, mailbox).await?),
            Err(e) if e.code == "mail.code_locked" => Err(AppError::Throttled {
                retry_after_secs: challenge
                    .locked_until
                    .map_or(0, |until| until.seconds_since(now).max(1)),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes the postal address of the company mailbox (`org.settings`):
    /// an active mailbox is suspended (no scanning, no digital deliveries)
    /// until the code posted to the new address is typed.
    pub async fn change_mailbox_address(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
        address: &[String],
    ) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let current = self.store.mailbox(&scope, mailbox).await?;
        let org = self.store.org(scope.org()).await?;
        let (address, country) = postal_address(&org, address)?;
        let state = mailbox_transition(current.state, MailboxEvent::AddressChanged)?;
        self.reissue_code(&scope, &org, current, Some((address, country)), state)
            .await
    }

    /// Posts a new code to the current address of a mailbox still waiting
    /// for one (the letter was lost, or the code expired).
    pub async fn resend_mailbox_code(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
    ) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let current = self.store.mailbox(&scope, mailbox).await?;
        if !matches!(
            current.state,
            MailboxState::PendingVerification | MailboxState::Suspended
        ) {
            return Err(AppError::Refused(codes::MAILBOX_NOT_AWAITING_CODE));
        }
        let org = self.store.org(scope.org()).await?;
        let state = current.state;
        self.reissue_code(&scope, &org, current, None, state).await
    }

    async fn reissue_code(
        &self,
        scope: &OrgScope,
        org: &OrgRecord,
        current: MailboxRecord,
        new_address: Option<(Vec<String>, Country)>,
        state: MailboxState,
    ) -> Result<MailboxRecord> {
        if current.location.is_some() {
            return Err(AppError::Refused(codes::MAILBOX_NOT_VERIFIED_BY_POST));
        }
        let now = self.now();
        let rules = VerificationRules::DEFAULT;
        let (code, challenge) = CodeChallenge::issue(random_bytes(), now);
        let expires = challenge.expires_at(&rules);
        let mut after = current.clone();
        if let Some((address, country)) = new_address {
            after.address = address;
            after.country = country;
        }
        after.state = state;
        after.challenge = Some(challenge);
        after.code_expires_at = Some(expires);
        after.code_used_at = None;
        let letter = self
            .post_verification_code(org, &after.address, &code, expires, current.id)
            .await?;
        after.verification_letter = Some(letter);
        let event = AuditEvent::new(
            "mailbox.code_sent",
            current.id.to_string(),
            format!("{} → {}", current.state.as_str(), state.as_str()),
        );
        if let Err(e) = self
            .store
            .update_mailbox(scope, &current, &after, &event, now)
            .await
        {
            self.withdraw_code_letter(letter).await;
            return Err(e.into());
        }
        Ok(self.store.mailbox(scope, current.id).await?)
    }

    /// The platform organisation, which sends verification letters.
    pub(crate) async fn platform_org(&self) -> Result<OrgRecord> {
        let mut cursor: Option<String> = None;
        loop {
            let page = self.store.list_orgs(cursor.as_deref(), 200).await?;
            if let Some(org) = page.items.into_iter().find(|o| o.kind == OrgKind::Platform) {
                return Ok(org);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Err(AppError::Refused(codes::MAILBOX_NO_PLATFORM)),
            }
        }
    }

    /// Renders the code letter and sends it as the platform; returns the
    /// letter (in the platform's organisation).
    async fn post_verification_code(
        &self,
        org: &OrgRecord,
        address: &[String],
        code: &VerificationCode,
        expires: Timestamp,
        mailbox: MailboxId,
    ) -> Result<LetterId> {
        let platform = self.platform_org().await?;
        let (_, tz, _) = self
            .carrier_site(&Country::parse(&platform.country)?)
            .await?;
        let expiry = jiff::Timestamp::from_millisecond(expires.millis())
            .map(|t| tz.to_datetime(t).date().strftime("%d.%m.%Y").to_string())
            .map_err(|e| AppError::Internal(e.into()))?;
        let grouped = code.grouped();
        let body = format!(
            "Bonjour,\n\nvoici le code qui vérifie l'adresse de la boîte aux lettres Courrier de {name} :\n\n{grouped}\n\n\
             Saisissez-le dans Courrier (Courrier reçu, Vérifier l'adresse) avant le {expiry}. \
             Il ne sert qu'une fois. Si vous n'avez rien demandé, ignorez cette lettre.\n\n\
             Hello,\n\nthis is the code that verifies the address of the Courrier mailbox of {name}:\n\n{grouped}\n\n\
             Enter it in Courrier (Mailbox, Verify the address) before {expiry}. It can be used once. \
             If you did not ask for it, ignore this letter.",
            name = org.name,
        );
        let inputs: BTreeMap<String, String> = [
            ("name", address.join("\n")),
            (
                "subject",
                "Code de vérification / Verification code".to_string(),
            ),
            ("body", body),
            ("sender", platform.name.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let pdf = self
            .renders
            .render(
                &courrier_merge::Template::new(courrier_merge::DEFAULT_TEMPLATE),
                &inputs,
                self.template_today(&tz),
            )
            .await?
            .map_err(|e| AppError::internal_from(e, "rendering the code letter"))?;
        let sender = Actor::system(SENDER, platform.id, OrgKind::Platform);
        let input = LetterInput {
            reference: format!("mailbox verification {mailbox}"),
            recipient_lines: Some(address.to_vec()),
            ..LetterInput::default()
        };
        let prepared = self.create_letter(&sender, &pdf, &input, true).await?;
        Ok(prepared.record.id)
    }

    /// Cancels a code letter whose mailbox could not be saved.
    async fn withdraw_code_letter(&self, letter: LetterId) {
        let Ok(platform) = self.platform_org().await else {
            return;
        };
        let sender = Actor::system(SENDER, platform.id, OrgKind::Platform);
        if let Err(e) = self.cancel_letter(&sender, letter).await {
            tracing::warn!(%letter, error = %e, "a verification letter for a mailbox that was not saved could not be cancelled");
        }
    }
}

/// Checks an address for a letter: tidy lines the post can read. Returns
/// the lines and the destination country.
fn postal_address(org: &OrgRecord, lines: &[String]) -> Result<(Vec<String>, Country)> {
    let lines = clean_address(lines)?;
    let home = CountryCode::parse(&org.country)?;
    let parsed = PostalAddress::from_window_lines(&lines, home).map_err(|f| {
        invalid(
            "address",
            codes::MAIL_ADDRESS_INVALID,
            f.to_invalid().message,
        )
    })?;
    let country = Country::parse(parsed.country().as_str())?;
    Ok((lines, country))
}

fn random_bytes() -> [u8; 8] {
    let mut buf = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}
