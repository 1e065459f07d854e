//! Reading and verifying the audit chains.

use crate::{App, Result};
use courrier_domain::audit::{AuditEntry, ChainBreak, verify_chain};
use courrier_domain::{Actor, OrgId, Permission};
use courrier_store::Page;
use std::collections::HashMap;

/// The verdict for one organisation's chain.
#[derive(Debug, Clone)]
pub struct ChainReport {
    pub org: OrgId,
    pub entries: usize,
    pub result: Result<(), ChainBreak>,
}

impl App {
    pub async fn audit_page(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<AuditEntry>> {
        let scope = actor.scope(Permission::AuditRead)?;
        Ok(self.store.list_audit(&scope, cursor, limit).await?)
    }

    /// Names for the actor labels of the organisation's people (`user:<id>` →
    /// "Name <email>"), so the log reads as people, not identifiers.
    pub async fn actor_names(&self, actor: &Actor) -> Result<HashMap<String, String>> {
        let scope = actor.scope(Permission::AuditRead)?;
        let mut names = HashMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .store
                .list_users(&scope, cursor.as_deref(), 200)
                .await?;
            for u in page.items {
                names.insert(
                    format!("user:{}", u.id),
                    format!("{} <{}>", u.display_name, u.email),
                );
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(names)
    }

    /// Verifies every organisation's chain against its recorded head.
    pub async fn verify_audit(&self) -> Result<Vec<ChainReport>> {
        let mut out = Vec::new();
        for org in self.store.org_ids().await? {
            let (entries, head) = self.store.audit_chain(org).await?;
            let result = verify_chain(&entries, Some(&head));
            out.push(ChainReport {
                org,
                entries: entries.len(),
                result,
            });
        }
        Ok(out)
    }
}
