//! Signing up at a mail-center location (the iPostal1 model): the plan
//! chosen with its period, the identity documents a member uploads, and the
//! billing periods of a plan.
//!
//! Stable codes: `signup.plan_invalid`, `signup.price_invalid`,
//! `signup.document_kind_invalid`, `signup.document_side_invalid`.

use crate::codes;

use crate::{Invalid, Timestamp};
use std::fmt;

/// How often a plan is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plan {
    Monthly,
    Yearly,
}

impl Plan {
    pub const ALL: [Plan; 2] = [Plan::Monthly, Plan::Yearly];

    pub const fn as_str(self) -> &'static str {
        match self {
            Plan::Monthly => "monthly",
            Plan::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Plan::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "plan",
                    codes::SIGNUP_PLAN_INVALID,
                    format!("'{s}' is not monthly or yearly"),
                )
            })
    }

    /// Calendar months in one period.
    pub const fn months(self) -> i32 {
        match self {
            Plan::Monthly => 1,
            Plan::Yearly => 12,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The highest plan price a location may set, in minor units (100 000.00).
pub const MAX_PLAN_MINOR: i64 = 10_000_000;

/// A plan price in minor units: 0 to [`MAX_PLAN_MINOR`].
pub fn check_plan_price(field: &'static str, minor: i64) -> Result<i64, Invalid> {
    if (0..=MAX_PLAN_MINOR).contains(&minor) {
        Ok(minor)
    } else {
        Err(Invalid::new(
            field,
            codes::SIGNUP_PRICE_INVALID,
            "a plan price is between 0 and 100000.00",
        ))
    }
}

/// Parses a price typed by a person: `19`, `19.9`, `19.90` or `19,90`.
pub fn parse_price(field: &'static str, raw: &str) -> Result<i64, Invalid> {
    let bad = || {
        Invalid::new(
            field,
            codes::SIGNUP_PRICE_INVALID,
            format!("'{raw}' is not an amount like 19.90"),
        )
    };
    let s = raw.trim().replace(',', ".");
    let (units, cents) = match s.split_once('.') {
        Some((u, c)) => (u.to_string(), c.to_string()),
        None => (s.clone(), String::new()),
    };
    if units.is_empty()
        || units.len() > 7
        || !units.bytes().all(|b| b.is_ascii_digit())
        || cents.len() > 2
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let units: i64 = units.parse().map_err(|_| bad())?;
    let cents: i64 = match cents.len() {
        0 => 0,
        1 => cents.parse::<i64>().map_err(|_| bad())? * 10,
        _ => cents.parse().map_err(|_| bad())?,
    };
    check_plan_price(field, units * 100 + cents)
}

/// What a member's identity document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityDocumentKind {
    IdCard,
    Passport,
    ResidencePermit,
    /// A commercial-register extract, for a company.
    RegisterExtract,
    Other,
}

impl IdentityDocumentKind {
    pub const ALL: [IdentityDocumentKind; 5] = [
        IdentityDocumentKind::IdCard,
        IdentityDocumentKind::Passport,
        IdentityDocumentKind::ResidencePermit,
        IdentityDocumentKind::RegisterExtract,
        IdentityDocumentKind::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            IdentityDocumentKind::IdCard => "id_card",
            IdentityDocumentKind::Passport => "passport",
            IdentityDocumentKind::ResidencePermit => "residence_permit",
            IdentityDocumentKind::RegisterExtract => "register_extract",
            IdentityDocumentKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        IdentityDocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "kind",
                    codes::SIGNUP_DOCUMENT_KIND_INVALID,
                    format!("'{s}' is not a kind of identity document"),
                )
            })
    }

    /// The kinds a person (`company == false`) or a company may upload.
    pub fn allowed_for(self, company: bool) -> bool {
        match self {
            IdentityDocumentKind::IdCard
            | IdentityDocumentKind::Passport
            | IdentityDocumentKind::ResidencePermit => !company,
            IdentityDocumentKind::RegisterExtract => company,
            IdentityDocumentKind::Other => true,
        }
    }

    /// Cards have a front and a back; other documents are one file.
    pub const fn has_sides(self) -> bool {
        matches!(
            self,
            IdentityDocumentKind::IdCard | IdentityDocumentKind::ResidencePermit
        )
    }
}

impl fmt::Display for IdentityDocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which side of a card a file shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentSide {
    Front,
    Back,
    /// The whole document in one file.
    Single,
}

