//! Prices of one carrier and the quote for one letter. A [`TariffTable`] holds
//! the carrier's weight steps (postage per product, in minor units of its
//! currency), the platform's print and service fees, and the VAT rate;
//! [`quote`] turns validated print options and a postage choice into a priced
//! [`Quote`]. All arithmetic is in integers; VAT is rounded half up to the
//! minor unit, once, on the net total (as an invoice line would be).
//!
//! The seed tables ([`TariffTable::swiss_post`], [`TariffTable::bpost`],
//! [`TariffTable::la_poste`]) carry plausible 2026 public prices. They are
//! starting values, **not** authoritative tariffs: the store writes them once
//! into its tariff table, where a platform admin enters the contract prices
//! of the real carrier ([`TariffTable::revised`]); prices are read from
//! there, never from the seeds. [`parse_price`] and [`parse_vat_percent`]
//! read what the admin types, exactly.

use crate::codes;

use super::delivery::{Zone, zone_of};
use super::postage::check_route;
use super::{Colour, Country, PrintOptions, Product, Registered};
use crate::{Currency, Invalid, Money};

/// Prices above this (one million units) are refused as typing errors; the
/// bound also keeps every sum in this module far from integer overflow.
const MAX_PRICE_MINOR: i64 = 100_000_000;
/// 100 % in basis points.
const FULL_RATE_BP: u32 = 10_000;
/// The longest carrier name a revised table takes.
const MAX_CARRIER_CHARS: usize = 80;

/// VAT rate in basis points (810 = 8.1 %) of the countries with a seed
/// carrier, plus Germany. Standard rates; a platform admin may override.
pub fn vat_rate_bp(country: &Country) -> Option<u32> {
    match *country {
        Country::CH => Some(810),
        Country::BE => Some(2100),
        Country::FR => Some(2000),
        Country::DE => Some(1900),
        _ => None,
    }
}

/// Reads a decimal written with at most two decimals (`1.20`, `1,2`, `7`,
/// `.5`) as hundredths, exactly, without floats; `None` for anything else
/// (a sign, a third decimal, blanks inside, thousands separators).
fn hundredths(raw: &str) -> Option<i64> {
    let text = raw.trim();
    let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty())
        || !digits(whole)
        || !digits(frac)
        || frac.len() > 2
        || whole.len() > 15
    {
        return None;
    }
    let units: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    units.checked_mul(100)?.checked_add(cents)
}

/// A price typed in major units (`1.20` CHF) as minor units (120), exactly.
/// Tariff currencies (CHF, EUR) have two decimals. The range is
/// [`TariffTable::new`]'s to check.
pub fn parse_price(field: &'static str, raw: &str) -> Result<i64, Invalid> {
    hundredths(raw).ok_or_else(|| {
        Invalid::new(
            field,
            codes::TARIFF_AMOUNT_INVALID,
            format!(
                "'{}' is not an amount such as 1.20 (at most two decimals, no sign)",
                raw.trim()
            ),
        )
    })
}

/// A VAT rate typed in percent (`8.1`) as basis points (810), exactly.
pub fn parse_vat_percent(raw: &str) -> Result<u32, Invalid> {
    hundredths(raw)
        .and_then(|bp| u32::try_from(bp).ok())
        .ok_or_else(|| {
            Invalid::new(
                "vat_rate",
                codes::TARIFF_VAT_INVALID,
                format!(
                    "'{}' is not a VAT rate in percent such as 8.1 (at most two decimals)",
                    raw.trim()
                ),
            )
        })
}

/// Postage for letters up to `up_to_grams`, in the table's minor units.
/// International priority is priced by zone: Europe (EU, EFTA and the rest of
/// Europe) and the rest of the world, as carriers publish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeightStep {
    pub up_to_grams: u32,
    pub priority: i64,
    pub standard: i64,
    pub international_europe: i64,
    pub international_world: i64,
}

impl WeightStep {
    pub const fn new(
        up_to_grams: u32,
        priority: i64,
        standard: i64,
        europe: i64,
        world: i64,
    ) -> Self {
        Self {
            up_to_grams,
            priority,
            standard,
            international_europe: europe,
            international_world: world,
        }
    }

