//! What a check found about a document: a stable code, whether it blocks the
//! letter, a message that tells the sender what to do, and the page when one
//! page is to blame. Every check in this crate reports through [`Finding`], so
//! the intake screen, the API and a bulk run's error report speak alike.

use courrier_domain::{Code, Invalid};
use std::fmt;

/// Whether a finding stops the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The letter cannot be accepted as it is.
    Error,
    /// The letter can go, but the sender should know (for example a font that
    /// is not embedded and will be substituted when printing).
    Warning,
}

/// One result of a check. `code` is stable and documented (`pdf.not_a4`,
/// `address.postcode_invalid`, ...); `message` is for people; `page` is
/// 1-based, and a message about one page names it too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub page: Option<u32>,
}

impl Finding {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            page: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Warning,
            message: message.into(),
            page: None,
        }
    }

    /// The same finding, attributed to a 1-based page.
    #[must_use]
    pub fn on_page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The domain's error shape, for callers that report `Invalid`. The page,
    /// when there is one, is already part of the message.
    pub fn to_invalid(&self) -> Invalid {
        let field = if self.code.starts_with("address.") || self.code.starts_with("letter.") {
            "address"
        } else {
            "document"
        };
        Invalid::new(field, self.code, self.message.clone())
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl From<Finding> for Invalid {
    fn from(finding: Finding) -> Self {
        finding.to_invalid()
    }
}
