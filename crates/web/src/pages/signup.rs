//! Signing up at a mail-center location: the public list of locations with
//! their plan prices (`/signup`), the sign-up form (`/signup/{location}`,
//! CSRF by double-submit cookie as on the sign-in page) and the activation
//! link (`/signup/activate/{token}`); the customer's onboarding page
//! (`/mail/onboarding`: members, identity documents, submission, one
//! history); the reviewers' view of a member with its documents and its
//! customer's history (`/reviews/members/{id}`); a member document's file
//! (`/member-documents/{id}`); and the owner's plan prices per location
//! (`/center/plans`).

use super::{
    Chrome, MessagePage, Problem, error_page, expected_form_token, fmt_ts, local_day, render,
    with_cookie,
};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::L;
use crate::session::{SignedIn, Visitor, check_csrf};
use crate::upload::{UploadForm, is_multipart, parse_multipart, read_request};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
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

const ONBOARDING: &str = "/mail/onboarding";

fn fail(s: &SignedIn, current: &'static str, path: &str, e: AppError) -> Response {
    let e = ApiError::from(e);
    error_page(Chrome::signed_in(s, current, path), e.status, &e)
}

fn csrf_refused(s: &SignedIn, current: &'static str, path: &str, e: &ApiError) -> Response {
    error_page(
        Chrome::signed_in(s, current, path),
        StatusCode::FORBIDDEN,
        e,
    )
}

fn pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap_or_default()
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn address(location: &LocationRecord) -> String {
    location.address.join(", ")
}

// ----- the public list and form -----

struct OfferRow {
    id: String,
    name: String,
    address: String,
    monthly: String,
    yearly: String,
}

#[derive(Template)]
#[template(path = "signup_list.html")]
struct ListPage {
    chrome: Chrome,
    offers: Vec<OfferRow>,
}

pub async fn list_page(State(st): State<AppState>, v: Visitor) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/signup");
    let offers = match st.app.signup_offers().await {
        Ok(o) => o,
        Err(e) => {
            let e = ApiError::from(e);
            return with_cookie(error_page(chrome, e.status, &e), cookie);
        }
    };
    let page = ListPage {
        chrome,
        offers: offers
            .into_iter()
            .map(|o| OfferRow {
                id: o.location.id.to_string(),
                address: address(&o.location),
                name: o.location.name,
                monthly: o.plan.monthly.to_string(),
                yearly: o.plan.yearly.to_string(),
            })
            .collect(),
    };
    with_cookie(render(&page), cookie)
}

#[derive(Template)]
#[template(path = "signup_form.html")]
struct FormPage {
    chrome: Chrome,
    id: String,
    name: String,
    address: String,
    monthly: String,
    yearly: String,
    problems: Vec<String>,
    company: String,
    contact_name: String,
    email: String,
    lang: String,
    plan: String,
    terms: bool,
}

#[derive(Deserialize, Default)]
pub struct SignupFields {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    accept_terms: String,
}

async fn form_view(
    st: &AppState,
    v: &Visitor,
    location: &str,
    fields: SignupFields,
    problems: Vec<String>,
    status: StatusCode,
) -> Response {
    let path = format!("/signup/{location}");
    let (chrome, cookie) = Chrome::visitor(v, &path);
    let offer = match location.parse::<LocationId>() {
        Ok(id) => st.app.signup_offer(id).await,
        Err(_) => Err(AppError::NotFound),
    };
    let offer = match offer {
        Ok(o) => o,
        Err(e) => {
            let e = ApiError::from(e);
            return with_cookie(error_page(chrome, e.status, &e), cookie);
        }
    };
    let lang = if fields.lang.is_empty() {
        chrome.l.lang().to_string()
    } else {
        fields.lang
    };
    let page = FormPage {
        id: offer.location.id.to_string(),
        address: address(&offer.location),
        name: offer.location.name,
        monthly: offer.plan.monthly.to_string(),
        yearly: offer.plan.yearly.to_string(),
        problems,
        company: fields.company,
        contact_name: fields.contact_name,
        email: fields.email,
        lang,
        plan: if fields.plan.is_empty() {
            "monthly".into()
        } else {
            fields.plan
        },
        terms: !fields.accept_terms.is_empty(),
        chrome,
    };
    with_cookie((status, render(&page)).into_response(), cookie)
}

