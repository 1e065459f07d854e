//! Which column feeds which template field.
//!
//! [`Mapping::auto`] pairs fields with columns whose names match ignoring
//! case, spaces, `_`, `-` and `.` ("Post Code" = "postcode" = "POST_CODE"),
//! then, for the fields of the default template, common German, French,
//! Italian, Dutch and English column names ("PLZ", "NPA", "Ort", "Ville", …).
//! [`Mapping::set`] overrides a pair. [`Mapping::validate`] turns a table into
//! template inputs, one [`MappedRow`] per row, and reports each row whose
//! required field is empty as `merge.field_missing`.

use courrier_domain::codes;
use std::collections::BTreeMap;

use courrier_domain::Invalid;

use crate::rows::{Row, RowError, Table};

/// A template field and whether a letter can go without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub required: bool,
}

impl Field {
    pub fn required(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            required: true,
        }
    }

    pub fn optional(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            required: false,
        }
    }
}

/// The fields of [`crate::render::DEFAULT_TEMPLATE`]. `country` is optional
/// (blank for domestic letters), and so is `subject`.
pub fn default_fields() -> Vec<Field> {
    vec![
        Field::required("name"),
        Field::required("street"),
        Field::required("postcode"),
        Field::required("city"),
        Field::optional("country"),
        Field::optional("subject"),
        Field::required("body"),
    ]
}

/// The fields a Typst template reads from `sys.inputs`: `sys.inputs.NAME` is
/// required, `sys.inputs.at("NAME", default: …)` optional. A heuristic scan
/// of the text, in order of first use; a field both ways is required.
pub fn fields_from_template(template: &str) -> Vec<Field> {
    const PREFIX: &str = "sys.inputs";
    let mut fields: Vec<Field> = Vec::new();
    let mut add = |name: &str, required: bool| {
        if name.is_empty() {
            return;
        }
        match fields.iter_mut().find(|f| f.name == name) {
            Some(f) => f.required |= required,
            None => fields.push(Field {
                name: name.to_owned(),
                required,
            }),
        }
    };
    let mut rest = template;
    while let Some(at) = rest.find(PREFIX) {
        rest = rest.get(at + PREFIX.len()..).unwrap_or_default();
        if let Some(after) = rest.strip_prefix(".at(\"") {
            let name: String = after.chars().take_while(|&c| c != '"').collect();
            let tail = after.get(name.len()..).unwrap_or_default();
            let call: String = tail.chars().take_while(|&c| c != ')').collect();
            add(&name, !call.contains("default"));
        } else if let Some(after) = rest.strip_prefix('.') {
            let name: String = after
                .chars()
                .take_while(|&c| c.is_alphanumeric() || c == '_' || c == '-')
                .collect();
            if name != "at" {
                add(&name, true);
            }
        }
    }
    fields
}

/// A column or field name reduced for comparison: lower case, without
/// whitespace, `_`, `-` and `.`.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Other names for the default template's fields, already normalized.
fn aliases(field: &str) -> &'static [&'static str] {
    match field {
        "name" => &[
            "recipient",
            "fullname",
            "empfänger",
            "empfaenger",
            "nom",
            "nomcomplet",
            "destinataire",
            "nome",
            "destinatario",
            "naam",
            "ontvanger",
        ],
        "street" => &[
            "address",
            "addressline1",
            "strasse",
            "straße",
            "adresse",
            "rue",
            "via",
            "indirizzo",
            "straat",
        ],
        "postcode" => &[
            "zip",
            "zipcode",
            "postalcode",
            "plz",
            "postleitzahl",
            "npa",
            "codepostal",
            "cp",
            "cap",
        ],
        "city" => &[
            "town",
            "ort",
            "stadt",
            "wohnort",
            "ville",
            "localité",
            "localite",
            "località",
            "localita",
            "città",
            "citta",
            "plaats",
            "woonplaats",
        ],
        "country" => &["land", "pays", "paese", "nazione", "staat"],
        "subject" => &["betreff", "objet", "oggetto", "onderwerp"],
        "body" => &[
            "text",
            "message",
            "brieftext",
            "nachricht",
            "corps",
            "testo",
        ],
        _ => &[],
    }
}

/// Pairs of template field and column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    entries: Vec<(Field, Option<String>)>,
}

/// One row made ready for the template: every field of the mapping has a value
/// (empty when unmapped or blank), trimmed, line breaks as `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRow {
    /// The source row number (the header is row 1).
    pub row: usize,
    /// Field name → value; pass this as the template's `sys.inputs`.
    pub values: BTreeMap<String, String>,
    /// Why this row cannot become a letter; empty when it can.
    pub errors: Vec<RowError>,
}

