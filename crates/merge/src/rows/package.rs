//! Checks on a spreadsheet's container before calamine reads it.
//!
//! XLSX and ODS files are ZIP archives of XML parts, and calamine reads
//! some parts whole into memory (shared strings, styles, and every ODS
//! sheet as a dense grid). A file of a few kilobytes can unpack to
//! gigabytes, or declare millions of repeated cells. So before calamine
//! sees a file, every part is unpacked once through a counting reader that
//! stops at [`Limits::max_unpacked_bytes`] in total, and the parts whose
//! content decides how much calamine allocates are scanned as they stream:
//!
//! - XLSX shared strings: the declared `uniqueCount` (calamine reserves
//!   that many strings) and the strings themselves, at most
//!   [`Limits::max_cells`].
//! - XLSX styles: calamine copies a font, fill and border into every cell
//!   format, so the formats times the largest of those must fit in
//!   [`Limits::max_unpacked_bytes`].
//! - ODS content: every sheet with its repeated rows and columns expanded
//!   as calamine expands them: values beyond [`Limits::max_columns`] or
//!   more than [`Limits::max_rows`] rows are refused, the used area must
//!   hold at most [`Limits::max_cells`] cells, and the repeated text must
//!   fit in [`Limits::max_unpacked_bytes`].
//!
//! XLS (the binary Excel 97–2003 format) and XLSB are refused with
//! `rows.format_unsupported`: calamine reads them whole, without a way to
//! bound them first.

use courrier_domain::codes;
use std::io::{BufRead, BufReader, Cursor, Read};

use courrier_domain::Invalid;
use quick_xml::Reader as XmlReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;

use super::{FIELD, Limits, too_many, too_many_columns};

/// What the container holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Xlsx,
    Ods,
}

/// The magic number of an OLE2 compound file (XLS).
const OLE2: [u8; 4] = [0xD0, 0xCF, 0x11, 0xE0];

/// What calamine keeps per cell format besides the copied font, fill and
/// border (an estimate, rounded up).
const STYLE_BYTES: u64 = 512;

pub(super) fn unreadable(detail: impl std::fmt::Display) -> Invalid {
    Invalid::new(
        FIELD,
        codes::ROWS_UNREADABLE,
        format!("the spreadsheet cannot be read: {detail}"),
    )
}

fn unsupported(format: &str) -> Invalid {
    Invalid::new(
        FIELD,
        codes::ROWS_FORMAT_UNSUPPORTED,
        format!("{format} files are not accepted: save the sheet as XLSX, ODS or CSV"),
    )
}

pub(super) fn unpacked_too_large(limits: &Limits) -> Invalid {
    Invalid::new(
        FIELD,
        codes::ROWS_TOO_LARGE,
        format!(
            "the spreadsheet unpacks to more than {} bytes; save it as CSV or split it",
            limits.max_unpacked_bytes
        ),
    )
}

pub(super) fn too_many_cells(limits: &Limits, what: &str) -> Invalid {
    Invalid::new(
        FIELD,
        codes::ROWS_TOO_MANY,
        format!(
            "the spreadsheet {what}; at most {} cells are read: split it into smaller files",
            limits.max_cells
        ),
    )
}

