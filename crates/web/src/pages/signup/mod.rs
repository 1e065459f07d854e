//! Signing up at a mail-center location: the public list of locations with
//! their plan prices (`/signup`), the sign-up form (`/signup/{location}`,
//! CSRF by double-submit cookie as on the sign-in page) and the activation
//! link (`/signup/activate/{token}`); the customer's onboarding page
//! (`/mail/onboarding`: members, identity documents, submission, one
//! history); the reviewers' view of a member with its documents and its
//! customer's history (`/reviews/members/{id}`); a member document's file
//! (`/member-documents/{id}`); and the owner's plan prices per location
//! (`/center/plans`).

use super::{Chrome, MessagePage, Problem, Screen, error_page, fail_in, render, with_cookie};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::L;
use crate::session::{CsrfForm, CsrfMultipart, Fields, MailboxActor, SignedIn, Visitor, field};
use crate::upload::UploadForm;
use crate::when::When;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courrier_app::AppError;
use courrier_app::mailbox::{HistoryEntry, MemberFile, NewSignup, SignupView};
use courrier_domain::mailbox::{
    CustomerReview, DocumentSide, IdentityDocumentKind, Plan, parse_price,
};
use courrier_domain::{Invalid, Locale, LocationId, MailboxId, Permission};
use courrier_store::{LocationRecord, MemberKind};
use serde::Deserialize;

mod onboarding;
mod plans;
mod public;
mod review;

pub(super) use onboarding::*;
pub(super) use plans::*;
pub(super) use public::*;
pub(super) use review::*;

/// The signup pages' routes.
pub(super) fn routes(r: crate::routes::Routes) -> crate::routes::Routes {
    r.get("/signup", list_page)
        .get("/signup/{location}", form_page)
        .post("/signup/{location}", sign_up)
        .get("/signup/activate/{token}", activate_page)
        .post("/signup/activate/{token}", activate)
        .get("/mail/onboarding", onboarding_page)
        .post("/mail/onboarding/members", add_member)
        .post("/mail/onboarding/plan", change_plan)
        .post("/mail/onboarding/again", sign_up_again)
        .upload("/mail/onboarding/members/{id}/documents", upload_document)
        .post("/mail/onboarding/members/{id}/submit", submit_member)
        .get("/member-documents/{id}", document_file)
        .get("/reviews/members/{id}", review_page)
        .get("/center/plans", plans_page)
        .post("/center/plans", set_plan)
}

const ONBOARDING: &str = "/mail/onboarding";
pub(super) const ONBOARDING_SCREEN: Screen = Screen::new("mail", ONBOARDING);
pub(super) const PLANS: Screen = Screen::new("center", "/center/plans");

fn address(location: &LocationRecord) -> String {
    location.address.join(", ")
}

struct MemberRow {
    id: String,
    name: String,
    kind: String,
    company: bool,
    review: String,
    can_upload: bool,
    can_submit: bool,
    notes: String,
    documents: Vec<DocRow>,
}

struct DocRow {
    id: String,
    label: String,
    file_name: String,
    at: String,
}

struct HistoryRow {
    at: String,
    what: String,
    who: String,
    note: String,
}
