//! What a mail item is, as the clerk records it at intake: kind, format,
//! weight, the registered and object flags, and what the envelope is known to
//! contain. [`scannable`] decides from that description whether the scanning
//! service may open and scan it; what it refuses is forwarded physically
//! instead (ePost's "transmission automatique des contenus ne pouvant être
//! scannés").
//!
//! Refusal codes are `mail.unscannable.<why>` (see [`UnscannableReason`]);
//! descriptions that cannot be right are `mail.dimensions_invalid`,
//! `mail.weight_invalid`, `mail.item_kind_unknown`, `mail.format_unknown`
//! and `mail.content_unknown`.

use crate::codes;

use crate::Invalid;
use std::fmt;

/// What the clerk sees on the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Letter,
    /// A flat envelope larger than a letter (C4 and beyond), still paper.
    LargeEnvelope,
    Parcel,
}

impl ItemKind {
    pub const ALL: [ItemKind; 3] = [ItemKind::Letter, ItemKind::LargeEnvelope, ItemKind::Parcel];

    pub const fn as_str(self) -> &'static str {
        match self {
            ItemKind::Letter => "letter",
            ItemKind::LargeEnvelope => "large_envelope",
            ItemKind::Parcel => "parcel",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        ItemKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "kind",
                    codes::MAIL_ITEM_KIND_UNKNOWN,
                    format!("'{s}' is not letter, large_envelope or parcel"),
                )
            })
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ISO 216 A sizes in millimetres, short side first.
const A6_MM: (u32, u32) = (105, 148);
const A5_MM: (u32, u32) = (148, 210);
const A4_MM: (u32, u32) = (210, 297);
const A3_MM: (u32, u32) = (297, 420);

/// Measuring by hand with a tape is good to a couple of millimetres: an A4
/// envelope measured 211 × 298 is still A4, a postcard measured 104 × 147 is
/// still A6.
pub const FORMAT_TOLERANCE_MM: u32 = 2;

/// Anything longer than this on one side is a typing error, not mail.
pub const MAX_SIDE_MM: u32 = 3_000;

/// The smallest A size an item fits in, or outside the range the scanner
/// takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemFormat {
    /// Smaller than A6 in both directions (a business card, a tiny
    /// envelope): too small for the scanner feed.
    SmallerThanA6,
    A6,
    A5,
    A4,
    A3,
    /// Does not fit in A3: too large for the scanner bed.
    LargerThanA3,
}

impl ItemFormat {
    pub const ALL: [ItemFormat; 6] = [
        ItemFormat::SmallerThanA6,
        ItemFormat::A6,
        ItemFormat::A5,
        ItemFormat::A4,
        ItemFormat::A3,
        ItemFormat::LargerThanA3,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ItemFormat::SmallerThanA6 => "smaller_than_a6",
            ItemFormat::A6 => "a6",
            ItemFormat::A5 => "a5",
            ItemFormat::A4 => "a4",
            ItemFormat::A3 => "a3",
            ItemFormat::LargerThanA3 => "larger_than_a3",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        ItemFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "format",
                    codes::MAIL_FORMAT_UNKNOWN,
                    format!("'{s}' is not a known item format"),
                )
            })
    }

    /// Classifies measured sides in millimetres, in either orientation.
    ///
    /// The item is the smallest A size it fits in, with
    /// [`FORMAT_TOLERANCE_MM`] of slack; it is [`ItemFormat::SmallerThanA6`]
    /// only when it is smaller than A6 (less the tolerance) on *both* sides,
    /// so a letter folded in three (99 × 210) is A5, not "too small".
    /// Zero or absurd sides (over [`MAX_SIDE_MM`]) are refused.
    pub fn from_mm(width: u32, height: u32) -> Result<Self, Invalid> {
        if width == 0 || height == 0 || width > MAX_SIDE_MM || height > MAX_SIDE_MM {
            return Err(Invalid::new(
                "dimensions",
                codes::MAIL_DIMENSIONS_INVALID,
                format!(
                    "{width} × {height} mm is not a mail item (each side 1 to {MAX_SIDE_MM} mm)"
                ),
            ));
        }
        let (short, long) = if width <= height {
            (width, height)
        } else {
            (height, width)
        };
        let fits = |(s, l): (u32, u32)| {
            short <= s + FORMAT_TOLERANCE_MM && long <= l + FORMAT_TOLERANCE_MM
        };
        let below =
            |(s, l): (u32, u32)| short < s - FORMAT_TOLERANCE_MM && long < l - FORMAT_TOLERANCE_MM;
        Ok(if below(A6_MM) {
            ItemFormat::SmallerThanA6
        } else if fits(A6_MM) {
            ItemFormat::A6
        } else if fits(A5_MM) {
            ItemFormat::A5
        } else if fits(A4_MM) {
            ItemFormat::A4
        } else if fits(A3_MM) {
            ItemFormat::A3
        } else {
            ItemFormat::LargerThanA3
        })
    }
}

