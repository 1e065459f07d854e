//! Hostile spreadsheets, written here byte by byte (not by calamine's
//! writer or a spreadsheet program) so they can say what no honest producer
//! would. The small ones are also committed under `tests/hostile/rows/`
//! at the repository's root, with the code each must be refused with.

#![allow(dead_code)]

use std::io::Write;

use zip::write::SimpleFileOptions;

/// A ZIP archive of `(name, content)` parts, deflated.
pub fn zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in parts {
        zip.start_file(*name, deflated).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Adressen" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// An XLSX with one sheet whose `<sheetData>` content is `rows`, an
/// optional `<dimension>`, and optional shared strings and styles parts.
pub fn xlsx(
    dimension: Option<&str>,
    rows: &str,
    shared_strings: Option<&[u8]>,
    styles: Option<&[u8]>,
) -> Vec<u8> {
    let dimension = dimension
        .map(|d| format!(r#"<dimension ref="{d}"/>"#))
        .unwrap_or_default();
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{rows}</sheetData></worksheet>"#
    );
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ];
    if let Some(strings) = shared_strings {
        parts.push(("xl/sharedStrings.xml", strings));
    }
    if let Some(styles) = styles {
        parts.push(("xl/styles.xml", styles));
    }
    zip(&parts)
}

/// An inline-string cell, as LibreOffice and many exporters write text.
pub fn inline(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// A header and two address rows, in inline strings.
pub fn address_rows() -> String {
    [
        ("1", ["Name", "PLZ", "Ort"]),
        ("2", ["Anna Muster", "8001", "Zürich"]),
        ("3", ["Jean Dupont", "1204", "Genève"]),
    ]
    .iter()
    .map(|(r, cells)| {
        let cells: String = cells
            .iter()
            .zip(["A", "B", "C"])
            .map(|(text, col)| inline(&format!("{col}{r}"), text))
            .collect();
        format!(r#"<row r="{r}">{cells}</row>"#)
    })
    .collect()
}

/// A few ordinary rows and one value in the very last cell of a sheet.
pub fn xfd1048576() -> Vec<u8> {
    let rows = format!(
        r#"{}<row r="1048576">{}</row>"#,
        address_rows(),
        inline("XFD1048576", "x")
    );
    xlsx(None, &rows, None, None)
}

/// Ordinary rows under a dimension claiming the whole sheet.
pub fn dimension_lies() -> Vec<u8> {
    xlsx(Some("A1:XFD1048576"), &address_rows(), None, None)
}

/// A shared strings part holding one string of `bytes` letters: a few
/// kilobytes compressed.
pub fn shared_strings_bomb(bytes: usize) -> Vec<u8> {
    let mut strings = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#
        .to_vec();
    strings.resize(strings.len() + bytes, b'A');
    strings.extend_from_slice(b"</t></si></sst>");
    let rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
    xlsx(None, rows, Some(&strings), None)
}

/// A shared strings part declaring a hundred billion strings (calamine
/// reserves room for the declared count).
pub fn unique_count() -> Vec<u8> {
    let strings = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="100000000000"><si><t>Name</t></si></sst>"#;
    let rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
    xlsx(None, rows, Some(strings), None)
}

/// A header of 300 columns.
pub fn many_columns() -> Vec<u8> {
    let cells: String = (1..=300)
        .map(|i| format!(r#"<c t="inlineStr"><is><t>c{i}</t></is></c>"#))
        .collect();
    xlsx(None, &format!("<row>{cells}</row>"), None, None)
}

/// One shared string of 1 MiB referenced by 150 cells in each of 400 rows:
/// a small file whose cells, copied out, would be 60 GB of text.
pub fn shared_string_fanout() -> Vec<u8> {
    let mut strings = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="60000" uniqueCount="1"><si><t>"#
        .to_vec();
    strings.resize(strings.len() + 1024 * 1024, b'B');
    strings.extend_from_slice(b"</t></si></sst>");
    let row = format!("<row>{}</row>", r#"<c t="s"><v>0</v></c>"#.repeat(150));
    xlsx(None, &row.repeat(400), Some(&strings), None)
}

/// A styles part with one font named by 1 MiB of letters and 20,000 cell
/// formats using it (calamine copies the font into each format).
pub fn styles_bomb() -> Vec<u8> {
    let mut styles = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><name val=""#
        .to_vec();
    styles.resize(styles.len() + 1024 * 1024, b'F');
    styles.extend_from_slice(br#""/></font></fonts><cellXfs count="20000">"#);
    for _ in 0..20_000 {
        styles.extend_from_slice(br#"<xf numFmtId="0" fontId="0"/>"#);
    }
    styles.extend_from_slice(b"</cellXfs></styleSheet>");
    xlsx(None, &address_rows(), None, Some(&styles))
}

/// The first half of an ordinary XLSX.
pub fn truncated() -> Vec<u8> {
    let mut bytes = xlsx(Some("A1:C3"), &address_rows(), None, None);
    bytes.truncate(bytes.len() / 2);
    bytes
}

/// The header block of an OLE2 compound file, the container of XLS
/// (Excel 97-2003) workbooks.
pub fn legacy_xls() -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(512, 0);
    // Minor and major version (3), byte order (FFFE), sector shifts (9, 6).
    bytes[24..34].copy_from_slice(&[0x3E, 0x00, 0x03, 0x00, 0xFE, 0xFF, 0x09, 0x00, 0x06, 0x00]);
    bytes
}

/// An ODS whose `content.xml` holds `rows` in one table, as LibreOffice
/// writes it (no whitespace between elements).
pub fn ods(rows: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Adressen">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("META-INF/manifest.xml", manifest.as_bytes()),
        ("content.xml", content.as_bytes()),
    ])
}

pub fn ods_text(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

fn ods_header() -> String {
    format!(
        "<table:table-row>{}{}</table:table-row>",
        ods_text("Nom"),
        ods_text("Localité")
    )
}

/// A header, then one row whose value is repeated across all 16,384
/// columns.
pub fn ods_columns_repeated() -> Vec<u8> {
    ods(&format!(
        r#"{}<table:table-row><table:table-cell office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        ods_header()
    ))
}

/// A header, then one row of 95 values repeated over all 1,048,575 other
/// rows of a sheet: about 100 million cells once expanded.
pub fn ods_rows_repeated() -> Vec<u8> {
    ods(&format!(
        r#"{}<table:table-row table:number-rows-repeated="1048575"><table:table-cell office:value-type="string" table:number-columns-repeated="95"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        ods_header()
    ))
}

/// A header reaching column 95, a million empty rows, one more row: few
/// values, but a used area of 95 million cells.
pub fn ods_sparse_area() -> Vec<u8> {
    ods(&format!(
        r#"<table:table-row>{}<table:table-cell table:number-columns-repeated="93"/>{}</table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row><table:table-row>{}</table:table-row>"#,
        ods_text("Nom"),
        ods_text("Remarque"),
        ods_text("Jean")
    ))
}

/// Every committed hostile file: its name, how it is made, and the code
/// it is refused with.
pub fn committed() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        ("xfd1048576.xlsx", xfd1048576(), "rows.too_many_columns"),
        (
            "dimension_lies.xlsx",
            dimension_lies(),
            "rows.too_many_columns",
        ),
        (
            "shared_strings_bomb.xlsx",
            shared_strings_bomb(80 * 1024 * 1024),
            "rows.too_large",
        ),
        ("unique_count.xlsx", unique_count(), "rows.too_many"),
        ("many_columns.xlsx", many_columns(), "rows.too_many_columns"),
        (
            "shared_string_fanout.xlsx",
            shared_string_fanout(),
            "rows.too_large",
        ),
        ("styles_bomb.xlsx", styles_bomb(), "rows.too_large"),
        ("truncated.xlsx", truncated(), "rows.unreadable"),
        ("legacy.xls", legacy_xls(), "rows.format_unsupported"),
        (
            "columns_repeated.ods",
            ods_columns_repeated(),
            "rows.too_many_columns",
        ),
        ("rows_repeated.ods", ods_rows_repeated(), "rows.too_many"),
        ("sparse_area.ods", ods_sparse_area(), "rows.too_many"),
    ]
}