pub async fn form_page(
    State(st): State<AppState>,
    v: Visitor,
    Path(location): Path<String>,
) -> Response {
    form_view(
        &st,
        &v,
        &location,
        SignupFields::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn sign_up(
    State(st): State<AppState>,
    v: Visitor,
    Path(location): Path<String>,
    axum::Form(f): axum::Form<SignupFields>,
) -> Response {
    if let Err(e) = check_csrf(&expected_form_token(&v), &f.csrf_token) {
        let (chrome, cookie) = Chrome::visitor(&v, "/signup");
        return with_cookie(error_page(chrome, StatusCode::FORBIDDEN, &e), cookie);
    }
    let l = L(v.locale);
    let new = match (location.parse::<LocationId>(), Plan::parse(&f.plan)) {
        (Err(_), _) => Err(AppError::NotFound),
        (_, Err(e)) => Err(AppError::Invalid(e)),
        (Ok(id), Ok(plan)) => Ok(NewSignup {
            location: id,
            company: f.company.clone(),
            contact_name: f.contact_name.clone(),
            email: f.email.clone(),
            locale: Locale::from_tag(&f.lang),
            plan,
            accept_terms: !f.accept_terms.is_empty(),
        }),
    };
    let result = match new {
        Ok(new) => st.app.sign_up(new, v.ip.as_deref()).await,
        Err(e) => Err(e),
    };
    match result {
        // The same answer whether or not the address had an account.
        Ok(_) => {
            let (chrome, cookie) = Chrome::visitor(&v, "/signup");
            let page = MessagePage {
                title: l.t("signup.sent_title").into(),
                body: format!("{} {}", l.t("signup.sent"), f.email.trim()),
                link: "/login".into(),
                link_label: l.t("login.title").into(),
                chrome,
            };
            with_cookie(render(&page), cookie)
        }
        Err(AppError::NotFound) => {
            let (chrome, cookie) = Chrome::visitor(&v, "/signup");
            let e = ApiError::from(AppError::NotFound);
            with_cookie(error_page(chrome, e.status, &e), cookie)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            form_view(&st, &v, &location, f, vec![l.error(&e)], status).await
        }
    }
}

#[derive(Template)]
#[template(path = "signup_activate.html")]
struct ActivatePage {
    chrome: Chrome,
    error: Option<String>,
}

pub async fn activate_page(v: Visitor) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/signup");
    with_cookie(
        render(&ActivatePage {
            chrome,
            error: None,
        }),
        cookie,
    )
}

#[derive(Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

pub async fn activate(
    State(st): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    axum::Form(f): axum::Form<ActivateForm>,
) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/signup");
    if let Err(e) = check_csrf(&expected_form_token(&v), &f.csrf_token) {
        return with_cookie(error_page(chrome, StatusCode::FORBIDDEN, &e), cookie);
    }
    let l = chrome.l;
    match st.app.activate_signup(&token, &f.password).await {
        Ok(_) => {
            let page = MessagePage {
                title: l.t("signup.activated_title").into(),
                body: l.t("signup.activated").into(),
                link: format!("/login?next={ONBOARDING}"),
                link_label: l.t("login.title").into(),
                chrome,
            };
            with_cookie(render(&page), cookie)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let page = ActivatePage {
                error: Some(l.error(&e)),
                chrome,
            };
            with_cookie((status, render(&page)).into_response(), cookie)
        }
    }
}

// ----- the customer's onboarding -----

