//! What a customer (or one of their rules) can ask for on an item, what it
//! costs, and the item's life as a state machine.
//!
//! * [`Action`]: scan, forward (to an address, optionally bundled), shred,
//!   recycle, hold for pickup, local delivery, paper original, mark handled.
//! * [`ItemState`] and [`transition`]: the only rule for state changes. A
//!   request puts an item in a `…Requested` state (a task for the mail
//!   center); the clerk's completion moves it on. Forwarded, shredded,
//!   recycled, picked-up, delivered and refused items are gone: nothing
//!   happens to them any more (`mail.item_gone`).
//! * [`allowed`]: whether an action may be asked for an item in a state,
//!   including the scanner's limits (an unscannable item is refused with its
//!   `mail.unscannable.*` reason and the suggestion to forward it) and
//!   digital deliveries (nothing physical to forward or shred).
//! * [`PriceList`] and [`forward_price`]: the fees of the scanning service and
//!   the forwarding shipping price with the mail center's markup cap.
//!
//! Codes: `mail.action_unknown`, `mail.forward_address_missing`,
//! `mail.forward_address_invalid`, `mail.item_gone`, `mail.action_pending`,
//! `mail.already_scanned`, `mail.already_digital`, `mail.not_physical`,
//! `mail.not_scanned`, `mail.illegal_transition`, `mail.item_state_unknown`,
//! `mail.original_expired`, `mail.markup_above_cap`, `mail.price_invalid`
//! and the `mail.unscannable.*` reasons of [`super::item`].

use crate::codes;

use super::item::{MailItem, Origin, scannable};
use super::retention::RetentionPolicy;
use crate::letters::Country;
use crate::{Currency, Invalid, Money, Timestamp};
use std::fmt;

/// The name of an action, without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    Scan,
    Forward,
    Shred,
    Recycle,
    HoldForPickup,
    LocalDelivery,
    PaperOriginal,
    MarkHandled,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::Scan,
        ActionKind::Forward,
        ActionKind::Shred,
        ActionKind::Recycle,
        ActionKind::HoldForPickup,
        ActionKind::LocalDelivery,
        ActionKind::PaperOriginal,
        ActionKind::MarkHandled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ActionKind::Scan => "scan",
            ActionKind::Forward => "forward",
            ActionKind::Shred => "shred",
            ActionKind::Recycle => "recycle",
            ActionKind::HoldForPickup => "hold_for_pickup",
            ActionKind::LocalDelivery => "local_delivery",
            ActionKind::PaperOriginal => "paper_original",
            ActionKind::MarkHandled => "mark_handled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        ActionKind::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "action",
                    codes::MAIL_ACTION_UNKNOWN,
                    format!("'{s}' is not a mailbox action"),
                )
            })
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// At most this many lines on a forwarding label.
pub const MAX_ADDRESS_LINES: usize = 6;
/// At most this many characters on one line.
pub const MAX_ADDRESS_LINE_CHARS: usize = 100;

/// Where a forward goes: the label's lines (name first, locality last) and
/// the country. Only the shape is checked here (2 to 6 non-empty lines of at
/// most 100 characters, no control characters); postcode rules per country
/// belong to the address reader, which should run before this is built.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForwardAddress {
    lines: Vec<String>,
    country: Country,
}

impl ForwardAddress {
    pub fn new(lines: Vec<String>, country: Country) -> Result<Self, Invalid> {
        let bad = |why: String| Invalid::new("address", codes::MAIL_FORWARD_ADDRESS_INVALID, why);
        let lines: Vec<String> = lines
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() < 2 || lines.len() > MAX_ADDRESS_LINES {
            return Err(bad(format!(
                "a forwarding address has 2 to {MAX_ADDRESS_LINES} lines, not {}",
                lines.len()
            )));
        }
        if let Some(l) = lines
            .iter()
            .find(|l| l.chars().count() > MAX_ADDRESS_LINE_CHARS)
        {
            return Err(bad(format!(
                "'{l}' is longer than {MAX_ADDRESS_LINE_CHARS} characters"
            )));
        }
        if lines.iter().any(|l| l.chars().any(char::is_control)) {
            return Err(bad("an address line contains control characters".into()));
        }
        Ok(Self { lines, country })
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub const fn country(&self) -> Country {
        self.country
    }
}

/// A request on an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Open and scan the item into the mailbox.
    Scan,
    /// Post the item to `address`. With `bundle`, the mail center waits for
    /// the customer's other forwards to the same address and ships them in
    /// one package (one shipping price).
    Forward {
        address: ForwardAddress,
        bundle: bool,
    },
    Shred,
    /// Put in paper recycling without shredding (advertising).
    Recycle,
    /// Set aside at the counter for the customer to collect.
    HoldForPickup,
    /// Hand to a local courier for same-day delivery.
    LocalDelivery,
    /// Post the paper original of a scanned letter to the mailbox holder
    /// (physical items, within the retention of originals), or print and
    /// post a digitally delivered one.
    PaperOriginal,
    /// Mark "taken in charge" (ePost's « Pris en charge »).
    MarkHandled,
}

impl Action {
    pub fn forward(address: ForwardAddress, bundle: bool) -> Self {
        Action::Forward { address, bundle }
    }

    pub const fn kind(&self) -> ActionKind {
        match self {
            Action::Scan => ActionKind::Scan,
            Action::Forward { .. } => ActionKind::Forward,
            Action::Shred => ActionKind::Shred,
            Action::Recycle => ActionKind::Recycle,
            Action::HoldForPickup => ActionKind::HoldForPickup,
            Action::LocalDelivery => ActionKind::LocalDelivery,
            Action::PaperOriginal => ActionKind::PaperOriginal,
            Action::MarkHandled => ActionKind::MarkHandled,
        }
    }

