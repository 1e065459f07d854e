//! Reading address rows: CSV encodings, delimiters, quoting, broken rows,
//! limits, XLSX and ODS.

use courrier_merge::rows::{Format, Limits, TextEncoding, read_csv, read_rows, read_spreadsheet};

fn values(parsed: &courrier_merge::Parsed) -> Vec<Vec<&str>> {
    parsed
        .table
        .rows
        .iter()
        .map(|r| r.values.iter().map(String::as_str).collect())
        .collect()
}

#[test]
fn semicolon_csv_in_windows_1252_decodes() {
    // "Zürich" and "Genève" as Excel writes them on a Swiss Windows: ü = FC,
    // è = E8, ô = F4, and CRLF line ends.
    let bytes = b"Name;Strasse;PLZ;Ort\r\nM\xfcller AG;Bahnhofstrasse 1;8001;Z\xfcrich\r\nJean Dupont;Rue du Rh\xf4ne 5;1204;Gen\xe8ve\r\n";
    let parsed = read_csv(bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.encoding, Some(TextEncoding::Windows1252));
    assert_eq!(parsed.delimiter, Some(';'));
    assert_eq!(parsed.table.columns, ["Name", "Strasse", "PLZ", "Ort"]);
    assert_eq!(
        values(&parsed),
        [
            ["Müller AG", "Bahnhofstrasse 1", "8001", "Zürich"],
            ["Jean Dupont", "Rue du Rhône 5", "1204", "Genève"],
        ]
    );
    let numbers: Vec<usize> = parsed.table.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [2, 3]);
    assert!(parsed.errors.is_empty());
}

#[test]
fn windows_1252_that_happens_to_hold_a_utf8_pair_is_still_1252() {
    // "Ä°" is C4 B0 in Windows-1252: also a valid UTF-8 "İ".
    let bytes = b"Name;Ort;Notiz\nM\xfcller;Z\xfcrich;5\xc4\xb0\n";
    let parsed = read_csv(bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.encoding, Some(TextEncoding::Windows1252));
    assert_eq!(values(&parsed), [["Müller", "Zürich", "5Ä°"]]);
}

#[test]
fn utf8_with_bom_and_commas() {
    let bytes = "\u{feff}name,city\nAnna,Zürich\nLuc,Genève\n".as_bytes();
    let parsed = read_csv(bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.encoding, Some(TextEncoding::Utf8));
    assert_eq!(parsed.delimiter, Some(','));
    assert_eq!(parsed.table.columns, ["name", "city"], "BOM stripped");
    assert_eq!(values(&parsed), [["Anna", "Zürich"], ["Luc", "Genève"]]);
}

#[test]
fn utf16_with_bom_and_tabs() {
    // Excel's "Unicode text" export.
    let text = "name\tcity\r\nAnna\tZürich\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let parsed = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.encoding, Some(TextEncoding::Utf16));
    assert_eq!(parsed.delimiter, Some('\t'));
    assert_eq!(values(&parsed), [["Anna", "Zürich"]]);
}

#[test]
fn quoted_fields_keep_delimiters_newlines_and_quotes() {
    let bytes = b"name;street;body\n\"Muster; Hans\";\"Weg 1\";\"Line 1\nLine 2 \"\"quoted\"\"\"\nNext;Weg 2;x\n";
    let parsed = read_csv(bytes, &Limits::default()).unwrap();
    assert_eq!(
        values(&parsed),
        [
            ["Muster; Hans", "Weg 1", "Line 1\nLine 2 \"quoted\""],
            ["Next", "Weg 2", "x"],
        ]
    );
    // Row numbers are the line a record starts on.
    let numbers: Vec<usize> = parsed.table.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [2, 4]);
}