/// Check the container and every part in it; tell XLSX from ODS.
pub(super) fn inspect(bytes: &[u8], limits: &Limits) -> Result<Kind, Invalid> {
    if bytes.starts_with(&OLE2) {
        return Err(unsupported("XLS (Excel 97-2003)"));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("not a CSV, XLSX or ODS file ({e})")))?;
    let mut names = Vec::with_capacity(zip.len());
    for name in zip.file_names() {
        names.push(name.map_err(unreadable)?.to_ascii_lowercase());
    }
    if names.iter().any(|n| n.ends_with("workbook.bin")) {
        return Err(unsupported("XLSB (Excel binary workbook)"));
    }
    let kind = if zip.index_for_name("content.xml").is_some() {
        Kind::Ods
    } else {
        Kind::Xlsx
    };

    let max = u64::try_from(limits.max_unpacked_bytes).unwrap_or(u64::MAX);
    let mut total: u64 = 0;
    for index in 0..zip.len() {
        let file = zip.by_index(index).map_err(unreadable)?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().map_err(unreadable)?.to_ascii_lowercase();
        let left = max.saturating_sub(total);
        // A part that says it is larger than what is left is refused before
        // it is inflated (a smaller size it declares is not trusted: the
        // reading below stops at the limit whatever it says).
        if file.size() > left {
            return Err(unpacked_too_large(limits));
        }
        // One byte more than allowed tells "too large" from "just fits".
        let mut part = Counted {
            inner: file.take(left.saturating_add(1)),
            count: 0,
        };
        let scanned = match kind {
            Kind::Xlsx if is_part(&name, "sharedstrings.xml") => {
                scan_shared_strings(&mut xml_reader(&mut part), limits)
            }
            Kind::Xlsx if is_part(&name, "styles.xml") => {
                scan_styles(&mut xml_reader(&mut part), limits)
            }
            Kind::Ods if name == "content.xml" => scan_ods(&mut xml_reader(&mut part), limits),
            _ => Ok(()),
        };
        let drained = std::io::copy(&mut part, &mut std::io::sink());
        // A part cut off at the limit ends in the middle of its XML: say the
        // file is too large rather than broken.
        if part.count > left {
            return Err(unpacked_too_large(limits));
        }
        scanned?;
        drained.map_err(unreadable)?;
        total = total.saturating_add(part.count);
    }
    Ok(kind)
}

/// `name` is the part `file` at the archive's root or in a folder.
fn is_part(name: &str, file: &str) -> bool {
    name == file
        || name
            .strip_suffix(file)
            .is_some_and(|dir| dir.ends_with('/'))
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count = self
            .count
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }
}

