//! From rows to letters: column mapping, validation, and Typst rendering.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use courrier_merge::mapping::{Field, Mapping, default_fields, fields_from_template, normalize};
use courrier_merge::render::{DEFAULT_TEMPLATE, Renderer, Template};
use courrier_merge::rows::{Limits, read_csv};
use jiff::civil::date;

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

// ------------------------------------------------------------------ mapping

#[test]
fn auto_mapping_ignores_case_and_spaces() {
    let columns = cols(&["NAME", " Street ", "Post Code", "city", "Land", "Notes"]);
    let mapping = Mapping::auto(&default_fields(), &columns);
    assert_eq!(mapping.column_for("name"), Some("NAME"));
    assert_eq!(mapping.column_for("street"), Some(" Street "));
    assert_eq!(mapping.column_for("postcode"), Some("Post Code"));
    assert_eq!(mapping.column_for("city"), Some("city"));
    assert_eq!(mapping.column_for("country"), Some("Land"), "alias");
    assert_eq!(mapping.column_for("subject"), None);
    assert_eq!(mapping.unmapped_required(), ["body"]);
    assert_eq!(normalize(" Post_Code "), "postcode");
}

#[test]
fn auto_mapping_knows_swiss_column_names() {
    let columns = cols(&["Empfänger", "Strasse", "PLZ", "Ort", "Text"]);
    let mapping = Mapping::auto(&default_fields(), &columns);
    let got: Vec<_> = mapping
        .entries()
        .map(|(f, c)| (f.name.as_str(), c))
        .collect();
    assert_eq!(
        got,
        [
            ("name", Some("Empfänger")),
            ("street", Some("Strasse")),
            ("postcode", Some("PLZ")),
            ("city", Some("Ort")),
            ("country", None),
            ("subject", None),
            ("body", Some("Text")),
        ]
    );
    let french = Mapping::auto(&default_fields(), &cols(&["Nom", "Rue", "NPA", "Localité"]));
    assert_eq!(french.column_for("postcode"), Some("NPA"));
    assert_eq!(french.column_for("city"), Some("Localité"));
    // An exact name wins over an alias, and a column feeds one field only.
    let both = Mapping::auto(
        &[Field::required("city"), Field::required("ort")],
        &cols(&["Ort", "City"]),
    );
    assert_eq!(both.column_for("city"), Some("City"));
    assert_eq!(both.column_for("ort"), Some("Ort"));
}

#[test]
fn mapping_can_be_overridden() {
    let columns = cols(&["name", "Adresse 1", "Adresse 2"]);
    let mut mapping = Mapping::auto(
        &[Field::required("name"), Field::required("street")],
        &columns,
    );
    assert_eq!(mapping.column_for("street"), None);
    mapping.set("street", Some("Adresse 2"), &columns).unwrap();
    assert_eq!(mapping.column_for("street"), Some("Adresse 2"));
    mapping.set("name", None, &columns).unwrap();
    assert_eq!(mapping.column_for("name"), None);
    let err = mapping.set("street", Some("Nope"), &columns).unwrap_err();
    assert_eq!(err.code, "merge.unknown_column");
    let err = mapping.set("nope", Some("name"), &columns).unwrap_err();
    assert_eq!(err.code, "merge.unknown_field");
}

const CSV: &[u8] = b"Name;Strasse;PLZ;Ort;Text\n\
Anna Muster;Bahnhofstrasse 1;8001;Z\xc3\xbcrich;Hallo\n\
Ohne Ort;Weg 2;3000;  ;Hallo\n\
Luc Dupont;Rue 3;1204;Gen\xc3\xa8ve;Bonjour\n\
;Weg 4;;Bern;Hallo\n";

#[test]
fn validation_reports_empty_required_fields_per_row() {
    let parsed = read_csv(CSV, &Limits::default()).unwrap();
    let mapping = Mapping::auto(&default_fields(), &parsed.table.columns);
    let validated = mapping.validate(&parsed.table).unwrap();
    let good: Vec<usize> = validated.rows.iter().map(|r| r.row).collect();
    assert_eq!(good, [2, 4]);
    let errors: Vec<(usize, Option<&str>, &str)> = validated
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, Some("city"), "merge.field_missing"),
            (5, Some("name"), "merge.field_missing"),
            (5, Some("postcode"), "merge.field_missing"),
        ]
    );
    assert!(validated.errors[0].message.contains("column \"Ort\""));
    let anna = &validated.rows[0].values;
    assert_eq!(anna["city"], "Zürich");
    assert_eq!(anna["country"], "", "optional and unmapped: present, empty");
}

#[test]
fn validation_refuses_an_unmapped_required_field() {
    let parsed = read_csv(b"name;city\nA;B\n", &Limits::default()).unwrap();
    let mapping = Mapping::auto(&default_fields(), &parsed.table.columns);
    let err = mapping.validate(&parsed.table).unwrap_err();
    assert_eq!(err.code, "merge.field_unmapped");
    assert!(
        err.message.contains("street, postcode, body"),
        "{}",
        err.message
    );
}

