//! Any request: lookups, input, limits, idempotency, webhooks, reports.

use super::Code;

/// The benchmark only runs on a database whose name says it is one for benchmarks.
pub const BENCH_DATABASE_NAME: Code = Code("bench.database_name");

/// This page cursor is not valid; start again from the first page.
pub const CURSOR_INVALID: Code = Code("cursor.invalid");

pub const IDEMPOTENCY_ANSWER_LOST: Code = Code("idempotency.answer_lost");

pub const IDEMPOTENCY_IN_PROGRESS: Code = Code("idempotency.in_progress");

pub const IDEMPOTENCY_KEY_INVALID: Code = Code("idempotency.key_invalid");

pub const IDEMPOTENCY_KEY_REUSED: Code = Code("idempotency.key_reused");

/// Another request with the same Idempotency-Key took over while this one ran; nothing was changed by this one.
pub const IDEMPOTENCY_LEASE_LOST: Code = Code("idempotency.lease_lost");

pub const INPUT_INVALID: Code = Code("input.invalid");

pub const INTERNAL: Code = Code("internal");

/// This job is queued already.
pub const JOB_ALREADY_QUEUED: Code = Code("job.already_queued");

/// Not found in your organisation.
pub const NOT_FOUND: Code = Code("not_found");

/// Only the platform can do this.
pub const PLATFORM_ONLY: Code = Code("platform.only");

/// Too many requests for your organisation. Wait a moment and try again.
pub const RATE_LIMITED: Code = Code("rate_limited");

/// Give the days as dates, such as 2026-01-31.
pub const REPORT_DATE_INVALID: Code = Code("report.date_invalid");

/// This report exists already.
pub const REPORT_EXISTS: Code = Code("report.exists");

/// Choose daily, weekly or monthly.
pub const REPORT_FREQUENCY_INVALID: Code = Code("report.frequency_invalid");

/// This report has no schedule.
pub const REPORT_NO_SCHEDULE: Code = Code("report.no_schedule");

/// The last day comes before the first day.
pub const REPORT_PERIOD_INVALID: Code = Code("report.period_invalid");

/// A report covers at most 366 days.
pub const REPORT_PERIOD_TOO_LONG: Code = Code("report.period_too_long");

/// A schedule for this report exists already.
pub const REPORT_SCHEDULE_EXISTS: Code = Code("report_schedule.exists");

/// An organisation has at most 20 active scheduled reports; stop one first.
pub const REPORT_SCHEDULE_LIMIT: Code = Code("report_schedule.limit");

pub const REQUEST_BODY_UNREADABLE: Code = Code("request.body_unreadable");

pub const REQUEST_MALFORMED: Code = Code("request.malformed");

pub const REQUEST_NOT_JSON: Code = Code("request.not_json");

pub const REQUEST_QUERY_INVALID: Code = Code("request.query_invalid");

pub const REQUEST_TOO_LARGE: Code = Code("request.too_large");

pub const REQUEST_UNSUPPORTED_MEDIA_TYPE: Code = Code("request.unsupported_media_type");

pub const WEBHOOK_DATA_INVALID: Code = Code("webhook.data_invalid");

/// Keep the description under 200 characters.
pub const WEBHOOK_DESCRIPTION_INVALID: Code = Code("webhook.description_invalid");

/// One of the events does not exist.
pub const WEBHOOK_EVENT_UNKNOWN: Code = Code("webhook.event_unknown");

/// Choose at least one event.
pub const WEBHOOK_EVENTS_NONE: Code = Code("webhook.events_none");

/// A webhook endpoint with this address exists already.
pub const WEBHOOK_EXISTS: Code = Code("webhook.exists");

/// Your organisation already has 16 active endpoints. Disable one first.
pub const WEBHOOK_LIMIT: Code = Code("webhook.limit");

/// The signature's timestamp is outside the tolerance: a replay or a wrong clock.
pub const WEBHOOK_SIGNATURE_EXPIRED: Code = Code("webhook.signature_expired");

/// The signature header is malformed.
pub const WEBHOOK_SIGNATURE_MALFORMED: Code = Code("webhook.signature_malformed");

/// No signature matches the body with this secret.
pub const WEBHOOK_SIGNATURE_MISMATCH: Code = Code("webhook.signature_mismatch");

/// Give a public https:// address, such as https://erp.example.com/courrier/events, without a user name or password.
pub const WEBHOOK_URL_INVALID: Code = Code("webhook.url_invalid");

/// This address is on this machine or a private network. Courrier delivers only to public addresses.
pub const WEBHOOK_URL_PRIVATE: Code = Code("webhook.url_private");