    pub const fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }

    /// An action from its name. `forward` needs an address and is refused
    /// here with `mail.forward_address_missing`: build it with
    /// [`Action::forward`].
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Ok(match ActionKind::parse(s)? {
            ActionKind::Scan => Action::Scan,
            ActionKind::Forward => {
                return Err(Invalid::new(
                    "address",
                    codes::MAIL_FORWARD_ADDRESS_MISSING,
                    "a forward needs an address",
                ));
            }
            ActionKind::Shred => Action::Shred,
            ActionKind::Recycle => Action::Recycle,
            ActionKind::HoldForPickup => Action::HoldForPickup,
            ActionKind::LocalDelivery => Action::LocalDelivery,
            ActionKind::PaperOriginal => Action::PaperOriginal,
            ActionKind::MarkHandled => Action::MarkHandled,
        })
    }

    /// The state change this request causes on `origin`'s items, or `None`
    /// when it changes no item state (a paper copy of a digital delivery is
    /// a new outbound letter; the item stays as it is).
    pub const fn request_event(&self, origin: Origin) -> Option<ItemEvent> {
        Some(match (self.kind(), origin) {
            (ActionKind::PaperOriginal, Origin::Digital) => return None,
            (ActionKind::Scan, _) => ItemEvent::RequestScan,
            (ActionKind::Forward | ActionKind::PaperOriginal, _) => ItemEvent::RequestForward,
            (ActionKind::Shred, _) => ItemEvent::RequestShred,
            (ActionKind::Recycle, _) => ItemEvent::RequestRecycle,
            (ActionKind::HoldForPickup, _) => ItemEvent::HoldForPickup,
            (ActionKind::LocalDelivery, _) => ItemEvent::RequestDelivery,
            (ActionKind::MarkHandled, _) => ItemEvent::MarkHandled,
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an item is. States ending in `Requested` (and `OutForDelivery`)
/// have an open task; the six gone states are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemState {
    /// Logged at intake (or delivered digitally); nothing asked yet.
    Received,
    ScanRequested,
    Scanned,
    /// A forward or a paper original waits to be posted.
    ForwardRequested,
    Forwarded,
    ShredRequested,
    Shredded,
    RecycleRequested,
    Recycled,
    /// Set aside at the counter.
    HeldForPickup,
    PickedUp,
    /// Local delivery asked; waits for the courier.
    DeliveryRequested,
    /// Handed to the courier.
    OutForDelivery,
    Delivered,
    /// Taken in charge by the customer.
    Handled,
    /// The recipient is not on the location's verified list: not accepted.
    Refused,
}

impl ItemState {
    pub const ALL: [ItemState; 16] = [
        ItemState::Received,
        ItemState::ScanRequested,
        ItemState::Scanned,
        ItemState::ForwardRequested,
        ItemState::Forwarded,
        ItemState::ShredRequested,
        ItemState::Shredded,
        ItemState::RecycleRequested,
        ItemState::Recycled,
        ItemState::HeldForPickup,
        ItemState::PickedUp,
        ItemState::DeliveryRequested,
        ItemState::OutForDelivery,
        ItemState::Delivered,
        ItemState::Handled,
        ItemState::Refused,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ItemState::Received => "received",
            ItemState::ScanRequested => "scan_requested",
            ItemState::Scanned => "scanned",
            ItemState::ForwardRequested => "forward_requested",
            ItemState::Forwarded => "forwarded",
            ItemState::ShredRequested => "shred_requested",
            ItemState::Shredded => "shredded",
            ItemState::RecycleRequested => "recycle_requested",
            ItemState::Recycled => "recycled",
            ItemState::HeldForPickup => "held_for_pickup",
            ItemState::PickedUp => "picked_up",
            ItemState::DeliveryRequested => "delivery_requested",
            ItemState::OutForDelivery => "out_for_delivery",
            ItemState::Delivered => "delivered",
            ItemState::Handled => "handled",
            ItemState::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        ItemState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "state",
                    codes::MAIL_ITEM_STATE_UNKNOWN,
                    format!("'{s}' is not an item state"),
                )
            })
    }

    /// The state an item is logged in: refused when its recipient is not on
    /// the location's verified list (it is still recorded, as refused).
    pub const fn at_intake(recipient_verified: bool) -> ItemState {
        if recipient_verified {
            ItemState::Received
        } else {
            ItemState::Refused
        }
    }

    /// The item has left the mailbox (or was never accepted).
    pub const fn is_gone(self) -> bool {
        matches!(
            self,
            ItemState::Forwarded
                | ItemState::Shredded
                | ItemState::Recycled
                | ItemState::PickedUp
                | ItemState::Delivered
                | ItemState::Refused
        )
    }

    /// A task for the mail center is open on the item.
    pub const fn is_pending(self) -> bool {
        self.pending_task().is_some()
    }

    /// The open task's action, if any.
    pub const fn pending_task(self) -> Option<ActionKind> {
        match self {
            ItemState::ScanRequested => Some(ActionKind::Scan),
            ItemState::ForwardRequested => Some(ActionKind::Forward),
            ItemState::ShredRequested => Some(ActionKind::Shred),
            ItemState::RecycleRequested => Some(ActionKind::Recycle),
            ItemState::DeliveryRequested | ItemState::OutForDelivery => {
                Some(ActionKind::LocalDelivery)
            }
            _ => None,
        }
    }

    /// At the mail center with no task open: a request can be made.
    pub const fn is_at_rest(self) -> bool {
        matches!(
            self,
            ItemState::Received
                | ItemState::Scanned
                | ItemState::Handled
                | ItemState::HeldForPickup
        )
    }
}

