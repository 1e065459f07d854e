//! Letters: PDFs, addresses, postage, runs, mail merge, tariffs, uploads.

use super::Code;

/// The country of the address is not known.
pub const ADDRESS_COUNTRY_UNKNOWN: Code = Code("address.country_unknown");

/// The address has no postcode and town.
pub const ADDRESS_LOCALITY_MISSING: Code = Code("address.locality_missing");

/// The postcode is not valid for this country.
pub const ADDRESS_POSTCODE_INVALID: Code = Code("address.postcode_invalid");

/// The address has no recipient name.
pub const ADDRESS_RECIPIENT_MISSING: Code = Code("address.recipient_missing");

/// The address in the window cannot be read.
pub const ADDRESS_UNREADABLE: Code = Code("address.unreadable");

/// The address window of page 1 is empty.
pub const ADDRESS_WINDOW_EMPTY: Code = Code("address.window_empty");

pub const COUNTRY_INVALID: Code = Code("country.invalid");

pub const COUNTRY_UNKNOWN: Code = Code("country.unknown");

pub const CURRENCY_INVALID: Code = Code("currency.invalid");

/// Enter a date such as 2026-01-31.
pub const DATE_INVALID: Code = Code("date.invalid");

pub const DATE_OUT_OF_RANGE: Code = Code("date.out_of_range");

pub const DELIVERY_RECIPIENT_INVALID: Code = Code("delivery.recipient_invalid");

pub const DELIVERY_RECIPIENT_MISSING: Code = Code("delivery.recipient_missing");

/// The document was purged and cannot be read any more.
pub const DOCUMENT_SHREDDED: Code = Code("document.shredded");

/// This person is not in your organisation.
pub const LETTER_APPROVAL_USER_UNKNOWN: Code = Code("letter.approval_user_unknown");

/// An attachment was refused: each must be a readable A4 portrait PDF without password, JavaScript or embedded files.
pub const LETTER_ATTACHMENT_INVALID: Code = Code("letter.attachment_invalid");

/// The letterhead PDF was refused: it must be a readable A4 portrait PDF without password, JavaScript or embedded files.
pub const LETTER_BACKGROUND_INVALID: Code = Code("letter.background_invalid");

/// Pages for a letterhead were chosen, but no letterhead PDF was sent.
pub const LETTER_BACKGROUND_MISSING: Code = Code("letter.background_missing");

pub const LETTER_BACKGROUND_PAGES_IGNORED: Code = Code("letter.background_pages_ignored");

/// Choose the first page or every page for the letterhead.
pub const LETTER_BACKGROUND_SCOPE_UNKNOWN: Code = Code("letter.background_scope_unknown");

/// Send one letterhead PDF at most.
pub const LETTER_BACKGROUND_TWICE: Code = Code("letter.background_twice");

/// This letter is in production already and can no longer be cancelled.
pub const LETTER_CANNOT_CANCEL: Code = Code("letter.cannot_cancel");

/// There is text just above the address window, where the postage is printed.
pub const LETTER_CLEAR_ZONE_NOT_EMPTY: Code = Code("letter.clear_zone_not_empty");

pub const LETTER_COLOUR_UNKNOWN: Code = Code("letter.colour_unknown");

pub const LETTER_COMPOSE_FAILED: Code = Code("letter.compose_failed");

pub const LETTER_EMPTY: Code = Code("letter.empty");

pub const LETTER_ENVELOPE_UNKNOWN: Code = Code("letter.envelope_unknown");

/// This is not possible in the letter's current status.
pub const LETTER_ILLEGAL_TRANSITION: Code = Code("letter.illegal_transition");

pub const LETTER_NO_CARRIER: Code = Code("letter.no_carrier");

/// Only a draft can be changed.
pub const LETTER_NOT_A_DRAFT: Code = Code("letter.not_a_draft");

pub const LETTER_PAPER_COLOUR_MISMATCH: Code = Code("letter.paper_colour_mismatch");

pub const LETTER_PAPER_UNKNOWN: Code = Code("letter.paper_unknown");

