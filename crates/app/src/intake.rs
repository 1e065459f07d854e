//! The checks of one letter on an already loaded PDF, with no I/O: pages,
//! active content, the address window and the clear zone, the print options,
//! the postage and its price, the expected delivery date. A single upload
//! ([`App::prepare_letter`](crate::App::prepare_letter)) and every letter of a
//! bulk run ([`crate::bulk`]) go through [`check_letter`], so a letter is
//! judged the same way whichever way it came in.
//!
//! A letter's background (letterhead) and attachments go through the same
//! PDF checks; the window and the clear zone are read on the letter's **own**
//! page 1 (a letterhead logo may sit in the franking zone), the sheets and
//! the price count the attachments, and the composed PDF is what is stored.

use crate::letters::{LetterInput, MAX_ATTACHMENTS, PreparedLetter, site_of, window_standard};
use crate::{AppError, Result};
use courrier_documents::compose::{self, Part, PartKind};
use courrier_documents::lopdf::Document;
use courrier_documents::{
    CountryCode, Finding, IntakeLimits, PageText, PostalAddress, TextReader, WindowStandard,
};
use courrier_domain::codes;
use courrier_domain::letters::{BackgroundScope, Sides};
use courrier_domain::letters::{
    BusinessCalendar, Country, LetterStatus, Postage, PrintOptions, Product, TariffTable,
    expected_delivery, quote,
};
use courrier_domain::{Invalid, LetterId, OrgId, Timestamp};
use courrier_store::{LetterAttachment, LetterRecord, LetterSettings, RecipientRecord};

/// What the checks need to know about the sending organisation and its
/// carrier, worked out once for any number of letters.
#[derive(Debug, Clone)]
pub struct IntakeContext {
    pub org: OrgId,
    pub sender: Country,
    pub sender_code: CountryCode,
    pub standard: WindowStandard,
    /// The organisation's return address (a letter's input may override it).
    pub return_address: String,
    pub table: TariffTable,
    pub tz: jiff::tz::TimeZone,
    pub calendar: BusinessCalendar,
    pub limits: IntakeLimits,
}

impl IntakeContext {
    /// For an organisation seated in `country` (ISO code) with `settings`,
    /// pricing with `table`: its carrier's stored table (the app reads it
    /// with `App::carrier_site`); a table of another country is refused.
    pub fn new(
        org: OrgId,
        country: &str,
        settings: &LetterSettings,
        table: TariffTable,
    ) -> Result<Self> {
        let sender = Country::parse(country)?;
        let sender_code = CountryCode::parse(sender.as_str())?;
        if table.country() != sender {
            return Err(AppError::internal(format!(
                "the {} tariff cannot price letters sent from {sender}",
                table.country()
            )));
        }
        let (tz, calendar) = site_of(&sender)?;
        Ok(Self {
            org,
            sender,
            sender_code,
            standard: window_standard(&settings.window_standard),
            return_address: settings.return_address.clone(),
            table,
            tz,
            calendar,
            limits: IntakeLimits::default(),
        })
    }
}

/// Where a letter's pages sit in the file it came from, so that a finding
/// about "page 2" of a letter also names the page of the bulk PDF.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOffset(pub u32);

impl PageOffset {
    fn invalid(self, finding: &Finding) -> Invalid {
        let mut invalid = finding.to_invalid();
        if let (Some(page), true) = (finding.page, self.0 > 0) {
            invalid.message = format!(
                "{} (page {} of the file)",
                invalid.message,
                page.saturating_add(self.0)
            );
        }
        invalid
    }
}

/// Checks and prices a letter. `first_page` is the text of page 1 when the
/// caller has read it already (a bulk run reads it while splitting, with
/// fonts decoded once for the whole file); otherwise it is read here.
/// Refusals are [`AppError::Findings`] listing every problem found.
#[allow(clippy::too_many_arguments)]
pub fn check_letter(
    ctx: &IntakeContext,
    doc: &Document,
    first_page: Option<&PageText>,
    input: &LetterInput,
    created_by: &str,
    now: Timestamp,
    offset: PageOffset,
) -> Result<PreparedLetter> {
    check_letter_with(ctx, doc, first_page, input, None, created_by, now, offset)
}

