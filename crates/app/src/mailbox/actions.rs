//! Requests by the customer, on one item or in bulk: every request is
//! checked by the domain ([`check_request`]: state, physical or digital,
//! scannable, the 25-day window of originals) and becomes a task for the
//! mail center, due at the SLA deadline of the location (before 13:00 local
//! time on a business day: the same day; later: the end of the next
//! business day). The fee is written as a usage line only when the task is
//! done. A scan of an item that cannot be scanned becomes a forward to the
//! mailbox address instead, due the next business day, with the reason and
//! the 2.50 fee. Marking an item handled needs no task; the paper original
//! of a digital letter is printed and posted through the outbound pipeline.

use super::{invalid, location_site, vat_bp};
use crate::letters::LetterInput;
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::mailbox::{
    Action, ActionKind, ForwardAddress, ItemEvent, MailboxState, Origin, PriceList,
    RetentionPolicy, SlaRules, UnscannableReason, check_request, scannable, transition,
};
use courrier_domain::{Actor, LetterId, MailItemId, OrgKind, OrgScope, Permission, TaskId};
use courrier_store::{
    MailItemRecord, MailboxRecord, TaskRecord, TaskState, UsageKind, UsageLineRecord,
};

/// Items one bulk request may name.
pub const MAX_BULK_ITEMS: usize = 200;

/// What a request became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// A task for the mail center.
    Task(TaskRecord),
    /// A scan was asked for, but the item cannot be scanned: it is forwarded
    /// to the mailbox address instead (the task), for this reason.
    ForwardedInstead {
        task: TaskRecord,
        reason: UnscannableReason,
    },
    /// Done at once (marked handled).
    Done,
    /// The paper original of a digital letter, posted as this letter (in
    /// the platform's organisation).
    Letter(LetterId),
}