/// This postage does not fit the destination: use international priority abroad, priority or standard within the country.
pub const LETTER_PRODUCT_DESTINATION_MISMATCH: Code = Code("letter.product_destination_mismatch");

pub const LETTER_PRODUCT_UNKNOWN: Code = Code("letter.product_unknown");

/// Say why the letter is sent back.
pub const LETTER_REASON_MISSING: Code = Code("letter.reason_missing");

pub const LETTER_REFUSED: Code = Code("letter.refused");

/// Registered letters can only be sent within the country.
pub const LETTER_REGISTERED_ABROAD: Code = Code("letter.registered_abroad");

/// Registered letters travel as priority.
pub const LETTER_REGISTERED_NEEDS_PRIORITY: Code = Code("letter.registered_needs_priority");

pub const LETTER_REGISTERED_UNKNOWN: Code = Code("letter.registered_unknown");

/// Keep documents between 1 and 3650 days.
pub const LETTER_RETENTION_INVALID: Code = Code("letter.retention_invalid");

/// A registered letter needs a return address; set one in the letter settings.
pub const LETTER_RETURN_ADDRESS_MISSING: Code = Code("letter.return_address_missing");

/// A return address has at most 500 characters.
pub const LETTER_RETURN_ADDRESS_TOO_LONG: Code = Code("letter.return_address_too_long");

pub const LETTER_SIDES_UNKNOWN: Code = Code("letter.sides_unknown");

/// The letter changed meanwhile. Reload it and try again.
pub const LETTER_STATUS_CHANGED: Code = Code("letter.status_changed");

pub const LETTER_STATUS_UNKNOWN: Code = Code("letter.status_unknown");

/// The letter is too heavy for the carrier's tariff.
pub const LETTER_TOO_HEAVY: Code = Code("letter.too_heavy");

/// A letter has at most 10 attachments.
pub const LETTER_TOO_MANY_ATTACHMENTS: Code = Code("letter.too_many_attachments");

/// Too many sheets for this envelope.
pub const LETTER_TOO_MANY_SHEETS: Code = Code("letter.too_many_sheets");

/// Choose one of the address windows offered.
pub const LETTER_WINDOW_STANDARD_UNKNOWN: Code = Code("letter.window_standard_unknown");

pub const MERGE_FIELD_MISSING: Code = Code("merge.field_missing");

pub const MERGE_FIELD_UNMAPPED: Code = Code("merge.field_unmapped");

pub const MERGE_TEMPLATE_ERROR: Code = Code("merge.template_error");

/// The template needs more memory or computing time than one letter may use: simplify it, with fewer or shorter loops and smaller texts and images.
pub const MERGE_TEMPLATE_TOO_EXPENSIVE: Code = Code("merge.template_too_expensive");

pub const MERGE_TEMPLATE_TOO_LARGE: Code = Code("merge.template_too_large");

pub const MERGE_UNKNOWN_COLUMN: Code = Code("merge.unknown_column");

pub const MERGE_UNKNOWN_FIELD: Code = Code("merge.unknown_field");

/// The PDF contains embedded files, which are not accepted.
pub const PDF_EMBEDDED_FILES: Code = Code("pdf.embedded_files");

/// The PDF is protected by a password.
pub const PDF_ENCRYPTED: Code = Code("pdf.encrypted");

pub const PDF_FONT_NOT_EMBEDDED: Code = Code("pdf.font_not_embedded");

/// The PDF contains JavaScript, which is not accepted.
pub const PDF_JAVASCRIPT: Code = Code("pdf.javascript");

/// The PDF tries to launch programs, which is not accepted.
pub const PDF_LAUNCH_ACTION: Code = Code("pdf.launch_action");

/// The PDF has no page.
pub const PDF_NO_PAGES: Code = Code("pdf.no_pages");

/// A page is not A4.
pub const PDF_NOT_A4: Code = Code("pdf.not_a4");

pub const PDF_OWNER_PASSWORD: Code = Code("pdf.owner_password");

pub const PDF_PAGE_MISSING: Code = Code("pdf.page_missing");

