//! Intake checks for an uploaded letter PDF: size, readability, encryption,
//! pages A4 portrait, no active content (JavaScript, Launch actions), no
//! embedded files, no XFA forms; fonts that are not embedded give a warning.
//!
//! [`load_pdf`] parses once; [`inspect_document`] checks an already loaded
//! document so that a bulk run can inspect and read address windows without
//! parsing twice. [`inspect_pdf`] does both.
//!
//! Codes: `pdf.too_large`, `pdf.unreadable`, `pdf.encrypted`, `pdf.no_pages`,
//! `pdf.page_reused`, `pdf.page_tree_invalid` (see [`crate::page_tree`]),
//! `pdf.too_much_data`, `pdf.too_slow` (see [`crate::budget`]), `pdf.not_a4`, `pdf.javascript`, `pdf.launch_action`, `pdf.embedded_files`,
//! `pdf.xfa` (errors); `pdf.font_not_embedded`, `pdf.owner_password`,
//! `pdf.repaired` (warnings).

use crate::budget::{self};
use crate::finding::Finding;
use crate::objects::{get_dict, get_name};
use crate::page::{A4_HEIGHT_PT, A4_WIDTH_PT, page_geometry, pt_to_mm};
use crate::page_tree::page_ids;
use courrier_domain::codes;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, HashMap, HashSet};

mod load;

use load::encrypted;
pub use load::load_pdf;

/// The standard 14 fonts every PDF reader (and our printer's RIP) has.
pub const STANDARD_14_FONTS: [&str; 14] = [
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Symbol",
    "ZapfDingbats",
];

/// The limits an uploaded PDF must respect.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeLimits {
    /// Largest accepted file, in bytes. Default 50 MiB.
    pub max_bytes: usize,
    /// How far a page may be from 210 × 297 mm, in points, each way. Default 2.
    pub a4_tolerance_pt: f32,
    /// Largest size one stream may decompress to while loading or reading
    /// text (a guard against decompression bombs). Default 64 MiB.
    pub max_decompressed_bytes: usize,
    /// Largest size all the streams of one document may decompress to
    /// together. Default 256 MiB; see [`IntakeLimits::document_budget`].
    pub max_document_bytes: usize,
    /// How many times its own size a document may decompress to in all.
    /// Default 100: text, fonts and object streams shrink 3 to 10 times;
    /// images stay compressed.
    pub max_expansion: usize,
}

/// The decompressed bytes any document may use, however small the file.
const MIN_DOCUMENT_BUDGET: usize = 16 * 1024 * 1024;

impl IntakeLimits {
    /// The decompressed bytes all the streams of a document of `file_bytes`
    /// may use together: [`Self::max_expansion`] times its size, at least
    /// 16 MiB, at most [`Self::max_document_bytes`].
    pub fn document_budget(&self, file_bytes: usize) -> usize {
        file_bytes
            .saturating_mul(self.max_expansion)
            .max(MIN_DOCUMENT_BUDGET)
            .min(self.max_document_bytes)
    }
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_bytes: 50 * 1024 * 1024,
            a4_tolerance_pt: 2.0,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_document_bytes: 256 * 1024 * 1024,
            max_expansion: 100,
        }
    }
}

/// One page as it will be printed.
#[derive(Debug, Clone, PartialEq)]
pub struct PageInfo {
    /// 1-based.
    pub number: u32,
    /// Displayed width and height in millimetres (rotation applied).
    pub width_mm: f32,
    pub height_mm: f32,
    /// /Rotate: 0, 90, 180 or 270.
    pub rotate: u16,
}

/// What an accepted PDF looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfReport {
    pub page_count: u32,
    pub pages: Vec<PageInfo>,
    /// Findings that do not block the letter.
    pub warnings: Vec<Finding>,
}

/// Checks an uploaded PDF. On refusal the findings hold every error (first)
/// and every warning found, so the sender can fix everything at once.
pub fn inspect_pdf(bytes: &[u8], limits: &IntakeLimits) -> Result<PdfReport, Vec<Finding>> {
    let doc = load_pdf(bytes, limits).map_err(|f| vec![f])?;
    inspect_document(&doc, limits)
}

