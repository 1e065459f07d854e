//! Intake checks for an uploaded letter PDF: size, readability, encryption,
//! pages A4 portrait, no active content (JavaScript, Launch actions), no
//! embedded files, no XFA forms; fonts that are not embedded give a warning.
//!
//! [`load_pdf`] parses once; [`inspect_document`] checks an already loaded
//! document so that a bulk run can inspect and read address windows without
//! parsing twice. [`inspect_pdf`] does both.
//!
//! Codes: `pdf.too_large`, `pdf.unreadable`, `pdf.encrypted`, `pdf.no_pages`,
//! `pdf.not_a4`, `pdf.javascript`, `pdf.launch_action`, `pdf.embedded_files`,
//! `pdf.xfa` (errors); `pdf.font_not_embedded`, `pdf.owner_password`,
//! `pdf.repaired` (warnings).

use crate::finding::Finding;
use crate::objects::{get_dict, get_name};
use crate::page::{A4_HEIGHT_PT, A4_WIDTH_PT, page_geometry, pt_to_mm};
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};
use std::collections::{BTreeMap, HashMap, HashSet};

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
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_bytes: 50 * 1024 * 1024,
            a4_tolerance_pt: 2.0,
            max_decompressed_bytes: 64 * 1024 * 1024,
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

/// Parses a PDF for intake: refuses it when too large, unreadable or
/// protected by a password. The document is then ready for
/// [`inspect_document`] and the window reader.
pub fn load_pdf(bytes: &[u8], limits: &IntakeLimits) -> Result<Document, Finding> {
    if bytes.len() > limits.max_bytes {
        return Err(Finding::error(
            "pdf.too_large",
            format!(
                "the file is {:.1} MB and the limit is {:.1} MB: split it into smaller files or lower the resolution of its images",
                megabytes(bytes.len()),
                megabytes(limits.max_bytes)
            ),
        ));
    }
    // Readers accept up to 1024 bytes of junk before the header, no more.
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(unreadable("it does not start like a PDF"));
    }
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_decompressed_bytes),
        ..LoadOptions::default()
    };
    match Document::load_mem_with_options(bytes, options) {
        Ok(doc) if doc.is_encrypted() => Err(encrypted()),
        Ok(doc) => Ok(doc),
        Err(lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_)) => Err(encrypted()),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => Err(
            unreadable("one of its streams decompresses to more than the allowed size"),
        ),
        Err(e) => Err(unreadable(&e.to_string())),
    }
}

fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn unreadable(detail: &str) -> Finding {
    Finding::error(
        "pdf.unreadable",
        format!(
            "the file could not be read as a PDF ({detail}): export or save it again as PDF from the program that made it"
        ),
    )
}

fn encrypted() -> Finding {
    Finding::error(
        "pdf.encrypted",
        "the PDF is protected by a password: remove the password (save an unprotected copy) and upload it again",
    )
}

/// Checks an already loaded document (see [`load_pdf`]).
pub fn inspect_document(doc: &Document, limits: &IntakeLimits) -> Result<PdfReport, Vec<Finding>> {
    if doc.is_encrypted() {
        return Err(vec![encrypted()]);
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(vec![Finding::error(
            "pdf.no_pages",
            "the PDF has no pages (or its page tree is damaged): export it again",
        )]);
    }

    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut infos = Vec::with_capacity(pages.len());
    for (&number, &id) in &pages {
        let Some(geometry) = page_geometry(doc, id) else {
            errors.push(
                Finding::error(
                    "pdf.unreadable",
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
            "pdf.repaired",
            "the file is damaged (its cross-reference table is wrong) and was repaired to be read: check the preview, or export it again",
        ));
    }
    if doc.was_encrypted() {
        warnings.push(Finding::warning(
            "pdf.owner_password",
            "the PDF is encrypted with an owner password only; it can be read, but save an unprotected copy to be safe",
        ));
    }

    let content = scan_objects(doc, &pages);
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
    Finding::error("pdf.not_a4", message).on_page(page)
}

/// What the walk over the document's objects found, one finding per code
/// (errors) or per font name (warnings), keyed to keep a stable order.
#[derive(Default)]
struct ContentFindings {
    errors: BTreeMap<&'static str, Finding>,
    warnings: BTreeMap<String, Finding>,
}

impl ContentFindings {
    fn error(&mut self, code: &'static str, page: Option<u32>, what: &str) {
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
fn scan_objects(doc: &Document, pages: &BTreeMap<u32, ObjectId>) -> ContentFindings {
    let page_of: HashMap<ObjectId, u32> = pages.iter().map(|(n, id)| (*id, *n)).collect();
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut found = ContentFindings::default();
    let mut stack = vec![Item::Dict(&doc.trailer, None)];
    while let Some(item) = stack.pop() {
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
    found
}

fn check_dict(doc: &Document, dict: &Dictionary, page: Option<u32>, found: &mut ContentFindings) {
    let action = get_name(doc, dict, b"S");
    if dict.has(b"JS") || dict.has(b"JavaScript") || action == Some(b"JavaScript") {
        found.error(
            "pdf.javascript",
            page,
            "the PDF contains JavaScript: letters must be plain documents, export or print it to PDF again without interactive features",
        );
    }
    if action == Some(b"Launch") {
        found.error(
            "pdf.launch_action",
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
            "pdf.embedded_files",
            page,
            "the PDF carries embedded files (attachments): remove them, and add anything to be printed as pages or as a printed attachment",
        );
    }
    if dict.has(b"XFA") {
        found.error(
            "pdf.xfa",
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
            "pdf.font_not_embedded",
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
