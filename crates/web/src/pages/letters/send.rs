//! Sending a letter.

use super::*;

#[derive(Template)]
#[template(path = "letters_new.html")]
pub(super) struct NewPage {
    chrome: Chrome,
    problems: Vec<Problem>,
    form: OptionForm,
    /// The letterhead goes under every page (else the first).
    letterhead_all: bool,
}

pub(super) fn new_view(
    s: &SignedIn,
    o: &LetterOptions,
    errors: Vec<ErrorItem>,
    status: StatusCode,
) -> Response {
    let chrome = Chrome::signed_in(s, "letters", "/letters/new");
    let l = chrome.l;
    let page = NewPage {
        problems: problems(l, errors),
        form: option_form(l, o),
        letterhead_all: matches!(o.background_scope.as_deref(), Some("all" | "all_pages")),
        chrome,
    };
    (status, render(&page)).into_response()
}

pub async fn new_page(s: SignedIn) -> Response {
    if !s.actor.can(Permission::LettersSend) {
        return LETTERS.fail(&s, AppError::Forbidden(Permission::LettersSend));
    }
    new_view(&s, &LetterOptions::default(), Vec::new(), StatusCode::OK)
}

/// The upload form: checks, prices and stores the letter as a draft, then
/// shows it; a refusal shows the form again with every problem.
pub async fn upload(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfMultipart(form, _): CsrfMultipart<UploadForm, LetterSender>,
) -> Response {
    let none = LetterOptions::default();
    let form = match form {
        Ok(f) => f,
        Err(e) => return new_view(&s, &none, problems_of(&e), e.status),
    };
    let mut options = options_from(|name| form.field(name).map(str::to_string));
    // The form always sends its letterhead choice; without a letterhead
    // file it means nothing.
    if !form
        .extra_files
        .iter()
        .any(|(name, _, bytes)| name == "background" && !bytes.is_empty())
    {
        options.background_scope = None;
    }
    let Some(pdf) = form.file.as_ref().filter(|f| !f.is_empty()) else {
        let e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            courrier_domain::codes::UPLOAD_FILE_MISSING,
            "choose a PDF file",
        )
        .with_field("file");
        return new_view(&s, &options, problems_of(&e), e.status);
    };
    let result = match letter_input_with_files(&options, &form.extra_files) {
        Ok(input) => st.app.create_letter(&s.actor, pdf, &input, false).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/letters/{}", p.record.id)).into_response(),
        Err(e) if is_page_error(&e) => LETTERS.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            new_view(&s, &options, problems_of(&e), e.status)
        }
    }
}
