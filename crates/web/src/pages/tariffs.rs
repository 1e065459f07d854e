//! The platform admin's carrier tariffs: the list of carriers, and per
//! carrier an edit form (weight steps as rows, the five service fees, the
//! VAT rate) with the saved versions below. Prices are typed in major units
//! (`1.20`) and read exactly into minor units; the VAT rate in percent
//! (`8.1`). A refused form comes back with every value as typed and each
//! error next to its field; a save based on a version someone replaced
//! meanwhile says so and keeps the typed values.

use super::{Chrome, Screen, fail_in, render};
use crate::AppState;
use crate::i18n::L;
use crate::session::{CsrfForm, Fields, SignedIn};
use crate::when::When;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_app::tariffs::TariffEdit;
use courrier_domain::letters::{ServiceFees, WeightStep, parse_price, parse_vat_percent};
use courrier_domain::{Invalid, Locale};
use courrier_store::TariffRecord;
use serde::Deserialize;

pub(super) const TARIFFS: Screen = Screen::new("admin", "/admin/tariffs");

/// More rows than this in one form are not read (a carrier has a handful).
const MAX_ROWS: usize = 60;

/// A problem as the admin reads it: its code, and the message in their
/// language (the code's translation in French, the precise English
/// message otherwise, as on the letter pages).
struct Problem {
    code: String,
    message: String,
}

fn problem(l: L, code: &str, message: &str) -> Problem {
    let key = format!("err.{code}");
    let message = match (l.0, l.t(&key)) {
        (Locale::Fr, text) if text != key => text.to_string(),
        _ => message.to_string(),
    };
    Problem {
        code: code.to_string(),
        message,
    }
}

/// One input of the form: its name, what it holds, and its error.
struct Cell {
    name: String,
    value: String,
    error: Option<Problem>,
}

struct StepRow {
    grams: Cell,
    prices: [Cell; 4],
    remove_name: String,
    removed: bool,
}

struct FeeRow {
    label: &'static str,
    cell: Cell,
}

struct CarrierRow {
    country: String,
    carrier: String,
    currency: String,
    vat: String,
    version: i64,
    updated: String,
    updated_by: String,
}

struct HistoryRow {
    version: i64,
    updated: String,
    updated_by: String,
    carrier: String,
    vat: String,
    steps: String,
    fees: String,
}

#[derive(Template)]
#[template(path = "admin_tariffs.html")]
struct TariffsPage {
    chrome: Chrome,
    carriers: Vec<CarrierRow>,
}

#[derive(Template)]
#[template(path = "admin_tariff.html")]
struct TariffPage {
    chrome: Chrome,
    country: String,
    currency: String,
    /// The version the form was read from (sent back in a hidden field).
    version: i64,
    saved: bool,
    /// Someone saved another version meanwhile: what to tell the admin.
    conflict: Option<Problem>,
    problems: Vec<Problem>,
    carrier: Cell,
    steps_error: Option<Problem>,
    rows: Vec<StepRow>,
    fees_error: Option<Problem>,
    fees: Vec<FeeRow>,
    vat: Cell,
    history: Vec<HistoryRow>,
}

