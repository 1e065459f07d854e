//! Reports of sent letters: a CSV of the letters an organisation submitted in
//! a period, made on demand or by a schedule (daily, weekly, monthly) and
//! e-mailed as a link. Everything here needs `org.settings` (the CSV carries
//! prices and every recipient).
//!
//! - **Periods** are whole local days in the organisation's time zone (from
//!   its country: CH/LI Europe/Zurich, BE Europe/Brussels, FR Europe/Paris,
//!   DE Europe/Berlin, otherwise UTC). A report covers the letters submitted
//!   in `[start of the first day, start of the day after the last)`, in every
//!   status but draft. A schedule sends the previous full day, ISO week
//!   (Monday to Sunday) or calendar month once it is over; a period missed
//!   while Courrier was down is not sent afterwards, the next report covers
//!   the last full period.
//! - **The CSV** is what European Excel opens with a double click: UTF-8 with
//!   a byte-order mark (without it Excel reads Windows-1252 and garbles
//!   accents), `;` between fields (the list separator of Excel in Swiss,
//!   French, Belgian and German settings, where `,` is taken by decimals),
//!   CRLF line ends and RFC 4180 quoting. Amounts are in major units with the
//!   decimal separator of the organisation's country (`.` in CH/LI, `,`
//!   elsewhere), so Excel reads them as numbers; times are local
//!   (`YYYY-MM-DD HH:MM`) in the organisation's time zone. Text that Excel
//!   would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is
//!   prefixed with `'`.
//! - **Storage**: the CSV is a document like a letter's PDF, encrypted with
//!   its own key ([`App::store_document`]); nothing readable reaches the blob
//!   store.
//! - **Sending** ([`crate::jobs::JobKind::SendScheduledReports`], every 15
//!   minutes): for each due schedule the report, its e-mail (a link to
//!   `<public_url>/reports/<id>.csv`, behind sign-in; no letter data in the
//!   message) and the schedule's next run are written in one transaction. A
//!   report is unique per schedule and period, so a retried job never sends
//!   twice.

use crate::accounts::org_zone;
use crate::email::{EmailMessage, compose};
use crate::jobs::Outcome;
use crate::{App, AppError, Result};
use courrier_domain::codes;
use courrier_domain::{
    Actor, EmailAddress, Invalid, Locale, OrgScope, Permission, Timestamp, UserId,
};
use courrier_i18n::{Arg, words};
use courrier_store::{
    LetterRecord, OrgRecord, PERIOD_CHUNK, Page, ReportDelivery, ReportFrequency, ReportRecord,
    ReportScheduleRecord, StoreError,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Active schedules an organisation may have at once.
pub const MAX_ACTIVE_SCHEDULES: i64 = 20;
/// How often the reports job looks for due schedules.
pub const SEND_EVERY_SECS: i64 = 900;
/// Schedules handled per run of the job; a full batch runs again at once.
pub const DUE_BATCH: u32 = 100;
/// A schedule whose report failed is tried again this much later.
const RETRY_AFTER_SECS: i64 = 3600;
/// The longest period of a report made on demand, in days.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Who acts when the job makes a scheduled report.
const SYSTEM_ACTOR: &str = "system:reports";
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// The CSV's header, in column order.
pub const CSV_COLUMNS: [&str; 22] = [
    "letter id",
    "created",
    "submitted",
    "reference",
    "recipient name",
    "postcode",
    "locality",
    "country",
    "envelope",
    "colour",
    "sides",
    "sheets",
    "product",
    "registered",
    "weight g",
    "net",
    "VAT",
    "total",
    "currency",
    "status",
    "expected delivery",
    "posting date",
];

const BOM: &str = "\u{feff}";
const SEPARATOR: char = ';';

/// A report with its period as local dates.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub report: ReportRecord,
    /// The first day covered, in the organisation's time zone.
    pub first_day: Date,
    /// The last day covered (inclusive).
    pub last_day: Date,
}

impl ReportView {
    /// `courrier-letters-<first day>-<last day>.csv`.
    pub fn filename(&self) -> String {
        format!("courrier-letters-{}-{}.csv", self.first_day, self.last_day)
    }
}

/// A report's CSV, ready to download.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

fn internal(e: jiff::Error) -> AppError {
    AppError::Internal(e.into())
}