fn xml_reader<R: Read>(part: R) -> XmlReader<BufReader<R>> {
    let mut xml = XmlReader::from_reader(BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    xml
}

/// A whole number attribute, saturating (a huge number stays huge); `None`
/// when absent or not a number.
fn number_attr(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    let attr = e.try_get_attribute(name).ok().flatten()?;
    let digits = attr.value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

fn has_attr(e: &BytesStart<'_>, name: &str) -> bool {
    e.try_get_attribute(name).ok().flatten().is_some()
}

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The shared strings: the declared count, and the strings themselves.
fn scan_shared_strings<R: BufRead>(xml: &mut XmlReader<R>, limits: &Limits) -> Result<(), Invalid> {
    let max = as_u64(limits.max_cells);
    let mut buf = Vec::new();
    let mut strings: u64 = 0;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(unreadable)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sst" if number_attr(&e, "uniqueCount").is_some_and(|n| n > max) => {
                    return Err(too_many_cells(limits, "declares more strings than that"));
                }
                "si" => {
                    strings = strings.saturating_add(1);
                    if strings > max {
                        return Err(too_many_cells(limits, "holds more strings than that"));
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The styles: cell formats times the largest font, fill or border that
/// calamine copies into each.
fn scan_styles<R: BufRead>(xml: &mut XmlReader<R>, limits: &Limits) -> Result<(), Invalid> {
    let max = as_u64(limits.max_unpacked_bytes);
    let mut buf = Vec::new();
    let mut in_cell_formats = false;
    let mut formats: u64 = 0;
    let mut largest_item: u64 = 0;
    let mut item_start: Option<u64> = None;
    loop {
        buf.clear();
        let before = xml.buffer_position();
        match xml.read_event_into(&mut buf).map_err(unreadable)? {
            Event::Start(e) => match e.local_name().as_ref() {
                "cellXfs" => in_cell_formats = true,
                "font" | "fill" | "border" => item_start = Some(before),
                "xf" if in_cell_formats => formats = formats.saturating_add(1),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "xf" if in_cell_formats => formats = formats.saturating_add(1),
                "font" | "fill" | "border" => {
                    largest_item = largest_item.max(xml.buffer_position().saturating_sub(before));
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "cellXfs" => in_cell_formats = false,
                "font" | "fill" | "border" => {
                    if let Some(start) = item_start.take() {
                        largest_item =
                            largest_item.max(xml.buffer_position().saturating_sub(start));
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
        let cost =
            formats.saturating_mul(largest_item.saturating_mul(3).saturating_add(STYLE_BYTES));
        if cost > max {
            return Err(unpacked_too_large(limits));
        }
    }
}

/// One ODS sheet as calamine will expand it.
#[derive(Default)]
struct OdsSheet {
    /// Rows so far, repeats counted.
    row: u64,
    /// The first row with a value, and the row after the last one.
    used_rows: Option<(u64, u64)>,
    /// The last column with a value (0-based).
    last_column: Option<u64>,
    /// Rows with a value, repeats counted.
    rows_with_values: u64,
    /// Bytes of cell XML times their repeats.
    repeated_bytes: u64,
}

impl OdsSheet {
    fn check(&self, limits: &Limits) -> Result<(), Invalid> {
        if self
            .last_column
            .is_some_and(|c| c >= as_u64(limits.max_columns))
        {
            return Err(too_many_columns(
                limits,
                format!(
                    "the sheet has values in column {}",
                    self.last_column.unwrap_or_default().saturating_add(1)
                ),
            ));
        }
        // The header row comes on top of the data rows.
        if self.rows_with_values > as_u64(limits.max_rows).saturating_add(1) {
            return Err(too_many(limits));
        }
        if let Some((first, end)) = self.used_rows {
            let columns = self.last_column.unwrap_or_default().saturating_add(1);
            if end.saturating_sub(first).saturating_mul(columns) > as_u64(limits.max_cells) {
                return Err(too_many_cells(
                    limits,
                    &format!(
                        "spans {} rows by {columns} columns",
                        end.saturating_sub(first)
                    ),
                ));
            }
        }
        if self.repeated_bytes > as_u64(limits.max_unpacked_bytes) {
            return Err(unpacked_too_large(limits));
        }
        Ok(())
    }
}

/// Every sheet of an ODS `content.xml` (calamine reads them all).
fn scan_ods<R: BufRead>(xml: &mut XmlReader<R>, limits: &Limits) -> Result<(), Invalid> {
    let mut buf = Vec::new();
    let mut skipped = Vec::new();
    let mut sheet = OdsSheet::default();
    // Within a row: its repeats, the next column, the last column with a value.
    let mut row: Option<(u64, u64, Option<u64>)> = None;
    loop {
        buf.clear();
        let before = xml.buffer_position();
        let event = xml.read_event_into(&mut buf).map_err(unreadable)?;
        match event {
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                sheet = OdsSheet::default();
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                sheet.check(limits)?;
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                row = Some((
                    number_attr(&e, "table:number-rows-repeated").unwrap_or(1),
                    0,
                    None,
                ));
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                let repeats = number_attr(&e, "table:number-rows-repeated").unwrap_or(1);
                sheet.row = sheet.row.saturating_add(repeats);
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some((repeats, _, last)) = row.take() {
                    if let Some(last) = last {
                        let first = sheet.used_rows.map_or(sheet.row, |(first, _)| first);
                        sheet.used_rows = Some((first, sheet.row.saturating_add(repeats)));
                        sheet.last_column = Some(sheet.last_column.map_or(last, |c| c.max(last)));
                        sheet.rows_with_values = sheet.rows_with_values.saturating_add(repeats);
                    }
                    sheet.row = sheet.row.saturating_add(repeats);
                    sheet.check(limits)?;
                }
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let Some((row_repeats, column, last)) = row.as_mut() else {
                    continue;
                };
                let repeats = number_attr(e, "table:number-columns-repeated").unwrap_or(1);
                let mut has_value =
                    has_attr(e, "office:value-type") || has_attr(e, "table:formula");
                if matches!(event, Event::Start(_)) {
                    let name = e.name().as_ref().to_owned();
                    skipped.clear();
                    let inner = xml
                        .read_to_end_into(QName(&name), &mut skipped)
                        .map_err(unreadable)?;
                    has_value |= inner.end > inner.start;
                }
                if has_value {
                    *last = Some(column.saturating_add(repeats.saturating_sub(1)));
                    let bytes = xml.buffer_position().saturating_sub(before);
                    sheet.repeated_bytes = sheet
                        .repeated_bytes
                        .saturating_add(bytes.saturating_mul(repeats).saturating_mul(*row_repeats));
                }
                *column = column.saturating_add(repeats);
                // Nothing is allocated while scanning: the sheet's other
                // limits are checked at the end of the row, rows first.
                if last.is_some_and(|c| c >= as_u64(limits.max_columns)) {
                    return Err(too_many_columns(
                        limits,
                        format!(
                            "the sheet has values in column {}",
                            last.unwrap_or_default().saturating_add(1)
                        ),
                    ));
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}