impl fmt::Display for ItemState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an item: a request (by the customer or a rule) or the
/// mail center's completion of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemEvent {
    RequestScan,
    /// The clerk uploaded the scan.
    ScanDone,
    /// A forward or a paper original.
    RequestForward,
    /// Posted to the forwarding address.
    Shipped,
    RequestShred,
    ShredDone,
    RequestRecycle,
    RecycleDone,
    HoldForPickup,
    /// Handed over at the counter (after the ID check and the fees).
    PickUp,
    RequestDelivery,
    HandToCourier,
    DeliveryConfirmed,
    /// The courier brought it back.
    DeliveryFailed,
    MarkHandled,
    /// The clerk refuses an item just logged (recipient not verified).
    Refuse,
}

impl ItemEvent {
    pub const ALL: [ItemEvent; 16] = [
        ItemEvent::RequestScan,
        ItemEvent::ScanDone,
        ItemEvent::RequestForward,
        ItemEvent::Shipped,
        ItemEvent::RequestShred,
        ItemEvent::ShredDone,
        ItemEvent::RequestRecycle,
        ItemEvent::RecycleDone,
        ItemEvent::HoldForPickup,
        ItemEvent::PickUp,
        ItemEvent::RequestDelivery,
        ItemEvent::HandToCourier,
        ItemEvent::DeliveryConfirmed,
        ItemEvent::DeliveryFailed,
        ItemEvent::MarkHandled,
        ItemEvent::Refuse,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ItemEvent::RequestScan => "request_scan",
            ItemEvent::ScanDone => "scan_done",
            ItemEvent::RequestForward => "request_forward",
            ItemEvent::Shipped => "shipped",
            ItemEvent::RequestShred => "request_shred",
            ItemEvent::ShredDone => "shred_done",
            ItemEvent::RequestRecycle => "request_recycle",
            ItemEvent::RecycleDone => "recycle_done",
            ItemEvent::HoldForPickup => "hold_for_pickup",
            ItemEvent::PickUp => "pick_up",
            ItemEvent::RequestDelivery => "request_delivery",
            ItemEvent::HandToCourier => "hand_to_courier",
            ItemEvent::DeliveryConfirmed => "delivery_confirmed",
            ItemEvent::DeliveryFailed => "delivery_failed",
            ItemEvent::MarkHandled => "mark_handled",
            ItemEvent::Refuse => "refuse",
        }
    }

    /// A customer's (or rule's) request, as opposed to the mail center's work.
    pub const fn is_request(self) -> bool {
        matches!(
            self,
            ItemEvent::RequestScan
                | ItemEvent::RequestForward
                | ItemEvent::RequestShred
                | ItemEvent::RequestRecycle
                | ItemEvent::HoldForPickup
                | ItemEvent::RequestDelivery
                | ItemEvent::MarkHandled
        )
    }

    /// The state the event leads to when allowed.
    pub const fn target(self) -> ItemState {
        match self {
            ItemEvent::RequestScan => ItemState::ScanRequested,
            ItemEvent::ScanDone => ItemState::Scanned,
            ItemEvent::RequestForward => ItemState::ForwardRequested,
            ItemEvent::Shipped => ItemState::Forwarded,
            ItemEvent::RequestShred => ItemState::ShredRequested,
            ItemEvent::ShredDone => ItemState::Shredded,
            ItemEvent::RequestRecycle => ItemState::RecycleRequested,
            ItemEvent::RecycleDone => ItemState::Recycled,
            ItemEvent::HoldForPickup => ItemState::HeldForPickup,
            ItemEvent::PickUp => ItemState::PickedUp,
            ItemEvent::RequestDelivery => ItemState::DeliveryRequested,
            ItemEvent::HandToCourier => ItemState::OutForDelivery,
            ItemEvent::DeliveryConfirmed => ItemState::Delivered,
            ItemEvent::DeliveryFailed => ItemState::Received,
            ItemEvent::MarkHandled => ItemState::Handled,
            ItemEvent::Refuse => ItemState::Refused,
        }
    }
}

impl fmt::Display for ItemEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn gone(from: ItemState) -> Invalid {
    Invalid::new(
        "state",
        codes::MAIL_ITEM_GONE,
        format!("the item is {from}; nothing more can be done with it"),
    )
}

fn pending(from: ItemState, asked: impl fmt::Display) -> Invalid {
    Invalid::new(
        "state",
        codes::MAIL_ACTION_PENDING,
        format!("the item is {from}; wait until that is done before asking for {asked}"),
    )
}