#[test]
fn preview_gives_the_first_rows_mapped() {
    let parsed = read_csv(CSV, &Limits::default()).unwrap();
    let mapping = Mapping::auto(&default_fields(), &parsed.table.columns);
    let preview = mapping.preview(&parsed.table, 2).unwrap();
    assert_eq!(preview.len(), 2);
    assert_eq!(preview[0].row, 2);
    assert_eq!(preview[0].values["name"], "Anna Muster");
    assert!(preview[0].is_ok());
    assert_eq!(preview[1].values["city"], "", "trimmed");
    assert_eq!(preview[1].errors.len(), 1);
    assert_eq!(mapping.preview(&parsed.table, 100).unwrap().len(), 4);
}

#[test]
fn fields_are_found_in_a_template() {
    let template = r#"#sys.inputs.name, #sys.inputs.at("city") #sys.inputs.at("ref", default: "") #sys.inputs.name"#;
    assert_eq!(
        fields_from_template(template),
        [
            Field::required("name"),
            Field::required("city"),
            Field::optional("ref")
        ]
    );
}

// ------------------------------------------------------------------ render

fn inputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn letter() -> BTreeMap<String, String> {
    inputs(&[
        ("name", "Anna Muster"),
        ("street", "Bahnhofstrasse 1"),
        ("postcode", "8001"),
        ("city", "Zürich"),
        ("country", "Schweiz"),
        ("subject", "Ihre Bestellung 4711"),
        (
            "body",
            "Sehr geehrte Frau Muster\n\nVielen Dank für Ihre Bestellung.\n\nFreundliche Grüsse\nMuster AG",
        ),
        ("sender", "Muster AG\nPostfach 12\n3000 Bern"),
    ])
}

/// Text of a PDF (or of a region of its first page, in points) via poppler's
/// pdftotext; `None` when pdftotext is not installed.
fn pdftotext(pdf: &[u8], region: Option<[f64; 4]>) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut command = std::process::Command::new("pdftotext");
    command.arg("-q").arg("-layout");
    if let Some([x, y, w, h]) = region {
        command.args(["-f", "1", "-l", "1", "-r", "72"]);
        for (flag, v) in [("-x", x), ("-y", y), ("-W", w), ("-H", h)] {
            command.arg(flag).arg(format!("{}", v.round() as i64));
        }
    }
    let output = match command.arg(&path).arg("-").output() {
        Ok(output) => output,
        Err(_) => {
            eprintln!("pdftotext not installed (apt-get install poppler-utils): text not checked");
            return None;
        }
    };
    assert!(output.status.success(), "pdftotext failed");
    Some(String::from_utf8(output.stdout).unwrap())
}

#[test]
fn the_default_letter_renders_with_the_address_in_the_window() {
    let renderer = Renderer::new();
    let pdf = renderer
        .render_on(
            &Template::new(DEFAULT_TEMPLATE),
            &letter(),
            date(2026, 1, 5),
        )
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    if let Ok(path) = std::env::var("COURRIER_SAMPLE_LETTER") {
        std::fs::write(path, &pdf).unwrap();
    }
    assert!(pdf.len() < 60_000, "small: {} bytes", pdf.len());
    let Some(text) = pdftotext(&pdf, None) else {
        return;
    };
    for expected in [
        "Anna Muster",
        "Bahnhofstrasse 1",
        "8001 Zürich",
        "SCHWEIZ",
        "05.01.2026",
        "Ihre Bestellung 4711",
        "Vielen Dank für Ihre Bestellung.",
        "Postfach 12",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
    // The Swiss left window: x 22 mm, y 60 mm, 85.5 x 25.5 mm, in points.
    let mm = 72.0 / 25.4;
    let window = pdftotext(&pdf, Some([22.0 * mm, 60.0 * mm, 85.5 * mm, 25.5 * mm])).unwrap();
    let lines: Vec<&str> = window
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines,
        [
            "Muster AG, Postfach 12, 3000 Bern",
            "Anna Muster",
            "Bahnhofstrasse 1",
            "8001 Zürich",
            "SCHWEIZ"
        ],
        "window:\n{window}"
    );
}

