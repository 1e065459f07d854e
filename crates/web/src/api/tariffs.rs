//! Carrier tariffs over the API (permission `platform.admin`): every
//! carrier's table, one table, and saving a new version of one. Amounts are
//! integer minor units of the carrier's currency, the VAT rate basis points
//! (810 = 8.1 %). A save names the `version` it is based on: another version
//! saved meanwhile answers 409 `tariff.changed` and nothing is saved.

use super::extract::LaterJson;
use super::{ApiActor, Paged, rfc3339};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use courrier_app::tariffs::TariffEdit;
use courrier_domain::letters::{ServiceFees, WeightStep};
use courrier_store::TariffRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Postage for letters up to `up_to_grams`, per product, in minor units.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WeightStepJson {
    pub up_to_grams: u32,
    pub priority: i64,
    pub standard: i64,
    /// International priority to Europe (EU, EFTA and the rest of Europe).
    pub international_europe: i64,
    /// International priority to the rest of the world.
    pub international_world: i64,
}

/// The platform's fees, in minor units.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceFeesJson {
    /// Envelope, inserting and franking, once per letter.
    pub per_letter: i64,
    pub per_sheet_bw: i64,
    pub per_sheet_colour: i64,
    /// Registered-mail surcharge.
    pub registered: i64,
    /// Acknowledgement of receipt, on top of the registered surcharge.
    pub acknowledgement_of_receipt: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TariffOut {
    /// ISO 3166 code of the carrier's country; fixed.
    pub country: String,
    pub carrier: String,
    /// ISO 4217; fixed.
    pub currency: String,
    /// From lightest to heaviest.
    pub steps: Vec<WeightStepJson>,
    pub fees: ServiceFeesJson,
    /// Basis points: 810 is 8.1 %.
    pub vat_rate_bp: u32,
    /// Send it back with a change: 1 for the seed, one more per saved change.
    pub version: i64,
    /// `user:<id>`, `apikey:<id>` or `system:seed`.
    pub updated_by: String,
    pub updated_at: String,
}

impl From<TariffRecord> for TariffOut {
    fn from(t: TariffRecord) -> Self {
        let f = t.table.fees();
        TariffOut {
            country: t.table.country().to_string(),
            carrier: t.table.carrier().to_string(),
            currency: t.table.currency().to_string(),
            steps: t
                .table
                .steps()
                .iter()
                .map(|s| WeightStepJson {
                    up_to_grams: s.up_to_grams,
                    priority: s.priority,
                    standard: s.standard,
                    international_europe: s.international_europe,
                    international_world: s.international_world,
                })
                .collect(),
            fees: ServiceFeesJson {
                per_letter: f.per_letter,
                per_sheet_bw: f.per_sheet_bw,
                per_sheet_colour: f.per_sheet_colour,
                registered: f.registered,
                acknowledgement_of_receipt: f.acknowledgement_of_receipt,
            },
            vat_rate_bp: t.table.vat_rate_bp(),
            version: t.version,
            updated_by: t.updated_by,
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// A new version of a carrier's table; country and currency stay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TariffIn {
    /// The version this change is based on (from the last read).
    pub version: i64,
    pub carrier: String,
    /// At least one, each heavier than the one before.
    pub steps: Vec<WeightStepJson>,
    pub fees: ServiceFeesJson,
    /// At most 10000 (100 %).
    pub vat_rate_bp: u32,
}

/// Every carrier's current table (platform admin only).
#[utoipa::path(get, path = "/api/v1/tariffs", tag = "platform",
    responses((status = 200, body = Paged<TariffOut>), (status = 403, body = ErrorBody)))]
pub async fn list_tariffs(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Paged<TariffOut>>> {
    let list = st.app.tariffs(&actor).await?;
    Ok(Json(Paged {
        items: list.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// One carrier's current table (platform admin only).
#[utoipa::path(get, path = "/api/v1/tariffs/{country}", tag = "platform",
    params(("country" = String, Path, description = "ISO 3166 code of the carrier's country, such as CH")),
    responses((status = 200, body = TariffOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_tariff(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(country): Path<String>,
) -> ApiResult<Json<TariffOut>> {
    Ok(Json(st.app.tariff(&actor, &country).await?.into()))
}

/// Save a new version of a carrier's table (platform admin only). New quotes
/// and letters use it at once; letters priced before keep their price.
#[utoipa::path(put, path = "/api/v1/tariffs/{country}", tag = "platform", request_body = TariffIn,
    params(("country" = String, Path, description = "ISO 3166 code of the carrier's country, such as CH")),
    responses((status = 200, body = TariffOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`tariff.changed`: another version was saved since `version`", body = ErrorBody),
        (status = 422, description = "A rule refused the table: `tariff.invalid` with the field", body = ErrorBody)))]
pub async fn put_tariff(
    State(st): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(country): Path<String>,
    body: LaterJson,
) -> ApiResult<Json<TariffOut>> {
    super::need(&actor, courrier_domain::Permission::PlatformAdmin)?;
    let body: TariffIn = body.parse().await?;
    let edit = TariffEdit {
        carrier: body.carrier,
        steps: body
            .steps
            .iter()
            .map(|s| {
                WeightStep::new(
                    s.up_to_grams,
                    s.priority,
                    s.standard,
                    s.international_europe,
                    s.international_world,
                )
            })
            .collect(),
        fees: ServiceFees {
            per_letter: body.fees.per_letter,
            per_sheet_bw: body.fees.per_sheet_bw,
            per_sheet_colour: body.fees.per_sheet_colour,
            registered: body.fees.registered,
            acknowledgement_of_receipt: body.fees.acknowledgement_of_receipt,
        },
        vat_rate_bp: body.vat_rate_bp,
    };
    let saved = st
        .app
        .update_tariff(&actor, &country, body.version, edit)
        .await?;
    Ok(Json(saved.into()))
}