impl fmt::Display for ItemFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Heaviest item a clerk can record (100 kg); more is a typing error.
pub const MAX_WEIGHT_GRAMS: u32 = 100_000;

/// A scale reading in grams, 1 g to [`MAX_WEIGHT_GRAMS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grams(u32);

impl Grams {
    pub fn new(grams: u32) -> Result<Self, Invalid> {
        if grams == 0 || grams > MAX_WEIGHT_GRAMS {
            return Err(Invalid::new(
                "weight",
                codes::MAIL_WEIGHT_INVALID,
                format!("{grams} g is not a weight between 1 g and {MAX_WEIGHT_GRAMS} g"),
            ));
        }
        Ok(Self(grams))
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

/// Something the clerk knows (or the sender declared) is in the envelope, and
/// which keeps it out of the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentFlag {
    SimCard,
    Cd,
    UsbKey,
    PlasticCard,
    IdentityDocument,
    Badge,
    PinCode,
    Money,
    Ticket,
    Voucher,
    Cheque,
}

impl ContentFlag {
    pub const ALL: [ContentFlag; 11] = [
        ContentFlag::SimCard,
        ContentFlag::Cd,
        ContentFlag::UsbKey,
        ContentFlag::PlasticCard,
        ContentFlag::IdentityDocument,
        ContentFlag::Badge,
        ContentFlag::PinCode,
        ContentFlag::Money,
        ContentFlag::Ticket,
        ContentFlag::Voucher,
        ContentFlag::Cheque,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ContentFlag::SimCard => "sim_card",
            ContentFlag::Cd => "cd",
            ContentFlag::UsbKey => "usb_key",
            ContentFlag::PlasticCard => "plastic_card",
            ContentFlag::IdentityDocument => "identity_document",
            ContentFlag::Badge => "badge",
            ContentFlag::PinCode => "pin_code",
            ContentFlag::Money => "money",
            ContentFlag::Ticket => "ticket",
            ContentFlag::Voucher => "voucher",
            ContentFlag::Cheque => "cheque",
        }
    }

