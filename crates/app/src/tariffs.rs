//! Carrier tariffs, for the platform admin: every carrier's table, one
//! carrier's table with its history, and saving a new version of it. An edit
//! keeps the carrier's country and currency, goes through the domain's
//! checks ([`TariffTable::revised`]), and is refused as `tariff.changed` when
//! someone saved another version since the editor read theirs. New quotes
//! and letters use the saved table at once (see `App::carrier_site`);
//! letters priced before keep their price.

use crate::{App, Result};
use courrier_domain::letters::{Country, ServiceFees, TariffTable, WeightStep};
use courrier_domain::{Actor, Permission};
use courrier_store::TariffRecord;

/// How many versions [`App::tariff_history`] shows.
pub const HISTORY_LIMIT: u32 = 50;

/// What the platform admin may change in a carrier's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffEdit {
    pub carrier: String,
    pub steps: Vec<WeightStep>,
    pub fees: ServiceFees,
    /// Basis points: 810 is 8.1 %.
    pub vat_rate_bp: u32,
}

impl TariffEdit {
    /// The table as it stands, to start an edit from.
    pub fn of(table: &TariffTable) -> Self {
        Self {
            carrier: table.carrier().to_string(),
            steps: table.steps().to_vec(),
            fees: table.fees(),
            vat_rate_bp: table.vat_rate_bp(),
        }
    }
}

impl App {
    /// Every carrier's current table, by country code.
    pub async fn tariffs(&self, actor: &Actor) -> Result<Vec<TariffRecord>> {
        actor.scope(Permission::PlatformAdmin)?;
        Ok(self.store.tariffs().await?)
    }

    /// The current table of the carrier of `country` (ISO code); `NotFound`
    /// when there is no such carrier.
    pub async fn tariff(&self, actor: &Actor, country: &str) -> Result<TariffRecord> {
        actor.scope(Permission::PlatformAdmin)?;
        let country = Country::parse(country)?;
        Ok(self.store.tariff(&country).await?)
    }

    /// The saved versions of the carrier of `country`, newest first (at most
    /// [`HISTORY_LIMIT`]).
    pub async fn tariff_history(&self, actor: &Actor, country: &str) -> Result<Vec<TariffRecord>> {
        actor.scope(Permission::PlatformAdmin)?;
        let country = Country::parse(country)?;
        Ok(self.store.tariff_history(&country, HISTORY_LIMIT).await?)
    }

    /// Saves `edit` as the next version of the carrier of `country` if its
    /// current version is still `expected_version` (else
    /// `Conflict("tariff.changed")`, nothing saved), with the audit entry
    /// `tariff.updated` naming the old and new version in the admin's
    /// organisation. Returns the saved version.
    pub async fn update_tariff(
        &self,
        actor: &Actor,
        country: &str,
        expected_version: i64,
        edit: TariffEdit,
    ) -> Result<TariffRecord> {
        let scope = actor.scope(Permission::PlatformAdmin)?;
        let country = Country::parse(country)?;
        let current = self.store.tariff(&country).await?;
        let table =
            current
                .table
                .revised(&edit.carrier, edit.steps, edit.fees, edit.vat_rate_bp)?;
        let now = self.now();
        let version = self
            .store
            .update_tariff(&scope, expected_version, &table, now)
            .await?;
        Ok(TariffRecord {
            table,
            version,
            updated_by: scope.actor().to_string(),
            updated_at: now,
        })
    }
}