    /// The postage of `product` at this step; `destination` matters only
    /// for international priority.
    pub fn price(&self, product: Product, destination: &Country) -> i64 {
        match product {
            Product::Priority => self.priority,
            Product::Standard => self.standard,
            Product::InternationalPriority => match zone_of(destination) {
                Zone::Europe1 | Zone::Europe2 => self.international_europe,
                Zone::World => self.international_world,
            },
        }
    }

    fn prices(&self) -> [i64; 4] {
        [
            self.priority,
            self.standard,
            self.international_europe,
            self.international_world,
        ]
    }
}

/// The platform's own fees, in the table's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceFees {
    /// Envelope, inserting and franking, once per letter.
    pub per_letter: i64,
    /// Per printed sheet (one or both sides), black and white.
    pub per_sheet_bw: i64,
    /// Per printed sheet, colour.
    pub per_sheet_colour: i64,
    /// Registered-mail surcharge.
    pub registered: i64,
    /// Acknowledgement of receipt, on top of the registered surcharge.
    pub acknowledgement_of_receipt: i64,
}

impl ServiceFees {
    fn all(&self) -> [i64; 5] {
        [
            self.per_letter,
            self.per_sheet_bw,
            self.per_sheet_colour,
            self.registered,
            self.acknowledgement_of_receipt,
        ]
    }
}

/// One carrier's prices. Built only through [`TariffTable::new`] (or the
/// seeds, which a test runs through the same checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffTable {
    carrier: String,
    country: Country,
    currency: Currency,
    steps: Vec<WeightStep>,
    fees: ServiceFees,
    vat_rate_bp: u32,
}

fn bad(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid::new(field, codes::TARIFF_INVALID, message)
}