impl DocumentSide {
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentSide::Front => "front",
            DocumentSide::Back => "back",
            DocumentSide::Single => "single",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "front" => Ok(DocumentSide::Front),
            "back" => Ok(DocumentSide::Back),
            "single" | "" => Ok(DocumentSide::Single),
            _ => Err(Invalid::new(
                "side",
                codes::SIGNUP_DOCUMENT_SIDE_INVALID,
                format!("'{s}' is not front, back or single"),
            )),
        }
    }
}

/// Checks a document's kind and side for a member: a person uploads an ID
/// card, passport or residence permit (cards front or back), a company a
/// commercial-register extract; both may add "other".
pub fn check_identity_document(
    kind: IdentityDocumentKind,
    side: DocumentSide,
    company: bool,
) -> Result<(), Invalid> {
    if !kind.allowed_for(company) {
        return Err(Invalid::new(
            "kind",
            codes::SIGNUP_DOCUMENT_KIND_INVALID,
            if company {
                "a company uploads a commercial-register extract (or another document)"
            } else {
                "a person uploads an ID card, a passport or a residence permit (or another document)"
            },
        ));
    }
    if kind.has_sides() == (side == DocumentSide::Single) {
        return Err(Invalid::new(
            "side",
            codes::SIGNUP_DOCUMENT_SIDE_INVALID,
            if kind.has_sides() {
                "choose the front or the back of the card"
            } else {
                "this document is one file, without sides"
            },
        ));
    }
    Ok(())
}

/// The reminder due now for a customer who has not finished, counted from
/// `started_at` (sign-up or the last send-back): the number (1 to `count`)
/// of the latest reminder whose time has come, or `None` before the first.
/// A reminder missed while the upkeep did not run is skipped, never sent
/// late in a burst.
pub fn reminder_due(
    started_at: Timestamp,
    now: Timestamp,
    interval_days: u32,
    count: u32,
) -> Option<u32> {
    let interval_ms = i64::from(interval_days) * 86_400_000;
    if interval_ms == 0 {
        return None;
    }
    let elapsed = now.millis() - started_at.millis();
    let n = elapsed.div_euclid(interval_ms);
    if n < 1 {
        return None;
    }
    Some(u32::try_from(n.min(i64::from(count))).unwrap_or(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_millis(1_772_442_000_000);
    const DAY: i64 = 86_400;

    #[test]
    fn plans_and_prices_parse() {
        assert_eq!(Plan::parse("yearly").unwrap(), Plan::Yearly);
        assert_eq!(
            Plan::parse("weekly").unwrap_err().code,
            "signup.plan_invalid"
        );
        assert_eq!(Plan::Yearly.months(), 12);
        assert_eq!(parse_price("p", "19.90").unwrap(), 1990);
        assert_eq!(parse_price("p", "19,9").unwrap(), 1990);
        assert_eq!(parse_price("p", "190").unwrap(), 19_000);
        for bad in ["", "-1", "1.234", "abc", "1e3", "99999999"] {
            assert_eq!(
                parse_price("p", bad).unwrap_err().code,
                "signup.price_invalid",
                "{bad}"
            );
        }
        assert!(check_plan_price("p", MAX_PLAN_MINOR + 1).is_err());
    }

    #[test]
    fn documents_fit_the_member() {
        use DocumentSide as S;
        use IdentityDocumentKind as K;
        assert!(check_identity_document(K::IdCard, S::Front, false).is_ok());
        assert!(check_identity_document(K::Passport, S::Single, false).is_ok());
        assert!(check_identity_document(K::RegisterExtract, S::Single, true).is_ok());
        assert!(check_identity_document(K::Other, S::Single, true).is_ok());
        assert_eq!(
            check_identity_document(K::Passport, S::Single, true)
                .unwrap_err()
                .code,
            "signup.document_kind_invalid"
        );
        assert_eq!(
            check_identity_document(K::IdCard, S::Single, false)
                .unwrap_err()
                .code,
            "signup.document_side_invalid"
        );
        assert_eq!(
            check_identity_document(K::Passport, S::Back, false)
                .unwrap_err()
                .code,
            "signup.document_side_invalid"
        );
        for k in K::ALL {
            assert_eq!(K::parse(k.as_str()).unwrap(), k);
        }
    }

    #[test]
    fn reminders_on_days_7_14_21_28_then_none() {
        let due = |days: i64| reminder_due(T0, T0.plus_seconds(days * DAY), 7, 4);
        assert_eq!(due(0), None);
        assert_eq!(due(6), None);
        assert_eq!(due(7), Some(1));
        assert_eq!(due(13), Some(1));
        assert_eq!(due(14), Some(2));
        assert_eq!(due(21), Some(3));
        assert_eq!(due(28), Some(4));
        assert_eq!(due(400), Some(4));
        assert_eq!(reminder_due(T0, T0.plus_seconds(-DAY), 7, 4), None);
    }
}