#[test]
fn a_broken_row_is_reported_and_the_others_pass() {
    let bytes = b"name;postcode;city\nAnna;8001;Z\xc3\xbcrich\nBroken;8002\nLuc;1204;Gen\xc3\xa8ve\nToo;many;fields;here\nTrailing;3000;Bern;\nMixed;4000;B\xe2le\n";
    let parsed = read_csv(bytes, &Limits::default()).unwrap();
    // Valid UTF-8 elsewhere: the file is UTF-8, the stray 1252 byte is a
    // damaged row rather than a reason to misread every other row.
    assert_eq!(parsed.encoding, Some(TextEncoding::Utf8));
    assert_eq!(
        values(&parsed),
        [
            ["Anna", "8001", "Zürich"],
            ["Luc", "1204", "Genève"],
            ["Trailing", "3000", "Bern"],
        ]
    );
    let errors: Vec<(usize, &str, Option<&str>)> = parsed
        .errors
        .iter()
        .map(|e| (e.row, e.code.as_str(), e.field.as_deref()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "rows.field_count", None),
            (5, "rows.field_count", None),
            (7, "rows.encoding", Some("city")),
        ]
    );
    assert!(
        parsed.errors[0].message.contains("2 fields"),
        "{}",
        parsed.errors[0]
    );
    assert_eq!(
        parsed.errors[0].to_string(),
        "row 3: the row has 2 fields but the header has 3 (rows.field_count)"
    );
}

#[test]
fn row_numbers_count_empty_lines_with_any_line_end() {
    for bytes in [
        &b"a;b\n\nx;y\n\n\nz;w\n"[..],
        b"a;b\r\n\r\nx;y\r\n\r\n\r\nz;w\r\n",
        b"a;b\r\rx;y\r\r\rz;w",
    ] {
        let parsed = read_csv(bytes, &Limits::default()).unwrap();
        let numbers: Vec<usize> = parsed.table.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [3, 6], "{bytes:?}");
    }
}

#[test]
fn blank_rows_are_skipped_and_counted() {
    let bytes = b"name;city\n;\nAnna;Bern\n;;\n\n";
    let parsed = read_csv(bytes, &Limits::default()).unwrap();
    assert_eq!(values(&parsed), [["Anna", "Bern"]]);
    assert_eq!(parsed.table.rows[0].number, 3);
    assert_eq!(parsed.blank_rows, 2);
    assert!(parsed.errors.is_empty());
}

#[test]
fn empty_files_and_missing_headers() {
    for bytes in [&b""[..], b"\xef\xbb\xbf", b"\n\n", b";;;\n;;\n"] {
        let err = read_csv(bytes, &Limits::default()).unwrap_err();
        assert_eq!(err.code, "rows.empty", "{bytes:?}");
    }
    let header_only = read_csv(b"name;city\n", &Limits::default()).unwrap();
    assert_eq!(header_only.table.columns, ["name", "city"]);
    assert!(header_only.table.rows.is_empty());
}

#[test]
fn header_names_are_trimmed_and_must_be_distinct() {
    let parsed = read_csv(b" Name ;;City;\nA;x;B;\n", &Limits::default()).unwrap();
    assert_eq!(parsed.table.columns, ["Name", "column 2", "City"]);
    let err = read_csv(b"Name;City;name \nA;B;C\n", &Limits::default()).unwrap_err();
    assert_eq!(err.code, "rows.duplicate_column");
}

#[test]
fn limits_reject_the_whole_file() {
    let limits = Limits {
        max_rows: 2,
        ..Limits::default()
    };
    assert!(read_csv(b"a\n1\n2\n", &limits).is_ok());
    assert_eq!(
        read_csv(b"a\n1\n2\n3\n", &limits).unwrap_err().code,
        "rows.too_many"
    );
    let limits = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        read_csv(b"name;city\nAnna;Bern\n", &limits)
            .unwrap_err()
            .code,
        "rows.too_large"
    );
    let limits = Limits {
        max_columns: 2,
        ..Limits::default()
    };
    assert_eq!(
        read_csv(b"a;b;c\n1;2;3\n", &limits).unwrap_err().code,
        "rows.too_many_columns"
    );
}

