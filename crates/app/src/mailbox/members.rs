//! Mailboxes opened at a location, the people and companies allowed to
//! receive mail there with their review (the customer submits, the platform
//! pre-approves, the mail center approves, sends back or rejects, always with
//! a note), the clerk's recipient list, and each mailbox's automatic rules.

use super::{RuleView, clean_name, condition_to_str, invalid, location_site, rule_from_record};
use crate::{App, Result};
use courrier_domain::codes;
use courrier_domain::mailbox::{
    ActionKind, CustomerReview, ReviewEvent, ReviewNote, ReviewParty, Rule, review_transition,
};
use courrier_domain::{
    Actor, LocationId, MailboxId, OrgId, OrgKind, OrgScope, Permission, Timestamp,
};
use courrier_store::{
    LocationRecipient, LocationRecord, MailboxRecord, MemberAccess, MemberKind, MemberRecord,
    MemberReviewRecord, RuleRecord,
};

/// A new location mailbox of `org` (named `org_name`), active at once,
/// not stored yet: shared by [`App::open_location_mailbox`] and the
/// sign-up, which stores it with the new organisation in one transaction.
pub(crate) fn location_mailbox_record(
    org: OrgId,
    org_name: &str,
    location: LocationRecord,
    now: Timestamp,
) -> Result<MailboxRecord> {
    let (tz, _) = location_site(&location)?;
    let today = super::intake_day::local_date(now, &tz)?.to_string();
    let mut address = vec![org_name.to_string()];
    address.extend(location.address.iter().cloned());
    Ok(MailboxRecord::active(
        org,
        Some(location.id),
        address.into_iter().take(6).collect(),
        location.country,
        today,
        now,
    ))
}

impl App {
    // ----- mailboxes and members -----

