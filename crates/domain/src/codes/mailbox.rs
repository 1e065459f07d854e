//! Mailboxes: mail items, actions, members, sign-up and plans, intake.

use super::Code;

/// Today's digest for this mailbox was sent already.
pub const DIGEST_SENT: Code = Code("digest.sent");

/// Give the number of items the carrier brought (0 to 100,000).
pub const INTAKE_COUNT_INVALID: Code = Code("intake.count_invalid");

/// This day is not valid for an intake count.
pub const INTAKE_DAY_INVALID: Code = Code("intake.day_invalid");

/// The paper original of this item was posted already; it is printed and billed once.
pub const ITEM_PAPER_ORIGINAL_POSTED: Code = Code("item.paper_original_posted");

/// This item was picked up already.
pub const ITEM_PICKED_UP: Code = Code("item.picked_up");

/// The item changed meanwhile; reload the page and try again.
pub const ITEM_STATE_CHANGED: Code = Code("item.state_changed");

pub const MAIL_ACTION_PENDING: Code = Code("mail.action_pending");

pub const MAIL_ACTION_UNKNOWN: Code = Code("mail.action_unknown");

pub const MAIL_ACTIVATION_TOO_EARLY: Code = Code("mail.activation_too_early");

pub const MAIL_ADDRESS_INVALID: Code = Code("mail.address_invalid");

pub const MAIL_ALREADY_DIGITAL: Code = Code("mail.already_digital");

/// The item is already scanned.
pub const MAIL_ALREADY_SCANNED: Code = Code("mail.already_scanned");

/// An amount entered at the mail center is between 0 and 2,000.00.
pub const MAIL_AMOUNT_OUT_OF_RANGE: Code = Code("mail.amount_out_of_range");

pub const MAIL_CODE_DIGEST_INVALID: Code = Code("mail.code_digest_invalid");

pub const MAIL_CODE_EXPIRED: Code = Code("mail.code_expired");

pub const MAIL_CODE_LOCKED: Code = Code("mail.code_locked");

pub const MAIL_CODE_MALFORMED: Code = Code("mail.code_malformed");

pub const MAIL_CODE_USED: Code = Code("mail.code_used");

pub const MAIL_CODE_WRONG: Code = Code("mail.code_wrong");

pub const MAIL_COMPLETION_MISMATCH: Code = Code("mail.completion_mismatch");

pub const MAIL_CONTENT_UNKNOWN: Code = Code("mail.content_unknown");

/// Give the number of pieces from the carrier (0 to 100,000).
pub const MAIL_COUNT_INVALID: Code = Code("mail.count_invalid");

pub const MAIL_DIMENSIONS_INVALID: Code = Code("mail.dimensions_invalid");

pub const MAIL_ENVELOPE_INVALID: Code = Code("mail.envelope_invalid");

pub const MAIL_FORMAT_UNKNOWN: Code = Code("mail.format_unknown");

pub const MAIL_FORWARD_ADDRESS_INVALID: Code = Code("mail.forward_address_invalid");

/// A forward needs an address.
pub const MAIL_FORWARD_ADDRESS_MISSING: Code = Code("mail.forward_address_missing");

pub const MAIL_ILLEGAL_TRANSITION: Code = Code("mail.illegal_transition");

pub const MAIL_ITEM_GONE: Code = Code("mail.item_gone");

pub const MAIL_ITEM_KIND_UNKNOWN: Code = Code("mail.item_kind_unknown");

pub const MAIL_ITEM_STATE_UNKNOWN: Code = Code("mail.item_state_unknown");

/// Choose 1 to 200 different items.
pub const MAIL_ITEMS_INVALID: Code = Code("mail.items_invalid");

pub const MAIL_LOCATION_INVALID: Code = Code("mail.location_invalid");

pub const MAIL_MAILBOX_CLOSED: Code = Code("mail.mailbox_closed");

pub const MAIL_MAILBOX_ILLEGAL_TRANSITION: Code = Code("mail.mailbox_illegal_transition");

pub const MAIL_MAILBOX_STATE_UNKNOWN: Code = Code("mail.mailbox_state_unknown");

pub const MAIL_MARKUP_ABOVE_CAP: Code = Code("mail.markup_above_cap");

pub const MAIL_MEMBER_INVALID: Code = Code("mail.member_invalid");

pub const MAIL_NO_MAILBOX: Code = Code("mail.no_mailbox");

pub const MAIL_NOT_PHYSICAL: Code = Code("mail.not_physical");