fn xlsx_bytes() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in ["Name", "PLZ", "Ort", "Betrag", "Datum", "Aktiv"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    sheet.write_string(1, 0, "Müller AG").unwrap();
    sheet.write_number(1, 1, 8001).unwrap();
    sheet.write_string(1, 2, "Zürich").unwrap();
    sheet.write_number(1, 3, 12.5).unwrap();
    let date = ExcelDateTime::from_ymd(2026, 1, 5).unwrap();
    let format = XFormat::new().set_num_format("dd.mm.yyyy");
    sheet
        .write_datetime_with_format(1, 4, &date, &format)
        .unwrap();
    sheet.write_boolean(1, 5, true).unwrap();
    // Row 3 left blank, row 4 has data.
    sheet.write_string(3, 0, "Jean Dupont").unwrap();
    sheet.write_number(3, 1, 1204.0).unwrap();
    sheet.write_string(3, 2, "Genève").unwrap();
    workbook.save_to_buffer().unwrap()
}

#[test]
fn xlsx_numbers_read_back_as_typed() {
    let bytes = xlsx_bytes();
    assert_eq!(Format::sniff(&bytes), Format::Spreadsheet);
    let parsed = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(
        parsed.table.columns,
        ["Name", "PLZ", "Ort", "Betrag", "Datum", "Aktiv"]
    );
    assert_eq!(
        values(&parsed),
        [
            ["Müller AG", "8001", "Zürich", "12.5", "2026-01-05", "TRUE"],
            ["Jean Dupont", "1204", "Genève", "", "", ""],
        ]
    );
    // Sheet row numbers: the blank row 3 is skipped but not renumbered.
    let numbers: Vec<usize> = parsed.table.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [2, 4]);
    assert_eq!(parsed.blank_rows, 1);
}

#[test]
fn xlsx_cell_errors_are_row_errors() {
    use rust_xlsxwriter::{Formula, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "name").unwrap();
    sheet.write_string(0, 1, "postcode").unwrap();
    sheet.write_string(1, 0, "Anna").unwrap();
    sheet.write_number(1, 1, 3000).unwrap();
    sheet.write_string(2, 0, "Bad").unwrap();
    sheet
        .write_formula(2, 1, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let parsed = read_spreadsheet(&bytes, &Limits::default()).unwrap();
    assert_eq!(values(&parsed), [["Anna", "3000"]]);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].row, 3);
    assert_eq!(parsed.errors[0].code, "rows.cell_error");
    assert_eq!(parsed.errors[0].field.as_deref(), Some("postcode"));
}

/// A minimal ODS as LibreOffice would write it: mimetype first and stored,
/// a manifest, and content.xml.
fn ods_bytes() -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="Adressen">
<table:table-row>
<table:table-cell office:value-type="string"><text:p>Nom</text:p></table:table-cell>
<table:table-cell office:value-type="string"><text:p>NPA</text:p></table:table-cell>
<table:table-cell office:value-type="string"><text:p>Localité</text:p></table:table-cell>
</table:table-row>
<table:table-row>
<table:table-cell office:value-type="string"><text:p>Jean Dupont</text:p></table:table-cell>
<table:table-cell office:value-type="float" office:value="1204"><text:p>1204</text:p></table:table-cell>
<table:table-cell office:value-type="string"><text:p>Genève</text:p></table:table-cell>
</table:table-row>
</table:table>
</office:spreadsheet></office:body></office:document-content>"#;
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
    // calamine wants no whitespace between cells, as LibreOffice writes it.
    let content: String = content.lines().map(str::trim).collect();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn ods_reads_like_xlsx() {
    let bytes = ods_bytes();
    let parsed = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.table.columns, ["Nom", "NPA", "Localité"]);
    assert_eq!(values(&parsed), [["Jean Dupont", "1204", "Genève"]]);
    assert_eq!(parsed.table.rows[0].number, 2);
}

#[test]
fn a_damaged_spreadsheet_is_refused_cleanly() {
    let mut bytes = xlsx_bytes();
    bytes.truncate(bytes.len() / 2);
    let err = read_rows(&bytes, &Limits::default()).unwrap_err();
    assert_eq!(err.code, "rows.unreadable");
    let err = read_rows(b"PK\x03\x04 not a zip", &Limits::default()).unwrap_err();
    assert_eq!(err.code, "rows.unreadable");
}