    /// The actor's mailboxes, company mailbox first.
    pub async fn mailboxes(&self, actor: &Actor) -> Result<Vec<MailboxRecord>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        Ok(self.store.list_mailboxes(&scope).await?)
    }

    pub async fn mailbox(&self, actor: &Actor, id: MailboxId) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::MailboxRead)?;
        Ok(self.store.mailbox(&scope, id).await?)
    }

    /// Opens a mailbox at a mail-center location (the iPostal1 model): the
    /// address is the organisation's name at the location. It is active at
    /// once; mail is accepted only for its members once they are approved.
    pub async fn open_location_mailbox(
        &self,
        actor: &Actor,
        location: LocationId,
    ) -> Result<MailboxRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        self.require_kind(actor, OrgKind::Customer)?;
        let location = self.store.location(location).await?;
        let org = self.store.org(scope.org()).await?;
        let now = self.now();
        let mailbox = location_mailbox_record(org.id, &org.name, location, now)?;
        self.store.create_mailbox(&scope, &mailbox, now).await?;
        Ok(mailbox)
    }

    /// Adds a person or company who may receive the mailbox's mail at a
    /// location (the location of a location mailbox, or any location for a
    /// company mailbox). The member starts as a draft: the customer uploads
    /// identity documents and submits it
    /// ([`App::submit_mailbox_member`]); the platform pre-approves, then the
    /// mail center approves.
    pub async fn add_mailbox_member(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
        location: LocationId,
        name: &str,
        kind: MemberKind,
    ) -> Result<MemberRecord> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let mailbox = self.store.mailbox(&scope, mailbox).await?;
        let location = self.store.location(location).await?;
        if mailbox.location.is_some_and(|l| l != location.id) {
            return Err(invalid(
                "location",
                codes::MAIL_MEMBER_INVALID,
                "a location mailbox receives mail at its own location only",
            ));
        }
        let now = self.now();
        let member = MemberRecord {
            id: courrier_domain::MemberId::random(),
            mailbox: mailbox.id,
            org: scope.org(),
            location: location.id,
            name: clean_name("name", codes::MAIL_MEMBER_INVALID, name)?,
            kind,
            review: CustomerReview::Draft,
            notes: String::new(),
            pre_approved_at: None,
            created_at: now,
            updated_at: now,
        };
        self.store.add_member(&scope, &member, now).await?;
        Ok(member)
    }

    /// Members of one of the actor's mailboxes.
    pub async fn mailbox_members(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
    ) -> Result<Vec<MemberRecord>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        self.store.mailbox(&scope, mailbox).await?;
        Ok(self
            .store
            .list_members(&scope, MemberAccess::Tenant, Some(mailbox), None, None)
            .await?)
    }

    /// Who acts on a review, from the actor's organisation: the platform
    /// (`platform.admin`), a mail center (`mailcenter.operate`) or the
    /// customer (`mailbox.act`).
    pub(super) fn reviewer(&self, actor: &Actor) -> Result<(OrgScope, MemberAccess, ReviewParty)> {
        Ok(match actor.org_kind {
            OrgKind::Platform => (
                actor.scope(Permission::PlatformAdmin)?,
                MemberAccess::Platform,
                ReviewParty::Platform,
            ),
            OrgKind::MailCenter => (
                actor.scope(Permission::MailCenterOperate)?,
                MemberAccess::Tenant,
                ReviewParty::MailCenter,
            ),
            OrgKind::Customer => (
                actor.scope(Permission::MailboxAct)?,
                MemberAccess::Tenant,
                ReviewParty::Customer,
            ),
        })
    }

    /// A member the actor may review (its customer, the mail center of its
    /// location, the platform); another's is `NotFound`. Checked before the
    /// decision is read.
    pub async fn member_for_review(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
    ) -> Result<MemberRecord> {
        let (scope, access, _) = self.reviewer(actor)?;
        Ok(self.store.member(&scope, access, member).await?)
    }

    /// A review decision on a member, checked by the domain's review rules:
    /// the platform pre-approves (or rejects), the mail center approves,
    /// sends back or rejects, the customer resubmits. Every decision but a
    /// resubmission needs a note.
    pub async fn review_mailbox_member(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
        event: ReviewEvent,
        note: &str,
    ) -> Result<MemberRecord> {
        let (scope, access, party) = self.reviewer(actor)?;
        let current = self.store.member(&scope, access, member).await?;
        let note = if note.trim().is_empty() {
            None
        } else {
            Some(ReviewNote::parse(note)?)
        };
        let to = review_transition(current.review, event, party, note.as_ref())?;
        if matches!(event, ReviewEvent::Submit | ReviewEvent::Resubmit) {
            self.require_member_documents(&scope, access, member)
                .await?;
        }
        let note_text = note.as_ref().map_or("", ReviewNote::as_str);
        let signup = self.signup_of(current.mailbox).await?;
        let notify = signup
            .as_ref()
            .and_then(|s| self.decision_email(s, &current, event, note_text));
        self.store
            .review_member(
                &scope,
                access,
                member,
                current.review,
                to,
                event.as_str(),
                party.as_str(),
                note_text,
                notify.as_ref(),
                self.now(),
            )
            .await?;
        let updated = self.store.member(&scope, access, member).await?;
        if let (ReviewEvent::Approve, Some(signup)) = (event, &signup) {
            self.after_member_approval(signup).await;
        }
        Ok(updated)
    }

    /// The review queue: for the platform, members submitted or sent back;
    /// for a mail center, members pre-approved at its locations (optionally
    /// one location).
    pub async fn members_to_review(
        &self,
        actor: &Actor,
        location: Option<LocationId>,
    ) -> Result<Vec<MemberRecord>> {
        let (scope, access, party) = self.reviewer(actor)?;
        let states: &[CustomerReview] = match party {
            ReviewParty::Platform => &[CustomerReview::Submitted, CustomerReview::SentBack],
            ReviewParty::MailCenter => &[CustomerReview::PreApproved],
            ReviewParty::Customer => &[CustomerReview::SentBack],
        };
        let mut out = Vec::new();
        for state in states {
            out.extend(
                self.store
                    .list_members(&scope, access, None, location, Some(*state))
                    .await?,
            );
        }
        Ok(out)
    }

    /// A member's review history, oldest first.
    pub async fn member_history(
        &self,
        actor: &Actor,
        member: courrier_domain::MemberId,
    ) -> Result<Vec<MemberReviewRecord>> {
        let (scope, access, _) = self.reviewer(actor)?;
        Ok(self.store.member_history(&scope, access, member).await?)
    }

    /// Recipients at one of the mail center's locations, for intake:
    /// every member with its review and mailbox state (only approved members
    /// of active mailboxes receive mail).
    pub async fn location_recipients(
        &self,
        actor: &Actor,
        location: LocationId,
        name: Option<&str>,
    ) -> Result<Vec<LocationRecipient>> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        Ok(self
            .store
            .location_recipients(&scope, location.id, name)
            .await?)
    }

    // ----- rules -----

    /// Appends an automatic rule to one of the actor's mailboxes; rules run
    /// in order on each new item, the first that applies wins. A paper
    /// original cannot be automatic; a forward goes to the mailbox address.
    pub async fn add_mailbox_rule(
        &self,
        actor: &Actor,
        mailbox: MailboxId,
        rule: &Rule,
    ) -> Result<RuleView> {
        let scope = actor.scope(Permission::MailboxAct)?;
        let mailbox = self.store.mailbox(&scope, mailbox).await?;
        if rule.action.kind() == ActionKind::PaperOriginal {
            return Err(invalid(
                "action",
                codes::MAIL_RULE_INVALID,
                "a paper original is asked for by hand",
            ));
        }
        let mut record = RuleRecord {
            id: courrier_domain::MailboxRuleId::random(),
            mailbox: mailbox.id,
            org: scope.org(),
            position: 0,
            condition: condition_to_str(&rule.condition),
            action: rule.action.kind().as_str().to_string(),
            exceptions: rule.exceptions.iter().map(condition_to_str).collect(),
            created_at: self.now(),
        };
        record.position = self.store.create_rule(&scope, &record, self.now()).await?;
        let rule = rule_from_record(&record, &mailbox)?;
        Ok(RuleView { record, rule })
    }

    /// A mailbox's rules in order.
    pub async fn mailbox_rules(&self, actor: &Actor, mailbox: MailboxId) -> Result<Vec<RuleView>> {
        let scope = actor.scope(Permission::MailboxRead)?;
        let mailbox = self.store.mailbox(&scope, mailbox).await?;
        self.store
            .rules(&scope, mailbox.id)
            .await?
            .into_iter()
            .map(|record| {
                let rule = rule_from_record(&record, &mailbox)?;
                Ok(RuleView { record, rule })
            })
            .collect()
    }

    pub async fn delete_mailbox_rule(
        &self,
        actor: &Actor,
        rule: courrier_domain::MailboxRuleId,
    ) -> Result<()> {
        let scope = actor.scope(Permission::MailboxAct)?;
        Ok(self.store.delete_rule(&scope, rule, self.now()).await?)
    }
}
