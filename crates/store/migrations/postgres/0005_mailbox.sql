-- The digital mailbox and mail-center operations: mail-center locations,
-- mailboxes (verified by post, or opened at a location) with the people and
-- companies who may receive mail there, mail items with their append-only
-- chain of custody, the task queue, priced usage lines, pickups, automatic
-- rules, and the full-text index of items.
--
-- PostgreSQL: the full-text index is the generated `search` column of
-- `mail_items` (a tsvector of the 'simple' configuration, language-neutral
-- for French, German, Italian and English) with a GIN index, so it is
-- always in step with the row, in every server process.

CREATE TABLE locations (
    id TEXT PRIMARY KEY,
    -- The mail center that runs this site.
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    -- Postal address lines joined by newlines.
    address TEXT NOT NULL,
    country TEXT NOT NULL,
    -- IANA time zone, e.g. Europe/Zurich: task deadlines are local.
    time_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX locations_org ON locations (org_id, name);

CREATE TABLE mailboxes (
    id TEXT PRIMARY KEY,
    -- The customer who receives the mail.
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- NULL for a company mailbox verified by post.
    location_id TEXT REFERENCES locations(id),
    state TEXT NOT NULL,
    -- Postal address lines joined by newlines, and the same folded for matching.
    address_lines TEXT NOT NULL,
    address_key TEXT NOT NULL,
    country TEXT NOT NULL,
    -- ISO date (YYYY-MM-DD) the mailbox may start receiving mail.
    activation_date TEXT NOT NULL,
    -- The code sent by post: its digest and the challenge's counters.
    code_digest TEXT,
    code_issued_at BIGINT,
    code_attempts INTEGER NOT NULL DEFAULT 0,
    code_locked_until BIGINT,
    code_expires_at BIGINT,
    code_used_at BIGINT,
    -- The letter (in the platform's organisation) that carried the code.
    verification_letter_id TEXT,
    created_at BIGINT NOT NULL,
    verified_at BIGINT,
    updated_at BIGINT NOT NULL,
    -- Incremented by every change: updates compare it (optimistic locking).
    version BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX mailboxes_company ON mailboxes (org_id) WHERE location_id IS NULL;
CREATE UNIQUE INDEX mailboxes_at_location ON mailboxes (org_id, location_id) WHERE location_id IS NOT NULL;
CREATE INDEX mailboxes_address ON mailboxes (address_key);
CREATE INDEX mailboxes_state ON mailboxes (state, activation_date);

-- People and companies who may receive mail of a mailbox at a location.
CREATE TABLE mailbox_members (
    id TEXT PRIMARY KEY,
    mailbox_id TEXT NOT NULL REFERENCES mailboxes(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    location_id TEXT NOT NULL REFERENCES locations(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    review TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    pre_approved_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mailbox_members_location ON mailbox_members (location_id, review, name);
CREATE INDEX mailbox_members_mailbox ON mailbox_members (mailbox_id);

-- Every review decision on a member, with its note: the member's history.
CREATE TABLE member_reviews (
    member_id TEXT NOT NULL REFERENCES mailbox_members(id),
    seq INTEGER NOT NULL,
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    party TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (member_id, seq)
);

-- Automatic rules of a mailbox, run in position order on each new item.
CREATE TABLE mailbox_rules (
    id TEXT PRIMARY KEY,
    mailbox_id TEXT NOT NULL REFERENCES mailboxes(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    position INTEGER NOT NULL,
    -- 'sender:<text>', 'kind:<kind>' or 'advertising'.
    condition TEXT NOT NULL,
    action TEXT NOT NULL,
    -- Conditions in the same form, one per line.
    exceptions TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX mailbox_rules_mailbox ON mailbox_rules (mailbox_id, position);

CREATE TABLE mail_items (
    id TEXT PRIMARY KEY,
    -- The customer; NULL for mail refused for an unknown recipient.
    org_id TEXT REFERENCES orgs(id),
    mailbox_id TEXT REFERENCES mailboxes(id),
    -- Where it was logged; NULL for a digital delivery.
    location_id TEXT REFERENCES locations(id),
    member_id TEXT REFERENCES mailbox_members(id),
    recipient_name TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL CHECK (origin IN ('mail_center', 'digital')),
    -- The integrated sender of a digital delivery.
    sender_org_id TEXT REFERENCES orgs(id),
    reference TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    weight_grams INTEGER,
    registered BOOLEAN NOT NULL DEFAULT FALSE,
    contains_object BOOLEAN NOT NULL DEFAULT FALSE,
    advertising BOOLEAN NOT NULL DEFAULT FALSE,
    -- Comma-separated content flags (sim_card,cheque).
    content_flags TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    envelope_document_id TEXT REFERENCES documents(id),
    scan_document_id TEXT REFERENCES documents(id),
    digital_document_id TEXT REFERENCES documents(id),
    pages INTEGER,
    -- Comma-separated tags.
    tags TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    handled_at BIGINT,
    ocr_state TEXT NOT NULL DEFAULT 'none' CHECK (ocr_state IN ('none', 'queued', 'running', 'done', 'failed')),
    ocr_text TEXT NOT NULL DEFAULT '',
    ocr_pages_done INTEGER NOT NULL DEFAULT 0,
    ocr_pages_total INTEGER NOT NULL DEFAULT 0,
    ocr_error TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    -- Full-text index: sender, recipient, tags, note and OCR text. Joining
    -- punctuation becomes a blank first, so 'POL-77' or '12.50' are words
    -- like in SQLite's FTS5 (which splits at every non-letter, non-digit).
    -- '<' and '>' go too: PostgreSQL's parser would read text between them
    -- as a markup tag and index none of it.
    search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, translate(
            sender || ' ' || recipient_name || ' ' || tags || ' ' || note || ' ' || ocr_text,
            '-/.,@_:;''’–—<>', '              '))
    ) STORED
);
CREATE INDEX mail_items_search ON mail_items USING GIN (search);
CREATE INDEX mail_items_org_received ON mail_items (org_id, received_at, id);
CREATE INDEX mail_items_location_received ON mail_items (location_id, received_at);
CREATE INDEX mail_items_mailbox ON mail_items (mailbox_id, received_at);
CREATE INDEX mail_items_state_received ON mail_items (state, received_at);

-- The chain of custody: append-only, never updated or deleted.
CREATE TABLE item_events (
    item_id TEXT NOT NULL REFERENCES mail_items(id),
    seq INTEGER NOT NULL,
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (item_id, seq)
);
CREATE FUNCTION item_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'item_events is append-only';
END;
$$;
CREATE TRIGGER item_events_no_change BEFORE UPDATE OR DELETE ON item_events
    FOR EACH ROW EXECUTE FUNCTION item_events_append_only();

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES locations(id),
    item_id TEXT NOT NULL REFERENCES mail_items(id),
    -- The customer who asked.
    org_id TEXT NOT NULL REFERENCES orgs(id),
    action TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    requested_at BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by TEXT,
    -- The fee the customer is charged when the task is done (shipping added then).
    fee_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- Why the task exists when the customer did not ask for it (unscannable, retention, rule).
    note TEXT NOT NULL DEFAULT '',
    -- A forward's address lines (joined by newlines) and country.
    forward_address TEXT NOT NULL DEFAULT '',
    forward_country TEXT NOT NULL DEFAULT '',
    bundle BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX tasks_queue ON tasks (location_id, state, due_at);
CREATE INDEX tasks_item ON tasks (item_id, state);

CREATE TABLE pickups (
    id TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES locations(id),
    -- The customer whose mail is handed over.
    org_id TEXT NOT NULL REFERENCES orgs(id),
    id_document_type TEXT NOT NULL,
    id_last_digits TEXT NOT NULL,
    checked_by TEXT NOT NULL,
    fees_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX pickups_location ON pickups (location_id, created_at);

CREATE TABLE pickup_items (
    pickup_id TEXT NOT NULL REFERENCES pickups(id),
    item_id TEXT NOT NULL REFERENCES mail_items(id) UNIQUE,
    PRIMARY KEY (pickup_id, item_id)
);

-- Every billable act, priced, to be invoiced.
CREATE TABLE usage_lines (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL CHECK (kind IN ('scan', 'forward', 'paper_original', 'pickup_fee', 'plan', 'postage')),
    item_id TEXT REFERENCES mail_items(id),
    task_id TEXT REFERENCES tasks(id),
    pickup_id TEXT REFERENCES pickups(id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- VAT rate in basis points (810 = 8.1 %).
    vat_bp INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
-- A task or a pickup is billed at most once per kind.
CREATE UNIQUE INDEX usage_lines_task ON usage_lines (task_id, kind) WHERE task_id IS NOT NULL;
CREATE UNIQUE INDEX usage_lines_pickup ON usage_lines (pickup_id, kind) WHERE pickup_id IS NOT NULL;
CREATE INDEX usage_lines_org ON usage_lines (org_id, created_at);

