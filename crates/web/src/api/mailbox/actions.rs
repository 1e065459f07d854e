//! What a customer asks of their mail: actions on items, with their results.

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionsIn {
    /// 1 to 200 different item ids.
    pub items: Vec<String>,
    /// scan, forward, shred, recycle, hold_for_pickup, local_delivery,
    /// paper_original or mark_handled.
    pub action: String,
    /// For a forward: the address, one line each.
    #[serde(default)]
    pub address: Vec<String>,
    /// For a forward: ISO 3166 country of the address (default CH).
    pub country: Option<String>,
}

/// What became of one item of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResultOut {
    pub item_id: String,
    /// `task` (the mail center will do it by the deadline),
    /// `forwarded_instead` (the item cannot be scanned: it is forwarded to
    /// the mailbox address), `done` (marked handled), `letter` (the paper
    /// original of a digital letter is printed and posted) or `refused`.
    pub outcome: String,
    pub task: Option<TaskOut>,
    /// Why a scan became a forward: `mail.unscannable.*` and the words.
    pub reason: Option<ErrorBody>,
    pub letter_id: Option<String>,
    /// Why the request was refused for this item.
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionsOut {
    /// One result per item, in the order given.
    pub results: Vec<ActionResultOut>,
}

/// The results of a request, one per item (also for items refused).
pub fn action_results(
    results: Vec<(MailItemId, Result<Requested, AppError>)>,
) -> Vec<ActionResultOut> {
    results
        .into_iter()
        .map(|(id, r)| {
            let mut out = ActionResultOut {
                item_id: id.to_string(),
                outcome: String::new(),
                task: None,
                reason: None,
                letter_id: None,
                error: None,
            };
            match r {
                Ok(Requested::Task(t)) => {
                    out.outcome = "task".into();
                    out.task = Some(t.into());
                }
                Ok(Requested::ForwardedInstead { task, reason }) => {
                    out.outcome = "forwarded_instead".into();
                    out.task = Some(task.into());
                    out.reason = Some(ErrorBody {
                        code: reason.code().into(),
                        message: reason.message(),
                        field: None,
                        errors: Vec::new(),
                    });
                }
                Ok(Requested::Done) => out.outcome = "done".into(),
                Ok(Requested::Letter(l)) => {
                    out.outcome = "letter".into();
                    out.letter_id = Some(l.to_string());
                }
                Err(e) => {
                    out.outcome = "refused".into();
                    out.error = Some(ApiError::from(e).body);
                }
            }
            out
        })
        .collect()
}

/// Asks for an action on one item or many. Each item succeeds or fails on
/// its own; an item of another organisation is refused as `not_found`. A
/// scan of an item that cannot be scanned (SIM card, cheque, larger than
/// A3, …) is forwarded to the mailbox address instead, with the reason and
/// the 2.50 fee.
#[utoipa::path(post, path = "/api/v1/mail/actions", tag = "mailbox", request_body = ActionsIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request again with this key: the same answer, with Idempotent-Replayed: true; another request (method, path, query, content type or body) with this key: 409 idempotency.key_reused")),
    responses((status = 200, body = ActionsOut), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn request_actions(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    body: LaterJson,
) -> ApiResult<Json<ActionsOut>> {
    crate::api::need(&actor, courrier_domain::Permission::MailboxAct)?;
    let body: ActionsIn = body.parse().await?;
    let action = action_from(&body.action, &body.address, body.country.as_deref())?;
    Ok(Json(ActionsOut {
        results: run_actions(&st, &actor, &body.items, &action).await?,
    }))
}

/// Runs `action` on the items named by text ids: malformed ids are refused
/// as `not_found` in their place, the others go to the use case together.
pub async fn run_actions(
    st: &AppState,
    actor: &courrier_domain::Actor,
    raw: &[String],
    action: &Action,
) -> Result<Vec<ActionResultOut>, AppError> {
    let parsed: Vec<Option<MailItemId>> = raw.iter().map(|r| r.trim().parse().ok()).collect();
    let valid: Vec<MailItemId> = parsed.iter().flatten().copied().collect();
    let mut done = if valid.is_empty() && !raw.is_empty() {
        Vec::new()
    } else {
        action_results(st.app.request_action(actor, &valid, action).await?)
    }
    .into_iter();
    let mut out = Vec::with_capacity(raw.len());
    for (text, id) in raw.iter().zip(parsed) {
        let found = match id {
            Some(_) => done.next(),
            None => None,
        };
        out.push(found.unwrap_or_else(|| ActionResultOut {
            item_id: text.clone(),
            outcome: "refused".into(),
            task: None,
            reason: None,
            letter_id: None,
            error: Some(ApiError::from(AppError::NotFound).body),
        }));
    }
    Ok(out)
}