/// [`check_letter`] where a letter that turns out to go abroad is sent with
/// `abroad` (international priority) instead of the input's domestic
/// product: a bulk run's options apply to letters for many countries.
#[allow(clippy::too_many_arguments)]
pub fn check_letter_with(
    ctx: &IntakeContext,
    doc: &Document,
    first_page: Option<&PageText>,
    input: &LetterInput,
    abroad: Option<Product>,
    created_by: &str,
    now: Timestamp,
    offset: PageOffset,
) -> Result<PreparedLetter> {
    let report = courrier_documents::inspect_document(doc, &ctx.limits).map_err(|findings| {
        AppError::Findings(
            findings
                .iter()
                .filter(|f| f.is_error())
                .map(|f| offset.invalid(f))
                .collect(),
        )
    })?;
    let mut errors: Vec<Invalid> = Vec::new();
    let mut warnings: Vec<Invalid> = report.warnings.iter().map(|f| offset.invalid(f)).collect();
    let parts = load_parts(ctx, input, &mut errors, &mut warnings);
    let (window_lines, address) = match &input.recipient_lines {
        Some(lines) => {
            let lines: Vec<String> = lines
                .iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
            let address = PostalAddress::from_window_lines(&lines, ctx.sender_code);
            (lines, address)
        }
        None => {
            let read;
            let page = match first_page {
                Some(page) => Ok(page),
                None => {
                    read = TextReader::new(doc).page_text(0);
                    read.as_ref().map_err(Clone::clone)
                }
            };
            match page.and_then(|p| p.window(ctx.standard).map(|w| (p, w))) {
                Ok((page, window)) => {
                    if let Err(f) = page.clear_zone_is_empty(ctx.standard) {
                        errors.push(f.to_invalid());
                    }
                    let lines = window.address_lines();
                    let all = window.lines.iter().map(|l| l.text.clone()).collect();
                    (
                        all,
                        PostalAddress::from_window_lines(&lines, ctx.sender_code),
                    )
                }
                Err(f) => (Vec::new(), Err(f)),
            }
        }
    };
    let address = match address {
        Ok(a) => Some(a),
        Err(f) => {
            errors.push(f.to_invalid());
            None
        }
    };
    let paper = input.paper.unwrap_or(input.colour.default_paper());
    let options = match PrintOptions::new(
        input.envelope,
        input.colour,
        input.sides,
        paper,
        report.page_count,
        parts.attachment_pages(),
        parts.background.as_ref().map(|(_, scope)| *scope),
    ) {
        Ok(o) => Some(o),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let return_address = input
        .return_address
        .clone()
        .unwrap_or_else(|| ctx.return_address.clone());
    let mut priced = None;
    let mut product = input.product;
    if let (Some(a), Some(o)) = (&address, &options) {
        let destination = Country::parse(a.country().as_str())?;
        if let Some(international) = abroad
            && destination != ctx.table.country()
            && !product.is_international()
        {
            product = international;
        }
        match Postage::new(
            product,
            input.registered,
            ctx.table.country(),
            destination,
            !return_address.trim().is_empty(),
        )
        .and_then(|_| quote(&ctx.table, o, product, input.registered, &destination))
        {
            Ok(q) => {
                let estimate = expected_delivery(
                    now,
                    &ctx.tz,
                    &ctx.calendar,
                    product,
                    input.registered,
                    &destination,
                )?;
                priced = Some((q, estimate, destination));
            }
            Err(e) => errors.push(e),
        }
    }
    let (Some(address), Some(options), Some((q, estimate, destination)), true) =
        (address, options, priced, errors.is_empty())
    else {
        return Err(AppError::Findings(errors));
    };
    let composed = parts.compose(doc, options.sides())?;
    let record = LetterRecord {
        id: LetterId::random(),
        org: ctx.org,
        created_by: created_by.to_string(),
        reference: input.reference.trim().chars().take(200).collect(),
        run: None,
        status: LetterStatus::Draft,
        document: None,
        pages: i32::try_from(report.page_count).unwrap_or(i32::MAX),
        sheets: i32::try_from(options.sheets().get()).unwrap_or(i32::MAX),
        background: options.background(),
        attachments: parts
            .attachments
            .iter()
            .map(|(name, part)| LetterAttachment {
                name: name.clone(),
                pages: i32::try_from(part.page_count).unwrap_or(i32::MAX),
            })
            .collect(),
        envelope: options.envelope(),
        colour: options.colour(),
        sides: options.sides(),
        paper: options.paper(),
        product,
        registered: input.registered,
        recipient: RecipientRecord {
            name: address.name_lines().first().cloned().unwrap_or_default(),
            lines: address.to_lines(ctx.sender_code),
            postcode: address.postcode().unwrap_or_default().to_string(),
            locality: address.locality().to_string(),
            country: destination,
        },
        return_address,
        weight_grams: i32::try_from(q.weight_grams).unwrap_or(i32::MAX),
        currency: q.total.currency(),
        price_net: q.net.minor(),
        price_vat: q.vat.minor(),
        price_total: q.total.minor(),
        posting_date: Some(estimate.posting_date.to_string()),
        expected_delivery: Some(estimate.delivery_date.to_string()),
        note: String::new(),
        created_at: now,
        updated_at: now,
        submitted_at: None,
        printed_at: None,
    };
    Ok(PreparedLetter {
        record,
        window_lines,
        warnings,
        composed,
    })
}

/// The background and attachments of a letter, loaded and checked.
struct Parts {
    background: Option<(Part, BackgroundScope)>,
    /// File name (cleaned) and part, in order.
    attachments: Vec<(String, Part)>,
}

impl Parts {
    fn attachment_pages(&self) -> u32 {
        self.attachments
            .iter()
            .fold(0u32, |n, (_, p)| n.saturating_add(p.page_count))
    }

    /// The print-ready PDF, when there is anything to compose.
    fn compose(&self, letter: &Document, sides: Sides) -> Result<Option<Vec<u8>>> {
        if self.background.is_none() && self.attachments.is_empty() {
            return Ok(None);
        }
        let attachments: Vec<&Document> = self.attachments.iter().map(|(_, p)| &p.doc).collect();
        let mut doc = compose::compose(
            letter,
            self.background.as_ref().map(|(p, scope)| (&p.doc, *scope)),
            &attachments,
            sides,
        )
        .map_err(|f| AppError::Findings(vec![Invalid::new("document", f.code, f.message)]))?;
        Ok(Some(courrier_documents::split::to_bytes(&mut doc)))
    }
}

/// A file name as shown on the letter: no control characters, at most 200
/// characters, "attachment N.pdf" when none was given.
fn clean_name(name: &str, n: usize) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    match name.trim() {
        "" => format!("attachment {n}.pdf"),
        name => name.to_string(),
    }
}

