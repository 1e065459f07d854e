-- What a letter was made of: a background (letterhead) laid under its first
-- or every page, and printed attachments appended after it (a reply coupon).
-- The stored document is the composed, print-ready PDF; these columns say
-- how it was composed, so the letter can be described and taken apart again
-- when a draft's options change. `pages` stays the letter's own page count.
--
-- background_scope: NULL (none), 'first_page' or 'all_pages'.
-- attachments: one line per attachment, in order, "<pages> <file name>"
-- (names never hold a line break); empty when there is none.

ALTER TABLE letters ADD COLUMN background_scope TEXT
    CHECK (background_scope IS NULL OR background_scope IN ('first_page', 'all_pages'));
ALTER TABLE letters ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