// ---------------------------------------------------------------- hostile spreadsheets

use crate::hostile;

fn refusal(bytes: &[u8], limits: &Limits) -> String {
    match read_rows(bytes, limits) {
        Ok(parsed) => panic!("accepted: {:?}", parsed.table.columns),
        Err(err) => {
            assert_eq!(err.field, "rows");
            err.code.to_string()
        }
    }
}

#[test]
fn every_hostile_spreadsheet_is_refused_with_its_code() {
    for (name, bytes, code) in hostile::committed() {
        let started = std::time::Instant::now();
        assert_eq!(refusal(&bytes, &Limits::default()), code, "{name}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

/// The files under `tests/hostile/rows/` are the ones made here, and the
/// README there names each with the code above. Set
/// `COURRIER_WRITE_HOSTILE_ROWS=1` to write them again.
#[test]
fn committed_hostile_spreadsheets_match_their_readme() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile/rows");
    let write = std::env::var("COURRIER_WRITE_HOSTILE_ROWS").is_ok_and(|v| v == "1");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for (name, bytes, code) in hostile::committed() {
        let path = dir.join(name);
        if write {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(committed == bytes, "{name} differs from its generator");
        assert!(
            committed.len() < 100 * 1024,
            "{name} is {} bytes",
            committed.len()
        );
        let line = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}`")))
            .unwrap_or_else(|| panic!("{name} is not in the README"));
        assert!(line.contains(&format!("`{code}`")), "{line}");
    }
}

#[test]
fn a_value_beyond_the_last_column_is_refused_while_streaming() {
    // No dimension element: only the cell's own coordinates tell.
    let bytes = hostile::xfd1048576();
    let err = read_rows(&bytes, &Limits::default()).unwrap_err();
    assert_eq!(err.code, "rows.too_many_columns");
    assert!(err.message.contains("column 16384"), "{}", err.message);
    // The same check at a small limit: a value in column D with 3 allowed.
    let rows = format!(
        r#"{}<row r="5">{}</row>"#,
        hostile::address_rows(),
        hostile::inline("D5", "note")
    );
    let bytes = hostile::xlsx(None, &rows, None, None);
    let limits = Limits {
        max_columns: 3,
        ..Limits::default()
    };
    assert_eq!(refusal(&bytes, &limits), "rows.too_many_columns");
    let limits = Limits {
        max_columns: 4,
        ..Limits::default()
    };
    let parsed = read_rows(&bytes, &limits).unwrap();
    assert_eq!(parsed.errors[0].code, "rows.field_count");
    assert_eq!(parsed.errors[0].row, 5);
}

#[test]
fn a_declared_dimension_is_checked_but_not_trusted() {
    let err = read_rows(&hostile::dimension_lies(), &Limits::default()).unwrap_err();
    assert_eq!(err.code, "rows.too_many_columns");
    assert!(err.message.contains("declares"), "{}", err.message);
    // Rows declared far beyond the real ones cost nothing: cells are streamed.
    let bytes = hostile::xlsx(Some("A1:C1048576"), &hostile::address_rows(), None, None);
    let parsed = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(
        values(&parsed),
        [
            ["Anna Muster", "8001", "Zürich"],
            ["Jean Dupont", "1204", "Genève"]
        ]
    );
}

#[test]
fn spreadsheet_rows_and_cells_are_counted_while_streaming() {
    let limits = Limits {
        max_rows: 1,
        ..Limits::default()
    };
    assert_eq!(
        refusal(
            &hostile::xlsx(None, &hostile::address_rows(), None, None),
            &limits
        ),
        "rows.too_many"
    );
    let limits = Limits {
        max_cells: 8,
        ..Limits::default()
    };
    assert_eq!(
        refusal(
            &hostile::xlsx(None, &hostile::address_rows(), None, None),
            &limits
        ),
        "rows.too_many"
    );
    let limits = Limits {
        max_cells: 9,
        ..Limits::default()
    };
    assert!(
        read_rows(
            &hostile::xlsx(None, &hostile::address_rows(), None, None),
            &limits
        )
        .is_ok()
    );
}

#[test]
fn unpacked_size_is_bounded_across_all_parts() {
    let bytes = hostile::shared_strings_bomb(1024 * 1024);
    assert!(bytes.len() < 16 * 1024, "{} bytes", bytes.len());
    let limits = Limits {
        max_unpacked_bytes: 1024 * 1024,
        ..Limits::default()
    };
    assert_eq!(refusal(&bytes, &limits), "rows.too_large");
    // Just above the parts' total, the same file reads: the limit counts
    // what is unpacked, not a guess.
    let limits = Limits {
        max_unpacked_bytes: 1024 * 1024 + 4096,
        ..Limits::default()
    };
    let parsed = read_rows(&bytes, &limits).unwrap();
    assert_eq!(parsed.table.columns[0].len(), 1024 * 1024);
}

#[test]
fn xls_and_xlsb_are_refused_with_the_formats_to_use() {
    let err = read_rows(&hostile::legacy_xls(), &Limits::default()).unwrap_err();
    assert_eq!(err.code, "rows.format_unsupported");
    assert!(err.message.contains("XLSX, ODS or CSV"), "{}", err.message);
    let xlsb = hostile::zip(&[("xl/workbook.bin", b"\x83\x01\x00")]);
    assert_eq!(
        refusal(&xlsb, &Limits::default()),
        "rows.format_unsupported"
    );
}

/// What LibreOffice and many exporters write: no dimension element, text
/// both inline and shared, rows and cells without coordinates.
#[test]
fn an_xlsx_without_dimension_and_with_inline_and_shared_strings_reads() {
    let strings = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>Name</t></si><si><t>Ort</t></si><si><r><t>Gen</t></r><r><t>ève</t></r></si></sst>"#;
    let rows = concat!(
        r#"<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>"#,
        r#"<row><c t="inlineStr"><is><t>Anna Muster</t></is></c><c t="str"><v>Zürich</v></c></row>"#,
        r#"<row><c t="inlineStr"><is><t xml:space="preserve">Jean Dupont </t></is></c><c t="s"><v>2</v></c></row>"#,
        r#"<row r="5"><c r="A5"><v>8001</v></c></row>"#,
    );
    let bytes = hostile::xlsx(None, rows, Some(strings.as_bytes()), None);
    let parsed = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(parsed.table.columns, ["Name", "Ort"]);
    assert_eq!(
        values(&parsed),
        [
            ["Anna Muster", "Zürich"],
            ["Jean Dupont ", "Genève"],
            ["8001", ""]
        ]
    );
    let numbers: Vec<usize> = parsed.table.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [2, 3, 5]);
    assert_eq!(parsed.blank_rows, 1);
}

#[test]
fn ods_repeats_are_counted_before_the_sheet_is_expanded() {
    // LibreOffice's own trailing repeats of empty cells and rows are fine.
    let rows = format!(
        r#"<table:table-row>{}{}<table:table-cell table:number-columns-repeated="16382"/></table:table-row><table:table-row>{}{}<table:table-cell table:number-columns-repeated="16382"/></table:table-row><table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
        hostile::ods_text("Nom"),
        hostile::ods_text("NPA"),
        hostile::ods_text("Jean"),
        hostile::ods_text("1204"),
    );
    let parsed = read_rows(&hostile::ods(&rows), &Limits::default()).unwrap();
    assert_eq!(values(&parsed), [["Jean", "1204"]]);
    // A repeated row of values counts every repeat.
    let rows = format!(
        r#"<table:table-row>{}</table:table-row><table:table-row table:number-rows-repeated="3">{}</table:table-row>"#,
        hostile::ods_text("Nom"),
        hostile::ods_text("Jean"),
    );
    let limits = Limits {
        max_rows: 2,
        ..Limits::default()
    };
    assert_eq!(refusal(&hostile::ods(&rows), &limits), "rows.too_many");
    let limits = Limits {
        max_rows: 3,
        ..Limits::default()
    };
    assert_eq!(
        read_rows(&hostile::ods(&rows), &limits)
            .unwrap()
            .table
            .rows
            .len(),
        3
    );
}