struct DocRow {
    id: String,
    label: String,
    file_name: String,
    at: String,
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

struct HistoryRow {
    at: String,
    what: String,
    who: String,
    note: String,
}

struct SignupBlock {
    mailbox: String,
    location_id: String,
    location: String,
    plan: String,
    price: Option<String>,
    /// A cancelled plan's end (the mailbox closes then).
    plan_ends: Option<String>,
    /// The end has come: the mailbox is closed.
    plan_ended: bool,
    members: Vec<MemberRow>,
    history: Vec<HistoryRow>,
}

fn doc_label(l: L, kind: IdentityDocumentKind, side: DocumentSide) -> String {
    let kind = l.t(&format!("iddoc.{}", kind.as_str())).to_string();
    match side {
        DocumentSide::Single => kind,
        side => format!("{kind} ({})", l.t(&format!("idside.{}", side.as_str()))),
    }
}

fn history_rows(l: L, history: &[HistoryEntry]) -> Vec<HistoryRow> {
    history
        .iter()
        .map(|h| match h {
            HistoryEntry::Review { member, record } => HistoryRow {
                at: fmt_ts(record.at),
                what: format!(
                    "{} — {}",
                    l.t(&format!("reviewevent.{}", record.event)),
                    member
                ),
                who: l.t(&format!("party.{}", record.party)).to_string(),
                note: record.note.clone(),
            },
            HistoryEntry::Document { member, document } => HistoryRow {
                at: fmt_ts(document.created_at),
                what: format!(
                    "{} — {}: {}",
                    l.t("onboarding.document_added"),
                    member,
                    doc_label(l, document.kind, document.side)
                ),
                who: l.t("party.customer").to_string(),
                note: document.file_name.clone(),
            },
            HistoryEntry::Email(e) => HistoryRow {
                at: fmt_ts(e.created_at),
                what: format!(
                    "{} — {}",
                    l.t(&format!("signupmail.{}", e.kind.as_str())),
                    e.subject
                ),
                who: e.to.clone(),
                note: l.t(&format!("emailstate.{}", e.state.as_str())).to_string(),
            },
        })
        .collect()
}

fn member_rows(l: L, view: &SignupView) -> Vec<MemberRow> {
    member_rows_of(l, &view.members)
}

fn member_rows_of(l: L, members: &[MemberFile]) -> Vec<MemberRow> {
    members
        .iter()
        .map(|m| {
            let r = m.member.review;
            MemberRow {
                id: m.member.id.to_string(),
                name: m.member.name.clone(),
                kind: l
                    .t(&format!("memberkind.{}", m.member.kind.as_str()))
                    .to_string(),
                company: m.member.kind == MemberKind::Company,
                review: l.t(&format!("review.{}", r.as_str())).to_string(),
                can_upload: !r.is_final(),
                can_submit: matches!(r, CustomerReview::Draft | CustomerReview::SentBack),
                notes: m.member.notes.clone(),
                documents: m
                    .documents
                    .iter()
                    .map(|d| DocRow {
                        id: d.id.to_string(),
                        label: doc_label(l, d.kind, d.side),
                        file_name: d.file_name.clone(),
                        at: fmt_ts(d.created_at),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "onboarding.html")]
struct OnboardingPage {
    chrome: Chrome,
    signups: Vec<SignupBlock>,
    problems: Vec<Problem>,
    flash: Option<String>,
    can_act: bool,
    /// May cancel or keep the plan (`org.settings`).
    can_manage: bool,
}

async fn onboarding_view(
    st: &AppState,
    s: &SignedIn,
    problems: Vec<Problem>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let l = L(s.locale);
    let views = match st.app.my_signups(&s.actor).await {
        Ok(v) => v,
        Err(e) => return fail(s, "mail", ONBOARDING, e),
    };
    let money = s.actor.can(Permission::MoneyView);
    let now = st.app.now();
    let page = OnboardingPage {
        signups: views
            .iter()
            .map(|v| SignupBlock {
                mailbox: v.signup.mailbox.to_string(),
                location_id: v.location.id.to_string(),
                location: format!("{} — {}", v.location.name, address(&v.location)),
                plan: l.t(&format!("plan.{}", v.signup.plan.as_str())).to_string(),
                price: money.then(|| v.signup.price.to_string()),
                plan_ends: v
                    .signup
                    .plan_ends_at
                    .map(|end| local_day(end, &v.location.time_zone)),
                plan_ended: v.signup.plan_ends_at.is_some_and(|end| end <= now),
                members: member_rows(l, v),
                history: history_rows(l, &v.history),
            })
            .collect(),
        problems,
        flash,
        can_act: s.actor.can(Permission::MailboxAct),
        can_manage: s.actor.can(Permission::OrgSettings),
        chrome: Chrome::signed_in(s, "mail", ONBOARDING),
    };
    (status, render(&page)).into_response()
}

pub async fn onboarding_page(State(st): State<AppState>, s: SignedIn) -> Response {
    onboarding_view(&st, &s, Vec::new(), None, StatusCode::OK).await
}

/// Answers a form of the onboarding page: back to the page, with the
/// outcome or the problem.
async fn onboarding_outcome<T>(
    st: &AppState,
    s: &SignedIn,
    result: Result<T, AppError>,
    done: &str,
) -> Response {
    let l = L(s.locale);
    match result {
        Ok(_) => onboarding_view(st, s, Vec::new(), Some(l.t(done).into()), StatusCode::OK).await,
        Err(e @ (AppError::NotFound | AppError::Forbidden(_) | AppError::Internal(_))) => {
            fail(s, "mail", ONBOARDING, e)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            onboarding_view(st, s, vec![Problem::of(&l, &e)], None, status).await
        }
    }
}

pub async fn add_member(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, "mail", ONBOARDING, &e);
    }
    let ids = (
        field(&f, "mailbox").parse::<MailboxId>(),
        field(&f, "location").parse::<LocationId>(),
    );
    let (Ok(mailbox), Ok(location)) = ids else {
        return fail(&s, "mail", ONBOARDING, AppError::NotFound);
    };
    let kind = if field(&f, "kind") == "company" {
        MemberKind::Company
    } else {
        MemberKind::Person
    };
    let result = st
        .app
        .add_mailbox_member(&s.actor, mailbox, location, &field(&f, "name"), kind)
        .await;
    onboarding_outcome(&st, &s, result, "onboarding.member_added").await
}

async fn multipart_form(req: Request) -> Result<UploadForm, ApiError> {
    let (parts, body) = read_request(req).await?;
    if !is_multipart(&parts) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            courrier_domain::codes::REQUEST_UNSUPPORTED_MEDIA_TYPE,
            "send the form as multipart/form-data",
        ));
    }
    parse_multipart(parts, body).await
}

