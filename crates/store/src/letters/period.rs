//! The letters of a period, in chunks (for reports).

use super::{LETTER_COLS, LetterRecord, letter_from_row};
use crate::{Result, Store, on_pool};
use courrier_domain::{LetterId, OrgScope, Timestamp};

/// The most letters [`Store::letters_in_period`] returns per call.
pub const PERIOD_CHUNK: u32 = 1000;

impl Store {
    /// The organisation's letters submitted in `[from, to)`, in every status
    /// but draft (a letter sent back by its approver keeps its submission time
    /// but was not sent), oldest submission first. Reads one chunk of at most
    /// `limit` (≤ [`PERIOD_CHUNK`]) letters: pass the `(submitted_at, id)` of
    /// the last letter of a chunk as `after` to read the next one.
    pub async fn letters_in_period(
        &self,
        scope: &OrgScope,
        from: Timestamp,
        to: Timestamp,
        after: Option<(Timestamp, LetterId)>,
        limit: u32,
    ) -> Result<Vec<LetterRecord>> {
        let limit = i64::from(limit.clamp(1, PERIOD_CHUNK));
        let (after_at, after_id) = match after {
            Some((at, id)) => (at.millis(), id.to_string()),
            None => (i64::MIN, String::new()),
        };
        let mut items = Vec::new();
        on_pool!(self, |p, d| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {LETTER_COLS} FROM letters WHERE org_id = $1 \
                 AND submitted_at >= $2 AND submitted_at < $3 AND status <> 'draft' \
                 AND (submitted_at > $4 OR (submitted_at = $4 AND id > $5)) \
                 ORDER BY submitted_at, id LIMIT $6"
            )))
            .bind(scope.org().to_string())
            .bind(from.millis())
            .bind(to.millis())
            .bind(after_at)
            .bind(after_id)
            .bind(limit)
            .fetch_all(p)
            .await?;
            for r in rows {
                items.push(letter_from_row(&r)?);
            }
        });
        Ok(items)
    }
}
