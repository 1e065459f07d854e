-- Webhooks: endpoints an organisation registers to hear about its events, and
-- the log of every delivery to them. The signing secret is sealed with the
-- organisation key; a delivery keeps the exact body it sends, so a retry
-- sends the same bytes.

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    url TEXT NOT NULL,
    -- The signing secret, sealed with the organisation key.
    secret_sealed BYTEA NOT NULL,
    -- Subscribed event types, comma-separated, or '*' for every type.
    events TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    -- When the administrators were last told that deliveries to it fail.
    failure_notified_at BIGINT
);
CREATE INDEX webhooks_org ON webhooks (org_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    event_type TEXT NOT NULL,
    event_id TEXT NOT NULL,
    -- The raw JSON body, signed anew at each attempt.
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- The HTTP status of the last answer; NULL when no answer came.
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_org ON webhook_deliveries (org_id, created_at, id);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at, id);