pub async fn upload_document(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    // Refused before the upload is read; another organisation's member is
    // not found before the form is looked at.
    if !s.actor.can(Permission::MailboxAct) {
        return fail(
            &s,
            "mail",
            ONBOARDING,
            AppError::Forbidden(Permission::MailboxAct),
        );
    }
    let form = match multipart_form(req).await {
        Ok(f) => f,
        Err(e) => return error_page(Chrome::signed_in(&s, "mail", ONBOARDING), e.status, &e),
    };
    if let Err(e) = s.check_csrf(form.field("csrf_token").unwrap_or("")) {
        return csrf_refused(&s, "mail", ONBOARDING, &e);
    }
    let Ok(member) = id.parse::<uuid::Uuid>() else {
        return fail(&s, "mail", ONBOARDING, AppError::NotFound);
    };
    if let Err(e) = st.app.member_for_upload(&s.actor, member).await {
        return fail(&s, "mail", ONBOARDING, e);
    }
    let parsed = IdentityDocumentKind::parse(form.field("kind").unwrap_or(""))
        .and_then(|k| DocumentSide::parse(form.field("side").unwrap_or("")).map(|side| (k, side)));
    let result = match parsed {
        Ok((kind, side)) => {
            st.app
                .upload_member_document(
                    &s.actor,
                    member,
                    kind,
                    side,
                    form.file_name.as_deref().unwrap_or(""),
                    form.file.as_deref().unwrap_or_default(),
                )
                .await
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    onboarding_outcome(&st, &s, result, "onboarding.document_added").await
}

pub async fn submit_member(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, "mail", ONBOARDING, &e);
    }
    let Ok(member) = id.parse::<uuid::Uuid>() else {
        return fail(&s, "mail", ONBOARDING, AppError::NotFound);
    };
    let result = st.app.submit_mailbox_member(&s.actor, member).await;
    onboarding_outcome(&st, &s, result, "onboarding.submitted").await
}

