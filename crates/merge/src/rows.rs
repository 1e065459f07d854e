//! Address and merge rows from CSV, XLSX or ODS.
//!
//! A file becomes a [`Table`]: the header's column names and one [`Row`] per
//! data record, each keeping the row number a person sees in the source (the
//! header is row 1). A broken record does not stop the file: it becomes a
//! [`RowError`] and reading goes on, so good rows can proceed and bad ones are
//! reported. Only problems with the file as a whole (empty, too large, too many
//! rows, not a spreadsheet) are an [`Invalid`].
//!
//! CSV details:
//! - encoding: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252.
//!   A file that is not valid UTF-8 is Windows-1252 (what Excel writes on a
//!   European Windows), unless it holds more valid UTF-8 non-ASCII characters
//!   than invalid sequences: then it is UTF-8 with damaged rows, and those
//!   rows get `rows.encoding`.
//! - delimiter: `;`, `,` or tab, whichever occurs most in the header line
//!   (outside quotes).
//! - quoting: RFC 4180 (`"a;b"`, `"line 1\nline 2"`, `"say ""hi"""`).
//! - row numbers: the line on which the record starts, so they match a text
//!   editor, and a spreadsheet too as long as no field holds a line break.
//! - rows whose fields are all blank (`;;;` lines that Excel leaves at the end)
//!   are skipped and counted in [`Parsed::blank_rows`].
//! - a record with more fields than the header is accepted when the extra
//!   fields are empty (a trailing delimiter); fewer, or non-empty extras, give
//!   `rows.field_count`.
//!
//! Spreadsheets: the first sheet; row numbers are the sheet's row numbers.
//! XLSX cells are streamed one by one and never laid out as a grid; ODS
//! sheets are checked before calamine expands them (see `package`). A value
//! beyond [`Limits::max_columns`] is `rows.too_many_columns`, more rows than
//! [`Limits::max_rows`] or cells than [`Limits::max_cells`] `rows.too_many`,
//! a file unpacking to more than [`Limits::max_unpacked_bytes`]
//! `rows.too_large`. XLS and XLSB are refused with `rows.format_unsupported`
//! (save as XLSX, ODS or CSV).
//! Whole numbers are written without a decimal part (`8001`, not `8001.0`),
//! dates as `YYYY-MM-DD` (with ` HH:MM:SS` when there is a time).

use courrier_domain::codes;
use std::io::Cursor;

use calamine::{Data, Reader};
use courrier_domain::Invalid;

mod package;

/// One problem with one row; the rest of the file is unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based row number in the source (the header is row 1).
    pub row: usize,
    /// The column (or, after mapping, the template field) concerned, if one.
    pub field: Option<String>,
    /// Stable code, e.g. `rows.field_count`, `rows.encoding`, `merge.field_missing`.
    pub code: courrier_domain::Code,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(
                f,
                "row {}, {field}: {} ({})",
                self.row, self.message, self.code
            ),
            None => write!(f, "row {}: {} ({})", self.row, self.message, self.code),
        }
    }
}

/// One data row: its source row number and one value per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based row number in the source (the header is row 1).
    pub number: usize,
    /// Exactly as many values as [`Table::columns`], untrimmed.
    pub values: Vec<String>,
}

/// Column names (trimmed) and the rows that could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Index of a column by exact name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// What was read: the good rows, and one error per bad row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub table: Table,
    /// Rows that could not be read, in source order.
    pub errors: Vec<RowError>,
    /// Rows skipped because every field was blank.
    pub blank_rows: usize,
    /// How the text was decoded (CSV only).
    pub encoding: Option<TextEncoding>,
    /// The delimiter used (CSV only).
    pub delimiter: Option<char>,
}

/// The text encoding a CSV file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf16,
    Windows1252,
}

