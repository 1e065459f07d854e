//! E-mail addresses, normalised to lower case so that logins and invitations
//! match however a person typed them.

use crate::codes;

use crate::Invalid;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_lowercase();
        let bad = |why: &str| Invalid::new("email", codes::EMAIL_INVALID, format!("'{raw}' {why}"));
        if s.len() > 254 {
            return Err(bad("is longer than 254 characters"));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(bad("has no @"));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(bad("is not of the form name@domain"));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad("has no valid domain"));
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        {
            return Err(bad("contains characters not allowed in an address"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_rejects() {
        assert_eq!(
            EmailAddress::parse(" Anna@Example.CH ").unwrap().as_str(),
            "anna@example.ch"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.ch",
            "anna@example",
            "a b@example.ch",
            "a@b@c.ch",
        ] {
            assert_eq!(
                EmailAddress::parse(bad).unwrap_err().code,
                "email.invalid",
                "{bad}"
            );
        }
    }
}