/// `POST /mail/onboarding/plan`: cancels the plan of a mailbox
/// (`action=cancel`, with the `confirm` box ticked) or keeps a cancelled one
/// (`action=keep`).
pub async fn change_plan(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, "mail", ONBOARDING, &e);
    }
    let Ok(mailbox) = field(&f, "mailbox").parse::<MailboxId>() else {
        return fail(&s, "mail", ONBOARDING, AppError::NotFound);
    };
    match field(&f, "action").as_str() {
        "cancel" if field(&f, "confirm") == "yes" => {
            let result = st.app.cancel_plan(&s.actor, mailbox).await;
            onboarding_outcome(&st, &s, result, "onboarding.plan_cancelled").await
        }
        "cancel" => {
            let e = AppError::Invalid(Invalid::new(
                "confirm",
                courrier_domain::codes::PLAN_CONFIRM_REQUIRED,
                "tick the box to confirm that the mailbox closes at the end of the plan",
            ));
            onboarding_outcome::<()>(&st, &s, Err(e), "").await
        }
        "keep" => {
            let result = st.app.keep_plan(&s.actor, mailbox).await;
            onboarding_outcome(&st, &s, result, "onboarding.plan_kept").await
        }
        _ => {
            let e = AppError::Invalid(Invalid::new(
                "action",
                courrier_domain::codes::PLAN_ACTION_INVALID,
                "choose cancel or keep",
            ));
            onboarding_outcome::<()>(&st, &s, Err(e), "").await
        }
    }
}

/// `POST /mail/onboarding/again`: takes a plan (`plan`) at a location
/// (`location`) again after the one there ended; the terms must be
/// accepted (`accept_terms`).
pub async fn sign_up_again(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, "mail", ONBOARDING, &e);
    }
    let Ok(location) = field(&f, "location").parse::<LocationId>() else {
        return fail(&s, "mail", ONBOARDING, AppError::NotFound);
    };
    let result = match Plan::parse(&field(&f, "plan")) {
        Ok(plan) => {
            st.app
                .sign_up_again(&s.actor, location, plan, field(&f, "accept_terms") == "yes")
                .await
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    onboarding_outcome(&st, &s, result, "onboarding.plan_again_done").await
}

/// A member document's file, for its customer and its reviewers.
pub async fn document_file(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return fail(&s, "mail", ONBOARDING, AppError::NotFound);
    };
    match st.app.member_document_file(&s.actor, id).await {
        Ok((doc, bytes)) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&doc.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            res
        }
        Err(e) => fail(&s, "mail", ONBOARDING, e),
    }
}

// ----- the reviewers' view -----

#[derive(Template)]
#[template(path = "member_review.html")]
struct ReviewPage {
    chrome: Chrome,
    member: MemberRow,
    customer: String,
    location: String,
    plan: String,
    history: Vec<HistoryRow>,
}

pub async fn review_page(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let path = format!("/reviews/members/{id}");
    let current = if s.actor.can(Permission::PlatformAdmin) {
        "admin"
    } else {
        "center"
    };
    let Ok(member) = id.parse::<uuid::Uuid>() else {
        return fail(&s, current, &path, AppError::NotFound);
    };
    let l = L(s.locale);
    let file = match st.app.member_file(&s.actor, member).await {
        Ok(f) => f,
        Err(e) => return fail(&s, current, &path, e),
    };
    // A member of a sign-up shows its customer's whole history; another
    // member (of a company mailbox) its own review.
    let (customer, location, plan, history) = match st.app.signup_of_member(&s.actor, member).await
    {
        Ok(mailbox) => match st.app.signup_history(&s.actor, mailbox).await {
            Ok(view) => (
                format!(
                    "{} <{}>",
                    view.signup.contact_name, view.signup.contact_email
                ),
                view.location.name.clone(),
                l.t(&format!("plan.{}", view.signup.plan.as_str()))
                    .to_string(),
                history_rows(l, &view.history),
            ),
            Err(e) => return fail(&s, current, &path, e),
        },
        Err(AppError::NotFound) => match st.app.member_history(&s.actor, member).await {
            Ok(records) => {
                let entries: Vec<HistoryEntry> = records
                    .into_iter()
                    .map(|record| HistoryEntry::Review {
                        member: file.member.name.clone(),
                        record,
                    })
                    .collect();
                (
                    String::new(),
                    String::new(),
                    String::new(),
                    history_rows(l, &entries),
                )
            }
            Err(e) => return fail(&s, current, &path, e),
        },
        Err(e) => return fail(&s, current, &path, e),
    };
    let Some(row) = member_rows_of(l, std::slice::from_ref(&file))
        .into_iter()
        .next()
    else {
        return fail(&s, current, &path, AppError::NotFound);
    };
    let page = ReviewPage {
        member: row,
        customer,
        location,
        plan,
        history,
        chrome: Chrome::signed_in(&s, current, &path),
    };
    render(&page)
}