impl TariffTable {
    /// Checks that the steps are non-empty and strictly increasing in weight,
    /// that every price is between 0 and one million units, and that the VAT
    /// rate is at most 100 %.
    pub fn new(
        carrier: impl Into<String>,
        country: Country,
        currency: Currency,
        steps: Vec<WeightStep>,
        fees: ServiceFees,
        vat_rate_bp: u32,
    ) -> Result<Self, Invalid> {
        if steps.is_empty() {
            return Err(bad("steps", "a tariff needs at least one weight step"));
        }
        if steps
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.up_to_grams >= b.up_to_grams))
        {
            return Err(bad(
                "steps",
                "weight steps must be listed from lightest to heaviest, each heavier than the last",
            ));
        }
        if steps.first().is_some_and(|s| s.up_to_grams == 0) {
            return Err(bad("steps", "the lightest weight step must be above 0 g"));
        }
        let in_range = |p: &i64| (0..=MAX_PRICE_MINOR).contains(p);
        if let Some(step) = steps.iter().find(|s| !s.prices().iter().all(in_range)) {
            return Err(bad(
                "steps",
                format!(
                    "the {} g step has a price below 0 or above {MAX_PRICE_MINOR}",
                    step.up_to_grams
                ),
            ));
        }
        if !fees.all().iter().all(in_range) {
            return Err(bad(
                "fees",
                format!("service fees must be between 0 and {MAX_PRICE_MINOR}"),
            ));
        }
        if vat_rate_bp > FULL_RATE_BP {
            return Err(bad(
                "vat_rate",
                format!("a VAT rate of {vat_rate_bp} basis points is above 100 %"),
            ));
        }
        Ok(Self {
            carrier: carrier.into(),
            country,
            currency,
            steps,
            fees,
            vat_rate_bp,
        })
    }

    pub fn carrier(&self) -> &str {
        &self.carrier
    }
    /// The carrier's country: domestic products go only here.
    pub fn country(&self) -> Country {
        self.country
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    pub fn steps(&self) -> &[WeightStep] {
        &self.steps
    }
    pub fn fees(&self) -> ServiceFees {
        self.fees
    }
    pub fn vat_rate_bp(&self) -> u32 {
        self.vat_rate_bp
    }

    /// The lightest step that takes `weight_grams`.
    pub fn step_for(&self, weight_grams: u32) -> Option<&WeightStep> {
        self.steps.iter().find(|s| weight_grams <= s.up_to_grams)
    }

    /// The same carrier with new prices: its country and currency stay, the
    /// rest goes through the checks of [`TariffTable::new`]. The carrier's
    /// name must be 1 to 80 characters once trimmed.
    pub fn revised(
        &self,
        carrier: &str,
        steps: Vec<WeightStep>,
        fees: ServiceFees,
        vat_rate_bp: u32,
    ) -> Result<TariffTable, Invalid> {
        let carrier = carrier.trim();
        if carrier.is_empty() || carrier.chars().count() > MAX_CARRIER_CHARS {
            return Err(bad(
                "carrier",
                format!("the carrier's name must be 1 to {MAX_CARRIER_CHARS} characters"),
            ));
        }
        TariffTable::new(
            carrier,
            self.country,
            self.currency,
            steps,
            fees,
            vat_rate_bp,
        )
    }

    /// Every seed table: what a new installation starts with.
    pub fn seeds() -> [TariffTable; 3] {
        [Self::swiss_post(), Self::bpost(), Self::la_poste()]
    }

    /// The seed table of the carrier of `country`, if there is one.
    pub fn seed_for(country: &Country) -> Option<TariffTable> {
        match *country {
            Country::CH => Some(Self::swiss_post()),
            Country::BE => Some(Self::bpost()),
            Country::FR => Some(Self::la_poste()),
            _ => None,
        }
    }

    /// Swiss Post, CHF. A-Post / B-Post letters are one price up to 100 g
    /// (standard letter), then large-letter steps; International Priority by
    /// Europe / world. Editable defaults, not the official tariff.
    pub fn swiss_post() -> TariffTable {
        Self::seed(
            "Swiss Post",
            Country::CH,
            Currency::CHF,
            &SWISS_POST_STEPS,
            SWISS_POST_FEES,
        )
    }

    /// bpost, EUR. Prior / non-prior priced as multiples of a stamp by the
    /// 50 / 100 / 350 / 1000 g steps. Editable defaults, not the official tariff.
    pub fn bpost() -> TariffTable {
        Self::seed(
            "bpost",
            Country::BE,
            Currency::EUR,
            &BPOST_STEPS,
            BPOST_FEES,
        )
    }

    /// La Poste, EUR. "Standard" is the Lettre verte (J+3). La Poste stopped
    /// the paper Lettre prioritaire in 2023, so "priority" here stands for a
    /// contract J+1 business service; its prices are the least certain of the
    /// seeds. Editable defaults, not the official tariff.
    pub fn la_poste() -> TariffTable {
        Self::seed(
            "La Poste",
            Country::FR,
            Currency::EUR,
            &LA_POSTE_STEPS,
            LA_POSTE_FEES,
        )
    }

    fn seed(
        carrier: &str,
        country: Country,
        currency: Currency,
        steps: &[WeightStep],
        fees: ServiceFees,
    ) -> Self {
        // Built directly, not through `new`: seeds are constants, and the test
        // `seeds_pass_validation` runs each through `new`.
        Self {
            carrier: carrier.to_string(),
            country,
            currency,
            steps: steps.to_vec(),
            fees,
            vat_rate_bp: vat_rate_bp(&country).unwrap_or(0),
        }
    }
}

const SWISS_POST_STEPS: [WeightStep; 6] = [
    WeightStep::new(20, 130, 110, 230, 280),
    WeightStep::new(50, 130, 110, 330, 420),
    WeightStep::new(100, 130, 110, 450, 600),
    WeightStep::new(250, 250, 220, 900, 1250),
    WeightStep::new(500, 250, 220, 1500, 2200),
    WeightStep::new(1000, 450, 400, 2400, 3600),
];
const SWISS_POST_FEES: ServiceFees = ServiceFees {
    per_letter: 40,
    per_sheet_bw: 15,
    per_sheet_colour: 40,
    registered: 530,
    acknowledgement_of_receipt: 200,
};