impl MappedRow {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The outcome of [`Mapping::validate`]: good rows and the errors of the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validated {
    pub rows: Vec<MappedRow>,
    pub errors: Vec<RowError>,
}

const FIELD: &str = "mapping";

impl Mapping {
    /// Pair each field with a column of the same normalized name, else with a
    /// column carrying one of the field's usual other names. A column feeds at
    /// most one field.
    pub fn auto(fields: &[Field], columns: &[String]) -> Self {
        let normalized: Vec<String> = columns.iter().map(|c| normalize(c)).collect();
        let mut used = vec![false; columns.len()];
        let mut entries: Vec<(Field, Option<String>)> =
            fields.iter().map(|f| (f.clone(), None)).collect();
        // Exact names first, so an alias never takes a column that another
        // field matches by name.
        for pass in 0..2 {
            for (field, column) in entries.iter_mut().filter(|(_, c)| c.is_none()) {
                let wanted = normalize(&field.name);
                let hit = normalized.iter().enumerate().position(|(i, n)| {
                    !used.get(i).copied().unwrap_or(true)
                        && if pass == 0 {
                            *n == wanted
                        } else {
                            aliases(&wanted).contains(&n.as_str())
                        }
                });
                if let Some(i) = hit {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    *column = columns.get(i).cloned();
                }
            }
        }
        Self { entries }
    }

    /// Map `field` to `column` (one of `columns`), or unmap it with `None`.
    pub fn set(
        &mut self,
        field: &str,
        column: Option<&str>,
        columns: &[String],
    ) -> Result<(), Invalid> {
        let entry = self
            .entries
            .iter_mut()
            .find(|(f, _)| f.name == field)
            .ok_or_else(|| {
                Invalid::new(
                    FIELD,
                    codes::MERGE_UNKNOWN_FIELD,
                    format!("the template has no field \"{field}\""),
                )
            })?;
        match column {
            None => entry.1 = None,
            Some(column) => {
                if !columns.iter().any(|c| c == column) {
                    return Err(Invalid::new(
                        FIELD,
                        codes::MERGE_UNKNOWN_COLUMN,
                        format!("the file has no column \"{column}\""),
                    ));
                }
                entry.1 = Some(column.to_owned());
            }
        }
        Ok(())
    }

    /// The column feeding `field`, if any.
    pub fn column_for(&self, field: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(f, _)| f.name == field)
            .and_then(|(_, c)| c.as_deref())
    }

    /// Fields and their columns, in the order the fields were given.
    pub fn entries(&self) -> impl Iterator<Item = (&Field, Option<&str>)> {
        self.entries.iter().map(|(f, c)| (f, c.as_deref()))
    }

    /// Required fields that no column feeds.
    pub fn unmapped_required(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(f, c)| f.required && c.is_none())
            .map(|(f, _)| f.name.as_str())
            .collect()
    }

    /// Column index per entry; a mapped column missing from `table` is an
    /// error (a mapping saved for another file).
    fn resolve(&self, table: &Table) -> Result<Vec<Option<usize>>, Invalid> {
        self.entries
            .iter()
            .map(|(_, column)| match column {
                None => Ok(None),
                Some(name) => table.column_index(name).map(Some).ok_or_else(|| {
                    Invalid::new(
                        FIELD,
                        codes::MERGE_UNKNOWN_COLUMN,
                        format!("the file has no column \"{name}\""),
                    )
                }),
            })
            .collect()
    }

    fn apply(&self, indices: &[Option<usize>], row: &Row) -> MappedRow {
        let mut values = BTreeMap::new();
        let mut errors = Vec::new();
        for ((field, column), index) in self.entries.iter().zip(indices) {
            let value = index
                .and_then(|i| row.values.get(i))
                .map(|v| v.trim().replace("\r\n", "\n").replace('\r', "\n"))
                .unwrap_or_default();
            if field.required && value.is_empty() {
                let message = match column {
                    Some(column) => format!(
                        "the required field \"{}\" is empty (column \"{column}\")",
                        field.name
                    ),
                    None => format!(
                        "the required field \"{}\" has no column mapped to it",
                        field.name
                    ),
                };
                errors.push(RowError {
                    row: row.number,
                    field: Some(field.name.clone()),
                    code: codes::MERGE_FIELD_MISSING,
                    message,
                });
            }
            values.insert(field.name.clone(), value);
        }
        MappedRow {
            row: row.number,
            values,
            errors,
        }
    }

    /// The first `n` rows as the template would get them, with their problems;
    /// works on an incomplete mapping (unmapped required fields show as
    /// `merge.field_missing`).
    pub fn preview(&self, table: &Table, n: usize) -> Result<Vec<MappedRow>, Invalid> {
        let indices = self.resolve(table)?;
        Ok(table
            .rows
            .iter()
            .take(n)
            .map(|row| self.apply(&indices, row))
            .collect())
    }

    /// Every row mapped: the good ones in `rows`, one error per empty required
    /// field of the others in `errors`. Refused as a whole when a required
    /// field has no column (`merge.field_unmapped`).
    pub fn validate(&self, table: &Table) -> Result<Validated, Invalid> {
        let unmapped = self.unmapped_required();
        if !unmapped.is_empty() {
            return Err(Invalid::new(
                FIELD,
                codes::MERGE_FIELD_UNMAPPED,
                format!(
                    "no column is mapped to the required field(s) {}",
                    unmapped.join(", ")
                ),
            ));
        }
        let indices = self.resolve(table)?;
        let mut out = Validated::default();
        for row in &table.rows {
            let mut mapped = self.apply(&indices, row);
            if mapped.is_ok() {
                out.rows.push(mapped);
            } else {
                out.errors.append(&mut mapped.errors);
            }
        }
        Ok(out)
    }
}
