//! Full-text search of mail items in the database: FTS5 on SQLite, a
//! `tsvector` with a GIN index on PostgreSQL.

use courrier_domain::codes;

use super::query::{MARK_END, MARK_START, snippet_spans};
use super::{
    ITEM_COLS, ItemFilter, MailItemRecord, SearchOrder, SearchQuery, SnippetSpan, item_from_row,
    like_pattern, normalize_tags,
};
use crate::mailbox::corrupt;
use crate::{Db, Page, Result, Store, StoreError, on_pool};
use courrier_domain::{MailItemId, OrgScope};
use sqlx::Row;

/// One search result: the item and, for a full-text query, where it
/// matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub item: MailItemRecord,
    /// Empty when the search had no words (a plain list).
    pub snippet: Vec<SnippetSpan>,
}

impl Store {
    /// The customer's items, filtered, with full-text `query` when it has
    /// words. Without words: newest first, cursor `t:<received_at>:<id>`.
    /// With words: in `filter.order` (newest first unless relevance is
    /// asked for), with a snippet; see `ranked_search` for the cursors.
    /// `limit` is 1 to 100.
    pub async fn search_items(
        &self,
        scope: &OrgScope,
        query: &SearchQuery,
        filter: &ItemFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<SearchHit>> {
        let limit = i64::from(limit.clamp(1, 100));
        let invalid = || StoreError::Refused {
            what: codes::CURSOR_INVALID,
        };
        let filters = |b: usize| {
            format!(
                "AND (${b} IS NULL OR i.received_at >= ${b}) AND (${b1} IS NULL OR i.received_at < ${b1}) \
                 AND (${b2} IS NULL OR LOWER(i.sender) LIKE ${b2}) AND (${b3} IS NULL OR i.state = ${b3}) \
                 AND (${b4} IS NULL OR (',' || i.tags || ',') LIKE ${b4}) AND (${b5} IS NULL OR i.mailbox_id = ${b5})",
                b1 = b + 1,
                b2 = b + 2,
                b3 = b + 3,
                b4 = b + 4,
                b5 = b + 5
            )
        };
        let sender = filter
            .sender
            .as_deref()
            .map(like_pattern)
            .filter(|s| s != "%%");
        let tag = filter
            .tag
            .as_deref()
            .and_then(|t| normalize_tags(&[t.to_string()]).pop())
            .map(|t| format!("%,{}%", t.replace(['%', '_'], "") + ","));
        let mut hits = Vec::new();
        if query.is_empty() {
            let (c_at, c_id) = match cursor {
                Some(c) => {
                    let rest = c.strip_prefix("t:").ok_or_else(invalid)?;
                    let (at, id) = rest.split_once(':').ok_or_else(invalid)?;
                    (at.parse::<i64>().map_err(|_| invalid())?, id.to_string())
                }
                None => (i64::MAX, String::new()),
            };
            on_pool!(self, |p, d| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ITEM_COLS} FROM mail_items i WHERE i.org_id = $1 \
                     AND (i.received_at < $2 OR (i.received_at = $2 AND i.id < $3)) {} \
                     ORDER BY i.received_at DESC, i.id DESC LIMIT $10",
                    filters(4)
                )))
                .bind(scope.org().to_string())
                .bind(c_at)
                .bind(c_id.clone())
                .bind(filter.received_from.map(|t| t.millis()))
                .bind(filter.received_before.map(|t| t.millis()))
                .bind(sender.clone())
                .bind(filter.state.map(|s| s.as_str()))
                .bind(tag.clone())
                .bind(filter.mailbox.map(|m| m.to_string()))
                .bind(limit + 1)
                .fetch_all(p)
                .await?;
                for r in rows {
                    hits.push(SearchHit {
                        item: item_from_row(&r)?,
                        snippet: Vec::new(),
                    });
                }
            });
            return Ok(crate::users::paged(hits, limit, |h| {
                format!("t:{}:{}", h.item.received_at.millis(), h.item.id)
            }));
        }
        self.ranked_search(scope, query, filter, sender, tag, cursor, limit)
            .await
    }

    /// The full-text part of [`Store::search_items`], in two steps inside
    /// one read-only snapshot (bench search). First the page alone: the ids
    /// of the matches, in the filter's order, reading only the narrow
    /// columns that the filters and the order need. Then those rows in full,
    /// with their snippets (a snippet depends only on its row and the
    /// query).
    ///
    /// Newest first reads the matches in index order and stops at the end
    /// of the page, however many items match. SQLite: FTS5 walks each word's
    /// list backwards through the organisation's rowid range (rowid
    /// `(organisation number << 40) | rid`, migration 0011), narrowed to the
    /// rids of its items in the period. "Newest" is intake order there (rid),
    /// the order of `received_at`, since an item is received when it is
    /// logged; cursor `n:<rid>`. PostgreSQL: `(received_at, id)` descending,
    /// on `mail_items_org_received` or the GIN index as the planner
    /// estimates; cursor `n:<received_at>:<id>`. A phrase needs each row's
    /// word positions (its `tsvector`, read from TOAST), which the GIN index
    /// does not hold, and the planner's estimate of a phrase's matches is
    /// far too low (7 for 13,232). So a phrase is first looked for in the
    /// organisation's [`PG_PHRASE_WINDOW`] newest items (in filter order),
    /// which is enough for a common phrase; past them, the items holding
    /// all the words come from the index, sorted, and only the page's are
    /// checked for the phrase (`$12`: the words alone). By relevance, every match
    /// is scored (bm25 / ts_rank) before the page is known; cursor
    /// `o:<offset>`.
    #[allow(clippy::too_many_arguments)]
    async fn ranked_search(
        &self,
        scope: &OrgScope,
        query: &SearchQuery,
        filter: &ItemFilter,
        sender: Option<String>,
        tag: Option<String>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<SearchHit>> {
        /// Where the page starts: bound as `$10` (and `$11`; a phrase query
        /// on PostgreSQL binds its words alone as `$12`).
        enum After {
            Offset(i64),
            Rid(i64),
            Time(i64, String),
        }
        let invalid = || StoreError::Refused {
            what: codes::CURSOR_INVALID,
        };
        let filters = |b: usize| {
            format!(
                "AND (${b} IS NULL OR i.received_at >= ${b}) AND (${b1} IS NULL OR i.received_at < ${b1}) \
                 AND (${b2} IS NULL OR LOWER(i.sender) LIKE ${b2}) AND (${b3} IS NULL OR i.state = ${b3}) \
                 AND (${b4} IS NULL OR (',' || i.tags || ',') LIKE ${b4}) AND (${b5} IS NULL OR i.mailbox_id = ${b5})",
                b1 = b + 1,
                b2 = b + 2,
                b3 = b + 3,
                b4 = b + 4,
                b5 = b + 5
            )
        };
        let sqlite = matches!(self.db, Db::Sqlite(_));
        let pg_phrase = !sqlite && filter.order == SearchOrder::Newest && query.has_phrase();
        let engine_query = if sqlite {
            query.to_fts5()
        } else {
            query.to_tsquery()
        };
        let (page_sql, mut after) = match (filter.order, sqlite) {
            (SearchOrder::Relevance, _) => {
                let offset = match cursor {
                    Some(c) => c
                        .strip_prefix("o:")
                        .and_then(|o| o.parse::<i64>().ok())
                        .filter(|o| (0..=100_000).contains(o))
                        .ok_or_else(invalid)?,
                    None => 0,
                };
                let sql = if sqlite {
                    // Only the organisation's entries in the period, as
                    // keys materialised once from the narrow
                    // `mail_items_org_received` index. `+rowid IN` keeps
                    // exactly those; the unary `+` stops SQLite from turning
                    // it into one FTS5 lookup per key, each of which would
                    // count the matches of the whole index again for bm25's
                    // IDF.
                    format!(
                        "WITH c AS MATERIALIZED (SELECT (s.no << 40) | o.rid AS k FROM mail_items_search_orgs s \
                         JOIN mail_items o ON o.org_id = s.org_id WHERE s.org_id = $2 \
                         AND ($3 IS NULL OR o.received_at >= $3) AND ($4 IS NULL OR o.received_at < $4)) \
                         SELECT mail_items_fts.rowid AS k, i.id AS id FROM mail_items_fts \
                         JOIN mail_items i ON i.rid = (mail_items_fts.rowid & {SQLITE_RID_MASK}) \
                         WHERE mail_items_fts MATCH $1 AND i.org_id = $2 \
                         AND mail_items_fts.rowid >= (SELECT MIN(k) FROM c) AND mail_items_fts.rowid <= (SELECT MAX(k) FROM c) \
                         AND +mail_items_fts.rowid IN (SELECT k FROM c) {} \
                         ORDER BY bm25(mail_items_fts), i.received_at DESC, i.id DESC LIMIT $9 OFFSET $10",
                        filters(3)
                    )
                } else {
                    format!(
                        "SELECT 0::BIGINT AS k, i.id AS id FROM mail_items i, to_tsquery('simple', $1) q \
                         WHERE i.search @@ q AND i.org_id = $2 {} \
                         ORDER BY ts_rank(i.search, q) DESC, i.received_at DESC, i.id DESC LIMIT $9 OFFSET $10",
                        filters(3)
                    )
                };
                (sql, After::Offset(offset))
            }
            (SearchOrder::Newest, true) => {
                let below = match cursor {
                    Some(c) => c
                        .strip_prefix("n:")
                        .and_then(|r| r.parse::<i64>().ok())
                        .filter(|r| (1..=SQLITE_RID_MASK).contains(r))
                        .ok_or_else(invalid)?,
                    None => SQLITE_RID_MASK + 1,
                };
                // The smallest and largest rid of the organisation's items
                // in the period, from the narrow `mail_items_org_received`
                // index; the whole range without a period.
                let range = if filter.received_from.is_some() || filter.received_before.is_some() {
                    "SELECT MIN(o.rid) AS lo, MAX(o.rid) AS hi FROM mail_items o WHERE o.org_id = $2 \
                     AND ($3 IS NULL OR o.received_at >= $3) AND ($4 IS NULL OR o.received_at < $4)"
                        .to_string()
                } else {
                    format!("SELECT 0 AS lo, {SQLITE_RID_MASK} AS hi")
                };
                // `CROSS JOIN` keeps the index as the outer loop, so its
                // order is the result's and the `LIMIT` ends the walk.
                let sql = format!(
                    "WITH c AS MATERIALIZED ({range}), \
                     s AS MATERIALIZED (SELECT no << 40 AS base FROM mail_items_search_orgs WHERE org_id = $2) \
                     SELECT mail_items_fts.rowid AS k, i.id AS id FROM mail_items_fts \
                     CROSS JOIN mail_items i ON i.rid = (mail_items_fts.rowid & {SQLITE_RID_MASK}) \
                     WHERE mail_items_fts MATCH $1 \
                     AND mail_items_fts.rowid >= (SELECT base FROM s) + (SELECT lo FROM c) \
                     AND mail_items_fts.rowid <= (SELECT base FROM s) + MIN((SELECT hi FROM c), $10 - 1) \
                     AND i.org_id = $2 {} ORDER BY mail_items_fts.rowid DESC LIMIT $9",
                    filters(3)
                );
                (sql, After::Rid(below))
            }
            (SearchOrder::Newest, false) => {
                let (at, id) = match cursor {
                    Some(c) => {
                        let rest = c.strip_prefix("n:").ok_or_else(invalid)?;
                        let (at, id) = rest.split_once(':').ok_or_else(invalid)?;
                        (at.parse::<i64>().map_err(|_| invalid())?, id.to_string())
                    }
                    None => (i64::MAX, String::new()),
                };
                let sql = if pg_phrase {
                    // The nested loop keeps the sorted candidates' order, so
                    // the `LIMIT` stops the phrase checks at a full page.
                    format!(
                        "SELECT 0::BIGINT AS k, c.id AS id FROM (SELECT i.id, i.received_at \
                         FROM mail_items i, to_tsquery('simple', $12) w \
                         WHERE i.search @@ w AND i.org_id = $2 {} AND (i.received_at, i.id) < ($10, $11) \
                         ORDER BY i.received_at DESC, i.id DESC) c \
                         CROSS JOIN LATERAL (SELECT 1 FROM mail_items j, to_tsquery('simple', $1) q \
                         WHERE j.id = c.id AND j.search @@ q) x \
                         ORDER BY c.received_at DESC, c.id DESC LIMIT $9",
                        filters(3)
                    )
                } else {
                    format!(
                        "SELECT 0::BIGINT AS k, i.id AS id FROM mail_items i, to_tsquery('simple', $1) q \
                         WHERE i.search @@ q AND i.org_id = $2 {} AND (i.received_at, i.id) < ($10, $11) \
                         ORDER BY i.received_at DESC, i.id DESC LIMIT $9",
                        filters(3)
                    )
                };
                (sql, After::Time(at, id))
            }
        };
        let headline = format!(
            "StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \""
        );
        let mut hits = Vec::new();
        let more;
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if !sqlite {
                // Both steps see the same snapshot.
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            // Not a cached prepared statement: after five runs PostgreSQL
            // would switch to a generic plan, which cannot use the period as
            // an index condition (`$3 IS NULL OR …`) and ranked all of a large
            // organisation's matches: 1.45 s instead of 0.13 s.
            // `$1`…`$9` of the page statements, `$9` being `rows`; the
            // caller binds where the page starts.
            macro_rules! bound {
                ($sql:expr, $rows:expr) => {
                    sqlx::query(sqlx::AssertSqlSafe($sql))
                        .persistent(false)
                        .bind(engine_query.clone())
                        .bind(scope.org().to_string())
                        .bind(filter.received_from.map(|t| t.millis()))
                        .bind(filter.received_before.map(|t| t.millis()))
                        .bind(sender.clone())
                        .bind(filter.state.map(|s| s.as_str()))
                        .bind(tag.clone())
                        .bind(filter.mailbox.map(|m| m.to_string()))
                        .bind($rows)
                };
            }
            let mut order: Vec<(i64, String)> = Vec::new();
            let mut want = limit + 1;
            if let (true, After::Time(at, id)) = (pg_phrase, &after) {
                let sql = format!(
                    "SELECT w.id AS id FROM (SELECT i.id, i.received_at, i.search FROM mail_items i \
                     WHERE i.org_id = $2 {f} AND (i.received_at, i.id) < ($10, $11) \
                     ORDER BY i.received_at DESC, i.id DESC LIMIT {PG_PHRASE_WINDOW}) w \
                     WHERE w.search @@ to_tsquery('simple', $1) ORDER BY w.received_at DESC, w.id DESC LIMIT $9",
                    f = filters(3)
                );
                for r in bound!(sql, want)
                    .bind(*at)
                    .bind(id.clone())
                    .fetch_all(&mut *tx)
                    .await?
                {
                    order.push((0, r.try_get("id")?));
                }
                want -= i64::try_from(order.len()).unwrap_or(want);
                // Past the window, if the page is not full yet.
                let end = if want > 0 {
                    let sql = format!(
                        "SELECT i.received_at AS at, i.id AS id FROM mail_items i \
                         WHERE i.org_id = $2 {f} AND (i.received_at, i.id) < ($10, $11) \
                         ORDER BY i.received_at DESC, i.id DESC OFFSET $9 LIMIT 1",
                        f = filters(3)
                    );
                    bound!(sql, PG_PHRASE_WINDOW - 1)
                        .bind(*at)
                        .bind(id.clone())
                        .fetch_optional(&mut *tx)
                        .await?
                } else {
                    None
                };
                match end {
                    Some(r) => after = After::Time(r.try_get("at")?, r.try_get("id")?),
                    None => want = 0,
                }
            }
            if want > 0 {
                let q = match &after {
                    After::Offset(n) | After::Rid(n) => bound!(page_sql.clone(), want).bind(*n),
                    After::Time(at, id) if pg_phrase => bound!(page_sql.clone(), want)
                        .bind(*at)
                        .bind(id.clone())
                        .bind(query.to_tsquery_words()),
                    After::Time(at, id) => {
                        bound!(page_sql.clone(), want).bind(*at).bind(id.clone())
                    }
                };
                for r in q.fetch_all(&mut *tx).await? {
                    order.push((r.try_get("k")?, r.try_get("id")?));
                }
            }
            more = order.len() > usize::try_from(limit).unwrap_or(usize::MAX);
            order.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let rows = if order.is_empty() {
                Vec::new()
            } else {
                // SQLite, newest first: the page's keys are neighbours in
                // each word's list, so one walk from the smallest to the
                // largest reads them all (`+` keeps the `IN` out of the
                // index). By relevance they are scattered over the
                // organisation's range: one FTS5 lookup per key.
                let range = sqlite && matches!(after, After::Rid(_));
                let first = match (range, sqlite) {
                    (true, _) => 4,
                    (false, true) => 2,
                    (false, false) => 3,
                };
                let marks = (0..order.len())
                    .map(|n| format!("${}", n + first))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = if sqlite {
                    let keys = if range {
                        format!(
                            "mail_items_fts.rowid >= $2 AND mail_items_fts.rowid <= $3 AND +mail_items_fts.rowid IN ({marks})"
                        )
                    } else {
                        format!("mail_items_fts.rowid IN ({marks})")
                    };
                    format!(
                        "SELECT {ITEM_COLS}, snippet(mail_items_fts, 2, char(57344), char(57345), '…', 16) AS snip \
                         FROM mail_items_fts JOIN mail_items i ON i.rid = (mail_items_fts.rowid & {SQLITE_RID_MASK}) \
                         WHERE mail_items_fts MATCH $1 AND {keys}"
                    )
                } else {
                    format!(
                        "SELECT {ITEM_COLS}, ts_headline('simple', translate(i.sender || ' ' || i.recipient_name || ' ' || \
                         replace(i.tags, ',', ' ') || ' ' || i.note || ' ' || i.ocr_text, '<>', '  '), q, $2) AS snip \
                         FROM mail_items i, to_tsquery('simple', $1) q WHERE i.id IN ({marks})"
                    )
                };
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .persistent(false)
                    .bind(engine_query.clone());
                if sqlite {
                    if range {
                        let keys = order.iter().map(|(k, _)| *k);
                        q = q
                            .bind(keys.clone().min().unwrap_or(0))
                            .bind(keys.max().unwrap_or(0));
                    }
                    for (k, _) in &order {
                        q = q.bind(*k);
                    }
                } else {
                    q = q.bind(headline.clone());
                    for (_, id) in &order {
                        q = q.bind(id.clone());
                    }
                }
                q.fetch_all(&mut *tx).await?
            };
            tx.commit().await?;
            let mut found = std::collections::HashMap::with_capacity(rows.len());
            for r in rows {
                let snip: Option<String> = r.try_get("snip")?;
                let hit = SearchHit {
                    item: item_from_row(&r)?,
                    snippet: snippet_spans(snip.as_deref().unwrap_or("")),
                };
                found.insert(hit.item.id.to_string(), hit);
            }
            for (k, id) in &order {
                // Both steps read one snapshot, so every ranked id is there.
                let hit = found
                    .remove(id)
                    .ok_or_else(|| corrupt(format!("search hit {id} not found again")))?;
                hits.push((*k, hit));
            }
        });
        let next_cursor = match (more, hits.last(), &after) {
            (false, _, _) | (true, None, _) => None,
            (true, Some(_), After::Offset(n)) => Some(format!("o:{}", n + limit)),
            (true, Some((k, _)), After::Rid(_)) => Some(format!("n:{}", k & SQLITE_RID_MASK)),
            (true, Some((_, h)), After::Time(..)) => {
                Some(format!("n:{}:{}", h.item.received_at.millis(), h.item.id))
            }
        };
        Ok(Page {
            items: hits.into_iter().map(|(_, h)| h).collect(),
            next_cursor,
        })
    }

    /// Brings one item's entry in the search index up to date (SQLite; on
    /// PostgreSQL the generated column is always current and this rewrites
    /// the row to recompute it).
    pub async fn reindex_item(&self, id: MailItemId) -> Result<()> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if matches!(self.db, Db::Sqlite(_)) {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM mail_items_fts WHERE rowid = (SELECT {SQLITE_KEY} FROM mail_items WHERE id = $1)"
                )))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO mail_items_fts (rowid, item_id, org_id, body) SELECT {SQLITE_KEY}, id, org_id, {SQLITE_BODY} \
                     FROM mail_items WHERE id = $1"
                )))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query("UPDATE mail_items SET ocr_text = ocr_text WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Rebuilds the whole search index from the item rows; returns how many
    /// items it holds.
    pub async fn rebuild_search_index(&self) -> Result<i64> {
        on_pool!(self, |p, d| {
            let mut tx = p.begin().await?;
            if matches!(self.db, Db::Sqlite(_)) {
                sqlx::query("DELETE FROM mail_items_fts")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT OR IGNORE INTO mail_items_search_orgs (org_id) \
                     SELECT DISTINCT org_id FROM mail_items WHERE org_id IS NOT NULL",
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO mail_items_fts (rowid, item_id, org_id, body) SELECT {SQLITE_KEY}, id, org_id, {SQLITE_BODY} \
                     FROM mail_items ORDER BY 1"
                )))
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query("REINDEX INDEX mail_items_org_search")
                    .execute(&mut *tx)
                    .await?;
            }
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_items")
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n)
        })
    }
}

/// The FTS5 rowid of a `mail_items` row in SQLite, as migration 0011's
/// triggers build it: `(organisation number << 40) | rid`.
const SQLITE_KEY: &str = "((COALESCE((SELECT s.no FROM mail_items_search_orgs s WHERE s.org_id = mail_items.org_id), 0) << 40) | mail_items.rid)";

/// The `rid` part of an FTS5 rowid (its low 40 bits).
const SQLITE_RID_MASK: i64 = (1 << 40) - 1;

/// PostgreSQL, newest first: how many of the organisation's newest items
/// (after the cursor, in the filters) are checked for a phrase one by one
/// before the index is asked for the rest. A common phrase fills a page
/// there (checking one item's word positions takes ~15 µs warm); a rare
/// one costs this many checks more.
const PG_PHRASE_WINDOW: i64 = 1000;

/// The indexed text of an item in SQLite, as the migration's triggers build it.
const SQLITE_BODY: &str = "sender || ' ' || recipient_name || ' ' || REPLACE(tags, ',', ' ') || ' ' || note || ' ' || ocr_text";