/// The state after `event`, or why it is refused.
///
/// From an item at rest (received, scanned, handled, held for pickup) every
/// request is possible, except scanning twice, holding twice, marking a held
/// item handled, and refusing anything but a just-received item. A pending
/// item only accepts the completion of its task; a gone item nothing.
pub fn transition(from: ItemState, event: ItemEvent) -> Result<ItemState, Invalid> {
    use ItemEvent as E;
    use ItemState as S;
    let allowed = matches!(
        (from, event),
        // Intake: a just-logged item can still be refused.
        (S::Received, E::Refuse)
            // Requests on an item at rest.
            | (S::Received | S::Handled, E::RequestScan)
            | (S::Received | S::Scanned | S::Handled, E::HoldForPickup)
            | (S::Received | S::Scanned, E::MarkHandled)
            | (
                S::Received | S::Scanned | S::Handled | S::HeldForPickup,
                E::RequestForward
                    | E::RequestShred
                    | E::RequestRecycle
                    | E::RequestDelivery
                    | E::PickUp,
            )
            // The mail center completes the open task.
            | (S::ScanRequested, E::ScanDone)
            | (S::ForwardRequested, E::Shipped)
            | (S::ShredRequested, E::ShredDone)
            | (S::RecycleRequested, E::RecycleDone)
            | (S::DeliveryRequested, E::HandToCourier)
            | (S::OutForDelivery, E::DeliveryConfirmed | E::DeliveryFailed)
    );
    if allowed {
        return Ok(event.target());
    }
    if from.is_gone() {
        return Err(gone(from));
    }
    if from.is_pending() && event.is_request() {
        return Err(pending(from, event));
    }
    if from == S::Scanned && event == E::RequestScan {
        return Err(Invalid::new(
            "state",
            codes::MAIL_ALREADY_SCANNED,
            "the item is already scanned",
        ));
    }
    Err(Invalid::new(
        "state",
        codes::MAIL_ILLEGAL_TRANSITION,
        format!(
            "an item cannot go from {from} to {} ({event})",
            event.target()
        ),
    ))
}

/// Whether `action` may be asked for `item` in `state` (time limits aside,
/// see [`check_request`]). Refusals, in this order: the item is gone or has
/// a task open; the action needs a physical item but this one was delivered
/// digitally; the state does not allow it (see [`transition`]); a scan of an
/// unscannable item, refused with its `mail.unscannable.*` reason and the
/// suggestion to forward it; a paper original of a letter never scanned
/// (`mail.not_scanned`: forward it instead).
pub fn allowed(action: &Action, state: ItemState, item: &MailItem) -> Result<(), Invalid> {
    if state.is_gone() {
        return Err(gone(state));
    }
    let kind = action.kind();
    let event = match (item.origin, action.request_event(item.origin)) {
        (Origin::Digital, _) if kind == ActionKind::Scan => {
            return Err(Invalid::new(
                "action",
                codes::MAIL_ALREADY_DIGITAL,
                "the letter was delivered digitally; there is nothing to scan",
            ));
        }
        (Origin::Digital, _)
            if !matches!(kind, ActionKind::PaperOriginal | ActionKind::MarkHandled) =>
        {
            return Err(Invalid::new(
                "action",
                codes::MAIL_NOT_PHYSICAL,
                format!("the letter was delivered digitally; there is no paper to {kind}"),
            ));
        }
        // A paper copy of a digital letter changes no state: possible
        // whenever the item is at rest.
        (_, None) if state.is_at_rest() => return Ok(()),
        (_, None) => return Err(pending(state, kind)),
        (_, Some(event)) => event,
    };
    transition(state, event)?;
    match kind {
        ActionKind::Scan => scannable(item).map_err(|u| {
            let mut err = Invalid::from(u);
            err.field = "action";
            err.message = format!(
                "{}; it can be forwarded physically instead ({})",
                err.message,
                ActionKind::Forward
            );
            err
        }),
        ActionKind::PaperOriginal if state == ItemState::Received => Err(Invalid::new(
            "action",
            codes::MAIL_NOT_SCANNED,
            "the letter has not been scanned, so the paper is the only copy: forward it instead",
        )),
        _ => Ok(()),
    }
}

/// [`allowed`], plus the time limit: the paper original of a physical item
/// only within the retention of originals (`mail.original_expired`).
/// `received_at` is when the item was logged.
pub fn check_request(
    action: &Action,
    state: ItemState,
    item: &MailItem,
    received_at: Timestamp,
    now: Timestamp,
    retention: &RetentionPolicy,
) -> Result<(), Invalid> {
    allowed(action, state, item)?;
    if action.kind() == ActionKind::PaperOriginal && item.is_physical() {
        retention.original_available(received_at, now)?;
    }
    Ok(())
}

/// Prices above this (one million units) are refused as typing errors; it
/// also keeps every product far from overflow.
pub const MAX_PRICE_MINOR: i64 = 100_000_000;
/// The most a clerk may enter for one amount at the counter or on a task
/// (fees collected at a pickup, the carrier's retail price of a shipment):
/// 2,000 units. A larger amount is a typing error, and an amount typed by
/// one person must not bill a customer without bound.
pub const MAX_CLERK_AMOUNT_MINOR: i64 = 200_000;

/// An amount a clerk entered: zero or more and at most
/// [`MAX_CLERK_AMOUNT_MINOR`] (`mail.amount_out_of_range`, naming `field`).
pub fn check_clerk_amount(field: &'static str, amount: Money) -> Result<Money, Invalid> {
    if (0..=MAX_CLERK_AMOUNT_MINOR).contains(&amount.minor()) {
        Ok(amount)
    } else {
        Err(Invalid::new(
            field,
            codes::MAIL_AMOUNT_OUT_OF_RANGE,
            format!(
                "an amount entered at the mail center is between 0 and {}",
                Money::new(MAX_CLERK_AMOUNT_MINOR, amount.currency())
            ),
        ))
    }
}

/// Retail price, in basis points of itself.
pub const RETAIL_BP: u32 = 10_000;
/// Default cap on the forwarding shipping price: 1.5 × retail.
pub const DEFAULT_MARKUP_CAP_BP: u32 = 15_000;

