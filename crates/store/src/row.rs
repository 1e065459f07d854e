//! Reading columns from a fetched row, the same way on both backends.
//!
//! [`RowExt`] is implemented for [`SqliteRow`] and [`PgRow`], so each
//! `*_from_row` mapper is an ordinary function, type-checked once and called
//! from both arms of [`on_pool!`](crate::on_pool). Identifiers are stored as
//! TEXT on both backends, instants as milliseconds (BIGINT / INTEGER).

use crate::{Result, StoreError};
use courrier_domain::{Currency, Money, Timestamp};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Postgres, Row, Sqlite, Type};
use std::fmt::Display;
use std::str::FromStr;

/// A Rust type both backends can decode a column into.
pub(crate) trait Column:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Column for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// Maps what a parser refused to corrupt stored data.
pub(crate) fn corrupt(e: impl Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Parses a stored identifier.
pub(crate) fn parse_id<T: FromStr>(s: String) -> Result<T> {
    s.parse::<T>()
        .map_err(|_| StoreError::Corrupt(format!("identifier '{s}'")))
}

/// Typed column getters shared by the SQLite and PostgreSQL rows.
pub(crate) trait RowExt {
    /// The column `name` decoded as `T` (the one backend-specific method).
    fn col<T: Column>(&self, name: &str) -> Result<T>;

    fn text(&self, name: &str) -> Result<String> {
        self.col(name)
    }

    fn opt_text(&self, name: &str) -> Result<Option<String>> {
        self.col(name)
    }

    fn int(&self, name: &str) -> Result<i64> {
        self.col(name)
    }

    fn flag(&self, name: &str) -> Result<bool> {
        self.col(name)
    }

    fn bytes(&self, name: &str) -> Result<Vec<u8>> {
        self.col(name)
    }

    /// An instant stored as milliseconds.
    fn ts(&self, name: &str) -> Result<Timestamp> {
        Ok(Timestamp::from_millis(self.col(name)?))
    }

    fn opt_ts(&self, name: &str) -> Result<Option<Timestamp>> {
        Ok(self.col::<Option<i64>>(name)?.map(Timestamp::from_millis))
    }

    /// An identifier stored as TEXT.
    fn id<T: FromStr>(&self, name: &str) -> Result<T> {
        parse_id(self.text(name)?)
    }

    fn opt_id<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.opt_text(name)?.map(parse_id).transpose()
    }

    /// A TEXT column read by `parse` (an enum, an address…); what it
    /// refuses is corrupt data.
    fn parsed<T, E: Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T> {
        parse(&self.text(name)?).map_err(corrupt)
    }

    /// An amount in minor units with the currency stored beside it.
    fn money(&self, amount: &str, currency: &str) -> Result<Money> {
        Ok(Money::new(
            self.col(amount)?,
            self.parsed(currency, Currency::parse)?,
        ))
    }
}

impl RowExt for SqliteRow {
    fn col<T: Column>(&self, name: &str) -> Result<T> {
        Ok(self.try_get::<T, _>(name)?)
    }
}

impl RowExt for PgRow {
    fn col<T: Column>(&self, name: &str) -> Result<T> {
        Ok(self.try_get::<T, _>(name)?)
    }
}

impl<R: RowExt> RowExt for &R {
    fn col<T: Column>(&self, name: &str) -> Result<T> {
        (**self).col(name)
    }
}