/// Limits on one upload. Exceeding one rejects the file as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Data rows (the header and blank rows not counted). `rows.too_many`.
    pub max_rows: usize,
    /// Size of the uploaded file. `rows.too_large`.
    pub max_bytes: usize,
    /// Columns in the header; in a spreadsheet, also the last column that
    /// may hold a value. `rows.too_many_columns`.
    pub max_columns: usize,
    /// Bytes an XLSX or ODS file may unpack to, all its parts together (and
    /// the text of its cells). `rows.too_large`.
    pub max_unpacked_bytes: usize,
    /// Cells with a value a spreadsheet may hold, and cells its used area
    /// may span when it is read as a grid (ODS). `rows.too_many`.
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: 50_000,
            max_bytes: 32 * 1024 * 1024,
            max_columns: 200,
            max_unpacked_bytes: 64 * 1024 * 1024,
            max_cells: 2_000_000,
        }
    }
}

/// The kind of an uploaded row file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// XLSX or ODS (XLS and XLSB are recognised, to be refused).
    Spreadsheet,
}

impl Format {
    /// Sniff the format from the first bytes: ZIP (XLSX, ODS) and OLE2 (XLS)
    /// containers are spreadsheets, anything else is read as CSV.
    pub fn sniff(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            Self::Spreadsheet
        } else {
            Self::Csv
        }
    }
}

const FIELD: &str = "rows";

/// Read a row file of any supported format (see [`Format::sniff`]).
pub fn read_rows(bytes: &[u8], limits: &Limits) -> Result<Parsed, Invalid> {
    match Format::sniff(bytes) {
        Format::Csv => read_csv(bytes, limits),
        Format::Spreadsheet => read_spreadsheet(bytes, limits),
    }
}

fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), Invalid> {
    if bytes.len() > limits.max_bytes {
        return Err(Invalid::new(
            FIELD,
            codes::ROWS_TOO_LARGE,
            format!(
                "the file has {} bytes; at most {} are accepted",
                bytes.len(),
                limits.max_bytes
            ),
        ));
    }
    Ok(())
}

fn too_many(limits: &Limits) -> Invalid {
    Invalid::new(
        FIELD,
        codes::ROWS_TOO_MANY,
        format!(
            "the file has more than {} rows; split it into smaller files",
            limits.max_rows
        ),
    )
}

fn too_many_columns(limits: &Limits, detail: String) -> Invalid {
    Invalid::new(
        FIELD,
        codes::ROWS_TOO_MANY_COLUMNS,
        format!(
            "{detail}; at most {} columns are accepted",
            limits.max_columns
        ),
    )
}

fn empty() -> Invalid {
    Invalid::new(
        FIELD,
        codes::ROWS_EMPTY,
        "the file has no header row with column names",
    )
}