/// The scanning service's fees in minor units of `currency`, excluding VAT
/// and shipping. The defaults are Swiss Post ePost's published prices (CHF,
/// excl. VAT): scan 0.80, automatic forward of unscannable contents 2.50,
/// paper original 5.00; everything else is free. A platform admin edits them
/// per location; [`PriceList::check`] validates an edited list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PriceList {
    pub currency: Currency,
    /// Per scanned item.
    pub scan: i64,
    /// Handling fee for forwarding an item that could not be scanned.
    pub forward_unscannable: i64,
    /// Handling fee for forwarding any other item.
    pub forward: i64,
    /// A paper original posted (or printed and posted, for a digital letter).
    pub paper_original: i64,
    pub shred: i64,
    pub recycle: i64,
    pub hold_for_pickup: i64,
    pub local_delivery: i64,
    /// The most a location may charge for forwarding shipping, in basis
    /// points of the carrier's retail price (15 000 = 1.5 ×).
    pub markup_cap_bp: u32,
}

impl PriceList {
    pub const DEFAULT: PriceList = PriceList {
        currency: Currency::CHF,
        scan: 80,
        forward_unscannable: 250,
        forward: 0,
        paper_original: 500,
        shred: 0,
        recycle: 0,
        hold_for_pickup: 0,
        local_delivery: 0,
        markup_cap_bp: DEFAULT_MARKUP_CAP_BP,
    };

    /// Every fee between 0 and one million units, and a cap of at least
    /// retail (a cap below retail would forbid charging the carrier's price).
    pub fn check(&self) -> Result<(), Invalid> {
        let fees = [
            self.scan,
            self.forward_unscannable,
            self.forward,
            self.paper_original,
            self.shred,
            self.recycle,
            self.hold_for_pickup,
            self.local_delivery,
        ];
        if let Some(bad) = fees.iter().find(|f| !(0..=MAX_PRICE_MINOR).contains(*f)) {
            return Err(Invalid::new(
                "price",
                codes::MAIL_PRICE_INVALID,
                format!("a fee of {bad} minor units is outside 0 to {MAX_PRICE_MINOR}"),
            ));
        }
        if self.markup_cap_bp < RETAIL_BP {
            return Err(Invalid::new(
                "markup_cap_bp",
                codes::MAIL_PRICE_INVALID,
                format!(
                    "a markup cap of {} bp is below retail ({RETAIL_BP} bp)",
                    self.markup_cap_bp
                ),
            ));
        }
        Ok(())
    }

    /// The fee for asking `action` on `item` (shipping not included; see
    /// [`forward_price`]). Forwarding an unscannable item costs
    /// `forward_unscannable`, any other forward `forward`.
    pub fn fee(&self, action: &Action, item: &MailItem) -> Money {
        let minor = match action.kind() {
            ActionKind::Scan => self.scan,
            ActionKind::Forward if scannable(item).is_err() => self.forward_unscannable,
            ActionKind::Forward => self.forward,
            ActionKind::PaperOriginal => self.paper_original,
            ActionKind::Shred => self.shred,
            ActionKind::Recycle => self.recycle,
            ActionKind::HoldForPickup => self.hold_for_pickup,
            ActionKind::LocalDelivery => self.local_delivery,
            ActionKind::MarkHandled => 0,
        };
        Money::new(minor, self.currency)
    }

    /// [`forward_price_capped`] with this list's cap.
    pub fn forward_price(&self, retail: Money, markup_bp: u32) -> Result<Money, Invalid> {
        forward_price_capped(retail, markup_bp, self.markup_cap_bp)
    }
}