/// The letter was not scanned, so the paper is the only copy: forward it instead.
pub const MAIL_NOT_SCANNED: Code = Code("mail.not_scanned");

pub const MAIL_NOTE_MISSING: Code = Code("mail.note_missing");

pub const MAIL_NOTE_TOO_LONG: Code = Code("mail.note_too_long");

/// Choose how new mail is announced.
pub const MAIL_NOTIFY_INVALID: Code = Code("mail.notify_invalid");

pub const MAIL_ORIGIN_UNKNOWN: Code = Code("mail.origin_unknown");

/// The paper original is no longer kept.
pub const MAIL_ORIGINAL_EXPIRED: Code = Code("mail.original_expired");

pub const MAIL_PDF_INVALID: Code = Code("mail.pdf_invalid");

pub const MAIL_PICKUP_INVALID: Code = Code("mail.pickup_invalid");

pub const MAIL_PRICE_INVALID: Code = Code("mail.price_invalid");

pub const MAIL_RECEIVED_ON_INVALID: Code = Code("mail.received_on_invalid");

/// Give a whole number of days from 1 to 3,650, or leave it empty to keep scans.
pub const MAIL_RETENTION_INVALID: Code = Code("mail.retention_invalid");

pub const MAIL_REVIEW_ILLEGAL_TRANSITION: Code = Code("mail.review_illegal_transition");

pub const MAIL_REVIEW_INVALID: Code = Code("mail.review_invalid");

pub const MAIL_REVIEW_STATE_UNKNOWN: Code = Code("mail.review_state_unknown");

pub const MAIL_REVIEW_WRONG_PARTY: Code = Code("mail.review_wrong_party");

pub const MAIL_RULE_INVALID: Code = Code("mail.rule_invalid");

pub const MAIL_RULE_PATTERN_EMPTY: Code = Code("mail.rule_pattern_empty");

pub const MAIL_RULE_PATTERN_TOO_LONG: Code = Code("mail.rule_pattern_too_long");

pub const MAIL_SCAN_FILE_INVALID: Code = Code("mail.scan_file_invalid");

pub const MAIL_SCAN_INVALID: Code = Code("mail.scan_invalid");

pub const MAIL_SCAN_TOO_LARGE: Code = Code("mail.scan_too_large");

pub const MAIL_SENDER_INVALID: Code = Code("mail.sender_invalid");

pub const MAIL_SLA_RULES_INVALID: Code = Code("mail.sla_rules_invalid");

pub const MAIL_TAGS_INVALID: Code = Code("mail.tags_invalid");

/// The item contains a cheque.
pub const MAIL_UNSCANNABLE_CHEQUE: Code = Code("mail.unscannable.cheque");

/// The item contains money.
pub const MAIL_UNSCANNABLE_MONEY: Code = Code("mail.unscannable.money");

/// The item contains something that is not paper.
pub const MAIL_UNSCANNABLE_NON_PAPER: Code = Code("mail.unscannable.non_paper");

/// The item contains a physical object.
pub const MAIL_UNSCANNABLE_OBJECT: Code = Code("mail.unscannable.object");

/// Parcels are not opened for scanning.
pub const MAIL_UNSCANNABLE_PARCEL: Code = Code("mail.unscannable.parcel");

/// The item contains a PIN code.
pub const MAIL_UNSCANNABLE_PIN_CODE: Code = Code("mail.unscannable.pin_code");

/// The item contains a ticket.
pub const MAIL_UNSCANNABLE_TICKET: Code = Code("mail.unscannable.ticket");

/// The item is larger than A3.
pub const MAIL_UNSCANNABLE_TOO_LARGE: Code = Code("mail.unscannable.too_large");

/// The item is smaller than A6.
pub const MAIL_UNSCANNABLE_TOO_SMALL: Code = Code("mail.unscannable.too_small");

/// The item contains a voucher.
pub const MAIL_UNSCANNABLE_VOUCHER: Code = Code("mail.unscannable.voucher");

pub const MAIL_WEIGHT_INVALID: Code = Code("mail.weight_invalid");

pub const MAILBOX_CHANGED: Code = Code("mailbox.changed");

pub const MAILBOX_EXISTS: Code = Code("mailbox.exists");

pub const MAILBOX_NO_PLATFORM: Code = Code("mailbox.no_platform");

/// Only a customer organisation can do this.
pub const MAILBOX_NOT_A_CUSTOMER: Code = Code("mailbox.not_a_customer");