    /// Words for a message to the customer.
    pub const fn label(self) -> &'static str {
        match self {
            ContentFlag::SimCard => "a SIM card",
            ContentFlag::Cd => "a CD",
            ContentFlag::UsbKey => "a USB key",
            ContentFlag::PlasticCard => "a plastic card",
            ContentFlag::IdentityDocument => "an identity document",
            ContentFlag::Badge => "a badge",
            ContentFlag::PinCode => "a PIN code",
            ContentFlag::Money => "money",
            ContentFlag::Ticket => "a ticket",
            ContentFlag::Voucher => "a voucher",
            ContentFlag::Cheque => "a cheque",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        ContentFlag::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "contents",
                    codes::MAIL_CONTENT_UNKNOWN,
                    format!("'{s}' is not a known content flag"),
                )
            })
    }

    /// Not paper at all: cards, media, keys, identity documents, badges.
    pub const fn is_non_paper(self) -> bool {
        matches!(
            self,
            ContentFlag::SimCard
                | ContentFlag::Cd
                | ContentFlag::UsbKey
                | ContentFlag::PlasticCard
                | ContentFlag::IdentityDocument
                | ContentFlag::Badge
        )
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for ContentFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`ContentFlag`]s, stored as a small bit set (or, through
/// [`ContentFlags::to_csv`], as `sim_card,cheque`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContentFlags(u16);

impl ContentFlags {
    pub const NONE: ContentFlags = ContentFlags(0);

    pub const fn with(self, flag: ContentFlag) -> Self {
        Self(self.0 | flag.bit())
    }

    pub const fn contains(self, flag: ContentFlag) -> bool {
        self.0 & flag.bit() != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags in [`ContentFlag::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = ContentFlag> {
        ContentFlag::ALL
            .into_iter()
            .filter(move |f| self.contains(*f))
    }

    /// Comma-separated names, in [`ContentFlag::ALL`] order; empty for none.
    pub fn to_csv(self) -> String {
        self.iter()
            .map(ContentFlag::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads comma-separated names (blanks around names and empty entries
    /// are ignored; an unknown name is refused).
    pub fn parse_csv(s: &str) -> Result<Self, Invalid> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .try_fold(Self::NONE, |acc, p| Ok(acc.with(ContentFlag::parse(p)?)))
    }
}

impl FromIterator<ContentFlag> for ContentFlags {
    fn from_iter<T: IntoIterator<Item = ContentFlag>>(iter: T) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

/// How an item reached the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// On paper, logged at a mail center: there is a physical original.
    MailCenter,
    /// Delivered as a PDF by an integrated sender: nothing physical exists.
    Digital,
}

impl Origin {
    pub const fn as_str(self) -> &'static str {
        match self {
            Origin::MailCenter => "mail_center",
            Origin::Digital => "digital",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s {
            "mail_center" => Ok(Origin::MailCenter),
            "digital" => Ok(Origin::Digital),
            _ => Err(Invalid::new(
                "origin",
                codes::MAIL_ORIGIN_UNKNOWN,
                format!("'{s}' is not mail_center or digital"),
            )),
        }
    }
}

/// An item as recorded: the facts the rules in this module decide on.
/// Build one with [`MailItem::physical`] or [`MailItem::digital`], then set
/// the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailItem {
    pub origin: Origin,
    pub kind: ItemKind,
    pub format: ItemFormat,
    /// `None` for a digital delivery, which has no weight.
    pub weight: Option<Grams>,
    pub registered: bool,
    /// The clerk feels an object (a key, a card, a pen) through the envelope.
    pub contains_object: bool,
    pub contents: ContentFlags,
    /// Marked as advertising by the clerk (unaddressed promotion, catalogue).
    pub advertising: bool,
    /// The sender as read from the envelope or given by the integrated sender.
    pub sender: Option<String>,
}

impl MailItem {
    /// A paper item logged at a mail center, with no flags set.
    pub fn physical(kind: ItemKind, format: ItemFormat, weight: Grams) -> Self {
        Self {
            origin: Origin::MailCenter,
            kind,
            format,
            weight: Some(weight),
            registered: false,
            contains_object: false,
            contents: ContentFlags::NONE,
            advertising: false,
            sender: None,
        }
    }

    /// A letter delivered digitally (a PDF, taken as A4).
    pub fn digital(sender: impl Into<String>) -> Self {
        Self {
            origin: Origin::Digital,
            kind: ItemKind::Letter,
            format: ItemFormat::A4,
            weight: None,
            registered: false,
            contains_object: false,
            contents: ContentFlags::NONE,
            advertising: false,
            sender: Some(sender.into()),
        }
    }

    pub fn with_sender(mut self, sender: impl Into<String>) -> Self {
        self.sender = Some(sender.into());
        self
    }

    pub fn with_content(mut self, flag: ContentFlag) -> Self {
        self.contents = self.contents.with(flag);
        self
    }

    pub fn with_object(mut self) -> Self {
        self.contains_object = true;
        self
    }

    pub fn with_registered(mut self) -> Self {
        self.registered = true;
        self
    }

    pub fn with_advertising(mut self) -> Self {
        self.advertising = true;
        self
    }

    pub const fn is_physical(&self) -> bool {
        matches!(self.origin, Origin::MailCenter)
    }
}

/// Why an item is not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnscannableReason {
    /// SIM card, CD, USB key, plastic card, identity document or badge.
    NonPaper(ContentFlag),
    PinCode,
    Money,
    Ticket,
    Voucher,
    Cheque,
    /// The clerk flagged a physical object in the envelope.
    Object,
    /// Parcels are not opened for scanning.
    Parcel,
    /// Larger than A3.
    TooLarge,
    /// Smaller than A6.
    TooSmall,
}

impl UnscannableReason {
    /// Stable code, `mail.unscannable.<why>`.
    pub const fn code(self) -> crate::Code {
        match self {
            UnscannableReason::NonPaper(_) => crate::codes::MAIL_UNSCANNABLE_NON_PAPER,
            UnscannableReason::PinCode => crate::codes::MAIL_UNSCANNABLE_PIN_CODE,
            UnscannableReason::Money => crate::codes::MAIL_UNSCANNABLE_MONEY,
            UnscannableReason::Ticket => crate::codes::MAIL_UNSCANNABLE_TICKET,
            UnscannableReason::Voucher => crate::codes::MAIL_UNSCANNABLE_VOUCHER,
            UnscannableReason::Cheque => crate::codes::MAIL_UNSCANNABLE_CHEQUE,
            UnscannableReason::Object => crate::codes::MAIL_UNSCANNABLE_OBJECT,
            UnscannableReason::Parcel => crate::codes::MAIL_UNSCANNABLE_PARCEL,
            UnscannableReason::TooLarge => crate::codes::MAIL_UNSCANNABLE_TOO_LARGE,
            UnscannableReason::TooSmall => crate::codes::MAIL_UNSCANNABLE_TOO_SMALL,
        }
    }

    /// What the customer reads.
    pub fn message(self) -> String {
        match self {
            UnscannableReason::NonPaper(flag) => {
                format!("the item contains {}, which is not paper", flag.label())
            }
            UnscannableReason::PinCode => "the item contains a PIN code".into(),
            UnscannableReason::Money => "the item contains money".into(),
            UnscannableReason::Ticket => "the item contains a ticket".into(),
            UnscannableReason::Voucher => "the item contains a voucher".into(),
            UnscannableReason::Cheque => "the item contains a cheque".into(),
            UnscannableReason::Object => "the item contains a physical object".into(),
            UnscannableReason::Parcel => "parcels are not opened for scanning".into(),
            UnscannableReason::TooLarge => "the item is larger than A3".into(),
            UnscannableReason::TooSmall => "the item is smaller than A6".into(),
        }
    }

    fn of_content(flag: ContentFlag) -> Self {
        match flag {
            ContentFlag::PinCode => UnscannableReason::PinCode,
            ContentFlag::Money => UnscannableReason::Money,
            ContentFlag::Ticket => UnscannableReason::Ticket,
            ContentFlag::Voucher => UnscannableReason::Voucher,
            ContentFlag::Cheque => UnscannableReason::Cheque,
            other => UnscannableReason::NonPaper(other),
        }
    }
}

/// The scanning service may not scan this item; it is forwarded physically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not scanned: {} ({})", reason.message(), reason.code())]
pub struct Unscannable {
    pub reason: UnscannableReason,
}

impl From<Unscannable> for Invalid {
    fn from(u: Unscannable) -> Self {
        Invalid::new("item", u.reason.code(), u.reason.message())
    }
}

/// Every reason an item is not scanned, most specific first: declared
/// contents (in [`ContentFlag::ALL`] order), an object, a parcel, then the
/// format. Empty when it may be scanned. A digital delivery has nothing to
/// scan and no reasons.
pub fn unscannable_reasons(item: &MailItem) -> Vec<UnscannableReason> {
    if !item.is_physical() {
        return Vec::new();
    }
    let mut out: Vec<UnscannableReason> = item
        .contents
        .iter()
        .map(UnscannableReason::of_content)
        .collect();
    if item.contains_object {
        out.push(UnscannableReason::Object);
    }
    if item.kind == ItemKind::Parcel {
        out.push(UnscannableReason::Parcel);
    }
    match item.format {
        ItemFormat::LargerThanA3 => out.push(UnscannableReason::TooLarge),
        ItemFormat::SmallerThanA6 => out.push(UnscannableReason::TooSmall),
        _ => {}
    }
    out
}

/// Whether the scanning service may scan `item`; the refusal carries the
/// first of [`unscannable_reasons`].
pub fn scannable(item: &MailItem) -> Result<(), Unscannable> {
    match unscannable_reasons(item).first() {
        Some(reason) => Err(Unscannable { reason: *reason }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