impl Default for PriceList {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The shipping price of a forward: the carrier's `retail` price times the
/// location's markup, with the default cap of 1.5 × retail.
pub fn forward_price(retail: Money, markup_bp: u32) -> Result<Money, Invalid> {
    forward_price_capped(retail, markup_bp, DEFAULT_MARKUP_CAP_BP)
}

/// `retail × markup_bp / 10 000`, rounded half up to the minor unit.
/// `markup_bp` is the price as a share of retail: 10 000 charges retail,
/// 12 000 is 1.2 ×; below 10 000 a location passes on a carrier discount.
/// Above `cap_bp` it is refused (`mail.markup_above_cap`); a negative or
/// absurd retail price is `mail.price_invalid`.
pub fn forward_price_capped(retail: Money, markup_bp: u32, cap_bp: u32) -> Result<Money, Invalid> {
    if markup_bp > cap_bp {
        return Err(Invalid::new(
            "markup_bp",
            codes::MAIL_MARKUP_ABOVE_CAP,
            format!(
                "a markup of {markup_bp} bp is above the cap of {cap_bp} bp ({}.{:02} × retail)",
                cap_bp / RETAIL_BP,
                cap_bp % RETAIL_BP / 100
            ),
        ));
    }
    if !(0..=MAX_PRICE_MINOR).contains(&retail.minor()) {
        return Err(Invalid::new(
            "retail",
            codes::MAIL_PRICE_INVALID,
            format!("a retail price of {retail} is outside 0 to {MAX_PRICE_MINOR} minor units"),
        ));
    }
    let product = i128::from(retail.minor()) * i128::from(markup_bp);
    let rounded = (product + i128::from(RETAIL_BP / 2)) / i128::from(RETAIL_BP);
    let minor = i64::try_from(rounded).map_err(|_| {
        Invalid::new(
            "retail",
            codes::MAIL_PRICE_INVALID,
            "the shipping price overflows",
        )
    })?;
    Ok(Money::new(minor, retail.currency()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clerk_amounts_are_bounded() {
        let chf = |minor| Money::new(minor, Currency::CHF);
        assert_eq!(check_clerk_amount("fees", chf(0)), Ok(chf(0)));
        assert_eq!(
            check_clerk_amount("fees", chf(MAX_CLERK_AMOUNT_MINOR)),
            Ok(chf(MAX_CLERK_AMOUNT_MINOR))
        );
        for bad in [MAX_CLERK_AMOUNT_MINOR + 1, i64::MAX, -1] {
            let e = check_clerk_amount("retail", chf(bad)).unwrap_err();
            assert_eq!(
                (e.code, e.field),
                (codes::MAIL_AMOUNT_OUT_OF_RANGE, "retail")
            );
        }
    }
    use crate::mailbox::item::{ContentFlag, Grams, ItemFormat, ItemKind};
    use ItemEvent as E;
    use ItemState as S;
    use proptest::prelude::*;

    fn letter() -> MailItem {
        MailItem::physical(ItemKind::Letter, ItemFormat::A4, Grams::new(25).unwrap())
    }

    fn address() -> ForwardAddress {
        ForwardAddress::new(
            vec![
                "Muster AG".into(),
                "Bahnhofstrasse 1".into(),
                "8001 Zürich".into(),
            ],
            Country::CH,
        )
        .unwrap()
    }

    fn chf(minor: i64) -> Money {
        Money::new(minor, Currency::CHF)
    }

    /// The whole machine, written out: `Ok(state)` or the error code.
    fn expected(from: S, e: E) -> Result<S, &'static str> {
        const PENDING: &str = "mail.action_pending";
        const GONE: &str = "mail.item_gone";
        const ILLEGAL: &str = "mail.illegal_transition";
        let requests = [
            E::RequestForward,
            E::RequestShred,
            E::RequestRecycle,
            E::RequestDelivery,
            E::PickUp,
        ];
        match (from, e) {
            (S::Received, E::Refuse) => Ok(S::Refused),
            (S::Received | S::Handled, E::RequestScan) => Ok(S::ScanRequested),
            (S::Scanned, E::RequestScan) => Err("mail.already_scanned"),
            (S::Received | S::Scanned | S::Handled, E::HoldForPickup) => Ok(S::HeldForPickup),
            (S::Received | S::Scanned, E::MarkHandled) => Ok(S::Handled),
            (S::Received | S::Scanned | S::Handled | S::HeldForPickup, e)
                if requests.contains(&e) =>
            {
                Ok(e.target())
            }
            (S::ScanRequested, E::ScanDone) => Ok(S::Scanned),
            (S::ForwardRequested, E::Shipped) => Ok(S::Forwarded),
            (S::ShredRequested, E::ShredDone) => Ok(S::Shredded),
            (S::RecycleRequested, E::RecycleDone) => Ok(S::Recycled),
            (S::DeliveryRequested, E::HandToCourier) => Ok(S::OutForDelivery),
            (S::OutForDelivery, E::DeliveryConfirmed) => Ok(S::Delivered),
            (S::OutForDelivery, E::DeliveryFailed) => Ok(S::Received),
            (
                S::Forwarded | S::Shredded | S::Recycled | S::PickedUp | S::Delivered | S::Refused,
                _,
            ) => Err(GONE),
            (
                S::ScanRequested
                | S::ForwardRequested
                | S::ShredRequested
                | S::RecycleRequested
                | S::DeliveryRequested
                | S::OutForDelivery,
                E::RequestScan
                | E::RequestForward
                | E::RequestShred
                | E::RequestRecycle
                | E::HoldForPickup
                | E::RequestDelivery
                | E::MarkHandled,
            ) => Err(PENDING),
            _ => Err(ILLEGAL),
        }
    }

    #[test]
    fn every_state_event_pair() {
        let mut allowed = 0;
        for from in S::ALL {
            for e in E::ALL {
                let got = transition(from, e).map_err(|err| err.code.as_str());
                assert_eq!(got, expected(from, e), "{from} + {e}");
                if got.is_ok() {
                    allowed += 1;
                }
            }
        }
        // Received 9, Scanned 7, Handled 7, HeldForPickup 5, completions 7.
        assert_eq!(allowed, 35);
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(
            S::parse("lost").unwrap_err().code,
            "mail.item_state_unknown"
        );
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.as_str()).unwrap(), k);
            match Action::parse(k.as_str()) {
                Ok(a) => assert_eq!(a.as_str(), k.as_str()),
                Err(e) => {
                    assert_eq!(k, ActionKind::Forward);
                    assert_eq!(e.code, "mail.forward_address_missing");
                }
            }
        }
        assert_eq!(
            Action::parse("burn").unwrap_err().code,
            "mail.action_unknown"
        );
        assert_eq!(Action::forward(address(), true).to_string(), "forward");
    }

    #[test]
    fn state_predicates_partition_the_states() {
        for s in S::ALL {
            let classes = [s.is_gone(), s.is_pending(), s.is_at_rest()];
            assert_eq!(classes.iter().filter(|c| **c).count(), 1, "{s}");
        }
        assert_eq!(S::at_intake(true), S::Received);
        assert_eq!(S::at_intake(false), S::Refused);
        assert_eq!(
            S::OutForDelivery.pending_task(),
            Some(ActionKind::LocalDelivery)
        );
    }

    #[test]
    fn forward_addresses() {
        let a = address();
        assert_eq!(a.lines().len(), 3);
        assert_eq!(a.country(), Country::CH);
        let tidy = ForwardAddress::new(
            vec!["  Muster   AG ".into(), "".into(), "8001  Zürich".into()],
            Country::CH,
        )
        .unwrap();
        assert_eq!(tidy.lines(), ["Muster AG", "8001 Zürich"]);
        let code = |lines: Vec<&str>| {
            ForwardAddress::new(lines.into_iter().map(String::from).collect(), Country::CH)
                .unwrap_err()
                .code
        };
        assert_eq!(code(vec!["Only a name"]), "mail.forward_address_invalid");
        assert_eq!(code(vec!["a"; 7]), "mail.forward_address_invalid");
        let long = "x".repeat(101);
        assert_eq!(code(vec!["a", &long]), "mail.forward_address_invalid");
        assert_eq!(code(vec!["a", "b\u{7}c"]), "mail.forward_address_invalid");
    }

    #[test]
    fn scanning_an_unscannable_item_suggests_forwarding() {
        let item = letter().with_content(ContentFlag::Cheque);
        let err = allowed(&Action::Scan, S::Received, &item).unwrap_err();
        assert_eq!(err.code, "mail.unscannable.cheque");
        assert_eq!(err.field, "action");
        assert!(err.message.contains("cheque"), "{}", err.message);
        assert!(err.message.contains("forward"), "{}", err.message);
        // Forwarding it is fine, and costs the unscannable fee.
        let fwd = Action::forward(address(), false);
        assert!(allowed(&fwd, S::Received, &item).is_ok());
        assert_eq!(PriceList::DEFAULT.fee(&fwd, &item), chf(250));
        assert_eq!(PriceList::DEFAULT.fee(&fwd, &letter()), chf(0));
    }

    #[test]
    fn nothing_happens_to_a_gone_item() {
        for s in S::ALL.into_iter().filter(|s| s.is_gone()) {
            for k in ActionKind::ALL {
                let a = match k {
                    ActionKind::Forward => Action::forward(address(), false),
                    _ => Action::parse(k.as_str()).unwrap(),
                };
                assert_eq!(
                    allowed(&a, s, &letter()).unwrap_err().code,
                    "mail.item_gone",
                    "{a} on {s}"
                );
                assert_eq!(
                    allowed(&a, s, &MailItem::digital("x")).unwrap_err().code,
                    "mail.item_gone"
                );
            }
        }
    }

    #[test]
    fn one_task_at_a_time() {
        let err = allowed(&Action::Shred, S::ScanRequested, &letter()).unwrap_err();
        assert_eq!(err.code, "mail.action_pending");
        let err = allowed(&Action::Scan, S::Scanned, &letter()).unwrap_err();
        assert_eq!(err.code, "mail.already_scanned");
        assert!(allowed(&Action::Shred, S::Scanned, &letter()).is_ok());
    }

    #[test]
    fn paper_originals() {
        let item = letter();
        assert!(allowed(&Action::PaperOriginal, S::Scanned, &item).is_ok());
        assert!(allowed(&Action::PaperOriginal, S::Handled, &item).is_ok());
        assert_eq!(
            allowed(&Action::PaperOriginal, S::Received, &item)
                .unwrap_err()
                .code,
            "mail.not_scanned"
        );
        assert_eq!(
            Action::PaperOriginal.request_event(Origin::MailCenter),
            Some(E::RequestForward)
        );
        assert_eq!(
            PriceList::DEFAULT.fee(&Action::PaperOriginal, &item),
            chf(500)
        );

        // Within the 25 days of retention, not after.
        let received = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01T00:00Z
        let policy = RetentionPolicy::DEFAULT;
        let day = 86_400;
        let ask = |now: Timestamp| {
            check_request(
                &Action::PaperOriginal,
                S::Scanned,
                &item,
                received,
                now,
                &policy,
            )
        };
        assert!(ask(received.plus_seconds(24 * day)).is_ok());
        assert!(ask(received.plus_seconds(25 * day - 1)).is_ok());
        assert_eq!(
            ask(received.plus_seconds(25 * day)).unwrap_err().code,
            "mail.original_expired"
        );
        // Other actions have no such limit.
        assert!(
            check_request(
                &Action::Shred,
                S::Scanned,
                &item,
                received,
                received.plus_seconds(400 * day),
                &policy
            )
            .is_ok()
        );
    }

    #[test]
    fn digital_deliveries() {
        let d = MailItem::digital("La Vaudoise");
        assert_eq!(
            allowed(&Action::Scan, S::Received, &d).unwrap_err().code,
            "mail.already_digital"
        );
        for a in [
            Action::forward(address(), false),
            Action::Shred,
            Action::Recycle,
            Action::HoldForPickup,
            Action::LocalDelivery,
        ] {
            assert_eq!(
                allowed(&a, S::Received, &d).unwrap_err().code,
                "mail.not_physical",
                "{a}"
            );
        }
        assert!(allowed(&Action::MarkHandled, S::Received, &d).is_ok());
        assert!(allowed(&Action::PaperOriginal, S::Received, &d).is_ok());
        assert!(allowed(&Action::PaperOriginal, S::Handled, &d).is_ok());
        assert_eq!(Action::PaperOriginal.request_event(Origin::Digital), None);
        // No 25-day limit: the document itself is the original.
        let t = Timestamp::from_millis(0);
        assert!(
            check_request(
                &Action::PaperOriginal,
                S::Handled,
                &d,
                t,
                t.plus_seconds(365 * 86_400),
                &RetentionPolicy::DEFAULT
            )
            .is_ok()
        );
    }

    #[test]
    fn default_prices() {
        let p = PriceList::default();
        assert!(p.check().is_ok());
        let item = letter();
        assert_eq!(p.fee(&Action::Scan, &item).to_string(), "CHF 0.80");
        assert_eq!(p.fee(&Action::PaperOriginal, &item).to_string(), "CHF 5.00");
        for a in [
            Action::Shred,
            Action::Recycle,
            Action::HoldForPickup,
            Action::LocalDelivery,
            Action::MarkHandled,
        ] {
            assert_eq!(p.fee(&a, &item), chf(0), "{a}");
        }
        let edited = PriceList {
            currency: Currency::EUR,
            scan: 100,
            ..PriceList::DEFAULT
        };
        assert_eq!(edited.fee(&Action::Scan, &item).to_string(), "EUR 1.00");
        let bad = PriceList {
            scan: -1,
            ..PriceList::DEFAULT
        };
        assert_eq!(bad.check().unwrap_err().code, "mail.price_invalid");
        let bad = PriceList {
            markup_cap_bp: 9_000,
            ..PriceList::DEFAULT
        };
        assert_eq!(bad.check().unwrap_err().code, "mail.price_invalid");
    }

    #[test]
    fn forwarding_markup_is_capped_at_one_and_a_half_retail() {
        let retail = chf(1_050); // CHF 10.50
        assert_eq!(forward_price(retail, 10_000).unwrap(), chf(1_050));
        assert_eq!(forward_price(retail, 12_000).unwrap(), chf(1_260));
        assert_eq!(forward_price(retail, 15_000).unwrap(), chf(1_575));
        let err = forward_price(retail, 15_001).unwrap_err();
        assert_eq!(err.code, "mail.markup_above_cap");
        assert!(err.message.contains("1.50"), "{}", err.message);
        // Half up: 0.05 × 1.1 = 0.055 → 0.06.
        assert_eq!(forward_price(chf(5), 11_000).unwrap(), chf(6));
        assert_eq!(forward_price(chf(0), 15_000).unwrap(), chf(0));
        assert_eq!(
            forward_price(chf(-1), 10_000).unwrap_err().code,
            "mail.price_invalid"
        );
        assert_eq!(
            forward_price(chf(MAX_PRICE_MINOR + 1), 10_000)
                .unwrap_err()
                .code,
            "mail.price_invalid"
        );
        // A location's own cap.
        let strict = PriceList {
            markup_cap_bp: 12_000,
            ..PriceList::DEFAULT
        };
        assert_eq!(
            strict.forward_price(retail, 13_000).unwrap_err().code,
            "mail.markup_above_cap"
        );
        assert_eq!(
            forward_price(Money::new(1_000, Currency::EUR), 12_000)
                .unwrap()
                .currency(),
            Currency::EUR
        );
    }

    fn state() -> impl Strategy<Value = S> {
        (0usize..S::ALL.len()).prop_map(|i| S::ALL[i])
    }
    fn event() -> impl Strategy<Value = E> {
        (0usize..E::ALL.len()).prop_map(|i| E::ALL[i])
    }
    fn action() -> impl Strategy<Value = Action> {
        (0usize..ActionKind::ALL.len(), any::<bool>()).prop_map(|(i, b)| match ActionKind::ALL[i] {
            ActionKind::Forward => Action::forward(address(), b),
            k => Action::parse(k.as_str()).unwrap(),
        })
    }
    fn item() -> impl Strategy<Value = MailItem> {
        (any::<bool>(), 0usize..11, any::<bool>(), 0usize..6).prop_map(|(digital, c, flag, f)| {
            if digital {
                return MailItem::digital("sender");
            }
            let mut i = letter();
            i.format = ItemFormat::ALL[f];
            if flag {
                i = i.with_content(ContentFlag::ALL[c]);
            }
            i
        })
    }

    proptest! {
        #[test]
        fn once_gone_always_gone(start in state(), events in prop::collection::vec(event(), 0..40)) {
            let mut s = start;
            let mut settled = start.is_gone().then_some(start);
            for e in events {
                if let Ok(next) = transition(s, e) {
                    prop_assert!(settled.is_none(), "{} left a final state on {}", s, e);
                    s = next;
                }
                match settled {
                    Some(t) => prop_assert_eq!(s, t),
                    None if s.is_gone() => settled = Some(s),
                    None => {}
                }
            }
        }

        #[test]
        fn an_allowed_action_is_a_legal_transition(a in action(), s in state(), i in item()) {
            if allowed(&a, s, &i).is_ok() {
                prop_assert!(!s.is_gone() && !s.is_pending());
                if let Some(e) = a.request_event(i.origin) {
                    prop_assert!(transition(s, e).is_ok());
                }
                if a.kind() == ActionKind::Scan {
                    prop_assert!(scannable(&i).is_ok());
                }
            }
            let fee = PriceList::DEFAULT.fee(&a, &i);
            prop_assert!(fee.minor() >= 0);
        }

        #[test]
        fn shipping_stays_between_retail_and_the_cap(
            retail in 0i64..=MAX_PRICE_MINOR, markup in RETAIL_BP..=DEFAULT_MARKUP_CAP_BP,
        ) {
            let p = forward_price(chf(retail), markup).unwrap().minor();
            prop_assert!(p >= retail);
            // 1.5 × retail, rounded half up, is the most anyone pays.
            prop_assert!(p <= (retail * 3 + 1) / 2);
            let more = forward_price(chf(retail), markup.saturating_add(1).min(DEFAULT_MARKUP_CAP_BP)).unwrap().minor();
            prop_assert!(more >= p);
        }
    }
}
