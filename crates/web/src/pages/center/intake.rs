//! Intake.

use super::*;

pub(super) struct RecipientRow {
    id: String,
    name: String,
    kind: String,
    review: String,
    mailbox: String,
    receives: bool,
}

#[derive(Template)]
#[template(path = "center_intake.html")]
pub(super) struct IntakePage {
    chrome: Chrome,
    site: Site,
    q: String,
    recipients: Vec<RecipientRow>,
    kinds: Vec<Choice>,
    formats: Vec<Choice>,
    contents: Vec<Choice>,
    problems: Vec<Problem>,
    flash: Option<(bool, String, String)>,
    items: Vec<ItemRow>,
    /// Today at the location, the default day of receipt.
    today: String,
}

pub(super) async fn intake_view(
    st: &AppState,
    s: &SignedIn,
    loc: &LocationRecord,
    q: &str,
    problems: Vec<Problem>,
    flash: Option<(bool, String, String)>,
    status: StatusCode,
) -> Response {
    let when = s.when();
    let l = L(s.locale);
    let name = Some(q.trim()).filter(|n| !n.is_empty());
    let recipients = match st.app.location_recipients(&s.actor, loc.id, name).await {
        Ok(r) => r,
        Err(e) => return CENTER.fail(s, e),
    };
    let items = match st.app.intake_today(&s.actor, loc.id).await {
        Ok(i) => i,
        Err(e) => return CENTER.fail(s, e),
    };
    let today = match st.app.intake_day(&s.actor, loc.id).await {
        Ok(d) => d.day,
        Err(e) => return CENTER.fail(s, e),
    };
    let page = IntakePage {
        today,
        site: site(s, loc),
        q: q.to_string(),
        recipients: recipients
            .into_iter()
            .map(|r| RecipientRow {
                id: r.member.id.to_string(),
                name: r.member.name.clone(),
                kind: l
                    .t(&format!("memberkind.{}", r.member.kind.as_str()))
                    .to_string(),
                review: l
                    .t(&format!("review.{}", r.member.review.as_str()))
                    .to_string(),
                mailbox: l
                    .t(&format!("mailboxstate.{}", r.mailbox_state.as_str()))
                    .to_string(),
                receives: r.member.review == CustomerReview::Approved
                    && r.mailbox_state.accepts_mail(),
            })
            .collect(),
        kinds: ItemKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str(),
                label: l.t(&format!("mailkind.{}", k.as_str())).to_string(),
                selected: *k == ItemKind::Letter,
            })
            .collect(),
        formats: ItemFormat::ALL
            .iter()
            .map(|f| Choice {
                value: f.as_str(),
                label: l.t(&format!("mailformat.{}", f.as_str())).to_string(),
                selected: *f == ItemFormat::A4,
            })
            .collect(),
        contents: ContentFlag::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: l.t(&format!("mailcontent.{}", c.as_str())).to_string(),
                selected: false,
            })
            .collect(),
        problems,
        flash,
        items: items
            .into_iter()
            .map(|i| item_row(l, &when, i, Vec::new()))
            .collect(),
        chrome: Chrome::signed_in(s, "center", "/center/intake"),
    };
    (status, render(&page)).into_response()
}

pub async fn intake_page(
    State(st): State<AppState>,
    s: SignedIn,
    Query(q): Query<LocQuery>,
) -> Response {
    let loc = match location(&st, &s, q.location.as_deref()).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    intake_view(
        &st,
        &s,
        &loc,
        q.q.as_deref().unwrap_or(""),
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

pub(super) fn intake_input(form: &UploadForm) -> Result<IntakeInput, AppError> {
    let get = |n: &str| form.field(n).unwrap_or("").trim().to_string();
    let recipient = match get("recipient").as_str() {
        "" | "unlisted" => Recipient::Unlisted(get("unlisted_name")),
        member => Recipient::Member(member.parse::<courrier_domain::MemberId>().map_err(|_| {
            invalid(
                "recipient",
                courrier_domain::codes::MAIL_MEMBER_INVALID,
                "choose a recipient",
            )
        })?),
    };
    let weight: u32 = get("weight").parse().map_err(|_| {
        invalid(
            "weight",
            courrier_domain::codes::MAIL_WEIGHT_INVALID,
            "give the weight in grams",
        )
    })?;
    let mut contents = ContentFlags::NONE;
    for (_, v) in form.fields.iter().filter(|(k, _)| k == "content") {
        contents = contents.with(ContentFlag::parse(v.trim())?);
    }
    let on = |n: &str| !get(n).is_empty();
    Ok(IntakeInput {
        recipient,
        envelope_photo: form
            .file
            .as_ref()
            .filter(|f| !f.is_empty())
            .map(|f| f.to_vec()),
        kind: ItemKind::parse(&get("kind"))?,
        format: ItemFormat::parse(&get("format"))?,
        weight: Grams::new(weight)?,
        registered: on("registered"),
        contains_object: on("contains_object"),
        advertising: on("advertising"),
        contents,
        sender: Some(get("sender")).filter(|s| !s.is_empty()),
        received_on: Some(get("received_on")).filter(|s| !s.is_empty()),
    })
}

pub async fn log_item(
    State(st): State<AppState>,
    s: SignedIn,
    CsrfMultipart(form, _): CsrfMultipart<UploadForm, CenterOperator>,
) -> Response {
    let form = match form {
        Ok(f) => f,
        Err(e) => return error_page(CENTER.chrome(&s), e.status, &e),
    };
    let loc = match location(&st, &s, form.field("location")).await {
        Ok(l) => l,
        Err(e) => return CENTER.fail(&s, e),
    };
    let l = L(s.locale);
    let result = match intake_input(&form) {
        Ok(input) => st.app.log_item(&s.actor, loc.id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(outcome) => {
            let id = outcome.item.id.to_string();
            let flash = match outcome.refused {
                Some(why) => (false, id, format!("{} {why}", l.t("intake.refused"))),
                None => {
                    let mut text = l.t("intake.received").to_string();
                    match outcome.automatic {
                        Some(Ok(_)) => {
                            text.push_str(" · ");
                            text.push_str(&l.t("intake.rule_ran"));
                        }
                        Some(Err(e)) => {
                            text.push_str(" · ");
                            text.push_str(&error_text(l, e));
                        }
                        None => {}
                    }
                    (true, id, text)
                }
            };
            intake_view(&st, &s, &loc, "", Vec::new(), Some(flash), StatusCode::OK).await
        }
        Err(e) if is_page_error(&e) => CENTER.fail(&s, e),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            intake_view(&st, &s, &loc, "", vec![Problem::of(&l, &e)], None, status).await
        }
    }
}

/// The envelope photo for the operator's lists.
pub async fn envelope(State(st): State<AppState>, s: SignedIn, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<MailItemId>() else {
        return CENTER.fail(&s, AppError::NotFound);
    };
    match st
        .app
        .mail_item_file(&s.actor, id, courrier_app::mailbox::ItemFile::Envelope)
        .await
    {
        Ok((doc, bytes)) => file_response(&doc.content_type, bytes),
        Err(e) => CENTER.fail(&s, e),
    }
}
