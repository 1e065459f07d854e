//! The customer's onboarding.

use super::*;

pub(super) struct SignupBlock {
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

pub(super) fn doc_label(l: L, kind: IdentityDocumentKind, side: DocumentSide) -> String {
    let kind = l.t(&format!("iddoc.{}", kind.as_str())).to_string();
    match side {
        DocumentSide::Single => kind,
        side => format!("{kind} ({})", l.t(&format!("idside.{}", side.as_str()))),
    }
}

pub(super) fn history_rows(l: L, when: &When, history: &[HistoryEntry]) -> Vec<HistoryRow> {
    history
        .iter()
        .map(|h| match h {
            HistoryEntry::Review { member, record } => HistoryRow {
                at: when.at(record.at),
                what: format!(
                    "{} — {}",
                    l.t(&format!("reviewevent.{}", record.event)),
                    member
                ),
                who: l.t(&format!("party.{}", record.party)).to_string(),
                note: record.note.clone(),
            },
            HistoryEntry::Document { member, document } => HistoryRow {
                at: when.at(document.created_at),
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
                at: when.at(e.created_at),
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

pub(super) fn member_rows(l: L, when: &When, view: &SignupView) -> Vec<MemberRow> {
    member_rows_of(l, when, &view.members)
}

pub(super) fn member_rows_of(l: L, when: &When, members: &[MemberFile]) -> Vec<MemberRow> {
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
                        at: when.at(d.created_at),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "onboarding.html")]
pub(super) struct OnboardingPage {
    chrome: Chrome,
    signups: Vec<SignupBlock>,
    problems: Vec<Problem>,
    flash: Option<String>,
    can_act: bool,
    /// May cancel or keep the plan (`org.settings`).
    can_manage: bool,
}

pub(super) async fn onboarding_view(
    st: &AppState,
    s: &SignedIn,
    problems: Vec<Problem>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let when = s.when();
    let l = L(s.locale);
    let views = match st.app.my_signups(&s.actor).await {
        Ok(v) => v,
        Err(e) => return ONBOARDING_SCREEN.fail(s, e),
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
                    .map(|end| When::new(&v.location.time_zone, s.locale).day(end)),
                plan_ended: v.signup.plan_ends_at.is_some_and(|end| end <= now),
                members: member_rows(l, &when, v),
                history: history_rows(l, &when, &v.history),
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
pub(super) async fn onboarding_outcome<T>(
    st: &AppState,
    s: &SignedIn,
    result: Result<T, AppError>,
    done: &str,
) -> Response {
    let l = L(s.locale);
    match result {
        Ok(_) => onboarding_view(st, s, Vec::new(), Some(l.t(done).into()), StatusCode::OK).await,
        Err(e @ (AppError::NotFound | AppError::Forbidden(_) | AppError::Internal(_))) => {
            ONBOARDING_SCREEN.fail(s, e)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            onboarding_view(st, s, vec![Problem::of(&l, &e)], None, status).await
        }
    }
}

pub async fn add_member(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let ids = (
        field(&f, "mailbox").parse::<MailboxId>(),
        field(&f, "location").parse::<LocationId>(),
    );
    let (Ok(mailbox), Ok(location)) = ids else {
        return ONBOARDING_SCREEN.fail(&s, AppError::NotFound);
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

pub async fn upload_document(
    State(st): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    CsrfMultipart(form, _): CsrfMultipart<UploadForm, MailboxActor>,
) -> Response {
    let form = match form {
        Ok(f) => f,
        Err(e) => return error_page(ONBOARDING_SCREEN.chrome(&s), e.status, &e),
    };
    let Ok(member) = id.parse::<courrier_domain::MemberId>() else {
        return ONBOARDING_SCREEN.fail(&s, AppError::NotFound);
    };
    if let Err(e) = st.app.member_for_upload(&s.actor, member).await {
        return ONBOARDING_SCREEN.fail(&s, e);
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
    CsrfForm(_): CsrfForm<Fields>,
) -> Response {
    let Ok(member) = id.parse::<courrier_domain::MemberId>() else {
        return ONBOARDING_SCREEN.fail(&s, AppError::NotFound);
    };
    let result = st.app.submit_mailbox_member(&s.actor, member).await;
    onboarding_outcome(&st, &s, result, "onboarding.submitted").await
}

/// `POST /mail/onboarding/plan`: cancels the plan of a mailbox
/// (`action=cancel`, with the `confirm` box ticked) or keeps a cancelled one
/// (`action=keep`).
pub async fn change_plan(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let Ok(mailbox) = field(&f, "mailbox").parse::<MailboxId>() else {
        return ONBOARDING_SCREEN.fail(&s, AppError::NotFound);
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
pub async fn sign_up_again(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let Ok(location) = field(&f, "location").parse::<LocationId>() else {
        return ONBOARDING_SCREEN.fail(&s, AppError::NotFound);
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
        return ONBOARDING_SCREEN.fail(&s, AppError::NotFound);
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
        Err(e) => ONBOARDING_SCREEN.fail(&s, e),
    }
}
