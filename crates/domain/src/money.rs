//! Money as integer minor units with an ISO 4217 currency, never floats.

use crate::codes;

use crate::Invalid;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const CHF: Currency = Currency(*b"CHF");
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let up = s.trim().to_ascii_uppercase();
        match <[u8; 3]>::try_from(up.as_bytes()) {
            Ok(code) if code.iter().all(u8::is_ascii_uppercase) => Ok(Self(code)),
            _ => Err(Invalid::new(
                "currency",
                codes::CURRENCY_INVALID,
                format!("'{s}' is not a three-letter currency code"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in minor units (centimes, cents) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflow")]
    Overflow,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }
    pub const fn minor(&self) -> i64 {
        self.minor
    }
    pub const fn currency(&self) -> Currency {
        self.currency
    }
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }
    pub fn times(self, n: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(n).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{} {sign}{}.{:02}", self.currency, abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_within_one_currency_only() {
        let a = Money::new(80, Currency::CHF);
        let b = Money::new(250, Currency::CHF);
        assert_eq!(a.checked_add(b).unwrap().minor(), 330);
        assert_eq!(a.times(3).unwrap().to_string(), "CHF 2.40");
        assert!(matches!(
            a.checked_add(Money::new(1, Currency::EUR)),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(Money::new(-5, Currency::EUR).to_string(), "EUR -0.05");
        assert_eq!(Currency::parse("chf").unwrap(), Currency::CHF);
        assert!(Currency::parse("CH").is_err());
    }
}
