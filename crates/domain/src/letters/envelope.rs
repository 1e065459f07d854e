//! What a letter is physically: envelope, sheets, colour, sides, paper and
//! background. [`PrintOptions::new`] is the only way to obtain a set of options,
//! and it refuses combinations the print line cannot produce (too many sheets
//! for the envelope, colour on 80 g paper, an empty letter), so everything
//! downstream — weight, price, batching — may assume they fit.

use crate::codes;

use crate::Invalid;

/// Envelope weights in grams. These are defaults for the white double-window
/// envelopes of the print line; a platform admin may have heavier stock.
pub const US_DL_ENVELOPE_GRAMS: u32 = 5;
pub const C5_ENVELOPE_GRAMS: u32 = 9;
pub const C4_ENVELOPE_GRAMS: u32 = 24;

/// Area of one A4 sheet (210 × 297 mm = 0.06237 m²) as the fraction
/// 6237 / 100 000, so weights are computed in integers without float drift.
const A4_AREA_NUMERATOR: u64 = 6_237;
const A4_AREA_DENOMINATOR: u64 = 100_000;

/// The three white double-window envelopes of the print line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// US / DL long envelope, A4 folded in three.
    UsDl,
    /// C5, A4 folded once.
    C5,
    /// C4, A4 flat.
    C4,
}

impl Envelope {
    pub const ALL: [Envelope; 3] = [Envelope::UsDl, Envelope::C5, Envelope::C4];

    /// How many A4 sheets the inserter can put in this envelope.
    pub const fn max_sheets(self) -> u32 {
        match self {
            Envelope::UsDl => 6,
            Envelope::C5 => 8,
            Envelope::C4 => 25,
        }
    }

    /// The empty envelope's weight (see the constants above: defaults).
    pub const fn weight_grams(self) -> u32 {
        match self {
            Envelope::UsDl => US_DL_ENVELOPE_GRAMS,
            Envelope::C5 => C5_ENVELOPE_GRAMS,
            Envelope::C4 => C4_ENVELOPE_GRAMS,
        }
    }

    /// Stable identifier for storage and APIs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Envelope::UsDl => "us_dl",
            Envelope::C5 => "c5",
            Envelope::C4 => "c4",
        }
    }

    /// What a person calls it, for messages.
    pub const fn label(self) -> &'static str {
        match self {
            Envelope::UsDl => "US/DL",
            Envelope::C5 => "C5",
            Envelope::C4 => "C4",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let t = s.trim().to_ascii_lowercase();
        Envelope::ALL
            .into_iter()
            .find(|e| e.as_str() == t || e.label().eq_ignore_ascii_case(&t))
            .ok_or_else(|| {
                Invalid::new(
                    "envelope",
                    codes::LETTER_ENVELOPE_UNKNOWN,
                    format!("'{s}' is not us_dl, c5 or c4"),
                )
            })
    }
}

/// Printing on one side of each sheet or on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sides {
    Simplex,
    Duplex,
}

impl Sides {
    pub const fn as_str(self) -> &'static str {
        match self {
            Sides::Simplex => "simplex",
            Sides::Duplex => "duplex",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "simplex" => Ok(Sides::Simplex),
            "duplex" => Ok(Sides::Duplex),
            _ => Err(Invalid::new(
                "sides",
                codes::LETTER_SIDES_UNKNOWN,
                format!("'{s}' is not simplex or duplex"),
            )),
        }
    }
}

/// Colour is chosen for the whole document: digital presses print in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    BlackWhite,
    Colour,
}

impl Colour {
    pub const fn as_str(self) -> &'static str {
        match self {
            Colour::BlackWhite => "bw",
            Colour::Colour => "colour",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "bw" => Ok(Colour::BlackWhite),
            "colour" | "color" => Ok(Colour::Colour),
            _ => Err(Invalid::new(
                "colour",
                codes::LETTER_COLOUR_UNKNOWN,
                format!("'{s}' is not bw or colour"),
            )),
        }
    }
    /// The paper used when the sender does not choose: colour toner needs the
    /// heavier semi-gloss 90 g stock, black and white runs on 80 g.
    pub const fn default_paper(self) -> Paper {
        match self {
            Colour::BlackWhite => Paper::G80,
            Colour::Colour => Paper::G90,
        }
    }
}

/// Paper grammage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Paper {
    G80,
    G90,
}

impl Paper {
    pub const fn grams_per_square_metre(self) -> u32 {
        match self {
            Paper::G80 => 80,
            Paper::G90 => 90,
        }
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            Paper::G80 => "80g",
            Paper::G90 => "90g",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "80g" | "80" => Ok(Paper::G80),
            "90g" | "90" => Ok(Paper::G90),
            _ => Err(Invalid::new(
                "paper",
                codes::LETTER_PAPER_UNKNOWN,
                format!("'{s}' is not 80g or 90g"),
            )),
        }
    }
}

/// Which pages a background (letterhead) PDF is laid under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackgroundScope {
    FirstPage,
    AllPages,
}

impl BackgroundScope {
    pub const fn as_str(self) -> &'static str {
        match self {
            BackgroundScope::FirstPage => "first_page",
            BackgroundScope::AllPages => "all_pages",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "first_page" => Ok(BackgroundScope::FirstPage),
            "all_pages" => Ok(BackgroundScope::AllPages),
            _ => Err(Invalid::new(
                "background",
                codes::LETTER_BACKGROUND_SCOPE_UNKNOWN,
                format!("'{s}' is not first_page or all_pages"),
            )),
        }
    }
}

