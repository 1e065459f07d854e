//! Outbound letters: the rules of Print & Send that need no I/O.
//!
//! A letter's journey through these modules: its physical make-up is checked
//! into [`PrintOptions`] (envelope, sheets, paper, weight); its postage into a
//! [`Postage`] (product, registration, destination); a carrier's
//! [`TariffTable`] prices the pair into a [`Quote`]; the carrier country's
//! [`BusinessCalendar`] and the production site's time zone give the
//! [`DeliveryEstimate`]; and [`transition`] moves the letter through its
//! [`LetterStatus`]es until it is delivered, returned, cancelled or failed.
//! Every refusal is an [`Invalid`](crate::Invalid) with a stable `letter.*`
//! (or `country.*`, `tariff.*`, `date.*`) code.

pub mod calendar;
pub mod country;
pub mod delivery;
pub mod envelope;
pub mod lifecycle;
pub mod postage;
pub mod tariff;

pub use calendar::{BusinessCalendar, Holiday, HolidayDate, easter_sunday};
pub use country::Country;
pub use delivery::{DeliveryEstimate, DeliveryRules, Zone, expected_delivery, zone_of};
pub use envelope::{
    BackgroundScope, Colour, Envelope, Paper, PrintOptions, SheetCount, Sides, paper_weight_grams,
};
pub use lifecycle::{LetterEvent, LetterStatus, is_billable, reached_production, transition};
pub use postage::{Postage, Product, Registered, check_route};
pub use tariff::{
    Quote, ServiceFees, TariffTable, WeightStep, parse_price, parse_vat_percent, quote, vat_of,
    vat_rate_bp,
};
