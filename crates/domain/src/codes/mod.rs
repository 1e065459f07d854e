//! The one registry of error codes: every stable code a caller can receive
//! (`Invalid`, the store's and the use cases' refusals, the web's own) is a
//! constant here, by area, and listed in [`ALL`]. A code's HTTP status is
//! `courrier-web`'s (`web/src/codes.rs`), its words are `err.<code>` in the
//! `courrier-i18n` catalogues; tests check that every code in [`ALL`] has both.

use std::fmt;

mod accounts;
mod general;
mod letters;
mod mailbox;

pub use accounts::*;
pub use general::*;
pub use letters::*;
pub use mailbox::*;

/// A stable, documented error code such as `item.state_changed`. Only the
/// constants of this module make one, so every code is in [`ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(&'static str);

impl Code {
    /// The code as it goes on the wire.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The code of this text, when it is one of [`ALL`].
    pub fn parse(s: &str) -> Option<Code> {
        ALL.iter().copied().find(|c| c.0 == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::ops::Deref for Code {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl From<Code> for &'static str {
    fn from(c: Code) -> Self {
        c.0
    }
}

impl From<Code> for String {
    fn from(c: Code) -> Self {
        c.0.to_string()
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Code {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.0
    }
}

impl PartialEq<Code> for str {
    fn eq(&self, other: &Code) -> bool {
        self == other.0
    }
}

impl PartialEq<Code> for String {
    fn eq(&self, other: &Code) -> bool {
        self.as_str() == other.0
    }
}

/// Every code, by area then name.
pub const ALL: &[Code] = &[
    accounts::APIKEY_PREFIX_TAKEN,
    accounts::AUTH_2FA_ALREADY_ENABLED,
    accounts::AUTH_2FA_NOT_ENABLED,
    accounts::AUTH_2FA_REQUIRED_BY_ORG,
    accounts::AUTH_BAD_CREDENTIALS,
    accounts::AUTH_BAD_PASSWORD,
    accounts::AUTH_CODE_INVALID,
    accounts::AUTH_FORBIDDEN,
    accounts::AUTH_REQUIRED,
    accounts::AUTH_RESET_LINK_INVALID,
    accounts::AUTH_THROTTLED,
    accounts::CSRF_INVALID,
    accounts::EMAIL_INVALID,
    accounts::ID_INVALID,
    accounts::NAME_INVALID,
    accounts::ORG_EXISTS,
    accounts::ORG_TIME_ZONE_UNKNOWN,
    accounts::ORG_KIND_INVALID,
    accounts::PASSWORD_TOO_LONG,
    accounts::PASSWORD_TOO_SHORT,
    accounts::PERMISSION_NONE,
    accounts::PERMISSION_NOT_HELD,
    accounts::PERMISSION_UNKNOWN,
    accounts::ROLE_ABOVE_ACTOR,
    accounts::ROLE_NOT_FOR_ORG_KIND,
    accounts::ROLE_UNKNOWN,
    accounts::USER_ABOVE_ACTOR,
    accounts::USER_EMAIL_TAKEN,
    accounts::USER_LAST_MANAGER,
    accounts::USER_ROLE_CHANGED,
    general::BENCH_DATABASE_NAME,
    general::CURSOR_INVALID,
    general::IDEMPOTENCY_ANSWER_LOST,
    general::IDEMPOTENCY_IN_PROGRESS,
    general::IDEMPOTENCY_KEY_INVALID,
    general::IDEMPOTENCY_KEY_REUSED,
    general::IDEMPOTENCY_LEASE_LOST,
    general::INPUT_INVALID,
    general::INTERNAL,
    general::JOB_ALREADY_QUEUED,
    general::NOT_FOUND,
    general::PLATFORM_ONLY,
    general::RATE_LIMITED,
    general::REPORT_DATE_INVALID,
    general::REPORT_EXISTS,
    general::REPORT_FREQUENCY_INVALID,
    general::REPORT_NO_SCHEDULE,
    general::REPORT_PERIOD_INVALID,
    general::REPORT_PERIOD_TOO_LONG,
    general::REPORT_SCHEDULE_EXISTS,
    general::REPORT_SCHEDULE_LIMIT,
    general::REQUEST_BODY_UNREADABLE,
    general::REQUEST_MALFORMED,
    general::REQUEST_NOT_JSON,
    general::REQUEST_QUERY_INVALID,
    general::REQUEST_TOO_LARGE,
    general::REQUEST_UNSUPPORTED_MEDIA_TYPE,
    general::WEBHOOK_DATA_INVALID,
    general::WEBHOOK_DESCRIPTION_INVALID,
    general::WEBHOOK_EVENT_UNKNOWN,
    general::WEBHOOK_EVENTS_NONE,
    general::WEBHOOK_EXISTS,
    general::WEBHOOK_LIMIT,
    general::WEBHOOK_SIGNATURE_EXPIRED,
    general::WEBHOOK_SIGNATURE_MALFORMED,
    general::WEBHOOK_SIGNATURE_MISMATCH,
    general::WEBHOOK_URL_INVALID,
    general::WEBHOOK_URL_PRIVATE,
    letters::ADDRESS_COUNTRY_UNKNOWN,
    letters::ADDRESS_LOCALITY_MISSING,
    letters::ADDRESS_POSTCODE_INVALID,
    letters::ADDRESS_RECIPIENT_MISSING,
    letters::ADDRESS_UNREADABLE,
    letters::ADDRESS_WINDOW_EMPTY,
    letters::COUNTRY_INVALID,
    letters::COUNTRY_UNKNOWN,
    letters::CURRENCY_INVALID,
    letters::DATE_INVALID,
    letters::DATE_OUT_OF_RANGE,
    letters::DELIVERY_RECIPIENT_INVALID,
    letters::DELIVERY_RECIPIENT_MISSING,
    letters::DOCUMENT_SHREDDED,
    letters::LETTER_APPROVAL_USER_UNKNOWN,
    letters::LETTER_ATTACHMENT_INVALID,
    letters::LETTER_BACKGROUND_INVALID,
    letters::LETTER_BACKGROUND_MISSING,
    letters::LETTER_BACKGROUND_PAGES_IGNORED,
    letters::LETTER_BACKGROUND_SCOPE_UNKNOWN,
    letters::LETTER_BACKGROUND_TWICE,
    letters::LETTER_CANNOT_CANCEL,
    letters::LETTER_CLEAR_ZONE_NOT_EMPTY,
    letters::LETTER_COLOUR_UNKNOWN,
    letters::LETTER_COMPOSE_FAILED,
    letters::LETTER_EMPTY,
    letters::LETTER_ENVELOPE_UNKNOWN,
    letters::LETTER_ILLEGAL_TRANSITION,
    letters::LETTER_NO_CARRIER,
    letters::LETTER_NOT_A_DRAFT,
    letters::LETTER_PAPER_COLOUR_MISMATCH,
    letters::LETTER_PAPER_UNKNOWN,
    letters::LETTER_PRODUCT_DESTINATION_MISMATCH,
    letters::LETTER_PRODUCT_UNKNOWN,
    letters::LETTER_REASON_MISSING,
    letters::LETTER_REFUSED,
    letters::LETTER_REGISTERED_ABROAD,
    letters::LETTER_REGISTERED_NEEDS_PRIORITY,
    letters::LETTER_REGISTERED_UNKNOWN,
    letters::LETTER_RETENTION_INVALID,
    letters::LETTER_RETURN_ADDRESS_MISSING,
    letters::LETTER_RETURN_ADDRESS_TOO_LONG,
    letters::LETTER_SIDES_UNKNOWN,
    letters::LETTER_STATUS_CHANGED,
    letters::LETTER_STATUS_UNKNOWN,
    letters::LETTER_TOO_HEAVY,
    letters::LETTER_TOO_MANY_ATTACHMENTS,
    letters::LETTER_TOO_MANY_SHEETS,
    letters::LETTER_WINDOW_STANDARD_UNKNOWN,
    letters::MERGE_FIELD_MISSING,
    letters::MERGE_FIELD_UNMAPPED,
    letters::MERGE_TEMPLATE_ERROR,
    letters::MERGE_TEMPLATE_TOO_EXPENSIVE,
    letters::MERGE_TEMPLATE_TOO_LARGE,
    letters::MERGE_UNKNOWN_COLUMN,
    letters::MERGE_UNKNOWN_FIELD,
    letters::PDF_EMBEDDED_FILES,
    letters::PDF_ENCRYPTED,
    letters::PDF_FONT_NOT_EMBEDDED,
    letters::PDF_JAVASCRIPT,
    letters::PDF_LAUNCH_ACTION,
    letters::PDF_NO_PAGES,
    letters::PDF_NOT_A4,
    letters::PDF_OWNER_PASSWORD,
    letters::PDF_PAGE_MISSING,
    letters::PDF_PAGE_REUSED,
    letters::PDF_PAGE_TREE_INVALID,
    letters::PDF_REPAIRED,
    letters::PDF_TOO_LARGE,
    letters::PDF_TOO_MUCH_DATA,
    letters::PDF_TOO_SLOW,
    letters::PDF_UNREADABLE,
    letters::PDF_WINDOW_ROTATED_PAGE,
    letters::PDF_XFA,
    letters::ROWS_CELL_ERROR,
    letters::ROWS_DUPLICATE_COLUMN,
    letters::ROWS_EMPTY,
    letters::ROWS_ENCODING,
    letters::ROWS_FIELD_COUNT,
    letters::ROWS_FORMAT_UNSUPPORTED,
    letters::ROWS_TOO_LARGE,
    letters::ROWS_TOO_MANY,
    letters::ROWS_TOO_MANY_COLUMNS,
    letters::ROWS_UNREADABLE,
    letters::RUN_ITEM_RECORDED,
    letters::RUN_KIND_INVALID,
    letters::RUN_MARKER_INVALID,
    letters::RUN_METHOD_INVALID,
    letters::RUN_NO_LETTER_START,
    letters::RUN_PAGES_INVALID,
    letters::TARIFF_AMOUNT_INVALID,
    letters::TARIFF_CHANGED,
    letters::TARIFF_CURRENCY_FIXED,
    letters::TARIFF_INVALID,
    letters::TARIFF_VAT_INVALID,
    letters::TARIFF_WEIGHT_INVALID,
    letters::UPLOAD_FILE_MISSING,
    letters::UPLOAD_INFECTED,
    letters::UPLOAD_MALFORMED,
    letters::UPLOAD_SCAN_FAILED,
    letters::UPLOAD_SCANNER_UNAVAILABLE,
    letters::UPLOAD_TOO_LARGE,
    mailbox::DIGEST_SENT,
    mailbox::INTAKE_COUNT_INVALID,
    mailbox::INTAKE_DAY_INVALID,
    mailbox::ITEM_PAPER_ORIGINAL_POSTED,
    mailbox::ITEM_PICKED_UP,
    mailbox::ITEM_STATE_CHANGED,
    mailbox::MAIL_ACTION_PENDING,
    mailbox::MAIL_ACTION_UNKNOWN,
    mailbox::MAIL_ACTIVATION_TOO_EARLY,
    mailbox::MAIL_ADDRESS_INVALID,
    mailbox::MAIL_ALREADY_DIGITAL,
    mailbox::MAIL_ALREADY_SCANNED,
    mailbox::MAIL_AMOUNT_OUT_OF_RANGE,
    mailbox::MAIL_CODE_DIGEST_INVALID,
    mailbox::MAIL_CODE_EXPIRED,
    mailbox::MAIL_CODE_LOCKED,
    mailbox::MAIL_CODE_MALFORMED,
    mailbox::MAIL_CODE_USED,
    mailbox::MAIL_CODE_WRONG,
    mailbox::MAIL_COMPLETION_MISMATCH,
    mailbox::MAIL_CONTENT_UNKNOWN,
    mailbox::MAIL_COUNT_INVALID,
    mailbox::MAIL_DIMENSIONS_INVALID,
    mailbox::MAIL_ENVELOPE_INVALID,
    mailbox::MAIL_FORMAT_UNKNOWN,
    mailbox::MAIL_FORWARD_ADDRESS_INVALID,
    mailbox::MAIL_FORWARD_ADDRESS_MISSING,
    mailbox::MAIL_ILLEGAL_TRANSITION,
    mailbox::MAIL_ITEM_GONE,
    mailbox::MAIL_ITEM_KIND_UNKNOWN,
    mailbox::MAIL_ITEM_STATE_UNKNOWN,
    mailbox::MAIL_ITEMS_INVALID,
    mailbox::MAIL_LOCATION_INVALID,
    mailbox::MAIL_MAILBOX_CLOSED,
    mailbox::MAIL_MAILBOX_ILLEGAL_TRANSITION,
    mailbox::MAIL_MAILBOX_STATE_UNKNOWN,
    mailbox::MAIL_MARKUP_ABOVE_CAP,
    mailbox::MAIL_MEMBER_INVALID,
    mailbox::MAIL_NO_MAILBOX,
    mailbox::MAIL_NOT_PHYSICAL,
    mailbox::MAIL_NOT_SCANNED,
    mailbox::MAIL_NOTE_MISSING,
    mailbox::MAIL_NOTE_TOO_LONG,
    mailbox::MAIL_NOTIFY_INVALID,
    mailbox::MAIL_ORIGIN_UNKNOWN,
    mailbox::MAIL_ORIGINAL_EXPIRED,
    mailbox::MAIL_PDF_INVALID,
    mailbox::MAIL_PICKUP_INVALID,
    mailbox::MAIL_PRICE_INVALID,
    mailbox::MAIL_RECEIVED_ON_INVALID,
    mailbox::MAIL_RETENTION_INVALID,
    mailbox::MAIL_REVIEW_ILLEGAL_TRANSITION,
    mailbox::MAIL_REVIEW_INVALID,
    mailbox::MAIL_REVIEW_STATE_UNKNOWN,
    mailbox::MAIL_REVIEW_WRONG_PARTY,
    mailbox::MAIL_RULE_INVALID,
    mailbox::MAIL_RULE_PATTERN_EMPTY,
    mailbox::MAIL_RULE_PATTERN_TOO_LONG,
    mailbox::MAIL_SCAN_FILE_INVALID,
    mailbox::MAIL_SCAN_INVALID,
    mailbox::MAIL_SCAN_TOO_LARGE,
    mailbox::MAIL_SENDER_INVALID,
    mailbox::MAIL_SLA_RULES_INVALID,
    mailbox::MAIL_TAGS_INVALID,
    mailbox::MAIL_UNSCANNABLE_CHEQUE,
    mailbox::MAIL_UNSCANNABLE_MONEY,
    mailbox::MAIL_UNSCANNABLE_NON_PAPER,
    mailbox::MAIL_UNSCANNABLE_OBJECT,
    mailbox::MAIL_UNSCANNABLE_PARCEL,
    mailbox::MAIL_UNSCANNABLE_PIN_CODE,
    mailbox::MAIL_UNSCANNABLE_TICKET,
    mailbox::MAIL_UNSCANNABLE_TOO_LARGE,
    mailbox::MAIL_UNSCANNABLE_TOO_SMALL,
    mailbox::MAIL_UNSCANNABLE_VOUCHER,
    mailbox::MAIL_WEIGHT_INVALID,
    mailbox::MAILBOX_CHANGED,
    mailbox::MAILBOX_EXISTS,
    mailbox::MAILBOX_NO_PLATFORM,
    mailbox::MAILBOX_NOT_A_CUSTOMER,
    mailbox::MAILBOX_NOT_A_MAIL_CENTER,
    mailbox::MAILBOX_NOT_AWAITING_CODE,
    mailbox::MAILBOX_NOT_VERIFIED_BY_POST,
    mailbox::MAILBOX_SUSPENDED,
    mailbox::MEMBER_DOCUMENTS_MISSING,
    mailbox::MEMBER_REVIEW_CHANGED,
    mailbox::MEMBER_REVIEW_CLOSED,
    mailbox::OCR_UNAVAILABLE,
    mailbox::OCR_UNREADABLE,
    mailbox::PLAN_ACTION_INVALID,
    mailbox::PLAN_ALREADY_BILLED,
    mailbox::PLAN_ALREADY_CANCELLED,
    mailbox::PLAN_CHANGED,
    mailbox::PLAN_CONFIRM_REQUIRED,
    mailbox::PLAN_ENDED,
    mailbox::PLAN_NOT_CANCELLED,
    mailbox::SEARCH_ORDER_INVALID,
    mailbox::SIGNUP_CURRENCY_MISMATCH,
    mailbox::SIGNUP_DOCUMENT_EMPTY,
    mailbox::SIGNUP_DOCUMENT_INVALID,
    mailbox::SIGNUP_DOCUMENT_KIND_INVALID,
    mailbox::SIGNUP_DOCUMENT_SIDE_INVALID,
    mailbox::SIGNUP_DOCUMENT_TOO_LARGE,
    mailbox::SIGNUP_DOCUMENT_TYPE,
    mailbox::SIGNUP_EXISTS,
    mailbox::SIGNUP_LOCATION_CLOSED,
    mailbox::SIGNUP_NAME_INVALID,
    mailbox::SIGNUP_PERSON_REQUIRED,
    mailbox::SIGNUP_PLAN_INVALID,
    mailbox::SIGNUP_PLAN_RUNNING,
    mailbox::SIGNUP_PRICE_INVALID,
    mailbox::SIGNUP_SCOPE_MISMATCH,
    mailbox::SIGNUP_TERMS_REQUIRED,
    mailbox::TASK_NOT_OPEN,
    mailbox::USAGE_ALREADY_BILLED,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for c in ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(
                c.as_str().split('.').all(|p| !p.is_empty()
                    && p.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')),
                "{c}"
            );
        }
        assert_eq!(Code::parse("item.state_changed"), Some(ITEM_STATE_CHANGED));
        assert_eq!(ITEM_STATE_CHANGED, "item.state_changed");
        assert_eq!(ITEM_STATE_CHANGED.to_string(), "item.state_changed");
    }
}