/// `120` → `1.20`. Tariff prices are never negative.
fn major(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

/// `810` → `8.1`, `2100` → `21`, `775` → `7.75`.
fn percent(bp: u32) -> String {
    let text = format!("{}.{:02}", bp / 100, bp % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn chrome(s: &SignedIn, path: &str) -> Chrome {
    Chrome::signed_in(s, "admin", path)
}

pub async fn list_page(State(st): State<AppState>, s: SignedIn) -> Response {
    let when = s.when();
    let list = match st.app.tariffs(&s.actor).await {
        Ok(l) => l,
        Err(e) => return fail_in(chrome(&s, "/admin/tariffs"), e),
    };
    let page = TariffsPage {
        carriers: list
            .into_iter()
            .map(|t| CarrierRow {
                country: t.table.country().to_string(),
                carrier: t.table.carrier().to_string(),
                currency: t.table.currency().to_string(),
                vat: percent(t.table.vat_rate_bp()),
                version: t.version,
                updated: when.at(t.updated_at),
                updated_by: t.updated_by,
            })
            .collect(),
        chrome: chrome(&s, "/admin/tariffs"),
    };
    render(&page)
}

/// The form's values, as typed.
struct Typed {
    version: String,
    carrier: String,
    rows: Vec<[String; 5]>,
    removed: Vec<bool>,
    fees: [String; 5],
    vat: String,
}

const FEE_FIELDS: [(&str, &str); 5] = [
    ("per_letter", "tariffs.per_letter"),
    ("per_sheet_bw", "tariffs.per_sheet_bw"),
    ("per_sheet_colour", "tariffs.per_sheet_colour"),
    ("registered", "tariffs.registered"),
    ("acknowledgement_of_receipt", "tariffs.ar"),
];

fn typed_of(t: &TariffRecord) -> Typed {
    let f = t.table.fees();
    Typed {
        version: t.version.to_string(),
        carrier: t.table.carrier().to_string(),
        rows: t
            .table
            .steps()
            .iter()
            .map(|s| {
                [
                    s.up_to_grams.to_string(),
                    major(s.priority),
                    major(s.standard),
                    major(s.international_europe),
                    major(s.international_world),
                ]
            })
            .collect(),
        removed: vec![false; t.table.steps().len()],
        fees: [
            f.per_letter,
            f.per_sheet_bw,
            f.per_sheet_colour,
            f.registered,
            f.acknowledgement_of_receipt,
        ]
        .map(major),
        vat: percent(t.table.vat_rate_bp()),
    }
}

fn row_name(i: usize, what: &str) -> String {
    format!("s{i}_{what}")
}

/// Errors found while reading the form, by input name.
type FieldErrors = Vec<(String, Problem)>;

/// Reads the typed form into an edit, or the errors of every field at fault.
fn read_edit(l: L, t: &Typed) -> Result<TariffEdit, FieldErrors> {
    let mut errors: FieldErrors = Vec::new();
    let price = |errors: &mut FieldErrors, name: String, raw: &str| match parse_price("price", raw)
    {
        Ok(v) => v,
        Err(e) => {
            errors.push((name, problem(l, &e.code, &e.message)));
            0
        }
    };
    let mut steps = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        if t.removed.get(i).copied().unwrap_or(false) || row.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let [grams, p, s, e, w] = row;
        let priority = price(&mut errors, row_name(i, "priority"), p);
        let standard = price(&mut errors, row_name(i, "standard"), s);
        let europe = price(&mut errors, row_name(i, "europe"), e);
        let world = price(&mut errors, row_name(i, "world"), w);
        let up_to_grams = grams.trim().parse::<u32>().ok().filter(|g| *g > 0);
        match up_to_grams {
            Some(g) => steps.push(WeightStep::new(g, priority, standard, europe, world)),
            None => errors.push((
                row_name(i, "grams"),
                problem(
                    l,
                    "tariff.weight_invalid",
                    &format!("'{}' is not a weight in whole grams above 0", grams.trim()),
                ),
            )),
        }
    }
    // Rows are taken in weight order, so a step added in the blank row at
    // the bottom slots in where it belongs.
    steps.sort_by_key(|s| s.up_to_grams);
    let [a, b, c, d, e] = &t.fees;
    let fees = ServiceFees {
        per_letter: price(&mut errors, "per_letter".into(), a),
        per_sheet_bw: price(&mut errors, "per_sheet_bw".into(), b),
        per_sheet_colour: price(&mut errors, "per_sheet_colour".into(), c),
        registered: price(&mut errors, "registered".into(), d),
        acknowledgement_of_receipt: price(&mut errors, "acknowledgement_of_receipt".into(), e),
    };
    let vat_rate_bp = match parse_vat_percent(&t.vat) {
        Ok(v) => v,
        Err(e) => {
            errors.push(("vat_rate".into(), problem(l, &e.code, &e.message)));
            0
        }
    };
    if errors.is_empty() {
        Ok(TariffEdit {
            carrier: t.carrier.clone(),
            steps,
            fees,
            vat_rate_bp,
        })
    } else {
        Err(errors)
    }
}

/// Everything the edit page shows besides the form's values.
struct Outcome {
    status: StatusCode,
    saved: bool,
    conflict: Option<Problem>,
    errors: FieldErrors,
}

fn tariff_page(
    s: &SignedIn,
    current: &TariffRecord,
    history: Vec<TariffRecord>,
    typed: Typed,
    version: i64,
    outcome: Outcome,
) -> Response {
    let when = s.when();
    let country = current.table.country().to_string();
    let path = format!("/admin/tariffs/{country}");
    let chrome = chrome(s, &path);
    let mut errors = outcome.errors;
    let mut take = |name: &str| {
        errors
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| errors.remove(i).1)
    };
    let mut cell = |name: String, value: String| Cell {
        error: take(&name),
        name,
        value,
    };
    let carrier = cell("carrier".into(), typed.carrier);
    // The rows as typed (errors name them by their index in the form), then
    // a blank row to add a step when the last one is not blank already.
    let mut typed_rows: Vec<([String; 5], bool)> = typed
        .rows
        .into_iter()
        .zip(typed.removed.into_iter().chain(std::iter::repeat(false)))
        .collect();
    if typed_rows
        .last()
        .is_none_or(|(r, _)| !r.iter().all(|v| v.trim().is_empty()))
    {
        typed_rows.push((Default::default(), false));
    }
    let mut step_rows = Vec::new();
    for (i, ([g, p, st, e, w], removed)) in typed_rows.into_iter().enumerate() {
        step_rows.push(StepRow {
            grams: cell(row_name(i, "grams"), g),
            prices: [
                cell(row_name(i, "priority"), p),
                cell(row_name(i, "standard"), st),
                cell(row_name(i, "europe"), e),
                cell(row_name(i, "world"), w),
            ],
            remove_name: row_name(i, "remove"),
            removed,
        });
    }
    let fees = FEE_FIELDS
        .iter()
        .zip(typed.fees)
        .map(|((name, label), value)| FeeRow {
            label,
            cell: cell((*name).to_string(), value),
        })
        .collect();
    let vat = cell("vat_rate".into(), typed.vat);
    let steps_error = take("steps");
    let fees_error = take("fees");
    // Whatever has no place of its own is listed at the top.
    let problems = errors.into_iter().map(|(_, p)| p).collect();
    let page = TariffPage {
        country,
        currency: current.table.currency().to_string(),
        version,
        saved: outcome.saved,
        conflict: outcome.conflict,
        problems,
        carrier,
        steps_error,
        rows: step_rows,
        fees_error,
        fees,
        vat,
        history: history.iter().map(|t| history_row(&when, t)).collect(),
        chrome,
    };
    (outcome.status, render(&page)).into_response()
}

fn history_row(when: &When, t: &TariffRecord) -> HistoryRow {
    let f = t.table.fees();
    HistoryRow {
        version: t.version,
        updated: when.at(t.updated_at),
        updated_by: t.updated_by.clone(),
        carrier: t.table.carrier().to_string(),
        vat: percent(t.table.vat_rate_bp()),
        steps: t
            .table
            .steps()
            .iter()
            .map(|s| {
                format!(
                    "{} g: {} / {} / {} / {}",
                    s.up_to_grams,
                    major(s.priority),
                    major(s.standard),
                    major(s.international_europe),
                    major(s.international_world)
                )
            })
            .collect::<Vec<_>>()
            .join(" · "),
        fees: [
            f.per_letter,
            f.per_sheet_bw,
            f.per_sheet_colour,
            f.registered,
            f.acknowledgement_of_receipt,
        ]
        .map(major)
        .join(" / "),
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// The table and its history, or the page that says why not.
async fn load(
    st: &AppState,
    s: &SignedIn,
    country: &str,
) -> Result<(TariffRecord, Vec<TariffRecord>), Response> {
    let path = format!("/admin/tariffs/{}", country.to_ascii_uppercase());
    let current = st
        .app
        .tariff(&s.actor, country)
        .await
        .map_err(|e| fail_in(chrome(s, &path), e))?;
    let history = st
        .app
        .tariff_history(&s.actor, country)
        .await
        .map_err(|e| fail_in(chrome(s, &path), e))?;
    Ok((current, history))
}

pub async fn edit_page(
    State(st): State<AppState>,
    s: SignedIn,
    Path(country): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let (current, history) = match load(&st, &s, &country).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let typed = typed_of(&current);
    let version = current.version;
    tariff_page(
        &s,
        &current,
        history,
        typed,
        version,
        Outcome {
            status: StatusCode::OK,
            saved: q.saved.is_some(),
            conflict: None,
            errors: Vec::new(),
        },
    )
}

/// The field of the form that shows a refusal of the domain's checks.
fn field_of(i: &Invalid) -> &'static str {
    match i.field {
        "carrier" | "steps" | "fees" | "vat_rate" => i.field,
        _ => "form",
    }
}

pub async fn save(
    State(st): State<AppState>,
    s: SignedIn,
    Path(country): Path<String>,
    CsrfForm(pairs): CsrfForm<Fields>,
) -> Response {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (current, history) = match load(&st, &s, &country).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let count = field("rows")
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_ROWS);
    let typed = Typed {
        version: field("version"),
        carrier: field("carrier"),
        rows: (0..count)
            .map(|i| {
                [
                    field(&row_name(i, "grams")),
                    field(&row_name(i, "priority")),
                    field(&row_name(i, "standard")),
                    field(&row_name(i, "europe")),
                    field(&row_name(i, "world")),
                ]
            })
            .collect(),
        removed: (0..count)
            .map(|i| matches!(field(&row_name(i, "remove")).as_str(), "on" | "1" | "true"))
            .collect(),
        fees: FEE_FIELDS.map(|(name, _)| field(name)),
        vat: field("vat_rate"),
    };
    let l = L(s.locale);
    // A form without a readable version cannot say what it was based on:
    // it is treated as stale, so it never overwrites a version unseen.
    let expected = typed.version.trim().parse::<i64>().unwrap_or(0);
    let refused =
        |typed: Typed, status: StatusCode, errors: FieldErrors, conflict: Option<Problem>| {
            tariff_page(
                &s,
                &current,
                history.clone(),
                typed,
                if conflict.is_some() {
                    current.version
                } else {
                    expected
                },
                Outcome {
                    status,
                    saved: false,
                    conflict,
                    errors,
                },
            )
        };
    let edit = match read_edit(l, &typed) {
        Ok(edit) => edit,
        Err(errors) => return refused(typed, StatusCode::UNPROCESSABLE_ENTITY, errors, None),
    };
    match st
        .app
        .update_tariff(&s.actor, &country, expected, edit)
        .await
    {
        Ok(saved) => Redirect::to(&format!(
            "/admin/tariffs/{}?saved={}",
            saved.table.country(),
            saved.version
        ))
        .into_response(),
        Err(AppError::Conflict(code)) => {
            let message = format!(
                "{} ({} {})",
                l.t("tariffs.conflict"),
                l.t("tariffs.version"),
                current.version
            );
            let conflict = Problem {
                code: code.to_string(),
                message,
            };
            refused(typed, StatusCode::CONFLICT, Vec::new(), Some(conflict))
        }
        Err(AppError::Invalid(i)) => {
            let errors = vec![(field_of(&i).to_string(), problem(l, &i.code, &i.message))];
            refused(typed, StatusCode::UNPROCESSABLE_ENTITY, errors, None)
        }
        Err(e) => fail_in(chrome(&s, &format!("/admin/tariffs/{country}")), e),
    }
}