pub const PDF_PAGE_REUSED: Code = Code("pdf.page_reused");

pub const PDF_PAGE_TREE_INVALID: Code = Code("pdf.page_tree_invalid");

pub const PDF_REPAIRED: Code = Code("pdf.repaired");

pub const PDF_TOO_LARGE: Code = Code("pdf.too_large");

pub const PDF_TOO_MUCH_DATA: Code = Code("pdf.too_much_data");

pub const PDF_TOO_SLOW: Code = Code("pdf.too_slow");

/// The file is not a readable PDF.
pub const PDF_UNREADABLE: Code = Code("pdf.unreadable");

pub const PDF_WINDOW_ROTATED_PAGE: Code = Code("pdf.window_rotated_page");

pub const PDF_XFA: Code = Code("pdf.xfa");

pub const ROWS_CELL_ERROR: Code = Code("rows.cell_error");

pub const ROWS_DUPLICATE_COLUMN: Code = Code("rows.duplicate_column");

pub const ROWS_EMPTY: Code = Code("rows.empty");

pub const ROWS_ENCODING: Code = Code("rows.encoding");

pub const ROWS_FIELD_COUNT: Code = Code("rows.field_count");

pub const ROWS_FORMAT_UNSUPPORTED: Code = Code("rows.format_unsupported");

pub const ROWS_TOO_LARGE: Code = Code("rows.too_large");

pub const ROWS_TOO_MANY: Code = Code("rows.too_many");

pub const ROWS_TOO_MANY_COLUMNS: Code = Code("rows.too_many_columns");

pub const ROWS_UNREADABLE: Code = Code("rows.unreadable");

/// This letter of the run was recorded already.
pub const RUN_ITEM_RECORDED: Code = Code("run.item_recorded");

pub const RUN_KIND_INVALID: Code = Code("run.kind_invalid");

/// The marker is not a usable regular expression.
pub const RUN_MARKER_INVALID: Code = Code("run.marker_invalid");

/// Choose how to split: by address, every N pages, or by a marker.
pub const RUN_METHOD_INVALID: Code = Code("run.method_invalid");

pub const RUN_NO_LETTER_START: Code = Code("run.no_letter_start");

/// The number of pages per letter must be from 1 to 100.
pub const RUN_PAGES_INVALID: Code = Code("run.pages_invalid");

/// Give an amount such as 1.20 (at most two decimals, no sign).
pub const TARIFF_AMOUNT_INVALID: Code = Code("tariff.amount_invalid");

/// Someone saved another version of this tariff meanwhile; reload it and save again.
pub const TARIFF_CHANGED: Code = Code("tariff.changed");

/// A carrier's tariff keeps its currency.
pub const TARIFF_CURRENCY_FIXED: Code = Code("tariff.currency_fixed");

/// The table is refused: at least one weight step, each heavier than the one before; every price between 0 and 1,000,000; VAT at most 100 %; a carrier name of 1 to 80 characters.
pub const TARIFF_INVALID: Code = Code("tariff.invalid");

/// Give the VAT rate in percent, such as 8.1 (at most two decimals).
pub const TARIFF_VAT_INVALID: Code = Code("tariff.vat_invalid");

/// Give the weight in whole grams above 0, such as 100.
pub const TARIFF_WEIGHT_INVALID: Code = Code("tariff.weight_invalid");

/// Choose a PDF file.
pub const UPLOAD_FILE_MISSING: Code = Code("upload.file_missing");

/// The virus scanner found a threat in this file; it was not stored.
pub const UPLOAD_INFECTED: Code = Code("upload.infected");

/// The upload could not be read. Try again.
pub const UPLOAD_MALFORMED: Code = Code("upload.malformed");

pub const UPLOAD_SCAN_FAILED: Code = Code("upload.scan_failed");

pub const UPLOAD_SCANNER_UNAVAILABLE: Code = Code("upload.scanner_unavailable");

/// The file is too large (at most 50 MB).
pub const UPLOAD_TOO_LARGE: Code = Code("upload.too_large");