/// Loads the input's background and attachments with the intake checks;
/// refusals go to `errors` (field `background` or `attachment`, codes
/// `letter.background_invalid` / `letter.attachment_invalid`), warnings to
/// `warnings`.
fn load_parts(
    ctx: &IntakeContext,
    input: &LetterInput,
    errors: &mut Vec<Invalid>,
    warnings: &mut Vec<Invalid>,
) -> Parts {
    let mut parts = Parts {
        background: None,
        attachments: Vec::new(),
    };
    if let Some(bg) = &input.background {
        match compose::load_part(&bg.pdf, &ctx.limits, PartKind::Background, "") {
            Ok(part) => {
                warnings.extend(
                    part.warnings
                        .iter()
                        .map(|f| Invalid::new("background", f.code, f.message.clone())),
                );
                parts.background = Some((part, bg.scope));
            }
            Err(findings) => errors.extend(
                findings
                    .iter()
                    .map(|f| Invalid::new("background", f.code, f.message.clone())),
            ),
        }
    }
    if input.attachments.len() > MAX_ATTACHMENTS {
        errors.push(Invalid::new(
            "attachment",
            codes::LETTER_TOO_MANY_ATTACHMENTS,
            format!(
                "a letter has at most {MAX_ATTACHMENTS} attachments; {} were given",
                input.attachments.len()
            ),
        ));
        return parts;
    }
    for (i, attachment) in input.attachments.iter().enumerate() {
        let name = clean_name(&attachment.name, i.saturating_add(1));
        match compose::load_part(&attachment.pdf, &ctx.limits, PartKind::Attachment, &name) {
            Ok(part) => {
                warnings.extend(
                    part.warnings
                        .iter()
                        .map(|f| Invalid::new("attachment", f.code, f.message.clone())),
                );
                parts.attachments.push((name, part));
            }
            Err(findings) => errors.extend(
                findings
                    .iter()
                    .map(|f| Invalid::new("attachment", f.code, f.message.clone())),
            ),
        }
    }
    parts
}