/// The local days `[first, next)` of the period of `frequency` holding `day`.
pub fn period_containing(frequency: ReportFrequency, day: Date) -> Result<(Date, Date)> {
    Ok(match frequency {
        ReportFrequency::Daily => (day, day.tomorrow().map_err(internal)?),
        ReportFrequency::Weekly => {
            let monday = day
                .checked_sub(
                    jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())),
                )
                .map_err(internal)?;
            let next = monday
                .checked_add(jiff::Span::new().days(7))
                .map_err(internal)?;
            (monday, next)
        }
        ReportFrequency::Monthly => (
            day.first_of_month(),
            day.last_of_month().tomorrow().map_err(internal)?,
        ),
    })
}

/// The instant a local day starts.
pub fn start_of(day: Date, tz: &TimeZone) -> Result<Timestamp> {
    let zoned = day.to_zoned(tz.clone()).map_err(internal)?;
    Ok(Timestamp::from_millis(zoned.timestamp().as_millisecond()))
}

/// The local day of an instant.
pub fn day_of(t: Timestamp, tz: &TimeZone) -> Result<Date> {
    let instant = jiff::Timestamp::from_millisecond(t.millis()).map_err(internal)?;
    Ok(tz.to_datetime(instant).date())
}

/// The period a scheduled report covers when it runs at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuePeriod {
    pub first_day: Date,
    /// The last day covered (inclusive).
    pub last_day: Date,
    pub from: Timestamp,
    pub to: Timestamp,
    /// When the period running at `now` is over: the next report is due.
    pub next_run_at: Timestamp,
}

