//! The mail center's web app (permission `mailcenter.operate`; fees only
//! with `money.view`, which clerks do not have): the daily checklist, intake
//! at the counter (find the recipient among the location's members, photo
//! of the envelope from a file or the phone camera, kind, format, weight,
//! flags; mail for anyone else is recorded as refused), the task queue by
//! deadline with overdue tasks marked and their completions (a scan is
//! uploaded as a PDF or an image), the verification queue of members
//! (approve, send back or reject, always with a note; more than 48 hours
//! waiting stands out) and pickups at the counter with the ID check.
//! Pages of one location: `?location=` picks one, else the first.

use super::mailbox::{
    Choice, ItemRow, action_label, error_text, file_response, item_row, state_label,
};
use super::{Chrome, Problem, Screen, error_page, is_page_error, render};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::L;
use crate::session::{CenterOperator, CsrfForm, CsrfMultipart, Fields, SignedIn, field};
use crate::upload::{ScanForm, UploadForm};
use crate::when::When;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courrier_app::AppError;
use courrier_app::mailbox::{Completion, IntakeDay, IntakeInput, NewPickup, Recipient};
use courrier_domain::mailbox::{
    ContentFlag, ContentFlags, CustomerReview, Grams, ItemEvent, ItemFormat, ItemKind, ReviewEvent,
    is_approval_overdue, transition,
};
use courrier_domain::{
    Invalid, LocationId, MailItemId, Money, OrgId, Permission, TaskId, Timestamp,
};
use courrier_store::{LocationRecord, TaskFilter, TaskState};
use serde::Deserialize;

mod dashboard;
mod intake;
mod pickups;
mod reviews;
mod tasks;

pub(super) use dashboard::*;
pub(super) use intake::*;
pub(super) use pickups::*;
pub(super) use reviews::*;
pub(super) use tasks::*;

/// The center pages' routes.
pub(super) fn routes(r: crate::routes::Routes) -> crate::routes::Routes {
    r.get("/center", dashboard)
        .post("/center/count", record_count)
        .get("/center/intake", intake_page)
        .upload("/center/intake", log_item)
        .get("/center/items/{id}/envelope", envelope)
        .get("/center/tasks", tasks_page)
        .upload("/center/tasks/{id}/complete", complete_task)
        .get("/center/reviews", reviews_page)
        .post("/center/reviews/{id}", review_member)
        .get("/center/pickups", pickups_page)
        .post("/center/pickups", create_pickup)
}

pub(super) const CENTER: Screen = Screen::new("center", "/center");

/// When a member reached the mail center's review: its pre-approval (the
/// 48 h run from there).
fn review_since(m: &courrier_store::MemberRecord) -> Timestamp {
    m.pre_approved_at.unwrap_or(m.updated_at)
}

/// How far back the pickup counter looks for a customer's items.
const PICKUP_LOOKBACK_SECS: i64 = 90 * 86_400;

fn invalid(field: &'static str, code: courrier_domain::Code, message: &str) -> AppError {
    AppError::Invalid(Invalid::new(field, code, message))
}

#[derive(Deserialize, Default)]
pub struct LocQuery {
    location: Option<String>,
    q: Option<String>,
    all: Option<String>,
    customer: Option<String>,
    done: Option<String>,
}

/// The location the page is about: the one asked for, else the first.
async fn location(
    st: &AppState,
    s: &SignedIn,
    raw: Option<&str>,
) -> Result<LocationRecord, AppError> {
    let all = st.app.own_locations(&s.actor).await?;
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => {
            let id: LocationId = raw.parse().map_err(|_| AppError::NotFound)?;
            all.into_iter()
                .find(|l| l.id == id)
                .ok_or(AppError::NotFound)
        }
        None => all.into_iter().next().ok_or(AppError::Refused(
            courrier_domain::codes::MAIL_LOCATION_INVALID,
        )),
    }
}

/// The tabs and the location switch every operator page shows.
pub struct Site {
    pub id: String,
    pub name: String,
    pub money: bool,
}

fn site(s: &SignedIn, loc: &LocationRecord) -> Site {
    Site {
        id: loc.id.to_string(),
        name: loc.name.clone(),
        money: s.actor.can(Permission::MoneyView),
    }
}

/// `2.50` or `2,50` in minor units.
fn parse_amount(raw: &str) -> Option<i64> {
    let raw = raw.trim().replace(',', ".");
    if raw.is_empty() {
        return Some(0);
    }
    let (whole, frac) = raw.split_once('.').unwrap_or((raw.as_str(), ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 9
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("2.50"), Some(250));
        assert_eq!(parse_amount("2,5"), Some(250));
        assert_eq!(parse_amount("7"), Some(700));
        assert_eq!(parse_amount(""), Some(0));
        assert_eq!(parse_amount("1.234"), None);
        assert_eq!(parse_amount("-1"), None);
        assert_eq!(parse_amount("."), None);
    }
}
