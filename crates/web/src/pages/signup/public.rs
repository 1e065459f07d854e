//! The public list and form.

use super::*;

pub(super) struct OfferRow {
    id: String,
    name: String,
    address: String,
    monthly: String,
    yearly: String,
}

#[derive(Template)]
#[template(path = "signup_list.html")]
pub(super) struct ListPage {
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
pub(super) struct FormPage {
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

pub(super) async fn form_view(
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
    CsrfForm(f): CsrfForm<SignupFields>,
) -> Response {
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
pub(super) struct ActivatePage {
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
}

pub async fn activate(
    State(st): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    CsrfForm(f): CsrfForm<ActivateForm>,
) -> Response {
    let (chrome, cookie) = Chrome::visitor(&v, "/signup");
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