const BPOST_STEPS: [WeightStep; 4] = [
    WeightStep::new(50, 220, 190, 340, 420),
    WeightStep::new(100, 440, 380, 680, 840),
    WeightStep::new(350, 660, 570, 1360, 1680),
    WeightStep::new(1000, 880, 760, 2720, 3360),
];
const BPOST_FEES: ServiceFees = ServiceFees {
    per_letter: 35,
    per_sheet_bw: 12,
    per_sheet_colour: 35,
    registered: 650,
    acknowledgement_of_receipt: 160,
};

const LA_POSTE_STEPS: [WeightStep; 5] = [
    WeightStep::new(20, 250, 152, 210, 240),
    WeightStep::new(100, 500, 304, 525, 640),
    WeightStep::new(250, 800, 608, 1100, 1400),
    WeightStep::new(500, 1050, 912, 1650, 2200),
    WeightStep::new(1000, 1400, 1216, 2400, 3300),
];
const LA_POSTE_FEES: ServiceFees = ServiceFees {
    per_letter: 35,
    per_sheet_bw: 12,
    per_sheet_colour: 35,
    registered: 450,
    acknowledgement_of_receipt: 140,
};

/// The price of one letter. `net = postage + printing + services`,
/// `total = net + vat`, all in the table's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quote {
    /// The carrier's postage for the weight step and product.
    pub postage: Money,
    /// Per-letter handling plus printed sheets.
    pub printing: Money,
    /// Registered surcharge and acknowledgement of receipt.
    pub services: Money,
    pub net: Money,
    pub vat: Money,
    pub total: Money,
    pub vat_rate_bp: u32,
    pub weight_grams: u32,
}

/// `amount × rate_bp / 10 000`, rounded half up (amounts here are never
/// negative; a negative one rounds half away from zero).
pub fn vat_of(amount_minor: i64, rate_bp: u32) -> i64 {
    let scaled = i128::from(amount_minor) * i128::from(rate_bp);
    let half = i128::from(FULL_RATE_BP / 2);
    let full = i128::from(FULL_RATE_BP);
    let rounded = if scaled >= 0 {
        (scaled + half) / full
    } else {
        (scaled - half) / full
    };
    // |amount| × rate / 10 000 ≤ |amount| for rates ≤ 100 %, and the checked
    // table bounds every rate; clamp rather than panic for a caller's own rate.
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

/// Prices one letter. Checks the route first (registered abroad, product
/// against destination); the return-address rule is [`super::Postage::new`]'s.
pub fn quote(
    table: &TariffTable,
    options: &PrintOptions,
    product: Product,
    registered: Registered,
    destination: &Country,
) -> Result<Quote, Invalid> {
    check_route(product, registered, &table.country, destination)?;
    let weight_grams = options.weight_grams();
    let step = table.step_for(weight_grams).ok_or_else(|| {
        let heaviest = table.steps.last().map_or(0, |s| s.up_to_grams);
        Invalid::new(
            "weight",
            codes::LETTER_TOO_HEAVY,
            format!(
                "the letter weighs {weight_grams} g; {} takes letters up to {heaviest} g",
                table.carrier
            ),
        )
    })?;

    // Bounded by MAX_PRICE_MINOR × u32::MAX sheets: below 2^63, no overflow.
    let postage = step.price(product, destination);
    let per_sheet = match options.colour() {
        Colour::BlackWhite => table.fees.per_sheet_bw,
        Colour::Colour => table.fees.per_sheet_colour,
    };
    let printing = table.fees.per_letter + per_sheet * i64::from(options.sheets().get());
    let services = match registered {
        Registered::None => 0,
        Registered::Registered => table.fees.registered,
        Registered::RegisteredWithAr => {
            table.fees.registered + table.fees.acknowledgement_of_receipt
        }
    };
    let net = postage + printing + services;
    let vat = vat_of(net, table.vat_rate_bp);
    let money = |minor| Money::new(minor, table.currency);
    Ok(Quote {
        postage: money(postage),
        printing: money(printing),
        services: money(services),
        net: money(net),
        vat: money(vat),
        total: money(net + vat),
        vat_rate_bp: table.vat_rate_bp,
        weight_grams,
    })
}

#[cfg(test)]
mod tests;