// ----- the owner's plan prices -----

/// What `center_tabs.html` needs.
struct Site {
    id: String,
    name: String,
    money: bool,
}

struct PlanRow {
    id: String,
    name: String,
    monthly: String,
    yearly: String,
}

#[derive(Template)]
#[template(path = "center_plans.html")]
struct PlansPage {
    chrome: Chrome,
    site: Site,
    rows: Vec<PlanRow>,
    problems: Vec<String>,
    flash: Option<String>,
}

#[derive(Deserialize)]
pub struct LocQuery {
    location: Option<String>,
}

fn amount(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

async fn plans_view(
    st: &AppState,
    s: &SignedIn,
    location: Option<&str>,
    problems: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let path = "/center/plans";
    let locations = match st.app.own_locations(&s.actor).await {
        Ok(l) => l,
        Err(e) => return fail(s, "center", path, e),
    };
    let mut rows = Vec::new();
    for loc in &locations {
        let plan = match st.app.location_plan(&s.actor, loc.id).await {
            Ok(p) => p,
            Err(e) => return fail(s, "center", path, e),
        };
        rows.push(PlanRow {
            id: loc.id.to_string(),
            name: loc.name.clone(),
            monthly: plan
                .as_ref()
                .map(|p| amount(p.monthly.minor()))
                .unwrap_or_default(),
            yearly: plan
                .as_ref()
                .map(|p| amount(p.yearly.minor()))
                .unwrap_or_default(),
        });
    }
    let current = location
        .and_then(|id| locations.iter().find(|l| l.id.to_string() == id))
        .or(locations.first());
    let Some(current) = current else {
        return fail(
            s,
            "center",
            path,
            AppError::Refused(courrier_domain::codes::MAIL_LOCATION_INVALID),
        );
    };
    let page = PlansPage {
        site: Site {
            id: current.id.to_string(),
            name: current.name.clone(),
            money: s.actor.can(Permission::MoneyView),
        },
        rows,
        problems,
        flash,
        chrome: Chrome::signed_in(s, "center", path),
    };
    (status, render(&page)).into_response()
}

pub async fn plans_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    plans_view(
        &st,
        &s,
        q.location.as_deref(),
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn set_plan(State(st): State<AppState>, s: SignedIn, body: String) -> Response {
    let f = pairs(&body);
    if let Err(e) = s.check_csrf(&field(&f, "csrf_token")) {
        return csrf_refused(&s, "center", "/center/plans", &e);
    }
    let raw = field(&f, "location");
    let Ok(location) = raw.parse::<LocationId>() else {
        return fail(&s, "center", "/center/plans", AppError::NotFound);
    };
    let l = L(s.locale);
    let result = match (
        parse_price("monthly", &field(&f, "monthly")),
        parse_price("yearly", &field(&f, "yearly")),
    ) {
        (Ok(m), Ok(y)) => st.app.set_location_plan(&s.actor, location, m, y).await,
        (Err(e), _) | (_, Err(e)) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(_) => {
            plans_view(
                &st,
                &s,
                Some(&raw),
                Vec::new(),
                Some(l.t("plans.saved").into()),
                StatusCode::OK,
            )
            .await
        }
        Err(e @ (AppError::NotFound | AppError::Forbidden(_) | AppError::Internal(_))) => {
            fail(&s, "center", "/center/plans", e)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            plans_view(&st, &s, Some(&raw), vec![l.error(&e)], None, status).await
        }
    }
}