/// Physical A4 sheets: what the inserter counts and the envelope limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SheetCount(u32);

impl SheetCount {
    /// Sheets needed for `pages` printed pages: one per page in simplex, one
    /// per two pages (the last possibly half blank) in duplex.
    pub const fn for_pages(pages: u32, sides: Sides) -> Self {
        match sides {
            Sides::Simplex => SheetCount(pages),
            Sides::Duplex => SheetCount(pages.div_ceil(2)),
        }
    }
    pub const fn get(self) -> u32 {
        self.0
    }
    /// Two documents in one envelope; saturates because a count near `u32::MAX`
    /// is refused by the envelope limit anyway.
    pub const fn plus(self, other: SheetCount) -> SheetCount {
        SheetCount(self.0.saturating_add(other.0))
    }
}

/// Grams of `sheets` A4 sheets of `paper`, rounded up to the whole gram so a
/// letter is never priced into a lighter step than it really is.
pub fn paper_weight_grams(sheets: SheetCount, paper: Paper) -> u64 {
    // In units of 1e-5 g; u32 × 90 × 6237 cannot overflow u64.
    let scaled =
        u64::from(sheets.get()) * u64::from(paper.grams_per_square_metre()) * A4_AREA_NUMERATOR;
    scaled.div_ceil(A4_AREA_DENOMINATOR)
}

/// A letter's validated print options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrintOptions {
    envelope: Envelope,
    colour: Colour,
    sides: Sides,
    paper: Paper,
    pages: u32,
    attachment_pages: u32,
    background: Option<BackgroundScope>,
    sheets: SheetCount,
}

impl PrintOptions {
    /// Checks the options against the print line. `pages` is the letter's page
    /// count; `attachment_pages` the pages of extra printed attachments (flyer,
    /// reply coupon). An attachment starts on a fresh sheet, so the letter and
    /// the attachments are counted in sheets separately and then added.
    pub fn new(
        envelope: Envelope,
        colour: Colour,
        sides: Sides,
        paper: Paper,
        pages: u32,
        attachment_pages: u32,
        background: Option<BackgroundScope>,
    ) -> Result<Self, Invalid> {
        if pages == 0 {
            return Err(Invalid::new(
                "pages",
                codes::LETTER_EMPTY,
                "the letter has no pages to print",
            ));
        }
        if colour == Colour::Colour && paper == Paper::G80 {
            return Err(Invalid::new(
                "paper",
                codes::LETTER_PAPER_COLOUR_MISMATCH,
                "colour printing needs 90 g paper; choose 90 g or black and white",
            ));
        }
        let sheets = SheetCount::for_pages(pages, sides)
            .plus(SheetCount::for_pages(attachment_pages, sides));
        let max = envelope.max_sheets();
        if sheets.get() > max {
            return Err(Invalid::new(
                "pages",
                codes::LETTER_TOO_MANY_SHEETS,
                too_many_sheets_message(envelope, sides, sheets, max),
            ));
        }
        Ok(Self {
            envelope,
            colour,
            sides,
            paper,
            pages,
            attachment_pages,
            background,
            sheets,
        })
    }

    pub const fn envelope(&self) -> Envelope {
        self.envelope
    }
    pub const fn colour(&self) -> Colour {
        self.colour
    }
    pub const fn sides(&self) -> Sides {
        self.sides
    }
    pub const fn paper(&self) -> Paper {
        self.paper
    }
    pub const fn pages(&self) -> u32 {
        self.pages
    }
    pub const fn attachment_pages(&self) -> u32 {
        self.attachment_pages
    }
    pub const fn background(&self) -> Option<BackgroundScope> {
        self.background
    }
    /// Sheets in the envelope, letter and attachments together.
    pub const fn sheets(&self) -> SheetCount {
        self.sheets
    }

    /// Weight of the sealed envelope in whole grams (rounded up), which picks
    /// the carrier's tariff step.
    pub fn weight_grams(&self) -> u32 {
        let grams =
            paper_weight_grams(self.sheets, self.paper) + u64::from(self.envelope.weight_grams());
        // At most 25 sheets pass validation, so this is far below u32::MAX.
        u32::try_from(grams).unwrap_or(u32::MAX)
    }
}

/// Names the envelope, the count and the limit, and offers whichever fixes
/// are still available to the sender.
fn too_many_sheets_message(
    envelope: Envelope,
    sides: Sides,
    sheets: SheetCount,
    max: u32,
) -> String {
    let mut fixes = Vec::new();
    if envelope != Envelope::C4 {
        fixes.push(format!(
            "a C4 envelope (up to {} sheets)",
            Envelope::C4.max_sheets()
        ));
    }
    if sides == Sides::Simplex {
        fixes.push("duplex printing".to_string());
    }
    let hint = if fixes.is_empty() {
        "split the letter into several letters".to_string()
    } else {
        format!("choose {}", fixes.join(" or "))
    };
    format!(
        "{} sheets do not fit in a {} envelope, which holds at most {max}; {hint}",
        sheets.get(),
        envelope.label()
    )
}

#[cfg(test)]
mod tests;
