//! Writes the seed corpus of the `rows` fuzz target (`fuzz/corpus/rows/`):
//! CSV in the encodings and delimiters we read, an XLSX and an ODS.
//! `cargo run -p courrier-merge --example rows_fuzz_seeds -- fuzz/corpus`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::path::PathBuf;

fn xlsx() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in ["Name", "PLZ", "Ort", "Betrag", "Datum", "Aktiv", "Summe"]
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
    let format = Format::new().set_num_format("dd.mm.yyyy");
    sheet
        .write_datetime_with_format(1, 4, &date, &format)
        .unwrap();
    sheet.write_boolean(1, 5, true).unwrap();
    sheet.write_formula(1, 6, Formula::new("=1/0")).unwrap();
    sheet.write_string(3, 0, "Jean Dupont").unwrap();
    sheet.write_number(3, 1, 1204.0).unwrap();
    sheet.write_string(3, 2, "Genève").unwrap();
    workbook.save_to_buffer().unwrap()
}

fn ods() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let content = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">"#,
        r#"<office:body><office:spreadsheet><table:table table:name="Adressen">"#,
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Nom</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>NPA</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Localité</text:p></table:table-cell></table:table-row>"#,
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Jean Dupont</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1204"><text:p>1204</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Genève</text:p></table:table-cell></table:table-row>"#,
        r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="3"/></table:table-row>"#,
        r#"<table:table-row><table:table-cell office:value-type="date" office:date-value="2026-01-05T10:30:00"><text:p>05.01.2026</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="8001.5"><text:p>8001.5</text:p></table:table-cell><table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell></table:table-row>"#,
        r#"</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">"#,
        r#"<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>"#,
        r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#,
        r#"</manifest:manifest>"#
    );
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

fn utf16_le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

fn main() {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fuzz/corpus"))
        .join("rows");
    std::fs::create_dir_all(&dir).unwrap();
    let semicolon = "Name;PLZ;Ort;Land\nMüller AG;8001;Zürich;CH\n;;;\n\"Dupont; fils\";1204;\"Genève\nRive\";CH\n";
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("semicolon.csv", semicolon.as_bytes().to_vec()),
        (
            "comma-bom.csv",
            "\u{FEFF}name,street,postcode,city\n\"Say \"\"hi\"\"\",Hauptstr. 5,10115,Berlin\nshort,row\nextra,a,b,c,,\n"
                .as_bytes()
                .to_vec(),
        ),
        ("tab.csv", b"Nom\tNPA\tLocalit\xe9\nJean\t1204\tGen\xe8ve\n".to_vec()),
        ("utf16.csv", utf16_le_with_bom("Nom;NPA\r\nJean;1204\r\n")),
        ("damaged-utf8.csv", b"Name;Ort\nM\xc3\xbcller;Z\xc3\xbcrich\nBad;\xc3\x28\n".to_vec()),
        ("sheet.xlsx", xlsx()),
        ("sheet.ods", ods()),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    println!("seeds written under {}", dir.display());
}
