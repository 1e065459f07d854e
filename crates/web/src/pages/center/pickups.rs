//! Pickups.

use super::*;

pub(super) struct CustomerChoice {
    id: String,
    name: String,
    selected: bool,
}

pub(super) struct PickupItem {
    id: String,
    received: String,
    sender: String,
    state: String,
    thumb: bool,
}

#[derive(Template)]
#[template(path = "center_pickups.html")]
pub(super) struct PickupsPage {
    chrome: Chrome,
    site: Site,
    customers: Vec<CustomerChoice>,
    customer: String,
    items: Vec<PickupItem>,
    problems: Vec<String>,
    flash: Option<String>,
}

pub(super) async fn pickups_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    customer: Option<OrgId>,
    problems: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let when = s.when();
    let l = L(s.locale);
    let recipients = match st.app.location_recipients(&s.actor, loc.id, None).await {
        Ok(r) => r,
        Err(e) => return CENTER.fail(s, e),
    };
    let mut customers: Vec<CustomerChoice> = Vec::new();
    for r in &recipients {
        let id = r.member.org.to_string();
        if !customers.iter().any(|c| c.id == id) {
            customers.push(CustomerChoice {
                selected: customer == Some(r.member.org),
                id,
                name: r.member.name.clone(),
            });
        }
    }
    let mut items = Vec::new();
    if let Some(org) = customer {
        let now = st.app.now();
        let result = st
            .app
            .location_items_between(
                &s.actor,
                loc.id,
                now.plus_seconds(-PICKUP_LOOKBACK_SECS),
                now.plus_seconds(86_400),
            )
            .await;
        match result {
            Ok(list) => {
                items = list
                    .into_iter()
                    .filter(|i| {
                        i.org == Some(org) && transition(i.state, ItemEvent::PickUp).is_ok()
                    })
                    .map(|i| PickupItem {
                        id: i.id.to_string(),
                        received: when.at(i.received_at),
                        sender: i.item.sender.clone().unwrap_or_else(|| "—".into()),
                        state: state_label(l, i.state),
                        thumb: i.envelope_document.is_some(),
                    })
                    .collect();
            }
            Err(e) => return CENTER.fail(s, e),
        }
    }
    let page = PickupsPage {
        site: site(s, loc),
        customers,
        customer: customer.map(|c| c.to_string()).unwrap_or_default(),
        items,
        problems,
        flash,
        chrome: Chrome::signed_in(s, "center", "/center/pickups"),
    };
    (status, render(&page)).into_response()
}

pub async fn pickups_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    let loc = match location(&st, &s, q.location.as_deref()).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    let customer = match q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(raw) => match raw.parse::<OrgId>() {
            Ok(c) => Some(c),
            Err(_) => return CENTER.fail(&s, AppError::NotFound),
        },
        None => None,
    };
    pickups_view(&st, &s, &loc, customer, Vec::new(), None, StatusCode::OK).await
}

pub async fn create_pickup(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfForm(f): CsrfForm<Fields>,
) -> Response {
    let loc = match location(&st, &s, Some(&field(&f, "location"))).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    let Ok(customer) = field(&f, "customer").trim().parse::<OrgId>() else {
        return CENTER.fail(&s, AppError::NotFound);
    };
    let l = L(s.locale);
    let mut items = Vec::new();
    for (_, v) in f.iter().filter(|(k, _)| k == "item") {
        match v.trim().parse::<MailItemId>() {
            Ok(id) => items.push(id),
            Err(_) => return CENTER.fail(&s, AppError::NotFound),
        }
    }
    let result = match parse_amount(&field(&f, "fees")) {
        Some(fees) => {
            st.app
                .create_pickup(
                    &s.actor,
                    loc.id,
                    NewPickup {
                        customer,
                        items,
                        id_document_type: field(&f, "id_document_type"),
                        id_last_digits: field(&f, "id_last_digits"),
                        fees: Money::new(fees, s.ctx.org.currency),
                    },
                )
                .await
        }
        None => Err(invalid(
            "fees",
            courrier_domain::codes::MAIL_PICKUP_INVALID,
            "give the fees, such as 2.50",
        )),
    };
    match result {
        Ok(p) => {
            let text = format!(
                "{} {} · {} · {} …{}",
                l.t("pickups.done"),
                p.items.len(),
                p.id,
                p.id_document_type,
                p.id_last_digits
            );
            pickups_view(
                &st,
                &s,
                &loc,
                Some(customer),
                Vec::new(),
                Some(text),
                StatusCode::OK,
            )
            .await
        }
        Err(e) if is_page_error(&e) => CENTER.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            pickups_view(
                &st,
                &s,
                &loc,
                Some(customer),
                vec![l.error(&e)],
                None,
                status,
            )
            .await
        }
    }
}