impl App {
    /// Asks for `action` on each of `items` (`mailbox.act`, 1 to 200
    /// distinct items of the actor's organisation). Each item succeeds or
    /// fails on its own: the answer lists every item with its outcome, in
    /// the order given; an item of another organisation is `NotFound`.
    pub async fn request_action(
        &self,
        actor: &Actor,
        items: &[MailItemId],
        action: &Action,
    ) -> Result<Vec<(MailItemId, Result<Requested>)>> {
        let scope = actor.scope(Permission::MailboxAct)?;
        self.require_kind(actor, OrgKind::Customer)?;
        let mut distinct = items.to_vec();
        distinct.sort();
        distinct.dedup();
        if items.is_empty() || items.len() > MAX_BULK_ITEMS || distinct.len() != items.len() {
            return Err(invalid(
                "items",
                codes::MAIL_ITEMS_INVALID,
                format!("name 1 to {MAX_BULK_ITEMS} different items"),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for id in items {
            let outcome = self.request_one(&scope, *id, action, "").await;
            out.push((*id, outcome));
        }
        Ok(out)
    }

    /// One request in the customer's `scope`; `why` names who asked when it
    /// was not the customer (a rule, the retention of originals).
    pub(crate) async fn request_one(
        &self,
        scope: &OrgScope,
        id: MailItemId,
        action: &Action,
        why: &str,
    ) -> Result<Requested> {
        let item = self.store.item(scope, id).await?;
        if item.org != Some(scope.org()) {
            return Err(AppError::NotFound);
        }
        let mailbox = match item.mailbox {
            Some(m) => Some(self.store.mailbox(scope, m).await?),
            None => None,
        };
        let now = self.now();
        if action.kind() == ActionKind::Scan
            && mailbox
                .as_ref()
                .is_some_and(|m| m.state != MailboxState::Active)
        {
            return Err(AppError::Refused(codes::MAILBOX_SUSPENDED));
        }
        if action.kind() == ActionKind::Scan
            && let Err(u) = scannable(&item.item)
        {
            return self
                .forward_instead(scope, &item, mailbox.as_ref(), u.reason)
                .await;
        }
        check_request(
            action,
            item.state,
            &item.item,
            item.received_at,
            now,
            &RetentionPolicy::DEFAULT,
        )?;
        match (action.kind(), item.item.origin) {
            (ActionKind::MarkHandled, _) => {
                let to = transition(item.state, ItemEvent::MarkHandled)?;
                self.store
                    .set_item_state(
                        scope,
                        item.id,
                        item.state,
                        to,
                        ItemEvent::MarkHandled.as_str(),
                        why,
                        true,
                        now,
                    )
                    .await?;
                Ok(Requested::Done)
            }
            (ActionKind::PaperOriginal, Origin::Digital) => {
                self.post_paper_original(scope, &item, mailbox.as_ref())
                    .await
            }
            _ => {
                let event = action
                    .request_event(item.item.origin)
                    .ok_or_else(|| AppError::internal("a physical request has an event"))?;
                let to = transition(item.state, event)?;
                let (lines, country, bundle) = match action {
                    Action::Forward { address, bundle } => {
                        (address.lines().to_vec(), Some(address.country()), *bundle)
                    }
                    Action::PaperOriginal => {
                        let address = mailbox_address(mailbox.as_ref())?;
                        (address.lines().to_vec(), Some(address.country()), false)
                    }
                    _ => (Vec::new(), None, false),
                };
                let task = self
                    .new_task(
                        &item,
                        action.kind(),
                        &PriceList::DEFAULT.fee(action, &item.item),
                        why,
                        false,
                    )
                    .await?;
                let task = TaskRecord {
                    forward_address: lines,
                    forward_country: country,
                    bundle,
                    ..task
                };
                self.store
                    .request_task(scope, &task, item.state, to, event.as_str(), why, now)
                    .await?;
                Ok(Requested::Task(self.store.task(scope, task.id).await?))
            }
        }
    }

    /// A task for `item` at its location, due at the SLA deadline (the
    /// unscannable forward deadline with `next_day`).
    pub(crate) async fn new_task(
        &self,
        item: &MailItemRecord,
        action: ActionKind,
        fee: &courrier_domain::Money,
        note: &str,
        next_day: bool,
    ) -> Result<TaskRecord> {
        let location = self
            .store
            .location(
                item.location
                    .ok_or(AppError::Refused(codes::MAIL_NOT_PHYSICAL))?,
            )
            .await?;
        let (tz, calendar) = location_site(&location)?;
        let now = self.now();
        let rules = SlaRules::DEFAULT;
        let due_at = if next_day {
            rules.unscannable_forward_deadline(now, &tz, &calendar)?
        } else {
            rules.deadline(now, &tz, &calendar)?
        };
        Ok(TaskRecord {
            id: TaskId::random(),
            location: location.id,
            item: item.id,
            org: item.org.ok_or(AppError::NotFound)?,
            action,
            state: TaskState::Open,
            requested_at: now,
            requested_by: String::new(),
            due_at,
            done_at: None,
            done_by: None,
            fee: *fee,
            note: note.to_string(),
            forward_address: Vec::new(),
            forward_country: None,
            bundle: false,
        })
    }

    /// The forward that replaces a scan of an unscannable item.
    async fn forward_instead(
        &self,
        scope: &OrgScope,
        item: &MailItemRecord,
        mailbox: Option<&MailboxRecord>,
        reason: UnscannableReason,
    ) -> Result<Requested> {
        let address = mailbox_address(mailbox)?;
        let forward = Action::forward(address.clone(), false);
        check_request(
            &forward,
            item.state,
            &item.item,
            item.received_at,
            self.now(),
            &RetentionPolicy::DEFAULT,
        )?;
        let to = transition(item.state, ItemEvent::RequestForward)?;
        let note = format!(
            "not scanned: {} ({}); forwarded instead",
            reason.message(),
            reason.code()
        );
        let task = self
            .new_task(
                item,
                ActionKind::Forward,
                &PriceList::DEFAULT.fee(&forward, &item.item),
                &note,
                true,
            )
            .await?;
        let task = TaskRecord {
            forward_address: address.lines().to_vec(),
            forward_country: Some(address.country()),
            ..task
        };
        self.store
            .request_task(
                scope,
                &task,
                item.state,
                to,
                ItemEvent::RequestForward.as_str(),
                &note,
                self.now(),
            )
            .await?;
        Ok(Requested::ForwardedInstead {
            task: self.store.task(scope, task.id).await?,
            reason,
        })
    }

    /// Prints and posts a digital letter to the mailbox address through the
    /// outbound pipeline (sent by the platform), billed as a paper original.
    async fn post_paper_original(
        &self,
        scope: &OrgScope,
        item: &MailItemRecord,
        mailbox: Option<&MailboxRecord>,
    ) -> Result<Requested> {
        let address = mailbox_address(mailbox)?;
        let document = item
            .digital_document
            .ok_or(AppError::Refused(codes::DOCUMENT_SHREDDED))?;
        let (_, pdf) = self.read_document(scope, document).await?;
        let platform = self.platform_org().await?;
        let sender = Actor::system("paper-original", platform.id, OrgKind::Platform);
        let input = LetterInput {
            reference: format!("paper original {}", item.id),
            recipient_lines: Some(address.lines().to_vec()),
            ..LetterInput::default()
        };
        // Taken first, so a second request (a double click) is refused
        // before a second letter is made; given back if the letter fails.
        self.store
            .reserve_paper_original(scope, item.id, self.now())
            .await?;
        let letter = match self.create_letter(&sender, &pdf, &input, true).await {
            Ok(prepared) => prepared.record,
            Err(e) => {
                self.store.release_paper_original(scope, item.id).await?;
                return Err(e);
            }
        };
        let now = self.now();
        let fee = PriceList::DEFAULT.fee(&Action::PaperOriginal, &item.item);
        let line = UsageLineRecord {
            id: uuid::Uuid::new_v4(),
            org: scope.org(),
            kind: UsageKind::PaperOriginal,
            item: Some(item.id),
            task: None,
            pickup: None,
            amount: fee,
            vat_bp: vat_bp(&address.country()),
            created_at: now,
            description: format!("paper original of {}", item.id),
        };
        // The letter, its bill and the custody event: one transaction.
        self.store
            .record_paper_original(scope, item.id, letter.id, &line, now)
            .await?;
        Ok(Requested::Letter(letter.id))
    }
}

/// Where forwards and originals of a mailbox go: its postal address.
fn mailbox_address(mailbox: Option<&MailboxRecord>) -> Result<ForwardAddress> {
    let mailbox = mailbox.ok_or(AppError::Refused(codes::MAIL_NO_MAILBOX))?;
    Ok(ForwardAddress::new(
        mailbox.address.clone(),
        mailbox.country,
    )?)
}