/// Turn header cells into column names: trimmed, blanks named `column N`,
/// duplicates (ignoring case and spaces) refused because a field could not be
/// mapped to one of them unambiguously.
fn header_names(raw: Vec<String>, limits: &Limits) -> Result<Vec<String>, Invalid> {
    // Trailing blank header cells (a trailing delimiter, formatted but empty
    // spreadsheet columns) are not columns.
    let mut raw = raw;
    while raw.last().is_some_and(|c| c.trim().is_empty()) {
        raw.pop();
    }
    if raw.is_empty() {
        return Err(empty());
    }
    if raw.len() > limits.max_columns {
        return Err(too_many_columns(
            limits,
            format!("the header has {} columns", raw.len()),
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    for (i, cell) in raw.into_iter().enumerate() {
        let trimmed = cell.trim();
        let name = if trimmed.is_empty() {
            format!("column {}", i + 1)
        } else {
            trimmed.to_owned()
        };
        let key = crate::mapping::normalize(&name);
        if names.iter().any(|n| crate::mapping::normalize(n) == key) {
            return Err(Invalid::new(
                FIELD,
                codes::ROWS_DUPLICATE_COLUMN,
                format!("the column name \"{name}\" appears twice in the header"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// Fit a record's values to the header. `Err` is the message for
/// `rows.field_count`.
fn fit(mut values: Vec<String>, columns: usize) -> Result<Vec<String>, String> {
    if values.len() > columns {
        let extra_blank = values
            .get(columns..)
            .is_some_and(|extra| extra.iter().all(|v| v.trim().is_empty()));
        if !extra_blank {
            return Err(format!(
                "the row has {} fields but the header has {columns}",
                values.len()
            ));
        }
        values.truncate(columns);
    }
    if values.len() < columns {
        return Err(format!(
            "the row has {} fields but the header has {columns}",
            values.len()
        ));
    }
    Ok(values)
}

fn is_blank(values: &[String]) -> bool {
    values.iter().all(|v| v.trim().is_empty())
}

// ---------------------------------------------------------------- CSV

/// How to turn a field's bytes into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decode {
    /// UTF-8; a field with invalid bytes is a `rows.encoding` error.
    Utf8,
    /// Windows-1252: every byte decodes.
    Windows1252,
}

/// Decide how to read the bytes; returns the bytes to parse (BOM removed,
/// UTF-16 transcoded) and how to decode fields.
fn detect_encoding(bytes: &[u8]) -> (std::borrow::Cow<'_, [u8]>, Decode, TextEncoding) {
    use std::borrow::Cow;
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (Cow::Borrowed(rest), Decode::Utf8, TextEncoding::Utf8);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        // Excel's "Unicode text": UTF-16 with a BOM.
        let (text, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        return (
            Cow::Owned(text.into_owned().into_bytes()),
            Decode::Utf8,
            TextEncoding::Utf16,
        );
    }
    if std::str::from_utf8(bytes).is_ok() {
        return (Cow::Borrowed(bytes), Decode::Utf8, TextEncoding::Utf8);
    }
    // Windows-1252 text only rarely forms a valid UTF-8 pair ("Ã©"); UTF-8
    // text with a few damaged rows has many more good characters than bad.
    let (valid, invalid) = utf8_evidence(bytes);
    if valid > invalid {
        (Cow::Borrowed(bytes), Decode::Utf8, TextEncoding::Utf8)
    } else {
        (
            Cow::Borrowed(bytes),
            Decode::Windows1252,
            TextEncoding::Windows1252,
        )
    }
}

/// Valid UTF-8 characters of two or more bytes, and invalid sequences.
fn utf8_evidence(mut bytes: &[u8]) -> (usize, usize) {
    let multibyte = |text: &str| text.chars().filter(|c| !c.is_ascii()).count();
    let (mut valid, mut invalid) = (0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => return (valid + multibyte(text), invalid),
            Err(err) => {
                let (good, rest) = bytes
                    .split_at_checked(err.valid_up_to())
                    .unwrap_or((bytes, &[]));
                valid += std::str::from_utf8(good).map_or(0, multibyte);
                invalid += 1;
                let skip = err.error_len().unwrap_or(rest.len()).max(1);
                bytes = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}

/// Count `;`, `,` and tab in the first line (outside quotes) and pick the most
/// frequent; `,` when there is none (a single column).
fn detect_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let candidates = [b';', b',', b'\t'];
    let mut in_quotes = false;
    for &b in bytes {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(i) = candidates.iter().position(|&c| c == b)
                    && let Some(count) = counts.get_mut(i)
                {
                    *count += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = b',';
    let mut best_count = 0;
    for (c, n) in candidates.iter().zip(counts) {
        if n > best_count {
            best = *c;
            best_count = n;
        }
    }
    best
}

/// Line numbers from byte offsets, for offsets that only grow. A line ends
/// with LF, CRLF or a lone CR. (The csv crate's own count lags by one after a
/// CRLF and ignores lone CRs.)
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// Whether the byte at `i` ends a line.
    fn ends_line(&self, i: usize) -> bool {
        match self.text.get(i) {
            Some(b'\n') => true,
            Some(b'\r') => self.text.get(i + 1) != Some(&b'\n'),
            _ => false,
        }
    }

    /// The 1-based line of the record that starts at `byte`, or just after
    /// the line breaks found there (a record never starts with one).
    fn line_at(&mut self, byte: usize) -> usize {
        let target = byte.min(self.text.len());
        if target > self.offset {
            self.line += (self.offset..target).filter(|&i| self.ends_line(i)).count();
            self.offset = target;
        }
        let breaks = (self.offset..self.text.len())
            .take_while(|&i| matches!(self.text.get(i), Some(b'\r' | b'\n')))
            .filter(|&i| self.ends_line(i))
            .count();
        self.line + breaks
    }
}

fn decode_field(raw: &[u8], decode: Decode) -> Option<String> {
    match decode {
        Decode::Utf8 => std::str::from_utf8(raw).ok().map(str::to_owned),
        Decode::Windows1252 => Some(
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(raw)
                .0
                .into_owned(),
        ),
    }
}

/// Read a CSV file. See the module documentation for what is accepted.
pub fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Parsed, Invalid> {
    check_size(bytes, limits)?;
    let (text, decode, encoding) = detect_encoding(bytes);
    let delimiter = detect_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_ref());

    let mut records = reader.byte_records();
    // The header: the first record that is not entirely blank.
    let columns = loop {
        let Some(first) = records.next() else {
            return Err(empty());
        };
        let record = first.map_err(|e| {
            Invalid::new(
                FIELD,
                codes::ROWS_UNREADABLE,
                format!("the header row cannot be read: {e}"),
            )
        })?;
        let mut cells = Vec::with_capacity(record.len());
        for raw in &record {
            let cell = decode_field(raw, decode).ok_or_else(|| {
                Invalid::new(
                    FIELD,
                    codes::ROWS_ENCODING,
                    "the header row is not valid UTF-8 text",
                )
            })?;
            cells.push(cell);
        }
        if !is_blank(&cells) {
            break header_names(cells, limits)?;
        }
    };

    let mut parsed = Parsed {
        table: Table {
            columns,
            rows: Vec::new(),
        },
        encoding: Some(encoding),
        delimiter: Some(char::from(delimiter)),
        ..Parsed::default()
    };
    let width = parsed.table.columns.len();
    let mut lines = LineCounter::new(&text);
    let mut counted = 0usize;
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                // The csv crate only fails here on I/O (none for a slice) or
                // UTF-8 (not used with byte records); report and go on.
                let row = err.position().map_or(0, |p| {
                    lines.line_at(usize::try_from(p.byte()).unwrap_or(usize::MAX))
                });
                parsed.errors.push(RowError {
                    row,
                    field: None,
                    code: codes::ROWS_UNREADABLE,
                    message: err.to_string(),
                });
                continue;
            }
        };
        let row = record.position().map_or(0, |p| {
            lines.line_at(usize::try_from(p.byte()).unwrap_or(usize::MAX))
        });

        let mut values = Vec::with_capacity(record.len());
        let mut bad_field = None;
        for (i, raw) in record.iter().enumerate() {
            match decode_field(raw, decode) {
                Some(v) => values.push(v),
                None => {
                    bad_field = Some(i);
                    break;
                }
            }
        }
        if bad_field.is_none() && is_blank(&values) {
            parsed.blank_rows += 1;
            continue;
        }
        counted += 1;
        if counted > limits.max_rows {
            return Err(too_many(limits));
        }
        if let Some(i) = bad_field {
            parsed.errors.push(RowError {
                row,
                field: parsed.table.columns.get(i).cloned(),
                code: codes::ROWS_ENCODING,
                message: "the text is not valid UTF-8 (the file mixes encodings?)".into(),
            });
            continue;
        }
        match fit(values, width) {
            Ok(values) => parsed.table.rows.push(Row {
                number: row,
                values,
            }),
            Err(message) => parsed.errors.push(RowError {
                row,
                field: None,
                code: codes::ROWS_FIELD_COUNT,
                message,
            }),
        }
    }
    Ok(parsed)
}

// ---------------------------------------------------------------- spreadsheets

/// The non-empty cells of one sheet by 0-based row and column, each as
/// text or, for a formula error, the message for `rows.cell_error`.
type Cells =
    std::collections::BTreeMap<u32, std::collections::BTreeMap<u32, Result<String, String>>>;

/// Collects a sheet's cells as they stream, refusing the sheet as soon as
/// it passes a limit, so a hostile file costs no more than the limits allow.
struct SheetCells<'a> {
    limits: &'a Limits,
    cells: Cells,
    count: usize,
    text_bytes: usize,
    /// Rows holding a value that is not blank (or an error).
    rows_with_values: usize,
}

impl<'a> SheetCells<'a> {
    fn new(limits: &'a Limits) -> Self {
        Self {
            limits,
            cells: Cells::new(),
            count: 0,
            text_bytes: 0,
            rows_with_values: 0,
        }
    }

    /// Add one cell at its 0-based position; empty cells are not kept.
    fn add(&mut self, (row, column): (u32, u32), cell: &Data) -> Result<(), Invalid> {
        if matches!(cell, Data::Empty) {
            return Ok(());
        }
        if usize::try_from(column).unwrap_or(usize::MAX) >= self.limits.max_columns {
            return Err(too_many_columns(
                self.limits,
                format!(
                    "the sheet has a value in column {}",
                    u64::from(column).saturating_add(1)
                ),
            ));
        }
        self.count += 1;
        if self.count > self.limits.max_cells {
            return Err(package::too_many_cells(
                self.limits,
                "holds more cells than that",
            ));
        }
        let text = cell_text(cell);
        self.text_bytes = self
            .text_bytes
            .saturating_add(text.as_ref().map_or_else(String::len, String::len));
        if self.text_bytes > self.limits.max_unpacked_bytes {
            return Err(package::unpacked_too_large(self.limits));
        }
        let counts = text.as_ref().map_or(true, |t| !t.trim().is_empty());
        let cells = self.cells.entry(row).or_default();
        let row_had_value = cells
            .values()
            .any(|c| c.as_ref().map_or(true, |t| !t.trim().is_empty()));
        cells.insert(column, text);
        if counts && !row_had_value {
            self.rows_with_values += 1;
            // The header row comes on top of the data rows.
            if self.rows_with_values > self.limits.max_rows.saturating_add(1) {
                return Err(too_many(self.limits));
            }
        }
        Ok(())
    }
}

/// Read the first sheet of an XLSX or ODS file. XLS and XLSB are refused
/// (`rows.format_unsupported`); see [`package`] for the checks made before
/// the file is parsed.
pub fn read_spreadsheet(bytes: &[u8], limits: &Limits) -> Result<Parsed, Invalid> {
    check_size(bytes, limits)?;
    let cells = match package::inspect(bytes, limits)? {
        package::Kind::Xlsx => xlsx_cells(bytes, limits)?,
        package::Kind::Ods => ods_cells(bytes, limits)?,
    };
    table_from_cells(cells, limits)
}

/// The first sheet's cells, streamed one by one: the sheet is never held
/// as a grid, so a value at XFD1048576 costs one cell, and is refused.
fn xlsx_cells(bytes: &[u8], limits: &Limits) -> Result<Cells, Invalid> {
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(package::unreadable)?;
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Err(empty());
    };
    let mut reader = match workbook.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        // A chart sheet first: nothing to read.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Err(empty()),
        Err(e) => return Err(package::unreadable(e)),
    };
    // The declared used area, before any cell: a sheet that says it reaches
    // beyond the columns accepted is refused without reading it.
    let declared = reader.dimensions();
    if usize::try_from(declared.end.1).unwrap_or(usize::MAX) >= limits.max_columns {
        return Err(too_many_columns(
            limits,
            format!(
                "the sheet declares columns up to {}",
                u64::from(declared.end.1).saturating_add(1)
            ),
        ));
    }
    let mut cells = SheetCells::new(limits);
    while let Some(cell) = reader.next_cell().map_err(package::unreadable)? {
        cells.add(cell.get_position(), &Data::from(cell.get_value().clone()))?;
    }
    Ok(cells.cells)
}

/// The first sheet of an ODS file. calamine reads ODS sheets whole, as
/// grids: [`package::inspect`] has bounded them before this runs.
fn ods_cells(bytes: &[u8], limits: &Limits) -> Result<Cells, Invalid> {
    let mut workbook: calamine::Ods<_> =
        calamine::Reader::new(Cursor::new(bytes)).map_err(package::unreadable)?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(empty)?
        .map_err(package::unreadable)?;
    let Some((first_row, first_column)) = range.start() else {
        return Err(empty());
    };
    let mut cells = SheetCells::new(limits);
    for (row, column, cell) in range.used_cells() {
        let row = first_row.saturating_add(u32::try_from(row).unwrap_or(u32::MAX));
        let column = first_column.saturating_add(u32::try_from(column).unwrap_or(u32::MAX));
        cells.add((row, column), cell)?;
    }
    Ok(cells.cells)
}

/// The header and data rows from a sheet's cells. Columns start at the
/// leftmost column holding a value; rows keep the sheet's numbers.
fn table_from_cells(cells: Cells, limits: &Limits) -> Result<Parsed, Invalid> {
    let first_column = cells
        .values()
        .filter_map(|row| row.keys().next().copied())
        .min()
        .unwrap_or_default();
    // A row's values from the first column on, at least `width` of them.
    let line = |row: &std::collections::BTreeMap<u32, Result<String, String>>, width: usize| {
        let end = row.keys().next_back().map_or(0, |&c| {
            usize::try_from(c.saturating_sub(first_column)).unwrap_or(usize::MAX) + 1
        });
        let mut values = vec![String::new(); end.max(width)];
        let mut errors = Vec::new();
        for (&c, cell) in row {
            let index = usize::try_from(c.saturating_sub(first_column)).unwrap_or(usize::MAX);
            match cell {
                Ok(text) => {
                    if let Some(slot) = values.get_mut(index) {
                        slot.clone_from(text);
                    }
                }
                Err(message) => errors.push((index, message.clone())),
            }
        }
        (values, errors)
    };

    let mut rows = cells.iter();
    // The header: the first row that is not blank.
    let (header_row, columns) = loop {
        let Some((&number, row)) = rows.next() else {
            return Err(empty());
        };
        let (names, _) = line(row, 0);
        if !is_blank(&names) {
            break (number, header_names(names, limits)?);
        }
    };
    let width = columns.len();
    let mut parsed = Parsed {
        table: Table {
            columns,
            rows: Vec::new(),
        },
        ..Parsed::default()
    };
    let mut previous = header_row;
    let mut counted = 0usize;
    for (&index, row) in rows {
        // Rows missing between two rows with cells are blank rows too.
        parsed.blank_rows +=
            usize::try_from(index.saturating_sub(previous).saturating_sub(1)).unwrap_or(0);
        previous = index;
        let number = usize::try_from(index)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let (values, errors) = line(row, width);
        if errors.is_empty() && is_blank(&values) {
            parsed.blank_rows += 1;
            continue;
        }
        counted += 1;
        if counted > limits.max_rows {
            return Err(too_many(limits));
        }
        if !errors.is_empty() {
            parsed
                .errors
                .extend(errors.into_iter().map(|(c, message)| RowError {
                    row: number,
                    field: parsed.table.columns.get(c).cloned(),
                    code: codes::ROWS_CELL_ERROR,
                    message,
                }));
            continue;
        }
        // Cut the columns beyond the header when they are empty, or report them.
        match fit(values, width) {
            Ok(values) => parsed.table.rows.push(Row { number, values }),
            Err(_) => parsed.errors.push(RowError {
                row: number,
                field: None,
                code: codes::ROWS_FIELD_COUNT,
                message: format!("the row has values in columns beyond the header's {width}"),
            }),
        }
    }
    Ok(parsed)
}

/// A cell as text. `Err` is the message for a formula error cell.
fn cell_text(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                if (h, mi, s) == (0, 0, 0) {
                    format!("{y:04}-{mo:02}-{d:02}")
                } else {
                    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                }
            } else {
                number_text(dt.as_f64())
            }
        }
        Data::Error(e) => return Err(format!("the cell holds the error {e}")),
    })
}

/// A number as a person typed it: `8001`, not `8001.0`; `0.1`, not
/// `0.1000000000000000055`.
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        // Exact: whole and well within i64.
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        i.to_string()
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_counts_only_outside_quotes_on_the_first_line() {
        assert_eq!(detect_delimiter(b"\"Name, Vorname\";Ort\na,b,c,d"), b';');
        assert_eq!(detect_delimiter(b"name,city\n"), b',');
        assert_eq!(detect_delimiter(b"name\tcity;x\tz"), b'\t');
        assert_eq!(detect_delimiter(b"name\n;;;;"), b',', "one column");
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(number_text(8001.0), "8001");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(number_text(12.50), "12.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(f64::NAN), "NaN");
    }

    #[test]
    fn utf8_evidence_counts_characters_and_damage() {
        assert_eq!(utf8_evidence("Zürich Genève".as_bytes()), (2, 0));
        assert_eq!(utf8_evidence(b"Z\xfcrich Gen\xe8ve"), (0, 2));
        assert_eq!(utf8_evidence(b"Z\xc3\xbcrich B\xe2le"), (1, 1));
    }
}
