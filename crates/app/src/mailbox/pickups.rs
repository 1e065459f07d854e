//! Pickups at the counter: the clerk checks the customer's identity
//! document (its type and last digits are recorded, never the whole
//! number), selects the items and collects the fees before handing them
//! over. Everything is one transaction: each item moves to `picked_up`
//! with a `picked_up` custody event naming the ID check, open holds are
//! closed, and the fees become a `pickup_fee` usage line.

use super::{invalid, vat_bp};
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::mailbox::{ItemEvent, check_clerk_amount, transition};
use courrier_domain::{Actor, LocationId, MailItemId, Money, OrgId, PickupId};
use courrier_store::{PickupRecord, UsageKind, UsageLineRecord};

/// What the clerk records at the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPickup {
    /// The customer whose mail is handed over.
    pub customer: OrgId,
    pub items: Vec<MailItemId>,
    /// Passport, identity card, driving licence, …
    pub id_document_type: String,
    /// The last 2 to 6 letters or digits of the document's number.
    pub id_last_digits: String,
    /// Fees collected before hand-over (zero when none), in the customer's
    /// currency.
    pub fees: Money,
}

impl App {
    /// Hands items over at one of the clerk's locations
    /// (`mailcenter.operate`). Every item must belong to the customer, be at
    /// this location and be free to leave (not waiting for a scan or a
    /// forward); otherwise nothing is handed over.
    pub async fn create_pickup(
        &self,
        actor: &Actor,
        location: LocationId,
        pickup: NewPickup,
    ) -> Result<PickupRecord> {
        let (scope, location) = self.operator_scope(actor, location).await?;
        let document_type = pickup
            .id_document_type
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if document_type.is_empty() || document_type.chars().count() > 50 {
            return Err(invalid(
                "id_document_type",
                codes::MAIL_PICKUP_INVALID,
                "name the identity document checked (at most 50 characters)",
            ));
        }
        let digits = pickup.id_last_digits.trim().to_string();
        if !(2..=6).contains(&digits.chars().count())
            || !digits.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(invalid(
                "id_last_digits",
                codes::MAIL_PICKUP_INVALID,
                "record the last 2 to 6 letters or digits of the document, not the whole number",
            ));
        }
        let mut distinct = pickup.items.clone();
        distinct.sort();
        distinct.dedup();
        if pickup.items.is_empty()
            || pickup.items.len() > 200
            || distinct.len() != pickup.items.len()
        {
            return Err(invalid(
                "items",
                codes::MAIL_ITEMS_INVALID,
                "select 1 to 200 different items",
            ));
        }
        let customer = self.store.org(pickup.customer).await?;
        if pickup.fees.minor() < 0 || pickup.fees.currency() != customer.currency {
            return Err(invalid(
                "fees",
                codes::MAIL_PICKUP_INVALID,
                format!("fees are zero or more, in {}", customer.currency),
            ));
        }
        check_clerk_amount("fees", pickup.fees)?;
        let mut states = Vec::with_capacity(pickup.items.len());
        for id in &pickup.items {
            let item = self.store.item(&scope, *id).await?;
            if item.org != Some(customer.id) || item.location != Some(location.id) {
                return Err(AppError::NotFound);
            }
            transition(item.state, ItemEvent::PickUp)?;
            states.push((item.id, item.state));
        }
        let now = self.now();
        let record = PickupRecord {
            id: PickupId::random(),
            location: location.id,
            org: customer.id,
            id_document_type: document_type,
            id_last_digits: digits,
            checked_by: scope.actor().to_string(),
            fees: pickup.fees,
            created_at: now,
            items: pickup.items.clone(),
        };
        let fee_line = (pickup.fees.minor() > 0).then(|| UsageLineRecord {
            id: uuid::Uuid::new_v4(),
            org: customer.id,
            kind: UsageKind::PickupFee,
            item: None,
            task: None,
            pickup: Some(record.id),
            amount: pickup.fees,
            vat_bp: vat_bp(&location.country),
            created_at: now,
            description: format!("pickup of {} items", record.items.len()),
        });
        self.store
            .create_pickup(&scope, &record, &states, fee_line.as_ref(), now)
            .await?;
        Ok(self.store.pickup(&scope, record.id).await?)
    }
}
