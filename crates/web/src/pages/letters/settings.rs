//! The organisation's letter settings.

use super::*;

pub(super) struct PersonRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "letters_settings.html")]
pub(super) struct SettingsPage {
    chrome: Chrome,
    problems: Vec<Problem>,
    saved: bool,
    people: Vec<PersonRow>,
    retention_days: String,
    purge_after_print: bool,
    windows: Vec<Choice>,
    return_address: String,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub(super) async fn settings_view(
    st: &AppState,
    s: &SignedIn,
    settings: &LetterSettings,
    retention_text: Option<String>,
    errors: Vec<ErrorItem>,
    status: StatusCode,
    saved: bool,
) -> Response {
    let mut people = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match st.app.list_users(&s.actor, cursor.as_deref(), 200).await {
            Ok(p) => p,
            Err(e) => return LETTERS.fail(s, e),
        };
        people.extend(page.items.into_iter().map(|u| PersonRow {
            id: u.id.to_string(),
            checked: settings.approval_required_for.contains(&u.id),
            name: u.display_name,
            email: u.email.to_string(),
            role: u.role.as_str(),
        }));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let chrome = Chrome::signed_in(s, "letters", "/org/letters");
    let l = chrome.l;
    let window = if settings.window_standard == "right_window" {
        "right"
    } else {
        settings.window_standard.as_str()
    };
    let page = SettingsPage {
        problems: problems(l, errors),
        saved,
        people,
        retention_days: retention_text.unwrap_or_else(|| settings.retention_days.to_string()),
        purge_after_print: settings.purge_after_print,
        windows: choices(
            l,
            &courrier_app::preview::WINDOW_STANDARDS,
            "window",
            window,
        ),
        return_address: settings.return_address.clone(),
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn settings_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<SavedQuery>,
) -> Response {
    match st.app.letter_settings(&s.actor).await {
        Ok(settings) => {
            settings_view(
                &st,
                &s,
                &settings,
                None,
                Vec::new(),
                StatusCode::OK,
                q.saved.is_some(),
            )
            .await
        }
        Err(e) => LETTERS.fail(&s, e),
    }
}

/// The settings form repeats `approval` (one per person ticked), so it is read as pairs.
pub async fn save_settings(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(pairs): CsrfForm<Fields>,
) -> Response {
    // Refused before the form is used.
    if !s.actor.can(Permission::OrgSettings) {
        return LETTERS.fail(&s, AppError::Forbidden(Permission::OrgSettings));
    }
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let approval_required_for: Vec<UserId> = pairs
        .iter()
        .filter(|(k, _)| k == "approval")
        .filter_map(|(_, v)| match v.parse::<UserId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(ErrorItem {
                    code: "letter.approval_user_unknown".into(),
                    message: format!("{v} is not a person of your organisation"),
                    field: "approval_required_for".into(),
                });
                None
            }
        })
        .collect();
    let retention_text = field("retention_days");
    let retention_days = match retention_text.trim().parse::<i32>() {
        Ok(d) => d,
        Err(_) => {
            errors.push(ErrorItem {
                code: "letter.retention_invalid".into(),
                message: "keep documents between 1 and 3650 days".into(),
                field: "retention_days".into(),
            });
            0
        }
    };
    let settings = LetterSettings {
        approval_required_for,
        retention_days,
        purge_after_print: matches!(field("purge_after_print").as_str(), "on" | "true" | "1"),
        window_standard: field("window_standard"),
        return_address: field("return_address"),
    };
    if !errors.is_empty() {
        return settings_view(
            &st,
            &s,
            &settings,
            Some(retention_text),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
        )
        .await;
    }
    match st.app.set_letter_settings(&s.actor, &settings).await {
        Ok(()) => Redirect::to("/org/letters?saved=1").into_response(),
        Err(e) if is_page_error(&e) => LETTERS.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            settings_view(
                &st,
                &s,
                &settings,
                Some(retention_text),
                problems_of(&e),
                e.status,
                false,
            )
            .await
        }
    }
}