/// Checks an already loaded document (see [`load_pdf`]).
pub fn inspect_document(doc: &Document, limits: &IntakeLimits) -> Result<PdfReport, Vec<Finding>> {
    if doc.is_encrypted() {
        return Err(vec![encrypted()]);
    }
    let pages: BTreeMap<u32, ObjectId> = page_ids(doc)
        .map_err(|f| vec![f])?
        .into_iter()
        .enumerate()
        .map(|(i, id)| (u32::try_from(i + 1).unwrap_or(u32::MAX), id))
        .collect();
    if pages.is_empty() {
        return Err(vec![Finding::error(
            codes::PDF_NO_PAGES,
            "the PDF has no pages (or its page tree is damaged): export it again",
        )]);
    }

    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut infos = Vec::with_capacity(pages.len());
    for (&number, &id) in &pages {
        budget::check().map_err(|f| vec![f])?;
        let Some(geometry) = page_geometry(doc, id) else {
            errors.push(
                Finding::error(
                    codes::PDF_UNREADABLE,
                    format!("page {number} has no readable page size (MediaBox), the file seems damaged: export it again"),
                )
                .on_page(number),
            );
            continue;
        };
        let (width_mm, height_mm) = geometry.displayed_size_mm();
        infos.push(PageInfo {
            number,
            width_mm,
            height_mm,
            rotate: geometry.rotate,
        });
        if !geometry.is_a4_portrait(limits.a4_tolerance_pt) {
            errors.push(not_a4(
                number,
                geometry.displayed_size_pt(),
                limits.a4_tolerance_pt,
            ));
        }
    }
    if doc.xref_recovery.is_some() {
        warnings.push(Finding::warning(
            codes::PDF_REPAIRED,
            "the file is damaged (its cross-reference table is wrong) and was repaired to be read: check the preview, or export it again",
        ));
    }
    if doc.was_encrypted() {
        warnings.push(Finding::warning(
            codes::PDF_OWNER_PASSWORD,
            "the PDF is encrypted with an owner password only; it can be read, but save an unprotected copy to be safe",
        ));
    }

    let content = scan_objects(doc, &pages).map_err(|f| vec![f])?;
    errors.extend(content.errors.into_values());
    warnings.extend(content.warnings.into_values());

    if errors.is_empty() {
        Ok(PdfReport {
            page_count: u32::try_from(pages.len()).unwrap_or(u32::MAX),
            pages: infos,
            warnings,
        })
    } else {
        errors.extend(warnings);
        Err(errors)
    }
}

/// The checks any PDF taken in must pass, whatever its page size (a scan, a
/// digital delivery, an identity document): readable without a password, a
/// page tree that counts one way ([`page_ids`]), pages with a size, no
/// active content, embedded files or XFA. Returns the number of pages.
pub fn check_content(doc: &Document) -> Result<usize, Finding> {
    if doc.is_encrypted() {
        return Err(encrypted());
    }
    let ids = page_ids(doc)?;
    if ids.is_empty() {
        return Err(Finding::error(
            codes::PDF_NO_PAGES,
            "the PDF has no pages (or its page tree is damaged): export it again",
        ));
    }
    let mut pages = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if i % 64 == 0 {
            budget::check()?;
        }
        if page_geometry(doc, *id).is_none() {
            return Err(Finding::error(
                codes::PDF_UNREADABLE,
                format!("page {number} has no readable page size (MediaBox), the file seems damaged: export it again"),
            )
            .on_page(number));
        }
        pages.insert(number, *id);
    }
    let found = scan_objects(doc, &pages)?;
    match found.errors.into_values().next() {
        Some(error) => Err(error),
        None => Ok(ids.len()),
    }
}

fn not_a4(page: u32, (w, h): (f32, f32), tolerance: f32) -> Finding {
    let (w_mm, h_mm) = (pt_to_mm(w), pt_to_mm(h));
    let landscape_a4 =
        (w - A4_HEIGHT_PT).abs() <= tolerance && (h - A4_WIDTH_PT).abs() <= tolerance;
    let message = if landscape_a4 {
        format!(
            "page {page} is A4 landscape ({w_mm:.1} × {h_mm:.1} mm): letters must be A4 portrait, rotate the page"
        )
    } else {
        format!(
            "page {page} is {w_mm:.1} × {h_mm:.1} mm: letters must be A4 portrait (210 × 297 mm), set the page size to A4 when exporting"
        )
    };
    Finding::error(codes::PDF_NOT_A4, message).on_page(page)
}

/// What the walk over the document's objects found, one finding per code
/// (errors) or per font name (warnings), keyed to keep a stable order.
#[derive(Default)]
struct ContentFindings {
    errors: BTreeMap<courrier_domain::Code, Finding>,
    warnings: BTreeMap<String, Finding>,
}

impl ContentFindings {
    fn error(&mut self, code: courrier_domain::Code, page: Option<u32>, what: &str) {
        self.errors.entry(code).or_insert_with(|| {
            let place = page.map(|p| format!(" (page {p})")).unwrap_or_default();
            let finding = Finding::error(code, format!("{what}{place}"));
            match page {
                Some(p) => finding.on_page(p),
                None => finding,
            }
        });
    }
}

