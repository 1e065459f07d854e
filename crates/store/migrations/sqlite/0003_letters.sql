-- Outbound letters, their status history, per-organisation letter settings,
-- and bulk runs (one PDF split into letters, or a mail merge) with their items.

CREATE TABLE letter_settings (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id),
    -- Comma-separated user ids whose letters wait for an approver.
    approval_required_for TEXT NOT NULL DEFAULT '',
    -- Days after submission before the document is purged (crypto-shredded).
    retention_days INTEGER NOT NULL DEFAULT 60,
    -- Also purge print data 12 hours after printing.
    purge_after_print BOOLEAN NOT NULL DEFAULT 0,
    window_standard TEXT NOT NULL DEFAULT 'swiss_left',
    return_address TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

CREATE TABLE letters (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    created_by TEXT NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    run_id TEXT,
    status TEXT NOT NULL,
    document_id TEXT REFERENCES documents(id),
    pages INTEGER NOT NULL,
    sheets INTEGER NOT NULL,
    envelope TEXT NOT NULL,
    colour TEXT NOT NULL,
    sides TEXT NOT NULL,
    paper TEXT NOT NULL,
    product TEXT NOT NULL,
    registered TEXT NOT NULL,
    -- The recipient as read from the window (or given): lines joined by newlines.
    recipient_lines TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    recipient_postcode TEXT NOT NULL,
    recipient_locality TEXT NOT NULL,
    recipient_country TEXT NOT NULL,
    return_address TEXT NOT NULL DEFAULT '',
    weight_grams INTEGER NOT NULL,
    currency TEXT NOT NULL,
    price_net BIGINT NOT NULL,
    price_vat BIGINT NOT NULL,
    price_total BIGINT NOT NULL,
    posting_date TEXT,
    expected_delivery TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    printed_at BIGINT
);
CREATE INDEX letters_org_created ON letters (org_id, created_at, id);
CREATE INDEX letters_org_status ON letters (org_id, status, created_at);
CREATE INDEX letters_run ON letters (run_id);

CREATE TABLE letter_events (
    letter_id TEXT NOT NULL REFERENCES letters(id),
    seq INTEGER NOT NULL,
    at BIGINT NOT NULL,
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (letter_id, seq)
);

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL CHECK (kind IN ('split', 'merge')),
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- How the run splits or merges, as the user chose it (e.g. 'pages:2', 'address').
    method TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_document_id TEXT REFERENCES documents(id),
    total INTEGER NOT NULL DEFAULT 0,
    processed INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX runs_org ON runs (org_id, created_at);

-- One line per letter of a run: where it came from and what became of it.
CREATE TABLE run_items (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    -- Pages of the source PDF ('3-4') or the source row number ('row 12').
    source TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    letter_id TEXT REFERENCES letters(id),
    reasons TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, seq)
);
