//! Courrier's documents: checking an uploaded letter PDF at intake, and
//! reading the recipient's address from its envelope window zone, in process
//! and fast enough for bulk runs (parse once, read fonts once per document).
//!
//! - [`inspect`]: size, readability, encryption, A4 portrait pages, active
//!   content, embedded files, XFA, font embedding ([`inspect_pdf`]).
//! - [`text`]: positioned text of a page from its content stream.
//! - [`window`]: window standards, the lines inside a window, the clear zone.
//! - [`address`]: window lines to a [`PostalAddress`], with country names in
//!   four languages ([`countries`]) and postcode rules.
//!
//! Every check reports a [`Finding`] with a stable code. Nothing here does
//! I/O beyond reading the bytes it is given.

pub mod address;
pub mod countries;
mod countries_table;
pub mod finding;
mod font_tables;
mod fonts;
pub mod inspect;
mod objects;
pub mod page;
pub mod text;
pub mod window;

pub use address::PostalAddress;
pub use countries::{CountryCode, country_from_name};
pub use finding::{Finding, Severity};
pub use inspect::{IntakeLimits, PageInfo, PdfReport, inspect_document, inspect_pdf, load_pdf};
pub use lopdf;
pub use page::{PageGeometry, Rect};
pub use text::{PageText, TextReader, TextRun};
pub use window::{WindowLine, WindowStandard, WindowText, WindowZone, clear_zone_is_empty, read_window, read_window_in};

/// Sample letter PDFs for demos, benchmarks and tests.
pub mod sample;
