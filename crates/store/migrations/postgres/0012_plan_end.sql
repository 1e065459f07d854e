-- A customer may cancel a location plan: it runs to the end of the period
-- already billed (`plan_ends_at`), nothing after it is billed, and the
-- upkeep closes the mailbox then. Cleared if the customer keeps the plan
-- before that instant.
ALTER TABLE signups ADD COLUMN plan_ends_at BIGINT;
CREATE INDEX signups_plan_ends ON signups (plan_ends_at) WHERE plan_ends_at IS NOT NULL;

-- A closed mailbox no longer holds its place: a customer whose plan ended
-- can take one again at the same location (a new mailbox and sign-up).
DROP INDEX mailboxes_at_location;
CREATE UNIQUE INDEX mailboxes_at_location ON mailboxes (org_id, location_id)
    WHERE location_id IS NOT NULL AND state <> 'closed';
