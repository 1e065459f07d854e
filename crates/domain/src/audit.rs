//! The audit chain. Each organisation's log is a hash chain: every entry's hash
//! covers its content and the previous entry's hash, so editing or deleting a
//! row breaks every later link, which [`verify_chain`] reports.

use crate::{OrgId, Timestamp};
use sha2::{Digest, Sha256};

/// The hash that stands before an organisation's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub action: String,
    pub target: String,
    pub detail: String,
}

impl AuditEvent {
    pub fn new(action: &str, target: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            action: action.to_string(),
            target: target.into(),
            detail: detail.into(),
        }
    }
}

/// One stored entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub org: OrgId,
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry's content chained to `prev_hash`. Fields are
/// length-prefixed so that no two different entries share an encoding.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev_hash: &str,
    org: OrgId,
    seq: i64,
    at: Timestamp,
    actor: &str,
    ip: Option<&str>,
    action: &str,
    target: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    let org = org.to_string();
    let seq = seq.to_string();
    let at = at.millis().to_string();
    for field in [
        prev_hash,
        org.as_str(),
        seq.as_str(),
        at.as_str(),
        actor,
        ip.unwrap_or("-"),
        action,
        target,
        detail,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

impl AuditEntry {
    pub fn computed_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.org,
            self.seq,
            self.at,
            &self.actor,
            self.ip.as_deref(),
            &self.action,
            &self.target,
            &self.detail,
        )
    }
}

/// Why a chain does not verify, at the first broken place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// Entry content no longer matches its hash: it was edited.
    Edited { seq: i64 },
    /// A sequence number is missing: an entry was deleted.
    Missing { expected_seq: i64, found_seq: i64 },
    /// The entry does not point at its predecessor's hash.
    Unlinked { seq: i64 },
}

/// Verifies one organisation's entries, given in sequence order, optionally
/// against the last hash recorded elsewhere (which catches deletion of the tail).
pub fn verify_chain(entries: &[AuditEntry], expected_head: Option<&str>) -> Result<(), ChainBreak> {
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    for e in entries {
        if e.seq != expected_seq {
            return Err(ChainBreak::Missing {
                expected_seq,
                found_seq: e.seq,
            });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak::Unlinked { seq: e.seq });
        }
        if e.computed_hash() != e.hash {
            return Err(ChainBreak::Edited { seq: e.seq });
        }
        prev = e.hash.clone();
        expected_seq += 1;
    }
    match expected_head {
        Some(head) if head != prev => Err(ChainBreak::Missing {
            expected_seq,
            found_seq: -1,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let org = OrgId::random();
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    org,
                    seq,
                    at: Timestamp::from_millis(seq * 1000),
                    actor: "user:x".into(),
                    ip: None,
                    action: "user.invited".into(),
                    target: format!("t{seq}"),
                    detail: String::new(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.computed_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn detects_edit_delete_and_truncation() {
        let good = chain(5);
        assert_eq!(verify_chain(&good, Some(&good[4].hash)), Ok(()));

        let mut edited = good.clone();
        edited[2].target = "other".into();
        assert_eq!(
            verify_chain(&edited, None),
            Err(ChainBreak::Edited { seq: 3 })
        );

        let mut deleted = good.clone();
        deleted.remove(1);
        assert_eq!(
            verify_chain(&deleted, None),
            Err(ChainBreak::Missing {
                expected_seq: 2,
                found_seq: 3
            })
        );

        let truncated = &good[..4];
        assert!(verify_chain(truncated, Some(&good[4].hash)).is_err());
    }
}