/// The last full period of `frequency` before `now`, in `tz`.
pub fn previous_period(
    frequency: ReportFrequency,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<DuePeriod> {
    let today = day_of(now, tz)?;
    let (current, next) = period_containing(frequency, today)?;
    let (first_day, _) = period_containing(frequency, current.yesterday().map_err(internal)?)?;
    Ok(DuePeriod {
        first_day,
        last_day: current.yesterday().map_err(internal)?,
        from: start_of(first_day, tz)?,
        to: start_of(current, tz)?,
        next_run_at: start_of(next, tz)?,
    })
}

/// When a schedule set up at `now` sends its first report: once the period
/// running now is over.
pub fn first_run_at(
    frequency: ReportFrequency,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Timestamp> {
    let (_, next) = period_containing(frequency, day_of(now, tz)?)?;
    start_of(next, tz)
}

/// Reads a `YYYY-MM-DD` date of a form or request.
fn parse_day(raw: &str, field: &'static str) -> Result<Date, Invalid> {
    raw.trim().parse::<Date>().map_err(|_| {
        Invalid::new(
            field,
            codes::REPORT_DATE_INVALID,
            format!("'{}' is not a date such as 2026-01-31", raw.trim()),
        )
    })
}

// ----- the CSV -----

/// Whether Excel would run this text as a formula.
fn looks_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Appends one field, quoted when it holds a separator, quote or line break.
fn push_field(out: &mut String, value: &str) {
    if value.contains([SEPARATOR, '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Appends free text (typed or read from a PDF), disarmed against formulas.
fn push_text(out: &mut String, value: &str) {
    if looks_like_formula(value) {
        push_field(out, &format!("'{value}"));
    } else {
        push_field(out, value);
    }
}

/// Minor units as a decimal number with `decimal` as the separator.
fn amount(minor: i64, decimal: char) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}{decimal}{:02}", abs / 100, abs % 100)
}

/// The decimal separator of Excel in the organisation's country.
fn decimal_separator(country: &str) -> char {
    match country.trim().to_ascii_uppercase().as_str() {
        "CH" | "LI" => '.',
        _ => ',',
    }
}

fn local_time(t: Timestamp, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(t.millis())
        .map(|ts| {
            ts.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The header line, BOM first.
fn csv_header() -> String {
    let mut out = String::from(BOM);
    for (i, c) in CSV_COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        push_field(&mut out, c);
    }
    out.push_str("\r\n");
    out
}

/// Appends one letter as a CSV line.
fn push_letter(out: &mut String, l: &LetterRecord, tz: &TimeZone, decimal: char) {
    let fields: [(String, bool); 22] = [
        (l.id.to_string(), false),
        (local_time(l.created_at, tz), false),
        (
            l.submitted_at
                .map(|t| local_time(t, tz))
                .unwrap_or_default(),
            false,
        ),
        (l.reference.clone(), true),
        (l.recipient.name.clone(), true),
        (l.recipient.postcode.clone(), true),
        (l.recipient.locality.clone(), true),
        (l.recipient.country.as_str().to_string(), false),
        (l.envelope.as_str().to_string(), false),
        (l.colour.as_str().to_string(), false),
        (l.sides.as_str().to_string(), false),
        (l.sheets.to_string(), false),
        (l.product.as_str().to_string(), false),
        (l.registered.as_str().to_string(), false),
        (l.weight_grams.to_string(), false),
        (amount(l.price_net, decimal), false),
        (amount(l.price_vat, decimal), false),
        (amount(l.price_total, decimal), false),
        (l.currency.to_string(), false),
        (l.status.as_str().to_string(), false),
        (l.expected_delivery.clone().unwrap_or_default(), false),
        (l.posting_date.clone().unwrap_or_default(), false),
    ];
    for (i, (value, text)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        if *text {
            push_text(out, value);
        } else {
            push_field(out, value);
        }
    }
    out.push_str("\r\n");
}

// ----- the e-mail -----

fn frequency_word(locale: Locale, f: ReportFrequency) -> String {
    let key = match f {
        ReportFrequency::Daily => "email.report.daily",
        ReportFrequency::Weekly => "email.report.weekly",
        ReportFrequency::Monthly => "email.report.monthly",
    };
    words(locale, key, &[])
}

fn day_text(locale: Locale, d: Date) -> String {
    match locale {
        Locale::En => d.to_string(),
        Locale::Fr => d.strftime("%d.%m.%Y").to_string(),
    }
}

/// The message that a scheduled report is ready: the period and a link,
/// never the letters themselves.
pub fn report_ready(
    locale: Locale,
    org_name: &str,
    frequency: ReportFrequency,
    first_day: Date,
    last_day: Date,
    link: &str,
) -> EmailMessage {
    let word = frequency_word(locale, frequency);
    let (first, last) = (day_text(locale, first_day), day_text(locale, last_day));
    let args = [
        ("frequency", Arg::Text(&word)),
        ("org", Arg::Text(org_name)),
        ("first", Arg::Text(&first)),
        ("last", Arg::Text(&last)),
    ];
    compose(
        words(locale, "email.report.subject", &args),
        &[
            words(locale, "email.report.line1", &args),
            words(locale, "email.report.line2", &args),
            words(locale, "email.report.line3", &[]),
        ],
        link,
        &words(locale, "email.report.button", &[]),
    )
}

impl App {
    /// Where a report is downloaded (sign-in required).
    pub fn report_link(&self, id: courrier_domain::ReportId) -> String {
        format!("{}/reports/{id}.csv", self.settings.public_url)
    }

    /// Schedules a report every day, week or month, e-mailed to `email`; the
    /// first one goes out once the current period is over.
    pub async fn schedule_report(
        &self,
        actor: &Actor,
        frequency: &str,
        email: &str,
    ) -> Result<ReportScheduleRecord> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let mut errors = Vec::new();
        let frequency = ReportFrequency::parse(frequency);
        if frequency.is_none() {
            errors.push(Invalid::new(
                "frequency",
                codes::REPORT_FREQUENCY_INVALID,
                "choose daily, weekly or monthly",
            ));
        }
        let recipient = EmailAddress::parse(email);
        if let Err(e) = &recipient {
            errors.push(e.clone());
        }
        let (Some(frequency), Ok(recipient)) = (frequency, recipient) else {
            return Err(AppError::Findings(errors));
        };
        let org = self.store.org(scope.org()).await?;
        let now = self.now();
        let schedule = ReportScheduleRecord {
            id: courrier_domain::ReportScheduleId::random(),
            org: org.id,
            frequency,
            recipient,
            next_run_at: first_run_at(frequency, now, &org_zone(&org))?,
            created_by: scope.actor().to_string(),
            created_at: now,
            disabled_at: None,
        };
        self.store
            .create_report_schedule(&scope, &schedule, MAX_ACTIVE_SCHEDULES, now)
            .await?;
        Ok(schedule)
    }

    /// The organisation's schedules, active and disabled.
    pub async fn list_report_schedules(&self, actor: &Actor) -> Result<Vec<ReportScheduleRecord>> {
        let scope = actor.scope(Permission::OrgSettings)?;
        Ok(self.store.list_report_schedules(&scope).await?)
    }

    /// Stops a schedule for good.
    pub async fn disable_report_schedule(
        &self,
        actor: &Actor,
        id: courrier_domain::ReportScheduleId,
    ) -> Result<()> {
        let scope = actor.scope(Permission::OrgSettings)?;
        Ok(self
            .store
            .disable_report_schedule(&scope, id, self.now())
            .await?)
    }

    /// Makes a report now of the letters submitted from the start of `from`
    /// to the end of `to` (`YYYY-MM-DD`, both included, in the
    /// organisation's time zone), at most [`MAX_PERIOD_DAYS`] days.
    pub async fn generate_report(&self, actor: &Actor, from: &str, to: &str) -> Result<ReportView> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let first = parse_day(from, "from");
        let last = parse_day(to, "to");
        let (first, last) = match (first, last) {
            (Ok(f), Ok(l)) => (f, l),
            (f, l) => {
                let errors = [f.err(), l.err()].into_iter().flatten().collect();
                return Err(AppError::Findings(errors));
            }
        };
        let days = first
            .until((jiff::Unit::Day, last))
            .map_err(internal)?
            .get_days();
        if days < 0 {
            return Err(Invalid::new(
                "to",
                codes::REPORT_PERIOD_INVALID,
                "the last day comes before the first day",
            )
            .into());
        }
        if i64::from(days) >= MAX_PERIOD_DAYS {
            return Err(Invalid::new(
                "to",
                codes::REPORT_PERIOD_TOO_LONG,
                format!("a report covers at most {MAX_PERIOD_DAYS} days"),
            )
            .into());
        }
        let org = self.store.org(scope.org()).await?;
        let tz = org_zone(&org);
        let from = start_of(first, &tz)?;
        let to = start_of(last.tomorrow().map_err(internal)?, &tz)?;
        let (document, rows) = self.write_report_csv(&scope, &org, &tz, from, to).await?;
        let now = self.now();
        let report = ReportRecord {
            id: courrier_domain::ReportId::random(),
            org: org.id,
            schedule: None,
            period_from: from,
            period_to: to,
            document,
            rows,
            created_at: now,
        };
        if let Err(e) = self.store.create_report(&scope, &report, now).await {
            self.discard_document(&scope, document).await;
            return Err(e.into());
        }
        Ok(ReportView {
            report,
            first_day: first,
            last_day: last,
        })
    }

    /// The organisation's reports, newest first.
    pub async fn list_reports(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ReportView>> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let page = self.store.list_reports(&scope, cursor, limit).await?;
        let org = self.store.org(scope.org()).await?;
        let tz = org_zone(&org);
        let items = page
            .items
            .into_iter()
            .map(|r| view(r, &tz))
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn report(&self, actor: &Actor, id: courrier_domain::ReportId) -> Result<ReportView> {
        let scope = actor.scope(Permission::OrgSettings)?;
        let report = self.store.report(&scope, id).await?;
        let org = self.store.org(scope.org()).await?;
        view(report, &org_zone(&org))
    }

    /// A report's CSV, decrypted.
    pub async fn report_csv(
        &self,
        actor: &Actor,
        id: courrier_domain::ReportId,
    ) -> Result<ReportFile> {
        let view = self.report(actor, id).await?;
        let scope = actor.scope(Permission::OrgSettings)?;
        let (_, bytes) = self.read_document(&scope, view.report.document).await?;
        Ok(ReportFile {
            filename: view.filename(),
            bytes,
        })
    }

    /// Writes the CSV of the letters submitted in `[from, to)`, reading them
    /// in chunks, and stores it encrypted; returns the document and its rows.
    async fn write_report_csv(
        &self,
        scope: &OrgScope,
        org: &OrgRecord,
        tz: &TimeZone,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(uuid::Uuid, i32)> {
        let decimal = decimal_separator(&org.country);
        let mut csv = csv_header();
        let mut rows: usize = 0;
        let mut after = None;
        loop {
            let chunk = self
                .store
                .letters_in_period(scope, from, to, after, PERIOD_CHUNK)
                .await?;
            for l in &chunk {
                push_letter(&mut csv, l, tz, decimal);
            }
            rows += chunk.len();
            match chunk.last() {
                Some(last) if chunk.len() >= PERIOD_CHUNK as usize => {
                    after = last.submitted_at.map(|t| (t, last.id));
                    if after.is_none() {
                        break;
                    }
                }
                _ => break,
            }
        }
        let document = self
            .store_document(scope, csv.as_bytes(), CONTENT_TYPE)
            .await?;
        Ok((document, i32::try_from(rows).unwrap_or(i32::MAX)))
    }

    /// Shreds a document that no report came to use.
    async fn discard_document(&self, scope: &OrgScope, document: uuid::Uuid) {
        if let Err(e) = self.shred_document(scope, document).await {
            tracing::warn!(%document, error = %e, "could not shred an unused report document");
        }
    }

    /// Sends the reports of every due schedule (at most [`DUE_BATCH`]);
    /// returns how many schedules were handled. A schedule that fails is
    /// logged and tried again an hour later; the others go on.
    pub async fn send_scheduled_reports(&self, now: Timestamp) -> Result<usize> {
        let due = self.store.due_report_schedules(now, DUE_BATCH).await?;
        for schedule in &due {
            if let Err(e) = self.send_scheduled_report(schedule, now).await {
                tracing::error!(schedule = %schedule.id, org = %schedule.org, error = %e, "scheduled report failed; retrying in an hour");
                let scope = OrgScope::system(schedule.org, SYSTEM_ACTOR);
                self.store
                    .advance_report_schedule(
                        &scope,
                        schedule.id,
                        now.plus_seconds(RETRY_AFTER_SECS),
                    )
                    .await?;
            }
        }
        Ok(due.len())
    }

    /// Makes and e-mails one schedule's report of the last full period, once.
    async fn send_scheduled_report(
        &self,
        schedule: &ReportScheduleRecord,
        now: Timestamp,
    ) -> Result<()> {
        let scope = OrgScope::system(schedule.org, SYSTEM_ACTOR);
        let org = self.store.org(schedule.org).await?;
        let tz = org_zone(&org);
        let period = previous_period(schedule.frequency, now, &tz)?;
        if self
            .store
            .scheduled_report_for(&scope, schedule.id, period.from)
            .await?
            .is_some()
        {
            // Made and e-mailed already (the job ran again): only move on.
            return Ok(self
                .store
                .advance_report_schedule(&scope, schedule.id, period.next_run_at)
                .await?);
        }
        let (document, rows) = self
            .write_report_csv(&scope, &org, &tz, period.from, period.to)
            .await?;
        let report = ReportRecord {
            id: courrier_domain::ReportId::random(),
            org: org.id,
            schedule: Some(schedule.id),
            period_from: period.from,
            period_to: period.to,
            document,
            rows,
            created_at: now,
        };
        let text = report_ready(
            self.report_locale(schedule).await?,
            &org.name,
            schedule.frequency,
            period.first_day,
            period.last_day,
            &self.report_link(report.id),
        );
        let (email, job) = self.outbox_email(&schedule.recipient, text, now);
        let delivery = ReportDelivery {
            email: &email,
            job: &job,
            next_run_at: period.next_run_at,
        };
        match self
            .store
            .create_scheduled_report(&scope, &report, &delivery, now)
            .await
        {
            Ok(()) => {
                tracing::info!(schedule = %schedule.id, report = %report.id, rows, "scheduled report sent");
                Ok(())
            }
            Err(StoreError::Conflict {
                what: codes::REPORT_EXISTS,
            }) => {
                // Another worker made it meanwhile: this copy is not needed.
                self.discard_document(&scope, document).await;
                Ok(self
                    .store
                    .advance_report_schedule(&scope, schedule.id, period.next_run_at)
                    .await?)
            }
            Err(e) => {
                self.discard_document(&scope, document).await;
                Err(e.into())
            }
        }
    }

    /// The language of a report's e-mail: the recipient's when they are a
    /// person of the organisation, else that of who set the schedule up,
    /// else English.
    async fn report_locale(&self, schedule: &ReportScheduleRecord) -> Result<Locale> {
        if let Some(u) = self.store.user_by_email(&schedule.recipient).await?
            && u.org == schedule.org
        {
            return Ok(Locale::from_tag(&u.locale));
        }
        let author = schedule
            .created_by
            .strip_prefix("user:")
            .and_then(|u| u.parse::<UserId>().ok());
        if let Some(author) = author {
            match self.store.user(author).await {
                Ok(u) if u.org == schedule.org => return Ok(Locale::from_tag(&u.locale)),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Locale::En)
    }
}

fn view(report: ReportRecord, tz: &TimeZone) -> Result<ReportView> {
    let first_day = day_of(report.period_from, tz)?;
    let last_day = day_of(report.period_to, tz)?
        .yesterday()
        .map_err(internal)?;
    Ok(ReportView {
        report,
        first_day,
        last_day,
    })
}

impl App {
    /// The recurring job: sends the due reports, again right away after a
    /// full batch, else in [`SEND_EVERY_SECS`].
    pub(crate) async fn scheduled_reports_job(&self, now: Timestamp) -> Result<Outcome> {
        let n = self.send_scheduled_reports(now).await?;
        let next = if n >= DUE_BATCH as usize {
            now
        } else {
            now.plus_seconds(SEND_EVERY_SECS)
        };
        Ok(Outcome::Done { next: Some(next) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn zurich() -> TimeZone {
        TimeZone::get("Europe/Zurich").unwrap()
    }

    fn at(s: &str, tz: &TimeZone) -> Timestamp {
        let dt: jiff::civil::DateTime = s.parse().unwrap();
        Timestamp::from_millis(tz.to_zoned(dt).unwrap().timestamp().as_millisecond())
    }

    #[test]
    fn periods_are_local_days_weeks_and_months() {
        let d = date(2026, 1, 1); // a Thursday
        assert_eq!(
            period_containing(ReportFrequency::Daily, d).unwrap(),
            (d, date(2026, 1, 2))
        );
        assert_eq!(
            period_containing(ReportFrequency::Weekly, d).unwrap(),
            (date(2025, 12, 29), date(2026, 1, 5))
        );
        assert_eq!(
            period_containing(ReportFrequency::Weekly, date(2026, 1, 5)).unwrap(),
            (date(2026, 1, 5), date(2026, 1, 12)),
            "a Monday starts its own week"
        );
        assert_eq!(
            period_containing(ReportFrequency::Monthly, date(2024, 2, 29)).unwrap(),
            (date(2024, 2, 1), date(2024, 3, 1))
        );
        let tz = zurich();
        // Monday 5 January 2026, 00:30 in Zurich (still Sunday in UTC).
        let now = at("2026-01-05T00:30", &tz);
        let week = previous_period(ReportFrequency::Weekly, now, &tz).unwrap();
        assert_eq!(
            (week.first_day, week.last_day),
            (date(2025, 12, 29), date(2026, 1, 4))
        );
        assert_eq!(week.from, at("2025-12-29T00:00", &tz));
        assert_eq!(week.to, at("2026-01-05T00:00", &tz));
        assert_eq!(week.next_run_at, at("2026-01-12T00:00", &tz));
        assert_eq!(week.to.millis() - week.from.millis(), 7 * 86_400_000);
        let month = previous_period(ReportFrequency::Monthly, now, &tz).unwrap();
        assert_eq!(
            (month.first_day, month.last_day),
            (date(2025, 12, 1), date(2025, 12, 31))
        );
        assert_eq!(month.next_run_at, at("2026-02-01T00:00", &tz));
        // A day across the switch to summer time has 23 hours.
        let day =
            previous_period(ReportFrequency::Daily, at("2026-03-30T08:00", &tz), &tz).unwrap();
        assert_eq!(day.first_day, date(2026, 3, 29));
        assert_eq!(day.to.millis() - day.from.millis(), 23 * 3_600_000);
        assert_eq!(
            first_run_at(ReportFrequency::Monthly, at("2026-01-15T12:00", &tz), &tz).unwrap(),
            at("2026-02-01T00:00", &tz)
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_disarmed() {
        let mut out = String::new();
        push_text(&mut out, "=HYPERLINK(\"x\")");
        assert_eq!(out, "\"'=HYPERLINK(\"\"x\"\")\"");
        let mut out = String::new();
        push_text(&mut out, "Dupont; fils");
        assert_eq!(out, "\"Dupont; fils\"");
        let mut out = String::new();
        push_text(&mut out, "Müller AG");
        assert_eq!(out, "Müller AG");
        assert_eq!(amount(249, '.'), "2.49");
        assert_eq!(amount(100_005, ','), "1000,05");
        assert!(csv_header().starts_with("\u{feff}letter id;created;submitted;reference;"));
        assert_eq!(CSV_COLUMNS.len(), 22);
    }

    #[test]
    fn the_email_carries_a_link_and_no_letter() {
        let en = report_ready(
            Locale::En,
            "Muster <AG>",
            ReportFrequency::Weekly,
            date(2025, 12, 29),
            date(2026, 1, 4),
            "https://x/reports/1.csv",
        );
        assert!(en.subject.contains("weekly") && en.subject.contains("2025-12-29"));
        assert!(en.text.contains("https://x/reports/1.csv"));
        assert!(en.html.contains("Muster &lt;AG&gt;"));
        let fr = report_ready(
            Locale::Fr,
            "Muster AG",
            ReportFrequency::Monthly,
            date(2025, 12, 1),
            date(2025, 12, 31),
            "https://x/reports/1.csv",
        );
        assert!(fr.subject.contains("mensuel") && fr.subject.contains("01.12.2025"));
    }
}
