//! The owner's plan prices.

use super::*;

/// What `center_tabs.html` needs.
pub(super) struct Site {
    id: String,
    name: String,
    money: bool,
}

pub(super) struct PlanRow {
    id: String,
    name: String,
    monthly: String,
    yearly: String,
}

#[derive(Template)]
#[template(path = "center_plans.html")]
pub(super) struct PlansPage {
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

pub(super) fn amount(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

pub(super) async fn plans_view(
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
        Err(e) => return fail_in(Chrome::signed_in(s, "center", path), e),
    };
    let mut rows = Vec::new();
    for loc in &locations {
        let plan = match st.app.location_plan(&s.actor, loc.id).await {
            Ok(p) => p,
            Err(e) => return fail_in(Chrome::signed_in(s, "center", path), e),
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
        return fail_in(
            Chrome::signed_in(s, "center", path),
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

pub async fn set_plan(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let raw = field(&f, "location");
    let Ok(location) = raw.parse::<LocationId>() else {
        return PLANS.fail(&s, AppError::NotFound);
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
            PLANS.fail(&s, e)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            plans_view(&st, &s, Some(&raw), vec![l.error(&e)], None, status).await
        }
    }
}
