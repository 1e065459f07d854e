-- Full-text search scoped by organisation inside the index (bench search,
-- BENCHMARKS.md "Search"). The GIN index on `search` alone held every
-- organisation's items: a phrase or a common word made PostgreSQL read the
-- whole posting list of each word (18,474 items for a phrase at 200,000
-- items, growing with the database) before keeping one organisation's.
-- One GIN index over (org_id, search), with btree_gin for the text column,
-- lets the index intersect the organisation's entry with the words' and
-- skip through the long lists. Search always names the organisation, so
-- the index on `search` alone goes. btree_gin ships with PostgreSQL
-- (contrib, in Debian's postgresql-15) and is a trusted extension: the
-- database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX mail_items_org_search ON mail_items USING GIN (org_id, search);
DROP INDEX mail_items_search;
