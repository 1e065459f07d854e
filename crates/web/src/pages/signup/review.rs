//! The reviewers' view.

use super::*;

#[derive(Template)]
#[template(path = "member_review.html")]
pub(super) struct ReviewPage {
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
    let when = s.when();
    let path = format!("/reviews/members/{id}");
    let current = if s.actor.can(Permission::PlatformAdmin) {
        "admin"
    } else {
        "center"
    };
    let Ok(member) = id.parse::<courrier_domain::MemberId>() else {
        return fail_in(Chrome::signed_in(&s, current, &path), AppError::NotFound);
    };
    let l = L(s.locale);
    let file = match st.app.member_file(&s.actor, member).await {
        Ok(f) => f,
        Err(e) => return fail_in(Chrome::signed_in(&s, current, &path), e),
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
                history_rows(l, &when, &view.history),
            ),
            Err(e) => return fail_in(Chrome::signed_in(&s, current, &path), e),
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
                    history_rows(l, &when, &entries),
                )
            }
            Err(e) => return fail_in(Chrome::signed_in(&s, current, &path), e),
        },
        Err(e) => return fail_in(Chrome::signed_in(&s, current, &path), e),
    };
    let Some(row) = member_rows_of(l, &when, std::slice::from_ref(&file))
        .into_iter()
        .next()
    else {
        return fail_in(Chrome::signed_in(&s, current, &path), AppError::NotFound);
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
