-- Received versus inserted: the clerk records how many pieces the carrier
-- handed over at a location each day, and each item logged at the counter
-- records the day its piece was received, so the dashboard can show whether
-- everything received today was inserted today, and which items were
-- inserted late. Also the customer's choice of new-mail notifications (each
-- item, a daily digest, both or none) and the digests sent, at most one per
-- mailbox and day.

-- One count per location and local day (YYYY-MM-DD in the location's time
-- zone), replaced when the clerk corrects it during the day.
CREATE TABLE intake_counts (
    location_id TEXT NOT NULL REFERENCES locations(id),
    day TEXT NOT NULL,
    -- The mail center, for tenancy.
    org_id TEXT NOT NULL REFERENCES orgs(id),
    pieces BIGINT NOT NULL CHECK (pieces >= 0),
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (location_id, day)
);

-- The local day (YYYY-MM-DD) the piece was handed over by the carrier; NULL
-- for digital deliveries and items logged before this column existed.
ALTER TABLE mail_items ADD COLUMN received_on TEXT;
CREATE INDEX mail_items_location_received_on ON mail_items (location_id, received_on);

ALTER TABLE mailboxes ADD COLUMN notify TEXT NOT NULL DEFAULT 'each'
    CHECK (notify IN ('each', 'digest', 'both', 'none'));

-- The daily digests sent: the key makes a second digest of one mailbox and
-- day impossible, whichever server or retry tries.
CREATE TABLE mailbox_digests (
    mailbox_id TEXT NOT NULL REFERENCES mailboxes(id),
    day TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    items BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, day)
);
CREATE INDEX mailboxes_notify ON mailboxes (notify);
