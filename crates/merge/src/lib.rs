//! Mail merge: address rows from CSV, XLSX or ODS ([`rows`]), template fields
//! mapped to columns ([`mapping`]), and Typst letter templates rendered to PDF
//! in the process ([`render`]).
//!
//! ```text
//! bytes ──read_rows──▶ Table ──Mapping::validate──▶ MappedRow (sys.inputs) ──Renderer::render──▶ PDF
//!           │                       │                                            │
//!           └ RowError per bad row  └ RowError merge.field_missing               └ Invalid merge.template_error
//! ```

pub mod mapping;
#[cfg(feature = "render")]
pub mod render;
pub mod rows;
#[cfg(feature = "render")]
pub mod worker;

pub use mapping::{Field, MappedRow, Mapping, Validated, default_fields, fields_from_template};
#[cfg(feature = "render")]
pub use render::{DEFAULT_TEMPLATE, Renderer, Template, TemplateError, Today};
pub use rows::{
    Format, Limits, Parsed, Row, RowError, Table, TextEncoding, read_csv, read_rows,
    read_spreadsheet,
};
