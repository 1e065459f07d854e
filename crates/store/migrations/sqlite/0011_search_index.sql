-- Full-text search scoped by organisation inside the index (bench search,
-- BENCHMARKS.md "Search"). FTS5 keeps each word's list of rows in rowid
-- order and can read just a rowid range of it. The rowid of an item's
-- entry in `mail_items_fts` was its `rid`, so the items of one organisation
-- were spread over every list, and a query read every organisation's
-- matches of its words to keep its own. It is now
-- `(organisation number << 40) | rid` (rid < 2^40): one organisation's
-- entries are one contiguous range, and a query reads only that range.
-- The number of an organisation is assigned once, in
-- `mail_items_search_orgs`; items without an organisation use 0.
--
-- The index is rebuilt from the stored rows; the indexed text, the
-- tokenizer and so the matches, bm25 scores and snippets are unchanged.

CREATE TABLE mail_items_search_orgs (
    no INTEGER PRIMARY KEY,
    org_id TEXT NOT NULL UNIQUE
);
INSERT INTO mail_items_search_orgs (org_id)
    SELECT DISTINCT org_id FROM mail_items WHERE org_id IS NOT NULL ORDER BY org_id;

DROP TRIGGER mail_items_fts_insert;
DROP TRIGGER mail_items_fts_update;
DROP TRIGGER mail_items_fts_delete;
DROP TABLE mail_items_fts;

CREATE VIRTUAL TABLE mail_items_fts USING fts5(
    item_id UNINDEXED,
    org_id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 0'
);

INSERT INTO mail_items_fts (rowid, item_id, org_id, body)
    SELECT (COALESCE(s.no, 0) << 40) | i.rid, i.id, i.org_id,
           i.sender || ' ' || i.recipient_name || ' ' || REPLACE(i.tags, ',', ' ') || ' ' || i.note || ' ' || i.ocr_text
    FROM mail_items i LEFT JOIN mail_items_search_orgs s ON s.org_id = i.org_id
    ORDER BY 1;

CREATE TRIGGER mail_items_fts_insert AFTER INSERT ON mail_items
BEGIN
    INSERT OR IGNORE INTO mail_items_search_orgs (org_id) SELECT new.org_id WHERE new.org_id IS NOT NULL;
    INSERT INTO mail_items_fts (rowid, item_id, org_id, body)
    VALUES ((COALESCE((SELECT no FROM mail_items_search_orgs WHERE org_id = new.org_id), 0) << 40) | new.rid,
            new.id, new.org_id,
            new.sender || ' ' || new.recipient_name || ' ' || REPLACE(new.tags, ',', ' ') || ' ' || new.note || ' ' || new.ocr_text);
END;

CREATE TRIGGER mail_items_fts_update AFTER UPDATE OF sender, recipient_name, tags, note, ocr_text, org_id ON mail_items
BEGIN
    DELETE FROM mail_items_fts
    WHERE rowid = (COALESCE((SELECT no FROM mail_items_search_orgs WHERE org_id = old.org_id), 0) << 40) | old.rid;
    INSERT OR IGNORE INTO mail_items_search_orgs (org_id) SELECT new.org_id WHERE new.org_id IS NOT NULL;
    INSERT INTO mail_items_fts (rowid, item_id, org_id, body)
    VALUES ((COALESCE((SELECT no FROM mail_items_search_orgs WHERE org_id = new.org_id), 0) << 40) | new.rid,
            new.id, new.org_id,
            new.sender || ' ' || new.recipient_name || ' ' || REPLACE(new.tags, ',', ' ') || ' ' || new.note || ' ' || new.ocr_text);
END;

CREATE TRIGGER mail_items_fts_delete AFTER DELETE ON mail_items
BEGIN
    DELETE FROM mail_items_fts
    WHERE rowid = (COALESCE((SELECT no FROM mail_items_search_orgs WHERE org_id = old.org_id), 0) << 40) | old.rid;
END;