enum Item<'a> {
    Object(&'a Object, Option<u32>),
    Dict(&'a Dictionary, Option<u32>),
}

/// Walks every object reachable from the trailer once, remembering which page
/// it was reached from, and looks at each dictionary: actions, name trees,
/// file specifications, forms and fonts. Unreachable objects cannot run or
/// print, so they are not looked at.
fn scan_objects(
    doc: &Document,
    pages: &BTreeMap<u32, ObjectId>,
) -> Result<ContentFindings, Finding> {
    let page_of: HashMap<ObjectId, u32> = pages.iter().map(|(n, id)| (*id, *n)).collect();
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut found = ContentFindings::default();
    let mut stack = vec![Item::Dict(&doc.trailer, None)];
    let mut looked = 0usize;
    while let Some(item) = stack.pop() {
        looked += 1;
        if looked.is_multiple_of(1024) {
            budget::check()?;
        }
        let (dict, page) = match item {
            Item::Dict(dict, page) => (dict, page),
            Item::Object(object, page) => match object {
                Object::Reference(id) => {
                    if seen.insert(*id)
                        && let Some(target) = doc.objects.get(id)
                    {
                        stack.push(Item::Object(target, page_of.get(id).copied().or(page)));
                    }
                    continue;
                }
                Object::Array(items) => {
                    stack.extend(items.iter().map(|o| Item::Object(o, page)));
                    continue;
                }
                Object::Dictionary(dict) => (dict, page),
                Object::Stream(stream) => (&stream.dict, page),
                _ => continue,
            },
        };
        check_dict(doc, dict, page, &mut found);
        for (key, value) in dict.iter() {
            // The page tree is entered from the top; following /Parent back up
            // would only attribute shared objects to the wrong page.
            if key.as_slice() != b"Parent" {
                stack.push(Item::Object(value, page));
            }
        }
    }
    Ok(found)
}

fn check_dict(doc: &Document, dict: &Dictionary, page: Option<u32>, found: &mut ContentFindings) {
    let action = get_name(doc, dict, b"S");
    if dict.has(b"JS") || dict.has(b"JavaScript") || action == Some(b"JavaScript") {
        found.error(
            codes::PDF_JAVASCRIPT,
            page,
            "the PDF contains JavaScript: letters must be plain documents, export or print it to PDF again without interactive features",
        );
    }
    if action == Some(b"Launch") {
        found.error(
            codes::PDF_LAUNCH_ACTION,
            page,
            "the PDF contains an action that launches a program or file: export or print it to PDF again without interactive features",
        );
    }
    let kind = get_name(doc, dict, b"Type");
    let subtype = get_name(doc, dict, b"Subtype");
    if dict.has(b"EmbeddedFiles")
        || dict.has(b"EF")
        || kind == Some(b"EmbeddedFile")
        || subtype == Some(b"FileAttachment")
    {
        found.error(
            codes::PDF_EMBEDDED_FILES,
            page,
            "the PDF carries embedded files (attachments): remove them, and add anything to be printed as pages or as a printed attachment",
        );
    }
    if dict.has(b"XFA") {
        found.error(
            codes::PDF_XFA,
            page,
            "the PDF is an XFA form, which prints differently in every program: flatten it (print to PDF) and upload the result",
        );
    }
    if kind == Some(b"Font") || (dict.has(b"BaseFont") && subtype.is_some()) {
        check_font(doc, dict, subtype, page, found);
    }
}

fn check_font(
    doc: &Document,
    font: &Dictionary,
    subtype: Option<&[u8]>,
    page: Option<u32>,
    found: &mut ContentFindings,
) {
    // A Type0 font's glyphs live in its descendant (walked on its own); a
    // Type3 font's glyphs are content streams inside the PDF.
    if matches!(subtype, Some(b"Type0" | b"Type3") | None) {
        return;
    }
    let embedded = get_dict(doc, font, b"FontDescriptor")
        .is_some_and(|d| d.has(b"FontFile") || d.has(b"FontFile2") || d.has(b"FontFile3"));
    if embedded {
        return;
    }
    let raw = get_name(doc, font, b"BaseFont").unwrap_or(b"(unnamed)");
    let name = String::from_utf8_lossy(strip_subset_prefix(raw)).into_owned();
    if STANDARD_14_FONTS.contains(&name.as_str()) {
        return;
    }
    found.warnings.entry(name.clone()).or_insert_with(|| {
        let place = page.map(|p| format!(" (used on page {p})")).unwrap_or_default();
        let finding = Finding::warning(
            codes::PDF_FONT_NOT_EMBEDDED,
            format!(
                "the font '{name}'{place} is not embedded: the printer will substitute a similar font, which can move text (and the address) — embed all fonts when exporting"
            ),
        );
        match page {
            Some(p) => finding.on_page(p),
            None => finding,
        }
    });
}

/// `ABCDEF+Helvetica` → `Helvetica` (subset fonts carry a six-letter tag).
pub(crate) fn strip_subset_prefix(name: &[u8]) -> &[u8] {
    match (name.get(6), name.get(..6), name.get(7..)) {
        (Some(b'+'), Some(tag), Some(rest)) if tag.iter().all(u8::is_ascii_uppercase) => rest,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_prefix_is_stripped() {
        assert_eq!(strip_subset_prefix(b"ABCDEF+Helvetica"), b"Helvetica");
        assert_eq!(strip_subset_prefix(b"Helvetica"), b"Helvetica");
        assert_eq!(strip_subset_prefix(b"abcdef+X"), b"abcdef+X");
    }
}
