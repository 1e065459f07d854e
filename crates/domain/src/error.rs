//! The one error a parser in this crate returns: which field broke which rule.

use crate::Code;

/// A value was refused. `code` is stable and documented (for example
/// `email.invalid`); `field` names the input that carried it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message} ({code})")]
pub struct Invalid {
    pub field: &'static str,
    pub code: Code,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, code: Code, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}