#[test]
fn render_time_per_letter() {
    let renderer = Renderer::new();
    let template = Template::new(DEFAULT_TEMPLATE);
    // The first letter warms caches (fonts are parsed once per process).
    let first = Instant::now();
    renderer
        .render_on(&template, &letter(), date(2026, 1, 5))
        .unwrap();
    let first = first.elapsed();
    let n = 20;
    let mut sizes = 0;
    let start = Instant::now();
    for i in 0..n {
        let mut row = letter();
        row.insert("name".into(), format!("Empfänger Nummer {i}"));
        sizes += renderer
            .render_on(&template, &row, date(2026, 1, 5))
            .unwrap()
            .len();
    }
    let each = start.elapsed() / n;
    println!(
        "render: first letter {first:?}, then {each:?} per letter, {} bytes per PDF ({} build)",
        sizes / n as usize,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}

#[test]
fn inputs_are_data_not_markup() {
    let renderer = Renderer::new();
    let mut row = letter();
    row.insert("name".into(), r#"#panic("x") *bold* $x$ <a> @b"#.into());
    let pdf = renderer
        .render_on(&Template::new(DEFAULT_TEMPLATE), &row, date(2026, 1, 5))
        .unwrap();
    if let Some(text) = pdftotext(&pdf, None) {
        assert!(text.contains(r#"#panic("x") *bold* $x$ <a> @b"#), "{text}");
    }
}

#[test]
fn a_long_body_flows_onto_numbered_pages() {
    let renderer = Renderer::new();
    let mut row = letter();
    let paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(12);
    row.insert("body".into(), vec![paragraph; 12].join("\n\n"));
    let pdf = renderer
        .render_on(&Template::new(DEFAULT_TEMPLATE), &row, date(2026, 1, 5))
        .unwrap();
    let pages = renderer
        .check(&Template::new(DEFAULT_TEMPLATE), &row)
        .unwrap();
    assert_eq!(pages, 3);
    if let Some(text) = pdftotext(&pdf, None) {
        let text: String = text.split_whitespace().collect();
        for footer in ["1/3", "2/3", "3/3"] {
            assert!(text.contains(footer), "{footer}");
        }
    }
}

#[test]
fn today_comes_from_the_injected_date_or_clock() {
    let template = "#datetime.today().display()";
    let pdf = Renderer::new()
        .render_on(
            &Template::new(template),
            &BTreeMap::new(),
            date(2027, 3, 14),
        )
        .unwrap();
    if let Some(text) = pdftotext(&pdf, None) {
        assert!(text.contains("2027-03-14"), "{text}");
    }
    // 2026-06-30 23:30 UTC is already July 1st in Zurich.
    let clock = courrier_domain::ManualClock::at(courrier_domain::Timestamp::from_millis(
        1_782_862_200_000,
    ));
    let zurich = jiff::tz::TimeZone::get("Europe/Zurich").unwrap();
    let renderer = Renderer::with_clock(std::sync::Arc::new(clock), zurich);
    let pdf = renderer
        .render(
            "#datetime.today().display() / #datetime.today(offset: 0).display()",
            &BTreeMap::new(),
        )
        .unwrap();
    if let Some(text) = pdftotext(&pdf, None) {
        assert!(text.contains("2026-07-01 / 2026-06-30"), "{text}");
    }
}

#[test]
fn a_package_import_fails_fast_without_network() {
    let start = Instant::now();
    let err = Renderer::new()
        .render("#import \"@preview/x:0.1.0\": *\nHello", &BTreeMap::new())
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(err.code, "merge.template_error");
    assert_eq!(err.field, "template");
    assert!(err.message.starts_with("line 1"), "{}", err.message);
    assert!(err.message.contains("@preview/x:0.1.0"), "{}", err.message);
}

#[test]
fn a_syntax_error_reports_its_line() {
    let err = Renderer::new()
        .render("Hello\n\n#let x = (1, 2\nWorld", &BTreeMap::new())
        .unwrap_err();
    assert_eq!(err.code, "merge.template_error");
    assert!(err.message.starts_with("line 3, column"), "{}", err.message);

    let err = Renderer::new()
        .check(&Template::new("A\n#sys.inputs.missing"), &BTreeMap::new())
        .unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("missing"), "{}", err.message);
}

#[test]
fn an_error_inside_a_function_points_at_the_call_too() {
    let err = Renderer::new()
        .check(
            &Template::new("#let f(x) = x + 1\n\n#f(\"a\")"),
            &BTreeMap::new(),
        )
        .unwrap_err();
    assert!(err.line.is_some(), "{err}");
}

#[test]
fn the_template_sees_only_its_own_files() {
    let renderer = Renderer::new();
    for template in [
        "#read(\"/etc/passwd\")",
        "#read(\"../../../etc/passwd\")",
        "#image(\"/etc/hostname\")",
    ] {
        let err = renderer.render(template, &BTreeMap::new()).unwrap_err();
        assert_eq!(err.code, "merge.template_error", "{template}");
        assert!(
            err.message.contains("not found") || err.message.contains("escape"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("--root"), "{}", err.message);
    }
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#;
    let template = Template::new("#image(\"logo.svg\", width: 1cm)\n#include \"part.typ\"")
        .with_file("logo.svg", svg.to_vec())
        .with_file("part.typ", b"Included part".to_vec());
    let pdf = renderer
        .render_on(&template, &BTreeMap::new(), date(2026, 1, 5))
        .unwrap();
    if let Some(text) = pdftotext(&pdf, None) {
        assert!(text.contains("Included part"), "{text}");
    }
}
