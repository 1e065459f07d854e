-- Exactly once. An idempotency key in progress is held by one request (its
-- owner) under a lease the request renews while it runs; a key whose owner
-- died can be taken over once the lease ran out, unless its effect was
-- committed (`effect_at`, written in the transaction of the effect). Keys
-- are kept 24 hours from `created_at`, then pruned.
ALTER TABLE idempotency ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE idempotency ADD COLUMN effect_at BIGINT;
CREATE INDEX idempotency_created ON idempotency (created_at);

-- A digital item's paper original is posted at most once: the row is taken
-- before the letter is made, and the letter and its usage line are recorded
-- on it in one transaction.
CREATE TABLE paper_originals (
    item_id TEXT PRIMARY KEY REFERENCES mail_items(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    letter_id TEXT,
    usage_line_id TEXT REFERENCES usage_lines(id),
    requested_at BIGINT NOT NULL,
    posted_at BIGINT
);
