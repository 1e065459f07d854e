//! Row files: CSV, XLSX and ODS (told apart by their first bytes, as an
//! upload is).
//!
//! Invariants: the limits hold (rows, columns); every row has one value per
//! column; row numbers (the header is row 1) increase and are after the
//! header; good rows and bad rows never share a number.
#![no_main]

use std::collections::HashSet;

use courrier_merge::{Limits, read_rows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_rows: 500,
        max_bytes: 1024 * 1024,
        max_columns: 50,
        max_unpacked_bytes: 8 * 1024 * 1024,
        max_cells: 25_000,
    };
    let Ok(parsed) = read_rows(data, &limits) else {
        return;
    };
    let table = &parsed.table;
    assert!(table.columns.len() <= limits.max_columns);
    assert!(!table.columns.is_empty(), "a table without columns");
    assert!(table.rows.len() <= limits.max_rows);
    for row in &table.rows {
        assert_eq!(row.values.len(), table.columns.len(), "row {}", row.number);
        assert!(row.number >= 2, "a data row numbered {}", row.number);
    }
    assert!(
        table.rows.windows(2).all(|w| w[0].number < w[1].number),
        "row numbers out of order"
    );
    let good: HashSet<usize> = table.rows.iter().map(|r| r.number).collect();
    for error in &parsed.errors {
        assert!(error.row >= 1, "an error on row {}", error.row);
        assert!(
            !good.contains(&error.row),
            "row {} both read and refused",
            error.row
        );
        assert!(error.code.starts_with("rows."), "code {}", error.code);
    }
});