/// Only a mail center can do this.
pub const MAILBOX_NOT_A_MAIL_CENTER: Code = Code("mailbox.not_a_mail_center");

pub const MAILBOX_NOT_AWAITING_CODE: Code = Code("mailbox.not_awaiting_code");

pub const MAILBOX_NOT_VERIFIED_BY_POST: Code = Code("mailbox.not_verified_by_post");

/// The mailbox is suspended until its new address is verified.
pub const MAILBOX_SUSPENDED: Code = Code("mailbox.suspended");

/// Upload at least one identity document before submitting.
pub const MEMBER_DOCUMENTS_MISSING: Code = Code("member.documents_missing");

/// The member's review changed meanwhile; reload the page and try again.
pub const MEMBER_REVIEW_CHANGED: Code = Code("member.review_changed");

/// The review of this member is over; no more documents are taken.
pub const MEMBER_REVIEW_CLOSED: Code = Code("member.review_closed");

pub const OCR_UNAVAILABLE: Code = Code("ocr.unavailable");

pub const OCR_UNREADABLE: Code = Code("ocr.unreadable");

/// Choose to cancel or to keep the plan.
pub const PLAN_ACTION_INVALID: Code = Code("plan.action_invalid");

/// This plan period was billed already.
pub const PLAN_ALREADY_BILLED: Code = Code("plan.already_billed");

/// This plan is already cancelled.
pub const PLAN_ALREADY_CANCELLED: Code = Code("plan.already_cancelled");

/// The plan changed meanwhile; look at it again.
pub const PLAN_CHANGED: Code = Code("plan.changed");

/// Tick the box to confirm that the mailbox closes at the end of the plan.
pub const PLAN_CONFIRM_REQUIRED: Code = Code("plan.confirm_required");

/// This plan has ended and its mailbox is closed.
pub const PLAN_ENDED: Code = Code("plan.ended");

/// This plan is not cancelled.
pub const PLAN_NOT_CANCELLED: Code = Code("plan.not_cancelled");

/// The order is newest first or best match first.
pub const SEARCH_ORDER_INVALID: Code = Code("search.order_invalid");

/// The plan's currency differs from the location's currency.
pub const SIGNUP_CURRENCY_MISMATCH: Code = Code("signup.currency_mismatch");

/// Choose a file.
pub const SIGNUP_DOCUMENT_EMPTY: Code = Code("signup.document_empty");

pub const SIGNUP_DOCUMENT_INVALID: Code = Code("signup.document_invalid");

/// A person uploads an identity card, passport or residence permit; a company a commercial-register extract; both may add another document.
pub const SIGNUP_DOCUMENT_KIND_INVALID: Code = Code("signup.document_kind_invalid");

/// Choose the front or back of a card; other documents are one whole file.
pub const SIGNUP_DOCUMENT_SIDE_INVALID: Code = Code("signup.document_side_invalid");

/// An identity document has at most 10 MB.
pub const SIGNUP_DOCUMENT_TOO_LARGE: Code = Code("signup.document_too_large");

/// Upload a PDF, JPEG or PNG file.
pub const SIGNUP_DOCUMENT_TYPE: Code = Code("signup.document_type");

/// A sign-up with this e-mail address exists already.
pub const SIGNUP_EXISTS: Code = Code("signup.exists");

/// This location does not take sign-ups.
pub const SIGNUP_LOCATION_CLOSED: Code = Code("signup.location_closed");

/// Give a name of 1 to 200 characters.
pub const SIGNUP_NAME_INVALID: Code = Code("signup.name_invalid");

pub const SIGNUP_PERSON_REQUIRED: Code = Code("signup.person_required");

/// Choose the monthly or the yearly plan.
pub const SIGNUP_PLAN_INVALID: Code = Code("signup.plan_invalid");

/// A plan already runs at this location.
pub const SIGNUP_PLAN_RUNNING: Code = Code("signup.plan_running");

/// Give a price like 19.90, between 0 and 100000.
pub const SIGNUP_PRICE_INVALID: Code = Code("signup.price_invalid");

/// This sign-up belongs to another organisation.
pub const SIGNUP_SCOPE_MISMATCH: Code = Code("signup.scope_mismatch");

/// Accept the terms of service to sign up.
pub const SIGNUP_TERMS_REQUIRED: Code = Code("signup.terms_required");

pub const TASK_NOT_OPEN: Code = Code("task.not_open");

/// This usage was billed already.
pub const USAGE_ALREADY_BILLED: Code = Code("usage.already_billed");
